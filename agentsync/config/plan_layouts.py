"""Where AI coding assistants save the plans and task lists they write, as init recognises them:
Cursor's Plan Mode (``.cursor/plans/``), Claude Code's plan mode (the folder its settings name),
Codex's ExecPlans (beside ``.agent/PLANS.md``), the harness layout's (``docs/exec-plans/``), HumanLayer's
``thoughts/``, the Ralph loop's ``specs/``, and the ai-dev-tasks prompts' PRDs and task lists
(``tasks/prd-*.md``, ``tasks/tasks-*.md``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from agentsync.config.layout_parts import Detected, is_no_record, not_records, under
from agentsync.config.model import TypeConfig

# Cursor's Plan Mode: a plan saved to the workspace is .cursor/plans/<name>_<8 hex digits>.plan.md, its
# frontmatter the plan's name, overview and todos (each with its status), the plan as Markdown below;
# teams move finished plans to a folder below (.cursor/plans/archive/). Other files there (a README, the
# team's templates) are no plans. A plan is named by its file, which a move keeps.
CURSOR_PLANS = ".cursor/plans"


def cursor(paths: list[str]) -> Detected | None:
    """Cursor's saved plans: one type named by their files, wherever below ``.cursor/plans/`` they are."""
    if not any(path.endswith(".plan.md") for path in under(paths, CURSOR_PLANS)):
        return None
    exclude = (*not_records(under(paths, CURSOR_PLANS)), f"{CURSOR_PLANS}/templates/**", "*template*.plan.md")
    types = (TypeConfig("cursor-plan", (f"{CURSOR_PLANS}/**/*.plan.md",), "PLAN", exclude=exclude, id_from="filename"),)
    return Detected("Cursor's saved plans in .cursor/plans/", types)


# Claude Code's plan mode writes each plan (a Markdown file with a random name, wiggly-bouncing-otter.md)
# to ~/.claude/plans/ unless the project's settings name a folder of their own, where a team keeps and
# commits them: "plansDirectory": ".claude/plans" in .claude/settings.json, relative to the project.
CLAUDE_SETTINGS = ".claude/settings.json"
_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


def claude_plans_folder(settings: Mapping[str, str]) -> str | None:
    """The plans folder Claude Code's shared settings name, where it is one inside the repository
    (``./.claude/plans/`` as ``.claude/plans``); None for none, a folder outside, or settings it cannot read."""
    try:
        value = json.loads(settings.get(CLAUDE_SETTINGS, "{}")).get("plansDirectory")
    except (ValueError, AttributeError):  # no JSON, or no object: Claude Code ignores them too
        return None
    if not isinstance(value, str):
        return None
    parts = [part for part in value.strip().replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or value.strip().startswith(("/", "~")) or ":" in parts[0] or ".." in parts:
        return None  # the user's home, another drive, or above the repository: no folder of its own
    if any(not part.isprintable() or _GLOB_CHARS.search(part) or part != part.strip() for part in parts):
        return None  # a control character (it would end up in agentsync.yaml), a glob's wildcard
    return None if parts[0].lower() in (".git", ".agentsync") else "/".join(parts)


def claude_plans(paths: list[str], settings: Mapping[str, str] | None = None) -> Detected | None:
    """Claude Code's plans, where its settings keep them in the repository: plans of the ``plan`` type,
    the folder's own files (plan mode writes there, never below: ``.claude/`` keeps its commands in
    folders of their own), the folder's README and such excluded; before the first is written."""
    folder = claude_plans_folder(settings or {})
    if folder is None:
        return None
    inside = [path for path in under(paths, folder) if "/" not in path[len(folder) + 1 :]]
    types = (TypeConfig("plan", (f"{folder}/*.md",), "PLAN", exclude=not_records(inside)),)
    return Detected(f"Claude Code's plans folder, {folder}/ (plansDirectory in {CLAUDE_SETTINGS})", types)


# The ai-dev-tasks prompts (create-prd, generate-tasks; run from Cursor, Claude Code, Amp, ...) save a PRD
# as tasks/prd-[feature].md (once [n]-prd-[feature].md, 0001-prd-login.md) and its task list, a checklist
# of parent tasks and sub-tasks, as tasks/tasks-[feature].md (once tasks-prd-[feature].md). Teams move the
# folder (docs/tasks/, .ai/tasks/), some with the PRDs in a folder beside it (docs/prd/prd-login.md).
AI_DEV_TASKS = ("tasks", "docs/tasks", ".docs/tasks", ".ai/tasks")
PRD_NAMES, TASK_LIST_NAMES = ("prd-*.md", "[0-9]*-prd-*.md"), ("tasks-*.md",)
_PRD_NAME = re.compile(r"(?:[0-9]+-)?prd-.+\.md")


def ai_dev_tasks(paths: list[str]) -> Detected | None:
    """ai-dev-tasks' PRDs and task lists, two types named by their files (``prd-login``, ``tasks-login``),
    in each folder of ``AI_DEV_TASKS`` that holds either (and the PRD folder beside it)."""
    prds: list[str] = []
    lists: list[str] = []
    for folder in AI_DEV_TASKS:
        names = [path[len(folder) + 1 :] for path in under(paths, folder) if "/" not in path[len(folder) + 1 :]]
        has_prds = any(_PRD_NAME.fullmatch(name) and not is_no_record(name) for name in names)
        has_lists = any(name.startswith("tasks-") and name.endswith(".md") and not is_no_record(name) for name in names)
        if not has_prds and not has_lists:
            continue
        prds += [f"{folder}/{name}" for name in PRD_NAMES]
        lists += [f"{folder}/{name}" for name in TASK_LIST_NAMES]
        beside = f"{folder.rpartition('/')[0]}/prd".lstrip("/")
        if any(_PRD_NAME.fullmatch(path.rpartition("/")[2]) for path in under(paths, beside)):
            prds += [f"{beside}/{name}" for name in PRD_NAMES]
    if not prds:
        return None
    types = (TypeConfig("prd", tuple(prds), "PRD", exclude=("*template*",), id_from="filename"),
             TypeConfig("task-list", tuple(lists), "TASKS", exclude=("*template*",), id_from="filename"))  # fmt: skip
    return Detected("ai-dev-tasks' PRDs and task lists", types)


# Codex's ExecPlans (OpenAI's cookbook): .agent/PLANS.md (or .agents/PLANS.md) says how an ExecPlan is written
# (or indexes them), and the plans, living documents with their Progress, Decision Log and Outcomes sections,
# are kept beside it in execplans/ or plans/ (active/ and archive/ below, in some teams), named by their topic.
EXECPLAN_HOMES = (".agent", ".agents")
EXECPLAN_FOLDERS = ("execplans", "plans")


def codex_execplans(paths: list[str]) -> Detected | None:
    """Codex's ExecPlans, where ``.agent/PLANS.md`` or ``.agents/PLANS.md`` is: one type named by their
    files, in the folders of ``EXECPLAN_FOLDERS`` beside it that hold plans (``execplans/`` before the first)."""
    homes = [home for home in EXECPLAN_HOMES if f"{home}/PLANS.md" in paths]
    if not homes:
        return None
    globs: list[str] = []
    inside: list[str] = []
    for home in homes:
        folders = [f"{home}/{name}" for name in EXECPLAN_FOLDERS if under(paths, f"{home}/{name}")]
        for folder in folders or [f"{home}/{EXECPLAN_FOLDERS[0]}"]:
            globs.append(f"{folder}/**/*.md")
            inside += under(paths, folder)
    types = (TypeConfig("execplan", tuple(globs), "EXECPLAN", exclude=not_records(inside), id_from="filename"),)
    return Detected(f"Codex's ExecPlans ({', '.join(f'{home}/PLANS.md' for home in homes)})", types)


# The harness engineering layout (OpenAI's: docs/ as the agents' system of record): execution plans in
# docs/exec-plans/active/, moved to docs/exec-plans/completed/ when their work lands (a tech-debt-tracker.md
# beside them), design docs in docs/design-docs/, product specs in docs/product-specs/, each folder with an
# index.md of its documents. A plan is named by its file (the move keeps it), a document by its path there.
EXEC_PLANS = "docs/exec-plans"
HARNESS_DOCUMENTS = (("docs/design-docs", "design-doc", "DESIGN"), ("docs/product-specs", "product-spec", "SPEC"))


def harness_docs(paths: list[str]) -> Detected | None:
    """The harness layout's execution plans (the ``execplan`` type, as Codex's) and, beside them, its
    design docs and product specs; once ``docs/exec-plans/`` holds a file."""
    plans = under(paths, EXEC_PLANS)
    if not plans:
        return None
    globs = (f"{EXEC_PLANS}/active/**/*.md", f"{EXEC_PLANS}/completed/**/*.md")
    types = [TypeConfig("execplan", globs, "EXECPLAN", exclude=not_records(plans), id_from="filename")]
    for folder, name, prefix in HARNESS_DOCUMENTS:
        if inside := under(paths, folder):
            types.append(TypeConfig(name, (f"{folder}/**/*.md",), prefix, exclude=not_records(inside), id_from="path"))
    return Detected("the harness layout's docs/exec-plans/", tuple(types))


# HumanLayer's research-plan-implement commands (create_plan, research_codebase, create_handoff; copied into
# many a .claude/commands/): a thoughts/ folder whose shared/ (and each person's own, thoughts/allison/)
# holds plans (thoughts/shared/plans/2025-01-08-ENG-1478-parent-child-tracking.md), research, tickets and
# handoffs, each named by its day and topic. Its searchable/ folder holds hard links to the same files.
THOUGHTS = "thoughts"
THOUGHT_KINDS = (("plans", "thoughts-plan", "PLAN"), ("research", "research", "RESEARCH"),
                 ("tickets", "ticket", "TICKET"), ("handoffs", "handoff", "HANDOFF"))  # fmt: skip


def humanlayer_thoughts(paths: list[str]) -> Detected | None:
    """HumanLayer's thoughts: a type per kind of document, named by their files (not by a heading's
    ticket, ``# ENG-1478: Title``, which several plans share), in ``thoughts/shared/`` and in each
    person's folder that holds some (a new one goes to shared/); once one of them holds a file."""
    links = f"{THOUGHTS}/searchable/**"
    inside = [path for path in under(paths, THOUGHTS) if not path.startswith(f"{THOUGHTS}/searchable/")]
    types = []
    for kind, name, prefix in THOUGHT_KINDS:
        found = [path for path in inside if path.count("/") >= 3 and path.split("/")[2] == kind]
        if not found:
            continue
        people = sorted({path.split("/")[1] for path in found} - {"shared"})
        globs = tuple(f"{THOUGHTS}/{who}/{kind}/**/*.md" for who in ("shared", *people))
        exclude = (*not_records(found), links)  # type_from glob: a handoff says type: implementation_strategy
        types.append(TypeConfig(name, globs, prefix, exclude=exclude, id_from="filename", type_from="glob"))
    return Detected("HumanLayer's thoughts/ folder", tuple(types)) if types else None


# The Ralph loop (Geoffrey Huntley's playbook: PROMPT_plan.md and PROMPT_build.md at the root, fed to an agent
# in a loop): one spec per topic of concern in specs/ (specs/voting.md), which every iteration reads. The plan
# the loop keeps, IMPLEMENTATION_PLAN.md, is its working state, rewritten at every step: no record.
RALPH_PROMPTS = ("PROMPT_build.md", "PROMPT_plan.md")


def ralph(paths: list[str], settings: Mapping[str, str] | None = None) -> Detected | None:
    """The Ralph loop's specs, one type named by their files; where its prompts are (``settings`` holds
    the texts of the root files init looked for), before the first spec."""
    if not any(name in (settings or {}) for name in RALPH_PROMPTS):
        return None
    specs = [path for path in under(paths, "specs") if path.count("/") == 1 and path.endswith(".md")]
    types = (TypeConfig("ralph-spec", ("specs/*.md",), "SPEC", exclude=not_records(specs), id_from="filename"),)
    return Detected("the Ralph loop's specs/ (PROMPT_build.md)", types)


# The memory bank (the widely copied `.github/instructions/memory-bank.instructions.md`, after Cline's): a
# project's context in memory-bank/ or memory/ (projectbrief.md, activeContext.md, progress.md: rewritten as
# work goes, no records), a file per task in its tasks/ (TASK001-setup.md: `# TASK001 - Setup`, `**Status:**
# Completed`) beside their index, _index.md, and design notes in designs/ (DESIGN001-architecture.md).
MEMORY_BANKS = ("memory-bank", "memory")
MEMORY_KINDS = (("tasks", "task", "TASK"), ("designs", "design", "DESIGN"))
MEMORY_CONTEXT = ("projectbrief.md", "activeContext.md", "productContext.md", "systemPatterns.md", "progress.md")


def memory_bank(paths: list[str]) -> Detected | None:
    """The memory bank's tasks and designs, a type each named by their files, in the first of its folders
    that holds its tasks' index or its context files; once that folder's tasks/ or designs/ holds a file."""
    for home in MEMORY_BANKS:
        inside = under(paths, home)
        if f"{home}/tasks/_index.md" not in inside and not any(f"{home}/{name}" in inside for name in MEMORY_CONTEXT):
            continue
        types = []
        for kind, name, prefix in MEMORY_KINDS:
            found = [path for path in inside if path.startswith(f"{home}/{kind}/") and path.endswith(".md")]
            if found:
                exclude = tuple(sorted({*not_records(found), "_index.md"}))
                types.append(TypeConfig(name, (f"{home}/{kind}/**/*.md",), prefix, exclude=exclude, id_from="filename"))
        return Detected(f"the memory bank's {home}/", tuple(types)) if types else None
    return None
