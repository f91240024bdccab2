"""``check``: what the pre-commit stage verifies before artifacts are committed.

For each artifact file: the frontmatter parses, required keys are present, no sync
conflict markers remain, git-field values are among those the config allows, and its
id is unique across the repository. Staged mode reads the content being committed
(the index), not the work tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from agentsync.artifact import LAYOUT_FRONTMATTER, Artifact, conflict_markers, line_of, parse_bytes
from agentsync.checkcache import PassedFiles
from agentsync.config import Config
from agentsync.errors import AgentsyncError, ArtifactError, DuplicateIdError, Problem
from agentsync.formats.ids import IdRule
from agentsync.gitfields import artifact_values
from agentsync.paths import Matcher, relative_to_root
from agentsync.plugins.calls import check_problems
from agentsync.store import Mirror, artifacts
from agentsync.store.meta import MetaKey

# Markers a sync conflict leaves (``<<<<<<< local`` … ``>>>>>>> remote v3 by …``).
# A bare ``=======`` is not checked: in Markdown it underlines a heading.
MARKER_MESSAGE = (
    "unresolved sync conflict marker; keep what is right, remove the markers, then `agentsync resolve ID "
    "--merged` (or --ours / --theirs) and stage the file again"
)


SECRET_ADVICE = (
    "remove it, mark the line `agentsync: allow` if it is not secret, or `agentsync redact ID` (pushes refuse it too)"
)


class CheckReport:
    """What a check found (a plain class: the pre-commit hook defines it)."""

    __slots__ = ("checked", "problems", "skipped")

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.skipped: list[str] = []  # named paths that are not artifacts
        self.problems: list[Problem] = []

    @property
    def ok(self) -> bool:
        return not self.problems


Reader = Callable[[str], "bytes | None"]


def check_artifact(config: Config, artifact: Artifact) -> list[Problem]:
    """The per-file rules (everything but id uniqueness)."""
    problems: list[Problem] = []
    text = artifact.content
    for match in conflict_markers(text):
        problems.append(
            Problem(
                artifact.path,
                line_of(text, match.start()),
                MARKER_MESSAGE,
            )
        )
    from agentsync.outbound import find, mask

    for finding in find(artifact.path, text, config.outbound_scan):
        what = f"{finding.what} ({finding.rule}: {mask(finding.text)}); {SECRET_ADVICE}"
        problems.append(Problem(artifact.path, finding.line, what))
    if artifact.layout == LAYOUT_FRONTMATTER:
        missing = [key for key in config.required_fields if artifact.fields.get(key) in (None, "")]
        if missing:
            keys = ", ".join(missing)
            problems.append(Problem(artifact.path, 1, f"missing required frontmatter key(s): {keys}"))
    values = artifact_values(artifact, config.git_fields)
    for name, allowed in config.allowed_values.items():
        if name in values and str(values[name]) not in allowed:
            problems.append(
                Problem(
                    artifact.path,
                    _key_line(text, name),
                    f"{name} {values[name]!r} is not allowed; use one of: {', '.join(allowed)}",
                )
            )
    return problems


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.M | re.I)
    return line_of(text, match.start()) if match else None


def check(
    config: Config, mirror: Mirror | None, paths: list[str], read: Reader, *, exists_elsewhere: Reader | None = None,
    passed: PassedFiles | None = None,
) -> CheckReport:  # fmt: skip
    """Check ``paths`` (repository-relative) whose bytes ``read`` returns (None: deleted, skip).

    Id clashes are looked for among the checked files and in the mirror (if there is
    one); a clash the mirror suggests is confirmed by reading the other file
    (``exists_elsewhere``, default ``read``), so a stale mirror never blocks a commit by mistake.
    A mirror that was never filled is scanned first: uniqueness needs the other artifacts.
    With ``passed`` (work-tree files, the mirror just rescanned), a file the mirror holds with the
    hash that last passed the per-file rules is not read again; its key comes from the mirror.
    """
    if mirror is not None and mirror.get_meta(MetaKey.FULL_SCAN_AT) is None:
        from agentsync.scanner import scan  # only then: the pre-commit hook does without the scanner

        scan(mirror)
    matcher = Matcher.from_config(config)
    other = exists_elsewhere or read
    report = CheckReport()
    claimed: dict[str, list[str]] = {}
    unchanged = _passed_before(mirror, passed, paths)
    for path in sorted(set(paths)):
        type_name = matcher.type_of(path)
        if type_name is None:
            report.skipped.append(path)
            continue
        if path in unchanged:
            report.checked.append(path)
            claimed.setdefault(unchanged[path], []).append(path)
            continue
        data = read(path)
        if data is None:
            continue
        report.checked.append(path)
        if len(data) > config.max_file_size:
            report.problems.append(
                Problem(path, None, f"file is {len(data):,} bytes, over max_file_size ({config.max_file_size:,})")
            )
            continue
        try:
            artifact = parse_bytes(path, data, type_name, config.id_rule(type_name))
        except ArtifactError as exc:
            text = data.decode("utf-8", errors="replace")
            markers = list(conflict_markers(text))
            if markers:  # markers inside the frontmatter break its YAML: name the cause, not the symptom
                report.problems.extend(Problem(path, line_of(text, m.start()), MARKER_MESSAGE) for m in markers)
            else:
                report.problems.append(Problem(path, exc.line, exc.reason))
            continue
        found = check_artifact(config, artifact) + check_problems(config, artifact)  # and the plugins' rules
        report.problems.extend(found)
        if passed is not None and not found:
            passed.record(path, artifact.hash)
        claimed.setdefault(artifact.key, []).append(path)  # ids are unique within a type
    checked = set(report.checked)
    # The mirror's holder of each claimed key: an unchanged file's row holds its key (keys are unique
    # in the mirror), so only the keys of files read here are looked up (one query a batch).
    held = {key: path for path, key in unchanged.items()}
    if mirror is not None:
        held.update(artifacts.holders(mirror.connection, [key for key in claimed if key not in held]))
    for artifact_id, holders in claimed.items():
        clashing = list(holders)
        holder = held.get(artifact_id)
        elsewhere = mirror is not None and holder is not None and holder not in checked  # a row of a file not checked
        rows = artifacts.claimants(mirror.connection, artifact_id) if elsewhere and mirror is not None else []
        for other_path, type_name in rows:
            if other_path in checked:
                continue
            if _claims(other(other_path), other_path, type_name, artifact_id, config.id_rule(type_name)):
                clashing.append(other_path)
        if len(clashing) > 1:
            error = DuplicateIdError(artifact_id, clashing, named=config.ids_from_names(artifact_id))
            for path in holders:
                report.problems.append(Problem(path, None, str(error)))
    return report


def _passed_before(mirror: Mirror | None, passed: PassedFiles | None, paths: list[str]) -> dict[str, str]:
    """path -> key of the files whose mirrored hash is the one that last passed the per-file rules."""
    if mirror is None or passed is None or not passed.passed:
        return {}
    rows = artifacts.known(mirror.connection, paths)
    return {path: row.key for path, row in rows.items() if passed.has_passed(path, row.disk_hash)}


def _claims(data: bytes | None, path: str, type_name: str, artifact_id: str, rule: IdRule) -> bool:
    if data is None:
        return False
    try:
        return parse_bytes(path, data, type_name, rule).key == artifact_id
    except AgentsyncError:
        return False


def work_tree_reader(root: Path) -> Reader:
    def read(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    return read


def artifact_paths(config: Config, paths: list[str]) -> list[str]:
    """The artifact files among ``paths`` (what a check will read)."""
    matcher = Matcher.from_config(config)
    return [p for p in paths if matcher.type_of(p) is not None]


def named_paths(config: Config, given: list[str]) -> list[str]:
    return [relative_to_root(config, p) for p in given]


def check_staged(config: Config) -> CheckReport:
    """The rules on what is being committed (the index's content, not the work tree's): `check --staged`."""
    from agentsync.gitcli import GitCommandLine

    with Mirror.open(config) as mirror:
        repo = GitCommandLine(config.root)
        in_index = repo.staged_paths()
        return check(config, mirror, in_index, repo.staged_reader(artifact_paths(config, in_index)))


def check_files(config: Config, given: Sequence[str]) -> CheckReport:
    """The rules on work-tree files: those named (relative to the current folder), else every artifact."""
    from agentsync.plugins import registry
    from agentsync.scanner import scan

    with Mirror.open(config) as mirror:
        scanned = scan(mirror)  # stat first: the mirror then holds each file's hash as it is now
        wanted = named_paths(config, list(given)) if given else scanned.found  # the scan walked them all
        passed = None if registry.wanted(config) else PassedFiles.load(config)  # plugins' rules: no cache
        report = check(config, mirror, wanted, work_tree_reader(config.root), passed=passed)
    if passed is not None:
        passed.save()
    return report
