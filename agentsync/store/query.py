"""Batched ``IN (…)`` lookups, shared by every table module."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

IN_BATCH = 500  # values per `IN (…)` query: well within SQLite's variable limit, each an index lookup


def select_in(db: sqlite3.Connection, select: str, column: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``select`` (a query without WHERE) whose ``column`` is in ``values``, through
    its index, a batch of values per query: never a pass over the whole table. Each batch is
    fetched whole (callers take every row: a generator resumed per row costs more)."""
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), IN_BATCH):
        part = values[start : start + IN_BATCH]
        rows += db.execute(f"{select} WHERE {column} IN ({','.join('?' * len(part))})", part).fetchall()
    return iter(rows)
