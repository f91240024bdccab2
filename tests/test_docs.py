"""The documentation site builds (``mkdocs build --strict``) and its generated pages keep up with the code:
every command, every config key and every doctor check appears, and the conflict walk-through holds output."""

from __future__ import annotations

import importlib.util
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from agentsync.cli import cli
from agentsync.config import model

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _generator() -> dict[str, Any]:
    return runpy.run_path(str(DOCS / "gen_reference.py"))


def _visible_commands(command: click.Command, path: str = "agentsync") -> list[str]:
    if command.hidden:
        return []
    names = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            names += _visible_commands(sub, f"{path} {name}")
    return names


def test_the_commands_page_has_every_visible_command_and_option():
    page = _generator()["commands_page"]()
    for name in _visible_commands(cli):
        assert f"## `{name}`" in page, name
    assert "hook-run" not in page  # hidden: the hooks' entry, not for people
    assert "`--ttl`" in page and "`--theirs`" in page and "`--json`" in page


def test_the_configuration_page_has_every_key_of_the_model_and_the_template():
    from agentsync.config.template import render_default

    page = _generator()["configuration_page"]()
    for cls in (model.Config, model.TypeConfig, model.WatchSettings, model.ScanSettings):
        for name in cls._fields:
            if name not in ("root", "name"):
                assert f"| `{name}` |" in page, f"{cls.__name__}.{name}"
    assert render_default(project="my-repository") in page
    assert "| `debounce` | `float` | `0.2` | quiet time before a file still being written" in page  # its comment


def test_the_troubleshooting_page_has_every_doctor_check_with_what_it_means():
    generator = _generator()
    source = (ROOT / "agentsync" / "doctor.py").read_text(encoding="utf-8")
    names = list(dict.fromkeys(re.findall(r'Check\(\s*"([a-z_-]+)"', source)))
    checks = generator["doctor_checks"](source)
    assert list(checks) == names
    undescribed = [name for name in names if name not in generator["CHECK_MEANINGS"]]
    assert not undescribed, f"add a line for {undescribed} to CHECK_MEANINGS in docs/gen_reference.py"
    page = generator["troubleshooting_page"]()
    assert "`agentsync hooks install`" in page and "`agentsync remote migrate`" in page


def test_the_conflict_walk_through_holds_captured_output_for_every_step():
    captured = runpy.run_path(str(DOCS / "capture_conflicts.py"))
    page = (DOCS / "conflicts.md").read_text(encoding="utf-8")
    assert captured["missing_steps"](page) == []
    for match in captured["BLOCK"].finditer(page):
        assert match["body"].startswith("```console\n"), f"step {match['name']}: run docs/capture_conflicts.py"
    assert "<<<<<<< local" in page and "commit blocked" in page


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (pip install -e '.[docs]'; the test extra has them)",
)
def test_the_site_builds_with_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    for page in ("reference/configuration", "reference/commands", "troubleshooting", "changelog", "conflicts"):
        assert (site / page / "index.html").is_file(), page
    assert "agentsync remote migrate" in (site / "reference" / "commands" / "index.html").read_text(encoding="utf-8")
    assert not list(site.rglob("*.py")), "the scripts beside the pages are not published"
