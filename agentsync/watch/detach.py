"""A watcher in the background: started as its own process (``agentsync watch --quiet`` in a new
session, so the terminal's Ctrl-C or closing does not stop it), stopped with SIGTERM (it finishes
the unit in progress). Both wait on the status record, which says when the watcher runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agentsync.config import Config
from agentsync.errors import AgentsyncError
from agentsync.watch.status import watcher_state

OUTPUT_NAME = "watch.out"  # a detached watcher's own stdout and stderr (its events go to the log too)
START_TIMEOUT = 30.0  # seconds to wait for a detached watcher to say it runs (the local remote may start)
STOP_TIMEOUT = 15.0


def start_detached(config: Config, *, push: bool | None, poll_interval: float | None) -> int:
    """Start a watcher in the background and return its pid once it runs; AgentsyncError if one
    runs already, or the new one exits or does not start in time."""
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
            return child.pid
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


def stop_running(config: Config) -> int | None:
    """Stop the repository's watcher and wait until it has: its pid, or None if none was running;
    AgentsyncError if it does not stop in time."""
    state = watcher_state(config)
    if not state or not state["running"]:
        return None
    pid = int(state["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        state = watcher_state(config)
        if not state or not state["running"]:
            return pid
        time.sleep(0.05)
    raise AgentsyncError(f"the watcher (pid {pid}) did not stop within {STOP_TIMEOUT:g} s; `kill -9 {pid}` ends it")
