"""The mirror's journal of sync operations, its only SQL: one row per push, pull or fetch, however it
ended (``sync.journal`` writes them; `agentsync stats` and `status` read the recent ones)."""

from __future__ import annotations

import sqlite3
from typing import Literal, NamedTuple

OperationName = Literal["push", "pull", "fetch"]
OperationResult = Literal["ok", "partial", "error"]


class Operation(NamedTuple):
    operation: OperationName
    started_at: str
    duration_ms: int
    result: OperationResult
    pushed: int
    pulled: int
    conflicts: int
    error: str | None


def record_operation(db: sqlite3.Connection, operation: Operation, keep: int) -> None:
    """Record one operation and keep only the last ``keep``."""
    db.execute(
        "INSERT INTO operations(operation, started_at, duration_ms, result, pushed, pulled, conflicts, error) "
        "VALUES (?,?,?,?,?,?,?,?)",
        operation,
    )
    db.execute("DELETE FROM operations WHERE seq <= (SELECT max(seq) FROM operations) - ?", (keep,))


def recent_operations(db: sqlite3.Connection, last: int) -> list[Operation]:
    """The last ``last`` operations, oldest first."""
    rows = db.execute(
        "SELECT operation, started_at, duration_ms, result, pushed, pulled, conflicts, error FROM "
        "(SELECT * FROM operations ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        (last,),
    )
    return list(map(Operation._make, rows))
