"""Shared fixtures: a real repository folder with agentsync.yaml, and helpers to write artifacts."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync.config import Config
from agentsync.remotes.memory import MemoryRemote, MemoryServer, ShiftedClock
from agentsync.store import Mirror


@pytest.fixture(scope="session", autouse=True)
def private_local_remote() -> Iterator[Path]:
    """The `local` remote (the default after `init`) lives in a folder of this test session, never
    the user's own; a server started there by a test is stopped at the end."""
    # Not under pytest's own temp folder: as root, pgserver runs PostgreSQL as another user, who must
    # reach the folder; another pytest session on the machine resets that folder's mode to 0700.
    folder = Path(tempfile.mkdtemp(prefix="agentsync-local-remote-")) / "postgres"
    before = os.environ.get("AGENTSYNC_LOCAL_REMOTE")
    os.environ["AGENTSYNC_LOCAL_REMOTE"] = str(folder)  # inherited by the hooks and CLIs tests start
    try:
        yield folder
    finally:
        if before is None:
            del os.environ["AGENTSYNC_LOCAL_REMOTE"]
        else:
            os.environ["AGENTSYNC_LOCAL_REMOTE"] = before
        if (folder / "postmaster.pid").exists():
            from agentsync.remotes import local

            local.stop(folder)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def outside_folder() -> Iterator[Path]:
    """A folder outside pytest's own (which, as root, PostgreSQL's user cannot reach), removed after the test."""
    folder = Path(tempfile.mkdtemp(prefix="agentsync-test-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Repo:
    """A temporary repository: write files, load the config, open the mirror."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()

    def config(self) -> Config:
        return config_module.load(self.root)

    def mirror(self) -> Mirror:
        return Mirror.open(self.config())

    def age(self, seconds: int = 60) -> None:
        """Date every file back, as if written long before the scan (so no stat is racy)."""
        past = time.time_ns() - seconds * 1_000_000_000
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                os.utime(os.path.join(folder, name), ns=(past, past), follow_symlinks=False)

    def touch_later(self, relative: str) -> None:
        """Move a file's mtime forward so a scan cannot mistake it for unchanged."""
        path = self.root / relative
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()  # marks the repository root; git itself is not needed here
    (root / config_module.CONFIG_NAME).write_text(config_module.render_default(), encoding="utf-8")
    yield Repo(root)


def artifact(artifact_id: str, title: str = "A title", status: str = "DRAFT", body: str = "Body.\n") -> str:
    return f"---\nid: {artifact_id}\ntitle: {title}\nstatus: {status}\nversion: 1\n---\n\n# {title}\n\n{body}"


class GitRepo(Repo):
    """A real git repository (git's own command line), with agentsync.yaml committed."""

    def git(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["git", *args], cwd=self.root, env=git_environment(), capture_output=True, text=True, input=input
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def commit_all(self, message: str) -> subprocess.CompletedProcess[str]:
        self.git("add", "-A")
        return self.git("commit", "-q", "-m", message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()


LEAKING_VARIABLES = ("AGENTSYNC_SKIP", "AGENTSYNC_HOOK_WAIT")  # a developer's own settings stay out of the tests


def git_environment(**extra: str) -> dict[str, str]:
    """The test's environment for git: its own identity and config, no ``GIT_*`` or skip leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in LEAKING_VARIABLES}
    env.update(
        GIT_AUTHOR_NAME="Ada Tester", GIT_AUTHOR_EMAIL="ada@example.com",
        GIT_COMMITTER_NAME="Ada Tester", GIT_COMMITTER_EMAIL="ada@example.com",
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
    )  # fmt: skip
    # The hooks call `agentsync.hookrun.main` with the interpreter running the tests.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def make_git_repo(root: Path) -> GitRepo:
    root.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(root)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Ada Tester")
    repo.git("config", "user.email", "ada@example.com")
    (root / config_module.CONFIG_NAME).write_text(config_module.render_default(), encoding="utf-8")
    return repo


@pytest.fixture
def git_repo(tmp_path: Path) -> Iterator[GitRepo]:
    yield make_git_repo(tmp_path / "repo")


@pytest.fixture
def memory_server() -> MemoryServer:
    """One in-memory remote for the test (``agentsync.remotes.memory``): every clone given a remote
    of it shares it. Its clock is the wall clock moved by ``memory_server.clock.advance(seconds)``."""
    return MemoryServer("test", clock=ShiftedClock())


@pytest.fixture
def memory_remote(memory_server: MemoryServer) -> Callable[..., MemoryRemote]:
    """``memory_remote(project="team")``: a remote of that project on the test's ``memory_server``."""

    def remote(project: str = "team") -> MemoryRemote:
        return memory_server.remote(project)

    return remote


def drop_compare_generation(db: sqlite3.Connection) -> None:
    """Take out what migration 16 made (the comparison generation and its triggers), as a test that
    sets a mirror back to an older schema must."""
    names = [
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_compare_*'")
    ]
    for name in names:
        db.execute(f'DROP TRIGGER "{name}"')
    db.execute("DROP TABLE compare_generation")


def drop_head_hash(db: sqlite3.Connection) -> None:
    """Take out what migration 22 made (each agreed row's text at HEAD), as a test that sets a mirror
    back to an older schema must."""
    db.execute("ALTER TABLE sync_base DROP COLUMN head_hash")


def drop_outbox_texts(db: sqlite3.Connection) -> None:
    """Take out what migration 18 made (the outbox's texts; its base triggers are migration 15's again),
    as a test that sets a mirror back to an older schema must."""
    from agentsync.store import schema
    from agentsync.store.triggers import BASE_TRIGGERS

    db.execute("DROP TABLE outbox_texts")
    for trigger in ("artifacts_base_update", "artifacts_base_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in schema._statements(BASE_TRIGGERS):
        db.execute(statement)
