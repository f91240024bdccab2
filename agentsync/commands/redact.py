"""``agentsync redact ID``: replace the secrets (and personal data, if scanned) that the outbound
scan finds in one artifact's file with ``[REDACTED:rule]``."""

from __future__ import annotations

import click

from agentsync.commands._common import load_config


def run(key: str, *, dry_run: bool) -> int:
    from agentsync.redaction import redact_artifact

    path, findings = redact_artifact(load_config(), key, dry_run=dry_run)
    if not findings:
        click.echo(f"{path}: nothing to redact")
        return 0
    for finding in findings:
        click.echo(f"{'would redact' if dry_run else 'redacted'} {finding}")
    click.echo(f"{path}: {len(findings)} finding(s) {'found (dry run: file unchanged)' if dry_run else 'redacted'}")
    return 0
