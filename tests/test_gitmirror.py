"""Hook-driven mirroring with real git: after a commit, merge, checkout or rebase, the mirror
equals a full rescan, and only the paths Git changed were read."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from agentsync import hookjob, hooks
from agentsync.config import Config
from agentsync.gitfields import refresh_heads
from agentsync.gitmirror import mirror_range, repair_mark
from agentsync.gitrepo import GitRepo as Git
from agentsync.scanner import scan
from agentsync.store import Mirror
from agentsync.store.meta import MetaKey
from tests.conftest import GitRepo, artifact, git_environment
from tests.test_cli import run


def dump(db_path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("INSERT INTO artifacts_fts(artifacts_fts) VALUES ('integrity-check')")
        artifacts = connection.execute(
            "SELECT id, path, type, title, status, version, layout, hash, disk_hash, fields, content "
            "FROM artifacts ORDER BY id"
        ).fetchall()
        heads = connection.execute("SELECT path, blob, id, fields FROM git_heads ORDER BY path").fetchall()
        return artifacts, heads
    finally:
        connection.close()


def assert_mirror_equals_full_rescan(repo: GitRepo) -> None:
    config = repo.config()
    assert hookjob.wait_for_job(config.state_dir)  # read with sqlite3 directly: wait as Mirror.open does
    hooked = dump(config.db_path)
    aside = repo.root / ".agentsync-hooked"
    shutil.move(config.state_dir, aside)
    try:
        with Mirror.open(config) as mirror:
            report = scan(mirror)
            refresh_heads(mirror, Git(repo.root))
        assert report.ok, report.problems
        fresh = dump(config.db_path)
    finally:
        shutil.rmtree(config.state_dir, ignore_errors=True)
        shutil.move(aside, config.state_dir)
    assert hooked[0] == fresh[0]
    assert hooked[1] == fresh[1]


@pytest.fixture
def hooked(git_repo: GitRepo) -> GitRepo:
    """A repository with artifacts on main, the hooks installed and the mirror built."""
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    git_repo.write("stories/S-2.md", artifact("S-2", "Two", "draft"))
    git_repo.write("plans/P-1.md", artifact("P-1", "Plan", "active"))
    git_repo.write(".agent/cache/runbooks/OPS/OPS-7.md", "# OPS-7: Restart\n\nStatus: ready\n\nSteps.\n")
    git_repo.commit_all("artifacts")
    hooks.install(git_repo.root)
    with git_repo.mirror() as mirror:
        scan(mirror)
    return git_repo


def ids(repo: GitRepo) -> dict[str, str]:
    with repo.mirror() as mirror:
        return {row.id: row.path for row in mirror.list_artifacts()}


def test_commit_mirrors_what_it_changed(hooked: GitRepo) -> None:
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    hooked.remove("stories/S-2.md")
    hooked.write("stories/S-3.md", artifact("S-3", "Three", "draft"))
    hooked.commit_all("edit, delete, add")
    assert set(ids(hooked)) == {"S-1", "S-3", "P-1", "OPS-7"}
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "active"
        assert mirror.get_meta(MetaKey.GIT_HEAD) == hooked.head()
    assert_mirror_equals_full_rescan(hooked)


def test_commit_reads_only_the_paths_git_changed(hooked: GitRepo) -> None:
    """A file the commit did not touch is not looked at, even if it is new on disk."""
    hooked.write("plans/P-9.md", artifact("P-9", "Not committed"))
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    hooked.git("add", "stories/S-1.md")
    hooked.git("commit", "-q", "-m", "one file")
    assert "P-9" not in ids(hooked)
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "active"


def test_merge_with_renames_and_deletes(hooked: GitRepo) -> None:
    hooked.git("checkout", "-q", "-b", "feature")
    hooked.git("mv", "stories/S-1.md", "stories/S-1-renamed.md")
    hooked.remove("stories/S-2.md")
    hooked.write(".agent/cache/runbooks/OPS/OPS-7.md", "# OPS-7: Restart\n\nStatus: done\n\nSteps.\n")
    hooked.commit_all("rename, delete, edit")
    hooked.git("checkout", "-q", "main")
    assert ids(hooked)["S-1"] == "stories/S-1.md"  # checkout back mirrored
    hooked.write("plans/P-1.md", artifact("P-1", "Plan v2", "active"))
    hooked.commit_all("edit on main")
    hooked.git("merge", "-q", "--no-edit", "feature")
    assert ids(hooked) == {"S-1": "stories/S-1-renamed.md", "P-1": "plans/P-1.md",
                           "OPS-7": ".agent/cache/runbooks/OPS/OPS-7.md"}  # fmt: skip
    with hooked.mirror() as mirror:
        assert mirror.find("OPS-7").status == "done"
    assert_mirror_equals_full_rescan(hooked)


def test_fast_forward_merge(hooked: GitRepo) -> None:
    hooked.git("checkout", "-q", "-b", "feature")
    hooked.write("stories/S-4.md", artifact("S-4", "Four"))
    hooked.commit_all("add")
    hooked.git("checkout", "-q", "main")
    assert "S-4" not in ids(hooked)
    hooked.git("merge", "-q", "--ff-only", "feature")
    assert "S-4" in ids(hooked)
    assert_mirror_equals_full_rescan(hooked)


def test_checkout_of_another_branch(hooked: GitRepo) -> None:
    hooked.git("checkout", "-q", "-b", "other")
    hooked.write("stories/S-2.md", artifact("S-2", "Two, other", "blocked"))
    hooked.git("mv", "plans/P-1.md", "plans/P-1-moved.md")
    hooked.commit_all("other branch")
    hooked.git("checkout", "-q", "main")
    assert ids(hooked)["P-1"] == "plans/P-1.md"
    assert_mirror_equals_full_rescan(hooked)
    hooked.git("checkout", "-q", "other")
    assert ids(hooked)["P-1"] == "plans/P-1-moved.md"
    assert_mirror_equals_full_rescan(hooked)


def test_file_checkout_from_the_index(hooked: GitRepo) -> None:
    hooked.write("stories/S-1.md", artifact("S-1", "One, edited", "draft"))
    with hooked.mirror() as mirror:
        scan(mirror)
    hooked.git("checkout", "--", "stories/S-1.md")
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").title == "One"
    assert_mirror_equals_full_rescan(hooked)


def test_rebase(hooked: GitRepo) -> None:
    hooked.git("checkout", "-q", "-b", "topic")
    hooked.write("stories/S-5.md", artifact("S-5", "Five"))
    hooked.git("mv", "stories/S-2.md", "stories/S-2-moved.md")
    hooked.commit_all("topic work")
    hooked.git("checkout", "-q", "main")
    hooked.write("plans/P-1.md", artifact("P-1", "Plan, on main", "done"))
    hooked.remove(".agent/cache/runbooks/OPS/OPS-7.md")
    hooked.commit_all("main work")
    hooked.git("checkout", "-q", "topic")
    hooked.git("rebase", "-q", "main")
    found = ids(hooked)
    assert found["S-2"] == "stories/S-2-moved.md" and "S-5" in found and "OPS-7" not in found
    with hooked.mirror() as mirror:
        assert mirror.find("P-1").status == "done"
    assert_mirror_equals_full_rescan(hooked)


def test_amend(hooked: GitRepo) -> None:
    hooked.write("stories/S-1.md", artifact("S-1", "One", "review"))
    hooked.commit_all("first try")
    hooked.write("stories/S-1.md", artifact("S-1", "One", "done"))
    hooked.git("commit", "-q", "-a", "--amend", "--no-edit")
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "done"
    assert_mirror_equals_full_rescan(hooked)


def break_the_mirror(config: Config) -> bytes:
    """Replace the mirror with bytes SQLite refuses; return the database to put back later."""
    database = config.db_path.read_bytes()
    config.db_path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(config.db_path) + suffix).unlink(missing_ok=True)
    return database


def status_tells_the_repair_once(repo: GitRepo) -> None:
    """The status after a repair says a hook had failed (in the background nobody saw it), with the
    reason and where the log is; the next one does not."""
    code, out, err = run(repo, "status")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("mirror: a hook had failed")]
    assert len(lines) == 1 and "post-commit hook failed" in lines[0] and "agentsync.log" in lines[0], out
    code, out, err = run(repo, "status", "--json")
    assert code == 0 and json.loads(out)["repaired"] is None, err


def commit_waiting(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit -a`` with the post-* hooks kept in the foreground (their messages reach stderr)."""
    repo.git("add", "-A")
    return subprocess.run(
        ["git", "commit", "-q", "-m", message], cwd=repo.root, env=git_environment(AGENTSYNC_HOOK_WAIT="1"),
        capture_output=True, text=True,
    )  # fmt: skip


def test_a_failing_hook_keeps_the_commit_and_the_next_run_repairs(hooked: GitRepo) -> None:
    config = hooked.config()
    database = break_the_mirror(config)
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    result = commit_waiting(hooked, "while the mirror is broken")
    assert result.returncode == 0
    assert "HEAD" not in hooked.git("status", "--porcelain").stdout
    lines = [line for line in result.stderr.splitlines() if "post-commit" in line]
    assert len(lines) == 1, result.stderr  # one line, pointing to the log
    assert lines[0].startswith("agentsync: post-commit hook failed") and "agentsync.log" in lines[0]
    assert "ids are checked only among the staged files" in result.stderr  # the check went on, narrowed
    assert repair_mark(config).exists()
    # The cause goes away (the old, now stale, mirror comes back); the next hook repairs it all.
    config.db_path.write_bytes(database)
    hooked.write("plans/P-1.md", artifact("P-1", "Plan", "done"))
    hooked.commit_all("next commit")
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "active"
    assert not repair_mark(config).exists()
    assert_mirror_equals_full_rescan(hooked)
    status_tells_the_repair_once(hooked)


def test_a_hook_failing_in_the_background_logs_it_and_marks_the_mirror_for_repair(hooked: GitRepo) -> None:
    config = hooked.config()
    database = break_the_mirror(config)
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active"))
    result = hooked.commit_all("while the mirror is broken")
    assert result.returncode == 0
    assert "post-commit" not in result.stderr  # nobody reads a terminal after Git returned
    assert hookjob.wait_for_job(config.state_dir)
    assert repair_mark(config).exists()
    logged = (config.state_dir / "agentsync.log").read_text(encoding="utf-8")
    assert "post-commit hook failed" in logged and "file is not a database" in logged
    config.db_path.write_bytes(database)
    hooked.write("plans/P-1.md", artifact("P-1", "Plan", "done"))
    hooked.commit_all("next commit")
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "active"
    assert not repair_mark(config).exists()
    assert_mirror_equals_full_rescan(hooked)
    status_tells_the_repair_once(hooked)


def test_skip_variable_skips_every_hook(hooked: GitRepo) -> None:
    hooked.write("stories/S-1.md", artifact("S-1", "One", "active") + "<<<<<<< local\n")
    hooked.git("add", "-A")
    env_result = hooked.git("-c", "core.hooksPath=.git/hooks", "commit", "-q", "-m", "x", check=False)
    assert env_result.returncode == 1  # the check blocks the conflict marker
    done = subprocess.run(
        ["git", "commit", "-q", "-m", "skipped"], cwd=hooked.root, env=git_environment(AGENTSYNC_SKIP="1"),
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "agentsync" not in done.stderr
    with hooked.mirror() as mirror:
        assert mirror.find("S-1").status == "draft"  # post-commit was skipped too


def test_a_late_hook_also_mirrors_the_commits_git_made_before_it_ran(hooked: GitRepo) -> None:
    """A post-commit job reads HEAD when it runs: if Git made another commit meanwhile, the diff of
    HEAD's own commit misses the first one's paths; the diff since the mirror's last head has them."""
    skip = git_environment(AGENTSYNC_SKIP="1")
    with hooked.mirror() as mirror:
        refresh_heads(mirror, Git(hooked.root))  # the mirror has caught up with HEAD, as after any hook
    hooked.write("plans/P-1.md", artifact("P-1", "Plan v2", "active"))
    hooked.git("add", "-A")
    subprocess.run(["git", "commit", "-q", "-m", "first"], cwd=hooked.root, env=skip, check=True)
    hooked.write("stories/S-2.md", artifact("S-2", "Two", "done"))
    hooked.git("add", "-A")
    subprocess.run(["git", "commit", "-q", "-m", "second"], cwd=hooked.root, env=skip, check=True)
    head = hooked.head()
    report = mirror_range(hooked.config(), hooked.git("rev-parse", "HEAD~1").stdout.strip(), head)
    assert report.paths == ["plans/P-1.md", "stories/S-2.md"]
    with hooked.mirror() as mirror:
        assert mirror.find("P-1").title == "Plan v2"
        assert mirror.find("S-2").status == "done"
    assert_mirror_equals_full_rescan(hooked)
