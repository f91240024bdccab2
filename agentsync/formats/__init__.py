"""Artifact formats: how a file carries its id, title and fields, behind one small interface.

A format is any object with the ``Format`` protocol (``agentsync.formats.base``)::

    class Format(Protocol):
        name: str                      # stored in the mirror as the artifact's layout (unique)
        suffixes: tuple[str, ...]      # the file endings it reads: (".md",) or (".yaml", ".yml")
        def detect(self, text: str) -> bool: ...              # cheap: runs for every file read
        def read(self, path: str, text: str) -> Reading: ...  # fields, their places; ArtifactError if malformed
        def places(self, text: str, name: str) -> list[Place]: ...  # every place a field is set (git fields)
        def write(self, text: str, name: str, value: Any) -> str | None: ...  # set in place; None: no place

``Reading`` holds ``fields`` (what the file says), ``places`` (``Place``: a value's characters and
its whole lines, for writing back in place), the ``id`` the file names itself by, ``title``, the
first ``heading`` and where the ``body`` begins. The artifact model (``agentsync.artifact``) turns
a reading into an ``Artifact``: the id by the type's ``id_from`` rule (``agentsync.formats.ids``),
the version (frontmatter only), the status. A written field keeps its format (a ``## State``
section stays a section) and every other byte stays as it was; git-field rules apply to every
format through ``places``.

The built-in formats, tried in this order for a file with a matching suffix (the first whose
``detect`` is true reads it; ``plain`` takes any Markdown):

- ``frontmatter``: YAML between ``---`` lines (``agentsync.formats.frontmatter``)
- ``agent``: the agent CLI's Markdown: ``# INFRA-004: Title`` (or ``# STORY-ID: INFRA-138: Title``),
  status in a ``## State``/``## Status`` section or a ``Status: ACCEPTED`` line (``.agent``)
- ``madr``: MADR 2's ``* Status: accepted`` bullets (``.madr``; MADR 3 uses frontmatter)
- ``nygard``: adr-tools/Nygard ADRs: ``# 1. Title``, ``Date:`` line, ``## Status`` section (``.nygard``)
- ``yaml``: ``*.yaml``/``*.yml`` files whose top level is a mapping (``.yamlfile``)
- ``plain``: Markdown with none of these: id from the file name, title from the first heading

A plugin adds a format with ``register(fmt)`` (before ``plain``, or ahead of the built-ins with
``first=True``); its ``name`` must be new.
"""

from __future__ import annotations

import functools

from agentsync.formats.base import (
    BOM,
    MARKDOWN,
    YAML,
    Format,
    FrontmatterSpan,
    Place,
    Reading,
    find_frontmatter,
    line_of,
)

__all__ = [
    "BOM", "Format", "FrontmatterSpan", "Place", "Reading", "detect", "find_frontmatter", "line_of", "named",
    "register", "registered", "suffixes",
]  # fmt: skip

_FORMATS: list[Format] = []  # the built-ins, loaded at the first use (`plain` is always last)
_PLAIN: list[Format] = []
_YAML: list[Format] = []


def _loaded() -> list[Format]:
    """The formats tried before ``plain``; the built-in modules (and their patterns) are imported at
    the first file read, not by every process that only loads the config (a git hook, a no-op scan)."""
    if not _PLAIN:
        from agentsync.formats.agent import AGENT
        from agentsync.formats.frontmatter import FRONTMATTER
        from agentsync.formats.madr import MADR
        from agentsync.formats.nygard import NYGARD
        from agentsync.formats.plain import PLAIN
        from agentsync.formats.yamlfile import YAML_FILE

        _FORMATS[:0] = [FRONTMATTER, AGENT, MADR, NYGARD, YAML_FILE]  # ahead of any registered before
        _YAML.append(YAML_FILE)
        _PLAIN.append(PLAIN)
    return _FORMATS


def registered() -> tuple[Format, ...]:
    """Every format, in the order they are tried."""
    return (*_loaded(), _PLAIN[0])


def register(fmt: Format, *, first: bool = False) -> None:
    """Add a format (a plugin's): tried before ``plain``, or before every built-in with ``first``."""
    if any(f.name == fmt.name for f in registered()):
        raise ValueError(f"a format named {fmt.name!r} is registered already")
    if first:
        _loaded().insert(0, fmt)
    else:
        _loaded().append(fmt)
    suffixes.cache_clear()


def detect(path: str, text: str) -> Format:
    """The format that reads ``text`` (a file at ``path``): the first that accepts both."""
    for fmt in _FORMATS or _loaded():
        if path.endswith(fmt.suffixes) and fmt.detect(text):
            return fmt
    plain = _PLAIN[0]
    return plain if path.endswith(plain.suffixes) else _YAML[0]


def named(name: str) -> Format | None:
    """The format stored under ``name`` (a mirror row's layout), if it is registered."""
    return next((f for f in registered() if f.name == name), None)


@functools.lru_cache(maxsize=1)
def suffixes() -> tuple[str, ...]:
    """The file endings some format reads (what a walk looks at); recomputed when a format is added."""
    builtin = {*MARKDOWN, *YAML}  # what the built-ins read, known without loading them
    return tuple(sorted(builtin | {s for f in _FORMATS for s in f.suffixes}))
