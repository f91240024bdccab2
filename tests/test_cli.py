"""The CLI as a user runs it: exit codes, help text for every command, stable JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agentsync.cli import cli, main
from tests.conftest import GitRepo, Repo, artifact


def run(repo: Repo, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process the way the console script does (through ``main``)."""
    runner = CliRunner()
    result = runner.invoke(_main_command, ["-C", str(repo.root), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _main_command(ctx: click.Context) -> None:
    raise SystemExit(main(list(ctx.args)))


def all_commands() -> list[str]:
    """Every command as typed, subcommands of groups included (``hooks install``)."""
    names = []
    for name, command in sorted(cli.commands.items()):
        names.append(name)
        if isinstance(command, click.Group):
            names.extend(f"{name} {sub}" for sub in sorted(command.commands))
    return names


def test_groups_are_walked() -> None:
    assert {"hooks install", "hooks uninstall", "hooks status", "check", "status", "deinit"} <= set(all_commands())


@pytest.mark.parametrize("name", all_commands())
def test_every_command_has_help(name: str) -> None:
    words = name.split()
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0
    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    assert command.help, f"{name} has no help text"
    assert "Usage: " in result.output and len(result.output.splitlines()) >= 3


def test_init_then_ls_json(repo: Repo) -> None:
    (repo.root / "agentsync.yaml").unlink()
    repo.write("plans/a.md", artifact("P-1", title="Alpha", status="DONE"))
    repo.write("stories/b.md", artifact("S-1", title="Beta"))
    code, out, _ = run(repo, "init")
    assert code == 0 and "wrote agentsync.yaml" in out and "2 added" in out
    assert (repo.root / ".agentsync" / ".gitignore").read_text().strip().endswith("*")
    code, out, _ = run(repo, "ls", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"key": "plan:P-1", "id": "P-1", "type": "plan", "title": "Alpha", "status": "DONE", "version": 1,
         "path": "plans/a.md",
         "hash": json.loads(out)[0]["hash"]},
        {"key": "story:S-1", "id": "S-1", "type": "story", "title": "Beta", "status": "DRAFT", "version": 1,
         "path": "stories/b.md",
         "hash": json.loads(out)[1]["hash"]},
    ]  # fmt: skip
    code, out, _ = run(repo, "ls", "--type", "story")
    assert code == 0 and out.startswith("S-1") and "P-1" not in out
    code, out, _ = run(repo, "ls", "--status", "done", "--json")
    assert [r["id"] for r in json.loads(out)] == ["P-1"]


def test_mirror_exit_code_reports_problems(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/bad.md", "---\nid: [\n---\n")
    code, out, err = run(repo, "mirror")
    assert code == 1
    assert "plans/bad.md:2: invalid YAML" in err
    assert "1 problem" in out


def test_show_search_query(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1", title="Alpha", body="the quick brown fox\n"))
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "show", "P-1", "--json")
    shown = json.loads(out)
    assert (
        code == 0
        and shown["fields"]["status"] == "DRAFT"
        and shown["content"] == artifact("P-1", title="Alpha", body="the quick brown fox\n")
    )
    code, out, _ = run(repo, "show", "plans/a.md")
    assert code == 0 and "the quick brown fox" in out
    code, out, _ = run(repo, "search", "brown")
    assert code == 0 and out.startswith("P-1") and "[brown]" in out
    code, out, _ = run(repo, "search", 'brown fox" (')  # FTS syntax error falls back to plain words
    assert code == 0 and "P-1" in out
    assert run(repo, "search", "zebra") == (1, "", "no artifact matches 'zebra'\n")
    code, out, _ = run(repo, "search", "zebra", "--json")  # as the help says: exit 1 if nothing matches
    assert (code, json.loads(out)) == (1, [])
    code, out, _ = run(repo, "query", "SELECT id, status FROM artifacts", "--json")
    assert json.loads(out) == [{"id": "P-1", "status": "DRAFT"}]


def test_query_is_read_only(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    run(repo, "mirror")
    code, _, err = run(repo, "query", "DELETE FROM artifacts")
    assert code == 1 and "read-only" in err
    assert run(repo, "query", "SELECT count(*) FROM artifacts")[1].splitlines()[1] == "1"


def test_new_creates_unique_ids(repo: Repo) -> None:
    repo.write("plans/PLAN-0007-old.md", "---\ntitle: file name holds the id\n---\n")
    repo.write("plans/other.md", "---\nid: PLAN-0009\n---\n")
    run(repo, "mirror")
    code, out, _ = run(repo, "new", "plan", "Ship it: now")
    assert code == 0 and "PLAN-0010" in out
    created = next((repo.root / "plans").glob("PLAN-0010-*.md"))
    assert created.name == "PLAN-0010-ship-it-now.md"
    text = created.read_text()
    assert 'title: "Ship it: now"' in text and "# Ship it: now" in text
    code, out, _ = run(repo, "show", "PLAN-0010", "--json")
    assert code == 0 and json.loads(out)["title"] == "Ship it: now"
    assert run(repo, "new", "plan", "Next")[1].startswith("created PLAN-0011")


def test_errors_and_usage_have_distinct_exit_codes(repo: Repo) -> None:
    code, _, err = run(repo, "show", "NOPE-1")
    assert code == 1 and err.startswith("agentsync: error:") and len(err.strip().splitlines()) == 1
    code, _, err = run(repo, "ls", "--no-such-flag")
    assert code == 2
    code, _, err = run(repo, "new", "nonsense", "x")
    assert code == 1 and "plan, story, runbook, adr" in err
    code, _, err = run(repo, "export", "--to", "a", "--bundle", "b")
    assert code == 2


def test_init_in_a_git_repository_keeps_git_from_listing_a_file_being_written(git_repo: GitRepo) -> None:
    from agentsync.fsutil import TEMP_GITIGNORE

    code, _, err = run(git_repo, "init")
    assert code == 0, err
    assert TEMP_GITIGNORE in (git_repo.root / ".git" / "info" / "exclude").read_text(encoding="utf-8").splitlines()


def test_not_initialised(tmp_path: Path) -> None:
    code = main(["-C", str(tmp_path), "ls"])
    assert code == 1


def test_export_and_import_bundle_via_cli(repo: Repo, tmp_path: Path) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    run(repo, "mirror")
    bundle = tmp_path / "b.jsonl"
    assert run(repo, "export", "--bundle", str(bundle))[0] == 0
    repo.remove("plans/a.md")
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "import", "--bundle", str(bundle))
    assert code == 0 and "1 written" in out
    assert repo.read("plans/a.md") == artifact("P-1").encode()
    out_dir = tmp_path / "copy"
    assert run(repo, "export", "--to", str(out_dir))[0] == 0
    assert (out_dir / "plans/a.md").read_bytes() == artifact("P-1").encode()


def test_import_paths(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    code, out, _ = run(repo, "import", str(repo.root / "plans/a.md"))
    assert code == 0 and "mirrored 1 artifact:" in out


def test_unexpected_error_is_one_line_and_logged(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    run(repo, "mirror")
    from agentsync.commands import listing

    def boom(*args: object, **kwargs: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(listing, "run_ls", boom)
    code, _, err = run(repo, "ls")
    assert code == 1
    assert "unexpected error: RuntimeError: kaboom (details in" in err
    log = repo.root / ".agentsync" / "agentsync.log"
    assert "Traceback" in log.read_text()


def test_python_dash_m_and_console_script_work(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    result = subprocess.run(
        [sys.executable, "-m", "agentsync", "-C", str(repo.root), "mirror"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout


def test_ls_does_not_import_heavy_modules(repo: Repo) -> None:
    """The read path stays light: no rich, no scanner/multiprocessing, no pygit2."""
    repo.write("plans/a.md", artifact("P-1"))
    run(repo, "mirror")
    code = (
        "import sys; from agentsync.cli import main; rc = main(['-C', sys.argv[1], 'ls', '--json']); "
        "heavy = [m for m in ('rich', 'agentsync.scanner', 'multiprocessing', 'pygit2') if m in sys.modules]; "
        "print('HEAVY', heavy, file=sys.stderr); raise SystemExit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(repo.root)], capture_output=True, text=True)
    assert result.returncode == 0
    assert "HEAVY []" in result.stderr


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    """``agentsync status | head -1``: once the reader has closed the pipe, the next line cannot be
    written; that is no error to log or show (the exit code is 1, as click's own main gives), for the
    quick path and the click path alike."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "plans").mkdir()
    for number in range(3):
        (repo / "plans" / f"P-{number}.md").write_text(f"---\nid: P-{number}\ntitle: P\n---\n", encoding="utf-8")
    assert (
        subprocess.run([sys.executable, "-m", "agentsync", "-C", str(repo), "init"], capture_output=True).returncode
        == 0
    )
    for command in (["status"], ["ls"]):
        child = subprocess.Popen([sys.executable, "-m", "agentsync", "-C", str(repo), *command],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # before the child writes anything: its first line meets a closed pipe
        errors = child.stderr.read().decode()
        assert child.wait() == 1, errors
        assert errors == "", command
        assert not (repo / ".agentsync" / "agentsync.log").exists() or "BrokenPipe" not in (
            repo / ".agentsync" / "agentsync.log"
        ).read_text(encoding="utf-8")
