#!/usr/bin/env python3
"""Every figure of the speed table, each as a ratio to its reference measured in the same run
(not part of the test run).

    python tests/bench/bench_speed.py [--count 10000] [--big 100000] [--runs 3] [--keep DIR]
                                      [--only mirror,pull,inprocess,hooks,watch,big] [--editable]

Builds a COUNT-artifact corpus with ../shared/bench/gen_corpus.py --git and a packed repository
from it with two commits: C0 (agentsync.yaml only) and C1 (adds the artifacts). Starts an embedded
PostgreSQL (pgserver) and prints, each with its reference, ratio, target and ok/MISSED:

- initial pull into a clone at C0 (`agentsync pull`, a whole process) against `git checkout C1`
  of the same files in the same clone, on tmpfs (/dev/shm) and on disk, runs alternating, beside
  the floors of a pull (FLOOR_SCRIPT: plain writes; with a mirror's parse and full-text index; and
  with atomic writes too) measured in the same runs;
- the in-process initial pull of bench_remote.py against plain writes of the same files;
- `check` (all artifacts, nothing changed), `status` and push of COUNT new artifacts against a
  cold mirror; a no-op `mirror` beyond the start-up (`--version`) against a scan of the files' stats;
  a cold mirror against the obvious approach (python-frontmatter + sqlite-utils upserts);
- `git commit` of one artifact with the pre-commit check and post-commit mirror hooks against
  the same commit without hooks;
- a save in clone A reaching clone B's file, two watchers with notifications;
- with --big N: push and pull of N against the same of COUNT in this run, and the pull's peak memory.

Each timed run starts with the disk settled (os.sync(), a short sleep; and a CHECKPOINT when the
server wrote). Whole processes run a regular (non-editable) install of this checkout, as
bench_hooks.regular_install builds it, with bytecode compiled and used: PYTHONDONTWRITEBYTECODE is
removed from this script's environment (this machine sets it), so no timed process compiles
its modules from source. The watcher section runs this checkout's own install (bench_watch).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GEN_CORPUS = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
sys.path[:0] = [str(ROOT), str(HERE)]

import bench_hooks  # noqa: E402  (the bench folder is on the path only now)
import bench_mirror  # noqa: E402
import bench_remote  # noqa: E402
import bench_watch  # noqa: E402

ARTIFACT_FOLDERS = ("plans", "stories", "runbooks")  # what gen_corpus.py writes


@dataclass
class Figure:
    """One line of the table: a value, the reference it is compared with, and its target."""

    name: str
    value: float
    reference: str
    reference_value: float | None  # None: no reference (the line shows the value alone)
    target: float  # on the ratio (value / reference), or on the value itself when absolute
    absolute: bool = False  # the target is in seconds (or MB), not a ratio
    floor: bool = False  # the target is a minimum (a speed-up), not a maximum
    unit: str = "s"

    @property
    def ratio(self) -> float:
        if self.reference_value is None:
            return self.value
        return self.value / self.reference_value if self.reference_value else float("inf")

    @property
    def met(self) -> bool:
        measured = self.value if self.absolute else self.ratio
        return measured >= self.target if self.floor else measured <= self.target

    def line(self) -> str:
        sign = ">=" if self.floor else "<="
        goal = f"{self.target:g} {self.unit}" if self.absolute else f"{self.target:g}x"
        if self.reference_value is None:
            against = f"{'—':38s} {'':9s} | {'':8s}"
        else:
            against = f"{self.reference:38s} {self.reference_value:9.3f} | {self.ratio:7.2f}x"
        verdict = "ok" if self.met else "MISSED"
        return f"{self.name:52s} {self.value:9.3f} {self.unit:2s} | {against} | target {sign} {goal}: {verdict}"


figures: list[Figure] = []


def report(figure: Figure) -> None:
    figures.append(figure)
    print(figure.line(), flush=True)


def note(name: str, value: float, unit: str = "s") -> None:
    print(f"  {name:50s} {value:9.3f} {unit}", flush=True)


def settle(url: str | None = None) -> None:
    """Let the disk settle: no writeback of the previous run lands in the next one's writes."""
    if url is not None:
        bench_remote.settle(url)  # CHECKPOINT, sync, one second
    else:
        os.sync()
        time.sleep(0.3)


def median_settled(runs: int, action: Callable[[], object], before: Callable[[], object] | None = None) -> float:
    def prepare() -> None:
        if before is not None:
            before()
        settle()

    return bench_mirror.median_of(runs, action, prepare)


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env or bench_hooks.environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


def timed(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    run(args, cwd, env)
    return time.perf_counter() - start


def config_text(project: str) -> str:
    from agentsync import config as config_module

    return config_module.render_default() + f"project: {project}\n"


def history(corpus: Path, target: Path, project: str) -> Path:
    """A packed repository: C0 holds agentsync.yaml only, C1 adds the corpus's artifacts (tags c0, c1)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], target)
    for key, value in (("gc.auto", "0"), ("maintenance.auto", "false")):  # no background gc racing the one below
        run(["git", "config", key, value], target)
    (target / "agentsync.yaml").write_text(config_text(project), encoding="utf-8")
    run(["git", "add", "agentsync.yaml"], target)
    run(["git", "commit", "-q", "-m", "C0: agentsync config"], target)
    run(["git", "tag", "c0"], target)
    for folder in ARTIFACT_FOLDERS:
        if (corpus / folder).is_dir():
            shutil.copytree(corpus / folder, target / folder)
    run(["git", "add", *ARTIFACT_FOLDERS], target)
    run(["git", "commit", "-q", "-m", "C1: the artifacts"], target)
    run(["git", "tag", "c1"], target)
    run(["git", "gc", "-q"], target)
    return target


def clone(source: Path, target: Path, at: str = "main") -> Path:
    shutil.rmtree(target, ignore_errors=True)
    run(["git", "clone", "-q", "--no-hardlinks", str(source), str(target)])
    if at != "main":
        run(["git", "checkout", "-q", at], target)
    return target


def artifact_files(folder: Path) -> list[Path]:
    return sorted(p for name in ARTIFACT_FOLDERS for p in (folder / name).rglob("*.md"))


def drop_artifacts(folder: Path) -> None:
    """Back to C0's work tree with no mirror: the pulled files and the clone's state go."""
    for name in (*ARTIFACT_FOLDERS, ".agentsync"):
        shutil.rmtree(folder / name, ignore_errors=True)


@dataclass
class Setup:
    work: Path
    python: str  # the regular install (or this interpreter with --editable)
    url: str
    project: str
    corpus: Path
    repo: Path  # the packed two-commit repository on disk
    runs: int
    count: int
    skip_naive: bool = False

    def env(self) -> dict[str, str]:
        return {**bench_hooks.environment(), "AGENTSYNC_DATABASE_URL": self.url}

    def agentsync(self, folder: Path, *args: str) -> list[str]:
        return [self.python, "-m", "agentsync", "-C", str(folder), *args]


def bench_mirror_figures(s: Setup) -> None:
    """Cold mirror, push of COUNT new, check, status, no-op mirror, and the obvious approach."""
    from agentsync import config as config_module
    from agentsync.scanner import scan
    from agentsync.store import Mirror

    a = clone(s.repo, s.work / "mirror-a")
    (a / "agentsync.yaml").write_text(config_text(s.project + "new"), encoding="utf-8")  # nothing pushed there yet
    env = s.env()
    cold = median_settled(s.runs, lambda: run(s.agentsync(a, "mirror", "-q"), env=env), lambda: drop_artifacts_state(a))
    floor_before = push_floor(s, a, "before")
    settle(s.url)
    push = timed(s.agentsync(a, "push"), env=env)
    report(Figure(f"push of {s.count:,} new (process)", push, "cold mirror (process)", cold, 0.8))
    push_floor_seconds = min(floor_before, push_floor(s, a, "after"))
    note("floor of a push (mirror read, COPY into the remote's tables, one commit)", push_floor_seconds)
    note("  push / floor", push / push_floor_seconds, "x")
    note("  floor / cold mirror", push_floor_seconds / cold, "x")
    scanned = push_floor(s, a, "scanned", "scanned")
    note("  with the outbound scan of each text before it is sent", scanned)
    note("    push / that floor", push / scanned, "x")
    note("    that floor / cold mirror", scanned / cold, "x")
    run(s.agentsync(a, "status"), env=env)  # once: HEAD's git-field values, as the first hook would
    check = median_settled(s.runs, lambda: run(s.agentsync(a, "check"), env=env))
    report(Figure(f"check of all {s.count:,}, nothing changed (process)", check, "cold mirror (process)", cold, 0.3))
    status = median_settled(s.runs, lambda: run(s.agentsync(a, "status"), env=env))
    report(Figure("status (process)", status, "cold mirror (process)", cold, 0.1))
    start_up = median_settled(s.runs, lambda: run(s.agentsync(a, "--version"), env=env))
    no_op = median_settled(s.runs, lambda: run(s.agentsync(a, "mirror", "-q"), env=env))
    files = artifact_files(a)
    stats = median_settled(s.runs, lambda: [os.stat(p) for p in files])
    report(Figure("no-op mirror beyond start-up (--version)", no_op - start_up, f"a scan of {len(files):,} stats",
                  stats, 0.05, absolute=True))  # fmt: skip
    note("no-op mirror (process)", no_op)
    note("--version (process)", start_up)
    # status's floor: the process start-up and one stat of every file (the work tree must be looked at)
    note("floor of status: --version + the scan of stats", start_up + stats)
    note("  as a share of the cold mirror", (start_up + stats) / cold, "x")
    asked = median_settled(s.runs, lambda: run(s.agentsync(a, "status", "--remote"), env=env))
    note("status --remote (asks the remote too; process)", asked)

    config = config_module.load(a)

    def cold_in_process() -> None:
        with Mirror.open(config) as mirror:
            assert scan(mirror).ok

    if s.skip_naive:
        return
    cold_here = median_settled(s.runs, cold_in_process, lambda: shutil.rmtree(a / ".agentsync", ignore_errors=True))
    bench_mirror.warm(files)
    settle()
    obvious = bench_mirror.obvious_approach(a, s.work / "naive.db")
    report(Figure("obvious approach / cold mirror (in-process)", obvious, "cold mirror (in-process)", cold_here,
                  20, floor=True))  # fmt: skip
    with Mirror.open(config) as mirror:  # the mirror the floors copy: built once more, as the runs above built it
        assert scan(mirror).ok
    mirror_db, floor_db = a / ".agentsync" / "agentsync.db", s.work / "floor-mirror.db"
    floors = [bench_mirror.sqlite_floor(mirror_db, floor_db) for _ in range(s.runs)]
    minimal = [bench_mirror.sqlite_floor(mirror_db, floor_db, minimal=True) for _ in range(s.runs)]
    floor, minimal_floor = statistics.median(floors), statistics.median(minimal)
    note("floor of a cold mirror: its SQLite work alone (rows in memory)", floor)
    note("  cold mirror / floor", cold_here / floor, "x")
    note("  obvious approach / floor (the most a cold mirror can reach)", obvious / floor, "x")
    note("  with the obvious approach's table, no secondary index", minimal_floor)
    note("    obvious approach / that floor", obvious / minimal_floor, "x")


def drop_artifacts_state(folder: Path) -> None:
    shutil.rmtree(folder / ".agentsync", ignore_errors=True)


# The floor of a pull, as a whole process: only the unavoidable work (the rows' path, key and content
# from PostgreSQL a page at a time, the files written, one SQLite table filled with executemany, one commit).
# With "mirror" among its further arguments, also what a mirror cannot do without: each text's frontmatter
# parsed into its fields (agentsync's own fast parser, faster than PyYAML's C loader on frontmatter)
# and a full-text index of the texts, in the same commit. With "atomic", each file is written as the
# pull must, so that no reader or crash ever finds half of one: to a temp file beside it, the temp
# files flushed to disk once per 1,000 (os.sync), then renamed into place.
FLOOR_SCRIPT = """
import hashlib, json, os, sqlite3, sys
import psycopg
url, project, root = sys.argv[1:4]
mirror, atomic = "mirror" in sys.argv[4:], "atomic" in sys.argv[4:]
if mirror:
    from agentsync.yamlload import load_frontmatter
connection, rows, after = psycopg.connect(url), [], 0
while True:
    page = connection.execute("SELECT path, artifact_type || ':' || artifact_id, content, seq "
                              "FROM agentsync.pull_rows(%s, %s, 5000)", (project, after)).fetchall()
    if not page:
        break
    rows += page
    after = page[-1][3]
db = sqlite3.connect(os.path.join(root, "floor.db"))
db.execute("CREATE TABLE a(path TEXT PRIMARY KEY, key TEXT, hash TEXT, content TEXT, fields TEXT)")
made, out, staged = set(), [], []
for path, key, content, _ in rows:
    data, target = content.encode(), os.path.join(root, path)
    if os.path.dirname(target) not in made:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        made.add(os.path.dirname(target))
    written = target + ".tmp" if atomic else target
    with open(written, "wb") as file:
        file.write(data)
    if atomic:
        staged.append((written, target))
        if len(staged) == 1000:
            os.sync()
            for tmp, final in staged:
                os.replace(tmp, final)
            staged.clear()
    fields = None
    if mirror and content.startswith("---\\n"):
        end = content.find("\\n---", 3)
        fields = json.dumps(load_frontmatter(content[4:end]))
    out.append((path, key, hashlib.sha256(data).hexdigest(), content, fields))
if staged:
    os.sync()
    for tmp, final in staged:
        os.replace(tmp, final)
db.executemany("INSERT INTO a VALUES (?,?,?,?,?)", out)
if mirror:
    db.execute("CREATE VIRTUAL TABLE search USING fts5(content)")
    db.execute("INSERT INTO search(rowid, content) SELECT rowid, content FROM a")
db.commit()
"""


# The floor of a push, as a whole process: the mirror's rows read, their texts sent to PostgreSQL with
# COPY straight into the remote's two tables (no version check, no lock, no answer per change), one commit.
# With "scanned" among its further arguments, each text also goes through the outbound scan before it is
# sent, as every push must (agentsync's own scan, its substring hints first), while the server takes the rows.
PUSH_FLOOR_SCRIPT = """
import sqlite3, sys
import psycopg
url, project, mirror = sys.argv[1:4]
rows = sqlite3.connect(mirror).execute("SELECT key, path, content, hash FROM artifacts").fetchall()
scanned, kept = "scanned" in sys.argv[4:], []
if scanned:
    from agentsync.config import ScanSettings
    from agentsync.outbound import find
    settings = ScanSettings()
with psycopg.connect(url) as connection:
    made = connection.execute("INSERT INTO agentsync.projects(name) VALUES (%s) RETURNING id", (project,))
    project_id = made.fetchone()[0]
    history = "project_id, artifact_type, artifact_id, version, path, content, hash, deleted, author, seq"
    with connection.cursor().copy(f"COPY agentsync.history ({history}) FROM STDIN") as copy:
        for key, path, content, hash in rows:  # each text scanned as the rows before it go out
            if scanned and find(path, content, settings):
                continue
            kept.append((key, path, content, hash))
            kind, _, ident = key.partition(":")
            copy.write_row((project_id, kind, ident, 1, path, content, hash, False, "floor", len(kept)))
    rows = kept
    current = "project_id, artifact_type, artifact_id, path, version, hash, deleted, author, seq"
    with connection.cursor().copy(f"COPY agentsync.artifacts ({current}) FROM STDIN") as copy:
        for seq, (key, path, content, hash) in enumerate(rows, 1):
            kind, _, ident = key.partition(":")
            copy.write_row((project_id, kind, ident, path, 1, hash, False, "floor", seq))
    connection.execute("UPDATE agentsync.projects SET seq = %s WHERE id = %s", (len(rows), project_id))
"""


def push_floor(s: Setup, folder: Path, label: str, *needs: str) -> float:
    """Seconds of PUSH_FLOOR_SCRIPT (a process, this interpreter) sending ``folder``'s mirror to a new
    project (``"scanned"``: each text through the outbound scan first)."""
    settle(s.url)
    mirror = folder / ".agentsync" / "agentsync.db"
    return timed([sys.executable, "-c", PUSH_FLOOR_SCRIPT, s.url, f"{s.project}floor{label}", str(mirror), *needs])


def pull_floor(s: Setup, base: Path, *needs: str) -> float:
    """Seconds of FLOOR_SCRIPT (a process, this interpreter) writing the artifacts into an empty folder
    (``"mirror"``: and parsing and indexing them; ``"atomic"``: each through a temp file and a rename)."""
    folder = base / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settle(s.url)
    seconds = timed([sys.executable, "-c", FLOOR_SCRIPT, s.url, s.project, str(folder), *needs])
    shutil.rmtree(folder, ignore_errors=True)
    return seconds


def bench_pull_vs_checkout(s: Setup, base: Path, where: str, target: float) -> None:
    """`agentsync pull` of the artifacts into a clone at C0 against `git checkout C1` of them there."""
    repo = s.repo if base == s.work else clone(s.repo, base / "repo")
    folder = clone(repo, base / "pull-clone", "c0")
    checkouts, pulls, floors, mirror_floors, atomic_floors = [], [], [], [], []
    env = s.env()
    for _ in range(s.runs):  # alternating, so a change in the machine's load hits both alike
        floors.append(pull_floor(s, base))
        mirror_floors.append(pull_floor(s, base, "mirror"))
        atomic_floors.append(pull_floor(s, base, "mirror", "atomic"))
        settle()
        checkouts.append(timed(["git", "checkout", "-q", "c1"], folder))
        run(["git", "checkout", "-q", "c0"], folder)
        drop_artifacts(folder)
        settle(s.url)
        pulls.append(timed(s.agentsync(folder, "pull"), env=env))
        pulled = len(artifact_files(folder))
        assert pulled == s.count, f"pulled {pulled} files, expected {s.count}"
        # the pull staged what it wrote (Git did not track it at C0): without this reset the next
        # `git checkout c1` finds the index already at C1 and writes nothing
        run(["git", "reset", "-q", "--hard", "c0"], folder)
        drop_artifacts(folder)
    report(Figure(f"initial pull of {s.count:,}, {where} (process)", statistics.median(pulls),
                  f"git checkout of the same files, {where}", statistics.median(checkouts), target))  # fmt: skip
    pull, floor, checkout = statistics.median(pulls), statistics.median(floors), statistics.median(checkouts)
    note(f"floor of a pull (fetch, write, one table), {where}", floor)
    note("  pull / floor", pull / floor, "x")
    note("  floor / git checkout", floor / checkout, "x")
    mirror_floor = statistics.median(mirror_floors)
    note(f"floor of a pull with a mirror's needs (+ parse, full-text index), {where}", mirror_floor)
    note("  pull / that floor", pull / mirror_floor, "x")
    note("  that floor / git checkout", mirror_floor / checkout, "x")
    atomic_floor = statistics.median(atomic_floors)
    note(f"  and with atomic writes (temp file, a flush per 1,000, rename), {where}", atomic_floor)
    note("    pull / that floor", pull / atomic_floor, "x")
    note("    that floor / git checkout", atomic_floor / checkout, "x")
    if base != s.work:
        shutil.rmtree(base, ignore_errors=True)


def bench_pull_in_process(s: Setup) -> None:
    """bench_remote.py's initial pull, in-process, against plain writes of the same files."""
    from agentsync import config as config_module
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.store import Mirror
    from agentsync.sync import pull

    b = bench_remote.make_clone(s.work / "inprocess-b", s.project, None)
    drop_artifacts(b)
    remote = PostgresRemote(s.url, s.project)
    settle(s.url)
    floor_before = bench_remote.plain_copy(s.corpus, s.work / "floor-before")
    settle(s.url)
    with Mirror.open(config_module.load(b)) as mirror:
        start, cpu = time.perf_counter(), os.times()
        pulled = pull(mirror, remote)
        seconds, spent = time.perf_counter() - start, os.times()
    remote.close()
    assert len(pulled.written) == s.count, len(pulled.written)
    floor_after = bench_remote.plain_copy(b, s.work / "floor-after")
    floor = min(floor_before, floor_after)
    report(Figure("initial pull (in-process)", seconds, "plain writes of the same files", floor, 2.0, absolute=True))
    note("initial pull: CPU user", spent.user - cpu.user)
    note("initial pull: CPU kernel", spent.system - cpu.system)
    note("plain writes, before / after", floor_before)
    note("", floor_after)
    for name in ("inprocess-b", "floor-before", "floor-after"):
        shutil.rmtree(s.work / name, ignore_errors=True)


def bench_commit_hooks(s: Setup) -> None:
    """`git commit` of one artifact with the pre-commit check and post-commit mirror hooks installed."""
    from agentsync import hooks

    plain, hooked = clone(s.repo, s.work / "commit-plain"), clone(s.repo, s.work / "commit-hooked")
    hooks.install(hooked, ("pre-commit", "post-commit"), python=s.python)
    run(s.agentsync(hooked, "status"))  # the mirror and HEAD's git-field values, as the first hook builds them
    runs = max(s.runs * 3, 7)
    edited = artifact_files(hooked)[: runs + 1]
    bench_hooks.commit_times(hooked, edited[:1], 1, "warm")  # the first commit after the build
    without, with_hooks = [], []
    for run_number in range(runs):  # alternating, one commit each
        settle()
        without += bench_hooks.commit_times(
            plain, [plain / edited[run_number].relative_to(hooked)], 1, f"p{run_number}"
        )
        settle()
        with_hooks += bench_hooks.commit_times(hooked, [edited[run_number]], 1, f"h{run_number}")
    added = statistics.median(with_hooks) - statistics.median(without)
    report(Figure(f"pre-commit + post-commit hooks add, {s.count:,} repository", added,
                  "git commit without hooks", statistics.median(without), 0.150, absolute=True))  # fmt: skip
    # The post-commit hook finishes in the background: how long until its job is done, too.
    finished = []
    for run_number in range(runs):
        settle()
        finished.append(commit_until_mirrored(hooked, edited[run_number], f"j{run_number}"))
    note("  commit until its post-commit job is done (with hooks)", statistics.median(finished))
    # The floor of the two hooks as Python processes: pre-commit's imports (what the check of one staged
    # file needs, nothing run) and a process that starts and imports hookrun (post-commit then forks and
    # returns; its job goes on in the background).
    check_imports = "import agentsync.hookrun, agentsync.config, agentsync.check, agentsync.gitcli, agentsync.store"
    floor = median_settled(runs, lambda: [run([s.python, "-c", code], hooked)
                                          for code in (check_imports, "import agentsync.hookrun")])  # fmt: skip
    note("floor: pre-commit's imports + a process that starts (post-commit detaches)", floor)


def commit_until_mirrored(repo: Path, path: Path, label: str) -> float:
    """Seconds from `git commit` of an edit of ``path`` until the post-commit job has committed it."""
    from agentsync import hookjob

    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n{label} edit.\n")
    run(["git", "add", str(path.relative_to(repo))], repo)
    start = time.perf_counter()
    run(["git", "commit", "-q", "-m", label], repo, bench_hooks.environment())
    hookjob.wait_for_job(repo / ".agentsync")
    return time.perf_counter() - start


def bench_save_to_other_clone(s: Setup) -> None:
    """A save in clone A reaching clone B's file, `agentsync watch` in both (A pushing), notifications on."""
    from agentsync import config as config_module
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.store import Mirror
    from agentsync.sync import pull, push

    a, b = s.work / "watch-a", s.work / "watch-b"
    for folder in (a, b):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    for name in ARTIFACT_FOLDERS:
        shutil.copytree(s.corpus / name, a / name)
    project = f"{s.project}watch"  # this run's own: a kept work folder's server holds the last run's saves
    for folder in (a, b):
        bench_watch.write_config(folder, s.url, notify=True, poll=5, project=project)
    remote = PostgresRemote(s.url, project)
    with Mirror.open(config_module.load(a)) as mirror:
        push(mirror, remote, "bench@example.com")
    with Mirror.open(config_module.load(b)) as mirror:
        pull(mirror, remote)
    remote.close()
    paths = [p.relative_to(a).as_posix() for p in artifact_files(a)]
    arrived = []
    with bench_watch.watcher(a, "--push", notify=True), bench_watch.watcher(b, notify=True):
        time.sleep(1)
        for number in range(max(s.runs * 3, 7)):
            arrived.append(
                bench_watch.save_and_time(a, b, paths[number * 37 % len(paths)], f"Saved in run {number}.")[1]
            )
            time.sleep(1.0)  # the push's version line settles in both clones
    report(Figure("save in A to file in B, notifications (median)", statistics.median(arrived), "its worst run",
                  max(arrived), 0.5, absolute=True))  # fmt: skip


def push_and_pull(s: Setup, count: int, label: str) -> tuple[float, float, float]:
    """Seconds to push COUNT new artifacts (in-process) and to pull them into an empty clone (a
    process of its own), and that pull's peak memory in MB (VmHWM)."""
    from agentsync import config as config_module
    from agentsync.remotes.postgres import PostgresRemote
    from agentsync.scanner import scan
    from agentsync.store import Mirror
    from agentsync.sync import push

    project = f"{s.project}{label}"
    a = bench_remote.make_clone(s.work / f"{label}-a", project, count)
    b = bench_remote.make_clone(s.work / f"{label}-b", project, None)
    with Mirror.open(config_module.load(a)) as mirror:
        scan(mirror)
        settle(s.url)
        start = time.perf_counter()
        push(mirror, PostgresRemote(s.url, project), "bench@example.com")
        pushed = time.perf_counter() - start
    probe = (
        "import json, sys, time; sys.path.insert(0, sys.argv[3]);"
        "from pathlib import Path; from agentsync import config; from agentsync.store import Mirror;"
        "from agentsync.remotes.postgres import PostgresRemote; from agentsync.sync import pull;"
        "c = config.load(Path(sys.argv[1])); m = Mirror.open(c); t = time.perf_counter();"
        "r = pull(m, PostgresRemote(sys.argv[2], c.project_name));"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1];"
        "print(json.dumps([time.perf_counter() - t, len(r.written), int(hwm)]))"
    )
    settle(s.url)
    seconds, written, peak = json.loads(run([sys.executable, "-c", probe, str(b), s.url, str(ROOT)]))
    assert written == count, written
    for folder in (a, b):
        shutil.rmtree(folder, ignore_errors=True)
    return pushed, seconds, peak / 1024


def bench_big(s: Setup, big: int) -> None:
    small_push, small_pull, _ = push_and_pull(s, s.count, "small")
    big_push, big_pull, peak = push_and_pull(s, big, "big")
    factor = big / s.count
    report(Figure(f"push of {big:,} (in-process)", big_push, f"push of {s.count:,}, this run", small_push,
                  1.1 * factor))  # fmt: skip
    report(Figure(f"pull of {big:,} (process)", big_pull, f"pull of {s.count:,}, this run", small_pull, 1.1 * factor))
    report(Figure(f"pull of {big:,}: peak memory", peak, "", None, 250, absolute=True, unit="MB"))


SECTIONS = ("mirror", "pull", "inprocess", "hooks", "watch", "big")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=0, help="also push and pull this many (100000 in the issue)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (the median is shown)")
    parser.add_argument("--keep", type=Path, help="work here and keep it (the corpus is reused)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections, comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--editable", action="store_true", help="time this checkout's editable install instead")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow obvious-approach baseline")
    options = parser.parse_args()
    wanted = set(options.only.split(","))
    if unknown := wanted - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")
    if not GEN_CORPUS.exists():
        print(f"missing {GEN_CORPUS}", file=sys.stderr)
        return 1
    # This machine sets PYTHONDONTWRITEBYTECODE=1: every timed process would compile its modules
    # from source each start. Users' installs have bytecode, so the children here do too.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import pgserver  # type: ignore[import-untyped]
    import psycopg

    from agentsync.remotes import migrations

    work = (options.keep or Path(tempfile.mkdtemp(prefix="agentsync-bench-speed-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    if not corpus.exists():
        run([sys.executable, str(GEN_CORPUS), str(corpus), "--count", str(options.count), "--git"])
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    url = server.get_uri()
    with psycopg.connect(url, autocommit=True) as connection:
        migrations.migrate(connection)
    python = sys.executable if options.editable else bench_hooks.regular_install(work)
    # `python -m agentsync` puts the current folder first on sys.path: started from a checkout, every
    # child would import the checkout's package instead of the install being timed.
    os.chdir(work)
    project = f"speed{int(time.time())}"
    s = Setup(
        work,
        python,
        url,
        project,
        corpus,
        history(corpus, work / "repo", project),
        options.runs,
        options.count,
        options.skip_naive,
    )
    load = os.getloadavg()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"processes run {python} ({'editable' if options.editable else 'a regular install'}); work in {work}")
    print(f"{options.count:,} artifacts; median of {options.runs} runs unless noted\n")

    if wanted & {"pull", "inprocess"}:
        pusher = clone(s.repo, work / "pusher")
        settle(url)
        run(s.agentsync(pusher, "push"), env=s.env())  # the remote holds the artifacts the pulls fetch
    if "pull" in wanted:
        shm = Path("/dev/shm")
        if shm.is_dir():
            bench_pull_vs_checkout(s, Path(tempfile.mkdtemp(prefix="agentsync-bench-speed-", dir=shm)), "tmpfs", 3.0)
        bench_pull_vs_checkout(s, work, "disk", 1.5)
    if "inprocess" in wanted:
        bench_pull_in_process(s)
    if "mirror" in wanted:
        bench_mirror_figures(s)
    if "hooks" in wanted:
        bench_commit_hooks(s)
    if "watch" in wanted:
        bench_save_to_other_clone(s)
    if "big" in wanted and options.big:
        bench_big(s, options.big)
    server.cleanup()
    load = os.getloadavg()
    missed = [f.name for f in figures if not f.met]
    print(f"\n{len(figures) - len(missed)} of {len(figures)} targets met; load now {load[0]:.1f} {load[1]:.1f}")
    for name in missed:
        print(f"  MISSED: {name}")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
