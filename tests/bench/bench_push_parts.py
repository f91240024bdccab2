#!/usr/bin/env python3
"""Where the server's time goes in one pushed batch (not part of the test run).

    python tests/bench/bench_push_parts.py [--changes 600] [--runs 7]

Starts an embedded PostgreSQL (pgserver), builds a corpus with ../shared/bench/gen_corpus.py,
mirrors it, and sends one batch of its changes, as a push would (``Change.to_json``), to parts
of the work ``agentsync.push`` does, each timed from the client and rolled back: the jsonb cast
alone, the cast and the problem checks, the whole function, and the same texts as a text[]
parameter (what a push taking arrays would pay). Each part is printed as a share of the whole
function measured in the same run. The median of ``--runs`` is shown.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import bench_remote  # noqa: E402


def batch_of(folder: Path, count: int) -> list[dict[str, object]]:
    """``count`` changes of new artifacts, as the push of a mirror of a new corpus in ``folder`` sends them."""
    from agentsync import config as config_module
    from agentsync.scanner import scan
    from agentsync.store import Mirror
    from agentsync.sync.batches import changes_for, pending_changes

    bench_remote.make_clone(folder, "parts", count)
    with Mirror.open(config_module.load(folder)) as mirror:
        scan(mirror)
        changes = changes_for(mirror, pending_changes(mirror)[:count])
    return [change.to_json() for change in changes]


def median_ms(connection: Any, runs: int, call: Callable[[int], object]) -> float:
    """The median milliseconds of ``call(run)``, each run rolled back."""
    seconds = []
    for number in range(runs):
        start = time.perf_counter()
        call(number)
        seconds.append(time.perf_counter() - start)
        connection.rollback()
    return statistics.median(seconds) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=600, help="changes in the batch (a push sends 600)")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    import pgserver  # type: ignore[import-untyped]
    import psycopg

    from agentsync.remotes import migrations

    work = Path(tempfile.mkdtemp(prefix="agentsync-bench-parts-"))
    changes = batch_of(work / "corpus", options.changes)
    document = json.dumps(changes)
    texts = [str(change.get("content", "")) for change in changes]
    server = pgserver.get_server(work / "pg", cleanup_mode="delete")
    with psycopg.connect(server.get_uri(), autocommit=True) as setup:
        migrations.migrate(setup)
    connection = psycopg.connect(server.get_uri())

    def timed(sql: str, *params: object) -> float:
        return median_ms(connection, options.runs, lambda _run: connection.execute(sql, params).fetchall())

    def whole(run: int) -> None:
        connection.execute(
            "SELECT agentsync.push(%s, %s, %s, %s, %s::jsonb)",
            (f"parts{run}", "client", f"batch{run}", "a@b", document),
        ).fetchall()

    push = median_ms(connection, options.runs, whole)
    parts = {
        "the jsonb cast": timed("SELECT jsonb_array_length(%s::jsonb)", document),
        "the cast and each change's content": timed(
            "SELECT sum(length(e ->> 'content')) FROM jsonb_array_elements(%s::jsonb) e", document
        ),
        "the cast and the problem checks": timed(
            "SELECT count(*) FROM jsonb_array_elements(%s::jsonb) e "
            "WHERE coalesce(agentsync.type_problem(e), agentsync.change_problem(e)) IS NOT NULL",
            document,
        ),
        "the texts as a text[] parameter": timed("SELECT sum(length(x)) FROM unnest(%s::text[]) x", texts),
    }
    print(f"one batch of {len(changes)} changes, {len(document):,} bytes of JSON; median of {options.runs}")
    print(f"{'agentsync.push (rolled back)':44s} {push:7.1f} ms")
    for name, milliseconds in parts.items():
        print(f"  {name:42s} {milliseconds:7.1f} ms  {milliseconds / push:5.2f} of the push")
    connection.close()
    server.cleanup()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
