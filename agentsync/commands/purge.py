"""``agentsync purge --author EMAIL``: erase one person's data from the project on the remote."""

from __future__ import annotations

from typing import Any

import click

from agentsync.commands._common import echo_json

_LINES = [
    ("history_contents_removed", "version(s) in the history: content removed, author replaced"),
    ("current_versions_kept", "current version(s) of artifacts: content kept (the artifact remains), author replaced"),
    ("artifacts_reattributed", "artifact(s) whose current author is replaced"),
    ("locks_released", "lock(s) released"),
    ("lock_events_anonymised", "lock event(s): name replaced"),
    ("memberships_anonymised", "membership(s): email removed"),
]


def run(author: str, *, dry_run: bool, yes: bool, as_json: bool) -> int:
    """Show what a purge does (a dry run on the remote), then, if confirmed, do it."""
    from agentsync.commands.sync import remote_for
    from agentsync.errors import AgentsyncError

    with remote_for() as (_config, remote):
        preview = remote.purge(author, True)
        if dry_run or not any(preview[key] for key, _ in _LINES):
            _show(preview, as_json)
            return 0
        if not yes:
            _show(preview, False)
            if not click.confirm(f"erase {author}'s data as above? This cannot be undone", default=False):
                raise AgentsyncError("purge not done (nothing changed)")
        done = remote.purge(author, False)
    _show(done, as_json)
    return 0


def _show(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(report)
        return
    verb = "would be" if report["dry_run"] else "done"
    click.echo(
        f"purge of {report['author']} in project {report['project']} ({'dry run' if report['dry_run'] else 'done'}):"
    )
    for key, what in _LINES:
        click.echo(f"  {report[key]:>6} {what}")
    if report.get("replaced_by"):
        click.echo(f"  the author is now {report['replaced_by']} everywhere it remains")
    elif not any(report[key] for key, _ in _LINES):
        click.echo(f"  nothing {verb}: {report['author']} has no data in this project")
