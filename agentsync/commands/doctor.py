"""``agentsync doctor``: check what agentsync needs, one line each, and say what to fix."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json


def run(*, as_json: bool) -> int:
    from agentsync.doctor import run_checks

    checks = run_checks()
    if as_json:
        echo_json([c.to_json() for c in checks])
    else:
        for check in checks:
            mark = "ok " if check.ok else ("TIP" if check.suggestion else "FIX")
            click.echo(f"{mark} {check.name:<12} {check.detail}")
            if check.fix:
                click.echo(f"    -> {check.fix}")
    return 1 if any(c.problem for c in checks) else 0  # a suggestion alone is no failure
