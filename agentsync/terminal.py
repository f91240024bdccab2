"""What the CLI writes to stdout and stderr carries no control characters from files or the remote.

Titles, ids, paths, contents and error messages come from artifact files and from remote
rows anyone on the project can write. Raw, an escape sequence in one could recolour the
terminal, move the cursor over earlier lines, set the window title, or (OSC 52) write the
clipboard. ``escaping`` puts a filter in front of both streams for the whole run, so no
command can forget it: every control character but newline and tab (and the CR of a CRLF
line end) is written as a visible escape, ``\\x1b`` for the C0 ones, ``\\u009b`` for DEL,
C1 and the bidirectional overrides (Trojan Source). ``json.dumps`` never writes a raw C0
character, and ``\\uXXXX`` is JSON's own escape for the others, so a ``--json`` document
read back holds the same values. The progress bar (rich) writes its cursor movements to
the stream underneath: ``raw``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_ANSI = r"\033\[[;?0-9]*[a-zA-Z]"  # click's strip_ansi (compiled on first use): styles dropped off a terminal
_CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with its control characters written as escapes (newlines and tabs kept)."""
    return _CONTROL.sub(_visible, text)


class EscapingStream:
    """A text stream that writes ``visible(text)`` to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.raw.write(visible(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, errors, ...
        return getattr(self.raw, name)


def raw(stream: TextIO) -> TextIO:
    """The stream under the filter (for rich's progress bar, whose escapes are its own)."""
    while isinstance(stream, EscapingStream):
        stream = stream.raw
    return stream


@contextmanager
def escaping() -> Iterator[None]:
    """Filter stdout and stderr for the duration (nested uses wrap once)."""
    saved = sys.stdout, sys.stderr
    if sys.stdout is not None and not isinstance(sys.stdout, EscapingStream):
        sys.stdout = EscapingStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, EscapingStream):
        sys.stderr = EscapingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def echo(message: str = "", *, err: bool = False) -> None:
    """A line on stdout (or stderr) as ``click.echo`` writes one: with click loaded, click writes it;
    without (the CLI's quick path, ``agentsync.cli.quick``), the same steps here: ANSI styles dropped
    when the stream is no terminal, the line flushed."""
    click = sys.modules.get("click")
    if click is not None:
        click.echo(message, err=err)
        return
    stream = sys.stderr if err else sys.stdout
    if stream is not None:
        write_line(stream, message)


def write_line(stream: TextIO, message: str) -> None:
    """What ``click.echo`` does with a text line on a UTF-8 stream (tested against it)."""
    try:
        tty = stream.isatty()
    except Exception:
        tty = False
    line = f"{message}\n"
    stream.write(re.sub(_ANSI, "", line) if not tty and "\033[" in line else line)
    stream.flush()


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal as this module writes it: a wide (CJK) character two, a
    mark or a format character (a zero-width joiner, a presentation selector) none, a control
    character its visible escape."""
    if text.isascii() and text.isprintable():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.category(char) in ("Mn", "Me", "Cf") else
               2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in visible(text))  # fmt: skip


def padded(text: str, width: int) -> str:
    """``text`` and the blanks that make it ``width`` columns wide (a table's column, whatever its script)."""
    return text + " " * max(0, width - display_width(text))


def cut(text: str, width: int, mark: str = "...") -> str:
    """``text`` in at most ``width`` terminal columns (a CJK character takes two), ending in ``mark``
    where it was cut."""
    if display_width(text) <= width:
        return text
    room = width - display_width(mark)
    kept = text[:room]
    while display_width(kept) > room:
        kept = kept[:-1]
    return kept.rstrip() + mark
