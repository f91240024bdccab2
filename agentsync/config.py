"""The repository's ``agentsync.yaml``: which files are artifacts, which fields Git owns.

The file is meant to be read and edited by people, so ``init`` writes it with comments,
and every invalid value is reported with the file, the key and what is allowed.
Secrets never belong here: a value that looks like one is refused with the name of
the environment variable to use instead.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentsync.errors import ConfigError, NotARepositoryError
from agentsync.secrets import CONFIG_SECRET_KEYS, RULE_NAMES, config_secret

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
_TOP_LEVEL_KEYS = {
    "version", "types", "git_fields", "allowed_values", "required_fields", "max_file_size", "remote", "remotes",
    "project", "pre_push", "strategies", "auto_push", "watch", "outbound_scan",
}  # fmt: skip
BUILTIN_STRATEGIES = ("merge", "ours", "theirs", "newest")
_STRATEGY_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,59}\Z")
REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
REMOTE_SCHEMES = ("postgresql://", "postgres://", "https://", "http://")
_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_TYPE_KEYS = {"globs", "id_prefix", "template"}
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}\Z")
_ID_PREFIX = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\Z")

# Keys refused whatever their value (their values' shapes are checked by agentsync.secrets).
_SECRET_KEYS = [(re.compile(pattern), variable) for pattern, variable in CONFIG_SECRET_KEYS]


@dataclass(frozen=True)
class TypeConfig:
    """One artifact type: the globs that find its files and the prefix of new ids."""

    name: str
    globs: tuple[str, ...]
    id_prefix: str
    template: str | None = None


@dataclass(frozen=True)
class WatchSettings:
    """How `agentsync watch` paces itself (seconds)."""

    debounce: float = 0.2  # a file is mirrored once it has had no event for this long (editors write in steps)
    push_delay: float = 0.5  # with auto-push, local changes are pushed once quiet for this long
    poll_interval: float = 5.0  # the remote's head is checked this often (notifications come at once)
    notify: bool = True  # listen for the remote's change notifications when it is PostgreSQL


@dataclass(frozen=True)
class ScanSettings:
    """``outbound_scan``: what the scan of outgoing artifacts looks for (see ``agentsync.outbound``)."""

    personal_data: bool = False  # also emails and phone numbers
    allow: tuple[str, ...] = ()  # rules never reported
    allow_values: tuple[str, ...] = ()  # regular expressions: findings whose text matches are allowed
    patterns: tuple[tuple[str, str], ...] = ()  # (rule name, regular expression) of the team's own
    # Frontmatter keys whose values are never personal-data findings: the author line that
    # `agentsync new` writes holds the committer's own identity, which Git has anyway.
    allow_keys: tuple[str, ...] = ("author",)


_SCAN_KEYS = ("personal_data", "allow", "allow_values", "allow_keys", "patterns")


# key: (lowest, highest, what it is)
WATCH_LIMITS: dict[str, tuple[float, float, str]] = {
    "debounce": (0.05, 10.0, "seconds a file must be quiet before it is mirrored"),
    "push_delay": (0.0, 600.0, "seconds local changes must be quiet before auto-push sends them"),
    "poll_interval": (0.2, 3600.0, "seconds between checks of the remote's head"),
}


@dataclass(frozen=True)
class Config:
    root: Path
    types: tuple[TypeConfig, ...]
    git_fields: tuple[str, ...] = ("status",)
    allowed_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    required_fields: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    remote: str | None = None  # the default remote: `local`, a URL, or a name in `remotes`
    remotes: dict[str, str] = field(default_factory=dict)  # named remotes: name -> `local` or URL
    project: str | None = None  # the remote project; default: derived from the folder name
    pre_push: str = "warn"  # warn | block: what the pre-push hook does about locked or conflicted artifacts
    strategies: dict[str, str] = field(default_factory=dict)  # artifact type -> how its conflicts resolve
    auto_push: bool = False  # `agentsync watch` pushes local changes by itself
    watch: WatchSettings = field(default_factory=WatchSettings)
    outbound_scan: ScanSettings = field(default_factory=ScanSettings)

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


def default_project_name(root: Path) -> str:
    """The repository's name: from the `origin` remote's URL (the same in every clone), else the folder."""
    from agentsync.errors import GitError
    from agentsync.gitrepo import run_git

    try:
        origin = run_git(root, "config", "--get", "remote.origin.url").strip()
    except GitError:  # not a repository, or no origin
        origin = ""
    name = origin.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") if origin else ""
    return project_name_from(name or root.name)


def default_types() -> tuple[TypeConfig, ...]:
    return tuple(
        TypeConfig(name, tuple(f"{where}{folder}/**/*.md" for where in _LOCATIONS), prefix)
        for name, (folder, prefix) in DEFAULT_TYPES.items()
    )


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding agentsync.yaml (else a .git)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    raise NotARepositoryError(f"no {CONFIG_NAME} or git repository at or above {here}; run `agentsync init` in one")


CACHE_NAME = "config-cache.json"
_CACHE_SETTLED_NS = 2_000_000_000  # a file this fresh may change again within its mtime tick: not cached


def load(root: Path) -> Config:
    """Read and validate ``root/agentsync.yaml``.

    The parsed file is cached as JSON in ``.agentsync/`` keyed by its stat, so that git
    hooks neither import nor run the YAML parser; the values are validated every time.
    """
    path = root / CONFIG_NAME
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{path} not found; run `agentsync init` to create it") from None
    key = [stat.st_mtime_ns, stat.st_size, stat.st_ino]
    cache = root / STATE_DIR / CACHE_NAME
    data = _read_cache(cache, key)
    if data is not None:
        return from_dict(root, data, str(path))
    data = _parse_yaml(path)
    config = from_dict(root, data if data is not None else {}, str(path))  # refuses secrets before caching
    if time.time_ns() - stat.st_mtime_ns > _CACHE_SETTLED_NS and cache.parent.is_dir():
        _write_cache(cache, key, data)
    return config


def _parse_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _read_cache(cache: Path, key: list[int]) -> Any:
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("data")


def _write_cache(cache: Path, key: list[int], data: Any) -> None:
    """Best effort: a config JSON cannot hold (a YAML date, say) is simply not cached."""
    from agentsync.fsutil import atomic_write

    try:
        atomic_write(cache, json.dumps({"key": key, "data": data}).encode("utf-8"), sync=False)
    except (TypeError, ValueError, OSError):
        pass


def from_dict(root: Path, data: Any, source: str = CONFIG_NAME) -> Config:
    """Validate a parsed config; ``source`` names the file in errors."""

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{source}: `{key}` {message}")

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of keys ({', '.join(sorted(_TOP_LEVEL_KEYS))})")
    _refuse_secrets(data, source, "")
    unknown = set(map(str, data)) - _TOP_LEVEL_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], f"is not a known key; allowed: {', '.join(sorted(_TOP_LEVEL_KEYS))}")
    if data.get("version", 1) != 1:
        raise fail("version", f"is {data.get('version')!r}; this agentsync understands version 1")
    types = _parse_types(data.get("types"), fail) if "types" in data else default_types()
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
    strategies_raw = data.get("strategies") or {}
    if not isinstance(strategies_raw, dict):
        raise fail("strategies", "must map an artifact type to merge, ours, theirs, newest or a resolver's name")
    known_types = {t.name for t in types}
    for type_name, strategy in strategies_raw.items():
        if type_name not in known_types:
            raise fail(f"strategies.{type_name}", f"is not an artifact type; types: {', '.join(sorted(known_types))}")
        if not isinstance(strategy, str) or not _STRATEGY_NAME.match(strategy):
            raise fail(f"strategies.{type_name}", f"is {strategy!r}; use {', '.join(BUILTIN_STRATEGIES)}, or the name "
                       "of a resolver installed under the agentsync.resolvers entry point")  # fmt: skip
    auto_push = data.get("auto_push", False)
    if not isinstance(auto_push, bool):
        raise fail("auto_push", f"is {auto_push!r}; use true or false")
    watch = _parse_watch(data.get("watch"), fail)
    outbound_scan = _parse_scan(data.get("outbound_scan"), fail)
    remotes_raw = data.get("remotes") or {}
    if not isinstance(remotes_raw, dict):
        raise fail("remotes", "must map a remote's name to `local`, a postgresql:// URL or a Supabase https:// URL")
    remotes: dict[str, str] = {}
    for name, url in remotes_raw.items():
        if not isinstance(name, str) or not REMOTE_NAME.match(name):
            raise fail(f"remotes.{name}", "is not a valid remote name: use letters, digits, '.', '_' and '-'")
        if not is_remote_url(url):
            raise fail(f"remotes.{name}", f"is {url!r}; use `local`, a postgresql:// URL or a Supabase https:// URL")
        remotes[name] = url
    remote = data.get("remote")
    if remote is not None and not (isinstance(remote, str) and (remote in remotes or is_remote_url(remote))):
        named = f"; or one of the names under `remotes` ({', '.join(remotes)})" if remotes else ""
        raise fail("remote", f"is {remote!r}; use `local`, a postgresql:// URL or a Supabase https:// URL{named}")
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
        strategies={str(k): str(v) for k, v in strategies_raw.items()},
        auto_push=auto_push,
        watch=watch,
        outbound_scan=outbound_scan,
    )


def _parse_scan(raw: Any, fail: Any) -> ScanSettings:
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


def _regex(pattern: Any, key: str, fail: Any) -> None:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise fail(key, f"is not a valid regular expression: {exc}") from None


def _parse_watch(raw: Any, fail: Any) -> WatchSettings:
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


def is_remote_url(value: Any) -> bool:
    """Whether ``value`` names a remote by itself: ``local`` or a URL of a kind agentsync speaks."""
    if not isinstance(value, str):
        return False
    scheme, separator, rest = value.partition("://")
    return value == "local" or (bool(separator and rest.strip()) and f"{scheme}://" in REMOTE_SCHEMES)


def _string_list(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise fail(key, "must be a list of strings")
    return tuple(str(v) for v in value)


def _parse_types(raw: Any, fail: Any) -> tuple[TypeConfig, ...]:
    if not isinstance(raw, dict) or not raw:
        raise fail("types", "must map each artifact type (plan, story, …) to its `globs`")
    types = []
    for name, spec in raw.items():
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
        globs = _string_list(spec.get("globs"), f"{key}.globs", fail)
        if not globs:
            raise fail(f"{key}.globs", "must list at least one glob, like plans/**/*.md")
        for glob in globs:
            if glob.startswith("/") or re.match(r"[A-Za-z]:", glob) or ".." in glob.split("/") or "\\" in glob:
                raise fail(f"{key}.globs", f"has {glob!r}; globs are relative to the repository, with / and no ..")
            if not glob.endswith(".md"):
                raise fail(f"{key}.globs", f"has {glob!r}; artifact globs must end in .md")
        default_prefix = DEFAULT_TYPES.get(name, ("", name.upper().replace("_", "-")))[1]
        prefix = spec.get("id_prefix", default_prefix)
        if not isinstance(prefix, str) or not _ID_PREFIX.match(prefix):
            raise fail(f"{key}.id_prefix", f"is {prefix!r}; use capitals, digits and -, like PLAN or WEB-STORY")
        template = spec.get("template")
        if template is not None and not isinstance(template, str):
            raise fail(f"{key}.template", "must be a path to a Markdown template")
        types.append(TypeConfig(name, globs, prefix, template))
    return tuple(types)


def _refuse_secrets(value: Any, source: str, key: str) -> None:
    """Raise ConfigError if any value under ``value`` looks like a secret."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            name = f"{key}.{child_key}" if key else str(child_key)
            if isinstance(child, str) and child:
                for pattern, variable in _SECRET_KEYS:
                    if pattern.search(str(child_key)):
                        raise ConfigError(
                            f"{source}: `{name}` looks like a secret; remove it and set the environment "
                            f"variable {variable} instead (secrets never go in the config)"
                        )
            _refuse_secrets(child, source, name)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _refuse_secrets(child, source, f"{key}[{index}]")
    elif isinstance(value, str):
        found = config_secret(value)
        if found is not None:
            what, instead = found
            raise ConfigError(
                f"{source}: `{key}` holds what looks like {what}; remove it and {instead}: "
                "secrets never go in the config"
            )


def render_default(types: tuple[TypeConfig, ...] | None = None, project: str | None = None) -> str:
    """The commented config ``init`` writes (``project`` named, so every clone shares one)."""
    lines = [
        "# agentsync configuration. Keep secrets out of this file: keys and tokens are read",
        "# only from environment variables (SUPABASE_SERVICE_ROLE_KEY, AGENTSYNC_DATABASE_URL, ...).",
        "version: 1",
        "",
        "# Artifact types: the globs (relative to this folder) that find each type's files,",
        "# and the prefix `agentsync new TYPE` gives fresh ids.",
        "types:",
    ]
    for type_config in types or default_types():
        lines.append(f"  {type_config.name}:")
        lines.append(f"    id_prefix: {type_config.id_prefix}")
        lines.append("    globs:")
        lines.extend(f"      - {glob}" for glob in type_config.globs)
    lines += [
        "",
        "# Frontmatter keys only Git may change: export and pull never write a value",
        "# for them that did not come from Git.",
        "git_fields:",
        "  - status",
        "",
        "# Optional: the values a field may take (checked by `agentsync check`).",
        "# allowed_values:",
        "#   status: [DRAFT, PROPOSED, ACCEPTED, IN_PROGRESS, DONE, SUPERSEDED]",
        "",
        "# Optional: keys every artifact's frontmatter must have (checked by `agentsync check`).",
        "# required_fields: [id, title]",
        "",
        "# Files larger than this many bytes are reported and not mirrored.",
        f"max_file_size: {DEFAULT_MAX_FILE_SIZE}",
        "",
        "# The shared remote `push` and `pull` use: `local` (a PostgreSQL on this machine that",
        "# agentsync starts itself: clones here share edits with no set-up), a postgresql:// URL",
        "# (password in PGPASSWORD or AGENTSYNC_DATABASE_URL), a Supabase https:// URL (keys in",
        "# SUPABASE_* variables), or a name from `remotes` (see `agentsync remote add`).",
        "remote: local",
        "",
        "# `agentsync watch` mirrors every save; with auto_push it also pushes local changes",
        "# (`agentsync watch --push` does for one run). Its pacing, in seconds:",
        "auto_push: false",
        "# watch: {debounce: 0.2, push_delay: 0.5, poll_interval: 5, notify: true}",
        "",
        "# Before anything is pushed (and in `agentsync check`), artifacts are scanned for secrets:",
        "# keys, tokens, private keys, URLs with passwords. A line marked `agentsync: allow` is let",
        "# through. personal_data: true adds emails and phone numbers (not in the frontmatter keys",
        "# of allow_keys: the author line `agentsync new` writes).",
        "# outbound_scan: {personal_data: false, allow: [], allow_values: [], allow_keys: [author], patterns: {}}",
        "",
        "# The project on the remote: every clone of this repository uses this name.",
        *([f"project: {project}"] if project else ["# project: my-repository"]),
        "",
    ]
    return "\n".join(lines)


def environment_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
