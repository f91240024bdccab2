"""What the watcher says: its events, and the one place that words a scan's, a pull's and a push's
report as the watcher's lines (``agentsync watch`` shows them, the log keeps them).

Pure functions from a report to events, so that the wording can move next to the other report
wording (``agentsync.sync``) without touching the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from agentsync.scanner import ScanReport
    from agentsync.sync import PullReport, PushReport

EventKind = Literal[
    "started", "mirrored", "pushed", "pulled", "kept", "conflict", "deferred", "busy", "unreachable", "back",
    "problem", "stopped",
]  # fmt: skip
Level = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class WatchEvent:
    """Something the watcher did or met, as one line."""

    kind: EventKind
    message: str
    level: Level = "info"


def scan_events(report: ScanReport) -> list[WatchEvent]:
    """A line per path a scan mirrored, and per file it could not."""
    events = [WatchEvent("mirrored", f"mirrored {path} (new)") for path in report.added]
    events += [WatchEvent("mirrored", f"mirrored {path}") for path in report.updated]
    events += [WatchEvent("mirrored", f"mirrored {old} -> {new} (renamed)") for old, new in report.renamed]
    events += [WatchEvent("mirrored", f"mirrored {path} (deleted)") for path in report.deleted]
    events += [WatchEvent("problem", f"not mirrored: {problem}", "warning") for problem in report.problems]
    return events


def pull_summary(report: PullReport) -> str | None:
    """The pull as the status record's last sync, or None if it changed nothing worth saying."""
    changed = len(report.written) + len(report.merged) + len(report.deleted)
    if not (changed or report.conflicts):
        return None
    return (
        f"pulled {report.fetched} change(s): {len(report.written)} written, "
        f"{len(report.merged)} merged, {len(report.deleted)} deleted"
    )


def pull_events(report: PullReport) -> list[WatchEvent]:
    """A line per file a pull wrote, merged, deleted, restored, left or refused (the one wording
    of ``agentsync.sync.reports``)."""
    from agentsync.sync.reports import pull_lines

    return [WatchEvent(line.kind, line.text, line.level.value) for line in pull_lines(report, per_file=True)]


def push_summary(report: PushReport) -> str | None:
    """The push as the status record's last sync, or None if nothing was applied."""
    from agentsync.sync.reports import pushed_names

    return f"pushed {len(report.applied)} artifact(s): {pushed_names(report)}" if report.applied else None


def push_events(report: PushReport, merge: PullReport | None) -> list[WatchEvent]:
    """What a push sent, the lines of the pull that merged newer versions, then what it could not send."""
    from agentsync.sync.reports import push_lines

    events = [WatchEvent(line.kind, line.text, line.level.value) for line in push_lines(report, per_file=True)]
    sent = 1 if report.applied else 0  # the first line names what was applied
    return events[:sent] + (pull_events(merge) if merge is not None else []) + events[sent:]


def start_message(folders: str, remote: str | None, *, push: bool, poll_interval: float) -> str:
    """The watcher's first line: what it watches and how it keeps up with the remote."""
    if remote is None:
        return f"watching {folders}; no remote configured: mirroring only"
    pushing = "auto-push on" if push else "auto-push off (`--push` to send local changes)"
    return f"watching {folders}; remote {remote} ({pushing}, head checked every {poll_interval:g} s)"


def backoff_message(error: str, delay: float) -> str:
    return f"remote: {error}; trying again in {delay:.0f} s (local saves are still mirrored)"
