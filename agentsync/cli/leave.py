"""How the ``agentsync`` process ends. Python's teardown of a command's modules takes about 10 ms
(a tenth of a ``status``) and has nothing left to do when the run registered no exit handler
(``atexit``: logging, coverage and the like do), no thread that is no daemon still runs, no
profiler, tracer or ``python -i`` waits for the run to return, and both output streams flush:
those are all the ways work could still be pending, since every file and SQLite connection
agentsync opens is closed by a ``with`` before ``main`` returns. Then the process leaves at once
(``os._exit``); otherwise through ``SystemExit``, as Python always does."""

from __future__ import annotations

import atexit
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import NoReturn


def leave(code: int) -> NoReturn:
    """End the process with ``code``."""
    if _nothing_pending():
        try:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    stream.flush()
        except Exception:
            pass  # Python's own exit reports it (a closed pipe: exit 120 and its message)
        else:
            os._exit(code)
    raise SystemExit(code)


def _nothing_pending() -> bool:
    """No exit handler registered, no thread but daemons and this one alive, and nothing watching
    the run that expects it back (a profiler such as ``python -m cProfile``, a tracer or debugger,
    ``python -i``), nor ``-X dev``, whose teardown reports what was left unclosed."""
    count = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere: the ordinary exit
    if count is None or count() != 0:
        return False
    if sys.getprofile() is not None or sys.gettrace() is not None or sys.flags.interactive or sys.flags.dev_mode:
        return False
    threading = sys.modules.get("threading")
    if threading is None:
        return True
    main = threading.main_thread()
    return all(thread.daemon or thread is main for thread in threading.enumerate())
