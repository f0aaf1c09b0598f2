"""The sorted-set value: members with scores, ordered by (score, member), O(log n) per element.

Strategy.  A :class:`ZSet` keeps two views of the same elements, as Redis's
skiplist encoding does: ``scores`` (a dict member -> score, O(1) ZSCORE) and
``order`` (a ``sortedcontainers.SortedList`` of ``(score, member)`` tuples).
Tuples compare by score, then by member bytes, which is Redis's order
(memcmp, then length).  The SortedList gives insertion, removal, rank
(``bisect``) and access by index in O(log n), so ZADD/ZREM/ZRANK/ZRANGEBYSCORE
stay fast on a 1,000,000-member leaderboard.  Scores are never NaN (callers
reject it), and -0.0 equals 0.0 in comparisons, as in Redis.

Encoding.  ``big`` is False while Redis would keep the value as a listpack and
becomes True (one way) when it would convert it to a skiplist; the command
layer decides when, from ``zset-max-listpack-entries`` / ``-value``.  The one
observable difference between the two encodings besides OBJECT ENCODING is
that a listpack stores the score -0 as the integer 0 (redis 7.0.15: ``ZADD z
-0.0 m`` then ``ZSCORE z m`` is "0" on a small zset, "-0" on a skiplist), so a
small ZSet stores 0.0 for -0.0.

Ranges follow Redis 7.0's algorithms, because their results are part of the
wire behaviour even where the documentation calls them unspecified (lex ranges
over members with different scores): a small (listpack) zset is walked
linearly from the ends as ``zzlFirstInLexRange`` does; a big one is searched by
bisection over positions, which is what the skiplist descent amounts to.  Score
ranges are always monotonic and use plain bisection.

Imports: nothing from kvfake (sortedcontainers only).  Never: socket, selectors,
protocol, commands.
"""

from __future__ import annotations

from itertools import islice
from math import copysign

from sortedcontainers import SortedList


class _Top:
    """Compares greater than any member: ``(score, TOP)`` sorts after every ``(score, m)``."""

    __slots__ = ()

    def __lt__(self, other) -> bool:
        return False

    def __gt__(self, other) -> bool:
        return other is not self

    def __eq__(self, other) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "TOP"


TOP = _Top()

#: Lex bounds "-" and "+": the smallest and the greatest string.
MIN_STR = object()
MAX_STR = object()


def lex_cmp(a, b) -> int:
    """Redis ``sdscmplex``: bytes order, with MIN_STR / MAX_STR as -inf / +inf."""
    if a is b:
        return 0
    if a is MIN_STR or b is MAX_STR:
        return -1
    if a is MAX_STR or b is MIN_STR:
        return 1
    return -1 if a < b else (1 if a > b else 0)


class ScoreRange:
    """A ZRANGEBYSCORE-style interval: ``min``/``max`` floats, each inclusive or exclusive."""

    __slots__ = ("min", "minex", "max", "maxex")

    def __init__(self, min: float, minex: bool, max: float, maxex: bool) -> None:
        self.min = min
        self.minex = minex
        self.max = max
        self.maxex = maxex

    def gte_min(self, score: float) -> bool:
        return score > self.min if self.minex else score >= self.min

    def lte_max(self, score: float) -> bool:
        return score < self.max if self.maxex else score <= self.max


class LexRange:
    """A ZRANGEBYLEX-style interval: bytes (or MIN_STR / MAX_STR) bounds, inclusive or exclusive."""

    __slots__ = ("min", "minex", "max", "maxex")

    def __init__(self, min, minex: bool, max, maxex: bool) -> None:
        self.min = min
        self.minex = minex
        self.max = max
        self.maxex = maxex

    def gte_min(self, member: bytes) -> bool:
        c = lex_cmp(member, self.min)
        return c > 0 if self.minex else c >= 0

    def lte_max(self, member: bytes) -> bool:
        c = lex_cmp(member, self.max)
        return c < 0 if self.maxex else c <= 0

    def is_empty(self) -> bool:
        """Redis's "ranges that will always be empty" test."""
        c = lex_cmp(self.min, self.max)
        return c > 0 or (c == 0 and (self.minex or self.maxex))


class ZSet:
    """A sorted set: ``scores`` member -> score, ``order`` SortedList of (score, member).

    ``big`` is the encoding (False: listpack, True: skiplist).  ``scan_index``
    belongs to ZSCAN (a cache, like ``Database.scan_index``).
    """

    __slots__ = ("scores", "order", "big", "scan_index")

    def __init__(self) -> None:
        self.scores: dict = {}
        self.order = SortedList()
        self.big = False
        self.scan_index = None

    @classmethod
    def from_scores(cls, scores: dict, *, big: bool) -> "ZSet":
        """A ZSet holding ``scores`` (member -> score), built in O(n log n)."""
        zs = cls()
        zs.big = big
        if not big:
            scores = {m: (0.0 if s == 0.0 else s) for m, s in scores.items()}
        zs.scores = scores
        zs.order = SortedList([(s, m) for m, s in scores.items()])
        return zs

    # -- size, membership ----------------------------------------------------

    def __len__(self) -> int:
        return len(self.scores)

    def __bool__(self) -> bool:
        return bool(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def __repr__(self) -> str:
        shown = ", ".join(f"{m!r}: {s!r}" for s, m in islice(self.order, 8))
        more = ", ..." if len(self) > 8 else ""
        return f"ZSet({{{shown}{more}}}, big={self.big})"

    def score(self, member: bytes) -> "float | None":
        return self.scores.get(member)

    def items(self):
        """(member, score) pairs in order."""
        return ((m, s) for s, m in self.order)

    def __getitem__(self, index: int) -> tuple:
        """The (score, member) at position ``index`` (O(log n))."""
        return self.order[index]

    # -- changes -------------------------------------------------------------

    def add(self, member: bytes, score: float) -> None:
        """Insert ``member`` or move it to ``score`` (never NaN)."""
        if not self.big and score == 0.0:
            score = 0.0  # a listpack stores -0 as the integer 0
        scores = self.scores
        old = scores.get(member)
        if old is not None:
            self.order.remove((old, member))
        scores[member] = score
        self.order.add((score, member))

    def discard(self, member: bytes) -> bool:
        """Remove ``member``; True if it was there."""
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def make_small(self) -> None:
        """Convert to the listpack encoding (built results only: ZUNIONSTORE & co.)."""
        self.big = False
        for member, score in self.scores.items():
            if score == 0.0 and copysign(1.0, score) < 0:
                self.order.remove((score, member))
                self.order.add((0.0, member))
                self.scores[member] = 0.0

    def copy(self) -> "ZSet":
        """An independent ZSet, encoding state included (COPY: zsetDup)."""
        new = ZSet()
        new.scores = dict(self.scores)
        new.order = SortedList(self.order)
        new.big = self.big
        return new

    def export(self) -> dict:
        """A plain dict member -> score (the Store API's view)."""
        return dict(self.scores)

    # -- ranks ---------------------------------------------------------------

    def rank(self, member: bytes) -> "int | None":
        """0-based position of ``member`` from the lowest score, or None."""
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.bisect_left((score, member))

    def rank_range(self, start: int, end: int) -> "tuple[int, int] | None":
        """Redis's index sanitising for ZRANGE/ZREMRANGEBYRANK: (first, last) inclusive, or None."""
        n = len(self.order)
        if start < 0:
            start += n
        if end < 0:
            end += n
        if start < 0:
            start = 0
        if start > end or start >= n:
            return None
        if end >= n:
            end = n - 1
        return start, end

    def slice(self, start: int, stop: int, reverse: bool = False) -> list:
        """(score, member) at positions [start, stop), lowest first unless ``reverse``."""
        return list(self.order.islice(start, stop, reverse))

    def by_rank(self, start: int, end: int, reverse: bool = False) -> list:
        """ZRANGE/ZREVRANGE by index: (score, member) pairs."""
        span = self.rank_range(start, end)
        if span is None:
            return []
        first, last = span
        if reverse:
            n = len(self.order)
            return self.slice(n - 1 - last, n - first, True)
        return self.slice(first, last + 1)

    def remove_rank_span(self, first: int, last: int) -> list:
        """Delete positions first..last (inclusive); return the removed (score, member)."""
        order = self.order
        removed = list(order.islice(first, last + 1))
        if len(removed) == len(order):
            order.clear()
            self.scores.clear()
            return removed
        del order[first : last + 1]
        scores = self.scores
        for _, member in removed:
            del scores[member]
        return removed

    def pop(self, count: int, highest: bool) -> list:
        """Remove and return up to ``count`` (score, member) from the low (or high) end, in pop order."""
        n = len(self.order)
        count = min(count, n)
        if highest:
            taken = self.slice(n - count, n, True)
            self.remove_rank_span(n - count, n - 1)
        else:
            taken = self.slice(0, count)
            self.remove_rank_span(0, count - 1)
        return taken

    # -- score ranges --------------------------------------------------------

    def score_span(self, r: ScoreRange) -> "tuple[int, int]":
        """Positions [lo, hi) of the elements whose score lies in ``r``."""
        order = self.order
        lo = order.bisect_right((r.min, TOP)) if r.minex else order.bisect_left((r.min,))
        hi = order.bisect_left((r.max,)) if r.maxex else order.bisect_right((r.max, TOP))
        return lo, max(lo, hi)

    def by_score(self, r: ScoreRange, reverse: bool = False, offset: int = 0, limit: int = -1) -> list:
        """Z[REV]RANGEBYSCORE with LIMIT offset count (a negative count means all)."""
        lo, hi = self.score_span(r)
        return self._window(lo, hi, reverse, offset, limit)

    def _window(self, lo: int, hi: int, reverse: bool, offset: int, limit: int) -> list:
        # redis 7.0 skips `offset` elements with a `while (offset--)` loop: a
        # negative offset runs off the end, so the reply is empty
        if offset < 0 or limit == 0:
            return []
        if reverse:
            top = hi - offset
            if top <= lo:
                return []
            bottom = lo if limit < 0 else max(lo, top - limit)
            return self.slice(bottom, top, True)
        start = lo + offset
        if start >= hi:
            return []
        stop = hi if limit < 0 else min(hi, start + limit)
        return self.slice(start, stop)

    def count_by_score(self, r: ScoreRange) -> int:
        lo, hi = self.score_span(r)
        return hi - lo

    def remove_by_score(self, r: ScoreRange) -> list:
        lo, hi = self.score_span(r)
        return self.remove_rank_span(lo, hi - 1) if hi > lo else []

    # -- lex ranges ----------------------------------------------------------

    def _member(self, i: int) -> bytes:
        return self.order[i][1]

    def _first_true(self, pred) -> int:
        """First position whose member satisfies ``pred`` (len if none).

        Small: a walk from the start (listpack).  Big: bisection, assuming
        ``pred`` is false then true along the order (the skiplist descent).
        """
        order = self.order
        if not self.big:
            for i, (_, member) in enumerate(order):
                if pred(member):
                    return i
            return len(order)
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(order[mid][1]):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _last_true(self, pred) -> int:
        """Last position whose member satisfies ``pred`` (-1 if none), from the end.

        Small: a walk back from the end.  Big: bisection, assuming ``pred`` is
        true then false along the order.
        """
        order = self.order
        if not self.big:
            for i in range(len(order) - 1, -1, -1):
                if pred(order[i][1]):
                    return i
            return -1
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(order[mid][1]):
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    def _lex_in_range(self, r: LexRange) -> bool:
        """Redis zzlIsInLexRange / zslIsInLexRange: a quick test on the ends."""
        n = len(self.order)
        if r.is_empty() or n == 0:
            return False
        return r.gte_min(self._member(n - 1)) and r.lte_max(self._member(0))

    def lex_first(self, r: LexRange) -> int:
        """Position of the first element in range (Redis's *FirstInLexRange), or -1."""
        if not self._lex_in_range(r):
            return -1
        i = self._first_true(r.gte_min)
        if i >= len(self.order) or not r.lte_max(self._member(i)):
            return -1
        return i

    def lex_last(self, r: LexRange) -> int:
        """Position of the last element in range (Redis's *LastInLexRange), or -1."""
        if not self._lex_in_range(r):
            return -1
        i = self._last_true(r.lte_max)
        if i < 0 or not r.gte_min(self._member(i)):
            return -1
        return i

    def by_lex(self, r: LexRange, reverse: bool = False, offset: int = 0, limit: int = -1) -> list:
        """Z[REV]RANGEBYLEX with LIMIT: start at the first (last) element in range,
        skip ``offset`` unchecked, then take elements while they stay in range."""
        if offset < 0 or limit == 0:
            return []
        order = self.order
        n = len(order)
        out = []
        if reverse:
            i = self.lex_last(r)
            if i < 0:
                return []
            i -= offset
            if i < 0:
                return []
            for score, member in order.islice(0, i + 1, True):
                if not r.gte_min(member):
                    break
                out.append((score, member))
                if len(out) == limit:
                    break
            return out
        i = self.lex_first(r)
        if i < 0:
            return []
        i += offset
        if i >= n:
            return []
        for score, member in order.islice(i, n):
            if not r.lte_max(member):
                break
            out.append((score, member))
            if len(out) == limit:
                break
        return out

    def count_by_lex(self, r: LexRange) -> int:
        """ZLEXCOUNT: walk from the first in range (small); last rank - first rank + 1 (big)."""
        first = self.lex_first(r)
        if first < 0:
            return 0
        if self.big:
            last = self.lex_last(r)
            return last - first + 1 if last >= first else 0
        count = 0
        for _, member in self.order.islice(first, len(self.order)):
            if not r.lte_max(member):
                break
            count += 1
        return count

    def remove_by_lex(self, r: LexRange) -> list:
        """ZREMRANGEBYLEX: from the first element >= min, delete while <= max."""
        if self.big:
            # the skiplist descent has no quick end test: straight to the first >= min
            first = self._first_true(r.gte_min)
        else:
            first = self.lex_first(r)
        if first < 0 or first >= len(self.order):
            return []
        last = first - 1
        for _, member in self.order.islice(first, len(self.order)):
            if not r.lte_max(member):
                break
            last += 1
        return self.remove_rank_span(first, last) if last >= first else []
