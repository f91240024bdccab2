"""Convergence: clones doing random work against one real PostgreSQL end identical, and no edit
is silently lost.

Each seed drives 3 to 5 clones through random creates, body and frontmatter edits, deletions,
renames, pushes, pulls, locks and conflict resolutions (a random side). Every edit writes a
unique token. At the end every clone syncs until a whole round changes nothing; then all
clones' artifact files are identical to each other and to the remote, and every token is in
the final content, in a recorded version of the remote's history that the next version was
based on (one overwritten unseen counts as lost), or was reported to its author as a
conflict (or its author itself deleted or overwrote it).

``AGENTSYNC_BREAK_CAS=1`` replaces the remote's push with one that skips the version check,
to see these tests fail (the issue note shows it).
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentsync import sync
from agentsync.remotes import migrations
from agentsync.remotes.base import Change, PushResult
from agentsync.remotes.postgres import PostgresRemote
from agentsync.resolve import conflicts, resolve
from agentsync.store import Mirror
from tests.conftest import GitRepo, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)

TOKEN = re.compile(r"tok-\d+-\d+")
CONFIG_EXTRA = "project: converge\ngit_fields: []\n"


def break_cas(url: str) -> None:
    """The deliberate bug: push applies every change whatever version it was based on."""
    with connect(url) as connection:
        row = connection.execute(
            "SELECT pg_get_functiondef('agentsync.push(text,text,text,text,jsonb)'::regprocedure)"
        ).fetchone()
        assert row is not None
        source = str(row[0])
        broken = source.replace("WHEN coalesce(cur.version, 0) <> i.base THEN 'conflict'", "WHEN false THEN 'conflict'")
        broken = broken.replace("ELSE i.base + 1 END AS new_version", "ELSE cur.version + 1 END AS new_version")
        assert broken != source
        connection.execute(broken)


@pytest.fixture
def remote_url(database: str) -> str:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    if os.environ.get("AGENTSYNC_BREAK_CAS"):
        break_cas(database)
    return database


class RecordingRemote(PostgresRemote):
    """Remembers what each accepted change was based on: a version it jumped over was overwritten
    by someone who never saw it (a lost update), even though the history still holds it."""

    def __init__(self, url: str, project: str) -> None:
        super().__init__(url, project)
        self.unseen: set[tuple[str, int]] = set()  # (artifact, version) overwritten unseen

    def push(
        self, client_id: str, batch_id: str, author: str, changes: list[Change], encoded: str | None = None
    ) -> PushResult:
        result = super().push(client_id, batch_id, author, changes, encoded)
        sent = {change.id: change for change in changes}
        for answer in result.answers:
            change = sent[answer.id]
            if answer.result != "applied" or answer.version is None:
                continue
            # A change is the next version of what it was based on; a new artifact starts at the
            # version it states. Anything in between was overwritten without being seen.
            expected = change.base + 1 if change.base > 0 else max(1, change.version or 1)
            first_unseen = change.base + 1 if change.base > 0 else 1
            if answer.version != expected:
                self.unseen.update((answer.id, skipped) for skipped in range(first_unseen, answer.version))
        return result


@dataclass
class World:
    rng: random.Random
    clones: list[GitRepo]
    remote: RecordingRemote
    made: dict[str, tuple[int, str]] = field(default_factory=dict)  # token -> (clone, artifact id)
    reported: set[str] = field(default_factory=set)  # tokens shown to their author in a conflict
    withdrawn: set[str] = field(default_factory=set)  # tokens a clone itself deleted or overwrote
    step: int = 0

    def token(self, clone: int, artifact_id: str) -> str:
        self.step += 1
        made = f"tok-{clone}-{self.step}"
        self.made[made] = (clone, artifact_id)
        return made

    def files(self, clone: int) -> dict[str, Path]:
        """Artifact id -> file, for the clone's work tree."""
        found = {}
        for path in (self.clones[clone].root / "stories").glob("*.md"):
            text = path.read_text(encoding="utf-8")
            match = re.search(r"^id: (\S+)$", text, re.M)
            if match:
                found[match.group(1)] = path
        return found


def document(artifact_id: str, token: str) -> str:
    return (f"---\nid: {artifact_id}\ntitle: Story {artifact_id}\nowner: {token}\nversion: 0\n---\n\n"
            f"# Story {artifact_id}\n\nFirst: {token}\n\nMiddle.\n\nLast.\n")  # fmt: skip


def act(world: World, clone: int) -> None:
    """One random action of one clone."""
    rng = world.rng
    repo = world.clones[clone]
    files = world.files(clone)
    action = rng.choice(["create", "body", "key", "body", "key", "delete", "rename", "push", "pull", "push", "pull",
                         "lock", "unlock"])  # fmt: skip
    if action == "create" or (not files and action in ("body", "key", "delete", "rename")):
        artifact_id = f"S-{rng.randrange(8)}"
        if artifact_id not in files:
            path = repo.root / "stories" / f"{artifact_id}.md"
            if not path.exists():
                repo.write(f"stories/{artifact_id}.md", document(artifact_id, world.token(clone, artifact_id)))
        return
    if action in ("body", "key", "delete", "rename"):
        artifact_id = rng.choice(sorted(files))
        path = files[artifact_id]
        text = path.read_text(encoding="utf-8")
        if "<<<<<<<" in text:
            return  # a file with markers is resolved first
        if action == "body":
            lines = text.splitlines(keepends=True)
            where = rng.choice([i for i, line in enumerate(lines) if line.strip() in ("Middle.", "Last.")
                                or line.startswith("First:")] or [len(lines) - 1])  # fmt: skip
            lines[where] = lines[where].rstrip("\n") + f" {world.token(clone, artifact_id)}\n"
            path.write_text("".join(lines), encoding="utf-8")
        elif action == "key":
            edited = re.sub(r"^owner: .*$", f"owner: {world.token(clone, artifact_id)}", text, flags=re.M)
            world.withdrawn.update(set(TOKEN.findall(text)) - set(TOKEN.findall(edited)))  # overwritten by its author
            path.write_text(edited, encoding="utf-8")
        elif action == "delete":
            world.withdrawn.update(TOKEN.findall(text))  # the author's own choice, not a lost edit
            path.unlink()
        else:
            path.rename(path.with_name(f"{artifact_id}-{rng.randrange(1000)}.md"))
        return
    with repo.mirror() as mirror:
        if action == "push":
            sync.push(mirror, world.remote, f"clone{clone}")
        elif action == "pull":
            pull_and_resolve(world, clone, mirror, side=rng.choice(["ours", "theirs"]))
        elif action == "lock" and files:
            world.remote.lock(f"story:{rng.choice(sorted(files))}", f"clone{clone}", 60)
        elif action == "unlock" and files:
            world.remote.unlock(f"story:{rng.choice(sorted(files))}", f"clone{clone}", False)


def pull_and_resolve(world: World, clone: int, mirror: Mirror, *, side: str) -> bool:
    """Pull; resolve every conflict by ``side`` (tokens of the side not taken were reported). Whether
    anything changed in the work tree."""
    report = sync.pull(mirror, world.remote)
    for found in conflicts(mirror):
        if found.ours is None and found.theirs is None:
            continue
        world.reported.update(TOKEN.findall(found.ours or ""))
        resolve(mirror, found.key, side)
    return bool(report.written or report.merged or report.deleted or report.conflicts or report.restored)


def settle(world: World) -> None:
    """Every clone syncs until a whole round changes nothing."""
    for lock in world.remote.locks():
        world.remote.unlock(f"{lock['type']}:{lock['id']}", lock["holder"], True)
    for _ in range(12):
        changed = False
        for clone in range(len(world.clones)):
            with world.clones[clone].mirror() as mirror:
                changed |= pull_and_resolve(world, clone, mirror, side="theirs")
                changed |= bool(sync.push(mirror, world.remote, f"clone{clone}").applied)
        if not changed:
            return
    raise AssertionError("the clones did not settle in 12 rounds")


@pytest.fixture
def world(tmp_path: Path, remote_url: str, request: pytest.FixtureRequest) -> Iterator[World]:
    seed = request.node.callspec.params["seed"]
    rng = random.Random(seed)
    clones = []
    for number in range(rng.randint(3, 5)):
        repo = make_git_repo(tmp_path / f"clone{number}")
        repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + CONFIG_EXTRA)
        (repo.root / "stories").mkdir()
        clones.append(repo)
    remote = RecordingRemote(remote_url, "converge")
    yield World(rng, clones, remote)
    remote.close()


@pytest.mark.parametrize("seed", range(8))
def test_clones_converge_and_no_edit_is_silently_lost(world: World, seed: int) -> None:
    for _ in range(80):
        act(world, world.rng.randrange(len(world.clones)))
    settle(world)

    check_converged(world)


def check_converged(world: World) -> None:
    """All clones hold the same files as the remote, and every token is accounted for."""
    snapshots = []
    for clone in world.clones:
        snapshots.append({p.name: p.read_bytes() for p in sorted((clone.root / "stories").glob("*.md"))})
    assert all(snapshot == snapshots[0] for snapshot in snapshots), "the clones differ after settling"
    final = {row.path.rsplit("/", 1)[-1]: (row.content or "").encode("utf-8")
             for row in world.remote.pull(0, 5000).rows if not row.deleted}  # fmt: skip
    assert final == snapshots[0], "the clones differ from the remote"

    versions = [h for i in range(8) for h in world.remote.history(f"story:S-{i}", 1000)]
    history = "".join(
        h.get("content") or "" for h in versions if (h["artifact_id"], h["version"]) not in world.remote.unseen
    )
    final_text = b"".join(snapshots[0].values()).decode("utf-8")
    lost = [token for token in world.made
            if token not in final_text and token not in history and token not in world.reported
            and token not in world.withdrawn]  # fmt: skip
    assert lost == [], f"edits lost without a trace or a report: {lost}"
    assert world.remote.unseen == set(), f"versions overwritten by changes not based on them: {world.remote.unseen}"


def stress_worker(url: str, roots: list[str], me: int, seconds: float, out: str) -> None:
    """One of the stress test's processes: random work in clone ``me`` for ``seconds``."""
    import json
    import time

    clones = [GitRepo(Path(root)) for root in roots]
    world = World(random.Random(me), clones, RecordingRemote(url, "converge"))
    world.step = 0
    deadline = time.monotonic() + seconds
    actions = 0
    while time.monotonic() < deadline:
        try:
            act(world, me)
        except Exception as exc:  # the mirror busy with a hook or another process: try again
            if "busy" not in str(exc):
                raise
        actions += 1
    Path(out).write_text(json.dumps({
        "made": world.made, "reported": sorted(world.reported), "withdrawn": sorted(world.withdrawn),
        "unseen": sorted(world.remote.unseen), "actions": actions,
    }))  # fmt: skip


def test_eight_processes_pushing_and_pulling_at_once(tmp_path: Path, remote_url: str) -> None:
    """8 processes, each with its own clone, work against one remote at the same time; then every
    clone settles, and the same checks as above hold."""
    import json
    import subprocess
    import sys

    seconds = float(os.environ.get("AGENTSYNC_STRESS_SECONDS", "30"))
    roots = []
    for number in range(8):
        repo = make_git_repo(tmp_path / f"clone{number}")
        repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + CONFIG_EXTRA)
        (repo.root / "stories").mkdir()
        roots.append(str(repo.root))
    project_root = Path(__file__).resolve().parents[1]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, json; from tests.test_convergence import stress_worker; "
                "stress_worker(*json.loads(sys.argv[1]))",
                json.dumps([remote_url, roots, me, seconds, str(tmp_path / f"worker{me}.json")]),
            ],
            cwd=project_root,
        )
        for me in range(8)
    ]
    assert [worker.wait(timeout=seconds + 120) for worker in workers] == [0] * 8
    results = [json.loads((tmp_path / f"worker{me}.json").read_text()) for me in range(8)]
    remote = RecordingRemote(remote_url, "converge")
    world = World(random.Random(99), [GitRepo(Path(root)) for root in roots], remote)
    for result in results:
        world.made.update({token: tuple(where) for token, where in result["made"].items()})
        world.reported.update(result["reported"])
        world.withdrawn.update(result["withdrawn"])
        remote.unseen.update(tuple(item) for item in result["unseen"])
    assert sum(result["actions"] for result in results) > 8 * 10  # they really worked concurrently
    settle(world)
    check_converged(world)
    remote.close()
