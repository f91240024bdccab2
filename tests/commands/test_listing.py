"""``agentsync ls``: the types it filters on are the types it shows."""

from __future__ import annotations

from tests.conftest import Repo
from tests.test_cli import run


def test_ls_type_accepts_a_type_taken_from_frontmatter(repo: Repo) -> None:
    repo.write("plans/a.md", "---\nid: P-1\ntitle: A\ntype: bug\nstatus: OPEN\n---\n")
    repo.write("plans/b.md", "---\nid: P-2\ntitle: B\nstatus: OPEN\n---\n")
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "ls")
    assert code == 0 and "bug" in out
    code, out, _ = run(repo, "ls", "--type", "bug")
    assert code == 0 and out.startswith("P-1") and "P-2" not in out
    code, out, _ = run(repo, "ls", "--type", "story")  # configured, none mirrored: an empty list
    assert code == 0 and out == ""


def test_ls_type_unknown_lists_the_known_types(repo: Repo) -> None:
    repo.write("plans/a.md", "---\nid: P-1\ntitle: A\ntype: bug\nstatus: OPEN\n---\n")
    assert run(repo, "mirror")[0] == 0
    code, out, err = run(repo, "ls", "--type", "nope")
    assert code != 0 and out == ""
    assert "unknown artifact type 'nope'; known types: adr, bug, plan, runbook and story" in err


def test_ls_cuts_a_long_status_in_the_table_and_gives_it_whole_in_json(repo: Repo) -> None:
    sentence = "Approved design (brainstormed 2026-07-15); implementation plan to follow"
    repo.write("plans/a.md", f"---\nid: P-1\ntitle: Long status\nstatus: {sentence}\n---\n")
    repo.write("plans/b.md", "---\nid: P-2\ntitle: Short status\nstatus: DONE\n---\n")
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "ls")
    assert code == 0
    assert out.splitlines() == [
        "P-1  plan  Approved design (brainstorm...  Long status",
        "P-2  plan  DONE                            Short status",
    ]
    code, out, _ = run(repo, "ls", "--json")
    assert code == 0 and sentence in out


def test_ls_lines_up_its_columns_by_what_a_terminal_shows_not_by_characters(repo: Repo) -> None:
    repo.write("plans/a.md", "---\nid: 计划-1\ntitle: 中文\nstatus: 进行中\n---\n")  # wide: two columns each
    repo.write("plans/b.md", "---\nid: PLAN-22\ntitle: Latin\nstatus: DONE\n---\n")
    repo.write("plans/c.md", "---\nid: PLÂN-3\ntitle: Combining\nstatus: DONE\n---\n")  # Â as A and a mark
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "ls")
    assert code == 0
    assert out.splitlines() == [
        "PLAN-22  plan  DONE    Latin",
        "PLÂN-3   plan  DONE    Combining",
        "计划-1   plan  进行中  中文",
    ]


def test_ls_cuts_a_long_status_by_the_columns_it_takes(repo: Repo) -> None:
    status = "当前状态：最小执行框架已稳定托住开发链，下一步进入里程碑五"  # two columns a character
    repo.write("plans/a.md", f"---\nid: P-1\ntitle: Wide\nstatus: {status}\n---\n")
    assert run(repo, "mirror")[0] == 0
    code, out, _ = run(repo, "ls")
    assert code == 0 and out.splitlines() == ["P-1  plan  当前状态：最小执行框架已稳...  Wide"]
