"""Parsing artifacts: ids, titles, statuses, versions, and every odd file shape."""

from __future__ import annotations

import pytest

from agentsync.artifact import LAYOUT_AGENT, LAYOUT_FRONTMATTER, LAYOUT_PLAIN, find_frontmatter, parse_bytes
from agentsync.errors import ArtifactError


def parse(text: str | bytes, path: str = "plans/x-1.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(path, data, "plan")


def test_frontmatter_fields() -> None:
    a = parse("---\nid: P-7\ntype: story\ntitle: Hello\nstatus: DONE\nversion: 4\nowner: ada\n---\n# Heading\n")
    assert (a.id, a.type, a.title, a.status, a.version, a.layout) == ("P-7", "story", "Hello", "DONE", 4, "frontmatter")
    assert a.fields["owner"] == "ada"
    assert a.body == "# Heading\n"


def test_with_type_from_glob_a_frontmatter_type_is_a_field_and_the_type_the_globs() -> None:
    from agentsync.formats.ids import IdRule

    text = b"---\nid: doc-001\ntitle: Style guide\ntype: guide\n---\n"
    a = parse_bytes("backlog/docs/doc-001 - Style-guide.md", text, "doc", IdRule(type_from="glob"))
    assert (a.key, a.fields["type"]) == ("doc:doc-001", "guide")
    assert parse_bytes("backlog/docs/d.md", text, "doc").key == "guide:doc-001"  # by default the line names it
    odd = b"---\nid: doc-2\ntype: a/b\n---\n"  # not read as a type, so not refused as one
    assert parse_bytes("backlog/docs/d.md", odd, "doc", IdRule(type_from="glob")).type == "doc"


def test_id_from_file_name_and_title_from_heading() -> None:
    a = parse("---\nstatus: DRAFT\n---\n\n# The heading\n", path="plans/my-plan.md")
    assert a.id == "my-plan"
    assert a.title == "The heading"
    assert a.version == 0


def test_bom_and_crlf_are_kept_in_content() -> None:
    text = "\ufeff---\r\nid: B-1\r\ntitle: Bom\r\n---\r\n\r\nbody\r\n"
    a = parse(text)
    assert a.id == "B-1" and a.title == "Bom"
    assert a.content == text


def test_no_frontmatter() -> None:
    a = parse("# Just markdown\n\ntext\n", path="plans/readme.md")
    assert (a.id, a.title, a.layout, a.fields) == ("readme", "Just markdown", LAYOUT_PLAIN, {})


def test_empty_frontmatter() -> None:
    a = parse("---\n---\n# T\n", path="plans/e.md")
    assert (a.id, a.title, a.layout) == ("e", "T", LAYOUT_FRONTMATTER)


def test_horizontal_rules_in_body_are_body() -> None:
    a = parse("---\nid: H-1\n---\nabove\n\n---\n\nbelow\n---\n")
    assert a.fields == {"id": "H-1"}
    assert a.body == "above\n\n---\n\nbelow\n---\n"


def test_leading_horizontal_rule_without_closing_is_no_frontmatter() -> None:
    a = parse("---\n\nJust a rule then text\n", path="plans/rule.md")
    assert a.layout == LAYOUT_PLAIN


@pytest.mark.parametrize(
    "text, status",
    [
        ("# INFRA-004: Distributed Cache\n\nStatus: ACCEPTED\n\n## Goal\n", "ACCEPTED"),
        ("# WEB-12: Login\n\n## State\n\nIN_PROGRESS\n\n## Goal\n", "IN_PROGRESS"),
        ("# OPS-3: Pager\n\n**Status**: DRAFT\n", "DRAFT"),
        ("# API-9: No status yet\n\ntext\n", None),
    ],
)
def test_agent_cache_layout(text: str, status: str | None) -> None:
    a = parse(text, path=".agent/cache/stories/INFRA/whatever.md")
    assert a.layout == LAYOUT_AGENT
    assert a.id == text.split(":")[0][2:]
    assert a.status == status
    assert a.content == text


def test_bad_version_names_the_line() -> None:
    with pytest.raises(ArtifactError) as caught:
        parse("---\nid: V-1\nversion: -1\n---\n")
    assert caught.value.line == 3
    assert "whole number" in str(caught.value)


@pytest.mark.parametrize("stated", ["'1.0'", "1.5", "2026-01-15", "v2"])
def test_a_documents_own_version_is_no_hint_of_the_remote_version(stated: str) -> None:
    """BMAD's project context says `version: '1.0'`: the document's own, kept as a field, read as no hint."""
    a = parse(f"---\nproject_name: x\nversion: {stated}\n---\n\n# Context\n", path="docs/project_context.md")
    assert a.version == 0 and a.fields["version"] is not None


def test_bad_yaml_names_file_and_line() -> None:
    with pytest.raises(ArtifactError) as caught:
        parse("---\nid: Y-1\ntitle: [oops\n---\nbody\n", path="plans/y.md")
    assert caught.value.path == "plans/y.md"
    assert caught.value.line in (3, 4)
    assert str(caught.value).startswith("plans/y.md:")


def test_bad_yaml_keeps_the_character_and_column_and_the_files_line() -> None:
    with pytest.raises(ArtifactError) as caught:
        parse("---\nid: Y-1\nstatus: x\ntitle: a: b\n---\n", path="plans/y.md")
    assert caught.value.line == 4  # of the file, not of the frontmatter
    assert str(caught.value) == (
        "plans/y.md:4: invalid YAML in frontmatter: mapping values are not allowed in this context"
        " (character ':' at column 9); quote the value: title: 'a: b'"
    )


def test_invalid_utf8_names_line_and_column() -> None:
    with pytest.raises(ArtifactError) as caught:
        parse(b"---\nid: U-1\n---\nfine\nbad \xff here\n")
    assert caught.value.line == 5
    assert "column 5" in str(caught.value)


def test_binary_is_refused() -> None:
    with pytest.raises(ArtifactError, match="binary"):
        parse(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_invalid_id_is_refused() -> None:
    with pytest.raises(ArtifactError, match="invalid id"):
        parse("---\nid: ../../etc\n---\n")


def test_find_frontmatter_spans() -> None:
    span = find_frontmatter("---\na: 1\n---\nbody")
    assert span is not None
    assert (span.start, span.end, span.body) == (4, 9, 13)
    assert find_frontmatter("no\n---\n") is None
