"""``check`` of files that did not change reads none of them (``.agentsync/checked.json``), yet
misses nothing: an edit, even one the stat alone would not show, a new duplicate id, a changed rule."""

from __future__ import annotations

import os
import time

from agentsync import check as check_module
from agentsync import config as config_module
from agentsync.checkcache import NAME, PassedFiles
from agentsync.scanner import scan
from agentsync.store import Mirror
from tests.conftest import Repo, artifact
from tests.test_check import strict
from tests.test_cli import run


def passed_paths(repo: Repo) -> set[str]:
    return set(PassedFiles.load(config_module.load(repo.root)).passed)


def test_unchanged_files_are_not_read_again(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1"))
    repo.write("stories/b.md", artifact("S-2"))
    assert run(repo, "check")[0] == 0
    assert passed_paths(repo) == {"stories/a.md", "stories/b.md"}
    config = config_module.load(repo.root)
    read: list[str] = []
    plain = check_module.work_tree_reader(repo.root)

    def reader(path: str) -> bytes | None:
        read.append(path)
        return plain(path)

    repo.write("stories/b.md", artifact("S-2", title="Edited"))
    with Mirror.open(config) as mirror:
        scan(mirror)
        report = check_module.check(config, mirror, ["stories/a.md", "stories/b.md"], reader,
                                    passed=PassedFiles.load(config))  # fmt: skip
    assert report.ok and report.checked == ["stories/a.md", "stories/b.md"]
    assert read == ["stories/b.md"]


def test_an_edit_in_place_in_the_same_second_is_still_checked(repo: Repo) -> None:
    """Whole-second mtimes, same size: the rescan before the check reads the racy file again."""
    clean = artifact("S-1") + "line one\nline two\nline three wider!!\n"
    marked = artifact("S-1") + "<<<<<<< local\n=======\n>>>>>>> remote\n"
    assert len(clean) == len(marked)
    path = repo.write("stories/a.md", clean)
    second = time.time_ns() // 10**9 * 10**9
    os.utime(path, ns=(second, second))
    assert run(repo, "check")[0] == 0
    path.write_text(marked, encoding="utf-8")
    os.utime(path, ns=(second, second))
    code, _out, err = run(repo, "check")
    assert code == 1 and "stories/a.md:" in err and "unresolved sync conflict marker" in err


def test_a_new_file_with_a_passed_files_id_is_a_clash(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1"))
    assert run(repo, "check")[0] == 0
    repo.write("stories/b.md", artifact("S-1"))
    code, _out, err = run(repo, "check")
    assert code == 1 and "duplicate id 'S-1' (type story) in stories/a.md and stories/b.md" in err


def test_a_changed_rule_checks_every_file_again(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1", status="Shipped"))
    assert run(repo, "check")[0] == 0
    strict(repo)  # status must now be draft, active or done
    code, _out, err = run(repo, "check")
    assert code == 1 and "status 'Shipped' is not allowed" in err


def test_an_unreadable_record_is_ignored(repo: Repo) -> None:
    repo.write("stories/a.md", artifact("S-1"))
    assert run(repo, "check")[0] == 0
    (repo.root / ".agentsync" / NAME).write_text("{not json", encoding="utf-8")
    assert run(repo, "check")[0] == 0
    assert passed_paths(repo) == {"stories/a.md"}
