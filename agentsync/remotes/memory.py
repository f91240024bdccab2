"""An in-memory remote with the guarantees of the PostgreSQL one, for tests and quick tools.

``MemoryServer`` holds projects the way ``sql/`` does (artifacts with tombstones, history,
leases, batches, clients); ``MemoryRemote`` is one project on it behind the ``Remote``
interface, so two clones in a test can share one server. Each call runs under the server's
lock, which makes it one transaction: compare-and-swap on versions, a gap-free feed (the
project's counter stamps each applied change with the next number), idempotent batches
(the first answer is kept and returned again), leases checked by the write itself, and an
append-only history that only ``purge`` rewrites. Answers are built as the SQL functions
build their JSON and read back with the same ``from_json``; refusals are ``RemoteError``
with the line the database would give (see ``pushrules``).
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from agentsync.identity import id_of, key_of, split_key
from agentsync.remotes.base import Change, LockResult, Page, PushResult, RemoteRow
from agentsync.remotes.memory_tables import (
    PROJECT_NAME,
    Clock,
    Lease,
    Project,
    Version,
    check_violation,
    refused,
    timestamp,
    utc_now,
)
from agentsync.remotes.pushrules import batch_refusal


class MemoryServer:
    """The shared in-memory store: projects by name, one lock for every call (thread-safe)."""

    def __init__(self, name: str | None = None, *, clock: Clock = utc_now, session_user: str = "memory") -> None:
        self.name = name or uuid.uuid4().hex[:12]
        self.clock = clock  # leases expire by it; tests may pass one they move by hand
        self.session_user = session_user  # the author of a write that names none
        self._lock = threading.RLock()
        self._projects: dict[str, Project] = {}
        self.database_id = uuid.uuid4().hex  # as `agentsync.database_id()`: made once, per database

    def remote(self, project: str) -> MemoryRemote:
        return MemoryRemote(self, project)

    def lock_events(self, project: str) -> list[dict[str, Any]]:
        """The recorded lock events (forced unlocks), oldest first."""
        with self._lock:
            found = self._projects.get(project)
            return [dict(e) for e in found.lock_events] if found else []

    def purges(self, project: str) -> list[dict[str, Any]]:
        with self._lock:
            found = self._projects.get(project)
            return [dict(p) for p in found.purges] if found else []

    # -- the functions of sql/, one project each -------------------------------------------

    def _writable(self, name: str) -> Project:
        """The project a write uses, created (as ``project_for(name, true)``) but not yet kept."""
        found = self._projects.get(name)
        if found is not None:
            return found
        if not PROJECT_NAME.fullmatch(name):
            raise check_violation("projects", "projects_name_check")
        return Project(name)

    def _keep(self, project: Project) -> Project:
        return self._projects.setdefault(project.name, project)

    def _author(self, claimed: str | None) -> str:
        return claimed or self.session_user

    def push(self, name: str, client_id: str, batch_id: str, author: str, changes: list[Any]) -> dict[str, Any]:
        """``agentsync.push``: the batch's first answer again, or every change checked, then applied
        or answered (conflict, locked) one by one; the whole batch is refused for one bad change."""
        if any("\x00" in v for c in changes if isinstance(c, dict) for v in c.values() if isinstance(v, str)):
            raise refused("unsupported Unicode escape sequence")  # PostgreSQL's text holds no NUL
        with self._lock:
            project = self._writable(name)
            first = project.batches.get((client_id, batch_id))
            if first is not None:
                return {**first, "replayed": True}
            refusal = batch_refusal(changes)
            if refusal is not None:
                raise refused(refusal)
            project = self._keep(project)
            answer = {"answers": self._apply(project, client_id, self._author(author), changes), "head": project.seq}
            project.batches[(client_id, batch_id)] = answer
            return {**answer}

    def _apply(self, project: Project, client_id: str, author: str, changes: list[dict[str, Any]]) -> list[Any]:
        now = self.clock()
        answers: list[dict[str, Any]] = []
        for change in changes:
            named = {"type": str(change["type"]), "id": str(change["id"])}  # the identity, as the answer names it
            artifact_id = key_of(named["type"], named["id"])  # project tables are keyed by TYPE:ID
            lease = project.leases.get(artifact_id)
            current = project.current.get(artifact_id)
            base = int(change.get("base") or 0)
            if lease is not None and lease.expires_at > now and lease.holder != author:
                answers.append({**named, "result": "locked", "holder": lease.holder,
                                "expires_at": lease.expires_at.isoformat()})  # fmt: skip
                continue
            if (current.version if current else 0) != base:
                remote = project.row(artifact_id) if current else None
                answers.append({**named, "result": "conflict", "remote": remote})
                continue
            requested = change.get("version")
            version = base + 1 if current else max(1, min(int(requested or 1), 1_000_000))
            deleted = change.get("deleted") in (True, "true")
            project.seq += 1
            applied = Version(
                artifact_id, version, str(change["path"]), None if deleted else change.get("content"),
                None if deleted else change.get("hash"), deleted, author, project.seq, client_id,
                str(change.get("summary") or ""), now,
            )  # fmt: skip
            if current is not None:
                del project.feed[current.seq]
            project.current[artifact_id] = applied
            project.feed[applied.seq] = artifact_id
            project.history.setdefault(artifact_id, []).append(applied)
            project.log.append(applied)
            answers.append({**named, "result": "applied", "version": version, "seq": applied.seq})
        return answers

    def pull(self, name: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Current rows (tombstones included) changed after ``after``, in commit order."""
        with self._lock:
            project = self._projects.get(name)
            if project is None:
                return []
            wanted, rows = min(max(limit, 1), 5000), []
            for seq in range(max(after, 0) + 1, project.seq + 1):  # the numbers are gap-free
                artifact_id = project.feed.get(seq)
                if artifact_id is not None:
                    rows.append({**project.row(artifact_id), "head": project.seq})
                    if len(rows) >= wanted:
                        break
            return rows

    def head(self, name: str) -> int:
        with self._lock:
            project = self._projects.get(name)
            return project.seq if project else 0

    def lock(self, name: str, artifact_id: str, holder: str, ttl_seconds: int) -> dict[str, Any]:
        with self._lock:
            project, holder, now = self._keep(self._writable(name)), self._author(holder), self.clock()
            lease = project.leases.get(artifact_id)
            if lease is not None and lease.expires_at > now and lease.holder != holder:
                return {"result": "held", "holder": lease.holder, "expires_at": lease.expires_at.isoformat()}
            lease = Lease(holder, now, now + timedelta(seconds=max(ttl_seconds, 1)))
            project.leases[artifact_id] = lease
            return {"result": "locked", "holder": holder, "expires_at": lease.expires_at.isoformat()}

    def unlock(self, name: str, artifact_id: str, holder: str, force: bool) -> dict[str, Any]:
        with self._lock:
            project, actor, now = self._keep(self._writable(name)), self._author(holder), self.clock()
            lease = project.leases.get(artifact_id)
            if lease is None or lease.expires_at <= now:
                project.leases.pop(artifact_id, None)
                return {"result": "not_locked"}
            if lease.holder != actor and not force:
                return {"result": "held", "holder": lease.holder, "expires_at": lease.expires_at.isoformat()}
            del project.leases[artifact_id]
            if lease.holder != actor:
                project.lock_events.append({"artifact_type": split_key(artifact_id).type,
                                            "artifact_id": id_of(artifact_id), "event": "forced_unlock",
                                            "holder": lease.holder, "actor": actor, "at": now.isoformat()})  # fmt: skip
            return {"result": "unlocked", "holder": lease.holder, "forced": lease.holder != actor}

    def locks(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            project, now = self._projects.get(name), self.clock()
            leases = sorted(project.leases.items()) if project else []
            return [
                {"type": split_key(artifact_id).type, "id": id_of(artifact_id), "holder": lease.holder,
                 "acquired_at": lease.acquired_at.isoformat(),
                 "expires_at": lease.expires_at.isoformat()}
                for artifact_id, lease in leases if lease.expires_at > now
            ]  # fmt: skip

    def history(self, name: str, artifact_id: str, limit: int) -> list[dict[str, Any]]:
        """The versions of one artifact, newest first."""
        with self._lock:
            project = self._projects.get(name)
            versions = project.history.get(artifact_id, []) if project else []
            return [v.to_json() for v in reversed(versions[-min(max(limit, 1), 1000) :])]

    def audit(self, name: str, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        """Every applied change, newest first, without texts; by author and time when given."""
        after = timestamp(since) if since is not None else None
        with self._lock:
            project = self._projects.get(name)
            entries: list[dict[str, Any]] = []
            for version in reversed(project.log if project else []):
                if (author is None or version.author == author) and (after is None or version.created_at >= after):
                    entry = version.to_json()
                    del entry["content"], entry["client_id"]
                    entries.append(entry)
                    if len(entries) >= min(max(limit, 1), 10000):
                        break
            return entries

    def purge(self, name: str, author: str, dry_run: bool) -> dict[str, Any]:
        """Erase an author: texts of their versions no one reads now, their name everywhere."""
        if not author:
            raise refused("agentsync: purge needs an author")
        with self._lock:
            project = self._projects.get(name)
            if project is None:
                raise refused(f"agentsync: no project {name}")
            pseudonym = "erased-" + uuid.uuid4().hex[:12]
            theirs = [v for v in project.log if v.author == author]
            current = [v for v in theirs if project.current[v.artifact_id].version == v.version]
            artifacts = [a for a, version in project.current.items() if version.author == author]
            leases = [a for a, lease in project.leases.items() if lease.holder == author]
            events = [e for e in project.lock_events if author in (e["holder"], e["actor"])]
            report: dict[str, Any] = {
                "project": name, "author": author, "dry_run": dry_run, "replaced_by": None if dry_run else pseudonym,
                "history_contents_removed": len(theirs) - len(current), "current_versions_kept": len(current),
                "artifacts_reattributed": len(artifacts), "locks_released": len(leases),
                "lock_events_anonymised": len(events), "memberships_anonymised": 0,
            }  # fmt: skip
            if not dry_run:
                kept = {id(v) for v in current}
                for version in theirs:
                    version.content = version.content if id(version) in kept else None
                    version.author, version.client_id, version.summary = pseudonym, None, ""
                for artifact_id in leases:
                    del project.leases[artifact_id]
                for event in events:
                    event.update({k: pseudonym for k in ("holder", "actor") if event[k] == author})
                without_author = {k: v for k, v in report.items() if k != "author"}
                project.purges.append({"replaced_by": pseudonym, "actor": self.session_user,
                                       "report": without_author, "at": self.clock().isoformat()})  # fmt: skip
            return report

    def register_client(self, name: str, client_id: str, user: str, host: str, version: str, cursor: int) -> None:
        with self._lock:
            project = self._projects.get(name)
            if project is None:
                return  # nothing pushed yet: no project to join
            if not 1 <= len(client_id) <= 100:
                raise check_violation("clients", "clients_client_id_check")
            now, known = self.clock(), project.clients.get(client_id)
            project.clients[client_id] = {
                "client_id": client_id, "user_name": self._author(user), "host": (host or "")[:200],
                "agent_version": (version or "")[:50], "cursor": cursor or 0,
                "registered_at": known["registered_at"] if known else now.isoformat(), "last_sync": now.isoformat(),
            }  # fmt: skip

    def reserve_id(self, name: str, type_name: str, prefix: str, floor: int) -> int:
        """``agentsync.reserve_id``: one past the highest number handed out, ``floor`` and every
        ``PREFIX-NNNN`` id of the project (with the empty prefix: every id of the type that starts
        with a number, ``0010-use-postgres``)."""
        if prefix != "" and not PROJECT_NAME.fullmatch(prefix or ""):
            raise refused(f"agentsync: id prefix {prefix} is not letters, digits, '.', '_' and '-'")
        if not 1 <= len(type_name or "") <= 100:
            raise refused(f"agentsync: artifact type {type_name} is empty or too long")
        with self._lock:
            project = self._keep(self._writable(name))
            used = (
                id_number(id_of(key), prefix) for key in project.current if prefix or split_key(key)[0] == type_name
            )
            highest = max([max(floor or 0, 0), *used])
            number = max(project.id_counters.get((type_name, prefix), 0), highest) + 1
            project.id_counters[(type_name, prefix)] = number
            return number

    def clients(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            project = self._projects.get(name)
            if project is None:
                return []
            listed = sorted(project.clients.values(), key=lambda c: str(c["last_sync"]), reverse=True)
            return [{**c, "lag": max(project.seq - int(c["cursor"]), 0)} for c in listed]

    def retire_client(self, name: str, client_id: str) -> bool:
        with self._lock:
            project = self._projects.get(name)
            return project is not None and project.clients.pop(client_id, None) is not None


class ShiftedClock:
    """The wall clock moved forward by hand: leases expire without waiting for them."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def id_number(artifact_id: str, prefix: str) -> int:
    """The number of an id ``PREFIX-NNNN…`` (any case; up to 18 digits, then anything but a digit), else 0;
    with the empty prefix, of an id that starts with the number (``0010-use-postgres``)."""
    import re

    start = len(prefix) + 1 if prefix else 0
    if prefix and artifact_id[:start].lower() != f"{prefix}-".lower():
        return 0
    match = re.match(r"([0-9]{1,18})(?:[^0-9]|$)", artifact_id[start:])
    return int(match.group(1)) if match else 0


def schema_version() -> int:
    """The newest migration of ``sql/``: an in-memory remote is always current."""
    from agentsync.remotes import migrations

    return max(m.version for m in migrations.available())


class MemoryRemote:
    """One project of a ``MemoryServer``, behind the ``Remote`` interface."""

    def __init__(self, server: MemoryServer | None = None, project: str = "demo") -> None:
        self.server = server if server is not None else MemoryServer()
        self.project = project
        self.identity = f"memory://{self.server.name}#{project}"

    def __repr__(self) -> str:
        return f"MemoryRemote({self.identity!r})"

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        sent = json.loads(encoded) if encoded is not None else [c.to_json() for c in changes]  # what travels
        return PushResult.from_json(self.server.push(self.project, client_id, batch_id, author, sent))

    def pull(self, after: int, limit: int) -> Page:
        rows = self.server.pull(self.project, after, limit)
        return Page([RemoteRow.from_json(r) for r in rows], int(rows[-1]["head"]) if rows else after)

    def head(self) -> int:
        return self.server.head(self.project)

    def lock(self, artifact_id: str, holder: str, ttl_seconds: int) -> LockResult:
        return LockResult.from_json(self.server.lock(self.project, artifact_id, holder, ttl_seconds))

    def unlock(self, artifact_id: str, holder: str, force: bool) -> LockResult:
        return LockResult.from_json(self.server.unlock(self.project, artifact_id, holder, force))

    def locks(self) -> list[dict[str, Any]]:
        return self.server.locks(self.project)

    def history(self, artifact_id: str, limit: int) -> list[dict[str, Any]]:
        return self.server.history(self.project, artifact_id, limit)

    def audit(self, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        return self.server.audit(self.project, author, since, limit)

    def purge(self, author: str, dry_run: bool) -> dict[str, Any]:
        return self.server.purge(self.project, author, dry_run)

    def register_client(self, client_id: str, user: str, host: str, version: str, cursor: int) -> None:
        self.server.register_client(self.project, client_id, user, host, version, cursor)

    def clients(self) -> list[dict[str, Any]]:
        return self.server.clients(self.project)

    def retire_client(self, client_id: str) -> bool:
        return self.server.retire_client(self.project, client_id)

    def schema_version(self) -> int:
        return schema_version()

    def database_id(self) -> str:
        return self.server.database_id

    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int:
        return self.server.reserve_id(self.project, type_name, prefix, floor)

    def close(self) -> None:
        """Nothing to release: the server outlives its remotes."""
