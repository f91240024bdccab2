"""What the reporting commands read from the mirror (``status``, ``doctor``, ``stats``, ``diff``),
read-only, as typed rows; the functions take a Mirror. Reads of the sync tables go through
``sync_state`` (their one home); the journal's recent operations are read here."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from agentsync.store import outbox, sync_state
from agentsync.store.meta import MetaKey
from agentsync.store.operations import Operation
from agentsync.store.sync_state import RemoteRecord

if TYPE_CHECKING:
    from agentsync.store.mirror import Mirror

__all__ = [
    "OpenConflict",
    "QueueSummary",
    "RemoteRecord",
    "any_refused",
    "changed_on_remote",
    "compare_generation",
    "conflict_count",
    "fetched_cursor",
    "open_conflicts",
    "queue_summary",
    "recent_operations",
    "remote_row",
]  # fmt: skip


class QueueSummary(NamedTuple):
    """The outbox: batches waiting for the remote, the most attempts any took, the last error any met."""

    batches: int
    attempts: int
    last_error: str | None


class OpenConflict(NamedTuple):
    """A conflict as listed (without its three texts)."""

    key: str  # TYPE:ID
    path: str
    kind: sync_state.ConflictKind
    message: str

    @property
    def id(self) -> str:
        """The id part of ``key`` (unique within its type only)."""
        return self.key.partition(":")[2] if ":" in self.key else self.key


def compare_generation(mirror: Mirror) -> int:
    """While it stands still, what ``status`` found comparing the mirror's tables is what it would find
    again (store.generations)."""
    from agentsync.store.generations import compare_generation

    return compare_generation(mirror.connection)


def remote_row(mirror: Mirror, artifact_id: str) -> RemoteRecord | None:
    """The remote's current row of one artifact, as last fetched."""
    return sync_state.fetched_row(mirror.connection, artifact_id)


def queue_summary(mirror: Mirror) -> QueueSummary:
    return QueueSummary(*outbox.queue_summary(mirror.connection))


def open_conflicts(mirror: Mirror) -> list[OpenConflict]:
    return [OpenConflict(c.key, c.path, c.kind, c.message) for c in sync_state.conflicts(mirror.connection)]


def conflict_count(mirror: Mirror) -> int:
    return sync_state.conflict_count(mirror.connection)


def changed_on_remote(mirror: Mirror) -> set[str]:
    """The artifacts with a fetched row newer than what was agreed (what a pull would apply)."""
    return sync_state.fetched_not_applied_ids(mirror.connection)


def fetched_cursor(mirror: Mirror) -> int:
    """The remote change number this clone has fetched up to (the sync core's ``cursor``)."""
    return int(mirror.get_meta(MetaKey.REMOTE_CURSOR) or 0)


def any_refused(mirror: Mirror) -> bool:
    """Whether any fetched row was refused and is kept aside (``sync.incoming.quarantined`` lists them)."""
    return mirror.connection.execute("SELECT 1 FROM quarantine LIMIT 1").fetchone() is not None


def recent_operations(mirror: Mirror, last: int) -> list[Operation]:
    """The last ``last`` operations of the journal, oldest first (``store.operations``)."""
    from agentsync.store import operations

    return operations.recent_operations(mirror.connection, last)
