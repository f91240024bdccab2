"""Rows looked up by many values: a pass over the table and batches through the index agree."""

from __future__ import annotations

import sqlite3

from agentsync.store import artifacts, query


def _table(rows: int) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE artifacts (path TEXT PRIMARY KEY, key TEXT UNIQUE)")
    db.executemany("INSERT INTO artifacts VALUES (?, ?)", ((f"p/{n}.md", f"story:S-{n}") for n in range(rows)))
    return db


def test_most_of_the_table_in_one_pass_gives_the_rows_batches_give() -> None:
    db = _table(3000)
    wanted = [f"story:S-{n}" for n in range(0, 3000, 2)] + [f"story:S-{n}" for n in range(1, 3000, 4)]
    wanted += ["story:S-missing"]  # 2,251 values of 3,000 rows: one pass
    select = "SELECT key, path FROM artifacts"
    by_pass = query.select_many(db, select, "key", wanted, 0, lambda: artifacts.count(db))
    by_batches = list(query.select_in(db, select, "key", wanted))
    assert sorted(by_pass) == sorted(by_batches)
    assert len(by_pass) == 2250 and ("story:S-2", "p/2.md") in by_pass and ("story:S-3", "p/3.md") not in by_pass


def test_a_few_values_or_a_small_share_go_through_the_index() -> None:
    db = _table(10_000)
    wanted = [f"story:S-{n}" for n in range(2500)]  # a quarter of the table: batches
    traced: list[str] = []
    db.set_trace_callback(traced.append)
    rows = list(artifacts.holders(db, wanted))
    assert len(rows) == 2500
    assert all(" IN (" in statement for statement in traced if statement.startswith("SELECT key"))
    traced.clear()
    assert len(list(artifacts.holders(db, [f"story:S-{n}" for n in range(6000)]))) == 6000
    assert any(statement == "SELECT key, path FROM artifacts" for statement in traced)  # most of it: one pass
