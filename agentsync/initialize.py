"""``agentsync init`` as a library call: the commented config written if there is none, the state
folder created, Git told to ignore agentsync's temporary files, and the mirror built."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentsync import lazy

if TYPE_CHECKING:
    from agentsync.config import Config, TypeConfig
    from agentsync.config.layout_parts import Detected
    from agentsync.parsing import Progress
    from agentsync.scanner import ScanReport


@dataclass(frozen=True)
class Initialized:
    """What ``initialize`` did, for the command to say."""

    config_path: Path
    wrote_config: bool  # False: an agentsync.yaml was there and is kept as it is
    scan: ScanReport
    total: int  # artifacts in the mirror afterwards
    hooks_missing: bool  # a Git work tree without agentsync's hooks: worth suggesting them
    detected: tuple[str, ...] = ()  # the layouts recognised (when the config was written)
    matched: tuple[tuple[str, int], ...] = ()  # each type and how many files its globs match


def initialize(progress: Progress | None = None) -> Initialized:
    """Set up the repository around the current folder (or the folder itself, outside any)."""
    from agentsync import config as config_module
    from agentsync.config import layouts
    from agentsync.config.locate import init_root
    from agentsync.fsutil import atomic_write
    from agentsync.scanner import scan
    from agentsync.store import Mirror, ensure_state_dir

    root = init_root()
    path = root / config_module.CONFIG_NAME
    wrote = not path.exists()
    detected: tuple[str, ...] = ()
    if wrote:
        project = default_project_name(root)
        found = detected_layouts(root)[0]
        detected = tuple(d.name for d in found) + tuple(note for d in found for note in d.notes)
        types = _folder_files_left_out(root, layouts.types_for(found))
        text = config_module.render_default(types, project=project, detected=detected)
        atomic_write(path, text.encode("utf-8"))
    config = config_module.load(root)
    ensure_state_dir(config)
    _exclude_temp_files(root)
    with Mirror.open(config) as mirror:
        report = scan(mirror, progress=progress)
        total = mirror.count()
    return Initialized(path, wrote, report, total, _hooks_missing(root), detected, matched_files(config))


def detected_layouts(root: Path) -> tuple[list[Detected], list[str]]:
    """The layouts ``root``'s files are in, as init recognises them, and the files it looked at."""
    from agentsync.config import layouts

    settings = _settings(root, layouts.SETTINGS)
    settings |= _settings(root, layouts.more_settings(settings))
    files = listed(root, layouts.ROOTS) + listed(root, layouts.settings_roots(settings))
    return layouts.detect(files, settings), files


# The files that describe a folder of the default types' records, by name: a README, a changelog, the
# folder's template. Not is_no_record's wider list: a runbook may well be called security.md or changes.md,
# and index.md is a folder's own record (plans/cache/index.md).
_DESCRIBING = lazy.pattern(
    r"(?:readme|changelog|contributing|code_of_conduct|licen[cs]e|_?template|0+-template|tech-debt-tracker)\.md\Z",
    re.I,
)


def _folder_files_left_out(root: Path, types: tuple[TypeConfig, ...]) -> tuple[TypeConfig, ...]:
    """Each type that excludes nothing yet (the default plans/, stories/, ...) excludes the files among
    its own that describe a folder (README.md, CHANGELOG.md, template.md): two folders' README.md were
    one id twice, and init's first scan failed. Not where one of them states an id of its own: a folder
    per record (``plans/cache/README.md`` holding ``id: PLAN-0007``) keeps its records in them."""
    from agentsync.formats.ids import static_prefix
    from agentsync.globs import Matcher

    kept = []
    for type_config in types:
        if type_config.exclude or type_config.id_from != "frontmatter":
            kept.append(type_config)
            continue
        matcher = Matcher.from_types((type_config,))
        folders = tuple(dict.fromkeys(static_prefix(glob) for glob in type_config.globs if static_prefix(glob)))
        own = [path for path in listed(root, folders) if matcher.type_of(path)]
        describing = [path for path in own if _DESCRIBING().match(path.rpartition("/")[2])]
        if describing and not any(_states_an_id(root / path) for path in describing):
            names = tuple(sorted({path.rpartition("/")[2] for path in describing}))
            type_config = type_config._replace(exclude=names)
        kept.append(type_config)
    return tuple(kept)


def _states_an_id(path: Path) -> bool:
    """Whether the file's frontmatter has an ``id:`` (read as far as a frontmatter goes)."""
    from agentsync.formats.base import find_frontmatter

    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            head = file.read(8192)
    except OSError:
        return False
    span = find_frontmatter(head)
    return span is not None and re.search(r"(?m)^id[ \t]*:", head[span.start : span.end]) is not None


@dataclass(frozen=True)
class Unconfigured:
    """A type init would write here now whose files no type of the config matches (a config written
    before agentsync knew the layout, or before its files were there): ``doctor`` suggests it."""

    layout: str
    type_config: TypeConfig
    files: int

    def as_yaml(self) -> str:
        """The type as one line of ``types:`` in agentsync.yaml (flow YAML: JSON's strings are YAML's)."""
        import json

        t = self.type_config
        parts = [f"id_prefix: {t.id_prefix}"] + [
            f"{key}: {value}"
            for key, value, default in (
                ("id_from", t.id_from, "frontmatter"),
                ("type_from", t.type_from, "frontmatter"),
            )
            if value != default
        ]
        parts += [f"globs: [{', '.join(json.dumps(g) for g in t.globs)}]"]
        parts += [f"exclude: [{', '.join(json.dumps(g) for g in t.exclude)}]"] if t.exclude else []
        return f"{t.name}: {{{', '.join(parts)}}}"  # fmt: skip


def unconfigured_layouts(config: Config) -> list[Unconfigured]:
    """The detected types whose files ``config``'s types leave unmatched, with how many such files."""
    from agentsync.globs import Matcher

    found, files = detected_layouts(config.root)
    configured = Matcher.from_config(config)
    missing: list[Unconfigured] = []
    for layout in found:
        for type_config in layout.types:
            theirs = Matcher.from_types((type_config,), config.exclude)
            count = sum(1 for path in files if theirs.type_of(path) and configured.type_of(path) is None)
            if count:
                missing.append(Unconfigured(layout.name, type_config, count))
    return missing


def _settings(root: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The texts of the tools' settings files ``names`` that ``root`` holds (the first 64 kB of each;
    one that is missing, unreadable, not UTF-8 or behind a symlink is left out: the defaults stand)."""
    from agentsync.fsutil import read_below

    return {name: text for name in names if (text := read_below(root, name, 65536)) is not None}


def listed(root: Path, folders: tuple[str, ...]) -> list[str]:
    """Every file under ``folders`` of ``root`` (repository-relative posix paths), skipping the
    folders a walk never enters (.git, node_modules, ...)."""
    import os

    from agentsync.pathpolicy import SKIP_DIRS

    found: list[str] = []
    for folder in folders:
        parts = folder.split("/")
        if any((root.joinpath(*parts[: depth + 1])).is_symlink() for depth in range(len(parts))):
            continue  # a folder behind a symlink is no part of the repository: the scan does not read it
        for where, dirs, files in os.walk(root / folder):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            relative = Path(where).relative_to(root).as_posix()
            found.extend(f"{relative}/{name}" for name in files)
    return found


def matched_files(config: Config) -> tuple[tuple[str, int], ...]:
    """How many files each type's globs match (what `init` reports), in the config's order."""
    from collections import Counter

    from agentsync.paths import FoundFile, Matcher, walk

    counts = Counter(item.type for item in walk(config, Matcher.from_config(config)) if isinstance(item, FoundFile))
    return tuple((t.name, counts[t.name]) for t in config.types)


def default_project_name(root: Path) -> str:
    """The project for a new config: the whole `origin` URL (host, owner and name: the same in every
    clone, and two repositories called `notes` of two owners stay apart), else the folder's name
    with a random tail (no other repository can pick the same by chance)."""
    import secrets

    from agentsync.config import project_name_from
    from agentsync.errors import GitError
    from agentsync.gitrepo import run_git

    try:
        origin = run_git(root, "config", "--get", "remote.origin.url").strip()
    except GitError:  # not a repository, or no origin
        origin = ""
    if origin:
        return project_from_origin(origin)
    return project_name_from(f"{project_name_from(root.name)[:90]}-{secrets.token_hex(4)}")


def project_from_origin(origin: str) -> str:
    """``host-owner-name`` from a Git URL in any of its spellings (``https://host/owner/name.git``,
    ``git@host:owner/name``, ``ssh://user@host:22/owner/name``, a local path), so that the spellings
    of one repository agree; longer than a project name may be, it keeps its end and a hash of the whole."""
    import hashlib
    import re

    from agentsync.config import project_name_from

    text = origin.strip().rstrip("/")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/]*)(/.*)?\Z", text)
    if scheme:
        host, path = scheme.group(2).rpartition("@")[2], scheme.group(3) or ""
        host = host if scheme.group(1) != "file" else "local"
    elif re.match(r"[^/:]+:(?!//)", text) and not re.match(r"[A-Za-z]:[\\/]", text):  # scp-like user@host:path
        host, _, path = text.partition(":")
        host = host.rpartition("@")[2]
    else:  # a path on this machine
        host, path = "local", text
    host = re.sub(r":\d+\Z", "", host.lower())
    parts = [p for p in re.split(r"[/\\]+", path.removesuffix(".git")) if p and p not in (".", "..")]
    whole = "-".join([host, *parts]) if parts else host
    if len(whole) <= 100:
        return project_name_from(whole)
    digest = hashlib.sha256(f"{host}/{'/'.join(parts)}".encode()).hexdigest()[:8]
    return project_name_from(f"{whole[-(100 - 9) :]}-{digest}")


def _exclude_temp_files(root: Path) -> None:
    """Keep Git from listing a file agentsync is writing (outside a Git repository: nothing to do)."""
    from agentsync.errors import GitError
    from agentsync.gitrepo import exclude_temp_files

    try:
        exclude_temp_files(root)
    except GitError:
        pass


def _hooks_missing(root: Path) -> bool:
    from agentsync import hooks
    from agentsync.errors import AgentsyncError

    if not (root / ".git").exists():  # hooks run at the top of a work tree; suggest them only there
        return False
    try:
        return not any(state.installed for state in hooks.status(root))
    except AgentsyncError:  # not a git repository: no hooks to suggest
        return False
