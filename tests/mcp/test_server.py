"""`agentsync mcp` driven by the MCP SDK's real client over stdio: a server process per test, on a
real git repository and a real PostgreSQL remote."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import Implementation

from agentsync.remotes import migrations
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run

CONFIG_EXTRA = "project: mcp-team\nallowed_values:\n  status: [DRAFT, ACTIVE, DONE]\n"


@pytest.fixture
def served(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:  # noqa: F811
    """A repository with three stories, pushed to a fresh remote database."""
    with connect(database) as connection:
        migrations.migrate(connection)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", database)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    repo = make_git_repo(tmp_path / "repo")
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + CONFIG_EXTRA)
    repo.write("stories/S-1.md", artifact("S-1", "Checkout flow", "DRAFT", "Pay with a card.\n"))
    repo.write("stories/S-2.md", artifact("S-2", "Search page", "ACTIVE", "Find by words.\n"))
    repo.write("plans/P-1.md", artifact("P-1", "Launch plan", "DRAFT", "Ship it.\n"))
    repo.commit_all("artifacts")
    assert run(repo, "push")[0] == 0
    yield repo


def server(repo: GitRepo) -> StdioServerParameters:
    env = {key: os.environ[key] for key in ("AGENTSYNC_DATABASE_URL", "AGENTSYNC_RETRIES", "PYTHONPATH")
           if key in os.environ}  # fmt: skip
    env.update(GIT_AUTHOR_NAME="Ada Tester", GIT_AUTHOR_EMAIL="ada@example.com", GIT_CONFIG_NOSYSTEM="1")
    return StdioServerParameters(command=sys.executable, args=["-m", "agentsync", "-C", str(repo.root), "mcp"], env=env)


def with_clients(repo: GitRepo, *names: str) -> Callable[[Callable[..., Awaitable[None]]], None]:
    """Run ``body(client, ...)`` with one connected client (a server process) per name."""

    def runner(body: Callable[..., Awaitable[None]]) -> None:
        async def main() -> None:
            clients = [Client(server(repo), client_info=Implementation(name=name, version="1")) for name in names]
            async with clients[0] as first:
                if len(clients) == 1:
                    await body(first)
                    return
                async with clients[1] as second:
                    await body(first, second)

        anyio.run(main)

    return runner


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """A tool's answer as data; a tool error fails the test with its text."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return _data(result)


def _data(result: Any) -> Any:
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if set(content) == {"result"} else content
    return json.loads(result.content[0].text)


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    """A tool error's one line."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result
    text = str(getattr(result.content[0], "text", ""))
    assert text and "\n" not in text.strip(), text
    return str(text)


def test_tools_have_schemas_and_list_search_get_work(served: GitRepo) -> None:
    @with_clients(served, "agent-a")
    async def _(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) >= {"list_artifacts", "search_artifacts", "get_artifact", "create_artifact",
                              "update_artifact", "lock_artifact", "unlock_artifact", "sync_status"}  # fmt: skip
        assert "type" in tools["list_artifacts"].input_schema["properties"]
        assert tools["update_artifact"].description and "conflict" in tools["update_artifact"].description
        assert [a["id"] for a in await call(client, "list_artifacts", type="story")] == ["S-1", "S-2"]
        assert [a["id"] for a in await call(client, "list_artifacts", status="ACTIVE")] == ["S-2"]
        assert [a["id"] for a in await call(client, "list_artifacts", text="card")] == ["S-1"]
        hits = await call(client, "search_artifacts", query="words")
        assert [h["id"] for h in hits] == ["S-2"] and "words" in hits[0]["snippet"].lower()
        got = await call(client, "get_artifact", id="S-1")
        assert got["content"] == served.read("stories/S-1.md").decode() and got["version"] == 1
        assert got["fields"]["status"] == "DRAFT" and got["lock"] is None and got["conflict"] is None
        resource = await client.read_resource("agentsync://artifact/S-2")
        assert "Find by words." in resource.contents[0].text  # type: ignore[union-attr]


def test_create_and_update_change_the_file_and_the_mirror(served: GitRepo) -> None:
    @with_clients(served, "agent-a")
    async def _(client: Client) -> None:
        made = await call(client, "create_artifact", type="story", title="Refunds", body="# Refunds\n\nMoney back.\n")
        path = served.root / made["path"]
        assert made["id"].startswith("STORY-") and path.read_text().endswith("# Refunds\n\nMoney back.\n")
        updated = await call(client, "update_artifact", id="S-1", fields={"owner": "agent-a"}, body="\nNew body.\n")
        text = served.read("stories/S-1.md").decode()
        assert "owner: agent-a" in text and text.endswith("---\n\nNew body.\n") and "status: DRAFT" in text
        assert updated["fields"]["owner"] == "agent-a"
        listed = {a["id"] for a in await call(client, "list_artifacts", text="Money")}
        assert made["id"] in listed  # the mirror has the new artifact

    with served.mirror() as mirror:
        assert mirror.fields(mirror.find("S-1").key)["owner"] == "agent-a"


def test_a_second_agents_claim_is_refused_naming_the_first(served: GitRepo) -> None:
    @with_clients(served, "agent-a", "agent-b")
    async def _(a: Client, b: Client) -> None:
        claim = await call(a, "lock_artifact", id="S-1")
        assert claim["holder"] == "mcp:agent-a"
        line = await refused(b, "lock_artifact", id="S-1")
        assert "S-1 is locked by mcp:agent-a" in line
        line = await refused(b, "update_artifact", id="S-1", fields={"owner": "b"})
        assert "locked by mcp:agent-a" in line
        got = await call(b, "get_artifact", id="S-1")
        assert got["lock"]["holder"] == "mcp:agent-a"
        assert (await call(a, "update_artifact", id="S-1", fields={"owner": "a"}))["fields"]["owner"] == "a"
        assert (await call(a, "unlock_artifact", id="S-1"))["unlocked"] is True
        assert (await call(b, "lock_artifact", id="S-1", holder="bo"))["holder"] == "bo"
        status = await call(b, "sync_status")
        assert [lock["holder"] for lock in status["remote"]["locks"]] == ["bo"]


def test_bad_arguments_git_fields_and_conflicts_are_tool_errors(served: GitRepo, tmp_path: Path) -> None:
    # A conflict: another clone changes S-2 and pushes; this one edits it too and pulls.
    other = make_git_repo(tmp_path / "other")
    other.write("agentsync.yaml", served.read("agentsync.yaml").decode())
    assert run(other, "pull")[0] == 0
    other.write("stories/S-2.md", other.read("stories/S-2.md").decode().replace("Find by words.", "Theirs."))
    assert run(other, "push")[0] == 0
    served.write("stories/S-2.md", served.read("stories/S-2.md").decode().replace("Find by words.", "Ours."))
    assert run(served, "pull")[0] == 1

    @with_clients(served, "agent-a")
    async def _(client: Client) -> None:
        assert "no artifact 'NOPE'" in await refused(client, "get_artifact", id="NOPE")
        assert "status is a git field" in await refused(client, "update_artifact", id="S-1", fields={"status": "DONE"})
        assert "nothing to update" in await refused(client, "update_artifact", id="S-1")
        assert "unknown artifact type" in await refused(client, "create_artifact", type="saga", title="x")
        assert "ttl_seconds is 5" in await refused(client, "lock_artifact", id="S-1", ttl_seconds=5)
        assert "bad arguments for list_artifacts: limit: Input should be a valid integer" in await refused(
            client, "list_artifacts", limit="many"
        )
        assert "open sync conflict" in await refused(client, "update_artifact", id="S-2", body="x\n")
        got = await call(client, "get_artifact", id="S-2")
        assert got["conflict"]["kind"] and "<<<<<<<" in got["content"]
        line = await refused(client, "update_artifact", id="S-1", body="<<<<<<< local\nx\n>>>>>>> remote v1 by x\n")
        assert "unresolved sync conflict marker" in line and "<<<<<<<" not in served.read("stories/S-1.md").decode()
        assert (await call(client, "list_artifacts", type="plan"))[0]["id"] == "P-1"  # the server is still up


def test_with_auto_push_an_update_is_pushed(served: GitRepo, tmp_path: Path) -> None:
    served.write("agentsync.yaml", served.read("agentsync.yaml").decode() + "auto_push: true\n")

    @with_clients(served, "agent-a")
    async def _(client: Client) -> None:
        updated = await call(client, "update_artifact", id="S-1", body="\nPushed by the agent.\n")
        assert updated["pushed"]["ok"] is True and updated["pushed"]["applied"][0][1] == 2

    other = make_git_repo(tmp_path / "other")
    other.write("agentsync.yaml", served.read("agentsync.yaml").decode())
    assert run(other, "pull")[0] == 0
    assert other.read("stories/S-1.md").decode().endswith("Pushed by the agent.\n")


def test_create_in_a_record_folder_makes_an_openspec_delta_spec(served: GitRepo) -> None:
    config = served.read("agentsync.yaml").decode()
    spec_type = (
        "types:\n  change-spec: {id_from: path, id_prefix: SPEC, globs: [openspec/changes/*/specs/**/spec.md]}\n"
    )
    served.write("agentsync.yaml", config.replace("types:\n", spec_type, 1))
    (served.root / "openspec/changes/add-x").mkdir(parents=True)

    @with_clients(served, "agent-a")
    async def _(client: Client) -> None:
        made = await call(client, "create_artifact", type="change-spec", title="CLI init", folder="add-x")
        assert made["path"] == "openspec/changes/add-x/specs/cli-init/spec.md"
        assert made["content"].startswith("## ADDED Requirements\n")
        assert "no glob has a folder per record" in await refused(
            client, "create_artifact", type="story", title="x", folder="add-x"
        )
