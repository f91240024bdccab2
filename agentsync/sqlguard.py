"""What ``agentsync query`` lets SQL do: read the mirror, nothing else.

The connection is opened read-only (``mode=ro``, ``query_only``), but that does not stop
``ATTACH 'x.db'`` or ``VACUUM INTO 'x.db'`` from creating a file anywhere, nor a TEMP
table from writing one. SQLite's authorizer is asked for every action while a statement
is prepared, before anything runs, so a refused statement has done nothing: only
reading (SELECT, column reads, functions, recursive CTEs) and the pragmas that report
are allowed.
"""

from __future__ import annotations

import re
import sqlite3

from agentsync.errors import QueryRefused

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
# Pragmas that only report; those in _WITH_ARGUMENT take a table or index name, not a new value.
_REPORTING_PRAGMAS = {
    "application_id", "collation_list", "compile_options", "data_version", "database_list", "encoding",
    "freelist_count", "function_list", "module_list", "page_count", "page_size", "pragma_list",
    "schema_version", "table_list", "user_version",
}  # fmt: skip
_WITH_ARGUMENT = {
    "foreign_key_list", "index_info", "index_list", "index_xinfo", "integrity_check", "quick_check",
    "table_info", "table_xinfo",
}  # fmt: skip
_REFUSED_FUNCTIONS = {"load_extension"}
_SCHEMA_TABLES = {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}
_NAMES = {
    sqlite3.SQLITE_ATTACH: "ATTACH", sqlite3.SQLITE_DETACH: "DETACH", sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE", sqlite3.SQLITE_TRANSACTION: "a transaction",
    sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT", sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE", sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ANALYZE: "ANALYZE",
}  # fmt: skip


class ReadOnlyGuard:
    """An authorizer for ``sqlite3.Connection.set_authorizer``; remembers what it refused."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(self, action: int, first: str | None, second: str | None, _db: str | None, _by: str | None) -> int:
        if self._allowed(action, first, second):
            return sqlite3.SQLITE_OK
        if self.refused is None:
            self.refused = self._name(action, first)
        return sqlite3.SQLITE_DENY

    @staticmethod
    def _allowed(action: int, first: str | None, second: str | None) -> bool:
        if action == sqlite3.SQLITE_FUNCTION:
            return (second or "").lower() not in _REFUSED_FUNCTIONS
        if action in _ALLOWED:
            return True
        if action == sqlite3.SQLITE_PRAGMA:
            name = (first or "").lower()
            return name in _WITH_ARGUMENT or (name in _REPORTING_PRAGMAS and second is None)
        # FTS5 asks for this while it connects its table for a first MATCH; on a read-only
        # connection such an UPDATE can never run, so it is let through.
        return action == sqlite3.SQLITE_UPDATE and first in _SCHEMA_TABLES

    @staticmethod
    def _name(action: int, first: str | None) -> str:
        if action == sqlite3.SQLITE_PRAGMA:
            return f"PRAGMA {first}"
        if action == sqlite3.SQLITE_FUNCTION:
            return "load_extension()"
        return _NAMES.get(action, "writing (CREATE, DROP)")


def guard(connection: sqlite3.Connection) -> ReadOnlyGuard:
    """Install the read-only authorizer on ``connection``."""
    authorizer = ReadOnlyGuard()
    connection.set_authorizer(authorizer)
    return authorizer


def refusal(authorizer: ReadOnlyGuard, sql: str) -> QueryRefused | None:
    """The one-line error for a statement the authorizer refused, else None."""
    if authorizer.refused is None:
        return None
    what = authorizer.refused
    first = re.match(r"\s*([A-Za-z]+)", sql)
    keyword = first.group(1).upper() if first else ""
    if keyword and keyword not in ("SELECT", "WITH", "VALUES", "PRAGMA") and not what.endswith("()"):
        what = keyword  # the statement's own word (VACUUM INTO attaches its file, CREATE TEMP inserts)
    return QueryRefused(f"query is read-only: {what} is not allowed")
