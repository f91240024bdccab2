"""A clone's sync state belongs to one remote database: the identity the database generated for
itself (sql/0010) is recorded on the first sync, and a database with another one is refused
even at the same address, with the `remote reset` way out."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync.errors import RemoteError
from agentsync.remotes.memory import MemoryServer
from agentsync.store.meta import MetaKey
from agentsync.sync import reset_sync_state
from tests.conftest import artifact
from tests.sync.conftest import sync_pull, sync_push, two_clones


def test_a_clone_refuses_another_database_at_the_same_address(tmp_path: Path) -> None:
    a, _ = two_clones(tmp_path)
    first, second = MemoryServer("same"), MemoryServer("same")  # one name: one identity string, two databases
    a.write("plans/PLAN-1.md", artifact("PLAN-1"))
    assert sync_push(a, first.remote("team"), "ada").applied
    assert first.remote("team").identity == second.remote("team").identity
    with pytest.raises(RemoteError, match=r"another database.*agentsync remote reset"):
        sync_pull(a, second.remote("team"))
    with pytest.raises(RemoteError, match="another database"):
        sync_push(a, second.remote("team"), "ada")
    assert second.remote("team").head() == 0  # nothing was written there
    with a.mirror() as mirror:
        reset_sync_state(mirror)
        assert mirror.get_meta(MetaKey.REMOTE_DATABASE) is None
    assert sync_push(a, second.remote("team"), "ada").applied  # after the reset: sent as new
    with pytest.raises(RemoteError, match="another database"):
        sync_pull(a, first.remote("team"))  # and now bound to the second


def test_a_clone_bound_before_databases_had_identities_adopts_its_database(tmp_path: Path) -> None:
    a, _ = two_clones(tmp_path)
    server = MemoryServer()
    a.write("plans/PLAN-1.md", artifact("PLAN-1"))
    sync_push(a, server.remote("team"), "ada")
    with a.mirror() as mirror, mirror.transaction():
        mirror.delete_meta(MetaKey.REMOTE_DATABASE)  # as a mirror of an older agentsync has it
    sync_pull(a, server.remote("team"))
    with a.mirror() as mirror:
        assert mirror.get_meta(MetaKey.REMOTE_DATABASE) == server.database_id
