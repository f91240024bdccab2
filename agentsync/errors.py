"""Typed errors. Every message is one line a user can act on; only the CLI prints them."""

from __future__ import annotations


class AgentsyncError(Exception):
    """Base of all errors agentsync reports to the user as one line (exit code 1)."""


class ConfigError(AgentsyncError):
    """The config file is missing, unreadable or has an invalid value."""


class NotARepositoryError(AgentsyncError):
    """No repository (agentsync.yaml or .git) was found above the working directory."""


class ArtifactError(AgentsyncError):
    """One artifact file could not be read or parsed; names the file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class DuplicateIdError(AgentsyncError):
    """Two files claim the same artifact id."""

    def __init__(self, artifact_id: str, paths: list[str]) -> None:
        self.artifact_id = artifact_id
        self.paths = sorted(paths)
        listed = " and ".join(self.paths)
        super().__init__(
            f"duplicate id {artifact_id!r} in {listed}: give one of them a different `id:` in its frontmatter"
        )


class MirrorError(AgentsyncError):
    """The mirror database cannot be used (newer schema, corrupt, locked)."""


class NotFoundError(AgentsyncError):
    """An artifact id or path the user named does not exist."""


class UnsafePathError(AgentsyncError):
    """A path would read or write outside the repository or the artifact folders."""


class UsageError(AgentsyncError):
    """The command was called wrongly (exit code 2)."""


class GitError(AgentsyncError):
    """Git could not do what was asked (no repository, nothing at HEAD, staged changes in the way)."""


class HookError(AgentsyncError):
    """A hook could not be installed or removed as asked."""


class RemoteError(AgentsyncError):
    """The remote refused, failed or is newer than this client; the message says what to do."""


class RemoteUnavailable(RemoteError):
    """The remote cannot be reached now; nothing was applied, or the answer was lost (retry the batch)."""
