"""``agentsync mcp``: the artifacts for AI coding agents, as an MCP server over stdio.

``actions`` does the work with agentsync's own library calls (and imports no MCP); ``server``
declares the tools and resources on the official ``mcp`` SDK (the ``[mcp]`` extra), imported only
by that command.
"""
