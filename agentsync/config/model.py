"""The configuration as values: what ``agentsync.yaml`` says once it has been read and checked.

Pure data and the names of the state folder's files; nothing here reads a file or runs Git, so
every layer above (the mirror, paths, remotes, the watcher) can depend on it cheaply.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from agentsync.errors import ConfigError
from agentsync.formats.ids import DEFAULT_RULE, IdFrom, IdRule, TypeFrom, static_prefix
from agentsync.identity import split_key

CONFIG_NAME = "agentsync.yaml"
STATE_DIR = ".agentsync"
DB_NAME = "agentsync.db"
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

DEFAULT_TYPES: dict[str, tuple[str, str]] = {
    # type: (folder name, id prefix)
    "plan": ("plans", "PLAN"),
    "story": ("stories", "STORY"),
    "runbook": ("runbooks", "RUNBOOK"),
    "adr": ("adrs", "ADR"),
}
_LOCATIONS = ("", "docs/", ".agent/cache/")
BUILTIN_STRATEGIES = ("merge", "ours", "theirs", "newest")
PrePush = Literal["warn", "block"]  # warn: the push goes on; block: it stops
REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
REMOTE_SCHEMES = ("postgresql://", "postgres://", "https://", "http://")


# The records here are NamedTuples, not dataclasses: every hook process defines them, and the
# dataclasses module alone costs a hook more than all the work of a one-file commit.
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class TypeConfig(NamedTuple):
    """One artifact type: the globs that find its files (less those ``exclude`` matches), where an
    id comes from (``id_from``, see ``agentsync.formats.ids``) and the prefix of new ids."""

    name: str
    globs: tuple[str, ...]
    id_prefix: str
    template: str | None = None
    exclude: tuple[str, ...] = ()  # globs of files the globs match that are no artifacts (readme.md, templates/**)
    # where each file's id comes from: frontmatter (its `id:`, the agent CLI's `# ID: Title`, else the file
    # name), heading, filename, or path (relative to the globs' fixed folders; README.md takes its folder's name)
    id_from: IdFrom = "frontmatter"
    # whether a frontmatter `type:` is the artifact's type (frontmatter) or a field, the type the glob's (glob)
    type_from: TypeFrom = "frontmatter"

    @property
    def id_rule(self) -> IdRule:
        return _id_rule(self.id_from, self.globs, self.type_from)


@functools.lru_cache(maxsize=256)
def _id_rule(id_from: IdFrom, globs: tuple[str, ...], type_from: TypeFrom) -> IdRule:
    """Asked for every file a pull or scan reads: worked out once per type."""
    return IdRule(id_from, tuple(static_prefix(glob) for glob in globs), type_from)


class WatchSettings(NamedTuple):
    """How `agentsync watch` paces itself (seconds)."""

    debounce: float = 0.2  # quiet time before a file still being written is mirrored (a quarter once it is complete)
    push_delay: float = 0.5  # with auto-push, the longest wait before a push (a lone save waits a fifth)
    poll_interval: float = 5.0  # the remote's head is checked this often (notifications come at once)
    notify: bool = True  # listen for the remote's change notifications when it is PostgreSQL


class ScanSettings(NamedTuple):
    """``outbound_scan``: what the scan of outgoing artifacts looks for (see ``agentsync.outbound``)."""

    personal_data: bool = False  # also emails and phone numbers
    allow: tuple[str, ...] = ()  # rules never reported
    allow_values: tuple[str, ...] = ()  # regular expressions: findings whose text matches are allowed
    patterns: tuple[tuple[str, str], ...] = ()  # (rule name, regular expression) of the team's own
    # Frontmatter keys whose values are never personal-data findings: the author line that
    # `agentsync new` writes holds the committer's own identity, which Git has anyway.
    allow_keys: tuple[str, ...] = ("author",)


# key: (lowest, highest, what it is)
WATCH_LIMITS: dict[str, tuple[float, float, str]] = {
    "debounce": (0.05, 10.0, "seconds a file must be quiet before it is mirrored"),
    "push_delay": (0.0, 600.0, "seconds local changes must be quiet before auto-push sends them"),
    "poll_interval": (0.2, 3600.0, "seconds between checks of the remote's head"),
}


class Config(NamedTuple):
    """One repository's validated configuration; ``root`` is the folder holding agentsync.yaml."""

    root: Path
    types: tuple[TypeConfig, ...]
    git_fields: tuple[str, ...] = ("status",)
    allowed_values: Mapping[str, tuple[str, ...]] = _NOTHING
    required_fields: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    remote: str | None = None  # the default remote: `local`, a URL, or a name in `remotes`
    remotes: Mapping[str, str] = _NOTHING  # named remotes: name -> `local` or URL
    project: str | None = None  # the remote project; default: derived from the folder name
    pre_push: PrePush = "warn"  # what the pre-push hook does about locked or conflicted artifacts
    strategies: Mapping[str, str] = _NOTHING  # artifact type -> how its conflicts resolve
    auto_push: bool = False  # `agentsync watch` pushes local changes by itself
    watch: WatchSettings = WatchSettings()
    outbound_scan: ScanSettings = ScanSettings()
    exclude: tuple[str, ...] = ()  # globs no type's files come from (README.md, CHANGELOG.md, ...)
    plugins: tuple[str, ...] = ()  # modules importable from the repository root, loaded as plugins
    mcp_git_fields: bool = False  # written `mcp: {git_fields: true}`: the MCP server's update_artifact may set them

    @property
    def project_name(self) -> str:
        return self.project or project_name_from(self.root.name)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def db_path(self) -> Path:
        return self.state_dir / DB_NAME

    def id_rules(self) -> dict[str, IdRule]:
        """Every configured type's id rule, by type name."""
        return {type_config.name: type_config.id_rule for type_config in self.types}

    def ids_from_names(self, key: str) -> bool:
        """Whether the ids of ``key``'s type (``TYPE:ID``) come from file or folder names (``id_from: path``)."""
        return self.id_rule(split_key(key).type).named

    def id_rule(self, type_name: str) -> IdRule:
        """Where the ids of ``type_name``'s files come from (the default rule for a type not configured)."""
        for type_config in self.types:
            if type_config.name == type_name:
                return type_config.id_rule
        return DEFAULT_RULE

    def type_named(self, name: str) -> TypeConfig:
        for type_config in self.types:
            if type_config.name == name:
                return type_config
        known = ", ".join(t.name for t in self.types)
        raise ConfigError(f"unknown artifact type {name!r}; {CONFIG_NAME} defines: {known}")


def project_name_from(text: str) -> str:
    """A valid project name made from a folder or repository name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._") or "project"
    return name[:100]


def default_types() -> tuple[TypeConfig, ...]:
    """The types a config without ``types`` has: plans, stories, runbooks and ADRs in the usual folders."""
    return tuple(
        TypeConfig(name, tuple(f"{where}{folder}/**/*.md" for where in _LOCATIONS), prefix)
        for name, (folder, prefix) in DEFAULT_TYPES.items()
    )


def is_remote_url(value: Any) -> bool:
    """Whether ``value`` names a remote by itself: ``local`` or a URL of a kind agentsync speaks."""
    if not isinstance(value, str):
        return False
    scheme, separator, rest = value.partition("://")
    return value == "local" or (bool(separator and rest.strip()) and f"{scheme}://" in REMOTE_SCHEMES)
