"""What ``agentsync doctor`` checks: the config, the hooks, the layouts the config misses, the mirror
and its queue, conflicts, rows refused from the remote, the remote (credentials, reachable, feed, lag,
schema) and the watcher. Each check is a ``Check`` row saying what was seen and what to do; the CLI prints them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentsync.config import Config

LAG_WORTH_FIXING = 100  # changes not pulled: fewer is the normal state between two pulls


@dataclass
class Check:
    """One thing checked: whether it is fine, what was seen, and what to do if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    suggestion: bool = False  # not ok, but nothing is wrong: a way to get more out of agentsync (exit 0)

    def __post_init__(self) -> None:  # what a check saw may quote a URL or an error: never a credential
        from agentsync.secrets import redact

        self.detail, self.fix = redact(self.detail), redact(self.fix)

    def to_json(self) -> dict[str, object]:
        level = "ok" if self.ok else ("suggestion" if self.suggestion else "problem")
        return {"check": self.name, "ok": self.ok, "level": level, "detail": self.detail, "fix": self.fix}

    @property
    def problem(self) -> bool:
        """Something to fix: `doctor` exits 1 for it."""
        return not self.ok and not self.suggestion


Add = Callable[[Check], None]


def run_checks() -> list[Check]:
    """Every check for the repository around the current folder, in the order they are shown; a
    config that does not load stops the rest."""
    checks: list[Check] = []
    add = checks.append
    config = _config(add)
    if config is not None:
        _hooks(config.root, add)
        _layouts(config, add)
        _mirror_and_queue(config, add)
        _remote(config, add)
        _watcher(config, add)
    return checks


def _config(add: Add) -> Config | None:
    from agentsync import config as config_module
    from agentsync.errors import AgentsyncError

    try:
        config = config_module.load(config_module.find_root())
    except AgentsyncError as exc:
        add(Check("config", False, str(exc), "fix agentsync.yaml as the message says, or run `agentsync init`"))
        return None
    add(Check("config", True, f"{config.path} is valid ({len(config.types)} artifact types)"))
    return config


def _layouts(config: Config, add: Add) -> None:
    """Files of a layout agentsync now recognises that no type of the config matches: the config was
    written before (by an older agentsync, or before the files were there), so they are not mirrored."""
    from agentsync.initialize import unconfigured_layouts

    missing = unconfigured_layouts(config)
    if not missing:
        add(Check("layouts", True, "every file of a recognised layout has a type"))
        return
    for found in missing:
        add(Check("layouts", False, f"{found.files} file(s) of {found.layout} match no type, so they are not mirrored",
                  f"add under types: in agentsync.yaml: {found.as_yaml()}", suggestion=True))  # fmt: skip


def _hooks(root: Path, add: Add) -> None:
    from agentsync import hooks
    from agentsync.errors import AgentsyncError

    try:
        states = hooks.status(root)
    except AgentsyncError as exc:
        add(Check("hooks", False, str(exc), "run agentsync inside a git repository"))
        return
    missing = [s.name for s in states if not s.current]
    if missing:
        add(Check("hooks", False, f"not installed or out of date: {', '.join(missing)}", "`agentsync hooks install`",
                  suggestion=True))  # fmt: skip
    else:
        add(Check("hooks", True, "all installed and current"))


def _mirror_and_queue(config: Config, add: Add) -> None:
    from agentsync.errors import AgentsyncError
    from agentsync.store import Mirror
    from agentsync.store.reports import conflict_count, queue_summary
    from agentsync.sync import quarantined

    try:
        with Mirror.open(config, readonly=True) as mirror:
            count = mirror.count()
            problems = len(mirror.problems())
            queue = queue_summary(mirror)
            conflicts = conflict_count(mirror)
            refused = quarantined(mirror)
    except AgentsyncError as exc:
        add(Check("mirror", False, str(exc), "`agentsync mirror` rebuilds it"))
        return
    add(Check("mirror", problems == 0, f"{count} artifacts; {problems} file(s) could not be mirrored",
                "" if problems == 0 else "`agentsync mirror` names them"))  # fmt: skip
    error = queue.last_error
    waiting = f"{queue.batches} batch(es) waiting for the remote" + (f" (last error: {error})" if error else "")
    add(Check("queue", queue.batches == 0, waiting,
                "" if queue.batches == 0 else "`agentsync push` sends them once the remote is reachable"))  # fmt: skip
    add(Check("conflicts", conflicts == 0, f"{conflicts} unresolved",
                "" if conflicts == 0 else "`agentsync conflicts`, then `agentsync resolve ID`"))  # fmt: skip
    listed = "; ".join(str(entry) for entry in refused[:3])
    more = f"; and {len(refused) - 3} more" if len(refused) > 3 else ""
    add(Check("refused", not refused,
              f"{len(refused)} remote change(s) refused and kept aside" + (f": {listed}{more}" if refused else ""),
              "" if not refused else "ask whoever pushed them to fix them; a newer version replaces each"))  # fmt: skip


def _credentials(add: Add) -> None:
    """A Supabase remote's keys, by the rule the remote itself applies when it connects."""
    import os

    from agentsync.errors import RemoteError
    from agentsync.remotes.supabase import (
        ACCESS_TOKEN_VARIABLE,
        ANON_KEY_VARIABLE,
        SERVICE_KEY_VARIABLE,
        credentials_from_environment,
    )

    keys = [name for name in (SERVICE_KEY_VARIABLE, ANON_KEY_VARIABLE, ACCESS_TOKEN_VARIABLE) if os.environ.get(name)]
    try:
        credentials_from_environment()
    except RemoteError as exc:
        add(Check("credentials", False, f"set: {', '.join(keys) or 'none'}", str(exc)))
        return
    add(Check("credentials", True, f"set: {', '.join(keys)}"))


def _remote(config: Config, add: Add) -> None:
    from agentsync.errors import RemoteError
    from agentsync.remotes import looking, remote_target
    from agentsync.remotes.migrations import available

    target = remote_target(config)
    if target is None:
        add(Check("remote", True, "none configured (mirror only)"))
        return
    if target.kind == "supabase":
        _credentials(add)
    known = len(available())
    if target.kind == "local":
        from agentsync.remotes import local

        if not local.state().running:  # started by the next push or pull: nothing is wrong
            add(Check("remote", False, "local: not running (the next push or pull starts it)",
                      "`agentsync local start` starts it now", suggestion=True))  # fmt: skip
            return
    try:
        with looking(config) as remote:
            version = remote.schema_version()
            head = remote.head()
    except RemoteError as exc:
        add(Check("remote", False, f"{target.shown}: {exc}", "check the URL, the network and the credentials"))
        return
    add(Check("remote", True, f"{target.shown} reachable; head {head}"))
    cursor = _cursor(config)
    from agentsync.sync.feed import RESET_ADVICE, went_back

    problem = went_back(head, cursor)
    if problem is not None:
        add(Check("feed", False, problem, RESET_ADVICE))
    lag = max(head - cursor, 0)
    behind = lag >= LAG_WORTH_FIXING
    add(Check("lag", not behind, f"{lag} change(s) on the remote not pulled here (cursor {cursor})",
                "`agentsync pull` (or `agentsync watch --detach` keeps up by itself)" if behind else ""))  # fmt: skip
    if version < known:
        add(Check("schema", False, f"the remote has migration {version} of {known}",
                    "`agentsync remote migrate` (with AGENTSYNC_DATABASE_URL) applies the rest"))  # fmt: skip
    else:
        add(Check("schema", True, f"migration {version} (this agentsync knows {known})"))


def _cursor(config: Config) -> int:
    from agentsync.errors import AgentsyncError
    from agentsync.store import Mirror
    from agentsync.sync import cursor

    try:
        with Mirror.open(config, readonly=True) as mirror:
            return cursor(mirror)
    except AgentsyncError:
        return 0


def _watcher(config: Config, add: Add) -> None:
    from agentsync.watch.status import WatcherState, watcher_state

    state = watcher_state(config)
    if state is None or not state["running"]:
        died = state is not None and state["state"] == WatcherState.DIED
        add(Check("watcher", not died, "was killed" if died else "not running",
                    "`agentsync watch --detach` starts it again" if died else ""))  # fmt: skip
        return
    lag = state.get("lag") or 0
    healthy = state["state"] == WatcherState.RUNNING and lag < LAG_WORTH_FIXING
    detail = f"running (pid {state['pid']}), state {state['state']}, lag {lag}"
    add(Check("watcher", healthy, detail, "" if healthy else "see `agentsync status` and the log"))
