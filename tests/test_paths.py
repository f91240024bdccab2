"""Glob matching and path safety."""

from __future__ import annotations

import re

import pytest

from agentsync.errors import PathRefused, UnsafePathError
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


@pytest.mark.parametrize(
    "path, words",
    [
        ("plans/./a.md", ". or .. segments"),  # refused, not quietly normalised: a remote row means one file
        ("plans//a.md", ". or .. segments"),
        ("plans/a.md/", ". or .. segments"),
        ("plans/" + "x" * 300 + ".md", "bytes; a file system holds 255"),
        ("plans/" + "é" * 119 + ".md", "at most 239"),  # 241 bytes: no room for the temp file beside it
        ("plans/" + "d" * 256 + "/a.md", "bytes; a file system holds 255"),
        ("plans/" + "/".join(["abcdefghi"] * 101) + ".md", "characters long; at most 1000"),
        ("plans/a\nb.md", "control character '\\n'"),
        ("plans/a\rb.md", "control character '\\r'"),
        ("plans/a\x00b.md", "NUL"),
        ("plans/a\tb.md", "control character"),
        ("plans/\x1b[31mred.md", "control character '\\x1b'"),
        ("plans/\x9b2J.md", "control character"),
        ("plans/a\u2028b.md", "control character"),
        ("plans/CON.md", "reserved on Windows"),
        ("plans/nul.txt.md", "reserved on Windows"),
        ("plans/com1.md", "reserved on Windows"),
        ("plans/LPT9.md", "reserved on Windows"),
        ("plans/aux/a.md", "reserved on Windows"),
        ("plans/dir./a.md", "ends with a dot or a space"),
        ("plans/dir /a.md", "ends with a dot or a space"),
        ("plans/a:b.md", "contains ':'"),
        ("plans/a.md:stream", "contains ':'"),
        ('plans/a"b.md', "Windows"),
        ("plans/a|b.md", "Windows"),
        ("plans/a?.md", "Windows"),
        ("plans/a*.md", "Windows"),
        ("plans/a<b>.md", "Windows"),
        (".GIT/config.md", "inside .GIT/"),
        ("plans/.git/hooks/x.md", "inside .git/"),
        ("plans/.agentsync/x.md", "inside .agentsync/"),
        ("plans/node_modules/x.md", "never reads or writes"),
        ("plans/\udc80.md", "lone surrogate"),
    ],
)
def test_names_no_file_system_can_hold_are_refused_with_the_reason(path: str, words: str) -> None:
    with pytest.raises(PathRefused) as caught:
        safe_relative(path)
    message = str(caught.value)
    assert words in message, message
    assert "\n" not in message and "\x00" not in message and "\x1b" not in message and len(message) < 400
    assert caught.value.path == path and isinstance(caught.value, UnsafePathError)


@pytest.mark.parametrize(
    "path",
    [
        "plans/a.md",
        "plans/a b.md",
        "plans/Ünïcödé ✓.md",
        "plans/con-artist.md",
        "plans/CONSOLE.md",
        "plans/com10.md",
        "plans/.hidden.md",
        "plans/" + "x" * 236 + ".md",  # 239 bytes: the longest file name
        "plans/" + "d" * 255 + "/a.md",  # 255 bytes: the longest folder name
        "plans/" + "/".join(["abcdefghi"] * 98) + ".md",
    ],
)
def test_names_every_clone_can_hold_pass_unchanged(path: str) -> None:
    assert safe_relative(path) == path
