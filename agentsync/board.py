"""``agentsync board``: the team's state at a glance, as data. One column per status (the
configured order of ``allowed_values.status``, then any other status found), each card with its
id, title, who holds its lock and where it stands with the remote: the view a person checks
before handing work to an agent. The remote is only looked at (nothing is started); unreachable,
its locks are unknown and the board says why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from agentsync.config import Config

SyncState = Literal["in step", "ahead", "behind", "diverged", "conflict", "local"]
NO_STATUS = "(none)"


@dataclass(frozen=True)
class Card:
    id: str
    type: str
    title: str
    path: str
    sync: SyncState  # local: no remote configured
    lock_holder: str | None = None
    lock_mine: bool = False

    def to_json(self) -> dict[str, Any]:
        lock = None if self.lock_holder is None else {"holder": self.lock_holder, "mine": self.lock_mine}
        return {"id": self.id, "type": self.type, "title": self.title, "path": self.path, "sync": self.sync,
                "lock": lock}  # fmt: skip


@dataclass
class Column:
    status: str
    cards: list[Card] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "count": len(self.cards), "cards": [card.to_json() for card in self.cards]}


@dataclass
class Board:
    columns: list[Column]
    remote: str | None  # the remote's name or URL as shown (None: none configured)
    remote_error: str | None = None  # why locks and the remote's side are unknown

    def to_json(self) -> dict[str, Any]:
        return {"columns": [c.to_json() for c in self.columns], "remote": self.remote,
                "remote_error": self.remote_error}  # fmt: skip


def status_order(configured: tuple[str, ...], found: set[str | None]) -> list[str]:
    """The columns: the configured statuses in their order, then the others found (sorted), then
    artifacts without a status."""
    extra = sorted(s for s in found if s is not None and s not in configured)
    return [*configured, *extra, *([NO_STATUS] if None in found else [])]


def _sync_state(keys: set[str], remote: Any) -> SyncState:
    if remote is None:
        return "local"
    for state, named in (("conflict", {c.id for c in remote.conflicts}), ("diverged", set(remote.diverged)),
                         ("ahead", set(remote.ahead)), ("behind", set(remote.behind))):  # fmt: skip
        if keys & named:
            return state  # type: ignore[return-value]
    return "in step"


def board(config: Config, type_name: str | None = None) -> Board:
    """Scan the work tree, then gather every artifact (of ``type_name``) into its status column."""
    from agentsync.remote_state import remote_state
    from agentsync.scanner import scan
    from agentsync.store import Mirror

    if type_name is not None:
        config.type_named(type_name)  # an unknown type is refused, naming the known ones
    with Mirror.open(config) as mirror:
        scan(mirror)
        rows = mirror.list_artifacts(type_name)
        remote = remote_state(config, mirror)
    # a lock names its artifact by type and id (or, from an older remote, by id alone)
    locks = {f"{lock.get('type') or ''}:{lock.get('id')}": lock for lock in (remote.locks if remote else [])}
    columns = {status: Column(status) for status in
               status_order(config.allowed_values.get("status", ()), {row.status for row in rows})}  # fmt: skip
    for row in rows:
        keys = {row.id, f"{row.type}:{row.id}"}
        lock = locks.get(f"{row.type}:{row.id}", locks.get(f":{row.id}"))
        card = Card(row.id, row.type, row.title, row.path, _sync_state(keys, remote),
                    None if lock is None else str(lock.get("holder")), bool(lock and lock.get("mine")))  # fmt: skip
        columns[row.status if row.status is not None else NO_STATUS].cards.append(card)
    return Board(
        list(columns.values()), None if remote is None else remote.url, None if remote is None else remote.error
    )
