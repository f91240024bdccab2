"""Ids that cannot clash: `new` reserves its number from the remote, offline it tags the number
with the clone's own tag, and a push or pull that meets a *different* artifact under a new id
renumbers the newcomer (file renamed, id line changed, reported) instead of merging the two."""

from __future__ import annotations

import re
from pathlib import Path

from agentsync.errors import RemoteUnavailable
from agentsync.newartifact import create
from agentsync.remotes.base import Remote
from agentsync.remotes.memory import MemoryRemote
from agentsync.remotes.postgres import PostgresRemote
from agentsync.sync import pull, push, push_merging
from agentsync.sync.ids import IdSource, offline_tag
from tests.conftest import GitRepo, artifact
from tests.remotes.conftest import connect
from tests.sync.conftest import Clones, sync_pull


class Unreachable(MemoryRemote):
    def reserve_id(self, type_name: str, prefix: str, floor: int) -> int:
        raise RemoteUnavailable("cannot reach the remote: test")

    def database_id(self) -> str:
        raise RemoteUnavailable("cannot reach the remote: test")


def new_story(clone: GitRepo, remote: MemoryRemote, title: str) -> tuple[str, str, IdSource]:
    with clone.mirror() as mirror:
        source = IdSource(remote, mirror, offline_tag(mirror))
        artifact_id, path, _ = create(mirror, "story", title, author="ada", reserve=source.reserve, tag=source.tag)
    return artifact_id, path, source


def test_two_clones_new_artifacts_get_two_ids_from_the_remote(clones: Clones) -> None:
    a, b, remote = clones
    first, _, _ = new_story(a, remote, "Ada's")
    second, _, _ = new_story(b, remote, "Bo's")  # B has not pulled A's: the remote still knows
    assert (first, second) == ("STORY-0001", "STORY-0002")
    with a.mirror() as mirror:
        assert push(mirror, remote, "ada").ok
    with b.mirror() as mirror:
        assert push(mirror, remote, "bo").ok
    assert sync_pull(a, remote).written == [f"stories/{second}-bo-s.md"]
    assert sorted(row.id for row in remote.pull(0, 10).rows) == [first, second]


def test_offline_ids_carry_the_clones_tag_and_differ(clones: Clones) -> None:
    a, b, remote = clones
    down = Unreachable(remote.server, remote.project)
    first, _, source_a = new_story(a, down, "Ada's")
    second, _, source_b = new_story(b, down, "Bo's")
    assert first == f"STORY-0001-{source_a.tag}" and second == f"STORY-0001-{source_b.tag}" and first != second
    assert source_a.offline and "cannot reach" in source_a.offline[0]
    assert new_story(a, remote, "Online again")[0] == "STORY-0002"  # past the offline number


def adr_tools_clones(a: GitRepo, b: GitRepo) -> None:
    """Both clones hold an adr-tools folder with decisions 1 to 9 (committed in each)."""
    for clone in (a, b):
        clone.write("agentsync.yaml", "version: 1\ntypes:\n  adr:\n    id_prefix: ADR\n    globs: [doc/adr/*.md]\n")
        for n in range(1, 10):
            clone.write(f"doc/adr/{n:04d}-d{n}.md", f"# {n}. D{n}\n\nDate: 2016-02-12\n\n## Status\n\nAccepted\n")
        clone.commit_all("decisions")


def new_decision(clone: GitRepo, remote: Remote, title: str, offline: list[str] | None = None) -> tuple[str, str]:
    with clone.mirror() as mirror:
        source = IdSource(remote, mirror, offline_tag(mirror))
        artifact_id, path, _ = create(mirror, "adr", title, author="ada", reserve=source.reserve, tag=source.tag)
    if offline is not None:
        offline += source.offline
    return artifact_id, path


def test_two_clones_new_records_in_a_numbered_folder_get_two_numbers_from_the_remote(clones: Clones) -> None:
    a, b, remote = clones
    adr_tools_clones(a, b)
    assert new_decision(a, remote, "Use queues") == ("0010-use-queues", "doc/adr/0010-use-queues.md")
    assert new_decision(b, remote, "Use caches")[0] == "0011-use-caches"  # B has not seen A's tenth
    assert b.read("doc/adr/0011-use-caches.md").startswith(b"# 11. Use caches\n")


def test_an_offline_record_in_a_numbered_folder_carries_the_clones_tag(clones: Clones) -> None:
    a, b, remote = clones
    adr_tools_clones(a, b)
    with a.mirror() as mirror:
        tag = offline_tag(mirror)
    down = Unreachable(remote.server, remote.project)
    assert new_decision(a, down, "Use queues")[0] == f"0010-{tag}-use-queues"
    assert a.read(f"doc/adr/0010-{tag}-use-queues.md").startswith(b"# 10. Use queues\n")


def bmad_clones(a: GitRepo, b: GitRepo) -> None:
    """Both clones hold BMAD stories 1.1 and 1.2 in docs/stories (committed in each)."""
    for clone in (a, b):
        clone.write(
            "agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: STORY\n    globs: [docs/stories/*.md]\n"
        )
        for n in (1, 2):
            clone.write(f"docs/stories/1.{n}.s{n}.md", f"# Story 1.{n}: S{n}\n\n## Status\n\nDone\n")
        clone.commit_all("stories")


def test_two_clones_new_bmad_stories_get_two_numbers_from_the_remote_and_offline_a_tag(clones: Clones) -> None:
    a, b, remote = clones
    bmad_clones(a, b)
    assert new_story(a, remote, "Login")[:2] == ("1.3.login", "docs/stories/1.3.login.md")
    assert new_story(b, remote, "Export")[:2] == ("1.4.export", "docs/stories/1.4.export.md")  # B has not seen 1.3
    assert b.read("docs/stories/1.4.export.md").startswith(b"# Story 1.4: Export\n")
    with a.mirror() as mirror:
        tag = offline_tag(mirror)
    artifact_id, path, _ = new_story(a, Unreachable(remote.server, remote.project), "Offline")
    # A has seen 1.3 alone: 1.4 again, but tagged, so it cannot clash with B's 1.4
    assert (artifact_id, path) == (f"1.4-{tag}.offline", f"docs/stories/1.4-{tag}.offline.md")
    assert a.read(path).startswith(b"# Story 1.4: Offline\n")


def test_a_remote_before_migration_16_gives_a_numbered_record_an_offline_number_and_says_why(
    clones: Clones, remote_url: str
) -> None:
    a, b, _ = clones
    adr_tools_clones(a, b)
    before = (Path(__file__).parents[2] / "sql/0010_identities.sql").read_text(encoding="utf-8")
    reserve_id = re.search(r"CREATE FUNCTION agentsync\.reserve_id.*?\$\$;", before, re.S)
    assert reserve_id is not None
    with connect(remote_url) as connection:  # the function as a remote at migration 15 has it
        connection.execute(reserve_id.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    remote = PostgresRemote(remote_url, "team")
    with a.mirror() as mirror:
        tag = offline_tag(mirror)
    why: list[str] = []
    try:
        assert new_decision(a, remote, "Use queues", why)[0] == f"0010-{tag}-use-queues"
    finally:
        remote.close()
    assert why == [
        "the remote reserves no numbers without a prefix before migration 16: run `agentsync remote migrate`"
    ]


def clashing_clones(a: GitRepo, b: GitRepo) -> None:
    """A and B each wrote a new STORY-0101 of their own (neither committed): two artifacts, one id."""
    a.write("stories/STORY-0101-login.md", artifact("STORY-0101", "Login", body="Ada's story.\n"))
    b.write("stories/STORY-0101-export.md", artifact("STORY-0101", "Export", body="Bo's story.\n"))


def test_a_push_that_meets_another_artifact_with_its_id_renumbers_the_newcomer(clones: Clones) -> None:
    a, b, remote = clones
    clashing_clones(a, b)
    with a.mirror() as mirror:
        assert push(mirror, remote, "ada").applied == [("story:STORY-0101", 1)]
    with b.mirror() as mirror:
        report, merge = push_merging(mirror, remote, "bo")
    assert merge is None and report.ok and report.applied == [("story:STORY-0102", 1)]
    assert report.renumbered == [
        "renumbered STORY-0101 to STORY-0102, now stories/STORY-0102-export.md: the remote has another artifact "
        "STORY-0101 (a teammate's, made at the same time)"
    ]
    assert not (b.root / "stories/STORY-0101-export.md").exists()
    text = b.read("stories/STORY-0102-export.md").decode()
    assert "id: STORY-0102\n" in text and "Bo's story." in text and "<<<<<<<" not in text
    got = sync_pull(b, remote)  # and A's arrives beside it
    assert got.ok and got.written == ["stories/STORY-0101-login.md"]
    assert "Ada's story." in b.read("stories/STORY-0101-login.md").decode()
    assert sync_pull(a, remote).written == ["stories/STORY-0102-export.md"]


def test_a_pull_that_meets_another_artifact_with_a_new_ids_renumbers_it_first(clones: Clones) -> None:
    """The pre-push hook pushes without merging: its conflict waits, and the next pull renumbers."""
    a, b, remote = clones
    clashing_clones(a, b)
    with a.mirror() as mirror:
        push(mirror, remote, "ada")
    with b.mirror() as mirror:
        assert [answer.id for answer in push(mirror, remote, "bo").conflicts] == ["STORY-0101"]
        got = pull(mirror, remote)
    assert got.ok and got.renumbered and got.written == ["stories/STORY-0101-login.md"]
    assert "Bo's story." in b.read("stories/STORY-0102-export.md").decode()
    assert "Ada's story." in b.read("stories/STORY-0101-login.md").decode()
    with b.mirror() as mirror:
        assert push(mirror, remote, "bo").applied == [("story:STORY-0102", 1)]


def test_the_same_artifact_from_git_in_two_clones_is_not_renumbered(clones: Clones, tmp_path: Path) -> None:
    """A committed artifact both clones have (one edited it before pushing) is one artifact: merged."""
    a, b, remote = clones
    for clone in (a, b):
        clone.write("stories/STORY-0101-login.md", artifact("STORY-0101", "Login"))
        clone.commit_all("story")
    b.write("stories/STORY-0101-login.md", artifact("STORY-0101", "Login", body="Bo's edit.\n"))
    with a.mirror() as mirror:
        push(mirror, remote, "ada")
    with b.mirror() as mirror:
        report, _ = push_merging(mirror, remote, "bo")
    assert report.renumbered == [] and (b.root / "stories/STORY-0101-login.md").exists()
    assert report.applied == [("story:STORY-0101", 2)]
