"""Finding artifact files: glob matching, walking only the folders globs can reach, path safety."""

from __future__ import annotations

import functools
import os
from collections.abc import Container, Iterator
from operator import attrgetter
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from agentsync import formats
from agentsync.config import Config
from agentsync.errors import PathRefused, UnsafePathError
from agentsync.folders import UNKNOWN, FileGroup, Listing, Listings, Stamp
from agentsync.globs import Matcher, glob_to_regex, static_prefix
from agentsync.pathpolicy import SKIP_DIRS as _SKIP_DIRS
from agentsync.pathpolicy import PathPolicy, checked_name, checked_target

# The globs live in globs, the policy in pathpolicy; both are used from here too.
__all__ = ["Matcher", "PathPolicy", "PathRefused", "checked_target", "glob_to_regex", "static_prefix"]


class FoundFile(NamedTuple):
    path: str  # repository-relative posix path
    type: str
    mtime_ns: int
    size: int
    real_path: str  # what to open: the file itself, or a symlink's target inside the repository


class Refusal(NamedTuple):
    """A path that matched but must not be read (a symlink out of the repository)."""

    path: str
    reason: str


def walk(
    config: Config, matcher: Matcher, unchanged: Container[tuple[str, int, int]] = (), seen: list[str] | None = None,
    listings: Listings | None = None, *, trusted: bool = False,
) -> Iterator[FoundFile | Refusal]:  # fmt: skip
    """Yield every artifact file the globs match, statting each once.

    A scan passes what the mirror has as (path, size, mtime_ns) in ``unchanged`` and a list
    ``seen``: a file whose stat matches is only appended to ``seen`` (every file found is),
    not yielded, so a rescan with nothing changed builds nothing per file. With ``listings``,
    a folder whose stamp is unchanged is not listed again (its files are still statted), and
    the folders that were listed are recorded there, with the mirror's size and mtime of each
    file found as the mirror has it. ``trusted`` says those sizes and mtimes are still the
    mirror's (its stat generation is the listings'): a folder whose files all stat as listed
    is then passed without asking ``unchanged`` about any of them."""
    root = str(config.root)
    walking = _Walking(root, matcher, unchanged, [] if seen is None else seen, listings, formats.suffixes(), trusted)
    for prefix in matcher.roots:
        start = os.path.join(root, prefix) if prefix else root
        link = _symlinked_folder(root, prefix)
        if link is not None:
            # Never followed, even to a folder inside the repository: writes refuse it too.
            where = "outside the repository" if not _inside(root, os.path.realpath(start)) else "a symlinked folder"
            yield Refusal(link, f"symlink to {os.path.realpath(start)}, {where}; not read (make it a real folder)")
            continue
        if not os.path.isdir(start):
            continue
        yield from _walk_dir(walking, start, prefix)


class _Walking(NamedTuple):
    """What every folder of one walk shares."""

    root: str
    matcher: Matcher
    unchanged: Container[tuple[str, int, int]]
    seen: list[str]
    listings: Listings | None
    suffixes: tuple[str, ...]  # the file endings some format reads: .md, .yaml, .yml
    trusted: bool  # the listings' sizes and mtimes are the mirror's


def _symlinked_folder(root: str, prefix: str) -> str | None:
    """The first folder of a glob's static prefix that is a symlink, or None."""
    current = ""
    for part in prefix.split("/") if prefix else ():
        current = f"{current}/{part}" if current else part
        if os.path.islink(os.path.join(root, current)):
            return current
    return None


def _walk_dir(walking: _Walking, folder: str, relative: str) -> Iterator[FoundFile | Refusal]:
    stamp: Stamp | None = None
    if walking.listings is not None:
        try:
            stat = os.lstat(folder)  # before the listing: a change after this moves the stamp
        except OSError:
            return
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)
        listed = walking.listings.get(relative, stamp)
        if listed is not None:
            yield from _walk_listed(walking, folder, relative, listed)
            return
    try:
        entries = list(os.scandir(folder))
    except OSError:
        if walking.listings is not None:
            walking.listings.forget(relative)
        return
    prefix = f"{relative}/" if relative else ""
    type_of, unchanged, seen = walking.matcher.type_of, walking.unchanged, walking.seen
    subfolders: list[str] = []
    files: dict[str, FileGroup] = {}  # by type, with the mirror's size and mtime of each file found as it has it
    complete = True  # every entry seen as it is: the listing may be kept
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            if name not in _SKIP_DIRS:
                subfolders.append(name)
                yield from _walk_dir(walking, entry.path, prefix + name)
            continue
        if not name.endswith(walking.suffixes):
            continue
        rel = prefix + name
        type_name = type_of(rel)
        if type_name is None:
            continue
        if entry.is_symlink():
            complete = False  # a symlink's target may change with no change to this folder
            for found in _found(walking.root, entry.path, rel, type_name, True):
                if isinstance(found, FoundFile):
                    seen.append(rel)
                    if (rel, found.size, found.mtime_ns) in unchanged:
                        continue
                yield found
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            complete = False
            continue  # vanished between listing and stat: the next scan sees it
        if S_ISREG(stat.st_mode):
            group = files.get(type_name) or files.setdefault(type_name, FileGroup(type_name, [], [], []))
            group.names.append(name)
            seen.append(rel)
            as_mirrored = (rel, stat.st_size, stat.st_mtime_ns) in unchanged
            group.note(stat.st_size, stat.st_mtime_ns, as_mirrored=as_mirrored)
            if not as_mirrored:
                yield FoundFile(rel, type_name, stat.st_mtime_ns, stat.st_size, entry.path)
    if walking.listings is not None and stamp is not None:
        if complete and _plain(subfolders, files):
            walking.listings.put(relative, Listing(stamp, tuple(subfolders), tuple(files.values())))
        else:
            walking.listings.forget(relative)  # its old listing must not outlive the generation it was saved at


# Stat a listed folder's files by name relative to the folder's descriptor where the platform can:
# the kernel resolves one name per file instead of the whole path.
_BY_DESCRIPTOR = os.stat in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")  # os.lstat is os.stat without following
_SIZE, _MTIME, _MODE = attrgetter("st_size"), attrgetter("st_mtime_ns"), attrgetter("st_mode")


def _walk_listed(walking: _Walking, folder: str, relative: str, listed: Listing) -> Iterator[FoundFile | Refusal]:
    """A folder as it was listed (its stamp says nothing was added, removed or renamed in it):
    its subfolders are walked, each file statted, with no listing and no glob matching. With
    ``trusted`` listings, a group of files that all stat as listed is passed as a whole."""
    prefix = f"{relative}/" if relative else ""
    for name in listed.subfolders:
        yield from _walk_dir(walking, os.path.join(folder, name), prefix + name)
    descriptor = None
    if _BY_DESCRIPTOR:
        try:
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            descriptor = None  # no descriptors left, no read permission, replaced: each file by its path
    try:
        groups = []
        for group in listed.files:
            if walking.trusted and descriptor is not None and _as_listed(group, descriptor):
                walking.seen.extend([prefix + name for name in group.names])
                groups.append(group)
                continue
            looked = FileGroup(group.type, group.names, [], [])
            yield from _stat_each(walking, folder, prefix, looked, descriptor)
            groups.append(looked)
    finally:
        if descriptor is not None:
            os.close(descriptor)
    if walking.listings is not None and tuple(groups) != listed.files:
        walking.listings.put(relative, Listing(listed.stamp, listed.subfolders, tuple(groups)))


def _as_listed(group: FileGroup, descriptor: int) -> bool:
    """Whether every file of ``group`` is a regular file with the size and mtime listed: one stat
    each and three list comparisons, with no Python code run per file."""
    try:
        stats = list(map(functools.partial(os.lstat, dir_fd=descriptor), group.names))
    except OSError:
        return False  # one is gone: looked at one by one
    return (
        list(map(_MTIME, stats)) == group.mtimes
        and list(map(_SIZE, stats)) == group.sizes
        and all(map(S_ISREG, map(_MODE, stats)))
    )


def _stat_each(
    walking: _Walking, folder: str, prefix: str, looked: FileGroup, descriptor: int | None
) -> Iterator[FoundFile]:
    """Stat ``looked``'s files one by one against the mirror, recording its size and mtime of each."""
    base = folder + os.sep
    unchanged, seen_file, lstat = walking.unchanged, walking.seen.append, os.lstat
    for name in looked.names:
        try:
            stat = lstat(base + name) if descriptor is None else lstat(name, dir_fd=descriptor)
        except OSError:
            stat = None  # removed since this walk began: the folder's stamp has moved, the next scan lists it
        if stat is None or not S_ISREG(stat.st_mode):
            looked.note(UNKNOWN, UNKNOWN, as_mirrored=False)
            continue
        rel = prefix + name
        seen_file(rel)
        as_mirrored = (rel, stat.st_size, stat.st_mtime_ns) in unchanged
        looked.note(stat.st_size, stat.st_mtime_ns, as_mirrored=as_mirrored)
        if not as_mirrored:
            yield FoundFile(rel, looked.type, stat.st_mtime_ns, stat.st_size, base + name)


def _plain(subfolders: list[str], files: dict[str, FileGroup]) -> bool:
    """Names the listings file can hold (one per line)."""
    return not any("\n" in name for name in subfolders) and not any(
        "\n" in name for group in files.values() for name in group.names
    )


def _found(root: str, full: str, rel: str, type_name: str, is_link: bool) -> Iterator[FoundFile | Refusal]:
    real = full
    if is_link:
        real = os.path.realpath(full)
        if not _inside(root, real) or _inside(os.path.join(root, ".git"), real):
            yield Refusal(rel, f"symlink to {real}, outside the repository; not read")
            return
    try:
        stat = os.stat(real)
    except OSError:
        return  # vanished between listing and stat: the next scan sees it
    if S_ISREG(stat.st_mode):
        yield FoundFile(rel, type_name, stat.st_mtime_ns, stat.st_size, real)


def _inside(root: str, path: str) -> bool:
    root = os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def stat_one(
    config: Config, matcher: Matcher, rel: str, policy: PathPolicy | None = None
) -> FoundFile | Refusal | None:
    """Stat one repository-relative path (from a hook, the user, a write); None when it does not
    exist or is no artifact. Read as the path policy allows: through a symlinked folder it is a
    Refusal, never read. Pass one ``policy`` for many paths: it remembers the folders it checked."""
    type_name = matcher.type_of(rel)
    if type_name is None:
        return None
    try:
        real, found = (policy or PathPolicy(config.root)).lookup(rel)
    except PathRefused as exc:
        return Refusal(rel, exc.reason)
    if found is None or not S_ISREG(found.st_mode):
        return None
    return FoundFile(rel, type_name, found.st_mtime_ns, found.st_size, real)


def safe_relative(path: str) -> str:
    """A repository-relative path from an untrusted source, returned as it is if every clone's file
    system can hold it (see ``pathpolicy.name_problem``); else PathRefused (an UnsafePathError).
    Nothing is normalised away: ``a/./b``, ``a//b`` and a trailing ``/`` are refused."""
    return checked_name(path)


def artifact_path(matcher: Matcher, path: str) -> str:
    """A path from the mirror, a bundle or the remote, refused unless it is a safe relative path
    that an artifact glob matches: nothing untrusted writes outside the artifact folders. The
    file system is not looked at: ``PathPolicy.writable`` adds that (no symlink on the way)."""
    return checked_name(path, matcher)


def relative_to_root(config: Config, given: str | Path) -> str:
    """A user-given path (absolute or relative to the cwd) as a repository-relative posix path."""
    absolute = Path(os.path.abspath(given))
    root = Path(os.path.abspath(config.root))
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        raise UnsafePathError(f"{given} is outside the repository {root}") from None
    return rel.as_posix()
