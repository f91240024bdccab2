"""The commands that talk to the shared remote: push, pull, fetch, sync, locks, history, diff,
the watcher, the project's audit and purge, its clones, and the naming of remotes (``remote``).

Each one parses its options and calls one ``agentsync.commands`` module, imported when it runs.
"""

from __future__ import annotations

import click

from agentsync.cli.group import cli


@cli.command(name="push")
@click.option("--restored", is_flag=True,
              help="Also send files Git put back (git stash, checkout, reset) since a newer version arrived: "
                   "that undoes the newer version in every clone.")  # fmt: skip
def push_command(restored: bool) -> int:
    """Send local artifact edits to the remote; each accepted file gets its new `version:`.

    A change the remote has moved past is a conflict (pull, merge, push); one locked by
    someone else waits. A file Git put back since this clone got a newer version (a
    teammate's, or its own) is held back: `git stash pop` brings the version back. Exit 1
    if anything was not pushed.
    """
    from agentsync.commands import sync as command

    return command.run_push(restored=restored)


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


@cli.group(name="local")
def local_group() -> None:
    """The embedded PostgreSQL behind the `local` remote (one per user, shared by every clone on the machine)."""


@local_group.command(name="start")
def local_start_command() -> int:
    """Start the local remote (push and pull start it by themselves when needed)."""
    from agentsync.commands import local as command

    return command.run_start()


@local_group.command(name="stop")
def local_stop_command() -> int:
    """Stop the local remote (the next push or pull starts it again)."""
    from agentsync.commands import local as command

    return command.run_stop()


@local_group.command(name="status")
def local_status_command() -> int:
    """Whether the local remote runs, and where it keeps its data."""
    from agentsync.commands import local as command

    return command.run_status()
