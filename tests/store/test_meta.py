"""The meta table's keys: one enum, one value for the index-deferred mark, the triggers in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentsync import scanner
from agentsync.store import MetaKey, triggers
from agentsync.store.meta import INDEX_DEFERRED_VALUE
from tests.conftest import Repo, artifact

PACKAGE = Path(__file__).resolve().parents[2] / "agentsync"


def test_the_full_text_triggers_stand_aside_for_the_enum_key() -> None:
    keys = set(re.findall(r"FROM meta WHERE key = '([^']+)'", triggers.FTS_TRIGGERS))
    assert keys == {MetaKey.INDEX_DEFERRED.value}


def test_no_meta_key_is_spelled_out_outside_the_store() -> None:
    """Outside the store, meta is read and written through Mirror's helpers with a MetaKey: no SQL on
    the table and no key passed as a string literal."""
    bypass = re.compile(r"""_meta(?:_if_absent)?\(\s*['"]|\b(?:FROM|INTO|UPDATE) meta\b""")
    found = [
        f"{path.relative_to(PACKAGE)}: {match.group(0)}"
        for path in PACKAGE.rglob("*.py")
        if "store" not in path.relative_to(PACKAGE).parts
        for match in bypass.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_deferred_index_and_a_bulk_scan_write_the_same_mark(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        repo.write(f"plans/p{n}.md", artifact(f"P-{n}", body=f"word{n}\n"))
    seen: list[str | None] = []
    with repo.mirror() as mirror:
        with mirror.deferred_index():
            seen.append(mirror.get_meta(MetaKey.INDEX_DEFERRED))
        assert mirror.get_meta(MetaKey.INDEX_DEFERRED) is None
        monkeypatch.setattr(scanner, "BULK_THRESHOLD", 1)
        repo.write("plans/p0.md", artifact("P-0", body="changed\n"))
        original = mirror.set_meta

        def recording(key: MetaKey, value: str) -> None:
            if key is MetaKey.INDEX_DEFERRED:
                seen.append(value)
            original(key, value)

        monkeypatch.setattr(mirror, "set_meta", recording)
        assert scanner.scan(mirror).ok
        assert mirror.get_meta(MetaKey.INDEX_DEFERRED) is None
        assert [hit.row.id for hit in mirror.search("changed")] == ["P-0"]
    assert seen == [INDEX_DEFERRED_VALUE, INDEX_DEFERRED_VALUE]
