"""Locks are taken only on an artifact that exists, here or on the remote."""

from __future__ import annotations

import pytest

from agentsync.errors import NotFoundError
from agentsync.scanner import scan
from agentsync.sync import push
from agentsync.sync.leases import lock_artifact
from tests.conftest import artifact
from tests.sync.conftest import Clones


def test_a_lock_of_an_unknown_artifact_is_refused_and_known_ones_are_taken(clones: Clones) -> None:
    a, b, remote = clones
    a.write("stories/S-1.md", artifact("S-1", "On the remote"))
    with a.mirror() as mirror:
        push(mirror, remote, "ada")
    b.write("stories/S-2.md", artifact("S-2", "Only here, not pushed"))
    with b.mirror() as mirror:
        scan(mirror)
        with pytest.raises(NotFoundError, match="no artifact 'NOPE-1' here or on the remote"):
            lock_artifact(mirror, remote, "NOPE-1", "bo", 60)
        assert remote.locks() == []
        key, taken = lock_artifact(mirror, remote, "S-1", "bo", 60)  # the remote's, not fetched here
        assert (key, taken.result) == ("story:S-1", "locked")
        key, taken = lock_artifact(mirror, remote, "S-2", "bo", 60)  # this clone's, not pushed yet
        assert (key, taken.result) == ("story:S-2", "locked")
        with pytest.raises(NotFoundError, match="no artifact 'plan:S-1' here or on the remote"):
            lock_artifact(mirror, remote, "plan:S-1", "bo", 60)  # S-1 is a story: no plan of that id
    assert sorted((lock["type"], lock["id"]) for lock in remote.locks()) == [("story", "S-1"), ("story", "S-2")]
