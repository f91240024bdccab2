"""`agentsync local start | stop | status` on a real embedded PostgreSQL in a folder of the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync.remotes import local
from tests.conftest import Repo
from tests.test_cli import run


def test_start_status_and_stop_the_local_remote(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, outside_folder: Path
) -> None:
    folder = outside_folder / "postgres"
    monkeypatch.setenv("AGENTSYNC_LOCAL_REMOTE", str(folder))
    try:
        code, out, _ = run(repo, "local", "status")
        assert code == 0 and "local remote: not running" in out and str(folder) in out
        code, out, err = run(repo, "local", "start")
        assert code == 0 and "local remote started (pid " in out, err
        assert local.state(folder).running
        code, out, _ = run(repo, "local", "start")
        assert code == 0 and "was already running" in out
        code, out, _ = run(repo, "local", "status")
        assert "local remote: running (pid " in out
        code, out, _ = run(repo, "local", "stop")
        assert code == 0 and "local remote stopped" in out and not local.state(folder).running
        code, out, _ = run(repo, "local", "stop")
        assert code == 0 and "was not running" in out
    finally:
        local.stop(folder)
