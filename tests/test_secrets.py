"""The one redaction: every shape of credential agentsync can meet is hidden, the rest of a URL or
message is kept, redacting twice changes nothing, and the config refuses a URL with a password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentsync import config as config_module
from agentsync.errors import ConfigError
from agentsync.secrets import config_secret, holds_password, redact, redact_identity, url_passwords

PW = "Pw-s3cret_9f"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlc2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def no_credentials_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AGENTSYNC_DATABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY",
                     "SUPABASE_ACCESS_TOKEN", "PGPASSWORD"):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"postgresql://ada:{PW}@db.example.com:5432/app", "postgresql://ada:***@db.example.com:5432/app"),
        (f"postgres://:{PW}@h/db", "postgres://:***@h/db"),
        (f"postgresql://h/db?user=ada&password={PW}", "postgresql://h/db?user=ada&password=***"),
        (f"postgresql://h/db?password={PW}&user=ada", "postgresql://h/db?password=***&user=ada"),
        (f"postgresql://h/db?PassWord={PW}", "postgresql://h/db?PassWord=***"),
        (f"postgresql://h/db?sslpassword={PW}&sslmode=require", "postgresql://h/db?sslpassword=***&sslmode=require"),
        ("postgresql://h/db?passfile=/home/ada/.pgpass", "postgresql://h/db?passfile=***"),
        (f"postgresql://h/db?password=p:w{PW}&x=1", "postgresql://h/db?password=***&x=1"),
        (f"host=h port=5432 password={PW} dbname=app", "host=h port=5432 password=*** dbname=app"),
        (f"host=h password = '{PW} with space' dbname=app", "host=h password = *** dbname=app"),
        (f"PGPASSWORD={PW} psql", "PGPASSWORD=*** psql"),
        (f'{{"password": "{PW}", "user": "ada"}}', '{"password": ***, "user": "ada"}'),
        (
            f"https://x.supabase.co/rest/v1/t?apikey={PW}&select=*",
            "https://x.supabase.co/rest/v1/t?apikey=***&select=*",
        ),
        (f"https://x.supabase.co/auth?access_token={PW}", "https://x.supabase.co/auth?access_token=***"),
        (f"https://x.example/hook?token={PW}#top", "https://x.example/hook?token=***"),
        (f"Authorization: Bearer {PW}abcdef", "Authorization: Bearer ***"),
        (f"bearer {PW}abcdef", "bearer ***"),
        (f"{{'apikey': '{PW}abcdef'}}", "{'apikey': '***'}"),
        (f"headers: apikey={JWT}", "headers: apikey=***"),
        (f"token {JWT} rejected", "token ***jwt*** rejected"),
        ("key sb_secret_0123456789abcdefghijkl here", "key ***supabase_key*** here"),
        ("id AKIAIOSFODNN7EXAMPLE", "id ***aws_access_key***"),
        # what is not a credential is kept as it is
        ('FATAL: password authentication failed for user "u"', 'FATAL: password authentication failed for user "u"'),
        ("postgresql://ada@db.example.com/app?sslmode=require", "postgresql://ada@db.example.com/app?sslmode=require"),
        ("local#team", "local#team"),
        ("", ""),
    ],
)
def test_redact_hides_credentials_and_keeps_the_rest(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # twice is once


def _every_rule_run(text: str) -> str:
    """The redaction without its hints: every rule compiled and run on the text, in order."""
    import re

    from agentsync import secrets

    for source, replacement, _ in secrets._RULES:
        text = re.sub(source, replacement, text)
    return text


@pytest.mark.parametrize(
    "text",
    [
        f"PAſSWORD={PW} psql",  # a long s: re's ignore-case takes it for an s, case folding too
        f"AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' and {JWT}",
        "-----BEGIN RSA PRIVATE KEY----- ghp_abcdefghijklmnopqrstuvwxyz0123456789 xoxb-1234567890-abc",
        f"sk_live_0123456789abcdefgh, sbp_0123456789abcdefgh; api_key: {PW}1234 and Secret-Key={PW}5678",
        f"X-API-KEY: {PW}abcdef; postgresql://u:{PW}@h/db?password={PW}",
        f"passwd={PW} passfile=/home/ada/.pgpass",
        "nothing here at all: local, a plan, a story",
    ],
)
def test_the_hints_skip_only_rules_that_cannot_match(text: str) -> None:
    assert redact(text) == _every_rule_run(text)


def test_a_text_with_no_hint_compiles_no_pattern() -> None:
    """``status`` redacts the remote ``local``: no rule can match it, none is compiled (~17 ms)."""
    import re

    from agentsync import secrets

    secrets._compiled.clear()
    re.purge()
    assert redact("local") == "local"
    assert secrets._compiled == {}
    assert re._cache == {}  # type: ignore[attr-defined]  # nor any by `re`'s own functions (the environment's URL)
    assert redact(f"postgresql://u:{PW}@h/db") == "postgresql://u:***@h/db"
    assert 0 < len(secrets._compiled) < len(secrets._RULES)


def test_a_sentence_keeps_its_punctuation_and_reads_the_same_redacted_twice() -> None:
    message = f"cannot reach postgresql://h/db?user=ada&password={PW}: connection refused"
    once = redact(message)
    assert once == "cannot reach postgresql://h/db?user=ada&password=***: connection refused"
    assert redact(once) == once


def test_the_credential_variables_values_are_hidden_wherever_they_appear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTSYNC_DATABASE_URL", f"postgresql://h/db?user=ada&password={PW}%21")
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "service-key-value-123")
    monkeypatch.setenv("PGPASSWORD", "pg-password-456")
    text = f"said {PW}%21 and {PW}! and service-key-value-123 then pg-password-456"
    assert redact(text) == "said *** and *** and ***SUPABASE_SERVICE_ROLE_KEY*** then ***PGPASSWORD***"
    # The identity form ignores the environment: a mirror's binding cannot depend on what is set.
    assert redact(f"{PW}!", environment=False) == f"{PW}!"


def test_an_identity_keeps_its_project_and_matches_a_new_one() -> None:
    old = f"postgresql://h/db?user=ada&password={PW}#team"
    assert redact_identity(old) == "postgresql://h/db?user=ada&password=***#team"
    assert redact_identity(redact_identity(old)) == redact_identity(old)
    # what PostgresRemote computes today for the same URL and project
    from agentsync.remotes.postgres import PostgresRemote

    assert PostgresRemote(f"postgresql://h/db?user=ada&password={PW}", "team").identity == redact_identity(old)


def test_passwords_are_found_in_every_place_a_url_or_dsn_holds_one() -> None:
    assert url_passwords(f"postgresql://ada:{PW}@h/db") == [PW]
    assert url_passwords(f"postgresql://h/db?password={PW}") == [PW]
    assert url_passwords(f"host=h password='{PW} x'") == [f"{PW} x"]
    assert url_passwords(f"postgresql://h/db?sslpassword={PW}") == [PW]
    assert not holds_password("postgresql://ada@h/db?sslmode=require&passfile=/p")
    assert config_secret("https://x.supabase.co?apikey=abc") is not None
    assert config_secret("https://abc.supabase.co") is None


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://ada:{PW}@db.example.com/app",
        f"postgresql://db.example.com/app?user=ada&password={PW}",
        f"postgresql://db.example.com/app?sslpassword={PW}",
        f"host=db.example.com password={PW}",
    ],
)
def test_the_config_refuses_a_url_with_a_password_anywhere(tmp_path: Path, url: str) -> None:
    (tmp_path / config_module.CONFIG_NAME).write_text(f"remotes:\n  team: '{url}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config_module.load(tmp_path)
    message = str(caught.value)
    assert "`remotes.team`" in message and "AGENTSYNC_DATABASE_URL" in message and "PGPASSWORD" in message
    assert PW not in message and "\n" not in message


def test_the_hook_path_imports_no_more_than_it_did() -> None:
    """Loading the config (what every git hook does) imports secrets, and secrets imports nothing
    of agentsync's and nothing heavy; the outbound scan is no longer pulled in by the config."""
    code = "import sys; import agentsync.config; print(sorted(m for m in sys.modules if m.startswith('agentsync')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "agentsync.secrets" in loaded and "agentsync.outbound" not in loaded and "agentsync.remotes" not in loaded
    source = Path(__file__).parents[1] / "agentsync" / "secrets.py"
    imports = [line for line in source.read_text().splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations", "import os", "import re"]


def test_a_long_run_of_punctuation_or_scheme_characters_is_redacted_at_once() -> None:
    """Runs the patterns once read again from each of their characters (quadratic: minutes at 50,000)."""
    assert redact("?key=" + ":" * 50_000 + "#") == "?key=***"
    assert redact("x://a:b@h :// " + "a-" * 25_000) == "x://a:***@h :// " + "a-" * 25_000
    assert redact("password=" + ":" * 50_000 + "x").startswith("password=***")
