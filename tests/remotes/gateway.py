"""A small PostgREST-compatible HTTP gateway, for tests and benchmarks of the Supabase remote.

It serves the part of a Supabase project's API that supabase-py uses against agentsync:

- ``POST /rest/v1/rpc/FN`` (and ``GET`` with query arguments): call a function by its
  argument names, as PostgREST does;
- ``GET | POST | PATCH | DELETE /rest/v1/TABLE`` with ``column=eq.value`` filters: read and
  write tables as the caller, so that row-level security and grants are what decide.

Like Supabase, each request needs an ``apikey`` header holding one of the project's keys,
and the ``Authorization: Bearer`` token (else the anon key) is checked with the project's
JWT secret (HS256, expiry included). Each request runs in one transaction under the token's
role with ``request.jwt.claims`` set, on a connection logged in as ``authenticator``.
Errors come back in PostgREST's shape (``code``, ``message``, ``details``, ``hint``) with
PostgREST's HTTP statuses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

SHIM = Path(__file__).with_name("supabase_shim.sql")
UNREACHABLE = "Could not connect with the database"


# --- JWT (HS256), as Supabase signs its keys and user tokens ---------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claims: dict[str, Any], secret: str) -> str:
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64encode(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64encode(signature)}"


class TokenError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify(token: str, secret: str) -> dict[str, Any]:
    """The token's claims if ``secret`` signed it and it has not expired."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("PGRST301", f"Expected 3 parts in JWT; got {len(parts)}")
    try:
        header = json.loads(_b64decode(parts[0]))
        signature = _b64decode(parts[2])
        claims = json.loads(_b64decode(parts[1]))
    except ValueError:
        raise TokenError("PGRST301", "JWSError (CompactDecodeError Invalid number of parts)") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise TokenError("PGRST301", "JWSError JWSInvalidSignature")
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise TokenError("PGRST301", "JWSError JWSInvalidSignature")
    expires = claims.get("exp")
    if isinstance(expires, (int, float)) and time.time() >= expires:
        raise TokenError("PGRST303", "JWT expired")
    return claims


def project_keys(secret: str) -> dict[str, str]:
    """The anon and service_role keys a Supabase project would show for this secret."""
    far = int(time.time()) + 10 * 365 * 86400
    return {
        "anon": sign({"role": "anon", "iss": "supabase", "exp": far}, secret),
        "service_role": sign({"role": "service_role", "iss": "supabase", "exp": far}, secret),
    }


def user_token(secret: str, user_id: str, email: str, *, expires_in: int = 3600) -> str:
    """A signed-in user's access token, as Supabase Auth issues it."""
    return sign(
        {"sub": user_id, "email": email, "role": "authenticated", "aud": "authenticated",
         "exp": int(time.time()) + expires_in},
        secret,
    )  # fmt: skip


# --- errors ------------------------------------------------------------------------------------


class GatewayError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = {"code": None, "details": None, "hint": None, **body}


def _status_for(sqlstate: str, role: str) -> int:
    """PostgREST's HTTP status for a database error."""
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    if sqlstate in ("42883", "42P01"):
        return 404
    if sqlstate in ("23503", "23505"):
        return 409
    if sqlstate == "25006":
        return 405
    if sqlstate.startswith(("08", "53", "57")):
        return 503
    if sqlstate.startswith("XX"):
        return 500
    return 400


def _database_error(exc: psycopg.Error, role: str) -> GatewayError:
    if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
        return GatewayError(503, {"code": "PGRST000", "message": UNREACHABLE, "details": str(exc)})
    diag = exc.diag
    sqlstate = exc.sqlstate or "XX000"
    return GatewayError(
        _status_for(sqlstate, role),
        {"code": sqlstate, "message": diag.message_primary or str(exc), "details": diag.message_detail,
         "hint": diag.message_hint},
    )  # fmt: skip


# --- the server --------------------------------------------------------------------------------


def authenticator_url(url: str) -> str:
    """``url`` logged in as the ``authenticator`` role (the embedded server trusts local logins)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"authenticator@{host}"))


def install_shim(admin_url: str) -> None:
    """Give a plain PostgreSQL database what a Supabase project has before agentsync is migrated."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(SHIM.read_text())  # a trusted file of statements


class Gateway:
    """The gateway on ``127.0.0.1`` (a free port); ``url`` is what a Supabase client is given."""

    def __init__(self, database_url: str, secret: str, *, schemas: tuple[str, ...] = ("public", "agentsync")) -> None:
        self.database_url = database_url
        self.secret = secret
        self.schemas = schemas
        self.requests = 0
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._signatures: dict[tuple[str, str], list[tuple[list[str], list[str], bool]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()  # kept-alive client connections, closed by stop()
        self._open_lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the gateway first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self, port: int = 0) -> Gateway:
        gateway = self

        class Handler(_Handler):
            owner = gateway

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop as a server going down would: the port closes (new connections are refused) and
        kept-alive connections are cut; then the database connections are closed."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._open_lock:
            for client in self._open:
                try:
                    client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._open.clear()
        while not self._pool.empty():
            self._pool.get_nowait().close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            connection = self._pool.get_nowait()
        except queue.Empty:
            try:
                connection = psycopg.connect(self.database_url, autocommit=True)
            except psycopg.OperationalError as exc:
                details = str(exc).splitlines()[0]
                raise GatewayError(503, {"code": "PGRST000", "message": UNREACHABLE, "details": details}) from None
        try:
            yield connection
        finally:
            if connection.closed or connection.broken:
                connection.close()
            else:
                self._pool.put(connection)

    # -- requests --

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str]:
        self.requests += 1
        url = urllib.parse.urlsplit(path)
        if not url.path.startswith("/rest/v1/"):
            raise GatewayError(404, {"message": "no Route matched with those values"})
        claims = self._authenticate(headers)
        role = str(claims.get("role") or "anon")
        writes = method in ("POST", "PATCH", "DELETE")
        schema = headers.get("Content-Profile" if writes else "Accept-Profile") or "public"
        if schema not in self.schemas:
            exposed = "Only the following schemas are exposed: " + ", ".join(self.schemas)
            raise GatewayError(406, {"code": "PGRST106", "message": "Invalid schema: " + schema, "hint": exposed})
        query = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        try:
            payload = json.loads(body) if body else None
        except ValueError as exc:
            raise GatewayError(400, {"code": "PGRST102", "message": f"Empty or invalid json: {exc}"}) from None
        target = urllib.parse.unquote(url.path[len("/rest/v1/") :])
        if target.startswith("rpc/"):
            arguments = payload if writes else dict(query)
            if not isinstance(arguments, dict):
                raise GatewayError(400, {"code": "PGRST102", "message": "function arguments must be a JSON object"})
            return 200, self._call(schema, target[4:], arguments, claims, role, read_only=not writes)
        return self._table(method, schema, target, query, payload, claims, role)

    def _authenticate(self, headers: Any) -> dict[str, Any]:
        apikey = headers.get("apikey")
        if not apikey:
            raise GatewayError(401, {"message": "No API key found in request",
                                     "hint": "No `apikey` request header or url param was found."})  # fmt: skip
        try:
            verify(apikey, self.secret)
        except TokenError:
            raise GatewayError(401, {"message": "Invalid API key"}) from None
        authorization = headers.get("Authorization") or f"Bearer {apikey}"
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise GatewayError(401, {"code": "PGRST301", "message": "Authorization header is not a Bearer token"})
        try:
            return verify(token.strip(), self.secret)
        except TokenError as exc:
            raise GatewayError(401, {"code": exc.code, "message": exc.message}) from None

    @contextmanager
    def _request(self, claims: dict[str, Any], role: str, *, read_only: bool) -> Iterator[psycopg.Connection[Any]]:
        """A transaction under the token's role, with its claims where the database reads them."""
        with self._connection() as connection:
            try:
                with connection.transaction():
                    if read_only:
                        connection.execute("SET TRANSACTION READ ONLY")
                    connection.execute(
                        "SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                        (role, json.dumps(claims)),
                    )
                    yield connection
            except psycopg.Error as exc:
                raise _database_error(exc, role) from None

    def _signatures_of(self, schema: str, function: str) -> list[tuple[list[str], list[str], bool]]:
        key = (schema, function)
        if key not in self._signatures:
            with self._connection() as connection:
                rows = connection.execute(
                    "SELECT coalesce(p.proargnames[1:p.pronargs], '{}'), p.proargtypes::regtype[]::text[], "
                    "p.proretset FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = %s AND p.proname = %s",
                    (schema, function),
                ).fetchall()
            self._signatures[key] = [(list(names), list(types), bool(returns)) for names, types, returns in rows]
        return self._signatures[key]

    def _call(
        self, schema: str, function: str, arguments: dict[str, Any], claims: dict[str, Any], role: str,
        *, read_only: bool,
    ) -> str:  # fmt: skip
        matching = [s for s in self._signatures_of(schema, function) if sorted(s[0]) == sorted(arguments)]
        if not matching:
            listed = ", ".join(sorted(arguments))
            message = f"Could not find the function {schema}.{function}({listed}) in the schema cache"
            raise GatewayError(404, {"code": "PGRST202", "message": message})
        names, types, returns_set = matching[0]
        call = sql.SQL("{}.{}({})").format(
            sql.Identifier(schema),
            sql.Identifier(function),
            sql.SQL(", ").join(
                sql.SQL("{} := %s::{}").format(sql.Identifier(name), sql.SQL(type_name))
                for name, type_name in zip(names, types, strict=True)
            ),
        )
        statement = (
            sql.SQL("SELECT coalesce(json_agg(r), '[]')::text FROM {} AS r").format(call)
            if returns_set
            else sql.SQL("SELECT to_json({})::text").format(call)
        )
        values = [_argument(arguments[name], type_name) for name, type_name in zip(names, types, strict=True)]
        with self._request(claims, role, read_only=read_only) as connection:
            row = connection.execute(statement, values).fetchone()
        return row[0] if row and row[0] is not None else "null"

    def _table(
        self, method: str, schema: str, table: str, query: list[tuple[str, str]], payload: Any,
        claims: dict[str, Any], role: str,
    ) -> tuple[int, str]:  # fmt: skip
        name = sql.Identifier(schema, table)
        columns: sql.Composable = sql.SQL("*")
        conditions: list[sql.Composable] = []
        values: list[Any] = []
        for key, value in query:
            if key == "select":
                if value.strip() != "*":
                    columns = sql.SQL(", ").join(sql.Identifier(c.strip()) for c in value.split(","))
                continue
            if key in ("order", "limit", "offset", "columns", "on_conflict"):
                continue
            operator, _, operand = value.partition(".")
            if operator not in ("eq", "neq"):
                raise GatewayError(400, {"code": "PGRST100", "message": f"unsupported filter {operator!r}"})
            comparison = "{}::text = %s" if operator == "eq" else "{}::text <> %s"
            conditions.append(sql.SQL(comparison).format(sql.Identifier(key)))
            values.append(operand)
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        if method == "GET":
            inner = sql.SQL("SELECT {} FROM {}{}").format(columns, name, where)
            statement = sql.SQL("SELECT coalesce(json_agg(r), '[]')::text FROM ({}) AS r").format(inner)
        else:
            if method == "DELETE":
                change = sql.SQL("DELETE FROM {}{} RETURNING *").format(name, where)
            else:
                rows = payload if isinstance(payload, list) else [payload]
                if not rows or not all(isinstance(row, dict) and row for row in rows):
                    message = "the body must be a JSON object or an array of objects"
                    raise GatewayError(400, {"code": "PGRST102", "message": message})
                keys = sql.SQL(", ").join(sql.Identifier(k) for k in rows[0])
                if method == "POST":
                    insert = "INSERT INTO {} ({}) SELECT {} FROM json_populate_recordset(NULL::{}, %s) RETURNING *"
                    change = sql.SQL(insert).format(name, keys, keys, name)
                else:
                    update = "UPDATE {} SET ({}) = (SELECT {} FROM json_populate_record(NULL::{}, %s)){} RETURNING *"
                    change = sql.SQL(update).format(name, keys, keys, name, where)
                values.insert(0, json.dumps(rows if method == "POST" else rows[0]))
            statement = sql.SQL("WITH r AS ({}) SELECT coalesce(json_agg(r), '[]')::text FROM r").format(change)
        with self._request(claims, role, read_only=method == "GET") as connection:
            row = connection.execute(statement, values).fetchone()
        return (201 if method == "POST" else 200), (row[0] if row else "[]")


def _argument(value: Any, type_name: str) -> Any:
    """A JSON argument as the text PostgreSQL casts to the parameter's type."""
    if value is None:
        return None
    if type_name in ("json", "jsonb") or isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Handler(BaseHTTPRequestHandler):
    owner: Gateway
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of an API
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def setup(self) -> None:
        super().setup()
        with self.owner._open_lock:
            self.owner._open.add(self.connection)

    def finish(self) -> None:
        with self.owner._open_lock:
            self.owner._open.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, text = self.owner.handle(self.command, self.path, self.headers, body)
        except GatewayError as exc:
            status, text = exc.status, json.dumps(exc.body)
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
