"""Hostile and careless remotes: rows written straight into the remote's tables (as a broken or
compromised server, or a writer who bypasses the client, would leave them) and normal commands
racing each other. After each, the victim clone loses nothing: its files outside the artifact
folders are unchanged, every local edit and unpushed artifact is still in a file or a recorded
conflict, the bad row is kept aside with its reason, and a legitimate edit pushed after it arrives."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentsync.errors import FeedError
from agentsync.remotes import migrations
from agentsync.remotes.base import Page
from agentsync.remotes.postgres import PostgresRemote
from agentsync.sync import PullReport, pull, push
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)

PROJECT = "team"


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    return database


@dataclass
class Team:
    """Ada (a well-behaved clone), Bo (the victim) and a folder outside Bo's repository."""

    ada: GitRepo
    bo: GitRepo
    remote: PostgresRemote
    url: str
    outside: Path

    def push(self, clone: GitRepo, author: str = "ada@example.com") -> None:
        with clone.mirror() as mirror:
            report = push(mirror, self.remote, author)
        assert report.ok, report

    def pull(self, clone: GitRepo) -> PullReport:
        with clone.mirror() as mirror:
            return pull(mirror, self.remote)

    def plant(self, artifact_id: str, path: str, content: str | None, *, deleted: bool = False) -> int:
        """Write a row into the remote's tables directly, as the next change of the feed."""
        with connect(self.url) as db:
            bumped = db.execute("UPDATE agentsync.projects SET seq = seq + 1 WHERE name = %s RETURNING seq", (PROJECT,))
            seq = bumped.fetchone()[0]  # type: ignore[index]
            digest = None if content is None else hashlib.sha256(content.encode()).hexdigest()
            db.execute(
                "INSERT INTO agentsync.artifacts (project_id, artifact_type, artifact_id, path, version, content, "
                "hash, deleted, author, seq) SELECT id, 'story', %s, %s, 1, %s, %s, %s, 'mallory', %s "
                "FROM agentsync.projects WHERE name = %s ON CONFLICT (project_id, artifact_type, artifact_id) "
                "DO UPDATE SET path = excluded.path, content = excluded.content, "
                "hash = excluded.hash, deleted = excluded.deleted, seq = excluded.seq, "
                "version = agentsync.artifacts.version + 1",
                (artifact_id, path, content, digest, deleted, seq, PROJECT),
            )  # fmt: skip
        return int(seq)

    def outside_state(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.outside)): p.read_bytes() for p in self.outside.rglob("*") if p.is_file()}


@pytest.fixture
def team(tmp_path: Path, remote_url: str) -> Iterator[Team]:
    ada, bo = make_git_repo(tmp_path / "ada"), make_git_repo(tmp_path / "bo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.md").write_text("not yours\n")
    ada.write("stories/S-1.md", artifact("S-1", "Shared story"))
    ada.commit_all("stories")
    remote = PostgresRemote(remote_url, PROJECT)
    world = Team(ada, bo, remote, remote_url, outside)
    world.push(ada)
    world.pull(bo)
    yield world
    remote.close()


def victim_has_work(team: Team) -> dict[str, bytes]:
    """Bo edits the shared story and writes a new one he has not pushed: what must never be lost."""
    bo = team.bo
    bo.write("stories/S-1.md", bo.read("stories/S-1.md").decode().replace("Body.", "Bo's edit."))
    bo.write("stories/S-BO.md", artifact("S-BO", "Bo's own, not pushed"))
    return {"stories/S-1.md": bo.read("stories/S-1.md"), "stories/S-BO.md": bo.read("stories/S-BO.md")}


def legit_edit_arrives(team: Team) -> None:
    """Ada's next edit, pushed after the bad row, reaches Bo."""
    team.ada.write("stories/S-2.md", artifact("S-2", "Pushed after the bad row"))
    team.push(team.ada)
    got = team.pull(team.bo)
    assert "stories/S-2.md" in got.written, got
    assert b"# Pushed after the bad row" in team.bo.read("stories/S-2.md")


_NINE = ", ".join(["*{}"] * 9)
ALIAS_BOMB = (  # each level nine times the one before: 9**8 values once expanded
    "---\nid: S-BOMB\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{_NINE.format(*[p] * 9)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
    + "---\n\n# Bomb\n"
)

BAD_ROWS = {
    # name: (id, path, content, words the reason must hold)
    "a 300-character file name": ("S-LONG", "stories/" + "x" * 300 + ".md", artifact("S-LONG"), "255"),
    "a path out of the repository": ("S-OUT", "../outside/evil.md", artifact("S-OUT"), "inside the repository"),
    "an absolute path": ("S-ABS", "/tmp/evil.md", artifact("S-ABS"), "inside the repository"),
    "a path into .git": ("S-GIT", ".git/hooks/evil.md", artifact("S-GIT"), ".git"),
    "a path outside the artifact folders": ("S-ELSE", "evil.md", artifact("S-ELSE"), "artifact folder"),
    "an id that is a path": ("../../etc/passwd", "stories/passwd.md", artifact("passwd"), "invalid artifact id"),
    "a live row without content": ("S-NULL", "stories/S-NULL.md", None, "no content"),
    "an alias bomb": ("S-BOMB", "stories/S-BOMB.md", ALIAS_BOMB, "cannot be read"),
    "invalid YAML": ("S-YAML", "stories/S-YAML.md", "---\nid: S-YAML\ntitle: [unclosed\n---\n", "cannot be read"),
    "a text naming another artifact": ("S-ROW", "stories/S-ROW.md", artifact("S-1", "Hijack"), "names the artifact"),
    "a newline in the path": ("S-NL", "stories/evil\n.md", artifact("S-NL"), "path"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_is_kept_aside_and_every_later_row_still_arrives(team: Team, case: str) -> None:
    artifact_id, path, content, reason = BAD_ROWS[case]
    mine = victim_has_work(team)
    before = team.outside_state()
    team.plant(artifact_id, path, content)

    got = team.pull(team.bo)
    assert not got.ok and [q.id for q in got.quarantined] == [artifact_id], got
    assert reason in got.quarantined[0].reason, got.quarantined[0]
    assert len(str(got.quarantined[0])) <= 300
    assert team.outside_state() == before
    assert not (team.bo.root / "evil.md").exists()
    for relative, data in mine.items():
        assert team.bo.read(relative) == data

    legit_edit_arrives(team)
    again = team.pull(team.bo)
    assert again.ok and not again.quarantined  # recorded once: later pulls do not fail on it again
    with team.bo.mirror() as mirror:
        kept = mirror.connection.execute("SELECT substr(key, instr(key, ':') + 1), reason FROM quarantine").fetchall()
    assert [row[0] for row in kept] == [artifact_id] and reason in kept[0][1]
    # Nothing of Bo's is lost or turned into a deletion: his next push sends exactly his own work.
    with team.bo.mirror() as mirror:
        sent = push(mirror, team.remote, "bo@example.com")
    assert sorted(sent.applied) == [("story:S-1", 2), ("story:S-BO", 1)], sent
    for relative, data in mine.items():
        assert team.bo.read(relative).replace(b"version: 2", b"version: 1") == data


def test_an_oversized_row_is_neither_written_nor_turned_into_a_deletion(team: Team) -> None:
    config = team.bo.root / "agentsync.yaml"
    config.write_text(config.read_text().replace("max_file_size: 2097152", "max_file_size: 20000"))
    team.plant("S-1", "stories/S-1.md", artifact("S-1", "Huge", body="x" * 50_000))
    got = team.pull(team.bo)
    assert [q.id for q in got.quarantined] == ["S-1"] and "over max_file_size" in got.quarantined[0].reason
    assert b"x" * 1000 not in team.bo.read("stories/S-1.md")  # the clone's file is as it was
    with team.bo.mirror() as mirror:
        assert push(mirror, team.remote, "bo@example.com").applied == []  # no deletion, nothing at all
    legit_edit_arrives(team)


def test_a_newer_good_version_replaces_the_refused_one(team: Team) -> None:
    team.plant("S-1", "stories/S-1.md", None)
    assert [q.id for q in team.pull(team.bo).quarantined] == ["S-1"]
    team.plant("S-1", "stories/S-1.md", artifact("S-1", "Repaired", body="Repaired.\n"))
    got = team.pull(team.bo)
    assert got.ok and got.written == ["stories/S-1.md"] and b"Repaired." in team.bo.read("stories/S-1.md")
    with team.bo.mirror() as mirror:
        assert mirror.connection.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0


def test_a_tombstone_with_a_bad_id_deletes_nothing(team: Team) -> None:
    team.plant("../S-1", "stories/S-1.md", None, deleted=True)
    got = team.pull(team.bo)
    assert [q.id for q in got.quarantined] == ["../S-1"] and (team.bo.root / "stories/S-1.md").exists()
    legit_edit_arrives(team)


def test_a_pull_never_writes_through_a_symlinked_folder(team: Team) -> None:
    bo = team.bo
    (bo.root / "stories" / "sub").symlink_to(team.outside, target_is_directory=True)
    before = team.outside_state()
    team.plant("S-EVIL", "stories/sub/evil.md", artifact("S-EVIL"))
    team.plant("S-PRECIOUS", "stories/sub/precious.md", artifact("S-PRECIOUS"))
    got = team.pull(bo)
    assert sorted(q.id for q in got.quarantined) == ["S-EVIL", "S-PRECIOUS"], got
    assert all("symlink" in q.reason for q in got.quarantined), got.quarantined
    assert team.outside_state() == before
    with bo.mirror() as mirror:
        assert mirror.connection.execute(
            "SELECT count(*) FROM artifacts WHERE path LIKE 'stories/sub/%'"
        ).fetchone() == (0,)
    legit_edit_arrives(team)


def test_a_rename_onto_an_unpushed_artifact_is_a_conflict_not_a_loss(team: Team) -> None:
    ada, bo = team.ada, team.bo
    bo.write("stories/shared-name.md", artifact("Y-OWN-NEW", "Bo's, not pushed"))
    mine = bo.read("stories/shared-name.md")
    ada.git("mv", "stories/S-1.md", "stories/shared-name.md")
    ada.commit_all("rename")
    team.push(ada)
    got = team.pull(bo)
    assert [c[0] for c in got.conflicts] == ["story:S-1"] and "Y-OWN-NEW" in got.conflicts[0][1], got
    assert bo.read("stories/shared-name.md") == mine and (bo.root / "stories/S-1.md").exists()
    with bo.mirror() as mirror:
        sent = push(mirror, team.remote, "bo@example.com")
    assert ("story:Y-OWN-NEW", 1) in sent.applied  # still Bo's, and pushed
    # Once Bo moves his file away, the rename arrives.
    (bo.root / "stories/shared-name.md").rename(bo.root / "stories/y-own-new.md")
    got = team.pull(bo)
    assert got.ok and not (bo.root / "stories/S-1.md").exists()
    assert b"# Shared story" in bo.read("stories/shared-name.md")


def test_a_move_onto_an_edited_artifact_that_the_remote_deleted_keeps_the_edit(team: Team) -> None:
    ada, bo = team.ada, team.bo
    ada.write("stories/S-B.md", artifact("S-B", "B"))
    team.push(ada)
    team.pull(bo)
    bo.write("stories/S-B.md", bo.read("stories/S-B.md").decode().replace("Body.", "Bo's edit of B."))
    edited = bo.read("stories/S-B.md")
    ada.remove("stories/S-B.md")
    (ada.root / "stories/S-1.md").rename(ada.root / "stories/S-B.md")
    team.push(ada)
    got = team.pull(bo)
    assert bo.read("stories/S-B.md") == edited  # the edit is in its file
    assert [c[0] for c in got.conflicts] == ["story:S-1"] and [r[0] for r in got.restored] == ["story:S-B"], got
    with bo.mirror() as mirror:
        sent = push(mirror, team.remote, "bo@example.com")
    assert [a[0] for a in sent.applied] == ["story:S-B"]  # the edit goes up: B is restored on the remote


def test_a_move_onto_a_clean_artifact_the_remote_deleted_goes_through(team: Team) -> None:
    ada, bo = team.ada, team.bo
    ada.write("stories/S-B.md", artifact("S-B", "B"))
    team.push(ada)
    team.pull(bo)
    ada.remove("stories/S-B.md")
    (ada.root / "stories/S-1.md").rename(ada.root / "stories/S-B.md")
    team.push(ada)
    got = team.pull(bo)
    assert got.ok and not got.conflicts, got
    assert b"# Shared story" in bo.read("stories/S-B.md") and not (bo.root / "stories/S-1.md").exists()


def test_a_head_below_the_cursor_stops_the_pull_with_the_way_out(team: Team) -> None:
    team.ada.write("stories/S-2.md", artifact("S-2"))
    team.push(team.ada)
    team.pull(team.bo)
    with connect(team.url) as db:  # the remote restored from an older backup
        db.execute("SET session_replication_role = replica")
        db.execute("UPDATE agentsync.projects SET seq = 1 WHERE name = %s", (PROJECT,))
        db.execute("DELETE FROM agentsync.artifacts WHERE seq > 1")
    with team.bo.mirror() as mirror, pytest.raises(FeedError, match="remote reset"):
        pull(mirror, team.remote)


class ReorderedFeed(PostgresRemote):
    """A remote whose pages repeat a change number: a unique (project, seq) makes this impossible
    for the SQL remote, so the answer is altered on its way in."""

    def pull(self, after: int, limit: int) -> Page:
        page = super().pull(after, limit)
        return Page([*page.rows, page.rows[-1]], page.head) if page.rows else page


def test_a_feed_that_repeats_a_change_number_is_refused(team: Team) -> None:
    team.ada.write("stories/S-2.md", artifact("S-2"))
    team.push(team.ada)
    broken = ReorderedFeed(team.url, PROJECT)
    try:
        with team.bo.mirror() as mirror, pytest.raises(FeedError, match="out of order"):
            pull(mirror, broken)
    finally:
        broken.close()
    assert team.pull(team.bo).written == ["stories/S-2.md"]  # nothing of the bad page was kept


def test_files_written_by_a_pull_stay_inside_the_repository(team: Team) -> None:
    """Every file a pull of all the bad rows at once creates is inside an artifact folder."""
    before = {p for p in team.bo.root.rglob("*") if ".git" not in p.parts}
    for artifact_id, path, content, _reason in BAD_ROWS.values():
        team.plant(artifact_id, path, content)
    got = team.pull(team.bo)
    assert len(got.quarantined) == len(BAD_ROWS)
    after = {p for p in team.bo.root.rglob("*") if ".git" not in p.parts}
    made = {p.relative_to(team.bo.root).as_posix() for p in after - before}
    assert all(m.startswith(".agentsync/") for m in made), made
    assert not os.path.exists("/tmp/evil.md")


def test_the_rename_and_symlink_cases_through_the_command_line(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user meets them: `git mv` and `agentsync push` in one clone, `agentsync pull` in the other."""
    from tests.test_cli import run

    ada, bo = team.ada, team.bo
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", team.url)
    for clone in (ada, bo):
        with (clone.root / "agentsync.yaml").open("a") as config:
            config.write(f"project: {PROJECT}\n")
    bo.write("stories/shared-name.md", artifact("Y-OWN-NEW", "Bo's, not pushed"))
    mine = bo.read("stories/shared-name.md")
    (bo.root / "stories" / "sub").symlink_to(team.outside, target_is_directory=True)
    before = team.outside_state()
    ada.git("mv", "stories/S-1.md", "stories/shared-name.md")
    ada.write("stories/sub/evil.md", artifact("S-EVIL"))  # an ordinary folder in Ada's clone
    ada.commit_all("rename, and a story in a folder Bo has as a symlink")
    code, out, err = run(ada, "push")
    assert code == 0, (out, err)
    code, out, err = run(bo, "pull")
    assert code == 1, (out, err)
    moved = "the remote's story:S-1, moved from stories/S-1.md, would overwrite stories/shared-name.md"
    assert f"conflict: story:S-1: {moved}" in err
    assert "refused from the remote: story:S-EVIL" in err and "symlink" in err, err
    assert bo.read("stories/shared-name.md") == mine and team.outside_state() == before
    code, out, err = run(bo, "status")
    assert "S-EVIL" in out and "refused" in out, out


def test_a_taken_target_cannot_be_resolved_by_writing_over_it(team: Team) -> None:
    from agentsync.errors import ResolveError
    from agentsync.resolve import resolve

    team.bo.write("stories/S-NEW.md", artifact("S-MINE", "Bo's"))
    team.ada.write("stories/S-NEW.md", artifact("S-NEW", "Ada's"))
    team.push(team.ada)
    assert [c[0] for c in team.pull(team.bo).conflicts] == ["story:S-NEW"]
    with team.bo.mirror() as mirror:
        for side in ("theirs", "ours", "merged"):
            with pytest.raises(ResolveError, match="move that file away"):
                resolve(mirror, "S-NEW", side)
    assert b"Bo's" in team.bo.read("stories/S-NEW.md")


SMUGGLED = {
    "a second key": "---\nid: S-1\nstatus: IN_PROGRESS\nstatus: HACKED\n---\n\n# Shared story\n\nBody.\n",
    "a quoted key": "---\nid: S-1\nstatus: IN_PROGRESS\n'status': HACKED\n---\n\n# Shared story\n\nBody.\n",
    "a complex key": "---\nid: S-1\nstatus: IN_PROGRESS\n? status\n: HACKED\n---\n\n# Shared story\n\nBody.\n",
    "an alias": "---\nid: S-1\nx: &h HACKED\nstatus: *h\n---\n\n# Shared story\n\nBody.\n",
}


@pytest.mark.parametrize("form", sorted(SMUGGLED))
def test_a_git_field_smuggled_in_by_the_remote_never_reaches_the_work_tree(team: Team, form: str) -> None:
    import yaml

    bo = team.bo
    bo.write("stories/S-1.md", artifact("S-1", "Shared story", "IN_PROGRESS"))
    bo.commit_all("the status, through Git")
    team.plant("S-1", "stories/S-1.md", SMUGGLED[form])
    got = team.pull(bo)
    text = bo.read("stories/S-1.md").decode()
    frontmatter = yaml.safe_load(text.split("---\n")[1])
    assert frontmatter["status"] == "IN_PROGRESS", (form, text)
    with bo.mirror() as mirror:
        assert mirror.connection.execute("SELECT status FROM artifacts WHERE id = 'S-1'").fetchone() == ("IN_PROGRESS",)
    assert bool(got.quarantined) == (form == "an alias"), got  # what cannot be rewritten safely is refused whole
    if got.quarantined:
        assert "HACKED" not in text and "status" in got.quarantined[0].reason, got.quarantined
    legit_edit_arrives(team)
