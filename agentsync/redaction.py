"""``agentsync redact ID``: replace what the outbound scan finds in one artifact's file with
``[REDACTED:rule]`` (the only way agentsync changes a file for the scan), and mirror the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.outbound import Finding


class Redaction(NamedTuple):
    path: str  # the artifact's file, relative to the repository
    findings: list[Finding]  # what was (or, in a dry run, would be) replaced


def redact_artifact(config: Config, key: str, *, dry_run: bool) -> Redaction:
    """Redact the file of the artifact ``key`` (by id or path, after mirroring the work tree)."""
    from agentsync.outbound import redact_file
    from agentsync.scanner import scan
    from agentsync.store import Mirror

    with Mirror.open(config) as mirror:
        scan(mirror)
        row = mirror.find(key)
        findings = redact_file(config.root / row.path, row.path, config.outbound_scan, dry_run=dry_run)
        if findings and not dry_run:
            scan(mirror, [row.path])
    return Redaction(row.path, findings)
