"""`status` answers from indexes (migration 13): a file with HEAD's bytes is known to have HEAD's git
fields without its JSON being parsed (``git_heads.hash``), and what a push would send or a pull apply
comes from merges of covering indexes. Every difference is reported as before, with the hashes and
without them; a mirror migrated from schema 12 reports what a fresh one does."""

from __future__ import annotations

import json
import sqlite3

import pytest

from agentsync.gitcli import GitCommandLine
from agentsync.gitfields import FieldDifference, differences, refresh_heads
from agentsync.remote_state import remote_state
from agentsync.store import generations, heads, reports, schema, sync_state
from agentsync.store.meta import MetaKey
from agentsync.sync.pending import pending_keys
from tests.conftest import GitRepo, artifact, drop_compare_generation, drop_head_hash
from tests.test_cli import run


def edited(repo: GitRepo) -> GitRepo:
    """A committed work tree, one file of which no longer parses when it is first mirrored; then one
    status edited, one file renamed with its status edited, one deleted, one new; S-2 is left as at HEAD."""
    for number, status in enumerate(("draft", "active", "draft", "draft", "active"), start=1):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", status))
    repo.commit_all("start")
    repo.write("stories/S-5.md", "---\nid: S-5\nstatus: [active\n---\n")  # never mirrored: unmirrored
    run(repo, "init")  # 1: one file could not be mirrored
    repo.write("stories/S-1.md", artifact("S-1", "Story 1", "active"))
    repo.remove("stories/S-3.md")
    repo.write("stories/moved/S-3.md", artifact("S-3", "Story 3", "done"))
    repo.remove("stories/S-4.md")
    repo.write("stories/S-6.md", artifact("S-6", "Story 6", "draft"))
    return repo


EXPECTED = [
    ("story:S-1", "stories/S-1.md", "draft", "active", "changed"),
    ("story:S-3", "stories/moved/S-3.md", "draft", "done", "changed"),
    ("story:S-4", "stories/S-4.md", "draft", None, "deleted"),
    ("story:S-6", "stories/S-6.md", None, "draft", "new"),
    ("story:S-5", "stories/S-5.md", "active", None, "unmirrored"),
]


def shown(found: list[FieldDifference]) -> list[tuple[str, str, object, object, str]]:
    return [(d.id, d.path, d.head, d.work_tree, d.state) for d in found]


@pytest.mark.parametrize("hashes", ["kept", "unknown"])
def test_every_difference_is_reported_with_or_without_heads_hashes(git_repo: GitRepo, hashes: str) -> None:
    edited(git_repo)
    assert run(git_repo, "status")[0] == 0  # mirrors the edits, refreshes HEAD's values
    with git_repo.mirror() as mirror:
        db = mirror.connection
        assert db.execute("SELECT count(*), count(hash) FROM git_heads").fetchone() == (5, 5)  # S-5 parsed at HEAD
        if hashes == "unknown":  # NULL: every row is compared field by field, as before the hashes
            with mirror.transaction() as write:
                write.execute("UPDATE git_heads SET hash = NULL")
        assert sorted(shown(differences(mirror)), key=lambda d: (d[4], d[1])) == sorted(
            EXPECTED, key=lambda d: (d[4], d[1])
        )
    code, out, _ = run(git_repo, "status", "--json")
    assert code == 0
    found = {(d["key"], d["state"]) for d in json.loads(out)["differences"]}
    assert found == {(key, state) for key, _path, _head, _here, state in EXPECTED}


def test_a_file_with_heads_bytes_has_its_json_left_unparsed(git_repo: GitRepo) -> None:
    """Malformed JSON in the mirror's fields of S-2 (as at HEAD) would stop any query that parsed it:
    with the hashes nothing reads it; without them (NULL) it is compared field by field and does."""
    edited(git_repo)
    assert run(git_repo, "status")[0] == 0
    with git_repo.mirror() as mirror:
        with mirror.transaction() as db:
            db.execute("UPDATE artifacts SET fields = 'not JSON' WHERE key = 'story:S-2'")
        found = heads.narrowed(mirror.connection, mirror.config.git_fields)
        assert found is not None and "story:S-2" not in [source[0] for source in found.sources]
        assert sorted(source[0] for source in found.sources) == ["story:S-1", "story:S-3", "story:S-6"]
        with mirror.transaction() as db:
            db.execute("UPDATE git_heads SET hash = NULL WHERE path = 'stories/S-2.md'")
        with pytest.raises(sqlite3.OperationalError, match="malformed JSON"):
            heads.narrowed(mirror.connection, mirror.config.git_fields)


def test_a_change_of_git_fields_rebuilds_heads_values(git_repo: GitRepo) -> None:
    """HEAD's values are kept for the configured git fields only: another list rebuilds them, so a
    field added to the list compares with HEAD's value, not with a value never recorded."""
    git_repo.write(
        "stories/S-1.md", artifact("S-1", "One", "draft").replace("version: 1\n", "version: 1\nowner: ada\n")
    )
    git_repo.commit_all("start")
    assert run(git_repo, "init")[0] == 0
    assert run(git_repo, "status")[0] == 0
    config = git_repo.root / "agentsync.yaml"
    config.write_text(config.read_text().replace("git_fields:\n  - status\n", "git_fields:\n  - status\n  - owner\n"))
    with git_repo.mirror() as mirror:
        assert mirror.config.git_fields == ("status", "owner")
        refresh_heads(mirror, GitCommandLine(mirror.config.root))
        assert json.loads(mirror.connection.execute("SELECT fields FROM git_heads").fetchone()[0]) == {
            "status": "draft", "owner": "ada"}  # fmt: skip
        for hashes in ("kept", "unknown"):
            assert differences(mirror) == [], hashes
            with mirror.transaction() as db:
                db.execute("UPDATE git_heads SET hash = NULL")
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "draft").replace("version: 1\n", "version: 1\nowner: bo\n"))
    _code, out, _ = run(git_repo, "status", "--json")
    assert [(d["field"], d["head"], d["work_tree"]) for d in json.loads(out)["differences"]] == [("owner", "ada", "bo")]


# --- what a push would send and a pull apply ------------------------------------------------------

# The queries as they were before migration 13: the new ones must answer the same on any state.
OLD_DIFFERING = (
    "SELECT a.key, CASE WHEN a.layout = 'frontmatter' AND b.version > 0 THEN a.path END FROM artifacts a "
    "LEFT JOIN sync_base b ON b.key = a.key WHERE (b.key IS NULL OR b.deleted <> 0 OR b.hash IS NOT a.hash "
    "OR b.path IS NOT a.path) AND a.key NOT IN (SELECT key FROM conflicts) ORDER BY a.key"
)
OLD_GONE = (
    "SELECT key, path, version, hash, deleted FROM sync_base WHERE deleted = 0 AND key NOT IN "
    "(SELECT key FROM artifacts) AND key NOT IN (SELECT key FROM conflicts) ORDER BY key"
)
OLD_FETCHED = (
    "SELECT r.key FROM remote_rows r LEFT JOIN sync_base b ON b.key = r.key WHERE (b.key IS NULL OR "
    "r.version > b.version) AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.key = r.key AND q.version = r.version)"
)


def with_sync_state(repo: GitRepo) -> GitRepo:
    """Eight artifacts and a sync state of every kind: agreed as they are, another hash, another path,
    a tombstone, never agreed, agreed and gone, waiting in a conflict; fetched rows newer, the same,
    older, never agreed, and newer but kept aside."""
    for number in range(1, 9):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}"))
    repo.commit_all("start")
    assert run(repo, "init")[0] == 0
    with repo.mirror() as mirror, mirror.transaction() as db:
        hashes = dict(db.execute("SELECT key, hash FROM artifacts"))
        agreed = [
            ("story:S-1", "stories/S-1.md", 2, hashes["story:S-1"], 0),
            ("story:S-2", "stories/S-2.md", 2, "another", 0),
            ("story:S-3", "stories/old/S-3.md", 2, hashes["story:S-3"], 0),
            ("story:S-4", "stories/S-4.md", 3, None, 1),
            ("story:S-6", "stories/S-6.md", 1, "another", 0),
            ("story:S-7", "stories/S-7.md", 1, hashes["story:S-7"], 0),
            ("story:S-8", "stories/S-8.md", 1, hashes["story:S-8"], 0),
            ("story:S-9", "stories/S-9.md", 4, "gone", 0),
        ]
        db.executemany(
            "INSERT INTO sync_base(key, path, version, hash, deleted, content) VALUES (?,?,?,?,?,'x')", agreed
        )
        fetched = [("story:S-1", 3), ("story:S-2", 2), ("story:S-3", 1), ("story:S-10", 1), ("story:S-8", 2)]
        db.executemany(
            "INSERT INTO remote_rows(key, path, version, hash, deleted, author, seq) "
            "VALUES (?, 'p', ?, 'h', 0, 'bo', 1)",
            fetched,
        )
        db.execute("INSERT INTO quarantine(key, version, path, author, reason, seq, recorded_at) "
                   "VALUES ('story:S-8', 2, 'p', 'bo', 'bad', 1, 't')")  # fmt: skip
        db.execute("INSERT INTO conflicts(key, path, kind, remote_version, message, recorded_at) "
                   "VALUES ('story:S-6', 'stories/S-6.md', 'push', 2, 'm', 't')")  # fmt: skip
    return repo


def test_what_a_push_would_send_and_a_pull_apply_is_as_before(git_repo: GitRepo) -> None:
    with_sync_state(git_repo)
    with git_repo.mirror() as mirror:
        db = mirror.connection
        assert sync_state.differing_keys(db, "frontmatter") == db.execute(OLD_DIFFERING).fetchall() == [
            ("story:S-2", "stories/S-2.md"), ("story:S-3", "stories/S-3.md"), ("story:S-4", "stories/S-4.md"),
            ("story:S-5", None)]  # fmt: skip
        assert [tuple(row)[:5] for row in sync_state.agreed_gone(db)] == db.execute(OLD_GONE).fetchall() == [
            ("story:S-9", "stories/S-9.md", 4, "gone", 0)]  # fmt: skip
        assert reports.changed_on_remote(mirror) == {row[0] for row in db.execute(OLD_FETCHED)} == {
            "story:S-1", "story:S-10"}  # fmt: skip
        assert [d.key for d in sync_state.locals_differing(db)] == ["story:S-2", "story:S-3", "story:S-4", "story:S-5"]
        assert pending_keys(mirror) == {"story:S-2", "story:S-3", "story:S-4", "story:S-5", "story:S-9"}


def plan(db: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]


def test_status_reads_indexes_not_rows(git_repo: GitRepo) -> None:
    """The comparisons are merges of indexes read in order (no lookup of a key per row, no row read)."""
    with_sync_state(git_repo)
    assert run(git_repo, "status")[0] == 0
    with git_repo.mirror() as mirror:
        db = mirror.connection
        differing = plan(db, "SELECT a.key " + sync_state._DIFFERING)
        assert "MERGE (EXCEPT)" in differing
        assert "SCAN artifacts USING INDEX artifacts_sync" in differing
        assert "SCAN sync_base USING COVERING INDEX sync_base_agreed" in differing
        fetched = plan(db, "SELECT r.key " + sync_state._FETCHED_NOT_APPLIED)
        assert "MERGE (EXCEPT)" in fetched
        assert "SCAN remote_rows USING COVERING INDEX remote_rows_fetched" in fetched
        assert "SCAN sync_base USING COVERING INDEX sync_base_versions" in fetched
        at_head = plan(db, heads._NOT_AS_AT_HEAD)
        assert at_head[0] == "MERGE (EXCEPT)" and "SCAN git_heads USING COVERING INDEX git_heads_id" in at_head
        assert plan(db, heads._GONE)[0] == "MERGE (EXCEPT)"


# --- migration 13 ---------------------------------------------------------------------------------


def back_to_schema_12(repo: GitRepo) -> None:
    """The mirror as agentsync at schema 12 left it: no hashes at HEAD, none of migration 13's indexes,
    no stat generation (migration 14), no agreed texts kept once (migration 15), no comparison
    generation (migration 16), no outbox texts (migration 18)."""
    with repo.mirror() as mirror, mirror.transaction() as db:
        drop_compare_generation(db)
        db.execute("DROP TABLE outbox_texts")
        for trigger in ("artifacts_stat_insert", "artifacts_stat_delete", "artifacts_stat_update",
                        "artifacts_base_update", "artifacts_base_delete"):  # fmt: skip
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TABLE stat_generation")
        for index in (
            "artifacts_sync",
            "sync_base_agreed",
            "sync_base_versions",
            "remote_rows_fetched",
            "git_heads_id",
        ):
            db.execute(f"DROP INDEX {index}")
        db.execute("ALTER TABLE git_heads DROP COLUMN hash")
        db.execute("CREATE INDEX git_heads_id ON git_heads(id)")
        db.execute("DELETE FROM meta WHERE key = ?", (MetaKey.GIT_HEAD_BUILT_FOR,))
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 12")


def status_json(repo: GitRepo) -> dict[str, object]:
    code, out, err = run(repo, "status", "--json")
    assert code == 0, err
    found = json.loads(out)
    found.pop("watcher")
    return dict(found)


def test_a_mirror_migrated_from_schema_12_reports_what_a_fresh_one_does(git_repo: GitRepo) -> None:
    assert schema.SCHEMA_VERSION >= 13
    edited(git_repo)
    assert run(git_repo, "status")[0] == 0
    with git_repo.mirror() as mirror, mirror.transaction() as db:  # S-1 agreed as it is, S-2 not; S-6 newer there
        db.execute("INSERT INTO sync_base(key, path, version, hash, deleted) "
                   "SELECT key, path, 1, CASE key WHEN 'story:S-2' THEN 'other' ELSE hash END, 0 FROM artifacts "
                   "WHERE key IN ('story:S-1', 'story:S-2', 'story:S-6')")  # fmt: skip
        db.execute("INSERT INTO remote_rows(key, path, version, hash, deleted, author, seq) "
                   "VALUES ('story:S-6', 'stories/S-6.md', 2, 'h', 0, 'bo', 1)")  # fmt: skip
        generations.renew(db)  # as the store's functions do (store.generations)
    fresh = status_json(git_repo)
    back_to_schema_12(git_repo)
    with git_repo.mirror() as mirror:
        db = mirror.connection
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert mirror.get_meta(MetaKey.GIT_HEAD) is None  # HEAD's values are read again, hashes with them
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {
            "artifacts_sync",
            "sync_base_agreed",
            "sync_base_versions",
            "remote_rows_fetched",
            "git_heads_id",
        } <= names
    assert status_json(git_repo) == fresh
    with git_repo.mirror() as mirror:
        db = mirror.connection
        assert db.execute("SELECT count(*), count(hash) FROM git_heads").fetchone() == (5, 5)
        assert mirror.get_meta(MetaKey.GIT_HEAD) == git_repo.head()
        state = remote_state(mirror.config, mirror, ask=False)
        assert state is not None
        assert (state.ahead, state.behind, state.diverged) == (["story:S-2", "story:S-3"], ["story:S-6"], [])
