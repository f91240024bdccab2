"""Installing agentsync's git hooks: small stubs beside (never over) the user's own hooks.

Each stub is ``hooks/agentsync-hook.sh`` with the hook's name and this Python filled in,
and carries a marker line so agentsync knows its own. A hook that was already there is
renamed to ``NAME.agentsync-chained`` and run by the stub first; uninstall puts it back.
The hooks folder is git's own answer (``core.hooksPath``, linked worktrees included).
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from agentsync.errors import HookError
from agentsync.fsutil import atomic_write
from agentsync.gitrepo import exclude_temp_files, hooks_folder, tracked_files

HookName = Literal["pre-commit", "post-commit", "post-merge", "post-checkout", "post-rewrite", "pre-push"]
HOOK_NAMES: tuple[HookName, ...] = get_args(HookName)  # in the order they are listed and installed
HookAction = Literal["installed", "updated", "unchanged", "chained", "removed", "restored", "skipped"]
"""What install or uninstall did to one hook (the CLI prints it as it is)."""
MARKER = "# agentsync-hook:"
CHAINED_SUFFIX = ".agentsync-chained"
STUB_VERSION = "2"


def _stub_template() -> str:
    """The stub: packaged in a wheel, or the source tree's hooks/ in a checkout."""
    try:
        packaged = resources.files("agentsync.hookscripts").joinpath("agentsync-hook.sh")
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pass
    return (Path(__file__).resolve().parent.parent / "hooks" / "agentsync-hook.sh").read_text(encoding="utf-8")


def render_stub(name: HookName, python: str | None = None) -> str:
    python = python or sys.executable
    if "'" in python:
        raise HookError(f"cannot write a hook for a Python path containing a quote: {python}")
    return _stub_template().replace("@HOOK@", name).replace("@STUB_VERSION@", STUB_VERSION).replace("@PYTHON@", python)


def is_ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return MARKER in head


@dataclass(frozen=True)
class HookState:
    """One hook's state: ``installed`` (ours is there), ``current`` (and matches this agentsync), ``chained``."""

    name: HookName
    path: Path
    installed: bool
    current: bool
    chained: bool
    foreign: bool  # a hook that is not ours sits where ours would go

    def describe(self) -> str:
        if self.installed:
            text = "installed" if self.current else "installed, out of date (run `agentsync hooks install`)"
        elif self.foreign:
            text = "not installed (a hook of your own is there; `agentsync hooks install` keeps and chains it)"
        else:
            text = "not installed"
        if self.chained:
            text += f"; runs your previous hook first ({self.name}{CHAINED_SUFFIX})"
        return text


def _make_executable(path: Path) -> None:
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def status(root: Path) -> list[HookState]:
    folder = hooks_folder(root)
    states = []
    for name in HOOK_NAMES:
        path = folder / name
        exists = path.exists()
        ours = exists and is_ours(path)
        current = ours and path.read_text(encoding="utf-8", errors="replace") == render_stub(name)
        chained = (folder / (name + CHAINED_SUFFIX)).exists()
        states.append(HookState(name, path, ours, current, chained, exists and not ours))
    return states


@dataclass
class HookChange:
    name: HookName
    action: HookAction
    detail: str = ""


def install(root: Path, names: tuple[HookName, ...] = HOOK_NAMES, *, python: str | None = None) -> list[HookChange]:
    """Install (or update) the stubs; a foreign hook is kept as NAME.agentsync-chained. Idempotent.

    The stubs run agentsync with ``python`` (default: this interpreter).
    """
    folder = hooks_folder(root)
    _refuse_a_shared_folder(root, folder)
    folder.mkdir(parents=True, exist_ok=True)
    exclude_temp_files(root)  # commits the hooks run must never trip over a write in progress
    changes = []
    for name in names:
        path = folder / name
        chained = folder / (name + CHAINED_SUFFIX)
        stub = render_stub(name, python).encode("utf-8")
        if path.is_symlink() or path.exists():
            if is_ours(path) and not path.is_symlink():
                if path.read_bytes() == stub:
                    changes.append(HookChange(name, "unchanged"))
                    continue
                atomic_write(path, stub)
                _make_executable(path)
                changes.append(HookChange(name, "updated"))
                continue
            if chained.exists() or chained.is_symlink():
                raise HookError(
                    f"{path} is not agentsync's and {chained.name} already exists; "
                    f"move one of them away, then run `agentsync hooks install` again"
                )
            os.replace(path, chained)  # the user's hook keeps running, from the stub
            atomic_write(path, stub)
            _make_executable(path)
            changes.append(HookChange(name, "chained", f"your hook now runs from {chained.name}"))
            continue
        atomic_write(path, stub)
        _make_executable(path)
        changes.append(HookChange(name, "installed"))
    return changes


def _refuse_a_shared_folder(root: Path, folder: Path) -> None:
    """A ``core.hooksPath`` folder Git tracks (a team's ``.githooks/``) is the team's: stubs written
    there, naming this machine's Python, would be committed into every clone, and its hooks replaced."""
    try:
        inside = Path(os.path.realpath(folder)).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return  # outside the work tree: this clone's own
    if inside.split("/")[0] == ".git" or not tracked_files(root, inside):
        return
    raise HookError(
        f"core.hooksPath is {inside}/, a folder Git tracks: agentsync's hooks there would replace the team's "
        "for every clone with this machine's paths; nothing was installed. Add agentsync to the team's hooks "
        "through the pre-commit framework instead (see the README)"
    )


def uninstall(root: Path, names: tuple[HookName, ...] = HOOK_NAMES) -> list[HookChange]:
    """Remove agentsync's stubs and put back any hook they chained; foreign hooks are left alone."""
    folder = hooks_folder(root)
    changes = []
    for name in names:
        path = folder / name
        chained = folder / (name + CHAINED_SUFFIX)
        if path.exists() and not is_ours(path):
            changes.append(HookChange(name, "skipped", "not agentsync's; left as it is"))
            continue
        if path.exists():
            path.unlink()
            if chained.exists() or chained.is_symlink():
                os.replace(chained, path)
                changes.append(HookChange(name, "restored", f"your previous {name} hook is back"))
            else:
                changes.append(HookChange(name, "removed"))
        elif chained.exists() or chained.is_symlink():
            os.replace(chained, path)
            changes.append(HookChange(name, "restored", f"your previous {name} hook is back"))
    return changes
