"""Push and pull between the mirror and a remote.

Push sends every artifact whose file differs from what was last agreed (``sync_base``) as
one batch; the batch is kept in ``outbox`` until its answer is applied, and resent with
the same id after a failure, so the remote applies it once. An accepted change gets its
new ``version:`` written into the file (only that line). Pull fetches the change feed
after the cursor (rows and cursor in one transaction), fast-forwards files that have no
local edits, and records a conflict for files that changed on both sides. Git fields
are never taken from the remote. Every file write is atomic and re-checks the file first.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from agentsync.artifact import content_hash, parse_text
from agentsync.errors import AgentsyncError, UnsafePathError
from agentsync.frontmatter_edit import set_field
from agentsync.fsutil import atomic_write_many, remove_stale_temps
from agentsync.gitfields import GitFieldGuard, Override
from agentsync.mirror import Mirror
from agentsync.paths import Matcher, artifact_path
from agentsync.remotes.base import Answer, Change, Remote
from agentsync.scanner import scan

CURSOR_KEY = "remote_cursor"
CLIENT_KEY = "client_id"
PAGE_SIZE = 1000
PULL_CHUNK = 500  # files written together (one sync) and recorded in one transaction
BATCH_CHANGES = 500  # changes per pushed batch: 10,000 artifacts take 20 requests


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


@dataclass
class PushReport:
    applied: list[tuple[str, int]] = field(default_factory=list)
    conflicts: list[Answer] = field(default_factory=list)
    locked: list[Answer] = field(default_factory=list)
    resent: int = 0  # batches from the outbox sent again
    problems: list[AgentsyncError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.locked or self.problems)


def _with_version(content: str, layout: str, version: int) -> str:
    """The content as it will be at ``version``: only its ``version:`` line changes.
    Files without frontmatter (the ``.agent/cache`` layout) are left exactly as they are."""
    if layout != "frontmatter":
        return content
    return set_field(content, "version", version)


def local_changes(mirror: Mirror) -> list[Change]:
    """Artifacts whose file differs from what was last agreed with the remote, and deletions."""
    db = mirror.connection
    base = {row[0]: row[1:] for row in db.execute("SELECT id, path, version, hash, deleted FROM sync_base")}
    waiting = {row[0] for row in db.execute("SELECT id FROM conflicts")}
    changes: list[Change] = []
    present: set[str] = set()
    changed: list[tuple[str, str, str, int, str]] = []
    for artifact_id, path, digest, layout in db.execute("SELECT id, path, hash, layout FROM artifacts ORDER BY id"):
        present.add(artifact_id)
        agreed = base.get(artifact_id)
        if artifact_id in waiting:
            continue  # an open conflict is resolved first
        if agreed is not None and not agreed[3] and agreed[2] == digest and agreed[0] == path:
            continue
        changed.append((artifact_id, path, layout, agreed[1] if agreed is not None else 0, digest))
    for artifact_id, path, layout, version, digest in changed:
        content = db.execute("SELECT content FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()[0]
        sent = _with_version(content, layout, version + 1)
        changes.append(Change(artifact_id, path, version, sent, content_hash(sent.encode("utf-8")), "", digest))
    for artifact_id, (path, version, _digest, deleted) in sorted(base.items()):
        if artifact_id not in present and not deleted and artifact_id not in waiting:
            changes.append(Change(artifact_id, path, version, None, None))
    return changes


def push(mirror: Mirror, remote: Remote, author: str) -> PushReport:
    """Send local changes (after any batch left in the outbox) and apply the answers."""
    scan(mirror)
    report = PushReport()
    me = client_id(mirror)
    for batch_id, changes_json in mirror.connection.execute("SELECT batch_id, changes FROM outbox ORDER BY created_at"):
        changes = [Change(**c) for c in json.loads(changes_json)]
        _send(mirror, remote, me, batch_id, author, changes, report)
        report.resent += 1
    changes = local_changes(mirror)
    for start in range(0, len(changes), BATCH_CHANGES):
        batch = changes[start : start + BATCH_CHANGES]
        batch_id = uuid.uuid4().hex
        with mirror.transaction() as db:  # kept before sending: a lost answer is recovered by resending
            db.execute(
                "INSERT INTO outbox(batch_id, changes, created_at) VALUES (?, ?, ?)",
                (batch_id, json.dumps([c.__dict__ for c in batch]), _now()),
            )
        _send(mirror, remote, me, batch_id, author, batch, report)
    return report


def _send(
    mirror: Mirror, remote: Remote, me: str, batch_id: str, author: str, changes: list[Change], report: PushReport
) -> None:
    try:
        result = remote.push(me, batch_id, author, changes)
    except AgentsyncError as exc:
        with mirror.transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_id = ?", (str(exc), batch_id)
            )
        raise
    by_id = {c.id: c for c in changes}
    root = mirror.config.root
    written: list[str] = []
    writes: list[tuple[Path, bytes]] = []
    base_rows: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    for answer in result.answers:
        change = by_id[answer.id]
        if answer.result == "applied" and answer.version is not None:
            report.applied.append((answer.id, answer.version))
            if change.content is None:
                base_rows.append((answer.id, change.path, answer.version, None, 1, None))
                continue
            if _needs_version_write(change, root):
                writes.append((root / change.path, (change.content or "").encode("utf-8")))
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
    remove_stale_temps(target.parent for target, _ in writes)  # left by a writer that was killed
    atomic_write_many(writes)  # the new version lines, one sync for the batch
    with mirror.transaction() as db:
        db.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", base_rows)  # fmt: skip
        db.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at) VALUES (?,?,?,?,?,?,?)", conflict_rows)  # fmt: skip
        db.execute("DELETE FROM outbox WHERE batch_id = ?", (batch_id,))
    if written:
        scan(mirror, written)


def _needs_version_write(change: Change, root: Path) -> bool:
    """Whether the accepted content (its new version line) should replace the file: only if the file
    differs from it and is still exactly what the change was read from. A file edited since — even
    long since, when a batch from the outbox is answered at last — is left alone; the next push
    sends the edit, based on the new version."""
    try:
        current = (root / change.path).read_bytes()
    except FileNotFoundError:
        return False
    if current == (change.content or "").encode("utf-8"):
        return False
    return change.source_hash is not None and content_hash(current) == change.source_hash


@dataclass
class PullReport:
    fetched: int = 0
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (id, message)
    overrides: list[Override] = field(default_factory=list)
    problems: list[AgentsyncError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.problems)


def _pull_chunk(
    mirror: Mirror,
    rows: list[tuple[Any, ...]],
    waiting: set[str],
    matcher: Matcher,
    guard: GitFieldGuard,
    report: PullReport,
) -> None:
    """Apply a chunk of fetched rows: files written together (one sync), then their base rows and
    conflicts in one transaction, then mirrored. A crash between leaves files that already equal
    what the remote gives; the next pull recognises them and records them as agreed."""
    db = mirror.connection
    root = mirror.config.root
    base_rows: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    writes: list[tuple[Path, bytes]] = []
    removals: list[str] = []  # files of artifacts the remote deleted
    moved_from: list[str] = []  # old paths of artifacts the remote renamed
    for rid, rpath, rversion, rdeleted, rauthor, bpath, _bversion, bhash, bdeleted in rows:
        if rid in waiting:
            continue
        local = db.execute("SELECT path, hash FROM artifacts WHERE id = ?", (rid,)).fetchone()
        try:
            safe_path = artifact_path(matcher, rpath)
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        where = _Where(rid, local[0] if local else rpath, rversion, rauthor)
        clean = local is not None and bhash is not None and not bdeleted and local[1] == bhash and local[0] == bpath
        fresh = local is None and (bpath is None or bdeleted)
        if rdeleted:
            if local is not None and not clean:
                _conflict(report, conflict_rows, where, "deleted_there",
                          f"deleted on the remote (v{rversion} by {rauthor}) but edited here")  # fmt: skip
                continue
            if local is not None:
                removals.append(local[0])
            base_rows.append((rid, rpath, rversion, None, 1, None))
            continue
        target = root / safe_path
        if fresh and target.exists():
            _conflict(report, conflict_rows, where, "pull", f"the remote's new {rid} would overwrite {safe_path}")
            continue
        rcontent = db.execute("SELECT content FROM remote_rows WHERE id = ?", (rid,)).fetchone()[0]
        artifact = parse_text(safe_path, rcontent, matcher.type_of(safe_path) or "", content_hash(rcontent.encode()))
        old_path = local[0] if local else None
        disk = (root / old_path).read_bytes() if old_path and (root / old_path).exists() else None
        data = guard.apply(artifact, disk).encode("utf-8")
        if disk is not None and disk == data and old_path == safe_path:
            base_rows.append((rid, safe_path, rversion, content_hash(data), 0, data.decode("utf-8")))
            continue  # already what the remote gives (an interrupted pull, or the same edit on both sides)
        if not (clean or fresh):
            message = (f"changed on the remote (v{rversion} by {rauthor}) but deleted here" if local is None
                       else f"changed here and on the remote (v{rversion} by {rauthor}); merge, then push")  # fmt: skip
            _conflict(report, conflict_rows, where, "deleted_here" if local is None else "pull", message)
            continue
        if disk is not None and local is not None and content_hash(disk) != local[1]:
            _conflict(report, conflict_rows, where, "pull", "edited while pulling; pull again")
            continue
        writes.append((target, data))
        if old_path and old_path != safe_path:
            moved_from.append(old_path)
        report.written.append(safe_path)
        base_rows.append((rid, safe_path, rversion, content_hash(data), 0, data.decode("utf-8")))
    remove_stale_temps(target.parent for target, _ in writes)  # left by a writer that was killed
    atomic_write_many(writes)
    for path in removals + moved_from:
        (root / path).unlink(missing_ok=True)
    report.deleted.extend(removals)
    with mirror.transaction() as tx:
        tx.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", base_rows)  # fmt: skip
        tx.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at) VALUES (?,?,?,?,?,?,?)", conflict_rows)  # fmt: skip
    touched = [target.relative_to(root).as_posix() for target, _ in writes] + removals + moved_from
    if touched:
        scan(mirror, touched)


class _Where(NamedTuple):
    """The artifact a pulled row is about: its id, local path, and the remote's version and author."""

    id: str
    path: str
    version: int
    author: str


def _conflict(report: PullReport, rows: list[tuple[Any, ...]], where: _Where, kind: str, message: str) -> None:
    """Record a conflict (kind: pull | deleted_here | deleted_there) in the report and for the mirror."""
    report.conflicts.append((where.id, message))
    rows.append((where.id, where.path, kind, where.version, where.author, message, _now()))


def fetch(mirror: Mirror, remote: Remote, page_size: int = PAGE_SIZE) -> int:
    """Store the remote's changes after the cursor; each page and the new cursor in one transaction."""
    cursor = int(mirror.get_meta(CURSOR_KEY) or 0)
    fetched = 0
    while True:
        page = remote.pull(cursor, page_size)
        if not page.rows:
            return fetched
        with mirror.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO remote_rows(id, path, version, hash, deleted, author, seq, updated_at, "
                "content) VALUES (?,?,?,?,?,?,?,?,?)",
                [(r.id, r.path, r.version, r.hash, int(r.deleted), r.author, r.seq, r.updated_at, r.content)
                 for r in page.rows],
            )  # fmt: skip
            cursor = page.rows[-1].seq
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (CURSOR_KEY, str(cursor)))
        fetched += len(page.rows)
        if len(page.rows) < page_size:
            return fetched


def pull(mirror: Mirror, remote: Remote) -> PullReport:
    """Fetch, then bring clean files up to date and record conflicts for files edited on both sides."""
    scan(mirror)
    report = PullReport(fetched=fetch(mirror, remote))
    matcher = Matcher.from_config(mirror.config)
    guard = GitFieldGuard(mirror)
    db = mirror.connection
    # Contents are read one row at a time below: a pull of 100,000 artifacts never holds them all.
    pending = db.execute(
        "SELECT r.id, r.path, r.version, r.deleted, r.author, b.path, b.version, b.hash, b.deleted "
        "FROM remote_rows r LEFT JOIN sync_base b ON b.id = r.id "
        "WHERE b.id IS NULL OR r.version > b.version ORDER BY r.seq"
    ).fetchall()
    waiting = {row[0] for row in db.execute("SELECT id FROM conflicts")}  # resolved before anything new lands
    for start in range(0, len(pending), PULL_CHUNK):
        _pull_chunk(mirror, pending[start : start + PULL_CHUNK], waiting, matcher, guard, report)
    report.overrides.extend(guard.overrides)
    return report
