"""What AI coding tools keep around a record folder that `agentsync new` opens: how Conductor names
a track's folder (``dark_mode_20261207``) and Cursor a plan (``dark_mode_1a2b3c4d.plan.md``), and
the files beside the new record that are no artifacts
(OpenSpec's ``.openspec.yaml`` in a change; Conductor's ``metadata.json`` and ``index.md`` in a track,
and the track's entry in its ``conductor/tracks.md`` registry). They are written once, when the
folder is made; a pull never writes them."""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from agentsync.config.model import TypeConfig
from agentsync.config.plan_layouts import CURSOR_PLANS
from agentsync.config.tool_layouts import CONDUCTOR_TRACKS
from agentsync.fsutil import atomic_write
from agentsync.pathpolicy import PathPolicy
from agentsync.recordfolders import record_names
from agentsync.slugs import slugify

_TRACK_DAY = re.compile(r".+_[0-9]{8}")  # shortname_YYYYMMDD, as Conductor names a track
_WILDCARD = re.compile(r"[*?\[/]")
START_LAYOUTS = {"prd-": "ai-dev-tasks-prd", "tasks-": "ai-dev-tasks-tasks"}  # names that say what a record is
CONDUCTOR_REGISTRY = "conductor/tracks.md"


@dataclass(frozen=True)
class Companion:
    """A file to write beside a new record: ``path`` (repository-relative) gets ``text``, or, for
    a registry (``append``), ``text`` added to its end."""

    path: str
    text: str
    append: bool = False


def companion_names(folder: str) -> frozenset[str]:
    """The names of the tool's own files that a record folder at ``folder`` holds beside its records
    (OpenSpec's change metadata; Conductor's track metadata and index): a pull that moves the
    records moves these after them."""
    parts = folder.split("/")
    if parts[:2] == ["openspec", "changes"] and len(parts) in (3, 4):
        return frozenset({".openspec.yaml"})
    if parts[0] == "conductor" and len(parts) == 3 and parts[1] in ("tracks", "archive"):
        return frozenset({"metadata.json", "index.md"})
    return frozenset()


class ToolName(NamedTuple):
    """The name a tool gives a new record (its folder's or its file's), and the built-in layout of its text."""

    name: str
    layout: str | None = None


def tool_record_name(
    folder: str, paths: Iterable[str], title: str, day: datetime.date, type_config: TypeConfig | None = None
) -> ToolName | None:
    """The name of a new record where its tool names it so: a Conductor track's folder by its short
    name and the day (``dark_mode_20261207``), where most tracks are named so or none is there yet;
    a Cursor plan by its name and eight hex digits (``dark_mode_1a2b3c4d.plan``, as Plan Mode saves
    one: the digits tell apart two plans of one name); a record of a type named by its files, whose
    glob gives the folder's names a fixed start, by that start and the title (ai-dev-tasks'
    ``tasks/prd-*.md``: ``prd-dark-mode``). None elsewhere."""
    if folder == CURSOR_PLANS:
        return ToolName(f"{slugify(title).replace('-', '_')}_{secrets.token_hex(4)}.plan", "cursor-plan")
    paths = list(paths)
    globs = type_config.globs if type_config is not None and type_config.id_rule.named else ()
    starts = [glob[len(folder) + 1 : -4] for glob in globs if glob.startswith(f"{folder}/") and glob.endswith("*.md")]
    start = next((start for start in starts if start and not _WILDCARD.search(start)), None)
    numbered = start and any(re.match(rf"{re.escape(start)}[0-9]", name, re.I) for name in record_names(folder, paths))
    if start and not numbered:  # (rfcs/RFC-*.md holding RFC-0001-x.md: numbered, as before)
        return ToolName(f"{start}{slugify(title)}", START_LAYOUTS.get(start))  # prd-*.md: prd-dark-mode
    if folder != CONDUCTOR_TRACKS:
        return None
    names = record_names(folder, paths)
    if names and sum(1 for name in names if _TRACK_DAY.fullmatch(name)) * 2 <= len(names):
        return None  # the team names its tracks otherwise (by title alone): that naming stands
    return ToolName(f"{slugify(title).replace('-', '_')}_{day:%Y%m%d}")


def companions(root: Path, relative: str, title: str, now: datetime.datetime) -> list[Companion]:
    """The files to write beside ``relative``, a new record whose folder it opened."""
    parts = relative.split("/")
    if len(parts) == 4 and parts[:2] == ["openspec", "changes"] and parts[2] != "archive":
        return _openspec_change(root, parts[2], now.date())
    if len(parts) == 4 and "/".join(parts[:2]) == CONDUCTOR_TRACKS:
        return _conductor_track(root, parts[2], title, now)
    return []


def _openspec_change(root: Path, change: str, day: datetime.date) -> list[Companion]:
    """OpenSpec's ``.openspec.yaml`` of a change: the schema ``openspec/config.yaml`` names (else
    OpenSpec's default, spec-driven) and the day."""
    try:
        config = (root / "openspec/config.yaml").read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        config = ""
    found = re.search(r"""(?m)^schema:[ \t]*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?[ \t]*(?:#.*)?$""", config)
    text = f"schema: {found.group(1) if found else 'spec-driven'}\ncreated: {day.isoformat()}\n"
    return [Companion(f"openspec/changes/{change}/.openspec.yaml", text)]


def _conductor_track(root: Path, track: str, title: str, now: datetime.datetime) -> list[Companion]:
    """A new Conductor track's ``metadata.json`` (status new) and ``index.md``, and its entry at the
    end of the tracks registry, as Conductor's newTrack writes them."""
    stamp = now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    metadata = {"track_id": track, "type": "feature", "status": "new", "created_at": stamp, "updated_at": stamp,
                "description": title}  # fmt: skip
    index = f"# Track {track} Context\n\n- [Specification](./spec.md)\n- [Implementation Plan](./plan.md)\n"
    index += "- [Metadata](./metadata.json)\n"
    label = re.sub(r"([\\`*_\[\]])", r"\\\1", re.sub(r"[\r\n]+", " ", title))  # Markdown's own characters, as text
    entry = f"\n---\n\n- [ ] **Track: {label}**\n*Link: [./tracks/{track}/](./tracks/{track}/)*\n"
    registry = root / CONDUCTOR_REGISTRY
    if not os.path.lexists(registry):
        entry = "# Tracks Registry\n" + entry
    folder = f"{CONDUCTOR_TRACKS}/{track}"
    return [
        Companion(f"{folder}/metadata.json", json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"),
        Companion(f"{folder}/index.md", index),
        Companion(CONDUCTOR_REGISTRY, entry, append=True),
    ]


def write_companions(policy: PathPolicy, files: list[Companion]) -> None:
    """Write ``files`` beside the folder a new record opened: no artifacts, so no glob of the
    policy's matches them, but through its guard all the same (no symlink on the way); a new file
    only where none is, a registry's entry only onto the text just read (a save meanwhile keeps it)."""
    for companion in files:
        target = os.path.join(policy.root, *companion.path.split("/"))
        if not companion.append:
            atomic_write(target, companion.text.encode(), still=policy.guard(lambda path: not os.path.lexists(path)))
            continue
        before = _read(target)
        if before is None:
            continue  # a symlink, a folder, a pipe: no registry of the tool's, left alone
        eol = b"\r\n" if b"\r\n" in before else b"\n"  # the registry's own line endings
        added = companion.text.encode().replace(b"\n", eol)
        text = before + (b"" if not before or before.endswith(b"\n") else eol) + added

        def unchanged(path: str | Path, expected: bytes = before) -> bool:
            return _read(path) == expected

        atomic_write(target, text, still=policy.guard(unchanged))


def _read(path: str | Path) -> bytes | None:
    """The bytes of the regular file at ``path`` (none there: empty); None for anything else."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return b""
    except OSError:
        return None
