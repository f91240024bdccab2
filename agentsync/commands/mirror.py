"""``agentsync mirror``: bring the mirror up to date with the work tree."""

from __future__ import annotations

import click

from agentsync.commands._common import ProgressBar, load_config, report_problems, want_progress
from agentsync.scanner import ScanReport
from agentsync.store import Mirror


def summarize(report: ScanReport, total: int) -> str:
    parts = [
        f"{len(report.added)} added",
        f"{len(report.updated)} updated",
        f"{len(report.renamed)} renamed",
        f"{len(report.deleted)} deleted",
    ]
    line = f"mirrored {total} artifact{'s' if total != 1 else ''}: " + ", ".join(parts)
    if report.problems:
        line += f"; {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} (see above)"
    return line


def run(*, quiet: bool, verbose: bool) -> int:
    from agentsync.gitmirror import full_scan

    config = load_config()
    bar = ProgressBar("mirroring", enabled=want_progress() and not quiet)
    try:
        with Mirror.open(config) as mirror:
            report = full_scan(mirror, progress=bar)  # also repairs what a failed hook left behind
            total = mirror.count()
    finally:
        bar.close()
    report_problems(report.problems)
    if verbose:
        for label, paths in (("added", report.added), ("updated", report.updated), ("deleted", report.deleted)):
            for path in paths:
                click.echo(f"{label}: {path}")
        for old, new in report.renamed:
            click.echo(f"renamed: {old} -> {new}")
    if not quiet or report.problems:
        click.echo(summarize(report, total))
    return 0 if report.ok else 1
