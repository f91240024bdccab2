"""`agentsync query` reads the mirror and nothing else: it never creates or writes a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Repo, artifact
from tests.test_cli import run


@pytest.fixture
def mirrored(repo: Repo) -> Repo:
    repo.write("plans/a.md", artifact("P-1", title="Alpha", body="the quick brown fox\n"))
    assert run(repo, "mirror")[0] == 0
    return repo


@pytest.mark.parametrize(
    ("sql", "word"),
    [
        ("ATTACH '{target}' AS x", "ATTACH"),
        ("attach database '{target}' as x", "ATTACH"),
        ("VACUUM INTO '{target}'", "VACUUM"),
        ("  vacuum main into '{target}'", "VACUUM"),
    ],
)
def test_attach_and_vacuum_into_are_refused_and_create_no_file(
    mirrored: Repo, tmp_path: Path, sql: str, word: str
) -> None:
    target = tmp_path / "elsewhere" / "x.db"
    target.parent.mkdir()
    code, _, err = run(mirrored, "query", sql.format(target=target))
    assert code == 1
    assert err.strip() == f"agentsync: error: query is read-only: {word} is not allowed"
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("sql", "word"),
    [
        ("DETACH main", "DETACH"),
        ("CREATE TEMP TABLE t(a)", "CREATE"),
        ("DELETE FROM artifacts", "DELETE"),
        ("WITH x AS (SELECT 1) UPDATE artifacts SET title = 'x'", "UPDATE"),
        ("PRAGMA user_version = 99", "PRAGMA user_version"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
        ("BEGIN", "BEGIN"),
        ("SELECT load_extension('/tmp/evil')", "load_extension()"),
        ("VACUUM", "VACUUM"),
    ],
)
def test_anything_that_writes_is_refused_in_one_line(mirrored: Repo, sql: str, word: str) -> None:
    before = (mirrored.root / ".agentsync" / "agentsync.db").read_bytes()
    code, _, err = run(mirrored, "query", sql)
    assert code == 1
    assert err.strip() == f"agentsync: error: query is read-only: {word} is not allowed"
    assert (mirrored.root / ".agentsync" / "agentsync.db").read_bytes() == before


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, title FROM artifacts",
        "SELECT a.id FROM artifacts_fts JOIN artifacts a ON a.pk = artifacts_fts.rowid WHERE artifacts_fts MATCH 'fox'",
        "SELECT snippet(artifacts_fts, 1, '[', ']', '…', 4) AS s FROM artifacts_fts WHERE artifacts_fts MATCH 'brown'",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT count(*) AS c FROM r",
        "PRAGMA table_info(artifacts)",
        "PRAGMA user_version",
        "SELECT json_extract(fields, '$.status') AS s FROM artifacts",
    ],
)
def test_reading_still_works(mirrored: Repo, sql: str) -> None:
    code, out, err = run(mirrored, "query", sql, "--json")
    assert code == 0, err
    assert json.loads(out)
