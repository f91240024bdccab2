"""Reading ``agentsync.yaml`` into a checked ``Config``, through a stat-keyed JSON cache so that git
hooks neither import nor run the YAML parser (the values are validated every time all the same)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agentsync import __version__
from agentsync.config.model import CONFIG_NAME, STATE_DIR, Config
from agentsync.config.validate import from_dict
from agentsync.errors import ConfigError

CACHE_NAME = "config-cache.json"
_CACHE_SETTLED_NS = 2_000_000_000  # a file this fresh may change again within its mtime tick: not cached


def load(root: Path) -> Config:
    """Read and validate ``root/agentsync.yaml``.

    The parsed file is cached as JSON in ``.agentsync/`` keyed by its stat and agentsync's version,
    so that git hooks neither import nor run the YAML parser; the values are validated every time,
    but the secret check (a dozen patterns over every value) only when the file is read: the cache
    holds only data that passed it, and a new version, which may know more patterns, reads the file.
    """
    path = root / CONFIG_NAME
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{path} not found; run `agentsync init` to create it") from None
    key: list[int | str] = [stat.st_mtime_ns, stat.st_size, stat.st_ino, __version__]
    cache = root / STATE_DIR / CACHE_NAME
    data = _read_cache(cache, key)
    if data is not None:
        return from_dict(root, data, str(path), secrets_refused=True)
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


def _read_cache(cache: Path, key: list[int | str]) -> Any:
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("data")


def _write_cache(cache: Path, key: list[int | str], data: Any) -> None:
    """Best effort: a config JSON cannot hold (a YAML date, say) is simply not cached."""
    from agentsync.fsutil import atomic_write

    try:
        atomic_write(cache, json.dumps({"key": key, "data": data}).encode("utf-8"), sync=False)
    except (TypeError, ValueError, OSError):
        pass
