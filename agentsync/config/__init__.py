"""The repository's ``agentsync.yaml``: which files are artifacts, which fields Git owns.

The file is meant to be read and edited by people, so ``init`` writes it with comments
(``template``), and every invalid value is reported with the file, the key and what is allowed
(``validate``). Secrets never belong here: a value that looks like one is refused with the name
of the environment variable to use instead.

Modules: ``model`` (the values and the state folder's names), ``locate`` (the repository root),
``load`` (YAML and its cache into the model), ``validate``, ``template`` and ``edit`` (line edits
that ``remote add`` and friends make; not imported here, it is only for those commands). Nothing
here runs Git: the project name ``init`` writes comes from ``agentsync.initialize``.
"""

from __future__ import annotations

from agentsync.config.load import CACHE_NAME, load
from agentsync.config.locate import find_root
from agentsync.config.model import (
    BUILTIN_STRATEGIES,
    CONFIG_NAME,
    DB_NAME,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_TYPES,
    REMOTE_NAME,
    REMOTE_SCHEMES,
    STATE_DIR,
    WATCH_LIMITS,
    Config,
    ScanSettings,
    TypeConfig,
    WatchSettings,
    default_types,
    is_remote_url,
    project_name_from,
)
from agentsync.config.template import render_default
from agentsync.config.validate import from_dict

__all__ = [
    "BUILTIN_STRATEGIES",
    "CACHE_NAME",
    "CONFIG_NAME",
    "DB_NAME",
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_TYPES",
    "REMOTE_NAME",
    "REMOTE_SCHEMES",
    "STATE_DIR",
    "WATCH_LIMITS",
    "Config",
    "ScanSettings",
    "TypeConfig",
    "WatchSettings",
    "default_types",
    "find_root",
    "from_dict",
    "is_remote_url",
    "load",
    "project_name_from",
    "render_default",
]
