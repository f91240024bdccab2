"""``agentsync new`` in a folder of numbered records (adr-tools, MADR) continues that folder's
numbering and layout instead of starting a ``PREFIX-0001`` series beside it."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from agentsync.check import check_files
from agentsync.errors import AgentsyncError, ConfigError
from agentsync.newartifact import create
from agentsync.recordfolders import DatedFolder, NumberedFolder, dated_folder, numbered_folder
from agentsync.scanner import scan
from tests.conftest import Repo, make_git_repo
from tests.test_cli import run

NYGARD = "# {n}. {title}\n\nDate: 2016-02-12\n\n## Status\n\nAccepted\n\n## Context\n\nWhy.\n"
MADR2 = "# {title}\n\n* Status: accepted\n* Date: 2020-01-01\n\n## Context and Problem Statement\n\nWhy.\n"
MADR3 = "---\nstatus: accepted\ndate: 2023-01-01\n---\n\n# {title}\n\n## Context and Problem Statement\n\nWhy.\n"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["0001-a.md", "0009-b.md", "0002-c.md"], NumberedFolder(9, 4, "doc/adr/0009-b.md")),
        (["1-a.md", "12-b.md"], NumberedFolder(12, 1, "doc/adr/12-b.md")),  # unpadded stays unpadded
        (["0099-a.md", "0100-b.md"], NumberedFolder(100, 4, "doc/adr/0100-b.md")),
        (["ADR-0001-a.md", "ADR-0002-b.md", "0003-c.md"], None),  # the folder uses the prefix
        (["use-x.md", "4-day-work-week.md", "pick-y.md"], None),  # a title that starts with a number
        (["0001-a/README.md", "0002-b/README.md"], NumberedFolder(2, 4, "doc/adr/0002-b/README.md")),
        (["20200924-a.md", "20210113-b.md"], NumberedFolder(20210113, 1, "doc/adr/20210113-b.md", dated=True)),
        (["20200924-a.md", "20219913-b.md"], NumberedFolder(20219913, 1, "doc/adr/20219913-b.md")),  # no such day
        (["README.md", "template.md"], None),
        ([], None),
    ],
)
def test_a_folder_is_numbered_when_most_of_its_records_are_named_by_number(
    names: list[str], expected: NumberedFolder | None
) -> None:
    paths = [f"doc/adr/{name}" for name in names] + ["doc/adr/sub/0500-deeper.md", "doc/0700-beside.md"]
    assert numbered_folder("doc/adr", paths) == expected


CONFIG = "version: 1\ntypes:\n  adr:\n    id_prefix: ADR\n    globs: [doc/adr/**/*.md]\n"


def records(repo: Repo, template: str, count: int = 2) -> None:
    repo.write("agentsync.yaml", CONFIG)
    for n in range(1, count + 1):
        repo.write(f"doc/adr/{n:04d}-record-{n}.md", template.format(n=n, title=f"Record {n}"))


def test_new_in_an_adr_tools_folder_writes_the_next_number_in_its_layout(repo: Repo) -> None:
    records(repo, NYGARD, 9)
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "adr", "Use agentsync", author="ada")
        row = mirror.get(f"adr:{artifact_id}")
    assert (artifact_id, path) == ("0010-use-agentsync", "doc/adr/0010-use-agentsync.md")
    text = repo.read(path).decode()
    assert text.startswith("# 10. Use agentsync\n\nDate: ") and "## Status\n\nProposed\n" in text
    assert "---" not in text and "ADR-" not in text
    assert (
        report.ok and row is not None and (row.title, row.status, row.layout) == ("Use agentsync", "Proposed", "nygard")
    )


def test_new_in_a_folder_of_dated_adrs_writes_no_number_in_the_heading(repo: Repo) -> None:
    for day, title in (("2023-01-10", "Use Redis"), ("2024-05-01", "Use Postgres")):
        repo.write(
            f"docs/adrs/{day}-{title.lower().replace(' ', '-')}.md",
            f"# {title}\n\nDate: {day}\n\n## Status\n\nAccepted\n",
        )
    with repo.mirror() as mirror:
        scan(mirror)
        _, path, report = create(mirror, "adr", "Use Kafka", author="ada")
    assert path == f"docs/adrs/{datetime.date.today():%Y-%m-%d}-use-kafka.md" and report.ok
    assert repo.read(path).decode().startswith("# Use Kafka\n\nDate: ")  # was "# 0. Use Kafka"


def test_new_in_a_madr_folder_writes_its_status_bullets(repo: Repo) -> None:
    records(repo, MADR2, 3)
    with repo.mirror() as mirror:
        artifact_id, path, _ = create(mirror, "adr", "Pick a queue", author="ada")
        row = mirror.get(f"adr:{artifact_id}")
    assert path == "doc/adr/0004-pick-a-queue.md"
    assert repo.read(path).decode().startswith("# Pick a queue\n\n* Status: proposed\n* Date: ")
    assert row is not None and (row.status, row.layout) == ("proposed", "madr")


def test_new_in_a_log4brains_folder_names_the_record_by_today_and_keeps_its_dashes(repo: Repo) -> None:
    repo.write("agentsync.yaml", CONFIG)
    for day in ("20200924", "20210113"):
        repo.write(f"doc/adr/{day}-record.md", MADR2.format(title=f"Record {day}").replace("* ", "- "))
    with repo.mirror() as mirror:
        artifact_id, path, _ = create(mirror, "adr", "Use lunr", author="ada")
        row = mirror.get(f"adr:{artifact_id}")
    today = datetime.date.today().strftime("%Y%m%d")
    assert (artifact_id, path) == (f"{today}-use-lunr", f"doc/adr/{today}-use-lunr.md")
    assert repo.read(path).decode().startswith("# Use lunr\n\n- Status: proposed\n- Date: ")
    assert row is not None and (row.status, row.layout) == ("proposed", "madr")


def test_new_in_a_madr_3_folder_writes_frontmatter_without_an_id(repo: Repo) -> None:
    records(repo, MADR3, 2)
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "adr", "Pick a queue", author="ada")
        row = mirror.get(f"adr:{artifact_id}")
    assert (artifact_id, path) == ("0003-pick-a-queue", "doc/adr/0003-pick-a-queue.md")
    text = repo.read(path).decode()
    assert text.startswith("---\nstatus: proposed\ndate: ") and "\nid:" not in text and "# Pick a queue\n" in text
    assert report.ok and row is not None and (row.status, row.title) == ("proposed", "Pick a queue")


def test_a_numbered_folder_of_frontmatter_records_that_are_no_madr_gets_the_types_template(repo: Repo) -> None:
    records(repo, "---\ndescription: notes {n}\n---\n\n# {title}\n\n- [ ] a task\n", 2)
    with repo.mirror() as mirror:
        _, path, _ = create(mirror, "adr", "Pick a queue", author="ada")
    text = repo.read(path).decode()
    assert "Context and Problem Statement" not in text and "\nid: 0003-pick-a-queue\n" in text


def test_new_in_a_numbered_folder_of_records_with_ids_uses_the_types_template(repo: Repo) -> None:
    records(repo, "---\nid: {n:04d}-record-{n}\ntitle: {title}\nstatus: DRAFT\n---\n# {title}\n", 2)
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "adr", "Pick a queue", author="ada")
    assert (artifact_id, path) == ("0003-pick-a-queue", "doc/adr/0003-pick-a-queue.md")
    assert "\nid: 0003-pick-a-queue\n" in repo.read(path).decode() and report.ok


def test_a_teams_own_template_wins_and_can_use_the_number(repo: Repo) -> None:
    records(repo, NYGARD, 2)
    repo.write("adr-template.md", "# ${number}. ${title}\n\nDate: ${date}\n\n## Status\n\nDraft\n")
    repo.write("agentsync.yaml", CONFIG + "    template: adr-template.md\n")
    with repo.mirror() as mirror:
        _, path, _ = create(mirror, "adr", "Ours", author="ada")
    assert path == "doc/adr/0003-ours.md" and "## Status\n\nDraft\n" in repo.read(path).decode()


def test_new_beside_prefixed_records_keeps_the_prefix(repo: Repo) -> None:
    repo.write("agentsync.yaml", CONFIG)
    repo.write("doc/adr/0001-older.md", NYGARD.format(n=1, title="Older"))
    repo.write("doc/adr/ADR-0004-x.md", "---\nid: ADR-0004\ntitle: X\nstatus: DRAFT\n---\n# X\n")
    with repo.mirror() as mirror:
        artifact_id, path, _ = create(mirror, "adr", "Next", author="ada")
    assert (artifact_id, path) == ("ADR-0005", "doc/adr/ADR-0005-next.md")


def test_new_in_a_folder_per_record_named_by_title_makes_the_records_folder(repo: Repo) -> None:
    repo.write(
        "agentsync.yaml", "version: 1\ntypes:\n  decision:\n    id_from: path\n    globs: [decisions/*/README.md]\n"
    )
    for name in ("use-postgres", "4-day-work-week", "pick-a-queue"):
        repo.write(f"decisions/{name}/README.md", f"# {name}\n\nText.\n")
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "decision", "Use agentsync", author="ada")
        assert report.ok and mirror.get("decision:use-agentsync") is not None
    assert (artifact_id, path) == ("use-agentsync", "decisions/use-agentsync/README.md")
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match="already exists; not overwritten"):
        create(mirror, "decision", "Use agentsync", author="ada")


def test_titles_in_other_scripts_name_their_records_apart(repo: Repo) -> None:
    repo.write(
        "agentsync.yaml", "version: 1\ntypes:\n  decision:\n    id_from: path\n    globs: [decisions/*/README.md]\n"
    )
    repo.write("decisions/use-postgres/README.md", "# Use Postgres\n\nText.\n")
    with repo.mirror() as mirror:
        first = create(mirror, "decision", "使用 PostgreSQL 数据库", author="ada")[:2]
        second = create(mirror, "decision", "Перейти на очереди", author="ada")[:2]  # both were "untitled"
    assert first == ("使用-postgresql-数据库", "decisions/使用-postgresql-数据库/README.md")
    assert second == ("перейти-на-очереди", "decisions/перейти-на-очереди/README.md")
    assert check_files(repo.config(), [str(repo.root / first[1]), str(repo.root / second[1])]).ok


def test_a_name_another_file_has_in_another_unicode_form_is_refused(repo: Repo) -> None:
    """macOS writes names decomposed (и + a combining breve for й): a new record named the composed way
    would be a second file on Linux and the same one on macOS or Windows."""
    import unicodedata

    repo.write(
        "agentsync.yaml",
        "version: 1\ntypes:\n  decision:\n    id_from: path\n    globs: [decisions/*/README.md]\n"
        "  note:\n    id_from: filename\n    globs: [notes/*.md]\n",
    )
    decomposed = unicodedata.normalize("NFD", "мой-план")
    repo.write(f"notes/{decomposed}.md", "# Мой план\n")
    assert decomposed != "мой-план"
    repo.write(f"decisions/{decomposed}/README.md", "# Мой план\n\nText.\n")
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match="another Unicode form") as caught:
        create(mirror, "decision", "Мой план", author="ada")
    assert f"already exists as decisions/{decomposed} (" in str(caught.value)
    assert sorted(p.name for p in (repo.root / "decisions").iterdir()) == [decomposed]
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match=f"already exists as notes/{decomposed}.md"):
        create(mirror, "note", "Мой план", author="ada")  # a file of that name, beside


def test_a_new_id_from_the_path_is_the_whole_name_the_file_gets(repo: Repo) -> None:
    repo.write(
        "agentsync.yaml",
        "version: 1\ntypes:\n  decision:\n    id_from: filename\n    id_prefix: DEC\n    globs: [decisions/*.md]\n",
    )
    repo.write("decisions/DEC-0001-first.md", "# First\n")
    with repo.mirror() as mirror:
        artifact_id, path, _ = create(mirror, "decision", "Second", author="ada")
        assert mirror.get(f"decision:{artifact_id}") is not None
    assert (artifact_id, path) == ("DEC-0002-second", "decisions/DEC-0002-second.md")


def test_new_names_every_place_it_tried_when_no_glob_fits(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  decision:\n    globs: [decisions/20*.md, records/*/*/a.md]\n")
    with (
        repo.mirror() as mirror,
        pytest.raises(ConfigError, match=r"\(tried decisions/DECISION-0001-x\.md\); add one like"),
    ):
        create(mirror, "decision", "X", author="ada")


def test_new_goes_into_the_subfolder_of_its_prefix_where_records_are_sorted_so(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: INFRA\n    globs: [stories/**/*.md]\n")
    repo.write("stories/INFRA/INFRA-004-sync.md", "# INFRA-004: Sync\n\n## State\n\nDRAFT\n")
    repo.write("stories/WEB/WEB-002-page.md", "# WEB-002: Page\n\n## State\n\nDRAFT\n")
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "story", "Export", author="ada")
    assert (artifact_id, path) == ("INFRA-005", "stories/INFRA/INFRA-005-export.md") and report.ok


def test_new_in_a_backlog_md_folder_writes_a_task_as_backlog_md_does(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  task:\n    id_prefix: back\n    globs: [backlog/tasks/*.md]\n")
    repo.write("backlog/config.yml", 'project_name: "x"\ndefault_status: "Backlog"\nstatuses: ["Backlog", "Done"]\n')
    for number in (635, 636):
        repo.write(
            f"backlog/tasks/back-{number} - Task-{number}.md",
            f"---\nid: BACK-{number}\ntitle: Task {number}\nstatus: Done\n---\n\n## Description\n",
        )
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "task", "Fail closed, again!", author="ada")
        row = mirror.get(f"task:{artifact_id}")
    assert (artifact_id, path) == ("BACK-637", "backlog/tasks/back-637 - Fail-closed-again.md") and report.ok
    text = repo.read(path).decode()
    assert text.startswith("---\nid: BACK-637\ntitle: Fail closed, again!\nstatus: Backlog\nassignee: []\n")
    assert "\ncreated_date: '20" in text and "version:" not in text and "author:" not in text
    assert row is not None and (row.status, row.title) == ("Backlog", "Fail closed, again!")


def test_a_templates_value_the_config_does_not_allow_becomes_the_first_allowed(repo: Repo) -> None:
    records(repo, NYGARD.replace("Accepted", "DONE"), 1)
    repo.write("agentsync.yaml", CONFIG + "allowed_values: {status: [TODO, DOING, DONE]}\n")
    with repo.mirror() as mirror:
        _, path, report = create(mirror, "adr", "Ship it", author="ada")  # the adr-tools layout says Proposed
    assert "## Status\n\nTODO\n" in repo.read(path).decode() and report.ok
    assert check_files(repo.config(), [str(repo.root / path)]).ok


def test_new_beside_the_agent_clis_records_writes_its_heading_and_state(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: INFRA\n    globs: [stories/**/*.md]\n")
    for number in (4, 5):
        repo.write(f"stories/INFRA/INFRA-00{number}-x.md", f"# INFRA-00{number}: X\n\n## State\n\nCOMMITTED\n")
    with repo.mirror() as mirror:
        scan(mirror)
        artifact_id, path, report = create(mirror, "story", "Export", author="ada")
        row = mirror.get(f"story:{artifact_id}")
    assert repo.read(path).decode() == "# INFRA-006: Export\n\n## State\n\nDRAFT\n\n"
    assert report.ok and row is not None and (row.layout, row.status, row.title) == ("agent", "DRAFT", "Export")


def test_new_beside_the_agent_clis_records_takes_the_clis_own_template_of_the_type(repo: Repo) -> None:
    repo.write(
        "agentsync.yaml",
        "version: 1\ntypes:\n  story:\n    id_prefix: INFRA\n    globs: [.agent/cache/stories/**/*.md]\n"
        "  adr:\n    id_prefix: ADR\n    globs: [.agent/adrs/*.md]\n",
    )
    repo.write(".agent/cache/stories/INFRA/INFRA-004-x.md", "# INFRA-004: X\n\n## State\n\nCOMMITTED\n")
    repo.write(
        ".agent/templates/story-template.md",
        "# STORY-XXX: Title\r\n\r\n## State\r\n\r\nDRAFT\r\n\r\n## Problem Statement\r\n\r\n"
        "What costs $5 a day?\r\n\r\n## Copyright\r\n\r\n{{ COPYRIGHT_HEADER }}\r\n",
    )
    repo.write(
        ".agent/templates/adr-template.md", "# ADR-XXX: Title\n\n## Status\n\n**PROPOSED** | ACCEPTED\n\n## Context\n"
    )
    with repo.mirror() as mirror:
        scan(mirror)
        story_id, story, _ = create(mirror, "story", "Export", author="ada")
        adr_id, adr, report = create(mirror, "adr", "Use SQLite", author="ada")  # no record yet: the CLI's folder
    # its sections (the CLI's checks want them) under the new heading, its state; $ and CRLF as written
    assert repo.read(story).decode() == (
        "# INFRA-005: Export\r\n\r\n## State\r\n\r\nDRAFT\r\n\r\n## Problem Statement\r\n\r\n"
        "What costs $5 a day?\r\n\r\n## Copyright\r\n\r\n"
    )
    # a list of states to choose from becomes the type's first
    assert repo.read(adr).decode() == "# ADR-0001: Use SQLite\n\n## Status\n\nPROPOSED\n\n## Context\n"
    assert (story_id, adr_id) == ("INFRA-005", "ADR-0001") and report.ok


def test_a_template_behind_a_symlink_is_not_read(repo: Repo, tmp_path: Path) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: INFRA\n    globs: [stories/**/*.md]\n")
    repo.write("stories/INFRA/INFRA-004-x.md", "# INFRA-004: X\n\n## State\n\nCOMMITTED\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "story-template.md").write_text("# STORY-XXX: Title\n\n## State\n\nDRAFT\n\n## Secret\n\nfrom outside\n")
    (repo.root / ".agent").mkdir()
    (repo.root / ".agent/templates").symlink_to(outside)
    with repo.mirror() as mirror:
        scan(mirror)
        _, path, _ = create(mirror, "story", "Export", author="ada")
    assert repo.read(path).decode() == "# INFRA-005: Export\n\n## State\n\nDRAFT\n\n"  # the built-in shape


@pytest.mark.parametrize(
    ("title", "refusal"),
    [
        ("Two\n\n## Status\n\nAccepted", "line break or a control character"),  # would add a status section
        ("Bell\x07", "line break or a control character"),
        ("Line\u2028separator", "line break or a control character"),
        ("Bad \udcff byte", "not valid UTF-8"),  # what Python makes of a shell argument's byte 0xff
        ("x" * 201, "201 characters long"),
    ],
)
def test_a_title_that_would_not_stay_one_heading_line_is_refused_and_nothing_written(
    repo: Repo, title: str, refusal: str
) -> None:
    records(repo, NYGARD, 1)
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match=refusal):
        create(mirror, "adr", title, author="ada")
    assert sorted(p.name for p in (repo.root / "doc/adr").iterdir()) == ["0001-record-1.md"]


def test_dated_file_names_holding_prefixed_ids_keep_the_prefix_and_the_dated_name(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  plan:\n    id_prefix: PLAN\n    globs: [plans/*.md]\n")
    repo.write("plans/2024-01-15-migrate.md", "---\nid: PLAN-0001\ntitle: Migrate\n---\n")
    repo.write("plans/2024-03-02-cleanup.md", "---\nid: PLAN-0002\ntitle: Cleanup\n---\n")
    with repo.mirror() as mirror:
        scan(mirror)
        artifact_id, path, _ = create(mirror, "plan", "Roadmap", author="ada")
    assert (artifact_id, path) == ("PLAN-0003", f"plans/{datetime.date.today().isoformat()}-roadmap.md")
    assert (repo.root / path).read_text().startswith("---\nid: PLAN-0003\n")


def test_a_numbered_folder_counts_past_the_numbers_below_it_and_ignores_its_readme(repo: Repo) -> None:
    records(repo, NYGARD, 3)
    repo.write("doc/adr/README.md", "# Decisions\n\nThe log.\n")
    for n in (4, 5):
        repo.write(f"doc/adr/superseded/{n:04d}-old-{n}.md", NYGARD.format(n=n, title=f"Old {n}"))
    with repo.mirror() as mirror:
        artifact_id, path, report = create(mirror, "adr", "Next one", author="ada")
    assert (artifact_id, path) == ("0006-next-one", "doc/adr/0006-next-one.md") and report.ok


def test_plain_records_with_a_status_line_get_the_types_template_not_the_agent_clis(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  plan:\n    id_prefix: PLAN\n    globs: [plans/*.md]\n")
    repo.write("plans/rollout.md", "# Rollout\n\n**Owner**: bob\n**Status**: Draft\n")
    repo.write("plans/cleanup.md", "# Cleanup\n\nStatus: Done\n")
    with repo.mirror() as mirror:
        scan(mirror)
        _, path, _ = create(mirror, "plan", "Migrate DB", author="ada")
    assert repo.read(path).decode().startswith("---\nid: PLAN-0001\n")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["2026-03-11-server.md", "2026-01-02-login.md"], DatedFolder("plans/2026-03-11-server.md")),
        (["2026-03-11-a-design.md", "2026-04-01-b-design.md", "2026-05-05-c.md"],
         DatedFolder("plans/2026-05-05-c.md", "design")),  # most names end in -design: a new one does too
        (["2026-03-11-a-design.md", "2026-04-01-b-design.md"], DatedFolder("plans/2026-04-01-b-design.md")),  # two
        (["2026-03-11-a-v2.md", "2026-04-01-b-v2.md", "2026-05-01-c-v2.md"], DatedFolder("plans/2026-05-01-c-v2.md",
                                                                                          "v2")),
        (["2026-01-15-1430-a.md", "2026-02-02-0915-b.md"], DatedFolder("plans/2026-02-02-0915-b.md", "", True)),
        (["2026-13-45-x.md", "2026-14-01-y.md"], None),  # no such days
        (["2026-03-11-a.md", "rollout.md", "cleanup.md"], None),  # one dated name among titles
        (["2026-03-11-a/README.md", "2026-04-01-b/README.md"], DatedFolder("plans/2026-04-01-b/README.md")),
        ([], None),
    ],
)  # fmt: skip
def test_a_folder_is_dated_when_most_of_its_records_are_named_by_day_and_topic(
    names: list[str], expected: DatedFolder | None
) -> None:
    assert dated_folder("plans", [f"plans/{name}" for name in names]) == expected


def test_a_dated_name_has_the_day_the_minute_where_the_folder_has_it_and_the_folders_last_word() -> None:
    now = datetime.datetime(2026, 1, 15, 14, 30)
    assert DatedFolder("x").stem("Dark mode!", now) == "2026-01-15-dark-mode"
    assert DatedFolder("x", minute=True).stem("Dark mode", now) == "2026-01-15-1430-dark-mode"
    assert DatedFolder("x", "design").stem("Dark mode", now) == "2026-01-15-dark-mode-design"
    assert DatedFolder("x", "design").stem("Sync design", now) == "2026-01-15-sync-design"


def test_new_in_a_dated_folder_of_plain_records_writes_todays_name_and_no_frontmatter(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  plan:\n    id_prefix: PLAN\n    globs: [notes/*.md]\n")
    repo.write("notes/2025-11-22-opencode-support.md", "# OpenCode Support\n\nWhat and why.\n")
    repo.write("notes/2026-01-17-visual-brainstorming.md", "# Visual Brainstorming\n\n## Tasks\n")
    with repo.mirror() as mirror:
        scan(mirror)
        artifact_id, path, report = create(mirror, "plan", "Offline mode", author="ada")
        row = mirror.get(f"plan:{artifact_id}")
        with pytest.raises(AgentsyncError, match="already exists; not overwritten"):  # one topic twice a day
            create(mirror, "plan", "Offline mode", author="ada")
    today = datetime.date.today().isoformat()
    assert (artifact_id, path) == (f"{today}-offline-mode", f"notes/{today}-offline-mode.md") and report.ok
    # the plan template's sections, without the frontmatter the folder's records do not have
    assert (
        repo.read(path).decode() == "# Offline mode\n\n## Goal\n\nWhat this plan achieves, in one or two "
        "sentences.\n\n## Steps\n\n1. \n\n## Risks\n\n## Verification\n"
    )
    assert row is not None and (row.title, row.layout) == ("Offline mode", "plain")


BMAD = "# Story {n}: {title}\n\n## Status\n\nDone\n\n## Story\n\n**As a** user,\n**I want** x,\n**so that** y\n"


@pytest.mark.parametrize(
    ("names", "path", "label"),
    [  # the name the latest story has, with the next number (and its title where it has one)
        (["1.1.setup.md", "1.2.login.md", "2.1.albums.md"], "docs/stories/2.2.photo-sharing.md", "2.2"),
        (["1.1.story.md", "1.2.story.md"], "docs/stories/1.3.story.md", "1.3"),
        (["story-epic-1-1.md", "story-epic-1-2.md"], "docs/stories/story-epic-1-3.md", "1.3"),
        (["epic-1-story-1.1-a.md", "x.md", "epic-1-story-1.9-b.md"], "docs/stories/epic-1-story-1.10-photo-sharing.md",
         "1.10"),
        (["first.md", "second.md"], "docs/stories/1.3.photo-sharing.md", "1.3"),  # no numbers in the names: BMAD's
        (["001.01.a.md", "001.02.b.md", "001.09.c.md"], "docs/stories/001.10.photo-sharing.md", "1.10"),  # zeros kept
    ],
)  # fmt: skip
def test_new_beside_bmad_stories_writes_the_next_story_of_the_latest_epic(
    repo: Repo, names: list[str], path: str, label: str
) -> None:
    repo.write(
        "agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: STORY\n    globs: [docs/stories/**/*.md]\n"
    )
    numbers = iter(["1.1", "1.2", "2.1"] if names[-1].startswith("2.") else ["1.1", "1.2", "1.9"])
    for name in names:
        repo.write(f"docs/stories/{name}", BMAD.format(n=next(numbers), title=name.removesuffix(".md")))
    with repo.mirror() as mirror:
        assert scan(mirror).ok
        artifact_id, written, _ = create(mirror, "story", "Photo sharing", author="ada")
        row = mirror.get(f"story:{artifact_id}")
    assert written == path
    text = repo.read(path).decode()
    assert text.startswith(f"# Story {label}: Photo sharing\n\n## Status\n\nDraft\n\n## Story\n")
    assert row is not None and (row.status, row.title) == ("Draft", f"Story {label}: Photo sharing")


def test_a_folder_with_a_few_bmad_titles_among_others_is_no_bmad_folder(repo: Repo) -> None:
    repo.write("agentsync.yaml", "version: 1\ntypes:\n  story:\n    id_prefix: STORY\n    globs: [stories/*.md]\n")
    repo.write("stories/a.md", BMAD.format(n="1.1", title="A"))
    repo.write("stories/STORY-0001-b.md", "---\nid: STORY-0001\nstatus: DRAFT\n---\n# B\n")
    repo.write("stories/STORY-0002-c.md", "---\nid: STORY-0002\nstatus: DRAFT\n---\n# C\n")
    with repo.mirror() as mirror:
        assert scan(mirror).ok
        assert create(mirror, "story", "D", author="ada")[:2] == ("STORY-0003", "stories/STORY-0003-d.md")


def test_a_required_key_the_template_lacks_gets_an_empty_line_and_new_says_to_fill_it_in(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo")
    repo.write("agentsync.yaml", "version: 1\nrequired_fields: [owner]\n")
    code, out, err = run(repo, "new", "plan", "Ship it")
    assert (code, out.strip()) == (0, "created PLAN-0001 at plans/PLAN-0001-ship-it.md"), err
    assert '\nowner: ""\n---\n' in repo.read("plans/PLAN-0001-ship-it.md").decode()
    assert "note: plans/PLAN-0001-ship-it.md:1: missing required frontmatter key(s): owner; fill it in" in err
    assert run(repo, "check")[0] == 1  # still refused: agentsync cannot know the owner
    repo.write("plans/PLAN-0001-ship-it.md", repo.read("plans/PLAN-0001-ship-it.md").decode().replace('""', "ada"))
    assert run(repo, "check")[0] == 0


def test_a_day_in_the_records_names_is_no_number_to_count_on(repo: Repo) -> None:
    repo.write("plans/plan-2026-03-07-traceui.md", "# Trace UI Plan\n")  # plans named by prefix and day
    with repo.mirror() as mirror:
        scan(mirror)
        artifact_id, path, _ = create(mirror, "plan", "Second", author="ada")
    assert (artifact_id, path) == ("PLAN-0001", "plans/PLAN-0001-second.md")  # was PLAN-2027


def test_a_new_records_status_is_spelled_as_the_types_records_spell_it(repo: Repo) -> None:
    """The template's PROPOSED beside records saying "proposed": `board` showed two columns of one status."""
    for n, status in ((1, "accepted"), (2, "proposed")):
        repo.write(f"adrs/ADR-000{n}-x{n}.md", f'---\nid: ADR-000{n}\ntitle: X{n}\nstatus: "{status}"\n---\n\n# X{n}\n')
    with repo.mirror() as mirror:
        scan(mirror)
        artifact_id, _, _ = create(mirror, "adr", "Use Z", author="ada")
        assert mirror.get(f"adr:{artifact_id}").status == "proposed"  # type: ignore[union-attr]
        _, path, _ = create(mirror, "plan", "A plan", author="ada")  # no plan says draft otherwise: as written
    assert "status: DRAFT" in repo.read(path).decode()
