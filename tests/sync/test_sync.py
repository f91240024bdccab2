"""Push and pull between two real git clones through the in-memory remote (the twin of the
PostgreSQL one: tests/remotes/test_protocol.py). The key end-to-end tests also run on PostgreSQL
(``both_clones``); the CLI and hook paths that need a database URL are in test_sync_postgres.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from agentsync.errors import RemoteUnavailable
from agentsync.remotes.base import Change, Page, PushResult, Remote, decode_changes
from agentsync.remotes.memory import MemoryRemote, MemoryServer
from agentsync.scanner import scan
from agentsync.store import outbox
from agentsync.store.meta import MetaKey
from agentsync.sync import fetch, push
from agentsync.sync.reports import PullReport, pull_summary, push_lines
from tests.conftest import GitRepo, artifact
from tests.sync.conftest import Clones, sync_pull, sync_push


def test_two_clones_exchange_edits_deletes_and_renames(both_clones: tuple[GitRepo, GitRepo, Remote]) -> None:
    a, b, remote = both_clones
    written = {
        "stories/S-1.md": artifact("S-1", "One", "draft").replace("version: 1\n", "version: 0\n"),
        "stories/S-2.md": artifact("S-2", "Two", "draft").replace("version: 1\n", ""),
        "plans/P-1.md": artifact("P-1", "Plan", "draft").replace("version: 1\n", ""),
    }
    for path, text in written.items():
        a.write(path, text)
    a.commit_all("stories")
    first = sync_push(a, remote, "ada@example.com")
    assert sorted(first.applied) == [("plan:P-1", 1), ("story:S-1", 1), ("story:S-2", 1)] and first.ok
    # A push writes no file: no version line is added or moved, and Git sees nothing changed.
    assert all(a.read(path).decode() == text for path, text in written.items())
    assert a.git("status", "--porcelain").stdout == ""
    assert sync_push(a, remote, "ada@example.com").applied == []  # nothing left to send

    got = sync_pull(b, remote)
    assert sorted(got.written) == ["plans/P-1.md", "stories/S-1.md", "stories/S-2.md"] and got.ok
    # B's Git has never seen these artifacts: no Git record, so they arrive as their author wrote
    # them, status (a git field) included: the clones hold the same bytes.
    assert got.overrides == [] and all(b.read(path) == a.read(path) for path in written)

    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Body, edited by Bo."))
    assert sync_push(b, remote, "bo@example.com").applied == [("story:S-1", 2)]
    got = sync_pull(a, remote)
    s1 = a.read("stories/S-1.md").decode()
    assert "Body, edited by Bo." in s1 and "status: draft" in s1  # A's status stays
    assert "version: 0" in s1  # Bo's text as Bo wrote it: the remote numbers versions, the line is a hint

    a.remove("stories/S-2.md")
    (a.root / "plans" / "P-1.md").rename(a.root / "plans" / "P-1-launch.md")
    assert sorted(sync_push(a, remote, "ada@example.com").applied) == [("plan:P-1", 2), ("story:S-2", 2)]
    got = sync_pull(b, remote)
    assert got.deleted == ["stories/S-2.md"] and not (b.root / "stories/S-2.md").exists()
    assert (b.root / "plans/P-1-launch.md").exists() and not (b.root / "plans/P-1.md").exists()
    with b.mirror() as mirror:
        assert mirror.find("P-1").path == "plans/P-1-launch.md"
        assert mirror.get("story:S-2") is None


def test_concurrent_edits_conflict_and_nothing_is_lost(both_clones: tuple[GitRepo, GitRepo, Remote]) -> None:
    a, b, remote = both_clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Ada's body."))
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Bo's body."))
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    refused = sync_push(b, remote, "bo")
    assert refused.applied == [] and [c.id for c in refused.conflicts] == ["S-1"]
    assert refused.conflicts[0].remote is not None and "Ada's body." in (refused.conflicts[0].remote.content or "")
    assert "Bo's body." in b.read("stories/S-1.md").decode()  # B's edit is still there
    with b.mirror() as mirror:
        assert mirror.connection.execute("SELECT key, kind FROM conflicts").fetchall() == [("story:S-1", "push")]
    got = sync_pull(b, remote)  # the pull merges: the same line changed on both sides is marked
    text = b.read("stories/S-1.md").decode()
    assert got.written == [] and [c[0] for c in got.conflicts] == ["story:S-1"]
    assert "<<<<<<< local\nBo's body.\n=======\nAda's body.\n>>>>>>> remote v2 by ada\n" in text
    with b.mirror() as mirror:
        assert mirror.connection.execute("SELECT key, kind FROM conflicts").fetchall() == [("story:S-1", "merge")]
    assert sync_push(b, remote, "bo").applied == []  # waits for `resolve`


class AnswerLost(MemoryRemote):
    """The batch reaches the database and commits, but the answer never comes back."""

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        super().push(client_id, batch_id, author, changes, encoded)
        raise RemoteUnavailable("connection reset while reading the answer")


def test_a_batch_whose_answer_was_lost_is_applied_once(clones: Clones) -> None:
    a, _b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, AnswerLost(remote.server, remote.project), "ada")
    with a.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    again = sync_push(a, remote, "ada")
    assert again.resent == 1 and again.applied == [("story:S-1", 1)] and again.ok
    assert remote.head() == 1  # applied once
    assert "version: 1" in a.read("stories/S-1.md").decode()
    with a.mirror() as mirror:
        scan(mirror)
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert sync_push(a, remote, "ada").applied == []


def test_a_pull_interrupted_after_writing_files_finishes_cleanly(
    clones: Clones,
) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Second."))
    sync_push(a, remote, "ada")
    with b.mirror() as mirror:
        before = mirror.connection.execute("SELECT * FROM sync_base").fetchall()
    sync_pull(b, remote)
    written = b.read("stories/S-1.md")
    with b.mirror() as mirror, mirror.transaction() as db:  # as if the process died before recording the base
        db.execute("DELETE FROM sync_base")
        db.executemany(f"INSERT INTO sync_base VALUES ({','.join('?' * len(before[0]))})", before)
        db.execute("DELETE FROM meta WHERE key = 'remote_applied_cursor'")  # (recorded last, so not yet)
    again = sync_pull(b, remote)
    assert again.ok and again.written == [] and b.read("stories/S-1.md") == written
    with b.mirror() as mirror:
        assert mirror.connection.execute("SELECT version FROM sync_base WHERE key = 'story:S-1'").fetchone() == (2,)
    assert sync_push(b, remote, "bo").applied == []


def _pushed_stories(clones: Clones, count: int) -> Clones:
    """The clones, with ``count`` stories written in A and pushed."""
    a, _b, remote = clones
    for number in range(1, count + 1):
        a.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", "draft"))
    sync_push(a, remote, "ada")
    return clones


def _failing_call(
    number: int, real: Callable[..., Any], message: str, calls: list[int], after: float = 0.0
) -> Callable[..., Any]:
    """``real``, except that its ``number``-th call raises RuntimeError(``message``), ``after`` seconds
    in (time for the pull's writer to write what it was given): a fault nothing else here can cause.
    Each call is counted in ``calls``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == number:
            time.sleep(after)
            raise RuntimeError(message)
        return real(*args, **kwargs)

    return call


def test_a_pull_that_fails_planning_a_chunk_records_the_one_already_written(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agentsync.sync.incoming as incoming
    from agentsync.sync.plan import Planner

    a, b, remote = _pushed_stories(clones, 5)
    monkeypatch.setattr(incoming, "PULL_CHUNK", 2)
    real_plan = Planner.plan_chunk
    monkeypatch.setattr(Planner, "plan_chunk", _failing_call(3, real_plan, "planning failed", []))
    with pytest.raises(RuntimeError, match="planning failed"):
        sync_pull(b, remote)
    with b.mirror() as mirror:
        agreed = sorted(row[0] for row in mirror.connection.execute("SELECT key FROM sync_base"))
        mirrored = sorted(row[0] for row in mirror.connection.execute("SELECT key FROM artifacts"))
    # The second chunk was being written when the third failed: it is recorded too, not redone.
    assert agreed == mirrored == ["story:S-1", "story:S-2", "story:S-3", "story:S-4"]
    assert not (b.root / "stories/S-5.md").exists()
    monkeypatch.setattr(Planner, "plan_chunk", real_plan)
    again = sync_pull(b, remote)
    assert again.ok and again.written == ["stories/S-5.md"]
    for number in range(1, 6):  # (status is a git field: never taken from the remote)
        assert b.read(f"stories/S-{number}.md") == a.read(f"stories/S-{number}.md")


def test_a_pull_that_fails_recording_a_chunk_records_nothing_after_it_and_the_next_pull_finishes(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next chunk's files are written while a chunk is recorded: when recording fails, that
    write finishes (or never starts) but is not recorded, and the next pull agrees its files."""
    import agentsync.sync.incoming as incoming

    a, b, remote = _pushed_stories(clones, 6)
    monkeypatch.setattr(incoming, "PULL_CHUNK", 2)
    real_record, recorded = incoming._record_chunk, list[int]()
    monkeypatch.setattr(incoming, "_record_chunk", _failing_call(2, real_record, "recording failed", recorded))
    with pytest.raises(RuntimeError, match="recording failed"):
        sync_pull(b, remote)
    assert len(recorded) == 2  # nothing recorded after the failure
    with b.mirror() as mirror:
        agreed = sorted(row[0] for row in mirror.connection.execute("SELECT key FROM sync_base"))
    assert agreed == ["story:S-1", "story:S-2"]  # the third chunk, written or not, is not recorded either
    monkeypatch.setattr(incoming, "_record_chunk", real_record)
    again = sync_pull(b, remote)
    # S-3 and S-4 are on disk as the remote has them: agreed, not written again (S-5 and S-6 too if written)
    assert again.ok and set(again.written) <= {"stories/S-5.md", "stories/S-6.md"}
    with b.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM sync_base").fetchone() == (6,)
    for number in range(1, 7):
        assert b.read(f"stories/S-{number}.md") == a.read(f"stories/S-{number}.md")


def _pull_failing_to_record_its_first_chunk(b: GitRepo, remote: Remote, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull into ``b`` in chunks of 2 whose first record fails half a second in (the writer has
    written the next chunk's files by then, if it was given them); recording works again after."""
    import agentsync.sync.incoming as incoming

    monkeypatch.setattr(incoming, "PULL_CHUNK", 2)
    real_record = incoming._record_chunk
    monkeypatch.setattr(incoming, "_record_chunk", _failing_call(1, real_record, "recording failed", [], after=0.5))
    with pytest.raises(RuntimeError, match="recording failed"):
        sync_pull(b, remote)
    monkeypatch.setattr(incoming, "_record_chunk", real_record)


def _edited_in_both(clones: Clones, count: int) -> Clones:
    """Stories pushed from A and pulled into B; then B edits S-3's body and A every story's body."""
    a, b, remote = _pushed_stories(clones, count)
    sync_pull(b, remote)
    b.write("stories/S-3.md", b.read("stories/S-3.md").decode().replace("Body.", "Bo's body."))
    for number in range(1, count + 1):
        a.write(
            f"stories/S-{number}.md", a.read(f"stories/S-{number}.md").decode().replace("Body.", f"Ada's {number}.")
        )
    sync_push(a, remote, "ada")
    return clones


def test_a_merge_is_not_written_while_the_chunk_before_it_may_still_fail_to_be_recorded(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk with a merge (here: conflict markers) waits for the chunk before to be recorded: when
    that fails, the file is left as it was, and the next pull merges it once (markers not nested)."""

    _a, b, remote = _edited_in_both(clones, 4)
    _pull_failing_to_record_its_first_chunk(b, remote, monkeypatch)
    assert "<<<<<<<" not in b.read("stories/S-3.md").decode()  # the second chunk was not written
    again = sync_pull(b, remote)
    merged = b.read("stories/S-3.md").decode()
    assert [key for key, _ in again.conflicts] == ["story:S-3"] and merged.count("<<<<<<<") == 1, merged
    assert "Bo's body." in merged and "Ada's 3." in merged


def test_a_move_is_not_written_while_the_chunk_before_it_may_still_fail_to_be_recorded(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk in which the remote moves an artifact waits for the chunk before to be recorded: when
    that fails, neither path is touched, and the next pull moves the file (no copy left behind)."""

    a, b, remote = _pushed_stories(clones, 4)
    sync_pull(b, remote)
    for number in (1, 2, 4):
        a.write(f"stories/S-{number}.md", a.read(f"stories/S-{number}.md").decode().replace("Body.", "Moved on."))
    (a.root / "stories" / "sub").mkdir()
    (a.root / "stories" / "S-3.md").rename(a.root / "stories" / "sub" / "S-3.md")
    sync_push(a, remote, "ada")
    _pull_failing_to_record_its_first_chunk(b, remote, monkeypatch)
    assert not (b.root / "stories" / "sub" / "S-3.md").exists()
    assert sync_pull(b, remote).ok

    def stories(repo: GitRepo) -> dict[str, bytes]:
        return {p.relative_to(repo.root).as_posix(): p.read_bytes() for p in (repo.root / "stories").rglob("*.md")}

    assert stories(b) == stories(a)


def test_updates_written_while_the_chunk_before_fails_to_be_recorded_are_agreed_by_the_next_pull(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain updates may be written while the chunk before is recorded: left unrecorded by a failure,
    each file is as the remote has it, and the next pull agrees it without writing or merging it."""

    a, b, remote = _pushed_stories(clones, 4)
    sync_pull(b, remote)
    for number in range(1, 5):
        a.write(f"stories/S-{number}.md", a.read(f"stories/S-{number}.md").decode().replace("Body.", "Again."))
    sync_push(a, remote, "ada")
    _pull_failing_to_record_its_first_chunk(b, remote, monkeypatch)
    again = sync_pull(b, remote)
    assert again.ok and not again.merged and not again.conflicts
    assert set(again.written) <= {"stories/S-1.md", "stories/S-2.md"}  # the second chunk is on disk already
    for number in range(1, 5):
        assert b.read(f"stories/S-{number}.md") == a.read(f"stories/S-{number}.md")


def test_a_pull_in_chunks_lists_each_folder_once_and_keeps_a_file_made_between_chunks(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folders a pull lands files in are listed once a pull, not once a chunk (a listing of a
    folder of 100,000 files a chunk made a pull grow faster than its work); a file someone makes
    after that listing, before its chunk is written, is still not written over."""
    import os

    import agentsync.sync.incoming as incoming
    from agentsync.sync.plan import Planner

    a, b, remote = clones
    for number in range(1, 7):
        a.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", "draft"))
    sync_push(a, remote, "ada")
    monkeypatch.setattr(incoming, "PULL_CHUNK", 2)
    stories = str(b.root / "stories")
    (b.root / "stories").mkdir()
    listings: list[str] = []
    real_listdir, real_plan = os.listdir, Planner.plan_chunk

    def counting_listdir(folder: str) -> list[str]:
        listings.append(str(folder))
        return real_listdir(folder)

    def plan_and_meanwhile_save(planner: Planner) -> object:
        if any(row.key == "story:S-5" for row in planner.plan.rows):  # the third chunk: S-5 and S-6
            b.write("stories/S-5.md", "my own notes, saved while the pull ran\n")
        return real_plan(planner)

    monkeypatch.setattr(os, "listdir", counting_listdir)
    monkeypatch.setattr(Planner, "plan_chunk", plan_and_meanwhile_save)
    report = sync_pull(b, remote)
    assert listings.count(stories) == 2, listings  # the plan's, and the writer's look for stale temp files
    assert b.read("stories/S-5.md") == b"my own notes, saved while the pull ran\n"
    assert "stories/S-5.md" not in report.written and len(report.written) == 5
    for number in (1, 2, 3, 4, 6):
        assert b.read(f"stories/S-{number}.md") == a.read(f"stories/S-{number}.md")


def test_an_edit_made_while_a_batch_waits_in_the_outbox_is_kept(
    clones: Clones,
) -> None:
    a, _b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, AnswerLost(remote.server, remote.project), "ada")
    edited = a.read("stories/S-1.md").decode().replace("Body.", "Edited while offline.")
    a.write("stories/S-1.md", edited)
    again = sync_push(a, remote, "ada")
    assert again.resent == 1
    assert again.applied == [("story:S-1", 1), ("story:S-1", 2)]  # the queued batch, then the edit on top of it
    text = a.read("stories/S-1.md").decode()
    assert "Edited while offline." in text and "version: 1" in text  # pushing writes no file
    assert "Edited while offline." in (remote.pull(0, 10).rows[0].content or "")


class Down(MemoryRemote):
    """The remote cannot be reached: a batch stays in the outbox, never sent."""

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        raise RemoteUnavailable("connection refused")


@pytest.mark.parametrize("then", ["edited", "deleted"])
def test_a_batch_that_never_went_out_sends_the_text_it_was_made_of_after_the_file_changed(
    clones: Clones, then: str
) -> None:
    """The outbox names each text by key and hash while the artifact's row holds it; the file edited
    (or deleted) and mirrored before the next push, the batch still sends what it was made of, and
    the change since goes out after it."""
    a, _b, remote = clones
    first = artifact("S-1", "One", "draft")
    a.write("stories/S-1.md", first)
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, Down(remote.server, remote.project), "ada")
    with a.mirror() as mirror:
        db = mirror.connection
        assert db.execute("SELECT key, content FROM outbox_texts").fetchall() == [("story:S-1", None)]
        assert "content" not in db.execute("SELECT changes FROM outbox").fetchone()[0]  # the text is kept once
    if then == "edited":
        a.write("stories/S-1.md", first.replace("Body.", "Edited since."))
    else:
        a.remove("stories/S-1.md")
    again = sync_push(a, remote, "ada")
    assert again.ok and again.resent == 1 and again.applied == [("story:S-1", 1), ("story:S-1", 2)]
    versions = remote.history("story:S-1", 10)  # newest first
    assert versions[-1]["content"] == first
    assert versions[0]["deleted"] is (then == "deleted")
    assert then == "deleted" or "Edited since." in versions[0]["content"]
    with a.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM outbox_texts").fetchone()[0] == 0  # gone with it


@pytest.mark.parametrize("fixed", [False, True])
def test_a_queued_batch_in_which_a_rule_added_since_finds_a_secret_is_dropped_not_sent(
    clones: Clones, fixed: bool
) -> None:
    """The remote was down when the batch was made; a rule of the team's own added since finds a
    secret in its text: the batch never goes out. The file goes out as it is now, if it passes."""
    a, _b, remote = clones
    token = "TKT-" + "0123456789abcdef" * 2
    leaking = artifact("S-1", "One", "draft").replace("Body.", f"Ticket {token}.")
    a.write("stories/S-1.md", leaking)
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, Down(remote.server, remote.project), "ada")
    rule = "outbound_scan: {patterns: {ticket_secret: 'TKT-[0-9a-f]{32}'}}\n"
    a.write("agentsync.yaml", a.read("agentsync.yaml").decode() + rule)
    if fixed:
        a.write("stories/S-1.md", leaking.replace(token, "(moved to the vault)"))
    again = sync_push(a, remote, "ada")
    assert again.resent == 0 and [(f.path, f.rule) for f in again.dropped] == [("stories/S-1.md", "ticket_secret")]
    (said,) = [line.text for line in push_lines(again) if "queued" in line.text]
    assert said.startswith("not sent: stories/S-1.md:") and token not in said  # masked
    versions = remote.history("story:S-1", 10)
    assert all(token not in (version["content"] or "") for version in versions)
    if fixed:
        assert again.ok and again.applied == [("story:S-1", 1)] and "vault" in versions[0]["content"]
    else:
        assert [f.rule for f in again.refused] == ["ticket_secret"] and versions == [] and not again.ok
    with a.mirror() as mirror:
        assert outbox.queued_count(mirror.connection) == 0


def _kept_as_before(clone: GitRepo) -> None:
    """The outbox's batch as the agentsync before kept it (its changes' fields by name, ``vars``)."""
    with clone.mirror() as mirror, mirror.transaction() as db:
        ((batch_id, changes),) = db.execute("SELECT batch_id, changes FROM outbox").fetchall()
        before = json.dumps([vars(change) for change in decode_changes(changes, outbox.texts_of(db, batch_id))])
        db.execute("UPDATE outbox SET changes = ? WHERE batch_id = ?", (before, batch_id))
        db.execute("DELETE FROM outbox_texts WHERE batch_id = ?", (batch_id,))  # its texts were in its JSON


@pytest.mark.parametrize("deleted", [False, True])
def test_a_batch_the_outbox_kept_before_the_upgrade_is_sent_as_the_remote_takes_it(
    clones: Clones, deleted: bool
) -> None:
    """A batch queued by the agentsync before (never sent: the remote was down) goes out after the
    upgrade as the remote takes it (``to_json``), not as the outbox kept it; it is not refused."""
    a, _b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    if deleted:
        sync_push(a, remote, "ada")
        a.remove("stories/S-1.md")
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, Down(remote.server, remote.project), "ada")
    _kept_as_before(a)
    again = sync_push(a, remote, "ada")
    assert again.ok and again.resent == 1 and again.applied == [("story:S-1", 2 if deleted else 1)]
    assert remote.pull(0, 10).rows[0].deleted is deleted
    with a.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


class DownFromSecondBatch(MemoryRemote):
    """The first batch goes through; then the network is gone (a connection attempt that takes a
    moment to fail). Records every batch it was asked to send."""

    def __init__(self, server: MemoryServer, project: str) -> None:
        super().__init__(server, project)
        self.asked: list[list[str]] = []

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        self.asked.append([change.id for change in changes])
        if len(self.asked) > 1:
            time.sleep(0.5)  # meanwhile the next batch is prepared and queued
            raise RemoteUnavailable("connection refused")
        return super().push(client_id, batch_id, author, changes, encoded)


def test_a_push_of_many_batches_stops_at_the_first_failure_and_the_next_push_sends_the_rest(
    clones: Clones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are sent from a thread while the next is prepared: a failure still stops the push
    there, the answer already received is applied, and nothing after the failure is tried."""
    a, _b, remote = clones
    monkeypatch.setattr("agentsync.sync.batches.BATCH_CHANGES", 2)
    for number in range(1, 8):
        a.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", "draft"))
    failing = DownFromSecondBatch(remote.server, remote.project)
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable, match="connection refused"):
        push(mirror, failing, "ada")
    failing.close()
    assert failing.asked == [["S-1", "S-2"], ["S-3", "S-4"]]  # the third batch was never tried
    assert sorted(row.id for row in remote.pull(0, 100).rows) == ["S-1", "S-2"]
    with a.mirror() as mirror:
        agreed = mirror.connection.execute("SELECT key, version FROM sync_base ORDER BY key").fetchall()
        db = mirror.connection
        rows = db.execute("SELECT batch_id, changes, attempts, last_error FROM outbox ORDER BY created_at").fetchall()
        queued = [([c.key for c in decode_changes(changes, outbox.texts_of(db, batch))], attempts, error)
                  for batch, changes, attempts, error in rows]  # fmt: skip
    assert agreed == [("story:S-1", 1), ("story:S-2", 1)]
    assert queued[0] == (["story:S-3", "story:S-4"], 1, "connection refused")
    assert queued[1:] == [(["story:S-5", "story:S-6"], 0, None)]  # prepared while the second was out, never sent
    again = sync_push(a, remote, "ada")
    assert again.ok and sorted(again.applied) == [(f"story:S-{n}", 1) for n in range(3, 8)]
    assert remote.head() == 7  # every change applied once
    with a.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


class DownFromSecondPage(MemoryRemote):
    """The first page of the feed arrives; then the network is gone."""

    calls = 0

    def pull(self, after: int, limit: int) -> Page:
        self.calls += 1
        if self.calls > 1:
            raise RemoteUnavailable("connection reset")
        return super().pull(after, limit)


def test_a_fetch_keeps_each_page_as_it_comes_and_resumes_after_a_failure(
    clones: Clones,
) -> None:
    """The next page is asked for while one is stored: a failure keeps what arrived before it."""
    a, b, remote = clones
    for number in range(1, 8):
        a.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", "draft"))
    sync_push(a, remote, "ada")
    failing = DownFromSecondPage(remote.server, remote.project)
    with b.mirror() as mirror, pytest.raises(RemoteUnavailable):
        fetch(mirror, failing, page_size=3)
    failing.close()
    first_page = remote.pull(0, 3).rows
    with b.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM remote_rows").fetchone()[0] == 3
        assert mirror.get_meta(MetaKey.REMOTE_CURSOR) == str(first_page[-1].seq)
        assert fetch(mirror, remote, page_size=3) == 4  # the rest, from where it stopped
        assert mirror.get_meta(MetaKey.REMOTE_CURSOR) == str(remote.head())
    assert len(sync_pull(b, remote).written) == 7


def test_a_new_artifact_from_the_remote_never_overwrites_a_file_already_at_its_path(
    clones: Clones,
) -> None:
    a, b, remote = clones
    a.write("stories/S-9.md", artifact("S-9", "Theirs", "draft"))
    a.write("runbooks/R-1.md", artifact("R-1", "Runbook", "draft"))  # a folder B does not have yet
    sync_push(a, remote, "ada")
    mine = artifact("S-LOCAL", "Mine, at the same path", "draft").encode()
    b.write("stories/S-9.md", mine)
    (b.root / "stories" / "S-10.md").symlink_to(b.root / "stories" / "nowhere.md")  # dangling: still there
    a.write("stories/S-10.md", artifact("S-10", "Also theirs", "draft"))
    sync_push(a, remote, "ada")
    got = sync_pull(b, remote)
    assert got.written == ["runbooks/R-1.md"]
    assert sorted(got.conflicts) == [
        ("story:S-10", "the remote's new story:S-10 would overwrite stories/S-10.md (a file agentsync has not synced); "
                 "nothing was written: move that file away (or rename its artifact), then pull again"),
        ("story:S-9", "the remote's new story:S-9 would overwrite stories/S-9.md (this clone's story:S-LOCAL); "
                "nothing was written: move that file away (or rename its artifact), then pull again"),
    ]  # fmt: skip
    assert b.read("stories/S-9.md") == mine and (b.root / "stories" / "S-10.md").is_symlink()
    again = sync_pull(b, remote)  # still taken: still a conflict, still nothing written
    assert sorted(c[0] for c in again.conflicts) == ["story:S-10", "story:S-9"] and b.read("stories/S-9.md") == mine
    (b.root / "stories" / "S-9.md").rename(b.root / "stories" / "S-LOCAL.md")
    (b.root / "stories" / "S-10.md").unlink()
    freed = sync_pull(b, remote)  # moved away: the remote's artifacts arrive
    assert sorted(freed.written) == ["stories/S-10.md", "stories/S-9.md"] and freed.ok
    assert b.read("stories/S-LOCAL.md") == mine


def test_a_new_artifact_keeps_the_version_its_file_states(clones: Clones) -> None:
    """Pushing a repository whose files already carry versions rewrites none of them."""
    a, b, remote = clones
    stated = artifact("S-1", "One").replace("version: 1\n", "version: 7\n")
    path = a.write("stories/S-1.md", stated)
    before = path.stat()
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 7)]
    after = path.stat()
    assert a.read("stories/S-1.md").decode() == stated and (after.st_mtime_ns, after.st_ino) == (
        before.st_mtime_ns,
        before.st_ino,
    )
    assert [r.version for r in remote.pull(0, 10).rows] == [7]
    a.write("stories/S-1.md", stated.replace("Body.", "Edited."))
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 8)]  # every later change is the next version
    assert a.read("stories/S-1.md").decode() == stated.replace("Body.", "Edited.")  # and the file stays
    assert sync_pull(b, remote).written == ["stories/S-1.md"]
    assert b.read("stories/S-1.md") == a.read("stories/S-1.md")  # byte for byte, status and version line too


def test_a_clone_that_never_synced_agrees_a_file_whose_version_line_is_behind(
    clones: Clones,
) -> None:
    """Both clones have the committed file at `version: 0`; A pushes it (v1) and an edit (v2) and
    checks the committed file out again. Neither that nor B's copy is an edit: B's pull agrees it
    without writing (a version line behind is no reason to touch a committed file), no conflict."""
    a, b, remote = clones
    committed = artifact("S-1", "One").replace("version: 1\n", "version: 0\n")
    for clone in (a, b):
        clone.write("stories/S-1.md", committed)
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 1)]
    stated = committed.replace("version: 0", "version: 5")  # the line alone moved: no edit to push
    a.write("stories/S-1.md", stated)
    assert sync_push(a, remote, "ada").applied == []
    got = sync_pull(b, remote)
    assert got.conflicts == [] and got.written == [] and b.read("stories/S-1.md").decode() == committed
    b.write("stories/S-1.md", committed.replace("version: 0", "version: 9"))
    assert sync_push(b, remote, "bo").applied == []  # on this side too
    b.write("stories/S-1.md", committed.replace("Body.", "Bo's own text."))  # a real edit is still one
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Ada's."))
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    assert [c[0] for c in sync_pull(b, remote).conflicts] == ["story:S-1"]


def test_a_fresh_clone_takes_edits_made_after_the_commit_using_heads_file_as_the_base(
    clones: Clones,
) -> None:
    """Both clones have the committed file; A edits it (uncommitted) and pushes. B never synced,
    so Git's HEAD is what both started from: B's untouched copy takes the edit whole, and an
    edit B made elsewhere in the file merges with it instead of conflicting."""
    import subprocess

    from tests.conftest import git_environment

    a, _, remote = clones
    committed = artifact("S-1", "One", body="First line.\n\nSecond line.\n").replace("version: 1\n", "version: 0\n")
    a.write("stories/S-1.md", committed)
    a.commit_all("story")

    def clone(name: str) -> GitRepo:
        folder = a.root.parent / name
        subprocess.run(["git", "clone", "-q", str(a.root), str(folder)], check=True, env=git_environment())
        return GitRepo(folder)

    b, c = clone("fresh-b"), clone("fresh-c")
    a.write("stories/S-1.md", committed.replace("First line.", "First line, edited by Ada."))
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 1)]
    got = sync_pull(b, remote)
    assert got.conflicts == [] and got.written == ["stories/S-1.md"] and got.merged == []
    assert b.read("stories/S-1.md") == a.read("stories/S-1.md")  # byte for byte, the version line too

    c.write("stories/S-1.md", committed.replace("Second line.", "Second line, edited by Cy."))
    got = sync_pull(c, remote)
    assert got.conflicts == [] and got.merged == ["stories/S-1.md"]
    merged = c.read("stories/S-1.md").decode()
    assert "First line, edited by Ada." in merged and "Second line, edited by Cy." in merged


@pytest.mark.parametrize("title", ["One", "'CLI: detect the remote task status'"])
def test_a_file_with_values_yaml_reserves_syncs_and_keeps_its_git_field(clones: Clones, title: str) -> None:
    """Backlog.md writes ``assignee: @name`` unquoted: such a file is mirrored, pushed and pulled, and
    the git field of a committed file is still Git's after a teammate's edit of it is pulled. With
    the field's name in a quoted title (Backlog.md's task-7.1), the guard composes the frontmatter
    to find every place that sets it, and rewrites it at its place in the text as written."""
    a, b, remote = clones
    text = f"---\nid: S-1\ntitle: {title}\nreporter: @ada\nassignee: [@ada, @bo]\nstatus: To Do\n---\n\nBody.\n"
    for clone in (a, b):
        clone.write("stories/S-1.md", text)
        clone.commit_all("story")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 1)]
    assert sync_pull(b, remote).ok
    edited = text.replace("status: To Do", "status: Done").replace("Body.", "Body, edited by Bo.")
    b.write("stories/S-1.md", edited)
    assert sync_push(b, remote, "bo").applied == [("story:S-1", 2)]
    got = sync_pull(a, remote)
    assert got.ok and got.written == ["stories/S-1.md"]
    assert a.read("stories/S-1.md").decode() == edited.replace("status: Done", "status: To Do")  # Git's status
    with a.mirror() as mirror:
        assert mirror.find("S-1").status == "To Do" and mirror.problems() == []


def test_a_file_that_sets_its_git_field_twice_as_committed_is_pulled_as_written(clones: Clones) -> None:
    """The agent CLI's runbooks may quote a story whole, its own ``## State`` inside a code fence.
    Committed so, both places' values came from Git: the file is pulled exactly as the remote has
    it (the mirror reads the first), neither rewritten (a clean work tree would show a change) nor
    refused. Found pulling jhcook/agentic-dev (3 of its runbooks)."""
    a, b, remote = clones
    path = ".agent/cache/runbooks/INFRA/INFRA-9-runbook.md"
    text = ("# STORY-ID: INFRA-9: Migrate the shell\n\n## State\n\nACCEPTED\n\n## Goal\n\nMove it.\n\n"
            "```markdown\n# INFRA-9: Migrate the shell\n\n## State\n\nCOMMITTED\n```\n")  # fmt: skip
    for clone in (a, b):
        clone.write(path, text)
        clone.commit_all("runbook")
    assert sync_push(a, remote, "ada").applied == [("runbook:INFRA-9", 1)]
    first = sync_pull(b, remote)
    assert first.ok and first.written == [] and first.overrides == []
    assert b.git("status", "--porcelain").stdout.strip() == ""
    edited = text.replace("Move it.", "Move it, edited by Ada.")
    a.write(path, edited)
    sync_push(a, remote, "ada")
    second = sync_pull(b, remote)
    assert second.ok and second.written == [path] and second.overrides == []
    assert b.read(path).decode() == edited


def test_a_pull_that_moves_or_deletes_a_folders_last_files_removes_the_folder(clones: Clones) -> None:
    """As git checkout does: a folder per record left empty (a spec, a change) would still list as
    one in its tool. A folder that keeps any other file stays, and so does each glob's own folder."""
    a, b, remote = clones
    for path in ("stories/login/S-1.md", "stories/login/S-2.md", "stories/export/S-3.md", "plans/P-1.md"):
        a.write(path, artifact(path.rpartition("/")[2].removesuffix(".md")))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    b.write("stories/export/notes.txt", "Bo's notes, no artifact\n")
    (a.root / "stories/archive/login").mkdir(parents=True)
    for name in ("S-1.md", "S-2.md"):
        (a.root / "stories/login" / name).rename(a.root / "stories/archive/login" / name)
    (a.root / "stories/login").rmdir()
    for path in ("stories/export/S-3.md", "plans/P-1.md"):
        a.remove(path)
    assert len(sync_push(a, remote, "ada").applied) == 4
    got = sync_pull(b, remote)
    assert sorted(got.deleted) == ["plans/P-1.md", "stories/export/S-3.md"]
    assert (b.root / "stories/archive/login/S-1.md").exists() and not (b.root / "stories/login").exists()
    assert (b.root / "stories/export/notes.txt").exists()  # Bo's file keeps its folder
    assert (b.root / "plans").is_dir()  # the plan type's own folder stays, empty


OPENSPEC_TYPES = """version: 1
types:
  proposal:
    id_prefix: SPEC
    id_from: path
    globs: [openspec/changes/*/proposal.md, openspec/changes/archive/*/proposal.md]
"""


def test_an_archived_changes_own_metadata_follows_it_and_its_old_folder_goes(clones: Clones) -> None:
    """OpenSpec's archive moves the change's folder; its records arrive under new ids in
    archive/DATE-NAME/, and the .openspec.yaml left in the old folder follows them (staged, as the
    records are, so that `git pull` of the teammate's commit meets the same files)."""
    a, b, remote = clones
    for clone in (a, b):
        clone.write("agentsync.yaml", OPENSPEC_TYPES)
        clone.write("openspec/changes/add-x/.openspec.yaml", "schema: spec-driven\n")
    a.write("openspec/changes/add-x/proposal.md", "## Why\n\nx\n")
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    (a.root / "openspec/changes/archive").mkdir()
    (a.root / "openspec/changes/add-x").rename(a.root / "openspec/changes/archive/2026-01-01-add-x")
    sync_push(a, remote, "ada")
    got = sync_pull(b, remote)
    assert got.written == ["openspec/changes/archive/2026-01-01-add-x/proposal.md"], got
    assert b.read("openspec/changes/archive/2026-01-01-add-x/.openspec.yaml") == b"schema: spec-driven\n"
    assert not (b.root / "openspec/changes/add-x").exists() and (b.root / "openspec/changes").is_dir()
    assert "A  openspec/changes/archive/2026-01-01-add-x/.openspec.yaml" in b.git("status", "--porcelain").stdout


def test_emptied_folders_go_only_once_every_chunk_is_written(clones: Clones, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk that only deletes a folder's last file is recorded while the writer writes the next
    chunk into that folder (a pull of over PULL_CHUNK rows): the folder is not removed under it."""
    import threading

    from agentsync import fsutil
    from agentsync.sync import incoming

    a, b, remote = clones
    a.write("stories/x/S-1.md", artifact("S-1"))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.remove("stories/x/S-1.md")
    sync_push(a, remote, "ada")
    a.write("stories/x/S-2.md", artifact("S-2"))
    sync_push(a, remote, "ada")
    staged = fsutil._stage

    def slow_writer(path: Any, data: bytes, **options: Any) -> str:
        if threading.current_thread().name.startswith("agentsync-pull-writer"):
            time.sleep(0.3)  # between making the folder and opening the temp file in it
        return staged(path, data, **options)

    monkeypatch.setattr(incoming, "PULL_CHUNK", 1)
    monkeypatch.setattr(fsutil, "_stage", slow_writer)
    got = sync_pull(b, remote)
    assert got.ok and got.deleted == ["stories/x/S-1.md"] and got.written == ["stories/x/S-2.md"], got
    assert b.read("stories/x/S-2.md") == a.read("stories/x/S-2.md")


def test_a_deleted_changes_metadata_stays_where_no_record_of_it_arrived(clones: Clones) -> None:
    """A change deleted (abandoned) in the push that edits the capability of its name: its
    .openspec.yaml does not follow the capability's spec into openspec/specs/NAME/."""
    a, b, remote = clones
    types = (
        OPENSPEC_TYPES
        + "  capability:\n    id_prefix: SPEC\n    id_from: path\n    globs: [openspec/specs/*/spec.md]\n"
    )
    for clone in (a, b):
        clone.write("agentsync.yaml", types)
        clone.write("openspec/changes/auth/.openspec.yaml", "schema: spec-driven\n")
    a.write("openspec/changes/auth/proposal.md", "## Why\n")
    a.write("openspec/specs/auth/spec.md", "# auth\n")
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.remove("openspec/changes/auth/proposal.md")
    a.write("openspec/specs/auth/spec.md", "# auth\n\nedited\n")
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    assert b.read("openspec/changes/auth/.openspec.yaml") == b"schema: spec-driven\n"
    assert not (b.root / "openspec/specs/auth/.openspec.yaml").exists()


def test_a_documents_own_version_line_is_merged_as_a_field_never_written_over(clones: Clones) -> None:
    """`version: '1.0'` (BMAD's project context) is the document's own: a pull that merges keeps it,
    and an edit of that line alone is an edit like any other."""
    a, b, remote = clones
    text = "---\nid: S-1\ntitle: Context\nversion: '1.0'\n---\n\n# Context\n\nOne.\n\nTwo.\n"
    a.write("stories/S-1.md", text)
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.write("stories/S-1.md", text.replace("One.", "One, by Ada."))
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    b.write("stories/S-1.md", text.replace("Two.", "Two, by Bo."))
    got = sync_pull(b, remote)
    merged = b.read("stories/S-1.md").decode()
    assert got.merged == ["stories/S-1.md"] and "One, by Ada." in merged and "Two, by Bo." in merged
    assert "version: '1.0'\n" in merged and "version: 2" not in merged
    assert [key for key, _ in sync_push(b, remote, "bo").applied] == ["story:S-1"]  # the merge goes up
    assert sync_push(b, remote, "bo").applied == []
    b.write("stories/S-1.md", merged.replace("version: '1.0'", "version: '1.1'"))
    assert [key for key, _ in sync_push(b, remote, "bo").applied] == ["story:S-1"]  # not a version-only change
    sync_pull(a, remote)
    assert "version: '1.1'\n" in a.read("stories/S-1.md").decode()


def test_a_pull_that_applies_what_an_earlier_one_fetched_says_so() -> None:
    """After a pull cut short, the next fetches nothing new and writes the rest: 'pulled 0 change(s): 1000 written'."""
    rest = PullReport(fetched=0, written=["stories/S-1.md", "stories/S-2.md"])
    assert pull_summary(rest) == "applied changes fetched earlier: 2 written, 0 merged, 0 deleted, 0 conflict(s)"
    assert pull_summary(PullReport(fetched=0)).startswith("pulled 0 change(s): 0 written")
    assert pull_summary(PullReport(fetched=3, written=["a.md"])).startswith("pulled 3 change(s): 1 written")
