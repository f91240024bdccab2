"""Pull: fetch, then bring the work tree up to date a chunk at a time. A clean file
fast-forwards, a file edited on both sides is merged (or becomes a recorded conflict), what the
remote deleted goes, what it should not send is kept aside. While one chunk's files are written
(in a thread), the next is planned and the one before recorded."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from agentsync import synclock
from agentsync.errors import Problem
from agentsync.remotes.base import Remote
from agentsync.store import sync_state
from agentsync.store.meta import MetaKey
from agentsync.store.mirror import Mirror
from agentsync.store.sync_state import Fetched
from agentsync.sync.client import cursor, register
from agentsync.sync.events import announced
from agentsync.sync.feed import PAGE_SIZE, fetch_unlocked
from agentsync.sync.files import (
    FolderNames,
    settle_vacated,
    stage_left_over,
    stage_shared,
    staging_done,
    unchanged,
    write_unchanged,
)
from agentsync.sync.journal import recorded
from agentsync.sync.plan import ChunkPlan, Pass, Planner
from agentsync.sync.reports import PullReport, Quarantined
from agentsync.tracing import span

if TYPE_CHECKING:
    from agentsync.gitfields import GitFieldGuard
    from agentsync.parsing import Progress
    from agentsync.paths import Matcher

# Parsing, scanning and file writing are imported where they are used: a pull with nothing
# new (one round trip, the common case for hooks and watchers) never loads them.

PULL_CHUNK = 1000  # files written together (one sync) and recorded in one transaction


def pull(mirror: Mirror, remote: Remote, progress: Progress | None = None, *, rescan: bool = True) -> PullReport:
    """Fetch, then bring clean files up to date and record conflicts for files edited on both sides.
    ``progress(done, total)`` hears about a long fetch, then about the files being written. The
    work tree is scanned first unless ``rescan`` is False (the watcher keeps the mirror current;
    a file saved but not yet mirrored is still never written over: see ``plan``)."""
    with synclock.hold(mirror.config, "pull"), recorded(mirror, "pull") as record, span("pull") as traced, \
            announced(mirror, "pull") as events:  # fmt: skip
        report = pull_unlocked(mirror, remote, events.progress(progress), rescan)
        record.append(report)
        events.pulled(report)
        traced.set_attributes({
            "agentsync.fetched": report.fetched, "agentsync.written": len(report.written),
            "agentsync.merged": len(report.merged), "agentsync.deleted": len(report.deleted),
            "agentsync.conflicts": len(report.conflicts), "agentsync.deferred": len(report.deferred),
            "agentsync.cursor": cursor(mirror), "agentsync.result": "ok" if report.ok else "partial",
        })  # fmt: skip
        register(mirror, remote)
        return report


def quarantined(mirror: Mirror) -> list[Quarantined]:
    """The remote rows this clone refused and keeps aside, oldest first (what `status` and `doctor` show)."""
    return [Quarantined(r.key, r.version, r.path, r.author, r.reason) for r in sync_state.kept_aside(mirror.connection)]


def pull_unlocked(mirror: Mirror, remote: Remote, progress: Progress | None, rescan: bool) -> PullReport:
    """``pull`` for a caller that holds the sync lock already (a push that met newer versions)."""
    report = PullReport(fetched=fetch_unlocked(mirror, remote, PAGE_SIZE, progress))
    stage_left_over(mirror)  # an earlier pull's files, if it was cut short before staging them
    reached = str(cursor(mirror))
    if not report.fetched and mirror.get_meta(MetaKey.APPLIED_CURSOR) == reached:
        return report  # nothing arrived, and everything fetched before was applied (or waits in a conflict)
    db = mirror.connection
    # Contents are read a chunk at a time below: a pull of 100,000 artifacts never holds them all.
    pending = sync_state.fetched_not_applied(db)
    if not pending:
        _applied_through(mirror, reached)
        return report  # nothing to bring in: the work tree need not even be looked at
    from agentsync.gitfields import GitFieldGuard
    from agentsync.paths import Matcher, PathPolicy
    from agentsync.scanner import BULK_THRESHOLD, scan

    if rescan:
        scan(mirror)  # which files have local edits, as of now
    report.renumbered = _renumber_newcomers(mirror, remote, pending)
    matcher = Matcher.from_config(mirror.config)
    guard = GitFieldGuard(mirror)
    with mirror.transaction() as tx:  # a push that met a newer version: this pull merges it; a
        sync_state.drop_conflicts(tx, ("push", "pull"))  # target that was taken is looked at again
        mirror.set_meta(MetaKey.STAGING_DUE, "1")  # until what this pull writes is staged
    waiting = sync_state.waiting_ids(db)  # resolved before anything new lands
    large = len(pending) >= BULK_THRESHOLD and len(pending) * 4 >= mirror.count()
    applied = [0]

    def advanced(count: int) -> None:
        applied[0] += count
        if progress is not None:
            progress(applied[0], len(pending))

    # Where each artifact this pull deletes or moves away goes: a row whose target one of them
    # still occupies waits for a second pass, after those have left.
    leaving = {row.key: None if row.deleted else row.path for row in pending}
    vacating: set[str] = set()
    policy = PathPolicy.for_config(mirror.config, matcher)
    chunks = (pending[start : start + PULL_CHUNK] for start in range(0, len(pending), PULL_CHUNK))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="agentsync-stage") as stager:
        with mirror.deferred_index() if large else contextlib.nullcontext():
            names = FolderNames()
            vacated: list[tuple[str, str | None]] = []
            first = Pass(waiting, leaving, vacating, policy, names, vacated)
            _apply_chunks(mirror, chunks, first, matcher, guard, report, advanced)
            if vacating:
                again = [row for row in sync_state.fetched_not_applied(db) if row.key in vacating]
                last = Pass(waiting, {}, set(), policy, names, vacated, final=True)
                _apply_chunks(mirror, iter([again]), last, matcher, guard, report, advanced)
            # every chunk written (no writer of this pull still making folders): the emptied ones go
            kept = {root for type_config in mirror.config.types for root in type_config.id_rule.roots}  # fixed folders
            moved = settle_vacated(policy, vacated, report.written, kept)
            # A teammate's artifacts are staged before their commit; Git does it while the full-text
            # index is rebuilt, both work outside Python (a git process, SQLite), side by side.
            staged = stager.submit(stage_shared, mirror, [*report.written, *moved])
        staging_done(mirror, staged.result())
    # a folder that became a symlink while pulling: not written
    report.problems.extend(map(Problem.of, policy.refused))
    report.overrides.extend(guard.overrides)
    if not (
        report.deferred or report.put_back or sync_state.has_conflicts_of(db, "pull")
    ):  # else the next pull looks again
        _applied_through(mirror, reached)
    _log_choices(report)
    return report


def _renumber_newcomers(mirror: Mirror, remote: Remote, pending: list[Fetched]) -> list[str]:
    """This clone's new artifacts whose ids arrive as *different* artifacts from the remote get fresh
    ids first, so the remote's land beside them instead of being merged into them."""
    from agentsync.sync.ids import newcomers_clashing, renumber

    clashing = newcomers_clashing(mirror, pending)
    if not clashing:
        return []
    done, problems = renumber(mirror, remote, clashing)
    return [str(item) for item in done] + problems


def _log_choices(report: PullReport) -> None:
    """An edit that beat a deletion, or a strategy's choice, goes to the log as well as the report:
    the file changed without a conflict, so the log is where someone looks for why later."""
    if report.restored or report.overridden:
        import logging

        log = logging.getLogger("agentsync.sync")
        for artifact_id, message in report.restored:
            log.warning("restored %s: %s", artifact_id, message)
        for artifact_id, message in report.overridden:
            log.warning("resolved %s by strategy: %s", artifact_id, message)


def _applied_through(mirror: Mirror, reached: str) -> None:
    """Every row fetched up to ``reached`` is applied or waits in a conflict: the next pull that
    fetches nothing new need not look for work (on 10,000 rows that look costs ~0.2 s)."""
    with mirror.transaction():
        mirror.set_meta(MetaKey.APPLIED_CURSOR, reached)


def _apply_chunks(
    mirror: Mirror, chunks: Iterator[list[Fetched]], run: Pass, matcher: Matcher,
    guard: GitFieldGuard, report: PullReport, progress: Callable[[int], None],
) -> None:  # fmt: skip
    """Apply chunks of fetched rows in a pipeline: a chunk's files are written in a thread (the
    kernel's work, which needs little of the GIL) while this thread records the chunk before and
    plans the next. Each chunk's files are still written before its rows are recorded, and the
    chunks are written one after the other, each checking its targets right before it replaces them.
    A chunk with a merge or a move (``ChunkPlan.stands_alone``) is written only once the chunk before
    is recorded: should recording fail, no such file is left on disk unrecorded."""
    from concurrent.futures import Future, ThreadPoolExecutor

    cleaned: set[str] = set()  # folders rid of temp files a killed writer left: once per pull

    def record(plan: ChunkPlan, files: Future[list[str]]) -> None:
        _record_chunk(mirror, plan, files.result(), report, run)
        progress(len(plan.rows))

    with ThreadPoolExecutor(1, thread_name_prefix="agentsync-pull-writer") as writer:
        written: tuple[ChunkPlan, Future[list[str]]] | None = None  # handed to the writer, not yet recorded
        for chunk in chunks:
            try:
                plan = Planner(mirror, chunk, run, matcher, guard, report).plan_chunk()
            except BaseException:
                if written is not None:  # the chunk written meanwhile is recorded all the same
                    record(*written)
                raise
            done, written = written, None
            if done is not None and not plan.stands_alone:
                record(*done)
                done = None
            written = (plan, writer.submit(write_unchanged, plan.writes, plan.expected, cleaned, run.policy))
            if done is not None:
                try:
                    record(*done)
                except BaseException:
                    # Not started: never written. Else it finishes unrecorded, and the next pull
                    # finds its files as the remote has them and agrees them without writing.
                    written[1].cancel()
                    raise
        if written is not None:
            record(*written)


def _record_chunk(mirror: Mirror, plan: ChunkPlan, skipped: list[str], report: PullReport, run: Pass) -> None:
    """After a chunk's files are written: remove what the remote deleted or moved away, mirror the
    files, then record what was agreed, the conflicts and the rows kept aside in one transaction."""
    from agentsync.scanner import scan

    root, policy = mirror.config.root, run.policy
    left = set(skipped)
    run.names.made(target for target, _ in plan.writes if target not in left)
    plan.deferred.update(plan.owner[target] for target in skipped)
    hashes = {row.key: row.hash for row in plan.agreed}
    for rid, path in plan.removals:
        if policy.intact(root / path) and unchanged(root / path, plan.locals_by_id[rid].hash):
            (root / path).unlink(missing_ok=True)
            run.names.removed(root / path)
            run.vacated.append((path, None))
            report.deleted.append(path)
        else:
            plan.deferred.add(rid)
    for rid, path in plan.moved_from:
        if rid in plan.deferred or not policy.intact(root / path):
            continue
        if unchanged(root / path, hashes.get(rid), plan.locals_by_id[rid].hash):
            (root / path).unlink(missing_ok=True)
            run.names.removed(root / path)
            run.vacated.append((path, run.leaving.get(rid)))
    if plan.deferred:
        _drop_deferred(plan, report)
    # The files are mirrored first, so what was agreed finds its text there and is not written again
    # (store.sync_state.upsert_agreed). Stopped in between, the next pull finds each file already as
    # the remote has it, and agrees it without writing it.
    skip = len(str(root).rstrip(os.sep)) + 1  # every target is root / its path: cut, not re-parsed
    touched = [target[skip:].replace(os.sep, "/") for target, _ in plan.writes]
    touched += [path for _, path in plan.removals] + [path for _, path in plan.moved_from]
    if touched:
        scan(mirror, touched, written=plan.written)
    with mirror.transaction() as tx:
        sync_state.upsert_agreed(tx, plan.agreed)
        sync_state.upsert_conflicts(tx, plan.conflicts)
        sync_state.upsert_notes(tx, plan.notes)
        sync_state.keep_aside(tx, plan.quarantined)
        sync_state.release(tx, [row.key for row in plan.agreed])  # a newer version replaces the one refused


def _drop_deferred(plan: ChunkPlan, report: PullReport) -> None:
    """Take the artifacts whose files were saved during the pull out of what it records: their
    rows stay fetched-not-applied, so the next pull merges them with the save."""
    deferred, locals_by_id = plan.deferred, plan.locals_by_id
    paths = {row.key: row.path for row in plan.rows if row.key in deferred}
    for rid in sorted(deferred):
        local = locals_by_id.get(rid)
        report.deferred.append(local.path if local else paths.get(rid, rid))
    mine = set(paths.values()) | {locals_by_id[rid].path for rid in deferred if rid in locals_by_id}
    plan.agreed[:] = [row for row in plan.agreed if row.key not in deferred]
    plan.conflicts[:] = [row for row in plan.conflicts if row.key not in deferred]
    plan.notes[:] = [note for note in plan.notes if note[0] not in deferred]
    plan.writes[:] = [item for item in plan.writes if plan.owner[item[0]] not in deferred]
    plan.moved_from[:] = [item for item in plan.moved_from if item[0] not in deferred]
    report.conflicts[:] = [c for c in report.conflicts if c[0] not in deferred]
    report.written[:] = [path for path in report.written if path not in mine]
    report.merged[:] = [path for path in report.merged if path not in mine]
    for path in mine:
        plan.written.pop(path, None)
