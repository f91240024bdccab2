"""A remote on PostgreSQL reached directly with psycopg (a Supabase connection string works too).

Each call is one function of ``sql/`` in its own transaction; the connection is opened on
first use. Connection failures become ``RemoteUnavailable`` (the caller keeps the work for
later); refusals by the database become ``RemoteError`` with its message.
"""

from __future__ import annotations

from typing import Any

from agentsync.errors import RemoteError
from agentsync.remotes.base import Answer, Change, LockResult, Page, PushResult, RemoteRow


class RemoteUnavailable(RemoteError):
    """The remote cannot be reached now; nothing was applied, or the answer was lost (retry the batch)."""


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    import re

    return re.sub(r"(://[^/:@\s]+):[^@/\s]*@", r"\1:***@", url)


def first_line(exc: BaseException) -> str:
    """A database error as one line (psycopg messages carry details and hints on further lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(url: str, *, connect_timeout: int = 10) -> Any:
    """An autocommit psycopg connection; a missing driver or an unreachable server is one clear error."""
    try:
        import psycopg
    except ImportError as exc:
        raise RemoteError("the PostgreSQL driver is missing: pip install 'agentsync[remote]'") from exc
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
    except psycopg.OperationalError as exc:
        raise RemoteUnavailable(f"cannot reach {redact(url)}: {first_line(exc)}") from None


class PostgresRemote:
    def __init__(self, url: str, project: str, *, connect_timeout: int = 10) -> None:
        self.url = url
        self.project = project
        self.connect_timeout = connect_timeout
        self._connection: Any = None

    def _call(self, sql: str, params: tuple[Any, ...]) -> Any:
        if self._connection is None or self._connection.closed:
            self._connection = connect(self.url, connect_timeout=self.connect_timeout)
        import psycopg

        try:
            row = self._connection.execute(sql, params).fetchone()
        except psycopg.OperationalError as exc:  # the server went away (restart, network)
            self.close()
            raise RemoteUnavailable(f"cannot reach {redact(self.url)}: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise RemoteError(f"the remote refused: {first_line(exc)}") from None
        return None if row is None else row[0]

    def push(self, client_id: str, batch_id: str, author: str, changes: list[Change]) -> PushResult:
        from psycopg.types.json import Jsonb

        answer = self._call(
            "SELECT agentsync.push(%s, %s, %s, %s, %s)",
            (self.project, client_id, batch_id, author, Jsonb([c.to_json() for c in changes])),
        )
        return PushResult(
            answers=[Answer.from_json(a) for a in answer["answers"]],
            head=int(answer["head"]),
            replayed=bool(answer.get("replayed")),
        )

    def pull(self, after: int, limit: int) -> Page:
        answer = self._call("SELECT agentsync.pull(%s, %s, %s)", (self.project, after, limit))
        return Page(rows=[RemoteRow.from_json(r) for r in answer["rows"]], head=int(answer["head"]))

    def head(self) -> int:
        return int(self._call("SELECT agentsync.head(%s)", (self.project,)))

    def lock(self, artifact_id: str, holder: str, ttl_seconds: int) -> LockResult:
        answer = self._call("SELECT agentsync.lock(%s, %s, %s, %s)", (self.project, artifact_id, holder, ttl_seconds))
        return LockResult(answer["result"], answer.get("holder"), answer.get("expires_at"))

    def unlock(self, artifact_id: str, holder: str, force: bool) -> LockResult:
        answer = self._call("SELECT agentsync.unlock(%s, %s, %s, %s)", (self.project, artifact_id, holder, force))
        return LockResult(answer["result"], answer.get("holder"), answer.get("expires_at"), bool(answer.get("forced")))

    def locks(self) -> list[dict[str, Any]]:
        return list(self._call("SELECT agentsync.locks(%s)", (self.project,)))

    def history(self, artifact_id: str, limit: int) -> list[dict[str, Any]]:
        return list(self._call("SELECT agentsync.history(%s, %s, %s)", (self.project, artifact_id, limit)))

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
