"""The command line: ``agentsync`` (the console script) and ``python -m agentsync``.

The commands are registered in ``local_commands`` (this clone) and ``remote_commands`` (the
shared remote) on the click group of ``app``; each parses its options and calls one
``agentsync.commands`` module. A command run often enough for click's import to be a third of its
time (``status``) is parsed without click when its arguments are plain (``quick``); anything else
(help, a usage error) goes through click. Only this package turns errors into exit codes: 0 ok,
1 error, 2 usage. A known error is one line on stderr; an unexpected one is logged with its
traceback, and the line says where the log is.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, NoReturn

__all__ = ["cli", "main", "run"]


def __getattr__(name: str) -> Any:
    """``cli``, the click group, loaded when asked for (a quick command never loads click)."""
    if name == "cli":
        from agentsync.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None, *, ending: bool = False) -> int:
    """Run the CLI; return its exit code (0 ok, 1 error, 2 usage). ``ending``: the process ends next."""
    from agentsync import terminal
    from agentsync.cli.quick import parse

    args = sys.argv[1:] if argv is None else argv
    started_in = os.getcwd()
    try:
        with terminal.escaping():  # nothing a file or the remote holds reaches the terminal raw
            quick = parse(args, ending=ending)
            if quick is not None:
                return guarded(quick)
            from agentsync.cli.app import run_click

            return guarded(lambda: run_click(args))
    finally:
        os.chdir(started_in)  # -C moved the process; a caller in the same process (tests) stays put


def run() -> NoReturn:
    """The console script and ``python -m agentsync``: ``main``, then the process ends (``leave``)."""
    from agentsync.cli.leave import leave

    leave(main(ending=True))


def guarded(command: Callable[[], Any]) -> int:
    """Run ``command``; its errors as exit codes and one line each (click's own are handled inside)."""
    from agentsync.errors import AgentsyncError, UsageError
    from agentsync.terminal import echo

    try:
        result = command()
    except UsageError as exc:
        echo(f"agentsync: usage: {exc}", err=True)
        return 2
    except AgentsyncError as exc:
        echo(f"agentsync: error: {_redacted(exc)}", err=True)
        return 1
    except KeyboardInterrupt:
        echo("agentsync: interrupted", err=True)
        return 130
    except BrokenPipeError as exc:
        if not _reader_gone():  # another pipe (a git process that died): a real error
            return _unexpected(exc)
        return 1  # `agentsync ls | head`: the reader has what it wanted; nothing to say (as click's main)
    except Exception as exc:
        from agentsync.diskfull import from_exception

        full = from_exception(exc)  # a write that slipped past its writer's own check: one line, no log
        if full is not None:
            echo(f"agentsync: error: {full}", err=True)
            return 1
        return _unexpected(exc)
    return result if isinstance(result, int) else 0


def _unexpected(exc: BaseException) -> int:
    """One line for an error nobody expected; its traceback goes to the log."""
    from agentsync.terminal import echo

    path = _log_unexpected(exc)  # in the -C folder, if one was given
    echo(f"agentsync: unexpected error: {type(exc).__name__}: {_redacted(exc)} (details in {path})", err=True)
    return 1


def _reader_gone() -> bool:
    """Whether stdout is a pipe its reader has closed (``agentsync ls | head``); if so, stdout is
    pointed at the null device, so that nothing more written, nor the flush at exit, fails again."""
    import select

    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        gone = any(event & (select.POLLERR | select.POLLHUP) for _fd, event in poller.poll(0))
        if gone:
            os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        return gone
    except (AttributeError, OSError, ValueError):  # no real stream (a test's), or no poll here
        return False


def _redacted(exc: BaseException) -> str:
    """An error as shown: never a password, key or token (agentsync.secrets), whoever raised it."""
    from agentsync.secrets import redact

    return redact(str(exc))


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
