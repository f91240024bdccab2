"""The commands that work on this clone: the mirror, the work tree, Git and its hooks, conflicts,
and the checks of the whole setup (``doctor``, ``stats``).

Each one parses its options and calls one ``agentsync.commands`` module, imported when it runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from agentsync.cli.group import cli


@cli.command()
def init() -> int:
    """Write agentsync.yaml (if missing), create .agentsync/ and build the mirror."""
    from agentsync.commands import init as command

    return command.run()


@cli.command()
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something failed.")
@click.option("-v", "--verbose", is_flag=True, help="List every added, updated, renamed and deleted file.")
def mirror(quiet: bool, verbose: bool) -> int:
    """Scan the artifact globs and bring the mirror up to date (only changed files are read)."""
    from agentsync.commands import mirror as command

    return command.run(quiet=quiet, verbose=verbose)


@cli.command(name="ls")
@click.option("-t", "--type", "type_name", help="Only artifacts of this type (plan, story, …).")
@click.option("-s", "--status", help="Only artifacts with this status (case-insensitive).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (stable keys).")
def ls_command(type_name: str | None, status: str | None, as_json: bool) -> int:
    """List mirrored artifacts: id, type, status and title."""
    from agentsync.commands import listing

    return listing.run_ls(type_name=type_name, status=status, as_json=as_json)


@cli.command()
@click.argument("key", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print metadata, fields and content as JSON.")
def show(key: str, as_json: bool) -> int:
    """Show one artifact (by id or path) from the mirror."""
    from agentsync.commands import listing

    return listing.run_show(key, as_json=as_json)


@cli.command()
@click.argument("text")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Most hits.")
@click.option("--json", "as_json", is_flag=True, help="Print hits as JSON.")
def search(text: str, limit: int, as_json: bool) -> int:
    """Full-text search of titles and content (FTS5 syntax, or plain words). Exit 1 if nothing matches."""
    from agentsync.commands import search as command

    return command.run_search(text, limit=limit, as_json=as_json)


@cli.command()
@click.argument("sql")
@click.option("--json", "output", flag_value="json", help="Print rows as JSON objects.")
@click.option("--csv", "output", flag_value="csv", help="Print rows as CSV.")
def query(sql: str, output: str | None) -> int:
    """Run read-only SQL against the mirror (tables: artifacts, artifacts_fts, problems)."""
    from agentsync.commands import search as command

    return command.run_query(sql, output=output or "tsv")


@cli.command()
@click.argument("type_name", metavar="TYPE")
@click.argument("title")
@click.option(
    "--in", "within", metavar="FOLDER",
    help="Put it into this existing record folder (an OpenSpec change, a Spec Kit feature); a delta spec there "
    "is named by TITLE: --in add-dark-mode writes openspec/changes/add-dark-mode/specs/TITLE/spec.md.",
)  # fmt: skip
def new(type_name: str, title: str, within: str | None) -> int:
    """Create an artifact of TYPE (plan, story, runbook, adr, …) from its template, with a fresh id."""
    from agentsync.commands import new as command

    return command.run(type_name, title, within=within)


@cli.command(name="export")
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), help="Write all artifacts under this folder.")
@click.option("--bundle", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON Lines bundle.")
@click.option("--force", is_flag=True, help="Overwrite work-tree files edited since they were mirrored.")
@click.option("--commit", is_flag=True, help="Commit exactly the artifact files written (nothing else may be staged).")
@click.option("-m", "--message", help="The commit message for --commit.")
def export_command(to: Path | None, bundle: Path | None, force: bool, commit: bool, message: str | None) -> int:
    """Write the mirror back out: into the work tree (default), a folder, or a bundle.

    Git fields (status by default) always keep Git's value: a different value in the
    mirror is reported, not written.
    """
    from agentsync.commands import transfer

    return transfer.run_export(to=to, bundle=bundle, force=force, commit=commit, message=message)


@cli.command(name="import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--bundle", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Restore a bundle.")
@click.option("--force", is_flag=True, help="With --bundle: overwrite files whose content differs.")
def import_command(paths: tuple[str, ...], bundle: Path | None, force: bool) -> int:
    """Read files (all artifacts, or just PATHS) or a bundle into the mirror."""
    from agentsync.commands import transfer

    return transfer.run_import(paths, bundle=bundle, force=force)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--staged", is_flag=True, help="Check the staged content of staged artifact files (as a commit would).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(paths: tuple[str, ...], staged: bool, as_json: bool) -> int:
    """Check artifact files before they are committed (all of them, PATHS, or --staged).

    Frontmatter parses, required keys are present, ids are unique, no sync conflict
    markers remain, and git fields hold allowed values. Exit 1 if anything fails.
    """
    from agentsync.commands import check as command

    return command.run(paths, staged=staged, as_json=as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--remote", "ask_remote", is_flag=True, help="Also ask the remote for its head, lag and locks.")
def status(as_json: bool, ask_remote: bool) -> int:
    """Show artifacts whose git fields differ between the work tree and HEAD, and where this clone stands.

    Answers from the mirror, offline, as `git status` does from the last fetch: what is edited here
    and what the last pull fetched. With --remote it also asks the remote (its head, the lag, locks).
    """
    from agentsync.commands import status as command

    return command.run(as_json=as_json, ask_remote=ask_remote)


@cli.group()
def hooks() -> None:
    """Install, remove or inspect agentsync's git hooks."""


@hooks.command(name="install")
def hooks_install() -> int:
    """Install the hooks (pre-commit, post-commit, post-merge, post-checkout, post-rewrite, pre-push).

    A hook of your own that is already there is kept and still runs first.
    """
    from agentsync.commands import hooks as command

    return command.run_install()


@hooks.command(name="uninstall")
def hooks_uninstall() -> int:
    """Remove agentsync's hooks and put back the hooks they chained."""
    from agentsync.commands import hooks as command

    return command.run_uninstall()


@hooks.command(name="status")
def hooks_status() -> int:
    """Say which hooks are installed and whether they are current (exit 1 if not all are)."""
    from agentsync.commands import hooks as command

    return command.run_status()


@cli.command(name="hook-run", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook_run(name: str, args: tuple[str, ...]) -> int:
    """Run one git hook's work (what the installed stubs and the pre-commit framework call)."""
    from agentsync import hookrun

    return hookrun.run(name, list(args))


@cli.command(name="redact")
@click.argument("key", metavar="ID")
@click.option("--dry-run", is_flag=True, help="Only list what would be replaced.")
def redact_command(key: str, dry_run: bool) -> int:
    """Replace the secrets (and personal data, if scanned) the outbound scan finds in an artifact's file
    with [REDACTED:rule], so that it can be pushed."""
    from agentsync.commands import redact as command

    return command.run(key, dry_run=dry_run)


@cli.command(name="doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor_command(as_json: bool) -> int:
    """Check the config, hooks, mirror, queue, remote (reachable, schema, credentials) and watcher,
    and say what to fix. Exit 1 if anything needs fixing."""
    from agentsync.commands import doctor as command

    return command.run(as_json=as_json)


@cli.command(name="stats")
@click.option("--last", default=200, show_default=True, type=click.IntRange(1, 1000), help="Operations to cover.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats_command(last: int, as_json: bool) -> int:
    """How sync behaved here over recent runs: durations, artifacts pushed and pulled, conflicts,
    errors, the queue and the lag."""
    from agentsync.commands import stats as command

    return command.run(last=last, as_json=as_json)


@cli.command(name="conflicts")
@click.option("--json", "as_json", is_flag=True, help="Print the conflicts as JSON.")
def conflicts_command(as_json: bool) -> int:
    """List artifacts whose sync conflict waits for you (exit 1 if there are any)."""
    from agentsync.commands import resolve as command

    return command.run_conflicts(as_json=as_json)


@cli.command(name="resolve")
@click.argument("key", metavar="ID")
@click.option("--ours", "side", flag_value="ours", help="Keep your version (based on the remote's version).")
@click.option("--theirs", "side", flag_value="theirs", help="Take the remote's version.")
@click.option("--merged", "side", flag_value="merged", help="Accept the file as you merged it (no markers left).")
@click.option("--edit", is_flag=True, help="Open $EDITOR on the marked file, then accept it as merged.")
def resolve_command(key: str, side: str | None, edit: bool) -> int:
    """Settle a conflict: take a side, or accept the file once its markers are edited out.

    The result is based on the remote's version; if it differs from it, `agentsync push` sends it.
    """
    from agentsync.commands import resolve as command

    return command.run_resolve(key, side, edit=edit)


@cli.command()
@click.option("--config", "remove_config", is_flag=True, help="Remove agentsync.yaml too.")
def deinit(remove_config: bool) -> int:
    """Go back to plain Markdown: remove the hooks (restoring yours) and the mirror. Files stay as they are."""
    from agentsync.commands import deinit as command

    return command.run(remove_config=remove_config)
