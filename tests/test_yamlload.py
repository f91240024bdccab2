"""The fast frontmatter loader must agree with PyYAML on everything it accepts."""

from __future__ import annotations

import itertools
import string

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agentsync.errors import FrontmatterYAMLError
from agentsync.yamlload import _UNUSUAL, RESOLVERS, _Fallback, _fast_load, _unusual, load_frontmatter, loader


def pyyaml(text: str) -> object:
    return yaml.load(text, Loader=loader())


SCALARS = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _./@-]{0,15}", fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + " _-.:#'\"/@,[]{}!&*?|>%", min_size=0, max_size=20),
    st.sampled_from(["yes", "No", "true", "FALSE", "on", "null", "~", "0", "-1", "+3", "012", "0x1F", "1_000",
                     "1.5", ".inf", "1e3", "2026-03-07", "2026-09-03T12:27:00Z", "12:30", "<<", "=", "a: b",
                     "x #y", "C#", "- item", "'q'", '"d"', "[a, b]", "{a: 1}"]),
)  # fmt: skip
KEYS = st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True), st.sampled_from(["yes", "null", "1"]))


@st.composite
def frontmatter_texts(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(KEYS)
        kind = draw(st.sampled_from(["plain", "double", "single", "flow", "block", "empty", "comment"]))
        value = draw(SCALARS)
        if kind == "plain":
            lines.append(f"{key}: {value}")
        elif kind == "double":
            lines.append(f'{key}: "{value}"')
        elif kind == "single":
            lines.append(f"{key}: '{value}'")
        elif kind == "flow":
            items = draw(st.lists(SCALARS, max_size=3))
            lines.append(f"{key}: [{', '.join(items)}]")
        elif kind == "block":
            indent = draw(st.sampled_from(["", "  ", "    "]))
            items = draw(st.lists(SCALARS, min_size=0, max_size=3))
            lines.append(f"{key}:")
            lines.extend(f"{indent}- {item}" for item in items)
        elif kind == "empty":
            lines.append(f"{key}:")
        else:
            lines.append(f"# {value}")
        if draw(st.booleans()):
            lines[-1] += draw(st.sampled_from(["  # note", " #x", "\t# tab"]))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    trailing_newline = draw(st.booleans())
    return eol.join(lines) + (eol if lines and trailing_newline else "")


@settings(max_examples=600, deadline=None)
@given(frontmatter_texts())
def test_fast_path_agrees_with_pyyaml(text: str) -> None:
    try:
        expected = pyyaml(text)
    except yaml.YAMLError:
        expected = "error"
    try:
        fast = _fast_load(text)
    except _Fallback:
        return  # handed to PyYAML: agreement by construction
    assert expected != "error", f"fast path accepted what PyYAML rejects: {text!r}"
    assert fast == (expected or {}), text


def test_fast_path_takes_the_common_shapes() -> None:
    text = 'id: A-1\ntitle: "Quoted: yes"\nstatus: DRAFT  # set by review\nversion: 3\ntags: [a, b]\nlinks:\n  - X-1\n'
    assert _fast_load(text) == {
        "id": "A-1", "title": "Quoted: yes", "status": "DRAFT", "version": 3, "tags": ["a", "b"], "links": ["X-1"],
    }  # fmt: skip


def test_dates_stay_as_written() -> None:
    assert load_frontmatter("created: 2026-03-07\nupdated: 2026-09-03T12:27:00Z\n") == {
        "created": "2026-03-07",
        "updated": "2026-09-03T12:27:00Z",
    }
    assert load_frontmatter("nested:\n  when: 2026-03-07\n") == {"nested": {"when": "2026-03-07"}}


def test_alias_bomb_is_refused_quickly() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    names = "abcdefghij"
    for previous, name in itertools.pairwise(names):
        bomb += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    with pytest.raises(FrontmatterYAMLError, match="more than 10000 values"):
        load_frontmatter(bomb)


def test_invalid_yaml_reports_its_line() -> None:
    with pytest.raises(FrontmatterYAMLError) as caught:
        load_frontmatter("id: A\ntitle: [unclosed\nstatus: x\n")
    assert caught.value.line >= 1


def test_invalid_yaml_keeps_the_offending_character_and_column() -> None:
    with pytest.raises(FrontmatterYAMLError) as caught:
        load_frontmatter("id: A\ntitle: {x: @oops}\n")  # in a flow mapping: not read as written (see below)
    assert (caught.value.line, caught.value.column) == (1, 12)
    assert str(caught.value).endswith("(character '@' at column 12)")
    with pytest.raises(FrontmatterYAMLError) as caught:
        load_frontmatter("id: A\n\ttitle: x\n")
    assert "character '\\t' at column 1" in str(caught.value)
    with pytest.raises(FrontmatterYAMLError) as caught:
        load_frontmatter("id: 'A\n")  # unfinished at the end: where the value began
    assert (caught.value.line, caught.value.column) == (0, 5) and "value at column 5 is unfinished" in str(caught.value)


def test_a_value_that_needs_quotes_is_shown_quoted() -> None:
    """The fix for a value YAML reads only quoted (a title with a colon), as real files hold them; no
    hint where quoting is not the fix."""
    cases = {
        "id: A\ntitle: Fix: the parser's bug\n": "; quote the value: title: 'Fix: the parser''s bug'",
        "id: A\nsummary: see: below\n": "; quote the value: summary: 'see: below'",
        "id: A\nnested:\n  title: x: y\n": "; quote the value: title: 'x: y'",
        "id: A\ntodos:\n  - id: one\n    content: See: it\n": "; quote the value: content: 'See: it'",  # Cursor
        "id: A\nsteps:\n  - name: x\n  - b: c: d\n    e: f\n": "; quote the value: - b: 'c: d'",
    }
    for text, hint in cases.items():
        with pytest.raises(FrontmatterYAMLError) as caught:
            load_frontmatter(text)
        assert str(caught.value).endswith(hint), str(caught.value)
        broken = next(line for line in text.split("\n") if line.count(": ") > 1)
        indent = broken[: len(broken) - len(broken.lstrip(" "))]
        quoted = text.replace(broken, indent + hint.removeprefix("; quote the value: "))
        assert load_frontmatter(quoted)["id"] == "A"  # the line as shown reads, at its own depth
    with pytest.raises(FrontmatterYAMLError) as caught:  # a comment stays one
        load_frontmatter("id: A\ntitle: Fix: it # the lead\n")
    assert str(caught.value).endswith("; quote the value: title: 'Fix: it' # the lead")
    with pytest.raises(FrontmatterYAMLError) as caught:  # PyYAML breaks lines at U+2028 too: the line is the file's
        load_frontmatter('id: A\ntitle: "a\u2028b"\nz: 1\nnote: x: y\nw: 2\n')
    assert caught.value.line == 3
    assert str(caught.value).endswith("(character ':' at column 8); quote the value: note: 'x: y'")
    with pytest.raises(FrontmatterYAMLError) as caught:  # a long run of spaces before a comment: at once
        load_frontmatter("id: A\ntitle: a: b" + " " * 200_000 + "x #c\n")
    assert str(caught.value).endswith("x' #c")
    not_the_fix = (
        "id: A\ntitle: [unclosed\nstatus: x\n", "id: A\n\ttitle: x\n", "id: A\nsteps:\n\t- b: c: d\n",
        "id: A\ntitle: first line\n  continued: here\n",  # a continuation line, not a field
        "id: A\n@bad: y\n", "id: A\n'a: b': x: y\n", "id: A\ntitle: first\n  word: x: y\n",
    )  # fmt: skip
    for text in not_the_fix:
        with pytest.raises(FrontmatterYAMLError) as caught:
            load_frontmatter(text)
        assert "quote the value" not in str(caught.value)


def test_a_value_starting_with_a_character_yaml_reserves_is_read_as_written() -> None:
    """``@`` and a backquote cannot start a plain YAML value, so such a value has no other meaning:
    Backlog.md writes ``assignee: @name`` and reads it as the text, and so does the mirror."""
    cases: dict[str, dict[str, object]] = {
        "id: A\nassignee: @MrLesk\nreporter: @MrLesk\n": {"assignee": "@MrLesk", "reporter": "@MrLesk"},
        "id: A\nreporter: @bob # the lead\nstatus: Done\n": {"reporter": "@bob", "status": "Done"},
        'id: A\nassignee: [@a, "b", @c]\n': {"assignee": ["@a", "b", "@c"]},
        "id: A\npeople:\n  - @a\n  - b\n": {"people": ["@a", "b"]},
        "id: A\nnested:\n  reporter: @x\n": {"nested": {"reporter": "@x"}},
        "id: A\n'a: b': @x\n": {"a: b": "@x"},
        "id: A\nnote: `code` here\n": {"note": "`code` here"},
        "id: A\nwho: @it's\n": {"who": "@it's"},  # a quote inside is kept as it is
    }
    for text, fields in cases.items():
        assert load_frontmatter(text) == {"id": "A", **fields}, text
    with pytest.raises(FrontmatterYAMLError) as caught:  # any other error stands, on its own line
        load_frontmatter("id: A\nreporter: @x\ntitle: Fix: it\n")
    assert caught.value.line == 2 and str(caught.value).endswith("; quote the value: title: 'Fix: it'")
    with pytest.raises(FrontmatterYAMLError):
        load_frontmatter("id: A\nx: {b: @c}\n")  # in a flow mapping: refused


def test_non_mapping_is_refused() -> None:
    with pytest.raises(FrontmatterYAMLError, match="mapping"):
        load_frontmatter("- just\n- a list\n")


def test_copied_resolvers_match_pyyamls() -> None:
    """The fast path's resolver table is PyYAML's (timestamps aside), first character by first character."""
    theirs = {
        first: [(tag, rx.pattern.replace("\n", "").replace(" ", "")) for tag, rx in resolvers]
        for first, resolvers in loader().yaml_implicit_resolvers.items()
    }
    ours = {
        first: [(tag, rx.pattern.replace(" ", "")) for tag, rx in resolvers] for first, resolvers in RESOLVERS.items()
    }
    assert ours == theirs


def test_a_repeated_key_follows_pyyaml() -> None:
    """Found by the property test: a key given twice, first with no value, then with []."""
    text = "# \nA000000: \nA000000: []"
    assert load_frontmatter(text) == pyyaml(text) == {"A000000": []}


def test_plain_block_items_take_the_fast_path_as_pyyaml_reads_them() -> None:
    """Items matched whole by the item pattern, next to the ones the line-by-line path reads (quoted, '#' inside)."""
    text = (
        "tags:\n  - a  # first\n  - yes\n  - 3\n  - x # a: b\n  - C#\n  - 'q'\n  - two words\n"
        "links:\n- ~\n- null\n- 2026-03-07\nempty:\n"
    )
    assert _fast_load(text) == pyyaml(text) == {
        "tags": ["a", True, 3, "x", "C#", "q", "two words"], "links": [None, None, "2026-03-07"], "empty": None,
    }  # fmt: skip
    for text in (
        "tags:\n  - a\n - b\n",
        "tags:\n  - a: b\n",
        "tags:\n  - a:\n",
        "tags:\n  - 1.5\n",
        "tags:\n  - 1_000\n",
        "- a\n",
    ):
        with pytest.raises(_Fallback):  # uneven indents, a mapping, numbers: PyYAML's business
            _fast_load(text)


def test_the_unusual_characters_check_agrees_with_its_pattern() -> None:
    """ASCII text is checked without the regular expression; every character gives the pattern's answer."""
    for code in [*range(0x3000), 0xD800, 0xDFFF, 0xFEFF, 0xFFFE, 0xFFFF, 0x10FFFF]:
        text = f"id: a{chr(code)}b\n"
        assert _unusual(text) == (_UNUSUAL.search(text) is not None), hex(code)


def test_a_list_item_holding_a_colon_reads_as_its_text_as_gsd_reads_it() -> None:
    """GSD's summaries list decisions YAML cannot read unquoted (``- Guard hover: classes with md:hover:``);
    YAML has no other meaning for such an item, and GSD reads it as its text: so does the mirror. A
    frontmatter that is a list, or an item of another kind, stays an error."""
    text = (
        "phase: 07-x\ndecisions:\n  - Guard hover: classes with md:hover: none  # why\n  - plain\n"
        "  - it's: a: b\nnext: 1\n"
    )
    assert load_frontmatter(text) == {
        "phase": "07-x", "decisions": ["Guard hover: classes with md:hover: none", "plain", "it's: a: b"], "next": 1,
    }  # fmt: skip
    assert load_frontmatter("d:\n- a: b: c\t# tab, then a comment\n- e\n") == {"d": ["a: b: c", "e"]}
    errors = {  # text: the line of the error (a mapping value's ': ' where PyYAML found it)
        "- a\n- b: c: d\n": 1, "x:\n  - 'q': a: b\n": 1, "x:\n  - &a q: a: b\n": 1, "x:\n  y: a: b\n": 1,
        "x:\n  - - a: b: c\n": 1, "x:\n  - ? a: b: c\n": 1,  # an item that is a list, or a key, of its own
        "x:\n  - run: echo a: b\n    name: y\n": 1, "x:\n  - a: b: c\n\n    goes on\n": 1,  # a mapping; lines
    }  # fmt: skip
    for error, line in errors.items():
        with pytest.raises(FrontmatterYAMLError, match="mapping values are not allowed") as caught:
            load_frontmatter(error)
        assert caught.value.line == line, error
    spaces = "x:\n  - a: b: " + " " * 200_000 + "c #d\n"  # at once, however long the run of spaces
    assert load_frontmatter(spaces) == {"x": ["a: b: " + " " * 200_000 + "c"]}
