"""Whether there is any plugin to load, answered without loading anything: the git hooks and a
no-op scan ask it on every run, so it imports neither pluggy, logging nor importlib.metadata unless
some installed distribution declares an agentsync entry point."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentsync.config import Config

GROUP = "agentsync"
RESOLVER_GROUP = "agentsync.resolvers"  # the older group: one resolver function per entry point


def _entry_points(group: str) -> tuple[Any, ...]:
    """The group's entry points (looked up once for each state of sys.path). importlib.metadata
    costs some 35 ms, so a git hook first looks whether any installed distribution's
    entry_points.txt names an agentsync group at all (a couple of ms): usually none does."""
    path = tuple(sys.path)
    return _entry_points_on(group, path) if _declared(path) else ()


@lru_cache(maxsize=16)
def _declared(path: tuple[str, ...]) -> bool:
    """Whether some distribution on ``path`` declares entry points in an agentsync group."""
    marks = (f"[{GROUP}]", f"[{RESOLVER_GROUP}]")
    for folder in path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder or ".", name, "entry_points.txt"), encoding="utf-8") as declared:
                    text = declared.read()
            except (OSError, UnicodeDecodeError):
                continue
            if any(mark in text for mark in marks):
                return True
    return False


@lru_cache(maxsize=16)
def _entry_points_on(group: str, path: tuple[str, ...]) -> tuple[Any, ...]:
    from importlib.metadata import entry_points

    return tuple(entry_points(group=group))


def wanted(config: Config) -> bool:
    """Whether there is anything to load: ``plugins:`` in agentsync.yaml or an installed plugin."""
    return bool(config.plugins) or bool(_entry_points(GROUP)) or bool(_entry_points(RESOLVER_GROUP))


__all__ = ["GROUP", "RESOLVER_GROUP", "_entry_points", "wanted"]
