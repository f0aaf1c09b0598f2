"""Hashes, lists, sets and sorted sets: kvfake, and real Redis, against the strings/keys model extended.

``AggregatesModel`` adds Redis 7.0's hash, list, set and sorted-set commands to the plain-Python ``Model``
of test_strings_keys_model.py (values: ``Hash`` and ``ZSet`` dicts, ``ListValue``, ``SetValue``); each
method returns the raw reply bytes Redis gives. ``AggregatesMachine`` inherits the strings/keys machine
(its invariant, time travel onto expiry times, SELECT, FLUSHDB) and re-declares its key rules (SET over any
type, WRONGTYPE from GET/INCR/APPEND/GETEX, DEL, EXPIRE, PERSIST, RENAME, COPY) over every key. Each type's
rules use mostly one main key (``h``, ``l``, ``s``, ``z``) so they meet data, and sometimes the other keys,
so types collide. It runs on the same two backends: the in-process harness (exact, with time travel) and a
real redis-server (clock rules off; see the sibling module's docstring).

Redis rules the model encodes (redis 7.0.15, each proved by the real-server run): arguments are parsed
before the key is looked up (HINCRBY's increment, LRANGE/LREM's numbers, LINSERT's BEFORE|AFTER, LMOVE's
LEFT|RIGHT, ZADD's options and scores, ZRANGE's options then range, a pop count), but LSET looks the key up
first (WRONGTYPE, ``ERR no such key``) and ZPOPMIN checks the type before a count of 0; an aggregate
emptied by a command is deleted (its TTL with it); writes into an aggregate keep its TTL; SINTERSTORE
replaces (or deletes) its destination whatever its type; SMOVE from a missing source is 0 even onto a key
of the wrong type; a sorted set's score is printed with ``%.17g`` and stored without the sign of -0 (the
listpack form) while ZADD INCR / ZINCRBY reply with the computed score.

Replies compared after a normaliser: SMEMBERS (a set has no order; Redis's depends on its encoding).
Everything else is compared byte for byte, HGETALL's field order included (small hashes keep insertion
order). The invariant adds to the sibling's (DBSIZE, TYPE per key, PTTL, no TTL drift) a read of every
live key's whole value: GET, HGETALL, LRANGE 0 -1, SMEMBERS, ZRANGE 0 -1 WITHSCORES.

Imports: hypothesis, pytest, tests.support.*, tests.stateful.test_strings_keys_model.  Never: kvfake
internals (the harness wraps them).
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule, run_state_machine_as_test

from tests.stateful.test_strings_keys_model import (AMOUNTS, DB_ARGS, EXPIRE_FLAGS, GETEX_OPTIONS, INCREMENTS,
                                                    KEYS, NIL, NOT_INT, OK, SET_OPTIONS, SYNTAX, VALUES,
                                                    WRONGTYPE, Entry, HarnessBackend, Model, RedisBackend,
                                                    StringsKeysMachine, string2ll)
from tests.support.resp import EMPTY_ARRAY, NIL_ARRAY, array, bulk, decode, error, integer

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
NOT_POSITIVE = error("ERR value is out of range, must be positive")
NO_SUCH_KEY = error("ERR no such key")
INDEX_RANGE = error("ERR index out of range")
HASH_NOT_INT = error("ERR hash value is not an integer")
OVERFLOW = error("ERR increment or decrement would overflow")
NOT_FLOAT = error("ERR value is not a valid float")
RANGE_NOT_FLOAT = error("ERR min or max is not a float")
NAN_SCORE = error("ERR resulting score is not a number (NaN)")
ZADD_NX_XX = error("ERR XX and NX options at the same time are not compatible")
ZADD_GT_LT_NX = error("ERR GT, LT, and/or NX options at the same time are not compatible")
ZADD_INCR_PAIRS = error("ERR INCR option supports a single increment-element pair")
ZRANGE_LIMIT = error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")


def wrong_arity(name: str) -> bytes:
    return error(f"ERR wrong number of arguments for '{name}' command")


# =============================================================================== model values
class Hash(dict):
    TYPE = "hash"  # field -> value, in insertion order (Redis's small-hash listpack order)


class ListValue(list):
    TYPE = "list"


class SetValue(set):
    TYPE = "set"


class ZSet(dict):
    TYPE = "zset"  # member -> score

    def ordered(self) -> list[tuple[bytes, float]]:
        return sorted(self.items(), key=lambda item: (item[1], item[0]))


class WrongType(Exception):
    """A lookup met a key of another type: the command answers WRONGTYPE."""


def replies(method):
    """Model methods raise WrongType at the point Redis checks the type; this turns it into the reply."""
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except WrongType:
            return WRONGTYPE
    wrapper.__name__ = method.__name__
    return wrapper


# =============================================================================== numbers as Redis reads them
_C_SPACE = b" \t\n\v\f\r"
_STRTOD = re.compile(rb"[+-]?(?:(infinity|inf|nan)|0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)", re.IGNORECASE)


def strtod(data: bytes) -> tuple[float, bool, bool]:
    """C strtod over the whole string: (value, consumed everything, out of range)."""
    text = data.lstrip(_C_SPACE)
    match = _STRTOD.match(text)
    if match is None:
        return 0.0, data == b"", False  # nothing converted: the end pointer is the start
    token = match.group(0)
    sign = -1.0 if token[:1] == b"-" else 1.0
    digits = token.lstrip(b"+-")
    if match.group(1) is not None:
        value = float(match.group(1))
    elif digits[:2].lower() == b"0x":
        value = float(int(digits, 16))
    else:
        value = float(digits)
    erange = math.isinf(value) and match.group(1) is None  # 1e400 overflows
    return sign * value, match.end() == len(text), erange


def parse_score(data: bytes) -> float | None:
    """getDoubleFromObject (ZADD, ZINCRBY): no empty string, no leading space, no overflow, no NaN."""
    if not data or data[0] in _C_SPACE:
        return None
    value, whole, erange = strtod(data)
    if not whole or erange or math.isnan(value):
        return None
    return value


def parse_bound(data: bytes) -> tuple[float, bool] | None:
    """zslParseRange: an optional '(' then strtod, no NaN (an empty string is 0, 1e400 is inf)."""
    exclusive = data[:1] == b"("
    value, whole, _ = strtod(data[1:] if exclusive else data)
    if not whole or math.isnan(value):
        return None
    return value, exclusive


def fmt_score(score: float) -> bytes:
    """addReplyDouble in redis 7.0: ``%.17g``, inf and -inf."""
    return b"%.17g" % score


def positive_count(data: bytes) -> int | None:
    n = string2ll(data)
    return n if n is not None and n >= 0 else None


def index_range(start: int, stop: int, size: int) -> range:
    """LRANGE / ZRANGE index normalisation."""
    if start < 0:
        start = max(start + size, 0)
    if stop < 0:
        stop += size
    if start > stop or start >= size:
        return range(0)
    return range(start, min(stop, size - 1) + 1)


# =============================================================================== the model
class AggregatesModel(Model):
    """The strings/keys model plus hashes, lists, sets and sorted sets."""

    # ------------------------------------------------------------------ helpers
    def typed(self, key: bytes, cls: type, db: int | None = None) -> Entry | None:
        entry = self.live(key, db)
        if entry is not None and not isinstance(entry.value, cls):
            raise WrongType
        return entry

    def create(self, key: bytes, cls: type) -> Entry:
        entry = self.dbs[self.db][key] = Entry(cls())
        return entry

    def drop_if_empty(self, key: bytes, entry: Entry) -> None:
        if not entry.value and self.dbs[self.db].get(key) is entry:
            del self.dbs[self.db][key]

    # ------------------------------------------------------------------ hashes
    @replies
    def hset(self, key: bytes, args: list[bytes]) -> bytes:
        if len(args) % 2:
            return wrong_arity("hset")
        entry = self.typed(key, Hash) or self.create(key, Hash)
        added = 0
        for field, value in zip(args[::2], args[1::2]):
            added += field not in entry.value
            entry.value[field] = value
        return integer(added)

    @replies
    def hdel(self, key: bytes, fields: list[bytes]) -> bytes:
        entry = self.typed(key, Hash)
        if entry is None:
            return integer(0)
        removed = 0
        for field in fields:
            if field in entry.value:
                del entry.value[field]
                removed += 1
        self.drop_if_empty(key, entry)
        return integer(removed)

    @replies
    def hget(self, key: bytes, field: bytes) -> bytes:
        entry = self.typed(key, Hash)
        value = None if entry is None else entry.value.get(field)
        return NIL if value is None else bulk(value)

    @replies
    def hincrby(self, key: bytes, field: bytes, by: bytes) -> bytes:
        incr = string2ll(by)
        if incr is None:
            return NOT_INT
        entry = self.typed(key, Hash) or self.create(key, Hash)
        current = entry.value.get(field, b"0")
        value = string2ll(current)
        if value is None:
            return HASH_NOT_INT
        if not LLONG_MIN <= value + incr <= LLONG_MAX:
            return OVERFLOW
        entry.value[field] = b"%d" % (value + incr)
        return integer(value + incr)

    @replies
    def hgetall(self, key: bytes, db: int | None = None) -> bytes:
        entry = self.typed(key, Hash, db)
        pairs = [] if entry is None else entry.value.items()
        return array(*[bulk(x) for pair in pairs for x in pair])

    @replies
    def hlen(self, key: bytes) -> bytes:
        entry = self.typed(key, Hash)
        return integer(0 if entry is None else len(entry.value))

    # ------------------------------------------------------------------ lists
    @replies
    def push(self, command: bytes, key: bytes, elements: list[bytes]) -> bytes:
        entry = self.typed(key, ListValue) or self.create(key, ListValue)
        for element in elements:
            if command == b"LPUSH":
                entry.value.insert(0, element)
            else:
                entry.value.append(element)
        return integer(len(entry.value))

    @replies
    def pop(self, command: bytes, key: bytes, count: bytes | None) -> bytes:
        n = None
        if count is not None:
            n = positive_count(count)
            if n is None:
                return NOT_POSITIVE
        entry = self.typed(key, ListValue)
        if entry is None:
            return NIL if n is None else NIL_ARRAY
        items = entry.value
        taken = []
        for _ in range(1 if n is None else min(n, len(items))):
            taken.append(items.pop(0) if command == b"LPOP" else items.pop())
        self.drop_if_empty(key, entry)
        return bulk(taken[0]) if n is None else array(*map(bulk, taken))

    @replies
    def lrange(self, key: bytes, start: bytes, stop: bytes, db: int | None = None) -> bytes:
        first, last = string2ll(start), string2ll(stop)
        if first is None or last is None:
            return NOT_INT
        entry = self.typed(key, ListValue, db)
        items = [] if entry is None else entry.value
        return array(*[bulk(items[i]) for i in index_range(first, last, len(items))])

    @replies
    def llen(self, key: bytes) -> bytes:
        entry = self.typed(key, ListValue)
        return integer(0 if entry is None else len(entry.value))

    @replies
    def lrem(self, key: bytes, count: bytes, element: bytes) -> bytes:
        n = string2ll(count)
        if n is None:
            return NOT_INT
        entry = self.typed(key, ListValue)
        if entry is None:
            return integer(0)
        items = entry.value
        order = range(len(items) - 1, -1, -1) if n < 0 else range(len(items))
        hits = [i for i in order if items[i] == element][:abs(n) if n else None]
        for i in sorted(hits, reverse=True):
            del items[i]
        self.drop_if_empty(key, entry)
        return integer(len(hits))

    @replies
    def lset(self, key: bytes, index: bytes, element: bytes) -> bytes:
        entry = self.typed(key, ListValue)  # redis 7.0: LSET looks the key up before parsing the index
        if entry is None:
            return NO_SUCH_KEY
        i = string2ll(index)
        if i is None:
            return NOT_INT
        items = entry.value
        if i < 0:
            i += len(items)
        if not 0 <= i < len(items):
            return INDEX_RANGE
        items[i] = element
        return OK

    @replies
    def linsert(self, key: bytes, where: bytes, pivot: bytes, element: bytes) -> bytes:
        if where.lower() not in (b"before", b"after"):
            return SYNTAX
        entry = self.typed(key, ListValue)
        if entry is None:
            return integer(0)
        items = entry.value
        if pivot not in items:
            return integer(-1)
        at = items.index(pivot)
        items.insert(at if where.lower() == b"before" else at + 1, element)
        return integer(len(items))

    @replies
    def lmove(self, src: bytes, dst: bytes, wherefrom: bytes, whereto: bytes) -> bytes:
        if wherefrom.lower() not in (b"left", b"right") or whereto.lower() not in (b"left", b"right"):
            return SYNTAX
        source = self.typed(src, ListValue)
        if source is None:
            return NIL
        target = self.typed(dst, ListValue)  # the destination's type is checked before the pop
        element = source.value.pop(0) if wherefrom.lower() == b"left" else source.value.pop()
        if target is None:
            target = self.create(dst, ListValue)
        if whereto.lower() == b"left":
            target.value.insert(0, element)
        else:
            target.value.append(element)
        self.drop_if_empty(src, source)
        return bulk(element)

    # ------------------------------------------------------------------ sets
    @replies
    def sadd(self, key: bytes, members: list[bytes]) -> bytes:
        entry = self.typed(key, SetValue) or self.create(key, SetValue)
        before = len(entry.value)
        entry.value.update(members)
        return integer(len(entry.value) - before)

    @replies
    def srem(self, key: bytes, members: list[bytes]) -> bytes:
        entry = self.typed(key, SetValue)
        if entry is None:
            return integer(0)
        removed = len(entry.value & set(members))
        entry.value.difference_update(members)
        self.drop_if_empty(key, entry)
        return integer(removed)

    @replies
    def smembers(self, key: bytes, db: int | None = None) -> bytes | set:
        """The members (compared unordered), or an error reply."""
        entry = self.typed(key, SetValue, db)
        return set() if entry is None else set(entry.value)

    @replies
    def scard(self, key: bytes) -> bytes:
        entry = self.typed(key, SetValue)
        return integer(0 if entry is None else len(entry.value))

    @replies
    def sismember(self, key: bytes, member: bytes) -> bytes:
        entry = self.typed(key, SetValue)
        return integer(int(entry is not None and member in entry.value))

    @replies
    def sinterstore(self, dst: bytes, keys: list[bytes]) -> bytes:
        found = [self.typed(key, SetValue) for key in keys]  # every key is type-checked
        if any(entry is None for entry in found):
            result = set()
        else:
            result = set.intersection(*(set(entry.value) for entry in found))
        self.live(dst)
        self.dbs[self.db].pop(dst, None)
        if result:
            self.dbs[self.db][dst] = Entry(SetValue(result))  # no TTL
        return integer(len(result))

    @replies
    def smove(self, src: bytes, dst: bytes, member: bytes) -> bytes:
        source = self.live(src)
        target = self.live(dst)
        if source is None:
            return integer(0)
        if not isinstance(source.value, SetValue) or (target is not None and not isinstance(target.value, SetValue)):
            raise WrongType
        if source is target:
            return integer(int(member in source.value))
        if member not in source.value:
            return integer(0)
        source.value.discard(member)
        self.drop_if_empty(src, source)
        if target is None:
            target = self.create(dst, SetValue)
        target.value.add(member)
        return integer(1)

    # ------------------------------------------------------------------ sorted sets
    @replies
    def zadd(self, key: bytes, args: list[bytes], command: bytes = b"zadd") -> bytes:
        flags, i = set(), 0
        while i < len(args) and args[i].lower() in (b"nx", b"xx", b"ch", b"incr", b"gt", b"lt"):
            flags.add(args[i].lower().decode())
            i += 1
        pairs = args[i:]
        if len(pairs) % 2 or not pairs:
            return SYNTAX
        if {"nx", "xx"} <= flags:
            return ZADD_NX_XX
        if "nx" in flags and flags & {"gt", "lt"} or {"gt", "lt"} <= flags:
            return ZADD_GT_LT_NX
        if "incr" in flags and len(pairs) > 2:
            return ZADD_INCR_PAIRS
        scores = [parse_score(s) for s in pairs[::2]]
        if None in scores:
            return NOT_FLOAT
        entry = self.typed(key, ZSet)
        if entry is None:
            if "xx" in flags:
                return NIL if "incr" in flags else integer(0)
            entry = self.create(key, ZSet)
        zset = entry.value
        added = updated = processed = 0
        reply_score = None
        for score, member in zip(scores, pairs[1::2]):
            current = zset.get(member)
            if current is None:
                if "xx" in flags:
                    continue
                zset[member] = score + 0.0  # stored without the sign of -0 (listpack)
                added += 1
            else:
                if "nx" in flags:
                    continue
                if "incr" in flags:
                    score += current
                    if math.isnan(score):
                        return NAN_SCORE
                if ("lt" in flags and score >= current) or ("gt" in flags and score <= current):
                    continue
                if score != current:
                    zset[member] = score + 0.0
                    updated += 1
            processed += 1
            reply_score = score
        if "incr" in flags:
            return bulk(fmt_score(reply_score)) if processed else NIL
        return integer(added + updated if "ch" in flags else added)

    def zincrby(self, key: bytes, increment: bytes, member: bytes) -> bytes:
        return self.zadd(key, [b"INCR", increment, member])

    @replies
    def zrem(self, key: bytes, members: list[bytes]) -> bytes:
        entry = self.typed(key, ZSet)
        if entry is None:
            return integer(0)
        removed = 0
        for member in members:
            if entry.value.pop(member, None) is not None:
                removed += 1
        self.drop_if_empty(key, entry)
        return integer(removed)

    @staticmethod
    def scored(items, withscores: bool) -> bytes:
        out = []
        for member, score in items:
            out.append(bulk(member))
            if withscores:
                out.append(bulk(fmt_score(score)))
        return array(*out)

    @replies
    def zrange(self, key: bytes, start: bytes, stop: bytes, opts: list[bytes], db: int | None = None) -> bytes:
        withscores = rev = limit = False
        i = 0
        while i < len(opts):
            low = opts[i].lower()
            if low == b"withscores":
                withscores = True
            elif low == b"limit" and len(opts) - i - 1 >= 2:
                if string2ll(opts[i + 1]) is None or string2ll(opts[i + 2]) is None:
                    return NOT_INT
                limit = True
                i += 2
            elif low == b"rev" and not rev:
                rev = True
            else:
                return SYNTAX
            i += 1
        if limit:
            return ZRANGE_LIMIT
        first, last = string2ll(start), string2ll(stop)
        if first is None or last is None:
            return NOT_INT
        entry = self.typed(key, ZSet, db)
        items = [] if entry is None else entry.value.ordered()
        if rev:
            items.reverse()
        return self.scored([items[j] for j in index_range(first, last, len(items))], withscores)

    @replies
    def zrangebyscore(self, key: bytes, low: bytes, high: bytes, opts: list[bytes]) -> bytes:
        withscores, offset, count, i = False, 0, -1, 0
        while i < len(opts):
            word = opts[i].lower()
            if word == b"withscores":
                withscores = True
            elif word == b"limit" and len(opts) - i - 1 >= 2:
                offset, count = string2ll(opts[i + 1]), string2ll(opts[i + 2])
                if offset is None or count is None:
                    return NOT_INT
                i += 2
            else:
                return SYNTAX  # REV, BYSCORE, BYLEX belong to ZRANGE
            i += 1
        lo, hi = parse_bound(low), parse_bound(high)
        if lo is None or hi is None:
            return RANGE_NOT_FLOAT
        entry = self.typed(key, ZSet)
        if entry is None:
            return EMPTY_ARRAY
        (lo_v, lo_ex), (hi_v, hi_ex) = lo, hi
        items = [(m, s) for m, s in entry.value.ordered()
                 if (lo_v < s or (not lo_ex and s == lo_v)) and (s < hi_v or (not hi_ex and s == hi_v))]
        items = [] if offset < 0 else items[offset:]  # a negative offset skips everything (7.0)
        if count >= 0:
            items = items[:count]
        return self.scored(items, withscores)

    @replies
    def zrank(self, key: bytes, member: bytes) -> bytes:
        entry = self.typed(key, ZSet)
        if entry is None or member not in entry.value:
            return NIL
        return integer([m for m, _ in entry.value.ordered()].index(member))

    @replies
    def zscore(self, key: bytes, member: bytes) -> bytes:
        entry = self.typed(key, ZSet)
        score = None if entry is None else entry.value.get(member)
        return NIL if score is None else bulk(fmt_score(score))

    @replies
    def zpopmin(self, key: bytes, count: bytes | None) -> bytes:
        n = 1
        if count is not None:
            n = positive_count(count)
            if n is None:
                return NOT_POSITIVE
        entry = self.typed(key, ZSet)
        if entry is None or n == 0:
            return EMPTY_ARRAY  # the type is checked first, even for a count of 0
        popped = entry.value.ordered()[:n]
        for member, _ in popped:
            del entry.value[member]
        self.drop_if_empty(key, entry)
        return self.scored(popped, True)

    @replies
    def zcard(self, key: bytes) -> bytes:
        entry = self.typed(key, ZSet)
        return integer(0 if entry is None else len(entry.value))


# =============================================================================== strategies
FIELDS = st.one_of(st.sampled_from([b"f", b"g"]), st.sampled_from([b"f", b"n", b"", b"f\x00"]))
HASH_VALUES = st.one_of(
    st.sampled_from([b"0", b"1", b"-5", b"10", b"01", b"-0", b"+1", b" 1", b"x", b"",
                     b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808"]),
    st.binary(max_size=4),
)
HASH_INCREMENTS = st.one_of(
    st.integers(-3, 3).map(lambda n: b"%d" % n),
    st.sampled_from([b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"1.5", b"",
                     b"+1", b"x"]),
)
ELEMENTS = st.one_of(st.sampled_from([b"a", b"b", b"c"]), st.sampled_from([b"a", b"b", b"", b"1", b"-0", b"x\x00\xff"]))
INDEXES = st.one_of(
    st.integers(-4, 4).map(lambda n: b"%d" % n),
    st.sampled_from([b"-100", b"100", b"9223372036854775807", b"-9223372036854775808", b"x", b"1.5", b"+1", b""]),
)
POP_COUNTS = st.one_of(st.none(), st.integers(0, 4).map(lambda n: b"%d" % n),
                       st.sampled_from([b"-1", b"x", b"9223372036854775807", b"01"]))
SIDES = st.sampled_from([b"LEFT", b"RIGHT", b"left", b"Right", b"up"])
MEMBERS = st.one_of(st.sampled_from([b"a", b"b", b"c"]), st.sampled_from([b"a", b"1", b"2", b"", b"-0", b"x\x00\xff"]))
GOOD_SCORES = st.sampled_from([b"0", b"1", b"2", b"3", b"-1", b"1.5", b"-0", b"0.1", b"1e2", b"inf", b"-inf",
                               b"+inf", b"0x10", b".5", b"-2.25"])
BAD_SCORES = st.sampled_from([b"nan", b"abc", b"", b" 1", b"1 ", b"1e400", b"0x"])
SCORES = st.one_of(GOOD_SCORES, GOOD_SCORES, GOOD_SCORES, GOOD_SCORES, GOOD_SCORES, BAD_SCORES)
ZADD_FLAG = st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch", b"incr", b"gt"])
ZADD_FLAGS = st.one_of(st.just([]), st.just([]), st.lists(ZADD_FLAG, max_size=1), st.lists(ZADD_FLAG, max_size=3))
DANGLING = st.sampled_from([False, False, False, True])  # one argument too many
BOUNDS = st.sampled_from([b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"2", b"(2", b"1.5", b"-1", b"(-inf",
                          b"", b"(", b" 1", b"x", b"nan", b"(nan", b"1e400", b"0x10", b"1 "])
LIMIT_NUMBERS = st.sampled_from([b"-1", b"0", b"1", b"2", b"5", b"x"])
ZRANGE_OPTIONS = st.sampled_from([[], [b"WITHSCORES"], [b"REV"], [b"rev", b"withscores"], [b"WITHSCORES", b"REV"],
                                  [b"REV", b"REV"], [b"LIMIT", b"0", b"1"], [b"LIMIT", b"x", b"1"], [b"ZZ"],
                                  [b"LIMIT"]])
AGGREGATE_KINDS = st.sampled_from(["hash", "list", "set", "zset"])


def typed_keys(main: bytes, other: bytes):
    """Mostly a key that a type's rules share (so its commands meet data), sometimes another or the common KEYS."""
    mine = st.just(main)
    return st.one_of(mine, mine, mine, st.just(other), KEYS)


HKEYS = typed_keys(b"h", b"h2")
LKEYS = typed_keys(b"l", b"l2")
SKEYS = typed_keys(b"s", b"s2")
ZKEYS = typed_keys(b"z", b"z2")
ANY_KEYS = st.one_of(st.sampled_from([b"h", b"l", b"s", b"z", b"h2", b"l2", b"s2", b"z2"]), KEYS)


# =============================================================================== the machine
class AggregatesMachine(StringsKeysMachine):
    """The strings/keys machine plus hash, list, set and sorted-set rules, on the extended model."""

    model_class = AggregatesModel

    # ------------------------------------------------------------------ plumbing
    def send_members(self, args: list[bytes], expected) -> None:
        """SMEMBERS-like: an error compares exactly, members compare as a set."""
        if isinstance(expected, bytes):
            self.send(args, expected)
            return
        actual = self.backend.do(*args)
        members = decode(actual)
        assert isinstance(members, list) and actual == array(*map(bulk, members)) \
            and sorted(members) == sorted(expected), \
            f"{' '.join(repr(a) for a in args)}:\n  expected members {sorted(expected)!r}\n  got {actual!r}"

    def check_value(self, db: int, key: bytes, entry: Entry) -> None:
        model = self.model
        value = entry.value
        if isinstance(value, bytes):
            self.send([b"GET", key], bulk(value))
        elif isinstance(value, Hash):
            self.send([b"HGETALL", key], model.hgetall(key, db))
        elif isinstance(value, ListValue):
            self.send([b"LRANGE", key, b"0", b"-1"], model.lrange(key, b"0", b"-1", db))
        elif isinstance(value, SetValue):
            self.send_members([b"SMEMBERS", key], model.smembers(key, db))
        else:
            self.send([b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"], model.zrange(key, b"0", b"-1", [b"WITHSCORES"], db))

    # ------------------------------------------------------------------ start with data
    @initialize(entries=st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 2]), AGGREGATE_KINDS,
                                           st.sampled_from([b"", b"", b"2", b"*"]),
                                           st.lists(MEMBERS, min_size=1, max_size=4),
                                           st.none() | st.none() | st.integers(1, 3000)), min_size=4, max_size=10))
    def populate_aggregates(self, entries):
        """Aggregates (some with a TTL in ms), mostly in database 0 under their type's main key, some under
        the strings' key ``a``: the aggregate rules meet data from the first step."""
        model = self.model
        for db, kind, suffix, items, ms in entries:
            key = b"a" if suffix == b"*" else kind[:1].encode() + suffix
            self.send([b"SELECT", b"%d" % db], model.select(b"%d" % db))
            self.tick()
            if kind == "hash":
                args = [x for item in items for x in (item, b"v" + item)]
                self.send([b"HSET", key, *args], model.hset(key, args))
            elif kind == "list":
                self.send([b"RPUSH", key, *items], model.push(b"RPUSH", key, items))
            elif kind == "set":
                self.send([b"SADD", key, *items], model.sadd(key, items))
            else:
                args = [x for i, item in enumerate(items) for x in (b"%d" % i, item)]
                self.send([b"ZADD", key, *args], model.zadd(key, args))
            if ms is not None:
                amount = self.amount(ms, "ms")
                self.send([b"PEXPIRE", key, amount], model.expire(b"PEXPIRE", key, amount, []))
        self.send([b"SELECT", b"0"], model.select(b"0"))

    # ------------------------------------------------------------------ hashes
    @rule(key=HKEYS, pairs=st.lists(st.tuples(FIELDS, HASH_VALUES), min_size=1, max_size=3), dangling=DANGLING)
    def hset(self, key, pairs, dangling):
        self.tick()
        args = [x for pair in pairs for x in pair] + ([b"f"] if dangling else [])
        self.send([b"HSET", key, *args], self.model.hset(key, args))

    @rule(key=HKEYS, fields=st.lists(FIELDS, min_size=1, max_size=3))
    def hdel(self, key, fields):
        self.tick()
        self.send([b"HDEL", key, *fields], self.model.hdel(key, fields))

    @rule(key=HKEYS, field=FIELDS)
    def hget(self, key, field):
        self.tick()
        self.send([b"HGET", key, field], self.model.hget(key, field))

    @rule(key=HKEYS, field=FIELDS, by=HASH_INCREMENTS)
    def hincrby(self, key, field, by):
        self.tick()
        self.send([b"HINCRBY", key, field, by], self.model.hincrby(key, field, by))

    @rule(key=HKEYS)
    def hgetall(self, key):
        self.tick()
        self.send([b"HGETALL", key], self.model.hgetall(key))

    @rule(key=HKEYS)
    def hlen(self, key):
        self.tick()
        self.send([b"HLEN", key], self.model.hlen(key))

    # ------------------------------------------------------------------ lists
    @rule(key=LKEYS, command=st.sampled_from([b"LPUSH", b"RPUSH"]), elements=st.lists(ELEMENTS, min_size=1, max_size=3))
    def push(self, key, command, elements):
        self.tick()
        self.send([command, key, *elements], self.model.push(command, key, elements))

    @rule(key=LKEYS, command=st.sampled_from([b"LPOP", b"RPOP"]), count=POP_COUNTS)
    def pop(self, key, command, count):
        self.tick()
        self.send([command, key] + ([] if count is None else [count]), self.model.pop(command, key, count))

    @rule(key=LKEYS, start=INDEXES, stop=INDEXES)
    def lrange(self, key, start, stop):
        self.tick()
        self.send([b"LRANGE", key, start, stop], self.model.lrange(key, start, stop))

    @rule(key=LKEYS)
    def llen(self, key):
        self.tick()
        self.send([b"LLEN", key], self.model.llen(key))

    @rule(key=LKEYS, count=st.one_of(st.integers(-3, 3).map(lambda n: b"%d" % n), st.just(b"x")), element=ELEMENTS)
    def lrem(self, key, count, element):
        self.tick()
        self.send([b"LREM", key, count, element], self.model.lrem(key, count, element))

    @rule(key=LKEYS, index=INDEXES, element=ELEMENTS)
    def lset(self, key, index, element):
        self.tick()
        self.send([b"LSET", key, index, element], self.model.lset(key, index, element))

    @rule(key=LKEYS, where=st.sampled_from([b"BEFORE", b"AFTER", b"before", b"After", b"middle"]),
          pivot=ELEMENTS, element=ELEMENTS)
    def linsert(self, key, where, pivot, element):
        self.tick()
        self.send([b"LINSERT", key, where, pivot, element], self.model.linsert(key, where, pivot, element))

    @rule(src=LKEYS, dst=LKEYS, wherefrom=SIDES, whereto=SIDES)
    def lmove(self, src, dst, wherefrom, whereto):
        self.tick()
        self.send([b"LMOVE", src, dst, wherefrom, whereto], self.model.lmove(src, dst, wherefrom, whereto))

    # ------------------------------------------------------------------ sets
    @rule(key=SKEYS, members=st.lists(MEMBERS, min_size=1, max_size=3))
    def sadd(self, key, members):
        self.tick()
        self.send([b"SADD", key, *members], self.model.sadd(key, members))

    @rule(key=SKEYS, members=st.lists(MEMBERS, min_size=1, max_size=3))
    def srem(self, key, members):
        self.tick()
        self.send([b"SREM", key, *members], self.model.srem(key, members))

    @rule(key=SKEYS)
    def smembers(self, key):
        self.tick()
        self.send_members([b"SMEMBERS", key], self.model.smembers(key))

    @rule(key=SKEYS)
    def scard(self, key):
        self.tick()
        self.send([b"SCARD", key], self.model.scard(key))

    @rule(key=SKEYS, member=MEMBERS)
    def sismember(self, key, member):
        self.tick()
        self.send([b"SISMEMBER", key, member], self.model.sismember(key, member))

    @rule(dst=SKEYS, keys=st.lists(SKEYS, min_size=1, max_size=3))
    def sinterstore(self, dst, keys):
        self.tick()
        self.send([b"SINTERSTORE", dst, *keys], self.model.sinterstore(dst, keys))
        self.forget(dst)  # the destination is replaced: its TTL goes

    @rule(src=SKEYS, dst=SKEYS, member=MEMBERS)
    def smove(self, src, dst, member):
        self.tick()
        self.send([b"SMOVE", src, dst, member], self.model.smove(src, dst, member))

    # ------------------------------------------------------------------ sorted sets
    @rule(key=ZKEYS, flags=ZADD_FLAGS, pairs=st.lists(st.tuples(SCORES, MEMBERS), min_size=1, max_size=3),
          dangling=DANGLING)
    def zadd(self, key, flags, pairs, dangling):
        self.tick()
        args = flags + [x for pair in pairs for x in pair] + ([b"1"] if dangling else [])
        self.send([b"ZADD", key, *args], self.model.zadd(key, args))

    @rule(key=ZKEYS, increment=SCORES, member=MEMBERS)
    def zincrby(self, key, increment, member):
        self.tick()
        self.send([b"ZINCRBY", key, increment, member], self.model.zincrby(key, increment, member))

    @rule(key=ZKEYS, members=st.lists(MEMBERS, min_size=1, max_size=3))
    def zrem(self, key, members):
        self.tick()
        self.send([b"ZREM", key, *members], self.model.zrem(key, members))

    @rule(key=ZKEYS, start=INDEXES, stop=INDEXES, opts=ZRANGE_OPTIONS)
    def zrange(self, key, start, stop, opts):
        self.tick()
        self.send([b"ZRANGE", key, start, stop, *opts], self.model.zrange(key, start, stop, opts))

    @rule(key=ZKEYS, low=BOUNDS, high=BOUNDS, withscores=st.booleans(),
          limit=st.none() | st.tuples(LIMIT_NUMBERS, LIMIT_NUMBERS),
          extra=st.sampled_from([[], [], [b"REV"], [b"LIMIT"]]))
    def zrangebyscore(self, key, low, high, withscores, limit, extra):
        self.tick()
        opts = ([b"WITHSCORES"] if withscores else []) + ([b"LIMIT", *limit] if limit else []) + extra
        self.send([b"ZRANGEBYSCORE", key, low, high, *opts], self.model.zrangebyscore(key, low, high, opts))

    @rule(key=ZKEYS, member=MEMBERS)
    def zrank(self, key, member):
        self.tick()
        self.send([b"ZRANK", key, member], self.model.zrank(key, member))

    @rule(key=ZKEYS, member=MEMBERS)
    def zscore(self, key, member):
        self.tick()
        self.send([b"ZSCORE", key, member], self.model.zscore(key, member))

    @rule(key=ZKEYS, count=POP_COUNTS)
    def zpopmin(self, key, count):
        self.tick()
        self.send([b"ZPOPMIN", key] + ([] if count is None else [count]), self.model.zpopmin(key, count))

    @rule(key=ZKEYS)
    def zcard(self, key):
        self.tick()
        self.send([b"ZCARD", key], self.model.zcard(key))

    # ------------------------------------------------------------------ the strings/keys rules, over every key
    # (same names: these replace the sibling's rules, whose keys never meet the aggregates' own keys)
    @rule(key=ANY_KEYS, value=VALUES, options=SET_OPTIONS)
    def set(self, key, value, options):
        super().set(key, value, options)

    @rule(key=ANY_KEYS)
    def get(self, key):
        super().get(key)

    @rule(key=ANY_KEYS, command=st.sampled_from([b"INCR", b"DECR", b"INCRBY", b"DECRBY"]), by=INCREMENTS)
    def incr(self, key, command, by):
        super().incr(key, command, by)

    @rule(key=ANY_KEYS, value=VALUES)
    def append(self, key, value):
        super().append(key, value)

    @rule(key=ANY_KEYS, options=GETEX_OPTIONS)
    def getex(self, key, options):
        super().getex(key, options)

    @rule(keys=st.lists(ANY_KEYS, min_size=1, max_size=3))
    def delete(self, keys):
        super().delete(keys)

    @rule(keys=st.lists(ANY_KEYS, min_size=1, max_size=3))
    def exists(self, keys):
        super().exists(keys)

    @rule(key=ANY_KEYS, command=st.sampled_from([b"EXPIRE", b"PEXPIRE"]), value=AMOUNTS, flags=EXPIRE_FLAGS)
    def expire(self, key, command, value, flags):
        super().expire(key, command, value, flags)

    @rule(key=ANY_KEYS)
    def persist(self, key):
        super().persist(key)

    @rule(key=ANY_KEYS, command=st.sampled_from([b"TTL", b"PTTL"]))
    def ttl(self, key, command):
        super().ttl(key, command)

    @rule(src=ANY_KEYS, dst=ANY_KEYS)
    def rename(self, src, dst):
        super().rename(src, dst)

    @rule(src=ANY_KEYS, dst=ANY_KEYS, db=st.none() | DB_ARGS, replace=st.booleans(), replace_first=st.booleans())
    def copy(self, src, dst, db, replace, replace_first):
        super().copy(src, dst, db, replace, replace_first)

    @precondition(lambda self: self.exact)
    @rule(key=ANY_KEYS, delta=st.sampled_from([-1, 0, 1]), sweep=st.booleans())
    def advance_to_expiry(self, key, delta, sweep):
        super().advance_to_expiry(key, delta, sweep)

    @rule(db=st.one_of(st.just(b"0"), DB_ARGS))
    def select(self, db):
        """Database 0 (where most aggregates start) half the time."""
        super().select(db)


# =============================================================================== the tests
def test_kvfake_matches_model(harness_factory):
    run_state_machine_as_test(lambda: AggregatesMachine(HarnessBackend(harness_factory())))


@pytest.mark.redis_server
def test_real_redis_matches_model(real_redis):
    run_state_machine_as_test(lambda: AggregatesMachine(RedisBackend(real_redis)))
