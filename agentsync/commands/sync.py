"""``agentsync push`` and ``agentsync pull``: share artifact edits through the remote."""

from __future__ import annotations

from pathlib import Path

import click

from agentsync.commands._common import load_config, warn
from agentsync.mirror import Mirror


def run_push(directory: Path | None) -> int:
    from agentsync.gitrepo import user_identity
    from agentsync.remotes import open_remote
    from agentsync.sync import push

    config = load_config(directory)
    remote = open_remote(config)
    try:
        with Mirror.open(config) as mirror:
            report = push(mirror, remote, user_identity(config.root))
    finally:
        remote.close()
    for answer in report.conflicts:
        who = f" by {answer.remote.author}" if answer.remote else ""
        version = f"v{answer.remote.version}" if answer.remote else "a newer version"
        warn(f"conflict: {answer.id} changed on the remote ({version}{who}); pull, merge, then push")
    for answer in report.locked:
        warn(f"locked: {answer.id} is locked by {answer.holder} until {answer.expires_at}; not pushed")
    resent = f" ({report.resent} queued batch resent)" if report.resent else ""
    click.echo(f"pushed {len(report.applied)} artifact(s){resent}" if report.applied or resent else "nothing to push")
    return 0 if report.ok else 1


def run_pull(directory: Path | None) -> int:
    from agentsync.remotes import open_remote
    from agentsync.sync import pull

    config = load_config(directory)
    remote = open_remote(config)
    try:
        with Mirror.open(config) as mirror:
            report = pull(mirror, remote)
    finally:
        remote.close()
    for override in report.overrides:
        warn(f"kept Git's value: {override}")
    for artifact_id, message in report.conflicts:
        warn(f"conflict: {artifact_id}: {message}")
    for problem in report.problems:
        warn(f"error: {problem}")
    click.echo(
        f"pulled {report.fetched} change(s): {len(report.written)} written, {len(report.deleted)} deleted, "
        f"{len(report.conflicts)} conflict(s)"
    )
    return 0 if report.ok else 1
