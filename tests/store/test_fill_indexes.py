"""A first mirror fills the artifacts table without its secondary indexes and builds them once after."""

from __future__ import annotations

import sqlite3

import pytest

from agentsync.scanner import BULK_THRESHOLD, scan
from agentsync.store import artifacts, fill
from agentsync.store.fill import INSERTS_ASIDE
from agentsync.store.meta import INDEX_DEFERRED_VALUE, MetaKey
from tests.conftest import Repo, artifact


def _indexes(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'artifacts'"))


@pytest.mark.parametrize("count", [3, BULK_THRESHOLD + 5])  # a small first mirror, and a bulk one
def test_a_first_mirror_ends_with_every_index_and_uses_them(repo: Repo, count: int) -> None:
    with repo.mirror() as mirror:
        before = _indexes(mirror.connection)
    assert {name for name, _sql in before} >= {"artifacts_key", "artifacts_id", "artifacts_type_status"}
    for number in range(count):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}"))
    repo.write("stories/twin.md", artifact("S-1", "Twin"))  # a clash: both files are set apart
    with repo.mirror() as mirror:
        report = scan(mirror)
        db = mirror.connection
        assert _indexes(db) == before
        assert len(report.added) == count - 1 and [p.kind for p in report.problems] == ["duplicate_id"]
        plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN SELECT path FROM artifacts WHERE id = 'S-2'"))
        assert "artifacts_id" in plan
        assert mirror.get("story:S-2") is not None and mirror.get("story:S-1") is None
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_fill_that_fails_leaves_the_indexes_to_the_rollback(repo: Repo) -> None:
    with repo.mirror() as mirror:
        before = _indexes(mirror.connection)
        with pytest.raises(RuntimeError), mirror.transaction() as db, artifacts.indexes_built_after(db):
            assert _indexes(db) == [(name, sql) for name, sql in before if sql is None]  # path's own stays
            raise RuntimeError("the parse workers died")
        assert _indexes(mirror.connection) == before


def _triggers(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'artifacts'"))


def _generations(db: sqlite3.Connection) -> tuple[int, int]:
    """The stat and comparison generations (store.artifacts.stat_generation, store.reports.compare_generation)."""
    return (db.execute("SELECT value FROM stat_generation").fetchone()[0],
            db.execute("SELECT value FROM compare_generation").fetchone()[0])  # fmt: skip


def test_a_bulk_first_mirror_indexes_every_batch_in_one_segment_and_keeps_its_triggers(repo: Repo) -> None:
    """The full-text triggers are dropped for a bulk fill and come back; with them gone, FTS5 keeps every
    batch's terms in memory (its 'hashsize', migration 12) and writes one segment, not one per batch."""
    count = BULK_THRESHOLD + 5  # several batches of parsed files
    with repo.mirror() as mirror:
        triggers = _triggers(mirror.connection)
        generations = _generations(mirror.connection)
    assert [name for name, _sql in triggers] == [
        "artifacts_base_delete", "artifacts_base_update",  # not fired by inserts: they stay
        "artifacts_compare_delete", "artifacts_compare_insert", "artifacts_compare_update",
        "artifacts_fts_delete", "artifacts_fts_insert", "artifacts_fts_update",
        "artifacts_stat_delete", "artifacts_stat_insert", "artifacts_stat_update",
    ]  # fmt: skip
    for number in range(count):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", body=f"word{number}\n"))
    with repo.mirror() as mirror:
        assert len(scan(mirror).added) == count
        db = mirror.connection
        assert _triggers(db) == triggers
        stat_now, compare_now = _generations(db)  # each renewed once, with no trigger fired
        assert stat_now != generations[0] and compare_now != generations[1]
        assert db.execute("SELECT count(DISTINCT segid) FROM artifacts_fts_idx").fetchone() == (1,)
        db.execute("INSERT INTO artifacts_fts(artifacts_fts, rank) VALUES ('integrity-check', 1)")
        assert [hit.row.id for hit in mirror.search("word0")] == ["S-0"]  # the first batch's, and the last's
        assert [hit.row.id for hit in mirror.search(f"word{count - 1}")] == [f"S-{count - 1}"]
    repo.write("stories/S-3.md", artifact("S-3", "Story 3", body="rewritten\n"))
    with repo.mirror() as mirror:  # a small change afterwards: the triggers index it
        assert scan(mirror).updated == ["stories/S-3.md"]
        assert [hit.row.id for hit in mirror.search("rewritten")] == ["S-3"] and mirror.search("word3") == []


def test_a_small_fill_keeps_the_triggers_that_index_it(repo: Repo) -> None:
    with repo.mirror() as mirror, mirror.transaction() as db, artifacts.indexes_built_after(db):
        # the index is not deferred: the triggers index each row (and the agreed texts' are never dropped)
        assert len(_triggers(db)) == 5


@pytest.mark.parametrize("deferred", [False, True])  # a large scan indexes its rows; a pull's rebuilds once
def test_many_rows_inserted_into_a_filled_table_skip_their_triggers_and_keep_them(repo: Repo, deferred: bool) -> None:
    """Inserts of INSERTS_ASIDE rows or more go in without the generations' insert triggers, which come
    back; each generation is renewed, and the full-text index holds the rows unless it is deferred."""
    repo.write("stories/S-0.md", artifact("S-0", "Story 0"))
    with repo.mirror() as mirror:
        scan(mirror)
        triggers, before = _triggers(mirror.connection), _generations(mirror.connection)
    for number in range(1, INSERTS_ASIDE + 2):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", body=f"word{number}\n"))
    with repo.mirror() as mirror:
        db = mirror.connection
        if deferred:
            with mirror.transaction():
                mirror.set_meta(MetaKey.INDEX_DEFERRED, INDEX_DEFERRED_VALUE)
        seen: list[str] = []
        db.set_trace_callback(seen.append)
        assert len(scan(mirror, [f"stories/S-{n}.md" for n in range(1, INSERTS_ASIDE + 2)]).added) == INSERTS_ASIDE + 1
        db.set_trace_callback(None)
        assert any(s.startswith('DROP TRIGGER "artifacts_stat_insert"') for s in seen)
        assert _triggers(db) == triggers
        after = _generations(db)
        assert after[0] != before[0] and after[1] != before[1]
        assert mirror.search("word7") == [] if deferred else [hit.row.id for hit in mirror.search("word7")] == ["S-7"]
        if deferred:
            mirror.rebuild_index()
            assert [hit.row.id for hit in mirror.search("word7")] == ["S-7"]
    repo.write("stories/S-9.md", artifact("S-9", "Story 9", body="rewritten\n"))
    repo.write("stories/S-new.md", artifact("S-new", "New"))
    with repo.mirror() as mirror:  # a few rows afterwards: the triggers are back and fire
        middle, seen = _generations(mirror.connection), []
        mirror.connection.set_trace_callback(seen.append)
        assert scan(mirror).added == ["stories/S-new.md"]
        mirror.connection.set_trace_callback(None)
        assert not any(statement.startswith("DROP TRIGGER") for statement in seen)
        assert [hit.row.id for hit in mirror.search("rewritten")] == ["S-9"]
        assert all(now != then for now, then in zip(_generations(mirror.connection), middle, strict=True))


def test_an_insert_that_fails_leaves_the_triggers_to_the_rollback(repo: Repo) -> None:
    with repo.mirror() as mirror:
        triggers = _triggers(mirror.connection)
        with pytest.raises(RuntimeError), mirror.transaction() as db, fill.insert_triggers_aside(db):
            assert {name for name, _sql in _triggers(db)} == {name for name, _sql in triggers} - {
                "artifacts_stat_insert",
                "artifacts_compare_insert",
            }
            raise RuntimeError("the disk filled up")
        assert _triggers(mirror.connection) == triggers
