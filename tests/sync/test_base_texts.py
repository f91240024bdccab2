"""An agreed text that the artifact's own mirrored row holds is kept there alone (schema migration 15):
``sync_base.content`` is NULL while ``artifacts`` has the same key and hash, and it is copied into
sync_base right before that row's text changes or the row goes. Merges, `diff` and `resolve` read
the same base as before."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from agentsync.scanner import scan
from agentsync.store import schema, sync_state
from agentsync.store.sync_state import Agreed
from tests.conftest import GitRepo, artifact, drop_compare_generation, drop_head_hash
from tests.sync.conftest import Clones, sync_pull, sync_push

TEXT = artifact("S-1", "One", body="First line.\n\nSecond line.\n")


def kept(repo: GitRepo, key: str) -> str | None:
    """The text sync_base itself holds for ``key`` (None: kept in the artifact's row, or none)."""
    with repo.mirror() as mirror:
        found = mirror.connection.execute("SELECT content FROM sync_base WHERE key = ?", (key,)).fetchone()
    assert found is not None, f"{key} was never agreed"
    text: str | None = found[0]
    return text


def agreed(repo: GitRepo, key: str) -> str | None:
    with repo.mirror() as mirror:
        return sync_state.agreed_text(mirror.connection, key)


def test_a_push_and_a_pull_keep_each_agreed_text_once(clones: Clones) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", TEXT)
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    for clone in (a, b):
        assert kept(clone, "story:S-1") is None
        assert agreed(clone, "story:S-1") == TEXT
        with clone.mirror() as mirror:
            assert sync_state.agreed_texts(mirror.connection, ["story:S-1"])["story:S-1"].content == TEXT
            assert sync_state.fetched_row(mirror.connection, "story:S-1").content == TEXT  # type: ignore[union-attr]


def test_the_base_is_kept_when_the_file_is_edited_deleted_or_takes_another_id(clones: Clones) -> None:
    a, _, remote = clones
    texts = {number: artifact(f"S-{number}", f"Story {number}") for number in (1, 2, 3)}
    for number, text in texts.items():
        a.write(f"stories/S-{number}.md", text)
    sync_push(a, remote, "ada")
    assert [kept(a, f"story:S-{number}") for number in texts] == [None, None, None]
    a.write("stories/S-1.md", texts[1].replace("Body.", "Edited here."))
    (a.root / "stories/S-2.md").unlink()
    a.write("stories/S-3.md", texts[3].replace("id: S-3", "id: S-4"))
    with a.mirror() as mirror:
        scan(mirror)
    for number, text in texts.items():
        assert kept(a, f"story:S-{number}") == text
        assert agreed(a, f"story:S-{number}") == text


def test_an_edit_on_each_side_still_merges_from_the_base_kept_once(clones: Clones) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", TEXT)
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    b.write("stories/S-1.md", TEXT.replace("Second line.", "Second line, edited by Bo."))
    sync_push(b, remote, "bo")
    a.write("stories/S-1.md", TEXT.replace("First line.", "First line, edited by Ada."))
    got = sync_pull(a, remote)
    assert got.conflicts == [] and got.merged == ["stories/S-1.md"]
    merged = a.read("stories/S-1.md").decode()
    assert "First line, edited by Ada." in merged and "Second line, edited by Bo." in merged


def test_a_text_the_artifact_does_not_hold_is_written(clones: Clones) -> None:
    a, _, _ = clones
    a.write("stories/S-1.md", TEXT)
    with a.mirror() as mirror:
        scan(mirror)
        with mirror.transaction() as db:
            sync_state.upsert_agreed(db, [Agreed("story:S-1", "stories/S-1.md", 1, "another hash", 0, "older text")])
    assert kept(a, "story:S-1") == "older text" == agreed(a, "story:S-1")


def test_migration_15_drops_the_copies_an_older_mirror_kept(clones: Clones) -> None:
    a, _, remote = clones
    a.write("stories/S-1.md", TEXT)
    a.write("stories/S-2.md", artifact("S-2"))
    sync_push(a, remote, "ada")
    a.write("stories/S-2.md", artifact("S-2", body="Edited here.\n"))
    with a.mirror() as mirror:
        scan(mirror)
    with a.mirror() as mirror, mirror.transaction() as db:  # as schema 14 left it: every agreed text in sync_base
        for trigger in ("artifacts_base_update", "artifacts_base_delete"):
            db.execute(f"DROP TRIGGER {trigger}")
        drop_compare_generation(db)
        db.execute("DROP TABLE outbox_texts")  # migration 18
        db.execute("UPDATE sync_base SET content = (SELECT content FROM artifacts a WHERE a.key = sync_base.key) "
                   "WHERE content IS NULL")  # fmt: skip
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 14")
    with closing(sqlite3.connect(a.config().db_path)) as raw:  # not opened as a mirror: not migrated yet
        assert raw.execute("SELECT content FROM sync_base WHERE key = 'story:S-1'").fetchone() == (TEXT,)
    with a.mirror() as mirror:
        assert mirror.connection.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert kept(a, "story:S-1") is None and agreed(a, "story:S-1") == TEXT
    assert kept(a, "story:S-2") == artifact("S-2")  # edited here since: its base stays where it was
    a.write("stories/S-1.md", TEXT.replace("First line.", "Edited."))
    with a.mirror() as mirror:
        scan(mirror)
    assert kept(a, "story:S-1") == TEXT  # the migration's triggers keep it from now on
