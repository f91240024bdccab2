"""The watcher with real inotify events, real git repositories and a real PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentsync.remotes import migrations
from agentsync.remotes.postgres import PostgresRemote
from agentsync.store import Mirror
from agentsync.sync import pull, push
from agentsync.watch import Watcher, WatchEvent, WatchOptions, watcher_state
from tests.conftest import GitRepo, artifact, git_environment, make_git_repo
from tests.remotes.conftest import SupabaseProject, connect, database, postgres_url, supabase  # noqa: F401
from tests.test_cli import run

FAST = {"debounce": 0.1, "push_delay": 0.1, "poll_interval": 0.5}


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "the condition") -> Any:
    """Poll ``check`` until it is true. The timeout is generous on purpose: these tests check what
    happens, not how fast (bench_watch.py measures that), and CI may share its cores."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def make_clone(root: Path, remote: str | None, *, email: str = "ada@example.com", **watch: Any) -> GitRepo:
    """A git repository whose agentsync.yaml names ``remote`` (None: no remote) and project `team`."""
    repo = make_git_repo(root)
    repo.git("config", "user.email", email)
    text = repo.read("agentsync.yaml").decode().replace("remote: local\n", f"remote: {remote}\n" if remote else "")
    settings = ", ".join(f"{key}: {value}" for key, value in {**FAST, **watch}.items())
    repo.write("agentsync.yaml", text + f"project: team\nwatch: {{{settings}}}\n")
    repo.commit_all("config")
    return repo


class Running:
    """A watcher running in a thread of the test: its events, and a check that it ended well."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.events: list[WatchEvent] = []
        self.failure: BaseException | None = None

    def messages(self, kind: str | None = None) -> list[str]:
        return [e.message for e in list(self.events) if kind is None or e.kind == kind]


@contextmanager
def watching(repo: GitRepo, *, push: bool = False) -> Iterator[Running]:
    config = repo.config()
    running = Running(Watcher(config, WatchOptions.from_config(config, push=push)))
    running.watcher.on_event = running.events.append

    def target() -> None:
        try:
            running.watcher.run()
        except BaseException as exc:
            running.failure = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    wait_until(lambda: running.messages("started") or running.failure, what="the watcher to start")
    try:
        yield running
    except AssertionError as exc:  # say what the watcher was doing meanwhile
        events = "\n".join(f"  {e.level}: {e.message}" for e in running.events)
        raise AssertionError(f"{exc}\nevents of the watcher in {repo.root.name}:\n{events}") from None
    finally:
        running.watcher.stop()
        thread.join(15)
        assert not thread.is_alive(), "the watcher did not stop"
    if running.failure is not None:
        raise running.failure
    assert running.messages("stopped") == ["watcher stopped"]


def mirrored_hash(repo: GitRepo, path: str) -> str | None:
    with Mirror.open(repo.config(), readonly=True) as mirror:
        row = mirror.connection.execute("SELECT hash FROM artifacts WHERE path = ?", (path,)).fetchone()
    return row[0] if row else None


def file_hash(repo: GitRepo, path: str) -> str:
    from agentsync.artifact import content_hash

    return content_hash(repo.read(path))


def history_versions(url: str, key: str) -> list[int]:
    """The versions the remote holds of ``key`` (TYPE:ID)."""
    remote = PostgresRemote(url, "team")
    try:
        return sorted(entry["version"] for entry in remote.history(key, 100))
    finally:
        remote.close()


def test_saves_renames_and_deletions_are_mirrored(tmp_path: Path) -> None:
    repo = make_clone(tmp_path / "a", None)
    with watching(repo) as running:
        repo.write("plans/P-1.md", artifact("P-1", "First"))
        wait_until(lambda: mirrored_hash(repo, "plans/P-1.md") == file_hash(repo, "plans/P-1.md"), what="P-1")
        repo.write("plans/P-1.md", artifact("P-1", "First, edited"))
        wait_until(lambda: mirrored_hash(repo, "plans/P-1.md") == file_hash(repo, "plans/P-1.md"), what="the edit")
        os.rename(repo.root / "plans/P-1.md", repo.root / "plans/P-1-renamed.md")
        wait_until(lambda: mirrored_hash(repo, "plans/P-1-renamed.md"), what="the rename")
        assert mirrored_hash(repo, "plans/P-1.md") is None
        # A folder that did not exist when the watcher started is watched once it appears.
        repo.write("stories/deep/S-1.md", artifact("S-1", "Story"))
        wait_until(lambda: mirrored_hash(repo, "stories/deep/S-1.md"), what="a file in a new folder")
        (repo.root / "plans/P-1-renamed.md").unlink()
        wait_until(lambda: mirrored_hash(repo, "plans/P-1-renamed.md") is None, what="the deletion")
        repo.write("plans/notes.txt", "not an artifact")
        repo.write("plans/bad.md", b"---\nid: [unclosed\n---\n")
        wait_until(lambda: running.messages("problem"), what="the bad file's report")
    assert any("plans/bad.md" in m and "invalid YAML" in m for m in running.messages("problem"))
    assert "mirrored plans/P-1.md -> plans/P-1-renamed.md (renamed)" in running.messages("mirrored")
    assert not any("notes.txt" in m for m in running.messages())
    record = json.loads((repo.root / ".agentsync/watcher.json").read_text())
    assert record["state"] == "stopped" and record["remote"] is None


def test_an_editor_style_save_is_one_change(tmp_path: Path, remote_url: str) -> None:
    repo = make_clone(tmp_path / "a", remote_url, debounce=0.3)
    repo.write("plans/P-1.md", artifact("P-1", "First"))
    with watching(repo, push=True) as running:
        wait_until(lambda: history_versions(remote_url, "plan:P-1") == [1], what="the first push")
        wait_until(lambda: running.messages("pushed"), what="the push event")
        before = len(running.messages("mirrored"))
        # An editor's save: a temp file written in two steps, renamed over the file, written again.
        target = repo.root / "plans/P-1.md"
        temp = repo.root / "plans/.P-1.md.swp"
        text = target.read_text().replace("Body.", "Body, edited.")
        temp.write_text(text[:20])
        temp.write_text(text)
        os.replace(temp, target)
        target.write_text(text)
        wait_until(lambda: history_versions(remote_url, "plan:P-1") == [1, 2], what="the edit's push")
        time.sleep(1.0)  # anything else would have been pushed by now
    assert history_versions(remote_url, "plan:P-1") == [1, 2]
    assert running.messages("mirrored")[before:] == ["mirrored plans/P-1.md"]
    assert "version: 1\n" in target.read_text() and "Body, edited." in target.read_text()  # a push writes no file


def test_a_file_another_command_mirrored_first_is_pushed_too(tmp_path: Path, remote_url: str) -> None:
    """`agentsync new` writes and mirrors its file itself: the watcher's scan then finds nothing
    new, and the push must still go out (before, it waited for an unrelated save)."""
    repo = make_clone(tmp_path / "a", remote_url)
    with watching(repo, push=True) as running:
        wait_until(lambda: running.watcher.side.push_due is None, what="the push of what waited at the start")
        time.sleep(0.5)
        code, out, err = run(repo, "new", "plan", "Made by new")
        assert code == 0, err
        artifact_id = out.split()[1]
        key = artifact_id if ":" in artifact_id else f"plan:{artifact_id}"
        # within seconds: not at the next full rescan, nor with an unrelated save
        wait_until(lambda: history_versions(remote_url, key) == [1], timeout=10, what="the push")
        # the remote holds it a moment before the watcher reports the push
        wait_until(lambda: any(artifact_id in m for m in running.messages("pushed")), timeout=10, what="the report")


@pytest.mark.parametrize("notify", [True, False], ids=["notifications", "head-checks"])
def test_a_save_in_one_clone_appears_in_the_other_by_itself(tmp_path: Path, remote_url: str, notify: bool) -> None:
    # With notifications the head check is too slow to be what delivers the change in time.
    poll = 120 if notify else 0.5
    a = make_clone(tmp_path / "a", remote_url, poll_interval=poll, notify="true" if notify else "false")
    b = make_clone(tmp_path / "b", remote_url, email="bo@example.com", poll_interval=poll,
                   notify="true" if notify else "false")  # fmt: skip
    with watching(a, push=True), watching(b) as in_b:
        if notify:
            wait_until(lambda: json.loads((b.root / ".agentsync/watcher.json").read_text())["notifications"],
                       what="b to listen")  # fmt: skip
        a.write("stories/S-1.md", artifact("S-1", "From a", body="Written in a.\n"))
        wait_until(lambda: (b.root / "stories/S-1.md").exists(), what="S-1 in b")
        a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Written in a.", "Edited in a."))
        wait_until(lambda: "Edited in a." in b.read("stories/S-1.md").decode(), what="the edit in b")
        wait_until(lambda: mirrored_hash(b, "stories/S-1.md") == file_hash(b, "stories/S-1.md"), what="b's mirror")
    # S-1 is in neither clone's HEAD: it arrives as its author wrote it, status included
    assert b.read("stories/S-1.md") == a.read("stories/S-1.md")
    assert "updated stories/S-1.md from the remote" in in_b.messages("pulled")


@pytest.fixture
def shared_plan(tmp_path: Path, remote_url: str) -> Iterator[tuple[GitRepo, GitRepo, PostgresRemote]]:
    """Clones a and b, both at v1 of plans/P-1.md (two body lines), and a client of their remote."""
    a = make_clone(tmp_path / "a", remote_url)
    b = make_clone(tmp_path / "b", remote_url, email="bo@example.com")
    remote = PostgresRemote(remote_url, "team")
    a.write("plans/P-1.md", artifact("P-1", "Shared", body="Line one.\n\nLine two.\n"))
    with a.mirror() as mirror:
        push(mirror, remote, "ada@example.com")
    with b.mirror() as mirror:
        pull(mirror, remote)
    yield a, b, remote
    remote.close()


def test_a_file_edited_while_a_remote_change_arrives_is_merged_or_marked_never_overwritten(
    shared_plan: tuple[GitRepo, GitRepo, PostgresRemote],
) -> None:
    a, b, remote = shared_plan
    with watching(b) as in_b:
        # b edits the body; a changes the title meanwhile: both land in b's file.
        b.write("plans/P-1.md", b.read("plans/P-1.md").decode().replace("Line two.", "Line two, by Bo."))
        wait_until(lambda: mirrored_hash(b, "plans/P-1.md") == file_hash(b, "plans/P-1.md"), what="b's save")
        a.write("plans/P-1.md", a.read("plans/P-1.md").decode().replace("title: Shared", "title: Shared plan"))
        with a.mirror() as mirror:
            assert push(mirror, remote, "ada@example.com").applied == [("plan:P-1", 2)]
        wait_until(lambda: "title: Shared plan" in b.read("plans/P-1.md").decode(), what="the merge")
        merged = b.read("plans/P-1.md").decode()
        assert "Line two, by Bo." in merged and "version: 2" in merged
        # Both change the same line: b's text is kept, between markers, and the conflict recorded.
        b.write("plans/P-1.md", merged.replace("Line one.", "Line one, Bo's way."))
        wait_until(lambda: mirrored_hash(b, "plans/P-1.md") == file_hash(b, "plans/P-1.md"), what="b's second save")
        a.write("plans/P-1.md", a.read("plans/P-1.md").decode().replace("Line one.", "Line one, Ada's way."))
        with a.mirror() as mirror:
            assert push(mirror, remote, "ada@example.com").applied == [("plan:P-1", 3)]
        wait_until(lambda: in_b.messages("conflict"), what="the conflict")
    marked = b.read("plans/P-1.md").decode()
    assert "Line one, Bo's way." in marked and "Line one, Ada's way." in marked and "<<<<<<< local" in marked
    with b.mirror() as mirror:
        assert [row[0] for row in mirror.connection.execute("SELECT key FROM conflicts")] == ["plan:P-1"]
    assert "merged the remote's change into plans/P-1.md" in in_b.messages("pulled")


def test_a_pull_never_writes_over_a_save_made_after_the_file_was_read(
    shared_plan: tuple[GitRepo, GitRepo, PostgresRemote], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last check happens right before each rename: a save that lands between the pull's read
    and its write (an editor's, here forced into that moment) is kept, and merged by the next pull."""
    from agentsync import fsutil

    a, b, remote = shared_plan
    a.write("plans/P-1.md", a.read("plans/P-1.md").decode().replace("Line one.", "Line one, from a."))
    with a.mirror() as mirror:
        push(mirror, remote, "ada@example.com")
    saved = b.read("plans/P-1.md").decode().replace("Line two.", "Line two, saved at the last moment.")
    original = fsutil.atomic_write

    def editor_saves_first(path: fsutil.Target, data: bytes, **options: Any) -> bool:
        if Path(path).name == "P-1.md":  # (a pull names its targets as str)
            time.sleep(0.01)  # a tick later: a new mtime
            Path(path).write_text(saved)
        return original(path, data, **options)

    monkeypatch.setattr(fsutil, "atomic_write", editor_saves_first)
    with b.mirror() as mirror:
        report = pull(mirror, remote)
    monkeypatch.undo()
    assert report.deferred == ["plans/P-1.md"] and report.written == []
    assert b.read("plans/P-1.md").decode() == saved
    with b.mirror() as mirror:
        again = pull(mirror, remote)  # nothing new to fetch, yet the row is still to apply
    assert again.merged == ["plans/P-1.md"]
    final = b.read("plans/P-1.md").decode()
    assert "Line one, from a." in final and "Line two, saved at the last moment." in final


@contextmanager
def own_postgres() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A PostgreSQL of this test's own, with functions to stop it and start it again."""
    import pgserver

    from agentsync.remotes import local

    folder = Path(tempfile.mkdtemp(prefix="agentsync-outage-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")  # type: ignore[attr-defined]
    url = server.get_uri()
    with connect(url) as connection:
        migrations.migrate(connection)

    def start() -> None:
        with server._lock:  # pgserver keeps one handle per folder: start its server again through it
            server.ensure_postgres_running()
        assert server.get_uri() == url

    def stop() -> None:
        local.stop(folder)

    try:
        yield url, stop, start
    finally:
        if not (folder / "postmaster.pid").exists():
            start()
        server.cleanup()


def test_the_remote_stopped_and_restarted_loses_nothing(tmp_path: Path) -> None:
    with own_postgres() as (url, stop_server, start_server):
        a = make_clone(tmp_path / "a", url)
        b = make_clone(tmp_path / "b", url, email="bo@example.com")
        a.write("plans/P-1.md", artifact("P-1", "Before"))
        with watching(a, push=True) as in_a, watching(b):
            wait_until(lambda: (b.root / "plans/P-1.md").exists(), what="P-1 in b")
            stop_server()
            a.write("plans/P-1.md", a.read("plans/P-1.md").decode().replace("Body.", "Written during the outage."))
            a.write("plans/P-2.md", artifact("P-2", "New during the outage"))
            wait_until(lambda: in_a.messages("unreachable"), what="a to notice")
            wait_until(lambda: (watcher_state(a.config()) or {}).get("state") == "backoff", what="a's record of it")
            wait_until(lambda: mirrored_hash(a, "plans/P-2.md") == file_hash(a, "plans/P-2.md"), what="P-2 mirrored")
            code, out, _ = run(a, "status")
            assert code == 0 and "remote unreachable, retrying" in out and "ahead: 2 artifact(s)" in out
            start_server()
            wait_until(lambda: (b.root / "plans/P-2.md").exists(), timeout=90, what="P-2 in b")
            wait_until(lambda: "Written during the outage." in b.read("plans/P-1.md").decode(), what="the edit")
            wait_until(lambda: in_a.messages("back"), what="a to say the remote is back")
        with a.mirror() as mirror:
            from agentsync.sync import pending_changes

            assert pending_changes(mirror) == []
            assert mirror.connection.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_hooks_commands_and_the_watcher_together_never_corrupt_anything(tmp_path: Path, remote_url: str) -> None:
    """The watcher auto-pushes in its own process while commits run the post-commit hook, `git push`
    runs the pre-push hook and `agentsync push` runs by hand, all on the same files."""
    import random

    from agentsync import hooks

    a = make_clone(tmp_path / "a", remote_url)
    hooks.install(a.root, ("post-commit", "pre-push"))
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=git_environment())
    env = git_environment()
    paths = [f"plans/P-{n}.md" for n in range(1, 6)]
    for number, path in enumerate(paths, 1):
        a.write(path, artifact(f"P-{number}", f"Plan {number}"))
    a.commit_all("plans")
    watcher = subprocess.Popen([sys.executable, "-m", "agentsync", "watch", "--push"], cwd=a.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines_written: dict[str, list[str]] = {path: [] for path in paths}
    try:
        wait_until(lambda: (watcher_state(a.config()) or {}).get("running"), what="the watcher")
        chance = random.Random(7)
        for step in range(40):
            for path in chance.sample(paths, chance.randint(1, 3)):
                line = f"Line {step} of {path}."
                lines_written[path].append(line)
                with open(a.root / path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
            action = chance.choice(["commit", "push", "git-push", "nothing"])
            if action == "commit":
                a.commit_all(f"step {step}")
            elif action == "push":
                assert run(a, "push")[0] == 0
            elif action == "git-push":
                a.commit_all(f"step {step}")
                pushed = subprocess.run(["git", "push", "-q", str(bare), "HEAD:refs/heads/main"], cwd=a.root,
                                        env=env, capture_output=True, text=True)  # fmt: skip
                assert pushed.returncode == 0, pushed.stderr
            time.sleep(chance.choice([0, 0.05, 0.2]))
        time.sleep(1.0)
    finally:
        code, out, err = run(a, "watch", "--stop")
        output = watcher.communicate(timeout=30)[0]
    assert code == 0 and "stopped the watcher" in out, err
    assert watcher.returncode == 0, output
    assert "error" not in output.lower(), output
    assert run(a, "sync")[0] == 0
    with a.mirror() as mirror:
        from agentsync.scanner import scan

        assert mirror.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not scan(mirror).changed  # the mirror holds exactly the files
        assert mirror.connection.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0
    remote = PostgresRemote(remote_url, "team")
    rows = {row.path: row.content for row in remote.pull(0, 1000).rows}
    remote.close()
    for path in paths:
        on_disk = a.read(path).decode()
        assert rows[path] == on_disk  # the remote has exactly the file
        assert all(line in on_disk for line in lines_written[path])  # no edit lost
    assert not list(a.root.glob("plans/.*.tmp"))


def test_watch_in_the_background_status_and_stop_from_the_cli(tmp_path: Path, remote_url: str) -> None:
    a = make_clone(tmp_path / "a", remote_url)
    code, out, err = run(a, "watch", "--detach", "--push")
    assert code == 0 and "watcher started in the background" in out, err
    try:
        code, _, err = run(a, "watch", "--detach")
        assert code == 1 and "a watcher already runs for this repository" in err
        a.write("stories/S-1.md", artifact("S-1", "Saved while watched"))
        wait_until(lambda: history_versions(remote_url, "story:S-1") == [1], what="the push")

        # the watcher records its push once the remote's answer is applied, a moment after the remote has it
        def recorded() -> str:
            shown = run(a, "status")[1]
            return shown if "pushed 1 artifact" in shown else ""

        out = wait_until(recorded, what="the watcher's record of its push")
        assert "watcher: running (pid" in out and "auto-push on" in out and "pushed 1 artifact(s): story:S-1 v1" in out
        code, out, _ = run(a, "status", "--json")
        state = json.loads(out)["watcher"]
        assert state["running"] is True and state["state"] == "running" and state["errors"] == 0
    finally:
        code, out, err = run(a, "watch", "--stop")
    assert code == 0 and "stopped the watcher" in out, err
    assert "watcher: not running (stopped" in run(a, "status")[1]
    log = (a.root / ".agentsync/agentsync.log").read_text()
    assert "pushed story:S-1 v1" in log and "watcher stopped" in log
    assert run(a, "watch", "--stop")[1] == "no watcher is running for this repository\n"


def test_ctrl_c_stops_a_foreground_watcher_cleanly_and_a_killed_one_is_reported(tmp_path: Path) -> None:
    repo = make_clone(tmp_path / "a", None)
    command = [sys.executable, "-m", "agentsync", "watch"]
    child = subprocess.Popen(command, cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    assert "watching" in child.stdout.readline()
    repo.write("plans/P-1.md", artifact("P-1", "Saved"))
    assert "mirrored plans/P-1.md (new)" in child.stdout.readline()
    child.send_signal(signal.SIGINT)
    rest = child.communicate(timeout=15)[0]
    assert child.returncode == 0 and "watcher stopped" in rest
    assert (watcher_state(repo.config()) or {}).get("state") == "stopped"

    killed = subprocess.Popen(command, cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_until(lambda: (watcher_state(repo.config()) or {}).get("running"), what="the second watcher")
    killed.kill()
    killed.wait(15)
    assert "watcher: not running (was killed" in run(repo, "status")[1]
    again = subprocess.Popen(command, cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert again.stdout is not None and "watching" in again.stdout.readline()  # the kernel freed its lock
    again.terminate()
    assert again.wait(15) == 0


def test_over_supabases_api_the_watcher_checks_the_head(
    tmp_path: Path,
    supabase: SupabaseProject,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An https:// remote has no notifications: changes arrive by the head check, through supabase-py."""
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", supabase.keys["service_role"])
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    a = make_clone(tmp_path / "a", supabase.url)
    b = make_clone(tmp_path / "b", supabase.url, email="bo@example.com")
    with watching(a, push=True), watching(b):
        a.write("runbooks/R-1.md", artifact("R-1", "Restart the queue"))
        wait_until(lambda: (b.root / "runbooks/R-1.md").exists(), what="R-1 in b")

        def caught_up() -> dict[str, Any]:  # the record is written a moment after the pull's files
            shown: dict[str, Any] = json.loads((b.root / ".agentsync/watcher.json").read_text())
            return shown if shown.get("lag") is not None else {}

        record = wait_until(caught_up, what="b's record of the head check")
    assert record["notifications"] is False and record["remote"] == supabase.url and record["lag"] == 0
