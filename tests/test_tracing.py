"""OpenTelemetry spans for push, pull, fetch, remote calls and merges, caught by an in-memory
exporter; and nothing imported without OpenTelemetry."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentsync.remotes import migrations, open_remote
from agentsync.sync import fetch, pull, push
from tests.conftest import artifact
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_audit import clone_of

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider can be set once: this module's exporter stays for the session."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    yield _EXPORTER


def spans(exporter: InMemorySpanExporter) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finished in exporter.get_finished_spans():
        found.setdefault(finished.name, []).append(dict(finished.attributes or {}))
    return found


def test_push_pull_fetch_remote_calls_and_merges_emit_spans_without_content(
    tmp_path: Path,
    database: str,  # noqa: F811
    exporter: InMemorySpanExporter,
) -> None:
    with connect(database) as connection:
        migrations.migrate(connection)
    ada = clone_of(tmp_path / "ada", database, "ada@example.com")
    bo = clone_of(tmp_path / "bo", database, "bo@example.com")
    ada.write("plans/P-1.md", artifact("P-1", "One", body="Line one.\n\nSecret-ish words.\n"))
    remote = open_remote(ada.config())
    with ada.mirror() as mirror:
        push(mirror, remote, "ada@example.com")
    with bo.mirror() as mirror:
        pull(mirror, remote)
    bo.write("plans/P-1.md", bo.read("plans/P-1.md").decode().replace("Line one.", "Line one, Bo."))
    ada.write("plans/P-1.md", ada.read("plans/P-1.md").decode().replace("Secret-ish", "Other"))
    exporter.clear()
    with ada.mirror() as mirror:
        push(mirror, remote, "ada@example.com")
    with bo.mirror() as mirror:
        report = pull(mirror, remote)
        fetch(mirror, remote)
    remote.close()
    assert report.merged == ["plans/P-1.md"]
    found = spans(exporter)
    assert found["agentsync.push"] == [{"agentsync.applied": 1, "agentsync.conflicts": 0, "agentsync.locked": 0,
                                        "agentsync.refused": 0, "agentsync.resent_batches": 0,
                                        "agentsync.result": "ok"}]  # fmt: skip
    pulled, merged = found["agentsync.pull"][0], found["agentsync.merge"][0]
    assert pulled["agentsync.merged"] == 1 and pulled["agentsync.fetched"] == 1 and pulled["agentsync.result"] == "ok"
    assert found["agentsync.fetch"][0]["agentsync.fetched"] == 0
    assert merged["agentsync.clean"] is True and merged["agentsync.version"] == 2 and merged["agentsync.conflicts"] == 0
    calls = found["agentsync.remote.push"] + found["agentsync.remote.pull"]
    assert all(call["agentsync.result"] == "ok" and call["agentsync.remote"] == "postgresql" for call in calls)
    assert found["agentsync.remote.push"][0]["agentsync.answers"] == 1
    # The push's batches are sent from a thread: their spans still belong to the push's trace.
    by_name = {finished.name: finished for finished in exporter.get_finished_spans()}
    sent, pushed = by_name["agentsync.remote.push"], by_name["agentsync.push"]
    assert sent.parent is not None and sent.parent.span_id == pushed.context.span_id
    every_value = repr([attributes for group in found.values() for attributes in group])
    for private in ("Line one", "Secret-ish", "ada@example.com", "bo@example.com", database):
        assert private not in every_value


def test_without_opentelemetry_nothing_is_imported_and_spans_do_nothing() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"  # as if it were not installed
        "from agentsync import tracing\n"
        "with tracing.span('push', applied=1) as s:\n"
        "    s.set_attribute('x', 1)\n"
        "print(tracing._missing, [m for m in sys.modules if m.startswith('opentelemetry.')])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "True []\n"
