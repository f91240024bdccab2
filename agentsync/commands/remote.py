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
    try:
        import psycopg
    except ImportError as exc:
        raise RemoteError("the PostgreSQL driver is missing: pip install 'agentsync[remote]'") from exc
    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import redact

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            done = migrations.migrate(connection)
            version = max(migrations.applied(connection), default=0)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RemoteError(f"cannot reach {redact(url)}: {reason}") from None
    except psycopg.Error as exc:
        raise RemoteError(f"migration failed on {redact(url)}: {str(exc).strip().splitlines()[0]}") from None
    for migration in done:
        click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"the remote is at schema version {version}" + ("" if done else " (nothing to apply)"))
    return 0
