"""Commands edit agentsync.yaml line by line: comments, order and line endings stay."""

from __future__ import annotations

import pytest
import yaml

from agentsync.config.edit import remove_remote, set_remote, set_top_level
from agentsync.errors import ConfigError

CONFIG = """# team settings
version: 1
remote: local  # where push and pull go
max_file_size: 4096
"""


def test_set_top_level_replaces_one_line_and_keeps_its_comment() -> None:
    edited = set_top_level(CONFIG, "remote", "team")
    assert edited == CONFIG.replace("remote: local  #", "remote: team  #")
    assert set_top_level("version: 1", "remote", "team") == "version: 1\nremote: team\n"


def test_remotes_are_added_replaced_and_removed_in_their_block() -> None:
    edited = set_remote(CONFIG, "team", "https://abc.supabase.co")
    assert edited == CONFIG + "remotes:\n  team: https://abc.supabase.co\n"
    edited = set_remote(edited, "db", "postgresql://db.example.com/agentsync")
    edited = set_remote(edited, "team", "https://other.supabase.co")
    assert yaml.safe_load(edited)["remotes"] == {
        "team": "https://other.supabase.co",
        "db": "postgresql://db.example.com/agentsync",
    }
    assert edited.startswith(CONFIG)
    edited = remove_remote(edited, "team")
    assert yaml.safe_load(edited)["remotes"] == {"db": "postgresql://db.example.com/agentsync"}
    with pytest.raises(ConfigError, match="no remote named 'team'"):
        remove_remote(edited, "team")


def test_a_block_followed_by_other_keys_and_comments_and_crlf() -> None:
    text = "remotes:\r\n    # the team's project\r\n    team: https://a.supabase.co\r\n\r\n# after\r\nproject: x\r\n"
    edited = set_remote(text, "db", "postgres://h/d")
    assert edited == text.replace("co\r\n\r\n", "co\r\n    db: postgres://h/d\r\n\r\n")
    remotes = {"team": "https://a.supabase.co", "db": "postgres://h/d"}
    assert yaml.safe_load(edited) == {"remotes": remotes, "project": "x"}
    assert set_remote("remotes: {}\nproject: x\n", "a", "local") == "remotes:\n  a: local\nproject: x\n"
    with pytest.raises(ConfigError, match="written inline"):
        set_remote("remotes: {a: local}\n", "b", "local")
