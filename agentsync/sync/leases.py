"""Locks (leases) on artifacts: taken only on an artifact that exists, here or on the remote; and
the key of an artifact a user names that this clone may not have fetched (lock, unlock, log)."""

from __future__ import annotations

from agentsync.errors import AmbiguousReferenceError, NotFoundError
from agentsync.identity import key_of, split_key
from agentsync.remotes.base import LockResult, Remote
from agentsync.store import refs, sync_state
from agentsync.store.mirror import Mirror


def artifact_key(mirror: Mirror, remote: Remote, reference: str) -> str:
    """The key of the artifact ``reference`` (``ID``, ``TYPE:ID`` or path) names: one this clone knows
    (``store.refs``), else one the remote has under a configured type (an id the remote holds under
    several types is ambiguous). An id neither knows is refused (a lock on a typo would hold nothing
    and tell nobody anything)."""
    types = [t.name for t in mirror.config.types]
    key = refs.resolve(mirror.connection, reference, types)
    if key is not None:
        known_here = mirror.get(key) is not None or sync_state.fetched_row(mirror.connection, key) is not None
        if known_here or remote.history(key, 1):
            return key
    elif ":" not in reference.strip():  # an id: the remote's artifacts of that id, of the configured types
        found = [k for k in (key_of(t, reference.strip()) for t in types) if remote.history(k, 1)]
        if len(found) > 1:
            raise AmbiguousReferenceError(reference, found)
        if found:
            return found[0]
    raise NotFoundError(
        f"no artifact {reference!r} here or on the remote; `agentsync ls` lists this clone's, "
        "`agentsync fetch` brings the remote's"
    )


def lock_artifact(mirror: Mirror, remote: Remote, reference: str, holder: str, seconds: int) -> tuple[str, LockResult]:
    """Lock the artifact ``reference`` names (``artifact_key``) for ``holder``: its key and the answer."""
    key = artifact_key(mirror, remote, reference)
    return key, remote.lock(key, holder, seconds)


def locked_key(mirror: Mirror, remote: Remote, reference: str) -> str:
    """The key of the lease ``reference`` names, for ``unlock``: among the remote's current leases
    first (by ``TYPE:ID`` or id; an id leased under several types is ambiguous), else ``artifact_key``."""
    text = reference.strip()
    leased = [key_of(str(lock.get("type", "")), str(lock["id"])) for lock in remote.locks()]
    if text in leased:
        return text
    same_id = sorted(key for key in leased if ":" not in text and split_key(key).id == text)
    if len(same_id) > 1:
        raise AmbiguousReferenceError(reference, same_id)
    return same_id[0] if same_id else artifact_key(mirror, remote, reference)
