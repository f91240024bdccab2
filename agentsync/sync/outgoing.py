"""Push: every artifact whose file differs from what was last agreed goes up in batches; each
batch is kept in the outbox until its answer is applied, and resent with the same id after a
failure, so the remote applies it once. Batches go out from a thread while the next is
prepared. A change goes up exactly as its file reads, and a push writes no file: the remote
numbers versions itself, and a file's ``version:`` line is a hint that catches up when agentsync
writes the file anyway (pull, merge, resolve, export). A difference in that line alone is no edit."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

from agentsync import synclock
from agentsync.errors import AgentsyncError
from agentsync.identity import id_of
from agentsync.remotes.base import Answer, Change, PushResult, Remote
from agentsync.store import outbox, sync_state
from agentsync.store.mirror import Mirror
from agentsync.sync.batches import Batch, new_batches, pending_changes, resendable, without_put_back
from agentsync.sync.client import ask_database_id, bind_remote, client_id, cursor, register
from agentsync.sync.events import announced
from agentsync.sync.journal import now, recorded
from agentsync.sync.reports import PullReport, PushReport
from agentsync.tracing import span

LOG_PAGES = 16384  # while pushing, the mirror's log is written back at 64 MiB (sync_state.checkpoint_every)


@contextlib.contextmanager
def _push_run(mirror: Mirror, remote: Remote, author: str, rescan: bool, restored: bool) -> Iterator[PushReport]:
    """One push under the sync lock, recorded and traced; what the caller does with its report
    inside the block (``push_merging``'s merge) is part of the same run."""
    with synclock.hold(mirror.config, "push"), recorded(mirror, "push") as record, span("push") as traced, \
            announced(mirror, "push") as events, sync_state.checkpoint_every(mirror.connection, LOG_PAGES):  # fmt: skip
        report = _push(mirror, remote, author, rescan, restored)
        record.append(report)
        traced.set_attributes({
            "agentsync.applied": len(report.applied), "agentsync.conflicts": len(report.conflicts),
            "agentsync.locked": len(report.locked), "agentsync.refused": len(report.refused),
            "agentsync.resent_batches": report.resent, "agentsync.result": "ok" if report.ok else "partial",
        })  # fmt: skip
        register(mirror, remote)
        yield report
        _stage_sent(mirror, report)
        events.pushed(report)  # after push_merging's merge and second push: what the whole run applied


def push(mirror: Mirror, remote: Remote, author: str, *, rescan: bool = True, restored: bool = False) -> PushReport:
    """Send local changes (after any batch left in the outbox) and apply the answers. The work tree
    is scanned first unless ``rescan`` is False (a caller that keeps the mirror current itself:
    the watcher). A file Git put back (``sync.restored``) is held back unless ``restored``."""
    with _push_run(mirror, remote, author, rescan, restored) as report:
        return report


def _stage_sent(mirror: Mirror, report: PushReport) -> None:
    """The files this push shared that Git does not track yet are staged (see ``stage_shared``)."""
    if report.applied:
        from agentsync.store import artifacts
        from agentsync.sync.files import stage_shared

        paths = artifacts.paths_by_key(mirror.connection)
        stage_shared(mirror, [paths[key] for key, _version in report.applied if key in paths])


def push_merging(
    mirror: Mirror, remote: Remote, author: str, *, rescan: bool = True, restored: bool = False
) -> tuple[PushReport, PullReport | None]:
    """Push; changes the remote has moved past are merged at once (as `pull` does) and the clean
    merges pushed again, so one call settles what it can. Returns the push and, if it had to
    merge, the pull that did."""
    from agentsync.sync.incoming import pull_unlocked

    with _push_run(mirror, remote, author, rescan, restored) as report:
        if not report.conflicts:
            return report, None
        _renumber_newcomers(mirror, remote, author, report)
        if not report.conflicts:
            return report, None
        report.met_newer = list(report.conflicts)
        merge = pull_unlocked(mirror, remote, None, rescan)
        again = _push(mirror, remote, author, False, restored) if merge.merged else None
        report.conflicts = again.conflicts if again else []
        if again:
            report.applied.extend(again.applied)
            report.locked.extend(again.locked)
            report.problems.extend(again.problems)
        return report, merge


def _renumber_newcomers(mirror: Mirror, remote: Remote, author: str, report: PushReport) -> None:
    """A new artifact of this clone that met a *different* artifact with its id on the remote (a
    teammate's, made at the same time) gets a fresh id and goes out again: two artifacts stay two."""
    from agentsync.sync.ids import newcomers_clashing, renumber

    remote_rows = [answer.remote for answer in report.conflicts if answer.remote is not None]
    clashing = newcomers_clashing(mirror, remote_rows)
    if not clashing:
        return
    done, problems = renumber(mirror, remote, clashing)
    report.renumbered.extend([str(item) for item in done] + problems)
    gone = {item.old_key for item in done}
    report.conflicts = [answer for answer in report.conflicts if answer.key not in gone]
    if done:
        again = _push(mirror, remote, author, False)
        report.applied.extend(again.applied)
        report.conflicts.extend(again.conflicts)
        report.locked.extend(again.locked)
        report.problems.extend(again.problems)


def _push(mirror: Mirror, remote: Remote, author: str, rescan: bool, restored: bool = False) -> PushReport:
    from agentsync.scanner import scan

    database = ask_database_id(remote, meanwhile=rescan)  # connecting while the work tree is scanned
    if rescan:
        try:
            scan(mirror)
        except BaseException:
            with contextlib.suppress(BaseException):
                database()  # the connection made meanwhile is the caller's to close
            raise
    bind_remote(mirror, remote, database())
    report = PushReport()
    me = client_id(mirror)
    resent = resendable(mirror, outbox.queued(mirror.connection), report)
    report.resent = _send_all(mirror, remote, me, author, resent, report)
    pending = pending_changes(mirror) if restored else without_put_back(mirror, pending_changes(mirror), report)
    _send_all(mirror, remote, me, author, new_batches(mirror, pending, report), report)
    return report


class _NotSent(Exception):
    """A batch queued behind one the remote failed on: left in the outbox, not tried."""


def _send_all(
    mirror: Mirror, remote: Remote, me: str, author: str, batches: Iterator[Batch], report: PushReport
) -> int:
    """Send ``batches`` in order from one thread while this one prepares the next batch and applies
    the answer to the one before: the remote's work overlaps ours. After a failure nothing more
    is sent (a batch already queued stays in the outbox untried) and the first error is raised.
    Returns how many batches were answered."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from agentsync.errors import DiskFullError, PushNotRecorded

    failed = threading.Event()

    def send(batch_id: str, changes: list[Change], encoded: str) -> PushResult:
        if failed.is_set():
            raise _NotSent(batch_id)
        try:
            return remote.push(me, batch_id, author, changes, encoded)
        except Exception:
            failed.set()
            raise

    answered = 0
    first_error: AgentsyncError | None = None

    def land(batch_id: str, changes: list[Change], answer: Future[PushResult]) -> None:
        nonlocal answered, first_error
        try:
            result = answer.result()
        except _NotSent:
            return
        except AgentsyncError as exc:
            with mirror.transaction() as db:
                outbox.mark_failed(db, batch_id, str(exc))
            first_error = first_error or exc
            return
        try:
            _apply_answers(mirror, batch_id, changes, result, report, author)
        except DiskFullError as exc:  # the remote has it: the batch stays queued, and its answer with the remote
            raise PushNotRecorded(len(report.applied), exc) from None
        answered += 1

    in_flight: list[tuple[str, list[Change], Future[PushResult]]] = []  # sent or queued, not yet landed
    with ThreadPoolExecutor(1, thread_name_prefix="agentsync-push-sender") as sender:
        try:
            for batch_id, changes, encoded in batches:
                # The sender runs in this thread's context: its spans are children of the push's.
                sending = sender.submit(contextvars.copy_context().run, send, batch_id, changes, encoded)
                in_flight.append((batch_id, changes, sending))
                if len(in_flight) > 1:
                    land(*in_flight.pop(0))
                if failed.is_set():
                    break  # prepare no more: they would only wait in the outbox
        finally:
            while in_flight:  # the last batch; or, if preparing or applying another failed, those already sent
                land(*in_flight.pop(0))
    if first_error is not None:
        raise first_error
    return answered


def _apply_answers(
    mirror: Mirror, batch_id: str, changes: list[Change], result: PushResult, report: PushReport, author: str
) -> None:
    """Apply the remote's answers to a batch: what was agreed recorded (the text as sent, at the
    version the remote gave it) and the batch taken out of the outbox, in one transaction; no file
    is touched. When the batch's changes are all the remote has after the cursor, the cursor moves
    past them (this clone's own pushes are not changes it still has to fetch)."""
    by_key = {c.key: c for c in changes}
    by_id = {id_of(c.key): c for c in changes}  # an answer recorded before the remote knew types names the id alone
    agreed: list[sync_state.Agreed] = []
    conflicts: list[sync_state.ConflictRow] = []
    own: list[tuple[Any, ...]] = []  # the remote's rows as this batch made them (as fetched rows are kept)
    answered = now()  # one time for the whole batch's rows (a clock read and format per row cost more)
    for answer in result.answers:
        change = by_key.get(answer.key) or by_id[id_of(answer.key)]
        answer = answer if answer.key == change.key else dataclasses.replace(answer, key=change.key)
        if answer.result == "applied" and answer.version is not None:
            report.applied.append((answer.key, answer.version))
            if change.content is None:
                agreed.append(sync_state.Agreed(answer.key, change.path, answer.version, None, 1, None))
                own.append((answer.key, change.path, answer.version, None, 1, author, answer.seq, answered, None))
                continue
            # Its text is kept once, in sync_base (store.sync_state.fetched_row reads it from there).
            own.append((answer.key, change.path, answer.version, change.hash, 0, author, answer.seq, answered, None))
            agreed.append(sync_state.Agreed(answer.key, change.path, answer.version, change.hash, 0, change.content))
        elif answer.result == "conflict":
            report.conflicts.append(answer)
            conflicts.append(_push_conflict(answer, change))
        elif answer.result == "locked":
            report.locked.append(answer)
    with mirror.transaction() as db:
        sync_state.record_answers(db, batch_id, agreed, conflicts)
        _skip_own_changes(mirror, own, result.head)


def _skip_own_changes(mirror: Mirror, own: list[tuple[Any, ...]], head: int) -> None:
    """Move the cursor past this batch's own changes when they are exactly the remote's changes
    after it (numbers cursor+1 .. head, nobody else's in between): they are kept as fetched rows
    (for `diff`, `resolve`, `log`), and the next fetch need not bring them back. Anything else
    (another clone's change in between, a batch answered before) leaves the cursor alone."""
    from agentsync.store.meta import MetaKey

    reached = cursor(mirror)
    numbers = sorted(row[6] for row in own if row[6] is not None)
    if not numbers or numbers != list(range(reached + 1, head + 1)):
        return
    sync_state.store_page(mirror.connection, own)
    mirror.set_meta(MetaKey.REMOTE_CURSOR, str(head))
    if mirror.get_meta(MetaKey.APPLIED_CURSOR) == str(reached):
        mirror.set_meta(MetaKey.APPLIED_CURSOR, str(head))


def _push_conflict(answer: Answer, change: Change) -> sync_state.ConflictRow:
    """The conflict a push met: the remote moved past the version this clone's change is based on."""
    theirs = answer.remote
    shown_version, shown_author = (theirs.version, theirs.author) if theirs else ("?", "?")
    message = (f"changed on the remote (v{shown_version} by {shown_author}) since this clone's v{change.base}; "
               "pull to merge")  # fmt: skip
    return sync_state.ConflictRow(answer.key, change.path, "push", theirs.version if theirs else 0,
                                  theirs.author if theirs else None, message, now())  # fmt: skip
