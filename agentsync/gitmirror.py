"""Mirroring what a Git operation changed: only the paths between two commits, never a full scan.

Hooks call these after a commit, merge, checkout or rewrite. Each step is one
transaction, so the mirror is never half-updated; if a step fails, a repair mark is
left in ``.agentsync/`` and the next run (hook or command) rescans everything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agentsync.config import Config
from agentsync.paths import Matcher
from agentsync.scanner import ScanReport, scan
from agentsync.store import Mirror, heads
from agentsync.store.meta import MetaKey

if TYPE_CHECKING:  # `agentsync mirror` needs neither Git nor the git fields: imported where used
    from agentsync.gitrepo import GitReader
    from agentsync.parsing import Progress

REPAIR_MARK = "needs-rescan"
REPAIRED = "repaired"  # the mark, once its repair is done: why, for `status` to tell once


class GitMirrorReport:
    """What mirroring a commit range did (a plain class: the post-commit hook defines it)."""

    __slots__ = ("full", "paths", "scan")

    def __init__(self, paths: list[str] | None = None, scan: ScanReport | None = None, full: bool = False) -> None:
        self.paths = paths or []  # artifact paths the range touched
        self.scan = scan
        self.full = full  # a full scan ran (first run, or a repair)


def repair_mark(config: Config) -> Path:
    return config.state_dir / REPAIR_MARK


def mark_for_repair(config: Config, reason: str) -> None:
    """Leave a note that the mirror may be behind; best effort (the failure being handled comes first)."""
    from agentsync.secrets import redact  # the mark outlives the failure: `status` shows it later

    try:
        config.state_dir.mkdir(exist_ok=True)
        repair_mark(config).write_text(redact(reason) + "\n", encoding="utf-8")
    except OSError:
        pass


def forget_heads(mirror: Mirror) -> None:
    """Make the next ``refresh_heads`` rebuild HEAD's git-field values from scratch."""
    with mirror.transaction() as db:
        heads.forget(db)


def full_scan(mirror: Mirror, progress: Progress | None = None) -> ScanReport:
    """Scan everything (stat first); if a failed hook left the repair mark, also rebuild HEAD's
    git-field values and clear the mark. Every full scan, from a hook or a command, goes here."""
    mark = repair_mark(mirror.config)
    repairing = mark.exists()
    report = scan(mirror, progress=progress)
    if repairing:
        forget_heads(mirror)
        try:
            os.replace(mark, mirror.config.state_dir / REPAIRED)  # a hook in the background failed unseen
        except OSError:
            mark.unlink(missing_ok=True)
    return report


def take_repair_reason(config: Config) -> str | None:
    """Why the mirror was last repaired (a hook that failed: in the background nobody saw it), once:
    the record goes as it is read."""
    from agentsync.secrets import redact  # a mark an older agentsync wrote was not redacted

    record = config.state_dir / REPAIRED
    try:
        reason = " ".join(record.read_text(encoding="utf-8").split())  # Git's messages run over lines
        record.unlink()
    except OSError:
        return None
    return redact(reason) if reason else None


def mirror_range(config: Config, old: str | None, new: str | None, repo: GitReader | None = None) -> GitMirrorReport:
    """Mirror the artifact paths that differ between commits ``old`` and ``new``, then HEAD's git fields."""
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitfields import refresh_heads

    repo = repo or GitCommandLine(config.root)
    matcher = Matcher.from_config(config)
    report = GitMirrorReport()
    with Mirror.open(config) as mirror:
        if repair_mark(config).exists() or mirror.get_meta(MetaKey.FULL_SCAN_AT) is None:
            report.full = True
            report.scan = full_scan(mirror)
            refresh_heads(mirror, repo)
        else:
            changed = _changed_since_mirrored(mirror, repo, old, new)
            report.paths = sorted(p for p in changed if matcher.type_of(p))
            if report.paths:
                report.scan = scan(mirror, report.paths)
            refresh_heads(mirror, repo, (old, new, changed))
    return report


def _changed_since_mirrored(mirror: Mirror, repo: GitReader, old: str | None, new: str | None) -> dict[str, str | None]:
    """Paths that differ between ``old`` and ``new``, and between the commit the mirror last caught up
    with and ``new``. A hook finishing in the background reads HEAD when it runs, after Git may have
    moved on (a merge right after a commit): the second diff covers the commits it did not see."""
    changed = repo.changed_blobs(old, new)
    recorded = mirror.get_meta(MetaKey.GIT_HEAD)
    if recorded and recorded not in (old, new) and repo.resolve(recorded) is not None:
        changed = {**repo.changed_blobs(recorded, new), **changed}
    return changed


def mirror_all(config: Config, repo: GitReader | None = None) -> GitMirrorReport:
    """A stat-first scan of everything (used when Git cannot say which paths changed)."""
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitfields import refresh_heads

    repo = repo or GitCommandLine(config.root)
    with Mirror.open(config) as mirror:
        report = GitMirrorReport(scan=full_scan(mirror), full=True)
        refresh_heads(mirror, repo)
    return report
