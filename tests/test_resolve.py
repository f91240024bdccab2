"""Merging on pull and the resolve workflow, from the CLI, on a real PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync.remotes import migrations
from tests.conftest import GitRepo, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run

DOC = """---
id: S-1
title: Checkout
status: DRAFT
version: 1
owner: ada
---

# Checkout

First paragraph.

Second paragraph.

Third paragraph.
"""


@pytest.fixture
def pair(tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GitRepo, GitRepo]]:  # noqa: F811
    """Two clones that both have S-1 at v1, synced."""
    with connect(database) as connection:
        migrations.migrate(connection)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", database)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    a, b = make_git_repo(tmp_path / "a"), make_git_repo(tmp_path / "b")
    b.git("config", "user.email", "bo@example.com")
    for clone in (a, b):
        clone.write("agentsync.yaml", clone.read("agentsync.yaml").decode() + "project: team\n")
        clone.write("stories/S-1.md", DOC)
        clone.commit_all("S-1")
    assert run(a, "push")[0] == 0
    assert run(b, "pull")[0] == 0
    yield a, b


def edit(repo: GitRepo, old: str, new: str, path: str = "stories/S-1.md") -> None:
    text = repo.read(path).decode()
    assert old in text, old
    repo.write(path, text.replace(old, new))


def test_edits_of_different_parts_merge_and_both_clones_converge(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    edit(a, "First paragraph.", "First, by Ada.")
    edit(a, "owner: ada", "owner: cy")
    edit(b, "Third paragraph.", "Third, by Bo.")
    assert run(a, "push")[0] == 0
    code, out, err = run(b, "pull")
    assert code == 0 and "1 merged" in out, err
    merged = b.read("stories/S-1.md").decode()
    assert "First, by Ada." in merged and "Third, by Bo." in merged and "owner: cy" in merged
    assert "version: 2" in merged
    assert run(b, "push")[0] == 0
    assert run(a, "pull")[0] == 0
    assert a.read("stories/S-1.md") == b.read("stories/S-1.md")
    assert "version: 2" in a.read("stories/S-1.md").decode()  # merged onto v2; pushed as v3, the file untouched


def test_a_conflict_is_marked_listed_blocks_commits_and_resolves_as_merged(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    edit(a, "title: Checkout", "title: Checkout for Ada")
    edit(b, "title: Checkout", "title: Checkout for Bo")
    edit(b, "Second paragraph.", "Second, by Bo.")  # merges cleanly beside the conflict
    assert run(a, "push")[0] == 0
    code, _, err = run(b, "pull")
    assert code == 1 and "conflicting key title" in err
    text = b.read("stories/S-1.md").decode()
    assert "<<<<<<< local\ntitle: Checkout for Bo\n=======\ntitle: Checkout for Ada\n>>>>>>> remote v2 by ada" in text
    assert text.count("<<<<<<<") == 1 and "Second, by Bo." in text
    code, out, _ = run(b, "conflicts")
    assert code == 1 and out.startswith("story:S-1") and "conflicting key title" in out
    code, out, err = run(b, "check", "stories/S-1.md")
    assert code == 1 and "conflict marker" in out + err
    code, _, err = run(b, "resolve", "S-1", "--merged")
    assert code == 1 and "still has conflict markers" in err
    marked = "\n".join(["<<<<<<< local", "title: Checkout for Bo", "=======", "title: Checkout for Ada",
                        ">>>>>>> remote v2 by ada@example.com", ""])  # fmt: skip
    b.write("stories/S-1.md", text.replace(marked, "title: Checkout for Ada and Bo\n"))
    code, out, err = run(b, "resolve", "S-1", "--merged")
    assert code == 0 and "resolved story:S-1" in out, err
    assert run(b, "conflicts")[0] == 0
    assert run(b, "push")[0] == 0 and run(a, "pull")[0] == 0
    final = a.read("stories/S-1.md").decode()
    # merged onto v2 (and pushed as v3: a push writes no file)
    assert "title: Checkout for Ada and Bo" in final and "Second, by Bo." in final and "version: 2" in final


@pytest.mark.parametrize("side", ["ours", "theirs", "edit"])
def test_resolve_by_taking_a_side_or_editing(pair: tuple[GitRepo, GitRepo], side: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    a, b = pair
    edit(a, "Second paragraph.", "Second, by Ada.")
    edit(b, "Second paragraph.", "Second, by Bo.")
    assert run(a, "push")[0] == 0
    assert run(b, "pull")[0] == 1
    if side == "edit":  # an "editor" that keeps both lines and drops the markers
        editor = tmp_path / "editor.py"
        editor.write_text(
            "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
            "kept = [l for l in p.read_text().splitlines(True) if not l.startswith(('<<<', '===', '>>>'))]\n"
            "p.write_text(''.join(kept))\n"
        )
        monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    code, _, err = run(b, "resolve", "S-1", f"--{side}")
    assert code == 0, err
    assert run(b, "push")[0] == 0 and run(a, "pull")[0] == 0
    final = a.read("stories/S-1.md").decode()
    assert a.read("stories/S-1.md") == b.read("stories/S-1.md")
    expected = {
        "ours": ["Second, by Bo."],
        "theirs": ["Second, by Ada."],
        "edit": ["Second, by Bo.", "Second, by Ada."],
    }
    assert all(line in final for line in expected[side]) and "<<<<<<<" not in final


@pytest.mark.parametrize("side", ["ours", "merged"])
def test_resolving_a_file_without_frontmatter_keeps_it_without(pair: tuple[GitRepo, GitRepo], side: str) -> None:
    """A Nygard ADR resolved --ours or --merged got a frontmatter block holding the version, and the
    clone that pulled it another one with its status: two layouts of one record, neither pushed."""
    a, b = pair
    plain = "# 1. Use a queue\n\n## Status\n\nAccepted\n\n## Decision\n\nWe use PostgreSQL.\n"
    for clone in (a, b):
        clone.write("stories/S-2.md", plain)
        clone.commit_all("S-2")
    assert run(a, "push")[0] == 0 and run(b, "pull")[0] == 0
    edit(a, "We use PostgreSQL.", "We use PostgreSQL 16.", "stories/S-2.md")
    edit(b, "We use PostgreSQL.", "We use SQLite.", "stories/S-2.md")
    assert run(a, "push")[0] == 0 and run(b, "pull")[0] == 1
    if side == "merged":
        b.write("stories/S-2.md", plain.replace("PostgreSQL.", "SQLite, then PostgreSQL 16."))
    code, _, err = run(b, "resolve", "S-2", f"--{side}")
    assert code == 0, err
    assert not b.read("stories/S-2.md").startswith(b"---")
    assert run(b, "push")[0] == 0 and run(a, "pull")[0] == 0
    pulled = a.read("stories/S-2.md")
    assert pulled == b.read("stories/S-2.md") and b"## Status\n\nAccepted\n" in pulled


def test_a_git_field_changed_on_the_remote_never_reaches_the_work_tree(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    edit(a, "status: DRAFT", "status: DONE")
    edit(a, "First paragraph.", "First, by Ada.")
    edit(b, "Third paragraph.", "Third, by Bo.")
    assert run(a, "push")[0] == 0
    code, _, err = run(b, "pull")
    merged = b.read("stories/S-1.md").decode()
    assert code == 0 and "status: DRAFT" in merged and "First, by Ada." in merged and "kept Git's value" in err


def test_delete_against_edit_the_edit_wins_both_ways(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    a.remove("stories/S-1.md")
    edit(b, "First paragraph.", "First, by Bo.")
    assert run(a, "push")[0] == 0  # v2: a tombstone
    code, _, err = run(b, "pull")
    assert code == 0 and "restored: story:S-1" in err and "First, by Bo." in b.read("stories/S-1.md").decode()
    assert "restored story:S-1: deleted on the remote" in (b.root / ".agentsync" / "agentsync.log").read_text()
    assert run(b, "push")[0] == 0  # brings it back on the remote
    code, _, err = run(a, "pull")
    assert code == 0 and "First, by Bo." in a.read("stories/S-1.md").decode(), err

    b.remove("stories/S-1.md")  # and the other way: deleted here, edited there
    edit(a, "Second paragraph.", "Second, by Ada.")
    assert run(a, "push")[0] == 0
    code, _, err = run(b, "pull")
    assert code == 0 and "restored: story:S-1" in err and "Second, by Ada." in b.read("stories/S-1.md").decode()


def test_rename_against_edit_both_apply(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    (a.root / "stories/S-1.md").rename(a.root / "stories/checkout.md")
    edit(b, "Third paragraph.", "Third, by Bo.")
    assert run(a, "push")[0] == 0
    code, out, err = run(b, "pull")
    assert code == 0 and "1 merged" in out, err
    assert not (b.root / "stories/S-1.md").exists()
    assert "Third, by Bo." in b.read("stories/checkout.md").decode()
    assert run(b, "push")[0] == 0 and run(a, "pull")[0] == 0
    assert a.read("stories/checkout.md") == b.read("stories/checkout.md")


def test_strategies_per_type_and_a_resolver_from_an_entry_point(
    pair: tuple[GitRepo, GitRepo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database: str,  # noqa: F811
) -> None:
    a, b = pair
    config = b.read("agentsync.yaml").decode()

    rounds = iter(range(1, 10))

    def conflict_on_second() -> None:
        """Both clones rewrite the line starting with "Second", differently; A pushes first."""
        number = next(rounds)
        for repo, who in ((a, "Ada"), (b, "Bo")):
            text = repo.read("stories/S-1.md").decode()
            line = next(line for line in text.splitlines() if line.startswith("Second"))
            repo.write("stories/S-1.md", text.replace(line, f"Second, by {who} {number}."))
        assert run(a, "push")[0] == 0

    b.write("agentsync.yaml", config + "strategies: {story: ours}\n")
    conflict_on_second()
    code, out, err = run(b, "pull")
    assert code == 0 and "resolved by strategy: story:S-1: ours: kept this clone's version" in err, out
    assert (
        "Second, by Bo 1." in b.read("stories/S-1.md").decode() and "<<<<<<<" not in b.read("stories/S-1.md").decode()
    )
    assert run(b, "push")[0] == 0
    with connect(database) as connection:
        summary = connection.execute(
            "SELECT summary FROM agentsync.history WHERE artifact_id = 'S-1' ORDER BY version DESC LIMIT 1"
        ).fetchone()
    assert summary is not None and summary[0].startswith("ours: kept this clone's version over the remote's v")
    assert run(a, "pull")[0] == 0

    # A team's own resolver, found through the agentsync.resolvers entry point.
    plugin = tmp_path / "plugin"
    (plugin / "team_resolver-1.0.dist-info").mkdir(parents=True)
    (plugin / "team_resolver-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: team-resolver\nVersion: 1.0\n"
    )
    (plugin / "team_resolver-1.0.dist-info" / "entry_points.txt").write_text(
        "[agentsync.resolvers]\nboth = team_resolver:keep_both\n"
    )
    (plugin / "team_resolver.py").write_text(
        "def keep_both(sides):\n"
        "    extra = [l for l in sides.theirs.splitlines(True) if l.startswith('Second') and l not in sides.ours]\n"
        "    return sides.ours + ''.join(extra)\n"
    )
    monkeypatch.syspath_prepend(str(plugin))
    b.write("agentsync.yaml", config + "strategies: {story: both}\n")
    conflict_on_second()
    code, out, err = run(b, "pull")
    merged = b.read("stories/S-1.md").decode()
    assert code == 0 and "resolved by both" in err, out
    assert "Second, by Bo 2." in merged and "Second, by Ada 2." in merged and "status: DRAFT" in merged

    b.write("agentsync.yaml", config + "strategies: {story: nowhere}\n")
    conflict_on_second()
    code, _, err = run(b, "pull")
    assert code == 1 and "no conflict resolver named 'nowhere'" in err
    b.write("agentsync.yaml", config + "strategies: {storyy: ours}\n")
    code, _, err = run(b, "pull")
    assert code == 1 and "`strategies.storyy` is not an artifact type" in err


def test_diff_shows_base_local_and_remote_of_a_conflict(pair: tuple[GitRepo, GitRepo]) -> None:
    import json

    a, b = pair
    edit(a, "Second paragraph.", "Second, by Ada.")
    edit(b, "Second paragraph.", "Second, by Bo.")
    assert run(a, "push")[0] == 0
    assert run(b, "pull")[0] == 1
    code, out, _ = run(b, "diff", "S-1")
    row = next(line for line in out.splitlines() if "Second, by Bo." in line)
    assert code == 1 and "remote v2 by ada@example.com" in out
    assert row.index("Second paragraph.") < row.index("Second, by Bo.") < row.index("Second, by Ada.")
    code, out, _ = run(b, "diff", "S-1", "--json")
    sides = json.loads(out)
    assert "Second paragraph." in sides["base"] and "Second, by Bo." in sides["local"]
    assert "Second, by Ada." in sides["remote"] and sides["remote_version"] == 2


def test_a_push_that_meets_a_newer_version_merges_and_pushes_the_merge(pair: tuple[GitRepo, GitRepo]) -> None:
    a, b = pair
    edit(a, "First paragraph.", "First, by Ada.")
    edit(b, "Third paragraph.", "Third, by Bo.")
    assert run(a, "push")[0] == 0
    code, out, err = run(b, "push")
    assert code == 0 and "S-1 changed on the remote (v2 by ada@example.com) since this clone's copy: merging" in err
    assert "conflict" not in err
    assert "pushed 1 artifact(s), 1 after merging" in out
    assert run(a, "pull")[0] == 0
    final = a.read("stories/S-1.md").decode()
    # merged onto v2 (and pushed as v3: a push writes no file)
    assert "First, by Ada." in final and "Third, by Bo." in final and "version: 2" in final
    assert a.read("stories/S-1.md") == b.read("stories/S-1.md")
