"""How the watcher paces itself: its options, its retry and rescan times, the backoff from an
unreachable remote, and where the main loop stands with the remote (kept apart from the loop so
the timing can be read and tested on its own)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from agentsync.config import Config, WatchSettings

if TYPE_CHECKING:
    from agentsync.remotes.base import Remote
    from agentsync.remotes.postgres import ChangeListener

BUSY_RETRY = 1.0  # seconds before trying again when another sync holds the lock
LOCKED_RETRY = 60.0  # seconds before pushing again artifacts someone else has locked
RESCAN_EVERY = 300.0  # seconds between full scans, in case the OS dropped events (a full inotify queue)
MAX_BACKOFF = 30.0  # seconds: a remote that is back is noticed within this (at once over PostgreSQL)
SETTLE_SHARE = 0.25  # of `debounce`: the quiet time of a file a writer has just completed
PUSH_SHARE = 0.2  # of `push_delay`: the quiet time before a lone save is pushed; each further save doubles it


_SETTINGS = WatchSettings()  # the defaults of agentsync.yaml's `watch`


class WatchOptions(NamedTuple):
    """The config's `watch` settings (``WatchSettings``), and whether this run pushes (`--push`,
    else `auto_push`)."""

    debounce: float = _SETTINGS.debounce
    push_delay: float = _SETTINGS.push_delay
    poll_interval: float = _SETTINGS.poll_interval
    notify: bool = _SETTINGS.notify
    push: bool = False

    @classmethod
    def from_config(
        cls, config: Config, *, push: bool | None = None, poll_interval: float | None = None
    ) -> WatchOptions:
        """The config's settings, with what the command line gave instead (None: not given)."""
        settings = config.watch._asdict()
        if poll_interval is not None:
            settings["poll_interval"] = poll_interval
        return cls(**settings, push=config.auto_push if push is None else push)


@dataclass
class RemoteSide:
    """The remote, its listener, and where the loop stands with them (main loop only)."""

    remote: Remote | None = None
    listener: ChangeListener | None = None
    check_at: float = 0.0  # monotonic time of the next head check (now: the remote moved)
    push_due: float | None = None  # monotonic time of the next push, if one is wanted
    batch: int = 0  # saves mirrored since the last push
    retry_at: float = 0.0  # in backoff until then
    failures: int = 0  # in a row
    head: int | None = None
    cursor: int = 0
    errors: int = 0
    last_error: dict[str, str] | None = None
    last_sync: dict[str, str] | None = None
    busy_said: bool = False
    waits_said: frozenset[str] = frozenset()  # the pull's lines of versions waiting for a stash pop, said once
    author: str | None = None
    status_written: dict[str, Any] = field(default_factory=dict)


def backoff_delay(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling up to MAX_BACKOFF, with jitter
    (never less than half), so that clones do not come back all at once."""
    ceiling = min(MAX_BACKOFF, 2.0 ** (failures - 1))
    return ceiling / 2 + random.random() * ceiling / 2


def settle_time(options: WatchOptions) -> float:
    """Seconds a file must be quiet after an event that completes a write (closed after writing,
    renamed into place): a share of ``debounce``, which a file still being written waits whole."""
    return options.debounce * SETTLE_SHARE


def push_wait(options: WatchOptions, saves: int) -> float:
    """Seconds of quiet, after the last of ``saves`` mirrored saves, before auto-push sends them.

    A lone save goes out after a share of ``push_delay``; each further save before the push
    doubles the wait, up to ``push_delay``: a burst (a script, a checkout, a save in several
    steps that each close the file) still goes out as one batch, with one version per file.
    """
    return min(options.push_delay, options.push_delay * PUSH_SHARE * 2.0 ** min(max(saves - 1, 0), 16))
