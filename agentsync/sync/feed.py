"""Fetch: the remote's change feed after the cursor, page by page, each page stored with the
cursor after it in one transaction (the next page asked for meanwhile). Touches no files.
A feed that cannot be complete (a head below the cursor, rows out of order) is refused."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

from agentsync import synclock
from agentsync.errors import FeedError
from agentsync.remotes.base import Page, Remote, RemoteRow
from agentsync.store import artifacts, sync_state
from agentsync.store.meta import MetaKey
from agentsync.store.mirror import Mirror
from agentsync.sync.client import bind_remote, cursor
from agentsync.sync.journal import recorded
from agentsync.tracing import span

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from agentsync.parsing import Progress

PAGE_SIZE = 2000


def fetch(mirror: Mirror, remote: Remote, page_size: int = PAGE_SIZE, progress: Progress | None = None) -> int:
    """Store the remote's changes after the cursor; each page and the new cursor in one transaction."""
    with synclock.hold(mirror.config, "fetch"), recorded(mirror, "fetch") as record, span("fetch") as traced:
        fetched = fetch_unlocked(mirror, remote, page_size, progress)
        record.append(fetched)
        traced.set_attributes({"agentsync.fetched": fetched, "agentsync.cursor": cursor(mirror)})
        return fetched


def fetch_unlocked(mirror: Mirror, remote: Remote, page_size: int, progress: Progress | None) -> int:
    """``fetch`` for a caller that holds the sync lock already (a pull)."""
    bind_remote(mirror, remote)
    start = cursor(mirror)
    fetched = 0
    page = checked(remote.pull(start, page_size), start)
    if not page.rows and start:  # an empty page says nothing of the head: a remote that went back shows here
        checked(Page([], remote.head()), start)
    fetcher: ThreadPoolExecutor | None = None  # from the first full page on: little new is one round trip, no thread
    try:
        while page.rows:
            following = None
            if len(page.rows) == page_size:  # more may follow: ask for it while this page is stored
                if fetcher is None:
                    from concurrent.futures import ThreadPoolExecutor

                    fetcher = ThreadPoolExecutor(1, thread_name_prefix="agentsync-fetch")
                following = fetcher.submit(contextvars.copy_context().run, remote.pull, page.rows[-1].seq, page_size)
            reached = _store_page(mirror, page)
            fetched += len(page.rows)
            if following is None:
                break
            if progress is not None:  # in change numbers: the feed's rows are a subset of them
                progress(reached - start, max(page.head - start, reached - start))
            page = checked(following.result(), reached)
    finally:
        if fetcher is not None:
            fetcher.shutdown()
    return fetched


RESET_ADVICE = "`agentsync remote reset` starts over with it (local edits stay in the files)"


def went_back(head: int, after: int) -> str | None:
    """What is wrong when the remote's head is below this clone's cursor, or None: it was restored
    from a backup or replaced, and rows below the cursor would never be pulled."""
    if head >= after:
        return None
    return f"the remote's head {head} is below this clone's cursor {after}: it was restored or replaced"


def checked(page: Page, after: int) -> Page:
    """``page`` if it can continue a feed read up to ``after``, else a FeedError: a head below the
    cursor (the remote was restored or replaced: rows below the cursor would never be pulled) or rows
    not strictly after the cursor and each other (a row sharing a number with another is lost)."""
    reset = f"nothing more is applied; {RESET_ADVICE}"
    if page.head < after:
        raise FeedError(f"the remote's change feed ends at {page.head}, before this clone's cursor {after}: "
                        f"it was restored from a backup or replaced; {reset}")  # fmt: skip
    previous = after
    for row in page.rows:
        if row.seq <= previous or row.seq > page.head:
            raise FeedError(f"the remote's change feed is out of order (change {row.seq} after {previous}, "
                            f"head {page.head}): changes could be lost; {reset}")  # fmt: skip
        previous = row.seq
    return page


def _store_page(mirror: Mirror, page: Page) -> int:
    """Keep a page of fetched rows and the cursor after it, in one transaction; return the cursor."""
    reached = page.rows[-1].seq
    with mirror.transaction() as db:
        sync_state.store_page(db, [(typed_key(mirror, r), r.path, r.version, r.hash, int(r.deleted), r.author, r.seq,
                                    r.updated_at, r.content) for r in page.rows])  # fmt: skip
        mirror.set_meta(MetaKey.REMOTE_CURSOR, str(reached))
    return reached


def typed_key(mirror: Mirror, row: RemoteRow) -> str:
    """The row's key; a row written before the remote recorded types (``:ID``) takes the type of this
    clone's artifact of that id at its path, else the type its path has by the config."""
    from agentsync.globs import Matcher
    from agentsync.identity import key_of, split_key

    identity = split_key(row.key)
    if identity.type:
        return row.key
    here = artifacts.at_path(mirror.connection, row.path)
    if here is not None and here.id == identity.id:
        return here.key
    return key_of(Matcher.from_config(mirror.config).type_of(row.path) or "", identity.id)
