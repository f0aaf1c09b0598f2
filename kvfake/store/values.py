"""Value kinds kept in the keyspace, their TYPE names and OBJECT ENCODING rules.

Strings are plain ``bytes`` (the hot path); a string changed in place (APPEND,
SETRANGE, SETBIT...) is stored as :class:`RawString`, a ``bytes`` subclass whose
only meaning is "Redis would report encoding raw".  Aggregates are mutable
containers; each records the one-way encoding conversion Redis performs (a hash
that outgrew listpack stays hashtable even after shrinking).

Imports: kvfake.store.zset (the sorted-set structure, itself importing nothing from
kvfake).  Never: socket, selectors.
"""

from __future__ import annotations

from collections import deque

from kvfake.store.zset import ZSet


class RawString(bytes):
    """A string value Redis would report as ``raw`` whatever its length."""

    __slots__ = ()


class SdsString(bytes):
    """A string Redis never int-encodes (INCRBYFLOAT's result): embstr up to 44 bytes, raw beyond."""

    __slots__ = ()


class Hash(dict):
    """field -> value (both bytes).  ``big`` is set once it outgrew listpack.

    ``scan_index`` is HSCAN's cache (owned by commands/hashes.py), never copied.
    Random picks (HRANDFIELD) need O(1) access by position, which a dict lacks:
    :meth:`field_list` builds, on first use, a list of the fields plus field ->
    position; setting and deleting single fields (``h[f] = v``, ``update``,
    ``del``, ``pop``) keep both in step in O(1) (a removal moves the last field
    into the hole) and every other mutator drops them, to be rebuilt by the next
    random pick.  Until then the class costs nothing extra but a method call.
    """

    __slots__ = ("big", "scan_index", "_items", "_pos")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.big = False
        self.scan_index = None
        self._items = None
        self._pos = None

    def copy(self) -> "Hash":
        """An independent Hash, encoding state included (COPY: hashTypeDup)."""
        new = Hash(self)
        new.big = self.big
        return new

    def field_list(self) -> list:
        """The fields as a list, stable until the next change; read it, never modify it."""
        items = self._items
        if items is None:
            items = self._items = list(self)  # insertion order: the same in every process
            self._pos = {f: i for i, f in enumerate(items)}
        return items

    def random_field(self, rng) -> bytes:
        """A uniformly random field of a non-empty hash, in O(1) (after the first call)."""
        items = self.field_list()
        return items[rng.randrange(len(items))]

    def __setitem__(self, field, value) -> None:
        pos = self._pos
        if pos is not None and field not in pos:
            pos[field] = len(self._items)
            self._items.append(field)
        dict.__setitem__(self, field, value)

    def update(self, *args, **kwargs) -> None:
        if self._pos is None:
            dict.update(self, *args, **kwargs)
            return
        for field, value in dict(*args, **kwargs).items():
            self[field] = value

    def _forget(self, field) -> None:
        i = self._pos.pop(field, None)
        if i is not None:
            items = self._items
            last = items.pop()
            if i < len(items):
                items[i] = last
                self._pos[last] = i

    def __delitem__(self, field) -> None:
        dict.__delitem__(self, field)
        if self._pos is not None:
            self._forget(field)

    def pop(self, field, *default):
        if self._pos is not None and field in self:
            self._forget(field)
        return dict.pop(self, field, *default)

    def _drop_positions(self) -> None:
        self._items = self._pos = None

    def popitem(self):
        self._drop_positions()
        return dict.popitem(self)

    def clear(self) -> None:
        self._drop_positions()
        dict.clear(self)

    def setdefault(self, field, default=None):
        if field not in self:
            self[field] = default
        return dict.__getitem__(self, field)

    def __ior__(self, other):
        self.update(other)
        return self


class List(deque):
    """A list value (quicklist in Redis 7.0)."""

    __slots__ = ()

    def copy(self) -> "List":
        return List(self)


class SetValue(set):
    """A set value.  ``big`` is set once it stopped being an intset.

    ``scan_index`` is SSCAN's cache (owned by commands/sets.py), never copied.
    Random picks (SPOP, SRANDMEMBER) need O(1) access by position, which a
    Python set lacks: :meth:`member_list` builds, on first use, a list of the
    members plus member -> position; ``add``/``discard``/``remove``/``pop``
    keep both in step in O(1) (a removal moves the last member into the hole)
    and every other mutator drops them, to be rebuilt by the next random pick.
    """

    __slots__ = ("big", "scan_index", "_items", "_pos")

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.big = False
        self.scan_index = None
        self._items = None
        self._pos = None

    def copy(self) -> "SetValue":
        """An independent SetValue, encoding state included (COPY: setTypeDup)."""
        new = SetValue(self)
        new.big = self.big
        return new

    # -- Redis 7.0 encoding rules (t_set.c) --------------------------------
    # An intset holds only members string2ll accepts ("12", "-3"; not "01", "-0",
    # "+1", " 1") and at most set-max-intset-entries (capped at 2**30) of them; the
    # first add that breaks either rule converts it to a hashtable for good.

    def add_member(self, member: bytes, max_intset: int) -> bool:
        """Add one member as setTypeAdd does; True if it was not there."""
        if member in self:
            return False
        self.add(member)
        if not self.big and (len(self) > max_intset or not _is_int_string(member)):
            self.big = True
        return True

    @classmethod
    def fresh(cls, members, max_intset: int) -> "SetValue":
        """A new set built by adding ``members`` to an empty intset (SINTERSTORE, SUNIONSTORE...)."""
        value = cls(members)
        value.big = not fits_intset(value, max_intset)
        return value

    def ordered(self) -> list:
        """The members in Redis's iteration order where it is defined: an intset is sorted."""
        if self.big:
            return list(self)
        try:
            return sorted(self, key=int)
        except ValueError:  # a hand-made value breaking the intset rule
            return list(self)

    def member_list(self) -> list:
        """The members as a list, stable until the next change; read it, never modify it."""
        items = self._items
        if items is None:
            # sorted, not list(self): set order follows the per-process str/bytes hash
            # (PYTHONHASHSEED), and Server(seed=...) must repeat SPOP/SRANDMEMBER run to run
            items = self._items = sorted(self)
            self._pos = {m: i for i, m in enumerate(items)}
        return items

    def random_member(self, rng):
        """A uniformly random member of a non-empty set, in O(1) (after the first call)."""
        items = self.member_list()
        return items[rng.randrange(len(items))]

    def add(self, member) -> None:
        pos = self._pos
        if pos is not None and member not in pos:
            pos[member] = len(self._items)
            self._items.append(member)
        set.add(self, member)

    def discard(self, member) -> None:
        pos = self._pos
        if pos is not None:
            i = pos.pop(member, None)
            if i is not None:
                items = self._items
                last = items.pop()
                if i < len(items):
                    items[i] = last
                    pos[last] = i
        set.discard(self, member)

    def remove(self, member) -> None:
        if member not in self:
            raise KeyError(member)
        self.discard(member)

    def pop(self):
        member = set.pop(self)
        set.add(self, member)
        self.discard(member)
        return member

    def _drop_positions(self) -> None:
        self._items = self._pos = None

    def clear(self) -> None:
        self._drop_positions()
        set.clear(self)

    def update(self, *others) -> None:
        self._drop_positions()
        set.update(self, *others)

    def difference_update(self, *others) -> None:
        self._drop_positions()
        set.difference_update(self, *others)

    def intersection_update(self, *others) -> None:
        self._drop_positions()
        set.intersection_update(self, *others)

    def symmetric_difference_update(self, other) -> None:
        self._drop_positions()
        set.symmetric_difference_update(self, other)

    def __ior__(self, other):
        self._drop_positions()
        return set.__ior__(self, other)

    def __iand__(self, other):
        self._drop_positions()
        return set.__iand__(self, other)

    def __isub__(self, other):
        self._drop_positions()
        return set.__isub__(self, other)

    def __ixor__(self, other):
        self._drop_positions()
        return set.__ixor__(self, other)


INTSET_MAX_ENTRIES = 1 << 30  # redis 7.0 caps set-max-intset-entries here (intset internals)


def fits_intset(members, max_intset: int) -> bool:
    """Would these (distinct) members make an intset under ``max_intset``?"""
    return len(members) <= max_intset and all(map(_is_int_string, members))


TYPE_NAMES = {
    bytes: b"string",
    RawString: b"string",
    SdsString: b"string",
    Hash: b"hash",
    List: b"list",
    SetValue: b"set",
    ZSet: b"zset",
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


def _zset_encoding(value: ZSet) -> bytes:
    return b"skiplist" if value.big else b"listpack"


ENCODINGS = {
    Hash: _hash_encoding,
    List: _list_encoding,
    SetValue: _set_encoding,
    ZSet: _zset_encoding,
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
