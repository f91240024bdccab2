"""Every place a text sets a git field, rewritten to Git's value, and the result checked.

A frontmatter can set a key more than once (the mirror and PyYAML take the last), through a
quoted, tagged or escaped spelling, a complex key (``? status``), a flow mapping, a merge key or
an alias; a file in another format through a second ``Status:`` line, ``## State`` section or bullet. The
guard rewrites every occurrence it can rewrite in place, refuses the rest (``GitFieldViolation``)
and reads the result as the mirror and PyYAML's pure-Python loader do before it is written.
Most texts carry each field once on a plain line: a substring test settles those without a parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agentsync.artifact import LAYOUT_FRONTMATTER, Artifact, FrontmatterSpan, find_frontmatter, parse_text
from agentsync.errors import NOT_SET, AgentsyncError, FrontmatterYAMLError, GitFieldViolation
from agentsync.formats.base import Place, replaced
from agentsync.frontmatter_edit import (
    _line_ending,
    _render_flow_item,
    remove_field,
    render_scalar,
    set_field,
)
from agentsync.gitfield_carriers import (
    BY_MERGE,
    Carrier,
    Unsafe,
    format_carriers,
    key_places,
    single_carrier,
    yaml_carriers,
)
from agentsync.yamlload import MAX_VALUES, _Fallback, _fast_load, _jsonable, load_frontmatter, pure_loader

Values = dict[str, Any]


def effective(artifact: Artifact, names: Iterable[str]) -> Values:
    """The git fields as the mirror reads them (an agent-layout status line counts as ``status``)."""
    values: Values = {}
    for name in names:
        if name in artifact.fields:
            values[name] = artifact.fields[name]
        elif name == "status" and artifact.status is not None:
            values[name] = artifact.status
    return values


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
            text, value = _rewrite_one(text, name, want, have, path)
        except Unsafe as exc:
            how = exc.how if exc.count < 2 else _times(exc.count) + (f", one {exc.how}" if exc.how else "")
            held = exc.value if exc.value is not NOT_SET or offered is None else offered.get(name, NOT_SET)
            raise GitFieldViolation(path, name, held, want, how, source) from None
        if value is not _SAME:
            tried[name] = value
            offered = None  # the text changed: what the mirror read no longer describes it
    verify(path, text, expected, names, type_name, source)
    return text, tried


def text_values(text: str, names: Iterable[str], path: str = "text.md") -> Values:
    """The git fields of any text as the mirror reads them ({} if it does not parse)."""
    try:
        return effective(parse_text(path, text, "", ""), names)
    except AgentsyncError:
        return {}


def carried_as_in(path: str, text: str, head: str, names: Iterable[str]) -> bool:
    """Whether every place ``text`` sets each git field carries, in order, the value ``head`` (HEAD's
    text of the file) has at its place: then every value in it came from Git, whatever the mirror
    reads of it (a file with two ``## State`` sections that disagree, committed so)."""
    for name in names:
        try:
            if _carrier_values(path, text, name) != _carrier_values(path, head, name):
                return False
        except Unsafe:
            return False
    return True


def _carrier_values(path: str, text: str, name: str) -> list[Any]:
    span = _frontmatter(path, text)
    if span is None:
        return [c.value for c in format_carriers(path, text, name)]
    return [c.value for c in yaml_carriers(text[span.start : span.end], name, 0)[0]]


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
        except Unsafe:
            return False
        return all(c.value == expected.get(name, NOT_SET) for name, carriers in found.items() for c in carriers)
    for name in names:  # another format: each place that sets a field must already carry Git's value
        want = expected.get(name, NOT_SET)
        carriers = format_carriers(artifact.path, artifact.content, name)
        if not all(want is not NOT_SET and c.value == str(want) for c in carriers):
            return False
    return True


_SAME: Any = object()  # nothing was rewritten


def _frontmatter(path: str, text: str) -> FrontmatterSpan | None:
    """The frontmatter of a Markdown text (a YAML file's ``---`` lines are no frontmatter)."""
    return None if path.endswith((".yaml", ".yml")) else find_frontmatter(text)


def _rewrite_one(text: str, name: str, want: Any, have: Any = None, path: str = "") -> tuple[str, Any]:
    """``text`` with every carrier of ``name`` rewritten to ``want``; also what it held before.
    ``have`` is the value the mirror read from ``text`` (NOT_SET: absent), if the caller knows it."""
    span = _frontmatter(path, text)
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
    carriers = format_carriers(path, text, name)
    if carriers:
        return _rewrite_places(text, want, carriers)
    if want is NOT_SET:
        return text, _SAME
    return set_field(text, name, want, path), NOT_SET


def _rewrite_yaml(
    text: str, span: FrontmatterSpan, name: str, want: Any, carriers: list[Carrier], flow: bool
) -> tuple[str, Any]:
    edits: list[tuple[int, int, str]] = []
    wrong = [c for c in carriers if c.value != want]
    explicit = [c for c in carriers if c.how != BY_MERGE]
    count = len(carriers)
    if want is NOT_SET:
        for c in carriers:
            if c.line_start < 0:
                raise Unsafe(c.how or "in a way that cannot be left out", c.value, count)
            edits.append((c.line_start, c.line_end, ""))
    else:
        for c in wrong:
            if c.how == BY_MERGE:
                continue  # an explicit key (rewritten, or added below) overrides what a merge brings
            if c.start < 0:
                raise Unsafe(c.how, c.value, count)
            edits.append((c.start, c.end, _rendered(want, c)))
        if not explicit:
            if flow:
                raise Unsafe("in a flow mapping", wrong[0].value if wrong else NOT_SET, count)
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
        raise Unsafe("with a value that cannot be written on one line", carrier.value)
    return (" " + rendered) if carrier.start == carrier.end else rendered


def _rewrite_places(text: str, want: Any, carriers: list[Carrier]) -> tuple[str, Any]:
    """Each place another format sets a field, set to ``want`` in place (or its lines left out)."""
    wrong = [c for c in carriers if want is NOT_SET or c.value != str(want)]
    if not wrong:
        return text, _SAME
    rendered = str(want)
    if want is not NOT_SET and ("\n" in rendered or "\r" in rendered):
        raise Unsafe("with a value that cannot be written on one line", wrong[0].value, len(carriers))
    for c in sorted(wrong, key=lambda c: c.start, reverse=True):
        if want is NOT_SET:
            text = text[: c.line_start] + text[c.line_end :]
        else:  # as the format writes it (a bold status phrase: the line's whole value where it must)
            text = replaced(text, Place(c.value, c.start, c.end, c.line_start, c.line_end, c.how), rendered)
    return text, wrong[0].value


def verify(path: str, text: str, expected: Values, names: Iterable[str], type_name: str = "", source: str = "") -> None:
    """Raise GitFieldViolation unless every reader of ``text`` finds each git field as ``expected``
    has it: the mirror's own parse, PyYAML's pure-Python loader, every agent-layout status carrier."""
    names = tuple(names)
    span = _frontmatter(path, text)
    if span is not None:
        _verify_yaml(path, text[span.start : span.end], expected, names, source)
        return
    artifact = parse_text(path, text, type_name, "")  # without frontmatter nothing fails to parse
    got = effective(artifact, names)
    for name in names:
        if got.get(name, NOT_SET) != expected.get(name, NOT_SET):
            raise GitFieldViolation(path, name, got.get(name, NOT_SET), expected.get(name, NOT_SET), "", source)
    for name in names:
        want = expected.get(name, NOT_SET)
        for c in format_carriers(path, text, name):
            if want is NOT_SET or c.value != str(want):
                raise GitFieldViolation(path, name, c.value, want, c.how, source)


def _verify_yaml(path: str, yaml_text: str, expected: Values, names: tuple[str, ...], source: str) -> None:
    if all(key_places(yaml_text, n) == 0 and n not in expected for n in names):
        return  # no line can set any of them: absent for every reader, as Git has it
    try:
        readings: list[Values | None] = [_fast_load(yaml_text)]  # the mirror's fast path, which agrees with PyYAML
    except _Fallback:
        readings = [_mirror_read(yaml_text), _read(yaml_text, pure_loader())]
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


def _mirror_read(yaml_text: str) -> Values | None:
    """The frontmatter as the mirror reads it (None: it cannot), a value YAML reserves the start of
    (``reporter: @name``) read as written: a reader that cannot read it at all is misled by nothing."""
    try:
        return load_frontmatter(yaml_text)
    except FrontmatterYAMLError:
        return None


def _read(yaml_text: str, yaml_loader: Any) -> Values | None:
    """The frontmatter as one of PyYAML's loaders reads it (None: it cannot), values made JSON-like."""
    import yaml

    try:
        data = yaml.load(yaml_text, Loader=yaml_loader)
        return _jsonable(data, [MAX_VALUES], 0) if isinstance(data, dict) else {} if data is None else None
    except (yaml.YAMLError, FrontmatterYAMLError, RecursionError):
        return None
