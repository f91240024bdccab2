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


HEAVY_FOR_STATUS = ("pygit2", "psycopg", "agentsync.remotes.postgres", "agentsync.sync.both", "agentsync.watch.loop")


def test_status_loads_no_pygit2_and_asks_no_remote_unless_told(git_repo: GitRepo) -> None:
    """Status answers from the mirror: no database driver, no git library, not the sync engine nor the
    watcher's loop; asked to look at the remote, it opens the remote."""
    git_repo.write("stories/a.md", artifact("S-1"))
    git_repo.commit_all("one")
    probe = (
        "import sys; from pathlib import Path; from agentsync import config; from agentsync.repostatus import "
        "status_report; report = status_report(config.load(Path(sys.argv[1])), ask_remote=sys.argv[2] == 'ask'); "
        f"print(report.remote.asked, [name for name in {HEAVY_FOR_STATUS!r} if name in sys.modules])"
    )
    loaded = {}
    for ask in ("", "ask"):
        done = subprocess.run([sys.executable, "-c", probe, str(git_repo.root), ask], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        loaded[ask] = done.stdout.strip()
    assert loaded[""] == "False []"
    # asked: the remote is opened (a local one here; whether its server runs depends on the machine)
    assert loaded["ask"].startswith("True [") and "'agentsync.remotes.postgres'" in loaded["ask"]


def story(artifact_id: str, status: str, owner: str = "") -> str:
    return f"---\nid: {artifact_id}\ntitle: T\nstatus: {status}\n{owner}version: 1\n---\n\nBody.\n"


def test_status_compares_only_what_sqlite_finds_different_and_misses_nothing(git_repo: GitRepo) -> None:
    """The rows SQLite's JSON functions pick out are compared as Python compares values: a string
    is not a number, a mapping's key order does not matter, a renamed file is matched by its key,
    a second git field counts, and an unchanged repository reports nothing."""
    config_path = git_repo.root / "agentsync.yaml"
    config_path.write_text(config_path.read_text().replace("  - status\n", "  - status\n  - owner\n"))
    for name, text in {
        "S-1": story("S-1", "draft"),
        "S-2": story("S-2", "1"),
        "S-3": story("S-3", "draft"),
        "S-4": story("S-4", "draft", "owner: ada\n"),
        "S-5": story("S-5", "draft"),
        "S-7": story("S-7", "draft", "owner: {a: 1, b: 2}\n"),
    }.items():
        git_repo.write(f"stories/{name}.md", text)
    git_repo.commit_all("start")
    assert status_report(git_repo.config()).differences == []
    git_repo.write("stories/S-1.md", story("S-1", "active"))
    git_repo.write("stories/S-2.md", story("S-2", "'1'"))
    git_repo.remove("stories/S-3.md")
    git_repo.write("stories/sub/S-3b.md", story("S-3", "draft"))
    git_repo.write("stories/S-4.md", story("S-4", "draft", "owner: grace\n"))
    git_repo.remove("stories/S-5.md")
    git_repo.write("stories/S-6.md", story("S-6", "draft"))
    git_repo.write("stories/S-7.md", story("S-7", "draft", "owner: {b: 2, a: 1}\n"))
    found = {(d.id, d.field, d.state, d.head, d.work_tree) for d in status_report(git_repo.config()).differences}
    assert found == {
        ("story:S-1", "status", "changed", "draft", "active"),
        ("story:S-2", "status", "changed", 1, "1"),
        ("story:S-4", "owner", "changed", "ada", "grace"),
        ("story:S-5", "status", "deleted", "draft", None),
        ("story:S-6", "status", "new", None, "draft"),
    }
    git_repo.commit_all("all of it")
    assert status_report(git_repo.config()).differences == []
