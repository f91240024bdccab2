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
    folded = unicodedata.normalize("NFKC", title).lower()  # full-width and ligature forms as letters
    if folded.isascii():
        slug = _ASCII_RUNS.sub("-", folded)
    else:
        slug = unicodedata.normalize("NFC", _RUNS.sub("-", "".join(_name_chars(folded))))
    return slug.strip("-")[:limit].rstrip("-") or "untitled"


def _name_chars(folded: str) -> list[str]:
    """Each character of a lowercased title as it goes into a name: ``-`` for what is no letter,
    mark or digit; the accents of a Latin letter dropped (``é``, and the dot ``İ`` lowercases
    with), the marks of other scripts kept (``й``, ``が``, Devanagari's vowel signs)."""
    chars: list[str] = []
    after_latin = False
    for char in unicodedata.normalize("NFD", folded):
        if unicodedata.combining(char):
            if not after_latin:
                chars.append(char)
            continue
        after_latin = char.isascii()
        if after_latin:
            chars.append(char if char.isalnum() else "-")
        else:
            chars.append(char if unicodedata.category(char)[0] in "LMN" else "-")
    return chars
