"""Typed errors (every message is one line a user can act on; only the CLI prints them), and
``Problem``, the plain record of one a report lists instead of raising."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import zip_longest
from typing import Any, Literal, NamedTuple

ProblemKind = Literal["file", "duplicate_id", "unsafe_path", "error"]


class Problem(NamedTuple):  # a record; a NamedTuple costs each hook process far less than a dataclass
    """A problem a report lists instead of raising: plain data, so a report can be kept, compared
    and sent anywhere. ``str()`` reads exactly like the exception it stands for (``Problem.of``).

    ``kind`` says what it is about: ``file`` one file that cannot be read, parsed or checked
    (``line`` None: the file as a whole); ``duplicate_id`` several files (``paths``) claiming one
    ``artifact_id``; ``unsafe_path`` a path refused (``message`` is the reason); ``error`` anything
    else (``message`` is the whole text, ``path`` empty)."""

    path: str
    line: int | None
    message: str
    kind: ProblemKind = "file"
    paths: tuple[str, ...] = ()
    artifact_id: str = ""  # for ``duplicate_id``: the key, TYPE:ID
    lines: tuple[int | None, ...] = ()  # for ``duplicate_id``: where each of ``paths`` states the id

    @classmethod
    def of(cls, exc: AgentsyncError) -> Problem:
        """The value of an error that is reported rather than raised."""
        if isinstance(exc, ArtifactError):
            return cls(exc.path, exc.line, exc.reason)
        if isinstance(exc, DuplicateIdError):
            lines = dict(zip(exc.paths, exc.lines, strict=True))
            return cls.duplicate_id(exc.artifact_id, exc.paths, lines, named=exc.named)
        if isinstance(exc, PathRefused):
            return cls(exc.path, None, exc.reason, "unsafe_path")
        return cls("", None, str(exc), "error")

    @classmethod
    def duplicate_id(
        cls, key: str, paths: Iterable[str], lines: Mapping[str, int | None] | None = None, *, named: bool = False
    ) -> Problem:
        """Files claiming one (type, id) (``path`` is the first of them, in order), as ``DuplicateIdError``
        says it; ``lines`` where each states the id, when known; ``named``: the type's ids come from names."""
        claimed = tuple(sorted(paths))
        at = tuple((lines or {}).get(path) for path in claimed)
        return cls(claimed[0], at[0], duplicate_hint(named, claimed), "duplicate_id", claimed, key, at)

    def __str__(self) -> str:
        if self.kind == "duplicate_id":
            return _duplicate_text(self.artifact_id, self.paths, self.message, self.lines)
        if self.kind == "unsafe_path":
            return _refused_text(self.path, self.message)
        if self.kind == "error":
            return self.message
        return _where_text(self.path, self.line, self.message)


def _where_text(path: str, line: int | None, message: str) -> str:
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


DUPLICATE_HINT = "give one of them another id (ids are unique within a type)"
# for a type whose ids come from file or folder names (id_from: path, filename)
NAMED_DUPLICATE_HINT = (
    "the id comes from their names: rename or remove one of them (ids are unique within a type; a record "
    "archived by copying leaves its old copy behind)"
)


# files a folder names (proposals/44167/README.md, a KEP's README.md): renaming them is no fix
FOLDER_NAMED_HINT = (
    "each is its folder's README or index: `id_from: path` in the type's config names them by path, or "
    "`exclude` them if they are no records"
)
_FOLDER_FILES = ("readme.md", "index.md", "_index.md", "readme.markdown")


def duplicate_hint(named: bool, paths: Iterable[str] = ()) -> str:
    names = {path.rsplit("/", 1)[-1].lower() for path in paths}
    if names and names <= set(_FOLDER_FILES):
        return FOLDER_NAMED_HINT
    return NAMED_DUPLICATE_HINT if named else DUPLICATE_HINT


LISTED_BUDGET = 160  # characters of names one message line shows; the line stays under 300


def listed(names: Iterable[str], budget: int = LISTED_BUDGET) -> str:
    """Names as ``a, b and c``; past ``budget`` characters the rest are counted (``a, b and 448 more``),
    so a message about hundreds of files stays one readable line."""
    items = list(names)
    shown: list[str] = []
    used = 0
    for name in items:
        if shown and used + len(name) + 2 > budget:
            break
        shown.append(name)
        used += len(name) + 2
    rest = len(items) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    return " and ".join(filter(None, (", ".join(shown[:-1]), shown[-1] if shown else "")))


def _duplicate_text(
    key: str, paths: Iterable[str], hint: str = DUPLICATE_HINT, lines: Iterable[int | None] = ()
) -> str:
    """``duplicate id 'S-1' (type story) in a.md:3 and b.md:1: …`` (a key without a type: no type)."""
    type_name, separator, artifact_id = key.partition(":")  # as agentsync.identity.split_key
    type_name, artifact_id = (type_name, artifact_id) if separator else ("", key)
    where = [f"{path}:{line}" if line else path for path, line in zip_longest(paths, lines) if path is not None]
    of_type = f" (type {type_name})" if type_name else ""
    return f"duplicate id {artifact_id!r}{of_type} in {listed(where)}: {hint}"


def _refused_text(path: str, reason: str) -> str:
    return f"refused path {shown_path(path)}: {reason}"


class AgentsyncError(Exception):
    """Base of all errors agentsync reports to the user as one line (exit code 1)."""


class ConfigError(AgentsyncError):
    """The config file is missing, unreadable or has an invalid value."""


class NotARepositoryError(AgentsyncError):
    """No repository (agentsync.yaml or .git) was found above the working directory."""


class ArtifactError(AgentsyncError):
    """One artifact file could not be read or parsed; names the file and line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        super().__init__(_where_text(path, line, message))


class DuplicateIdError(AgentsyncError):
    """Two files claim the same artifact id."""

    def __init__(
        self, key: str, paths: list[str], lines: Mapping[str, int | None] | None = None, *, named: bool = False
    ) -> None:
        self.artifact_id = key  # TYPE:ID
        self.paths = sorted(paths)
        self.lines = tuple((lines or {}).get(path) for path in self.paths)
        self.named = named  # the type's ids come from file or folder names
        super().__init__(_duplicate_text(key, self.paths, duplicate_hint(named, self.paths), self.lines))


class FrontmatterYAMLError(AgentsyncError):
    """The frontmatter is not valid YAML or not a mapping; ``line`` is 0-based within it, ``column``
    1-based (None: not known)."""

    def __init__(self, message: str, line: int = 0, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class MirrorError(AgentsyncError):
    """The mirror database cannot be used (newer schema, corrupt, locked)."""


class NotFoundError(AgentsyncError):
    """An artifact id or path the user named does not exist."""


class AmbiguousReferenceError(NotFoundError):
    """An id the user named belongs to artifacts of several types; ``TYPE:ID`` selects one."""

    def __init__(self, reference: str, keys: Iterable[str]) -> None:
        self.reference = reference
        self.keys = tuple(sorted(keys))
        super().__init__(
            f"{shown_path(reference)} names {len(self.keys)} artifacts: {listed(self.keys)}; "
            f"name one as TYPE:ID (e.g. `{self.keys[0]}`)"
        )


class UnsafePathError(AgentsyncError):
    """A path would read or write outside the repository or the artifact folders."""


class PathRefused(UnsafePathError):
    """One path refused, with the reason on its own (``reason``) for a record or a report."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(_refused_text(path, reason))


def shown_path(path: str) -> str:
    """A path fit for one line of output: quoted, control characters escaped, a long one cut short."""
    if len(path) <= 120:
        return repr(path)
    return f"{path[:60]!r}… ({len(path)} characters)"


class UsageError(AgentsyncError):
    """The command was called wrongly (exit code 2)."""


class GitError(AgentsyncError):
    """Git could not do what was asked (no repository, nothing at HEAD, staged changes in the way)."""


class NoGitRepository(GitError):
    """The folder is in no Git work tree: there is no Git record to keep to."""


class GitNotInstalled(GitError):
    """No ``git`` program to run (pygit2 may still read the repository)."""


class HookError(AgentsyncError):
    """A hook could not be installed or removed as asked."""


class RemoteError(AgentsyncError):
    """The remote refused, failed or is newer than this client; the message says what to do."""


class RemoteUnavailable(RemoteError):
    """The remote cannot be reached now; nothing was applied, or the answer was lost (retry the batch)."""


class FeedError(RemoteError):
    """The remote's change feed cannot be trusted to be complete (its head went back, or its rows
    are out of order): nothing more is applied until the clone starts over with `remote reset`."""


class _NotSet:
    """A git field a text (or Git) does not set at all."""

    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Any = _NotSet()


class GitFieldViolation(AgentsyncError):
    """A text would set a git field to a value Git did not give (a duplicate, quoted or complex key,
    a merge key, a second ``Status:`` line...) in a way that cannot be rewritten safely: not applied.
    ``tried`` and ``git`` are the values (``NOT_SET``: absent)."""

    def __init__(self, path: str, field: str, tried: Any, git: Any, how: str = "", source: str = "") -> None:
        self.path, self.field, self.tried, self.git, self.how = path, field, tried, git, how
        whose = source or "the remote's version of"
        sets = f"leaves {field} out" if tried is NOT_SET else f"sets {field} to {tried!r}"
        says = f"Git has no {field} for it" if git is NOT_SET else f"Git says {git!r}"
        super().__init__(
            f"{whose} {path} {sets}{' ' + how if how else ''}; {says}; not applied: fix it on the remote "
            f"or commit the {field} through Git"
        )


class DiskFullError(AgentsyncError):
    """No space left (or a quota or file size limit) while writing ``target``; nothing half-written stays."""

    def __init__(self, target: object) -> None:
        self.target = str(target)
        super().__init__(
            f"no space left on device while writing {self.target}: free some space and run the command again"
        )


class PushNotRecorded(AgentsyncError):
    """The remote accepted ``applied`` changes, but recording its answer here failed (``cause``)."""

    def __init__(self, applied: int, cause: AgentsyncError) -> None:
        self.applied = applied
        self.cause = cause
        super().__init__(
            f"the remote accepted the push ({applied} change(s)), but recording it here failed: {cause}; "
            "the local record catches up on the next push"
        )


class SyncBusy(AgentsyncError):
    """Another sync holds the repository's lock; ``holder`` describes it (may be empty)."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


class QueryRefused(AgentsyncError):
    """The SQL given to ``query`` would write, or open another file."""


class ResolveError(AgentsyncError):
    """The conflict cannot be resolved that way (markers remain, nothing recorded, …)."""
