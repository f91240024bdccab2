"""The mirror's journal of sync operations (`agentsync stats` reads it): each push, pull and
fetch, however it ends, with how long it took and how much it moved."""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Iterator
from typing import Any

from agentsync.errors import AgentsyncError
from agentsync.store import operations
from agentsync.store.mirror import Mirror
from agentsync.sync.reports import PullReport, PushReport

KEEP_OPERATIONS = 1000  # rows of `operations` kept: enough for `stats` over recent runs


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def recorded(mirror: Mirror, operation: operations.OperationName) -> Iterator[list[Any]]:
    """Record one sync operation, however it ends. The caller puts its report (a PushReport, a
    PullReport, or a count of fetched rows) in the yielded list."""
    started, clock = now(), time.perf_counter()
    holder: list[Any] = []
    error: str | None = None
    try:
        yield holder
    except BaseException as exc:  # recorded as it was shown: one line, without credentials
        from agentsync.secrets import redact

        error = redact(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
        raise
    finally:
        report = holder[0] if holder else None
        pushed = len(report.applied) if isinstance(report, PushReport) else 0
        pulled = report.fetched if isinstance(report, PullReport) else (report if isinstance(report, int) else 0)
        conflicts = len(getattr(report, "conflicts", []) or [])
        ok = error is None and (report is None or isinstance(report, int) or report.ok)
        result: operations.OperationResult = "ok" if ok else ("error" if error is not None else "partial")
        elapsed = round((time.perf_counter() - clock) * 1000)
        entry = operations.Operation(operation, started, elapsed, result, pushed, pulled, conflicts, error)
        try:
            with mirror.transaction() as db:
                operations.record_operation(db, entry, KEEP_OPERATIONS)
        except AgentsyncError:
            pass  # the record is a convenience: never the reason a sync fails
