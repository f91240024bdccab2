"""Push, pull, lock, log, status and the pre-push hook from the command line and from git, on a
real PostgreSQL named by ``AGENTSYNC_DATABASE_URL`` (the paths a child process takes: the
in-memory remote cannot be reached from there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync.remotes.postgres import PostgresRemote
from tests.conftest import GitRepo, artifact, make_git_repo


def test_push_and_pull_from_the_cli(tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_cli import run

    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    without_remote = a.read("agentsync.yaml").decode().replace("remote: local\n", "")
    a.write("agentsync.yaml", without_remote)
    code, _, err = run(a, "push")
    assert code == 1 and "no remote configured" in err
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", remote_url)
    for clone in (a, b):  # both clones name the same project
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\n")
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    code, out, err = run(a, "push")
    assert code == 0 and "pushed 1 artifact(s)" in out, err
    code, out, _ = run(a, "push")
    assert code == 0 and "nothing to push" in out
    code, out, err = run(b, "pull")
    assert code == 0 and "1 written" in out and "kept Git's value" not in err  # not in b's Git: as written
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "A."))
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "B."))
    assert run(a, "push")[0] == 0
    code, _, err = run(b, "push")
    assert code == 1 and "story:S-1 changed on the remote (v2 by ada@example.com)" in err
    assert "conflict: story:S-1:" in err and "agentsync resolve story:S-1" in err  # the merge found the overlap


def test_lock_log_fetch_sync_and_status_from_the_cli(
    tmp_path: Path, remote_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tests.test_cli import run

    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    b.git("config", "user.email", "bo@example.com")
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", remote_url)
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\n")
    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    code, out, _ = run(a, "status")  # the mirror's answer: the remote is not asked
    assert "ahead: 1 artifact(s) new or edited here, to push: story:S-1" in out
    assert "cursor 0, as of the last sync" in out
    code, out, _ = run(a, "status", "--remote")
    assert "ahead: 1 artifact(s) new or edited here, to push: story:S-1" in out and "head 0; cursor 0" in out
    assert run(a, "push")[0] == 0
    code, out, _ = run(b, "fetch")
    assert code == 0 and "fetched 1 change(s); cursor 1" in out
    assert not (b.root / "stories/S-1.md").exists()  # fetch touches no files
    code, out, _ = run(b, "sync")
    assert code == 0 and (b.root / "stories/S-1.md").exists()

    code, out, _ = run(a, "lock", "S-1", "--ttl", "30m")
    assert code == 0 and out.startswith("locked story:S-1 until")
    code, _, err = run(b, "lock", "S-1")
    assert code == 1 and "locked by ada@example.com" in err
    b.write("stories/S-1.md", b.read("stories/S-1.md").decode().replace("Body.", "Bo's."))
    code, _, err = run(b, "push")
    assert code == 1 and "locked: story:S-1 is locked by ada@example.com" in err
    code, out, _ = run(b, "locks", "--json")
    assert [lock["id"] for lock in json.loads(out)] == ["S-1"]
    assert "locked: story:S-1 by ada@example.com until" in run(b, "status", "--remote")[1]
    assert "locked: story:S-1 by you until" in run(a, "status", "--remote")[1]
    assert "locked:" not in run(a, "status")[1]  # locks live on the remote alone
    code, _, err = run(b, "unlock", "S-1")
    assert code == 1 and "--force" in err
    code, out, _ = run(b, "unlock", "S-1", "--force")
    assert code == 0 and "forced" in out
    assert run(b, "push")[0] == 0
    code, out, _ = run(a, "log", "S-1")
    lines = out.splitlines()
    assert lines[0].startswith("v2 ") and "bo@example.com" in lines[0]
    assert lines[1].startswith("v1 ") and "ada@example.com" in lines[1]
    code, out, _ = run(a, "diff", "S-1")
    assert code == 1 and "--- remote v2 by bo@example.com" in out and "-Bo's." in out and "+Body." in out
    assert run(b, "diff", "S-1")[1].startswith("story:S-1: the work tree matches the remote's v2")
    state = json.loads(run(a, "status", "--json")[1])["remote"]
    assert (state["asked"], state["head"], state["lag"], state["cursor"]) == (False, None, None, 2)
    code, out, _ = run(a, "status", "--json", "--remote")
    state = json.loads(out)["remote"]
    assert state["asked"] and state["head"] == 2 and state["cursor"] == 2 and state["project"] == "team"  # diff fetched
    assert (state["behind"], state["ahead"], state["diverged"], state["lag"]) == (["story:S-1"], [], [], 0)
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Ada's."))
    assert "diverged: 1 artifact(s) changed on both sides, to pull and merge: story:S-1" in run(a, "status")[1]
    assert run(a, "lock", "S-1", "--ttl", "soon")[0] == 2
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", "postgresql://ada:pw@127.0.0.1:1/db")
    code, out, _ = run(a, "status", "--remote")
    assert code == 0 and "unreachable" in out and ":pw@" not in out
    code, out, _ = run(a, "status")  # offline: the mirror answers
    assert code == 0 and "cursor 2, as of the last sync" in out and "unreachable" not in out and ":pw@" not in out


def test_pre_push_hook_syncs_and_can_block(tmp_path: Path, remote_url: str) -> None:
    import subprocess

    from agentsync import hooks
    from tests.conftest import git_environment

    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    b.git("config", "user.email", "bo@example.com")
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\npre_push: block\n")
        hooks.install(clone.root, ("pre-push",))
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True, env=git_environment())
    env = git_environment(AGENTSYNC_DATABASE_URL=remote_url)

    def git_push(repo: GitRepo) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "push", "-q", str(bare), "HEAD:refs/heads/" + repo.root.name], cwd=repo.root,
                              env=env, capture_output=True, text=True)  # fmt: skip

    a.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    a.commit_all("story")
    pushed = git_push(a)
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed 1 artifact edit(s) to the remote" in pushed.stderr
    assert PostgresRemote(remote_url, "team").head() == 1

    b.write("stories/S-1.md", artifact("S-1", "One, by Bo", "draft"))  # same id, never pulled: a conflict
    b.commit_all("bo's story")
    refused = git_push(b)
    assert refused.returncode != 0
    assert "pre-push: story:S-1 has an unresolved sync conflict" in refused.stderr
    # An unreachable remote never stops a git push.
    env["AGENTSYNC_DATABASE_URL"] = "postgresql://ada@127.0.0.1:1/db"
    a.write("stories/S-1.md", a.read("stories/S-1.md").decode().replace("Body.", "Later."))
    a.commit_all("later")
    offline = git_push(a)
    assert offline.returncode == 0 and "artifacts not synced" in offline.stderr
