"""``agentsync init`` as a library call: the commented config written if there is none, the state
folder created, Git told to ignore agentsync's temporary files, and the mirror built."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentsync.scanner import Progress, ScanReport


@dataclass(frozen=True)
class Initialized:
    """What ``initialize`` did, for the command to say."""

    config_path: Path
    wrote_config: bool  # False: an agentsync.yaml was there and is kept as it is
    scan: ScanReport
    total: int  # artifacts in the mirror afterwards
    hooks_missing: bool  # a Git work tree without agentsync's hooks: worth suggesting them


def initialize(progress: Progress | None = None) -> Initialized:
    """Set up the repository around the current folder (or the folder itself, outside any)."""
    from agentsync import config as config_module
    from agentsync.config.locate import init_root
    from agentsync.fsutil import atomic_write
    from agentsync.scanner import scan
    from agentsync.store import Mirror, ensure_state_dir

    root = init_root()
    path = root / config_module.CONFIG_NAME
    wrote = not path.exists()
    if wrote:
        project = default_project_name(root)
        atomic_write(path, config_module.render_default(project=project).encode("utf-8"))
    config = config_module.load(root)
    ensure_state_dir(config)
    _exclude_temp_files(root)
    with Mirror.open(config) as mirror:
        report = scan(mirror, progress=progress)
        total = mirror.count()
    return Initialized(path, wrote, report, total, _hooks_missing(root))


def default_project_name(root: Path) -> str:
    """The repository's name: from the `origin` remote's URL (the same in every clone), else the folder."""
    from agentsync.config import project_name_from
    from agentsync.errors import GitError
    from agentsync.gitrepo import run_git

    try:
        origin = run_git(root, "config", "--get", "remote.origin.url").strip()
    except GitError:  # not a repository, or no origin
        origin = ""
    name = origin.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") if origin else ""
    return project_name_from(name or root.name)


def _exclude_temp_files(root: Path) -> None:
    """Keep Git from listing a file agentsync is writing (outside a Git repository: nothing to do)."""
    from agentsync.errors import GitError
    from agentsync.gitrepo import exclude_temp_files

    try:
        exclude_temp_files(root)
    except GitError:
        pass


def _hooks_missing(root: Path) -> bool:
    from agentsync import hooks
    from agentsync.errors import AgentsyncError

    if not (root / ".git").exists():  # hooks run at the top of a work tree; suggest them only there
        return False
    try:
        return not any(state.installed for state in hooks.status(root))
    except AgentsyncError:  # not a git repository: no hooks to suggest
        return False
