"""The outbox: batches written before they are sent and taken out with their answers applied,
so that a batch whose answer was lost (or a crash) is sent again with the same id and applied
once. A batch keeps each text it sends once (``enqueue``). Functions take the connection, inside
the caller's transaction when they write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple


class Queued(NamedTuple):
    batch_id: str
    changes: str  # JSON: the batch as it was first sent, less the texts ``texts_of`` gives (none, for an older batch)


def queued(db: sqlite3.Connection) -> list[Queued]:
    """The batches waiting for an answer, oldest first (their texts: ``texts_of``, a batch at a time)."""
    return list(map(Queued._make, db.execute("SELECT batch_id, changes FROM outbox ORDER BY created_at")))


def texts_of(db: sqlite3.Connection, batch_id: str) -> dict[str, str]:
    """key -> the text a queued batch sends for it (``enqueue``): from the artifact's row while it
    holds that key and hash, else as the triggers copied it in. A text found in neither is left out."""
    rows = db.execute(
        "SELECT t.key, coalesce(t.content, a.content) FROM outbox_texts t "
        "LEFT JOIN artifacts a ON t.content IS NULL AND a.key = t.key AND a.hash = t.hash WHERE t.batch_id = ?",
        (batch_id,),
    )
    return {key: content for key, content in rows if content is not None}


def queued_count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def queue_summary(db: sqlite3.Connection) -> tuple[int, int, str | None]:
    """(batches waiting, the most attempts any took, the last error any met)."""
    count, attempts, error = db.execute("SELECT count(*), max(attempts), max(last_error) FROM outbox").fetchone()
    return int(count), int(attempts or 0), error


def enqueue(
    db: sqlite3.Connection, batch_id: str, changes: str, created_at: str, texts: Iterable[tuple[str, str, str]]
) -> None:
    """Keep a batch until its answer is applied: ``changes`` without their texts, and each text
    (key, hash, text) once: not written while the artifact's row holds that key and hash (the
    usual case: the push read it from there), copied in by the triggers before that row changes
    (triggers.KEPT_TEXT_TRIGGERS). Taken out with the batch (ON DELETE CASCADE)."""
    db.execute("INSERT INTO outbox(batch_id, changes, created_at) VALUES (?, ?, ?)", (batch_id, changes, created_at))
    db.executemany(
        "INSERT INTO outbox_texts(batch_id, key, hash, content) SELECT ?1, ?2, ?3, CASE WHEN EXISTS "
        "(SELECT 1 FROM artifacts a WHERE a.key = ?2 AND a.hash = ?3) THEN NULL ELSE ?4 END",
        [(batch_id, key, digest, text) for key, digest, text in texts],
    )


def mark_failed(db: sqlite3.Connection, batch_id: str, error: str) -> None:
    db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_id = ?", (error, batch_id))


def take(db: sqlite3.Connection, batch_id: str) -> None:
    """A batch out of the outbox (its answer applied), its texts with it (ON DELETE CASCADE)."""
    db.execute("DELETE FROM outbox WHERE batch_id = ?", (batch_id,))
