"""`clients` (the clones registered with the remote) and `doctor` (what to fix, one line each)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from agentsync import hooks
from agentsync.remotes import migrations
from tests.conftest import artifact
from tests.remotes.conftest import SupabaseProject, connect, database, postgres_url, supabase  # noqa: F401
from tests.test_audit import clone_of, signed_in_clone
from tests.test_cli import run


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


def test_clones_register_are_listed_and_can_be_retired(tmp_path: Path, remote_url: str) -> None:
    from agentsync import __version__

    ada = clone_of(tmp_path / "ada", remote_url, "ada@example.com")
    bo = clone_of(tmp_path / "bo", remote_url, "bo@example.com")
    assert run(ada, "clients")[1] == "no clones have registered yet (a push or pull registers one)\n"
    ada.write("plans/P-1.md", artifact("P-1", "One"))
    assert run(ada, "push")[0] == 0
    assert run(bo, "pull")[0] == 0
    assert run(ada, "pull")[0] == 0  # its own push fetched: nothing to catch up on
    code, out, _ = run(ada, "clients", "--json")
    clients = json.loads(out)
    assert code == 0 and sorted(c["user_name"] for c in clients) == ["ada@example.com", "bo@example.com"]
    mine = next(c for c in clients if c["this_clone"])
    assert mine["user_name"] == "ada@example.com" and mine["host"] == socket.gethostname()
    assert mine["agent_version"] == __version__ and mine["lag"] == 0
    theirs = next(c for c in clients if not c["this_clone"])
    code, out, _ = run(ada, "clients", "remove", theirs["client_id"][:8])
    assert code == 0 and out == f"retired clone {theirs['client_id']}\n"
    assert [c["user_name"] for c in json.loads(run(ada, "clients", "--json")[1])] == ["ada@example.com"]
    code, _, err = run(ada, "clients", "remove", "zzzz")
    assert code == 1 and "no clone 'zzzz'" in err


def test_over_supabase_a_clone_is_registered_as_the_tokens_user(
    tmp_path: Path,
    supabase: SupabaseProject,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clone = signed_in_clone(tmp_path, supabase, monkeypatch)
    code, out, err = run(clone, "clients", "--json")
    assert code == 0, err
    assert [c["user_name"] for c in json.loads(out)] == ["ada@team.example"]
    code, _, err = run(clone, "clients", "remove", json.loads(out)[0]["client_id"])
    assert code == 1 and "only an owner of team can retire clients" in err


def test_doctor_says_what_to_fix(tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = clone_of(tmp_path / "ada", remote_url, "ada@example.com")
    repo.write("plans/P-1.md", artifact("P-1", "One"))
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "doctor")
    assert code == 0  # hooks not installed is a suggestion, not a failure
    assert "TIP hooks" in out and "-> `agentsync hooks install`" in out
    assert f"ok  schema       migration {len(migrations.available())}" in out
    hooks.install(repo.root)
    code, out, _ = run(repo, "doctor", "--json")
    checks = {c["check"]: c for c in json.loads(out)}
    assert code == 0 and all(c["ok"] for c in checks.values()), out
    assert set(checks) == {"config", "hooks", "layouts", "mirror", "queue", "conflicts", "refused", "remote", "lag",
                           "schema", "watcher"}  # fmt: skip
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/x")
    code, out, _ = run(repo, "doctor")
    assert code == 1 and "FIX remote       postgresql://nobody@127.0.0.1:1/x: cannot reach" in out
    with connect(remote_url) as connection:  # a remote one migration behind this agentsync
        connection.execute("DELETE FROM agentsync.schema_migrations WHERE version = (SELECT max(version) "
                           "FROM agentsync.schema_migrations)")  # fmt: skip
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL")
    code, out, _ = run(repo, "doctor")
    assert code == 1 and "-> `agentsync remote migrate`" in out
