"""A first mirror fills the artifacts table without its secondary indexes and builds them once after."""

from __future__ import annotations

import sqlite3

import pytest

from agentsync.scanner import BULK_THRESHOLD, scan
from agentsync.store import artifacts
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
