"""Folder listings (``agentsync.folders``): a full scan lists again only the folders whose stamp
moved, and still sees every change — an edit in place, a new file, a file in a subfolder, a folder
whose mtime was set back, a change to which names are artifacts."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from agentsync.folders import NAME, UNKNOWN, FileGroup, Listing, Listings, is_racy
from agentsync.scanner import scan
from agentsync.store import Mirror
from tests.conftest import Repo, artifact


def settle() -> None:
    """Past the racy margin of the last change, so the folders are listed for good."""
    time.sleep(0.12)


def listed(repo: Repo) -> dict[str, object]:
    stored = json.loads((repo.root / ".agentsync" / NAME).read_text(encoding="utf-8"))
    folders = stored["folders"]
    assert isinstance(folders, dict)
    return folders


def scan_twice(repo: Repo) -> None:
    """The first scan lists the folders; the second records in them the mirror's size and mtime of each file."""
    for _ in range(2):
        with repo.mirror() as mirror:
            scan(mirror)


def stamp(path: Path) -> tuple[int, int, int]:
    stat = os.lstat(path)
    return stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns


def test_an_unchanged_folder_is_not_listed_again_yet_an_edit_in_place_is_seen(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    settle()
    with repo.mirror() as mirror:
        scan(mirror)
        assert "plans" in listed(repo)
        before = stamp(repo.root / "plans")
        with open(repo.root / "plans" / "a.md", "a", encoding="utf-8") as handle:
            handle.write("More.\n")  # in place: the folder's stamp does not move
        assert stamp(repo.root / "plans") == before
        report = scan(mirror)
        assert (report.updated, report.unchanged) == (["plans/a.md"], 1)
        assert mirror.find("P-1").size == (repo.root / "plans" / "a.md").stat().st_size


def test_a_new_file_and_a_file_in_a_subfolder_are_found(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/deep/b.md", artifact("P-2"))
    settle()
    with repo.mirror() as mirror:
        scan(mirror)
        assert {"plans", "plans/deep"} <= set(listed(repo))
        repo.write("plans/deep/c.md", artifact("P-3"))  # moves plans/deep's stamp only
        repo.write("plans/d.md", artifact("P-4"))
        assert sorted(scan(mirror).added) == ["plans/d.md", "plans/deep/c.md"]
        repo.remove("plans/deep/b.md")
        assert scan(mirror).deleted == ["plans/deep/b.md"]


def test_a_folder_whose_mtime_was_set_back_is_listed_again(repo: Repo) -> None:
    """tar, rsync -t or touch can put a folder's mtime back; its ctime still moves."""
    repo.write("plans/a.md", artifact("P-1"))
    settle()
    folder = repo.root / "plans"
    with repo.mirror() as mirror:
        scan(mirror)
        ino, mtime, _ctime = stamp(folder)
        repo.write("plans/b.md", artifact("P-2"))
        os.utime(folder, ns=(mtime, mtime))
        assert stamp(folder)[:2] == (ino, mtime)
        assert scan(mirror).added == ["plans/b.md"]


def test_a_change_to_which_names_are_artifacts_lists_every_folder_again(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/README.md", "# Plans\n")
    config_path = repo.root / "agentsync.yaml"
    original = config_path.read_text(encoding="utf-8")
    config_path.write_text(original + "exclude: [plans/README.md]\n", encoding="utf-8")
    settle()
    with repo.mirror() as mirror:
        assert scan(mirror).added == ["plans/a.md"]
    config_path.write_text(original, encoding="utf-8")  # README.md is an artifact again: the folder did not move
    with repo.mirror() as mirror:
        report = scan(mirror)
    assert "plans/README.md" in report.added or any(p.path == "plans/README.md" for p in report.problems)


def test_a_folder_changed_within_the_racy_margin_is_not_recorded(tmp_path: Path) -> None:
    now = time.time_ns()
    listings = Listings(tmp_path / NAME, "key", now)
    listings.put("fresh", Listing((1, now - 1_000_000, now - 1_000_000), (), (FileGroup("plan", ["a.md"], [5], [7]),)))
    listings.put("old", Listing((2, now - 10**10, now - 10**10), (),
                                (FileGroup("plan", ["b.md", "c.md"], [5, UNKNOWN], [7, UNKNOWN]),)))  # fmt: skip
    assert set(listings.folders) == {"old"}
    assert is_racy(now // 10**9 * 10**9 - 10**9, now)  # whole-second stamps: a wider margin
    listings.get("old", (2, now - 10**10, now - 10**10))  # as the walk that reaches it asks
    listings.save(41)
    assert Listings.load(tmp_path / NAME, "key", now).generation == 41
    again = Listings.load(tmp_path / NAME, "key", now)
    assert again.get("old", (2, now - 10**10, now - 10**10)) == listings.folders["old"]
    assert again.get("old", (2, now - 10**10, now)) is None  # another stamp: not this listing
    assert Listings.load(tmp_path / NAME, "other key", now).folders == {}
    (tmp_path / NAME).write_text("{broken", encoding="utf-8")
    assert Listings.load(tmp_path / NAME, "key", now).folders == {}


def test_a_folder_the_walk_no_longer_reaches_is_not_saved_with_a_new_generation(repo: Repo) -> None:
    """Its sizes and mtimes were not compared with the mirror at the new generation."""
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/old/b.md", artifact("P-2"))
    settle()
    scan_twice(repo)
    assert {"plans", "plans/old"} <= set(listed(repo))
    (repo.root / "plans" / "old" / "b.md").unlink()
    (repo.root / "plans" / "old").rmdir()
    settle()
    with repo.mirror() as mirror:
        assert scan(mirror).deleted == ["plans/old/b.md"]
    assert "plans/old" not in listed(repo)


def stat_cache_reads(mirror: Mirror) -> list[str]:
    """The statements of the mirror's connection from now on that read every row's stat."""
    statements: list[str] = []
    mirror.connection.set_trace_callback(statements.append)
    return statements


def reads_all_stats(statements: list[str]) -> bool:
    return any(s.startswith("SELECT path, size, mtime_ns FROM artifacts") for s in statements)


def test_a_scan_of_folders_that_stat_as_listed_reads_no_row_while_the_stat_generation_stands(repo: Repo) -> None:
    for number in range(3):
        repo.write(f"plans/p{number}.md", artifact(f"P-{number}"))
        repo.write(f"stories/s{number}.md", artifact(f"S-{number}"))
    settle()
    with repo.mirror() as mirror:
        assert len(scan(mirror).added) == 6
    with repo.mirror() as mirror:  # lists nothing again, and records the mirror's stats in the listings
        assert not scan(mirror).changed
    with repo.mirror() as mirror:
        statements = stat_cache_reads(mirror)
        report = scan(mirror)
        assert (
            not report.changed
            and report.unchanged == 6
            and sorted(report.found)
            == sorted([f"plans/p{n}.md" for n in range(3)] + [f"stories/s{n}.md" for n in range(3)])
        )
        assert not reads_all_stats(statements)
    repo.write("plans/p1.md", artifact("P-1", "Edited in place"))  # the folder's stamp stays; the file's moves
    with repo.mirror() as mirror:
        statements = stat_cache_reads(mirror)
        assert scan(mirror).updated == ["plans/p1.md"]
        assert reads_all_stats(statements)  # a group that does not stat as listed is compared row by row


def test_a_row_changed_in_the_mirror_alone_is_seen_by_the_next_scan(repo: Repo) -> None:
    """The listings' sizes and mtimes are trusted only at the stat generation they were saved at: a row
    removed, or marked to be read again, behind the files' backs moves it."""
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    settle()
    scan_twice(repo)
    with repo.mirror() as mirror, mirror.transaction() as db:
        db.execute("DELETE FROM artifacts WHERE path = 'plans/a.md'")
    with repo.mirror() as mirror:
        assert scan(mirror).added == ["plans/a.md"]
    with repo.mirror() as mirror, mirror.transaction() as db:
        db.execute("UPDATE artifacts SET mtime_ns = -1 WHERE path = 'plans/b.md'")  # as a racy row is
    with repo.mirror() as mirror:
        statements = stat_cache_reads(mirror)
        scan(mirror)
        assert any("FROM artifacts" in s and "pk, key, disk_hash" in s for s in statements)  # its row, to read it
        assert mirror.connection.execute("SELECT mtime_ns FROM artifacts WHERE path = 'plans/b.md'").fetchone() == (
            os.lstat(repo.root / "plans" / "b.md").st_mtime_ns,
        )


def test_a_rebuilt_mirror_does_not_take_up_the_old_listings(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    settle()
    scan_twice(repo)
    generation = json.loads((repo.root / ".agentsync" / NAME).read_text(encoding="utf-8"))["generation"]
    for name in ("agentsync.db", "agentsync.db-wal", "agentsync.db-shm"):
        (repo.root / ".agentsync" / name).unlink(missing_ok=True)
    with repo.mirror() as mirror:
        assert scan(mirror).added == ["plans/a.md"]
        assert mirror.connection.execute("SELECT value FROM stat_generation").fetchone()[0] != generation


def test_every_change_to_a_rows_stat_draws_a_new_generation(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection

        def generation() -> int:
            return int(db.execute("SELECT value FROM stat_generation").fetchone()[0])

        changes = [
            "UPDATE artifacts SET size = size + 1",
            "UPDATE artifacts SET mtime_ns = mtime_ns + 1",
            "UPDATE artifacts SET path = 'plans/b.md'",
            "DELETE FROM artifacts",
        ]
        seen = {generation()}
        for change in changes:
            db.execute(change)
            assert generation() not in seen, change  # a new value, never one it had
            seen.add(generation())
        before = generation()
        db.execute("UPDATE artifacts SET title = 'x'")  # no stat changed (no row left, either)
        assert generation() == before


def test_a_mirror_restored_from_a_copy_does_not_trust_listings_saved_after_the_copy(repo: Repo) -> None:
    """Restored, and then changed as often as it was after the copy (a hook's scan of another file),
    the mirror must not come back to the generation the listings hold (a counter would): the edit
    it lost is seen."""
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("stories/s.md", artifact("S-1"))
    settle()
    scan_twice(repo)
    state = repo.root / ".agentsync"
    with repo.mirror() as mirror:
        mirror.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        copy = (state / "agentsync.db").read_bytes()
    repo.write("plans/a.md", artifact("P-1", "Edited, a longer title"))
    settle()
    scan_twice(repo)  # the edit is mirrored, then the listing records a.md's new stat
    for name in ("agentsync.db-wal", "agentsync.db-shm"):
        (state / name).unlink(missing_ok=True)
    (state / "agentsync.db").write_bytes(copy)
    story = repo.write("stories/s.md", artifact("S-1", "Story, edited"))  # one row changed, as after the copy
    past = time.time_ns() - 60_000_000_000
    os.utime(story, ns=(past, past))
    with repo.mirror() as mirror:
        assert scan(mirror, ["stories/s.md"]).updated == ["stories/s.md"]
    with repo.mirror() as mirror:
        assert scan(mirror).updated == ["plans/a.md"]


def test_a_listed_folder_that_cannot_be_opened_is_statted_file_by_file(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No descriptor left (EMFILE), which a test cannot cause for real without starving the process:
    its files are statted by path, not taken for gone."""
    repo.write("plans/a.md", artifact("P-1"))
    settle()
    scan_twice(repo)
    real_open = os.open

    def no_descriptors(path: str, flags: int, *args: int) -> int:
        if flags & os.O_DIRECTORY and str(path).endswith("plans"):
            raise OSError(errno.EMFILE, "Too many open files")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", no_descriptors)
    with repo.mirror() as mirror:
        report = scan(mirror)
    assert report.deleted == [] and report.unchanged == 1
