"""Sorted-set commands through the in-process harness: raw reply bytes, seeded randomness, ManualClock time.

Also: encodings (listpack / skiplist, one way), keyspace events, WATCH signals, blocking pops (order,
timeouts, Store API wake-ups, cleanup), kvfake's bound on ZRANDMEMBER's negative counts, the Store API
for sorted sets, and end-to-end round trips through redis-py (RESP2 and RESP3).  Byte-for-byte
agreement with real Redis is tests/differential/test_zsets.py's job; here each behaviour is pinned on
its own.  Expected texts were checked against redis-server 7.0.15.
"""

from __future__ import annotations

import math

import pytest
import redis

from kvfake.commands import zsets as zsets_module
from kvfake.errors import KvfakeError, WrongTypeError
from tests.support.resp import (
    EMPTY_ARRAY,
    NIL,
    NIL_ARRAY,
    array,
    bulk,
    decode,
    double,
    error,
    integer,
    null,
)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = error("ERR syntax error")
NOT_FLOAT = error("ERR value is not a valid float")
NOT_INT = error("ERR value is not an integer or out of range")
MIN_MAX_FLOAT = error("ERR min or max is not a float")
MIN_MAX_LEX = error("ERR min or max not valid string range item")
INT64_MAX = 2**63 - 1
BIG = b"x" * 65


def bulks(*items) -> bytes:
    return array(*(bulk(i) for i in items))


def flat(*pairs) -> bytes:
    """RESP2 WITHSCORES: member, score text, member, score text..."""
    return array(*(bulk(x) for pair in pairs for x in pair))


def nested(*pairs) -> bytes:
    """RESP3 WITHSCORES: [member, double] pairs."""
    return array(*(array(bulk(m), double(s)) for m, s in pairs))


def value(h, key: bytes, db: int = 0):
    return h.store.dbs[db].data.get(key)


def encoding(h, key: bytes) -> bytes:
    return decode(h.do(b"OBJECT", b"ENCODING", key))


def events(h) -> list:
    seen: list = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((klass, event, key))
    return seen


class Watcher:
    dirty = False


def watch(h, key: bytes) -> Watcher:
    w = Watcher()
    h.store.watchers.setdefault((0, key), set()).add(w)
    return w


def abc(h, key: bytes = b"z") -> None:
    assert h.do(b"ZADD", key, b"1", b"a", b"2", b"b", b"3", b"c") == integer(3)


# -- ZADD ---------------------------------------------------------------------------------------------


def test_zadd_counts_new_members_and_updates_scores(h):
    assert h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b") == integer(2)
    assert h.do(b"ZADD", b"z", b"5", b"a", b"3", b"c") == integer(1)
    assert h.do(b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES") == flat((b"b", b"2"), (b"c", b"3"), (b"a", b"5"))


def test_zadd_same_member_twice_keeps_the_last_score(h):
    assert h.do(b"ZADD", b"z", b"1", b"a", b"9", b"a") == integer(1)
    assert h.do(b"ZSCORE", b"z", b"a") == bulk(b"9")


def test_zadd_orders_equal_scores_by_member_bytes(h):
    h.do(b"ZADD", b"z", b"0", b"b", b"0", b"\xff", b"0", b"ab", b"0", b"", b"0", b"a")
    assert h.do(b"ZRANGE", b"z", b"0", b"-1") == bulks(b"", b"a", b"ab", b"b", b"\xff")


ZADD_OPTIONS = [
    ("nx-skips-existing", [b"NX", b"9", b"a", b"4", b"d"], integer(1), {b"a": 1.0, b"d": 4.0}),
    ("xx-skips-new", [b"XX", b"9", b"a", b"4", b"d"], integer(0), {b"a": 9.0}),
    ("xx-ch-counts-updates", [b"XX", b"CH", b"9", b"a", b"2", b"b"], integer(1), {b"a": 9.0}),
    ("gt-only-raises", [b"GT", b"0", b"a", b"5", b"b", b"7", b"new"], integer(1), {b"b": 5.0, b"new": 7.0}),
    ("lt-only-lowers", [b"LT", b"CH", b"0", b"a", b"5", b"b"], integer(1), {b"a": 0.0, b"b": 2.0}),
    ("ch-counts-added-and-updated", [b"CH", b"1", b"a", b"5", b"b", b"1", b"d"], integer(2), {b"b": 5.0}),
    ("options-any-case", [b"nX", b"cH", b"5", b"d"], integer(1), {b"d": 5.0}),
    ("option-stops-at-nul", [b"NX\x00junk", b"9", b"a"], integer(0), {b"a": 1.0}),
]


@pytest.mark.parametrize(("name", "args", "reply", "scores"), ZADD_OPTIONS, ids=[c[0] for c in ZADD_OPTIONS])
def test_zadd_options(h, name, args, reply, scores):
    abc(h)
    assert h.do(b"ZADD", b"z", *args) == reply
    current = h.store.get(0, "z")
    for member, score in scores.items():
        assert current[member] == score


def test_zadd_xx_on_missing_key_creates_nothing(h):
    assert h.do(b"ZADD", b"z", b"XX", b"1", b"a") == integer(0)
    assert h.do(b"ZADD", b"z", b"XX", b"INCR", b"1", b"a") == NIL
    assert h.do(b"EXISTS", b"z") == integer(0)


def test_zadd_incr_replies_the_new_score_or_null(h):
    assert h.do(b"ZADD", b"z", b"INCR", b"1.5", b"a") == bulk(b"1.5")
    assert h.do(b"ZADD", b"z", b"INCR", b"1", b"a") == bulk(b"2.5")
    assert h.do(b"ZADD", b"z", b"NX", b"INCR", b"1", b"a") == NIL
    assert h.do(b"ZADD", b"z", b"GT", b"INCR", b"-1", b"a") == NIL
    assert h.do(b"ZADD", b"z", b"LT", b"INCR", b"-1", b"a") == bulk(b"1.5")


def test_zadd_incr_to_nan_is_an_error_and_changes_nothing(h):
    h.do(b"ZADD", b"z", b"inf", b"a")
    assert h.do(b"ZADD", b"z", b"INCR", b"-inf", b"a") == error("ERR resulting score is not a number (NaN)")
    assert h.do(b"ZSCORE", b"z", b"a") == bulk(b"inf")


ZADD_ERRORS = [
    ("nx-xx", [b"NX", b"XX", b"1", b"a"], "ERR XX and NX options at the same time are not compatible"),
    ("gt-lt", [b"GT", b"LT", b"1", b"a"], "ERR GT, LT, and/or NX options at the same time are not compatible"),
    ("nx-gt", [b"NX", b"GT", b"1", b"a"], "ERR GT, LT, and/or NX options at the same time are not compatible"),
    ("incr-two-pairs", [b"INCR", b"1", b"a", b"2", b"b"], "ERR INCR option supports a single increment-element pair"),
    ("odd-pairs", [b"1", b"a", b"2"], "ERR syntax error"),
    ("only-options", [b"NX", b"CH"], "ERR syntax error"),
    ("syntax-before-conflict", [b"NX", b"XX", b"1"], "ERR syntax error"),
    ("bad-score", [b"1", b"a", b"x", b"b"], "ERR value is not a valid float"),
    ("nan-score", [b"nan", b"a"], "ERR value is not a valid float"),
    ("overflow", [b"1e400", b"a"], "ERR value is not a valid float"),
    ("space", [b" 1", b"a"], "ERR value is not a valid float"),
]


@pytest.mark.parametrize(("name", "args", "text"), ZADD_ERRORS, ids=[c[0] for c in ZADD_ERRORS])
def test_zadd_errors(h, name, args, text):
    assert h.do(b"ZADD", b"z", *args) == error(text)
    assert h.do(b"EXISTS", b"z") == integer(0)


def test_zadd_scores_are_parsed_before_the_type_check(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"ZADD", b"s", b"nan", b"a") == NOT_FLOAT
    assert h.do(b"ZADD", b"s", b"1", b"a") == WRONGTYPE


# -- score formatting, RESP2 and RESP3 ---------------------------------------------------------------

SCORES = [
    ("integer", b"3.0", b"3"),
    ("tenth", b"0.1", b"0.10000000000000001"),
    ("1e17", b"1e17", b"1e+17"),
    ("hex", b"0x10", b"16"),
    ("inf", b"+inf", b"inf"),
    ("minus-inf", b"-Infinity", b"-inf"),
    ("subnormal", b"5e-324", b"4.9406564584124654e-324"),
]


@pytest.mark.parametrize(("name", "given", "text"), SCORES, ids=[c[0] for c in SCORES])
def test_scores_are_17_digit_doubles(h, name, given, text):
    h.do(b"ZADD", b"z", given, b"m")
    assert h.do(b"ZSCORE", b"z", b"m") == bulk(text)
    h.do(b"HELLO", b"3")
    assert h.do(b"ZSCORE", b"z", b"m") == double(text)
    assert h.do(b"ZMSCORE", b"z", b"m", b"x") == array(double(text), null())


def test_negative_zero_is_zero_in_a_listpack_and_kept_in_a_skiplist(h):
    assert h.do(b"ZINCRBY", b"small", b"-0.0", b"m") == bulk(b"-0")  # the reply is the sum...
    assert h.do(b"ZSCORE", b"small", b"m") == bulk(b"0")  # ...a listpack stores the integer 0
    h.do(b"ZADD", b"big", b"1", BIG, b"-0.0", b"m")
    assert h.do(b"ZSCORE", b"big", b"m") == bulk(b"-0")
    assert h.do(b"ZADD", b"big", b"0", b"m") == integer(0)  # 0 == -0: not an update
    assert h.do(b"ZSCORE", b"big", b"m") == bulk(b"-0")


# -- ZINCRBY ------------------------------------------------------------------------------------------


def test_zincrby_creates_and_adds(h):
    assert h.do(b"ZINCRBY", b"z", b"2", b"m") == bulk(b"2")
    assert h.do(b"ZINCRBY", b"z", b"0.5", b"m") == bulk(b"2.5")
    assert h.do(b"ZINCRBY", b"z", b"-10", b"m") == bulk(b"-7.5")


@pytest.mark.parametrize(("increment", "reply"), [
    (b"abc", NOT_FLOAT), (b"nan", NOT_FLOAT), (b"nx", SYNTAX), (b"incr", SYNTAX),
], ids=["not-a-float", "nan", "option-word", "incr-word"])
def test_zincrby_errors(h, increment, reply):
    # redis 7.0 shares ZADD's parser: an option name in the increment's place eats it
    assert h.do(b"ZINCRBY", b"z", increment, b"m") == reply


def test_zincrby_nan_result(h):
    h.do(b"ZADD", b"z", b"-inf", b"m")
    assert h.do(b"ZINCRBY", b"z", b"+inf", b"m") == error("ERR resulting score is not a number (NaN)")


# -- member reads -------------------------------------------------------------------------------------


def test_zcard_zscore_zmscore(h):
    abc(h)
    assert h.do(b"ZCARD", b"z") == integer(3)
    assert h.do(b"ZCARD", b"nokey") == integer(0)
    assert h.do(b"ZSCORE", b"z", b"b") == bulk(b"2")
    assert h.do(b"ZSCORE", b"z", b"x") == NIL
    assert h.do(b"ZMSCORE", b"z", b"c", b"x", b"a") == array(bulk(b"3"), NIL, bulk(b"1"))
    assert h.do(b"ZMSCORE", b"nokey", b"a") == array(NIL)


def test_zrank_and_zrevrank(h):
    abc(h)
    assert [h.do(b"ZRANK", b"z", m) for m in (b"a", b"c")] == [integer(0), integer(2)]
    assert [h.do(b"ZREVRANK", b"z", m) for m in (b"a", b"c")] == [integer(2), integer(0)]
    assert h.do(b"ZRANK", b"z", b"x") == NIL
    assert h.do(b"ZREVRANK", b"nokey", b"a") == NIL


def test_zrank_has_no_withscore_option_in_7_0(h):
    abc(h)
    assert h.do(b"ZRANK", b"z", b"a", b"WITHSCORE") == error("ERR wrong number of arguments for 'zrank' command")


@pytest.mark.parametrize("argv", [
    [b"ZCARD", b"s"], [b"ZSCORE", b"s", b"a"], [b"ZMSCORE", b"s", b"a"], [b"ZRANK", b"s", b"a"],
    [b"ZREVRANK", b"s", b"a"], [b"ZCOUNT", b"s", b"0", b"1"], [b"ZLEXCOUNT", b"s", b"-", b"+"],
    [b"ZRANGE", b"s", b"0", b"-1"], [b"ZREM", b"s", b"a"], [b"ZREMRANGEBYRANK", b"s", b"0", b"1"],
    [b"ZPOPMIN", b"s"], [b"ZRANDMEMBER", b"s"], [b"ZSCAN", b"s", b"0"], [b"ZINCRBY", b"s", b"1", b"a"],
    [b"ZRANGESTORE", b"d", b"s", b"0", b"-1"], [b"ZUNION", b"1", b"s"], [b"ZMPOP", b"1", b"s", b"MIN"],
    [b"BZPOPMIN", b"s", b"0"], [b"BZMPOP", b"0", b"1", b"s", b"MAX"],
], ids=lambda argv: argv[0].decode().lower())
def test_wrong_type(h, argv):
    h.do(b"SET", b"s", b"v")
    assert h.do(*argv) == WRONGTYPE
    assert h.do(b"GET", b"s") == bulk(b"v")


# -- ZCOUNT ZLEXCOUNT and bounds ----------------------------------------------------------------------

SCORE_BOUNDS = [
    ("inclusive", b"1", b"2", 3),
    ("exclusive-min", b"(1", b"2", 2),
    ("exclusive-both", b"(1", b"(3", 2),
    ("infinities", b"-inf", b"+inf", 6),
    ("exclusive-infinities", b"(-inf", b"(inf", 4),
    ("empty-is-zero", b"", b"2", 3),
    ("paren-alone-is-exclusive-zero", b"(", b"+inf", 5),
    ("leading-space", b" 1", b"2", 3),
    ("stops-at-nul", b"1\x00junk", b"2", 3),
    ("overflow-is-inf", b"1e400", b"inf", 1),
    ("reversed", b"3", b"1", 0),
]


@pytest.mark.parametrize(("name", "lo", "hi", "count"), SCORE_BOUNDS, ids=[c[0] for c in SCORE_BOUNDS])
def test_zcount_bounds(h, name, lo, hi, count):
    h.do(b"ZADD", b"z", b"-inf", b"m", b"1", b"a", b"2", b"b", b"2", b"bb", b"3", b"c", b"inf", b"p")
    assert h.do(b"ZCOUNT", b"z", lo, hi) == integer(count)


@pytest.mark.parametrize("bad", [b"nan", b"(nan", b"1 ", b"abc", b"((1", b"[1"])
def test_zcount_bad_bounds(h, bad):
    assert h.do(b"ZCOUNT", b"nokey", bad, b"1") == MIN_MAX_FLOAT
    assert h.do(b"ZCOUNT", b"nokey", b"1", bad) == MIN_MAX_FLOAT


LEX_BOUNDS = [
    ("all", b"-", b"+", 5),
    ("inclusive", b"[b", b"[d", 3),
    ("exclusive", b"(b", b"(d", 1),
    ("reversed", b"[d", b"[b", 0),
    ("same-exclusive", b"(b", b"[b", 0),
    ("empty-item", b"[", b"+", 5),
    ("plus-then-nul", b"-", b"+\x00x", 5),
    ("binary-item", b"[b\x00", b"+", 3),
]


@pytest.mark.parametrize(("name", "lo", "hi", "count"), LEX_BOUNDS, ids=[c[0] for c in LEX_BOUNDS])
def test_zlexcount_bounds(h, name, lo, hi, count):
    h.do(b"ZADD", b"z", b"0", b"a", b"0", b"b", b"0", b"c", b"0", b"d", b"0", b"e")
    assert h.do(b"ZLEXCOUNT", b"z", lo, hi) == integer(count)


@pytest.mark.parametrize("bad", [b"b", b"", b"-x", b"+x"])
def test_zlexcount_bad_bounds(h, bad):
    assert h.do(b"ZLEXCOUNT", b"nokey", bad, b"+") == MIN_MAX_LEX
    assert h.do(b"ZRANGEBYLEX", b"nokey", b"-", bad) == MIN_MAX_LEX


def test_lex_ranges_agree_between_encodings(h):
    members = [b"%03d" % i for i in range(100)]
    for key in (b"small", b"big"):
        h.do(b"ZADD", key, *(x for m in members for x in (b"0", m)))
    h.do(b"ZADD", b"big", b"0", BIG)
    h.do(b"ZREM", b"big", BIG)
    assert encoding(h, b"small") == b"listpack" and encoding(h, b"big") == b"skiplist"
    for lo, hi in [(b"[010", b"(050"), (b"(010", b"+"), (b"-", b"[099"), (b"[5", b"+")]:
        assert h.do(b"ZLEXCOUNT", b"small", lo, hi) == h.do(b"ZLEXCOUNT", b"big", lo, hi)
        assert h.do(b"ZRANGEBYLEX", b"small", lo, hi, b"LIMIT", b"3", b"5") == h.do(
            b"ZRANGEBYLEX", b"big", lo, hi, b"LIMIT", b"3", b"5")
        assert h.do(b"ZREVRANGEBYLEX", b"small", hi, lo) == h.do(b"ZREVRANGEBYLEX", b"big", hi, lo)


# -- ZRANGE family --------------------------------------------------------------------------------------

RANK_RANGES = [
    ("all", b"0", b"-1", [b"a", b"b", b"c", b"d"], [b"d", b"c", b"b", b"a"]),
    ("negative", b"-2", b"-1", [b"c", b"d"], [b"b", b"a"]),
    ("clipped", b"-100", b"100", [b"a", b"b", b"c", b"d"], [b"d", b"c", b"b", b"a"]),
    ("start-past-end", b"4", b"10", [], []),
    ("inverted", b"2", b"1", [], []),
    ("extremes", str(-(2**63)).encode(), str(INT64_MAX).encode(), [b"a", b"b", b"c", b"d"],
     [b"d", b"c", b"b", b"a"]),
]


@pytest.mark.parametrize(("name", "start", "stop", "members", "reversed_members"), RANK_RANGES,
                         ids=[c[0] for c in RANK_RANGES])
def test_zrange_by_rank(h, name, start, stop, members, reversed_members):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d")
    assert h.do(b"ZRANGE", b"z", start, stop) == bulks(*members)
    assert h.do(b"ZREVRANGE", b"z", start, stop) == bulks(*reversed_members)
    assert h.do(b"ZRANGE", b"z", start, stop, b"REV") == bulks(*reversed_members)


def test_zrevrange_walks_from_the_top(h):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d")
    assert h.do(b"ZREVRANGE", b"z", b"0", b"1") == bulks(b"d", b"c")
    assert h.do(b"ZREVRANGE", b"z", b"-1", b"-1", b"WITHSCORES") == flat((b"a", b"1"))
    assert h.do(b"ZRANGE", b"z", b"1", b"2", b"REV") == bulks(b"c", b"b")


def test_withscores_shapes(h):
    abc(h)
    assert h.do(b"ZRANGE", b"z", b"0", b"1", b"WITHSCORES") == flat((b"a", b"1"), (b"b", b"2"))
    h.do(b"HELLO", b"3")
    assert h.do(b"ZRANGE", b"z", b"0", b"1", b"WITHSCORES") == nested((b"a", "1"), (b"b", "2"))
    assert h.do(b"ZRANGEBYSCORE", b"z", b"3", b"3", b"WITHSCORES") == nested((b"c", "3"))
    assert h.do(b"ZUNION", b"1", b"z", b"WITHSCORES") == nested((b"a", "1"), (b"b", "2"), (b"c", "3"))


def test_zrange_by_score_with_limit(h):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"2", b"bb", b"3", b"c", b"4", b"d")
    assert h.do(b"ZRANGE", b"z", b"(1", b"+inf", b"BYSCORE", b"LIMIT", b"1", b"2") == bulks(b"bb", b"c")
    assert h.do(b"ZRANGE", b"z", b"+inf", b"(1", b"BYSCORE", b"REV", b"LIMIT", b"1", b"2") == bulks(b"c", b"bb")
    assert h.do(b"ZRANGEBYSCORE", b"z", b"2", b"2") == bulks(b"b", b"bb")
    assert h.do(b"ZREVRANGEBYSCORE", b"z", b"3", b"2", b"WITHSCORES") == flat((b"c", b"3"), (b"bb", b"2"), (b"b", b"2"))
    assert h.do(b"ZRANGEBYSCORE", b"z", b"-inf", b"+inf", b"LIMIT", b"-1", b"2") == EMPTY_ARRAY
    assert h.do(b"ZRANGEBYSCORE", b"z", b"-inf", b"+inf", b"LIMIT", b"3", b"-1") == bulks(b"c", b"d")


def test_zrange_by_lex_with_limit(h):
    h.do(b"ZADD", b"z", *(x for m in b"abcdefg" for x in (b"0", bytes([m]))))
    assert h.do(b"ZRANGE", b"z", b"[b", b"(e", b"BYLEX") == bulks(b"b", b"c", b"d")
    assert h.do(b"ZRANGE", b"z", b"+", b"-", b"BYLEX", b"REV", b"LIMIT", b"2", b"2") == bulks(b"e", b"d")
    assert h.do(b"ZRANGEBYLEX", b"z", b"-", b"+", b"LIMIT", b"5", b"10") == bulks(b"f", b"g")
    assert h.do(b"ZREVRANGEBYLEX", b"z", b"(c", b"-") == bulks(b"b", b"a")


ZRANGE_ERRORS = [
    ("bylex-withscores", [b"0", b"-1", b"BYLEX", b"WITHSCORES"],
     "ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    ("rank-limit", [b"0", b"-1", b"LIMIT", b"0", b"1"],
     "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
    ("rev-twice", [b"0", b"-1", b"REV", b"REV"], "ERR syntax error"),
    ("two-by", [b"0", b"-1", b"BYSCORE", b"BYLEX"], "ERR syntax error"),
    ("short-limit", [b"0", b"1", b"BYSCORE", b"LIMIT", b"0"], "ERR syntax error"),
    ("limit-not-int", [b"0", b"1", b"BYSCORE", b"LIMIT", b"x", b"1"], "ERR value is not an integer or out of range"),
    ("rank-not-int", [b"a", b"-1"], "ERR value is not an integer or out of range"),
    ("score-bound", [b"x", b"1", b"BYSCORE"], "ERR min or max is not a float"),
    ("lex-bound", [b"x", b"+", b"BYLEX"], "ERR min or max not valid string range item"),
]


@pytest.mark.parametrize(("name", "args", "text"), ZRANGE_ERRORS, ids=[c[0] for c in ZRANGE_ERRORS])
def test_zrange_errors_come_before_the_key(h, name, args, text):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"ZRANGE", b"s", *args) == error(text)


def test_zrange_rank_limit_with_count_minus_one_passes(h):
    abc(h)
    # redis 7.0 looks at the count's value, not at whether LIMIT was given
    assert h.do(b"ZRANGE", b"z", b"0", b"-1", b"LIMIT", b"5", b"-1") == bulks(b"a", b"b", b"c")


@pytest.mark.parametrize(("command", "option"), [
    (b"ZREVRANGE", b"REV"), (b"ZREVRANGE", b"BYSCORE"), (b"ZRANGEBYSCORE", b"REV"), (b"ZRANGEBYSCORE", b"BYLEX"),
    (b"ZRANGEBYLEX", b"BYSCORE"), (b"ZREVRANGEBYLEX", b"REV"),
], ids=["zrevrange-rev", "zrevrange-byscore", "zrangebyscore-rev", "zrangebyscore-bylex",
        "zrangebylex-byscore", "zrevrangebylex-rev"])
def test_older_range_commands_refuse_zrange_options(h, command, option):
    abc(h)
    lo, hi = (b"-", b"+") if b"LEX" in command else (b"0", b"1")
    assert h.do(command, b"z", lo, hi, option) == SYNTAX


# -- ZRANGESTORE and the set operations' STORE forms ----------------------------------------------------


def test_zrangestore_stores_with_scores_and_replaces_dst(h):
    abc(h)
    h.do(b"SET", b"dst", b"v")
    h.do(b"EXPIRE", b"dst", b"100")
    assert h.do(b"ZRANGESTORE", b"dst", b"z", b"(1", b"+inf", b"BYSCORE") == integer(2)
    assert h.do(b"ZRANGE", b"dst", b"0", b"-1", b"WITHSCORES") == flat((b"b", b"2"), (b"c", b"3"))
    assert h.do(b"TTL", b"dst") == integer(-1)


def test_zrangestore_empty_result_deletes_dst(h):
    abc(h)
    h.do(b"ZADD", b"dst", b"1", b"x")
    assert h.do(b"ZRANGESTORE", b"dst", b"z", b"5", b"9") == integer(0)
    assert h.do(b"EXISTS", b"dst") == integer(0)
    h.do(b"ZADD", b"dst", b"1", b"x")
    assert h.do(b"ZRANGESTORE", b"dst", b"nokey", b"0", b"-1") == integer(0)
    assert h.do(b"EXISTS", b"dst") == integer(0)


def test_zrangestore_refuses_withscores(h):
    abc(h)
    assert h.do(b"ZRANGESTORE", b"d", b"z", b"0", b"-1", b"WITHSCORES") == SYNTAX


def test_set_operations(h):
    h.do(b"ZADD", b"z1", b"1", b"a", b"2", b"b", b"3", b"c")
    h.do(b"ZADD", b"z2", b"10", b"b", b"20", b"c", b"30", b"d")
    assert h.do(b"ZUNION", b"2", b"z1", b"z2", b"WITHSCORES") == flat(
        (b"a", b"1"), (b"b", b"12"), (b"c", b"23"), (b"d", b"30"))
    assert h.do(b"ZINTER", b"2", b"z1", b"z2", b"AGGREGATE", b"MIN", b"WITHSCORES") == flat((b"b", b"2"), (b"c", b"3"))
    assert h.do(b"ZINTER", b"2", b"z1", b"z2", b"WEIGHTS", b"2", b"-1", b"WITHSCORES") == flat(
        (b"c", b"-14"), (b"b", b"-6"))
    assert h.do(b"ZDIFF", b"2", b"z1", b"z2", b"WITHSCORES") == flat((b"a", b"1"))
    assert h.do(b"ZINTERCARD", b"2", b"z1", b"z2") == integer(2)
    assert h.do(b"ZINTERCARD", b"2", b"z1", b"z2", b"LIMIT", b"1") == integer(1)


def test_set_operations_treat_inf_times_zero_and_inf_minus_inf_as_zero(h):
    h.do(b"ZADD", b"p", b"inf", b"a", b"-inf", b"b")
    h.do(b"ZADD", b"q", b"-inf", b"a", b"inf", b"b")
    assert h.do(b"ZUNION", b"2", b"p", b"q", b"WITHSCORES") == flat((b"a", b"0"), (b"b", b"0"))
    assert h.do(b"ZUNION", b"1", b"p", b"WEIGHTS", b"0", b"WITHSCORES") == flat((b"a", b"0"), (b"b", b"0"))
    assert h.do(b"ZINTER", b"2", b"p", b"q", b"WEIGHTS", b"1", b"0", b"AGGREGATE", b"MAX", b"WITHSCORES") == flat(
        (b"b", b"-inf"), (b"a", b"inf"))


def test_set_operations_accept_sets_with_score_one(h):
    h.do(b"ZADD", b"z", b"5", b"a", b"7", b"b")
    h.do(b"SADD", b"s", b"a", b"x")
    assert h.do(b"ZUNION", b"2", b"z", b"s", b"WITHSCORES") == flat((b"x", b"1"), (b"a", b"6"), (b"b", b"7"))
    assert h.do(b"ZINTERSTORE", b"d", b"2", b"s", b"z") == integer(1)
    assert h.do(b"ZRANGE", b"d", b"0", b"-1", b"WITHSCORES") == flat((b"a", b"6"))


def test_set_operation_keys_are_checked_before_options(h):
    h.do(b"SET", b"s", b"v")
    assert h.do(b"ZUNION", b"2", b"nokey", b"s", b"WEIGHTS", b"x") == WRONGTYPE
    assert h.do(b"ZUNION", b"1", b"nokey", b"WEIGHTS", b"x") == error("ERR weight value is not a float")


@pytest.mark.parametrize(("command", "name"), [
    (b"ZUNION", "zunion"), (b"ZINTER", "zinter"), (b"ZDIFF", "zdiff"), (b"ZINTERCARD", "zintercard"),
])
def test_set_operations_need_a_key(h, command, name):
    assert h.do(command, b"0", b"z") == error(f"ERR at least 1 input key is needed for '{name}' command")


def test_store_forms_write_delete_and_name_themselves(h):
    seen = events(h)
    h.do(b"ZADD", b"z1", b"1", b"a")
    assert h.do(b"ZUNIONSTORE", b"d", b"1", b"z1") == integer(1)
    assert h.do(b"ZINTERSTORE", b"d", b"2", b"z1", b"nokey") == integer(0)
    assert h.do(b"EXISTS", b"d") == integer(0)
    assert h.do(b"ZDIFFSTORE", b"d", b"1", b"nokey") == integer(0)
    assert seen == [("z", b"zadd", b"z1"), ("z", b"zunionstore", b"d"), ("g", b"del", b"d")]


@pytest.mark.parametrize(("members", "expected"), [
    ([b"a", b"b"], b"listpack"),
    ([b"a", BIG], b"skiplist"),
    ([b"m%d" % i for i in range(129)], b"skiplist"),
    ([b"m%d" % i for i in range(128)], b"listpack"),
], ids=["small", "long-member", "129-members", "128-members"])
def test_store_result_encoding(h, members, expected):
    h.do(b"ZADD", b"src", *(x for m in members for x in (b"1", m)))
    h.do(b"ZUNIONSTORE", b"u", b"1", b"src")
    h.do(b"ZRANGESTORE", b"r", b"src", b"0", b"-1")
    assert encoding(h, b"u") == expected
    assert encoding(h, b"r") == expected


# -- ZREM and ZREMRANGEBY* ----------------------------------------------------------------------------


def test_zrem_deletes_the_emptied_key(h):
    abc(h)
    assert h.do(b"ZREM", b"z", b"a", b"x", b"a") == integer(1)
    assert h.do(b"ZREM", b"z", b"b", b"c") == integer(2)
    assert h.do(b"EXISTS", b"z") == integer(0)


@pytest.mark.parametrize(("argv", "removed", "left"), [
    ([b"ZREMRANGEBYRANK", b"z", b"1", b"-2"], 2, [b"a", b"d"]),
    ([b"ZREMRANGEBYRANK", b"z", b"5", b"9"], 0, [b"a", b"b", b"c", b"d"]),
    ([b"ZREMRANGEBYSCORE", b"z", b"(1", b"3"], 2, [b"a", b"d"]),
    ([b"ZREMRANGEBYSCORE", b"z", b"-inf", b"(1"], 0, [b"a", b"b", b"c", b"d"]),
    ([b"ZREMRANGEBYLEX", b"lex", b"[b", b"(d"], 2, [b"a", b"d"]),
], ids=["rank", "rank-out-of-range", "score", "score-none", "lex"])
def test_zremrange(h, argv, removed, left):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d")
    h.do(b"ZADD", b"lex", b"0", b"a", b"0", b"b", b"0", b"c", b"0", b"d")
    assert h.do(*argv) == integer(removed)
    assert h.do(b"ZRANGE", argv[1], b"0", b"-1") == bulks(*left)


def test_zremrange_everything_deletes_the_key(h):
    abc(h)
    assert h.do(b"ZREMRANGEBYSCORE", b"z", b"-inf", b"+inf") == integer(3)
    assert h.do(b"EXISTS", b"z") == integer(0)


# -- pops ---------------------------------------------------------------------------------------------


def test_zpop_shapes(h):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c", b"4", b"d")
    assert h.do(b"ZPOPMIN", b"z") == flat((b"a", b"1"))
    assert h.do(b"ZPOPMAX", b"z", b"1") == flat((b"d", b"4"))
    h.do(b"HELLO", b"3")
    assert h.do(b"ZPOPMIN", b"z") == array(bulk(b"b"), double("2"))  # flat without a count
    assert h.do(b"ZPOPMAX", b"z", b"5") == nested((b"c", "3"))  # nested with one
    assert h.do(b"EXISTS", b"z") == integer(0)
    assert h.do(b"ZPOPMIN", b"z", b"2") == EMPTY_ARRAY


def test_zpop_count_errors(h):
    assert h.do(b"ZPOPMIN", b"z", b"-1") == error("ERR value is out of range, must be positive")
    assert h.do(b"ZPOPMIN", b"z", b"1", b"2") == SYNTAX


def test_zmpop(h):
    h.do(b"ZADD", b"z2", b"1", b"a", b"2", b"b")
    assert h.do(b"ZMPOP", b"2", b"z1", b"z2", b"MAX", b"COUNT", b"5") == array(
        bulk(b"z2"), array(array(bulk(b"b"), bulk(b"2")), array(bulk(b"a"), bulk(b"1"))))
    assert h.do(b"ZMPOP", b"1", b"z2", b"MIN") == NIL_ARRAY
    h.do(b"HELLO", b"3")
    assert h.do(b"ZMPOP", b"1", b"z2", b"MIN") == null()


@pytest.mark.parametrize(("args", "text"), [
    ([b"0", b"z", b"MIN"], "ERR numkeys should be greater than 0"),
    ([b"x", b"z", b"MIN"], "ERR numkeys should be greater than 0"),
    ([b"2", b"z", b"MIN"], "ERR syntax error"),
    ([b"1", b"z", b"UP"], "ERR syntax error"),
    ([b"1", b"z", b"MIN", b"COUNT", b"0"], "ERR count should be greater than 0"),
    ([b"1", b"z", b"MIN", b"COUNT", b"1", b"COUNT", b"1"], "ERR syntax error"),
    ([str(INT64_MAX).encode(), b"z", b"MIN"], "ERR syntax error"),
], ids=["numkeys-0", "numkeys-x", "too-few-keys", "bad-where", "count-0", "count-twice", "numkeys-huge"])
def test_zmpop_errors(h, args, text):
    assert h.do(b"ZMPOP", *args) == error(text)


# -- ZRANDMEMBER ------------------------------------------------------------------------------------------


def test_zrandmember_single(h):
    abc(h)
    for _ in range(20):
        assert decode(h.do(b"ZRANDMEMBER", b"z")) in (b"a", b"b", b"c")
    assert h.do(b"ZRANDMEMBER", b"nokey") == NIL


def test_zrandmember_positive_count_is_unique(h):
    h.do(b"ZADD", b"z", *(x for i in range(50) for x in (b"%d" % i, b"m%d" % i)))
    for count in (1, 10, 30, 49):
        got = decode(h.do(b"ZRANDMEMBER", b"z", b"%d" % count))
        assert len(got) == count == len(set(got)) and set(got) <= {b"m%d" % i for i in range(50)}


def test_zrandmember_small_positive_count_keeps_listpack_order(h):
    h.do(b"ZADD", b"z", *(x for i in range(50) for x in (b"%d" % i, b"m%02d" % i)))
    got = decode(h.do(b"ZRANDMEMBER", b"z", b"10"))
    assert got == sorted(got)


def test_zrandmember_count_covering_the_zset_walks_from_the_top(h):
    abc(h)
    assert h.do(b"ZRANDMEMBER", b"z", b"3") == bulks(b"c", b"b", b"a")
    assert h.do(b"ZRANDMEMBER", b"z", str(INT64_MAX).encode()) == bulks(b"c", b"b", b"a")


def test_zrandmember_negative_count_repeats(h):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b")
    got = decode(h.do(b"ZRANDMEMBER", b"z", b"-100"))
    assert len(got) == 100 and set(got) == {b"a", b"b"}
    pairs = decode(h.do(b"ZRANDMEMBER", b"z", b"-20", b"WITHSCORES"))
    assert len(pairs) == 40 and all({b"a": b"1", b"b": b"2"}[m] == s for m, s in zip(pairs[::2], pairs[1::2]))
    h.do(b"HELLO", b"3")
    nested_pairs = decode(h.do(b"ZRANDMEMBER", b"z", b"-5", b"WITHSCORES"))
    assert len(nested_pairs) == 5 and all(len(p) == 2 and isinstance(p[1], float) for p in nested_pairs)


def test_zrandmember_is_seeded():
    from tests.support.harness import Harness

    replies = []
    for _ in range(2):
        h = Harness(seed=7)
        h.do(b"ZADD", b"z", *(x for i in range(300) for x in (b"%d" % i, b"m%d" % i)))
        replies.append([h.do(b"ZRANDMEMBER", b"z", c) for c in (b"-10", b"5", b"200")])
    assert replies[0] == replies[1]


@pytest.mark.parametrize(("args", "reply"), [
    ([b"x"], NOT_INT),
    ([str(-(2**63)).encode()], error("ERR value is out of range, value must between -9223372036854775807 and "
                                     "9223372036854775807")),
    ([b"4611686018427387904", b"WITHSCORES"], error("ERR value is out of range")),
    ([b"-4611686018427387904", b"WITHSCORES"], error("ERR value is out of range")),
    ([b"1", b"FOO"], SYNTAX),
    ([b"1", b"WITHSCORES", b"X"], SYNTAX),
], ids=["not-int", "int64-min", "withscores-too-big", "withscores-too-small", "bad-option", "extra"])
def test_zrandmember_errors(h, args, reply):
    abc(h)
    assert h.do(b"ZRANDMEMBER", b"z", *args) == reply


def test_zrandmember_huge_negative_count_is_refused(h):
    # Redis 7.0 would build an unbounded reply (protocol_spec.md section 3)
    abc(h)
    text = f"ERR ZRANDMEMBER count is out of range: kvfake returns at most {zsets_module.ZRANDMEMBER_MAX_REPEATS} " \
           "random members"
    assert h.do(b"ZRANDMEMBER", b"z", b"-" + str(INT64_MAX).encode()) == error(text)
    assert h.do(b"ZRANDMEMBER", b"z", b"-4611686018427387903", b"WITHSCORES") == error(text)
    assert h.do(b"ZRANDMEMBER", b"nokey", b"-" + str(INT64_MAX).encode()) == EMPTY_ARRAY


def test_zrandmember_limit_is_inclusive(h, monkeypatch):
    monkeypatch.setattr(zsets_module, "ZRANDMEMBER_MAX_REPEATS", 30)
    abc(h)
    assert len(decode(h.do(b"ZRANDMEMBER", b"z", b"-30"))) == 30
    assert h.do(b"ZRANDMEMBER", b"z", b"-31").startswith(b"-ERR ZRANDMEMBER count is out of range")


# -- ZSCAN ----------------------------------------------------------------------------------------------


def test_zscan_listpack_returns_everything_in_order(h):
    h.do(b"ZADD", b"z", b"2", b"b", b"1.5", b"a", b"3", b"ab")
    assert h.do(b"ZSCAN", b"z", b"0", b"COUNT", b"1") == array(
        bulk(b"0"), flat((b"a", b"1.5"), (b"b", b"2"), (b"ab", b"3")))
    assert h.do(b"ZSCAN", b"z", b"0", b"MATCH", b"a*") == array(bulk(b"0"), flat((b"a", b"1.5"), (b"ab", b"3")))
    h.do(b"HELLO", b"3")
    assert h.do(b"ZSCAN", b"z", b"0", b"MATCH", b"b") == array(bulk(b"0"), flat((b"b", b"2")))  # bulk scores


@pytest.mark.parametrize(("score", "listpack_text", "skiplist_text"), [
    (b"1e17", b"100000000000000000", b"1e+17"),
    (b"4611686018427387904", b"4611686018427387904", b"4.6116860184273879e+18"),
    (b"4611686018427388928", b"4.6116860184273889e+18", b"4.6116860184273889e+18"),
    (b"-4611686018427387904", b"-4611686018427387904", b"-4.6116860184273879e+18"),
    (b"2.5", b"2.5", b"2.5"),
    (b"inf", b"inf", b"inf"),
], ids=["1e17", "2-pow-62", "past-2-pow-62", "minus-2-pow-62", "fraction", "inf"])
def test_zscan_prints_scores_as_the_encoding_holds_them(h, score, listpack_text, skiplist_text):
    h.do(b"ZADD", b"small", score, b"m")
    h.do(b"ZADD", b"big", score, b"m", b"0", BIG)
    assert h.do(b"ZSCAN", b"small", b"0") == array(bulk(b"0"), flat((b"m", listpack_text)))
    assert (b"m", skiplist_text) in zscan_all(h, b"big")
    assert h.do(b"ZSCORE", b"small", b"m") == bulk(skiplist_text)


def zscan_all(h, key: bytes, *options: bytes) -> list:
    cursor, found = b"0", []
    for _ in range(10_000):
        cursor, batch = decode(h.do(b"ZSCAN", key, cursor, *options))
        found.extend(zip(batch[::2], batch[1::2]))
        if cursor == b"0":
            return found
    raise AssertionError("ZSCAN did not end")


def test_zscan_skiplist_visits_each_member_once(h):
    h.store.zadd(0, "z", {b"m%d" % i: i / 2 for i in range(1000)})
    assert encoding(h, b"z") == b"skiplist"
    got = zscan_all(h, b"z", b"COUNT", b"7")
    assert len(got) == 1000 and dict(got) == {b"m%d" % i: format(i / 2, ".17g").encode() for i in range(1000)}
    assert len(zscan_all(h, b"z", b"MATCH", b"m1*")) == 111


def test_zscan_keeps_members_present_for_the_whole_scan(h):
    h.store.zadd(0, "z", {b"m%d" % i: i for i in range(500)})
    cursor, batch = decode(h.do(b"ZSCAN", b"z", b"0"))
    seen = {m for m in batch[::2]}
    h.do(b"ZREM", b"z", *(b"m%d" % i for i in range(0, 500, 3)))
    h.do(b"ZADD", b"z", b"1", b"new")
    while cursor != b"0":
        cursor, batch = decode(h.do(b"ZSCAN", b"z", cursor))
        seen.update(batch[::2])
    assert {b"m%d" % i for i in range(500) if i % 3} <= seen


def test_zscan_errors(h):
    abc(h)
    assert h.do(b"ZSCAN", b"z", b"x") == error("ERR invalid cursor")
    assert h.do(b"ZSCAN", b"z", b"0", b"TYPE", b"zset") == SYNTAX
    assert h.do(b"ZSCAN", b"z", b"0", b"COUNT", b"0") == SYNTAX
    assert h.do(b"ZSCAN", b"nokey", b"0", b"FOO") == array(bulk(b"0"), EMPTY_ARRAY)


# -- encodings ---------------------------------------------------------------------------------------------


def test_encoding_follows_config_and_is_one_way(h):
    h.do(b"CONFIG", b"SET", b"zset-max-listpack-entries", b"3")
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b", b"3", b"c")
    assert encoding(h, b"z") == b"listpack"
    h.do(b"ZADD", b"z", b"3", b"c")
    assert encoding(h, b"z") == b"listpack"
    h.do(b"ZADD", b"z", b"4", b"d")
    assert encoding(h, b"z") == b"skiplist"
    h.do(b"ZREM", b"z", b"a", b"b", b"c")
    assert encoding(h, b"z") == b"skiplist"
    h.do(b"CONFIG", b"SET", b"zset-max-ziplist-value", b"2")
    h.do(b"ZADD", b"y", b"1", b"ab")
    assert encoding(h, b"y") == b"listpack"
    h.do(b"ZADD", b"y", b"1", b"abc")
    assert encoding(h, b"y") == b"skiplist"


def test_copy_keeps_encoding_and_is_independent(h):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", BIG)
    assert h.do(b"COPY", b"z", b"c") == integer(1)
    h.do(b"ZREM", b"c", BIG)
    assert encoding(h, b"c") == b"skiplist"
    assert h.do(b"ZCARD", b"z") == integer(2)
    assert value(h, b"c") is not value(h, b"z")


def test_type_rename_move(h):
    abc(h)
    assert h.do(b"TYPE", b"z") == b"+zset\r\n"
    h.do(b"RENAME", b"z", b"r")
    assert h.do(b"MOVE", b"r", b"3") == integer(1)
    h.do(b"SELECT", b"3")
    assert h.do(b"ZRANGE", b"r", b"0", b"-1", b"WITHSCORES") == flat((b"a", b"1"), (b"b", b"2"), (b"c", b"3"))


def test_scan_type_zset(h):
    abc(h)
    h.do(b"SET", b"s", b"v")
    assert h.do(b"SCAN", b"0", b"TYPE", b"zset") == array(bulk(b"0"), bulks(b"z"))


def test_expired_zset_is_gone(h):
    abc(h)
    h.do(b"EXPIRE", b"z", b"10")
    h.do(b"ZADD", b"z", b"4", b"d")
    assert h.do(b"TTL", b"z") == integer(10)  # changing a zset keeps its TTL
    h.clock.advance(10.001)  # gone once past its time
    assert h.do(b"ZCARD", b"z") == integer(0)
    assert h.do(b"ZADD", b"z", b"XX", b"1", b"a") == integer(0)
    assert h.do(b"EXISTS", b"z") == integer(0)


# -- keyspace events and WATCH ------------------------------------------------------------------------------

EVENTS = [
    ("zadd", [[b"ZADD", b"z", b"1", b"c"]], [("z", b"zadd", b"z")]),
    ("zadd-noop", [[b"ZADD", b"z", b"NX", b"5", b"b"], [b"ZADD", b"z", b"2", b"b"]], []),
    ("zincr", [[b"ZINCRBY", b"z", b"1", b"a"], [b"ZADD", b"z", b"INCR", b"1", b"a"]],
     [("z", b"zincr", b"z"), ("z", b"zincr", b"z")]),
    ("zrem-to-empty", [[b"ZREM", b"z", b"a", b"b"]], [("z", b"zrem", b"z"), ("g", b"del", b"z")]),
    ("zrem-none", [[b"ZREM", b"z", b"x"]], []),
    ("zremrangebyrank", [[b"ZREMRANGEBYRANK", b"z", b"0", b"0"]], [("z", b"zremrangebyrank", b"z")]),
    ("zremrangebyscore-all", [[b"ZREMRANGEBYSCORE", b"z", b"-inf", b"+inf"]],
     [("z", b"zremrangebyscore", b"z"), ("g", b"del", b"z")]),
    ("zremrangebylex", [[b"ZREMRANGEBYLEX", b"z", b"[a", b"[a"]], [("z", b"zremrangebylex", b"z")]),
    ("zpopmin", [[b"ZPOPMIN", b"z", b"2"]], [("z", b"zpopmin", b"z"), ("g", b"del", b"z")]),
    ("zpopmax", [[b"ZPOPMAX", b"z"]], [("z", b"zpopmax", b"z")]),
    ("zmpop", [[b"ZMPOP", b"1", b"z", b"MAX"]], [("z", b"zpopmax", b"z")]),
    ("zrangestore", [[b"ZRANGESTORE", b"d", b"z", b"0", b"0"], [b"ZRANGESTORE", b"d", b"z", b"5", b"5"]],
     [("z", b"zrangestore", b"d"), ("g", b"del", b"d")]),
    ("zunionstore", [[b"ZUNIONSTORE", b"d", b"1", b"z"]], [("z", b"zunionstore", b"d")]),
    ("zinterstore", [[b"ZINTERSTORE", b"d", b"1", b"z"]], [("z", b"zinterstore", b"d")]),
    ("zdiffstore", [[b"ZDIFFSTORE", b"d", b"1", b"z"]], [("z", b"zdiffstore", b"d")]),
]


@pytest.mark.parametrize(("name", "commands", "expected"), EVENTS, ids=[c[0] for c in EVENTS])
def test_keyspace_events(h, name, commands, expected):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b")
    seen = events(h)
    for argv in commands:
        h.do(*argv)
    assert seen == expected


@pytest.mark.parametrize(("argv", "dirty"), [
    ([b"ZADD", b"z", b"5", b"a"], True),
    ([b"ZADD", b"z", b"1", b"a"], False),
    ([b"ZREM", b"z", b"a"], True),
    ([b"ZREM", b"z", b"x"], False),
    ([b"ZPOPMIN", b"z"], True),
    ([b"ZINCRBY", b"z", b"0", b"a"], False),
    ([b"ZREMRANGEBYRANK", b"z", b"0", b"-1"], True),
    ([b"ZRANGESTORE", b"z", b"z", b"0", b"0"], True),
    ([b"ZRANGE", b"z", b"0", b"-1"], False),
], ids=["zadd-update", "zadd-same", "zrem", "zrem-none", "zpopmin", "zincrby-zero", "zremrange-all",
        "zrangestore", "zrange"])
def test_watch_signals(h, argv, dirty):
    h.do(b"ZADD", b"z", b"1", b"a", b"2", b"b")
    w = watch(h, b"z")
    h.do(*argv)
    assert w.dirty is dirty


# -- blocking pops -----------------------------------------------------------------------------------------


def test_bzpopmin_blocks_then_is_served_by_zadd(h):
    waiter = h.new_client()
    assert waiter.do(b"BZPOPMIN", b"z", b"0") == b""
    assert waiter.session.blocked
    assert h.do(b"ZADD", b"z", b"2", b"b", b"1", b"a") == integer(2)
    assert waiter.take() == bulks(b"z", b"a", b"1")
    assert h.do(b"ZRANGE", b"z", b"0", b"-1") == bulks(b"b")
    assert h.store.blocking_keys == {}


def test_bzpop_waiters_are_served_first_blocked_first(h):
    first, second = h.new_client(), h.new_client()
    first.do(b"BZPOPMAX", b"z", b"0")
    second.do(b"BZPOPMIN", b"z", b"0")
    h.do(b"ZADD", b"z", b"1", b"x")
    assert (first.take(), second.take()) == (bulks(b"z", b"x", b"1"), b"")
    h.do(b"ZADD", b"z", b"1", b"y", b"2", b"w")
    assert second.take() == bulks(b"z", b"y", b"1")


def test_bzpopmin_is_served_from_the_key_that_became_ready(h):
    waiter = h.new_client()
    waiter.do(b"BZPOPMIN", b"a", b"b", b"0")
    h.do(b"ZADD", b"b", b"3", b"m")
    assert waiter.take() == bulks(b"b", b"m", b"3")


def test_bzmpop_served_with_its_count_in_resp3(h):
    waiter = h.new_client()
    waiter.do(b"HELLO", b"3")
    waiter.do(b"BZMPOP", b"0", b"2", b"a", b"b", b"MAX", b"COUNT", b"2")
    h.do(b"ZADD", b"b", b"1", b"x", b"2", b"y", b"3", b"z")
    assert waiter.take() == array(bulk(b"b"), nested((b"z", "3"), (b"y", "2")))


@pytest.mark.parametrize("setup", [
    [[b"ZINCRBY", b"z", b"1", b"m"]],
    [[b"ZADD", b"src", b"1", b"m"], [b"ZUNIONSTORE", b"z", b"1", b"src"]],
    [[b"ZADD", b"src", b"1", b"m"], [b"ZRANGESTORE", b"z", b"src", b"0", b"-1"]],
    [[b"ZADD", b"src", b"1", b"m"], [b"RENAME", b"src", b"z"]],
    [[b"SELECT", b"1"], [b"ZADD", b"z", b"1", b"m"], [b"MOVE", b"z", b"0"]],
], ids=["zincrby", "zunionstore", "zrangestore", "rename", "move"])
def test_zset_creation_by_other_commands_wakes(h, setup):
    waiter = h.new_client()
    waiter.do(b"BZPOPMIN", b"z", b"0")
    for argv in setup:
        h.do(*argv)
    assert waiter.take() == bulks(b"z", b"m", b"1")


def test_another_type_leaves_the_waiter_blocked(h):
    waiter = h.new_client()
    waiter.do(b"BZPOPMIN", b"k", b"0")
    h.do(b"RPUSH", b"k", b"x")
    assert waiter.take() == b"" and waiter.session.blocked
    h.do(b"DEL", b"k")
    h.do(b"ZADD", b"k", b"1", b"m")
    assert waiter.take() == bulks(b"k", b"m", b"1")


@pytest.mark.parametrize("argv", [
    [b"BZPOPMIN", b"z", b"1.5"], [b"BZPOPMAX", b"z", b"y", b"1.5"], [b"BZMPOP", b"1.5", b"1", b"z", b"MIN"],
], ids=["bzpopmin", "bzpopmax", "bzmpop"])
def test_bzpop_timeout_follows_the_clock(h, argv):
    waiter = h.new_client()
    waiter.do(*argv)
    h.clock.advance(1.5)
    assert waiter.take() == b""  # still waiting at the deadline, gone once past it
    h.clock.advance(0.001)
    assert waiter.take() == NIL_ARRAY
    assert h.store.blocking_keys == {}


@pytest.mark.parametrize("argv", [
    [b"BZPOPMIN", b"z", b"0"], [b"BZPOPMAX", b"z", b"0"], [b"BZMPOP", b"0", b"1", b"z", b"MAX"],
], ids=["bzpopmin", "bzpopmax", "bzmpop"])
def test_bzpop_inside_exec_answers_at_once(h, argv):
    h.session.in_exec = True
    assert h.do(*argv) == NIL_ARRAY
    assert not h.session.blocked


def test_store_api_zadd_wakes_a_waiter(h):
    waiter = h.new_client()
    waiter.do(b"BZPOPMAX", b"board", b"0")
    assert h.store.zadd(0, "board", {"alice": 10, "bob": 7.5}) == 2
    assert waiter.take() == bulks(b"board", b"alice", b"10")
    assert h.store.get(0, "board") == {b"bob": 7.5}


def test_disconnected_waiter_leaves_nothing(h):
    waiter = h.new_client()
    waiter.do(b"BZPOPMIN", b"z", b"y", b"0")
    assert h.dispatcher.blocking.cancel(waiter)
    assert h.store.blocking_keys == {} and len(h.dispatcher.blocking) == 0
    h.do(b"ZADD", b"z", b"1", b"m")
    assert waiter.take() == b"" and h.do(b"ZCARD", b"z") == integer(1)


@pytest.mark.parametrize(("argv", "text"), [
    ([b"BZPOPMIN", b"z", b"-1"], "ERR timeout is negative"),
    ([b"BZPOPMIN", b"z", b"x"], "ERR timeout is not a float or out of range"),
    ([b"BZMPOP", b"x", b"0", b"z", b"MIN"], "ERR numkeys should be greater than 0"),
    ([b"BZMPOP", b"x", b"1", b"z", b"MIN"], "ERR timeout is not a float or out of range"),
], ids=["negative", "not-a-float", "bzmpop-numkeys-first", "bzmpop-timeout"])
def test_bzpop_errors(h, argv, text):
    assert h.do(*argv) == error(text)


# -- the Store API ------------------------------------------------------------------------------------------


def test_store_api_zadd_and_get(h):
    assert h.store.zadd(0, "z", {"a": 1, b"b": 2.5}) == 2
    assert h.store.zadd(0, "z", {"a": 3, "c": -1}) == 1
    assert h.store.get(0, "z") == {b"a": 3.0, b"b": 2.5, b"c": -1.0}
    assert h.store.type(0, "z") == "zset"
    assert h.do(b"ZRANGE", b"z", b"0", b"-1") == bulks(b"c", b"b", b"a")
    exported = h.store.get(0, "z")
    exported[b"x"] = 1.0
    assert h.do(b"ZCARD", b"z") == integer(3)


def test_store_api_zadd_encoding_and_errors(h):
    h.store.zadd(0, "big", {b"m%d" % i: i for i in range(129)})
    assert encoding(h, b"big") == b"skiplist"
    h.store.zadd(0, "grow", {b"a": 1})
    h.store.zadd(0, "grow", {BIG: 1})
    assert encoding(h, b"grow") == b"skiplist"
    with pytest.raises(KvfakeError):
        h.store.zadd(0, "z", {"a": math.nan})
    with pytest.raises(KvfakeError):
        h.store.zadd(0, "z", {})
    h.store.set(0, "s", "v")
    with pytest.raises(WrongTypeError):
        h.store.zadd(0, "s", {"a": 1})


# -- hostile sizes ---------------------------------------------------------------------------------------------


def test_zrange_over_a_large_zset_answers_in_full(h):
    h.store.zadd(0, "z", {b"m%d" % i: i for i in range(200_000)})
    reply = h.run(b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES")
    assert len(reply) == 400_000 and reply[-2:] == [b"m199999", b"199999"]
    assert h.run(b"ZRANGEBYSCORE", b"z", b"-inf", b"+inf", b"LIMIT", b"199998", str(INT64_MAX).encode()) == [
        b"m199998", b"m199999"]


@pytest.mark.parametrize("argv", [
    [b"ZRANGE", b"z", b"0", str(INT64_MAX).encode()],
    [b"ZRANGEBYSCORE", b"z", b"-inf", b"+inf", b"LIMIT", str(INT64_MAX).encode(), str(INT64_MAX).encode()],
    [b"ZREMRANGEBYRANK", b"z", str(-(2**63)).encode(), b"-3"],
    [b"ZPOPMIN", b"z", str(INT64_MAX).encode()],
    [b"ZRANDMEMBER", b"z", str(INT64_MAX).encode()],
    [b"ZMPOP", b"1", b"z", b"MIN", b"COUNT", str(INT64_MAX).encode()],
], ids=["zrange", "zrangebyscore-limit", "zremrangebyrank", "zpopmin", "zrandmember", "zmpop"])
def test_extreme_counts_are_bounded_by_the_zset(h, argv):
    abc(h)
    assert not h.do(*argv).startswith(b"-")


# -- redis-py end to end ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.zadd("lb", {"alice": 10, "bob": 7.5, "carol": 12}) == 3
        assert client.zincrby("lb", 2.5, "bob") == 10.0
        assert client.zscore("lb", "carol") == 12.0
        assert client.zmscore("lb", ["alice", "nobody"]) == [10.0, None]
        assert client.zrank("lb", "carol") == 2 and client.zrevrank("lb", "carol") == 0
        pairs = client.zrange("lb", 0, -1, withscores=True)  # tuples in RESP2, lists in RESP3
        assert [tuple(p) for p in pairs] == [(b"alice", 10.0), (b"bob", 10.0), (b"carol", 12.0)]
        assert [tuple(p) for p in client.zrevrangebyscore("lb", "+inf", "(10", withscores=True)] == [(b"carol", 12.0)]
        assert client.zrangebylex("lb", "-", "(b") == [b"alice"]
        assert client.zcount("lb", 10, 12) == 3 and client.zlexcount("lb", "-", "+") == 3
        assert client.zunionstore("u", {"lb": 2}) == 3
        assert [tuple(p) for p in client.zrange("u", 0, 0, withscores=True)] == [(b"alice", 20.0)]
        assert tuple(client.zinter(["lb", "u"], withscores=True, aggregate="MAX")[-1]) == (b"carol", 24.0)
        assert client.zrandmember("lb", -5) and len(client.zrandmember("lb", -5)) == 5
        assert dict(client.zscan_iter("lb")) == {b"alice": 10.0, b"bob": 10.0, b"carol": 12.0}
        # one flat [member, score] in RESP3 (no count), parsed by redis-py as such
        assert client.zpopmax("lb") in ([(b"carol", 12.0)], [b"carol", 12.0])
        assert tuple(client.bzpopmin(["nokey", "lb"], timeout=1)) == (b"lb", b"alice", 10.0)
        # redis-py parses ZMPOP's scores only in RESP3
        assert client.zmpop(1, ["lb"], max=True) == [b"lb", [[b"bob", 10.0 if protocol == 3 else b"10"]]]
        assert client.exists("lb") == 0
        assert client.zrangestore("r", "u", 0, 1) == 2 and client.type("r") == b"zset"
    finally:
        client.close()
