"""``agentsync export --commit``: export the mirror into the work tree, check what was written as
the pre-commit stage would, and commit exactly those files. Refused while anything else is staged,
so that the commit holds only artifact files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentsync.check import CheckReport
    from agentsync.config import Config
    from agentsync.exporter import ExportReport


@dataclass
class ExportCommit:
    """What was exported, how the written files checked (None: not checked, since the export failed
    or wrote nothing), and the commit made (None: nothing committed)."""

    export: ExportReport
    checked: CheckReport | None = None
    commit: str | None = None


def export_and_commit(config: Config, message: str, *, force: bool) -> ExportCommit:
    """Export into the work tree, then commit the files written if they pass the check. GitError if
    other changes are staged (nothing is written then)."""
    from agentsync import exporter
    from agentsync.check import check, work_tree_reader
    from agentsync.errors import GitError
    from agentsync.gitfields import refresh_heads
    from agentsync.gitrepo import GitRepo
    from agentsync.store import Mirror

    repo = GitRepo(config.root)
    staged = repo.staged_paths()
    if staged:
        listed = ", ".join(staged[:5]) + (f" and {len(staged) - 5} more" if len(staged) > 5 else "")
        raise GitError(
            f"other changes are staged ({listed}); commit them or unstage them (`git restore --staged PATH`) "
            "so that the export commit holds only artifact files"
        )
    with Mirror.open(config) as mirror:
        done = ExportCommit(exporter.export_tree(mirror, force=force))
        if not done.export.ok or not done.export.written:
            return done
        done.checked = check(config, mirror, done.export.written, work_tree_reader(config.root))
        if done.checked.ok:
            done.commit = repo.commit_paths(done.export.written, message)
            refresh_heads(mirror, repo)
    return done
