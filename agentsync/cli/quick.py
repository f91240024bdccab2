"""The commands parsed without click: importing click and the standard modules it loads (inspect,
uuid, platform, gettext…) takes about a third of a plain ``agentsync status``, the command a
prompt or an editor runs again and again. Their arguments are parsed here when they are plain
(the global ``-C DIR`` and ``--log-format FORMAT``, the command, its flags, each a word of its
own); anything else (``--help``, ``--json=x``, an unknown option, a folder that does not exist)
goes to click, which shows the help or the usage error as it does for every command.
tests/test_cli_quick.py holds this table to the click definitions, option by option.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable

LOG_FORMATS = ("text", "json")  # the group's --log-format choices
COMMANDS: dict[str, dict[str, str]] = {
    "status": {"--json": "as_json", "--remote": "ask_remote"},  # each flag: its parameter
}


def parse(argv: list[str], *, ending: bool = False) -> Callable[[], int] | None:
    """The command to run for ``argv``, or None: click parses it. ``ending``: the process ends when it
    returns (``cli.run``), so Python's cycle collector is stopped for it, as the scanner stops it for
    a scan: loading the command's modules would start it some twenty times (2–3 ms), and what little
    cyclic garbage a quick command leaves goes with the process."""
    directory = log_format = None
    at = 0
    while at < len(argv) and argv[at] in ("-C", "--log-format"):
        if at + 1 == len(argv):
            return None
        option, value = argv[at], argv[at + 1]
        if option == "-C":
            if not os.path.isdir(value):
                return None
            directory = value
        elif value in LOG_FORMATS:
            log_format = value
        else:
            return None
        at += 2
    if at == len(argv) or argv[at] not in COMMANDS or not _plain_streams():
        return None
    name, flags = argv[at], COMMANDS[argv[at]]
    if any(word not in flags for word in argv[at + 1 :]):
        return None
    chosen = {parameter: flag in argv[at + 1 :] for flag, parameter in flags.items()}

    def command() -> int:
        if directory:
            os.chdir(directory)  # as the click group does
        if log_format:
            os.environ["AGENTSYNC_LOG_FORMAT"] = log_format
        if ending:
            import gc

            gc.disable()  # see parse
        return _COMMANDS[name](**chosen)

    return command


def _status(*, as_json: bool, ask_remote: bool) -> int:
    from agentsync.commands import status

    return status.run(as_json=as_json, ask_remote=ask_remote)


_COMMANDS: dict[str, Callable[..., int]] = {"status": _status}


def _plain_streams() -> bool:
    """Both streams are UTF-8 text, which ``terminal.echo`` writes as click does (for another encoding
    click finds its own way to write, so it runs)."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or ""
        if encoding.lower().replace("-", "").replace("_", "") != "utf8":
            return False
    return True
