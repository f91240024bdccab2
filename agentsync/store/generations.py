"""The comparison generation (migration 16): a random number drawn anew with every change to a row
the mirror's comparisons read (``status``: the git fields against HEAD, what a push would send,
what a pull would apply), so that what they found can be kept beside the mirror (agentsync.comparison)
and trusted while it stands still. Random, not counted: a mirror restored from a copy does not come
back to a number a kept answer holds.

The ``artifacts`` table's triggers draw it (triggers.COMPARE_TRIGGERS: that table has triggers
already). The tables a pull or push fills by the thousand (``git_heads``, ``sync_base``,
``remote_rows``, ``conflicts``, ``quarantine``) have none: a trigger makes SQLite keep a statement
journal of every row inserted, texts included (storing 10,000 fetched and agreed rows: 0.15 s ->
0.45 s); the store's functions that write them call ``renew`` instead, once per call
(tests/store/test_generations.py holds every such function to it).
"""

from __future__ import annotations

import sqlite3


def compare_generation(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT value FROM compare_generation").fetchone()[0])


def renew(db: sqlite3.Connection) -> None:
    """Draw a new comparison generation: call it with every write to a compared table without triggers."""
    db.execute("UPDATE compare_generation SET value = random()")
