"""The sync invariants, enforced by sql/ on a real PostgreSQL: compare-and-swap, idempotent
batches, leases, append-only history, a gap-free feed under concurrency, and isolation."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.remotes.conftest import connect


def value(connection: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row."""
    row = connection.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def push(connection: Any, changes: list[dict[str, Any]], *, author: str = "ada@example.com", client: str = "c1",
         batch: str | None = None, project: str = "demo") -> dict[str, Any]:  # fmt: skip
    row = connection.execute(
        "SELECT agentsync.push(%s, %s, %s, %s, %s)",
        (project, client, batch or uuid.uuid4().hex, author, Jsonb(changes)),
    ).fetchone()
    return dict(row[0])


def pull(connection: Any, after: int = 0, limit: int = 1000, project: str = "demo") -> dict[str, Any]:
    return dict(value(connection, "SELECT agentsync.pull(%s, %s, %s)", (project, after, limit)))


def change(artifact_id: str, base: int, content: str = "text", **extra: Any) -> dict[str, Any]:
    return {"type": "story", "id": artifact_id, "path": f"stories/{artifact_id}.md", "base": base, "content": content,
            "hash": f"h-{content}", **extra}  # fmt: skip


def test_compare_and_swap_on_version(remote: str) -> None:
    with connect(remote) as connection:
        first = push(connection, [change("S-1", 0, "one")])
        assert first["answers"] == [{"type": "story", "id": "S-1", "result": "applied", "version": 1, "seq": 1}]
        stale = push(connection, [change("S-1", 0, "mine")], author="bo@example.com")
        answer = stale["answers"][0]
        assert answer["result"] == "conflict"
        assert answer["remote"]["version"] == 1 and answer["remote"]["content"] == "one"
        assert answer["remote"]["author"] == "ada@example.com"
        second = push(connection, [change("S-1", 1, "two")], author="bo@example.com")
        assert second["answers"][0] == {"type": "story", "id": "S-1", "result": "applied", "version": 2, "seq": 2}
        history = value(connection, "SELECT agentsync.history('demo', 'story', 'S-1', 10)")
        assert [(h["version"], h["content"], h["author"]) for h in history] == [
            (2, "two", "bo@example.com"), (1, "one", "ada@example.com")]  # fmt: skip


def test_a_conflict_never_blocks_the_rest_of_the_batch(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("S-1", 0)])
        mixed = push(connection, [change("S-1", 0, "stale"), change("S-2", 0, "new")])
        assert [a["result"] for a in mixed["answers"]] == ["conflict", "applied"]


def test_a_retried_batch_returns_the_first_answer_and_applies_nothing_twice(remote: str) -> None:
    with connect(remote) as connection:
        first = push(connection, [change("S-1", 0)], batch="b-1")
        again = push(connection, [change("S-1", 0)], batch="b-1")
        assert again.pop("replayed") is True
        assert again == first
        assert pull(connection)["head"] == 1
        other_client = push(connection, [change("S-1", 0)], batch="b-1", client="c2")
        assert other_client["answers"][0]["result"] == "conflict"  # a batch id is per client


def test_deletions_travel_as_tombstones(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("S-1", 0)])
        push(connection, [{"type": "story", "id": "S-1", "path": "stories/S-1.md", "base": 1, "deleted": True}])
        rows = pull(connection)["rows"]
        assert len(rows) == 1
        assert rows[0]["deleted"] is True and rows[0]["content"] is None and rows[0]["version"] == 2


def test_locks_are_leases_checked_by_the_write(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("S-1", 0)])

        def lock(holder: str, ttl: int = 3600) -> dict[str, Any]:
            return dict(value(connection, "SELECT agentsync.lock('demo', 'story', 'S-1', %s, %s)", (holder, ttl)))

        def unlock(holder: str, force: bool = False) -> dict[str, Any]:
            return dict(value(connection, "SELECT agentsync.unlock('demo', 'story', 'S-1', %s, %s)", (holder, force)))

        assert lock("ada")["result"] == "locked"
        assert lock("bo")["result"] == "held"
        refused = push(connection, [change("S-1", 1, "bo's edit")], author="bo")
        assert refused["answers"][0]["result"] == "locked" and refused["answers"][0]["holder"] == "ada"
        assert push(connection, [change("S-1", 1, "ada's edit")], author="ada")["answers"][0]["result"] == "applied"
        assert unlock("bo")["result"] == "held"
        forced = unlock("bo", force=True)
        assert forced == {"result": "unlocked", "holder": "ada", "forced": True}
        events = connection.execute("SELECT event, holder, actor FROM agentsync.lock_events").fetchall()
        assert events == [("forced_unlock", "ada", "bo")]
        assert lock("ada", ttl=1)["result"] == "locked"
        time.sleep(1.1)
        assert value(connection, "SELECT agentsync.locks('demo')") == []  # expired
        assert push(connection, [change("S-1", 2, "after expiry")], author="bo")["answers"][0]["result"] == "applied"


def test_history_cannot_be_altered(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("S-1", 0)])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            connection.execute("UPDATE agentsync.history SET content = 'rewritten'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            connection.execute("DELETE FROM agentsync.history")


def test_the_feed_misses_nothing_under_concurrent_pushes(remote: str) -> None:
    """A push held open on purpose while others try to commit: nobody skips past it."""
    with connect(remote) as setup:
        push(setup, [change("FIRST", 0)])  # the project exists before the race
    holder = connect(remote, autocommit=False)
    holder.execute("SELECT agentsync.push('demo', 'slow', 'b', 'ada', %s)", (Jsonb([change("SLOW", 0)]),))
    finished: list[int] = []

    def writer(n: int) -> None:
        with connect(remote) as connection:
            for i in range(10):
                answer = push(connection, [change(f"W{n}-{i}", 0)], client=f"w{n}")
                finished.append(answer["answers"][0]["seq"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    with connect(remote) as reader:
        seen_early = pull(reader, after=1)["rows"]
    holder.commit()  # the held transaction commits last in wall time, first in numbers
    holder.close()
    for thread in threads:
        thread.join()
    assert seen_early == []  # nothing was visible while the first writer held its number
    with connect(remote) as reader:
        rows, cursor = [], 0
        while True:
            page = pull(reader, after=cursor, limit=7)
            if not page["rows"]:
                break
            rows.extend(page["rows"])
            cursor = page["rows"][-1]["seq"]
    assert [r["seq"] for r in rows] == list(range(1, 43))
    assert [r["artifact_id"] for r in rows[:2]] == ["FIRST", "SLOW"]
    assert sorted(finished) == list(range(3, 43))


def claims(user: uuid.UUID, email: str, role: str = "authenticated") -> str:
    return json.dumps({"sub": str(user), "email": email, "role": role})


def as_user(connection: Any, role: str, token_claims: str | None) -> None:
    connection.execute(f"SET ROLE {role}")
    connection.execute("SELECT set_config('request.jwt.claims', %s, false)", (token_claims or "",))


def test_isolation_between_projects_and_roles(remote: str) -> None:
    ada, bo = uuid.uuid4(), uuid.uuid4()
    with connect(remote) as admin:
        push(admin, [change("A-1", 0, "ada's plan")], project="alpha")
        push(admin, [change("B-1", 0, "bo's plan")], project="beta")
        admin.execute("SELECT agentsync.add_member('alpha', %s, 'ada@example.com', 'owner')", (ada,))
        admin.execute("SELECT agentsync.add_member('beta', %s, 'bo@example.com', 'writer')", (bo,))
    with connect(remote) as connection:
        as_user(connection, "authenticated", claims(ada, "ada@example.com"))
        assert [r["artifact_id"] for r in pull(connection, project="alpha")["rows"]] == ["A-1"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member of project beta"):
            pull(connection, project="beta")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            push(connection, [change("B-2", 0)], project="beta")
        visible = connection.execute("SELECT artifact_id FROM agentsync.artifacts").fetchall()
        assert visible == [("A-1",)]  # row-level security: beta's rows do not exist for ada
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("INSERT INTO agentsync.history (project_id, artifact_id, version, path, deleted, "
                               "author, seq) VALUES (1, 'X', 9, 'x', false, 'ada', 99)")  # fmt: skip
        # Authorship comes from the token, not from what the client claims.
        answer = push(connection, [change("A-2", 0)], project="alpha", author="someone-else@example.com")
        assert answer["answers"][0]["result"] == "applied"
        author = connection.execute("SELECT author FROM agentsync.artifacts WHERE artifact_id = 'A-2'").fetchone()
        assert author == ("ada@example.com",)
    with connect(remote) as connection:
        as_user(connection, "anon", json.dumps({"role": "anon"}))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("SELECT * FROM agentsync.artifacts")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pull(connection, project="alpha")
