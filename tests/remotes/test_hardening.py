"""Migration 9 on a real PostgreSQL: a feed that cannot lose rows, a push that refuses what no
client could pull, and a database that enforces identity and append-only history itself,
against direct connections as well as the API."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from agentsync.errors import RemoteError
from agentsync.remotes import migrations
from agentsync.remotes.base import Change
from agentsync.remotes.postgres import PostgresRemote
from agentsync.remotes.supabase import SupabaseRemote
from tests.remotes.conftest import SupabaseProject, connect
from tests.remotes.test_sql_protocol import change, pull, push, value
from tests.remotes.test_supabase import api

# --- 1. The feed ---------------------------------------------------------------------------


def test_two_rows_cannot_share_a_seq_and_the_head_cannot_move_backwards(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("S-1", 0), change("S-2", 0)])
        with pytest.raises(psycopg.errors.UniqueViolation, match="artifacts_project_seq_unique"):
            connection.execute(
                "INSERT INTO agentsync.artifacts (project_id, artifact_id, path, version, author, seq) "
                "SELECT project_id, 'S-3', 'stories/S-3.md', 1, 'x', seq FROM agentsync.artifacts "
                "WHERE artifact_id = 'S-2'"
            )
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute("UPDATE agentsync.artifacts SET seq = 1 WHERE artifact_id = 'S-2'")
        with pytest.raises(psycopg.errors.CheckViolation, match=r"cannot move backwards \(2 -> 1\)"):
            connection.execute("UPDATE agentsync.projects SET seq = 1 WHERE name = 'demo'")
        connection.execute("UPDATE agentsync.projects SET seq = seq + 5")  # forward is fine
        assert push(connection, [change("S-3", 0)])["answers"][0]["seq"] == 8


def test_migrating_an_existing_remote_renumbers_shared_seqs_in_order(database: str) -> None:
    """A remote at migration 8 whose table was written directly (two rows with one seq, a head
    below its rows) is migrated; afterwards paging one row at a time returns every row."""
    before = [m for m in migrations.available() if m.version < 9]
    with connect(database) as connection:
        for migration in before:
            connection.execute(migration.sql)  # a trusted file of statements
        push(connection, [change("A", 0), change("B", 0), change("C", 0)])  # seqs 1, 2, 3
        connection.execute(
            "INSERT INTO agentsync.artifacts (project_id, artifact_id, path, version, author, seq, content) "
            "SELECT id, 'PLANTED', 'stories/PLANTED.md', 1, 'x', 2, 'planted' FROM agentsync.projects"
        )
        connection.execute("UPDATE agentsync.projects SET seq = 1")  # a head below its rows
        assert [m.version for m in migrations.migrate(connection)] == [m.version for m in migrations.available()][8:]
        rows, cursor = [], 0
        while page := pull(connection, after=cursor, limit=1)["rows"]:
            rows.extend(page)
            cursor = page[-1]["seq"]
        seqs = [r["seq"] for r in rows]
        assert sorted(r["artifact_id"] for r in rows) == ["A", "B", "C", "PLANTED"]
        assert seqs == sorted(set(seqs)) and seqs[0] == 1  # A kept its number; the rest moved up
        assert [r["artifact_id"] for r in rows][1:3] == ["B", "PLANTED"]  # old order kept (seq, time, id)
        assert value(connection, "SELECT seq FROM agentsync.projects") == seqs[-1]


# --- 2. What push accepts ------------------------------------------------------------------

GOOD_FRONTMATTER = "---\nid: 'P-1'  # a comment\ntitle: T\n---\nid: P-2 is body text\n"

# (change, the reason the refusal gives)
BAD_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"id": "a/b", "path": "plans/a.md", "content": "x"}, "slash"),
    ({"id": "..", "path": "plans/a.md", "content": "x"}, '"." or ".."'),
    ({"id": " P-1", "path": "plans/a.md", "content": "x"}, "white space"),
    ({"id": "P\u00011", "path": "plans/a.md", "content": "x"}, "control character"),
    ({"id": "P" * 201, "path": "plans/a.md", "content": "x"}, "1 to 200 characters"),
    ({"id": "P-1", "path": "/etc/evil.md", "content": "x"}, "relative"),
    ({"id": "P-1", "path": "plans/../../evil.md", "content": "x"}, '".." segment'),
    ({"id": "P-1", "path": "plans//evil.md", "content": "x"}, "empty"),
    ({"id": "P-1", "path": "plans\\evil.md", "content": "x"}, "backslash"),
    ({"id": "P-1", "path": "plans/a\nb.md", "content": "x"}, "control character"),
    ({"id": "P-1", "path": "plans/" + "x" * 300 + ".md", "content": "x"}, "longer than 255 bytes"),
    ({"id": "P-1", "path": "/".join(["d" * 200] * 5) + ".md", "content": "x"}, "1 to 1000 characters"),
    ({"id": "P-1", "path": ".git/hooks/evil.md", "content": "x"}, ".git or .agentsync"),
    ({"id": "P-1", "path": ".agentsync/evil.md", "content": "x"}, ".git or .agentsync"),
    ({"id": "P-1", "path": "plans/evil.sh", "content": "x"}, "end in .md"),
    ({"id": "P-1", "path": "plans/P-1.md"}, "must carry its content"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": None}, "must carry its content"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": "x" * (10 * 1024 * 1024 + 1)}, "over the remote's limit"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": "---\nid: OTHER\n---\nBody\n"}, "says id: OTHER"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": '---\r\ntitle: T\r\n"id": "OTHER"\r\n...\r\n'}, "id: OTHER"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": "---\nid: P-1\nid: P-9\n---\n"}, "says id: P-9"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": "\ufeff---\nid: P-2 # was P-1\n---\n"}, "says id: P-2"),
    ({"id": "P-1", "path": "plans/P-1.md", "content": "---\n----\nid: P-2\n---\n"}, "says id: P-2"),
]


def good(artifact_id: str) -> dict[str, Any]:
    return {"type": "plan", "id": artifact_id, "path": f"plans/{artifact_id}.md", "base": 0,
            "content": f"# {artifact_id}\n"}  # fmt: skip


def test_push_refuses_each_change_no_client_could_pull_and_applies_nothing(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [good("FIRST")])
        for bad, reason in BAD_CHANGES:
            with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
                push(connection, [good("OK-1"), {"base": 0, "type": "plan", **bad}])
            message = str(refused.value.diag.message_primary)
            assert reason in message and "refused artifact" in message and "\n" not in message, (bad, message)
            shown = f"plan:{bad['id']}".replace("\u0001", "?")[:80]
            assert f'"{shown}"' in message, message
        assert value(connection, "SELECT seq FROM agentsync.projects") == 1  # not even OK-1 was applied
        accepted = [
            {**good("P-1"), "content": GOOD_FRONTMATTER},
            {**good("P-2"), "content": '\ufeff---\nid: "P-2"\n---\n'},
            {**good("P-3"), "content": "---\nid:\n---\n"},  # empty: the client takes the file name
            {**good("P-4"), "content": "---\nid: P-9\n"},  # no closing line: no frontmatter
            {**good("P-5"), "content": "---\ntitle: T\n...\nid: P-9\n---\n"},  # `...` closed it: body
            {**good("P-6"), "content": "---\n----\nid: P-6\r\n---\n"},
            {**good("FIRST"), "base": 1, "deleted": True, "content": None},
        ]
        assert [a["result"] for a in push(connection, accepted)["answers"]] == ["applied"] * 7


def test_the_client_sees_the_refusal_as_one_line(remote: str) -> None:
    client = PostgresRemote(remote, "demo")
    try:
        with pytest.raises(RemoteError) as refused:
            client.push("c1", "b1", "ada", [Change("plan:P-1", "../outside.md", 0, "x", "h")])
        assert str(refused.value) == (
            'the remote refused: agentsync: refused artifact "plan:P-1": the path has an empty, "." or ".." segment; '
            "nothing of this push was applied"
        )
        assert client.push("c1", "b2", "ada", [Change("plan:P-1", "plans/P-1.md", 0, "x", "h")]).answers[0].version == 1
    finally:
        client.close()


def test_over_the_api_a_signed_in_writer_is_refused_the_same_way(supabase: SupabaseProject) -> None:
    from postgrest.exceptions import APIError

    ada, token = supabase.user("ada@example.com")
    supabase.add_member("demo", ada, "ada@example.com")
    writer = api(supabase, token)
    for n, (bad, reason) in enumerate(BAD_CHANGES):
        if len(bad.get("content") or "") > 1024 * 1024:
            continue  # the size cap is shown once below, through the agentsync client
        arguments = {"p_project": "demo", "p_client": "c1", "p_batch": f"b{n}", "p_author": "",
                     "p_changes": [good("OK-1"), {"base": 0, "type": "plan", **bad}]}  # fmt: skip
        with pytest.raises(APIError) as refused:
            writer.rpc("push", arguments).execute()
        assert refused.value.code == "22023" and reason in str(refused.value.message), (bad, refused.value)
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["anon"], token)
    try:
        huge = "x" * (10 * 1024 * 1024 + 1)
        with pytest.raises(RemoteError, match=r'refused artifact "plan:P-1": the content is 10485761 bytes, over'):
            remote.push("c1", "huge", "", [Change("plan:P-1", "plans/P-1.md", 0, huge, "h")])
        with pytest.raises(RemoteError, match=r'refused artifact "plan:P-1": its frontmatter says id: P-2'):
            remote.push("c1", "x", "", [Change("plan:P-1", "plans/P-1.md", 0, "---\nid: P-2\n---\n", "h")])
        answer = remote.push("c1", "ok", "", [Change("plan:P-1", "plans/P-1.md", 0, "---\nid: P-1\n---\n", "h")])
        assert [(a.result, a.version) for a in answer.answers] == [("applied", 1)]
        assert [r.id for r in remote.pull(0, 10).rows] == ["P-1"]  # nothing refused arrived
    finally:
        remote.close()


# --- 3. Identity ---------------------------------------------------------------------------


def role_url(database: str, role: str) -> str:
    """``database``'s URL logged in as ``role`` (the embedded server trusts local sockets)."""
    parts = urllib.parse.urlsplit(database)
    netloc = f"{role}:secret@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    query = urllib.parse.parse_qs(parts.query)
    query.pop("user", None)
    query.pop("password", None)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=urllib.parse.urlencode(query, doseq=True)))


@pytest.fixture
def login_role(remote: str) -> Iterator[str]:
    """A LOGIN role that is a member of `authenticated` and nothing more (roles are per cluster)."""
    name = f"mallory_{uuid.uuid4().hex[:8]}"
    with connect(remote) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'secret' IN ROLE authenticated")
    try:
        yield name
    finally:
        with connect(remote) as admin:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")


CLIENT_CALLS = [
    ("SELECT agentsync.pull('alpha', 0, 10)", ()),
    ("SELECT * FROM agentsync.pull_rows('alpha', 0, 10)", ()),
    ("SELECT agentsync.head('alpha')", ()),
    ("SELECT agentsync.push('alpha', 'c', 'b', 'ada@example.com', %s)", (Jsonb([good("A-9")]),)),
    ("SELECT agentsync.push('mine', 'c', 'b', 'me', %s)", (Jsonb([good("M-1")]),)),  # a new project
    ("SELECT agentsync.lock('alpha', 'story', 'A-1', 'ada@example.com', 60)", ()),
    ("SELECT agentsync.unlock('alpha', 'story', 'A-1', 'x', true)", ()),
    ("SELECT agentsync.locks('alpha')", ()),
    ("SELECT agentsync.history('alpha', 'story', 'A-1', 10)", ()),
    ("SELECT agentsync.audit('alpha', NULL, NULL, 10)", ()),
    ("SELECT agentsync.clients('alpha')", ()),
    ("SELECT agentsync.register_client('alpha', 'c', 'ada', 'h', 'v', 0)", ()),
    ("SELECT agentsync.retire_client('alpha', 'c')", ()),
    ("SELECT agentsync.add_member('alpha', %s, 'me@example.com', 'owner')", (uuid.uuid4(),)),
    ("SELECT agentsync.remove_member('alpha', %s)", (uuid.uuid4(),)),
    ("SELECT agentsync.schema_version()", ()),
]


def test_a_login_role_in_authenticated_is_refused_with_or_without_forged_claims(remote: str, login_role: str) -> None:
    ada = uuid.uuid4()
    with connect(remote) as admin:
        push(admin, [change("A-1", 0, "ada's plan")], project="alpha")
        admin.execute("SELECT agentsync.add_member('alpha', %s, 'ada@example.com', 'owner')", (ada,))
        admin.execute("SELECT agentsync.lock('alpha', 'story', 'A-1', 'ada@example.com', 600)")
        before = admin.execute("SELECT agentsync.pull('alpha', 0, 100)").fetchone()
    forged = json.dumps({"role": "authenticated", "sub": str(ada), "email": "ada@example.com"})
    for claims in ("", forged, json.dumps({"role": "service_role"})):
        with connect(role_url(remote, login_role)) as mallory:
            assert value(mallory, "SELECT session_user") == login_role
            mallory.execute("SELECT set_config('request.jwt.claims', %s, false)", (claims,))
            for sql, params in CLIENT_CALLS:
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not use agentsync directly"):
                    mallory.execute(sql, params)  # literal SQL of this module
            # Row-level security does not believe the forged claims either.
            assert mallory.execute("SELECT artifact_id FROM agentsync.artifacts").fetchall() == []
            assert mallory.execute("SELECT * FROM agentsync.members").fetchall() == []
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function purge"):
                mallory.execute("SELECT agentsync.purge('alpha', 'ada@example.com', false)")
    with connect(remote) as admin:
        assert admin.execute("SELECT agentsync.pull('alpha', 0, 100)").fetchone() == before
        assert value(admin, "SELECT count(*) FROM agentsync.members") == 1
        assert value(admin, "SELECT count(*) FROM agentsync.projects") == 1  # `mine` was never created
        assert value(admin, "SELECT agentsync.locks('alpha')")[0]["holder"] == "ada@example.com"


def test_claims_without_a_role_or_subject_are_refused(remote: str) -> None:
    with connect(remote) as connection:
        push(connection, [change("A-1", 0)], project="alpha")
        for claims, shown in (
            ({"sub": str(uuid.uuid4())}, "none"),
            ({"role": "authenticated", "sub": "x"}, "authenticated"),
        ):
            connection.execute("SELECT set_config('request.jwt.claims', %s, false)", (json.dumps(claims),))
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=rf"sign in first \(role {shown}\)"):
                pull(connection, project="alpha")


# --- 4. Append-only, for owners too ----------------------------------------------------------


APPEND_ONLY_WRITES = [
    "UPDATE agentsync.history SET author = 'rewritten'",
    "DELETE FROM agentsync.history",
    "TRUNCATE agentsync.history",
    "TRUNCATE agentsync.projects CASCADE",
    "UPDATE agentsync.lock_events SET actor = 'nobody'",
    "DELETE FROM agentsync.lock_events",
    "TRUNCATE agentsync.lock_events",
    "DELETE FROM agentsync.purges",
    "TRUNCATE agentsync.purges",
]


def forced_unlock_and_purge(connection: Any) -> None:
    """History, a forced-unlock record and a purge record to try to rewrite."""
    push(connection, [change("S-1", 0, "ada's")], author="ada@example.com")
    push(connection, [change("S-2", 0, "bo's")], author="bo@example.com")
    connection.execute("SELECT agentsync.lock('demo', 'story', 'S-1', 'bo@example.com', 600)")
    connection.execute("SELECT agentsync.unlock('demo', 'story', 'S-1', 'ada@example.com', true)")
    connection.execute("SELECT agentsync.purge('demo', 'carol@example.com', false)")


def assert_append_only(url: str) -> None:
    with connect(url) as connection:
        before = connection.execute(
            "SELECT (SELECT json_agg(h ORDER BY h.artifact_id)::text FROM agentsync.history h),"
            " (SELECT json_agg(e)::text FROM agentsync.lock_events e), (SELECT count(*) FROM agentsync.purges)"
        ).fetchone()
        for sql in APPEND_ONLY_WRITES:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"), connection.transaction():
                connection.execute("SET LOCAL agentsync.purging = 'on'")  # the old way in: no longer a key
                connection.execute(sql)  # literal SQL of this module
        after = connection.execute(
            "SELECT (SELECT json_agg(h ORDER BY h.artifact_id)::text FROM agentsync.history h),"
            " (SELECT json_agg(e)::text FROM agentsync.lock_events e), (SELECT count(*) FROM agentsync.purges)"
        ).fetchone()
        assert after == before


def test_history_and_lock_events_are_append_only_for_a_superuser(remote: str) -> None:
    with connect(remote) as connection:
        forced_unlock_and_purge(connection)
        assert value(connection, "SELECT count(*) FROM agentsync.lock_events WHERE event = 'forced_unlock'") == 1
    assert_append_only(remote)


PROVIDER_ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN BYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentsync_purger') THEN
        CREATE ROLE agentsync_purger NOLOGIN NOINHERIT;
    END IF;
END
$$
"""


def test_a_non_superuser_owner_migrates_cannot_rewrite_history_and_purge_still_works(database: str) -> None:
    """As on Supabase: `postgres` is no superuser, has CREATEROLE, and migrates; it owns the
    schema, and on PostgreSQL 16 holds ADMIN (without SET) on the roles it created."""
    name = f"owner_{uuid.uuid4().hex[:8]}"
    with connect(database) as admin:
        admin.execute(PROVIDER_ROLES)  # literal SQL of this module
        admin.execute(f"CREATE ROLE {name} LOGIN CREATEROLE PASSWORD 'secret'")
        admin.execute(f"GRANT agentsync_purger TO {name} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE")
        admin.execute(f'GRANT CREATE ON DATABASE "{urllib.parse.urlsplit(database).path[1:]}" TO {name}')
    url = role_url(database, name)
    try:
        with connect(url) as owner:
            assert value(owner, "SELECT rolsuper FROM pg_roles WHERE rolname = session_user") is False
            assert len(migrations.migrate(owner)) == len(migrations.available())
            assert value(owner, "SELECT pg_has_role(session_user, 'agentsync_purger', 'SET')") is False
            forced_unlock_and_purge(owner)  # the schema's owner is a trusted direct caller
        assert_append_only(url)
        with connect(url) as owner:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                owner.execute("SET ROLE agentsync_purger")  # nobody can become the purging role
            report = value(owner, "SELECT agentsync.purge('demo', 'bo@example.com', false)")
            assert report["history_contents_removed"] == 0 and report["current_versions_kept"] == 1
            authors = owner.execute("SELECT author FROM agentsync.history ORDER BY artifact_id").fetchall()
            assert authors == [("ada@example.com",), (report["replaced_by"],)]
            recorded = owner.execute("SELECT replaced_by, actor, report FROM agentsync.purges ORDER BY at").fetchall()
            assert [(r[0], r[1]) for r in recorded][-1] == (report["replaced_by"], name)
            assert "bo@example.com" not in json.dumps([r[2] for r in recorded])  # the record names nobody
    finally:
        with connect(database) as admin:
            admin.execute(f"REASSIGN OWNED BY {name} TO CURRENT_USER")
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")
