"""The sync's events for plugins (`agentsync_sync_event`): started, progress, completed, failed,
conflict, and one pushed or pulled event per artifact. Announced by ``pull`` and ``push`` around
their work; with no plugin nothing is gathered and pluggy is never imported. A listener that raises
is named in one line (``agentsync.plugins``) and the sync goes on: events are told after the
mirror's transactions, so no listener can undo or corrupt what a sync wrote."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from agentsync.errors import AgentsyncError
from agentsync.plugins.model import EventArtifact, EventKind, Operation, SyncEvent

if TYPE_CHECKING:
    from agentsync.parsing import Progress
    from agentsync.store.mirror import Mirror
    from agentsync.sync.reports import PullReport, PushReport


class Announcer:
    """Tells one operation's events to the listeners (``on`` False: there are none, nothing is done)."""

    def __init__(self, mirror: Mirror, operation: Operation) -> None:
        from agentsync.plugins.registry import wanted

        self.mirror = mirror
        self.operation = operation
        self.on = wanted(mirror.config)

    def send(
        self, kind: EventKind, artifact: EventArtifact | None = None, counts: Mapping[str, int] | None = None,
        message: str = "",
    ) -> None:  # fmt: skip
        if not self.on:
            return
        from agentsync.plugins.calls import emit
        from agentsync.secrets import redact

        emit(self.mirror.config, SyncEvent(kind, self.operation, artifact, dict(counts or {}), redact(message)[:300]))

    def progress(self, progress: Progress | None) -> Progress | None:
        """``progress`` that also tells the listeners (done, total)."""
        if not self.on:
            return progress

        def told(done: int, total: int) -> None:
            self.send("progress", counts={"done": done, "total": total})
            if progress is not None:
                progress(done, total)

        return told

    def artifact(self, key: str, version: int | None = None) -> EventArtifact:
        """The event's artifact, by id or path as the report names it (an artifact gone from the
        mirror meanwhile is still told, with what is known)."""
        try:
            row = self.mirror.find(key)
        except AgentsyncError:
            return EventArtifact(key, "", key if "/" in key else "", version or 0)
        return EventArtifact(row.id, row.type, row.path, row.version if version is None else version)

    def pulled(self, report: PullReport) -> None:
        if not self.on:
            return
        for path in [*report.written, *report.merged]:
            self.send("pulled", self.artifact(path))
        for artifact_id, message in report.conflicts:
            self.send("conflict", self.artifact(artifact_id), message=message)
        self.send("completed", counts={
            "fetched": report.fetched, "written": len(report.written), "merged": len(report.merged),
            "deleted": len(report.deleted), "conflicts": len(report.conflicts), "problems": len(report.problems),
        })  # fmt: skip

    def pushed(self, report: PushReport) -> None:
        if not self.on:
            return
        for key, version in report.applied:
            self.send("pushed", self.artifact(_id_of(key), version))
        for answer in report.conflicts:
            self.send("conflict", self.artifact(_id_of(answer_key(answer))), message="changed on the remote meanwhile")
        self.send("completed", counts={
            "applied": len(report.applied), "conflicts": len(report.conflicts), "locked": len(report.locked),
            "refused": len(report.refused), "problems": len(report.problems), "resent_batches": report.resent,
        })  # fmt: skip


def answer_key(answer: object) -> str:
    """Which artifact a push answer is about (its ``key``, ``TYPE:ID``, or before that its ``id``)."""
    return str(getattr(answer, "key", None) or getattr(answer, "id", ""))


def _id_of(key: str) -> str:
    """An id from a report's key (``TYPE:ID`` once the remote knows types, or the bare id)."""
    return key.split(":", 1)[1] if ":" in key and "/" not in key else key


@contextlib.contextmanager
def announced(mirror: Mirror, operation: Operation) -> Iterator[Announcer]:
    """``started`` now, ``failed`` (with the error's line) if the block raises."""
    announcer = Announcer(mirror, operation)
    announcer.send("started")
    try:
        yield announcer
    except Exception as exc:
        announcer.send("failed", message=str(exc) or type(exc).__name__)
        raise
