"""Finding the repository a command runs in: the folder that holds agentsync.yaml (else a .git)."""

from __future__ import annotations

from pathlib import Path

from agentsync.config.model import CONFIG_NAME
from agentsync.errors import NotARepositoryError


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding agentsync.yaml (else a .git)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    raise NotARepositoryError(f"no {CONFIG_NAME} or git repository at or above {here}; run `agentsync init` in one")


def init_root(start: Path | None = None) -> Path:
    """The folder ``init`` sets up: the nearest at or above ``start`` with agentsync.yaml or a .git,
    else ``start`` itself (a folder outside any repository can be initialised too)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file() or (folder / ".git").exists():
            return folder
    return here
