"""The agent CLI's Markdown (``.agent/cache``, ``.agent/adrs``): no frontmatter; the id in the first
heading (``# INFRA-004: Title``, also ``# STORY-ID: INFRA-138: Title``); the status in a
``## State``/``## Status`` section (the value on the next non-blank line) or a ``Status: ACCEPTED``
line. The first of these in the file is the status; the guard keeps every one on Git's value.
Spec Kit's specs (``specs/001-x/spec.md``) read the same way: a heading, bold-labelled lines, then
``**Status**: Draft``; and Agent OS's, whose metadata is a quote above the first section
(``> Spec: Maildir support``, ``> Created: 2025-07-29``, ``> Status: Planning``): its ``Spec:`` is the
title (the heading is the same in every spec: ``# Spec Requirements Document``)."""

from __future__ import annotations

import functools
import re
from typing import Any

from agentsync.formats.base import (
    BOM,
    MARKDOWN,
    Place,
    Reading,
    emphasised,
    fenced_blocks,
    first_heading,
    line_ending,
    one_line,
    past_eol,
    places_of,
    replaced,
    sets_outside_fences,
)

ID = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+"
# "# INFRA-004: Title", "# STORY-ID: INFRA-138: Title", "# STORY-ID: INFRA-011 Title" (after a label of
# letters, the id may stand without its colon)
_PATTERNS: dict[str, tuple[str, int]] = {  # compiled at the first use (most processes read none): pattern(NAME)
    "heading_id": (
        rf"#[ \t]+(?:({ID})[ \t]*:|[A-Z]+(?:-[A-Z]+)*[ \t]*:[ \t]*({ID})(?:[ \t]*:|[ \t]))"
        r"[ \t]*(?![ \t])([^\r\n]*?[^ \t\r\n#])[ \t]*(?:#+[ \t]*)?\r?\Z",
        0,
    ),
    # The first heading, then a Status: line after blank ones and bold-labelled ones: the agent CLI's
    # runbooks and stories, and Spec Kit's specs (`**Feature Branch**: ...`, `**Created**: ...`, `**Status**: Draft`)
    # (or a "## Status: done" heading, as some BMAD stories have it); above the heading, blank lines and
    # one-line HTML comments (`<!-- markdownlint-disable -->`)
    "top_status": (
        r"\A\ufeff?(?:[ \t]*(?:<!--(?:(?!-->)[^\r\n])*-->[ \t]*)*\r?\n)*#[ \t][^\r\n]*\r?\n"
        r"(?:(?:[ \t]*|\*\*[^*\r\n]+\*\*[^\r\n]*)\r?\n)*"
        r"(?:##[ \t]+)?\**Status\**[ \t]*:",
        re.I,
    ),
    # (each part matches its own characters only, so a long run of spaces cannot be split many ways; the
    # value starts and ends with a character other than a space or tab, any length, any other whitespace kept)
    "status_line": (
        r"^\**Status\**[ \t]*:[ \t]*(?:\*+[ \t]*)?([^ \t\r\n*](?:[^\r\n*]*[^ \t\r\n*])?)[ \t*]*\r?$",
        re.M | re.I,
    ),
    # BMAD's "## Status: done" heading, right under the first heading only (one further down is body text)
    "status_heading": (
        r"\A\ufeff?(?:[ \t]*\r?\n)*#[ \t][^\r\n]*\r?\n(?:(?:[ \t]*|\*\*[^*\r\n]+\*\*[^\r\n]*)\r?\n)*"
        r"##[ \t]+\**Status\**[ \t]*:[ \t]*(?:\*+[ \t]*)?([^ \t\r\n*#](?:[^\r\n*]*[^ \t\r\n*#])?)[ \t*]*"
        r"(?:[ \t]#+[ \t]*)?(?=\r?\n|\Z)",  # its closing hashes are no part of the value
        re.I,
    ),
    # Agent OS's metadata quote above the first section: two or more "> Key: value" lines
    # ("> Spec: Maildir support", "> Created: 2025-07-29", "> Status: Planning"), and one of its lines
    "metadata_quote": (r"^(?:>[ \t]*\**[A-Za-z][A-Za-z -]{0,30}\**[ \t]*:[^\r\n]*(?:\r?\n|\Z)){2,}", re.M),
    "quote_field": (
        r"^>[ \t]*\**(Status|Spec)\**[ \t]*:[ \t]*(?:\*+[ \t]*)?([^ \t\r\n*](?:[^\r\n*]*[^ \t\r\n*])?)[ \t*]*\r?$",
        re.M | re.I,
    ),
    # a Status: line with no value yet (a template's "Status:" or "**Status:**"): the first is filled in rather
    # than a second line written; group 1 is empty, where the value goes
    "empty_status_line": (r"^\**Status\**[ \t]*:(?:[ \t]*\*+)?()[ \t]*\r?$", re.M | re.I),
    "first_section": (r"^##[ \t]", re.M),
    "state_section": (
        r"^##[ \t]+State[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*([^ \t\r\n#](?:[^\r\n]*[^ \t\r\n])?)[ \t]*\r?$",
        re.M,
    ),
    "status_section": (
        r"^##[ \t]+(?:State|Status)[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*([^ \t\r\n#](?:[^\r\n]*[^ \t\r\n])?)[ \t]*\r?$",
        re.M | re.I,
    ),
}


@functools.cache
def pattern(name: str) -> re.Pattern[str]:
    """One of this format's patterns, compiled once (``heading_id``, ``top_status``, ``status_line``,
    ``state_section``, ``status_section``)."""
    source, flags = _PATTERNS[name]
    return re.compile(source, flags)


def heading_id(text: str, start: int = 0) -> re.Match[str] | None:
    """The first heading, when it names an id the agent CLI's way (the id: group 1 or 2; the title: 3)."""
    heading = first_heading(text, start)
    return pattern("heading_id").match(heading.group(0)) if heading else None


def status_places(text: str, sections: re.Pattern[str] | None = None) -> list[Place]:
    """The ``Status:`` lines and status sections, in order; a section whose value is a ``Status:``
    line is that line."""
    lines = places_of(pattern("status_line"), text, "a Status: line")
    lines += places_of(pattern("status_heading"), text, "a ## Status: heading")
    found = [p for p in places_of(sections or pattern("status_section"), text, "a ## State or ## Status section")
             if not any(p.start <= line.start < p.end for line in lines)]  # fmt: skip
    return sorted(lines + emphasised(found), key=lambda p: p.start)


def write_status(text: str, places: list[Place], value: Any) -> str | None:
    """Every status place set to ``value``; with none, the first empty ``Status:`` line filled in, else a
    ``Status:`` line after the first heading."""
    rendered = str(value)
    if not one_line(rendered):
        return None
    if places:
        for place in sorted(places, key=lambda p: p.start, reverse=True):
            text = replaced(text, place, rendered)
        return text
    empty = places_of(pattern("empty_status_line"), text, "an empty Status: line")
    if empty:
        at, line_end = empty[0].start, empty[0].line_end
        return text[:at] + " " + rendered + text[at:line_end].lstrip(" \t") + text[line_end:]
    heading = first_heading(text)
    if heading is None:
        return None
    eol = line_ending(text)
    at = past_eol(text, heading.end())
    return text[:at] + f"{eol}Status: {rendered}{eol}" + text[at:]


QUOTE_WITHIN = 4096  # characters from the top: where a metadata quote sits (a long text is not searched whole)


def quote_field(text: str, name: str) -> re.Match[str] | None:
    """The ``> Status:`` or ``> Spec:`` line (``name``; the value: group 2) of Agent OS's metadata
    quote: a run of two or more ``> Key: value`` lines above the first ``## `` section, outside
    fenced code. None where the text has no such quote (one quoted line is no metadata)."""
    if ">" not in text[:QUOTE_WITHIN]:
        return None  # most texts: no quote to look for
    section = pattern("first_section").search(text, 0, QUOTE_WITHIN)
    end = section.start() if section else min(len(text), QUOTE_WITHIN)
    quote = pattern("metadata_quote").search(text, 0, end)
    if quote is None:
        return None
    head = text[:end]
    if ("```" in head or "~~~" in head) and any(start <= quote.start() < stop for start, stop in fenced_blocks(head)):
        return None  # an example of one, shown in a fence
    for found in pattern("quote_field").finditer(text, quote.start(), quote.end()):
        if found.group(1).lower() == name:
            return found
    return None


def _status_places(text: str) -> list[Place]:
    """``status_places``, and the status line of Agent OS's metadata quote."""
    places = status_places(text)
    quoted = quote_field(text, "status")
    if quoted is None:
        return places
    line = Place(quoted.group(2), quoted.start(2), quoted.end(2), quoted.start(), past_eol(text, quoted.end()),
                 "a > Status: line")  # fmt: skip
    return sorted([*places, line], key=lambda p: p.start)


def _title(text: str, heading: re.Match[str] | None) -> str | None:
    """The ``> Spec:`` line of Agent OS's metadata quote, else the first heading."""
    spec = quote_field(text, "spec")
    return spec.group(2) if spec else heading.group(1) if heading else None


class Agent:
    name = "agent"
    suffixes = MARKDOWN

    def detect(self, text: str) -> bool:
        # A Status: line further down does not make a file this format: there it is body text.
        if heading_id(text) is not None:
            return True
        if sets_outside_fences(pattern("state_section"), text, "State") or pattern("top_status").match(text):
            return True
        return quote_field(text, "status") is not None

    def read(self, path: str, text: str) -> Reading:
        start = 1 if text.startswith(BOM) else 0
        heading = first_heading(text, start)
        named = pattern("heading_id").match(heading.group(0)) if heading else None
        fields: dict[str, Any] = {}
        named_id = (named.group(1) or named.group(2)) if named else None
        if named:
            fields = {"id": named_id, "title": named.group(3)}
        places = _status_places(text)
        if places:
            fields["status"] = places[0].value
        return Reading(
            fields,
            {"status": places[0]} if places else {},
            id=named_id,
            title=named.group(3) if named else _title(text, heading),
            status=places[0].value if places else None,
            heading=heading.group(1) if heading else None,
            body=start,
        )

    def places(self, text: str, name: str) -> list[Place]:
        return _status_places(text) if name == "status" else []

    def write(self, text: str, name: str, value: Any) -> str | None:
        return write_status(text, _status_places(text), value) if name == "status" else None


AGENT = Agent()
