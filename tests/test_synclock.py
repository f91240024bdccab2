"""One sync at a time per repository: a lock shared by processes, threads, hooks and commands."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agentsync import synclock
from agentsync.errors import SyncBusy
from tests.conftest import GitRepo, Repo, artifact, git_environment, make_git_repo
from tests.test_cli import run

HOLDER = """
import sys, time
from agentsync import config, synclock
with synclock.hold(config.load(config.find_root()), "test holder", wait=0):
    print("held", flush=True)
    time.sleep(60)
"""


@contextmanager
def held_by_another_process(repo: Repo) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=repo.root, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def test_a_second_holder_waits_then_is_told_who_holds_it(repo: Repo) -> None:
    config = repo.config()
    with held_by_another_process(repo) as child:
        started = time.monotonic()
        with pytest.raises(SyncBusy) as caught, synclock.hold(config, "push", wait=0.3):
            pass
        assert time.monotonic() - started >= 0.3
        assert f"test holder (pid {child.pid}" in str(caught.value)
        assert caught.value.holder["purpose"] == "test holder"
        child.kill()  # killed without releasing anything: the kernel drops the lock
        child.wait()
        with synclock.hold(config, "push", wait=0):
            assert synclock.is_held(config)
    assert not synclock.is_held(config)
    assert synclock.read_holder(config) == {}  # released: nobody is named any more


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_threads(repo: Repo) -> None:
    config = repo.config()
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with synclock.hold(config, "other", wait=0.1):
                outcome.append("got it")
        except SyncBusy:
            outcome.append("busy")

    with synclock.hold(config, "push", wait=0), synclock.hold(config, "pull inside push", wait=0):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert outcome == ["busy"]
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert outcome == ["busy", "got it"]


def test_commands_wait_then_fail_naming_the_holder_and_hooks_step_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentsync import hooks

    repo: GitRepo = make_git_repo(tmp_path / "repo")
    repo.write(
        "agentsync.yaml",
        repo.read("agentsync.yaml").decode().replace("remote: local", "remote: postgresql://db.invalid/x"),
    )
    repo.write("plans/P-1.md", artifact("P-1"))
    hooks.install(repo.root, ("pre-push",))
    repo.commit_all("plan")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=git_environment())
    monkeypatch.setenv("AGENTSYNC_LOCK_WAIT", "0.2")
    with held_by_another_process(repo) as child:
        for command in (["push"], ["pull"], ["sync"], ["resolve", "P-1", "--ours"], ["export"]):
            code, _, err = run(repo, *command)
            assert code == 1, command
            assert f"another sync is running in this repository: test holder (pid {child.pid}" in err, command
        pushed = subprocess.run(["git", "push", "-q", str(bare), "HEAD:refs/heads/main"], cwd=repo.root,
                                env=git_environment(), capture_output=True, text=True)  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr  # a git push is never held up by a sync in progress
    assert "pre-push: artifacts not synced now: another sync is running" in pushed.stderr
    monkeypatch.setenv("AGENTSYNC_LOCK_WAIT", "soon")
    code, _, err = run(repo, "push")
    assert code == 2 and "AGENTSYNC_LOCK_WAIT is 'soon'" in err
