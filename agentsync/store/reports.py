"""What the reporting commands read from the mirror (``status``, ``doctor``, ``stats``, ``diff``):
counts and rows of the sync state, read-only, as typed rows. The functions take a Mirror."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from agentsync.store.mirror import Mirror


class RemoteRow(NamedTuple):
    """The remote's current row of one artifact, as last fetched."""

    version: int
    author: str
    deleted: int
    content: str | None


class QueueSummary(NamedTuple):
    """The outbox: batches waiting for the remote, the most attempts any took, the last error any met."""

    batches: int
    attempts: int
    last_error: str | None


class OpenConflict(NamedTuple):
    id: str
    path: str
    kind: str  # push | pull | merge
    message: str


class OperationRow(NamedTuple):
    """One sync operation from the journal (``operations``)."""

    operation: str  # push | pull | fetch
    duration_ms: int
    result: str  # ok | partial | error
    pushed: int
    pulled: int
    conflicts: int
    error: str | None
    started_at: str


def remote_row(mirror: Mirror, artifact_id: str) -> RemoteRow | None:
    found = mirror.connection.execute(
        "SELECT version, author, deleted, content FROM remote_rows WHERE id = ?", (artifact_id,)
    ).fetchone()
    return None if found is None else RemoteRow(*found)


def queue_summary(mirror: Mirror) -> QueueSummary:
    count, attempts, error = mirror.connection.execute(
        "SELECT count(*), max(attempts), max(last_error) FROM outbox"
    ).fetchone()
    return QueueSummary(int(count), int(attempts or 0), error)


def open_conflicts(mirror: Mirror) -> list[OpenConflict]:
    rows = mirror.connection.execute("SELECT id, path, kind, message FROM conflicts ORDER BY id")
    return list(map(OpenConflict._make, rows))


def conflict_count(mirror: Mirror) -> int:
    return int(mirror.connection.execute("SELECT count(*) FROM conflicts").fetchone()[0])


def changed_on_remote(mirror: Mirror) -> set[str]:
    """The artifacts with a fetched row newer than what was agreed (what a pull would apply)."""
    from agentsync.store.sync_state import fetched_not_applied_ids

    return fetched_not_applied_ids(mirror.connection)


def recent_operations(mirror: Mirror, last: int) -> list[OperationRow]:
    """The last ``last`` operations of the journal, oldest first."""
    rows = mirror.connection.execute(
        "SELECT operation, duration_ms, result, pushed, pulled, conflicts, error, started_at FROM "
        "(SELECT * FROM operations ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        (last,),
    )
    return list(map(OperationRow._make, rows))
