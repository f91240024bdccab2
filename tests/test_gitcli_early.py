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


def test_a_status_started_with_sigchld_ignored_answers_the_ordinary_way(git_repo: GitRepo) -> None:
    """A parent that ignores SIGCHLD passes that on across exec: the early process's exit status
    cannot be read (ECHILD), so the ordinary calls answer instead, as for any other failure."""
    import subprocess
    import sys

    git_repo.write("plans/a.md", artifact("P-1"))
    git_repo.commit_all("one")
    assert subprocess.run([sys.executable, "-m", "agentsync", "-C", str(git_repo.root), "init"],
                          capture_output=True).returncode == 0  # fmt: skip
    ignoring = (
        "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.executable, sys.argv)"
    )
    done = subprocess.run([sys.executable, "-c", ignoring, "-m", "agentsync", "-C", str(git_repo.root), "status"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"On branch main at {git_repo.head()[:10]}"), done.stdout


def test_an_early_process_whose_answer_is_not_taken_is_reaped_on_close(git_repo: GitRepo) -> None:
    """Something failing between the early start and the answer (the mirror cannot be opened) must
    not leave a zombie and an open pipe behind in a long-lived process."""
    import os

    repo = GitCommandLine(git_repo.root)
    repo.ask_head_early()
    early = repo._early
    assert early is not None
    repo.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(early._pid, os.WNOHANG)  # reaped already
    with pytest.raises(OSError):
        os.fstat(early._output)  # its pipe closed
