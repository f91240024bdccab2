"""Glob matching and path safety."""

from __future__ import annotations

import re

import pytest

from agentsync.errors import UnsafePathError
from agentsync.paths import glob_to_regex, safe_relative, static_prefix


@pytest.mark.parametrize(
    "glob, path, matches",
    [
        ("plans/**/*.md", "plans/a.md", True),
        ("plans/**/*.md", "plans/x/y/a.md", True),
        ("plans/**/*.md", "plansx/a.md", False),
        ("plans/*.md", "plans/x/a.md", False),
        ("docs/?lans/*.md", "docs/plans/a.md", True),
        ("[ab]/*.md", "b/x.md", True),
        ("[!ab]/*.md", "a/x.md", False),
    ],
)
def test_glob_to_regex(glob: str, path: str, matches: bool) -> None:
    assert bool(re.fullmatch(glob_to_regex(glob), path)) is matches


def test_static_prefix() -> None:
    assert static_prefix(".agent/cache/plans/**/*.md") == ".agent/cache/plans"
    assert static_prefix("*/plans/*.md") == ""
    assert static_prefix("a.md") == ""


@pytest.mark.parametrize("path", ["/etc/passwd", "../x.md", "plans/../../x.md", "", ".git/config", "a\\b.md", "C:x"])
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_relative(path)


def test_safe_path_is_normalised() -> None:
    assert safe_relative("plans/./a.md") == "plans/a.md"
