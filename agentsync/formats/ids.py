"""Where an artifact's id comes from: a type's ``id_from`` rule applied to a file's path and what
its format read. ``frontmatter`` (the default) takes the id the file names itself by (frontmatter
``id:``, the agent CLI's ``# ID: Title``, a YAML file's ``id``) and else the file's name; ``heading``
the id at the start of the first heading (any case: ``# task-12: Title``), else as ``frontmatter``;
``filename`` the file name; ``path`` the path without its extension, relative to the fixed prefix
of the type's globs, folders joined with ``-``. For ``filename`` and ``path``, a generic file name (README.md,
index.md) takes its folder's name: ``decisions/use-postgres/README.md`` is ``use-postgres``."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Literal, NamedTuple

from agentsync import lazy
from agentsync.formats.base import Reading

IdFrom = Literal["frontmatter", "heading", "filename", "path"]
ID_FROM: tuple[IdFrom, ...] = ("frontmatter", "heading", "filename", "path")
TypeFrom = Literal["frontmatter", "glob"]
TYPE_FROM: tuple[TypeFrom, ...] = ("frontmatter", "glob")
GENERIC_NAMES = frozenset({"readme", "index", "_index", "main", "default"})
_ID = r"([A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*)?(?<=\d))"  # ends in a digit
# "ID: Title", "LABEL: ID: Title", or "LABEL: ID Title" (after a label the id's colon may be missing)
_HEADING_ID = lazy.pattern(rf"(?:[A-Za-z]+(?:-[A-Za-z]+)*[ \t]*:[ \t]*)?{_ID}(?:[ \t]*:|\Z)")
_LABELLED_ID = lazy.pattern(rf"[A-Za-z]+(?:-[A-Za-z]+)*[ \t]*:[ \t]*{_ID}[ \t]")


class IdRule(NamedTuple):  # a record: cheaper for a hook to define than a dataclass
    """A type's id rule: ``id_from`` and the fixed prefixes of its globs (for ``path``), longest first;
    ``type_from``: whether a frontmatter ``type:`` names the artifact's type (``frontmatter``) or is a
    field of the file's own, the type being the glob's (``glob``: Backlog.md's ``type: guide``)."""

    id_from: IdFrom = "frontmatter"
    roots: tuple[str, ...] = ()
    type_from: TypeFrom = "frontmatter"

    @property
    def named(self) -> bool:
        """Whether the ids come from file or folder names, whatever the text says."""
        return self.id_from in ("filename", "path")


DEFAULT_RULE = IdRule()
_WILDCARD = lazy.pattern(r"[*?\[]")


def static_prefix(glob: str) -> str:
    """The leading folders of a glob that hold no wildcard ('' for the repository root)."""
    prefix = []
    for part in glob.split("/")[:-1]:
        if _WILDCARD().search(part):
            break
        prefix.append(part)
    return "/".join(prefix)


def derive(rule: IdRule, path: str, reading: Reading) -> Any:
    """The id value for a file (checked by the caller: it may be a number, or empty)."""
    if rule.id_from == "filename":
        return name_id(path)
    if rule.id_from == "path":
        return path_id(path, rule.roots)
    value = reading.id
    if rule.id_from == "heading" and reading.heading:
        heading = reading.heading.strip()
        found = _HEADING_ID().match(heading) or _LABELLED_ID().match(heading)
        if found:
            value = found.group(1)
    return PurePosixPath(path).stem if value is None or value == "" else value


def name_id(path: str) -> str:
    """The file name without its extension; a generic name (README, index) takes its folder's name."""
    posix = PurePosixPath(path)
    if posix.stem.lower() in GENERIC_NAMES and posix.parent.name:
        return posix.parent.name
    return posix.stem


def path_id(path: str, roots: tuple[str, ...]) -> str:
    """The path without extension relative to the longest root it lies under, ``/`` as ``-``."""
    relative = path
    for root in sorted(roots, key=len, reverse=True):
        if root and path.startswith(root + "/"):
            relative = path[len(root) + 1 :]
            break
    parts = list(PurePosixPath(relative).with_suffix("").parts)
    if len(parts) > 1 and parts[-1].lower() in GENERIC_NAMES:
        parts.pop()
    elif len(parts) == 1 and parts[0].lower() in GENERIC_NAMES:
        return name_id(path)
    return "-".join(parts)
