"""A report's problems are plain values that read exactly like the errors they stand for."""

from __future__ import annotations

import pickle

import pytest

from agentsync.errors import (
    AgentsyncError,
    ArtifactError,
    DuplicateIdError,
    PathRefused,
    Problem,
    RemoteError,
    UnsafePathError,
    listed,
)

ERRORS: list[AgentsyncError] = [
    ArtifactError("plans/a.md", "invalid YAML", 3),
    ArtifactError("plans/a.md", "binary file"),
    ArtifactError("plans/a.md", "line 0 means the whole file", 0),
    DuplicateIdError("P-1", ["plans/b.md", "plans/a.md"]),
    PathRefused("plans/x\n.md", "folder plans is a symlink"),
    PathRefused("p" * 200 + ".md", "too long"),
    UnsafePathError("refused: outside the repository"),
    RemoteError("the remote refused: permission denied"),
    AgentsyncError("boom"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_a_problem_reads_like_its_error_and_is_plain_data(error: AgentsyncError) -> None:
    problem = Problem.of(error)
    assert str(problem) == str(error)
    assert not isinstance(problem, BaseException)
    assert pickle.loads(pickle.dumps(problem)) == problem  # a value: compared, copied, sent to a process
    with pytest.raises(AttributeError):  # immutable
        problem.message = "changed"  # type: ignore[misc]


def test_each_kind_keeps_the_fields_its_callers_read() -> None:
    assert Problem.of(ArtifactError("plans/a.md", "bad", 3)) == Problem("plans/a.md", 3, "bad", "file")
    duplicate = Problem.of(DuplicateIdError("P-1", ["plans/b.md", "plans/a.md"]))
    assert (duplicate.kind, duplicate.artifact_id) == ("duplicate_id", "P-1")
    assert duplicate.paths == ("plans/a.md", "plans/b.md") and duplicate.path == "plans/a.md"
    assert duplicate == Problem.duplicate_id("P-1", ["plans/a.md", "plans/b.md"])
    refused = Problem.of(PathRefused("plans/x.md", "is a folder"))
    assert (refused.kind, refused.path, refused.message) == ("unsafe_path", "plans/x.md", "is a folder")
    other = Problem.of(RemoteError("unreachable"))
    assert (other.kind, other.path, other.line, other.message) == ("error", "", None, "unreachable")


def test_a_long_list_ends_and_n_more_and_the_line_stays_under_300() -> None:
    paths = [f"decisions/{n:04}-a-decision-with-a-long-folder-name/README.md" for n in range(450)]
    text = str(DuplicateIdError("README", paths))
    assert len(text) <= 300 and "and 448 more: each is its folder's README" in text
    assert text.startswith(f"duplicate id 'README' in {paths[0]}, {paths[1]} and 448 more")
    assert str(Problem.duplicate_id("README", paths)) == text
    assert listed([]) == "" and listed(["a"]) == "a" and listed(["a", "b"]) == "a and b"
    assert listed(["a", "b", "c"]) == "a, b and c"
    assert listed(["x" * 500, "y"]) == f"{'x' * 500} and 1 more"  # one name is always shown


def test_a_duplicate_id_of_folder_readmes_says_how_to_name_them() -> None:
    """golang/proposal's design/44167/README.md and design/48409/README.md: renaming one is no fix."""
    problem = Problem.duplicate_id("design:README", ["design/48409/README.md", "design/44167/README.md"])
    assert "`id_from: path`" in str(problem) and "another id" not in str(problem)
    assert "another id" in str(Problem.duplicate_id("plan:P-1", ["plans/a.md", "plans/README.md"]))
