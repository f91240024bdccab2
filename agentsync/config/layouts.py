"""The layouts ``agentsync init`` recognises, as a pure decision over a list of files: the agent
CLI's ``.agent/`` (its cache's kinds, journeys, ADRs), Backlog.md's ``backlog/`` (tasks, drafts,
decisions, docs, milestones, completed and archived ones), adr-tools/MADR decision folders, RFC,
proposal and postmortem folders (one file per record, or a folder per record with ``id_from: path``),
the AI coding tools' spec layouts (``tool_layouts``: Spec Kit, Kiro, Spec Workflow, Superpowers,
OpenSpec, Agent OS, the context-engineering kit's PRPs, BMAD v6, Conductor, CCPM, GSD), the plans and
task lists AI assistants save (``plan_layouts``: Cursor's, Claude Code's, Codex's ExecPlans, the harness
layout's, HumanLayer's thoughts/, the Ralph loop's specs/, ai-dev-tasks', the memory bank's), plus the default
types.

Files that describe a folder rather than being a record (README, CHANGELOG, LICENSE, an ADR
template) are excluded where they are found, so init never mirrors them by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from agentsync.config import plan_layouts, tool_layouts
from agentsync.config.layout_parts import (
    MARKDOWN,
    YAML,
    Detected,
    common_prefix,
    is_no_record,
    not_records,
    under,
)
from agentsync.config.model import TypeConfig, default_types
from agentsync.formats.ids import GENERIC_NAMES, static_prefix

# Where files are listed from (a walk of the whole repository could be huge).
ROOTS = (
    ".agent",
    ".agents",
    ".kiro",
    ".spec-workflow",
    "backlog",
    "doc",
    "docs",
    "adr",
    "adrs",
    "decisions",
    "architecture",
    "specs",
    "openspec",
    "rfcs",
    "rfc",
    ".agent-os",
    "agent-os",
    "PRPs",
    "_bmad-output",
    "_bmad/bmm",
    ".bmad/bmm",
    "conductor",
    ".claude/prds",
    ".claude/epics",
    ".claude/specs",
    ".planning",
    ".cursor/plans",
    *plan_layouts.AI_DEV_TASKS,
    ".docs/prd",
    "prd",
    ".ai/prd",
    "postmortems",
    "proposals",
    "post-mortems",
    plan_layouts.THOUGHTS,
    *plan_layouts.MEMORY_BANKS,
)
BACKLOG_KINDS = (
    # folder under backlog/, type name
    ("tasks", "task"), ("drafts", "draft"), ("decisions", "decision"), ("docs", "doc"), ("milestones", "milestone"),
    ("completed", "completed"), ("archive/tasks", "archived-task"), ("archive/drafts", "archived-draft"),
    ("archive/milestones", "archived-milestone"),
)  # fmt: skip
ADR_FOLDERS = (  # adr-tools' README suggests doc/architecture/decisions; each is common on GitHub
    "doc/adr", "doc/adrs", "doc/decisions", "doc/architecture/decisions", "doc/architecture/adr", "docs/adr",
    "docs/adrs", "docs/decisions", "docs/architecture/decisions", "docs/architecture/adr", "docs/architecture/adrs",
    "docs/architecture-decisions", "adr", "adrs", "decisions", "architecture/decisions", "architecture/adr",
)  # fmt: skip
RFC_FOLDERS = ("rfcs", "rfc", "docs/rfcs", "docs/rfc", "doc/rfcs", "doc/rfc")
# Incident postmortems, a file per incident (docs/postmortems/2025-01-09-auth-outage.md, PM-2026-001-x.md)
# Design proposals, RFCs by another name (docs/proposals/agent-healthcheck.md)
PROPOSAL_FOLDERS = ("docs/proposals", "doc/proposals", "proposals", "docs/design/proposals")
POSTMORTEM_FOLDERS = ("docs/postmortems", "docs/post-mortems", "doc/postmortems", "postmortems", "post-mortems")
_SINGULAR = {"stories": "story", "plans": "plan", "runbooks": "runbook", "journeys": "journey", "adrs": "adr"}


# Tools' settings files init reads to find their folders, and the folders they may name.
# The RFC process of Rust, Ember, pnpm, OpenTelemetry and Cedar: proposals in text/, numbered, beside the
# template that names the process (at the root, or in text/ itself); text/ is listed only where it is.
TEXT_RFC_TEMPLATES = ("0000-template.md", "text/0000-template.md")
SETTINGS = (*tool_layouts.BMAD_CONFIGS, plan_layouts.CLAUDE_SETTINGS, *plan_layouts.RALPH_PROMPTS, *TEXT_RFC_TEMPLATES)


def more_settings(settings: Mapping[str, str]) -> tuple[str, ...]:
    """The settings files to read once ``settings`` (each file of ``SETTINGS`` read, and its text) are:
    BMAD's sprint-status.yaml, in the folder its settings name."""
    return (tool_layouts.bmad_status_file(settings),)


def settings_roots(settings: Mapping[str, str]) -> tuple[str, ...]:
    """The folders ``settings`` name, to list beside ``ROOTS``."""
    claude = plan_layouts.claude_plans_folder(settings)
    text = ("text",) if any(name in settings for name in TEXT_RFC_TEMPLATES) else ()
    return (*(tool_layouts.bmad_folders(settings).values() if settings else ()), *((claude,) if claude else ()), *text)


def detect(files: Iterable[str], settings: Mapping[str, str] | None = None) -> list[Detected]:
    """The layouts ``files`` (repository-relative posix paths under ``ROOTS`` and the folders
    ``settings`` name) hold, in order; ``settings`` are the texts of the tools' ``SETTINGS`` files."""
    settings = settings or {}
    paths = sorted(set(files))
    claude = plan_layouts.claude_plans(paths, settings)
    found = [
        d
        for d in (
            _agent(paths),
            _backlog(paths),
            _adr_folders(paths),
            _rfc_folders(paths),
            _text_rfcs(paths, settings),
            _proposal_folders(paths),
            _postmortem_folders(paths),
            tool_layouts.spec_kit(paths),
            tool_layouts.kiro(paths),
            tool_layouts.spec_workflow(paths),
            tool_layouts.claude_specs(paths),
            tool_layouts.superpowers(paths),
            tool_layouts.prps(paths),
            tool_layouts.bmad(paths, settings),
            tool_layouts.conductor(paths),
            tool_layouts.ccpm(paths),
            tool_layouts.gsd(paths),
            tool_layouts.openspec(paths),
            tool_layouts.agent_os(paths),
            plan_layouts.cursor(paths),
            claude,
            plan_layouts.ai_dev_tasks(paths),
            plan_layouts.codex_execplans(paths),
            plan_layouts.harness_docs(paths),
            plan_layouts.humanlayer_thoughts(paths),
            plan_layouts.ralph(paths, settings),
            plan_layouts.memory_bank(paths),
        )
        if d is not None and d.types
    ]
    return _without_claimed_plans(found, claude)


def _without_claimed_plans(found: list[Detected], claude: Detected | None) -> list[Detected]:
    """``found`` less Claude Code's plans folder (``claude``) where another layout's type already takes
    its files (``plansDirectory`` naming ``docs/exec-plans/active`` or ``specs``): that type's rules stand."""
    if claude is None:
        return found
    folder = static_prefix(claude.types[0].globs[0])
    roots = {static_prefix(g) for d in found if d is not claude for t in d.types if t.name != "plan" for g in t.globs}
    if not any(folder == root or folder.startswith(f"{root}/") for root in roots):
        return found
    return [d for d in found if d is not claude]


def types_for(found: list[Detected]) -> tuple[TypeConfig, ...]:
    """The types to write: each detected type (one type of a name, its globs joined), then the
    default types for what nothing detected covers."""
    merged: dict[str, TypeConfig] = {}
    for layout in found:
        for type_config in layout.types:
            old = merged.get(type_config.name)
            merged[type_config.name] = type_config if old is None else _joined(old, type_config)
    for default in default_types():
        old = merged.get(default.name)
        merged[default.name] = default if old is None else _joined(old, default, prefix=old.id_prefix)
    return tuple(merged.values())


def _joined(one: TypeConfig, other: TypeConfig, prefix: str | None = None) -> TypeConfig:
    globs = (*one.globs, *(g for g in other.globs if g not in one.globs))
    exclude = (*one.exclude, *(g for g in other.exclude if g not in one.exclude))
    return one._replace(globs=globs, exclude=exclude, id_prefix=prefix or one.id_prefix)


def _kind_type(name: str, folder: str, paths: list[str], fallback_prefix: str) -> TypeConfig | None:
    """A type for the files of ``folder``: Markdown, YAML, or both."""
    markdown = [p for p in paths if p.endswith(MARKDOWN)]
    yaml = [p for p in paths if p.endswith(YAML)]
    globs = [f"{folder}/**/*.md"] if markdown else []
    globs += [f"{folder}/**/*{suffix}" for suffix in YAML if any(p.endswith(suffix) for p in yaml)]
    if not globs:
        return None
    records = markdown + yaml
    return TypeConfig(name, tuple(globs), common_prefix(records, fallback_prefix), exclude=not_records(records))


def _agent(paths: list[str]) -> Detected | None:
    cache = under(paths, ".agent/cache")
    adrs = under(paths, ".agent/adrs")
    if not cache and not adrs:
        return None
    types: list[TypeConfig] = []
    for kind in sorted({p.split("/")[2] for p in cache if p.count("/") >= 3}):
        name = _SINGULAR.get(kind, kind.rstrip("s") or kind).lower()
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name):
            continue
        made = _kind_type(name, f".agent/cache/{kind}", under(cache, f".agent/cache/{kind}"), name.upper())
        if made is not None:
            types.append(made)
    made = _kind_type("adr", ".agent/adrs", adrs, "ADR")
    if made is not None:
        types.append(made)
    return Detected("the agent CLI's .agent/ folder", tuple(types))


def _backlog(paths: list[str]) -> Detected | None:
    backlog = under(paths, "backlog")
    if not backlog:
        return None
    types = []
    for folder, name in BACKLOG_KINDS:
        inside = [p for p in under(backlog, f"backlog/{folder}") if p.endswith(MARKDOWN)]
        if inside:
            globs = (f"backlog/{folder}/**/*.md",)
            types.append(
                TypeConfig(name, globs, common_prefix(inside, name), exclude=not_records(inside), type_from="glob")
            )
    return Detected("Backlog.md's backlog/ folder", tuple(types))


def _adr_folders(paths: list[str]) -> Detected | None:
    return _record_folders(paths, ADR_FOLDERS, "adr", "ADR", "ADR folders (adr-tools, MADR)")


def _rfc_folders(paths: list[str]) -> Detected | None:
    """RFCs, a file per proposal (``docs/rfcs/0001-batch-insert-api.md``) or a folder per proposal."""
    return _record_folders(paths, RFC_FOLDERS, "rfc", "RFC", "RFC folders")


def _text_rfcs(paths: list[str], settings: Mapping[str, str]) -> Detected | None:
    """The RFCs of ``text/`` beside a ``0000-template.md`` (``text/0035-opentelemetry-protocol.md``)."""
    if not any(name in settings for name in TEXT_RFC_TEMPLATES):
        return None
    return _record_folders(paths, ("text",), "rfc", "RFC", "RFCs in text/ (beside 0000-template.md)")


def _proposal_folders(paths: list[str]) -> Detected | None:
    """Design proposals, a file per proposal or a folder per proposal, as RFC folders are."""
    return _record_folders(paths, PROPOSAL_FOLDERS, "design-proposal", "PROPOSAL", "proposal folders")  # not OpenSpec's


def _postmortem_folders(paths: list[str]) -> Detected | None:
    """Incident postmortems, a file per incident (``docs/postmortems/2025-01-09-auth-outage.md``)."""
    return _record_folders(paths, POSTMORTEM_FOLDERS, "postmortem", "PM", "postmortem folders")


def _record_folders(
    paths: list[str], folders: tuple[str, ...], type_name: str, prefix: str, name: str
) -> Detected | None:
    """A type for the records of each of ``folders`` that holds any (not one inside another): a
    file per record, or a folder per record (``NAME/README.md``, named by its folder)."""
    types: list[TypeConfig] = []
    notes: list[str] = []
    for folder in folders:
        inside = [p for p in under(paths, folder) if p.endswith(MARKDOWN)]
        if not inside or any(folder.startswith(t.globs[0].split("/**")[0] + "/") for t in types):
            continue
        per_record = [p for p in inside if p.count("/") > folder.count("/") + 1
                      and PurePosixPath(p).stem.lower() in GENERIC_NAMES]  # fmt: skip
        if len(per_record) * 2 > len(inside):  # mostly NAME/README.md or NAME/index.md: a folder per record
            names = sorted({PurePosixPath(p).name for p in per_record})
            globs = tuple(f"{folder}/*/{name}" for name in names)
            types.append(TypeConfig(type_name, globs, prefix, id_from="path"))
            notes.append(f"{folder}: a folder per record, named by its folder (id_from: path)")
            continue
        records = [p for p in inside if not is_no_record(PurePosixPath(p).name)]
        if records:
            exclude = not_records(inside, by_name=False)
            types.append(TypeConfig(type_name, (f"{folder}/**/*.md",), common_prefix(records, prefix), exclude=exclude))
    return Detected(name, tuple(types), tuple(notes)) if types else None
