"""ADRs as adr-tools writes them (Michael Nygard's template): ``# 1. Title``, a ``Date:`` line and
a ``## Status`` section whose first line is the status (``Accepted``, ``Superseded by ...``)."""

from __future__ import annotations

import functools
import re
from typing import Any

from agentsync.formats.agent import write_status
from agentsync.formats.base import (
    BOM,
    MARKDOWN,
    Place,
    Reading,
    emphasised,
    first_heading,
    places_of,
    sets_outside_fences,
)


@functools.cache
def _heading() -> re.Pattern[str]:
    return re.compile(r"##[ \t]+status")


@functools.cache
def _section() -> re.Pattern[str]:  # compiled at the first use: most processes read no such ADR
    # (each run of blanks read one way: the line is checked once for a lone CR, the one way its end can fail;
    # a list item's marker, or the line's own label, is no part of the status: ``- Accepted``, ``- **Status**: DONE``,
    # ``Program status: Active``, ``Current milestone: Completed``)
    return re.compile(
        r"^##[ \t]+Status[ \t]*\r?\n(?:[ \t]*\r?\n)*(?=[^\r\n]*(?:\r?\n|\r?\Z))[ \t]*(?:[-*+][ \t]+(?=[^ \t\r\n]))?"
        r"(?:(?:\*\*|__)?(?:[A-Za-z]+ )?(?:Status|State|Current)(?: [A-Za-z]+)?(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]*"
        r"(?=[^ \t\r\n]))?([^\r\n#](?:[^\r\n]*[^ \t\r\n])?)"
        r"[ \t]*\r?$",
        re.M | re.I,
    )


@functools.cache
def _date() -> re.Pattern[str]:
    return re.compile(r"^Date:(?=[^\r\n]*(?:\r?\n|\r?\Z))[ \t]*([^\r\n](?:[^\r\n]*[^ \t\r\n])?)[ \t]*\r?$", re.M)


@functools.cache
def _numbered() -> re.Pattern[str]:
    return re.compile(r"\d+\.[ \t]+")


class Nygard:
    name = "nygard"
    suffixes = MARKDOWN

    def detect(self, text: str) -> bool:
        # the section's heading looked for first in the lowercase text, with a literal prefix: the
        # pattern itself, anchored at ``^``, is tried at every position of a long text that has none
        return _heading().search(text.lower()) is not None and sets_outside_fences(_section(), text)

    def read(self, path: str, text: str) -> Reading:
        start = 1 if text.startswith(BOM) else 0
        heading = first_heading(text, start)
        title = heading.group(1) if heading else None
        if title and (number := _numbered().match(title)) and number.end() < len(title):
            title = title[number.end() :]
        places = self.places(text, "status")
        fields: dict[str, Any] = {"status": places[0].value} if places else {}
        date = _date().search(text)
        if date:
            fields["date"] = date.group(1)
        return Reading(
            fields,
            {"status": places[0]} if places else {},
            title=title,
            status=fields.get("status"),
            heading=heading.group(1) if heading else None,
            body=start,
        )

    def places(self, text: str, name: str) -> list[Place]:
        return emphasised(places_of(_section(), text, "a ## Status section")) if name == "status" else []

    def write(self, text: str, name: str, value: Any) -> str | None:
        places = self.places(text, name)
        return write_status(text, places, value) if name == "status" and places else None


NYGARD = Nygard()
