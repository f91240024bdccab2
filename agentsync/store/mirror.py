"""The mirror: a SQLite database of the repository's artifacts and sync state.

``Mirror`` owns the connection, the schema and transactions, and answers queries.
Filling it from the work tree is ``scanner.scan``; writing it back is ``exporter``.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from agentsync.config import Config
from agentsync.errors import AgentsyncError, MirrorError, NotFoundError
from agentsync.globs import Matcher
from agentsync.hookjob import wait_for_job
from agentsync.store import artifacts, meta, refs, schema
from agentsync.store.artifacts import ArtifactRow, ProblemRow, SearchHit
from agentsync.store.meta import INDEX_DEFERRED_VALUE, MetaKey

__all__ = ["ArtifactRow", "Mirror", "SearchHit", "cannot_use", "ensure_state_dir"]

BUSY_TIMEOUT_MS = 15_000
CACHE_KIB = 65536  # SQLite's page cache per connection
FILL_CACHE_KIB = 4096  # while a new mirror is filled (see ``Mirror.open``)
# For commands that read most of the mirror (``mapped``): pages come through a memory map, so a pass over
# 10,000 rows copies none into the page cache. Not for writers: every page a pull reads would count as
# the process's memory (a 100,000-row pull peaked at 990 MB mapped, 224 MB without).
MMAP_BYTES = 256 << 20


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
    def open(cls, config: Config, *, readonly: bool = False, mapped: bool = False) -> Mirror:
        """Open (creating and migrating if needed) the mirror of ``config``'s repository.

        A post-* hook still finishing in the background is waited for first (``agentsync.hookjob``):
        what runs after ``git commit`` returns sees the commit mirrored."""
        path = config.db_path
        wait_for_job(config.state_dir)
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
            if mapped or readonly:
                connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
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
                    schema.migrate(connection, str(path), Matcher.from_config(config).type_of)
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
            artifacts.rebuild_index(db)
            meta.delete(db, MetaKey.INDEX_DEFERRED)

    # -- queries (the SQL is in ``artifacts``) ----------------------------------------

    def get(self, key: str) -> ArtifactRow | None:
        """The mirrored artifact whose key (``TYPE:ID``) is ``key``."""
        return artifacts.get(self.connection, key)

    def artifact_at(self, path: str) -> ArtifactRow | None:
        """The mirrored artifact whose file is ``path`` (repository-relative)."""
        return artifacts.at_path(self.connection, path)

    def resolve(self, reference: str) -> str:
        """The key of the artifact a user names by ``ID``, ``TYPE:ID`` or path (``store.refs``: known
        here, or a ``TYPE:ID`` of a known type); ``AmbiguousReferenceError`` lists the candidates of
        an id several types share, ``NotFoundError`` says how to list them."""
        key = refs.resolve(self.connection, reference, [t.name for t in self.config.types])
        if key is None:
            raise NotFoundError(f"no artifact {reference!r} in the mirror; `agentsync ls` lists them")
        return key

    def find(self, reference: str) -> ArtifactRow:
        """The mirrored artifact a user names by ``ID``, ``TYPE:ID`` or path (see ``resolve``)."""
        row = artifacts.get(self.connection, self.resolve(reference))
        if row is None:
            raise NotFoundError(f"no artifact {reference!r} in the mirror; `agentsync ls` lists them")
        return row

    def content(self, key: str) -> str:
        found = artifacts.content(self.connection, key)
        if found is None:
            raise NotFoundError(f"no artifact {key!r} in the mirror")
        return found

    def fields(self, key: str) -> dict[str, Any]:
        found = artifacts.fields_json(self.connection, key)
        return dict(json.loads(found)) if found is not None else {}

    def list_artifacts(self, type_name: str | None = None, status: str | None = None) -> list[ArtifactRow]:
        return artifacts.listing(self.connection, type_name, status)

    def count(self) -> int:
        return artifacts.count(self.connection)

    def ids(self) -> set[str]:
        return artifacts.ids(self.connection)

    def types(self) -> set[str]:
        return artifacts.types(self.connection)

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search; FTS5 syntax works, and plain words always do."""
        return artifacts.search(self.connection, text, limit)

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

    def problems(self) -> list[ProblemRow]:
        return artifacts.problems(self.connection)

    # -- meta (call the setters inside ``transaction``) ------------------------------

    def get_meta(self, key: MetaKey) -> str | None:
        return meta.get(self.connection, key)

    def set_meta(self, key: MetaKey, value: str) -> None:
        meta.put(self.connection, key, value)

    def set_meta_if_absent(self, key: MetaKey, value: str) -> None:
        """Set ``key`` unless it is set already (a concurrent first writer wins)."""
        meta.put_if_absent(self.connection, key, value)

    def delete_meta(self, *keys: MetaKey) -> None:
        meta.delete(self.connection, *keys)


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
    from agentsync.diskfull import from_exception, no_space
    from agentsync.errors import DiskFullError

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
