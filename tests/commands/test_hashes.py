"""Hash commands through the in-process harness (raw reply bytes), plus redis-py end to end.

Expected texts, shapes and encodings were checked against redis-server 7.0.15;
tests/differential/test_hashes.py compares the same behaviours with the real server byte for byte.
"""

from __future__ import annotations

import collections
import random

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from kvfake.commands import hashes
from kvfake.store.values import Hash
from tests.support.harness import START
from tests.support.resp import (
    EMPTY_ARRAY,
    NIL,
    OK,
    array,
    bulk,
    decode,
    error,
    integer,
    map_,
    null,
    simple,
)

NOW_MS = START * 1000
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = error("ERR syntax error")
NOT_INT = error("ERR value is not an integer or out of range")
NOT_FLOAT = error("ERR value is not a valid float")
OVERFLOW = error("ERR increment or decrement would overflow")
HASH_NOT_INT = error("ERR hash value is not an integer")
HASH_NOT_FLOAT = error("ERR hash value is not a float")
INCR_NAN = error("ERR value is NaN or Infinity")
SUM_NAN = error("ERR increment would produce NaN or Infinity")
OUT_OF_RANGE = error("ERR value is out of range")
LONG = b"x" * 65


def arity(name: str) -> bytes:
    return error(f"ERR wrong number of arguments for '{name}' command")


def flat(*items: bytes) -> bytes:
    return array(*[bulk(i) for i in items])


def stored(h, key: bytes):
    with h.store.locked() as s:
        return s.dbs[0].lookup(key)


def encoding(h, key: bytes) -> bytes:
    return decode(h.do(b"OBJECT", b"ENCODING", key))


class Watcher:
    dirty = False


def watch(h, key: bytes) -> Watcher:
    watcher = Watcher()
    h.store.watchers.setdefault((0, key), set()).add(watcher)
    return watcher


@pytest.fixture
def events(h):
    """Keyspace events published through Context.notify, as (class, event, key)."""
    seen = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((klass, event, key))
    return seen


def resp3(h):
    assert h.do(b"HELLO", b"3")[:1] == b"%"
    return h


# -- HSET HMSET HSETNX ------------------------------------------------------------------


def test_hset_counts_new_fields_only(h):
    assert h.do(b"HSET", b"k", b"a", b"1", b"b", b"2") == integer(2)
    assert h.do(b"HSET", b"k", b"a", b"3", b"c", b"4") == integer(1)
    assert h.do(b"HSET", b"k", b"x", b"1", b"x", b"2") == integer(1)  # repeated: counted once
    assert h.do(b"HGET", b"k", b"x") == bulk(b"2")  # the last one wins
    assert stored(h, b"k") == {b"a": b"3", b"b": b"2", b"c": b"4", b"x": b"2"}


def test_hset_stores_binary_fields_and_values(h):
    assert h.do(b"HSET", b"k", b"\x00\xff\r\n", b"", b"", b"\x00") == integer(2)
    assert h.do(b"HGET", b"k", b"\x00\xff\r\n") == bulk(b"")
    assert h.do(b"HGET", b"k", b"") == bulk(b"\x00")


@pytest.mark.parametrize(
    "argv, reply",
    [
        ([b"HSET", b"k", b"f", b"v", b"g"], arity("hset")),
        ([b"HMSET", b"k", b"f", b"v", b"g"], arity("hmset")),
        ([b"HSET", b"k", b"f"], arity("hset")),
        ([b"HSETNX", b"k", b"f"], arity("hsetnx")),
        ([b"HGET", b"k"], arity("hget")),
        ([b"HMGET", b"k"], arity("hmget")),
        ([b"HDEL", b"k"], arity("hdel")),
        ([b"HGETALL", b"k", b"x"], arity("hgetall")),
        ([b"HINCRBY", b"k", b"f"], arity("hincrby")),
        ([b"HRANDFIELD"], arity("hrandfield")),
        ([b"HSCAN", b"k"], arity("hscan")),
    ],
    ids=["hset-odd", "hmset-odd", "hset-short", "hsetnx", "hget", "hmget", "hdel", "hgetall", "hincrby",
         "hrandfield", "hscan"],
)
def test_arity_errors_write_nothing(h, argv, reply):
    assert h.do(*argv) == reply
    assert stored(h, b"k") is None


def test_hmset_replies_ok(h):
    assert h.do(b"HMSET", b"k", b"a", b"1", b"b", b"2") == OK
    assert h.do(b"HMSET", b"k", b"a", b"3") == OK
    assert stored(h, b"k") == {b"a": b"3", b"b": b"2"}


def test_hsetnx_sets_only_missing_fields(h):
    assert h.do(b"HSETNX", b"k", b"f", b"v") == integer(1)
    assert h.do(b"HSETNX", b"k", b"f", b"w") == integer(0)
    assert h.do(b"HGET", b"k", b"f") == bulk(b"v")


def test_hset_keeps_field_order_on_update(h):
    h.do(b"HSET", b"k", b"z", b"1", b"a", b"2", b"m", b"3")
    h.do(b"HSET", b"k", b"a", b"new")
    assert h.do(b"HKEYS", b"k") == flat(b"z", b"a", b"m")
    h.do(b"HDEL", b"k", b"z")
    h.do(b"HSET", b"k", b"z", b"back")
    assert h.do(b"HKEYS", b"k") == flat(b"a", b"m", b"z")


# -- reads ------------------------------------------------------------------------------


def test_hget_hmget(h):
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2")
    assert h.do(b"HGET", b"k", b"a") == bulk(b"1")
    assert h.do(b"HGET", b"k", b"missing") == NIL
    assert h.do(b"HGET", b"missing", b"a") == NIL
    assert h.do(b"HMGET", b"k", b"b", b"missing", b"a") == array(bulk(b"2"), NIL, bulk(b"1"))
    assert h.do(b"HMGET", b"missing", b"a", b"b") == array(NIL, NIL)


def test_whole_hash_reads_in_insertion_order(h):
    h.do(b"HSET", b"k", b"b", b"2", b"a", b"1")
    assert h.do(b"HGETALL", b"k") == flat(b"b", b"2", b"a", b"1")
    assert h.do(b"HKEYS", b"k") == flat(b"b", b"a")
    assert h.do(b"HVALS", b"k") == flat(b"2", b"1")
    assert h.do(b"HLEN", b"k") == integer(2)


@pytest.mark.parametrize(
    "command, reply",
    [
        (b"HGETALL", EMPTY_ARRAY),
        (b"HKEYS", EMPTY_ARRAY),
        (b"HVALS", EMPTY_ARRAY),
        (b"HLEN", integer(0)),
    ],
)
def test_whole_hash_reads_of_missing_key(h, command, reply):
    assert h.do(command, b"missing") == reply


def test_resp3_replies(h):
    resp3(h)
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2")
    assert h.do(b"HGETALL", b"k") == map_((bulk(b"a"), bulk(b"1")), (bulk(b"b"), bulk(b"2")))
    assert h.do(b"HGETALL", b"missing") == map_()
    assert h.do(b"HKEYS", b"missing") == EMPTY_ARRAY
    assert h.do(b"HGET", b"k", b"missing") == null()
    assert h.do(b"HMGET", b"k", b"a", b"missing") == array(bulk(b"1"), null())
    assert h.do(b"HRANDFIELD", b"missing") == null()
    assert h.do(b"HRANDFIELD", b"missing", b"2", b"WITHVALUES") == EMPTY_ARRAY
    assert h.do(b"HRANDFIELD", b"k", b"2", b"WITHVALUES") == array(
        array(bulk(b"a"), bulk(b"1")), array(bulk(b"b"), bulk(b"2"))
    )
    assert h.do(b"HSCAN", b"k", b"0") == array(bulk(b"0"), flat(b"a", b"1", b"b", b"2"))
    assert h.do(b"HINCRBYFLOAT", b"k", b"a", b"0.5") == bulk(b"1.5")


def test_hexists_hstrlen(h):
    h.do(b"HSET", b"k", b"f", b"hello", b"n", b"-17", b"e", b"")
    assert h.do(b"HEXISTS", b"k", b"f") == integer(1)
    assert h.do(b"HEXISTS", b"k", b"missing") == integer(0)
    assert h.do(b"HEXISTS", b"missing", b"f") == integer(0)
    assert h.do(b"HSTRLEN", b"k", b"f") == integer(5)
    assert h.do(b"HSTRLEN", b"k", b"n") == integer(3)
    assert h.do(b"HSTRLEN", b"k", b"e") == integer(0)
    assert h.do(b"HSTRLEN", b"k", b"missing") == integer(0)
    assert h.do(b"HSTRLEN", b"missing", b"f") == integer(0)


# -- WRONGTYPE --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [b"HSET", b"s", b"f", b"v"],
        [b"HMSET", b"s", b"f", b"v"],
        [b"HSETNX", b"s", b"f", b"v"],
        [b"HGET", b"s", b"f"],
        [b"HMGET", b"s", b"f"],
        [b"HGETALL", b"s"],
        [b"HKEYS", b"s"],
        [b"HVALS", b"s"],
        [b"HLEN", b"s"],
        [b"HEXISTS", b"s", b"f"],
        [b"HSTRLEN", b"s", b"f"],
        [b"HDEL", b"s", b"f"],
        [b"HINCRBY", b"s", b"f", b"1"],
        [b"HINCRBYFLOAT", b"s", b"f", b"1"],
        [b"HRANDFIELD", b"s"],
        [b"HRANDFIELD", b"s", b"-2", b"WITHVALUES"],
        [b"HSCAN", b"s", b"0"],
    ],
    ids=lambda argv: argv[0].decode().lower() + ("-" + "-".join(a.decode() for a in argv[2:]) if argv[2:] else ""),
)
def test_wrongtype(h, argv):
    h.do(b"SET", b"s", b"v")
    assert h.do(*argv) == WRONGTYPE
    assert h.do(b"GET", b"s") == bulk(b"v")


def test_string_commands_on_a_hash_are_wrongtype(h):
    h.do(b"HSET", b"k", b"f", b"v")
    assert h.do(b"GET", b"k") == WRONGTYPE
    assert h.do(b"INCR", b"k") == WRONGTYPE
    assert h.do(b"MGET", b"k") == array(NIL)


# -- HDEL -------------------------------------------------------------------------------


def test_hdel_counts_deleted_fields(h):
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2", b"c", b"3")
    assert h.do(b"HDEL", b"k", b"a", b"missing", b"a") == integer(1)
    assert h.do(b"HDEL", b"missing", b"a") == integer(0)
    assert h.do(b"HKEYS", b"k") == flat(b"b", b"c")


def test_hdel_of_last_field_deletes_the_key(h, events):
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2")
    h.do(b"EXPIRE", b"k", b"100")
    events.clear()
    assert h.do(b"HDEL", b"k", b"a", b"b", b"a") == integer(2)
    assert stored(h, b"k") is None
    assert h.do(b"EXISTS", b"k") == integer(0)
    assert events == [("h", b"hdel", b"k"), ("g", b"del", b"k")]
    h.do(b"HSET", b"k", b"a", b"1")
    assert h.do(b"TTL", b"k") == integer(-1)  # the TTL went with the key


def test_hdel_without_deletion_signals_nothing(h, events):
    h.do(b"HSET", b"k", b"a", b"1")
    watcher = watch(h, b"k")
    events.clear()
    assert h.do(b"HDEL", b"k", b"missing") == integer(0)
    assert not watcher.dirty and events == []


# -- HINCRBY HINCRBYFLOAT ----------------------------------------------------------------


@pytest.mark.parametrize(
    "stored_value, increment, reply",
    [
        (None, b"5", integer(5)),
        (b"10", b"-15", integer(-5)),
        (b"0", b"0", integer(0)),
        (str(INT64_MAX - 1).encode(), b"1", integer(INT64_MAX)),
        (str(INT64_MAX).encode(), b"1", OVERFLOW),
        (str(INT64_MIN + 1).encode(), b"-1", integer(INT64_MIN)),
        (str(INT64_MIN).encode(), b"-1", OVERFLOW),
        (b"-5", str(INT64_MIN + 5).encode(), integer(INT64_MIN)),
        (b"-5", str(INT64_MIN + 4).encode(), OVERFLOW),
        (b"abc", b"1", HASH_NOT_INT),
        (b" 1", b"1", HASH_NOT_INT),
        (b"1.5", b"1", HASH_NOT_INT),
        (b"", b"1", HASH_NOT_INT),
        (b"007", b"1", HASH_NOT_INT),
        (b"9223372036854775808", b"1", HASH_NOT_INT),
        (b"1", b"abc", NOT_INT),
        (b"1", b"1.5", NOT_INT),
        (b"1", b"+1", NOT_INT),
        (b"1", b"9223372036854775808", NOT_INT),
    ],
    ids=["new", "negative", "zero", "to-max", "past-max", "to-min", "past-min", "sum-to-min",
         "sum-past-min", "stored-text", "stored-space", "stored-float", "stored-empty", "stored-zeros",
         "stored-big", "incr-text", "incr-float", "incr-plus", "incr-big"],
)
def test_hincrby(h, stored_value, increment, reply):
    if stored_value is not None:
        h.do(b"HSET", b"k", b"f", stored_value)
    assert h.do(b"HINCRBY", b"k", b"f", increment) == reply
    if reply[:1] == b":":
        assert h.do(b"HGET", b"k", b"f") == bulk(reply[1:-2])
    elif stored_value is not None:
        assert h.do(b"HGET", b"k", b"f") == bulk(stored_value)


def test_hincrby_bad_increment_is_checked_before_the_type(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"HINCRBY", b"s", b"f", b"abc") == NOT_INT
    assert h.do(b"HINCRBY", b"missing", b"f", b"abc") == NOT_INT
    assert stored(h, b"missing") is None


@pytest.mark.parametrize(
    "stored_value, increment, reply",
    [
        (None, b"1.5", bulk(b"1.5")),
        (b"10.5", b"0.1", bulk(b"10.6")),
        (b"5", b"-5", bulk(b"0")),
        (b"0x10", b"1", bulk(b"17")),
        (b"1", b"1e3", bulk(b"1001")),
        (None, b"2.5e-20", bulk(b"0")),
        (b"1.5", b"abc", NOT_FLOAT),
        (b"1.5", b"nan", NOT_FLOAT),
        (b"1.5", b"", NOT_FLOAT),
        (b"1.5", b"inf", INCR_NAN),
        (b"1.5", b"-Infinity", INCR_NAN),
        (b"abc", b"1", HASH_NOT_FLOAT),
        (b"", b"1", HASH_NOT_FLOAT),
        (b" 1", b"1", HASH_NOT_FLOAT),
        (b"inf", b"1", SUM_NAN),  # strtold reads "inf"; the sum is not finite
        (b"1e5000", b"1", HASH_NOT_FLOAT),
        (b"1e4932", b"1e4932", SUM_NAN),
    ],
    ids=["new", "decimal", "to-zero", "stored-hex", "exponent", "tiny", "incr-text", "incr-nan",
         "incr-empty", "incr-inf", "incr-neg-inf", "stored-text", "stored-empty", "stored-space",
         "stored-inf", "stored-overflow", "sum-overflow"],
)
def test_hincrbyfloat(h, stored_value, increment, reply):
    if stored_value is not None:
        h.do(b"HSET", b"k", b"f", stored_value)
    assert h.do(b"HINCRBYFLOAT", b"k", b"f", increment) == reply
    if reply[:1] == b"$":
        assert h.do(b"HGET", b"k", b"f") == reply


def test_hincrbyfloat_increment_is_checked_before_the_type(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"HINCRBYFLOAT", b"s", b"f", b"abc") == NOT_FLOAT
    assert h.do(b"HINCRBYFLOAT", b"s", b"f", b"inf") == INCR_NAN
    assert h.do(b"HINCRBYFLOAT", b"s", b"f", b"1") == WRONGTYPE


def test_hincrbyfloat_long_double_result(h):
    reply = decode(h.do(b"HINCRBYFLOAT", b"k", b"f", b"1e400"))
    assert len(reply) == 401 and reply.startswith(b"1000000000000000000028188")
    assert encoding(h, b"k") == b"hashtable"  # a 401-byte value


# -- HRANDFIELD --------------------------------------------------------------------------

FIELDS = {b"f%d" % i: b"v%d" % i for i in range(10)}


@pytest.fixture
def ten(h):
    h.do(b"HSET", b"k", *[x for kv in FIELDS.items() for x in kv])
    return h


def test_hrandfield_without_count(ten):
    assert decode(ten.do(b"HRANDFIELD", b"k")) in FIELDS
    assert ten.do(b"HRANDFIELD", b"missing") == NIL


@pytest.mark.parametrize("count", [1, 2, 5, 9])
def test_hrandfield_positive_count_gives_distinct_fields(ten, count):
    fields = decode(ten.do(b"HRANDFIELD", b"k", b"%d" % count))
    assert len(fields) == count == len(set(fields))
    assert set(fields) <= set(FIELDS)


@pytest.mark.parametrize("count", [b"10", b"11", b"4611686018427387903"])
def test_hrandfield_count_at_least_size_gives_the_whole_hash_in_order(ten, count):
    assert decode(ten.do(b"HRANDFIELD", b"k", count)) == list(FIELDS)
    pairs = decode(ten.do(b"HRANDFIELD", b"k", count, b"WITHVALUES"))
    assert pairs == [x for kv in FIELDS.items() for x in kv]
    assert decode(ten.do(b"HRANDFIELD", b"k", str(INT64_MAX).encode())) == list(FIELDS)


@pytest.mark.parametrize("count", [1, 3, 10, 100])
def test_hrandfield_negative_count_may_repeat(ten, count):
    fields = decode(ten.do(b"HRANDFIELD", b"k", b"-%d" % count))
    assert len(fields) == count and set(fields) <= set(FIELDS)


def test_hrandfield_negative_count_repeats_fields(ten):
    fields = decode(ten.do(b"HRANDFIELD", b"k", b"-1000"))
    assert len(set(fields)) == 10  # every field shows up among 1000 picks


def test_hrandfield_withvalues_pairs_fields_with_their_values(ten):
    for count in (b"3", b"-30"):
        flat_reply = decode(ten.do(b"HRANDFIELD", b"k", count, b"WITHVALUES"))
        assert len(flat_reply) == 2 * abs(int(count))
        assert all(FIELDS[f] == v for f, v in zip(flat_reply[0::2], flat_reply[1::2]))
    resp3(ten)
    pairs = decode(ten.do(b"HRANDFIELD", b"k", b"-4", b"withvalues"))
    assert len(pairs) == 4 and all(FIELDS[f] == v for f, v in pairs)


def test_hrandfield_is_seeded_by_the_store_rng(harness_factory):
    replies = []
    for _ in range(2):
        h = harness_factory(seed=99)
        h.do(b"HSET", b"k", *[x for kv in FIELDS.items() for x in kv])
        replies.append([h.do(b"HRANDFIELD", b"k", b"-20"), h.do(b"HRANDFIELD", b"k", b"4")])
    assert replies[0] == replies[1]


@pytest.mark.parametrize(
    "args, reply",
    [
        ([b"0"], EMPTY_ARRAY),
        ([b"0", b"WITHVALUES"], EMPTY_ARRAY),
        ([str(INT64_MIN).encode()],
         error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")),
        ([b"abc"], NOT_INT),
        ([b"01"], NOT_INT),
        ([b"abc", b"foo"], NOT_INT),
        ([b"1", b"foo"], SYNTAX),
        ([b"1", b"WITHVALUES", b"x"], SYNTAX),
        ([b"1", b"WITHVALUES\x00junk"], flat(b"f0", b"v0")),
        ([b"4611686018427387904", b"WITHVALUES"], OUT_OF_RANGE),
        ([b"-4611686018427387904", b"WITHVALUES"], OUT_OF_RANGE),
    ],
    ids=["zero", "zero-withvalues", "int64-min", "not-a-number", "leading-zero", "number-first",
         "bad-option", "extra-arg", "option-c-string", "withvalues-too-big", "withvalues-too-small"],
)
def test_hrandfield_count_parsing(h, args, reply):
    h.do(b"HSET", b"k", b"f0", b"v0")
    assert h.do(b"HRANDFIELD", b"k", *args) == reply


def test_hrandfield_missing_key_with_count_is_empty(h):
    assert h.do(b"HRANDFIELD", b"missing", b"5") == EMPTY_ARRAY
    assert h.do(b"HRANDFIELD", b"missing", b"-9223372036854775807") == EMPTY_ARRAY
    assert h.do(b"HRANDFIELD", b"missing", b"1", b"foo") == SYNTAX


@pytest.mark.parametrize(
    "args",
    [[b"-10000001"], [b"-9223372036854775807"], [b"-4611686018427387903", b"WITHVALUES"]],
    ids=["just-past-limit", "int64-min-plus-one", "redis-drops-connection"],
)
def test_hrandfield_huge_negative_count_is_refused(h, args):
    h.do(b"HSET", b"k", b"f", b"v")
    assert h.do(b"HRANDFIELD", b"k", *args) == error(hashes.RANDOM_COUNT_TOO_LARGE)


def test_hrandfield_negative_count_at_limit_text():
    assert hashes.MAX_RANDOM_FIELDS == 10_000_000
    assert "10000000" in hashes.RANDOM_COUNT_TOO_LARGE


# -- HSCAN -------------------------------------------------------------------------------


def test_hscan_of_listpack_returns_everything_at_once(h):
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2", b"ab", b"3")
    everything = array(bulk(b"0"), flat(b"a", b"1", b"b", b"2", b"ab", b"3"))
    assert h.do(b"HSCAN", b"k", b"0") == everything
    assert h.do(b"HSCAN", b"k", b"0", b"COUNT", b"1") == everything
    assert h.do(b"HSCAN", b"k", b"12345") == everything
    assert h.do(b"HSCAN", b"k", b"0", b"MATCH", b"a*") == array(bulk(b"0"), flat(b"a", b"1", b"ab", b"3"))
    assert h.do(b"HSCAN", b"k", b"0", b"MATCH", b"*") == everything


@pytest.mark.parametrize(
    "args, reply",
    [
        ([b"abc"], error("ERR invalid cursor")),
        ([b"0", b"COUNT", b"0"], SYNTAX),
        ([b"0", b"COUNT", b"abc"], NOT_INT),
        ([b"0", b"COUNT"], SYNTAX),
        ([b"0", b"MATCH"], SYNTAX),
        ([b"0", b"TYPE", b"string"], SYNTAX),
        ([b"0", b"NOVALUES"], SYNTAX),
    ],
    ids=["cursor", "count-zero", "count-text", "count-alone", "match-alone", "type", "novalues"],
)
def test_hscan_errors(h, args, reply):
    h.do(b"HSET", b"k", b"a", b"1")
    assert h.do(b"HSCAN", b"k", *args) == reply


def test_hscan_missing_key_is_empty_before_options_are_read(h):
    empty = array(bulk(b"0"), EMPTY_ARRAY)
    assert h.do(b"HSCAN", b"missing", b"0", b"COUNT", b"0") == empty
    assert h.do(b"HSCAN", b"missing", b"0", b"FOO") == empty
    assert h.do(b"HSCAN", b"missing", b"abc") == error("ERR invalid cursor")


def _hscan_all(h, key: bytes, *options: bytes) -> list:
    pairs, cursor, calls = [], b"0", 0
    while True:
        cursor, items = decode(h.do(b"HSCAN", key, cursor, *options))
        calls += 1
        pairs += list(zip(items[0::2], items[1::2]))
        if cursor == b"0":
            return pairs, calls


@pytest.mark.parametrize("count", [b"1", b"7", b"10", b"1000"])
def test_hscan_of_hashtable_returns_every_pair_exactly_once(h, count):
    data = {b"f%d" % i: b"v%d" % i for i in range(600)}
    h.do(b"HSET", b"k", *[x for kv in data.items() for x in kv])
    assert encoding(h, b"k") == b"hashtable"
    pairs, calls = _hscan_all(h, b"k", b"COUNT", count)
    assert sorted(pairs) == sorted(data.items())
    assert calls >= 600 // int(count)


def test_hscan_of_hashtable_with_match(h):
    h.do(b"HSET", b"k", *[x for i in range(600) for x in (b"f%d" % i, b"v")])
    pairs, _ = _hscan_all(h, b"k", b"MATCH", b"f1?")
    assert sorted(f for f, _ in pairs) == sorted(b"f1%d" % i for i in range(10))


def test_hscan_of_hashtable_survives_changes(h):
    h.do(b"HSET", b"k", *[x for i in range(600) for x in (b"f%d" % i, b"v")])
    seen, cursor = [], b"0"
    while True:
        cursor, items = decode(h.do(b"HSCAN", b"k", cursor, b"COUNT", b"50"))
        seen += items[0::2]
        h.do(b"HDEL", b"k", b"f%d" % (len(seen) % 600))
        h.do(b"HSET", b"k", b"new%d" % len(seen), b"v")
        if cursor == b"0":
            break
    kept = {b"f%d" % i for i in range(600)} - {b"f%d" % (n % 600) for n in range(1, 700)}
    assert kept <= set(seen)
    assert len(seen) == len(set(seen))


def test_hscan_small_hashtable_comes_back_at_once(h):
    h.do(b"HSET", b"k", b"f", LONG)
    assert encoding(h, b"k") == b"hashtable"
    assert h.do(b"HSCAN", b"k", b"0") == array(bulk(b"0"), flat(b"f", LONG))


# -- OBJECT ENCODING ------------------------------------------------------------------------


def test_encoding_by_entries(h):
    h.do(b"HSET", b"k", *[x for i in range(512) for x in (b"f%d" % i, b"v")])
    assert encoding(h, b"k") == b"listpack"
    h.do(b"HSET", b"k", b"f0", b"update")
    assert encoding(h, b"k") == b"listpack"
    h.do(b"HSET", b"k", b"one-more", b"v")
    assert encoding(h, b"k") == b"hashtable"
    h.do(b"HDEL", b"k", *[b"f%d" % i for i in range(500)])
    assert encoding(h, b"k") == b"hashtable"  # one way


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([b"HSET", b"k", b"f", b"x" * 64], b"listpack"),
        ([b"HSET", b"k", b"f", LONG], b"hashtable"),
        ([b"HSET", b"k", LONG, b"v"], b"hashtable"),
        ([b"HMSET", b"k", b"a", b"1", b"b", LONG], b"hashtable"),
        ([b"HSETNX", b"k", b"f", LONG], b"hashtable"),
        ([b"HINCRBY", b"k", LONG, b"1"], b"hashtable"),
        ([b"HINCRBYFLOAT", b"k", b"f", b"1e100"], b"hashtable"),
        ([b"HINCRBYFLOAT", b"k", b"f", b"1e10"], b"listpack"),
    ],
    ids=["value-64", "value-65", "field-65", "hmset", "hsetnx", "hincrby-field", "hincrbyfloat-value",
         "hincrbyfloat-short"],
)
def test_encoding_by_length(h, argv, expected):
    h.do(*argv)
    assert encoding(h, b"k") == expected


def test_hsetnx_on_existing_field_converts_nothing(h):
    h.do(b"HSET", b"k", b"f", b"v")
    assert h.do(b"HSETNX", b"k", b"f", LONG) == integer(0)
    assert encoding(h, b"k") == b"listpack"


def test_encoding_follows_config(h):
    assert h.do(b"CONFIG", b"SET", b"hash-max-listpack-value", b"3") == OK
    assert h.do(b"CONFIG", b"SET", b"hash-max-listpack-entries", b"2") == OK
    h.do(b"HINCRBY", b"a", b"abc", b"999")
    assert encoding(h, b"a") == b"listpack"
    h.do(b"HINCRBY", b"a", b"abc", b"1")  # "1000": four bytes
    assert encoding(h, b"a") == b"hashtable"
    h.do(b"HSET", b"b", b"x", b"1", b"y", b"2")
    assert encoding(h, b"b") == b"listpack"
    h.do(b"HSET", b"b", b"z", b"3")
    assert encoding(h, b"b") == b"hashtable"
    h.do(b"CONFIG", b"SET", b"hash-max-ziplist-entries", b"0")  # the old alias
    h.do(b"HSET", b"c", b"x", b"1")
    assert encoding(h, b"c") == b"hashtable"


# -- keyspace interplay ------------------------------------------------------------------


def test_type_and_scan_type(h):
    h.do(b"HSET", b"k", b"f", b"v")
    h.do(b"SET", b"s", b"v")
    assert h.do(b"TYPE", b"k") == simple("hash")
    assert h.do(b"SCAN", b"0", b"TYPE", b"hash") == array(bulk(b"0"), flat(b"k"))


def test_copy_is_independent_and_keeps_encoding(h):
    h.do(b"HSET", b"k", b"f", LONG)
    assert h.do(b"COPY", b"k", b"c") == integer(1)
    h.do(b"HSET", b"c", b"g", b"w")
    assert h.do(b"HLEN", b"k") == integer(1)
    assert encoding(h, b"c") == b"hashtable"
    copy = stored(h, b"c")
    assert type(copy) is Hash and copy is not stored(h, b"k")


def test_rename_and_move_keep_the_hash_and_ttl(h):
    h.do(b"HSET", b"k", b"f", b"v")
    h.do(b"EXPIRE", b"k", b"100")
    assert h.do(b"RENAME", b"k", b"r") == OK
    assert h.do(b"MOVE", b"r", b"1") == integer(1)
    h.do(b"SELECT", b"1")
    assert h.do(b"HGETALL", b"r") == flat(b"f", b"v")
    assert h.do(b"TTL", b"r") == integer(100)


def test_writes_keep_the_ttl(h):
    h.do(b"HSET", b"k", b"f", b"v")
    h.do(b"EXPIRE", b"k", b"100")
    for argv in ([b"HSET", b"k", b"g", b"w"], [b"HMSET", b"k", b"g", b"x"], [b"HSETNX", b"k", b"n", b"1"],
                 [b"HINCRBY", b"k", b"n", b"1"], [b"HINCRBYFLOAT", b"k", b"n", b"1"], [b"HDEL", b"k", b"g"]):
        h.do(*argv)
    assert h.do(b"TTL", b"k") == integer(100)


def test_expired_hash_is_gone(h):
    h.do(b"HSET", b"k", b"f", b"v")
    h.do(b"PEXPIRE", b"k", b"1500")
    h.clock.advance(1)
    assert h.do(b"HGET", b"k", b"f") == bulk(b"v")
    h.clock.advance(1)
    assert h.do(b"HGET", b"k", b"f") == NIL
    assert h.do(b"HLEN", b"k") == integer(0)
    assert h.do(b"HINCRBY", b"k", b"n", b"1") == integer(1)
    assert h.do(b"TTL", b"k") == integer(-1)
    assert h.do(b"HGETALL", b"k") == flat(b"n", b"1")


# -- notifications and WATCH signals ------------------------------------------------------


@pytest.mark.parametrize(
    "argv, event",
    [
        ([b"HSET", b"k", b"f", b"v"], b"hset"),
        ([b"HMSET", b"k", b"f", b"v"], b"hset"),
        ([b"HSETNX", b"k", b"new", b"v"], b"hset"),
        ([b"HDEL", b"k", b"a"], b"hdel"),
        ([b"HINCRBY", b"k", b"n", b"1"], b"hincrby"),
        ([b"HINCRBYFLOAT", b"k", b"n", b"1.5"], b"hincrbyfloat"),
    ],
    ids=["hset", "hmset", "hsetnx", "hdel", "hincrby", "hincrbyfloat"],
)
def test_writes_notify_and_signal(h, events, argv, event):
    h.do(b"HSET", b"k", b"a", b"1", b"b", b"2")
    watcher = watch(h, b"k")
    events.clear()
    h.do(*argv)
    assert events == [("h", event, b"k")]
    assert watcher.dirty


@pytest.mark.parametrize(
    "argv",
    [
        [b"HSETNX", b"k", b"a", b"v"],
        [b"HINCRBY", b"k", b"a", b"x"],
        [b"HINCRBYFLOAT", b"k", b"a", b"inf"],
        [b"HGET", b"k", b"a"],
        [b"HGETALL", b"k"],
        [b"HRANDFIELD", b"k", b"-3"],
        [b"HSCAN", b"k", b"0"],
    ],
    ids=["hsetnx-existing", "hincrby-error", "hincrbyfloat-error", "hget", "hgetall", "hrandfield", "hscan"],
)
def test_reads_and_no_ops_notify_nothing(h, events, argv):
    h.do(b"HSET", b"k", b"a", b"1")
    watcher = watch(h, b"k")
    events.clear()
    h.do(*argv)
    assert events == [] and not watcher.dirty


def test_new_hash_fires_the_creation_hook(h):
    created = []
    h.store.key_created_hook = lambda db, key, value: created.append((db, key, type(value)))
    h.do(b"HSET", b"k", b"f", b"v")
    h.do(b"HSET", b"k", b"g", b"v")
    h.do(b"HINCRBY", b"n", b"f", b"1")
    assert created == [(0, b"k", Hash), (0, b"n", Hash)]


# -- Hash's random-access positions (store/values.py) ---------------------------------------

OPS = st.lists(
    st.tuples(st.sampled_from(["set", "update", "del", "pop", "pick", "clear", "setdefault", "popitem"]),
              st.lists(st.sampled_from([b"a", b"b", b"c", b"d", b"e"]), min_size=1, max_size=3)),
    max_size=40,
)


@given(OPS)
def test_hash_positions_follow_every_change(ops):
    value = Hash()
    model: dict = {}
    for op, fields in ops:
        if op == "set":
            value[fields[0]] = b"v"
            model[fields[0]] = b"v"
        elif op == "update":
            value.update(zip(fields, fields))
            model.update(zip(fields, fields))
        elif op == "del" and fields[0] in model:
            del value[fields[0]]
            del model[fields[0]]
        elif op == "pop":
            assert value.pop(fields[0], None) == model.pop(fields[0], None)
        elif op == "pick" and model:
            assert value.random_field(random.Random(1)) in model
        elif op == "clear":
            value.clear()
            model.clear()
        elif op == "setdefault":
            assert value.setdefault(fields[0], b"d") == model.setdefault(fields[0], b"d")
        elif op == "popitem" and model:
            field, _ = value.popitem()
            del model[field]
        assert dict(value) == model
        if value._items is not None:
            assert sorted(value._items) == sorted(model)
            assert all(value._items[i] == f for f, i in value._pos.items())
    assert sorted(value.field_list()) == sorted(model)


def test_hash_random_picks_are_uniform_enough():
    value = Hash((b"f%d" % i, b"v") for i in range(4))
    rng = random.Random(7)
    seen = collections.Counter(value.random_field(rng) for _ in range(4000))
    assert set(seen) == set(value) and min(seen.values()) > 800
    del value[b"f0"]
    assert b"f0" not in {value.random_field(rng) for _ in range(200)}


# -- the Python store API -------------------------------------------------------------------


def test_store_set_and_get_a_dict(h):
    h.store.set(0, "k", {"a": "1", b"b": b"\x00"})
    assert h.do(b"HGETALL", b"k") == flat(b"a", b"1", b"b", b"\x00")
    assert encoding(h, b"k") == b"listpack"
    h.store.set(0, "big", {"f": "x" * 65})
    assert encoding(h, b"big") == b"hashtable"
    exported = h.store.get(0, "k")
    assert exported == {b"a": b"1", b"b": b"\x00"} and type(exported) is dict
    assert h.store.type(0, "k") == "hash"


# -- redis-py, both protocols ---------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.hset("h", mapping={"a": "1", "b": "2"}) == 2
        assert client.hset("h", "c", "3") == 1
        assert client.hget("h", "a") == b"1"
        assert client.hmget("h", ["a", "missing"]) == [b"1", None]
        assert client.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3"}
        assert client.hkeys("h") == [b"a", b"b", b"c"]
        assert client.hvals("h") == [b"1", b"2", b"3"]
        assert client.hlen("h") == 3
        assert client.hexists("h", "a") is True
        assert client.hstrlen("h", "a") == 1
        assert client.hsetnx("h", "a", "x") == 0
        assert client.hincrby("h", "n", 5) == 5
        assert client.hincrbyfloat("h", "f", 1.5) == 1.5
        assert client.hdel("h", "n", "f") == 2
        assert client.hrandfield("h") in (b"a", b"b", b"c")
        assert sorted(client.hrandfield("h", 2)) in ([b"a", b"b"], [b"a", b"c"], [b"b", b"c"])
        pairs = client.hrandfield("h", -3, withvalues=True)
        assert len(pairs) in (3, 6)  # redis-py keeps RESP3's nested pairs
        assert dict(client.hscan_iter("h")) == {b"a": b"1", b"b": b"2", b"c": b"3"}
        client.hset("big", mapping={f"f{i}": "v" for i in range(700)})
        assert len(dict(client.hscan_iter("big", count=50))) == 700
        assert client.object("encoding", "big") == b"hashtable"
        client.hset("h", "t", "text")
        with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
            client.hincrby("h", "t", 1)
    finally:
        client.close()
