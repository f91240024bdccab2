"""Byte-faithful edits: one key changes one line; everything else stays byte for byte."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agentsync.artifact import parse_text
from agentsync.errors import ArtifactError
from agentsync.frontmatter_edit import set_field

DOC = (
    "---\r\n"
    "id: A-1  # stable\r\n"
    'title: "Hello"\r\n'
    "status: DRAFT # set by review\r\n"
    "tags:\r\n"
    "  - a\r\n"
    "  - b\r\n"
    "# reviewers in CODEOWNERS\r\n"
    "---\r\n"
    "\r\n"
    "# Body\r\n"
    "---\r\n"
)


def test_changing_a_key_changes_only_its_value() -> None:
    assert set_field(DOC, "status", "DONE") == DOC.replace("status: DRAFT #", "status: DONE #")


def test_quoting_style_is_kept() -> None:
    assert 'title: "World"  ' not in set_field(DOC, "title", "World")
    assert 'title: "World"\r\n' in set_field(DOC, "title", "World")
    assert "title: 'It''s'" in set_field("---\ntitle: 'x'\n---\n", "title", "It's")


def test_new_key_appended_at_end_of_frontmatter_with_file_line_endings() -> None:
    edited = set_field(DOC, "version", 2)
    assert edited == DOC.replace("# reviewers in CODEOWNERS\r\n", "# reviewers in CODEOWNERS\r\nversion: 2\r\n")


def test_block_value_becomes_one_line() -> None:
    edited = set_field(DOC, "tags", ["x", "y z"])
    assert "tags: [x, y z]\r\n# reviewers" in edited


def test_values_that_need_quotes_get_them() -> None:
    edited = set_field("---\nid: A\n---\n", "title", "Colon: here # and hash")
    assert parse_text("p/a.md", edited, "plan", "").title == "Colon: here # and hash"


def test_agent_layout_status_line_is_edited_in_place() -> None:
    text = "# INFRA-004: Title\n\nStatus: ACCEPTED\n\n## Goal\n"
    assert set_field(text, "status", "DONE") == text.replace("ACCEPTED", "DONE")


def test_file_without_frontmatter_gets_one() -> None:
    edited = set_field("\ufeff# Plain\r\n", "version", 1)
    assert edited == "\ufeff---\r\nversion: 1\r\n---\r\n# Plain\r\n"


# -- property: round trip over generated documents --------------------------------

WORD = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,7}", fullmatch=True)
NOT_STRING_KEYS = {"id", "version", "y", "n", "yes", "no", "on", "off", "true", "false", "null"}
VALUE_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.:#'\"/,", min_size=0, max_size=16)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    keys = draw(
        st.lists(
            # (YAML 1.1 reads keys such as `no` and `on` as booleans: not the string keys this is about)
            st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda k: k not in NOT_STRING_KEYS),
            unique=True,
            max_size=6,
        )
    )
    lines = []
    for key in keys:
        style = draw(st.sampled_from(["plain", "double", "single", "int", "flow", "block"]))
        word = draw(WORD)
        if style == "plain":
            lines.append(f"{key}:  {word}")
        elif style == "double":
            lines.append(f'{key}: "{word}"')
        elif style == "single":
            lines.append(f"{key}: '{word}'")
        elif style == "int":
            lines.append(f"{key}: {draw(st.integers(0, 999))}")
        elif style == "flow":
            lines.append(f"{key}: [{word}, {word}x]")
        else:
            lines.append(f"{key}:")
            lines.extend(f"  - {w}" for w in draw(st.lists(WORD, min_size=1, max_size=3)))
        if draw(st.booleans()):
            lines[-1] += "  # note"
        if draw(st.booleans()):
            lines.append("# a comment line")
    body_lines = draw(st.lists(st.sampled_from(["# Title", "text", "", "---", "- item", "key: value"]), max_size=6))
    bom = "\ufeff" if draw(st.booleans()) else ""
    text = bom + eol.join(["---", *lines, "---", *body_lines]) + (eol if draw(st.booleans()) else "")
    return text, keys


@settings(max_examples=300, deadline=None)
@given(documents(), st.data())
def test_set_field_round_trip(doc: tuple[str, list[str]], data: st.DataObject) -> None:
    text, keys = doc
    try:
        before = parse_text("plans/p.md", text, "plan", "")
    except ArtifactError:
        assume(False)  # the property is about valid documents
        raise
    key = data.draw(st.sampled_from([*keys, "version", "status", "newkey"]))
    if key == "version":
        value: object = data.draw(st.integers(0, 10_000))
    else:
        value = data.draw(st.one_of(st.integers(0, 10_000), VALUE_TEXT, st.lists(WORD, max_size=3)))

    edited = set_field(text, key, value)
    after = parse_text("plans/p.md", edited, "plan", "")

    # The key has the new value, and no other key changed.
    assert after.fields[key] == value
    assert {k: v for k, v in after.fields.items() if k != key} == {k: v for k, v in before.fields.items() if k != key}
    # The body is byte for byte the same.
    assert after.body == before.body
    # Only lines that belonged to the key differ: removing them from both sides leaves equal texts.
    old_lines = text.splitlines(keepends=True)
    new_lines = edited.splitlines(keepends=True)
    removed = [line for line in old_lines if line not in new_lines]
    added = [line for line in new_lines if line not in old_lines]
    assert all(line.startswith((f"{key}:", "  - ")) for line in removed), removed
    assert all(line.startswith(f"{key}:") or line.startswith("\ufeff---") for line in added), added
    # Setting the same value again changes nothing.
    assert set_field(edited, key, value) == edited


def test_a_status_line_in_plain_markdown_is_body_text() -> None:
    """A ``Status:`` line is read in the agent layout (``# ID: Title``, or right under the first
    heading); further down in other Markdown it is body text: setting the field adds frontmatter
    and leaves the line alone."""
    text = "# Just a title\n\nA paragraph first.\n\nStatus: whatever the text says\n"
    edited = set_field(text, "status", "DONE")
    assert edited == "---\nstatus: DONE\n---\n" + text
    assert parse_text("notes/a.md", edited, "note", "").status == "DONE"


def test_a_status_line_right_under_the_first_heading_is_the_status() -> None:
    """The agent CLI's runbooks: ``# Any heading``, then ``Status: ACCEPTED``, is what a person reads."""
    text = "# STORY-ID: INFRA-011 Improve Impact Analysis\n\nStatus: ACCEPTED\n\n## Goal\n"
    artifact = parse_text(".agent/cache/runbooks/INFRA-011-runbook.md", text, "runbook", "")
    assert (artifact.layout, artifact.id, artifact.title, artifact.status) == (
        "agent", "INFRA-011", "Improve Impact Analysis", "ACCEPTED"
    )  # fmt: skip
    assert set_field(text, "status", "DONE") == text.replace("ACCEPTED", "DONE")
    plain = parse_text("s.md", "# NotebookLM auth\n\nStatus: COMMITTED\n", "story", "")
    assert (plain.id, plain.status) == ("s", "COMMITTED")
