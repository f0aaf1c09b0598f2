"""Sorted-set commands (Redis group "sorted-set"): ZADD ZINCRBY ZRANGE ... ZUNIONSTORE ZSCAN BZPOPMIN.

Blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) use kvfake.commands.blocking, as BLPOP
does: with nothing to pop they return ``blocking.block(...)`` with a retry that
pops from the key which became ready.  Every path creating a zset key goes
through ``Database.add_value``/``set_value`` (ZADD, ZINCRBY, ZRANGESTORE,
ZUNIONSTORE...), which signals the key ready.

The value is :class:`kvfake.store.zset.ZSet` (a member -> score dict plus a
SortedList of (score, member)): every per-element operation is O(log n), ranges
are O(log n + k).  The encoding (listpack / skiplist, reported by OBJECT
ENCODING) follows Redis 7.0: a zset converts to skiplist, one way, when adding
a new member would take it past ``zset-max-listpack-entries`` or the member is
longer than ``zset-max-listpack-value``; results built by ZUNIONSTORE & co. are
listpack when they fit both limits; ZRANGESTORE's result converts as it grows.

Order of checks is Redis 7.0's and is pinned by tests/differential/test_zsets.py:
options and numbers (ranges, counts, scores) are parsed before the key is looked
up, except in ZUNION/ZINTER/ZDIFF and their STORE forms, where the keys are
looked up (WRONGTYPE) before WEIGHTS/AGGREGATE are parsed.

Scores: ``args.parse_float`` (strtod: "inf", "-inf", "+inf" accepted, "nan"
refused) for ZADD/ZINCRBY/WEIGHTS; ``args.parse_float_lenient`` after an optional
"(" for ZRANGEBYSCORE-style bounds; replies use ``args.format_double`` (%.17g)
and are RESP3 doubles.  WITHSCORES replies are a flat array in RESP2 and an
array of [member, double] pairs in RESP3 (redis 7.0.15, HELLO 3); ZSCAN's
scores are bulk strings in both, printed as a listpack holds them (an integer
for integral scores within +-2**62: "100000000000000000" where ZSCORE says
"1e+17").

Random replies (ZRANDMEMBER) use ``ctx.store.rng``.  A negative count repeats
members; past ZRANDMEMBER_MAX_REPEATS kvfake answers an error where Redis would
try to build an unbounded reply (protocol_spec.md section 3).

Imports: kvfake.commands.registry/context/args/keys/blocking, kvfake.errors,
kvfake.protocol.replies, kvfake.store.glob, kvfake.store.values, kvfake.store.zset.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from functools import partial

from kvfake.commands import blocking
from kvfake.commands.args import (
    INT64_MAX,
    format_double,
    parse_float,
    parse_float_lenient,
    parse_int,
    parse_positive_int,
    parse_range_int,
    parse_timeout,
)
from kvfake.commands.context import Context
from kvfake.commands.keys import c_token, parse_cursor, parse_scan_options, scan_dict
from kvfake.commands.registry import CommandGroup
from kvfake.errors import (
    MIN_MAX_NOT_FLOAT,
    MIN_MAX_NOT_VALID_STRING,
    NUMKEYS_NOT_POSITIVE,
    SYNTAX_ERROR,
    CommandError,
    WrongTypeError,
)
from kvfake.protocol.replies import NULL_ARRAY, Double
from kvfake.store.glob import matcher
from kvfake.store.values import SetValue
from kvfake.store.zset import MAX_STR, MIN_STR, LexRange, ScoreRange, ZSet

group = CommandGroup("sorted-set")

# -- error texts used only here (redis 7.0.15 wording, seen with redis-cli) ----

XX_AND_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_SINGLE_PAIR = "ERR INCR option supports a single increment-element pair"
RESULT_NAN = "ERR resulting score is not a number (NaN)"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
VALUE_OUT_OF_RANGE = "ERR value is out of range"
LIMIT_NEEDS_BY = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"

#: kvfake's bound on ZRANDMEMBER with a negative count (members repeat, so the
#: reply is not bounded by the zset's size): past it, an error instead of a reply
#: Redis would build without limit.
ZRANDMEMBER_MAX_REPEATS = 10_000_000
TOO_MANY_REPEATS = (
    f"ERR ZRANDMEMBER count is out of range: kvfake returns at most {ZRANDMEMBER_MAX_REPEATS} random members"
)

SCAN_DEFAULT_COUNT = 10
_HALF_LONG = INT64_MAX // 2  # LONG_MAX/2: ZRANDMEMBER ... WITHSCORES count bound


def _at_least_one_key(name: str) -> str:
    return f"ERR at least 1 input key is needed for '{name}' command"


# -- helpers ------------------------------------------------------------------


def _limits(ctx: Context) -> tuple:
    """(zset-max-listpack-entries, zset-max-listpack-value) from the live config."""
    config = ctx.dispatcher.config
    return config.get_int(b"zset-max-listpack-entries"), config.get_int(b"zset-max-listpack-value")


def _get(ctx: Context, key: bytes) -> "ZSet | None":
    return ctx.db.lookup_typed(key, ZSet)


def _double(ctx: Context, score: float):
    text = format_double(score)
    return Double(text) if ctx.session.protover == 3 else text


def _pairs_reply(ctx: Context, pairs, withscores: bool) -> list:
    """(score, member) pairs as a reply: members only, flat with scores (RESP2), or nested (RESP3)."""
    if not withscores:
        return [m for _, m in pairs]
    if ctx.session.protover == 3:
        return [[m, Double(format_double(s))] for s, m in pairs]
    out = []
    append = out.append
    for s, m in pairs:
        append(m)
        append(format_double(s))
    return out


def _grow(zs: ZSet, member: bytes, limits: tuple) -> None:
    """Convert to skiplist before adding ``member`` if a listpack could not take it."""
    if not zs.big and (len(zs) + 1 > limits[0] or len(member) > limits[1]):
        zs.big = True


def _built(scores: dict, limits: tuple) -> ZSet:
    """A result zset (ZUNIONSTORE/ZRANGESTORE...): listpack if it fits the limits."""
    longest = max(map(len, scores), default=0)
    big = len(scores) > limits[0] or longest > limits[1]
    return ZSet.from_scores(scores, big=big)


def _store_result(ctx: Context, dst: bytes, result, event: bytes) -> int:
    """Write a computed result (a scores dict, or a ZSet) to ``dst``, or delete ``dst`` when
    it is empty; the reply."""
    db = ctx.db
    if result:
        db.set_value(dst, result if type(result) is ZSet else _built(result, _limits(ctx)))
        ctx.notify("z", event, dst)
        return len(result)
    if db.delete(dst):
        ctx.notify("g", b"del", dst)
    return 0


def _grown(pairs, limits: tuple) -> ZSet:
    """ZRANGESTORE's result: redis 7.0 starts a listpack and adds the range's elements one
    by one, so only those added after a conversion keep a -0 score."""
    zs = ZSet()
    for score, member in pairs:
        _grow(zs, member, limits)
        zs.add(member, score)
    return zs


def _emptied(ctx: Context, key: bytes, zs: ZSet) -> bool:
    """Delete ``key`` if ``zs`` is now empty (True: the caller notifies "del"); else record the change."""
    db = ctx.db
    if not zs:
        db.delete(key)
        return True
    db.touch(key)
    return False


def _score_bound(arg: bytes) -> tuple:
    if arg[:1] == b"(":
        return parse_float_lenient(arg[1:], MIN_MAX_NOT_FLOAT), True
    return parse_float_lenient(arg, MIN_MAX_NOT_FLOAT), False


def parse_score_range(lo: bytes, hi: bytes) -> ScoreRange:
    """Redis zslParseRange: "(" makes a bound exclusive; "inf"/"-inf" allowed, "nan" refused."""
    mn, minex = _score_bound(lo)
    mx, maxex = _score_bound(hi)
    return ScoreRange(mn, minex, mx, maxex)


def _lex_bound(arg: bytes) -> tuple:
    first = arg[:1]
    # redis 7.0 reads a C string: "+" / "-" must be followed by the terminating NUL
    if first == b"+" or first == b"-":
        if len(arg) > 1 and arg[1] != 0:
            raise CommandError(MIN_MAX_NOT_VALID_STRING)
        return (MAX_STR if first == b"+" else MIN_STR), True
    if first == b"(":
        return arg[1:], True
    if first == b"[":
        return arg[1:], False
    raise CommandError(MIN_MAX_NOT_VALID_STRING)


def parse_lex_range(lo: bytes, hi: bytes) -> LexRange:
    """Redis zslParseLexRange: "[x" inclusive, "(x" exclusive, "-" and "+" the extremes."""
    mn, minex = _lex_bound(lo)
    mx, maxex = _lex_bound(hi)
    return LexRange(mn, minex, mx, maxex)


# -- ZADD ZINCRBY ----------------------------------------------------------------

_SCORE_START = frozenset(b"%c" % c for c in b"0123456789+-.")
_ZADD_FLAGS = {b"nx": "nx", b"xx": "xx", b"ch": "ch", b"incr": "incr", b"gt": "gt", b"lt": "lt"}


def _zadd(ctx: Context, key: bytes, args: tuple, incr: bool):
    # redis 7.0 zaddGenericCommand, shared with ZINCRBY: options are read from the
    # first argument after the key, so ZINCRBY z nx m is a syntax error too
    nx = xx = ch = gt = lt = False
    i, n = 0, len(args)
    # every flag starts with a letter: a score first (the usual case) means none
    while i < n and args[i][:1] not in _SCORE_START:
        flag = _ZADD_FLAGS.get(c_token(args[i]))
        if flag is None:
            break
        if flag == "nx":
            nx = True
        elif flag == "xx":
            xx = True
        elif flag == "ch":
            ch = True
        elif flag == "incr":
            incr = True
        elif flag == "gt":
            gt = True
        else:
            lt = True
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise CommandError(SYNTAX_ERROR)
    elements //= 2
    if nx and xx:
        raise CommandError(XX_AND_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(GT_LT_NX)
    if incr and elements > 1:
        raise CommandError(INCR_SINGLE_PAIR)
    scores = [parse_float(args[i + 2 * j]) for j in range(elements)]

    db = ctx.db
    zs = db.lookup_typed(key, ZSet)
    if zs is None:
        if xx:
            return None if incr else 0
        zs = ZSet()
        db.add_value(key, zs)
    limits = _limits(ctx)
    current = zs.scores
    added = updated = processed = 0
    score = 0.0
    for j in range(elements):
        member = args[i + 2 * j + 1]
        score = scores[j]
        cur = current.get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    _zadd_done(ctx, key, incr, added, updated)
                    raise CommandError(RESULT_NAN)
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            if score != cur:
                zs.add(member, score)
                updated += 1
        elif not xx:
            _grow(zs, member, limits)
            zs.add(member, score)
            added += 1
            processed += 1
    _zadd_done(ctx, key, incr, added, updated)
    if incr:
        return _double(ctx, score) if processed else None
    return added + updated if ch else added


def _zadd_done(ctx: Context, key: bytes, incr: bool, added: int, updated: int) -> None:
    if added or updated:
        ctx.db.touch(key)
        ctx.notify("z", b"zincr" if incr else b"zadd", key)


@group.command("zadd", arity=-4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_zadd(ctx: Context, key: bytes, *args: bytes):
    """ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"""
    return _zadd(ctx, key, args, False)


@group.command("zincrby", arity=4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_zincrby(ctx: Context, key: bytes, increment: bytes, member: bytes):
    """ZINCRBY key increment member"""
    return _zadd(ctx, key, (increment, member), True)


# -- reads by member ---------------------------------------------------------------


@group.command("zcard", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_zcard(ctx: Context, key: bytes):
    """ZCARD key"""
    zs = _get(ctx, key)
    return 0 if zs is None else len(zs)


@group.command("zscore", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_zscore(ctx: Context, key: bytes, member: bytes):
    """ZSCORE key member"""
    zs = _get(ctx, key)
    if zs is None:
        return None
    score = zs.scores.get(member)
    return None if score is None else _double(ctx, score)


@group.command("zmscore", arity=-3, flags="readonly fast", keys=(1, 1, 1))
def cmd_zmscore(ctx: Context, key: bytes, *members: bytes):
    """ZMSCORE key member [member ...]"""
    zs = _get(ctx, key)
    if zs is None:
        return [None] * len(members)
    scores = zs.scores
    out = []
    for member in members:
        score = scores.get(member)
        out.append(None if score is None else _double(ctx, score))
    return out


def _rank(ctx: Context, key: bytes, member: bytes, reverse: bool):
    zs = _get(ctx, key)
    if zs is None:
        return None
    rank = zs.rank(member)
    if rank is None:
        return None
    return len(zs) - 1 - rank if reverse else rank


@group.command("zrank", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_zrank(ctx: Context, key: bytes, member: bytes):
    """ZRANK key member"""
    # redis 7.0 has no WITHSCORE option (7.2 added it): arity 3, so a 4th argument is an arity error
    return _rank(ctx, key, member, False)


@group.command("zrevrank", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_zrevrank(ctx: Context, key: bytes, member: bytes):
    """ZREVRANK key member"""
    return _rank(ctx, key, member, True)


# -- ZCOUNT ZLEXCOUNT ----------------------------------------------------------------


@group.command("zcount", arity=4, flags="readonly fast", keys=(1, 1, 1))
def cmd_zcount(ctx: Context, key: bytes, min: bytes, max: bytes):
    """ZCOUNT key min max"""
    r = parse_score_range(min, max)  # redis 7.0: the range before the key
    zs = _get(ctx, key)
    return 0 if zs is None else zs.count_by_score(r)


@group.command("zlexcount", arity=4, flags="readonly fast", keys=(1, 1, 1))
def cmd_zlexcount(ctx: Context, key: bytes, min: bytes, max: bytes):
    """ZLEXCOUNT key min max"""
    r = parse_lex_range(min, max)
    zs = _get(ctx, key)
    return 0 if zs is None else zs.count_by_lex(r)


# -- ZRANGE and friends --------------------------------------------------------------

_AUTO, _RANK, _SCORE, _LEX = 0, 1, 2, 3


def _zrange(ctx: Context, key: bytes, lo: bytes, hi: bytes, options: tuple, *,
            dst: "bytes | None" = None, rangetype: int = _AUTO, reverse: "bool | None" = None):
    """Redis 7.0 zrangeGenericCommand: ZRANGE, ZRANGESTORE and the older Z[REV]RANGE[BY*]."""
    store = dst is not None
    withscores = False
    offset, limit = 0, -1
    j, n = 0, len(options)
    while j < n:
        opt = c_token(options[j])
        left = n - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = parse_int(options[j + 1])
            limit = parse_int(options[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype == _AUTO and opt == b"bylex":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise CommandError(SYNTAX_ERROR)
        j += 1
    reverse = bool(reverse)
    if rangetype == _AUTO:
        rangetype = _RANK
    # redis 7.0 tests the count's value, so "LIMIT 5 -1" passes with a rank range
    if limit != -1 and rangetype == _RANK:
        raise CommandError(LIMIT_NEEDS_BY)
    if withscores and rangetype == _LEX:
        raise CommandError(WITHSCORES_BYLEX)
    if reverse and rangetype != _RANK:
        lo, hi = hi, lo  # the range is given as max, min
    if rangetype == _RANK:
        start, end = parse_int(lo), parse_int(hi)
    elif rangetype == _SCORE:
        r = parse_score_range(lo, hi)
    else:
        r = parse_lex_range(lo, hi)

    zs = _get(ctx, key)
    if zs is None:
        return _store_result(ctx, dst, {}, b"zrangestore") if store else []
    if rangetype == _RANK:
        pairs = zs.by_rank(start, end, reverse)
    elif rangetype == _SCORE:
        pairs = zs.by_score(r, reverse, offset, limit)
    else:
        pairs = zs.by_lex(r, reverse, offset, limit)
    if store:
        return _store_result(ctx, dst, _grown(pairs, _limits(ctx)), b"zrangestore")
    return _pairs_reply(ctx, pairs, withscores)


@group.command("zrange", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrange(ctx: Context, key: bytes, start: bytes, stop: bytes, *options: bytes):
    """ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    return _zrange(ctx, key, start, stop, options)


@group.command("zrangestore", arity=-5, flags="write denyoom", keys=(1, 2, 1))
def cmd_zrangestore(ctx: Context, dst: bytes, src: bytes, min: bytes, max: bytes, *options: bytes):
    """ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"""
    return _zrange(ctx, src, min, max, options, dst=dst)


@group.command("zrevrange", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrevrange(ctx: Context, key: bytes, start: bytes, stop: bytes, *options: bytes):
    """ZREVRANGE key start stop [WITHSCORES]"""
    return _zrange(ctx, key, start, stop, options, rangetype=_RANK, reverse=True)


@group.command("zrangebyscore", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrangebyscore(ctx: Context, key: bytes, min: bytes, max: bytes, *options: bytes):
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    return _zrange(ctx, key, min, max, options, rangetype=_SCORE, reverse=False)


@group.command("zrevrangebyscore", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrevrangebyscore(ctx: Context, key: bytes, max: bytes, min: bytes, *options: bytes):
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    return _zrange(ctx, key, max, min, options, rangetype=_SCORE, reverse=True)


@group.command("zrangebylex", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrangebylex(ctx: Context, key: bytes, min: bytes, max: bytes, *options: bytes):
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    return _zrange(ctx, key, min, max, options, rangetype=_LEX, reverse=False)


@group.command("zrevrangebylex", arity=-4, flags="readonly", keys=(1, 1, 1))
def cmd_zrevrangebylex(ctx: Context, key: bytes, max: bytes, min: bytes, *options: bytes):
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    return _zrange(ctx, key, max, min, options, rangetype=_LEX, reverse=True)


# -- ZREM ZREMRANGEBY* -----------------------------------------------------------------


@group.command("zrem", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_zrem(ctx: Context, key: bytes, *members: bytes):
    """ZREM key member [member ...]"""
    zs = _get(ctx, key)
    if zs is None:
        return 0
    deleted = 0
    for member in members:
        if zs.discard(member):
            deleted += 1
        if not zs:
            break
    if deleted:
        ctx.notify("z", b"zrem", key)
        if _emptied(ctx, key, zs):
            ctx.notify("g", b"del", key)
    return deleted


def _zremrange(ctx: Context, key: bytes, removed_by, event: bytes) -> int:
    zs = _get(ctx, key)
    if zs is None:
        return 0
    deleted = len(removed_by(zs))
    if deleted:
        ctx.notify("z", event, key)
        if _emptied(ctx, key, zs):
            ctx.notify("g", b"del", key)
    return deleted


@group.command("zremrangebyrank", arity=4, flags="write", keys=(1, 1, 1))
def cmd_zremrangebyrank(ctx: Context, key: bytes, start: bytes, stop: bytes):
    """ZREMRANGEBYRANK key start stop"""
    first, last = parse_int(start), parse_int(stop)

    def by_rank(zs: ZSet) -> list:
        span = zs.rank_range(first, last)
        return [] if span is None else zs.remove_rank_span(*span)

    return _zremrange(ctx, key, by_rank, b"zremrangebyrank")


@group.command("zremrangebyscore", arity=4, flags="write", keys=(1, 1, 1))
def cmd_zremrangebyscore(ctx: Context, key: bytes, min: bytes, max: bytes):
    """ZREMRANGEBYSCORE key min max"""
    r = parse_score_range(min, max)
    return _zremrange(ctx, key, lambda zs: zs.remove_by_score(r), b"zremrangebyscore")


@group.command("zremrangebylex", arity=4, flags="write", keys=(1, 1, 1))
def cmd_zremrangebylex(ctx: Context, key: bytes, min: bytes, max: bytes):
    """ZREMRANGEBYLEX key min max"""
    r = parse_lex_range(min, max)
    return _zremrange(ctx, key, lambda zs: zs.remove_by_lex(r), b"zremrangebylex")


# -- pops -------------------------------------------------------------------------------


def pop_from(ctx: Context, key: bytes, zs: ZSet, count: int, highest: bool) -> list:
    """Pop up to ``count`` elements of the non-empty ``zs`` under ``key``: (score, member) pairs.

    Notifies zpopmin/zpopmax (and "del" when the key is emptied), as Redis's
    genericZpopCommand does; shared by ZPOP*, ZMPOP and the blocking pops.
    """
    pairs = zs.pop(count, highest)
    ctx.notify("z", b"zpopmax" if highest else b"zpopmin", key)
    if _emptied(ctx, key, zs):
        ctx.notify("g", b"del", key)
    return pairs


def first_zset(ctx: Context, keys) -> tuple:
    """(key, zset) of the first of ``keys`` that exists, (None, None) if none.

    A key of another type among those looked at raises WRONGTYPE (redis 7.0:
    keys after the first existing one are not checked).
    """
    lookup = ctx.db.lookup
    for key in keys:
        value = lookup(key)
        if value is None:
            continue
        if type(value) is not ZSet:
            raise WrongTypeError()
        return key, value
    return None, None


def _zpop(ctx: Context, key: bytes, rest: tuple, highest: bool):
    if len(rest) > 1:
        raise CommandError(SYNTAX_ERROR)
    count = parse_positive_int(rest[0]) if rest else -1
    zs = _get(ctx, key)
    if zs is None or count == 0:
        return []
    pairs = pop_from(ctx, key, zs, 1 if count == -1 else count, highest)
    # RESP3 nests [member, score] pairs only when a count was given
    if count != -1 and ctx.session.protover == 3:
        return _pairs_reply(ctx, pairs, True)
    out = []
    for s, m in pairs:
        out.append(m)
        out.append(_double(ctx, s))
    return out


@group.command("zpopmin", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_zpopmin(ctx: Context, key: bytes, *count: bytes):
    """ZPOPMIN key [count]"""
    return _zpop(ctx, key, count, False)


@group.command("zpopmax", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_zpopmax(ctx: Context, key: bytes, *count: bytes):
    """ZPOPMAX key [count]"""
    return _zpop(ctx, key, count, True)


def parse_mpop(args: tuple) -> tuple:
    """ZMPOP/BZMPOP arguments after the timeout: (keys, highest, count).

    redis 7.0 zmpopGenericCommand: numkeys (1..LONG_MAX), then MIN|MAX right
    after the keys, then at most one COUNT (1..LONG_MAX).
    """
    numkeys = parse_range_int(args[0], 1, INT64_MAX, NUMKEYS_NOT_POSITIVE)
    where_idx = numkeys + 1
    if where_idx >= len(args):
        raise CommandError(SYNTAX_ERROR)
    where = c_token(args[where_idx])
    if where == b"min":
        highest = False
    elif where == b"max":
        highest = True
    else:
        raise CommandError(SYNTAX_ERROR)
    count = -1
    j, n = where_idx + 1, len(args)
    while j < n:
        if count == -1 and c_token(args[j]) == b"count" and j + 1 < n:
            j += 1
            count = parse_range_int(args[j], 1, INT64_MAX, COUNT_NOT_POSITIVE)
        else:
            raise CommandError(SYNTAX_ERROR)
        j += 1
    return args[1 : where_idx], highest, (1 if count == -1 else count)


def mpop_reply(ctx: Context, key: bytes, pairs: list) -> list:
    """ZMPOP/BZMPOP's [key, [[member, score], ...]] (nested in both protocols)."""
    return [key, [[m, _double(ctx, s)] for s, m in pairs]]


@group.command("zmpop", arity=-4, flags="write movablekeys", keys=(0, 0, 0))
def cmd_zmpop(ctx: Context, numkeys: bytes, *args: bytes):
    """ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]"""
    keys, highest, count = parse_mpop((numkeys,) + args)
    key, zs = first_zset(ctx, keys)
    if zs is None:
        return NULL_ARRAY
    return mpop_reply(ctx, key, pop_from(ctx, key, zs, count, highest))


# -- blocking pops --------------------------------------------------------------------------
#
# redis 7.0 blockingGenericZpopCommand: the timeout is parsed first (BZMPOP: after
# numkeys, MIN|MAX and COUNT), then the keys are tried in order (the first existing
# key of another type is a WRONGTYPE); with nothing to pop the client blocks (inside
# MULTI: a null array at once) and, when a key becomes ready, is served from that
# key; a key of another type leaves it blocked.  Timeout: a null array.


def _serve_zpop(highest: bool, count: "int | None", ctx: Context, key: bytes):
    """Retry of BZPOPMIN/BZPOPMAX (count None) and BZMPOP: pop from the key that became ready."""
    zs = ctx.db.lookup(key)
    if type(zs) is not ZSet or not zs:
        return None
    if count is None:
        return _bzpop_reply(ctx, key, pop_from(ctx, key, zs, 1, highest))
    return mpop_reply(ctx, key, pop_from(ctx, key, zs, count, highest))


def _bzpop_reply(ctx: Context, key: bytes, pairs: list) -> list:
    """BZPOPMIN/BZPOPMAX's flat [key, member, score] (both protocols)."""
    score, member = pairs[0]
    return [key, member, _double(ctx, score)]


def _bzpop(ctx: Context, keys: tuple, timeout_arg: bytes, highest: bool):
    timeout = parse_timeout(timeout_arg)
    key, zs = first_zset(ctx, keys)
    if zs is not None:
        return _bzpop_reply(ctx, key, pop_from(ctx, key, zs, 1, highest))
    return blocking.block(ctx, keys, timeout, partial(_serve_zpop, highest, None))


@group.command("bzpopmin", arity=-3, flags="write noscript blocking fast", keys=(1, -2, 1))
def cmd_bzpopmin(ctx: Context, key: bytes, *rest: bytes):
    """BZPOPMIN key [key ...] timeout"""
    return _bzpop(ctx, (key,) + rest[:-1], rest[-1], False)


@group.command("bzpopmax", arity=-3, flags="write noscript blocking fast", keys=(1, -2, 1))
def cmd_bzpopmax(ctx: Context, key: bytes, *rest: bytes):
    """BZPOPMAX key [key ...] timeout"""
    return _bzpop(ctx, (key,) + rest[:-1], rest[-1], True)


@group.command("bzmpop", arity=-5, flags="write blocking movablekeys", keys=(0, 0, 0))
def cmd_bzmpop(ctx: Context, timeout: bytes, numkeys: bytes, *args: bytes):
    """BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]"""
    keys, highest, count = parse_mpop((numkeys,) + args)
    ms = parse_timeout(timeout)
    key, zs = first_zset(ctx, keys)
    if zs is not None:
        return mpop_reply(ctx, key, pop_from(ctx, key, zs, count, highest))
    return blocking.block(ctx, keys, ms, partial(_serve_zpop, highest, count))


# -- ZRANDMEMBER --------------------------------------------------------------------------


@group.command("zrandmember", arity=-2, flags="readonly", keys=(1, 1, 1))
def cmd_zrandmember(ctx: Context, key: bytes, *args: bytes):
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    rng = ctx.store.rng
    if not args:
        zs = _get(ctx, key)
        if zs is None:
            return None
        return zs[rng.randrange(len(zs))][1]
    wanted = parse_range_int(args[0], -INT64_MAX, INT64_MAX)
    if len(args) > 2 or (len(args) == 2 and c_token(args[1]) != b"withscores"):
        raise CommandError(SYNTAX_ERROR)
    withscores = len(args) == 2
    if withscores and not -_HALF_LONG <= wanted <= _HALF_LONG:
        raise CommandError(VALUE_OUT_OF_RANGE)
    zs = _get(ctx, key)
    if zs is None or wanted == 0:
        return []
    size = len(zs)
    if wanted < 0 or wanted == 1:
        # members may repeat: any order, any count (bounded by kvfake, see above)
        count = -wanted if wanted < 0 else 1
        if count > ZRANDMEMBER_MAX_REPEATS:
            raise CommandError(TOO_MANY_REPEATS)
        if count > size // 2:
            return _repeated_reply(ctx, rng.choices(zs.slice(0, size), k=count), withscores)
        randrange = rng.randrange
        pairs = [zs[randrange(size)] for _ in range(count)]
    elif wanted >= size:
        # redis 7.0: the whole zset, walked from the highest score down
        pairs = zs.slice(0, size, True)
    else:
        positions = rng.sample(range(size), wanted)
        if not zs.big:
            positions.sort()  # redis 7.0 samples a listpack in its order
        pairs = [zs[i] for i in positions]
    return _pairs_reply(ctx, pairs, withscores)


def _repeated_reply(ctx: Context, picks: list, withscores: bool) -> list:
    """Like _pairs_reply for picks that repeat: each member's reply items are built once."""
    if not withscores:
        return [m for _, m in picks]
    built: dict = {}
    out: list = []
    if ctx.session.protover == 3:
        append = out.append
        for score, member in picks:
            item = built.get(member)
            if item is None:
                item = built[member] = [member, Double(format_double(score))]
            append(item)
        return out
    extend = out.extend
    for score, member in picks:
        item = built.get(member)
        if item is None:
            item = built[member] = (member, format_double(score))
        extend(item)
    return out


# -- ZUNION ZINTER ZDIFF (STORE) ZINTERCARD ---------------------------------------------

_UNION, _INTER, _DIFF = 0, 1, 2
_SUM, _MIN, _MAX = 0, 1, 2
_AGGREGATES = {b"sum": _SUM, b"min": _MIN, b"max": _MAX}


def _source_items(value):
    """(member, score) of a zset, or of a set with every score 1 (Redis accepts sets)."""
    if value is None:
        return ()
    if type(value) is ZSet:
        return value.scores.items()
    return ((m, 1.0) for m in value)


def _source_score(value, member: bytes):
    if type(value) is ZSet:
        return value.scores.get(member)
    return 1.0 if member in value else None


def _aggregate(target: float, value: float, how: int) -> float:
    if how == _SUM:
        total = target + value
        return 0.0 if total != total else total  # inf + -inf is 0 in Redis
    if how == _MIN:
        return value if value < target else target
    return value if value > target else target


def _setop(ctx: Context, name: str, dst: "bytes | None", numkeys: bytes, rest: tuple, op: int,
           card: bool = False):
    """Redis 7.0 zunionInterDiffGenericCommand: the scores of the result, or its size (ZINTERCARD).

    Returns ``(scores dict, withscores)``, or an int for ZINTERCARD.
    """
    setnum = parse_int(numkeys)
    if setnum < 1:
        raise CommandError(_at_least_one_key(name))
    if setnum > len(rest):
        raise CommandError(SYNTAX_ERROR)
    lookup = ctx.db.lookup
    sources = []
    for key in rest[:setnum]:
        value = lookup(key)
        if value is not None and type(value) is not ZSet and not isinstance(value, SetValue):
            raise WrongTypeError()
        sources.append(value)
    weights = [1.0] * setnum
    how = _SUM
    withscores = False
    limit = 0
    j, n = setnum, len(rest)
    while j < n:
        opt = c_token(rest[j])
        remaining = n - j
        if op != _DIFF and not card and remaining >= setnum + 1 and opt == b"weights":
            for i in range(setnum):
                weights[i] = parse_float(rest[j + 1 + i], WEIGHT_NOT_FLOAT)
            j += setnum + 1
        elif op != _DIFF and not card and remaining >= 2 and opt == b"aggregate":
            agg = _AGGREGATES.get(c_token(rest[j + 1]))
            if agg is None:
                raise CommandError(SYNTAX_ERROR)
            how = agg
            j += 2
        elif dst is None and not card and opt == b"withscores":
            withscores = True
            j += 1
        elif card and remaining >= 2 and opt == b"limit":
            limit = parse_positive_int(rest[j + 1], LIMIT_NEGATIVE)
            j += 2
        else:
            raise CommandError(SYNTAX_ERROR)

    pairs = list(zip(sources, weights))
    if op != _DIFF:
        # smallest first (a stable sort, as glibc's qsort is): it decides the
        # order in which floating-point scores are summed
        pairs.sort(key=lambda p: 0 if p[0] is None else len(p[0]))
    result: dict = {}
    if op == _INTER:
        first, w0 = pairs[0]
        count = 0
        for member, s in _source_items(first):
            score = w0 * s
            if score != score:
                score = 0.0
            for other, w in pairs[1:]:
                if other is first:
                    value = s * w
                else:
                    found = None if other is None else _source_score(other, member)
                    if found is None:
                        break
                    value = found * w
                score = _aggregate(score, value, how)
            else:
                if card:
                    count += 1
                    if limit and count >= limit:
                        break
                else:
                    result[member] = score
        if card:
            return count
    elif op == _UNION:
        for source, w in pairs:
            for member, s in _source_items(source):
                score = w * s
                if score != score:
                    score = 0.0
                old = result.get(member)
                result[member] = score if old is None else _aggregate(old, score, how)
    else:
        first = pairs[0][0]
        others = [p[0] for p in pairs[1:]]
        if first is not None and not any(o is first for o in others):
            for member, s in _source_items(first):
                for other in others:
                    if other is not None and _source_score(other, member) is not None:
                        break
                else:
                    result[member] = s
    return result, withscores


def _setop_reply(ctx: Context, scores: dict, withscores: bool) -> list:
    pairs = sorted([(s, m) for m, s in scores.items()])
    return _pairs_reply(ctx, pairs, withscores)


@group.command("zunion", arity=-3, flags="readonly movablekeys", keys=(0, 0, 0))
def cmd_zunion(ctx: Context, numkeys: bytes, *args: bytes):
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]"""
    return _setop_reply(ctx, *_setop(ctx, "zunion", None, numkeys, args, _UNION))


@group.command("zinter", arity=-3, flags="readonly movablekeys", keys=(0, 0, 0))
def cmd_zinter(ctx: Context, numkeys: bytes, *args: bytes):
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]"""
    return _setop_reply(ctx, *_setop(ctx, "zinter", None, numkeys, args, _INTER))


@group.command("zdiff", arity=-3, flags="readonly movablekeys", keys=(0, 0, 0))
def cmd_zdiff(ctx: Context, numkeys: bytes, *args: bytes):
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    return _setop_reply(ctx, *_setop(ctx, "zdiff", None, numkeys, args, _DIFF))


@group.command("zintercard", arity=-3, flags="readonly movablekeys", keys=(0, 0, 0))
def cmd_zintercard(ctx: Context, numkeys: bytes, *args: bytes):
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    return _setop(ctx, "zintercard", None, numkeys, args, _INTER, card=True)


def _setop_store(ctx: Context, name: str, dst: bytes, numkeys: bytes, args: tuple, op: int) -> int:
    scores, _ = _setop(ctx, name, dst, numkeys, args, op)
    return _store_result(ctx, dst, scores, name.encode())


@group.command("zunionstore", arity=-4, flags="write denyoom movablekeys", keys=(1, 1, 1))
def cmd_zunionstore(ctx: Context, destination: bytes, numkeys: bytes, *args: bytes):
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]"""
    return _setop_store(ctx, "zunionstore", destination, numkeys, args, _UNION)


@group.command("zinterstore", arity=-4, flags="write denyoom movablekeys", keys=(1, 1, 1))
def cmd_zinterstore(ctx: Context, destination: bytes, numkeys: bytes, *args: bytes):
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX]"""
    return _setop_store(ctx, "zinterstore", destination, numkeys, args, _INTER)


@group.command("zdiffstore", arity=-4, flags="write denyoom movablekeys", keys=(1, 1, 1))
def cmd_zdiffstore(ctx: Context, destination: bytes, numkeys: bytes, *args: bytes):
    """ZDIFFSTORE destination numkeys key [key ...]"""
    return _setop_store(ctx, "zdiffstore", destination, numkeys, args, _DIFF)


# -- ZSCAN ----------------------------------------------------------------------------------


@group.command("zscan", arity=-3, flags="readonly", keys=(1, 1, 1))
def cmd_zscan(ctx: Context, key: bytes, cursor_arg: bytes, *options: bytes):
    """ZSCAN key cursor [MATCH pattern] [COUNT count]"""
    # redis 7.0: cursor, then the key (a missing key ends the scan before any
    # option is read), then the options; TYPE belongs to SCAN only
    cursor = parse_cursor(cursor_arg)
    zs = _get(ctx, key)
    if zs is None:
        return [b"0", []]
    count, pattern, _ = parse_scan_options(options)  # TYPE is SCAN's only
    match = None if pattern is None or pattern == b"*" else matcher(pattern)
    scores = zs.scores
    if not zs.big:
        # a listpack is returned whole, in order, with cursor 0 (as Redis does),
        # and its scores as the listpack holds them
        next_cursor = 0
        members = [m for _, m in zs.order]
        text = _listpack_score
    else:
        next_cursor, members, zs.scan_index = scan_dict(scores, zs.scan_index, cursor, count)
        text = format_double
    out = []
    for member in members:
        score = scores.get(member)
        if score is None or (match is not None and not match(member)):
            continue
        out.append(member)
        out.append(text(score))
    return [b"%d" % next_cursor, out]


_LISTPACK_INT = float(INT64_MAX // 2)  # (double)(LLONG_MAX/2): 2**62


def _listpack_score(score: float) -> bytes:
    """A score as a listpack stores it (redis 7.0 zzlInsertAt): an integer when the double
    is one within +-2**62 ("100000000000000000" for 1e17), else the %.17g text."""
    if -_LISTPACK_INT <= score <= _LISTPACK_INT and score.is_integer():
        return b"%d" % score
    return format_double(score)
