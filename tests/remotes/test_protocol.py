"""The remote protocol, one suite run against the in-memory twin and a real PostgreSQL remote:
compare-and-swap, a new artifact's version, idempotent batches, the feed's order and pages
with tombstones, leases, append-only history, audit, clients, purge and push's refusals.
Every assertion is the same for both; a backend only says how to wait and where forced
unlocks are recorded."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from agentsync.errors import RemoteError
from agentsync.remotes import migrations
from agentsync.remotes.base import Answer, Change, LockResult, PushResult, Remote, decode_changes, encode_changes
from agentsync.remotes.memory import MemoryRemote, MemoryServer
from agentsync.remotes.postgres import PostgresRemote
from tests.remotes.conftest import connect


class Backend(Protocol):
    def remote(self, project: str = "demo") -> Remote: ...
    def push_json(self, changes: list[Any], project: str = "demo") -> PushResult: ...
    def advance(self, seconds: float) -> None: ...
    def lock_events(self, project: str = "demo") -> list[tuple[str, str, str]]: ...


class MemoryBackend:
    def __init__(self, server: MemoryServer) -> None:
        self.server = server

    def remote(self, project: str = "demo") -> Remote:
        return self.server.remote(project)

    def push_json(self, changes: list[Any], project: str = "demo") -> PushResult:
        return PushResult.from_json(self.server.push(project, "raw", uuid.uuid4().hex, "ada", changes))

    def advance(self, seconds: float) -> None:
        self.server.clock.advance(seconds)  # type: ignore[attr-defined]  # the test server's ShiftedClock

    def lock_events(self, project: str = "demo") -> list[tuple[str, str, str]]:
        return [(e["event"], e["holder"], e["actor"]) for e in self.server.lock_events(project)]


class PostgresBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[PostgresRemote] = []

    def remote(self, project: str = "demo") -> Remote:
        self.opened.append(PostgresRemote(self.url, project))
        return self.opened[-1]

    def push_json(self, changes: list[Any], project: str = "demo") -> PushResult:
        remote = self.remote(project)
        assert isinstance(remote, PostgresRemote)
        sql = "SELECT agentsync.push(%s, 'raw', %s, 'ada', %s::jsonb)"
        return PushResult.from_json(remote._call(sql, (project, uuid.uuid4().hex, json.dumps(changes))))

    def advance(self, seconds: float) -> None:
        import time

        time.sleep(seconds)

    def lock_events(self, project: str = "demo") -> list[tuple[str, str, str]]:
        with connect(self.url) as connection:
            rows = connection.execute(
                "SELECT e.event, e.holder, e.actor FROM agentsync.lock_events e JOIN agentsync.projects p "
                "ON p.id = e.project_id WHERE p.name = %s ORDER BY e.id",
                (project,),
            ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def close(self) -> None:
        for remote in self.opened:
            remote.close()


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(request.getfixturevalue("memory_server"))
        return
    database = request.getfixturevalue("database")
    with connect(database) as connection:
        migrations.migrate(connection)
    postgres = PostgresBackend(database)
    yield postgres
    postgres.close()


@pytest.fixture
def remote(backend: Backend) -> Remote:
    return backend.remote()


def new(artifact_id: str, content: str = "text\n", *, base: int = 0, type_name: str = "story", **extra: Any) -> Change:
    return Change(f"{type_name}:{artifact_id}", f"stories/{artifact_id}.md", base, content, f"h-{content}", **extra)


def gone(artifact_id: str, base: int, type_name: str = "story") -> Change:
    return Change(f"{type_name}:{artifact_id}", f"stories/{artifact_id}.md", base, None, None)


Push = Callable[..., list[Answer]]


@pytest.fixture
def push(remote: Remote) -> Push:
    """``push(change, ..., author=, client=, batch=)``: the answers of one batch."""

    def send(*changes: Change, author: str = "ada", client: str = "c1", batch: str | None = None) -> list[Answer]:
        return remote.push(client, batch or uuid.uuid4().hex, author, list(changes)).answers

    return send


# --- compare-and-swap and versions -----------------------------------------------------------


def test_a_change_applies_only_on_the_current_version(remote: Remote, push: Push) -> None:
    assert push(new("S-1", "one\n")) == [Answer("story:S-1", "applied", version=1, seq=1)]
    stale = push(new("S-1", "mine\n"), author="bo")[0]
    assert stale.result == "conflict" and stale.remote is not None and stale.version is None
    row = stale.remote
    assert (row.id, row.path, row.version, row.content, row.hash, row.deleted, row.author, row.seq) == (
        "S-1", "stories/S-1.md", 1, "one\n", "h-one\n", False, "ada", 1)  # fmt: skip
    assert push(new("S-1", "two\n", base=1), author="bo") == [Answer("story:S-1", "applied", version=2, seq=2)]
    assert push(new("S-1", "three\n", base=1))[0].result == "conflict"
    assert remote.head() == 2


def test_a_conflict_never_blocks_the_rest_of_the_batch(push: Push) -> None:
    push(new("S-1"))
    answers = push(new("S-1", "stale\n"), new("S-2"), new("S-3", base=4))
    assert [(a.id, a.result, a.seq) for a in answers] == [("S-1", "conflict", None), ("S-2", "applied", 2),
                                                          ("S-3", "conflict", None)]  # fmt: skip
    assert answers[2].remote is None  # a base above 0 for an artifact the remote does not have


def test_a_new_artifact_starts_at_the_version_its_content_states(push: Push) -> None:
    answers = push(new("A", version=5), new("B", version=0), new("C"), new("D", version=2_000_000))
    assert [a.version for a in answers] == [5, 1, 1, 1_000_000]
    assert push(new("A", "next\n", base=5, version=9))[0].version == 6  # after that: base + 1
    assert push(gone("B", 1))[0].version == 2
    assert push(new("B", "back\n", base=2, version=7))[0].version == 3  # a tombstone is a current row


# --- idempotent batches ------------------------------------------------------------------------


def test_a_retried_batch_returns_the_first_answer_and_applies_nothing_twice(remote: Remote) -> None:
    first = remote.push("c1", "b-1", "ada", [new("S-1"), new("S-2")])
    assert not first.replayed
    again = remote.push("c1", "b-1", "ada", [new("S-1"), new("S-2")])
    assert again.replayed and again.answers == first.answers and again.head == first.head == 2
    different = remote.push("c1", "b-1", "ada", [new("S-3")])  # the batch id alone decides
    assert different.replayed and different.answers == first.answers
    assert remote.head() == 2 and len(remote.history("story:S-1", 10)) == 1
    other_client = remote.push("c2", "b-1", "ada", [new("S-1")])
    assert not other_client.replayed and other_client.answers[0].result == "conflict"  # batch ids are per client


def test_a_batch_sent_as_encoded_applies_what_the_text_says(remote: Remote) -> None:
    """The outbox's text is sent as is (``encoded``): it, not the change objects, is what the remote applies."""
    first = [new("S-1", "---\nid: S-1\n---\nAs sent.\n")]
    answer = remote.push("c1", "b-1", "ada", first, encode_changes(first))
    assert [a.result for a in answer.answers] == ["applied"]
    assert remote.pull(0, 10).rows[0].content == "---\nid: S-1\n---\nAs sent.\n"
    gone = [Change("story:S-1", "stories/S-1.md", 1, None, None, "deleted")]
    answer = remote.push("c1", "b-2", "ada", first, encode_changes(gone))  # the text decides
    assert [(a.result, a.version) for a in answer.answers] == [("applied", 2)]
    assert remote.pull(0, 10).rows[0].deleted


def test_an_encoded_batch_decodes_to_its_changes() -> None:
    changes = [
        Change("story:S-1", "stories/S-1.md", 0, "text é\n", "h1", "new", "h1", version=3),
        Change("story:S-2", "stories/S-2.md", 4, None, None, "deleted"),
        Change(":S-3", "stories/S-3.md", 1, "x", "h3", "", "h3"),  # untyped: an answer from before types
    ]
    assert decode_changes(encode_changes(changes)) == changes
    kept_before = json.dumps([vars(change) for change in changes])  # how an outbox kept batches before
    assert decode_changes(kept_before) == changes


def test_an_empty_batch_is_answered(remote: Remote) -> None:
    answer = remote.push("c1", "b-1", "ada", [])
    assert (answer.answers, answer.head, answer.replayed) == ([], 0, False)


# --- the feed ------------------------------------------------------------------------------------


def test_the_feed_pages_current_rows_in_commit_order_with_tombstones(remote: Remote, push: Push) -> None:
    push(*(new(f"S-{n}") for n in range(1, 7)))  # seqs 1..6
    push(new("S-2", "edited\n", base=1))  # 7: S-2 moves to the end
    push(gone("S-4", 1), gone("S-1", 1))  # 8, 9
    rows, cursor, pages = [], 0, 0
    while page := remote.pull(cursor, 2).rows:
        pages += 1
        assert len(page) <= 2
        rows.extend(page)
        cursor = page[-1].seq
    assert pages == 3  # 6 rows on pages of 2: the last page is full and the next one empty
    assert [(r.id, r.seq, r.version, r.deleted) for r in rows] == [
        ("S-3", 3, 1, False), ("S-5", 5, 1, False), ("S-6", 6, 1, False),
        ("S-2", 7, 2, False), ("S-4", 8, 2, True), ("S-1", 9, 2, True),
    ]  # fmt: skip
    tombstone = rows[-1]
    assert (tombstone.content, tombstone.hash, tombstone.path, tombstone.author) == (
        None,
        None,
        "stories/S-1.md",
        "ada",
    )
    assert rows[3].content == "edited\n" and rows[3].hash == "h-edited\n"
    assert all(r.updated_at for r in rows)


def test_a_page_knows_the_head_and_an_empty_page_its_cursor(remote: Remote, push: Push) -> None:
    push(new("S-1"), new("S-2"), new("S-3"))
    page = remote.pull(0, 1)
    assert [r.id for r in page.rows] == ["S-1"] and page.head == 3 and page.next_cursor == 1
    assert remote.pull(1, 0).rows[0].id == "S-2"  # a limit below 1 is 1
    empty = remote.pull(3, 100)
    assert empty.rows == [] and empty.head == 3 and empty.next_cursor is None
    assert remote.pull(-5, 100).rows[0].seq == 1
    assert remote.head() == 3


def test_projects_are_apart(backend: Backend) -> None:
    alpha, beta = backend.remote("alpha"), backend.remote("beta")
    assert beta.head() == 0 and beta.pull(0, 10).rows == [] and beta.locks() == [] and beta.history("story:A", 5) == []
    alpha.push("c1", "b1", "ada", [new("A")])
    beta.push("c1", "b1", "ada", [new("B")])  # the same batch id in another project is another batch
    assert [r.id for r in alpha.pull(0, 10).rows] == ["A"] and [r.id for r in beta.pull(0, 10).rows] == ["B"]
    assert alpha.head() == beta.head() == 1


def test_concurrent_pushes_leave_a_gap_free_feed(backend: Backend) -> None:
    backend.remote().push("setup", "b", "ada", [new("FIRST")])  # the project exists before the race
    seqs: list[int] = []

    def writer(n: int) -> None:
        remote = backend.remote()
        for i in range(8):
            seqs.extend(a.seq or 0 for a in remote.push(f"w{n}", str(i), "ada", [new(f"W{n}-{i}")]).answers)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seqs) == list(range(2, 34))
    rows = backend.remote().pull(0, 1000).rows
    assert [r.seq for r in rows] == list(range(1, 34))


# --- leases --------------------------------------------------------------------------------------


def test_a_lease_is_checked_by_the_write(backend: Backend, remote: Remote, push: Push) -> None:
    push(new("S-1"))
    taken = remote.lock("story:S-1", "ada", 3600)
    assert (taken.result, taken.holder, taken.forced) == ("locked", "ada", False) and taken.expires_at
    held = remote.lock("story:S-1", "bo", 3600)
    assert (held.result, held.holder, held.expires_at) == ("held", "ada", taken.expires_at)
    assert [(lock["id"], lock["holder"]) for lock in remote.locks()] == [("S-1", "ada")]
    assert remote.lock("story:S-9", "ada", 3600).result == "locked"  # an artifact the remote does not have yet
    assert [(a.result, a.holder) for a in push(new("S-9"), author="bo")] == [("locked", "ada")]
    assert remote.unlock("story:S-9", "ada", False).result == "unlocked"
    refused = push(new("S-1", "bo's\n", base=1), author="bo")[0]
    assert (refused.result, refused.holder, refused.expires_at, refused.version) == ("locked", "ada", taken.expires_at,
                                                                                     None)  # fmt: skip
    assert push(new("S-1", "ada's\n", base=1), author="ada")[0].result == "applied"  # the holder writes
    assert push(new("S-1", "stale\n", base=1), author="bo")[0].result == "locked"  # the lease is checked first
    assert remote.unlock("story:S-1", "bo", False) == LockResult("held", "ada", taken.expires_at)
    assert remote.unlock("story:S-1", "bo", True) == LockResult("unlocked", "ada", None, forced=True)
    assert backend.lock_events() == [("forced_unlock", "ada", "bo")]  # recorded
    assert remote.unlock("story:S-1", "bo", True) == LockResult("not_locked")
    assert remote.lock("story:S-1", "ada", 60).result == "locked"
    assert remote.unlock("story:S-1", "ada", False) == LockResult("unlocked", "ada", None, forced=False)
    assert backend.lock_events() == [("forced_unlock", "ada", "bo")]  # one's own unlock is not an event
    assert remote.locks() == []


def test_a_lease_expires_and_can_be_renewed(backend: Backend, remote: Remote, push: Push) -> None:
    push(new("S-1"))
    first = remote.lock("story:S-1", "ada", 1)
    renewed = remote.lock("story:S-1", "ada", 3600)
    assert renewed.result == "locked" and str(renewed.expires_at) > str(first.expires_at)
    assert remote.lock("story:S-2", "ada", 0).result == "locked"  # at least a second; any artifact id
    backend.advance(1.2)
    assert [lock["id"] for lock in remote.locks()] == ["S-1"]  # S-2's lease is over
    assert remote.lock("story:S-2", "bo", 60).holder == "bo"  # an expired lease is anyone's
    assert remote.unlock("story:S-1", "ada", False).result == "unlocked"
    remote.lock("story:S-1", "ada", 1)
    backend.advance(1.2)
    assert remote.unlock("story:S-1", "bo", False).result == "not_locked"
    assert push(new("S-1", "after expiry\n", base=1), author="bo")[0].result == "applied"


# --- history and audit ---------------------------------------------------------------------------


def test_history_keeps_every_version_newest_first(remote: Remote) -> None:
    remote.push("c1", "1", "ada", [new("S-1", "one\n", summary="created")])
    remote.push("c2", "2", "bo", [new("S-1", "two\n", base=1)])
    remote.push("c1", "3", "ada", [gone("S-1", 2)])
    history = remote.history("story:S-1", 10)
    assert [(h["version"], h["content"], h["hash"], h["deleted"], h["author"], h["client_id"], h["seq"])
            for h in history] == [
        (3, None, None, True, "ada", "c1", 3), (2, "two\n", "h-two\n", False, "bo", "c2", 2),
        (1, "one\n", "h-one\n", False, "ada", "c1", 1)]  # fmt: skip
    assert [h["summary"] for h in history] == ["", "", "created"]
    assert all(h["artifact_id"] == "S-1" and h["path"] == "stories/S-1.md" and h["created_at"] for h in history)
    history[0]["content"] = "rewritten"  # a caller's copy
    assert remote.history("story:S-1", 10)[0]["content"] is None
    assert [h["version"] for h in remote.history("story:S-1", 2)] == [3, 2]
    assert [h["version"] for h in remote.history("story:S-1", 0)] == [3]
    assert remote.history("story:S-9", 10) == []


def test_audit_lists_changes_newest_first_without_texts(remote: Remote, push: Push) -> None:
    push(new("S-1"), author="ada")
    push(new("S-2"), author="bo")
    push(new("S-1", "two\n", base=1), author="bo")
    entries = remote.audit(None, None, 100)
    assert [(e["artifact_id"], e["version"], e["author"], e["seq"]) for e in entries] == [
        ("S-1", 2, "bo", 3), ("S-2", 1, "bo", 2), ("S-1", 1, "ada", 1)]  # fmt: skip
    assert all("content" not in e and e["created_at"] for e in entries)
    assert [e["seq"] for e in remote.audit("bo", None, 1)] == [3]
    assert remote.audit(None, "2000-01-01T00:00:00+00:00", 100) == entries
    assert remote.audit(None, "2999-01-01", 100) == []
    with pytest.raises(RemoteError, match=r"^the remote refused: invalid input syntax for type timestamp with"):
        remote.audit(None, "yesterday-ish", 10)


# --- what push refuses ---------------------------------------------------------------------------

SLASH = "the id has a slash, a backslash or a control character"
REFUSED: list[tuple[Change, str]] = [
    (Change("plan:a/b", "plans/a.md", 0, "x", "h"), f'"plan:a/b": {SLASH}'),
    (Change("plan:P\n1", "plans/a.md", 0, "x", "h"), f'"plan:P?1": {SLASH}'),
    (Change("plan:..", "plans/a.md", 0, "x", "h"),
     '"plan:..": the id is "." or "..", or starts or ends with white space'),
    (Change("plan:", "plans/a.md", 0, "x", "h"), '"plan:": the id must be a string of 1 to 200 characters'),
    (Change("P-1", "plans/a.md", 0, "x", "h"), '":P-1": the type must be a string of 1 to 100 characters'),
    (Change("pl\tan:P-1", "plans/a.md", 0, "x", "h"),
     '"pl?an:P-1": the type has a colon, a slash, a backslash or a control character'),
    (Change("plan:P-1", "../outside.md", 0, "x", "h"), '"plan:P-1": the path has an empty, "." or ".." segment'),
    (Change("plan:P-1", "/etc/evil.md", 0, None, None), '"plan:P-1": the path must be relative to the repository'),
    (Change("plan:P-1", ".git/x.md", 0, "x", "h"), '"plan:P-1": the path is inside .git or .agentsync'),
    (Change("plan:P-1", "plans/evil.sh", 0, "x", "h"), '"plan:P-1": the path must end in .md, .yaml or .yml'),
    (Change("plan:P-1", "plans/P-1.md", 0, "---\nid: OTHER\n---\n", "h"), '"plan:P-1": its frontmatter says id: OTHER'),
    (Change("plan:P-1", "plans/P-1.md", 0, "x" * (10 * 1024 * 1024 + 1), "h"),
     "\"plan:P-1\": the content is 10485761 bytes, over the remote's limit of 10485760"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "reason"), REFUSED, ids=[r for _c, r in REFUSED])
def test_push_refuses_a_change_no_client_could_pull_and_applies_nothing(
    remote: Remote, push: Push, bad: Change, reason: str
) -> None:
    push(new("FIRST"))
    with pytest.raises(RemoteError) as refused:
        push(new("OK-1"), bad)
    assert str(refused.value) == (
        f"the remote refused: agentsync: refused artifact {reason}; nothing of this push was applied"
    )
    assert remote.head() == 1 and [r.id for r in remote.pull(0, 10).rows] == ["FIRST"]


PLAN = {"type": "plan", "id": "P-1", "path": "plans/P-1.md"}


def test_a_yaml_artifact_file_is_accepted_and_comes_back_as_pushed(remote: Remote, push: Push) -> None:
    """An artifact may be a YAML file (the agent CLI's journeys): sql/0012 takes .yaml and .yml paths."""
    journey = "id: JRN-001\ntitle: Sign up\nstate: DRAFT\n"
    answers = push(Change("journey:JRN-001", "journeys/JRN-001.yaml", 0, journey, "h1"),
                   Change("journey:JRN-002", "journeys/JRN-002.yml", 0, "id: JRN-002\n", "h2"))  # fmt: skip
    assert [a.result for a in answers] == ["applied", "applied"]
    rows = remote.pull(0, 10).rows
    assert [r.path for r in rows] == ["journeys/JRN-001.yaml", "journeys/JRN-002.yml"] and rows[0].content == journey


def test_push_refuses_raw_changes_as_the_database_does(backend: Backend) -> None:
    cases: list[tuple[list[Any], str]] = [
        ([{**PLAN, "base": 0}], '"plan:P-1": a change that is not a deletion must carry'),
        ([{"type": "plan", "path": "plans/P-1.md", "content": "x"}], "(no id): the id must be a string"),
        ([{"type": "plan", "id": 7, "path": "plans/P-1.md", "content": "x"}], '"plan:7": the id must be a string'),
        ([{"type": 7, "id": "P-1", "path": "plans/P-1.md", "content": "x"}], '"7:P-1": the type must be a string'),
        ([{**PLAN, "content": "x"}, "text"], "(no id): a change must be a JSON object"),
        ([{**PLAN, "content": "x"}] * 2, "a batch names an artifact more than once"),
    ]
    for changes, message in cases:
        with pytest.raises(RemoteError, match=r"^the remote refused: agentsync: ") as refused:
            backend.push_json(changes)
        assert message in str(refused.value) and "\n" not in str(refused.value)
    answer = backend.push_json([{**PLAN, "deleted": True}])
    assert answer.answers[0] == Answer("plan:P-1", "applied", version=1, seq=1)  # a first deletion is a tombstone
    # (type, id) is the identity: a story of the same id is another artifact, in the same batch too
    answer = backend.push_json([{**PLAN, "content": "x", "base": 1}, {**PLAN, "type": "story", "content": "y"}])
    assert [(a.key, a.version) for a in answer.answers] == [("plan:P-1", 2), ("story:P-1", 1)]


def test_a_project_name_the_remote_cannot_hold_is_refused(backend: Backend) -> None:
    remote = backend.remote("no spaces please")
    with pytest.raises(RemoteError) as refused:
        remote.push("c1", "b1", "ada", [new("S-1")])
    assert str(refused.value) == (
        'the remote refused: new row for relation "projects" violates check constraint "projects_name_check"'
    )
    assert remote.head() == 0


# --- clients, purge, schema ----------------------------------------------------------------------


def test_clients_register_list_and_retire(remote: Remote, push: Push) -> None:
    remote.register_client("clone-a", "ada", "laptop", "1.0", 0)
    assert remote.clients() == []  # nothing pushed yet: no project to join
    push(new("S-1"), new("S-2"))
    remote.register_client("clone-a", "ada", "h" * 300, "1.0", 0)
    (listed,) = remote.clients()
    assert (listed["client_id"], listed["user_name"], len(listed["host"]), listed["cursor"], listed["lag"]) == (
        "clone-a", "ada", 200, 0, 2)  # fmt: skip
    remote.register_client("clone-a", "ada", "laptop", "1.1", 2)
    (again,) = remote.clients()
    assert (again["agent_version"], again["lag"], again["registered_at"]) == ("1.1", 0, listed["registered_at"])
    with pytest.raises(RemoteError, match='violates check constraint "clients_client_id_check"'):
        remote.register_client("c" * 101, "ada", "laptop", "1.0", 0)
    assert remote.retire_client("clone-a") is True
    assert remote.retire_client("clone-a") is False
    assert remote.clients() == []


def test_purge_erases_an_author(remote: Remote) -> None:
    remote.push("c1", "1", "ada", [new("S-1", "ada's\n"), new("S-2", "ada's too\n")])
    remote.push("c2", "2", "bo", [new("S-1", "bo's\n", base=1)])
    remote.lock("story:S-2", "ada", 600)
    counts = ["history_contents_removed", "current_versions_kept", "artifacts_reattributed", "locks_released"]
    dry = remote.purge("ada", True)
    assert (dry["dry_run"], dry["replaced_by"], [dry[k] for k in counts]) == (True, None, [1, 1, 1, 1])
    assert remote.history("story:S-1", 10)[-1]["author"] == "ada"  # a dry run changes nothing
    done = remote.purge("ada", False)
    pseudonym = done["replaced_by"]
    assert pseudonym.startswith("erased-") and [done[k] for k in counts] == [1, 1, 1, 1]
    old = remote.history("story:S-1", 10)[-1]
    assert (old["author"], old["content"], old["client_id"]) == (pseudonym, None, None)
    assert remote.history("story:S-2", 10)[0]["content"] == "ada's too\n"  # the current text stays
    assert [r.author for r in remote.pull(0, 10).rows] == [pseudonym, "bo"]
    assert remote.audit("ada", None, 10) == [] and remote.locks() == []
    with pytest.raises(RemoteError, match="purge needs an author"):
        remote.purge("", True)


def test_purge_of_a_project_that_does_not_exist(backend: Backend) -> None:
    with pytest.raises(RemoteError, match=r"^the remote refused: agentsync: no project ghost$"):
        backend.remote("ghost").purge("ada", True)


def test_the_schema_version_is_the_newest_migration(remote: Remote) -> None:
    assert remote.schema_version() == max(m.version for m in migrations.available())


# --- the twin only -------------------------------------------------------------------------------


def test_remotes_of_one_memory_server_share_it(memory_remote: Callable[..., MemoryRemote]) -> None:
    ada, bo = memory_remote("team"), memory_remote("team")
    assert ada.identity == bo.identity == "memory://test#team" and memory_remote("other").identity.endswith("#other")
    ada.push("a", "1", "ada", [new("S-1")])
    assert [r.id for r in bo.pull(0, 10).rows] == ["S-1"]
    assert bo.push("b", "1", "bo", [new("S-1")]).answers[0].result == "conflict"
    assert MemoryRemote().identity != MemoryRemote().identity  # a server of its own each


def test_a_text_with_a_nul_character_is_refused(remote: Remote, push: Push) -> None:
    with pytest.raises(RemoteError) as refused:
        push(new("S-1", "a\x00b\n"))
    assert str(refused.value) == "the remote refused: unsupported Unicode escape sequence"
    assert remote.head() == 0


# --- reading answers -----------------------------------------------------------------------------


def test_an_unknown_result_from_the_remote_is_a_clear_refusal() -> None:
    with pytest.raises(RemoteError, match=r"^the remote answered a push result 'merged', which this client does not"):
        PushResult.from_json({"answers": [{"id": "S-1", "result": "merged"}], "head": 1})
    with pytest.raises(RemoteError, match=r"a lock result None, .*expected one of locked, held, unlocked, not_locked"):
        LockResult.from_json({"holder": "ada"})
    assert LockResult.from_json({"result": "not_locked"}) == LockResult("not_locked")


# -- identities (sql/0010) --------------------------------------------------------------------


def test_reserved_ids_count_up_per_type_and_prefix_and_pass_the_floor(backend: Backend, push: Push) -> None:
    remote = backend.remote()
    assert [remote.reserve_id("story", "STORY", 0) for _ in range(3)] == [1, 2, 3]
    assert remote.reserve_id("story", "STORY", 100) == 101  # the caller knows of a higher number
    assert remote.reserve_id("story", "STORY", 5) == 102  # never below what was handed out
    assert remote.reserve_id("plan", "PLAN", 0) == 1  # another type and prefix: its own counter
    assert backend.remote("other").reserve_id("story", "STORY", 0) == 1  # another project too


def test_a_reservation_passes_every_id_the_remote_holds(remote: Remote, push: Push) -> None:
    push(new("STORY-0041-a1b2c3"), new("story-0007"), new("STORYBOOK-0900"), new("STORY-x"))
    assert remote.reserve_id("story", "STORY", 3) == 42  # 41 (a suffix after it), 7 in any case; not STORYBOOK


def test_a_reservation_without_a_prefix_passes_the_numbers_its_types_ids_start_with(remote: Remote, push: Push) -> None:
    # adr-tools and MADR name records by number alone (0041-use-postgres): sql/0016
    push(new("0041-use-postgres", type_name="adr"), new("0007-x", type_name="adr"), new("0900-y"), new("STORY-0950"))
    assert remote.reserve_id("adr", "", 3) == 42  # past 41; not the story's 900, nor a prefixed id
    assert remote.reserve_id("adr", "", 0) == 43
    assert remote.reserve_id("story", "", 0) == 901
    assert remote.reserve_id("story", "STORY", 0) == 951  # the prefixed counter is its own


def test_a_reservation_refuses_a_prefix_that_is_not_a_word(remote: Remote) -> None:
    with pytest.raises(RemoteError, match="id prefix"):
        remote.reserve_id("story", "ST ORY", 0)


def test_two_clones_reserving_at_once_get_distinct_numbers(backend: Backend) -> None:
    got: list[int] = []
    lock = threading.Lock()

    def reserve() -> None:
        remote = backend.remote()
        for _ in range(10):
            number = remote.reserve_id("story", "STORY", 0)
            with lock:
                got.append(number)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(1, 41))


def test_the_database_has_one_generated_identity(backend: Backend) -> None:
    first, second = backend.remote("a").database_id(), backend.remote("b").database_id()
    assert first == second and len(first) >= 32  # the database's, not the project's


def test_another_database_has_another_identity(memory_server: MemoryServer) -> None:
    assert MemoryServer().remote("demo").database_id() != memory_server.remote("demo").database_id()
