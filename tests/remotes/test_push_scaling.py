"""Migration 15 on a real PostgreSQL: a push batch reads the project's rows it changes, not all of them,
even when the statistics say the project is empty (they lag behind a large first push)."""

from __future__ import annotations

from typing import Any

from tests.remotes.conftest import connect
from tests.remotes.test_sql_protocol import change, push, value

ROWS = 3000
BATCH = 200


def artifacts_rows_read(connection: Any) -> int:
    """Rows of agentsync.artifacts this transaction has read, through indexes or scans."""
    return int(value(
        connection,
        "SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0) FROM pg_stat_xact_user_tables "
        "WHERE schemaname = 'agentsync' AND relname = 'artifacts'",
    ))  # fmt: skip


def test_a_batch_reads_its_own_rows_not_the_whole_project(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change(f"A-{n}", 0) for n in range(BATCH)], project="first")
        connection.execute("ANALYZE agentsync.artifacts")  # statistics of a table holding another project only
        for start in range(0, ROWS, BATCH):
            push(connection, [change(f"B-{n}", 0) for n in range(start, start + BATCH)], project="grown")
    with connect(remote, autocommit=False) as connection:
        answer = push(connection, [change(f"B-{n}", 1, "edited") for n in range(BATCH)], project="grown")
        assert [a["result"] for a in answer["answers"]] == ["applied"] * BATCH
        read = artifacts_rows_read(connection)
        connection.rollback()
    # the batch's own rows, read once or twice; a hash of the project's rows would read all 3,000
    assert read <= 3 * BATCH, read
    assert "plan_cache_mode=force_generic_plan" in value(
        connect(remote), "SELECT array_to_string(proconfig, ',') FROM pg_proc WHERE proname = 'push'"
    )
