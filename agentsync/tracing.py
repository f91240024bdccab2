"""OpenTelemetry spans for push, pull, fetch, each remote call and each merge, when the
``opentelemetry`` package is installed (``pip install 'agentsync[tracing]'``); without it,
nothing is imported and every span is a no-op.

Attributes are counts, sizes, versions and results; never contents, paths' text aside, and
never credentials. The application that embeds agentsync (or the environment, through
OpenTelemetry's own variables and an SDK) decides where spans go.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_tracer: Any = None
_missing = False


class _NoSpan:
    """What a span is without OpenTelemetry: attributes go nowhere."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        pass


_NO_SPAN = _NoSpan()


def _get_tracer() -> Any:
    global _tracer, _missing
    if _tracer is None and not _missing:
        try:
            from opentelemetry import trace
        except ImportError:
            _missing = True
            return None
        from agentsync import __version__

        _tracer = trace.get_tracer("agentsync", __version__)
    return _tracer


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any]:
    """A span named ``agentsync.NAME`` around the block (a no-op without OpenTelemetry); an
    exception is recorded on it and passed on."""
    tracer = _get_tracer()
    if tracer is None:
        yield _NO_SPAN
        return
    with tracer.start_as_current_span(f"agentsync.{name}") as current:
        current.set_attributes({f"agentsync.{key}": value for key, value in attributes.items() if value is not None})
        yield current
