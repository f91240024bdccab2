#!/usr/bin/env python3
"""Compare push and pull of two checkouts on the same machine, in the same run (not part of the test run).

    python tests/bench/bench_compare.py OTHER_CHECKOUT [--count 10000] [--rounds 3] [--work /dev/shm/...]

Starts one embedded PostgreSQL, gives each checkout a database migrated by its own code, then
alternates: for each round and each checkout, a child process (PYTHONPATH set to that checkout)
pushes a fresh corpus of COUNT artifacts from one folder and pulls it into another, and prints
the wall time and the user CPU of each. Everything runs on WORK (tmpfs by default) so the disk's
moods drop out, with os.sync() before each run. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve()
THIS = HERE.parents[2]
GEN_CORPUS = THIS.parent / "shared" / "bench" / "gen_corpus.py"

CHILD = r"""
import json, resource, shutil, subprocess, sys, time, uuid
from pathlib import Path
url, work, count, corpus = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
from agentsync import config as config_module
from agentsync.remotes.postgres import PostgresRemote
try:
    from agentsync.mirror import Mirror  # a checkout from before the store package
except ImportError:
    from agentsync.store import Mirror
from agentsync.sync import pull, push
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
subprocess.run([sys.executable, corpus, str(work / "a"), "--count", count], check=True, capture_output=True)
for name in "ab":
    root = work / name
    root.mkdir(exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    if not (root / "agentsync.yaml").exists():
        (root / "agentsync.yaml").write_text(config_module.render_default())
remote = PostgresRemote(url, "p" + uuid.uuid4().hex[:8])
figures = {}
for name, step in (("push", lambda m: push(m, remote, "ada")), ("pull", lambda m: pull(m, remote))):
    with Mirror.open(config_module.load(work / ("a" if name == "push" else "b"))) as mirror:
        user, wall = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
        step(mirror)
        figures[name] = (time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF).ru_utime - user)
remote.close()
shutil.rmtree(work, ignore_errors=True)
print(json.dumps(figures))
"""


def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare this one with (a git worktree, say)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/dev/shm/agentsync-bench-compare"))
    options = parser.parse_args()
    if not GEN_CORPUS.exists():
        print(f"missing {GEN_CORPUS}", file=sys.stderr)
        return 1
    import json

    import pgserver
    import psycopg

    trees = {"other": options.other.resolve(), "this": THIS}
    server = pgserver.get_server(tempfile.mkdtemp(prefix="agentsync-bench-compare-"), cleanup_mode="delete")
    try:
        base = server.get_uri()
        with psycopg.connect(base, autocommit=True) as admin:
            for label in trees:
                admin.execute(f'CREATE DATABASE "bench_{label}"')
        migrate = "import psycopg, sys; from agentsync.remotes import migrations; " \
                  "migrations.migrate(psycopg.connect(sys.argv[1], autocommit=True))"  # fmt: skip
        for label, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            subprocess.run([sys.executable, "-c", migrate, database_url(base, f"bench_{label}")], env=env, check=True)
        results: dict[str, list[dict[str, list[float]]]] = {label: [] for label in trees}
        for round_number in range(options.rounds):
            for label, tree in trees.items():
                os.sync()
                env = {**os.environ, "PYTHONPATH": str(tree)}
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, database_url(base, f"bench_{label}"), str(options.work / label),
                     str(options.count), str(GEN_CORPUS)],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                results[label].append(figures)
                line = " | ".join(f"{step} {wall:.2f} s, user {user:.2f} s" for step, (wall, user) in figures.items())
                print(f"round {round_number + 1} {label:5s} ({tree}): {line}", flush=True)
    finally:
        server.cleanup()
    print()
    for step in ("push", "pull"):
        for index, what in ((0, "wall"), (1, "user CPU")):
            medians = {label: statistics.median(r[step][index] for r in results[label]) for label in trees}
            print(f"{step} {what:8s} median: other {medians['other']:.2f} s, this {medians['this']:.2f} s "
                  f"(this / other = {medians['this'] / medians['other']:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
