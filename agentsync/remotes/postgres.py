"""A remote on PostgreSQL reached directly with psycopg (a Supabase connection string works too).

Each call is one function of ``sql/`` in its own transaction; the connection is opened on
first use. Connection failures become ``RemoteUnavailable`` (the caller keeps the work for
later); refusals by the database become ``RemoteError`` with its message.
"""

from __future__ import annotations

from typing import Any

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.identity import split_key
from agentsync.remotes.base import Change, LockResult, Page, PushResult, RemoteRow, encode_changes
from agentsync.secrets import redact  # the one redaction (kept importable from here)

__all__ = ["ChangeListener", "PostgresRemote", "RemoteUnavailable", "connect", "first_line", "redact"]


def first_line(exc: BaseException) -> str:
    """A database error as one line (psycopg messages carry details and hints on further lines),
    without any credential it might quote."""
    text = str(exc).strip()
    return redact(text.splitlines()[0]) if text else type(exc).__name__


def connect(url: str, *, connect_timeout: int = 10) -> Any:
    """An autocommit psycopg connection; a missing driver or an unreachable server is one clear error."""
    try:
        import psycopg
    except ImportError as exc:
        raise RemoteError("the PostgreSQL driver is missing: reinstall agentsync (pip install agentsync)") from exc
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
    except psycopg.OperationalError as exc:
        raise RemoteUnavailable(f"cannot reach {redact(url)}: {first_line(exc)}") from None


class PostgresRemote:
    def __init__(self, url: str, project: str, *, connect_timeout: int = 10, identity: str | None = None) -> None:
        self.url = url
        self.project = project
        # The same whatever the environment holds: a mirror is bound to it (sync.bind_remote).
        self.identity = identity or f"{redact(url, environment=False)}#{project}"
        self.connect_timeout = connect_timeout
        self._connection: Any = None
        self._database_id: str | None = None

    def _call(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first column of the single row ``sql`` returns (the functions answer in one jsonb)."""
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def _rows(self, sql: str, params: tuple[Any, ...], *, binary: bool = False) -> list[tuple[Any, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = connect(self.url, connect_timeout=self.connect_timeout)
        import psycopg

        try:
            with self._connection.cursor(binary=binary) as cursor:
                rows: list[tuple[Any, ...]] = cursor.execute(sql, params).fetchall()
                return rows
        except psycopg.OperationalError as exc:  # the server went away (restart, network)
            self.close()
            raise RemoteUnavailable(f"cannot reach {redact(self.url)}: {first_line(exc)}") from None
        except (psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
            raise RemoteError(
                f"{redact(self.url)} has no agentsync functions (or older ones): run `agentsync remote migrate`"
            ) from None
        except psycopg.Error as exc:
            raise RemoteError(f"the remote refused: {first_line(exc)}") from None

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        answer = self._call(
            "SELECT agentsync.push(%s, %s, %s, %s, %s::jsonb)",
            (self.project, client_id, batch_id, author, encoded if encoded is not None else encode_changes(changes)),
        )
        return PushResult.from_json(answer)

    def pull(self, after: int, limit: int) -> Page:
        """A page of the feed as binary rows: several times cheaper to build and read than JSON."""
        rows = self._rows(
            "SELECT artifact_type || ':' || artifact_id, path, version, content, hash, deleted, author, seq, "
            "updated_at, head FROM agentsync.pull_rows(%s, %s, %s)", (self.project, after, limit), binary=True,
        )  # fmt: skip
        return Page(
            [RemoteRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8].isoformat()) for r in rows],
            rows[-1][9] if rows else after,
        )

    def head(self) -> int:
        return int(self._call("SELECT agentsync.head(%s)", (self.project,)))

    def lock(self, key: str, holder: str, ttl_seconds: int) -> LockResult:
        answer = self._call(
            "SELECT agentsync.lock(%s, %s, %s, %s, %s)", (self.project, *split_key(key), holder, ttl_seconds)
        )
        return LockResult.from_json(answer)

    def unlock(self, key: str, holder: str, force: bool) -> LockResult:
        answer = self._call(
            "SELECT agentsync.unlock(%s, %s, %s, %s, %s)", (self.project, *split_key(key), holder, force)
        )
        return LockResult.from_json(answer)

    def locks(self) -> list[dict[str, Any]]:
        return list(self._call("SELECT agentsync.locks(%s)", (self.project,)))

    def history(self, key: str, limit: int) -> list[dict[str, Any]]:
        return list(self._call("SELECT agentsync.history(%s, %s, %s, %s)", (self.project, *split_key(key), limit)))

    def audit(self, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        return list(
            self._call("SELECT agentsync.audit(%s, %s, %s::timestamptz, %s)", (self.project, author, since, limit))
        )

    def purge(self, author: str, dry_run: bool) -> dict[str, Any]:
        return dict(self._call("SELECT agentsync.purge(%s, %s, %s)", (self.project, author, dry_run)))

    def register_client(self, client_id: str, user: str, host: str, version: str, cursor: int) -> None:
        self._call("SELECT agentsync.register_client(%s, %s, %s, %s, %s, %s)",
                   (self.project, client_id, user, host, version, cursor))  # fmt: skip

    def clients(self) -> list[dict[str, Any]]:
        return list(self._call("SELECT agentsync.clients(%s)", (self.project,)))

    def retire_client(self, client_id: str) -> bool:
        return bool(self._call("SELECT agentsync.retire_client(%s, %s)", (self.project, client_id))["retired"])

    def schema_version(self) -> int:
        return int(self._call("SELECT agentsync.schema_version()", ()))

    def database_id(self) -> str:
        """The database's generated identity (``sql/0010``), asked once per connection."""
        if self._database_id is None or self._connection is None or self._connection.closed:
            try:
                self._database_id = str(self._call("SELECT agentsync.database_id()", ()))
            except RemoteUnavailable:
                raise
            except RemoteError as exc:  # a remote without migration 10: "" (nothing to compare)
                if "has no agentsync functions" not in str(exc):
                    raise
                self._database_id = ""
        return self._database_id

    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int:
        return int(self._call("SELECT agentsync.reserve_id(%s, %s, %s, %s)", (self.project, type_name, prefix, floor)))

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


CHANGES_CHANNEL = "agentsync_changes"


class ChangeListener:
    """Hears the remote's change notifications (``sql/0005``) for one project on a connection of
    its own, in a background thread, and calls ``on_change(head)`` for each; ``on_change(None)``
    after it (re)connects, since notifications sent while it was away are lost.

    A lost connection is retried with growing pauses; ``connected`` says whether it listens now.
    """

    def __init__(self, url: str, project: str, on_change: Any, *, max_pause: float = 30.0) -> None:
        import threading

        self.url = url
        self.project = project
        self.on_change = on_change
        self.max_pause = max_pause
        self.connected = False
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agentsync-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        import json

        pause = 0.5
        while not self._stop.is_set():
            try:
                connection = connect(self.url, connect_timeout=5)
            except RemoteError as exc:
                self.error = str(exc)
                self._stop.wait(pause)
                pause = min(pause * 2, self.max_pause)
                continue
            try:
                connection.execute(f"LISTEN {CHANGES_CHANNEL}")
                self.connected, self.error, pause = True, None, 0.5
                self.on_change(None)  # anything committed while not listening
                while not self._stop.is_set():
                    for note in connection.notifies(timeout=1.0):  # wakes each second to see `stop`
                        try:
                            payload = json.loads(note.payload)
                        except ValueError:
                            continue
                        if isinstance(payload, dict) and payload.get("project") == self.project:
                            self.on_change(int(payload.get("head") or 0))
            except Exception as exc:  # the server went away: listen again when it is back
                self.error = f"change notifications lost: {first_line(exc)}"
            finally:
                self.connected = False
                try:
                    connection.close()
                except Exception:
                    pass
            self._stop.wait(pause)
