"""``agentsync conflicts`` and ``agentsync resolve``: list what waits for a person, and settle it."""

from __future__ import annotations

import os
import shlex
import subprocess

import click

from agentsync.commands._common import echo_json, load_config
from agentsync.errors import UsageError
from agentsync.store import Mirror


def run_conflicts(*, as_json: bool) -> int:
    from agentsync.resolve import conflicts

    with Mirror.open(load_config()) as mirror:
        found = conflicts(mirror)
    if as_json:
        echo_json([c.to_json() for c in found])
    elif not found:
        click.echo("no conflicts")
    for item in found if not as_json else []:
        click.echo(f"{item.key:<14} {item.path}: {item.message}")
    return 1 if found else 0


def run_resolve(key: str, side: str | None, *, edit: bool) -> int:
    from agentsync.resolve import conflict, resolve

    chosen = [name for name, on in (("ours", side == "ours"), ("theirs", side == "theirs"), ("edit", edit)) if on]
    if side == "merged":
        chosen.append("merged")
    if len(chosen) != 1:
        raise UsageError("choose one of --ours, --theirs, --edit, --merged")
    config = load_config()
    with Mirror.open(config) as mirror:
        if edit:
            path = config.root / conflict(mirror, key).path
            editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
            if done.returncode != 0:
                raise UsageError(f"the editor ({editor}) exited with {done.returncode}; nothing resolved")
        found = resolve(mirror, key, "merged" if edit else str(side))
    chosen_side = "merged" if edit else str(side)
    taken = {"ours": "your version", "theirs": "the remote's version", "merged": "the file as merged"}
    then = "" if chosen_side == "theirs" else "; `agentsync push` sends it"
    click.echo(f"resolved {found.key} with {taken[chosen_side]}{then}")
    return 0
