"""A remote on Supabase over HTTP: supabase-py calls the functions of ``sql/`` through PostgREST.

Keys come only from the environment: ``SUPABASE_SERVICE_ROLE_KEY`` (trusted automation and
project set-up), or ``SUPABASE_ANON_KEY`` with a signed-in user's ``SUPABASE_ACCESS_TOKEN``
(the remote then records that user as the author and checks membership). supabase-py is
imported on first use, so nothing that stays local pays for it.

Network failures and the gateway's "database unavailable" answers become ``RemoteUnavailable``
(the caller keeps the work and retries); refusals become ``RemoteError`` with a message that
says what to change — for credentials, which variable.
"""

from __future__ import annotations

import os
from typing import Any

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.identity import split_key
from agentsync.remotes.base import Change, LockResult, Page, PushResult, RemoteRow

SERVICE_KEY_VARIABLE = "SUPABASE_SERVICE_ROLE_KEY"
ANON_KEY_VARIABLE = "SUPABASE_ANON_KEY"
ACCESS_TOKEN_VARIABLE = "SUPABASE_ACCESS_TOKEN"
SCHEMA = "agentsync"

_TOKEN_CODES = {"PGRST300", "PGRST301", "PGRST302", "PGRST303"}
_UNAVAILABLE_CODES = {"PGRST000", "PGRST001", "PGRST002", "PGRST003"}


def credentials_from_environment(environ: dict[str, str] | None = None) -> tuple[str, str | None]:
    """(API key, user access token or None), or a RemoteError saying which variables to set."""
    environ = dict(os.environ if environ is None else environ)
    service = environ.get(SERVICE_KEY_VARIABLE, "").strip()
    anon = environ.get(ANON_KEY_VARIABLE, "").strip()
    token = environ.get(ACCESS_TOKEN_VARIABLE, "").strip()
    if token:
        if not anon:
            raise RemoteError(
                f"{ACCESS_TOKEN_VARIABLE} is set but {ANON_KEY_VARIABLE} is not: export the project's anon key "
                "(Dashboard → Project Settings → API) beside the user's token"
            )
        return anon, token
    if service:
        return service, None
    if anon:
        raise RemoteError(
            f"{ANON_KEY_VARIABLE} alone reaches nothing: also export a signed-in user's {ACCESS_TOKEN_VARIABLE}, "
            f"or use {SERVICE_KEY_VARIABLE} for automation"
        )
    raise RemoteError(
        f"the Supabase remote needs credentials from the environment: {SERVICE_KEY_VARIABLE}, or "
        f"{ANON_KEY_VARIABLE} plus a user's {ACCESS_TOKEN_VARIABLE} (keys never go in agentsync.yaml)"
    )


class SupabaseRemote:
    def __init__(
        self, url: str, project: str, api_key: str, access_token: str | None = None, *, timeout: float = 60.0
    ) -> None:
        self.url = url.rstrip("/")
        self.project = project
        self.identity = f"{self.url}#{project}"
        self._api_key = api_key
        self._access_token = access_token
        self.timeout = timeout
        self._client: Any = None
        self._http: Any = None
        self._database_id: str | None = None

    def __repr__(self) -> str:  # never shows the key or the token
        return f"SupabaseRemote({self.url!r}, project={self.project!r})"

    def _rpc(self, function: str, params: dict[str, Any]) -> Any:
        import httpx
        from postgrest.exceptions import APIError

        try:
            return self._connected().rpc(function, params).execute().data
        except APIError as exc:
            raise self._refusal(exc) from None
        except httpx.TimeoutException:
            raise RemoteUnavailable(f"{self.url} did not answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise RemoteUnavailable(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None

    def _connected(self) -> Any:
        if self._client is None:
            try:
                from supabase import ClientOptions, create_client
            except ImportError as exc:
                raise RemoteError("the Supabase client is missing: pip install 'agentsync[supabase]'") from exc
            import httpx

            headers = {"Authorization": f"Bearer {self._access_token}"} if self._access_token else {}
            self._http = httpx.Client(timeout=self.timeout)
            # Retries are ours (RetryingRemote): every call, pushes included, is safe to repeat.
            options = ClientOptions(
                schema=SCHEMA, headers=headers, auto_refresh_token=False, persist_session=False,
                httpx_client=self._http, postgrest_client_retry=False,
            )  # fmt: skip
            try:
                self._client = create_client(self.url, self._api_key, options)
            except Exception as exc:  # supabase-py validates the URL and key with its own exception type
                raise RemoteError(f"cannot use the Supabase remote {self.url}: {exc}") from None
        return self._client

    def _refusal(self, exc: Any) -> RemoteError:
        """A PostgREST error as one line that says what to do."""
        code = str(exc.code or "")
        message = str(exc.message or exc).strip().splitlines()[0] if (exc.message or str(exc)) else "refused"
        if code in _UNAVAILABLE_CODES:
            return RemoteUnavailable(f"{self.url} cannot reach its database now ({message})")
        if code in _TOKEN_CODES:
            if self._access_token:
                return RemoteError(
                    f"the remote refused {ACCESS_TOKEN_VARIABLE} ({message}): sign in again and export a fresh token"
                )
            return RemoteError(
                f"the remote refused {SERVICE_KEY_VARIABLE} ({message}): copy the service_role key of this project "
                "(Dashboard → Project Settings → API)"
            )
        if message in ("Invalid API key", "No API key found in request"):
            variable = ANON_KEY_VARIABLE if self._access_token else SERVICE_KEY_VARIABLE
            return RemoteError(f"{self.url} refused the API key ({message}): check that {variable} is this project's")
        if code == "PGRST106":
            return RemoteError(
                f"{self.url} does not expose the `{SCHEMA}` schema: add it under Dashboard → Project Settings → "
                "API → Exposed schemas"
            )
        if code == "PGRST202":
            return RemoteError(
                f"{self.url} has no agentsync functions (or older ones): run `agentsync remote migrate --db-url "
                "postgresql://…` with the project's connection string"
            )
        if code == "42501":
            if "schema" in message and not self._access_token:
                return RemoteError(f"the remote refused: {message}; the anon key alone reaches nothing")
            return RemoteError(f"the remote refused: {message}")
        return RemoteError(f"the remote refused: {message}" + (f" ({code})" if code else ""))

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:  # supabase-py encodes its parameters itself: ``encoded`` is not used
        answer = self._rpc(
            "push",
            {"p_project": self.project, "p_client": client_id, "p_batch": batch_id, "p_author": author,
             "p_changes": [c.to_json() for c in changes]},
        )  # fmt: skip
        return PushResult.from_json(answer)

    def pull(self, after: int, limit: int) -> Page:
        rows = self._rpc("pull_rows", {"p_project": self.project, "p_after": after, "p_limit": limit})
        return Page([RemoteRow.from_json(r) for r in rows], int(rows[-1]["head"]) if rows else after)

    def head(self) -> int:
        return int(self._rpc("head", {"p_project": self.project}))

    def lock(self, key: str, holder: str, ttl_seconds: int) -> LockResult:
        identity = split_key(key)
        params: dict[str, Any] = {
            "p_project": self.project, "p_type": identity.type, "p_artifact": identity.id, "p_holder": holder,
        }  # fmt: skip
        params["p_ttl_seconds"] = ttl_seconds
        return LockResult.from_json(self._rpc("lock", params))

    def unlock(self, key: str, holder: str, force: bool) -> LockResult:
        identity = split_key(key)
        params = {"p_project": self.project, "p_type": identity.type, "p_artifact": identity.id, "p_holder": holder,
                  "p_force": force}  # fmt: skip
        return LockResult.from_json(self._rpc("unlock", params))

    def locks(self) -> list[dict[str, Any]]:
        return list(self._rpc("locks", {"p_project": self.project}))

    def history(self, key: str, limit: int) -> list[dict[str, Any]]:
        identity = split_key(key)
        params = {"p_project": self.project, "p_type": identity.type, "p_artifact": identity.id, "p_limit": limit}
        return list(self._rpc("history", params))

    def audit(self, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        arguments = {"p_project": self.project, "p_author": author, "p_since": since, "p_limit": limit}
        return list(self._rpc("audit", arguments))

    def purge(self, author: str, dry_run: bool) -> dict[str, Any]:
        return dict(self._rpc("purge", {"p_project": self.project, "p_author": author, "p_dry_run": dry_run}))

    def register_client(self, client_id: str, user: str, host: str, version: str, cursor: int) -> None:
        arguments = {"p_project": self.project, "p_client": client_id, "p_user": user, "p_host": host,
                     "p_version": version, "p_cursor": cursor}  # fmt: skip
        self._rpc("register_client", arguments)

    def clients(self) -> list[dict[str, Any]]:
        return list(self._rpc("clients", {"p_project": self.project}))

    def retire_client(self, client_id: str) -> bool:
        return bool(self._rpc("retire_client", {"p_project": self.project, "p_client": client_id})["retired"])

    def schema_version(self) -> int:
        return int(self._rpc("schema_version", {}))

    def database_id(self) -> str:
        """The database's generated identity (``sql/0010``), asked once per client."""
        if self._database_id is None:
            try:
                self._database_id = str(self._rpc("database_id", {}))
            except RemoteUnavailable:
                raise
            except RemoteError as exc:  # a remote without migration 10 (PGRST202): "" (nothing to compare)
                if "has no agentsync functions" not in str(exc):
                    raise
                self._database_id = ""
        return self._database_id

    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int:
        arguments = {"p_project": self.project, "p_type": type_name, "p_prefix": prefix, "p_floor": floor}
        return int(self._rpc("reserve_id", arguments))

    def close(self) -> None:
        if self._http is not None:
            try:
                self._http.close()
            finally:
                self._client = self._http = None
