"""``agentsync export`` and ``agentsync import``: mirror to files or a bundle, and back."""

from __future__ import annotations

from pathlib import Path

import click

from agentsync.commands._common import load_config, report_problems
from agentsync.commands.mirror import summarize
from agentsync.errors import UsageError
from agentsync.mirror import Mirror
from agentsync.paths import relative_to_root


def run_export(directory: Path | None, *, to: Path | None, bundle: Path | None, force: bool) -> int:
    from agentsync import exporter

    if to is not None and bundle is not None:
        raise UsageError("use either --to DIR or --bundle FILE, not both")
    config = load_config(directory)
    with Mirror.open(config) as mirror:
        if bundle is not None:
            count = exporter.export_bundle(mirror, bundle)
            click.echo(f"wrote {count} artifacts to {bundle}")
            return 0
        if to is not None:
            report = exporter.export_dir(mirror, to)
            click.echo(f"wrote {len(report.written)} artifacts under {to}")
        else:
            report = exporter.export_tree(mirror, force=force)
            click.echo(f"exported: {len(report.written)} written, {report.unchanged} unchanged")
    report_problems(report.problems)
    return 0 if report.ok else 1


def run_import(directory: Path | None, paths: tuple[str, ...], *, bundle: Path | None, force: bool) -> int:
    from agentsync import exporter
    from agentsync.scanner import scan

    if bundle is not None and paths:
        raise UsageError("use either PATH... or --bundle FILE, not both")
    config = load_config(directory)
    with Mirror.open(config) as mirror:
        if bundle is not None:
            result = exporter.import_bundle(mirror, bundle, force=force)
            report_problems(result.problems)
            if result.scan is not None:
                report_problems(result.scan.problems)
            click.echo(f"imported: {len(result.written)} written, {result.unchanged} unchanged")
            return 0 if result.ok else 1
        relative = [relative_to_root(config, p) for p in paths] if paths else None
        report = scan(mirror, relative)
        total = mirror.count()
    report_problems(report.problems)
    click.echo(summarize(report, total))
    return 0 if report.ok else 1
