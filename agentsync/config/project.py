"""The remote project's default name, read from Git: kept apart from the model so that loading a
config never runs Git (``init`` is the one caller)."""

from __future__ import annotations

from pathlib import Path

from agentsync.config.model import project_name_from


def default_project_name(root: Path) -> str:
    """The repository's name: from the `origin` remote's URL (the same in every clone), else the folder."""
    from agentsync.errors import GitError
    from agentsync.gitrepo import run_git

    try:
        origin = run_git(root, "config", "--get", "remote.origin.url").strip()
    except GitError:  # not a repository, or no origin
        origin = ""
    name = origin.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git") if origin else ""
    return project_name_from(name or root.name)
