"""Control characters from files never reach the terminal raw; --json keeps the exact values."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from agentsync.terminal import raw, visible
from tests.conftest import Repo
from tests.test_cli import run

# A title that would clear the screen, set the window title and write the clipboard (OSC 52).
EVIL_TITLE_YAML = r'"Fine\e[2J\e]0;owned\a\e]52;c;cm0gLXJmIH4=\a\rhidden\u202eright-to-left"'
EVIL_TITLE = "Fine\x1b[2J\x1b]0;owned\x07\x1b]52;c;cm0gLXJmIH4=\x07\rhidden\u202eright-to-left"
RAW = ("\x1b", "\x07", "\u202e")
needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def evil_artifact() -> str:
    body = "Body with \x1b[31mred\x1b[0m text and a bell \x07.\r\nA CRLF line.\r\n"
    return f"---\nid: EVIL-1\ntitle: {EVIL_TITLE_YAML}\nstatus: DRAFT\n---\n\n# Heading\n\n{body}"


def assert_clean(text: str) -> None:
    assert not [c for c in RAW if c in text], repr(text)


def test_visible_escapes_controls_and_keeps_newlines_tabs_and_crlf() -> None:
    assert visible("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert visible("\x1b[2J\x07\rx\x7f\x9b\u202e") == "\\x1b[2J\\x07\\x0dx\\u007f\\u009b\\u202e"
    assert visible("plain ünïcode ✓") == "plain ünïcode ✓"


def on_terminal(repo: Repo, *args: str) -> tuple[int, str]:
    """Run the console script with stdout and stderr on a pseudo-terminal (where click strips
    nothing); return its exit code and everything it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentsync", "-C", str(repo.root), *args],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=60), shown.decode("utf-8").replace("\r\n", "\n")


@needs_pty
def test_ls_show_search_and_errors_print_escapes_not_control_characters(repo: Repo) -> None:
    repo.write("plans/evil.md", evil_artifact())
    repo.write("plans/bad\x1b[31m.md", "---\nid: [unclosed\n---\n")  # a broken file whose name holds ESC
    code, shown = on_terminal(repo, "mirror")
    assert code == 1
    assert_clean(shown)
    assert "bad\\x1b[31m.md" in shown  # the error line names the file, visibly

    for args in (["ls"], ["show", "EVIL-1"], ["search", "Fine"], ["query", "SELECT title FROM artifacts"]):
        code, shown = on_terminal(repo, *args)
        assert code == 0, (args, shown)
        assert_clean(shown)
        assert "Fine\\x1b[2J\\x1b]0;owned\\x07" in shown, args
    _, shown = on_terminal(repo, "show", "EVIL-1")
    assert "\\x1b[31mred" in shown and "A CRLF line.\r\n" in shown  # a CRLF file still shows as lines


def test_output_into_a_pipe_is_filtered_too(repo: Repo) -> None:
    repo.write("plans/evil.md", evil_artifact())
    assert run(repo, "mirror")[0] == 0
    code, out, err = run(repo, "ls")
    assert code == 0
    assert_clean(out + err)
    assert "\\x1b]0;owned\\x07" in out  # click strips only CSI sequences from a pipe; OSC and BEL are left


def test_json_output_keeps_the_exact_values(repo: Repo) -> None:
    repo.write("plans/evil.md", evil_artifact())
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "ls", "--json")
    assert code == 0
    assert_clean(out)
    assert json.loads(out)[0]["title"] == EVIL_TITLE
    code, out, _ = run(repo, "show", "EVIL-1", "--json")
    assert json.loads(out)["content"] == evil_artifact()
    code, out, _ = run(repo, "query", "SELECT title || char(127) || char(155) AS t FROM artifacts", "--json")
    assert code == 0 and json.loads(out) == [{"t": EVIL_TITLE + "\x7f\x9b"}]  # DEL and C1 too


def test_the_console_script_filters_too(repo: Repo) -> None:
    repo.write("plans/evil.md", evil_artifact())
    done = subprocess.run(
        [sys.executable, "-m", "agentsync", "-C", str(repo.root), "mirror"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "agentsync", "-C", str(repo.root), "ls"], capture_output=True, text=True
    )
    assert listed.returncode == 0
    assert_clean(listed.stdout)
    assert "EVIL-1" in listed.stdout and "\\u202eright-to-left" in listed.stdout


def test_raw_is_the_stream_under_the_filter() -> None:
    assert raw(sys.stdout) is sys.stdout or raw(sys.stdout) is getattr(sys.stdout, "raw", None)


@pytest.mark.parametrize(
    ("text", "columns"),
    [("abc", 3), ("中文", 4), ("âa", 2), ("DONE\u202e", 10), ("OK\x07", 6), ("fix\u200dit", 5), ("️", 0)],
)
def test_a_table_cell_is_measured_in_the_columns_it_is_written_in(text: str, columns: int) -> None:
    from agentsync.terminal import display_width

    assert display_width(text) == columns  # wide characters two, marks and format characters none, escapes whole
