"""The sync state's comparison of the mirror with what was agreed (``locals_differing``,
``differing_keys``, ``agreed_gone``), on a real SQLite mirror: only the rows that differ leave
SQLite, push's ``pending_changes`` built on them is what a row-by-row comparison of both tables
gives, and status's ``pending_keys`` names the same artifacts."""

from __future__ import annotations

from agentsync.scanner import scan
from agentsync.store import sync_state
from agentsync.store.mirror import Mirror
from agentsync.store.sync_state import Agreed, ConflictRow
from agentsync.sync import Pending, pending_changes
from agentsync.sync.pending import pending_keys
from tests.conftest import Repo, artifact


def _row_by_row(mirror: Mirror) -> list[Pending]:
    """The rule as a comparison of every artifact with every agreed row, in Python."""
    db = mirror.connection
    base = {row[0]: Agreed(*row) for row in db.execute("SELECT key, path, version, hash, deleted FROM sync_base")}
    waiting = sync_state.waiting_ids(db)
    pending, present = [], set()
    for key, path, hash_, layout, version in db.execute("SELECT key, path, hash, layout, version FROM artifacts"):
        present.add(key)
        agreed = base.get(key)
        if key in waiting or (agreed and not agreed.deleted and agreed.hash == hash_ and agreed.path == path):
            continue
        if agreed is None and layout == "frontmatter" and version >= 1:
            pending.append(Pending(key, path, 0, version, layout, hash_, version))
        else:
            based_on = agreed.version if agreed else 0
            pending.append(Pending(key, path, based_on, based_on + 1, layout, hash_, version))
    pending.sort()
    for key, agreed in sorted(base.items()):
        if key not in present and not agreed.deleted and key not in waiting:
            pending.append(Pending(key, agreed.path, agreed.version, agreed.version + 1, None, None))
    return pending


def test_only_the_rows_that_differ_from_what_was_agreed_are_listed(repo: Repo) -> None:
    for number in range(1, 6):
        repo.write(f"plans/p{number}.md", artifact(f"P-{number}", body=f"Plan {number}.\n"))
    repo.write("plans/p8.md", artifact("P-8"))
    repo.write("plans/no-version.md", "---\nid: P-10\ntitle: Not numbered\nstatus: DRAFT\n---\n\nText.\n")
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        here = {key: (path, hash_) for key, path, hash_ in db.execute("SELECT key, path, hash FROM artifacts")}
        with mirror.transaction() as tx:
            sync_state.upsert_agreed(tx, [
                Agreed("plan:P-1", here["plan:P-1"][0], 3, here["plan:P-1"][1], 0),  # equal
                Agreed("plan:P-2", here["plan:P-2"][0], 4, "another hash", 0),  # its hash differs
                Agreed("plan:P-3", "plans/elsewhere.md", 2, here["plan:P-3"][1], 0),  # its path differs
                # plan:P-4 and plan:P-10: only local (never agreed)
                Agreed("plan:P-5", here["plan:P-5"][0], 6, here["plan:P-5"][1], 1),  # agreed deleted, here again
                Agreed("plan:P-6", "plans/p6.md", 7, "gone hash", 0),  # only agreed: deleted here
                Agreed("plan:P-7", "plans/p7.md", 8, None, 1),  # only agreed, a tombstone: nothing to do
                Agreed("plan:P-8", here["plan:P-8"][0], 1, "old", 0),  # differs, but waits in a conflict
                Agreed("plan:P-9", "plans/p9.md", 2, "old", 0),  # gone here, but waits in a conflict
            ])  # fmt: skip
            sync_state.upsert_conflicts(tx, [
                ConflictRow(key, path, "push", 9, "them", "changed on the remote", "2026-01-01T00:00:00Z")
                for key, path in (("plan:P-8", "plans/p8.md"), ("plan:P-9", "plans/p9.md"))
            ])  # fmt: skip
        differing = sync_state.locals_differing(db)
        assert [(d.key, d.agreed_version) for d in differing] == [
            ("plan:P-10", None), ("plan:P-2", 4), ("plan:P-3", 2), ("plan:P-4", None), ("plan:P-5", 6),
        ]  # fmt: skip
        assert [(d.path, d.hash, d.layout, d.version) for d in differing if d.key == "plan:P-4"] == [
            ("plans/p4.md", here["plan:P-4"][1], "frontmatter", 1)
        ]
        assert sync_state.agreed_gone(db) == [Agreed("plan:P-6", "plans/p6.md", 7, "gone hash", 0)]
        assert sync_state.differing_keys(db, "frontmatter") == [  # a path only where version: alone may differ
            ("plan:P-10", None), ("plan:P-2", here["plan:P-2"][0]), ("plan:P-3", here["plan:P-3"][0]),
            ("plan:P-4", None), ("plan:P-5", here["plan:P-5"][0]),
        ]  # fmt: skip
        assert [path for _, path in sync_state.differing_keys(db, "agent")] == [None] * 5
        pending = pending_changes(mirror)
        assert pending_keys(mirror) == {p.key for p in pending}
        assert pending == _row_by_row(mirror)
        assert [(p.key, p.base, p.version, p.digest is None) for p in pending] == [
            ("plan:P-10", 0, 1, False),  # new, its file states no version: the first
            ("plan:P-2", 4, 5, False), ("plan:P-3", 2, 3, False),
            ("plan:P-4", 0, 1, False),  # new: the version its file states
            ("plan:P-5", 6, 7, False), ("plan:P-6", 7, 8, True),
        ]  # fmt: skip

        with mirror.transaction() as tx:  # the conflicts resolved: both go out
            sync_state.drop_conflicts(tx, ["push"])
        assert [p.key for p in pending_changes(mirror)] == [
            "plan:P-10", "plan:P-2", "plan:P-3", "plan:P-4", "plan:P-5", "plan:P-8", "plan:P-6", "plan:P-9",
        ]  # fmt: skip
        assert pending_changes(mirror) == _row_by_row(mirror)
        assert pending_keys(mirror) == {p.key for p in pending_changes(mirror)}


def test_a_file_that_differs_in_its_version_line_alone_is_not_pending(repo: Repo) -> None:
    """A checkout of an older commit leaves a ``version:`` line behind what was agreed: no edit, for
    push and status alike; an edit of the text beside it is one."""
    repo.write("plans/behind.md", artifact("P-1"))
    repo.write("plans/edited.md", artifact("P-2"))
    repo.write("plans/moved.md", artifact("P-3"))
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        rows = {key: (path, content) for key, path, content in db.execute("SELECT key, path, content FROM artifacts")}

        def agreed(key: str, content: str, path: str | None = None) -> Agreed:
            return Agreed(key, path or rows[key][0], 4, "agreed hash", 0, content)

        with mirror.transaction() as tx:
            sync_state.upsert_agreed(tx, [
                agreed("plan:P-1", rows["plan:P-1"][1].replace("version: 1", "version: 4")),  # version: alone
                agreed("plan:P-2", rows["plan:P-2"][1].replace("Body.", "Other.").replace("version: 1", "version: 4")),
                agreed("plan:P-3", rows["plan:P-3"][1].replace("version: 1", "version: 4"), "plans/elsewhere.md"),
            ])  # fmt: skip
        assert [p.key for p in pending_changes(mirror)] == ["plan:P-2", "plan:P-3"]
        assert pending_keys(mirror) == {"plan:P-2", "plan:P-3"}
        assert pending_changes(mirror) != _row_by_row(mirror)  # the row-by-row rule knows no version: line


def test_nothing_differs_once_everything_was_agreed(repo: Repo) -> None:
    for number in range(1, 4):
        repo.write(f"stories/s{number}.md", artifact(f"S-{number}"))
    with repo.mirror() as mirror:
        scan(mirror)
        db = mirror.connection
        rows = db.execute("SELECT key, path, version, hash FROM artifacts").fetchall()
        with mirror.transaction() as tx:
            sync_state.upsert_agreed(tx, [Agreed(key, path, version, hash_, 0) for key, path, version, hash_ in rows])
        assert sync_state.locals_differing(db) == []
        assert sync_state.agreed_gone(db) == []
        assert pending_changes(mirror) == []
        assert sync_state.differing_keys(db, "frontmatter") == []
        assert pending_keys(mirror) == set()
