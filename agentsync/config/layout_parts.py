"""What the layout detectors share: the files that are no records (README, CHANGELOG, a template),
the id prefix most names carry, and a folder per feature whose documents each make a type."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from agentsync.config.model import TypeConfig

_NOT_RECORDS = re.compile(
    r"(?:readme|index|changelog|changes|history|license|licence|contributing|code_of_conduct|security|authors|"
    r"notice|toc|(?:[a-z]*[0-9]*[-_])?template)(?:\.[a-z]+)*\Z",  # adr-template, 0000-template, adr000-template
    re.I,
)


def is_no_record(name: str) -> bool:
    """Whether a file named ``name`` describes its folder (README, CHANGELOG, LICENSE, a template)
    rather than being one of the folder's records."""
    return _NOT_RECORDS.match(name) is not None


_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)*)-\d")
MARKDOWN = (".md",)
YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class Detected:
    """One recognised layout: its name (for the message) and the types written for it."""

    name: str
    types: tuple[TypeConfig, ...]
    notes: tuple[str, ...] = field(default=())


def under(paths: list[str], folder: str) -> list[str]:
    return [p for p in paths if p.startswith(folder + "/")]


def not_records(paths: list[str], *, by_name: bool = True) -> tuple[str, ...]:
    """Exclude globs for the files among ``paths`` that are no records: by file name (any depth),
    or by their exact paths."""
    found = [p for p in paths if is_no_record(PurePosixPath(p).name)]
    return tuple(sorted({PurePosixPath(p).name if by_name else p for p in found}))


def common_prefix(paths: list[str], fallback: str) -> str:
    """The id prefix most of the files' names start with (``INFRA-004-x.md``: INFRA), else ``fallback``."""
    counts = Counter(m.group(1) for p in paths if (m := _PREFIX.match(PurePosixPath(p).name)))
    common = counts.most_common(1)
    # among several records, a prefix one name alone has is no convention (adr001-decision-1.md)
    return common[0][0] if common and (common[0][1] > 1 or len(paths) == 1) else fallback


def feature_documents(
    paths: list[str], root: str, documents: tuple[tuple[str, str], ...], name: str
) -> Detected | None:
    """A folder per feature under ``root``, a type per document kind (``id_from: path``), each kind
    once any feature is there (a feature's tasks are written after its spec: `new` needs the type);
    features moved into a folder of their own (``_archived/old-feature/``) are records too, a
    feature's own subfolders are not."""
    depth = root.count("/") + 2  # root/feature/document.md
    kinds = dict(documents)
    found = [p for p in under(paths, root) if PurePosixPath(p).name in kinds and p.count("/") in (depth, depth + 1)]
    if not found:
        return None
    features = {PurePosixPath(p).parent.as_posix() for p in found if p.count("/") == depth}
    parents = sorted({parent for p in found if p.count("/") == depth + 1
                      and (parent := PurePosixPath(p).parent.parent.as_posix()) not in features})  # fmt: skip
    types = [TypeConfig(type_name, (f"{root}/*/{document}", *(f"{parent}/*/{document}" for parent in parents)),
                        "SPEC", id_from="path") for document, type_name in documents]  # fmt: skip
    return Detected(name, tuple(types), (f"{root}: one type per document, named by its feature folder",))
