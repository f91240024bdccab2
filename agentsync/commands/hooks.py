"""``agentsync hooks install | uninstall | status``."""

from __future__ import annotations

import click

from agentsync import hooks
from agentsync.config import find_root
from agentsync.gitrepo import disable_autostash, enable_autostash, hooks_folder


def run_install() -> int:
    root = find_root()
    for change in hooks.install(root):
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"{change.name}: {change.action}{detail}")
    click.echo(f"hooks folder: {hooks_folder(root)}")
    for key in enable_autostash(root):
        click.echo(f"git config {key} true (git pull keeps the files agentsync delivered, and your edits)")
    return 0


def run_uninstall() -> int:
    root = find_root()
    changes = hooks.uninstall(root)
    for key in disable_autostash(root):
        click.echo(f"git config --unset {key}")
    for change in changes:
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"{change.name}: {change.action}{detail}")
    if not changes:
        click.echo("no agentsync hooks were installed")
    return 0


def run_status() -> int:
    root = find_root()
    states = hooks.status(root)
    click.echo(f"hooks folder: {hooks_folder(root)}")
    for state in states:
        click.echo(f"  {state.name:<14} {state.describe()}")
    return 0 if all(s.current for s in states) else 1
