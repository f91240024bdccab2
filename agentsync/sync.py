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
from typing import Any

from agentsync.artifact import content_hash, parse_text
from agentsync.errors import AgentsyncError, UnsafePathError
from agentsync.exporter import _checked_path
from agentsync.frontmatter_edit import set_field
from agentsync.fsutil import atomic_write
from agentsync.gitfields import GitFieldGuard, Override
from agentsync.mirror import Mirror
from agentsync.paths import Matcher
from agentsync.remotes.base import Answer, Change, Remote
from agentsync.scanner import scan

CURSOR_KEY = "remote_cursor"
CLIENT_KEY = "client_id"
PAGE_SIZE = 1000


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
    for artifact_id, path, digest, layout in db.execute("SELECT id, path, hash, layout FROM artifacts ORDER BY id"):
        present.add(artifact_id)
        agreed = base.get(artifact_id)
        if artifact_id in waiting:
            continue  # an open conflict is resolved first
        if agreed is not None and not agreed[3] and agreed[2] == digest and agreed[0] == path:
            continue
        version = agreed[1] if agreed is not None else 0
        content = db.execute("SELECT content FROM artifacts WHERE id = ?", (artifact_id,)).fetchone()[0]
        sent = _with_version(content, layout, version + 1)
        changes.append(Change(artifact_id, path, version, sent, content_hash(sent.encode("utf-8"))))
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
    if changes:
        batch_id = uuid.uuid4().hex
        with mirror.transaction() as db:  # kept before sending: a lost answer is recovered by resending
            db.execute(
                "INSERT INTO outbox(batch_id, changes, created_at) VALUES (?, ?, ?)",
                (batch_id, json.dumps([c.__dict__ for c in changes]), _now()),
            )
        _send(mirror, remote, me, batch_id, author, changes, report)
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
    base_rows: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    for answer in result.answers:
        change = by_id[answer.id]
        if answer.result == "applied" and answer.version is not None:
            report.applied.append((answer.id, answer.version))
            if change.content is None:
                base_rows.append((answer.id, change.path, answer.version, None, 1, None))
                continue
            if _write_if_unchanged(mirror, change, root):
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
    with mirror.transaction() as db:
        db.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", base_rows)  # fmt: skip
        db.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at) VALUES (?,?,?,?,?,?,?)", conflict_rows)  # fmt: skip
        db.execute("DELETE FROM outbox WHERE batch_id = ?", (batch_id,))
    if written:
        scan(mirror, written)


def _write_if_unchanged(mirror: Mirror, change: Change, root: Path) -> bool:
    """Write the accepted content (its new version line) unless the file changed since it was read."""
    target = root / change.path
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        return False
    sent = (change.content or "").encode("utf-8")
    if current == sent:
        return False
    mirrored = mirror.connection.execute("SELECT hash FROM artifacts WHERE id = ?", (change.id,)).fetchone()
    if mirrored is None or content_hash(current) != mirrored[0]:
        return False  # edited again meanwhile: leave it; the next push sends it based on the new version
    atomic_write(target, sent)
    return True


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


def _conflict(report: PullReport, rows: list[tuple[Any, ...]], where: tuple[Any, ...], message: str) -> None:
    """Record a conflict: ``where`` is (id, path, kind, remote version, remote author)."""
    report.conflicts.append((where[0], message))
    rows.append((*where, message, _now()))


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
    root = mirror.config.root
    db = mirror.connection
    pending = db.execute(
        "SELECT r.id, r.path, r.version, r.deleted, r.author, r.content, b.path, b.version, b.hash, b.deleted "
        "FROM remote_rows r LEFT JOIN sync_base b ON b.id = r.id "
        "WHERE b.id IS NULL OR r.version > b.version ORDER BY r.seq"
    ).fetchall()
    base_rows: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    touched: list[str] = []
    waiting = {row[0] for row in db.execute("SELECT id FROM conflicts")}  # resolved before anything new lands
    for rid, rpath, rversion, rdeleted, rauthor, rcontent, bpath, _bversion, bhash, bdeleted in pending:
        if rid in waiting:
            continue
        local = db.execute("SELECT path, hash, type FROM artifacts WHERE id = ?", (rid,)).fetchone()
        try:
            safe_path = _checked_path(matcher, rpath)
        except UnsafePathError as exc:
            report.problems.append(exc)
            continue
        clean = local is not None and bhash is not None and not bdeleted and local[1] == bhash and local[0] == bpath
        fresh = local is None and (bpath is None or bdeleted)

        here = local[0] if local else rpath
        if rdeleted:
            if local is None:
                base_rows.append((rid, rpath, rversion, None, 1, None))
            elif clean:
                (root / local[0]).unlink(missing_ok=True)
                report.deleted.append(local[0])
                touched.append(local[0])
                base_rows.append((rid, rpath, rversion, None, 1, None))
            else:
                _conflict(
                    report,
                    conflict_rows,
                    (rid, here, "deleted_there", rversion, rauthor),
                    f"deleted on the remote (v{rversion} by {rauthor}) but edited here",
                )
            continue
        if not (clean or fresh):
            if local is None:
                _conflict(
                    report,
                    conflict_rows,
                    (rid, here, "deleted_here", rversion, rauthor),
                    f"changed on the remote (v{rversion} by {rauthor}) but deleted here",
                )
            else:
                _conflict(
                    report,
                    conflict_rows,
                    (rid, here, "pull", rversion, rauthor),
                    f"changed here and on the remote (v{rversion} by {rauthor}); merge, then push",
                )
            continue
        target = root / safe_path
        if fresh and target.exists():
            _conflict(
                report,
                conflict_rows,
                (rid, here, "pull", rversion, rauthor),
                f"the remote's new {rid} would overwrite {safe_path}, which holds another file",
            )
            continue
        type_name = matcher.type_of(safe_path) or ""
        artifact = parse_text(safe_path, rcontent, type_name, content_hash(rcontent.encode("utf-8")))
        old_path = local[0] if local else None
        disk = (root / old_path).read_bytes() if old_path and (root / old_path).exists() else None
        if disk is not None and content_hash(disk) != local[1]:
            _conflict(report, conflict_rows, (rid, here, "pull", rversion, rauthor), "edited while pulling; pull again")
            continue
        data = guard.apply(artifact, disk).encode("utf-8")
        atomic_write(target, data)
        if old_path and old_path != safe_path:
            (root / old_path).unlink(missing_ok=True)
            touched.append(old_path)
        report.written.append(safe_path)
        touched.append(safe_path)
        base_rows.append((rid, safe_path, rversion, content_hash(data), 0, data.decode("utf-8")))
    with mirror.transaction() as tx:
        tx.executemany("INSERT OR REPLACE INTO sync_base(id, path, version, hash, deleted, content) "
                       "VALUES (?,?,?,?,?,?)", base_rows)  # fmt: skip
        tx.executemany("INSERT OR REPLACE INTO conflicts(id, path, kind, remote_version, remote_author, message, "
                       "recorded_at) VALUES (?,?,?,?,?,?,?)", conflict_rows)  # fmt: skip
    if touched:
        scan(mirror, touched)
    report.overrides.extend(guard.overrides)
    return report
