"""``agentsync ls`` and ``agentsync show``: read the mirror."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.errors import UsageError, listed
from agentsync.store import ArtifactRow, Mirror
from agentsync.terminal import cut, display_width, padded

# A status longer than this (some teams write a sentence: "Approved design; implementation plan to
# follow") is cut in the table, so that the titles stay in view; --json and `show` give it whole.
STATUS_WIDTH = 30


def _table(rows: list[ArtifactRow]) -> None:
    if not rows:
        return
    statuses = [cut(r.status or "-", STATUS_WIDTH) for r in rows]
    width_id = max(display_width(r.id) for r in rows)  # columns, not characters: ids and statuses may be CJK
    width_type = max(len(r.type) for r in rows)
    width_status = max(display_width(status) for status in statuses)
    for r, status in zip(rows, statuses, strict=True):
        click.echo(f"{padded(r.id, width_id)}  {r.type:<{width_type}}  {padded(status, width_status)}  {r.title}")


def _known_type(name: str, known: set[str]) -> None:
    """A type ``ls`` can show: configured, or taken from a mirrored file's frontmatter ``type:``."""
    if name not in known:
        raise UsageError(f"unknown artifact type {name!r}; known types: {listed(sorted(known))}")


def run_ls(*, type_name: str | None, status: str | None, as_json: bool) -> int:
    config = load_config()
    with Mirror.open(config, readonly=True) as mirror:
        if type_name:
            _known_type(type_name, {t.name for t in config.types} | mirror.types())
        rows = mirror.list_artifacts(type_name, status)
    if as_json:
        echo_json([r.to_json() for r in rows])
    else:
        _table(rows)
    return 0


def run_show(key: str, *, as_json: bool) -> int:
    config = load_config()
    with Mirror.open(config, readonly=True) as mirror:
        row = mirror.find(key)
        fields = mirror.fields(row.key)
        content = mirror.content(row.key)
    if as_json:
        echo_json({**row.to_json(), "layout": row.layout, "size": row.size, "fields": fields, "content": content})
        return 0
    click.echo(f"{row.key}  {row.status or '-'}  v{row.version}")
    click.echo(f"{row.title}")
    click.echo(f"{row.path}")
    click.echo("")
    click.echo(content.lstrip("\ufeff"), nl=not content.endswith("\n"))
    return 0
