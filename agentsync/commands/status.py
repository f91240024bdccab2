"""``agentsync status``: where git fields stand between the work tree and HEAD, and where the clone
stands with the remote."""

from __future__ import annotations

from typing import Any

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.config import Config
from agentsync.store import Mirror

_HEADINGS = {
    "changed": "Git fields changed in the work tree, not committed:",
    "new": "Artifacts not in HEAD yet (their git fields are not committed):",
    "deleted": "Artifacts at HEAD that are gone from the work tree:",
}


def _show(value: object) -> str:
    return "(none)" if value is None else str(value)


def run(*, as_json: bool) -> int:
    from agentsync.gitfields import differences, refresh_heads
    from agentsync.gitmirror import full_scan
    from agentsync.gitrepo import GitRepo

    config = load_config()
    repo = GitRepo(config.root)
    with Mirror.open(config) as mirror:
        full_scan(mirror)  # stat first: only edited files are read
        refresh_heads(mirror, repo)
        found = differences(mirror)
        total = mirror.count()
        problems = mirror.problems()
        remote_state = _remote_state(config, mirror)
    from agentsync.watcher import watcher_state

    watcher = _redacted_watcher(watcher_state(config))
    head = repo.head_commit()
    branch = None if repo.repo.head_is_unborn or repo.repo.head_is_detached else repo.repo.head.shorthand
    if as_json:
        echo_json(
            {
                "head": head,
                "branch": branch,
                "artifacts": total,
                "git_fields": list(config.git_fields),
                "differences": [d.to_json() for d in found],
                "problems": [{"path": p, "line": line, "message": m} for p, line, m in problems],
                "remote": remote_state,
                "watcher": watcher,
            }
        )
        return 0
    where = f"branch {branch}" if branch else "detached HEAD"
    click.echo(f"On {where}" + (f" at {head[:10]}" if head else " (no commits yet)") + f"; {total} artifacts")
    for state, heading in _HEADINGS.items():
        rows = [d for d in found if d.state == state]
        if not rows:
            continue
        click.echo(heading)
        for d in rows:
            if state == "changed":
                values = f"{d.field}: {_show(d.head)} (HEAD) -> {_show(d.work_tree)} (work tree)"
            elif state == "new":
                values = f"{d.field}: {_show(d.work_tree)}"
            else:
                values = f"{d.field}: {_show(d.head)} (HEAD)"
            click.echo(f"  {d.id:<14} {values}   {d.path}")
    if not found:
        click.echo(f"git fields ({', '.join(config.git_fields) or 'none'}): the work tree matches HEAD")
    if problems:
        click.echo(f"{len(problems)} file(s) could not be mirrored; `agentsync mirror` lists them")
    _show_remote(remote_state)
    _show_watcher(watcher)
    return 0


def _show_watcher(state: dict[str, Any] | None) -> None:
    """Whether `agentsync watch` runs here, its last sync, lag and errors."""
    if state is None:
        click.echo("watcher: not running (`agentsync watch --detach` starts one)")
        return
    if not state["running"]:
        how = "was killed" if state["state"] == "died" else "stopped"
        click.echo(f"watcher: not running ({how}; last seen {state.get('updated_at')})")
        return
    push = "auto-push on" if state.get("push") else "auto-push off"
    live = "notifications" if state.get("notifications") else f"head checked every {state.get('poll_interval'):g} s"
    click.echo(f"watcher: running (pid {state['pid']} since {state.get('started_at')}; {push}; {live})")
    last = state.get("last_sync")
    if last:
        click.echo(f"  last sync {last['at']}: {last['summary']}")
    if state.get("lag"):
        click.echo(f"  lag: {state['lag']} change(s) not pulled yet")
    if state.get("state") == "backoff" and state.get("last_error"):
        click.echo(f"  remote unreachable, retrying: {state['last_error']['message']}")
    elif state.get("errors") and state.get("last_error"):
        error = state["last_error"]
        click.echo(f"  {state['errors']} error(s); last at {error['at']}: {error['message']}")


def _redacted_watcher(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The watcher's record without credentials (one written by an older agentsync may hold some)."""
    from agentsync.secrets import redact

    if state is None:
        return None
    state = dict(state)
    for key in ("remote", "last_error", "last_sync"):
        value = state.get(key)
        if isinstance(value, str):
            state[key] = redact(value)
        elif isinstance(value, dict):
            state[key] = {k: redact(v) if isinstance(v, str) else v for k, v in value.items()}
    return state


def _remote_state(config: Config, mirror: Mirror) -> dict[str, Any] | None:
    """Where this clone stands with the remote, artifact by artifact: ahead (edited here), behind
    (changed there, fetched), diverged (both), conflicts, locks held by others; and the queue,
    the cursor, the remote's head and the lag."""
    from agentsync.errors import RemoteError
    from agentsync.gitrepo import user_identity
    from agentsync.remotes import looking, remote_target
    from agentsync.secrets import redact
    from agentsync.sync import CURSOR_KEY, FETCHED_NOT_APPLIED, pending_changes, quarantined

    target = remote_target(config)
    if target is None:
        return None
    db = mirror.connection
    edited = {p.id for p in pending_changes(mirror)}
    changed_there = {row[0] for row in db.execute(f"SELECT r.id {FETCHED_NOT_APPLIED}")}
    queued = db.execute("SELECT count(*), max(attempts), max(last_error) FROM outbox").fetchone()
    state: dict[str, Any] = {
        "name": target.name,
        "url": target.shown,
        "project": config.project_name,
        "ahead": sorted(edited - changed_there),
        "behind": sorted(changed_there - edited),
        "diverged": sorted(edited & changed_there),
        "to_push": sorted(edited),
        "queued_batches": queued[0],
        "queue_attempts": queued[1] or 0,
        "queue_error": queued[2] and redact(queued[2]),
        "conflicts": [{"id": i, "path": p, "kind": k, "message": redact(m)}
                      for i, p, k, m in db.execute("SELECT id, path, kind, message FROM conflicts ORDER BY id")],
        "locks": [],
        "cursor": int(mirror.get_meta(CURSOR_KEY) or 0),
        "head": None,
        "lag": None,
        "refused": [{**entry._asdict(), "shown": str(entry)} for entry in quarantined(mirror)],
        "feed_problem": None,
        "error": None,
    }  # fmt: skip
    try:
        with looking(config) as remote:
            state["head"] = remote.head()
            state["lag"] = max(state["head"] - state["cursor"], 0)
            if state["head"] < state["cursor"]:
                state["feed_problem"] = (
                    f"the remote's head {state['head']} is below this clone's cursor {state['cursor']}: it was "
                    "restored or replaced; `agentsync remote reset` starts over with it (local edits stay in the files)"
                )
            me = user_identity(config.root)
            state["locks"] = [{**lock, "mine": lock.get("holder") == me} for lock in remote.locks()]
    except RemoteError as exc:
        state["error"] = redact(str(exc))
    return state


def _show_remote(state: dict[str, Any] | None) -> None:
    if state is None:
        click.echo("remote: none configured")
        return
    head = state["head"]
    lag = f", {state['lag']} change(s) to fetch" if state["lag"] else ""
    reach = f"unreachable ({state['error']})" if state["error"] else f"head {head}"
    where = state["url"] if state["name"] in (None, state["url"]) else f"{state['name']} ({state['url']})"
    click.echo(f"remote: {where} project {state['project']}: {reach}; cursor {state['cursor']}{lag}")

    def listed(ids: list[str]) -> str:
        return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")

    for key, what in (
        ("ahead", "edited here, to push"),
        ("behind", "changed on the remote, to pull"),
        ("diverged", "changed on both sides, to pull and merge"),
    ):
        if state[key]:
            click.echo(f"  {key}: {len(state[key])} artifact(s) {what}: {listed(state[key])}")
    for lock in state["locks"]:
        whose = "by you" if lock["mine"] else f"by {lock['holder']}"
        click.echo(f"  locked: {lock['id']} {whose} until {lock['expires_at']}")
    if state["queued_batches"]:
        error = f"; last error: {state['queue_error']}" if state["queue_error"] else ""
        click.echo(f"  {state['queued_batches']} batch(es) queued for the remote (sent by the next push){error}")
    if state["feed_problem"]:
        click.echo(f"  problem: {state['feed_problem']}")
    for entry in state["refused"]:
        click.echo(f"  refused from the remote (kept aside, not written): {entry['shown']}")
    for conflict in state["conflicts"]:
        click.echo(f"  conflict: {conflict['id']} ({conflict['path']}): {conflict['message']}")
