"""Migrations on a real PostgreSQL: applied once, recorded, and a newer database refused."""

from __future__ import annotations

import pytest

from agentsync.errors import RemoteError
from agentsync.remotes import migrations
from tests.remotes.conftest import connect


def test_applies_what_is_missing_and_records_it(database: str) -> None:
    with connect(database) as connection:
        done = migrations.migrate(connection)
        assert [m.version for m in done] == [m.version for m in migrations.available()]
        assert migrations.applied(connection) == {m.version: m.name for m in migrations.available()}
        assert migrations.migrate(connection) == []  # nothing twice
        functions = {row[0] for row in connection.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'agentsync'::regnamespace")}  # fmt: skip
        assert {"push", "pull", "head", "lock", "unlock", "locks", "history", "add_member"} <= functions


def test_files_pasted_into_an_sql_editor_are_recognised(database: str) -> None:
    """The Supabase SQL-editor way: the first files run by hand, then `migrate` adds only the rest."""
    by_hand = migrations.available()[:2]
    with connect(database) as connection:
        for migration in by_hand:
            connection.execute(migration.sql)  # a trusted file of statements
        assert migrations.applied(connection) == {m.version: m.name for m in by_hand}
        done = migrations.migrate(connection)
        assert [m.version for m in done] == [m.version for m in migrations.available()[2:]]


def test_a_newer_database_is_refused(database: str) -> None:
    with connect(database) as connection:
        migrations.migrate(connection)
        connection.execute("INSERT INTO agentsync.schema_migrations (version, name) VALUES (999, 'from_the_future')")
        with pytest.raises(RemoteError, match=r"schema version 999 .*newer than this agentsync"):
            migrations.migrate(connection)


def test_remote_migrate_cli(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from agentsync.cli import cli

    runner = CliRunner()
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    result = runner.invoke(cli, ["remote", "migrate"], standalone_mode=False)
    assert "AGENTSYNC_DATABASE_URL" in str(result.exception)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", database)
    result = runner.invoke(cli, ["remote", "migrate"], standalone_mode=False)
    assert result.exception is None, result.output
    assert "applied 0001_core" in result.output
    result = runner.invoke(cli, ["remote", "migrate", "--db-url", database], standalone_mode=False)
    assert "nothing to apply" in result.output


def test_unreachable_remote_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from click.testing import CliRunner

    from tests.test_cli import _main_command

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", f"postgresql://ada:s3cret-pass@127.0.0.1:{port}/db")
    result = CliRunner().invoke(_main_command, ["remote", "migrate"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentsync: error: cannot reach postgresql://ada:***@127.0.0.1")
    assert "s3cret" not in result.output + result.stderr
