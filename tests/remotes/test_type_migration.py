"""Remote migration 0011 re-keys an existing remote by (type, id): every row and every version of
history written before it is kept (its type not yet known: ''), clones read such a row under the
type its path has, and the first change that continues it gives it (and its history) that type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentsync.remotes import migrations
from agentsync.remotes.postgres import PostgresRemote
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect
from tests.sync.conftest import sync_pull, sync_push


def old_push(connection: Any, batch: str, changes: list[dict[str, Any]]) -> dict[str, Any]:
    """A push as clients before migration 11 sent it: ids without types."""
    found = connection.execute("SELECT agentsync.push('team', 'old-client', %s, 'ada@example.com', %s::jsonb)",
                               (batch, json.dumps(changes))).fetchone()  # fmt: skip
    return dict(found[0])


def clone(tmp_path: Path, name: str) -> GitRepo:
    repo = make_git_repo(tmp_path / name)
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + "project: team\n")
    repo.commit_all("config")
    return repo


def counts(connection: Any) -> tuple[int, int, int]:
    return tuple(connection.execute(
        "SELECT (SELECT count(*) FROM agentsync.artifacts), (SELECT count(*) FROM agentsync.history), "
        "(SELECT count(*) FROM agentsync.history WHERE artifact_type = '')").fetchone())  # fmt: skip


def test_an_old_remote_keeps_every_row_and_version_and_clones_go_on_syncing(database: str, tmp_path: Path) -> None:
    one, two = artifact("S-1", "One"), artifact("S-1", "One, again")
    with connect(database) as connection:
        for migration in (m for m in migrations.available() if m.version < 11):
            connection.execute(migration.sql)  # the remote as the previous release left it
        old_push(connection, "b1", [{"id": "S-1", "path": "stories/S-1.md", "base": 0, "content": one, "hash": "h1"},
                                    {"id": "P-1", "path": "plans/P-1.md", "base": 0, "content": artifact("P-1"),
                                     "hash": "h2"}])  # fmt: skip
        old_push(connection, "b2", [{"id": "S-1", "path": "stories/S-1.md", "base": 1, "content": two, "hash": "h3"}])
        before = connection.execute(
            "SELECT artifact_id, version, path, content, author, seq FROM agentsync.history ORDER BY seq"
        ).fetchall()
        assert [m.version for m in migrations.migrate(connection)] == list(range(11, len(migrations.available()) + 1))
        after = connection.execute(
            "SELECT artifact_id, version, path, content, author, seq FROM agentsync.history ORDER BY seq"
        ).fetchall()
        assert after == before and counts(connection) == (2, 3, 3)  # every version kept, none typed yet
        assert connection.execute("SELECT seq FROM agentsync.projects").fetchone() == (3,)

    remote = PostgresRemote(database, "team")
    try:
        a, b = clone(tmp_path, "a"), clone(tmp_path, "b")
        got = sync_pull(a, remote)  # an untyped row is read under the type its path has
        assert sorted(got.written) == ["plans/P-1.md", "stories/S-1.md"] and got.ok
        assert b"One, again" in a.read("stories/S-1.md")
        with a.mirror() as mirror:
            keys = mirror.connection.execute("SELECT key, version FROM sync_base ORDER BY key").fetchall()
        assert keys == [("plan:P-1", 1), ("story:S-1", 2)]
        assert [h["version"] for h in remote.history("story:S-1", 10)] == [2, 1]  # its untyped history
        # (Until a typed change adopts it, an untyped row's history answers for its id under any type
        # with no row of its own: the remote cannot tell which type it was.)
        assert [h["artifact_type"] for h in remote.history("plan:S-1", 10)] == ["", ""]
        sync_pull(b, remote)

        # The first change that continues the untyped row gives it (and its history) its type.
        a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Third."))
        assert sync_push(a, remote, "ada").applied == [("story:S-1", 3)]
        with connect(database) as connection:
            assert counts(connection) == (2, 4, 1)  # P-1's one version is still untyped
            types = connection.execute("SELECT artifact_type, artifact_id, version FROM agentsync.history "
                                       "WHERE artifact_id = 'S-1' ORDER BY version").fetchall()  # fmt: skip
        assert types == [("story", "S-1", 1), ("story", "S-1", 2), ("story", "S-1", 3)]
        assert [h["version"] for h in remote.history("story:S-1", 10)] == [3, 2, 1]
        got = sync_pull(b, remote)
        assert got.written == ["stories/S-1.md"] and b"Third." in b.read("stories/S-1.md")

        # A plan of the same id is another artifact: it adopts nothing.
        b.write("plans/S-1.md", artifact("S-1", "A plan"))
        b.write("plans/P-1.md", b.read("plans/P-1.md").decode().replace("Body.", "Planned."))
        assert sorted(sync_push(b, remote, "bo").applied) == [("plan:P-1", 2), ("plan:S-1", 1)]
        assert [h["version"] for h in remote.history("story:S-1", 10)] == [3, 2, 1]
        assert [h["version"] for h in remote.history("plan:P-1", 10)] == [2, 1]
        assert [h["version"] for h in remote.history("plan:S-1", 10)] == [1]  # its own, now that it exists
        got = sync_pull(a, remote)
        assert sorted(got.written) == ["plans/P-1.md", "plans/S-1.md"] and got.ok
        with connect(database) as connection:
            assert counts(connection) == (3, 6, 0)
    finally:
        remote.close()
