"""The command line: ``agentsync`` (the console script) and ``python -m agentsync``.

The commands are registered in ``local_commands`` (this clone) and ``remote_commands`` (the
shared remote); each parses its options and calls one ``agentsync.commands`` module. Only this
package turns errors into exit codes: 0 ok, 1 error, 2 usage. A known error is one line on
stderr; an unexpected one is logged with its traceback, and the line says where the log is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from agentsync.cli import agent_commands, local_commands, remote_commands
from agentsync.cli.group import cli

__all__ = ["cli", "main"]
_REGISTERED = (local_commands, remote_commands, agent_commands)  # importing them registers their commands on ``cli``


def _log_unexpected(exc: BaseException) -> Path:
    """Log an unexpected error with its traceback in the repository's log (-C applied), else the default one."""
    import logging

    from agentsync import log

    state_dir = None
    try:
        from agentsync.config import STATE_DIR, find_root

        state_dir = find_root() / STATE_DIR
    except Exception:
        state_dir = None
    path = log.configure(state_dir)
    logging.getLogger("agentsync").error("unexpected error", exc_info=exc)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return its exit code (0 ok, 1 error, 2 usage)."""
    from agentsync import terminal

    started_in = os.getcwd()
    try:
        with terminal.escaping():  # nothing a file or the remote holds reaches the terminal raw
            return _run(argv)
    finally:
        os.chdir(started_in)  # -C moved the process; a caller in the same process (tests) stays put


def _redacted(exc: BaseException) -> str:
    """An error as shown: never a password, key or token (agentsync.secrets), whoever raised it."""
    from agentsync.secrets import redact

    return redact(str(exc))


def _run(argv: list[str] | None) -> int:
    from agentsync.errors import AgentsyncError, UsageError

    try:
        result: Any = cli.main(args=argv, prog_name="agentsync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("agentsync: aborted", err=True)
        return 1
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        exc.show()
        return 1
    except UsageError as exc:
        click.echo(f"agentsync: usage: {exc}", err=True)
        return 2
    except AgentsyncError as exc:
        click.echo(f"agentsync: error: {_redacted(exc)}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("agentsync: interrupted", err=True)
        return 130
    except Exception as exc:
        from agentsync.diskfull import from_exception

        full = from_exception(exc)  # a write that slipped past its writer's own check: one line, no log
        if full is not None:
            click.echo(f"agentsync: error: {full}", err=True)
            return 1
        path = _log_unexpected(exc)  # in the -C folder, if one was given
        click.echo(f"agentsync: unexpected error: {type(exc).__name__}: {_redacted(exc)} (details in {path})", err=True)
        return 1
    if isinstance(result, int):
        return result
    return 0
