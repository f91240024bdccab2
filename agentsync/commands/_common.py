"""Helpers the command modules share: loading the repository, reporting problems, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from agentsync import config as config_module
from agentsync.config import Config
from agentsync.errors import AgentsyncError, Problem
from agentsync.terminal import echo


def load_config() -> Config:
    """The repository's config, found from the current folder (``cli`` has applied ``-C``); its
    plugins are loaded first if it has any (their artifact formats must be known to every scan)."""
    from agentsync.plugins.calls import load_formats

    config = config_module.load(config_module.find_root())
    load_formats(config)
    return config


def echo_json(value: Any) -> None:
    """Stable JSON: keys in a fixed order (as built), UTF-8; a list prints one item a line.

    (One item a line also keeps json's fast C encoder in play: ``indent`` would not.)
    """
    if isinstance(value, list):
        items = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in value)
        echo(f"[\n{items}\n]" if value else "[]")
    else:
        echo(json.dumps(value, ensure_ascii=False, indent=2))


def warn(message: str) -> None:
    echo(message, err=True)


def report_problems(problems: Iterable[Problem | AgentsyncError]) -> None:
    """One line each: a report's problems (plain values) or an export's errors read alike."""
    for problem in problems:
        warn(f"error: {problem}")


def want_progress() -> bool:
    return sys.stderr.isatty()


class ProgressBar:
    """A rich progress bar on a terminal (imported only when shown); silent otherwise."""

    def __init__(self, description: str, *, enabled: bool, threshold: int = 200) -> None:
        self.description = description
        self.enabled = enabled
        self.threshold = threshold
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.threshold:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            from agentsync.terminal import raw

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=Console(file=raw(sys.stdout)), transient=True,  # its own escapes, past the filter
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=total)
        self._progress.update(self._task, completed=done)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
