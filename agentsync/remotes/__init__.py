"""The shared remote: PostgreSQL (directly, embedded, or behind Supabase) and its migrations.

Naming the remote (``remote_target``) loads nothing else: ``status`` asks which remote without
opening one, so the protocol (``base``) and the retries are imported when a remote is opened."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal, NamedTuple

from agentsync.config import Config
from agentsync.errors import RemoteError
from agentsync.secrets import DATABASE_URL_VARIABLE as DATABASE_URL_VARIABLE  # re-exported: its home is secrets

if TYPE_CHECKING:
    from agentsync.remotes.base import Remote
    from agentsync.remotes.retry import RetryPolicy

RemoteKind = Literal["local", "supabase", "postgresql"]  # which client speaks to a remote's URL
RETRIES_VARIABLE = "AGENTSYNC_RETRIES"  # calls in all when the remote is unreachable (1: no retry)


class RemoteTarget(NamedTuple):
    """Which remote a command talks to: its name (or None for a URL given directly) and URL."""

    name: str | None
    url: str
    from_environment: bool = False

    @property
    def kind(self) -> RemoteKind:
        if self.url == "local":
            return "local"
        return "supabase" if self.url.startswith(("https://", "http://")) else "postgresql"

    @property
    def shown(self) -> str:
        """The URL without any password, for messages and the mirror's record of where it syncs."""
        from agentsync.secrets import redact

        return redact(self.url)


def remote_target(config: Config) -> RemoteTarget | None:
    """The remote push and pull use: ``AGENTSYNC_DATABASE_URL`` (it may hold a password), else the
    config's ``remote:`` (a name under ``remotes:`` or a URL), else none."""
    explicit = os.environ.get(DATABASE_URL_VARIABLE)
    if explicit:
        return RemoteTarget(None, explicit, from_environment=True)
    if not config.remote:
        return None
    if config.remote in config.remotes:
        return RemoteTarget(config.remote, config.remotes[config.remote])
    return RemoteTarget("local" if config.remote == "local" else None, config.remote)


def open_remote(config: Config, retry: RetryPolicy | None = None, *, start_local: bool = True) -> Remote:
    """The remote for this repository's project, by the kind its URL names; calls that cannot
    reach it are retried by ``retry`` (a command's default; attempts overridden by ``AGENTSYNC_RETRIES``).
    ``start_local=False``: a local remote that is not running is not started for this."""
    from agentsync.remotes.retry import COMMAND_RETRY, RetryingRemote, RetryPolicy

    retry = COMMAND_RETRY if retry is None else retry
    attempts = os.environ.get(RETRIES_VARIABLE, "").strip()
    if attempts:
        if not attempts.isdigit() or int(attempts) < 1:
            raise RemoteError(f"{RETRIES_VARIABLE} is {attempts!r}; use a whole number of calls, 1 or more")
        retry = RetryPolicy(int(attempts), retry.base, retry.cap)
    return RetryingRemote(_open(config, start_local), retry)


@contextlib.contextmanager
def opened(config: Config, retry: RetryPolicy | None = None, *, start_local: bool = True) -> Iterator[Remote]:
    """``open_remote`` for the length of a block, closed afterwards."""
    remote = open_remote(config, retry, start_local=start_local)
    try:
        yield remote
    finally:
        remote.close()


def looking(config: Config) -> contextlib.AbstractContextManager[Remote]:
    """The remote for a look (`status`, `stats`, `doctor`): one try, nothing started (a local
    remote that is not running is unavailable): unreachable is an answer, not a wait."""
    from agentsync.remotes.retry import NO_RETRY

    return opened(config, NO_RETRY, start_local=False)


def _open(config: Config, start_local: bool) -> Remote:
    target = remote_target(config)
    if target is None:
        raise RemoteError(
            "no remote configured: set `remote: local` in agentsync.yaml (or add one with `agentsync remote add "
            f"NAME URL --default`), or set the {DATABASE_URL_VARIABLE} environment variable"
        )
    project = config.project_name
    if target.kind == "postgresql":
        from agentsync.remotes.postgres import PostgresRemote  # connects (and checks the driver) on first use

        return PostgresRemote(target.url, project)
    if target.kind == "supabase":
        from agentsync.remotes.supabase import SupabaseRemote, credentials_from_environment
        from agentsync.secrets import config_secret

        if config_secret(target.url) is not None:  # its URL is shown and recorded: keys come from variables
            raise RemoteError(
                f"the Supabase URL {target.shown} carries a key or password: give the bare project URL and the "
                "key in SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_ANON_KEY and SUPABASE_ACCESS_TOKEN)"
            )

        api_key, access_token = credentials_from_environment()
        return SupabaseRemote(target.url, project, api_key, access_token)
    from agentsync.remotes.local import open_local

    return open_local(project, start=start_local)


def notification_url(remote: Remote) -> str | None:
    """The PostgreSQL URL to listen on for ``remote``'s change notifications; None if it has none
    (Supabase over HTTP: watchers check its head instead)."""
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.remotes.retry import RetryingRemote

    inner = remote.inner if isinstance(remote, RetryingRemote) else remote
    return inner.url if isinstance(inner, PostgresRemote) else None
