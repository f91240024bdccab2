"""``agentsync remote migrate``: bring a remote PostgreSQL (or Supabase) database to this client's schema."""

from __future__ import annotations

import os

import click

from agentsync.errors import RemoteError, UsageError
from agentsync.remotes import DATABASE_URL_VARIABLE


def run_migrate(db_url: str | None) -> int:
    url = db_url or os.environ.get(DATABASE_URL_VARIABLE)
    if not url:
        raise UsageError(f"give the database with --db-url URL or the {DATABASE_URL_VARIABLE} environment variable")
    import psycopg

    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import connect, first_line, redact

    with connect(url) as connection:
        try:
            done = migrations.migrate(connection)
            version = max(migrations.applied(connection), default=0)
        except psycopg.Error as exc:
            raise RemoteError(f"migration failed on {redact(url)}: {first_line(exc)}") from None
    for migration in done:
        click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"the remote is at schema version {version}" + ("" if done else " (nothing to apply)"))
    return 0
