"""What a pull does with one fetched row: a pure decision over facts gathered before it.

The pull gathers, for each row, what the remote sends, what was last agreed (the base), what
the mirror and the disk hold here; ``decide`` turns those facts into one ``Action``; the pull
then carries it out. Nothing here reads a file or the database, so the whole merge/conflict
table is tested row by row without either (``tests/sync/test_decide.py``).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Action(str, Enum):
    """What becomes of a row (and of the file it is about)."""

    SKIP = "skip"  # its artifact waits in a conflict: resolved before anything new lands
    HOLD = "hold"  # its file was put back by Git (sync.restored): left as it is, the next pull looks again
    QUARANTINE = "quarantine"  # refused (no clone could have pushed it): kept aside, the cursor moves on
    REMOVE = "remove"  # deleted there, unchanged here: the file goes
    KEEP_EDIT = "keep_edit"  # deleted there, edited here: the edit wins, the next push restores it
    FORGET = "forget"  # deleted there, absent here: only the base is recorded
    VACATE = "vacate"  # its target is taken by an artifact this same pull removes or moves: a second pass
    TAKEN = "taken"  # its target holds another file: a conflict, nothing written
    DEFER = "defer"  # the file was saved (or removed) since the scan: the next pull looks again
    AGREED = "agreed"  # the file already is what the remote gives: only the base is recorded
    RESTORE = "restore"  # deleted here, changed there: the change wins and the file comes back
    MERGE = "merge"  # changed on both sides: a three-way merge (clean, or a recorded conflict)
    FAST_FORWARD = "fast_forward"  # changed there only (or new here): the remote's text is written


class Target(str, Enum):
    """Whether the path a row's file lands on is free (only asked when it is not the file's own path)."""

    FREE = "free"
    LEAVING = "leaving"  # taken by an artifact this pull deletes or moves away, unedited
    TAKEN = "taken"  # another file, another artifact of this clone (pushed or not), a dangling link


class Facts(NamedTuple):
    """What is known of one fetched row before anything is written (a tuple: one is made per row,
    and a tuple is made three times faster than a frozen dataclass). ``clean``: the file is
    exactly what was agreed, at the agreed path; ``fresh``: this clone has no such artifact and
    none was agreed (or it was agreed deleted)."""

    waiting: bool = False  # a conflict on this artifact is open
    put_back: bool = False  # Git put the file back since its version was agreed (git stash): no edit to merge
    refused: str | None = None  # why no clone could have pushed it (id, path, content, size, text, git field)
    deleted: bool = False  # the remote's row is a tombstone
    local: bool = False  # the mirror has the artifact
    clean: bool = False
    fresh: bool = False
    lands_elsewhere: bool = False  # the file would land on a path other than its own now
    target: Target = Target.FREE
    vanished: bool = False  # the file was there at the scan and is gone now
    on_disk: bool = False  # the local file exists
    saved_since_scan: bool = False  # the file's bytes differ from what the mirror read
    already_there: bool = False  # the file's bytes equal what would be written, at the same path
    never_synced: bool = False  # no base: this clone never agreed a version (a fresh clone of the repository)
    only_version_differs: bool = False  # the file becomes the remote's text by its `version:` line alone


def decide(facts: Facts, *, final_pass: bool = False) -> Action:
    """The action for one row. ``final_pass``: a target still taken is a conflict, not another wait."""
    if facts.waiting:
        return Action.SKIP
    if facts.refused is not None:
        return Action.QUARANTINE
    if facts.put_back:
        return Action.HOLD
    if facts.deleted:
        if not facts.local:
            return Action.FORGET
        return Action.REMOVE if facts.clean else Action.KEEP_EDIT
    if facts.lands_elsewhere and facts.target is not Target.FREE:
        return Action.VACATE if facts.target is Target.LEAVING and not final_pass else Action.TAKEN
    if facts.vanished:
        return Action.DEFER
    if facts.already_there or (facts.only_version_differs and not facts.saved_since_scan):
        return Action.AGREED  # the file is the remote's text already, but for the version line: no write
    clean = facts.clean
    if facts.saved_since_scan:
        return Action.DEFER
    if not facts.local and not facts.fresh:
        return Action.RESTORE
    if not (clean or facts.fresh) and facts.local and facts.on_disk:
        return Action.MERGE
    return Action.FAST_FORWARD
