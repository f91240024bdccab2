"""The click application: the ``cli`` group with every command registered on it, and click's own
errors (usage, abort) as exit codes; ``agentsync.cli.guarded`` handles agentsync's."""

from __future__ import annotations

from typing import Any

import click

from agentsync.cli import agent_commands, local_commands, remote_commands
from agentsync.cli.group import cli

__all__ = ["cli", "run_click"]
_REGISTERED = (local_commands, remote_commands, agent_commands)  # importing them registers their commands on ``cli``


def run_click(argv: list[str]) -> Any:
    """The command's result (an exit code), or the code of click's error, which it has shown."""
    try:
        return cli.main(args=argv, prog_name="agentsync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("agentsync: aborted", err=True)
        return 1
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        exc.show()
        return 1
