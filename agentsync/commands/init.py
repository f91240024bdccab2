"""``agentsync init``: write agentsync.yaml, create .agentsync/, build the mirror."""

from __future__ import annotations

from pathlib import Path

import click

from agentsync import config as config_module
from agentsync.commands._common import ProgressBar, report_problems, want_progress
from agentsync.commands.mirror import summarize
from agentsync.fsutil import atomic_write
from agentsync.scanner import scan
from agentsync.store import Mirror, ensure_state_dir


def run(*, progress: bool | None = None) -> int:
    root = _root_for_init()
    path = root / config_module.CONFIG_NAME
    if path.exists():
        click.echo(f"{path.name} exists; keeping it")
    else:
        project = config_module.default_project_name(root)
        atomic_write(path, config_module.render_default(project=project).encode("utf-8"))
        click.echo(f"wrote {path.name}")
    config = config_module.load(root)
    ensure_state_dir(config)
    _exclude_temp_files(root)
    bar = ProgressBar("mirroring", enabled=want_progress() if progress is None else progress)
    try:
        with Mirror.open(config) as mirror:
            report = scan(mirror, progress=bar)
            total = mirror.count()
    finally:
        bar.close()
    report_problems(report.problems)
    click.echo(summarize(report, total))
    if _hooks_missing(root):
        click.echo("next: `agentsync hooks install` keeps the mirror current on commit, merge and checkout")
    return 0 if report.ok else 1


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


def _root_for_init() -> Path:
    start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        if (folder / config_module.CONFIG_NAME).is_file() or (folder / ".git").exists():
            return folder
    return start
