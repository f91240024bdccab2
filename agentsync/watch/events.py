"""Filesystem events and the other signals the watcher's helper threads raise.

watchdog's observer (and the remote's change listener) only take note of what happened here,
under one condition the main loop waits on; the loop alone acts on it. Paths are debounced:
one is handed over once it has had no event for its quiet time (an editor's temp file, rename
and second write make one change). The quiet time depends on the path's last event: a file
still being written (created, modified, moved away or deleted: it may come back) waits the
whole ``debounce``; one a writer has just completed (closed after writing, or renamed into
place) only a share of it (``pacing.settle_time``), since the save is over.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentsync.paths import Matcher


class Signals:
    """What the helper threads tell the main loop, under one condition it waits on."""

    def __init__(self, debounce: float = 0.2, settle: float | None = None) -> None:
        self.condition = threading.Condition()
        self.debounce = debounce  # quiet time of a file still being written
        self.settle = debounce if settle is None else min(settle, debounce)  # of a file just completed
        self.paths: dict[str, float] = {}  # changed path -> monotonic time it is quiet enough
        self.everything_at: float | None = None  # a folder changed: scan all, once quiet (same clock)
        self.remote_moved = False
        self.reconnected = False
        self.stopping = False

    def path_changed(self, path: str, *, complete: bool = False) -> None:
        """``path`` had an event; ``complete``: one that ends a write (closed after writing, renamed
        into place), so a shorter quiet time will do. The last event decides."""
        with self.condition:
            self.paths[path] = time.monotonic() + (self.settle if complete else self.debounce)
            self.condition.notify_all()

    def folder_changed(self) -> None:
        with self.condition:
            self.everything_at = time.monotonic() + self.debounce
            self.condition.notify_all()

    def remote_changed(self, head: int | None) -> None:
        with self.condition:
            self.remote_moved = True
            if head is None:
                self.reconnected = True
            self.condition.notify_all()

    def stop(self) -> None:
        with self.condition:
            self.stopping = True
            self.condition.notify_all()

    def settled(self) -> tuple[list[str], bool]:
        """Paths (and whether everything) quiet long enough, taken off the list."""
        now = time.monotonic()
        with self.condition:
            ready = [path for path, due in self.paths.items() if now >= due]
            for path in ready:
                del self.paths[path]
            everything = self.everything_at is not None and now >= self.everything_at
            if everything:
                self.everything_at = None
            return ready, everything

    def unsettled_until(self) -> float | None:
        """When the last path still settling will be quiet (monotonic), or None if none is."""
        with self.condition:
            times = list(self.paths.values()) + ([self.everything_at] if self.everything_at is not None else [])
        return max(times) if times else None

    def take_remote(self) -> tuple[bool, bool]:
        with self.condition:
            moved, again = self.remote_moved, self.reconnected
            self.remote_moved = self.reconnected = False
            return moved, again

    def wait(self, timeout: float) -> None:
        with self.condition:
            if not (self.stopping or self.remote_moved):
                self.condition.wait(max(timeout, 0.0))


def _handler(root: Path, matcher: Matcher, signals: Signals) -> Any:
    """A watchdog handler that records artifact paths (and folder changes) in ``signals``."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    ignored_kinds = {"opened", "closed_no_write"}  # reads, ours included, change nothing
    root_text = str(root)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ignored_kinds:
                return
            # A write that closes the file, or a rename onto the path, completes a save; a rename's
            # source (and anything else) may be a step of one (vim moves the file away first).
            closed = event.event_type == "closed"
            for raw, complete in ((event.src_path, closed), (getattr(event, "dest_path", ""), True)):
                full = os.fsdecode(raw) if raw else ""
                if not full.startswith(root_text):
                    continue
                relative = full[len(root_text) :].lstrip(os.sep).replace(os.sep, "/")
                if relative.startswith((".git/", ".agentsync/")) or relative in (".git", ".agentsync"):
                    continue
                if event.is_directory:
                    if event.event_type in ("created", "deleted", "moved"):
                        signals.folder_changed()
                elif matcher.type_of(relative) is not None:
                    signals.path_changed(relative, complete=complete)

    return Handler()


def watch_folders(root: Path, matcher: Matcher) -> dict[Path, bool]:
    """The folders to watch (folder -> recursively): each glob's fixed prefix if it exists, else
    its nearest existing parent, watched flat until the missing folder appears."""
    folders: dict[Path, bool] = {}
    for prefix in matcher.roots:
        target = root / prefix if prefix else root
        if target.is_dir():
            folders[target] = True
            continue
        parent = target.parent
        while parent != root and not parent.is_dir():
            parent = parent.parent
        folders.setdefault(parent, False)
    # A folder inside one watched recursively needs no watch of its own.
    return {
        folder: recursive
        for folder, recursive in folders.items()
        if not any(other != folder and deep and other in folder.parents for other, deep in folders.items())
    }


class FolderWatches:
    """watchdog's observer and the folders it watches, kept in step with ``watch_folders``."""

    def __init__(self, root: Path, matcher: Matcher, signals: Signals, on_problem: Callable[[str], None]) -> None:
        self.root = root
        self.matcher = matcher
        self.on_problem = on_problem  # told, in words, of a folder that cannot be watched
        self.watches: dict[Path, tuple[bool, Any]] = {}  # folder -> (recursively, watchdog's handle)
        self._handler = _handler(root, matcher, signals)
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self.plan()
        self._observer.start()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)

    def plan(self) -> bool:
        """Watch what ``watch_folders`` says now; True if the plan changed (folders came or went)."""
        wanted = watch_folders(self.root, self.matcher)
        changed = False
        for folder, (recursive, handle) in list(self.watches.items()):
            if wanted.get(folder) != recursive or not folder.is_dir():
                self._observer.unschedule(handle)
                del self.watches[folder]
                changed = True
        for folder, recursive in wanted.items():
            if folder not in self.watches:
                try:
                    handle = self._observer.schedule(self._handler, str(folder), recursive=recursive)
                except OSError as exc:  # vanished meanwhile, or out of inotify watches
                    self.on_problem(f"cannot watch {folder}: {exc}")
                    continue
                self.watches[folder] = (recursive, handle)
                changed = True
        return changed

    def describe(self) -> str:
        """The watched folders in words, for the watcher's first line."""
        return ", ".join(sorted(self._describe(folder, deep) for folder, (deep, _) in self.watches.items()))

    def _describe(self, folder: Path, deep: bool) -> str:
        if folder == self.root:
            return "the whole repository" if deep else "the repository's top level (for folders to come)"
        name = folder.relative_to(self.root).as_posix() + "/"
        return name if deep else f"{name} (top level, for folders to come)"
