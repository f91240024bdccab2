"""Which artifacts a push would send, by key: what ``status`` lists as ahead. It loads none of the
push's machinery (the remote drivers, the outbox, the journal) and builds no row per artifact; push
(``batches.pending_changes``) keeps the same rule through ``version_only``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentsync.artifact import LAYOUT_FRONTMATTER
from agentsync.store import sync_state

if TYPE_CHECKING:
    import sqlite3

    from agentsync.store.mirror import Mirror


def pending_keys(mirror: Mirror) -> set[str]:
    """The keys ``batches.pending_changes`` lists: artifacts whose file differs from what was last
    agreed, and deletions, without those waiting in a conflict or differing in ``version:`` alone."""
    db = mirror.connection
    differing = sync_state.differing_keys(db, LAYOUT_FRONTMATTER)
    keys = {key for key, _ in differing} | {gone.key for gone in sync_state.agreed_gone(db)}
    return keys - version_only(db, {key: path for key, path in differing if path is not None})


def version_only(db: sqlite3.Connection, paths: dict[str, str]) -> set[str]:
    """Of these agreed frontmatter artifacts (key -> path now), the ones whose file differs from the
    agreed text in its ``version:`` line alone (a checkout of an older commit, a line behind the
    remote): that is no edit to push."""
    if not paths:
        return set()
    from agentsync.sync.files import same_but_version

    contents = sync_state.contents_of(db, list(paths))
    agreed = sync_state.agreed_texts(db, list(paths))
    unchanged = set()
    for key, path in paths.items():
        was, now_text = agreed.get(key), contents.get(key)
        if was is None or was.content is None or now_text is None or was.path != path:
            continue
        if same_but_version(now_text, was.content):
            unchanged.add(key)
    return unchanged
