"""``status_report`` asks Git through its command line: HEAD and the branch, on a branch, detached
and before the first commit, with no pygit2 loaded."""

from __future__ import annotations

import subprocess
import sys

from agentsync.repostatus import status_report
from tests.conftest import GitRepo, artifact


def test_head_and_branch_on_a_branch_and_detached(git_repo: GitRepo) -> None:
    git_repo.write("stories/a.md", artifact("S-1"))
    git_repo.commit_all("one")
    report = status_report(git_repo.config())
    assert (report.head, report.branch, report.artifacts) == (git_repo.head(), "main", 1)
    git_repo.git("checkout", "-q", "--detach")
    report = status_report(git_repo.config())
    assert (report.head, report.branch) == (git_repo.head(), None)


def test_before_the_first_commit_there_is_no_head_and_no_branch(git_repo: GitRepo) -> None:
    git_repo.write("stories/a.md", artifact("S-1"))  # main has no commit yet
    report = status_report(git_repo.config())
    assert (report.head, report.branch) == (None, None)


def test_status_loads_no_pygit2(git_repo: GitRepo) -> None:
    git_repo.write("stories/a.md", artifact("S-1"))
    git_repo.commit_all("one")
    probe = (
        "import sys; from pathlib import Path; from agentsync import config; from agentsync.repostatus import "
        "status_report; status_report(config.load(Path(sys.argv[1]))); print('pygit2' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(git_repo.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
