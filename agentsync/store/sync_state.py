"""The mirror's sync state, the only SQL on it: what was agreed with the remote (``sync_base``),
the rows fetched from it (``remote_rows``), conflicts, notes for the next push's history and rows
refused and kept aside (``quarantine``; batches waiting for an answer are ``store.outbox``, the
journal of sync operations ``store.operations``). Functions take the connection (inside the
caller's transaction when they write) and speak in typed rows."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from agentsync.store import generations, outbox
from agentsync.store.query import select_in

if TYPE_CHECKING:
    from agentsync.artifact import Layout

ConflictKind = Literal["push", "pull", "merge"]
"""Why a conflict is open: a push the remote refused (another version was there), a pull that could
not land (its target holds another file), a merge that left markers (its three sides are kept)."""

_SYNC_TABLES = ("sync_base", "remote_rows", "conflicts", "outbox", "quarantine")  # outbox_texts: cascade


class Agreed(NamedTuple):
    """What was last agreed with the remote for one artifact (``hash`` None: a tombstone)."""

    key: str  # TYPE:ID
    path: str
    version: int
    hash: str | None
    deleted: int
    content: str | None = None


class Fetched(NamedTuple):
    """A fetched row not applied yet, beside what was last agreed for its artifact (None: never)."""

    key: str  # TYPE:ID
    path: str
    version: int
    deleted: int
    author: str
    seq: int
    base_path: str | None
    base_version: int | None
    base_hash: str | None
    base_deleted: int | None
    base_head_hash: str | None = None  # HEAD's text at the agreed path when agreed (sync_base.head_hash)


class Local(NamedTuple):
    """An artifact as the mirror read it from its file: what push and pull compare with the base."""

    key: str  # TYPE:ID
    path: str
    hash: str
    layout: Layout
    version: int


class ConflictRow(NamedTuple):
    key: str  # TYPE:ID
    path: str
    kind: ConflictKind
    remote_version: int
    remote_author: str | None
    message: str
    recorded_at: str
    base: str | None = None
    ours: str | None = None
    theirs: str | None = None
    theirs_hash: str | None = None

    @property
    def id(self) -> str:
        """The id part of ``key`` (unique within its type only)."""
        return self.key.partition(":")[2] if ":" in self.key else self.key

    def to_json(self) -> dict[str, Any]:
        """What `conflicts --json` shows: the conflict without its three texts."""
        from agentsync.identity import split_key

        keys = ("key", "path", "kind", "remote_version", "remote_author", "message", "recorded_at")
        return {**{key: getattr(self, key) for key in keys}, **split_key(self.key)._asdict()}


class QuarantineRow(NamedTuple):
    key: str  # TYPE:ID
    version: int
    path: str
    author: str
    reason: str
    seq: int
    recorded_at: str


# Rows fetched (``r``) newer than agreed (``b``), less one kept aside at that version: what a pull applies.
# Each EXCEPT here merges two indexes in key order (migration 13; a subquery keeps its ORDER BY with a LIMIT).
_FETCHED_NOT_APPLIED = (
    "FROM (SELECT key, version FROM remote_rows EXCEPT SELECT key, version FROM sync_base ORDER BY 1, 2 LIMIT -1) n "
    "JOIN remote_rows r ON r.key = n.key LEFT JOIN sync_base b ON b.key = r.key LEFT JOIN quarantine q ON "
    "q.key = r.key AND q.version = r.version WHERE (b.key IS NULL OR r.version > b.version) AND q.key IS NULL"
)


# --- the state as a whole -----------------------------------------------------------------------


def has_sync_state(db: sqlite3.Connection) -> bool:
    """Whether anything was agreed, fetched or queued (the cursor is asked for separately)."""
    return any(db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in ("sync_base", "remote_rows", "outbox"))


def clear(db: sqlite3.Connection) -> None:
    """Forget every row agreed with, fetched from or queued for the remote."""
    for table in _SYNC_TABLES:
        db.execute(f"DELETE FROM {table}")
    generations.renew(db)


# --- push: local changes, the outbox, answers ---------------------------------------------------


class Differing(NamedTuple):
    """A mirrored artifact whose file is not what was agreed: never agreed (``agreed_version`` None),
    agreed as deleted, or another hash or path."""

    key: str  # TYPE:ID
    path: str
    hash: str
    layout: Layout
    version: int  # the version its file states
    agreed_version: int | None


# Artifacts with an open conflict (``conflicts``) wait until it is resolved: neither query lists them.
_NOT_WAITING = "NOT IN (SELECT key FROM conflicts)"
_DIFFERING = (
    "FROM (SELECT key, hash, path FROM artifacts EXCEPT SELECT key, hash, path FROM sync_base WHERE deleted = 0 "
    "ORDER BY 1, 2, 3 LIMIT -1) d JOIN artifacts a ON a.key = d.key LEFT JOIN sync_base b ON b.key = a.key "
    f"WHERE a.key {_NOT_WAITING} ORDER BY a.key"
)


def locals_differing(db: sqlite3.Connection) -> list[Differing]:
    """The artifacts whose (key, hash, path) was not agreed, by key (``_DIFFERING``): only those leave SQLite."""
    query = f"SELECT a.key, a.path, a.hash, a.layout, a.version, b.version {_DIFFERING}"
    return list(map(Differing._make, db.execute(query)))


def differing_keys(db: sqlite3.Connection, layout: str) -> list[tuple[str, str | None]]:
    """``locals_differing``'s keys, each with its path if in ``layout`` and agreed above version 0."""
    query = f"SELECT a.key, CASE WHEN a.layout = ? AND b.version > 0 THEN a.path END {_DIFFERING}"
    return db.execute(query, (layout,)).fetchall()


def agreed_gone(db: sqlite3.Connection) -> list[Agreed]:
    """The agreed rows (not tombstones) whose artifact is no longer mirrored, in key order, without
    those waiting in a conflict (without texts)."""
    rows = db.execute(
        "SELECT key, path, version, hash, deleted FROM sync_base WHERE key IN (SELECT key FROM sync_base "
        f"WHERE deleted = 0 EXCEPT SELECT key FROM artifacts ORDER BY 1 LIMIT -1) AND key {_NOT_WAITING} ORDER BY key"
    )
    return [Agreed(*row) for row in rows]


# An agreed text the artifact's row holds too is kept there alone (triggers.BASE_TRIGGERS): NULL in sync_base.
_BASE_TEXT = (
    "coalesce(b.content, CASE WHEN b.deleted = 0 THEN "
    "(SELECT a.content FROM artifacts a WHERE a.key = b.key AND a.hash = b.hash) END)"
)


def shared_paths(db: sqlite3.Connection) -> list[str]:
    """The paths of the artifacts agreed with the remote (not deleted): what went through it."""
    return [path for (path,) in db.execute("SELECT path FROM sync_base WHERE deleted = 0 AND path IS NOT NULL")]


def agreed_texts(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Agreed]:
    """The agreed rows of ``ids``, texts included (the base of a summary or a merge)."""
    rows = select_in(db, f"SELECT b.key, b.path, b.version, b.hash, b.deleted, {_BASE_TEXT} FROM sync_base b",
                     "b.key", ids)  # fmt: skip
    return {row[0]: Agreed(*row) for row in rows}


def agreed_text(db: sqlite3.Connection, artifact_id: str) -> str | None:
    found = db.execute(f"SELECT {_BASE_TEXT} FROM sync_base b WHERE b.key = ?", (artifact_id,)).fetchone()
    return None if found is None else found[0]


def locals_of(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Local]:
    rows = select_in(db, "SELECT key, path, hash, layout, version FROM artifacts", "key", ids)
    return {row[0]: Local(*row) for row in rows}


def contents_of(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """The mirrored texts of ``ids`` (read a batch at a time by the caller)."""
    return dict(select_in(db, "SELECT key, content FROM artifacts", "key", ids))


def texts_of(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``contents_of``, each text with its own hash (another process's scan may have mirrored an edit)."""
    return {key: (content, digest) for key, content, digest in
            select_in(db, "SELECT key, content, hash FROM artifacts", "key", ids)}  # fmt: skip


def artifact_at(db: sqlite3.Connection, path: str) -> str | None:
    """The key of the mirrored artifact at ``path``, if any."""
    found = db.execute("SELECT key FROM artifacts WHERE path = ?", (path,)).fetchone()
    return None if found is None else str(found[0])


def waiting_ids(db: sqlite3.Connection) -> set[str]:
    """Artifacts with an open conflict: nothing new lands on them until it is resolved."""
    return {row[0] for row in db.execute("SELECT key FROM conflicts")}


def notes(db: sqlite3.Connection) -> dict[str, str]:
    """What a conflict strategy chose, per artifact: the next push's history summary."""
    return dict(db.execute("SELECT key, summary FROM notes"))


@contextlib.contextmanager
def checkpoint_every(db: sqlite3.Connection, pages: int) -> Iterator[None]:
    """Write the write-ahead log back into the mirror only once it holds ``pages`` pages, while in
    the block (then as before). A push writes each batch twice (the outbox, then what was agreed;
    ~1,300 pages of 4 KiB a batch of 600): at SQLite's default of 1,000 pages every batch ended in a
    checkpoint and its two fsyncs, and the outbox's pages, reused batch after batch, were copied back
    each time. A push of 10,000: its commits 2.2-2.4 s -> 0.9 s."""
    before = int(db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    db.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA wal_autocheckpoint = {before}")


def record_answers(
    db: sqlite3.Connection, batch_id: str, agreed: Iterable[Agreed], conflicts: Iterable[ConflictRow]
) -> None:
    """A batch's answers applied: what was agreed, the conflicts met, the batch out of the outbox."""
    agreed = list(agreed)
    upsert_agreed(db, agreed)
    upsert_conflicts(db, conflicts)
    outbox.take(db, batch_id)
    db.executemany("DELETE FROM notes WHERE key = ?", [(row.key,) for row in agreed])


# --- pull: the fetched rows and what becomes of them --------------------------------------------


def store_page(db: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Keep fetched rows (key, path, version, hash, deleted, author, seq, updated_at, content)."""
    db.executemany(
        "INSERT OR REPLACE INTO remote_rows(key, path, version, hash, deleted, author, seq, updated_at, content) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        rows,
    )
    generations.renew(db)


def fetched_not_applied(db: sqlite3.Connection) -> list[Fetched]:
    """The fetched rows a pull has yet to apply, in the remote's order."""
    columns = "r.key, r.path, r.version, r.deleted, r.author, r.seq, b.path, b.version, b.hash, b.deleted, b.head_hash"
    return list(map(Fetched._make, db.execute(f"SELECT {columns} {_FETCHED_NOT_APPLIED} ORDER BY r.seq")))


def fetched_not_applied_ids(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute(f"SELECT r.key {_FETCHED_NOT_APPLIED}")}


# A fetched row's text: a row this clone pushed itself keeps it once, in sync_base (same version and hash).
_REMOTE_TEXT = f"coalesce(r.content, CASE WHEN b.version = r.version AND b.hash IS r.hash THEN {_BASE_TEXT} END)"


def fetched_texts(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """(content, updated_at) of the fetched rows of ``ids`` (a row this clone pushed: its text from sync_base)."""
    rows = select_in(db, f"SELECT r.key, {_REMOTE_TEXT}, r.updated_at FROM remote_rows r "
                         "LEFT JOIN sync_base b ON b.key = r.key", "r.key", ids)  # fmt: skip
    return {row[0]: (row[1], row[2]) for row in rows}


class RemoteRecord(NamedTuple):
    """The remote's row as fetched, for `resolve`, `diff` and `log`."""

    path: str
    version: int
    deleted: int
    content: str | None
    hash: str | None
    author: str


def fetched_row(db: sqlite3.Connection, artifact_id: str) -> RemoteRecord | None:
    """The remote's row as fetched; a row this clone pushed itself keeps its text once, in ``sync_base``."""
    found = db.execute(
        f"SELECT r.path, r.version, r.deleted, {_REMOTE_TEXT}, r.hash, r.author FROM remote_rows r "
        "LEFT JOIN sync_base b ON b.key = r.key WHERE r.key = ?",
        (artifact_id,),
    ).fetchone()
    return None if found is None else RemoteRecord(*found)


# HEAD's text of the artifact, as the mirror's HEAD rows know it: its hash, '' where HEAD has no such artifact,
# NULL where the rows were never read (no Git, no refresh yet) or HEAD's file at the agreed path did not parse.
_HEAD_THEN = (
    "CASE WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'git_head') THEN NULL "
    "WHEN EXISTS (SELECT 1 FROM git_heads g WHERE g.id = ?1) THEN (SELECT g.hash FROM git_heads g WHERE g.id = ?1) "
    "WHEN EXISTS (SELECT 1 FROM git_heads g WHERE g.path = ?2) THEN NULL ELSE '' END"
)


def upsert_agreed(db: sqlite3.Connection, rows: Iterable[Agreed]) -> None:
    """Record what was agreed (the one place ``sync_base`` is written). A text the artifact's mirrored
    row holds already (same key and hash: a push's, or a pull's once its files are mirrored) is not
    written again: ``_BASE_TEXT`` reads it from there, and triggers.BASE_TRIGGERS keep it when that row changes."""
    db.executemany(
        "INSERT OR REPLACE INTO sync_base(key, path, version, hash, deleted, content, head_hash) SELECT ?1, ?2, ?3, "
        "?4, ?5, CASE WHEN ?5 = 0 AND EXISTS (SELECT 1 FROM artifacts a WHERE a.key = ?1 AND a.hash = ?4) THEN NULL "
        f"ELSE ?6 END, {_HEAD_THEN}",
        rows,
    )
    generations.renew(db)


def upsert_conflicts(db: sqlite3.Connection, rows: Iterable[ConflictRow]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO conflicts(key, path, kind, remote_version, remote_author, message, recorded_at, "
        "base, ours, theirs, theirs_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    generations.renew(db)


def drop_conflicts(db: sqlite3.Connection, kinds: Sequence[ConflictKind]) -> None:
    db.execute(f"DELETE FROM conflicts WHERE kind IN ({','.join('?' * len(kinds))})", tuple(kinds))
    generations.renew(db)


def drop_conflict(db: sqlite3.Connection, artifact_id: str) -> None:
    db.execute("DELETE FROM conflicts WHERE key = ?", (artifact_id,))
    generations.renew(db)


def has_conflicts_of(db: sqlite3.Connection, kind: ConflictKind) -> bool:
    return db.execute("SELECT 1 FROM conflicts WHERE kind = ? LIMIT 1", (kind,)).fetchone() is not None


def conflicts(db: sqlite3.Connection, key: str | None = None) -> list[ConflictRow]:
    """Every open conflict (by key), or the one whose key or path is ``key``."""
    columns = "key, path, kind, remote_version, remote_author, message, recorded_at, base, ours, theirs, theirs_hash"
    if key is None:
        return list(map(ConflictRow._make, db.execute(f"SELECT {columns} FROM conflicts ORDER BY key")))
    found = db.execute(
        f"SELECT {columns} FROM conflicts WHERE key = ? OR path = ? OR key = ? COLLATE NOCASE", (key, key, key)
    ).fetchone()
    return [] if found is None else [ConflictRow(*found)]


def conflict_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM conflicts").fetchone()[0])


def upsert_notes(db: sqlite3.Connection, rows: Iterable[tuple[str, str]]) -> None:
    db.executemany("INSERT OR REPLACE INTO notes(key, summary) VALUES (?, ?)", rows)


def keep_aside(db: sqlite3.Connection, rows: Iterable[QuarantineRow]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO quarantine(key, version, path, author, reason, seq, recorded_at) "
        "VALUES (?,?,?,?,?,?,?)",
        rows,
    )
    generations.renew(db)


def release(db: sqlite3.Connection, ids: Sequence[str]) -> None:
    """A newer version of these artifacts was applied: the one refused before is no longer kept."""
    if ids and db.execute("SELECT 1 FROM quarantine LIMIT 1").fetchone():
        db.executemany("DELETE FROM quarantine WHERE key = ?", [(i,) for i in ids])
        generations.renew(db)


def kept_aside(db: sqlite3.Connection) -> list[QuarantineRow]:
    rows = db.execute("SELECT key, version, path, author, reason, seq, recorded_at FROM quarantine ORDER BY seq")
    return list(map(QuarantineRow._make, rows))
