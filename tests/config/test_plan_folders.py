"""The plans AI coding tools save in the repository: Cursor's (``.cursor/plans/*.plan.md``: found by init,
named by their files, made by ``new``) and Claude Code's (the folder its settings name)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync.config.plan_layouts import CLAUDE_SETTINGS, claude_plans_folder
from agentsync.store import Mirror
from tests.test_cli import run
from tests.test_layouts_init import _created, _mirrored, _repo

PLAN = """---
name: Add start-web launcher
overview: One command starts the API and the dev server.
todos:
  - id: add-start-web-sh
    content: "Create start-web.sh: background uvicorn, foreground vite"
    status: completed
  - id: docs-start-web
    content: Update README.md
    status: pending
isProject: false
---

# Add `./start-web.sh` launcher

## Goal

One command.
"""
ACTIVE, ARCHIVED = "add_start_web_launcher_3f9a1c2e.plan", "evidence_calibration_9b2d4e11.plan"
CURSOR = {
    f".cursor/plans/{ACTIVE}.md": PLAN,
    f".cursor/plans/archive/{ARCHIVED}.md": "---\nname: Evidence\ntodos: []\n---\n\n# Evidence\n",
    ".cursor/plans/README.md": "# Cursor plans\n\nSaved plans.\n",  # the team's notes and templates: no plans
    ".cursor/plans/templates/feature.md": "# Feature plan\n",
    ".cursor/rules/style.mdc": "---\ndescription: style\n---\n",
}


def test_cursor_plans_are_found_and_named_by_their_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path, CURSOR)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Cursor's saved plans in .cursor/plans/" in out, out + err
    assert _mirrored(repo) == {
        f"cursor-plan:{ACTIVE}": (None, f".cursor/plans/{ACTIVE}.md"),
        f"cursor-plan:{ARCHIVED}": (None, f".cursor/plans/archive/{ARCHIVED}.md"),
    }
    with Mirror.open(config_module.load(repo.root)) as mirror:
        row = mirror.get(f"cursor-plan:{ACTIVE}")
        fields = mirror.fields(f"cursor-plan:{ACTIVE}")
    assert row is not None and row.title == "Add `./start-web.sh` launcher"
    assert [todo["status"] for todo in fields["todos"]] == ["completed", "pending"]
    archive = repo.root / ".cursor/plans/archive"
    (repo.root / f".cursor/plans/{ACTIVE}.md").rename(archive / f"{ACTIVE}.md")
    code, out, err = run(repo, "mirror")
    assert code == 0 and "1 renamed" in out, out + err  # a plan moved to the archive is the same plan


def test_new_saves_a_plan_as_cursors_plan_mode_does(tmp_path: Path) -> None:
    repo = _repo(tmp_path, CURSOR)
    assert run(repo, "init")[0] == 0
    created = _created(repo, "cursor-plan", "Dark mode: settings toggle")
    found = re.fullmatch(r"created (dark_mode_settings_toggle_[0-9a-f]{8}\.plan) at \.cursor/plans/(\1\.md)", created)
    assert found is not None, created
    text = (repo.root / ".cursor/plans" / found.group(2)).read_text(encoding="utf-8")
    assert text == (
        '---\nname: "Dark mode: settings toggle"\noverview: ""\ntodos: []\nisProject: false\n---\n\n'
        "# Dark mode: settings toggle\n"
    )
    again = _created(repo, "cursor-plan", "Dark mode: settings toggle")  # one name twice: the digits differ
    assert again != created and again.startswith("created dark_mode_settings_toggle_")
    assert run(repo, "check")[0] == 0
    assert len([key for key in _mirrored(repo) if key.startswith("cursor-plan:dark_mode")]) == 2


@pytest.mark.parametrize(
    ("setting", "folder"),
    [
        ("./.claude/plans/", ".claude/plans"),
        (".claude/plans", ".claude/plans"),
        ("docs\\plans", "docs/plans"),
        ("./.agents/worklog/claude", ".agents/worklog/claude"),
        ("~/.claude/plans", None),  # the user's own: not the repository's
        ("/home/ada/plans", None),
        ("C:/plans", None),
        ("../plans", None),
        ("plans/../../x", None),
        (".", None),
        ("./.git/plans", None),
        (42, None),
    ],
)
def test_claude_codes_plans_folder_is_the_one_its_settings_name_inside_the_repository(
    setting: object, folder: str | None
) -> None:
    assert claude_plans_folder({CLAUDE_SETTINGS: json.dumps({"plansDirectory": setting})}) == folder


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"plansDirectory": null}'])
def test_settings_claude_code_cannot_read_name_no_plans_folder(text: str) -> None:
    assert claude_plans_folder({CLAUDE_SETTINGS: text}) is None


def test_claude_codes_plans_are_plans_where_its_settings_keep_them(tmp_path: Path) -> None:
    settings = json.dumps({"plansDirectory": "./.claude/plans/", "permissions": {"allow": []}})
    plan = "# Plan: Add retry\n\n## Context\n\nWhy.\n"  # as plan mode writes one, under a random name
    repo = _repo(tmp_path, {CLAUDE_SETTINGS: settings, ".claude/plans/README.md": "# Our plans\n",
                            ".claude/plans/wiggly-bouncing-otter.md": plan})  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Claude Code's plans folder, .claude/plans/" in out, out + err
    assert _mirrored(repo) == {"plan:wiggly-bouncing-otter": (None, ".claude/plans/wiggly-bouncing-otter.md")}
    created = _created(repo, "plan", "Second plan")  # the folder the team keeps its plans in comes first
    assert created == "created PLAN-0001 at .claude/plans/PLAN-0001-second-plan.md"


def test_claude_codes_plans_in_its_home_folder_are_not_looked_for(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {CLAUDE_SETTINGS: json.dumps({"plansDirectory": "~/.claude/plans"}),
                            "docs/plans/p.md": "# P\n"})  # fmt: skip
    code, out, _ = run(repo, "init")
    assert code == 0 and "Claude Code" not in out and _mirrored(repo) == {"plan:p": (None, "docs/plans/p.md")}


def test_a_cursor_plan_without_a_heading_is_titled_by_its_name(tmp_path: Path) -> None:
    plan = "---\nname: Bonus A - Streamlit UI\noverview: A UI.\ntodos: []\n---\n\n## Design\n\nText.\n"
    repo = _repo(tmp_path, {".cursor/plans/bonus_a_5e6f7a8b.plan.md": plan})
    assert run(repo, "init")[0] == 0
    with Mirror.open(config_module.load(repo.root)) as mirror:
        row = mirror.get("cursor-plan:bonus_a_5e6f7a8b.plan")
    assert row is not None and row.title == "Bonus A - Streamlit UI"


AI_DEV_TASKS = {
    "tasks/prd-user-profile-editing.md": "# PRD: User Profile Editing\n\n## Introduction/Overview\n\nWhy.\n",
    "tasks/tasks-user-profile-editing.md": "## Relevant Files\n\n- `a.ts` - x\n\n## Tasks\n\n- [ ] 1.0 Parent\n",
    "tasks/tasks-prd-user-profile-editing.md": "## Tasks\n\n- [x] 1.0 Parent\n",  # the older name of a task list
    "tasks/tasks-template.md": "# Task List (Stub)\n",  # a team's own template
    "tasks/README.md": "# tasks\n",
    "docs/tasks/tasks-relay.md": "# Tasks: Relay\n",  # the folder moved, its PRDs beside it
    "docs/prd/prd-relay.md": "# PRD: Relay\n",
}


def test_ai_dev_tasks_prds_and_task_lists_are_found_and_made(tmp_path: Path) -> None:
    repo = _repo(tmp_path, AI_DEV_TASKS)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected ai-dev-tasks' PRDs and task lists" in out, out + err
    assert _mirrored(repo) == {
        "prd:prd-user-profile-editing": (None, "tasks/prd-user-profile-editing.md"),
        "prd:prd-relay": (None, "docs/prd/prd-relay.md"),
        "task-list:tasks-user-profile-editing": (None, "tasks/tasks-user-profile-editing.md"),
        "task-list:tasks-prd-user-profile-editing": (None, "tasks/tasks-prd-user-profile-editing.md"),
        "task-list:tasks-relay": (None, "docs/tasks/tasks-relay.md"),
    }
    assert _created(repo, "prd", "Dark mode") == "created prd-dark-mode at tasks/prd-dark-mode.md"
    assert _created(repo, "task-list", "Dark mode") == "created tasks-dark-mode at tasks/tasks-dark-mode.md"
    prd = (repo.root / "tasks/prd-dark-mode.md").read_text(encoding="utf-8")
    assert prd.startswith("# PRD: Dark mode\n\n## Introduction/Overview\n") and "\n## Non-Goals (Out of Scope)\n" in prd
    tasks = (repo.root / "tasks/tasks-dark-mode.md").read_text(encoding="utf-8")
    assert (
        tasks.startswith("# Tasks: Dark mode\n\n## Relevant Files\n") and "\n- [ ] 0.0 Create feature branch\n" in tasks
    )
    assert not any(line.endswith(" ") for line in (prd + tasks).splitlines())  # trailing blanks fail lint hooks
    assert run(repo, "check")[0] == 0


def test_a_tasks_folder_of_another_kind_is_no_ai_dev_tasks_one(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"tasks/cleanup.md": "# Cleanup\n", "tasks/tasks-template.md": "# Stub\n"})
    code, out, _ = run(repo, "init")
    assert code == 0 and "ai-dev-tasks" not in out and _mirrored(repo) == {}


EXECPLAN = "# Multi-tenancy\n\nThis ExecPlan is a living document.\n\n## Progress\n\n- [x] (2025-10-01 13:00Z) One.\n"
CODEX = {
    ".agent/PLANS.md": "# Codex Execution Plans (ExecPlans)\n\nHow to write one.\n",  # the rules: no plan
    ".agent/execplans/multi-tenancy-orders.md": EXECPLAN,
    ".agent/plans/active/2026-02-05-foundation.md": "# Foundation\n\n## Progress\n",
    ".agent/plans/README.md": "# Plans\n",
}


def test_codex_execplans_beside_plans_md_are_found_and_made(tmp_path: Path) -> None:
    repo = _repo(tmp_path, CODEX)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Codex's ExecPlans (.agent/PLANS.md)" in out, out + err
    assert _mirrored(repo) == {
        "execplan:multi-tenancy-orders": (None, ".agent/execplans/multi-tenancy-orders.md"),
        "execplan:2026-02-05-foundation": (None, ".agent/plans/active/2026-02-05-foundation.md"),
    }
    assert _created(repo, "execplan", "Offline mode") == "created offline-mode at .agent/execplans/offline-mode.md"
    text = (repo.root / ".agent/execplans/offline-mode.md").read_text(encoding="utf-8")
    assert text.startswith("# Offline mode\n\nThis ExecPlan is a living document") and "\n## Decision Log\n" in text
    assert run(repo, "check")[0] == 0


def test_codex_execplans_before_the_first_go_to_execplans(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".agent/PLANS.md": "# ExecPlans\n"})
    assert run(repo, "init")[0] == 0
    assert _created(repo, "execplan", "First plan") == "created first-plan at .agent/execplans/first-plan.md"


def test_an_agent_folder_without_plans_md_has_no_execplans(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".agent/plans/x.md": "# X\n"})
    code, out, _ = run(repo, "init")
    assert code == 0 and "ExecPlans" not in out and _mirrored(repo) == {}


HARNESS = {
    "docs/exec-plans/active/README.md": "# Active Execution Plans\n\nPut plans here.\n",
    "docs/exec-plans/completed/sql-provider-convergence.md": "# SQL Provider Convergence\n\nStatus: completed\n",
    "docs/exec-plans/completed/esm-only-packages.md": "# ESM-only packages\n\n- [x] Align manifests.\n",
    "docs/exec-plans/tech-debt-tracker.md": "# Tech Debt Tracker\n",  # a list of open questions, no plan
    "docs/design-docs/index.md": "# Design Docs Index\n",
    "docs/design-docs/core-beliefs.md": "# Core Beliefs\n",
    "docs/product-specs/onboarding/new-user.md": "# New user onboarding\n",
}


def test_the_harness_layouts_plans_and_documents_are_found_and_made(tmp_path: Path) -> None:
    repo = _repo(tmp_path, HARNESS)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected the harness layout's docs/exec-plans/" in out, out + err
    assert _mirrored(repo) == {
        "execplan:sql-provider-convergence": ("completed", "docs/exec-plans/completed/sql-provider-convergence.md"),
        "execplan:esm-only-packages": (None, "docs/exec-plans/completed/esm-only-packages.md"),
        "design-doc:core-beliefs": (None, "docs/design-docs/core-beliefs.md"),
        "product-spec:onboarding-new-user": (None, "docs/product-specs/onboarding/new-user.md"),
    }
    # active/ holds no plan: the new one is named by its title, as the type's plans are elsewhere
    created = _created(repo, "execplan", "Window frames")
    assert created == "created window-frames at docs/exec-plans/active/window-frames.md"
    done = repo.root / "docs/exec-plans/completed/window-frames.md"
    (repo.root / "docs/exec-plans/active/window-frames.md").rename(done)  # the work landed
    code, out, err = run(repo, "mirror")
    assert code == 0 and "1 renamed" in out, out + err
    assert _created(repo, "design-doc", "Query planner") == "created query-planner at docs/design-docs/query-planner.md"
    design = (repo.root / "docs/design-docs/query-planner.md").read_text(encoding="utf-8")
    assert design.startswith("# Query planner\n\n## Context\n") and "---" not in design  # plain, as its neighbours
    assert run(repo, "check")[0] == 0


@pytest.mark.parametrize(
    ("completed", "named"),
    [
        (("01-setup.md", "02-cache.md", "09-queue.md"), "10-window-frames"),  # numbered: one past the highest
        (("2026-01-02-setup.md", "2026-02-03-cache.md"), f"{datetime.date.today():%Y-%m-%d}-window-frames"),
    ],
)
def test_an_emptied_active_folder_names_a_new_plan_as_the_completed_ones_are(
    tmp_path: Path, completed: tuple[str, ...], named: str
) -> None:
    files = {f"docs/exec-plans/completed/{name}": "# Done\n\n- [x] It.\n" for name in completed}
    repo = _repo(tmp_path, {**files, "docs/exec-plans/active/.gitkeep": "", "docs/exec-plans/tech-debt-tracker.md": ""})
    assert run(repo, "init")[0] == 0
    assert _created(repo, "execplan", "Window frames") == f"created {named} at docs/exec-plans/active/{named}.md"
    assert run(repo, "check")[0] == 0


def test_claude_code_spec_workflows_features_are_spec_workflows_documents(tmp_path: Path) -> None:
    feature = ".claude/specs/auth-passwordless"
    files = {f"{feature}/requirements.md": "# Requirements Document\n", f"{feature}/design.md": "# D\n",
             f"{feature}/tasks.md": "# Implementation Plan\n\n- [ ] 1. Set up\n",
             ".claude/specs/README.md": "# Specs\n", ".claude/specs/shared/notes.md": "# Notes\n"}  # fmt: skip
    repo = _repo(tmp_path, files)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected claude-code-spec-workflow's .claude/specs/" in out, out + err
    assert _mirrored(repo) == {
        "workflow-requirements:auth-passwordless-requirements": (None, f"{feature}/requirements.md"),
        "workflow-design:auth-passwordless-design": (None, f"{feature}/design.md"),
        "workflow-tasks:auth-passwordless-tasks": (None, f"{feature}/tasks.md"),
    }  # a folder of other notes is no feature


HANDOFF = "---\ndate: 2026-02-04T21:15:50+0100\nstatus: in_progress\ntype: implementation_strategy\n---\n\n# Handoff\n"
THOUGHTS = {
    "thoughts/shared/plans/2025-01-08-ENG-1478-parent-child-tracking.md": "# Parent-child tracking Plan\n",
    "thoughts/shared/research/2025-01-16_13-11-09_abort_handlers.md": "---\nstatus: complete\n---\n\n# Abort\n",
    "thoughts/shared/handoffs/2026-02-04_21-15-50_setup.md": HANDOFF,
    "thoughts/allison/tickets/eng_1234.md": "# ENG-1234: Track sub-tasks\n",
    "thoughts/searchable/shared/plans/2025-01-08-ENG-1478-parent-child-tracking.md": "# A hard link's copy\n",
}


def test_humanlayers_thoughts_are_typed_by_their_folder_and_named_by_their_files(tmp_path: Path) -> None:
    repo = _repo(tmp_path, THOUGHTS)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected HumanLayer's thoughts/ folder" in out, out + err
    assert _mirrored(repo) == {  # searchable/'s links to the same files are not read twice
        "thoughts-plan:2025-01-08-ENG-1478-parent-child-tracking": (
            None, "thoughts/shared/plans/2025-01-08-ENG-1478-parent-child-tracking.md"),
        "research:2025-01-16_13-11-09_abort_handlers": (
            "complete", "thoughts/shared/research/2025-01-16_13-11-09_abort_handlers.md"),
        "handoff:2026-02-04_21-15-50_setup": ("in_progress", "thoughts/shared/handoffs/2026-02-04_21-15-50_setup.md"),
        "ticket:eng_1234": (None, "thoughts/allison/tickets/eng_1234.md"),  # a person's own folder
    }  # fmt: skip
    day = datetime.date.today().isoformat()
    created = _created(repo, "thoughts-plan", "Fog of war")
    assert created == f"created {day}-fog-of-war at thoughts/shared/plans/{day}-fog-of-war.md"
    assert run(repo, "check")[0] == 0


def test_codex_execplans_beside_agents_plans_md_too(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".agents/PLANS.md": "# ExecPlans\n", ".agents/plans/offline.md": "# Offline\n",
                            ".agents/skills/review/SKILL.md": "---\nname: review\n---\n"})  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Codex's ExecPlans (.agents/PLANS.md)" in out, out + err
    assert _mirrored(repo) == {"execplan:offline": (None, ".agents/plans/offline.md")}  # skills are no plans


def test_the_ralph_loops_specs_are_found_where_its_prompts_are(tmp_path: Path) -> None:
    files = {"PROMPT_build.md": "0a. Study specs/*\n", "IMPLEMENTATION_PLAN.md": "# Plan\n",
             "specs/voting.md": "# Voting\n\n## Overview\n", "specs/README.md": "# Specs\n"}  # fmt: skip
    repo = _repo(tmp_path, files)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected the Ralph loop's specs/ (PROMPT_build.md)" in out, out + err
    assert _mirrored(repo) == {"ralph-spec:voting": (None, "specs/voting.md")}  # the loop's plan is its working state
    assert _created(repo, "ralph-spec", "Observer mode") == "created observer-mode at specs/observer-mode.md"
    text = (repo.root / "specs/observer-mode.md").read_text(encoding="utf-8")
    assert text.startswith("# Observer mode\n\n## Overview\n") and "## Acceptance Criteria" in text


def test_a_flat_specs_folder_without_the_loops_prompts_is_no_ralph_one(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"specs/voting.md": "# Voting\n"})
    code, out, _ = run(repo, "init")
    assert code == 0 and "Ralph" not in out and _mirrored(repo) == {}


def test_ai_dev_tasks_numbered_prds_get_the_next_number_and_the_word(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"tasks/0001-prd-login.md": "# PRD: Login\n", "tasks/0002-prd-search.md": "# PRD: Search\n"})
    assert run(repo, "init")[0] == 0
    assert _created(repo, "prd", "Dark mode") == "created 0003-prd-dark-mode at tasks/0003-prd-dark-mode.md"
    assert run(repo, "check")[0] == 0


def test_humanlayer_plans_headed_by_one_ticket_are_two_plans(tmp_path: Path) -> None:
    plans = "thoughts/shared/plans"
    repo = _repo(tmp_path, {f"{plans}/2025-01-08-ENG-1478-parent-child.md": "# ENG-1478: Parent-child tracking\n",
                            f"{plans}/2025-02-01-ENG-1478-followup.md": "# ENG-1478: Follow-up fixes\n"})  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert set(_mirrored(repo)) == {"thoughts-plan:2025-01-08-ENG-1478-parent-child",
                                    "thoughts-plan:2025-02-01-ENG-1478-followup"}  # fmt: skip


def test_humanlayer_thoughts_of_one_person_only_take_new_ones_to_shared(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"thoughts/alice/plans/2025-01-08-x.md": "# X\n"})
    assert run(repo, "init")[0] == 0
    created = _created(repo, "thoughts-plan", "Dark mode")
    assert created.startswith("created ") and " at thoughts/" in created and created.endswith("-dark-mode.md"), created


@pytest.mark.parametrize("setting", ["p/x\nplugins: [team_rules]\n#", "a\x1bb", "notes [wip]", "*", "a/ b"])
def test_a_plans_directory_holding_a_control_or_glob_character_names_no_folder(setting: str) -> None:
    assert claude_plans_folder({CLAUDE_SETTINGS: json.dumps({"plansDirectory": setting})}) is None


def test_a_plans_directory_another_layout_already_types_is_left_to_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {CLAUDE_SETTINGS: json.dumps({"plansDirectory": "docs/exec-plans/active"}),
                            "docs/exec-plans/active/add-cache.md": "# Add cache\n"})  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert _mirrored(repo) == {"execplan:add-cache": (None, "docs/exec-plans/active/add-cache.md")}


def test_claude_code_plans_in_dot_claude_are_its_own_files_not_its_commands(tmp_path: Path) -> None:
    files = {CLAUDE_SETTINGS: json.dumps({"plansDirectory": ".claude"}), ".claude/happy-otter.md": "# Plan\n",
             ".claude/commands/commit.md": "# Commit\n"}  # fmt: skip
    repo = _repo(tmp_path, files)
    assert run(repo, "init")[0] == 0
    assert _mirrored(repo) == {"plan:happy-otter": (None, ".claude/happy-otter.md")}


def test_a_template_among_cursor_plans_or_prds_is_none(tmp_path: Path) -> None:
    files = {".cursor/plans/template.plan.md": "---\nname: <Plan>\n---\n", ".cursor/plans/templates/f.plan.md": "# F\n",
             ".cursor/plans/x_12345678.plan.md": "# X\n", "tasks/prd-template.md": "# PRD: Title\n",
             "tasks/prd-login.md": "# PRD: Login\n"}  # fmt: skip
    repo = _repo(tmp_path, files)
    assert run(repo, "init")[0] == 0
    assert set(_mirrored(repo)) == {"cursor-plan:x_12345678.plan", "prd:prd-login"}


def test_a_thoughts_folder_behind_a_symlink_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "shared/plans").mkdir(parents=True)
    (elsewhere / "shared/plans/2025-01-08-x.md").write_text("# X\n")
    repo = _repo(tmp_path, {"docs/plans/p.md": "# P\n"})
    (repo.root / "thoughts").symlink_to(elsewhere, target_is_directory=True)
    code, out, err = run(repo, "init")
    assert code == 0 and "HumanLayer" not in out, out + err


def test_a_numbered_prefixed_folder_keeps_its_numbers_under_a_glob_with_a_fixed_start(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"rfcs/RFC-0001-first.md": "# First\n", "rfcs/RFC-0002-second.md": "# Second\n"})
    repo.write(
        "agentsync.yaml", "version: 1\ntypes:\n  rfc: {id_prefix: RFC, id_from: filename, globs: [rfcs/RFC-*.md]}\n"
    )
    assert run(repo, "mirror")[0] == 0
    assert _created(repo, "rfc", "Dark mode") == "created RFC-0003-dark-mode at rfcs/RFC-0003-dark-mode.md"


def test_an_emptied_active_folder_beside_month_folders_names_a_new_plan_by_its_title(tmp_path: Path) -> None:
    """completed/2025-01/ and its siblings are folders of plans, not plans numbered 2025: a new plan was 2026-x."""
    months = (("2025-01", "auth-rewrite"), ("2025-02", "billing"), ("2025-03", "search"))
    files = {f"docs/exec-plans/completed/{month}/{name}.md": "# Done\n\nStatus: done\n" for month, name in months}
    repo = _repo(tmp_path, {**files, "docs/exec-plans/active/.gitkeep": "", "docs/exec-plans/tech-debt-tracker.md": ""})
    assert run(repo, "init")[0] == 0
    assert _created(repo, "execplan", "Dark mode") == "created dark-mode at docs/exec-plans/active/dark-mode.md"
