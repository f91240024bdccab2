"""What git hooks run: ``python -m agentsync.hookrun HOOK [ARGS]``, or its ``main`` (the stubs in ``hooks/``
call ``main`` through ``python -c``, which spares the start of ``runpy``).

Kept light for speed: no click, no rich, nothing remote is imported unless a push needs it, and
a post-* hook that detaches (``agentsync.hookjob``) imports nothing but ``os`` and ``fcntl`` first.
A post-* hook cannot stop Git and must never lose work, so when one fails it prints one
line with a pointer to the log, marks the mirror for repair (the next run rescans) and
exits 0. The pre-commit check blocks the commit when it finds problems.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from agentsync.config import Config
    from agentsync.gitmirror import GitMirrorReport
    from agentsync.gitrepo import GitReader

USAGE = "usage: python -m agentsync.hookrun HOOK [ARGS...]  (HOOK: {names})"


def _say(message: str) -> None:
    """One line for the user: on the terminal, or in the log when the hook runs in the background."""
    from agentsync import hookjob

    if hookjob.in_background():
        import logging

        logging.getLogger("agentsync").warning("%s", message)
        return
    print(f"agentsync: {message}", file=sys.stderr)


def _scan_problems(report: GitMirrorReport) -> None:
    """Files the hook could not mirror: named, never fatal (Git has already done its work)."""
    for problem in report.scan.problems if report.scan else []:
        _say(f"warning: {problem}")


def pre_commit(config: Config, args: list[str]) -> int:
    """Check the staged artifact files (the content being committed)."""
    from agentsync.check import artifact_paths, check
    from agentsync.errors import MirrorError
    from agentsync.gitcli import GitCommandLine
    from agentsync.store import Mirror

    repo = GitCommandLine(config.root)
    staged = repo.staged_paths()
    if not staged:
        return 0
    read = repo.staged_reader(artifact_paths(config, staged))
    try:
        mirror = Mirror.open(config)
    except MirrorError as exc:  # a broken cache must not stop commits; the check narrows instead
        _say(f"warning: {exc}; ids are checked only among the staged files")
        report = check(config, None, staged, read)
    else:
        with mirror:
            report = check(config, mirror, staged, read)
    for problem in report.problems:
        _say(str(problem))
    if report.ok:
        return 0
    _say(f"commit blocked: {len(report.problems)} problem(s) in staged artifacts (AGENTSYNC_SKIP=1 skips the check)")
    return 1


def post_commit(config: Config, args: list[str]) -> int:
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitmirror import mirror_range

    repo = GitCommandLine(config.root)
    head = repo.head_commit()
    _scan_problems(mirror_range(config, repo.parent_of(head) if head else None, head, repo))
    return 0


def post_merge(config: Config, args: list[str]) -> int:
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitmirror import mirror_all, mirror_range

    repo = GitCommandLine(config.root)
    before = repo.resolve("ORIG_HEAD")
    report = mirror_range(config, before, repo.head_commit(), repo) if before else mirror_all(config, repo)
    _scan_problems(report)
    return 0


def post_checkout(config: Config, args: list[str]) -> int:
    """ARGS: previous HEAD, new HEAD, 1 for a branch checkout (0: files checked out from the index)."""
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitmirror import mirror_all, mirror_range

    repo = GitCommandLine(config.root)
    if len(args) >= 3 and args[2] == "1":
        report = mirror_range(config, repo.resolve(args[0]), repo.resolve(args[1]), repo)
    else:
        report = mirror_all(config, repo)  # Git does not say which files; the scan reads only changed ones
    _scan_problems(report)
    return 0


def post_rewrite(config: Config, args: list[str]) -> int:
    """ARGS: ``amend`` or ``rebase``; stdin: ``old new`` commit pairs."""
    pairs = [line.split()[:2] for line in sys.stdin.read().splitlines() if len(line.split()) >= 2]
    return _rewritten(config, args[0] if args else "", pairs)


def _rewritten(config: Config, command: str, pairs: list[list[str]]) -> int:
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitmirror import mirror_all, mirror_range

    repo = GitCommandLine(config.root)
    head = repo.head_commit()
    if command == "rebase":
        before = repo.resolve("ORIG_HEAD")
    elif pairs:
        before = repo.resolve(pairs[-1][0])
    else:
        before = repo.resolve("HEAD@{1}")  # amend, seen without its stdin: the reflog knows
    report = mirror_range(config, before, head, repo) if before else mirror_all(config, repo)
    _scan_problems(report)
    return 0


def framework_mirror(config: Config, args: list[str]) -> int:
    """The pre-commit framework's ``agentsync-mirror``: which post-* stage it is comes from its variables."""
    env = os.environ
    if "PRE_COMMIT_CHECKOUT_TYPE" in env:
        refs = [env.get("PRE_COMMIT_FROM_REF", ""), env.get("PRE_COMMIT_TO_REF", ""), env["PRE_COMMIT_CHECKOUT_TYPE"]]
        return post_checkout(config, refs)
    if "PRE_COMMIT_IS_SQUASH_MERGE" in env:
        return post_merge(config, [env["PRE_COMMIT_IS_SQUASH_MERGE"]])
    if "PRE_COMMIT_REWRITE_COMMAND" in env:
        return _rewritten(config, env["PRE_COMMIT_REWRITE_COMMAND"], [])
    return post_commit(config, args)


def pre_push(config: Config, args: list[str]) -> int:
    """Push artifact edits to the remote before the commits leave; with no remote, nothing to do.

    Artifacts in the commits being pushed that are locked by someone else or have an
    unresolved conflict are named; ``pre_push: block`` in the config stops the push for them.
    An unreachable remote never stops a git push: the batch waits in the outbox.
    """
    from agentsync.remotes import remote_target

    refs = "" if sys.stdin.isatty() else sys.stdin.read()
    if remote_target(config) is None:
        return 0
    from agentsync import synclock
    from agentsync.errors import RemoteError, SyncBusy
    from agentsync.gitcli import GitCommandLine
    from agentsync.gitrepo import user_identity
    from agentsync.remotes import opened
    from agentsync.remotes.retry import HOOK_RETRY
    from agentsync.store import Mirror, artifacts, sync_state
    from agentsync.sync import push

    try:
        # A sync in progress (the watcher's, say) is waited for briefly, then left to do the work.
        with (
            synclock.hold(config, "pre-push hook", wait=synclock.HOOK_WAIT),
            opened(config, HOOK_RETRY) as remote,
            Mirror.open(config) as mirror,
        ):
            report = push(mirror, remote, user_identity(config.root))
            waiting = {row.key: row.message for row in sync_state.conflicts(mirror.connection)}
            paths = artifacts.paths_by_key(mirror.connection)
    except SyncBusy as exc:
        _say(f"pre-push: artifacts not synced now: {exc}; they are sent by that sync or the next push")
        return 0
    except RemoteError as exc:
        _say(f"pre-push: artifacts not synced: {exc} (they are kept and sent by the next push)")
        return 0
    outgoing = _paths_being_pushed(GitCommandLine(config.root), refs)
    for finding in report.refused:
        _say(f"pre-push: not synced: {finding}")
    for problem in report.problems:  # a conflict marker
        _say(f"pre-push: not synced: {problem}")
    for held in report.put_back:
        _say(f"pre-push: held back: {held}")
    problems = [(a.key, f"{a.key} is locked by {a.holder} until {a.expires_at}") for a in report.locked]
    problems += [(i, f"{i} has an unresolved sync conflict: {m}") for i, m in waiting.items()]
    relevant = [text for i, text in problems if outgoing is None or paths.get(i) in outgoing]
    if report.applied:
        _say(f"pushed {len(report.applied)} artifact edit(s) to the remote")
    for text in relevant:
        _say(f"pre-push: {text}")
    if relevant and config.pre_push == "block":
        _say("push stopped (pre_push: block in agentsync.yaml); AGENTSYNC_SKIP=1 pushes anyway")
        return 1
    return 0


def _paths_being_pushed(reader: GitReader, refs: str) -> set[str] | None:
    """Paths the pushed commits change (None: cannot tell, treat everything as pushed)."""
    paths: set[str] = set()
    for line in refs.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        local_sha, remote_sha = parts[1], parts[3]
        if set(local_sha) == {"0"}:
            continue  # a branch deletion carries no files
        base = None if set(remote_sha) == {"0"} else reader.resolve(remote_sha)
        if base is None and set(remote_sha) != {"0"}:
            return None  # the remote's commit is not here: cannot diff
        paths.update(reader.changed_blobs(base, local_sha))
    return paths


HANDLERS: dict[str, Callable[[Config, list[str]], int]] = {
    "pre-commit": pre_commit,
    "post-commit": post_commit,
    "post-merge": post_merge,
    "post-checkout": post_checkout,
    "post-rewrite": post_rewrite,
    "pre-push": pre_push,
    "mirror": framework_mirror,
}


def run(name: str, args: list[str], start: Path | None = None) -> int:
    """Run one hook; return its exit code. Errors are reported here, as hooks have no other caller."""
    from agentsync import config as config_module
    from agentsync.errors import AgentsyncError, ConfigError, NotARepositoryError

    if os.environ.get("AGENTSYNC_SKIP") == "1":
        return 0
    handler = HANDLERS.get(name)
    if handler is None:
        _say(USAGE.format(names=", ".join(HANDLERS)))
        return 2
    blocking = name == "pre-commit"
    try:
        root = config_module.find_root(start)
    except NotARepositoryError as exc:
        _say(f"{name} hook skipped: {exc}")
        return 0
    if not (root / config_module.CONFIG_NAME).is_file():
        missing = config_module.CONFIG_NAME
        _say(f"{name} hook skipped: no {missing} (run `agentsync init`, or `agentsync hooks uninstall`)")
        return 0
    try:
        config = config_module.load(root)
    except ConfigError as exc:
        _say(f"{name} hook: {exc}")
        return 1 if blocking else 0
    try:
        from agentsync.plugins.calls import load_formats

        load_formats(config)  # a plugin's artifact formats read files in the hooks as in the commands
        return handler(config, args)
    except AgentsyncError as exc:
        return _failed(config, name, exc, blocking, expected=True)
    except Exception as exc:
        return _failed(config, name, exc, blocking, expected=False)


def _failed(config: Config, name: str, exc: BaseException, blocking: bool, *, expected: bool) -> int:
    import logging

    from agentsync import log
    from agentsync.gitmirror import mark_for_repair

    path = log.configure(config.state_dir if config.state_dir.is_dir() else None)
    logging.getLogger("agentsync").error("%s hook failed", name, exc_info=exc)
    what = str(exc) if expected else f"{type(exc).__name__}: {exc}"
    if blocking:
        _say(f"{name} hook failed: {what} (details in {path}); AGENTSYNC_SKIP=1 commits without the check")
        return 1
    mark_for_repair(config, f"{name} hook failed: {what}")
    _say(f"{name} hook failed: {what} (details in {path}); the next agentsync run repairs the mirror")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the hook git named; a post-* hook of a project with a mirror finishes in the background
    (``agentsync.hookjob``): Git gets its exit code at once, the work goes on detached."""
    from agentsync import hookjob

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        _say(USAGE.format(names=", ".join(HANDLERS)))
        return 2
    name, args = argv[0], argv[1:]
    state_dir = hookjob.state_dir_above(os.getcwd()) if hookjob.should_detach(name) else None
    if state_dir is None:
        return run(name, args)
    import io

    given = sys.stdin.read() if name == "post-rewrite" and sys.stdin and not sys.stdin.isatty() else ""
    sys.stdin = io.StringIO(given)  # what Git gave the hook, read before forking (the job's stdin is /dev/null)
    try:
        detached = hookjob.detach(state_dir)
    except OSError:  # a read-only state folder, no process left to fork: do the work now
        return run(name, args)
    if not detached:
        return 0  # Git goes on; the job holds the lock every mirror reader waits for
    from pathlib import Path

    from agentsync import log

    log.configure(Path(state_dir))
    return run(name, args)


if __name__ == "__main__":
    sys.exit(main())
