"""The command line. Each command parses its options and calls one ``commands`` module.

Only this module turns errors into exit codes: 0 ok, 1 error, 2 usage. A known error
is one line on stderr; an unexpected one is logged with its traceback, and the line
says where the log is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from agentsync import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _directory(ctx: click.Context) -> Path | None:
    value = ctx.find_root().params.get("directory")
    return Path(value) if value else None


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="agentsync")
@click.option(
    "-C", "directory", type=click.Path(file_okay=False, exists=True), help="Run as if started in this folder."
)
def cli(directory: str | None) -> None:
    """Mirror a repository's Markdown plans, stories and runbooks into SQLite, and back.

    Start with `agentsync init` at the root of a repository.
    """


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> int:
    """Write agentsync.yaml (if missing), create .agentsync/ and build the mirror."""
    from agentsync.commands import init as command

    return command.run(_directory(ctx))


@cli.command()
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something failed.")
@click.option("-v", "--verbose", is_flag=True, help="List every added, updated, renamed and deleted file.")
@click.pass_context
def mirror(ctx: click.Context, quiet: bool, verbose: bool) -> int:
    """Scan the artifact globs and bring the mirror up to date (only changed files are read)."""
    from agentsync.commands import mirror as command

    return command.run(_directory(ctx), quiet=quiet, verbose=verbose)


@cli.command(name="ls")
@click.option("-t", "--type", "type_name", help="Only artifacts of this type (plan, story, …).")
@click.option("-s", "--status", help="Only artifacts with this status (case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (stable keys).")
@click.pass_context
def ls_command(ctx: click.Context, type_name: str | None, status: str | None, as_json: bool) -> int:
    """List mirrored artifacts: id, type, status and title."""
    from agentsync.commands import listing

    return listing.run_ls(_directory(ctx), type_name=type_name, status=status, as_json=as_json)


@cli.command()
@click.argument("key", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print metadata, fields and content as JSON.")
@click.pass_context
def show(ctx: click.Context, key: str, as_json: bool) -> int:
    """Show one artifact (by id or path) from the mirror."""
    from agentsync.commands import listing

    return listing.run_show(_directory(ctx), key, as_json=as_json)


@cli.command()
@click.argument("text")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Most hits.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
@click.pass_context
def search(ctx: click.Context, text: str, limit: int, as_json: bool) -> int:
    """Full-text search of titles and content (FTS5 syntax, or plain words). Exit 1 if nothing matches."""
    from agentsync.commands import search as command

    return command.run_search(_directory(ctx), text, limit=limit, as_json=as_json)


@cli.command()
@click.argument("sql")
@click.option("--json", "output", flag_value="json", help="Print rows as JSON objects.")
@click.option("--csv", "output", flag_value="csv", help="Print rows as CSV.")
@click.pass_context
def query(ctx: click.Context, sql: str, output: str | None) -> int:
    """Run read-only SQL against the mirror (tables: artifacts, artifacts_fts, problems)."""
    from agentsync.commands import search as command

    return command.run_query(_directory(ctx), sql, output=output or "tsv")


@cli.command()
@click.argument("type_name", metavar="TYPE")
@click.argument("title")
@click.pass_context
def new(ctx: click.Context, type_name: str, title: str) -> int:
    """Create an artifact of TYPE (plan, story, runbook, adr, …) from its template, with a fresh id."""
    from agentsync.commands import new as command

    return command.run(_directory(ctx), type_name, title)


@cli.command(name="export")
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), help="Write all artifacts under this folder.")
@click.option("--bundle", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON Lines bundle.")
@click.option("--force", is_flag=True, help="Overwrite work-tree files edited since they were mirrored.")
@click.pass_context
def export_command(ctx: click.Context, to: Path | None, bundle: Path | None, force: bool) -> int:
    """Write the mirror back out: into the work tree (default), a folder, or a bundle."""
    from agentsync.commands import transfer

    return transfer.run_export(_directory(ctx), to=to, bundle=bundle, force=force)


@cli.command(name="import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Restore a bundle.")
@click.option("--force", is_flag=True, help="With --bundle: overwrite files whose content differs.")
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[str, ...], bundle: Path | None, force: bool) -> int:
    """Read files (all artifacts, or just PATHS) or a bundle into the mirror."""
    from agentsync.commands import transfer

    return transfer.run_import(_directory(ctx), paths, bundle=bundle, force=force)


def _log_unexpected(exc: BaseException, directory: Path | None) -> Path:
    import logging

    from agentsync import log

    state_dir = None
    try:
        from agentsync.config import STATE_DIR, find_root

        state_dir = find_root(directory) / STATE_DIR
    except Exception:
        state_dir = None
    path = log.configure(state_dir)
    logging.getLogger("agentsync").error("unexpected error", exc_info=exc)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return its exit code (0 ok, 1 error, 2 usage)."""
    from agentsync.errors import AgentsyncError, UsageError

    try:
        result: Any = cli.main(args=argv, prog_name="agentsync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("agentsync: aborted", err=True)
        return 1
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        exc.show()
        return 1
    except UsageError as exc:
        click.echo(f"agentsync: usage: {exc}", err=True)
        return 2
    except AgentsyncError as exc:
        click.echo(f"agentsync: error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("agentsync: interrupted", err=True)
        return 130
    except Exception as exc:
        args = sys.argv[1:] if argv is None else argv
        directory = None
        if "-C" in args and args.index("-C") + 1 < len(args):
            directory = Path(args[args.index("-C") + 1])
        path = _log_unexpected(exc, directory)
        click.echo(f"agentsync: unexpected error: {type(exc).__name__}: {exc} (details in {path})", err=True)
        return 1
    if isinstance(result, int):
        return result
    return 0
