"""The one path policy for artifact files: which names a file system can hold, and that nothing
agentsync reads or writes lies behind a symlink.

Every path that came from the mirror, a bundle, the remote, the user or a hook is checked here
before a file is written, renamed, removed or read. Writing needs a name every clone can hold
(Linux, macOS and Windows alike: a row refused on one clone is refused on all); reading a file
that is already there needs only a path that stays inside the work tree. Either way, no folder
between the root and the file may be a symlink, even one pointing inside the repository (the
scan never descends into one either), and a write never goes through a symlinked file.

A ``PathPolicy`` remembers the folders it has seen to be real, so a pull of 10,000 rows lstats
each folder once, and ``guard()`` looks again, uncached, right before each rename: a folder
swapped for a symlink after the check is caught there.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from agentsync import lazy
from agentsync.config import STATE_DIR, Config
from agentsync.errors import PathRefused, shown_path
from agentsync.fsutil import Target

NAME_MAX = 255  # bytes in one path segment on every common file system
# fsutil's temp file beside a target is ".{name}.{pid}.{n}.tmp": up to 16 bytes more than the name.
TEMP_RESERVE = 16
MAX_PATH_CHARS = 1000  # a repository-relative path longer than this is no artifact anyone wrote by hand
DEFAULT_PATH_MAX = 4096
SKIP_DIRS = frozenset({".git", STATE_DIR, "node_modules", "__pycache__"})  # folders the scan never enters
_NEVER = frozenset(name.casefold() for name in SKIP_DIRS)

# Controls (C0, DEL, C1: newline, NUL, terminal escapes), line separators, and what Windows cannot hold.
_BAD_CHAR = lazy.pattern(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\\<>:"|?*]')
_WINDOWS_CHARS = frozenset('<>:"|?*')
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{device}{n}" for device in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
# The first three letters of a reserved name in any case ("con", "Con", …): a cheap first test.
_DEVICE_START = frozenset(
    "".join(letters)
    for name in ("CON", "PRN", "AUX", "NUL", "COM", "LPT")
    for letters in itertools.product(*({c, c.lower()} for c in name))
)
_DOTS = frozenset({"", ".", ".."})
_NEVER_START = frozenset(name[0] for name in _NEVER) | frozenset(name[0].upper() for name in _NEVER)
_SHORT = (NAME_MAX - TEMP_RESERVE) // 4  # a segment this short is within the limit whatever its characters


class TypeOf(Protocol):
    """What the policy needs of a Matcher: the artifact type of a path, or None."""

    def type_of(self, path: str) -> str | None: ...


def traversal_problem(path: str) -> str | None:
    """Why ``path`` is no relative path inside the work tree (the rule for reading), or None."""
    return _problem(path, writing=False)


def name_problem(path: str) -> str | None:
    """Why a file system (or a Windows clone) could not hold ``path`` (the rule for writing), or None."""
    return _problem(path, writing=True)


NOT_AN_ARTIFACT_FOLDER = "not in an artifact folder (no glob in agentsync.yaml matches it)"


def checked_name(path: str, matcher: TypeOf | None = None) -> str:
    """``path`` as it is, if every clone's file system can hold it (and, with ``matcher``, an
    artifact glob matches it); else PathRefused. The file system is not looked at."""
    reason = name_problem(path)
    if reason is not None:
        raise PathRefused(path, reason)
    if matcher is not None and matcher.type_of(path) is None:
        raise PathRefused(path, NOT_AN_ARTIFACT_FOLDER)
    return path


def _problem(path: str, *, writing: bool) -> str | None:
    """One pass over the path; the common case costs a regex search and a split (a pull checks 10,000)."""
    if not path:
        return "empty path"
    if writing:
        bad = _BAD_CHAR().search(path)
        if bad is not None and path[0] != "/":
            return _char_problem(bad.group())
        if len(path) > MAX_PATH_CHARS:
            return f"is {len(path)} characters long; at most {MAX_PATH_CHARS}"
        if not path.isascii():
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                return "is not valid Unicode text (it holds a lone surrogate)"
    elif "\x00" in path:
        return "contains a NUL character"
    if path[0] == "/" or (path[1:2] == ":" and path[0].isascii() and path[0].isalpha()):
        return "must be a relative path inside the repository (no leading / or drive)"
    segments = path.split("/")
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment in _DOTS:
            return "must stay inside the repository: no empty, . or .. segments (no //, no trailing /)"
        if segment[0] in _NEVER_START and segment.casefold() in _NEVER:
            return f"is inside {segment}/, a folder agentsync never reads or writes"
        if writing and (len(segment) > _SHORT or segment[-1] in ". " or segment[:3] in _DEVICE_START):
            reason = _segment_problem(segment, NAME_MAX - TEMP_RESERVE if index == last else NAME_MAX)
            if reason is not None:
                return reason
    return None


def _char_problem(char: str) -> str:
    if char == "\x00":
        return "contains a NUL character"
    if char == "\\":
        return "must use / between folders, not \\"
    if char in _WINDOWS_CHARS:
        return f"contains {char!r}, which a Windows clone cannot hold in a file name"
    return f"contains the control character {char!r} (newline, escape…): no file name may"


def _segment_problem(segment: str, limit: int) -> str | None:
    if len(segment) * 4 > limit and len(segment.encode("utf-8")) > limit:
        return (
            f"the name {shown_path(segment)} is {len(segment.encode('utf-8'))} bytes; a file system holds {NAME_MAX} "
            f"(a file's name at most {NAME_MAX - TEMP_RESERVE}, to leave room for the temp file written beside it)"
        )
    if segment[-1] in ". ":
        return f"the name {shown_path(segment)} ends with a dot or a space, which a Windows clone cannot hold"
    if segment.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        return f"the name {shown_path(segment)} is reserved on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9)"
    return None


def _path_max(root: str) -> int:
    try:
        return os.pathconf(root, "PC_PATH_MAX")
    except (AttributeError, OSError, ValueError):
        return DEFAULT_PATH_MAX


class PathPolicy:
    """Checks paths under one root (the work tree, or ``export --to``'s folder), caching the folders
    it has seen to be real folders. One policy per command run or pull; not shared between threads
    that create folders under it (``guard`` re-checks anyway)."""

    def __init__(self, root: Path, matcher: TypeOf | None = None) -> None:
        self.root = root  # as given: the root itself may be a symlink its owner chose
        self._base = str(root)
        self._real = os.path.realpath(root)
        self._matcher = matcher
        self._folders: set[str] = set()  # relative folders seen to be real folders, not symlinks
        self._path_max = _path_max(self._base)
        self.refused: list[PathRefused] = []  # targets ``guard`` found behind a symlink at the rename

    @classmethod
    def for_config(cls, config: Config, matcher: TypeOf | None = None) -> PathPolicy:
        """The work tree's policy; with the config's own matcher unless one is given."""
        if matcher is None:
            from agentsync.globs import Matcher

            matcher = Matcher.from_config(config)
        return cls(config.root, matcher)

    def relative(self, path: str) -> str:
        """``path`` if every clone can hold it and an artifact glob matches it; else PathRefused."""
        return checked_name(path, self._matcher)

    def writable(self, path: str, *, lstat_target: bool = True) -> Path:
        """The file to write, rename onto or remove for ``path``, refused unless its name is one every
        clone can hold, a glob matches it, no folder on the way is a symlink, and the file itself is
        no symlink, folder or device. ``lstat_target=False`` leaves the file's own check to ``guard``
        (for a caller that avoids a stat per file; the folders are checked either way)."""
        return Path(self.writable_target(path, lstat_target=lstat_target))

    def writable_target(self, path: str, *, lstat_target: bool = True) -> str:
        """``writable`` as the str a pull keeps for each of thousands of files (no Path built)."""
        rel = self.relative(path)
        if len(self._base) + len(rel) * 4 + TEMP_RESERVE + 1 >= self._path_max:
            full = len(os.fsencode(self._base)) + 1 + len(rel.encode("utf-8")) + TEMP_RESERVE
            if full >= self._path_max:
                reason = f"joined to {self._base} it is {full} bytes, over this system's {self._path_max}"
                raise PathRefused(rel, reason)
        self._check_folders(rel)
        target = self.native(rel)
        if lstat_target:
            try:
                info = os.lstat(target)
            except FileNotFoundError:
                return target
            refusal = _not_writable(target, info)
            if refusal is not None:
                raise PathRefused(rel, refusal)
        return target

    def native(self, rel: str) -> str:
        """The root joined with ``rel`` (``/``-separated, as the mirror keeps paths), in this system's form."""
        return os.path.join(self._base, rel if os.sep == "/" else rel.replace("/", os.sep))

    def readable(self, path: str) -> tuple[Path, os.stat_result | None]:
        """What to open for ``path`` and its stat (None: not there), refused unless it stays inside the
        work tree with no symlinked folder on the way. A symlinked file is followed, as the scan does,
        if its target is a file inside the repository (outside ``.git``)."""
        real, info = self.lookup(path)
        return Path(real), info

    def lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        """``readable`` with the path as a str: no Path object built (the scan of named paths calls it)."""
        reason = traversal_problem(path)
        if reason is not None:
            raise PathRefused(path, reason)
        self._check_glob(path)
        self._check_folders(path)
        target = os.path.join(self._base, path)
        try:
            info = os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            return target, None
        if stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(target)
            if not _inside(self._real, real) or _inside(os.path.join(self._real, ".git"), real):
                raise PathRefused(path, f"is a symlink to {real}, outside the repository; not read")
            try:
                return real, os.stat(real)
            except FileNotFoundError:
                return target, None
        return target, info

    def intact(self, target: str | Path) -> bool:
        """Whether ``target`` (a path ``writable`` gave) still has only real folders above it and is no
        symlink, looked at afresh (no cache): what to ask right before a rename or removal."""
        text = str(target)
        if not text.startswith(self._base.rstrip(os.sep) + os.sep):
            return False
        current = self._base
        for part in text[len(current) :].strip(os.sep).split(os.sep)[:-1]:
            current = os.path.join(current, part)
            try:
                mode = os.lstat(current).st_mode
            except OSError:
                return False
            if not stat.S_ISDIR(mode):  # a symlink is not S_ISDIR under lstat
                return False
        if absent(text):
            return True
        try:
            return _not_writable(text, os.lstat(text)) is None
        except FileNotFoundError:
            return True
        except OSError:
            return False

    def folder_fd(self, rel: str) -> int | None:
        """A descriptor of the folder ``rel`` (``""``: the root), reached one real folder at a time
        (a symlink on the way fails the open, even one swapped in meanwhile); None where it is no
        such folder or this system cannot say. The caller closes it."""
        if not _FOLDER_FDS:
            return None
        try:
            fd = os.open(self._base, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return None
        for part in rel.split("/") if rel else ():
            try:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError:
                os.close(fd)
                return None
            os.close(fd)
            fd = inner
        return fd

    def guard(self, still: Callable[[Target], bool] | None = None) -> Callable[[Target], bool]:
        """A ``still`` for fsutil's atomic writes: ``intact`` first (a target now behind a symlink is
        left alone and listed in ``refused``, so a caller can tell it from one ``still`` declined),
        then the caller's own ``still``, if any. It may run in a writer thread."""

        def check(target: Target) -> bool:
            if not self.intact(target):
                rel = str(target)[len(self._base) :].lstrip(os.sep).replace(os.sep, "/")
                reason = "it or a folder on the way became a symlink (or not a folder) during the write; not written"
                self.refused.append(PathRefused(rel, reason))
                self._folders.clear()
                return False
            return still is None or still(target)

        return check

    def _check_glob(self, path: str) -> None:
        if self._matcher is not None and self._matcher.type_of(path) is None:
            raise PathRefused(path, NOT_AN_ARTIFACT_FOLDER)

    def _check_folders(self, rel: str) -> None:
        """Every existing folder between the root and ``rel`` is a real folder; missing ones will be
        made by the write itself (and ``guard`` looks at them again before the rename)."""
        folder = rel.rpartition("/")[0]
        if not folder or folder in self._folders:
            return
        current = ""
        for part in folder.split("/"):
            current = f"{current}/{part}" if current else part
            if current in self._folders:
                continue
            full = os.path.join(self._base, current)
            if absent(full):
                return
            try:
                mode = os.lstat(full).st_mode
            except FileNotFoundError:
                return
            if stat.S_ISLNK(mode):
                raise PathRefused(
                    rel,
                    f"folder {current} is a symlink (to {os.path.realpath(full)}); agentsync never reads or "
                    "writes through a symlinked folder: make it a real folder",
                )
            if not stat.S_ISDIR(mode):
                raise PathRefused(rel, f"{current} is a file, not a folder")
            self._folders.add(current)


_NO_FOLLOW = os.access in os.supports_follow_symlinks
# folders opened one below another, their entries removed and linked by descriptor (Linux, macOS)
_FOLDER_FDS = {os.open, os.rmdir, os.unlink, os.link} <= os.supports_dir_fd and os.scandir in os.supports_fd


def absent(path: str | Path) -> bool:
    """Whether nothing at all (not even a dangling symlink) is at ``path``, asked without an
    exception: a pull looks at thousands of files and folders that do not exist yet, and a
    FileNotFoundError costs several times the look. False when it cannot tell (then lstat)."""
    return _NO_FOLLOW and not os.access(path, os.F_OK, follow_symlinks=False)


def _not_writable(target: str, info: os.stat_result) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return (
            f"is a symlink (to {os.path.realpath(target)}); agentsync never writes through a symlink: "
            "replace it with the file itself"
        )
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, socket or pipe)"
    return None


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def checked_target(config: Config, matcher: TypeOf, path: str) -> Path:
    """One-off form of ``PathPolicy.writable``: the file to write for ``path`` in ``config``'s work
    tree, or PathRefused. A loop over many paths should hold one PathPolicy (it caches folders)."""
    return PathPolicy(config.root, matcher).writable(path)
