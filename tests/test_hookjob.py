"""Post-* hooks finishing in the background: Git returns at once, readers wait for the job."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentsync import hookjob, hooks
from agentsync.scanner import scan
from agentsync.store.meta import MetaKey
from tests.conftest import GitRepo, artifact, git_environment


@pytest.fixture
def hooked(git_repo: GitRepo) -> GitRepo:
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    git_repo.commit_all("artifacts")
    hooks.install(git_repo.root)
    with git_repo.mirror() as mirror:
        scan(mirror)
    return git_repo


def lock_path(repo: GitRepo) -> Path:
    return repo.config().state_dir / hookjob.LOCK_NAME


def job_is_running(repo: GitRepo) -> bool:
    descriptor = os.open(lock_path(repo), os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)


def test_a_commit_returns_while_its_post_commit_job_waits_and_readers_wait_for_the_job(hooked: GitRepo) -> None:
    """The mirror is write-locked by someone else: the post-commit job has to wait for it, the
    commit must not (and Git's captured output closes: the job holds none of its pipes)."""
    hooks.uninstall(hooked.root, ("pre-commit",))  # its check would wait on the lock in the foreground
    config = hooked.config()
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    hooked.git("add", "-A")
    blocker = sqlite3.connect(config.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the job's write waits on this (busy timeout 15 s)
    try:
        started = time.monotonic()
        result = subprocess.run(
            ["git", "commit", "-q", "-m", "edit"], cwd=hooked.root, env=git_environment(),
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 8
        assert job_is_running(hooked)
        assert not hookjob.wait_for_job(config.state_dir, timeout=0.2)  # a reader gives up only after its timeout
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with hooked.mirror() as mirror:  # waits for the job
        assert mirror.find("S-1").status == "active"
    assert not job_is_running(hooked)


def test_the_wait_variable_keeps_the_hook_in_the_foreground(hooked: GitRepo) -> None:
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    hooked.git("add", "-A")
    subprocess.run(
        ["git", "commit", "-q", "-m", "edit"], cwd=hooked.root, check=True,
        env=git_environment(AGENTSYNC_HOOK_WAIT="1"), capture_output=True,
    )  # fmt: skip
    # Nothing waits here: read the database directly, as another tool would.
    connection = sqlite3.connect(hooked.config().db_path)
    try:
        assert connection.execute("SELECT status FROM artifacts WHERE id = 'S-1'").fetchone() == ("active",)
    finally:
        connection.close()


def test_an_amend_in_the_background_gets_its_rewritten_pairs(hooked: GitRepo) -> None:
    """post-rewrite reads Git's pairs from stdin before it detaches (the job's stdin is /dev/null)."""
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    hooked.commit_all("edit")
    hooked.write("stories/S-1.md", artifact("S-1", "One", "done"))
    hooked.git("add", "-A")
    hooked.git("commit", "-q", "--amend", "-m", "edit, amended")
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "done"
        assert mirror.get_meta(MetaKey.GIT_HEAD) == hooked.head()
    log = hooked.config().state_dir / "agentsync.log"
    assert not log.exists() or "failed" not in log.read_text(encoding="utf-8")


def test_a_reader_gives_up_after_its_timeout_and_a_killed_job_leaves_no_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; d = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
         "fcntl.flock(d, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(tmp_path / hookjob.LOCK_NAME)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        assert not hookjob.wait_for_job(tmp_path, timeout=0.1)
        assert 0.1 <= time.monotonic() - started < 2
    finally:
        holder.kill()
        holder.wait()
    assert hookjob.wait_for_job(tmp_path, timeout=1)  # the lock went with its process


def test_no_lock_file_means_nothing_to_wait_for(tmp_path: Path) -> None:
    assert hookjob.wait_for_job(tmp_path / "missing", timeout=0)


def test_which_hooks_detach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hookjob.WAIT_VARIABLE, raising=False)
    monkeypatch.delenv("AGENTSYNC_SKIP", raising=False)
    assert [name for name in hooks.HOOK_NAMES if hookjob.should_detach(name)] == [
        "post-commit", "post-merge", "post-checkout", "post-rewrite",
    ]  # fmt: skip
    assert not hookjob.should_detach("mirror")  # the pre-commit framework's hook runs inside the framework
    monkeypatch.setenv(hookjob.WAIT_VARIABLE, "1")
    assert not hookjob.should_detach("post-commit")


def test_a_project_without_a_mirror_yet_runs_its_hooks_in_the_foreground(tmp_path: Path) -> None:
    (tmp_path / "agentsync.yaml").write_text("types: []\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    assert hookjob.state_dir_above(str(tmp_path / "sub")) is None
    (tmp_path / ".agentsync").mkdir()
    assert hookjob.state_dir_above(str(tmp_path / "sub")) == str(tmp_path / ".agentsync")


def test_a_hook_that_cannot_take_the_job_lock_does_its_work_in_the_foreground(hooked: GitRepo) -> None:
    lock_path(hooked).unlink(missing_ok=True)
    lock_path(hooked).mkdir()  # cannot be opened for writing: no job can be started
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    result = hooked.commit_all("edit")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    connection = sqlite3.connect(hooked.config().db_path)  # no waiting: the hook has finished
    try:
        assert connection.execute("SELECT status FROM artifacts WHERE id = 'S-1'").fetchone() == ("active",)
    finally:
        connection.close()
