"""Write docs/reference/openapi.json: the remote API as PostgREST exposes it, read from sql/.

Every function's name, arguments, argument types, result type and the SQLSTATEs it raises
come from the LATEST definition of the function across the migrations (a later migration's
CREATE OR REPLACE wins), so the document cannot drift from the SQL; only the prose and the
shapes of the jsonb answers live in the table below. ``python docs/reference/gen_openapi.py``
rewrites the file; ``--check`` exits 1 when the committed file is stale (tests/test_openapi.py
runs the same comparison).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = ROOT / "sql"
OUTPUT = Path(__file__).resolve().parent / "openapi.json"

_HEADER = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+agentsync\.(?P<name>\w+)\s*\((?P<args>[^()]*)\)\s*"
    r"RETURNS\s+(?P<returns>TABLE\s*\((?P<columns>[^()]*)\)|\w+)",
    re.IGNORECASE,
)
_RAISE = re.compile(r"RAISE\s+EXCEPTION\s+((?:'(?:[^']|'')*'\s*)+).*?ERRCODE\s*=\s*'(\w+)'", re.IGNORECASE | re.DOTALL)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_CALL = re.compile(r"\bagentsync\.(\w+)\s*\(")

# The condition names the functions raise, as the SQLSTATEs PostgREST puts in `code`.
SQLSTATES = {
    "invalid_parameter_value": "22023",
    "insufficient_privilege": "42501",
    "no_data_found": "P0002",
    "check_violation": "23514",
}

# Postgres types as JSON Schema (PostgREST sends and reads JSON).
JSON_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "uuid": {"type": "string", "format": "uuid"},
    "integer": {"type": "integer", "format": "int32"},
    "bigint": {"type": "integer", "format": "int64"},
    "boolean": {"type": "boolean"},
    "timestamptz": {"type": "string", "format": "date-time"},
    "jsonb": {},
}


@dataclass(frozen=True)
class SqlFunction:
    """One agentsync function as its latest migration defines it."""

    name: str
    arguments: tuple[tuple[str, str], ...]
    returns: str  # a type name, or "table"
    columns: tuple[tuple[str, str], ...]  # for RETURNS TABLE
    migration: str
    raises: tuple[tuple[str, str], ...]  # (condition, message) raised in its own body
    calls: frozenset[str] = field(default_factory=frozenset)


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            name, _, kind = part.partition(" ")
            if "default" in kind.lower():
                raise ValueError(f"argument defaults are not described: {part}")
            pairs.append((name, " ".join(kind.split()).lower()))
    return tuple(pairs)


def _message(literals: str) -> str:
    """Adjacent SQL string literals joined, as Postgres joins them."""
    return "".join(part.replace("''", "'") for part in _LITERAL.findall(literals))


def sql_functions(sql_dir: Path = SQL_DIR) -> dict[str, SqlFunction]:
    """Each agentsync function's latest definition, by name (migrations apply in file order)."""
    found: dict[str, SqlFunction] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for match in _HEADER.finditer(text):
            start = text.index("$$", match.end()) + 2
            body = text[start : text.index("$$", start)]
            returns = match["returns"].lower()
            found[match["name"]] = SqlFunction(
                name=match["name"],
                arguments=_pairs(match["args"]),
                returns="table" if returns.startswith("table") else returns,
                columns=_pairs(match["columns"] or ""),
                migration=path.name,
                raises=tuple((code.lower(), _message(literals)) for literals, code in _RAISE.findall(body)),
                calls=frozenset(_CALL.findall(body)),
            )
    return found


def raised(name: str, functions: dict[str, SqlFunction]) -> list[tuple[str, str]]:
    """(SQLSTATE, message) a call can end with: its own RAISEs and those of the functions it calls."""
    seen: set[str] = set()
    errors: list[tuple[str, str]] = []
    pending = [name]
    while pending:
        current = pending.pop(0)
        if current in seen or current not in functions:
            continue
        seen.add(current)
        for condition, message in functions[current].raises:
            error = (SQLSTATES[condition], message)
            if error not in errors:
                errors.append(error)
        pending.extend(sorted(functions[current].calls))
    return sorted(errors)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_NULLABLE_TEXT = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_LOCK_ANSWER = {
    "type": "object",
    "required": ["result"],
    "properties": {
        "result": {"enum": ["locked", "held", "unlocked", "not_locked"]},
        "holder": {"type": "string"},
        "expires_at": _TIME,
        "forced": {"type": "boolean", "description": "unlock only: another holder's lock was released"},
    },
}

# name -> (summary, description, result schema for a jsonb answer or None to use the SQL type).
DESCRIPTIONS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "push": (
        "Apply a batch of artifact changes with compare-and-swap versions",
        "Each change names the remote version it is based on (`base`, 0 for a new artifact). A change applies "
        "when `base` is the current version and nobody else holds a lock; otherwise its answer is `conflict` "
        "(with the remote row and its text) or `locked`. The whole batch is checked first: one malformed change "
        "refuses the batch (22023) and nothing is applied. Repeating a `p_batch` id returns the first answer "
        "with `replayed: true` and applies nothing twice. A signed-in user's author is the token's email.",
        {
            "type": "object",
            "required": ["answers", "head"],
            "properties": {
                "answers": {"type": "array", "items": _ref("PushAnswer")},
                "head": {"type": "integer", "description": "the project's latest change number after the batch"},
                "replayed": {"type": "boolean"},
            },
        },
    ),
    "pull_rows": (
        "A page of the change feed as rows",
        "Current rows (tombstones included) changed after `p_after`, in commit order, at most "
        "min(max(p_limit, 1), 5000); each row carries the project's head. No rows means nothing after `p_after`. "
        "The next page starts after the last row's `seq`.",
        None,
    ),
    "head": ("The project's latest change number", "The cheap check a watcher polls; 0 for a new project.", None),
    "lock": (
        "Take or renew a lease on one artifact",
        "`locked` when the lease is yours now (for `p_ttl_seconds`, at least 1), `held` with the other holder.",
        _LOCK_ANSWER,
    ),
    "unlock": (
        "Release a lease",
        "Your own, or with `p_force` anyone's (recorded as a forced unlock). Answers `unlocked`, `not_locked` "
        "or `held` (someone else's, without `p_force`).",
        _LOCK_ANSWER,
    ),
    "locks": (
        "The project's live leases",
        "Unexpired locks, by artifact id.",
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "holder": {"type": "string"},
                    "acquired_at": _TIME,
                    "expires_at": _TIME,
                },
            },
        },
    ),
    "history": (
        "An artifact's versions, newest first",
        "Rows of the append-only history (at most 1000), texts included (NULL once purged).",
        {"type": "array", "items": _ref("HistoryRow")},
    ),
    "audit": (
        "The project's audit trail, newest first",
        "Every applied change without contents, filtered by author (`p_author`, or null for all) and time "
        "(`p_since`, or null), at most 10000 rows.",
        {"type": "array", "items": _ref("HistoryRow")},
    ),
    "purge": (
        "Erase an author from the project's history",
        "Service role or a direct connection only. Replaces the author with a pseudonym, drops the texts of "
        "their superseded versions, releases their locks; `p_dry_run` reports the counts and changes nothing.",
        {
            "type": "object",
            "properties": {
                "project": {"type": "string"},
                "author": {"type": "string"},
                "dry_run": {"type": "boolean"},
                "replaced_by": _NULLABLE_TEXT,
                "history_contents_removed": {"type": "integer"},
                "current_versions_kept": {"type": "integer"},
                "artifacts_reattributed": {"type": "integer"},
                "locks_released": {"type": "integer"},
                "lock_events_anonymised": {"type": "integer"},
                "memberships_anonymised": {"type": "integer"},
            },
        },
    ),
    "register_client": (
        "Record a clone and its cursor",
        "Upserts the clone's user, host, agentsync version and cursor; `registered: false` when the project "
        "does not exist yet. A signed-in user's name is the token's.",
        {"type": "object", "required": ["registered"], "properties": {"registered": {"type": "boolean"}}},
    ),
    "clients": (
        "The project's clones, most recently synced first",
        "Each with `lag`: how many changes it is behind the head.",
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "client_id": {"type": "string"},
                    "user_name": {"type": "string"},
                    "host": {"type": "string"},
                    "agent_version": {"type": "string"},
                    "cursor": {"type": "integer"},
                    "registered_at": _TIME,
                    "last_sync": _TIME,
                    "lag": {"type": "integer"},
                },
            },
        },
    ),
    "retire_client": (
        "Forget a clone",
        "A signed-in user must own the project.",
        {"type": "object", "required": ["retired"], "properties": {"retired": {"type": "boolean"}}},
    ),
    "schema_version": ("The newest migration applied", "The client compares it with the migrations it ships.", None),
    "database_id": (
        "The database's own identity",
        "Generated once when migration 10 runs. A clone records it on its first sync and refuses a database "
        "with another one (a moved local server, another server at the same URL) until `agentsync remote reset`.",
        None,
    ),
    "reserve_id": (
        "Reserve the next artifact id number",
        "For (`p_project`, `p_type`, `p_prefix`): one past the highest number handed out before, `p_floor` (the "
        "highest the caller knows) and every `PREFIX-NNNN` id of the project (with the empty prefix: every id of "
        "the type that starts with a number, as adr-tools names records: `0010-use-postgres`), under the "
        "project's row lock, so two clones asking at once get two numbers. Creates the project like a write does.",
        None,
    ),
}

_ROW = {
    "artifact_id": {"type": "string"},
    "path": {"type": "string"},
    "version": {"type": "integer"},
    "content": _NULLABLE_TEXT,
    "hash": _NULLABLE_TEXT,
    "deleted": {"type": "boolean"},
    "author": {"type": "string"},
    "seq": {"type": "integer"},
    "updated_at": _TIME,
}


def _components() -> dict[str, Any]:
    error = {
        "type": "object",
        "description": "PostgREST's error: `code` is the SQLSTATE the function raised, or a PGRST code.",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "examples": ["42501", "22023", "PGRST202"]},
            "message": {"type": "string"},
            "details": _NULLABLE_TEXT,
            "hint": _NULLABLE_TEXT,
        },
    }
    answer = {
        "type": "object",
        "required": ["id", "result"],
        "properties": {
            "id": {"type": "string"},
            "result": {"enum": ["applied", "conflict", "locked"]},
            "version": {"type": "integer", "description": "applied: the new version"},
            "seq": {"type": "integer", "description": "applied: its change number"},
            "remote": {**_ref("RemoteRow"), "description": "conflict: the remote's current row, with its text"},
            "holder": {"type": "string", "description": "locked: who holds the lock"},
            "expires_at": {**_TIME, "description": "locked: until when"},
        },
    }
    change = {
        "type": "object",
        "required": ["id", "path", "base"],
        "properties": {
            "id": {"type": "string"},
            "path": {"type": "string"},
            "base": {"type": "integer", "description": "the remote version the change is based on; 0 when new"},
            "content": {"type": "string", "description": "the whole text (absent for a deletion)"},
            "hash": {"type": "string", "description": "sha256 of the content"},
            "deleted": {"type": "boolean"},
            "summary": {"type": "string"},
            "version": {"type": "integer", "description": "a new artifact's first version (default 1)"},
        },
    }
    history = {"type": "object", "properties": {**_ROW, "summary": {"type": "string"}, "created_at": _TIME}}
    return {
        "securitySchemes": {
            "apikey": {
                "type": "apiKey",
                "in": "header",
                "name": "apikey",
                "description": "the project's anon or service_role key (SUPABASE_ANON_KEY / SUPABASE_SERVICE_ROLE_KEY)",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "a signed-in user's access token (SUPABASE_ACCESS_TOKEN), or the service_role key",
            },
        },
        "parameters": {
            "ContentProfile": {
                "name": "Content-Profile",
                "in": "header",
                "required": True,
                "description": "the schema the functions live in (it must be among the exposed schemas)",
                "schema": {"const": "agentsync"},
            },
            "AcceptProfile": {
                "name": "Accept-Profile",
                "in": "header",
                "required": False,
                "schema": {"const": "agentsync"},
            },
        },
        "schemas": {
            "Error": error,
            "Change": change,
            "PushAnswer": answer,
            "RemoteRow": {"type": "object", "required": ["artifact_id", "path", "version"], "properties": _ROW},
            "HistoryRow": history,
        },
    }


def _result(function: SqlFunction, described: dict[str, Any] | None) -> dict[str, Any]:
    if described is not None:
        return described
    if function.returns == "table":
        properties = {name: dict(JSON_TYPES[kind], **{"x-pg-type": kind}) for name, kind in function.columns}
        return {"type": "array", "items": {"type": "object", "properties": properties}}
    return dict(JSON_TYPES[function.returns])


def _argument(function: SqlFunction, name: str, kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = dict(JSON_TYPES[kind], **{"x-pg-type": kind})
    if function.name == "push" and name == "p_changes":
        schema.update(type="array", items=_ref("Change"))
    return schema


def _responses() -> dict[str, Any]:
    """PostgREST's answers besides 200: the SQLSTATE (or PGRST code) is the error's `code`."""
    error = {"application/json": {"schema": _ref("Error")}}
    statuses = {
        "400": "a refused argument: invalid_parameter_value (22023), no_data_found (P0002), check_violation (23514)",
        "401": "no or an expired token (PGRST301), or insufficient_privilege (42501) for the anon role",
        "403": "insufficient_privilege (42501) for a signed-in or service caller",
        "404": "no such function: the migrations are not applied (PGRST202)",
        "406": "the agentsync schema is not among the exposed schemas (PGRST106)",
        "503": "the database is unreachable (PGRST000-PGRST003)",
    }
    return {status: {"description": text, "content": error} for status, text in statuses.items()}


def _operation(function: SqlFunction, functions: dict[str, SqlFunction]) -> dict[str, Any]:
    summary, description, described = DESCRIPTIONS[function.name]
    names = [name for name, _ in function.arguments]
    errors = raised(function.name, functions)
    listed = "".join(f"\n- `{code}`: {message}" for code, message in errors)
    body = {
        "type": "object",
        "required": names,
        "additionalProperties": False,
        "properties": {name: _argument(function, name, kind) for name, kind in function.arguments},
    }
    return {
        "post": {
            "operationId": function.name,
            "summary": summary,
            "description": f"{description}\n\nDefined in `sql/{function.migration}`. Raises:{listed}",
            "parameters": [
                {"$ref": "#/components/parameters/ContentProfile"},
                {"$ref": "#/components/parameters/AcceptProfile"},
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "200": {
                    "description": "the function's result",
                    "content": {"application/json": {"schema": _result(function, described)}},
                },
                **_responses(),
            },
            "x-pg-returns": function.returns,
            "x-sqlstates": sorted({code for code, _ in errors}),
        }
    }


def document(sql_dir: Path = SQL_DIR) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the described functions, from sql/."""
    from agentsync import __version__

    functions = sql_functions(sql_dir)
    missing = sorted(set(DESCRIPTIONS) - set(functions))
    if missing:
        raise SystemExit(f"described but not in sql/: {', '.join(missing)}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "agentsync remote API",
            "version": __version__,
            "description": (
                "The agentsync functions as Supabase's PostgREST exposes them: `POST /rest/v1/rpc/<name>` with "
                "a JSON object of the `p_*` arguments, the `Content-Profile: agentsync` header, and the "
                "`apikey` header plus `Authorization: Bearer <token>`. Generated from sql/ by "
                "docs/reference/gen_openapi.py."
            ),
        },
        "servers": [{"url": "https://{project}.supabase.co/rest/v1", "variables": {"project": {"default": "ref"}}}],
        "security": [{"apikey": [], "bearer": []}],
        "paths": {f"/rpc/{name}": _operation(functions[name], functions) for name in DESCRIPTIONS},
        "components": _components(),
    }


def rendered(sql_dir: Path = SQL_DIR) -> str:
    return json.dumps(document(sql_dir), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = rendered()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is stale: run python docs/reference/gen_openapi.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
