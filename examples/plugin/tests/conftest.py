"""Run from a checkout (``pytest examples/plugin/tests``) without installing: src/ goes on the path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
