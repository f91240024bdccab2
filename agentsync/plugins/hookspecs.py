"""The hooks a plugin may implement, one function each, all named ``agentsync_*``.

A plugin is a module or an object whose functions carry the ``@agentsync.hookimpl`` marker and
the name of a hook below; it implements only the hooks it needs, and may leave out arguments it
does not use (pluggy passes what a function asks for, by name). docs/plugins.md is the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pluggy

from agentsync.formats import Format
from agentsync.plugins.model import PluginArtifact, SyncEvent

PROJECT = "agentsync"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# What a check hook yields: a message (about the file as a whole), or (line, message).
CheckResult = Iterable["str | tuple[int | None, str]"]
# A conflict resolver: given the two sides (agentsync.merge.Sides), the resolved text, or None to
# let the usual line-by-line merge decide.
Resolver = Callable[[Any], "str | None"]


@hookspec
def agentsync_check(artifact: PluginArtifact) -> CheckResult:  # type: ignore[empty-body]
    """Yield problems with one artifact: each a message, or ``(line, message)``. Runs in
    ``agentsync check`` (work tree or ``--staged``) and in the pre-commit hook, on every artifact
    file checked; a problem blocks the commit like a built-in rule does."""


@hookspec
def agentsync_resolvers() -> Mapping[str, Resolver]:  # type: ignore[empty-body]
    """Conflict resolvers by name, for ``strategies:`` in agentsync.yaml (``story: my-resolver``).
    A resolver gets ``agentsync.merge.Sides`` (base, ours, theirs, remote version and author) and
    returns the resolved text, or None to merge as usual. Git fields keep Git's value whatever it returns."""


@hookspec
def agentsync_sync_event(event: SyncEvent) -> None:
    """Hear what a push or a pull does: ``started``, ``progress``, ``completed`` (with counts),
    ``failed`` (with the error's line), ``conflict``, and one ``pushed`` or ``pulled`` event per
    artifact (with its id, type, path and version). Never given contents or secrets. A listener
    that raises is reported in one line and the sync goes on."""


@hookspec(firstresult=True)
def agentsync_allocate_id(type_name: str, prefix: str, taken: frozenset[str]) -> str | None:
    """The id for a new artifact of ``type_name`` (``agentsync new``, the MCP server's
    ``create_artifact``), or None to let the next plugin or the built-in ``PREFIX-NNNN`` decide.
    ``taken`` holds every id a file or the mirror has; an id in it is refused."""


@hookspec
def agentsync_formats() -> Iterable[Format]:  # type: ignore[empty-body]
    """Extra artifact formats: objects with the ``agentsync.formats.Format`` protocol (``name``,
    ``suffixes``, ``detect``, ``read``, ``places``, ``write``), tried before the ``plain`` fallback.
    Registered when the plugins load (every command, git hook and the MCP server load them first)."""
