"""``agentsync stats``: how sync has behaved in this clone over its recent runs."""

from __future__ import annotations

from typing import Any

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.config import Config
from agentsync.store import Mirror


def collect(mirror: Mirror, last: int) -> dict[str, Any]:
    """Figures over the last ``last`` operations recorded in the mirror, per kind, and the queue."""
    db = mirror.connection
    rows = db.execute(
        "SELECT operation, duration_ms, result, pushed, pulled, conflicts, error, started_at FROM "
        "(SELECT * FROM operations ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        (last,),
    ).fetchall()
    kinds: dict[str, dict[str, Any]] = {}
    for operation, duration, result, pushed, pulled, conflicts, _error, _at in rows:
        kind = kinds.setdefault(operation, {"runs": 0, "errors": 0, "partial": 0, "pushed": 0, "pulled": 0,
                                            "conflicts": 0, "durations_ms": []})  # fmt: skip
        kind["runs"] += 1
        kind["errors"] += result == "error"
        kind["partial"] += result == "partial"
        kind["pushed"] += pushed
        kind["pulled"] += pulled
        kind["conflicts"] += conflicts
        kind["durations_ms"].append(duration)
    for kind in kinds.values():
        durations = sorted(kind.pop("durations_ms"))
        kind["median_ms"] = durations[len(durations) // 2]
        kind["max_ms"] = durations[-1]
    last_error = next(((at, error) for *_, error, at in reversed(rows) if error), None)
    from agentsync.sync import CURSOR_KEY

    queued = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    return {
        "operations": len(rows),
        "since": rows[0][7] if rows else None,
        "by_operation": kinds,
        "conflicts_open": db.execute("SELECT count(*) FROM conflicts").fetchone()[0],
        "queued_batches": queued,
        "cursor": int(mirror.get_meta(CURSOR_KEY) or 0),
        "last_error": {"at": last_error[0], "message": last_error[1]} if last_error else None,
    }


def _lag(config: Config, cursor: int) -> int | None:
    """Changes on the remote not fetched here; None if there is no remote or it cannot be reached
    at once (a look starts nothing: a local remote that is not running stays so)."""
    from agentsync.errors import RemoteError
    from agentsync.remotes import looking, remote_target

    if remote_target(config) is None:
        return None
    try:
        with looking(config) as remote:
            return max(remote.head() - cursor, 0)
    except RemoteError:
        return None


def run(*, last: int, as_json: bool) -> int:
    from agentsync.watcher import watcher_state

    config = load_config()
    with Mirror.open(config) as mirror:
        figures = collect(mirror, last)
    figures["lag"] = _lag(config, figures["cursor"])
    if figures["lag"] is None:
        watcher = watcher_state(config)  # the remote is not reachable now: what the watcher saw last
        figures["lag"] = watcher.get("lag") if watcher and watcher.get("running") else None
    if as_json:
        echo_json(figures)
        return 0
    if not figures["operations"]:
        click.echo("no sync operations recorded yet (push, pull and the watcher record theirs)")
        return 0
    click.echo(f"last {figures['operations']} sync operation(s), since {figures['since']}:")
    for name, kind in sorted(figures["by_operation"].items()):
        moved = f"{kind['pushed']} pushed" if name == "push" else f"{kind['pulled']} {name}ed"
        click.echo(f"  {name:<6} {kind['runs']:>5} run(s), median {kind['median_ms']} ms, max {kind['max_ms']} ms; "
                   f"{moved}, {kind['conflicts']} conflict(s), {kind['errors']} error(s), "
                   f"{kind['partial']} partial")  # fmt: skip
    lag = "unknown (the remote is not reachable now)" if figures["lag"] is None else str(figures["lag"])
    click.echo(f"queue: {figures['queued_batches']} batch(es); open conflicts: {figures['conflicts_open']}; "
               f"cursor {figures['cursor']}; lag {lag}")  # fmt: skip
    if figures["last_error"]:
        click.echo(f"last error {figures['last_error']['at']}: {figures['last_error']['message']}")
    return 0
