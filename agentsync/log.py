"""The log file under .agentsync/: where unexpected errors and the watcher's events go, so the
CLI can show one line.

Records are plain text, or one JSON object a line with ``AGENTSYNC_LOG_FORMAT=json`` (or
``agentsync --log-format json``). Whatever a message or a traceback holds, keys, tokens and
passwords are scrubbed before a line is written, by the redaction every output shares
(``agentsync.secrets``): the values of the credential variables, bearer tokens and
``apikey``/``authorization`` headers, URLs' and connection strings' passwords (in the user-info
or the query), and whatever the outbound scan's secret rules match (JWTs, keys, private keys).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path

from agentsync.secrets import SECRET_VARIABLES as SECRET_VARIABLES  # re-exported: its home is secrets
from agentsync.secrets import redact

LOG_NAME = "agentsync.log"
FORMAT_VARIABLE = "AGENTSYNC_LOG_FORMAT"
FORMATS = ("text", "json")
_configured: tuple[Path, str] | None = None
logger = logging.getLogger("agentsync")


def scrub(text: str) -> str:
    """``text`` with every key, token and password it holds replaced (``agentsync.secrets.redact``)."""
    return redact(text)


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
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["traceback"] = scrub(self.formatException(record.exc_info))
        # Each text scrubbed before it is quoted (a secret holding `"` would be escaped after),
        # so the line stays valid JSON whatever the credential variables hold.
        return json.dumps(entry, ensure_ascii=False)


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


_NOT_TEXT = (".db", ".db-wal", ".db-shm", ".db-journal", ".lock")  # the mirror is scrubbed by SQL; locks
# are held by their inode, which a rewrite would replace
_LARGEST_SCRUBBED = 16 * 1024 * 1024


def scrub_state_files(state_dir: Path) -> list[Path]:
    """Rewrite the text files under ``state_dir`` that hold a credential (the log and its
    rotations, ``watcher.json``, ``watch.out``: an older agentsync could leave a URL's password
    in them); return those rewritten. JSON files stay valid JSON: their strings are scrubbed."""
    rewritten = []
    try:
        entries = list(os.scandir(state_dir))
    except OSError:
        return []
    for entry in entries:
        if entry.name.endswith(_NOT_TEXT) or not entry.is_file(follow_symlinks=False):
            continue
        path = Path(entry.path)
        try:
            if entry.stat(follow_symlinks=False).st_size > _LARGEST_SCRUBBED:
                continue
            text = path.read_bytes().decode("utf-8", errors="surrogateescape")
            scrubbed = _scrubbed_json(text) if entry.name.endswith(".json") else scrub(text)
            if scrubbed != text:
                from agentsync.fsutil import atomic_write

                atomic_write(path, scrubbed.encode("utf-8", errors="surrogateescape"), sync=False)
                rewritten.append(path)
        except OSError:
            continue  # unreadable or gone: nothing this process could leak from it
    return rewritten


def _scrubbed_json(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return scrub(text)
    cleaned = _scrub_strings(data)
    return text if cleaned == data else json.dumps(cleaned, indent=2, ensure_ascii=False)


def _scrub_strings(value: object) -> object:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_strings(item) for item in value]
    return value
