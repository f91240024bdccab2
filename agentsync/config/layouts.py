"""The layouts ``agentsync init`` recognises, as a pure decision over a list of files: the agent
CLI's ``.agent/`` (its cache's kinds, journeys, ADRs), Backlog.md's ``backlog/`` (tasks, drafts,
decisions, docs, milestones, completed and archived ones), adr-tools/MADR decision folders and RFC
folders (one file per record, or a folder per record with ``id_from: path``), Spec Kit's ``specs/NNN-feature/``
(spec.md, plan.md, tasks.md), Kiro's ``.kiro/specs/feature/`` (requirements.md, design.md, tasks.md),
Spec Workflow MCP's ``.spec-workflow/specs/feature/`` (the same three; archived ones in ``archive/specs/``),
Superpowers' dated plans and design specs (``docs/superpowers/plans/``, ``docs/superpowers/specs/``),
OpenSpec's ``openspec/`` (a folder per change: proposal.md, design.md, tasks.md, delta specs; the
capabilities' specs), the context-engineering kit's ``PRPs/`` (a PRP per file), Agent OS's dated
spec folders (``.agent-os/specs/``, ``agent-os/specs/``) and product documents, plus the default types.

Files that describe a folder rather than being a record (README, CHANGELOG, LICENSE, an ADR
template) are excluded where they are found, so init never mirrors them by accident.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from agentsync.config.model import TypeConfig, default_types
from agentsync.formats.ids import GENERIC_NAMES

# Where files are listed from (a walk of the whole repository could be huge).
ROOTS = (
    ".agent",
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
)
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
_NOT_RECORDS = re.compile(
    r"(?:readme|index|changelog|changes|history|license|licence|contributing|code_of_conduct|security|authors|"
    r"notice|toc|(?:[a-z]*[0-9]*[-_])?template)(?:\.[a-z]+)*\Z",  # adr-template, 0000-template, adr000-template
    re.I,
)


def is_no_record(name: str) -> bool:
    """Whether a file named ``name`` describes its folder (README, CHANGELOG, LICENSE, a template)
    rather than being one of the folder's records."""
    return _NOT_RECORDS.match(name) is not None


_SINGULAR = {"stories": "story", "plans": "plan", "runbooks": "runbook", "journeys": "journey", "adrs": "adr"}
_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)*)-\d")
_MARKDOWN = (".md",)
_YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class Detected:
    """One recognised layout: its name (for the message) and the types written for it."""

    name: str
    types: tuple[TypeConfig, ...]
    notes: tuple[str, ...] = field(default=())


def detect(files: Iterable[str]) -> list[Detected]:
    """The layouts ``files`` (repository-relative posix paths under ``ROOTS``) hold, in order."""
    paths = sorted(set(files))
    found = [
        d
        for d in (
            _agent(paths),
            _backlog(paths),
            _adr_folders(paths),
            _rfc_folders(paths),
            _spec_kit(paths),
            _kiro(paths),
            _spec_workflow(paths),
            _superpowers(paths),
            _prps(paths),
            _openspec(paths),
            _agent_os(paths),
        )
        if d is not None and d.types
    ]
    return found


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


def _under(paths: list[str], folder: str) -> list[str]:
    return [p for p in paths if p.startswith(folder + "/")]


def _not_records(paths: list[str], *, by_name: bool = True) -> tuple[str, ...]:
    """Exclude globs for the files among ``paths`` that are no records: by file name (any depth),
    or by their exact paths."""
    found = [p for p in paths if is_no_record(PurePosixPath(p).name)]
    return tuple(sorted({PurePosixPath(p).name if by_name else p for p in found}))


def _prefix(paths: list[str], fallback: str) -> str:
    """The id prefix most of the files' names start with (``INFRA-004-x.md``: INFRA), else ``fallback``."""
    counts = Counter(m.group(1) for p in paths if (m := _PREFIX.match(PurePosixPath(p).name)))
    common = counts.most_common(1)
    # among several records, a prefix one name alone has is no convention (adr001-decision-1.md)
    return common[0][0] if common and (common[0][1] > 1 or len(paths) == 1) else fallback


def _kind_type(name: str, folder: str, paths: list[str], fallback_prefix: str) -> TypeConfig | None:
    """A type for the files of ``folder``: Markdown, YAML, or both."""
    markdown = [p for p in paths if p.endswith(_MARKDOWN)]
    yaml = [p for p in paths if p.endswith(_YAML)]
    globs = [f"{folder}/**/*.md"] if markdown else []
    globs += [f"{folder}/**/*{suffix}" for suffix in _YAML if any(p.endswith(suffix) for p in yaml)]
    if not globs:
        return None
    records = markdown + yaml
    return TypeConfig(name, tuple(globs), _prefix(records, fallback_prefix), exclude=_not_records(records))


def _agent(paths: list[str]) -> Detected | None:
    cache = _under(paths, ".agent/cache")
    adrs = _under(paths, ".agent/adrs")
    if not cache and not adrs:
        return None
    types: list[TypeConfig] = []
    for kind in sorted({p.split("/")[2] for p in cache if p.count("/") >= 3}):
        name = _SINGULAR.get(kind, kind.rstrip("s") or kind).lower()
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name):
            continue
        made = _kind_type(name, f".agent/cache/{kind}", _under(cache, f".agent/cache/{kind}"), name.upper())
        if made is not None:
            types.append(made)
    made = _kind_type("adr", ".agent/adrs", adrs, "ADR")
    if made is not None:
        types.append(made)
    return Detected("the agent CLI's .agent/ folder", tuple(types))


def _backlog(paths: list[str]) -> Detected | None:
    backlog = _under(paths, "backlog")
    if not backlog:
        return None
    types = []
    for folder, name in BACKLOG_KINDS:
        inside = [p for p in _under(backlog, f"backlog/{folder}") if p.endswith(_MARKDOWN)]
        if inside:
            globs = (f"backlog/{folder}/**/*.md",)
            types.append(TypeConfig(name, globs, _prefix(inside, name), exclude=_not_records(inside), type_from="glob"))
    return Detected("Backlog.md's backlog/ folder", tuple(types))


def _adr_folders(paths: list[str]) -> Detected | None:
    return _record_folders(paths, ADR_FOLDERS, "adr", "ADR", "ADR folders (adr-tools, MADR)")


def _rfc_folders(paths: list[str]) -> Detected | None:
    """RFCs, a file per proposal (``docs/rfcs/0001-batch-insert-api.md``) or a folder per proposal."""
    return _record_folders(paths, RFC_FOLDERS, "rfc", "RFC", "RFC folders")


def _record_folders(
    paths: list[str], folders: tuple[str, ...], type_name: str, prefix: str, name: str
) -> Detected | None:
    """A type for the records of each of ``folders`` that holds any (not one inside another): a
    file per record, or a folder per record (``NAME/README.md``, named by its folder)."""
    types: list[TypeConfig] = []
    notes: list[str] = []
    for folder in folders:
        inside = [p for p in _under(paths, folder) if p.endswith(_MARKDOWN)]
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
            exclude = _not_records(inside, by_name=False)
            types.append(TypeConfig(type_name, (f"{folder}/**/*.md",), _prefix(records, prefix), exclude=exclude))
    return Detected(name, tuple(types), tuple(notes)) if types else None


def _spec_kit(paths: list[str]) -> Detected | None:
    """GitHub Spec Kit: a folder per feature under ``specs/`` (``001-photo-albums/spec.md``), each
    document its own type, named by the feature's folder (``id_from: path``: ``001-photo-albums-spec``)."""
    return _feature_documents(paths, "specs", SPEC_KIT_DOCUMENTS, "Spec Kit's specs/ folder")


def _kiro(paths: list[str]) -> Detected | None:
    """Kiro: a folder per feature under ``.kiro/specs/`` (``photo-albums/requirements.md``), each
    document its own type named by the feature's folder (``photo-albums-requirements``)."""
    return _feature_documents(paths, ".kiro/specs", KIRO_DOCUMENTS, "Kiro's .kiro/specs/ folder")


def _spec_workflow(paths: list[str]) -> Detected | None:
    """Spec Workflow MCP: Kiro's three documents in a folder per feature under ``.spec-workflow/specs/``
    (``tap-hold/requirements.md``: ``tap-hold-requirements``), and in its archive; every kind once
    ``.spec-workflow/`` is set up (its templates alone: `new` needs the types)."""
    if not _under(paths, ".spec-workflow"):
        return None
    name = "Spec Workflow's .spec-workflow/ folder"
    specs = _feature_documents(paths, ".spec-workflow/specs", SPEC_WORKFLOW_DOCUMENTS, name)
    types = [
        made._replace(globs=(*made.globs, f"{SPEC_WORKFLOW_ARCHIVE}/*/{document}"))
        for made, (document, _) in zip(specs.types, SPEC_WORKFLOW_DOCUMENTS, strict=True)
    ] if specs is not None else [
        TypeConfig(type_name, (f".spec-workflow/specs/*/{document}", f"{SPEC_WORKFLOW_ARCHIVE}/*/{document}"), "SPEC",
                   id_from="path") for document, type_name in SPEC_WORKFLOW_DOCUMENTS
    ]  # fmt: skip
    return Detected(name, tuple(types), (".spec-workflow/specs: one type per document, named by its feature folder",))


def _superpowers(paths: list[str]) -> Detected | None:
    """Superpowers: implementation plans in ``docs/superpowers/plans/`` (the plan type, whose new
    files go there) and design specs in ``docs/superpowers/specs/``, each named by its day and topic
    (``2026-03-11-zero-dep-server-design.md``) and so by its file (no frontmatter id)."""
    types = []
    for folder, type_name, prefix, _, _ in SUPERPOWERS_FOLDERS:
        inside = [p for p in _under(paths, folder) if p.endswith(_MARKDOWN)]
        if any(not is_no_record(PurePosixPath(p).name) for p in inside):
            types.append(TypeConfig(type_name, (f"{folder}/**/*.md",), prefix, exclude=_not_records(inside)))
    return Detected("Superpowers' docs/superpowers/ folder", tuple(types)) if types else None


def _prps(paths: list[str]) -> Detected | None:
    """The context-engineering kit: a PRP per file in ``PRPs/`` and the folders a team sorts them
    into (``PRPs/completed/``), named by their file, less the kit's own folders of reference docs,
    templates and scripts; the type once ``PRPs/`` is there (the kit's templates alone)."""
    inside = _under(paths, PRP_FOLDER)
    if not inside:
        return None
    kit = tuple(f"{PRP_FOLDER}/{folder}/**" for folder in PRP_NOT_RECORDS)
    records = [p for p in inside if p.endswith(_MARKDOWN) and not p.startswith(tuple(k[:-2] for k in kit))]
    made = TypeConfig("prp", (f"{PRP_FOLDER}/**/*.md",), "PRP", exclude=(*kit, *_not_records(records)),
                      id_from="filename")  # fmt: skip
    return Detected("the context-engineering kit's PRPs/ folder", (made,))


def _openspec(paths: list[str]) -> Detected | None:
    """OpenSpec: a folder per change under ``openspec/changes/`` (``add-dark-mode/proposal.md``,
    design.md, tasks.md, each a type named by the change's folder: ``add-dark-mode-proposal``;
    archived changes in ``changes/archive/2026-04-08-add-dark-mode/``), the delta specs a change
    carries (``specs/CAPABILITY/spec.md``: type ``change-spec``), and the capabilities' specs
    (``openspec/specs/cli-init/spec.md``: type ``capability``, ``cli-init-spec``)."""
    if not _under(paths, "openspec"):
        return None
    # every kind of document once OpenSpec is set up (openspec/config.yaml alone): `new` needs the types
    changes = _feature_documents(paths, "openspec/changes", OPENSPEC_DOCUMENTS, "OpenSpec's openspec/ folder")
    types = list(changes.types) if changes is not None else [
        TypeConfig(type_name, (f"openspec/changes/*/{document}",), "SPEC", id_from="path")
        for document, type_name in OPENSPEC_DOCUMENTS
    ]  # fmt: skip
    globs = ["openspec/changes/*/specs/**/spec.md"]
    globs += ["openspec/changes/archive/*/specs/**/spec.md"] if _under(paths, "openspec/changes/archive") else []
    types.append(TypeConfig("change-spec", tuple(globs), "SPEC", id_from="path"))
    capabilities = [p for p in _under(paths, "openspec/specs") if p.endswith("/spec.md")]
    nested = any(p.count("/") > 3 for p in capabilities)  # nested capability paths (identity/user-auth)
    glob = "openspec/specs/**/spec.md" if nested else "openspec/specs/*/spec.md"
    types.append(TypeConfig("capability", (glob,), "SPEC", id_from="path"))
    notes = ("openspec: one type per document, named by its change's (or capability's) folder",)
    return Detected("OpenSpec's openspec/ folder", tuple(types), notes) if types else None


def _agent_os(paths: list[str]) -> Detected | None:
    """Agent OS: a dated folder per spec (``.agent-os/specs/2025-07-29-maildir/spec.md``, tasks.md,
    sub-specs/*.md; today ``agent-os/specs/2026-01-15-1430-comments/plan.md``, shape.md, ...), each
    document a type named by its folder, and the product's documents (mission.md, roadmap.md, ...)
    named by their file."""
    types: list[TypeConfig] = []
    products = {root: [p for p in _under(paths, f"{root}/product") if p.endswith(_MARKDOWN) and p.count("/") == 2]
                for root in AGENT_OS_DOCUMENTS}  # fmt: skip
    for root, documents in AGENT_OS_DOCUMENTS.items():
        specs = _feature_documents(paths, f"{root}/specs", documents, "")
        types += specs.types if specs is not None else ()
        if any(p.count("/") == 4 for p in _under(paths, f"{root}/specs") if "/sub-specs/" in p):
            types.append(TypeConfig("agent-os-sub-spec", (f"{root}/specs/*/sub-specs/*.md",), "SPEC", id_from="path"))
        if product := products[root]:
            # both versions' product folders (a repository moving from one to the other) name their
            # documents alike (mission.md): one type each
            name = "agent-os-v1-product" if root == ".agent-os" and all(products.values()) else "agent-os-product"
            types.append(TypeConfig(name, (f"{root}/product/*.md",), "PRODUCT", exclude=_not_records(product),
                                    id_from="filename"))  # fmt: skip
    notes = ("agent-os: one type per document, named by its spec's folder",)
    return Detected("Agent OS's spec folders", tuple(types), notes) if types else None


def _feature_documents(
    paths: list[str], root: str, documents: tuple[tuple[str, str], ...], name: str
) -> Detected | None:
    """A folder per feature under ``root``, a type per document kind (``id_from: path``), each kind
    once any feature is there (a feature's tasks are written after its spec: `new` needs the type);
    features moved into a folder of their own (``_archived/old-feature/``) are records too, a
    feature's own subfolders are not."""
    depth = root.count("/") + 2  # root/feature/document.md
    kinds = dict(documents)
    found = [p for p in _under(paths, root) if PurePosixPath(p).name in kinds and p.count("/") in (depth, depth + 1)]
    if not found:
        return None
    features = {PurePosixPath(p).parent.as_posix() for p in found if p.count("/") == depth}
    parents = sorted({parent for p in found if p.count("/") == depth + 1
                      and (parent := PurePosixPath(p).parent.parent.as_posix()) not in features})  # fmt: skip
    types = [TypeConfig(type_name, (f"{root}/*/{document}", *(f"{parent}/*/{document}" for parent in parents)),
                        "SPEC", id_from="path") for document, type_name in documents]  # fmt: skip
    return Detected(name, tuple(types), (f"{root}: one type per document, named by its feature folder",))
