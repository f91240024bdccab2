"""Push and pull between the mirror and a remote.

The package in layers: ``reports`` (what a sync did, and its one wording), ``client`` (this
clone's id and the remote its state belongs to), ``journal`` (the record of each operation),
``feed`` (fetch: the change feed into the mirror), ``decide`` (the pure decision for one
fetched row), ``plan`` (a chunk's facts gathered and decided), ``incoming`` (pull) and
``outgoing`` (push). Git fields are never
taken from the remote; every file write is atomic and re-checks the file first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentsync.lazy import attribute_loader

if TYPE_CHECKING:
    from agentsync.sync.batches import Pending, changes_for, pending_changes
    from agentsync.sync.both import SyncReport, pull_then_push
    from agentsync.sync.client import bind_remote, client_id, cursor, has_sync_state, register, reset_sync_state
    from agentsync.sync.feed import fetch
    from agentsync.sync.incoming import pull, quarantined
    from agentsync.sync.outgoing import push, push_merging
    from agentsync.sync.reports import PullReport, PushReport, Quarantined

# Where each name lives: a reader of one part (``status`` reads ``client`` and ``batches``) loads
# that part alone, not the whole package (PEP 562).
_HOMES = {
    "SyncReport": "both", "pull_then_push": "both",
    "bind_remote": "client", "client_id": "client", "cursor": "client", "has_sync_state": "client",
    "register": "client", "reset_sync_state": "client",
    "fetch": "feed",
    "pull": "incoming", "quarantined": "incoming",
    "Pending": "batches", "changes_for": "batches", "pending_changes": "batches", "push": "outgoing",
    "push_merging": "outgoing",
    "PullReport": "reports", "PushReport": "reports", "Quarantined": "reports",
}  # fmt: skip

__all__ = [
    "Pending",
    "PullReport",
    "PushReport",
    "Quarantined",
    "SyncReport",
    "bind_remote",
    "changes_for",
    "client_id",
    "cursor",
    "fetch",
    "has_sync_state",
    "pending_changes",
    "pull",
    "pull_then_push",
    "push",
    "push_merging",
    "quarantined",
    "register",
    "reset_sync_state",
]


__getattr__ = attribute_loader(__name__, _HOMES)
