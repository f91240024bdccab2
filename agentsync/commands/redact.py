"""``agentsync redact ID``: replace the secrets (and personal data, if scanned) that the outbound
scan finds in one artifact's file with ``[REDACTED:rule]``."""

from __future__ import annotations

import click

from agentsync.commands._common import load_config
from agentsync.store import Mirror


def run(key: str, *, dry_run: bool) -> int:
    from agentsync.outbound import redact_file
    from agentsync.scanner import scan

    config = load_config()
    with Mirror.open(config) as mirror:
        scan(mirror)
        row = mirror.find(key)
        findings = redact_file(config.root / row.path, row.path, config.outbound_scan, dry_run=dry_run)
        if findings and not dry_run:
            scan(mirror, [row.path])
    if not findings:
        click.echo(f"{row.path}: nothing to redact")
        return 0
    for finding in findings:
        click.echo(f"{'would redact' if dry_run else 'redacted'} {finding}")
    click.echo(f"{row.path}: {len(findings)} finding(s) {'found (dry run: file unchanged)' if dry_run else 'redacted'}")
    return 0
