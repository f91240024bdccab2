"""``agentsync new TYPE TITLE``: create an artifact from a template."""

from __future__ import annotations

import click

from agentsync.commands._common import load_config, report_problems
from agentsync.newartifact import create
from agentsync.store import Mirror
from agentsync.sync.ids import id_source


def run(type_name: str, title: str, *, within: str | None = None) -> int:
    config = load_config()
    with Mirror.open(config) as mirror, id_source(mirror) as ids:
        artifact_id, path, report = create(mirror, type_name, title, reserve=ids.reserve, tag=ids.tag, within=within)
    for reason in ids.offline[:1]:
        click.echo(f"note: {artifact_id} is an offline id (this clone's tag {ids.tag}): {reason}", err=True)
    report_problems(report.problems)
    click.echo(f"created {artifact_id} at {path}")
    if report.ok:  # what the team's rules still want of it (a required key to fill in)
        from agentsync.check import check_files

        for problem in check_files(config, [path]).problems:
            click.echo(
                f"note: {problem}; fill it in: `agentsync check` and the pre-commit hook refuse the file as it is",
                err=True,
            )
    return 0 if report.ok else 1
