"""An example agentsync plugin: one check rule, one conflict resolver, one event listener."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any

import agentsync

UNCHECKED = re.compile(r"^\s*[-*] \[ \] ", re.M)


@agentsync.hookimpl
def agentsync_check(artifact: Any) -> Iterator[tuple[int, str]]:
    """A finished artifact keeps no unchecked task."""
    if str(artifact.fields.get("status", "")).upper() != "DONE":
        return
    for match in UNCHECKED.finditer(artifact.text):
        line = artifact.text.count("\n", 0, match.start()) + 1
        yield line, "status is DONE but this task is not checked; check it or move the artifact back"


def union(sides: Any) -> str | None:
    """This clone's text, then the lines only the remote's version added (None: nothing to add)."""
    ours = sides.ours.splitlines(keepends=True)
    base = set((sides.base or "").splitlines(keepends=True))
    mine = set(ours)
    added = [line for line in sides.theirs.splitlines(keepends=True) if line not in base and line not in mine]
    if not added:
        return None
    text = "".join(ours)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(added)


@agentsync.hookimpl
def agentsync_resolvers() -> Mapping[str, Any]:
    return {"union": union}


@agentsync.hookimpl
def agentsync_sync_event(event: Any) -> None:
    """One JSON line per event into $AGENTSYNC_EXAMPLE_EVENTS."""
    target = os.environ.get("AGENTSYNC_EXAMPLE_EVENTS")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(event), sort_keys=True) + "\n")
