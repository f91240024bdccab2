"""The command line. Each command parses its options and calls one ``commands`` module.

Only this module turns errors into exit codes: 0 ok, 1 error, 2 usage. A known error
is one line on stderr; an unexpected one is logged with its traceback, and the line
says where the log is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
def new(type_name: str, title: str) -> int:
    """Create an artifact of TYPE (plan, story, runbook, adr, …) from its template, with a fresh id."""
    from agentsync.commands import new as command

    return command.run(type_name, title)


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
def status(as_json: bool) -> int:
    """Show artifacts whose git fields differ between the work tree and HEAD."""
    from agentsync.commands import status as command

    return command.run(as_json=as_json)


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


@cli.command(name="push")
def push_command() -> int:
    """Send local artifact edits to the remote; each accepted file gets its new `version:`.

    A change the remote has moved past is a conflict (pull, merge, push); one locked by
    someone else waits. Exit 1 if anything was not pushed.
    """
    from agentsync.commands import sync as command

    return command.run_push()


@cli.command(name="pull")
def pull_command() -> int:
    """Fetch remote changes; update files without local edits, record conflicts for the others.

    Git fields (status) are never taken from the remote. Exit 1 if there are conflicts.
    """
    from agentsync.commands import sync as command

    return command.run_pull()


@cli.command(name="fetch")
def fetch_command() -> int:
    """Download remote changes into the mirror without touching files."""
    from agentsync.commands import sync as command

    return command.run_fetch()


@cli.command(name="sync")
def sync_command() -> int:
    """Pull, then push."""
    from agentsync.commands import sync as command

    return command.run_sync()


@cli.command(name="lock")
@click.argument("artifact_id", metavar="ID")
@click.option("--ttl", default="2h", show_default=True, help="How long the lease lasts (90s, 30m, 2h, 1d).")
def lock_command(artifact_id: str, ttl: str) -> int:
    """Take (or renew) a lease on an artifact: others' pushes of it wait until it ends. Exit 1 if held."""
    from agentsync.commands import sync as command

    return command.run_lock(artifact_id, ttl)


@cli.command(name="unlock")
@click.argument("artifact_id", metavar="ID")
@click.option("--force", is_flag=True, help="Break someone else's lock (recorded on the remote).")
def unlock_command(artifact_id: str, force: bool) -> int:
    """Release your lease on an artifact."""
    from agentsync.commands import sync as command

    return command.run_unlock(artifact_id, force)


@cli.command(name="locks")
@click.option("--json", "as_json", is_flag=True, help="Print the locks as JSON.")
def locks_command(as_json: bool) -> int:
    """List the project's current locks."""
    from agentsync.commands import sync as command

    return command.run_locks(as_json=as_json)


@cli.command(name="log")
@click.argument("artifact_id", metavar="ID")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Most versions.")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON (without contents).")
def log_command(artifact_id: str, limit: int, as_json: bool) -> int:
    """Show an artifact's history on the remote: version, time, author."""
    from agentsync.commands import sync as command

    return command.run_log(artifact_id, limit, as_json=as_json)


@cli.command(name="diff")
@click.argument("key", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the texts as JSON.")
def diff_command(key: str, as_json: bool) -> int:
    """Show base, local and remote side by side for a conflict; else the work tree against the
    remote's current version. Exit 1 if they differ."""
    from agentsync.commands import sync as command

    return command.run_diff(key, as_json=as_json)


@cli.command(name="watch")
@click.option(
    "--push/--no-push",
    "push",
    default=None,
    help="Push local changes by themselves after a quiet moment (default: `auto_push` in agentsync.yaml).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(0.2, 3600),
    metavar="SECONDS",
    help="Check the remote's head this often (default: `watch.poll_interval`, 5).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors (everything goes to the log).")
@click.option("--detach", is_flag=True, help="Run in the background; `agentsync watch --stop` stops it.")
@click.option("--stop", is_flag=True, help="Stop the repository's watcher and wait until it has.")
def watch_command(push: bool | None, poll_interval: float | None, quiet: bool, detach: bool, stop: bool) -> int:
    """Mirror every save; pull the remote's changes as they come (at once over PostgreSQL), and with
    --push send local ones. One line per event; Ctrl-C or SIGTERM stops it cleanly."""
    from agentsync.commands import watch as command
    from agentsync.errors import UsageError

    if stop:
        if detach or push is not None or poll_interval is not None:
            raise UsageError("--stop takes no other option")
        return command.run_stop()
    if detach:
        return command.run_detach(push=push, poll_interval=poll_interval)
    return command.run(push=push, poll_interval=poll_interval, quiet=quiet)


@cli.command(name="redact")
@click.argument("key", metavar="ID")
@click.option("--dry-run", is_flag=True, help="Only list what would be replaced.")
def redact_command(key: str, dry_run: bool) -> int:
    """Replace the secrets (and personal data, if scanned) the outbound scan finds in an artifact's file
    with [REDACTED:rule], so that it can be pushed."""
    from agentsync.commands import redact as command

    return command.run(key, dry_run=dry_run)


@cli.command(name="audit")
@click.option("--author", help="Only changes by this author (an email, as recorded).")
@click.option("--since", metavar="WHEN", help="Only changes since a date or time (2026-11-01) or an age (12h, 7d).")
@click.option("-n", "--limit", default=100, show_default=True, type=click.IntRange(1, 10_000), help="Most entries.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def audit_command(author: str | None, since: str | None, limit: int, as_json: bool) -> int:
    """Who changed what and when: the remote's append-only history of the project, newest first."""
    from agentsync.commands import audit as command

    return command.run(author=author, since=since, limit=limit, as_json=as_json)


@cli.command(name="purge")
@click.option("--author", required=True, metavar="EMAIL", help="Whose data to erase, as recorded (see `audit`).")
@click.option("--dry-run", is_flag=True, help="Only show what would be done.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def purge_command(author: str, dry_run: bool, yes: bool, as_json: bool) -> int:
    """Erase a person's data from the project on the remote (needs the service role): their old
    versions' contents go, and their name is replaced wherever an artifact must remain. Shows what
    it will do first."""
    from agentsync.commands import purge as command

    return command.run(author, dry_run=dry_run, yes=yes, as_json=as_json)


@cli.group(name="clients", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the clones as JSON.")
@click.pass_context
def clients_command(ctx: click.Context, as_json: bool) -> int | None:
    """The clones of the project that synced with the remote: user, host, version, last sync, lag."""
    if ctx.invoked_subcommand is not None:
        return None
    from agentsync.commands import clients as command

    return command.run_list(as_json=as_json)


@clients_command.command(name="remove")
@click.argument("client", metavar="ID")
def clients_remove(client: str) -> int:
    """Retire a clone that is gone (by its id, or a unique prefix of it)."""
    from agentsync.commands import clients as command

    return command.run_remove(client)


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


@cli.group()
def remote() -> None:
    """Manage the shared remote (PostgreSQL or Supabase)."""


@remote.command(name="migrate")
@click.option("--db-url", help="postgresql:// URL (default: the AGENTSYNC_DATABASE_URL environment variable).")
def remote_migrate(db_url: str | None) -> int:
    """Apply the sql/ migrations the remote database is missing, and record them.

    Refuses a database whose schema is newer than this agentsync. Prefer the environment
    variable to --db-url when the URL holds a password (shell history keeps arguments).
    """
    from agentsync.commands import remote as command

    return command.run_migrate(db_url)


@remote.command(name="add")
@click.argument("name")
@click.argument("url")
@click.option("--default", "make_default", is_flag=True, help="Make push and pull use this remote.")
def remote_add(name: str, url: str, make_default: bool) -> int:
    """Name a remote in agentsync.yaml: `local`, postgresql://HOST/DB or https://PROJECT.supabase.co.

    Passwords and keys never go in the URL: use PGPASSWORD or AGENTSYNC_DATABASE_URL for
    PostgreSQL, SUPABASE_SERVICE_ROLE_KEY or SUPABASE_ANON_KEY plus SUPABASE_ACCESS_TOKEN for Supabase.
    """
    from agentsync.commands import remote as command

    return command.run_add(name, url, make_default=make_default)


@remote.command(name="use")
@click.argument("name")
def remote_use(name: str) -> int:
    """Make push and pull use the remote NAME (`local` or a name from `agentsync remote show`)."""
    from agentsync.commands import remote as command

    return command.run_use(name)


@remote.command(name="remove")
@click.argument("name")
def remote_remove(name: str) -> int:
    """Remove a named remote from agentsync.yaml (if it was in use, push and pull go back to `local`)."""
    from agentsync.commands import remote as command

    return command.run_remove(name)


@remote.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def remote_show(as_json: bool) -> int:
    """List the remotes, mark the one in use, and say which credential variables are set."""
    from agentsync.commands import remote as command

    return command.run_show(as_json=as_json)


@remote.command(name="reset")
@click.option(
    "--drop-queued", is_flag=True, help="Also drop batches waiting in the outbox (their edits stay in the files)."
)
def remote_reset(drop_queued: bool) -> int:
    """Forget this clone's sync state (versions agreed, cursor, conflicts) to start over with another remote.

    Files are not touched; the next push sends every artifact as new.
    """
    from agentsync.commands import remote as command

    return command.run_reset(drop_queued=drop_queued)


@cli.command()
@click.option("--config", "remove_config", is_flag=True, help="Remove agentsync.yaml too.")
def deinit(remove_config: bool) -> int:
    """Go back to plain Markdown: remove the hooks (restoring yours) and the mirror. Files stay as they are."""
    from agentsync.commands import deinit as command

    return command.run(remove_config=remove_config)


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
    from agentsync import terminal

    started_in = os.getcwd()
    try:
        with terminal.escaping():  # nothing a file or the remote holds reaches the terminal raw
            return _run(argv)
    finally:
        os.chdir(started_in)  # -C moved the process; a caller in the same process (tests) stays put


def _redacted(exc: BaseException) -> str:
    """An error as shown: never a password, key or token (agentsync.secrets), whoever raised it."""
    from agentsync.secrets import redact

    return redact(str(exc))


def _run(argv: list[str] | None) -> int:
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
        click.echo(f"agentsync: error: {_redacted(exc)}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("agentsync: interrupted", err=True)
        return 130
    except Exception as exc:
        from agentsync.diskfull import from_exception

        full = from_exception(exc)  # a write that slipped past its writer's own check: one line, no log
        if full is not None:
            click.echo(f"agentsync: error: {full}", err=True)
            return 1
        path = _log_unexpected(exc, Path.cwd())  # the -C folder, if one was given
        click.echo(f"agentsync: unexpected error: {type(exc).__name__}: {_redacted(exc)} (details in {path})", err=True)
        return 1
    if isinstance(result, int):
        return result
    return 0
