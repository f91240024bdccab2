"""``agentsync local start | stop | status``: the embedded PostgreSQL behind the ``local`` remote."""

from __future__ import annotations

import click

from agentsync.remotes import local


def run_start() -> int:
    already = local.state().running
    local.server_url()  # starts it (and migrates its database) unless it runs
    found = local.state()
    click.echo(f"local remote {'was already running' if already else 'started'} (pid {found.pid}) in {found.folder}")
    return 0


def run_stop() -> int:
    folder = local.state().folder
    click.echo(f"local remote stopped ({folder})" if local.stop() else f"local remote was not running ({folder})")
    return 0


def run_status() -> int:
    found = local.state()
    if found.running:
        click.echo(f"local remote: running (pid {found.pid}) in {found.folder}")
        return 0
    click.echo(
        f"local remote: not running ({found.folder}); the next push or pull starts it, or `agentsync local start`"
    )
    return 0
