"""``agentsync deinit``: back to plain Markdown. Hooks and mirror go; the Markdown files stay as they are."""

from __future__ import annotations

import shutil

import click

from agentsync.commands._common import find_repository_root


def run(*, remove_config: bool) -> int:
    from agentsync import hooks
    from agentsync.config import CONFIG_NAME, STATE_DIR
    from agentsync.errors import AgentsyncError

    root = find_repository_root()
    try:
        changes = hooks.uninstall(root)
    except AgentsyncError as exc:  # not a git repository: there are no hooks to remove
        changes = []
        click.echo(f"hooks: skipped ({exc})")
    for change in changes:
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"hook {change.name}: {change.action}{detail}")
    state = root / STATE_DIR
    if state.is_dir():
        shutil.rmtree(state)
        click.echo(f"removed {STATE_DIR}/ (the mirror and its log)")
    config = root / CONFIG_NAME
    if remove_config and config.is_file():
        config.unlink()
        click.echo(f"removed {CONFIG_NAME}")
    elif config.is_file():
        click.echo(f"kept {CONFIG_NAME} (remove it too with --config)")
    click.echo("your Markdown files are unchanged")
    return 0
