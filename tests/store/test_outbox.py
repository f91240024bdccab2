"""The outbox keeps each text a queued batch sends once: by key and hash while the artifact's row
holds it, the text itself otherwise; the artifacts' triggers copy it in before that row changes."""

from __future__ import annotations

from agentsync.scanner import scan
from agentsync.store import outbox
from tests.conftest import Repo, artifact


def test_a_text_is_written_only_where_the_artifacts_row_does_not_hold_it(repo: Repo) -> None:
    text = artifact("S-1", "One")
    repo.write("stories/S-1.md", text)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        (held,) = db.execute("SELECT hash FROM artifacts WHERE key = 'story:S-1'").fetchone()
        with mirror.transaction() as tx:
            # the second: read before another process mirrored an edit (the row holds another hash now)
            outbox.enqueue(tx, "b-1", "[]", "t", [("story:S-1", held, text), ("story:S-2", "old", "the text read")])
        stored = db.execute("SELECT key, content FROM outbox_texts ORDER BY key").fetchall()
        assert stored == [("story:S-1", None), ("story:S-2", "the text read")]
        assert outbox.texts_of(db, "b-1") == {"story:S-1": text, "story:S-2": "the text read"}
        with mirror.transaction() as tx:
            outbox.take(tx, "b-1")
        assert db.execute("SELECT count(*) FROM outbox_texts").fetchone()[0] == 0


def test_the_text_a_row_held_is_copied_in_before_the_row_changes_or_goes(repo: Repo) -> None:
    first, second = artifact("S-1", "One"), artifact("S-2", "Two")
    repo.write("stories/S-1.md", first)
    repo.write("stories/S-2.md", second)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        held = dict(db.execute("SELECT key, hash FROM artifacts"))
        with mirror.transaction() as tx:
            outbox.enqueue(tx, "b-1", "[]", "t", [(key, held[key], "") for key in sorted(held)])
        assert db.execute("SELECT count(*) FROM outbox_texts WHERE content IS NULL").fetchone()[0] == 2
        repo.write("stories/S-1.md", artifact("S-1", "One, edited"))
        repo.remove("stories/S-2.md")
        scan(mirror)
        assert outbox.texts_of(db, "b-1") == {"story:S-1": first, "story:S-2": second}
