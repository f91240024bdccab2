"""``agentsync audit``: who changed what and when, from the remote's append-only history."""

from __future__ import annotations

import datetime
import re

import click

from agentsync.commands._common import echo_json
from agentsync.errors import UsageError


def since_timestamp(text: str, now: datetime.datetime | None = None) -> str:
    """``--since``: an ISO date or time (``2026-11-01``, ``2026-11-01T09:00``), or an age (``90m``,
    ``12h``, ``7d``, ``2w``), as an ISO timestamp."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    age = re.fullmatch(r"(\d+)\s*([mhdw])", text.strip())
    if age:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[age.group(2)]
        return (now - datetime.timedelta(**{unit: int(age.group(1))})).isoformat(timespec="seconds")
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since {text!r}: use a date or time (2026-11-01, 2026-11-01T09:00) or an age "
                         "(90m, 12h, 7d, 2w)") from None  # fmt: skip
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a time without a zone is local time
    return moment.isoformat(timespec="seconds")


def run(*, author: str | None, since: str | None, limit: int, as_json: bool) -> int:
    from agentsync.commands.sync import remote_for

    after = since_timestamp(since) if since else None
    with remote_for() as (_config, remote):
        entries = remote.audit(author, after, limit)
    if as_json:
        echo_json(entries)
        return 0
    if not entries:
        click.echo("no changes" + (f" by {author}" if author else "") + (f" since {after}" if after else ""))
        return 0
    for entry in entries:
        what = "deleted" if entry["deleted"] else entry["path"]
        summary = f"  {entry['summary']}" if entry.get("summary") else ""
        click.echo(f"{entry['created_at']}  #{entry['seq']:<6} {entry['artifact_id']} v{entry['version']:<4} "
                   f"{entry['author']}  {what}{summary}")  # fmt: skip
    return 0
