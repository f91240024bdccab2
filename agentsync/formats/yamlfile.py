"""YAML artifact files (``*.yaml``/``*.yml``, such as the agent CLI's journeys): the top level is a
mapping; ``id``, ``title`` (or ``name``) and ``status`` (or ``state``) are its keys. A field is
written back on its own line, as a frontmatter key is."""

from __future__ import annotations

import functools
import re
from typing import Any

from agentsync.errors import ArtifactError, FrontmatterYAMLError
from agentsync.formats.base import YAML, FrontmatterSpan, Place, Reading, line_ending, past_eol
from agentsync.formats.frontmatter import set_yaml_field
from agentsync.yamlload import load_frontmatter

STATUS_KEYS = ("status", "state")
_VALUE = r"""("[^"\r\n]*"|'[^'\r\n]*'|[^\s#"'\r\n](?:[^#\r\n]*?[^\s#\r\n])?)"""


@functools.lru_cache(maxsize=64)  # compiled at the first use: most processes read no YAML file
def _key_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(key)}[ \t]*:[ \t]*{_VALUE}[ \t]*(?:#[^\r\n]*)?\r?$", re.M)


class YamlFile:
    name = "yaml"
    suffixes = YAML

    def detect(self, text: str) -> bool:
        return True

    def read(self, path: str, text: str) -> Reading:
        try:
            fields = load_frontmatter(text)
        except FrontmatterYAMLError as exc:
            message = str(exc).replace("in frontmatter", "").replace("frontmatter", "the file").replace("  ", " ")
            raise ArtifactError(path, message, exc.line + 1) from None
        status_key = next((k for k in STATUS_KEYS if k in fields), None)
        places = self.places(text, "status")
        title = fields.get("title") or fields.get("name")
        status = fields.get(status_key) if status_key else None
        return Reading(
            fields,
            {"status": places[0]} if places else {},
            id=fields.get("id"),
            title=None if title is None else str(title),
            status=None if status is None else str(status),
            body=len(text),
        )

    def places(self, text: str, name: str) -> list[Place]:
        keys = STATUS_KEYS if name == "status" else (name,)
        found = []
        for key in keys:
            pattern = _key_line(key)
            for m in pattern.finditer(text):
                quoted = m.group(1)[:1] in "\"'"
                start, end = (m.start(1) + 1, m.end(1) - 1) if quoted else (m.start(1), m.end(1))
                found.append(Place(text[start:end], start, end, m.start(), past_eol(text, m.end()), f"a `{key}:` key"))
        return sorted(found, key=lambda p: p.start)

    def write(self, text: str, name: str, value: Any) -> str | None:
        keys = STATUS_KEYS if name == "status" else (name,)
        present = [k for k in keys if re.search(rf"^{re.escape(k)}[ \t]*:", text, re.M)]
        if not text.endswith("\n") and not present:
            text += line_ending(text)
        for key in present or keys[:1]:
            text = set_yaml_field(text, FrontmatterSpan(0, 0, len(text), len(text)), key, value)
        return text


YAML_FILE = YamlFile()
