"""The mirror's SQLite schema, versioned with ``PRAGMA user_version``.

Plain tables and columns, so the mirror opens in sqlite-utils or Datasette as is.
Each migration runs once, in order, inside the transaction that opens the mirror;
a mirror written by a newer agentsync is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from agentsync.errors import MirrorError
from agentsync.store.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(
    connection: sqlite3.Connection, db_name: str, type_of: Callable[[str], str | None] = lambda path: None
) -> int:
    """Bring the schema up to date; return the version it was at. Caller holds a write transaction.
    ``type_of`` gives a path's type by the config (migration 10 keys rows no artifact names)."""
    current = connection.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise MirrorError(
            f"{db_name} has schema version {current}, newer than this agentsync understands ({SCHEMA_VERSION}); "
            "upgrade agentsync, or delete the file to rebuild the mirror with `agentsync mirror`"
        )
    if current < SCHEMA_VERSION:
        _register_functions(connection, db_name)
        connection.create_function("agentsync_type_of", 1, type_of, deterministic=True)
    secure_delete = connection.execute("PRAGMA secure_delete").fetchone()[0]  # a migration may turn it on
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in _statements(MIGRATIONS[version - 1]):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {version}")
    connection.execute(f"PRAGMA secure_delete = {int(secure_delete)}")
    return int(current)


def _register_functions(connection: sqlite3.Connection, db_name: str) -> None:
    """The Python functions migrations call (SQLite has no regular-expression replace of its own)."""
    from pathlib import Path

    from agentsync.secrets import redact, redact_identity

    def scrub_state_files() -> int:
        from agentsync.log import scrub_state_files

        return len(scrub_state_files(Path(db_name).parent)) if db_name != ":memory:" else 0

    connection.create_function("agentsync_redact", 1, redact, deterministic=True)
    connection.create_function("agentsync_redact_identity", 1, redact_identity, deterministic=True)
    connection.create_function("agentsync_scrub_state_files", 0, scrub_state_files)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers contain ';' inside BEGIN…END)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
