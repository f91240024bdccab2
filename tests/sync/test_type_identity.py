"""Identity is (type, id): a plan and a story that share an id (the agent CLI's layout: INFRA-015 is
both) are two artifacts in the mirror, on the remote (memory and PostgreSQL), in locks, conflicts,
resolve and history; an id alone names one where it is unambiguous, and ``TYPE:ID`` selects one."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync.errors import AmbiguousReferenceError
from agentsync.remotes.base import Remote
from agentsync.resolve import conflicts, resolve
from agentsync.scanner import scan
from agentsync.sync.leases import artifact_key, lock_artifact, locked_key
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.sync.conftest import Clones, sync_pull, sync_push

PLAN, STORY = "plans/INFRA-015.md", "stories/INFRA-015.md"
AMBIGUOUS = r"'INFRA-015' names 2 artifacts: plan:INFRA-015 and story:INFRA-015; name one as TYPE:ID"


def write_both(repo: GitRepo) -> None:
    repo.write(PLAN, artifact("INFRA-015", "The plan"))
    repo.write(STORY, artifact("INFRA-015", "The story"))


def test_two_types_share_an_id_through_mirror_push_pull_and_history(
    both_clones: tuple[GitRepo, GitRepo, Remote],
) -> None:
    a, b, remote = both_clones
    write_both(a)
    with a.mirror() as mirror:
        assert scan(mirror).problems == []
        assert sorted(row.key for row in mirror.list_artifacts()) == ["plan:INFRA-015", "story:INFRA-015"]
    assert sorted(sync_push(a, remote, "ada").applied) == [("plan:INFRA-015", 1), ("story:INFRA-015", 1)]
    got = sync_pull(b, remote)
    assert sorted(got.written) == [PLAN, STORY] and got.ok
    assert b"The plan" in b.read(PLAN) and b"The story" in b.read(STORY)
    # An edit of the story is the story's alone: the plan of the same id stays as it was.
    a.write(STORY, a.read(STORY).decode().replace("Body.", "Edited."))
    assert sync_push(a, remote, "ada").applied == [("story:INFRA-015", 2)]
    assert sync_pull(b, remote).written == [STORY]
    assert b"Edited." in b.read(STORY) and b"Edited." not in b.read(PLAN)
    assert [h["version"] for h in remote.history("story:INFRA-015", 10)] == [2, 1]
    assert [h["version"] for h in remote.history("plan:INFRA-015", 10)] == [1]
    assert {h["artifact_type"] for h in remote.history("story:INFRA-015", 10)} == {"story"}
    # Deleting one of them deletes that one only.
    (b.root / PLAN).unlink()
    assert sync_push(b, remote, "bo").applied == [("plan:INFRA-015", 2)]
    assert sync_pull(a, remote).deleted == [PLAN] and (a.root / STORY).exists()


def test_locks_conflicts_resolve_and_log_name_one_type(clones: Clones) -> None:
    a, b, remote = clones
    write_both(a)
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    with a.mirror() as mirror:
        with pytest.raises(AmbiguousReferenceError, match=AMBIGUOUS):
            lock_artifact(mirror, remote, "INFRA-015", "ada", 600)
        key, taken = lock_artifact(mirror, remote, "story:INFRA-015", "ada", 600)
        assert (key, taken.result) == ("story:INFRA-015", "locked")
        with pytest.raises(AmbiguousReferenceError, match=AMBIGUOUS):
            artifact_key(mirror, remote, "INFRA-015")  # log asks the same
        assert artifact_key(mirror, remote, PLAN) == "plan:INFRA-015"  # a path names one
        assert locked_key(mirror, remote, "INFRA-015") == "story:INFRA-015"  # only the story is locked
    # The lease holds the story only: Bo's edit of the plan goes up, of the story is refused.
    for path in (PLAN, STORY):
        b.write(path, b.read(path).decode().replace("title: The", "title: Bo's"))
    sent = sync_push(b, remote, "bo")
    assert sent.applied == [("plan:INFRA-015", 2)] and [x.key for x in sent.locked] == ["story:INFRA-015"]
    # Ada's own edit of the plan's title meets Bo's: one conflict, on the plan, resolved by its id.
    a.write(PLAN, a.read(PLAN).decode().replace("title: The plan", "title: Ada's plan"))
    assert [x.key for x in sync_push(a, remote, "ada").conflicts] == ["plan:INFRA-015"]
    assert [key for key, _why in sync_pull(a, remote).conflicts] == ["plan:INFRA-015"]  # both changed the title
    with a.mirror() as mirror:
        assert [c.key for c in conflicts(mirror)] == ["plan:INFRA-015"]
        assert resolve(mirror, "INFRA-015", "ours").key == "plan:INFRA-015"  # unambiguous among conflicts
        assert conflicts(mirror) == []
    pushed = sync_push(a, remote, "ada")
    assert pushed.applied == [("plan:INFRA-015", 3)], (pushed, a.read(PLAN))
    assert "Ada's plan" in remote.history("plan:INFRA-015", 1)[0]["content"]
    assert [h["version"] for h in remote.history("story:INFRA-015", 10)] == [1]


def test_the_cli_lists_the_candidates_and_type_id_selects_one(
    tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli import run

    repo = make_git_repo(tmp_path / "a")
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + "project: team\n")
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", remote_url)  # the remote is a real PostgreSQL
    write_both(repo)
    assert run(repo, "mirror")[0] == 0
    for command in (["show", "INFRA-015"], ["lock", "INFRA-015"], ["log", "INFRA-015"], ["diff", "INFRA-015"]):
        assert run(repo, "push")[0] == 0
        code, out, err = run(repo, *command)
        assert code != 0 and out == "" and AMBIGUOUS.replace("\\", "") in err, (command, err)
        assert len(err.strip().splitlines()) == 1
    code, out, _ = run(repo, "show", "story:INFRA-015")
    assert code == 0 and out.startswith("story:INFRA-015") and "The story" in out
    code, out, _ = run(repo, "show", PLAN)
    assert code == 0 and out.startswith("plan:INFRA-015") and "The plan" in out
    code, out, err = run(repo, "lock", "story:INFRA-015")
    assert code == 0 and out.startswith("locked story:INFRA-015 until"), err
    code, out, _ = run(repo, "locks")
    assert code == 0 and out.startswith("story:INFRA-015")
    code, out, _ = run(repo, "unlock", "INFRA-015")  # the one leased: unambiguous
    assert code == 0 and out.strip() == "unlocked story:INFRA-015"
    code, out, _ = run(repo, "log", "plan:INFRA-015")
    assert code == 0 and out.startswith("v1 ") and PLAN in out
