"""Scanning into the mirror: stat first, renames, deletions, duplicates, and every kind of bad file."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from agentsync import parsing, scanner
from agentsync.errors import DuplicateIdError, Problem
from agentsync.paths import FoundFile
from agentsync.scanner import scan
from tests.conftest import Repo, artifact


def rows(repo: Repo) -> dict[str, tuple[str, str]]:
    """id -> (path, content) straight from the database file."""
    db = sqlite3.connect(repo.config().db_path)
    try:
        return {i: (p, c) for i, p, c in db.execute("SELECT id, path, content FROM artifacts")}
    finally:
        db.close()


def fts_ids(repo: Repo, word: str) -> set[str]:
    with repo.mirror() as mirror:
        return {hit.row.id for hit in mirror.search(word, 100)}


def test_first_scan_adds_everything(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1", body="alpha\n"))
    repo.write("docs/stories/b.md", artifact("S-1", body="beta\n"))
    repo.write(".agent/cache/runbooks/c.md", "# RUN-7: Restart\n\nStatus: DONE\n")
    repo.write("elsewhere/ignored.md", artifact("X-1"))
    with repo.mirror() as mirror:
        report = scan(mirror)
    assert report.ok
    assert sorted(report.added) == [".agent/cache/runbooks/c.md", "docs/stories/b.md", "plans/a.md"]
    assert set(rows(repo)) == {"P-1", "S-1", "RUN-7"}
    assert fts_ids(repo, "beta") == {"S-1"}


def test_a_scan_lists_every_artifact_file_it_found_changed_or_not_refused_ones_aside(
    repo: Repo, tmp_path: Path
) -> None:
    """``ScanReport.found`` is what a caller would walk for (``check`` of all uses it): every file the
    globs match, a broken one included, the unchanged ones of a rescan included, a symlink out refused."""
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/broken.md", "---\nid: [unclosed\n---\n")
    repo.write("docs/stories/b.md", artifact("S-1"))
    repo.write("elsewhere/ignored.md", artifact("X-1"))
    (tmp_path / "secret.md").write_text(artifact("P-9"), encoding="utf-8")
    os.symlink(tmp_path / "secret.md", repo.root / "plans" / "out.md")
    repo.age()
    with repo.mirror() as mirror:
        first = scan(mirror)
        repo.write("plans/a.md", artifact("P-1", title="Edited"))
        again = scan(mirror)
        scoped = scan(mirror, ["plans/a.md", "plans/out.md"])
    expected = ["docs/stories/b.md", "plans/a.md", "plans/broken.md"]
    assert sorted(first.found) == sorted(again.found) == expected and again.updated == ["plans/a.md"]
    assert scoped.found == ["plans/a.md"]
    assert "plans/out.md" in {problem.path for problem in first.problems}


def test_rescan_reads_only_changed_files(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(5):
        repo.write(f"plans/p{n}.md", artifact(f"P-{n}"))
    repo.age()
    with repo.mirror() as mirror:
        scan(mirror)
        read: list[str] = []
        original = parsing._read

        def counting_read(found: FoundFile, limit: int) -> bytes:
            read.append(found.path)
            return original(found, limit)

        monkeypatch.setattr(parsing, "_read", counting_read)
        report = scan(mirror)
        assert read == [] and report.unchanged == 5 and not report.changed
        repo.write("plans/p2.md", artifact("P-2", title="Changed", body="gamma\n"))
        report = scan(mirror)
    assert read == ["plans/p2.md"]
    assert report.updated == ["plans/p2.md"]
    assert fts_ids(repo, "gamma") == {"P-2"}


def test_touched_but_identical_file_is_not_an_update(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.age()
    with repo.mirror() as mirror:
        scan(mirror)
        repo.touch_later("plans/a.md")
        report = scan(mirror)
        assert not report.changed and report.unchanged == 1
        # ...and its new stat is recorded, so the scan after that reads nothing.
        assert mirror.connection.execute("SELECT mtime_ns FROM artifacts").fetchone()[0] == (
            (repo.root / "plans/a.md").stat().st_mtime_ns
        )


def test_rename_keeps_the_row(repo: Repo) -> None:
    repo.write("plans/old.md", artifact("P-1", body="words\n"))
    with repo.mirror() as mirror:
        scan(mirror)
        pk = mirror.connection.execute("SELECT pk FROM artifacts WHERE id='P-1'").fetchone()[0]
        os.rename(repo.root / "plans/old.md", repo.root / "plans/new.md")
        report = scan(mirror)
        assert report.renamed == [("plans/old.md", "plans/new.md")]
        assert not report.deleted and not report.added
        assert mirror.connection.execute("SELECT pk, path FROM artifacts WHERE id='P-1'").fetchone() == (
            pk,
            "plans/new.md",
        )
    assert fts_ids(repo, "words") == {"P-1"}


def test_swapping_ids_between_two_files(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    with repo.mirror() as mirror:
        scan(mirror)
        repo.write("plans/a.md", artifact("P-2", title="now a"))
        repo.write("plans/b.md", artifact("P-1", title="now b"))
        repo.touch_later("plans/a.md")
        repo.touch_later("plans/b.md")
        report = scan(mirror)
    assert report.ok
    assert {i: p for i, (p, _) in rows(repo).items()} == {"P-1": "plans/b.md", "P-2": "plans/a.md"}


def test_deletion(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1", body="gone\n"))
    repo.write("plans/b.md", artifact("P-2"))
    with repo.mirror() as mirror:
        scan(mirror)
        repo.remove("plans/a.md")
        report = scan(mirror)
    assert report.deleted == ["plans/a.md"]
    assert set(rows(repo)) == {"P-2"}
    assert fts_ids(repo, "gone") == set()


def test_duplicate_ids_name_both_paths_and_replace_nothing(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1", body="original\n"))
    with repo.mirror() as mirror:
        scan(mirror)
        repo.write("docs/plans/copy.md", artifact("P-1", body="copy\n"))
        report = scan(mirror)
    [problem] = report.problems
    assert problem.kind == "duplicate_id" and problem.artifact_id == "plan:P-1"
    assert problem.paths == ("docs/plans/copy.md", "plans/a.md")
    lines = {"plans/a.md": 2, "docs/plans/copy.md": 2}  # where each states the id
    assert str(problem) == str(DuplicateIdError("plan:P-1", ["plans/a.md", "docs/plans/copy.md"], lines))
    assert "duplicate id 'P-1' (type plan) in docs/plans/copy.md:2 and plans/a.md:2" in str(problem)
    assert rows(repo)["P-1"] == ("plans/a.md", artifact("P-1", body="original\n"))


def test_duplicate_ids_on_first_scan_mirror_neither(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-1"))
    repo.write("plans/c.md", artifact("P-3"))
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert [p.kind for p in report.problems] == ["duplicate_id"]
        assert set(rows(repo)) == {"P-3"}
        assert {p for p, _, _ in mirror.problems()} == {"plans/a.md", "plans/b.md"}


def test_failed_parse_keeps_last_good_version(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1", body="good\n"))
    with repo.mirror() as mirror:
        scan(mirror)
        repo.write("plans/a.md", "---\nid: P-1\ntitle: [broken\n---\n")
        repo.touch_later("plans/a.md")
        report = scan(mirror)
        assert not report.deleted
        assert [p.path for p in report.problems if p.kind == "file"] == ["plans/a.md"]
        assert len(report.problems) == 1
        assert "good" in rows(repo)["P-1"][1]
        # Still reported on the next scan, until fixed.
        assert not scan(mirror).ok
        repo.write("plans/a.md", artifact("P-1", body="fixed\n"))
        repo.touch_later("plans/a.md")
        assert scan(mirror).ok
        assert mirror.problems() == []


def _bad_inputs(repo: Repo, outside: Path) -> dict[str, str]:
    """Each bad file and the words its error must contain."""
    repo.write("plans/yaml.md", "---\nid: B-1\ntitle: [unclosed\n---\n")
    repo.write("plans/utf8.md", b"---\nid: B-2\n---\n\xc3\x28 broken\n")
    repo.write("plans/binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    repo.write("plans/huge.md", b"---\nid: B-4\n---\n" + b"x" * (50 * 1024 * 1024))
    bomb = "---\nid: B-5\na: &a [x,x,x,x,x,x,x,x,x]\n"
    for prev, name in zip("abcdefghi", "bcdefghij", strict=False):
        bomb += f"{name}: &{name} [{','.join(['*' + prev] * 9)}]\n"
    repo.write("plans/bomb.md", bomb + "---\n")
    secret = outside / "secret.md"
    secret.write_text("---\nid: SECRET-1\n---\ntop secret words\n", encoding="utf-8")
    os.symlink(secret, repo.root / "plans" / "link.md")
    repo.write("plans/dup-a.md", artifact("D-1"))
    repo.write("plans/dup-b.md", artifact("D-1"))
    return {
        "plans/yaml.md": "plans/yaml.md:3: invalid YAML",
        "plans/utf8.md": "plans/utf8.md:4: invalid UTF-8",
        "plans/binary.md": "binary file",
        "plans/huge.md": "over the max_file_size limit",
        "plans/bomb.md": "more than 10000 values",
        "plans/link.md": "outside the repository; not read",
        "plans/dup-a.md": "duplicate id 'D-1' (type plan) in plans/dup-a.md:2 and plans/dup-b.md:2",
    }


def test_bad_inputs_are_reported_and_the_rest_is_mirrored(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = _bad_inputs(repo, outside)
    repo.write("plans/good.md", artifact("G-1", body="fine\n"))
    before_outside = sorted(p.name for p in outside.iterdir())
    with repo.mirror() as mirror:
        report = scan(mirror)
    messages = [str(p) for p in report.problems]
    for path, words in expected.items():
        assert any(words in m for m in messages), (path, words, messages)
    assert len(report.problems) == len(expected)
    assert set(rows(repo)) == {"G-1"}
    assert not any("top secret" in content for _, content in rows(repo).values())
    assert sorted(p.name for p in outside.iterdir()) == before_outside


def test_partial_scan_of_given_paths(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    with repo.mirror() as mirror:
        scan(mirror, ["plans/a.md"])
        assert set(rows(repo)) == {"P-1"}
        os.rename(repo.root / "plans/a.md", repo.root / "plans/moved.md")
        report = scan(mirror, ["plans/a.md", "plans/moved.md", "README.md"])
    assert report.renamed == [("plans/a.md", "plans/moved.md")]


def test_partial_scan_sees_a_duplicate_outside_its_paths(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    with repo.mirror() as mirror:
        scan(mirror)
        repo.write("plans/b.md", artifact("P-1"))
        report = scan(mirror, ["plans/b.md"])
    assert [p.kind for p in report.problems] == ["duplicate_id"]
    assert rows(repo)["P-1"][0] == "plans/a.md"


@pytest.mark.parametrize("where", ["progress bar", "insert"])
def test_an_interrupted_bulk_scan_stops_its_workers_and_keeps_nothing(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Ctrl-C during `agentsync init`, while parsing or while inserting: nothing half-mirrored, no worker left."""
    count = parsing.PARALLEL_THRESHOLD + 600
    for n in range(count):
        repo.write(f"plans/p{n}.md", artifact(f"P-{n}", body=f"word{n}\n"))
    workers: list[multiprocessing.process.BaseProcess] = []
    rows_built = [0]

    def interrupt_after_a_few_batches(files_done: int) -> None:
        if files_done >= 3 * parsing.FIRST_BATCH:
            workers.extend(multiprocessing.active_children())
            raise KeyboardInterrupt

    def counting_row_values(*args: Any) -> tuple[object, ...]:
        rows_built[0] += 1
        interrupt_after_a_few_batches(rows_built[0])
        return row_values(*args)

    row_values = scanner._row_values
    progress = None
    if where == "insert":
        monkeypatch.setattr(scanner, "_row_values", counting_row_values)
    else:
        progress = lambda done, total: interrupt_after_a_few_batches(done)  # noqa: E731

    with repo.mirror() as mirror:
        with pytest.raises(KeyboardInterrupt) as caught:  # kept: its traceback holds the scan's frames
            scan(mirror, progress=progress)
        assert caught.tb is not None
        assert workers, "the scan should have parsed in worker processes"
        assert [w.exitcode for w in workers] == [-signal.SIGTERM] * len(workers)  # stopped, not left to finish
        assert multiprocessing.active_children() == []
        assert mirror.count() == 0
        monkeypatch.undo()
        assert scan(mirror).ok
        assert mirror.count() == count


def test_racy_file_is_reread(repo: Repo) -> None:
    """A file changed within the same mtime tick as the scan is not trusted by its stat: here a
    file system with whole-second mtimes, edited in place (same size) in the second it was mirrored."""
    path = repo.write("plans/a.md", artifact("P-1", title="one"))
    with repo.mirror() as mirror:
        second = time.time_ns() // 10**9 * 10**9
        os.utime(path, ns=(second, second))
        scan(mirror)
        path.write_text(artifact("P-1", title="two"), encoding="utf-8")  # same size
        os.utime(path, ns=(second, second))
        assert path.stat().st_size == mirror.find("P-1").size
        scan(mirror)
        assert mirror.find("P-1").title == "two"
        scan(mirror)  # read again while its stamp stays racy; the same content, nothing to update
        assert mirror.find("P-1").title == "two"


def test_rescan_sees_a_file_replaced_by_another_of_the_same_count(repo: Repo) -> None:
    """One file gone and one new in the same scan: the number of files is the same, yet the
    rescan (which counts the unchanged ones instead of listing every row) sees both."""
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    with repo.mirror() as mirror:
        scan(mirror)
        (repo.root / "plans" / "a.md").unlink()
        repo.write("plans/c.md", artifact("P-3"))
        report = scan(mirror)
        assert (report.added, report.deleted, report.unchanged) == (["plans/c.md"], ["plans/a.md"], 1)
        assert scan(mirror).unchanged == 2


def test_bulk_scan_uses_workers_and_keeps_index_consistent(repo: Repo) -> None:
    for n in range(parsing.PARALLEL_THRESHOLD + 10):
        repo.write(f"plans/p{n}.md", artifact(f"P-{n}", body=f"word{n}\n"))
    repo.write("plans/dup.md", artifact("P-5"))
    repo.write("plans/bad.md", "---\n[\n---\n")
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert {p.kind for p in report.problems} == {"duplicate_id", "file"}
        assert all(type(p) is Problem for p in report.problems)  # plain values, from the workers too
        assert mirror.count() == parsing.PARALLEL_THRESHOLD + 9
        assert (
            mirror.connection.execute("INSERT INTO artifacts_fts(artifacts_fts, rank) VALUES ('integrity-check', 1)")
            is not None
        )
    assert fts_ids(repo, "word5") == set()
    assert fts_ids(repo, "word7") == {"P-7"}
