"""`agentsync init` alone on the layouts teams use (corpora written here, modelled on the agent
CLI's `.agent/`, Backlog.md's `backlog/`, adr-tools, MADR and folder-per-record ADRs): what it
detects, how many files each type matches, the statuses a person reads, the traps (README,
CHANGELOG, LICENSE, templates, invalid YAML), and `export --to` reproducing every file byte for byte."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync.store import Mirror
from tests.conftest import GitRepo, make_git_repo
from tests.test_cli import run

AGENT = {
    ".agent/cache/stories/INFRA/INFRA-004-sync.md": "# INFRA-004: Sync\n\n## State\n\nCOMMITTED\n\n## Problem\nx\n",
    ".agent/cache/stories/INFRA/INFRA-138-label.md": "# STORY-ID: INFRA-138: Labelled\n## State\nACCEPTED\n",
    ".agent/cache/stories/MISC/128-persona.md": "# 128: Persona layer\n\n## State\n\nICEBOX\n",
    ".agent/cache/plans/INFRA/INFRA-010-plan.md": "# INFRA-010: Finalize\n\n## State\nCOMMITTED\n",
    ".agent/cache/runbooks/INFRA/INFRA-004-runbook.md": "# INFRA-004: Sync\r\n\r\nStatus: ACCEPTED\r\n\r\n## Goal\r\n",
    ".agent/cache/runbooks/INFRA/INFRA-005-runbook.md": "# Runbook: Implementation\n\n## State\n\nPROPOSED\n",
    ".agent/cache/journeys/INFRA/JRN-001-router.yaml": "# Copyright\nid: JRN-001\ntitle: Router\nstate: DRAFT\n",
    ".agent/adrs/ADR-001-sync.md": "# ADR-001: Git-like sync\n\n## Status\nProposed\n\n## Context\n",
    ".agent/adrs/README.md": "# Decisions\n\nAn index, not a record.\n",
}
AGENT_STATUS = {
    "story:INFRA-004": "COMMITTED", "story:INFRA-138": "ACCEPTED", "story:128-persona": "ICEBOX",
    "plan:INFRA-010": "COMMITTED", "runbook:INFRA-004": "ACCEPTED", "runbook:INFRA-005-runbook": "PROPOSED",
    "journey:JRN-001": "DRAFT", "adr:ADR-001": "Proposed",
}  # fmt: skip

TASK = "---\nid: {id}\ntitle: {title}\nstatus: {status}\nassignee: []\nlabels:\n  - cli\n---\n\n## Description\n\nx\n"
BACKLOG = {
    "backlog/config.yml": 'project_name: "demo"\ntask_prefix: "task"\n',
    "backlog/readme.md": "# Backlog\n",
    "backlog/tasks/readme.md": "# Tasks\n",
    "backlog/tasks/task-12 - Add-login.md": TASK.format(id="task-12", title="Add login", status="To Do"),
    "backlog/tasks/task-12.1 - Login-form.md": TASK.format(id="task-12.1", title="Login form", status="In Progress"),
    "backlog/drafts/draft-3 - Idea.md": TASK.format(id="draft-3", title="Idea", status="Draft"),
    "backlog/completed/task-5 - Done-thing.md": TASK.format(id="task-5", title="Done thing", status="Done"),
    "backlog/archive/tasks/task-5 - Old-copy.md": TASK.format(id="task-5", title="Old copy", status="Done"),
    "backlog/decisions/decision-1 - Use-Tailwind.md": TASK.format(id="decision-1", title="Tailwind", status="accepted"),
    "backlog/docs/doc-001 - Style-guide.md": "---\nid: doc-001\ntitle: Style guide\ntype: guide\n---\n\nx\n",
    "backlog/milestones/m-6 - New-UI.md": "---\nid: m-6\ntitle: New UI\n---\n\n## Description\n",
    "backlog/tasks/task-13 - Broken.md": "---\nid: task-13\ntitle: Fix: it\n---\n",  # invalid YAML: ': ' unquoted
    # Backlog.md's own way with handles: not YAML, but read as written (as Backlog.md reads it)
    "backlog/tasks/task-14 - Assigned.md": "---\nid: task-14\ntitle: Assigned\nstatus: To Do\nassignee: @ada\n"
    "reporter: @ada\nlabels: [@ui]\n---\n",
}
NYGARD_ADR = "# {n}. {title}\n\nDate: 2016-02-12\n\n## Status\n\n{status}\n\n## Context\n\nx\n"
MADR_ADR = "# {title}\n\n* Status: {status}\n* Deciders: Ada\n\n## Context and Problem Statement\n"
ADRS = {
    "doc/adr/0001-record-decisions.md": NYGARD_ADR.format(n=1, title="Record decisions", status="Accepted"),
    "doc/adr/0002-use-postgres.md": NYGARD_ADR.format(n=2, title="Use Postgres", status="Superseded by 3"),
    "doc/adr/README.md": "# Architecture decisions\n\n* [1. Record](0001-record-decisions.md)\n",
    "docs/decisions/0000-use-madr.md": MADR_ADR.format(title="Use MADR", status="accepted"),
    "docs/decisions/adr-template.md": MADR_ADR.format(title="[short title]", status="[proposed | accepted]"),
    "docs/decisions/0001-frontmatter.md": "---\nstatus: proposed\ndate: 2024-01-02\n---\n# Use frontmatter\n",
    "CHANGELOG.md": "# Changelog\n",
    "LICENSE.md": "MIT\n",
    "README.md": "# The project\n",
}
PER_RECORD = {
    "docs/adr/use-postgres/README.md": "# Use PostgreSQL\n\n## Status\n\nAccepted\n",
    "docs/adr/use-kafka/index.md": "# Use Kafka\n\n## Status\n\nRejected\n",
    "docs/adr/use-redis/README.md": "# Use Redis\n\n**Status:** proposed\n",
    "docs/adr/README.md": "# Decisions\n",
}


def _repo(tmp_path: Path, files: dict[str, str]) -> GitRepo:
    repo = make_git_repo(tmp_path / "repo")
    (repo.root / config_module.CONFIG_NAME).unlink()  # a new user's repository: no agentsync.yaml yet
    for path, text in files.items():
        repo.write(path, text)
    repo.commit_all("their files")
    return repo


def _mirrored(repo: GitRepo) -> dict[str, tuple[str | None, str]]:
    with Mirror.open(config_module.load(repo.root)) as mirror:
        return {f"{row.type}:{row.id}": (row.status, row.path) for row in mirror.list_artifacts()}


def _exported_byte_for_byte(repo: GitRepo, tmp_path: Path, paths: list[str]) -> None:
    out = tmp_path / "out"
    code, _, err = run(repo, "export", "--to", str(out))
    assert code == 0, err
    for path in paths:
        assert (out / path).read_bytes() == (repo.root / path).read_bytes(), path


def _created(repo: GitRepo, type_name: str, title: str) -> str:
    """``agentsync new TYPE TITLE``'s one line (``created ID at PATH``), the command having succeeded."""
    code, out, err = run(repo, "new", type_name, title)
    assert code == 0, err
    return out.strip()


def test_the_agent_cli_layout(tmp_path: Path) -> None:
    repo = _repo(tmp_path, AGENT)
    code, out, err = run(repo, "init")
    assert "detected the agent CLI's .agent/ folder" in out
    assert "story 3 files" in out and "runbook 2 files" in out and "journey 1 file," in out and "adr 1 file" in out
    text = (repo.root / "agentsync.yaml").read_text(encoding="utf-8")
    assert ".agent/cache/journeys/**/*.yaml" in text and ".agent/adrs/**/*.md" in text and "id_prefix: INFRA" in text
    mirrored = _mirrored(repo)
    if code != 0:  # ids shared across types (INFRA-004: a story and its runbook) need (type, id) identity
        assert err and all("duplicate id 'INFRA-004'" in line for line in err.splitlines()), err
        mirrored_status = {key: status for key, (status, _) in mirrored.items()}
        assert {k: v for k, v in AGENT_STATUS.items() if "INFRA-004" not in k} == {
            k: v for k, v in mirrored_status.items() if "INFRA-004" not in k
        }
    else:
        assert {key: status for key, (status, _) in mirrored.items()} == AGENT_STATUS
    assert not any(path.endswith("README.md") for _, path in mirrored.values())
    _exported_byte_for_byte(repo, tmp_path, [path for _, path in mirrored.values()])


def test_the_backlog_md_layout(tmp_path: Path) -> None:
    repo = _repo(tmp_path, BACKLOG)
    code, out, err = run(repo, "init")
    assert code == 1  # the one file with invalid YAML is refused, clearly
    assert "detected Backlog.md's backlog/ folder" in out
    assert "task 4 files" in out and "completed 1 file" in out and "archived-task 1 file" in out
    assert "backlog/tasks/task-13 - Broken.md:3: invalid YAML" in err and "quote the value: title: 'Fix: it'" in err
    refused = [line for line in err.splitlines() if "Broken.md:3: invalid YAML" not in line]
    # task-5 is a completed task and an archived one: two types, so two artifacts once identity is (type, id)
    assert refused in ([], [line for line in refused if "duplicate id 'task-5'" in line]), err
    text = (repo.root / "agentsync.yaml").read_text(encoding="utf-8")
    assert "id_prefix: task" in text and "id_prefix: m\n" in text and "- readme.md" in text
    mirrored = _mirrored(repo)
    assert mirrored["task:task-12"][0] == "To Do" and mirrored["task:task-12.1"][0] == "In Progress"
    assert mirrored["task:task-14"][0] == "To Do"
    assert mirrored["doc:doc-001"][0] is None and "guide:doc-001" not in mirrored  # Backlog.md's `type:` is a field
    backlog_types = [t for t in config_module.load(repo.root).types if t.globs[0].startswith("backlog/")]
    assert len(backlog_types) == 7 and {t.type_from for t in backlog_types} == {"glob"}
    assert mirrored["milestone:m-6"][0] is None and mirrored["decision:decision-1"][0] == "accepted"
    if not refused:
        assert {"completed:task-5", "archived-task:task-5"} <= set(mirrored)
    assert not any(path.endswith("readme.md") for _, path in mirrored.values())
    _exported_byte_for_byte(repo, tmp_path, [path for _, path in mirrored.values()])


def test_adr_tools_and_madr_folders_and_the_files_that_are_no_records(tmp_path: Path) -> None:
    repo = _repo(tmp_path, ADRS)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected ADR folders (adr-tools, MADR)" in out and "adr 4 files" in out
    mirrored = _mirrored(repo)
    assert {key: status for key, (status, _) in mirrored.items()} == {
        "adr:0001-record-decisions": "Accepted",
        "adr:0002-use-postgres": "Superseded by 3",
        "adr:0000-use-madr": "accepted",
        "adr:0001-frontmatter": "proposed",
    }
    paths = {path for _, path in mirrored.values()}
    traps = {"README.md", "CHANGELOG.md", "LICENSE.md", "doc/adr/README.md", "docs/decisions/adr-template.md"}
    assert not paths & traps
    _exported_byte_for_byte(repo, tmp_path, sorted(paths))


@pytest.mark.parametrize("folder", ["doc/architecture/decisions", "docs/architecture/adr", "architecture/adr"])
def test_the_adr_folders_adr_tools_users_often_pick_are_found(tmp_path: Path, folder: str) -> None:
    repo = _repo(tmp_path, {f"{folder}/0001-record.md": NYGARD_ADR.format(n=1, title="Record", status="Accepted")})
    code, out, err = run(repo, "init")
    assert code == 0 and "adr 1 file" in out, out + err
    assert _mirrored(repo) == {"adr:0001-record": ("Accepted", f"{folder}/0001-record.md")}


def test_numbered_and_prefixed_adr_templates_are_no_records_and_one_name_makes_no_prefix(tmp_path: Path) -> None:
    # as in a Docusaurus site's ADRs: frontmatter ids, templates named 0000-template and adr000-template
    # whose `title: ADR000: [TITLE]` is no YAML (check, and so the pre-commit hook, failed on them)
    record = "---\nid: adrs-adr00{n}\ntitle: 'ADR00{n}: Decision'\n---\n\n## Context\n"
    template = "---\nid: adrs-adr000\ntitle: ADR000: [TITLE]\n---\n\n## Context\n"
    files = {f"docs/architecture-decisions/adr00{n}-decision-{n}.md": record.format(n=n) for n in (1, 2)}
    for name in ("0000-template.md", "adr000-template.md"):
        files[f"docs/architecture-decisions/{name}"] = template
    repo = _repo(tmp_path, files)
    assert run(repo, "init")[0] == 0
    assert set(_mirrored(repo)) == {"adr:adrs-adr001", "adr:adrs-adr002"}
    assert run(repo, "check")[0] == 0
    assert config_module.load(repo.root).type_named("adr").id_prefix == "ADR"  # not adr001-decision


def test_a_folder_per_record_adr_collection_is_named_by_its_folders(tmp_path: Path) -> None:
    repo = _repo(tmp_path, PER_RECORD)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "a folder per record" in out and "id_from: path" in (repo.root / "agentsync.yaml").read_text()
    mirrored = _mirrored(repo)
    assert {key: status for key, (status, _) in mirrored.items()} == {
        "adr:use-postgres": "Accepted", "adr:use-kafka": "Rejected", "adr:use-redis": "proposed",
    }  # fmt: skip
    _exported_byte_for_byte(repo, tmp_path, [path for _, path in mirrored.values()])


def test_a_repository_with_none_of_these_gets_todays_defaults(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"plans/PLAN-1-x.md": "---\nid: PLAN-1\nstatus: DRAFT\n---\n", "README.md": "# x\n"})
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected" not in out and "plan 1 file" in out
    assert config_module.load(repo.root).types == config_module.default_types()


SPEC = (
    "# Feature Specification: {name}\n\n**Feature Branch**: `{folder}`\n\n"
    "**Created**: 2026-01-01\n\n**Status**: Draft\n"
)
SPEC_KIT = {
    **{
        f"specs/{folder}/spec.md": SPEC.format(name=folder[4:], folder=folder) for folder in ("001-albums", "002-login")
    },
    "specs/001-albums/plan.md": "# Implementation Plan: albums\n\n**Branch**: `001-albums` | **Date**: 2026-01-02\n",
    "specs/001-albums/tasks.md": "---\ndescription: Task list\n---\n\n# Tasks: albums\n\n- [ ] T001 Set up\n",
    "specs/001-albums/research.md": "# Research\n",
    ".specify/memory/constitution.md": "# Constitution\n",
}


def test_the_spec_kit_layout_one_type_per_document_named_by_the_feature(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SPEC_KIT)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected Spec Kit's specs/ folder" in out and "spec 2 files, spec-plan 1 file, spec-tasks 1 file" in out
    assert {key: status for key, (status, _) in _mirrored(repo).items()} == {
        "spec:001-albums-spec": "Draft", "spec:002-login-spec": "Draft", "spec-plan:001-albums-plan": None,
        "spec-tasks:001-albums-tasks": None,
    }  # fmt: skip
    assert (
        _created(repo, "spec", "Photo sharing") == "created 003-photo-sharing-spec at specs/003-photo-sharing/spec.md"
    )  # the next feature, in Spec Kit's shape
    assert (repo.root / "specs/003-photo-sharing/spec.md").read_text().startswith("# Photo sharing\n\n**Created**: ")
    assert (
        _created(repo, "spec-plan", "Photo sharing")
        == "created 003-photo-sharing-plan at specs/003-photo-sharing/plan.md"
    )  # its plan goes beside it
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


KIRO = {
    ".kiro/specs/README.md": "# Specs\n\nHow we write them.\n",
    ".kiro/specs/1-design-system/requirements.md": "# Requirements Document\n\n## Introduction\n\nx\n",
    ".kiro/specs/1-design-system/design.md": "# Design Document: Design System\n\n## Overview\n",
    ".kiro/specs/1-design-system/tasks.md": "# Implementation Plan\n\n- [x] 1. Tokens\n",
    ".kiro/specs/1-design-system/README.md": "# Notes\n",
    ".kiro/specs/2-list-view/requirements.md": "# Requirements Document\n\n## Introduction\n\ny\n",
    ".kiro/specs/2-list-view/notes/tasks.md": "# Scratch, inside a feature: no record of its own\n",
    ".kiro/specs/_archived/old-editor/requirements.md": "# Requirements Document\n",
    ".kiro/specs/_archived/old-editor/design.md": "# Design Document\n",
    ".kiro/steering/product.md": "# Product\n",
}


def test_the_kiro_layout_one_type_per_document_named_by_the_feature(tmp_path: Path) -> None:
    repo = _repo(tmp_path, KIRO)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected Kiro's .kiro/specs/ folder" in out, out
    assert "kiro-requirements 3 files, kiro-design 2 files, kiro-tasks 1 file" in out, out
    assert set(_mirrored(repo)) == {
        "kiro-requirements:1-design-system-requirements", "kiro-requirements:2-list-view-requirements",
        "kiro-requirements:old-editor-requirements", "kiro-design:1-design-system-design",
        "kiro-design:old-editor-design", "kiro-tasks:1-design-system-tasks",
    }  # fmt: skip
    assert (
        _created(repo, "kiro-requirements", "Photo albums")
        == "created 3-photo-albums-requirements at .kiro/specs/3-photo-albums/requirements.md"
    )  # the next feature, as Kiro writes one
    text = (repo.root / ".kiro/specs/3-photo-albums/requirements.md").read_text()
    assert text.startswith("# Requirements Document: Photo albums\n\n## Introduction\n") and "---" not in text
    assert (
        _created(repo, "kiro-design", "Photo albums")
        == "created 3-photo-albums-design at .kiro/specs/3-photo-albums/design.md"
    )  # its design goes beside it
    assert (repo.root / ".kiro/specs/3-photo-albums/design.md").read_text().startswith("# Design Document: Photo")
    assert (
        _created(repo, "kiro-tasks", "Photo albums")
        == "created 3-photo-albums-tasks at .kiro/specs/3-photo-albums/tasks.md"
    )
    assert "- [ ] 1." in (repo.root / ".kiro/specs/3-photo-albums/tasks.md").read_text()
    code, out, err = run(repo, "check")
    assert code == 0, out + err
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


SPEC_WORKFLOW = {
    ".spec-workflow/specs/tap-hold/requirements.md": "# Requirements Document\n\n## Introduction\n\nx\n",
    ".spec-workflow/specs/tap-hold/design.md": "# Design Document\n\n## Overview\n",
    ".spec-workflow/specs/tap-hold/tasks.md": "# Tasks Document\n\n- [x] 1. Clock\n- [-] 2. State machine\n",
    ".spec-workflow/specs/tap-hold/Implementation Logs/task-1.md": "# Log: not a document of the spec\n",
    ".spec-workflow/specs/_archived/old-ui/requirements.md": "# Requirements: Old UI\n",
    ".spec-workflow/archive/specs/macros/requirements.md": "# Requirements Document\n",
    ".spec-workflow/steering/product.md": "# Product Overview\n",
    ".spec-workflow/templates/requirements-template.md": "# Requirements Document\n\n## Introduction\n\n[The tool's]\n",
    ".spec-workflow/templates/design-template.md": "# Design Document\r\n\r\n## Overview\r\n\r\nCosts $5.\r\n",
    ".spec-workflow/user-templates/requirements-template.md": "# Requirements Document\n\n## Executive Summary\n",
    ".spec-workflow/approvals/tap-hold/.snapshots/requirements.md/snapshot-001.md": "# Requirements Document\n",
}


def test_the_spec_workflow_layout_its_archive_and_its_templates(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SPEC_WORKFLOW)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected Spec Workflow's .spec-workflow/ folder" in out, out
    assert set(_mirrored(repo)) == {
        "workflow-requirements:tap-hold-requirements", "workflow-requirements:old-ui-requirements",
        "workflow-requirements:macros-requirements", "workflow-design:tap-hold-design",
        "workflow-tasks:tap-hold-tasks",
    }  # fmt: skip
    assert (
        _created(repo, "workflow-requirements", "Mouse keys")
        == "created mouse-keys-requirements at .spec-workflow/specs/mouse-keys/requirements.md"
    )  # the team's own template (user-templates/) comes first, as the tool reads them
    made = ".spec-workflow/specs/mouse-keys/"
    assert (
        repo.root / made / "requirements.md"
    ).read_text() == "# Requirements Document: Mouse keys\n\n## Executive Summary\n"
    assert _created(repo, "workflow-design", "Mouse keys").endswith(made + "design.md")
    design = (repo.root / made / "design.md").read_bytes()  # the tool's template: its line endings, its $
    assert design == b"# Design Document: Mouse keys\r\n\r\n## Overview\r\n\r\nCosts $5.\r\n"
    assert _created(repo, "workflow-tasks", "Mouse keys").endswith(made + "tasks.md")  # no template: the built-in
    assert (repo.root / made / "tasks.md").read_text().startswith("# Tasks Document: Mouse keys\n\n- [ ] 1.")
    code, out, err = run(repo, "check")
    assert code == 0, out + err
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


def test_spec_workflow_set_up_with_no_spec_yet_and_a_symlinked_template_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "requirements-template.md").write_text("# Not ours\n\nread from outside\n", encoding="utf-8")
    repo = _repo(tmp_path, {".spec-workflow/templates/tasks-template.md": "# Tasks Document\n\n- [ ] 1. Do\n"})
    (repo.root / ".spec-workflow/user-templates").symlink_to(outside, target_is_directory=True)
    assert run(repo, "init")[0] == 0  # its templates alone: every kind of document has its type
    assert _created(repo, "workflow-requirements", "Login").endswith(".spec-workflow/specs/login/requirements.md")
    text = (repo.root / ".spec-workflow/specs/login/requirements.md").read_text()
    assert text.startswith("# Requirements Document: Login\n\n## Introduction") and "outside" not in text
    assert _created(repo, "workflow-tasks", "Login").endswith(".spec-workflow/specs/login/tasks.md")
    assert (repo.root / ".spec-workflow/specs/login/tasks.md").read_text() == "# Tasks Document: Login\n\n- [ ] 1. Do\n"


PRPS = {
    "PRPs/auth-flow-prd.md": "# Auth flow\n\n**Status**: Planning\n\n## Goal\n\nx\n",
    "PRPs/completed/setlists.md": "# Setlists\n\n## Goal\n\ny\n",
    "PRPs/ai_docs/supabase-notes.md": "# Supabase notes: reference for the agent, no PRP\n",
    "PRPs/templates/prp_base.md": 'name: "Base PRP Template v2"\ndescription: |\n\n## Purpose\n',
    "PRPs/scripts/prp_runner.md": "# How the runner works\n",
    "PRPs/README.md": "# PRPs\n",
}


def test_the_context_engineering_kits_prps_named_by_their_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path, PRPS)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected the context-engineering kit's PRPs/ folder" in out, out + err
    assert _mirrored(repo) == {
        "prp:auth-flow-prd": ("Planning", "PRPs/auth-flow-prd.md"),
        "prp:setlists": (None, "PRPs/completed/setlists.md"),
    }
    assert _created(repo, "prp", "Offline sync") == "created offline-sync at PRPs/offline-sync.md"
    text = (repo.root / "PRPs/offline-sync.md").read_text()
    assert text.startswith("# Offline sync\n\n## Goal\n") and "## Validation Loop" in text and "---" not in text
    assert run(repo, "check")[0] == 0


def test_the_kits_templates_alone_give_the_prp_type(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"PRPs/templates/prp_base.md": "name: x\n", "PRPs/ai_docs/a.md": "# A\n"})
    assert run(repo, "init")[0] == 0 and _mirrored(repo) == {}
    assert _created(repo, "prp", "First feature") == "created first-feature at PRPs/first-feature.md"


V6_STORY = (
    "# Story {n}: {title}\n\nStatus: {status}\n\n## Story\n\nAs a user, I want it.\n\n## Acceptance Criteria\n\n1. x\n"
)
BMAD_V6 = {
    "_bmad/bmm/config.yaml": 'implementation_artifacts: "{project-root}/_bmad-output/implementation-artifacts"\n',
    "_bmad-output/implementation-artifacts/1-1-scaffolding.md": V6_STORY.format(
        n="1.1", title="Scaffolding", status="done"
    ),
    "_bmad-output/implementation-artifacts/1-2-user-login.md": V6_STORY.format(n="1.2", title="Login", status="review"),
    "_bmad-output/implementation-artifacts/2-1-create-task.md": V6_STORY.format(
        n="2.1", title="Task", status="in-progress"
    ),
    "_bmad-output/implementation-artifacts/epic-1-retro-2026-02-08.md": "# Epic 1 Retrospective\n",
    "_bmad-output/implementation-artifacts/tech-spec-config-reader.md": "# Tech-Spec: Config reader\n",
    "_bmad-output/implementation-artifacts/tests/coverage-report.md": "# Coverage\n",
    "_bmad-output/implementation-artifacts/sprint-status.yaml": "development_status:\n  1-1-scaffolding: done\n",
    "_bmad-output/planning-artifacts/prd.md": "# Product Requirements Document\n",
    "_bmad-output/planning-artifacts/research/market.md": "# Market research\n",
}
BMAD_TEMPLATE = "_bmad/bmm/workflows/4-implementation/create-story/template.md"


def test_bmad_v6_stories_and_documents_in_bmad_output(tmp_path: Path) -> None:
    repo = _repo(tmp_path, BMAD_V6)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected BMAD's _bmad-output/ folder" in out, out + err
    impl, planning = "_bmad-output/implementation-artifacts", "_bmad-output/planning-artifacts"
    assert _mirrored(repo) == {
        "story:1-1-scaffolding": ("done", f"{impl}/1-1-scaffolding.md"),
        "story:1-2-user-login": ("review", f"{impl}/1-2-user-login.md"),
        "story:2-1-create-task": ("in-progress", f"{impl}/2-1-create-task.md"),
        "bmad-implementation:epic-1-retro-2026-02-08": (None, f"{impl}/epic-1-retro-2026-02-08.md"),
        "bmad-implementation:tech-spec-config-reader": (None, f"{impl}/tech-spec-config-reader.md"),
        "bmad-implementation:tests-coverage-report": (None, f"{impl}/tests/coverage-report.md"),
        "bmad-planning:prd": (None, f"{planning}/prd.md"),
        "bmad-planning:research-market": (None, f"{planning}/research/market.md"),
    }
    # the next story of the latest epic, in v6's layout: a Status line under the heading
    assert _created(repo, "story", "Edit task") == f"created 2-2-edit-task at {impl}/2-2-edit-task.md"
    text = (repo.root / impl / "2-2-edit-task.md").read_text()
    assert text.startswith("# Story 2.2: Edit task\n\nStatus: ready-for-dev\n\n## Story\n"), text
    assert _mirrored(repo)["story:2-2-edit-task"][0] == "ready-for-dev"
    assert run(repo, "check")[0] == 0
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


def test_a_bmad_v6_story_from_the_teams_own_template_and_before_the_first_story(tmp_path: Path) -> None:
    template = (
        "# Story {{epic_num}}.{{story_num}}: {{story_title}}\n\nStatus: ready-for-dev\nBranch: `feat/{{scope}}`\n"
    )
    repo = _repo(tmp_path, {**BMAD_V6, BMAD_TEMPLATE: template + "\n## Quality Gates\n\n- [ ] costs $0\n"})
    assert run(repo, "init")[0] == 0
    impl = "_bmad-output/implementation-artifacts"
    assert _created(repo, "story", "Edit task") == f"created 2-2-edit-task at {impl}/2-2-edit-task.md"
    text = (repo.root / impl / "2-2-edit-task.md").read_text()
    expected = template.replace("{{epic_num}}.{{story_num}}: {{story_title}}", "2.2: Edit task")
    assert text == expected + "\n## Quality Gates\n\n- [ ] costs $0\n"  # its other placeholders stay, its $ too
    fresh = _repo(tmp_path / "fresh", {"_bmad/bmm/config.yaml": "project_name: x\n"})  # installed, no story yet
    code, out, err = run(fresh, "init")
    assert code == 0 and "detected BMAD's _bmad-output/ folder" in out, out + err
    assert _created(fresh, "story", "Scaffolding") == f"created 1-1-scaffolding at {impl}/1-1-scaffolding.md"
    assert (fresh.root / impl / "1-1-scaffolding.md").read_text().startswith("# Story 1.1: Scaffolding\n\nStatus:")


def test_bmad_v6_folders_where_its_settings_put_them(tmp_path: Path) -> None:
    settings = (
        'planning_artifacts: "{project-root}/docs"\n'  # docs/ itself: its own files only, not docs/adr/
        "implementation_artifacts: '{project-root}/docs/sprint-artifacts/' # where the stories go\n"
        'test_artifacts: "{project-root}/../elsewhere"\n'  # outside the repository: the default stands
    )
    repo = _repo(tmp_path, {
        "_bmad/bmm/config.yaml": settings,
        "docs/sprint-artifacts/1-1-scaffolding.md": V6_STORY.format(n="1.1", title="Scaffolding", status="done"),
        "docs/sprint-artifacts/tech-spec-cli.md": "# Tech-Spec: CLI\n",
        "docs/prd.md": "# PRD\n",
        "docs/adr/0001-use-bmad.md": NYGARD_ADR.format(n=1, title="Use BMAD", status="Accepted"),
    })  # fmt: skip
    assert run(repo, "init")[0] == 0
    types = {t.name: t for t in config_module.load(repo.root).types}
    assert types["story"].globs[0] == "docs/sprint-artifacts/[0-9]-[0-9]*-*.md"
    assert types["bmad-planning"].globs == ("docs/*.md",) and "bmad-test" not in types
    assert {key: path for key, (_, path) in _mirrored(repo).items()} == {
        "story:1-1-scaffolding": "docs/sprint-artifacts/1-1-scaffolding.md",
        "bmad-implementation:tech-spec-cli": "docs/sprint-artifacts/tech-spec-cli.md",
        "bmad-planning:prd": "docs/prd.md",
        "adr:0001-use-bmad": "docs/adr/0001-use-bmad.md",
    }
    assert _created(repo, "story", "Login") == "created 1-2-login at docs/sprint-artifacts/1-2-login.md"


REGISTRY = (
    "# Project Tracks\n\n- [x] **Track: Simple Login**\n"
    "*Link: [./tracks/simple_login_20260502/](./tracks/simple_login_20260502/)*"
)
CONDUCTOR = {
    "conductor/tracks.md": REGISTRY,  # no line end at the end, as a hand edit may leave it
    "conductor/tracks/simple_login_20260502/spec.md": "# Specification: Simple Login\n\n## Overview\nx\n",
    "conductor/tracks/simple_login_20260502/plan.md": "# Implementation Plan: Simple Login\n\n- [x] Task: one\n",
    "conductor/tracks/simple_login_20260502/index.md": "# Track simple_login_20260502 Context\n",
    "conductor/tracks/simple_login_20260502/metadata.json": '{"track_id": "simple_login_20260502", "status": "new"}\n',
    "conductor/archive/models_20260501/plan.md": "# Implementation Plan: Models\n",
    "conductor/product.md": "# Product\n",
    "conductor/code_styleguides/python.md": "# Python\n",
}


def test_conductor_tracks_and_a_new_track_as_conductor_writes_one(tmp_path: Path) -> None:
    repo = _repo(tmp_path, CONDUCTOR)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Conductor's conductor/tracks/ folder" in out, out + err
    assert set(_mirrored(repo)) == {
        "conductor-spec:simple_login_20260502-spec", "conductor-plan:simple_login_20260502-plan",
        "conductor-plan:models_20260501-plan",
    }  # fmt: skip
    today = datetime.date.today().strftime("%Y%m%d")
    track = f"conductor/tracks/dark_mode_{today}"
    assert _created(repo, "conductor-spec", "Dark mode") == f"created dark_mode_{today}-spec at {track}/spec.md"
    assert _created(repo, "conductor-plan", "Dark mode") == f"created dark_mode_{today}-plan at {track}/plan.md"
    assert (repo.root / track / "spec.md").read_text().startswith("# Specification: Dark mode\n\n## Overview\n")
    assert (repo.root / track / "plan.md").read_text().startswith("# Implementation Plan: Dark mode\n\n## Phase 1")
    metadata = json.loads((repo.root / track / "metadata.json").read_text())
    assert metadata["track_id"] == f"dark_mode_{today}" and metadata["status"] == "new"
    assert metadata["description"] == "Dark mode" and metadata["created_at"].endswith("Z")
    assert (repo.root / track / "index.md").read_text().startswith(f"# Track dark_mode_{today} Context\n")
    assert (repo.root / "conductor/tracks.md").read_text() == REGISTRY + (
        f"\n\n---\n\n- [ ] **Track: Dark mode**\n*Link: [./tracks/dark_mode_{today}/](./tracks/dark_mode_{today}/)*\n"
    )  # the track listed once, by the document that opened its folder
    assert run(repo, "check")[0] == 0


def test_conductor_left_alone_where_it_is_not_and_its_registry_never_through_a_symlink(tmp_path: Path) -> None:
    other = _repo(tmp_path / "other", {"conductor/src/main.java": "class Main {}\n", "conductor/README.md": "# x\n"})
    code, out, _ = run(other, "init")  # a conductor/ folder of another kind: a workflow engine's module
    assert code == 0 and "Conductor" not in out
    outside = tmp_path / "registry.md"
    outside.write_text("# Someone else's file\n", encoding="utf-8")
    files = {k: v for k, v in CONDUCTOR.items() if k != "conductor/tracks.md"}
    files |= {
        "conductor/tracks/user-login/spec.md": "# Specification: Login\n",
        "conductor/tracks/search/spec.md": "# S\n",
    }
    repo = _repo(tmp_path / "linked", files)
    (repo.root / "conductor/tracks.md").symlink_to(outside)
    assert run(repo, "init")[0] == 0
    # most tracks here are named by title alone: the new one too
    assert _created(repo, "conductor-spec", "Dark mode").endswith("conductor/tracks/dark-mode/spec.md")
    assert outside.read_text() == "# Someone else's file\n" and (repo.root / "conductor/tracks.md").is_symlink()


def test_bmad_v6_stories_numbered_by_their_names_and_dated_documents_no_stories(tmp_path: Path) -> None:
    impl = "_bmad-output/implementation-artifacts"
    repo = _repo(tmp_path, {
        f"{impl}/1-1-setup.md": "# 1.1 Setup\n\nStatus: done\n",  # headed without "Story": the names number them
        f"{impl}/1-2-create-task.md": "# 1.2 Create Task\n\nStatus: done\n",
        f"{impl}/12-1-export.md": "# 12.1 Export\n\nStatus: review\n",
        f"{impl}/2026-08-17-media-architecture.md": "# Media architecture\n",  # dated: no story of epic 2026
        f"{impl}/2026-04-22-cloture-p0.md": "# Clôture P0\n",
    })  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert {key for key in _mirrored(repo) if key.startswith("story:")} == {
        "story:1-1-setup", "story:1-2-create-task", "story:12-1-export",
    }  # fmt: skip
    assert "bmad-implementation:2026-08-17-media-architecture" in _mirrored(repo)
    assert _created(repo, "story", "Edit task") == f"created 12-2-edit-task at {impl}/12-2-edit-task.md"


def test_a_new_record_named_by_its_title_never_takes_an_archived_or_completed_ones_id(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {
        ".spec-workflow/specs/other/requirements.md": "# Requirements Document\n",
        ".spec-workflow/archive/specs/auth/requirements.md": "# Requirements Document\n\nthe archived one\n",
        "PRPs/completed/user-auth.md": "# User auth\n",
    })  # fmt: skip
    assert run(repo, "init")[0] == 0
    for type_name, title, holder in (
        ("workflow-requirements", "Auth", ".spec-workflow/archive/specs/auth/requirements.md"),
        ("prp", "User auth", "PRPs/completed/user-auth.md"),
    ):
        code, out, err = run(repo, "new", type_name, title)
        assert code == 1 and f"which {holder} has; give another title" in err, out + err
    assert not (repo.root / ".spec-workflow/specs/auth").exists() and not (repo.root / "PRPs/user-auth.md").exists()
    assert run(repo, "mirror")[0] == 0 and _created(repo, "prp", "User auth v2").endswith("PRPs/user-auth-v2.md")


def test_bmad_settings_never_name_gits_folder_nor_come_through_a_symlink(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "_bmad/bmm/config.yaml": 'implementation_artifacts: "{project-root}/.git"\n'
            "output_folder: '{project-root}/_bmad'\n",  # the framework's own: no planning docs
            "_bmad/notes.md": "# The framework notes\n",
        },
    )
    assert run(repo, "init")[0] == 0
    story = config_module.load(repo.root).type_named("story")
    assert story.globs[0] == "_bmad-output/implementation-artifacts/[0-9]-[0-9]*-*.md"  # the default stands
    assert "bmad-planning" not in {t.name for t in config_module.load(repo.root).types}
    outside = tmp_path / "their-settings"
    (outside / "bmm").mkdir(parents=True)
    (outside / "bmm/config.yaml").write_text('implementation_artifacts: "{project-root}/docs/x-artifacts"\n')
    linked = _repo(tmp_path / "linked", {"docs/x-artifacts/1-1-a.md": "# Story 1.1: A\n\nStatus: done\n"})
    (linked.root / "_bmad").symlink_to(outside, target_is_directory=True)
    assert run(linked, "init")[0] == 0  # _bmad/ is a symlink: neither its settings nor its files are read
    globs = [glob for t in config_module.load(linked.root).types for glob in t.globs]
    assert not any(glob.startswith(("docs/x-artifacts", "_bmad")) for glob in globs), globs


def test_bmad_story_numbers_take_the_highest_of_headings_and_names(tmp_path: Path) -> None:
    impl = "_bmad-output/implementation-artifacts"
    repo = _repo(tmp_path, {
        f"{impl}/1-1-setup.md": "# Story 1.1: Setup\n\nStatus: done\n",
        f"{impl}/1-2-login.md": "# Story 1.2: Login\n\nStatus: done\n",
        f"{impl}/1-3-logout.md": "# Logout\n\nStatus: review\n",  # no Story heading: its name counts
    })  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert _created(repo, "story", "Next") == f"created 1-4-next at {impl}/1-4-next.md"
    config = repo.root / "agentsync.yaml"  # a configuration an earlier init wrote: its story glob
    config.write_text(config.read_text().replace("/[0-9]-[0-9]*-*.md", "/[0-9]*-[0-9]*-*.md"))
    assert _created(repo, "story", "Then") == f"created 1-5-then at {impl}/1-5-then.md"


def test_a_conductor_registry_keeps_its_line_endings_and_titles_stay_text(tmp_path: Path) -> None:
    files = {k: v for k, v in CONDUCTOR.items() if k != "conductor/tracks.md"}
    repo = _repo(tmp_path, {**files, "conductor/tracks.md": REGISTRY.replace("\n", "\r\n")})
    assert run(repo, "init")[0] == 0
    run(repo, "new", "conductor-spec", "Fix \\ and *bold* [x]")
    registry = (repo.root / "conductor/tracks.md").read_bytes()
    assert b"\n" not in registry.replace(b"\r\n", b"")  # CRLF throughout
    assert b"- [ ] **Track: Fix \\\\ and \\*bold\\* \\[x\\]**\r\n" in registry


BMAD_ALPHA = {
    ".bmad/bmm/config.yaml": "# Version: 6.0.0-alpha.15\nsprint_artifacts: '{project-root}/docs/sprint-artifacts'\n"
    "output_folder: '{project-root}/docs'\n",
    "docs/sprint-artifacts/sprint-status.yaml": "story_location: docs/sprint-artifacts/stories\n",
    "docs/sprint-artifacts/stories/1-1-setup.md": "# Story 1.1: Setup\n\nStatus: done\n\n## Story\n",
    "docs/sprint-artifacts/stories/epic-2/2-1-devices.md": "# Story 2.1: Devices\n\n## Status: review ##\n\n## Story\n",
    "docs/sprint-artifacts/retrospectives/epic-1-retro-2025-12-28.md": "# Epic 1 Retrospective\n",
    "docs/prd.md": "# Product Requirements\n",
    "docs/project_context.md": "---\nproject_name: 'x'\nversion: '1.0'\n---\n\n# Project Context\n",
    "docs/adr/0001-x.md": NYGARD_ADR.format(n=1, title="X", status="Accepted"),
}


def test_bmad_alpha_folders_from_its_dot_bmad_settings_and_sprint_status(tmp_path: Path) -> None:
    repo = _repo(tmp_path, BMAD_ALPHA)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected BMAD's _bmad-output/ folder" in out, out + err
    assert _mirrored(repo) == {
        "story:1-1-setup": ("done", "docs/sprint-artifacts/stories/1-1-setup.md"),
        "story:2-1-devices": ("review", "docs/sprint-artifacts/stories/epic-2/2-1-devices.md"),  # ## Status: review
        "bmad-implementation:retrospectives-epic-1-retro-2025-12-28": (
            None, "docs/sprint-artifacts/retrospectives/epic-1-retro-2025-12-28.md"),
        "bmad-planning:prd": (None, "docs/prd.md"),
        "bmad-planning:project_context": (None, "docs/project_context.md"),  # its own version: '1.0'
        "adr:0001-x": ("Accepted", "docs/adr/0001-x.md"),
    }  # fmt: skip
    assert run(repo, "check")[0] == 0
    stories = "docs/sprint-artifacts/stories"
    assert _created(repo, "story", "Pairing") == f"created 2-2-pairing at {stories}/2-2-pairing.md"


CCPM_TASK = "---\nname: {name}\nstatus: {status}\ncreated: 2025-09-21T15:01:29Z\n---\n\n# Task: {name}\n"
CCPM = {
    ".claude/prds/calendar.md": "---\nname: calendar\ndescription: x\nstatus: active\n---\n\n# PRD: calendar\n",
    ".claude/epics/calendar/epic.md": "---\nname: calendar\nstatus: in-progress\n---\n\n# Epic: calendar\n",
    ".claude/epics/calendar/12.md": CCPM_TASK.format(name="Login", status="open"),
    ".claude/epics/calendar/12-analysis.md": "---\nissue: 12\n---\n\n# Analysis\n",  # no task
    ".claude/epics/calendar/github-mapping.md": "# Mapping\n",
    ".claude/epics/calendar/updates/12/progress.md": "---\nissue: 12\n---\n",
    ".claude/epics/archived/search/epic.md": "---\nname: search\nstatus: completed\n---\n",
    ".claude/epics/archived/search/3.md": CCPM_TASK.format(name="Index", status="closed"),
    ".claude/commands/pm/prd-new.md": "# a command, no record\n",
}


def test_ccpm_prds_epics_and_their_tasks(tmp_path: Path) -> None:
    repo = _repo(tmp_path, CCPM)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected CCPM's .claude/prds/ and .claude/epics/" in out, out + err
    assert _mirrored(repo) == {
        "ccpm-prd:calendar": ("active", ".claude/prds/calendar.md"),
        "ccpm-epic:calendar-epic": ("in-progress", ".claude/epics/calendar/epic.md"),
        "ccpm-task:calendar-12": ("open", ".claude/epics/calendar/12.md"),
        "ccpm-epic:search-epic": ("completed", ".claude/epics/archived/search/epic.md"),  # archived: its id kept
        "ccpm-task:search-3": ("closed", ".claude/epics/archived/search/3.md"),
    }
    assert _created(repo, "ccpm-prd", "Dark mode") == "created dark-mode at .claude/prds/dark-mode.md"
    prd = (repo.root / ".claude/prds/dark-mode.md").read_text()
    assert (
        prd.startswith("---\nname: dark-mode\ndescription: \nstatus: backlog\ncreated: 20")
        and "# PRD: Dark mode" in prd
    )
    assert _created(repo, "ccpm-epic", "Dark mode") == "created dark-mode-epic at .claude/epics/dark-mode/epic.md"
    assert _created(repo, "ccpm-prd", "No").endswith(".claude/prds/no.md")  # YAML would read a bare no as false
    assert (repo.root / ".claude/prds/no.md").read_text().startswith('---\nname: "no"\n')
    assert (repo.root / ".claude/epics/dark-mode/epic.md").read_text().startswith("---\nname: dark-mode\nstatus:")
    code, out, err = run(repo, "new", "ccpm-task", "Wire it")  # CCPM names a task by its GitHub issue
    assert code == 1 and "a ccpm-task's name follows a pattern `new` cannot fill (.claude/epics/" in err, out + err
    assert run(repo, "check")[0] == 0


def test_bmad_stories_only_in_their_folder_or_its_epic_folders_and_a_stale_story_location(tmp_path: Path) -> None:
    impl = "_bmad-output/implementation-artifacts"
    repo = _repo(tmp_path, {
        "_bmad/bmm/config.yaml": "project_name: x\n",
        f"{impl}/sprint-status.yaml": 'story_location: "{project-root}/_bmad-output/sprint-artifacts"\n',  # gone
        f"{impl}/1-1-setup.md": "# Story 1.1: Setup\n\nStatus: done\n",
        f"{impl}/archive/1-1-setup.md": "# Story 1.1: Setup\n\nStatus: draft\n",  # an old copy, no story
        f"{impl}/research/3-2-1-backup-rule.md": "# The 3-2-1 backup rule\n",
    })  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0, out + err
    assert {key: path for key, (_, path) in _mirrored(repo).items()} == {
        "story:1-1-setup": f"{impl}/1-1-setup.md",
        "bmad-implementation:archive-1-1-setup": f"{impl}/archive/1-1-setup.md",
        "bmad-implementation:research-3-2-1-backup-rule": f"{impl}/research/3-2-1-backup-rule.md",
    }
    assert _created(repo, "story", "Login") == f"created 1-2-login at {impl}/1-2-login.md"


def test_a_fresh_bmad_project_puts_its_first_story_where_sprint_status_says(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {
        ".bmad/bmm/config.yaml": "sprint_artifacts: '{project-root}/docs/sprint-artifacts'\n",
        "docs/sprint-artifacts/sprint-status.yaml": "story_location: docs/sprint-artifacts/stories\n",
    })  # fmt: skip
    assert run(repo, "init")[0] == 0  # no story yet (Git keeps no empty folder): the setting stands
    stories = "docs/sprint-artifacts/stories"
    assert _created(repo, "story", "Setup") == f"created 1-1-setup at {stories}/1-1-setup.md"


def test_bmad_stories_in_epic_folders_make_a_stale_story_location_stale_too(tmp_path: Path) -> None:
    impl = "_bmad-output/implementation-artifacts"
    repo = _repo(tmp_path, {
        "_bmad/bmm/config.yaml": "project_name: x\n",
        f"{impl}/sprint-status.yaml": 'story_location: "{project-root}/_bmad-output/gone"\n',
        f"{impl}/epic-1/1-1-setup.md": "# Story 1.1: Setup\n\nStatus: done\n",
        f"{impl}/epic-2/2-1-login.md": "# Story 2.1: Login\n\nStatus: draft\n",
    })  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert set(_mirrored(repo)) == {"story:1-1-setup", "story:2-1-login"}


def test_kiro_features_named_by_title_alone_get_a_folder_named_so(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {f".kiro/specs/{name}/requirements.md": "# Requirements Document\n"
                            for name in ("user-login", "photo-upload", "2fa-setup")})  # fmt: skip
    assert run(repo, "init")[0] == 0
    assert (
        _created(repo, "kiro-requirements", "Offline mode")
        == "created offline-mode-requirements at .kiro/specs/offline-mode/requirements.md"
    )


def test_a_spec_kit_plan_for_a_new_feature_takes_a_number_no_feature_has(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SPEC_KIT)  # 001-albums has a plan, 002-login only its spec
    assert run(repo, "init")[0] == 0
    assert _created(repo, "spec-plan", "Payments") == "created 003-payments-plan at specs/003-payments/plan.md"


SUPERPOWERS = {
    "docs/superpowers/plans/2026-03-11-zero-dep-server.md": "# Zero-Dep Server Implementation Plan\n\n"
    "**Goal:** One file.\n\n---\n\n### Task 1: Frames\n\n- [ ] **Step 1: Write the failing test**\n",
    "docs/superpowers/plans/2026-04-06-worktree-rototill.md": "# Worktree Rototill Implementation Plan\n",
    "docs/superpowers/specs/2026-03-11-zero-dep-server-design.md": "# Zero-Dep Server\n\nReplace the vendored code.\n",
    "docs/superpowers/specs/2026-04-06-worktree-rototill-design.md": "# Worktree Rototill: Detect\n\n"
    "**Status:** Draft\n\n## Goal\n",
    "docs/superpowers/specs/2026-05-05-prose-design.md": "# Prose\n\n**Date:** 2026-05-05\n**Status:** Approved\n",
    "docs/superpowers/specs/2026-07-06-workspace-eval-results.md": "# Workspace: eval results\n\nNumbers.\n",
    "docs/plans/2025-11-22-opencode-support.md": "# OpenCode Support Implementation Plan\n",  # before docs/superpowers/
}


def test_superpowers_plans_and_design_specs_dated_and_without_frontmatter(tmp_path: Path) -> None:
    repo = _repo(tmp_path, SUPERPOWERS)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected Superpowers' docs/superpowers/ folder" in out and "plan 3 files, design 4 files" in out, out
    mirrored = _mirrored(repo)
    assert mirrored["design:2026-04-06-worktree-rototill-design"][0] == "Draft"
    assert mirrored["plan:2026-03-11-zero-dep-server"][1] == "docs/superpowers/plans/2026-03-11-zero-dep-server.md"
    today = datetime.date.today().isoformat()
    # a new plan goes where Superpowers writes them, named by the day, in its layout: steps to tick
    assert _created(repo, "plan", "Offline mode") == (
        f"created {today}-offline-mode at docs/superpowers/plans/{today}-offline-mode.md"
    )
    text = (repo.root / f"docs/superpowers/plans/{today}-offline-mode.md").read_text()
    assert text.startswith("# Offline mode\n\n**Goal:**") and "- [ ] **Step 1:" in text and "---\nid:" not in text
    # a design spec ends in -design as most of the folder's names do (the one eval result does not)
    assert _created(repo, "design", "Offline mode") == (
        f"created {today}-offline-mode-design at docs/superpowers/specs/{today}-offline-mode-design.md"
    )
    assert _mirrored(repo)[f"design:{today}-offline-mode-design"][0] == "Draft"
    assert _created(repo, "design", "Sync design").endswith(f"specs/{today}-sync-design.md")  # not -design-design
    code, out, err = run(repo, "check")
    assert code == 0, out + err
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


OPENSPEC = {
    "openspec/config.yaml": "schema: team-flow  # ours\n",
    "openspec/specs/cli-init/spec.md": "# CLI Init Specification\n\n## Purpose\n\nx\n\n## Requirements\n",
    "openspec/specs/stage-progression/spec.md": "# Stage Progression Specification\n\n## Purpose\n",
    "openspec/changes/archive/2026-04-08-extend-stage/proposal.md": "## Why\n\nLonger stages.\n\n## What Changes\n",
    "openspec/changes/archive/2026-04-08-extend-stage/tasks.md": "## 1. Stages\n\n- [x] 1.1 Longer\n",
    "openspec/changes/archive/2026-04-08-extend-stage/design.md": "## Context\n\nx\n",
    "openspec/changes/archive/2026-04-08-extend-stage/.openspec.yaml": "schema: spec-driven\ncreated: 2026-04-08\n",
    "openspec/changes/archive/2026-04-08-extend-stage/specs/stage-progression/spec.md": "## MODIFIED Requirements\n",
}


def test_openspec_changes_and_capabilities_a_type_per_document(tmp_path: Path) -> None:
    repo = _repo(tmp_path, OPENSPEC)  # every change archived, none live yet
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected OpenSpec's openspec/ folder" in out, out
    assert "proposal 1 file, change-design 1 file, change-tasks 1 file, change-spec 1 file, capability 2 files" in out
    assert set(_mirrored(repo)) == {
        "proposal:2026-04-08-extend-stage-proposal", "change-tasks:2026-04-08-extend-stage-tasks",
        "change-design:2026-04-08-extend-stage-design", "capability:cli-init-spec", "capability:stage-progression-spec",
        "change-spec:2026-04-08-extend-stage-specs-stage-progression-spec",
    }  # fmt: skip
    # a new change is a folder named by its title, its documents in OpenSpec's sections, and the
    # change's metadata with the schema the project's config names
    assert _created(repo, "proposal", "Add dark mode") == (
        "created add-dark-mode-proposal at openspec/changes/add-dark-mode/proposal.md"
    )
    change = repo.root / "openspec/changes/add-dark-mode"
    assert (change / "proposal.md").read_text().startswith("# Add dark mode\n\n## Why\n")
    assert (change / ".openspec.yaml").read_text() == f"schema: team-flow\ncreated: {datetime.date.today()}\n"
    assert _created(repo, "change-tasks", "Add dark mode").endswith("openspec/changes/add-dark-mode/tasks.md")
    assert "## 1. " in (change / "tasks.md").read_text() and "- [ ] 1.1 " in (change / "tasks.md").read_text()
    assert _created(repo, "change-design", "Add dark mode").endswith("openspec/changes/add-dark-mode/design.md")
    assert "## Goals / Non-Goals" in (change / "design.md").read_text()
    assert _created(repo, "capability", "Dark mode") == "created dark-mode-spec at openspec/specs/dark-mode/spec.md"
    spec = (repo.root / "openspec/specs/dark-mode/spec.md").read_text()
    assert "## Requirements" in spec and "#### Scenario:" in spec
    # a change folder made by someone else keeps what it has: no metadata added to it
    repo.write("openspec/changes/fix-login/proposal.md", "## Why\n\nIt fails.\n")
    assert _created(repo, "change-tasks", "Fix login").endswith("openspec/changes/fix-login/tasks.md")
    assert not (repo.root / "openspec/changes/fix-login/.openspec.yaml").exists()
    code, out, err = run(repo, "check")
    assert code == 0, out + err
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


AGENT_OS_V1_SPEC = (
    "# Spec Requirements Document\n\n> Spec: {title}\n> Created: 2025-07-29\n> Status: {status}\n\n## Overview\n"
)
AGENT_OS = {
    ".agent-os/product/mission.md": "# Product Mission\n\n> Last Updated: 2025-07-29\n> Version: 1.0.0\n\n## Pitch\n",
    ".agent-os/product/roadmap.md": "# Product Roadmap\n\n> Last Updated: 2025-07-29\n> Status: Phase 2\n",
    ".agent-os/specs/2025-07-25-basic-tui/spec.md": AGENT_OS_V1_SPEC.format(title="Basic TUI", status="Completed"),
    ".agent-os/specs/2025-07-25-basic-tui/tasks.md": "# Spec Tasks\n\n> Created: 2025-07-25\n> Status: Completed\n",
    ".agent-os/specs/2025-07-25-basic-tui/sub-specs/technical-spec.md": "# Technical Specification\n\nx\n",
    ".agent-os/specs/2025-07-29-maildir/spec.md": AGENT_OS_V1_SPEC.format(title="Maildir Support", status="Planning"),
    "agent-os/specs/2026-01-15-1430-comments/plan.md": "# Comment system\n\n## Task 1: Save Spec Documentation\n",
    "agent-os/specs/2026-01-15-1430-comments/shape.md": "# Comment system — Shaping Notes\n\n## Scope\n",
    "agent-os/specs/2026-02-02-0915-search/plan.md": "# Search\n\n## Task 1: Save Spec Documentation\n",
    "agent-os/standards/api/errors.md": "# Errors\n",
}


def test_agent_os_spec_folders_of_both_versions_and_the_product_documents(tmp_path: Path) -> None:
    repo = _repo(tmp_path, AGENT_OS)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected Agent OS's spec folders" in out, out
    assert (
        "agent-os-spec 2 files, agent-os-tasks 1 file, agent-os-sub-spec 1 file, agent-os-product 2 files, "
        "agent-os-plan 2 files, agent-os-shape 1 file" in out
    ), out
    mirrored = _mirrored(repo)
    assert mirrored["agent-os-spec:2025-07-29-maildir-spec"][0] == "Planning"
    assert mirrored["agent-os-tasks:2025-07-25-basic-tui-tasks"][0] == "Completed"
    assert "agent-os-sub-spec:2025-07-25-basic-tui-sub-specs-technical-spec" in mirrored
    assert mirrored["agent-os-product:roadmap"] == ("Phase 2", ".agent-os/product/roadmap.md")
    # the first version: a folder named by today, the spec in its layout, its tasks beside it
    today = datetime.date.today().isoformat()
    assert _created(repo, "agent-os-spec", "Offline mode") == (
        f"created {today}-offline-mode-spec at .agent-os/specs/{today}-offline-mode/spec.md"
    )
    spec = (repo.root / f".agent-os/specs/{today}-offline-mode/spec.md").read_text()
    assert spec.startswith("# Spec Requirements Document\n\n> Spec: Offline mode\n") and "> Status: Planning" in spec
    assert _mirrored(repo)[f"agent-os-spec:{today}-offline-mode-spec"][0] == "Planning"
    assert _created(repo, "agent-os-tasks", "Offline mode").endswith(f".agent-os/specs/{today}-offline-mode/tasks.md")
    tasks = (repo.root / f".agent-os/specs/{today}-offline-mode/tasks.md").read_text()
    assert f"@.agent-os/specs/{today}-offline-mode/spec.md" in tasks and "- [ ] 1." in tasks
    # today's version names its folders by the minute as well; the shape goes beside the plan
    created = _created(repo, "agent-os-plan", "Dark mode")
    folder = created.split(" at ")[1].rpartition("/")[0]
    assert re.fullmatch(rf"agent-os/specs/{today}-[0-2][0-9][0-5][0-9]-dark-mode", folder), created
    assert (repo.root / folder / "plan.md").read_text().startswith("# Dark mode\n\n## Task 1: Save Spec Documentation")
    assert _created(repo, "agent-os-shape", "Dark mode").endswith(f"{folder}/shape.md")
    code, out, err = run(repo, "check")
    assert code == 0, out + err
    _exported_byte_for_byte(repo, tmp_path, sorted(path for _, path in _mirrored(repo).values()))


def test_openspec_new_documents_never_go_into_an_archived_change_or_the_archive_itself(tmp_path: Path) -> None:
    files = {**OPENSPEC, "openspec/config.yaml": "\ufeffschema: tdd\r\n"}  # a BOM, CRLF: the schema still read
    files["openspec/changes/archive/2026-04-09-other/design.md"] = "## Context\n"  # keeps a design type
    del files["openspec/changes/archive/2026-04-08-extend-stage/design.md"]
    repo = _repo(tmp_path, files)
    assert run(repo, "init")[0] == 0
    # the archived change of that title lacks its design: a live change of its own gets it
    assert _created(repo, "change-design", "Extend stage") == (
        "created extend-stage-design at openspec/changes/extend-stage/design.md"
    )
    assert (repo.root / "openspec/changes/extend-stage/.openspec.yaml").read_text().startswith("schema: tdd\n")
    assert not (repo.root / "openspec/changes/archive/2026-04-08-extend-stage/design.md").exists()
    code, _, err = run(repo, "new", "proposal", "Archive")
    assert code != 0 and "would take the folder openspec/changes/archive/" in err, err
    assert not (repo.root / "openspec/changes/archive/proposal.md").exists()


def test_a_second_document_goes_into_the_latest_folder_of_its_topic(tmp_path: Path) -> None:
    old = ".agent-os/specs/2025-01-01-sync"
    repo = _repo(tmp_path, {f"{old}/spec.md": AGENT_OS_V1_SPEC.format(title="Sync", status="Done"),
                            ".agent-os/specs/2025-02-02-other/tasks.md": "# Spec Tasks\n"})  # fmt: skip
    assert run(repo, "init")[0] == 0
    today = datetime.date.today().isoformat()
    assert _created(repo, "agent-os-spec", "Sync").endswith(f".agent-os/specs/{today}-sync/spec.md")
    assert _created(repo, "agent-os-tasks", "Sync").endswith(f".agent-os/specs/{today}-sync/tasks.md")  # not {old}/


def test_a_superpowers_spec_ends_in_design_however_few_specs_there_are(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"docs/superpowers/specs/2026-03-11-offline-design.md": "# Offline\n\nx\n"})
    assert run(repo, "init")[0] == 0
    today = datetime.date.today().isoformat()
    assert _created(repo, "design", "Sync protocol").endswith(f"docs/superpowers/specs/{today}-sync-protocol-design.md")


def test_both_agent_os_product_folders_get_a_type_each(tmp_path: Path) -> None:
    mission = "# Product Mission\n\n> Last Updated: 2025-07-29\n> Version: 1.0.0\n"
    repo = _repo(tmp_path, {".agent-os/product/mission.md": mission, "agent-os/product/mission.md": mission})
    code, out, err = run(repo, "init")
    assert code == 0 and "agent-os-v1-product 1 file, agent-os-product 1 file" in out, out + err
    assert set(_mirrored(repo)) == {"agent-os-v1-product:mission", "agent-os-product:mission"}


RFCS = {
    "docs/rfcs/0000-template.md": "# RFC 0000: Title\n\n**Status**: Draft | Accepted\n",
    "docs/rfcs/0001-batch-insert-api.md": "# RFC 0001: Batch insert API\n\n**Status**: Accepted\n\n## Summary\n\nx\n",
    "docs/rfcs/0002-window-service.md": "# RFC 0002: Window service\n\n**Status**: Draft\n\n## Summary\n\ny\n",
    "docs/rfcs/README.md": "# RFCs\n\nHow we propose changes.\n",
}


def test_rfc_folders_are_found_and_new_numbers_the_next_rfc_with_its_sections(tmp_path: Path) -> None:
    repo = _repo(tmp_path, RFCS)
    code, out, err = run(repo, "init")
    assert code == 0, err
    assert "detected RFC folders" in out and "rfc 2 files" in out, out  # README and the template are no records
    assert {key: status for key, (status, _) in _mirrored(repo).items()} == {
        "rfc:0001-batch-insert-api": "Accepted", "rfc:0002-window-service": "Draft"}  # fmt: skip
    assert _created(repo, "rfc", "Event bridge") == "created 0003-event-bridge at docs/rfcs/0003-event-bridge.md"
    text = (repo.root / "docs/rfcs/0003-event-bridge.md").read_text()
    # the latest record's heading and labels, then the sections an RFC has
    assert text.startswith("# Event bridge\n\n**Created**: ") and "**Status**: Draft\n\n## Summary\n" in text
    assert "## Motivation" in text and "## Alternatives" in text and "---" not in text
    code, out, err = run(repo, "check")
    assert code == 0, out + err


def test_an_rfc_beside_madr_style_bullets_keeps_the_bullets_and_gets_an_rfcs_sections(tmp_path: Path) -> None:
    bullets = "# RFC {n}: {title}\n\n- Status: Accepted\n- Related: none\n\n## Decision\n\nx\n"
    repo = _repo(tmp_path, {f"docs/rfcs/000{n}-r{n}.md": bullets.format(n=n, title=f"R{n}") for n in (1, 2)})
    assert run(repo, "init")[0] == 0
    assert _created(repo, "rfc", "Event bridge") == "created 0003-event-bridge at docs/rfcs/0003-event-bridge.md"
    text = (repo.root / "docs/rfcs/0003-event-bridge.md").read_text()
    assert text.startswith("# Event bridge\n\n- Status: proposed\n") and "## Summary" in text
    assert "## Considered Options" not in text  # a decision record's sections are no RFC's


def test_new_in_an_existing_record_folder_and_openspecs_delta_specs(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {**OPENSPEC, "openspec/changes/add-dark-mode/proposal.md": "## Why\n\nDark.\n"})
    assert run(repo, "init")[0] == 0
    code, out, err = run(repo, "new", "change-spec", "Gameplay HUD", "--in", "add-dark-mode")
    assert (code, out.strip()) == (0, "created add-dark-mode-specs-gameplay-hud-spec at "
                                      "openspec/changes/add-dark-mode/specs/gameplay-hud/spec.md"), err  # fmt: skip
    delta = (repo.root / "openspec/changes/add-dark-mode/specs/gameplay-hud/spec.md").read_text()
    assert delta.startswith("## ADDED Requirements\n\n### Requirement:") and "#### Scenario:" in delta
    # a document of a change whatever its title, into the folder named
    code, out, err = run(repo, "new", "change-tasks", "Tasks for it", "--in", "add-dark-mode")
    assert out.strip().endswith("at openspec/changes/add-dark-mode/tasks.md"), out + err
    for args, message in [
        (["change-spec", "X"], "goes into a record folder of its own (openspec/changes/*/specs/**/spec.md); name it "
                               "with --in FOLDER"),
        (["change-spec", "X", "--in", "no-such-change"], "no record folder of that name (openspec/changes/no-such-"),
        (["proposal", "X", "--in", "changes"], "no record folder of that name"),  # the root's own name
        (["proposal", "X", "--in", "archive"], "no record folder of that name"),  # the archived changes' folder
        (["change-spec", "X", "--in", "../add-dark-mode"], "give the name of one folder"),
        (["plan", "X", "--in", "add-dark-mode"], "no glob has a folder per record"),
    ]:  # fmt: skip
        code, _, err = run(repo, "new", *args)
        assert code != 0 and message in err, (args, err)
    code, out, err = run(repo, "check")
    assert code == 0, out + err


def test_a_fresh_openspec_project_gets_every_kind_of_document_before_its_first_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"openspec/config.yaml": "schema: spec-driven\n"})  # `openspec init`, nothing more
    code, out, err = run(repo, "init")
    assert code == 0 and "detected OpenSpec's openspec/ folder" in out, out + err
    assert _created(repo, "proposal", "Add export").endswith("openspec/changes/add-export/proposal.md")
    code, out, err = run(repo, "new", "change-spec", "CLI", "--in", "add-export")
    assert code == 0 and out.strip().endswith("openspec/changes/add-export/specs/cli/spec.md"), out + err
    assert _created(repo, "capability", "Export").endswith("openspec/specs/export/spec.md")
    types = {t.name: t.globs for t in config_module.load(repo.root).types}
    assert "openspec/changes/archive/*/proposal.md" in types["proposal"]  # the first archive stays mirrored
    assert "openspec/changes/archive/*/specs/**/spec.md" in types["change-spec"]


def test_a_features_later_documents_have_their_types_before_the_first_of_them(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".kiro/specs/photo-albums/requirements.md": "# Requirements Document\n"})
    assert run(repo, "init")[0] == 0  # only requirements so far: the design and the tasks come next
    assert _created(repo, "kiro-design", "Photo albums").endswith(".kiro/specs/photo-albums/design.md")
    assert _created(repo, "kiro-tasks", "Photo albums").endswith(".kiro/specs/photo-albums/tasks.md")


GSD_PLAN = "---\nphase: {phase}\nplan: 01\ntype: execute\nwave: 1\ndepends_on: []\n---\n\n<objective>\nx\n</objective>"
GSD = {
    ".planning/PROJECT.md": "# Hydra\n\n## What This Is\n",
    ".planning/ROADMAP.md": "# Roadmap: Hydra\n\n- [x] **Phase 1: Foundation**\n",
    ".planning/config.json": '{"mode": "yolo"}\n',
    ".planning/research/STACK.md": "# Stack Research\n",
    ".planning/codebase/STACK.md": "# Technology Stack\n",  # the same name in another folder: another id
    ".planning/phases/01-auth/01-01-PLAN.md": GSD_PLAN.format(phase="01-auth"),  # `type: execute` is a field
    ".planning/phases/01-auth/01-01-SUMMARY.md": "---\nphase: 01-auth\nplan: 01\n---\n\n# Phase 1 Plan 01 Summary\n",
    ".planning/phases/01-auth/01-VERIFICATION.md": "---\nphase: 01-auth\nstatus: passed\n---\n\n# Phase 1 Report\n",
    ".planning/phases/01-auth/01-CONTEXT.md": "# Phase 1: Auth - Context\n\n**Status:** Ready for planning\n",
    # an archived milestone whose phases restarted at 01: its plan 01-01 is another record
    ".planning/milestones/v1.0-ROADMAP.md": "# Milestone v1.0\n",
    ".planning/milestones/v1.0-phases/01-foundation/01-01-PLAN.md": GSD_PLAN.format(phase="01-foundation"),
    ".planning/quick/001-fix-typo/001-PLAN.md": GSD_PLAN.format(phase="quick"),
    ".planning/todos/pending/2026-01-20-add-retry.md": "---\ncreated: 2026-01-20T10:00:00Z\ntitle: Add retry\n---\n",
    ".planning/debug/resolved/login-loop.md": "---\nstatus: resolved\ntrigger: login loops\n---\n\n# Debug\n",
    ".planning/tmp/verify-01.md": "# scratch\n",
    ".planning/STATE.md": "---\nstatus: executing\n---\n\n# Project State\n",  # GSD's working state, no record
    ".planning/phases/01-auth/.continue-here.md": "---\nstatus: in_progress\n---\n",
    ".planning/debug/knowledge-base.md": "# Debug knowledge base\n",  # a document of resolved sessions
    ".planning/workstreams/mobile/phases/01-app/01-01-PLAN.md": GSD_PLAN.format(phase="01-app"),
    ".planning/workstreams/mobile/todos/pending/2026-01-21-offline.md": "---\ntitle: Offline\n---\n",
}


def test_get_shit_done_planning_folder(tmp_path: Path) -> None:
    repo = _repo(tmp_path, GSD)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected Get Shit Done's .planning/ folder" in out, out + err
    phases, archived = ".planning/phases/01-auth", ".planning/milestones/v1.0-phases/01-foundation"
    assert _mirrored(repo) == {
        "gsd-doc:PROJECT": (None, ".planning/PROJECT.md"),
        "gsd-doc:ROADMAP": (None, ".planning/ROADMAP.md"),
        "gsd-doc:research-STACK": (None, ".planning/research/STACK.md"),
        "gsd-doc:codebase-STACK": (None, ".planning/codebase/STACK.md"),
        "gsd-doc:milestones-v1.0-ROADMAP": (None, ".planning/milestones/v1.0-ROADMAP.md"),
        "gsd-plan:01-auth-01-01-PLAN": (None, f"{phases}/01-01-PLAN.md"),
        "gsd-plan:v1.0-phases-01-foundation-01-01-PLAN": (None, f"{archived}/01-01-PLAN.md"),
        "gsd-summary:01-auth-01-01-SUMMARY": (None, f"{phases}/01-01-SUMMARY.md"),
        "gsd-phase:01-auth-01-VERIFICATION": ("passed", f"{phases}/01-VERIFICATION.md"),
        "gsd-phase:01-auth-01-CONTEXT": ("Ready for planning", f"{phases}/01-CONTEXT.md"),
        "gsd-quick:001-fix-typo-001-PLAN": (None, ".planning/quick/001-fix-typo/001-PLAN.md"),
        "gsd-todo:2026-01-20-add-retry": (None, ".planning/todos/pending/2026-01-20-add-retry.md"),
        "gsd-debug:login-loop": ("resolved", ".planning/debug/resolved/login-loop.md"),
        "gsd-doc:debug-knowledge-base": (None, ".planning/debug/knowledge-base.md"),
        "gsd-plan:mobile-phases-01-app-01-01-PLAN": (None, ".planning/workstreams/mobile/phases/01-app/01-01-PLAN.md"),
        "gsd-todo:2026-01-21-offline": (None, ".planning/workstreams/mobile/todos/pending/2026-01-21-offline.md"),
    }
    with Mirror.open(config_module.load(repo.root)) as mirror:
        plan = mirror.fields("gsd-plan:01-auth-01-01-PLAN")
    assert plan["type"] == "execute" and plan["wave"] == 1
    created = _created(repo, "gsd-todo", "Fix login: redirect")
    day = datetime.date.today().isoformat()
    assert created == f"created {day}-fix-login-redirect at .planning/todos/pending/{day}-fix-login-redirect.md"
    todo = (repo.root / f".planning/todos/pending/{day}-fix-login-redirect.md").read_text()
    assert todo.startswith(f"---\ncreated: {day}T") and '\ntitle: "Fix login: redirect"\narea: ' in todo
    assert "\n## Problem\n" in todo and "\n## Solution\n" in todo
    assert _created(repo, "gsd-debug", "Login loops") == "created login-loops at .planning/debug/login-loops.md"
    long = _created(repo, "gsd-debug", "Login fails on mobile Safari after the update")  # GSD reads 30 characters
    assert long == "created login-fails-on-mobile-safari-a at .planning/debug/login-fails-on-mobile-safari-a.md"
    session = (repo.root / ".planning/debug/login-loops.md").read_text()
    assert session.startswith("---\nstatus: gathering\ntrigger: Login loops\ncreated: ") and "\nid:" not in session
    for tool_named in ("gsd-plan", "gsd-summary", "gsd-phase", "gsd-quick"):  # GSD's commands name these
        code, out, err = run(repo, "new", tool_named, "Wire the API")
        assert code == 1 and f"a {tool_named}'s name follows a pattern `new` cannot fill (.planning/" in err, out + err
    done = ".planning/todos/completed/2026-01-20-add-retry.md"  # GSD's check-todos moves a todo when work starts
    (repo.root / ".planning/todos/completed").mkdir()
    (repo.root / ".planning/todos/pending/2026-01-20-add-retry.md").rename(repo.root / done)
    code, out, err = run(repo, "mirror")
    assert code == 0 and "1 renamed" in out, out + err
    assert _mirrored(repo)["gsd-todo:2026-01-20-add-retry"] == (None, done)
    assert run(repo, "check")[0] == 0


def test_a_planning_folder_of_another_kind_is_no_gsd_project(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".planning/notes.md": "# Notes\n", "docs/plans/p.md": "# P\n"})
    code, out, err = run(repo, "init")
    assert code == 0 and "Get Shit Done" not in out, out + err


def test_a_track_archived_by_copying_is_named_as_a_copy_left_behind(tmp_path: Path) -> None:
    spec = "# Specification: Refine\n"
    repo = _repo(tmp_path, {**CONDUCTOR, "conductor/tracks/refine_20260417/spec.md": spec,
                            "conductor/archive/refine_20260417/spec.md": spec})  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 1 and "mirrored 3 artifacts" in out, out + err  # the rest is mirrored; the two copies refused
    assert "conductor-spec:refine_20260417-spec" not in _mirrored(repo)
    code, out, err = run(repo, "check")
    hint = "the id comes from their names: rename or remove one of them"
    assert code == 1 and "duplicate id 'refine_20260417-spec' (type conductor-spec)" in out + err, out + err
    assert hint in out + err
    (repo.root / "conductor/tracks/refine_20260417/spec.md").unlink()  # the stale copy
    assert run(repo, "check")[0] == 0 and "conductor-spec:refine_20260417-spec" in _mirrored(repo)


def test_bmad_stories_moved_into_epic_folders_after_init_are_still_stories(tmp_path: Path) -> None:
    impl = "_bmad-output/implementation-artifacts"
    repo = _repo(tmp_path, {"_bmad/bmm/config.yaml": "project_name: x\n", f"{impl}/1-1-setup.md": "# Story 1.1\n"})
    assert run(repo, "init")[0] == 0
    repo.write(f"{impl}/epic-2/2-1-login.md", "# Story 2.1: Login\n\nStatus: drafted\n")
    assert run(repo, "mirror")[0] == 0
    assert _mirrored(repo)["story:2-1-login"] == ("drafted", f"{impl}/epic-2/2-1-login.md")


def test_folder_readmes_among_the_default_folders_are_no_plans(tmp_path: Path) -> None:
    """Two folders' README.md were the plan 'README' twice: init's first scan failed on a valid repository."""
    repo = _repo(tmp_path, {"docs/plans/README.md": "# Plans Directory\n", "docs/plans/a.md": "# A plan\n",
                            "docs/plans/completed/README.md": "# Completed plans\n",
                            "docs/plans/tech-debt-tracker.md": "# Tech debt\n\n- [ ] one\n"})  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0 and "duplicate" not in err, out + err
    assert _mirrored(repo) == {"plan:a": (None, "docs/plans/a.md")}


def test_records_named_like_folder_files_stay_records_and_root_folders_are_seen(tmp_path: Path) -> None:
    """A runbook called security.md or changes.md, a folder's index.md: records (the review found them
    dropped); plans/ at the root, which init's layout listing does not walk, has its READMEs left out too."""
    names = ("deploy", "security", "changes", "email-template", "restore/index")
    runbooks = {f"docs/runbooks/{name}.md": f"# {name}\n" for name in names}
    plans = {"plans/README.md": "# Plans\n", "plans/archive/README.md": "# Archive\n", "plans/one.md": "# One\n"}
    repo = _repo(tmp_path, {**runbooks, "docs/runbooks/README.md": "# Runbooks\n", **plans})
    code, out, err = run(repo, "init")
    assert code == 0, out + err
    mirrored = _mirrored(repo)
    assert sorted(path for _, path in mirrored.values()) == sorted([*runbooks, "plans/one.md"])


def test_a_readme_that_states_its_id_stays_a_record(tmp_path: Path) -> None:
    records = {f"plans/{name}/README.md": f"---\nid: PLAN-000{n}\n---\n" for n, name in enumerate("xy", 1)}
    repo = _repo(tmp_path, {**records, "plans/z.md": "---\nid: PLAN-0003\n---\n# Z\n"})
    assert run(repo, "init")[0] == 0
    assert sorted(_mirrored(repo)) == ["plan:PLAN-0001", "plan:PLAN-0002", "plan:PLAN-0003"]


@pytest.mark.parametrize("template", ["0000-template.md", "text/0000-template.md"])
def test_rfcs_in_text_beside_their_template_are_found_and_numbered(tmp_path: Path, template: str) -> None:
    """Rust's, Ember's, OpenTelemetry's and Cedar's RFC process: init found nothing (0 artifacts)."""
    repo = _repo(tmp_path, {template: "# RFC Template (Fill in your title here)\n\n## Summary\n",
                            "text/0001-foo.md": "# Foo\n\n## Summary\n", "text/0002-bar.md": "# Bar\n"})  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0 and "detected RFCs in text/" in out, out + err
    assert _mirrored(repo) == {"rfc:0001-foo": (None, "text/0001-foo.md"), "rfc:0002-bar": (None, "text/0002-bar.md")}
    assert _created(repo, "rfc", "Dark mode") == "created 0003-dark-mode at text/0003-dark-mode.md"


def test_a_text_folder_without_the_rfc_template_is_no_rfcs(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"text/0001-intro.md": "# Intro\n", "text/0002-more.md": "# More\n"})
    assert run(repo, "init")[0] == 0 and _mirrored(repo) == {}


@pytest.mark.parametrize("home", ["memory", "memory-bank"])
def test_a_memory_bank_has_its_tasks_and_designs(tmp_path: Path, home: str) -> None:
    """The memory bank the widely copied memory-bank.instructions.md keeps: init found one plan, or none,
    in a repository of 55 tasks and designs. Its context files and the tasks' index are no records."""
    repo = _repo(tmp_path, {
        f"{home}/projectbrief.md": "# Project brief\n", f"{home}/activeContext.md": "# Active context\n",
        f"{home}/tasks/_index.md": "# Tasks Index\n\n## Completed\n\n- [TASK001] Setup\n",
        f"{home}/tasks/TASK001-setup.md": "# TASK001 - Setup\n\n**Status:** Completed  \n**Added:** 2025-10-13\n",
        f"{home}/tasks/TASK002-dark-mode.md": "# TASK002 - Dark mode\n\nStatus: In Progress\n",
        f"{home}/designs/DESIGN001-architecture.md": "# DESIGN001 - Architecture\n\n**Status:** Draft\n",
    })  # fmt: skip
    code, out, err = run(repo, "init")
    assert code == 0 and f"the memory bank's {home}/" in out, out + err
    assert _mirrored(repo) == {
        "task:TASK001-setup": ("Completed", f"{home}/tasks/TASK001-setup.md"),
        "task:TASK002-dark-mode": ("In Progress", f"{home}/tasks/TASK002-dark-mode.md"),
        "design:DESIGN001-architecture": ("Draft", f"{home}/designs/DESIGN001-architecture.md"),
    }


def test_a_folder_named_memory_without_a_bank_is_left_alone(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"memory/tasks/notes.md": "# Notes\n", "memory/allocator.md": "# Allocator\n"})
    code, out, err = run(repo, "init")
    assert code == 0 and "memory bank" not in out, out + err
