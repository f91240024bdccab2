"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

# Called with a target right before it is replaced: False leaves the file as it is (it changed
# since the caller read it: someone is editing it).
Still = Callable[[Path], bool]
# A target of ``atomic_write_many``: a Path, or the str a caller writing thousands keeps instead
# (a Path built, hashed and printed per file costs a pull of 10,000 files ~0.2 s).
Target = TypeVar("Target", str, Path)


def _disk_full(exc: OSError, path: Path) -> BaseException:
    """``exc`` as the typed error of a full disk naming ``path``, or ``exc`` itself."""
    from agentsync.diskfull import from_exception

    return from_exception(exc, path) or exc


def atomic_write(
    path: Target, data: bytes, *, sync: bool = True, still: Callable[[Target], bool] | None = None
) -> bool:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, rename. With ``still``,
    the target is checked once more right before the rename; returns False if it was left alone.
    A full disk raises ``DiskFullError`` (and leaves no temp file)."""
    try:
        return _atomic_write(path, data, sync=sync, still=still)
    except OSError as exc:
        raise _disk_full(exc, Path(path)) from None


def _atomic_write(path: Target, data: bytes, *, sync: bool, still: Callable[[Target], bool] | None) -> bool:
    folder = os.path.dirname(path) or os.curdir
    os.makedirs(folder, exist_ok=True)
    clean_once(folder)
    tmp = _stage(path, data, sync=sync)
    try:
        if still is not None and not still(path):
            os.unlink(tmp)
            return False
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if sync:
        fsync_dir(folder)
    return True


def read_below(root: Path, relative: str, limit: int = -1) -> str | None:
    """The text of the file at ``root/relative`` (its line endings as written; at most ``limit``
    characters), or None where it is missing, unreadable, not UTF-8, or it or any folder on the way
    below ``root`` is a symlink: a tool's template or settings never come from behind one."""
    parts = relative.split("/")
    places = [root.joinpath(*parts[:depth]) for depth in range(1, len(parts) + 1)]
    if any(os.path.islink(place) for place in places):
        return None
    try:
        with open(places[-1], encoding="utf-8", newline="") as file:
            return file.read(limit)
    except (OSError, UnicodeDecodeError):
        return None


def stat_signature(path: str | Path) -> tuple[int, int, int] | None:
    """(size, mtime, inode) of ``path``, or None if it does not exist: what ``still`` compares.
    An editor's save changes it, whether it rewrites the file or renames a new one over it."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_size, found.st_mtime_ns, found.st_ino)


def fsync_dir(folder: str | Path) -> None:
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


def _stage(path: str | Path, data: bytes, *, sync: bool = False) -> str:
    """Write ``data`` to a new temp file beside ``path`` (keeping ``path``'s mode); return its name."""
    mode = 0o666
    try:
        if os.access(path, os.F_OK):  # most writes of a pull make new files: no stat that fails
            mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    folder, name = os.path.split(path)
    for attempt in range(100):
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{attempt}.tmp")
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
        except BaseException as exc:
            os.close(fd)
            os.unlink(tmp)  # never leave a half-written temp file behind
            if isinstance(exc, OSError) and exc.filename is None:
                exc.filename = str(path)  # a write names no file: say which one it was
            raise
        os.close(fd)
        return tmp
    raise FileExistsError(f"cannot create a temp file beside {path}")


def atomic_write_many(
    items: Sequence[tuple[Target, bytes]], *, still: Callable[[Target], bool] | None = None
) -> list[Target]:
    """Write many files atomically with one flush to disk instead of one fsync each; return the
    targets left alone because ``still`` said they changed since they were read.

    Every file goes to a temp file first; all are flushed together (``os.sync``), and only
    then renamed into place, so a crash leaves each file either old or new. ``still`` is asked
    about each target right before its rename.
    """
    if len(items) <= 16 or not hasattr(os, "sync"):
        return [path for path, data in items if not atomic_write(path, data, still=still)]
    try:
        return _atomic_write_many(items, still)
    except OSError as exc:
        raise _disk_full(exc, Path(exc.filename or os.path.dirname(items[0][0]))) from None


def _atomic_write_many(items: Sequence[tuple[Target, bytes]], still: Callable[[Target], bool] | None) -> list[Target]:
    skipped: list[Target] = []
    staged: list[tuple[str, Target]] = []
    made: set[str] = set()
    try:
        for path, data in items:
            folder = os.path.dirname(path) or os.curdir
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                clean_once(folder)
                made.add(folder)
            staged.append((_stage(path, data), path))
        os.sync()
        for index, (tmp, path) in enumerate(staged):
            if still is not None and not still(path):
                os.unlink(tmp)
                staged[index] = ("", path)
                skipped.append(path)
                continue
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in staged:
            try:
                if tmp:
                    os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    for made_folder in made:
        fsync_dir(made_folder)
    return skipped


TEMP_GITIGNORE = ".*.[0-9]*.[0-9]*.tmp"  # the names _stage gives temp files, as a gitignore pattern
_TEMP_NAME = re.compile(r"\A\..+\.(\d+)\.\d+\.tmp\Z")
STALE_AFTER_S = 3600  # a live writer renames its temp files within seconds; one this old was left behind
_START_SLACK_S = 2.0  # /proc's boot time is whole seconds: a process's start time is known to about 1 s
_cleaned: set[str] = set()  # folders this process has cleaned already (once per folder per run)


def clean_once(folder: str | Path) -> None:
    """``remove_stale_temps`` for ``folder`` unless this process did it already: every atomic write
    calls it, so a killed run's temp files go with the next run that writes there."""
    if os.fspath(folder) not in _cleaned:
        remove_stale_temps([folder])


def remove_stale_temps(folders: Iterable[str | Path]) -> int:
    """Remove temp files a killed writer left in ``folders``; return how many.

    A temp file is named ``.NAME.PID.N.tmp`` after the process that writes it. It is stale when
    that PID no longer runs; or when a process with that PID runs but started after the file was
    last written (the PID was reused: no process writes a file before it exists; Linux's /proc
    says when it started); or when the file is older than ``STALE_AFTER_S`` whoever runs (a
    writer renames its temp files seconds after making them, and this also covers PID reuse
    where the start time is unknown). A live writer's fresh temp file is never touched, so two
    agentsync processes writing the same folder do not disturb each other.
    """
    removed = 0
    now = time.time()
    for folder in {os.fspath(folder) for folder in folders}:
        _cleaned.add(folder)
        if os.path.islink(folder):
            continue  # swapped for a symlink since its writer looked: what it points at is not ours to clean
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = _TEMP_NAME.match(name) if name.endswith(".tmp") else None
            if match is None:
                continue
            path = os.path.join(folder, name)
            try:
                if _stale(int(match.group(1)), os.lstat(path).st_mtime, now):
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                pass  # its writer renamed it meanwhile, or another cleaner removed it
    return removed


def _stale(pid: int, mtime: float, now: float) -> bool:
    if not process_running(pid) or now - mtime > STALE_AFTER_S:
        return True
    started = process_start_time(pid)
    return started is not None and started > mtime + _START_SLACK_S


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where /proc tells; else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22, starttime, counted after the ")" that ends the name
        return _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _boot_time() -> float:
    with open("/proc/stat", "rb") as stat:
        for line in stat:
            if line.startswith(b"btime "):
                return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")


def process_running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (someone else's included)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited and waits to be reaped (Linux; killed, its files are no more its):
    signal 0 still reaches it, so a killed writer's temp files looked in use."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2].split()[:1]
    except OSError:
        return False  # not Linux, or gone this moment: as signal 0 said
    return state in ([b"Z"], [b"X"])


def same_name_spelled_otherwise(root: Path, relative: str) -> str | None:
    """A file or folder on the way to ``root / relative`` (a path to be made) whose name is the same
    once Unicode-normalised, as that path would spell it: ``café`` as e and a combining accent (as macOS
    writes names) and as one character are two names on Linux, one on macOS and Windows."""
    if relative.isascii():
        return None
    import unicodedata

    folder, made = root, list[str]()
    for name in relative.split("/"):
        if not os.path.lexists(folder / name):
            wanted = unicodedata.normalize("NFC", name)
            try:
                names = os.listdir(folder)
            except OSError:  # no such folder yet: nothing beside the rest
                return None
            twin = next((other for other in names if unicodedata.normalize("NFC", other) == wanted), None)
            return "/".join([*made, twin]) if twin is not None else None
        folder, made = folder / name, [*made, name]
    return None
