"""Bitmap commands through the in-process harness (raw reply bytes), plus redis-py end to end.

Expected replies were checked against redis-server 7.0.15; tests/differential/test_bitmaps.py compares the
same behaviours with the real server byte for byte. Here: what the wire cannot show (stored value class,
keyspace events, the dirty counter, expiry with a manual clock) and properties against a naive bit model.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from kvfake.store.values import List, RawString
from tests.support.harness import Harness
from tests.support.resp import NIL, OK, array, bulk, error, integer, null

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = error("ERR syntax error")
NOT_INT = error("ERR value is not an integer or out of range")
BAD_OFFSET = error("ERR bit offset is not an integer or out of range")
BAD_BIT = error("ERR bit is not an integer or out of range")
BAD_BITPOS_BIT = error("ERR The bit argument must be 1 or 0.")
BAD_TYPE = error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
BAD_OVERFLOW = error("ERR Invalid OVERFLOW type specified")
RO_ONLY_GET = error("ERR BITFIELD_RO only supports the GET subcommand")
NOT_ONE_KEY = error("ERR BITOP NOT must be called with a single source key.")


def ints(*values) -> bytes:
    """A RESP2 array of integers and nulls (None)."""
    return array(*(NIL if v is None else integer(v) for v in values))


# -- helpers ------------------------------------------------------------------


def stored(h, key: bytes):
    with h.store.locked() as s:
        return s.dbs[0].lookup(key)


def put(h, key: bytes, value) -> None:
    with h.store.locked() as s:
        s.dbs[0].set_value(key, value)


def dirty(h) -> int:
    with h.store.locked() as s:
        return s.dirty


@pytest.fixture
def events(h):
    """Keyspace events published through Context.notify, as (db, class, event, key)."""
    seen = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((db, klass, event, key))
    return seen


def bits_of(value: bytes) -> list:
    return [(byte >> (7 - i)) & 1 for byte in value for i in range(8)]


# -- SETBIT / GETBIT ------------------------------------------------------------


def test_setbit_returns_old_bit_and_grows_the_string(h):
    assert h.do(b"SETBIT", b"k", b"7", b"1") == integer(0)
    assert h.do(b"GET", b"k") == bulk(b"\x01")
    assert h.do(b"SETBIT", b"k", b"7", b"1") == integer(1)
    assert h.do(b"SETBIT", b"k", b"7", b"0") == integer(1)
    assert h.do(b"SETBIT", b"k", b"17", b"1") == integer(0)
    assert h.do(b"GET", b"k") == bulk(b"\x00\x00\x40")


@pytest.mark.parametrize(
    "offset, reply",
    [(b"0", 0), (b"1", 1), (b"7", 1), (b"8", 0), (b"9", 1), (b"15", 0), (b"16", 0), (b"4294967295", 0)],
    ids=["msb", "second", "lsb", "next-byte", "next-second", "last", "past-end", "max-offset"],
)
def test_getbit_reads_msb_first(h, offset, reply):
    h.do(b"SET", b"k", b"\x41\x42")  # 0100 0001  0100 0010
    assert h.do(b"GETBIT", b"k", offset) == integer(reply)


def test_getbit_missing_key_is_zero(h):
    assert h.do(b"GETBIT", b"missing", b"3") == integer(0)


@pytest.mark.parametrize(
    "command, reply",
    [
        ([b"SETBIT", b"k", b"-1", b"1"], BAD_OFFSET),
        ([b"SETBIT", b"k", b"4294967296", b"1"], BAD_OFFSET),
        ([b"SETBIT", b"k", b"01", b"1"], BAD_OFFSET),
        ([b"SETBIT", b"k", b"#1", b"1"], BAD_OFFSET),
        ([b"SETBIT", b"k", b"0", b"2"], BAD_BIT),
        ([b"SETBIT", b"k", b"0", b"-1"], BAD_BIT),
        ([b"SETBIT", b"k", b"0", b"x"], BAD_BIT),
        ([b"SETBIT", b"k", b"x", b"2"], BAD_OFFSET),
        ([b"GETBIT", b"k", b"-1"], BAD_OFFSET),
        ([b"GETBIT", b"k", b"#0"], BAD_OFFSET),
        ([b"SETBIT", b"k", b"0"], error("ERR wrong number of arguments for 'setbit' command")),
        ([b"GETBIT", b"k"], error("ERR wrong number of arguments for 'getbit' command")),
    ],
    ids=["negative", "past-512mb", "leading-zero", "hash-form", "bit-2", "bit-minus-1", "bit-word",
         "offset-checked-first", "getbit-negative", "getbit-hash", "setbit-arity", "getbit-arity"],
)
def test_setbit_getbit_errors(h, command, reply):
    assert h.do(*command) == reply
    assert stored(h, b"k") is None


@pytest.mark.parametrize(
    "command, reply",
    [
        ([b"SETBIT", b"l", b"0", b"2"], BAD_BIT),
        ([b"SETBIT", b"l", b"0", b"1"], WRONGTYPE),
        ([b"GETBIT", b"l", b"x"], BAD_OFFSET),
        ([b"GETBIT", b"l", b"0"], WRONGTYPE),
    ],
    ids=["setbit-value-before-type", "setbit", "getbit-offset-before-type", "getbit"],
)
def test_setbit_getbit_wrongtype_order(h, command, reply):
    put(h, b"l", List([b"x"]))
    assert h.do(*command) == reply


def test_setbit_offset_limit_follows_proto_max_bulk_len(h):
    assert h.do(b"CONFIG", b"SET", b"proto-max-bulk-len", b"1mb") == OK
    assert h.do(b"SETBIT", b"k", b"8388608", b"1") == BAD_OFFSET
    assert h.do(b"GETBIT", b"k", b"8388608") == BAD_OFFSET
    assert h.do(b"SETBIT", b"k", b"8388607", b"1") == integer(0)
    assert h.do(b"STRLEN", b"k") == integer(1 << 20)


@pytest.mark.parametrize(
    "setup",
    [b"abc", b"12345", b"x" * 100, b""],
    ids=["embstr", "int", "raw", "empty"],
)
def test_setbit_stores_raw_even_when_unchanged(h, setup):
    h.do(b"SET", b"k", setup)
    h.do(b"SETBIT", b"k", b"0", b"0")
    value = stored(h, b"k")
    assert type(value) is RawString
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(b"raw")


def test_setbit_keeps_the_ttl(h):
    h.do(b"SET", b"k", b"abc", b"EX", b"100")
    h.do(b"SETBIT", b"k", b"0", b"1")
    h.do(b"SETBIT", b"k", b"100", b"1")
    assert h.do(b"TTL", b"k") == integer(100)


def test_setbit_notifies_and_counts_only_real_changes(h, events):
    h.do(b"SET", b"k", b"a")  # 0110 0001
    events.clear()  # the SET's own "set" event
    before = dirty(h)
    h.do(b"SETBIT", b"k", b"1", b"1")  # already 1
    h.do(b"SETBIT", b"k", b"0", b"0")  # already 0
    assert (events, dirty(h) - before) == ([], 0)
    h.do(b"SETBIT", b"k", b"0", b"1")
    h.do(b"SETBIT", b"k", b"20", b"0")  # grows: a change even though the bit is 0
    h.do(b"SETBIT", b"new", b"3", b"0")  # creates
    assert events == [(0, "$", b"setbit", b"k"), (0, "$", b"setbit", b"k"), (0, "$", b"setbit", b"new")]
    assert dirty(h) - before == 3


def test_bitmap_commands_see_expired_key_as_missing(h):
    h.do(b"SET", b"k", b"\xff", b"EX", b"1")
    h.clock.advance(1)
    assert h.do(b"GETBIT", b"k", b"0") == integer(1)  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"GETBIT", b"k", b"0") == integer(0)
    assert h.do(b"BITCOUNT", b"k") == integer(0)
    assert h.do(b"BITPOS", b"k", b"0") == integer(0)
    assert h.do(b"BITFIELD_RO", b"k", b"GET", b"u8", b"0") == ints(0)
    h.do(b"SET", b"k", b"\xff", b"EX", b"1")
    h.clock.advance(1.001)
    assert h.do(b"SETBIT", b"k", b"7", b"1") == integer(0)
    assert h.do(b"GET", b"k") == bulk(b"\x01")
    assert h.do(b"TTL", b"k") == integer(-1)


# -- BITCOUNT -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, count",
    [
        ([], 26),
        ([b"0", b"0"], 4),
        ([b"1", b"1"], 6),
        ([b"0", b"-1"], 26),
        ([b"-2", b"-1"], 7),
        ([b"-1", b"-2"], 0),
        ([b"-100", b"-200"], 0),
        ([b"3", b"1"], 0),
        ([b"10", b"20"], 0),
        ([b"1", b"2", b"byte"], 12),
        ([b"5", b"30", b"BIT"], 17),
        ([b"1", b"1", b"bit"], 1),
        ([b"9", b"14", b"BIT"], 5),
        ([b"-5", b"-1", b"BIT"], 2),
        ([b"-1", b"-5", b"BIT"], 0),
        ([b"40", b"1000", b"BIT"], 4),
        ([b"0", b"0", b"BIT\x00x"], 0),
    ],
    ids=["whole", "first-byte", "second-byte", "all", "last-two", "neg-reversed", "neg-both-before-start",
         "reversed", "past-end", "byte-unit", "bit-range", "one-bit", "bits-in-one-byte", "neg-bits",
         "neg-bits-reversed", "bits-past-end", "unit-up-to-nul"],
)
def test_bitcount_ranges(h, args, count):
    h.do(b"SET", b"k", b"foobar")
    assert h.do(b"BITCOUNT", b"k", *args) == integer(count)


@pytest.mark.parametrize(
    "args, reply",
    [
        ([b"0"], SYNTAX),
        ([b"0", b"1", b"BIT", b"x"], SYNTAX),
        ([b"0", b"1", b"foo"], SYNTAX),
        ([b"a", b"0", b"foo"], NOT_INT),
        ([b"0", b"a", b"foo"], NOT_INT),
        ([b"1.0", b"2"], NOT_INT),
    ],
    ids=["start-only", "too-many", "bad-unit", "start-before-unit", "end-before-unit", "float"],
)
def test_bitcount_errors(h, args, reply):
    h.do(b"SET", b"k", b"foobar")
    assert h.do(b"BITCOUNT", b"k", *args) == reply


def test_bitcount_missing_key_ignores_bad_arguments(h):
    # redis 7.0.15 looks the key up first: a missing key is 0 whatever follows
    assert h.do(b"BITCOUNT", b"missing", b"a", b"b", b"c") == integer(0)
    assert h.do(b"BITCOUNT", b"missing", b"0") == integer(0)


def test_bitcount_wrongtype_before_arguments(h):
    put(h, b"l", List([b"x"]))
    assert h.do(b"BITCOUNT", b"l", b"a", b"b", b"c", b"d") == WRONGTYPE


# -- BITPOS ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, args, pos",
    [
        (b"\xff\xf0\x00", [b"0"], 12),
        (b"\xff\xf0\x00", [b"1"], 0),
        (b"\xff\xf0\x00", [b"1", b"2"], -1),
        (b"\xff\xf0\x00", [b"0", b"0", b"0"], -1),
        (b"\xff\xf0\x00", [b"1", b"-100", b"-200"], 0),
        (b"\xff\xf0\x00", [b"0", b"5", b"-1", b"BIT"], 12),
        (b"\xff\xf0\x00", [b"1", b"13", b"14", b"BIT"], -1),
        (b"\xff\xf0\x00", [b"0", b"13", b"14", b"BIT"], 13),
        (b"\xff\xf0\x00", [b"1", b"-12", b"-1", b"BIT"], -1),
        (b"\xff\xf0\x00", [b"1", b"-14", b"-1", b"BIT"], 10),
        (b"\xff\xff\xff", [b"0"], 24),
        (b"\xff\xff\xff", [b"0", b"1"], 24),
        (b"\xff\xff\xff", [b"0", b"2"], 24),
        (b"\xff\xff\xff", [b"0", b"0", b"-1"], -1),
        (b"\xff\xff\xff", [b"0", b"3", b"9", b"BIT"], -1),
        (b"\xff\xff\xff", [b"0", b"10"], -1),
        (b"\x00\x00\x00", [b"1"], -1),
        (b"\x00\x00\x00", [b"0", b"-1"], 16),
        (b"", [b"0"], -1),
        (b"", [b"1"], -1),
        (b"\xff" * 40 + b"\x7f", [b"0", b"3", b"320", b"BIT"], 320),
        (b"\x00" * 50 + b"\x01", [b"1", b"9", b"406", b"BIT"], -1),
        (b"\x00" * 50 + b"\x01", [b"1", b"9", b"407", b"BIT"], 407),
    ],
    ids=["first-clear", "first-set", "set-from-byte-2", "clear-in-ones-range", "neg-clamped-to-0",
         "clear-from-bit", "set-none-in-bits", "clear-in-bits", "neg-bit-range-no-set-bit", "neg-bit-range",
         "ones-padded", "ones-padded-from-start", "ones-padded-from-last", "ones-end-given", "ones-bit-end-given",
         "start-past-end", "zeros-no-set-bit", "zeros-last-byte", "empty-clear", "empty-set",
         "long-run-clear", "long-run-set-excluded", "long-run-set-included"],
)
def test_bitpos(h, value, args, pos):
    h.do(b"SET", b"k", value)
    assert h.do(b"BITPOS", b"k", *args) == integer(pos)


@pytest.mark.parametrize(
    "key, args, reply",
    [
        (b"missing", [b"1", b"junk"], integer(-1)),
        (b"missing", [b"0", b"0", b"0", b"BIT", b"x"], integer(0)),
        (b"missing", [b"2"], BAD_BITPOS_BIT),
        (b"missing", [b"x"], NOT_INT),
        (b"k", [b"1", b"x"], NOT_INT),
        (b"k", [b"1", b"0", b"x", b"FOO"], SYNTAX),
        (b"k", [b"1", b"x", b"0", b"FOO"], NOT_INT),
        (b"k", [b"1", b"0", b"1", b"BIT", b"x"], SYNTAX),
        (b"k", [b"1", b"3", b"BIT"], NOT_INT),
        (b"l", [b"2"], BAD_BITPOS_BIT),
        (b"l", [b"1", b"x"], WRONGTYPE),
    ],
    ids=["missing-set", "missing-ignores-args", "bit-2", "bit-word", "bad-start", "unit-before-end",
         "start-before-unit", "too-many", "unit-as-end", "bit-before-type", "type-before-start"],
)
def test_bitpos_errors(h, key, args, reply):
    h.do(b"SET", b"k", b"foobar")
    put(h, b"l", List([b"x"]))
    assert h.do(b"BITPOS", key, *args) == reply


# -- BITOP ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, keys, result",
    [
        (b"AND", [b"a", b"b"], b"\xf0\x01\x00"),
        (b"OR", [b"a", b"b"], b"\xff\x0f\xaa"),
        (b"XOR", [b"a", b"b"], b"\x0f\x0e\xaa"),
        (b"NOT", [b"a"], b"\x0f\xf0\x55"),
        (b"and", [b"a", b"b", b"c"], b"\x10\x00\x00"),
        (b"Or", [b"a", b"b", b"c"], b"\xff\x0f\xaa"),
        (b"xor", [b"a", b"b", b"c"], b"\x1e\x0e\xaa"),
        (b"AND", [b"a", b"missing"], b"\x00\x00\x00"),
        (b"OR", [b"missing", b"b"], b"\xff\x01"),
        (b"AND\x00junk", [b"a"], b"\xf0\x0f\xaa"),
    ],
    ids=["and", "or", "xor", "not", "and-3", "or-3", "xor-3", "and-missing", "or-missing", "op-up-to-nul"],
)
def test_bitop_operations(h, op, keys, result):
    h.do(b"MSET", b"a", b"\xf0\x0f\xaa", b"b", b"\xff\x01", b"c", b"\x11")
    assert h.do(b"BITOP", op, b"d", *keys) == integer(len(result))
    assert h.do(b"GET", b"d") == bulk(result)
    assert type(stored(h, b"d")) is RawString


def test_bitop_empty_result_deletes_destination(h, events):
    h.do(b"SET", b"d", b"old")
    h.do(b"SET", b"e", b"")
    events.clear()  # the SETs' own events
    assert h.do(b"BITOP", b"NOT", b"d", b"e") == integer(0)
    assert h.do(b"EXISTS", b"d") == integer(0)
    assert h.do(b"BITOP", b"AND", b"d", b"missing") == integer(0)
    assert events == [(0, "g", b"del", b"d")]


def test_bitop_overwrites_destination_of_any_type_and_drops_ttl(h, events):
    h.do(b"SET", b"a", b"abc")
    put(h, b"l", List([b"x"]))
    h.do(b"SET", b"t", b"x", b"EX", b"100")
    events.clear()  # the SETs' own events
    assert h.do(b"BITOP", b"OR", b"l", b"a") == integer(3)
    assert h.do(b"BITOP", b"OR", b"t", b"a") == integer(3)
    assert h.do(b"GET", b"l") == bulk(b"abc")
    assert h.do(b"TTL", b"t") == integer(-1)
    assert events == [(0, "$", b"set", b"l"), (0, "$", b"set", b"t")]


@pytest.mark.parametrize(
    "command, reply",
    [
        ([b"BITOP", b"NOT", b"d", b"a", b"a"], NOT_ONE_KEY),
        ([b"BITOP", b"NAND", b"d", b"a"], SYNTAX),
        ([b"BITOP", b"NAND", b"d", b"l"], SYNTAX),
        ([b"BITOP", b"AND", b"d", b"a", b"l"], WRONGTYPE),
        ([b"BITOP", b"NOT", b"d", b"l"], WRONGTYPE),
        ([b"BITOP", b"NOT", b"d"], error("ERR wrong number of arguments for 'bitop' command")),
    ],
    ids=["not-two-keys", "bad-op", "op-before-type", "and-wrongtype", "not-wrongtype", "arity"],
)
def test_bitop_errors(h, command, reply):
    h.do(b"SET", b"a", b"abc")
    put(h, b"l", List([b"x"]))
    assert h.do(*command) == reply
    assert stored(h, b"d") is None


# -- BITFIELD -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, replies, after",
    [
        ([b"SET", b"u8", b"0", b"255", b"GET", b"u8", b"0", b"GET", b"i8", b"0"], [0, 255, -1], b"\xff"),
        ([b"SET", b"i8", b"0", b"-1", b"GET", b"u4", b"0", b"GET", b"i4", b"4"], [0, 15, -1], b"\xff"),
        ([b"INCRBY", b"u2", b"100", b"1", b"GET", b"u2", b"100"], [1, 1], b"\x00" * 12 + b"\x04"),
        ([b"SET", b"u8", b"#2", b"65", b"GET", b"u8", b"16"], [0, 65], b"\x00\x00A"),
        ([b"SET", b"i64", b"7", b"-1", b"GET", b"u63", b"8"], [0, INT64_MAX], b"\x01" + b"\xff" * 7 + b"\xfe"),
        ([b"GET", b"i4", b"#4611686018427387904"], [0], None),
        ([b"GET", b"u8", b"0", b"GET", b"i64", b"100"], [0, 0], None),
        ([b"OVERFLOW", b"WRAP"], [], None),
        ([], [], None),
    ],
    ids=["set-u8", "set-i8-read-nibbles", "incr-grows", "hash-offset", "i64-unaligned",
         "hash-offset-wraps-int64", "get-missing", "overflow-only", "no-operation"],
)
def test_bitfield_operations(h, args, replies, after):
    assert h.do(b"BITFIELD", b"k", *args) == ints(*replies)
    assert stored(h, b"k") == after


@pytest.mark.parametrize(
    "start, args, replies",
    [
        (b"\xfa", [b"INCRBY", b"u8", b"0", b"10", b"INCRBY", b"u8", b"0", b"-20"], [4, 240]),
        (b"\xfa", [b"OVERFLOW", b"SAT", b"INCRBY", b"u8", b"0", b"300", b"INCRBY", b"u8", b"0", b"-1000"],
         [255, 0]),
        (b"\xfa", [b"OVERFLOW", b"FAIL", b"INCRBY", b"u8", b"0", b"6", b"INCRBY", b"u8", b"0", b"5"],
         [None, 255]),
        (b"\x7f", [b"INCRBY", b"i8", b"0", b"1", b"INCRBY", b"i8", b"0", b"-1"], [-128, 127]),
        (b"\x7f", [b"OVERFLOW", b"SAT", b"INCRBY", b"i8", b"0", b"1000", b"INCRBY", b"i8", b"0", b"-1000"],
         [127, -128]),
        (b"\x80", [b"OVERFLOW", b"FAIL", b"INCRBY", b"i8", b"0", b"-1", b"SET", b"i8", b"0", b"128"],
         [None, None]),
        (b"\x00", [b"SET", b"u8", b"0", b"-1", b"SET", b"u8", b"0", b"256", b"GET", b"u8", b"0"], [0, 255, 0]),
        (b"\x00", [b"OVERFLOW", b"SAT", b"SET", b"u8", b"0", b"-1", b"SET", b"i8", b"0", b"-200",
                   b"GET", b"i8", b"0"], [0, -1, -128]),
        # redis 7.0.15 quirk: a SET within i8's max of INT64_MIN saturates to the maximum
        (b"\x00", [b"OVERFLOW", b"SAT", b"SET", b"i8", b"0", b"%d" % INT64_MIN, b"GET", b"i8", b"0"],
         [0, 127]),
        (b"\x00", [b"OVERFLOW", b"SAT", b"SET", b"i8", b"0", b"%d" % (INT64_MIN + 128), b"GET", b"i8", b"0"],
         [0, -128]),
        (b"\x00", [b"OVERFLOW", b"WRAP", b"SET", b"i8", b"0", b"%d" % INT64_MIN, b"GET", b"i8", b"0"],
         [0, 0]),
        (b"", [b"OVERFLOW", b"SAT", b"INCRBY", b"i64", b"0", b"%d" % INT64_MAX, b"INCRBY", b"i64", b"0", b"1",
               b"OVERFLOW", b"WRAP", b"INCRBY", b"i64", b"0", b"1"], [INT64_MAX, INT64_MAX, INT64_MIN]),
        (b"", [b"INCRBY", b"u63", b"0", b"%d" % INT64_MAX, b"INCRBY", b"u63", b"0", b"1",
               b"OVERFLOW", b"FAIL", b"INCRBY", b"u63", b"0", b"%d" % INT64_MIN], [INT64_MAX, 0, None]),
        (b"", [b"INCRBY", b"u2", b"0", b"5", b"OVERFLOW", b"SAT", b"INCRBY", b"u2", b"0", b"5",
               b"OVERFLOW", b"FAIL", b"INCRBY", b"u2", b"0", b"5", b"OVERFLOW", b"WRAP",
               b"INCRBY", b"u2", b"0", b"5"], [1, 3, None, 0]),
    ],
    ids=["wrap-u8", "sat-u8", "fail-u8", "wrap-i8", "sat-i8", "fail-i8", "set-u8-wraps",
         "set-sat", "set-sat-int64-min-quirk", "set-sat-int64-min-plus-128", "set-wrap-int64-min",
         "i64-sat-then-wrap", "u63-edges", "modes-apply-to-later-ops"],
)
def test_bitfield_overflow(h, start, args, replies):
    if start:
        h.do(b"SET", b"k", start)
    assert h.do(b"BITFIELD", b"k", *args) == ints(*replies)


def test_bitfield_fail_reply_is_null_in_resp3(h):
    h.do(b"HELLO", b"3")
    reply = h.do(b"BITFIELD", b"k", b"OVERFLOW", b"FAIL", b"INCRBY", b"u2", b"0", b"9")
    assert reply == array(null())


@pytest.mark.parametrize(
    "args, reply",
    [
        ([b"GET", b"I8", b"0"], BAD_TYPE),
        ([b"GET", b"u64", b"0"], BAD_TYPE),
        ([b"GET", b"i65", b"0"], BAD_TYPE),
        ([b"GET", b"u0", b"0"], BAD_TYPE),
        ([b"GET", b"i08", b"0"], BAD_TYPE),
        ([b"GET", b"", b"0"], BAD_TYPE),
        ([b"GET", b"u8", b"-1"], BAD_OFFSET),
        ([b"GET", b"u8", b"#536870912"], BAD_OFFSET),
        ([b"GET", b"u8", b"#9223372036854775807"], BAD_OFFSET),
        ([b"GET", b"u8", b"#"], BAD_OFFSET),
        ([b"SET", b"u8", b"0", b"x"], NOT_INT),
        ([b"SET", b"x8", b"x", b"x"], BAD_TYPE),
        ([b"SET", b"u8", b"x", b"x"], BAD_OFFSET),
        ([b"GET", b"i8"], SYNTAX),
        ([b"SET", b"i8", b"0"], SYNTAX),
        ([b"INCRBY", b"i8", b"0"], SYNTAX),
        ([b"FOO"], SYNTAX),
        ([b"GET", b"i8", b"0", b"foo"], SYNTAX),
        ([b"OVERFLOW"], SYNTAX),
        ([b"OVERFLOW", b"foo"], BAD_OVERFLOW),
        ([b"OVERFLOW", b"foo", b"SET", b"x8", b"a", b"1"], BAD_OVERFLOW),
        ([b"SET", b"u8", b"0", b"1", b"OVERFLOW", b"nope"], BAD_OVERFLOW),
    ],
    ids=["upper-type", "u64", "i65", "u0", "leading-zero", "empty-type", "negative-offset",
         "hash-past-limit", "hash-overflow", "bare-hash", "bad-value", "type-first", "offset-before-value",
         "get-short", "set-short", "incrby-short", "unknown", "trailing", "overflow-short", "overflow-bad",
         "overflow-checked-in-order", "nothing-written-on-error"],
)
def test_bitfield_errors(h, args, reply):
    assert h.do(b"BITFIELD", b"k", *args) == reply
    assert stored(h, b"k") is None


@pytest.mark.parametrize(
    "command, reply",
    [
        ([b"BITFIELD", b"l"], WRONGTYPE),
        ([b"BITFIELD", b"l", b"GET", b"i8", b"0"], WRONGTYPE),
        ([b"BITFIELD", b"l", b"SET", b"i8", b"0", b"1"], WRONGTYPE),
        ([b"BITFIELD", b"l", b"SET", b"i8", b"0", b"x"], NOT_INT),
        ([b"BITFIELD_RO", b"l", b"GET", b"i8", b"0"], WRONGTYPE),
        ([b"BITFIELD_RO", b"l", b"SET", b"i8", b"0", b"1"], RO_ONLY_GET),
    ],
    ids=["no-ops", "get", "set", "args-before-type", "ro-get", "ro-set-before-type"],
)
def test_bitfield_wrongtype(h, command, reply):
    put(h, b"l", List([b"x"]))
    assert h.do(*command) == reply


@pytest.mark.parametrize(
    "args, reply",
    [
        ([], ints()),
        ([b"GET", b"u8", b"0", b"GET", b"i4", b"#3"], ints(104, 5)),
        ([b"OVERFLOW", b"WRAP"], ints()),
        ([b"SET", b"u8", b"0", b"1"], RO_ONLY_GET),
        ([b"GET", b"u8", b"0", b"INCRBY", b"u8", b"0", b"1"], RO_ONLY_GET),
        ([b"SET", b"x8", b"0", b"1"], BAD_TYPE),
    ],
    ids=["no-ops", "gets", "overflow-only", "set", "incrby", "parse-errors-first"],
)
def test_bitfield_ro(h, args, reply):
    h.do(b"SET", b"k", b"hello")
    assert h.do(b"BITFIELD_RO", b"k", *args) == reply
    assert stored(h, b"k") == b"hello"


def test_bitfield_ro_does_not_create_the_key(h):
    assert h.do(b"BITFIELD_RO", b"k", b"INCRBY", b"u8", b"0", b"1") == RO_ONLY_GET
    assert stored(h, b"k") is None


def test_bitfield_fail_still_creates_and_grows_quietly(h, events):
    # redis 7.0.15: the key is created / grown before the operations run, but with no
    # field written nothing is signalled, notified or counted.
    h.do(b"SET", b"s", b"a")
    events.clear()
    before = dirty(h)
    assert h.do(b"BITFIELD", b"k", b"OVERFLOW", b"FAIL", b"INCRBY", b"u2", b"100", b"9") == ints(None)
    assert stored(h, b"k") == b"\x00" * 13
    assert h.do(b"BITFIELD", b"s", b"OVERFLOW", b"FAIL", b"SET", b"u2", b"40", b"9") == ints(None)
    assert stored(h, b"s") == b"a" + b"\x00" * 5
    assert type(stored(h, b"s")) is RawString
    assert (events, dirty(h) - before) == ([], 0)


def test_bitfield_counts_changed_fields(h, events):
    h.do(b"SET", b"k", b"a")
    before = dirty(h)
    events.clear()
    # 97 -> 97 (same), 97 -> 98, u8 at 8 grows the string: every later write counts
    h.do(b"BITFIELD", b"k", b"SET", b"u8", b"0", b"97", b"SET", b"u8", b"0", b"98")
    assert (dirty(h) - before, events) == (1, [(0, "$", b"setbit", b"k")])
    h.do(b"BITFIELD", b"k", b"SET", b"u8", b"8", b"0", b"INCRBY", b"u8", b"0", b"0")
    assert dirty(h) - before == 3
    assert events == [(0, "$", b"setbit", b"k")] * 2


# -- properties against a naive bit list -----------------------------------------

# bytes of all zeros / all ones are frequent, so "no such bit" cases come up
VALUES = st.lists(st.sampled_from([0x00, 0xFF]) | st.integers(0, 255), max_size=24).map(bytes)
INDEX = st.integers(-230, 230)


@given(value=VALUES, start=INDEX, end=INDEX, unit=st.sampled_from([b"BYTE", b"BIT"]))
def test_bitcount_matches_a_bit_list(value, start, end, unit):
    h = Harness()  # a fresh one per example (a fixture would be shared)
    h.do(b"SET", b"k", value)
    bits = bits_of(value)
    total = len(bits) if unit == b"BIT" else len(value)
    if start < 0 and end < 0 and start > end:
        expected = 0
    else:
        s = max(start + total if start < 0 else start, 0)
        e = min(max(end + total if end < 0 else end, 0), total - 1)
        if unit == b"BYTE":
            s, e = s * 8, e * 8 + 7
        expected = sum(bits[s : e + 1]) if s <= e else 0
    assert h.do(b"BITCOUNT", b"k", b"%d" % start, b"%d" % end, unit) == integer(expected)


@given(value=VALUES, bit=st.integers(0, 1), start=INDEX, end=st.none() | INDEX,
       unit=st.sampled_from([b"BYTE", b"BIT"]))
def test_bitpos_matches_a_bit_list(value, bit, start, end, unit):
    h = Harness()  # a fresh one per example (a fixture would be shared)
    h.do(b"SET", b"k", value)
    if end is None:
        unit = b"BYTE"  # a unit needs an end; the default unit is BYTE
    bits = bits_of(value)
    total = len(bits) if unit == b"BIT" else len(value)
    s = max(start + total if start < 0 else start, 0)
    e = -1 if end is None else end
    e = min(max(e + total if e < 0 else e, 0), total - 1)
    if unit == b"BYTE":
        s, e = s * 8, e * 8 + 7
    found = [i for i in range(s, e + 1) if bits[i] == bit]
    if found:
        expected = found[0]
    elif s <= e and bit == 0 and end is None:
        expected = e + 1  # no end given: the string counts as padded with zero bits
    else:
        expected = -1
    args = [b"%d" % start] + ([] if end is None else [b"%d" % end, unit])
    assert h.do(b"BITPOS", b"k", b"%d" % bit, *args) == integer(expected)


@given(
    value=VALUES,
    writes=st.lists(st.tuples(st.integers(0, 260), st.integers(0, 1)), max_size=12),
)
def test_setbit_matches_a_bit_list(value, writes):
    h = Harness()  # a fresh one per example (a fixture would be shared)
    h.do(b"SET", b"k", value)
    bits = bits_of(value)
    for offset, on in writes:
        if offset >= len(bits):
            bits += [0] * ((offset // 8 + 1) * 8 - len(bits))
        assert h.do(b"SETBIT", b"k", b"%d" % offset, b"%d" % on) == integer(bits[offset])
        bits[offset] = on
    expected = bytes(int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8))
    assert h.do(b"GET", b"k") == bulk(expected)


@given(
    value=VALUES,
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(1, 64), st.integers(0, 200), st.integers(INT64_MIN, INT64_MAX)),
        min_size=1, max_size=6),
)
def test_bitfield_set_then_get_matches_a_bit_list(value, ops):
    h = Harness()  # a fresh one per example (a fixture would be shared)
    h.do(b"SET", b"k", value)
    bits = bits_of(value)
    args = []
    for signed, width, offset, number in ops:
        width = width if signed else min(width, 63)
        kind = b"%s%d" % (b"i" if signed else b"u", width)
        args += [b"OVERFLOW", b"WRAP", b"SET", kind, b"%d" % offset, b"%d" % number, b"GET", kind, b"%d" % offset]
    reply = h.do(b"BITFIELD", b"k", *args)
    expected = []
    for signed, width, offset, number in ops:
        width = width if signed else min(width, 63)
        if offset + width > len(bits):
            bits += [0] * (((offset + width + 7) // 8) * 8 - len(bits))
        old = int("".join(map(str, bits[offset : offset + width])), 2)
        new = number & ((1 << width) - 1)
        for i in range(width):
            bits[offset + i] = (new >> (width - 1 - i)) & 1
        if signed:
            old = old - (1 << width) if old >> (width - 1) else old
            new = new - (1 << width) if new >> (width - 1) else new
        expected += [old, new]
    assert reply == ints(*expected)


# -- large strings --------------------------------------------------------------


def test_large_string_round_trip(h):
    size = 1 << 20
    h.do(b"SETBIT", b"big", b"%d" % (size * 8 - 1), b"1")
    h.do(b"SETBIT", b"big", b"12345", b"1")
    assert h.do(b"STRLEN", b"big") == integer(size)
    assert h.do(b"BITCOUNT", b"big") == integer(2)
    assert h.do(b"BITPOS", b"big", b"1") == integer(12345)
    assert h.do(b"BITPOS", b"big", b"1", b"2000") == integer(size * 8 - 1)
    assert h.do(b"BITFIELD", b"big", b"INCRBY", b"u8", b"#%d" % (size - 1), b"1") == ints(2)
    assert h.do(b"BITOP", b"NOT", b"inv", b"big") == integer(size)
    assert h.do(b"BITCOUNT", b"inv") == integer(size * 8 - 2)
    assert h.do(b"BITPOS", b"inv", b"0") == integer(12345)


# -- redis-py, both protocols -------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.setbit("b", 7, 1) == 0
        assert client.setbit("b", 7, 0) == 1
        assert client.setbit("b", 9, 1) == 0
        assert client.getbit("b", 9) == 1
        assert client.get("b") == b"\x00\x40"
        client.set("s", "foobar")
        assert client.bitcount("s") == 26
        assert client.bitcount("s", 1, 1) == 6
        assert client.bitcount("s", 5, 30, "BIT") == 17
        assert client.bitpos("s", 1) == 1
        assert client.bitpos("s", 0, 2, -1) == 16
        assert client.bitpos("s", 1, 7, 15, "BIT") == 9
        assert client.bitop("NOT", "n", "s") == 6
        assert client.bitop("AND", "a", "s", "n") == 6
        assert client.get("a") == b"\x00" * 6
        with pytest.raises(redis.ResponseError, match="BITOP NOT must be called with a single source key"):
            client.bitop("NOT", "n", "s", "s")
        bf = client.bitfield("f")
        bf.set("u8", 0, 255).incrby("u8", 0, 10).overflow("FAIL").incrby("u8", 0, 300).get("i8", "#0")
        assert bf.execute() == [0, 9, None, 9]
        assert client.bitfield_ro("f", "u8", 0, items=[("i4", 4)]) == [9, -7]
        with pytest.raises(redis.ResponseError, match="Invalid bitfield type"):
            client.bitfield("f").get("u64", 0).execute()
    finally:
        client.close()
