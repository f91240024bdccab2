"""Where ids come from (``id_from``), which files a type leaves out (``exclude``), and id prefixes
of any case, through a real scan of a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync.formats.base import Reading
from agentsync.formats.ids import IdRule, derive, path_id
from agentsync.newartifact import next_id
from agentsync.scanner import scan
from tests.conftest import Repo


@pytest.mark.parametrize(
    "rule, path, reading, expected",
    [
        (IdRule(), "plans/x.md", Reading({}, id="P-1"), "P-1"),
        (IdRule(), "plans/x.md", Reading({}), "x"),
        (IdRule(), "plans/README.md", Reading({}), "README"),  # the default rule keeps today's file-name ids
        (IdRule("heading"), "s.md", Reading({}, heading="STORY-ID: INFRA-138: T"), "INFRA-138"),
        (IdRule("heading"), "s.md", Reading({}, heading="task-12: Lower case"), "task-12"),
        (IdRule("heading"), "s.md", Reading({}, id="F-1", heading="1. Numbered title"), "F-1"),
        (IdRule("filename"), "docs/adr/use-x/README.md", Reading({}, id="ignored"), "use-x"),
        (IdRule("path", ("docs/adr",)), "docs/adr/use-x/README.md", Reading({}), "use-x"),
        (IdRule("path", ("docs/adr",)), "docs/adr/use-x/index.md", Reading({}), "use-x"),
        (IdRule("path", ("docs", "docs/adr")), "docs/adr/2024/use-y.md", Reading({}), "2024-use-y"),
        (IdRule("path", ("docs/adr",)), "docs/adr/README.md", Reading({}), "adr"),
    ],
)
def test_id_rules(rule: IdRule, path: str, reading: Reading, expected: str) -> None:
    assert derive(rule, path, reading) == expected


def test_path_ids_are_relative_to_the_longest_fixed_prefix() -> None:
    assert path_id("a/b/c.md", ("a", "a/b")) == "c" and path_id("z/c.md", ("a",)) == "z-c"


CONFIG = """\
version: 1
exclude: [CHANGELOG.md]
types:
  decision:
    id_prefix: decision
    id_from: path
    globs: [docs/adr/*/README.md, docs/adr/*/index.md]
  task:
    id_prefix: task
    id_from: filename
    globs: [backlog/**/*.md]
    exclude: [backlog/archive/**, readme.md]
  story:
    id_from: heading
    globs: [stories/**/*.md]
"""


def test_a_config_fitted_to_the_tree(repo: Repo, tmp_path: Path) -> None:
    repo.write("agentsync.yaml", CONFIG)
    repo.write("docs/adr/use-postgres/README.md", "# Use PostgreSQL\n\n## Status\n\nAccepted\n")
    repo.write("docs/adr/use-kafka/index.md", "---\nid: ignored-by-path\nstatus: rejected\n---\n# Kafka\n")
    repo.write("docs/adr/CHANGELOG.md", "# not matched by the globs anyway\n")
    repo.write("backlog/task-12.md", "---\nid: other\nstatus: To Do\n---\n")
    repo.write("backlog/readme.md", "# Backlog\n")
    repo.write("backlog/CHANGELOG.md", "# Changes\n")
    repo.write("backlog/archive/task-1.md", "---\nstatus: Done\n---\n")
    repo.write("stories/s.md", "# task-7: A story whose heading names it\n\n## State\n\nDRAFT\n")
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert report.ok, report.problems
        rows = {(row.type, row.id): (row.status, row.path) for row in mirror.list_artifacts()}
    assert rows == {
        ("decision", "use-postgres"): ("Accepted", "docs/adr/use-postgres/README.md"),
        ("decision", "use-kafka"): ("rejected", "docs/adr/use-kafka/index.md"),
        ("task", "task-12"): ("To Do", "backlog/task-12.md"),
        ("story", "task-7"): ("DRAFT", "stories/s.md"),
    }
    config = config_module.load(repo.root)
    assert config.type_named("task").id_prefix == "task" and config.type_named("story").id_from == "heading"


def test_an_excluded_file_is_left_to_a_later_type(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  plan:\n    globs: ['**/*.md']\n    exclude: [notes/**]\n"
               "  note:\n    globs: [notes/**/*.md]\n")  # fmt: skip
    repo.write("notes/n.md", "# A note\n")
    repo.write("p.md", "# A plan\n")
    with repo.mirror() as mirror:
        assert scan(mirror).ok
        assert {(row.type, row.id) for row in mirror.list_artifacts()} == {("note", "n"), ("plan", "p")}


@pytest.mark.parametrize(
    "prefix, taken, expected",
    [
        ("task", {"task-12", "task-3"}, "task-13"),  # ids written without zeros get none
        ("m", {"m-6", "m-7"}, "m-8"),
        ("ADR", {"ADR-0001"}, "ADR-0002"),
        ("PLAN", set(), "PLAN-0001"),
    ],
)
def test_new_ids_follow_the_prefix_and_numbering_in_use(prefix: str, taken: set[str], expected: str) -> None:
    assert next_id(prefix, taken) == expected


def test_new_explains_that_it_writes_markdown_for_a_yaml_type(repo: Repo) -> None:
    from agentsync.errors import ConfigError
    from agentsync.newartifact import create

    repo.write("agentsync.yaml", "version: 1\ntypes:\n  journey:\n    globs: [journeys/**/*.yaml]\n")
    with repo.mirror() as mirror, pytest.raises(ConfigError, match=r"writes Markdown.*only \*\.yaml files"):
        create(mirror, "journey", "A new journey")
