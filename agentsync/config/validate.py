"""Checking a parsed ``agentsync.yaml``: every invalid value is reported with the file, the key and
what is allowed, and a value that looks like a secret is refused with the environment variable
to use instead (the shapes of secrets live in ``agentsync.secrets``, and only there)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentsync import formats, lazy
from agentsync.config.model import (
    BUILTIN_STRATEGIES,
    CONFIG_NAME,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_TYPES,
    REMOTE_NAME,
    WATCH_LIMITS,
    Config,
    ScanSettings,
    TypeConfig,
    WatchSettings,
    default_types,
    is_remote_url,
)
from agentsync.errors import ConfigError
from agentsync.formats.ids import ID_FROM, TYPE_FROM
from agentsync.secrets import CONFIG_SECRET_KEYS, RULE_NAMES, config_secret

# Builds the error for a key: fail("watch.debounce", "is 0; use ...").
Fail = Callable[[str, str], ConfigError]

_TOP_LEVEL_KEYS = {
    "version", "types", "git_fields", "allowed_values", "required_fields", "max_file_size", "remote", "remotes",
    "project", "pre_push", "strategies", "auto_push", "watch", "outbound_scan", "exclude", "plugins", "mcp",
}  # fmt: skip
_STRATEGY_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,59}\Z")
_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_TYPE_KEYS = {"globs", "id_prefix", "template", "exclude", "id_from", "type_from"}
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}\Z")
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*\Z")
_SCAN_KEYS = ("personal_data", "allow", "allow_values", "allow_keys", "patterns")
_REMOTE_KINDS = "`local`, a postgresql:// URL or a Supabase https:// URL"

# Keys refused whatever their value (their values' shapes are checked by agentsync.secrets).
_SECRET_KEYS = [(lazy.pattern(pattern), variable) for pattern, variable in CONFIG_SECRET_KEYS]  # for a file read
# Settings whose keys are names the team chose, not a secret's place: a rule of their own that finds
# tokens is aptly called ``ticket_secret`` or ``api_key`` (its value, a pattern, is still looked at).
_NAMING_KEYS = frozenset({"outbound_scan.patterns"})


def from_dict(root: Path, data: Any, source: str = CONFIG_NAME, *, secrets_refused: bool = False) -> Config:
    """Validate a parsed config; ``source`` names the file in errors. ``secrets_refused``: this very
    data passed the secret check already (the stat-keyed cache holds only data that did)."""

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{source}: `{key}` {message}")

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of keys ({', '.join(sorted(_TOP_LEVEL_KEYS))})")
    if not secrets_refused:
        refuse_secrets(data, source, "")
    unknown = set(map(str, data)) - _TOP_LEVEL_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], f"is not a known key; allowed: {', '.join(sorted(_TOP_LEVEL_KEYS))}")
    if data.get("version", 1) != 1:
        raise fail("version", f"is {data.get('version')!r}; this agentsync understands version 1")
    types = _parse_types(data.get("types"), fail) if "types" in data else default_types()
    exclude = _globs(data.get("exclude") or [], "exclude", fail, artifact=False)
    git_fields = _string_list(data.get("git_fields", ["status"]), "git_fields", fail)
    required = _string_list(data.get("required_fields", []), "required_fields", fail)
    allowed_raw = data.get("allowed_values") or {}
    if not isinstance(allowed_raw, dict):
        raise fail("allowed_values", "must map a field name to a list of allowed values")
    allowed = {str(name): _string_list(values, f"allowed_values.{name}", fail) for name, values in allowed_raw.items()}
    max_size = data.get("max_file_size", DEFAULT_MAX_FILE_SIZE)
    if isinstance(max_size, bool) or not isinstance(max_size, int) or not 1024 <= max_size <= 512 * 1024 * 1024:
        raise fail("max_file_size", f"is {max_size!r}; use a number of bytes from 1024 to 536870912")
    project = data.get("project")
    if project is not None and (not isinstance(project, str) or not _PROJECT.match(project)):
        raise fail("project", f"is {project!r}; use letters, digits, '.', '_' and '-' (at most 100)")
    pre_push = data.get("pre_push", "warn")
    if pre_push not in ("warn", "block"):
        raise fail("pre_push", f"is {pre_push!r}; use warn or block")
    strategies = _parse_strategies(data.get("strategies"), types, fail)
    auto_push = data.get("auto_push", False)
    if not isinstance(auto_push, bool):
        raise fail("auto_push", f"is {auto_push!r}; use true or false")
    watch = _parse_watch(data.get("watch"), fail)
    outbound_scan = _parse_scan(data.get("outbound_scan"), fail)
    remotes = _parse_remotes(data.get("remotes"), fail)
    remote = data.get("remote")
    if remote is not None and not (isinstance(remote, str) and (remote in remotes or is_remote_url(remote))):
        named = f"; or one of the names under `remotes` ({', '.join(remotes)})" if remotes else ""
        raise fail("remote", f"is {remote!r}; use {_REMOTE_KINDS}{named}")
    plugins = _parse_plugins(data.get("plugins"), fail)
    mcp_git_fields = _parse_mcp(data.get("mcp"), fail)
    return Config(
        root=root,
        types=types,
        git_fields=git_fields,
        allowed_values=allowed,
        required_fields=required,
        max_file_size=max_size,
        remote=remote,
        remotes=remotes,
        project=project,
        pre_push=pre_push,
        strategies=strategies,
        auto_push=auto_push,
        watch=watch,
        outbound_scan=outbound_scan,
        exclude=exclude,
        plugins=plugins,
        mcp_git_fields=mcp_git_fields,
    )


_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def _parse_mcp(raw: Any, fail: Fail) -> bool:
    """``mcp: {git_fields: true}``: whether the MCP server's update_artifact may set git fields."""
    raw = raw or {}
    if (
        not isinstance(raw, dict)
        or set(map(str, raw)) - {"git_fields"}
        or not isinstance(raw.get("git_fields", False), bool)
    ):
        raise fail(
            "mcp", f"is {raw!r}; use a mapping with `git_fields: true` or `false` (may update_artifact set them)"
        )
    return bool(raw.get("git_fields", False))


def _parse_plugins(raw: Any, fail: Fail) -> tuple[str, ...]:
    """Module names (``team_rules``, ``tools.checks``), imported from the repository root."""
    names = _string_list(raw or [], "plugins", fail)
    for name in names:
        if not _MODULE_NAME.match(name):
            raise fail("plugins", f"has {name!r}; use a module name importable from the repository root, "
                       "like team_rules or tools.checks")  # fmt: skip
    return names


def _parse_strategies(raw: Any, types: tuple[TypeConfig, ...], fail: Fail) -> dict[str, str]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise fail("strategies", "must map an artifact type to merge, ours, theirs, newest or a resolver's name")
    known_types = {t.name for t in types}
    for type_name, strategy in raw.items():
        if type_name not in known_types:
            raise fail(f"strategies.{type_name}", f"is not an artifact type; types: {', '.join(sorted(known_types))}")
        if not isinstance(strategy, str) or not _STRATEGY_NAME.match(strategy):
            raise fail(f"strategies.{type_name}", f"is {strategy!r}; use {', '.join(BUILTIN_STRATEGIES)}, or the name "
                       "of a resolver installed under the agentsync.resolvers entry point")  # fmt: skip
    return {str(k): str(v) for k, v in raw.items()}


def _parse_remotes(raw: Any, fail: Fail) -> dict[str, str]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise fail("remotes", f"must map a remote's name to {_REMOTE_KINDS}")
    remotes: dict[str, str] = {}
    for name, url in raw.items():
        if not isinstance(name, str) or not REMOTE_NAME.match(name):
            raise fail(f"remotes.{name}", "is not a valid remote name: use letters, digits, '.', '_' and '-'")
        if not is_remote_url(url):
            raise fail(f"remotes.{name}", f"is {url!r}; use {_REMOTE_KINDS}")
        remotes[name] = url
    return remotes


def _parse_scan(raw: Any, fail: Fail) -> ScanSettings:
    if raw is None:
        return ScanSettings()
    if not isinstance(raw, dict):
        raise fail("outbound_scan", f"must be a mapping with any of: {', '.join(_SCAN_KEYS)}")
    unknown = set(map(str, raw)) - set(_SCAN_KEYS)
    if unknown:
        raise fail(f"outbound_scan.{sorted(unknown)[0]}", f"is not a known key; allowed: {', '.join(_SCAN_KEYS)}")
    personal = raw.get("personal_data", False)
    if not isinstance(personal, bool):
        raise fail("outbound_scan.personal_data", f"is {personal!r}; use true or false")
    patterns_raw = raw.get("patterns") or {}
    if not isinstance(patterns_raw, dict):
        raise fail("outbound_scan.patterns", "must map a rule name to a regular expression")
    patterns: list[tuple[str, str]] = []
    for name, pattern in patterns_raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise fail(f"outbound_scan.patterns.{name}", "is not a valid rule name: lowercase letters, digits and _")
        _regex(pattern, f"outbound_scan.patterns.{name}", fail)
        patterns.append((name, pattern))
    allow = _string_list(raw.get("allow") or [], "outbound_scan.allow", fail)
    if allow:
        known = set(RULE_NAMES) | {name for name, _ in patterns}
        for name in allow:
            if name not in known:
                raise fail("outbound_scan.allow", f"has {name!r}, not a rule; rules: {', '.join(sorted(known))}")
    values = _string_list(raw.get("allow_values") or [], "outbound_scan.allow_values", fail)
    for value in values:
        _regex(value, "outbound_scan.allow_values", fail)
    keys = _string_list(raw.get("allow_keys", ["author"]) or [], "outbound_scan.allow_keys", fail)
    return ScanSettings(personal, allow, values, tuple(patterns), keys)


def _regex(pattern: Any, key: str, fail: Fail) -> None:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise fail(key, f"is not a valid regular expression: {exc}") from None


def _parse_watch(raw: Any, fail: Fail) -> WatchSettings:
    if raw is None:
        return WatchSettings()
    allowed = [*WATCH_LIMITS, "notify"]
    if not isinstance(raw, dict):
        raise fail("watch", f"must be a mapping with any of: {', '.join(allowed)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "notify":
            if not isinstance(value, bool):
                raise fail("watch.notify", f"is {value!r}; use true or false")
            values[key] = value
            continue
        if key not in WATCH_LIMITS:
            raise fail(f"watch.{key}", f"is not a known key; allowed: {', '.join(allowed)}")
        low, high, what = WATCH_LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise fail(f"watch.{key}", f"is {value!r}; use {what}, from {low:g} to {high:g}")
        values[key] = float(value)
    return WatchSettings(**values)


def _string_list(value: Any, key: str, fail: Fail) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise fail(key, "must be a list of strings")
    return tuple(str(v) for v in value)


def _parse_types(raw: Any, fail: Fail) -> tuple[TypeConfig, ...]:
    if not isinstance(raw, dict) or not raw:
        raise fail("types", "must map each artifact type (plan, story, …) to its `globs`")
    return tuple(_parse_type(name, spec, fail) for name, spec in raw.items())


def _parse_type(name: Any, spec: Any, fail: Fail) -> TypeConfig:
    key = f"types.{name}"
    if not isinstance(name, str) or not _TYPE_NAME.match(name):
        raise fail(key, "is not a valid type name: use lowercase letters, digits, - and _")
    if isinstance(spec, list):
        spec = {"globs": spec}
    if not isinstance(spec, dict):
        raise fail(key, "must be a mapping with `globs` (and optionally `id_prefix`, `template`)")
    unknown = set(map(str, spec)) - _TYPE_KEYS
    if unknown:
        raise fail(f"{key}.{sorted(unknown)[0]}", f"is not a known key; allowed: {', '.join(sorted(_TYPE_KEYS))}")
    globs = _globs(spec.get("globs"), f"{key}.globs", fail, artifact=True)
    if not globs:
        raise fail(f"{key}.globs", "must list at least one glob, like plans/**/*.md")
    default_prefix = DEFAULT_TYPES.get(name, ("", name.upper().replace("_", "-")))[1]
    prefix = spec.get("id_prefix", default_prefix)
    if not isinstance(prefix, str) or not _ID_PREFIX.match(prefix):
        raise fail(f"{key}.id_prefix", f"is {prefix!r}; use letters, digits, - and _ starting with a letter, "
                   "like PLAN, WEB-STORY, task or m")  # fmt: skip
    template = spec.get("template")
    if template is not None and not isinstance(template, str):
        raise fail(f"{key}.template", "must be a path to a Markdown template")
    exclude = _globs(spec.get("exclude") or [], f"{key}.exclude", fail, artifact=False)
    id_from = spec.get("id_from", "frontmatter")
    if id_from not in ID_FROM:
        raise fail(f"{key}.id_from", f"is {id_from!r}; use {', '.join(ID_FROM)} (where each file's id comes from)")
    type_from = spec.get("type_from", "frontmatter")
    if type_from not in TYPE_FROM:
        raise fail(f"{key}.type_from", f"is {type_from!r}; use frontmatter (a `type:` line names the type) or glob "
                   "(the type is this one, and a `type:` line is a field of the file's own)")  # fmt: skip
    return TypeConfig(name, globs, prefix, template, exclude, id_from, type_from)


def _globs(value: Any, key: str, fail: Fail, *, artifact: bool) -> tuple[str, ...]:
    """Globs relative to the repository; an artifact glob must end in a suffix some format reads."""
    globs = _string_list(value, key, fail)
    for glob in globs:
        if not glob or glob.startswith("/") or re.match(r"[A-Za-z]:", glob) or ".." in glob.split("/") or "\\" in glob:
            raise fail(key, f"has {glob!r}; globs are relative to the repository, with / and no ..")
        if artifact and not glob.endswith(formats.suffixes()):
            raise fail(key, f"has {glob!r}; artifact globs must end in {', '.join(formats.suffixes())} "
                       "(the files a format reads), like plans/**/*.md")  # fmt: skip
    return globs


def refuse_secrets(value: Any, source: str, key: str) -> None:
    """Raise ConfigError if any value under ``value`` looks like a secret (or sits under a secret's key)."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            name = f"{key}.{child_key}" if key else str(child_key)
            if isinstance(child, str) and child and key not in _NAMING_KEYS:
                for pattern, variable in _SECRET_KEYS:
                    if pattern().search(str(child_key)):
                        raise ConfigError(
                            f"{source}: `{name}` looks like a secret; remove it and set the environment "
                            f"variable {variable} instead (secrets never go in the config)"
                        )
            refuse_secrets(child, source, name)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            refuse_secrets(child, source, f"{key}[{index}]")
    elif isinstance(value, str):
        found = config_secret(value)
        if found is not None:
            what, instead = found
            raise ConfigError(
                f"{source}: `{key}` holds what looks like {what}; remove it and {instead}: "
                "secrets never go in the config"
            )
