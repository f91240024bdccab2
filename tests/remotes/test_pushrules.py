"""``pushrules`` decides what a push accepts exactly as ``sql/0009``'s ``change_problem`` does:
the hardening suite's cases and generated ones, each asked of both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsync.remotes import migrations
from agentsync.remotes.pushrules import batch_refusal, change_problem
from tests.remotes.conftest import connect
from tests.remotes.test_hardening import BAD_CHANGES, GOOD_FRONTMATTER


@pytest.fixture(scope="module")
def problem_of(postgres_url: str) -> Iterator[Any]:
    """``agentsync.change_problem`` of a migrated database, as a function."""
    from tests.remotes.conftest import database_url

    name = "agentsync_test_pushrules"
    with connect(postgres_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with connect(database_url(postgres_url, name)) as connection:
            migrations.migrate(connection)

            def problem(change: Any) -> str | None:
                row = connection.execute("SELECT agentsync.change_problem(%s::jsonb)", (json.dumps(change),)).fetchone()
                assert row is not None
                return None if row[0] is None else str(row[0])

            yield problem
    finally:
        with connect(postgres_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ACCEPTED = [
    {"id": "P-1", "path": "plans/P-1.md", "content": GOOD_FRONTMATTER},
    {"id": "P-2", "path": "plans/P-2.md", "content": '\ufeff---\nid: "P-2"\n---\n'},
    {"id": "P-3", "path": "plans/P-3.md", "content": "---\nid:\n---\n"},
    {"id": "P-4", "path": "plans/P-4.md", "content": "---\nid: P-9\n"},
    {"id": "P-5", "path": "plans/P-5.md", "content": "---\ntitle: T\n...\nid: P-9\n---\n"},
    {"id": "P-6", "path": "plans/P-6.md", "content": "---\n----\nid: P-6\r\n---\n"},
    {"id": "P-7", "path": "plans/P-7.md", "deleted": True},
    {"id": "é-1", "path": "plans/é 1.md", "content": "---\nid: 'é-1'\n---\n"},
]


@pytest.mark.parametrize("change", [c for c, _reason in BAD_CHANGES] + ACCEPTED)
def test_the_cases_of_the_hardening_suite(problem_of: Any, change: dict[str, Any]) -> None:
    if len(change.get("content") or "") > 1_000_000:
        assert change_problem(change) is not None and "over the remote's limit" in str(change_problem(change))
        return  # (not sent to the database once more: the hardening suite does)
    assert change_problem(change) == problem_of(change)


def test_non_objects_and_odd_fields(problem_of: Any) -> None:
    odd = ["text", [1], {"id": 7, "path": "a.md"}, {"id": "A", "path": 5}, {"id": "A", "path": "a.md", "content": 5},
           {"id": "A", "path": "a.md", "deleted": False, "content": "x"}, {"id": "\u00a0P", "path": "a.md"},
           {"id": "P\u2003", "path": "a.md"}, {"id": "P", "path": "a\u00a0/b.md", "content": "x"}]  # fmt: skip
    # Where the frontmatter closes, counted in characters after multi-byte ones (migration 14 reads bytes)
    for text in (
        "---\ntitle: é€\nid: Q\n---",
        "---\ntitle: é€\nid: Q\n---\n",
        "---\nid: Q\n---- é\nid: P\n---\n",
        "\ufeff---\nid: Q\n---\n",
        "é---\nid: Q\n---\n",
        "---\nid: Q\n--- \n€\n---\n",
        "---\n---\n",
    ):
        odd += [{"id": artifact_id, "path": "a.md", "content": text} for artifact_id in ("P", "Q")]
    for change in odd:
        assert change_problem(change) == problem_of(change), change


LINES = [
    "---", "...", "----", "--- ", "id: X", "id: P-1", "'id': 'X'", '"id": "P-1"', "id:", "id: ~", "id: 'P-1'",
    "id: P-1 # note", 'id: "P\\"1"', "id: |", "id: 'it''s'", "title: T", "", "body", "id : X", " id: X",
]  # fmt: skip


@st.composite
def contents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.sampled_from(LINES), max_size=8))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending]))
    return draw(st.sampled_from(["", "\ufeff"])) + text


ID_ALPHABET = "AZaz09._-/\\ \t\n\x01\x7fé"
PATH_ALPHABET = "Aa0_. -/\\\x01é"


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    artifact_id = draw(st.one_of(st.just("P-1"), st.text(ID_ALPHABET, max_size=6)))
    path = draw(st.sampled_from(["", "/", ".git/", "./", "a/../", ".Agentsync/"])) + draw(
        st.text(PATH_ALPHABET, max_size=8)) + draw(st.sampled_from([".md", ".sh", ""]))  # fmt: skip
    change: dict[str, Any] = {"id": artifact_id, "path": path}
    if draw(st.booleans()):
        change["content"] = draw(contents())
    if draw(st.integers(0, 5)) == 0:
        change["deleted"] = True
    return change


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=changes())
def test_generated_changes_get_the_same_answer(problem_of: Any, change: dict[str, Any]) -> None:
    assert change_problem(change) == problem_of(change)


def test_the_batch_refusal_names_the_first_bad_change() -> None:
    good = {"type": "plan", "id": "A", "path": "a.md", "content": "x"}
    assert batch_refusal([good]) is None
    assert batch_refusal([good, {"type": "plan", "id": "B\x01", "path": "a/b.sh", "content": "x"}, {"id": "C"}]) == (
        'agentsync: refused artifact "plan:B?": the id has a slash, a backslash or a control character; '
        "nothing of this push was applied"
    )
    assert batch_refusal([good, {"id": "A", "content": "x"}]) == (
        'agentsync: refused artifact ":A": the type must be a string of 1 to 100 characters; '
        "nothing of this push was applied"
    )  # a change names its type (identity is type and id)
    assert batch_refusal([good, good]) == "agentsync: a batch names an artifact more than once"
    assert batch_refusal([good, {**good, "type": "story"}]) is None  # another type: another artifact
