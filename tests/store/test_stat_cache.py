"""The scanner's stat cache reads an index alone (migration 11), not the table's pages with the texts."""

from __future__ import annotations

from agentsync.scanner import scan
from agentsync.store import artifacts
from tests.conftest import Repo, artifact


def test_the_stat_cache_is_read_from_a_covering_index(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2", body="x" * 9000))  # its text spills out of the row's page
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN SELECT path, size, mtime_ns FROM artifacts"))
        assert "COVERING INDEX artifacts_stat" in plan
        sizes = {path: size for path, size, _mtime in artifacts.stat_cache(db)}
        assert sizes == {"plans/a.md": mirror.find("P-1").size, "plans/b.md": mirror.find("P-2").size}
        assert {p for p, _s, _m in artifacts.stat_cache(db, ["plans/b.md", "plans/gone.md"])} == {"plans/b.md"}
