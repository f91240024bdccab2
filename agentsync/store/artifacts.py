"""The ``artifacts`` table, its full-text index and the ``problems`` of the last scan.

Functions take the connection (in the caller's transaction when they write) and speak in typed rows;
the scanner's bulk paths pass lists of ``Record``: one ``executemany`` per batch, no per-row work here.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from agentsync import lazy
from agentsync.store import fill, generations
from agentsync.store.fill import index_after as index_after  # the scanner's bulk fill, split off
from agentsync.store.fill import indexes_built_after as indexes_built_after
from agentsync.store.fill import rebuild_index as rebuild_index
from agentsync.store.query import select_in, select_many

_ROW_COLUMNS = "id, path, type, title, status, version, layout, hash, size"


class ArtifactRow(NamedTuple):
    """One mirrored artifact, as ``ls`` and ``show`` report it (a tuple: 10,000 of them build fast)."""

    id: str
    path: str
    type: str
    title: str
    status: str | None
    version: int
    layout: str
    hash: str
    size: int

    @property
    def key(self) -> str:
        """The artifact's identity, ``TYPE:ID`` (``agentsync.identity``)."""
        return f"{self.type}:{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "version": self.version,
            "path": self.path,
            "hash": self.hash,
        }


class SearchHit(NamedTuple):
    row: ArtifactRow
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return {**self.row.to_json(), "snippet": self.snippet}


class Record(NamedTuple):
    """A file's row as the scanner writes it, in the order of ``_INSERT``'s and ``_UPDATE``'s
    parameters; ``hash`` is both the content's and the file's as last seen (``disk_hash``)."""

    path: str
    type: str
    title: str
    status: str | None
    version: int
    layout: str
    fields: str  # JSON
    content: str
    hash: str
    size: int
    mtime_ns: int
    mirrored_at: str
    id: str


class Known(NamedTuple):
    """What the scanner needs of a row to see whether its file changed."""

    path: str
    pk: int
    key: str  # TYPE:ID
    disk_hash: str  # the file's hash when last mirrored or written
    size: int
    mtime_ns: int


class StatUpdate(NamedTuple):
    size: int
    mtime_ns: int
    path: str


class ProblemRow(NamedTuple):
    """A file the last scan could not mirror (``line`` None: the file as a whole)."""

    path: str
    line: int | None
    message: str


class ExportStat(NamedTuple):
    """What export needs of a row to skip a file that is in step without reading its content."""

    pk: int
    path: str
    type: str
    hash: str
    disk_hash: str
    size: int
    mtime_ns: int


class ExportRow(NamedTuple):
    path: str
    type: str
    content: str
    hash: str
    disk_hash: str


class FieldSource(NamedTuple):
    """The columns git fields are read from."""

    key: str  # TYPE:ID
    path: str
    fields: str  # JSON
    status: str | None


class InStep(NamedTuple):
    """A row whose content is the work-tree file's (``hash = disk_hash``)."""

    path: str
    key: str  # TYPE:ID
    fields: str  # JSON
    status: str | None
    content: str


# -- reads for users --------------------------------------------------------------


def _rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[ArtifactRow]:
    return list(map(ArtifactRow._make, db.execute(sql, params)))


def get(db: sqlite3.Connection, key: str) -> ArtifactRow | None:
    """The artifact whose key (``TYPE:ID``) is ``key``."""
    rows = _rows(db, f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE key = ?", (key,))
    return rows[0] if rows else None


def with_id(db: sqlite3.Connection, artifact_id: str, *, nocase: bool = False) -> list[ArtifactRow]:
    """Every artifact (of any type) whose id is ``artifact_id``."""
    collate = " COLLATE NOCASE" if nocase else ""
    return _rows(db, f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE id = ?{collate} ORDER BY type", (artifact_id,))


def at_path(db: sqlite3.Connection, path: str) -> ArtifactRow | None:
    rows = _rows(db, f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE path = ?", (path,))
    return rows[0] if rows else None


def content(db: sqlite3.Connection, key: str) -> str | None:
    found = db.execute("SELECT content FROM artifacts WHERE key = ?", (key,)).fetchone()
    return None if found is None else str(found[0])


def fields_json(db: sqlite3.Connection, key: str) -> str | None:
    found = db.execute("SELECT fields FROM artifacts WHERE key = ?", (key,)).fetchone()
    return None if found is None else str(found[0])


def listing(db: sqlite3.Connection, type_name: str | None = None, status: str | None = None) -> list[ArtifactRow]:
    clauses, params = [], []
    if type_name:
        clauses.append("type = ?")
        params.append(type_name)
    if status:
        clauses.append("status = ? COLLATE NOCASE")
        params.append(status)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return _rows(db, f"SELECT {_ROW_COLUMNS} FROM artifacts {where} ORDER BY id, type", tuple(params))


def count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM artifacts").fetchone()[0])


def ids(db: sqlite3.Connection) -> set[str]:
    """Every id in use, of any type."""
    return {row[0] for row in db.execute("SELECT id FROM artifacts")}


def types(db: sqlite3.Connection) -> set[str]:
    """Every type a mirrored artifact has (a frontmatter ``type:`` may name one the config does not)."""
    return {row[0] for row in db.execute("SELECT DISTINCT type FROM artifacts")}


def paths_by_key(db: sqlite3.Connection) -> dict[str, str]:
    return dict(db.execute("SELECT key, path FROM artifacts"))


def claimants(db: sqlite3.Connection, key: str) -> list[tuple[str, str]]:
    """(path, type) of the row holding ``key``, if any."""
    return [(path, type_name) for path, type_name in db.execute(
        "SELECT path, type FROM artifacts WHERE key = ?", (key,))]  # fmt: skip


def search(db: sqlite3.Connection, text: str, limit: int = 20) -> list[SearchHit]:
    """Full-text search; FTS5 syntax works, and plain words always do. A hyphenated word (an id such
    as ``INFRA-004``) is one phrase, not two words, and the artifact with that exact id (as typed, in
    upper or in lower case) comes first."""
    sql = (
        f"SELECT {', '.join('a.' + c.strip() for c in _ROW_COLUMNS.split(','))}, "
        "snippet(artifacts_fts, 1, '[', ']', '…', 12) "
        "FROM artifacts_fts JOIN artifacts a ON a.pk = artifacts_fts.rowid "
        "WHERE artifacts_fts MATCH ? ORDER BY rank LIMIT ?"
    )
    query = text if '"' in text else _HYPHENATED().sub(r'"\1"', text)
    try:
        rows = db.execute(sql, (query, limit)).fetchall()
    except sqlite3.OperationalError:
        rows = db.execute(sql, (_as_plain_words(text), limit)).fetchall()
    hits = [SearchHit(ArtifactRow(*row[:-1]), " ".join(row[-1].split())) for row in rows]
    key = text.strip().strip('"')
    if not key or key.split()[0] != key:  # words, not an id
        return hits
    same = (key, key.upper(), key.lower())  # through the id index: no scan of 10,000 rows
    exact = _rows(db, f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE id IN (?, ?, ?) ORDER BY id, type", same)
    if not exact:
        return hits
    snippets = {hit.row.key: hit.snippet for hit in hits}
    exact_keys = {row.key for row in exact}
    first = [SearchHit(row, snippets.get(row.key, row.title)) for row in exact]
    return (first + [hit for hit in hits if hit.row.key not in exact_keys])[:limit]


# A word with hyphens inside (``INFRA-004``, ``task-12``): FTS5 reads the hyphen as syntax, so it is
# quoted as a phrase (its parts adjacent, in order).
_HYPHENATED = lazy.pattern(r"(?<![\w-])(\w+(?:-\w+)+)(?![\w-])")


def _as_plain_words(text: str) -> str:
    """Quote each word so FTS5 syntax characters in user text are searched literally."""
    words = re.findall(r"\w+(?:-\w+)*", text)
    return " ".join(f'"{w}"' for w in words) or '""'


# -- the scanner ------------------------------------------------------------------


def stat_cache(db: sqlite3.Connection, paths: Sequence[str] | None = None) -> set[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every row or of ``paths``: enough to see that nothing changed.
    One query into a set of the rows as SQLite returns them (no Python work per row)."""
    if paths is None:
        return set(db.execute("SELECT path, size, mtime_ns FROM artifacts"))
    return set(select_in(db, "SELECT path, size, mtime_ns FROM artifacts", "path", paths))


def stat_generation(db: sqlite3.Connection) -> int:
    """A random number drawn anew with every change of a row's path, size or mtime_ns, and every row
    added or removed (triggers.STAT_TRIGGERS): while it stands still, what the scanner's folder listings
    recorded of the rows' stats is what the rows hold. Random, not counted: a rebuilt mirror, or one
    restored from a copy, does not come back to a number an old listing holds."""
    return int(db.execute("SELECT value FROM stat_generation").fetchone()[0])


def known(db: sqlite3.Connection, paths: Sequence[str]) -> dict[str, Known]:
    """The rows of ``paths``: through the path index, or in one pass when they are most of the table."""
    select = "SELECT path, pk, key, disk_hash, size, mtime_ns FROM artifacts"
    return {row[0]: Known._make(row) for row in select_many(db, select, "path", paths, 0, lambda: count(db))}


def holders(db: sqlite3.Connection, keys: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(key, path) of the rows holding ``keys``."""
    return iter(select_many(db, "SELECT key, path FROM artifacts", "key", keys, 0, lambda: count(db)))


_INSERT = (
    "INSERT INTO artifacts(path, type, title, status, version, layout, fields, content, hash, size, "
    "mtime_ns, mirrored_at, id, disk_hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?9)"
)
_UPDATE = (
    "UPDATE artifacts SET path=?1, type=?2, title=?3, status=?4, version=?5, layout=?6, fields=?7, content=?8, "
    "hash=?9, size=?10, mtime_ns=?11, mirrored_at=?12, disk_hash=?9 WHERE key = ?2 || ':' || ?13"
)


def insert(db: sqlite3.Connection, records: Sequence[Record]) -> None:
    with fill.inserting(db, len(records)):  # many rows: without their triggers
        db.executemany(_INSERT, records)


def update(db: sqlite3.Connection, records: Iterable[Record]) -> None:
    """Rewrite rows by key (a rename sets the new path)."""
    db.executemany(_UPDATE, records)


def update_stats(db: sqlite3.Connection, stats: Iterable[StatUpdate]) -> None:
    """Files whose content is unchanged but whose stat moved (touched, or racy last time)."""
    db.executemany("UPDATE artifacts SET size = ?, mtime_ns = ? WHERE path = ?", stats)


def delete_paths(db: sqlite3.Connection, paths: Iterable[str]) -> None:
    db.executemany("DELETE FROM artifacts WHERE path = ?", [(p,) for p in paths])


def delete_keys(db: sqlite3.Connection, keys: Iterable[str], *, index_deferred: bool = False) -> None:
    """Delete rows by key; while the index is deferred their index entries go first, by hand."""
    rows = [(i,) for i in keys]
    if index_deferred:
        db.executemany(
            "INSERT INTO artifacts_fts(artifacts_fts, rowid, title, content) "
            "SELECT 'delete', pk, title, content FROM artifacts WHERE key = ?",
            rows,
        )
    db.executemany("DELETE FROM artifacts WHERE key = ?", rows)


def park(db: sqlite3.Connection, keys: Iterable[str]) -> None:
    """Move rows out of the way of the paths they are about to take (paths are unique)."""
    db.executemany("UPDATE artifacts SET path = char(0) || 'moving/' || pk WHERE key = ?", [(i,) for i in keys])


def record_problems(db: sqlite3.Connection, scope: Sequence[str] | None, rows: Iterable[ProblemRow], now: str) -> None:
    """Replace the recorded problems of every path a scan looked at (``scope`` None: all). A change draws
    a new comparison generation (store.generations): ``gitfields.differences`` tells by them an artifact
    deleted from one refused, and why; the same problems found again keep it."""
    rows = list(rows)
    touched = None if scope is None else sorted({*scope, *(row[0] for row in rows)})
    before = _problems_of(db, touched)
    if scope is None:
        db.execute("DELETE FROM problems")
    else:
        db.executemany("DELETE FROM problems WHERE path = ?", [(p,) for p in scope])
    db.executemany(
        "INSERT INTO problems(path, line, message, seen_at) VALUES (?,?,?,?) "
        "ON CONFLICT(path) DO UPDATE SET line = excluded.line, message = excluded.message",
        [(*row, now) for row in rows],
    )
    if _problems_of(db, touched) != before:
        generations.renew(db)


def _problems_of(db: sqlite3.Connection, paths: Sequence[str] | None) -> set[tuple[Any, ...]]:
    select = "SELECT path, line, message FROM problems"
    return set(db.execute(select) if paths is None else select_in(db, select, "path", paths))


def has_problems(db: sqlite3.Connection, scope: Sequence[str] | None) -> bool:
    """Whether any problem is recorded (for ``scope``: of those paths), so a clean scan can skip the write."""
    if scope is None:
        return db.execute("SELECT 1 FROM problems LIMIT 1").fetchone() is not None
    return any(True for _ in select_in(db, "SELECT 1 FROM problems", "path", scope))


def problems(db: sqlite3.Connection) -> list[ProblemRow]:
    return list(map(ProblemRow._make, db.execute("SELECT path, line, message FROM problems ORDER BY path")))


# -- export, bundles, git fields ------------------------------------------------------


def export_stats(db: sqlite3.Connection) -> list[ExportStat]:
    """Every row without its content (most rows are skipped on their stat), by path."""
    sql = "SELECT pk, path, type, hash, disk_hash, size, mtime_ns FROM artifacts ORDER BY path"
    return list(map(ExportStat._make, db.execute(sql)))


def content_of(db: sqlite3.Connection, pk: int) -> str:
    return str(db.execute("SELECT content FROM artifacts WHERE pk = ?", (pk,)).fetchone()[0])


def export_rows(db: sqlite3.Connection) -> Iterator[ExportRow]:
    return map(ExportRow._make, db.execute("SELECT path, type, content, hash, disk_hash FROM artifacts ORDER BY path"))


def bundle_rows(db: sqlite3.Connection, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every row as a dict of ``columns``, by id and type."""
    for row in db.execute(f"SELECT {', '.join(columns)} FROM artifacts ORDER BY id, type"):
        yield dict(zip(columns, row, strict=False))


def field_sources(db: sqlite3.Connection) -> Iterator[FieldSource]:
    return map(FieldSource._make, db.execute("SELECT key, path, fields, status FROM artifacts"))


def in_step(db: sqlite3.Connection, paths: Sequence[str] | None) -> Iterator[InStep]:
    """Rows whose content is the work-tree file's, of ``paths`` (None: all)."""
    select = "SELECT path, key, fields, status, content FROM artifacts WHERE hash = disk_hash"
    if paths is None:
        return map(InStep._make, db.execute(select))
    return (InStep._make(row) for path in paths for row in db.execute(f"{select} AND path = ?", (path,)))
