"""The ``git_heads`` table: artifact files in HEAD's tree (meta ``git_head`` names the commit)
and their git fields' values there."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from agentsync.store import meta
from agentsync.store.meta import MetaKey


class HeadRow(NamedTuple):
    path: str  # relative to the agentsync root, with /
    blob: str  # git blob id at HEAD
    id: str | None  # the artifact's key (TYPE:ID) at HEAD; None if it did not parse
    fields: str  # the git fields' values at HEAD, as JSON


def replace(db: sqlite3.Connection, head: str, rows: Iterable[HeadRow], gone: Iterable[str], *, full: bool) -> None:
    """Record the rows of commit ``head``: all of them (``full``), or what changed since the last."""
    if full:
        db.execute("DELETE FROM git_heads")
    db.executemany("DELETE FROM git_heads WHERE path = ?", [(p,) for p in gone])
    db.executemany("INSERT OR REPLACE INTO git_heads(path, blob, id, fields) VALUES (?,?,?,?)", rows)
    meta.put(db, MetaKey.GIT_HEAD, head)


def forget(db: sqlite3.Connection) -> None:
    """Make the next refresh rebuild the table from scratch."""
    meta.delete(db, MetaKey.GIT_HEAD)


def fields_at(db: sqlite3.Connection, artifact_id: str, path: str) -> str | None:
    """The git fields (JSON) at HEAD of the file at ``path``, else of ``artifact_id`` (after a rename)."""
    row = db.execute("SELECT fields FROM git_heads WHERE path = ?", (path,)).fetchone()
    if row is None:
        row = db.execute("SELECT fields FROM git_heads WHERE id = ?", (artifact_id,)).fetchone()
    return None if row is None else str(row[0])


def blob_at(db: sqlite3.Connection, path: str) -> str | None:
    row = db.execute("SELECT blob FROM git_heads WHERE path = ?", (path,)).fetchone()
    return None if row is None else str(row[0])


def all_rows(db: sqlite3.Connection) -> list[HeadRow]:
    return list(map(HeadRow._make, db.execute("SELECT path, blob, id, fields FROM git_heads")))
