"""Retries with exponential backoff and full jitter, against remotes that are really unreachable."""

from __future__ import annotations

import socket

import pytest

from agentsync.errors import RemoteError, RemoteUnavailable
from agentsync.remotes.postgres import PostgresRemote
from agentsync.remotes.retry import RetryingRemote, RetryPolicy, call_with_retry
from agentsync.remotes.supabase import SupabaseRemote
from tests.remotes.conftest import SupabaseProject


def test_waits_grow_exponentially_up_to_the_cap_and_are_jittered() -> None:
    policy = RetryPolicy(attempts=6, base=0.5, cap=3.0)
    assert [policy.delay(n, lambda: 1.0) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [policy.delay(n, lambda: 0.25) for n in range(3)] == [0.125, 0.25, 0.5]
    assert all(0 <= policy.delay(4) <= 3.0 for _ in range(200))
    assert len({policy.delay(4) for _ in range(50)}) > 40  # spread, so clones do not retry in step


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_remote_is_tried_attempts_times_then_reported() -> None:
    remote = PostgresRemote(f"postgresql://ada@127.0.0.1:{closed_port()}/db", "demo", connect_timeout=2)
    waits: list[float] = []
    with pytest.raises(RemoteUnavailable, match="cannot reach"):
        call_with_retry(remote.head, RetryPolicy(attempts=3, base=1.0, cap=10), sleep=waits.append, draw=lambda: 1.0)
    assert waits == [1.0, 2.0]


def test_a_refusal_is_not_retried() -> None:
    calls: list[int] = []

    def refuse() -> int:
        calls.append(1)
        raise RemoteError("the remote refused: not a member")

    with pytest.raises(RemoteError, match="not a member"):
        call_with_retry(refuse, RetryPolicy(attempts=5), sleep=lambda _: None)
    assert calls == [1]


def test_a_remote_that_comes_back_during_the_backoff_answers_the_retry(supabase: SupabaseProject) -> None:
    port = int(supabase.url.rsplit(":", 1)[1])
    remote = SupabaseRemote(supabase.url, "demo", supabase.keys["service_role"], timeout=5)
    supabase.gateway.stop()

    def restart_while_waiting(seconds: float) -> None:
        supabase.gateway.start(port)

    assert call_with_retry(remote.head, RetryPolicy(attempts=2), sleep=restart_while_waiting) == 0
    retrying = RetryingRemote(remote, RetryPolicy(attempts=1))
    assert (retrying.project, retrying.identity) == ("demo", remote.identity) and retrying.head() == 0
