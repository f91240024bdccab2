"""Editors' ways of saving, through a real watcher, real inotify events and a real PostgreSQL: each
save is one change and one version, whatever steps it takes.

The watcher waits only a share of its debounce after an event that completes a write (the file
closed after writing, or renamed into place), and the whole debounce while a file is being
written or has just been moved away. The pauses below sit between those two quiet times, so a
watcher that took a step in the middle of a save for its end would push that step (a deletion, a
half-written file) as a version of its own. Nothing here is timed: the versions and the contents
are what is checked (tests/bench/bench_watch.py measures how fast).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentsync.watch.pacing import SETTLE_SHARE
from tests.conftest import artifact
from tests.remotes.conftest import database, postgres_url  # noqa: F401
from tests.watch.test_watcher import (  # noqa: F401
    file_hash,
    history_versions,
    make_clone,
    mirrored_hash,
    remote_url,
    wait_until,
    watching,
)

DEBOUNCE = 1.2  # a completed write settles after a quarter of it: 0.3 s (margins for a busy machine)
PAUSE = (DEBOUNCE + DEBOUNCE * SETTLE_SHARE) / 2  # longer than the short quiet time, shorter than the debounce


def vim_backup_dance(target: Path, text: str) -> None:
    """vim with `backupcopy=no`: the file is moved to its backup, written anew (slowly: a big file,
    a slow disk), its mode restored, and the backup deleted."""
    backup = target.with_name(target.name + "~")
    os.rename(target, backup)
    time.sleep(PAUSE)  # the file is gone meanwhile: a deletion, were this taken for the end of a save
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(target, 0o644)
    backup.unlink()


def truncate_and_write_in_steps(target: Path, text: str) -> None:
    """An editor that writes in place: truncate, write part, pause with the file open, write the
    rest; then a second writer appends the last line and closes (each close ends one write)."""
    body, last = text[: len(text) // 2], text[len(text) // 2 :]
    with open(target, "r+", encoding="utf-8") as handle:
        handle.truncate(0)
        handle.write(body[:10])
        handle.flush()
        time.sleep(PAUSE)  # a half-written file, were the last modification taken for the end
        handle.write(body[10:])
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(last)


def temp_file_and_rename(target: Path, text: str) -> None:
    """Emacs, IntelliJ's safe write: a temp file written in full, the old file moved aside, the temp
    renamed into place, the old one deleted."""
    temp = target.with_name(f".{target.name}.tmp~")
    temp.write_text(text, encoding="utf-8")
    aside = target.with_name(target.name + ".old~")
    os.rename(target, aside)
    time.sleep(PAUSE)  # the file is gone meanwhile
    os.replace(temp, target)
    aside.unlink()


@pytest.mark.parametrize(
    "save", [vim_backup_dance, truncate_and_write_in_steps, temp_file_and_rename], ids=lambda save: save.__name__
)
def test_an_editor_save_in_steps_is_one_version(
    tmp_path: Path,
    remote_url: str,  # noqa: F811
    save: Callable[[Path, str], None],
) -> None:
    written: list[str] = []

    def edit(target: Path) -> None:
        text = target.read_text().replace("Line one.", "Line one, edited.").replace("Line two.", "Line two, too.")
        written.append(text)
        save(target, text)

    target = _saved_once(tmp_path, remote_url, edit)
    assert target.read_text() == written[0]


def _saved_once(tmp_path: Path, url: str, save: Callable[[Path], None]) -> Path:
    """A pushed plan saved once by ``save`` while a watcher pushes: one new version, one mirroring
    and no problem. Returns the file."""
    repo = make_clone(tmp_path / "a", url, debounce=DEBOUNCE, push_delay=1.0)
    repo.write("plans/P-1.md", artifact("P-1", "First", body="Line one.\n\nLine two.\n"))
    target = repo.root / "plans/P-1.md"
    with watching(repo, push=True) as running:
        wait_until(lambda: history_versions(url, "plan:P-1") == [1], what="the first push")
        wait_until(lambda: running.messages("pushed"), what="the push event")
        before = len(running.messages("mirrored"))
        save(target)
        wait_until(lambda: history_versions(url, "plan:P-1") == [1, 2], what="the edit's push")
        wait_until(lambda: len(running.messages("pushed")) == 2, what="the push event")
        time.sleep(1.5)  # anything else would have been pushed by now
    assert history_versions(url, "plan:P-1") == [1, 2]
    assert running.messages("mirrored")[before:] == ["mirrored plans/P-1.md"]
    assert not running.messages("problem")
    return target


def test_saves_that_keep_coming_wait_longer_for_the_push_and_make_one_version(
    tmp_path: Path,
    remote_url: str,  # noqa: F811
) -> None:
    """A lone save waits a fifth of push_delay (1.8 s here), each further save twice as long as the
    one before: the third save below comes 2.4 s after the second was mirrored, after a fixed
    wait would have pushed the first two as a version of their own, and 1.2 s before the doubled
    one does (room for a loaded machine)."""
    repo = make_clone(tmp_path / "a", remote_url, debounce=0.8, push_delay=9.0)
    target = repo.root / "plans/P-5.md"
    with watching(repo, push=True) as running:
        wait_until(lambda: running.watcher.side.push_due is None, what="the push of what waited at the start")
        for step in ("First", "Second"):
            repo.write("plans/P-5.md", artifact("P-5", f"{step} draft"))
            wait_until(lambda: mirrored_hash(repo, "plans/P-5.md") == file_hash(repo, "plans/P-5.md"), what=step)
        time.sleep(2.4)
        repo.write("plans/P-5.md", artifact("P-5", "Third draft"))
        wait_until(lambda: history_versions(remote_url, "plan:P-5"), what="the push")
        wait_until(lambda: running.messages("pushed"), what="the push event")
        time.sleep(1.0)  # a second push would have gone out by now
    assert history_versions(remote_url, "plan:P-5") == [1]
    assert running.messages("pushed") == ["pushed plan:P-5 v1"]
    assert len(running.messages("mirrored")) == 3  # each save mirrored on its own: the push waited
    assert "Third draft" in target.read_text()


# vim saving as it does by default (writebackup: a backup kept while it writes, deleted after), with
# backupskip emptied: by default it skips the backup for files under /tmp, where the test folders are
VIM = ["vim", "-u", "NONE", "-i", "NONE", "-N", "-n", "-es"]


@pytest.mark.parametrize(
    "command",
    [
        [
            *VIM,
            "-c",
            "set nobackup writebackup backupskip= backupcopy=no",
            "-c",
            "%s/Line one./Line one, by vim./",
            "-c",
            "wq",
        ],
        [
            *VIM,
            "-c",
            "set nobackup writebackup backupskip= backupcopy=yes",
            "-c",
            "%s/Line one./Line one, by vim./",
            "-c",
            "wq",
        ],
        ["sed", "-i", "s/Line one./Line one, by vim./"],
    ],
    ids=["vim-renaming", "vim-in-place", "sed-i"],
)
def test_a_real_editors_save_is_one_version(
    tmp_path: Path,
    remote_url: str,  # noqa: F811
    command: list[str],
) -> None:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")

    def edit(target: Path) -> None:
        root = target.parents[1]
        done = subprocess.run([*command, "plans/P-1.md"], cwd=root, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr

    target = _saved_once(tmp_path, remote_url, edit)
    assert "Line one, by vim." in target.read_text()
