"""Every shape of secret agentsync knows, and the one redaction every output, record and file uses.

Bottom level on purpose: it imports only ``re`` and ``os`` (and ``urllib.parse``, which is
loaded already, when needed), so the config (which git hooks load on every run), the log, the
remotes and the outbound scan share it without importing one another.
Regular expressions are compiled on first use: a hook that never redacts never pays for them.

``redact`` keeps what makes a message useful (scheme, host, port, database, user) and replaces
what grants access: URL passwords in the user-info and in the query (``password``,
``sslpassword``, ``passfile``; ``apikey``, ``token``, ``key``… in https URLs), libpq ``key=value``
passwords, ``Bearer``/``apikey``/``Authorization`` values, tokens and keys by their shape, and the
values of the credential environment variables wherever they appear.
"""

from __future__ import annotations

import os
import re

DATABASE_URL_VARIABLE = "AGENTSYNC_DATABASE_URL"
# Variables whose whole value is a credential (the database URL holds one only in places).
SECRET_VARIABLES = ("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN", "PGPASSWORD")
CREDENTIAL_VARIABLES = (DATABASE_URL_VARIABLE, *SECRET_VARIABLES)
MARK = "***"

# libpq connection parameters that carry a password (passfile is only a path, hidden all the same).
LIBPQ_SECRET_PARAMETERS = ("password", "sslpassword", "passfile")
# Query parameters that carry a credential in an https (or any) URL.
URL_SECRET_PARAMETERS = (
    *LIBPQ_SECRET_PARAMETERS, "passwd", "pwd", "apikey", "api_key", "api-key", "key", "token", "access_token",
    "refresh_token", "id_token", "jwt", "secret", "client_secret", "service_role", "service_role_key", "anon_key",
    "auth", "authorization", "sig", "signature",
)  # fmt: skip

# The outbound scan's secret rules, as data: (name, what, regular expression, literal hints).
# ``agentsync.outbound`` builds its rules from these; the redaction replaces their matches.
# A URL's scheme, from the start of its run of scheme characters (a start inside the run, as ``\b`` allows
# in ``a-a-a-...``, would read the rest of the run again each time).
_SCHEME = r"(?<![a-z0-9+.-])(?=[a-z0-9+.-]*?\b[a-z])[a-z0-9+.-]*://"
SECRET_SHAPES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("aws_access_key", "an AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", ("AKIA", "ASIA")),
    ("aws_secret_key", "an AWS secret access key",
     r"(?i)aws.{0,20}?(?:secret|key).{0,20}?[\"'\s:=]([A-Za-z0-9/+]{40})\b", ("aws",)),
    ("jwt", "a JWT (token)", r"\beyJ(?:[A-Za-z0-9_]|-(?!eyJ)){8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",)),
    ("private_key", "a private key block", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", ("-----BEGIN",)),
    ("github_token", "a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("slack_token", "a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("stripe_key", "a Stripe secret key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}", ("_live_",)),
    ("supabase_key", "a Supabase secret key", r"\b(?:sbp|sb_secret)_[A-Za-z0-9_]{16,}", ("sbp_", "sb_secret_")),
    ("url_password", "a connection string with a password",
     _SCHEME + r"[^/\s:@'\"]+:[^/\s@'\"]{3,}@[^\s/'\"]+", ("://",)),
    ("api_key_assignment", "an API key or password assigned in the text",
     r"(?i)\b(?:api[_-]?key|secret[_-]?key|access[_-]?token|passw(?:or)?d)\b\s*[:=]\s*[\"']?"
     r"(?=[A-Za-z0-9/+_.-]*\d)[A-Za-z0-9/+_.-]{12,}", ("key", "token", "pass")),
)  # fmt: skip
# Personal data the outbound scan can look for too (not secrets; named here so the config can
# check `outbound_scan.allow` against every rule without importing the scan).
PERSONAL_SHAPES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("email", "an email address", r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", ("@",)),
    ("phone", "a phone number",
     r"(?<![\w.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]\d{3,4}[ .-]\d{3,4}(?![\w.-])", ()),
)  # fmt: skip
RULE_NAMES = tuple(shape[0] for shape in SECRET_SHAPES + PERSONAL_SHAPES)

# Values refused in agentsync.yaml: (shape name or own regular expression, what it is, variable to use).
_CONFIG_VARIABLES = {  # the secret rules agentsync.yaml is checked against, and the variable to use instead
    "jwt": "SUPABASE_SERVICE_ROLE_KEY", "supabase_key": "SUPABASE_SERVICE_ROLE_KEY",
    "aws_access_key": "AWS_ACCESS_KEY_ID", "github_token": "GITHUB_TOKEN",
    "private_key": "a file outside the repository",
}  # fmt: skip
CONFIG_SHAPES: tuple[tuple[str, str, str], ...] = (
    *((source, what, _CONFIG_VARIABLES[name]) for name, what, source, _ in SECRET_SHAPES if name in _CONFIG_VARIABLES),
    (r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}", "an API key", "the service's own variable"),
)
# Keys refused in agentsync.yaml whatever their value: (regular expression over the key, variable).
CONFIG_SECRET_KEYS: tuple[tuple[str, str], ...] = (
    (r"(?i)service[_-]?role", "SUPABASE_SERVICE_ROLE_KEY"),
    (r"(?i)anon[_-]?key", "SUPABASE_ANON_KEY"),
    (r"(?i)access[_-]?token|(^|_)token$|jwt", "SUPABASE_ACCESS_TOKEN"),
    (r"(?i)password|passwd|secret|api[_-]?key|private[_-]?key|(^|_)key$", DATABASE_URL_VARIABLE),
)
PASSWORD_ADVICE = f"put the URL in {DATABASE_URL_VARIABLE} instead (or only the password in PGPASSWORD)"

# Punctuation that ends a value in a sentence (`cannot reach URL: refused`) is not taken for part
# of it, so the message reads the same after redaction, and redacting twice changes nothing.
_END = r"(?=[:,;.)\]}>]*(?:[&\s'\"]|$))"
_UNQUOTED = r"(?:[^&\s'\"]*[^&\s'\":,;.)\]}>])?" + _END  # up to its last character that is no such punctuation
_VALUE = r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|" + _UNQUOTED + ")"
_URL_KEYS = "|".join(re.escape(key) for key in URL_SECRET_PARAMETERS)
_WORD_KEYS = "|".join((*LIBPQ_SECRET_PARAMETERS, "passwd", "pgpassword"))
# (regular expression, replacement, literal hints): credentials found by where they stand. A text
# can match only if it holds a hint (case folded): the others are neither compiled nor run on it.
_STRUCTURAL: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # scheme://user:PASSWORD@host (an empty user too)
    (rf"(?i)({_SCHEME}[^/\s:@'\"]*):[^@/\s'\"]*@", rf"\1:{MARK}@", ("://",)),
    # ?password=PW&… and &apikey=…
    (rf"(?i)([?&;](?:{_URL_KEYS})=){_UNQUOTED}", rf"\1{MARK}", ("=",)),
    # libpq keyword/value: host=h password=PW, password='p w', "password": "PW", PGPASSWORD=PW
    (rf"(?i)(\b(?:{_WORD_KEYS})[\"']?\s*[:=]\s*){_VALUE}", rf"\1{MARK}", ("pass",)),
    # HTTP headers as clients print them
    (r"(?i)(\bbearer\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}", rf"\1{MARK}", ("bearer",)),
    (
        r"(?i)((?:apikey|api[_-]key|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"',}]{8,}",
        rf"\1{MARK}",
        ("apikey", "api_key", "api-key", "authorization"),
    ),
)
# Every rule of the redaction, in order: the structural ones, then the secret shapes by their hints
# (the user-info pattern above does url_password's and keeps the host).
_RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *_STRUCTURAL,
    *((source, f"{MARK}{name}{MARK}", tuple(h.casefold() for h in hints))
      for name, _, source, hints in SECRET_SHAPES if name != "url_password"),
)  # fmt: skip
_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(source: str) -> re.Pattern[str]:
    """One rule's pattern, compiled on first use: `status` redacts a URL such as ``local`` and would
    otherwise compile 14 patterns (~17 ms) for none to run."""
    found = _compiled.get(source)
    if found is None:
        found = _compiled[source] = re.compile(source)
    return found


def url_passwords(url: str) -> list[str]:
    """The passwords a connection URL or keyword/value DSN holds: in the user-info, or as a
    ``password``/``sslpassword`` parameter of its query or keywords (as written, quotes removed)."""
    found = re.findall(r"(?i)://[^/\s:@'\"]*:([^@/\s'\"]+)@", url)
    for value in re.findall(rf"(?i)(?:^|[?&;\s])(?:ssl)?password\s*=\s*({_VALUE})", url):
        found.append(value[1:-1] if value[:1] in "'\"" and len(value) > 1 else value)
    return [value for value in found if value and value != MARK]


# Passwords a document shows as a placeholder: a word standing for one, a slot named so, a variable
# (``postgresql://user:password@host:port/db``, ``<your-password>``, ``${DB_PASSWORD}``, ``$PGPASSWORD``, ``****``).
# A variable with a default (``${DB_PASS:-Hunter2}``), or a slot whose text is no such name, is no placeholder.
_PLACEHOLDER_WORDS = frozenset({
    "password", "pass", "passwd", "pwd", "pw", "secret", "changeme", "example", "your_password", "yourpassword",
    "mypassword", "my_password", "db_password", "dbpassword", "placeholder", "redacted",
})  # fmt: skip
_PLACEHOLDER_SHAPE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|[xX*.]{3,}|%s")
_PLACEHOLDER_SLOT = re.compile(r"<([A-Za-z_ -]+)>|\{([A-Za-z_ -]+)\}|\[([A-Za-z_ -]+)\]")
_SLOT_WORDS = ("pass", "pwd", "secret")


def _placeholder(value: str) -> bool:
    if value.casefold() in _PLACEHOLDER_WORDS or _PLACEHOLDER_SHAPE.fullmatch(value):
        return True
    slot = _PLACEHOLDER_SLOT.fullmatch(value)
    name = next((group for group in slot.groups() if group), "") if slot else ""
    return (name.islower() or name.isupper()) and any(word in name.casefold() for word in _SLOT_WORDS)


def placeholder_password(url: str) -> bool:
    """Whether every password a connection string holds is a placeholder, which a document shows to say
    where one goes (a word standing for one, a slot named so, a variable): no secret to refuse."""
    found = url_passwords(url)
    return bool(found) and all(_placeholder(value) for value in found)


def holds_password(value: str) -> bool:
    """Whether a URL or DSN carries a password anywhere (user-info, query string or keyword)."""
    return bool(url_passwords(value))


def config_secret(value: str) -> tuple[str, str] | None:
    """(what it looks like, where it belongs instead) if a config value holds a secret, else None."""
    for source, what, variable in CONFIG_SHAPES:
        if re.search(source, value):
            return what, f"set the environment variable {variable} instead"
    if holds_password(value):
        return "a URL with a password", PASSWORD_ADVICE
    keys = "|".join(re.escape(key) for key in URL_SECRET_PARAMETERS if key != "passfile")
    if "://" in value and re.search(rf"(?i)[?&;](?:{keys})=[^&\s]", value):
        return "a URL with a key or token in its query", f"put the URL in {DATABASE_URL_VARIABLE} instead"
    return None


def _environment_values() -> list[tuple[str, str]]:
    """(value, replacement) for every credential set in the environment, longest first."""
    values = []
    for variable in SECRET_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if len(value) >= 6:
            values.append((value, f"{MARK}{variable}{MARK}"))
    url = os.environ.get(DATABASE_URL_VARIABLE, "")
    for password in url_passwords(url) if url else ():  # none set: no pattern compiled
        for form in {password, _unquoted(password)}:
            if len(form) >= 4:
                values.append((form, MARK))
    return sorted(values, key=lambda pair: -len(pair[0]))


def _unquoted(value: str) -> str:
    if "%" not in value:
        return value
    from urllib.parse import unquote  # already loaded by pathlib: costs nothing

    return unquote(value)


def redact(text: str, *, environment: bool = True) -> str:
    """``text`` with every password, key and token it holds replaced by ``***`` (or ``***name***``);
    URLs keep their scheme, user, host, port and database. Redacting twice changes nothing.

    ``environment=False`` leaves out the credential variables' values: for a record that must be
    the same whatever is set (the remote's identity, which ties a mirror to its remote)."""
    if not text:
        return text
    folded = text.casefold()
    for source, replacement, hints in _RULES:
        if not hints or any(hint in folded for hint in hints):  # a rule without hints always runs
            changed = _pattern(source).sub(replacement, text)
            if changed != text:  # a replacement may hold a later rule's hint
                text, folded = changed, changed.casefold()
    if environment:
        for value, replacement in _environment_values():
            text = text.replace(value, replacement)
    return text


def redact_identity(identity: str) -> str:
    """A remote identity (``URL#project``) redacted: the project after the last ``#`` is kept whole."""
    url, sep, project = identity.rpartition("#")
    if not sep or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", project):
        return redact(identity, environment=False)
    return f"{redact(url, environment=False)}#{project}"
