"""``agentsync stats``: how sync has behaved in this clone over its recent runs."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config


def run(*, last: int, as_json: bool) -> int:
    from agentsync.syncstats import sync_stats

    stats = sync_stats(load_config(), last)
    if as_json:
        echo_json(stats.to_json())
        return 0
    if not stats.operations:
        click.echo("no sync operations recorded yet (push, pull and the watcher record theirs)")
        return 0
    click.echo(f"last {stats.operations} sync operation(s), since {stats.since}:")
    for name, kind in sorted(stats.by_operation.items()):
        moved = f"{kind.pushed} pushed" if name == "push" else f"{kind.pulled} {name}ed"
        click.echo(f"  {name:<6} {kind.runs:>5} run(s), median {kind.median_ms} ms, max {kind.max_ms} ms; "
                   f"{moved}, {kind.conflicts} conflict(s), {kind.errors} error(s), "
                   f"{kind.partial} partial")  # fmt: skip
    lag = "unknown (the remote is not reachable now)" if stats.lag is None else str(stats.lag)
    click.echo(f"queue: {stats.queued_batches} batch(es); open conflicts: {stats.conflicts_open}; "
               f"cursor {stats.cursor}; lag {lag}")  # fmt: skip
    if stats.last_error:
        click.echo(f"last error {stats.last_error[0]}: {stats.last_error[1]}")
    return 0
