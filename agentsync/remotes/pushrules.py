"""What a push accepts, decided as `sql/` decides it (`0009_hardening`, paths as `0012`), for the memory remote.

The database refuses a change no client could pull (a bad id, an unsafe path, missing or
oversized content, a frontmatter ``id:`` other than the change's) and with it the whole batch,
in one line. ``memory.MemoryRemote`` must refuse the same changes with the same line, so this
is a rule-by-rule port of ``agentsync.change_problem``, ``frontmatter_of`` and ``yaml_id``.
PostgreSQL's regular expressions are not newline-sensitive by default: ``$`` is the end of
the text (``\\Z`` here) and ``.`` matches a newline (``re.S``).
"""

from __future__ import annotations

import re
from typing import Any

MAX_CONTENT_BYTES = 10 * 1024 * 1024  # agentsync.max_content_bytes()
BOM = "\ufeff"

_USUAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ID_BAD_CHARACTER = re.compile(r"[\x01-\x1f\x7f/\\]")
_TYPE_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f:/\\]")
# PostgreSQL's \s: white space as the database's C.UTF-8 ctype has it (glibc; no no-break spaces).
_SPACE = "[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]"
_EDGE_SPACE = re.compile(f"^{_SPACE}|{_SPACE}\\Z")
_USUAL_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_. -]*(?:/[A-Za-z0-9_][A-Za-z0-9_. -]*)*\.(?:md|ya?ml)")
_PATH_BAD_CHARACTER = re.compile(r"[\x01-\x1f\x7f\\]")
_ODD_SEGMENT = re.compile(r"(^|/)\.{0,2}(/|\Z)")
_CONTROL = re.compile(r"[\x01-\x1f\x7f]")
_OPENING = re.compile(r"---[ \t]*\r?\n")
_CLOSING_LINE = re.compile(r"(?:---|\.\.\.)[ \t]*\r?\n")
_CLOSING_LAST = re.compile(r"(?:---|\.\.\.)[ \t]*\r?\Z")
_FIRST_CLOSING = re.compile(r"\A(.*?)^(?:---|\.\.\.)[ \t]*\r?$", re.M | re.S)  # (?w): ^ $ by line, . any
_FIRST_ID = re.compile(r"\n(?:id|'id'|\"id\")[ \t]*:([ \t][^\n]*)?\n")
_LAST_ID = re.compile(r"^.*\n(?:id|'id'|\"id\")[ \t]*:([ \t][^\n]*)?\n", re.S)
_DOUBLE_QUOTED = re.compile(r"\"[^\"\\]*\"([ \t]+#.*)?\Z", re.S)
_DOUBLE_QUOTED_VALUE = re.compile(r"\"([^\"\\]*)\"")
_SINGLE_QUOTED = re.compile(r"'(?:[^']|'')*'([ \t]+#.*)?\Z", re.S)
_SINGLE_QUOTED_VALUE = re.compile(r"'((?:[^']|'')*)'")
_PLAIN = re.compile(r"[^\"'|>&*!{\[#%@`]")
_COMMENT = re.compile(r"(?<![ \t])[ \t]+#.*\Z", re.S)


def shown(text: str) -> str:
    """A value as a refusal quotes it: control characters as ``?``, at most 80 characters."""
    return _CONTROL.sub("?", text)[:80]


def frontmatter_of(content: str) -> str | None:
    """The frontmatter from its opening line to just before its closing one, as clients find it."""
    text = content[1:] if content.startswith(BOM) else content
    if not text.startswith("---") or not (text.startswith("---\n") or _OPENING.match(text[:300])):
        return None
    end, dots = text.find("\n---"), text.find("\n...")
    if end < 0 or 0 <= dots < end:
        end = dots
    if end >= 0:
        line = text[end + 1 : end + 301]
        if (
            line[:4] in ("---\n", "...\n") or _CLOSING_LINE.match(line)
            or (_CLOSING_LAST.match(line) and len(text) <= end + 301)
        ):  # fmt: skip
            return text[: end + 1]
    found = _FIRST_CLOSING.search(text[text.find("\n") + 1 :])  # a line like `----` came first
    return None if found is None else "---\n" + found.group(1)


def yaml_id(value: str | None) -> str | None:
    """A YAML value as clients read an id: unquoted; None for an empty or null one and for forms
    this cheap reading cannot settle."""
    raw = (value or "").strip(" \t\r")
    if _DOUBLE_QUOTED.match(raw):
        found = _DOUBLE_QUOTED_VALUE.match(raw)
        unquoted = found.group(1) if found else ""
    elif _SINGLE_QUOTED.match(raw):
        found = _SINGLE_QUOTED_VALUE.match(raw)
        unquoted = found.group(1).replace("''", "'") if found else ""
    elif _PLAIN.match(raw):
        unquoted = _COMMENT.sub("", raw, count=1)
    else:
        unquoted = ""
    unquoted = unquoted.strip(" ")
    return None if unquoted in ("", "~", "null", "Null", "NULL") else unquoted


def type_problem(change: object) -> str | None:
    """Why a change's type is not one (``agentsync.type_problem``); None when it is, or when the change
    is no object (``change_problem`` says so)."""
    if not isinstance(change, dict):
        return None
    type_name = change.get("type")
    if not isinstance(type_name, str) or not 1 <= len(type_name) <= 100:
        return "the type must be a string of 1 to 100 characters"
    if _TYPE_BAD_CHARACTER.search(type_name):
        return "the type has a colon, a slash, a backslash or a control character"
    return None


def _id_problem(change: dict[str, Any]) -> str | None:
    artifact_id = change.get("id")
    if not isinstance(artifact_id, str) or not 1 <= len(artifact_id) <= 200:
        return "the id must be a string of 1 to 200 characters"
    if not _USUAL_ID.fullmatch(artifact_id):
        if _ID_BAD_CHARACTER.search(artifact_id):
            return "the id has a slash, a backslash or a control character"
        if artifact_id in (".", "..") or _EDGE_SPACE.search(artifact_id):
            return 'the id is "." or "..", or starts or ends with white space'
    return None


def _path_problem(change: dict[str, Any]) -> str | None:
    path = change.get("path")
    if not isinstance(path, str) or not 1 <= len(path) <= 1000:
        return "the path must be a string of 1 to 1000 characters"
    if not _USUAL_PATH.fullmatch(path):
        if _PATH_BAD_CHARACTER.search(path):
            return "the path has a backslash or a control character"
        if path.startswith("/"):
            return "the path must be relative to the repository"
        if _ODD_SEGMENT.search(path):
            return 'the path has an empty, "." or ".." segment'
        if path.split("/", 1)[0].lower() in (".git", ".agentsync"):
            return "the path is inside .git or .agentsync"
        if not path.endswith((".md", ".yaml", ".yml")):
            return "the path must end in .md, .yaml or .yml"
    if _octets(path) > 255 and any(_octets(segment) > 255 for segment in path.split("/")):
        return "a path segment is longer than 255 bytes"
    return None


def _octets(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _stated_id(content: str, artifact_id: str) -> str | None:
    """The frontmatter's ``id:`` (its first or last) when it is not ``artifact_id``."""
    if not (content.startswith("---") or content.startswith(BOM)):
        return None
    block: str | None = None
    end = content.find("\n---")  # usually the closing line: the block is the text before it
    if content.startswith("---\n") and end >= 0 and content[end + 4 : end + 5] == "\n":
        block = content[: end + 1]
        if "\n..." in block:
            block = None  # a `...` line may close it first
    if block is None:
        block = frontmatter_of(content)
    if block is None:
        return None
    block += "\n"
    if "\nid" not in block and "\n'id" not in block and '\n"id' not in block:
        return None
    if (
        f"\nid: {artifact_id}\n" in block and "\n'id" not in block and '\n"id' not in block
        and block.count("\nid") == 1
    ):  # fmt: skip
        return None  # the usual `id: ID` line, and no other
    first_found, last_found = _FIRST_ID.search(block), _LAST_ID.search(block)
    first = yaml_id(first_found.group(1) if first_found else None)
    last = yaml_id(last_found.group(1) if last_found else None)
    if first is not None and first != artifact_id:
        return first
    if last is not None and last != artifact_id:
        return last
    return None


def change_problem(change: object) -> str | None:
    """Why no client could pull this change (as JSON: ``Change.to_json()``); None when it is fine."""
    if not isinstance(change, dict):
        return "a change must be a JSON object"
    problem = _id_problem(change) or _path_problem(change)
    if problem is not None or change.get("deleted") in (True, "true"):
        return problem  # a deletion carries no content
    content = change.get("content")
    if not isinstance(content, str):
        return "a change that is not a deletion must carry its content"
    if len(content) > MAX_CONTENT_BYTES // 4 and (size := _octets(content)) > MAX_CONTENT_BYTES:
        return f"the content is {size} bytes, over the remote's limit of {MAX_CONTENT_BYTES}"
    stated = _stated_id(content, str(change["id"]))
    return None if stated is None else f"its frontmatter says id: {shown(stated)}"


def _id_text(change: object) -> str | None:
    """``TYPE:ID`` of a change as text (JSON for a non-string; an absent type is empty), None when it
    names no id."""
    import json

    if not isinstance(change, dict) or change.get("id") is None:
        return None
    value, type_name = change["id"], change.get("type")
    type_text = "" if type_name is None else type_name if isinstance(type_name, str) else json.dumps(type_name)
    return f"{type_text}:{value if isinstance(value, str) else json.dumps(value)}"


def batch_refusal(changes: list[Any]) -> str | None:
    """The database's message refusing the whole batch for its first bad change, or None."""
    for change in changes:
        problem = type_problem(change) or change_problem(change)
        if problem is not None:
            artifact_id = _id_text(change)
            named = "(no id)" if artifact_id is None else f'"{shown(artifact_id)}"'
            return f"agentsync: refused artifact {named}: {problem}; nothing of this push was applied"
    ids = [_id_text(c) for c in changes]
    if len(ids) != len(set(ids)):
        return "agentsync: a batch names an artifact more than once"
    return None
