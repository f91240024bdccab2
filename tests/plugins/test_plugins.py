"""Plugins end to end: a team-local plugin named in agentsync.yaml, the example package installed
with pip, a plugin that raises; through `check`, the pre-commit hook, `new`, `plugins`, and push
and pull against a real PostgreSQL remote."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync import hooks
from agentsync.remotes import migrations
from tests.conftest import GitRepo, artifact, git_environment, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run

OWNER_RULE = """
import agentsync


@agentsync.hookimpl
def agentsync_check(artifact):
    if artifact.type == "story" and not artifact.fields.get("owner"):
        yield 2, f"{artifact.id} has no owner; add `owner:` to its frontmatter"
"""

FLAKY = """
import agentsync


@agentsync.hookimpl
def agentsync_sync_event(event):
    raise RuntimeError("listener is broken")
"""

IDS = """
import agentsync


@agentsync.hookimpl
def agentsync_allocate_id(type_name, prefix, taken):
    return f"{prefix}-TEAM-{len(taken) + 1}"
"""


def with_plugins(repo: GitRepo, *modules: str) -> None:
    text = repo.read("agentsync.yaml").decode()
    repo.write("agentsync.yaml", text + f"plugins: [{', '.join(modules)}]\n")


def test_a_local_plugin_adds_a_rule_that_check_and_the_pre_commit_hook_report(git_repo: GitRepo) -> None:
    git_repo.write("team_rules.py", OWNER_RULE)
    with_plugins(git_repo, "team_rules")
    git_repo.write("stories/S-1.md", artifact("S-1", "Owned").replace("status:", "owner: ada\nstatus:"))
    git_repo.write("stories/S-2.md", artifact("S-2", "Nobody's"))
    code, out, err = run(git_repo, "check")
    out += err
    assert code == 1 and "stories/S-2.md:2: S-2 has no owner; add `owner:` to its frontmatter [team_rules]" in out
    assert "S-1" not in out, out
    code, out, _ = run(git_repo, "plugins", "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["name"] == "team_rules" and listed[0]["source"] == "agentsync.yaml"
    assert listed[0]["hooks"] == ["agentsync_check"] and listed[0]["where"] == "team_rules.py"
    code, out, _ = run(git_repo, "plugins")
    assert "team_rules  (agentsync.yaml: team_rules.py)" in out and "hooks: agentsync_check" in out

    hooks.install(git_repo.root)
    git_repo.git("add", "-A")
    blocked = git_repo.git("commit", "-q", "-m", "stories", check=False)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "stories/S-2.md:2: S-2 has no owner" in blocked.stderr and "commit blocked: 1 problem" in blocked.stderr
    git_repo.write("stories/S-2.md", artifact("S-2", "Nobody's").replace("status:", "owner: bo\nstatus:"))
    git_repo.git("add", "-A")
    assert git_repo.git("commit", "-q", "-m", "stories", check=False).returncode == 0


def test_a_plugin_that_cannot_load_or_that_raises_in_check_is_named(git_repo: GitRepo) -> None:
    git_repo.write("broken_rule.py", "import agentsync\n\n@agentsync.hookimpl\ndef agentsync_check(artifact):\n"
                   "    raise KeyError('owner')\n\n@agentsync.hookimpl\ndef agentsync_chek(artifact):\n    pass\n\n"
                   "def agentsync_helper():\n    pass\n")  # fmt: skip
    with_plugins(git_repo, "broken_rule", "not_there")
    git_repo.write("stories/S-1.md", artifact("S-1"))
    code, out, err = run(git_repo, "check")
    assert code == 1
    out += err
    assert "stories/S-1.md: plugin broken_rule: agentsync_check raised KeyError: 'owner'" in out
    assert "warning: plugin not_there: (plugins: in agentsync.yaml) cannot be imported: ModuleNotFoundError" in err
    assert "warning: plugin broken_rule: agentsync_chek is not an agentsync hook" in err
    code, out, err = run(git_repo, "plugins", "--json")
    assert code == 1 and json.loads(out)[0] == {
        "name": "broken_rule", "source": "agentsync.yaml", "where": "broken_rule.py", "hooks": ["agentsync_check"],
    }  # fmt: skip


def test_a_plugin_allocates_ids_for_new_artifacts(git_repo: GitRepo) -> None:
    git_repo.write("team_ids.py", IDS)
    with_plugins(git_repo, "team_ids")
    code, out, err = run(git_repo, "new", "story", "First")
    assert code == 0 and "created STORY-TEAM-" in out, err
    git_repo.write("taken_ids.py", IDS.replace('f"{prefix}-TEAM-{len(taken) + 1}"', "sorted(taken)[0]"))
    git_repo.write("agentsync.yaml", git_repo.read("agentsync.yaml").decode().replace("[team_ids]", "[taken_ids]"))
    code, _, err = run(git_repo, "new", "story", "Second")
    assert code == 1 and "plugin taken_ids: agentsync_allocate_id answered 'STORY-TEAM-" in err, err
    assert err.rstrip().endswith("which is taken") and len(list(git_repo.root.glob("stories/*.md"))) == 1


@pytest.fixture
def clones(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GitRepo, GitRepo]]:  # noqa: F811
    """Two clones of one project on a fresh remote database, both with S-1 agreed at v1."""
    with connect(database) as connection:
        migrations.migrate(connection)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", database)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    b.git("config", "user.email", "bo@example.com")
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: plugins\n")
        clone.write("stories/S-1.md", artifact("S-1", "Checkout", "DRAFT", "First.\n"))
        clone.commit_all("S-1")
    assert run(a, "push")[0] == 0
    assert run(b, "pull")[0] == 0
    yield a, b


def edit(repo: GitRepo, old: str, new: str) -> None:
    text = repo.read("stories/S-1.md").decode()
    repo.write("stories/S-1.md", text.replace(old, new))


def test_the_installed_example_resolves_conflicts_and_hears_pushes_and_pulls(
    clones: tuple[GitRepo, GitRepo], example_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = clones
    events = tmp_path / "events.jsonl"
    monkeypatch.setenv("AGENTSYNC_EXAMPLE_EVENTS", str(events))
    code, out, _ = run(b, "plugins", "--json")
    assert code == 0 and json.loads(out)[0]["name"] == "example"
    assert json.loads(out)[0]["source"] == "entry point" and "agentsync-example-plugin 0.1.0" in out
    b.write("agentsync.yaml", b.read("agentsync.yaml").decode() + "strategies: {story: union}\n")
    edit(a, "First.\n", "First.\nAda's line.\n")
    assert run(a, "push")[0] == 0
    edit(b, "First.\n", "First.\nBo's line.\n")
    code, out, err = run(b, "pull")
    merged = b.read("stories/S-1.md").decode()
    assert code == 0 and "resolved by union" in err, out + err
    assert "Bo's line." in merged and "Ada's line." in merged and "<<<<<<<" not in merged
    assert run(b, "push")[0] == 0
    seen = [json.loads(line) for line in events.read_text().splitlines()]
    kinds = [(e["operation"], e["kind"]) for e in seen]
    assert ("push", "started") in kinds and ("push", "completed") in kinds and ("pull", "completed") in kinds
    assert ("pull", "progress") in kinds and kinds.index(("pull", "started")) < kinds.index(("pull", "progress"))
    pushed = [e for e in seen if e["kind"] == "pushed"]
    pulled = [e for e in seen if e["kind"] == "pulled"]
    assert pushed and all(e["artifact"]["id"] == "S-1" and e["artifact"]["type"] == "story" for e in pushed)
    assert pushed[-1]["artifact"]["version"] == 3 and pulled[0]["artifact"]["path"] == "stories/S-1.md"
    completed = next(e for e in seen if e["operation"] == "pull" and e["kind"] == "completed")
    assert completed["counts"]["fetched"] == 1
    assert "Ada's line" not in events.read_text()  # events carry no contents

    # A push that cannot reach the remote: `failed`, with the error's line and never the password.
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", "postgresql://ada:hunter2-secret@127.0.0.1:9/nowhere")
    edit(b, "Bo's line.", "Bo's line, again.")
    assert run(b, "push")[0] == 1
    failed = [json.loads(line) for line in events.read_text().splitlines()][-1]
    assert (failed["operation"], failed["kind"]) == ("push", "failed") and failed["message"]
    assert "hunter2-secret" not in events.read_text()


def test_a_listener_that_raises_is_named_and_the_sync_completes(clones: tuple[GitRepo, GitRepo]) -> None:
    a, b = clones
    a.write("flaky.py", FLAKY)
    with_plugins(a, "flaky")
    edit(a, "First.", "First, edited.")
    code, out, err = run(a, "push")
    assert code == 0, err
    assert "warning: plugin flaky: agentsync_sync_event raised RuntimeError: listener is broken" in err
    assert run(b, "pull")[0] == 0
    assert "First, edited." in b.read("stories/S-1.md").decode()
    code, out, _ = run(a, "status", "--json")
    assert code == 0 and json.loads(out)["remote"]["to_push"] == []  # nothing left half-done


def test_the_hook_path_loads_pluggy_only_when_plugins_are_set(git_repo: GitRepo) -> None:
    git_repo.write("stories/S-1.md", artifact("S-1"))
    git_repo.commit_all("S-1")
    probe = (
        "import sys; from agentsync import hookrun; "
        "codes = [hookrun.run('post-commit', []), hookrun.run('pre-commit', [])]; "
        "print(codes, sorted({m.split('.')[0] for m in sys.modules} & {'pluggy', 'mcp', 'pydantic'}))"
    )

    def loaded() -> str:
        result = subprocess.run([sys.executable, "-c", probe], cwd=git_repo.root, env=git_environment(),
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert loaded() == "[0, 0] []"
    git_repo.write("team_rules.py", OWNER_RULE)
    with_plugins(git_repo, "team_rules")
    git_repo.write("stories/S-1.md", artifact("S-1").replace("status:", "owner: ada\nstatus:"))
    git_repo.git("add", "-A")
    assert loaded() == "[0, 0] ['pluggy']"  # pre-commit runs the plugin's rule; never the MCP SDK


KEY_VALUE_FORMAT = '''
import re

import agentsync
from agentsync.formats.base import Reading

LINE = re.compile(r"^([A-Za-z]+):: (.*)$", re.M)


class KeyValue:
    """`Id:: TASK-1` / `Status:: todo` lines at the top of a Markdown file."""

    name = "keyvalue"
    suffixes = (".md",)

    def detect(self, text):
        return text.startswith("Id:: ")

    def read(self, path, text):
        fields, end = {}, 0
        for match in LINE.finditer(text):
            if match.start() != end:
                break
            fields[match.group(1).lower()] = match.group(2)
            end = match.end() + 1
        heading = re.search(r"^# (.+)$", text, re.M)
        title = heading.group(1) if heading else None
        return Reading(fields, id=fields.get("id"), title=title, status=fields.get("status"), heading=title, body=end)

    def places(self, text, name):
        return []

    def write(self, text, name, value):
        return None


@agentsync.hookimpl
def agentsync_formats():
    return [KeyValue()]
'''


def test_a_plugin_adds_an_artifact_format_that_the_mirror_reads(git_repo: GitRepo) -> None:
    git_repo.write("kv_format.py", KEY_VALUE_FORMAT)
    with_plugins(git_repo, "kv_format")
    git_repo.write("stories/first.md", "Id:: TASK-7\nStatus:: todo\n\n# Wire the format\n\nBody.\n")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agentsync", "-C", str(git_repo.root), *args],
                              env=git_environment(), capture_output=True, text=True)  # fmt: skip

    assert cli("mirror").returncode == 0
    shown = cli("show", "TASK-7", "--json")
    assert shown.returncode == 0, shown.stderr
    row = json.loads(shown.stdout)
    assert (row["status"], row["title"], row["layout"]) == ("todo", "Wire the format", "keyvalue")
    listed = json.loads(cli("plugins", "--json").stdout)
    assert listed[0]["hooks"] == ["agentsync_formats"]
