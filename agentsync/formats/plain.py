"""Markdown that carries no fields: the id comes from the file name (or the path), the title from
the first heading. A field written to it goes into a new frontmatter block."""

from __future__ import annotations

from typing import Any

from agentsync.formats.base import BOM, MARKDOWN, Place, Reading, first_heading


class Plain:
    name = "plain"
    suffixes = MARKDOWN

    def detect(self, text: str) -> bool:
        return True

    def read(self, path: str, text: str) -> Reading:
        start = 1 if text.startswith(BOM) else 0
        heading = first_heading(text, start)
        title = heading.group(1) if heading else None
        return Reading({}, title=title, heading=title, body=start)

    def places(self, text: str, name: str) -> list[Place]:
        return []

    def write(self, text: str, name: str, value: Any) -> str | None:
        return None


PLAIN = Plain()
