"""The wheel is the product: built from this checkout, installed in a fresh venv and used in a
repository with no source tree around, it must carry its templates, hook scripts and
migrations and run the everyday commands end to end on the embedded `local` remote.

Nothing is downloaded: the fresh venv finds its dependencies in the test interpreter's
site-packages through a .pth line (as tests/bench/bench_hooks.py does), and pip installs the
wheel into it with ``--python``, so its console script runs that venv's interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import git_environment

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        cwd=out,
    )
    return next(out.glob("agentsync-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # Dependencies only: a path line is not a site dir, so the checkout's editable finder there stays off.
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def environment(venv: Path) -> dict[str, str]:
    env = git_environment()
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    test_bin = os.path.dirname(sys.executable)
    rest = [p for p in env["PATH"].split(os.pathsep) if p and p != test_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *rest])
    return env


def agentsync(venv: Path, cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [str(venv / "bin" / "agentsync"), *args], cwd=cwd, env=environment(venv), capture_output=True, text=True
    )
    assert result.returncode == 0, f"agentsync {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def test_the_wheel_carries_templates_hook_scripts_and_every_migration(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {f"agentsync/sql/{p.name}" for p in (ROOT / "sql").glob("*.sql")}
    assert migrations and migrations <= names
    templates = {f"agentsync/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*.md")}  # fmt: skip
    assert "agentsync/templates/layouts/nygard.md" in templates
    assert templates and templates <= names
    assert "agentsync/hookscripts/agentsync-hook.sh" in names
    assert "agentsync/__main__.py" in names
    assert not any(name.startswith(("tests/", "docs/")) for name in names)


def test_a_fresh_venv_runs_the_everyday_commands_with_no_source_tree(venv: Path, tmp_path: Path):
    env = environment(venv)
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import agentsync; print(agentsync.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(venv)), where  # the wheel's copy, not the checkout's
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "agentsync", "--version"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    from agentsync import __version__

    assert __version__ in version

    first = tmp_path / "wheelcheck"
    first.mkdir()
    git(first, "init", "-q", "-b", "main", env=env)
    agentsync(venv, first, "init")
    out = agentsync(venv, first, "new", "story", "Shipped from a wheel")
    stories = list((first / "stories").glob("*.md"))
    assert len(stories) == 1 and "Shipped from a wheel" in stories[0].read_text(encoding="utf-8"), out
    agentsync(venv, first, "hooks", "install")
    hook = (first / ".git" / "hooks" / "post-commit").read_text(encoding="utf-8")
    assert f"PYTHON='{venv / 'bin' / 'python'}'" in hook
    git(first, "add", "-A", env=env)
    git(first, "commit", "-q", "-m", "a story", env=env)  # the hooks run from the wheel
    out = agentsync(venv, first, "push")
    assert "pushed 1 artifact" in out, out

    second = tmp_path / "wheelcheck-copy"
    git(tmp_path, "clone", "-q", str(first), str(second), env=env)
    (second / stories[0].relative_to(first)).unlink()  # only the remote can bring it back
    agentsync(venv, second, "init")
    out = agentsync(venv, second, "pull")
    assert "1 written" in out
    assert "title: Shipped from a wheel\n" in (second / stories[0].relative_to(first)).read_text(encoding="utf-8")
