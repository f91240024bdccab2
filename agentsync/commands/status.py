"""``agentsync status``: where git fields stand between the work tree and HEAD (later: the remote)."""

from __future__ import annotations

from pathlib import Path

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.mirror import Mirror

_HEADINGS = {
    "changed": "Git fields changed in the work tree, not committed:",
    "new": "Artifacts not in HEAD yet (their git fields are not committed):",
    "deleted": "Artifacts at HEAD that are gone from the work tree:",
}


def _show(value: object) -> str:
    return "(none)" if value is None else str(value)


def run(directory: Path | None, *, as_json: bool) -> int:
    from agentsync.gitfields import differences, refresh_heads
    from agentsync.gitmirror import repair_mark
    from agentsync.gitrepo import GitRepo
    from agentsync.scanner import scan

    config = load_config(directory)
    repo = GitRepo(config.root)
    with Mirror.open(config) as mirror:
        scan(mirror)  # stat first: only edited files are read
        mark = repair_mark(config)
        if mark.exists():
            mark.unlink()
        refresh_heads(mirror, repo)
        found = differences(mirror)
        total = mirror.count()
        problems = mirror.problems()
    head = repo.head_commit()
    branch = None if repo.repo.head_is_unborn or repo.repo.head_is_detached else repo.repo.head.shorthand
    if as_json:
        echo_json(
            {
                "head": head,
                "branch": branch,
                "artifacts": total,
                "git_fields": list(config.git_fields),
                "differences": [d.to_json() for d in found],
                "problems": [{"path": p, "line": line, "message": m} for p, line, m in problems],
                "remote": config.remote,
            }
        )
        return 0
    where = f"branch {branch}" if branch else "detached HEAD"
    click.echo(f"On {where}" + (f" at {head[:10]}" if head else " (no commits yet)") + f"; {total} artifacts")
    for state, heading in _HEADINGS.items():
        rows = [d for d in found if d.state == state]
        if not rows:
            continue
        click.echo(heading)
        for d in rows:
            if state == "changed":
                values = f"{d.field}: {_show(d.head)} (HEAD) -> {_show(d.work_tree)} (work tree)"
            elif state == "new":
                values = f"{d.field}: {_show(d.work_tree)}"
            else:
                values = f"{d.field}: {_show(d.head)} (HEAD)"
            click.echo(f"  {d.id:<14} {values}   {d.path}")
    if not found:
        click.echo(f"git fields ({', '.join(config.git_fields) or 'none'}): the work tree matches HEAD")
    if problems:
        click.echo(f"{len(problems)} file(s) could not be mirrored; `agentsync mirror` lists them")
    click.echo("remote: none configured" if not config.remote else f"remote: {config.remote} (sync not available yet)")
    return 0
