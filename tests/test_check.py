"""``agentsync check``: each rule on real files, and staged mode reading the index, not the work tree."""

from __future__ import annotations

import json

from tests.conftest import GitRepo, Repo, artifact
from tests.test_cli import run

STRICT = """
required_fields: [id, title, owner]
allowed_values:
  status: [draft, active, done]
"""


def strict(repo: Repo) -> None:
    path = repo.root / "agentsync.yaml"
    path.write_text(path.read_text(encoding="utf-8") + STRICT, encoding="utf-8")


def test_each_rule_has_a_clear_per_file_message(repo: Repo) -> None:
    strict(repo)
    repo.write("stories/ok.md", artifact("S-1", status="draft").replace("version: 1", "owner: ada"))
    repo.write("stories/bad-yaml.md", "---\nid: S-2\ntitle: [unclosed\n---\n")
    repo.write("stories/no-owner.md", artifact("S-3", status="draft"))
    repo.write("stories/bad-status.md", artifact("S-4", status="Shipped").replace("version: 1", "owner: bo"))
    repo.write("stories/conflict.md", artifact("S-5", status="draft").replace("version: 1", "owner: c")
               + "<<<<<<< local\nmine\n=======\ntheirs\n>>>>>>> remote v3 by bo@example.com\n")  # fmt: skip
    repo.write("stories/dup.md", artifact("S-1", status="draft").replace("version: 1", "owner: d"))
    code, out, err = run(repo, "check")
    assert code == 1
    assert "checked 6 artifact files: " in out
    assert "stories/bad-yaml.md:3:" in err
    assert "stories/no-owner.md:1: missing required frontmatter key(s): owner" in err
    assert "stories/bad-status.md:4: status 'Shipped' is not allowed; use one of: draft, active, done" in err
    assert "stories/conflict.md:11: unresolved sync conflict marker" in err
    assert "stories/conflict.md:15: unresolved sync conflict marker" in err
    assert "duplicate id 'S-1' (type story) in stories/dup.md and stories/ok.md" in err
    assert all("duplicate id" in line for line in err.splitlines() if line.startswith("stories/ok.md"))
    assert all(line.startswith("stories/") for line in err.splitlines())  # `path:line: message`, no prefix


def test_named_paths_and_json(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1"))
    repo.write("stories/b.md", "---\nid: S-2\n  bad: indent\n---\n")
    repo.write("README.md", "not an artifact")
    code, out, _ = run(repo, "check", "--json", str(repo.root / "stories/a.md"), str(repo.root / "README.md"))
    assert code == 0
    assert json.loads(out) == {"ok": True, "checked": ["stories/a.md"], "problems": []}
    code, out, _ = run(repo, "check", "--json", str(repo.root / "stories/b.md"))
    assert code == 1
    problems = json.loads(out)["problems"]
    assert problems[0]["path"] == "stories/b.md" and problems[0]["line"] == 3


def test_a_stale_mirror_does_not_invent_a_clash(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1"))
    run(repo, "mirror")
    repo.write("stories/a.md", artifact("S-9"))  # not mirrored yet
    repo.write("stories/b.md", artifact("S-1"))
    code, _, err = run(repo, "check", str(repo.root / "stories/b.md"))
    assert code == 0, err


def test_staged_reads_the_index(git_repo: GitRepo) -> None:
    git_repo.write("stories/a.md", artifact("S-1"))
    git_repo.commit_all("start")
    git_repo.write("stories/a.md", artifact("S-1") + ">>>>>>> remote v2 by bo\n")
    git_repo.git("add", "stories/a.md")
    git_repo.write("stories/a.md", artifact("S-1", title="fixed in the work tree only"))
    code, _, err = run(git_repo, "check", "--staged")
    assert code == 1 and "stories/a.md:11: unresolved sync conflict marker" in err
    code, _, err = run(git_repo, "check")
    assert code == 0, err
    code, _, _ = run(git_repo, "check", "--staged", "stories/a.md")
    assert code == 2
