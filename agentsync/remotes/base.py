"""The one small interface every remote kind implements, and the values it speaks in.

The remote applies a batch of changes with compare-and-swap on each artifact's version,
answers per artifact, and serves a change feed paged by a gap-free sequence number.
Implementations: ``postgres.PostgresRemote`` (psycopg, direct or embedded) and
``supabase.SupabaseRemote`` (supabase-py over HTTP); both call the same functions of ``sql/``
and read their answers with the ``from_json`` constructors here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast, get_args

from agentsync.errors import RemoteError
from agentsync.identity import Keyed, key_of, split_key

AnswerState = Literal["applied", "conflict", "locked"]  # a change took, lost the race, or is leased by another
LockState = Literal["locked", "held", "unlocked", "not_locked"]  # the lease is yours, another's, gone, or none
ANSWER_STATES: tuple[AnswerState, ...] = get_args(AnswerState)
LOCK_STATES: tuple[LockState, ...] = get_args(LockState)


def _known(value: object, states: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``states``; else one line saying the remote speaks another protocol
    (a newer or foreign remote), rather than a crash further on."""
    if isinstance(value, str) and value in states:
        return value
    raise RemoteError(
        f"the remote answered {what} {value!r}, which this client does not know (expected one of "
        f"{', '.join(states)}): check that client and remote are the same agentsync version"
    )


def answer_state(value: object) -> AnswerState:
    """A push answer's result as the remote sent it, checked."""
    return cast(AnswerState, _known(value, ANSWER_STATES, "a push result"))


def lock_state(value: object) -> LockState:
    """A lock or unlock answer's result as the remote sent it, checked."""
    return cast(LockState, _known(value, LOCK_STATES, "a lock result"))


@dataclass(frozen=True)
class Change(Keyed):
    """One artifact change in a push: ``base`` is the remote version the local file is based on.
    ``key`` is the artifact's identity, ``TYPE:ID``; the remote gets its type and id apart."""

    key: str
    path: str
    base: int
    content: str | None  # None for a deletion
    hash: str | None
    summary: str = ""
    source_hash: str | None = None  # the file's hash when the change was read (kept locally, never sent)
    version: int | None = None  # the version the content states; a new artifact starts there

    @property
    def deleted(self) -> bool:
        return self.content is None

    def to_json(self) -> dict[str, Any]:
        identity = split_key(self.key)
        data: dict[str, Any] = {
            "type": identity.type, "id": identity.id, "path": self.path, "base": self.base, "summary": self.summary,
        }  # fmt: skip
        if self.deleted:
            data["deleted"] = True
        else:
            data.update(content=self.content, hash=self.hash)
        if self.version is not None:
            data["version"] = self.version
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        """A change as ``to_json`` wrote it, or as the outbox kept one before it kept that (its fields by name)."""
        if "key" in data:
            return cls(**data)
        deleted = bool(data.get("deleted"))
        return cls(
            key_of(str(data["type"]), str(data["id"])), str(data["path"]), int(data["base"]),
            None if deleted else data["content"], None if deleted else data["hash"], str(data.get("summary", "")),
            None if deleted else data["hash"], data.get("version"),
        )  # fmt: skip


def encode_changes(changes: list[Change], *, texts: bool = True) -> str:
    """A batch as the remote takes it (``to_json`` of each, one JSON array), encoded once and sent as
    is; ``texts=False``: without the texts, which the outbox keeps apart (``decode_changes`` takes them)."""
    import json

    if texts:
        return json.dumps([change.to_json() for change in changes])
    return json.dumps([{name: value for name, value in change.to_json().items() if name != "content"}
                       for change in changes])  # fmt: skip


def decode_changes(encoded: str, texts: Mapping[str, str] | None = None) -> list[Change]:
    """A batch as ``encode_changes`` wrote it (or as an older outbox kept it), each change that is no
    deletion and came without its text taking it from ``texts`` (by key). A text missing there is a
    ValueError: the batch cannot be sent again as it was."""
    import json

    found = json.loads(encoded)
    for change in found:
        if "type" in change and "content" not in change and not change.get("deleted"):
            key = key_of(str(change["type"]), str(change["id"]))
            if texts is None or key not in texts:
                raise ValueError(f"the text of {key} is missing")
            change["content"] = texts[key]
    return [Change.from_json(change) for change in found]


@dataclass(frozen=True)
class RemoteRow(Keyed):
    """An artifact as the remote holds it (a tombstone when ``deleted``). ``key`` is ``TYPE:ID``; a
    row written before the remote recorded types has an empty type (``:ID``)."""

    key: str
    path: str
    version: int
    content: str | None
    hash: str | None
    deleted: bool
    author: str
    seq: int
    updated_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteRow:
        return cls(
            key=key_of(str(data.get("artifact_type") or ""), str(data["artifact_id"])),
            path=str(data["path"]), version=int(data["version"]),
            content=data.get("content"), hash=data.get("hash"), deleted=bool(data.get("deleted")),
            author=str(data.get("author", "")), seq=int(data.get("seq", 0)), updated_at=str(data.get("updated_at", "")),
        )  # fmt: skip


@dataclass(frozen=True)
class Answer(Keyed):
    """The remote's answer for one change: applied (new version), conflict (its row) or locked (by whom).
    ``key`` is ``TYPE:ID`` (an empty type: an answer recorded before the remote knew types)."""

    key: str
    result: AnswerState
    version: int | None = None
    seq: int | None = None
    remote: RemoteRow | None = None
    holder: str | None = None
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        remote = data.get("remote")
        return cls(
            key=key_of(str(data.get("type") or ""), str(data["id"])), result=answer_state(data.get("result")),
            version=data.get("version"), seq=data.get("seq"),
            remote=RemoteRow.from_json(remote) if isinstance(remote, dict) and remote else None,
            holder=data.get("holder"), expires_at=data.get("expires_at"),
        )  # fmt: skip


@dataclass(frozen=True)
class PushResult:
    answers: list[Answer]
    head: int
    replayed: bool = False  # the remote had this batch already and returned its first answer

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PushResult:
        return cls([Answer.from_json(a) for a in data["answers"]], int(data["head"]), bool(data.get("replayed")))


@dataclass(frozen=True)
class Page:
    """Rows changed after a cursor, in commit order; ``head`` is the remote's latest number."""

    rows: list[RemoteRow] = field(default_factory=list)
    head: int = 0

    @property
    def next_cursor(self) -> int | None:
        return self.rows[-1].seq if self.rows else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        return cls([RemoteRow.from_json(r) for r in data["rows"]], int(data["head"]))


@dataclass(frozen=True)
class LockResult:
    result: LockState
    holder: str | None = None
    expires_at: str | None = None
    forced: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockResult:
        return cls(lock_state(data.get("result")), data.get("holder"), data.get("expires_at"), bool(data.get("forced")))


class Remote(Protocol):
    """What the sync engine needs from a remote, whatever carries it."""

    project: str
    identity: str  # where it is and which project, without secrets: the mirror's sync state belongs to it

    # ``encoded``: ``changes`` as ``encode_changes`` wrote them, when the caller has that already (the
    # outbox keeps it): a remote that sends JSON sends it as is rather than encoding the batch again.
    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult: ...
    def pull(self, after: int, limit: int) -> Page: ...
    def head(self) -> int: ...
    # ``key`` is an artifact's identity, ``TYPE:ID`` (agentsync.identity); rows name it by
    # ``artifact_type`` and ``artifact_id``.
    def lock(self, key: str, holder: str, ttl_seconds: int) -> LockResult: ...
    def unlock(self, key: str, holder: str, force: bool) -> LockResult: ...
    def locks(self) -> list[dict[str, Any]]: ...
    def history(self, key: str, limit: int) -> list[dict[str, Any]]: ...
    def audit(self, author: str | None, since: str | None, limit: int) -> list[dict[str, Any]]: ...
    def purge(self, author: str, dry_run: bool) -> dict[str, Any]: ...
    def register_client(self, client_id: str, user: str, host: str, version: str, cursor: int) -> None: ...
    def clients(self) -> list[dict[str, Any]]: ...
    def retire_client(self, client_id: str) -> bool: ...
    def schema_version(self) -> int: ...
    def database_id(self) -> str: ...  # "" for a remote without migration 10
    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int: ...
    def close(self) -> None: ...
