"""The outbound scan: secrets (and, when enabled, personal data) never leave by a push, and a
commit is told about them; markers and config let chosen ones through; `redact` cleans a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentsync.config import ScanSettings
from agentsync.errors import ConfigError
from agentsync.outbound import find, redact
from agentsync.remotes import migrations
from agentsync.remotes.memory import MemoryRemote
from agentsync.remotes.postgres import PostgresRemote
from agentsync.sync import push
from tests.conftest import GitRepo, artifact, make_git_repo
from tests.remotes.conftest import connect, database, postgres_url  # noqa: F401  (fixtures)
from tests.test_cli import run

# Fakes in the shapes real ones have.
AWS_KEY = "AKIA" + "Q7T3XM2RZ5VBN4KD"  # no EXAMPLE in it: AWS's published example is allowed
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----\n"
PLAIN_PLAN = """---
id: P-1
title: Key results for the password reset flow
---

Ship by 2026-12-01, version 1.10.200; see https://example.com/docs and postgresql://db.example.com/app.
The API key rotation is a runbook step. Call the on-call number in PagerDuty.
"""


def rules(path: str, text: str, settings: ScanSettings | None = None) -> list[tuple[int, str]]:
    return [(f.line, f.rule) for f in find(path, text, settings or ScanSettings())]


def test_secrets_are_found_with_their_line_and_plain_text_is_not() -> None:
    text = f"intro\naws: {AWS_KEY}\ntoken {JWT}\n{PRIVATE_KEY}db: postgresql://app:s3cr3t-pw@db.internal/app\n"
    assert rules("a.md", text) == [(2, "aws_access_key"), (3, "jwt"), (4, "private_key"), (7, "url_password")]
    assert rules("p.md", PLAIN_PLAN) == []
    assert rules("p.md", "contact ada@example.com or +44 20 7946 0958") == []  # personal data: off by default
    personal = ScanSettings(personal_data=True)
    assert rules("p.md", "contact ada@example.com or +44 20 7946 0958", personal) == [(1, "email"), (1, "phone")]
    assert rules("p.md", PLAIN_PLAN, personal) == []
    found = find("a.md", f"aws: {AWS_KEY}\n", ScanSettings())[0]
    assert str(found) == "a.md:1: an AWS access key id (aws_access_key: AKIA…)"  # never the whole value


def test_a_connection_string_whose_password_is_a_placeholder_is_no_finding() -> None:
    """Documentation shows where a password goes (GSD's codebase maps: ``postgresql://user:password@db:5432/x``);
    a real one is still found."""
    shown = (
        "postgresql+asyncpg://user:password@db:5432/app", "postgresql://user:pass@host:port/railway",
        "mysql://root:<password>@localhost/db", "postgres://app:${DB_PASSWORD}@h/db", "redis://:$REDIS_PASS@h:6379",
        "postgres://u:****@h/db", "postgres://u:xxxx@h/db", "amqp://guest:{password}@mq//",
        "postgres://u:<your-password>@h/db", "postgres://u:[DB_PASSWORD]@h/db",
    )  # fmt: skip
    for url in shown:
        assert rules("a.md", f"DATABASE_URL: `{url}`\n") == [], url
    real = (
        "postgresql://user:demopassword123@db/app", "postgres://u:s3cr3t@h/db", "postgres://u:pass1@h/db",
        "postgres://app:${DB_PASS:-Hunter2Prod}@db:5432/app",  # a variable's default is a real password
        "postgresql://admin:$ecretPa55w0rd@db/app", "postgres://admin:{Pr0d-Secret}@db/x",
        "postgres://admin:[Pr0dSecret]@db/x", "postgres://admin:<ProdSecret>@db/x",
    )  # fmt: skip
    for url in real:
        assert rules("a.md", f"DATABASE_URL: `{url}`\n") == [(1, "url_password")], url


def test_documentation_placeholders_are_no_findings() -> None:
    """A KEP showed AWS's published example key and a private key block with the key left out: the
    pre-commit check blocked every edit of it, push refused it. A key in a JSON string is still one."""
    text = (
        "e.g., `AKIAIOSFODNN7EXAMPLE` and `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`\n"
        "-----BEGIN PRIVATE KEY-----\n<Omitted, so that automation stops mailing the authors>\n"
        "-----END PRIVATE KEY-----\n-----BEGIN OPENSSH PRIVATE KEY-----\n...\n"
    )
    assert rules("k.md", text) == []
    service_account = '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n"}'
    assert rules("sa.md", service_account) == [(1, "private_key")]
    encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMIIEowIBAAKCAQEAx4Ui0vJ8mNnD\n"
    assert rules("e.md", encrypted) == [(1, "private_key")]


def test_tokens_with_an_underscore_in_their_hint_are_found() -> None:
    # Their hints (ghp_, sk_live_, sbp_...) are only tested when the text holds an underscore.
    github, stripe, supabase = "ghp_" + "a1B2" * 9, "sk_live_" + "Z9y8" * 5, "sbp_" + "0f1e" * 6
    text = f"plain prose\ngithub {github}\nstripe {stripe}\nsupabase {supabase}\n"
    assert rules("a.md", text) == [(2, "github_token"), (3, "stripe_key"), (4, "supabase_key")]
    assert rules("a.md", "no underscore here, just an api key rotation") == []


def test_the_rules_searched_are_those_whose_hints_the_text_holds() -> None:
    from agentsync.outbound import _hinted, rules_for

    rules = rules_for(ScanSettings(personal_data=True, patterns=(("own", "x{3}"),)))
    hints = sorted({hint for rule in rules for hint in rule.hints})
    texts = [
        "plain prose",
        "snake_case only",
        *hints,
        *(f"a {hint} and {other}" for hint in hints for other in hints[:3]),
    ]
    for text in texts:
        naive = [rule for rule in rules if not rule.hints or any(hint in text for hint in rule.hints)]
        assert _hinted(rules, text) == naive, text


def test_markers_and_settings_let_chosen_findings_through() -> None:
    text = f"a {AWS_KEY} <!-- agentsync: allow -->\nb {JWT} agentsync: allow=email\nc ada@example.com\n"
    settings = ScanSettings(personal_data=True)
    assert rules("a.md", text, settings) == [(2, "jwt"), (3, "email")]  # the marker names other rules on line 2
    assert rules("a.md", text, ScanSettings(personal_data=True, allow=("jwt", "email"))) == []
    assert rules("a.md", text, ScanSettings(personal_data=True, allow_values=(r"@example\.com$",))) == [(2, "jwt")]
    own = ScanSettings(patterns=(("ticket_secret", r"TKT-[0-9a-f]{8}"),))
    assert rules("a.md", "see TKT-0123abcd", own) == [(1, "ticket_secret")]
    marked_block = PRIVATE_KEY.replace("-----\n", "----- agentsync: allow\n", 1)
    assert rules("a.md", marked_block) == []


def test_the_author_key_agentsync_writes_is_no_personal_data_finding() -> None:
    text = (
        "---\nid: S-1\nauthor: ada@example.com\nreviewers:\n  - bob@example.com\n\n  - eve@example.com\n"
        f"owner: carol@example.com\nnotes: token {JWT}\n---\n\nauthor: dan@example.com in the body\n"
    )
    personal = ScanSettings(personal_data=True)
    # The author line is the committer's identity; other keys, the body and secrets are still found.
    assert rules("a.md", text, personal) == [(5, "email"), (7, "email"), (8, "email"), (9, "jwt"), (12, "email")]
    by_keys = ScanSettings(personal_data=True, allow_keys=("reviewers", "notes"))
    assert rules("a.md", text, by_keys) == [(3, "email"), (8, "email"), (9, "jwt"), (12, "email")]
    assert rules("a.md", text, ScanSettings(personal_data=True, allow_keys=())) == [
        (3, "email"), (5, "email"), (7, "email"), (8, "email"), (9, "jwt"), (12, "email"),
    ]  # fmt: skip


def test_redact_replaces_values_and_whole_key_blocks() -> None:
    text = f"key {AWS_KEY} here\n{PRIVATE_KEY}after\n"
    redacted = redact(text, find("a.md", text, ScanSettings()))
    assert redacted == "key [REDACTED:aws_access_key] here\n[REDACTED:private_key]\nafter\n"
    assert find("a.md", redacted, ScanSettings()) == []


@pytest.mark.parametrize(
    "setting, key",
    [
        ("outbound_scan: {personal_data: maybe}", "outbound_scan.personal_data"),
        ("outbound_scan: {allow: [nonsense]}", "outbound_scan.allow"),
        ("outbound_scan: {patterns: {bad: '('}}", "outbound_scan.patterns.bad"),
        ("outbound_scan: {skip: true}", "outbound_scan.skip"),
        ("outbound_scan: {allow_keys: {author: 1}}", "outbound_scan.allow_keys"),
    ],
)
def test_invalid_scan_settings_are_named(repo: GitRepo, setting: str, key: str) -> None:
    repo.write("agentsync.yaml", repo.read("agentsync.yaml").decode() + setting + "\n")
    with pytest.raises(ConfigError, match=f"`{key}`"):
        repo.config()


@pytest.fixture
def clone(tmp_path: Path, database: str) -> GitRepo:  # noqa: F811
    with connect(database) as connection:
        migrations.migrate(connection)
    repo = make_git_repo(tmp_path / "repo")
    text = repo.read("agentsync.yaml").decode().replace("remote: local", f"remote: {database}")
    repo.write("agentsync.yaml", text + "project: team\noutbound_scan: {personal_data: true}\n")
    return repo


def test_a_push_refuses_artifacts_with_secrets_sends_the_rest_and_redact_frees_them(clone: GitRepo) -> None:
    from agentsync.config import load

    leaking = {
        "plans/P-aws.md": f"Deploy with {AWS_KEY}.\n",
        "plans/P-jwt.md": f"Token: {JWT}\n",
        "plans/P-key.md": PRIVATE_KEY,
        "plans/P-mail.md": "Ask ada@example.com.\n",
    }
    for path, body in leaking.items():
        clone.write(path, artifact(Path(path).stem, "Leaky", body=body))
    clone.write("plans/P-clean.md", artifact("P-clean", "Clean"))
    before = {path: clone.read(path) for path in leaking}
    code, out, err = run(clone, "push")
    assert code == 1
    assert "pushed 1 artifact(s); 4 not pushed" in out
    for path, rule in [("P-aws", "aws_access_key"), ("P-jwt", "jwt"), ("P-key", "private_key"), ("P-mail", "email")]:
        assert f"refused: plans/{path}.md:" in err and f"({rule}:" in err
    assert AWS_KEY not in err and JWT not in err  # the values themselves are never printed
    assert {path: clone.read(path) for path in leaking} == before  # files untouched
    url = load(clone.root).remote or ""
    remote = PostgresRemote(url, "team")
    assert [row.id for row in remote.pull(0, 100).rows] == ["P-clean"]

    code, out, err = run(clone, "check")
    assert code == 1 and "plans/P-aws.md:" in out + err and "agentsync redact ID" in out + err

    clone.write(
        "plans/P-mail.md", clone.read("plans/P-mail.md").decode().replace("Ask", "<!-- agentsync: allow --> Ask")
    )
    code, out, err = run(clone, "redact", "P-aws", "--dry-run")
    assert code == 0 and "would redact plans/P-aws.md:" in out and AWS_KEY in clone.read("plans/P-aws.md").decode()
    for artifact_id in ("P-aws", "P-jwt", "P-key"):
        code, out, err = run(clone, "redact", artifact_id)
        assert code == 0 and "1 finding(s) redacted" in out, err
    code, out, err = run(clone, "push")
    assert code == 0 and "pushed 4 artifact(s)" in out, err
    sent = {row.id: row.content or "" for row in remote.pull(0, 100).rows}
    assert "[REDACTED:aws_access_key]" in sent["P-aws"] and AWS_KEY not in sent["P-aws"]
    assert "[REDACTED:private_key]" in sent["P-key"] and "MIIE" not in sent["P-key"]
    assert "ada@example.com" in sent["P-mail"]  # allowed by its marker
    remote.close()


def test_a_push_after_check_scans_only_what_changed_since(clone: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts that passed `check` at their path (the outbound scan is one of its rules) are not scanned
    again by the push; an edit since, or another config, is."""
    import agentsync.outbound

    for number in (1, 2, 3):
        clone.write(f"plans/P-{number}.md", artifact(f"P-{number}", "Clean"))
    assert run(clone, "check")[0] == 0
    clone.write("plans/P-2.md", artifact("P-2", "Leaky", body=f"Deploy with {AWS_KEY}.\n"))  # edited since
    scanned: list[str] = []
    real_find = agentsync.outbound.find

    def counted(path: str, text: str, settings: ScanSettings) -> list[agentsync.outbound.Finding]:
        scanned.append(path)
        return real_find(path, text, settings)

    monkeypatch.setattr(agentsync.outbound, "find", counted)
    code, out, err = run(clone, "push")
    assert code == 1 and "pushed 2 artifact(s); 1 not pushed" in out and "refused: plans/P-2.md:" in err
    assert scanned == ["plans/P-2.md"]
    config = clone.root / "agentsync.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "outbound_scan:\n  personal_data: true\n", encoding="utf-8")
    for number in (1, 3):
        clone.write(f"plans/P-{number}.md", artifact(f"P-{number}", "Clean", body="Edited.\n"))
    assert run(clone, "check", "plans/P-1.md", "plans/P-3.md")[0] == 0  # passed under the old config only
    config.write_text(config.read_text(encoding="utf-8").replace("personal_data: true", "personal_data: false"))
    scanned.clear()
    assert run(clone, "push")[0] == 1
    assert sorted(scanned) == ["plans/P-1.md", "plans/P-2.md", "plans/P-3.md"]


@pytest.fixture
def checked_clone(tmp_path: Path) -> GitRepo:
    """A repository whose config's remote is never asked for: its pushes go to a MemoryRemote."""
    repo = make_git_repo(tmp_path / "repo")
    repo.commit_all("config")
    return repo


TICKET = "TKT-" + "0123456789abcdef" * 2  # what a rule the agentsync of the test does not have finds


def test_a_text_that_passed_check_before_an_upgrade_with_a_new_rule_is_scanned_by_the_push(
    checked_clone: GitRepo, memory_remote: Callable[..., MemoryRemote], monkeypatch: pytest.MonkeyPatch
) -> None:
    """checked.json vouches for the code it was checked with, not for an agentsync upgraded since:
    __version__ is not bumped for each new rule (it has stayed 0.1.0 while rules came). An upgrade
    rewrites the package's files (``test_the_code_stamp_moves_with_any_module``): here, its stamp."""
    import agentsync.outbound as outbound
    from agentsync import checkcache
    from agentsync.check import check_files

    checked_clone.write("plans/P-1.md", artifact("P-1", "Ticket", body=f"Use {TICKET}.\n"))
    assert check_files(checked_clone.config(), []).ok
    upgraded = outbound._rule("ticket_secret", "a ticket secret", r"TKT-[0-9a-f]{32}", ("tkt-",))
    monkeypatch.setattr(outbound, "SECRET_RULES", (*outbound.SECRET_RULES, upgraded))  # agentsync upgraded
    monkeypatch.setattr(checkcache, "code_stamp", lambda: "the upgraded agentsync's files")
    outbound.rules_for.cache_clear()
    try:
        with checked_clone.mirror() as mirror:
            report = push(mirror, memory_remote("team"), "ada")
    finally:
        monkeypatch.undo()
        outbound.rules_for.cache_clear()
    assert [finding.rule for finding in report.refused] == ["ticket_secret"] and report.applied == []


def test_a_text_mirrored_while_the_push_prepares_is_scanned_though_its_file_passed_check_before(
    checked_clone: GitRepo, memory_remote: Callable[..., MemoryRemote], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push picks what to send, then reads the texts: a scan by another process in between (a
    hook, `check`, an editor's `status`; the scanner takes no sync lock) may mirror an edit. The text
    sent is the one checked for secrets, whatever checked.json says of the hash picked before."""
    import agentsync.sync.batches as batches
    import agentsync.sync.outgoing as outgoing
    from agentsync.check import check_files
    from agentsync.scanner import scan

    checked_clone.write("plans/P-1.md", artifact("P-1", "Clean"))
    assert check_files(checked_clone.config(), []).ok  # checked.json: P-1's clean text passed
    picked = batches.pending_changes

    def meanwhile_edited(mirror: object) -> list[batches.Pending]:
        pending = picked(mirror)  # type: ignore[arg-type]
        checked_clone.write("plans/P-1.md", artifact("P-1", "Leaky", body=f"Deploy with {AWS_KEY}.\n"))
        with checked_clone.mirror() as other:  # another process's scan
            scan(other)
        return pending

    monkeypatch.setattr(outgoing, "pending_changes", meanwhile_edited)
    remote = memory_remote("team")
    with checked_clone.mirror() as mirror:
        report = push(mirror, remote, "ada")
    assert AWS_KEY not in "".join(row.content or "" for row in remote.pull(0, 10).rows)
    assert [finding.path for finding in report.refused] == ["plans/P-1.md"]


@pytest.mark.parametrize("kept", ["[" * 100_000, '{"fingerprint": ' * 50_000])
def test_a_hostile_checked_json_neither_stops_a_push_nor_spares_a_text_the_scan(
    checked_clone: GitRepo, memory_remote: Callable[..., MemoryRemote], kept: str
) -> None:
    checked_clone.write("plans/P-1.md", artifact("P-1", "Leaky", body=f"Deploy with {AWS_KEY}.\n"))
    checked_clone.write("plans/P-2.md", artifact("P-2", "Clean"))
    with checked_clone.mirror():
        pass  # .agentsync/ made
    (checked_clone.root / ".agentsync" / "checked.json").write_text(kept, encoding="utf-8")
    with checked_clone.mirror() as mirror:
        report = push(mirror, memory_remote("team"), "ada")
    assert [finding.path for finding in report.refused] == ["plans/P-1.md"]
    assert report.applied == [("plan:P-2", 1)]


def test_a_commit_with_a_secret_is_blocked_by_the_pre_commit_hook(clone: GitRepo) -> None:
    from agentsync import hooks

    hooks.install(clone.root, ("pre-commit",))
    clone.write("plans/P-1.md", artifact("P-1", "Leaky", body=f"Key: {AWS_KEY}\n"))
    clone.git("add", "-A")
    blocked = clone.git("commit", "-q", "-m", "leak", check=False)
    assert blocked.returncode == 1
    assert "plans/P-1.md:10: an AWS access key id (aws_access_key: AKIA…)" in blocked.stderr


def test_the_code_stamp_moves_with_any_module(tmp_path: Path) -> None:
    """What checked.json is kept under moves when a module is added or rewritten (an upgrade)."""
    import os
    import shutil

    from agentsync import checkcache

    package = Path(checkcache.__file__).parent
    copy = tmp_path / "agentsync"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    stamps = [checkcache.stamp_of(copy)]
    assert checkcache.stamp_of(copy) == stamps[0]
    (copy / "outbound.py").write_text((copy / "outbound.py").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stamps.append(checkcache.stamp_of(copy))
    os.utime(copy / "formats" / "agent.py", ns=(1, 1))  # the same size, another time
    stamps.append(checkcache.stamp_of(copy))
    (copy / "formats" / "new_format.py").write_text("", encoding="utf-8")
    stamps.append(checkcache.stamp_of(copy))
    assert len(set(stamps)) == 4


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://app:s3cr3t-pw@db/app",  # at the start of the text
        "see xpostgres://app:s3cr3t-pw@db and HTTPS://u:p4ssw0rd@h and 123://a:bbbb@c",  # a run, a case, no letter
        "a-a-a-a://u:pppp@h://v:qqqq@k",  # a match's host running into the next scheme
        "redis://:s3cr3t-pw@cache:6379/0 then mongodb+srv://admin:hunter22@cluster0.example.net/db",
        ("word " * 2000) + "api_key = 'AbC123def456GHI789' " + ("more " * 2000) + "password: s3cr3tPassw0rd99",
        ("token " * 3000) + "access_token=abcdef1234567890XYZ",  # windows that merge
        ("café — " * 1000) + "password = 'Sup3rS3cretPassw0rd'",  # not ASCII, its lowercase as long
        ("İstanbul " * 1000) + "password = 'Sup3rS3cretPassw0rd'",  # a lowercase that is longer: whole
    ],
)
def test_the_rules_find_what_their_patterns_find_searched_whole(text: str) -> None:
    """The scan tries a connection string only where a scheme starts before `://`, and searches a long
    text only around its hints: each rule finds exactly what its pattern finds in the whole text."""
    from agentsync.outbound import _matches, rules_for

    for rule in rules_for(ScanSettings(personal_data=True)):
        whole = [(m.start(), m.end()) for m in rule.pattern.finditer(text)]
        assert [(m.start(), m.end()) for m in _matches(rule, text, text.lower())] == whole, rule.name


def test_a_long_secret_and_keys_written_in_code_are_found() -> None:
    """A review found a 3.6 kB JWT let through (the search around its hint stopped 2 kB in), and private
    keys quoted in a blockquote or built by string concatenation taken for placeholders."""
    claims = "eyJ" + "a" * 3600
    text = ("prose " * 700) + f"token: {claims}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9\n"
    assert rules("t.md", text) == [(1, "jwt")]
    for quoted in ("> -----BEGIN RSA PRIVATE KEY-----\n> MIIEowIBAAKCAQEAx4Ui0vJ8mNnD\n",
                   'key = "-----BEGIN PRIVATE KEY-----\\n" +\n  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"\n'):  # fmt: skip
        assert rules("k.md", quoted) == [(1, "private_key")], quoted
    assert rules("u.md", "postgres://admin:EXAMPLEhunter2@db.internal:5432/app") == [(1, "url_password")]
