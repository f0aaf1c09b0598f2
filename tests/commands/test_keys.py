"""Generic (keyspace) commands through the in-process harness: raw reply bytes, ManualClock time.

Aggregate values are put straight into the store (``_put``), so these tests do not wait for the
list/hash/set groups; a few end-to-end tests use redis-py (RESP2 and RESP3) against ``kvfake_server``.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from kvfake.commands import keys as keys_module
from kvfake.store.snapshot import dump
from kvfake.store.values import ENCODINGS, TYPE_NAMES, Hash, List, RawString, SdsString, SetValue
from tests.support.harness import START, Harness
from tests.support.resp import NIL, OK, array, bulk, decode, error, integer, null, simple

NOW_MS = START * 1000
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def _put(h, key: bytes, value, *, db: int = 0, expire_at_ms: "int | None" = None) -> None:
    with h.store.locked() as s:
        s.dbs[db].set_value(key, value)
        if expire_at_ms is not None:
            s.dbs[db].set_expire(key, expire_at_ms)


def _data(h, db: int = 0) -> dict:
    """The raw keyspace dict (expired-but-unswept keys included)."""
    return h.store.dbs[db].data


def _scan_all(h, *options, cursor=b"0") -> list:
    keys: list = []
    for _ in range(100_000):
        cursor, batch = decode(h.do(b"SCAN", cursor, *options))
        keys.extend(batch)
        if cursor == b"0":
            return keys
    raise AssertionError("SCAN did not finish")


class Watcher:
    dirty = False


def _watch(h, key: bytes, db: int = 0) -> Watcher:
    watcher = Watcher()
    h.store.watchers.setdefault((db, key), set()).add(watcher)
    return watcher


# -- DEL UNLINK EXISTS TOUCH -----------------------------------------------------------------


@pytest.mark.parametrize("command", [b"DEL", b"UNLINK"])
def test_del_counts_keys_removed_once(h, command):
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"b", b"2")
    assert h.do(command, b"a", b"b", b"missing", b"a") == integer(2)
    assert h.do(b"EXISTS", b"a", b"b") == integer(0)


@pytest.mark.parametrize("command", [b"DEL", b"UNLINK"])
def test_del_expired_key_is_not_counted(h, command):
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + 1000)
    h.clock.advance(1.001)  # 1 ms past the expiry time
    assert h.do(command, b"k") == integer(0)
    assert b"k" not in _data(h)


def test_del_signals_watchers_and_dirty(h):
    h.do(b"SET", b"k", b"v")
    watcher = _watch(h, b"k")
    dirty = h.store.dirty
    assert h.do(b"DEL", b"k") == integer(1)
    assert watcher.dirty and h.store.dirty == dirty + 1


@pytest.mark.parametrize("command", [b"EXISTS", b"TOUCH"])
def test_exists_counts_repeats(h, command):
    h.do(b"SET", b"a", b"1")
    assert h.do(command, b"a", b"a", b"a", b"missing") == integer(3)
    assert h.do(command, b"missing") == integer(0)


@pytest.mark.parametrize("command", [b"EXISTS", b"TOUCH"])
def test_exists_expired_key_is_gone(h, command):
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + 1000)
    assert h.do(command, b"k") == integer(1)
    h.clock.advance(1)
    assert h.do(command, b"k") == integer(1)  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(command, b"k") == integer(0)


@pytest.mark.parametrize(
    "argv, name",
    [
        ((b"DEL",), "del"),
        ((b"UNLINK",), "unlink"),
        ((b"EXISTS",), "exists"),
        ((b"TOUCH",), "touch"),
        ((b"TYPE",), "type"),
        ((b"KEYS",), "keys"),
        ((b"SCAN",), "scan"),
        ((b"RANDOMKEY", b"x"), "randomkey"),
        ((b"RENAME", b"a"), "rename"),
        ((b"RENAMENX", b"a", b"b", b"c"), "renamenx"),
        ((b"COPY", b"a"), "copy"),
        ((b"MOVE", b"a"), "move"),
        ((b"EXPIRE", b"a"), "expire"),
        ((b"PEXPIREAT", b"a"), "pexpireat"),
        ((b"TTL", b"a", b"b"), "ttl"),
        ((b"PEXPIRETIME",), "pexpiretime"),
        ((b"PERSIST",), "persist"),
        ((b"OBJECT",), "object"),
        ((b"OBJECT", b"ENCODING"), "object|encoding"),
        ((b"OBJECT", b"HELP", b"x"), "object|help"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_arity_errors(h, argv, name):
    assert h.do(*argv) == error(f"ERR wrong number of arguments for '{name}' command")


# -- TYPE ---------------------------------------------------------------------------------------

TYPES = [
    (b"plain", b"string"),
    (RawString(b"raw"), b"string"),
    (SdsString(b"1.5"), b"string"),
    (Hash({b"f": b"v"}), b"hash"),
    (List([b"a"]), b"list"),
    (SetValue({b"m"}), b"set"),
]


@pytest.mark.parametrize("value, name", TYPES, ids=[t[1].decode() + "-" + type(t[0]).__name__ for t in TYPES])
def test_type_names_every_kind(h, value, name):
    _put(h, b"k", value)
    assert h.do(b"TYPE", b"k") == simple(name)


def test_type_missing_and_expired_is_none(h):
    assert h.do(b"TYPE", b"missing") == simple("none")
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + 10)
    h.clock.advance(0.01)
    assert h.do(b"TYPE", b"k") == simple("string")  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"TYPE", b"k") == simple("none")


class Zset(dict):
    """A value kind registered later, as the sorted-set group will."""

    def copy(self):
        return Zset(self)


@pytest.fixture
def zset_kind(monkeypatch):
    monkeypatch.setitem(TYPE_NAMES, Zset, b"zset")
    monkeypatch.setitem(ENCODINGS, Zset, lambda v: b"skiplist" if len(v) > 2 else b"listpack")
    return Zset


def test_type_of_a_kind_registered_later(h, zset_kind):
    _put(h, b"z", zset_kind({b"a": 1.0}))
    assert h.do(b"TYPE", b"z") == simple("zset")
    assert h.do(b"OBJECT", b"ENCODING", b"z") == bulk(b"listpack")


# -- KEYS ----------------------------------------------------------------------------------------


def _sorted_keys(raw: bytes) -> list:
    return sorted(decode(raw))


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (b"*", [b"", b"hallo", b"hello", b"hxllo", b"x\x00y"]),
        (b"h?llo", [b"hallo", b"hello", b"hxllo"]),
        (b"h[ae]llo", [b"hallo", b"hello"]),
        (b"h[^e]llo", [b"hallo", b"hxllo"]),
        (b"x\x00*", [b"x\x00y"]),
        (b"**", [b"hallo", b"hello", b"hxllo", b"x\x00y"]),  # only the one-byte "*" lists ""
        (b"", [b""]),
        (b"nomatch", []),
    ],
    ids=["star", "qmark", "class", "negated", "nul", "double-star", "empty", "none"],
)
def test_keys_glob(h, pattern, expected):
    for key in (b"", b"hallo", b"hello", b"hxllo", b"x\x00y"):
        h.do(b"SET", key, b"1")
    assert _sorted_keys(h.do(b"KEYS", pattern)) == expected


def test_keys_skips_expired_without_deleting(h):
    h.do(b"SET", b"live", b"1")
    _put(h, b"dead", b"1", expire_at_ms=NOW_MS + 5)
    h.clock.advance(0.005)
    assert _sorted_keys(h.do(b"KEYS", b"*")) == [b"dead", b"live"]  # still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"KEYS", b"*") == array(bulk(b"live"))
    assert h.do(b"KEYS", b"d*") == array()
    assert b"dead" in _data(h)  # redis 7.0: KEYS checks expiry but never deletes


# -- SCAN -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [b"abc", b" 0", b"0 ", b"1.5", b"0x10", b"+", b"-", b"18446744073709551616", b"-18446744073709551616",
     b"\t1"],
    ids=["word", "lead-space", "trail-space", "float", "hex", "plus", "minus", "2^64", "-2^64", "tab"],
)
def test_scan_invalid_cursor(h, cursor):
    assert h.do(b"SCAN", cursor) == error("ERR invalid cursor")


@pytest.mark.parametrize(
    "cursor", [b"", b"00", b"-0", b"+0", b"\x00", b"0\x00junk"], ids=["empty", "00", "-0", "+0", "nul", "0-nul"]
)
def test_scan_cursors_read_as_zero(h, cursor):
    h.do(b"SET", b"k", b"v")
    assert h.do(b"SCAN", cursor) == array(bulk(b"0"), array(bulk(b"k")))


@pytest.mark.parametrize(
    "cursor", [b"-1", b"18446744073709551615", b"+7", b"-18446744073709551615"], ids=["-1", "max", "+7", "-max"]
)
def test_scan_other_valid_cursors_are_accepted(h, cursor):
    h.do(b"SET", b"k", b"v")
    reply = decode(h.do(b"SCAN", cursor))
    assert isinstance(reply, list) and len(reply) == 2


def test_scan_cursor_is_read_before_options(h):
    assert h.do(b"SCAN", b"x", b"COUNT", b"0") == error("ERR invalid cursor")


@pytest.mark.parametrize(
    "options, text",
    [
        ((b"COUNT", b"0"), "ERR syntax error"),
        ((b"COUNT", b"-1"), "ERR syntax error"),
        ((b"COUNT", b"abc"), "ERR value is not an integer or out of range"),
        ((b"COUNT", b"9223372036854775808"), "ERR value is not an integer or out of range"),
        ((b"COUNT",), "ERR syntax error"),
        ((b"MATCH",), "ERR syntax error"),
        ((b"TYPE",), "ERR syntax error"),
        ((b"FOO", b"bar"), "ERR syntax error"),
        ((b"COUNT", b"5", b"COUNT", b"0"), "ERR syntax error"),
        ((b"COUNT", b"5", b"MATCH"), "ERR syntax error"),
    ],
    ids=["count-0", "count-neg", "count-word", "count-huge", "count-alone", "match-alone", "type-alone",
         "unknown", "second-count-0", "trailing-match"],
)
def test_scan_option_errors(h, options, text):
    assert h.do(b"SCAN", b"0", *options) == error(text)


@pytest.mark.parametrize(
    "argv, reply",
    [
        ((b"SCAN", b"0", b"count\x00x", b"5"), array(bulk(b"0"), array(bulk(b"k")))),
        ((b"SCAN", b"0", b"TYPE", b"STRING\x00x"), array(bulk(b"0"), array(bulk(b"k")))),
        ((b"SCAN", b"0", b"\x00count", b"5"), error("ERR syntax error")),
        ((b"EXPIRE", b"k", b"10", b"nx\x00zz", b"XX"),
         error("ERR NX and XX, GT or LT options at the same time are not compatible")),
        ((b"COPY", b"k", b"k2", b"db\x00", b"1"), integer(1)),
        ((b"COPY", b"k", b"k2", b"REPLACE\x00x"), integer(1)),
    ],
    ids=["scan-count", "scan-type", "scan-leading-nul", "expire-nx", "copy-db", "copy-replace"],
)
def test_option_names_compare_as_c_strings(h, argv, reply):
    h.do(b"SET", b"k", b"v")
    assert h.do(*argv) == reply


def test_scan_small_keyspace_in_one_reply(h):
    assert h.do(b"SCAN", b"0") == array(bulk(b"0"), array())
    for key in (b"", b"a", b"b"):
        h.do(b"SET", key, b"1")
    cursor, keys = decode(h.do(b"SCAN", b"0"))
    assert cursor == b"0" and sorted(keys) == [b"", b"a", b"b"]


@pytest.mark.parametrize("count", [1, 2, 7, 10, 100, 5000])
def test_scan_full_iteration_returns_each_key_once(h, count):
    keys = {b"key:%d" % i for i in range(1000)}
    for key in keys:
        h.do(b"SET", key, b"v")
    got = _scan_all(h, b"COUNT", b"%d" % count)
    assert len(got) == len(keys) and set(got) == keys


def test_scan_count_bounds_each_reply(h):
    for i in range(100):
        h.do(b"SET", b"k%d" % i, b"v")
    cursor, keys = decode(h.do(b"SCAN", b"0", b"COUNT", b"7"))
    assert cursor != b"0" and 1 <= len(keys) <= 8  # a hash tie may add a key


def test_scan_match_and_type(h, zset_kind):
    for i in range(30):
        h.do(b"SET", b"s%d" % i, b"v")
        _put(h, b"h%d" % i, Hash({b"f": b"v"}))
        _put(h, b"z%d" % i, zset_kind({b"m": 1.0}))
    assert sorted(_scan_all(h, b"MATCH", b"s1*")) == sorted([b"s1"] + [b"s1%d" % i for i in range(10)])
    assert sorted(_scan_all(h, b"TYPE", b"HASH", b"COUNT", b"3")) == sorted(b"h%d" % i for i in range(30))
    assert sorted(_scan_all(h, b"type", b"zset", b"match", b"z2?")) == sorted(b"z2%d" % i for i in range(10))
    assert _scan_all(h, b"TYPE", b"nosuchtype") == []
    assert _scan_all(h, b"TYPE", b"none") == []


def test_scan_last_option_wins(h):
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"b", b"1")
    assert h.do(b"SCAN", b"0", b"MATCH", b"*", b"MATCH", b"a") == array(bulk(b"0"), array(bulk(b"a")))
    assert h.do(b"SCAN", b"0", b"TYPE", b"hash", b"TYPE", b"string", b"MATCH", b"b") == array(
        bulk(b"0"), array(bulk(b"b")))


def test_scan_skips_and_deletes_expired_keys(h):
    for i in range(50):
        _put(h, b"k%d" % i, b"v", expire_at_ms=NOW_MS + 100 if i % 2 else None)
    h.clock.advance(0.1)
    assert len(_scan_all(h, b"COUNT", b"5")) == 50  # still there at now == when
    h.clock.advance(0.001)
    assert sorted(_scan_all(h, b"COUNT", b"5")) == sorted(b"k%d" % i for i in range(0, 50, 2))
    assert len(_data(h)) == 25


def test_scan_type_none_returns_just_expired_keys(h):
    # redis 7.0 quirk: the TYPE check's lookup deletes an expired key and calls it "none"
    h.do(b"SET", b"live", b"v")
    _put(h, b"dead", b"v", expire_at_ms=NOW_MS + 1)
    h.clock.advance(0.002)
    assert h.do(b"SCAN", b"0", b"TYPE", b"none") == array(bulk(b"0"), array(bulk(b"dead")))
    assert b"dead" not in _data(h)
    assert h.do(b"SCAN", b"0", b"TYPE", b"none") == array(bulk(b"0"), array())


def test_scan_cursor_survives_inserts_and_deletes(h):
    stable = {b"stable:%d" % i for i in range(200)}
    for key in stable:
        h.do(b"SET", key, b"v")
    seen: list = []
    cursor = b"0"
    step = 0
    while True:
        cursor, batch = decode(h.do(b"SCAN", cursor, b"COUNT", b"9"))
        seen.extend(batch)
        if cursor == b"0":
            break
        for i in range(5):  # churn: other keys come and go between calls
            h.do(b"SET", b"churn:%d:%d" % (step, i), b"v")
        h.do(b"DEL", b"churn:%d:0" % (step - 1), b"churn:%d:3" % (step - 2))
        step += 1
    assert stable <= set(seen)
    assert len([k for k in seen if k in stable]) == len(stable)  # and none of them twice


@pytest.mark.parametrize("count", [1, 3, 10])
def test_scan_never_splits_keys_with_equal_hashes(h, monkeypatch, count):
    monkeypatch.setattr(keys_module, "key_hash", lambda key: key[-1] % 5 + 1)  # many ties
    keys = {b"k%d" % i for i in range(60)}
    for key in keys:
        h.do(b"SET", key, b"v")
    got = _scan_all(h, b"COUNT", b"%d" % count)
    assert sorted(got) == sorted(keys)


def test_scan_deleted_keys_are_not_typed_none(h):
    for i in range(40):
        h.do(b"SET", b"k%d" % i, b"v")
    cursor, _ = decode(h.do(b"SCAN", b"0", b"COUNT", b"2"))
    h.do(b"DEL", *(b"k%d" % i for i in range(40)))
    assert _scan_all(h, b"TYPE", b"none", cursor=cursor) == []


def test_scan_new_scan_sees_keys_added_since_the_last(h):
    for i in range(50):
        h.do(b"SET", b"a%d" % i, b"v")
    assert len(_scan_all(h, b"COUNT", b"5")) == 50
    for i in range(50):
        h.do(b"SET", b"b%d" % i, b"v")
    assert len(set(_scan_all(h, b"COUNT", b"5"))) == 100


def test_scan_continues_after_flush(h):
    for i in range(100):
        h.do(b"SET", b"old%d" % i, b"v")
    cursor, _ = decode(h.do(b"SCAN", b"0", b"COUNT", b"10"))
    h.store.flushdb(0)
    for i in range(100):
        h.do(b"SET", b"new%d" % i, b"v")
    rest = _scan_all(h, b"COUNT", b"10", cursor=cursor)
    assert all(k.startswith(b"new") for k in rest)


def test_scan_in_selected_db(h):
    h.do(b"SET", b"zero", b"v")
    h.do(b"SELECT", b"2")
    for i in range(25):
        h.do(b"SET", b"two%d" % i, b"v")
    assert sorted(_scan_all(h, b"COUNT", b"4")) == sorted(b"two%d" % i for i in range(25))


def test_scan_order_does_not_depend_on_insertion_order():
    a, b = Harness(), Harness()
    keys = [b"k%d" % i for i in range(50)]
    for key in keys:
        a.do(b"SET", key, b"v")
    for key in reversed(keys):
        b.do(b"SET", key, b"v")
    assert a.do(b"SCAN", b"0", b"COUNT", b"5") == b.do(b"SCAN", b"0", b"COUNT", b"5")


ops = st.lists(
    st.tuples(st.sampled_from(["set", "del"]), st.integers(0, 30)),
    max_size=12,
)


@settings(max_examples=60)
@given(
    stable=st.sets(st.integers(0, 300), max_size=80),
    count=st.integers(1, 20),
    churn=st.lists(ops, max_size=40),
)
def test_scan_returns_every_key_present_throughout(stable, count, churn):
    """Keys present for the whole scan are all returned, whatever happens to other keys meanwhile."""
    h = Harness()
    stable_keys = {b"s%d" % i for i in stable}
    for key in stable_keys:
        h.do(b"SET", key, b"v")
    ever = set(stable_keys)
    seen: list = []
    cursor = b"0"
    for calls in range(10_000):
        cursor, batch = decode(h.do(b"SCAN", cursor, b"COUNT", b"%d" % count))
        seen.extend(batch)
        if cursor == b"0":
            break
        for op, n in churn[calls] if calls < len(churn) else ():
            key = b"c%d" % n
            if op == "set":
                h.do(b"SET", key, b"v")
                ever.add(key)
            else:
                h.do(b"DEL", key)
    assert stable_keys <= set(seen)
    assert set(seen) <= ever
    assert sorted(k for k in seen if k in stable_keys) == sorted(stable_keys)  # each once
    assert not h.internal_errors


# -- RANDOMKEY -------------------------------------------------------------------------------------


def test_randomkey_empty_is_null(h):
    assert h.do(b"RANDOMKEY") == NIL
    h.session.protover = 3
    assert h.do(b"RANDOMKEY") == null()


def test_randomkey_returns_a_live_key(h):
    h.do(b"SET", b"live", b"v")
    for i in range(20):
        _put(h, b"dead%d" % i, b"v", expire_at_ms=NOW_MS + 1)
    h.clock.advance(0.002)
    for _ in range(5):
        assert h.do(b"RANDOMKEY") == bulk(b"live")


def test_randomkey_is_repeatable_with_a_seed():
    def picks(seed):
        h = Harness(seed=seed)
        for i in range(100):
            h.do(b"SET", b"k%d" % i, b"v")
        return [h.do(b"RANDOMKEY") for _ in range(10)]

    assert picks(7) == picks(7)
    assert len(set(picks(7))) > 1


# -- RENAME RENAMENX -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [b"RENAME", b"RENAMENX"])
def test_rename_missing_key_is_an_error(h, command):
    assert h.do(command, b"missing", b"x") == error("ERR no such key")
    assert h.do(command, b"missing", b"missing") == error("ERR no such key")


def test_rename_moves_value_and_ttl(h):
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 5000)
    assert h.do(b"RENAME", b"a", b"b") == OK
    assert h.do(b"EXISTS", b"a") == integer(0)
    assert h.do(b"GET", b"b") == bulk(b"1")
    assert h.do(b"PTTL", b"b") == integer(5000)


def test_rename_overwrites_target_and_its_ttl(h):
    h.do(b"SET", b"a", b"1")
    _put(h, b"b", List([b"x"]), expire_at_ms=NOW_MS + 5000)
    assert h.do(b"RENAME", b"a", b"b") == OK
    assert h.do(b"GET", b"b") == bulk(b"1")
    assert h.do(b"TTL", b"b") == integer(-1)


def test_rename_same_key(h):
    h.do(b"SET", b"a", b"1")
    assert h.do(b"RENAME", b"a", b"a") == OK
    assert h.do(b"RENAMENX", b"a", b"a") == integer(0)
    assert h.do(b"GET", b"a") == bulk(b"1")


def test_renamenx_keeps_existing_target(h):
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"b", b"2")
    assert h.do(b"RENAMENX", b"a", b"b") == integer(0)
    assert h.do(b"GET", b"b") == bulk(b"2")
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 3000)
    assert h.do(b"RENAMENX", b"a", b"c") == integer(1)
    assert h.do(b"PTTL", b"c") == integer(3000)


def test_rename_of_expired_source_is_no_such_key(h):
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 1)
    h.clock.advance(0.002)
    assert h.do(b"RENAME", b"a", b"b") == error("ERR no such key")


def test_rename_signals_both_keys(h):
    h.do(b"SET", b"a", b"1")
    wa, wb = _watch(h, b"a"), _watch(h, b"b")
    h.do(b"RENAME", b"a", b"b")
    assert wa.dirty and wb.dirty


# -- COPY ---------------------------------------------------------------------------------------------


def test_copy_string_and_ttl(h):
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 7000)
    assert h.do(b"COPY", b"a", b"b") == integer(1)
    assert h.do(b"GET", b"b") == bulk(b"1")
    assert h.do(b"PTTL", b"b") == integer(7000)
    assert h.do(b"PTTL", b"a") == integer(7000)


def test_copy_existing_target_needs_replace(h):
    h.do(b"SET", b"a", b"1")
    _put(h, b"b", b"2", expire_at_ms=NOW_MS + 7000)
    assert h.do(b"COPY", b"a", b"b") == integer(0)
    assert h.do(b"COPY", b"a", b"b", b"replace", b"REPLACE") == integer(1)
    assert h.do(b"GET", b"b") == bulk(b"1")
    assert h.do(b"TTL", b"b") == integer(-1)


def test_copy_missing_source(h):
    assert h.do(b"COPY", b"missing", b"b") == integer(0)
    assert h.do(b"COPY", b"missing", b"b", b"REPLACE") == integer(0)


@pytest.mark.parametrize(
    "options, text",
    [
        ((), "ERR source and destination objects are the same"),
        ((b"DB", b"0"), "ERR source and destination objects are the same"),
        ((b"DB",), "ERR syntax error"),
        ((b"DB", b"abc"), "ERR value is not an integer or out of range"),
        ((b"DB", b"16"), "ERR DB index is out of range"),
        ((b"DB", b"-1"), "ERR DB index is out of range"),
        ((b"DB", b"2147483648"), "ERR value is out of range, value must between -2147483648 and 2147483647"),
        ((b"FOO",), "ERR syntax error"),
        ((b"DB", b"1", b"FOO"), "ERR syntax error"),
        ((b"DB", b"99", b"FOO"), "ERR DB index is out of range"),
    ],
    ids=["same", "same-db", "db-alone", "db-word", "db-16", "db-neg", "db-int32", "unknown", "trailing",
         "db-checked-first"],
)
def test_copy_errors(h, options, text):
    h.do(b"SET", b"a", b"1")
    assert h.do(b"COPY", b"a", b"a", *options) == error(text)


def test_copy_to_other_db(h):
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 9000)
    assert h.do(b"COPY", b"a", b"a", b"DB", b"1", b"db", b"2") == integer(1)
    assert h.store.get(1, b"a") is None
    assert h.store.get(2, b"a") == b"1"
    assert h.store.ttl(2, b"a") == 9.0
    _put(h, b"a", b"other", db=1)
    assert h.do(b"COPY", b"a", b"a", b"DB", b"1") == integer(0)
    assert h.do(b"COPY", b"a", b"a", b"DB", b"1", b"REPLACE") == integer(1)
    assert h.store.get(1, b"a") == b"1"


AGGREGATES = [
    (Hash({b"f": b"v"}), False),
    (Hash({b"f": b"v"}), True),
    (SetValue({b"1", b"2"}), False),
    (SetValue({b"a"}), True),
    (List([b"a", b"b"]), None),
]


@pytest.mark.parametrize("value, big", AGGREGATES, ids=["hash", "hash-big", "set", "set-big", "list"])
def test_copy_aggregate_is_deep_and_keeps_encoding(h, value, big):
    if big is not None:
        value.big = big
    _put(h, b"src", value)
    assert h.do(b"COPY", b"src", b"dst") == integer(1)
    copy = h.store.dbs[0].data[b"dst"]
    assert type(copy) is type(value) and copy == value and copy is not value
    assert h.do(b"OBJECT", b"ENCODING", b"dst") == h.do(b"OBJECT", b"ENCODING", b"src")
    if isinstance(copy, dict):
        copy[b"new"] = b"x"
    elif isinstance(copy, set):
        copy.add(b"new")
    else:
        copy.append(b"new")
    assert b"new" not in value


def test_copy_kind_registered_later_uses_its_copy(h, zset_kind):
    _put(h, b"z", zset_kind({b"a": 1.0}))
    assert h.do(b"COPY", b"z", b"z2") == integer(1)
    copy = h.store.dbs[0].data[b"z2"]
    assert type(copy) is zset_kind and copy == {b"a": 1.0} and copy is not h.store.dbs[0].data[b"z"]


@pytest.mark.parametrize("value, expected", [(b"12", b"int"), (b"hello", b"embstr"), (RawString(b"ab"), b"raw")],
                         ids=["int", "embstr", "raw"])
def test_copy_keeps_string_encoding(h, value, expected):
    _put(h, b"a", value)
    h.do(b"COPY", b"a", b"b")
    assert h.do(b"OBJECT", b"ENCODING", b"b") == bulk(expected)


# -- MOVE ------------------------------------------------------------------------------------------------


def test_move_with_ttl(h):
    _put(h, b"a", b"1", expire_at_ms=NOW_MS + 4000)
    assert h.do(b"MOVE", b"a", b"1") == integer(1)
    assert h.do(b"EXISTS", b"a") == integer(0)
    h.do(b"SELECT", b"1")
    assert h.do(b"GET", b"a") == bulk(b"1")
    assert h.do(b"PTTL", b"a") == integer(4000)


def test_move_keeps_existing_target(h):
    h.do(b"SET", b"a", b"src")
    _put(h, b"a", b"dst", db=1)
    assert h.do(b"MOVE", b"a", b"1") == integer(0)
    assert h.store.get(0, b"a") == b"src" and h.store.get(1, b"a") == b"dst"


@pytest.mark.parametrize(
    "key, db, text",
    [
        (b"a", b"0", "ERR source and destination objects are the same"),
        (b"missing", b"0", "ERR source and destination objects are the same"),
        (b"a", b"abc", "ERR value is not an integer or out of range"),
        (b"a", b"16", "ERR DB index is out of range"),
        (b"a", b"-1", "ERR DB index is out of range"),
        (b"a", b"2147483648", "ERR value is out of range, value must between -2147483648 and 2147483647"),
    ],
    ids=["same", "same-missing", "word", "16", "negative", "int32"],
)
def test_move_errors(h, key, db, text):
    h.do(b"SET", b"a", b"1")
    assert h.do(b"MOVE", key, db) == error(text)


def test_move_missing_key(h):
    assert h.do(b"MOVE", b"missing", b"1") == integer(0)


# -- EXPIRE family ---------------------------------------------------------------------------------------

# (command, argument, options, initial expiry in ms from now or None, reply, PTTL after)
EXPIRES = [
    (b"EXPIRE", b"100", (), None, 1, 100_000),
    (b"PEXPIRE", b"1500", (), None, 1, 1500),
    (b"EXPIREAT", b"%d" % (START + 60), (), None, 1, 60_000),
    (b"PEXPIREAT", b"%d" % (NOW_MS + 123), (), None, 1, 123),
    (b"EXPIRE", b"100", (b"NX",), None, 1, 100_000),
    (b"EXPIRE", b"100", (b"NX",), 5000, 0, 5000),
    (b"EXPIRE", b"100", (b"XX",), None, 0, -1),
    (b"EXPIRE", b"100", (b"XX",), 5000, 1, 100_000),
    (b"EXPIRE", b"100", (b"GT",), None, 0, -1),  # no TTL is infinite
    (b"EXPIRE", b"100", (b"LT",), None, 1, 100_000),
    (b"EXPIRE", b"100", (b"GT",), 5000, 1, 100_000),
    (b"EXPIRE", b"5", (b"GT",), 5000, 0, 5000),  # equal is not greater
    (b"PEXPIRE", b"5001", (b"gt",), 5000, 1, 5001),
    (b"EXPIRE", b"5", (b"LT",), 5000, 0, 5000),  # equal is not less
    (b"PEXPIRE", b"4999", (b"lt",), 5000, 1, 4999),
    (b"EXPIRE", b"100", (b"XX", b"GT"), 5000, 1, 100_000),
    (b"EXPIRE", b"100", (b"XX", b"LT"), 5000, 0, 5000),
    (b"EXPIRE", b"100", (b"NX", b"NX"), None, 1, 100_000),
    (b"EXPIRE", b"-5", (b"GT",), None, 0, -1),
    (b"EXPIRE", b"-5", (b"XX",), None, 0, -1),
    (b"EXPIRE", b"-5", (b"LT",), None, 1, -2),  # LT passes, then the past deletes
    (b"EXPIRE", b"-1", (), None, 1, -2),
    (b"EXPIRE", b"0", (), 5000, 1, -2),
    (b"PEXPIRE", b"0", (), None, 1, -2),
    (b"PEXPIREAT", b"0", (), None, 1, -2),
    (b"PEXPIREAT", b"%d" % NOW_MS, (), None, 1, -2),  # exactly now is in the past
    (b"PEXPIREAT", b"%d" % (NOW_MS + 1), (), None, 1, 1),
    (b"EXPIREAT", b"-100", (), None, 1, -2),
    (b"PEXPIREAT", b"%d" % INT64_MIN, (), None, 1, -2),
    (b"PEXPIRE", b"%d" % INT64_MIN, (), None, 1, -2),
    (b"EXPIRE", b"-9223372036854775", (), None, 1, -2),
    (b"PEXPIREAT", b"%d" % INT64_MAX, (), None, 1, INT64_MAX - NOW_MS),
    (b"EXPIREAT", b"9223372036854775", (), None, 1, 9223372036854775000 - NOW_MS),
]


@pytest.mark.parametrize(
    "command, arg, options, initial, reply, pttl",
    EXPIRES,
    ids=[f"{c.decode()}-{a.decode()}-{'-'.join(o.decode() for o in opts) or 'plain'}-{i}"
         for c, a, opts, i, _, _ in EXPIRES],
)
def test_expire_family(h, command, arg, options, initial, reply, pttl):
    _put(h, b"k", b"v", expire_at_ms=None if initial is None else NOW_MS + initial)
    assert h.do(command, b"k", arg, *options) == integer(reply)
    assert h.do(b"PTTL", b"k") == integer(pttl)


@pytest.mark.parametrize(
    "command, arg, options, text",
    [
        (b"EXPIRE", b"100", (b"NX", b"XX"), "ERR NX and XX, GT or LT options at the same time are not compatible"),
        (b"EXPIRE", b"100", (b"NX", b"GT"), "ERR NX and XX, GT or LT options at the same time are not compatible"),
        (b"EXPIRE", b"100", (b"LT", b"NX"), "ERR NX and XX, GT or LT options at the same time are not compatible"),
        (b"EXPIRE", b"100", (b"GT", b"LT"), "ERR GT and LT options at the same time are not compatible"),
        (b"PEXPIREAT", b"100", (b"lt", b"gt"), "ERR GT and LT options at the same time are not compatible"),
        (b"EXPIRE", b"100", (b"NX", b"GT", b"LT"),
         "ERR NX and XX, GT or LT options at the same time are not compatible"),
        (b"EXPIRE", b"100", (b"FOO",), "ERR Unsupported option FOO"),
        (b"EXPIRE", b"100", (b"NX", b"XX", b"foo"), "ERR Unsupported option foo"),
        (b"EXPIRE", b"100", (b"F\x00OO",), "ERR Unsupported option F"),
        (b"EXPIRE", b"abc", (b"NX", b"XX"), "ERR NX and XX, GT or LT options at the same time are not compatible"),
        (b"EXPIRE", b"abc", (), "ERR value is not an integer or out of range"),
        (b"EXPIRE", b"+10", (), "ERR value is not an integer or out of range"),
        (b"EXPIRE", b"1.5", (), "ERR value is not an integer or out of range"),
        (b"EXPIRE", b"", (), "ERR value is not an integer or out of range"),
        (b"PEXPIRE", b"9223372036854775808", (), "ERR value is not an integer or out of range"),
        (b"EXPIRE", b"9223372036854775", (), "ERR invalid expire time in 'expire' command"),
        (b"EXPIRE", b"9223372036854776", (), "ERR invalid expire time in 'expire' command"),
        (b"EXPIRE", b"-9223372036854776", (), "ERR invalid expire time in 'expire' command"),
        (b"PEXPIRE", b"%d" % (INT64_MAX - NOW_MS + 1), (), "ERR invalid expire time in 'pexpire' command"),
        (b"EXPIREAT", b"9223372036854776", (), "ERR invalid expire time in 'expireat' command"),
        (b"EXPIREAT", b"-9223372036854776", (), "ERR invalid expire time in 'expireat' command"),
    ],
    ids=["nx-xx", "nx-gt", "lt-nx", "gt-lt", "lt-gt-lower", "nx-gt-lt", "unknown", "unknown-after-conflict",
         "unknown-nul", "options-before-number", "word", "plus", "float", "empty", "int64-overflow",
         "seconds-plus-now", "seconds-times-1000", "negative-times-1000", "ms-plus-now", "at-times-1000",
         "at-negative"],
)
def test_expire_errors(h, command, arg, options, text):
    h.do(b"SET", b"k", b"v")
    assert h.do(command, b"k", arg, *options) == error(text)
    assert h.do(b"TTL", b"k") == integer(-1)


def test_pexpire_largest_relative_time(h):
    h.do(b"SET", b"k", b"v")
    assert h.do(b"PEXPIRE", b"k", b"%d" % (INT64_MAX - NOW_MS)) == integer(1)
    assert h.do(b"PEXPIRETIME", b"k") == integer(INT64_MAX)


def test_expire_errors_come_before_the_key_check(h):
    assert h.do(b"EXPIRE", b"missing", b"abc") == error("ERR value is not an integer or out of range")
    assert h.do(b"EXPIRE", b"missing", b"9223372036854776") == error("ERR invalid expire time in 'expire' command")
    assert h.do(b"EXPIRE", b"missing", b"10", b"X") == error("ERR Unsupported option X")
    assert h.do(b"EXPIRE", b"missing", b"10") == integer(0)


def test_expire_then_key_expires(h):
    h.do(b"SET", b"k", b"v")
    h.do(b"PEXPIRE", b"k", b"1500")
    h.clock.advance(1.5)
    assert h.do(b"GET", b"k") == bulk(b"v")  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"GET", b"k") == NIL


@pytest.mark.parametrize("command", [b"EXPIRE", b"PEXPIRE", b"PERSIST"])
def test_ttl_change_signals_watchers(h, command):
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + 999_000)
    watcher = _watch(h, b"k")
    dirty = h.store.dirty
    args = () if command == b"PERSIST" else (b"100",)
    assert h.do(command, b"k", *args) == integer(1)
    assert watcher.dirty and h.store.dirty == dirty + 1


def test_expire_in_the_past_signals_watchers(h):
    h.do(b"SET", b"k", b"v")
    watcher = _watch(h, b"k")
    assert h.do(b"EXPIRE", b"k", b"-1") == integer(1)
    assert watcher.dirty and b"k" not in _data(h)


@pytest.mark.parametrize("at_ms", [NOW_MS, NOW_MS - 1, 0], ids=["now", "just-past", "zero"])
def test_expire_at_or_before_now_deletes_at_once(h, at_ms):
    h.do(b"SET", b"k", b"v")
    assert h.do(b"PEXPIREAT", b"k", b"%d" % at_ms) == integer(1)
    assert b"k" not in _data(h)  # a DEL, not a TTL left for lazy expiry
    assert h.store.stat_expired_keys == 0


def test_failed_expire_does_not_signal(h):
    h.do(b"SET", b"k", b"v")
    watcher = _watch(h, b"k")
    assert h.do(b"EXPIRE", b"k", b"100", b"GT") == integer(0)
    assert h.do(b"PERSIST", b"k") == integer(0)
    assert not watcher.dirty


# -- TTL PTTL EXPIRETIME PEXPIRETIME PERSIST --------------------------------------------------------------


@pytest.mark.parametrize("command", [b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"])
def test_ttl_missing_and_persistent(h, command):
    assert h.do(command, b"missing") == integer(-2)
    h.do(b"SET", b"k", b"v")
    assert h.do(command, b"k") == integer(-1)


@pytest.mark.parametrize(
    "ms_left, ttl",
    [(1500, 2), (1499, 1), (500, 1), (499, 0), (1, 0), (100_000, 100)],
)
def test_ttl_rounds_to_nearest_second(h, ms_left, ttl):
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + ms_left)
    assert h.do(b"TTL", b"k") == integer(ttl)
    assert h.do(b"PTTL", b"k") == integer(ms_left)


@pytest.mark.parametrize("at_ms, seconds", [(NOW_MS + 10_499, START + 10), (NOW_MS + 10_500, START + 11)])
def test_expiretime_rounds_too(h, at_ms, seconds):
    _put(h, b"k", b"v", expire_at_ms=at_ms)
    assert h.do(b"EXPIRETIME", b"k") == integer(seconds)
    assert h.do(b"PEXPIRETIME", b"k") == integer(at_ms)


def test_expiry_boundary_is_the_same_everywhere(h):
    # redis 7.0 keyIsExpired is now > when: lookups, the sweep, KEYS and the Store API all keep
    # the key at now == when (PTTL 0) and drop it 1 ms later
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.1)
    assert h.store.active_expire_step() == 0
    assert h.store.keys(0) == [b"k"]
    assert list(dump(h.store, db=0)) == ["k"]
    assert h.do(b"PTTL", b"k") == integer(0)
    h.clock.advance(0.001)
    assert list(dump(h.store, db=0)) == []
    assert h.store.keys(0) == []
    assert h.store.stat_expired_keys == 1
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.101)
    assert h.store.active_expire_step() == 1


def test_ttl_counts_down_with_the_clock(h):
    h.do(b"SET", b"k", b"v")
    h.do(b"EXPIRE", b"k", b"10")
    h.clock.advance(3.2)
    assert h.do(b"TTL", b"k") == integer(7)
    assert h.do(b"PTTL", b"k") == integer(6800)
    assert h.do(b"EXPIRETIME", b"k") == integer(START + 10)
    h.clock.advance(6.8)
    assert h.do(b"PTTL", b"k") == integer(0)  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"TTL", b"k") == integer(-2)


def test_persist(h):
    assert h.do(b"PERSIST", b"missing") == integer(0)
    h.do(b"SET", b"k", b"v")
    assert h.do(b"PERSIST", b"k") == integer(0)
    h.do(b"EXPIRE", b"k", b"100")
    assert h.do(b"PERSIST", b"k") == integer(1)
    assert h.do(b"TTL", b"k") == integer(-1)
    h.clock.advance(200)
    assert h.do(b"GET", b"k") == bulk(b"v")


def test_persisted_key_survives_active_expiry(h):
    h.do(b"SET", b"k", b"v")
    h.do(b"EXPIRE", b"k", b"1")
    h.do(b"PERSIST", b"k")
    h.clock.advance(2)
    h.store.active_expire_step()
    assert h.do(b"EXISTS", b"k") == integer(1)


# -- OBJECT --------------------------------------------------------------------------------------------------

OBJECT_HELP_LINES = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def test_object_help(h):
    assert h.do(b"OBJECT", b"help") == array(*(simple(line) for line in OBJECT_HELP_LINES))


def test_object_unknown_subcommand(h):
    assert h.do(b"OBJECT", b"FOO", b"k") == error("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")


ENCODINGS_TABLE = [
    (b"12345", b"int"),
    (b"-9223372036854775808", b"int"),
    (b"9223372036854775808", b"embstr"),
    (b"0123", b"embstr"),
    (b"x" * 44, b"embstr"),
    (b"x" * 45, b"raw"),
    (RawString(b"123"), b"raw"),
    (SdsString(b"1"), b"embstr"),
    (Hash({b"f": b"v"}), b"listpack"),
    (List([b"a"]), b"quicklist"),
    (SetValue({b"1"}), b"intset"),
]


@pytest.mark.parametrize("value, name", ENCODINGS_TABLE, ids=[e[1].decode() + str(i) for i, e in
                                                              enumerate(ENCODINGS_TABLE)])
def test_object_encoding(h, value, name):
    _put(h, b"k", value)
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(name)


@pytest.mark.parametrize("value", [Hash({b"f": b"v"}), SetValue({b"a"})], ids=["hash", "set"])
def test_object_encoding_big_aggregates_are_hashtable(h, value):
    value.big = True
    _put(h, b"k", value)
    assert h.do(b"OBJECT", b"ENCODING", b"k") == bulk(b"hashtable")


@pytest.mark.parametrize("sub", [b"ENCODING", b"REFCOUNT", b"IDLETIME", b"FREQ"])
@pytest.mark.parametrize("protover, reply", [(2, NIL), (3, null())], ids=["resp2", "resp3"])
def test_object_missing_key_is_null(h, sub, protover, reply):
    h.dispatcher.config.set(b"maxmemory-policy", b"allkeys-lfu")
    h.session.protover = protover
    assert h.do(b"OBJECT", sub, b"missing") == reply


@pytest.mark.parametrize(
    "value, refcount",
    [(b"0", 2147483647), (b"9999", 2147483647), (b"10000", 1), (b"-1", 1), (b"abc", 1),
     (RawString(b"5"), 1)],
    ids=["0", "9999", "10000", "-1", "text", "raw-5"],
)
def test_object_refcount(h, value, refcount):
    _put(h, b"k", value)
    assert h.do(b"OBJECT", b"REFCOUNT", b"k") == integer(refcount)


def test_object_refcount_no_shared_integers_with_maxmemory_lru(h):
    h.do(b"SET", b"k", b"100")
    h.dispatcher.config.set(b"maxmemory", b"104857600")
    h.dispatcher.config.set(b"maxmemory-policy", b"allkeys-lru")
    assert h.do(b"OBJECT", b"REFCOUNT", b"k") == integer(1)


LFU_SELECTED = ("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
                "switching between policies at runtime LRU and LFU data will take some time to adjust.")
LFU_NOT_SELECTED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
                    "that when switching between policies at runtime LRU and LFU data will take some time to "
                    "adjust.")


@pytest.mark.parametrize(
    "policy, idletime, freq",
    [
        (b"noeviction", integer(0), error(LFU_NOT_SELECTED)),
        (b"allkeys-lru", integer(0), error(LFU_NOT_SELECTED)),
        (b"volatile-ttl", integer(0), error(LFU_NOT_SELECTED)),
        (b"allkeys-lfu", error(LFU_SELECTED), integer(5)),
        (b"volatile-lfu", error(LFU_SELECTED), integer(5)),
    ],
)
def test_object_idletime_and_freq_by_policy(h, policy, idletime, freq):
    h.dispatcher.config.set(b"maxmemory-policy", policy)
    h.do(b"SET", b"k", b"v")
    assert h.do(b"OBJECT", b"IDLETIME", b"k") == idletime
    assert h.do(b"OBJECT", b"FREQ", b"k") == freq


def test_object_encoding_expired_key_is_null(h):
    _put(h, b"k", b"v", expire_at_ms=NOW_MS + 1)
    h.clock.advance(0.002)
    assert h.do(b"OBJECT", b"ENCODING", b"k") == NIL


# -- end to end through redis-py --------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_keyspace(kvfake_server, protocol):
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        for i in range(300):
            r.set(f"user:{i}", i)
        r.set("other", "x")
        assert set(r.scan_iter(match="user:*", count=17)) == {f"user:{i}".encode() for i in range(300)}
        assert set(r.scan_iter(_type="string", count=50)) == {f"user:{i}".encode() for i in range(300)} | {b"other"}
        assert sorted(r.keys("user:1?")) == sorted(f"user:{i}".encode() for i in range(10, 20))
        assert r.exists("user:1", "user:1", "nope") == 2
        assert r.type("other") == b"string"
        assert r.expire("other", 100, gt=True) is False
        assert r.expire("other", 100) is True
        assert r.ttl("other") == 100
        assert r.copy("other", "copied") is True
        assert r.rename("copied", "renamed") is True
        assert r.object("encoding", "user:5") == b"int"
        assert r.persist("renamed") is True
        assert r.ttl("renamed") == -1
        assert r.move("renamed", 3) is True
        assert r.delete("user:1", "user:2", "nope") == 2
        assert r.randomkey() is not None
    finally:
        r.close()
