"""The files a push or a pull writes: together (one flush to disk), each re-checked right
before it is replaced, so a file saved meanwhile keeps the save."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentsync.store import sync_state
from agentsync.store.meta import MetaKey

if TYPE_CHECKING:
    from agentsync.paths import PathPolicy
    from agentsync.store.mirror import Mirror


def write_unchanged(
    writes: list[tuple[str, bytes]], expected: dict[str, Any], cleaned: set[str] | None = None,
    policy: PathPolicy | None = None,
) -> list[str]:  # fmt: skip
    """Write files together, each only if its stat is still ``expected``'s (None: it must not
    exist); return the targets left alone because they were saved meanwhile (or, with
    ``policy``, because a folder on the way became a symlink: ``policy.refused``). Temp files a
    killed writer left in their folders go first (once per folder in ``cleaned``)."""
    from agentsync.fsutil import atomic_write_many, remove_stale_temps, stat_signature
    from agentsync.pathpolicy import absent

    folders = {os.path.dirname(target) for target, _ in writes} - (cleaned or set())
    remove_stale_temps(folders)
    if cleaned is not None:
        cleaned.update(folders)

    def still(target: str) -> bool:
        was = expected[target]
        if was is None and absent(target):  # a new file's target, still free: no stat that fails
            return True
        return bool(stat_signature(target) == was)

    return atomic_write_many(writes, still=policy.guard(still) if policy is not None else still)


def unchanged(path: Path, *hashes: str | None) -> bool:
    """Whether ``path`` (about to be removed) still holds one of ``hashes``, or is gone already."""
    from agentsync.artifact import content_hash

    try:
        return content_hash(path.read_bytes()) in hashes
    except FileNotFoundError:
        return True


def same_but_version(first: str, second: str) -> bool:
    """Whether two texts differ in their frontmatter ``version:`` line alone (or not at all): the
    line is a hint of the version a file was last written at, never an edit of its own."""
    from agentsync.errors import AgentsyncError
    from agentsync.frontmatter_edit import remove_field, states_own_version

    if first == second:
        return True
    if not (states_own_version(first) and states_own_version(second)):
        return False  # a document's own version line ('1.0' to '1.1') is an edit like any other
    try:
        return remove_field(first, "version") == remove_field(second, "version")
    except AgentsyncError:
        return False


def differs_only_in_version(disk: bytes, text: str) -> bool:
    """Whether the file ``disk`` reads as ``text`` but for its ``version:`` line."""
    try:
        return same_but_version(disk.decode("utf-8"), text)
    except UnicodeDecodeError:
        return False


def stage_shared(mirror: Mirror, paths: list[str]) -> bool:
    """Stage (``git add``) those of ``paths`` that Git does not track yet: the artifacts that went
    through the remote before their commit, a teammate's that a pull wrote and this clone's own that
    a push sent. Whichever clone commits such a file first, the others' ``git pull`` of that commit
    finds an identical staged file (or, with autostash on, an edit it keeps) instead of an untracked
    one in the way, in every mode. A failure to stage is logged, not fatal, and returns False: the
    caller leaves ``MetaKey.STAGING_DUE`` set and the next pull stages them (``stage_left_over``).
    May run beside the caller's thread: it never touches the mirror."""
    if not paths:
        return True
    import logging

    from agentsync.errors import GitError
    from agentsync.gitrepo import stage_untracked

    try:
        stage_untracked(mirror.config.root, paths)
    except GitError as exc:
        if "not a git repository" in str(exc):
            return True  # nothing to stage into
        logging.getLogger("agentsync.sync").warning("could not stage the shared files: %s", exc)
        return False
    return True


def staging_done(mirror: Mirror, done: bool) -> None:
    """Clear the mark a pull set before writing, once what it wrote is staged."""
    if done and mirror.get_meta(MetaKey.STAGING_DUE) is not None:
        with mirror.transaction():
            mirror.delete_meta(MetaKey.STAGING_DUE)


def stage_left_over(mirror: Mirror) -> None:
    """Stage what an earlier pull wrote and did not stage (cut short, or the index was locked): the
    team's next ``git pull`` would stop at those untracked files. Only when that pull left its mark."""
    if mirror.get_meta(MetaKey.STAGING_DUE) is not None:
        staging_done(mirror, stage_shared(mirror, sync_state.shared_paths(mirror.connection)))


def settle_vacated(
    policy: PathPolicy, vacated: list[tuple[str, str | None]], arrived: list[str], kept: Iterable[str]
) -> list[str]:
    """Once a pull has written everything: the tool's own files left in a folder whose records all
    went to one other folder follow them, as the teammate's move of the folder took them (Conductor's
    track metadata when a track is archived; OpenSpec's ``.openspec.yaml`` when a change is, whose
    records arrive under new ids in ``archive/2026-01-01-NAME/``, the same name dated); then the
    folders left empty go (``prune_emptied``). ``vacated``: each removed file and where it went
    (None: deleted); ``arrived``: the files the pull wrote. Returns where the moved files are now,
    to be staged as the records are (``stage_shared``)."""
    went: dict[str, set[str | None]] = {}
    for path, target in vacated:
        went.setdefault(path.rpartition("/")[0], set()).add(target.rpartition("/")[0] if target else None)
    landed = {path.rpartition("/")[0] for path in arrived}
    moved: list[str] = []
    for folder, targets in went.items():
        if targets == {None}:  # deleted here: arrived in a folder of its name (or its name dated) beside it?
            targets = {place for place in landed if _renamed_beside(folder, place)}
        if len(targets) == 1 and (target := next(iter(targets))) is not None and target != folder:
            moved += _follow(policy, folder, target)
    prune_emptied(policy, [path for path, _ in vacated], kept)
    return moved


def _renamed_beside(folder: str, place: str) -> bool:
    """Whether ``place`` reads as ``folder`` moved within its parent (``openspec/changes/auth`` to
    ``openspec/changes/archive/2026-01-01-auth``): below the same parent, named as it or as it
    dated, and a folder of a kind whose tool keeps files of its own there."""
    from agentsync.toolfolders import companion_names

    parent, _, name = folder.rpartition("/")
    dated = re.fullmatch(rf"(?:[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}-)?{re.escape(name)}", place.rpartition("/")[2])
    return dated is not None and place.startswith(f"{parent}/") and bool(companion_names(place))


def _follow(policy: PathPolicy, folder: str, target: str) -> list[str]:
    """Move ``folder``'s files into ``target`` where they are all the tool's own files beside its
    records (``toolfolders.companion_names``), regular files, and none is in ``target`` yet; each
    folder held by a descriptor reached through real folders only (``PathPolicy.folder_fd``)."""
    from agentsync.toolfolders import companion_names

    names = companion_names(folder)
    if not names:
        return []
    old, new = policy.folder_fd(folder), policy.folder_fd(target)
    try:
        if old is None or new is None:
            return []
        with os.scandir(old) as listing:
            entries = [(entry.name, entry.is_file(follow_symlinks=False)) for entry in listing]
        if not entries or any(name not in names or not regular for name, regular in entries):
            return []
        moved = []
        for name, _ in entries:
            try:  # a link never replaces a file that is there (or appears meanwhile)
                os.link(name, name, src_dir_fd=old, dst_dir_fd=new, follow_symlinks=False)
            except OSError:
                continue
            os.unlink(name, dir_fd=old)
            moved.append(f"{target}/{name}")
        return moved
    finally:
        for fd in (old, new):
            if fd is not None:
                os.close(fd)


def prune_emptied(policy: PathPolicy, paths: Iterable[str], kept: Iterable[str]) -> None:
    """Remove the folders a pull left empty by removing or moving ``paths`` away, as git checkout
    does: a folder per record left empty (a Spec Workflow spec, an OpenSpec change, a Kiro feature)
    would still be a record to its tool. From each file's folder up while empty, only below one of
    ``kept`` (the globs' fixed folders, the tools' own: never removed) and never through a symlink
    (each removed from its parent's descriptor, ``PathPolicy.folder_fd``)."""
    keep = set(kept)
    below = tuple(f"{folder}/" for folder in keep if folder)
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in keep and ("" in keep or folder.startswith(below)):
            parent, _, name = folder.rpartition("/")
            fd = policy.folder_fd(parent)
            if fd is None:
                break
            try:
                os.rmdir(name, dir_fd=fd)  # only an empty folder (a file saved there meanwhile keeps it), no symlink
            except OSError:
                break
            finally:
                os.close(fd)
            folder = parent


class FolderNames:
    """The names in each folder a pull lands files in: each folder listed once a pull (a listing a
    chunk cost a pull of 100,000 files into three folders 3.9 s of listings), then kept up to date
    with what the pull itself writes and removes. A file someone else makes meanwhile is caught
    where it always is: the writer checks each target once more right before it replaces it."""

    __slots__ = ("_names",)

    def __init__(self) -> None:
        self._names: dict[str, set[str]] = {}

    def holds(self, target: str | Path) -> bool | None:
        """Whether ``target`` exists (None: its folder cannot be listed, say it is a file: stat it)."""
        folder, name = os.path.split(target)
        names = self._names.get(folder)
        if names is None:
            try:
                names = self._names[folder] = set(os.listdir(folder))
            except FileNotFoundError:
                names = self._names[folder] = set()
            except OSError:
                return None
        return name in names

    def made(self, targets: Iterable[str | Path]) -> None:
        """These files were written (a folder not listed yet is listed when first asked about)."""
        for target in targets:
            folder, name = os.path.split(target)
            names = self._names.get(folder)
            if names is not None:
                names.add(name)

    def removed(self, target: str | Path) -> None:
        folder, name = os.path.split(target)
        names = self._names.get(folder)
        if names is not None:
            names.discard(name)
