"""The mirror opens in sqlite-utils (and so Datasette, which looks for the index the same way)
with full-text search on artifacts working, and a mirror made before that upgrades in place."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from agentsync.scanner import scan
from agentsync.store import schema
from tests.conftest import Repo, artifact


def mirrored(repo: Repo) -> None:
    repo.write("plans/rollback.md", artifact("P-1", "Rollback plan", body="How to roll back the launch."))
    repo.write("stories/s.md", artifact("S-1", "Onboarding", body="A new user signs up."))
    with repo.mirror() as mirror:
        scan(mirror)


def test_sqlite_utils_finds_the_index_and_searches_through_it(repo: Repo) -> None:
    mirrored(repo)
    db = sqlite_utils.Database(repo.config().db_path)
    try:
        table = db["artifacts"]
        assert isinstance(table, sqlite_utils.db.Table)
        assert table.detect_fts() == "artifacts_fts"
        assert [row["id"] for row in table.search("launch")] == ["P-1"]
        assert [row["id"] for row in table.search("signs")] == ["S-1"]
    finally:
        db.close()


def test_agentsync_search_and_its_triggers_still_work(repo: Repo) -> None:
    mirrored(repo)
    with repo.mirror() as mirror:
        assert [hit.row.id for hit in mirror.search("launch")] == ["P-1"]
        with mirror.transaction() as db:
            db.execute("UPDATE artifacts SET content = 'restore drill' WHERE id = 'S-1'")
        assert [hit.row.id for hit in mirror.search("drill")] == ["S-1"]
        assert mirror.search("signs") == []
        mirror.connection.execute("INSERT INTO artifacts_fts(artifacts_fts, rank) VALUES ('integrity-check', 1)")


def mirror_at(repo: Repo, version: int) -> sqlite3.Connection:
    """A mirror built by the first ``version`` migrations, holding plan P-1 ("rollback plan")."""
    config = repo.config()
    config.state_dir.mkdir()
    connection = sqlite3.connect(config.db_path, isolation_level=None)
    schema._register_functions(connection, str(config.db_path))
    connection.create_function("agentsync_type_of", 1, lambda path: None)  # what migration 10 calls
    for number, migration in enumerate(schema.MIGRATIONS[:version], start=1):
        for statement in schema._statements(migration):
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number}")
    connection.execute(
        "INSERT INTO artifacts(id, path, type, title, layout, hash, disk_hash, size, mtime_ns, mirrored_at, content) "
        "VALUES ('P-1', 'plans/p.md', 'plan', 'Launch', 'plain', 'abc', 'abc', 1, 1, 'now', 'rollback plan')"
    )
    return connection


def test_a_schema_8_mirror_upgrades_and_keeps_its_index(repo: Repo) -> None:
    config = repo.config()
    connection = mirror_at(repo, 8)
    assert sqlite_utils.Database(connection).table("artifacts").detect_fts() is None  # what 0.1.0 mirrors look like
    connection.close()

    with repo.mirror() as mirror:
        assert mirror.connection.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 9
        assert [hit.row.id for hit in mirror.search("rollback")] == ["P-1"]  # rebuilt from the rows
    db = sqlite_utils.Database(config.db_path)
    try:
        assert db.table("artifacts").detect_fts() == "artifacts_fts"
        assert [row["id"] for row in db.table("artifacts").search("rollback")] == ["P-1"]
    finally:
        db.close()


def test_an_id_is_searched_as_one_token_and_its_artifact_comes_first(repo: Repo) -> None:
    repo.write(".agent/cache/plans/INFRA-004.md", "# INFRA-004: Move the build\n\nStatus: DRAFT\n")
    many = "INFRA work, INFRA again, and ticket 004 then 004 once more.\n"
    repo.write("stories/noise.md", artifact("S-9", "Noise about INFRA", body=many))
    repo.write("stories/cites.md", artifact("S-8", "Follows up", body="After INFRA-004 lands, do this.\n"))
    repo.write("stories/near.md", artifact("S-7", "Near miss", body="INFRA-0045 is another ticket.\n"))
    with repo.mirror() as mirror:
        scan(mirror)
        found = [hit.row.id for hit in mirror.search("INFRA-004")]
        assert found[0] == "INFRA-004" and set(found) == {"INFRA-004", "S-8"}  # not S-9's INFRA and 004 apart
        assert mirror.search("infra-004")[0].row.id == "INFRA-004"
        assert [hit.row.id for hit in mirror.search("INFRA-004 lands")] == ["S-8"]
        assert [hit.row.id for hit in mirror.search("S-7")] == ["S-7"]  # exact id even where FTS finds little


def test_a_schema_11_mirror_upgrades_to_the_larger_pending_terms_buffer(repo: Repo) -> None:
    connection = mirror_at(repo, 11)
    assert connection.execute("SELECT * FROM artifacts_fts_config WHERE k = 'hashsize'").fetchall() == []
    connection.close()

    with repo.mirror() as mirror:
        db = mirror.connection
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 12
        assert db.execute("SELECT v FROM artifacts_fts_config WHERE k = 'hashsize'").fetchall() == [(4 << 20,)]
        assert [hit.row.id for hit in mirror.search("rollback")] == ["P-1"]  # the index is as it was
        db.execute("INSERT INTO artifacts_fts(artifacts_fts, rank) VALUES ('integrity-check', 1)")
