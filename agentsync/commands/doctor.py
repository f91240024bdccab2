"""``agentsync doctor``: check what agentsync needs, one line each, and say what to fix."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from agentsync.commands._common import echo_json
from agentsync.config import Config


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def run(directory: Path | None, *, as_json: bool) -> int:
    findings: list[Finding] = []
    add = findings.append
    config = _config(directory, add)
    if config is not None:
        _hooks(config.root, add)
        _mirror_and_queue(config, add)
        _remote(config, add)
        _watcher(config, add)
    if as_json:
        echo_json([f.to_json() for f in findings])
    else:
        for finding in findings:
            mark = "ok " if finding.ok else "FIX"
            click.echo(f"{mark} {finding.check:<12} {finding.detail}")
            if finding.fix:
                click.echo(f"    -> {finding.fix}")
    return 0 if all(f.ok for f in findings) else 1


def _config(directory: Path | None, add: Callable[[Finding], None]) -> Config | None:
    from agentsync import config as config_module
    from agentsync.errors import AgentsyncError

    try:
        config = config_module.load(config_module.find_root(directory))
    except AgentsyncError as exc:
        add(Finding("config", False, str(exc), "fix agentsync.yaml as the message says, or run `agentsync init`"))
        return None
    add(Finding("config", True, f"{config.path} is valid ({len(config.types)} artifact types)"))
    return config


def _hooks(root: Path, add: Callable[[Finding], None]) -> None:
    from agentsync import hooks
    from agentsync.errors import AgentsyncError

    try:
        states = hooks.status(root)
    except AgentsyncError as exc:
        add(Finding("hooks", False, str(exc), "run agentsync inside a git repository"))
        return
    missing = [s.name for s in states if not s.current]
    if missing:
        add(Finding("hooks", False, f"not installed or out of date: {', '.join(missing)}", "`agentsync hooks install`"))
    else:
        add(Finding("hooks", True, "all installed and current"))


def _mirror_and_queue(config: Config, add: Callable[[Finding], None]) -> None:
    from agentsync.errors import AgentsyncError
    from agentsync.mirror import Mirror

    try:
        with Mirror.open(config, readonly=True) as mirror:
            count = mirror.count()
            problems = len(mirror.problems())
            queued, error = mirror.connection.execute("SELECT count(*), max(last_error) FROM outbox").fetchone()
            conflicts = mirror.connection.execute("SELECT count(*) FROM conflicts").fetchone()[0]
    except AgentsyncError as exc:
        add(Finding("mirror", False, str(exc), "`agentsync mirror` rebuilds it"))
        return
    add(Finding("mirror", problems == 0, f"{count} artifacts; {problems} file(s) could not be mirrored",
                "" if problems == 0 else "`agentsync mirror` names them"))  # fmt: skip
    waiting = f"{queued} batch(es) waiting for the remote" + (f" (last error: {error})" if error else "")
    add(Finding("queue", queued == 0, waiting,
                "" if queued == 0 else "`agentsync push` sends them once the remote is reachable"))  # fmt: skip
    add(Finding("conflicts", conflicts == 0, f"{conflicts} unresolved",
                "" if conflicts == 0 else "`agentsync conflicts`, then `agentsync resolve ID`"))  # fmt: skip


def _remote(config: Config, add: Callable[[Finding], None]) -> None:
    from agentsync.errors import RemoteError
    from agentsync.remotes import open_remote, remote_target
    from agentsync.remotes.migrations import available
    from agentsync.remotes.retry import NO_RETRY

    target = remote_target(config)
    if target is None:
        add(Finding("remote", True, "none configured (mirror only)"))
        return
    if target.kind == "supabase":
        names = ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN")
        keys = [name for name in names if os.environ.get(name)]
        ok = "SUPABASE_SERVICE_ROLE_KEY" in keys or {"SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN"} <= set(keys)
        fix = "" if ok else "export SUPABASE_SERVICE_ROLE_KEY, or SUPABASE_ANON_KEY and SUPABASE_ACCESS_TOKEN"
        add(Finding("credentials", ok, f"set: {', '.join(keys) or 'none'}", fix))
    known = len(available())
    try:
        remote = open_remote(config, NO_RETRY, start_local=False)
        try:
            version = remote.schema_version()
            head = remote.head()
        finally:
            remote.close()
    except RemoteError as exc:
        add(Finding("remote", False, f"{target.shown}: {exc}", "check the URL, the network and the credentials"))
        return
    add(Finding("remote", True, f"{target.shown} reachable; head {head}"))
    cursor = _cursor(config)
    lag = max(head - cursor, 0)
    behind = lag >= LAG_WORTH_FIXING
    add(Finding("lag", not behind, f"{lag} change(s) on the remote not pulled here (cursor {cursor})",
                "`agentsync pull` (or `agentsync watch --detach` keeps up by itself)" if behind else ""))  # fmt: skip
    if version < known:
        add(Finding("schema", False, f"the remote has migration {version} of {known}",
                    "`agentsync remote migrate` (with AGENTSYNC_DATABASE_URL) applies the rest"))  # fmt: skip
    else:
        add(Finding("schema", True, f"migration {version} (this agentsync knows {known})"))


LAG_WORTH_FIXING = 100  # changes not pulled: fewer is the normal state between two pulls


def _cursor(config: Config) -> int:
    from agentsync.errors import AgentsyncError
    from agentsync.mirror import Mirror
    from agentsync.sync import CURSOR_KEY

    try:
        with Mirror.open(config, readonly=True) as mirror:
            return int(mirror.get_meta(CURSOR_KEY) or 0)
    except AgentsyncError:
        return 0


def _watcher(config: Config, add: Callable[[Finding], None]) -> None:
    from agentsync.watcher import watcher_state

    state = watcher_state(config)
    if state is None or not state["running"]:
        died = state is not None and state["state"] == "died"
        add(Finding("watcher", not died, "was killed" if died else "not running",
                    "`agentsync watch --detach` starts it again" if died else ""))  # fmt: skip
        return
    lag = state.get("lag") or 0
    healthy = state["state"] == "running" and lag < 100
    detail = f"running (pid {state['pid']}), state {state['state']}, lag {lag}"
    add(Finding("watcher", healthy, detail, "" if healthy else "see `agentsync status` and the log"))
