"""Packages whose names load on first use (PEP 562), so that a reader of one part of a package
does not import the rest: ``status`` reads two parts of ``agentsync.sync``, none of the watcher's loop."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


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
