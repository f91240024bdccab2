"""Three-way merge of an artifact: frontmatter key by key, the body line by line.

``base`` is the version both sides started from, ``ours`` the work-tree file, ``theirs`` the
remote's version. A key or a run of lines changed on one side only takes that side; changed
on both sides the same way, it is taken once; changed differently, it is a conflict, written
with Git-style markers around that key or those lines only. ``version`` is never a conflict
(the result is based on the remote's version) and git fields always keep the work tree's
value, which is Git's. Everything the merge does not change stays byte for byte as in ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agentsync.artifact import conflict_markers, find_frontmatter
from agentsync.config.model import Config
from agentsync.errors import AgentsyncError
from agentsync.frontmatter_edit import _block_end, is_version_hint, set_field, states_own_version
from agentsync.yamlload import load_frontmatter

LOCAL_MARKER = "<<<<<<< local"
SEPARATOR = "======="
_ABSENT = object()
_HINT = object()  # a version line of agentsync's (none, or a whole number): one value, whatever the number


@dataclass
class MergeResult:
    text: str
    conflicts: list[str] = field(default_factory=list)  # "key NAME" or "body line N"

    @property
    def clean(self) -> bool:
        return not self.conflicts


def remote_marker(version: int, author: str) -> str:
    return f">>>>>>> remote v{version} by {author}"


def merge3(
    base: str | None, ours: str, theirs: str, *, version: int, author: str, git_fields: tuple[str, ...] = ()
) -> MergeResult:
    """Merge ``ours`` and ``theirs`` from ``base`` (None: no common version; everything that
    differs is a conflict). The result states ``version``, the remote's."""
    from agentsync.tracing import span

    sizes = {
        "base_chars": len(base) if base is not None else None,
        "ours_chars": len(ours),
        "theirs_chars": len(theirs),
    }
    with span("merge", version=version, **sizes) as traced:
        result = _merge3(base, ours, theirs, version=version, author=author, git_fields=git_fields)
        traced.set_attributes({"agentsync.conflicts": len(result.conflicts), "agentsync.clean": result.clean})
        return result


def _merge3(
    base: str | None, ours: str, theirs: str, *, version: int, author: str, git_fields: tuple[str, ...]
) -> MergeResult:
    base = base if base is not None else ""
    eol = "\r\n" if "\r\n" in ours else "\n"
    closing = remote_marker(version, author)
    ours_span, theirs_span, base_span = find_frontmatter(ours), find_frontmatter(theirs), find_frontmatter(base)
    conflicts: list[str] = []
    if ours_span is None or theirs_span is None:  # a file without frontmatter: all of it is body
        body = _merge_lines(base, ours, theirs, eol, closing, conflicts)
        return MergeResult(body, conflicts)
    head = ours[: ours_span.body]
    ours_fields, theirs_fields = _fields(ours, ours_span), _fields(theirs, theirs_span)
    head = _merge_frontmatter(
        head, _fields(base, base_span), ours_fields, theirs_fields, theirs, git_fields, eol, closing, conflicts,
    )  # fmt: skip
    # the remote's version stated where the merged line is agentsync's hint: read on the merged head, or
    # where that has a conflict's markers (no YAML), where both sides hold a hint
    hinted = states_own_version(head) if not conflicts else (
        is_version_hint(ours_fields.get("version")) and is_version_hint(theirs_fields.get("version"))
    )  # fmt: skip
    if "version" not in git_fields and not any(c == "key version" for c in conflicts) and hinted:
        head = set_field(head, "version", version) if find_frontmatter(head) else head
    body = _merge_lines(
        base[base_span.body :] if base_span else base, ours[ours_span.body :], theirs[theirs_span.body :],
        eol, closing, conflicts,
    )  # fmt: skip
    return MergeResult(head + body, conflicts)


def _fields(text: str, span: Any) -> dict[str, Any]:
    if span is None:
        return {}
    try:
        loaded = load_frontmatter(text[span.start : span.end])
    except AgentsyncError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _key_lines(text: str, key: str) -> tuple[int, int] | None:
    """Where ``key``'s line (and its block value) sits in ``text``'s frontmatter."""
    span = find_frontmatter(text)
    if span is None:
        return None
    named = re.escape(key)  # as written, or quoted ("version": '1.0')
    found = re.search(
        rf"""^(?:{named}|"{named}"|'{named}')[ \t]*:[^\r\n]*(\r?\n|\Z)""", text[span.start : span.end], re.M
    )
    if found is None:
        return None
    start = span.start + found.start()
    return start, max(_block_end(text, span.start + found.end(), span.end), span.start + found.end())


def _merge_frontmatter(
    head: str, base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], theirs_text: str,
    git_fields: tuple[str, ...], eol: str, closing: str, conflicts: list[str],
) -> str:  # fmt: skip
    keys = [*ours, *(k for k in theirs if k not in ours)]
    for key in keys:
        if key in git_fields:
            continue  # git fields keep the work tree's (Git's) value
        b, o, t = base.get(key, _ABSENT), ours.get(key, _ABSENT), theirs.get(key, _ABSENT)
        if key == "version":  # agentsync's hints are no edit (the remote's is stated below); a document's own is
            b, o, t = (_HINT if value is _ABSENT or is_version_hint(value) else value for value in (b, o, t))
        if o == t or t == b:
            continue  # ours already holds the result
        theirs_lines = _key_lines(theirs_text, key)
        their_text = theirs_text[theirs_lines[0] : theirs_lines[1]] if theirs_lines else ""
        if their_text and not their_text.endswith("\n"):
            their_text += eol
        where = _key_lines(head, key)
        if o == b:  # only theirs changed it: take their line(s) as they are
            head = _put(head, where, their_text)
            continue
        conflicts.append(f"key {key}")
        our_text = head[where[0] : where[1]] if where else ""
        if our_text and not our_text.endswith("\n"):
            our_text += eol
        head = _put(head, where, f"{LOCAL_MARKER}{eol}{our_text}{SEPARATOR}{eol}{their_text}{closing}{eol}")
    return head


def _put(head: str, where: tuple[int, int] | None, lines: str) -> str:
    """``lines`` in place of a key's lines, or at the end of the frontmatter for a new key."""
    if where is None:
        span = find_frontmatter(head)
        assert span is not None
        where = (span.end, span.end)
    return head[: where[0]] + lines + head[where[1] :]


def _merge_lines(base: str, ours: str, theirs: str, eol: str, closing: str, conflicts: list[str]) -> str:
    """diff3 over lines: stable runs (the same in all three) separate chunks that are resolved
    one at a time; a chunk changed differently on both sides is written between markers."""
    b, o, t = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    to_ours = _matches(b, o)
    to_theirs = _matches(b, t)
    out: list[str] = []
    ib = io = it = 0
    while True:
        stable = next((j for j in range(ib, len(b)) if j in to_ours and j in to_theirs
                       and to_ours[j] >= io and to_theirs[j] >= it), None)  # fmt: skip
        if stable is None:
            _resolve(b[ib:], o[io:], t[it:], out, eol, closing, conflicts)
            return "".join(out)
        jo, jt = to_ours[stable], to_theirs[stable]
        if (stable, jo, jt) != (ib, io, it):
            _resolve(b[ib:stable], o[io:jo], t[it:jt], out, eol, closing, conflicts)
        out.append(o[jo])
        ib, io, it = stable + 1, jo + 1, jt + 1


def _matches(a: list[str], b: list[str]) -> dict[int, int]:
    from difflib import SequenceMatcher  # here: the pre-commit check imports this module for its marker only

    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return {block.a + k: block.b + k for block in matcher.get_matching_blocks() for k in range(block.size)}


def _resolve(
    b: list[str], o: list[str], t: list[str], out: list[str], eol: str, closing: str, conflicts: list[str]
) -> None:
    if o == t or t == b:
        out.extend(o)
    elif o == b:
        out.extend(t)
    else:
        conflicts.append(f"body line {sum(line.count(chr(10)) for line in out) + 1}")
        for side in (o, t):
            if side and not side[-1].endswith("\n"):
                side[-1] += eol
        out.extend([f"{LOCAL_MARKER}{eol}", *o, f"{SEPARATOR}{eol}", *t, f"{closing}{eol}"])


def has_markers(text: str) -> bool:
    """Whether conflict markers remain (the pattern the pre-commit check refuses)."""
    return next(conflict_markers(text), None) is not None


RESOLVER_GROUP = "agentsync.resolvers"


@dataclass(frozen=True)
class Sides:
    """What a strategy decides between: the common version, the work tree's and the remote's."""

    artifact_id: str
    type: str
    base: str | None
    ours: str
    theirs: str
    remote_version: int
    remote_author: str
    ours_mtime: float  # the work-tree file's modification time (seconds since the epoch)
    theirs_time: str  # when the remote's version was made (ISO 8601)


def apply_strategy(
    strategy: str, sides: Sides, git_fields: tuple[str, ...], config: Config | None = None
) -> tuple[MergeResult, str]:
    """Resolve by ``strategy`` (merge, ours, theirs, newest, or a resolver a plugin offers through
    `agentsync_resolvers`, the ``agentsync.resolvers`` entry points included); return the result and
    what it overrode, for the report and the history ("" when nothing was overridden). Git fields
    keep the work tree's value. ``config``: the repository whose ``plugins:`` may offer resolvers."""
    import datetime

    if strategy == "merge":
        return merge3(sides.base, sides.ours, sides.theirs, version=sides.remote_version,
                      author=sides.remote_author, git_fields=git_fields), ""  # fmt: skip
    if strategy == "newest":
        try:
            remote_time = datetime.datetime.fromisoformat(sides.theirs_time).timestamp()
        except ValueError:
            remote_time = 0.0
        strategy = "ours" if sides.ours_mtime >= remote_time else "theirs"
        how = f"newest ({strategy})"
    else:
        how = strategy
    if strategy == "ours":
        text = sides.ours
        overridden = f"kept this clone's version over the remote's v{sides.remote_version} by {sides.remote_author}"
    elif strategy == "theirs":
        text = sides.theirs
        overridden = "took the remote's version over this clone's edits"
    else:
        custom, failure = _custom(strategy, sides, config)
        if custom is None:  # the resolver declined (or failed: named, and merged as usual)
            merged = apply_strategy("merge", sides, git_fields)
            return merged if not failure else (merged[0], f"{failure}; merged as usual")
        text = custom
        overridden = f"resolved by {strategy}"
    text = _keep_fields(text, sides.ours, git_fields, sides.artifact_id)
    if "version" not in git_fields and find_frontmatter(text) and states_own_version(text):
        text = set_field(text, "version", sides.remote_version)
    return MergeResult(text), f"{how}: {overridden}"


def _custom(name: str, sides: Sides, config: Config | None) -> tuple[str | None, str]:
    """The resolver's text (None: it declined) and, if it raised, the line naming it."""
    from agentsync.plugins.calls import resolver_named

    found = resolver_named(config, name)
    if found is None:
        raise AgentsyncError(
            f"no conflict resolver named {name!r}: install a plugin that offers one (agentsync_resolvers, or the "
            f"{RESOLVER_GROUP} entry point), or use merge, ours, theirs or newest in agentsync.yaml's strategies"
        )
    plugin, resolver = found
    try:
        result = resolver(sides)
    except Exception as exc:  # a plugin's bug never stops a pull: named, and the usual merge decides
        from agentsync.plugins.registry import failed, report

        failure = failed(plugin, f"resolver {name!r}", exc)
        report(failure)
        return None, str(failure)
    if result is not None and not isinstance(result, str):
        raise AgentsyncError(f"the conflict resolver {name!r} returned {type(result).__name__}, not text or None")
    return result, ""


def _keep_fields(text: str, ours: str, git_fields: tuple[str, ...], where: str) -> str:
    """``text`` with each git field as ``ours`` has it (present or absent), every duplicate, quoted
    or complex key and second Status line included; GitFieldViolation if that cannot be done."""
    from agentsync.gitfield_check import rewrite_fields, text_values

    if not git_fields:
        return text
    return rewrite_fields(where, text, text_values(ours, git_fields), git_fields, source="the resolved text of")[0]


def describe_change(before: str | None, after: str | None) -> str:
    """A short summary of what changed from ``before`` to ``after`` (None: absent), for the
    remote's history: which frontmatter keys, and how many body lines came and went."""
    if after is None:
        return "deleted"
    if before is None:
        return "created"
    import difflib

    before_span, after_span = find_frontmatter(before), find_frontmatter(after)
    old_fields, new_fields = _fields(before, before_span), _fields(after, after_span)
    keys = sorted(
        k for k in old_fields.keys() | new_fields.keys() if k != "version" and old_fields.get(k) != new_fields.get(k)
    )
    old_body = before[before_span.body :] if before_span else before
    new_body = after[after_span.body :] if after_span else after
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old_body.splitlines(), new_body.splitlines(), autojunk=False
    ).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    parts = [f"{', '.join(keys)} changed"] if keys else []
    if added or removed:
        parts.append(f"body +{added} -{removed} line(s)")
    return "; ".join(parts) or "unchanged text"
