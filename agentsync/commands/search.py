"""``agentsync search`` (full text) and ``agentsync query`` (read-only SQL)."""

from __future__ import annotations

import csv
import sys

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.store import Mirror


def run_search(text: str, *, limit: int, as_json: bool) -> int:
    config = load_config()
    with Mirror.open(config, readonly=True) as mirror:
        hits = mirror.search(text, limit)
    if as_json:  # `[]` when nothing matches, and exit 1 all the same: as `grep`, whatever the output
        echo_json([hit.to_json() for hit in hits])
    elif not hits:
        click.echo(f"no artifact matches {text!r}", err=True)
    else:
        for hit in hits:
            click.echo(f"{hit.row.id}  {hit.row.title}  ({hit.row.path})")
            click.echo(f"    {hit.snippet}")
    return 0 if hits else 1


def run_query(sql: str, *, output: str) -> int:
    config = load_config()
    with Mirror.open(config, readonly=True) as mirror:
        columns, rows = mirror.query(sql)
    if output == "json":
        echo_json([dict(zip(columns, row, strict=False)) for row in rows])
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        if columns:
            click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join("" if v is None else str(v) for v in row))
    return 0
