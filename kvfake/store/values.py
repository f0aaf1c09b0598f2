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


class SdsString(bytes):
    """A string Redis never int-encodes (INCRBYFLOAT's result): embstr up to 44 bytes, raw beyond."""

    __slots__ = ()


class Hash(dict):
    """field -> value (both bytes).  ``big`` is set once it outgrew listpack."""

    __slots__ = ("big",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.big = False

    def copy(self) -> "Hash":
        """An independent Hash, encoding state included (COPY: hashTypeDup)."""
        new = Hash(self)
        new.big = self.big
        return new


class List(deque):
    """A list value (quicklist in Redis 7.0)."""

    __slots__ = ()

    def copy(self) -> "List":
        return List(self)


class SetValue(set):
    """A set value.  ``big`` is set once it stopped being an intset."""

    __slots__ = ("big",)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.big = False

    def copy(self) -> "SetValue":
        """An independent SetValue, encoding state included (COPY: setTypeDup)."""
        new = SetValue(self)
        new.big = self.big
        return new


TYPE_NAMES = {
    bytes: b"string",
    RawString: b"string",
    SdsString: b"string",
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
    if type(value) is SdsString:
        return b"embstr" if len(value) <= 44 else b"raw"
    if _is_int_string(value):
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"


# -- OBJECT ENCODING and COPY for every kind ---------------------------------
#
# Extension point for value classes defined elsewhere (sorted sets, streams):
#   register_type(Cls, b"zset"); register_encoding(Cls, lambda v: b"skiplist" if v.big else b"listpack")
# and give the class a ``copy()`` returning an independent value of the same class,
# encoding state included, deep enough that changing one never changes the other.


def _hash_encoding(value: Hash) -> bytes:
    return b"hashtable" if value.big else b"listpack"


def _list_encoding(value: List) -> bytes:
    return b"quicklist"  # redis 7.0: every list (7.2 added listpack for small ones)


def _set_encoding(value: SetValue) -> bytes:
    return b"hashtable" if value.big else b"intset"  # 7.0 has no listpack sets


ENCODINGS = {
    Hash: _hash_encoding,
    List: _list_encoding,
    SetValue: _set_encoding,
}


def register_encoding(cls: type, rule) -> None:
    """Let a value class defined elsewhere report OBJECT ENCODING: ``rule(value) -> bytes``."""
    ENCODINGS[cls] = rule


def encoding(value: object) -> bytes:
    """What OBJECT ENCODING reports for ``value`` (any kind).

    Raises TypeError for a class without a rule: a kvfake bug, reported loudly
    rather than answered with a made-up name.
    """
    if isinstance(value, bytes):
        return string_encoding(value)
    rule = ENCODINGS.get(type(value))
    if rule is None:
        raise TypeError(f"no OBJECT ENCODING rule for {type(value).__name__}: call register_encoding()")
    return rule(value)


def copy_value(value: object):
    """An independent copy of ``value`` for COPY.

    Strings are immutable and shared as they are (their class, hence their
    encoding, is kept, as Redis's dupStringObject keeps raw/embstr/int);
    every aggregate class defines ``copy()``.
    """
    if isinstance(value, bytes):
        return value
    return value.copy()
