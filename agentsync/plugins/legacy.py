"""The ``agentsync.resolvers`` entry-point group, from before plugins: each entry point is one
resolver function, offered through the `agentsync_resolvers` hook like a plugin's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentsync.plugins.hookspecs import Resolver, hookimpl


class EntryPointResolvers:
    """Loads a resolver only when a strategy names it."""

    def __init__(self, points: tuple[Any, ...]) -> None:
        self.points = points

    @hookimpl
    def agentsync_resolvers(self) -> Mapping[str, Resolver]:
        return {point.name: _lazy(point) for point in self.points}


def _lazy(point: Any) -> Resolver:
    def resolve(sides: Any) -> str | None:
        result: str | None = point.load()(sides)
        return result

    resolve.__name__ = point.name
    return resolve
