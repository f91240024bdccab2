"""``FolderNames``: a pull's one listing of each folder it lands files in, kept up to date with what
the pull itself writes and removes; ``prune_emptied``: the folders a pull's removals left empty."""

from __future__ import annotations

from pathlib import Path

from agentsync.pathpolicy import PathPolicy
from agentsync.sync.files import FolderNames, prune_emptied


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


def test_emptied_folders_go_up_to_the_globs_own_folder_and_never_through_a_symlink(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for folder in ("specs/done/old", "specs/kept", "specs/left/deeper"):
        (root / folder).mkdir(parents=True)
    (root / "specs/kept/notes.txt").write_text("not an artifact: the folder stays", encoding="utf-8")
    outside = tmp_path / "outside" / "empty"
    outside.mkdir(parents=True)
    (root / "specs/linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    gone = ["specs/done/old/spec.md", "specs/kept/spec.md", "specs/linked/empty/spec.md", "specs/left/spec.md"]
    prune_emptied(PathPolicy(root), gone, {"specs", "specs/done"})
    assert not (root / "specs/done/old").exists() and (root / "specs/done").is_dir()  # a glob's own folder stays
    assert (root / "specs/kept/notes.txt").exists()
    assert outside.is_dir() and (root / "specs/linked").is_symlink()  # nothing removed behind the symlink
    assert (root / "specs/left/deeper").is_dir()  # not empty: it holds a folder
    prune_emptied(PathPolicy(root), ["specs/spec.md", "other/x.md"], {"specs"})
    assert (root / "specs").is_dir()  # the fixed folder itself, and nothing outside the globs' folders
