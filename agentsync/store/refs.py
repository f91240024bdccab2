"""What a user means by an artifact reference: the one place an ``ID``, a ``TYPE:ID`` or a path
typed on a command line (or sent by a plugin, the MCP server or the board) becomes a key.

Every command that takes an artifact (show, lock, unlock, log, diff, resolve, …) calls
``resolve`` (or ``Mirror.resolve``, which raises when nothing matches). The rules, in order:

1. ``TYPE:ID`` of an artifact this clone knows (mirrored, agreed with or fetched from the remote);
2. the path of a mirrored artifact;
3. an id: the one artifact of any type with that id; artifacts of several types with it are
   ambiguous (``AmbiguousReferenceError`` lists their keys, and ``TYPE:ID`` selects one);
4. the same, ignoring case, among mirrored artifacts;
5. ``TYPE:ID`` whose type is a known one (configured or mirrored), though no artifact here has
   it: a remote artifact not fetched yet (``lock`` and ``log`` ask the remote).

Else nothing (``None``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Literal

from agentsync.errors import AmbiguousReferenceError
from agentsync.identity import split_key

# Tables whose rows name artifacts by key (each has ``key`` and ``path``): what is mirrored, and
# what the remote has or had.
TABLES = ("artifacts", "sync_base", "remote_rows", "conflicts", "quarantine")
Among = Literal["artifacts", "sync_base", "remote_rows", "conflicts", "quarantine"]


def resolve(db: sqlite3.Connection, text: str, types: Collection[str] = (), among: Among | None = None) -> str | None:
    """The key ``text`` names (see the module's rules), or None; raise ``AmbiguousReferenceError``
    when it is an id that artifacts of several types share. ``among`` looks in one table only
    (``resolve`` of a conflict: an id is ambiguous only among open conflicts)."""
    reference = text.strip()
    tables = TABLES if among is None else (among,)
    if not reference:
        return None
    if ":" in reference and any(
        db.execute(f"SELECT 1 FROM {t} WHERE key = ?", (reference,)).fetchone() for t in tables
    ):
        return reference
    path = reference.removeprefix("./")
    for table in tables[:1] if among is None else tables:  # by path: the mirrored file (or the conflict's)
        found = db.execute(f"SELECT key FROM {table} WHERE path = ?", (path,)).fetchone()
        if found is not None:
            return str(found[0])
    for keys in (_keys_with_id(db, reference, tables), _keys_with_id(db, reference, tables[:1], nocase=True)):
        if len(keys) == 1:
            return keys[0]
        if keys:
            raise AmbiguousReferenceError(reference, keys)
    identity = split_key(reference)
    known = set(types) | {row[0] for row in db.execute("SELECT DISTINCT type FROM artifacts")}
    if among is None and identity.type and identity.id and identity.type in known:
        return reference
    return None


def _keys_with_id(
    db: sqlite3.Connection, artifact_id: str, tables: Sequence[str], *, nocase: bool = False
) -> list[str]:
    """Every key with this id in ``tables`` (the mirror's through its id index; the others are a few
    thousand rows at most, and a reference is typed by hand)."""
    keys: set[str] = set()
    suffix = f":{artifact_id}"
    for table in tables:
        if table == "artifacts":
            collate = " COLLATE NOCASE" if nocase else ""
            keys.update(
                row[0] for row in db.execute(f"SELECT key FROM artifacts WHERE id = ?{collate}", (artifact_id,))
            )
        elif not nocase:
            keys.update(row[0] for row in db.execute(
                f"SELECT key FROM {table} WHERE substr(key, -?) = ? AND instr(key, ':') = length(key) - ? + 1",
                (len(suffix), suffix, len(suffix))))  # fmt: skip
    return sorted(keys)
