"""Each format: detected, read (fields and where they sit), a field written back in its own way
with every other byte kept; the git-field guard rewrites every place a format sets a field."""

from __future__ import annotations

from typing import Any

import pytest

from agentsync import formats
from agentsync.artifact import parse_text
from agentsync.errors import ArtifactError, GitFieldViolation
from agentsync.formats.base import Place, Reading
from agentsync.frontmatter_edit import set_field, states_own_version
from agentsync.gitfield_check import rewrite_fields, text_values, verify

AGENT_STATE = "# INFRA-004: Sync engine\n\n## State\n\nCOMMITTED\n\n## Problem\nStatus: see the design\n"
AGENT_LABEL = "# STORY-ID: INFRA-138: Label before the id\n## State\nACCEPTED\n\nbody\n"
AGENT_LINE = "# INFRA-001: Router\r\n\r\nStatus: PROPOSED\r\n\r\n## Goal\r\n"
AGENT_STATUS_SECTION = "# ADR-001: Git-like sync\n\n## Status\nProposed\n\n## Context\n"
NYGARD = "# 1. Record architecture decisions\n\nDate: 2016-02-12\n\n## Status\n\nAccepted\n\n## Context\n\nWe...\n"
SPEC_KIT = (
    "# Feature Specification: Albums\n\n**Feature Branch**: `001-x`\n\n**Created**: 2026-01-01\n\n**Status**: Draft\n"
)
MADR = "# Use Markdown Architectural Decision Records\n\n* Status: accepted\n* Deciders: Ada, Lin\n* Date: 2020-01-01\n"
AGENT_OS_SPEC = (
    "# Spec Requirements Document\n\n> Spec: Maildir Support\n"
    "> Created: 2025-07-29\n> Status: Planning\n\n## Overview\n"
)
AGENT_OS_TASKS = (
    "# Spec Tasks\n\nThese are the tasks for the spec in @.agent-os/specs/2025-07-29-maildir/spec.md\n\n"
    "> Created: 2025-07-29\n> Status: Ready for Implementation\n\n## Tasks\n\n- [ ] 1. Import\n"
)
AGENT_BODY_QUOTE = "# INFRA-004: X\n\n## Problem\n\n> Status: blocked upstream\n> Owner: ada\n\n## State\n\nDRAFT\n"
BMAD_BOLD = "# Story 1.1: Login\n\n## Status\n\n**COMPLETED** ✅ - **QA PASSED** (2025-08-30)\n\n## Story\n"
BMAD_UNDERLINED = "# Story 1.2: Sync\n\n## Status\n\n__Done__ - merged\n"
JOURNEY = "# Copyright\n\nid: JRN-001\ntitle: Smart router\nstate: COMMITTED  # set by the CLI\nsteps:\n  - one\n"


@pytest.mark.parametrize(
    "path, text, layout, artifact_id, title, status",
    [
        ("stories/INFRA-004-sync.md", AGENT_STATE, "agent", "INFRA-004", "Sync engine", "COMMITTED"),
        ("stories/x.md", AGENT_LABEL, "agent", "INFRA-138", "Label before the id", "ACCEPTED"),
        ("runbooks/INFRA-001-runbook.md", AGENT_LINE, "agent", "INFRA-001", "Router", "PROPOSED"),
        (".agent/adrs/ADR-001-x.md", AGENT_STATUS_SECTION, "agent", "ADR-001", "Git-like sync", "Proposed"),
        ("doc/adr/0001-record-decisions.md", NYGARD, "nygard", "0001-record-decisions", "Record architecture decisions",
         "Accepted"),
        ("docs/decisions/0000-madr.md", MADR, "madr", "0000-madr", "Use Markdown Architectural Decision Records",
         "accepted"),
        ("journeys/JRN-001-router.yaml", JOURNEY, "yaml", "JRN-001", "Smart router", "COMMITTED"),
        ("plans/notes.md", "# Just notes\n\nText.\n\nStatus: not a field here\n", "plain", "notes", "Just notes", None),
        ("specs/001-x/spec.md", SPEC_KIT, "agent", "spec", "Feature Specification: Albums", "Draft"),
        ("plans/n.md", "# Notes\n\n**Author**: Ada\nText.\n\n**Status**: body text\n", "plain", "n", "Notes", None),
        ("plans/p.md", "---\nid: P-1\nstatus: DONE\n---\n# Heading\n", "frontmatter", "P-1", "Heading", "DONE"),
        # Agent OS: the metadata quote above the first section names the spec and its status
        ("x/spec.md", AGENT_OS_SPEC, "agent", "spec", "Maildir Support", "Planning"),
        ("x/tasks.md", AGENT_OS_TASKS, "agent", "tasks", "Spec Tasks", "Ready for Implementation"),
        ("plans/q.md", "# Notes\n\n## Log\n\n> Status: quoted in a section\n", "plain", "q", "Notes", None),
        ("x/s.md", "# S\n\n>  **Spec**:\tSync\n> Status: **Draft**\n", "agent", "s", "Sync", "Draft"),  # spaces, bold
        # a quote that is no metadata quote: a line alone, one in the body, one in a fence, after a section
        ("doc/adr/0001-x.md", "# 1. X\n\n> Status: from elsewhere\n\n## Status\n\nAccepted\n", "nygard", "0001-x",
         "X", "Accepted"),
        ("s/INFRA-004-x.md", "# INFRA-004: X\n\n## Problem\n\n> Status: blocked\n> Owner: ada\n\n## State\n\nDRAFT\n",
         "agent", "INFRA-004", "X", "DRAFT"),
        ("x/f.md", "# Using it\n\n```markdown\n> Spec: Example\n> Status: Planning\n```\n", "plain", "f", "Using it",
         None),
        ("x/g.md", "## Background\n\n> Status: one\n> Owner: two\n", "plain", "g", "g", None),
        # BMAD's embellished statuses: the bold phrase a status section starts with is the status
        ("docs/stories/s.md", BMAD_BOLD, "nygard", "s", "Story 1.1: Login", "COMPLETED"),
        ("docs/stories/t.md", "# Story 1.3: T\n\n## Status\n\n**Ready for Review**\n", "nygard", "t", "Story 1.3: T",
         "Ready for Review"),
        ("docs/stories/u.md", "# Story 1.4: U\n\n## Status\n\n**Draft**ed by Ada\n", "nygard", "u", "Story 1.4: U",
         "**Draft**ed by Ada"),  # bold inside a word: the line as written
        ("docs/stories/v.md", "# V\n\n## Status\n\n**Status**: Accepted\n", "nygard", "v", "V", "Accepted"),
        ("docs/stories/w.md", "# W\n\n## Status\n\n__READY_FOR_REVIEW__ (QA)\n", "nygard", "w", "W",
         "READY_FOR_REVIEW"),
    ],
)  # fmt: skip
def test_each_format_reads_what_a_person_reads(
    path: str, text: str, layout: str, artifact_id: str, title: str, status: str | None
) -> None:
    artifact = parse_text(path, text, "story", "")
    assert (artifact.layout, artifact.id, artifact.title, artifact.status) == (layout, artifact_id, title, status)
    assert artifact.content == text


@pytest.mark.parametrize(
    "path, text, expected",
    [
        # every place that sets the status carries the new one, so no reader finds the old
        ("s.md", AGENT_STATE, AGENT_STATE.replace("\nCOMMITTED\n", "\nDONE\n").replace("see the design", "DONE")),
        ("s.md", AGENT_LINE, AGENT_LINE.replace("Status: PROPOSED", "Status: DONE")),
        ("s.md", AGENT_LABEL, AGENT_LABEL.replace("ACCEPTED", "DONE")),
        ("a.md", NYGARD, NYGARD.replace("\nAccepted\n", "\nDONE\n")),
        ("a.md", MADR, MADR.replace("Status: accepted", "Status: DONE")),
        ("spec.md", SPEC_KIT, SPEC_KIT.replace("**Status**: Draft", "**Status**: DONE")),
        ("spec.md", AGENT_OS_SPEC, AGENT_OS_SPEC.replace("> Status: Planning", "> Status: DONE")),
        ("j.yaml", JOURNEY, JOURNEY.replace("state: COMMITTED", "state: DONE")),
    ],
)
def test_a_written_field_keeps_its_format_and_every_other_byte(path: str, text: str, expected: str) -> None:
    assert set_field(text, "status", "DONE", path) == expected
    assert parse_text(path, expected, "story", "").layout == parse_text(path, text, "story", "").layout


def test_an_agent_file_without_a_status_gets_a_status_line_not_frontmatter() -> None:
    text = "# INFRA-9: No status yet\n\nBody.\n"
    written = set_field(text, "status", "DRAFT")
    assert written == "# INFRA-9: No status yet\n\nStatus: DRAFT\n\nBody.\n"
    artifact = parse_text("s.md", written, "story", "")
    assert (artifact.layout, artifact.id, artifact.status) == ("agent", "INFRA-9", "DRAFT")


def test_a_field_a_format_has_no_place_for_goes_into_frontmatter() -> None:
    assert set_field(NYGARD, "owner", "ada") == "---\nowner: ada\n---\n" + NYGARD


def test_the_first_status_in_the_file_is_the_one_read() -> None:
    """``## State`` at the top, a ``Status:`` line further down: a person reads the section."""
    artifact = parse_text("s.md", AGENT_STATE, "story", "")
    assert artifact.status == "COMMITTED"
    places = formats.detect("s.md", AGENT_STATE).places(AGENT_STATE, "status")
    assert [p.value for p in places] == ["COMMITTED", "see the design"]


def test_a_bom_and_crlf_are_kept() -> None:
    text = "\ufeff# WEB-2: Login\r\n\r\n## State\r\n\r\nDRAFT\r\n"
    artifact = parse_text("s.md", text, "story", "")
    assert (artifact.id, artifact.status, artifact.layout) == ("WEB-2", "DRAFT", "agent")
    assert set_field(text, "status", "DONE") == text.replace("DRAFT", "DONE")


def test_a_yaml_file_that_is_not_a_mapping_is_refused_with_its_line() -> None:
    with pytest.raises(ArtifactError) as caught:
        parse_text("j.yaml", "id: J-1\ntitle: [unclosed\n", "journey", "")
    assert caught.value.line == 2 and "invalid YAML" in caught.value.reason and "frontmatter" not in caught.value.reason
    with pytest.raises(ArtifactError, match="mapping"):
        parse_text("j.yaml", "- a\n- b\n", "journey", "")


def test_a_yaml_file_starting_with_a_document_marker_is_no_frontmatter() -> None:
    text = "---\nid: J-2\nstatus: DRAFT\n---\n"  # two documents' markers, not frontmatter, in a YAML file
    with pytest.raises(ArtifactError):
        parse_text("j.yaml", text, "journey", "")  # a stream of documents is no single mapping
    assert parse_text("j.yaml", "---\nid: J-2\nstatus: DRAFT\n", "journey", "").status == "DRAFT"


GSD_VERIFICATION = "---\nphase: 01-x\nstatus: gaps_found\ngaps:\n  - Login: fails: on Safari\n---\n\n# Report\n"


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("s.md", AGENT_STATE, AGENT_STATE.replace("COMMITTED", "IN_HEAD").replace("see the design", "IN_HEAD")),
        ("a.md", NYGARD, NYGARD.replace("Accepted", "IN_HEAD")),
        ("a.md", MADR, MADR.replace("accepted", "IN_HEAD")),
        ("j.yaml", JOURNEY, JOURNEY.replace("COMMITTED", "IN_HEAD")),
        ("spec.md", AGENT_OS_SPEC, AGENT_OS_SPEC.replace("Planning", "IN_HEAD")),
        # a quote in the body sets no field: only the state section carries Git's value
        ("s.md", AGENT_BODY_QUOTE, AGENT_BODY_QUOTE.replace("DRAFT", "IN_HEAD")),
        ("s.md", BMAD_BOLD, BMAD_BOLD.replace("**COMPLETED**", "**IN_HEAD**")),  # the note after it stays
        ("s.md", BMAD_UNDERLINED, BMAD_UNDERLINED.replace("__Done__", "__IN_HEAD__")),
        ("v.md", GSD_VERIFICATION, GSD_VERIFICATION.replace("gaps_found", "IN_HEAD")),  # its list read as GSD reads it
    ],
)
def test_git_fields_are_rewritten_in_every_place_a_format_sets_them(path: str, text: str, expected: str) -> None:
    rewritten, tried = rewrite_fields(path, text, {"status": "IN_HEAD"}, ("status",))
    assert rewritten == expected
    assert text_values(rewritten, ("status",), path) == {"status": "IN_HEAD"}
    verify(path, rewritten, {"status": "IN_HEAD"}, ("status",))
    assert tried["status"] != "IN_HEAD"


def test_a_second_status_place_that_disagrees_with_git_is_caught() -> None:
    text = AGENT_STATE.replace("see the design", "DONE")
    with pytest.raises(GitFieldViolation):
        verify("s.md", text, {"status": "COMMITTED"}, ("status",))
    rewritten, _ = rewrite_fields("s.md", text, {"status": "COMMITTED"}, ("status",))
    assert rewritten.count("COMMITTED") == 2


def test_a_status_git_does_not_have_is_taken_out_of_a_section() -> None:
    rewritten, tried = rewrite_fields("a.md", NYGARD, {}, ("status",))
    assert "## Status" not in rewritten and "## Context" in rewritten and tried == {"status": "Accepted"}
    assert text_values(rewritten, ("status",), "a.md") == {}


RUNBOOK_EXAMPLE = (
    "# INFRA-7: Write a story\n\n## State\n\nDRAFT\n\nA story looks like this:\n\n"
    "```markdown\n# INFRA-8: Example\n\n## State\n\nDONE\n\nStatus: DONE\n```\n\n"
    "~~~~\nStatus: ACCEPTED\n~~~\nstill in the tilde block\n~~~~~\n"
)


def test_a_status_shown_in_a_fenced_code_block_is_no_field_of_the_file() -> None:
    """A runbook's example of a story sets nothing: the guard leaves it alone, a write skips it."""
    artifact = parse_text("runbooks/INFRA-7.md", RUNBOOK_EXAMPLE, "runbook", "")
    assert (artifact.layout, artifact.status) == ("agent", "DRAFT")
    places = formats.detect("r.md", RUNBOOK_EXAMPLE).places(RUNBOOK_EXAMPLE, "status")
    assert [p.value for p in places] == ["DRAFT"]
    verify("r.md", RUNBOOK_EXAMPLE, {"status": "DRAFT"}, ("status",))  # the examples' DONE is no disagreement
    assert set_field(RUNBOOK_EXAMPLE, "status", "IN_PROGRESS") == RUNBOOK_EXAMPLE.replace(
        "\nDRAFT\n", "\nIN_PROGRESS\n", 1
    )


@pytest.mark.parametrize(
    "text, status",
    [
        ("# Notes\n\n```\n## State\n\nDONE\n```\n", None),  # only an example: a plain file
        ("# Notes\n\n```\n* Status: accepted\n```\n", None),
        ("# Notes\n\n```\n## Status\n\nAccepted\n```\n", None),
        ("# INFRA-3: Open fence\n\nStatus: OPEN\n\n```\n## State\nDONE\n", "OPEN"),  # unclosed: to the end
        ("# INFRA-4: Inline\n\n```not a fence` and text\n\nStatus: SEEN\n", "SEEN"),  # backtick in the info
        ("# INFRA-5: Indented\n\n    ```\nStatus: SEEN\n", "SEEN"),  # four spaces: indented code, no fence
        ("# INFRA-6: Short close\n\n````\nStatus: HIDDEN\n```\n````\nStatus: SEEN\n", "SEEN"),
        # an HTML comment is a block of its own: no fence opens in it (a KEP template's notes)
        ("<!--\n```<<[UNRESOLVED notes]\n-->\n# INFRA-7: After a comment\n\nStatus: SEEN\n", "SEEN"),
        ("# INFRA-8: Commented\n\n<!-- a fence: ```\n```\n-->\nStatus: SEEN\n", "SEEN"),
        ("# INFRA-9: In a fence\n\n```\n<!--\n```\nStatus: SEEN\n", "SEEN"),  # a comment in a fence: text
    ],
)
def test_fences_follow_commonmark(text: str, status: str | None) -> None:
    artifact = parse_text("notes.md", text, "story", "")
    assert artifact.status == status
    if status is None:
        assert artifact.layout == "plain"


class _Toml:
    """A plugin's format: ``+++`` TOML-ish ``key = "value"`` lines (only what the test needs)."""

    name = "toml-test"
    suffixes = (".md",)

    def detect(self, text: str) -> bool:
        return text.startswith("+++\n")

    def read(self, path: str, text: str) -> Reading:
        pairs = (line.partition("=") for line in text.split("\n")[1:3])
        fields = {key.strip(): value.strip().strip('"') for key, _, value in pairs}
        return Reading(fields, id=fields.get("id"), status=fields.get("status"), title=fields.get("title"))

    def places(self, text: str, name: str) -> list[Place]:
        return []

    def write(self, text: str, name: str, value: Any) -> str | None:
        return None


def test_a_plugin_registers_a_format_ahead_of_the_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "_FORMATS", list(formats._FORMATS))
    formats.register(_Toml())
    text = '+++\nid = "T-1"\nstatus = "DONE"\n+++\n'
    artifact = parse_text("t.md", text, "plan", "")
    assert (artifact.layout, artifact.id, artifact.status) == ("toml-test", "T-1", "DONE")
    assert formats.named("toml-test") is not None
    with pytest.raises(ValueError, match="registered already"):
        formats.register(_Toml())


def test_a_status_that_would_not_read_back_in_bold_takes_the_whole_line() -> None:
    """Git's value set over a bold status phrase reads back as that value: written in the bold where it
    fits, else in place of the line's whole value (its own markup, or a word that bold would change)."""
    for value in ("Superseded by **ADR-5**", "Done*", "Ready:"):
        rewritten, _ = rewrite_fields("s.md", BMAD_BOLD, {"status": value}, ("status",))
        assert rewritten == BMAD_BOLD.replace("**COMPLETED** ✅ - **QA PASSED** (2025-08-30)", value), value
        assert parse_text("s.md", rewritten, "story", "").status == value


def test_a_status_heading_counts_only_right_under_the_first_heading() -> None:
    """BMAD's `## Status: done` under the story's heading is its status; a `## Status: ...` heading
    further down (a runbook's section) is body text: never read, never rewritten."""
    top = "# Story 2.1: Devices\n\n## Status: review ##\n\n## Story\n\nx\n"
    assert parse_text("s.md", top, "story", "").status == "review"  # ATX closing hashes are no part of it
    assert set_field(top, "status", "done", "s.md") == top.replace("review ##", "done ##")
    deep = "# INFRA-7: Deploy\n\nStatus: DRAFT\n\n## Steps\n\nGo.\n\n## Status: rollout notes\n\nHalf.\n"
    assert parse_text("r.md", deep, "runbook", "").status == "DRAFT"
    assert set_field(deep, "status", "ACCEPTED", "r.md") == deep.replace("Status: DRAFT", "Status: ACCEPTED")


@pytest.mark.parametrize("line", ["\"version\": '1.0'", "version: 08", "version: '3'", "version: 2026-01-15"])
def test_a_documents_own_version_is_decided_as_yaml_reads_it(line: str) -> None:
    from agentsync.frontmatter_edit import states_own_version

    text = f"---\nid: D-1\n{line}\n---\n\nbody\n"
    assert not states_own_version(text) and parse_text("d.md", text, "doc", "").version == 0
    assert states_own_version("---\nid: D-1\nversion: 7\n---\n") and states_own_version("---\nid: D-1\n---\n")


def test_a_status_heading_holding_a_hash_and_long_blank_runs_read_as_written() -> None:
    top = "# Story 1.1: A\n\n## Status: Blocked on #42\n\n## Story\n"
    assert parse_text("s.md", top, "story", "").status == "Blocked on #42"
    written = set_field(top, "status", "done (C# port)", "s.md")
    assert written == top.replace("Blocked on #42", "done (C# port)")
    assert parse_text("s.md", written, "story", "").status == "done (C# port)"
    for text in ("# S-9: A\n\n## Status:" + " " * 3000 + "\n", "# S-9: A\n\nStatus:" + " " * 3000 + "\rx\n"):
        assert parse_text("s.md", text, "story", "").status is None  # (each read at once: no run of spaces splits)


@pytest.mark.parametrize("value", ["word " * 120 + "end", "Draft\xa0", "\u3000Draft"])
def test_a_status_line_of_any_length_and_any_other_whitespace_reads_and_writes_in_place(value: str) -> None:
    text = f"# S-1: A\n\nStatus: {value}\n\nBody\n"
    assert parse_text("s.md", text, "story", "").status == value.strip(" ")
    assert set_field(text, "status", "NEW", "s.md") == "# S-1: A\n\nStatus: NEW\n\nBody\n"


def test_headings_and_status_sections_with_long_runs_of_spaces_read_at_once() -> None:
    """A heading or a section value holding a long run of spaces (a hostile or broken file) is read
    as before (the title up to its trailing spaces and closing hashes), each run matched one way."""
    heading = "# Design notes" + " " * 3000 + "draft ##\n"
    assert parse_text("d.md", heading, "doc", "").title == "Design notes" + " " * 3000 + "draft"
    section = "# S-9: A\n\n## Status\n" + " " * 3000 + "\rx\n"
    assert parse_text("s.md", section, "story", "").status is None
    assert parse_text("c.md", "# Port to C#\n", "doc", "").title == "Port to C#"  # CommonMark: no blank, no closing
    assert parse_text("c.md", "# Track #\n", "doc", "").title == "Track"  # a blank before: a closing hash


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("  # Implementation Plan\n\n- [ ] 1. Set up\n", "Implementation Plan"),  # Kiro: up to three spaces
        ("    # a code block\n\n# Real\n", "Real"),  # four: code
        ("1. Run it:\n   ```bash\n   # BROKEN: columns shift\n   ```\n\n# Real\n", "Real"),  # a shell comment
        ("````md\n# A template\n```\n# still inside\n````\n# Real\n", "Real"),  # closed by as long a fence
        ("Steps\n~~~\n# only in the block\n~~~\n", "p"),  # no heading outside: the file's name
    ],
)
def test_the_title_is_the_first_heading_outside_code_blocks(text: str, title: str) -> None:
    assert parse_text("p.md", text, "doc", "").title == title


@pytest.mark.parametrize(
    ("line", "filled"),
    [("Status:", "Status: NEW"), ("Status:   ", "Status: NEW"), ("**Status:**", "**Status:** NEW"),
     ("**Status**: \t", "**Status**: NEW"), ("status:\r", "status: NEW\r")],
)  # fmt: skip
def test_an_empty_status_line_is_filled_in_rather_than_a_second_one_written(line: str, filled: str) -> None:
    text = f"# S-1: A\n\n**Created**: today\n{line}\n\nBody\n"
    assert parse_text("s.md", text, "story", "").status is None
    written = set_field(text, "status", "NEW", "s.md")
    assert written == text.replace(line, filled)
    assert parse_text("s.md", written, "story", "").status == "NEW"


def test_an_empty_status_line_in_a_fence_is_left_and_a_line_written_after_the_heading() -> None:
    text = "# S-1: A\n\n```\nStatus:\n```\n"
    assert set_field(text, "status", "NEW", "s.md") == "# S-1: A\n\nStatus: NEW\n\n```\nStatus:\n```\n"


BLANKS = 50_000  # a run the patterns once took minutes to give back character by character (quadratic)


@pytest.mark.parametrize(
    ("path", "text", "title", "status"),
    [
        ("s.md", "# " + " " * BLANKS + "\n", "s", None),  # a heading of blanks alone: the file's name
        ("s.md", "# A-1:" + " " * BLANKS + "#\n", "A-1:", None),
        ("s.md", "# T\nStatus: Draft\n" + "`" * BLANKS + "\ry\n", "T", "Draft"),  # a fence's run of backquotes
        ("a.md", "# T\n* Status:" + "\t" * BLANKS + "\n", "T", None),  # MADR's bullet with no value
        ("a.md", "# 1. T\n\n## Status\n\nx" + " " * BLANKS + "x\r\n", "T", "x" + " " * BLANKS + "x"),
        ("a.md", "# 1. T\n\nDate: x" + "\t" * BLANKS + "!\n\n## Status\n\nAccepted\n", "T", "Accepted"),
    ],
)
def test_a_long_run_of_blanks_or_marks_is_read_at_once(path: str, text: str, title: str, status: str | None) -> None:
    """Each pattern reads a run one way (no run given back a character at a time): the same reading as before."""
    artifact = parse_text(path, text, "adr" if path == "a.md" else "story", "")
    assert (artifact.title, artifact.status) == (title, status)


def test_a_long_run_of_blanks_in_a_frontmatter_is_edited_at_once() -> None:
    text = "---\nstatus:" + " " * BLANKS + "\ry\n---\n"
    assert set_field(text, "status", "done", "s.md").count("done") == 1
    assert states_own_version("---\nversion: x" + " " * BLANKS + "y\n: :\n---\n") is False  # no YAML: the line read


@pytest.mark.parametrize(
    ("text", "status", "layout"),
    [
        ("# T\n\n* Status: accepted\n* Date: 2020-01-02\n\n## Options\n\n### A\n\n- Status: no\n", "accepted", "madr"),
        ("# Use X\n\n## Metadata\n\n* Status: accepted\n* Date: 2024\n\n## Context\n", "accepted", "madr"),  # under ##
        ("# Plan\n\n### M1\n\n- Status: done\n", None, "plain"),  # a milestone's bullet: no record's status
        ("# 1. Use X\n\n## Status\n\n- Accepted\n", "Accepted", "nygard"),  # a list item's marker is no part
        ("# Phase 1\n\n## Status\n\n- **Status**: COMPLETED\n", "COMPLETED", "nygard"),  # nor the line's label
        ("# 1. Keep\n\n## Status\n\nStatus quo kept\n", "Status quo kept", "nygard"),
        ("# Plan\n\n## Status\n\n- Program status: Active\n", "Active", "nygard"),  # a label of two words
        ("# Plan\n\n## Status\n- Current milestone: M2\n", "M2", "nygard"),
    ],
)
def test_a_status_is_read_where_its_layout_keeps_it(text: str, status: str | None, layout: str) -> None:
    """MADR 2's bullets are above the first heading of level three (a milestone's); a `## Status` section's
    first line without its list marker or label (real plans: a milestone's `- Status: Pending` was the
    whole plan's status)."""
    artifact = parse_text("docs/adr/x.md", text, "adr", "")
    assert (artifact.status, artifact.layout) == (status, layout)
    if status is not None:
        written = set_field(text, "status", "Superseded", "docs/adr/x.md")
        assert parse_text("docs/adr/x.md", written, "adr", "").status == "Superseded"
        assert written.replace("Superseded", status) == text  # only the value changed


def test_a_one_line_comment_above_the_heading_leaves_the_status_line_read() -> None:
    """`<!-- markdownlint-disable -->` first: the ADR read as plain Markdown, without its status."""
    text = "<!-- markdownlint-disable -->\n# Use NATS\n\nStatus: Accepted\n"
    artifact = parse_text("docs/adr/0001-use-nats.md", text, "adr", "")
    assert (artifact.title, artifact.status) == ("Use NATS", "Accepted")


def test_a_madr_status_in_bold_is_its_phrase_and_a_write_keeps_the_bold() -> None:
    """Swift Evolution's 575 proposals: `* Status: **Rejected**` read as '**Rejected**', so `ls --status
    Rejected` found none and `allowed_values` refused 574 of them."""
    text = "# Typed throws\n\n* Proposal: [SE-0413](0413-typed-throws.md)\n* Status: **Implemented (Swift 6.0)**\n"
    artifact = parse_text("proposals/0413-typed-throws.md", text, "design-proposal", "")
    assert (artifact.layout, artifact.status) == ("madr", "Implemented (Swift 6.0)")
    assert set_field(text, "status", "Accepted") == text.replace("Implemented (Swift 6.0)", "Accepted")


@pytest.mark.parametrize(
    "text, title",
    [
        ("<!-- TODO: fill in\n\n```sh\n# install the tool\n```\n# Real title\n", "Real title"),  # never closed
        ("<!-->\n```sh\n# shell comment\n```\n# Real title\n", "Real title"),  # `<!-->` is a whole comment
    ],
)
def test_a_comment_that_never_closes_or_closes_at_once_hides_no_fence(text: str, title: str) -> None:
    assert parse_text("notes.md", text, "story", "").title == title


def test_a_line_of_many_comments_above_the_heading_is_read_at_once() -> None:
    """A pattern that could split `<!-- a --><!-- b -->` several ways took 2^n steps on a line of n."""
    text = "<!-- x -->" * 40 + " trailing text\n# Title\n\nStatus: Accepted\n"
    assert parse_text("notes.md", text, "story", "").status is None  # text after the comments: no status line
    assert parse_text("notes.md", "<!-- a --><!-- b -->\n# T\n\nStatus: Done\n", "story", "").status == "Done"
