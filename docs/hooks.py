"""MkDocs hook: adds the pages made from the code (``docs/gen_reference.py``) to every build.

The pages exist only in the build (``File.generated``): nothing is written into ``docs/``, so
``mkdocs serve`` does not rebuild in a loop and no generated text is ever committed to drift.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mkdocs.structure.files import File, Files

HERE = Path(__file__).resolve().parent


def load_generator() -> ModuleType:
    """``docs/gen_reference.py``, loaded by path (``docs/`` is not a package) and without leaving a
    ``__pycache__`` in ``docs/``, with the checkout importable."""
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    path = HERE / "gen_reference.py"
    module = ModuleType("agentsync_docs_gen_reference")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Add each generated page (replacing a stale file of the same name, if someone left one)."""
    for uri, make in load_generator().PAGES.items():
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, uri, content=make()))
    return files
