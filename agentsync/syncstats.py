"""What ``agentsync stats`` reports: how sync behaved in this clone over its recent operations (per
kind: runs, durations, artifacts moved, conflicts, errors), the queue, the cursor and the lag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.store import Mirror
    from agentsync.store.operations import Operation


@dataclass
class OperationFigures:
    """The figures of one kind of operation (push, pull, fetch)."""

    runs: int = 0
    errors: int = 0
    partial: int = 0
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    durations_ms: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, int]:
        return {"runs": self.runs, "errors": self.errors, "partial": self.partial, "pushed": self.pushed,
                "pulled": self.pulled, "conflicts": self.conflicts, "median_ms": self.median_ms,
                "max_ms": self.max_ms}  # fmt: skip

    @property
    def median_ms(self) -> int:
        durations = sorted(self.durations_ms)
        return durations[len(durations) // 2]

    @property
    def max_ms(self) -> int:
        return max(self.durations_ms)


@dataclass
class SyncStats:
    operations: int
    since: str | None  # when the first operation covered started
    by_operation: dict[str, OperationFigures]
    conflicts_open: int
    queued_batches: int
    cursor: int
    last_error: tuple[str, str] | None  # (at, message)
    lag: int | None = None  # None: no remote, or not reachable and no running watcher saw it

    def to_json(self) -> dict[str, Any]:
        """The shape ``stats --json`` prints."""
        return {
            "operations": self.operations,
            "since": self.since,
            "by_operation": {name: kind.to_json() for name, kind in self.by_operation.items()},
            "conflicts_open": self.conflicts_open,
            "queued_batches": self.queued_batches,
            "cursor": self.cursor,
            "last_error": {"at": self.last_error[0], "message": self.last_error[1]} if self.last_error else None,
            "lag": self.lag,
        }


def collect(mirror: Mirror, last: int) -> SyncStats:
    """Figures over the last ``last`` operations recorded in the mirror, per kind, and the queue."""
    from agentsync.store.reports import conflict_count, queue_summary, recent_operations
    from agentsync.sync import cursor

    rows = recent_operations(mirror, last)
    return SyncStats(
        operations=len(rows),
        since=rows[0].started_at if rows else None,
        by_operation=_by_operation(rows),
        conflicts_open=conflict_count(mirror),
        queued_batches=queue_summary(mirror).batches,
        cursor=cursor(mirror),
        last_error=next(((row.started_at, row.error) for row in reversed(rows) if row.error), None),
    )


def _by_operation(rows: list[Operation]) -> dict[str, OperationFigures]:
    kinds: dict[str, OperationFigures] = {}
    for row in rows:
        kind = kinds.setdefault(row.operation, OperationFigures())
        kind.runs += 1
        kind.errors += row.result == "error"
        kind.partial += row.result == "partial"
        kind.pushed += row.pushed
        kind.pulled += row.pulled
        kind.conflicts += row.conflicts
        kind.durations_ms.append(row.duration_ms)
    return kinds


def sync_stats(config: Config, last: int) -> SyncStats:
    """The figures, with the lag from the remote's head, else from a running watcher's last look."""
    from agentsync.store import Mirror
    from agentsync.watch.status import watcher_state

    with Mirror.open(config) as mirror:
        stats = collect(mirror, last)
    stats.lag = _lag(config, stats.cursor)
    if stats.lag is None:
        watcher = watcher_state(config)  # the remote is not reachable now: what the watcher saw last
        stats.lag = watcher.get("lag") if watcher and watcher.get("running") else None
    return stats


def _lag(config: Config, cursor: int) -> int | None:
    """Changes on the remote not fetched here; None if there is no remote or it cannot be reached
    at once (a look starts nothing: a local remote that is not running stays so)."""
    from agentsync.errors import RemoteError
    from agentsync.remotes import looking, remote_target

    if remote_target(config) is None:
        return None
    try:
        with looking(config) as remote:
            return max(remote.head() - cursor, 0)
    except RemoteError:
        return None
