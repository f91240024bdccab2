"""The watcher's status record, ``.agentsync/watcher.json``: what ``status``, ``doctor`` and
``stats`` read to say whether a watcher runs here, its last sync, lag and errors.

The record's writer (the watcher) and its readers share its layout and its states here.
"""

from __future__ import annotations

import datetime
import json
import os
from enum import Enum
from pathlib import Path
from typing import Any

from agentsync.config import Config


def host_name() -> str:
    """This machine's name, as ``socket.gethostname`` gives it (the kernel's node name), without the
    socket module's import where the platform says it directly: ``status`` reads a watcher's record."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


STATUS_NAME = "watcher.json"


class WatcherState(str, Enum):
    """The ``state`` of a status record (a str: it is written to and compared with JSON as is)."""

    RUNNING = "running"
    BACKOFF = "backoff"  # running, the remote side waiting to retry an unreachable remote
    STOPPED = "stopped"
    FAILED = "failed"  # ended by an error
    DIED = "died"  # only ever read: the record said running, but its process is gone

    def __str__(self) -> str:
        return self.value


LIVE_STATES = (WatcherState.RUNNING, WatcherState.BACKOFF)


def now_text() -> str:
    """The local time as the record writes it (seconds, with the offset)."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def status_path(config: Config) -> Path:
    return config.state_dir / STATUS_NAME


def watcher_state(config: Config) -> dict[str, Any] | None:
    """The watcher's status record with ``running``; None if no watcher ever ran here. A record
    that says running while its process is gone is from a watcher that was killed (``died``).
    (The record is read, not the watcher's lock: probing the lock could turn away a watcher
    that is starting at that very moment.)"""
    try:
        record = json.loads(status_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    pid = int(record.get("pid") or 0)
    alive = record.get("host") == host_name() and _is_watcher(pid, record.get("process_start"))
    live = record.get("state") in LIVE_STATES
    record["running"] = alive and live
    if not alive and live:
        record["state"] = WatcherState.DIED.value  # killed without the chance to say so
    return record


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where unknown:
    with the pid it names one process, even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # field 22; the command name before it may hold spaces


def _is_watcher(pid: int, started: str | None) -> bool:
    """Whether ``pid`` runs and is the process that wrote the record."""
    from agentsync.fsutil import process_running

    return process_running(pid) and (started is None or process_start(pid) in (started, None))


def status_record(
    state: WatcherState, *, started_at: str, push: bool, remote: str | None, notifications: bool,
    poll_interval: float, last_sync: dict[str, str] | None, last_error: dict[str, str] | None, errors: int,
    cursor: int, head: int | None,
) -> dict[str, Any]:  # fmt: skip
    """The record this process writes (``pid``, host and process start name it)."""
    return {
        "pid": os.getpid(),
        "process_start": process_start(os.getpid()),
        "host": host_name(),
        "state": state.value,
        "started_at": started_at,
        "updated_at": now_text(),
        "push": push,
        "remote": remote,
        "notifications": notifications,
        "poll_interval": poll_interval,
        "last_sync": last_sync,
        "last_error": last_error,
        "errors": errors,
        "cursor": cursor,
        "head": head,
        "lag": max(head - cursor, 0) if head is not None else None,
    }


def write_status(config: Config, record: dict[str, Any], previous: dict[str, Any]) -> bool:
    """Write ``record`` unless it says nothing new since ``previous`` (the file is not rewritten every
    head check); True if written."""
    from agentsync.fsutil import atomic_write

    if record == {**previous, "updated_at": record["updated_at"]}:
        return False
    atomic_write(status_path(config), json.dumps(record, indent=2).encode("utf-8"), sync=False)
    return True
