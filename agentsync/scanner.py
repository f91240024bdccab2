"""Scanning the work tree into the mirror.

Stat first (mtime_ns, size), read and parse only what changed, then apply all of it
— additions, updates, renames (same id, new path), deletions — in one transaction.
A file that cannot be parsed is reported and skipped; its last good version stays
in the mirror. Two files with one id are an error; neither replaces the other.
"""

from __future__ import annotations

import datetime
import functools
import gc
import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from agentsync.artifact import Artifact, parse_bytes
from agentsync.errors import AgentsyncError, ArtifactError, DuplicateIdError
from agentsync.paths import FoundFile, Matcher, PathPolicy, Refusal, stat_one, walk
from agentsync.store import Mirror, select_in

# A file modified this close to (or after) the scan may change again within the same
# mtime tick: record it as racy so the next scan reads it instead of trusting the stat.
RACY_MARGIN_NS = 50_000_000
COARSE_MARGIN_NS = 2_000_000_000
RACY = -1
BATCH = 256
FIRST_BATCH = 16
BULK_THRESHOLD = 1000  # this many files to (re)index: rebuild the full-text index once instead
PARALLEL_THRESHOLD = 1000  # this many files to parse: use worker processes
MAX_WORKERS = 4

FULL_SCAN_KEY = "full_scan_at"  # meta: when the whole work tree was last scanned

Progress = Callable[[int, int], None]


@dataclass
class ScanReport:
    """What a scan did; ``problems`` lists every file it could not mirror."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[AgentsyncError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.renamed or self.deleted)


class _Known(NamedTuple):
    pk: int
    id: str
    disk_hash: str  # the file's hash when last mirrored or written
    size: int
    mtime_ns: int


def _is_racy(mtime_ns: int, scan_start_ns: int) -> bool:
    margin = COARSE_MARGIN_NS if mtime_ns % 1_000_000_000 == 0 else RACY_MARGIN_NS
    return mtime_ns >= scan_start_ns - margin


def _read(found: FoundFile, max_size: int) -> bytes:
    if found.size > max_size:
        raise ArtifactError(
            found.path,
            f"file is {found.size:,} bytes, over the max_file_size limit of {max_size:,} "
            "(raise it in agentsync.yaml, or move the file out of the artifact folders)",
        )
    fd = os.open(found.real_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, found.size + 1)
        while len(data) > found.size:  # the file grew since it was statted: read on, within the limit
            more = os.read(fd, max_size + 1 - len(data))
            if not more:
                break
            data += more
            if len(data) > max_size:
                raise ArtifactError(found.path, f"file grew past the max_file_size limit of {max_size:,} bytes")
    finally:
        os.close(fd)
    return data


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a scan makes tens of thousands of short-lived tuples
    and no cycles, and in a process with a large heap each collection would rescan all of it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan(
    mirror: Mirror, paths: Iterable[str] | None = None, progress: Progress | None = None,
    written: dict[str, tuple[Parsed, int]] | None = None,
) -> ScanReport:  # fmt: skip
    """Mirror the work tree (or just ``paths``, repository-relative) in one transaction.

    ``written`` holds files this process has just written, parsed from the very bytes it wrote
    (with their length): while a file's size still matches, it is recorded without being read
    back and parsed again. Its fresh mtime marks it racy, so the next scan reads it to be sure."""
    with _gc_paused():
        return _scan(mirror, paths, progress, written or {})


def _scan(
    mirror: Mirror, paths: Iterable[str] | None, progress: Progress | None, written: dict[str, tuple[Parsed, int]]
) -> ScanReport:
    config = mirror.config
    matcher = Matcher.from_config(config)
    scan_start_ns = time.time_ns()
    report = ScanReport()
    scope = None if paths is None else sorted(set(paths))

    with mirror.transaction() as db:
        # Only size and mtime are needed to see that nothing changed; the rest is read on demand.
        if scope is None:
            stats = {p: (size, mtime) for p, size, mtime in db.execute("SELECT path, size, mtime_ns FROM artifacts")}
            found_items: Iterable[FoundFile | Refusal] = walk(config, matcher)
        else:
            stats = {p: (size, mtime) for p, size, mtime in _by_path(db, "path, size, mtime_ns", scope)}
        if scope is not None:
            policy = PathPolicy(config.root)  # one for all paths: each folder is checked once
            found_items = [item for item in (stat_one(config, matcher, p, policy) for p in scope) if item is not None]

        on_disk: dict[str, FoundFile] = {}
        to_read: list[FoundFile] = []
        for item in found_items:
            if isinstance(item, Refusal):
                report.problems.append(ArtifactError(item.path, item.reason))
                continue
            on_disk[item.path] = item
            if stats.get(item.path) == (item.size, item.mtime_ns) and item.mtime_ns != RACY:
                report.unchanged += 1
            else:
                to_read.append(item)

        # Rows are loaded only for paths that changed or vanished: a rescan after a few
        # edits never reads the other thousands. Ids they might clash with are looked up by id.
        refused = {p.path for p in report.problems if isinstance(p, ArtifactError)}
        gone = [path for path in stats if path not in on_disk and path not in refused]
        if refused:  # a refused folder (a symlink now) hides its files: their rows stay, not deletions to push
            gone = [p for p in gone if not any(p[:i] in refused for i, c in enumerate(p) if c == "/")]
        view = [item.path for item in to_read] + gone
        rows = _by_path(db, "path, pk, id, disk_hash, size, mtime_ns", view)
        known: dict[str, _Known] = {path: _Known(*rest) for path, *rest in rows}

        failed: set[str] = set(refused)
        deferred = db.execute("SELECT 1 FROM meta WHERE key = 'fts_bulk'").fetchone() is not None  # by the caller
        bulk = not deferred and len(to_read) >= BULK_THRESHOLD and len(to_read) * 4 >= len(known)
        if bulk:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('fts_bulk', '1')")
        preparsed = [written[i.path][0] for i in to_read if i.path in written and written[i.path][1] == i.size]
        known_paths = {parsed.path for parsed in preparsed}
        to_parse = [item for item in to_read if item.path not in known_paths]
        parsing = parse_files(to_parse, config.max_file_size, progress)
        first: list[ParseResult] = list(preparsed)
        batches = itertools.chain([first], parsing) if preparsed else parsing
        indexed = False
        with closing(parsing):  # an error below stops the worker processes at once
            if not stats and scope is None and not mirror.count():
                _fill_empty(mirror, batches, on_disk, failed, scan_start_ns, report, bulk=bulk)
                indexed = True
            else:
                parsed: dict[str, Parsed] = {}
                stat_only: list[FoundFile] = []
                for batch in batches:
                    for result in batch:
                        if isinstance(result, ArtifactError):
                            report.problems.append(result)
                            failed.add(result.path)
                            continue
                        entry = known.get(result.path)
                        if entry is not None and entry.disk_hash == result.hash and entry.id == result.id:
                            stat_only.append(on_disk[result.path])
                            report.unchanged += 1
                        else:
                            parsed[result.path] = result
                if parsed or failed or gone:
                    _apply(mirror, known, on_disk, parsed, stat_only, failed, scan_start_ns, report)
                else:
                    _update_stats(db, stat_only, scan_start_ns)
        if bulk:
            db.execute("DELETE FROM meta WHERE key = 'fts_bulk'")
            if not indexed:
                db.execute("INSERT INTO artifacts_fts(artifacts_fts) VALUES ('rebuild')")
        _record_problems(db, report, scope, _now())
        if scope is None:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (FULL_SCAN_KEY, _now()))
    mirror.use_wal()
    return report


def _by_path(db: sqlite3.Connection, columns: str, paths: list[str]) -> list[tuple[Any, ...]]:
    """Rows of these paths, through the path index (never a pass over the table)."""
    return list(select_in(db, f"SELECT {columns} FROM artifacts", "path", paths))


class Parsed(NamedTuple):
    """A parsed file in the shape of its mirror row (a tuple: cheap to send between processes)."""

    id: str
    path: str
    hash: str
    type: str
    title: str
    status: str | None
    version: int
    layout: str
    fields: str  # JSON
    content: str

    @classmethod
    def of(cls, artifact: Artifact) -> Parsed:
        return cls(
            artifact.id, artifact.path, artifact.hash, artifact.type, artifact.title, artifact.status,
            artifact.version, artifact.layout, artifact.fields_json(), artifact.content,
        )  # fmt: skip


ParseResult = Parsed | ArtifactError


def _parse_one(item: FoundFile, max_size: int) -> ParseResult:
    try:
        return Parsed.of(parse_bytes(item.path, _read(item, max_size), item.type))
    except ArtifactError as exc:
        return exc
    except OSError as exc:
        return ArtifactError(item.path, f"cannot read: {exc.strerror or exc}")


def _parse_chunk(chunk: list[FoundFile], max_size: int) -> list[tuple[object, ...]]:
    """Worker side: plain tuples travel fastest (and exceptions with custom __init__ do not unpickle)."""
    out: list[tuple[object, ...]] = []
    for item in chunk:
        result = _parse_one(item, max_size)
        out.append(("error", result.path, result.reason, result.line) if isinstance(result, ArtifactError)
                   else tuple(result))  # fmt: skip
    return out


def _batches(items: list[FoundFile]) -> list[list[FoundFile]]:
    """BATCH files at a time, after a ramp from FIRST_BATCH: the main process waits for the
    first batch, and a worker parses 16 files in a few milliseconds rather than 256 in 30."""
    batches = []
    start, size = 0, FIRST_BATCH
    while start < len(items):
        batches.append(items[start : start + size])
        start += size
        size = min(size * 2, BATCH)
    return batches


def parse_files(
    items: list[FoundFile], max_size: int, progress: Progress | None = None
) -> Generator[list[ParseResult], None, None]:
    """Read and parse files in batches; many files are parsed by worker processes in parallel."""
    total = len(items)
    chunks = _batches(items)
    workers = min((os.cpu_count() or 1) - 1, MAX_WORKERS)  # the main process keeps a core for SQLite
    done = 0
    if total >= PARALLEL_THRESHOLD and workers >= 1:
        from agentsync import forked  # only here: a hook that mirrors a few files never imports multiprocessing

        if forked.available():
            parse = functools.partial(_parse_chunk, max_size=max_size)
            with closing(forked.forked_map(parse, chunks, workers)) as answers:  # stops the workers on any exit
                for raw in answers:
                    batch: list[ParseResult] = [
                        ArtifactError(r[1], r[2], r[3]) if r[0] == "error" else Parsed(*r)  # type: ignore[arg-type]
                        for r in raw
                    ]
                    done += len(batch)
                    if progress:
                        progress(done, total)
                    yield batch
            return
    for chunk in chunks:
        done += len(chunk)
        yield [_parse_one(item, max_size) for item in chunk]
        if progress:
            progress(done, total)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _row_values(parsed: Parsed, item: FoundFile, scan_start_ns: int, now: str) -> tuple[object, ...]:
    return (
        parsed.path, parsed.type, parsed.title, parsed.status, parsed.version, parsed.layout,
        parsed.fields, parsed.content, parsed.hash, item.size, _stamp(item, scan_start_ns), now,
    )  # fmt: skip


def _stamp(item: FoundFile, scan_start_ns: int) -> int:
    return RACY if _is_racy(item.mtime_ns, scan_start_ns) else item.mtime_ns


# The file's hash is both the content's (hash) and the file's as last seen (disk_hash): ?9 twice.
_INSERT = (
    "INSERT INTO artifacts(path, type, title, status, version, layout, fields, content, hash, size, "
    "mtime_ns, mirrored_at, id, disk_hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?9)"
)
_UPDATE = (
    "UPDATE artifacts SET path=?1, type=?2, title=?3, status=?4, version=?5, layout=?6, fields=?7, content=?8, "
    "hash=?9, size=?10, mtime_ns=?11, mirrored_at=?12, disk_hash=?9 WHERE id=?13"
)


def _fill_empty(
    mirror: Mirror,
    batches: Iterator[list[ParseResult]],
    on_disk: dict[str, FoundFile],
    failed: set[str],
    scan_start_ns: int,
    report: ScanReport,
    *,
    bulk: bool,
) -> None:
    """First mirror of a repository: insert batches as they are parsed (nothing to rename or delete).

    In a bulk load the full-text index is filled batch by batch here (the triggers stand aside).
    """
    db = mirror.connection
    now = _now()
    first_path: dict[str, str] = {}
    clashes: dict[str, list[str]] = {}
    indexed_pk = 0
    for batch in batches:
        rows = []
        for result in batch:
            if isinstance(result, ArtifactError):
                report.problems.append(result)
                failed.add(result.path)
                continue
            if result.id in first_path:
                clashes.setdefault(result.id, [first_path[result.id]]).append(result.path)
                continue
            first_path[result.id] = result.path
            rows.append((*_row_values(result, on_disk[result.path], scan_start_ns, now), result.id))
        db.executemany(_INSERT, rows)
        if bulk:  # index this batch now, while the workers parse the next ones
            db.execute(
                "INSERT INTO artifacts_fts(rowid, title, content) "
                "SELECT pk, title, content FROM artifacts WHERE pk > ?",
                (indexed_pk,),
            )
            indexed_pk = db.execute("SELECT coalesce(max(pk), 0) FROM artifacts").fetchone()[0]
    # An id two files claim belongs to neither: remove the one inserted first.
    if bulk:
        db.executemany(
            "INSERT INTO artifacts_fts(artifacts_fts, rowid, title, content) "
            "SELECT 'delete', pk, title, content FROM artifacts WHERE id = ?",
            [(i,) for i in clashes],
        )
    db.executemany("DELETE FROM artifacts WHERE id = ?", [(i,) for i in clashes])
    for artifact_id, paths in clashes.items():
        report.problems.append(DuplicateIdError(artifact_id, paths))
    clashing = {p for paths in clashes.values() for p in paths}
    report.added.extend(p for i, p in first_path.items() if i not in clashes)
    failed.update(clashing)


def _apply(
    mirror: Mirror,
    known: dict[str, _Known],
    on_disk: dict[str, FoundFile],
    parsed: dict[str, Parsed],
    stat_only: list[FoundFile],
    failed: set[str],
    scan_start_ns: int,
    report: ScanReport,
) -> None:
    """Turn what the scan saw into row operations, in one already-open transaction."""
    db = mirror.connection
    now = _now()
    holder = {entry.id: path for path, entry in known.items()}  # id -> path of its row today

    # What each path in view should hold: a parsed id; else, for unchanged or failed
    # files, the id its row has today (a failed file keeps its last good version).
    desired: dict[str, str] = {}
    for path in known.keys() | parsed.keys() | failed:
        if path in parsed:
            desired[path] = parsed[path].id
        elif path in known and (path in on_disk or path in failed):
            desired[path] = known[path].id

    # Rows outside a partial scan's view that hold an id a file in view now claims.
    outside_claims: dict[str, str] = {}
    missing = [i for i in set(desired.values()) if i not in holder]
    for artifact_id, path in select_in(db, "SELECT id, path FROM artifacts", "id", missing):
        holder[artifact_id] = path
        if os.path.lexists(os.path.join(str(mirror.config.root), path)):
            outside_claims[artifact_id] = path  # still there: it keeps its id

    # Two paths claiming one id: the path holding it today keeps it; the others are
    # refused and keep their previous row, which may in turn clash, hence the loop.
    reported: set[str] = set()
    for _ in range(len(desired) + 1):
        claims: dict[str, list[str]] = {}
        for path, artifact_id in desired.items():
            claims.setdefault(artifact_id, []).append(path)
        for artifact_id, path in outside_claims.items():
            if artifact_id in claims:
                claims[artifact_id].append(path)
        clashes = {i: sorted(ps) for i, ps in claims.items() if len(ps) > 1}
        if not clashes:
            break
        for artifact_id, paths in clashes.items():
            if artifact_id not in reported:
                report.problems.append(DuplicateIdError(artifact_id, paths))
                reported.add(artifact_id)
            for path in paths:
                if path == holder.get(artifact_id) or path not in desired:
                    continue
                failed.add(path)
                parsed.pop(path, None)
                if path in known and known[path].id != artifact_id:
                    desired[path] = known[path].id
                else:
                    del desired[path]

    final_ids = set(desired.values())
    deleting = [path for path, entry in known.items() if entry.id not in final_ids]
    db.executemany("DELETE FROM artifacts WHERE path = ?", [(p,) for p in deleting])
    report.deleted.extend(deleting)

    moving = [(artifact_id,) for path, artifact_id in desired.items() if holder.get(artifact_id, path) != path]
    db.executemany("UPDATE artifacts SET path = char(0) || 'moving/' || pk WHERE id = ?", moving)

    inserts, updates = [], []
    for path, artifact in parsed.items():
        values = (*_row_values(artifact, on_disk[path], scan_start_ns, now), artifact.id)
        old_path = holder.get(artifact.id)
        if old_path is None or old_path in deleting:
            inserts.append(values)
            report.added.append(path)
        else:
            updates.append(values)
            if old_path != path:
                report.renamed.append((old_path, path))
            else:
                report.updated.append(path)
    db.executemany(_UPDATE, updates)
    db.executemany(_INSERT, inserts)
    _update_stats(db, stat_only, scan_start_ns)


def _update_stats(db: sqlite3.Connection, stat_only: list[FoundFile], scan_start_ns: int) -> None:
    """Files whose content is unchanged but whose stat moved (touched, or racy last time)."""
    db.executemany(
        "UPDATE artifacts SET size = ?, mtime_ns = ? WHERE path = ?",
        [(item.size, _stamp(item, scan_start_ns), item.path) for item in stat_only],
    )


def _record_problems(db: sqlite3.Connection, report: ScanReport, scope: list[str] | None, now: str) -> None:
    """Replace the recorded problems of every path this scan looked at."""
    if scope is None:
        db.execute("DELETE FROM problems")
    else:
        db.executemany("DELETE FROM problems WHERE path = ?", [(p,) for p in scope])
    rows = []
    for problem in report.problems:
        if isinstance(problem, ArtifactError):
            rows.append((problem.path, problem.line, problem.reason, now))
        elif isinstance(problem, DuplicateIdError):
            rows.extend((p, None, str(problem), now) for p in problem.paths)
    db.executemany(
        "INSERT INTO problems(path, line, message, seen_at) VALUES (?,?,?,?) "
        "ON CONFLICT(path) DO UPDATE SET line = excluded.line, message = excluded.message",
        rows,
    )
