"""`status` keeps what it found comparing the mirror's tables (``agentsync.comparison``) at the
mirror's comparison generation, and uses it only while no row those comparisons read has changed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from agentsync import comparison
from agentsync.store import heads, reports, sync_state
from agentsync.store.sync_state import Agreed
from tests.conftest import GitRepo, artifact
from tests.test_cli import run
from tests.test_status_from_indexes import edited, with_sync_state


def status_json(repo: GitRepo) -> dict[str, Any]:
    code, out, err = run(repo, "status", "--json")
    assert code == 0, err
    found: dict[str, Any] = json.loads(out)
    found.pop("watcher")
    return found


def kept(repo: GitRepo) -> dict[str, Any] | None:
    path = repo.root / ".agentsync" / comparison.NAME
    return json.loads(path.read_bytes()) if path.exists() else None


def generation(repo: GitRepo) -> int:
    with repo.mirror() as mirror:
        return reports.compare_generation(mirror)


# Each changes a row the comparisons read, as the store writes it; the generation must move with it.
CHANGES: dict[str, Callable[[sqlite3.Connection], object]] = {
    "an artifact's fields": lambda db: db.execute("UPDATE artifacts SET fields = '{}' WHERE key = 'story:S-1'"),
    "an artifact's status": lambda db: db.execute("UPDATE artifacts SET status = 'done' WHERE key = 'story:S-1'"),
    "an artifact's path": lambda db: db.execute(
        "UPDATE artifacts SET path = 'stories/x/S-1.md' WHERE key = 'story:S-1'"
    ),
    "an artifact's bytes": lambda db: db.execute("UPDATE artifacts SET hash = 'other' WHERE key = 'story:S-1'"),
    "an artifact's id": lambda db: db.execute("UPDATE artifacts SET id = 'S-100' WHERE key = 'story:S-1'"),
    "an artifact gone": lambda db: db.execute("DELETE FROM artifacts WHERE key = 'story:S-1'"),
    "HEAD's rows": lambda db: heads.replace(db, "c0ffee", [], ["stories/S-1.md"], full=False, built_for="x"),
    "an agreed row": lambda db: sync_state.upsert_agreed(db, [Agreed("story:S-1", "stories/S-1.md", 7, "h", 0, "t")]),
    "a fetched row": lambda db: sync_state.store_page(db, [("story:S-1", "p", 9, "h", 0, "bo", 2, "t", "text")]),
    "a conflict settled": lambda db: sync_state.drop_conflict(db, "story:S-6"),
    "a row no longer kept aside": lambda db: sync_state.release(db, ["story:S-8"]),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_change_to_what_the_comparisons_read_draws_a_new_generation(git_repo: GitRepo, change: str) -> None:
    with_sync_state(git_repo)
    assert run(git_repo, "status")[0] == 0  # HEAD's rows read
    with git_repo.mirror() as mirror:
        before = reports.compare_generation(mirror)
        with mirror.transaction() as db:
            CHANGES[change](db)
        assert reports.compare_generation(mirror) != before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE artifacts SET size = size + 1, mtime_ns = mtime_ns + 1",  # a scan recording a touched file's stat
        "UPDATE artifacts SET title = 'Another title'",  # not compared
        "UPDATE artifacts SET status = status, path = path, fields = fields",  # set as it was
    ],
)
def test_a_change_no_comparison_reads_keeps_the_generation(git_repo: GitRepo, statement: str) -> None:
    with_sync_state(git_repo)
    with git_repo.mirror() as mirror:
        before = reports.compare_generation(mirror)
        with mirror.transaction() as db:
            db.execute(statement)
        assert reports.compare_generation(mirror) == before


def test_status_answers_from_what_it_kept_while_the_mirror_stands_still(git_repo: GitRepo) -> None:
    """A forged answer in the kept file shows (so it is what answers); any edit brings the true one back."""
    with_sync_state(git_repo)
    first = status_json(git_repo)
    stored = kept(git_repo)
    assert stored is not None and stored["generation"] == generation(git_repo)
    assert sorted(stored["edited"]) == first["remote"]["to_push"] == ["story:S-2", "story:S-3", "story:S-4",
                                                                    "story:S-5", "story:S-9"]  # fmt: skip
    stored["edited"] = ["story:S-77"]
    (git_repo.root / ".agentsync" / comparison.NAME).write_text(json.dumps(stored), encoding="utf-8")
    assert status_json(git_repo)["remote"]["to_push"] == ["story:S-77"]
    git_repo.write("stories/S-1.md", artifact("S-1", "Story 1", "active"))
    assert status_json(git_repo)["remote"]["to_push"] == ["story:S-1", *first["remote"]["to_push"]]


def test_every_status_answers_as_one_that_kept_nothing(git_repo: GitRepo) -> None:
    """Through edits, moves, deletions, a commit and a changed sync state, each status (the second
    of each from the kept answer) says what a status with nothing kept says."""
    path = git_repo.root / ".agentsync" / comparison.NAME

    def same_either_way() -> None:
        path.unlink(missing_ok=True)
        from_scratch = status_json(git_repo)
        assert path.exists()
        assert status_json(git_repo) == from_scratch

    edited(git_repo)
    same_either_way()
    git_repo.commit_all("the edits")
    same_either_way()
    git_repo.write("stories/S-2.md", artifact("S-2", "Story 2", "done"))
    same_either_way()
    with git_repo.mirror() as mirror, mirror.transaction() as db:
        sync_state.store_page(db, [("story:S-2", "stories/S-2.md", 3, "h", 0, "bo", 1, "t", "text")])
    same_either_way()
    assert status_json(git_repo)["remote"]["diverged"] == ["story:S-2"]


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"key": 1}', b'{"key": [], "generation": "x"}'])
def test_a_kept_file_that_cannot_be_read_is_found_again(git_repo: GitRepo, content: bytes) -> None:
    with_sync_state(git_repo)
    expected = status_json(git_repo)
    (git_repo.root / ".agentsync" / comparison.NAME).write_bytes(content)
    assert status_json(git_repo) == expected


def test_a_large_answer_is_not_kept(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comparison, "KEPT_AT_MOST", 4)  # the state has 5 keys to push and 2 to pull
    with_sync_state(git_repo)
    status_json(git_repo)
    assert kept(git_repo) is None


def test_an_answer_found_while_another_process_wrote_is_not_kept(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection commits a change between the generation read and the answer: the answer may
    be of either state, so it is not kept under the generation read before."""
    with_sync_state(git_repo)
    found_then = comparison._computed

    def computed_while_another_writes(mirror: Any) -> comparison.Comparison:
        other = sqlite3.connect(mirror.config.db_path)
        with other:
            other.execute("UPDATE artifacts SET status = 'done' WHERE key = 'story:S-1'")
        other.close()
        return found_then(mirror)

    monkeypatch.setattr(comparison, "_computed", computed_while_another_writes)
    status_json(git_repo)
    assert kept(git_repo) is None


def test_a_change_of_git_fields_is_not_answered_from_the_kept_one(git_repo: GitRepo) -> None:
    git_repo.write(
        "stories/S-1.md", artifact("S-1", "One", "draft").replace("version: 1\n", "version: 1\nowner: ada\n")
    )
    git_repo.commit_all("start")
    assert run(git_repo, "init")[0] == 0
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "draft").replace("version: 1\n", "version: 1\nowner: bo\n"))
    assert status_json(git_repo)["differences"] == []  # only `status` is a git field
    config = git_repo.root / "agentsync.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "git_fields: [status, owner]\n", encoding="utf-8")
    assert [(d["field"], d["head"], d["work_tree"]) for d in status_json(git_repo)["differences"]] == [
        ("owner", "ada", "bo")]  # fmt: skip


# What the problems table says (an artifact deleted or refused, and why) is compared too, and
# a kept file of any shape is found again rather than trusted.


def fresh(repo: GitRepo) -> dict[str, Any]:
    """What a status with nothing kept says."""
    (repo.root / ".agentsync" / comparison.NAME).unlink(missing_ok=True)
    return status_json(repo)


def states(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(d["key"], d["state"], d["reason"]) for d in report["differences"]]


def committed(repo: GitRepo) -> None:
    for number in (1, 2):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}", "draft"))
    repo.commit_all("start")
    assert run(repo, "init")[0] == 0


BROKEN_YAML = "---\nid: S-1\nstatus: [draft\n---\n"
BROKEN_UTF8 = b"---\nid: S-1\nstatus: draft\n---\n\xff\xfe not UTF-8\n"


def same_as_fresh(repo: GitRepo) -> None:
    """This status (from the kept answer, if any) says what one with nothing kept says."""
    got = status_json(repo)
    assert states(got) == states(fresh(repo))


def test_a_deleted_file_written_back_unparseable_is_unmirrored(git_repo: GitRepo) -> None:
    """Only a problem is recorded (no row comes or goes): `_gone` reads the problems table to tell
    deleted from unmirrored, and no write to that table renews the generation."""
    committed(git_repo)
    git_repo.remove("stories/S-1.md")
    assert [s[:2] for s in states(fresh(git_repo))] == [("story:S-1", "deleted")]  # kept
    git_repo.write("stories/S-1.md", BROKEN_YAML)
    same_as_fresh(git_repo)  # fresh: unmirrored, with the YAML error; kept: deleted


def test_an_unmirrored_file_removed_is_deleted(git_repo: GitRepo) -> None:
    committed(git_repo)
    git_repo.remove("stories/S-1.md")
    assert run(git_repo, "status")[0] == 0  # the row goes
    git_repo.write("stories/S-1.md", BROKEN_YAML)
    assert [s[:2] for s in states(fresh(git_repo))] == [("story:S-1", "unmirrored")]  # kept
    git_repo.remove("stories/S-1.md")
    same_as_fresh(git_repo)  # fresh: deleted; kept: unmirrored


def test_an_unmirrored_files_reason_is_the_last_scans(git_repo: GitRepo) -> None:
    committed(git_repo)
    git_repo.remove("stories/S-1.md")
    assert run(git_repo, "status")[0] == 0
    git_repo.write("stories/S-1.md", BROKEN_YAML)
    assert "YAML" in (states(fresh(git_repo))[0][2] or "")  # kept
    git_repo.write("stories/S-1.md", BROKEN_UTF8)
    git_repo.touch_later("stories/S-1.md")
    same_as_fresh(git_repo)  # fresh: invalid UTF-8; kept: the YAML error


def test_a_kept_file_nested_too_deep_is_found_again(git_repo: GitRepo) -> None:
    committed(git_repo)
    expected = status_json(git_repo)
    (git_repo.root / ".agentsync" / comparison.NAME).write_bytes(b"[" * 100_000)
    assert status_json(git_repo) == expected


def test_a_kept_answer_of_the_wrong_types_is_found_again(git_repo: GitRepo) -> None:
    """Keyed and at the mirror's generation, but not of the shapes the report takes for granted."""
    with_sync_state(git_repo)
    git_repo.write("stories/S-1.md", artifact("S-1", "Story 1", "active"))  # a git-field difference
    expected = status_json(git_repo)
    path = git_repo.root / ".agentsync" / comparison.NAME
    good = json.loads(path.read_bytes())
    assert good["differences"] and good["edited"]
    for field, value in (("edited", [1, "story:S-2"]), ("differences", [{**good["differences"][0], "key": 7}])):
        path.write_text(json.dumps({**good, field: value}), encoding="utf-8")
        assert status_json(git_repo) == expected, field
