"""Applying ``sql/`` to a remote database: what is missing, in order, each recorded.

Every migration runs in one transaction under an advisory lock, so two clients migrating
at once cannot both apply one. A database that has a migration this client does not know
is refused: an older client must not write to a newer schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from agentsync.errors import RemoteError

_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql\Z")
LOCK_KEY = 0x61676E73  # "agns": the advisory lock migrations take


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def _sql_folder() -> Any:
    """The migrations: packaged in a wheel (``agentsync.sql``), or the source tree's ``sql/``."""
    try:
        packaged = resources.files("agentsync.sql")
        if any(_NAME.match(p.name) for p in packaged.iterdir()):
            return packaged
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    return Path(__file__).resolve().parent.parent.parent / "sql"


def available() -> list[Migration]:
    found = []
    for entry in _sql_folder().iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RemoteError(f"sql/ migrations must be numbered 0001, 0002, … without gaps; found {versions}")
    return found


def applied(connection: Any) -> dict[int, str]:
    """Migrations recorded in the database (empty if it has none yet)."""
    exists = connection.execute("SELECT to_regclass('agentsync.schema_migrations')").fetchone()[0]
    if exists is None:
        return {}
    return dict(connection.execute("SELECT version, name FROM agentsync.schema_migrations ORDER BY version"))


def migrate(connection: Any) -> list[Migration]:
    """Apply the missing migrations to a psycopg connection; return those applied."""
    known = available()
    done: list[Migration] = []
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        connection.execute("CREATE SCHEMA IF NOT EXISTS agentsync")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS agentsync.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        present = applied(connection)
        newest = max(present, default=0)
        if newest > len(known):
            raise RemoteError(
                f"the remote database has schema version {newest} ({present[newest]}), newer than this "
                f"agentsync knows ({len(known)}); upgrade agentsync"
            )
        for migration in known:
            if migration.version in present:
                continue
            connection.execute(migration.sql)
            connection.execute(
                "INSERT INTO agentsync.schema_migrations (version, name) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (migration.version, migration.name),
            )
            done.append(migration)
    return done
