"""Byte-faithful field edits in any artifact format.

A frontmatter key is set on its own line (the YAML edits live in ``agentsync.formats.frontmatter``);
in another format the field is written where that format carries it (a ``## State`` section stays a
section); a field a format has no place for goes into a new frontmatter block. Everything else in
the file is left byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

from agentsync import formats
from agentsync.formats.agent import heading_id
from agentsync.formats.base import BOM, find_frontmatter, line_ending
from agentsync.formats.frontmatter import _block_end as _block_end  # re-exported for merge
from agentsync.formats.frontmatter import _line_ending as _line_ending
from agentsync.formats.frontmatter import _render_flow_item as _render_flow_item
from agentsync.formats.frontmatter import remove_field as remove_field
from agentsync.formats.frontmatter import render_scalar as render_scalar
from agentsync.formats.frontmatter import set_yaml_field


def set_field(text: str, key: str, value: Any, path: str = "") -> str:
    """Return ``text`` with field ``key`` set to ``value``, changing nothing else; ``path`` (its
    file name) tells a YAML file from Markdown."""
    span = find_frontmatter(text)
    if span is not None:
        return set_yaml_field(text, span, key, value)
    fmt = formats.detect(path or "text.md", text)
    written = fmt.write(text, key, value)
    if written is not None:
        return written
    eol = line_ending(text) if "\n" in text else "\n"
    start = 1 if text.startswith(BOM) else 0
    block = f"---{eol}{key}: {render_scalar(value)}{eol}---{eol}"
    return text[:start] + block + text[start:]


def is_agent_layout(text: str) -> bool:
    """True for a text without frontmatter that the mirror reads as the agent layout (``# ID: Title``)."""
    return heading_id(text, 1 if text.startswith(BOM) else 0) is not None


def set_fields(text: str, updates: dict[str, Any], path: str = "") -> str:
    """Apply several key updates in order (see ``set_field``)."""
    for key, value in updates.items():
        text = set_field(text, key, value, path)
    return text


def states_own_version(text: str) -> bool:
    """Whether ``text``'s frontmatter has no ``version:``, or one YAML reads as a whole number: the
    hint of the remote version agentsync keeps there. A document's own version (BMAD's ``version:
    '1.0'``, a date, ``08``) is no hint of ours: never read as one, never written over, merged as any
    field. Decided on the value YAML reads, as the artifact's reading does (``artifact.parse_text``)."""
    from agentsync.errors import AgentsyncError
    from agentsync.yamlload import load_frontmatter

    span = find_frontmatter(text)
    if span is None or "version" not in text[span.start : span.end]:
        return True
    try:
        fields = load_frontmatter(text[span.start : span.end])
    except AgentsyncError:  # no YAML (a conflict's markers): the line as written, digits alone a hint
        found = re.search(
            r"""(?m)^["']?version["']?[ \t]*:[ \t]*(?![ \t])((?:[^\r\n#]*[^ \t\r\n#])?)[ \t]*(?:#.*)?\r?$""",
            text[span.start : span.end],
        )
        return found is None or re.fullmatch(r"[0-9]*", found.group(1)) is not None
    return not isinstance(fields, dict) or is_version_hint(fields.get("version"))


def is_version_hint(value: Any) -> bool:
    """Whether a frontmatter ``version`` value is agentsync's hint (none, or a whole number >= 0)."""
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
