"""The mirror's ``meta`` table, and every key of it in one place: a typo becomes an error, not a new key."""

from __future__ import annotations

import sqlite3
from enum import Enum


class MetaKey(str, Enum):
    """A key of the ``meta`` table (a str: it binds as a SQL parameter as is)."""

    # While set, the full-text triggers stand aside and the index is rebuilt once at the end
    # (triggers.FTS_TRIGGERS tests the key's presence; the value is always INDEX_DEFERRED_VALUE).
    INDEX_DEFERRED = "fts_bulk"
    FULL_SCAN_AT = "full_scan_at"  # when the whole work tree was last scanned
    GIT_HEAD = "git_head"  # the commit whose tree the git_heads table describes
    GIT_HEAD_BUILT_FOR = "git_head_built_for"  # the git fields and types git_heads was read with (gitfields)
    REMOTE_CURSOR = "remote_cursor"  # the remote change sequence number fetched up to
    APPLIED_CURSOR = "remote_applied_cursor"  # the cursor up to which fetched rows have been applied
    CLIENT_ID = "client_id"  # this clone's stable id towards the remote
    REMOTE_IDENTITY = "remote_identity"  # the remote (and project) the versions and cursor belong to
    REMOTE_DATABASE = "remote_database_id"  # the identity the remote database generated for itself (sql/0010)
    CLIENT_REGISTERED_AT = "client_registered_at"  # when this clone last registered (epoch seconds)
    # Set before a pull writes files, cleared once they are staged (sync.files.stage_shared): a pull cut
    # short, or a staging that failed (the index locked), leaves it, and the next pull stages them then.
    STAGING_DUE = "staging_due"

    def __str__(self) -> str:
        return self.value


INDEX_DEFERRED_VALUE = "deferred"


def get(db: sqlite3.Connection, key: MetaKey) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(db: sqlite3.Connection, key: MetaKey, value: str) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
    )


def put_if_absent(db: sqlite3.Connection, key: MetaKey, value: str) -> None:
    """Set ``key`` unless it is set already (a concurrent first writer wins)."""
    db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))


def delete(db: sqlite3.Connection, *keys: MetaKey) -> None:
    for key in keys:
        db.execute("DELETE FROM meta WHERE key = ?", (key,))
