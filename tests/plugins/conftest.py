"""The example plugin package (examples/plugin), installed by pip into a folder of the test session:
a test that puts the folder on sys.path has it installed (its entry point found as any other)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin"


@pytest.fixture(scope="session")
def example_site() -> Iterator[Path]:
    """Where pip installed agentsync-example-plugin (from a copy: no build files land in the checkout)."""
    folder = Path(tempfile.mkdtemp(prefix="agentsync-example-plugin-"))
    try:
        source = folder / "source"
        shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        site = folder / "site"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(source)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert (site / "agentsync_example").is_dir()
        yield site
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def example_installed(example_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example plugin installed for this test (in-process, and for the processes it starts)."""
    monkeypatch.syspath_prepend(str(example_site))
    monkeypatch.setenv("PYTHONPATH", str(example_site) + ":" + __import__("os").environ.get("PYTHONPATH", ""))
    return example_site
