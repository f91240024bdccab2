"""Post-* hooks finish in the background, so a commit, checkout or merge returns as soon as Git is done.

What a post-commit, post-merge, post-checkout or post-rewrite hook does is only a head start:
every command that reads the mirror brings it up to date itself (a stat-first scan, HEAD's
git-field values diffed from the commit they are for). So the hook process takes the job lock
(``.agentsync/hook.lock``, an exclusive ``flock``), forks, and its parent returns to Git at once;
the child keeps the lock until its work is committed. ``Mirror.open`` in any other process waits
for that lock first, so whatever runs after ``git commit`` returns sees the commit mirrored, as
if the hook had finished in the foreground. Jobs run one at a time and in order: a hook started
while one is running waits for it before it detaches. The lock goes with its process, so a job
that crashes or is killed never leaves readers waiting.

``AGENTSYNC_HOOK_WAIT=1`` keeps a hook in the foreground (its messages then reach the terminal;
in the background they go to the log). Without ``fork`` and ``flock`` (Windows) hooks always run
in the foreground. Only the standard library is imported here: this runs before anything else.
"""

from __future__ import annotations

import os
import sys
import time

LOCK_NAME = "hook.lock"
WAIT_VARIABLE = "AGENTSYNC_HOOK_WAIT"
BACKGROUND_HOOKS = frozenset({"post-commit", "post-merge", "post-checkout", "post-rewrite"})
READER_WAIT_SECONDS = 60.0  # a post-checkout of a large tree can take seconds; never forever
_POLL_SECONDS = 0.005

_held_here = False  # this process is a detached job: it holds the lock its own mirror opens must not wait on


def state_dir_above(start: str) -> str | None:
    """The ``.agentsync`` folder of the nearest project at or above ``start`` (None: none yet).

    The same search as ``config.find_root`` for agentsync.yaml, with ``os.path`` only: a hook
    whose project has no mirror yet runs in the foreground (the first build says what it did).
    """
    folder = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(folder, "agentsync.yaml")):
            state = os.path.join(folder, ".agentsync")
            return state if os.path.isdir(state) else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def should_detach(hook: str) -> bool:
    return (
        hook in BACKGROUND_HOOKS
        and os.environ.get(WAIT_VARIABLE) != "1"
        and os.environ.get("AGENTSYNC_SKIP") != "1"
        and hasattr(os, "fork")
        and _has_flock()
    )


def _has_flock() -> bool:
    try:
        import fcntl  # noqa: F401  (POSIX only)
    except ImportError:
        return False
    return True


def detach(state_dir: str) -> bool:
    """Take the job lock and fork. Returns False in the parent (which should exit 0 at once) and
    True in the child, which runs the hook detached from Git: its own session, standard streams
    on /dev/null (nothing holds Git's pipes open), the lock held until it exits. Raises OSError
    (holding nothing) when the lock file cannot be made or no process can be forked."""
    import fcntl

    global _held_here
    descriptor = os.open(os.path.join(state_dir, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)  # a job still running finishes first: jobs keep their order
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        child = os.fork()
    except OSError:
        os.close(descriptor)  # releases the lock: the caller runs the hook in the foreground
        raise
    if child != 0:
        os.close(descriptor)  # the child's copy keeps the lock
        return False
    os.setsid()  # Ctrl-C or a closed terminal after Git returned do not stop the job halfway
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    os.close(null)
    _held_here = True
    return True


def wait_for_job(state_dir: os.PathLike[str] | str, timeout: float = READER_WAIT_SECONDS) -> bool:
    """Wait until no detached hook job of this project runs (at most ``timeout`` seconds).

    Returns False when it gave up waiting. A process that is itself the job does not wait.
    """
    if _held_here:
        return True
    try:
        import fcntl
    except ImportError:
        return True
    try:
        descriptor = os.open(os.path.join(state_dir, LOCK_NAME), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return True  # no job ever ran here (or the folder is not there yet)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return True  # closing the descriptor releases it
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(_POLL_SECONDS)
    finally:
        os.close(descriptor)


def in_background() -> bool:
    """True in a detached job: messages go to the log, not to a terminal nobody reads."""
    return _held_here
