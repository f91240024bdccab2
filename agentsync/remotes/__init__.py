"""The shared remote: PostgreSQL (directly, embedded, or behind Supabase) and its migrations."""

from __future__ import annotations

import os

from agentsync.config import Config
from agentsync.errors import RemoteError
from agentsync.remotes.base import Remote

DATABASE_URL_VARIABLE = "AGENTSYNC_DATABASE_URL"


def remote_url(config: Config) -> str | None:
    """Where the remote is: ``AGENTSYNC_DATABASE_URL`` (may hold a password), else ``remote:`` in the config."""
    return os.environ.get(DATABASE_URL_VARIABLE) or config.remote


def open_remote(config: Config) -> Remote:
    """The remote for this repository's project, by the kind its URL names."""
    url = remote_url(config)
    if not url:
        raise RemoteError(
            "no remote configured: set `remote: postgresql://HOST/DB` in agentsync.yaml (the password goes in "
            f"PGPASSWORD) or the {DATABASE_URL_VARIABLE} environment variable"
        )
    if url.startswith(("postgresql://", "postgres://")):
        from agentsync.remotes.postgres import PostgresRemote  # connects (and checks the driver) on first use

        return PostgresRemote(url, config.project_name)
    if url == "local":
        from agentsync.remotes.local import open_local

        return open_local(config.project_name)
    raise RemoteError(
        f"remote {url.split('://')[0]!r} is not supported by this agentsync yet; use `local` or a postgresql:// URL"
    )
