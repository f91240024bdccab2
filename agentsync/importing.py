"""``agentsync import [PATH...]``: read the files the user named (or every artifact) into the mirror.
A named path through a symlinked folder, outside the artifact folders or naming no file is refused,
named as given, and the rest are read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from agentsync.config import Config
    from agentsync.errors import AgentsyncError
    from agentsync.scanner import ScanReport


class ImportedFiles(NamedTuple):
    scan: ScanReport
    refused: list[AgentsyncError]  # the named paths not read, each saying why
    total: int  # artifacts in the mirror afterwards

    @property
    def ok(self) -> bool:
        return self.scan.ok and not self.refused


def import_files(config: Config, given: Sequence[str]) -> ImportedFiles:
    """Scan the files named in ``given`` (all artifact files if it is empty) into the mirror."""
    from agentsync.scanner import scan
    from agentsync.store import Mirror

    refused: list[AgentsyncError] = []
    with Mirror.open(config) as mirror:
        relative = _importable(config, given, refused) if given else None
        report = scan(mirror, relative)
        total = mirror.count()
    return ImportedFiles(report, refused, total)


def _importable(config: Config, given: Sequence[str], refused: list[AgentsyncError]) -> list[str]:
    """The repository-relative paths of the files the user named; a path through a symlinked folder,
    outside the artifact folders or naming no file goes to ``refused`` instead, named as given."""
    from agentsync.errors import NotFoundError, UnsafePathError
    from agentsync.paths import PathPolicy, relative_to_root

    policy = PathPolicy.for_config(config)
    relative = []
    for name in given:
        rel = relative_to_root(config, name)
        try:
            _real, found = policy.readable(rel)
        except UnsafePathError as exc:
            refused.append(exc)
            continue
        if found is None:
            refused.append(NotFoundError(f"{name}: no such file; not imported (`agentsync mirror` drops deleted ones)"))
            continue
        relative.append(rel)
    return relative
