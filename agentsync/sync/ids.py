"""Ids that cannot clash. ``new`` reserves the next number from the remote (``reserve_id``, atomic
per project, type and prefix); offline it takes the next local number tagged with this clone's
own tag (``PREFIX-NNNN-TAG``), which no other clone makes. And a push or pull that finds a
*different* artifact under one of this clone's new ids on the remote renumbers the newcomer here
(file renamed, id line changed, reported) instead of merging two artifacts into one file."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from agentsync.artifact import LAYOUT_FRONTMATTER
from agentsync.errors import AgentsyncError, RemoteError
from agentsync.identity import id_of
from agentsync.remotes.base import Remote, RemoteRow
from agentsync.store import sync_state
from agentsync.store.mirror import Mirror
from agentsync.sync.client import bind_remote, client_id

TAG_LENGTH = 6  # hex characters of this clone's id in an offline id: 16.7 million tags


@dataclass
class IdSource:
    """Where ``new`` gets its id: the remote (``reserve``; None without a remote), else the offline
    scheme with ``tag``; ``offline`` says why the remote was not used, for the command to print."""

    remote: Remote | None
    mirror: Mirror
    tag: str = ""
    offline: list[str] = field(default_factory=list)

    def reserve(self, type_name: str, prefix: str, highest: int) -> int | None:
        if self.remote is None:
            return None
        try:
            bind_remote(self.mirror, self.remote)
            return self.remote.reserve_id(type_name, prefix, highest)
        except RemoteError as exc:  # unreachable, or a remote without migration 10: the offline scheme
            older = not prefix and "id prefix" in str(exc)  # numbered records need migration 16
            self.offline.append("the remote reserves no numbers without a prefix before migration 16: run "
                                "`agentsync remote migrate`" if older else str(exc))  # fmt: skip
            return None


def offline_tag(mirror: Mirror) -> str:
    """This clone's tag for ids made offline: the start of its id (random, made once, kept)."""
    return client_id(mirror)[:TAG_LENGTH].lower()


@contextlib.contextmanager
def id_source(mirror: Mirror) -> Iterator[IdSource]:
    """The ids ``new`` hands out, for the length of a block: from the remote when one is configured
    (one quick try: an unreachable remote means the offline scheme, not a wait)."""
    from agentsync.remotes import open_remote, remote_target
    from agentsync.remotes.retry import NO_RETRY

    if remote_target(mirror.config) is None:
        yield IdSource(None, mirror)
        return
    try:
        remote: Remote | None = open_remote(mirror.config, NO_RETRY)
    except RemoteError as exc:
        source = IdSource(None, mirror, offline_tag(mirror), [str(exc)])
        yield source
        return
    try:
        yield IdSource(remote, mirror, offline_tag(mirror))
    finally:
        if remote is not None:
            remote.close()


@dataclass(frozen=True)
class Renumbered:
    """An artifact of this clone renumbered: the remote has another artifact under its old id."""

    old: str  # ids, as people read them
    new: str
    old_path: str
    new_path: str
    old_key: str = ""  # the artifact's identity (TYPE:ID) before

    def __str__(self) -> str:
        moved = f", now {self.new_path}" if self.new_path != self.old_path else ""
        return (f"renumbered {self.old} to {self.new}{moved}: the remote has another artifact {self.old} "
                "(a teammate's, made at the same time)")  # fmt: skip


def newcomers_clashing(mirror: Mirror, rows: Iterable[RemoteRow | sync_state.Fetched]) -> list[str]:
    """The keys among ``rows`` (remote rows) that name a different artifact than this clone's: one
    this clone made and never agreed with the remote, that HEAD does not contain, whose text is
    not the remote's (an artifact that came by Git, or was copied, is the same artifact)."""
    from agentsync.gitfields import GitFieldGuard
    from agentsync.sync.files import same_but_version

    db = mirror.connection
    candidates = {row.key: row for row in rows if not row.deleted}
    if not candidates:
        return []
    locals_by_id = sync_state.locals_of(db, list(candidates))
    agreed = sync_state.agreed_texts(db, list(locals_by_id))
    fresh = [artifact_id for artifact_id in locals_by_id if artifact_id not in agreed]
    if not fresh:
        return []
    guard = GitFieldGuard(mirror)
    contents = sync_state.contents_of(db, fresh)
    clashing = []
    for artifact_id in fresh:
        local, row = locals_by_id[artifact_id], candidates[artifact_id]
        if guard.at_head(artifact_id, local.path):
            continue
        theirs = _content_of(mirror, row)
        if theirs is not None and same_but_version(contents.get(artifact_id, ""), theirs):
            continue
        clashing.append(artifact_id)
    return clashing


def _content_of(mirror: Mirror, row: RemoteRow | sync_state.Fetched) -> str | None:
    if isinstance(row, RemoteRow):
        return row.content
    return sync_state.fetched_texts(mirror.connection, [row.key]).get(row.key, (None, None))[0]


def renumber(mirror: Mirror, remote: Remote, keys: list[str]) -> tuple[list[Renumbered], list[str]]:
    """Give each artifact in ``keys`` (TYPE:ID) a fresh id (reserved from the remote, else the
    offline scheme): the id line changes, and a file name that starts with the old id is renamed.
    Returns what was renumbered and, one line each, why an artifact could not be."""
    from agentsync.scanner import scan

    done: list[Renumbered] = []
    problems: list[str] = []
    source = IdSource(remote, mirror, offline_tag(mirror))
    for key in keys:
        try:
            done.append(_renumber_one(mirror, source, key))
        except AgentsyncError as exc:
            problems.append(f"{id_of(key)}: the remote has another artifact with this id; not renumbered: {exc}")
    if done:
        with mirror.transaction() as db:
            for item in done:
                sync_state.drop_conflict(db, item.old_key)
        scan(mirror, [path for item in done for path in (item.old_path, item.new_path)])
    return done, problems


def _renumber_one(mirror: Mirror, source: IdSource, key: str) -> Renumbered:
    from agentsync.artifact import find_frontmatter
    from agentsync.frontmatter_edit import set_field
    from agentsync.fsutil import atomic_write
    from agentsync.newartifact import next_id, numbering
    from agentsync.pathpolicy import PathPolicy
    from agentsync.sync.files import unchanged

    config = mirror.config
    artifact_id = id_of(key)
    row = mirror.get(key)
    if row is None or row.layout != LAYOUT_FRONTMATTER:
        raise AgentsyncError("only an artifact with YAML frontmatter can be renumbered; rename it by hand")
    prefix = config.type_named(row.type).id_prefix
    if not re.match(rf"{re.escape(prefix)}-\d+", artifact_id, re.I):
        raise AgentsyncError(f"its id does not take the form {prefix}-NNNN; rename it by hand")
    taken = mirror.ids() | {id_of(r.key) for r in sync_state.fetched_not_applied(mirror.connection)} | {artifact_id}
    number = source.reserve(row.type, prefix, numbering(prefix, taken)[0])
    new_id = next_id(prefix, taken, number=number) if number is not None else next_id(prefix, taken, tag=source.tag)
    old_file = config.root / row.path
    data = old_file.read_bytes()
    text = data.decode("utf-8")
    span = find_frontmatter(text)
    has_line = span is not None and re.search(r"(?m)^id[ \t]*:", text[span.start : span.end]) is not None
    renamed = set_field(text, "id", new_id) if has_line else text
    folder, _, name = row.path.rpartition("/")
    new_name = new_id + name[len(artifact_id) :] if name.lower().startswith(artifact_id.lower()) else name
    new_path = f"{folder}/{new_name}" if folder else new_name
    if new_path == row.path and renamed == text:
        raise AgentsyncError("its id comes from neither an id line nor its file name")
    policy = PathPolicy.for_config(config)
    target = policy.writable(new_path)
    if new_path != row.path and os.path.lexists(target):
        raise AgentsyncError(f"{new_path} exists already")
    still = None if new_path == row.path else (lambda path: not os.path.lexists(path))
    if not atomic_write(target, renamed.encode("utf-8"), still=policy.guard(still)):
        raise AgentsyncError(f"{new_path} appeared meanwhile")
    from agentsync.artifact import content_hash

    if new_path != row.path and unchanged(old_file, content_hash(data)):
        old_file.unlink()
    return Renumbered(artifact_id, new_id, row.path, new_path, key)
