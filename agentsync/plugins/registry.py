"""Finding and loading plugins, and calling their hooks one plugin at a time.

Plugins come from the ``agentsync`` entry-point group (installed packages) and from ``plugins:``
in agentsync.yaml (modules importable from the repository root: team-local rules). Resolvers of
the older ``agentsync.resolvers`` entry-point group are offered through the same hook by a
built-in plugin. ``active`` answers None when there is nothing to load, so a caller with no
plugins never imports pluggy. Each hook implementation is called on its own: one that raises is
named in one line (``PluginFailure``) and the others still run.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsync.errors import AgentsyncError
from agentsync.plugins.discovery import GROUP as GROUP
from agentsync.plugins.discovery import RESOLVER_GROUP as RESOLVER_GROUP
from agentsync.plugins.discovery import _entry_points
from agentsync.plugins.discovery import wanted as wanted
from agentsync.plugins.model import LoadedPlugin, PluginFailure, PluginSource

if TYPE_CHECKING:
    import pluggy

    from agentsync.config import Config

logger = logging.getLogger("agentsync.plugins")


@dataclass(frozen=True)
class Outcome:
    """What one plugin's implementation of a hook gave (``failure`` set: it raised instead)."""

    plugin: str
    value: Any
    failure: PluginFailure | None = None


class Plugins:
    """The loaded plugins of one repository, and the hooks called on each of them in turn."""

    def __init__(self, manager: pluggy.PluginManager, loaded: list[LoadedPlugin], failures: list[PluginFailure]):
        self.manager = manager
        self.loaded = loaded
        self.failures = failures  # plugins that could not be loaded

    def each(self, hook: str, **arguments: Any) -> Iterator[Outcome]:
        """Every implementation of ``hook``, in pluggy's order; a generator's items are gathered
        inside the call, so a plugin that raises half-way is caught here too."""
        caller = getattr(self.manager.hook, hook)
        for impl in reversed(caller.get_hookimpls()):  # pluggy calls the last registered first
            wanted = {name: arguments[name] for name in impl.argnames if name in arguments}
            try:
                value = impl.function(**wanted)
                if hasattr(value, "__next__"):
                    value = list(value)
            except Exception as exc:  # a plugin's bug: named, never fatal to the caller
                yield Outcome(impl.plugin_name, None, failed(impl.plugin_name, hook, exc))
            else:
                yield Outcome(impl.plugin_name, value)

    def first(self, hook: str, **arguments: Any) -> Outcome | None:
        """The first implementation that answers something other than None (a firstresult hook)."""
        for outcome in self.each(hook, **arguments):
            if outcome.failure is not None or outcome.value is not None:
                return outcome
        return None


def failed(plugin: str, hook: str, exc: BaseException) -> PluginFailure:
    """The one line that names a plugin whose hook raised (kept to 300 characters, secrets redacted)."""
    from agentsync.secrets import redact

    text = redact(" ".join(str(exc).split()))[:200] or "(no message)"
    return PluginFailure(plugin, f"{hook} raised {type(exc).__name__}: {text}")


def report(failure: PluginFailure) -> None:
    """A plugin failure goes to the log and to stderr, wherever it happens: a command, a git hook,
    the watcher or the MCP server (whose stdout is the protocol, so never stdout)."""
    logger.warning("%s", failure)
    sys.stderr.write(f"warning: {failure}\n")


def active(config: Config) -> Plugins | None:
    """The repository's plugins, loaded once a process; None when there are none (pluggy is then
    never imported: the git hooks stay light)."""
    return load(config) if wanted(config) else None


def load(config: Config) -> Plugins:
    root = str(config.root.resolve())  # which _import_local puts on sys.path: not a change to load again for
    return _load(str(config.root), config.plugins, tuple(p for p in sys.path if p != root))


def installed() -> Plugins:
    """The installed plugins only (no repository: nothing from ``plugins:``)."""
    return _load("", (), tuple(sys.path))


@lru_cache(maxsize=8)
def _load(root: str, modules: tuple[str, ...], path: tuple[str, ...]) -> Plugins:
    """Loaded once for each repository, ``plugins:`` list and state of sys.path."""
    import pluggy

    from agentsync.plugins import hookspecs

    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    loaded: list[LoadedPlugin] = []
    failures: list[PluginFailure] = []

    def register(plugin: object, name: str, source: PluginSource, where: str) -> None:
        try:
            manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            failures.append(PluginFailure(name, f"cannot be registered: {' '.join(str(exc).split())}"))
            return
        callers = manager.get_hookcallers(plugin) or []  # the functions marked @agentsync.hookimpl
        unknown = sorted(c.name for c in callers if not hasattr(hookspecs, c.name))
        if unknown:
            failures.append(PluginFailure(name, f"{unknown[0]} is not an agentsync hook (see docs/plugins.md)"))
        hooks = tuple(sorted(c.name for c in callers if c.name not in unknown))
        loaded.append(LoadedPlugin(name, source, where, hooks))

    for point in _entry_points(GROUP):
        where = f"{point.dist.name} {point.dist.version}" if point.dist else point.value
        try:
            register(point.load(), point.name, "entry point", where)
        except Exception as exc:
            failures.append(PluginFailure(point.name, f"cannot be loaded from {point.value}: {_why(exc)}"))
    for name in modules:
        try:
            module = _import_local(Path(root), name)
        except Exception as exc:
            failures.append(PluginFailure(name, f"(plugins: in agentsync.yaml) cannot be imported: {_why(exc)}"))
            continue
        register(module, name, "agentsync.yaml", _relative(Path(root), getattr(module, "__file__", None) or name))
    if _entry_points(RESOLVER_GROUP):
        from agentsync.plugins.legacy import EntryPointResolvers

        register(EntryPointResolvers(_entry_points(RESOLVER_GROUP)), RESOLVER_GROUP, "built-in", "entry points")
    plugins = Plugins(manager, loaded, failures)
    _register_formats(plugins)
    for failure in failures:
        report(failure)
    return plugins


def _register_formats(plugins: Plugins) -> None:
    """The plugins' artifact formats, added to ``agentsync.formats`` (once: loading again for
    another state of sys.path finds them there)."""
    from agentsync import formats

    for outcome in plugins.each("agentsync_formats"):
        if outcome.failure is not None:
            plugins.failures.append(outcome.failure)
            continue
        for fmt in outcome.value or ():
            if formats.named(getattr(fmt, "name", "")) is fmt:
                continue
            try:
                formats.register(fmt)
            except (ValueError, AttributeError, TypeError) as exc:
                plugins.failures.append(PluginFailure(outcome.plugin, f"format not added: {_why(exc)}"))


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _relative(root: Path, file: str) -> str:
    try:
        return Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file


def _import_local(root: Path, name: str) -> Any:
    """Import module ``name`` from the repository root (the root goes first on sys.path); a module
    of that name imported from elsewhere before (another repository in this process) is read anew."""
    folder = str(root.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    cached = sys.modules.get(name)
    if cached is not None and not str(Path(getattr(cached, "__file__", "") or "/").resolve()).startswith(folder):
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
    importlib.invalidate_caches()
    return importlib.import_module(name)


def must(outcome: Outcome | None) -> Any:
    """The value of a firstresult hook's answer; a plugin that raised becomes the caller's error."""
    if outcome is None:
        return None
    if outcome.failure is not None:
        raise AgentsyncError(str(outcome.failure))
    return outcome.value
