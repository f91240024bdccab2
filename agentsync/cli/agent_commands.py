"""The commands for extending agentsync and for AI coding agents: ``plugins``, ``mcp``, ``board``.

Each one parses its options and calls one ``agentsync.commands`` module, imported when it runs
(``mcp`` alone imports the MCP SDK).
"""

from __future__ import annotations

import click

from agentsync.cli.group import cli


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array: name, source, where, hooks.")
def plugins(as_json: bool) -> int:
    """List the loaded plugins: where each came from and which hooks it implements."""
    from agentsync.commands import plugins as command

    return command.run(as_json=as_json)


@cli.command()
def mcp() -> int:
    """Serve this repository's artifacts to AI coding agents: an MCP server over stdio (needs agentsync[mcp])."""
    from agentsync.commands import mcp as command

    return command.run()


@cli.command()
@click.option("-t", "--type", "type_name", help="Only artifacts of this type (plan, story, …).")
@click.option("--json", "as_json", is_flag=True, help="Print the columns and their cards as JSON.")
def board(type_name: str | None, as_json: bool) -> int:
    """The team's state at a glance: a column per status, each card with its lock holder and sync state."""
    from agentsync.commands import board as command

    return command.run(type_name=type_name, as_json=as_json)
