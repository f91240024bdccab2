"""The Supabase remote: the real supabase-py client over real HTTP, through a PostgREST-compatible
gateway in front of a real PostgreSQL with Supabase's roles and ``auth`` functions.

Covers what only a Supabase project adds: tokens checked by the server, the author taken from
the token, membership, row-level security seen through the API, refusals that say how to fix
the credentials, and the outbox when the API goes away.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import ClientOptions, create_client

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.remotes.base import Change
from agentsync.remotes.supabase import SupabaseRemote, credentials_from_environment
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import JWT_SECRET, SupabaseProject, connect
from tests.remotes.gateway import Gateway, authenticator_url
from tests.test_cli import run


def api(project: SupabaseProject, token: str | None = None, *, key: str = "anon") -> Any:
    """A supabase-py client on the agentsync schema, as the given user (else just the key)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    options = ClientOptions(
        schema="agentsync", headers=headers, auto_refresh_token=False, persist_session=False,
        httpx_client=httpx.Client(),
    )  # fmt: skip
    return create_client(project.url, project.keys[key], options)


def change(artifact_id: str, base: int, content: str | None = "text") -> Change:
    return Change(f"story:{artifact_id}", f"stories/{artifact_id}.md", base, content,
                  None if content is None else f"h-{content}")  # fmt: skip


def test_the_remote_protocol_over_http(supabase: SupabaseProject) -> None:
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["service_role"])
    first = remote.push("clone-a", "batch-1", "ada@example.com", [change("S-1", 0, "hello\n")])
    assert [(a.id, a.result, a.version) for a in first.answers] == [("S-1", "applied", 1)]
    replay = remote.push("clone-a", "batch-1", "ada@example.com", [change("S-1", 0, "hello\n")])
    assert replay.replayed and replay.answers == first.answers and remote.head() == 1
    stale = remote.push("clone-b", "batch-1", "bo@example.com", [change("S-1", 0, "mine\n")]).answers[0]
    assert stale.result == "conflict" and stale.remote is not None and stale.remote.content == "hello\n"
    assert remote.push("clone-a", "batch-2", "ada", [change("S-1", 1, None)]).answers[0].version == 2
    page = remote.pull(0, 100)
    assert [(r.id, r.version, r.deleted) for r in page.rows] == [("S-1", 2, True)] and page.head == 2
    assert [h["version"] for h in remote.history("story:S-1", 10)] == [2, 1]
    assert remote.lock("story:S-2", "ada", 60).result == "locked"
    assert remote.lock("story:S-2", "bo", 60).holder == "ada"
    assert [lock["id"] for lock in remote.locks()] == ["S-2"]
    assert remote.unlock("story:S-2", "bo", True).forced
    remote.close()


def test_ten_thousand_changes_take_at_most_twenty_requests(supabase: SupabaseProject, tmp_path: Path) -> None:
    from agentsync import sync

    repo = make_git_repo(tmp_path / "a")
    for number in range(10_000):
        repo.write(f"stories/S-{number}.md", artifact(f"S-{number}", f"Story {number}"))
    remote = SupabaseRemote(supabase.url, repo.config().project_name, supabase.keys["service_role"])
    before = supabase.gateway.requests
    with repo.mirror() as mirror:
        assert len(sync.push(mirror, remote, "ada").applied) == 10_000
    assert supabase.gateway.requests - before <= 20 + 1  # 20 batches; and the clone registers (every 5 min at most)
    other = make_git_repo(tmp_path / "b")
    before = supabase.gateway.requests
    with other.mirror() as mirror:
        assert sync.fetch(mirror, remote, page_size=5000) == 10_000
    assert supabase.gateway.requests - before <= 3  # two full pages and the empty check


def test_the_author_is_the_tokens_user_not_the_name_the_client_claims(supabase: SupabaseProject) -> None:
    ada, token = supabase.user("ada@example.com")
    supabase.add_member("demo", ada, "ada@example.com")
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["anon"], token)
    remote.push("clone-a", "b1", "mallory@example.com", [change("S-1", 0)])
    assert remote.pull(0, 10).rows[0].author == "ada@example.com"
    assert remote.history("story:S-1", 1)[0]["author"] == "ada@example.com"
    assert remote.lock("story:S-1", "mallory@example.com", 60).holder == "ada@example.com"


def test_users_reach_only_their_projects_and_anon_reaches_nothing(supabase: SupabaseProject) -> None:
    ada, ada_token = supabase.user("ada@example.com")
    bo, bo_token = supabase.user("bo@example.com")
    supabase.add_member("alpha", ada, "ada@example.com")
    supabase.add_member("beta", bo, "bo@example.com")
    SupabaseRemote(supabase.url, "alpha", supabase.keys["anon"], ada_token).push("a", "1", "", [change("A-1", 0)])
    SupabaseRemote(supabase.url, "beta", supabase.keys["anon"], bo_token).push("b", "1", "", [change("B-1", 0)])

    ada_on_beta = SupabaseRemote(supabase.url, "beta", supabase.keys["anon"], ada_token)
    for call in (ada_on_beta.head, lambda: ada_on_beta.pull(0, 10), lambda: ada_on_beta.history("story:B-1", 5)):
        with pytest.raises(RemoteError, match="not a member of project beta"):
            call()
    with pytest.raises(RemoteError, match="not a member of project beta"):
        ada_on_beta.push("a", "2", "", [change("B-1", 1, "overwritten")])
    # Row-level security through the API: ada's reads of the tables show her project's rows only.
    ada_api = api(supabase, ada_token)
    assert [row["artifact_id"] for row in ada_api.table("artifacts").select("*").execute().data] == ["A-1"]
    assert [row["artifact_id"] for row in ada_api.table("history").select("*").execute().data] == ["A-1"]
    assert ada_api.table("members").select("email").execute().data == [{"email": "ada@example.com"}]
    # A reader cannot write.
    supabase.add_member("alpha", bo, "bo@example.com", role="reader")
    with pytest.raises(RemoteError, match="read-only member"):
        SupabaseRemote(supabase.url, "alpha", supabase.keys["anon"], bo_token).push("b", "2", "", [change("A-2", 0)])

    anon = SupabaseRemote(supabase.url, "alpha", supabase.keys["anon"])
    with pytest.raises(RemoteError, match="permission denied"):
        anon.head()
    with pytest.raises(APIError) as refused:
        api(supabase).table("artifacts").select("*").execute()
    assert refused.value.code == "42501"


def test_no_client_can_alter_history(supabase: SupabaseProject) -> None:
    ada, token = supabase.user("ada@example.com")
    supabase.add_member("demo", ada, "ada@example.com", role="owner")
    SupabaseRemote(supabase.url, "demo", supabase.keys["anon"], token).push("a", "1", "", [change("S-1", 0)])
    owner = api(supabase, token)
    attempts = [
        lambda: owner.table("history").delete().eq("artifact_id", "S-1").execute(),
        lambda: owner.table("history").update({"content": "rewritten"}).eq("artifact_id", "S-1").execute(),
        lambda: owner.table("history").insert({"artifact_id": "S-9", "version": 1}).execute(),
        lambda: owner.table("artifacts").update({"content": "rewritten"}).eq("artifact_id", "S-1").execute(),
    ]
    for attempt in attempts:
        with pytest.raises(APIError) as refused:
            attempt()
        assert refused.value.code == "42501", refused.value
    service = api(supabase, key="service_role")  # even the service role: history is append-only
    for attempt in (
        lambda: service.table("history").delete().eq("artifact_id", "S-1").execute(),
        lambda: service.table("history").update({"content": "rewritten"}).eq("artifact_id", "S-1").execute(),
    ):
        with pytest.raises(APIError, match="append-only"):
            attempt()
    with connect(supabase.database) as connection:
        assert connection.execute("SELECT content FROM agentsync.history").fetchall() == [("text",)]


def test_credential_problems_say_what_to_fix(supabase: SupabaseProject) -> None:
    ada, _ = supabase.user("ada@example.com")
    supabase.add_member("demo", ada, "ada@example.com")
    expired = supabase.user("ada@example.com", expires_in=-60)[1]
    with pytest.raises(RemoteError, match=r"refused SUPABASE_ACCESS_TOKEN \(JWT expired\): sign in again"):
        SupabaseRemote(supabase.url, "demo", supabase.keys["anon"], expired).head()
    forged = SupabaseRemote(supabase.url, "demo", supabase.keys["anon"], expired.rsplit(".", 1)[0] + ".forged")
    with pytest.raises(RemoteError, match="SUPABASE_ACCESS_TOKEN"):
        forged.head()
    with pytest.raises(RemoteError, match=r"refused the API key \(Invalid API key\): check that SUPABASE_SERVICE_ROLE"):
        SupabaseRemote(supabase.url, "demo", "not-a-key-of-this-project").head()
    with pytest.raises(RemoteError, match="anon key alone reaches nothing"):
        SupabaseRemote(supabase.url, "demo", supabase.keys["anon"]).head()

    with pytest.raises(RemoteError, match="SUPABASE_SERVICE_ROLE_KEY, or SUPABASE_ANON_KEY plus"):
        credentials_from_environment({})
    with pytest.raises(RemoteError, match="SUPABASE_ANON_KEY alone reaches nothing"):
        credentials_from_environment({"SUPABASE_ANON_KEY": "k"})
    with pytest.raises(RemoteError, match="SUPABASE_ANON_KEY is not"):
        credentials_from_environment({"SUPABASE_ACCESS_TOKEN": "t"})
    assert credentials_from_environment({"SUPABASE_ANON_KEY": "k", "SUPABASE_ACCESS_TOKEN": "t"}) == ("k", "t")

    hidden = Gateway(authenticator_url(supabase.database), JWT_SECRET, schemas=("public",)).start()
    try:
        with pytest.raises(RemoteError, match="Exposed schemas"):
            SupabaseRemote(hidden.url, "demo", supabase.keys["service_role"]).head()
    finally:
        hidden.stop()


def test_a_stopped_api_is_unavailable_and_the_next_call_after_restart_works(supabase: SupabaseProject) -> None:
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["service_role"], timeout=5)
    assert remote.head() == 0
    port = int(supabase.url.rsplit(":", 1)[1])
    supabase.gateway.stop()
    with pytest.raises(RemoteUnavailable, match="cannot reach"):
        remote.head()
    supabase.gateway.start(port)
    assert remote.head() == 0


@pytest.fixture
def team(supabase: SupabaseProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Two developers' clones, each with its own user token, and the remote added from the CLI."""
    users = {}
    for name, email in (("ada", "ada@example.com"), ("bo", "bo@example.com")):
        user_id, token = supabase.user(email)
        supabase.add_member("team", user_id, email)
        clone = make_git_repo(tmp_path / name)
        clone.git("config", "user.email", email)
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\n")
        code, out, err = run(clone, "remote", "add", "shared", supabase.url, "--default")
        assert code == 0 and "push and pull now use shared" in out, err
        users[name] = (clone, token)
    monkeypatch.setenv("SUPABASE_ANON_KEY", supabase.keys["anon"])
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "2")
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "")  # so that the token `as_user` sets is undone after the test
    yield users


def as_user(team: dict[str, Any], name: str, *args: str) -> tuple[int, str, str]:
    clone, token = team[name]
    import os

    os.environ["SUPABASE_ACCESS_TOKEN"] = token  # (restored by monkeypatch's undo of the fixture)
    return run(clone, *args)


def test_two_developers_exchange_edits_deletes_and_renames_over_http(
    team: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "")
    ada: GitRepo = team["ada"][0]
    bo: GitRepo = team["bo"][0]
    ada.write("stories/S-1.md", artifact("S-1", "One"))
    ada.write("stories/S-2.md", artifact("S-2", "Two"))
    code, out, err = as_user(team, "ada", "push")
    assert code == 0 and "pushed 2 artifact(s)" in out, err
    code, out, err = as_user(team, "bo", "pull")
    assert code == 0 and "2 written" in out, err
    bo.write("stories/S-1.md", bo.read("stories/S-1.md").decode().replace("Body.", "Bo's words."))
    (bo.root / "stories" / "S-2.md").rename(bo.root / "stories" / "two.md")
    code, out, err = as_user(team, "bo", "push")
    assert code == 0 and "pushed 2 artifact(s)" in out, err
    code, out, err = as_user(team, "ada", "pull")
    assert code == 0 and "2 written" in out, err
    assert "Bo's words." in ada.read("stories/S-1.md").decode()
    assert (ada.root / "stories/two.md").exists() and not (ada.root / "stories/S-2.md").exists()
    ada.remove("stories/S-1.md")
    assert as_user(team, "ada", "push")[0] == 0
    code, out, err = as_user(team, "bo", "pull")
    assert code == 0 and "1 deleted" in out and not (bo.root / "stories/S-1.md").exists(), err
    code, out, _ = as_user(team, "bo", "log", "S-1")
    authors = [line.split()[2] for line in out.splitlines() if line.startswith("v")]
    assert code == 0 and authors == ["ada@example.com", "bo@example.com", "ada@example.com"], out


def test_locks_over_http_taken_refused_expired_and_forced(team: dict[str, Any], supabase: SupabaseProject) -> None:
    ada: GitRepo = team["ada"][0]
    bo: GitRepo = team["bo"][0]
    ada.write("stories/S-1.md", artifact("S-1", "One"))
    assert as_user(team, "ada", "push")[0] == 0
    assert as_user(team, "bo", "pull")[0] == 0
    code, out, err = as_user(team, "ada", "lock", "S-1", "--ttl", "1s")
    assert code == 0, err
    bo.write("stories/S-1.md", bo.read("stories/S-1.md").decode().replace("Body.", "Bo."))
    code, _, err = as_user(team, "bo", "push")
    assert code == 1 and "S-1 is locked by ada@example.com" in err
    time.sleep(1.2)  # the lease ends by itself
    code, out, err = as_user(team, "bo", "push")
    assert code == 0 and "pushed 1 artifact(s)" in out, err
    assert as_user(team, "ada", "lock", "S-1", "--ttl", "1h")[0] == 0
    code, out, err = as_user(team, "bo", "unlock", "S-1")
    assert code == 1 and "ada@example.com" in err + out
    code, out, err = as_user(team, "bo", "unlock", "S-1", "--force")
    assert code == 0, err
    with connect(supabase.database) as connection:
        events = connection.execute("SELECT event, holder, actor FROM agentsync.lock_events").fetchall()
    assert events == [("forced_unlock", "ada@example.com", "bo@example.com")]


def test_the_outbox_keeps_a_push_while_the_api_is_down_and_drains_when_it_is_back(
    team: dict[str, Any], supabase: SupabaseProject
) -> None:
    ada: GitRepo = team["ada"][0]
    ada.write("stories/S-1.md", artifact("S-1", "One"))
    port = int(supabase.url.rsplit(":", 1)[1])
    supabase.gateway.stop()
    code, out, err = as_user(team, "ada", "push")
    assert code == 1 and "cannot reach" in err, out
    code, out, err = as_user(team, "ada", "status")  # the mirror's answer: the queue, offline
    assert code == 0 and "1 batch(es) queued" in out and "unreachable" not in out, err
    code, out, err = as_user(team, "ada", "status", "--remote")
    assert "1 batch(es) queued" in out and "unreachable" in out, err
    supabase.gateway.start(port)
    code, out, err = as_user(team, "ada", "push")
    assert code == 0 and "pushed 1 artifact(s) (1 queued batch resent)" in out, err
    assert as_user(team, "ada", "push")[1].strip() == "nothing to push"
    with connect(supabase.database) as connection:
        assert connection.execute("SELECT count(*) FROM agentsync.history").fetchone() == (1,)


def test_ids_are_reserved_and_the_database_named_over_http(supabase: SupabaseProject) -> None:
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["service_role"])
    assert [remote.reserve_id("story", "STORY", 0), remote.reserve_id("story", "STORY", 9)] == [1, 10]
    other = SupabaseRemote(supabase.url, "other", supabase.keys["service_role"])
    assert remote.database_id() == other.database_id() and len(remote.database_id()) >= 32
    remote.close()
    other.close()
