"""The package's layers, enforced: a module imports only from its own layer or the ones below
(docs/architecture.md draws them), no two modules import each other (lazily or not), every
subpackage is packaged, and only the store and the remotes run SQL."""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "agentsync"

# Bottom to top. A name is a top-level module or subpackage of agentsync.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"__init__", "__version__", "errors", "secrets", "terminal", "tracing", "yamlload", "yamlerrors",
                    "forked", "fsutil", "diskfull", "sqlguard", "log", "lazy", "hookjob"}),
    ("model", {"identity", "artifact", "frontmatter_edit", "gitfield_carriers", "gitfield_check", "config", "outbound",
               "merge", "plugins", "formats", "slugs"}),
    ("storage and files", {"store", "globs", "folders", "paths", "pathpolicy", "parsing", "synclock"}),
    ("git and remotes", {"gitrepo", "gitcli", "gitfields", "remotes", "hooks"}),
    ("work tree", {"scanner", "statpass", "gitmirror", "exporter", "resolve", "check", "checkcache", "newartifact",
                   "newtemplates", "recordfolders", "backlognames", "toolfolders", "exportcommit"}),
    ("sync", {"sync"}),
    ("drivers", {"watch", "hookrun", "doctor", "repostatus", "comparison", "syncstats", "remote_state", "remotesetup",
                 "diffing", "clones", "deinit", "importing", "initialize", "redaction", "mcp", "board"}),
    ("interface", {"commands", "cli", "__main__"}),
]  # fmt: skip
LEVEL = {name: level for level, (_, names) in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("agentsync", *parts)).removesuffix(".__init__")
        found[name] = path
    return found


def unit(module: str) -> str:
    """The top-level module or subpackage a dotted name belongs to ('__init__' for the package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """The agentsync modules ``path`` imports (with the line), lazily inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: list[tuple[str, int]] = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("agentsync"):
            module = node.module or ""
            if module == "agentsync":  # `from agentsync import x`: x is a module, or a name of the package
                found += [(f"agentsync.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith("agentsync")]
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({unit(name) for name in modules()} - set(LEVEL))
    assert not unplaced, f"place these in LAYERS (and docs/architecture.md): {unplaced}"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = []
    for name, path in modules().items():
        mine = LEVEL[unit(name)]
        for imported, line in imports(path):
            theirs = LEVEL.get(unit(imported), 0)  # a name of the package itself (__version__)
            if theirs > mine:
                upward.append(f"{name} ({LAYERS[mine][0]}) imports {imported} ({LAYERS[theirs][0]}), line {line}")
    assert not upward, "\n".join(upward)


def test_no_import_cycle_lazy_imports_included() -> None:
    known = modules()
    graph = {name: {m for m, _ in imports(path) if m in known and m != name} for name, path in known.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycles.append([*trail[trail.index(other) :], other] if other in trail else [name, other])
            elif other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # A package's __init__ that re-exports its modules is imported by them through their names: not a cycle.
    real = [cycle for cycle in cycles if not any(a.startswith(b + ".") or b.startswith(a + ".")
                                                 for a, b in itertools.pairwise(cycle))]  # fmt: skip
    assert not real, "\n".join(" -> ".join(cycle) for cycle in real)


def test_every_subpackage_is_packaged() -> None:
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")  # (tomllib needs Python 3.11)
    line = re.search(r"^packages = \[(.*)\]$", pyproject, re.M)
    assert line is not None, "pyproject.toml lists the packages on one `packages = [...]` line"
    listed = set(re.findall(r'"([^"]+)"', line.group(1)))
    packages = {".".join(("agentsync", *p.parent.relative_to(PACKAGE).parts)) for p in PACKAGE.rglob("__init__.py")}
    assert packages <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(packages - listed)}"


def test_only_the_store_and_the_remotes_run_sql() -> None:
    running = re.compile(r"\.(execute|executemany|executescript)\(")
    outside = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for name, path in modules().items()
        if unit(name) not in ("store", "remotes")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if running.search(line)
    ]
    assert not outside, "move this SQL into agentsync/store/: " + ", ".join(outside)


def test_modules_and_functions_stay_small() -> None:
    too_big = []
    for path in modules().values():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            too_big.append(f"{path.relative_to(PACKAGE)}: {text.count(chr(10))} lines (at most 400)")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    too_big.append(
                        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {length} lines (at most 80)"
                    )
    assert not too_big, "\n".join(too_big)


@pytest.mark.parametrize("package", ["agentsync.sync", "agentsync.watch"])
def test_a_lazy_package_exports_what_it_names_and_loads_it_on_first_use(package: str) -> None:
    """``agentsync.sync`` and ``agentsync.watch`` import a part when one of its names is first used
    (PEP 562): every name in ``__all__`` has a home and resolves there, and importing the package
    alone loads none of its parts."""
    probe = (
        "import importlib, sys; package = importlib.import_module(sys.argv[1]); "
        "loaded = sorted(name for name in sys.modules if name.startswith(sys.argv[1] + '.')); "
        "print(loaded)"
    )
    done = subprocess.run([sys.executable, "-c", probe, package], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(module._HOMES), "name it in both __all__ and _HOMES"
    for name, home in module._HOMES.items():
        assert getattr(module, name) is getattr(importlib.import_module(f"{package}.{home}"), name)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
