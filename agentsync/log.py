"""The log file under .agentsync/: where unexpected errors go, so the CLI can show one line."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_NAME = "agentsync.log"
_configured: Path | None = None
logger = logging.getLogger("agentsync")


def log_path(state_dir: Path | None) -> Path:
    if state_dir is not None and state_dir.is_dir():
        return state_dir / LOG_NAME
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "agentsync"
    base.mkdir(parents=True, exist_ok=True)
    return base / LOG_NAME


def configure(state_dir: Path | None) -> Path:
    """Send agentsync's log records to a rotating file; return its path."""
    global _configured
    path = log_path(state_dir)
    if _configured != path:
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"))
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        _configured = path
    return path
