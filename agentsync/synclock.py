"""One sync at a time per repository: the watcher, the hooks and the commands share one lock.

The lock is an OS lock (``flock``) on ``.agentsync/sync.lock``: the kernel drops it when its
holder exits, however it exits, so a killed process never leaves a stale lock behind. The
file is never replaced (a rename would give later callers another inode to lock); while
held, it names its holder so that a caller who has to wait or give up can say for whom.

Within one thread the lock is reentrant: ``push`` may run a ``pull`` while holding it. Other
threads of the same process wait like other processes do.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentsync.config import Config
from agentsync.errors import SyncBusy

LOCK_NAME = "sync.lock"
WAIT_VARIABLE = "AGENTSYNC_LOCK_WAIT"  # seconds a command waits for another sync (default below)
COMMAND_WAIT = 30.0  # a command waits this long by default: a sync is usually done in well under that
HOOK_WAIT = 2.0  # a hook waits briefly, then leaves the work to the sync that holds the lock

_held: dict[tuple[str, int], tuple[int, int]] = {}  # (lock path, thread) -> (file descriptor, depth)
_guard = threading.Lock()


def lock_path(config: Config) -> Path:
    return config.state_dir / LOCK_NAME


def default_wait() -> float:
    """``AGENTSYNC_LOCK_WAIT`` seconds, else ``COMMAND_WAIT``."""
    from agentsync.errors import UsageError

    raw = os.environ.get(WAIT_VARIABLE, "").strip()
    if not raw:
        return COMMAND_WAIT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageError(f"{WAIT_VARIABLE} is {raw!r}; use a number of seconds, 0 or more")
    return value


def describe(holder: dict[str, Any]) -> str:
    """``watcher (pid 123 on host, since 12:00:01)`` from a holder record."""
    if not holder:
        return "another agentsync process"
    since = str(holder.get("since", ""))[11:19]
    where = f" on {holder['host']}" if holder.get("host") and holder.get("host") != socket.gethostname() else ""
    return f"{holder.get('purpose', 'a sync')} (pid {holder.get('pid', '?')}{where}" + (
        f", since {since})" if since else ")"
    )


def read_holder(config: Config) -> dict[str, Any]:
    """Who holds (or last held) the lock, as it recorded itself; ``{}`` if unknown."""
    try:
        data = json.loads(lock_path(config).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def hold(config: Config, purpose: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the repository's sync lock for ``purpose``; wait up to ``wait`` seconds for another
    holder (default: ``default_wait()``), then raise ``SyncBusy`` naming it."""
    path = lock_path(config)
    key = (str(path), threading.get_ident())
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release(key)
        return
    fd = _acquire(config, path, purpose, default_wait() if wait is None else wait)
    with _guard:
        _held[key] = (fd, 1)
    try:
        yield
    finally:
        _release(key)


def _acquire(config: Config, path: Path, purpose: str, wait: float) -> int:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    pause = 0.02
    try:
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = read_holder(config)
                waited = f" after waiting {wait:g} s" if wait else ""
                raise SyncBusy(
                    f"another sync is running in this repository: {describe(holder)}{waited}; "
                    f"try again when it is done (or set {WAIT_VARIABLE} to wait longer)",
                    holder,
                )
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, 0.2)
    except BaseException:
        os.close(fd)
        raise
    import datetime

    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "purpose": purpose,
        "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
    return fd


def _release(key: tuple[str, int]) -> None:
    with _guard:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
    try:
        os.ftruncate(fd, 0)  # nobody holds it now
    finally:
        _unlock(fd)
        os.close(fd)


def try_exclusive(path: Path) -> int | None:
    """Lock ``path`` (created if missing) without waiting, for as long as the caller lives or until
    ``release_exclusive``: its descriptor, or None if another process holds it. (The watcher's
    one-per-repository lock.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if _try_lock(fd):
        return fd
    os.close(fd)
    return None


def release_exclusive(fd: int) -> None:
    try:
        _unlock(fd)
    finally:
        os.close(fd)


def is_held(config: Config) -> bool:
    """Whether this thread holds the repository's lock."""
    with _guard:
        return (str(lock_path(config)), threading.get_ident()) in _held


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
