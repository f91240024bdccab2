"""The log file: text or JSON lines, and never a key, a token or a password in either."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentsync import log
from agentsync.errors import RemoteError
from tests.remotes.conftest import SupabaseProject, connect, database, postgres_url, supabase  # noqa: F401
from tests.test_cli import run
from tests.test_outbound import AWS_KEY, JWT

SERVICE_KEY = "sb_secret_0123456789abcdefghijkl"


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / ".agentsync"
    state.mkdir()
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", "postgresql://ada:hunter2-pw@db.example.com/app")
    yield log.configure(state)
    log._configured = None  # the next test configures its own


def test_secrets_are_scrubbed_from_messages_and_tracebacks(log_file: Path) -> None:
    try:
        raise RemoteError(
            f"request failed: headers {{'apikey': '{SERVICE_KEY}', 'Authorization': 'Bearer {JWT}'}} "
            f"to postgresql://ada:hunter2-pw@db.example.com/app, file said {AWS_KEY}"
        )
    except RemoteError as exc:
        logging.getLogger("agentsync.remote").error("push failed: %s", exc, exc_info=exc)
    written = log_file.read_text()
    assert "push failed" in written and "Traceback" in written
    for secret in (SERVICE_KEY, JWT, "hunter2-pw", AWS_KEY, JWT.split(".")[1]):
        assert secret not in written


def test_json_lines_are_scrubbed_too(log_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTSYNC_LOG_FORMAT", "json")
    log.configure(log_file.parent)
    logging.getLogger("agentsync.watch").warning("token %s rejected", JWT)
    line = json.loads(log_file.read_text().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "agentsync.watch"
    assert line["message"] == "token ***jwt*** rejected"


def test_a_request_that_fails_with_credentials_in_its_headers_logs_none_of_them(
    tmp_path: Path,
    supabase: SupabaseProject,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real supabase-py client sends the key and the user's token in its headers; the API is
    down, so every call fails, is retried and logged: the log names neither."""
    from tests.test_audit import clone_of

    user_id, token = supabase.user("ada@team.example")
    supabase.add_member("team", user_id, "ada@team.example")
    clone = clone_of(tmp_path / "ada", supabase.url, "ada@team.example")
    monkeypatch.setenv("SUPABASE_ANON_KEY", supabase.keys["anon"])
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", token)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "2")
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    monkeypatch.delenv("AGENTSYNC_DATABASE_URL", raising=False)
    supabase.gateway.stop()
    clone.write("plans/P-1.md", "---\nid: P-1\ntitle: One\n---\n\nBody.\n")
    (clone.root / ".agentsync").mkdir(exist_ok=True)  # the clone's own log, not the user-wide one
    log_file = log.configure(clone.root / ".agentsync")
    try:
        code, _, err = run(clone, "push")
        assert code == 1 and "cannot reach" in err
        logging.getLogger("agentsync").error("after a failed push: %s", err)
    finally:
        log._configured = None
    written = log_file.read_text()
    assert "retry 1 of 1" in written  # the failed calls are in the log
    assert token not in written and supabase.keys["anon"] not in written
