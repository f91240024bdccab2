"""What a push does to go faster keeps its results: the remote's identity asked while the work
tree is scanned (its errors met where they were before), and the mirror's log written back less
often while it pushes (the setting as it was once it is done)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.remotes.memory import MemoryRemote, MemoryServer
from agentsync.store import sync_state
from agentsync.store.meta import MetaKey
from agentsync.sync import push
from agentsync.sync.client import ask_database_id
from tests.conftest import artifact
from tests.sync.conftest import two_clones


class Asked(MemoryRemote):
    """Counts the identity questions and the threads they come from; ``fails`` raises instead."""

    def __init__(self, server: MemoryServer, fails: Exception | None = None) -> None:
        super().__init__(server, "team")
        self.fails = fails
        self.threads: list[str] = []

    def database_id(self) -> str:
        self.threads.append(threading.current_thread().name)
        if self.fails is not None:
            raise self.fails
        return super().database_id()


def test_the_identity_asked_meanwhile_is_the_remotes_and_asked_once() -> None:
    remote = Asked(MemoryServer())
    answer = ask_database_id(remote, meanwhile=True)
    assert answer() == remote.server.database_id
    assert remote.threads == ["agentsync-connect"]
    here = Asked(MemoryServer())
    assert ask_database_id(here)() == here.server.database_id and here.threads == ["MainThread"]


def test_an_unreachable_remote_answers_empty_and_a_refusal_is_raised_where_asked() -> None:
    assert ask_database_id(Asked(MemoryServer(), RemoteUnavailable("down")), meanwhile=True)() == ""
    refusing = ask_database_id(Asked(MemoryServer(), RemoteError("refused")), meanwhile=True)
    with pytest.raises(RemoteError, match="refused"):
        refusing()


def test_a_push_asks_the_identity_while_it_scans_and_records_it(tmp_path: Path) -> None:
    a, _ = two_clones(tmp_path)
    a.write("plans/PLAN-1.md", artifact("PLAN-1"))
    remote = Asked(MemoryServer())
    with a.mirror() as mirror:
        assert push(mirror, remote, "ada").applied == [("plan:PLAN-1", 1)]
        assert mirror.get_meta(MetaKey.REMOTE_DATABASE) == remote.server.database_id
    assert remote.threads == ["agentsync-connect"]
    with a.mirror() as mirror:  # the watcher's push (no scan): asked in its own thread of work
        push(mirror, remote, "ada", rescan=False)
    assert remote.threads[1:] == ["MainThread"]


def test_the_log_is_written_back_as_before_once_a_push_is_done(tmp_path: Path) -> None:
    a, _ = two_clones(tmp_path)
    a.write("plans/PLAN-1.md", artifact("PLAN-1"))
    with a.mirror() as mirror:
        setting = "PRAGMA wal_autocheckpoint"
        before = mirror.connection.execute(setting).fetchone()[0]
        with sync_state.checkpoint_every(mirror.connection, 5000):
            assert mirror.connection.execute(setting).fetchone()[0] == 5000
        with pytest.raises(RuntimeError), sync_state.checkpoint_every(mirror.connection, 7000):
            raise RuntimeError("a push that fails")
        assert mirror.connection.execute(setting).fetchone()[0] == before
        push(mirror, MemoryServer().remote("team"), "ada")
        assert mirror.connection.execute(setting).fetchone()[0] == before
