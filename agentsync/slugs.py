"""A title as a file or folder name: lowercase words joined by ``-``, in the title's own script.

Latin letters lose their accents (``Café résumé`` -> ``cafe-resume``), as a reader typing the
name would expect; letters and digits of other scripts are kept (``修复登录`` stays
``修复登录``, ``Добавить вход`` is ``добавить-вход``): every file system and Git hold UTF-8
names, and a title that became ``untitled`` told two records apart by nothing.
"""

from __future__ import annotations

import re
import unicodedata

_ASCII_RUNS = re.compile(r"[^a-z0-9]+")
_RUNS = re.compile(r"-{2,}")


def slugify(title: str, limit: int = 50) -> str:
    """``title`` as a name of at most ``limit`` characters (``untitled`` if nothing of it is a word)."""
    folded = "".join(_compatible(char) for char in unicodedata.normalize("NFC", title)).lower()
    if folded.isascii():
        slug = _ASCII_RUNS.sub("-", folded)
    else:
        slug = unicodedata.normalize("NFC", _RUNS.sub("-", "".join(_name_chars(folded))))
    return slug.strip("-")[:limit].rstrip("-") or "untitled"


def _compatible(char: str) -> str:
    """A full-width letter or a ligature as the ASCII it stands for (``Ａ`` as ``A``, ``ﬁ`` as ``fi``);
    every other character as written (NFKC would respell Thai's ``ำ``, which a name must keep)."""
    compatible = unicodedata.normalize("NFKC", char)
    return compatible if compatible.isascii() else char


def _name_chars(folded: str) -> list[str]:
    """Each character of a lowercased title as it goes into a name: ``-`` for what is no letter,
    mark or digit; the accents of a Latin letter dropped (``é``, and the dot ``İ`` lowercases
    with), the marks of other scripts' letters kept (``й``, ``が``, Devanagari's vowel signs), a
    mark on no letter dropped (an emoji's presentation selector, a keycap: invisible in a name)."""
    chars: list[str] = []
    after = ""  # what the last character was: "latin", "letter" (of another script) or "" (neither)
    for char in unicodedata.normalize("NFD", folded):
        category = unicodedata.category(char)
        if category[0] == "M":
            if after == "letter":
                chars.append(char)
            continue
        if char.isascii():
            after = "latin" if char.isalnum() else ""
            chars.append(char if char.isalnum() else "-")
        elif category[0] in "LN":
            after = "letter"
            chars.append(char)
        else:
            after = ""
            chars.append("-")
    return chars
