"""What plugins receive: plain, frozen values (never the mirror, the remote or a credential), so a
plugin cannot change agentsync's state by accident and its hooks keep working when the internals move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# What a sync announces to `agentsync_sync_event`, in the order a push or a pull goes through them.
EventKind = Literal["started", "progress", "completed", "failed", "conflict", "pushed", "pulled"]
EVENT_KINDS: tuple[EventKind, ...] = ("started", "progress", "completed", "failed", "conflict", "pushed", "pulled")
Operation = Literal["push", "pull"]
PluginSource = Literal["entry point", "agentsync.yaml", "built-in"]


@dataclass(frozen=True)
class PluginArtifact:
    """One artifact as `agentsync_check` sees it: ``fields`` is the parsed frontmatter (a copy),
    ``text`` the whole file as it is being checked (the staged content in the pre-commit hook)."""

    id: str
    type: str
    path: str
    title: str
    fields: Mapping[str, Any]
    text: str


@dataclass(frozen=True)
class EventArtifact:
    """The artifact an event is about: its identity, where it lives and the version it reached."""

    id: str
    type: str
    path: str
    version: int


@dataclass(frozen=True)
class SyncEvent:
    """One step of a push or a pull. ``counts`` holds numbers only (fetched, written, applied,
    conflicts, ...); ``message`` is a failure's or a conflict's one line, redacted of secrets."""

    kind: EventKind
    operation: Operation
    artifact: EventArtifact | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin agentsync loaded: its name, where it came from and the hooks it implements."""

    name: str
    source: PluginSource
    where: str  # the distribution and version, or the module's file
    hooks: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "where": self.where, "hooks": list(self.hooks)}


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded, or a hook of it that raised: one line naming it."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin}: {self.message}"
