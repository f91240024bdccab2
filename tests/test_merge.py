"""Three-way merge: frontmatter key by key, the body line by line, markers only where both changed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agentsync.merge import has_markers, merge3

BASE = """---
id: S-1
title: Checkout
status: DRAFT
version: 3
owner: ada   # who drives it
tags: [web]
---

# Checkout

First paragraph.

Second paragraph.

Third paragraph.
"""


def merged(ours: str, theirs: str, base: str = BASE) -> tuple[str, list[str]]:
    result = merge3(base, ours, theirs, version=4, author="bo@example.com", git_fields=("status",))
    return result.text, result.conflicts


def test_edits_of_different_lines_and_keys_merge_cleanly() -> None:
    ours = BASE.replace("First paragraph.", "First, edited here.").replace("tags: [web]", "tags: [web, api]")
    theirs = BASE.replace("Third paragraph.", "Third, edited there.").replace("owner: ada", 'owner: "bo"')
    text, conflicts = merged(ours, theirs)
    assert conflicts == []
    assert text == (ours.replace("Third paragraph.", "Third, edited there.")
                    .replace("owner: ada", 'owner: "bo"').replace("version: 3", "version: 4"))  # fmt: skip


def test_the_same_key_changed_differently_is_a_conflict_on_that_key_only() -> None:
    ours = BASE.replace("title: Checkout", "title: Checkout v2").replace("First paragraph.", "Mine.")
    theirs = BASE.replace("title: Checkout", "title: New checkout")
    text, conflicts = merged(ours, theirs)
    assert conflicts == ["key title"]
    marked = "<<<<<<< local\ntitle: Checkout v2\n=======\ntitle: New checkout\n>>>>>>> remote v4 by bo@example.com\n"
    assert marked in text
    assert "Mine." in text and text.count("<<<<<<<") == 1 and has_markers(text)


def test_the_same_lines_changed_differently_are_marked_in_the_body() -> None:
    ours = BASE.replace("Second paragraph.", "Second, ours.")
    theirs = BASE.replace("Second paragraph.", "Second, theirs.").replace("Third paragraph.", "Third, theirs.")
    text, conflicts = merged(ours, theirs)
    assert len(conflicts) == 1 and conflicts[0].startswith("body")
    assert "<<<<<<< local\nSecond, ours.\n=======\nSecond, theirs.\n>>>>>>> remote v4 by bo@example.com\n" in text
    assert "Third, theirs." in text


def test_git_fields_keep_ours_and_version_is_never_a_conflict() -> None:
    ours = BASE.replace("version: 3", "version: 3").replace("status: DRAFT", "status: DRAFT")
    theirs = BASE.replace("status: DRAFT", "status: DONE").replace("version: 3", "version: 9")
    text, conflicts = merged(ours, theirs)
    assert conflicts == [] and "status: DRAFT" in text and "version: 4" in text


def test_keys_added_on_one_side_are_kept_and_a_deleted_key_is_deleted() -> None:
    ours = BASE.replace("tags: [web]\n", "tags: [web]\npriority: high\n")
    theirs = BASE.replace("owner: ada   # who drives it\n", "")
    theirs = theirs.replace("tags: [web]\n", "tags: [web]\nteam: payments\n")
    text, conflicts = merged(ours, theirs)
    assert conflicts == []
    assert "priority: high" in text and "team: payments" in text and "owner:" not in text


def test_both_sides_making_the_same_change_is_no_conflict() -> None:
    same = BASE.replace("Second paragraph.", "Same.").replace("owner: ada", "owner: cy")
    assert merged(same, same) == (same.replace("version: 3", "version: 4"), [])


LINES = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "", "- item", "## Part"]), max_size=8)


@settings(max_examples=200, deadline=None)
@given(LINES, LINES, LINES)
def test_merging_is_symmetric_in_content_and_takes_one_sided_changes_exactly(
    base: list[str], ours: list[str], theirs: list[str]
) -> None:
    def doc(lines: list[str]) -> str:
        return "---\nid: X\nversion: 1\n---\n" + "".join(f"{line}\n" for line in lines)

    # One side unchanged: the result is the other side (with the remote's version).
    assert merged(doc(base), doc(theirs), doc(base))[0] == doc(theirs).replace("version: 1", "version: 4")
    assert merged(doc(ours), doc(base), doc(base))[0] == doc(ours).replace("version: 1", "version: 4")
    text, conflicts = merged(doc(ours), doc(theirs), doc(base))
    assert has_markers(text) == bool(conflicts)


def test_a_change_is_described_in_a_few_words() -> None:
    from agentsync.merge import describe_change

    before = "---\nid: P-1\ntitle: One\nversion: 1\n---\n\nFirst.\nSecond.\n"
    after = "---\nid: P-1\ntitle: One, renamed\nversion: 2\nowner: ada\n---\n\nFirst.\nSecond, edited.\nThird.\n"
    assert describe_change(before, after) == "owner, title changed; body +2 -1 line(s)"
    assert describe_change(None, after) == "created" and describe_change(before, None) == "deleted"
    assert describe_change(before, before.replace("version: 1", "version: 2")) == "unchanged text"


def test_a_version_line_turned_into_the_documents_own_is_kept_over_agentsyncs_hint() -> None:
    """Base and theirs hold agentsync's hints (1, then 2); ours made the line the document's own
    ('1.0'): a hint moving is no edit, so the merge keeps ours, with no conflict and no hint over it."""
    base = "---\nid: D-1\nversion: 1\n---\n\nOne.\n"
    ours = "---\nid: D-1\nversion: '1.0'\n---\n\nOne.\n"
    theirs = "---\nid: D-1\nversion: 2\n---\n\nOne, edited.\n"
    result = merge3(base, ours, theirs, version=3, author="bo@example.com")
    assert result.clean and result.text == "---\nid: D-1\nversion: '1.0'\n---\n\nOne, edited.\n"
    mine = merge3(base, base.replace("One.", "One, mine."), ours.replace("'1.0'", "'1.1'"), version=3, author="b")
    assert mine.clean and "version: '1.1'\n" in mine.text and "One, mine." in mine.text  # theirs made it their own


def test_a_conflict_elsewhere_keeps_the_documents_own_version() -> None:
    """Both sides changed the title: the head carries a conflict's markers (no YAML), and the
    document's own `version: '1.0'` stays as written, no number of agentsync's over it."""
    base = "---\nid: D-1\ntitle: One\nversion: '1.0'\n---\n\nx\n"
    result = merge3(base, base.replace("One", "Ada"), base.replace("One", "Bo"), version=2, author="bo")
    assert result.conflicts == ["key title"] and "version: '1.0'\n" in result.text and "version: 2" not in result.text


def test_a_quoted_keys_edit_on_the_remote_is_merged() -> None:
    base = '---\nid: D-1\n"title": Old\n---\n\nOne.\n'
    theirs = base.replace("Old", "New")
    result = merge3(base, base.replace("One.", "One, mine."), theirs, version=2, author="bo")
    assert result.clean and '"title": New\n' in result.text and "One, mine." in result.text


def test_a_documents_own_version_dropped_on_one_side_gives_the_remote_version_again() -> None:
    base = "---\nid: D-1\nversion: '1.0'\n---\n\nOne.\n"
    dropped = "---\nid: D-1\n---\n\nOne.\n"
    for ours, theirs in (
        (dropped, base.replace("One.", "One, theirs.")),
        (base.replace("One.", "One, mine."), dropped),
    ):
        result = merge3(base, ours, theirs, version=7, author="bo")
        assert result.clean and "version: 7\n" in result.text and "'1.0'" not in result.text
