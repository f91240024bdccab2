"""A mirror written at schema 9 (ids unique across types) is upgraded to 10 (keys TYPE:ID) when it
is opened: every artifact, agreed row, fetched row, conflict, note, refused row, queued batch,
operation and meta value is kept, keyed by its type, and the clone goes on syncing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from agentsync.remotes.base import Change
from agentsync.remotes.memory import MemoryRemote
from agentsync.scanner import scan
from agentsync.store import schema
from agentsync.store.meta import MetaKey
from agentsync.sync import pending_changes, pull, push
from tests.conftest import Repo, artifact, drop_head_hash, drop_outbox_texts

STORY, PLAN = artifact("S-1", "One"), artifact("P-1", "Plan")


def schema_9(repo: Repo) -> None:
    """The mirror as agentsync at schema 9 left it: two artifacts and sync state for them and others."""
    path = repo.config().db_path
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    schema._register_functions(db, str(path))  # what migration 7 calls
    for version, script in enumerate(schema.MIGRATIONS[:9], start=1):
        for statement in schema._statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
    row = "INSERT INTO artifacts(id, path, type, title, status, version, layout, hash, disk_hash, size, mtime_ns, " \
          "mirrored_at, fields, content) VALUES (?,?,?,?,?,1,'frontmatter',?,?,?,0,'t','{}',?)"  # fmt: skip
    db.execute(row, ("S-1", "stories/S-1.md", "story", "One", "DRAFT", "h1", "h1", len(STORY), STORY))
    db.execute(row, ("P-1", "plans/P-1.md", "plan", "Plan", "DRAFT", "h2", "h2", len(PLAN), PLAN))
    db.executemany("INSERT INTO sync_base(id, path, version, hash, deleted, content) VALUES (?,?,?,?,?,?)", [
        ("S-1", "stories/S-1.md", 2, "h0", 0, artifact("S-1", "Agreed")),  # edited here since
        ("S-9", "stories/S-9.md", 3, None, 1, None),  # a tombstone: no artifact, typed by its path
    ])  # fmt: skip
    db.executemany(
        "INSERT INTO remote_rows(id, path, version, hash, deleted, author, seq, updated_at, content) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [("S-1", "stories/S-1.md", 2, "h1", 0, "ada", 4, "t", None),
         ("X-1", "odd/X-1.md", 1, "hx", 0, "bo", 5, "t", "x")],  # a path no type has: no type
    )  # fmt: skip
    db.execute("INSERT INTO conflicts(id, path, kind, remote_version, remote_author, message, recorded_at, base, "
               "ours, theirs, theirs_hash) VALUES ('P-1', 'plans/P-1.md', 'merge', 2, 'bo', 'why', 't', 'b', 'o', "
               "'t', 'ht')")  # fmt: skip
    db.execute("INSERT INTO notes(id, summary) VALUES ('S-1', 'kept ours')")
    db.execute("INSERT INTO quarantine(id, version, path, author, reason, seq, recorded_at) "
               "VALUES ('Q-1', 1, 'plans/Q-1.md', 'eve', 'bad', 3, 't')")  # fmt: skip
    change = {"id": "P-1", "path": "plans/P-1.md", "base": 1, "content": PLAN, "hash": "h2", "summary": "",
              "source_hash": "h2", "version": 2}  # fmt: skip
    db.execute("INSERT INTO outbox(batch_id, changes, created_at) VALUES ('b-1', ?, 't')", (json.dumps([change]),))
    db.execute("INSERT INTO operations(operation, started_at, duration_ms, result) VALUES ('push', 't', 5, 'ok')")
    db.execute("INSERT INTO meta(key, value) VALUES ('remote_cursor', '5')")
    db.close()


def test_a_mirror_at_schema_9_is_upgraded_keeping_every_row(repo: Repo) -> None:
    repo.write("stories/S-1.md", STORY)
    repo.write("plans/P-1.md", PLAN)
    schema_9(repo)
    with repo.mirror() as mirror:
        db = mirror.connection
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 10
        assert db.execute("SELECT pk, key, id, type, content FROM artifacts ORDER BY pk").fetchall() == [
            (1, "story:S-1", "S-1", "story", STORY), (2, "plan:P-1", "P-1", "plan", PLAN)]  # fmt: skip
        assert [hit.row.key for hit in mirror.search("Plan")] == ["plan:P-1"]  # the full-text index still works
        assert db.execute("SELECT key, version, deleted, content FROM sync_base ORDER BY key").fetchall() == [
            ("story:S-1", 2, 0, artifact("S-1", "Agreed")), ("story:S-9", 3, 1, None)]  # fmt: skip
        assert db.execute("SELECT key, version, seq FROM remote_rows ORDER BY seq").fetchall() == [
            ("story:S-1", 2, 4), (":X-1", 1, 5)]  # fmt: skip
        assert db.execute("SELECT key, kind, base, ours, theirs, theirs_hash FROM conflicts").fetchall() == [
            ("plan:P-1", "merge", "b", "o", "t", "ht")]  # fmt: skip
        assert db.execute("SELECT key, summary FROM notes").fetchall() == [("story:S-1", "kept ours")]
        assert db.execute("SELECT key, reason FROM quarantine").fetchall() == [("plan:Q-1", "bad")]
        [queued] = [json.loads(row[0]) for row in db.execute("SELECT changes FROM outbox")]
        assert [Change(**c) for c in queued] == [Change("plan:P-1", "plans/P-1.md", 1, PLAN, "h2", "", "h2", 2)]
        assert db.execute("SELECT count(*) FROM operations").fetchone()[0] == 1
        assert mirror.get_meta(MetaKey.REMOTE_CURSOR) == "5"
        # The upgraded mirror works as any other: a scan changes nothing, the edits are seen by key.
        report = scan(mirror)
        assert report.problems == [] and report.added == [] and report.deleted == []
        assert [p.key for p in pending_changes(mirror)] == ["story:S-1"]  # the plan waits in its conflict
        assert mirror.resolve("P-1") == "plan:P-1" and mirror.resolve("S-9") == "story:S-9"


def test_an_upgraded_mirror_goes_on_syncing(repo: Repo, memory_remote: Callable[..., MemoryRemote]) -> None:
    repo.write("stories/S-1.md", STORY)
    repo.write("plans/P-1.md", PLAN)
    schema_9(repo)
    with repo.mirror() as mirror:
        with mirror.transaction() as db:  # start the sync state over against a fresh remote, the rows kept
            db.execute("DELETE FROM outbox")
            db.execute("DELETE FROM conflicts")
            db.execute("DELETE FROM sync_base")
            db.execute("DELETE FROM remote_rows")
            mirror.delete_meta(MetaKey.REMOTE_CURSOR)
        remote = memory_remote("team")
        report = push(mirror, remote, "ada")
        assert sorted(report.applied) == [("plan:P-1", 1), ("story:S-1", 1)] and report.ok
        assert pull(mirror, remote).ok


FENCED = "# INFRA-7: Write a story\n\n```markdown\n## State\n\nDONE\n```\n\n## State\n\nDRAFT\n"


def test_a_mirror_before_schema_17_reads_again_each_text_with_a_fenced_block(repo: Repo) -> None:
    """Schema 17 came with the rule that a status in a fenced code block is no field: a text mirrored
    before it, whose status was taken from the example, is read again at the next scan, unchanged
    texts without a fence are not, and HEAD's values are read again too."""
    repo.write("stories/INFRA-7.md", FENCED)
    repo.write("stories/S-1.md", STORY)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        assert db.execute("SELECT status FROM artifacts WHERE path = 'stories/INFRA-7.md'").fetchone() == ("DRAFT",)
        db.execute("UPDATE artifacts SET status = 'DONE' WHERE path = 'stories/INFRA-7.md'")  # as the old rule read it
        db.execute("UPDATE artifacts SET title = 'stale' WHERE path = 'stories/S-1.md'")  # no fence: not read again
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('git_head', 'abc')")
        drop_outbox_texts(db)  # back to schema 16
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 16")
    with repo.mirror() as mirror:
        report = scan(mirror)
        db = mirror.connection
        assert db.execute("SELECT path, status, title FROM artifacts ORDER BY path").fetchall() == [
            ("stories/INFRA-7.md", "DRAFT", "Write a story"), ("stories/S-1.md", "DRAFT", "stale")]  # fmt: skip
        assert (report.updated, report.unchanged) == (["stories/INFRA-7.md"], 1)
        assert mirror.get_meta(MetaKey.GIT_HEAD) is None


SPEC = "# Feature Specification: Albums\n\n**Feature Branch**: `001-albums`\n\n**Status**: Draft\n\nText.\n"


def test_a_mirror_before_schema_19_reads_again_each_plain_text_with_a_bold_status_label(repo: Repo) -> None:
    """Schema 19 came with reading Spec Kit's ``**Status**: Draft`` below other labels: a text that an
    older agentsync mirrored as plain Markdown, without a status, is read again at the next scan."""
    repo.write("stories/spec.md", SPEC)
    repo.write("stories/S-1.md", STORY)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        db.execute("UPDATE artifacts SET layout = 'plain', status = NULL WHERE path = 'stories/spec.md'")  # as before
        db.execute("UPDATE artifacts SET title = 'stale' WHERE path = 'stories/S-1.md'")  # no label: not read again
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 18")
    with repo.mirror() as mirror:
        report = scan(mirror)
        rows = mirror.connection.execute("SELECT path, layout, status, title FROM artifacts ORDER BY path").fetchall()
    assert rows == [("stories/S-1.md", "frontmatter", "DRAFT", "stale"),
                    ("stories/spec.md", "agent", "Draft", "Feature Specification: Albums")]  # fmt: skip
    assert (report.updated, report.unchanged) == (["stories/spec.md"], 1)


BMAD_STORY = "# Story 1.1: Login\n\n## Status\n\n**COMPLETED** ✅ - **QA PASSED** (2025-08-30)\n\n## Story\n"
AGENT_OS = "# Spec Requirements Document\n\n> Spec: Maildir\n> Created: 2025-07-29\n> Status: Planning\n\n## Overview\n"


def test_a_mirror_before_schema_20_reads_again_each_text_with_a_metadata_quote_or_a_bold_status(repo: Repo) -> None:
    """Schema 20 came with Agent OS's metadata quote and BMAD's bold statuses: texts an older agentsync
    read otherwise are read again at the next scan, others are not, and HEAD's values are read again."""
    repo.write("stories/story-1-1.md", BMAD_STORY)
    repo.write("stories/spec.md", AGENT_OS)
    repo.write("stories/S-1.md", STORY)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        db.execute("UPDATE artifacts SET status = '**COMPLETED** ✅ - **QA PASSED** (2025-08-30)' "
                   "WHERE path = 'stories/story-1-1.md'")  # fmt: skip
        db.execute("UPDATE artifacts SET layout = 'plain', status = NULL, title = 'Spec Requirements Document' "
                   "WHERE path = 'stories/spec.md'")  # fmt: skip
        db.execute("UPDATE artifacts SET title = 'stale' WHERE path = 'stories/S-1.md'")  # neither: not read again
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('git_head', 'abc')")
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 19")
    with repo.mirror() as mirror:
        report = scan(mirror)
        rows = mirror.connection.execute("SELECT path, layout, status, title FROM artifacts ORDER BY path").fetchall()
        assert mirror.get_meta(MetaKey.GIT_HEAD) is None
    assert rows == [("stories/S-1.md", "frontmatter", "DRAFT", "stale"),
                    ("stories/spec.md", "agent", "Planning", "Maildir"),
                    ("stories/story-1-1.md", "nygard", "COMPLETED", "Story 1.1: Login")]  # fmt: skip
    assert (sorted(report.updated), report.unchanged) == (["stories/spec.md", "stories/story-1-1.md"], 1)


def test_a_mirror_before_schema_21_reads_again_each_plain_text_with_a_status_heading(repo: Repo) -> None:
    """Schema 21 came with BMAD's `## Status: done` heading: a plain text an older agentsync read
    without a status is read again at the next scan, others are not, and HEAD's values are read again."""
    repo.write("stories/1-2-login.md", "# Story 1.2: Login\n\n## Status: done\n\n## Story\n\nAs a user.\n")
    repo.write("stories/infra-7.md", "# INFRA-7: Deploy\n\n## Status: review\n\n## Steps\n")  # the agent CLI's heading
    repo.write("stories/S-1.md", STORY)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        db.execute("UPDATE artifacts SET layout = 'plain', status = NULL WHERE path = 'stories/1-2-login.md'")
        db.execute("UPDATE artifacts SET status = NULL WHERE path = 'stories/infra-7.md'")
        db.execute("UPDATE artifacts SET title = 'stale' WHERE path = 'stories/S-1.md'")  # not read again
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('git_head', 'abc')")
        drop_head_hash(db)  # migration 22
        db.execute("PRAGMA user_version = 20")
    with repo.mirror() as mirror:
        report = scan(mirror)
        rows = mirror.connection.execute("SELECT path, layout, status, title FROM artifacts ORDER BY path").fetchall()
        assert mirror.get_meta(MetaKey.GIT_HEAD) is None
    assert rows == [("stories/1-2-login.md", "agent", "done", "Story 1.2: Login"),
                    ("stories/S-1.md", "frontmatter", "DRAFT", "stale"),
                    ("stories/infra-7.md", "agent", "review", "Deploy")]  # fmt: skip
    assert (sorted(report.updated), report.unchanged) == (["stories/1-2-login.md", "stories/infra-7.md"], 1)


def test_a_mirror_before_schema_23_reads_again_titles_from_fences_and_statuses_from_lists(repo: Repo) -> None:
    """Schema 23 came with titles from the first heading outside fenced code and statuses read from
    a `## Status` line's list item: texts an older agentsync read otherwise are read again at the next
    scan, a frontmatter text without a fence or an indented heading is not, and HEAD's values are read again."""
    repo.write("stories/runbook.md", "```sh\n# Smoke test\n```\n\n# Deploy runbook\n\nSteps.\n")
    repo.write("stories/story-2.md", "# Story 2: Export\n\n## Status\n\n- **Status**: COMPLETED\n")
    repo.write("stories/S-1.md", STORY)
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        db.execute("UPDATE artifacts SET title = 'Smoke test' WHERE path = 'stories/runbook.md'")  # as before
        db.execute("UPDATE artifacts SET status = '- **Status**: COMPLETED' WHERE path = 'stories/story-2.md'")
        db.execute("UPDATE artifacts SET title = 'stale' WHERE path = 'stories/S-1.md'")  # not read again
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('git_head', 'abc')")
        db.execute("PRAGMA user_version = 22")
    with repo.mirror() as mirror:
        report = scan(mirror)
        rows = mirror.connection.execute("SELECT path, status, title FROM artifacts ORDER BY path").fetchall()
        assert mirror.get_meta(MetaKey.GIT_HEAD) is None
    assert rows == [("stories/S-1.md", "DRAFT", "stale"), ("stories/runbook.md", None, "Deploy runbook"),
                    ("stories/story-2.md", "COMPLETED", "Story 2: Export")]  # fmt: skip
    assert (sorted(report.updated), report.unchanged) == (["stories/runbook.md", "stories/story-2.md"], 1)
