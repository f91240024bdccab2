"""What PyYAML's errors in a frontmatter mean to its author: where (line, column, the character),
how to fix it (the line as it would be quoted), and the one error read leniently: a plain value
starting with a character YAML reserves, which has no other meaning than the text written."""

from __future__ import annotations

import re
from typing import Any, NamedTuple


def marked(text: str, mark: Any, context: Any) -> tuple[int, int | None, str]:
    """(0-based line, 1-based column, where) of PyYAML's mark: the offending character and its column,
    which libyaml's messages leave out. Failing at the very end points at the unfinished value's start."""
    if mark is None:
        return 0, None, "somewhere in the frontmatter"
    end = len(text.rstrip())
    if mark.index >= end:
        if context is not None and context.index < end:
            column = context.column + 1
            return context.line, column, f"at the end; the value at column {column} is unfinished"
        return text.rstrip().count("\n"), None, "at the end of the frontmatter"
    start, row = line_of(text, mark.index)
    line, column = text.count("\n", 0, start), mark.index - start
    found = f"character {row[column]!r} at " if column < len(row.rstrip("\r")) else "end of line, "
    return line, column + 1, f"{found}column {column + 1}"


def line_of(text: str, index: int) -> tuple[int, str]:
    """(where it starts, the line) of the character at ``index``, lines as the file has them: PyYAML's
    own line numbers also break at \r, U+0085, U+2028 and U+2029."""
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return start, text[start : len(text) if end < 0 else end]


# What PyYAML says of a plain value that needs quotes: one holding ": " (`title: Fix: the parser`), or
# starting with a reserved character where it is not read as written (see RESERVED_STARTS).
_NEEDS_QUOTES = ("cannot start any token", "mapping values are not allowed")
_KEY_LINE = re.compile(r" *((?:- +)?[A-Za-z0-9_][\w.-]*): +")  # a field, at any depth, maybe a list's item
_LIST_ITEM_START = re.compile(r" *- +")
_NOT_PLAIN = "'\"[{|>&*!%@`#"  # what starts a value that is no plain scalar (quoted, flow, block, anchor, tag, ...)
_NESTED = ("- ", "? ", ": ")  # what starts an item that is a list, a key or a value of its own
_COMMENT = re.compile(r"[ \t]#")


def quoting_hint(problem: str, text: str, mark: Any) -> str:
    """How to fix a ``key: value`` line whose value YAML cannot read unquoted (at the top, or nested:
    a Cursor plan's todo ``content: Check the config: timeouts``): the line as it would be, without
    its indentation (a comment after the value kept as one). Nothing where quoting is not the fix: the
    offending character in the key or a continuation line (YAML stops at its first ``: ``, which
    is then no key's), a tab before the key."""
    if mark is None or not any(needs in problem for needs in _NEEDS_QUOTES):
        return ""
    start, row = line_of(text, mark.index)
    field = _KEY_LINE.match(row)
    value = row[field.end() :].rstrip(" \t\r") if field else ""
    if field is None or start + field.end() > mark.index or not value or value[0] in "'\"[{|> \t":
        return ""
    value, comment = _without_comment(value)
    return f"; quote the value: {field.group(1)}: '{value.replace(chr(39), chr(39) * 2)}'{comment}"


def _without_comment(value: str) -> tuple[str, str]:
    """A plain value and its comment (from the spaces or tabs before its ``#``), found without a pattern
    that could try each space of a long run."""
    found = _COMMENT.search(value)
    if found is None:
        return value, ""
    end = len(value[: found.start()].rstrip(" \t"))
    return value[:end], value[end:]


# A plain value may not start with `@` or a backquote: YAML reserves them, so such a value has no other
# meaning to read it as. Backlog.md writes `assignee: @name` and reads it as the text, and so does the
# mirror: the value is quoted and the frontmatter parsed again. Any other YAML error stands.
RESERVED_STARTS = "@`"
MAX_REPAIRS = 100  # values quoted in one frontmatter, at most
_BLOCK_VALUE_BEFORE = re.compile(r" *(?:(?:[A-Za-z0-9_][\w.-]*|'[^']*'|\"[^\"]*\"): +|- +)+")
_FLOW_ITEM_BEFORE = re.compile(r" *(?:[A-Za-z0-9_][\w.-]*: +|- +)*\[(?:[^\[\]{}#,]*,)* *")


class Repair(NamedTuple):
    """A plain value quoted so that PyYAML reads it as written: at ``at``, ``old`` characters became ``new``."""

    at: int
    old: int
    new: int


def quoted_repair_text(text: str, exc: Any) -> str | None:
    """``text`` with the plain value PyYAML cannot read quoted (``quoted_repair``); None where the error is another."""
    found = quoted_repair(text, exc)
    return None if found is None else found[0]


def quoted_repair(text: str, exc: Any) -> tuple[str, Repair] | None:
    """The plain value PyYAML failed on, quoted, where it has no other meaning: one starting with a reserved
    character (on its own line or in a one-line flow list), or a list's item holding ``: ``
    (``list_item_repair``); with where the text changed (a caller mapping positions back needs it)."""
    mark = exc.problem_mark
    if mark is not None and "mapping values are not allowed" in (exc.problem or ""):
        return list_item_repair(text, mark.index)
    if mark is None or "cannot start any token" not in (exc.problem or ""):
        return None
    index = mark.index
    if index >= len(text) or text[index] not in RESERVED_STARTS:
        return None
    start, line = line_of(text, index)
    before, rest = text[start:index], line[index - start :]
    if _BLOCK_VALUE_BEFORE.fullmatch(before):
        value = re.split(r"[ \t]#", rest, maxsplit=1)[0]
    elif _FLOW_ITEM_BEFORE.fullmatch(before):
        value = re.split(r"[,\]{}]|[ \t]#", rest, maxsplit=1)[0]
    else:
        return None
    value = value.rstrip(" \t\r")
    quoted = "'" + value.replace("'", "''") + "'"
    return text[:index] + quoted + text[index + len(value) :], Repair(index, len(value), len(quoted))


def original_index(index: int, repairs: list[Repair]) -> int | None:
    """Where ``index`` of a text repaired by ``repairs`` (in the order made) was in the text as written;
    None inside a quoted value (a position there has no counterpart)."""
    for repair in reversed(repairs):
        if index >= repair.at + repair.new:
            index -= repair.new - repair.old
        elif index > repair.at:
            return None
    return index


def list_item_repair(text: str, index: int) -> tuple[str, Repair] | None:
    """``text`` with the list item holding ``index`` quoted whole, where a ``: `` in it is what PyYAML
    cannot read (``  - Guard hover: classes with md:hover: none``): GSD's summaries list their
    decisions so, and GSD reads each item as its text; YAML has no other meaning for it. None where the
    line is no plain item of a list in a mapping (a frontmatter that is a list stays an error)."""
    start, row = line_of(text, index)
    item = _LIST_ITEM_START.match(row)
    if item is None or start + item.end() > index or text.lstrip("\ufeff \t\r\n").startswith("-"):
        return None
    value = row[item.end() :].rstrip(" \t\r")
    if not value or value[0] in _NOT_PLAIN or value[:2] in _NESTED or value in ("-", "?", ":"):
        return None
    if _continued(text, start + len(row), len(row) - len(row.lstrip(" "))):
        return None  # an item of several lines, or a mapping: not one plain line (its error stands as it is)
    value = _without_comment(value)[0]  # its comment stays one
    quoted = "'" + value.replace("'", "''") + "'"
    at = start + item.end()
    return text[:at] + quoted + text[at + len(value) :], Repair(at, len(value), len(quoted))


def _continued(text: str, line_end: int, indent: int) -> bool:
    """Whether the line after ``line_end`` (blank ones skipped) is indented past an item at ``indent``:
    the item's text goes on there, or the item is a mapping with more keys."""
    at = line_end + 1
    while at < len(text):
        end = text.find("\n", at)
        line = text[at : len(text) if end < 0 else end]
        if line.strip(" \t\r"):
            return len(line) - len(line.lstrip(" ")) > indent
        at = len(text) if end < 0 else end + 1
    return False
