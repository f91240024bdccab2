"""Files Git put back (``git stash``, ``checkout``, ``reset``) are no edit: a push holds them back and a
pull leaves them, so that a stash in one clone never undoes a teammate's uncommitted work in theirs.
Real clones of one bare repository, the native hooks and the default `local` remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync.sync.restored import is_put_back
from tests.conftest import GitRepo, artifact
from tests.test_cli import run
from tests.test_team_workflow import ok, team

PLAN, NEW = "stories/S-1.md", "stories/S-2.md"


@pytest.mark.parametrize(
    ("head_then", "file_hash", "head_now", "indexed", "expected"),
    [
        ("h", "h", "h", False, True),  # back at HEAD's text, which HEAD still has: a stash, checkout or reset
        ("h", "h", "e", False, False),  # HEAD moved on: the file is an old text on purpose
        ("h", "e", "e", False, False),  # an edit, committed: HEAD has the edit
        (None, "h", "h", False, False),  # agreed before HEAD's text was known: never taken for a stash
        ("h", "h", None, False, False),  # HEAD's blob did not parse: unknown
        ("", None, "", False, True),  # a delivered new file gone with its staged copy (stash, reset --hard)
        ("", None, "", True, False),  # a plain delete: the staged copy stays
        ("", None, "h", False, False),  # HEAD has the file now: the deletion is of a committed file
        ("h", None, "h", False, False),  # a committed file deleted: an edit
    ],
)
def test_is_put_back(head_then: str | None, file_hash: str | None, head_now: str | None, indexed: bool,
                     expected: bool) -> None:  # fmt: skip
    assert is_put_back(head_then, file_hash, head_now, indexed=indexed) is expected


def _shared(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """Ada has S-1 committed and edited (not committed) and a new S-2; Bo pulled both."""
    a, b = team(tmp_path, "ada", "bo")
    a.write(PLAN, artifact("S-1", "One").replace("version: 1\n", ""))
    a.commit_all("one")
    a.git("push", "-q", "origin", "main")
    b.git("pull", "-q", "--ff-only")
    a.write(PLAN, a.read(PLAN).decode() + "\nAda's paragraph.\n")
    a.write(NEW, artifact("S-2", "Two").replace("version: 1\n", ""))
    ok(a, "push")
    ok(b, "pull")
    assert b.read(PLAN) == a.read(PLAN) and (b.root / NEW).exists()
    return a, b


@pytest.mark.slow
def test_a_stash_in_one_clone_undoes_nothing_in_another(tmp_path: Path) -> None:
    """Bo stashes what agentsync delivered and pushes (his pre-push hook, or a watcher): Ada's
    uncommitted paragraph was reverted in her work tree and her new story deleted from it."""
    a, b = _shared(tmp_path)
    mine = (a.read(PLAN), a.read(NEW))
    b.git("stash")
    hooked = b.git("push", "-q", "origin", "main")  # the pre-push hook pushes
    assert "held back: stories/S-1.md is back at HEAD's text" in hooked.stderr, hooked.stderr
    code, out, err = run(b, "push")
    assert code == 1 and "2 not pushed" in out, out + err
    assert "stories/S-2.md is in `git stash`, not in the work tree" in err and "`git stash pop` brings" in err, err
    ok(a, "pull")
    assert (a.read(PLAN), a.read(NEW)) == mine
    # Ada goes on; Bo's pull leaves his put-back files alone, so that his stash comes back cleanly.
    a.write(PLAN, a.read(PLAN).decode() + "More from Ada.\n")
    ok(a, "push")
    code, out, err = run(b, "pull")
    assert code == 0 and "1 waiting for a file Git put back" in out, out + err
    assert "not pulled yet: v3 of story:S-1" in err, err
    assert b"Ada's paragraph" not in b.read(PLAN)
    b.git("stash", "pop")
    assert "1 written" in ok(b, "pull")
    assert b.read(PLAN) == a.read(PLAN) and b.read(NEW) == mine[1]
    assert "nothing to push" in ok(b, "push")


@pytest.mark.slow
def test_an_edit_committed_over_a_delivered_version_is_pushed(tmp_path: Path) -> None:
    """The commit's text is HEAD's too, but HEAD did not have it when Ada's version was agreed."""
    a, b = _shared(tmp_path)
    b.write(PLAN, b.read(PLAN).decode() + "Bo's answer.\n")
    b.git("add", PLAN)
    b.git("commit", "-q", "-m", "bo")
    assert "pushed 1 artifact(s)" in ok(b, "push")
    ok(a, "pull")
    assert b"Bo's answer." in a.read(PLAN)


@pytest.mark.slow
def test_push_restored_sends_what_git_put_back(tmp_path: Path) -> None:
    a, b = _shared(tmp_path)
    b.git("checkout", "--", PLAN)  # Bo does not want Ada's paragraph
    assert "pushed 1 artifact(s)" in ok(b, "push", "--restored")
    ok(a, "pull")
    assert b"Ada's paragraph" not in a.read(PLAN) and (a.root / NEW).exists()


@pytest.mark.slow
def test_a_delete_or_a_discard_of_ones_own_is_pushed(tmp_path: Path) -> None:
    """Only a stash holds a deletion back: Bo's `rm` of the delivered story is his deletion."""
    a, b = _shared(tmp_path)
    (b.root / NEW).unlink()
    assert "pushed 1 artifact(s)" in ok(b, "push")
    ok(a, "pull")
    assert not (a.root / NEW).exists()


@pytest.mark.slow
def test_a_discarded_delivery_is_not_merged_but_takes_the_next_version(tmp_path: Path) -> None:
    """Bo's `git checkout -- FILE` threw Ada's version away in his tree only: a merge of his file with
    her next version would undo her first one (and his push would send that), so her next version is
    written as it is."""
    a, b = _shared(tmp_path)
    b.git("checkout", "--", PLAN)
    code, _out, err = run(b, "push")
    assert code == 1 and "(git checkout or reset?)" in err and "The next version pulled is written over it" in err, err
    a.write(PLAN, a.read(PLAN).decode() + "More from Ada.\n")
    ok(a, "push")
    pulled = ok(b, "pull")
    assert "1 written, 0 merged" in pulled, pulled
    assert b.read(PLAN) == a.read(PLAN)
    assert "nothing to push" in ok(b, "push")


@pytest.mark.slow
@pytest.mark.parametrize("how", [["reset", "--hard"], ["stash", "-u"], ["stash"]])
def test_a_delivered_new_file_taken_by_git_is_not_deleted_everywhere(tmp_path: Path, how: list[str]) -> None:
    """`git reset --hard` (or a stash that is dropped later) takes the staged new file too; with its
    staged copy undone first, `git stash -u` takes it as untracked: Ada's pull deleted her story."""
    a, b = _shared(tmp_path)
    if how == ["stash", "-u"]:
        b.git("restore", "--staged", NEW)
    b.git(*how)
    if how == ["stash"]:
        b.git("stash", "drop")
    code, out, err = run(b, "push")
    assert code == 1 and f"{NEW} is " in err and "not sent" in err, out + err
    ok(a, "pull")
    assert (a.root / NEW).exists()


@pytest.mark.slow
def test_an_older_stash_of_another_file_leaves_a_discard_unstashed(tmp_path: Path) -> None:
    """Every tracked file is in a stash's tree: only what a stash entry changed counts as stashed."""
    a, b = _shared(tmp_path)
    b.write("agentsync.yaml", b.read("agentsync.yaml").decode() + "# work in progress\n")
    b.git("stash", "push", "--", "agentsync.yaml")
    b.git("checkout", "--", PLAN)
    a.write(PLAN, a.read(PLAN).decode() + "More from Ada.\n")
    ok(a, "push")
    assert "1 written" in ok(b, "pull") and b.read(PLAN) == a.read(PLAN)


@pytest.mark.slow
def test_a_stash_below_a_newer_one_still_holds(tmp_path: Path) -> None:
    a, b = _shared(tmp_path)
    mine = (a.read(PLAN), a.read(NEW))
    b.git("stash")
    b.write("agentsync.yaml", b.read("agentsync.yaml").decode() + "# work in progress\n")
    b.git("stash")
    code, _out, err = run(b, "push")
    assert code == 1 and "its change in `git stash`" in err and f"{NEW} is in `git stash`" in err, err
    ok(a, "pull")
    assert (a.read(PLAN), a.read(NEW)) == mine


@pytest.mark.slow
def test_a_pulled_move_or_deletion_put_back_by_a_stash_is_not_undone(tmp_path: Path) -> None:
    """Ada moved S-1 and edited it (uncommitted); Bo pulled that, stashed: the file went back to its old
    path and text, and his push moved it back everywhere, Ada's edit gone. Then Ada deletes it: Bo's
    stash brought it back, and his push restored it everywhere."""
    a, b = _shared(tmp_path)
    (a.root / PLAN).rename(a.root / "stories/one.md")
    a.write("stories/one.md", a.read("stories/one.md").decode() + "Moved by Ada.\n")
    ok(a, "push")
    ok(b, "pull")
    b.git("stash")
    code, _out, err = run(b, "push")
    assert code == 1 and f"{PLAN} is back at HEAD's text" in err, err
    b.git("stash", "pop")
    (a.root / "stories/one.md").unlink()
    ok(a, "push")
    ok(b, "pull")
    assert not (b.root / "stories/one.md").exists()
    b.git("stash")  # a stash of the deletion: S-1.md is back at HEAD's text
    code, _out, err = run(b, "push")
    assert code == 1 and f"{PLAN} is back at HEAD's text" in err, err
    ok(a, "pull")
    assert not (a.root / PLAN).exists() and not (a.root / "stories/one.md").exists()


def test_a_stashed_move_holds_both_its_paths(tmp_path: Path) -> None:
    """Git reports a stashed `git mv` as a rename: the old path was missed, and the pull wrote over it."""
    from agentsync.gitcli import GitCommandLine
    from tests.conftest import make_git_repo

    repo = make_git_repo(tmp_path / "repo")
    repo.write("plans/a.md", "# A plan\n\n" + "Text that stays the same.\n" * 20)
    repo.commit_all("a")
    repo.git("mv", "plans/a.md", "plans/b.md")
    repo.git("stash")
    assert GitCommandLine(repo.root).stashed(["plans/a.md", "plans/b.md", "plans/c.md"]) == {"plans/a.md", "plans/b.md"}
