"""The pull's decision table, row by row: no database, no files."""

from __future__ import annotations

import pytest

from agentsync.sync.decide import Action, Facts, Target, decide

CLEAN = Facts(local=True, clean=True, on_disk=True)  # the file is what was agreed, at the agreed path
EDITED = Facts(local=True, on_disk=True)  # the file differs from what was agreed
NEW_HERE = Facts(fresh=True)  # this clone has no such artifact, and none was agreed

TABLE: list[tuple[str, Facts, Action]] = [
    # what is known                                                   what the pull does
    ("a conflict is open on it", Facts(waiting=True, refused="x"), Action.SKIP),
    ("no clone could have pushed it", Facts(refused="bad id", local=True), Action.QUARANTINE),
    ("its file put back by Git (git stash)", Facts(put_back=True, local=True, on_disk=True), Action.HOLD),
    ("deleted there, unchanged here", Facts(deleted=True, local=True, clean=True), Action.REMOVE),
    ("deleted there, edited here", Facts(deleted=True, local=True), Action.KEEP_EDIT),
    ("deleted there, absent here", Facts(deleted=True), Action.FORGET),
    ("new there, its path free here", NEW_HERE, Action.FAST_FORWARD),
    ("new there, its path taken here", Facts(fresh=True, lands_elsewhere=True, target=Target.TAKEN), Action.TAKEN),
    (
        "moved there onto an artifact this pull removes",
        Facts(local=True, clean=True, lands_elsewhere=True, target=Target.LEAVING),
        Action.VACATE,
    ),
    (
        "moved there onto a file of this clone",
        Facts(local=True, clean=True, on_disk=True, lands_elsewhere=True, target=Target.TAKEN),
        Action.TAKEN,
    ),
    (
        "moved there onto a free path, unchanged here",
        Facts(local=True, clean=True, lands_elsewhere=True),
        Action.FAST_FORWARD,
    ),
    ("changed there, unchanged here", CLEAN, Action.FAST_FORWARD),
    ("changed there, edited here", EDITED, Action.MERGE),
    (
        "changed there, saved here since the scan",
        Facts(local=True, clean=True, on_disk=True, saved_since_scan=True),
        Action.DEFER,
    ),
    ("changed there, removed here this moment", Facts(local=True, clean=True, vanished=True), Action.DEFER),
    ("the same text on both sides", Facts(local=True, on_disk=True, already_there=True), Action.AGREED),
    ("deleted here, changed there", Facts(local=False, fresh=False), Action.RESTORE),
    (
        "never synced here, the file differs by its version line only: agreed, the file stays",
        Facts(local=True, on_disk=True, never_synced=True, only_version_differs=True),
        Action.AGREED,
    ),
    (
        "synced, the file differs from the remote's text by its version line only: agreed, the file stays",
        Facts(local=True, on_disk=True, only_version_differs=True),
        Action.AGREED,
    ),
    (
        "the version line differs, but the file was saved since the scan",
        Facts(local=True, on_disk=True, only_version_differs=True, saved_since_scan=True),
        Action.DEFER,
    ),
    (
        "never synced here, the file differs in its text",
        Facts(local=True, on_disk=True, never_synced=True),
        Action.MERGE,
    ),
    ("in the mirror but gone from the disk, changed there", Facts(local=True, on_disk=False), Action.FAST_FORWARD),
]


@pytest.mark.parametrize(("case", "facts", "action"), TABLE, ids=[row[0] for row in TABLE])
def test_decide(case: str, facts: Facts, action: Action) -> None:
    assert decide(facts) is action, case


def test_a_target_still_taken_on_the_last_pass_is_a_conflict() -> None:
    leaving = Facts(local=True, clean=True, lands_elsewhere=True, target=Target.LEAVING)
    assert decide(leaving) is Action.VACATE and decide(leaving, final_pass=True) is Action.TAKEN


def test_every_action_is_reached_by_a_row_of_the_table() -> None:
    assert {row[2] for row in TABLE} == set(Action)
