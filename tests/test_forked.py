"""The forked map: real child processes, real pipes, real failures."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from agentsync import forked

pytestmark = pytest.mark.skipif(not forked.available(), reason="needs fork")


def square_all(chunk: list[int]) -> list[tuple[int, int]]:
    return [(n * n, os.getpid()) for n in chunk]


def fail_on_seven(chunk: list[int]) -> list[int]:
    if 7 in chunk:
        raise ValueError("seven is not allowed")
    return chunk


def die_on_seven(chunk: list[int]) -> list[int]:
    if 7 in chunk:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunk


def slow_squares(chunk: list[int]) -> list[int]:
    time.sleep(0.2)
    return [n * n for n in chunk]


def leftover_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("agentsync-worker")]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_answers_come_back_in_order_from_every_worker(workers: int) -> None:
    chunks = [list(range(start, start + 5)) for start in range(0, 100, 5)]
    answers = list(forked.forked_map(square_all, chunks, workers))
    assert [square for answer in answers for square, _pid in answer] == [n * n for n in range(100)]
    pids = {pid for answer in answers for _square, pid in answer}
    assert os.getpid() not in pids
    assert len(pids) == workers
    assert multiprocessing.active_children() == []
    assert leftover_threads() == []


def test_more_workers_than_chunks_starts_one_per_chunk() -> None:
    answers = list(forked.forked_map(square_all, [[1], [2]], 8))
    assert [answer[0][0] for answer in answers] == [1, 4]
    assert len({answer[0][1] for answer in answers}) == 2


def test_an_exception_in_a_worker_is_raised_with_its_traceback() -> None:
    chunks = [[n] for n in range(10)]
    seen = []
    with pytest.raises(forked.WorkerFailed, match="seven is not allowed") as caught:
        for answer in forked.forked_map(fail_on_seven, chunks, 2):
            seen.append(answer[0])
    assert "ValueError" in str(caught.value)
    assert seen == [0, 1, 2, 3, 4, 5, 6]  # everything before the failure, in order
    assert multiprocessing.active_children() == []
    assert leftover_threads() == []


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    chunks = [[n] for n in range(10)]
    with pytest.raises(forked.WorkerFailed, match=f"exit code {-signal.SIGKILL}"):
        list(forked.forked_map(die_on_seven, chunks, 2))
    assert multiprocessing.active_children() == []
    assert leftover_threads() == []


def test_stopping_early_stops_the_workers() -> None:
    answers = forked.forked_map(slow_squares, [[n] for n in range(100)], 2)  # 10 s of work per worker
    assert next(answers) == [0]
    workers = multiprocessing.active_children()
    assert len(workers) == 2
    answers.close()
    assert [worker.exitcode for worker in workers] == [-signal.SIGTERM, -signal.SIGTERM]  # stopped, not finished
    assert multiprocessing.active_children() == []
    assert leftover_threads() == []
