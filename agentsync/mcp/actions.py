"""What the MCP server's tools do, as plain library calls: each opens the mirror (and the remote
when it needs one), answers JSON-ready data, and raises ``AgentsyncError`` with one line for
anything refused. An update goes the way a saved file does: checked, written atomically,
mirrored, and pushed when ``auto_push`` is on."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentsync import config as config_module
from agentsync.config import Config
from agentsync.errors import AgentsyncError, RemoteError
from agentsync.store import Mirror

DEFAULT_TTL = 2 * 3600


@dataclass(frozen=True)
class Workspace:
    """The repository the server serves (its config is read again for every call: an edit of
    agentsync.yaml applies without restarting the agent)."""

    root: Path

    def config(self) -> Config:
        from agentsync.plugins.calls import load_formats

        config = config_module.load(self.root)
        load_formats(config)
        return config

    @contextlib.contextmanager
    def mirror(self) -> Iterator[Mirror]:
        from agentsync.scanner import scan

        with Mirror.open(self.config()) as mirror:
            scan(mirror)  # what the agent reads is the work tree as it is now
            yield mirror


def _row_json(row: Any) -> dict[str, Any]:
    data: dict[str, Any] = row.to_json()
    data.pop("hash", None)
    return data


def list_artifacts(
    space: Workspace, type: str | None, status: str | None, text: str | None, limit: int
) -> list[dict[str, Any]]:
    """Artifacts, filtered by type, status and words (full-text, as `agentsync search`)."""
    with space.mirror() as mirror:
        if type is not None and type not in mirror.types() | {t.name for t in mirror.config.types}:
            known = ", ".join(sorted(mirror.types() | {t.name for t in mirror.config.types}))
            raise AgentsyncError(f"unknown type {type!r}; types: {known}")
        if text:
            rows = [hit.row for hit in mirror.search(text, limit=max(limit * 5, 100))]
            rows = [r for r in rows if (type is None or r.type == type) and (status is None or r.status == status)]
        else:
            rows = mirror.list_artifacts(type, status)
        return [_row_json(row) for row in rows[:limit]]


def search_artifacts(space: Workspace, query: str, limit: int) -> list[dict[str, Any]]:
    if not query.strip():
        raise AgentsyncError("the query is empty; give words to search for (or FTS5 syntax)")
    with space.mirror() as mirror:
        return [{**_row_json(hit.row), "snippet": hit.snippet} for hit in mirror.search(query, limit=limit)]


def _lock_of(config: Config, artifact_id: str, type_name: str) -> tuple[dict[str, Any] | None, str | None]:
    """The lock on the artifact (None: not locked), or why the remote could not say."""
    from agentsync.remotes import opened, remote_target
    from agentsync.remotes.retry import NO_RETRY
    from agentsync.secrets import redact

    if remote_target(config) is None:
        return None, "no remote configured"
    try:
        with opened(config, NO_RETRY) as remote:
            mine = [lock for lock in remote.locks() if lock.get("id") == artifact_id]
            return next((lock for lock in mine if lock.get("type") in (None, "", type_name)), None), None
    except RemoteError as exc:
        return None, redact(str(exc))


def get_artifact(space: Workspace, key: str) -> dict[str, Any]:
    """An artifact's content, fields, version, lock and open conflict (by id or path)."""
    from agentsync.store import sync_state

    config = space.config()
    with space.mirror() as mirror:
        row = mirror.find(key)
        fields, content = mirror.fields(row.key), mirror.content(row.key)
        conflicts = [c.to_json() for c in sync_state.conflicts(mirror.connection, row.key)]
    lock, lock_error = _lock_of(config, row.id, row.type)
    return {**_row_json(row), "layout": row.layout, "fields": fields, "content": content, "lock": lock,
            "lock_unknown": lock_error, "conflict": conflicts[0] if conflicts else None}  # fmt: skip


def create_artifact(space: Workspace, type: str, title: str, body: str | None, fields: dict[str, Any] | None,
                    holder: str, folder: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A new artifact from its type's template (a fresh id), then the given body and fields; with
    ``folder``, in that existing record folder (``agentsync new --in``)."""
    from agentsync.newartifact import create

    config = space.config()
    _refuse_git_fields(config, fields or {})
    from agentsync.sync.ids import id_source

    with Mirror.open(config) as mirror, id_source(mirror) as ids:  # as `agentsync new`: reserved on the remote
        artifact_id, _path, _ = create(mirror, type, title, reserve=ids.reserve, tag=ids.tag, within=folder)
    key = f"{type}:{artifact_id}"  # typed: another type may use the same id (Spec Kit's spec and plan folders)
    if body is not None or fields:
        return update_artifact(space, key, fields, body, holder, created=True)
    return {**get_artifact(space, key), "pushed": _push_if_auto(config)}


def _refuse_git_fields(config: Config, fields: dict[str, Any]) -> None:
    guarded = [key for key in fields if key.lower() in {g.lower() for g in config.git_fields}]
    if guarded and not config.mcp_git_fields:
        raise AgentsyncError(
            f"{guarded[0]} is a git field: it changes through a commit, not from here (set `mcp: {{git_fields: true}}` "
            "in agentsync.yaml to let agents edit it in the work tree)"
        )
    if "version" in fields or "id" in fields:
        raise AgentsyncError(f"{'version' if 'version' in fields else 'id'} is kept by agentsync; leave it out")


def update_artifact(space: Workspace, key: str, fields: dict[str, Any] | None, body: str | None, holder: str,
                    *, created: bool = False) -> dict[str, Any]:  # fmt: skip
    """Set fields and/or replace the body, the way a saved file goes: refused while a conflict is
    open or another holds the lock; checked; written atomically; mirrored; pushed with auto_push."""
    from agentsync.frontmatter_edit import set_fields
    from agentsync.store import sync_state

    if not fields and body is None:
        raise AgentsyncError("nothing to update: give fields to set, a new body, or both")
    config = space.config()
    _refuse_git_fields(config, fields or {})
    with space.mirror() as mirror:
        row = mirror.find(key)
        open_conflict = sync_state.conflicts(mirror.connection, row.key)
        if open_conflict:
            raise AgentsyncError(f"{row.id} has an open sync conflict ({open_conflict[0].message}); resolve it first "
                                 f"(`agentsync resolve {row.id} --merged`, --ours or --theirs)")  # fmt: skip
        lock, _ = (None, None) if created else _lock_of(config, row.id, row.type)
        if lock is not None and lock.get("holder") != holder:
            raise AgentsyncError(f"{row.id} is locked by {lock.get('holder')} until {lock.get('expires_at')}; "
                                 "wait for them to unlock it")  # fmt: skip
        target = config.root / row.path
        before = target.read_bytes()
        text = before.decode("utf-8")
        if fields:
            text = set_fields(text, dict(fields), row.path)  # in the file's own format
        if body is not None:
            text = text[: _body_start(row.path, text)] + body
        _write_checked(config, mirror, row.path, before, text.encode("utf-8"))
    result = get_artifact(space, row.key)
    return {**result, "pushed": _push_if_auto(config)}


def _body_start(path: str, text: str) -> int:
    from agentsync import formats

    return formats.detect(path, text).read(path, text).body


def _write_checked(config: Config, mirror: Mirror, path: str, before: bytes, after: bytes) -> None:
    """Check ``after`` as `agentsync check` would, then write it in place of ``before`` (refused if
    the file changed meanwhile), and mirror it."""
    from agentsync.check import check
    from agentsync.fsutil import atomic_write
    from agentsync.paths import PathPolicy
    from agentsync.scanner import scan

    report = check(config, mirror, [path], lambda p: after if p == path else None,
                   exists_elsewhere=lambda p: _read(config.root / p))  # fmt: skip
    if report.problems:
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise AgentsyncError(f"not written: {report.problems[0]}{more}")
    policy = PathPolicy.for_config(config)
    digest = hashlib.sha256(before).digest()

    def unchanged(target: Path) -> bool:
        return hashlib.sha256(_read(target) or b"").digest() == digest

    if not atomic_write(policy.writable(path), after, still=policy.guard(unchanged)):
        raise AgentsyncError(f"{path} changed while it was being updated; read it again and retry")
    scan(mirror, [path])


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _push_if_auto(config: Config) -> dict[str, Any] | None:
    """With ``auto_push``, push now (as the watcher would); None when it is off."""
    if not config.auto_push:
        return None
    from agentsync.gitrepo import user_identity
    from agentsync.remotes import opened
    from agentsync.secrets import redact
    from agentsync.sync import push
    from agentsync.sync.events import answer_key

    try:
        with opened(config) as remote, Mirror.open(config) as mirror:
            report = push(mirror, remote, user_identity(config.root))
    except AgentsyncError as exc:
        return {"ok": False, "error": redact(str(exc))}
    locked, conflicts = [answer_key(a) for a in report.locked], [answer_key(a) for a in report.conflicts]
    applied = [list(item) for item in report.applied]
    return {"ok": report.ok, "applied": applied, "locked": locked, "conflicts": conflicts}


def lock_artifact(space: Workspace, key: str, holder: str, ttl_seconds: int) -> dict[str, Any]:
    """Claim an artifact for ``holder``; a claim another holds is refused naming them."""
    from agentsync.remotes import opened
    from agentsync.sync.leases import lock_artifact as take

    if not 60 <= ttl_seconds <= 7 * 24 * 3600:
        raise AgentsyncError(f"ttl_seconds is {ttl_seconds}; use 60 to 604800 (a week)")
    config = space.config()
    with space.mirror() as mirror, opened(config) as remote:
        artifact_id, result = take(mirror, remote, key, holder, ttl_seconds)  # ID, TYPE:ID or path
    if result.result != "locked":
        raise AgentsyncError(f"{artifact_id} is locked by {result.holder} until {result.expires_at}; "
                             "pick another artifact or wait for them to unlock it")  # fmt: skip
    return {"id": artifact_id, "holder": holder, "expires_at": result.expires_at}


def unlock_artifact(space: Workspace, key: str, holder: str, force: bool) -> dict[str, Any]:
    from agentsync.remotes import opened
    from agentsync.sync.leases import locked_key

    config = space.config()
    with space.mirror() as mirror, opened(config) as remote:
        artifact_id = locked_key(mirror, remote, key)  # ID, TYPE:ID or path
        result = remote.unlock(artifact_id, holder, force)
    if result.result == "unlocked":
        return {"id": artifact_id, "unlocked": True, "forced": bool(result.forced)}
    if result.result == "not_locked":
        return {"id": artifact_id, "unlocked": False, "was_locked": False}
    raise AgentsyncError(f"{artifact_id} is locked by {result.holder} until {result.expires_at}, not by {holder}; "
                         "force breaks the lock (recorded)")  # fmt: skip


def sync_status(space: Workspace) -> dict[str, Any]:
    """Where this clone stands with its remote, the remote asked too (as `agentsync status --remote` shows it)."""
    from agentsync.remote_state import remote_state

    with space.mirror() as mirror:
        state = remote_state(mirror.config, mirror)
        total = mirror.count()
    return {"artifacts": total, "remote": None if state is None else state.to_json()}
