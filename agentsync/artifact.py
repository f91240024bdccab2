"""The artifact model: one Markdown file with optional YAML frontmatter, parsed.

Parsing never changes the text: an Artifact keeps the file's exact content, and the
parsed fields are a view of it. Writing back is done by ``frontmatter_edit`` on that
text, so an unchanged artifact is always reproduced byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Final, Literal

from agentsync.errors import ArtifactError, FrontmatterYAMLError
from agentsync.yamlload import load_frontmatter

BOM = "\ufeff"
Layout = Literal["frontmatter", "agent", "plain"]
"""How a file carries its fields; stored in the mirror, and it decides how a version is written back."""
LAYOUT_FRONTMATTER: Final = "frontmatter"  # YAML frontmatter between --- lines
LAYOUT_AGENT: Final = "agent"  # the agent CLI's .agent/cache files: "# ID: Title", "Status: X"
LAYOUT_PLAIN: Final = "plain"  # Markdown with no frontmatter

_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?(?:\n|\Z)", re.M)
_OPENING = re.compile(r"---[ \t]*\r?\n")
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*\r?$", re.M)
_AGENT_HEADING = re.compile(r"^#[ \t]+([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+)[ \t]*:[ \t]*(.+?)[ \t]*\r?$")
_STATUS_LINE = re.compile(r"^\**Status\**[ \t]*:[ \t]*\**[ \t]*([^\r\n*]+?)[ \t*]*\r?$", re.M | re.I)
_STATE_SECTION = re.compile(r"^##[ \t]+State[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*([^\r\n#][^\r\n]*?)[ \t]*\r?$", re.M)
_ID_ALLOWED = re.compile(r"[^\x00-\x1f\x7f/\\]{1,200}\Z")


@dataclass(frozen=True)
class Artifact:
    """One parsed artifact. ``content`` is the file's exact text (BOM and CRLF included)."""

    id: str
    path: str  # posix path relative to the repository root
    type: str
    title: str
    status: str | None
    version: int
    fields: dict[str, Any]
    content: str
    hash: str
    layout: Layout
    body_offset: int = 0  # where the body starts in ``content``
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def body(self) -> str:
        return self.content[self.body_offset :]

    def fields_json(self) -> str:
        return json.dumps(self.fields, ensure_ascii=False, sort_keys=False, separators=(",", ":"))


@dataclass(frozen=True)
class FrontmatterSpan:
    """Where the frontmatter sits in a text: YAML between ``start`` and ``end``, body after ``body``."""

    opening: int  # index of the opening ---
    start: int  # first character of the YAML
    end: int  # index of the closing delimiter line
    body: int  # first character after the closing delimiter line


def find_frontmatter(text: str) -> FrontmatterSpan | None:
    """Locate YAML frontmatter: an opening ``---`` line, then the first ``---``/``...`` line."""
    opening = 1 if text.startswith(BOM) else 0
    first = _OPENING.match(text, opening)
    if not first:
        return None
    start = first.end()
    closing = _CLOSING.search(text, start)
    if closing is None:
        return None
    return FrontmatterSpan(opening, start, closing.start(), closing.end())


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def id_from_filename(path: str) -> str:
    return PurePosixPath(path).stem


def line_of(text: str, index: int) -> int:
    """1-based line number of a character index."""
    return text.count("\n", 0, index) + 1


def parse_text(path: str, text: str, default_type: str, digest: str) -> Artifact:
    """Parse an artifact's decoded text; raise ArtifactError naming the file and line."""
    span = find_frontmatter(text)
    if span is not None:
        try:
            fields = load_frontmatter(text[span.start : span.end])
        except FrontmatterYAMLError as exc:
            raise ArtifactError(path, str(exc), line_of(text, span.start) + exc.line) from None
        return _from_fields(path, text, fields, default_type, digest, LAYOUT_FRONTMATTER, span.body)
    return _from_plain(path, text, default_type, digest)


def _from_fields(
    path: str, text: str, fields: dict[str, Any], default_type: str, digest: str, layout: Layout, body_offset: int
) -> Artifact:
    artifact_id = _check_id(path, text, fields.get("id"))
    version = fields.get("version", 0)
    if version is None:
        version = 0
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ArtifactError(
            path,
            f"`version: {version}` must be a whole number >= 0 (the remote version this file is based on)",
            _key_line(text, "version"),
        )
    title = fields.get("title")
    if title is None or title == "":
        heading = _HEADING.search(text, body_offset)
        title = heading.group(1) if heading else artifact_id
    status = fields.get("status")
    type_ = fields.get("type") or default_type
    return Artifact(
        id=artifact_id,
        path=path,
        type=str(type_),
        title=str(title),
        status=None if status is None else str(status),
        version=version,
        fields=fields,
        content=text,
        hash=digest,
        layout=layout,
        body_offset=body_offset,
    )


def _from_plain(path: str, text: str, default_type: str, digest: str) -> Artifact:
    start = 1 if text.startswith(BOM) else 0
    heading = _HEADING.search(text[start:] if start else text)
    agent = _AGENT_HEADING.match(heading.group(0)) if heading else None
    if agent:
        status_match = _STATUS_LINE.search(text) or _STATE_SECTION.search(text)
        fields: dict[str, Any] = {"id": agent.group(1), "title": agent.group(2)}
        if status_match:
            fields["status"] = status_match.group(1)
        return Artifact(
            id=agent.group(1),
            path=path,
            type=default_type,
            title=agent.group(2),
            status=fields.get("status"),
            version=0,
            fields=fields,
            content=text,
            hash=digest,
            layout=LAYOUT_AGENT,
            body_offset=start,
        )
    artifact_id = _check_id(path, text, None)
    return Artifact(
        id=artifact_id,
        path=path,
        type=default_type,
        title=heading.group(1) if heading else artifact_id,
        status=None,
        version=0,
        fields={},
        content=text,
        hash=digest,
        layout=LAYOUT_PLAIN,
        body_offset=start,
    )


def valid_id(value: str) -> bool:
    """Whether ``value`` is an id a file can carry: what every clone checks, and so what it
    refuses from the remote."""
    return bool(_ID_ALLOWED.match(value)) and value == value.strip() and value not in (".", "..")


def _check_id(path: str, text: str, value: Any) -> str:
    if value is None or value == "":
        value = id_from_filename(path)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ArtifactError(path, f"`id` must be a string, not {type(value).__name__}", _key_line(text, "id"))
    artifact_id = str(value).strip()
    if not valid_id(artifact_id):
        raise ArtifactError(
            path,
            f"invalid id {artifact_id!r}: use 1-200 characters without slashes or control characters",
            _key_line(text, "id"),
        )
    return artifact_id


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.M)
    return line_of(text, match.start()) if match else None


def decode(path: str, data: bytes) -> str:
    """Decode file bytes as UTF-8, refusing binary files with a clear message."""
    if b"\x00" in data:
        raise ArtifactError(path, "binary file (contains NUL bytes), not Markdown; move it out of the artifact folders")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ArtifactError(
            path,
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); re-save the file as UTF-8",
            line,
        ) from None


def parse_bytes(path: str, data: bytes, default_type: str) -> Artifact:
    """Parse a file's bytes (see ``parse_text``)."""
    return parse_text(path, decode(path, data), default_type, content_hash(data))
