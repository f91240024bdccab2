"""This clone towards its remote: its id, the remote its sync state belongs to, starting over,
and telling the remote it is alive."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from agentsync import synclock
from agentsync.errors import AgentsyncError, RemoteError, RemoteUnavailable
from agentsync.remotes.base import Remote
from agentsync.store import outbox, sync_state
from agentsync.store.meta import MetaKey
from agentsync.store.mirror import Mirror
from agentsync.store.reports import fetched_cursor

cursor = fetched_cursor  # the remote change number fetched up to: read by the store, named here for the sync core

REGISTER_EVERY = 300.0  # seconds: a clone tells the remote it is alive (and its cursor) at most this often


def client_id(mirror: Mirror) -> str:
    """This clone's id (made once, kept in the mirror): the remote's key for idempotent batches."""
    known = mirror.get_meta(MetaKey.CLIENT_ID)
    if known:
        return known
    made = uuid.uuid4().hex
    with mirror.transaction():
        mirror.set_meta_if_absent(MetaKey.CLIENT_ID, made)
    return mirror.get_meta(MetaKey.CLIENT_ID) or made


def pull_has_work(mirror: Mirror, head: int) -> bool:
    """Whether a pull has anything to do: the remote's head is not this clone's cursor, or rows
    fetched before wait to be applied (a clone that never fetched has work: its applied mark is unset)."""
    reached = mirror.get_meta(MetaKey.REMOTE_CURSOR) or "0"
    return head != int(reached) or mirror.get_meta(MetaKey.APPLIED_CURSOR) != reached


def bind_remote(mirror: Mirror, remote: Remote, database: str | None = None) -> None:
    """Tie the mirror's sync state to ``remote`` (where it is, and the identity its database
    generated for itself), or refuse to mix it with another remote's: a cursor from one remote
    would skip another's changes, and versions would not match. The same URL can lead to another
    database (a local server's folder moved, another server at that address): its identity tells.
    ``database``: that identity as asked already (``ask_database_id``); None: asked here."""
    known = mirror.get_meta(MetaKey.REMOTE_IDENTITY)
    synced = has_sync_state(mirror)
    if known is not None and known != remote.identity and synced:
        raise RemoteError(
            f"this clone syncs with {known}, not {remote.identity}: its versions and cursor belong there. "
            "Point `remote:` back at it, or start over with this remote: `agentsync remote reset`"
        )
    known_database = mirror.get_meta(MetaKey.REMOTE_DATABASE)
    if database is None:
        database = ask_database_id(remote)()
    if known == remote.identity and (known_database == database or not database):
        return
    if synced and database and known_database is not None and known_database != database:
        raise RemoteError(
            f"{remote.identity} is another database than the one this clone synced with (database "
            f"{known_database[:12]}, now {database[:12]}): its versions and cursor belong to the other one "
            "(a local server's folder moved, or another server answers there). Point it back, or start over "
            "with this one: `agentsync remote reset`"
        )
    with mirror.transaction():
        mirror.set_meta(MetaKey.REMOTE_IDENTITY, remote.identity)
        if database:  # "" for a remote without migration 10 (or out of reach): checked once it answers
            mirror.set_meta(MetaKey.REMOTE_DATABASE, database)


def ask_database_id(remote: Remote, *, meanwhile: bool = False) -> Callable[[], str]:
    """The remote's database identity, "" when it is out of reach (the call that needs it fails
    anyway: a push keeps its batch queued), as a call that answers it. ``meanwhile``: asked from a
    thread at once, so that connecting (and the driver's import) overlaps what the caller does
    until it calls for the answer (a push's scan of the work tree: ~0.2 s)."""
    answer: list[str] = []
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            answer.append(remote.database_id())
        except RemoteUnavailable:
            answer.append("")
        except BaseException as exc:  # raised where the answer is called for
            failure.append(exc)

    thread = None
    if meanwhile:
        thread = threading.Thread(target=ask, name="agentsync-connect", daemon=True)
        thread.start()

    def answered() -> str:
        if thread is None:
            ask()
        else:
            thread.join()
        if failure:
            raise failure[0]
        return answer[0]

    return answered


def has_sync_state(mirror: Mirror) -> bool:
    return sync_state.has_sync_state(mirror.connection) or cursor(mirror) > 0


def reset_sync_state(mirror: Mirror, *, drop_queued: bool = False) -> int:
    """Forget everything agreed with the remote (files are untouched); returns the queued batches dropped.
    Batches waiting in the outbox are kept unless ``drop_queued``: they hold edits not yet accepted."""
    with synclock.hold(mirror.config, "remote reset"):
        queued = outbox.queued_count(mirror.connection)
        if queued and not drop_queued:
            where = mirror.get_meta(MetaKey.REMOTE_IDENTITY) or "the remote"
            raise RemoteError(
                f"{queued} batch(es) of edits wait in the outbox for {where}; push them first, or reset with "
                "--drop-queued (their edits stay in the files and are pushed again)"
            )
        with mirror.transaction() as db:
            sync_state.clear(db)
            mirror.delete_meta(
                MetaKey.REMOTE_CURSOR, MetaKey.REMOTE_IDENTITY, MetaKey.REMOTE_DATABASE, MetaKey.APPLIED_CURSOR
            )
        return queued


def register(mirror: Mirror, remote: Remote, *, force: bool = False) -> bool:
    """Tell the remote this clone exists (id, user, host, version, cursor), at most every few
    minutes; a remote without migration 8, or any failure, is let pass: registering is a courtesy."""
    last = float(mirror.get_meta(MetaKey.CLIENT_REGISTERED_AT) or 0)
    if not force and time.time() - last < REGISTER_EVERY:
        return False
    import socket

    from agentsync import __version__
    from agentsync.gitrepo import user_identity

    try:
        remote.register_client(
            client_id(mirror), user_identity(mirror.config.root), socket.gethostname(), __version__, cursor(mirror)
        )
    except AgentsyncError:
        return False
    with mirror.transaction():
        mirror.set_meta(MetaKey.CLIENT_REGISTERED_AT, str(time.time()))
    return True
