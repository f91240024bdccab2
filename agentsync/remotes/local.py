"""The ``local`` remote: an embedded PostgreSQL (pgserver) in the user's data folder.

One server per user, shared by every clone on the machine, so two clones can collaborate
with no set-up. It is started on first use and left running for the next command; its
database is migrated on every open (nothing to do once it is current).
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.remotes.postgres import PostgresRemote, connect

DATABASE = "agentsync"


def data_folder() -> Path:
    """``$AGENTSYNC_LOCAL_REMOTE``, else ``$XDG_DATA_HOME/agentsync/postgres`` (``~/.local/share/…``)."""
    explicit = os.environ.get("AGENTSYNC_LOCAL_REMOTE")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "agentsync" / "postgres"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Without the warning pgserver's platformdirs prints on every start when XDG_RUNTIME_DIR is
    unset (it falls back to /tmp by itself; the line only alarms people)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        yield


def _import_pgserver() -> Any:
    with _quiet():
        import pgserver

        return pgserver


def server_url(folder: Path | None = None) -> str:
    """Start (or find running) the embedded server; return the URL of its agentsync database, migrated."""
    try:
        import psycopg

        pgserver = _import_pgserver()
    except ImportError as exc:
        raise RemoteError("the local remote needs the embedded PostgreSQL (pgserver): reinstall agentsync") from exc
    from agentsync.remotes import migrations

    folder = folder or data_folder()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder on the way should be, no permission: as a failed start
        raise RemoteError(f"cannot start the local PostgreSQL in {folder}: {exc.strerror}: {exc.filename}") from None
    try:
        with _quiet():
            server = pgserver.get_server(folder, cleanup_mode=None)  # left running
        admin_url: str = server.get_uri()
    except Exception as exc:  # pgserver reports start-up failures with its own exception types
        raise RemoteError(f"cannot start the local PostgreSQL in {folder}: {exc}") from exc
    parts = urllib.parse.urlsplit(admin_url)
    url = urllib.parse.urlunsplit(parts._replace(path="/" + DATABASE))
    with connect(admin_url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            try:
                admin.execute(f'CREATE DATABASE "{DATABASE}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another clone created it at the same moment
    with connect(url) as connection:
        migrations.migrate(connection)
    return url


def open_local(project: str, *, start: bool = True) -> PostgresRemote:
    """The local remote; with ``start=False`` (a read-only look such as ``status``) a server that
    is not running is reported as unavailable instead of being started."""
    if not start and not (data_folder() / "postmaster.pid").exists():
        raise RemoteUnavailable("the local remote is not running (the next push or pull starts it)")
    return PostgresRemote(server_url(), project, identity=f"local#{project}")


def stop(folder: Path | None = None) -> bool:
    """Stop the embedded server, whichever process started it (`agentsync local stop`, the tests);
    False when it was not running."""
    folder = folder or data_folder()
    if not state(folder).running:
        return False
    pgserver = _import_pgserver()
    # As root, pgserver runs PostgreSQL as the data folder's owner; pg_ctl must run as that user too.
    owner = {"user": folder.stat().st_uid} if os.geteuid() == 0 else {}
    pgserver.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=folder, **owner)
    return True


@dataclass(frozen=True)
class LocalServer:
    """Where the embedded server keeps its data, and whether (and as which process) it runs."""

    folder: Path
    running: bool
    pid: int | None


def state(folder: Path | None = None) -> LocalServer:
    """The server's state from its pid file, without starting or reaching it."""
    from agentsync.fsutil import process_running

    folder = folder or data_folder()
    try:
        first = (folder / "postmaster.pid").read_text(encoding="utf-8").split("\n", 1)[0].strip()
    except (FileNotFoundError, NotADirectoryError):
        return LocalServer(folder, False, None)
    pid = int(first) if first.isdigit() else None
    return LocalServer(folder, pid is not None and process_running(pid), pid)
