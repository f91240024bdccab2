"""Installing the git hooks into real repositories: foreign hooks kept and chained, core.hooksPath,
linked worktrees, idempotence, and status."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agentsync import hooks
from agentsync.errors import HookError
from agentsync.fsutil import TEMP_GITIGNORE
from agentsync.scanner import scan
from agentsync.store.meta import MetaKey
from tests.conftest import GitRepo, artifact, git_environment, make_git_repo

FOREIGN = (
    '#!/bin/sh\necho "foreign $0 ran" >> "$(git rev-parse --show-toplevel)/foreign.log"\nexit ${FOREIGN_EXIT:-0}\n'
)


def write_foreign(folder: Path, name: str = "pre-commit") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(FOREIGN, encoding="utf-8")
    path.chmod(0o755)
    return path


def committed_repo(repo: GitRepo) -> GitRepo:
    repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    repo.write(".gitignore", "foreign.log\n")
    repo.commit_all("start")
    return repo


def test_install_is_idempotent_and_status_says_current(git_repo: GitRepo) -> None:
    first = hooks.install(git_repo.root)
    assert [c.action for c in first] == ["installed"] * len(hooks.HOOK_NAMES)
    folder = git_repo.root / ".git" / "hooks"
    contents = {name: (folder / name).read_bytes() for name in hooks.HOOK_NAMES}
    for name in hooks.HOOK_NAMES:
        assert (folder / name).stat().st_mode & stat.S_IXUSR
        assert hooks.MARKER.encode() in contents[name]
    second = hooks.install(git_repo.root)
    assert [c.action for c in second] == ["unchanged"] * len(hooks.HOOK_NAMES)
    assert {name: (folder / name).read_bytes() for name in hooks.HOOK_NAMES} == contents
    assert all(s.installed and s.current for s in hooks.status(git_repo.root))


def test_status_notices_an_out_of_date_stub(git_repo: GitRepo) -> None:
    hooks.install(git_repo.root)
    path = git_repo.root / ".git" / "hooks" / "post-commit"
    path.write_text(path.read_text(encoding="utf-8").replace("stub version 2", "stub version 1"), encoding="utf-8")
    states = {s.name: s for s in hooks.status(git_repo.root)}
    assert states["post-commit"].installed and not states["post-commit"].current
    assert "out of date" in states["post-commit"].describe()
    assert [c.action for c in hooks.install(git_repo.root) if c.name == "post-commit"] == ["updated"]
    assert all(s.current for s in hooks.status(git_repo.root))


def test_install_keeps_git_from_listing_a_file_being_written(git_repo: GitRepo) -> None:
    """A `git add -A` must not list a temp file that the write's rename takes away a moment later."""
    exclude = git_repo.root / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    exclude.write_text("# mine\n*.log", encoding="utf-8")  # no newline at the end
    hooks.install(git_repo.root)
    hooks.install(git_repo.root)
    text = exclude.read_text(encoding="utf-8")
    assert text.startswith("# mine\n*.log\n") and text.splitlines().count(TEMP_GITIGNORE) == 1
    git_repo.write("plans/P-1.md", artifact("P-1", "One"))
    git_repo.write("plans/.P-1.md.4242.0.tmp", "half written")
    assert git_repo.git("check-ignore", "-q", "plans/.P-1.md.4242.0.tmp", check=False).returncode == 0
    assert git_repo.git("check-ignore", "-q", "plans/P-1.md", check=False).returncode == 1


def test_foreign_hook_is_chained_and_uninstall_restores_it(git_repo: GitRepo) -> None:
    committed_repo(git_repo)
    foreign = write_foreign(git_repo.root / ".git" / "hooks")
    original = foreign.read_bytes()
    changes = {c.name: c.action for c in hooks.install(git_repo.root)}
    assert changes["pre-commit"] == "chained"
    assert (foreign.parent / "pre-commit.agentsync-chained").read_bytes() == original
    assert hooks.is_ours(foreign)
    with git_repo.mirror() as mirror:
        scan(mirror)

    # Both run: the foreign hook logs, and agentsync's check blocks a bad artifact.
    git_repo.write("stories/S-2.md", artifact("S-1", "Same id"))
    git_repo.git("add", "-A")
    blocked = git_repo.git("commit", "-q", "-m", "dup", check=False)
    assert blocked.returncode == 1
    assert "duplicate id 'S-1'" in blocked.stderr
    assert "foreign" in git_repo.read("foreign.log").decode()

    # A foreign pre-commit that fails still blocks, as it did before agentsync.
    git_repo.write("stories/S-2.md", artifact("S-2", "Fine"))
    git_repo.git("add", "-A")
    failing = subprocess.run(
        ["git", "commit", "-q", "-m", "x"], cwd=git_repo.root, env=git_environment(FOREIGN_EXIT="3"),
        capture_output=True, text=True,
    )  # fmt: skip
    assert failing.returncode != 0
    git_repo.git("commit", "-q", "-m", "ok")

    changes = {c.name: c.action for c in hooks.uninstall(git_repo.root)}
    assert changes["pre-commit"] == "restored"
    assert foreign.read_bytes() == original and foreign.stat().st_mode & stat.S_IXUSR
    assert not (foreign.parent / "pre-commit.agentsync-chained").exists()
    for name in hooks.HOOK_NAMES:
        if name != "pre-commit":
            assert not (foreign.parent / name).exists()


def test_install_refuses_rather_than_overwrite(git_repo: GitRepo) -> None:
    folder = git_repo.root / ".git" / "hooks"
    write_foreign(folder)
    (folder / "pre-commit.agentsync-chained").write_text("#!/bin/sh\n", encoding="utf-8")
    with pytest.raises(HookError, match="already exists"):
        hooks.install(git_repo.root, ("pre-commit",))
    assert (folder / "pre-commit").read_text(encoding="utf-8") == FOREIGN


def test_uninstall_leaves_a_foreign_hook_alone(git_repo: GitRepo) -> None:
    foreign = write_foreign(git_repo.root / ".git" / "hooks", "post-merge")
    changes = {c.name: c.action for c in hooks.uninstall(git_repo.root)}
    assert changes == {"post-merge": "skipped"}
    assert foreign.read_text(encoding="utf-8") == FOREIGN


def test_core_hooks_path(git_repo: GitRepo) -> None:
    committed_repo(git_repo)
    git_repo.git("config", "core.hooksPath", ".githooks")
    foreign = write_foreign(git_repo.root / ".githooks", "post-commit")
    hooks.install(git_repo.root)
    assert not (git_repo.root / ".git" / "hooks" / "post-commit").exists() or not hooks.is_ours(
        git_repo.root / ".git" / "hooks" / "post-commit"
    )
    assert hooks.is_ours(git_repo.root / ".githooks" / "post-commit")
    assert (git_repo.root / ".githooks" / "post-commit.agentsync-chained").exists()
    with git_repo.mirror() as mirror:
        scan(mirror)
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    git_repo.commit_all("through core.hooksPath")
    with git_repo.mirror() as mirror:
        assert mirror.find("S-1").status == "active"
    assert "foreign" in git_repo.read("foreign.log").decode()
    hooks.uninstall(git_repo.root)
    assert foreign.read_text(encoding="utf-8") == FOREIGN


def test_a_hooks_path_folder_git_tracks_is_the_teams_and_left_alone(git_repo: GitRepo) -> None:
    committed_repo(git_repo)
    foreign = write_foreign(git_repo.root / ".githooks", "pre-commit")
    git_repo.commit_all("the team's hooks")
    git_repo.git("config", "core.hooksPath", ".githooks")
    with pytest.raises(HookError, match=r"core.hooksPath is .githooks/, a folder Git tracks.*nothing was installed"):
        hooks.install(git_repo.root)
    assert foreign.read_text(encoding="utf-8") == FOREIGN
    assert sorted(p.name for p in foreign.parent.iterdir()) == ["pre-commit"]
    assert git_repo.git("status", "--porcelain").stdout.strip() == ""


def test_linked_worktree(git_repo: GitRepo, tmp_path: Path) -> None:
    committed_repo(git_repo)
    worktree_root = tmp_path / "worktree"
    git_repo.git("worktree", "add", "-q", "-b", "side", str(worktree_root))
    worktree = GitRepo(worktree_root)
    hooks.install(worktree.root)
    # Git runs hooks from the common folder: installing from a worktree puts them there.
    assert hooks.is_ours(git_repo.root / ".git" / "hooks" / "post-commit")
    assert all(s.current for s in hooks.status(git_repo.root))
    with worktree.mirror() as mirror:
        scan(mirror)
    worktree.write("stories/S-1.md", artifact("S-1", "One", "in worktree"))
    worktree.commit_all("in the worktree")
    with worktree.mirror() as mirror:
        assert mirror.find("S-1").status == "in worktree"
        assert mirror.get_meta(MetaKey.GIT_HEAD) == worktree.head()
    assert not (git_repo.root / ".agentsync").exists()  # the main work tree's mirror was not touched


def test_hooks_cli_and_missing_config(tmp_path: Path) -> None:
    from tests.test_cli import run

    repo = make_git_repo(tmp_path / "r")
    code, out, _ = run(repo, "hooks", "status")
    assert code == 1 and "not installed" in out
    code, out, _ = run(repo, "hooks", "install")
    assert code == 0 and "post-commit: installed" in out
    code, out, _ = run(repo, "hooks", "status")
    assert code == 0 and "installed" in out
    # Without agentsync.yaml the hooks say so in one line and never block.
    os.unlink(repo.root / "agentsync.yaml")
    repo.write("notes.txt", "x")
    result = repo.commit_all("no config")
    assert result.returncode == 0
    assert "hook skipped: no agentsync.yaml" in result.stderr
    code, out, _ = run(repo, "hooks", "uninstall")
    assert code == 0 and "post-commit: removed" in out


def test_the_hook_path_stays_light(git_repo: GitRepo) -> None:
    """What git runs on every commit imports no pygit2, click, rich, multiprocessing or remote client,
    and not even ``dataclasses`` (with the inspect, ast and dis it brings, it alone cost a hook process
    more instructions than the whole work of a one-file commit)."""
    committed_repo(git_repo)
    with git_repo.mirror() as mirror:
        scan(mirror)
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    git_repo.commit_all("edit")
    git_repo.age()
    git_repo.config()  # caches the parsed agentsync.yaml, as the first hook after an edit of it does
    heavy = (
        "pygit2",
        "click",
        "rich",
        "multiprocessing",
        "supabase",
        "psycopg",
        "httpx",
        "watchdog",
        "yaml",
        "opentelemetry",
        "pluggy",
        "mcp",
        "dataclasses",
        "inspect",
    )
    probe = (
        "import sys; from agentsync import hookrun; "
        "codes = [hookrun.run('post-commit', []), hookrun.run('pre-commit', [])]; "
        f"print(codes, sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=git_repo.root, env=git_environment(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0, 0] []"
    with git_repo.mirror() as mirror:
        assert mirror.find("S-1").status == "active"


def test_pre_push_passes_stdin_to_a_chained_hook(git_repo: GitRepo, tmp_path: Path) -> None:
    committed_repo(git_repo)
    folder = git_repo.root / ".git" / "hooks"
    folder.mkdir(exist_ok=True)
    recorder = folder / "pre-push"
    recorder.write_text('#!/bin/sh\ncat > "$(git rev-parse --show-toplevel)/pushed.txt"\nexit ${FOREIGN_EXIT:-0}\n')
    recorder.chmod(0o755)
    hooks.install(git_repo.root)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True, env=git_environment())
    pushed = git_repo.git("push", "-q", str(remote), "main")
    assert pushed.returncode == 0
    assert "refs/heads/main" in git_repo.read("pushed.txt").decode()  # the chained hook saw git's stdin
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    git_repo.commit_all("second")
    refused = subprocess.run(
        ["git", "push", "-q", str(remote), "main"], cwd=git_repo.root, env=git_environment(FOREIGN_EXIT="1"),
        capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode != 0  # a failing pre-push of yours still stops the push
