"""After a kill -9: no forked worker outlives its parent, no temp file outlives its writer."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync import forked, fsutil
from tests.conftest import artifact

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

_ORPHAN_PARENT = textwrap.dedent(
    """
    import os, sys, time
    from agentsync import forked, fsutil

    def stream(chunk):  # answers keep coming: once nobody reads them, the pipe fills
        time.sleep(0.01)
        return b"x" * 65536

    def sleep(chunk):  # a worker busy with one long batch
        time.sleep(60)
        return chunk

    mode = sys.argv[1]
    if mode == "watchdog":  # what platforms without prctl get
        forked._set_parent_death_signal = lambda: False
    function = sleep if mode == "sleep" else stream
    for answer in forked.forked_map(function, [[n] for n in range(400)], 2):
        time.sleep(60)  # the parent takes one answer, then hangs until it is killed
    """
)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a process from /proc, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                found.append(int(name))
    return found


def gone(pids: list[int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to end (a zombie has ended); return those still running."""
    deadline = time.monotonic() + timeout
    while True:
        running = [pid for pid in pids if (stat := _stat(pid)) is not None and stat[0] != "Z"]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


def _kill_parent_of_workers(mode: str) -> list[int]:
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_PARENT, mode], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 10
        while len(workers := children_of(parent.pid)) < 2:
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.02)
        time.sleep(0.5)  # the stream workers fill their pipes meanwhile
        parent.kill()
        parent.wait()
        return gone(workers, timeout=3)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


@needs_proc
@pytest.mark.skipif(not sys.platform.startswith("linux") or not forked.available(), reason="Linux's pdeathsig")
@pytest.mark.parametrize("mode", ["sleep", "stream"])
def test_workers_die_with_their_killed_parent(mode: str) -> None:
    leftover = _kill_parent_of_workers(mode)
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert leftover == [], f"workers outlived their parent ({mode})"


@needs_proc
@pytest.mark.skipif(not forked.available(), reason="needs fork")
@pytest.mark.parametrize("mode", ["watchdog"])
def test_without_pdeathsig_the_watchdog_ends_orphaned_workers(mode: str) -> None:
    leftover = _kill_parent_of_workers(mode)
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert leftover == [], "workers outlived their parent without the parent-death signal"


# -- which temp files are stale ------------------------------------------------------------------


def _temp(folder: Path, pid: int, age: float = 0.0) -> Path:
    path = folder / f".a.md.{pid}.0.tmp"
    path.write_bytes(b"half")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def test_a_live_writers_fresh_temp_file_is_kept_a_dead_ones_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mine = _temp(tmp_path, os.getpid(), age=5)
    left = _temp(tmp_path, int(dead.stdout))  # that pid has ended (and is not reused this soon)
    other = tmp_path / "a.md"
    other.write_text("not a temp file")
    assert fsutil.remove_stale_temps([tmp_path]) == 1
    assert mine.exists() and other.exists() and not left.exists()


def test_a_temp_file_older_than_its_live_pid_is_stale(tmp_path: Path) -> None:
    """The pid was reused: the process running under it started after the file was written."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        reused = _temp(tmp_path, sleeper.pid, age=60)
        expected = 1 if fsutil.process_start_time(sleeper.pid) is not None else 0
        assert fsutil.remove_stale_temps([tmp_path]) == expected
        assert reused.exists() is (expected == 0)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_temp_file_older_than_an_hour_is_stale_even_for_a_live_pid(tmp_path: Path) -> None:
    ancient = _temp(tmp_path, os.getpid(), age=fsutil.STALE_AFTER_S + 60)
    assert fsutil.remove_stale_temps([tmp_path]) == 1
    assert not ancient.exists()


def test_every_atomic_write_cleans_its_folder_once(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    folder = tmp_path / "plans"
    folder.mkdir()
    first = _temp(folder, int(dead.stdout))
    fsutil.atomic_write(folder / "a.md", b"new", sync=False)
    assert not first.exists()
    second = _temp(folder, int(dead.stdout))
    fsutil.atomic_write(folder / "b.md", b"new", sync=False)
    assert second.exists()  # once per folder per run: the listing is not repeated for every file
    assert sorted(p.name for p in folder.iterdir()) == [second.name, "a.md", "b.md"]


# -- whole agentsync processes killed at random moments ------------------------------------------

KILLS = 6  # per command
FOLDERS = ("plans", "stories", "runbooks")
_TEMP = re.compile(r"\A\..+\.\d+\.\d+\.tmp\Z")


def _corpus(root: Path, count: int) -> None:
    """``count`` artifacts of a few KB each, spread over the three types' folders."""
    root.mkdir()
    (root / ".git").mkdir()
    (root / config_module.CONFIG_NAME).write_text(config_module.render_default(), encoding="utf-8")
    for folder in FOLDERS:
        (root / folder).mkdir()
    for n in range(count):
        folder = FOLDERS[n % len(FOLDERS)]
        body = "".join(f"Line {line} of artifact {n}: sync, cache, plan, story.\n" for line in range(40))
        (root / folder / f"A-{n:05}.md").write_text(artifact(f"A-{n:05}", f"Artifact {n}", body=body))


def agentsync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentsync", *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def temp_files(folder: Path) -> list[str]:
    return [
        os.path.join(where, name)
        for where, dirs, names in os.walk(folder)
        if ".git" not in Path(where).parts
        for name in names
        if _TEMP.match(name)
    ]


def in_group(group: int) -> list[int]:
    """The live processes of process group ``group`` (a killed agentsync's forked workers stay in it)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := _stat(int(name))) is not None and stat[2] == group and stat[0] != "Z":
            found.append(int(name))
    return found


def kill_at_random(root: Path, args: list[str], delay: float) -> list[int]:
    """Start ``agentsync ARGS`` in a process group of its own, SIGKILL it after ``delay`` seconds;
    return what is left of its group after a short grace period."""
    process = subprocess.Popen(
        [sys.executable, "-m", "agentsync", *args], cwd=root, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.kill()
    process.wait()
    deadline = time.monotonic() + 2
    while (left := in_group(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def timed(action: Callable[[], subprocess.CompletedProcess[str]]) -> float:
    started = time.monotonic()
    done = action()
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def remove_artifacts(root: Path) -> None:
    for folder in FOLDERS[:2]:
        for path in (root / folder).iterdir():
            path.unlink()


@needs_proc
@pytest.mark.slow
def test_kill_9_leaves_no_temp_file_and_no_process(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    root, target = tmp_path / "repo", tmp_path / "out"
    _corpus(root, 1500)
    state = root / config_module.STATE_DIR

    def fresh_mirror() -> None:
        for path in state.glob("agentsync.db*"):
            path.unlink()

    duration = timed(lambda: agentsync(root, "mirror", "-q"))
    for _ in range(KILLS):
        fresh_mirror()
        left = kill_at_random(root, ["mirror", "-q"], rng.uniform(0.05, duration))
        assert left == [], f"processes outlived a killed mirror (seed {seed})"
    assert agentsync(root, "mirror", "-q").returncode == 0
    with sqlite3.connect(state / "agentsync.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM artifacts").fetchone() == (1500,)

    remove_artifacts(root)
    duration = timed(lambda: agentsync(root, "export"))
    for _ in range(KILLS):
        remove_artifacts(root)
        assert kill_at_random(root, ["export"], rng.uniform(0.05, duration)) == []
    assert agentsync(root, "export").returncode == 0
    assert temp_files(root) == [], f"seed {seed}"
    assert sum(1 for folder in FOLDERS for _ in (root / folder).iterdir()) == 1500

    duration = timed(lambda: agentsync(root, "export", "--to", str(target)))
    for _ in range(KILLS):
        shutil.rmtree(target / "plans", ignore_errors=True)
        assert kill_at_random(root, ["export", "--to", str(target)], rng.uniform(0.05, duration)) == []
    assert agentsync(root, "export", "--to", str(target)).returncode == 0
    assert temp_files(target) == [], f"seed {seed}"
    assert agentsync(root, "ls", "--json").returncode == 0
