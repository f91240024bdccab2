"""The `local` remote: an embedded PostgreSQL in the user's data folder, shared by clones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync.remotes import local
from tests.conftest import artifact, make_git_repo
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
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "remote: local\nproject: team\n")
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    code, out, err = run(a, "push")
    assert code == 0 and "pushed 1 artifact(s)" in out, err
    assert data_folder.is_dir()  # started on first use, in the user's data folder
    code, out, err = run(b, "pull")
    assert code == 0 and "1 written" in out, err
    assert "One" in b.read("stories/S-1.md").decode()
    assert local.server_url(data_folder) == local.server_url(data_folder)  # the running server is reused
