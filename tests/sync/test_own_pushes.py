"""A clone's own pushes are not changes it still has to fetch, and never hide another clone's."""

from __future__ import annotations

from agentsync.store import sync_state
from agentsync.store.meta import MetaKey
from agentsync.sync import fetch, pull, push
from tests.conftest import artifact
from tests.sync.conftest import Clones


def test_a_push_moves_the_cursor_past_its_own_changes_only(clones: Clones) -> None:
    a, b, remote = clones
    for number in (1, 2):
        a.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}"))
    with a.mirror() as mirror:
        assert len(push(mirror, remote, "ada").applied) == 2
        assert mirror.get_meta(MetaKey.REMOTE_CURSOR) == str(remote.head())  # no lag right after pushing
        assert fetch(mirror, remote) == 0
        kept = mirror.connection.execute("SELECT key, version FROM remote_rows ORDER BY key").fetchall()
        assert kept == [("story:S-1", 1), ("story:S-2", 1)]  # as if fetched: `diff` and `resolve` compare with them
        row = sync_state.fetched_row(mirror.connection, "story:S-1")
        assert row is not None and row.content == a.read("stories/S-1.md").decode()  # its text, kept once
    # Another clone's change lands between: the cursor stays before it, and it arrives.
    b.write("stories/S-9.md", artifact("S-9", "Bo's"))
    with b.mirror() as mirror:
        push(mirror, remote, "bo")
    a.write("stories/S-3.md", artifact("S-3", "Story 3"))
    with a.mirror() as mirror:
        push(mirror, remote, "ada")
        assert int(mirror.get_meta(MetaKey.REMOTE_CURSOR) or 0) < remote.head()
        got = pull(mirror, remote)
    assert got.written == ["stories/S-9.md"] and b"# Bo's" in a.read("stories/S-9.md")
