"""The mirror's store: the only code that runs SQL against the mirror (``.agentsync/agentsync.db``).

``Mirror`` owns the connection and transactions; the modules beside it own one group of
tables each (``artifacts``, ``heads``, ``meta``, ``sync_state``) and hand out typed rows.
"""

from __future__ import annotations

from agentsync.store.artifacts import ArtifactRow, ProblemRow, Record, SearchHit
from agentsync.store.heads import HeadRow
from agentsync.store.meta import MetaKey
from agentsync.store.mirror import Mirror, ensure_state_dir
from agentsync.store.query import select_in

__all__ = [
    "ArtifactRow",
    "HeadRow",
    "MetaKey",
    "Mirror",
    "ProblemRow",
    "Record",
    "SearchHit",
    "ensure_state_dir",
    "select_in",
]
