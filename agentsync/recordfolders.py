"""How a folder names its records, read from the records in it: counted (adr-tools and MADR:
``0009-help-scripts.md``), dated (log4brains: ``20210113-x.md``; Superpowers and many a planning
folder: ``2026-03-11-x.md``), by title alone, or a folder per
record (``decisions/use-postgres/README.md``, Spec Kit's ``specs/001-x/spec.md``). ``agentsync new``
names a new record the same way. Pure decisions over paths, but for the one listing of a folder."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agentsync.config.layout_parts import is_no_record
from agentsync.config.tool_layouts import (
    AGENT_OS_DOCUMENTS,
    BMAD_EPIC_FOLDERS,
    BMAD_STORY_NAMES,
    BMAD_STORY_NAMES_BEFORE,
    CCPM_EPICS,
    CCPM_PRDS,
    CONDUCTOR_DOCUMENTS,
    CONDUCTOR_TRACKS,
    GSD,
    GSD_SPACES,
    KIRO_DOCUMENTS,
    OPENSPEC_DOCUMENTS,
    PRP_FOLDER,
    SPEC_WORKFLOW_DOCUMENTS,
    SUPERPOWERS_FOLDERS,
    bmad_story_at,
)
from agentsync.slugs import slugify

# The folders whose tool reads a record's name only up to a length (GSD's debug sessions: 30 characters).
SLUG_LIMITS = {f"{space}/debug": 30 for space in GSD_SPACES}


def latest_record(folder: str, paths: Iterable[str]) -> str | None:
    """The last-named of ``folder``'s records, else of the type's elsewhere: whose layout a new one takes."""
    paths = sorted(paths)
    return next((path for path in reversed(paths) if path.startswith(f"{folder}/")), paths[-1] if paths else None)


def tool_slug(folder: str, title: str) -> str:
    """The title as a name in ``folder``: within its tool's limit, if it has one."""
    return slugify(title, SLUG_LIMITS.get(folder, 50))


@dataclass(frozen=True)
class NumberedFolder:
    """A folder whose records are named ``NNNN-title.md``: the highest number, the digits to write
    the next one in, the latest record (whose layout a new one takes), and whether the numbers are
    days (log4brains: ``20210113-title.md``, named by the day it was written, not counted)."""

    highest: int
    width: int
    latest: str
    dated: bool = False

    def stem(self, number: int, tag: str, title: str, word: str = "") -> str:
        """``0010-title``, or offline ``0010-TAG-title``: a number no other clone's tag carries; with the
        ``word`` the folder's glob fixes after the number, ``0010-prd-title``."""
        return f"{number:0{self.width}d}{f'-{tag}' if tag else ''}{f'-{word}' if word else ''}-{slugify(title)}"


def numbered_word(globs: Iterable[str], folder: str) -> str:
    """The word a glob of ``folder`` fixes after a record's number (the ai-dev-tasks prompts' first
    ``[0-9]*-prd-*.md``: ``prd``), or none."""
    for glob in globs:
        if found := re.fullmatch(rf"{re.escape(folder)}/\[0-9\]\*-([a-z0-9]+)-\*\.md", glob):
            return found.group(1)
    return ""


_NUMBERED_NAME = re.compile(r"([0-9]{1,18})-(?![0-9]{2}-[0-9]{2}-).")  # 0010-x, not a date 2024-01-15-x
UNPREFIXED = ""  # the prefix a remote reserves numbers of ``NNNN-title`` ids under


def record_names(folder: str, paths: Iterable[str]) -> dict[str, str]:
    """Each record's name in ``folder`` and the file that holds it: a file's name without ``.md``
    (``0009-help-scripts``), or the folder a record has to itself (``use-postgres/README.md``)."""
    names: dict[str, str] = {}
    start = len(folder) + 1 if folder else 0
    for path in paths:
        if folder and not path.startswith(f"{folder}/"):
            continue
        first, below, rest = path[start:].partition("/")
        if not below:
            if not is_no_record(first):
                names[first.removesuffix(".md")] = path
        elif "/" not in rest:
            names.setdefault(first, path)
    return names


def naming_folder(folder: str, paths: Iterable[str]) -> str:
    """Where a new record in ``folder`` takes its naming from: ``folder`` itself, unless it holds none of
    the type's records and a folder beside it does (the harness layout's emptied ``active/`` beside
    ``completed/``: a new plan is numbered, or dated, as the completed ones are); then the one beside it
    with the most of them, counting the files it holds itself (month folders below it name no records).
    Not a folder below (OpenSpec's ``archive/`` dates what it archives)."""
    paths = list(paths)
    if not folder or record_names(folder, paths):
        return folder
    parent = folder.rpartition("/")[0]
    start = len(parent) + 1 if parent else 0
    beside: Counter[str] = Counter()
    for path in paths:
        if path.startswith(f"{parent}/" if parent else ""):
            name, below, rest = path[start:].partition("/")
            if below and "/" not in rest:  # a file of a folder beside: its subfolders (completed/2025-01/) lend none
                beside[f"{parent}/{name}" if parent else name] += 1
    return next((other for other, _ in beside.most_common() if other != folder), folder)


def numbered_folder(folder: str, paths: Iterable[str]) -> NumberedFolder | None:
    """The numbered-records convention of ``folder`` (from the names of the records in it), if most
    of its records follow it (one title that starts with a number, ``4-day-work-week``, does not
    make a numbered folder)."""
    numbers: dict[str, str] = {}
    names = record_names(folder, paths)
    for name, path in names.items():
        if match := _NUMBERED_NAME.match(name):
            numbers[path] = match.group(1)
    if len(numbers) * 2 <= len(names):
        return None
    latest = max(numbers, key=lambda path: (int(numbers[path]), path))
    digits = numbers[latest]
    dated = all(_is_day(number) for number in numbers.values())
    return NumberedFolder(int(digits), len(digits) if digits.startswith("0") else 1, latest, dated)


def titled_folder(folder: str, paths: Iterable[str], prefix: str) -> bool:
    """Whether most of ``folder``'s records are named by title alone (``use-postgres``), with
    neither a number nor the prefix in front; in a folder that holds none yet (the harness layout's
    emptied ``docs/exec-plans/active/``), most of the type's records elsewhere."""
    paths = list(paths)
    names = record_names(folder, paths) or {PurePosixPath(path).stem: path for path in paths}
    titled = [name for name in names if not (_NUMBERED_NAME.match(name) or prefixed(prefix).match(name))]
    return len(titled) * 2 > len(names)


_DAY = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATED_NAME = re.compile(rf"({_DAY})-(.+)")  # 2026-03-11-zero-dep-server
_MINUTE = re.compile(r"(?:[01][0-9]|2[0-3])[0-5][0-9]-.")  # Agent OS: 2026-01-15-1430-comments


@dataclass(frozen=True)
class DatedFolder:
    """A folder whose records are named by the day they were written and their topic
    (``2026-03-11-zero-dep-server.md``): the latest record (whose layout a new one takes), the word
    most names end in, which a new name ends in too (``2026-03-11-zero-dep-server-design``), and
    whether the names carry the minute after the day (Agent OS: ``2026-01-15-1430-comments``)."""

    latest: str | None  # None in a tool's folder before its first record
    suffix: str = ""
    minute: bool = False

    def stem(self, title: str, now: datetime.datetime) -> str:
        """``YYYY-MM-DD-title`` (and the folder's last word): the title tells two records of a day apart."""
        slug = slugify(title)
        if self.suffix and slug != self.suffix and not slug.endswith(f"-{self.suffix}"):
            slug = f"{slug}-{self.suffix}"
        return f"{now.strftime('%Y-%m-%d-%H%M' if self.minute else '%Y-%m-%d')}-{slug}"


def dated_folder(folder: str, paths: Iterable[str]) -> DatedFolder | None:
    """The ``YYYY-MM-DD-topic`` naming of ``folder``, if most of its records follow it."""
    names = record_names(folder, paths)
    dated = {
        name: path
        for name, path in names.items()
        if (found := _DATED_NAME.fullmatch(name)) and _is_day(found.group(1).replace("-", ""))
    }
    if len(dated) * 2 <= len(names):
        return None
    last_words = Counter(name.rpartition("-")[2] for name in dated)
    word, count = last_words.most_common(1)[0]
    shared = len(dated) > 2 and count * 2 > len(dated) and not word.isdigit()
    minute = sum(1 for name in dated if _MINUTE.match(name, 11)) * 2 > len(dated)
    return DatedFolder(dated[max(dated)], word if shared else "", minute)


# The folders whose tools name each record by its day and topic, however few records there are yet:
# the folder, the built-in layout of a new record, the word its names end in. Superpowers' plans and
# specs (a spec's name ends in -design), GSD's todos (.planning/todos/pending/2026-12-07-fix-login.md).
DATED_TOOL_FOLDERS = (
    *((folder, layout, suffix) for folder, _, _, layout, suffix in SUPERPOWERS_FOLDERS),
    (f"{GSD}/todos/pending", "gsd-todo", ""),
)


def tool_naming(folder: str, dated: DatedFolder | None) -> tuple[DatedFolder | None, str | None]:
    """In one of ``DATED_TOOL_FOLDERS``, its naming and the built-in layout of a new record; elsewhere
    ``dated`` (the folder's own naming, if it has one) as it is."""
    for known, layout, suffix in DATED_TOOL_FOLDERS:
        if folder == known:
            dated = dated or DatedFolder(None, suffix)
            return dataclasses.replace(dated, suffix=dated.suffix or suffix), layout
    return dated, None


def _is_day(digits: str) -> bool:
    """Whether ``digits`` read as a day, YYYYMMDD (``20210113``), rather than a count."""
    if len(digits) != 8 or not "1970" <= digits[:4] <= "2100":
        return False
    try:
        datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return True


_FIXED, _FILE = r"[^*?\[\]{}]+", r"[^/*?\[\]{}]+\.md"  # a glob's part without wildcards; a file name
RECORD_FOLDERS = re.compile(rf"({_FIXED})/\*/({_FILE})")  # decisions/*/README.md: a folder per record
# ROOT/*/NAME.md, or ROOT/*/BELOW/**/NAME.md (OpenSpec's openspec/changes/*/specs/**/spec.md): a folder per record
IN_FOLDER = re.compile(rf"({_FIXED})/\*/(?:({_FIXED})/\*{{1,2}}/)?({_FILE})")
# ROOT/*/PATTERN.md, a folder per record whose files the tool names (GSD's phases/*/*-PLAN.md, also in an
# archived milestone's milestones/*-phases/*/; CCPM's epics/*/[0-9]*.md): no name `new` could give
TOOL_NAMED = re.compile(rf"{_FIXED}/\*(?:/[^/*?\[\]{{}}]+/\*|-phases/\*)*/[^/]*[*?\[][^/]*\.md")


def paths_within(globs: tuple[str, ...], within: str, title: str) -> list[tuple[str, str]]:
    """Where a new record of a type whose records live in a folder each (``openspec/changes/*/...``)
    may go inside the one named ``within``, and that folder, for each glob with such a place:
    ``openspec/changes/add-x/proposal.md``, or, for a document a level further down, one named by
    the title (``openspec/changes/add-x/specs/TITLE/spec.md``, OpenSpec's delta spec). A folder that
    is another glob's own (``openspec/changes/archive``, the archived records') is no record's."""
    found: list[tuple[str, str]] = []
    for glob in globs:
        if (match := IN_FOLDER.fullmatch(glob)) is None:
            continue
        root, below, name = match.groups()
        holder = f"{root}/{within}"
        if any(other.startswith(f"{holder}/") and other != glob for other in globs):
            continue
        found.append((f"{holder}/{below}/{slugify(title)}/{name}" if below else f"{holder}/{name}", holder))
    return found


def shared_record_folder(root: Path, globs: tuple[str, ...], folder: str, title: str) -> str | None:
    """The folder a record of another type named by ``title`` has in ``folder`` (where new records
    go: not an archive beside it), where this type's document is still missing: Spec Kit's
    ``specs/004-photo-sharing/`` holds spec.md, and the plan goes beside it; of two such folders
    (one topic on two days), the latest."""
    slug = slugify(title)
    named = re.compile(  # 004-x, 2026-01-15-1430-x; Conductor's x_20261207
        rf"(?:[0-9]{{1,18}}-|{_DAY}-(?:[0-9]{{4}}-)?)?{re.escape(slug)}|{re.escape(slug.replace('-', '_'))}_[0-9]{{8}}"
    )
    for glob in globs:
        if (match := RECORD_FOLDERS.fullmatch(glob)) is None or match.group(1) != folder:
            continue
        try:
            entries = sorted(os.scandir(root / match.group(1)), key=lambda entry: entry.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            missing = not os.path.lexists(os.path.join(entry.path, match.group(2)))
            if named.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False) and missing:
                return entry.name
    return None


_STORY_TITLE = re.compile(r"Story ([0-9]{1,9})\.([0-9]{1,9})(?![0-9])")  # BMAD's # Story 2.3: Title


@dataclass(frozen=True)
class StoryFolder:
    """BMAD's stories, numbered by epic and by story within it (``# Story 2.3: Title``): the latest
    story's numbers and file name, which a new story's name follows (``2.4.title``, ``story-epic-2-4``)."""

    epic: int
    story: int
    latest: str  # the latest story's file name, without .md
    path: str = ""  # the latest story's path

    def stem(self, story: int, tag: str, title: str) -> str:
        """The latest name with the new numbers (and offline the clone's tag after them), and the new
        title where the latest name has its title (``2.3.story`` stays ``2.4.story``)."""
        tagged = f"-{tag}" if tag else ""
        found = re.search(rf"(?<![0-9])(0*{self.epic})([._-])(0*{self.story})(?![0-9])", self.latest)
        if found is None:
            return f"{self.epic}.{story}{tagged}.{slugify(title)}"
        rest = self.latest[found.end() :]
        if rest[:1] in ("-", "_", ".") and rest[1:] != "story":
            rest = rest[0] + slugify(title)
        number = f"{story:0{len(found.group(3))}d}"  # zeros as the latest has them: 004.05 -> 004.06, sorted so
        return f"{self.latest[: found.start()]}{found.group(1)}{found.group(2)}{number}{tagged}{rest}"


def story_folder(records: Iterable[tuple[str, str | None]]) -> StoryFolder | None:
    """BMAD's numbering, if most of the records (path and title of each) are titled ``Story E.S: ...``."""
    numbers: dict[str, tuple[int, int]] = {}
    total = 0
    for path, title in records:
        total += 1
        if found := _STORY_TITLE.match(title or ""):
            numbers[path] = (int(found.group(1)), int(found.group(2)))
    if len(numbers) * 2 <= total:
        return None
    latest = max(numbers, key=lambda path: (numbers[path], path))
    return StoryFolder(*numbers[latest], latest.rpartition("/")[2].removesuffix(".md"), latest)


def bmad_story_folder(globs: Iterable[str], folder: str, paths: Iterable[str]) -> StoryFolder | None:
    """BMAD v6's stories in ``folder`` (where a glob of the type names them so), numbered by their
    names (``2-1-export.md``, whatever their headings say): the latest; before the first, the
    numbers before Story 1.1. None for a folder of another kind."""
    if not {f"{folder}/{name}" for name in (BMAD_STORY_NAMES[0], *BMAD_STORY_NAMES_BEFORE)} & set(globs):
        return None
    nested = f"{folder}/{BMAD_EPIC_FOLDERS}/{BMAD_STORY_NAMES[0]}" in globs  # stories in epic-3/ folders too
    depth = folder.count("/") + 1
    numbered = {path: (int(found.group(1)), int(found.group(2))) for path in paths
                if (found := bmad_story_at(folder, path)) and (nested or path.count("/") == depth)}  # fmt: skip
    if not numbered:
        return StoryFolder(1, 0, "1-0-title")
    latest = max(numbered, key=lambda path: (numbered[path], path))
    return StoryFolder(*numbered[latest], latest.rpartition("/")[2].removesuffix(".md"), latest)


def bmad_story_layout(root: Path, latest: str) -> str:
    """The layout of a new story beside BMAD's ``latest`` (none: v6's first): v6's (a ``Status:
    ready-for-dev`` line under the heading) where the latest story has such a line above its first
    section, else v4's (a ``## Status`` section)."""
    if not latest:
        return "bmad-v6-story"
    try:
        with open(root / latest, encoding="utf-8") as file:
            head = file.read(4096).split("\n## ", 1)[0]
    except (OSError, UnicodeDecodeError):
        return "bmad-story"
    return "bmad-v6-story" if re.search(r"(?m)^Status:[ \t]*\S", head) else "bmad-story"


# The built-in layout of each document whose kind its place names: the folder its glob starts in,
# the file's name, the layout.
_DOCUMENT_LAYOUTS = (
    *((".kiro/specs/", name, type_name) for name, type_name in KIRO_DOCUMENTS),  # layout kiro-design, ...
    *((root, name, f"spec-{type_name}") for root in (".spec-workflow/", ".claude/specs/")  # and its forerunner's
      for name, type_name in SPEC_WORKFLOW_DOCUMENTS),
    *(("openspec/changes/", name, f"openspec-{name.removesuffix('.md')}") for name, _ in OPENSPEC_DOCUMENTS),
    ("openspec/specs/", "spec.md", "openspec-spec"),
    *((f"{CONDUCTOR_TRACKS}/", name, type_name) for name, type_name in CONDUCTOR_DOCUMENTS),  # conductor-plan
    (f"{CCPM_PRDS}/", "*.md", "ccpm-prd"),  # CCPM's frontmatter: name, description, status, created
    (f"{CCPM_EPICS}/", "epic.md", "ccpm-epic"),
    (f"{PRP_FOLDER}/", "*.md", "prp"),  # the kit's PRPs: Goal, Why, What, context, blueprint, validation
    (f"{GSD}/debug/", "*.md", "gsd-debug"),  # GSD's debug session: status gathering, trigger, its sections
    (f"{GSD}/", "*.md", "gsd-doc"),  # any other of GSD's documents: a heading (frontmatter is GSD's own)
    ("openspec/changes/", "spec.md", "openspec-delta"),  # a change's delta spec of a capability
    *((f"{root}/specs/", name, type_name) for root, documents in AGENT_OS_DOCUMENTS.items()
      for name, type_name in documents),  # layout agent-os-spec, agent-os-plan, ...
)  # fmt: skip


def document_layout(globs: Iterable[str]) -> str | None:
    """The built-in layout of a document whose kind its place names: Kiro's ``.kiro/specs/*/design.md``
    is a design document (layout ``kiro-design``, as init names its type), OpenSpec's
    ``openspec/changes/*/proposal.md`` a proposal, whatever the records beside them."""
    for glob in globs:
        folder, name = glob.split("/*", 1)[0] + "/", glob.rpartition("/")[2]
        for root, document, layout in _DOCUMENT_LAYOUTS:
            if name == document and folder.startswith(root):
                return layout
    return None


@functools.lru_cache(maxsize=64)
def prefixed(prefix: str) -> re.Pattern[str]:
    """What starts an id or name of the ``PREFIX-NNNN`` kind (any case: ``back-636``, ``BACK-636``)."""
    return re.compile(rf"{re.escape(prefix)}-[0-9]", re.I)


def highest_number(names: Iterable[str]) -> int:
    """The highest number any of ``names`` (file names or ids: ``0004-t4``) starts with, else 0."""
    return max((int(m.group(1)) for name in names if (m := _NUMBERED_NAME.match(name))), default=0)
