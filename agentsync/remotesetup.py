"""Setting up remotes (``agentsync remote …``): migrate a database to this agentsync's schema, name
remotes in agentsync.yaml and choose the one push and pull use, and list them with the credential
variables the environment sets (whether set, never their values)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.remotes.migrations import Migration


@dataclass(frozen=True)
class Migrated:
    applied: list[Migration]  # what this run applied, in order
    version: int  # the schema version the database is at now


def migrate(db_url: str | None) -> Migrated:
    """Apply the migrations the database at ``db_url`` (else $AGENTSYNC_DATABASE_URL) is missing."""
    from agentsync.errors import RemoteError, UsageError
    from agentsync.remotes import DATABASE_URL_VARIABLE

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
    return Migrated(done, version)


def _edit_config(edit: Callable[[str], str]) -> Config:
    """Apply a text edit to agentsync.yaml, validate the result as a whole, write it atomically."""
    import yaml

    from agentsync import config as config_module
    from agentsync.fsutil import atomic_write

    root = config_module.find_root()
    path = root / config_module.CONFIG_NAME
    config_module.load(root)  # the file as it is must load before it is edited
    edited = edit(path.read_text(encoding="utf-8"))
    config = config_module.from_dict(root, yaml.safe_load(edited) or {}, str(path))  # refuses secrets, bad URLs
    atomic_write(path, edited.encode("utf-8"))
    return config


def add_remote(name: str, url: str, *, make_default: bool) -> Config:
    """Name ``url`` as remote ``name`` (and make it the one in use); the config as written."""
    from agentsync.config import CONFIG_NAME, REMOTE_NAME, is_remote_url
    from agentsync.config import edit as config_edit
    from agentsync.errors import ConfigError, UsageError
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

    return _edit_config(edit)


def use_remote(config: Config, name: str) -> None:
    """Make push and pull use ``name`` (``local`` or a named remote)."""
    from agentsync.config import edit as config_edit
    from agentsync.errors import UsageError

    if name != "local" and name not in config.remotes:
        known = ", ".join(["local", *config.remotes])
        raise UsageError(f"no remote named {name!r}; known: {known} (add one with `agentsync remote add NAME URL`)")
    _edit_config(lambda text: config_edit.set_top_level(text, "remote", name))


def remove_remote(config: Config, name: str) -> bool:
    """Remove the named remote; True if it was in use (push and pull then use ``local``)."""
    from agentsync.config import edit as config_edit
    from agentsync.errors import UsageError

    if name not in config.remotes:
        raise UsageError(f"no remote named {name!r} under `remotes` in agentsync.yaml")
    was_default = config.remote == name

    def edit(text: str) -> str:
        text = config_edit.remove_remote(text, name)
        return config_edit.set_top_level(text, "remote", "local") if was_default else text

    _edit_config(edit)
    return was_default


@dataclass(frozen=True)
class RemoteListing:
    """The remotes (name → URL, redacted), the one in use, and which credential variables are set."""

    project: str
    remotes: dict[str, str]
    in_use: str | None
    from_environment: bool  # in use: $AGENTSYNC_DATABASE_URL
    credentials_set: dict[str, bool]

    def to_json(self) -> dict[str, object]:
        return {"project": self.project, "default": self.in_use, "from_environment": self.from_environment,
                "remotes": [{"name": n, "url": u, "default": n == self.in_use} for n, u in self.remotes.items()],
                "credentials_set": self.credentials_set}  # fmt: skip


def remote_listing(config: Config) -> RemoteListing:
    from agentsync.remotes import remote_target
    from agentsync.secrets import CREDENTIAL_VARIABLES, redact

    target = remote_target(config)
    remotes = {"local": "local", **config.remotes}
    if target is not None and target.name is None:
        remotes[target.shown] = target.shown
    return RemoteListing(
        project=config.project_name,
        remotes={name: redact(url) for name, url in remotes.items()},
        in_use=None if target is None else (target.name or target.shown),
        from_environment=bool(target and target.from_environment),
        credentials_set={variable: bool(os.environ.get(variable)) for variable in CREDENTIAL_VARIABLES},
    )
