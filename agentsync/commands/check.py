"""``agentsync check [PATH...]``: the pre-commit stage's rules, on files, staged content or everything."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config


def run(paths: tuple[str, ...], *, staged: bool, as_json: bool) -> int:
    from agentsync import check as checking
    from agentsync.errors import UsageError

    if staged and paths:
        raise UsageError("use either --staged or PATH..., not both")
    config = load_config()
    report = checking.check_staged(config) if staged else checking.check_files(config, paths)
    if as_json:
        echo_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in report.problems],
            }
        )
    else:
        for problem in report.problems:  # `path:line: message`, as the README promises (editors jump to it)
            click.echo(str(problem), err=True)
        files = len(report.checked)
        if report.ok:
            click.echo(f"checked {files} artifact file{'s' if files != 1 else ''}: ok")
        else:
            click.echo(f"checked {files} artifact file{'s' if files != 1 else ''}: {len(report.problems)} problem(s)")
    return 0 if report.ok else 1
