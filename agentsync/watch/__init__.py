"""The watcher behind ``agentsync watch``: every save mirrored at once, local changes pushed after
a quiet moment, the remote's changes pulled as they come.

Two helper threads only take note of what happened (``events``): watchdog's observer records
changed paths with the time of their last event, and the change listener (a PostgreSQL remote)
records that the remote moved. The main loop (``loop``) alone touches the mirror, the files and
the remote. A small status record (``status``: ``.agentsync/watcher.json``) tells ``agentsync
status`` whether the watcher runs, its last sync, lag and errors; ``wording`` holds its lines.

Readers of the status record import ``agentsync.watch.status``; nothing here loads watchdog, the
remotes or the sync code until a watcher runs, and each name below is imported from its module when
first used (PEP 562), so reading the status record does not load the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentsync.lazy import attribute_loader

if TYPE_CHECKING:
    from agentsync.watch.events import watch_folders
    from agentsync.watch.loop import Watcher
    from agentsync.watch.pacing import WatchOptions
    from agentsync.watch.status import STATUS_NAME, WatcherState, status_path, watcher_state
    from agentsync.watch.wording import WatchEvent

_HOMES = {
    "watch_folders": "events", "Watcher": "loop", "WatchOptions": "pacing", "STATUS_NAME": "status",
    "WatcherState": "status", "status_path": "status", "watcher_state": "status", "WatchEvent": "wording",
}  # fmt: skip

__all__ = [
    "STATUS_NAME",
    "WatchEvent",
    "WatchOptions",
    "Watcher",
    "WatcherState",
    "status_path",
    "watch_folders",
    "watcher_state",
]


__getattr__ = attribute_loader(__name__, _HOMES)
