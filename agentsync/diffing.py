"""What ``agentsync diff`` compares: a recorded conflict's three sides (base, local, remote), or else
the work-tree file against the remote's current version (fetched first). The texts come as typed
values, and the two renderings (three columns, a unified diff) as lines for the CLI to print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentsync.identity import split_key

if TYPE_CHECKING:
    from agentsync.config import Config


@dataclass(frozen=True)
class ConflictSides:
    """A recorded conflict: what was agreed (base), this clone's text (local) and the remote's."""

    id: str  # the key, TYPE:ID
    path: str
    remote_version: int
    remote_author: str | None
    base: str
    local: str
    remote: str

    @property
    def remote_label(self) -> str:
        return f"remote v{self.remote_version} by {self.remote_author}"

    def to_json(self) -> dict[str, object]:
        return {"key": self.id, **split_key(self.id)._asdict(), "path": self.path,
                "remote_version": self.remote_version, "remote_author": self.remote_author, "base": self.base,
                "local": self.local, "remote": self.remote}  # fmt: skip


@dataclass(frozen=True)
class RemoteComparison:
    """The work-tree file (``path`` None: no file here) against the remote's current version."""

    id: str  # the key, TYPE:ID
    path: str | None
    remote_version: int
    remote_author: str
    remote_deleted: bool
    local: str
    remote: str

    @property
    def same(self) -> bool:
        return self.local == self.remote

    def to_json(self) -> dict[str, object]:
        return {"key": self.id, **split_key(self.id)._asdict(), "remote_version": self.remote_version,
                "remote_author": self.remote_author, "local": self.local, "remote": self.remote,
                "same": self.same}  # fmt: skip


def compare(config: Config, key: str) -> ConflictSides | RemoteComparison:
    """The conflict recorded for ``key`` (by id or path) if it has a local side; otherwise fetch and
    compare the work-tree file with the remote's row. NotFoundError if the remote has no such artifact."""
    from agentsync.errors import NotFoundError
    from agentsync.remotes import opened
    from agentsync.resolve import conflict
    from agentsync.store import Mirror
    from agentsync.store.reports import remote_row
    from agentsync.sync import fetch

    with Mirror.open(config) as mirror:
        try:
            recorded = conflict(mirror, key)
        except NotFoundError:
            recorded = None
    if recorded is not None and recorded.ours is not None:
        return ConflictSides(recorded.key, recorded.path, recorded.remote_version, recorded.remote_author,
                             recorded.base or "", recorded.ours, recorded.theirs or "")  # fmt: skip
    with opened(config) as remote, Mirror.open(config) as mirror:
        fetch(mirror, remote)
        artifact_id = mirror.resolve(key)  # ID, TYPE:ID or path; an id several types share is refused
        row = mirror.get(artifact_id)
        theirs = remote_row(mirror, artifact_id)
    if theirs is None:
        raise NotFoundError(f"the remote has no {artifact_id}")
    local = (config.root / row.path).read_text(encoding="utf-8") if row else ""
    remote_text = "" if theirs.deleted else theirs.content or ""
    return RemoteComparison(artifact_id, row.path if row else None, theirs.version, theirs.author,
                            bool(theirs.deleted), local, remote_text)  # fmt: skip


def unified_lines(found: RemoteComparison) -> list[str]:
    """The remote's text against the work tree's as a unified diff (empty if they match)."""
    import difflib

    return list(difflib.unified_diff(
        found.remote.splitlines(keepends=True), found.local.splitlines(keepends=True),
        fromfile=f"remote v{found.remote_version} by {found.remote_author}"
        + (" (deleted)" if found.remote_deleted else ""),
        tofile=f"work tree {found.path}" if found.path else "work tree (no file)",
    ))  # fmt: skip


def side_by_side(sides: ConflictSides, columns: int) -> list[str]:
    """Base, local and remote in three columns of a ``columns``-wide terminal, only where local and
    remote differ; base shows what it held between the nearest lines local kept from it."""
    from difflib import SequenceMatcher

    from agentsync.terminal import cut, padded

    width = max((columns - 8) // 3, 20)
    base, local, remote = (text.splitlines() for text in (sides.base, sides.local, sides.remote))

    def cell(text: str) -> str:  # in columns, not characters: a CJK line takes two per character
        return padded(cut(text, width, "…"), width)

    lines = [
        f"{sides.id}: base, local and {sides.remote_label}, where local and remote differ",
        f"  {cell('base')} | {cell('local')} | {cell('remote')}",
    ]
    to_base = {
        block.b + k: block.a + k
        for block in SequenceMatcher(None, base, local, autojunk=False).get_matching_blocks()
        for k in range(block.size)
    }
    for tag, l1, l2, r1, r2 in SequenceMatcher(None, local, remote, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before = max((to_base[i] for i in range(l1) if i in to_base), default=-1)
        after = min((to_base[i] for i in range(l2, len(local)) if i in to_base), default=len(base))
        from_base = base[before + 1 : after]  # what the base had where the sides differ
        lines.append(f"@@ local lines {l1 + 1}-{l2}, remote lines {r1 + 1}-{r2}")
        for i in range(max(l2 - l1, r2 - r1, len(from_base), 1)):
            left = from_base[i] if i < len(from_base) else ""
            middle = local[l1 + i] if l1 + i < l2 else ""
            right = remote[r1 + i] if r1 + i < r2 else ""
            lines.append(f"  {cell(left)} | {cell(middle)} | {cell(right)}")
    return lines
