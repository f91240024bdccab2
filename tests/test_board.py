"""`agentsync board` on a corpus with several statuses, locks (mine and another's), a conflict,
and artifacts ahead and behind, against a real PostgreSQL remote: the columns, the cards' marks,
the lines at 80 columns, and --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync.board import NO_STATUS, status_order
from agentsync.remotes import migrations, opened
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run

STATUSES = "allowed_values:\n  status: [DRAFT, ACTIVE, REVIEW, DONE]\n"


@pytest.fixture
def team(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", database)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    monkeypatch.setenv("COLUMNS", "80")
    repo = make_git_repo(tmp_path / "repo")
    config = repo.read("agentsync.yaml").decode() + "project: board\n" + STATUSES
    repo.write("agentsync.yaml", config)
    stories = [("S-1", "Checkout with a saved card", "ACTIVE"), ("S-2", "Search", "ACTIVE"),
               ("S-3", "Refunds for partial orders", "REVIEW"), ("S-4", "Invoices", "DRAFT"),
               ("S-5", "Exports", "DONE"), ("S-6", "Old idea", "PARKED")]  # fmt: skip
    for story_id, title, status in stories:
        repo.write(f"stories/{story_id}.md", artifact(story_id, title, status, "Body line.\n"))
    repo.commit_all("stories")
    assert run(repo, "push")[0] == 0
    other = make_git_repo(tmp_path / "other")
    other.write("agentsync.yaml", config)
    assert run(other, "pull")[0] == 0
    for story_id, line in (("S-3", "Theirs."), ("S-5", "Changed there.")):
        path = f"stories/{story_id}.md"
        other.write(path, other.read(path).decode().replace("Body line.", line))
    assert run(other, "push")[0] == 0
    repo.write("stories/S-3.md", repo.read("stories/S-3.md").decode().replace("Body line.", "Ours."))
    assert run(repo, "pull")[0] == 1  # S-3: a conflict; S-5 fast-forwards
    other.write("stories/S-5.md", other.read("stories/S-5.md").decode().replace("Changed there.", "Again."))
    assert run(other, "push")[0] == 0
    assert run(repo, "fetch")[0] == 0  # S-5: behind
    repo.write("stories/S-4.md", repo.read("stories/S-4.md").decode().replace("Body line.", "Edited here."))
    assert run(repo, "lock", "S-1")[0] == 0
    with opened(repo.config()) as remote:
        assert remote.lock("story:S-2", "mcp:agent-b", 600).result == "locked"
    yield repo


def test_columns_follow_the_configured_order_then_the_others() -> None:
    assert status_order(("DRAFT", "DONE"), {"DONE", "WEIRD", None, "DRAFT", "ALSO"}) == [
        "DRAFT", "DONE", "ALSO", "WEIRD", NO_STATUS,
    ]  # fmt: skip


def test_board_json_has_each_card_in_its_column_with_lock_and_sync_state(team: GitRepo) -> None:
    code, out, err = run(team, "board", "--json")
    assert code == 0, err
    board = json.loads(out)
    columns = {c["status"]: {card["id"]: card for card in c["cards"]} for c in board["columns"]}
    assert [c["status"] for c in board["columns"]] == ["DRAFT", "ACTIVE", "REVIEW", "DONE", "PARKED"]
    assert set(columns["ACTIVE"]) == {"S-1", "S-2"} and set(columns["PARKED"]) == {"S-6"}
    assert columns["ACTIVE"]["S-1"]["lock"] == {"holder": "ada@example.com", "mine": True}
    assert columns["ACTIVE"]["S-2"]["lock"] == {"holder": "mcp:agent-b", "mine": False}
    assert columns["REVIEW"]["S-3"]["sync"] == "conflict"
    assert columns["DRAFT"]["S-4"]["sync"] == "ahead"
    assert columns["DONE"]["S-5"]["sync"] == "behind"
    assert columns["PARKED"]["S-6"]["sync"] == "in step" and columns["PARKED"]["S-6"]["lock"] is None
    assert board["remote_error"] is None
    code, out, _ = run(team, "board", "--type", "plan", "--json")
    assert code == 0 and all(not c["cards"] for c in json.loads(out)["columns"])
    code, _, err = run(team, "board", "--type", "saga")
    assert code == 1 and "unknown artifact type 'saga'" in err


def test_board_text_fits_80_columns_and_shows_every_card(team: GitRepo) -> None:
    code, out, err = run(team, "board")
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    header = next(line for line in lines if "DRAFT (1)" in line)
    assert header.index("DRAFT (1)") < header.index("ACTIVE (2)") < header.index("REVIEW (1)")
    assert header.index("REVIEW (1)") < header.index("DONE (1)") < header.index("PARKED (1)")
    for expected in ("S-1", "S-2", "S-3 CONFLICT", "S-4 ahead", "S-5 behind", "S-6", "lock:", "mcp:agent-b"):
        assert expected in out, out
    assert "(you)" in out and "Checkout" in out and "remote " in lines[-1]


def test_many_statuses_stack_instead_of_squeezing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    repo = make_git_repo(tmp_path / "many")
    statuses = [f"STATE{n}" for n in range(8)]
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode().replace("remote: local", "# no remote"))
    for n, status in enumerate(statuses):
        repo.write(f"stories/S-{n}.md", artifact(f"S-{n}", f"Story number {n}", status))
    code, out, err = run(repo, "board")
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert all(f"{status} (1)" in out for status in statuses) and "no remote configured" in out
