"""What is made on first use: a package's names (PEP 562), so that a reader of one part of a package
does not import the rest (``status`` reads two parts of ``agentsync.sync``, none of the watcher's
loop); and regular expressions, so that a module many commands import compiles only the patterns
the running one uses (each takes 50–500 µs to compile: a plain ``status`` used a tenth of them)."""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import Callable, Mapping


def pattern(source: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """``re.compile(source, flags)``, compiled when first called and kept."""

    @functools.cache
    def compiled() -> re.Pattern[str]:
        return re.compile(source, flags)

    return compiled


def attribute_loader(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: NAME is imported from ``package.homes[NAME]`` when
    first asked for, and kept in the package, so the next use is a plain attribute."""

    def load(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return load
