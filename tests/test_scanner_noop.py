"""A scan that finds nothing changed writes nothing to the mirror: no timestamp, no problems table."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from agentsync.scanner import scan
from agentsync.store import Mirror, ProblemRow, artifacts
from agentsync.store.meta import MetaKey
from tests.conftest import Repo, artifact


def _age(repo: Repo) -> None:
    """Set every artifact's mtime an hour back: no stat is racy, so a rescan trusts them all."""
    past = time.time_ns() - 3600 * 10**9
    for folder, _dirs, files in os.walk(repo.root / "plans"):
        for name in files:
            os.utime(os.path.join(folder, name), ns=(past, past))


def test_a_no_op_scan_writes_no_row(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    _age(repo)
    with repo.mirror() as mirror:
        first = scan(mirror)
        assert first.added and mirror.get_meta(MetaKey.FULL_SCAN_AT) is not None
        before = mirror.connection.total_changes
        again = scan(mirror)
        assert again.ok and not again.changed and again.unchanged == 2
        assert mirror.connection.total_changes == before  # not even FULL_SCAN_AT or the problems table
        scan(mirror, ["plans/a.md"])
        assert mirror.connection.total_changes == before


def test_problems_are_still_recorded_and_cleared(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/bad.md", "---\nid: [unclosed\n---\n")
    _age(repo)
    with repo.mirror() as mirror:
        assert not scan(mirror).ok
        assert [row.path for row in mirror_problems(mirror)] == ["plans/bad.md"]
        assert not scan(mirror).ok  # the problem stays recorded on a rescan
        assert [row.path for row in mirror_problems(mirror)] == ["plans/bad.md"]
        os.unlink(repo.root / "plans/bad.md")
        assert scan(mirror).ok
        assert mirror_problems(mirror) == []


def mirror_problems(mirror: Mirror) -> list[ProblemRow]:

    return artifacts.problems(mirror.connection)


def test_a_no_op_scan_loads_neither_the_parser_nor_hashlib(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    _age(repo)
    with repo.mirror() as mirror:
        scan(mirror)
    probe = (
        "import sys; from pathlib import Path; from agentsync import config; from agentsync.store import Mirror;"
        "from agentsync.scanner import scan; m = Mirror.open(config.load(Path(sys.argv[1])));"
        "r = scan(m); m.close(); assert not r.changed, r;"
        "print(sorted(n for n in ('agentsync.artifact', 'hashlib') if n in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(repo.root)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
