"""Every place a text sets a git field, rewritten to Git's value, and the result checked.

A frontmatter can set a key more than once (the mirror and PyYAML take the last), through a
quoted, tagged or escaped spelling, a complex key (``? status``), a flow mapping, a merge key or
an alias; an agent-layout file through a second ``Status:`` line or ``## State`` section. The
guard rewrites every occurrence it can rewrite in place, refuses the rest (``GitFieldViolation``)
and reads the result as the mirror and PyYAML's pure-Python loader do before it is written.
Most texts carry each field once on a plain line: a substring test settles those without a parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentsync.artifact import (
    _STATE_SECTION,
    _STATUS_LINE,
    LAYOUT_AGENT,
    LAYOUT_FRONTMATTER,
    Artifact,
    FrontmatterSpan,
    find_frontmatter,
    parse_text,
)
from agentsync.errors import NOT_SET, AgentsyncError, GitFieldViolation
from agentsync.frontmatter_edit import (
    _line_ending,
    _render_flow_item,
    is_agent_layout,
    remove_field,
    render_scalar,
    set_field,
)
from agentsync.yamlload import (
    _SIMPLE_LINE,
    MAX_VALUES,
    FrontmatterYAMLError,
    _Fallback,
    _fast_load,
    _flow_sequence,
    _jsonable,
    _scalar,
    loader,
    pure_loader,
)

Values = dict[str, Any]
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BY_MERGE = "through a merge key (<<)"
_BETWEEN = re.compile(r"[ \t\r\n]*:[ \t\r\n]*")  # from a key's end to its value's start
_KEY_PREFIX = re.compile(r"[ \t]*(?:\?[ \t]*)?")  # what may stand before a key on its line
_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")  # what ends a line for YAML
_LINE_REST = re.compile("[ \t]*(?:#[^\r\n\x85\u2028\u2029]*)?(?:\r\n|[\r\n\x85\u2028\u2029]|\\Z)")
_KEY_COLON = re.compile(r"[ \t]*:")
_ODD_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")  # line breaks for YAML that str.find("\\n") misses
# A frontmatter that is not a block mapping (a flow mapping, a tagged or anchored root...).
_NOT_BLOCK_ROOT = re.compile(r"(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*[ \t]*[\[{!&*|>%@]")
_ANCHORED = re.compile(r"(?:![^ \t\r\n]*[ \t]+)?&")


@dataclass(frozen=True)
class Carrier:
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


class _Unsafe(Exception):
    """A field set in a way that cannot be rewritten safely."""

    def __init__(self, how: str, value: Any = NOT_SET, count: int = 1) -> None:
        super().__init__(how)
        self.how, self.value, self.count = how, value, count


def effective(artifact: Artifact, names: Iterable[str]) -> Values:
    """The git fields as the mirror reads them (an agent-layout status line counts as ``status``)."""
    values: Values = {}
    for name in names:
        if name in artifact.fields:
            values[name] = artifact.fields[name]
        elif name == "status" and artifact.status is not None:
            values[name] = artifact.status
    return values


def key_places(yaml_text: str, name: str) -> int | None:
    """Cheap: how many lines could set ``name`` (a plain ``name:`` at the start of a line), or None
    when some other spelling might (an escape, a quoted, complex or indented key, a flow mapping...).
    Every other occurrence must sit in the value of a plain ``key: value`` line, or in a comment."""
    if "\\" in yaml_text or ((not yaml_text.isascii() or "\r" in yaml_text) and _ODD_BREAK.search(yaml_text)):
        return None
    places = 0
    at = yaml_text.find(name)
    while at != -1:
        line_start = yaml_text.rfind("\n", 0, at) + 1
        line_end = yaml_text.find("\n", at)
        line = yaml_text[line_start : len(yaml_text) if line_end == -1 else line_end]
        if line[-1:] == "\r":
            line = line[:-1]
        if at == line_start and _KEY_COLON.match(line, len(name)):
            if not _self_contained(line) or _NOT_BLOCK_ROOT.match(yaml_text):
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


def enforce_artifact(
    artifact: Artifact, expected: Values, names: Iterable[str], source: str = ""
) -> tuple[str, Values]:
    """The artifact's text with every git field as ``expected`` has it (absent: left out), and
    what the text offered instead, by field; raise GitFieldViolation when that cannot be done."""
    names = tuple(names)
    offered = effective(artifact, names)
    if all(offered.get(n, NOT_SET) == expected.get(n, NOT_SET) for n in names) and _settled(artifact, names, expected):
        return artifact.content, {}
    return rewrite_fields(artifact.path, artifact.content, expected, names, artifact.type, source, offered)


def rewrite_fields(
    path: str, text: str, expected: Values, names: Iterable[str], type_name: str = "", source: str = "",
    offered: Values | None = None,
) -> tuple[str, Values]:  # fmt: skip
    """``text`` with every carrier of each git field rewritten to ``expected`` (or left out), then
    verified; also what the text held instead, by field. Raise GitFieldViolation if it cannot be."""
    names = tuple(names)
    tried: Values = {}
    for name in names:
        want = expected.get(name, NOT_SET)
        try:
            have = offered.get(name, NOT_SET) if offered is not None else None
            text, value = _rewrite_one(text, name, want, have)
        except _Unsafe as exc:
            how = exc.how if exc.count < 2 else _times(exc.count) + (f", one {exc.how}" if exc.how else "")
            held = exc.value if exc.value is not NOT_SET or offered is None else offered.get(name, NOT_SET)
            raise GitFieldViolation(path, name, held, want, how, source) from None
        if value is not _SAME:
            tried[name] = value
            offered = None  # the text changed: what the mirror read no longer describes it
    verify(path, text, expected, names, type_name, source)
    return text, tried


def text_values(text: str, names: Iterable[str]) -> Values:
    """The git fields of any text as the mirror reads them ({} if it does not parse)."""
    try:
        return effective(parse_text("text.md", text, "", ""), names)
    except AgentsyncError:
        return {}


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _settled(artifact: Artifact, names: tuple[str, ...], expected: Values) -> bool:
    """True when every reader already finds each field as the mirror did (no other carrier)."""
    if artifact.layout == LAYOUT_FRONTMATTER:
        head = artifact.content[: artifact.body_offset]
        if all(single_carrier(head, name) for name in names):
            return True
        span = find_frontmatter(artifact.content)
        assert span is not None
        yaml_text = artifact.content[span.start : span.end]
        try:
            _fast_load(yaml_text)  # flat, unique, plain keys: PyYAML reads just the same
            return True
        except _Fallback:
            pass
        try:
            found = {name: yaml_carriers(yaml_text, name, 0)[0] for name in names}
        except _Unsafe:
            return False
        return all(c.value == expected.get(name, NOT_SET) for name, carriers in found.items() for c in carriers)
    if artifact.layout == LAYOUT_AGENT and "status" in names:
        want = expected.get("status", NOT_SET)
        return all(want is not NOT_SET and c.value == str(want) for c in agent_carriers(artifact.content))
    return True


_SAME: Any = object()  # nothing was rewritten


def _rewrite_one(text: str, name: str, want: Any, have: Any = None) -> tuple[str, Any]:
    """``text`` with every carrier of ``name`` rewritten to ``want``; also what it held before.
    ``have`` is the value the mirror read from ``text`` (NOT_SET: absent), if the caller knows it."""
    span = find_frontmatter(text)
    if span is not None:
        yaml_text = text[span.start : span.end]
        places = key_places(yaml_text, name)
        if have is None or places is None or places > 1 or (places == 1) != (have is not NOT_SET):
            try:
                have = _fast_load(yaml_text).get(name, NOT_SET)
            except _Fallback:
                carriers, flow = yaml_carriers(yaml_text, name, span.start)
                return _rewrite_yaml(text, span, name, want, carriers, flow)
        if have == want:
            return text, _SAME
        return (remove_field(text, name) if want is NOT_SET else set_field(text, name, want)), have
    if name == "status" and is_agent_layout(text):
        return _rewrite_agent(text, want)
    if want is NOT_SET:
        return text, _SAME
    return set_field(text, name, want), NOT_SET


def _rewrite_yaml(
    text: str, span: FrontmatterSpan, name: str, want: Any, carriers: list[Carrier], flow: bool
) -> tuple[str, Any]:
    edits: list[tuple[int, int, str]] = []
    wrong = [c for c in carriers if c.value != want]
    explicit = [c for c in carriers if c.how != _BY_MERGE]
    count = len(carriers)
    if want is NOT_SET:
        for c in carriers:
            if c.line_start < 0:
                raise _Unsafe(c.how or "in a way that cannot be left out", c.value, count)
            edits.append((c.line_start, c.line_end, ""))
    else:
        for c in wrong:
            if c.how == _BY_MERGE:
                continue  # an explicit key (rewritten, or added below) overrides what a merge brings
            if c.start < 0:
                raise _Unsafe(c.how, c.value, count)
            edits.append((c.start, c.end, _rendered(want, c)))
        if not explicit:
            if flow:
                raise _Unsafe("in a flow mapping", wrong[0].value if wrong else NOT_SET, count)
            eol = _line_ending(text, span.opening)
            edits.append((span.end, span.end, f"{name}: {render_scalar(want)}{eol}"))
    if not edits:
        return text, _SAME
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, wrong[0].value if wrong else NOT_SET


def _rendered(value: Any, carrier: Carrier) -> str:
    if carrier.flow and carrier.style == "plain":
        rendered = _render_flow_item(value)
    else:
        rendered = render_scalar(value, carrier.style)
    if "\n" in rendered or "\r" in rendered:
        raise _Unsafe("with a value that cannot be written on one line", carrier.value)
    return (" " + rendered) if carrier.start == carrier.end else rendered


def yaml_carriers(yaml_text: str, name: str, offset: int) -> tuple[list[Carrier], bool]:
    """Every top-level key of a frontmatter that sets ``name``, composed by the mirror's own loader
    (positions plus ``offset``), and whether it is a flow mapping; raise _Unsafe if it does not parse."""
    import yaml

    # libyaml does not count a leading BOM in its positions; the pure-Python loader does.
    composer = (pure_loader() if yaml_text[:1] == "\ufeff" else loader())(yaml_text)
    try:
        root = composer.get_single_node()
        if root is None:
            return [], False
        if not isinstance(root, yaml.MappingNode):
            raise _Unsafe("in a frontmatter that is not a mapping")
        found: list[Carrier] = []
        for key, value in root.value:
            if key.tag == _MERGE_TAG:
                found.extend(_merged(composer, value, name))
            elif str(composer.construct_object(key, deep=True)) == name:
                found.append(_carrier(yaml_text, offset, name, key, value, bool(root.flow_style), composer))
        return found, bool(root.flow_style)
    except (yaml.YAMLError, FrontmatterYAMLError, RecursionError, TypeError):
        raise _Unsafe("in a frontmatter that does not parse") from None
    finally:
        composer.dispose()


def _merged(loader: Any, value: Any, name: str) -> list[Carrier]:
    import yaml

    sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
    found = []
    for source in sources:
        mapping = loader.construct_object(source, deep=True)
        for key, item in mapping.items() if isinstance(mapping, dict) else ():
            if str(key) == name:
                found.append(Carrier(_jsonable(item, [MAX_VALUES], 0), _BY_MERGE))
    return found


def _carrier(text: str, offset: int, name: str, key: Any, value: Any, flow: bool, loader: Any) -> Carrier:
    import yaml

    got = _jsonable(loader.construct_object(value, deep=True), [MAX_VALUES], 0)
    ks, ke, vs, ve = key.start_mark.index, key.end_mark.index, value.start_mark.index, value.end_mark.index
    line_start = max(text.rfind(brk, 0, ks) for brk in _BREAKS) + 1
    how = _how(text, name, ks, ke, line_start, flow)
    in_place = vs >= ke and _BETWEEN.fullmatch(text, ke, vs) is not None
    if not in_place or _ANCHORED.match(text, vs, ve):
        return Carrier(got, "through an anchor or alias")
    if not isinstance(value, yaml.ScalarNode) or value.start_mark.line != value.end_mark.line:
        return Carrier(got, how or "with a value on several lines")
    style = value.style if value.style in ("'", '"') else "plain"
    rest = _LINE_REST.match(text, ve)
    if flow or rest is None or _KEY_PREFIX.fullmatch(text, line_start, ks) is None:
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


def agent_carriers(text: str) -> list[Carrier]:
    """The ``Status:`` lines and ``## State`` sections of an agent-layout file, in order (the
    mirror reads the first line, else the first section; another reader may take any)."""
    lines = [
        Carrier(m.group(1), "by a second Status line", m.start(1), m.end(1), m.start(), _past_eol(text, m.end()))
        for m in _STATUS_LINE.finditer(text)
    ]
    sections = [
        Carrier(m.group(1), "by a ## State section", m.start(1), m.end(1), m.start(), _past_eol(text, m.end()))
        for m in _STATE_SECTION.finditer(text)
        if not any(m.start(1) <= c.start < m.end(1) for c in lines)  # "## State\n\nStatus: X": that line
    ]
    return sorted(lines + sections, key=lambda c: c.start)


def _past_eol(text: str, at: int) -> int:
    return at + 2 if text[at : at + 2] == "\r\n" else at + 1 if text[at : at + 1] == "\n" else at


def _rewrite_agent(text: str, want: Any) -> tuple[str, Any]:
    carriers = agent_carriers(text)
    if want is not NOT_SET and not carriers:
        return set_field(text, "status", want), NOT_SET
    wrong = [c for c in carriers if want is NOT_SET or c.value != str(want)]
    if not wrong:
        return text, _SAME
    rendered = str(want)
    if want is not NOT_SET and ("\n" in rendered or "\r" in rendered):
        raise _Unsafe("with a value that cannot be written on one line", wrong[0].value, len(carriers))
    for c in sorted(wrong, key=lambda c: c.start, reverse=True):
        if want is NOT_SET:
            text = text[: c.line_start] + text[c.line_end :]
        else:
            text = text[: c.start] + rendered + text[c.end :]
    return text, wrong[0].value


def verify(path: str, text: str, expected: Values, names: Iterable[str], type_name: str = "", source: str = "") -> None:
    """Raise GitFieldViolation unless every reader of ``text`` finds each git field as ``expected``
    has it: the mirror's own parse, PyYAML's pure-Python loader, every agent-layout status carrier."""
    names = tuple(names)
    span = find_frontmatter(text)
    if span is not None:
        _verify_yaml(path, text[span.start : span.end], expected, names, source)
        return
    artifact = parse_text(path, text, type_name, "")  # without frontmatter nothing fails to parse
    got = effective(artifact, names)
    for name in names:
        if got.get(name, NOT_SET) != expected.get(name, NOT_SET):
            raise GitFieldViolation(path, name, got.get(name, NOT_SET), expected.get(name, NOT_SET), "", source)
    if artifact.layout == LAYOUT_AGENT and "status" in names:
        want = expected.get("status", NOT_SET)
        for c in agent_carriers(text):
            if want is NOT_SET or c.value != str(want):
                raise GitFieldViolation(path, "status", c.value, want, c.how, source)


def _verify_yaml(path: str, yaml_text: str, expected: Values, names: tuple[str, ...], source: str) -> None:
    if all(key_places(yaml_text, n) == 0 and n not in expected for n in names):
        return  # no line can set any of them: absent for every reader, as Git has it
    try:
        readings: list[Values | None] = [_fast_load(yaml_text)]  # the mirror's fast path, which agrees with PyYAML
    except _Fallback:
        readings = [_read(yaml_text, loader()), _read(yaml_text, pure_loader())]
    for read in readings:
        if read is None:
            continue  # a reader that cannot read it is misled by nothing (the pure loader refuses some tabs)
        for name in names:
            if read.get(name, NOT_SET) != expected.get(name, NOT_SET):
                how = "" if read is readings[0] else "as PyYAML's pure-Python loader reads it"
                raise GitFieldViolation(path, name, read.get(name, NOT_SET), expected.get(name, NOT_SET), how, source)
    if readings[0] is None:
        raise GitFieldViolation(path, names[0], NOT_SET, expected.get(names[0], NOT_SET),
                                "(its frontmatter does not parse)", source)  # fmt: skip


def _read(yaml_text: str, yaml_loader: Any) -> Values | None:
    """The frontmatter as one of PyYAML's loaders reads it (None: it cannot), values made JSON-like."""
    import yaml

    try:
        data = yaml.load(yaml_text, Loader=yaml_loader)
        return _jsonable(data, [MAX_VALUES], 0) if isinstance(data, dict) else {} if data is None else None
    except (yaml.YAMLError, FrontmatterYAMLError, RecursionError):
        return None
