#!/usr/bin/env python3
"""Benchmark push and pull over direct PostgreSQL and over HTTP (not part of the test run).

    python tests/bench/bench_remote.py [--count 10000] [--big 100000] [--no-http] [--keep DIR]

Starts an embedded PostgreSQL (pgserver), builds a corpus with ../shared/bench/gen_corpus.py
and prints: push of COUNT new artifacts, initial pull of COUNT into an empty clone (with
its CPU time, and what plainly writing the same files takes on this disk right after),
incremental pull with nothing new as a whole process, and (with --big N) a pull of N
artifacts with the pulling process's peak memory. Then the same three over supabase-py
through the test suite's PostgREST-compatible gateway, with the number of HTTP requests.
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


def settle(url: str) -> None:
    """Let the disk settle before a timed phase: the server's checkpoint and the page cache's
    writeback of the previous phase would otherwise land in the next one's file writes."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CHECKPOINT")
    os.sync()
    time.sleep(1)


def make_clone(folder: Path, project: str, corpus: int | None) -> Path:
    if corpus:
        subprocess.run([sys.executable, str(GEN_CORPUS), str(folder), "--count", str(corpus)], check=True)
    folder.mkdir(parents=True, exist_ok=True)
    from agentsync import config as config_module

    (folder / "agentsync.yaml").write_text(config_module.render_default() + f"project: {project}\n", encoding="utf-8")
    return folder


def plain_copy(source: Path, target: Path) -> float:
    """Seconds to write ``source``'s artifact files into a new folder ``target`` with plain
    open/write/close: what creating that many files costs on this disk right now (a pull also
    writes each through a temp file, syncs and renames it, and records it in the mirror)."""
    files = [(path.relative_to(source), path.read_bytes()) for path in source.rglob("*.md")]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    os.sync()
    start = time.perf_counter()
    for relative, data in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=0, help="also pull this many artifacts and report peak memory")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--no-http", action="store_true", help="skip the supabase-py measurements")
    parser.add_argument(
        "--editable", action="store_true",
        help="time whole processes with this checkout's editable install (its import finder adds ~15 ms a start) "
        "instead of a regular install of it, as users have one",
    )  # fmt: skip
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import pgserver  # type: ignore[import-untyped]
    import psycopg

    from agentsync import config as config_module
    from agentsync.remotes import migrations
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.scanner import scan
    from agentsync.store import Mirror
    from agentsync.sync import pull, push

    work = options.keep or Path(tempfile.mkdtemp(prefix="agentsync-bench-remote-"))
    work.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    url = server.get_uri()
    with psycopg.connect(url, autocommit=True) as connection:
        migrations.migrate(connection)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; PostgreSQL (embedded) at {work / 'pg'}")
    from bench_hooks import regular_install

    python = sys.executable if options.editable else regular_install(work)
    print(f"processes run {python} ({'this checkout, editable' if options.editable else 'a regular install'})\n")

    for folder in ("a", "b", "big-a", "big-b", "floor-before", "floor-after"):
        shutil.rmtree(work / folder, ignore_errors=True)
    project = f"bench{int(time.time())}"
    a = make_clone(work / "a", project, options.count)
    b = make_clone(work / "b", project, None)
    remote = PostgresRemote(url, project)
    with Mirror.open(config_module.load(a)) as mirror:
        start = time.perf_counter()
        scan(mirror)
        record("mirror of the new corpus (before push)", time.perf_counter() - start)
        settle(url)
        start = time.perf_counter()
        report = push(mirror, remote, "bench@example.com")
        record("push (in-process)", time.perf_counter() - start)
        assert len(report.applied) == options.count, len(report.applied)
    settle(url)
    # The files' creation alone varies several-fold on some disks (a VM's ext4 right after large
    # deletions, say): plain writes of the same files just before and just after show its cost.
    floor_before = plain_copy(a, work / "floor-before")
    settle(url)
    with Mirror.open(config_module.load(b)) as mirror:
        start, cpu = time.perf_counter(), os.times()
        pulled = pull(mirror, remote)
        record("initial pull (in-process)", time.perf_counter() - start)
        spent = os.times()
        assert len(pulled.written) == options.count, len(pulled.written)
    record("initial pull: CPU in this process, user", spent.user - cpu.user)
    record("initial pull: CPU in this process, kernel", spent.system - cpu.system)
    record("floor: the same files written plainly, before", floor_before)
    record("floor: the same files written plainly, after", plain_copy(b, work / "floor-after"))
    env = {**os.environ, "AGENTSYNC_DATABASE_URL": url}
    times = []
    for _ in range(7):
        start = time.perf_counter()
        done = subprocess.run([python, "-m", "agentsync", "-C", str(b), "pull"], env=env,
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
            scan(mirror)
            settle(url)
            start = time.perf_counter()
            push(mirror, PostgresRemote(url, big_project), "bench@example.com")
            record(f"push of {options.big:,} (in-process)", time.perf_counter() - start)
        probe = (
            "import json, resource, sys, time; sys.path.insert(0, sys.argv[3]);"
            "from pathlib import Path; from agentsync import config; from agentsync.store import Mirror;"
            "from agentsync.remotes.postgres import PostgresRemote; from agentsync.sync import pull;"
            "m = Mirror.open(config.load(Path(sys.argv[1]))); t = time.perf_counter();"
            "r = pull(m, PostgresRemote(sys.argv[2], config.load(Path(sys.argv[1])).project_name));"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1];"
            "print(json.dumps([time.perf_counter() - t, len(r.written), int(hwm)]))"
        )
        settle(url)
        out = subprocess.run([sys.executable, "-c", probe, str(work / "big-b"), url, str(ROOT)], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        seconds, written, rss = json.loads(out)
        assert written == options.big, written
        record(f"pull of {options.big:,} (process)", seconds)
        # VmHWM, not ru_maxrss: Linux carries the parent's resident size at fork into a child's
        # ru_maxrss across exec, so this process's own size would be reported.
        record(f"pull of {options.big:,}: peak memory (VmHWM)", rss / 1024, "MB", 250)
    if not options.no_http:
        bench_http(url, work, project + "http", options.count, python)
    server.cleanup()
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def bench_http(url: str, work: Path, project: str, count: int, python: str) -> None:
    """Push, initial pull and incremental pull over supabase-py through the gateway."""
    from agentsync import config as config_module
    from agentsync.remotes.supabase import SupabaseRemote
    from agentsync.scanner import scan
    from agentsync.store import Mirror
    from agentsync.sync import pull, push
    from tests.remotes.gateway import Gateway, authenticator_url, install_shim, project_keys

    secret = "bench-jwt-secret-with-at-least-32-characters"
    install_shim(url)
    gateway = Gateway(authenticator_url(url), secret).start()
    key = project_keys(secret)["service_role"]
    print(f"\nover HTTP: supabase-py through the gateway at {gateway.url}")
    for folder in ("http-a", "http-b"):
        shutil.rmtree(work / folder, ignore_errors=True)
    a = make_clone(work / "http-a", project, count)
    b = make_clone(work / "http-b", project, None)
    remote = SupabaseRemote(gateway.url, project, key)
    with Mirror.open(config_module.load(a)) as mirror:
        scan(mirror)
        settle(url)
        before, start = gateway.requests, time.perf_counter()
        assert len(push(mirror, remote, "bench@example.com").applied) == count
        record("HTTP push (in-process)", time.perf_counter() - start)
        record("HTTP push: requests", gateway.requests - before, "", 20)
    settle(url)
    with Mirror.open(config_module.load(b)) as mirror:
        before, start = gateway.requests, time.perf_counter()
        assert len(pull(mirror, remote).written) == count
        record("HTTP initial pull (in-process)", time.perf_counter() - start)
        record("HTTP initial pull: requests", gateway.requests - before, "", 20)
    remote.close()
    config_path = b / "agentsync.yaml"
    config_path.write_text(config_path.read_text().replace("remote: local", f"remote: {gateway.url}"))
    env = {**os.environ, "SUPABASE_SERVICE_ROLE_KEY": key}
    env.pop("AGENTSYNC_DATABASE_URL", None)
    times = []
    for _ in range(7):
        before, start = gateway.requests, time.perf_counter()
        done = subprocess.run([python, "-m", "agentsync", "-C", str(b), "pull"], env=env,
                              capture_output=True, text=True)  # fmt: skip
        times.append(time.perf_counter() - start)
        assert done.returncode == 0 and "pulled 0 change(s)" in done.stdout, done.stdout + done.stderr
    record("HTTP incremental pull, nothing new (process)", sorted(times)[len(times) // 2])
    record("HTTP incremental pull: requests", gateway.requests - before, "")
    gateway.stop()


if __name__ == "__main__":
    raise SystemExit(main())
