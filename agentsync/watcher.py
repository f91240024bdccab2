"""The watcher behind ``agentsync watch``: every save mirrored at once, local changes pushed after
a quiet moment, the remote's changes pulled as they come.

Two helper threads only take note of what happened: watchdog's observer records changed paths
with the time of their last event, and the change listener (a PostgreSQL remote) records that
the remote moved. The main loop alone touches the mirror, the files and the remote; each of
its units (a scan, a pull, a push) holds the repository's sync lock and commits its own
transactions, so the watcher, hooks and commands never race, and stopping between units
leaves everything consistent.

- A path is mirrored once it has been quiet for ``debounce`` seconds: an editor's temp file,
  rename and second write make one change.
- Remote changes are pulled exactly as ``pull`` does (fast-forward, merge or conflict), but
  never while a local save is still settling; every file is checked again right before it is
  written, and one saved in between is left for the next pull.
- A remote that cannot be reached puts the remote side into backoff (local mirroring goes
  on); the work waits in the files and the outbox and goes out when the remote is back.

A small status record (``.agentsync/watcher.json``) tells ``agentsync status`` whether the
watcher runs, its last sync, lag and errors.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsync import synclock
from agentsync.config import Config, WatchSettings
from agentsync.errors import AgentsyncError, RemoteError

if TYPE_CHECKING:
    from agentsync.paths import Matcher
    from agentsync.remotes.base import Remote
    from agentsync.remotes.postgres import ChangeListener
    from agentsync.store import Mirror
    from agentsync.sync import PullReport, PushReport

STATUS_NAME = "watcher.json"
LOCK_NAME = "watcher.lock"  # held by the running watcher for its whole life: one per repository
BUSY_RETRY = 1.0  # seconds before trying again when another sync holds the lock
LOCKED_RETRY = 60.0  # seconds before pushing again artifacts someone else has locked
RESCAN_EVERY = 300.0  # seconds between full scans, in case the OS dropped events (a full inotify queue)
MAX_BACKOFF = 30.0  # seconds: a remote that is back is noticed within this (at once over PostgreSQL)
logger = logging.getLogger("agentsync.watch")


@dataclass(frozen=True)
class WatchEvent:
    """Something the watcher did or met, as one line: ``level`` is info, warning or error."""

    # started | mirrored | pushed | pulled | conflict | deferred | busy | unreachable | back | problem | stopped
    kind: str
    message: str
    level: str = "info"


@dataclass(frozen=True)
class WatchOptions(WatchSettings):
    """The config's `watch` settings, and whether this run pushes (`--push`, else `auto_push`)."""

    push: bool = False

    @classmethod
    def from_config(cls, config: Config, *, push: bool | None = None) -> WatchOptions:
        return cls(**dataclasses.asdict(config.watch), push=config.auto_push if push is None else push)


def _now_text() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def status_path(config: Config) -> Path:
    return config.state_dir / STATUS_NAME


def watcher_state(config: Config) -> dict[str, Any] | None:
    """The watcher's status record with ``running``; None if no watcher ever ran here. A record
    that says running while its process is gone is from a watcher that was killed (``died``).
    (The record is read, not the watcher's lock: probing the lock could turn away a watcher
    that is starting at that very moment.)"""
    try:
        record = json.loads(status_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    pid = int(record.get("pid") or 0)
    alive = record.get("host") == socket.gethostname() and _is_watcher(pid, record.get("process_start"))
    record["running"] = alive and record.get("state") in ("running", "backoff")
    if not alive and record.get("state") in ("running", "backoff"):
        record["state"] = "died"  # killed without the chance to say so
    return record


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where unknown:
    with the pid it names one process, even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # field 22; the command name before it may hold spaces


def _is_watcher(pid: int, started: str | None) -> bool:
    """Whether ``pid`` runs and is the process that wrote the record."""
    from agentsync.fsutil import process_running

    return process_running(pid) and (started is None or _process_start(pid) in (started, None))


class _Signals:
    """What the helper threads tell the main loop, under one condition it waits on."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.paths: dict[str, float] = {}  # changed path -> monotonic time of its last event
        self.everything_at: float | None = None  # a folder changed: scan all, once quiet
        self.remote_moved = False
        self.reconnected = False
        self.stopping = False

    def path_changed(self, path: str) -> None:
        with self.condition:
            self.paths[path] = time.monotonic()
            self.condition.notify_all()

    def folder_changed(self) -> None:
        with self.condition:
            self.everything_at = time.monotonic()
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

    def settled(self, quiet: float) -> tuple[list[str], bool]:
        """Paths (and whether everything) quiet for ``quiet`` seconds, taken off the list."""
        now = time.monotonic()
        with self.condition:
            ready = [path for path, at in self.paths.items() if now - at >= quiet]
            for path in ready:
                del self.paths[path]
            everything = self.everything_at is not None and now - self.everything_at >= quiet
            if everything:
                self.everything_at = None
            return ready, everything

    def unsettled_until(self, quiet: float) -> float | None:
        """When the last path still settling will be quiet (monotonic), or None if none is."""
        with self.condition:
            times = list(self.paths.values()) + ([self.everything_at] if self.everything_at is not None else [])
        return max(times) + quiet if times else None

    def take_remote(self) -> tuple[bool, bool]:
        with self.condition:
            moved, again = self.remote_moved, self.reconnected
            self.remote_moved = self.reconnected = False
            return moved, again

    def wait(self, timeout: float) -> None:
        with self.condition:
            if not (self.stopping or self.remote_moved):
                self.condition.wait(max(timeout, 0.0))


def _handler(root: Path, matcher: Matcher, signals: _Signals) -> Any:
    """A watchdog handler that records artifact paths (and folder changes) in ``signals``."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    ignored_kinds = {"opened", "closed_no_write"}  # reads, ours included, change nothing
    root_text = str(root)

    class Handler(FileSystemEventHandler):  # type: ignore[misc]
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ignored_kinds:
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
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
                    signals.path_changed(relative)

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


@dataclass
class _RemoteSide:
    """The remote, its listener, and where the loop stands with them (main loop only)."""

    remote: Remote | None = None
    listener: ChangeListener | None = None
    check_at: float = 0.0  # monotonic time of the next head check (now: the remote moved)
    push_due: float | None = None  # monotonic time of the next push, if one is wanted
    retry_at: float = 0.0  # in backoff until then
    failures: int = 0  # in a row
    head: int | None = None
    cursor: int = 0
    errors: int = 0
    last_error: dict[str, str] | None = None
    last_sync: dict[str, str] | None = None
    busy_said: bool = False
    author: str | None = None
    status_written: dict[str, Any] = field(default_factory=dict)


class Watcher:
    """Watch one repository until ``stop()``; ``on_event`` hears every event (from the main loop)."""

    def __init__(
        self, config: Config, options: WatchOptions, on_event: Callable[[WatchEvent], None] | None = None,
        make_progress: Callable[[], Any] | None = None,
    ) -> None:  # fmt: skip
        self.config = config
        self.options = options
        self.on_event = on_event or (lambda event: None)
        self.make_progress = make_progress
        self.signals = _Signals()
        self.side = _RemoteSide()
        self._lock_fd: int | None = None
        self._observer: Any = None
        self._watches: dict[Path, tuple[bool, Any]] = {}
        self.started_at = _now_text()

    # --- life cycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop after the unit it is doing (safe from a signal handler)."""
        self.signals.stop()

    def run(self) -> None:
        """Watch until ``stop()``. Raises ``AgentsyncError`` if another watcher runs here."""
        from agentsync.paths import Matcher
        from agentsync.store import Mirror

        self._lock_fd = synclock.try_exclusive(self.config.state_dir / LOCK_NAME)
        if self._lock_fd is None:
            running = watcher_state(self.config) or {}
            raise AgentsyncError(
                f"a watcher already runs for this repository (pid {running.get('pid', '?')}); "
                "`agentsync watch --stop` stops it"
            )
        state = "failed"
        try:
            matcher = Matcher.from_config(self.config)
            self._start_observer(matcher)
            with Mirror.open(self.config) as mirror:
                from agentsync.sync import CURSOR_KEY

                self.side.cursor = int(mirror.get_meta(CURSOR_KEY) or 0)
                self._write_status("running")
                self._emit("started", self._start_message())
                self._mirror(mirror, None)  # whatever changed while nobody watched
                self._loop(mirror, matcher)
            state = "stopped"
        finally:
            self._shutdown(state)

    def _start_message(self) -> str:
        from agentsync.remotes import remote_target

        target = remote_target(self.config)
        folders = ", ".join(sorted(self._describe(folder, deep) for folder, (deep, _) in self._watches.items()))
        if target is None:
            return f"watching {folders}; no remote configured: mirroring only"
        push = "auto-push on" if self.options.push else "auto-push off (`--push` to send local changes)"
        every = f"head checked every {self.options.poll_interval:g} s"
        return f"watching {folders}; remote {target.shown} ({push}, {every})"

    def _describe(self, folder: Path, deep: bool) -> str:
        if folder == self.config.root:
            return "the whole repository" if deep else "the repository's top level (for folders to come)"
        name = folder.relative_to(self.config.root).as_posix() + "/"
        return name if deep else f"{name} (top level, for folders to come)"

    def _shutdown(self, state: str) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
        if self.side.listener is not None:
            self.side.listener.stop()
        self._close_remote()
        try:
            self._write_status(state)
        except OSError:
            pass
        self._emit("stopped", "watcher stopped" if state == "stopped" else "watcher failed")
        if self._lock_fd is not None:
            synclock.release_exclusive(self._lock_fd)
            self._lock_fd = None

    def _start_observer(self, matcher: Matcher) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._handler = _handler(self.config.root, matcher, self.signals)
        self._plan_watches(matcher)
        self._observer.start()

    def _plan_watches(self, matcher: Matcher) -> bool:
        """Watch what ``watch_folders`` says now; True if the plan changed (folders came or went)."""
        wanted = watch_folders(self.config.root, matcher)
        changed = False
        for folder, (recursive, handle) in list(self._watches.items()):
            if wanted.get(folder) != recursive or not folder.is_dir():
                self._observer.unschedule(handle)
                del self._watches[folder]
                changed = True
        for folder, recursive in wanted.items():
            if folder not in self._watches:
                try:
                    handle = self._observer.schedule(self._handler, str(folder), recursive=recursive)
                except OSError as exc:  # vanished meanwhile, or out of inotify watches
                    self._emit("problem", f"cannot watch {folder}: {exc}", "warning")
                    continue
                self._watches[folder] = (recursive, handle)
                changed = True
        return changed

    # --- the loop ---------------------------------------------------------------------------

    def _loop(self, mirror: Mirror, matcher: Matcher) -> None:
        from agentsync.remotes import remote_target

        options = self.options
        has_remote = remote_target(self.config) is not None
        side = self.side
        side.push_due = time.monotonic() if options.push else None  # what was saved while nobody watched
        next_rescan = time.monotonic() + RESCAN_EVERY
        while not self.signals.stopping:
            paths, everything = self.signals.settled(options.debounce)
            if time.monotonic() >= next_rescan:
                everything, next_rescan = True, time.monotonic() + RESCAN_EVERY
            if everything:
                self._plan_watches(matcher)
            if paths or everything:
                report = self._mirror(mirror, None if everything else paths)
                if report is not None and report.changed and options.push:
                    side.push_due = time.monotonic() + options.push_delay
            if self.signals.stopping:
                break
            if has_remote:
                self._remote_turn(mirror)
            self.signals.wait(min(self._next_wake(has_remote), max(next_rescan - time.monotonic(), 0.0)))

    def _next_wake(self, has_remote: bool) -> float:
        """Seconds until something is due: a settling save, a head check, a push, a retry."""
        now = time.monotonic()
        moments = [now + 3600.0]
        settling = self.signals.unsettled_until(self.options.debounce)
        if settling is not None:
            moments.append(settling)
        if has_remote:
            side = self.side
            due = side.check_at if side.push_due is None else min(side.check_at, side.push_due)
            due = max(due, side.retry_at)
            moments.append(due if settling is None else max(due, settling))  # remote work waits for saves
        return max(min(moments) - now, 0.0) + 0.001

    def _remote_turn(self, mirror: Mirror) -> None:
        """Check the remote, pull and push, as far as due; a failure starts a backoff."""
        side = self.side
        moved, reconnected = self.signals.take_remote()
        now = time.monotonic()
        if moved:
            side.check_at = min(side.check_at, now)
        if reconnected and side.failures:
            side.retry_at = now  # the listener is back: so is the remote
        check = now >= side.check_at
        push = side.push_due is not None and now >= side.push_due
        if now < side.retry_at or not (check or push):
            return
        if self.signals.unsettled_until(self.options.debounce) is not None:
            return  # a save is settling: pull and push once it is mirrored
        try:
            remote = self._open_remote()
            if check:
                side.check_at = now + self.options.poll_interval
                self._check(mirror, remote)
            if side.push_due is not None and time.monotonic() >= side.push_due:
                self._push(mirror, remote)
        except synclock.SyncBusy as exc:
            if not side.busy_said:
                self._emit("busy", f"waiting: {exc}")
                side.busy_said = True
            retry = time.monotonic() + BUSY_RETRY
            side.check_at = min(side.check_at, retry) if check else side.check_at
            if side.push_due is not None:
                side.push_due = max(side.push_due, retry)
            return
        except RemoteError as exc:
            self._backoff(exc)
            return
        side.busy_said = False
        if side.failures:
            side.failures = 0
            self._emit("back", "the remote is reachable again")
            self._write_status("running")

    def _open_remote(self) -> Remote:
        side = self.side
        if side.remote is not None:
            return side.remote
        from agentsync.remotes import open_remote
        from agentsync.remotes.retry import NO_RETRY

        side.remote = open_remote(self.config, NO_RETRY)  # the loop does its own backoff
        self._listen(side.remote)
        return side.remote

    def _listen(self, remote: Remote) -> None:
        """Start the change listener once, if the remote is PostgreSQL and notifications are on."""
        from agentsync.remotes import notification_url

        if self.side.listener is not None or not self.options.notify:
            return
        url = notification_url(remote)
        if url is None:
            return
        from agentsync.remotes.postgres import ChangeListener

        self.side.listener = ChangeListener(url, remote.project, self._heard)
        self.side.listener.start()

    def _heard(self, head: int | None) -> None:
        """From the listener's thread: the remote moved to ``head`` (None: listening again)."""
        if head is None or self.side.head is None or head > self.side.head:
            self.signals.remote_changed(head)

    def _close_remote(self) -> None:
        if self.side.remote is not None:
            try:
                self.side.remote.close()
            except Exception:
                pass
            self.side.remote = None

    def _backoff(self, exc: AgentsyncError) -> None:
        side = self.side
        side.failures += 1
        side.errors += 1
        ceiling = min(MAX_BACKOFF, 2.0 ** (side.failures - 1))
        delay = ceiling / 2 + random.random() * ceiling / 2  # jitter, never less than half
        side.retry_at = time.monotonic() + delay
        side.last_error = {"at": _now_text(), "message": str(exc)}
        self._close_remote()
        side.check_at = side.retry_at
        if self.options.push:
            side.push_due = side.retry_at  # whatever waits goes out when the remote is back
        self._emit("unreachable", f"remote: {exc}; trying again in {delay:.0f} s (local saves are still mirrored)",
                   "warning")  # fmt: skip
        self._write_status("backoff")

    # --- units of work ----------------------------------------------------------------------

    def _mirror(self, mirror: Mirror, paths: list[str] | None) -> Any:
        """Mirror ``paths`` (None: everything); emits what changed. None if another sync held the lock
        (the paths are put back)."""
        from agentsync.scanner import scan

        try:
            with synclock.hold(self.config, "watcher", wait=synclock.HOOK_WAIT):
                report = scan(mirror, paths)
        except synclock.SyncBusy:
            for path in paths or []:
                self.signals.path_changed(path)
            if paths is None:
                self.signals.folder_changed()
            return None
        for path in report.added:
            self._emit("mirrored", f"mirrored {path} (new)")
        for path in report.updated:
            self._emit("mirrored", f"mirrored {path}")
        for old, new in report.renamed:
            self._emit("mirrored", f"mirrored {old} -> {new} (renamed)")
        for path in report.deleted:
            self._emit("mirrored", f"mirrored {path} (deleted)")
        for problem in report.problems:
            self._emit("problem", f"not mirrored: {problem}", "warning")
        return report

    def _check(self, mirror: Mirror, remote: Remote) -> None:
        """The cheap head check; a pull when the remote moved (or fetched rows wait to be applied)."""
        from agentsync.sync import APPLIED_KEY, CURSOR_KEY

        side = self.side
        side.head = remote.head()
        cursor = mirror.get_meta(CURSOR_KEY) or "0"
        if side.head != int(cursor) or mirror.get_meta(APPLIED_KEY) != cursor:  # below: the pull says why
            self._pull(mirror, remote)
        side.cursor = int(mirror.get_meta(CURSOR_KEY) or 0)
        self._write_status("running")

    def _pull(self, mirror: Mirror, remote: Remote) -> None:
        from agentsync.sync import pull

        progress = self.make_progress() if self.make_progress else None
        try:
            with synclock.hold(self.config, "watcher", wait=0):
                report = pull(mirror, remote, progress, rescan=False)  # the events keep the mirror current
        finally:
            if progress is not None:
                progress.close()
        self._report_pull(report)
        if report.merged and self.options.push:
            self.side.push_due = time.monotonic()  # merged files are local changes to send
        if report.deferred:
            self.side.check_at = time.monotonic()  # again, once the saves are mirrored

    def _report_pull(self, report: PullReport) -> None:
        changed = len(report.written) + len(report.merged) + len(report.deleted)
        if changed or report.conflicts:
            self._sync_done("pull", f"pulled {report.fetched} change(s): {len(report.written)} written, "
                                    f"{len(report.merged)} merged, {len(report.deleted)} deleted")  # fmt: skip
        for path in report.written:
            self._emit("pulled", f"updated {path} from the remote")
        for path in report.merged:
            self._emit("pulled", f"merged the remote's change into {path}")
        for path in report.deleted:
            self._emit("pulled", f"deleted {path} (deleted on the remote)")
        for artifact_id, message in report.restored:
            self._emit("conflict", f"restored {artifact_id}: {message}", "warning")
        for artifact_id, message in report.conflicts:
            self._emit("conflict", f"conflict: {artifact_id}: {message}", "warning")
        for path in report.deferred:
            self._emit("deferred", f"{path} was saved while pulling: left as it is, merged next time")
        for problem in report.problems:
            self._emit("problem", f"pull: {problem}", "error")
        for refused in report.quarantined:
            self._emit("problem", f"refused from the remote: {refused}", "error")

    def _push(self, mirror: Mirror, remote: Remote) -> None:
        from agentsync.gitrepo import user_identity
        from agentsync.sync import push_merging

        side = self.side
        if side.author is None:
            side.author = user_identity(self.config.root)
        with synclock.hold(self.config, "watcher", wait=0):
            report, merge = push_merging(mirror, remote, side.author, rescan=False)
        side.push_due = time.monotonic() + LOCKED_RETRY if report.locked else None
        self._report_push(report, merge)

    def _report_push(self, report: PushReport, merge: PullReport | None) -> None:
        if report.applied:
            named = ", ".join(f"{artifact_id} v{version}" for artifact_id, version in report.applied[:5])
            more = f" and {len(report.applied) - 5} more" if len(report.applied) > 5 else ""
            self._sync_done("push", f"pushed {len(report.applied)} artifact(s): {named}{more}")
            self._emit("pushed", f"pushed {named}{more}")
        if merge is not None:
            self._report_pull(merge)
        for answer in report.locked:
            self._emit("conflict", f"not pushed: {answer.id} is locked by {answer.holder} until "
                                   f"{answer.expires_at}", "warning")  # fmt: skip
        for answer in report.conflicts:
            self._emit("conflict", f"not pushed: {answer.id} changed on the remote; resolve the conflict", "warning")
        for finding in report.refused:
            self._emit("problem", f"not pushed: {finding} (`agentsync redact ID`, or mark the line "
                                  "`agentsync: allow`)", "warning")  # fmt: skip
        for problem in report.problems:
            self._emit("problem", f"push: {problem}", "error")

    # --- reporting --------------------------------------------------------------------------

    def _sync_done(self, what: str, summary: str) -> None:
        self.side.last_sync = {"at": _now_text(), "what": what, "summary": summary}

    def _emit(self, kind: str, message: str, level: str = "info") -> None:
        from agentsync.secrets import redact  # the message reaches the terminal, watch.out and watcher.json

        message = redact(message)
        logger.log(getattr(logging, level.upper(), logging.INFO), "%s", message)
        if level == "error":
            self.side.errors += 1
            self.side.last_error = {"at": _now_text(), "message": message}
        self.on_event(WatchEvent(kind, message, level))

    def _write_status(self, state: str) -> None:
        from agentsync.fsutil import atomic_write
        from agentsync.remotes import remote_target

        side = self.side
        target = remote_target(self.config)
        cursor = side.cursor
        record = {
            "pid": os.getpid(),
            "process_start": _process_start(os.getpid()),
            "host": socket.gethostname(),
            "state": state,
            "started_at": self.started_at,
            "updated_at": _now_text(),
            "push": self.options.push,
            "remote": target.shown if target else None,
            "notifications": bool(side.listener is not None and side.listener.connected),
            "poll_interval": self.options.poll_interval,
            "last_sync": side.last_sync,
            "last_error": side.last_error,
            "errors": side.errors,
            "cursor": cursor,
            "head": side.head,
            "lag": max(side.head - cursor, 0) if side.head is not None else None,
        }
        if record == {**side.status_written, "updated_at": record["updated_at"]}:
            return  # nothing new to say: the file is not rewritten every head check
        atomic_write(status_path(self.config), json.dumps(record, indent=2).encode("utf-8"), sync=False)
        side.status_written = record
