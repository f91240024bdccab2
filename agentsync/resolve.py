"""Resolving a recorded conflict: take a side, or accept the file as a person merged it.

Whatever the choice, the artifact is then based on the remote's version: the chosen text is
written (atomically, its ``version:`` line set to the remote's), ``sync_base`` records the
remote's version, and the conflict is removed. If the result differs from the remote's text,
it is a local change the next push sends.
"""

from __future__ import annotations

from agentsync.errors import NotFoundError, ResolveError
from agentsync.store import Mirror, refs, sync_state
from agentsync.store.sync_state import ConflictRow

SIDES = ("ours", "theirs", "merged")


Conflict = ConflictRow  # an open conflict, as the mirror records it


def conflicts(mirror: Mirror) -> list[Conflict]:
    return sync_state.conflicts(mirror.connection)


def conflict(mirror: Mirror, reference: str) -> Conflict:
    """The open conflict a user names by ``ID``, ``TYPE:ID`` or path (``store.refs``, among conflicts)."""
    key = refs.resolve(mirror.connection, reference, among="conflicts")
    found = sync_state.conflicts(mirror.connection, key) if key is not None else []
    if not found:
        raise NotFoundError(f"no conflict for {reference!r}; `agentsync conflicts` lists them")
    return found[0]


def resolve(mirror: Mirror, key: str, side: str) -> Conflict:
    """Resolve ``key``'s conflict with ``side``: ours, theirs, or merged (the file as it is now)."""
    from agentsync import synclock

    with synclock.hold(mirror.config, "resolve"):
        return _resolve(mirror, key, side)


def _resolve(mirror: Mirror, key: str, side: str) -> Conflict:
    from agentsync.artifact import content_hash, find_frontmatter
    from agentsync.frontmatter_edit import set_field, states_own_version
    from agentsync.fsutil import atomic_write
    from agentsync.gitfields import GitFieldGuard
    from agentsync.merge import has_markers
    from agentsync.paths import PathPolicy
    from agentsync.scanner import scan

    if side not in SIDES:
        raise ResolveError(f"resolve with one of: {', '.join(SIDES)}")
    found = conflict(mirror, key)
    if found.kind == "pull":  # the target holds another file: taking a side would write over it
        raise ResolveError(f"{found.key} could not land at {found.path}, which holds another file; move that file "
                           "away (or rename its artifact), then `agentsync pull` brings it")  # fmt: skip
    policy = PathPolicy.for_config(mirror.config)
    path = policy.writable(found.path)  # read and written only if no symlink is on the way
    remote = sync_state.fetched_row(mirror.connection, found.key)
    if remote is None:
        raise ResolveError(f"{found.key}: the remote's version is not fetched; run `agentsync fetch` first")
    remote_path, remote_version, remote_deleted = remote.path, remote.version, remote.deleted
    remote_content = remote.content or ""  # only a deletion has none
    theirs = found.theirs
    if theirs is None and not remote_deleted:
        from agentsync.artifact import parse_text
        from agentsync.globs import Matcher

        type_name = Matcher.from_config(mirror.config).type_of(remote_path) or ""
        digest = content_hash(remote_content.encode("utf-8"))
        artifact = parse_text(remote_path, remote_content, type_name, digest, mirror.config.id_rule(type_name))
        theirs = GitFieldGuard(mirror).enforce(artifact, path.read_bytes() if path.exists() else None)
    theirs_hash = found.theirs_hash or (content_hash(theirs.encode("utf-8")) if theirs is not None else None)
    if side == "merged":
        if not path.exists():
            raise ResolveError(f"{found.path} is gone; resolve with --ours or --theirs")
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        if has_markers(text):
            raise ResolveError(f"{found.path} still has conflict markers (<<<<<<< / >>>>>>>); edit them out first")
    elif side == "ours":
        text = found.ours if found.ours is not None else path.read_text(encoding="utf-8")
    else:
        if theirs is None:
            raise ResolveError(f"{found.key} is deleted on the remote; resolve with --ours to keep it")
        text = theirs
    # as a merge does it (merge.merged_text): a file without frontmatter (a Nygard ADR) never gets one
    if side != "theirs" and "version" not in mirror.config.git_fields and find_frontmatter(text) \
            and states_own_version(text):  # fmt: skip
        text = set_field(text, "version", remote_version)
    if not atomic_write(path, text.encode("utf-8", errors="surrogateescape"), still=policy.guard()):
        raise policy.refused[0]
    agreed = sync_state.Agreed(found.key, remote_path, remote_version, theirs_hash, 1 if theirs is None else 0, theirs)
    with mirror.transaction() as db:
        sync_state.upsert_agreed(db, [agreed])
        sync_state.drop_conflict(db, found.key)
    scan(mirror, [found.path])
    _stage(mirror, found.path)
    return found


def _stage(mirror: Mirror, path: str) -> None:
    """A shared file Git does not track yet is staged, as a pull stages what it writes (no repository, or
    its index locked: left as it is, and a `git pull` of its commit names it)."""
    from agentsync.errors import GitError
    from agentsync.gitrepo import stage_untracked

    try:
        stage_untracked(mirror.config.root, [path])
    except GitError:
        pass
