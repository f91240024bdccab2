"""The MCP server: agentsync's artifacts as tools and resources, over stdio, on the official SDK.

Each tool is a thin wrapper of ``agentsync.mcp.actions``: its docstring and typed arguments are
what the agent reads (the SDK turns them into the tool's description and JSON schema). Every
failure is a tool error with one line, never a crashed server: agentsync's own errors as they
are, anything else as 'unexpected error' with the details in .agentsync/agentsync.log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from pydantic import Field

from agentsync import __version__
from agentsync.errors import AgentsyncError
from agentsync.mcp import actions

INSTRUCTIONS = (
    "agentsync keeps this repository's Markdown artifacts (plans, stories, runbooks, ADRs) in step between "
    "people and agents. Find work with list_artifacts or search_artifacts, read it with get_artifact, claim it "
    "with lock_artifact before you change it (another agent's claim is refused, naming them), change it with "
    "update_artifact, and unlock_artifact when done. Git fields such as status change through commits."
)
T = TypeVar("T")
logger = logging.getLogger("agentsync.mcp")

TypeArg = Annotated[str | None, Field(description="only artifacts of this type (plan, story, runbook, adr, ...)")]
StatusArg = Annotated[str | None, Field(description="only artifacts with this status (e.g. DRAFT)")]
KeyArg = Annotated[str, Field(description="the artifact's id (STORY-0003) or its path")]
HolderArg = Annotated[str | None, Field(description="who claims it; default: this MCP client's name")]
LimitArg = Annotated[int, Field(ge=1, le=1000, description="at most this many")]
FieldsArg = Annotated[dict[str, Any] | None, Field(description='fields to set, e.g. {"owner": "ada"}')]
BodyArg = Annotated[str | None, Field(description="Markdown replacing everything after the fields")]


def holder_of(ctx: Context | None, given: str | None) -> str:
    """The claim's holder: the explicit ``holder``, else the MCP client's name (``clientInfo``)."""
    if given is not None and given.strip():
        return given.strip()[:100]
    try:
        params = ctx.session.client_params if ctx is not None else None
    except (AttributeError, LookupError, ValueError):
        params = None
    name = params.client_info.name if params is not None and params.client_info else None
    return f"mcp:{name}" if name else "mcp:agent"


class AgentsyncServer(MCPServer[Any]):
    """The SDK's server, with every tool error in one line: arguments that fail the schema are
    named field by field (pydantic's own message runs over several lines and links)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        from pydantic import ValidationError

        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                wrong = "; ".join(_wrong(e) for e in cause.errors(include_url=False))
                raise ToolError(f"bad arguments for {name}: {wrong}") from None
            raise ToolError(" ".join(str(exc).split())) from None


def _wrong(error: Any) -> str:
    where = ".".join(map(str, error["loc"])) or "arguments"
    return f"{where}: {error['msg']} (got {repr(error.get('input'))[:60]})"


def build(root: Path) -> MCPServer[Any]:
    """The server for the repository at ``root``."""
    from agentsync.log import configure

    space = actions.Workspace(root)
    configure(space.config().state_dir)
    server = AgentsyncServer("agentsync", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    def run(call: Callable[[], T]) -> T:
        try:
            return call()
        except AgentsyncError as exc:
            raise ToolError(" ".join(str(exc).split())) from None
        except Exception as exc:  # a bug: one line for the agent, the traceback in the log
            logger.exception("MCP tool failed")
            raise ToolError(f"unexpected error: {type(exc).__name__}: {exc}; see .agentsync/agentsync.log") from None

    @server.tool()
    def list_artifacts(type: TypeArg = None, status: StatusArg = None,
                       text: Annotated[str | None, Field(description="words the artifact contains")] = None,
                       limit: LimitArg = 200) -> list[dict[str, Any]]:  # fmt: skip
        """List the repository's artifacts (id, type, title, status, version, path), optionally
        filtered by type, status and words."""
        return run(lambda: actions.list_artifacts(space, type, status, text, limit))

    @server.tool()
    def search_artifacts(query: Annotated[str, Field(description="words, or SQLite FTS5 syntax")],
                         limit: LimitArg = 20) -> list[dict[str, Any]]:  # fmt: skip
        """Full-text search over every artifact; an exact id comes first. Each hit has a snippet."""
        return run(lambda: actions.search_artifacts(space, query, limit))

    @server.tool()
    def get_artifact(id: KeyArg) -> dict[str, Any]:
        """One artifact: its whole content, parsed fields, version, who holds its lock (lock) and
        its open sync conflict (conflict), if any."""
        return run(lambda: actions.get_artifact(space, id))

    @server.tool()
    def create_artifact(type: Annotated[str, Field(description="the artifact type, e.g. story")],
                        title: Annotated[str, Field(description="the new artifact's title")],
                        body: Annotated[str | None, Field(description="Markdown replacing the template's body")] = None,
                        fields: Annotated[dict[str, Any] | None, Field(description="fields to set")] = None,
                        folder: Annotated[str | None, Field(description="an existing record folder to create it "
                                          "in: an OpenSpec change (for its delta specs), a Spec Kit feature")] = None,
                        holder: HolderArg = None, ctx: Context | None = None) -> dict[str, Any]:  # fmt: skip
        """Create an artifact from its type's template with a fresh id; returns it as get_artifact does."""
        return run(lambda: actions.create_artifact(space, type, title, body, fields, holder_of(ctx, holder), folder))

    @server.tool()
    def update_artifact(id: KeyArg,
                        fields: FieldsArg = None, body: BodyArg = None,
                        holder: HolderArg = None, ctx: Context | None = None) -> dict[str, Any]:  # fmt: skip
        """Set fields and/or replace the body, as a saved file: checked (as `agentsync check`),
        written atomically, mirrored, and pushed when auto_push is on. Refused while the artifact has
        an open sync conflict, while someone else holds its lock, and for git fields (status)."""
        return run(lambda: actions.update_artifact(space, id, fields, body, holder_of(ctx, holder)))

    @server.tool()
    def lock_artifact(id: KeyArg, holder: HolderArg = None,
                      ttl_seconds: Annotated[int, Field(description="how long the claim lasts")] = actions.DEFAULT_TTL,
                      ctx: Context | None = None) -> dict[str, Any]:  # fmt: skip
        """Claim an artifact before working on it, so parallel agents don't collide; a claim someone
        else holds is refused, naming them. Others' pushes of it wait until it is unlocked."""
        return run(lambda: actions.lock_artifact(space, id, holder_of(ctx, holder), ttl_seconds))

    @server.tool()
    def unlock_artifact(id: KeyArg, holder: HolderArg = None,
                        force: Annotated[bool, Field(description="break someone else's lock (recorded)")] = False,
                        ctx: Context | None = None) -> dict[str, Any]:  # fmt: skip
        """Release your claim on an artifact."""
        return run(lambda: actions.unlock_artifact(space, id, holder_of(ctx, holder), force))

    @server.tool()
    def sync_status() -> dict[str, Any]:
        """Where this clone stands with the shared remote: artifacts ahead, behind or diverged, open
        conflicts, locks and their holders, queued pushes, the cursor and the lag."""
        return run(lambda: actions.sync_status(space))

    _add_resources(server, space)
    return server


def _add_resources(server: MCPServer[Any], space: actions.Workspace) -> None:
    """The artifacts as MCP resources: the list, and each one's file by id."""

    @server.resource("agentsync://artifacts", mime_type="application/json")
    def artifacts_resource() -> str:
        """Every artifact (id, type, title, status, version, path)."""
        return json.dumps(_resource(lambda: actions.list_artifacts(space, None, None, None, 100_000)))

    @server.resource("agentsync://artifact/{id}", mime_type="text/markdown")
    def artifact_resource(id: str) -> str:
        """One artifact's file content, by id."""
        return str(_resource(lambda: actions.get_artifact(space, id))["content"])


def _resource(call: Callable[[], T]) -> T:
    try:
        return call()
    except AgentsyncError as exc:
        raise ResourceError(" ".join(str(exc).split())) from None


def serve(root: Path) -> None:
    """Run the server on stdin/stdout until the client closes it."""
    import anyio

    anyio.run(build(root).run_stdio_async)
