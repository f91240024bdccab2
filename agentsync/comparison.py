"""What ``status`` finds by comparing the mirror's tables: the git fields that differ from HEAD, what
a push would send and what a pull would apply. Each is a merge of two 10,000-entry indexes (1.5–4 ms
apiece, a sixth of a plain ``status``), and their answer changes only when one of the rows they read
does; so it is kept in ``.agentsync/comparison.json`` with the mirror's comparison generation
(``store.reports.compare_generation``: a trigger draws it anew with each such change) and used while
the mirror stands at that generation. Kept unless huge: a cache, never the truth: a missing,
unreadable or foreign file is recomputed, and a failed write costs the next ``status``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path

    from agentsync.gitfields import FieldDifference
    from agentsync.store import Mirror

NAME = "comparison.json"
FORMAT = 1
# Entries (differences and keys) kept at most; a larger answer is recomputed each time. A kept key costs
# ~24 bytes and reads back far faster than it is found: a clone that never pushed its 10,000 artifacts
# keeps a 240 kB answer, and its status takes ~70 ms instead of ~100 (the file is a few MB at most).
KEPT_AT_MOST = 100_000


class Comparison(NamedTuple):
    """The comparisons' answer: git fields changed against HEAD, keys to push, keys to pull."""

    differences: list[FieldDifference]
    edited: set[str]  # what a push would send (``sync.pending.pending_keys``)
    changed_there: set[str]  # fetched rows newer than what was agreed (``store.reports.changed_on_remote``)


def compare(mirror: Mirror) -> Comparison:
    """The comparisons' answer for the mirror as it is (call after the scan and ``refresh_heads``)."""
    from agentsync import __version__
    from agentsync.store.reports import compare_generation

    path = mirror.config.state_dir / NAME
    key = [FORMAT, __version__, list(mirror.config.git_fields)]
    before = compare_generation(mirror)
    kept = _load(path, key, before)
    if kept is not None:
        return kept
    found = _computed(mirror)
    # Kept only if no other process changed the rows meanwhile: the answer is then the one at ``before``.
    if len(found.differences) + len(found.edited) + len(found.changed_there) <= KEPT_AT_MOST and \
            compare_generation(mirror) == before:  # fmt: skip
        _save(path, key, before, found)
    return found


def _computed(mirror: Mirror) -> Comparison:
    from agentsync.gitfields import differences
    from agentsync.store.reports import changed_on_remote
    from agentsync.sync.pending import pending_keys

    return Comparison(differences(mirror), pending_keys(mirror), changed_on_remote(mirror))


def _load(path: Path, key: list[Any], generation: int) -> Comparison | None:
    """The answer kept at ``path`` if it was kept under ``key`` at ``generation``."""
    try:
        stored = json.loads(path.read_bytes())
        if stored["key"] != key or stored["generation"] != generation:
            return None
        from agentsync.gitfields import FieldDifference

        found = Comparison(
            [FieldDifference(d["key"], d["path"], d["field"], d["head"], d["work_tree"], d["state"], d["reason"])
             for d in stored["differences"]],
            set(stored["edited"]), set(stored["changed_there"]),
        )  # fmt: skip
        return found if _well_formed(found) else None
    except (OSError, ValueError, TypeError, KeyError, RecursionError):  # RecursionError: nested too deep
        return None


_STATES = ("changed", "new", "deleted", "unmirrored")


def _well_formed(found: Comparison) -> bool:
    """Whether a kept answer has the types the report's readers take for granted (a file edited by
    hand, at the right generation, must not make ``status`` fail as it prints or sorts them)."""
    return all(isinstance(k, str) for k in (*found.edited, *found.changed_there)) and all(
        isinstance(d.id, str) and isinstance(d.path, str) and isinstance(d.field, str) and d.state in _STATES
        and (d.reason is None or isinstance(d.reason, str)) for d in found.differences
    )  # fmt: skip


def _save(path: Path, key: list[Any], generation: int, found: Comparison) -> None:
    from agentsync.errors import DiskFullError
    from agentsync.fsutil import atomic_write

    document = {
        "key": key, "generation": generation, "differences": [d.to_json() for d in found.differences],
        "edited": sorted(found.edited), "changed_there": sorted(found.changed_there),
    }  # fmt: skip
    try:
        atomic_write(path, json.dumps(document, separators=(",", ":")).encode("utf-8"), sync=False)
    except (OSError, DiskFullError):
        return
