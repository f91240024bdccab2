"""``agentsync clients``: the clones of the project that have synced with the remote."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config


def run_list(*, as_json: bool) -> int:
    from agentsync.clones import list_clones

    clients = list_clones(load_config())
    if as_json:
        echo_json(clients)
        return 0
    if not clients:
        click.echo("no clones have registered yet (a push or pull registers one)")
        return 0
    for c in clients:
        here = "  (this clone)" if c["this_clone"] else ""
        click.echo(f"{c['client_id'][:12]}  {c['user_name']:<24} {c['host']:<20} v{c['agent_version']:<8} "
                   f"last sync {c['last_sync']}  cursor {c['cursor']} (lag {c['lag']}){here}")  # fmt: skip
    return 0


def run_remove(client: str) -> int:
    """Retire a clone by its id (or a unique prefix of it, as `clients` shows)."""
    from agentsync.clones import retire_clone

    click.echo(f"retired clone {retire_clone(load_config(), client)}")
    return 0
