"""Two real git clones and one remote they share: in memory for most sync tests (the twin keeps
the same protocol, tests/remotes/test_protocol.py), a real PostgreSQL for the tests whose point
is that path (``remote_url``, ``both_clones``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentsync.remotes import migrations
from agentsync.remotes.base import Remote
from agentsync.remotes.memory import MemoryRemote
from agentsync.remotes.postgres import PostgresRemote
from agentsync.sync import PullReport, PushReport, pull, push
from tests.conftest import GitRepo, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)

Clones = tuple[GitRepo, GitRepo, MemoryRemote]


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    """A fresh PostgreSQL database with every migration of sql/ applied."""
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


def two_clones(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """Two repositories ``a`` and ``b`` with agentsync.yaml committed, as two developers' clones."""
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    for clone in (a, b):
        clone.commit_all("config")
    return a, b


@pytest.fixture
def clones(tmp_path: Path, memory_remote: Callable[..., MemoryRemote]) -> Clones:
    """Clones ``a`` and ``b`` and a ``MemoryRemote`` of project "team" on the test's one server."""
    a, b = two_clones(tmp_path)
    return a, b, memory_remote("team")


@pytest.fixture(params=["memory", "postgres"])
def both_clones(
    request: pytest.FixtureRequest, tmp_path: Path, memory_remote: Callable[..., MemoryRemote]
) -> Iterator[tuple[GitRepo, GitRepo, Remote]]:
    """``clones``, once on the in-memory remote and once on a real PostgreSQL: for the key
    end-to-end tests, which must hold on both."""
    a, b = two_clones(tmp_path)
    remote: Remote = (
        PostgresRemote(request.getfixturevalue("remote_url"), "team")
        if request.param == "postgres"
        else memory_remote("team")
    )
    yield a, b, remote
    remote.close()


def sync_push(repo: GitRepo, remote: Remote, author: str) -> PushReport:
    with repo.mirror() as mirror:
        return push(mirror, remote, author)


def sync_pull(repo: GitRepo, remote: Remote) -> PullReport:
    with repo.mirror() as mirror:
        return pull(mirror, remote)
