"""YAML frontmatter between ``---`` lines: the artifact format agentsync writes itself.

Its edits are byte-faithful: changing one key rewrites only that key's line (its value; the key,
the spacing, a trailing comment, the quoting style and the line ending stay); a new key is
appended at the end of the frontmatter; everything else in the file is left byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

from agentsync.errors import ArtifactError, FrontmatterYAMLError
from agentsync.formats.base import MARKDOWN, FrontmatterSpan, Place, Reading, find_frontmatter, first_heading, line_of
from agentsync.yamlload import _UNUSUAL, _Fallback, _flow_sequence, _scalar, load_frontmatter


class Frontmatter:
    """YAML frontmatter; the YAML's own ways of setting a key are the git-field guard's business."""

    name = "frontmatter"
    suffixes = MARKDOWN

    def __init__(self) -> None:
        self._last: tuple[str, FrontmatterSpan | None] = ("", None)  # detect's span, for the read that follows

    def detect(self, text: str) -> bool:
        if not text.startswith(("---", "\ufeff---")):
            return False
        span = find_frontmatter(text)
        self._last = (text, span)
        return span is not None

    def read(self, path: str, text: str) -> Reading:
        last_text, span = self._last
        if last_text is not text:
            span = find_frontmatter(text)
        assert span is not None
        try:
            fields = load_frontmatter(text[span.start : span.end])
        except FrontmatterYAMLError as exc:
            raise ArtifactError(path, str(exc), line_of(text, span.start) + exc.line) from None
        title = fields.get("title")
        has_title = title is not None and title != ""
        heading = None if has_title else first_heading(text, span.body)  # looked for only when needed
        if heading is None and not has_title and isinstance(name := fields.get("name"), str) and name.strip():
            title, has_title = name, True  # no title and no heading: the name it is listed by (Cursor's plans)
        return Reading(
            fields,
            id=fields.get("id"),
            title=str(title) if has_title else None,
            status=fields.get("status"),
            heading=heading.group(1) if heading else None,
            body=span.body,
        )

    def places(self, text: str, name: str) -> list[Place]:
        return []

    def write(self, text: str, name: str, value: Any) -> str | None:
        span = find_frontmatter(text)
        return None if span is None else set_yaml_field(text, span, name, value)


FRONTMATTER = Frontmatter()

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _UNUSUAL.match(ch):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _is_plain_safe(text: str) -> bool:
    """True when ``text`` written bare reads back as the same string."""
    if not text or text != text.strip() or "\n" in text or "\t" in text:
        return False
    try:
        return _scalar(text) == text and isinstance(_scalar(text), str)
    except _Fallback:
        return False


def render_scalar(value: Any, style: str = "plain") -> str:
    """YAML text for a value; ``style`` is the quoting the old value used ('plain', '"' or "'")."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render_flow_item(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render_flow_item(str(k))}: {_render_flow_item(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if style == "'" and not _UNUSUAL.search(text) and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style == '"' or not _is_plain_safe(text):
        return _double_quoted(text)
    return text


def _render_flow_item(value: Any) -> str:
    if isinstance(value, str):
        try:
            if _flow_sequence(f"[{value}]") == [value]:
                return value
        except _Fallback:
            pass
        return _double_quoted(value)
    return render_scalar(value)


def _line_ending(text: str, at: int) -> str:
    newline = text.find("\n", at)
    return "\r\n" if newline > 0 and text[newline - 1] == "\r" else "\n"


def _value_style(value_text: str) -> tuple[str, str, str]:
    """Split a one-line value into (style, value, trailing comment with its spacing)."""
    if value_text[:1] in ('"', "'"):
        quote = value_text[0]
        index = 1
        while index < len(value_text):
            char = value_text[index]
            if quote == '"' and char == "\\":
                index += 2  # an escaped character
                continue
            if char == quote:
                if quote == "'" and value_text[index + 1 : index + 2] == "'":
                    index += 2  # '' is a quote inside single quotes
                    continue
                return quote, value_text[: index + 1], value_text[index + 1 :]
            index += 1
        return "plain", value_text, ""
    match = re.search(r"(?<![ \t])[ \t]+#", value_text)  # from a run's start: each run read once
    if match:
        return "plain", value_text[: match.start()], value_text[match.start() :]
    stripped = value_text.rstrip(" \t")
    return "plain", stripped, value_text[len(stripped) :]


def set_yaml_field(text: str, span: FrontmatterSpan, key: str, value: Any) -> str:
    """Return ``text`` with frontmatter ``key`` set to ``value``, changing nothing else."""
    yaml_text = text[span.start : span.end]
    named = re.escape(key)  # as written, or quoted ("title": Old)
    line = rf"""^(?:{named}|"{named}"|'{named}')([ \t]*:)([ \t]*)(?![ \t])([^\r\n]*)(\r?\n|\Z)"""  # blanks one way
    match = re.search(line, yaml_text, re.M)
    if match is None:
        eol = _line_ending(text, span.opening)
        insert = f"{key}: {render_scalar(value)}{eol}"
        # The closing delimiter starts a line; if the YAML lacks a final newline it is because it is empty.
        return text[: span.end] + insert + text[span.end :]
    value_start = span.start + match.start(3)
    line_end = span.start + match.end(3)
    block_end = _block_end(text, span.start + match.end(), span.end)
    style, _old, comment = _value_style(match.group(3))
    separator = match.group(2) or " "
    rendered = render_scalar(value, style)
    if block_end > span.start + match.end():
        # A block value (list or mapping on the following lines) becomes one flow line.
        eol = match.group(4)
        return text[: value_start - len(match.group(2))] + separator + rendered + comment + eol + text[block_end:]
    if not match.group(3):
        return text[: value_start - len(match.group(2))] + separator + rendered + text[line_end:]
    return text[:value_start] + rendered + comment + text[line_end:]


def remove_field(text: str, key: str) -> str:
    """Return ``text`` without frontmatter ``key`` (its line and any block value below it);
    a text without frontmatter is returned unchanged."""
    span = find_frontmatter(text)
    if span is None:
        return text
    yaml_text = text[span.start : span.end]
    match = re.search(rf"^{re.escape(key)}[ \t]*:[^\r\n]*(\r?\n|\Z)", yaml_text, re.M)
    if match is None:
        return text
    start = span.start + match.start()
    end = _block_end(text, span.start + match.end(), span.end)
    return text[:start] + text[max(end, span.start + match.end()) :]


def _block_end(text: str, pos: int, limit: int) -> int:
    """End of the indented (or ``- ``) lines that continue a key's value from ``pos``."""
    end = pos
    scan = pos
    while scan < limit:
        newline = text.find("\n", scan, limit)
        line = text[scan : newline if newline != -1 else limit]
        nxt = newline + 1 if newline != -1 else limit
        bare = line.rstrip("\r")
        if bare.strip() == "":
            scan = nxt
            continue
        if bare[0] in " \t" or bare.startswith("- ") or bare == "-":
            end = nxt
            scan = nxt
            continue
        break
    return end
