"""HyperLogLog commands through the in-process harness (raw reply bytes), plus redis-py end to end.

The byte layout itself is tested in tests/unit/test_hll.py; here: the commands around it (replies,
errors, what gets written, signalled and notified, TTLs, encodings).  Expected bytes and texts were
checked against redis-server 7.0.15; tests/differential/test_hyperloglog.py compares with the real
server byte for byte, GET of every value included.
"""

from __future__ import annotations

import pytest
import redis

from kvfake.store import hll
from kvfake.store.values import RawString
from tests.support.resp import (
    OK,
    bulk,
    decode,
    error,
    integer,
    simple,
)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_HLL = error("WRONGTYPE Key is not a valid HyperLogLog string value.")
CORRUPT = error("INVALIDOBJ Corrupted HLL object detected")

FRESH = b"HYLL\x01\x00\x00\x00" + bytes(8)  # sparse header, valid cache of 0
STALE = FRESH[:15] + b"\x80"
EMPTY = STALE + b"\x7f\xff"  # what PFADD creates: XZERO:16384, cache stale
ABC = STALE + b"`\xf3\x80P\xb1\x84K\xfb\x80BZ"  # PFADD k a b c (redis 7.0.15)
SHORT_BODY = FRESH + b"\x7f\xfe"  # covers 16383 registers: corrupt


def elements(prefix: bytes, n: int, start: int = 0) -> list:
    return [b"%s%d" % (prefix, i) for i in range(start, start + n)]


def stored(h, key: bytes):
    with h.store.locked() as s:
        return s.dbs[0].lookup(key)


class Watcher:
    dirty = False


def watch(h, key: bytes) -> Watcher:
    watcher = Watcher()
    h.store.watchers.setdefault((0, key), set()).add(watcher)
    return watcher


@pytest.fixture
def events(h):
    seen = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((klass, event, key))
    return seen


# -- PFADD ------------------------------------------------------------------------------------


def test_pfadd_creates_a_raw_string(h):
    assert h.do(b"PFADD", b"k") == integer(1)
    assert h.do(b"GET", b"k") == bulk(EMPTY)
    assert h.do(b"TYPE", b"k") == simple("string")
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(b"raw")
    assert type(stored(h, b"k")) is RawString


def test_pfadd_replies_whether_a_register_changed(h):
    assert h.do(b"PFADD", b"k", b"a", b"b", b"c") == integer(1)
    assert h.do(b"GET", b"k") == bulk(ABC)
    assert h.do(b"PFADD", b"k", b"a") == integer(0)
    assert h.do(b"PFADD", b"k") == integer(0)
    assert h.do(b"PFADD", b"k", b"a", b"zz") == integer(1)


def test_pfadd_promotes_to_dense(h):
    h.do(b"PFADD", b"k", *elements(b"e", 2000))
    assert len(decode(h.do(b"GET", b"k"))) == hll.DENSE_SIZE
    assert h.do(b"PFDEBUG", b"ENCODING", b"k") == simple("dense")


def test_pfadd_follows_sparse_max_bytes_config(h):
    h.do(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"30")
    h.do(b"PFADD", b"k", *elements(b"e", 15))
    assert h.do(b"PFDEBUG", b"ENCODING", b"k") == simple("dense")
    h.do(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
    h.do(b"PFADD", b"j", *elements(b"e", 15))
    assert h.do(b"PFDEBUG", b"ENCODING", b"j") == simple("sparse")


def test_pfadd_change_signals_notifies_and_keeps_ttl(h, events):
    h.do(b"PFADD", b"k", b"a")
    h.do(b"EXPIRE", b"k", b"100")
    watcher = watch(h, b"k")
    events.clear()
    assert h.do(b"PFADD", b"k", b"b") == integer(1)
    assert watcher.dirty and events == [("$", b"pfadd", b"k")]
    assert h.do(b"TTL", b"k") == integer(100)


def test_pfadd_without_change_signals_nothing(h, events):
    h.do(b"PFADD", b"k", b"a")
    watcher = watch(h, b"k")
    events.clear()
    assert h.do(b"PFADD", b"k", b"a") == integer(0)
    assert not watcher.dirty and events == []


def test_pfadd_unshares_an_embstr_hll_silently(h):
    h.do(b"SET", b"k", EMPTY)
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(b"embstr")
    watcher = watch(h, b"k")
    assert h.do(b"PFADD", b"k") == integer(0)
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(b"raw")
    assert h.do(b"GET", b"k") == bulk(EMPTY) and not watcher.dirty


def test_pfadd_on_a_corrupt_value_keeps_what_it_changed(h):
    h.do(b"SET", b"k", STALE + b"\x7f\xfe")  # 16383 registers: r60274's register 16383 is past them
    assert h.do(b"PFADD", b"k", b"a", b"r60274") == CORRUPT
    assert h.do(b"GET", b"k") == bulk(STALE + b"q\xa6\x84NV")  # "a" is in (redis 7.0.15: same bytes)
    assert h.do(b"PFADD", b"k", b"r60274") == CORRUPT


@pytest.mark.parametrize(
    "value, reply",
    [
        (b"abc", NOT_HLL),
        (b"12345", NOT_HLL),
        (b"HYLL\x01" + bytes(10), NOT_HLL),
        (b"HYLX\x01" + bytes(11) + b"\x7f\xff", NOT_HLL),
        (b"HYLL\x02" + bytes(11) + b"\x7f\xff", NOT_HLL),
        (b"HYLL\x00" + bytes(11) + bytes(100), NOT_HLL),
        (FRESH, CORRUPT),
    ],
    ids=["text", "int", "too-short", "bad-magic", "bad-encoding", "dense-bad-length", "no-opcodes"],
)
def test_pfadd_rejects_strings_that_are_not_hlls(h, value, reply):
    h.do(b"SET", b"k", value)
    assert h.do(b"PFADD", b"k", b"a") == reply


@pytest.mark.parametrize("argv", [[b"PFADD", b"k", b"a"], [b"PFCOUNT", b"k"], [b"PFMERGE", b"k"],
                                  [b"PFMERGE", b"d", b"k"], [b"PFDEBUG", b"ENCODING", b"k"]],
                         ids=["pfadd", "pfcount", "pfmerge-dest", "pfmerge-source", "pfdebug"])
def test_other_types_are_wrongtype(h, argv):
    h.do(b"HSET", b"k", b"f", b"v")
    assert h.do(*argv) == WRONGTYPE
    assert h.do(b"EXISTS", b"d") == integer(0)


# -- PFCOUNT ----------------------------------------------------------------------------------


def test_pfcount_of_missing_key_is_zero(h):
    assert h.do(b"PFCOUNT", b"missing") == integer(0)
    assert h.do(b"PFCOUNT", b"missing", b"other") == integer(0)
    assert h.do(b"EXISTS", b"missing") == integer(0)


def test_pfcount_writes_the_cache_back(h):
    h.do(b"PFADD", b"k", b"a", b"b", b"c")
    watcher = watch(h, b"k")
    assert h.do(b"PFCOUNT", b"k") == integer(3)
    assert h.do(b"GET", b"k") == bulk(ABC[:8] + b"\x03" + bytes(7) + ABC[16:])
    assert watcher.dirty  # redis signals the rewritten value
    watcher.dirty = False
    assert h.do(b"PFCOUNT", b"k") == integer(3)  # a valid cache: nothing written
    assert not watcher.dirty


def test_pfcount_of_several_keys_counts_the_union_and_writes_nothing(h):
    h.do(b"PFADD", b"a", *elements(b"e", 100))
    h.do(b"PFADD", b"b", *elements(b"e", 100, 50))
    before = decode(h.do(b"GET", b"a"))
    assert h.do(b"PFCOUNT", b"a", b"b") == integer(150)
    assert h.do(b"PFCOUNT", b"a", b"a") == integer(100)
    assert h.do(b"PFCOUNT", b"a", b"missing") == integer(100)
    assert decode(h.do(b"GET", b"a")) == before


def test_pfcount_errors_come_key_by_key(h):
    h.do(b"SET", b"s", b"abc")
    h.do(b"HSET", b"hash", b"f", b"v")
    h.do(b"SET", b"bad", STALE + b"\x7f\xfe")
    assert h.do(b"PFCOUNT", b"missing", b"s", b"hash") == NOT_HLL
    assert h.do(b"PFCOUNT", b"hash", b"s") == WRONGTYPE
    assert h.do(b"PFCOUNT", b"bad", b"hash") == CORRUPT
    assert h.do(b"PFCOUNT", b"bad") == CORRUPT


@pytest.mark.parametrize("n", [10, 1000, 20000])
def test_pfcount_is_within_the_error_bound(h, n):
    for start in range(0, n, 5000):
        h.do(b"PFADD", b"k", *elements(b"item:", min(5000, n - start), start))
    count = decode(h.do(b"PFCOUNT", b"k"))
    assert abs(count - n) <= max(1, 0.03 * n)  # standard error 0.81%


# -- PFMERGE ----------------------------------------------------------------------------------


def test_pfmerge_creates_the_union(h, events):
    h.do(b"PFADD", b"a", *elements(b"e", 60))
    h.do(b"PFADD", b"b", *elements(b"e", 60, 30))
    events.clear()
    assert h.do(b"PFMERGE", b"m", b"a", b"b") == OK
    assert events == [("$", b"pfadd", b"m")]
    assert h.do(b"PFCOUNT", b"m") == integer(90)
    assert h.do(b"TYPE", b"m") == simple("string")


def test_pfmerge_destination_is_a_source(h):
    h.do(b"PFADD", b"a", *elements(b"e", 10))
    h.do(b"PFADD", b"b", *elements(b"x", 10))
    h.do(b"PFMERGE", b"a", b"b")
    assert h.do(b"PFCOUNT", b"a") == integer(20)


def test_pfmerge_of_nothing_creates_an_empty_hll(h):
    assert h.do(b"PFMERGE", b"m") == OK
    assert h.do(b"GET", b"m") == bulk(EMPTY)
    assert h.do(b"PFMERGE", b"n", b"missing") == OK
    assert h.do(b"GET", b"n") == bulk(EMPTY)


def test_pfmerge_keeps_the_destination_ttl_and_signals(h):
    h.do(b"PFADD", b"m", b"a")
    h.do(b"EXPIRE", b"m", b"100")
    watcher = watch(h, b"m")
    assert h.do(b"PFMERGE", b"m", b"m") == OK  # rewritten even without a change
    assert watcher.dirty
    assert h.do(b"TTL", b"m") == integer(100)


def test_pfmerge_with_dense_input_makes_a_dense_destination(h):
    h.do(b"PFADD", b"d", *elements(b"e", 3000))
    h.do(b"PFADD", b"s", b"a")
    h.do(b"PFMERGE", b"s", b"d")
    assert h.do(b"PFDEBUG", b"ENCODING", b"s") == simple("dense")


def test_pfmerge_errors_write_nothing(h):
    h.do(b"SET", b"s", b"abc")
    h.do(b"SET", b"bad", STALE + b"\x7f\xfe")
    assert h.do(b"PFMERGE", b"m", b"s") == NOT_HLL
    assert h.do(b"PFMERGE", b"m", b"bad") == CORRUPT
    assert h.do(b"EXISTS", b"m") == integer(0)


# -- PFDEBUG ----------------------------------------------------------------------------------


def test_pfdebug_decode_and_encoding(h):
    h.do(b"PFADD", b"k", b"a", b"b", b"c")
    assert h.do(b"PFDEBUG", b"DECODE", b"k") == bulk(b"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603")
    assert h.do(b"PFDEBUG", b"encoding", b"k") == simple("sparse")
    h.do(b"SET", b"z", FRESH + b"\x00\x3f\x7f\xbe")
    assert h.do(b"PFDEBUG", b"DECODE", b"z") == bulk(b"z:1 z:64 Z:16319")
    h.do(b"SET", b"lone", FRESH + b"\x7f")
    assert h.do(b"PFDEBUG", b"DECODE", b"lone") == bulk(b"Z:16129")
    h.do(b"SET", b"empty", FRESH)
    assert h.do(b"PFDEBUG", b"DECODE", b"empty") == bulk(b"")


def test_pfdebug_todense(h):
    h.do(b"PFADD", b"k", b"a", b"b", b"c")
    watcher = watch(h, b"k")
    assert h.do(b"PFDEBUG", b"TODENSE", b"k") == integer(1)
    assert h.do(b"PFDEBUG", b"TODENSE", b"k") == integer(0)
    assert h.do(b"PFDEBUG", b"ENCODING", b"k") == simple("dense")
    assert h.do(b"PFDEBUG", b"DECODE", b"k") == error("ERR HLL encoding is not sparse")
    assert len(decode(h.do(b"GET", b"k"))) == hll.DENSE_SIZE
    assert not watcher.dirty  # redis rewrites the value in place without signalling the key
    assert h.do(b"PFCOUNT", b"k") == integer(3)


def test_pfdebug_getreg_lists_registers_and_converts_to_dense(h):
    h.do(b"PFADD", b"k", b"a", b"b", b"c")
    registers = decode(h.do(b"PFDEBUG", b"GETREG", b"k"))
    assert len(registers) == 16384
    assert sorted(r for r in registers if r) == [1, 1, 2]
    assert registers[8436] == 1 and registers[8436 + 1 + 4274] == 2
    assert h.do(b"PFDEBUG", b"ENCODING", b"k") == simple("dense")


@pytest.mark.parametrize(
    "argv, reply",
    [
        ([b"PFDEBUG", b"GETREG", b"missing"], error("ERR The specified key does not exist")),
        ([b"PFDEBUG", b"FOO", b"missing"], error("ERR The specified key does not exist")),
        ([b"PFDEBUG", b"FOO", b"k"], error("ERR Unknown PFDEBUG subcommand 'FOO'")),
        ([b"PFDEBUG", b"foo\x00bar", b"k"], error("ERR Unknown PFDEBUG subcommand 'foo'")),
        ([b"PFDEBUG", b"FOO", b"s"], NOT_HLL),
        ([b"PFDEBUG", b"GETREG", b"bad"], CORRUPT),
        ([b"PFDEBUG", b"TODENSE", b"bad"], CORRUPT),
        ([b"PFDEBUG", b"ENCODING"], error("ERR wrong number of arguments for 'pfdebug' command")),
    ],
    ids=["missing", "missing-before-subcommand", "unknown", "unknown-c-string", "not-hll", "getreg-corrupt",
         "todense-corrupt", "arity"],
)
def test_pfdebug_errors(h, argv, reply):
    h.do(b"PFADD", b"k", b"a")
    h.do(b"SET", b"s", b"abc")
    h.do(b"SET", b"bad", STALE + b"\x7f\xfe")
    assert h.do(*argv) == reply


def test_pfselftest_is_not_implemented(h):
    assert h.do(b"PFSELFTEST").startswith(b"-ERR unknown command 'PFSELFTEST'")


# -- keyspace ---------------------------------------------------------------------------------


def test_hll_survives_copy_rename_and_expires(h):
    h.do(b"PFADD", b"k", b"a", b"b")
    assert h.do(b"COPY", b"k", b"c") == integer(1)
    assert h.do(b"RENAME", b"c", b"r") == OK
    assert h.do(b"PFCOUNT", b"r") == integer(2)
    assert h.do(b"PFADD", b"k", b"z") == integer(1)
    assert h.do(b"PFCOUNT", b"r", b"k") == integer(3)
    h.do(b"PEXPIRE", b"k", b"1000")
    h.clock.advance(1.5)
    assert h.do(b"PFCOUNT", b"k") == integer(0)
    assert h.do(b"PFADD", b"k") == integer(1)
    assert h.do(b"TTL", b"k") == integer(-1)


# -- redis-py, both protocols -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.pfadd("a", "x", "y", "z") == 1
        assert client.pfadd("a", "x") == 0
        assert client.pfcount("a") == 3
        assert client.pfadd("b", *[f"e{i}" for i in range(1000)]) == 1
        assert client.pfmerge("m", "a", "b") is True
        assert abs(client.pfcount("m") - 1003) < 30
        assert client.pfcount("a", "b") == client.pfcount("m")
        assert client.type("m") == b"string"
        assert client.get("a")[:4] == b"HYLL"
        client.set("s", "abc")
        with pytest.raises(redis.ResponseError, match="not a valid HyperLogLog"):
            client.pfadd("s", "x")
        assert client.get("missing") is None
    finally:
        client.close()
