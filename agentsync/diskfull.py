"""A full disk (or quota, or file size limit) is one typed error with one actionable line.

Writers turn the ``OSError`` (ENOSPC, EDQUOT, EFBIG) or SQLite's SQLITE_FULL into
``DiskFullError`` naming what they were writing; whatever still slips through is caught
the same way by the CLI (``from_exception``). A push whose answer the remote gave but
whose recording here hit a full disk is ``PushNotRecorded``: the remote has it, the
batch stays in the outbox, and the next push resends it and gets the same answer
(the remote keeps each batch's answer), so the local record catches up by itself.
"""

from __future__ import annotations

import errno
import sqlite3

from agentsync.errors import DiskFullError

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_SQLITE_FULL = 13
_NEARLY_FULL = 64 * 1024  # bytes: less than this free and a write of a page or two fails


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or a quota, or a file size limit) is full."""
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return (code is not None and code & 0xFF == _SQLITE_FULL) or "database or disk is full" in str(exc)
    return False


def no_space(folder: object) -> bool:
    """Whether the filesystem holding ``folder`` has (next to) no space left: SQLite reports a
    failed write of its journal or WAL as a plain "disk I/O error"."""
    import os

    try:
        found = os.statvfs(str(folder))
    except (OSError, AttributeError):
        return False
    return found.f_bavail * found.f_frsize < _NEARLY_FULL


def from_exception(exc: BaseException, target: object = None) -> DiskFullError | None:
    """``exc`` as a ``DiskFullError`` if it is one of a full disk, else None."""
    if isinstance(exc, DiskFullError):
        return exc
    if not is_disk_full(exc):
        return None
    filename = getattr(exc, "filename", None)
    return DiskFullError(target or filename or "a file")
