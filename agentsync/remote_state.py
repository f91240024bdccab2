"""Where this clone stands with its remote, for ``status``: artifact by artifact (ahead, behind,
diverged), the queue, conflicts, rows refused and kept aside, the cursor, the remote's head, the
lag, locks, and a feed that went backwards. Every text that may quote a URL or an error is redacted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.store import Mirror
    from agentsync.store.reports import OpenConflict
    from agentsync.sync import Quarantined


@dataclass
class RemoteState:
    """This clone against its remote; ``head``, ``lag`` and ``locks`` stay empty if it is unreachable
    (``error`` says why)."""

    name: str | None
    url: str
    project: str
    ahead: list[str]  # edited here, to push
    behind: list[str]  # changed on the remote and fetched, to pull
    diverged: list[str]  # both
    to_push: list[str]
    queued_batches: int
    queue_attempts: int
    queue_error: str | None
    conflicts: list[OpenConflict]
    cursor: int
    refused: list[Quarantined]
    locks: list[dict[str, Any]] = field(default_factory=list)  # each with "mine": held by this user
    head: int | None = None
    lag: int | None = None
    feed_problem: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The shape ``status --json`` prints under ``remote``."""
        return {
            "name": self.name, "url": self.url, "project": self.project,
            "ahead": self.ahead, "behind": self.behind, "diverged": self.diverged, "to_push": self.to_push,
            "queued_batches": self.queued_batches, "queue_attempts": self.queue_attempts,
            "queue_error": self.queue_error,
            "conflicts": [conflict._asdict() for conflict in self.conflicts],
            "locks": self.locks, "cursor": self.cursor, "head": self.head, "lag": self.lag,
            "refused": [{**entry._asdict(), "shown": str(entry)} for entry in self.refused],
            "feed_problem": self.feed_problem, "error": self.error,
        }  # fmt: skip


def remote_state(config: Config, mirror: Mirror) -> RemoteState | None:
    """Where this clone stands with its remote (None: no remote configured). Looking at the remote
    starts nothing: a local remote that is not running is reported unreachable."""
    from agentsync.remotes import remote_target
    from agentsync.secrets import redact
    from agentsync.store.reports import changed_on_remote, open_conflicts, queue_summary
    from agentsync.sync import cursor, pending_changes, quarantined

    target = remote_target(config)
    if target is None:
        return None
    edited = {p.key for p in pending_changes(mirror)}
    changed_there = changed_on_remote(mirror)
    queue = queue_summary(mirror)
    state = RemoteState(
        name=target.name, url=target.shown, project=config.project_name,
        ahead=sorted(edited - changed_there), behind=sorted(changed_there - edited),
        diverged=sorted(edited & changed_there), to_push=sorted(edited),
        queued_batches=queue.batches, queue_attempts=queue.attempts,
        queue_error=queue.last_error and redact(queue.last_error),
        conflicts=[c._replace(message=redact(c.message)) for c in open_conflicts(mirror)],
        cursor=cursor(mirror), refused=quarantined(mirror),
    )  # fmt: skip
    _look(config, state)
    return state


def _look(config: Config, state: RemoteState) -> None:
    """The remote's head, the lag, a feed that went backwards and the locks; or why it cannot be reached."""
    from agentsync.errors import RemoteError
    from agentsync.gitrepo import user_identity
    from agentsync.remotes import looking
    from agentsync.secrets import redact
    from agentsync.sync.feed import RESET_ADVICE, went_back

    try:
        with looking(config) as remote:
            state.head = head = remote.head()
            state.lag = max(head - state.cursor, 0)
            problem = went_back(head, state.cursor)
            state.feed_problem = None if problem is None else f"{problem}; {RESET_ADVICE}"
            me = user_identity(config.root)
            state.locks = [{**lock, "mine": lock.get("holder") == me} for lock in remote.locks()]
    except RemoteError as exc:
        state.error = redact(str(exc))
