"""The artifact model: one file in one of the formats of ``agentsync.formats``, parsed.

Parsing never changes the text: an Artifact keeps the file's exact content, and the
parsed fields are a view of it. Writing back is done by ``frontmatter_edit`` on that
text, so an unchanged artifact is always reproduced byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, Final, NamedTuple

from agentsync import formats, lazy
from agentsync.errors import ArtifactError
from agentsync.formats.base import BOM as BOM  # re-exported: the text helpers' old home
from agentsync.formats.base import FrontmatterSpan as FrontmatterSpan
from agentsync.formats.base import Reading, first_heading
from agentsync.formats.base import find_frontmatter as find_frontmatter
from agentsync.formats.base import line_of as line_of
from agentsync.formats.ids import DEFAULT_RULE, IdRule, derive
from agentsync.identity import valid_type

Layout = str
"""How a file carries its fields: the name of its format (``agentsync.formats``), stored in the mirror;
it decides how a field is written back."""
LAYOUT_FRONTMATTER: Final = "frontmatter"  # YAML frontmatter between --- lines
LAYOUT_AGENT: Final = "agent"  # the agent CLI's .agent/cache files: "# ID: Title", "## State", "Status: X"
LAYOUT_PLAIN: Final = "plain"  # Markdown with no fields
# One encoder for every artifact's fields (json.dumps with options builds one per call: 40k
# instructions a file instead of 32k); encode keeps no state between calls.
_FIELDS_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ID_ALLOWED = lazy.pattern(r"[^\x00-\x1f\x7f/\\]{1,200}\Z")
# The lines a merge conflict leaves in a file: the pre-commit check refuses them, a merge looks for them.
CONFLICT_MARKER = re.compile(r"^(?:<{7}|>{7})(?: |\r?$)", re.M)


def conflict_markers(text: str) -> Iterator[re.Match[str]]:
    """The lines ``CONFLICT_MARKER`` finds in ``text``, after a substring search that rules most texts
    out ten times cheaper than the pattern's look at every line start (10,000: 0.03 s against 0.23 s)."""
    return CONFLICT_MARKER.finditer(text) if "<<<<<<<" in text or ">>>>>>>" in text else iter(())


class Artifact(NamedTuple):  # a record, as errors.Problem
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

    @property
    def body(self) -> str:
        return self.content[self.body_offset :]

    @property
    def key(self) -> str:
        """The identity, ``TYPE:ID`` (``agentsync.identity``): ids are unique within a type."""
        return f"{self.type}:{self.id}"

    def fields_json(self) -> str:
        return _FIELDS_JSON.encode(self.fields)


def content_hash(data: bytes) -> str:
    import hashlib  # here: loading OpenSSL costs `status`, which hashes nothing, 3-4 ms

    return hashlib.sha256(data).hexdigest()


def id_from_filename(path: str) -> str:
    return PurePosixPath(path).stem


def parse_text(path: str, text: str, default_type: str, digest: str, rule: IdRule = DEFAULT_RULE) -> Artifact:
    """Parse an artifact's decoded text in its format; raise ArtifactError naming the file and line.
    ``rule`` is the type's id rule (``config.id_rule``): where the id comes from."""
    fmt = formats.detect(path, text)
    return _from_reading(path, text, fmt.read(path, text), fmt.name, default_type, digest, rule)


def _from_reading(
    path: str, text: str, reading: Reading, layout: Layout, default_type: str, digest: str, rule: IdRule
) -> Artifact:
    fields = reading.fields
    if rule.id_from == "heading" and reading.heading is None:  # a format skips the heading when it has a title
        heading = first_heading(text, reading.body)
        reading = reading._replace(heading=heading.group(1) if heading else None)
    artifact_id = _check_id(path, text, derive(rule, path, reading))
    version = fields.get("version", 0) if layout == LAYOUT_FRONTMATTER else 0
    if not isinstance(version, int):  # none, or the document's own ('1.0', a date): no hint (states_own_version)
        version = 0
    if isinstance(version, bool) or version < 0:
        raise ArtifactError(
            path,
            f"`version: {version}` must be a whole number >= 0 (the remote version this file is based on)",
            _key_line(text, "version"),
        )
    title = reading.title or reading.heading or artifact_id
    status = reading.status
    stated = fields.get("type") if layout == LAYOUT_FRONTMATTER and rule.type_from == "frontmatter" else None
    type_ = stated or default_type
    if stated and not valid_type(str(type_)):
        raise ArtifactError(
            path, f"invalid `type: {type_}`: use 1-100 characters without ':', slashes or control characters",
            _key_line(text, "type"),
        )  # fmt: skip
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
        body_offset=reading.body,
    )


def valid_id(value: str) -> bool:
    """Whether ``value`` is an id a file can carry: what every clone checks, and so what it
    refuses from the remote."""
    return bool(_ID_ALLOWED().match(value)) and value == value.strip() and value not in (".", "..")


def _check_id(path: str, text: str, value: Any) -> str:
    if value is None or value == "":
        value = PurePosixPath(path).stem
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


def id_line(text: str, artifact_id: str) -> int | None:
    """The line that states an artifact's id: its frontmatter ``id:``, else the first line naming it
    (an agent CLI heading); None when the id comes from the file name."""
    span = find_frontmatter(text)
    if span is not None:
        line = _key_line(text[: span.end], "id")
        if line is not None:
            return line
    found = text.find(artifact_id)
    return line_of(text, found) if found >= 0 else None


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


def parse_bytes(path: str, data: bytes, default_type: str, rule: IdRule = DEFAULT_RULE) -> Artifact:
    """Parse a file's bytes (see ``parse_text``)."""
    return parse_text(path, decode(path, data), default_type, content_hash(data), rule)
