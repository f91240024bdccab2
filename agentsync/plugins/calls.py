"""The places agentsync consults its plugins, one function each, so the callers (check, merge,
newartifact, the sync events) stay one line: every one returns at once when there is no plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentsync import lazy
from agentsync.errors import AgentsyncError, Problem
from agentsync.plugins.discovery import wanted

if TYPE_CHECKING:
    from agentsync.artifact import Artifact
    from agentsync.config import Config
    from agentsync.plugins import registry
    from agentsync.plugins.hookspecs import Resolver
    from agentsync.plugins.model import SyncEvent

_SAFE_ID = lazy.pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}\Z")


def load_formats(config: Config) -> None:
    """Load the plugins, if there are any, before files are read: their artifact formats
    (`agentsync_formats`) must be known to every scan, in commands and git hooks alike."""
    _active(config)


def check_problems(config: Config, artifact: Artifact) -> list[Problem]:
    """What the plugins' `agentsync_check` yields for ``artifact``, as problems naming the plugin;
    a plugin that raises is a problem of the file too (its rule could not be applied)."""
    plugins = _active(config)
    if plugins is None:
        return []
    from agentsync.plugins.model import PluginArtifact

    seen = PluginArtifact(artifact.id, artifact.type, artifact.path, artifact.title, dict(artifact.fields),
                          artifact.content)  # fmt: skip
    problems: list[Problem] = []
    for outcome in plugins.each("agentsync_check", artifact=seen):
        if outcome.failure is not None:
            problems.append(Problem(artifact.path, None, str(outcome.failure)))
            continue
        for item in outcome.value or ():
            line, message = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
            line = line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None
            problems.append(Problem(artifact.path, line, f"{message} [{outcome.plugin}]"))
    return problems


def resolver_named(config: Config | None, name: str) -> tuple[str, Resolver] | None:
    """(plugin, resolver) for strategy ``name``, or None when no plugin offers one by that name."""
    from agentsync.plugins import registry

    plugins = registry.load(config) if config is not None else registry.installed()
    for outcome in plugins.each("agentsync_resolvers"):
        if outcome.failure is not None:
            _report(outcome.failure)
        elif isinstance(outcome.value, dict) and callable(outcome.value.get(name)):
            return outcome.plugin, outcome.value[name]
    return None


def allocate_id(config: Config, type_name: str, prefix: str, taken: set[str]) -> str | None:
    """A plugin's id for a new artifact (None: the built-in numbering). A plugin that raises, or
    answers an id that is taken or unsafe as a file name, is refused naming the plugin."""
    plugins = _active(config)
    if plugins is None:
        return None
    outcome = plugins.first("agentsync_allocate_id", type_name=type_name, prefix=prefix, taken=frozenset(taken))
    from agentsync.plugins import registry

    value: Any = registry.must(outcome)
    if value is None:
        return None
    assert outcome is not None
    if not isinstance(value, str) or not _SAFE_ID().match(value):
        raise AgentsyncError(f"plugin {outcome.plugin}: agentsync_allocate_id answered {value!r}, not a usable id "
                             "(letters, digits, '.', '_' and '-')")  # fmt: skip
    if value in taken:
        raise AgentsyncError(f"plugin {outcome.plugin}: agentsync_allocate_id answered {value!r}, which is taken")
    return value


def emit(config: Config, event: SyncEvent) -> None:
    """Tell the listeners; one that raises is reported in one line and the others still hear it."""
    plugins = _active(config)
    if plugins is None:
        return
    for outcome in plugins.each("agentsync_sync_event", event=event):
        if outcome.failure is not None:
            _report(outcome.failure)


def _active(config: Config) -> registry.Plugins | None:
    """The loaded plugins, or None without importing the registry when there are none."""
    if not wanted(config):
        return None
    from agentsync.plugins import registry

    return registry.active(config)


def _report(failure: Any) -> None:
    from agentsync.plugins import registry

    registry.report(failure)
