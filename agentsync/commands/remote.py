"""``agentsync remote …``: set up the remote database (``migrate``), name remotes and choose the one
push and pull use (``add``, ``use``, ``remove``, ``show``), and forget sync state (``reset``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.errors import RemoteError, UsageError
from agentsync.remotes import DATABASE_URL_VARIABLE

if TYPE_CHECKING:
    from agentsync.config import Config


def run_migrate(db_url: str | None) -> int:
    url = db_url or os.environ.get(DATABASE_URL_VARIABLE)
    if not url:
        raise UsageError(f"give the database with --db-url URL or the {DATABASE_URL_VARIABLE} environment variable")
    import psycopg

    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import connect, first_line
    from agentsync.secrets import redact

    with connect(url) as connection:
        try:
            done = migrations.migrate(connection)
            version = max(migrations.applied(connection), default=0)
        except psycopg.Error as exc:
            raise RemoteError(f"migration failed on {redact(url)}: {first_line(exc)}") from None
    for migration in done:
        click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"the remote is at schema version {version}" + ("" if done else " (nothing to apply)"))
    return 0


def _edit_config(edit: Callable[[str], str]) -> Config:
    """Apply a text edit to agentsync.yaml, validate the result as a whole, write it atomically."""
    from agentsync import config as config_module
    from agentsync.fsutil import atomic_write

    root = load_config().root
    path = root / config_module.CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    edited = edit(text)
    import yaml

    config = config_module.from_dict(root, yaml.safe_load(edited) or {}, str(path))  # refuses secrets, bad URLs
    atomic_write(path, edited.encode("utf-8"))
    return config


def run_add(name: str, url: str, *, make_default: bool) -> int:
    from agentsync.config import CONFIG_NAME, REMOTE_NAME, is_remote_url
    from agentsync.config import edit as config_edit
    from agentsync.errors import ConfigError
    from agentsync.secrets import config_secret, redact

    if not REMOTE_NAME.match(name):
        raise UsageError(f"{name!r} is not a valid remote name: use letters, digits, '.', '_' and '-'")
    if name == "local" and url != "local":
        raise UsageError("`local` is the embedded remote's name; choose another name")
    if not is_remote_url(url):
        raise UsageError(
            f"{redact(url)!r} is not a remote: use `local`, postgresql://HOST/DB or https://PROJECT.supabase.co"
        )
    secret = config_secret(url)
    if secret is not None:  # agentsync.yaml is committed: refused before the file is even read
        raise ConfigError(
            f"{CONFIG_NAME}: not written: `remotes.{name}` would hold {secret[0]}, and the file is committed; "
            f"{secret[1]}, or add the URL without it"
        )

    def edit(text: str) -> str:
        text = config_edit.set_remote(text, name, url)
        return config_edit.set_top_level(text, "remote", name) if make_default else text

    config = _edit_config(edit)
    click.echo(f"remote {name}: {redact(url)}")
    if make_default:
        click.echo(f"push and pull now use {name}")
    elif config.remote != name:
        click.echo(f"push and pull still use {config.remote or 'no remote'}; `agentsync remote use {name}` switches")
    return 0


def run_use(name: str) -> int:
    from agentsync.config import edit as config_edit

    config = load_config()
    if name != "local" and name not in config.remotes:
        known = ", ".join(["local", *config.remotes])
        raise UsageError(f"no remote named {name!r}; known: {known} (add one with `agentsync remote add NAME URL`)")
    _edit_config(lambda text: config_edit.set_top_level(text, "remote", name))
    click.echo(f"push and pull now use {name}")
    return 0


def run_remove(name: str) -> int:
    from agentsync.config import edit as config_edit

    config = load_config()
    if name not in config.remotes:
        raise UsageError(f"no remote named {name!r} under `remotes` in agentsync.yaml")
    was_default = config.remote == name

    def edit(text: str) -> str:
        text = config_edit.remove_remote(text, name)
        return config_edit.set_top_level(text, "remote", "local") if was_default else text

    _edit_config(edit)
    click.echo(f"removed remote {name}" + ("; push and pull now use local" if was_default else ""))
    return 0


def run_show(*, as_json: bool) -> int:
    """The remotes, which one push and pull use, and which credentials the environment provides."""
    from agentsync.remotes import DATABASE_URL_VARIABLE, remote_target
    from agentsync.remotes.supabase import ACCESS_TOKEN_VARIABLE, ANON_KEY_VARIABLE, SERVICE_KEY_VARIABLE
    from agentsync.secrets import redact

    config = load_config()
    target = remote_target(config)
    remotes = {"local": "local", **config.remotes}
    if target is not None and target.name is None:
        remotes[target.shown] = target.shown
    variables = (DATABASE_URL_VARIABLE, SERVICE_KEY_VARIABLE, ANON_KEY_VARIABLE, ACCESS_TOKEN_VARIABLE, "PGPASSWORD")
    credentials = {variable: bool(os.environ.get(variable)) for variable in variables}  # set or not, never values

    in_use = None if target is None else (target.name or target.shown)
    if as_json:
        echo_json({
            "project": config.project_name, "default": in_use,
            "from_environment": bool(target and target.from_environment),
            "remotes": [{"name": n, "url": redact(u), "default": n == in_use} for n, u in remotes.items()],
            "credentials_set": credentials,
        })  # fmt: skip
        return 0
    click.echo(f"project: {config.project_name}")
    for name, url in remotes.items():
        click.echo(f"{'*' if name == in_use else ' '} {name}" + ("" if url == name else f"  {redact(url)}"))
    if target is None:
        click.echo("no remote in use: `agentsync remote use local`, or add one with `agentsync remote add NAME URL`")
    elif target.from_environment:
        click.echo(f"(in use: {DATABASE_URL_VARIABLE} from the environment)")
    set_names = [variable for variable, present in credentials.items() if present]
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
