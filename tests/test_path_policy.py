"""The path policy with real folders and real symlinks: nothing agentsync writes or reads goes
through a symlinked folder or writes through a symlinked file, and every refusal is one clear line.

Each test snapshots a folder outside the repository (and, where it matters, the repository's own
files) and asserts it is byte-for-byte unchanged afterwards: no file created, none overwritten,
no temp file left.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from agentsync import exporter
from agentsync.errors import AgentsyncError, PathRefused
from agentsync.fsutil import atomic_write_many
from agentsync.paths import Matcher, PathPolicy, Refusal, checked_target, stat_one
from agentsync.scanner import scan
from tests.conftest import GitRepo, Repo, artifact
from tests.remotes.conftest import database, postgres_url  # noqa: F401  (fixtures: a real PostgreSQL)
from tests.test_cli import run
from tests.test_resolve import edit, pair  # noqa: F401  (fixture: two synced clones on a real PostgreSQL)

VICTIM = b"---\nid: OUTSIDE-1\n---\nsomeone else's file, outside the repository\n"


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden temp files included), with its bytes or link target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "<folder>"
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the repository holding someone's file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.md").write_bytes(VICTIM)
    return folder


def link_folder(repo: Repo, relative: str, target: Path) -> None:
    (repo.root / relative).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, repo.root / relative, target_is_directory=True)


def bundle_of(tmp_path: Path, records: list[dict[str, str]]) -> Path:
    bundle = tmp_path / "hostile.jsonl"
    lines = [json.dumps({"format": "agentsync-bundle", "version": 1})] + [json.dumps(r) for r in records]
    bundle.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return bundle


# --- the policy itself ------------------------------------------------------------------------


def test_a_symlinked_folder_is_refused_for_writing_and_reading(repo: Repo, outside: Path) -> None:
    link_folder(repo, "plans/sub", outside)
    policy = PathPolicy.for_config(repo.config())
    for call in (policy.writable, policy.readable):
        with pytest.raises(PathRefused) as caught:
            call("plans/sub/victim.md")
        message = str(caught.value)
        assert message.startswith("refused path 'plans/sub/victim.md': folder plans/sub is a symlink")
        assert str(outside) in message and "\n" not in message
    with pytest.raises(PathRefused, match="folder plans/sub is a symlink"):
        checked_target(repo.config(), Matcher.from_config(repo.config()), "plans/sub/deeper/new.md")
    assert policy.writable("plans/real.md") == repo.root / "plans/real.md"


def test_a_folder_symlink_pointing_inside_the_repository_is_refused_too(repo: Repo) -> None:
    repo.write("stories/S-1.md", artifact("S-1"))
    link_folder(repo, "plans/alias", repo.root / "stories")
    policy = PathPolicy.for_config(repo.config())
    with pytest.raises(PathRefused, match="folder plans/alias is a symlink"):
        policy.writable("plans/alias/S-1.md")
    with pytest.raises(PathRefused, match="folder plans/alias is a symlink"):
        policy.readable("plans/alias/S-1.md")


def test_a_symlinked_file_is_read_if_inside_but_never_written_through(repo: Repo, outside: Path) -> None:
    repo.write("plans/real.md", artifact("P-1"))
    os.symlink(repo.root / "plans/real.md", repo.root / "plans/alias.md")
    os.symlink(outside / "victim.md", repo.root / "plans/out.md")
    policy = PathPolicy.for_config(repo.config())
    real, found = policy.readable("plans/alias.md")
    assert real == repo.root / "plans/real.md" and found is not None and found.st_size == len(artifact("P-1"))
    with pytest.raises(PathRefused, match=r"is a symlink .* never writes through a symlink"):
        policy.writable("plans/alias.md")
    with pytest.raises(PathRefused, match="outside the repository; not read"):
        policy.readable("plans/out.md")
    with pytest.raises(PathRefused, match="never writes through a symlink"):
        policy.writable("plans/out.md")


def test_a_folder_a_pipe_and_a_file_in_place_of_a_folder_are_refused(repo: Repo) -> None:
    (repo.root / "plans/dir.md").mkdir(parents=True)
    os.mkfifo(repo.root / "plans/pipe.md")
    repo.write("plans/file", "x")
    policy = PathPolicy.for_config(repo.config())
    with pytest.raises(PathRefused, match="is a folder"):
        policy.writable("plans/dir.md")
    with pytest.raises(PathRefused, match="not a regular file"):
        policy.writable("plans/pipe.md")
    with pytest.raises(PathRefused, match="plans/file is a file, not a folder"):
        policy.writable("plans/file/a.md")
    with pytest.raises(PathRefused, match=r"no glob in agentsync\.yaml matches it"):
        policy.writable("src/a.md")


def test_a_path_too_long_for_the_system_once_joined_to_the_root_is_refused(repo: Repo, tmp_path: Path) -> None:
    root = tmp_path / "/".join(["r" * 200] * 19)  # about 3,900 bytes deep
    root.mkdir(parents=True)
    policy = PathPolicy(root, Matcher.from_config(repo.config()))
    with pytest.raises(PathRefused, match="over this system's"):
        policy.writable("plans/" + "/".join(["f" * 50] * 4) + ".md")
    assert policy.writable("plans/short.md") == root / "plans/short.md"


@pytest.mark.parametrize("count", [1, 20])  # one file, and the batch path of atomic_write_many (over 16)
def test_a_folder_swapped_for_a_symlink_after_the_check_is_caught_before_the_rename(
    repo: Repo, outside: Path, count: int
) -> None:
    """The race: the check passed, then plans/sub became a symlink. The guard looks again (no cache)
    right before each rename; the temp files the write made through the link are removed."""
    (repo.root / "plans/sub").mkdir(parents=True)
    policy = PathPolicy.for_config(repo.config())
    targets = [policy.writable("plans/sub/victim.md")] + [
        policy.writable(f"plans/sub/n{i}.md") for i in range(1, count)
    ]
    (repo.root / "plans/sub").rmdir()
    link_folder(repo, "plans/sub", outside)
    before = snapshot(outside)
    assert atomic_write_many([(target, b"evil") for target in targets], still=policy.guard()) == targets
    assert snapshot(outside) == before
    assert len(policy.refused) == count and str(policy.refused[0]) == (
        "refused path 'plans/sub/victim.md': it or a folder on the way became a symlink (or not a folder) "
        "during the write; not written"
    )


# --- stat_one and the scan: paths from hooks and the user ------------------------------------------


def test_stat_one_refuses_a_hook_path_through_a_symlinked_folder(repo: Repo, outside: Path) -> None:
    link_folder(repo, "plans/sub", outside)
    config = repo.config()
    found = stat_one(config, Matcher.from_config(config), "plans/sub/victim.md")
    assert isinstance(found, Refusal) and "folder plans/sub is a symlink" in found.reason
    with repo.mirror() as mirror:
        report = scan(mirror, ["plans/sub/victim.md"])
        assert mirror.count() == 0
    assert str(report.problems[0]).startswith("plans/sub/victim.md: folder plans/sub is a symlink")


def test_stat_one_still_reads_a_symlinked_file_inside_the_repository(repo: Repo) -> None:
    repo.write("plans/real.md", artifact("P-1"))
    os.symlink(repo.root / "plans/real.md", repo.root / "plans/alias.md")
    config = repo.config()
    found = stat_one(config, Matcher.from_config(config), "plans/alias.md")
    assert found is not None and not isinstance(found, Refusal)
    assert found.real_path == str(repo.root / "plans/real.md")


def test_a_glob_root_that_became_a_symlink_is_refused_and_its_rows_are_kept(repo: Repo, tmp_path: Path) -> None:
    """Neither read through nor taken for deleted: a push must not send deletions for its files."""
    repo.write("plans/a.md", artifact("P-1"))
    with repo.mirror() as mirror:
        assert scan(mirror).ok and mirror.count() == 1
    moved = tmp_path / "elsewhere"
    shutil.move(repo.root / "plans", moved)
    link_folder(repo, "plans", moved)
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert report.deleted == [] and mirror.count() == 1
        assert [str(p) for p in report.problems] == [
            f"plans: symlink to {moved}, outside the repository; not read (make it a real folder)"
        ]


def test_a_glob_root_symlinked_inside_the_repository_is_not_followed(repo: Repo) -> None:
    """Reading agrees with writing: a pull or export would refuse plans/… behind this symlink."""
    repo.write("stories/s.md", artifact("S-1"))
    link_folder(repo, "plans", repo.root / "stories")
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert mirror.count() == 1  # stories/s.md, once: not again as plans/s.md
    assert [str(p) for p in report.problems] == [
        f"plans: symlink to {repo.root / 'stories'}, a symlinked folder; not read (make it a real folder)"
    ]


# --- the commands ------------------------------------------------------------------------------


def test_export_never_writes_through_a_symlinked_folder(repo: Repo, outside: Path) -> None:
    """A mirrored plans/sub/*.md whose folder was then replaced by a symlink to somewhere else."""
    repo.write("plans/sub/victim.md", artifact("P-1", body="the repository's version\n"))
    repo.write("plans/sub/new.md", artifact("P-2"))
    repo.write("plans/keep.md", artifact("P-3"))
    assert run(repo, "mirror")[0] == 0
    shutil.rmtree(repo.root / "plans/sub")
    repo.remove("plans/keep.md")
    link_folder(repo, "plans/sub", outside)
    before = snapshot(outside)
    code, out, err = run(repo, "export", "--force")
    assert code == 1 and "exported: 1 written" in out
    assert "error: refused path 'plans/sub/new.md': folder plans/sub is a symlink" in err
    assert "error: refused path 'plans/sub/victim.md': folder plans/sub is a symlink" in err
    assert snapshot(outside) == before and repo.read("plans/keep.md") == artifact("P-3").encode()


def test_export_refuses_to_write_through_a_symlinked_file(repo: Repo, outside: Path) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    assert run(repo, "mirror")[0] == 0
    repo.remove("plans/a.md")
    os.symlink(outside / "victim.md", repo.root / "plans/a.md")
    before = snapshot(outside)
    code, _, err = run(repo, "export", "--force")
    assert code == 1 and "refused path 'plans/a.md': is a symlink" in err
    assert snapshot(outside) == before


def test_export_to_a_folder_may_be_a_symlink_but_nothing_under_it(repo: Repo, outside: Path, tmp_path: Path) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("stories/s.md", artifact("S-1"))
    assert run(repo, "mirror")[0] == 0
    real_out = tmp_path / "real-out"
    (real_out / "plans").mkdir(parents=True)
    os.symlink(real_out, tmp_path / "out-link", target_is_directory=True)  # DIR itself: the user's choice
    os.symlink(outside, real_out / "stories", target_is_directory=True)  # under DIR: refused
    before = snapshot(outside)
    code, out, err = run(repo, "export", "--to", str(tmp_path / "out-link"))
    assert code == 1 and "wrote 1 artifacts" in out
    assert "error: refused path 'stories/s.md': folder stories is a symlink" in err
    assert (real_out / "plans/a.md").read_bytes() == artifact("P-1").encode()
    assert snapshot(outside) == before


def test_import_of_a_path_through_a_symlinked_folder_reads_nothing(repo: Repo, outside: Path) -> None:
    link_folder(repo, "plans/sub", outside)
    code, _, err = run(repo, "import", str(repo.root / "plans/sub/victim.md"))
    assert code == 1 and "error: refused path 'plans/sub/victim.md': folder plans/sub is a symlink" in err
    with repo.mirror() as mirror:
        assert mirror.count() == 0


def test_import_of_a_missing_path_exits_1_naming_it(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    code, out, err = run(repo, "import", str(repo.root / "plans/a.md"), str(repo.root / "plans/nope.md"))
    assert code == 1 and f"error: {repo.root / 'plans/nope.md'}: no such file" in err
    assert "mirrored 1 artifact" in out  # the other path is imported


def test_import_bundle_refuses_each_hostile_entry_and_imports_the_rest(
    repo: Repo, outside: Path, tmp_path: Path
) -> None:
    link_folder(repo, "plans/sub", outside)
    link_folder(repo, "plans/alias", repo.root / "stories")
    (repo.root / "stories").mkdir()
    long_name = "plans/" + "x" * 300 + ".md"
    hostile = [
        {"id": "E-1", "path": "plans/sub/evil.md", "content": "---\nid: E-1\n---\n"},  # would be created outside
        {"id": "E-2", "path": "plans/sub/victim.md", "content": "---\nid: E-2\n---\n"},  # would overwrite (--force)
        {"id": "E-3", "path": "plans/alias/in.md", "content": "---\nid: E-3\n---\n"},
        {"id": "E-4", "path": long_name, "content": "---\nid: E-4\n---\n"},
        {"id": "E-5", "path": "plans/new\nline.md", "content": "---\nid: E-5\n---\n"},
        {"id": "E-6", "path": "plans/nul\x00.md", "content": "---\nid: E-6\n---\n"},
        {"id": "E-7", "path": "plans/CON.md", "content": "---\nid: E-7\n---\n"},
        {"id": "G-1", "path": "plans/good.md", "content": "---\nid: G-1\n---\n"},
    ]
    before, before_stories = snapshot(outside), snapshot(repo.root / "stories")
    code, out, err = run(repo, "import", "--bundle", str(bundle_of(tmp_path, hostile)), "--force")
    assert code == 1 and "imported: 1 written" in out
    for words in [
        "refused path 'plans/sub/evil.md': folder plans/sub is a symlink",
        "refused path 'plans/sub/victim.md': folder plans/sub is a symlink",
        "refused path 'plans/alias/in.md': folder plans/alias is a symlink",
        "hostile.jsonl:5: refused path 'plans/xxxx",
        "hostile.jsonl:6: refused path 'plans/new\\nline.md': contains the control character '\\n'",
        "hostile.jsonl:7: refused path 'plans/nul\\x00.md': contains a NUL character",
        "hostile.jsonl:8: refused path 'plans/CON.md': the name 'CON.md' is reserved on Windows",
    ]:
        assert words in err, (words, err)
    assert len(err.strip().splitlines()) == 7
    assert snapshot(outside) == before and snapshot(repo.root / "stories") == before_stories
    assert repo.read("plans/good.md") == b"---\nid: G-1\n---\n"
    assert not list(repo.root.glob("plans/x*")) and not list(repo.root.glob("plans/*line*"))


def test_a_bundle_whose_content_holds_a_line_separator_round_trips(repo: Repo, tmp_path: Path) -> None:
    """JSON leaves U+2028 raw in a string: the bundle's lines end at newlines only."""
    text = "---\nid: P-1\n---\nbefore\u2028after\u0085end\n"
    repo.write("plans/a.md", text)
    bundle = tmp_path / "b.jsonl"
    with repo.mirror() as mirror:
        scan(mirror)
        exporter.export_bundle(mirror, bundle)
    repo.remove("plans/a.md")
    with repo.mirror() as mirror:
        result = exporter.import_bundle(mirror, bundle)
    assert result.ok and repo.read("plans/a.md") == text.encode()
    bundle.write_bytes(b"")
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match="empty file, not an agentsync bundle"):
        exporter.import_bundle(mirror, bundle)


def test_resolve_never_writes_through_a_symlinked_folder(pair: tuple[GitRepo, GitRepo], outside: Path) -> None:  # noqa: F811
    """A conflict is recorded for stories/S-1.md; then the folder becomes a symlink to somewhere else."""
    a, b = pair
    edit(a, "Second paragraph.", "Second, by Ada.")
    edit(b, "Second paragraph.", "Second, by Bo.")
    assert run(a, "push")[0] == 0
    assert run(b, "pull")[0] == 1
    shutil.copy(b.root / "stories/S-1.md", outside / "S-1.md")
    shutil.rmtree(b.root / "stories")
    link_folder(b, "stories", outside)
    before = snapshot(outside)
    for side in ("--theirs", "--ours", "--merged"):
        code, _, err = run(b, "resolve", "S-1", side)
        assert code == 1 and "refused path 'stories/S-1.md': folder stories is a symlink" in err, err
    assert snapshot(outside) == before
    assert run(b, "conflicts")[0] == 1  # still recorded: nothing was resolved


def test_new_never_writes_through_a_symlinked_folder(repo: Repo, outside: Path) -> None:
    link_folder(repo, "stories", outside)
    before = snapshot(outside)
    code, _, err = run(repo, "new", "story", "Through the link")
    assert code == 1 and "symlink" in err and "\n" not in err.strip(), err
    assert snapshot(outside) == before
