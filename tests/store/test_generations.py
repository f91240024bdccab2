"""The comparison generation moves with every write to a compared table (store.generations): by the
artifacts' triggers, and by the store's own functions for the tables without triggers."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agentsync.scanner import scan
from agentsync.store import artifacts, generations, heads, sync_state
from agentsync.store.artifacts import ProblemRow
from agentsync.store.heads import HeadRow
from agentsync.store.mirror import Mirror
from agentsync.store.sync_state import Agreed, ConflictRow, QuarantineRow
from tests.conftest import Repo, artifact

STORE = Path(sync_state.__file__).parent
UNTRIGGERED = ("git_heads", "sync_base", "remote_rows", "conflicts", "quarantine", "problems")
WRITE = re.compile(rf"\b(INSERT\b[^;]*\bINTO|UPDATE|DELETE\s+FROM)\s+({'|'.join(UNTRIGGERED)}|\{{)", re.IGNORECASE)
NOT_CHECKED = {"schema.py", "triggers.py"}  # migrations (each renews what it rebuilds) and the trigger text


def _writes(function: ast.FunctionDef) -> bool:
    texts = [
        node.value for node in ast.walk(function) if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return any(WRITE.search(text) for text in texts)


def _renews(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "renew"
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "generations"
        for node in ast.walk(function)
    )  # fmt: skip


def test_every_store_function_writing_a_table_without_triggers_renews_the_generation() -> None:
    writers = []
    for module in sorted(STORE.glob("*.py")):
        if module.name in NOT_CHECKED:
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and _writes(node):
                writers.append((module.name, node.name, _renews(node)))
    assert {(name, function) for name, function, _ in writers} >= {
        ("sync_state.py", "store_page"),
        ("sync_state.py", "upsert_agreed"),
        ("heads.py", "replace"),
    }  # fmt: skip  (the scan finds them: a rule that found none would hold nothing)
    assert [(name, function) for name, function, renews in writers if not renews] == []


@pytest.fixture
def mirror(repo: Repo) -> Iterator[Mirror]:
    repo.write("stories/S-1.md", artifact("S-1", "One"))
    with repo.mirror() as opened:
        scan(opened)
        yield opened


WRITES: dict[str, Callable[[Mirror], object]] = {
    "fetched rows kept": lambda m: sync_state.store_page(
        m.connection, [("story:S-1", "stories/S-1.md", 2, "h", 0, "bo", 1, "t", "text")]
    ),
    "agreed": lambda m: sync_state.upsert_agreed(m.connection, [Agreed("story:S-1", "stories/S-1.md", 1, "h", 0, "t")]),
    "a conflict": lambda m: sync_state.upsert_conflicts(
        m.connection, [ConflictRow("story:S-1", "stories/S-1.md", "push", 2, "bo", "m", "t")]
    ),
    "conflicts dropped": lambda m: sync_state.drop_conflicts(m.connection, ["push"]),
    "a conflict dropped": lambda m: sync_state.drop_conflict(m.connection, "story:S-1"),
    "kept aside": lambda m: sync_state.keep_aside(
        m.connection, [QuarantineRow("story:S-1", 2, "stories/S-1.md", "bo", "bad", 1, "t")]
    ),
    "the sync state forgotten": lambda m: sync_state.clear(m.connection),
    "HEAD's rows": lambda m: heads.replace(
        m.connection, "c0ffee", [HeadRow("stories/S-1.md", "b", "story:S-1", "{}")], [], full=True, built_for="x"
    ),
    "a problem recorded": lambda m: artifacts.record_problems(
        m.connection, ["stories/S-2.md"], [ProblemRow("stories/S-2.md", None, "bad")], "t"
    ),  # gitfields.differences: deleted, or unmirrored and why
    "an artifact's row": lambda m: m.connection.execute("UPDATE artifacts SET status = 'done'"),  # by its trigger
}


@pytest.mark.parametrize("write", list(WRITES))
def test_each_write_draws_a_new_generation(mirror: Mirror, write: str) -> None:
    before = generations.compare_generation(mirror.connection)
    with mirror.transaction():
        WRITES[write](mirror)
    assert generations.compare_generation(mirror.connection) != before


def test_a_release_of_nothing_kept_aside_keeps_it(mirror: Mirror) -> None:
    before = generations.compare_generation(mirror.connection)
    with mirror.transaction() as db:
        sync_state.release(db, ["story:S-1"])  # nothing kept aside: nothing written
    assert generations.compare_generation(mirror.connection) == before
    with mirror.transaction() as db:
        WRITES["kept aside"](mirror)
        before = generations.compare_generation(db)
        sync_state.release(db, ["story:S-1"])
    assert generations.compare_generation(mirror.connection) != before


def test_the_same_problems_found_again_keep_it(mirror: Mirror) -> None:
    problem = [ProblemRow("stories/S-2.md", 3, "bad")]
    with mirror.transaction() as db:
        artifacts.record_problems(db, None, problem, "t")
    before = generations.compare_generation(mirror.connection)
    with mirror.transaction() as db:
        artifacts.record_problems(db, None, problem, "later")
        artifacts.record_problems(db, ["stories/S-2.md"], problem, "later")
    assert generations.compare_generation(mirror.connection) == before
    with mirror.transaction() as db:
        artifacts.record_problems(db, ["stories/S-2.md"], [ProblemRow("stories/S-2.md", 3, "worse")], "later")
    assert generations.compare_generation(mirror.connection) != before
    before = generations.compare_generation(mirror.connection)
    with mirror.transaction() as db:
        artifacts.record_problems(db, ["stories/S-2.md"], [], "later")  # fixed or gone
    assert generations.compare_generation(mirror.connection) != before
