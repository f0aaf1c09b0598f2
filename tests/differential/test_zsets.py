"""Differential scripts for the sorted-set group: kvfake vs redis-server 7.0.15, raw bytes, RESP2 and RESP3.

Every command of kvfake/commands/zsets.py, each option and combination, the error paths (wrong type,
arity, bad numbers, bad bounds, syntax) and edge values (inf, -0, exclusive bounds, negative indexes,
huge counts).  Every script runs in RESP2 and in RESP3 (HELLO 3): doubles, nested WITHSCORES pairs and
null shapes differ there.

Random replies (ZRANDMEMBER) are compared by shape (``_random_shape``); scripts whose replies are
deterministic in Redis (a count covering the whole zset, a one-member zset) are compared exactly.
ZSCAN of a skiplist-encoded zset is compared by full iteration (kvfake's cursors are its own).
Scripts that change CONFIG restore it themselves and, should they fail half-way, the
``restore_zset_config`` fixture restores it.  Scripts using other groups' commands (SADD, LPUSH...)
skip while kvfake lacks them.
"""

from __future__ import annotations

import time

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import RespError, decode, elements

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
LONG_MAX_HALF = "4611686018427387903"
BIG = "x" * 65  # longer than zset-max-listpack-value (64): forces a skiplist

ABC = ["ZADD", "z", "1", "a", "2", "b", "3", "c"]
LEX = ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g"]
LEX_BIG = ["ZADD", "lexbig", "0", BIG, "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g"]
# the same zset as ABC but skiplist-encoded (a member too long for a listpack)
ABC_BIG = ["ZADD", "zb", "1", "a", "2", "b", "3", "c", "4", BIG]

SCRIPTS = {
    # -- ZADD -------------------------------------------------------------------------------
    "zadd-basic": [
        ["ZADD", "z", "1", "a"],
        ["ZADD", "z", "2", "b", "3", "c"],
        ["ZADD", "z", "5", "a"],
        ["ZADD", "z", "1", "a", "1", "a", "2", "a"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZCARD", "z"],
        ["ZADD", "z", "1.5", b"bin\x00\xff", "-1", ""],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["zadd", "z", "0", "lower"],
        ["TYPE", "z"],
    ],
    "zadd-nx-xx": [
        ["ZADD", "z", "XX", "1", "a"],
        ["EXISTS", "z"],
        ["ZADD", "z", "NX", "1", "a", "2", "b"],
        ["ZADD", "z", "NX", "5", "a", "3", "c"],
        ["ZADD", "z", "XX", "5", "a", "4", "d"],
        ["ZADD", "z", "xx", "ch", "6", "a", "4", "d"],
        ["ZADD", "z", "nx", "CH", "6", "a", "4", "d"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ],
    "zadd-gt-lt-ch": [
        ["ZADD", "z", "5", "a", "5", "b"],
        ["ZADD", "z", "GT", "4", "a", "6", "b", "1", "new"],
        ["ZADD", "z", "GT", "CH", "4", "a", "7", "b", "1", "new2"],
        ["ZADD", "z", "LT", "CH", "4", "a", "8", "b"],
        ["ZADD", "z", "XX", "GT", "CH", "10", "a", "1", "b", "1", "nope"],
        ["ZADD", "z", "XX", "LT", "CH", "10", "a", "1", "b"],
        ["ZADD", "z", "CH", "1", "b", "2", "c"],
        ["ZADD", "z", "CH", "CH", "1", "b"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ],
    "zadd-incr": [
        ["ZADD", "z", "INCR", "1", "a"],
        ["ZADD", "z", "INCR", "2.5", "a"],
        ["ZADD", "z", "XX", "INCR", "1", "missing"],
        ["ZADD", "nokey", "XX", "INCR", "1", "a"],
        ["EXISTS", "nokey"],
        ["ZADD", "z", "NX", "INCR", "1", "a"],
        ["ZADD", "z", "NX", "INCR", "1", "b"],
        ["ZADD", "z", "GT", "INCR", "-1", "a"],
        ["ZADD", "z", "GT", "INCR", "1", "a"],
        ["ZADD", "z", "LT", "INCR", "1", "a"],
        ["ZADD", "z", "LT", "INCR", "-10", "a"],
        ["ZADD", "z", "INCR", "0", "a"],
        ["ZADD", "z", "INCR", "CH", "1", "a"],
        ["ZADD", "z", "INCR", "1", "a", "2", "b"],
        ["ZADD", "z", "INCR", "inf", "a"],
        ["ZADD", "z", "INCR", "-inf", "a"],
        ["ZSCORE", "z", "a"],
        ["ZADD", "z", "INCR", "inf", "a"],
        ["ZADD", "z", "INCR", "1e308", "big"],
        ["ZADD", "z", "INCR", "1e308", "big"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ],
    "zadd-option-errors": [
        ["ZADD", "z", "NX", "XX", "1", "a"],
        ["ZADD", "z", "XX", "NX", "1", "a"],
        ["ZADD", "z", "GT", "LT", "1", "a"],
        ["ZADD", "z", "NX", "GT", "1", "a"],
        ["ZADD", "z", "LT", "NX", "1", "a"],
        ["ZADD", "z", "NX", "XX", "GT", "1", "a"],
        ["ZADD", "z", "NX", "XX", "1", "a", "2"],
        ["ZADD", "z", "NX", "GT", "INCR", "1", "a", "2", "b"],
        ["ZADD", "z", "INCR", "1", "a", "2", "b"],
        ["ZADD", "z", "1", "a", "2"],
        ["ZADD", "z", "CH"],
        ["ZADD", "z", "CH", "NX"],
        ["ZADD", "z", "FOO", "1", "a"],
        ["ZADD", "z", "1", "a", "x", "b"],
        ["ZADD", "z", b"nx\x00junk", "1", "a"],
        ["ZADD", "z", b"CH\x00", "1", "a"],
        ["EXISTS", "z"],
        ["ZADD"],
        ["ZADD", "z"],
        ["ZADD", "z", "1"],
    ],
    "zadd-scores": [
        ["ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2", "-Infinity", "ninf2", "INF", "pinf3"],
        ["ZADD", "z", "0x10", "hex", "1e3", "exp", "1E-3", "exp2", ".5", "half", "5.", "five", "+1.5", "plus"],
        ["ZADD", "z", "1.1", "a", "0.1", "b", "1e17", "c", "123456789012345678", "d", "5e-324", "e"],
        ["ZADD", "z", "-0", "negzero", "-0.0", "negzero2", "0", "zero"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZADD", "z", "nan", "x"],
        ["ZADD", "z", "NaN", "x"],
        ["ZADD", "z", "1e400", "x"],
        ["ZADD", "z", "1e-400", "x"],
        ["ZADD", "z", " 1", "x"],
        ["ZADD", "z", "1 ", "x"],
        ["ZADD", "z", "", "x"],
        ["ZADD", "z", "1_0", "x"],
        ["ZADD", "z", b"1\x00", "x"],
        ["ZADD", "z", "abc", "x"],
        ["ZADD", "z", "1", "ok", "nan", "x"],
        ["ZSCORE", "z", "ok"],
    ],
    "zadd-wrongtype": [
        ["SET", "s", "v"],
        ["ZADD", "s", "1", "a"],
        ["ZADD", "s", "nan", "a"],
        ["ZADD", "s", "XX", "1", "a", "x"],
        ["ZADD", "s", "NX", "XX", "1", "a"],
        ["ZINCRBY", "s", "1", "a"],
        ["ZINCRBY", "s", "x", "a"],
        ["GET", "s"],
    ],
    # -- ZINCRBY -----------------------------------------------------------------------------
    "zincrby": [
        ["ZINCRBY", "z", "1", "a"],
        ["ZINCRBY", "z", "1.5", "a"],
        ["ZINCRBY", "z", "-5", "a"],
        ["ZINCRBY", "z", "0.1", "b"],
        ["ZINCRBY", "z", "0.2", "b"],
        ["ZINCRBY", "z", "inf", "c"],
        ["ZINCRBY", "z", "-inf", "c"],
        ["ZINCRBY", "z", "abc", "a"],
        ["ZINCRBY", "z", "nan", "a"],
        ["ZINCRBY", "z", "nx", "a"],
        ["ZINCRBY", "z", "incr", "a"],
        ["ZINCRBY", "z", "1"],
        ["ZINCRBY", "z", "1", "a", "b"],
        ["ZINCRBY", "fresh", "-0.0", "m"],
        ["ZSCORE", "fresh", "m"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ],
    # -- single-member reads ----------------------------------------------------------------------
    "zscore-zmscore-zcard": [
        ABC,
        ["ZSCORE", "z", "a"],
        ["ZSCORE", "z", "nope"],
        ["ZSCORE", "nokey", "a"],
        ["ZMSCORE", "z", "a", "nope", "c", "a"],
        ["ZMSCORE", "nokey", "a", "b"],
        ["ZCARD", "z"],
        ["ZCARD", "nokey"],
        ["SET", "s", "v"],
        ["ZSCORE", "s", "a"],
        ["ZMSCORE", "s", "a"],
        ["ZCARD", "s"],
        ["ZSCORE", "z"],
        ["ZMSCORE", "z"],
        ["ZCARD"],
        ["ZCARD", "z", "z"],
    ],
    "zrank-zrevrank": [
        ABC,
        ["ZADD", "z", "2", "bb"],
        ["ZRANK", "z", "a"],
        ["ZRANK", "z", "b"],
        ["ZRANK", "z", "bb"],
        ["ZRANK", "z", "c"],
        ["ZREVRANK", "z", "a"],
        ["ZREVRANK", "z", "c"],
        ["ZRANK", "z", "nope"],
        ["ZREVRANK", "z", "nope"],
        ["ZRANK", "nokey", "a"],
        ["ZRANK", "z", "a", "WITHSCORE"],
        ["ZREVRANK", "z", "a", "WITHSCORE"],
        ["ZRANK", "z"],
        ["SET", "s", "v"],
        ["ZRANK", "s", "a"],
        ["ZREVRANK", "s", "a"],
    ],
    # -- ZCOUNT ZLEXCOUNT ----------------------------------------------------------------------------
    "zcount": [
        ["ZADD", "z", "-inf", "m", "1", "a", "2", "b", "2", "bb", "3", "c", "inf", "p"],
        ["ZCOUNT", "z", "-inf", "+inf"],
        ["ZCOUNT", "z", "1", "2"],
        ["ZCOUNT", "z", "(1", "2"],
        ["ZCOUNT", "z", "(1", "(2"],
        ["ZCOUNT", "z", "2", "2"],
        ["ZCOUNT", "z", "(2", "2"],
        ["ZCOUNT", "z", "3", "1"],
        ["ZCOUNT", "z", "(-inf", "(inf"],
        ["ZCOUNT", "z", "inf", "inf"],
        ["ZCOUNT", "z", "-inf", "-inf"],
        ["ZCOUNT", "z", "", "2"],
        ["ZCOUNT", "z", "(", "2"],
        ["ZCOUNT", "z", " 1", "2"],
        ["ZCOUNT", "z", "1e400", "inf"],
        ["ZCOUNT", "z", "-1e400", "0"],
        ["ZCOUNT", "z", b"1\x00junk", "2"],
        ["ZCOUNT", "z", "0x1", "2"],
        ["ZCOUNT", "z", "nan", "2"],
        ["ZCOUNT", "z", "1", "(nan"],
        ["ZCOUNT", "z", "1 ", "2"],
        ["ZCOUNT", "z", "abc", "2"],
        ["ZCOUNT", "z", "((1", "2"],
        ["ZCOUNT", "z", "[1", "2"],
        ["ZCOUNT", "nokey", "abc", "2"],
        ["ZCOUNT", "nokey", "1", "2"],
        ["SET", "s", "v"],
        ["ZCOUNT", "s", "1", "2"],
        ["ZCOUNT", "s", "x", "2"],
        ["ZCOUNT", "z", "1"],
    ],
    "zlexcount": [
        LEX,
        ["ZLEXCOUNT", "lex", "-", "+"],
        ["ZLEXCOUNT", "lex", "[b", "[d"],
        ["ZLEXCOUNT", "lex", "(b", "[d"],
        ["ZLEXCOUNT", "lex", "(b", "(d"],
        ["ZLEXCOUNT", "lex", "[d", "[b"],
        ["ZLEXCOUNT", "lex", "[b", "[b"],
        ["ZLEXCOUNT", "lex", "(b", "[b"],
        ["ZLEXCOUNT", "lex", "-", "[c"],
        ["ZLEXCOUNT", "lex", "[c", "+"],
        ["ZLEXCOUNT", "lex", "+", "-"],
        ["ZLEXCOUNT", "lex", "-", "-"],
        ["ZLEXCOUNT", "lex", "+", "+"],
        ["ZLEXCOUNT", "lex", "[", "+"],
        ["ZLEXCOUNT", "lex", "(", "+"],
        ["ZLEXCOUNT", "lex", "[aa", "(e"],
        ["ZLEXCOUNT", "lex", "b", "d"],
        ["ZLEXCOUNT", "lex", "", "+"],
        ["ZLEXCOUNT", "lex", "-x", "+"],
        ["ZLEXCOUNT", "lex", "-", "+x"],
        ["ZLEXCOUNT", "lex", "-", b"+\x00x"],
        ["ZLEXCOUNT", "lex", b"[b\x00", "+"],
        ["ZLEXCOUNT", "nokey", "-", "+"],
        ["ZLEXCOUNT", "nokey", "x", "+"],
        ["SET", "s", "v"],
        ["ZLEXCOUNT", "s", "-", "+"],
        ["ZLEXCOUNT", "s", "x", "+"],
    ],
    "zlexcount-skiplist": [
        LEX_BIG,
        ["OBJECT", "ENCODING", "lexbig"],
        ["ZLEXCOUNT", "lexbig", "-", "+"],
        ["ZLEXCOUNT", "lexbig", "[b", "[d"],
        ["ZLEXCOUNT", "lexbig", "(b", "(d"],
        ["ZLEXCOUNT", "lexbig", "[d", "[b"],
        ["ZLEXCOUNT", "lexbig", "[x", "+"],
        ["ZLEXCOUNT", "lexbig", "(x", "+"],
        ["ZLEXCOUNT", "lexbig", "-", "[a"],
        ["ZLEXCOUNT", "lexbig", "[zz", "+"],
    ],
    # -- ZRANGE by rank -----------------------------------------------------------------------------
    "zrange-rank": [
        ABC,
        ["ZRANGE", "z", "0", "-1"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGE", "z", "1", "1"],
        ["ZRANGE", "z", "-2", "-1"],
        ["ZRANGE", "z", "-100", "100"],
        ["ZRANGE", "z", "2", "1"],
        ["ZRANGE", "z", "3", "10"],
        ["ZRANGE", "z", "-1", "-2"],
        ["ZRANGE", "z", "0", "-4"],
        ["ZRANGE", "z", INT64_MIN, INT64_MAX],
        ["ZRANGE", "z", "0", "-1", "REV"],
        ["ZRANGE", "z", "0", "0", "REV", "WITHSCORES"],
        ["ZRANGE", "z", "1", "-1", "withscores", "rev"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "5", "-1"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"],
        ["ZRANGE", "nokey", "0", "-1"],
        ["ZRANGE", "z", "a", "-1"],
        ["ZRANGE", "z", "0", "1.5"],
        ["ZRANGE", "z", "0", INT64_MAX + "0"],
        ["ZRANGE", "nokey", "a", "-1"],
    ],
    "zrange-rank-skiplist": [
        ABC_BIG,
        ["OBJECT", "ENCODING", "zb"],
        ["ZRANGE", "zb", "0", "-1", "WITHSCORES"],
        ["ZRANGE", "zb", "1", "2"],
        ["ZRANGE", "zb", "-2", "-1", "REV"],
        ["ZRANGE", "zb", "1", "100", "REV", "WITHSCORES"],
        ["ZREVRANGE", "zb", "0", "1"],
    ],
    "zrange-options-errors": [
        ABC,
        ["ZRANGE", "z", "0", "-1", "BYLEX", "WITHSCORES"],
        ["ZRANGE", "z", "-", "+", "WITHSCORES", "BYLEX"],
        ["ZRANGE", "z", "0", "-1", "REV", "REV"],
        ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"],
        ["ZRANGE", "z", "0", "-1", "BYSCORE", "BYSCORE"],
        ["ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "0"],
        ["ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT"],
        ["ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "x", "1"],
        ["ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "0", "1.5"],
        ["ZRANGE", "z", "0", "-1", "FOO"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1", "BYSCORE"],
        ["ZRANGE", "z", "x", "y", "BYSCORE"],
        ["ZRANGE", "z", "x", "y", "BYLEX"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1", "FOO"],
        ["ZRANGE", "z", "0", "-1", "FOO", "LIMIT", "0", "1"],
        ["ZRANGE", "nokey", "x", "y", "BYSCORE"],
        ["ZRANGE", "z", "0"],
        ["SET", "s", "v"],
        ["ZRANGE", "s", "0", "-1"],
        ["ZRANGE", "s", "x", "-1"],
        ["ZRANGE", "s", "0", "-1", "FOO"],
    ],
    "zrange-byscore": [
        ["ZADD", "z", "-inf", "m", "1", "a", "2", "b", "2", "bb", "3", "c", "inf", "p"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE"],
        ["ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES"],
        ["ZRANGE", "z", "2", "2", "BYSCORE"],
        ["ZRANGE", "z", "3", "1", "BYSCORE"],
        ["ZRANGE", "z", "3", "1", "BYSCORE", "REV"],
        ["ZRANGE", "z", "(3", "(1", "BYSCORE", "REV", "WITHSCORES"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "4", "-5"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "-1", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "3", "LIMIT", "0", "1"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", INT64_MAX],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", INT64_MAX, "1"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", INT64_MIN, "1"],
        ["ZRANGE", "z", "(inf", "+inf", "BYSCORE"],
        ["ZRANGE", "z", "inf", "+inf", "BYSCORE", "WITHSCORES"],
        ["ZRANGE", "z", "1", "nan", "BYSCORE"],
        ["ZRANGE", "z", "", "2", "BYSCORE"],
    ],
    "zrange-byscore-skiplist": [
        ABC_BIG,
        ["ZADD", "zb", "2", "bb", "-inf", "m", "inf", "p"],
        ["ZRANGE", "zb", "(1", "4", "BYSCORE", "WITHSCORES"],
        ["ZRANGE", "zb", "4", "(1", "BYSCORE", "REV"],
        ["ZRANGE", "zb", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "3"],
        ["ZRANGE", "zb", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "2", "3"],
        ["ZRANGE", "zb", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "-1", "3"],
        ["ZRANGE", "zb", "2", "2", "BYSCORE"],
        ["ZRANGE", "zb", "(2", "(2", "BYSCORE"],
    ],
    "zrange-bylex": [
        LEX,
        ["ZRANGE", "lex", "-", "+", "BYLEX"],
        ["ZRANGE", "lex", "[b", "(e", "BYLEX"],
        ["ZRANGE", "lex", "(e", "[b", "BYLEX", "REV"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "2", "2"],
        ["ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "2", "2"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "-1", "2"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "3", "-1"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "0", "0"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "100", "1"],
        ["ZRANGE", "lex", "+", "-", "BYLEX"],
        ["ZRANGE", "lex", "[c", "[c", "BYLEX"],
        ["ZRANGE", "lex", "(c", "[c", "BYLEX"],
        ["ZRANGE", "lex", "0", "-1", "BYLEX"],
    ],
    "zrange-bylex-skiplist": [
        LEX_BIG,
        ["ZRANGE", "lexbig", "[b", "(e", "BYLEX"],
        ["ZRANGE", "lexbig", "(e", "[b", "BYLEX", "REV"],
        ["ZRANGE", "lexbig", "-", "+", "BYLEX", "LIMIT", "2", "2"],
        ["ZRANGE", "lexbig", "+", "-", "BYLEX", "REV", "LIMIT", "2", "3"],
        ["ZRANGE", "lexbig", "[x", "+", "BYLEX"],
        ["ZRANGE", "lexbig", "-", "(b", "BYLEX"],
    ],
    "zrange-bylex-mixed-scores": [
        # redis documents the result as unspecified; on a listpack it is still deterministic
        ["ZADD", "mix", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e"],
        ["ZRANGE", "mix", "[b", "[d", "BYLEX"],
        ["ZRANGE", "mix", "[b", "[d", "BYLEX", "LIMIT", "1", "5"],
        ["ZRANGE", "mix", "[d", "[b", "BYLEX", "REV"],
        ["ZRANGE", "mix", "-", "[c", "BYLEX"],
        ["ZLEXCOUNT", "mix", "[b", "[d"],
        ["ZLEXCOUNT", "mix", "-", "+"],
        ["ZREMRANGEBYLEX", "mix", "[c", "[e"],
        ["ZRANGE", "mix", "0", "-1"],
    ],
    # -- older range commands -------------------------------------------------------------------------
    "zrevrange": [
        ABC,
        ["ZREVRANGE", "z", "0", "-1"],
        ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZREVRANGE", "z", "1", "5"],
        ["ZREVRANGE", "z", "-1", "-1"],
        ["ZREVRANGE", "z", "0", "-1", "REV"],
        ["ZREVRANGE", "z", "0", "-1", "BYSCORE"],
        ["ZREVRANGE", "z", "0", "-1", "BYLEX"],
        ["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        ["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
        ["ZREVRANGE", "z", "x", "-1"],
        ["ZREVRANGE", "nokey", "0", "-1"],
    ],
    "zrangebyscore": [
        ["ZADD", "z", "1", "a", "2", "b", "2", "bb", "3", "c"],
        ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
        ["ZRANGEBYSCORE", "z", "(1", "3", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "1", "2"],
        ["ZRANGEBYSCORE", "z", "1", "3", "WITHSCORES", "LIMIT", "1", "2", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "0", "1", "REV"],
        ["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"],
        ["ZRANGEBYSCORE", "z", "0", "1", "BYLEX"],
        ["ZRANGEBYSCORE", "z", "x", "1"],
        ["ZRANGEBYSCORE", "z", "1"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"],
        ["ZREVRANGEBYSCORE", "z", "3", "(1", "WITHSCORES"],
        ["ZREVRANGEBYSCORE", "z", "1", "3"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "REV"],
        ["ZREVRANGEBYSCORE", "z", "x", "1"],
        ["ZRANGEBYSCORE", "nokey", "0", "1"],
    ],
    "zrangebylex": [
        LEX,
        ["ZRANGEBYLEX", "lex", "-", "+"],
        ["ZRANGEBYLEX", "lex", "[b", "(d"],
        ["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "3"],
        ["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
        ["ZRANGEBYLEX", "lex", "-", "+", "REV"],
        ["ZRANGEBYLEX", "lex", "b", "d"],
        ["ZREVRANGEBYLEX", "lex", "+", "-"],
        ["ZREVRANGEBYLEX", "lex", "(d", "[b"],
        ["ZREVRANGEBYLEX", "lex", "[b", "(d"],
        ["ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "3"],
        ["ZREVRANGEBYLEX", "lex", "+", "-", "WITHSCORES"],
        ["ZREVRANGEBYLEX", "lex", "+", "x"],
        ["ZRANGEBYLEX", "nokey", "-", "+"],
        ["SET", "s", "v"],
        ["ZRANGEBYLEX", "s", "-", "+"],
        ["ZREVRANGEBYSCORE", "s", "1", "0"],
    ],
    # -- ZRANGESTORE ---------------------------------------------------------------------------------------
    "zrangestore": [
        ABC,
        ["ZRANGESTORE", "dst", "z", "0", "-1"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "1", "1"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "[b", "+", "BYLEX"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "5", "10"],
        ["EXISTS", "dst"],
        ["ZRANGESTORE", "dst", "nokey", "0", "-1"],
        ["SET", "str", "v"],
        ["EXPIRE", "str", "100"],
        ["ZRANGESTORE", "str", "z", "0", "0"],
        ["TYPE", "str"],
        ["TTL", "str"],
        ["ZRANGESTORE", "str", "nokey", "0", "-1"],
        ["EXISTS", "str"],
        ["ZRANGESTORE", "z", "z", "0", "1"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "z", "0", "-1", "BYLEX"],
        ["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"],
        ["ZRANGESTORE", "dst", "z", "0"],
        ["SET", "s", "v"],
        ["ZRANGESTORE", "dst", "s", "0", "-1"],
        ["ZRANGESTORE", "s", "z", "0", "-1"],
        ["TYPE", "s"],
    ],
    # -- ZREM ZREMRANGEBY* -----------------------------------------------------------------------------------
    "zrem": [
        ABC,
        ["ZREM", "z", "a"],
        ["ZREM", "z", "a"],
        ["ZREM", "z", "nope", "b", "b"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZREM", "z", "c", "d"],
        ["EXISTS", "z"],
        ["ZREM", "nokey", "a"],
        ["ZREM", "z"],
        ["SET", "s", "v"],
        ["ZREM", "s", "a"],
    ],
    "zremrangebyrank": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        ["ZREMRANGEBYRANK", "z", "0", "0"],
        ["ZREMRANGEBYRANK", "z", "-1", "-1"],
        ["ZREMRANGEBYRANK", "z", "5", "10"],
        ["ZREMRANGEBYRANK", "z", "2", "1"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZREMRANGEBYRANK", "z", "x", "1"],
        ["ZREMRANGEBYRANK", "z", "0", "x"],
        ["ZREMRANGEBYRANK", "z", INT64_MIN, INT64_MAX],
        ["EXISTS", "z"],
        ["ZREMRANGEBYRANK", "nokey", "0", "-1"],
        ["ZREMRANGEBYRANK", "nokey", "x", "-1"],
        ["SET", "s", "v"],
        ["ZREMRANGEBYRANK", "s", "0", "-1"],
        ["ZREMRANGEBYRANK", "z", "0"],
    ],
    "zremrangebyscore": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        ["ZREMRANGEBYSCORE", "z", "(1", "2"],
        ["ZREMRANGEBYSCORE", "z", "10", "20"],
        ["ZREMRANGEBYSCORE", "z", "4", "(5"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZREMRANGEBYSCORE", "z", "x", "1"],
        ["ZREMRANGEBYSCORE", "z", "1", "nan"],
        ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
        ["EXISTS", "z"],
        ["ZREMRANGEBYSCORE", "nokey", "-inf", "+inf"],
        ["SET", "s", "v"],
        ["ZREMRANGEBYSCORE", "s", "-inf", "+inf"],
        ["ZREMRANGEBYSCORE", "s", "x", "+inf"],
    ],
    "zremrangebylex": [
        LEX,
        ["ZREMRANGEBYLEX", "lex", "[b", "(d"],
        ["ZREMRANGEBYLEX", "lex", "(x", "+"],
        ["ZREMRANGEBYLEX", "lex", "[e", "[a"],
        ["ZRANGE", "lex", "0", "-1"],
        ["ZREMRANGEBYLEX", "lex", "x", "+"],
        ["ZREMRANGEBYLEX", "lex", "-", "+"],
        ["EXISTS", "lex"],
        ["ZREMRANGEBYLEX", "nokey", "-", "+"],
        ["SET", "s", "v"],
        ["ZREMRANGEBYLEX", "s", "-", "+"],
        ["ZREMRANGEBYLEX", "s", "x", "+"],
    ],
    "zremrange-skiplist": [
        ABC_BIG,
        ["ZREMRANGEBYRANK", "zb", "1", "1"],
        ["ZREMRANGEBYSCORE", "zb", "(3", "+inf"],
        ["ZRANGE", "zb", "0", "-1"],
        ["OBJECT", "ENCODING", "zb"],
        LEX_BIG,
        ["ZREMRANGEBYLEX", "lexbig", "[b", "[d"],
        ["ZREMRANGEBYLEX", "lexbig", "[f", "[b"],
        ["ZRANGE", "lexbig", "0", "-1"],
        ["ZREMRANGEBYLEX", "lexbig", "-", "+"],
        ["EXISTS", "lexbig"],
    ],
    # -- pops -------------------------------------------------------------------------------------------
    "zpopmin-zpopmax": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        ["ZPOPMIN", "z"],
        ["ZPOPMAX", "z"],
        ["ZPOPMIN", "z", "2"],
        ["ZPOPMAX", "z", "1"],
        ["ZPOPMIN", "z", "0"],
        ["ZPOPMAX", "z", "10"],
        ["EXISTS", "z"],
        ["ZPOPMIN", "z"],
        ["ZPOPMIN", "z", "3"],
        ["ZPOPMAX", "nokey", "0"],
        ["ZPOPMIN", "z", "-1"],
        ["ZPOPMIN", "z", "x"],
        ["ZPOPMIN", "z", "1", "2"],
        ["ZPOPMIN", "z", INT64_MAX],
        ["SET", "s", "v"],
        ["ZPOPMIN", "s"],
        ["ZPOPMAX", "s", "0"],
        ["ZPOPMAX", "s", "-1"],
        ["ZPOPMIN"],
    ],
    "zpop-skiplist": [
        ABC_BIG,
        ["ZPOPMIN", "zb"],
        ["ZPOPMAX", "zb", "2"],
        ["ZPOPMAX", "zb", "5"],
        ["EXISTS", "zb"],
    ],
    "zmpop": [
        ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
        ["ZADD", "z2", "10", "x"],
        ["ZMPOP", "2", "nokey", "z1", "MIN"],
        ["ZMPOP", "2", "z1", "z2", "MAX", "COUNT", "5"],
        ["ZMPOP", "2", "z1", "z2", "max", "count", "5"],
        ["ZMPOP", "1", "z1", "MIN"],
        ["EXISTS", "z1", "z2"],
        ["ZMPOP", "1", "z1", "MIN"],
        ["ZMPOP", "2", "nokey", "nokey2", "MAX", "COUNT", "1"],
        ["ZADD", "z1", "1", "a"],
        ["ZMPOP", "0", "z1", "MIN"],
        ["ZMPOP", "-1", "z1", "MIN"],
        ["ZMPOP", "x", "z1", "MIN"],
        ["ZMPOP", "1", "z1", "FOO"],
        ["ZMPOP", "2", "z1", "MIN"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT", "0"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT", "-1"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT", "x"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT", "1", "COUNT", "1"],
        ["ZMPOP", "1", "z1", "MIN", "FOO"],
        ["ZMPOP", INT64_MAX, "z1", "MIN"],
        ["ZMPOP", "9223372036854775806", "z1", "MIN"],
        ["ZMPOP", "1", "z1", "MIN", "COUNT", INT64_MAX],
        ["SET", "s", "v"],
        ["ZMPOP", "2", "s", "z1", "MIN"],
        ["ZADD", "z1", "1", "a"],
        ["ZMPOP", "2", "z1", "s", "MIN"],
        ["ZMPOP", "1"],
        ["ZMPOP", "1", "z1"],
    ],
    # -- ZUNION ZINTER ZDIFF ----------------------------------------------------------------------------
    "zunion-zinter-zdiff": [
        ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
        ["ZADD", "z2", "10", "b", "20", "c", "30", "d"],
        ["ZUNION", "2", "z1", "z2"],
        ["ZUNION", "2", "z1", "z2", "WITHSCORES"],
        ["ZINTER", "2", "z1", "z2", "WITHSCORES"],
        ["ZDIFF", "2", "z1", "z2", "WITHSCORES"],
        ["ZDIFF", "2", "z2", "z1"],
        ["ZUNION", "3", "z1", "z2", "nokey", "WITHSCORES"],
        ["ZINTER", "3", "z1", "z2", "nokey"],
        ["ZDIFF", "2", "nokey", "z1"],
        ["ZDIFF", "1", "z1"],
        ["ZDIFF", "2", "z1", "z1"],
        ["ZDIFF", "3", "z1", "nokey", "z2", "WITHSCORES"],
        ["ZINTER", "2", "z1", "z1", "WITHSCORES"],
        ["ZUNION", "2", "z1", "z1", "WITHSCORES"],
        ["ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES"],
        ["ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WITHSCORES"],
        ["ZINTER", "2", "z1", "z2", "weights", "-1", "2", "aggregate", "sum", "withscores"],
        ["ZINTER", "2", "z1", "z2", "AGGREGATE", "MIN", "AGGREGATE", "MAX", "WITHSCORES"],
        ["ZUNION", "2", "z1", "z2", "WITHSCORES", "WITHSCORES"],
        ["ZINTERCARD", "2", "z1", "z2"],
        ["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"],
        ["ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"],
        ["ZINTERCARD", "2", "z1", "z2", "LIMIT", "100"],
        ["ZINTERCARD", "2", "z1", "nokey"],
        ["ZINTERCARD", "1", "z1"],
    ],
    "zsetop-scores-nan-inf": [
        ["ZADD", "p", "inf", "a", "-inf", "b", "1", "c", "0", "d"],
        ["ZADD", "q", "-inf", "a", "inf", "b", "2", "c", "5", "d"],
        ["ZUNION", "2", "p", "q", "WITHSCORES"],
        ["ZINTER", "2", "p", "q", "WITHSCORES"],
        ["ZUNION", "2", "p", "q", "WEIGHTS", "0", "1", "WITHSCORES"],
        ["ZINTER", "2", "p", "q", "WEIGHTS", "0", "0", "WITHSCORES"],
        ["ZUNION", "2", "p", "q", "WEIGHTS", "inf", "1", "WITHSCORES"],
        ["ZUNION", "2", "p", "q", "WEIGHTS", "-inf", "-1", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZINTER", "2", "p", "q", "WEIGHTS", "0", "1", "AGGREGATE", "MAX", "WITHSCORES"],
        ["ZINTER", "2", "p", "q", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZADD", "r", "0.1", "x", "1e17", "y"],
        ["ZADD", "t", "0.2", "x", "1", "y"],
        ["ZUNION", "2", "r", "t", "WITHSCORES"],
        ["ZUNION", "3", "r", "t", "r", "WITHSCORES"],
        ["ZUNIONSTORE", "dst", "2", "p", "q", "WEIGHTS", "0", "1"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    ],
    "zsetop-float-order": [
        # sums depend on the order of the inputs: Redis sorts them by size (stably), smallest first
        ["ZADD", "p", "0.1", "x"],
        ["ZADD", "q", "0.2", "x", "1", "q1"],
        ["ZADD", "r", "0.3", "x", "1", "r1", "2", "r2"],
        ["ZUNION", "3", "r", "q", "p", "WITHSCORES"],
        ["ZUNION", "3", "p", "q", "r", "WITHSCORES"],
        ["ZINTER", "3", "r", "q", "p", "WITHSCORES"],
        ["ZINTER", "3", "r", "q", "p", "WEIGHTS", "3", "2", "1", "WITHSCORES"],
        ["ZADD", "a", "1e16", "x"],
        ["ZADD", "b", "1", "x"],
        ["ZADD", "c", "-1e16", "x"],
        ["ZUNION", "3", "a", "b", "c", "WITHSCORES"],
        ["ZUNION", "3", "b", "a", "c", "WITHSCORES"],
        ["ZUNION", "3", "c", "a", "b", "WITHSCORES"],
        ["ZINTER", "3", "a", "b", "c", "WITHSCORES"],
        ["ZINTER", "3", "a", "c", "b", "WITHSCORES"],
        ["ZADD", "i1", "inf", "x"],
        ["ZADD", "i2", "-inf", "x"],
        ["ZADD", "i3", "5", "x"],
        ["ZUNION", "3", "i1", "i2", "i3", "WITHSCORES"],
        ["ZUNION", "3", "i3", "i1", "i2", "WITHSCORES"],
        ["ZUNION", "3", "i1", "i2", "i3", "AGGREGATE", "MIN", "WITHSCORES"],
        ["ZUNION", "3", "i1", "i2", "i3", "WEIGHTS", "0", "1", "1", "AGGREGATE", "MAX", "WITHSCORES"],
    ],
    "zsetop-errors": [
        ["ZADD", "z1", "1", "a"],
        ["SET", "s", "v"],
        ["ZUNION", "0", "z1"],
        ["ZUNION", "-1", "z1"],
        ["ZUNION", "x", "z1"],
        ["ZINTER", "0", "z1"],
        ["ZDIFF", "0", "z1"],
        ["ZINTERCARD", "0", "z1"],
        ["ZUNIONSTORE", "d", "0", "z1"],
        ["ZINTERSTORE", "d", "-1", "z1"],
        ["ZDIFFSTORE", "d", "0", "z1"],
        ["ZUNION", "2", "z1"],
        ["ZUNION", INT64_MAX, "z1"],
        ["ZUNION", "1", "s"],
        ["ZUNION", "2", "z1", "s"],
        ["ZUNION", "2", "s", "z1", "FOO"],
        ["ZUNION", "2", "nokey", "z1", "FOO"],
        ["ZUNION", "1", "z1", "WEIGHTS"],
        ["ZUNION", "1", "z1", "WEIGHTS", "x"],
        ["ZUNION", "1", "z1", "WEIGHTS", "nan"],
        ["ZUNION", "2", "z1", "z1", "WEIGHTS", "1"],
        ["ZUNION", "2", "z1", "z1", "WEIGHTS", "1", "2", "3"],
        ["ZUNION", "1", "z1", "AGGREGATE"],
        ["ZUNION", "1", "z1", "AGGREGATE", "AVG"],
        ["ZUNION", "1", "z1", "AGGREGATE", b"sum\x00x"],
        ["ZDIFF", "1", "z1", "WEIGHTS", "1"],
        ["ZDIFF", "1", "z1", "AGGREGATE", "SUM"],
        ["ZINTERCARD", "1", "z1", "WITHSCORES"],
        ["ZINTERCARD", "1", "z1", "WEIGHTS", "1"],
        ["ZINTERCARD", "1", "z1", "LIMIT"],
        ["ZINTERCARD", "1", "z1", "LIMIT", "-1"],
        ["ZINTERCARD", "1", "z1", "LIMIT", "x"],
        ["ZINTERCARD", "2", "z1", "s"],
        ["ZINTER", "1", "z1", "LIMIT", "1"],
        ["ZUNIONSTORE", "d", "1", "z1", "WITHSCORES"],
        ["ZUNIONSTORE", "d", "1", "s", "FOO"],
        ["ZUNION", "1"],
        ["ZUNIONSTORE", "d", "1"],
        ["ZINTERCARD", "1"],
        ["EXISTS", "d"],
    ],
    "zsetop-store": [
        ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
        ["ZADD", "z2", "10", "b", "20", "c", "30", "d"],
        ["ZUNIONSTORE", "dst", "2", "z1", "z2"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZINTERSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["ZDIFFSTORE", "dst", "2", "z1", "z2"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["OBJECT", "ENCODING", "dst"],
        ["ZINTERSTORE", "dst", "2", "z1", "nokey"],
        ["EXISTS", "dst"],
        ["ZDIFFSTORE", "dst", "1", "nokey"],
        ["SET", "str", "v"],
        ["EXPIRE", "str", "100"],
        ["ZUNIONSTORE", "str", "1", "z1"],
        ["TYPE", "str"],
        ["TTL", "str"],
        ["ZINTERSTORE", "str", "2", "z1", "nokey"],
        ["EXISTS", "str"],
        ["ZUNIONSTORE", "z1", "2", "z1", "z2"],
        ["ZRANGE", "z1", "0", "-1", "WITHSCORES"],
        ["ZDIFFSTORE", "z2", "2", "z2", "z2"],
        ["EXISTS", "z2"],
    ],
    "zsetop-store-encoding": [
        ["ZADD", "z1", "1", "a", "1", BIG],
        ["OBJECT", "ENCODING", "z1"],
        ["ZUNIONSTORE", "u", "1", "z1"],
        ["OBJECT", "ENCODING", "u"],
        ["ZREM", "z1", BIG],
        ["OBJECT", "ENCODING", "z1"],
        ["ZUNIONSTORE", "u", "1", "z1"],
        ["OBJECT", "ENCODING", "u"],
        ["ZINCRBY", "big", "-0.0", "m", ],
        ["ZADD", "big", "1", BIG],
        ["ZINCRBY", "big", "-0.0", "n"],
        ["ZSCORE", "big", "n"],
        ["ZUNIONSTORE", "u2", "1", "big"],
        ["ZSCORE", "u2", "n"],
        ["ZREM", "big", BIG],
        ["ZUNIONSTORE", "u3", "1", "big"],
        ["OBJECT", "ENCODING", "u3"],
        ["ZSCORE", "u3", "n"],
        ["ZRANGESTORE", "u4", "big", "0", "-1"],
        ["OBJECT", "ENCODING", "u4"],
        ["ZSCORE", "u4", "n"],
        ["ZSCORE", "big", "n"],
        # ZRANGESTORE adds one by one to a listpack that converts when it must: -0 survives only after
        ["ZADD", "src", "1", BIG],
        ["ZADD", "src", "-0.0", "a", "-0.0", "b"],
        ["ZRANGESTORE", "d1", "src", "0", "-1"],
        ["OBJECT", "ENCODING", "d1"],
        ["ZRANGE", "d1", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "d2", "src", "0", "-1", "REV"],
        ["ZRANGE", "d2", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "d3", "src", "-inf", "+inf", "BYSCORE"],
        ["ZRANGE", "d3", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "d4", "src", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"],
        ["ZRANGE", "d4", "0", "-1", "WITHSCORES"],
        ["ZUNIONSTORE", "d5", "1", "src"],
        ["ZRANGE", "d5", "0", "-1", "WITHSCORES"],
    ],
    # -- ZRANDMEMBER (deterministic cases) ------------------------------------------------------------------
    "zrandmember-deterministic": [
        ABC,
        ["ZRANDMEMBER", "z", "3"],
        ["ZRANDMEMBER", "z", "10", "WITHSCORES"],
        ["ZRANDMEMBER", "z", INT64_MAX],
        ["ZRANDMEMBER", "z", LONG_MAX_HALF, "WITHSCORES"],
        ["ZRANDMEMBER", "z", "0"],
        ["ZRANDMEMBER", "z", "0", "WITHSCORES"],
        ["ZADD", "one", "1.5", "m"],
        ["ZRANDMEMBER", "one"],
        ["ZRANDMEMBER", "one", "-5"],
        ["ZRANDMEMBER", "one", "-3", "WITHSCORES"],
        ["ZRANDMEMBER", "one", "1", "WITHSCORES"],
        ["ZRANDMEMBER", "nokey"],
        ["ZRANDMEMBER", "nokey", "5"],
        ["ZRANDMEMBER", "nokey", "-5", "WITHSCORES"],
        ["ZRANDMEMBER", "nokey", "x"],
        ["ZRANDMEMBER", "z", "x"],
        ["ZRANDMEMBER", "z", "1.5"],
        ["ZRANDMEMBER", "z", INT64_MIN],
        ["ZRANDMEMBER", "z", "-" + INT64_MAX, "WITHSCORES"],
        ["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "1", "FOO"],
        ["ZRANDMEMBER", "z", "1", "WITHSCORES", "X"],
        ["ZRANDMEMBER", "z", "x", "FOO"],
        ["ZRANDMEMBER", "nokey", "1", "FOO"],
        ["SET", "s", "v"],
        ["ZRANDMEMBER", "s"],
        ["ZRANDMEMBER", "s", "1"],
        ["ZRANDMEMBER", "s", "0"],
        ["ZRANDMEMBER", "s", "x"],
        ["ZRANDMEMBER"],
    ],
    "zrandmember-deterministic-skiplist": [
        ABC_BIG,
        ["ZRANDMEMBER", "zb", "4"],
        ["ZRANDMEMBER", "zb", "100", "WITHSCORES"],
    ],
    # -- ZSCAN (listpack: everything at once, in order) ---------------------------------------------------------
    "zscan-listpack": [
        ["ZADD", "z", "1.5", "a", "100", "b", "1e20", "c", "-inf", "d", "3", "ab"],
        ["ZSCAN", "z", "0"],
        ["ZADD", "ints", "4611686018427387904", "a", "4611686018427388928", "b", "-4611686018427387904", "c",
         "1e17", "d", "5e15", "e", "123456789", "g", "-0", "h", "2.5", "i", "-4611686018427388928", "j"],
        ["ZSCAN", "ints", "0"],
        ["ZRANGE", "ints", "0", "-1", "WITHSCORES"],
        ["ZSCAN", "z", "17"],
        ["ZSCAN", "z", "0", "COUNT", "1"],
        ["ZSCAN", "z", "0", "MATCH", "a*"],
        ["ZSCAN", "z", "0", "match", "*", "count", "2"],
        ["ZSCAN", "z", "0", "MATCH", "nothing"],
        ["ZSCAN", "z", "0", "COUNT", "0"],
        ["ZSCAN", "z", "0", "COUNT", "-1"],
        ["ZSCAN", "z", "0", "COUNT", "x"],
        ["ZSCAN", "z", "0", "COUNT"],
        ["ZSCAN", "z", "0", "TYPE", "string"],
        ["ZSCAN", "z", "0", "NOVALUES"],
        ["ZSCAN", "z", "x"],
        ["ZSCAN", "z", "-1"],
        ["ZSCAN", "z", ""],
        ["ZSCAN", "z", "18446744073709551616"],
        ["ZSCAN", "nokey", "0"],
        ["ZSCAN", "nokey", "0", "FOO"],
        ["ZSCAN", "nokey", "x"],
        ["SET", "s", "v"],
        ["ZSCAN", "s", "0"],
        ["ZSCAN", "s", "x"],
        ["ZSCAN", "z"],
    ],
    # -- encodings --------------------------------------------------------------------------------------------
    "encoding-value-length": [
        ["ZADD", "v", "1", "x" * 64],
        ["OBJECT", "ENCODING", "v"],
        ["ZADD", "v2", "1", BIG],
        ["OBJECT", "ENCODING", "v2"],
        ["ZADD", "v3", "1", "a"],
        ["ZADD", "v3", "1", "a", "2", BIG],
        ["OBJECT", "ENCODING", "v3"],
        ["ZREM", "v3", BIG],
        ["OBJECT", "ENCODING", "v3"],
        ["ZADD", "v4", "XX", "1", BIG],
        ["EXISTS", "v4"],
        ["ZADD", "v5", "1", "a"],
        ["ZADD", "v5", "XX", "1", BIG],
        ["OBJECT", "ENCODING", "v5"],
        ["ZADD", "neg", "-0.0", "a"],
        ["ZSCORE", "neg", "a"],
        ["ZADD", "neg2", "-0.0", "a", "1", BIG],
        ["ZSCORE", "neg2", "a"],
        ["ZINCRBY", "neg2", "-0.0", "a"],
        ["ZINCRBY", "neg2", "-0.0", "b"],
        ["ZSCORE", "neg2", "b"],
        ["ZADD", "neg2", "0", "b"],
        ["ZSCORE", "neg2", "b"],
        ["ZADD", "neg2", "INCR", "-0.0", "b"],
        ["ZRANGE", "neg2", "0", "-1", "WITHSCORES"],
        ["ZSCAN", "neg2", "0"],
    ],
    # -- keyspace interplay -------------------------------------------------------------------------------------
    "keys-type-del-exists": [
        ABC,
        ["TYPE", "z"],
        ["EXISTS", "z"],
        ["OBJECT", "ENCODING", "z"],
        ["DEL", "z"],
        ["TYPE", "z"],
        ["ZADD", "z", "1", "a"],
        ["ZPOPMIN", "z"],
        ["TYPE", "z"],
    ],
    "keys-rename-copy-move": [
        ABC,
        ABC_BIG,
        ["RENAME", "z", "z2"],
        ["ZRANGE", "z2", "0", "-1", "WITHSCORES"],
        ["EXISTS", "z"],
        ["COPY", "z2", "z3"],
        ["ZADD", "z3", "9", "new"],
        ["ZRANGE", "z2", "0", "-1"],
        ["ZRANGE", "z3", "0", "-1"],
        ["OBJECT", "ENCODING", "z3"],
        ["COPY", "zb", "zb2"],
        ["OBJECT", "ENCODING", "zb2"],
        ["ZREM", "zb2", BIG],
        ["OBJECT", "ENCODING", "zb2"],
        ["ZCARD", "zb"],
        ["COPY", "zb", "z3", "REPLACE"],
        ["ZCARD", "z3"],
        ["MOVE", "z2", "1"],
        ["EXISTS", "z2"],
        ["SELECT", "1"],
        ["ZRANGE", "z2", "0", "-1", "WITHSCORES"],
        ["TYPE", "z2"],
        ["FLUSHDB"],
        ["SELECT", "0"],
        ["RENAMENX", "z3", "zb"],
        ["RENAMENX", "z3", "z4"],
        ["ZCARD", "z4"],
    ],
    "keys-expiry": [
        ABC,
        ["EXPIRE", "z", "100"],
        ["TTL", "z"],
        ["ZADD", "z", "4", "d"],
        ["TTL", "z"],
        ["ZREM", "z", "a"],
        ["TTL", "z"],
        ["ZUNIONSTORE", "z", "1", "z"],
        ["TTL", "z"],
        ["EXPIRE", "z", "100"],
        ["ZPOPMIN", "z"],
        ["TTL", "z"],
        ["PERSIST", "z"],
        ["TTL", "z"],
        ["PEXPIREAT", "z", "1"],
        ["ZCARD", "z"],
        ["EXISTS", "z"],
        ["ZADD", "z", "1", "fresh"],
        ["ZRANGE", "z", "0", "-1"],
        ["TTL", "z"],
    ],
}

RANDOM = {
    "zrandmember-random-listpack": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
        ["ZRANDMEMBER", "z"],
        ["ZRANDMEMBER", "z", "1"],
        ["ZRANDMEMBER", "z", "2"],
        ["ZRANDMEMBER", "z", "4", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-10"],
        ["ZRANDMEMBER", "z", "-10", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-1", "WITHSCORES"],
    ],
    "zrandmember-random-skiplist": [
        ["ZADD", "zb"] + [x for i in range(40) for x in (str(i), f"m{i}")] + ["99", BIG],
        ["ZRANDMEMBER", "zb"],
        ["ZRANDMEMBER", "zb", "3"],
        ["ZRANDMEMBER", "zb", "30", "WITHSCORES"],
        ["ZRANDMEMBER", "zb", "10", "WITHSCORES"],
        ["ZRANDMEMBER", "zb", "-100"],
        ["ZRANDMEMBER", "zb", "-7", "WITHSCORES"],
    ],
}

CONFIG_SCRIPTS = {
    "encoding-entries": [
        ["CONFIG", "SET", "zset-max-listpack-entries", "3"],
        ["ZADD", "y", "1", "a", "2", "b", "3", "c"],
        ["OBJECT", "ENCODING", "y"],
        ["ZADD", "y", "3", "c"],
        ["OBJECT", "ENCODING", "y"],
        ["ZADD", "y", "4", "d"],
        ["OBJECT", "ENCODING", "y"],
        ["ZREM", "y", "a", "b", "c"],
        ["OBJECT", "ENCODING", "y"],
        ["ZADD", "w", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["OBJECT", "ENCODING", "w"],
        ["ZUNIONSTORE", "u", "1", "w"],
        ["OBJECT", "ENCODING", "u"],
        ["ZRANGESTORE", "r", "w", "0", "2"],
        ["OBJECT", "ENCODING", "r"],
        ["ZRANGESTORE", "r", "w", "0", "3"],
        ["OBJECT", "ENCODING", "r"],
        ["ZINTERSTORE", "i", "1", "w"],
        ["OBJECT", "ENCODING", "i"],
        ["ZDIFFSTORE", "d", "1", "y"],
        ["OBJECT", "ENCODING", "d"],
        ["CONFIG", "SET", "zset-max-ziplist-entries", "0"],
        ["ZADD", "e", "1", "a"],
        ["OBJECT", "ENCODING", "e"],
        ["ZINCRBY", "e2", "1", "a"],
        ["OBJECT", "ENCODING", "e2"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
        ["ZADD", "e3", "1", "a"],
        ["OBJECT", "ENCODING", "e3"],
    ],
    "encoding-value": [
        ["CONFIG", "SET", "zset-max-listpack-value", "3"],
        ["ZADD", "y", "1", "abc"],
        ["OBJECT", "ENCODING", "y"],
        ["ZADD", "y", "1", "abcd"],
        ["OBJECT", "ENCODING", "y"],
        ["ZADD", "y2", "1", "abcd"],
        ["OBJECT", "ENCODING", "y2"],
        ["CONFIG", "SET", "zset-max-ziplist-value", "0"],
        ["ZADD", "y3", "1", ""],
        ["OBJECT", "ENCODING", "y3"],
        ["ZADD", "y3", "1", "a"],
        ["OBJECT", "ENCODING", "y3"],
        ["CONFIG", "SET", "zset-max-listpack-value", "64"],
    ],
    "zscan-skiplist-small-count-1000": [
        ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
        ["ZADD", "z", "1", "a"],
        ["OBJECT", "ENCODING", "z"],
        ["ZSCAN", "z", "0"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
    ],
}


# -- shape-only comparison of random replies ----------------------------------------------------------


def _shape(raw: bytes) -> bytes:
    """``raw`` with every leaf (bulk string, double) replaced by a placeholder: the structure stays."""
    if raw[:1] in (b"*", b"~"):
        header, items = elements(raw)
        return header + b"".join(_shape(i) for i in items)
    if raw[:1] == b"$" and raw != b"$-1\r\n":
        return b"$?\r\n"
    if raw[:1] == b",":
        return b",?\r\n"
    return raw


def _random_shape(argv, raw: bytes) -> bytes:
    """ZRANDMEMBER replies by shape: the count, nesting and types (members and scores are random)."""
    if argv[0].upper() != b"ZRANDMEMBER":
        return raw
    try:
        return _shape(raw)
    except RespError:
        return raw


def _sort_zscan(argv, raw: bytes) -> bytes:
    """ZSCAN's (member, score) pairs sorted: a skiplist is scanned in hash order, kvfake's own."""
    if argv[0].upper() != b"ZSCAN":
        return raw
    try:
        header, (cursor, found) = elements(raw)
        inner, items = elements(found)
    except (RespError, ValueError):
        return raw
    pairs = sorted(zip(items[0::2], items[1::2]))
    return header + cursor + inner + b"".join(m + s for m, s in pairs)


#: scripts that scan a small skiplist (everything in one call, in hash order)
NORMALIZE = {"encoding-value-length": _sort_zscan}


@pytest.fixture
def restore_zset_config(redis_server, kvfake_server):
    """Put the zset encoding limits back on both servers, whatever the script did."""
    yield
    for server in (redis_server, kvfake_server):
        with RawConnection(server.host, server.port) as conn:
            conn.call("CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64")


RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])


@RESP
@pytest.mark.parametrize("name", SCRIPTS)
def test_zsets(pair, kvfake_server, name, resp):
    pair.check(SCRIPTS[name], resp=resp, name=name, normalize=NORMALIZE.get(name))


@RESP
@pytest.mark.parametrize("name", RANDOM)
def test_zsets_random_replies(pair, name, resp):
    pair.check(RANDOM[name], resp=resp, name=name, normalize=_random_shape)


@RESP
@pytest.mark.parametrize("name", CONFIG_SCRIPTS)
def test_zsets_config(pair, restore_zset_config, name, resp):
    pair.check(CONFIG_SCRIPTS[name], resp=resp, name=name)


def test_random_shape_keeps_structure():
    raw = b"*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$2\r\nbb\r\n,2\r\n"
    assert _random_shape([b"ZRANDMEMBER"], raw) == b"*2\r\n*2\r\n$?\r\n,?\r\n*2\r\n$?\r\n,?\r\n"
    assert _random_shape([b"ZRANDMEMBER"], b"*1\r\n$1\r\na\r\n") != _random_shape(
        [b"ZRANDMEMBER"], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n")
    assert _random_shape([b"ZCARD"], raw) == raw


# -- sets as inputs of ZUNION & co. (needs SADD) ------------------------------------------------------------

WITH_SETS = {
    "zsetop-with-sets": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["SADD", "s", "a", "b", "z"],
        ["SADD", "ints", "1", "2", "3"],
        ["ZINTERSTORE", "d", "2", "z", "s"],
        ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        ["ZUNION", "2", "z", "s", "WITHSCORES"],
        ["ZUNION", "2", "s", "z", "WEIGHTS", "2", "3", "WITHSCORES", "AGGREGATE", "MAX"],
        ["ZDIFF", "2", "s", "z", "WITHSCORES"],
        ["ZINTER", "2", "s", "s", "WITHSCORES"],
        ["ZINTER", "1", "ints", "WITHSCORES"],
        ["ZUNION", "2", "ints", "z", "WITHSCORES"],
        ["ZINTERCARD", "2", "z", "s"],
        ["ZINTERCARD", "2", "z", "s", "LIMIT", "1"],
        ["ZDIFFSTORE", "d2", "2", "ints", "z"],
        ["TYPE", "d2"],
        ["ZRANGE", "d2", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "d3", "s", "0", "-1"],
        ["ZADD", "s", "1", "a"],
        ["LPUSH", "l", "a"],
        ["ZUNION", "2", "z", "l"],
        ["ZINTERCARD", "2", "l", "z"],
    ],
}


@RESP
@pytest.mark.parametrize("name", WITH_SETS)
def test_zsets_with_other_types(pair, kvfake_server, name, resp):
    pair.check(WITH_SETS[name], resp=resp, name=name)


# -- SCAN TYPE zset and ZSCAN over a skiplist, by full iteration --------------------------------------------


def _scan_all(server, command: list, *, key_list_index: int = 1) -> list:
    """Everything one full SCAN/ZSCAN iteration returns (with repeats), on its own connection."""
    found: list = []
    with RawConnection(server.host, server.port) as conn:
        cursor = b"0"
        for _ in range(100_000):
            reply = decode(conn.call(*command[:key_list_index], cursor, *command[key_list_index:]))
            assert isinstance(reply, list) and len(reply) == 2, reply
            cursor, batch = reply
            found.extend(batch)
            if cursor == b"0":
                return found
    raise AssertionError("scan did not finish")


def _pairs(flat: list) -> list:
    return list(zip(flat[0::2], flat[1::2]))


ZSCAN_SETUP = [["ZADD", "big", "0", BIG]] + [
    ["ZADD", "big", str(i / 4), f"member:{i}"] for i in range(300)
] + [["ZADD", "big", "inf", "top"], ["ZADD", "big", "-0.5", b"bin\x00\xff"]]

ZSCAN_OPTIONS = {
    "default": [],
    "count-1": ["COUNT", "1"],
    "count-7": ["COUNT", "7"],
    "count-1000": ["COUNT", "1000"],
    "match": ["MATCH", "member:1*"],
    "match-count": ["MATCH", "member:[0-4]?", "COUNT", "3"],
    "match-none": ["MATCH", "nothing*"],
}


@pytest.mark.parametrize("name", ZSCAN_OPTIONS)
def test_zscan_skiplist_full_iteration(pair, redis_server, kvfake_server, name):
    pair.reset()
    for argv in ZSCAN_SETUP:
        pair.step(argv)
    pair.step(["OBJECT", "ENCODING", "big"])
    pair.close()
    command = ["ZSCAN", "big"]
    options = ZSCAN_OPTIONS[name]
    expected = _pairs(_scan_all(redis_server, command + options, key_list_index=2))
    got = _pairs(_scan_all(kvfake_server, command + options, key_list_index=2))
    assert len(got) == len(set(got)), "kvfake returned a member twice from an unchanged zset"
    assert sorted(set(got)) == sorted(set(expected))


@pytest.mark.parametrize("options", [["TYPE", "zset"], ["TYPE", "ZSET", "COUNT", "3"], ["TYPE", "zset", "MATCH", "z1*"]],
                         ids=["type", "type-upper-count", "type-match"])
def test_scan_type_zset_full_iteration(pair, redis_server, kvfake_server, options):
    pair.reset()
    for i in range(30):
        pair.step(["ZADD", f"z{i}", "1", "m"])
        pair.step(["SET", f"s{i}", "v"])
    pair.step(["ZADD", "zbig", "1", BIG])
    pair.close()
    expected = _scan_all(redis_server, ["SCAN"] + options, key_list_index=1)
    got = _scan_all(kvfake_server, ["SCAN"] + options, key_list_index=1)
    assert sorted(set(got)) == sorted(set(expected))
    assert len(got) == len(set(got))


@pytest.mark.parametrize("read", [["ZCARD", "z"], ["ZRANGE", "z", "0", "-1"], ["ZSCORE", "z", "a"],
                                  ["ZADD", "z", "XX", "1", "a"], ["ZPOPMIN", "z"], ["ZRANDMEMBER", "z"]],
                         ids=lambda argv: argv[0].lower() + ("-xx" if "XX" in argv else ""))
def test_expired_zset_is_gone(pair, read):
    pair.reset()
    pair.step(ABC)
    pair.step(["PEXPIRE", "z", "30"])
    time.sleep(0.1)
    pair.step(read)
    pair.step(["EXISTS", "z"])
    pair.step(["TYPE", "z"])
    pair.close()


# -- blocking pops ------------------------------------------------------------------------------------------

BLOCKING_SCRIPTS = {
    "bzpop-ready": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["BZPOPMIN", "nokey", "z", "0"],
        ["BZPOPMAX", "z", "nokey", "0"],
        ["BZPOPMIN", "z", "1.5"],
        ["EXISTS", "z"],
        ["BZPOPMIN", "nokey", "0.01"],
        ["BZPOPMAX", "nokey", "nokey2", "0.01"],
        ["ZADD", "z", "1.5", "a"],
        ["BZPOPMAX", "z", "z", "0"],
    ],
    "bzpop-errors": [
        ["ZADD", "z", "1", "a"],
        ["SET", "s", "v"],
        ["BZPOPMIN", "z", "-1"],
        ["BZPOPMIN", "z", "x"],
        ["BZPOPMIN", "z", "inf"],
        ["BZPOPMIN", "z", "1e16"],
        ["BZPOPMIN", "z", ""],
        ["BZPOPMIN", "s", "x"],
        ["BZPOPMIN", "nokey", "s", "z", "0"],
        ["BZPOPMAX", "s", "0"],
        ["BZPOPMIN", "z"],
        ["BZPOPMIN"],
        ["ZCARD", "z"],
    ],
    "bzmpop": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["BZMPOP", "0", "2", "nokey", "z", "MAX", "COUNT", "2"],
        ["BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"],
        ["EXISTS", "z"],
        ["BZMPOP", "0.01", "1", "nokey", "MIN", "COUNT", "2"],
        ["ZADD", "z", "1", "a"],
        ["BZMPOP", "0", "1", "z", "min"],
        ["SET", "s", "v"],
        ["BZMPOP", "x", "1", "z", "MIN"],
        ["BZMPOP", "0", "1", "z", "FOO"],
        ["BZMPOP", "x", "1", "s", "MIN"],
        ["BZMPOP", "x", "0", "s", "MIN"],
        ["BZMPOP", "0", "0", "z", "MIN"],
        ["BZMPOP", "-1", "1", "nokey", "MIN"],
        ["BZMPOP", "0", "1", "s", "MIN"],
        ["BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"],
        ["BZMPOP", "0", "2", "z", "MIN"],
        ["BZMPOP", "0", "1", "z"],
    ],
    "bzpop-in-multi": [
        ["MULTI"],
        ["BZPOPMIN", "nokey", "0"],
        ["BZMPOP", "0", "1", "nokey", "MIN"],
        ["ZADD", "z", "1", "a"],
        ["BZPOPMAX", "z", "0"],
        ["EXEC"],
    ],
}


@RESP
@pytest.mark.parametrize("name", BLOCKING_SCRIPTS)
def test_zsets_blocking_commands(pair, kvfake_server, name, resp):
    pair.check(BLOCKING_SCRIPTS[name], resp=resp, name=name)


class Twins:
    """Named clients, each one connection to redis and one to kvfake, driven in lock step."""

    def __init__(self, redis_server, kvfake_server, resp: int) -> None:
        self.servers = (redis_server, kvfake_server)
        self.resp = resp
        self.conns: dict = {}
        self.log: list = []
        with RawConnection(redis_server.host, redis_server.port) as a, \
                RawConnection(kvfake_server.host, kvfake_server.port) as b:
            assert a.call("FLUSHALL") == b.call("FLUSHALL") == b"+OK\r\n"

    def _pair(self, name: str) -> tuple:
        if name not in self.conns:
            conns = tuple(RawConnection(s.host, s.port) for s in self.servers)
            if self.resp == 3:
                for conn in conns:
                    assert conn.call("HELLO", "3").startswith(b"%")
            self.conns[name] = conns
        return self.conns[name]

    def _compare(self, name: str, argv, replies) -> bytes:
        assert replies[0] == replies[1], (
            f"client {name}: {argv}\n  redis : {replies[0]!r}\n  kvfake: {replies[1]!r}\n  before: {self.log}")
        self.log.append((name, argv, replies[0]))
        return replies[0]

    def call(self, name: str, *argv) -> bytes:
        conns = self._pair(name)
        return self._compare(name, argv, [conn.call(*argv) for conn in conns])

    def send(self, name: str, *argv) -> None:
        """Send a command expected to block: neither server answers within 0.1 s."""
        from tests.support.resp import command
        for conn in self._pair(name):
            conn.send(command(*argv))
        self.quiet(name)
        self.log.append((name, argv, "<blocked>"))

    def quiet(self, name: str, wait: float = 0.1) -> None:
        time.sleep(wait)
        for server, conn in zip(("redis", "kvfake"), self._pair(name)):
            assert not conn.readable(0), f"{server}: client {name} got a reply: {conn.reply(1)!r}; {self.log}"

    def read(self, name: str, timeout: float = 2.0) -> bytes:
        return self._compare(name, "<read>", [conn.reply(timeout) for conn in self._pair(name)])

    def close(self) -> None:
        for conns in self.conns.values():
            for conn in conns:
                conn.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def twins(redis_server, kvfake_server, request):
    t = Twins(redis_server, kvfake_server, request.param)
    yield t
    t.close()


def test_bzpopmin_woken_by_zadd(twins):
    twins.send("a", "BZPOPMIN", "z", "0")
    twins.call("b", "ZADD", "z", "2", "b", "1", "a")
    twins.read("a")
    twins.call("b", "ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_bzpopmax_served_first_blocked_first(twins):
    twins.send("a", "BZPOPMAX", "z", "0")
    twins.send("c", "BZPOPMAX", "z", "0")
    twins.call("b", "ZADD", "z", "1", "x")
    twins.read("a")
    twins.quiet("c")
    twins.call("b", "ZADD", "z", "1", "y", "2", "w")
    twins.read("c")
    twins.call("b", "ZRANGE", "z", "0", "-1")


def test_bzpopmin_served_from_the_key_made_ready(twins):
    twins.send("a", "BZPOPMIN", "z1", "z2", "z3", "0")
    twins.call("b", "ZADD", "z3", "5", "e")
    twins.read("a")
    twins.call("b", "EXISTS", "z3")


def test_bzmpop_woken_with_count(twins):
    twins.send("a", "BZMPOP", "0", "2", "z1", "z2", "MAX", "COUNT", "2")
    twins.call("b", "ZADD", "z2", "1", "a", "2", "b", "3", "c")
    twins.read("a")
    twins.call("b", "ZRANGE", "z2", "0", "-1")


@pytest.mark.parametrize("wake", [
    [["ZADD", "src", "1", "a", "2", "b"], ["ZUNIONSTORE", "z", "1", "src"]],
    [["ZADD", "src", "1", "a", "2", "b"], ["ZRANGESTORE", "z", "src", "0", "0"]],
    [["ZADD", "src", "1", "a"], ["ZINTERSTORE", "z", "2", "src", "src"]],
    [["ZADD", "src", "1", "a"], ["ZDIFFSTORE", "z", "1", "src"]],
    [["ZINCRBY", "z", "5", "m"]],
    [["ZADD", "src", "1", "a"], ["RENAME", "src", "z"]],
    [["ZADD", "src", "1", "a"], ["COPY", "src", "z"]],
], ids=["zunionstore", "zrangestore", "zinterstore", "zdiffstore", "zincrby", "rename", "copy"])
def test_bzpopmin_woken_by_other_writers(twins, wake):
    twins.send("a", "BZPOPMIN", "z", "0")
    for argv in wake:
        twins.call("b", *argv)
    twins.read("a")
    twins.call("b", "EXISTS", "z")


def test_bzpopmin_stays_blocked_on_another_type(twins):
    twins.send("a", "BZPOPMIN", "k", "0")
    twins.call("b", "SET", "k", "v")
    twins.quiet("a")
    twins.call("b", "DEL", "k")
    twins.call("b", "ZADD", "k", "1", "m")
    twins.read("a")


def test_bzpopmin_empty_store_results_do_not_wake(twins):
    twins.send("a", "BZPOPMIN", "z", "0")
    twins.call("b", "ZUNIONSTORE", "z", "1", "nokey")
    twins.call("b", "ZADD", "z", "XX", "1", "m")
    twins.quiet("a")
    twins.call("b", "ZADD", "z", "NX", "1", "m")
    twins.read("a")


def test_bzpopmin_timeout(twins):
    twins.send("a", "BZPOPMIN", "z", "0.3")
    twins.read("a")
    twins.call("a", "PING")


def test_blocked_bzmpop_and_blpop_on_the_same_key(twins):
    twins.send("a", "BLPOP", "k", "0")
    twins.send("c", "BZMPOP", "0", "1", "k", "MIN")
    twins.call("b", "ZADD", "k", "1", "m")
    twins.read("c")
    twins.quiet("a")
    twins.call("b", "RPUSH", "k", "x")
    twins.read("a")
