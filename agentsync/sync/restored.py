"""Files Git put back: no edit to share.

``git stash``, ``git checkout -- FILE``, ``git reset --hard`` and a ``git pull``'s autostash give a
file the text HEAD has. After this clone agreed a newer version (a teammate's edit it pulled, not
committed yet, or its own it pushed), such a file holds exactly HEAD's text of its artifact when that
version was agreed. Pushed, it would undo the version in every clone (the teammate's pull writes the
old text over their work); a delivered new file, taken with its staged copy, would be deleted from
the author's work tree. So push holds such a file back, and says why, until the file is something
else: ``git stash pop`` brings the agreed text back, an edit of it is pushed as any other, and
``agentsync push --restored`` sends it as it is, on purpose. A pull leaves it alone while a stash
holds its change (a write would stop the pop), and otherwise writes the next version over it rather
than merging (a merge would undo the version the file lost).

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
    gone: bool  # a delivered new file, gone with its staged copy, not back at HEAD's text
    stashed: bool  # a ``git stash`` entry holds its change: a pull leaves the file alone for the pop

    @property
    def what(self) -> str:
        if self.gone:
            where = "in `git stash`" if self.stashed else "gone with its staged copy (git reset?)"
            return f"{self.path} is {where}, not in the work tree"
        if self.stashed:
            return f"{self.path} is back at HEAD's text, its change in `git stash`"
        return f"{self.path} is back at HEAD's text (git checkout or reset?)"

    def __str__(self) -> str:
        """What a push says of it."""
        sent, sends = ("its deletion is", "the deletion") if self.gone else ("it is", "the file as it is")
        back = "`git stash pop` brings it back" if self.stashed else "The next version pulled is written over it"
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
            "brings this one"
        )


def is_put_back(head_then: str | None, file_hash: str | None, head_now: str | None, *, indexed: bool) -> bool:
    """Whether a file was put back by Git: it holds exactly HEAD's text of its artifact when the agreed
    version was agreed (``head_then``: its hash, '' HEAD had none, None unknown) and HEAD still has that
    text at the file's path (``head_now``: the hash, '' HEAD has none there, None unknown); or, where
    HEAD had and has no such artifact, the file (``file_hash`` None) is gone from the work tree and
    from Git's index too (``indexed``): ``git stash``, ``reset --hard`` and ``stash -u`` take a delivered
    new file with its staged copy, a delete of the user's own leaves the staged copy."""
    if head_then is None or head_now is None:
        return False
    if file_hash is None:
        return head_then == "" and head_now == "" and not indexed
    return head_then != "" and file_hash == head_then == head_now


def put_back(mirror: Mirror, keys: Sequence[str], reader: GitReader | None = None) -> list[PutBack]:
    """Of the agreed artifacts ``keys`` (each changed or deleted here), those Git put back. HEAD's
    rows are brought up to date (and Git asked about its index) only for a file that may be one."""
    from agentsync.gitfields import current_heads

    db = mirror.connection
    candidates = heads.agreed_at_head(db, keys)
    if not candidates:
        return []
    reader = reader or current_heads(mirror)
    if reader is None:
        return []
    now = heads.by_key(db, [row.key for row in candidates])
    gone = [row.path for row in candidates if row.local_path is None]
    at_gone, indexed = (heads.has_paths(db, gone), _indexed(reader, gone)) if gone else (set(), set())
    stashed = _stashed(reader, [row.local_path or row.path for row in candidates])
    found: list[PutBack] = []
    for row in candidates:
        path = row.local_path or row.path
        if row.local_path is None:  # HEAD's file there would be an artifact of another key (or unreadable)
            head_now = "" if row.key not in now and path not in at_gone else None
        else:
            head_path, head_hash = now.get(row.key, ("", ""))
            head_now = head_hash if head_path == path else ""
        if is_put_back(row.head_hash, row.local_hash, head_now, indexed=path in indexed):
            found.append(PutBack(row.key, path, row.version, row.local_path is None, path in stashed))
    return found


def _indexed(reader: GitReader, paths: list[str]) -> set[str]:
    """The paths Git's index has; all of them where it cannot be read (no Git command line): a deletion
    is then the user's."""
    from agentsync.gitcli import GitCommandLine

    return reader.indexed(paths) if isinstance(reader, GitCommandLine) else set(paths)


def _stashed(reader: GitReader, paths: list[str]) -> set[str]:
    """The paths a ``git stash`` entry changed or holds untracked (none without Git's command line)."""
    from agentsync.gitcli import GitCommandLine

    return reader.stashed(paths) if isinstance(reader, GitCommandLine) else set()


def for_pull(guard: GitFieldGuard, row: Fetched, local: Local | None) -> PutBack | None:
    """The file of a fetched row's artifact, if Git put it back: no edit of this clone's, so not merged
    with the remote's version (the merge would undo the agreed one); and if stashed, not written over
    either, so that `git stash pop` goes through."""
    file_hash = local.hash if local is not None else None
    if row.base_deleted or not heads.may_be_back(row.base_head_hash, file_hash, False) or not guard.heads_ready():
        return None
    found = put_back(guard.mirror, [row.key], guard.reader)
    return found[0] if found else None
