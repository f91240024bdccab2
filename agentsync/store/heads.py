"""The ``git_heads`` table: artifact files in HEAD's tree (meta ``git_head`` names the commit)
and their git fields' values there."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from agentsync.store import meta
from agentsync.store.meta import MetaKey
from agentsync.store.query import select_in


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


def fields_of_many(db: sqlite3.Connection, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """``fields_at`` for many (key, path) pairs, a few batched queries instead of one or two per pair."""
    by_path: dict[str, str] = dict(select_in(db, "SELECT path, fields FROM git_heads", "path", [p for _, p in wanted]))
    missing = [key for key, path in wanted if path not in by_path]
    by_id: dict[str, str] = {}
    for key, fields in select_in(db, "SELECT id, fields FROM git_heads", "id", missing) if missing else ():
        by_id.setdefault(key, fields)
    return {(key, path): by_path[path] if path in by_path else by_id.get(key) for key, path in wanted}


def blob_at(db: sqlite3.Connection, path: str) -> str | None:
    row = db.execute("SELECT blob FROM git_heads WHERE path = ?", (path,)).fetchone()
    return None if row is None else str(row[0])


def all_rows(db: sqlite3.Connection) -> list[HeadRow]:
    return list(map(HeadRow._make, db.execute("SELECT path, blob, id, fields FROM git_heads ORDER BY rowid")))


class Narrowed(NamedTuple):
    """What ``gitfields.differences`` has to look at: the artifacts whose git fields may differ from
    HEAD's (key, path, fields, status), the HEAD rows those may be compared with, and the HEAD rows
    whose key no artifact has (deleted or unmirrored)."""

    sources: list[tuple[str, str, str, str | None]]
    at_head: list[HeadRow]
    missing: list[HeadRow]


_WIDE = 500  # more candidates than this: read every HEAD row rather than name them


def narrowed(db: sqlite3.Connection, git_fields: Sequence[str]) -> Narrowed | None:
    """The rows that may differ, found by SQLite's JSON functions in two queries, so an unchanged
    repository decodes nothing in Python. A superset: the caller compares these as it would all
    rows. None when a field's name cannot be written as a JSON path (the caller reads every row)."""
    if any('"' in name or "\\" in name for name in git_fields):
        return None
    tests: list[str] = []
    params: list[str] = []
    for name in git_fields:
        path = f'$."{name}"'
        if name == "status":  # an `.agent/cache` file's status line counts as `status` (gitfields.values_of)
            here = "CASE WHEN json_type(a.fields, ?) IS NULL THEN a.status ELSE json_extract(a.fields, ?) END"
            params += [path, path]
        else:
            here = "json_extract(a.fields, ?)"
            params.append(path)
        tests.append(f"({here}) IS NOT json_extract(h.fields, ?)")
        params.append(path)
    select = (
        "SELECT a.key, a.path, a.fields, a.status FROM artifacts a LEFT JOIN git_heads h ON h.path = a.path"
        " WHERE h.path IS NULL OR h.id IS NOT a.key" + "".join(f" OR {test}" for test in tests)
    )
    sources = list(db.execute(select, params))
    missing = list(
        map(HeadRow._make, db.execute(
            "SELECT path, blob, id, fields FROM git_heads h WHERE h.id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.key = h.id) ORDER BY h.rowid"
        ))
    )  # fmt: skip
    if len(sources) > _WIDE:
        return Narrowed(sources, all_rows(db), missing)
    paths, keys = [s[1] for s in sources], [s[0] for s in sources]
    marks = ",".join("?" * len(sources))
    at_head = list(
        map(HeadRow._make, db.execute(
            f"SELECT path, blob, id, fields FROM git_heads WHERE path IN ({marks}) OR id IN ({marks}) ORDER BY rowid",
            [*paths, *keys],
        ))
    ) if sources else []  # fmt: skip
    return Narrowed(sources, at_head, missing)
