"""What every format shares: the ``Format`` protocol, what a read returns, and the text helpers
(frontmatter span, first heading, line numbers) each format needs. See ``agentsync.formats``."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple, Protocol

from agentsync import lazy

BOM: Final = "\ufeff"
MARKDOWN: tuple[str, ...] = (".md",)
YAML: tuple[str, ...] = (".yaml", ".yml")

# The closing line with the newline before it: a leading literal lets the search skip to each
# newline instead of trying a line start at every character.
_CLOSING = lazy.pattern(r"\n(?:---|\.\.\.)[ \t]*\r?(?:\n|\Z)")
_OPENING = lazy.pattern(r"---[ \t]*\r?\n")
# The title: the shortest run ending in a character other than a space or tab, before the line's
# trailing spaces and closing hashes (CommonMark's: a run of # after a blank, so `# Port to C#` keeps its
# #); a heading of hashes alone has none. Each part matches its own characters (no run splits two ways).
# Up to three spaces may come before the # (CommonMark's; four make a code block).
HEADING = re.compile(r"^ {0,3}#[ \t]+(?=[^\r\n]*[^ \t\r\n#])([^\r\n]*?[^ \t\r\n])(?:[ \t]+#+)?[ \t]*\r?$", re.M)
# (a heading of blanks alone fails at once: the lookahead finds no character but a blank or #); at an index:
_HEADING_HERE = lazy.pattern(r" {0,3}#[ \t]+(?=[^\r\n]*[^ \t\r\n#])([^\r\n]*?[^ \t\r\n])(?:[ \t]+#+)?[ \t]*\r?$", re.M)


class Place(NamedTuple):  # a record; a NamedTuple costs a hook far less to define than a dataclass
    """One place a text sets a field: the value as written, where the value's characters are, the
    whole lines that hold it (to take it out), and how it is written (for messages)."""

    value: str
    start: int
    end: int
    line_start: int
    line_end: int
    how: str


_NO_PLACES: Mapping[str, Place] = MappingProxyType({})  # shared by every reading without places: read-only


class Reading(NamedTuple):  # a record, as Place
    """What a format reads from a text. ``fields`` hold what the file says (for frontmatter, every
    key); ``places`` say where each field read outside YAML sits, so it can be written back in place.
    ``id`` is the id the file names itself by (frontmatter ``id:``, ``# ID: Title``), ``status`` the
    status a person reads, ``heading`` the first heading's text (None when not looked for: a
    frontmatter title makes it unneeded), ``body`` where the body begins."""

    fields: dict[str, Any]
    places: Mapping[str, Place] = _NO_PLACES
    id: Any = None
    title: str | None = None
    status: Any = None
    heading: str | None = None
    body: int = 0


class Format(Protocol):
    """One way of carrying an artifact's fields in a file. ``name`` is stored in the mirror as the
    artifact's layout; ``suffixes`` are the file endings it reads."""

    @property
    def name(self) -> str: ...

    @property
    def suffixes(self) -> tuple[str, ...]: ...

    def detect(self, text: str) -> bool:
        """Whether ``text`` is in this format (cheap: it runs for every file read)."""
        ...

    def read(self, path: str, text: str) -> Reading:
        """The fields of ``text``; raise ``ArtifactError`` (path, reason, line) when it is malformed."""
        ...

    def places(self, text: str, name: str) -> list[Place]:
        """Every place ``text`` sets field ``name``, in order (the first is the one read), for the
        git-field guard: each must carry Git's value. YAML keys are the guard's own business: []."""
        ...

    def write(self, text: str, name: str, value: Any) -> str | None:
        """``text`` with field ``name`` set to ``value`` in this format's own way, nothing else
        changed; None when the format has no place for that field (the caller adds frontmatter)."""
        ...


class FrontmatterSpan(NamedTuple):  # a record, as Place
    """Where the frontmatter sits in a text: YAML between ``start`` and ``end``, body after ``body``."""

    opening: int  # index of the opening ---
    start: int  # first character of the YAML
    end: int  # index of the closing delimiter line
    body: int  # first character after the closing delimiter line


def find_frontmatter(text: str) -> FrontmatterSpan | None:
    """Locate YAML frontmatter: an opening ``---`` line, then the first ``---``/``...`` line."""
    opening = 1 if text.startswith(BOM) else 0
    first = _OPENING().match(text, opening)
    if not first:
        return None
    start = first.end()
    closing = _CLOSING().search(text, start - 1)  # the opening line's own newline comes first
    if closing is None:
        return None
    return FrontmatterSpan(opening, start, closing.start() + 1, closing.end())


def first_heading(text: str, start: int = 0) -> re.Match[str] | None:
    """The first ``# Heading`` line from ``start`` (group 1: its text), not one inside a fenced code
    block (a shell comment in a README's example); a file's first line counts after a BOM too."""
    if start <= 1 and text.startswith(BOM):
        found = _HEADING_HERE().match(text, 1)
        if found:
            return found
    found = HEADING.search(text, start)
    if found is None or ("```" not in text and "~~~" not in text):
        return found
    fences = fenced_blocks(text)
    while found is not None and any(begin <= found.start() < end for begin, end in fences):
        found = HEADING.search(text, found.end())
    return found


def line_of(text: str, index: int) -> int:
    """1-based line number of a character index."""
    return text.count("\n", 0, index) + 1


def past_eol(text: str, at: int) -> int:
    """The index after the line ending at ``at`` (if there is one)."""
    return at + 2 if text[at : at + 2] == "\r\n" else at + 1 if text[at : at + 1] == "\n" else at


def line_ending(text: str, at: int = 0) -> str:
    """The line ending the text uses from ``at`` on (``\\n`` when it has none)."""
    newline = text.find("\n", at)
    return "\r\n" if newline > 0 and text[newline - 1] == "\r" else "\n"


def places_of(pattern: re.Pattern[str], text: str, how: str) -> list[Place]:
    """Every match of ``pattern`` (group 1: the value) as a Place, but none that starts inside a
    fenced code block: a runbook showing a ``## State`` section or a ``Status:`` line in an
    example sets no field of its own (the example is neither read nor rewritten)."""
    found = [Place(m.group(1), m.start(1), m.end(1), m.start(), past_eol(text, m.end()), how)
             for m in pattern.finditer(text)]  # fmt: skip
    if not found or ("```" not in text and "~~~" not in text):
        return found  # most texts: no fence to look for
    fences = fenced_blocks(text)
    return [place for place in found if not any(start <= place.line_start < end for start, end in fences)]


_EMPHASISED = re.compile(  # **COMPLETED** ✅ - QA passed, **IN_PROGRESS**, __READY_FOR_REVIEW__
    r"\*\*(?P<stars>[^*\r\n]*[^*\s:])\*\*(?![*\w])|__(?P<lines>(?:[^_\r\n]|_(?!_))*[^_\s:])__(?![_\w])"
)
BOLD = " (its bold phrase)"  # the end of a narrowed place's ``how``


def emphasised(places: list[Place]) -> list[Place]:
    """Each place whose value starts with a bold word or phrase (``**COMPLETED** ✅ - QA passed``,
    as BMAD's stories write their ``## Status``) narrowed to that phrase: the status is COMPLETED,
    and a new status replaces it, the note after it stays. A bold label (``**Status**: Accepted``)
    is no status: that value stays whole."""
    narrowed = []
    for place in places:
        bold = _EMPHASISED.match(place.value)
        if bold is not None and not place.value[bold.end() :].lstrip().startswith(":"):
            group = "stars" if bold.group("stars") is not None else "lines"
            start = place.start + bold.start(group)
            phrase = bold.group(group)
            place = place._replace(value=phrase, start=start, end=start + len(phrase), how=place.how + BOLD)
        narrowed.append(place)
    return narrowed


def whole_value(text: str, place: Place) -> Place:
    """The value a bold phrase was narrowed from: its delimiters and the note after it, to the line's end."""
    end = text.find("\n", place.end)
    end = len(text) if end < 0 else end
    while end > place.end and text[end - 1] in " \t\r":
        end -= 1
    return place._replace(start=place.start - 2, end=end)


def sets_outside_fences(pattern: re.Pattern[str], text: str, needs: str = "") -> bool:
    """Whether ``pattern`` (group 1: a value) matches ``text`` outside its fenced code blocks: a
    format's ``detect``, as cheap as one search for a text without fences, and done at the first
    match outside them (a 20 kB proposal is not searched to its end). ``needs``: a substring every
    match holds, looked for first (a substring test is far cheaper than a pattern anchored at ``^``,
    which the pattern engine tries at every position of a text that has no match)."""
    if needs not in text:
        return False
    first = pattern.search(text)
    if first is None or ("```" not in text and "~~~" not in text):
        return first is not None
    fences = fenced_blocks(text)
    return any(not any(start <= match.start() < end for start, end in fences)
               for match in pattern.finditer(text, first.start()))  # fmt: skip


# A fence line (group 1 the fence, group 2 what follows it), or the start of an HTML comment (no group).
_FENCE = lazy.pattern(r"^ {0,3}(?:(`{3,}(?!`)|~{3,}(?!~))([^\r\n]*?)\r?$|<!--)", re.M)


@functools.lru_cache(maxsize=32)
def fenced_blocks(text: str) -> tuple[tuple[int, int], ...]:
    """Where ``text``'s fenced code blocks are, as (start, end) indexes. CommonMark's rule: a line
    of three or more backticks or tildes, indented at most three spaces, opens one (a backtick
    fence's info string holds no backtick); a line of the same character, at least as many, with
    nothing after them, closes it; one left open runs to the end of the text. Inside an HTML comment
    (``<!--`` to ``-->``, a KEP template's notes) no fence opens. Kept for the last texts: a format
    asks once per field it reads (a MADR file up to ten times)."""
    blocks: list[tuple[int, int]] = []
    opened: re.Match[str] | None = None
    comment_end = 0
    for line in _FENCE().finditer(text):
        fence, rest = line.group(1), line.group(2)
        if line.start() < comment_end:
            continue
        if fence is None:  # an HTML comment opens (`<!-->` is one whole); one never closed is no comment
            if opened is None:
                end = text.find("-->", line.end() - 2)
                comment_end = comment_end if end < 0 else end + 3
            continue
        if opened is None:
            if not (fence[0] == "`" and "`" in rest):
                opened = line
        elif fence[0] == opened.group(1)[0] and len(fence) >= len(opened.group(1)) and not rest.strip():
            blocks.append((opened.start(), line.end()))
            opened = None
    if opened is not None:
        blocks.append((opened.start(), len(text)))
    return tuple(blocks)


def replaced(text: str, place: Place, value: str) -> str:
    """``text`` with one place's value replaced; a bold phrase's, where ``value`` would read back as
    another value in bold (``Superseded by **ADR-5**``, ``Ready:``), with the line's whole value."""
    if place.how.endswith(BOLD) and _EMPHASISED.fullmatch(f"**{value}**") is None:
        place = whole_value(text, place)
    return text[: place.start] + value + text[place.end :]


def one_line(value: str) -> bool:
    return "\n" not in value and "\r" not in value and value == value.strip() and value != ""


Fields = Mapping[str, Any]
