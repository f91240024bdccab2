"""``gitrepo.stage_untracked``: only files Git neither tracks nor ignores are staged, whether the
paths go to git as pathspecs (a few) or are matched against one listing of the tree (many)."""

from __future__ import annotations

import pytest

from agentsync.gitrepo import stage_untracked
from tests.conftest import GitRepo, artifact


@pytest.mark.parametrize("count", [3, 600])
def test_only_untracked_files_not_ignored_are_staged(git_repo: GitRepo, count: int) -> None:
    git_repo.write(".gitignore", "stories/ignored-*.md\n")
    git_repo.write("stories/tracked.md", artifact("S-0"))
    git_repo.commit_all("tracked")
    new = [f"stories/new-{n}.md" for n in range(count)]
    for n, path in enumerate(new):
        git_repo.write(path, artifact(f"S-{n + 1}"))
    git_repo.write("stories/ignored-1.md", artifact("S-X"))
    git_repo.write("stories/not-asked.md", artifact("S-Y"))
    asked = ["stories/tracked.md", "stories/ignored-1.md", "stories/gone.md", *new]
    assert sorted(stage_untracked(git_repo.root, asked)) == sorted(new)
    staged = git_repo.git("diff", "--cached", "--name-only").stdout.split()
    assert sorted(staged) == sorted(new)  # neither the ignored file nor one that was not asked for


def test_a_path_holding_glob_characters_stages_that_file_alone(git_repo: GitRepo) -> None:
    """Paths go to git as pathspecs, which are globs: plans/notes-[ab].md staged this clone's own
    untracked plans/notes-a.md too."""
    git_repo.write("plans/notes-[ab].md", artifact("P-1"))
    git_repo.write("plans/notes-a.md", "my private scratch\n")
    assert stage_untracked(git_repo.root, ["plans/notes-[ab].md"]) == ["plans/notes-[ab].md"]
    assert git_repo.git("diff", "--cached", "--name-only").stdout.split() == ["plans/notes-[ab].md"]


def test_staged_entries_are_real_blobs_with_the_files_stat(git_repo: GitRepo) -> None:
    """The index points at blobs Git holds (written when new), with the file's stat: `git status`
    needs to hash nothing again and finds the staged file unmodified."""
    git_repo.write("stories/tracked.md", artifact("S-0"))
    git_repo.commit_all("tracked")
    new = [f"stories/deep/new-{n}.md" for n in range(3)]
    for n, path in enumerate(new):
        git_repo.write(path, artifact(f"S-{n + 1}") + "x" * n)
    assert sorted(stage_untracked(git_repo.root, new)) == sorted(new)
    for line in git_repo.git("ls-files", "-s", "--", *new).stdout.splitlines():
        mode, oid, _stage, path = line.split(maxsplit=3)
        assert mode == "100644"
        assert oid == git_repo.git("hash-object", "--", path).stdout.strip()
        assert git_repo.git("cat-file", "-t", oid).stdout.strip() == "blob"  # the object exists
    assert git_repo.git("diff-files", "--name-only").stdout == ""  # the work tree matches the index
    assert sorted(git_repo.git("diff", "--cached", "--name-only").stdout.split()) == sorted(new)
