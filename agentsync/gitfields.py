"""Git fields: frontmatter keys (default ``status``) whose value only Git may change.

The mirror keeps each artifact's git-field values at HEAD beside the work-tree values
(table ``git_heads``, for the commit named by meta ``git_head``). It is refreshed by
diffing HEAD's tree against the commit it was built for, so after a commit only the
paths the commit touched are read. Writers use ``GitFieldGuard`` so that no value
Git did not give ever reaches a file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from agentsync.errors import NOT_SET, AgentsyncError, GitFieldViolation, GitNotInstalled, NoGitRepository
from agentsync.gitrepo import GitReader, GitRepo, blob_oid
from agentsync.identity import split_key
from agentsync.paths import Matcher
from agentsync.store import Mirror, artifacts, heads
from agentsync.store.heads import HeadRow

if TYPE_CHECKING:  # the parser is loaded only where a text is read: `status` with HEAD unmoved never needs it
    from agentsync.artifact import Artifact
    from agentsync.config import Config

KnownChanges = tuple[str | None, str | None, dict[str, str | None]]


def values_of(fields: dict[str, Any], status: str | None, git_fields: Iterable[str]) -> dict[str, Any]:
    """The git fields an artifact sets (an ``.agent/cache`` file's status line counts as ``status``)."""
    values: dict[str, Any] = {}
    for name in git_fields:
        if name in fields:
            values[name] = fields[name]
        elif name == "status" and status is not None:
            values[name] = status
    return values


def artifact_values(artifact: Artifact, git_fields: Iterable[str]) -> dict[str, Any]:
    return values_of(artifact.fields, artifact.status, git_fields)


def refresh_heads(mirror: Mirror, repo: GitReader, known: KnownChanges | None = None) -> int:
    """Bring ``git_heads`` to the current HEAD; return how many blobs had to be parsed.

    ``known`` is a diff the caller already has (old commit, new commit, changed blobs): a hook
    that just diffed the range it mirrored passes it on instead of asking Git again.
    """
    head = repo.head_commit()
    config = mirror.config
    recorded, built_for = heads.recorded(mirror.connection)
    wanted = built_for_config(config)
    if built_for != wanted:
        recorded = None  # read with other git fields or types (or by an older agentsync): rebuilt
    elif recorded == (head or ""):
        return 0
    matcher = Matcher.from_config(config)
    if known is not None and recorded and known[0] == recorded and known[1] == head:
        diff: dict[str, str | None] | None = known[2]
    elif recorded and repo.resolve(recorded) is not None:
        diff = repo.changed_blobs(recorded, head)
    else:
        diff = None
    if diff is not None:
        changed = {p: oid for p, oid in diff.items() if matcher.type_of(p)}
        gone = [p for p, oid in changed.items() if oid is None]
        entries = [(p, oid) for p, oid in changed.items() if oid is not None]
        full = False
    else:
        gone, full = [], True
        entries = [(p, oid) for p, oid in repo.blobs_under(head, matcher.roots) if matcher.type_of(p)]
    rows, parsed = _head_rows(mirror, repo, matcher, entries)
    with mirror.transaction() as db:
        heads.replace(db, head or "", rows, gone, full=full, built_for=wanted)
    return parsed


def current_heads(mirror: Mirror) -> GitReader | None:
    """Bring HEAD's rows in the mirror up to date through Git's command line (a pull or a push of files
    HEAD already has in step loads no pygit2 for it), or pygit2 where Git is not installed; the reader
    used, or None where there is no repository."""
    from agentsync.gitcli import GitCommandLine

    reader: GitReader = GitCommandLine(mirror.config.root)
    try:
        reader.head_commit()  # Git that cannot read HEAD (another user's repository) stops the write
    except NoGitRepository:
        return None
    except GitNotInstalled:  # pygit2 reads the repository itself
        try:
            reader = GitRepo(mirror.config.root)
        except NoGitRepository:
            return None
    refresh_heads(mirror, reader)
    return reader


def built_for_config(config: Config) -> str:
    """What ``git_heads`` depends on in the config: the git fields (the values it keeps) and the types
    (which files are artifacts, of what type, and where their ids come from). Another value: rebuilt."""
    types = [[t.name, list(t.globs), list(t.exclude), t.id_from] for t in config.types]
    return json.dumps([list(config.git_fields), types, list(config.exclude)])


def _head_rows(
    mirror: Mirror, repo: GitReader, matcher: Matcher, entries: list[tuple[str, str]]
) -> tuple[list[HeadRow], int]:
    """git_heads rows for (path, blob id) entries. A work-tree file with HEAD's exact bytes already
    has its values in the mirror, so only blobs that differ from the work tree are read and parsed.
    Each row keeps its blob's sha256 (``artifacts.hash`` of the same bytes): ``heads.narrowed``
    compares no values of a file that still has them."""
    from agentsync.artifact import content_hash, parse_bytes

    git_fields = mirror.config.git_fields
    oids = dict(entries)
    same: dict[str, tuple[str, str, str | None, str]] = {}
    candidates = artifacts.in_step(mirror.connection, None if len(oids) > 200 else list(oids))
    for path, artifact_id, fields_json, status, content in candidates:
        if path in oids:
            data = content.encode("utf-8")
            if blob_oid(data) == oids[path]:
                same[path] = (artifact_id, fields_json, status, content_hash(data))
    rows: list[HeadRow] = []
    parsed = 0
    for path, oid in entries:
        if path in same:
            artifact_id, fields_json, status, digest = same[path]
            values = values_of(json.loads(fields_json), status, git_fields)
        else:
            parsed += 1
            try:
                type_name = matcher.type_of(path) or ""
                artifact = parse_bytes(path, repo.read_blob(oid), type_name, mirror.config.id_rule(type_name))
            except AgentsyncError:
                rows.append(HeadRow(path, oid, None, "{}", None))
                continue
            artifact_id, values = artifact.key, artifact_values(artifact, git_fields)  # keyed by TYPE:ID
            digest = artifact.hash  # the blob's bytes, hashed as the scanner hashes a file's
        rows.append(HeadRow(path, oid, artifact_id, json.dumps(values, ensure_ascii=False), digest))
    return rows, parsed


def head_values(mirror: Mirror, artifact_id: str, path: str) -> dict[str, Any] | None:
    """Git-field values at HEAD for an artifact (by path, else by id after a rename), or None if not at HEAD."""
    found = heads.fields_at(mirror.connection, artifact_id, path)
    return None if found is None else dict(json.loads(found))


# Where Git's value of a committed artifact's field was read: HEAD's, or the work tree's (HEAD
# has the artifact, and the file here holds the user's own uncommitted value).
TruthSource = Literal["HEAD", "work tree"]


class Override(NamedTuple):  # a record, as errors.Problem
    """A git-field value offered for a committed artifact that Git did not give; the file keeps
    Git's value instead. (An artifact HEAD does not contain has no Git record: its fields travel
    as its author wrote them, and nothing is overridden.)"""

    path: str
    field: str
    offered: Any
    kept: Any  # None: the field is not in Git at all, so it was left out
    source: TruthSource = "HEAD"
    offered_at_head: bool = False  # the value offered is HEAD's, and the work tree's own differs from it

    def __str__(self) -> str:
        if self.offered_at_head:
            return (f"{self.path}: {self.field} {self.offered!r} (HEAD's) not written over {self.kept!r}, the work "
                    f"tree's uncommitted value; commit it to share it")  # fmt: skip
        if self.kept is None:
            kept = f"left out: HEAD has this artifact without {self.field}"
        elif self.source == "work tree":
            kept = (
                f"kept {self.kept!r}, the work tree's (committed artifact; commit a change of {self.field} through Git)"
            )
        else:
            kept = f"kept {self.kept!r} from HEAD (committed artifact; {self.field} changes only through commits)"
        return f"{self.path}: {self.field} {self.offered!r} did not come from Git; {kept}"


class GitFieldGuard:
    """Rewrites content about to be written so its git fields hold Git's values.

    Git has a record only of artifacts HEAD contains (by path, or by id after a rename): for those,
    Git's value is the work-tree file's (Git manages the work tree; an uncommitted change there is
    the user's own), else HEAD's; a field HEAD lacks is left out. An artifact HEAD does not contain
    (a teammate's, not committed yet) carries its git fields as its author wrote them, so every
    clone holds the same bytes. Without a git repository the work-tree file's values stand, if any.
    """

    def __init__(self, mirror: Mirror) -> None:  # a plain class: the hooks would pay for a dataclass
        self.mirror = mirror
        self.overrides: list[Override] = []
        self._at_head: dict[str, dict[str, Any] | None] = {}  # path -> HEAD's values, as ``expected`` read them
        self._prefetched: dict[tuple[str, str], str | None] = {}  # (key, path) -> HEAD's, as JSON
        self._repo: GitRepo | None = None  # pygit2, opened at the first blob read: a merge may read many
        self._asked = False
        self.reader: GitReader | None = None  # what read HEAD once ``heads_ready`` asked (None: no Git)

    def heads_ready(self) -> bool:
        """Whether there is Git to ask, with HEAD's rows in the mirror brought up to date (once: ``current_heads``)."""
        if not self._asked:
            self._asked, self.reader = True, current_heads(self.mirror)
            if isinstance(self.reader, GitRepo):
                self._repo = self.reader
        return self.reader is not None

    def at_head(self, artifact_id: str, path: str) -> bool:
        """Whether HEAD contains the artifact (at ``path``, or by its id after a rename): Git has a
        record of it. Without Git: False."""
        return self.heads_ready() and head_values(self.mirror, artifact_id, path) is not None

    def head_text(self, path: str) -> str | None:
        """The file at ``path`` as HEAD has it (None if HEAD has none, or there is no Git): the
        common ancestor of a clone's file and the remote's, before they ever synced."""
        if not self.heads_ready():
            return None
        blob = heads.blob_at(self.mirror.connection, path)
        if blob is None:
            return None
        try:
            if self._repo is None:
                self._repo = GitRepo(self.mirror.config.root)
            return self._repo.read_blob(blob).decode("utf-8", errors="surrogateescape")
        except (AgentsyncError, KeyError, ValueError):
            return None

    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Read HEAD's git-field values of many artifacts ((key, path) pairs) in a few queries, for the
        ``expected`` of each that follows: a pull asks for a chunk's rows at once, not one query per row."""
        if self.mirror.config.git_fields and self.heads_ready():
            self._prefetched = heads.fields_of_many(self.mirror.connection, list(wanted))

    def _head_values(self, artifact: Artifact) -> dict[str, Any] | None:
        pair = (artifact.key, artifact.path)
        if pair not in self._prefetched:
            return head_values(self.mirror, artifact.key, artifact.path)
        found = self._prefetched[pair]
        return None if found is None else dict(json.loads(found))

    def expected(self, artifact: Artifact, disk: bytes | None) -> dict[str, Any] | None:
        """Git's values of the git fields for an artifact about to be written, ``disk`` being the
        current file if any (a field Git lacks is absent); None when there is no Git to ask."""
        git_fields = self.mirror.config.git_fields
        git = self.heads_ready()
        at_head = self._head_values(artifact) if git else None
        if git and at_head is None:
            return None  # not committed here: no Git record, the author's values travel as written
        self._at_head[artifact.path] = at_head
        if disk is not None:
            from agentsync.artifact import parse_bytes

            try:
                rule = self.mirror.config.id_rule(artifact.type)
                return artifact_values(parse_bytes(artifact.path, disk, artifact.type, rule), git_fields)
            except AgentsyncError:
                pass  # an unparseable file: fall back to HEAD
        return at_head

    def enforce(self, artifact: Artifact, disk: bytes | None, source: str = "") -> str:
        """``artifact.content`` with every git field as Git has it, every duplicate, quoted or complex
        key included, checked as the mirror and PyYAML read it; raise GitFieldViolation when the
        text sets a field in a way that cannot be rewritten safely (see ``gitfield_check``)."""
        git_fields = self.mirror.config.git_fields
        if not git_fields:
            return artifact.content
        truth = self.expected(artifact, disk)
        if truth is None:
            return artifact.content
        from agentsync.gitfield_check import enforce_artifact  # writers only: status and the hooks never load it

        try:
            text, tried = enforce_artifact(artifact, truth, git_fields, source)
        except GitFieldViolation:
            if self._as_at_head(artifact, truth):
                return artifact.content
            raise
        if (tried or text != artifact.content) and self._as_at_head(artifact, truth):
            return artifact.content
        self._record(artifact.path, tried, truth)
        return text

    def _as_at_head(self, artifact: Artifact, truth: dict[str, Any]) -> bool:
        """Whether ``artifact``'s text sets each git field, at every place, as HEAD's text of the file
        does, and this clone's own values are HEAD's: then all of it came from Git, and it is written
        as it is. Asked only of a text the guard would change (a blob read: rare)."""
        if truth != self._at_head.get(artifact.path):
            return False
        head = self.head_text(artifact.path)
        if head is None:
            return False
        from agentsync.gitfield_check import carried_as_in

        return carried_as_in(artifact.path, artifact.content, head, self.mirror.config.git_fields)

    def check(self, path: str, text: str, expected: dict[str, Any], type_name: str = "", source: str = "") -> str:
        """A text made from other texts (a merge) with ``expected``'s git fields: rewritten where it can
        be, verified, or GitFieldViolation; ``expected`` comes from ``expected()`` for the same file."""
        from agentsync.artifact import parse_text
        from agentsync.gitfield_check import enforce_artifact, verify

        git_fields = self.mirror.config.git_fields
        if not git_fields:
            return text
        try:
            artifact = parse_text(path, text, type_name, "", self.mirror.config.id_rule(type_name))
        except AgentsyncError:
            verify(path, text, expected, git_fields, type_name, source or "the merged text of")  # raises
            raise
        enforced, tried = enforce_artifact(artifact, expected, git_fields, source or "the merged text of")
        self._record(path, tried, expected)
        return enforced

    def _record(self, path: str, tried: dict[str, Any], truth: dict[str, Any]) -> None:
        """What the text tried to set that Git did not give: reported as kept (Git's value)."""
        for name, value in tried.items():
            kept, at_head = truth.get(name), self._at_head.get(path)
            source: TruthSource = "HEAD" if at_head is not None and at_head.get(name) == kept else "work tree"
            offered = None if value is NOT_SET else value
            at_head_too = source == "work tree" and at_head is not None and name in at_head and at_head[name] == offered
            self.overrides.append(Override(path, name, offered, kept, source, at_head_too))


# against HEAD: another value, not at HEAD, gone here, here but refused by the scan (``reason`` says why)
FieldState = Literal["changed", "new", "deleted", "unmirrored"]


class FieldDifference(NamedTuple):
    """A git field whose work-tree value is not HEAD's: ``state`` is changed, new or deleted."""

    id: str
    path: str
    field: str
    head: Any  # None: not at HEAD
    work_tree: Any  # None: not in the work tree (or the key is absent)
    state: FieldState
    reason: str | None = None  # why the scan refused the file (state ``unmirrored``)

    def to_json(self) -> dict[str, Any]:
        identity = split_key(self.id)  # ``id`` holds the key, TYPE:ID
        return {"key": self.id, "type": identity.type, "id": identity.id, "path": self.path, "field": self.field,
                "state": self.state,
                "head": self.head, "work_tree": self.work_tree, "reason": self.reason}  # fmt: skip


def differences(mirror: Mirror) -> list[FieldDifference]:
    """Git fields that differ between the work tree (as mirrored) and HEAD (call ``refresh_heads`` first).
    SQLite narrows the rows first (``heads.narrowed``): only those that may differ are decoded here."""
    git_fields = mirror.config.git_fields
    if not git_fields:
        return []
    db = mirror.connection
    narrowed = heads.narrowed(db, git_fields)
    if narrowed is None:
        head_rows = heads.all_rows(db)
        narrowed = heads.Narrowed(list(artifacts.field_sources(db)), head_rows, head_rows)
    heads_by_path = {row.path: (row.id, json.loads(row.fields)) for row in narrowed.at_head}
    heads_by_id = {artifact_id: (path, values) for path, (artifact_id, values) in heads_by_path.items() if artifact_id}
    found: list[FieldDifference] = []
    seen_ids: set[str] = set()
    for artifact_id, path, fields_json, status in narrowed.sources:
        seen_ids.add(artifact_id)
        here = values_of(json.loads(fields_json), status, git_fields)
        at_head = heads_by_path.get(path)
        if at_head is None or at_head[0] != artifact_id:
            moved = heads_by_id.get(artifact_id)
            at_head = (artifact_id, moved[1]) if moved else None
        if at_head is None:
            for name in git_fields:
                if name in here:
                    found.append(FieldDifference(artifact_id, path, name, None, here[name], "new"))
            continue
        for name in git_fields:
            if here.get(name) != at_head[1].get(name):
                found.append(FieldDifference(artifact_id, path, name, at_head[1].get(name), here.get(name), "changed"))
    _gone(mirror, narrowed.missing, seen_ids, found)
    return sorted(found, key=lambda d: (d.state, d.path, d.field))


def _gone(mirror: Mirror, missing: list[HeadRow], seen_ids: set[str], found: list[FieldDifference]) -> None:
    """Artifacts at HEAD that no mirrored file carries: deleted, or refused by the scan (unmirrored)."""
    missing_by_id = {row.id: (row.path, row.fields) for row in missing if row.id}
    if not missing_by_id:
        return
    refused = {problem.path: problem.message for problem in artifacts.problems(mirror.connection)}
    for artifact_id, (path, fields_json) in missing_by_id.items():
        if artifact_id not in seen_ids:
            values = json.loads(fields_json)
            reason = refused.get(path)
            state: FieldState = "deleted" if reason is None else "unmirrored"
            for name in mirror.config.git_fields:
                if name in values:
                    found.append(FieldDifference(artifact_id, path, name, values[name], None, state, reason))
