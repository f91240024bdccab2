"""The real pre-commit framework runs this project's .pre-commit-hooks.yaml in a fresh repository.

The hook repository is a snapshot of this project's own folder (a local git repository, no
network for the project itself); pre-commit builds its environment from it with pip, which
fetches the dependencies from the package index, or from ``PIP_FIND_LINKS`` when that is set.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GitRepo, artifact, git_environment, make_git_repo

PROJECT = Path(__file__).resolve().parent.parent
SNAPSHOT = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "agentsync", "hooks", "sql", "templates"]

pytestmark = pytest.mark.slow


def snapshot_project(destination: Path) -> str:
    """Copy the project's files into a git repository of their own; return its commit."""
    destination.mkdir()
    for name in SNAPSHOT:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, destination / name)
    snapshot = GitRepo(destination)
    snapshot.git("init", "-q", "-b", "main")
    snapshot.commit_all("snapshot")
    return snapshot.head()


def pre_commit(repo: GitRepo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=repo.root, env=env, capture_output=True, text=True
    )


def test_framework_runs_check_mirror_and_push(tmp_path: Path) -> None:
    rev = snapshot_project(tmp_path / "agentsync-hooks")
    repo = make_git_repo(tmp_path / "consumer")
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {tmp_path / 'agentsync-hooks'}\n    rev: {rev}\n    hooks:\n"
        "      - id: agentsync-check\n      - id: agentsync-mirror\n      - id: agentsync-push\n",
    )
    repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    env = git_environment(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    env.pop("VIRTUAL_ENV", None)
    stages = ["pre-commit", "post-commit", "post-merge", "post-checkout", "post-rewrite", "pre-push"]
    installed = pre_commit(repo, env, "install", "--install-hooks", *[a for s in stages for a in ("-t", s)])
    assert installed.returncode == 0, installed.stdout + installed.stderr

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo.root, env=env, capture_output=True, text=True)

    assert git("add", "-A").returncode == 0
    first = git("commit", "-m", "first")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "agentsync check" in first.stdout + first.stderr
    mirror_db = repo.root / ".agentsync" / "agentsync.db"
    assert mirror_db.exists()  # the check built it; the post-commit mirror kept it current

    # agentsync-check blocks a duplicate id and a conflict marker.
    repo.write("stories/S-2.md", artifact("S-1", "Same id") + "<<<<<<< local\n")
    git("add", "-A")
    blocked = git("commit", "-m", "bad")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert "duplicate id 'S-1'" in output and "unresolved sync conflict marker" in output

    # agentsync-mirror follows commits and checkouts.
    repo.write("stories/S-2.md", artifact("S-2", "Two", "draft"))
    git("add", "-A")
    assert git("commit", "-m", "two").returncode == 0
    assert ids_in(repo) == {"S-1", "S-2"}
    assert git("checkout", "-q", "-b", "side").returncode == 0
    repo.remove("stories/S-2.md")
    git("add", "-A")
    assert git("commit", "-m", "drop two").returncode == 0
    assert ids_in(repo) == {"S-1"}
    assert git("checkout", "-q", "main").returncode == 0
    assert ids_in(repo) == {"S-1", "S-2"}

    # agentsync-push runs on git push.
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=env, check=True)
    pushed = git("push", "-q", str(remote), "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "agentsync push" in pushed.stdout + pushed.stderr

    # A new story committed without a version line, an unstaged edit beside it: the pre-push stage
    # modifies no file (before, it wrote version lines and pre-commit failed the push with "files
    # were modified by this hook"), and a second push sends nothing new.
    story = artifact("S-3", "Three", "draft").replace("version: 1\n", "")
    repo.write("stories/S-3.md", story)
    git("add", "stories/S-3.md")
    assert git("commit", "-q", "-m", "three").returncode == 0
    repo.write("stories/S-1.md", repo.read("stories/S-1.md").decode().replace("Body.", "Unstaged edit."))
    pushed = git("push", "-q", str(remote), "main")
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0 and "files were modified by this hook" not in output, output
    assert git("status", "--porcelain").stdout == " M stories/S-1.md\n"
    assert repo.read("stories/S-3.md").decode() == story
    again = git("push", "-q", "-f", str(remote), "main")
    assert again.returncode == 0 and "files were modified" not in again.stdout + again.stderr
    assert git("status", "--porcelain").stdout == " M stories/S-1.md\n"


def ids_in(repo: GitRepo) -> set[str]:
    import sqlite3

    connection = sqlite3.connect(repo.root / ".agentsync" / "agentsync.db")
    try:
        return {row[0] for row in connection.execute("SELECT id FROM artifacts")}
    finally:
        connection.close()
