"""Config: defaults, validation messages that name file and key, secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentsync
from agentsync import config as config_module
from agentsync.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "agentsync.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_default_config_round_trips(tmp_path: Path) -> None:
    config = config_module.load(write(tmp_path, config_module.render_default()))
    assert [t.name for t in config.types] == ["plan", "story", "runbook", "adr"]
    assert config.type_named("plan").globs == ("plans/**/*.md", "docs/plans/**/*.md", ".agent/cache/plans/**/*.md")
    assert config.git_fields == ("status",)


def test_watch_settings_and_auto_push(tmp_path: Path) -> None:
    default = config_module.load(write(tmp_path, config_module.render_default()))
    assert default.auto_push is False and default.watch == config_module.WatchSettings()
    text = "auto_push: true\nwatch: {poll_interval: 2, debounce: 0.5, notify: false}\n"
    config = config_module.load(write(tmp_path, text))
    assert config.auto_push is True
    assert config.watch == config_module.WatchSettings(debounce=0.5, push_delay=0.5, poll_interval=2.0, notify=False)
    with pytest.raises(
        ConfigError, match=r"`watch.poll_interval` is 0; use seconds between checks .* from 0.2 to 3600"
    ):
        config_module.load(write(tmp_path, "watch: {poll_interval: 0}\n"))


def test_unknown_key_names_file_key_and_allowed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_module.load(write(tmp_path, "version: 1\nglob: x\n"))
    message = str(caught.value)
    assert "agentsync.yaml" in message and "`glob`" in message and "allowed:" in message


@pytest.mark.parametrize(
    "text, key",
    [
        ("types:\n  plan:\n    globs: [/etc/*.md]\n", "types.plan.globs"),
        ("types:\n  plan:\n    globs: [../x/*.md]\n", "types.plan.globs"),
        ("types:\n  plan:\n    globs: [plans/*.txt]\n", "types.plan.globs"),
        ("types:\n  Plan!:\n    globs: [p/*.md]\n", "types.Plan!"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    id_prefix: 9lives\n", "types.plan.id_prefix"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    id_prefix: a b\n", "types.plan.id_prefix"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    id_from: title\n", "types.plan.id_from"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    type_from: path\n", "types.plan.type_from"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    exclude: [../x.md]\n", "types.plan.exclude"),
        ("types:\n  plan:\n    globs: [p/*.md]\n    exclude: {a: 1}\n", "types.plan.exclude"),
        ("exclude: [/abs/README.md]\n", "exclude"),
        ("max_file_size: 10\n", "max_file_size"),
        ("auto_push: yes please\n", "auto_push"),
        ("watch: 5\n", "watch"),
        ("watch: {debounce: 0}\n", "watch.debounce"),
        ("watch: {poll_interval: fast}\n", "watch.poll_interval"),
        ("watch: {notify: 1}\n", "watch.notify"),
        ("watch: {interval: 3}\n", "watch.interval"),
        ("git_fields: {a: 1}\n", "git_fields"),
        ("version: 2\n", "version"),
    ],
)
def test_invalid_values_are_named(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=f"`{key}`"):
        config_module.load(write(tmp_path, text))


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agentsync.yaml:\d+: invalid YAML"):
        config_module.load(write(tmp_path, "version: 1\ntypes: [\n"))


@pytest.mark.parametrize(
    "text, variable",
    [
        ("remote: https://x.supabase.co\nservice_role_key: abc\n", "SUPABASE_SERVICE_ROLE_KEY"),
        ("remote: postgresql://user:hunter2@db.example.com/postgres\n", "AGENTSYNC_DATABASE_URL"),
        ("remote: eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl\n", "SUPABASE_SERVICE_ROLE_KEY"),
        ("allowed_values:\n  status: [AKIAIOSFODNN7EXAMPLE]\n", "AWS_ACCESS_KEY_ID"),
    ],
)
def test_secrets_are_refused_with_the_variable_to_use(tmp_path: Path, text: str, variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_module.load(write(tmp_path, text))
    assert variable in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_rule_of_the_teams_own_may_be_named_like_what_it_finds(tmp_path: Path) -> None:
    """The README's example: a pattern's name is not a secret's key (the key under a remote's is)."""
    text = "outbound_scan:\n  patterns: {ticket_secret: 'TKT-[0-9a-f]{32}', api_key: 'ak_[0-9]{8}'}\n"
    config = config_module.load(write(tmp_path, text))
    assert dict(config.outbound_scan.patterns) == {"ticket_secret": "TKT-[0-9a-f]{32}", "api_key": "ak_[0-9]{8}"}
    with pytest.raises(ConfigError, match=r"outbound_scan\.patterns\.mine"):  # a secret as the pattern still is not
        config_module.load(write(tmp_path, "outbound_scan: {patterns: {mine: 'AKIAIOSFODNN7EXAMPLE'}}\n"))
    with pytest.raises(ConfigError, match=r"`outbound_scan\.api_key` looks like a secret"):
        config_module.load(write(tmp_path, "outbound_scan: {api_key: abc}\n"))


def test_find_root_walks_up(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert config_module.find_root(deep) == tmp_path.resolve()


def test_init_sets_up_the_enclosing_repository_else_the_folder_itself(tmp_path: Path) -> None:
    from agentsync.config.locate import init_root

    deep = tmp_path / "repo" / "docs" / "plans"
    deep.mkdir(parents=True)
    assert init_root(deep) == deep.resolve()  # no repository around it: the folder itself
    (tmp_path / "repo" / ".git").mkdir()
    assert init_root(deep) == (tmp_path / "repo").resolve()
    write(tmp_path / "repo" / "docs", "version: 1\n")  # a config nearer than the .git wins
    assert init_root(deep) == (tmp_path / "repo" / "docs").resolve()


def test_parsed_config_is_cached_by_stat_and_never_holds_a_secret(tmp_path: Path) -> None:
    import os

    path = tmp_path / config_module.CONFIG_NAME
    path.write_text(config_module.render_default(), encoding="utf-8")
    (tmp_path / config_module.STATE_DIR).mkdir()
    cache = tmp_path / config_module.STATE_DIR / config_module.CACHE_NAME
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # settled long ago
    first = config_module.load(tmp_path)
    assert cache.exists()
    assert config_module.load(tmp_path) == first
    # An edit changes the stat: the cache is not used, the new value is.
    path.write_text(config_module.render_default() + "max_file_size: 1234\n", encoding="utf-8")
    os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    assert config_module.load(tmp_path).max_file_size == 1234
    # A refused secret never reaches the cache file.
    cache.unlink()
    path.write_text("remote: postgresql://user:hunter2@db.example.com/x\n", encoding="utf-8")
    os.utime(path, ns=(3_000_000_000, 3_000_000_000))
    with pytest.raises(ConfigError):
        config_module.load(tmp_path)
    assert not cache.exists()


def test_a_cache_written_by_another_version_is_not_used(tmp_path: Path) -> None:
    """The cache skips the secret check (its data passed it when the file was read): a version that may
    know more secret patterns must read the file again, not trust an older version's cache."""
    import json
    import os

    path = tmp_path / config_module.CONFIG_NAME
    path.write_text(config_module.render_default(), encoding="utf-8")
    (tmp_path / config_module.STATE_DIR).mkdir()
    cache = tmp_path / config_module.STATE_DIR / config_module.CACHE_NAME
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    config_module.load(tmp_path)
    stored = json.loads(cache.read_text(encoding="utf-8"))
    # What an older version could have cached: a value today's patterns refuse.
    stored["key"][-1] = "0.0.1"
    stored["data"]["remote"] = "postgresql://user:hunter2@db.example.com/x"
    cache.write_text(json.dumps(stored), encoding="utf-8")
    assert "hunter2" not in str(config_module.load(tmp_path).remote)  # the file was read, not the cache
    stored["key"][-1] = agentsync.__version__  # the same cache under this version's key is trusted
    cache.write_text(json.dumps(stored), encoding="utf-8")
    assert "hunter2" in str(config_module.load(tmp_path).remote)
