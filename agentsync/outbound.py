"""The outbound scan: secrets and personal data in an artifact, found before it leaves the laptop.

``push`` refuses an artifact with a finding (the rest of the batch goes on), and ``check``
reports findings before a commit, each as ``path:line: rule``. A finding is allowed by an
inline marker on its line (``agentsync: allow``, or ``agentsync: allow=RULE[,RULE]``; on a
private key's BEGIN line it covers the whole block), or by the config:

    outbound_scan:
      personal_data: true       # also emails and phone numbers (default: secrets only)
      allow: [email]            # rules never reported
      allow_values: ['@example\\.com$']   # findings whose text matches are allowed
      allow_keys: [author]      # frontmatter keys never reported as personal data (the default)
      patterns: {ticket_secret: 'TKT-[0-9a-f]{32}'}   # rules of your own

The local file is never changed, except by ``agentsync redact ID``.
Fast path: a text is searched with a rule's regular expression only when its lowercase holds
one of the rule's literal hints (``akia``, ``eyj``, ``-----begin``…): substring tests are
about ten times cheaper than even one regular expression over the text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import NamedTuple

from agentsync.config import ScanSettings
from agentsync.secrets import (  # noqa: F401  (RULE_NAMES re-exported)
    PERSONAL_SHAPES,
    RULE_NAMES,
    SECRET_SHAPES,
    placeholder_password,
)


class Rule(NamedTuple):  # a record, as errors.Problem
    name: str
    what: str
    source: str  # the regular expression, compiled on first use: most texts never need it
    hints: tuple[str, ...]  # lowercase; a text whose lowercase holds none cannot match (empty: always search)
    personal: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.source)


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _rule(name: str, what: str, pattern: str, hints: tuple[str, ...], *, personal: bool = False) -> Rule:
    return Rule(name, what, pattern, tuple(sorted({hint.lower() for hint in hints})), personal)


# The rules' expressions live in agentsync.secrets, which the log's and the outputs' redaction shares.
SECRET_RULES: tuple[Rule, ...] = tuple(_rule(*shape) for shape in SECRET_SHAPES)
PERSONAL_RULES: tuple[Rule, ...] = tuple(_rule(*shape, personal=True) for shape in PERSONAL_SHAPES)
_MARKER = re.compile(r"agentsync:\s*allow(?:=([A-Za-z0-9_,]+))?")


@functools.lru_cache(maxsize=16)
def rules_for(settings: ScanSettings) -> tuple[Rule, ...]:
    own = tuple(_rule(name, f"a match of your pattern {name!r}", pattern, ()) for name, pattern in settings.patterns)
    chosen = SECRET_RULES + (PERSONAL_RULES if settings.personal_data else ()) + own
    return tuple(rule for rule in chosen if rule.name not in settings.allow)


class Finding(NamedTuple):
    """One hit: where, which rule, and the matched text (kept in memory only; never printed whole)."""

    path: str
    line: int
    rule: str
    what: str
    start: int
    end: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} ({self.rule}: {mask(self.text)})"


def mask(text: str) -> str:
    """Enough of a value to recognise it, never enough to use it."""
    return text[:4] + "…" if len(text) > 6 else "…"


def find(path: str, text: str, settings: ScanSettings) -> list[Finding]:
    """Every finding in ``text`` that no marker and no allow setting lets through."""
    lowered = text.lower()
    rules = _hinted(rules_for(settings), lowered)
    if not rules:
        return []
    allowed_values = [re.compile(value) for value in settings.allow_values]
    lines = _line_starts(text)
    keyed = _keyed_lines(text, lines, settings.allow_keys) if any(rule.personal for rule in rules) else set()
    findings: list[Finding] = []
    for rule in rules:
        for match in _matches(rule, text, lowered):
            value = match.group(match.lastindex or 0)
            line = _line_number(lines, match.start())
            if rule.personal and line in keyed:
                continue
            if any(pattern.search(value) for pattern in allowed_values) or _marked(text, lines, line, rule.name):
                continue
            if rule.name == "url_password" and placeholder_password(value):  # user:password@host:port
                continue
            if _documented_placeholder(rule.name, value, text, match.end()):
                continue
            findings.append(Finding(path, line, rule.name, rule.what, match.start(), match.end(), value))
    findings.sort(key=lambda f: (f.line, f.start))
    return findings


# A hinted rule's match holds its hint near its start (``secret_key=``: 7 characters in), and a secret is short.
_BEFORE_HINT, _AFTER_HINT, _WHOLE_BELOW = 64, 2048, 4096
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")


def _matches(rule: Rule, text: str, lowered: str) -> list[re.Match[str]]:
    """``rule``'s matches in ``text``. A long text is searched only around its hints' occurrences: a
    pattern without a literal start (``(?i)\b(?:api[_-]?key|...)``) is tried at every position, and
    prose holds "key" or "token" somewhere (a 20 kB proposal cost 1.5 ms a rule; a first check of 575
    of them, 0.9 s). The windows are found in the lowercase text, which lines up with the text where
    no character's lowercase is longer (``İ`` is two); any other text is searched whole."""
    if rule.name == "url_password" and rule.hints == ("://",):
        return _urls(rule.pattern, text)
    if not rule.hints or len(text) < _WHOLE_BELOW or len(lowered) != len(text):
        return list(rule.pattern.finditer(text))
    windows: list[tuple[int, int]] = []
    for hint in rule.hints:
        at = lowered.find(hint)
        while at >= 0:
            windows.append((max(0, at - _BEFORE_HINT), _run_end(text, at + _AFTER_HINT)))
            at = lowered.find(hint, at + 1)
    found: dict[int, re.Match[str]] = {}
    start = end = -1
    for begin, stop in [*sorted(windows), (len(text) + 1, 0)]:  # merged, then searched; the last one only ends
        if begin <= end:
            end = max(end, stop)
            continue
        if end > start:
            found.update((match.start(), match) for match in rule.pattern.finditer(text, start, end))
        start, end = begin, stop
    return [found[at] for at in sorted(found)]


_BLANK = re.compile(r"\s")


def _run_end(text: str, at: int) -> int:
    """The end of a window: the first blank at or after ``at`` (a secret is a run without one, however
    long: a JWT with many claims is 4 kB), else the text's end."""
    blank = _BLANK.search(text, min(at, len(text)))
    return len(text) if blank is None else blank.start()


def _urls(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The connection-string rule's matches, tried only where one can start: at the start of the run of
    scheme characters before each ``://`` (its pattern starts there, lowercase: ``secrets._SCHEME``).
    Searched for, it is tried at every position of the text, each looking ahead over a run: links are
    in most documents, and this rule was most of the outbound scan of Swift Evolution's proposals."""
    found: list[re.Match[str]] = []
    done, at = 0, text.find("://")
    while at >= 0:
        start = at
        while start > done and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        match = pattern.match(text, start) if start == 0 or text[start - 1] not in _SCHEME_CHARS else None
        if match is not None:
            found.append(match)
            done = match.end()
        at = text.find("://", max(at + 3, done))
    return found


def _hinted(rules: tuple[Rule, ...], lowered: str) -> list[Rule]:
    """The rules whose hints ``lowered`` holds (or that have none). Each hint is a substring test
    over the whole text, so the eight hints with an underscore (``ghp_``, ``_live_``, ``sbp_``…)
    are tested only when the text holds an underscore at all, which most prose does not: 11
    scans of a text instead of 17 (the outbound scan of 10,000 artifacts: 0.74 s -> 0.45 s). The
    hints are tested once each, in one pass over a flat list, and the rules looked at only for a
    text that holds one (most hold none): 0.48 s -> 0.40 s."""
    plain, underscored, unhinted = _hints(rules)
    found = [hint for hint in plain if hint in lowered]
    if "_" in lowered:
        found += [hint for hint in underscored if hint in lowered]
    if not found:
        return list(unhinted)
    return [rule for rule in rules if not rule.hints or any(hint in found for hint in rule.hints)]


@functools.lru_cache(maxsize=16)
def _hints(rules: tuple[Rule, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Rule, ...]]:
    """Every rule's hints once, those without an underscore and those with one, and the rules that have none."""
    hints = sorted({hint for rule in rules for hint in rule.hints})
    return (tuple(h for h in hints if "_" not in h), tuple(h for h in hints if "_" in h),
            tuple(rule for rule in rules if not rule.hints))  # fmt: skip


# What follows a private key's BEGIN line when a document leaves the key out: the END line at once, or a
# line that is a placeholder (`<omitted>`, `...`), after line ends (real ones, or written as \n in a string).
_NO_KEY = re.compile(r"(?:[ \t]*(?:\r?\n|\\(?:r\\)?n))+[ \t>\"'+]*(?:-----END|<[^\r\n>]*>|\.\.\.|…)")
_AWS_EXAMPLES = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")  # AWS's documentation's


def _documented_placeholder(rule: str, value: str, text: str, end: int) -> bool:
    """A value documentation shows to say what one looks like, never a key: AWS's published example key
    and secret, and a private key's BEGIN line with no key below it (the END line at once, ``<omitted>``
    or ``...``); any other BEGIN line is a key."""
    if rule == "private_key":
        return _NO_KEY.match(text, end) is not None
    return rule in ("aws_access_key", "aws_secret_key") and value in _AWS_EXAMPLES


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in re.finditer("\n", text))
    return starts


def _line_number(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset)


_TOP_LEVEL_KEY = re.compile(r"([^\s#:-][^:]*?)[ \t]*:(?:[ \t]|$)")


def _keyed_lines(text: str, starts: list[int], keys: tuple[str, ...]) -> set[int]:
    """Lines (1-based) of the frontmatter that belong to one of ``keys``: its own line and the
    indented or list lines below it."""
    from agentsync.artifact import find_frontmatter

    span = find_frontmatter(text)
    if span is None or not keys:
        return set()
    wanted = set(keys)
    owned: set[int] = set()
    current: str | None = None
    first = _line_number(starts, span.start)
    for number, line in enumerate(text[span.start : span.end].splitlines(), start=first):
        key = _TOP_LEVEL_KEY.match(line) if line[:1] not in (" ", "\t", "-") else None
        if key is not None:
            current = key.group(1).strip("'\"")
        elif line.strip() and line[:1] not in (" ", "\t", "-"):
            current = None  # anything else at the margin (a comment) ends the key's block
        if current in wanted:
            owned.add(number)
    return owned


def _marked(text: str, starts: list[int], line: int, rule: str) -> bool:
    """Whether line ``line`` (1-based) carries a marker allowing ``rule``."""
    end = starts[line] - 1 if line < len(starts) else len(text)
    marker = _MARKER.search(text, starts[line - 1], end)
    if marker is None:
        return False
    names = marker.group(1)
    return names is None or rule in names.split(",")


def redact(text: str, findings: list[Finding]) -> str:
    """``text`` with each finding's value replaced by ``[REDACTED:rule]`` (a private key: the block)."""
    pieces: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        start, end = finding.start, finding.end
        if finding.rule == "private_key":
            closing = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----").search(text, end)
            end = closing.end() if closing else end
        else:
            start = text.index(finding.text, start)
            end = start + len(finding.text)
        if start < position:
            continue  # inside a block already redacted
        pieces.append(text[position:start])
        pieces.append(f"[REDACTED:{finding.rule}]")
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def redact_file(path: Path, relative: str, settings: ScanSettings, *, dry_run: bool = False) -> list[Finding]:
    """Replace what the scan finds in the file at ``path`` (atomically); return the findings.
    The only way agentsync changes a file for the scan, and only when asked."""
    from agentsync.fsutil import atomic_write, stat_signature

    seen = stat_signature(path)
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    findings = find(relative, text, settings)
    if findings and not dry_run:
        still = lambda target: stat_signature(target) == seen  # noqa: E731  (a save meanwhile wins)
        if not atomic_write(path, redact(text, findings).encode("utf-8", errors="surrogateescape"), still=still):
            from agentsync.errors import AgentsyncError

            raise AgentsyncError(f"{relative} changed while it was being redacted; run `agentsync redact` again")
    return findings
