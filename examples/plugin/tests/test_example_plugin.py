"""The example plugin's hooks, called as agentsync calls them (with agentsync's own value types)."""

from __future__ import annotations

import json
from pathlib import Path

import agentsync_example
import pytest

from agentsync.merge import Sides
from agentsync.plugins.model import EventArtifact, PluginArtifact, SyncEvent


def artifact(status: str, body: str) -> PluginArtifact:
    text = f"---\nid: S-1\nstatus: {status}\n---\n{body}"
    return PluginArtifact("S-1", "story", "stories/S-1.md", "S-1", {"id": "S-1", "status": status}, text)


def test_a_done_artifact_with_an_unchecked_task_is_reported_on_its_line() -> None:
    found = list(agentsync_example.agentsync_check(artifact("DONE", "- [x] one\n- [ ] two\n")))
    assert found == [(6, "status is DONE but this task is not checked; check it or move the artifact back")]
    assert list(agentsync_example.agentsync_check(artifact("ACTIVE", "- [ ] two\n"))) == []
    assert list(agentsync_example.agentsync_check(artifact("DONE", "- [x] two\n"))) == []


def sides(base: str, ours: str, theirs: str) -> Sides:
    return Sides("S-1", "story", base, ours, theirs, 3, "bo@example.com", 0.0, "2026-01-01T00:00:00+00:00")


def test_union_keeps_ours_and_adds_what_only_the_remote_added() -> None:
    result = agentsync_example.union(sides("a\n", "a\nmine\n", "a\ntheirs\n"))
    assert result == "a\nmine\ntheirs\n"
    assert agentsync_example.union(sides("a\n", "a\nmine\n", "a\n")) is None  # nothing to add: merge decides
    assert agentsync_example.agentsync_resolvers()["union"] is agentsync_example.union


def test_events_are_written_one_json_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "events.jsonl"
    monkeypatch.setenv("AGENTSYNC_EXAMPLE_EVENTS", str(target))
    agentsync_example.agentsync_sync_event(SyncEvent("pushed", "push", EventArtifact("S-1", "story", "s.md", 2)))
    agentsync_example.agentsync_sync_event(SyncEvent("completed", "push", counts={"applied": 1}))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["pushed", "completed"]
    assert lines[0]["artifact"]["id"] == "S-1" and lines[1]["counts"] == {"applied": 1}
