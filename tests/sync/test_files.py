"""``FolderNames``: a pull's one listing of each folder it lands files in, kept up to date with what
the pull itself writes and removes."""

from __future__ import annotations

from pathlib import Path

from agentsync.sync.files import FolderNames


def test_a_folder_is_listed_once_then_follows_the_pulls_own_writes_and_removals(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "there.md").write_text("x", encoding="utf-8")
    names = FolderNames()
    assert names.holds(folder / "there.md") is True and names.holds(folder / "new.md") is False
    (folder / "behind-its-back.md").write_text("y", encoding="utf-8")
    assert names.holds(folder / "behind-its-back.md") is False  # listed once: the writer's own check catches it
    names.made([folder / "new.md"])
    names.removed(folder / "there.md")
    assert names.holds(folder / "new.md") is True and names.holds(folder / "there.md") is False
    assert names.holds(tmp_path / "missing" / "a.md") is False  # no folder yet: nothing there
    (tmp_path / "file").write_text("z", encoding="utf-8")
    assert names.holds(tmp_path / "file" / "a.md") is None  # not a folder: the caller stats the target
