"""Folder listings (``agentsync.folders``): a full scan lists again only the folders whose stamp
moved, and still sees every change — an edit in place, a new file, a file in a subfolder, a folder
whose mtime was set back, a change to which names are artifacts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agentsync.folders import NAME, Listing, Listings, is_racy
from agentsync.scanner import scan
from tests.conftest import Repo, artifact


def settle() -> None:
    """Past the racy margin of the last change, so the folders are listed for good."""
    time.sleep(0.12)


def listed(repo: Repo) -> dict[str, object]:
    stored = json.loads((repo.root / ".agentsync" / NAME).read_text(encoding="utf-8"))
    folders = stored["folders"]
    assert isinstance(folders, dict)
    return folders


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
    listings.put("fresh", Listing((1, now - 1_000_000, now - 1_000_000), (), (("plan", ("a.md",)),)))
    listings.put("old", Listing((2, now - 10**10, now - 10**10), (), (("plan", ("b.md", "c.md")),)))
    assert set(listings.folders) == {"old"}
    assert is_racy(now // 10**9 * 10**9 - 10**9, now)  # whole-second stamps: a wider margin
    listings.save()
    again = Listings.load(tmp_path / NAME, "key", now)
    assert again.get("old", (2, now - 10**10, now - 10**10)) == listings.folders["old"]
    assert again.get("old", (2, now - 10**10, now)) is None  # another stamp: not this listing
    assert Listings.load(tmp_path / NAME, "other key", now).folders == {}
    (tmp_path / NAME).write_text("{broken", encoding="utf-8")
    assert Listings.load(tmp_path / NAME, "key", now).folders == {}
