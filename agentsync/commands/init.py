"""``agentsync init``: write agentsync.yaml, create .agentsync/, build the mirror."""

from __future__ import annotations

import click

from agentsync.commands._common import ProgressBar, report_problems, want_progress
from agentsync.commands.mirror import summarize


def run(*, progress: bool | None = None) -> int:
    from agentsync.initialize import initialize

    bar = ProgressBar("mirroring", enabled=want_progress() if progress is None else progress)
    try:
        done = initialize(bar)
    finally:
        bar.close()
    name = done.config_path.name
    click.echo(f"wrote {name}" if done.wrote_config else f"{name} exists; keeping it")
    report_problems(done.scan.problems)
    click.echo(summarize(done.scan, done.total))
    if done.hooks_missing:
        click.echo("next: `agentsync hooks install` keeps the mirror current on commit, merge and checkout")
    return 0 if done.scan.ok else 1
