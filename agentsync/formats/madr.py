"""MADR 2 decision records: ``# Title``, then ``* Status: accepted``, ``* Deciders: ...`` and
``* Date: ...`` bullets. (MADR 3 puts these in YAML frontmatter, which ``frontmatter`` reads.)"""

from __future__ import annotations

import functools
import re
from typing import Any

from agentsync.formats.agent import write_status
from agentsync.formats.base import BOM, MARKDOWN, Place, Reading, emphasised, first_heading, places_of


@functools.cache
def _bullet() -> re.Pattern[str]:  # compiled at the first use: most processes read no MADR file
    fields = (  # the value up to its last character that is no blank: each run of blanks read one way
        r"^[*-][ \t]+(Status|Deciders|Date|Technical Story)[ \t]*:[ \t]*(?![ \t])((?:[^\r\n]*[^ \t\r\n])?)[ \t]*\r?$"
    )
    return re.compile(fields, re.M | re.I)


@functools.cache
def _status() -> re.Pattern[str]:
    return re.compile(r"^[*-][ \t]+Status[ \t]*:[ \t]*(?![ \t])([^\r\n]*?[^\s\r\n])[ \t]*\r?$", re.M | re.I)


@functools.cache
def _deeper_heading() -> re.Pattern[str]:
    return re.compile(r"^#{3,6}[ \t]", re.M)


@functools.lru_cache(maxsize=32)  # asked by detect, read and places of one text in turn
def _header_end(text: str) -> int:
    """Where MADR 2's bullets can be: above the first heading of level three or deeper (a milestone's
    ``### M1``, whose ``- Status: Pending`` is no record's status). MADR's own sections are ``##``, and
    some put the bullets under one (``## Metadata``)."""
    deeper = _deeper_heading().search(text)
    return deeper.start() if deeper else len(text)


@functools.lru_cache(maxsize=32)  # detect, read, the git-field guard and a write ask for one text's in turn
def _status_places(text: str) -> tuple[Place, ...]:
    end = _header_end(text)
    bullets = [place for place in places_of(_status(), text, "a * Status: bullet") if place.line_start < end]
    return tuple(emphasised(bullets))  # Swift Evolution's `* Status: **Implemented (Swift 5.5)**`


class Madr:
    name = "madr"
    suffixes = MARKDOWN

    def detect(self, text: str) -> bool:
        return _status().search(text) is not None and bool(self.places(text, "status"))  # outside fences

    def read(self, path: str, text: str) -> Reading:
        start = 1 if text.startswith(BOM) else 0
        heading = first_heading(text, start)
        fields: dict[str, Any] = {}
        for match in _bullet().finditer(text, 0, _header_end(text)):
            key = match.group(1).lower().replace(" ", "_")
            if match.group(2):
                fields.setdefault(key, match.group(2))
        places = self.places(text, "status")
        if places:
            fields["status"] = places[0].value
        title = heading.group(1) if heading else None
        return Reading(fields, {"status": places[0]} if places else {}, title=title,
                       status=fields.get("status"), heading=title, body=start)  # fmt: skip

    def places(self, text: str, name: str) -> list[Place]:
        return list(_status_places(text)) if name == "status" else []

    def write(self, text: str, name: str, value: Any) -> str | None:
        places = self.places(text, name)
        return write_status(text, places, value) if name == "status" and places else None


MADR = Madr()
