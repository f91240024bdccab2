"""Export and import: byte-for-byte round trips, atomic writes, no edit overwritten, safe paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentsync import exporter
from agentsync.errors import AgentsyncError
from agentsync.scanner import scan
from tests.conftest import Repo, artifact

GEN_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "gen_corpus.py"
AGENT_CACHE = Path(__file__).resolve().parents[2] / "shared" / "background"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*.md")
        if ".agentsync" not in p.parts and ".git" not in p.parts
    }


def test_corpus_round_trips_byte_for_byte(repo: Repo, tmp_path: Path) -> None:
    if not GEN_CORPUS.exists():
        pytest.skip(f"{GEN_CORPUS} not found (shared/ is checked out beside the project in CI)")
    subprocess.run([sys.executable, str(GEN_CORPUS), str(repo.root), "--count", "300"], check=True, capture_output=True)
    out = tmp_path / "out"
    with repo.mirror() as mirror:
        assert scan(mirror).ok
        report = exporter.export_dir(mirror, out)
    assert len(report.written) == 300
    assert tree_bytes(out) == tree_bytes(repo.root)


def test_agent_cache_layout_round_trips(repo: Repo, tmp_path: Path) -> None:
    files = {
        ".agent/cache/stories/INFRA/INFRA-005-sync.md": "# INFRA-005: Sync\r\n\r\nStatus: ACCEPTED\r\n\r\n---\r\n",
        ".agent/cache/plans/WEB/WEB-2-login.md": "\ufeff# WEB-2: Login\n\n## State\n\nDRAFT\n",
        ".agent/cache/runbooks/OPS-1.md": "# OPS-1: Pager rota\n\nno status here, no final newline",
    }
    if AGENT_CACHE.exists():
        for source in sorted(AGENT_CACHE.iterdir()):
            files[f".agent/cache/stories/BG/{source.stem}.md"] = source.read_text(encoding="utf-8")
    for path, text in files.items():
        repo.write(path, text)
    out = tmp_path / "out"
    with repo.mirror() as mirror:
        report = scan(mirror)
        assert report.ok, report.problems
        assert mirror.find("INFRA-005").status == "ACCEPTED"
        assert mirror.find("WEB-2").status == "DRAFT"
        exporter.export_dir(mirror, out)
    assert tree_bytes(out) == tree_bytes(repo.root)


@st.composite
def odd_documents(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    fm_lines = draw(
        st.lists(st.sampled_from(["title: T", "status: 'X'", "tags: [a, b]", "# c", "x:", "  - y", "n: 3  # k"]))
    )
    body = draw(st.lists(st.sampled_from(["# H", "---", "text ünïcödé", "", "```", "key: v", "..."]), max_size=8))
    frontmatter = draw(st.booleans())
    lines = (["---", "id: RT-1", *fm_lines, "---"] if frontmatter else []) + body
    return (bom + eol.join(lines) + (eol if draw(st.booleans()) else "")).encode("utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(odd_documents())
def test_generated_documents_round_trip_through_the_mirror(repo: Repo, tmp_path_factory, data: bytes) -> None:
    repo.write("plans/rt.md", data)
    repo.touch_later("plans/rt.md")
    out = tmp_path_factory.mktemp("out")
    with repo.mirror() as mirror:
        report = scan(mirror)
        if report.ok:
            exporter.export_dir(mirror, out)
            assert (out / "plans/rt.md").read_bytes() == data


def test_export_tree_restores_missing_and_refuses_to_overwrite_edits(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("plans/b.md", artifact("P-2"))
    repo.age()
    with repo.mirror() as mirror:
        scan(mirror)
        repo.remove("plans/a.md")
        repo.write("plans/b.md", artifact("P-2", body="local edit not yet mirrored\n"))
        report = exporter.export_tree(mirror)
        assert report.written == ["plans/a.md"]
        assert [str(p) for p in report.problems] == [
            "plans/b.md: changed since it was mirrored; run `agentsync mirror` first, or --force"
        ]
    assert repo.read("plans/a.md") == artifact("P-1").encode()
    assert b"local edit" in repo.read("plans/b.md")


def test_export_tree_of_unchanged_files_writes_nothing(repo: Repo) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.age()
    before = (repo.root / "plans/a.md").stat().st_mtime_ns
    with repo.mirror() as mirror:
        scan(mirror)
        report = exporter.export_tree(mirror)
    assert report.written == [] and report.unchanged == 1
    assert (repo.root / "plans/a.md").stat().st_mtime_ns == before


def test_bundle_round_trip_into_an_empty_repository(repo: Repo, tmp_path: Path) -> None:
    repo.write("plans/a.md", artifact("P-1"))
    repo.write("docs/stories/s.md", "\ufeff---\r\nid: S-1\r\n---\r\nbody\r\n")
    bundle = tmp_path / "backup.jsonl"
    with repo.mirror() as mirror:
        scan(mirror)
        assert exporter.export_bundle(mirror, bundle) == 2
    header, *records = [json.loads(line) for line in bundle.read_text(encoding="utf-8").splitlines()]
    assert header["format"] == "agentsync-bundle" and header["count"] == 2
    assert {r["id"] for r in records} == {"P-1", "S-1"}

    shutil.rmtree(repo.root / "plans")
    shutil.rmtree(repo.root / "docs")
    shutil.rmtree(repo.root / ".agentsync")
    with repo.mirror() as mirror:
        result = exporter.import_bundle(mirror, bundle)
        assert result.ok and sorted(result.written) == ["docs/stories/s.md", "plans/a.md"]
        assert mirror.count() == 2
    assert repo.read("docs/stories/s.md") == "\ufeff---\r\nid: S-1\r\n---\r\nbody\r\n".encode()


def test_bundle_import_never_writes_outside_artifact_folders(repo: Repo, tmp_path: Path) -> None:
    bundle = tmp_path / "evil.jsonl"
    lines = [
        {"format": "agentsync-bundle", "version": 1},
        {"id": "E-1", "path": "../../escape.md", "content": "x"},
        {"id": "E-2", "path": "/tmp/abs.md", "content": "x"},
        {"id": "E-3", "path": ".git/hooks/pre-commit.md", "content": "x"},
        {"id": "E-4", "path": "src/not-an-artifact.md", "content": "x"},
        {"id": "E-5", "path": "plans/ok.md", "content": "---\nid: E-5\n---\n", "hash": "0" * 64},
        {"id": "E-6", "path": "plans/fine.md", "content": "---\nid: E-6\n---\n"},
    ]
    bundle.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with repo.mirror() as mirror:
        result = exporter.import_bundle(mirror, bundle)
    messages = [str(p) for p in result.problems]
    assert len(messages) == 5
    assert all(f"evil.jsonl:{n}:" in m for n, m in zip(range(2, 7), messages, strict=False))
    assert "damaged" in messages[-1]
    assert result.written == ["plans/fine.md"]
    assert not (tmp_path / "escape.md").exists() and not (repo.root / "src").exists()


def test_bundle_import_does_not_overwrite_different_files_without_force(repo: Repo, tmp_path: Path) -> None:
    repo.write("plans/a.md", artifact("P-1", body="bundle version\n"))
    bundle = tmp_path / "b.jsonl"
    with repo.mirror() as mirror:
        scan(mirror)
        exporter.export_bundle(mirror, bundle)
        repo.write("plans/a.md", artifact("P-1", body="local version\n"))
        result = exporter.import_bundle(mirror, bundle)
        assert not result.ok and b"local version" in repo.read("plans/a.md")
        result = exporter.import_bundle(mirror, bundle, force=True)
        assert result.ok and b"bundle version" in repo.read("plans/a.md")


def test_not_a_bundle(repo: Repo, tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"hello": 1}\n', encoding="utf-8")
    with repo.mirror() as mirror, pytest.raises(AgentsyncError, match="not an agentsync bundle"):
        exporter.import_bundle(mirror, bad)


def test_export_to_a_folder_that_cannot_be_written_is_one_clear_line(repo: Repo, tmp_path: Path) -> None:
    from tests.test_cli import run

    repo.write("plans/P-1.md", artifact("P-1"))
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    for unusable in ("/proc/agentsync-nope", str(a_file / "under")):
        code, out, err = run(repo, "export", "--to", unusable)
        assert code == 1 and not out, (out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"agentsync: error: cannot write into {unusable}: "), err
        assert lines[0].endswith("; `export --to` needs a folder you can create and write"), err
