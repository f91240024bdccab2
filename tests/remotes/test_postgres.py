"""PostgresRemote: the typed client over the sql/ functions, on a real PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from agentsync.errors import RemoteError
from agentsync.remotes import migrations
from agentsync.remotes.base import Change
from agentsync.remotes.postgres import PostgresRemote, RemoteUnavailable, redact
from tests.remotes.conftest import connect


@pytest.fixture
def remote(database: str) -> Iterator[PostgresRemote]:
    with connect(database) as connection:
        migrations.migrate(connection)
    client = PostgresRemote(database, "demo")
    yield client
    client.close()


def test_push_pull_conflict_and_replay(remote: PostgresRemote) -> None:
    new = Change("S-1", "stories/S-1.md", 0, "hello\n", "h1")
    first = remote.push("clone-a", "batch-1", "ada@example.com", [new])
    assert [(a.id, a.result, a.version) for a in first.answers] == [("S-1", "applied", 1)]
    assert remote.head() == first.head == 1
    again = remote.push("clone-a", "batch-1", "ada@example.com", [new])
    assert again.replayed and again.answers == first.answers and remote.head() == 1
    stale = remote.push("clone-b", "batch-1", "bo@example.com", [Change("S-1", "stories/S-1.md", 0, "mine\n", "h2")])
    conflict = stale.answers[0]
    assert conflict.result == "conflict" and conflict.remote is not None
    assert (conflict.remote.version, conflict.remote.content, conflict.remote.author) == (
        1,
        "hello\n",
        "ada@example.com",
    )
    gone = remote.push("clone-a", "batch-2", "ada@example.com", [Change("S-1", "stories/S-1.md", 1, None, None)])
    assert gone.answers[0].version == 2
    page = remote.pull(0, 100)
    assert page.head == 2 and page.next_cursor == 2
    assert [(r.id, r.version, r.deleted, r.content) for r in page.rows] == [("S-1", 2, True, None)]
    assert remote.pull(2, 100).rows == []
    assert [h["version"] for h in remote.history("S-1", 10)] == [2, 1]


def test_locks(remote: PostgresRemote) -> None:
    assert remote.lock("S-1", "ada", 60).result == "locked"
    assert remote.lock("S-1", "bo", 60).holder == "ada"
    assert [lock["id"] for lock in remote.locks()] == ["S-1"]
    refused = remote.push("b", "1", "bo", [Change("S-1", "stories/S-1.md", 0, "x", "h")]).answers[0]
    assert (refused.result, refused.holder) == ("locked", "ada")
    assert remote.unlock("S-1", "bo", force=True).forced
    assert remote.locks() == []


def test_an_unreachable_remote_is_reported_as_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PostgresRemote(f"postgresql://ada:s3cret@127.0.0.1:{port}/db", "demo", connect_timeout=2)
    with pytest.raises(RemoteUnavailable) as caught:
        client.head()
    assert "s3cret" not in str(caught.value) and "ada:***@" in str(caught.value)
    assert isinstance(caught.value, RemoteError)


def test_a_stopped_server_then_back(database: str, postgres_url: str) -> None:
    """Connections the server drops surface as RemoteUnavailable; the next call reconnects."""
    with connect(database) as connection:
        migrations.migrate(connection)
    client = PostgresRemote(database, "demo")
    assert client.head() == 0
    with connect(postgres_url) as admin:  # drop every connection to the database, as a restart would
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database_name(database),)
        )
    with pytest.raises(RemoteUnavailable):
        client.head()
    assert client.head() == 0  # reconnected
    client.close()


def database_name(url: str) -> str:
    import psycopg

    return str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def test_redact() -> None:
    assert redact("postgresql://ada:pw@host:5432/db") == "postgresql://ada:***@host:5432/db"
    assert redact("postgresql://host/db") == "postgresql://host/db"
