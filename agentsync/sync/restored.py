"""Files Git put back: no edit to share.

``git stash``, ``git checkout -- FILE``, ``git reset --hard`` and a ``git pull``'s autostash give a
file the text HEAD has. After this clone agreed a newer version (a teammate's edit it pulled, not
committed yet, or its own it pushed), such a file holds exactly what HEAD had at its path when that
version was agreed. Pushed, it would undo the version in every clone (the teammate's pull writes the
old text over their work); a delivered new file, stashed, would be deleted in
the author's work tree. Pulled over, the write would stop ``git stash pop``. So push holds such a
file back and pull leaves it, and both say why, until the file is something else: ``git stash pop``
brings the agreed text back, an edit of it is pushed as any other, and ``agentsync push --restored``
sends it as it is, on purpose.

What HEAD had is recorded with each agreed row (``sync_base.head_hash``); a file is put back only
if it still equals HEAD's text now, so a commit of an edit is never held (HEAD then has the edit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from agentsync.store import heads

if TYPE_CHECKING:
    from agentsync.gitfields import GitFieldGuard
    from agentsync.gitrepo import GitReader
    from agentsync.store.mirror import Mirror
    from agentsync.store.sync_state import Fetched, Local


class PutBack(NamedTuple):
    """A file Git put back since this clone agreed ``version`` of its artifact."""

    key: str  # TYPE:ID
    path: str
    version: int  # the agreed version the file no longer holds
    gone: bool  # a delivered new file, gone into ``git stash``, not back at HEAD's text
    stashed: bool  # the newest ``git stash`` entry holds the path: a pull leaves the file alone for its pop

    @property
    def what(self) -> str:
        if self.gone:
            return f"{self.path} is in `git stash`, not in the work tree"
        if self.stashed:
            return f"{self.path} is back at HEAD's text, its change in `git stash`"
        return f"{self.path} is back at HEAD's text (git checkout or reset?)"

    def __str__(self) -> str:
        """What a push says of it."""
        sent, sends = ("its deletion is", "the deletion") if self.gone else ("it is", "the file as it is")
        back = "`git stash pop` brings it back" if self.stashed else "a pull brings the newer versions that follow"
        return (f"{self.what} since this clone got version {self.version} of {self.key}: {sent} not sent, so no "
                f"clone loses that version. {back}; `agentsync push --restored` sends {sends}, undoing version "
                f"{self.version} everywhere")  # fmt: skip


class PullWaits(NamedTuple):
    """A remote version a pull leaves for later: its file was put back by Git."""

    file: PutBack
    version: int
    author: str

    def __str__(self) -> str:
        return (
            f"not pulled yet: v{self.version} of {self.file.key} by {self.author}: {self.file.what} since "
            f"this clone got version {self.file.version}; `git stash pop` brings that back, and the next pull "
            "brings this one (or push your edit of the file)"
        )


def is_put_back(head_then: str | None, file_hash: str | None, head_now: str | None, *, stashed: bool) -> bool:
    """Whether a file was put back by Git: it holds exactly the text HEAD had at its path when the agreed
    version was agreed (``head_then``: its hash, '' HEAD had no file, None unknown) and HEAD still has
    that text (``head_now``: the hash of HEAD's file at the path now, '' none, None unknown); or, where
    HEAD had and has no file, the file (``file_hash`` None) is gone into the newest ``git stash``
    (``stashed``: a delete of any other kind is the user's)."""
    if head_then is None or head_now is None:
        return False
    if file_hash is None:
        return head_then == "" and head_now == "" and stashed
    return head_then != "" and file_hash == head_then == head_now


def put_back(mirror: Mirror, keys: Sequence[str], reader: GitReader | None = None) -> list[PutBack]:
    """Of the agreed artifacts ``keys`` (each changed or deleted here), those Git put back. HEAD's
    rows are brought up to date (and Git asked about its index) only for a file that may be one."""
    from agentsync.gitfields import current_heads

    candidates = [
        row for row in heads.agreed_at_head(mirror.connection, keys) if row.local_path in (None, row.path)
    ]  # fmt: skip  (a move is an edit of its own)
    if not candidates:
        return []
    reader = reader or current_heads(mirror)
    if reader is None:
        return []
    at_head = heads.hashes_at(mirror.connection, [row.path for row in candidates])
    stashed = _stashed(reader, [row.path for row in candidates])
    return [PutBack(row.key, row.path, row.version, row.local_hash is None, row.path in stashed) for row in candidates
            if is_put_back(row.head_hash, row.local_hash, at_head.get(row.path, ""),
                           stashed=row.path in stashed)]  # fmt: skip


def _stashed(reader: GitReader, paths: list[str]) -> set[str]:
    """The paths the newest ``git stash`` entry holds (none without Git's command line)."""
    from agentsync.gitcli import GitCommandLine

    return reader.stashed(paths) if isinstance(reader, GitCommandLine) else set()


def for_pull(guard: GitFieldGuard, row: Fetched, local: Local | None) -> PutBack | None:
    """The file of a fetched row's artifact, if Git put it back: no edit of this clone's, so not merged
    with the remote's version (the merge would undo the agreed one); and if stashed, not written over
    either, so that `git stash pop` goes through."""
    head_then, file_hash = row.base_head_hash, local.hash if local is not None else None
    maybe = head_then is not None and (file_hash == head_then if file_hash is not None else head_then == "")
    if row.base_deleted or not maybe or not guard.heads_ready():
        return None
    found = put_back(guard.mirror, [row.key], guard.reader)
    return found[0] if found else None
