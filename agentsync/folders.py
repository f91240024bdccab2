"""Folder listings kept between scans, so that a walk lists (scandir) only the folders that changed,
and compares the stats of a folder's files with what the mirror holds without loading the mirror's.

A folder's entries change only together with the folder's own mtime and ctime: a file created,
removed or renamed in it. A file edited in place changes neither, so every listed file is still
statted; what a listing saves is the listing itself and matching each name against the globs.
A listing is used only while the folder's (inode, mtime, ctime) are what they were when it was
listed: ctime cannot be set back (tar, rsync -t and touch set mtime, and that moves ctime), and
a folder changed within the racy margin of the listing is not recorded at all, since a second
change in the same timestamp tick would not show. Kept in ``.agentsync/folders.json``, under a
key of everything that decides which names are artifacts (types, globs, excludes, suffixes).

Each listed file also carries the size and mtime the mirror held for it (``UNKNOWN`` when the scan
did not find the file as the mirror has it), valid at the mirror's stat generation the listings were
saved at (``store.artifacts.stat_generation``: a trigger draws it anew with every change of a row's
path, size or mtime). While the mirror is at that generation, a folder whose files all stat as listed is
unchanged, decided by comparing lists, with no row read from the mirror and no tuple built per file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

NAME = "folders.json"
FORMAT = 3  # 3: each type's files with the mirror's sizes and mtimes; 2: names by type; 1: (name, type) pairs
# A file or folder modified this close to (or after) a scan may change again within the same
# mtime tick: a scan does not trust its stat next time. Whole-second stamps get a wider margin.
RACY_MARGIN_NS = 50_000_000
COARSE_MARGIN_NS = 2_000_000_000
UNKNOWN = -2  # a listed file's size and mtime when the mirror's are not known to be its stat (no file has it)

Stamp = tuple[int, int, int]  # the folder's st_ino, st_mtime_ns, st_ctime_ns


def is_racy(mtime_ns: int, scan_start_ns: int) -> bool:
    """Whether a stamp this close to the scan's start (or after it) may hide a change in the same tick."""
    margin = COARSE_MARGIN_NS if mtime_ns % 1_000_000_000 == 0 else RACY_MARGIN_NS
    return mtime_ns >= scan_start_ns - margin


class FileGroup(NamedTuple):
    """A folder's files of one type, with the mirror's size and mtime_ns of each (or ``UNKNOWN``)."""

    type: str
    names: list[str]
    sizes: list[int]
    mtimes: list[int]

    def note(self, size: int, mtime_ns: int, *, as_mirrored: bool) -> None:
        """Record the next file's stat: the mirror's when the file stats as the mirror has it, else UNKNOWN."""
        self.sizes.append(size if as_mirrored else UNKNOWN)
        self.mtimes.append(mtime_ns if as_mirrored else UNKNOWN)


class Listing(NamedTuple):
    """What a folder held when listed: its subfolders, and its artifact files by type."""

    stamp: Stamp
    subfolders: tuple[str, ...]
    files: tuple[FileGroup, ...]


class Listings:
    """The listings of one repository's folders, by repository-relative folder ('' for the root).
    ``generation`` is the mirror's stat generation the listed sizes and mtimes belong to (None: none)."""

    def __init__(
        self, path: Path, key: str, scan_start_ns: int, folders: dict[str, Listing] | None = None,
        generation: int | None = None,
    ) -> None:  # fmt: skip
        self.path, self.key, self.scan_start_ns = path, key, scan_start_ns
        self.folders: dict[str, Listing] = folders or {}
        self.generation = generation
        self.changed = False
        self._walked: set[str] = set()  # the folders this walk reached: only theirs are saved

    @classmethod
    def load(cls, path: Path, key: str, scan_start_ns: int) -> Listings:
        """The listings kept at ``path``; none when missing, unreadable or made under another key."""
        try:
            stored = json.loads(path.read_bytes())
            if stored.get("format") != FORMAT or stored.get("key") != key:
                return cls(path, key, scan_start_ns)
            folders = {
                folder: Listing((ino, mtime, ctime), tuple(subs.split("\n")) if subs else (),
                                tuple(_group(type_name, *group) for type_name, group in files.items()))
                for folder, (ino, mtime, ctime, subs, files) in stored["folders"].items()
            }  # fmt: skip
            generation = stored["generation"]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls(path, key, scan_start_ns)
        return cls(path, key, scan_start_ns, folders, generation if type(generation) is int else None)

    def get(self, folder: str, stamp: Stamp) -> Listing | None:
        """The listing of ``folder`` if it was made at ``stamp``; asked by the walk of every folder it reaches."""
        self._walked.add(folder)
        found = self.folders.get(folder)
        return found if found is not None and found.stamp == stamp else None

    def put(self, folder: str, listing: Listing) -> None:
        """Keep ``listing`` unless the folder changed too recently to trust its stamp."""
        _ino, mtime, ctime = listing.stamp
        if is_racy(max(mtime, ctime), self.scan_start_ns):
            if self.folders.pop(folder, None) is not None:
                self.changed = True
            return
        if self.folders.get(folder) != listing:
            self.folders[folder] = listing
            self.changed = True

    def forget(self, folder: str) -> None:
        """Drop ``folder``'s listing: listed again, it could not be kept."""
        if self.folders.pop(folder, None) is not None:
            self.changed = True

    def save(self, generation: int | None) -> None:
        """Write the listings if they (or the generation they hold for) changed: call it once the scan's
        changes are committed, with the mirror's stat generation then. Only the folders this walk
        reached are kept: another's sizes and mtimes were not compared with the mirror at that
        generation. A cache, so a failed write only costs the next walk."""
        unreached = self.folders.keys() - self._walked
        if unreached:
            self.folders = {folder: listing for folder, listing in self.folders.items() if folder in self._walked}
            self.changed = True
        if (not self.changed and generation == self.generation) or not self.path.parent.is_dir():
            return
        from agentsync.fsutil import atomic_write

        folders = {
            folder: [*listing.stamp, "\n".join(listing.subfolders),
                     {g.type: ["\n".join(g.names), g.sizes, g.mtimes] for g in listing.files}]
            for folder, listing in self.folders.items()
        }  # fmt: skip
        document = {"format": FORMAT, "key": self.key, "generation": generation, "folders": folders}
        try:
            atomic_write(self.path, json.dumps(document, separators=(",", ":")).encode("utf-8"), sync=False)
        except OSError:
            return
        self.changed, self.generation = False, generation


def _group(type_name: str, names: str, sizes: list[int], mtimes: list[int]) -> FileGroup:
    listed = names.split("\n")
    if not (len(listed) == len(sizes) == len(mtimes)):
        raise ValueError("a listing's names and stats differ in number")
    return FileGroup(type_name, listed, sizes, mtimes)


def listing_key(*parts: object) -> str:
    """A key of what decides which names are artifacts: a listing made under another is not used."""
    return repr((FORMAT, *parts))  # kept as it is: a hash would cost the no-op the hashlib import
