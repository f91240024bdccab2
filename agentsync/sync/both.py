"""`agentsync sync`: pull, then push, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentsync.remotes.base import Remote
from agentsync.store.mirror import Mirror
from agentsync.sync.incoming import pull
from agentsync.sync.outgoing import push_merging
from agentsync.sync.reports import PullReport, PushReport

if TYPE_CHECKING:
    from agentsync.parsing import Progress


@dataclass
class SyncReport:
    pulled: PullReport
    pushed: PushReport
    merge: PullReport | None  # what the push merged, if it met newer versions

    @property
    def ok(self) -> bool:
        return self.pulled.ok and self.pushed.ok and (self.merge is None or self.merge.ok)


def pull_then_push(mirror: Mirror, remote: Remote, author: str, progress: Progress | None = None) -> SyncReport:
    """Pull, then push: the order that turns most would-be conflicts into fast-forwards."""
    pulled = pull(mirror, remote, progress)
    pushed, merge = push_merging(mirror, remote, author)
    return SyncReport(pulled, pushed, merge)
