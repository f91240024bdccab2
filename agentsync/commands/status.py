"""``agentsync status``: where git fields stand between the work tree and HEAD, and where the clone
stands with the remote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentsync.commands._common import echo_json, load_config
from agentsync.terminal import echo

if TYPE_CHECKING:
    from agentsync.remote_state import RemoteState

_HEADINGS = {
    "changed": "Git fields changed in the work tree, not committed:",
    "new": "Artifacts not in HEAD yet (their git fields are not committed):",
    "deleted": "Artifacts at HEAD that are gone from the work tree:",
    "unmirrored": "Artifacts at HEAD whose work-tree file could not be mirrored:",
}


def _show(value: object) -> str:
    return "(none)" if value is None else str(value)


def run(*, as_json: bool, ask_remote: bool = False) -> int:
    from agentsync.repostatus import status_report

    report = status_report(load_config(), ask_remote=ask_remote)
    if as_json:
        echo_json(report.to_json())
        return 0
    head, branch, found = report.head, report.branch, report.differences
    where = f"branch {branch}" if branch else "detached HEAD"
    echo(f"On {where}" + (f" at {head[:10]}" if head else " (no commits yet)") + f"; {report.artifacts} artifacts")
    if report.repaired:
        from agentsync.log import LOG_NAME  # here: the logging package is no import of a plain status

        log = report.config.state_dir / LOG_NAME
        echo(f"mirror: a hook had failed ({report.repaired}); the mirror was repaired since; details in {log}")
    for state, heading in _HEADINGS.items():
        rows = [d for d in found if d.state == state]
        if not rows:
            continue
        echo(heading)
        for d in rows:
            if state == "changed":
                values = f"{d.field}: {_show(d.head)} (HEAD) -> {_show(d.work_tree)} (work tree)"
            elif state == "new":
                values = f"{d.field}: {_show(d.work_tree)}"
            elif state == "unmirrored":
                values = f"{d.field}: {_show(d.head)} (HEAD); could not be mirrored ({d.reason})"
            else:
                values = f"{d.field}: {_show(d.head)} (HEAD)"
            echo(f"  {d.id:<14} {values}   {d.path}")
    if not found:
        echo(f"git fields ({', '.join(report.config.git_fields) or 'none'}): the work tree matches HEAD")
    if report.problems:
        echo(f"{len(report.problems)} file(s) could not be mirrored; `agentsync mirror` lists them")
    _show_remote(report.remote)
    _show_watcher(report.watcher)
    return 0


def _show_watcher(state: dict[str, Any] | None) -> None:
    """Whether `agentsync watch` runs here, its last sync, lag and errors."""
    from agentsync.watch.status import WatcherState

    if state is None:
        echo("watcher: not running (`agentsync watch --detach` starts one)")
        return
    if not state["running"]:
        how = "was killed" if state["state"] == WatcherState.DIED else "stopped"
        echo(f"watcher: not running ({how}; last seen {state.get('updated_at')})")
        return
    push = "auto-push on" if state.get("push") else "auto-push off"
    live = "notifications" if state.get("notifications") else f"head checked every {state.get('poll_interval'):g} s"
    echo(f"watcher: running (pid {state['pid']} since {state.get('started_at')}; {push}; {live})")
    last = state.get("last_sync")
    if last:
        echo(f"  last sync {last['at']}: {last['summary']}")
    if state.get("lag"):
        echo(f"  lag: {state['lag']} change(s) not pulled yet")
    if state.get("state") == WatcherState.BACKOFF and state.get("last_error"):
        echo(f"  remote unreachable, retrying: {state['last_error']['message']}")
    elif state.get("errors") and state.get("last_error"):
        error = state["last_error"]
        echo(f"  {state['errors']} error(s); last at {error['at']}: {error['message']}")


def _show_remote(state: RemoteState | None) -> None:
    if state is None:
        echo("remote: none configured")
        return
    lag = f", {state.lag} change(s) to fetch" if state.lag else ""
    where = state.url if state.name in (None, state.url) else f"{state.name} ({state.url})"
    if not state.asked:
        echo(
            f"remote: {where} project {state.project}: cursor {state.cursor}, as of the last sync "
            "(`agentsync status --remote` asks it for its head, lag and locks)"
        )
    else:
        reach = f"unreachable ({state.error})" if state.error else f"head {state.head}"
        echo(f"remote: {where} project {state.project}: {reach}; cursor {state.cursor}{lag}")

    def listed(ids: list[str]) -> str:
        return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")

    for key, ids, what in (
        ("ahead", state.ahead, "new or edited here, to push"),
        ("behind", state.behind, "changed on the remote, to pull"),
        ("diverged", state.diverged, "changed on both sides, to pull and merge"),
    ):
        if ids:
            echo(f"  {key}: {len(ids)} artifact(s) {what}: {listed(ids)}")
    for lock in state.locks:
        whose = "by you" if lock["mine"] else f"by {lock['holder']}"
        echo(f"  locked: {lock['type']}:{lock['id']} {whose} until {lock['expires_at']}")
    if state.queued_batches:
        error = f"; last error: {state.queue_error}" if state.queue_error else ""
        echo(f"  {state.queued_batches} batch(es) queued for the remote (sent by the next push){error}")
    if state.feed_problem:
        echo(f"  problem: {state.feed_problem}")
    for entry in state.refused:
        echo(f"  refused from the remote (kept aside, not written): {entry}")
    for conflict in state.conflicts:
        echo(f"  conflict: {conflict.key} ({conflict.path}): {conflict.message}")
