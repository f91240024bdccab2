"""Which work-tree files last passed ``check``'s per-file rules, so that a check of files that did
not change reads none of them.

Kept in ``.agentsync/checked.json``: for each path, the hash of the bytes that passed (the
mirror's ``disk_hash``), under a fingerprint of everything the rules depend on (agentsync's
code and the whole config). A file is taken as passed only when the mirror, rescanned just
before (stat first: an edited file is read again), holds that same hash for it. With plugins,
nothing is taken from here: their rules are code no fingerprint covers. Id uniqueness is never
cached; it is worked out on every check from the mirror's keys.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from agentsync.config import Config

NAME = "checked.json"


def fingerprint(config: Config) -> str:
    """What the per-file rules depend on: a change to any of it makes every file be checked again.
    The code is named by its files, not by agentsync's version alone: a version is not bumped for
    every rule (a secret's shape, a format's reading) that changes, and push trusts this record
    as its outbound scan."""
    from agentsync import __version__

    return hashlib.sha256(f"{__version__}\n{code_stamp()}\n{config!r}".encode()).hexdigest()


def code_stamp() -> str:
    """agentsync's own code as installed (``stamp_of`` its package folder), once per process."""
    return _stamp_of_package()


@functools.cache
def _stamp_of_package() -> str:
    return stamp_of(Path(__file__).parent)


def stamp_of(package: Path) -> str:
    """Each module's path, size and mtime under ``package``, hashed: an upgrade, or an edit of an
    editable install, rewrites them. One stat per module, about 2 ms for agentsync."""
    stats = sorted(
        (str(path.relative_to(package)), stat.st_size, stat.st_mtime_ns)
        for path in package.rglob("*.py")
        for stat in (path.stat(),)
    )
    return hashlib.sha256(repr(stats).encode()).hexdigest()


class PassedFiles:
    """path -> hash of the bytes that passed the per-file rules, under ``fingerprint``. (A plain
    class: the pre-commit hook defines it.)"""

    __slots__ = ("changed", "fingerprint", "passed", "path")

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.passed: dict[str, str] = {}
        self.changed = False

    @classmethod
    def load(cls, config: Config) -> PassedFiles:
        """The record, or an empty one when it is missing, unreadable or for other rules."""
        found = cls(config.state_dir / NAME, fingerprint(config))
        try:
            loaded = json.loads(found.path.read_bytes())
        except (OSError, ValueError, RecursionError):  # RecursionError: nested too deep (written by hand)
            return found
        if isinstance(loaded, dict) and loaded.get("fingerprint") == found.fingerprint:
            passed = loaded.get("passed")
            if isinstance(passed, dict):
                found.passed = {p: h for p, h in passed.items() if isinstance(p, str) and isinstance(h, str)}
        return found

    def has_passed(self, path: str, content_hash: str) -> bool:
        return self.passed.get(path) == content_hash

    def record(self, path: str, content_hash: str | None) -> None:
        """``content_hash`` passed at ``path`` (None: it did not, or is gone)."""
        if content_hash is None:
            if self.passed.pop(path, None) is not None:
                self.changed = True
        elif self.passed.get(path) != content_hash:
            self.passed[path] = content_hash
            self.changed = True

    def save(self) -> None:
        """Write the record if it changed; a cache, so a failure to write only costs the next check time."""
        if not self.changed or not self.path.parent.is_dir():
            return
        from agentsync.fsutil import atomic_write

        data = json.dumps({"fingerprint": self.fingerprint, "passed": self.passed}, separators=(",", ":"))
        try:
            atomic_write(self.path, data.encode("utf-8"), sync=False)
        except OSError:
            return
        self.changed = False
