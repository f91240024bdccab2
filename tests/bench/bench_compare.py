#!/usr/bin/env python3
"""Compare push and pull of two checkouts on the same machine, in the same run (not part of the test run).

    python tests/bench/bench_compare.py OTHER_CHECKOUT [--count 10000] [--rounds 3] [--work /dev/shm/...]
                                        [--profile DIR]

Starts one embedded PostgreSQL, gives each checkout a database migrated by its own code (each child
runs in its checkout, since `python -c` puts the working folder first on sys.path), then
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
url, work, count, corpus, profile = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
from agentsync import config as config_module
from agentsync.remotes.postgres import PostgresRemote
try:
    from agentsync.mirror import Mirror  # a checkout from before the store package
except ImportError:
    from agentsync.store import Mirror
from agentsync.sync import pull, push
import agentsync
assert Path(agentsync.__file__).resolve().is_relative_to(Path.cwd().resolve()), agentsync.__file__
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
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        user, wall = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
        step(mirror)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile}-{name}.prof")
        figures[name] = (time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF).ru_utime - user)
remote.close()
shutil.rmtree(work, ignore_errors=True)
print(json.dumps(figures))
"""


def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def profile_prefix(folder: Path | None, label: str, round_number: int) -> str:
    if folder is None:
        return ""
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{label}-{round_number + 1}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare this one with (a git worktree, say)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/dev/shm/agentsync-bench-compare"))
    parser.add_argument("--profile", type=Path, help="write a cProfile of each step to PROFILE/LABEL-ROUND-STEP.prof "
                        "(the figures then include the profiler's overhead)")  # fmt: skip
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
            subprocess.run([sys.executable, "-c", migrate, database_url(base, f"bench_{label}")], env=env, cwd=tree,
                           check=True)  # fmt: skip
        results: dict[str, list[dict[str, list[float]]]] = {label: [] for label in trees}
        for round_number in range(options.rounds):
            for label, tree in trees.items():
                os.sync()
                env = {**os.environ, "PYTHONPATH": str(tree)}
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, database_url(base, f"bench_{label}"), str(options.work / label),
                     str(options.count), str(GEN_CORPUS), profile_prefix(options.profile, label, round_number)],
                    env=env, cwd=tree, capture_output=True, text=True, check=True,
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
