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
    for layout in done.detected:
        click.echo(f"detected {layout}")
    matching = [f"{type_name} {count} file{'s' if count != 1 else ''}" for type_name, count in done.matched if count]
    empty = sum(1 for _, count in done.matched if not count)
    rest = f" ({empty} more type{'s' if empty != 1 else ''} match no file yet)" if matching and empty else ""
    click.echo(f"types: {', '.join(matching)}{rest}" if matching else "no file matches the types' globs yet")
    report_problems(done.scan.problems)
    click.echo(summarize(done.scan, done.total))
    if done.hooks_missing:
        click.echo("next: `agentsync hooks install` keeps the mirror current on commit, merge and checkout")
    return 0 if done.scan.ok else 1
