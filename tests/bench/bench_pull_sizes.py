#!/usr/bin/env python3
"""Whether an initial pull grows with its work: per-chunk costs at two sizes (not part of the test run).

    python tests/bench/bench_pull_sizes.py [--count 10000] [--factor 10] [--runs 2]

Starts an embedded PostgreSQL (pgserver), builds corpora of COUNT and COUNT x FACTOR artifacts with
../shared/bench/gen_corpus.py, pushes each to a project of its own, then pulls each into an empty clone,
in-process, on tmpfs where there is one (the disk's moods drop out), timing the fetch, each chunk's
planning and recording, and the rest (the scan before, the full-text index and git staging after).
A part that costs more per chunk at the larger size grows faster than the work: each is printed for
the first and last tenth of the chunks, and every total as a ratio to the smaller pull's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import bench_remote  # noqa: E402


class PullParts(NamedTuple):
    total: float
    fetch: float
    plans: list[float]  # seconds per chunk, in order
    records: list[float]

    @property
    def rest(self) -> float:
        """What is not fetching or a chunk's planning or recording (the writer thread overlaps both)."""
        return self.total - self.fetch - sum(self.plans) - sum(self.records)


def timed_pull(url: str, clone: Path) -> PullParts:
    """An initial pull into ``clone``, with the time of each of its parts."""
    from agentsync import config as config_module
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.store import Mirror
    from agentsync.sync import incoming, pull
    from agentsync.sync.plan import Planner

    plans: list[float] = []
    records: list[float] = []
    fetches: list[float] = []

    def timing(into: list[float], function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - start)

        return timed

    patched = (
        (Planner, "plan_chunk", plans),
        (incoming, "_record_chunk", records),
        (incoming, "fetch_unlocked", fetches),
    )
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, into in patched:
        setattr(owner, name, timing(into, getattr(owner, name)))
    try:
        config = config_module.load(clone)
        with Mirror.open(config) as mirror:
            start = time.perf_counter()
            report = pull(mirror, PostgresRemote(url, config.project_name))
            total = time.perf_counter() - start
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    assert report.ok and report.written, report
    return PullParts(total, sum(fetches), plans, records)


def tenths(values: list[float]) -> tuple[float, float]:
    """Mean milliseconds of the first and of the last tenth of ``values``."""
    share = max(1, len(values) // 10)
    return statistics.mean(values[:share]) * 1000, statistics.mean(values[-share:]) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2, help="pulls of each size (the fastest is shown)")
    options = parser.parse_args()
    import pgserver  # type: ignore[import-untyped]
    import psycopg

    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.scanner import scan
    from agentsync.store import Mirror
    from agentsync.sync import push

    memory = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="agentsync-bench-sizes-", dir=memory if memory.is_dir() else None))
    server = pgserver.get_server(Path(tempfile.mkdtemp(prefix="agentsync-bench-sizes-pg-")), cleanup_mode="delete")
    try:
        url = server.get_uri()
        with psycopg.connect(url, autocommit=True) as connection:
            migrations.migrate(connection)
        from agentsync import config as config_module

        sizes = (options.count, options.count * options.factor)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; work in {work}")
        for size in sizes:
            source = bench_remote.make_clone(work / f"source-{size}", f"sizes{size}", size)
            with Mirror.open(config_module.load(source)) as mirror:
                scan(mirror)
                assert len(push(mirror, PostgresRemote(url, f"sizes{size}"), "bench").applied) == size
            shutil.rmtree(source)
        results: dict[int, PullParts] = {}
        for size in sizes:
            for run in range(options.runs):
                clone = bench_remote.make_clone(work / f"clone-{size}-{run}", f"sizes{size}", None)
                os.sync()
                parts = timed_pull(url, clone)
                shutil.rmtree(clone)
                if size not in results or parts.total < results[size].total:
                    results[size] = parts
        small, large = (results[size] for size in sizes)
        print(f"\n{'':34}{sizes[0]:>12,}{sizes[1]:>12,}   ratio (linear: {options.factor}x)")
        for label, pick in (("total, s", lambda p: p.total), ("fetch, s", lambda p: p.fetch),
                            ("chunk plans, s", lambda p: sum(p.plans)), ("chunk records, s", lambda p: sum(p.records)),
                            ("the rest, s", lambda p: p.rest)):  # fmt: skip
            print(f"{label:34}{pick(small):12.3f}{pick(large):12.3f}{pick(large) / pick(small):9.2f}x")
        for label, values in (("plan", lambda p: p.plans), ("record", lambda p: p.records)):
            first_small, last_small = tenths(values(small))
            first_large, last_large = tenths(values(large))
            print(f"{label + ' ms a chunk, 1st/last tenth':34}{first_small:7.1f}/{last_small:<4.1f}"
                  f"{first_large:7.1f}/{last_large:<4.1f}")  # fmt: skip
    finally:
        server.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
