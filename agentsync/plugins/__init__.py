"""Plugins (pluggy): the hook specifications, their discovery and the calls into them.

Importing this package imports nothing heavy: pluggy is loaded only when there is a plugin.
``agentsync.hookimpl`` (from the top-level package) is the marker plugins use.
"""
