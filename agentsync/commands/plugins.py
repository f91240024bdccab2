"""``agentsync plugins``: what is loaded, from where, and which hooks each plugin implements."""

from __future__ import annotations

import click

from agentsync.commands._common import echo_json, load_config


def run(*, as_json: bool) -> int:
    """Exit 1 when a plugin could not be loaded (it is named, with why)."""
    from agentsync.plugins import registry

    config = load_config()
    plugins = registry.load(config) if registry.wanted(config) else None
    loaded = plugins.loaded if plugins else []
    failures = plugins.failures if plugins else []
    if as_json:
        echo_json([p.to_json() for p in loaded] + [{"name": f.plugin, "error": f.message} for f in failures])
        return 1 if failures else 0
    if not loaded and not failures:
        click.echo("no plugins: install a package with an `agentsync` entry point, or list modules under "
                   "`plugins:` in agentsync.yaml")  # fmt: skip
    for plugin in loaded:
        click.echo(f"{plugin.name}  ({plugin.source}: {plugin.where})")
        click.echo(f"  hooks: {', '.join(plugin.hooks) or '(none)'}")
    # the failures were reported on stderr as the plugins loaded
    return 1 if failures else 0
