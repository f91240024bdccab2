"""Planning a chunk of fetched rows: the facts of each row gathered (the mirror, the disk, the
remote's text under the git-field guard), ``decide`` asked, and its action turned into what
the chunk writes and records. Nothing is written here; a crash after the writes and before the
record leaves files that already equal what the remote gives, and the next pull records them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from agentsync.artifact import content_hash, parse_text, valid_id
from agentsync.errors import AgentsyncError, Problem, UnsafePathError
from agentsync.identity import split_key, valid_type
from agentsync.store import sync_state
from agentsync.store.sync_state import Agreed, ConflictKind, ConflictRow, Fetched, Local, QuarantineRow
from agentsync.sync import restored
from agentsync.sync.decide import Action, Facts, Target, decide
from agentsync.sync.files import FolderNames, differs_only_in_version, same_but_version
from agentsync.sync.journal import now
from agentsync.sync.reports import PullReport, Quarantined, shown

if TYPE_CHECKING:
    from agentsync.artifact import Artifact
    from agentsync.gitfields import GitFieldGuard
    from agentsync.parsing import Parsed
    from agentsync.paths import Matcher, PathPolicy
    from agentsync.store.mirror import Mirror


class Pass(NamedTuple):
    """What one pass over the fetched rows knows beyond them: the artifacts waiting in a conflict
    (left alone), where the pull moves each pending artifact (None: deletes it), the rows it left
    for a second pass because their target is still taken by one of those, the path policy, and
    the names in the folders it lands files in (for the whole pull: each folder listed once), and
    the files it removed (the folders they leave empty are removed once every chunk is written)."""

    waiting: set[str]
    leaving: dict[str, str | None]
    vacating: set[str]
    policy: PathPolicy
    names: FolderNames
    vacated: list[tuple[str, str | None]]  # (path, where it went; None: deleted) of each file removed
    final: bool = False


@dataclass
class ChunkPlan:
    """What applying a chunk takes, decided before any file is touched: the files to write (each
    with the stat it must still have), and the rows to record once they are."""

    rows: list[Fetched]
    locals_by_id: dict[str, Local]
    # Targets are the files' full paths as str (PathPolicy.writable_target): no Path per file.
    writes: list[tuple[str, bytes]] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)  # target -> its stat when read (None: absent)
    owner: dict[str, str] = field(default_factory=dict)  # target -> artifact id
    removals: list[tuple[str, str]] = field(default_factory=list)  # (id, file) the remote deleted
    moved_from: list[tuple[str, str]] = field(default_factory=list)  # (id, old path) the remote renamed
    written: dict[str, tuple[Parsed, int]] = field(default_factory=dict)  # written, already parsed
    agreed: list[Agreed] = field(default_factory=list)
    conflicts: list[ConflictRow] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # what a strategy overrode: the next push's summary
    deferred: set[str] = field(default_factory=set)  # ids whose files were saved meanwhile
    quarantined: list[QuarantineRow] = field(default_factory=list)  # rows refused, for the mirror
    claimed: set[str] = field(default_factory=set)  # targets a row of this chunk writes: no second one lands there
    merges: bool = False  # a file written is a merge (clean, or with conflict markers), not the remote's text

    @property
    def stands_alone(self) -> bool:
        """Whether this chunk's files may be written before the chunk before is recorded: each is the
        remote's text at the remote's path, and no artifact moves away from a file here. Left unrecorded
        by a failure, such files are found by the next pull as the remote has them and agreed; a merge
        or a moved file would be taken for a local edit (markers merged again, the old file kept)."""
        return not self.merges and not self.moved_from


@dataclass
class _Row:
    """One row's material beside its facts: what the actions need."""

    row: Fetched
    local: Local | None
    content: str | None = None
    updated: str | None = None
    path: str = ""  # the remote's path, checked
    target: str | None = None  # the remote's path under the work tree
    data: bytes = b""  # what would be written (the remote's text under the guard)
    text: str = ""
    data_hash: str = ""
    type_name: str = ""  # the type its path gives (a text may name another in its frontmatter)
    artifact: Artifact | None = None
    lands: str = ""  # where the file lands
    disk: bytes | None = None
    seen: Any = None  # the local file's stat before it was read
    occupant: str | None = None
    put_back: restored.PutBack | None = None  # Git put the file back (``Planner._put_back``)


def refusal(row: Fetched, content: str | None, max_size: int) -> tuple[str | None, bytes]:
    """Why a fetched row must not be applied here (None: it may), and its content as bytes: what a
    hostile or broken remote can send that no clone would push. Decided before anything is parsed."""

    identity = split_key(row.key)
    if not valid_id(identity.id):
        return f"invalid artifact id {shown(identity.id)!r}: 1-200 characters, no slashes or control characters", b""
    if identity.type and not valid_type(identity.type):
        return (
            f"invalid artifact type {shown(identity.type)!r}: 1-100 characters, no ':', slashes or control characters",
            b"",
        )
    if row.deleted:
        return None, b""
    if content is None:
        return "the remote's row has no content (and is not a deletion)", b""
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        return "the content is not valid UTF-8 text", b""
    if len(data) > max_size:
        return f"the content is {len(data):,} bytes, over max_file_size ({max_size:,})", b""
    if "\x00" in content:
        return "the content holds NUL bytes (a binary file, not an artifact)", b""
    return None, data


class Planner:
    """Plans one chunk: ``plan()`` gathers each row's facts, asks ``decide``, and records the outcome."""

    def __init__(
        self, mirror: Mirror, rows: list[Fetched], run: Pass, matcher: Matcher, guard: GitFieldGuard,
        report: PullReport,
    ) -> None:  # fmt: skip
        db = mirror.connection
        ids = [row.key for row in rows]
        self.db, self.root, self.config = db, mirror.config.root, mirror.config
        self.run, self.matcher, self.guard, self.report = run, matcher, guard, report
        self.fetched = sync_state.fetched_texts(db, ids)
        self.plan = ChunkPlan(rows, sync_state.locals_of(db, ids))
        guard.prefetch((row.key, row.path) for row in rows if not row.deleted)  # HEAD's values: a few queries
        # Imported once a chunk has work (a pull with nothing new never loads them), and bound here
        # rather than imported in the per-row methods: each such import statement cost ~8k instructions.
        from agentsync.fsutil import stat_signature
        from agentsync.parsing import Parsed

        self.stat_signature, self.parsed_of = stat_signature, Parsed.of

    def plan_chunk(self) -> ChunkPlan:
        for row in self.plan.rows:
            item = _Row(row, self.plan.locals_by_id.get(row.key))
            facts = self._facts(item)
            self._carry_out(decide(facts, final_pass=self.run.final), item, facts)
        return self.plan

    # --- gathering: each step only when the facts so far leave the decision open -------------

    def _facts(self, item: _Row) -> Facts:
        row, local = item.row, item.local
        if row.key in self.run.waiting:
            return Facts(waiting=True)
        item.content, item.updated = self.fetched[row.key]
        refused, item.data = refusal(row, item.content, self.config.max_file_size)
        if refused is None:
            try:
                # The file itself is looked at by `_taken`, and by the writer right before its rename.
                item.target, item.path = self.run.policy.writable_target(row.path, lstat_target=False), row.path
            except UnsafePathError as exc:
                refused = str(exc)
        if refused is not None:
            return Facts(refused=refused)
        agreed_here = local is not None and row.base_hash is not None and not row.base_deleted
        clean = agreed_here and local is not None and local.path == row.base_path and (
            local.hash == row.base_hash or self._version_line_only(row.key))  # fmt: skip
        if not clean and self._put_back(item):  # Git's text (HEAD keeps it): no edit here to merge
            if item.put_back is not None and item.put_back.stashed:
                return Facts(put_back=True)  # left alone for `git stash pop`
            clean = local is not None and local.path == row.base_path  # a move put back: as any move here
        fresh = local is None and (row.base_path is None or bool(row.base_deleted))
        # The facts so far, as keywords: a Facts is made once, when the decision is open no more.
        known: dict[str, Any] = {
            "deleted": bool(row.deleted),
            "local": local is not None,
            "clean": clean,
            "fresh": fresh,
        }
        if row.deleted:
            return Facts(**known)
        refused = self._read_remote(item)
        if refused is not None:
            return Facts(**known, refused=refused)
        if not self._own_path_intact(item):
            return Facts(waiting=True)  # not the row's fault: it waits, and the pull says why
        # Where the file lands: the remote's path, unless only this clone moved the artifact.
        remote_kept_path = local is not None and row.base_path is not None and row.path == row.base_path
        item.lands = local.path if local is not None and remote_kept_path else item.path
        old_path = local.path if local is not None else None
        if item.lands != old_path:
            target = self._taken(item)
            if target is not Target.FREE:
                return Facts(**known, lands_elsewhere=True, target=target)
        return self._disk_facts(item, {**known, "lands_elsewhere": item.lands != old_path})

    def _put_back(self, item: _Row) -> bool:
        """Whether Git put the file back since its version was agreed (``sync.restored``)."""
        item.put_back = restored.for_pull(self.guard, item.row, item.local)
        return item.put_back is not None

    def _version_line_only(self, artifact_id: str) -> bool:
        """Whether this clone's file differs from the agreed text by its ``version:`` line alone."""
        mine = sync_state.contents_of(self.db, [artifact_id]).get(artifact_id)
        agreed = sync_state.agreed_text(self.db, artifact_id)
        return mine is not None and agreed is not None and same_but_version(mine, agreed)

    def _read_remote(self, item: _Row) -> str | None:
        """Parse the remote's text; the reason it cannot be applied, if any."""
        item.data_hash = content_hash(item.data)
        item.type_name = self.matcher.type_of(item.path) or ""
        try:
            item.artifact = parse_text(
                item.path, item.content or "", item.type_name, item.data_hash, self.config.id_rule(item.type_name)
            )
        except AgentsyncError as exc:  # an alias bomb, invalid YAML, a bad id or version: never pushed by a clone
            return f"cannot be read: {getattr(exc, 'reason', exc)}"
        if item.artifact.key != item.row.key:
            return f"its text names the artifact {shown(item.artifact.key)!r}, not {shown(item.row.key)!r}"
        return None

    def _own_path_intact(self, item: _Row) -> bool:
        """This clone's own file, as mirrored, is read (and maybe replaced) only if nothing changed on the way."""
        if item.local is not None:
            try:
                self.run.policy.writable(item.local.path, lstat_target=False)
            except UnsafePathError as exc:
                self.report.problems.append(Problem.of(exc))
                return False
        return True

    def _taken(self, item: _Row) -> Target:
        """Whether a file landing at ``item.lands`` would land on something there, and whether that
        is an artifact this same pull removes or moves away."""
        target = item.target if item.lands == item.path and item.target else self.run.policy.native(item.lands)
        if target not in self.plan.claimed and not self._listed(target):
            return Target.FREE
        item.occupant = sync_state.artifact_at(self.db, item.lands)
        if item.occupant is None or item.occupant not in self.run.leaving:
            return Target.TAKEN  # (a target another row of this chunk writes is taken once that occupant has left)
        return Target.LEAVING if self.run.leaving[item.occupant] != item.lands else Target.TAKEN

    def _listed(self, target: str) -> bool:
        """Whether ``target`` exists: its folder is listed once per pull instead of a stat per file
        (each a lookup that waits on the writer thread's creations in that folder). The writer
        checks each target once more right before it."""
        held = self.run.names.holds(target)
        return self.stat_signature(target) is not None if held is None else held  # None: not a folder

    def _disk_facts(self, item: _Row, known: dict[str, Any]) -> Facts:
        """The local file as it is now, and the remote's text under the git-field guard."""

        local, old_path = item.local, item.local.path if item.local else None
        item.seen = self.stat_signature(self.run.policy.native(old_path)) if old_path else None  # before reading
        try:
            item.disk = (self.root / old_path).read_bytes() if old_path and item.seen is not None else None
        except FileNotFoundError:  # deleted this very moment: the next pull sees it
            return Facts(**known, vanished=True)
        assert item.artifact is not None
        try:
            item.text = self.guard.enforce(item.artifact, item.disk)
        except AgentsyncError as exc:
            return Facts(**known, refused=str(exc))
        if item.text != item.content:
            item.data = item.text.encode("utf-8")
            item.data_hash = content_hash(item.data)
        disk, same_path = item.disk, old_path == item.path
        only_version = (known["local"] and disk is not None and same_path and disk != item.data
                        and differs_only_in_version(disk, item.text))  # fmt: skip
        return Facts(
            **known, on_disk=disk is not None, already_there=disk is not None and disk == item.data and same_path,
            saved_since_scan=disk is not None and local is not None and content_hash(disk) != local.hash,
            never_synced=item.row.base_hash is None, only_version_differs=only_version,
        )  # fmt: skip

    # --- carrying out -------------------------------------------------------------------------

    def _carry_out(self, action: Action, item: _Row, facts: Facts) -> None:
        row, plan, report = item.row, self.plan, self.report
        if action is Action.SKIP:
            return
        if action is Action.HOLD:
            assert item.put_back is not None
            report.put_back.append(restored.PullWaits(item.put_back, row.version, row.author))
            return
        if action is Action.QUARANTINE:
            entry = Quarantined(row.key, row.version, row.path, row.author, facts.refused or "")
            report.quarantined.append(entry)
            plan.quarantined.append(QuarantineRow(*entry, row.seq, now()))
        elif action in (Action.KEEP_EDIT, Action.REMOVE, Action.FORGET):  # the remote's deletion is agreed
            if action is Action.KEEP_EDIT:
                kept = "edited here: kept, and restored on the remote by the next push"
                report.restored.append((row.key, f"deleted on the remote (v{row.version} by {row.author}) but {kept}"))
            elif action is Action.REMOVE and item.local is not None:
                plan.removals.append((row.key, item.local.path))
            plan.agreed.append(Agreed(row.key, row.path, row.version, None, 1, None))
        elif action is Action.VACATE:
            self.run.vacating.add(row.key)
        elif action is Action.TAKEN:
            self._conflict_taken(item)
        elif action is Action.DEFER:
            plan.deferred.add(row.key)
        elif action is Action.AGREED:  # the file as it is (its version line may be behind): nothing written
            text, digest = item.text, item.data_hash
            if item.disk is not None and item.disk != item.data:
                text, digest = item.disk.decode("utf-8"), content_hash(item.disk)
            plan.agreed.append(Agreed(row.key, item.path, row.version, digest, 0, text))
        elif action is Action.MERGE:
            self._merge(item)
        else:  # FAST_FORWARD, RESTORE
            if action is Action.RESTORE:
                report.restored.append((row.key, f"deleted here but changed on the remote (v{row.version} by "
                                                f"{row.author}): restored at {item.path}"))  # fmt: skip
            self._fast_forward(item)

    def _conflict_taken(self, item: _Row) -> None:
        row, local = item.row, item.local
        what = f"new {row.key}" if local is None else f"{row.key}, moved from {local.path},"
        there = f"this clone's {item.occupant}" if item.occupant else "a file agentsync has not synced"
        message = (f"the remote's {what} would overwrite {item.lands} ({there}); nothing was written: "
                   "move that file away (or rename its artifact), then pull again")  # fmt: skip
        self._record_conflict(item, local.path if local else row.path, "pull", message)

    def _record_conflict(
        self, item: _Row, path: str, kind: ConflictKind, message: str, sides: tuple[str | None, ...] = (None,) * 4
    ) -> None:
        """A conflict (kind: pull | merge) in the report and for the mirror; a merge conflict keeps
        its three sides (base, ours, theirs, and theirs' hash) for `resolve` and `diff`."""
        row = item.row
        self.report.conflicts.append((row.key, message))
        self.plan.conflicts.append(ConflictRow(row.key, path, kind, row.version, row.author, message, now(), *sides))

    def _write(self, item: _Row, target: str, data: bytes) -> None:
        plan, old_path = self.plan, item.local.path if item.local else None
        plan.writes.append((target, data))
        if old_path is not None and target == self.run.policy.native(old_path):
            plan.expected[target] = item.seen
        else:
            plan.expected[target] = None  # checked free above (see `_taken`): it must still not exist
            plan.claimed.add(target)
        plan.owner[target] = item.row.key

    def _fast_forward(self, item: _Row) -> None:
        row, plan, artifact = item.row, self.plan, item.artifact
        assert artifact is not None
        self._write(item, item.target or self.run.policy.native(item.path), item.data)
        if len(item.data) <= self.config.max_file_size and "\x00" not in item.text:
            final = artifact if item.text == artifact.content else parse_text(
                item.path, item.text, item.type_name, item.data_hash, self.config.id_rule(item.type_name))  # fmt: skip
            plan.written[item.path] = (self.parsed_of(final), len(item.data))
        if item.local is not None and item.local.path != item.path:
            plan.moved_from.append((row.key, item.local.path))
        self.report.written.append(item.path)
        plan.agreed.append(Agreed(row.key, item.path, row.version, item.data_hash, 0, item.text))

    def _merge(self, item: _Row) -> None:
        from agentsync.merge import Sides, apply_strategy

        row, local, plan, artifact = item.row, item.local, self.plan, item.artifact
        assert local is not None and item.disk is not None and artifact is not None
        # Never synced here (a fresh clone): the file as Git's HEAD has it is what both sides
        # started from, so a file nobody touched here simply takes the remote's edits.
        agreed = row.base_path is not None
        base = sync_state.agreed_text(self.db, row.key) if agreed else self.guard.head_text(local.path)
        ours = item.disk.decode("utf-8", errors="surrogateescape")
        sides = Sides(row.key, item.type_name, base, ours, item.text, row.version, row.author,
                      (self.root / local.path).stat().st_mtime, str(item.updated or ""))  # fmt: skip
        strategy = self.config.strategies.get(item.type_name, "merge")
        result, overridden = apply_strategy(strategy, sides, self.config.git_fields, self.config)
        if result.clean and result.text != item.text and same_but_version(result.text, item.text):
            result = replace(result, text=item.text)  # the remote's text whole: a fast-forward, byte for byte
        truth = self.guard.expected(artifact, item.disk) if result.clean else None
        if truth is not None:  # a merge of two guarded texts is checked too: it is what lands in the file
            try:
                result = replace(result, text=self.guard.check(item.lands, result.text, truth, item.type_name))
            except AgentsyncError as exc:
                self._carry_out(Action.QUARANTINE, item, Facts(refused=str(exc)))
                return
        if overridden:
            self.report.overridden.append((row.key, overridden))
            if result.text != item.text:  # a local change the next push sends: its history says why
                plan.notes.append((row.key, overridden))
        merged = result.text.encode("utf-8", errors="surrogateescape")
        self._write(item, self.run.policy.native(item.lands), merged)
        plan.merges = True
        if local.path != item.lands:
            plan.moved_from.append((row.key, local.path))
        if result.clean:  # taking the remote's text whole is a fast-forward, not a local change to push
            (self.report.written if merged == item.data else self.report.merged).append(item.lands)
            plan.agreed.append(Agreed(row.key, item.path, row.version, item.data_hash, 0, item.text))
            return
        message = (f"changed here and on the remote (v{row.version} by {row.author}): conflicting "
                   f"{', '.join(result.conflicts)}; edit the file, then `agentsync resolve {row.key} --merged` "
                   "(or --ours / --theirs)")  # fmt: skip
        self._record_conflict(item, item.lands, "merge", message, (base, ours, item.text, item.data_hash))
