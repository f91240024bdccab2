"""`purge --author`: one person's data erased from the remote, everyone else's untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from agentsync.remotes import migrations
from tests.conftest import artifact
from tests.remotes.conftest import SupabaseProject, connect, database, postgres_url, supabase  # noqa: F401
from tests.remotes.test_supabase import api
from tests.test_audit import ada_and_bo
from tests.test_cli import run


def history(url: str) -> list[dict[str, Any]]:
    with connect(url) as connection:
        rows = connection.execute(
            "SELECT artifact_id, version, author, content, hash, summary, client_id FROM agentsync.history "
            "ORDER BY artifact_id, version"
        ).fetchall()
    keys = ("artifact_id", "version", "author", "content", "hash", "summary", "client_id")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def test_purge_erases_one_authors_contents_and_name_and_nothing_else(tmp_path: Path, database: str) -> None:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    ada, bo = ada_and_bo(tmp_path, database)
    bo.write("plans/P-1.md", bo.read("plans/P-1.md").decode().replace("Body.", "Bo's first words."))
    assert run(bo, "push")[0] == 0
    bo.write("plans/P-1.md", bo.read("plans/P-1.md").decode().replace("first", "second"))
    bo.write("plans/P-3.md", artifact("P-3", "Bo's own plan", body="Bo's plan.\n"))
    assert run(bo, "push")[0] == 0
    assert run(bo, "lock", "P-2")[0] == 0
    assert run(ada, "pull")[0] == 0
    ada.write("plans/P-1.md", ada.read("plans/P-1.md").decode().replace("second", "third, by Ada,"))
    assert run(ada, "push")[0] == 0  # P-1's current version is Ada's again
    before = history(database)

    code, out, err = run(ada, "purge", "--author", "bo@example.com", "--dry-run")
    assert code == 0, err
    assert "2 version(s) in the history: content removed" in out and "1 current version(s)" in out
    assert "1 lock(s) released" in out
    assert history(database) == before  # a dry run changes nothing

    code, out, err = run(ada, "purge", "--author", "bo@example.com", "--yes", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["history_contents_removed"] == 2 and report["current_versions_kept"] == 1
    pseudonym = report["replaced_by"]
    assert pseudonym.startswith("erased-")
    after = history(database)
    assert [r for r in after if r["author"] not in (pseudonym,)] == [
        r for r in before if r["author"] != "bo@example.com"
    ]
    bos = [r for r in after if r["author"] == pseudonym]
    assert [(r["artifact_id"], r["version"]) for r in bos] == [("P-1", 2), ("P-1", 3), ("P-3", 1)]
    assert [r["content"] is None for r in bos] == [True, True, False]  # P-3 v1 is current: it remains
    assert all(r["client_id"] is None and r["summary"] == "" for r in bos)
    assert "bo@example.com" not in json.dumps(after) and "Bo's first" not in json.dumps(after)
    code, out, _ = run(ada, "audit", "--json")
    assert "bo@example.com" not in out and pseudonym in out
    assert run(ada, "locks")[1] == "no locks\n"
    assert run(ada, "purge", "--author", "bo@example.com", "--yes")[1].endswith("has no data in this project\n")
    with connect(database) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        connection.execute("UPDATE agentsync.history SET author = 'x'")  # outside purge it is append-only again
    assert run(bo, "pull")[0] == 0  # the clones go on syncing


def test_only_the_service_role_may_purge(supabase: SupabaseProject) -> None:  # noqa: F811
    from postgrest.exceptions import APIError

    user_id, token = supabase.user("owner@example.com")
    supabase.add_member("team", user_id, "owner@example.com", "owner")
    member = api(supabase, token=token)
    with pytest.raises(APIError, match="permission denied for function purge"):
        member.rpc("purge", {"p_project": "team", "p_author": "bo@example.com", "p_dry_run": True}).execute()
    service = api(supabase, key="service_role")
    answer = service.rpc("purge", {"p_project": "team", "p_author": "bo@example.com", "p_dry_run": True}).execute()
    assert answer.data["dry_run"] is True and answer.data["history_contents_removed"] == 0
