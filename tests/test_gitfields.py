"""Git is the authority for git fields: status shows uncommitted changes; export and export --commit
never write a value that did not come from Git; deinit leaves the Markdown as it was."""

from __future__ import annotations

import json

from agentsync.artifact import content_hash
from agentsync.gitfields import refresh_heads
from agentsync.gitrepo import GitRepo as Git
from agentsync.store.meta import MetaKey
from tests.conftest import GitRepo, artifact
from tests.test_cli import run


def started(repo: GitRepo) -> GitRepo:
    repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    repo.write("stories/S-2.md", artifact("S-2", "Two", "active"))
    repo.write(".agent/cache/runbooks/OPS-7.md", "# OPS-7: Restart\n\nStatus: ready\n")
    repo.commit_all("start")
    run(repo, "init")
    return repo


def simulate_remote_edit(repo: GitRepo, artifact_id: str, new_content: str) -> None:
    """What a pull would do to the mirror: new content, not yet in the file."""
    with repo.mirror() as mirror, mirror.transaction() as db:
        db.execute(
            "UPDATE artifacts SET content = ?, hash = ?, status = 'done' WHERE id = ?",
            (new_content, content_hash(new_content.encode()), artifact_id),
        )


def test_status_shows_an_uncommitted_status_change(git_repo: GitRepo) -> None:
    started(git_repo)
    code, out, _ = run(git_repo, "status")
    assert code == 0 and "the work tree matches HEAD" in out
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    git_repo.write(".agent/cache/runbooks/OPS-7.md", "# OPS-7: Restart\n\nStatus: running\n")
    git_repo.write("stories/S-3.md", artifact("S-3", "Three", "draft"))
    git_repo.remove("stories/S-2.md")
    code, out, _ = run(git_repo, "status")
    assert "story:S-1      status: draft (HEAD) -> active (work tree)   stories/S-1.md" in out
    assert "runbook:OPS-7  status: ready (HEAD) -> running (work tree)" in out
    assert "Artifacts not in HEAD yet" in out and "S-3" in out
    assert "gone from the work tree" in out and "S-2" in out
    code, out, _ = run(git_repo, "status", "--json")
    found = {(d["id"], d["state"]): d for d in json.loads(out)["differences"]}
    assert found[("S-1", "changed")]["head"] == "draft" and found[("S-1", "changed")]["work_tree"] == "active"
    assert ("S-3", "new") in found and ("S-2", "deleted") in found
    git_repo.commit_all("commit them")
    code, out, _ = run(git_repo, "status")
    assert "the work tree matches HEAD" in out


def test_status_says_a_file_that_could_not_be_mirrored_is_not_gone(git_repo: GitRepo) -> None:
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "draft"))
    git_repo.write("stories/S-2.md", artifact("S-2", "Two", "active"))
    git_repo.commit_all("start")
    git_repo.write("stories/S-2.md", "---\nid: S-2\nstatus: [active\n---\n")  # then mirrored for the first time
    run(git_repo, "init")
    code, out, _ = run(git_repo, "status")
    assert "gone from the work tree" not in out
    assert "Artifacts at HEAD whose work-tree file could not be mirrored:" in out
    line = next(line for line in out.splitlines() if "S-2" in line)
    assert "status: active (HEAD); could not be mirrored (invalid YAML" in line and line.endswith("stories/S-2.md")
    code, out, _ = run(git_repo, "status", "--json")
    assert code == 0
    (found,) = [d for d in json.loads(out)["differences"] if d["id"] == "S-2"]
    assert found["state"] == "unmirrored" and found["reason"].startswith("invalid YAML")


def test_export_after_a_remote_status_change_keeps_gits_value(git_repo: GitRepo) -> None:
    started(git_repo)
    remote = artifact("S-1", "One", "done", body="Body, edited remotely.\n")
    simulate_remote_edit(git_repo, "S-1", remote)
    code, out, err = run(git_repo, "export")
    assert code == 0, err
    assert "1 written" in out
    assert "S-1.md: status 'done' did not come from Git; kept 'draft' from HEAD (committed artifact" in err
    written = git_repo.read("stories/S-1.md").decode()
    assert written == artifact("S-1", "One", "draft", body="Body, edited remotely.\n")  # only status differs
    with git_repo.mirror() as mirror:
        assert mirror.find("S-1").status == "draft"


def test_export_keeps_an_uncommitted_work_tree_status(git_repo: GitRepo) -> None:
    started(git_repo)
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    run(git_repo, "mirror")
    simulate_remote_edit(git_repo, "S-1", artifact("S-1", "One", "done", body="Remote body.\n"))
    run(git_repo, "export")
    assert git_repo.read("stories/S-1.md").decode() == artifact("S-1", "One", "active", body="Remote body.\n")


def test_a_remote_text_with_heads_value_over_an_uncommitted_one_says_so(git_repo: GitRepo) -> None:
    """The remote's status is HEAD's (draft), the work tree's an uncommitted active: 'draft did not come from
    Git' was said of HEAD's own value."""
    started(git_repo)
    git_repo.write("stories/S-1.md", artifact("S-1", "One", "active"))
    run(git_repo, "mirror")
    simulate_remote_edit(git_repo, "S-1", artifact("S-1", "One", "draft", body="Remote body.\n"))
    code, _, err = run(git_repo, "export")
    assert code == 0, err
    assert "S-1.md: status 'draft' (HEAD's) not written over 'active', the work tree's uncommitted value" in err
    assert "did not come from Git" not in err
    assert git_repo.read("stories/S-1.md").decode() == artifact("S-1", "One", "active", body="Remote body.\n")


def test_export_of_a_file_missing_from_the_work_tree_takes_head(git_repo: GitRepo) -> None:
    started(git_repo)
    simulate_remote_edit(git_repo, "S-2", artifact("S-2", "Two", "done"))
    git_repo.remove("stories/S-2.md")
    code, _, err = run(git_repo, "export")
    assert code == 0, err
    assert git_repo.read("stories/S-2.md").decode() == artifact("S-2", "Two", "active")


def test_export_commit(git_repo: GitRepo) -> None:
    started(git_repo)
    simulate_remote_edit(git_repo, "S-1", artifact("S-1", "One", "done", body="New body.\n"))
    git_repo.write("notes.txt", "unrelated, staged\n")
    git_repo.git("add", "notes.txt")
    code, _, err = run(git_repo, "export", "--commit", "-m", "Export from agentsync")
    assert code == 1 and "other changes are staged (notes.txt)" in err
    assert git_repo.read("stories/S-1.md").decode() == artifact("S-1", "One", "draft")  # nothing written
    git_repo.git("restore", "--staged", "notes.txt")
    before = git_repo.head()
    code, out, err = run(git_repo, "export", "--commit", "-m", "Export from agentsync")
    assert code == 0, err
    assert "committed" in out
    log = git_repo.git("log", "-1", "--format=%an <%ae>|%s|%P").stdout.strip()
    assert log == f"Ada Tester <ada@example.com>|Export from agentsync|{before}"
    changed = git_repo.git("show", "--name-only", "--format=", "HEAD").stdout.split()
    assert changed == ["stories/S-1.md"]
    assert git_repo.git("status", "--porcelain").stdout.splitlines() == ["?? notes.txt"]
    shown = git_repo.git("show", "HEAD:stories/S-1.md").stdout
    assert "New body." in shown and "status: draft" in shown
    with git_repo.mirror() as mirror:
        refresh_heads(mirror, Git(git_repo.root))
        assert mirror.get_meta(MetaKey.GIT_HEAD) == git_repo.head()
    code, out, _ = run(git_repo, "export", "--commit", "-m", "again")
    assert code == 0 and "nothing to commit" in out
    code, _, _ = run(git_repo, "export", "--commit")
    assert code == 2


def test_deinit_restores_plain_markdown(git_repo: GitRepo) -> None:
    started(git_repo)
    hooks_folder = git_repo.root / ".git" / "hooks"
    hooks_folder.mkdir(exist_ok=True)
    (hooks_folder / "post-merge").write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    run(git_repo, "hooks", "install")
    files = {p: p.read_bytes() for p in git_repo.root.rglob("*.md") if ".git" not in p.parts}
    code, out, _ = run(git_repo, "deinit")
    assert code == 0
    assert "removed .agentsync/" in out and "kept agentsync.yaml" in out
    assert not (git_repo.root / ".agentsync").exists()
    assert (hooks_folder / "post-merge").read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
    assert not (hooks_folder / "post-commit").exists()
    assert {p: p.read_bytes() for p in git_repo.root.rglob("*.md") if ".git" not in p.parts} == files
    code, out, _ = run(git_repo, "deinit", "--config")
    assert code == 0 and not (git_repo.root / "agentsync.yaml").exists()
    assert git_repo.git("status", "--porcelain").stdout.splitlines() == [" D agentsync.yaml"]  # only that


def test_export_rewrites_every_spelling_of_a_git_field(git_repo: GitRepo) -> None:
    """A duplicate, a quoted and a complex key, a second State section: all take Git's value, so
    `agentsync status` and yaml.safe_load both read what HEAD has (they read HACKED before)."""
    import yaml

    started(git_repo)
    hostile = "status: draft\nstatus: HACKED4\n'status': HACKED5\n? status\n: HACKED6\n"
    simulate_remote_edit(
        git_repo, "S-1", artifact("S-1", "One", "draft", body="Remote.\n").replace("status: draft\n", hostile)
    )
    simulate_remote_edit(git_repo, "OPS-7", "# OPS-7: Restart\n\nStatus: ready\n\n## State\n\nHACKED7\n")
    code, _, err = run(git_repo, "export")
    assert code == 0, err
    written = git_repo.read("stories/S-1.md").decode()
    assert "Remote." in written and "HACKED" not in written
    assert yaml.safe_load(written.split("---\n")[1])["status"] == "draft"
    assert (
        git_repo.read(".agent/cache/runbooks/OPS-7.md").decode()
        == "# OPS-7: Restart\n\nStatus: ready\n\n## State\n\nready\n"
    )
    code, out, _ = run(git_repo, "status")
    assert "the work tree matches HEAD" in out and "HACKED" not in out


def test_export_refuses_a_git_field_it_cannot_rewrite(git_repo: GitRepo) -> None:
    started(git_repo)
    before = git_repo.read("stories/S-1.md")
    simulate_remote_edit(git_repo, "S-1", "---\nid: S-1\nbase: &x HACKED\nstatus: *x\n---\n\nRemote.\n")
    code, _, err = run(git_repo, "export")
    assert code == 1
    assert "stories/S-1.md sets status to 'HACKED' through an anchor or alias; Git says 'draft'; not applied" in err
    assert git_repo.read("stories/S-1.md") == before


def test_prefetched_head_values_are_the_ones_asked_one_by_one(git_repo: GitRepo) -> None:
    """A pull reads a chunk's HEAD values at once (``GitFieldGuard.prefetch``): by path, else by id
    after a rename, None for an artifact HEAD lacks; the same values as one query per artifact."""
    from agentsync.artifact import parse_text
    from agentsync.gitfields import GitFieldGuard

    started(git_repo)
    texts = {"stories/S-1.md": artifact("S-1", "One", "active"), "stories/moved/S-2.md": artifact("S-2", "Two", "x"),
             "stories/S-9.md": artifact("S-9", "Nine", "new")}  # fmt: skip
    with git_repo.mirror() as mirror:
        parsed = [parse_text(path, text, "story", content_hash(text.encode()), mirror.config.id_rule("story"))
                  for path, text in texts.items()]  # fmt: skip
        one_by_one = [GitFieldGuard(mirror).expected(a, None) for a in parsed]
        guard = GitFieldGuard(mirror)
        guard.prefetch((a.key, a.path) for a in parsed)
        assert len(guard._prefetched) == 3
        assert [guard.expected(a, None) for a in parsed] == one_by_one
    assert one_by_one == [{"status": "draft"}, {"status": "active"}, None]
