"""The library behind the reporting commands (diff, doctor, stats, status): typed values and lines,
tested without a remote or a terminal."""

from __future__ import annotations

import pytest

from agentsync.diffing import ConflictSides, RemoteComparison, side_by_side, unified_lines
from agentsync.doctor import Check, _credentials
from agentsync.remote_state import RemoteState
from agentsync.store.reports import OpenConflict, conflict_count, queue_summary, recent_operations
from agentsync.syncstats import collect
from tests.conftest import Repo


def test_side_by_side_shows_the_base_where_local_and_remote_differ() -> None:
    sides = ConflictSides("S-1", "stories/s.md", 3, "bo", "a\nb\nc\n", "a\nB\nc\n", "a\nb2\nc\n")
    lines = side_by_side(sides, columns=68)  # three columns of 20
    assert lines == [
        "S-1: base, local and remote v3 by bo, where local and remote differ",
        f"  {'base':<20} | {'local':<20} | {'remote':<20}",
        "@@ local lines 2-2, remote lines 2-2",
        f"  {'b':<20} | {'B':<20} | {'b2':<20}",
    ]
    assert list(sides.to_json()) == [
        "key", "type", "id", "path", "remote_version", "remote_author", "base", "local", "remote"
    ]  # fmt: skip


def test_side_by_side_columns_line_up_in_any_script() -> None:
    from agentsync.terminal import display_width

    local = "状态：进行中，等待评审和测试结果出来以后再决定\n"  # 24 wide characters: 48 columns, cut
    sides = ConflictSides("S-1", "stories/s.md", 3, "bo", "a\n", "修复\n" + local, "fix\nplain\n")
    lines = side_by_side(sides, columns=68)
    cells = [line.split(" | ") for line in lines[1:] if not line.startswith("@@")]
    assert all(display_width(cell) == 20 for row in cells for cell in (row[0][2:], row[1])), cells
    assert cells[-1][1].rstrip().endswith("…") and cells[-1][1].startswith("状态")
    assert cells[1][1].startswith("修复") and cells[1][2] == "fix".ljust(20)


def test_unified_lines_name_both_sides_and_are_empty_when_they_match() -> None:
    deleted = RemoteComparison("P-1", "plans/p.md", 4, "ada", True, "text\n", "")
    lines = unified_lines(deleted)
    assert lines[0] == "--- remote v4 by ada (deleted)\n" and lines[1] == "+++ work tree plans/p.md\n"
    same = RemoteComparison("P-1", None, 4, "ada", False, "text\n", "text\n")
    assert same.same and unified_lines(same) == []
    assert same.to_json()["same"] is True


def test_a_check_never_shows_a_credential() -> None:
    check = Check("remote", False, "postgresql://ada:s3cret-pw@db.example.com/app: cannot reach")
    assert "s3cret-pw" not in check.detail and check.to_json()["check"] == "remote"


@pytest.mark.parametrize(
    ("variables", "ok"),
    [
        ({"SUPABASE_SERVICE_ROLE_KEY": "k"}, True),
        ({"SUPABASE_ANON_KEY": "k", "SUPABASE_ACCESS_TOKEN": "t"}, True),
        ({"SUPABASE_ANON_KEY": "k"}, False),
        ({"SUPABASE_SERVICE_ROLE_KEY": "k", "SUPABASE_ACCESS_TOKEN": "t"}, False),  # the remote refuses this too
        ({}, False),
    ],
)
def test_doctor_checks_credentials_by_the_remotes_own_rule(
    variables: dict[str, str], ok: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    checks: list[Check] = []
    _credentials(checks.append)
    (check,) = checks
    assert check.ok is ok and check.detail == f"set: {', '.join(variables) or 'none'}"
    assert (check.fix == "") is ok


def test_remote_state_json_keeps_its_shape() -> None:
    state = RemoteState("origin", "postgresql://db/app", "team", ["A"], ["B"], [], ["A"], 1, 2, "boom",
                        [OpenConflict("C", "c.md", "pull", "why")], 7, [])  # fmt: skip
    assert list(state.to_json()) == [
        "name", "url", "project", "ahead", "behind", "diverged", "to_push", "queued_batches", "queue_attempts",
        "queue_error", "conflicts", "locks", "cursor", "head", "lag", "refused", "feed_problem", "error", "asked",
    ]  # fmt: skip
    assert state.to_json()["conflicts"] == [{"key": "C", "path": "c.md", "kind": "pull", "message": "why"}]


def test_stats_figures_per_operation_from_the_journal(repo: Repo) -> None:
    journal = [("push", 30, "ok", None), ("pull", 10, "error", "down"), ("push", 10, "partial", None),
               ("push", 20, "ok", None)]  # fmt: skip
    with repo.mirror() as mirror:
        with mirror.transaction():
            for seq, (operation, duration, result, error) in enumerate(journal):
                mirror.connection.execute(
                    "INSERT INTO operations(operation, started_at, duration_ms, result, pushed, pulled, conflicts, "
                    "error) VALUES (?, ?, ?, ?, 1, 2, 0, ?)",
                    (operation, f"2026-12-01T10:00:0{seq}", duration, result, error),
                )
        assert [row.operation for row in recent_operations(mirror, 3)] == ["pull", "push", "push"]
        assert queue_summary(mirror) == (0, 0, None) and conflict_count(mirror) == 0
        stats = collect(mirror, 10)
    figures = stats.to_json()
    assert figures["operations"] == 4 and figures["since"] == "2026-12-01T10:00:00"
    assert list(figures["by_operation"]) == ["push", "pull"]
    assert figures["by_operation"]["push"] == {"runs": 3, "errors": 0, "partial": 1, "pushed": 3, "pulled": 6,
                                               "conflicts": 0, "median_ms": 20, "max_ms": 30}  # fmt: skip
    assert figures["last_error"] == {"at": "2026-12-01T10:00:01", "message": "down"}
    assert list(figures)[-1] == "lag"
