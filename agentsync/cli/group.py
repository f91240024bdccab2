"""The root ``agentsync`` group: its global options (``-C``, ``--log-format``), on which every
command module registers its commands."""

from __future__ import annotations

import os

import click

from agentsync import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="agentsync")
@click.option(
    "-C", "directory", type=click.Path(file_okay=False, exists=True), help="Run as if started in this folder."
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    help="Lines of the log file (default: $AGENTSYNC_LOG_FORMAT, text).",
)
def cli(directory: str | None, log_format: str | None) -> None:
    """Mirror a repository's Markdown plans, stories and runbooks into SQLite, and back.

    Start with `agentsync init` at the root of a repository.
    """
    if directory:
        os.chdir(directory)  # paths given to commands are relative to it, as with git -C
    if log_format:
        os.environ["AGENTSYNC_LOG_FORMAT"] = log_format  # this process and what it starts (a detached watcher)
