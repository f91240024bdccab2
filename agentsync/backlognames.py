"""How Backlog.md names and starts its records: ``back-636 - Fail-closed-on-x.md`` (the id in lower
case, `` - ``, the title with its own character rules), the id prefix in the case its ``id:`` lines
write it, the layout of a task, decision or document, and the status its config gives a new task."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from agentsync.recordfolders import record_names

_BACKLOG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z]+)*-[0-9]+ - .")  # back-636 - Fail-closed-on-x


def backlog_folder(folder: str, paths: Iterable[str]) -> bool:
    """Whether most of ``folder``'s records are named as Backlog.md names them: the id in lower
    case, `` - ``, the title (``back-636 - Fail-closed-on-ambiguous-draft-identities.md``)."""
    names = record_names(folder, paths)
    return sum(1 for name in names if _BACKLOG_NAME.match(name)) * 2 > len(names)


def backlog_layout(folder: str) -> str:
    """The built-in layout of a new record in Backlog.md's ``folder``: a decision (``date``,
    ``status: proposed``), a document (``type``, no status), else a task (tasks, drafts, ...)."""
    kind = folder.rstrip("/").rpartition("/")[2]
    return {"decisions": "backlog-decision", "docs": "backlog-doc"}.get(kind, "backlog")


def backlog_title(title: str) -> str:
    """A title as Backlog.md puts it in a file name: path-unsafe characters as ``-``, noisy
    punctuation dropped, white space as ``-`` (``Fail closed, again!`` -> ``Fail-closed-again``)."""
    safe = re.sub(r"[<>:\"/\\|?*]", "-", title)
    safe = re.sub(r"['(),!@#$%^&+=\[\]{};]", "", safe)
    return re.sub(r"-+", "-", re.sub(r"\s+", "-", safe)).strip("-")[:100].rstrip("-") or "untitled"


def backlog_prefix(root: Path, paths: list[str], prefix: str) -> str:
    """``prefix`` in the case Backlog.md's records' ``id:`` lines write it (``back`` is ``BACK`` in
    BACK-636), from a few of them (a whole folder need not be read for it)."""
    line = re.compile(rf"(?m)^id:[ \t]*['\"]?({re.escape(prefix)})-[0-9]", re.I)
    written: Counter[str] = Counter()
    for path in sorted(paths)[-5:]:
        try:
            with open(root / path, encoding="utf-8") as handle:
                found = line.search(handle.read(4096))
        except (OSError, UnicodeDecodeError):
            continue
        if found:
            written[found.group(1)] += 1
    return written.most_common(1)[0][0] if written else prefix


def backlog_default_status(root: Path, folder: str) -> str:
    """The status Backlog.md gives a new task: ``default_status`` of the nearest ``config.yml`` above
    ``folder`` (``backlog/config.yml``), else its own default, To Do."""
    parts = folder.split("/")
    for depth in range(len(parts), 0, -1):
        try:
            text = (root.joinpath(*parts[:depth]) / "config.yml").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = re.search(r"""(?m)^default_status:[ \t]*["']?([^"'\r\n#]+?)["']?[ \t]*(?:#.*)?$""", text)
        return found.group(1) if found else "To Do"
    return "To Do"
