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


def test_files_of_a_layout_the_config_has_no_type_for_are_a_suggestion_with_the_type(git_repo: GitRepo) -> None:
    git_repo.write(".cursor/plans/dark_mode_1a2b3c4d.plan.md", "---\nname: Dark mode\n---\n\n# Dark mode\n")
    git_repo.write("plans/p.md", "---\nid: PLAN-1\ntitle: P\n---\n")  # typed: not reported
    assert run(git_repo, "mirror")[0] == 0
    code, out, _ = run(git_repo, "doctor", "--json")
    layouts = [check for check in json.loads(out) if check["check"] == "layouts"]
    assert code == 0 and [check["level"] for check in layouts] == ["suggestion"], out
    assert "1 file(s) of Cursor's saved plans in .cursor/plans/ match no type" in layouts[0]["detail"]
    line = layouts[0]["fix"].split("in agentsync.yaml: ", 1)[1]
    assert line == (
        'cursor-plan: {id_prefix: PLAN, id_from: filename, globs: [".cursor/plans/**/*.plan.md"], '
        'exclude: [".cursor/plans/templates/**", "*template*.plan.md"]}'
    )
    config = git_repo.root / "agentsync.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("types:\n", f"types:\n  {line}\n", 1), encoding="utf-8"
    )
    code, out, _ = run(git_repo, "doctor", "--json")  # the line as given makes a valid type that takes the files
    assert [check["level"] for check in json.loads(out) if check["check"] == "layouts"] == ["ok"], out
    assert run(git_repo, "mirror")[0] == 0
    code, out, _ = run(git_repo, "ls", "--type", "cursor-plan")
    assert code == 0 and out.startswith("dark_mode_1a2b3c4d.plan")
