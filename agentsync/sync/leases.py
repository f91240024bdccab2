"""Locks (leases) on artifacts: taken only on an artifact that exists, here or on the remote."""

from __future__ import annotations

from agentsync.errors import NotFoundError
from agentsync.remotes.base import LockResult, Remote
from agentsync.store import sync_state
from agentsync.store.mirror import Mirror


def lock_artifact(mirror: Mirror, remote: Remote, artifact_id: str, holder: str, seconds: int) -> LockResult:
    """Lock ``artifact_id`` for ``holder``; an id neither this clone nor the remote knows is refused
    (a lock on a typo would hold nothing and tell nobody anything)."""
    db = mirror.connection
    known_here = mirror.get(artifact_id) is not None or sync_state.fetched_row(db, artifact_id) is not None
    if not known_here and not remote.history(artifact_id, 1):
        raise NotFoundError(
            f"no artifact {artifact_id!r} here or on the remote; `agentsync ls` lists this clone's, "
            "`agentsync fetch` brings the remote's"
        )
    return remote.lock(artifact_id, holder, seconds)
