"""What a push sends: the artifacts whose files differ from what was agreed, and their changes,
read from the mirror a batch at a time, scanned for secrets, encoded once and kept in the outbox
before they go out; and the batches the outbox kept, to send again. (``outgoing`` sends them and
applies the answers.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from agentsync.artifact import LAYOUT_FRONTMATTER, conflict_markers
from agentsync.errors import Problem
from agentsync.remotes.base import Change, decode_changes, encode_changes
from agentsync.store import outbox, sync_state
from agentsync.store.mirror import Mirror
from agentsync.sync.journal import now
from agentsync.sync.pending import version_only
from agentsync.sync.reports import PushReport

if TYPE_CHECKING:
    from agentsync.artifact import Layout
    from agentsync.checkcache import PassedFiles
    from agentsync.outbound import Finding

BATCH_CHANGES = 600  # changes per pushed batch (~2.3 MB of JSON over HTTP): 10,000 artifacts take 17 requests,
# and the clone registers itself with one more at most every few minutes

Batch = tuple[str, list[Change], str]  # a batch's id, its changes, and the changes as sent (encode_changes)


class Pending(NamedTuple):
    """An artifact to push, without its content: ``base`` is the version it is based on, and
    ``version`` what it will be (for a new artifact: the version its file states, at least 1)."""

    key: str  # TYPE:ID
    path: str
    base: int
    version: int
    layout: Layout | None  # None for a deletion
    digest: str | None  # the file's hash; None for a deletion
    stated: int = 0  # the version the file states now


def pending_changes(mirror: Mirror) -> list[Pending]:
    """Artifacts whose file differs from what was last agreed with the remote, and deletions; an
    artifact with an open conflict waits until it is resolved. The mirror compares the tables and
    hands out only what differs (``locals_differing``, ``agreed_gone``)."""
    db = mirror.connection
    pending = [_pending(local) for local in sync_state.locals_differing(db)]
    pending += [Pending(gone.key, gone.path, gone.version, gone.version + 1, None, None)
                for gone in sync_state.agreed_gone(db)]  # fmt: skip
    return _without_version_only(db, pending)


def without_put_back(mirror: Mirror, pending: list[Pending], report: PushReport) -> list[Pending]:
    """``pending`` less the files Git put back since their version was agreed (``sync.restored``),
    each named in ``report.put_back``: pushed, they would undo that version in every clone."""
    from agentsync.sync.restored import put_back

    held = put_back(mirror, [item.key for item in pending if item.base > 0])
    if not held:
        return pending
    report.put_back.extend(held)
    keys = {item.key for item in held}
    return [item for item in pending if item.key not in keys]


def _pending(local: sync_state.Differing) -> Pending:
    """A new artifact whose file states a version goes up as that version; any other as the next."""
    if local.agreed_version is None and local.layout == LAYOUT_FRONTMATTER and local.version >= 1:
        return Pending(local.key, local.path, 0, local.version, local.layout, local.hash, local.version)
    based_on = local.agreed_version or 0
    return Pending(local.key, local.path, based_on, based_on + 1, local.layout, local.hash, local.version)


def _without_version_only(db: Any, pending: list[Pending]) -> list[Pending]:
    """``pending`` without the files that differ from the agreed text in their ``version:`` line alone."""
    paths = {p.key: p.path for p in pending if p.digest is not None and p.base > 0 and p.layout == LAYOUT_FRONTMATTER}
    unchanged = version_only(db, paths)
    return [p for p in pending if p.key not in unchanged] if unchanged else pending


def changes_for(mirror: Mirror, pending: list[Pending]) -> list[Change]:
    """The changes to send for ``pending``, contents read now, each exactly as its file reads
    (clones that pull it get the author's bytes; the remote numbers the version)."""
    from agentsync.merge import describe_change  # once a batch: an import statement per change cost ~8k instructions

    db = mirror.connection
    # Each text with its own hash, not the one ``pending`` was picked with: a scan by another process
    # in between may have mirrored an edit, and what is sent, recorded as agreed and taken as
    # having passed `check` (checked.json) must be one text.
    texts = sync_state.texts_of(db, [item.key for item in pending if item.digest is not None])
    notes = sync_state.notes(db)  # a handful at most
    agreed = sync_state.agreed_texts(db, [item.key for item in pending if item.base > 0])  # for the summaries
    changes: list[Change] = []
    for item in pending:
        if item.digest is None:
            changes.append(Change(item.key, item.path, item.base, None, None, "deleted"))
            continue
        content, digest = texts[item.key]
        was = agreed.get(item.key)
        described = describe_change(was.content if was else None, content)
        summary = _summary(was, item.path, described, notes.get(item.key, ""))
        changes.append(Change(item.key, item.path, item.base, content, digest, summary, digest, version=item.version))
    return changes


def _summary(agreed: sync_state.Agreed | None, path: str, described: str, note: str) -> str:
    """What the remote's history says of this version: what a conflict strategy chose (``note``),
    what changed since the agreed version (``described``) and where it moved; at most 500 characters."""
    parts = [note] if note else []
    parts.append(described)
    if agreed and agreed.path != path:
        parts.append(f"moved from {agreed.path}")
    return "; ".join(parts)[:500]


def resendable(mirror: Mirror, queued: list[outbox.Queued], report: PushReport) -> Iterator[Batch]:
    """The outbox's batches to send again, each scanned again under today's outbound settings: a
    batch that now holds a finding (a rule added since it was queued) is dropped, never sent, and
    its findings named in ``report.dropped``. Its edits stay in the files: the push that follows
    sends them as they are now, scanned like any other change."""
    from agentsync.checkcache import PassedFiles

    passed = PassedFiles.load(mirror.config)
    for entry in queued:
        batch_id, changes, encoded = queued_batch(mirror, entry)
        findings = [finding for change in changes for finding in _findings(mirror, change, passed)]
        if not findings:
            yield batch_id, changes, encoded
            continue
        report.dropped.extend(findings)
        with mirror.transaction() as db:
            outbox.take(db, batch_id)


def queued_batch(mirror: Mirror, entry: outbox.Queued) -> Batch:
    """A batch from the outbox, to send again, encoded again from the changes its answers are
    applied to (its texts taken from where the outbox keeps them): an outbox the agentsync before
    wrote keeps each change's fields by name (``key``, ``source_hash``), which the remote refuses;
    sent as kept, such a batch would block every push."""
    from agentsync.errors import MirrorError

    try:
        changes = decode_changes(entry.changes, outbox.texts_of(mirror.connection, entry.batch_id))
    except ValueError as exc:
        raise MirrorError(
            f"the outbox's batch {entry.batch_id} cannot be sent again ({exc}); `agentsync remote reset "
            "--drop-queued` drops it (its edits stay in the files and are pushed again)"
        ) from None
    return entry.batch_id, changes, encode_changes(changes)


def new_batches(mirror: Mirror, pending: list[Pending], report: PushReport) -> Iterator[Batch]:
    """The batches to send for ``pending``, contents read a batch at a time; each is kept in the
    outbox before it is handed out to be sent: a lost answer is recovered by resending it. A batch
    is encoded once for the remote, here, and the sender sends that text; the outbox keeps it less
    its texts, each of which the artifact's row holds (``store.outbox.enqueue``)."""
    from agentsync.checkcache import PassedFiles

    passed = PassedFiles.load(mirror.config)
    for start in range(0, len(pending), BATCH_CHANGES):
        batch = outbound_scanned(mirror, changes_for(mirror, pending[start : start + BATCH_CHANGES]), report, passed)
        if not batch:
            continue
        batch_id, encoded = uuid.uuid4().hex, encode_changes(batch)
        texts = [(change.key, change.hash, change.content) for change in batch
                 if change.content is not None and change.hash is not None]  # fmt: skip
        with mirror.transaction() as db:
            outbox.enqueue(db, batch_id, encode_changes(batch, texts=False), now(), texts)
        yield batch_id, batch, encoded


def outbound_scanned(mirror: Mirror, changes: list[Change], report: PushReport, passed: PassedFiles) -> list[Change]:
    """``changes`` without the artifacts in which the outbound scan finds a secret (or personal
    data, if configured): those are refused, named in ``report.refused``, and stay local. A text
    that passed ``check`` at the same path under the same config and agentsync (``passed``: the
    outbound scan is one of its rules) is not scanned again: a push after a commit checked by the
    pre-commit hook scans only what changed since."""
    kept: list[Change] = []
    for change in changes:
        if (marker := _marker_line(change)) is not None:  # a merge left half done (Git's or a sync's)
            report.problems.append(Problem(change.path, marker, MARKER_HELD_BACK))
            continue
        findings = _findings(mirror, change, passed)
        if findings:
            report.refused.extend(findings)
        else:
            kept.append(change)
    return kept


MARKER_HELD_BACK = (
    "an unresolved conflict marker (<<<<<<< or >>>>>>>): not pushed, so no clone gets it; finish the merge "
    "(for a sync conflict, `agentsync resolve ID`), then push"
)


def _marker_line(change: Change) -> int | None:
    """The line of the first conflict marker in ``change``'s text (``check`` refuses them too), if any."""
    text = change.content or ""
    found = next(conflict_markers(text), None)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def _findings(mirror: Mirror, change: Change, passed: PassedFiles) -> list[Finding]:
    """What the outbound scan finds in ``change``'s text (nothing in a deletion, or in a text that passed ``check``)."""
    from agentsync.outbound import find

    if change.content is None or (change.hash is not None and passed.has_passed(change.path, change.hash)):
        return []
    return find(change.path, change.content, mirror.config.outbound_scan)
