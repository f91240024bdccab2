"""``agentsync remote …``: set up the remote database (``migrate``), name remotes and choose the one
push and pull use (``add``, ``use``, ``remove``, ``show``), and forget sync state (``reset``)."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config


def run_migrate(db_url: str | None) -> int:
    from agentsync.remotesetup import migrate

    done = migrate(db_url)
    for migration in done.applied:
        click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"the remote is at schema version {done.version}" + ("" if done.applied else " (nothing to apply)"))
    return 0


def run_add(name: str, url: str, *, make_default: bool) -> int:
    from agentsync.remotesetup import add_remote
    from agentsync.secrets import redact

    config = add_remote(name, url, make_default=make_default)
    click.echo(f"remote {name}: {redact(url)}")
    if make_default:
        click.echo(f"push and pull now use {name}")
    elif config.remote != name:
        click.echo(f"push and pull still use {config.remote or 'no remote'}; `agentsync remote use {name}` switches")
    return 0


def run_use(name: str) -> int:
    from agentsync.remotesetup import use_remote

    use_remote(load_config(), name)
    click.echo(f"push and pull now use {name}")
    return 0


def run_remove(name: str) -> int:
    from agentsync.remotesetup import remove_remote

    was_default = remove_remote(load_config(), name)
    click.echo(f"removed remote {name}" + ("; push and pull now use local" if was_default else ""))
    return 0


def run_show(*, as_json: bool) -> int:
    """The remotes, which one push and pull use, and which credentials the environment provides."""
    from agentsync.remotes import DATABASE_URL_VARIABLE
    from agentsync.remotesetup import remote_listing

    listing = remote_listing(load_config())
    if as_json:
        echo_json(listing.to_json())
        return 0
    click.echo(f"project: {listing.project}")
    for name, url in listing.remotes.items():
        click.echo(f"{'*' if name == listing.in_use else ' '} {name}" + ("" if url == name else f"  {url}"))
    if listing.in_use is None:
        click.echo("no remote in use: `agentsync remote use local`, or add one with `agentsync remote add NAME URL`")
    elif listing.from_environment:
        click.echo(f"(in use: {DATABASE_URL_VARIABLE} from the environment)")
    set_names = [variable for variable, present in listing.credentials_set.items() if present]
    click.echo(f"credentials in the environment: {', '.join(set_names) if set_names else 'none'}")
    return 0


def run_reset(*, drop_queued: bool) -> int:
    from agentsync.store import Mirror
    from agentsync.sync import reset_sync_state

    config = load_config()
    with Mirror.open(config) as mirror:
        dropped = reset_sync_state(mirror, drop_queued=drop_queued)
    click.echo(
        "forgot this clone's sync state (files untouched); the next push sends every artifact as new"
        + (f"; {dropped} queued batch(es) dropped" if dropped else "")
    )
    return 0
