"""Artifact globs: ``**``, ``*``, ``?`` and ``[...]`` as one compiled matcher that maps a
repository-relative path to its artifact type, and the folders a walk must visit."""

from __future__ import annotations

import functools
import re

from agentsync.config import Config, TypeConfig
from agentsync.formats.ids import static_prefix as static_prefix  # the globs' fixed prefixes: one owner


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


def exclude_regex(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for exclude globs; a glob without ``/`` matches a file name in any folder
    (``README.md``), as in .gitignore."""
    if not globs:
        return None
    parts = [glob_to_regex(g) if "/" in g else "(?:[^/]+/)*" + glob_to_regex(g) for g in globs]
    return re.compile(r"\A(?:" + "|".join(parts) + r")\Z")


_UNKNOWN = "\x00"  # no type's name (names hold no control characters): not asked yet
_RECENT = 4096  # paths remembered: a chunk of a pull, kept small for a walk of 100,000


class Matcher:
    """Maps a repository-relative posix path to its artifact type: the first type whose globs match
    and whose ``exclude`` (and the global one) does not. (A plain class: every hook builds one, and
    a dataclass costs a hook process more to define than its work.)"""

    __slots__ = ("_recent", "excluded", "pattern", "patterns", "roots", "type_names")

    def __init__(
        self,
        pattern: re.Pattern[str],
        type_names: tuple[str, ...],
        roots: tuple[str, ...],
        excluded: tuple[re.Pattern[str] | None, ...] = (),
        patterns: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.pattern = pattern
        self.type_names = type_names
        self.roots = roots
        # per type, its own pattern and its exclusions (None: nothing excluded): for paths a type excludes
        self.excluded = excluded
        self.patterns = patterns
        # the answers of late: a pull asks about each path three times (its name, its text, its scan)
        self._recent: dict[str, str | None] = {}

    @classmethod
    def from_config(cls, config: Config) -> Matcher:
        return _matcher_for(config.types, config.exclude)

    @classmethod
    def from_types(cls, types: tuple[TypeConfig, ...], exclude: tuple[str, ...] = ()) -> Matcher:
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
        excluded = tuple(exclude_regex((*exclude, *t.exclude)) for t in types)
        if not any(excluded):
            return cls(pattern, tuple(names), tuple(roots))
        patterns = tuple(re.compile(r"\A(?:" + "|".join(glob_to_regex(g) for g in t.globs) + r")\Z") for t in types)
        return cls(pattern, tuple(names), tuple(roots), excluded, patterns)

    def type_of(self, path: str) -> str | None:
        recent = self._recent
        found = recent.get(path, _UNKNOWN)
        if found is _UNKNOWN:
            if len(recent) >= _RECENT:
                recent.clear()
            found = recent[path] = self._type_of(path)
        return found

    def _type_of(self, path: str) -> str | None:
        match = self.pattern.match(path)
        if match is None:
            return None
        assert match.lastgroup is not None
        index = int(match.lastgroup[1:])
        if not self.excluded:
            return self.type_names[index]
        for later in range(index, len(self.type_names)):  # an excluded path may still be a later type's
            rule = self.excluded[later]
            if (later == index or self.patterns[later].match(path)) and not (rule and rule.match(path)):
                return self.type_names[later]
        return None


@functools.lru_cache(maxsize=8)
def _matcher_for(types: tuple[TypeConfig, ...], exclude: tuple[str, ...] = ()) -> Matcher:
    """One compiled matcher per set of types: a hook asks for it several times."""
    return Matcher.from_types(types, exclude)
