"""`agentsync remote add | use | remove | show | reset` from the CLI, on real config files and mirrors."""

from __future__ import annotations

import json

import pytest

from agentsync.config import load
from tests.conftest import GitRepo, artifact
from tests.remotes.conftest import database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run


def test_add_use_show_and_remove(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    code, out, err = run(git_repo, "remote", "add", "team", "https://abc.supabase.co")
    assert code == 0 and "push and pull still use local" in out, err
    assert load(git_repo.root).remotes == {"team": "https://abc.supabase.co"}
    code, out, _ = run(git_repo, "remote", "show")
    assert "* local" in out and "  team  https://abc.supabase.co" in out
    assert run(git_repo, "remote", "use", "team")[0] == 0
    assert load(git_repo.root).remote == "team"
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "a-secret-value")
    code, out, _ = run(git_repo, "remote", "show", "--json")
    shown = json.loads(out)
    assert shown["default"] == "team" and shown["credentials_set"]["SUPABASE_SERVICE_ROLE_KEY"] is True
    assert "a-secret-value" not in out
    code, out, _ = run(git_repo, "remote", "remove", "team")
    assert code == 0 and "push and pull now use local" in out
    config = load(git_repo.root)
    assert config.remote == "local" and config.remotes == {}
    assert "# Artifact types" in git_repo.read("agentsync.yaml").decode()  # the comments stay


def test_bad_names_urls_and_secrets_are_refused(git_repo: GitRepo) -> None:
    before = git_repo.read("agentsync.yaml")
    code, _, err = run(git_repo, "remote", "add", "team", "ftp://example.com")
    assert code == 2 and "is not a remote" in err
    code, _, err = run(git_repo, "remote", "add", "bad name", "local")
    assert code == 2 and "not a valid remote name" in err
    code, _, err = run(git_repo, "remote", "add", "db", "postgresql://ada:hunter2@db.example.com/x")
    assert code == 1 and "AGENTSYNC_DATABASE_URL" in err and "hunter2" not in err
    code, _, err = run(git_repo, "remote", "use", "nowhere")
    assert code == 2 and "no remote named 'nowhere'" in err
    assert git_repo.read("agentsync.yaml") == before  # nothing half-written


def test_the_mirror_refuses_to_mix_two_remotes_until_reset(
    git_repo: GitRepo,
    database: str,  # noqa: F811  (the fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    run(git_repo, "remote", "add", "first", database, "--default")
    git_repo.write("stories/S-1.md", artifact("S-1"))
    code, _, err = run(git_repo, "push")
    assert code == 1 and "run `agentsync remote migrate`" in err
    assert run(git_repo, "remote", "migrate", "--db-url", database)[0] == 0
    assert run(git_repo, "push")[0] == 0
    run(git_repo, "remote", "add", "second", database.replace("/agentsync_test", "/other_test"), "--default")
    code, _, err = run(git_repo, "push")
    assert code == 1 and "this clone syncs with" in err and "agentsync remote reset" in err
    code, out, err = run(git_repo, "remote", "reset")
    assert code == 0 and "forgot this clone's sync state" in out, err
    assert run(git_repo, "remote", "use", "first")[0] == 0
    code, out, err = run(git_repo, "push")  # S-1 is sent again as new: the remote has v1 already,
    assert code == 0 and "story:S-1 changed on the remote" in err and "merging" in err
    assert "conflict" not in err  # the merge finds them the same
    assert run(git_repo, "push")[1].strip() == "nothing to push"
