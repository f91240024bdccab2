"""PostgresRemote on a real PostgreSQL: reaching the server, losing it, redaction. What it answers
(push, pull, locks, history) is the protocol suite's, in test_protocol.py."""

from __future__ import annotations

import socket

import pytest

from agentsync.errors import RemoteError
from agentsync.remotes import migrations
from agentsync.remotes.postgres import PostgresRemote, RemoteUnavailable, redact
from tests.remotes.conftest import connect


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
