"""`kill -9` of push and pull at random moments: no torn file, no corrupted mirror, no lost edit,
and the next run finishes the job (each change applied once)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentsync.remotes import migrations
from agentsync.remotes.postgres import PostgresRemote
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)

COUNT = 1000
pytestmark = pytest.mark.slow


def cli(repo: GitRepo, url: str, *args: str) -> subprocess.Popen[str]:
    """The command as a process; its output goes to files (a full pipe would stall a process we wait on)."""
    env = {**os.environ, "AGENTSYNC_DATABASE_URL": url}
    out = open(repo.root.parent / f"{repo.root.name}-{args[0]}.out", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, "-m", "agentsync", "-C", str(repo.root), *args], env=env,
                            stdout=out, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def output(repo: GitRepo, command: str) -> str:
    return (repo.root.parent / f"{repo.root.name}-{command}.out").read_text(encoding="utf-8")


def kill_at_random(repo: GitRepo, url: str, command: str, rounds: int, rng: random.Random) -> list[int | None]:
    """Kill ``command`` at random moments once it is at work; return each run's exit code (None:
    killed while working). "At work": its first batch is in the outbox (push) or its first page of
    the feed is stored (pull); a fixed delay from the start would let a fast machine finish first."""
    table = "outbox" if command == "push" else "remote_rows"
    outcomes: list[int | None] = []
    for _ in range(rounds):
        process = cli(repo, url, command)
        deadline = time.monotonic() + 30
        while process.poll() is None and not _has_rows(repo, table) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.1))  # then cut it anywhere in what follows
        outcomes.append(process.poll())
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_intact(repo)
    return outcomes


def _has_rows(repo: GitRepo, table: str) -> bool:
    db = repo.root / ".agentsync" / "agentsync.db"
    if not db.exists():
        return False
    try:
        connection = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=0.05)
        try:
            return connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
        finally:
            connection.close()
    except sqlite3.Error:
        return False  # not created yet, or busy


def assert_intact(repo: GitRepo) -> None:
    """The mirror passes SQLite's integrity check; no artifact file is torn (each parses whole)."""
    db = repo.root / ".agentsync" / "agentsync.db"
    if db.exists():
        connection = sqlite3.connect(db)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            connection.close()
    if not (repo.root / "stories").exists():
        return
    for path in (repo.root / "stories").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n") and text.rstrip().endswith("."), path


def test_kill_9_during_push_and_pull(tmp_path: Path, database: str) -> None:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    rng = random.Random(20261122)
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: crash\n")
    for i in range(COUNT):
        a.write(
            f"stories/S-{i}.md", artifact(f"S-{i}", f"Story {i}", "draft", body=f"Body {i}, " + "words " * 200 + ".")
        )
    outcomes = kill_at_random(a, database, "push", 4, rng)
    print("push runs killed while working:", outcomes.count(None), "of", len(outcomes))
    assert None in outcomes  # at least one run was cut short
    assert cli(a, database, "push").wait() == 0
    remote = PostgresRemote(database, "crash")
    assert remote.head() == COUNT  # every artifact applied exactly once, however often the push was cut short
    assert all("version: 1\n" in a.read(f"stories/S-{i}.md").decode() for i in range(COUNT))

    outcomes = kill_at_random(b, database, "pull", 4, rng)
    print("pull runs killed while working:", outcomes.count(None), "of", len(outcomes))
    assert None in outcomes
    assert cli(b, database, "pull").wait() == 0, output(b, "pull")
    for i in range(COUNT):
        assert b.read(f"stories/S-{i}.md") == a.read(f"stories/S-{i}.md")
    # A's edits while its pushes are being killed: none lost, none applied twice.
    for i in range(0, COUNT, 3):
        a.write(f"stories/S-{i}.md", a.read(f"stories/S-{i}.md").decode().replace(f"Body {i},", f"Edited {i},"))
    kill_at_random(a, database, "push", 3, rng)
    assert cli(a, database, "push").wait() == 0
    assert remote.head() == COUNT + len(range(0, COUNT, 3))
    assert cli(b, database, "pull").wait() == 0
    assert all(f"Edited {i},".encode() in b.read(f"stories/S-{i}.md") for i in range(0, COUNT, 3))
    assert cli(b, database, "push").wait() == 0 and output(b, "push").strip() == "nothing to push"
    for clone in (a, b):  # temp files of killed writers were cleared by the runs that finished
        assert [p.name for p in (clone.root / "stories").iterdir() if not p.name.endswith(".md")] == []
    remote.close()
