"""One end-to-end pull per action of ``agentsync.sync.decide`` (two real git clones, the
in-memory remote): the files and the report each action leaves. ``decided`` records every
action the pull took, so each test also proves it reached the action it is named for.

Actions covered by tests elsewhere:
- remove: test_sync.py::test_two_clones_exchange_edits_deletes_and_renames (S-2 deleted on B)
- taken: test_sync.py::test_a_new_artifact_from_the_remote_never_overwrites_a_file_already_at_its_path
- agreed: test_sync.py::test_a_pull_interrupted_after_writing_files_finishes_cleanly
- fast_forward: test_sync.py::test_two_clones_exchange_edits_deletes_and_renames, and
  test_a_clone_that_never_synced_fast_forwards_the_first_pushs_version_line
- merge, conflicting: test_sync.py::test_concurrent_edits_conflict_and_nothing_is_lost; merge,
  clean against Git's HEAD (never synced): test_a_fresh_clone_takes_edits_made_after_the_commit_...
- quarantine: test_hostile_remote.py::test_a_bad_row_is_kept_aside_and_every_later_row_still_arrives
  (rows no clone can push, written straight into PostgreSQL's tables)
- vacate also in test_hostile_remote.py::test_a_move_onto_a_clean_artifact_the_remote_deleted_goes_through
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import agentsync.sync.plan as plan_module
from agentsync.sync import pull
from agentsync.sync.decide import Action, Facts, decide
from tests.conftest import GitRepo, artifact
from tests.sync.conftest import Clones, sync_pull, sync_push

Decided = list[tuple[Action, Facts]]


@pytest.fixture
def decided(monkeypatch: pytest.MonkeyPatch) -> Iterator[Decided]:
    """Every (action, facts) the pulls of the test decided, in order."""
    seen: Decided = []

    def recording(facts: Facts, *, final_pass: bool = False) -> Action:
        action = decide(facts, final_pass=final_pass)
        seen.append((action, facts))
        return action

    monkeypatch.setattr(plan_module, "decide", recording)
    yield seen


def actions(decided: Decided) -> list[Action]:
    """The actions taken so far; the record starts again."""
    taken = [action for action, _ in decided]
    decided.clear()
    return taken


def shared(clones: Clones, text: str = artifact("S-1", "One", "draft")) -> tuple[GitRepo, GitRepo]:
    """S-1 pushed by A and pulled by B: both agree on v1."""
    a, b, remote = clones
    a.write("stories/S-1.md", text)
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 1)]
    assert sync_pull(b, remote).written == ["stories/S-1.md"]
    return a, b


def edit(repo: GitRepo, old: str, new: str, path: str = "stories/S-1.md") -> bytes:
    repo.write(path, repo.read(path).decode().replace(old, new))
    return repo.read(path)


def agreed_base(repo: GitRepo, artifact_id: str = "story:S-1") -> tuple[int, int] | None:
    """(version, deleted) of the base agreed for the artifact."""
    with repo.mirror() as mirror:
        found = mirror.connection.execute("SELECT version, deleted FROM sync_base WHERE key = ?", (artifact_id,))
        return found.fetchone()  # type: ignore[no-any-return]


def test_forget_a_deletion_of_an_artifact_this_clone_never_had(clones: Clones, decided: Decided) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    sync_push(a, remote, "ada")
    a.remove("stories/S-1.md")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    actions(decided)
    got = sync_pull(b, remote)  # the feed holds only the tombstone
    assert actions(decided) == [Action.FORGET]
    assert got.ok and got.fetched == 1 and (got.written, got.deleted, got.restored) == ([], [], [])
    assert not (b.root / "stories/S-1.md").exists()
    assert agreed_base(b) == (2, 1)  # only the base is recorded: a deletion at v2
    assert sync_push(b, remote, "bo").applied == []


def test_keep_an_edit_of_an_artifact_the_remote_deleted(
    clones: Clones, decided: Decided, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = shared(clones)
    remote = clones[2]
    mine = edit(b, "Body.", "Bo's edit.")
    a.remove("stories/S-1.md")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    actions(decided)
    got = sync_pull(b, remote)
    assert actions(decided) == [Action.KEEP_EDIT]
    assert got.ok and b.read("stories/S-1.md") == mine and got.deleted == [] and got.written == []
    assert got.restored == [
        (
            "story:S-1",
            "deleted on the remote (v2 by ada) but edited here: kept, and restored on the remote by the next push",
        )
    ]
    logged = [(r.name, r.levelname, r.getMessage()) for r in caplog.records if r.name == "agentsync.sync"]
    assert logged == [
        ("agentsync.sync", "WARNING", f"restored story:S-1: {got.restored[0][1]}")
    ]  # the pull logs it itself
    assert agreed_base(b) == (2, 1)
    assert sync_push(b, remote, "bo").applied == [("story:S-1", 3)]  # the edit restores it on the remote
    (row,) = remote.pull(0, 10).rows
    assert not row.deleted and "Bo's edit." in (row.content or "")


def test_restore_a_file_deleted_here_and_changed_there(clones: Clones, decided: Decided) -> None:
    a, b = shared(clones)
    remote = clones[2]
    b.remove("stories/S-1.md")
    edit(a, "Body.", "Ada's edit.")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    actions(decided)
    got = sync_pull(b, remote)
    assert actions(decided) == [Action.RESTORE]
    assert (
        got.restored
        == [("story:S-1", "deleted here but changed on the remote (v2 by ada): restored at stories/S-1.md")]
        and got.written == ["stories/S-1.md"]
        and got.ok
    )
    assert b.read("stories/S-1.md") == a.read("stories/S-1.md")  # byte for byte: B's Git has no record of it
    assert agreed_base(b) == (2, 0)
    assert sync_push(b, remote, "bo").applied == []  # the deletion lost to the change: nothing to send


def test_skip_an_artifact_that_waits_in_a_conflict(clones: Clones, decided: Decided) -> None:
    a, b = shared(clones)
    remote = clones[2]
    edit(a, "Body.", "Ada's body.")
    sync_push(a, remote, "ada")
    edit(b, "Body.", "Bo's body.")
    assert [c[0] for c in sync_pull(b, remote).conflicts] == ["story:S-1"]  # a merge conflict, marked in the file
    marked = b.read("stories/S-1.md")
    edit(a, "Ada's body.", "Ada's second body.")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 3)]
    actions(decided)
    got = sync_pull(b, remote)
    assert actions(decided) == [Action.SKIP]
    assert got.fetched == 1 and (got.written, got.merged, got.conflicts, got.deleted) == ([], [], [], [])
    assert b.read("stories/S-1.md") == marked  # nothing new lands until `resolve`
    with b.mirror() as mirror:
        open_conflicts = mirror.connection.execute("SELECT key, kind, remote_version FROM conflicts").fetchall()
    assert open_conflicts == [("story:S-1", "merge", 2)] and agreed_base(b) == (1, 0)


def test_defer_a_file_saved_since_the_mirror_last_read_it(clones: Clones, decided: Decided) -> None:
    """A pull that does not scan first (the watcher's) finds a save the mirror has not seen: it
    writes nothing over it, and the next pull merges it."""
    a, b = shared(clones, artifact("S-1", "One", "draft", body="Line one.\n\nLine two.\n"))
    remote = clones[2]
    edit(a, "Line one.", "Line one, Ada's.")
    sync_push(a, remote, "ada")
    saved = edit(b, "Line two.", "Line two, saved by Bo.")  # not scanned yet
    actions(decided)
    with b.mirror() as mirror:
        got = pull(mirror, remote, rescan=False)
    assert actions(decided) == [Action.DEFER]
    assert got.deferred == ["stories/S-1.md"] and (got.written, got.merged, got.conflicts) == ([], [], [])
    assert b.read("stories/S-1.md") == saved and agreed_base(b) == (1, 0)
    again = sync_pull(b, remote)  # nothing new to fetch; the row is still to apply
    assert actions(decided) == [Action.MERGE] and again.fetched == 0 and again.merged == ["stories/S-1.md"]
    merged = b.read("stories/S-1.md").decode()
    assert "Line one, Ada's." in merged and "Line two, saved by Bo." in merged


def test_merge_cleanly_against_the_agreed_base(clones: Clones, decided: Decided) -> None:
    a, b = shared(clones, artifact("S-1", "One", "draft", body="Line one.\n\nLine two.\n"))
    remote = clones[2]
    edit(a, "Line one.", "Line one, Ada's.")
    assert sync_push(a, remote, "ada").applied == [("story:S-1", 2)]
    edit(b, "Line two.", "Line two, Bo's.")
    actions(decided)
    got = sync_pull(b, remote)
    assert actions(decided) == [Action.MERGE]
    assert got.ok and got.merged == ["stories/S-1.md"] and (got.written, got.conflicts) == ([], [])
    merged = b.read("stories/S-1.md").decode()
    assert "Line one, Ada's." in merged and "Line two, Bo's." in merged and "version: 2\n" in merged
    assert agreed_base(b) == (2, 0)
    assert sync_push(b, remote, "bo").applied == [("story:S-1", 3)]  # the merge is a local change to send
    assert sync_pull(a, remote).written == ["stories/S-1.md"]
    assert "Line two, Bo's." in a.read("stories/S-1.md").decode()


def test_vacate_a_path_an_artifact_this_pull_removes_still_holds(clones: Clones, decided: Decided) -> None:
    """A deletes S-2 and moves S-1 onto its path: B plans S-1 before S-2's file has gone, so S-1
    waits for a second pass and lands there once S-2 is removed."""
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    a.write("stories/S-2.md", artifact("S-2", "Two", "draft"))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.remove("stories/S-2.md")
    (a.root / "stories/S-1.md").rename(a.root / "stories/S-2.md")
    assert sorted(sync_push(a, remote, "ada").applied) == [("story:S-1", 2), ("story:S-2", 2)]
    actions(decided)
    got = sync_pull(b, remote)
    assert actions(decided) == [Action.VACATE, Action.REMOVE, Action.FAST_FORWARD]
    assert got.ok and got.deleted == ["stories/S-2.md"] and got.written == ["stories/S-2.md"]
    assert not (b.root / "stories/S-1.md").exists()
    assert b.read("stories/S-2.md") == a.read("stories/S-2.md")
    with b.mirror() as mirror:
        assert mirror.find("S-1").path == "stories/S-2.md"
        assert mirror.get("story:S-2") is None
