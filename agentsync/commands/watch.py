"""``agentsync watch``: mirror every save and keep the clone in step with the remote, in the
foreground (one line per event) or in the background (``--detach``, ``--stop``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from agentsync.commands._common import ProgressBar, load_config, want_progress
from agentsync.errors import AgentsyncError
from agentsync.watch import WatchEvent

OUTPUT_NAME = "watch.out"  # a detached watcher's own stdout and stderr (its events go to the log too)
START_TIMEOUT = 30.0  # seconds to wait for a detached watcher to say it runs (the local remote may start)
STOP_TIMEOUT = 15.0


def run(*, push: bool | None, poll_interval: float | None, quiet: bool) -> int:
    """Watch in the foreground until Ctrl-C or SIGTERM; each stops it after the unit in progress."""
    import dataclasses

    from agentsync import log
    from agentsync.watch import Watcher, WatchOptions

    config = load_config()
    options = WatchOptions.from_config(config, push=push)
    if poll_interval is not None:
        options = dataclasses.replace(options, poll_interval=poll_interval)
    log.configure(config.state_dir)  # every event goes to the log file too

    def show(event: WatchEvent) -> None:
        if quiet and event.level == "info" and event.kind not in ("started", "stopped"):
            return
        level = "" if event.level == "info" else f"{event.level}: "
        click.echo(f"{time.strftime('%H:%M:%S')} {level}{event.message}")

    tty = want_progress() and not quiet
    watcher = Watcher(config, options, show, lambda: ProgressBar("pulling", enabled=tty, threshold=2000))
    previous: dict[int, Any] = {}

    def stop(signum: int, frame: FrameType | None) -> None:
        watcher.stop()
        if signum == signal.SIGINT:  # a second Ctrl-C interrupts at once
            signal.signal(signal.SIGINT, previous.get(signal.SIGINT, signal.default_int_handler))

    for wanted in (signal.SIGINT, signal.SIGTERM):
        previous[wanted] = signal.signal(wanted, stop)
    try:
        watcher.run()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0


def run_detach(*, push: bool | None, poll_interval: float | None) -> int:
    """Start a watcher in the background and return once it runs."""
    from agentsync.watch.status import watcher_state

    config = load_config()
    state = watcher_state(config)
    if state and state["running"]:
        raise AgentsyncError(f"a watcher already runs for this repository (pid {state['pid']}); "
                             "`agentsync watch --stop` stops it")  # fmt: skip
    command = [sys.executable, "-m", "agentsync", "watch", "--quiet"]
    if push is not None:
        command.append("--push" if push else "--no-push")
    if poll_interval is not None:
        command += ["--poll-interval", f"{poll_interval:g}"]
    config.state_dir.mkdir(parents=True, exist_ok=True)
    output = config.state_dir / OUTPUT_NAME
    with open(output, "ab") as sink:
        child = subprocess.Popen(
            command, cwd=config.root, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C or its closing
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        state = watcher_state(config)
        if state and state["running"] and state.get("pid") == child.pid:
            from agentsync.log import log_path

            click.echo(f"watcher started in the background (pid {child.pid}); events go to "
                       f"{log_path(config.state_dir)}; `agentsync watch --stop` stops it")  # fmt: skip
            return 0
        if child.poll() is not None:
            last = _last_line(output)
            raise AgentsyncError(f"the watcher exited at once (exit code {child.returncode}): {last}")
        time.sleep(0.05)
    raise AgentsyncError(f"the watcher (pid {child.pid}) did not start within {START_TIMEOUT:g} s; see {output}")


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    return lines[-1] if lines else "no output"


def run_stop() -> int:
    """Stop the repository's watcher (SIGTERM: it finishes the unit in progress) and wait for it."""
    from agentsync.watch.status import watcher_state

    config = load_config()
    state = watcher_state(config)
    if not state or not state["running"]:
        click.echo("no watcher is running for this repository")
        return 0
    pid = int(state["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        click.echo("no watcher is running for this repository")
        return 0
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        state = watcher_state(config)
        if not state or not state["running"]:
            click.echo(f"stopped the watcher (pid {pid})")
            return 0
        time.sleep(0.05)
    raise AgentsyncError(f"the watcher (pid {pid}) did not stop within {STOP_TIMEOUT:g} s; `kill -9 {pid}` ends it")
