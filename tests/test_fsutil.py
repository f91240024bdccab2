"""Atomic writes, and the last check before one: a file saved meanwhile is left alone."""

from __future__ import annotations

from pathlib import Path

from agentsync.fsutil import atomic_write, atomic_write_many, stat_signature


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
