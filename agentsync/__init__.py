"""agentsync: keep a team's Markdown plans, stories and runbooks in step.

The library is usable without the CLI: ``config.load``, ``Mirror.open``,
``scanner.scan``, ``exporter.export_tree`` and friends; errors are ``AgentsyncError``.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: a hook that detaches imports nothing more
if TYPE_CHECKING:
    import pluggy as _pluggy

    hookimpl: _pluggy.HookimplMarker
del TYPE_CHECKING


def __getattr__(name: str) -> object:
    """``agentsync.hookimpl``, the marker plugins put on their hook functions; made on first use, so
    importing agentsync never imports pluggy."""
    if name == "hookimpl":
        import pluggy

        marker = pluggy.HookimplMarker("agentsync")
        globals()["hookimpl"] = marker
        return marker
    raise AttributeError(f"module 'agentsync' has no attribute {name!r}")
