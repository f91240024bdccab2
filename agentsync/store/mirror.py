"""The mirror: a SQLite database of the repository's artifacts and sync state.

``Mirror`` owns the connection, the schema and transactions, and answers queries.
Filling it from the work tree is ``scanner.scan``; writing it back is ``exporter``.
"""

from __future__ import annotations

import errno
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from agentsync.config import Config
from agentsync.errors import AgentsyncError, MirrorError, NotFoundError
from agentsync.store import schema
from agentsync.store.meta import INDEX_DEFERRED_VALUE, MetaKey

BUSY_TIMEOUT_MS = 15_000
CACHE_KIB = 65536  # SQLite's page cache per connection
FILL_CACHE_KIB = 4096  # while a new mirror is filled (see ``Mirror.open``)
IN_BATCH = 500  # values per `IN (…)` query: well within SQLite's variable limit, each an index lookup
_ROW_COLUMNS = "id, path, type, title, status, version, layout, hash, size"


def select_in(db: sqlite3.Connection, select: str, column: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``select`` (a query without WHERE) whose ``column`` is in ``values``, through
    its index, a batch of values per query: never a pass over the whole table."""
    for start in range(0, len(values), IN_BATCH):
        part = values[start : start + IN_BATCH]
        yield from db.execute(f"{select} WHERE {column} IN ({','.join('?' * len(part))})", part)


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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "version": self.version,
            "path": self.path,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class SearchHit:
    row: ArtifactRow
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return {**self.row.to_json(), "snippet": self.snippet}


STATE_GITIGNORE = "# agentsync's local state (mirror, logs); rebuildable, never committed\n*\n"


def ensure_state_dir(config: Config) -> None:
    """Create ``.agentsync/`` with a ``.gitignore`` of its own, so Git never picks up the mirror."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    ignore = config.state_dir / ".gitignore"
    if not ignore.exists():
        from agentsync.fsutil import atomic_write

        atomic_write(ignore, STATE_GITIGNORE.encode("utf-8"), sync=False)


class Mirror:
    """An open mirror database. Use as a context manager, or call ``close``."""

    def __init__(self, config: Config, connection: sqlite3.Connection) -> None:
        self.config = config
        self.connection = connection

    @classmethod
    def open(cls, config: Config, *, readonly: bool = False) -> Mirror:
        """Open (creating and migrating if needed) the mirror of ``config``'s repository."""
        path = config.db_path
        if readonly and not path.exists():
            raise MirrorError(f"no mirror at {path}; run `agentsync mirror` (or `agentsync init`) first")
        try:
            if readonly:
                connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
            else:
                ensure_state_dir(config)
                fresh = not path.exists()
                connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if readonly:
                connection.execute("PRAGMA query_only = 1")
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version != schema.SCHEMA_VERSION:
                    connection.close()
                    if version > schema.SCHEMA_VERSION:
                        raise MirrorError(
                            f"{path} has schema version {version}, newer than this agentsync "
                            f"({schema.SCHEMA_VERSION}); upgrade agentsync"
                        )
                    return cls.open(config)  # an older mirror is migrated by a writable open first
            else:
                # A new mirror is first filled in rollback-journal mode (no WAL double write: about
                # twice as fast for a bulk load) with a small page cache: the fill writes far more
                # pages than it reads back, and with a small cache SQLite writes them out as it goes,
                # while the main process would otherwise wait for the parse workers, rather than all
                # at the commit (about 6% faster for 10,000 files). ``use_wal`` switches both.
                if not fresh:
                    connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA foreign_keys = ON")
                connection.execute(f"PRAGMA cache_size = -{FILL_CACHE_KIB if fresh else CACHE_KIB}")
                mirror = cls(config, connection)
                with mirror.transaction():
                    schema.migrate(connection, str(path))
                if mirror.get_meta(MetaKey.INDEX_DEFERRED) is not None:
                    mirror.rebuild_index()  # a large change was cut short before it rebuilt the index
                return mirror
        except sqlite3.DatabaseError as exc:
            raise cannot_use(config, exc, "open") from None
        except OSError as exc:  # ensure_state_dir: creating .agentsync/ or its .gitignore
            raise cannot_use(config, exc, "open") from None
        return cls(config, connection)

    def use_wal(self) -> None:
        """Switch to write-ahead logging (readers never wait for writers) and the usual page cache;
        a no-op once done."""
        self.connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        try:
            self.connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            pass  # another connection is busy; the next open switches it

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE): all of it is applied, or none."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _unwritable(exc):
                raise cannot_use(self.config, exc, "write") from None
            raise MirrorError(f"the mirror is busy ({exc}); another agentsync is writing, try again") from None
        try:
            yield self.connection
            self.connection.execute("COMMIT")
        except BaseException as exc:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _unwritable(exc):
                raise cannot_use(self.config, exc, "write") from None
            raise

    @contextmanager
    def deferred_index(self) -> Iterator[None]:
        """Leave the full-text index alone during a large change and rebuild it once at the end
        (several times cheaper than updating it row by row). If the process dies meanwhile, the
        mark stays and the next writable open rebuilds the index."""
        with self.transaction():
            self.set_meta(MetaKey.INDEX_DEFERRED, INDEX_DEFERRED_VALUE)
        try:
            yield
        finally:
            self.rebuild_index()

    def rebuild_index(self) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO artifacts_fts(artifacts_fts) VALUES ('rebuild')")
            self.delete_meta(MetaKey.INDEX_DEFERRED)

    # -- queries -----------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[ArtifactRow]:
        return list(map(ArtifactRow._make, self.connection.execute(sql, params)))

    def get(self, artifact_id: str) -> ArtifactRow | None:
        rows = self._rows(f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE id = ?", (artifact_id,))
        return rows[0] if rows else None

    def find(self, key: str) -> ArtifactRow:
        """An artifact by id, else by path, else by case-insensitive id."""
        row = self.get(key)
        if row is None:
            rows = self._rows(f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE path = ?", (key.lstrip("./"),))
            rows = rows or self._rows(f"SELECT {_ROW_COLUMNS} FROM artifacts WHERE id = ? COLLATE NOCASE", (key,))
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            raise NotFoundError(f"no artifact {key!r} in the mirror; `agentsync ls` lists them")
        return row

    def content(self, artifact_id: str) -> str:
        found = self.connection.execute("SELECT content FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()
        if found is None:
            raise NotFoundError(f"no artifact {artifact_id!r} in the mirror")
        return str(found[0])

    def fields(self, artifact_id: str) -> dict[str, Any]:
        found = self.connection.execute("SELECT fields FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()
        return dict(json.loads(found[0])) if found else {}

    def list_artifacts(self, type_name: str | None = None, status: str | None = None) -> list[ArtifactRow]:
        clauses, params = [], []
        if type_name:
            clauses.append("type = ?")
            params.append(type_name)
        if status:
            clauses.append("status = ? COLLATE NOCASE")
            params.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._rows(f"SELECT {_ROW_COLUMNS} FROM artifacts {where} ORDER BY id", tuple(params))

    def count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM artifacts").fetchone()[0])

    def ids(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT id FROM artifacts")}

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search; FTS5 syntax works, and plain words always do."""
        sql = (
            f"SELECT {', '.join('a.' + c.strip() for c in _ROW_COLUMNS.split(','))}, "
            "snippet(artifacts_fts, 1, '[', ']', '…', 12) "
            "FROM artifacts_fts JOIN artifacts a ON a.pk = artifacts_fts.rowid "
            "WHERE artifacts_fts MATCH ? ORDER BY rank LIMIT ?"
        )
        try:
            rows = self.connection.execute(sql, (text, limit)).fetchall()
        except sqlite3.OperationalError:
            rows = self.connection.execute(sql, (_as_plain_words(text), limit)).fetchall()
        return [SearchHit(ArtifactRow(*row[:-1]), " ".join(row[-1].split())) for row in rows]

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run read-only SQL (refused if it would write) and return (columns, rows)."""
        from agentsync import sqlguard

        readonly = sqlite3.connect(f"{self.config.db_path.as_uri()}?mode=ro", uri=True)
        try:
            readonly.execute("PRAGMA query_only = 1")
            readonly.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            authorizer = sqlguard.guard(readonly)  # no ATTACH, VACUUM INTO or TEMP table: no other file
            cursor = readonly.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            return columns, cursor.fetchall()
        except sqlite3.Error as exc:
            refused = sqlguard.refusal(authorizer, sql)
            if refused is not None:
                raise refused from None
            raise AgentsyncError(f"query failed: {exc} (the mirror is read-only here)") from None
        finally:
            readonly.close()

    def problems(self) -> list[tuple[str, int | None, str]]:
        return [tuple(r) for r in self.connection.execute("SELECT path, line, message FROM problems ORDER BY path")]  # type: ignore[misc]

    # -- meta (call the setters inside ``transaction``) ------------------------------

    def get_meta(self, key: MetaKey) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: MetaKey, value: str) -> None:
        self.connection.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_meta_if_absent(self, key: MetaKey, value: str) -> None:
        """Set ``key`` unless it is set already (a concurrent first writer wins)."""
        self.connection.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def delete_meta(self, *keys: MetaKey) -> None:
        for key in keys:
            self.connection.execute("DELETE FROM meta WHERE key = ?", (key,))


def _unwritable(exc: sqlite3.Error) -> bool:
    """A full disk, or a mirror this process may not write (permissions, a read-only mount)."""
    from agentsync.diskfull import is_disk_full

    text = str(exc)
    return (
        is_disk_full(exc)
        or "readonly database" in text
        or "unable to open database file" in text
        or ("disk I/O error" in text)
    )


def cannot_use(config: Config, exc: Exception, doing: str) -> AgentsyncError:
    """The one-line error for a mirror that cannot be opened or written: what to do about it. The
    mirror is not damaged by any of these, so deleting it is never the advice (it holds the sync
    state too: versions agreed, the outbox of batches not yet answered)."""
    from agentsync.diskfull import DiskFullError, from_exception, no_space

    path = config.db_path
    full = from_exception(exc, path)
    if full is not None:
        return full
    if isinstance(exc, sqlite3.Error) and no_space(config.state_dir):  # "disk I/O error" on a full disk
        return DiskFullError(path)
    text = str(exc)
    if isinstance(exc, OSError):
        denied = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    else:
        denied = "readonly database" in text or "unable to open database file" in text
    if denied:
        state = config.state_dir
        return MirrorError(
            f"cannot {doing} the mirror {path}: {text}: check that you own {state} and may write it "
            f"(`chmod u+w {state} {path}`) and that the disk is not mounted read-only, then run the command again"
        )
    if isinstance(exc, OSError):
        return MirrorError(f"cannot {doing} the mirror {path}: {exc}")
    return MirrorError(
        f"cannot {doing} the mirror {path}: {text}; it is rebuildable: delete it and run `agentsync mirror`"
    )


def _as_plain_words(text: str) -> str:
    """Quote each word so FTS5 syntax characters in user text are searched literally."""
    words = re.findall(r"\w+", text)
    return " ".join(f'"{w}"' for w in words) or '""'
