"""The two Git readers (pygit2 for commands, git plumbing for hooks) give the same answers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentsync.errors import GitError
from agentsync.gitcli import GitCommandLine
from agentsync.gitrepo import GitRepo as Pygit2Reader
from tests.conftest import GitRepo, artifact


@pytest.fixture
def history(git_repo: GitRepo) -> tuple[GitRepo, list[str]]:
    """Commits with adds, edits, a rename, a delete, a non-ASCII name and a file outside the artifacts."""
    commits = []
    git_repo.write("stories/S-1.md", artifact("S-1"))
    git_repo.write("plans/P-1.md", artifact("P-1"))
    git_repo.commit_all("one")
    commits.append(git_repo.head())
    git_repo.write("stories/S-1.md", artifact("S-1", status="active"))
    git_repo.git("mv", "plans/P-1.md", "plans/P-1-renamed.md")
    git_repo.write("stories/Ünïcode story.md", artifact("S-2"))
    git_repo.write("README.txt", "not an artifact\n")
    git_repo.commit_all("two")
    commits.append(git_repo.head())
    git_repo.remove("stories/S-1.md")
    git_repo.commit_all("three")
    commits.append(git_repo.head())
    return git_repo, commits


def test_commits_and_diffs_agree(history: tuple[GitRepo, list[str]]) -> None:
    repo, commits = history
    pygit2_reader, plumbing = Pygit2Reader(repo.root), GitCommandLine(repo.root)
    assert pygit2_reader.head_commit() == plumbing.head_commit() == commits[-1]
    for revision in ("HEAD", "HEAD~1", "main", commits[0][:10], "no-such-branch", "0" * 40):
        assert pygit2_reader.resolve(revision) == plumbing.resolve(revision), revision
    assert pygit2_reader.parent_of(commits[0]) is None and plumbing.parent_of(commits[0]) is None
    ranges = [(None, commits[0]), (commits[0], commits[1]), (commits[1], commits[2]), (commits[0], commits[2]),
              (commits[2], commits[0]), (commits[1], None)]  # fmt: skip
    for old, new in ranges:
        assert pygit2_reader.changed_blobs(old, new) == plumbing.changed_blobs(old, new), (old, new)
    both = plumbing.changed_blobs(commits[0], commits[1])
    assert both["plans/P-1.md"] is None and both["plans/P-1-renamed.md"] is not None
    assert "stories/Ünïcode story.md" in both
    assert set(plumbing.changed_blobs(commits[1], commits[2])) == {"stories/S-1.md"}
    oid = both["stories/S-1.md"]
    assert (
        oid is not None
        and pygit2_reader.read_blob(oid) == plumbing.read_blob(oid) == artifact("S-1", status="active").encode()
    )
    trees = [sorted(r.blobs_under(commits[1], ["stories", "plans", ""])) for r in (pygit2_reader, plumbing)]
    assert trees[0] == trees[1] and len(trees[0]) >= 5


def test_index_agrees(history: tuple[GitRepo, list[str]]) -> None:
    repo, _ = history
    repo.write("stories/S-3.md", artifact("S-3"))
    repo.write("plans/P-1-renamed.md", artifact("P-1", status="done"))
    repo.git("add", "stories/S-3.md", "plans/P-1-renamed.md")
    repo.write("plans/P-1-renamed.md", artifact("P-1", status="unstaged"))
    pygit2_reader, plumbing = Pygit2Reader(repo.root), GitCommandLine(repo.root)
    assert pygit2_reader.staged_paths() == plumbing.staged_paths() == ["plans/P-1-renamed.md", "stories/S-3.md"]
    for path in ("plans/P-1-renamed.md", "stories/S-3.md", "missing.md"):
        assert pygit2_reader.staged_reader()(path) == plumbing.staged_reader()(path)
    assert b"status: done" in (plumbing.staged_reader()("plans/P-1-renamed.md") or b"")


def test_agentsync_root_in_a_subfolder(git_repo: GitRepo) -> None:
    docs = GitRepo(git_repo.root / "docs")
    docs.write("stories/S-1.md", artifact("S-1"))
    git_repo.write("stories/outside.md", artifact("X-1"))
    git_repo.commit_all("nested")
    first = git_repo.head()
    docs.write("stories/S-1.md", artifact("S-1", status="active"))
    git_repo.write("stories/outside.md", artifact("X-1", status="active"))
    git_repo.commit_all("both")
    for reader in (Pygit2Reader(docs.root), GitCommandLine(docs.root)):
        assert set(reader.changed_blobs(first, git_repo.head())) == {"stories/S-1.md"}
        assert [p for p, _ in reader.blobs_under(first, [""])] == ["stories/S-1.md"]


def test_head_and_its_parent_agree_from_no_commit_to_the_root_commit_to_the_next(git_repo: GitRepo) -> None:
    """The plumbing reader learns HEAD's parent with HEAD, in one call: the same answers at each step."""
    git_repo.write("stories/S-1.md", artifact("S-1"))
    git_repo.git("add", "-A")
    plumbing = GitCommandLine(git_repo.root)
    assert plumbing.head_commit() is None
    staged = plumbing.staged_paths()
    assert staged == Pygit2Reader(git_repo.root).staged_paths() and "stories/S-1.md" in staged
    git_repo.commit_all("root")
    root = git_repo.head()
    git_repo.write("stories/S-2.md", artifact("S-2"))
    git_repo.git("add", "-A")
    for expected_parent in (None, root):
        plumbing, pygit2_reader = GitCommandLine(git_repo.root), Pygit2Reader(git_repo.root)
        head = plumbing.head_commit()
        assert head == pygit2_reader.head_commit() == git_repo.head()
        assert head is not None and plumbing.parent_of(head) == pygit2_reader.parent_of(head) == expected_parent
        assert (
            plumbing.staged_paths()
            == pygit2_reader.staged_paths()
            == (["stories/S-2.md"] if expected_parent is None else [])
        )
        if expected_parent is None:
            git_repo.commit_all("next")


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a git work tree"):
        GitCommandLine(tmp_path).head_commit()
    with pytest.raises(GitError):
        Pygit2Reader(tmp_path)


def another_users(git_repo: GitRepo) -> None:
    """Hand the repository to another user (Git then refuses to read it: "dubious ownership")."""
    if os.geteuid() != 0:
        pytest.skip("only root can give a repository to another user")
    for folder, _dirs, files in os.walk(git_repo.root):
        for name in [*_dirs, *files, "."]:
            os.lchown(os.path.join(folder, name), 65534, 65534)


def test_git_that_cannot_read_head_is_no_empty_history(git_repo: GitRepo) -> None:
    """An unborn HEAD is None; a HEAD Git refuses to read is an error, not an empty history."""
    assert GitCommandLine(git_repo.root).head_commit() is None  # no commit yet
    git_repo.write("stories/S-1.md", artifact("S-1"))
    git_repo.commit_all("one")
    another_users(git_repo)
    with pytest.raises(GitError, match="git cannot read HEAD"):
        GitCommandLine(git_repo.root).head_commit()


def test_prefetched_staged_reads_match(history: tuple[GitRepo, list[str]]) -> None:
    repo, _ = history
    repo.write("stories/S-3.md", artifact("S-3"))
    repo.write("stories/[odd] name.md", artifact("S-4"))  # a pathspec character, taken literally
    repo.git("add", "-A")
    plumbing, pygit2_reader = GitCommandLine(repo.root), Pygit2Reader(repo.root)
    staged = plumbing.staged_paths()
    read = plumbing.staged_reader(staged)
    for path in [*staged, "plans/P-1-renamed.md", "not/there.md"]:
        assert read(path) == pygit2_reader.staged_reader()(path), path


def test_staged_reads_use_the_blobs_staged_paths_listed(history: tuple[GitRepo, list[str]]) -> None:
    """After ``staged_paths`` the check reads staged edits, deletions and an intent-to-add entry
    as pygit2 does, with no ``ls-files`` for the paths it listed (one git process less per commit)."""
    repo, _ = history
    repo.write("stories/S-3.md", artifact("S-3"))
    repo.write("plans/P-1-renamed.md", artifact("P-1", status="staged"))
    repo.git("add", "stories/S-3.md", "plans/P-1-renamed.md")
    repo.write("plans/P-1-renamed.md", artifact("P-1", status="unstaged"))
    repo.git("rm", "-q", "--cached", "stories/Ünïcode story.md")
    repo.write("stories/S-4.md", artifact("S-4"))
    repo.git("add", "--intent-to-add", "stories/S-4.md")
    plumbing, pygit2_reader = GitCommandLine(repo.root), Pygit2Reader(repo.root)
    asked: list[tuple[str, ...]] = []
    run_git = plumbing._git

    def counting(*args: str, **options: Any) -> bytes:
        asked.append(args)
        return run_git(*args, **options)

    plumbing._git = counting  # type: ignore[method-assign]
    staged = plumbing.staged_paths()
    assert staged == pygit2_reader.staged_paths()
    listed = [p for p in staged if p != "stories/S-4.md"]  # the intent-to-add entry has no blob yet
    read = plumbing.staged_reader(listed)
    assert [args[0] for args in asked] == ["diff-index", "cat-file"]
    for path in staged:
        assert read(path) == pygit2_reader.staged_reader()(path), path
    assert read("stories/Ünïcode story.md") is None
    assert b"status: staged" in (read("plans/P-1-renamed.md") or b"")
