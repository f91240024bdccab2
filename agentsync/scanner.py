"""Scanning the work tree into the mirror.

Stat first (mtime_ns, size), read and parse only what changed, then apply all of it
— additions, updates, renames (same id, new path), deletions — in one transaction.
A file that cannot be parsed is reported and skipped; its last good version stays
in the mirror. Two files with one id are an error; neither replaces the other.
"""

from __future__ import annotations

import datetime
import gc
import itertools
import os
import sqlite3
import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING

from agentsync.errors import Problem, duplicate_hint
from agentsync.folders import is_racy
from agentsync.paths import FoundFile
from agentsync.statpass import Seen, look
from agentsync.store import Mirror, artifacts
from agentsync.store.artifacts import ProblemRow, Record, StatUpdate
from agentsync.store.meta import INDEX_DEFERRED_VALUE, MetaKey

if TYPE_CHECKING:  # the parser is imported only by a scan that has files to read: a no-op does without it
    from agentsync.config import Config
    from agentsync.parsing import Parsed, ParseResult, Progress

# A file modified this close to (or after) the scan may change again within the same
# mtime tick (folders.is_racy): record it as racy so the next scan reads it instead of trusting the stat.
RACY = -1
BULK_THRESHOLD = 1000  # this many files to (re)index: rebuild the full-text index once instead

__all__ = ["BULK_THRESHOLD", "RACY", "ScanReport", "scan"]


class ScanReport:
    """What a scan did; ``problems`` lists every file it could not mirror, ``found`` every artifact
    file in view (changed or not; refused ones aside), so a caller needs no walk of its own. (A plain
    class, not a dataclass: the post-commit hook's process would pay more to define one than to scan a file.)"""

    __slots__ = ("added", "deleted", "found", "problems", "renamed", "unchanged", "updated")

    def __init__(
        self,
        added: list[str] | None = None,
        updated: list[str] | None = None,
        renamed: list[tuple[str, str]] | None = None,
        deleted: list[str] | None = None,
        unchanged: int = 0,
        problems: list[Problem] | None = None,
    ) -> None:
        self.added = added or []
        self.updated = updated or []
        self.renamed = renamed or []
        self.deleted = deleted or []
        self.unchanged = unchanged
        self.problems = problems or []
        self.found: list[str] = []

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "found")
        return f"ScanReport({shown})"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.renamed or self.deleted)


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
    scan_start_ns = time.time_ns()
    report = ScanReport()
    scope = None if paths is None else sorted(set(paths))

    with mirror.transaction() as db:
        seen = look(mirror, scope, scan_start_ns)
        report.problems += seen.problems
        report.found, report.unchanged = seen.found, seen.unchanged
        failed: set[str] = set(seen.refused)
        deferred = mirror.get_meta(MetaKey.INDEX_DEFERRED) is not None  # by the caller
        bulk = not deferred and len(seen.to_read) >= BULK_THRESHOLD and len(seen.to_read) * 4 >= len(seen.known)
        if bulk:
            mirror.set_meta(MetaKey.INDEX_DEFERRED, INDEX_DEFERRED_VALUE)
        preparsed = [written[i.path][0] for i in seen.to_read if i.path in written and written[i.path][1] == i.size]
        known_paths = {parsed.path for parsed in preparsed}
        to_parse = [item for item in seen.to_read if item.path not in known_paths]
        parsing = _parsed(to_parse, config, progress)
        first: list[ParseResult] = list(preparsed)
        batches = itertools.chain([first], parsing) if preparsed else parsing
        indexed = False
        with closing(parsing):  # an error below stops the worker processes at once
            if scope is None and seen.rows == 0:
                _fill_empty(db, batches, seen.on_disk, failed, scan_start_ns, report, bulk=bulk)
                indexed = True
            else:
                _changes(db, mirror, seen, batches, failed, scan_start_ns, report)
        report.problems = [_said_of(problem, config) for problem in report.problems]
        if bulk:
            mirror.delete_meta(MetaKey.INDEX_DEFERRED)
            if not indexed:
                artifacts.rebuild_index(db)
        if report.problems or artifacts.has_problems(db, scope):  # a no-op writes nothing at all
            artifacts.record_problems(db, scope, _problem_rows(report), _now())
        if scope is None and (report.changed or mirror.get_meta(MetaKey.FULL_SCAN_AT) is None):
            mirror.set_meta(MetaKey.FULL_SCAN_AT, _now())
        generation = artifacts.stat_generation(db)  # what the listings' sizes and mtimes describe, once committed
    if seen.listings is not None:
        seen.listings.save(generation)
    mirror.use_wal()
    return report


def _parsed(
    files: list[FoundFile], config: Config, progress: Progress | None
) -> Generator[list[ParseResult], None, None]:
    """``parsing.parse_files`` of ``files`` (closed with this generator), imported only when there are some."""
    if not files:
        return
    from agentsync.parsing import parse_files

    yield from parse_files(files, config.max_file_size, progress, config.id_rules())


def _changes(
    db: sqlite3.Connection, mirror: Mirror, seen: Seen, batches: Iterator[list[ParseResult]], failed: set[str],
    scan_start_ns: int, report: ScanReport,
) -> None:  # fmt: skip
    """Sort parsed files into changed and merely touched ones, and apply them."""
    parsed: dict[str, Parsed] = {}
    stat_only: list[FoundFile] = []
    for batch in batches:
        for result in batch:
            if isinstance(result, Problem):
                report.problems.append(result)
                failed.add(result.path)
                continue
            entry = seen.known.get(result.path)
            if entry is not None and entry.disk_hash == result.hash and entry.key == result.key:
                stat_only.append(seen.on_disk[result.path])
                report.unchanged += 1
            else:
                parsed[result.path] = result
    if parsed or failed or seen.gone:
        _apply(mirror, seen, parsed, failed, scan_start_ns, report)
    _update_stats(db, stat_only, scan_start_ns)


def _said_of(problem: Problem, config: Config) -> Problem:
    """A duplicate id of a type whose ids come from file or folder names, said so (renaming one is the fix)."""
    if problem.kind != "duplicate_id" or not config.ids_from_names(problem.artifact_id):
        return problem
    return problem._replace(message=duplicate_hint(True, problem.paths))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _row_values(parsed: Parsed, item: FoundFile, scan_start_ns: int, now: str) -> Record:
    return Record(
        parsed.path, parsed.type, parsed.title, parsed.status, parsed.version, parsed.layout,
        parsed.fields, parsed.content, parsed.hash, item.size, _stamp(item, scan_start_ns), now, parsed.id,
    )  # fmt: skip


def _stamp(item: FoundFile, scan_start_ns: int) -> int:
    return RACY if is_racy(item.mtime_ns, scan_start_ns) else item.mtime_ns


def _fill_empty(
    db: sqlite3.Connection,
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
    now = _now()
    first_path: dict[str, str] = {}
    clashes: dict[str, list[str]] = {}
    indexed_pk = 0
    with artifacts.indexes_built_after(db):  # keys are unique already: the clashes are set apart here
        for batch in batches:
            rows = []
            for result in batch:
                if isinstance(result, Problem):
                    report.problems.append(result)
                    failed.add(result.path)
                    continue
                if result.key in first_path:  # identity is (type, id): one id may serve several types
                    clashes.setdefault(result.key, [first_path[result.key]]).append(result.path)
                    continue
                first_path[result.key] = result.path
                rows.append(_row_values(result, on_disk[result.path], scan_start_ns, now))
            artifacts.insert(db, rows)
            if bulk:  # index this batch now, while the workers parse the next ones
                indexed_pk = artifacts.index_after(db, indexed_pk)
    # An id two files claim belongs to neither: remove the one inserted first.
    artifacts.delete_keys(db, clashes, index_deferred=bulk)
    for key, paths in clashes.items():
        real = {path: on_disk[path].real_path for path in paths}
        report.problems.append(Problem.duplicate_id(key, paths, _id_lines(real, key)))
    clashing = {p for paths in clashes.values() for p in paths}
    report.added.extend(p for i, p in first_path.items() if i not in clashes)
    failed.update(clashing)


def _apply(
    mirror: Mirror, seen: Seen, parsed: dict[str, Parsed], failed: set[str], scan_start_ns: int, report: ScanReport
) -> None:
    """Turn what the scan saw into row operations, in one already-open transaction."""
    db = mirror.connection
    now = _now()
    known, on_disk = seen.known, seen.on_disk
    holder = {entry.key: path for path, entry in known.items()}  # key -> path of its row today

    # What each path in view should hold: a parsed id; else, for unchanged or failed
    # files, the id its row has today (a failed file keeps its last good version).
    desired: dict[str, str] = {}
    for path in known.keys() | parsed.keys() | failed:
        if path in parsed:
            desired[path] = parsed[path].key
        elif path in known and (path in on_disk or path in failed):
            desired[path] = known[path].key

    # Rows outside a partial scan's view that hold an id a file in view now claims.
    outside_claims: dict[str, str] = {}
    missing = [i for i in set(desired.values()) if i not in holder]
    for artifact_id, path in artifacts.holders(db, missing):
        holder[artifact_id] = path
        if os.path.lexists(os.path.join(str(mirror.config.root), path)):
            outside_claims[artifact_id] = path  # still there: it keeps its id
    _settle_claims(known, desired, holder, outside_claims, parsed, failed, report)
    for index, problem in enumerate(report.problems):  # where each file states the id it shares
        if problem.kind == "duplicate_id" and not any(problem.lines):
            real = {path: os.path.join(str(mirror.config.root), path) for path in problem.paths}
            report.problems[index] = Problem.duplicate_id(
                problem.artifact_id, problem.paths, _id_lines(real, problem.artifact_id)
            )

    final_ids = set(desired.values())
    deleting = [path for path, entry in known.items() if entry.key not in final_ids]
    artifacts.delete_paths(db, deleting)
    report.deleted.extend(deleting)
    artifacts.park(db, [artifact_id for path, artifact_id in desired.items() if holder.get(artifact_id, path) != path])

    inserts, updates = [], []
    for path, artifact in parsed.items():
        values = _row_values(artifact, on_disk[path], scan_start_ns, now)
        old_path = holder.get(artifact.key)
        if old_path is None or old_path in deleting:
            inserts.append(values)
            report.added.append(path)
        else:
            updates.append(values)
            if old_path != path:
                report.renamed.append((old_path, path))
            else:
                report.updated.append(path)
    artifacts.update(db, updates)
    artifacts.insert(db, inserts)


def _settle_claims(
    known: dict[str, artifacts.Known], desired: dict[str, str], holder: dict[str, str],
    outside_claims: dict[str, str], parsed: dict[str, Parsed], failed: set[str], report: ScanReport,
) -> None:  # fmt: skip
    """Two paths claiming one id: the path holding it today keeps it; the others are refused
    and keep their previous row, which may in turn clash, hence the loop."""
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
            return
        for artifact_id, paths in clashes.items():
            if artifact_id not in reported:
                report.problems.append(Problem.duplicate_id(artifact_id, paths))
                reported.add(artifact_id)
            for path in paths:
                if path == holder.get(artifact_id) or path not in desired:
                    continue
                failed.add(path)
                parsed.pop(path, None)
                if path in known and known[path].key != artifact_id:
                    desired[path] = known[path].key
                else:
                    del desired[path]


def _id_lines(real_paths: dict[str, str], key: str) -> dict[str, int | None]:
    """Where each file (path -> what to open) states the id of ``key`` (None: not known)."""
    from agentsync.artifact import id_line
    from agentsync.identity import id_of

    lines: dict[str, int | None] = {}
    for path, real in real_paths.items():
        try:
            with open(real, encoding="utf-8", errors="replace") as handle:
                lines[path] = id_line(handle.read(), id_of(key))
        except OSError:
            lines[path] = None
    return lines


def _update_stats(db: sqlite3.Connection, stat_only: list[FoundFile], scan_start_ns: int) -> None:
    """Files whose content is unchanged but whose stat moved (touched, or racy last time)."""
    artifacts.update_stats(db, [StatUpdate(item.size, _stamp(item, scan_start_ns), item.path) for item in stat_only])


def _problem_rows(report: ScanReport) -> Iterator[ProblemRow]:
    for problem in report.problems:
        if problem.kind == "duplicate_id":
            lines = problem.lines or (None,) * len(problem.paths)
            yield from (ProblemRow(p, line, str(problem)) for p, line in zip(problem.paths, lines, strict=True))
        else:
            yield ProblemRow(problem.path, problem.line, problem.message)
