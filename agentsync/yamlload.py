"""Load frontmatter YAML fast and safely.

Most frontmatter is a flat list of ``key: scalar`` lines with a few short lists.
PyYAML builds Python node objects for all of it, which costs ~60 us a document; the
fast path below reads that common subset directly and hands anything else to
PyYAML's C loader. Both paths give the same result (a property test compares them).

Dates and timestamps stay the text the author wrote: the mirror stores JSON, and
"2026-03-07" is what a user wants to query, not a re-formatted datetime.
"""

from __future__ import annotations

import math
import re
from typing import Any

from agentsync.errors import FrontmatterYAMLError
from agentsync.yamlerrors import MAX_REPAIRS, marked, quoted_repair_text, quoting_hint

MAX_VALUES = 10_000  # an alias bomb expands far past this; real frontmatter never gets near it
MAX_DEPTH = 50


def loader() -> Any:
    """PyYAML's safe loader (C if available), keeping timestamps as strings. Imported on first use:
    most frontmatter never needs PyYAML, and a git hook should not pay for importing it."""
    global _LOADER
    if _LOADER is None:
        import yaml

        _LOADER = _without_timestamps(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return _LOADER


def pure_loader() -> Any:
    """PyYAML's pure-Python safe loader, timestamps kept as strings: what a reader without libyaml
    sees. The git-field guard checks a rewritten frontmatter with it too (see ``gitfield_check``)."""
    global _PURE_LOADER
    if _PURE_LOADER is None:
        import yaml

        _PURE_LOADER = _without_timestamps(yaml.SafeLoader)
    return _PURE_LOADER


def _without_timestamps(base: type) -> Any:
    class Loader(base):  # type: ignore[misc]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()  # type: ignore[attr-defined]
    }
    return Loader


_LOADER: Any = None
_PURE_LOADER: Any = None

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
# Characters YAML treats specially (line breaks other than \n, controls, BOMs): leave to PyYAML.
# Written as the complement of the printable set: the same characters, but it compiles 50x faster.
# \u2028 and \u2029 end a line for YAML (so a comment) but not for str.split("\n").
_UNUSUAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_ASCII_UNUSUAL = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])  # the ASCII characters among them
_PLAIN_FORBIDDEN_START = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_ITEM_FORBIDDEN = set(",[]{}#&*!|>'\"%@`:?")
_BOOLS = {
    "yes": True, "Yes": True, "YES": True, "true": True, "True": True, "TRUE": True,
    "on": True, "On": True, "ON": True,
    "no": False, "No": False, "NO": False, "false": False, "False": False, "FALSE": False,
    "off": False, "Off": False, "OFF": False,
}  # fmt: skip


class _Fallback(Exception):
    """The fast path does not handle this text; use PyYAML."""


# PyYAML's implicit resolvers (YAML 1.1), timestamps left out as in ``loader()``; copied so the
# fast path needs no PyYAML import. tests/test_yamlload.py checks they agree with PyYAML's.
_BOOL_RX = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
_FLOAT_RX = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_INT_RX = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"
)
_NULL_RX = re.compile(r"^(?:~|null|Null|NULL|)$")
_OTHER_RX = [("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$")), ("tag:yaml.org,2002:value", re.compile(r"^(?:=)$")),
             ("tag:yaml.org,2002:yaml", re.compile(r"^(?:!|&|\*)$"))]  # fmt: skip
RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _first in "yYnNtTfFoO":
    RESOLVERS.setdefault(_first, []).append((_BOOL, _BOOL_RX))
for _first in "-+0123456789.":
    RESOLVERS.setdefault(_first, []).append(("tag:yaml.org,2002:float", _FLOAT_RX))
for _first in "-+0123456789":
    RESOLVERS.setdefault(_first, []).append((_INT, _INT_RX))
for _first in ("~", "n", "N", ""):
    RESOLVERS.setdefault(_first, []).append((_NULL, _NULL_RX))
for _tag, _rx in _OTHER_RX:
    for _first in {"tag:yaml.org,2002:merge": "<", "tag:yaml.org,2002:value": "=", "tag:yaml.org,2002:yaml": "!&*"}[
        _tag
    ]:
        RESOLVERS.setdefault(_first, []).append((_tag, _rx))


def _resolve_tag(text: str) -> str:
    if not text:
        return _NULL
    for tag, regexp in RESOLVERS.get(text[0], ()):
        if regexp.match(text):
            return tag
    return _STR


def _plain(text: str) -> Any:
    """Value of a plain scalar the way PyYAML resolves it, or raise _Fallback."""
    if text != text.strip(" \t"):
        raise _Fallback
    tag = _resolve_tag(text)
    if tag == _STR:
        return text
    if tag == _INT and _SIMPLE_INT.match(text):
        return int(text)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOLS[text]
    raise _Fallback


def _strip_comment(value: str) -> str:
    for marker in (" #", "\t#"):
        cut = value.find(marker)
        if cut != -1:
            value = value[:cut]
    return value.rstrip(" \t")


def _scalar(value: str) -> Any:
    """A one-line scalar: quoted without escapes, or plain."""
    if value[:1] == '"':
        end = value.find('"', 1)
        if end == -1 or "\\" in value[:end] or _strip_comment(value[end + 1 :]):
            raise _Fallback
        return value[1:end]
    if value[:1] == "'":
        end = value.find("'", 1)
        if end == -1 or _strip_comment(value[end + 1 :]):
            raise _Fallback
        return value[1:end]
    value = _strip_comment(value)
    if not value or value[0] in _PLAIN_FORBIDDEN_START or ": " in value or value.endswith(":"):
        raise _Fallback
    return _plain(value)


def _flow_sequence(value: str) -> list[Any]:
    end = value.find("]")
    if end == -1 or "[" in value[1:end] or _strip_comment(value[end + 1 :]):
        raise _Fallback
    inner = value[1:end].strip(" ")
    if not inner:
        return []
    items = []
    for raw in inner.split(","):
        item = raw.strip(" ")
        if not item or not _FLOW_ITEM_FORBIDDEN.isdisjoint(item) or item[0] == "-" or "\t" in item:
            raise _Fallback
        items.append(item if item[0] not in _RESOLVED_FIRST else _plain(item))  # no blanks at its ends
    return items


# One "key: plain value [# comment]" line: the common case, matched in one step. The value runs
# greedily to its last non-blank before any '#' (the same split as a lazy run, which tried the rest
# of the line at each character: a typical file's parse took 290k instructions, now 225k).
_SIMPLE_LINE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_.-]*):[ \t]+([^ \t\-?:,\[\]{}#&*!|>'\"%@`](?:[^#]*[^ \t#])?)[ \t]*(?:[ \t]#.*)?\Z"
)
# One "- plain item [# comment]" line of a block sequence, its value matched as _SIMPLE_LINE's.
_ITEM_LINE = re.compile(r"( *)- +([^ \t\-?:,\[\]{}#&*!|>'\"%@`](?:[^#]*[^ \t#])?)[ \t]*(?:[ \t]#.*)?\Z")
# The first characters PyYAML's resolvers look at: a plain scalar starting with any other is a string as
# written, with no lookup (most values: words, names, ids).
_RESOLVED_FIRST = frozenset(first for first in RESOLVERS if first)
_plain_cache: dict[str, Any] = {}


def _cached_plain(text: str) -> Any:
    try:
        return _plain_cache[text]
    except KeyError:
        pass
    value = _plain(text)
    if len(_plain_cache) > 20_000:
        _plain_cache.clear()
    _plain_cache[text] = value
    return value


def _matched_plain(value: str) -> Any:
    """The value of a plain scalar _SIMPLE_LINE or _ITEM_LINE matched (no blanks at its ends, no comment)."""
    if ": " in value or value[-1] == ":":
        raise _Fallback
    return value if value[0] not in _RESOLVED_FIRST else _cached_plain(value)


def _unusual(text: str) -> bool:
    """Whether ``text`` holds a character of _UNUSUAL; ASCII text (most) is checked a byte at a time in C."""
    if text.isascii():
        raw = text.encode("ascii")
        return len(raw.translate(None, _ASCII_UNUSUAL)) != len(raw)
    return _UNUSUAL.search(text) is not None


def _fast_load(text: str) -> dict[str, Any]:
    if _unusual(text):  # a CR too: CRLF frontmatter is left to PyYAML
        raise _Fallback
    result: dict[str, Any] = {}
    pending_items: list[Any] | None = None  # the block sequence the last key may own
    item_indent = -1
    blocks: list[str] = []  # keys with no inline value
    simple, item_line, resolved = _SIMPLE_LINE.match, _ITEM_LINE.match, _RESOLVED_FIRST
    for line in text.split("\n"):
        match = simple(line)
        if match is not None:  # _matched_plain, inlined: most lines are these
            key, value = match.groups()
            if ": " in value or value[-1] == ":" or key in result:
                raise _Fallback  # a mapping inside, or a repeated key: PyYAML's rules
            if key[0] in resolved and _cached_plain(key).__class__ is not str:
                raise _Fallback
            result[key] = value if value[0] not in resolved else _cached_plain(value)
            pending_items = None
            continue
        if pending_items is not None:
            match = item_line(line)
            if match is not None:
                if item_indent == -1:
                    item_indent = len(match.group(1))
                elif len(match.group(1)) != item_indent:
                    raise _Fallback
                pending_items.append(_matched_plain(match.group(2)))
                continue
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        indent = len(line) - len(stripped)
        if stripped[0] == "-" and stripped[1:2] in (" ", "") and pending_items is not None:
            if item_indent == -1:
                item_indent = indent
            elif indent != item_indent:
                raise _Fallback
            item = stripped[2:].strip(" ")
            if not item or item[0] == "[" or (": " in item and item[0] not in "'\"") or item.endswith(":"):
                raise _Fallback
            pending_items.append(_scalar(item))
            continue
        if indent or line[:1] == "\t":
            raise _Fallback
        pending_items = None
        colon = stripped.find(":")
        if colon <= 0:
            raise _Fallback
        key = stripped[:colon]
        rest = stripped[colon + 1 :]
        if not _KEY.match(key) or _resolve_tag(key) != _STR or (rest and rest[0] not in " \t") or key in result:
            raise _Fallback
        value = rest.strip(" \t")
        if not value or value[0] == "#":
            pending_items, item_indent = [], -1
            result[key] = pending_items
            blocks.append(key)
            continue
        result[key] = _flow_sequence(value) if value[0] == "[" else _scalar(value)
    # A key with nothing below it is null, not an empty list.
    for key in blocks:
        if not result[key] and _empty_block(text, key):
            result[key] = None
    return result


def _empty_block(text: str, key: str) -> bool:
    """True when ``key:`` had no inline value (so an empty result means null, not [])."""
    pattern = re.compile(rf"^{re.escape(key)}:[ \t]*(#.*)?\r?$", re.M)
    return bool(pattern.search(text))


def _jsonable(value: Any, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise FrontmatterYAMLError(
            f"frontmatter expands to more than {MAX_VALUES} values (YAML aliases?); keep it small and flat"
        )
    if depth > MAX_DEPTH:
        raise FrontmatterYAMLError(f"frontmatter is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v, budget, depth + 1) for v in value]
    # Only PyYAML makes bytes and dates (and has imported datetime by then): the hooks' fast path
    # never gets here, so neither module is imported at start.
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def load_frontmatter(text: str) -> dict[str, Any]:
    """Parse frontmatter text into a JSON-compatible dict; raise FrontmatterYAMLError."""
    try:
        return _fast_load(text)
    except _Fallback:
        pass
    return _load_with_pyyaml(text)


def _load_with_pyyaml(text: str) -> dict[str, Any]:
    import yaml

    try:
        for _ in range(MAX_REPAIRS):
            try:
                data = yaml.load(text, Loader=loader())
                break
            except yaml.MarkedYAMLError as exc:
                repaired = quoted_repair_text(text, exc)
                if repaired is None:
                    raise
                text = repaired
        else:
            data = yaml.load(text, Loader=loader())
    except yaml.MarkedYAMLError as exc:  # positions in ``text`` as repaired: only quotes were added, no lines
        line, column, where = marked(text, exc.problem_mark or exc.context_mark, exc.context_mark)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = quoting_hint(problem, text, exc.problem_mark or exc.context_mark)
        message = f"invalid YAML in frontmatter: {problem} ({where}){hint}"
        raise FrontmatterYAMLError(message, line, column) from None
    except yaml.YAMLError as exc:
        raise FrontmatterYAMLError(f"invalid YAML in frontmatter: {exc}") from None
    except RecursionError:
        raise FrontmatterYAMLError(f"frontmatter is nested deeper than {MAX_DEPTH} levels") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontmatterYAMLError(f"frontmatter must be a mapping of `key: value` lines, not a {type(data).__name__}")
    result = _jsonable(data, [MAX_VALUES], 0)
    assert isinstance(result, dict)
    return result
