"""Artifact globs: ``**``, ``*``, ``?`` and ``[...]`` as one compiled matcher that maps a
repository-relative path to its artifact type, and the folders a walk must visit."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agentsync.config import Config, TypeConfig

_WILDCARD = re.compile(r"[*?\[]")


def glob_to_regex(glob: str) -> str:
    """Translate a glob with ``**`` (any depth), ``*``, ``?`` and ``[...]`` into a regex."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def static_prefix(glob: str) -> str:
    """The leading folders of a glob that hold no wildcard ('' for the repository root)."""
    parts = glob.split("/")[:-1]
    prefix = []
    for part in parts:
        if _WILDCARD.search(part):
            break
        prefix.append(part)
    return "/".join(prefix)


@dataclass(frozen=True)
class Matcher:
    """Maps a repository-relative posix path to its artifact type (first matching type wins)."""

    pattern: re.Pattern[str]
    type_names: tuple[str, ...]
    roots: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> Matcher:
        return _matcher_for(config.types)

    @classmethod
    def from_types(cls, types: tuple[TypeConfig, ...]) -> Matcher:
        groups: list[str] = []
        names: list[str] = []
        prefixes: list[str] = []
        for index, type_config in enumerate(types):
            alternatives = "|".join(glob_to_regex(g) for g in type_config.globs)
            groups.append(f"(?P<t{index}>{alternatives})")
            names.append(type_config.name)
            prefixes.extend(static_prefix(g) for g in type_config.globs)
        pattern = re.compile(r"\A(?:" + "|".join(groups) + r")\Z")
        # Walk each prefix once; a prefix inside another is covered by the outer walk.
        unique = sorted(set(prefixes), key=lambda p: (p.count("/"), p))
        roots: list[str] = []
        for prefix in unique:
            if not any(prefix == r or prefix.startswith(r + "/") or r == "" for r in roots):
                roots.append(prefix)
        return cls(pattern, tuple(names), tuple(roots))

    def type_of(self, path: str) -> str | None:
        match = self.pattern.match(path)
        if match is None:
            return None
        assert match.lastgroup is not None
        return self.type_names[int(match.lastgroup[1:])]


@functools.lru_cache(maxsize=8)
def _matcher_for(types: tuple[TypeConfig, ...]) -> Matcher:
    """One compiled matcher per set of types: a hook asks for it several times."""
    return Matcher.from_types(types)
