"""agentsync: keep a team's Markdown plans, stories and runbooks in step.

The library is usable without the CLI: ``config.load``, ``Mirror.open``,
``scanner.scan``, ``exporter.export_tree`` and friends; errors are ``AgentsyncError``.
"""

__version__ = "0.1.0"
