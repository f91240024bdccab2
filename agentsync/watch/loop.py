"""The watcher's main loop: the one thread that touches the mirror, the files and the remote.

Each unit (a scan, a pull, a push) holds the repository's sync lock and commits its own
transactions, so the watcher, hooks and commands never race, and stopping between units leaves
everything consistent. Remote changes are pulled exactly as ``pull`` does, but never while a
local save is still settling; a remote that cannot be reached puts the remote side into backoff
(local mirroring goes on), and the work waits in the files and the outbox until it is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from agentsync import synclock
from agentsync.config import Config
from agentsync.errors import AgentsyncError, RemoteError, SyncBusy
from agentsync.watch import wording
from agentsync.watch.events import FolderWatches, Signals
from agentsync.watch.pacing import (
    BUSY_RETRY,
    LOCKED_RETRY,
    RESCAN_EVERY,
    RemoteSide,
    WatchOptions,
    backoff_delay,
    push_wait,
    settle_time,
)
from agentsync.watch.status import WatcherState, now_text, status_record, watcher_state, write_status
from agentsync.watch.wording import Level, WatchEvent

if TYPE_CHECKING:
    from agentsync.remotes.base import Remote
    from agentsync.scanner import ScanReport
    from agentsync.store import Mirror
    from agentsync.sync import PullReport, PushReport

LOCK_NAME = "watcher.lock"  # held by the running watcher for its whole life: one per repository
logger = logging.getLogger("agentsync.watch")


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
        self.signals = Signals(options.debounce, settle_time(options))
        self.side = RemoteSide()
        self._lock_fd: int | None = None
        self._folders: FolderWatches | None = None
        self.started_at = now_text()

    # --- life cycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop after the unit it is doing (safe from a signal handler)."""
        self.signals.stop()

    def run(self) -> None:
        """Watch until ``stop()``. Raises ``AgentsyncError`` if another watcher runs here."""
        from agentsync.paths import Matcher
        from agentsync.store import Mirror
        from agentsync.sync import cursor

        self._lock_fd = synclock.try_exclusive(self.config.state_dir / LOCK_NAME)
        if self._lock_fd is None:
            running = watcher_state(self.config) or {}
            raise AgentsyncError(
                f"a watcher already runs for this repository (pid {running.get('pid', '?')}); "
                "`agentsync watch --stop` stops it"
            )
        state = WatcherState.FAILED
        try:
            matcher = Matcher.from_config(self.config)
            self._folders = FolderWatches(self.config.root, matcher, self.signals, self._watch_problem)
            self._folders.start()
            with Mirror.open(self.config) as mirror:
                self.side.cursor = cursor(mirror)
                self._write_status(WatcherState.RUNNING)
                self._emit("started", self._start_message())
                self._mirror(mirror, None)  # whatever changed while nobody watched
                self._loop(mirror, self._folders)
            state = WatcherState.STOPPED
        finally:
            self._shutdown(state)

    def _start_message(self) -> str:
        from agentsync.remotes import remote_target

        target = remote_target(self.config)
        folders = self._folders.describe() if self._folders is not None else ""
        return wording.start_message(
            folders, target.shown if target else None, push=self.options.push, poll_interval=self.options.poll_interval
        )

    def _watch_problem(self, message: str) -> None:
        self._emit("problem", message, "warning")

    def _shutdown(self, state: WatcherState) -> None:
        if self._folders is not None:
            self._folders.stop()
        if self.side.listener is not None:
            self.side.listener.stop()
        self._close_remote()
        try:
            self._write_status(state)
        except OSError:
            pass
        self._emit("stopped", "watcher stopped" if state == WatcherState.STOPPED else "watcher failed")
        if self._lock_fd is not None:
            synclock.release_exclusive(self._lock_fd)
            self._lock_fd = None

    # --- the loop ---------------------------------------------------------------------------

    def _loop(self, mirror: Mirror, folders: FolderWatches) -> None:
        from agentsync.remotes import remote_target

        options = self.options
        has_remote = remote_target(self.config) is not None
        side = self.side
        side.push_due = time.monotonic() if options.push else None  # what was saved while nobody watched
        next_rescan = time.monotonic() + RESCAN_EVERY
        if has_remote:
            _ready_for_pulls(mirror)
        while not self.signals.stopping:
            paths, everything = self.signals.settled()
            if time.monotonic() >= next_rescan:
                everything, next_rescan = True, time.monotonic() + RESCAN_EVERY
            if everything:
                folders.plan()
            if paths or everything:
                report = self._mirror(mirror, None if everything else paths)
                # Whatever was saved goes out, also a file another command mirrored before the
                # watcher saw it (`agentsync new`, `import`): the push finds what is pending.
                if report is not None and options.push:
                    side.batch += 1  # each save before the push waits longer for more (pacing.push_wait)
                    side.push_due = time.monotonic() + push_wait(options, side.batch)
            if self.signals.stopping:
                break
            if has_remote:
                self._remote_turn(mirror)
            self.signals.wait(min(self._next_wake(has_remote), max(next_rescan - time.monotonic(), 0.0)))

    def _next_wake(self, has_remote: bool) -> float:
        """Seconds until something is due: a settling save, a head check, a push, a retry."""
        now = time.monotonic()
        moments = [now + 3600.0]
        settling = self.signals.unsettled_until()
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
        if self.signals.unsettled_until() is not None:
            return  # a save is settling: pull and push once it is mirrored
        try:
            remote = self._open_remote()
            if check:
                side.check_at = now + self.options.poll_interval
                self._check(mirror, remote)
            if side.push_due is not None and time.monotonic() >= side.push_due:
                self._push(mirror, remote)
        except SyncBusy as exc:
            self._busy(exc, check)
            return
        except RemoteError as exc:
            self._backoff(exc)
            return
        side.busy_said = False
        if side.failures:
            side.failures = 0
            self._emit("back", "the remote is reachable again")
            self._write_status(WatcherState.RUNNING)

    def _busy(self, exc: SyncBusy, checked: bool) -> None:
        """Another sync holds the lock: say so once, and try again shortly."""
        side = self.side
        if not side.busy_said:
            self._emit("busy", f"waiting: {exc}")
            side.busy_said = True
        retry = time.monotonic() + BUSY_RETRY
        side.check_at = min(side.check_at, retry) if checked else side.check_at
        if side.push_due is not None:
            side.push_due = max(side.push_due, retry)

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
        delay = backoff_delay(side.failures)
        side.retry_at = time.monotonic() + delay
        side.last_error = {"at": now_text(), "message": str(exc)}
        self._close_remote()
        side.check_at = side.retry_at
        if self.options.push:
            side.push_due = side.retry_at  # whatever waits goes out when the remote is back
        self._emit("unreachable", wording.backoff_message(str(exc), delay), "warning")
        self._write_status(WatcherState.BACKOFF)

    # --- units of work ----------------------------------------------------------------------

    def _mirror(self, mirror: Mirror, paths: list[str] | None) -> ScanReport | None:
        """Mirror ``paths`` (None: everything); emits what changed. None if another sync held the lock
        (the paths are put back)."""
        from agentsync.scanner import scan

        try:
            with synclock.hold(self.config, "watcher", wait=synclock.HOOK_WAIT):
                report = scan(mirror, paths)
        except SyncBusy:
            for path in paths or []:
                self.signals.path_changed(path)
            if paths is None:
                self.signals.folder_changed()
            return None
        self._emit_all(wording.scan_events(report))
        return report

    def _check(self, mirror: Mirror, remote: Remote) -> None:
        """The cheap head check; a pull when the remote moved (or fetched rows wait to be applied)."""
        from agentsync.sync.client import cursor, pull_has_work

        side = self.side
        side.head = remote.head()
        if pull_has_work(mirror, side.head):  # a head below the cursor too: the pull says why
            self._pull(mirror, remote)
        side.cursor = cursor(mirror)
        self._write_status(WatcherState.RUNNING)

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
        summary = wording.pull_summary(report)
        if summary is not None:
            self._sync_done("pull", summary)
        waits = frozenset(map(str, report.put_back))  # each poll's pull finds them again: said once
        report.put_back = [line for line in report.put_back if str(line) not in self.side.waits_said]
        self.side.waits_said = waits
        self._emit_all(wording.pull_events(report))

    def _push(self, mirror: Mirror, remote: Remote) -> None:
        from agentsync.gitrepo import user_identity
        from agentsync.sync import push_merging

        side = self.side
        if side.author is None:
            side.author = user_identity(self.config.root)
        with synclock.hold(self.config, "watcher", wait=0):
            report, merge = push_merging(mirror, remote, side.author, rescan=False)
        side.push_due = time.monotonic() + LOCKED_RETRY if report.locked else None
        side.batch = 0
        self._report_push(report, merge)

    def _report_push(self, report: PushReport, merge: PullReport | None) -> None:
        summary = wording.push_summary(report)
        if summary is not None:
            self._sync_done("push", summary)
        merged = wording.pull_summary(merge) if merge is not None else None
        if merged is not None:
            self._sync_done("pull", merged)
        self._emit_all(wording.push_events(report, merge))

    # --- reporting --------------------------------------------------------------------------

    def _sync_done(self, what: str, summary: str) -> None:
        self.side.last_sync = {"at": now_text(), "what": what, "summary": summary}

    def _emit_all(self, events: Iterable[WatchEvent]) -> None:
        for event in events:
            self._emit(event.kind, event.message, event.level)

    def _emit(self, kind: wording.EventKind, message: str, level: Level = "info") -> None:
        from agentsync.secrets import redact  # the message reaches the terminal, watch.out and watcher.json

        message = redact(message)
        logger.log(getattr(logging, level.upper(), logging.INFO), "%s", message)
        if level == "error":
            self.side.errors += 1
            self.side.last_error = {"at": now_text(), "message": message}
        self.on_event(WatchEvent(kind, message, level))

    def _write_status(self, state: WatcherState) -> None:
        from agentsync.remotes import remote_target

        side = self.side
        target = remote_target(self.config)
        record = status_record(
            state, started_at=self.started_at, push=self.options.push, remote=target.shown if target else None,
            notifications=bool(side.listener is not None and side.listener.connected),
            poll_interval=self.options.poll_interval, last_sync=side.last_sync, last_error=side.last_error,
            errors=side.errors, cursor=side.cursor, head=side.head,
        )  # fmt: skip
        if write_status(self.config, record, side.status_written):
            side.status_written = record


def _ready_for_pulls(mirror: Mirror) -> None:
    """Load now what a watcher's first pull would load, so that the first change to arrive is no
    slower than the rest (at 10,000 artifacts its pull took 0.10-0.15 s more): the modules it imports
    on first use (pygit2 for the git-field guard), and the fetched rows' pages (the read of what
    waits to be applied)."""
    import concurrent.futures.thread  # noqa: F401  (the pull writes files in a thread)

    import pygit2  # noqa: F401

    from agentsync import frontmatter_edit, gitfield_check, gitfields  # noqa: F401
    from agentsync.store.sync_state import fetched_not_applied
    from agentsync.sync import ids  # noqa: F401

    fetched_not_applied(mirror.connection)
