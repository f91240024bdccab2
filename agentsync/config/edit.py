"""Edits of ``agentsync.yaml`` made by commands (``remote add``, ``remote use``, ``remote remove``).

People write this file and keep comments in it, so a command changes only the lines it
must: one top-level ``key: value`` line, or one entry of the ``remotes:`` block. Every
edit is validated as a whole config before the file is replaced (atomically).
"""

from __future__ import annotations

import re

from agentsync.errors import ConfigError
from agentsync.frontmatter_edit import render_scalar


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _with_final_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + _newline(text)


def _top_level(key: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(key)}[ \t]*:(?P<rest>[^\r\n]*)\r?$", re.M)


def set_top_level(text: str, key: str, value: str) -> str:
    """``key: value`` at the top level: its line replaced (a trailing comment kept), else appended."""
    line = f"{key}: {render_scalar(value)}"
    found = _top_level(key).search(text)
    if found is None:
        return _with_final_newline(text) + line + _newline(text)
    comment = re.search(r"\s+#.*$", found.group("rest"))
    return text[: found.start()] + line + (comment.group(0) if comment else "") + text[found.end("rest") :]


def _remotes_block(text: str) -> tuple[int, int] | None:
    """(start, end) of the indented lines under a top-level ``remotes:`` (start == end when empty)."""
    header = _top_level("remotes").search(text)
    if header is None:
        return None
    rest = header.group("rest").split("#", 1)[0].strip()
    if rest and rest not in ("{}", "null", "~"):
        raise ConfigError("agentsync.yaml: `remotes` is written inline; write it as one `name: url` line per remote")
    start = text.find("\n", header.end())
    start = len(text) if start < 0 else start + 1
    end = scan = start
    while scan < len(text):
        line_end = text.find("\n", scan)
        line_end = len(text) if line_end < 0 else line_end + 1
        line = text[scan:line_end]
        if line.strip() and not line.lstrip().startswith("#"):
            if line[0] not in " \t":
                break
            end = line_end  # blank and comment lines belong to the block only when an entry follows
        scan = line_end
    return start, end


def _entry(name: str) -> re.Pattern[str]:
    return re.compile(rf"^(?P<indent>[ \t]+){re.escape(name)}[ \t]*:[^\r\n]*(\r?\n|$)", re.M)


def set_remote(text: str, name: str, url: str) -> str:
    """``name: url`` in the ``remotes:`` block: the entry replaced, or added (with the block if needed)."""
    newline = _newline(text)
    header = _top_level("remotes").search(text)
    block = _remotes_block(text)
    if header is None or block is None:
        return _with_final_newline(text) + f"remotes:{newline}  {name}: {render_scalar(url)}{newline}"
    if header.group("rest").split("#", 1)[0].strip():  # `remotes: {}` becomes a block header
        text = text[: header.start()] + "remotes:" + text[header.end("rest") :]
        block = _remotes_block(text)
        assert block is not None
    start, end = block
    existing = _entry(name).search(text, start, end) if end > start else None
    indent = existing.group("indent") if existing else _indent_of(text[start:end]) or "  "
    line = f"{indent}{name}: {render_scalar(url)}{newline}"
    if existing is not None:
        return text[: existing.start()] + line + text[existing.end() :]
    if end > 0 and not text[:end].endswith("\n"):
        line = newline + line
    return text[:end] + line + text[end:]


def remove_remote(text: str, name: str) -> str:
    """The config without ``name``'s entry in ``remotes:`` (a ConfigError if there is none)."""
    block = _remotes_block(text)
    found = _entry(name).search(text, block[0], block[1]) if block and block[1] > block[0] else None
    if found is None:
        raise ConfigError(f"agentsync.yaml has no remote named {name!r} under `remotes`")
    return text[: found.start()] + text[found.end() :]


def _indent_of(block: str) -> str | None:
    for line in block.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line[: len(line) - len(line.lstrip())]
    return None
