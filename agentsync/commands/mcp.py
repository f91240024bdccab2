"""``agentsync mcp``: run the MCP server for this repository on stdin/stdout."""

from __future__ import annotations

from agentsync.commands._common import load_config
from agentsync.errors import AgentsyncError


def run() -> int:
    config = load_config()
    try:
        from agentsync.mcp.server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "pydantic", "anyio"):
            raise
        raise AgentsyncError("agentsync mcp needs the MCP SDK: pip install 'agentsync[mcp]'") from None
    serve(config.root)
    return 0
