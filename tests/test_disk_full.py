"""A full disk, a file size limit, an unwritable log or mirror: one clear line, exit 1, nothing left over.

Real failures: a small tmpfs mounted for the test (needs root; skipped where mounting is not
permitted), RLIMIT_FSIZE in a child process (EFBIG: works anywhere), /dev/full for the log.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync import log
from tests.conftest import artifact
from tests.remotes.conftest import database, postgres_url  # noqa: F401  (fixtures: a real PostgreSQL)
from tests.test_crash_hygiene import temp_files

FILES = 5


def agentsync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentsync", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


def make_repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / config_module.CONFIG_NAME).write_text(config_module.render_default(), encoding="utf-8")
    (root / "plans").mkdir()
    for n in range(FILES):
        (root / "plans" / f"p{n}.md").write_text(artifact(f"P-{n}", body="Some words.\n" * 200))
    return root


def assert_one_clear_line(done: subprocess.CompletedProcess[str], what: str) -> None:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("agentsync: error: no space left on device while writing "), lines[0]
    assert what in lines[0] and lines[0].endswith(": free some space and run the command again")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs (the test is skipped where mounting is not permitted)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass  # full
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_one_line_and_the_rerun_works(tmpfs: Path, tmp_path: Path) -> None:
    root = make_repo(tmpfs / "repo")
    (tmp_path / "state").mkdir()
    (root / config_module.STATE_DIR).symlink_to(tmp_path / "state")  # the mirror has room, the work tree not
    assert agentsync(root, "mirror").returncode == 0
    for n in range(FILES):
        (root / "plans" / f"p{n}.md").unlink()
    filler = fill(tmpfs)
    assert_one_clear_line(agentsync(root, "export"), str(root / "plans" / "p"))
    assert temp_files(root) == []

    (root / config_module.STATE_DIR).unlink()  # now the mirror is on the full disk as well
    assert_one_clear_line(agentsync(root, "mirror"), str(root / config_module.STATE_DIR))

    filler.unlink()
    shutil.rmtree(root / config_module.STATE_DIR)  # made by the failed run, empty
    (root / config_module.STATE_DIR).symlink_to(tmp_path / "state")
    done = agentsync(root, "export")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (root / "plans").iterdir()) == [f"p{n}.md" for n in range(FILES)]


_WRITE_PAST_LIMIT = """
import sys
from pathlib import Path
from agentsync.fsutil import atomic_write, atomic_write_many
folder = Path(sys.argv[1])
try:
    if sys.argv[2] == "one":
        atomic_write(folder / "big.md", b"x" * 100_000)
    else:
        atomic_write_many([(folder / f"f{n}.md", b"x" * (100_000 if n == 20 else 10)) for n in range(40)])
except Exception as exc:
    print(type(exc).__name__, exc)
"""


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_file_size_limit_is_the_typed_error_and_leaves_no_temp_file(tmp_path: Path, how: str) -> None:
    def limit() -> None:  # in the child: writes past 64 KB fail with EFBIG, not SIGXFSZ
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    done = subprocess.run(
        [sys.executable, "-c", _WRITE_PAST_LIMIT, str(tmp_path), how], capture_output=True, text=True,
        preexec_fn=limit, timeout=60,
    )  # fmt: skip
    name = "big.md" if how == "one" else "f20.md"
    assert done.stdout.strip() == (
        f"DiskFullError no space left on device while writing {tmp_path / name}: "
        "free some space and run the command again"
    ), done.stderr
    assert temp_files(tmp_path) == []


def test_a_log_file_that_cannot_be_written_prints_no_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    (tmp_path / log.LOG_NAME).symlink_to("/dev/full")  # every write: ENOSPC
    try:
        log.configure(tmp_path)
        logging.getLogger("agentsync").error("unexpected error", exc_info=ValueError("boom"))
        captured = capfd.readouterr()
        assert captured.err == "" and captured.out == ""
        assert log.last_record_lost()
    finally:
        for handler in list(log.logger.handlers):
            log.logger.removeHandler(handler)
            handler.close()
        log._configured = None


def test_a_read_only_mirror_says_what_to_do_and_not_to_delete_it(tmpfs: Path) -> None:
    root = make_repo(tmpfs / "repo")
    assert agentsync(root, "mirror").returncode == 0
    (root / "plans" / "p0.md").write_text(artifact("P-0", body="Edited.\n"))
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    try:
        done = agentsync(root, "mirror")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert done.returncode == 1
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "chmod u+w" in line and "mounted read-only" in line
    assert "delete" not in line
    assert agentsync(root, "mirror").returncode == 0  # writable again: the same mirror works


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file modes (the tmpfs test covers root)")
def test_a_mirror_without_write_permission_says_what_to_do(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    assert agentsync(root, "mirror").returncode == 0
    state = root / config_module.STATE_DIR
    (root / "plans" / "p0.md").write_text(artifact("P-0", body="Edited.\n"))
    modes = {path: path.stat().st_mode for path in [state, *state.iterdir()]}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        done = agentsync(root, "mirror")
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert done.returncode == 1
    assert "chmod u+w" in done.stderr and "delete" not in done.stderr


def test_a_push_writes_no_file_so_a_full_work_tree_does_not_stop_it(
    tmpfs: Path,
    tmp_path: Path,
    database: str,  # noqa: F811
) -> None:
    """The work tree is full while pushing: a push writes nothing there (no version line goes
    into a file), so it succeeds, and the files stay exactly as they were."""
    from agentsync.remotes import migrations
    from tests.remotes.conftest import connect

    with connect(database) as connection:
        migrations.migrate(connection)
    root = make_repo(tmpfs / "repo")
    for n in range(FILES):  # no `version:` line: a push never adds one
        path = root / "plans" / f"p{n}.md"
        path.write_text(path.read_text().replace("version: 1\n", ""))
    state = tmp_path / "state"  # the mirror on a roomy disk: only the work tree is full
    state.mkdir()
    (root / ".agentsync").symlink_to(state, target_is_directory=True)
    env = {**os.environ, "AGENTSYNC_DATABASE_URL": database}

    def push() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agentsync", "push"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    assert agentsync(root, "mirror").returncode == 0
    filler = fill(tmpfs)
    done = push()
    assert done.returncode == 0 and f"pushed {FILES} artifact(s)" in done.stdout, done.stderr
    assert not temp_files(root)
    filler.unlink()
    again = push()
    assert again.returncode == 0 and "nothing to push" in again.stdout, again.stderr
    assert all("version:" not in (root / "plans" / f"p{n}.md").read_text() for n in range(FILES))
    with connect(database) as db:
        versions = db.execute("SELECT artifact_id, version FROM agentsync.artifacts ORDER BY 1").fetchall()
    assert versions == [(f"P-{n}", 1) for n in range(FILES)]  # applied once, not twice
