"""The list group through the in-process harness (raw bytes), plus a few redis-py end-to-end tests.

Blocking commands in the harness: a client whose command blocks gets ``b""`` from ``do()``;
its reply arrives later in ``client.take()`` (served by another client's command, a Store API
write, or a timeout when the harness clock moves).
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from kvfake.errors import KvfakeError, WrongTypeError
from kvfake.store.values import List
from tests.support.resp import (
    EMPTY_ARRAY, NIL, NIL_ARRAY, OK, array, bulk, decode, error, integer, null, simple,
)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INT = error("ERR value is not an integer or out of range")
SYNTAX = error("ERR syntax error")


def bulks(*items) -> bytes:
    return array(*(bulk(i) for i in items))


def rpush(h, key, *items):
    return h.do(b"RPUSH", key, *items)


def lrange(h, key=b"l"):
    return h.do(b"LRANGE", key, b"0", b"-1")


@pytest.fixture
def events(h):
    """Keyspace notifications the list commands raise: (db, class, event, key)."""
    seen = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((klass, event, key))
    return seen


# -- pushes ---------------------------------------------------------------------------


def test_lpush_prepends_one_by_one(h):
    assert h.do(b"LPUSH", b"l", b"a", b"b", b"c") == integer(3)
    assert lrange(h) == bulks("c", "b", "a")


def test_rpush_appends(h):
    assert rpush(h, b"l", b"a", b"b") == integer(2)
    assert rpush(h, b"l", b"c") == integer(3)
    assert lrange(h) == bulks("a", "b", "c")


@pytest.mark.parametrize("cmd", [b"LPUSHX", b"RPUSHX"], ids=["lpushx", "rpushx"])
def test_pushx_needs_an_existing_list(h, cmd):
    assert h.do(cmd, b"l", b"a") == integer(0)
    assert h.do(b"EXISTS", b"l") == integer(0)
    rpush(h, b"l", b"m")
    assert h.do(cmd, b"l", b"a", b"b") == integer(3)


def test_lpushx_rpushx_order(h):
    rpush(h, b"l", b"m")
    h.do(b"LPUSHX", b"l", b"a", b"b")
    h.do(b"RPUSHX", b"l", b"y", b"z")
    assert lrange(h) == bulks("b", "a", "m", "y", "z")


@pytest.mark.parametrize("argv", [
    [b"LPUSH", b"s", b"a"], [b"RPUSH", b"s", b"a"], [b"LPUSHX", b"s", b"a"], [b"RPUSHX", b"s", b"a"],
    [b"LPOP", b"s"], [b"RPOP", b"s", b"0"], [b"LLEN", b"s"], [b"LRANGE", b"s", b"0", b"-1"],
    [b"LINDEX", b"s", b"0"], [b"LSET", b"s", b"0", b"x"], [b"LINSERT", b"s", b"BEFORE", b"a", b"b"],
    [b"LREM", b"s", b"0", b"a"], [b"LTRIM", b"s", b"0", b"1"], [b"LPOS", b"s", b"a"],
    [b"LMOVE", b"s", b"d", b"LEFT", b"LEFT"], [b"RPOPLPUSH", b"s", b"d"], [b"LMPOP", b"1", b"s", b"LEFT"],
    [b"BLPOP", b"s", b"0"], [b"BRPOP", b"s", b"0"], [b"BLMOVE", b"s", b"d", b"LEFT", b"LEFT", b"0"],
    [b"BRPOPLPUSH", b"s", b"d", b"0"], [b"BLMPOP", b"0", b"1", b"s", b"LEFT"],
], ids=lambda argv: argv[0].decode().lower())
def test_every_command_rejects_a_string(h, argv):
    h.do(b"SET", b"s", b"v")
    assert h.do(*argv) == WRONGTYPE


def test_push_raises_the_list_event(h, events):
    h.do(b"LPUSH", b"l", b"a")
    h.do(b"RPUSHX", b"l", b"b")
    assert events == [("l", b"lpush", b"l"), ("l", b"rpush", b"l")]


def test_push_to_existing_list_signals_watchers(h):
    rpush(h, b"l", b"a")

    class Watcher:
        dirty = False

    w = Watcher()
    h.store.watchers[(0, b"l")] = {w}
    rpush(h, b"l", b"b")
    assert w.dirty


def test_encoding_is_always_quicklist(h):
    # redis 7.0.15: even a one-element list (7.2 added listpack lists)
    rpush(h, b"l", b"a")
    assert h.do(b"OBJECT", b"ENCODING", b"l") == bulk(b"quicklist")
    assert h.do(b"TYPE", b"l") == simple("list")


# -- pops -----------------------------------------------------------------------------


@pytest.mark.parametrize("argv, resp2, resp3", [
    ([b"LPOP", b"nokey"], NIL, null()),
    ([b"LPOP", b"nokey", b"2"], NIL_ARRAY, null()),
    ([b"RPOP", b"nokey", b"0"], NIL_ARRAY, null()),
    ([b"LMPOP", b"1", b"nokey", b"LEFT"], NIL_ARRAY, null()),
    ([b"LINDEX", b"nokey", b"0"], NIL, null()),
    ([b"LPOS", b"nokey", b"a"], NIL, null()),
    ([b"LPOS", b"nokey", b"a", b"COUNT", b"0"], EMPTY_ARRAY, EMPTY_ARRAY),
    ([b"LMOVE", b"nokey", b"d", b"LEFT", b"LEFT"], NIL, null()),
], ids=["lpop", "lpop-count", "rpop-count-0", "lmpop", "lindex", "lpos", "lpos-count", "lmove"])
def test_missing_key_null_shapes(h, argv, resp2, resp3):
    assert h.do(*argv) == resp2
    h.do(b"HELLO", b"3")
    assert h.do(*argv) == resp3


def test_pop_single_from_each_end(h):
    rpush(h, b"l", b"a", b"b", b"c")
    assert h.do(b"LPOP", b"l") == bulk(b"a")
    assert h.do(b"RPOP", b"l") == bulk(b"c")


@pytest.mark.parametrize("argv, expected", [
    ([b"LPOP", b"l", b"2"], bulks("a", "b")),
    ([b"RPOP", b"l", b"2"], bulks("e", "d")),
    ([b"LPOP", b"l", b"0"], EMPTY_ARRAY),
    ([b"RPOP", b"l", b"99"], bulks("e", "d", "c", "b", "a")),
    ([b"LPOP", b"l", b"9223372036854775807"], bulks("a", "b", "c", "d", "e")),
], ids=["lpop-2", "rpop-2-reversed", "count-0", "more-than-length", "int64-max"])
def test_pop_with_count(h, argv, expected):
    rpush(h, b"l", b"a", b"b", b"c", b"d", b"e")
    assert h.do(*argv) == expected


@pytest.mark.parametrize("count", [b"-1", b"abc", b"1.5", b" 1", b"9223372036854775808"])
def test_pop_count_must_be_positive(h, count):
    h.do(b"SET", b"s", b"v")  # redis 7.0: the count is parsed before the type check
    assert h.do(b"LPOP", b"s", count) == error("ERR value is out of range, must be positive")


def test_pop_too_many_arguments(h):
    assert h.do(b"LPOP", b"l", b"1", b"2") == error("ERR wrong number of arguments for 'lpop' command")
    assert h.do(b"RPOP", b"l", b"1", b"2") == error("ERR wrong number of arguments for 'rpop' command")


def test_pop_of_last_element_deletes_the_key(h, events):
    rpush(h, b"l", b"a", b"b")
    h.do(b"RPOP", b"l", b"5")
    assert h.do(b"EXISTS", b"l") == integer(0)
    assert events[-2:] == [("l", b"rpop", b"l"), ("g", b"del", b"l")]


# -- LLEN LRANGE LINDEX ----------------------------------------------------------------


def test_llen(h):
    assert h.do(b"LLEN", b"l") == integer(0)
    rpush(h, b"l", b"a", b"b")
    assert h.do(b"LLEN", b"l") == integer(2)


def _model_range(items: list, start: int, end: int) -> list:
    n = len(items)
    start = start + n if start < 0 else start
    end = end + n if end < 0 else end
    start = max(start, 0)
    if start > end or start >= n:
        return []
    return items[start:min(end, n - 1) + 1]


ITEMS = [b"%d" % i for i in range(50)]


@given(start=st.integers(-60, 60), end=st.integers(-60, 60))
def test_lrange_matches_the_index_rules(start, end):
    from tests.support.harness import Harness
    h = Harness()
    rpush(h, b"l", *ITEMS)
    assert decode(h.do(b"LRANGE", b"l", b"%d" % start, b"%d" % end)) == _model_range(ITEMS, start, end)


@pytest.mark.parametrize("start, end", [
    (b"-9223372036854775808", b"9223372036854775807"), (b"9223372036854775807", b"-9223372036854775808"),
    (b"-3", b"-1"), (b"0", b"2"), (b"48", b"100"),
], ids=["int64-extremes", "reversed-extremes", "tail", "head", "past-the-end"])
def test_lrange_edges(h, start, end):
    rpush(h, b"l", *ITEMS)
    assert decode(h.do(b"LRANGE", b"l", start, end)) == _model_range(ITEMS, int(start), int(end))


def test_lrange_parses_indexes_before_the_key(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LRANGE", b"s", b"x", b"0") == NOT_INT
    assert h.do(b"LRANGE", b"missing", b"0", b"x") == NOT_INT


def test_lrange_walks_from_the_nearer_end():
    # the reply is the same whichever end islice starts from; this pins the tail path
    lst = List(ITEMS)
    from kvfake.commands.lists import _range
    assert _range(lst, 45, 48) == ITEMS[45:49]
    assert _range(lst, 1, 3) == ITEMS[1:4]


@pytest.mark.parametrize("index, expected", [
    (b"0", bulk(b"a")), (b"2", bulk(b"c")), (b"3", NIL), (b"-1", bulk(b"c")), (b"-3", bulk(b"a")),
    (b"-4", NIL), (b"9223372036854775807", NIL), (b"-9223372036854775808", NIL), (b"x", NOT_INT),
], ids=["first", "last", "past-end", "minus-1", "minus-len", "before-start", "int64-max", "int64-min",
        "not-int"])
def test_lindex(h, index, expected):
    rpush(h, b"l", b"a", b"b", b"c")
    assert h.do(b"LINDEX", b"l", index) == expected


def test_lindex_checks_the_key_before_the_index(h):
    assert h.do(b"LINDEX", b"missing", b"x") == NIL
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LINDEX", b"s", b"x") == WRONGTYPE


# -- LSET LINSERT LREM LTRIM ------------------------------------------------------------


def test_lset_replaces(h, events):
    rpush(h, b"l", b"a", b"b", b"c")
    assert h.do(b"LSET", b"l", b"-1", b"z") == OK
    assert h.do(b"LSET", b"l", b"0", b"x") == OK
    assert lrange(h) == bulks("x", "b", "z")
    assert events[-1] == ("l", b"lset", b"l")


@pytest.mark.parametrize("key, index, expected", [
    (b"l", b"3", error("ERR index out of range")),
    (b"l", b"-4", error("ERR index out of range")),
    (b"l", b"x", NOT_INT),
    (b"missing", b"x", error("ERR no such key")),
    (b"s", b"x", WRONGTYPE),
], ids=["past-end", "before-start", "not-int", "no-such-key-first", "wrongtype-first"])
def test_lset_errors(h, key, index, expected):
    rpush(h, b"l", b"a", b"b", b"c")
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LSET", key, index, b"q") == expected


@pytest.mark.parametrize("where, pivot, reply, after", [
    (b"BEFORE", b"b", 5, [b"a", b"x", b"b", b"c", b"b"]),
    (b"after", b"b", 5, [b"a", b"b", b"x", b"c", b"b"]),
    (b"AFTER", b"a", 5, [b"a", b"x", b"b", b"c", b"b"]),
    (b"before\x00junk", b"a", 5, [b"x", b"a", b"b", b"c", b"b"]),
    (b"BEFORE", b"nope", -1, [b"a", b"b", b"c", b"b"]),
], ids=["before-first-match", "after", "after-head", "nul-truncated-word", "pivot-missing"])
def test_linsert(h, where, pivot, reply, after):
    rpush(h, b"l", b"a", b"b", b"c", b"b")
    assert h.do(b"LINSERT", b"l", where, pivot, b"x") == integer(reply)
    assert decode(lrange(h)) == after


def test_linsert_checks_the_word_before_the_key(h):
    assert h.do(b"LINSERT", b"missing", b"MIDDLE", b"a", b"b") == SYNTAX
    assert h.do(b"LINSERT", b"missing", b"BEFORE", b"a", b"b") == integer(0)
    assert h.do(b"EXISTS", b"missing") == integer(0)


@given(items=st.lists(st.sampled_from([b"a", b"b", b"c"]), min_size=1, max_size=40),
       count=st.integers(-45, 45), value=st.sampled_from([b"a", b"b", b"z"]))
def test_lrem_matches_a_model(items, count, value):
    from tests.support.harness import Harness
    h = Harness()
    rpush(h, b"l", *items)
    expected = list(items)
    positions = [i for i, v in enumerate(expected) if v == value]
    if count > 0:
        positions = positions[:count]
    elif count < 0:
        positions = positions[count:]
    for p in reversed(positions):
        del expected[p]
    assert h.do(b"LREM", b"l", b"%d" % count, value) == integer(len(positions))
    assert decode(lrange(h)) == expected
    assert h.do(b"EXISTS", b"l") == integer(1 if expected else 0)


def test_lrem_many_removals_rebuild(h):
    rpush(h, b"l", *([b"x", b"y"] * 100))
    assert h.do(b"LREM", b"l", b"-150", b"x") == integer(100)
    assert decode(lrange(h)) == [b"y"] * 100


def test_lrem_extreme_counts(h):
    rpush(h, b"l", b"a", b"a")
    assert h.do(b"LREM", b"l", b"-9223372036854775808", b"a") == integer(2)
    rpush(h, b"l", b"a", b"a")
    assert h.do(b"LREM", b"l", b"9223372036854775807", b"a") == integer(2)


def test_lrem_parses_count_before_the_key(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LREM", b"s", b"x", b"a") == NOT_INT
    assert h.do(b"LREM", b"s", b"0", b"a") == WRONGTYPE


@given(n=st.integers(1, 30), start=st.integers(-35, 35), end=st.integers(-35, 35))
def test_ltrim_matches_lrange(n, start, end):
    from tests.support.harness import Harness
    h = Harness()
    items = [b"%d" % i for i in range(n)]
    rpush(h, b"l", *items)
    assert h.do(b"LTRIM", b"l", b"%d" % start, b"%d" % end) == OK
    kept = _model_range(items, start, end)
    assert decode(lrange(h)) == kept
    assert h.do(b"EXISTS", b"l") == integer(1 if kept else 0)


def test_ltrim_keeps_the_list_object_when_trimming_a_few(h):
    rpush(h, b"l", *ITEMS)
    before = h.store.dbs[0].data[b"l"]
    h.do(b"LTRIM", b"l", b"1", b"-2")
    assert h.store.dbs[0].data[b"l"] is before
    assert decode(lrange(h)) == ITEMS[1:-1]


def test_ltrim_events_and_deletion(h, events):
    rpush(h, b"l", b"a")
    h.do(b"LTRIM", b"l", b"1", b"0")
    assert events[-2:] == [("l", b"ltrim", b"l"), ("g", b"del", b"l")]
    assert h.do(b"LTRIM", b"missing", b"0", b"1") == OK


# -- LPOS ----------------------------------------------------------------------------


def _model_lpos(items, value, rank, count, maxlen):
    indexes = range(len(items)) if rank > 0 else range(len(items) - 1, -1, -1)
    if maxlen:
        indexes = list(indexes)[:maxlen]
    hits = [i for i in indexes if items[i] == value][abs(rank) - 1:]
    if count is None:
        return hits[0] if hits else None
    return hits if count == 0 else hits[:count]


@given(items=st.lists(st.sampled_from([b"a", b"b"]), max_size=30),
       rank=st.integers(-5, 5).filter(bool), count=st.none() | st.integers(0, 5),
       maxlen=st.integers(0, 35))
def test_lpos_matches_a_model(items, rank, count, maxlen):
    from tests.support.harness import Harness
    h = Harness()
    if items:
        rpush(h, b"l", *items)
    argv = [b"LPOS", b"l", b"a", b"RANK", b"%d" % rank, b"MAXLEN", b"%d" % maxlen]
    if count is not None:
        argv += [b"COUNT", b"%d" % count]
    expected = _model_lpos(items, b"a", rank, count, maxlen) if items else ([] if count is not None else None)
    assert decode(h.do(*argv)) == expected


@pytest.mark.parametrize("options, expected", [
    ([b"RANK", b"-9223372036854775808"], integer(4)),
    ([b"RANK", b"-9223372036854775808", b"COUNT", b"1"], array(integer(4), integer(2), integer(0))),
    ([b"RANK", b"9223372036854775807"], NIL),
    ([b"RANK", b"9223372036854775807", b"COUNT", b"9223372036854775807"], EMPTY_ARRAY),
    ([b"COUNT", b"9223372036854775807"], array(integer(0), integer(2), integer(4))),
], ids=["rank-int64-min", "rank-int64-min-count-ignored", "rank-int64-max", "rank-and-count-max",
        "count-max"])
def test_lpos_extreme_options(h, options, expected):
    # redis 7.0.15: -LONG_MIN overflows, so every match qualifies and COUNT never stops the scan
    rpush(h, b"l", b"a", b"b", b"a", b"b", b"a")
    assert h.do(b"LPOS", b"l", b"a", *options) == expected


@pytest.mark.parametrize("options, expected", [
    ([b"RANK", b"0"], error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                            "second ... or use negative to start from the end of the list")),
    ([b"RANK", b"x"], NOT_INT),
    ([b"COUNT", b"-1"], error("ERR COUNT can't be negative")),
    ([b"COUNT", b"x"], error("ERR COUNT can't be negative")),
    ([b"MAXLEN", b"-1"], error("ERR MAXLEN can't be negative")),
    ([b"RANK"], SYNTAX),
    ([b"FOO", b"1"], SYNTAX),
], ids=["rank-zero", "rank-not-int", "count-negative", "count-not-int", "maxlen-negative",
        "missing-value", "unknown-option"])
def test_lpos_option_errors_come_before_the_type_check(h, options, expected):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LPOS", b"s", b"a", *options) == expected


# -- LMOVE RPOPLPUSH LMPOP ----------------------------------------------------------------


def test_lmove_between_lists(h, events):
    rpush(h, b"src", b"a", b"b")
    assert h.do(b"LMOVE", b"src", b"dst", b"RIGHT", b"LEFT") == bulk(b"b")
    assert h.do(b"LMOVE", b"src", b"dst", b"LEFT", b"RIGHT") == bulk(b"a")
    assert lrange(h, b"dst") == bulks("b", "a")
    assert h.do(b"EXISTS", b"src") == integer(0)
    assert events[-3:] == [("l", b"rpush", b"dst"), ("l", b"lpop", b"src"), ("g", b"del", b"src")]


def test_lmove_same_key_rotates(h):
    rpush(h, b"l", b"a", b"b", b"c")
    assert h.do(b"LMOVE", b"l", b"l", b"LEFT", b"RIGHT") == bulk(b"a")
    assert lrange(h) == bulks("b", "c", "a")
    rpush(h, b"one", b"x")
    assert h.do(b"RPOPLPUSH", b"one", b"one") == bulk(b"x")
    assert lrange(h, b"one") == bulks("x")


def test_lmove_destination_type_checked_only_with_something_to_move(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"LMOVE", b"missing", b"s", b"LEFT", b"LEFT") == NIL
    rpush(h, b"l", b"a")
    assert h.do(b"LMOVE", b"l", b"s", b"LEFT", b"LEFT") == WRONGTYPE
    assert lrange(h) == bulks("a")


@pytest.mark.parametrize("argv", [
    [b"LMOVE", b"a", b"b", b"UP", b"LEFT"], [b"LMOVE", b"a", b"b", b"LEFT", b"DOWN"],
    [b"BLMOVE", b"a", b"b", b"UP", b"LEFT", b"x"],
], ids=["from", "to", "blmove-before-timeout"])
def test_lmove_direction_errors(h, argv):
    assert h.do(*argv) == SYNTAX


@pytest.mark.parametrize("argv, expected", [
    ([b"LMPOP", b"2", b"a", b"b", b"LEFT"], array(bulk(b"b"), bulks("1"))),
    ([b"LMPOP", b"2", b"a", b"b", b"RIGHT", b"COUNT", b"2"], array(bulk(b"b"), bulks("3", "2"))),
    ([b"LMPOP", b"1", b"b", b"left", b"count", b"10"], array(bulk(b"b"), bulks("1", "2", "3"))),
    ([b"LMPOP", b"1", b"a", b"LEFT"], NIL_ARRAY),
], ids=["first-nonempty", "right-count", "count-past-length", "all-empty"])
def test_lmpop(h, argv, expected):
    rpush(h, b"b", b"1", b"2", b"3")
    assert h.do(*argv) == expected


@pytest.mark.parametrize("args, expected", [
    ([b"0", b"a", b"LEFT"], error("ERR numkeys should be greater than 0")),
    ([b"x", b"a", b"LEFT"], error("ERR numkeys should be greater than 0")),
    ([b"2", b"a", b"LEFT"], SYNTAX),
    ([b"9223372036854775807", b"a", b"LEFT"], SYNTAX),
    ([b"1", b"a", b"MIDDLE"], SYNTAX),
    ([b"1", b"a", b"LEFT", b"COUNT", b"0"], error("ERR count should be greater than 0")),
    ([b"1", b"a", b"LEFT", b"COUNT", b"1", b"COUNT", b"1"], SYNTAX),
    ([b"1", b"a", b"LEFT", b"COUNT"], SYNTAX),
], ids=["numkeys-0", "numkeys-not-int", "too-few-keys", "numkeys-huge", "bad-direction", "count-0",
        "count-twice", "count-without-value"])
def test_lmpop_errors(h, args, expected):
    assert h.do(b"LMPOP", *args) == expected


# -- blocking, in process ------------------------------------------------------------


def test_blpop_blocks_then_is_served_by_a_push(h):
    waiter = h.new_client()
    assert waiter.do(b"BLPOP", b"q", b"0") == b""
    assert waiter.session.blocked
    assert rpush(h, b"q", b"x") == integer(1)
    assert waiter.take() == bulks("q", "x")
    assert not waiter.session.blocked
    assert h.do(b"EXISTS", b"q") == integer(0)


def test_waiters_are_served_first_blocked_first(h):
    first, second = h.new_client(), h.new_client()
    first.do(b"BRPOP", b"q", b"0")
    second.do(b"BLPOP", b"q", b"0")
    rpush(h, b"q", b"x")
    assert (first.take(), second.take()) == (bulks("q", "x"), b"")
    rpush(h, b"q", b"y", b"z")
    assert second.take() == bulks("q", "y")
    assert lrange(h, b"q") == bulks("z")


def test_waiter_is_served_from_the_key_that_became_ready(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"a", b"b", b"0")
    rpush(h, b"b", b"x")
    assert waiter.take() == bulks("b", "x")
    assert h.store.blocking_keys == {}


def test_blmpop_served_with_its_count(h):
    waiter = h.new_client()
    waiter.do(b"BLMPOP", b"0", b"2", b"a", b"b", b"RIGHT", b"COUNT", b"2")
    rpush(h, b"b", b"1", b"2", b"3")
    assert waiter.take() == array(bulk(b"b"), bulks("3", "2"))


def test_blmove_served_pushes_and_wakes_the_next_key(h):
    mover, popper = h.new_client(), h.new_client()
    mover.do(b"BLMOVE", b"q", b"r", b"LEFT", b"RIGHT", b"0")
    popper.do(b"BRPOPLPUSH", b"r", b"s", b"0")
    h.do(b"LPUSH", b"q", b"x")
    assert (mover.take(), popper.take()) == (bulk(b"x"), bulk(b"x"))
    assert lrange(h, b"s") == bulks("x")


def test_blmove_destination_wrongtype_when_served(h):
    mover, popper = h.new_client(), h.new_client()
    h.do(b"SET", b"d", b"str")
    mover.do(b"BLMOVE", b"q", b"d", b"LEFT", b"RIGHT", b"0")
    popper.do(b"BLPOP", b"q", b"0")
    rpush(h, b"q", b"x")
    # redis 7.0.15: the mover gets WRONGTYPE, nothing was popped for it, the next waiter is served
    assert mover.take() == WRONGTYPE
    assert popper.take() == bulks("q", "x")


def test_key_of_another_type_leaves_the_waiter_blocked(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")
    h.do(b"SET", b"q", b"str")
    h.do(b"DEL", b"q")
    assert waiter.take() == b"" and waiter.session.blocked
    rpush(h, b"q", b"x")
    assert waiter.take() == bulks("q", "x")


@pytest.mark.parametrize("setup", [
    [[b"RPUSH", b"tmp", b"x"], [b"RENAME", b"tmp", b"q"]],
    [[b"RPUSH", b"tmp", b"x"], [b"COPY", b"tmp", b"q"]],
    [[b"SELECT", b"1"], [b"RPUSH", b"q", b"x"], [b"MOVE", b"q", b"0"]],
    [[b"SELECT", b"1"], [b"RPUSH", b"q", b"x"], [b"SWAPDB", b"0", b"1"]],
    [[b"RPUSH", b"src", b"x"], [b"LMOVE", b"src", b"q", b"LEFT", b"LEFT"]],
], ids=["rename", "copy", "move", "swapdb", "lmove"])
def test_key_creation_by_other_commands_wakes(h, setup):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")
    for argv in setup:
        h.do(*argv)
    assert waiter.take() == bulks("q", "x")


def test_push_in_another_db_does_not_wake(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")
    h.do(b"SELECT", b"1")
    rpush(h, b"q", b"x")
    assert waiter.take() == b""


@pytest.mark.parametrize("argv, expected", [
    ([b"BLPOP", b"q", b"0"], NIL_ARRAY),
    ([b"BRPOP", b"q", b"r", b"0"], NIL_ARRAY),
    ([b"BLMPOP", b"0", b"1", b"q", b"LEFT"], NIL_ARRAY),
    ([b"BLMOVE", b"q", b"r", b"LEFT", b"LEFT", b"0"], NIL),
    ([b"BRPOPLPUSH", b"q", b"r", b"0"], NIL),
], ids=["blpop", "brpop", "blmpop", "blmove-null-bulk", "brpoplpush-null-bulk"])
def test_blocking_inside_exec_answers_at_once(h, argv, expected):
    h.session.in_exec = True
    assert h.do(*argv) == expected
    assert not h.session.blocked


@pytest.mark.parametrize("argv", [
    [b"BLPOP", b"q", b"1.5"], [b"BLMOVE", b"q", b"r", b"LEFT", b"LEFT", b"1.5"],
    [b"BRPOPLPUSH", b"q", b"r", b"1.5"], [b"BLMPOP", b"1.5", b"1", b"q", b"LEFT"],
], ids=["blpop", "blmove", "brpoplpush", "blmpop"])
def test_timeout_follows_the_clock(h, argv):
    waiter = h.new_client()
    waiter.do(*argv)
    h.clock.advance(1.5)
    assert waiter.take() == b""  # redis 7.0: still waiting at the deadline, gone once past it
    h.clock.advance(0.001)
    assert waiter.take() == NIL_ARRAY  # redis 7.0.15: a null array for every blocking pop
    assert h.store.blocking_keys == {}


def test_timeout_reply_in_resp3(h):
    waiter = h.new_client()
    waiter.do(b"HELLO", b"3")
    waiter.do(b"BLMOVE", b"q", b"r", b"LEFT", b"LEFT", b"0.1")
    h.clock.advance(1)
    assert waiter.take() == null()


@pytest.mark.parametrize("timeout, expected", [
    (b"-1", "ERR timeout is negative"),
    (b"-0.0011", "ERR timeout is negative"),
    (b"inf", "ERR timeout is negative"),
    (b"x", "ERR timeout is not a float or out of range"),
    (b"nan", "ERR timeout is not a float or out of range"),
], ids=["negative", "negative-fraction", "inf", "not-a-float", "nan"])
def test_timeout_errors(h, timeout, expected):
    assert h.do(b"BLPOP", b"q", timeout) == error(expected)


def test_store_api_push_wakes_a_waiter(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")
    assert h.store.rpush(0, "q", "x", "y") == 2
    assert waiter.take() == bulks("q", "x")
    assert h.store.get(0, "q") == [b"y"]


def test_store_set_of_a_list_wakes_a_waiter(h):
    waiter = h.new_client()
    waiter.do(b"BRPOP", b"q", b"0")
    h.store.set(0, "q", ["a", b"b"])
    assert waiter.take() == bulks("q", "b")


def test_client_unblock(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")
    wid = b"%d" % waiter.session.id
    assert h.do(b"CLIENT", b"UNBLOCK", wid, b"foo") == error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    assert h.do(b"CLIENT", b"UNBLOCK", wid) == integer(1)
    assert waiter.take() == NIL_ARRAY
    waiter.do(b"BLPOP", b"q", b"0")
    assert h.do(b"CLIENT", b"UNBLOCK", wid, b"error") == integer(1)
    assert waiter.take() == error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    assert h.do(b"CLIENT", b"UNBLOCK", wid) == integer(0)


def test_blocked_clients_in_info_and_client_list(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"5")
    other = h.new_client()
    other.do(b"BLPOP", b"q", b"0")
    info = decode(h.do(b"INFO", b"clients"))
    assert b"blocked_clients:2\r\n" in info and b"clients_in_timeout_table:1\r\n" in info
    listing = decode(h.do(b"CLIENT", b"LIST"))
    line = [ln for ln in listing.split(b"\n") if ln.startswith(b"id=%d " % waiter.session.id)][0]
    assert b" flags=b " in line and b" cmd=blpop " in line


def test_cancel_leaves_nothing_behind(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"a", b"b", b"3")
    h.dispatcher.blocking.cancel(waiter)
    assert h.store.blocking_keys == {} and len(h.dispatcher.blocking) == 0
    assert h.dispatcher.blocking.next_deadline() is None


def test_a_retry_bug_is_reported_not_raised(h):
    waiter = h.new_client()
    waiter.do(b"BLPOP", b"q", b"0")

    def boom(ctx, key):
        raise RuntimeError("boom")

    blk = h.dispatcher.blocking.blocked[waiter]
    h.dispatcher.blocking.blocked[waiter] = type(blk)(blk.db, blk.keys, None, boom)
    rpush(h, b"q", b"x")
    assert waiter.take().startswith(b"-ERR internal error while serving a blocked client")
    assert len(h.internal_errors) == 1
    h.internal_errors.clear()


# -- Store API -----------------------------------------------------------------------


def test_store_lpush_and_export(h):
    assert h.store.lpush(0, "l", "a", "b") == 2
    assert h.store.get(0, "l") == [b"b", b"a"]
    assert h.store.type(0, "l") == "list"


def test_store_push_errors(h):
    h.store.set(0, "s", "v")
    with pytest.raises(WrongTypeError):
        h.store.rpush(0, "s", "x")
    with pytest.raises(KvfakeError):
        h.store.rpush(0, "l")
    with pytest.raises(KvfakeError):
        h.store.set(0, "l", [])


# -- redis-py, end to end ------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_list_round_trip(kvfake_server, protocol):
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert r.rpush("q", "a", "b", "c") == 3
        assert r.lrange("q", 0, -1) == [b"a", b"b", b"c"]
        assert r.lpop("q", 2) == [b"a", b"b"]
        assert r.lpop("missing", 2) is None
        assert list(r.blpop(["q"], timeout=1)) == [b"q", b"c"]
        assert r.blpop(["q"], timeout=0.05) is None
        assert r.lmpop(1, "q", direction="LEFT") is None
        assert r.lpos("q", "x") is None
    finally:
        r.close()
