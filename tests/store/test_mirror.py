"""The mirror database: schema versioning, read-only access, a corrupt file's message."""

from __future__ import annotations

import sqlite3

import pytest

from agentsync.errors import MirrorError
from agentsync.scanner import scan
from agentsync.store import Mirror, schema
from tests.conftest import Repo, artifact


def test_new_mirror_is_at_the_current_schema_and_uses_wal(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    with repo.mirror() as mirror:
        scan(mirror)
        assert mirror.connection.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert mirror.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(repo: Repo) -> None:
    with repo.mirror():
        pass
    db = sqlite3.connect(repo.config().db_path)
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(MirrorError, match="newer than this agentsync"):
        Mirror.open(repo.config())
    with pytest.raises(MirrorError, match="newer than this agentsync"):
        Mirror.open(repo.config(), readonly=True)


def test_corrupt_mirror_says_how_to_rebuild(repo: Repo) -> None:
    path = repo.config().db_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(MirrorError, match="delete it and run `agentsync mirror`"):
        Mirror.open(repo.config())


def test_readonly_open_without_mirror(repo: Repo) -> None:
    with pytest.raises(MirrorError, match="run `agentsync mirror`"):
        Mirror.open(repo.config(), readonly=True)


def test_a_failed_transaction_leaves_nothing(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    with repo.mirror() as mirror:
        scan(mirror)
        with pytest.raises(RuntimeError), mirror.transaction() as db:
            db.execute("DELETE FROM artifacts")
            raise RuntimeError("interrupted")
        assert mirror.count() == 1


def test_a_version_1_mirror_is_migrated_in_place(repo: Repo) -> None:
    """Mirrors written before the git integration gain disk_hash (= hash) and git_heads on open."""
    import sqlite3

    from agentsync.store import schema

    config = repo.config()
    config.state_dir.mkdir()
    connection = sqlite3.connect(config.db_path, isolation_level=None)
    for statement in schema._statements(schema.MIGRATIONS[0]):
        connection.execute(statement)
    connection.execute("PRAGMA user_version = 1")
    connection.execute(
        "INSERT INTO artifacts(id, path, type, title, layout, hash, size, mtime_ns, mirrored_at, content) "
        "VALUES ('P-1', 'plans/p.md', 'plan', 'Launch', 'plain', 'abc', 1, 1, 'now', 'rollback plan')"
    )
    connection.close()
    with repo.mirror() as mirror:
        assert mirror.connection.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert mirror.connection.execute("SELECT pk, disk_hash FROM artifacts").fetchone() == (1, "abc")
        assert mirror.connection.execute("SELECT count(*) FROM git_heads").fetchone()[0] == 0
        assert [hit.row.id for hit in mirror.search("rollback")] == ["P-1"]  # the index survived the rebuild
        columns = [row[1] for row in mirror.connection.execute("PRAGMA table_info(artifacts)")]
        assert columns[-2:] == ["fields", "content"]  # large columns still last
        with mirror.transaction() as db:  # the triggers are back: edits reach the index
            db.execute("UPDATE artifacts SET content = 'restore drill' WHERE id = 'P-1'")
        assert [hit.row.id for hit in mirror.search("drill")] == ["P-1"]


def test_only_readers_of_the_whole_mirror_map_it(repo: Repo) -> None:
    """status and the read-only commands read pages through a memory map; a writer does not (a pull of
    100,000 rows would count every page it read as its own memory)."""
    from agentsync.store.mirror import MMAP_BYTES

    config = repo.config()
    sizes = []
    for options in ({}, {"mapped": True}, {"readonly": True}):
        with Mirror.open(config, **options) as mirror:
            sizes.append(mirror.connection.execute("PRAGMA mmap_size").fetchone()[0])
    assert sizes == [0, MMAP_BYTES, MMAP_BYTES]
