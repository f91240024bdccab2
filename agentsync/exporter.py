"""Writing the mirror back out: to the work tree, to another folder, or to a bundle.

Files are written atomically. Export to the work tree never overwrites an edit the
mirror has not seen: a file that differs from what was last mirrored is refused
(``force`` overrides). Paths come from the mirror or a bundle and are checked, so
nothing is written outside the artifact folders.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from agentsync import __version__
from agentsync.artifact import content_hash, parse_text
from agentsync.errors import AgentsyncError, ArtifactError, UnsafePathError
from agentsync.fsutil import atomic_write, atomic_write_many, remove_stale_temps
from agentsync.gitfields import GitFieldGuard, Override
from agentsync.paths import Matcher, PathPolicy, artifact_path
from agentsync.scanner import RACY, ScanReport, scan
from agentsync.store import Mirror, artifacts

BUNDLE_FORMAT = "agentsync-bundle"
BUNDLE_VERSION = 1
_BUNDLE_KEYS = ("id", "path", "type", "title", "status", "version", "layout", "hash", "fields", "content")


@dataclass
class ExportReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[AgentsyncError] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)  # git-field values Git did not give, not written

    @property
    def ok(self) -> bool:
        return not self.problems


def export_tree(mirror: Mirror, *, force: bool = False) -> ExportReport:
    """Write mirrored artifacts whose file is missing or out of date into the work tree.

    Git fields keep Git's value (see ``GitFieldGuard``); what the mirror offered instead
    is listed in ``report.overrides``. Holds the sync lock: a pull writes the same files.
    """
    from agentsync import synclock

    with synclock.hold(mirror.config, "export"):
        return _export_tree(mirror, force)


def _export_tree(mirror: Mirror, force: bool) -> ExportReport:
    report = ExportReport()
    root = mirror.config.root
    matcher = Matcher.from_config(mirror.config)
    work = PathPolicy(root, matcher)  # no symlinked folder read through or written through
    guard = GitFieldGuard(mirror)
    pending: list[tuple[Path, bytes, str]] = []
    folders: set[Path] = set()  # every folder an artifact is exported to: a killed export's temp files go
    # Contents are read only for the rows that need writing: most rows are skipped on their stat.
    rows = artifacts.export_stats(mirror.connection)
    for pk, path, type_name, digest, disk_digest, size, mtime_ns in rows:
        try:
            source, stat = work.readable(path)  # an unchanged file is only read: any name on disk will do
            if stat is not None and not S_ISREG(stat.st_mode):
                work.writable(path)  # a folder, a pipe…: refused with the reason (and never read)
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        folders.add((root / path).parent)
        in_step = digest == disk_digest  # the mirror holds just what the file held when last seen
        if in_step and stat is not None and stat.st_size == size and stat.st_mtime_ns == mtime_ns != RACY:
            report.unchanged += 1
            continue
        disk = source.read_bytes() if stat is not None else None
        if disk is not None and content_hash(disk) not in (disk_digest, digest) and not force:
            report.problems.append(
                ArtifactError(path, "changed since it was mirrored; run `agentsync mirror` first, or --force")
            )
            continue
        content = artifacts.content_of(mirror.connection, pk)
        data = _guarded(guard, path, type_name, content, digest, disk, report)
        if data is None:
            continue
        if data == disk:
            report.unchanged += 1
            continue
        try:
            target = work.writable(path)  # a name every clone can hold, and no symlinked file to write through
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        pending.append((target, data, path))
    remove_stale_temps(folders)
    skipped = set(atomic_write_many([(target, data) for target, data, _ in pending], still=work.guard()))
    pending = [item for item in pending if item[0] not in skipped]
    report.problems.extend(work.refused)
    report.written.extend(path for _, _, path in pending)
    report.overrides.extend(guard.overrides)
    if pending:
        scan(mirror, [path for _, _, path in pending])  # record the new stats so the next scan is a no-op
    return report


def _guarded(
    guard: GitFieldGuard, path: str, type_name: str, content: str, digest: str, disk: bytes | None, report: ExportReport
) -> bytes | None:
    """The bytes to write for a mirror row, git fields taken from Git; None if the row cannot be used."""
    try:
        artifact = parse_text(path, content, type_name, digest, guard.mirror.config.id_rule(type_name))
        return guard.enforce(artifact, disk).encode("utf-8")
    except AgentsyncError as exc:  # unreadable, or a git field set in a way that cannot be rewritten: this file only
        report.problems.append(exc)
        return None


def _usable_folder(destination: Path) -> None:
    """Make ``destination`` (and its parents) or say in one line why it cannot be written into."""
    try:
        destination.mkdir(parents=True, exist_ok=True)
        probe = destination / f".agentsync-probe.{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise AgentsyncError(
            f"cannot write into {destination}: {exc.strerror or exc}; `export --to` needs a folder you can create "
            "and write"
        ) from None


def export_dir(mirror: Mirror, destination: Path) -> ExportReport:
    """Write every mirrored artifact under ``destination`` (same relative paths), git fields from Git."""
    report = ExportReport()
    matcher = Matcher.from_config(mirror.config)
    guard = GitFieldGuard(mirror)
    destination = destination.resolve()  # DIR itself may be a symlink its owner chose; nothing under it may
    _usable_folder(destination)
    work = PathPolicy(mirror.config.root, matcher)
    out = PathPolicy(destination, matcher)
    items: list[tuple[Path, bytes]] = []
    rows = artifacts.export_rows(mirror.connection)
    for path, type_name, content, digest, disk_digest in rows:
        try:
            target = out.writable(path)
            if digest == disk_digest:  # the work tree's own content: its git fields are Git's
                data: bytes | None = content.encode("utf-8")
            else:
                source, found = work.readable(path)
                disk = source.read_bytes() if found is not None and S_ISREG(found.st_mode) else None
                data = _guarded(guard, path, type_name, content, digest, disk, report)
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        if data is None:
            continue
        items.append((target, data))
    skipped = set(atomic_write_many(items, still=out.guard()))
    report.problems.extend(out.refused)
    report.written.extend(target.relative_to(destination).as_posix() for target, _ in items if target not in skipped)
    report.overrides.extend(guard.overrides)
    return report


def _bundle_lines(mirror: Mirror) -> Iterator[str]:
    count = mirror.count()
    header = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "agentsync": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "count": count,
    }
    yield json.dumps(header, ensure_ascii=False)
    for record in artifacts.bundle_rows(mirror.connection, _BUNDLE_KEYS):
        record["fields"] = json.loads(record["fields"])
        yield json.dumps(record, ensure_ascii=False)


def export_bundle(mirror: Mirror, bundle: Path) -> int:
    """Write the mirror as a JSON Lines bundle (header line, then one artifact a line)."""
    data = "".join(line + "\n" for line in _bundle_lines(mirror)).encode("utf-8")
    atomic_write(bundle, data)
    return mirror.count()


@dataclass
class BundleImport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[AgentsyncError] = field(default_factory=list)
    scan: ScanReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.scan is None or self.scan.ok)


def read_bundle(bundle: Path, matcher: Matcher) -> tuple[list[dict[str, Any]], list[AgentsyncError]]:
    """Parse and check a bundle; every bad line is reported with its line number."""
    records: list[dict[str, Any]] = []
    problems: list[AgentsyncError] = []
    name = str(bundle)
    try:
        # Lines end at "\n" only: JSON leaves U+2028 and U+0085 in a string raw, and splitlines() would cut there.
        lines = bundle.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentsyncError(f"{name}: cannot read bundle: {exc}") from None
    if lines == [""]:
        raise AgentsyncError(f"{name}: empty file, not an agentsync bundle")
    try:
        header = json.loads(lines[0])
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != BUNDLE_FORMAT:
        raise AgentsyncError(f"{name}:1: not an agentsync bundle (the first line must be its header)")
    if header.get("version") != BUNDLE_VERSION:
        raise AgentsyncError(
            f"{name}:1: bundle format version {header.get('version')!r}; this agentsync reads version {BUNDLE_VERSION}"
        )
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("content"), str):
                raise ValueError("each line must be an object with `content` and `path`")
            record["path"] = artifact_path(matcher, str(record.get("path", "")))
            if record.get("hash") and content_hash(record["content"].encode("utf-8")) != record["hash"]:
                raise ValueError("content does not match its hash (the bundle is damaged)")
            parse_text(record["path"], record["content"], "", "")
        except (ValueError, UnsafePathError) as exc:
            problems.append(AgentsyncError(f"{name}:{number}: {exc}"))
            continue
        except ArtifactError as exc:
            problems.append(AgentsyncError(f"{name}:{number}: {exc}"))
            continue
        records.append(record)
    return records, problems


def import_bundle(mirror: Mirror, bundle: Path, *, force: bool = False) -> BundleImport:
    """Restore a bundle's artifacts into the work tree and mirror them.

    A file that exists with other content is left alone and reported unless ``force``.
    """
    result = BundleImport()
    matcher = Matcher.from_config(mirror.config)
    records, result.problems = read_bundle(bundle, matcher)
    work = PathPolicy(mirror.config.root, matcher)
    writes: list[tuple[Path, bytes]] = []
    touched: list[str] = []
    for record in records:
        try:
            target = work.writable(record["path"])  # one entry behind a symlink is refused, the others imported
        except UnsafePathError as exc:
            result.problems.append(exc)
            continue
        data = record["content"].encode("utf-8")
        if target.exists():
            if target.read_bytes() == data:
                result.unchanged += 1
                touched.append(record["path"])
                continue
            if not force:
                result.problems.append(
                    ArtifactError(record["path"], "exists with different content; not overwritten (use --force)")
                )
                continue
        writes.append((target, data))
        touched.append(record["path"])
        result.written.append(record["path"])
    skipped = {target.relative_to(work.root).as_posix() for target in atomic_write_many(writes, still=work.guard())}
    result.problems.extend(work.refused)
    result.written = [path for path in result.written if path not in skipped]
    touched = [path for path in touched if path not in skipped]
    if touched:
        result.scan = scan(mirror, touched)
    return result
