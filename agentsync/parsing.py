"""Reading and parsing artifact files in batches; many files are parsed by worker processes.

The scanner's first step after the stat pass: a ``Parsed`` is a file in the shape of its mirror row.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from typing import TYPE_CHECKING, NamedTuple

from agentsync.errors import ArtifactError, Problem
from agentsync.formats.ids import DEFAULT_RULE, IdRule
from agentsync.paths import FoundFile

if TYPE_CHECKING:  # a scan that finds nothing changed never loads the parser
    from agentsync.artifact import Artifact

BATCH = 256
FIRST_BATCH = 16
PARALLEL_THRESHOLD = 1000  # this many files to parse: use worker processes
MAX_WORKERS = 4

Progress = Callable[[int, int], None]
IdRules = Mapping[str, IdRule]  # type name -> where its ids come from


def _read(found: FoundFile, max_size: int) -> bytes:
    if found.size > max_size:
        raise ArtifactError(
            found.path,
            f"file is {found.size:,} bytes, over the max_file_size limit of {max_size:,} "
            "(raise it in agentsync.yaml, or move the file out of the artifact folders)",
        )
    fd = os.open(found.real_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        data = os.read(fd, found.size + 1)
        while len(data) > found.size:  # the file grew since it was statted: read on, within the limit
            more = os.read(fd, max_size + 1 - len(data))
            if not more:
                break
            data += more
            if len(data) > max_size:
                raise ArtifactError(found.path, f"file grew past the max_file_size limit of {max_size:,} bytes")
    finally:
        os.close(fd)
    return data


class Parsed(NamedTuple):
    """A parsed file in the shape of its mirror row (a tuple: cheap to send between processes)."""

    id: str
    path: str
    hash: str
    type: str
    title: str
    status: str | None
    version: int
    layout: str
    fields: str  # JSON
    content: str

    @property
    def key(self) -> str:
        """The identity, ``TYPE:ID``."""
        return f"{self.type}:{self.id}"

    @classmethod
    def of(cls, artifact: Artifact) -> Parsed:
        return cls(
            artifact.id, artifact.path, artifact.hash, artifact.type, artifact.title, artifact.status,
            artifact.version, artifact.layout, artifact.fields_json(), artifact.content,
        )  # fmt: skip


ParseResult = Parsed | Problem  # a file that cannot be read or parsed is a problem, not an error


def _parse_one(item: FoundFile, max_size: int, rules: IdRules) -> ParseResult:
    from agentsync.artifact import parse_bytes

    try:
        return Parsed.of(parse_bytes(item.path, _read(item, max_size), item.type, rules.get(item.type, DEFAULT_RULE)))
    except ArtifactError as exc:
        return Problem.of(exc)
    except OSError as exc:
        return Problem(item.path, None, f"cannot read: {exc.strerror or exc}")


def _parse_chunk(chunk: list[FoundFile], max_size: int, rules: IdRules) -> list[tuple[object, ...]]:
    """Worker side: plain tuples travel fastest."""
    out: list[tuple[object, ...]] = []
    for item in chunk:
        result = _parse_one(item, max_size, rules)
        out.append(("error", result.path, result.message, result.line) if isinstance(result, Problem)
                   else tuple(result))  # fmt: skip
    return out


def _batches(items: list[FoundFile]) -> list[list[FoundFile]]:
    """BATCH files at a time, after a ramp from FIRST_BATCH: the main process waits for the
    first batch, and a worker parses 16 files in a few milliseconds rather than 256 in 30."""
    batches = []
    start, size = 0, FIRST_BATCH
    while start < len(items):
        batches.append(items[start : start + size])
        start += size
        size = min(size * 2, BATCH)
    return batches


def parse_files(
    items: list[FoundFile], max_size: int, progress: Progress | None = None, rules: IdRules | None = None
) -> Generator[list[ParseResult], None, None]:
    """Read and parse files in batches; many files are parsed by worker processes in parallel.
    ``rules`` say where each type's ids come from (``Config.id_rules``; absent: the default)."""
    rules = rules or {}
    total = len(items)
    chunks = _batches(items)
    workers = min((os.cpu_count() or 1) - 1, MAX_WORKERS)  # the main process keeps a core for SQLite
    done = 0
    if total >= PARALLEL_THRESHOLD and workers >= 1:
        from agentsync import forked  # only here: a hook that mirrors a few files never imports multiprocessing

        if forked.available():
            parse = functools.partial(_parse_chunk, max_size=max_size, rules=rules)
            with closing(forked.forked_map(parse, chunks, workers)) as answers:  # stops the workers on any exit
                for raw in answers:
                    batch: list[ParseResult] = [
                        Problem(r[1], r[3], r[2]) if r[0] == "error" else Parsed(*r)  # type: ignore[arg-type]
                        for r in raw
                    ]
                    done += len(batch)
                    if progress:
                        progress(done, total)
                    yield batch
            return
    for chunk in chunks:
        done += len(chunk)
        yield [_parse_one(item, max_size, rules) for item in chunk]
        if progress:
            progress(done, total)
