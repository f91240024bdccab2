"""The changelog and the version agree: the newest release in CHANGELOG.md is agentsync's version,
and the version is written in one place (pyproject.toml reads it from the package)."""

from __future__ import annotations

import re
from pathlib import Path

import agentsync

ROOT = Path(__file__).resolve().parent.parent


def test_the_newest_release_in_the_changelog_is_the_package_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[0] == "Unreleased", "changes since the last release go under `## Unreleased`, first"
    released = [re.match(r"(\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$", heading) for heading in headings[1:]]
    assert released and all(released), f"releases are `## X.Y.Z - YYYY-MM-DD`: {headings[1:]}"
    assert released[0] is not None and released[0].group(1) == agentsync.__version__


def test_the_version_is_written_once() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^dynamic = \[\"version\"\]", pyproject, re.M)
    assert 'version = {attr = "agentsync.__version__"}' in pyproject
    assert not re.search(r"^version = \"", pyproject, re.M)
