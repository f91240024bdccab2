"""Where a text sets a git field: every place, or a cheap proof that there is only one.

``key_places`` settles the usual frontmatter (one plain ``status:`` line, the word elsewhere only
inside plain values or comments) with string operations; ``yaml_carriers`` finds every top-level
key that sets the field as the mirror's own YAML loader composes it, with the positions needed to
rewrite it in place; ``format_carriers`` lists where another format sets a field (``Status:``
lines, ``## State`` sections, a YAML file's keys). ``gitfield_check`` rewrites and verifies with them.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from agentsync import formats
from agentsync.errors import NOT_SET, FrontmatterYAMLError
from agentsync.yamlerrors import MAX_REPAIRS, Repair, original_index, quoted_repair
from agentsync.yamlload import (
    _SIMPLE_LINE,
    MAX_VALUES,
    _Fallback,
    _flow_sequence,
    _jsonable,
    _scalar,
    loader,
    pure_loader,
)

_MERGE_TAG = "tag:yaml.org,2002:merge"
BY_MERGE = "through a merge key (<<)"
_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")  # what ends a line for YAML
_PATTERNS = {  # compiled at the first use (_rx): a hook that checks or writes no git field needs none
    "between": r"[ \t\r\n]*:[ \t\r\n]*",  # from a key's end to its value's start
    "key_prefix": r"[ \t]*(?:\?[ \t]*)?",  # what may stand before a key on its line
    "line_rest": "[ \t]*(?:#[^\r\n\x85\u2028\u2029]*)?(?:\r\n|[\r\n\x85\u2028\u2029]|\\Z)",
    "key_colon": r"[ \t]*:",
    "odd_break": "\r(?!\n)|[\x85\u2028\u2029]",  # line breaks for YAML that str.find("\\n") misses
    # A frontmatter that is not a block mapping (a flow mapping, a tagged or anchored root...).
    "not_block_root": r"(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*[ \t]*[\[{!&*|>%@]",
    "anchored": r"(?:![^ \t\r\n]*[ \t]+)?&",
}


@functools.cache
def _rx(name: str) -> re.Pattern[str]:
    return re.compile(_PATTERNS[name])


class Carrier(NamedTuple):  # a record; a NamedTuple costs a hook far less to define than a dataclass
    """One place a text sets a field: its value, how (for messages), where its value and its
    lines are (-1: that cannot be rewritten, or left out, in place)."""

    value: Any
    how: str = ""
    start: int = -1
    end: int = -1
    line_start: int = -1
    line_end: int = -1
    style: str = "plain"
    flow: bool = False


class Unsafe(Exception):
    """A field set in a way that cannot be rewritten safely."""

    def __init__(self, how: str, value: Any = NOT_SET, count: int = 1) -> None:
        super().__init__(how)
        self.how, self.value, self.count = how, value, count


def key_places(yaml_text: str, name: str) -> int | None:
    """Cheap: how many lines could set ``name`` (a plain ``name:`` at the start of a line), or None
    when some other spelling might (an escape, a quoted, complex or indented key, a flow mapping...).
    Every other occurrence must sit in the value of a plain ``key: value`` line, or in a comment."""
    if "\\" in yaml_text or ((not yaml_text.isascii() or "\r" in yaml_text) and _rx("odd_break").search(yaml_text)):
        return None
    places = 0
    at = yaml_text.find(name)
    while at != -1:
        line_start = yaml_text.rfind("\n", 0, at) + 1
        line_end = yaml_text.find("\n", at)
        line = yaml_text[line_start : len(yaml_text) if line_end == -1 else line_end]
        if line[-1:] == "\r":
            line = line[:-1]
        if at == line_start and _rx("key_colon").match(line, len(name)):
            if not _self_contained(line) or _rx("not_block_root").match(yaml_text):
                return None  # an anchor, an alias, a block scalar, a flow mapping...: only a parse can tell
            places += 1
        elif line[:1] != "#":
            simple = _SIMPLE_LINE.match(line)
            if simple is None or simple.group(1) == name or at - line_start < simple.start(2):
                return None
            if ": " in simple.group(2) or ":\t" in simple.group(2):
                return None
        at = yaml_text.find(name, at + len(name))
    return places


def _self_contained(line: str) -> bool:
    """A ``key: value`` line whose value ends on it and is nothing but a scalar or a flat list (or
    is empty: a block list follows, or null): rewriting or dropping it touches nothing else."""
    word = line[line.index(":") + 1 :].strip(" \t")
    if word.replace("_", "").replace("-", "").isalnum() and word[0] != "-":
        return True  # the usual case, a bare word: IN_PROGRESS, draft, 3
    simple = _SIMPLE_LINE.match(line)
    if simple is not None:
        return ": " not in simple.group(2) and ":\t" not in simple.group(2)
    rest = line[line.index(":") + 1 :].strip(" \t")
    if not rest or rest[0] == "#":
        return True
    try:
        (_flow_sequence if rest[0] == "[" else _scalar)(rest)
    except _Fallback:
        return False
    return True


def single_carrier(yaml_text: str, name: str) -> bool:
    """Cheap and sufficient: at most one line can set ``name``, so every YAML reader finds the same
    value there (or none) as the mirror's parse did."""
    places = key_places(yaml_text, name)
    return places is not None and places <= 1


def yaml_carriers(yaml_text: str, name: str, offset: int) -> tuple[list[Carrier], bool]:
    """Every top-level key of a frontmatter that sets ``name``, composed by the mirror's own loader
    (positions plus ``offset``), and whether it is a flow mapping; raise Unsafe if it does not parse.
    A plain value YAML has no other meaning for (one starting with ``@`` or a backquote, a list's item holding
    ``: ``) is read as written, as the mirror reads it (``yamlerrors.quoted_repair``): composed quoted, its
    positions mapped back to the text."""
    import yaml

    text, repairs = yaml_text, list[Repair]()
    for _ in range(MAX_REPAIRS + 1):
        try:
            found, flow = _composed_carriers(text, name)
            break
        except yaml.MarkedYAMLError as exc:
            repaired = quoted_repair(text, exc) if len(repairs) < MAX_REPAIRS else None
            if repaired is None:
                raise Unsafe("in a frontmatter that does not parse") from None
            text = repaired[0]
            repairs.append(repaired[1])
    return [_placed(carrier, offset, repairs) for carrier in found], flow


def _composed_carriers(text: str, name: str) -> tuple[list[Carrier], bool]:
    """``yaml_carriers`` of ``text`` as PyYAML composes it, positions in ``text``; PyYAML's own
    errors (marked, for a repair) pass through, any other reason it cannot be read is Unsafe."""
    import yaml

    # libyaml does not count a leading BOM in its positions; the pure-Python loader does.
    composer = (pure_loader() if text[:1] == "\ufeff" else loader())(text)
    try:
        root = composer.get_single_node()
        if root is None:
            return [], False
        if not isinstance(root, yaml.MappingNode):
            raise Unsafe("in a frontmatter that is not a mapping")
        found: list[Carrier] = []
        for key, value in root.value:
            if key.tag == _MERGE_TAG:
                found.extend(_merged(composer, value, name))
            elif str(composer.construct_object(key, deep=True)) == name:
                found.append(_carrier(text, 0, name, key, value, bool(root.flow_style), composer))
        return found, bool(root.flow_style)
    except yaml.MarkedYAMLError:
        raise
    except (yaml.YAMLError, FrontmatterYAMLError, RecursionError, TypeError):
        raise Unsafe("in a frontmatter that does not parse") from None
    finally:
        composer.dispose()


def _placed(carrier: Carrier, offset: int, repairs: list[Repair]) -> Carrier:
    """``carrier`` with its positions in the text as written, plus ``offset``; a value that was itself
    quoted to be read cannot be rewritten in place (-1)."""
    placed: list[int] = []
    for spot in (carrier.start, carrier.end, carrier.line_start, carrier.line_end):
        at = spot if spot < 0 else original_index(spot, repairs)
        if at is None:
            return carrier._replace(how=carrier.how or "with a value read as quoted", start=-1, end=-1,
                                    line_start=-1, line_end=-1)  # fmt: skip
        placed.append(at if at < 0 else at + offset)
    start, end, line_start, line_end = placed
    return carrier._replace(start=start, end=end, line_start=line_start, line_end=line_end)


def _merged(loader: Any, value: Any, name: str) -> list[Carrier]:
    import yaml

    sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
    found = []
    for source in sources:
        mapping = loader.construct_object(source, deep=True)
        for key, item in mapping.items() if isinstance(mapping, dict) else ():
            if str(key) == name:
                found.append(Carrier(_jsonable(item, [MAX_VALUES], 0), BY_MERGE))
    return found


def _carrier(text: str, offset: int, name: str, key: Any, value: Any, flow: bool, loader: Any) -> Carrier:
    import yaml

    got = _jsonable(loader.construct_object(value, deep=True), [MAX_VALUES], 0)
    ks, ke, vs, ve = key.start_mark.index, key.end_mark.index, value.start_mark.index, value.end_mark.index
    line_start = max(text.rfind(brk, 0, ks) for brk in _BREAKS) + 1
    how = _how(text, name, ks, ke, line_start, flow)
    in_place = vs >= ke and _rx("between").fullmatch(text, ke, vs) is not None
    if not in_place or _rx("anchored").match(text, vs, ve):
        return Carrier(got, "through an anchor or alias")
    if not isinstance(value, yaml.ScalarNode) or value.start_mark.line != value.end_mark.line:
        return Carrier(got, how or "with a value on several lines")
    style = value.style if value.style in ("'", '"') else "plain"
    rest = _rx("line_rest").match(text, ve)
    if flow or rest is None or _rx("key_prefix").fullmatch(text, line_start, ks) is None:
        return Carrier(got, how, offset + vs, offset + ve, style=style, flow=flow)
    return Carrier(got, how, offset + vs, offset + ve, offset + line_start, offset + rest.end(), style, flow)


def _how(text: str, name: str, ks: int, ke: int, line_start: int, flow: bool) -> str:
    spelled = text[ks:ke]
    if flow:
        return "in a flow mapping"
    if "?" in text[line_start:ks]:
        return f"by a complex key (`? {name}`)"
    if spelled[:1] in ("'", '"'):
        return "by an escaped key" if "\\" in spelled else "by a quoted key"
    if spelled[:1] == "!":
        return "by a tagged key"
    if spelled != name or ks != line_start:
        return "by an unusual spelling of the key"
    if text[ke : ke + 1] in (" ", "\t"):
        return "by a key with a space before its colon"
    return ""


def format_carriers(path: str, text: str, name: str) -> list[Carrier]:
    """Every place a text without frontmatter sets ``name`` in its format (``## State`` sections,
    ``Status:`` lines, ``* Status:`` bullets, a YAML file's keys...), in order: the mirror reads
    the first, another reader may take any."""
    return [Carrier(p.value, f"by {p.how}", p.start, p.end, p.line_start, p.line_end)
            for p in formats.detect(path or "text.md", text).places(text, name)]  # fmt: skip
