"""``agentsync new``: a fresh artifact from a template, with an id no file or mirror row has.

A folder whose files are named by number (adr-tools and MADR: ``0009-help-scripts.md``) keeps its
own convention: the new file is ``0010-title.md`` in the layout of the folder's latest record
(``# 10. Title`` and a ``## Status`` section, MADR 2's ``* Status:`` bullets, MADR 3's frontmatter)."""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import string
from pathlib import Path
from typing import NamedTuple, Protocol

from agentsync import formats
from agentsync.artifact import id_from_filename, parse_text
from agentsync.backlognames import backlog_folder, backlog_layout, backlog_prefix, backlog_title
from agentsync.config import Config
from agentsync.errors import AgentsyncError, ConfigError
from agentsync.frontmatter_edit import render_scalar, set_field
from agentsync.fsutil import atomic_write, same_name_spelled_otherwise
from agentsync.gitrepo import user_identity
from agentsync.newtemplates import load_template, new_status, status_as_spelled
from agentsync.paths import FoundFile, Matcher, PathPolicy, static_prefix, walk
from agentsync.plugins.calls import allocate_id
from agentsync.recordfolders import (
    IN_FOLDER,
    RECORD_FOLDERS,
    TOOL_NAMED,
    UNPREFIXED,
    NumberedFolder,
    bmad_story_folder,
    bmad_story_layout,
    dated_folder,
    document_layout,
    highest_number,
    latest_record,
    naming_folder,
    numbered_folder,
    numbered_word,
    paths_within,
    prefixed,
    record_names,
    shared_record_folder,
    story_folder,
    titled_folder,
    tool_naming,
    tool_slug,
)
from agentsync.scanner import ScanReport, scan
from agentsync.slugs import slugify
from agentsync.store import ArtifactRow, Mirror
from agentsync.toolfolders import companions, tool_record_name, write_companions


class Reserve(Protocol):
    """Reserves the next id number from the remote: one past ``highest`` and past every number it
    handed out for (type, prefix); None when the remote cannot be reached now."""

    def __call__(self, type_name: str, prefix: str, highest: int) -> int | None: ...


def numbering(prefix: str, taken: set[str]) -> tuple[int, int]:
    """The highest number the ``PREFIX-NNNN`` ids (or file names) in ``taken`` use, and the width
    to write the next one in: zeros as the ids in use have them (``task-12`` is followed by
    ``task-13``, ``ADR-0001`` by ``ADR-0002``), four digits for the first. A day is no number
    (``plan-2026-03-07-traceui`` gave the next plan PLAN-2027)."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)(?!-\d\d-\d\d(?:\D|$))(?:\b|_|$)", re.I)
    highest = 0
    numbers = []
    for artifact_id in taken:
        match = pattern.match(artifact_id)
        if match:
            numbers.append(match.group(1))
            highest = max(highest, int(match.group(1)))
    padded = [len(n) for n in numbers if n.startswith("0") and len(n) > 1]
    return highest, max(padded) if padded else 1 if numbers else 4


def next_id(prefix: str, taken: set[str], *, number: int | None = None, tag: str = "") -> str:
    """``PREFIX-NNNN``: ``number`` (one the remote reserved), else one past the highest number any
    taken id uses; with ``tag`` (this clone's, offline) ``PREFIX-NNNN-TAG``, which no other clone
    can make: two clones offline pick the same number, never the same tag."""
    highest, width = numbering(prefix, taken)
    highest = number - 1 if number is not None else highest
    suffix = f"-{tag}" if tag else ""
    candidate = f"{prefix}-{highest + 1:0{width}d}{suffix}"
    while candidate in taken:  # cannot happen with the max, but never hand out a taken id
        highest += 1
        candidate = f"{prefix}-{highest + 1:0{width}d}{suffix}"
    return candidate


def fresh_id(type_name: str, prefix: str, taken: set[str], reserve: Reserve | None, tag: str) -> str:
    """The id of a new artifact: the remote's next number when it is reachable; offline (or with
    no remote) the next local number, tagged with this clone's ``tag`` if there is a remote."""
    if reserve is None:
        return next_id(prefix, taken)
    number = reserve(type_name, prefix, numbering(prefix, taken)[0])
    return next_id(prefix, taken, number=number) if number is not None else next_id(prefix, taken, tag=tag)


def create(
    mirror: Mirror, type_name: str, title: str, *, author: str | None = None, reserve: Reserve | None = None,
    tag: str = "", within: str | None = None,
) -> tuple[str, str, ScanReport]:  # fmt: skip
    """Write a new artifact of ``type_name``; return (id, path, the scan that mirrored it). Its id
    comes from ``reserve`` (the remote) when given, offline with this clone's ``tag`` (``fresh_id``);
    ``within`` names the existing record folder it goes into (an OpenSpec change, a Spec Kit feature)."""
    config = mirror.config
    type_config = config.type_named(type_name)
    if not title.strip():
        raise AgentsyncError("the title is empty; give the new artifact a title")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:  # bytes a shell passed that are no UTF-8 (surrogate escapes)
        raise AgentsyncError("the title is not valid UTF-8; give it in UTF-8") from None
    # a line break (or a control character) would end the heading and start lines of its own
    if re.search(r"[\x00-\x1f\x7f\u2028\u2029\x85]", title):
        raise AgentsyncError("the title has a line break or a control character; give it on one line")
    if len(title) > 200:
        raise AgentsyncError(f"the title is {len(title)} characters long; give one of at most 200")
    if not any(glob.endswith(".md") for glob in type_config.globs):  # a YAML type, such as the agent CLI's journeys
        kinds = ", ".join(sorted({"*." + glob.rpartition(".")[2] for glob in type_config.globs}))
        raise ConfigError(
            f"types.{type_name}.globs: `agentsync new` writes Markdown from a template, and {type_name}'s globs "
            f"match only {kinds} files; add a glob ending in .md, or write the file yourself"
        )
    matcher = Matcher.from_config(config)
    files = [item for item in walk(config, matcher) if isinstance(item, FoundFile)]
    # the type's rows as its files are now (their titles and ids name the new one): a stale mirror, or
    # none yet, would give a number in use
    scan(
        mirror,
        {item.path for item in files if item.type == type_name} | {r.path for r in mirror.list_artifacts(type_name)},
    )
    folder = _folder_for(config, type_config.globs)
    if within is not None:
        named, relative = _named_within(config, matcher, type_name, within, title)
    else:
        named = _name_new(mirror, type_name, title, folder, files, reserve, tag)
        relative = _record_path(matcher, type_name, type_config.globs, _scoped(config.root, folder, named), named.stem)
    _refuse_taken_name(mirror, type_name, relative)
    artifact_id, layout = named.id, named.layout or document_layout(type_config.globs)
    text = string.Template(load_template(config, type_name, named.latest, layout)).safe_substitute(
        id=artifact_id,
        number=named.label or str(named.number),
        title=title.strip(),
        title_yaml=render_scalar(title.strip()),
        type=type_name,
        date=datetime.date.today().isoformat(),
        minute=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        created=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        name=render_scalar(named.stem),  # the record's file or folder name, as YAML (CCPM's kebab-case name:)
        status=new_status(config, type_name, folder, layout),
        author=render_scalar(author if author is not None else user_identity(config.root)),
    )
    statuses = [row.status for row in mirror.list_artifacts(type_name)]
    text = status_as_spelled(text, relative, type_name, config, statuses)
    text = _required_slots(config, relative, _allowed_values(config, type_name, relative, text))
    policy = PathPolicy.for_config(config)
    opened = not os.path.lexists(config.root / os.path.dirname(relative))  # a folder of its own, new
    _write_new(policy, relative, text)
    if opened:
        write_companions(policy, companions(config.root, relative, title.strip(), datetime.datetime.now()))
    report = scan(mirror, [relative])
    row = mirror.artifact_at(relative)  # the id as the type's rule reads it (``id_from: path``: from the folder)
    return (row.id if row is not None else artifact_id), relative, report


def _named_within(config: Config, matcher: Matcher, type_name: str, within: str, title: str) -> tuple[NewName, str]:
    """The name and path of a new record in the existing record folder ``within`` (``--in``)."""
    globs = config.type_named(type_name).globs
    if within in ("", ".", "..") or len(within.encode()) > 255 or re.search(r"[/\\\x00-\x1f\x7f]", within):
        raise AgentsyncError(f"--in {within!r}: give the name of one folder (a change, a feature), not a path")
    if not any(IN_FOLDER.fullmatch(glob) for glob in globs):
        raise ConfigError(f"types.{type_name}.globs: no glob has a folder per record (like `specs/*/plan.md`) for --in")
    places = paths_within(globs, within, title)
    existing = [(path, holder) for path, holder in places
                if os.path.isdir(config.root / holder) and not os.path.islink(config.root / holder)]  # fmt: skip
    if not existing:
        raise AgentsyncError(f"--in {within!r}: no record folder of that name ({places[0][1] if places else within}/"
                             "); name an existing one (or leave --in out)")  # fmt: skip
    relative = existing[0][0]
    if matcher.type_of(relative) != type_name:
        raise ConfigError(f"types.{type_name}.globs: {relative} is not one of the type's files")
    return NewName(within, within), relative


def _refuse_taken_name(mirror: Mirror, type_name: str, relative: str) -> None:
    """Refuse a new record whose name gives an id another of the type's records holds: named by its
    file or folder (``id_from: filename`` or ``path``), an archived feature (``archive/specs/auth/``)
    or a completed PRP has the id a new one of its title would get."""
    from agentsync.formats.ids import name_id, path_id

    rule = mirror.config.id_rule(type_name)
    if rule.id_from not in ("filename", "path"):
        return
    wanted = name_id(relative) if rule.id_from == "filename" else path_id(relative, rule.roots)
    holder = mirror.get(f"{type_name}:{wanted}")
    if holder is not None and holder.path != relative:
        raise AgentsyncError(
            f"{relative} would have the id {wanted}, which {holder.path} has; give another title (or --in the folder)"
        )


def _write_new(policy: PathPolicy, relative: str, text: str) -> Path:
    """Write a file that does not exist yet (never one that appears meanwhile), never through a
    symlinked folder; return where."""
    target = policy.writable(relative)
    if os.path.lexists(target):
        raise AgentsyncError(f"{relative} already exists; not overwritten")
    twin = same_name_spelled_otherwise(policy.root, relative)
    if twin is not None:
        raise AgentsyncError(
            f"{relative} already exists as {twin} (the same name in another Unicode form: macOS and Windows "
            "see one file); not written, give another title"
        )
    if not atomic_write(target, text.encode("utf-8"), still=policy.guard(lambda path: not os.path.lexists(path))):
        raise policy.refused[0] if policy.refused else AgentsyncError(f"{relative} appeared meanwhile; not overwritten")
    return target


def _allowed_values(config: Config, type_name: str, path: str, text: str) -> str:
    """The new text with each value the config's ``allowed_values`` refuses (a template's ``status:
    DRAFT`` where the team allows TODO, DOING, DONE) set to the first allowed one: a new artifact
    passes ``check`` and the pre-commit hook as written."""
    if not config.allowed_values:
        return text
    from agentsync.gitfields import artifact_values

    values = artifact_values(parse_text(path, text, type_name, "", config.id_rule(type_name)), config.git_fields)
    for name, allowed in config.allowed_values.items():
        if name in values and allowed and str(values[name]) not in allowed:
            text = set_field(text, name, allowed[0], path)
    return text


def _required_slots(config: Config, path: str, text: str) -> str:
    """The new frontmatter with an empty line for each ``required_fields`` key the template lacks
    (``owner: ''``): the file shows what to fill in, and ``check`` still refuses it until then."""
    span = formats.find_frontmatter(text)
    if span is None or not config.required_fields:
        return text
    written = text[span.start : span.end]
    for key in config.required_fields:
        if not re.search(rf"(?m)^{re.escape(key)}[ \t]*:", written):
            text = set_field(text, key, "", path)
    return text


class NewName(NamedTuple):
    """What a new record is called: its id, the name of its file (or folder), its number if its
    folder counts them (``NumberedFolder``)."""

    id: str
    stem: str
    number: int = 0
    numbered: NumberedFolder | None = None
    layout: str | None = None  # a built-in layout the folder's records have (``backlog``)
    label: str = ""  # the number as the layout writes it, if not plain (BMAD's story ``2.4``)
    latest: str | None = None  # the record whose layout a new one takes, in a folder with a naming of its own


def _name_new(
    mirror: Mirror, type_name: str, title: str, folder: str, files: list[FoundFile], reserve: Reserve | None, tag: str
) -> NewName:
    """A plugin's id, else the folder's own convention: counted (``0010-title``), dated, named by
    title when the name is the id (``id_from: path`` or ``filename``), else ``PREFIX-NNNN-title``."""
    config = mirror.config
    type_config = config.type_named(type_name)
    taken = mirror.ids() | {id_from_filename(item.path) for item in files}
    paths = [item.path for item in files if item.type == type_name]  # the folder's convention is its type's
    chosen = allocate_id(config, type_name, type_config.id_prefix, taken)
    if chosen:
        return NewName(chosen, f"{chosen}-{slugify(title)}")
    if (shared := shared_record_folder(config.root, type_config.globs, folder, title)) is not None:
        return NewName(shared, shared)
    rows = mirror.list_artifacts(type_name)
    by_title = story_folder((row.path, row.title) for row in rows if row.path.startswith(f"{folder}/"))
    by_name = bmad_story_folder(type_config.globs, folder, paths)  # BMAD v6: its names number the stories too
    if (stories := max(filter(None, (by_title, by_name)), key=lambda s: (s.epic, s.story), default=None)) is not None:
        story, offline = _reserved(type_name, f"epic-{stories.epic}", stories.story, reserve, tag)
        stem = stories.stem(story, offline, title)
        bmad = bmad_story_layout(config.root, stories.path)
        return NewName(stem, stem, story, layout=bmad, label=f"{stories.epic}.{story}")
    naming = naming_folder(folder, paths)  # the folder itself, or the one beside whose naming it takes
    numbered = None if _mostly_prefixed(rows, type_config.id_prefix) else numbered_folder(naming, paths)
    if numbered is not None and not numbered.dated:  # one past every number the type uses, here or deeper
        beside = [item.path for item in files if item.path.startswith(f"{folder}/")]  # of any type
        names = {id_from_filename(path) for path in [*paths, *beside]} | {row.id for row in rows}
        names |= set(record_names(folder, beside))  # a folder per record: Spec Kit's specs/002-login/ of a spec
        numbered = dataclasses.replace(numbered, highest=max(numbered.highest, highest_number(names)))
    if numbered is not None:
        number, offline = _next_number(type_name, numbered, reserve, tag)
        stem = numbered.stem(number, offline, title, numbered_word(type_config.globs, folder))
        return NewName(stem, stem, number, numbered, latest=numbered.latest)
    dated, layout = tool_naming(folder, dated_folder(naming, paths))
    if dated is not None:  # 2026-03-11-topic.md, named by its day
        stem = dated.stem(title, datetime.datetime.now())
        if _mostly_prefixed(rows, type_config.id_prefix):  # the name is dated, the id is PLAN-0002
            return NewName(fresh_id(type_name, type_config.id_prefix, taken, reserve, tag), stem)
        return NewName(stem, stem, layout=layout, latest=dated.latest)
    if (named := tool_record_name(folder, paths, title, datetime.date.today(), type_config)) is not None:
        return NewName(named.name, named.name, layout=named.layout)  # Conductor's dark_mode_20261207/
    # the type's first record (the kit's PRPs/ holding only its templates), or a folder per record with none
    # live yet (OpenSpec's changes all archived): named by title too, where the name is the id (id_from path)
    first = not paths or (
        not record_names(folder, paths) and any(RECORD_FOLDERS.fullmatch(g) for g in type_config.globs)
    )
    if type_config.id_rule.named and (first or titled_folder(folder, paths, type_config.id_prefix)):
        return NewName(tool_slug(folder, title), tool_slug(folder, title), latest=latest_record(folder, paths))
    artifact_id = fresh_id(type_name, type_config.id_prefix, taken, reserve, tag)
    if backlog_folder(folder, paths):  # BACK-637 in the frontmatter, `back-637 - Title.md` on disk
        artifact_id = (
            backlog_prefix(config.root, paths, type_config.id_prefix) + artifact_id[len(type_config.id_prefix) :]
        )
        return NewName(artifact_id, f"{artifact_id.lower()} - {backlog_title(title)}", layout=backlog_layout(folder))
    stem = f"{artifact_id}-{slugify(title)}"
    # the agent CLI's shape beside its records, or in its folder before the first one
    agent_cli = _mostly_prefixed(rows, type_config.id_prefix, "agent") or (not rows and folder.startswith(".agent/"))
    layout = "agent-cli" if not type_config.id_rule.named and agent_cli else None
    return NewName(stem if type_config.id_rule.named else artifact_id, stem, layout=layout)


def _mostly_prefixed(rows: list[ArtifactRow], prefix: str, layout: str | None = None) -> bool:
    """Whether most of the type's mirrored records carry ``PREFIX-NNNN`` ids whatever their file names
    (``2024-01-15-migrate.md`` holding ``id: PLAN-0001``: new ids keep the prefix), and with ``layout``
    are in it too (``agent``: the agent CLI's ``# INFRA-004: Title`` and ``## State``, written alike)."""
    named = sum(1 for row in rows if prefixed(prefix).match(row.id) and layout in (None, row.layout))
    return named * 2 > len(rows) > 0


def _scoped(root: Path, folder: str, named: NewName) -> str:
    """``folder``, or its subfolder named by the new id's prefix where the records are sorted so
    (the agent CLI's ``stories/INFRA/INFRA-004-x.md``, ``stories/WEB/WEB-012-y.md``)."""
    prefix = re.match(r"([A-Za-z][A-Za-z0-9]*)-[0-9]", named.id)
    if named.numbered is not None or prefix is None:
        return folder
    scoped = f"{folder}/{prefix.group(1)}" if folder else prefix.group(1)
    return scoped if (root / scoped).is_dir() and not (root / scoped).is_symlink() else folder


def _record_path(matcher: Matcher, type_name: str, globs: tuple[str, ...], folder: str, stem: str) -> str:
    """Where the new record goes: ``folder/stem.md``, else a folder of its own when the type's
    records each have one (``decisions/*/README.md`` gives ``decisions/stem/README.md``)."""
    if holding := [glob for glob in globs if glob.startswith(f"{folder}/{stem}/")]:
        raise AgentsyncError(
            f"a record named {stem!r} would take the folder {folder}/{stem}/, which holds other records of "
            f"the type ({holding[0]}); give it another title"
        )
    tried = [f"{folder}/{stem}.md" if folder else f"{stem}.md"]
    tried += [f"{m.group(1)}/{stem}/{m.group(2)}" for glob in globs if (m := RECORD_FOLDERS.fullmatch(glob))]
    for relative in tried:
        if matcher.type_of(relative) == type_name:
            return relative
    if all(TOOL_NAMED.fullmatch(glob) for glob in globs):  # GSD's phases/*/*-PLAN.md, CCPM's epics/*/[0-9]*.md
        raise AgentsyncError(f"a {type_name}'s name follows a pattern `new` cannot fill ({globs[0]}): write it by hand")
    if any(IN_FOLDER.fullmatch(glob) for glob in globs):  # the records sit below a folder each: which one?
        raise AgentsyncError(
            f"a {type_name} goes into a record folder of its own ({globs[0]}); name it with --in FOLDER"
        )
    raise ConfigError(
        f"types.{type_name}.globs: no glob has a plain folder for new files (tried {', '.join(tried)}); "
        "add one like `plans/**/*.md` or `decisions/*/README.md`"
    )


def _next_number(type_name: str, numbered: NumberedFolder, reserve: Reserve | None, tag: str) -> tuple[int, str]:
    """The number of a numbered folder's new record and the tag it needs (offline with a remote);
    in a dated folder, today (the title tells two records of one day apart, as it does there)."""
    if numbered.dated:
        return int(datetime.date.today().strftime("%Y%m%d")), ""
    return _reserved(type_name, UNPREFIXED, numbered.highest, reserve, tag)


def _reserved(type_name: str, prefix: str, highest: int, reserve: Reserve | None, tag: str) -> tuple[int, str]:
    """The next number under ``prefix`` from the remote, and no tag; offline the next local one and
    this clone's tag (none without a remote: no other clone numbers anything)."""
    number = reserve(type_name, prefix, highest) if reserve is not None else None
    if number is not None:
        return number, ""
    return highest + 1, tag if reserve is not None else ""


def _folder_for(config: Config, globs: tuple[str, ...]) -> str:
    """The first glob folder that exists, else the first glob's folder."""
    prefixes = [static_prefix(g) for g in globs]
    for prefix in prefixes:
        if prefix and (config.root / prefix).is_dir():
            return prefix
    return prefixes[0]
