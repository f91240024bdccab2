"""``agentsync deinit``: back to plain Markdown. The hooks go (chained ones are put back), the state
folder (mirror and log) goes, agentsync.yaml goes if asked; the Markdown files stay as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from agentsync.hooks import HookChange


@dataclass
class Deinit:
    hooks: list[HookChange] = field(default_factory=list)
    hooks_skipped: str | None = None  # why there were no hooks to remove (not a git repository)
    removed_state: bool = False
    config: Literal["removed", "kept"] | None = None  # None: there was none


def deinit(*, remove_config: bool) -> Deinit:
    """Undo ``init`` and ``hooks install`` for the repository around the current folder."""
    import shutil

    from agentsync import hooks
    from agentsync.config import CONFIG_NAME, STATE_DIR, find_root
    from agentsync.errors import AgentsyncError
    from agentsync.gitrepo import disable_autostash

    root = find_root()
    done = Deinit()
    try:
        done.hooks = hooks.uninstall(root)
        disable_autostash(root)  # what `hooks install` turned on for git pull
    except AgentsyncError as exc:  # not a git repository: there are no hooks to remove
        done.hooks_skipped = str(exc)
    state = root / STATE_DIR
    if state.is_dir():
        shutil.rmtree(state)
        done.removed_state = True
    config = root / CONFIG_NAME
    if remove_config and config.is_file():
        config.unlink()
        done.config = "removed"
    elif config.is_file():
        done.config = "kept"
    return done
