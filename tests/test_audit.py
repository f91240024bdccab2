"""`audit` (the remote's history, filtered) and `stats` (this clone's recorded sync operations)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from agentsync.commands.audit import since_timestamp
from agentsync.errors import UsageError
from agentsync.remotes import migrations
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import (  # noqa: F401  (fixtures)
    SupabaseProject,
    connect,
    database,
    postgres_url,
    supabase,
)
from tests.test_cli import run


def clone_of(root: Path, remote: str, email: str) -> GitRepo:
    repo = make_git_repo(root)
    repo.git("config", "user.email", email)
    text = repo.read("agentsync.yaml").decode().replace("remote: local", f"remote: {remote}")
    repo.write("agentsync.yaml", text + "project: team\n")
    return repo


def ada_and_bo(tmp_path: Path, url: str) -> tuple[GitRepo, GitRepo]:
    """Two clones of project `team`: ada pushed P-1 and P-2, bo pulled them."""
    ada = clone_of(tmp_path / "ada", url, "ada@example.com")
    bo = clone_of(tmp_path / "bo", url, "bo@example.com")
    ada.write("plans/P-1.md", artifact("P-1", "One"))
    ada.write("plans/P-2.md", artifact("P-2", "Two"))
    assert run(ada, "push")[0] == 0
    assert run(bo, "pull")[0] == 0
    return ada, bo


def signed_in_clone(tmp_path: Path, supabase: SupabaseProject, monkeypatch: pytest.MonkeyPatch) -> GitRepo:  # noqa: F811
    """A clone whose user signed in as ada@team.example (a member of `team`) while Git says
    someone else, after pushing P-1 over Supabase's API."""
    user_id, token = supabase.user("ada@team.example")
    supabase.add_member("team", user_id, "ada@team.example")
    clone = clone_of(tmp_path / "ada", supabase.url, "git-says@example.com")
    monkeypatch.setenv("SUPABASE_ANON_KEY", supabase.keys["anon"])
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", token)
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    clone.write("plans/P-1.md", artifact("P-1", "One"))
    assert run(clone, "push")[0] == 0
    return clone


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


def test_audit_lists_who_changed_what_newest_first_and_filters(tmp_path: Path, remote_url: str) -> None:
    ada, bo = ada_and_bo(tmp_path, remote_url)
    bo.write("plans/P-1.md", bo.read("plans/P-1.md").decode().replace("Body.", "Bo's body."))
    (bo.root / "plans/P-2.md").unlink()
    assert run(bo, "push")[0] == 0

    code, out, _ = run(ada, "audit")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4
    assert "P-2 v2" in lines[0] and "bo@example.com  deleted  deleted" in lines[0]
    assert "P-1 v2" in lines[1] and "bo@example.com  plans/P-1.md  body +1 -1 line(s)" in lines[1]
    assert lines[2].endswith("  created") and lines[3].endswith("  created")
    assert all("ada@example.com" in line for line in lines[2:])
    code, out, _ = run(ada, "audit", "--author", "ada@example.com", "--json")
    entries: list[dict[str, Any]] = json.loads(out)
    assert [(e["artifact_id"], e["version"]) for e in entries] == [("P-2", 1), ("P-1", 1)]
    assert set(entries[0]) == {
        "artifact_type",
        "artifact_id",
        "version",
        "path",
        "hash",
        "deleted",
        "author",
        "seq",
        "summary",
        "created_at",
    }  # fmt: skip  (never the content)
    assert len(run(ada, "audit", "--since", "1h")[1].splitlines()) == 4
    assert run(ada, "audit", "--since", "2999-01-01")[1].startswith("no changes since 2999-01-01T00:00:00")
    code, _, err = run(ada, "audit", "--since", "last tuesday")
    assert code == 2 and "--since 'last tuesday'" in err


def test_since_accepts_dates_times_and_ages() -> None:
    now = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone.utc)
    assert since_timestamp("90m", now) == "2026-11-23T10:30:00+00:00"
    assert since_timestamp("2w", now) == "2026-11-09T12:00:00+00:00"
    assert since_timestamp("2026-11-01T09:00+01:00", now) == "2026-11-01T09:00:00+01:00"
    with pytest.raises(UsageError):
        since_timestamp("soon", now)


def test_over_supabase_the_audit_shows_the_tokens_user_whatever_git_says(
    tmp_path: Path,
    supabase: SupabaseProject,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clone = signed_in_clone(tmp_path, supabase, monkeypatch)
    code, out, err = run(clone, "audit", "--json")
    assert code == 0, err
    assert [entry["author"] for entry in json.loads(out)] == ["ada@team.example"]
    _, outsider_token = supabase.user("eve@example.com")  # not a member of `team`
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", outsider_token)
    code, _, err = run(clone, "audit")
    assert code == 1 and "not a member of project team" in err


def test_stats_summarise_the_recorded_sync_operations(
    tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = clone_of(tmp_path / "ada", remote_url, "ada@example.com")
    assert run(ada, "stats")[1].startswith("no sync operations recorded yet")
    for number in range(3):
        ada.write(f"plans/P-{number}.md", artifact(f"P-{number}", "One"))
        assert run(ada, "push")[0] == 0
    assert '"lag": 0' in run(ada, "stats", "--json")[1]  # the three changes on the remote are this clone's own
    assert run(ada, "pull")[0] == 0
    unreachable = "postgresql://nobody@127.0.0.1:1/x"
    ada.write("agentsync.yaml", ada.read("agentsync.yaml").decode().replace(remote_url, unreachable))
    ada.write("plans/P-9.md", artifact("P-9", "Offline"))
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    assert run(ada, "remote", "reset")[0] == 0  # another remote: start over there
    assert run(ada, "push")[0] == 1  # unreachable: recorded as an error
    code, out, _ = run(ada, "stats", "--json")
    figures = json.loads(out)
    assert code == 0 and figures["operations"] == 5
    push = figures["by_operation"]["push"]
    assert push["runs"] == 4 and push["pushed"] == 3 and push["errors"] == 1
    assert figures["by_operation"]["pull"]["runs"] == 1
    assert "cannot reach postgresql://nobody@127.0.0.1:1/x" in figures["last_error"]["message"]
    assert figures["queued_batches"] == 1
    code, out, _ = run(ada, "stats")
    assert "push       4 run(s)" in out and "; 3 pushed, 0 conflict(s), 1 error(s)" in out
    assert "pull       1 run(s)" in out and "queue: 1 batch(es)" in out
