"""``agentsync push`` and ``agentsync pull``: share artifact edits through the remote."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from agentsync.commands._common import ProgressBar, echo_json, load_config, want_progress, warn
from agentsync.store import Mirror

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.errors import PushNotRecorded
    from agentsync.remotes.base import Remote
    from agentsync.sync import PullReport, PushReport


def run_push(*, restored: bool = False) -> int:
    """Push; changes the remote has moved past are merged at once (as `pull` would) and the clean
    merges pushed again, so one command settles what it can and names what it cannot."""
    from agentsync.errors import PushNotRecorded
    from agentsync.gitrepo import user_identity
    from agentsync.sync import push_merging

    try:
        with _opened() as (config, remote, mirror):
            report, merge = push_merging(mirror, remote, user_identity(config.root), restored=restored)
    except PushNotRecorded as exc:  # the push succeeded: exit 0, and say why this clone lags
        return _not_recorded(exc)
    return _report_push(report, merge)


def run_pull() -> int:
    from agentsync.sync import pull

    bar = ProgressBar("pulling", enabled=want_progress(), threshold=2000)
    try:
        with _opened() as (_config, remote, mirror):
            report = pull(mirror, remote, bar)
    finally:
        bar.close()
    _report_pull(report, summary=True)
    return 0 if report.ok else 1


def run_sync() -> int:
    """Pull, then push (one library call), and say what each did."""
    from agentsync.errors import PushNotRecorded
    from agentsync.gitrepo import user_identity
    from agentsync.sync import pull_then_push

    bar = ProgressBar("pulling", enabled=want_progress(), threshold=2000)
    try:
        with _opened() as (config, remote, mirror):
            done = pull_then_push(mirror, remote, user_identity(config.root), bar)
    except PushNotRecorded as exc:
        return _not_recorded(exc)
    finally:
        bar.close()
    _report_pull(done.pulled, summary=True)
    pushed = _report_push(done.pushed, done.merge)
    return max(0 if done.pulled.ok else 1, pushed)


def _not_recorded(exc: PushNotRecorded) -> int:
    warn(f"warning: {exc}")
    click.echo(f"pushed {exc.applied} artifact(s); recording them here waits for the next push")
    return 0


def _report_push(report: PushReport, merge: PullReport | None) -> int:
    from agentsync.sync.reports import push_lines, push_summary

    for line in push_lines(report):
        warn(line.text)
    if merge is not None:
        _report_pull(merge, summary=False)
    click.echo(push_summary(report, merge))
    return 0 if report.ok and (merge is None or merge.ok) else 1


def _report_pull(report: PullReport, *, summary: bool) -> None:
    """A pull's lines (agentsync.sync.reports' wording) on stderr, its summary on stdout."""
    from agentsync.sync.reports import pull_lines, pull_summary

    for line in pull_lines(report):
        warn(line.text)
    if summary:
        click.echo(pull_summary(report))


@contextmanager
def _opened() -> Iterator[tuple[Config, Remote, Mirror]]:
    """The config, its remote and the mirror, with the log file set up: a pull logs the edits that
    beat a deletion and the strategies' choices (agentsync.sync.incoming)."""
    from agentsync import log

    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        log.configure(config.state_dir)
        yield config, remote, mirror


@contextmanager
def remote_for() -> Iterator[tuple[Config, Remote]]:
    """The repository's config and its remote, closed afterwards."""
    from agentsync.remotes import opened

    config = load_config()
    with opened(config) as remote:
        yield config, remote


def run_fetch() -> int:
    from agentsync.sync import cursor, fetch

    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        count = fetch(mirror, remote)
        now_at = cursor(mirror)
    click.echo(f"fetched {count} change(s); cursor {now_at}")
    return 0


def parse_ttl(text: str) -> int:
    import re

    from agentsync.errors import UsageError

    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"--ttl {text!r}: use a duration like 90s, 30m, 2h or 1d")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def run_lock(artifact_id: str, ttl: str) -> int:
    from agentsync.gitrepo import user_identity
    from agentsync.sync.leases import lock_artifact

    seconds = parse_ttl(ttl)
    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        artifact_id, result = lock_artifact(mirror, remote, artifact_id, user_identity(config.root), seconds)
    if result.result == "locked":
        click.echo(f"locked {artifact_id} until {result.expires_at}")
        return 0
    warn(f"{artifact_id} is locked by {result.holder} until {result.expires_at}")
    return 1


def run_unlock(artifact_id: str, force: bool) -> int:
    from agentsync.gitrepo import user_identity
    from agentsync.sync.leases import locked_key

    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        artifact_id = locked_key(mirror, remote, artifact_id)
        result = remote.unlock(artifact_id, user_identity(config.root), force)
    if result.result == "unlocked":
        click.echo(
            f"unlocked {artifact_id}" + (f" (forced; {result.holder}'s lock, recorded)" if result.forced else "")
        )
        return 0
    if result.result == "not_locked":
        click.echo(f"{artifact_id} was not locked")
        return 0
    warn(f"{artifact_id} is locked by {result.holder} until {result.expires_at}; --force breaks the lock (recorded)")
    return 1


def run_locks(*, as_json: bool) -> int:
    with remote_for() as (_config, remote):
        locks = remote.locks()
    if as_json:
        echo_json(locks)
    elif not locks:
        click.echo("no locks")
    for lock in [] if as_json else locks:
        click.echo(f"{lock['type'] + ':' + lock['id']:<14} {lock['holder']}  until {lock['expires_at']}")
    return 0


def run_log(artifact_id: str, limit: int, *, as_json: bool) -> int:
    from agentsync.errors import NotFoundError
    from agentsync.sync.leases import artifact_key

    with remote_for() as (config, remote), Mirror.open(config) as mirror:
        artifact_id = artifact_key(mirror, remote, artifact_id)
        entries = remote.history(artifact_id, limit)
    if not entries:
        raise NotFoundError(f"the remote has no history for {artifact_id}")
    if as_json:
        echo_json([{k: v for k, v in e.items() if k != "content"} for e in entries])
        return 0
    for entry in entries:
        what = "deleted" if entry["deleted"] else entry["path"]
        summary = f"  {entry['summary']}" if entry.get("summary") else ""
        click.echo(f"v{entry['version']:<4} {entry['created_at']}  {entry['author']}  {what}{summary}")
    return 0


def run_diff(key: str, *, as_json: bool = False) -> int:
    """An artifact with a recorded conflict: base, local and remote side by side. Otherwise the
    work-tree file against the remote's current version (after a fetch). Exit 1 if they differ."""
    import shutil

    from agentsync.diffing import ConflictSides, compare, side_by_side, unified_lines

    found = compare(load_config(), key)
    if isinstance(found, ConflictSides):
        if as_json:
            echo_json(found.to_json())
        else:
            for line in side_by_side(found, shutil.get_terminal_size((120, 24)).columns):
                click.echo(line)
        return 1
    if as_json:
        echo_json(found.to_json())
        return 0 if found.same else 1
    lines = unified_lines(found)
    if not lines:
        click.echo(f"{found.id}: the work tree matches the remote's v{found.remote_version}")
        return 0
    click.echo("".join(lines), nl=not lines[-1].endswith("\n"))
    return 1
