"""Push and pull between two clones through a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync.remotes import migrations
from agentsync.remotes.base import Change, PushResult
from agentsync.remotes.postgres import PostgresRemote, RemoteUnavailable
from agentsync.scanner import scan
from agentsync.sync import PullReport, PushReport, pull, push
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


@pytest.fixture
def clones(tmp_path: Path, remote_url: str) -> Iterator[tuple[GitRepo, GitRepo, PostgresRemote]]:
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    for clone in (a, b):
        clone.commit_all("config")
    client = PostgresRemote(remote_url, "team")
    yield a, b, client
    client.close()


def sync_push(repo: GitRepo, remote: PostgresRemote, author: str) -> PushReport:
    with repo.mirror() as mirror:
        return push(mirror, remote, author)


def sync_pull(repo: GitRepo, remote: PostgresRemote) -> PullReport:
    with repo.mirror() as mirror:
        return pull(mirror, remote)


def test_two_clones_exchange_edits_deletes_and_renames(clones: tuple[GitRepo, GitRepo, PostgresRemote]) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft").replace("version: 1\n", "version: 0\n"))
    a.write("stories/S-2.md", artifact("S-2", "Two", "draft").replace("version: 1\n", ""))
    a.write("plans/P-1.md", artifact("P-1", "Plan", "draft").replace("version: 1\n", ""))
    a.commit_all("stories")
    first = sync_push(a, remote, "ada@example.com")
    assert sorted(first.applied) == [("P-1", 1), ("S-1", 1), ("S-2", 1)] and first.ok
    # Only the version line changed in A's files (a missing key is appended to the frontmatter).
    assert a.read("stories/S-1.md").decode() == artifact("S-1", "One", "draft")
    assert a.read("stories/S-2.md").decode() == artifact("S-2", "Two", "draft").replace(
        "version: 1\n---", "---").replace("status: draft\n", "status: draft\nversion: 1\n")  # fmt: skip
    assert sync_push(a, remote, "ada@example.com").applied == []  # nothing left to send

    got = sync_pull(b, remote)
    assert sorted(got.written) == ["plans/P-1.md", "stories/S-1.md", "stories/S-2.md"] and got.ok
    # B's Git has never seen these artifacts: their status (a git field) is not taken from the remote.
    assert "status:" not in b.read("stories/S-1.md").decode()
    assert any(o.field == "status" for o in got.overrides)
    assert b.read("stories/S-1.md").decode() == a.read("stories/S-1.md").decode().replace("status: draft\n", "")

    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Body, edited by Bo."))
    assert sync_push(b, remote, "bo@example.com").applied == [("S-1", 2)]
    got = sync_pull(a, remote)
    s1 = a.read("stories/S-1.md").decode()
    assert "Body, edited by Bo." in s1 and "status: draft" in s1 and "version: 2" in s1  # A's status stays

    a.remove("stories/S-2.md")
    (a.root / "plans" / "P-1.md").rename(a.root / "plans" / "P-1-launch.md")
    assert sorted(sync_push(a, remote, "ada@example.com").applied) == [("P-1", 2), ("S-2", 2)]
    got = sync_pull(b, remote)
    assert got.deleted == ["stories/S-2.md"] and not (b.root / "stories/S-2.md").exists()
    assert (b.root / "plans/P-1-launch.md").exists() and not (b.root / "plans/P-1.md").exists()
    with b.mirror() as mirror:
        assert mirror.get("P-1").path == "plans/P-1-launch.md"  # type: ignore[union-attr]
        assert mirror.get("S-2") is None


def test_concurrent_edits_conflict_and_nothing_is_lost(clones: tuple[GitRepo, GitRepo, PostgresRemote]) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    sync_push(a, remote, "ada")
    sync_pull(b, remote)
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Ada's body."))
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Bo's body."))
    assert sync_push(a, remote, "ada").applied == [("S-1", 2)]
    refused = sync_push(b, remote, "bo")
    assert refused.applied == [] and [c.id for c in refused.conflicts] == ["S-1"]
    assert refused.conflicts[0].remote is not None and "Ada's body." in (refused.conflicts[0].remote.content or "")
    assert "Bo's body." in b.read("stories/S-1.md").decode()  # B's edit is still there
    got = sync_pull(b, remote)
    assert got.written == [] and "Bo's body." in b.read("stories/S-1.md").decode()
    with b.mirror() as mirror:
        kinds = mirror.connection.execute("SELECT id, kind FROM conflicts").fetchall()
    assert kinds == [("S-1", "push")]


class AnswerLost(PostgresRemote):
    """The batch reaches the database and commits, but the answer never comes back."""

    def push(self, client_id: str, batch_id: str, author: str, changes: list[Change]) -> PushResult:
        super().push(client_id, batch_id, author, changes)
        raise RemoteUnavailable("connection reset while reading the answer")


def test_a_batch_whose_answer_was_lost_is_applied_once(clones: tuple[GitRepo, GitRepo, PostgresRemote]) -> None:
    a, _b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    with a.mirror() as mirror, pytest.raises(RemoteUnavailable):
        push(mirror, AnswerLost(remote.url, remote.project), "ada")
    with a.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    again = sync_push(a, remote, "ada")
    assert again.resent == 1 and again.applied == [("S-1", 1)] and again.ok
    assert remote.head() == 1  # applied once
    assert "version: 1" in a.read("stories/S-1.md").decode()
    with a.mirror() as mirror:
        scan(mirror)
        assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert sync_push(a, remote, "ada").applied == []


def test_push_and_pull_from_the_cli(tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_cli import run

    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    code, _, err = run(a, "push")
    assert code == 1 and "no remote configured" in err
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", remote_url)
    for clone in (a, b):  # both clones name the same project
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\n")
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    code, out, err = run(a, "push")
    assert code == 0 and "pushed 1 artifact(s)" in out, err
    code, out, _ = run(a, "push")
    assert code == 0 and "nothing to push" in out
    code, out, err = run(b, "pull")
    assert code == 0 and "1 written" in out and "kept Git's value" in err
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "A."))
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "B."))
    assert run(a, "push")[0] == 0
    code, _, err = run(b, "push")
    assert code == 1 and "conflict: S-1 changed on the remote (v2 by ada@example.com)" in err
