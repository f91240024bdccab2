"""The tables of the in-memory remote (``memory.py``): the rows ``sql/`` keeps, and the lines
PostgreSQL refuses with, so the twin's refusals read as the database's."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from agentsync.errors import RemoteError
from agentsync.identity import split_key

PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def refused(message: str) -> RemoteError:
    """A refusal as PostgresRemote reports the database's: its first line."""
    from agentsync.secrets import redact

    lines = message.strip().splitlines()
    return RemoteError(f"the remote refused: {redact(lines[0]) if lines else message}")


def check_violation(table: str, constraint: str) -> RemoteError:
    return refused(f'new row for relation "{table}" violates check constraint "{constraint}"')


@dataclass
class Version:
    """One row of history: every version ever applied (rewritten by purge only). ``artifact_id`` is
    the artifact's key, ``TYPE:ID``; the JSON names type and id apart, as ``sql/`` does."""

    artifact_id: str
    version: int
    path: str
    content: str | None
    hash: str | None
    deleted: bool
    author: str
    seq: int
    client_id: str | None
    summary: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact_type": split_key(self.artifact_id).type, "artifact_id": split_key(self.artifact_id).id,
            "version": self.version, "path": self.path, "content": self.content,
            "hash": self.hash, "deleted": self.deleted, "author": self.author, "seq": self.seq,
            "client_id": self.client_id, "summary": self.summary, "created_at": self.created_at.isoformat(),
        }  # fmt: skip


@dataclass
class Lease:
    holder: str
    acquired_at: datetime
    expires_at: datetime


@dataclass
class Project:
    name: str
    seq: int = 0  # the change counter: the number of the last applied change
    current: dict[str, Version] = field(default_factory=dict)  # TYPE:ID -> its current version
    feed: dict[int, str] = field(default_factory=dict)  # seq -> artifact id, current rows only
    history: dict[str, list[Version]] = field(default_factory=dict)  # per artifact, oldest first
    log: list[Version] = field(default_factory=list)  # every version, in seq order
    leases: dict[str, Lease] = field(default_factory=dict)
    lock_events: list[dict[str, Any]] = field(default_factory=list)
    batches: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    purges: list[dict[str, Any]] = field(default_factory=list)
    id_counters: dict[tuple[str, str], int] = field(default_factory=dict)  # (type, prefix) -> last number handed out

    def row(self, artifact_id: str) -> dict[str, Any]:
        """The current row as ``pull`` and a conflict answer show it (its text from history)."""
        version = self.current[artifact_id]
        return {
            "artifact_type": split_key(artifact_id).type, "artifact_id": split_key(artifact_id).id,
            "path": version.path, "version": version.version,
            "content": version.content, "hash": version.hash, "deleted": version.deleted,
            "author": version.author, "seq": version.seq, "updated_at": version.created_at.isoformat(),
        }  # fmt: skip


def timestamp(text: str) -> datetime:
    """``text::timestamptz`` (ISO 8601; without an offset, UTC), or the database's refusal."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise refused(f'invalid input syntax for type timestamp with time zone: "{text}"') from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
