"""Credentials never leave the process (issue 16): with a password in AGENTSYNC_DATABASE_URL's
query (or user-info, or libpq keywords), no command prints it, and neither the mirror, the log,
watcher.json nor watch.out holds it; agentsync.yaml refuses one; a mirror an older agentsync
left a password in is scrubbed when opened and stays bound to its remote."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agentsync.store import schema
from agentsync.store.meta import MetaKey
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run
from tests.watch.test_watcher import history_versions, wait_until

PW = "Leak-Pw-7f3c9e"


def with_role(base: str, role: str, password: str) -> str:
    """``base`` (the test server's URL) reached as ``role``, the password in the query string."""
    parts = urllib.parse.urlsplit(base)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("user", "password")]
    query += [("user", role), ("password", password)]
    return f"postgresql://{host}{parts.path}?{urllib.parse.urlencode(query)}"


@pytest.fixture
def password_url(database: str) -> Iterator[str]:  # noqa: F811
    """A migrated database and a URL to it as a login role with a password (in the query)."""
    role = f"leak_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{PW}'")
    assert run_migrate(database) == 0
    url = with_role(database, role, PW)
    with psycopg.connect(url) as connection:  # the URL works as written
        assert connection.execute("SELECT current_user").fetchone() == (role,)
    yield url
    try:
        with psycopg.connect(database, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")
    except psycopg.Error:
        pass  # sessions still open: the database is dropped anyway


def run_migrate(url: str) -> int:
    from agentsync.commands.remote import run_migrate as migrate

    return migrate(url)


def clone(root: Path) -> GitRepo:
    repo = make_git_repo(root)
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + "project: team\n")
    return repo


def assert_no_password_under(repo: GitRepo) -> None:
    """Not in any file of the state folder (mirror, its WAL, log, watcher.json, watch.out) nor the config."""
    files = [path for path in (repo.root / ".agentsync").rglob("*") if path.is_file()]
    assert any(path.name == "agentsync.db" for path in files)
    for path in [*files, repo.root / "agentsync.yaml"]:
        assert PW.encode() not in path.read_bytes(), f"{path} holds the password"


def test_no_command_shows_or_stores_a_password_given_in_the_url_query(
    tmp_path: Path, password_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", password_url)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    ada = clone(tmp_path / "ada")
    ada.write("plans/P-1.md", artifact("P-1", "One"))
    outputs = []
    for command in (
        ["push"], ["pull"], ["status"], ["status", "--json"], ["status", "--remote"], ["status", "--remote", "--json"],
        ["doctor"], ["doctor", "--json"],
        ["remote", "show"], ["remote", "show", "--json"], ["log", "P-1"], ["log", "P-1", "--json"],
        ["clients"], ["clients", "--json"], ["stats"], ["sync"],
    ):  # fmt: skip
        code, out, err = run(ada, *command)
        assert code in (0, 1), (command, out, err)
        outputs.append((command, out + err))
    assert run(ada, "push")[0] == 0 and run(ada, "pull")[0] == 0  # the URL works
    code, out, err = run(ada, "watch", "--detach", "--push", "--poll-interval", "0.2")
    assert code == 0, err
    try:
        ada.write("plans/P-2.md", artifact("P-2", "Saved while watched"))
        wait_until(lambda: history_versions(password_url, "plan:P-2") == [1], what="the watcher's push")
        outputs.append((["status", "(watching)"], "".join(run(ada, "status")[1:])))
    finally:
        code, out, err = run(ada, "watch", "--stop")
        outputs.append((["watch", "--stop"], out + err))
    for command, text in outputs:
        assert PW not in text, f"`agentsync {' '.join(command)}` printed the password:\n{text}"
    shown = "".join(text for command, text in outputs if command in (["status"], ["status", "--remote"]))
    assert "password=***" in shown and "user=leak_" in shown, shown  # the URL is still recognisable
    with ada.mirror() as mirror:
        assert mirror.get_meta(MetaKey.REMOTE_IDENTITY) == password_url.replace(PW, "***") + "#team"
    assert_no_password_under(ada)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://127.0.0.1:1/app?user=ada&password={PW}",
        f"postgresql://ada:{PW}@127.0.0.1:1/app",
        f"postgresql://127.0.0.1:1/app?user=ada&sslpassword={PW}&sslmode=disable",
        f"host=127.0.0.1 port=1 dbname=app user=ada password={PW}",
    ],
)
def test_errors_about_an_unreachable_remote_name_it_without_its_password(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", url)
    monkeypatch.setenv("AGENTSYNC_RETRIES", "1")
    ada = clone(tmp_path / "ada")
    ada.write("plans/P-1.md", artifact("P-1", "One"))
    code, out, err = run(ada, "push")
    assert code == 1 and "127.0.0.1" in err, err  # says where it could not go
    texts = [out + err]
    for command in (["pull"], ["status"], ["status", "--json"], ["status", "--remote"], ["doctor"], ["remote", "show"],
                    ["log", "P-1"], ["clients"], ["stats"], ["stats", "--json"]):  # fmt: skip
        texts.append("".join(run(ada, *command)[1:]))
    for text in texts:
        assert PW not in text, text
    with ada.mirror() as mirror:
        errors = [row[0] for row in mirror.connection.execute("SELECT error FROM operations WHERE error IS NOT NULL")]
    assert errors and all("127.0.0.1" in error for error in errors)
    assert_no_password_under(ada)


def old_mirror(repo: GitRepo, url: str, cursor: int) -> None:
    """The mirror (schema 6) and state files an older agentsync left after syncing with ``url``:
    the password kept in the remote's identity, an error line, watcher.json, watch.out, the log."""
    state = repo.root / ".agentsync"
    state.mkdir()
    connection = sqlite3.connect(state / "agentsync.db", isolation_level=None)
    for script in schema.MIGRATIONS[:6]:
        for statement in schema._statements(script):
            connection.execute(statement)
    connection.execute("PRAGMA user_version = 6")
    connection.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (MetaKey.REMOTE_IDENTITY, f"{url}#team"))
    connection.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (MetaKey.REMOTE_CURSOR, str(cursor)))
    connection.execute(
        "INSERT INTO operations(operation, started_at, duration_ms, result, error) VALUES (?, ?, ?, ?, ?)",
        ("push", "2026-01-01T00:00:00+00:00", 5, "error", f"cannot reach {url}: connection refused"),
    )
    connection.close()
    (state / "watcher.json").write_text(json.dumps({
        "pid": 1, "state": "stopped", "remote": url, "errors": 1,
        "last_error": {"at": "2026-01-01T00:00:00+00:00", "message": f"remote: cannot reach {url}"},
    }))  # fmt: skip
    (state / "watch.out").write_text(f"agentsync: error: cannot reach {url}: refused\n")
    (state / "agentsync.log").write_text(f"2026-01-01 ERROR agentsync pid=1 cannot reach {url}\n")


def test_an_old_mirror_holding_a_password_is_scrubbed_when_opened_and_stays_bound(
    tmp_path: Path, password_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", password_url)
    ada = clone(tmp_path / "ada")
    ada.write("plans/P-1.md", artifact("P-1", "One"))
    assert run(ada, "push")[0] == 0  # the remote's head is 1 now
    bo = clone(tmp_path / "bo")
    old_mirror(bo, password_url, cursor=1)
    assert PW.encode() in (bo.root / ".agentsync" / "agentsync.db").read_bytes()  # the leak, as it was
    code, out, err = run(bo, "status")
    assert code == 0 and PW not in out + err, err
    with bo.mirror() as mirror:
        identity = mirror.get_meta(MetaKey.REMOTE_IDENTITY)
        errors = [row[0] for row in mirror.connection.execute("SELECT error FROM operations")]
    assert identity == password_url.replace(PW, "***") + "#team"
    assert errors == [f"cannot reach {password_url.replace(PW, '***')}: connection refused"]
    assert json.loads((bo.root / ".agentsync" / "watcher.json").read_text())["errors"] == 1  # still valid JSON
    assert_no_password_under(bo)
    # Its sync state still belongs to the same remote: no "this clone syncs with ..." refusal.
    bo.write("plans/P-3.md", artifact("P-3", "From bo"))
    code, out, err = run(bo, "push")
    assert code == 0 and "this clone syncs with" not in err, err
    assert history_versions(password_url, "plan:P-3") == [1]
    assert_no_password_under(bo)


@pytest.mark.parametrize(
    "url, exit_code",
    [
        (f"postgresql://db.example.com/app?user=ada&password={PW}", 1),
        (f"postgresql://db.example.com/app?sslpassword={PW}", 1),
        (f"postgresql://ada:{PW}@db.example.com/app", 1),
        (f"https://abc.supabase.co?apikey={PW}", 1),
        (f"host=db.example.com password={PW}", 2),  # not a URL at all: refused as such, still hidden
    ],
)
def test_remote_add_refuses_a_url_with_a_password_and_leaves_the_file_alone(
    git_repo: GitRepo, url: str, exit_code: int
) -> None:
    before = git_repo.read("agentsync.yaml")
    code, out, err = run(git_repo, "remote", "add", "team", url, "--default")
    assert code == exit_code and PW not in out + err and len(err.strip().splitlines()) == 1, err
    if exit_code == 1:
        assert "`remotes.team`" in err and "AGENTSYNC_DATABASE_URL" in err
    assert git_repo.read("agentsync.yaml") == before
