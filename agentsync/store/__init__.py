"""The mirror's store: the only code that runs SQL against the mirror (``.agentsync/agentsync.db``).

``Mirror`` owns the connection and transactions; the modules beside it own one group of
tables each and hand out typed rows.
"""

from __future__ import annotations

from agentsync.store.meta import MetaKey
from agentsync.store.mirror import ArtifactRow, Mirror, SearchHit, ensure_state_dir, select_in

__all__ = ["ArtifactRow", "MetaKey", "Mirror", "SearchHit", "ensure_state_dir", "select_in"]
