"""The stat pass of a scan: which files in view differ from the mirror's (size, mtime), and which rows
lost their file. Only the rows of those are read; a full scan's folder listings (``folders``) spare it
the listing of unchanged folders, and, while the mirror's stat generation stands, every row's stat."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from agentsync import formats
from agentsync.errors import Problem
from agentsync.folders import NAME as FOLDERS_NAME
from agentsync.folders import Listings, listing_key
from agentsync.pathpolicy import SKIP_DIRS
from agentsync.paths import FoundFile, Matcher, PathPolicy, Refusal, stat_one, walk
from agentsync.store import Mirror, artifacts


class MirrorStats:
    """The mirror's (path, size, mtime_ns) of every row in view, read when first asked: a full scan
    whose folders all stat as their trusted listings say reads none of them."""

    def __init__(self, db: sqlite3.Connection, scope: list[str] | None) -> None:
        self._db, self._scope = db, scope
        self._rows: set[tuple[str, int, int]] | None = None

    @property
    def rows(self) -> set[tuple[str, int, int]]:
        if self._rows is None:
            self._rows = artifacts.stat_cache(self._db, self._scope)
        return self._rows

    def __contains__(self, item: object) -> bool:
        return item in self.rows

    def count(self) -> int:
        """How many rows are in view (without reading them, if not read yet)."""
        if self._rows is None and self._scope is None:
            return artifacts.count(self._db)
        return len(self.rows)


class Seen(NamedTuple):
    """What the stat pass found: files to read, rows whose file is gone, paths refused."""

    rows: int  # how many rows of the mirror are in view
    found: list[str]  # every artifact file in view, changed or not (refused ones aside)
    unchanged: int  # how many of them stat as the mirror has them
    problems: list[Problem]  # the files and folders refused (symlinks out of the repository)
    on_disk: dict[str, FoundFile]  # the files found whose stat differs from the mirror's
    to_read: list[FoundFile]
    gone: list[str]
    refused: set[str]
    known: dict[str, artifacts.Known]
    listings: Listings | None  # a full scan's folder listings, saved once its changes are committed


def look(mirror: Mirror, scope: list[str] | None, scan_start_ns: int) -> Seen:
    """Stat the files in view against the mirror's (size, mtime) and load the rows that need it.
    A full walk lists again only the folders whose stamp moved (``folders``), and while the mirror
    is at the stat generation its listings were saved at, reads no row for a folder that stats as listed."""
    config, db = mirror.config, mirror.connection
    matcher = Matcher.from_config(config)
    # Only size and mtime are needed to see that nothing changed; the rest is read on demand.
    # A racy row's mtime is RACY, which no file has: it is read again.
    stats = MirrorStats(db, scope)
    seen: list[str] = []  # every file found, changed or not
    listings = None
    if scope is None:
        key = listing_key(config.types, config.exclude, formats.suffixes(), sorted(SKIP_DIRS))
        listings = Listings.load(config.state_dir / FOLDERS_NAME, key, scan_start_ns)
        trusted = listings.generation is not None and listings.generation == artifacts.stat_generation(db)
        found_items: Iterable[FoundFile | Refusal] = walk(config, matcher, stats, seen, listings, trusted=trusted)
    else:
        policy = PathPolicy(config.root)  # one for all paths: each folder is checked once
        found = [item for item in (stat_one(config, matcher, p, policy) for p in scope) if item is not None]
        seen = [item.path for item in found if isinstance(item, FoundFile)]
        found_items = [i for i in found if isinstance(i, Refusal) or (i.path, i.size, i.mtime_ns) not in stats]
    on_disk: dict[str, FoundFile] = {}
    to_read: list[FoundFile] = []
    problems: list[Problem] = []
    for item in found_items:
        if isinstance(item, Refusal):
            problems.append(Problem(item.path, None, item.reason))
            continue
        on_disk[item.path] = item
        to_read.append(item)
    unchanged = len(seen) - len(to_read)
    # Rows are loaded only for paths that changed or vanished: a rescan after a few
    # edits never reads the other thousands. Ids they might clash with are looked up by id.
    refused = {p.path for p in problems if p.kind == "file"}
    gone: list[str] = []
    rows = stats.count()
    if unchanged < rows:  # some row matched no file as it is: changed, or gone
        present = set(seen)
        gone = [path for path, _size, _mtime in stats.rows if path not in present and path not in refused]
    if refused:  # a refused folder (a symlink now) hides its files: their rows stay, not deletions to push
        gone = [p for p in gone if not any(p[:i] in refused for i, c in enumerate(p) if c == "/")]
    known = artifacts.known(db, [item.path for item in to_read] + gone)
    return Seen(rows, seen, unchanged, problems, on_disk, to_read, gone, refused, known, listings)
