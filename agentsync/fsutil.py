"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _stage(path, data, sync=sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if sync:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage(path: Path, data: bytes, *, sync: bool = False) -> str:
    """Write ``data`` to a new temp file beside ``path`` (keeping ``path``'s mode); return its name."""
    mode = 0o666
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    for attempt in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode != 0o666:
                os.fchmod(fd, mode)  # the umask applied to a new file's mode; keep the old file's exactly
            if sync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)  # never leave a half-written temp file behind
            raise
        os.close(fd)
        return tmp
    raise FileExistsError(f"cannot create a temp file beside {path}")


def atomic_write_many(items: list[tuple[Path, bytes]]) -> None:
    """Write many files atomically with one flush to disk instead of one fsync each.

    Every file goes to a temp file first; all are flushed together (``os.sync``), and only
    then renamed into place, so a crash leaves each file either old or new.
    """
    if len(items) <= 16 or not hasattr(os, "sync"):
        for path, data in items:
            atomic_write(path, data)
        return
    staged: list[tuple[str, Path]] = []
    made: set[Path] = set()
    try:
        for path, data in items:
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            staged.append((_stage(path, data), path))
        os.sync()
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    for folder in made:
        fsync_dir(folder)


_TEMP_NAME = re.compile(r"\A\..+\.(\d+)\.\d+\.tmp\Z")


def remove_stale_temps(folders: Iterable[Path]) -> int:
    """Remove temp files a killed writer left in ``folders`` (its pid no longer runs); return how many."""
    removed = 0
    for folder in set(folders):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = _TEMP_NAME.match(name)
            if match is None or _running(int(match.group(1))):
                continue
            try:
                os.unlink(os.path.join(folder, name))
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
