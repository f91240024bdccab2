#!/usr/bin/env python3
"""Benchmark push and pull over direct PostgreSQL (not part of the test run).

    python tests/bench/bench_remote.py [--count 10000] [--big 100000] [--keep DIR]

Starts an embedded PostgreSQL (pgserver), builds a corpus with ../shared/bench/gen_corpus.py
and prints: push of COUNT new artifacts, initial pull of COUNT into an empty clone,
incremental pull with nothing new as a whole process, and (with --big N) a pull of N
artifacts with the pulling process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GEN_CORPUS = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
TARGETS = {"push (in-process)": 3.0, "initial pull (in-process)": 2.0, "incremental pull, nothing new (process)": 0.3}


def record(name: str, value: float, unit: str = "s", target: float | None = None) -> None:
    target = TARGETS.get(name, target)
    verdict = "" if target is None else f"  (target <= {target:g}{unit}: {'ok' if value <= target else 'MISSED'})"
    print(f"{name:48s} {value:9.3f} {unit}{verdict}", flush=True)


def make_clone(folder: Path, project: str, corpus: int | None) -> Path:
    if corpus:
        subprocess.run([sys.executable, str(GEN_CORPUS), str(folder), "--count", str(corpus)], check=True)
    folder.mkdir(parents=True, exist_ok=True)
    from agentsync import config as config_module

    (folder / "agentsync.yaml").write_text(config_module.render_default() + f"project: {project}\n", encoding="utf-8")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=0, help="also pull this many artifacts and report peak memory")
    parser.add_argument("--keep", type=Path)
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import pgserver  # type: ignore[import-untyped]
    import psycopg

    from agentsync import config as config_module
    from agentsync.mirror import Mirror
    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.sync import pull, push

    work = options.keep or Path(tempfile.mkdtemp(prefix="agentsync-bench-remote-"))
    work.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    url = server.get_uri()
    with psycopg.connect(url, autocommit=True) as connection:
        migrations.migrate(connection)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; PostgreSQL (embedded) at {work / 'pg'}\n")

    for folder in ("a", "b", "big-a", "big-b"):
        shutil.rmtree(work / folder, ignore_errors=True)
    project = f"bench{int(time.time())}"
    a = make_clone(work / "a", project, options.count)
    b = make_clone(work / "b", project, None)
    remote = PostgresRemote(url, project)
    with Mirror.open(config_module.load(a)) as mirror:
        start = time.perf_counter()
        report = push(mirror, remote, "bench@example.com")
        record("push (in-process)", time.perf_counter() - start)
        assert len(report.applied) == options.count, len(report.applied)
    with Mirror.open(config_module.load(b)) as mirror:
        start = time.perf_counter()
        pulled = pull(mirror, remote)
        record("initial pull (in-process)", time.perf_counter() - start)
        assert len(pulled.written) == options.count, len(pulled.written)
    env = {**os.environ, "AGENTSYNC_DATABASE_URL": url}
    times = []
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "agentsync", "-C", str(b), "pull"], env=env,
                              capture_output=True, text=True)  # fmt: skip
        times.append(time.perf_counter() - start)
        assert done.returncode == 0 and "pulled 0 change(s)" in done.stdout, done.stdout + done.stderr
    record("incremental pull, nothing new (process)", sorted(times)[len(times) // 2])
    remote.close()

    if options.big:
        big_project = project + "big"
        big_a = make_clone(work / "big-a", big_project, options.big)
        make_clone(work / "big-b", big_project, None)
        with Mirror.open(config_module.load(big_a)) as mirror:
            start = time.perf_counter()
            push(mirror, PostgresRemote(url, big_project), "bench@example.com")
            record(f"push of {options.big:,} (in-process)", time.perf_counter() - start)
        probe = (
            "import json, resource, sys, time; sys.path.insert(0, sys.argv[3]);"
            "from pathlib import Path; from agentsync import config; from agentsync.mirror import Mirror;"
            "from agentsync.remotes.postgres import PostgresRemote; from agentsync.sync import pull;"
            "m = Mirror.open(config.load(Path(sys.argv[1]))); t = time.perf_counter();"
            "r = pull(m, PostgresRemote(sys.argv[2], config.load(Path(sys.argv[1])).project_name));"
            "print(json.dumps([time.perf_counter() - t, len(r.written),"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))"
        )
        out = subprocess.run([sys.executable, "-c", probe, str(work / "big-b"), url, str(ROOT)], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        seconds, written, rss = json.loads(out)
        assert written == options.big, written
        record(f"pull of {options.big:,} (process)", seconds)
        record(f"pull of {options.big:,}: peak memory", rss / 1024, "MB", 250)
    server.cleanup()
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
