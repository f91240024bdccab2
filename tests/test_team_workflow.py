"""A small team's workflow, end to end: a bare git remote, clones made with `git clone`, `agentsync
init` and the native hooks in each, and the default `local` remote (the embedded PostgreSQL).
Pushes never dirty the tree, `git pull` never collides with what agentsync delivered (fast-forward,
merge and rebase), new ids never clash, and two repositories of one name never share rows."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import GitRepo, artifact, git_environment
from tests.test_cli import run

pytestmark = pytest.mark.slow


def git(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=where, env=git_environment(), capture_output=True, text=True)


def ok(where: GitRepo, *args: str) -> str:
    code, out, err = run(where, *args)
    assert code == 0, f"agentsync {' '.join(args)}: {out}{err}"
    return out + err


def porcelain(clone: GitRepo) -> str:
    return clone.git("status", "--porcelain").stdout


def team(tmp_path: Path, *names: str, origin: str = "team.git") -> list[GitRepo]:
    """Clones of one bare repository; the first ran `init` and committed agentsync.yaml, each has
    the hooks installed. ``origin`` is the bare repository's path under ``tmp_path``."""
    bare = tmp_path / origin
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True, env=git_environment())
    clones: list[GitRepo] = []
    for name in names:
        folder = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(bare), str(folder)], check=True, env=git_environment())
        clone = GitRepo(folder)
        clone.git("config", "user.email", f"{name}@example.com")
        clone.git("config", "user.name", name)
        if not clones:
            ok(clone, "init")
            clone.git("add", "agentsync.yaml")
            clone.git("commit", "-q", "-m", "agentsync")
            clone.git("push", "-q", "origin", "main")
        else:
            clone.git("pull", "-q", "origin", "main")
            ok(clone, "init")
        ok(clone, "hooks", "install")
        clones.append(clone)
    return clones


def test_pushes_and_pulls_of_unchanged_artifacts_leave_every_tree_clean(tmp_path: Path) -> None:
    a, b = team(tmp_path, "ada", "bo")
    texts = {f"stories/S-{n}.md": artifact(f"S-{n}", f"Story {n}").replace("version: 1\n", "") for n in (1, 2, 3)}
    for path, text in texts.items():
        a.write(path, text)
    a.commit_all("stories")
    pushed = a.git("push", "-q", "origin", "main")  # the pre-push hook sends them to the remote
    assert "pushed 3 artifact edit(s)" in pushed.stderr + pushed.stdout
    assert porcelain(a) == "" and all(a.read(p).decode() == t for p, t in texts.items())  # no version line added
    ok(a, "push")
    ok(a, "pull")
    assert porcelain(a) == ""
    b.git("pull", "-q", "--ff-only")
    ok(b, "pull")  # the same artifacts from the remote: nothing to write
    assert porcelain(b) == ""
    # A committed edit goes out through the hook; B gets it from agentsync first, then from Git.
    a.write("stories/S-1.md", texts["stories/S-1.md"].replace("Body.", "Body, edited by Ada."))
    a.commit_all("edit")
    a.git("push", "-q", "origin", "main")
    assert porcelain(a) == ""
    ok(b, "pull")
    assert b.read("stories/S-1.md") == a.read("stories/S-1.md")
    b.git("pull", "-q", "--ff-only")  # the delivered copy equals the commit: autostash lets it through
    assert porcelain(b) == "" and b.read("stories/S-1.md") == a.read("stories/S-1.md")
    # A version line behind the remote is no edit: nothing to push, status not ahead.
    b.write("stories/S-2.md", texts["stories/S-2.md"].replace("status: DRAFT\n", "status: DRAFT\nversion: 1\n"))
    b.git("checkout", "--", "stories/S-2.md")
    assert "nothing to push" in ok(b, "push")


@pytest.mark.parametrize("mode", ["--ff-only", "--no-rebase", "--rebase"])
def test_git_pull_of_a_commit_agentsync_delivered_first_goes_through(tmp_path: Path, mode: str) -> None:
    a, b = team(tmp_path, "ada", "bo")
    story = artifact("S-9", "Delivered early", status="IN_PROGRESS")
    a.write("stories/S-9.md", story)
    ok(a, "push")  # not committed yet
    if mode != "--ff-only":  # B has a commit of its own: the pull merges or rebases
        b.write("notes.txt", "Bo's own work\n")
        b.commit_all("bo's work")
    ok(b, "pull")
    assert b.read("stories/S-9.md") == a.read("stories/S-9.md")  # the author's bytes, status included
    a.commit_all("story")
    a.git("push", "-q", "origin", "main")
    pulled = b.git("pull", "-q", "--no-edit", mode, "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert porcelain(b) == "" and b.read("stories/S-9.md") == story.encode()
    assert b.git("stash", "list").stdout == ""


def test_a_file_left_mid_merge_is_not_pushed_and_the_rest_is(tmp_path: Path) -> None:
    """Git's conflict markers (a `git pull` that stopped) went to the remote and into every clone,
    whose next commit `check` then refused."""
    a, b = team(tmp_path, "ada", "bo")
    a.write("stories/S-1.md", artifact("S-1", "One", body="<<<<<<< HEAD\nmine\n=======\nyours\n>>>>>>> 1a2b3c4\n"))
    a.write("stories/S-2.md", artifact("S-2", "Two"))
    code, out, err = run(a, "push")
    assert code == 1 and "pushed 1 artifact(s)" in out, out + err
    assert "stories/S-1.md:10: an unresolved conflict marker (<<<<<<< or >>>>>>>): not pushed" in err, err
    ok(b, "pull")
    assert (b.root / "stories/S-2.md").exists() and not (b.root / "stories/S-1.md").exists()


def test_what_a_pull_could_not_stage_is_staged_by_the_next_one(tmp_path: Path) -> None:
    """Git's index locked while a pull writes (an editor's background git, or the pull cut short):
    its files stayed untracked for good, and the team's `git pull` of their commit stopped at them."""
    a, b = team(tmp_path, "ada", "bo")
    for n in (1, 2):
        a.write(f"stories/S-{n}.md", artifact(f"S-{n}", f"Story {n}"))
    ok(a, "push")
    lock = b.root / ".git" / "index.lock"
    lock.write_text("")
    ok(b, "pull")
    assert porcelain(b) == "?? stories/\n"  # written, not staged: Git held its index
    lock.unlink()
    assert "pulled 0 change(s)" in ok(b, "pull")  # nothing new arrives; what is due is staged
    assert porcelain(b) == "A  stories/S-1.md\nA  stories/S-2.md\n"
    a.commit_all("stories")
    a.git("push", "-q", "origin", "main")
    pulled = b.git("pull", "-q", "--ff-only", "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert porcelain(b) == ""


@pytest.mark.parametrize("mode", ["--ff-only", "--rebase"])
def test_the_authors_git_pull_goes_through_when_a_teammate_commits_the_delivered_file(
    tmp_path: Path, mode: str
) -> None:
    """The other way round: B commits the copy a pull staged for it (a plain `git commit`), and A,
    whose own file is still uncommitted, pulls that commit: its push staged the file it shared."""
    a, b = team(tmp_path, "ada", "bo")
    story = artifact("S-9", "Shared before its commit")
    a.write("stories/S-9.md", story)
    ok(a, "push")
    ok(b, "pull")
    b.git("commit", "-q", "-m", "bo commits what he has staged")
    b.git("push", "-q", "origin", "main")
    pulled = a.git("pull", "-q", "--no-edit", mode, "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert porcelain(a) == "" and a.read("stories/S-9.md") == story.encode()


def test_an_edit_of_a_delivered_file_survives_the_git_pull(tmp_path: Path) -> None:
    a, b = team(tmp_path, "ada", "bo")
    a.write("stories/S-9.md", artifact("S-9", "Delivered early"))
    ok(a, "push")
    ok(b, "pull")
    b.write("stories/S-9.md", b.read("stories/S-9.md").decode().replace("# Delivered early", "# Edited by Bo"))
    a.commit_all("story")
    a.git("push", "-q", "origin", "main")
    b.git("pull", "-q", "--ff-only", check=False)
    kept = b.read("stories/S-9.md").decode() + b.git("stash", "show", "-p", check=False).stdout
    assert "Edited by Bo" in kept  # in the file, or a recorded conflict with the stash kept


def test_two_clones_new_artifacts_are_two_artifacts(tmp_path: Path) -> None:
    a, b = team(tmp_path, "ada", "bo")
    first = ok(a, "new", "story", "Login").split()[1]
    second = ok(b, "new", "story", "Export").split()[1]
    assert first != second
    ok(a, "sync")
    ok(b, "sync")
    ok(a, "pull")
    for clone in (a, b):
        code, out, _ = run(clone, "ls", "--type", "story")
        assert code == 0 and first in out and second in out


def test_two_repositories_of_one_name_never_share_rows(tmp_path: Path) -> None:
    (alice,) = team(tmp_path / "alice", "clone", origin="git/alice/notes.git")
    (bob,) = team(tmp_path / "bob", "clone", origin="git/bob/notes.git")
    assert alice.config().project_name != bob.config().project_name
    alice.write("stories/S-1.md", artifact("S-1", "Alice's"))
    ok(alice, "push")
    ok(bob, "pull")
    assert not (bob.root / "stories/S-1.md").exists()
    _, out, _ = run(bob, "ls")
    assert "S-1" not in out


def test_a_clone_refuses_a_local_remote_whose_folder_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outside_folder: Path
) -> None:
    from agentsync.remotes import local

    (a,) = team(tmp_path, "ada")
    a.write("stories/S-1.md", artifact("S-1", "One"))
    ok(a, "push")
    # (outside pytest's folder: as root, PostgreSQL runs as another user, who must reach it)
    elsewhere = outside_folder / "postgres"
    monkeypatch.setenv("AGENTSYNC_LOCAL_REMOTE", str(elsewhere))
    try:
        code, _, err = run(a, "pull")
        assert code == 1 and "another database" in err and "agentsync remote reset" in err
        code, _, err = run(a, "push")
        assert code == 1 and "another database" in err
    finally:
        local.stop(elsewhere)
    assert os.environ["AGENTSYNC_LOCAL_REMOTE"] == str(elsewhere)
