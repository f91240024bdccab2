"""Finding artifact files: glob matching, walking only the folders globs can reach, path safety."""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from agentsync import formats
from agentsync.config import Config
from agentsync.errors import PathRefused, UnsafePathError
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


@dataclass(frozen=True)
class Refusal:
    """A path that matched but must not be read (a symlink out of the repository)."""

    path: str
    reason: str


def walk(
    config: Config, matcher: Matcher, unchanged: Container[tuple[str, int, int]] = (), seen: list[str] | None = None
) -> Iterator[FoundFile | Refusal]:
    """Yield every artifact file the globs match, statting each once.

    A scan passes what the mirror has as (path, size, mtime_ns) in ``unchanged`` and a list
    ``seen``: a file whose stat matches is only appended to ``seen`` (every file found is),
    not yielded, so a rescan with nothing changed builds nothing per file."""
    root = str(config.root)
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
        yield from _walk_dir(root, start, prefix, matcher, unchanged, [] if seen is None else seen)


def _symlinked_folder(root: str, prefix: str) -> str | None:
    """The first folder of a glob's static prefix that is a symlink, or None."""
    current = ""
    for part in prefix.split("/") if prefix else ():
        current = f"{current}/{part}" if current else part
        if os.path.islink(os.path.join(root, current)):
            return current
    return None


def _walk_dir(
    root: str, folder: str, relative: str, matcher: Matcher, unchanged: Container[tuple[str, int, int]], seen: list[str]
) -> Iterator[FoundFile | Refusal]:
    suffixes = formats.suffixes()  # the file endings some format reads: .md, .yaml, .yml
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    prefix = f"{relative}/" if relative else ""
    type_of = matcher.type_of
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            if name not in _SKIP_DIRS:
                yield from _walk_dir(root, entry.path, prefix + name, matcher, unchanged, seen)
            continue
        if not name.endswith(suffixes):
            continue
        rel = prefix + name
        type_name = type_of(rel)
        if type_name is None:
            continue
        if entry.is_symlink():
            for found in _found(root, entry.path, rel, type_name, True):
                if isinstance(found, FoundFile):
                    seen.append(rel)
                    if (rel, found.size, found.mtime_ns) in unchanged:
                        continue
                yield found
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # vanished between listing and stat: the next scan sees it
        if S_ISREG(stat.st_mode):
            seen.append(rel)
            if (rel, stat.st_size, stat.st_mtime_ns) not in unchanged:
                yield FoundFile(rel, type_name, stat.st_mtime_ns, stat.st_size, entry.path)


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
