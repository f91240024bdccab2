"""`agentsync doctor` tells problems (exit 1) from suggestions (exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import GitRepo
from tests.test_cli import run


def test_missing_hooks_and_a_stopped_local_remote_are_suggestions_not_failures(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, outside_folder: Path
) -> None:
    monkeypatch.setenv("AGENTSYNC_LOCAL_REMOTE", str(outside_folder / "pg"))
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    assert run(git_repo, "mirror")[0] == 0
    code, out, _ = run(git_repo, "doctor")
    assert code == 0, out
    assert "TIP hooks" in out and "TIP remote       local: not running" in out and "FIX" not in out
    code, out, _ = run(git_repo, "doctor", "--json")
    levels = {check["check"]: check["level"] for check in json.loads(out)}
    assert levels["hooks"] == levels["remote"] == "suggestion" and levels["config"] == "ok"


def test_a_real_problem_still_fails(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/x")
    assert run(git_repo, "mirror")[0] == 0
    code, out, _ = run(git_repo, "doctor")
    assert code == 1 and "FIX remote" in out
