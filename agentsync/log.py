"""The log file under .agentsync/: where unexpected errors and the watcher's events go, so the
CLI can show one line.

Records are plain text, or one JSON object a line with ``AGENTSYNC_LOG_FORMAT=json`` (or
``agentsync --log-format json``). Whatever a message or a traceback holds, keys, tokens and
passwords are scrubbed before a line is written: the values of the credential variables,
bearer tokens and ``apikey``/``authorization`` headers, URLs' passwords, and whatever the
outbound scan's secret rules match (JWTs, keys of known services, private key blocks).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
from pathlib import Path

LOG_NAME = "agentsync.log"
FORMAT_VARIABLE = "AGENTSYNC_LOG_FORMAT"
FORMATS = ("text", "json")
SECRET_VARIABLES = ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN", "PGPASSWORD")
_configured: tuple[Path, str] | None = None
logger = logging.getLogger("agentsync")

_HEADERS = [  # what HTTP clients put in messages; the values' own shapes are the outbound scan's
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    (re.compile(r"(?i)((?:apikey|api[_-]key|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{8,}"), r"\1***"),
]


def scrub(text: str) -> str:
    """``text`` with every key, token and password it holds replaced."""
    from agentsync.outbound import SECRET_RULES
    from agentsync.remotes.postgres import redact

    for variable in SECRET_VARIABLES:
        value = os.environ.get(variable, "")
        if len(value) >= 6:
            text = text.replace(value, f"***{variable}***")
    url = os.environ.get("AGENTSYNC_DATABASE_URL", "")
    password = re.search(r"://[^/:@\s]+:([^@/\s]+)@", url)
    if password and len(password.group(1)) >= 4:
        text = text.replace(password.group(1), "***")
    for pattern, replacement in _HEADERS:
        text = pattern.sub(replacement, text)
    text = redact(text)  # a URL keeps its host, loses its password
    for rule in SECRET_RULES:
        if rule.name != "url_password":  # done by `redact`, which keeps the rest of the URL
            text = rule.pattern.sub(f"***{rule.name}***", text)
    return text


class ScrubbingFormatter(logging.Formatter):
    """Text or JSON lines, scrubbed of secrets (message, arguments and traceback alike)."""

    def __init__(self, style: str) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s")
        self.style_name = style

    def format(self, record: logging.LogRecord) -> str:
        if self.style_name != "json":
            return scrub(super().format(record))
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False))


def log_format() -> str:
    chosen = os.environ.get(FORMAT_VARIABLE, "text").strip().lower() or "text"
    return chosen if chosen in FORMATS else "text"


def log_path(state_dir: Path | None) -> Path:
    if state_dir is not None and state_dir.is_dir():
        return state_dir / LOG_NAME
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "agentsync"
    base.mkdir(parents=True, exist_ok=True)
    return base / LOG_NAME


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, opened at the first record; a record that cannot be written (a full disk, a
    read-only folder) is dropped and ``failed`` set, instead of logging's own traceback on
    stderr: the CLI has already said what went wrong in one line."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed = True

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the last flush failed the same way
            self.failed = True


def last_record_lost() -> bool:
    """Whether the log file could not take a record (the CLI then names no log file)."""
    return any(isinstance(h, QuietFileHandler) and h.failed for h in logger.handlers)


def configure(state_dir: Path | None) -> Path:
    """Send agentsync's log records to a rotating file; return its path."""
    global _configured
    path = log_path(state_dir)
    style = log_format()
    if _configured != (path, style):
        handler = QuietFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True)
        handler.setFormatter(ScrubbingFormatter(style))
        for old in list(logger.handlers):
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        _configured = (path, style)
    return path
