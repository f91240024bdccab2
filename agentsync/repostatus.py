"""What ``agentsync status`` reports: where git fields stand between the work tree and HEAD, files
that could not be mirrored, where the clone stands with its remote, and the watcher's record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.gitfields import FieldDifference
    from agentsync.remote_state import RemoteState


class StatusReport(NamedTuple):  # not a dataclass: ``dataclasses`` loads ``inspect``, a tenth of a status
    config: Config
    head: str | None  # None: no commits yet
    branch: str | None  # None: detached or unborn HEAD
    artifacts: int
    differences: list[FieldDifference]
    problems: Sequence[tuple[str, int | None, str]]  # (path, line, message)
    remote: RemoteState | None  # None: no remote configured
    watcher: dict[str, Any] | None  # the watcher's status record (None: never ran here)
    repaired: str | None = None  # why a failed hook left the mirror to repair, told once (None: nothing failed)

    def to_json(self) -> dict[str, Any]:
        """The shape ``status --json`` prints."""
        return {
            "head": self.head,
            "branch": self.branch,
            "artifacts": self.artifacts,
            "git_fields": list(self.config.git_fields),
            "differences": [d.to_json() for d in self.differences],
            "problems": [{"path": p, "line": line, "message": m} for p, line, m in self.problems],
            "remote": None if self.remote is None else self.remote.to_json(),
            "watcher": self.watcher,
            "repaired": self.repaired,
        }


def status_report(config: Config, *, ask_remote: bool = False) -> StatusReport:
    """Mirror what changed (stat first: only edited files are read), bring the HEAD side up to date,
    and gather the report. Git is asked through its command line (HEAD, the branch, what changed
    since the commit the mirror's git-field values are for): pygit2 is not loaded. The remote is
    asked only with ``ask_remote`` (its head, lag and locks): otherwise the mirror answers, offline
    and without loading a database driver."""
    from agentsync.comparison import compare
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitfields import refresh_heads
    from agentsync.gitmirror import full_scan, take_repair_reason
    from agentsync.remote_state import remote_state, start_look
    from agentsync.store import Mirror
    from agentsync.watch.status import watcher_state

    look = start_look(config) if ask_remote else None  # asked while the mirror is brought up to date
    repo = GitCommandLine(config.root)
    repo.ask_head_early()  # Git answers while the mirror is scanned
    try:
        with Mirror.open(config, mapped=True) as mirror:  # status reads every row
            full_scan(mirror)
            refresh_heads(mirror, repo)
            compared = compare(mirror)
            total = mirror.count()
            problems = mirror.problems()
            remote = remote_state(config, mirror, look, ask=ask_remote, compared=compared)
        watcher = _redacted_watcher(watcher_state(config))
        repaired = take_repair_reason(config)
        head = repo.head_commit()
        branch = None if head is None else repo.branch()  # None: detached or unborn HEAD
    finally:
        repo.close()
    return StatusReport(config, head, branch, total, compared.differences, problems, remote, watcher, repaired)


def _redacted_watcher(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The watcher's record without credentials (one written by an older agentsync may hold some)."""
    from agentsync.secrets import redact

    if state is None:
        return None
    state = dict(state)
    for key in ("remote", "last_error", "last_sync"):
        value = state.get(key)
        if isinstance(value, str):
            state[key] = redact(value)
        elif isinstance(value, dict):
            state[key] = {k: redact(v) if isinstance(v, str) else v for k, v in value.items()}
    return state
