"""The `local` remote: an embedded PostgreSQL in the user's data folder, shared by clones."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync.remotes import local
from tests.conftest import GitRepo, artifact, git_environment
from tests.test_cli import run


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data" / "postgres"
    monkeypatch.setenv("AGENTSYNC_LOCAL_REMOTE", str(folder))
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    yield folder
    if folder.exists():
        local.stop(folder)


def test_two_clones_collaborate_with_no_set_up(tmp_path: Path, data_folder: Path) -> None:
    """As a new user: `init` names the project and picks `local`; a clone of the repository
    shares both through the committed agentsync.yaml, so push and pull just work."""
    a = GitRepo(tmp_path / "app")
    a.root.mkdir()
    a.git("init", "-q", "-b", "main")
    a.git("config", "user.email", "ada@example.com")
    a.git("config", "user.name", "Ada")
    code, out, err = run(a, "init")
    assert code == 0, err
    config = a.read("agentsync.yaml").decode()
    # no origin: the folder's name and a random tail (no other repository called app shares it)
    assert "remote: local\n" in config and re.search(r"^project: app-[0-9a-f]{8}$", config, re.M)
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    a.git("add", "-A")
    a.git("commit", "-q", "-m", "first story")
    subprocess.run(["git", "clone", "-q", str(a.root), str(tmp_path / "app-copy")], check=True, env=git_environment())
    b = GitRepo(tmp_path / "app-copy")
    b.git("config", "user.email", "bo@example.com")
    assert run(b, "init")[0] == 0  # keeps the committed config, builds the mirror

    code, out, _ = run(a, "status", "--remote")  # a look starts nothing
    assert code == 0 and "the local remote is not running" in out and not (data_folder / "postmaster.pid").exists()
    a.write("stories/S-2.md", artifact("S-2", "Two", "draft"))  # not committed: shared only through the remote
    code, out, err = run(a, "push")
    assert code == 0 and "pushed 2 artifact(s)" in out, err
    assert data_folder.is_dir()  # started on first use, in the user's data folder
    code, out, err = run(b, "pull")
    assert code == 0 and "1 written" in out, err  # S-1 is already what the remote has
    assert b.read("stories/S-2.md") == a.read("stories/S-2.md")  # Git has no S-2 in b: the author's bytes
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Edited in b."))
    assert run(b, "push")[0] == 0
    code, out, err = run(a, "pull")
    assert code == 0 and "Edited in b." in a.read("stories/S-1.md").decode(), err
    assert local.server_url(data_folder) == local.server_url(data_folder)  # the running server is reused


def test_a_data_folder_that_cannot_be_made_is_a_remote_that_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file where the folder should be: `new` gave 'unexpected error: FileExistsError'; as a server that
    fails to start, it now takes an offline id, and push says why it cannot reach the remote."""
    (tmp_path / "taken").write_text("a file\n")
    monkeypatch.setenv("AGENTSYNC_LOCAL_REMOTE", str(tmp_path / "taken" / "postgres"))
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    repo = GitRepo(tmp_path / "app")
    repo.root.mkdir()
    repo.git("init", "-q", "-b", "main")
    assert run(repo, "init")[0] == 0 and "remote: local\n" in repo.read("agentsync.yaml").decode()
    code, out, err = run(repo, "new", "plan", "Offline")
    assert code == 0 and "is an offline id" in err and "unexpected" not in err, out + err
    code, _, err = run(repo, "push")
    assert code == 1 and f"cannot start the local PostgreSQL in {tmp_path / 'taken' / 'postgres'}: File exists" in err
