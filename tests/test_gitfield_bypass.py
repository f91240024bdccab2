"""No spelling of a git field gets a value Git did not give into the work tree.

Each hostile text below sets ``status`` some other way than one plain ``status:`` line (a duplicate,
a quoted, tagged, escaped or complex key, a flow mapping, a merge key, an alias, odd line breaks, a
second ``Status:`` line or ``## State`` section...). The artifact is committed in a real Git
repository at ``status: IN_PROGRESS``; the guard runs on the hostile text as a pull or an export
would, and what it returns must read ``IN_PROGRESS`` to the mirror's own parse (the scanner's) and
to ``yaml.safe_load``, and in every status carrier of the agent layout, or it must refuse with
GitFieldViolation. For an artifact not in HEAD the field must be absent instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentsync.artifact import find_frontmatter, parse_bytes, parse_text
from agentsync.errors import GitError, GitFieldViolation
from agentsync.gitfields import GitFieldGuard
from agentsync.merge import Sides, apply_strategy
from agentsync.yamlload import load_frontmatter
from tests.conftest import GitRepo, make_git_repo
from tests.test_cli import run

STORY = "stories/S-1.md"
NEW_STORY = "stories/S-9.md"
RUNBOOK = ".agent/cache/runbooks/OPS-7.md"
IN_HEAD = "---\nid: S-1\ntitle: One\nstatus: IN_PROGRESS\nversion: 1\n---\n\n# One\n\nBody.\n"
RUNBOOK_IN_HEAD = "# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\nSteps.\n"
ABSENT = "(absent)"
UNREADABLE = "(yaml.safe_load cannot read it)"


def fm(*lines: str, eol: str = "\n", bom: str = "") -> str:
    """A story whose frontmatter is ``lines``."""
    return f"{bom}---{eol}" + "".join(line + eol for line in lines) + f"---{eol}{eol}# One{eol}{eol}Body, edited.{eol}"


FRONTMATTER_BYPASSES: dict[str, str] = {
    "duplicate key": fm("id: S-1", "status: IN_PROGRESS", "status: HACKED"),
    "duplicate key, both hostile": fm("id: S-1", "status: HACKED1", "title: x", "status: HACKED2"),
    "three keys": fm("status: HACKED1", "id: S-1", "status: HACKED2", "status: HACKED3"),
    "single-quoted key": fm("id: S-1", "status: IN_PROGRESS", "'status': HACKED"),
    "double-quoted key": fm("id: S-1", "status: IN_PROGRESS", '"status": HACKED'),
    "quoted key alone": fm("id: S-1", "'status': HACKED"),
    "complex key": fm("id: S-1", "status: IN_PROGRESS", "? status", ": HACKED"),
    "complex key alone": fm("id: S-1", "? status", ": HACKED"),
    "flow mapping as the frontmatter": fm("{id: S-1, title: One, status: HACKED}"),
    "flow mapping with a duplicate": fm("{id: S-1, status: IN_PROGRESS, status: HACKED}"),
    "flow mapping over lines": fm("{id: S-1,", "status: HACKED}"),
    "merge key from an anchor": fm("base: &b {status: HACKED}", "id: S-1", "<<: *b"),
    "merge key, inline": fm("id: S-1", "<<: {status: HACKED}"),
    "merge key under an explicit key": fm("id: S-1", "status: IN_PROGRESS", "<<: {status: HACKED}"),
    "merge key, a list of them": fm("id: S-1", "<<: [{a: 1}, {status: HACKED}]"),
    "key with a trailing space": fm("id: S-1", "status: IN_PROGRESS", "status : HACKED"),
    "key with a trailing space alone": fm("id: S-1", "status  : HACKED"),
    "tab after the colon": fm("id: S-1", "status: IN_PROGRESS", "status:\tHACKED"),
    "BOM before the file": fm("id: S-1", "status: IN_PROGRESS", "status: HACKED", bom="\ufeff"),
    "BOM before the key": fm("\ufeffstatus: HACKED", "id: S-1"),
    "CRLF line endings": fm("id: S-1", "status: IN_PROGRESS", "status: HACKED", eol="\r\n"),
    "lone CR between keys": fm("id: S-1", "status: IN_PROGRESS\rstatus: HACKED"),
    "line separator ends a comment": fm("id: S-1", "# a note\u2028status: HACKED"),
    "paragraph separator between keys": fm("id: S-1", "status: IN_PROGRESS\u2029status: HACKED"),
    "NEL between keys": fm("id: S-1", "status: IN_PROGRESS\x85status: HACKED"),
    "second frontmatter-looking block": fm("id: S-1", "status: IN_PROGRESS") + "---\nstatus: HACKED\n---\n",
    "YAML tag on the key": fm("id: S-1", "status: IN_PROGRESS", "!!str status: HACKED"),
    "YAML tag on the value": fm("id: S-1", "status: !!str HACKED"),
    "unicode escape in the key": fm("id: S-1", "status: IN_PROGRESS", '"st\\u0061tus": HACKED'),
    "hex escape in the key": fm("id: S-1", '"\\x73tatus": HACKED'),
    "alias as the value": fm("a: &x HACKED", "id: S-1", "status: *x"),
    "anchor on the value": fm("id: S-1", "status: &x HACKED", "b: *x"),
    "alias as the key": fm("k: &k status", "id: S-1", "*k : HACKED"),
    "block scalar duplicate": fm("id: S-1", "status: IN_PROGRESS", "status: |", "  HACKED"),
    "block list duplicate": fm("id: S-1", "status: IN_PROGRESS", "status:", "  - HACKED"),
    "indented root mapping": fm("  id: S-1", "  status: HACKED"),
    "empty value twice": fm("id: S-1", "status:", "status:"),
    "hidden in a multi-line quoted title": fm("id: S-1", 'title: "x', 'status: HACKED"'),
    "plain duplicate in a long document": fm(
        "id: S-1", "status: IN_PROGRESS", *[f"k{i}: v" for i in range(40)], "status: HACKED"
    ),
}

AGENT_BYPASSES: dict[str, str] = {
    "Status line, then a State section": "# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\n## State\n\nHACKED\n",
    "two State sections": "# OPS-7: Restart\n\n## State\n\nIN_PROGRESS\n\n## State\n\nHACKED\n",
    "two Status lines": "# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\nStatus: HACKED\n",
    "bold Status line later": "# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\n**Status**: HACKED\n",
    "State section first, then a Status line": "# OPS-7: Restart\n\n## State\n\nHACKED\n\nStatus: IN_PROGRESS\n",
    "State section holding a Status line": "# OPS-7: Restart\n\n## State\n\nStatus: HACKED\n",
    "CRLF": "# OPS-7: Restart\r\n\r\nStatus: IN_PROGRESS\r\n\r\n## State\r\n\r\nHACKED\r\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitRepo]:
    """A real repository with the story and the runbook committed at IN_PROGRESS, mirrored."""
    git_repo = make_git_repo(tmp_path_factory.mktemp("bypass") / "repo")
    git_repo.write(STORY, IN_HEAD)
    git_repo.write(RUNBOOK, RUNBOOK_IN_HEAD)
    git_repo.commit_all("start")
    code, _, err = run(git_repo, "init")
    assert code == 0, err
    yield git_repo


def readings(path: str, text: str) -> tuple[Any, Any, list[str]]:
    """``status`` as the scanner reads the written file, as yaml.safe_load reads its frontmatter,
    and every status carrier of the agent layout (any line or section another tool might take)."""
    artifact = parse_bytes(path, text.encode("utf-8"), "story")
    mirror = artifact.fields.get("status", artifact.status if artifact.status is not None else ABSENT)
    span = find_frontmatter(text)
    safe: Any = None  # no frontmatter: nothing for a YAML reader
    if span is not None:
        try:
            data = yaml.safe_load(text[span.start : span.end])
        except yaml.YAMLError:
            safe = UNREADABLE
        else:
            safe = data.get("status", ABSENT) if isinstance(data, dict) else ABSENT
        return mirror, safe, []
    carriers = re.findall(r"^\**Status\**[ \t]*:[ \t]*\**[ \t]*([^\r\n*]+?)[ \t*]*\r?$", text, re.M | re.I)
    carriers += re.findall(r"^##[ \t]+State[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*([^\r\n#][^\r\n]*?)[ \t]*\r?$", text, re.M)
    return mirror, safe, carriers


def guarded(repo: GitRepo, path: str, text: str, disk: bytes | None) -> str | GitFieldViolation:
    artifact = parse_text(path, text, "story", "")  # what a pull parses before the guard runs
    with repo.mirror() as mirror:
        try:
            return GitFieldGuard(mirror).enforce(artifact, disk)
        except GitFieldViolation as exc:
            return exc


def assert_kept(path: str, result: str | GitFieldViolation, remote: str, git: str | None) -> None:
    if isinstance(result, GitFieldViolation):
        message = str(result)
        assert path in message and "status" in message and "not applied" in message, message
        assert (f"Git says {git!r}" if git else "Git has no status for it") in message, message
        return
    mirror, safe, carriers = readings(path, result)
    want = git if git is not None else ABSENT
    assert mirror == want, result
    remote_unreadable = readings(path, remote)[1] == UNREADABLE
    assert safe in (want, None) or (safe == UNREADABLE and remote_unreadable), result  # e.g. a tab PyYAML refuses
    if git is None:
        assert not carriers, result
    else:
        assert all(value in (git, f"Status: {git}") for value in carriers), result  # a State section's line
    assert "Body, edited." in result or "Restart" in result  # the rest of the remote's edit arrives


@pytest.mark.parametrize("name", list(FRONTMATTER_BYPASSES))
def test_a_remote_frontmatter_cannot_set_a_git_field(repo: GitRepo, name: str) -> None:
    hostile = FRONTMATTER_BYPASSES[name]
    parse_text(STORY, hostile, "story", "")  # the mirror reads it (else a pull would never get this far)
    for disk in (repo.read(STORY), None):  # Git's value from the work-tree file, then from HEAD
        assert_kept(STORY, guarded(repo, STORY, hostile, disk), hostile, "IN_PROGRESS")


@pytest.mark.parametrize("name", list(FRONTMATTER_BYPASSES))
def test_an_artifact_head_does_not_contain_keeps_its_authors_git_fields(repo: GitRepo, name: str) -> None:
    """Git has no record of it (a teammate's, not committed yet): its text arrives as its author
    wrote it, byte for byte, so every clone holds the same file. Once committed, Git rules (above)."""
    text = FRONTMATTER_BYPASSES[name].replace("S-1", "S-9")
    assert guarded(repo, NEW_STORY, text, None) == text


@pytest.mark.parametrize("name", list(AGENT_BYPASSES))
def test_an_agent_layout_file_cannot_smuggle_a_status(repo: GitRepo, name: str) -> None:
    hostile = AGENT_BYPASSES[name]
    for disk in (repo.read(RUNBOOK), None):
        assert_kept(RUNBOOK, guarded(repo, RUNBOOK, hostile, disk), hostile, "IN_PROGRESS")
    new = ".agent/cache/runbooks/OPS-8.md"
    fresh = hostile.replace("OPS-7", "OPS-8")
    assert guarded(repo, new, fresh, None) == fresh  # not at HEAD: as its author wrote it


def test_ordinary_duplicates_are_rewritten_not_refused(repo: GitRepo) -> None:
    """Duplicate, quoted and complex keys are rewritten in place, the rest left byte for byte."""
    same = "status: IN_PROGRESS"
    for hostile, expected in [
        (fm("id: S-1", same, "status: HACKED"), fm("id: S-1", same, same)),
        (fm("id: S-1", "'status': HACKED  # c"), fm("id: S-1", "'status': IN_PROGRESS  # c")),
        (fm("id: S-1", "status: 'HACKED'", '"status": "HACKED"'),
         fm("id: S-1", "status: 'IN_PROGRESS'", '"status": "IN_PROGRESS"')),
        (fm("id: S-1", "? status", ": HACKED"), fm("id: S-1", "? status", ": IN_PROGRESS")),
        (fm("{id: S-1, status: HACKED}"), fm("{id: S-1, status: IN_PROGRESS}")),
        ("# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\n## State\n\nHACKED\n",
         "# OPS-7: Restart\n\nStatus: IN_PROGRESS\n\n## State\n\nIN_PROGRESS\n"),
    ]:  # fmt: skip
        path = RUNBOOK if hostile.startswith("#") else STORY
        assert guarded(repo, path, hostile, None) == expected


def test_what_cannot_be_rewritten_is_refused_with_a_message(repo: GitRepo) -> None:
    result = guarded(repo, STORY, fm("id: S-1", "status: &x HACKED", "b: *x"), None)
    assert isinstance(result, GitFieldViolation)
    assert str(result) == (
        "the remote's version of stories/S-1.md sets status to 'HACKED' through an anchor or alias; "
        "Git says 'IN_PROGRESS'; not applied: fix it on the remote or commit the status through Git"
    )


def test_a_resolved_text_keeps_the_work_trees_git_fields(repo: GitRepo) -> None:
    """The ``theirs`` strategy (and a custom resolver) rewrites every carrier in the text it takes."""
    hostile = fm("id: S-1", "status: IN_PROGRESS", "'status': HACKED", "? status", ": HACKED2")
    sides = Sides("S-1", "story", IN_HEAD, IN_HEAD, hostile, 2, "eve@example.com", 0.0, "")
    result, _ = apply_strategy("theirs", sides, ("status",))
    mirror, safe, _ = readings(STORY, result.text)
    assert mirror == safe == "IN_PROGRESS", result.text


def test_a_merged_text_is_checked(repo: GitRepo) -> None:
    """``check`` rewrites a merge's result like a remote text, or refuses it."""
    with repo.mirror() as mirror:
        guard = GitFieldGuard(mirror)
        merged = guard.check(STORY, fm("id: S-1", "status: IN_PROGRESS", '"status": HACKED'), {"status": "IN_PROGRESS"})
        assert readings(STORY, merged)[:2] == ("IN_PROGRESS", "IN_PROGRESS")
        with pytest.raises(GitFieldViolation, match=r"the merged text of stories/S-1\.md sets status to 'HACKED'"):
            guard.check(STORY, fm("id: S-1", "a: &x HACKED", "status: *x"), {"status": "IN_PROGRESS"})


def test_a_write_stops_when_git_cannot_read_head(tmp_path: Path) -> None:
    """Git refusing the repository (another user's) is no repository without commits: the remote's
    git fields would go through unchecked, so the write stops."""
    if os.geteuid() != 0:
        pytest.skip("only root can give a repository to another user")
    git_repo = make_git_repo(tmp_path / "repo")
    git_repo.write(STORY, IN_HEAD)
    git_repo.commit_all("start")
    assert run(git_repo, "init")[0] == 0
    assert run(git_repo, "status")[0] == 0  # HEAD's values are in the mirror
    for folder, dirs, files in os.walk(git_repo.root / ".git"):
        for name in [*dirs, *files, "."]:
            os.lchown(os.path.join(folder, name), 65534, 65534)
    hostile = fm("id: S-1", "status: HACKED")
    with git_repo.mirror() as mirror:
        artifact = parse_text(STORY, hostile, "story", "")
        with pytest.raises(GitError, match="git cannot read HEAD"):
            GitFieldGuard(mirror).enforce(artifact, IN_HEAD.encode())
        assert mirror.connection.execute("SELECT count(*) FROM git_heads").fetchone()[0] > 0  # kept as it was


def test_the_fast_path_reads_a_line_separator_as_pyyaml_does() -> None:
    """U+2028 ends a comment for YAML; the mirror's fast path used to read past it and miss a key."""
    text = "id: S-1\n# a note\u2028status: HACKED\n"
    assert load_frontmatter(text) == yaml.safe_load(text) == {"id": "S-1", "status": "HACKED"}
