"""Where this clone stands with its remote, for ``status``: artifact by artifact (ahead, behind,
diverged), the queue, conflicts, rows refused and kept aside and the cursor, all from the mirror;
and, when the remote is asked, its head, the lag, locks, and a feed that went backwards. Every text
that may quote a URL or an error is redacted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from agentsync.comparison import Comparison
    from agentsync.config import Config
    from agentsync.store import Mirror
    from agentsync.store.reports import OpenConflict
    from agentsync.sync import Quarantined


class RemoteState(NamedTuple):  # not a dataclass: ``dataclasses`` loads ``inspect``, a tenth of a status
    """This clone against its remote; ``head``, ``lag`` and ``locks`` stay empty if the remote was not
    asked (``asked``) or is unreachable (``error`` says why)."""

    name: str | None
    url: str
    project: str
    ahead: list[str]  # new or edited here, to push
    behind: list[str]  # changed on the remote and fetched, to pull
    diverged: list[str]  # both
    to_push: list[str]
    queued_batches: int
    queue_attempts: int
    queue_error: str | None
    conflicts: list[OpenConflict]
    cursor: int
    refused: list[Quarantined]
    asked: bool = True  # False: answered from the mirror alone, the remote was not contacted
    locks: Sequence[dict[str, Any]] = ()  # each with "mine": held by this user
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
            "locks": list(self.locks), "cursor": self.cursor, "head": self.head, "lag": self.lag,
            "refused": [{**entry._asdict(), "shown": str(entry)} for entry in self.refused],
            "feed_problem": self.feed_problem, "error": self.error, "asked": self.asked,
        }  # fmt: skip


class RemoteLook:
    """The remote's head, its locks and who this user is, asked in a thread from the moment it is
    made: connecting (and loading the driver) overlaps the mirror's scan and the git-field comparison."""

    def __init__(self, config: Config) -> None:
        import threading  # here: a status that does not ask the remote starts no thread

        self._config = config
        self._answer: tuple[int, list[dict[str, Any]], str] | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._ask, name="agentsync-remote-look", daemon=True)
        self._thread.start()

    def _ask(self) -> None:
        from agentsync.gitrepo import user_identity
        from agentsync.remotes import looking

        try:
            with looking(self._config) as remote:
                head = remote.head()
                me = user_identity(self._config.root)
                self._answer = head, remote.locks(), me
        except BaseException as exc:  # handed to the caller by answer()
            self._failure = exc

    def answer(self) -> tuple[int, list[dict[str, Any]], str]:
        """(head, locks, this user); raises what the look raised (RemoteError: unreachable)."""
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        assert self._answer is not None
        return self._answer


def start_look(config: Config) -> RemoteLook | None:
    """Start looking at the remote (None: no remote configured)."""
    from agentsync.remotes import remote_target

    return None if remote_target(config) is None else RemoteLook(config)


def remote_state(
    config: Config, mirror: Mirror, look: RemoteLook | None = None, *, ask: bool = True,
    compared: Comparison | None = None,
) -> RemoteState | None:  # fmt: skip
    """Where this clone stands with its remote (None: no remote configured). Looking at the remote
    starts nothing: a local remote that is not running is reported unreachable. ``look``: one
    started earlier (``start_look``), else one is started here; ``ask=False``: the mirror's answer
    alone, as ``git status`` tells where a branch stands from the last fetch. ``compared``: what
    ``comparison.compare`` found (else what to push and to pull is read here)."""
    from agentsync.remotes import remote_target
    from agentsync.secrets import redact
    from agentsync.store.reports import changed_on_remote, fetched_cursor, open_conflicts, queue_summary
    from agentsync.sync.pending import pending_keys

    target = remote_target(config)
    if target is None:
        return None
    if compared is not None:
        edited, changed_there = compared.edited, compared.changed_there
    else:
        edited = pending_keys(mirror)  # what a push would send, without loading the push
        changed_there = changed_on_remote(mirror)
    queue = queue_summary(mirror)
    state = RemoteState(
        name=target.name, url=target.shown, project=config.project_name,
        ahead=sorted(edited - changed_there), behind=sorted(changed_there - edited),
        diverged=sorted(edited & changed_there), to_push=sorted(edited),
        queued_batches=queue.batches, queue_attempts=queue.attempts,
        queue_error=queue.last_error and redact(queue.last_error),
        conflicts=[c._replace(message=redact(c.message)) for c in open_conflicts(mirror)],
        cursor=fetched_cursor(mirror), refused=_refused(mirror), asked=ask,
    )  # fmt: skip
    return _look(look or RemoteLook(config), state) if ask else state


def _refused(mirror: Mirror) -> list[Quarantined]:
    """The rows kept aside, as pull lists them (its module is loaded only when there are some)."""
    from agentsync.store.reports import any_refused

    if not any_refused(mirror):
        return []
    from agentsync.sync.incoming import quarantined

    return quarantined(mirror)


def _look(look: RemoteLook, state: RemoteState) -> RemoteState:
    """``state`` with the remote's head, the lag, a feed that went backwards and the locks; or why it
    cannot be reached."""
    from agentsync.errors import RemoteError
    from agentsync.secrets import redact
    from agentsync.sync.feed import RESET_ADVICE, went_back

    try:
        head, locks, me = look.answer()
    except RemoteError as exc:
        return state._replace(error=redact(str(exc)))
    problem = went_back(head, state.cursor)
    return state._replace(
        head=head, lag=max(head - state.cursor, 0),
        feed_problem=None if problem is None else f"{problem}; {RESET_ADVICE}",
        locks=[{**lock, "mine": lock.get("holder") == me} for lock in locks],
    )  # fmt: skip
