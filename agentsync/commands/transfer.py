"""``agentsync export`` and ``agentsync import``: mirror to files or a bundle, and back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from agentsync.commands._common import load_config, report_problems, warn
from agentsync.commands.mirror import summarize
from agentsync.config import Config
from agentsync.errors import UsageError
from agentsync.store import Mirror

if TYPE_CHECKING:
    from agentsync.exporter import ExportReport


def run_export(
    *,
    to: Path | None,
    bundle: Path | None,
    force: bool,
    commit: bool = False,
    message: str | None = None,
) -> int:
    from agentsync import exporter

    if to is not None and bundle is not None:
        raise UsageError("use either --to DIR or --bundle FILE, not both")
    if commit and (to is not None or bundle is not None):
        raise UsageError("--commit writes the work tree; it cannot be used with --to or --bundle")
    if commit and not message:
        raise UsageError("--commit needs a message: -m MESSAGE")
    if message and not commit:
        raise UsageError("-m MESSAGE goes with --commit")
    config = load_config()
    if commit:
        assert message is not None
        return _export_and_commit(config, message, force=force)
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
    _report_overrides(report)
    report_problems(report.problems)
    return 0 if report.ok else 1


def _report_overrides(report: ExportReport) -> None:
    for override in report.overrides:
        warn(f"warning: {override}")


def _export_and_commit(config: Config, message: str, *, force: bool) -> int:
    from agentsync.exportcommit import export_and_commit

    done = export_and_commit(config, message, force=force)
    _report_overrides(done.export)
    report_problems(done.export.problems)
    if not done.export.ok:
        click.echo("nothing committed: fix the problems above first")
        return 1
    if not done.export.written:
        click.echo(f"nothing to commit: all {done.export.unchanged} artifact files match the mirror")
        return 0
    assert done.checked is not None
    report_problems(done.checked.problems)
    if done.commit is None:
        click.echo(f"exported {len(done.export.written)} files but did not commit them: the check failed")
        return 1
    click.echo(f"committed {done.commit[:10]}: {len(done.export.written)} artifact file(s)")
    return 0


def run_import(paths: tuple[str, ...], *, bundle: Path | None, force: bool) -> int:
    from agentsync import exporter
    from agentsync.importing import import_files

    if bundle is not None and paths:
        raise UsageError("use either PATH... or --bundle FILE, not both")
    config = load_config()
    if bundle is None:
        done = import_files(config, paths)
        report_problems([*done.refused, *done.scan.problems])
        click.echo(summarize(done.scan, done.total))
        return 0 if done.ok else 1
    with Mirror.open(config) as mirror:
        result = exporter.import_bundle(mirror, bundle, force=force)
    report_problems(result.problems)
    if result.scan is not None:
        report_problems(result.scan.problems)
    click.echo(f"imported: {len(result.written)} written, {result.unchanged} unchanged")
    return 0 if result.ok else 1
