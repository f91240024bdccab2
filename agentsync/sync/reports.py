"""What a push or a pull did, as plain data, and the one wording of it that the CLI, the
watcher and the hooks print."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal, NamedTuple

from agentsync.errors import Problem
from agentsync.remotes.base import Answer

if TYPE_CHECKING:
    from agentsync.gitfields import Override
    from agentsync.outbound import Finding
    from agentsync.sync.restored import PullWaits, PutBack


@dataclass
class PushReport:
    applied: list[tuple[str, int]] = field(default_factory=list)
    conflicts: list[Answer] = field(default_factory=list)
    locked: list[Answer] = field(default_factory=list)
    resent: int = 0  # batches from the outbox sent again
    problems: list[Problem] = field(default_factory=list)
    met_newer: list[Answer] = field(default_factory=list)  # conflicts `push_merging` merged (or tried to)
    refused: list[Finding] = field(default_factory=list)  # what the outbound scan kept from leaving
    dropped: list[Finding] = field(default_factory=list)  # found in a queued batch by rules added since: not sent
    renumbered: list[str] = field(default_factory=list)  # one line each: a newcomer whose id the remote had taken
    put_back: list[PutBack] = field(default_factory=list)  # files Git put back: held, not sent (sync.restored)

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.locked or self.problems or self.refused or self.put_back)


class Quarantined(NamedTuple):
    """A remote row this clone refused to apply (why, in one line): kept aside in the mirror while
    the cursor moves past it, so every later row still arrives. A newer version replaces it."""

    key: str  # TYPE:ID
    version: int
    path: str
    author: str
    reason: str

    @property
    def id(self) -> str:
        """The id part of ``key`` (unique within its type only)."""
        return self.key.partition(":")[2] if ":" in self.key else self.key

    def __str__(self) -> str:
        where = f"{shown(self.key, 30)} v{self.version} by {shown(self.author, 30)} ({shown(self.path, 50)})"
        return f"{where}: {shown(self.reason, 180)}"  # at most 300 characters in all


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
    problems: list[Problem] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # paths edited while pulling: left for the next pull
    quarantined: list[Quarantined] = field(default_factory=list)  # remote rows refused, newly kept aside
    renumbered: list[str] = field(default_factory=list)  # one line each: a newcomer whose id the remote had taken
    put_back: list[PullWaits] = field(default_factory=list)  # versions left while Git has their file put back

    @property
    def ok(self) -> bool:
        return not (self.conflicts or self.problems or self.quarantined)


def shown(value: str, limit: int = 80) -> str:
    """An untrusted name for a message: control characters escaped, and at most ``limit`` characters."""
    text = value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(value)} chars)"


# --- wording ------------------------------------------------------------------------------------


class Level(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Line(NamedTuple):
    """One line of a report: what it is about (the watcher's event kind), how bad, and its text."""

    kind: Literal["pulled", "pushed", "kept", "conflict", "deferred", "problem"]  # the watcher's event kinds
    level: Level
    text: str


def pull_lines(report: PullReport, *, per_file: bool = False) -> list[Line]:
    """What a pull has to say besides its summary; ``per_file`` adds a line per file it wrote,
    merged or deleted (the watcher's events)."""
    lines = [Line("conflict", Level.WARNING, line) for line in report.renumbered]
    if per_file:
        lines += [Line("pulled", Level.INFO, f"updated {path} from the remote") for path in report.written]
        lines += [Line("pulled", Level.INFO, f"merged the remote's change into {path}") for path in report.merged]
        lines += [Line("pulled", Level.INFO, f"deleted {path} (deleted on the remote)") for path in report.deleted]
    lines += [Line("kept", Level.WARNING, f"kept Git's value: {override}") for override in report.overrides[:10]]
    if len(report.overrides) > 10:
        lines.append(Line("kept", Level.WARNING, f"kept Git's value in {len(report.overrides) - 10} more case(s)"))
    lines += [Line("conflict", Level.WARNING, f"restored: {rid}: {message}") for rid, message in report.restored]
    lines += [Line("conflict", Level.WARNING, str(waits)) for waits in report.put_back]
    lines += [Line("conflict", Level.WARNING, f"resolved by strategy: {rid}: {it}") for rid, it in report.overridden]
    lines += [Line("conflict", Level.WARNING, f"conflict: {rid}: {message}") for rid, message in report.conflicts]
    lines += [
        Line("deferred", Level.WARNING, f"left for the next pull: {path} was saved while pulling (never written over)")
        for path in report.deferred
    ]
    lines += [Line("problem", Level.ERROR, f"error: {problem}") for problem in report.problems]
    lines += [Line("problem", Level.ERROR, f"refused from the remote: {entry}") for entry in report.quarantined]
    if report.quarantined:
        lines.append(Line("problem", Level.WARNING,
                          f"{len(report.quarantined)} remote change(s) refused and kept aside (nothing of them was "
                          "written; `agentsync status` lists them): the rest was pulled"))  # fmt: skip
    return lines


def pull_summary(report: PullReport) -> str:
    applied = len(report.written) + len(report.merged) + len(report.deleted) + len(report.conflicts)
    # a pull cut short fetched what the next one applies: 'pulled 0 change(s): 1000 written' read as a contradiction
    what = f"pulled {report.fetched} change(s)" if report.fetched or not applied else "applied changes fetched earlier"
    return (
        f"{what}: {len(report.written)} written, {len(report.merged)} merged, "
        f"{len(report.deleted)} deleted, {len(report.conflicts)} conflict(s)"
        + (f", {len(report.quarantined)} refused" if report.quarantined else "")
        + (f", {len(report.put_back)} waiting for a file Git put back" if report.put_back else "")
        + ("; `agentsync push` sends the merged files" if report.merged else "")
    )


def push_lines(report: PushReport, *, per_file: bool = False) -> list[Line]:
    """What a push has to say besides its summary (a pull it merged with reports itself);
    ``per_file`` adds a line naming what it applied (the watcher's event)."""
    lines = [Line("conflict", Level.WARNING, line) for line in report.renumbered]
    lines += [Line("pushed", Level.INFO, f"pushed {pushed_names(report)}")] if per_file and report.applied else []
    for answer in report.met_newer:
        who = f" by {answer.remote.author}" if answer.remote else ""
        version = f"v{answer.remote.version}" if answer.remote else "a newer version"
        # Not a conflict yet: the merge that follows reports one if the edits overlap.
        lines.append(Line("pulled", Level.INFO, f"{answer.key} changed on the remote ({version}{who}) since this "
                                                "clone's copy: merging it with the local edit"))  # fmt: skip
    for answer in report.locked:
        lines.append(Line("conflict", Level.WARNING, f"locked: {answer.key} is locked by {answer.holder} until "
                                                     f"{answer.expires_at}; not pushed"))  # fmt: skip
    for answer in report.conflicts:
        lines.append(Line("conflict", Level.WARNING, f"not pushed: {answer.key} changed on the remote; pull to merge"))
    lines += [Line("problem", Level.WARNING, f"refused: {finding}") for finding in report.refused]
    if report.refused:
        lines.append(Line("problem", Level.WARNING,
                          "not pushed: remove what was found, add `agentsync: allow` to its line, allow the rule "
                          "under `outbound_scan` in agentsync.yaml, or `agentsync redact ID`"))  # fmt: skip
    lines += [Line("problem", Level.WARNING, f"not sent: {finding} in a batch an earlier push queued, which the "
                                             "outbound scan now refuses: the batch was dropped, and the file "
                                             "goes out as it is now if it passes")
              for finding in report.dropped]  # fmt: skip
    lines += [Line("problem", Level.ERROR, f"push: {problem}") for problem in report.problems]
    lines += [Line("conflict", Level.WARNING, f"held back: {held}") for held in report.put_back]
    return lines


def push_summary(report: PushReport, merge: PullReport | None) -> str:
    refused = len({finding.path for finding in report.refused})
    resent = f" ({report.resent} queued batch resent)" if report.resent else ""
    held = len(report.conflicts) + len(report.locked) + (len(merge.conflicts) if merge else 0) + refused
    held += len(report.put_back)
    if not (report.applied or resent or held):
        return "nothing to push"
    merged = f", {len(merge.merged)} after merging" if merge and merge.merged else ""
    waiting = f"; {held} not pushed (see above)" if held else ""
    return f"pushed {len(report.applied)} artifact(s){merged}{resent}{waiting}"


def pushed_names(report: PushReport, most: int = 5) -> str:
    """The artifacts a push applied, for a one-line record (the watcher's last sync)."""
    named = ", ".join(f"{artifact_id} v{version}" for artifact_id, version in report.applied[:most])
    return named + (f" and {len(report.applied) - most} more" if len(report.applied) > most else "")
