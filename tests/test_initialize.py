"""`init`'s project: the whole origin (host, owner, name), the same for every spelling of one
repository, different for two repositories of one name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentsync.initialize import default_project_name, project_from_origin
from tests.conftest import make_git_repo


@pytest.mark.parametrize(
    "origin",
    ["https://github.com/alice/notes.git", "git@github.com:alice/notes.git", "ssh://git@GitHub.com:22/alice/notes",
     "https://alice:secret@github.com/alice/notes/"],
)  # fmt: skip
def test_every_spelling_of_one_origin_gives_one_project(origin: str) -> None:
    assert project_from_origin(origin) == "github.com-alice-notes"


def test_two_owners_repositories_of_one_name_are_two_projects() -> None:
    origins = ("https://github.com/alice/notes", "https://github.com/bob/notes", "https://gitlab.com/alice/notes",
               "/srv/a/notes", "/srv/b/notes")  # fmt: skip
    names = {project_from_origin(origin) for origin in origins}
    assert len(names) == 5


def test_a_long_origin_keeps_its_end_and_a_hash_of_the_whole() -> None:
    first, second = project_from_origin("/x/" + "a" * 150 + "/repo"), project_from_origin("/y/" + "a" * 150 + "/repo")
    assert first != second and len(first) <= 100 and "repo-" in first
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", first)  # the remote's (and the config's) rule


def test_repositories_cloned_from_folders_of_one_name_get_their_own_projects(tmp_path: Path) -> None:
    projects = set()
    for where in ("one", "two", "three"):
        clone = make_git_repo(tmp_path / where / "repo")
        clone.git("remote", "add", "origin", str(tmp_path / where / "upstream" / "repo"))
        projects.add(default_project_name(clone.root))
    assert len(projects) == 3


def test_without_an_origin_the_folder_name_gets_a_random_tail(tmp_path: Path) -> None:
    a, b = make_git_repo(tmp_path / "a" / "repo"), make_git_repo(tmp_path / "b" / "repo")
    first, second = default_project_name(a.root), default_project_name(b.root)
    assert first.startswith("repo-") and second.startswith("repo-") and first != second
