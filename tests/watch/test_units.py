"""The watcher's parts that need no files, threads or database: its status record, its pacing and
its wording (the real watcher runs in test_watcher.py)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from agentsync.config import Config, WatchSettings, default_types
from agentsync.errors import AgentsyncError, Problem
from agentsync.remotes.base import Answer
from agentsync.scanner import ScanReport
from agentsync.sync import PullReport, PushReport
from agentsync.watch import wording
from agentsync.watch.events import Signals
from agentsync.watch.pacing import MAX_BACKOFF, WatchOptions, backoff_delay, push_wait, settle_time
from agentsync.watch.status import WatcherState, status_path, status_record, watcher_state, write_status


def make_config(root: Path) -> Config:
    (root / ".agentsync").mkdir(parents=True, exist_ok=True)
    return Config(root=root, types=default_types(), watch=WatchSettings(poll_interval=7.0), auto_push=True)


def record(state: WatcherState, **changes: object) -> dict[str, object]:
    base = status_record(state, started_at="t0", push=False, remote=None, notifications=False, poll_interval=5.0,
                         last_sync=None, last_error=None, errors=0, cursor=3, head=5)  # fmt: skip
    return {**base, **changes}


def test_a_record_of_this_process_reads_back_running_with_its_lag(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    written = record(WatcherState.BACKOFF)
    assert write_status(config, written, {}) is True
    assert json.loads(status_path(config).read_text())["state"] == "backoff"  # the plain value on disk
    state = watcher_state(config)
    assert state is not None and state["running"] is True and state["lag"] == 2
    assert state["state"] == WatcherState.BACKOFF


def test_a_record_that_says_nothing_new_is_not_rewritten(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = record(WatcherState.RUNNING)
    write_status(config, first, {})
    assert write_status(config, {**first, "updated_at": "later"}, first) is False
    assert write_status(config, {**first, "head": 9}, first) is True


@pytest.mark.parametrize(
    ("state", "gone", "host", "read_as"),
    [
        (WatcherState.RUNNING, True, None, WatcherState.DIED),  # its process is gone: killed
        (WatcherState.BACKOFF, False, "elsewhere", WatcherState.DIED),  # another host's pid says nothing here
        (WatcherState.STOPPED, False, None, WatcherState.STOPPED),
        (WatcherState.FAILED, True, None, WatcherState.FAILED),
    ],
)
def test_a_live_record_whose_process_is_gone_reads_as_died(
    tmp_path: Path, state: WatcherState, gone: bool, host: str | None, read_as: WatcherState
) -> None:
    config = make_config(tmp_path)
    changes: dict[str, object] = {"host": host or socket.gethostname()}
    if gone:
        changes["pid"] = 2**22 + 12345  # above any pid_max: no such process
    status_path(config).write_text(json.dumps(record(state, **changes)))
    read = watcher_state(config)
    assert read is not None and read["running"] is False and read["state"] == read_as


def test_no_record_or_a_broken_one_is_no_watcher(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert watcher_state(config) is None
    status_path(config).write_text("[1, 2")
    assert watcher_state(config) is None
    status_path(config).write_text("[1, 2]")
    assert watcher_state(config) is None


def test_options_take_the_command_line_over_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert WatchOptions.from_config(config) == WatchOptions(poll_interval=7.0, push=True)
    assert WatchOptions.from_config(config, push=False, poll_interval=1.5) == WatchOptions(poll_interval=1.5)
    assert WatchOptions._fields == (*WatchSettings._fields, "push")  # the options list every setting, same defaults
    assert WatchOptions()[:-1] == tuple(WatchSettings())


def test_the_backoff_doubles_up_to_its_ceiling_and_never_falls_below_half() -> None:
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, MAX_BACKOFF), (40, MAX_BACKOFF)]:
        delays = [backoff_delay(failures) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_a_lone_save_is_pushed_after_a_share_of_the_delay_and_each_further_save_waits_longer() -> None:
    options = WatchOptions(push_delay=0.5)
    assert [push_wait(options, saves) for saves in (1, 2, 3, 4, 5, 1000)] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert push_wait(WatchOptions(push_delay=0.0), 3) == 0.0  # push_delay 0: at once, as before
    assert settle_time(WatchOptions(debounce=0.2)) == 0.05


def test_a_completed_write_settles_sooner_and_the_last_event_decides() -> None:
    signals = Signals(debounce=1000.0, settle=0.0)
    signals.path_changed("plans/done.md", complete=True)  # closed after writing, or renamed into place
    signals.path_changed("plans/writing.md")  # modified, created, moved away, deleted
    signals.path_changed("plans/again.md", complete=True)
    signals.path_changed("plans/again.md")  # written again after its close: not done yet
    assert signals.settled() == (["plans/done.md"], False)
    assert sorted(signals.paths) == ["plans/again.md", "plans/writing.md"]
    still = signals.unsettled_until()
    assert still is not None and still > time.monotonic() + 900
    signals.path_changed("plans/writing.md", complete=True)
    assert signals.settled() == (["plans/writing.md"], False)
    assert Signals(debounce=0.1, settle=5.0).settle == 0.1  # never longer than the debounce


def test_a_scan_is_one_line_per_path() -> None:
    report = ScanReport(added=["a.md"], updated=["b.md"], renamed=[("c.md", "d.md")], deleted=["e.md"],
                        problems=[Problem("f.md", None, "bad")])  # fmt: skip
    assert [event.message for event in wording.scan_events(report)] == [
        "mirrored a.md (new)", "mirrored b.md", "mirrored c.md -> d.md (renamed)", "mirrored e.md (deleted)",
        "not mirrored: f.md: bad",
    ]  # fmt: skip
    assert wording.scan_events(ScanReport(unchanged=3)) == []


def test_a_pull_says_what_it_did_and_summarizes_only_what_changed() -> None:
    """The lines' wording is agentsync.sync.reports'; here: which lines, in which order, naming what."""
    assert wording.pull_summary(PullReport(fetched=4)) is None and wording.pull_events(PullReport(fetched=4)) == []
    report = PullReport(fetched=3, written=["a.md"], merged=["b.md"], conflicts=[("S-1", "both edited")],
                        deferred=["c.md"], problems=[Problem.of(AgentsyncError("boom"))])  # fmt: skip
    assert wording.pull_summary(report) == "pulled 3 change(s): 1 written, 1 merged, 0 deleted"
    events = wording.pull_events(report)
    assert [event.kind for event in events] == ["pulled", "pulled", "conflict", "deferred", "problem"]
    for event, named in zip(events, ["a.md", "b.md", "S-1", "c.md", "boom"], strict=True):
        assert named in event.message
    assert events[-1].level == "error" and events[2].level == "warning"


def test_a_push_names_at_most_five_and_keeps_the_merge_lines_after_its_own() -> None:
    applied = [(f"S-{n}", 2) for n in range(7)]
    locked = Answer("S-9", "locked", holder="ada", expires_at="12:00")
    report = PushReport(applied=applied, locked=[locked], conflicts=[Answer("S-8", "conflict")])
    merge = PullReport(fetched=1, merged=["m.md"])
    assert wording.push_summary(report) == "pushed 7 artifact(s): S-0 v2, S-1 v2, S-2 v2, S-3 v2, S-4 v2 and 2 more"
    events = wording.push_events(report, merge)
    assert [event.kind for event in events] == ["pushed", "pulled", "conflict", "conflict"]
    assert "S-4 v2 and 2 more" in events[0].message and "m.md" in events[1].message
    assert any("S-9" in event.message and "ada" in event.message for event in events[2:])
    assert any("S-8" in event.message for event in events[2:])
    assert wording.push_summary(PushReport()) is None and wording.push_events(PushReport(), None) == []


def test_the_first_line_says_what_is_watched_and_how_the_remote_is_followed() -> None:
    assert wording.start_message("plans/", None, push=False, poll_interval=5) == (
        "watching plans/; no remote configured: mirroring only"
    )
    assert wording.start_message("plans/", "local", push=True, poll_interval=2.5) == (
        "watching plans/; remote local (auto-push on, head checked every 2.5 s)"
    )


def test_this_process_is_named_by_pid_and_start() -> None:
    mine = record(WatcherState.RUNNING)
    assert mine["pid"] == os.getpid() and mine["host"] == socket.gethostname()


def test_a_version_waiting_for_a_stash_pop_is_said_once_while_it_waits(tmp_path: Path) -> None:
    """Each poll's pull finds the waiting version again: the watcher said it every 5 seconds."""
    from agentsync.sync.restored import PullWaits, PutBack
    from agentsync.watch import Watcher

    events: list[str] = []
    watcher = Watcher(make_config(tmp_path), WatchOptions(), lambda event: events.append(event.message))
    waits = PullWaits(PutBack("story:S-1", "stories/S-1.md", 2, False, True), 3, "ada")
    for put_back in ([waits], [waits], [], [waits]):
        watcher._report_pull(PullReport(fetched=0, put_back=list(put_back)))
    assert events == [str(waits), str(waits)]  # once, and again after it stopped waiting and waits anew
