"""``agentsync deinit``: back to plain Markdown. Hooks and mirror go; the Markdown files stay as they are."""

from __future__ import annotations

import click


def run(*, remove_config: bool) -> int:
    from agentsync.config import CONFIG_NAME, STATE_DIR
    from agentsync.deinit import deinit

    done = deinit(remove_config=remove_config)
    if done.hooks_skipped is not None:
        click.echo(f"hooks: skipped ({done.hooks_skipped})")
    for change in done.hooks:
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"hook {change.name}: {change.action}{detail}")
    if done.removed_state:
        click.echo(f"removed {STATE_DIR}/ (the mirror and its log)")
    if done.config == "removed":
        click.echo(f"removed {CONFIG_NAME}")
    elif done.config == "kept":
        click.echo(f"kept {CONFIG_NAME} (remove it too with --config)")
    click.echo("your Markdown files are unchanged")
    return 0
