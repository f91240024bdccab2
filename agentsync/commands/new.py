"""``agentsync new TYPE TITLE``: create an artifact from a template."""

from __future__ import annotations

import click

from agentsync.commands._common import load_config, report_problems
from agentsync.newartifact import create
from agentsync.store import Mirror


def run(type_name: str, title: str) -> int:
    config = load_config()
    with Mirror.open(config) as mirror:
        artifact_id, path, report = create(mirror, type_name, title)
    report_problems(report.problems)
    click.echo(f"created {artifact_id} at {path}")
    return 0 if report.ok else 1
