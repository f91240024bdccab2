"""The AI coding tools' spec layouts ``agentsync init`` recognises (a pure decision over a list of
files): Spec Kit's ``specs/NNN-feature/``, Kiro's ``.kiro/specs/feature/``, Spec Workflow MCP's
``.spec-workflow/specs/feature/``, Superpowers' dated plans and design specs, OpenSpec's changes and
capabilities, Agent OS's dated spec folders and product documents, the context-engineering kit's ``PRPs/``,
BMAD v6's ``_bmad-output/`` (stories, and the planning, implementation and test documents), Conductor's
``conductor/tracks/`` (a folder per track), CCPM's ``.claude/prds/`` and ``.claude/epics/``, Get Shit Done's
``.planning/`` (a folder per phase)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from agentsync.config.layout_parts import MARKDOWN, Detected, feature_documents, is_no_record, not_records, under
from agentsync.config.model import TypeConfig

# Spec Kit's documents in each specs/NNN-feature/ folder, and the type each becomes (named apart from
# the default `plan`, whose files name themselves by frontmatter id).
SPEC_KIT_DOCUMENTS = (("spec.md", "spec"), ("plan.md", "spec-plan"), ("tasks.md", "spec-tasks"))
# Kiro's documents in each .kiro/specs/feature/ folder (kebab-case, sometimes numbered), and their types.
KIRO_DOCUMENTS = (
    ("requirements.md", "kiro-requirements"), ("design.md", "kiro-design"), ("tasks.md", "kiro-tasks"),
)  # fmt: skip
# Spec Workflow MCP's documents in each .spec-workflow/specs/feature/ folder (its archive moves a feature
# to .spec-workflow/archive/specs/feature/, where it keeps its ids), and their types.
SPEC_WORKFLOW_DOCUMENTS = (
    ("requirements.md", "workflow-requirements"), ("design.md", "workflow-design"), ("tasks.md", "workflow-tasks"),
)  # fmt: skip
SPEC_WORKFLOW_ARCHIVE = ".spec-workflow/archive/specs"
# OpenSpec's documents in each openspec/changes/change-id/ folder (archived ones in changes/archive/), and
# their types; the delta specs below a change and the capabilities' specs are types of their own.
OPENSPEC_DOCUMENTS = (("proposal.md", "proposal"), ("design.md", "change-design"), ("tasks.md", "change-tasks"))
# Agent OS's documents in each dated spec folder: its first version's .agent-os/specs/2025-07-29-x/ (and
# their sub-specs/), today's agent-os/specs/2026-01-15-1430-x/; and their types.
AGENT_OS_DOCUMENTS = {
    ".agent-os": (("spec.md", "agent-os-spec"), ("spec-lite.md", "agent-os-spec-lite"), ("tasks.md", "agent-os-tasks")),
    "agent-os": (("plan.md", "agent-os-plan"), ("shape.md", "agent-os-shape"), ("standards.md", "agent-os-standards"),
                 ("references.md", "agent-os-references")),
}  # fmt: skip
# Superpowers (the agent skills library) writes plans and the design specs they come from as dated
# files with no frontmatter: folder, the type each becomes, its id prefix, the built-in layout of a new one,
# the word its names end in (2026-03-11-topic-design.md).
SUPERPOWERS_FOLDERS = (
    ("docs/superpowers/plans", "plan", "PLAN", "superpowers-plan", ""),
    ("docs/superpowers/specs", "design", "DESIGN", "superpowers-design", "design"),
)
# The context-engineering kit's PRPs/ (product requirement prompts, one per file, named by their file) and
# its folders that hold no PRP: reference docs for the agent, the kit's templates and scripts.
PRP_FOLDER = "PRPs"
PRP_NOT_RECORDS = ("ai_docs", "templates", "scripts")


def spec_kit(paths: list[str]) -> Detected | None:
    """GitHub Spec Kit: a folder per feature under ``specs/`` (``001-photo-albums/spec.md``), each
    document its own type, named by the feature's folder (``id_from: path``: ``001-photo-albums-spec``)."""
    return feature_documents(paths, "specs", SPEC_KIT_DOCUMENTS, "Spec Kit's specs/ folder")


def kiro(paths: list[str]) -> Detected | None:
    """Kiro: a folder per feature under ``.kiro/specs/`` (``photo-albums/requirements.md``), each
    document its own type named by the feature's folder (``photo-albums-requirements``)."""
    return feature_documents(paths, ".kiro/specs", KIRO_DOCUMENTS, "Kiro's .kiro/specs/ folder")


def spec_workflow(paths: list[str]) -> Detected | None:
    """Spec Workflow MCP: Kiro's three documents in a folder per feature under ``.spec-workflow/specs/``
    (``tap-hold/requirements.md``: ``tap-hold-requirements``), and in its archive; every kind once
    ``.spec-workflow/`` is set up (its templates alone: `new` needs the types)."""
    if not under(paths, ".spec-workflow"):
        return None
    name = "Spec Workflow's .spec-workflow/ folder"
    specs = feature_documents(paths, ".spec-workflow/specs", SPEC_WORKFLOW_DOCUMENTS, name)
    types = [
        made._replace(globs=(*made.globs, f"{SPEC_WORKFLOW_ARCHIVE}/*/{document}"))
        for made, (document, _) in zip(specs.types, SPEC_WORKFLOW_DOCUMENTS, strict=True)
    ] if specs is not None else [
        TypeConfig(type_name, (f".spec-workflow/specs/*/{document}", f"{SPEC_WORKFLOW_ARCHIVE}/*/{document}"), "SPEC",
                   id_from="path") for document, type_name in SPEC_WORKFLOW_DOCUMENTS
    ]  # fmt: skip
    return Detected(name, tuple(types), (".spec-workflow/specs: one type per document, named by its feature folder",))


def claude_specs(paths: list[str]) -> Detected | None:
    """claude-code-spec-workflow, Spec Workflow's forerunner: the same three documents in a folder per
    feature under ``.claude/specs/`` (``auth-passwordless/tasks.md``), the same types."""
    return feature_documents(
        paths, ".claude/specs", SPEC_WORKFLOW_DOCUMENTS, "claude-code-spec-workflow's .claude/specs/"
    )


def superpowers(paths: list[str]) -> Detected | None:
    """Superpowers: implementation plans in ``docs/superpowers/plans/`` (the plan type, whose new
    files go there) and design specs in ``docs/superpowers/specs/``, each named by its day and topic
    (``2026-03-11-zero-dep-server-design.md``) and so by its file (no frontmatter id)."""
    types = []
    for folder, type_name, prefix, _, _ in SUPERPOWERS_FOLDERS:
        inside = [p for p in under(paths, folder) if p.endswith(MARKDOWN)]
        if any(not is_no_record(PurePosixPath(p).name) for p in inside):
            types.append(TypeConfig(type_name, (f"{folder}/**/*.md",), prefix, exclude=not_records(inside)))
    return Detected("Superpowers' docs/superpowers/ folder", tuple(types)) if types else None


def prps(paths: list[str]) -> Detected | None:
    """The context-engineering kit: a PRP per file in ``PRPs/`` and the folders a team sorts them
    into (``PRPs/completed/``), named by their file, less the kit's own folders of reference docs,
    templates and scripts; the type once ``PRPs/`` is there (the kit's templates alone)."""
    inside = under(paths, PRP_FOLDER)
    if not inside:
        return None
    kit = tuple(f"{PRP_FOLDER}/{folder}/**" for folder in PRP_NOT_RECORDS)
    records = [p for p in inside if p.endswith(MARKDOWN) and not p.startswith(tuple(k[:-2] for k in kit))]
    made = TypeConfig("prp", (f"{PRP_FOLDER}/**/*.md",), "PRP", exclude=(*kit, *not_records(records)),
                      id_from="filename")  # fmt: skip
    return Detected("the context-engineering kit's PRPs/ folder", (made,))


def openspec(paths: list[str]) -> Detected | None:
    """OpenSpec: a folder per change under ``openspec/changes/`` (``add-dark-mode/proposal.md``,
    design.md, tasks.md, each a type named by the change's folder: ``add-dark-mode-proposal``;
    archived changes in ``changes/archive/2026-04-08-add-dark-mode/``), the delta specs a change
    carries (``specs/CAPABILITY/spec.md``: type ``change-spec``), and the capabilities' specs
    (``openspec/specs/cli-init/spec.md``: type ``capability``, ``cli-init-spec``)."""
    if not under(paths, "openspec"):
        return None
    # every kind of document once OpenSpec is set up (openspec/config.yaml alone): `new` needs the types
    changes = feature_documents(paths, "openspec/changes", OPENSPEC_DOCUMENTS, "OpenSpec's openspec/ folder")
    types = list(changes.types) if changes is not None else [
        TypeConfig(type_name, (f"openspec/changes/*/{document}",), "SPEC", id_from="path")
        for document, type_name in OPENSPEC_DOCUMENTS
    ]  # fmt: skip
    # the archive always: the first `openspec archive` would otherwise take a change out of the mirror
    for index, (document, _) in enumerate(OPENSPEC_DOCUMENTS):
        archived = f"openspec/changes/archive/*/{document}"
        if archived not in types[index].globs:
            types[index] = types[index]._replace(globs=(*types[index].globs, archived))
    globs = ("openspec/changes/*/specs/**/spec.md", "openspec/changes/archive/*/specs/**/spec.md")
    types.append(TypeConfig("change-spec", globs, "SPEC", id_from="path"))
    capabilities = [p for p in under(paths, "openspec/specs") if p.endswith("/spec.md")]
    nested = any(p.count("/") > 3 for p in capabilities)  # nested capability paths (identity/user-auth)
    glob = "openspec/specs/**/spec.md" if nested else "openspec/specs/*/spec.md"
    types.append(TypeConfig("capability", (glob,), "SPEC", id_from="path"))
    notes = ("openspec: one type per document, named by its change's (or capability's) folder",)
    return Detected("OpenSpec's openspec/ folder", tuple(types), notes) if types else None


def agent_os(paths: list[str]) -> Detected | None:
    """Agent OS: a dated folder per spec (``.agent-os/specs/2025-07-29-maildir/spec.md``, tasks.md,
    sub-specs/*.md; today ``agent-os/specs/2026-01-15-1430-comments/plan.md``, shape.md, ...), each
    document a type named by its folder, and the product's documents (mission.md, roadmap.md, ...)
    named by their file."""
    types: list[TypeConfig] = []
    products = {root: [p for p in under(paths, f"{root}/product") if p.endswith(MARKDOWN) and p.count("/") == 2]
                for root in AGENT_OS_DOCUMENTS}  # fmt: skip
    for root, documents in AGENT_OS_DOCUMENTS.items():
        specs = feature_documents(paths, f"{root}/specs", documents, "")
        types += specs.types if specs is not None else ()
        if any(p.count("/") == 4 for p in under(paths, f"{root}/specs") if "/sub-specs/" in p):
            types.append(TypeConfig("agent-os-sub-spec", (f"{root}/specs/*/sub-specs/*.md",), "SPEC", id_from="path"))
        if product := products[root]:
            # both versions' product folders (a repository moving from one to the other) name their
            # documents alike (mission.md): one type each
            name = "agent-os-v1-product" if root == ".agent-os" and all(products.values()) else "agent-os-product"
            types.append(TypeConfig(name, (f"{root}/product/*.md",), "PRODUCT", exclude=not_records(product),
                                    id_from="filename"))  # fmt: skip
    notes = ("agent-os: one type per document, named by its spec's folder",)
    return Detected("Agent OS's spec folders", tuple(types), notes) if types else None


# BMAD v6 writes into _bmad-output/: its stories (1-2-create-task.md, "# Story 1.2: Create Task" and a
# "Status: done" line) with the other implementation documents (tech specs, retrospectives, the
# sprint-status.yaml that is no artifact), the planning documents (prd.md, architecture.md, epics.md)
# and the test ones. The framework is installed in _bmad/ (its alphas: .bmad/), its settings in
# bmm/config.yaml say where those folders are if not there (the alphas: sprint_artifacts in
# docs/sprint-artifacts, the planning documents in output_folder, docs/), and sprint-status.yaml's
# story_location where the stories are (docs/sprint-artifacts/stories).
BMAD_OUTPUT = "_bmad-output"
BMAD_CONFIGS = ("_bmad/bmm/config.yaml", ".bmad/bmm/config.yaml")
BMAD_STATUS = "sprint-status.yaml"
# a story's name: its epic (1 to 3 digits: never a dated document's 2026-08-17-topic.md), its number, its title
# title; in the stories' folder, or in a folder per epic below it where the stories are kept so
# (stories/epic-3/3-1-title.md), never in another folder below (an archive's copy, research notes)
BMAD_STORY_NAMES = ("[0-9]-[0-9]*-*.md", "[0-9][0-9]-[0-9]*-*.md", "[0-9][0-9][0-9]-[0-9]*-*.md")
BMAD_EPIC_FOLDERS = "epic-*"
BMAD_STORY_NAME = re.compile(r"([0-9]{1,3})-([0-9]{1,9})-.+")  # the same, of a name without .md
BMAD_STORY_NAMES_BEFORE = ("[0-9]*-[0-9]*-*.md", "**/[0-9]-[0-9]*-*.md")  # the globs earlier configurations have
BMAD_DOCUMENTS = (  # the folder, the settings that name it (the first found counts), its default, its type
    ("implementation", ("implementation_artifacts", "sprint_artifacts"), f"{BMAD_OUTPUT}/implementation-artifacts",
     "bmad-implementation"),
    ("planning", ("planning_artifacts", "output_folder"), f"{BMAD_OUTPUT}/planning-artifacts", "bmad-planning"),
    ("test", ("test_artifacts",), f"{BMAD_OUTPUT}/test-artifacts", "bmad-test"),
)  # fmt: skip
_BMAD_FOLDER = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


def _setting_folder(text: str, key: str) -> str | None:
    """The folder ``key`` names in a BMAD settings text (``'{project-root}/docs/sprint-artifacts'``, or
    without the ``{project-root}/``), where it is a plain folder inside the repository and not ``.git``,
    ``.agentsync`` or BMAD's own install folder; None otherwise."""
    found = re.search(rf"""(?m)^{key}:[ \t]*["']?(?:\{{project-root\}}/)?([^"'\r\n#]+?)/?["']?[ \t]*(?:#.*)?$""", text)
    folder = found.group(1).strip() if found else ""
    parts = folder.lower().split("/")
    if not _BMAD_FOLDER.fullmatch(folder) or any(part in (".", "..", ".git", ".agentsync") for part in parts):
        return None
    return None if parts[0] in ("_bmad", ".bmad") else folder  # the framework's own folder holds no records


def bmad_folders(settings: Mapping[str, str]) -> dict[str, str]:
    """Where BMAD keeps its documents: each of ``BMAD_DOCUMENTS``'s folders as the first settings
    file of ``BMAD_CONFIGS`` that ``settings`` (path -> text) holds names it, else its default; and
    ``stories``: the ``story_location`` of the implementation folder's sprint-status.yaml, else that folder."""
    text = next((settings[name] for name in BMAD_CONFIGS if name in settings), "")
    folders = {}
    for folder, keys, default, _ in BMAD_DOCUMENTS:
        folders[folder] = next((found for key in keys if (found := _setting_folder(text, key))), default)
    status = settings.get(f"{folders['implementation']}/{BMAD_STATUS}", "")
    folders["stories"] = _setting_folder(status, "story_location") or folders["implementation"]
    return folders


def bmad_story_at(folder: str, path: str) -> re.Match[str] | None:
    """Where ``path`` is one of BMAD's stories in ``folder`` (``2-1-export.md``) or in one of its epic
    folders (``epic-2/2-1-export.md``): its name's match, epic and story number its groups 1 and 2."""
    if not path.startswith(f"{folder}/") or not path.endswith(".md"):
        return None
    within, _, name = path[len(folder) + 1 :].rpartition("/")
    if within and ("/" in within or not within.startswith("epic-")):
        return None
    return BMAD_STORY_NAME.fullmatch(name[:-3])


def bmad_story_globs(stories: str, paths: list[str], *, only: bool = False) -> tuple[str, ...]:
    """The globs of BMAD's stories in ``stories``: its own files, and those of its epic folders
    (``epic-3/``: a team that starts keeping its stories so later needs no init again); ``only``: just
    the globs of stories ``paths`` has there (none: no story in that folder)."""
    depth = stories.count("/") + 1
    found = {path.count("/") == depth for path in under(paths, stories) if bmad_story_at(stories, path)}
    globs = [f"{stories}/{name}" for name in BMAD_STORY_NAMES] if True in found or not only else []
    if False in found or not only:  # a story one folder down: in an epic folder
        globs += [f"{stories}/{BMAD_EPIC_FOLDERS}/{name}" for name in BMAD_STORY_NAMES]
    return tuple(globs)


def bmad_status_file(settings: Mapping[str, str]) -> str:
    """The sprint-status.yaml whose ``story_location`` names the stories' folder (read after the settings)."""
    return f"{bmad_folders(settings)['implementation']}/{BMAD_STATUS}"


def bmad(paths: list[str], settings: Mapping[str, str] | None = None) -> Detected | None:
    """BMAD v6: its stories join the ``story`` type (named by their file: ``1-2-create-task``; the
    status is their ``Status:`` line), each folder of its other documents is a type of its own,
    named by path (only its own files where the folder is no BMAD one: ``docs/``, not its
    subfolders); the story type as soon as BMAD is installed (``_bmad/bmm/``), before its first story."""
    if not under(paths, BMAD_OUTPUT) and not any(under(paths, name.rpartition("/")[0]) for name in BMAD_CONFIGS):
        return None
    folders = bmad_folders(settings or {})
    implementation, named = folders["implementation"], folders["stories"]
    if named != implementation and not under(paths, named) and bmad_story_globs(implementation, paths, only=True):
        folders["stories"] = implementation  # stories beside sprint-status.yaml, none where it says: it is stale
    stories = bmad_story_globs(folders["stories"], paths)
    types = [TypeConfig("story", stories, "STORY")]
    for folder_name, _, _, type_name in BMAD_DOCUMENTS:
        folder = folders[folder_name]
        own = folder.startswith(f"{BMAD_OUTPUT}/") or folder.rpartition("/")[2].endswith("artifacts")
        inside = [
            p for p in under(paths, folder) if p.endswith(MARKDOWN) and (own or p.count("/") == folder.count("/") + 1)
        ]
        if inside:
            mine = stories if folder_name == "implementation" else ()
            glob = f"{folder}/**/*.md" if own else f"{folder}/*.md"
            types.append(TypeConfig(type_name, (glob,), "DOC", exclude=(*mine, *not_records(inside)), id_from="path"))
    return Detected("BMAD's _bmad-output/ folder", tuple(types))


# Conductor (the Gemini CLI extension): a folder per track under conductor/tracks/ (shortname_20260501/
# spec.md and plan.md, with index.md and metadata.json beside them, listed in conductor/tracks.md),
# moved to conductor/archive/ when done, where their ids stay; the documents and their types.
CONDUCTOR_TRACKS = "conductor/tracks"
CONDUCTOR_ARCHIVE = "conductor/archive"
CONDUCTOR_DOCUMENTS = (("spec.md", "conductor-spec"), ("plan.md", "conductor-plan"))


def conductor(paths: list[str]) -> Detected | None:
    """Conductor: each track's spec and plan a type named by the track's folder (``simple_login_20260502-plan``),
    the archived tracks' too; once Conductor is set up (its ``conductor/tracks.md`` registry), before
    the first track. A ``conductor/`` folder of another kind (no registry, no track) is left alone."""
    names = {name for name, _ in CONDUCTOR_DOCUMENTS}
    tracks = [p for p in under(paths, CONDUCTOR_TRACKS) if p.count("/") == 3 and p.rpartition("/")[2] in names]
    if not tracks and "conductor/tracks.md" not in paths:
        return None
    types = [TypeConfig(type_name, (f"{CONDUCTOR_TRACKS}/*/{document}", f"{CONDUCTOR_ARCHIVE}/*/{document}"), "TRACK",
                        id_from="path") for document, type_name in CONDUCTOR_DOCUMENTS]  # fmt: skip
    return Detected("Conductor's conductor/tracks/ folder", tuple(types),
                    ("conductor: one type per document, named by its track's folder",))  # fmt: skip


# CCPM (Claude Code PM): PRDs in .claude/prds/NAME.md, an epic per folder in .claude/epics/NAME/ (epic.md,
# and its tasks named by their GitHub issue, 12.md; 12-analysis.md beside them is no task), completed
# epics moved to .claude/epics/archived/ (where they keep their ids); the frontmatter holds name and status.
CCPM_PRDS = ".claude/prds"
CCPM_EPICS = ".claude/epics"


def ccpm(paths: list[str]) -> Detected | None:
    """CCPM: its PRDs named by their file, its epics and their tasks by their epic's folder
    (``calendar-epic``, ``calendar-12``); once its folders are there, before the first of them."""
    prds, epics = under(paths, CCPM_PRDS), under(paths, CCPM_EPICS)
    if not prds and not epics:
        return None
    archived = f"{CCPM_EPICS}/archived"
    types = (
        TypeConfig("ccpm-prd", (f"{CCPM_PRDS}/*.md",), "PRD", exclude=not_records(prds), id_from="filename"),
        TypeConfig("ccpm-epic", (f"{CCPM_EPICS}/*/epic.md", f"{archived}/*/epic.md"), "EPIC", id_from="path"),
        TypeConfig("ccpm-task", (f"{CCPM_EPICS}/*/[0-9]*.md", f"{archived}/*/[0-9]*.md"), "TASK",
                   exclude=("*-analysis.md",), id_from="path"),
    )  # fmt: skip
    return Detected("CCPM's .claude/prds/ and .claude/epics/", types,
                    ("ccpm: epics and their tasks named by the epic's folder",))  # fmt: skip


# Get Shit Done (GSD): everything in .planning/. A folder per phase (phases/01-foundation/ holding 01-01-PLAN.md,
# 01-01-SUMMARY.md once it is done, 01-CONTEXT.md, 01-VERIFICATION.md, ...), moved to milestones/v1.0-phases/
# when a milestone is archived; quick tasks in quick/001-slug/; todos in todos/pending/, moved to
# todos/completed/ (done/ before); debug sessions in debug/, moved to debug/resolved/; the project's
# documents (PROJECT, ROADMAP, STATE, REQUIREMENTS, research/, codebase/, milestones/v1.0-ROADMAP.md).
# A phase's documents are named by their path (a phase may restart at 01 in a new milestone, so
# 01-01-PLAN alone names two plans), a todo or a debug session by its file (its move keeps it).
# A workstream (.planning/workstreams/mobile/) holds the same folders again. STATE.md (GSD rewrites it, status
# and all, at every step) and a paused session's .continue-here.md are its working state, no records.
GSD = ".planning"
GSD_SPACES = (GSD, f"{GSD}/workstreams/*")
GSD_PHASES = tuple(f"{space}/{phases}" for space in GSD_SPACES for phases in ("phases/*", "milestones/*-phases/*"))
GSD_MARKS = ("ROADMAP.md", "PROJECT.md", "STATE.md", "config.json")  # what GSD's new-project writes first
GSD_NOT_RECORDS = (f"{GSD}/tmp/**", "STATE.md", ".continue-here.md")  # scratch files, working state


def gsd(paths: list[str]) -> Detected | None:
    """GSD: its plans, summaries and other phase documents as three types named by their phase folder
    (``01-foundation-01-01-PLAN``), quick tasks by theirs, todos and debug sessions by their file, and
    its other documents by their path below ``.planning/`` (``research-STACK``); once GSD is set up."""
    inside = under(paths, GSD)
    if not any(f"{GSD}/{name}" in inside for name in GSD_MARKS) and not under(inside, f"{GSD}/phases"):
        return None
    kinds = (
        ("gsd-plan", "*-PLAN.md", "PLAN"), ("gsd-summary", "*-SUMMARY.md", "SUMMARY"), ("gsd-phase", "*.md", "PHASE"),
    )  # fmt: skip
    types = [TypeConfig(name, tuple(f"{phase}/{files}" for phase in GSD_PHASES), prefix, exclude=GSD_NOT_RECORDS,
                        id_from="path", type_from="glob") for name, files, prefix in kinds]  # fmt: skip
    todos = tuple(f"{space}/todos/{state}/*.md" for space in GSD_SPACES for state in ("pending", "completed", "done"))
    sessions = tuple(f"{space}/debug/{below}*.md" for space in GSD_SPACES for below in ("", "resolved/"))
    types += [
        TypeConfig("gsd-quick", tuple(f"{space}/quick/*/*.md" for space in GSD_SPACES), "QUICK",
                   exclude=GSD_NOT_RECORDS, id_from="path", type_from="glob"),
        TypeConfig("gsd-todo", todos, "TODO", id_from="filename", type_from="glob"),
        # the debugger's knowledge-base.md beside the sessions is a document of resolved ones
        TypeConfig("gsd-debug", sessions, "DEBUG", exclude=("knowledge-base.md",), id_from="filename",
                   type_from="glob"),
        TypeConfig("gsd-doc", (f"{GSD}/**/*.md",), "DOC", exclude=GSD_NOT_RECORDS, id_from="path", type_from="glob"),
    ]  # fmt: skip
    return Detected("Get Shit Done's .planning/ folder", tuple(types),
                    ("gsd: phase documents named by their phase folder, other documents by their path",))  # fmt: skip
