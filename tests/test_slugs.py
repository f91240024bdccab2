"""A title as a file name: words in the title's own script, Latin accents dropped."""

from __future__ import annotations

import pytest

from agentsync.slugs import slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Fix: login (again)", "fix-login-again"),
        ("Café résumé", "cafe-resume"),  # what a reader typing the name types
        ("naïve—coöp", "naive-coop"),
        ("İstanbul", "istanbul"),  # İ lowercases to i and a dot above: the dot goes with the accents
        ("修复登录问题", "修复登录问题"),  # was "untitled", as every title in a script other than Latin
        ("数据库迁移 v2", "数据库迁移-v2"),
        ("Добавить вход йод ёж", "добавить-вход-йод-ёж"),  # й and ё keep their marks: letters of their own
        ("がぎぐ テスト", "がぎぐ-テスト"),  # kana keep their voicing marks
        ("हिन्दी शीर्षक", "हिन्दी-शीर्षक"),  # vowel signs are marks: kept
        ("한국어 제목", "한국어-제목"),
        ("ＡＢＣ ﬁne", "abc-fine"),  # full-width letters and ligatures as the letters they stand for
        ("Straße", "straße"),
        ("🚀 Launch!!", "launch"),
        ("  -- 🚀 ", "untitled"),
        ("x_y", "x-y"),
        ("⚠️ Fix login", "fix-login"),  # the emoji's presentation selector is a mark on no letter: dropped
        ("1️⃣ First step", "1-first-step"),  # a keycap likewise
        ("❤️", "untitled"),
        ("ทำงาน", "ทำงาน"),  # NFKC would respell ำ as two characters: the name keeps the title's own
    ],
)
def test_a_title_becomes_the_words_it_holds(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_a_slug_is_cut_at_its_limit_without_a_trailing_dash() -> None:
    assert slugify("word " * 20, 12) == "word-word-wo"
    assert slugify("abcd efgh", 5) == "abcd"
    assert slugify("统一 " * 30, 7) == "统一-统一-统"
