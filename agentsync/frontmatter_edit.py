"""Byte-faithful frontmatter edits.

Changing one key rewrites only that key's line (its value; the key, the spacing, a
trailing comment, the quoting style and the line ending stay); a new key is appended
at the end of the frontmatter. Everything else in the file is left byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

from agentsync.artifact import _AGENT_HEADING, _HEADING, _STATE_SECTION, _STATUS_LINE, BOM, find_frontmatter
from agentsync.yamlload import _UNUSUAL, _Fallback, _flow_sequence, _scalar

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
    match = re.search(r"[ \t]+#", value_text)
    if match:
        return "plain", value_text[: match.start()], value_text[match.start() :]
    stripped = value_text.rstrip(" \t")
    return "plain", stripped, value_text[len(stripped) :]


def set_field(text: str, key: str, value: Any) -> str:
    """Return ``text`` with frontmatter ``key`` set to ``value``, changing nothing else."""
    span = find_frontmatter(text)
    if span is None:
        return _set_without_frontmatter(text, key, value)
    yaml_text = text[span.start : span.end]
    match = re.search(rf"^{re.escape(key)}([ \t]*:)([ \t]*)([^\r\n]*)(\r?\n|\Z)", yaml_text, re.M)
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
    """Return ``text`` without frontmatter ``key`` (its line and any block value below it).

    Files without frontmatter (the ``.agent/cache`` layout) are returned unchanged.
    """
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


def _set_without_frontmatter(text: str, key: str, value: Any) -> str:
    if key == "status" and is_agent_layout(text):  # elsewhere a Status: line is body text the mirror never reads
        for pattern in (_STATUS_LINE, _STATE_SECTION):
            match = pattern.search(text)
            if match:
                return text[: match.start(1)] + str(value) + text[match.end(1) :]
    eol = _line_ending(text, 0) if "\n" in text else "\n"
    start = 1 if text.startswith(BOM) else 0
    block = f"---{eol}{key}: {render_scalar(value)}{eol}---{eol}"
    return text[:start] + block + text[start:]


def is_agent_layout(text: str) -> bool:
    """True for a text without frontmatter that the mirror reads as the agent layout (``# ID: Title``)."""
    heading = _HEADING.search(text[1:] if text.startswith(BOM) else text)
    return heading is not None and _AGENT_HEADING.match(heading.group(0)) is not None


def set_fields(text: str, updates: dict[str, Any]) -> str:
    """Apply several key updates in order (see ``set_field``)."""
    for key, value in updates.items():
        text = set_field(text, key, value)
    return text
