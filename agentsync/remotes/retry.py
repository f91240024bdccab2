"""Retries of calls to a remote that could not be reached: exponential backoff with full jitter.

Every remote call is safe to repeat (a batch carries its client and batch id, and the remote
answers a repeated batch with its first answer; the rest are reads or idempotent leases), so
a call that failed with ``RemoteUnavailable`` is tried again after a random wait between
zero and ``base * 2**attempt`` seconds (capped), which spreads the retries of many clones
that lost the remote at the same moment. Refusals are never retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from agentsync.errors import RemoteUnavailable
from agentsync.remotes.base import Change, LockResult, Page, PushResult, Remote

logger = logging.getLogger("agentsync.remote")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # calls in all, the first included
    base: float = 0.5  # seconds: the first wait is up to this long
    cap: float = 8.0  # no single wait is longer

    def delay(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """The wait after failed attempt number ``attempt`` (0 for the first): full jitter."""
        return float(draw() * min(self.cap, self.base * 2.0**attempt))


COMMAND_RETRY = RetryPolicy()  # a person waits: a few seconds of retries are worth it
HOOK_RETRY = RetryPolicy(attempts=2, base=0.25, cap=1.0)  # a git push must not hang: the outbox keeps the work
NO_RETRY = RetryPolicy(attempts=1)


def call_with_retry(
    call: Callable[[], T], policy: RetryPolicy, *, what: str = "remote call",
    sleep: Callable[[float], None] = time.sleep, draw: Callable[[], float] = random.random,
) -> T:  # fmt: skip
    for attempt in range(max(policy.attempts, 1)):
        try:
            return call()
        except RemoteUnavailable as exc:
            if attempt + 1 >= policy.attempts:
                raise
            wait = policy.delay(attempt, draw)
            retries = policy.attempts - 1
            logger.warning("%s failed (%s); retry %d of %d in %.2f s", what, exc, attempt + 1, retries, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


class RetryingRemote:
    """A remote whose calls are retried by ``policy`` when the remote cannot be reached."""

    def __init__(self, inner: Remote, policy: RetryPolicy = COMMAND_RETRY) -> None:
        self.inner = inner
        self.policy = policy
        self.project = inner.project
        self.identity = inner.identity

    def _retry(self, what: str, call: Callable[[], T]) -> T:
        from agentsync.tracing import span

        with span("remote." + what.split(" ")[0], remote=self.identity.split("#")[0].split(":")[0]) as traced:
            attempts = [0]

            def counted() -> T:
                attempts[0] += 1
                return call()

            try:
                result = call_with_retry(counted, self.policy, what=what)
            except Exception as exc:
                traced.set_attributes({"agentsync.attempts": attempts[0], "agentsync.result": type(exc).__name__})
                raise
            traced.set_attributes({"agentsync.attempts": attempts[0], "agentsync.result": "ok"})
            if isinstance(result, PushResult):
                traced.set_attribute("agentsync.answers", len(result.answers))
            elif isinstance(result, Page):
                traced.set_attribute("agentsync.rows", len(result.rows))
            return result

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        return self._retry(
            f"push of batch {batch_id}", lambda: self.inner.push(client_id, batch_id, author, changes, encoded)
        )

    def pull(self, after: int, limit: int) -> Page:
        return self._retry("pull", lambda: self.inner.pull(after, limit))

    def head(self) -> int:
        return self._retry("head", self.inner.head)

    def lock(self, key: str, holder: str, ttl_seconds: int) -> LockResult:
        return self._retry("lock", lambda: self.inner.lock(key, holder, ttl_seconds))

    def unlock(self, key: str, holder: str, force: bool) -> LockResult:
        return self._retry("unlock", lambda: self.inner.unlock(key, holder, force))

    def locks(self) -> list[dict[str, Any]]:
        return self._retry("locks", self.inner.locks)

    def history(self, key: str, limit: int) -> list[dict[str, Any]]:
        return self._retry("history", lambda: self.inner.history(key, limit))

    def audit(self, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        return self._retry("audit", lambda: self.inner.audit(author, since, limit))

    def purge(self, author: str, dry_run: bool) -> dict[str, Any]:
        return self._retry("purge", lambda: self.inner.purge(author, dry_run))

    def register_client(self, client_id: str, user: str, host: str, version: str, cursor: int) -> None:
        self._retry("register", lambda: self.inner.register_client(client_id, user, host, version, cursor))

    def clients(self) -> list[dict[str, Any]]:
        return self._retry("clients", self.inner.clients)

    def retire_client(self, client_id: str) -> bool:
        return self._retry("retire", lambda: self.inner.retire_client(client_id))

    def schema_version(self) -> int:
        return self._retry("schema version", self.inner.schema_version)

    def database_id(self) -> str:
        """Asked once, not retried: out of reach, the call that follows (and its retries) says so."""
        return self.inner.database_id()

    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int:
        return self._retry("id reservation", lambda: self.inner.reserve_id(type_name, prefix, floor))

    def close(self) -> None:
        self.inner.close()
