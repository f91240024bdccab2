"""Atomic writes, and the last check before one: a file saved meanwhile is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentsync.fsutil import atomic_write, atomic_write_many, process_running, stat_signature


def test_a_write_is_skipped_when_the_target_changed_since_it_was_read(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_text("old")
    seen = stat_signature(target)
    assert atomic_write(target, b"new", still=lambda path: stat_signature(path) == seen)
    assert target.read_text() == "new"
    seen = stat_signature(target)
    target.write_text("saved by someone, later")
    assert not atomic_write(target, b"newer", still=lambda path: stat_signature(path) == seen)
    assert target.read_text() == "saved by someone, later"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]  # no temp file left


def test_many_writes_skip_only_the_changed_targets(tmp_path: Path) -> None:
    targets = [tmp_path / f"{n}.md" for n in range(20)]  # more than 16: staged, synced once, renamed
    for target in targets:
        target.write_text("old")
    seen = {target: stat_signature(target) for target in targets}
    targets[3].write_text("edited meanwhile")
    skipped = atomic_write_many([(t, b"new") for t in targets], still=lambda path: stat_signature(path) == seen[path])
    assert skipped == [targets[3]]
    assert targets[3].read_text() == "edited meanwhile"
    assert all(t.read_text() == "new" for t in targets if t != targets[3])
    assert len(list(tmp_path.iterdir())) == 20
    assert stat_signature(tmp_path / "missing.md") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc tells an exited process on Linux")
def test_a_process_that_exited_unreaped_runs_no_more() -> None:
    """A writer killed while its parent lives on (or under an init that reaps late) is a zombie: signal
    0 still reaches it, and its temp files were kept as a live writer's."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_bytes().rpartition(b")")[2].split()[0] != b"Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not process_running(child.pid)
    child.wait()
    assert process_running(os.getpid())
