"""Push and pull between the mirror and a remote.

Push sends every artifact whose file differs from what was last agreed (``sync_base``) in
batches; each is kept in ``outbox`` until its answer is applied, and resent with the same
id after a failure, so the remote applies it once. Batches go out from a thread while the
next is prepared. An accepted change gets its new ``version:`` written into the file (only
that line). Pull fetches the change feed after the cursor (each page with the cursor after
it in one transaction, the next page asked for meanwhile), fast-forwards files that have no
local edits, and records a conflict for files that changed on both sides. Git fields
are never taken from the remote. Every file write is atomic and re-checks the file first.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from agentsync import synclock
from agentsync.errors import AgentsyncError, RemoteError
from agentsync.remotes.base import Answer, Change, Page, PushResult, Remote
from agentsync.store import Mirror, select_in
from agentsync.tracing import span

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from agentsync.gitfields import GitFieldGuard, Override
    from agentsync.outbound import Finding
    from agentsync.paths import Matcher, PathPolicy
    from agentsync.scanner import Parsed, Progress

# Parsing, scanning and file writing are imported where they are used: a pull with nothing
# new (one round trip, the common case for hooks and watchers) never loads them.

CURSOR_KEY = "remote_cursor"
CLIENT_KEY = "client_id"
# Rows fetched from the remote (``r``) that are newer than what was agreed (``b``): what a pull applies.
# A row kept in quarantine (refused: see ``_refusal``) is not pending: it waits for a newer version.
FETCHED_NOT_APPLIED = (
    "FROM remote_rows r LEFT JOIN sync_base b ON b.id = r.id WHERE (b.id IS NULL OR r.version > b.version) "
    "AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = r.id AND q.version = r.version)"
)
APPLIED_KEY = "remote_applied_cursor"  # the cursor up to which fetched rows have been applied
REMOTE_KEY = "remote_identity"  # the remote (and project) this mirror's versions and cursor belong to
PAGE_SIZE = 2000
PULL_CHUNK = 1000  # files written together (one sync) and recorded in one transaction
BATCH_CHANGES = 600  # changes per pushed batch (~2.3 MB of JSON over HTTP): 10,000 artifacts take 17 requests,
# and the clone registers itself with one more at most every few minutes


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def client_id(mirror: Mirror) -> str:
    """This clone's id (made once, kept in the mirror): the remote's key for idempotent batches."""
    known = mirror.get_meta(CLIENT_KEY)
    if known:
        return known
    made = uuid.uuid4().hex
    with mirror.transaction() as db:
        db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (CLIENT_KEY, made))
    return mirror.get_meta(CLIENT_KEY) or made


def bind_remote(mirror: Mirror, remote: Remote) -> None:
    """Tie the mirror's sync state to ``remote``, or refuse to mix it with another remote's: a
    cursor from one remote would skip another's changes, and versions would not match."""
    known = mirror.get_meta(REMOTE_KEY)
    if known == remote.identity:
        return
    if known is not None and has_sync_state(mirror):
        raise RemoteError(
            f"this clone syncs with {known}, not {remote.identity}: its versions and cursor belong there. "
            "Point `remote:` back at it, or start over with this remote: `agentsync remote reset`"
        )
    with mirror.transaction() as db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (REMOTE_KEY, remote.identity))


def has_sync_state(mirror: Mirror) -> bool:
    db = mirror.connection
    return (
        any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in ("sync_base", "remote_rows", "outbox"))
        or int(mirror.get_meta(CURSOR_KEY) or 0) > 0
    )


def reset_sync_state(mirror: Mirror, *, drop_queued: bool = False) -> int:
    """Forget everything agreed with the remote (files are untouched); returns the queued batches dropped.
    Batches waiting in the outbox are kept unless ``drop_queued``: they hold edits not yet accepted."""
    with synclock.hold(mirror.config, "remote reset"):
        return _reset_sync_state(mirror, drop_queued)


def _reset_sync_state(mirror: Mirror, drop_queued: bool) -> int:
    db = mirror.connection
    queued = int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    if queued and not drop_queued:
        raise RemoteError(
            f"{queued} batch(es) of edits wait in the outbox for {mirror.get_meta(REMOTE_KEY) or 'the remote'}; "
            "push them first, or reset with --drop-queued (their edits stay in the files and are pushed again)"
        )
    with mirror.transaction() as tx:
        for table in ("sync_base", "remote_rows", "conflicts", "outbox", "quarantine"):
            tx.execute(f"DELETE FROM {table}")
        tx.execute("DELETE FROM meta WHERE key IN (?, ?, ?)", (CURSOR_KEY, REMOTE_KEY, APPLIED_KEY))
    return queued


@dataclass
class PushReport:
    applied: list[tuple[str, int]] = field(default_factory=list)
    conflicts: list[Answer] = field(default_factory=list)
    locked: list[Answer] = field(default_factory=list)
    resent: int = 0  # batches from the outbox sent again
    problems: list[AgentsyncError] = field(default_factory=list)
    met_newer: list[Answer] = field(default_factory=list)  # conflicts `push_merging` merged (or tried to)
    refused: list[Finding] = field(default_factory=list)  # what the outbound scan kept from leaving

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.locked or self.problems or self.refused)


def _with_version(content: str, layout: str, version: int) -> str:
    """The content as it will be at ``version``: only its ``version:`` line changes.
    Files without frontmatter (the ``.agent/cache`` layout) are left exactly as they are."""
    from agentsync.frontmatter_edit import set_field

    if layout != "frontmatter":
        return content
    edited = set_field(content, "version", version)
    return content if edited == content else edited


class Pending(NamedTuple):
    """An artifact to push, without its content: ``base`` is the version it is based on, and
    ``version`` what it will be (for a new artifact: the version its file states, at least 1)."""

    id: str
    path: str
    base: int
    version: int
    layout: str
    digest: str | None  # the file's hash; None for a deletion
    stated: int = 0  # the version the file states now


def pending_changes(mirror: Mirror) -> list[Pending]:
    """Artifacts whose file differs from what was last agreed with the remote, and deletions; an
    artifact with an open conflict waits until it is resolved."""
    db = mirror.connection
    base = {row[0]: row[1:] for row in db.execute("SELECT id, path, version, hash, deleted FROM sync_base")}
    waiting = {row[0] for row in db.execute("SELECT id FROM conflicts")}
    pending: list[Pending] = []
    present: set[str] = set()
    for artifact_id, path, digest, layout, file_version in db.execute(
        "SELECT id, path, hash, layout, version FROM artifacts ORDER BY id"
    ):
        present.add(artifact_id)
        agreed = base.get(artifact_id)
        if artifact_id in waiting or (
            agreed is not None and not agreed[3] and agreed[2] == digest and agreed[0] == path
        ):
            continue
        if agreed is None and layout == "frontmatter" and file_version >= 1:
            pending.append(Pending(artifact_id, path, 0, file_version, layout, digest, file_version))
        else:
            based_on = agreed[1] if agreed is not None else 0
            pending.append(Pending(artifact_id, path, based_on, based_on + 1, layout, digest, file_version))
    for artifact_id, (path, version, _digest, deleted) in sorted(base.items()):
        if artifact_id not in present and not deleted and artifact_id not in waiting:
            pending.append(Pending(artifact_id, path, version, version + 1, "", None))
    return pending


def changes_for(mirror: Mirror, pending: list[Pending]) -> list[Change]:
    """The changes to send for ``pending``, contents read now: each as it will read once accepted,
    its ``version:`` line set to the version it becomes (a file that states it already is sent,
    and kept, exactly as it is)."""
    from agentsync.artifact import content_hash

    db = mirror.connection
    ids = [item.id for item in pending if item.digest is not None]
    contents: dict[str, str] = dict(select_in(db, "SELECT id, content FROM artifacts", "id", ids))
    notes = dict(db.execute("SELECT id, summary FROM notes"))  # a handful at most
    edited = [item.id for item in pending if item.base > 0]
    agreed: dict[str, tuple[str, str | None]] = {  # id -> (path, text) as last agreed, for the summaries
        row[0]: (row[1], row[2]) for row in select_in(db, "SELECT id, path, content FROM sync_base", "id", edited)
    }
    changes: list[Change] = []
    for item in pending:
        if item.digest is None:
            changes.append(Change(item.id, item.path, item.base, None, None, "deleted"))
            continue
        content = contents[item.id]
        sent = content if item.version == item.stated else _with_version(content, item.layout, item.version)
        sent_hash = item.digest if sent is content else content_hash(sent.encode("utf-8"))
        summary = _summary(agreed.get(item.id), item.path, content, notes.get(item.id, ""))
        changes.append(
            Change(item.id, item.path, item.base, sent, sent_hash, summary, item.digest, version=item.version)
        )
    return changes


def _summary(agreed: tuple[str, str | None] | None, path: str, content: str, note: str) -> str:
    """What the remote's history says of this version: what a conflict strategy chose (``note``),
    what changed since the agreed version and where it moved; at most 500 characters."""
    from agentsync.merge import describe_change

    parts = [note] if note else []
    parts.append(describe_change(agreed[1] if agreed else None, content))
    if agreed and agreed[0] != path:
        parts.append(f"moved from {agreed[0]}")
    return "; ".join(parts)[:500]


KEEP_OPERATIONS = 1000  # rows of `operations` kept: enough for `stats` over recent runs
REGISTERED_KEY = "client_registered_at"
REGISTER_EVERY = 300.0  # seconds: a clone tells the remote it is alive (and its cursor) at most this often


def register(mirror: Mirror, remote: Remote, *, force: bool = False) -> bool:
    """Tell the remote this clone exists (id, user, host, version, cursor), at most every few
    minutes; a remote without migration 8, or any failure, is let pass: registering is a courtesy."""
    last = float(mirror.get_meta(REGISTERED_KEY) or 0)
    if not force and time.time() - last < REGISTER_EVERY:
        return False
    import socket

    from agentsync import __version__
    from agentsync.gitrepo import user_identity

    try:
        cursor = int(mirror.get_meta(CURSOR_KEY) or 0)
        remote.register_client(client_id(mirror), user_identity(mirror.config.root), socket.gethostname(),
                               __version__, cursor)  # fmt: skip
    except AgentsyncError:
        return False
    with mirror.transaction() as db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (REGISTERED_KEY, str(time.time())))
    return True


@contextlib.contextmanager
def _recorded(mirror: Mirror, operation: str) -> Iterator[list[Any]]:
    """Record one sync operation in the mirror's `operations` table, however it ends. The caller
    puts its report in the yielded list."""
    started, clock = _now(), time.perf_counter()
    holder: list[Any] = []
    error: str | None = None
    try:
        yield holder
    except BaseException as exc:  # recorded as it was shown: one line, without credentials
        from agentsync.secrets import redact

        error = redact(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
        raise
    finally:
        report = holder[0] if holder else None
        pushed = len(report.applied) if isinstance(report, PushReport) else 0
        pulled = report.fetched if isinstance(report, PullReport) else (report if isinstance(report, int) else 0)
        conflicts = len(getattr(report, "conflicts", []) or [])
        ok = error is None and (report is None or isinstance(report, int) or report.ok)
        result = "ok" if ok else ("error" if error is not None else "partial")
        elapsed = round((time.perf_counter() - clock) * 1000)
        try:
            with mirror.transaction() as db:
                db.execute("INSERT INTO operations(operation, started_at, duration_ms, result, pushed, pulled, "
                           "conflicts, error) VALUES (?,?,?,?,?,?,?,?)",
                           (operation, started, elapsed, result, pushed, pulled, conflicts, error))  # fmt: skip
                db.execute("DELETE FROM operations WHERE seq <= (SELECT max(seq) FROM operations) - ?",
                           (KEEP_OPERATIONS,))  # fmt: skip
        except AgentsyncError:
            pass  # the record is a convenience: never the reason a sync fails


def _trace_push(traced: Any, report: PushReport) -> None:
    traced.set_attributes({
        "agentsync.applied": len(report.applied), "agentsync.conflicts": len(report.conflicts),
        "agentsync.locked": len(report.locked), "agentsync.refused": len(report.refused),
        "agentsync.resent_batches": report.resent, "agentsync.result": "ok" if report.ok else "partial",
    })  # fmt: skip


@contextlib.contextmanager
def _push_run(mirror: Mirror, remote: Remote, author: str, rescan: bool) -> Iterator[PushReport]:
    """One push under the sync lock, recorded and traced; what the caller does with its report
    inside the block (``push_merging``'s merge) is part of the same run."""
    with synclock.hold(mirror.config, "push"), _recorded(mirror, "push") as record, span("push") as traced:
        report = _push(mirror, remote, author, rescan)
        record.append(report)
        _trace_push(traced, report)
        register(mirror, remote)
        yield report


def push(mirror: Mirror, remote: Remote, author: str, *, rescan: bool = True) -> PushReport:
    """Send local changes (after any batch left in the outbox) and apply the answers. The work tree
    is scanned first unless ``rescan`` is False (a caller that keeps the mirror current itself:
    the watcher)."""
    with _push_run(mirror, remote, author, rescan) as report:
        return report


def push_merging(
    mirror: Mirror, remote: Remote, author: str, *, rescan: bool = True
) -> tuple[PushReport, PullReport | None]:
    """Push; changes the remote has moved past are merged at once (as `pull` does) and the clean
    merges pushed again, so one call settles what it can. Returns the push and, if it had to
    merge, the pull that did."""
    with _push_run(mirror, remote, author, rescan) as report:
        if not report.conflicts:
            return report, None
        report.met_newer = list(report.conflicts)
        merge = _pull(mirror, remote, None, rescan)
        again = _push(mirror, remote, author, False) if merge.merged else None
        report.conflicts = again.conflicts if again else []
        if again:
            report.applied.extend(again.applied)
            report.locked.extend(again.locked)
            report.problems.extend(again.problems)
        return report, merge


def _push(mirror: Mirror, remote: Remote, author: str, rescan: bool) -> PushReport:
    from agentsync.scanner import scan

    if rescan:
        scan(mirror)
    bind_remote(mirror, remote)
    report = PushReport()
    me = client_id(mirror)
    queued = mirror.connection.execute("SELECT batch_id, changes FROM outbox ORDER BY created_at").fetchall()
    resent = ((batch_id, [Change(**c) for c in json.loads(changes)]) for batch_id, changes in queued)
    report.resent = _send_all(mirror, remote, me, author, resent, report)
    _send_all(mirror, remote, me, author, _new_batches(mirror, pending_changes(mirror), report), report)
    return report


def _new_batches(mirror: Mirror, pending: list[Pending], report: PushReport) -> Iterator[tuple[str, list[Change]]]:
    """The batches to send for ``pending``, contents read a batch at a time; each is kept in the
    outbox before it is handed out to be sent: a lost answer is recovered by resending it."""
    for start in range(0, len(pending), BATCH_CHANGES):
        batch = _outbound_scanned(mirror, changes_for(mirror, pending[start : start + BATCH_CHANGES]), report)
        if not batch:
            continue
        batch_id = uuid.uuid4().hex
        with mirror.transaction() as db:
            db.execute(
                "INSERT INTO outbox(batch_id, changes, created_at) VALUES (?, ?, ?)",
                (batch_id, json.dumps([c.__dict__ for c in batch]), _now()),
            )
        yield batch_id, batch


def _outbound_scanned(mirror: Mirror, changes: list[Change], report: PushReport) -> list[Change]:
    """``changes`` without the artifacts in which the outbound scan finds a secret (or personal
    data, if configured): those are refused, named in ``report.refused``, and stay local."""
    from agentsync.outbound import find

    settings = mirror.config.outbound_scan
    kept: list[Change] = []
    for change in changes:
        findings = find(change.path, change.content, settings) if change.content is not None else []
        if findings:
            report.refused.extend(findings)
        else:
            kept.append(change)
    return kept


class _NotSent(Exception):
    """A batch queued behind one the remote failed on: left in the outbox, not tried."""


def _send_all(
    mirror: Mirror, remote: Remote, me: str, author: str, batches: Iterator[tuple[str, list[Change]]],
    report: PushReport,
) -> int:  # fmt: skip
    """Send ``batches`` in order from one thread while this one prepares the next batch and applies
    the answer to the one before: the remote's work overlaps ours. After a failure nothing more
    is sent (a batch already queued stays in the outbox untried) and the first error is raised.
    Returns how many batches were answered."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from agentsync.diskfull import DiskFullError, PushNotRecorded

    failed = threading.Event()

    def send(batch_id: str, changes: list[Change]) -> PushResult:
        if failed.is_set():
            raise _NotSent(batch_id)
        try:
            return remote.push(me, batch_id, author, changes)
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
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_id = ?", (str(exc), batch_id)
                )
            first_error = first_error or exc
            return
        try:
            _apply_answers(mirror, batch_id, changes, result, report)
        except DiskFullError as exc:  # the remote has it: the batch stays queued, and its answer with the remote
            raise PushNotRecorded(len(report.applied), exc) from None
        answered += 1

    in_flight: list[tuple[str, list[Change], Future[PushResult]]] = []  # sent or queued, not yet landed
    with ThreadPoolExecutor(1, thread_name_prefix="agentsync-push-sender") as sender:
        try:
            for batch_id, changes in batches:
                # The sender runs in this thread's context: its spans are children of the push's.
                sending = sender.submit(contextvars.copy_context().run, send, batch_id, changes)
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
    mirror: Mirror, batch_id: str, changes: list[Change], result: PushResult, report: PushReport
) -> None:
    """Apply the remote's answers to a batch: new version lines written, what was agreed
    recorded, the batch taken out of the outbox, all in one transaction after the writes."""
    from agentsync.artifact import content_hash
    from agentsync.frontmatter_edit import set_field
    from agentsync.scanner import scan

    by_id = {c.id: c for c in changes}
    root = mirror.config.root
    written: list[str] = []
    writes: list[tuple[Path, bytes]] = []
    expected: dict[Path, Any] = {}  # each file's stat when it was found unchanged: re-checked before writing
    base_rows: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    for answer in result.answers:
        change = by_id[answer.id]
        if answer.result == "applied" and answer.version is not None:
            report.applied.append((answer.id, answer.version))
            if change.content is None:
                base_rows.append((answer.id, change.path, answer.version, None, 1, None))
                continue
            if change.version is not None and answer.version != change.version and change.content is not None:
                # A remote without migration 3 numbers a new artifact 1 whatever its file says.
                content = set_field(change.content, "version", answer.version)
                change = Change(change.id, change.path, change.base, content, content_hash(content.encode("utf-8")),
                                change.summary, change.source_hash, answer.version)  # fmt: skip
            seen = _needs_version_write(change, root)
            if seen is not None:
                writes.append((root / change.path, (change.content or "").encode("utf-8")))
                expected[root / change.path] = seen
                written.append(change.path)
            base_rows.append((answer.id, change.path, answer.version, change.hash, 0, change.content))
        elif answer.result == "conflict":
            report.conflicts.append(answer)
            remote_row = answer.remote
            conflict_rows.append((
                answer.id, change.path, "push", remote_row.version if remote_row else 0,
                remote_row.author if remote_row else None,
                f"changed on the remote (v{remote_row.version if remote_row else '?'} by "
                f"{remote_row.author if remote_row else '?'}) since this clone's v{change.base}; pull to merge",
                _now(),
            ))  # fmt: skip
        elif answer.result == "locked":
            report.locked.append(answer)
    # The new version lines, one sync for the batch. A file saved since it was read keeps the
    # save: the next push sends it, based on the new version.
    _write_unchanged(writes, expected)
    with mirror.transaction() as db:
        db.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", base_rows)  # fmt: skip
        db.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at) VALUES (?,?,?,?,?,?,?)", conflict_rows)  # fmt: skip
        db.execute("DELETE FROM outbox WHERE batch_id = ?", (batch_id,))
        db.executemany("DELETE FROM notes WHERE id = ?", [(row[0],) for row in base_rows])
    if written:
        scan(mirror, written)


def _needs_version_write(change: Change, root: Path) -> tuple[int, int, int] | None:
    """Whether the accepted content (its new version line) should replace the file: only if the file
    differs from it and is still exactly what the change was read from. A file edited since — even
    long since, when a batch from the outbox is answered at last — is left alone; the next push
    sends the edit, based on the new version. Returns the file's stat signature as it was seen
    (for the re-check right before writing), or None to leave the file alone."""
    from agentsync.artifact import content_hash
    from agentsync.fsutil import stat_signature

    if change.hash is not None and change.hash == change.source_hash:
        return None  # sent exactly as the file was read: nothing to write
    path = root / change.path
    seen = stat_signature(path)  # before reading: a save after this is caught by the re-check
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        return None
    if seen is None or current == (change.content or "").encode("utf-8"):
        return None
    return seen if change.source_hash is not None and content_hash(current) == change.source_hash else None


@dataclass
class PullReport:
    fetched: int = 0
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (id, message)
    merged: list[str] = field(default_factory=list)  # paths merged cleanly: local changes to push
    overridden: list[tuple[str, str]] = field(default_factory=list)  # (id, what a strategy overrode)
    restored: list[tuple[str, str]] = field(default_factory=list)  # (id, message): an edit won over a deletion
    overrides: list[Override] = field(default_factory=list)
    problems: list[AgentsyncError] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # paths edited while pulling: left for the next pull
    quarantined: list[Quarantined] = field(default_factory=list)  # remote rows refused, newly kept aside

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.problems or self.quarantined)


class Quarantined(NamedTuple):
    """A remote row this clone refused to apply (why, in one line): kept aside in the mirror while
    the cursor moves past it, so every later row still arrives. A newer version replaces it."""

    id: str
    version: int
    path: str
    author: str
    reason: str

    def __str__(self) -> str:
        where = f"{_shown(self.id, 40)} v{self.version} by {_shown(self.author, 40)} ({_shown(self.path, 60)})"
        return f"{where}: {_shown(self.reason, 150)}"


def quarantined(mirror: Mirror) -> list[Quarantined]:
    """The remote rows this clone refused and keeps aside, oldest first (what `status` and `doctor` show)."""
    rows = mirror.connection.execute("SELECT id, version, path, author, reason FROM quarantine ORDER BY seq")
    return list(map(Quarantined._make, rows))


def _shown(value: str, limit: int = 80) -> str:
    """An untrusted name for a message: control characters escaped, and at most ``limit`` characters."""
    text = value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(value)} chars)"


class _Fetched(NamedTuple):
    """A fetched row not applied yet, beside what was last agreed for its artifact (None: never)."""

    id: str
    path: str
    version: int
    deleted: int
    author: str
    seq: int
    base_path: str | None
    base_version: int | None
    base_hash: str | None
    base_deleted: int | None


_PENDING_ROWS = (
    "SELECT r.id, r.path, r.version, r.deleted, r.author, r.seq, b.path, b.version, b.hash, b.deleted "
    f"{FETCHED_NOT_APPLIED} ORDER BY r.seq"
)


def _refusal(row: _Fetched, content: str | None, max_size: int) -> tuple[str | None, bytes]:
    """Why a fetched row must not be applied here (None: it may), and its content as bytes: what a
    hostile or broken remote can send that no clone would push. Decided before anything is parsed."""
    from agentsync.artifact import valid_id

    if not valid_id(row.id):
        return f"invalid artifact id {_shown(row.id)!r}: 1-200 characters, no slashes or control characters", b""
    if row.deleted:
        return None, b""
    if content is None:
        return "the remote's row has no content (and is not a deletion)", b""
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        return "the content is not valid UTF-8 text", b""
    if len(data) > max_size:
        return f"the content is {len(data):,} bytes, over max_file_size ({max_size:,})", b""
    if "\x00" in content:
        return "the content holds NUL bytes (a binary file, not an artifact)", b""
    return None, data


@dataclass
class _ChunkPlan:
    """What applying a chunk of fetched rows takes, decided before any file is touched: the files
    to write (each with the stat it must still have), and the rows to record once they are."""

    rows: list[_Fetched]
    locals_by_id: dict[str, tuple[Any, ...]]
    writes: list[tuple[Path, bytes]] = field(default_factory=list)
    expected: dict[Path, Any] = field(default_factory=dict)  # target -> its stat when read (None: absent)
    owner: dict[Path, str] = field(default_factory=dict)  # target -> artifact id
    removals: list[tuple[str, str]] = field(default_factory=list)  # (id, file) the remote deleted
    moved_from: list[tuple[str, str]] = field(default_factory=list)  # (id, old path) the remote renamed
    written: dict[str, tuple[Parsed, int]] = field(default_factory=dict)  # written, already parsed
    base_rows: list[tuple[Any, ...]] = field(default_factory=list)
    conflict_rows: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # what a strategy overrode: the next push's summary
    deferred: set[str] = field(default_factory=set)  # ids whose files were saved meanwhile
    quarantined: list[tuple[Any, ...]] = field(default_factory=list)  # rows refused, for the mirror
    claimed: set[Path] = field(default_factory=set)  # targets a row of this chunk writes: no second one lands there

    def quarantine(self, row: _Fetched, reason: str, report: PullReport) -> None:
        entry = Quarantined(row.id, row.version, row.path, row.author, reason)
        report.quarantined.append(entry)
        self.quarantined.append((*entry, row.seq, _now()))


class _Pass(NamedTuple):
    """What one pass over the fetched rows knows beyond them: the artifacts waiting in a conflict
    (left alone), where the pull moves each pending artifact (None: deletes it), and the rows it
    left for a second pass because their target is still taken by one of those."""

    waiting: set[str]
    leaving: dict[str, str | None]
    vacating: set[str]
    policy: PathPolicy  # every path read or written: names, artifact folders, no symlink on the way


def _apply_chunks(
    mirror: Mirror, chunks: Iterator[list[_Fetched]], run: _Pass, matcher: Matcher,
    guard: GitFieldGuard, report: PullReport, progress: Callable[[int], None],
) -> None:  # fmt: skip
    """Apply chunks of fetched rows in a pipeline: while one chunk's files are written (in a
    thread: the kernel's work, which needs no GIL), the next chunk is planned and the one before
    recorded. Each chunk's files are still written before its rows are recorded."""
    from concurrent.futures import Future, ThreadPoolExecutor

    in_flight: tuple[_ChunkPlan, Future[list[Path]]] | None = None
    cleaned: set[Path] = set()  # folders rid of temp files a killed writer left: once per pull

    def land() -> None:
        nonlocal in_flight
        if in_flight is not None:
            (plan, written), in_flight = in_flight, None
            _record_chunk(mirror, plan, written.result(), report, run.policy)
            progress(len(plan.rows))

    with ThreadPoolExecutor(1, thread_name_prefix="agentsync-pull-writer") as writer:
        try:
            for chunk in chunks:
                plan = _plan_chunk(mirror, chunk, run, matcher, guard, report)
                land()
                in_flight = (plan, writer.submit(_write_unchanged, plan.writes, plan.expected, cleaned, run.policy))
        finally:
            land()  # the last chunk; or, if planning the next one failed, the one already written


def _write_unchanged(
    writes: list[tuple[Path, bytes]], expected: dict[Path, Any], cleaned: set[Path] | None = None,
    policy: PathPolicy | None = None,
) -> list[Path]:  # fmt: skip
    """Write files together (one flush to disk), each only if its stat is still ``expected``'s
    (None: it must not exist); return the targets left alone because they were saved meanwhile
    (or, with ``policy``, because a folder on the way became a symlink: ``policy.refused``).
    Temp files a killed writer left in their folders go first (once per folder in ``cleaned``)."""
    from agentsync.fsutil import atomic_write_many, remove_stale_temps, stat_signature

    folders = {target.parent for target, _ in writes} - (cleaned or set())
    remove_stale_temps(folders)
    if cleaned is not None:
        cleaned.update(folders)

    def still(target: Path) -> bool:
        return bool(stat_signature(target) == expected[target])

    return atomic_write_many(writes, still=policy.guard(still) if policy is not None else still)


def _plan_chunk(
    mirror: Mirror,
    rows: list[_Fetched],
    run: _Pass,
    matcher: Matcher,
    guard: GitFieldGuard,
    report: PullReport,
) -> _ChunkPlan:
    """Decide, for a chunk of fetched rows, what each file becomes: a fast-forward, a merge, a
    conflict, a removal. Nothing is written here; a crash after the writes and before the record
    leaves files that already equal what the remote gives, and the next pull records them as agreed."""
    from agentsync.artifact import content_hash, parse_text
    from agentsync.errors import UnsafePathError
    from agentsync.fsutil import stat_signature
    from agentsync.merge import Sides, apply_strategy
    from agentsync.scanner import Parsed

    db = mirror.connection
    root = mirror.config.root
    ids = [row[0] for row in rows]
    locals_by_id = {r[0]: r[1:] for r in select_in(db, "SELECT id, path, hash FROM artifacts", "id", ids)}
    fetched = {r[0]: r[1:] for r in select_in(db, "SELECT id, content, updated_at FROM remote_rows", "id", ids)}
    plan = _ChunkPlan(rows, locals_by_id)
    base_rows, conflict_rows, writes, notes = plan.base_rows, plan.conflict_rows, plan.writes, plan.notes
    removals, moved_from, written, deferred = plan.removals, plan.moved_from, plan.written, plan.deferred
    # Every file is checked once more right before it is replaced: one saved since it was read
    # (by someone editing it now) is left alone, and its row waits for the next pull.
    expected, owner = plan.expected, plan.owner
    git_fields = mirror.config.git_fields
    strategies = mirror.config.strategies
    max_size = mirror.config.max_file_size
    listed: dict[Path, frozenset[str]] = {}

    def occupied(target: Path) -> bool:
        """Whether a file landing at ``target`` would land on something there: its folder is listed
        once per chunk instead of a stat per file (each a lookup that waits on the writer thread's
        creations in that folder). The writer checks each target once more right before it."""
        if target in plan.claimed:
            return True
        folder = target.parent
        if folder not in listed:
            try:
                listed[folder] = frozenset(os.listdir(folder))
            except FileNotFoundError:
                listed[folder] = frozenset()
            except OSError:  # not a folder, say: the file's own stat decides
                return stat_signature(target) is not None
        return target.name in listed[folder]

    for row in rows:
        rid, rpath, rversion, rdeleted, rauthor = row.id, row.path, row.version, row.deleted, row.author
        bpath, bhash, bdeleted = row.base_path, row.base_hash, row.base_deleted
        if rid in run.waiting:
            continue
        rcontent, rupdated = fetched[rid]
        refused, remote_data = _refusal(row, rcontent, max_size)
        if refused is None:
            try:
                run.policy.writable(rpath, lstat_target=False)  # the file itself: see `occupied`, and the writer
                safe_path = rpath
            except UnsafePathError as exc:
                refused = str(exc)
        if refused is not None:
            plan.quarantine(row, refused, report)
            continue
        local = locals_by_id.get(rid)
        where = _Where(rid, local[0] if local else rpath, rversion, rauthor)
        clean = local is not None and bhash is not None and not bdeleted and local[1] == bhash and local[0] == bpath
        fresh = local is None and (bpath is None or bdeleted)
        if rdeleted:
            if local is not None and not clean:
                # The edit wins: the file stays, and the next push brings the artifact back.
                report.restored.append((rid, f"deleted on the remote (v{rversion} by {rauthor}) but edited here: "
                                             "kept, and restored on the remote by the next push"))  # fmt: skip
            elif local is not None:
                removals.append((rid, local[0]))
            base_rows.append((rid, rpath, rversion, None, 1, None))
            continue
        type_name = matcher.type_of(safe_path) or ""
        remote_hash = content_hash(remote_data)
        try:
            artifact = parse_text(safe_path, rcontent, type_name, remote_hash)
        except AgentsyncError as exc:  # an alias bomb, invalid YAML, a bad id or version: never pushed by a clone
            plan.quarantine(row, f"cannot be read: {getattr(exc, 'reason', exc)}", report)
            continue
        if artifact.id != rid:
            plan.quarantine(row, f"its text names the artifact {_shown(artifact.id)!r}, not {_shown(rid)!r}", report)
            continue
        old_path = local[0] if local else None
        try:  # this clone's own path, as mirrored: read (and maybe replaced) only if nothing changed on the way
            if old_path is not None:
                run.policy.writable(old_path, lstat_target=False)
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        # Where the file lands: the remote's path, unless only this clone moved the artifact.
        lands = local[0] if (local and bpath is not None and rpath == bpath and local[0] != bpath) else safe_path
        target = root / safe_path
        absent: Path | None = None  # a target seen not to exist: its stat need not be taken twice
        if lands != old_path:
            if occupied(root / lands):
                # Never over what this clone has not seen: another artifact (pushed or not), an
                # untracked file. One that this pull deletes or moves away may leave first.
                occupant = _occupant(db, lands)
                if occupant is not None and occupant in run.leaving and run.leaving[occupant] != lands:
                    run.vacating.add(rid)
                    continue
                what = f"new {rid}" if local is None else f"{rid}, moved from {local[0]},"
                there = f"this clone's {occupant}" if occupant else "a file agentsync has not synced"
                _conflict(report, conflict_rows, where, "pull",
                          f"the remote's {what} would overwrite {lands} ({there}); nothing was written: "
                          "move that file away (or rename its artifact), then pull again")  # fmt: skip
                continue
            plan.claimed.add(root / lands)
            absent = root / lands
        seen = stat_signature(root / old_path) if old_path else None  # before reading: see `expected`
        try:
            disk = (root / old_path).read_bytes() if old_path and seen is not None else None
        except FileNotFoundError:  # deleted this very moment: the next pull sees it
            deferred.add(rid)
            continue
        try:
            text = guard.apply(artifact, disk)
        except AgentsyncError as exc:
            plan.quarantine(row, str(exc), report)
            continue
        data = remote_data if text == rcontent else text.encode("utf-8")
        data_hash = remote_hash if data is remote_data else content_hash(data)
        if disk is not None and disk == data and old_path == safe_path:
            base_rows.append((rid, safe_path, rversion, data_hash, 0, text))
            continue  # already what the remote gives (an interrupted pull, or the same edit on both sides)
        if not (clean or fresh) and bhash is None and disk is not None and old_path == safe_path:
            # Never synced here (a clone of the repository, say): the same file but for the
            # version line the first push wrote is no edit; it fast-forwards.
            clean = _differs_only_in_version(disk, text, rversion)
        if disk is not None and local is not None and content_hash(disk) != local[1]:
            deferred.add(rid)  # saved since the scan a moment ago: the next pull merges it
            continue

        def write(
            path: Path, data: bytes, rid: str = rid, seen: Any = seen, old_path: str | None = old_path,
            absent: Path | None = absent,
        ) -> None:  # fmt: skip
            writes.append((path, data))
            if old_path is not None and path == root / old_path:
                expected[path] = seen
            else:
                expected[path] = None if path == absent else stat_signature(path)
            owner[path] = rid

        if local is None and not fresh:
            # Deleted here, changed there: the edit wins and the file comes back.
            report.restored.append((rid, f"deleted here but changed on the remote (v{rversion} by {rauthor}): "
                                         f"restored at {safe_path}"))  # fmt: skip
        elif not (clean or fresh) and local is not None and disk is not None:
            agreed = db.execute("SELECT content FROM sync_base WHERE id = ?", (rid,)).fetchone()
            # Never synced here (a fresh clone): the file as Git's HEAD has it is what both sides
            # started from, so a file nobody touched here simply takes the remote's edits.
            base = agreed[0] if agreed else (guard.head_text(local[0]) if bhash is None else None)
            ours = disk.decode("utf-8", errors="surrogateescape")
            # A rename on either side applies: the remote's path if it moved it, else ours.
            keep_path = lands
            sides = Sides(rid, type_name, base, ours, text, rversion, rauthor,
                          (root / old_path).stat().st_mtime if old_path else 0.0, str(rupdated or ""))  # fmt: skip
            result, overridden = apply_strategy(strategies.get(type_name, "merge"), sides, git_fields)
            truth = guard.expected(artifact, disk) if result.clean else None
            if truth is not None:  # a merge of two guarded texts is checked too: it is what lands in the file
                try:
                    result = replace(result, text=guard.check(keep_path, result.text, truth, type_name))
                except AgentsyncError as exc:
                    plan.quarantine(row, str(exc), report)
                    continue
            if overridden:
                report.overridden.append((rid, overridden))
                if result.text != text:  # a local change the next push sends: its history says why
                    notes.append((rid, overridden))
            merged_data = result.text.encode("utf-8", errors="surrogateescape")
            write(root / keep_path, merged_data)
            if old_path and old_path != keep_path:
                moved_from.append((rid, old_path))
            if result.clean:
                # Taking the remote's text whole is a fast-forward, not a local change to push.
                (report.written if merged_data == data else report.merged).append(keep_path)
                base_rows.append((rid, safe_path, rversion, data_hash, 0, text))
            else:
                where = _Where(rid, keep_path, rversion, rauthor)
                what = ", ".join(result.conflicts)
                _conflict(report, conflict_rows, where, "merge",
                          f"changed here and on the remote (v{rversion} by {rauthor}): conflicting {what}; "
                          "edit the file, then `agentsync resolve " + rid + " --merged` (or --ours / --theirs)",
                          (base, ours, text, data_hash))  # fmt: skip
            continue
        write(target, data)
        if len(data) <= max_size and "\x00" not in text:  # else the scan reads it and reports why it cannot
            final = artifact if text == artifact.content else parse_text(safe_path, text, type_name, data_hash)
            written[safe_path] = (Parsed.of(final), len(data))
        if old_path and old_path != safe_path:
            moved_from.append((rid, old_path))
        report.written.append(safe_path)
        base_rows.append((rid, safe_path, rversion, data_hash, 0, text))
    return plan


def _occupant(db: Any, path: str) -> str | None:
    """The artifact of this clone's mirror at ``path``, if any (else the file there is not one)."""
    found = db.execute("SELECT id FROM artifacts WHERE path = ?", (path,)).fetchone()
    return None if found is None else str(found[0])


def _record_chunk(
    mirror: Mirror, plan: _ChunkPlan, skipped: list[Path], report: PullReport, policy: PathPolicy
) -> None:
    """After a chunk's files are written: remove what the remote deleted or moved away, then record
    its base rows and conflicts in one transaction, then mirror the files."""
    from agentsync.scanner import scan

    root = mirror.config.root
    plan.deferred.update(plan.owner[target] for target in skipped)
    hashes = {row[0]: row[3] for row in plan.base_rows}
    for rid, path in plan.removals:
        if policy.intact(root / path) and _unchanged(root / path, plan.locals_by_id[rid][1]):
            (root / path).unlink(missing_ok=True)
            report.deleted.append(path)
        else:
            plan.deferred.add(rid)
    for rid, path in plan.moved_from:
        if rid in plan.deferred or not policy.intact(root / path):
            continue
        if _unchanged(root / path, hashes.get(rid), plan.locals_by_id[rid][1]):
            (root / path).unlink(missing_ok=True)
    if plan.deferred:
        _drop_deferred(plan, report)
    with mirror.transaction() as tx:
        tx.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", plan.base_rows)  # fmt: skip
        tx.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at, base, ours, theirs, theirs_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       plan.conflict_rows)  # fmt: skip
        tx.executemany("INSERT OR REPLACE INTO notes(id, summary) VALUES (?, ?)", plan.notes)
        tx.executemany("INSERT OR REPLACE INTO quarantine(id, version, path, author, reason, seq, recorded_at) "
                       "VALUES (?,?,?,?,?,?,?)", plan.quarantined)  # fmt: skip
        if plan.base_rows and tx.execute("SELECT 1 FROM quarantine LIMIT 1").fetchone():
            # A newer version that could be applied replaces the one refused before.
            tx.executemany("DELETE FROM quarantine WHERE id = ?", [(row[0],) for row in plan.base_rows])
    touched = [target.relative_to(root).as_posix() for target, _ in plan.writes]
    touched += [path for _, path in plan.removals] + [path for _, path in plan.moved_from]
    if touched:
        scan(mirror, touched, written=plan.written)


def _unchanged(path: Path, *hashes: str | None) -> bool:
    """Whether ``path`` (about to be removed) still holds one of ``hashes``, or is gone already."""
    from agentsync.artifact import content_hash

    try:
        return content_hash(path.read_bytes()) in hashes
    except FileNotFoundError:
        return True


def _drop_deferred(plan: _ChunkPlan, report: PullReport) -> None:
    """Take the artifacts whose files were saved during the pull out of what it records: their
    rows stay fetched-not-applied, so the next pull merges them with the save."""
    deferred, locals_by_id = plan.deferred, plan.locals_by_id
    paths = {row[0]: row[1] for row in plan.rows if row[0] in deferred}
    for rid in sorted(deferred):
        local = locals_by_id.get(rid)
        report.deferred.append(local[0] if local else paths.get(rid, rid))
    mine = {paths[rid] for rid in paths} | {locals_by_id[rid][0] for rid in deferred if rid in locals_by_id}
    plan.base_rows[:] = [row for row in plan.base_rows if row[0] not in deferred]
    plan.conflict_rows[:] = [row for row in plan.conflict_rows if row[0] not in deferred]
    plan.notes[:] = [note for note in plan.notes if note[0] not in deferred]
    plan.writes[:] = [item for item in plan.writes if plan.owner[item[0]] not in deferred]
    plan.moved_from[:] = [item for item in plan.moved_from if item[0] not in deferred]
    report.conflicts[:] = [c for c in report.conflicts if c[0] not in deferred]
    report.written[:] = [path for path in report.written if path not in mine]
    report.merged[:] = [path for path in report.merged if path not in mine]
    for path in mine:
        plan.written.pop(path, None)


def _differs_only_in_version(disk: bytes, text: str, version: int) -> bool:
    """Whether the file ``disk`` becomes ``text`` by setting its ``version:`` line alone."""
    from agentsync.frontmatter_edit import set_field

    try:
        return set_field(disk.decode("utf-8"), "version", version) == text
    except (UnicodeDecodeError, AgentsyncError):
        return False


class _Where(NamedTuple):
    """The artifact a pulled row is about: its id, local path, and the remote's version and author."""

    id: str
    path: str
    version: int
    author: str


def _conflict(
    report: PullReport, rows: list[tuple[Any, ...]], where: _Where, kind: str, message: str,
    sides: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None),
) -> None:  # fmt: skip
    """Record a conflict (kind: pull | merge) in the report and for the mirror; a merge conflict
    keeps its three sides (base, ours, theirs, and theirs' hash) for `resolve` and `diff`."""
    report.conflicts.append((where.id, message))
    rows.append((where.id, where.path, kind, where.version, where.author, message, _now(), *sides))


def fetch(mirror: Mirror, remote: Remote, page_size: int = PAGE_SIZE, progress: Progress | None = None) -> int:
    """Store the remote's changes after the cursor; each page and the new cursor in one transaction."""
    with synclock.hold(mirror.config, "fetch"), _recorded(mirror, "fetch") as record, span("fetch") as traced:
        fetched = _fetch(mirror, remote, page_size, progress)
        record.append(fetched)
        traced.set_attributes({"agentsync.fetched": fetched, "agentsync.cursor": int(mirror.get_meta(CURSOR_KEY) or 0)})
        return fetched


def _fetch(mirror: Mirror, remote: Remote, page_size: int, progress: Progress | None) -> int:
    bind_remote(mirror, remote)
    start = int(mirror.get_meta(CURSOR_KEY) or 0)
    fetched = 0
    page = _checked(remote.pull(start, page_size), start)
    if not page.rows and start:  # an empty page says nothing of the head: a remote that went back shows here
        _checked(Page([], remote.head()), start)
    fetcher: ThreadPoolExecutor | None = None  # from the first full page on: little new is one round trip, no thread
    try:
        while page.rows:
            following = None
            if len(page.rows) == page_size:  # more may follow: ask for it while this page is stored
                if fetcher is None:
                    from concurrent.futures import ThreadPoolExecutor

                    fetcher = ThreadPoolExecutor(1, thread_name_prefix="agentsync-fetch")
                following = fetcher.submit(contextvars.copy_context().run, remote.pull, page.rows[-1].seq, page_size)
            cursor = _store_page(mirror, page)
            fetched += len(page.rows)
            if following is None:
                break
            if progress is not None:  # in change numbers: the feed's rows are a subset of them
                progress(cursor - start, max(page.head - start, cursor - start))
            page = _checked(following.result(), cursor)
    finally:
        if fetcher is not None:
            fetcher.shutdown()
    return fetched


def _checked(page: Page, after: int) -> Page:
    """``page`` if it can continue a feed read up to ``after``, else a FeedError: a head below the
    cursor (the remote was restored or replaced: rows below the cursor would never be pulled) or rows
    not strictly after the cursor and each other (a row sharing a number with another is lost)."""
    from agentsync.errors import FeedError

    reset = "nothing more is applied; `agentsync remote reset` starts over with it (local edits stay in the files)"
    if page.head < after:
        raise FeedError(f"the remote's change feed ends at {page.head}, before this clone's cursor {after}: "
                        f"it was restored from a backup or replaced; {reset}")  # fmt: skip
    previous = after
    for row in page.rows:
        if row.seq <= previous or row.seq > page.head:
            raise FeedError(f"the remote's change feed is out of order (change {row.seq} after {previous}, "
                            f"head {page.head}): changes could be lost; {reset}")  # fmt: skip
        previous = row.seq
    return page


def _store_page(mirror: Mirror, page: Page) -> int:
    """Keep a page of fetched rows and the cursor after it, in one transaction; return the cursor."""
    with mirror.transaction() as db:
        db.executemany(
            "INSERT OR REPLACE INTO remote_rows(id, path, version, hash, deleted, author, seq, updated_at, "
            "content) VALUES (?,?,?,?,?,?,?,?,?)",
            [(r.id, r.path, r.version, r.hash, int(r.deleted), r.author, r.seq, r.updated_at, r.content)
             for r in page.rows],
        )  # fmt: skip
        cursor = page.rows[-1].seq
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (CURSOR_KEY, str(cursor)))
    return cursor


def pull(mirror: Mirror, remote: Remote, progress: Progress | None = None, *, rescan: bool = True) -> PullReport:
    """Fetch, then bring clean files up to date and record conflicts for files edited on both sides.
    ``progress(done, total)`` hears about a long fetch, then about the files being written. The
    work tree is scanned first unless ``rescan`` is False (the watcher keeps the mirror current;
    a file saved but not yet mirrored is still never written over: see ``_plan_chunk``)."""
    with synclock.hold(mirror.config, "pull"), _recorded(mirror, "pull") as record, span("pull") as traced:
        report = _pull(mirror, remote, progress, rescan)
        record.append(report)
        traced.set_attributes({
            "agentsync.fetched": report.fetched, "agentsync.written": len(report.written),
            "agentsync.merged": len(report.merged), "agentsync.deleted": len(report.deleted),
            "agentsync.conflicts": len(report.conflicts), "agentsync.deferred": len(report.deferred),
            "agentsync.cursor": int(mirror.get_meta(CURSOR_KEY) or 0),
            "agentsync.result": "ok" if report.ok else "partial",
        })  # fmt: skip
        register(mirror, remote)
        return report


def _pull(mirror: Mirror, remote: Remote, progress: Progress | None, rescan: bool) -> PullReport:
    report = PullReport(fetched=_fetch(mirror, remote, PAGE_SIZE, progress))
    cursor = mirror.get_meta(CURSOR_KEY) or "0"
    if not report.fetched and mirror.get_meta(APPLIED_KEY) == cursor:
        return report  # nothing arrived, and everything fetched before was applied (or waits in a conflict)
    db = mirror.connection
    # Contents are read a chunk at a time below: a pull of 100,000 artifacts never holds them all.
    pending = list(map(_Fetched._make, db.execute(_PENDING_ROWS)))
    if not pending:
        _applied_through(mirror, cursor)
        return report  # nothing to bring in: the work tree need not even be looked at
    from agentsync.gitfields import GitFieldGuard
    from agentsync.paths import Matcher, PathPolicy
    from agentsync.scanner import BULK_THRESHOLD, scan

    if rescan:
        scan(mirror)  # which files have local edits, as of now
    matcher = Matcher.from_config(mirror.config)
    guard = GitFieldGuard(mirror)
    with mirror.transaction() as tx:  # a push that met a newer version: this pull merges it; a
        # target that was taken is looked at again
        tx.execute("DELETE FROM conflicts WHERE kind IN ('push', 'pull')")
    waiting = {row[0] for row in db.execute("SELECT id FROM conflicts")}  # resolved before anything new lands
    large = len(pending) >= BULK_THRESHOLD and len(pending) * 4 >= mirror.count()
    applied = [0]

    def advanced(count: int) -> None:
        applied[0] += count
        if progress is not None:
            progress(applied[0], len(pending))

    # Where each artifact this pull deletes or moves away goes: a row whose target one of them
    # still occupies waits for a second pass, after those have left.
    leaving = {row.id: None if row.deleted else row.path for row in pending}
    vacating: set[str] = set()
    policy = PathPolicy.for_config(mirror.config, matcher)
    chunks = (pending[start : start + PULL_CHUNK] for start in range(0, len(pending), PULL_CHUNK))
    with mirror.deferred_index() if large else contextlib.nullcontext():
        _apply_chunks(mirror, chunks, _Pass(waiting, leaving, vacating, policy), matcher, guard, report, advanced)
        if vacating:
            again = [row for row in map(_Fetched._make, db.execute(_PENDING_ROWS)) if row.id in vacating]
            _apply_chunks(mirror, iter([again]), _Pass(waiting, {}, set(), policy), matcher, guard, report, advanced)
    report.problems.extend(policy.refused)  # a folder that became a symlink while pulling: not written
    report.overrides.extend(guard.overrides)
    taken = db.execute("SELECT 1 FROM conflicts WHERE kind = 'pull' LIMIT 1").fetchone()
    if not (report.deferred or taken):  # else the next pull must look again, even with nothing new to fetch
        _applied_through(mirror, cursor)
    return report


def _applied_through(mirror: Mirror, cursor: str) -> None:
    """Every row fetched up to ``cursor`` is applied or waits in a conflict: the next pull that
    fetches nothing new need not look for work (on 10,000 rows that look costs ~0.2 s)."""
    with mirror.transaction() as db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (APPLIED_KEY, cursor))
