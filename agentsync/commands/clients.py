"""``agentsync clients``: the clones of the project that have synced with the remote."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json
from agentsync.store import Mirror


def run_list(*, as_json: bool) -> int:
    from agentsync.commands.sync import remote_for
    from agentsync.sync import client_id, register

    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        register(mirror, remote, force=True)  # this clone, as of now
        me = client_id(mirror)
        clients = remote.clients()
    if as_json:
        echo_json([{**c, "this_clone": c["client_id"] == me} for c in clients])
        return 0
    if not clients:
        click.echo("no clones have registered yet (a push or pull registers one)")
        return 0
    for c in clients:
        here = "  (this clone)" if c["client_id"] == me else ""
        click.echo(f"{c['client_id'][:12]}  {c['user_name']:<24} {c['host']:<20} v{c['agent_version']:<8} "
                   f"last sync {c['last_sync']}  cursor {c['cursor']} (lag {c['lag']}){here}")  # fmt: skip
    return 0


def run_remove(client: str) -> int:
    """Retire a clone by its id (or a unique prefix of it, as `clients` shows)."""
    from agentsync.commands.sync import remote_for
    from agentsync.errors import NotFoundError, UsageError

    with remote_for() as (_config, remote):
        matches = [c["client_id"] for c in remote.clients() if c["client_id"].startswith(client)]
        if not matches:
            raise NotFoundError(f"no clone {client!r} in this project; `agentsync clients` lists them")
        if len(matches) > 1:
            raise UsageError(f"{client!r} names {len(matches)} clones; give more of the id")
        remote.retire_client(matches[0])
    click.echo(f"retired clone {matches[0]}")
    return 0
