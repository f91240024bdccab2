"""An artifact's identity: its (type, id), written as one key ``TYPE:ID``.

Two artifacts of different types may share an id (a plan, a story and a runbook all called
``INFRA-015``); within a type an id is unique. The mirror, the sync state, the remote's answers,
locks, conflicts, history and bundles all name an artifact by its key. A type never contains
``:`` (config type names cannot, and ``artifact`` refuses a frontmatter ``type:`` that does), so a
key splits at its first ``:`` and an id may itself contain one.

A key whose type is empty (``:ID``) names a remote row written before the remote recorded types
(migration 0011 keeps such rows as they were); the clone gives it the type its path has.
"""

from __future__ import annotations

from typing import NamedTuple

SEPARATOR = ":"


class Identity(NamedTuple):
    type: str
    id: str

    @property
    def key(self) -> str:
        return key_of(self.type, self.id)


class Keyed:
    """The ``id`` and ``type`` of a record that carries its ``key`` (a push's change, a remote row,
    an answer): one spelling of the split for all of them."""

    key: str

    @property
    def id(self) -> str:
        """The id part of ``key`` (unique within its type only)."""
        return split_key(self.key).id

    @property
    def type(self) -> str:
        return split_key(self.key).type


def key_of(type_name: str, artifact_id: str) -> str:
    """The key of (``type_name``, ``artifact_id``)."""
    return f"{type_name}{SEPARATOR}{artifact_id}"


def split_key(key: str) -> Identity:
    """(type, id) of a key; a string without ``:`` is an id whose type is not known (``''``)."""
    type_name, separator, artifact_id = key.partition(SEPARATOR)
    return Identity(type_name, artifact_id) if separator else Identity("", key)


def id_of(key: str) -> str:
    return split_key(key).id


def type_of(key: str) -> str:
    return split_key(key).type


def valid_type(value: str) -> bool:
    """Whether ``value`` can be a type in a key: 1-100 characters, no ``:``, slash or control character.
    A pull asks it of every row, of the same few names: each is looked at once."""
    known = _CHECKED_TYPES.get(value)
    if known is None:
        known = 0 < len(value) <= 100 and not any(c in ":/\\" or ord(c) < 32 or ord(c) == 127 for c in value)
        if len(_CHECKED_TYPES) < _CHECKED_MAX:  # a remote sending ever new names does not grow it
            _CHECKED_TYPES[value] = known
    return known


_CHECKED_TYPES: dict[str, bool] = {}
_CHECKED_MAX = 1024
