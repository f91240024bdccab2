"""The commands parsed without click (agentsync.cli.quick): the same options as their click
definitions, the same output, and click never loaded for them; and the quick end of the process
(agentsync.cli.leave), which must lose nothing."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import click
import pytest

from agentsync.cli import app, main, quick
from agentsync.terminal import write_line
from tests.conftest import GitRepo, artifact


def test_the_quick_table_is_the_click_definition() -> None:
    group = {param.name: param for param in app.cli.params}
    assert group["directory"].opts == ["-C"]
    log_format = group["log_format"]
    assert log_format.opts == ["--log-format"] and isinstance(log_format.type, click.Choice)
    assert tuple(log_format.type.choices) == quick.LOG_FORMATS
    assert set(group) == {"directory", "log_format", "version"}  # another global option: teach quick.parse
    for name, flags in quick.COMMANDS.items():
        params = [p for p in app.cli.commands[name].params if p.name != "help"]
        assert all(isinstance(p, click.Option) and p.is_flag and not p.secondary_opts for p in params)
        assert {opt: p.name for p in params for opt in p.opts} == flags
        assert set(quick._COMMANDS) == set(quick.COMMANDS)


@pytest.mark.parametrize(
    "argv",
    [[], ["--version"], ["-V"], ["--help"], ["status", "--help"], ["status", "-h"], ["status", "--json=1"],
     ["status", "--bogus"], ["status", "extra"], ["-C"], ["-C", "/no/such/folder", "status"],
     ["--log-format", "xml", "status"], ["--log-format=json", "status"], ["ls"], ["status", "--", "--json"]],
)  # fmt: skip
def test_anything_but_plain_words_goes_to_click(argv: list[str]) -> None:
    assert quick.parse(argv) is None


def test_plain_words_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setitem(quick._COMMANDS, "status", lambda **chosen: seen.update(chosen) or 7)
    monkeypatch.chdir(tmp_path)
    command = quick.parse(["-C", str(tmp_path), "--log-format", "json", "status", "--remote"])
    assert command is not None
    monkeypatch.delenv("AGENTSYNC_LOG_FORMAT", raising=False)
    assert command() == 7
    assert seen == {"as_json": False, "ask_remote": True}
    import os

    assert os.environ["AGENTSYNC_LOG_FORMAT"] == "json"


def _status_repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("plans/a.md", artifact("P-1", status="DRAFT"))
    git_repo.commit_all("one")
    git_repo.write("plans/a.md", artifact("P-1", status='"\\e[31mDONE\\e[0m"'))  # YAML's escape of ESC
    git_repo.write("plans/b.md", artifact("P-2"))
    return git_repo


@pytest.mark.parametrize("options", [[], ["--json"]])
def test_status_reads_the_same_both_ways(
    git_repo: GitRepo, options: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _status_repo(git_repo)
    argv = ["-C", str(repo.root), "status", *options]
    assert main(argv) == 0  # builds the mirror; the runs compared below read the same one
    capsys.readouterr()
    assert main(argv) == 0
    quick_out = capsys.readouterr()
    monkeypatch.setattr(quick, "parse", lambda argv, ending=False: None)
    assert main(argv) == 0
    assert capsys.readouterr() == quick_out
    assert "P-1" in quick_out.out


def test_a_status_process_loads_no_heavy_module_and_prints_what_click_would(git_repo: GitRepo) -> None:
    repo = _status_repo(git_repo)
    code = (
        "import sys; from agentsync.cli import main; rc = main(['-C', sys.argv[1], 'status']); "
        "print('LOADED', [m for m in sys.argv[2:] if m in sys.modules], file=sys.stderr); raise SystemExit(rc)"
    )
    repo.age()  # settled files: the config is read from its cache, not parsed as YAML
    heavy = ["click", "subprocess", "dataclasses", "inspect", "threading", "logging", "yaml"]  # each a few ms
    for _ in range(3):  # the third finds the mirror, HEAD's values and the config's cache (in .agentsync/) built
        quick_run = subprocess.run([sys.executable, "-c", code, str(repo.root), *heavy], capture_output=True, text=True)
    assert quick_run.returncode == 0, quick_run.stderr
    assert "LOADED []" in quick_run.stderr
    through_click = (
        "import sys; from agentsync.cli import main, quick; quick.parse = lambda argv, ending=False: None; "
        "raise SystemExit(main(['-C', sys.argv[1], 'status']))"
    )
    clicked = subprocess.run([sys.executable, "-c", through_click, str(repo.root)], capture_output=True, text=True)
    assert clicked.returncode == 0, clicked.stderr
    assert quick_run.stdout == clicked.stdout
    assert "-> DONE (work tree)" in clicked.stdout and "\x1b" not in clicked.stdout  # the style dropped off a terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream_type", [io.StringIO, _Terminal])
@pytest.mark.parametrize("message", ["plain", "", "\x1b[1;31mbold red\x1b[0m and \x1b[?25l", "ünïcode ✓"])
def test_a_line_is_written_as_click_echo_writes_it(stream_type: type[io.StringIO], message: str) -> None:
    ours, clicks = stream_type(), stream_type()
    write_line(ours, message)
    click.echo(message, file=clicks)
    assert ours.getvalue() == clicks.getvalue()


def _process(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_leaving_flushes_both_streams() -> None:
    done = _process(
        "import sys; from agentsync.cli.leave import leave; print('out', end=''); "
        "print('err', end='', file=sys.stderr); leave(3)"
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "out", "err")


def test_leaving_runs_exit_handlers_and_waits_for_threads() -> None:
    done = _process(
        "import atexit, threading, time; from agentsync.cli.leave import leave; "
        "atexit.register(print, 'handler'); leave(0)"
    )
    assert (done.returncode, done.stdout) == (0, "handler\n")
    done = _process(
        "import threading, time; from agentsync.cli.leave import leave; "
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread'))).start(); leave(4)"
    )
    assert (done.returncode, done.stdout) == (4, "thread\n")


def test_python_dash_m_leaves_with_the_exit_code(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agentsync", "-C", str(tmp_path), "status"], capture_output=True, text=True
    )
    assert done.returncode == 1 and "agentsync: error:" in done.stderr


def test_a_lazy_pattern_compiles_once_when_first_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from agentsync import lazy

    compiled: list[str] = []
    real = re.compile

    def counted(source: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(source)
        return real(source, flags)

    monkeypatch.setattr(re, "compile", counted)
    digits = lazy.pattern(r"\d+")
    assert compiled == []
    assert digits().findall("a1b22") == ["1", "22"] and digits() is digits()
    assert compiled == [r"\d+"]


@pytest.mark.parametrize("ending", [False, True])
def test_the_collector_stops_only_when_the_process_ends(monkeypatch: pytest.MonkeyPatch, ending: bool) -> None:
    import gc

    seen: list[bool] = []

    def status(**chosen: bool) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setitem(quick._COMMANDS, "status", status)
    command = quick.parse(["status"], ending=ending)
    assert command is not None
    try:
        command()
    finally:
        gc.enable()
    assert seen == [not ending]


def test_a_profiled_run_returns_to_its_profiler(tmp_path: Path) -> None:
    profile = tmp_path / "run.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "agentsync", "--version"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0
