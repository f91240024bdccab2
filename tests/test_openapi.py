"""docs/reference/openapi.json stays true to sql/ and to what the Supabase client sends.

The document is generated (docs/reference/gen_openapi.py); these tests read sql/ and the
client on their own, so a bug in the generator shows as well as a stale file.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "reference" / "openapi.json"
CLIENT = ROOT / "agentsync" / "remotes" / "supabase.py"

_DEFINITION = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+agentsync\.(\w+)\s*\(([^()]*)\)", re.IGNORECASE)


def latest_signatures() -> dict[str, list[tuple[str, str]]]:
    """Each function's arguments as its last definition in migration order states them."""
    signatures: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((ROOT / "sql").glob("*.sql")):
        for name, arguments in _DEFINITION.findall(path.read_text(encoding="utf-8")):
            pairs = [part.split(None, 1) for part in arguments.split(",") if part.strip()]
            signatures[name] = [(arg, " ".join(kind.split()).lower()) for arg, kind in pairs]
    return signatures


def client_calls() -> dict[str, set[str]]:
    """Function name -> the `p_*` keys the method that calls it sends."""
    calls: dict[str, set[str]] = {}
    for method in ast.walk(ast.parse(CLIENT.read_text(encoding="utf-8"))):
        if not isinstance(method, ast.FunctionDef) or method.name == "_rpc":
            continue
        names = [
            node.args[0].value
            for node in ast.walk(method)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "_rpc"
            and isinstance(node.args[0], ast.Constant)
        ]
        keys = {
            node.value
            for node in ast.walk(method)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("p_")
        }
        for name in names:
            calls[str(name)] = keys
    return calls


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {path.removeprefix("/rpc/"): item["post"] for path, item in document["paths"].items()}


def arguments_of(operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return dict(schema["properties"])


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_openapi", ROOT / "docs" / "reference" / "gen_openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_client_reads_calls_at_all():
    calls = client_calls()
    assert {"push", "pull_rows", "lock", "schema_version"} <= set(calls)
    assert calls["push"] == {"p_project", "p_client", "p_batch", "p_author", "p_changes"}


def test_every_function_the_client_calls_is_described_with_the_arguments_it_sends(document):
    described = operations(document)
    for name, keys in client_calls().items():
        assert name in described, f"the client calls agentsync.{name}, which openapi.json does not describe"
        assert set(arguments_of(described[name])) == keys, name


def test_described_functions_match_the_latest_sql_definition(document):
    signatures = latest_signatures()
    for name, operation in operations(document).items():
        assert name in signatures, f"openapi.json describes agentsync.{name}, which no migration defines"
        arguments = arguments_of(operation)
        assert list(arguments) == [arg for arg, _ in signatures[name]], name
        for arg, kind in signatures[name]:
            assert arguments[arg]["x-pg-type"] == kind, f"{name}.{arg}"
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["required"] == list(arguments)  # PostgREST finds a function by its argument names


def test_later_migrations_replace_earlier_definitions(document):
    # register_client was redefined in 0009, push in 0011 and 0015: the document states where each one lives now.
    described = operations(document)
    assert "sql/0015_push_key_lookup.sql" in described["push"]["description"]
    assert "sql/0011_type_identity.sql" not in described["push"]["description"]
    assert "sql/0008_clients.sql" not in described["register_client"]["description"]


def test_errors_list_the_sqlstates_the_functions_raise(document):
    described = operations(document)
    assert {"22023", "42501"} <= set(described["push"]["x-sqlstates"])
    assert {"22023", "42501", "P0002"} <= set(described["purge"]["x-sqlstates"])
    assert "42501" in described["head"]["x-sqlstates"]  # through project_for / caller_kind
    for operation in described.values():
        assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert set(document["components"]["schemas"]["Error"]["properties"]) == {"code", "message", "details", "hint"}


def test_requests_name_the_schema_and_carry_the_keys(document):
    assert document["openapi"].startswith("3.1")
    assert set(document["components"]["securitySchemes"]) == {"apikey", "bearer"}
    assert document["components"]["securitySchemes"]["apikey"]["name"] == "apikey"
    profile = document["components"]["parameters"]["ContentProfile"]
    assert (profile["name"], profile["schema"]["const"]) == ("Content-Profile", "agentsync")


def test_the_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)


def test_the_committed_document_is_what_the_generator_writes_now():
    assert DOCUMENT.read_text(encoding="utf-8") == generator().rendered(), (
        "docs/reference/openapi.json is stale: run python docs/reference/gen_openapi.py"
    )
