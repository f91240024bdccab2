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
