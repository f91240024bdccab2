"""HEAD and the branch asked early, in one process (gitcli.EarlyHead), answer as the ordinary calls do."""

from __future__ import annotations

import pytest

from agentsync.gitcli import EarlyHead, GitCommandLine
from agentsync.gitrepo import clean_environment
from tests.conftest import GitRepo, artifact


def _both_ways(repo: GitRepo) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None]]:
    early = GitCommandLine(repo.root)
    early.ask_head_early()
    plain = GitCommandLine(repo.root)
    return (early.head_commit(), early.branch()), (plain.head_commit(), plain.branch())


def test_on_a_branch(git_repo: GitRepo) -> None:
    git_repo.write("plans/a.md", artifact("P-1"))
    git_repo.commit_all("one")
    early = EarlyHead.start(git_repo.root, clean_environment())
    assert early is not None and early.answer() == (git_repo.head(), "main")
    quick, plain = _both_ways(git_repo)
    assert quick == plain == (git_repo.head(), "main")


@pytest.mark.parametrize("branch", ["feature/x", "main"])
def test_detached_and_ambiguous(git_repo: GitRepo, branch: str) -> None:
    git_repo.write("plans/a.md", artifact("P-1"))
    git_repo.commit_all("one")
    git_repo.git("checkout", "-q", "-B", branch)
    git_repo.git("tag", branch)  # a tag of the same name: both ways say heads/NAME
    quick, plain = _both_ways(git_repo)
    assert quick == plain and quick[1] == f"heads/{branch}"
    git_repo.git("checkout", "-q", "--detach")
    quick, plain = _both_ways(git_repo)
    assert quick == plain == (git_repo.head(), None)


def test_unborn_branch_and_no_repository(git_repo: GitRepo, tmp_path_factory: pytest.TempPathFactory) -> None:
    early = EarlyHead.start(git_repo.root, clean_environment())
    assert early is not None and early.answer() is None  # the ordinary calls then say what HEAD is
    quick, plain = _both_ways(git_repo)
    assert quick == plain == (None, "main")
    outside = tmp_path_factory.mktemp("plain-folder")
    early = EarlyHead.start(outside, clean_environment())
    assert early is not None and early.answer() is None
