"""``agentsync watch``: mirror every save and keep the clone in step with the remote, in the
foreground (one line per event) or in the background (``--detach``, ``--stop``)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

import click

from agentsync.commands._common import ProgressBar, load_config, want_progress
from agentsync.watch import WatchEvent


def run(*, push: bool | None, poll_interval: float | None, quiet: bool) -> int:
    """Watch in the foreground until Ctrl-C or SIGTERM; each stops it after the unit in progress."""
    from agentsync import log
    from agentsync.watch import Watcher, WatchOptions

    config = load_config()
    options = WatchOptions.from_config(config, push=push, poll_interval=poll_interval)
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
    from agentsync.log import log_path
    from agentsync.watch.detach import start_detached

    config = load_config()
    pid = start_detached(config, push=push, poll_interval=poll_interval)
    click.echo(f"watcher started in the background (pid {pid}); events go to "
               f"{log_path(config.state_dir)}; `agentsync watch --stop` stops it")  # fmt: skip
    return 0


def run_stop() -> int:
    """Stop the repository's watcher (SIGTERM: it finishes the unit in progress) and wait for it."""
    from agentsync.watch.detach import stop_running

    pid = stop_running(load_config())
    click.echo("no watcher is running for this repository" if pid is None else f"stopped the watcher (pid {pid})")
    return 0
