#!/usr/bin/env python3
"""Benchmark the watcher (not part of the test run).

    python tests/bench/bench_watch.py [--count 10000] [--runs 15] [--poll 2] [--idle 30] [--keep DIR]

Starts an embedded PostgreSQL (pgserver), builds a COUNT-artifact corpus with
../shared/bench/gen_corpus.py in clone A, pushes it and pulls it into clone B, then runs
`agentsync watch` as whole processes (A with --push) and prints, over RUNS saves of a file
in A: save to mirrored in A; save in A to the file updated in B with change notifications
(and its stages, from the clones' logs: A's mirror to A's push report, that report to B's
file written), and again with notifications off and a head check every POLL seconds; then an
idle watcher's CPU use over IDLE seconds and its memory (resident now, and peak since start).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GEN_CORPUS = ROOT.parent / "shared" / "bench" / "gen_corpus.py"


def record(name: str, values: list[float] | float, unit: str = "s", target: float | None = None) -> None:
    if isinstance(values, list):
        shown = f"median {statistics.median(values):7.3f} {unit}, max {max(values):7.3f} {unit} ({len(values)} runs)"
        worst = max(values)
    else:
        shown, worst = f"{values:9.3f} {unit}", values
    verdict = "" if target is None else f"  (target <= {target:g}{unit}: {'ok' if worst <= target else 'MISSED'})"
    print(f"{name:44s} {shown}{verdict}", flush=True)


def write_config(folder: Path, url: str, *, notify: bool, poll: float, project: str = "bench") -> None:
    from agentsync import config as config_module

    text = config_module.render_default().replace("remote: local\n", f"remote: {url}\n")
    watch = f"watch: {{notify: {'true' if notify else 'false'}, poll_interval: {poll:g}}}\n"
    (folder / "agentsync.yaml").write_text(text + f"project: {project}\n" + watch, encoding="utf-8")


def state(folder: Path) -> dict[str, object]:
    try:
        loaded = json.loads((folder / ".agentsync" / "watcher.json").read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


@contextmanager
def watcher(folder: Path, *args: str, notify: bool) -> Iterator[subprocess.Popen[bytes]]:
    """`agentsync watch` in ``folder`` as a whole process, once it runs (and listens, if ``notify``)."""
    before = state(folder).get("started_at")
    child = subprocess.Popen([sys.executable, "-m", "agentsync", "watch", "--quiet", *args], cwd=folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        current = state(folder)
        running = current.get("pid") == child.pid and current.get("state") == "running"
        if running and (not notify or current.get("notifications")):
            break
        time.sleep(0.05)
    else:
        child.kill()
        raise SystemExit(f"the watcher in {folder} did not start (last record started {before})")
    try:
        yield child
    finally:
        child.terminate()
        child.wait(30)


def mirrored_hash(db: Path, path: str) -> str | None:
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5) as connection:
        row = connection.execute("SELECT hash FROM artifacts WHERE path = ?", (path,)).fetchone()
    return row[0] if row else None


def save_and_time(a: Path, b: Path, path: str, marker: str, *, timeout: float = 20.0) -> tuple[float, float]:
    """Save ``path`` in A with ``marker`` in its body; seconds until A's mirror has it, and until
    B's file does."""
    from agentsync.artifact import content_hash

    target = a / path
    text = target.read_text(encoding="utf-8")
    edited = text.rstrip("\n") + f"\n\n{marker}\n"
    expected = content_hash(edited.encode("utf-8"))
    started = time.perf_counter()
    target.write_text(edited, encoding="utf-8")
    mirrored = arrived = None
    while time.perf_counter() - started < timeout and (mirrored is None or arrived is None):
        now = time.perf_counter() - started
        if mirrored is None and mirrored_hash(a / ".agentsync" / "agentsync.db", path) == expected:
            mirrored = now
        if arrived is None:
            try:
                if marker in (b / path).read_text(encoding="utf-8"):
                    arrived = now
            except OSError:
                pass
        time.sleep(0.002)
    if mirrored is None or arrived is None:
        raise SystemExit(f"{path}: mirrored {mirrored}, arrived in B {arrived} after {timeout} s")
    return mirrored, arrived


def log_times(folder: Path, pattern: str) -> dict[str, float]:
    """The watcher's log lines in ``folder`` matching ``pattern`` (one group: a name), name -> the
    epoch time of its last such line (the log keeps milliseconds)."""
    found: dict[str, float] = {}
    line_shape = re.compile(r"(\S+ \S+) INFO agentsync\.watch pid=\d+ " + pattern)
    for line in (folder / ".agentsync" / "agentsync.log").read_text(encoding="utf-8").splitlines():
        match = line_shape.match(line)
        if match:
            found[match[2]] = datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return found


def record_stages(a: Path, b: Path, saved: list[str]) -> None:
    """Where the time of a save's way to B goes, from the clones' logs: A's mirror to A's push
    report (the debounce's end to the push's answer: the push wait and the push), and that report
    to B's file written (the notification and B's pull; B may write before A reports)."""
    mirrored = log_times(a, r"mirrored (\S+)$")
    pushed = log_times(a, r"pushed (\S+) v\d+$")
    written = log_times(b, r"updated (\S+) from the remote$")
    to_push, to_b = [], []
    for path in saved:
        key = next((k for k in pushed if k.endswith(":" + Path(path).stem)), None)
        if path in mirrored and key is not None and path in written:
            to_push.append(pushed[key] - mirrored[path])
            to_b.append(written[path] - pushed[key])
    if to_push:
        record("  stage: mirrored in A to A's push report", to_push)
        record("  stage: A's push report to file in B", to_b)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--poll", type=float, default=2.0, help="head-check interval for the run without notifications")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds the idle watcher is measured")
    parser.add_argument("--keep", type=Path)
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

    work = options.keep or Path(tempfile.mkdtemp(prefix="agentsync-bench-watch-"))
    work.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    url = server.get_uri().replace("/postgres?", "/bench?")
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        admin.execute("CREATE DATABASE bench")
    with psycopg.connect(url, autocommit=True) as connection:
        migrations.migrate(connection)
    a, b = work / "a", work / "b"
    for folder in (a, b):
        if folder.exists():
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    subprocess.run([sys.executable, str(GEN_CORPUS), str(a), "--count", str(options.count)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    b.mkdir()
    for folder in (a, b):
        write_config(folder, url, notify=True, poll=5)
    remote = PostgresRemote(url, "bench")
    with Mirror.open(config_module.load(a)) as mirror:
        scan(mirror)
        push(mirror, remote, "bench@example.com")
    with Mirror.open(config_module.load(b)) as mirror:
        pull(mirror, remote)
    remote.close()
    paths = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.md") if ".agentsync" not in p.parts)
    print(f"corpus: {len(paths)} artifacts in {a}; remote {url.split('?')[0]}", flush=True)

    with watcher(a, "--push", notify=True), watcher(b, notify=True):
        time.sleep(1)
        mirrored, arrived = [], []
        saved = [paths[run * 37 % len(paths)] for run in range(options.runs)]
        for run, path in enumerate(saved):
            to_mirror, to_b = save_and_time(a, b, path, f"Saved in run {run} (notify).")
            mirrored.append(to_mirror)
            arrived.append(to_b)
            time.sleep(1.0)  # let the push's version line settle in both clones
    record("save to mirrored (A)", mirrored, target=0.5)
    record("save in A to file in B, notifications", arrived, target=0.5)
    record_stages(a, b, saved)

    write_config(b, url, notify=False, poll=options.poll)
    with watcher(a, "--push", notify=True), watcher(b, notify=False):
        time.sleep(1)
        polled = []
        for run in range(max(options.runs // 2, 3)):
            polled.append(save_and_time(a, b, paths[(run * 53 + 11) % len(paths)], f"Saved in run {run} (poll).")[1])
            time.sleep(0.3 + run % 3 * 0.6)  # saves land at different moments of the head-check cycle
    record(f"save in A to file in B, head check every {options.poll:g} s", polled, target=options.poll + 1)

    with watcher(a, "--push", notify=True) as idle:
        time.sleep(5)  # past the start-up scan
        before = process_cpu_seconds(idle.pid)
        time.sleep(options.idle)
        used = process_cpu_seconds(idle.pid) - before
        resident, peak = memory_mb(idle.pid)
    record(f"idle watcher over {len(paths)} artifacts, CPU", used / options.idle * 100, "%", target=2.0)
    record("idle watcher, resident memory", resident, "MB", target=150)
    record("idle watcher, peak memory since start", peak, "MB", target=150)
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
