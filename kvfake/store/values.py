"""Value kinds kept in the keyspace, their TYPE names and OBJECT ENCODING rules.

Strings are plain ``bytes`` (the hot path); a string changed in place (APPEND,
SETRANGE, SETBIT...) is stored as :class:`RawString`, a ``bytes`` subclass whose
only meaning is "Redis would report encoding raw".  Aggregates are mutable
containers; each records the one-way encoding conversion Redis performs (a hash
that outgrew listpack stays hashtable even after shrinking).

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

from collections import deque


class RawString(bytes):
    """A string value Redis would report as ``raw`` whatever its length."""

    __slots__ = ()


class Hash(dict):
    """field -> value (both bytes).  ``big`` is set once it outgrew listpack."""

    __slots__ = ("big",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.big = False


class List(deque):
    """A list value (quicklist in Redis 7.0)."""

    __slots__ = ()


class SetValue(set):
    """A set value.  ``big`` is set once it stopped being an intset."""

    __slots__ = ("big",)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.big = False


TYPE_NAMES = {
    bytes: b"string",
    RawString: b"string",
    Hash: b"hash",
    List: b"list",
    SetValue: b"set",
}


def register_type(cls: type, name: bytes) -> None:
    """Let a value class defined elsewhere (zset, stream) report its TYPE name."""
    TYPE_NAMES[cls] = name


def type_name(value: object) -> bytes:
    return TYPE_NAMES.get(type(value), b"none")


def _is_int_string(value: bytes) -> bool:
    if not value or len(value) > 20:
        return False
    try:
        n = int(value)
    except ValueError:
        return False
    return b"%d" % n == value and -(2**63) <= n < 2**63


def string_encoding(value: bytes) -> bytes:
    if type(value) is RawString:
        return b"raw"
    if _is_int_string(value):
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"
