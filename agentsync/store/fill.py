"""Filling the ``artifacts`` table in bulk: its indexes, b-tree and full-text, built as few times as possible.

The scanner's first mirror of a repository uses these (through ``artifacts``, which re-exports them);
a pull's large change inserts its rows with ``insert_triggers_aside`` and rebuilds the full-text index
once with ``rebuild_index``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from agentsync.store import meta
from agentsync.store.meta import MetaKey

_INDEXES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'artifacts' AND sql IS NOT NULL"
# The full-text index's own triggers (triggers.FTS_TRIGGERS), not any other a user may have added.
_FTS_TRIGGERS_SQL = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'artifacts' "
    "AND name IN ('artifacts_fts_insert', 'artifacts_fts_delete', 'artifacts_fts_update') ORDER BY name"
)
# The stat and comparison generations' triggers (triggers.STAT_TRIGGERS, COMPARE_TRIGGERS): dropped for a
# fill too, each generation renewed once instead.
_GENERATION_TRIGGERS_SQL = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'artifacts' AND name IN "
    "('artifacts_stat_insert', 'artifacts_stat_delete', 'artifacts_stat_update', "
    "'artifacts_compare_insert', 'artifacts_compare_delete', 'artifacts_compare_update') ORDER BY name"
)

# The triggers an insert fires that a bulk insert can do without: the generations', renewed once after.
_INSERT_TRIGGERS_SQL = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'artifacts' AND name IN "
    "('artifacts_stat_insert', 'artifacts_compare_insert') ORDER BY name"
)
_FTS_INSERT_TRIGGER_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = 'artifacts_fts_insert'"
INSERTS_ASIDE = 200  # this many rows inserted at once: their triggers stand aside (``insert_triggers_aside``)


def inserting(db: sqlite3.Connection, count: int) -> AbstractContextManager[None]:
    """Where ``count`` rows go into the filled table: their triggers set aside if they are many."""
    return insert_triggers_aside(db) if count >= INSERTS_ASIDE else nullcontext()


@contextmanager
def insert_triggers_aside(db: sqlite3.Connection) -> Iterator[None]:
    """Insert many rows into the filled table without the triggers that would fire for each, in the
    caller's transaction (an error leaves the drops to its rollback; other connections never see the
    table without them). Each trigger makes every insert open a statement journal and run its own
    statement; the stat and comparison generations are renewed once at the end instead, and while the
    full-text index is deferred its insert trigger, which then does nothing, stands aside too. An
    in-process initial pull of 10,000 on tmpfs (10 chunks of 1,000 inserts): 1.67-1.73 s -> 1.55-1.57 s,
    most of it kernel time (a statement journal is a temp file)."""
    triggers = db.execute(_INSERT_TRIGGERS_SQL).fetchall()
    if meta.get(db, MetaKey.INDEX_DEFERRED) is not None:
        triggers += db.execute(_FTS_INSERT_TRIGGER_SQL).fetchall()
    if not triggers:  # set aside already (``indexes_built_after``): renewing is not for here
        yield
        return
    for name, _sql in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        db.execute(sql)
    db.execute("UPDATE stat_generation SET value = random()")
    db.execute("UPDATE compare_generation SET value = random()")


@contextmanager
def indexes_built_after(db: sqlite3.Connection) -> Iterator[None]:
    """Fill the empty table without its secondary indexes, then build each once (one sort, not a b-tree
    update per row); their definitions come back from the schema. An error leaves the drops to the rollback.

    While the full-text index is deferred its triggers stand aside, and here they are dropped until the end
    as well: an insert into a table with triggers opens a statement savepoint, at which FTS5 writes out the
    terms ``index_after`` gave it so far as a segment of their own. Without them the index keeps its terms
    in memory across batches (up to its ``hashsize``, migration 12) and writes a few large segments, with
    less merging (1,005 files in 7 batches: 1 segment, was 7). The stat and comparison generations'
    triggers stand aside for the same reason, and each generation takes a new value once at the end."""
    saved = db.execute(_INDEXES_SQL).fetchall()
    triggers = db.execute(_FTS_TRIGGERS_SQL).fetchall() if meta.get(db, MetaKey.INDEX_DEFERRED) is not None else []
    triggers += db.execute(_GENERATION_TRIGGERS_SQL).fetchall()
    for name, _sql in saved:
        db.execute(f'DROP INDEX "{name}"')
    for name, _sql in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in saved + triggers:
        db.execute(sql)
    db.execute("UPDATE stat_generation SET value = random()")
    db.execute("UPDATE compare_generation SET value = random()")


def index_after(db: sqlite3.Connection, pk: int) -> int:
    """Index the rows inserted after ``pk`` (the triggers stand aside); return the last pk.

    One insert per row: an ``INSERT ... SELECT`` opens a statement savepoint too (see ``indexes_built_after``)."""
    rows = db.execute("SELECT pk, title, content FROM artifacts WHERE pk > ? ORDER BY pk", (pk,)).fetchall()
    db.executemany("INSERT INTO artifacts_fts(rowid, title, content) VALUES (?, ?, ?)", rows)
    return int(rows[-1][0]) if rows else pk


def rebuild_index(db: sqlite3.Connection) -> None:
    db.execute("INSERT INTO artifacts_fts(artifacts_fts) VALUES ('rebuild')")
