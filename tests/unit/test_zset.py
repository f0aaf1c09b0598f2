"""The sorted-set structure (kvfake/store/zset.py) against a naive sorted list, plus a scale check.

The hypothesis properties drive a ZSet and a plain dict through the same random changes and compare
every query with the answer computed by brute force over ``sorted((score, member))``; they run for
both encodings (``big`` False walks a listpack-like list, True bisects), whose answers must agree
whenever Redis's own are defined (lex ranges over equal scores).  The scale check builds a
1,000,000-member zset through ``Store.zadd`` and counts how many elements each leaderboard query
touches (no timing assertions: bench/zset_leaderboard.py prints the figures).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sortedcontainers import SortedList

import kvfake.store.zset as zset_module
from kvfake.store.zset import MAX_STR, MIN_STR, TOP, LexRange, ScoreRange, ZSet, lex_cmp

# -- naive model ------------------------------------------------------------------------------


def naive_order(model: dict) -> list:
    return sorted((s, m) for m, s in model.items())


def naive_rank_range(n: int, start: int, end: int):
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


def naive_window(items: list, reverse: bool, offset: int, limit: int) -> list:
    if offset < 0 or limit == 0:
        return []
    items = items[::-1] if reverse else items
    items = items[offset:]
    return items if limit < 0 else items[:limit]


def in_score(r: ScoreRange, s: float) -> bool:
    return r.gte_min(s) and r.lte_max(s)


def in_lex(r: LexRange, m: bytes) -> bool:
    return r.gte_min(m) and r.lte_max(m)


# -- strategies ------------------------------------------------------------------------------------

members = st.binary(max_size=3)
scores = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 1.5, -2.0, math.inf, -math.inf]),
    st.floats(allow_nan=False, width=16),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), members, scores),
        st.tuples(st.just("discard"), members),
        st.tuples(st.just("pop"), st.integers(1, 4), st.booleans()),
    ),
    max_size=60,
)
bound = st.one_of(scores, st.sampled_from([0.5, 1.0, 2.0]))
score_ranges = st.builds(ScoreRange, bound, st.booleans(), bound, st.booleans())
lex_item = st.one_of(st.just(MIN_STR), st.just(MAX_STR), members)
lex_ranges = st.builds(LexRange, lex_item, st.booleans(), lex_item, st.booleans())
windows = st.tuples(st.booleans(), st.integers(-2, 5), st.integers(-2, 5))


def build(actions, big: bool) -> tuple:
    zs = ZSet()
    zs.big = big
    model: dict = {}
    for action in actions:
        if action[0] == "add":
            _, m, s = action
            zs.add(m, s)
            model[m] = s
        elif action[0] == "discard":
            assert zs.discard(action[1]) == (model.pop(action[1], None) is not None)
        else:
            _, count, highest = action
            expected = naive_order(model)
            expected = expected[::-1][:count] if highest else expected[:count]
            got = zs.pop(count, highest)
            assert got == expected
            for _, m in got:
                del model[m]
    return zs, model


def same_structure(zs: ZSet, model: dict) -> None:
    assert len(zs) == len(model)
    assert zs.scores == model
    assert list(zs.order) == naive_order(model)


# -- properties -------------------------------------------------------------------------------------


@given(ops, st.booleans())
def test_changes_keep_both_views_in_step(actions, big):
    zs, model = build(actions, big)
    same_structure(zs, model)
    for m in model:
        assert zs.rank(m) == naive_order(model).index((model[m], m))
    assert zs.rank(b"\xff" * 9) is None


@given(ops, st.booleans(), st.integers(-8, 8), st.integers(-8, 8), st.booleans())
def test_by_rank_matches_naive(actions, big, start, end, reverse):
    zs, model = build(actions, big)
    order = naive_order(model)
    span = naive_rank_range(len(order), start, end)
    expected = [] if span is None else order[span[0]: span[1] + 1]
    if reverse and span is not None:
        n = len(order)
        expected = order[::-1][span[0]: span[1] + 1]
        assert expected == [order[n - 1 - i] for i in range(span[0], span[1] + 1)]
    assert zs.by_rank(start, end, reverse) == expected


@given(ops, st.booleans(), score_ranges, windows)
def test_by_score_matches_naive(actions, big, r, window):
    zs, model = build(actions, big)
    reverse, offset, limit = window
    matching = [p for p in naive_order(model) if in_score(r, p[0])]
    assert zs.by_score(r, reverse, offset, limit) == naive_window(matching, reverse, offset, limit)
    assert zs.count_by_score(r) == len(matching)
    removed = zs.remove_by_score(r)
    assert removed == matching
    for _, m in matching:
        del model[m]
    same_structure(zs, model)


@given(st.lists(members, unique=True, max_size=40), st.booleans(), lex_ranges, windows)
def test_by_lex_over_equal_scores_matches_naive(names, big, r, window):
    zs = ZSet()
    zs.big = big
    for m in names:
        zs.add(m, 7.0)
    reverse, offset, limit = window
    matching = [(7.0, m) for m in sorted(names) if in_lex(r, m)]
    assert zs.by_lex(r, reverse, offset, limit) == naive_window(matching, reverse, offset, limit)
    assert zs.count_by_lex(r) == len(matching)
    removed = zs.remove_by_lex(r)
    assert removed == matching
    assert sorted(zs.scores) == sorted(set(names) - {m for _, m in matching})


@given(ops, lex_ranges, windows)
def test_lex_on_mixed_scores_walks_like_a_listpack(actions, r, window):
    # unspecified in Redis's documentation, deterministic on a listpack: check kvfake's small
    # encoding against a literal transcription of that walk
    zs, model = build(actions, False)
    order = naive_order(model)
    reverse, offset, limit = window
    expected = []
    ends_ok = bool(order) and not r.is_empty() and r.gte_min(order[-1][1]) and r.lte_max(order[0][1])
    if ends_ok and offset >= 0 and limit != 0:
        seq = order[::-1] if reverse else order
        first, keep = (r.lte_max, r.gte_min) if reverse else (r.gte_min, r.lte_max)
        i = next((i for i, (_, m) in enumerate(seq) if first(m)), None)
        if i is not None and keep(seq[i][1]):
            for s, m in seq[i + offset:]:
                if not keep(m) or len(expected) == limit:
                    break
                expected.append((s, m))
    assert zs.by_lex(r, reverse, offset, limit) == expected


# -- encodings, copies, sentinels ------------------------------------------------------------------------


def test_small_zset_stores_negative_zero_as_zero():
    zs = ZSet()
    zs.add(b"m", -0.0)
    assert math.copysign(1, zs.score(b"m")) == 1


def test_big_zset_keeps_negative_zero():
    zs = ZSet()
    zs.big = True
    zs.add(b"m", -0.0)
    assert math.copysign(1, zs.score(b"m")) == -1


def test_make_small_turns_negative_zero_into_zero():
    zs = ZSet.from_scores({b"a": -0.0, b"b": 1.0, b"c": 0.0}, big=True)
    zs.make_small()
    assert not zs.big
    assert [(math.copysign(1, s), m) for s, m in zs.order] == [(1, b"a"), (1, b"c"), (1, b"b")]
    assert math.copysign(1, zs.score(b"a")) == 1


def test_from_scores_small_normalises_negative_zero():
    zs = ZSet.from_scores({b"a": -0.0}, big=False)
    assert math.copysign(1, zs.score(b"a")) == 1 and not zs.big


def test_negative_zero_ranks_with_zero():
    zs = ZSet.from_scores({b"b": -0.0, b"a": 0.0, b"c": -1.0}, big=True)
    assert [m for _, m in zs.order] == [b"c", b"a", b"b"]
    assert zs.rank(b"b") == 2
    assert zs.discard(b"b") and zs.rank(b"b") is None


def test_copy_is_independent_and_keeps_encoding():
    zs = ZSet.from_scores({b"a": 1.0, b"b": 2.0}, big=True)
    other = zs.copy()
    other.add(b"c", 3.0)
    other.discard(b"a")
    assert zs.export() == {b"a": 1.0, b"b": 2.0}
    assert other.export() == {b"b": 2.0, b"c": 3.0}
    assert other.big and type(other) is ZSet


def test_export_is_a_plain_copy():
    zs = ZSet.from_scores({b"a": 1.0}, big=False)
    exported = zs.export()
    exported[b"z"] = 9.0
    assert type(exported) is dict and zs.export() == {b"a": 1.0}


def test_items_and_indexing_follow_the_order():
    zs = ZSet.from_scores({b"b": 1.0, b"a": 1.0, b"c": 0.5}, big=False)
    assert list(zs.items()) == [(b"c", 0.5), (b"a", 1.0), (b"b", 1.0)]
    assert zs[0] == (0.5, b"c") and zs[-1] == (1.0, b"b")
    assert b"a" in zs and b"x" not in zs and bool(zs)
    assert "ZSet({b'c': 0.5" in repr(zs)


def test_top_sorts_after_every_member():
    assert (1.0, b"\xff" * 100) < (1.0, TOP) < (1.5, b"")
    assert not (TOP < b"") and TOP == TOP and TOP != b"x"


LEX_CMP = [
    ("bytes-less", b"a", b"b", -1),
    ("bytes-equal", b"a", b"a", 0),
    ("prefix-first", b"a", b"ab", -1),
    ("unsigned-bytes", b"\xff", b"a", 1),
    ("min-below-empty", MIN_STR, b"", -1),
    ("max-above-all", MAX_STR, b"\xff\xff", 1),
    ("min-equal-min", MIN_STR, MIN_STR, 0),
    ("max-above-min", MAX_STR, MIN_STR, 1),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), LEX_CMP, ids=[c[0] for c in LEX_CMP])
def test_lex_cmp(name, a, b, expected):
    assert lex_cmp(a, b) == expected
    assert lex_cmp(b, a) == -expected


EMPTY_LEX = [
    ("min-above-max", (b"b", False, b"a", False), True),
    ("equal-inclusive", (b"a", False, b"a", False), False),
    ("equal-exclusive-min", (b"a", True, b"a", False), True),
    ("equal-exclusive-max", (b"a", False, b"a", True), True),
    ("plus-minus", (MAX_STR, True, MIN_STR, True), True),
    ("minus-plus", (MIN_STR, True, MAX_STR, True), False),
    ("minus-minus", (MIN_STR, True, MIN_STR, True), True),
]


@pytest.mark.parametrize(("name", "bounds", "empty"), EMPTY_LEX, ids=[c[0] for c in EMPTY_LEX])
def test_lex_range_is_empty(name, bounds, empty):
    assert LexRange(*bounds).is_empty() is empty


def test_remove_rank_span_of_everything_clears_both_views():
    zs = ZSet.from_scores({b"a": 1.0, b"b": 2.0}, big=True)
    assert zs.remove_rank_span(0, 1) == [(1.0, b"a"), (2.0, b"b")]
    assert not zs and zs.scores == {} and len(zs.order) == 0


# -- scale: a 1,000,000-member leaderboard, elements touched per query --------------------------------------


class CountingSortedList(SortedList):
    """A SortedList that counts element accesses: by index and by iteration."""

    touched = 0

    def __getitem__(self, index):
        item = super().__getitem__(index)
        CountingSortedList.touched += len(item) if isinstance(index, slice) else 1
        return item

    def __iter__(self):
        for item in super().__iter__():
            CountingSortedList.touched += 1
            yield item

    def islice(self, start=None, stop=None, reverse=False):
        for item in super().islice(start, stop, reverse):
            CountingSortedList.touched += 1
            yield item


N = 1_000_000


@pytest.fixture(scope="module")
def leaderboard():
    from _pytest.monkeypatch import MonkeyPatch

    from tests.support.harness import Harness

    patch = MonkeyPatch()
    patch.setattr(zset_module, "SortedList", CountingSortedList)
    h = Harness()
    h.store.zadd(0, "lb", {b"user:%d" % i: float(i % 1000) for i in range(N)})
    h.store.zadd(0, "names", {b"name:%07d" % i: 0.0 for i in range(N)})
    h.store.zadd(0, "small", {b"m%d" % i: float(i) for i in range(300)})
    yield h
    patch.undo()


def touched(h, *argv) -> tuple:
    CountingSortedList.touched = 0
    reply = h.do(*argv)
    return reply, CountingSortedList.touched


LOG_N = 2 * N.bit_length()  # generous: a bisection touches about log2(n) elements

SCALE = [
    ("zrank", [b"ZRANK", b"lb", b"user:123456"], 0),
    ("zrevrank", [b"ZREVRANK", b"lb", b"user:123456"], 0),
    ("zscore", [b"ZSCORE", b"lb", b"user:999999"], 0),
    ("zcount", [b"ZCOUNT", b"lb", b"(100", b"900"], 0),
    ("zrangebyscore-limit", [b"ZRANGEBYSCORE", b"lb", b"(500", b"+inf", b"LIMIT", b"0", b"10"], 10),
    ("zrangebyscore-offset", [b"ZRANGEBYSCORE", b"lb", b"500", b"+inf", b"LIMIT", b"400000", b"5"], 5),
    ("zrevrangebyscore-limit", [b"ZREVRANGEBYSCORE", b"lb", b"+inf", b"-inf", b"LIMIT", b"10", b"3"], 3),
    ("zrevrange-top10", [b"ZREVRANGE", b"lb", b"0", b"9", b"WITHSCORES"], 10),
    ("zrange-middle", [b"ZRANGE", b"lb", b"500000", b"500004"], 5),
    ("zadd-update", [b"ZADD", b"lb", b"5000.5", b"user:42"], 0),
    ("zincrby", [b"ZINCRBY", b"lb", b"1", b"user:43"], 0),
    ("zadd-new", [b"ZADD", b"lb", b"1", b"newcomer"], 0),
    ("zrem", [b"ZREM", b"lb", b"user:44"], 0),
    ("zlexcount", [b"ZLEXCOUNT", b"names", b"[name:0100000", b"(name:0900000"], LOG_N * 2),
    ("zrangebylex-limit", [b"ZRANGEBYLEX", b"names", b"(name:0500000", b"+", b"LIMIT", b"0", b"3"], LOG_N + 4),
    ("zpopmax", [b"ZPOPMAX", b"lb", b"2"], 4),
    ("zrandmember", [b"ZRANDMEMBER", b"lb", b"-5"], 5),
]


@pytest.mark.parametrize(("name", "argv", "most"), SCALE, ids=[c[0] for c in SCALE])
def test_leaderboard_queries_touch_few_elements(leaderboard, name, argv, most):
    reply, count = touched(leaderboard, *argv)
    assert not reply.startswith(b"-"), reply
    assert count <= most, f"{name} touched {count} elements of {N}"


def test_leaderboard_answers_are_right(leaderboard):
    h = leaderboard
    assert h.do(b"ZCARD", b"names") == b":%d\r\n" % N
    assert h.do(b"ZRANK", b"names", b"name:0000007") == b":7\r\n"
    assert h.do(b"ZLEXCOUNT", b"names", b"[name:0100000", b"(name:0900000") == b":800000\r\n"
    assert h.do(b"OBJECT", b"ENCODING", b"lb") == b"$8\r\nskiplist\r\n"


def test_the_counter_counts(leaderboard):
    # the check above could not fail if nothing were counted
    assert touched(leaderboard, b"ZRANGE", b"small", b"0", b"-1")[1] == 300
    assert touched(leaderboard, b"ZRANGEBYSCORE", b"small", b"(100", b"+inf")[1] == 199
