"""The clones of a project that synced with its remote (``agentsync clients``): list them, this one
registered first, and retire one that is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentsync.config import Config


def list_clones(config: Config) -> list[dict[str, Any]]:
    """Every registered clone as the remote lists it, with ``this_clone``; this clone registers
    (as of now) first."""
    from agentsync.remotes import opened
    from agentsync.store import Mirror
    from agentsync.sync import client_id, register

    with opened(config) as remote, Mirror.open(config) as mirror:
        register(mirror, remote, force=True)
        me = client_id(mirror)
        clients = remote.clients()
    return [{**c, "this_clone": c["client_id"] == me} for c in clients]


def retire_clone(config: Config, client: str) -> str:
    """Retire the clone whose id is (or starts with) ``client``; returns its full id."""
    from agentsync.errors import NotFoundError, UsageError
    from agentsync.remotes import opened

    with opened(config) as remote:
        matches = [c["client_id"] for c in remote.clients() if c["client_id"].startswith(client)]
        if not matches:
            raise NotFoundError(f"no clone {client!r} in this project; `agentsync clients` lists them")
        if len(matches) > 1:
            raise UsageError(f"{client!r} names {len(matches)} clones; give more of the id")
        remote.retire_client(matches[0])
    return str(matches[0])
