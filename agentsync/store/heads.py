"""The ``git_heads`` table: artifact files in HEAD's tree (meta ``git_head`` names the commit)
and their git fields' values there."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from agentsync.store import generations, meta
from agentsync.store.meta import MetaKey
from agentsync.store.query import select_in


class HeadRow(NamedTuple):
    path: str  # relative to the agentsync root, with /
    blob: str  # git blob id at HEAD
    id: str | None  # the artifact's key (TYPE:ID) at HEAD; None if it did not parse
    fields: str  # the git fields' values at HEAD, as JSON
    hash: str | None = None  # sha256 of the blob's bytes (``artifacts.hash`` of a file with them); None: unknown


def replace(
    db: sqlite3.Connection, head: str, rows: Iterable[HeadRow], gone: Iterable[str], *, full: bool, built_for: str
) -> None:
    """Record the rows of commit ``head``: all of them (``full``), or what changed since the last;
    ``built_for`` names the config they were read with (``gitfields.built_for_config``)."""
    if full:
        db.execute("DELETE FROM git_heads")
    db.executemany("DELETE FROM git_heads WHERE path = ?", [(p,) for p in gone])
    db.executemany("INSERT OR REPLACE INTO git_heads(path, blob, id, fields, hash) VALUES (?,?,?,?,?)", rows)
    generations.renew(db)
    meta.put(db, MetaKey.GIT_HEAD, head)
    meta.put(db, MetaKey.GIT_HEAD_BUILT_FOR, built_for)


def forget(db: sqlite3.Connection) -> None:
    """Make the next refresh rebuild the table from scratch."""
    meta.delete(db, MetaKey.GIT_HEAD)


def recorded(db: sqlite3.Connection) -> tuple[str | None, str | None]:
    """(the commit the table describes, the config it was read with: ``replace``'s ``built_for``)."""
    found = dict(
        db.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", (MetaKey.GIT_HEAD, MetaKey.GIT_HEAD_BUILT_FOR))
    )
    return found.get(MetaKey.GIT_HEAD.value), found.get(MetaKey.GIT_HEAD_BUILT_FOR.value)


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


class AgreedAtHead(NamedTuple):
    """An agreed artifact whose file may be back at HEAD's text of it when it was agreed (``sync.restored``)."""

    key: str  # TYPE:ID
    path: str  # the agreed path
    version: int  # the agreed version
    head_hash: str  # HEAD's text of the artifact then ('': HEAD had none)
    local_hash: str | None  # the file's as mirrored; None: no such artifact here now
    local_path: str | None


def agreed_at_head(db: sqlite3.Connection, keys: Sequence[str]) -> list[AgreedAtHead]:
    """Of the agreed artifacts ``keys`` (agreed deleted too), those whose file holds exactly HEAD's text of
    them when they were agreed, and those gone (not agreed deleted) where HEAD had none then."""
    rows = select_in(db, "SELECT b.key, b.path, b.version, b.head_hash, a.hash, a.path, b.deleted FROM sync_base b "
                         "LEFT JOIN artifacts a ON a.key = b.key", "b.key", keys)  # fmt: skip
    return [AgreedAtHead(*row[:6]) for row in rows if row[2] > 0 and may_be_back(row[3], row[4], bool(row[6]))]


def may_be_back(head_then: str | None, file_hash: str | None, agreed_deleted: bool) -> bool:
    """Whether a file may be back at HEAD's text of its artifact when it was agreed (``head_then``; None:
    unknown): it holds that text, or it is gone where HEAD had none and was not agreed deleted."""
    if head_then is None:
        return False
    return file_hash == head_then if file_hash is not None else head_then == "" and not agreed_deleted


def by_key(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """(path, sha256) of HEAD's file of each of ``keys`` that HEAD has (the hash None: its blob did not parse)."""
    return {key: (path, digest) for key, path, digest in select_in(db, "SELECT id, path, hash FROM git_heads", "id",
                                                                   list(keys))}  # fmt: skip


def has_paths(db: sqlite3.Connection, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` HEAD has a file at."""
    return {row[0] for row in select_in(db, "SELECT path FROM git_heads", "path", list(paths))}


_COLUMNS = "path, blob, id, fields, hash"


def all_rows(db: sqlite3.Connection) -> list[HeadRow]:
    return list(map(HeadRow._make, db.execute(f"SELECT {_COLUMNS} FROM git_heads ORDER BY rowid")))


class Narrowed(NamedTuple):
    """What ``gitfields.differences`` has to look at: the artifacts whose git fields may differ from
    HEAD's (key, path, fields, status), the HEAD rows those may be compared with, and the HEAD rows
    whose key no artifact has (deleted or unmirrored)."""

    sources: list[tuple[str, str, str, str | None]]
    at_head: list[HeadRow]
    missing: list[HeadRow]


_WIDE = 500  # more candidates than this: read every HEAD row rather than name them
# The artifacts HEAD has not at the same path, with the same key and the same bytes, and the keys HEAD
# has that no artifact has: each a merge of two indexes read in the same order (``artifacts_sync`` and
# ``git_heads_id``, ``artifacts_key``; migration 13), so an unchanged repository reads no row of
# either table and looks up no key. (A subquery's ORDER BY is kept, and so the merge, only with a LIMIT.)
_NOT_AS_AT_HEAD = (
    "SELECT key, hash, path FROM artifacts EXCEPT SELECT id, hash, path FROM git_heads ORDER BY 1, 2, 3 LIMIT -1"
)
_GONE = "SELECT id FROM git_heads WHERE id IS NOT NULL EXCEPT SELECT key FROM artifacts ORDER BY 1 LIMIT -1"


def narrowed(db: sqlite3.Connection, git_fields: Sequence[str]) -> Narrowed | None:
    """The rows that may differ, found by SQLite's JSON functions in two queries, so an unchanged
    repository decodes nothing in Python. A superset: the caller compares these as it would all
    rows. None when a field's name cannot be written as a JSON path (the caller reads every row).

    Only files not as at HEAD are looked at (``_NOT_AS_AT_HEAD``): one with HEAD's key, path and bytes
    (``h.hash = a.hash``; the artifact's fields were read from the content of that hash) has HEAD's
    values, read from the same bytes, and neither side's JSON is parsed. A HEAD row without a hash
    (NULL) is compared field by field, as any other."""
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
        "SELECT a.key, a.path, a.fields, a.status FROM (" + _NOT_AS_AT_HEAD + ") d JOIN artifacts a ON a.key = d.key"
        " LEFT JOIN git_heads h ON h.path = a.path WHERE h.path IS NULL OR h.id IS NOT a.key"
        + "".join(f" OR {test}" for test in tests)
    )
    sources = list(db.execute(select, params))
    missing = list(
        map(HeadRow._make, db.execute(f"SELECT {_COLUMNS} FROM git_heads WHERE id IN ({_GONE}) ORDER BY rowid"))
    )
    if len(sources) > _WIDE:
        return Narrowed(sources, all_rows(db), missing)
    paths, keys = [s[1] for s in sources], [s[0] for s in sources]
    marks = ",".join("?" * len(sources))
    at_head = list(
        map(HeadRow._make, db.execute(
            f"SELECT {_COLUMNS} FROM git_heads WHERE path IN ({marks}) OR id IN ({marks}) ORDER BY rowid",
            [*paths, *keys],
        ))
    ) if sources else []  # fmt: skip
    return Narrowed(sources, at_head, missing)
