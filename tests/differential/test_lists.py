"""Differential tests of the list group against real redis-server 7.0.15, byte for byte.

``SCRIPTS`` run on one connection in RESP2 and RESP3 (the null shapes of LPOP/LMPOP/LPOS
differ); ``BLOCKING`` scripts drive several connections to each server in lock step
(``Clients`` below), so wake-up order, timeouts and what a pipelined client sees are
compared too.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import command

BIG = "9223372036854775807"
SMALL = "-9223372036854775808"

SCRIPTS = {
    # -- pushes ----------------------------------------------------------------------
    "push-basic": [
        ["LPUSH", "l", "a", "b", "c"],
        ["RPUSH", "l", "d", "e"],
        ["LRANGE", "l", "0", "-1"],
        ["LLEN", "l"],
        ["RPUSH", "l", ""],
        ["LPUSH", "l", b"\x00\xff\r\n"],
        ["LRANGE", "l", "0", "-1"],
        ["TYPE", "l"],
        ["OBJECT", "ENCODING", "l"],
    ],
    "pushx": [
        ["LPUSHX", "l", "a"],
        ["RPUSHX", "l", "a", "b"],
        ["EXISTS", "l"],
        ["RPUSH", "l", "x"],
        ["LPUSHX", "l", "a", "b"],
        ["RPUSHX", "l", "y", "z"],
        ["LRANGE", "l", "0", "-1"],
    ],
    "push-wrongtype": [
        ["SET", "s", "v"],
        ["LPUSH", "s", "a"],
        ["RPUSH", "s", "a"],
        ["LPUSHX", "s", "a"],
        ["RPUSHX", "s", "a"],
        ["GET", "s"],
    ],
    "push-arity": [
        ["LPUSH", "l"],
        ["RPUSH", "l"],
        ["LPUSHX", "l"],
        ["RPUSHX", "l"],
        ["LPUSH"],
    ],
    "push-integers-stay-strings": [
        ["RPUSH", "l", "1", "01", "-0", "1.5", "9223372036854775808", "-1"],
        ["LRANGE", "l", "0", "-1"],
        ["LPOS", "l", "1"],
        ["LPOS", "l", "01"],
        ["LREM", "l", "0", "1"],
        ["LRANGE", "l", "0", "-1"],
    ],
    # -- pops ------------------------------------------------------------------------
    "pop-single": [
        ["RPUSH", "l", "a", "b", "c"],
        ["LPOP", "l"],
        ["RPOP", "l"],
        ["LPOP", "l"],
        ["EXISTS", "l"],
        ["LPOP", "l"],
        ["RPOP", "l"],
    ],
    "pop-count": [
        ["RPUSH", "l", "a", "b", "c", "d", "e"],
        ["LPOP", "l", "2"],
        ["RPOP", "l", "2"],
        ["LPOP", "l", "0"],
        ["RPOP", "l", "0"],
        ["LPOP", "l", "10"],
        ["EXISTS", "l"],
        ["LPOP", "l", "0"],
        ["LPOP", "l", "1"],
        ["RPOP", "l", "3"],
        ["RPUSH", "l", "x"],
        ["RPOP", "l", BIG],
    ],
    "pop-errors": [
        ["RPUSH", "l", "a"],
        ["LPOP", "l", "-1"],
        ["LPOP", "l", "abc"],
        ["RPOP", "l", "1.5"],
        ["LPOP", "l", " 1"],
        ["LPOP", "l", "9223372036854775808"],
        ["LPOP", "l", SMALL],
        ["LPOP", "l", "1", "2"],
        ["RPOP", "l", "1", "2"],
        ["LPOP"],
        ["SET", "s", "v"],
        ["LPOP", "s"],
        ["RPOP", "s", "0"],
        ["LPOP", "s", "abc"],
        ["LPOP", "missing", "abc"],
    ],
    # -- LLEN LRANGE LINDEX -------------------------------------------------------------
    "llen": [
        ["LLEN", "l"],
        ["RPUSH", "l", "a", "b"],
        ["LLEN", "l"],
        ["SET", "s", "v"],
        ["LLEN", "s"],
        ["LLEN", "l", "x"],
    ],
    "lrange-indexes": [
        ["RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"],
        ["LRANGE", "l", "0", "-1"],
        ["LRANGE", "l", "0", "0"],
        ["LRANGE", "l", "-1", "-1"],
        ["LRANGE", "l", "2", "4"],
        ["LRANGE", "l", "-3", "-2"],
        ["LRANGE", "l", "5", "100"],
        ["LRANGE", "l", "-100", "1"],
        ["LRANGE", "l", "-100", "-50"],
        ["LRANGE", "l", "4", "2"],
        ["LRANGE", "l", "7", "10"],
        ["LRANGE", "l", "6", "6"],
        ["LRANGE", "l", SMALL, BIG],
        ["LRANGE", "l", BIG, SMALL],
        ["LRANGE", "l", "1", SMALL],
        ["LRANGE", "missing", "0", "-1"],
    ],
    "lrange-errors": [
        ["RPUSH", "l", "a"],
        ["LRANGE", "l", "a", "1"],
        ["LRANGE", "l", "0", "1.0"],
        ["LRANGE", "l", "0", "9223372036854775808"],
        ["LRANGE", "l", "0"],
        ["SET", "s", "v"],
        ["LRANGE", "s", "0", "-1"],
        ["LRANGE", "s", "x", "-1"],
        ["LRANGE", "missing", "x", "-1"],
    ],
    "lindex": [
        ["RPUSH", "l", "a", "b", "c"],
        ["LINDEX", "l", "0"],
        ["LINDEX", "l", "2"],
        ["LINDEX", "l", "3"],
        ["LINDEX", "l", "-1"],
        ["LINDEX", "l", "-3"],
        ["LINDEX", "l", "-4"],
        ["LINDEX", "l", BIG],
        ["LINDEX", "l", SMALL],
        ["LINDEX", "l", "x"],
        ["LINDEX", "missing", "x"],
        ["LINDEX", "missing", "0"],
        ["SET", "s", "v"],
        ["LINDEX", "s", "x"],
        ["LINDEX", "s", "0"],
        ["LINDEX", "l"],
    ],
    # -- LSET LINSERT LREM LTRIM ----------------------------------------------------------
    "lset": [
        ["RPUSH", "l", "a", "b", "c"],
        ["LSET", "l", "0", "x"],
        ["LSET", "l", "-1", "z"],
        ["LSET", "l", "1", ""],
        ["LRANGE", "l", "0", "-1"],
        ["LSET", "l", "3", "q"],
        ["LSET", "l", "-4", "q"],
        ["LSET", "l", BIG, "q"],
        ["LSET", "l", "x", "q"],
        ["LSET", "missing", "0", "q"],
        ["LSET", "missing", "x", "q"],
        ["SET", "s", "v"],
        ["LSET", "s", "0", "q"],
        ["LSET", "s", "x", "q"],
        ["LSET", "l", "0"],
    ],
    "linsert": [
        ["RPUSH", "l", "a", "b", "c", "b"],
        ["LINSERT", "l", "BEFORE", "b", "x"],
        ["LINSERT", "l", "after", "b", "y"],
        ["LINSERT", "l", "After", "c", "z"],
        ["LINSERT", "l", "before", "a", "0"],
        ["LINSERT", "l", "BEFORE", "nope", "q"],
        ["LRANGE", "l", "0", "-1"],
        ["LINSERT", "l", "MIDDLE", "a", "q"],
        ["LINSERT", "l", b"before\x00junk", "a", "w"],
        ["LINSERT", "missing", "BEFORE", "a", "q"],
        ["LINSERT", "missing", "MIDDLE", "a", "q"],
        ["EXISTS", "missing"],
        ["SET", "s", "v"],
        ["LINSERT", "s", "BEFORE", "a", "q"],
        ["LINSERT", "s", "MIDDLE", "a", "q"],
        ["LINSERT", "l", "BEFORE", "a"],
        ["LRANGE", "l", "0", "-1"],
    ],
    "lrem": [
        ["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"],
        ["LREM", "l", "2", "a"],
        ["LRANGE", "l", "0", "-1"],
        ["LREM", "l", "-1", "a"],
        ["LRANGE", "l", "0", "-1"],
        ["LREM", "l", "0", "b"],
        ["LRANGE", "l", "0", "-1"],
        ["LREM", "l", "0", "nope"],
        ["LREM", "l", "0", "a"],
        ["LREM", "l", "0", "c"],
        ["EXISTS", "l"],
        ["LREM", "missing", "0", "a"],
        ["LREM", "missing", "x", "a"],
        ["SET", "s", "v"],
        ["LREM", "s", "0", "a"],
        ["LREM", "s", "x", "a"],
        ["RPUSH", "m", "a", "a", "a"],
        ["LREM", "m", BIG, "a"],
        ["RPUSH", "m", "a", "a", "a"],
        ["LREM", "m", SMALL, "a"],
        ["LREM", "m", "1"],
    ],
    "lrem-many-from-tail": [
        ["RPUSH", "l"] + ["x", "y"] * 40,
        ["LREM", "l", "-30", "x"],
        ["LRANGE", "l", "0", "-1"],
        ["LREM", "l", "25", "y"],
        ["LRANGE", "l", "0", "-1"],
    ],
    "ltrim": [
        ["RPUSH", "l", "a", "b", "c", "d", "e", "f"],
        ["LTRIM", "l", "1", "-2"],
        ["LRANGE", "l", "0", "-1"],
        ["LTRIM", "l", "0", "100"],
        ["LRANGE", "l", "0", "-1"],
        ["LTRIM", "l", "-2", "-1"],
        ["LRANGE", "l", "0", "-1"],
        ["LTRIM", "l", "1", "0"],
        ["EXISTS", "l"],
        ["RPUSH", "l", "a", "b", "c"],
        ["LTRIM", "l", "5", "10"],
        ["EXISTS", "l"],
        ["RPUSH", "l", "a", "b", "c"],
        ["LTRIM", "l", SMALL, BIG],
        ["LRANGE", "l", "0", "-1"],
        ["LTRIM", "l", "-100", "-50"],
        ["EXISTS", "l"],
        ["LTRIM", "missing", "0", "1"],
        ["LTRIM", "missing", "x", "1"],
        ["RPUSH", "l", "a"],
        ["LTRIM", "l", "0", "x"],
        ["SET", "s", "v"],
        ["LTRIM", "s", "0", "1"],
        ["LTRIM", "s", "x", "1"],
        ["LTRIM", "l", "0"],
    ],
    "ltrim-big-keep-few": [
        ["RPUSH", "l"] + [str(i) for i in range(200)],
        ["LTRIM", "l", "100", "102"],
        ["LRANGE", "l", "0", "-1"],
        ["RPUSH", "m"] + [str(i) for i in range(200)],
        ["LTRIM", "m", "1", "-2"],
        ["LLEN", "m"],
        ["LRANGE", "m", "0", "2"],
        ["LRANGE", "m", "-2", "-1"],
    ],
    # -- LPOS --------------------------------------------------------------------------
    "lpos": [
        ["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
        ["LPOS", "l", "c"],
        ["LPOS", "l", "x"],
        ["LPOS", "l", "c", "RANK", "2"],
        ["LPOS", "l", "c", "RANK", "4"],
        ["LPOS", "l", "c", "RANK", "-1"],
        ["LPOS", "l", "c", "RANK", "-3"],
        ["LPOS", "l", "c", "RANK", "-4"],
        ["LPOS", "l", "c", "COUNT", "0"],
        ["LPOS", "l", "c", "COUNT", "2"],
        ["LPOS", "l", "x", "COUNT", "2"],
        ["LPOS", "l", "c", "COUNT", "0", "RANK", "-1"],
        ["LPOS", "l", "c", "COUNT", "2", "RANK", "-2"],
        ["LPOS", "l", "c", "COUNT", "0", "RANK", "2"],
        ["LPOS", "l", "c", "MAXLEN", "3"],
        ["LPOS", "l", "c", "MAXLEN", "2"],
        ["LPOS", "l", "c", "MAXLEN", "7", "COUNT", "0"],
        ["LPOS", "l", "c", "MAXLEN", "2", "RANK", "-1", "COUNT", "0"],
        ["LPOS", "l", "c", "MAXLEN", "0", "COUNT", "0"],
        ["LPOS", "l", "c", "rank", "1", "rank", "-1"],
        ["LPOS", "l", "c", "RANK", BIG],
        ["LPOS", "l", "c", "RANK", "-" + BIG],
        ["LPOS", "l", "c", "RANK", SMALL],
        ["LPOS", "l", "c", "RANK", SMALL, "COUNT", "1"],
        ["LPOS", "l", "c", "RANK", SMALL, "COUNT", "0"],
        ["LPOS", "l", "c", "COUNT", BIG],
        ["LPOS", "l", "c", "MAXLEN", BIG],
        ["LPOS", "missing", "c"],
        ["LPOS", "missing", "c", "COUNT", "0"],
        ["LPOS", "missing", "c", "RANK", "0"],
    ],
    "lpos-errors": [
        ["RPUSH", "l", "a"],
        ["LPOS", "l", "a", "RANK", "0"],
        ["LPOS", "l", "a", "RANK", "x"],
        ["LPOS", "l", "a", "COUNT", "-1"],
        ["LPOS", "l", "a", "COUNT", "x"],
        ["LPOS", "l", "a", "MAXLEN", "-1"],
        ["LPOS", "l", "a", "MAXLEN", "x"],
        ["LPOS", "l", "a", "RANK"],
        ["LPOS", "l", "a", "COUNT"],
        ["LPOS", "l", "a", "FOO", "1"],
        ["LPOS", "l", "a", "RANK", "1", "FOO"],
        ["LPOS", "l", "a", "RANK", "0", "COUNT", "-1"],
        ["LPOS", "l", "a", "COUNT", "-1", "RANK", "0"],
        ["LPOS", "l", "a", b"rank\x00x", "1"],
        ["LPOS", "l"],
        ["SET", "s", "v"],
        ["LPOS", "s", "a"],
        ["LPOS", "s", "a", "RANK", "0"],
    ],
    # -- LMOVE RPOPLPUSH -----------------------------------------------------------------
    "lmove": [
        ["RPUSH", "src", "a", "b", "c"],
        ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        ["LMOVE", "src", "dst", "RIGHT", "LEFT"],
        ["LMOVE", "src", "dst", "left", "left"],
        ["LRANGE", "dst", "0", "-1"],
        ["EXISTS", "src"],
        ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        ["LMOVE", "dst", "dst", "LEFT", "RIGHT"],
        ["LRANGE", "dst", "0", "-1"],
        ["LMOVE", "dst", "dst", "RIGHT", "RIGHT"],
        ["RPUSH", "one", "x"],
        ["LMOVE", "one", "one", "LEFT", "RIGHT"],
        ["LRANGE", "one", "0", "-1"],
        ["LMOVE", "src", "dst", "UP", "RIGHT"],
        ["LMOVE", "src", "dst", "LEFT", "DOWN"],
        ["LMOVE", "src", "dst", b"left\x00x", "right"],
        ["LMOVE", "src", "dst", "LEFT"],
    ],
    "lmove-wrongtype": [
        ["SET", "s", "v"],
        ["RPUSH", "l", "a"],
        ["LMOVE", "s", "l", "LEFT", "LEFT"],
        ["LMOVE", "l", "s", "LEFT", "LEFT"],
        ["LMOVE", "missing", "s", "LEFT", "LEFT"],
        ["LMOVE", "s", "l", "UP", "LEFT"],
        ["LRANGE", "l", "0", "-1"],
        ["RPOPLPUSH", "l", "s"],
        ["RPOPLPUSH", "s", "l"],
        ["RPOPLPUSH", "missing", "s"],
    ],
    "rpoplpush": [
        ["RPUSH", "src", "a", "b", "c"],
        ["RPOPLPUSH", "src", "dst"],
        ["RPOPLPUSH", "src", "src"],
        ["LRANGE", "src", "0", "-1"],
        ["LRANGE", "dst", "0", "-1"],
        ["RPOPLPUSH", "missing", "dst"],
        ["RPOPLPUSH", "src"],
    ],
    # -- LMPOP ---------------------------------------------------------------------------
    "lmpop": [
        ["RPUSH", "b", "1", "2", "3", "4"],
        ["LMPOP", "2", "a", "b", "LEFT"],
        ["LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"],
        ["LMPOP", "1", "b", "left", "count", "10"],
        ["EXISTS", "b"],
        ["LMPOP", "2", "a", "b", "LEFT"],
        ["RPUSH", "a", "x"],
        ["RPUSH", "b", "y"],
        ["LMPOP", "2", "b", "a", "LEFT", "COUNT", BIG],
        ["LMPOP", "3", "a", "a", "a", "LEFT"],
    ],
    "lmpop-errors": [
        ["LMPOP", "0", "a", "LEFT"],
        ["LMPOP", "-1", "a", "LEFT"],
        ["LMPOP", "x", "a", "LEFT"],
        ["LMPOP", "2", "a", "LEFT"],
        ["LMPOP", "3", "a", "LEFT"],
        ["LMPOP", BIG, "a", "LEFT"],
        ["LMPOP", "9223372036854775808", "a", "LEFT"],
        ["LMPOP", "1", "a", "MIDDLE"],
        ["LMPOP", "1", "a", "LEFT", "COUNT"],
        ["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
        ["LMPOP", "1", "a", "LEFT", "COUNT", "-1"],
        ["LMPOP", "1", "a", "LEFT", "COUNT", "x"],
        ["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "2"],
        ["LMPOP", "1", "a", "LEFT", "FOO"],
        ["LMPOP", "1", "a", "MIDDLE", "COUNT", "0"],
        ["LMPOP", "1", "a", "LEFT", "COUNT", "0", "FOO"],
        ["LMPOP", "1", "a"],
        ["SET", "s", "v"],
        ["RPUSH", "l", "x"],
        ["LMPOP", "2", "s", "l", "LEFT"],
        ["LMPOP", "2", "l", "s", "LEFT"],
        ["LMPOP", "2", "missing", "s", "LEFT"],
    ],
    # -- blocking commands that do not block ----------------------------------------------
    "blocking-served-at-once": [
        ["RPUSH", "l", "a", "b", "c"],
        ["BLPOP", "missing", "l", "0"],
        ["BRPOP", "l", "missing", "0.5"],
        ["BLMOVE", "l", "d", "LEFT", "LEFT", "0"],
        ["BRPOPLPUSH", "d", "l", "0"],
        ["BLMPOP", "0", "2", "missing", "l", "RIGHT", "COUNT", "5"],
        ["EXISTS", "l"],
        ["LRANGE", "d", "0", "-1"],
    ],
    "blocking-errors": [
        ["BLPOP", "l", "-1"],
        ["BLPOP", "l", "x"],
        ["BLPOP", "l", "1e16"],
        ["BLPOP", "l", "inf"],
        ["BLPOP", "l", "nan"],
        ["BLPOP", "l", ""],
        ["BLPOP", "l"],
        ["BRPOP", "l", "-0.5"],
        ["BLMOVE", "a", "b", "UP", "LEFT", "x"],
        ["BLMOVE", "a", "b", "LEFT", "UP", "x"],
        ["BLMOVE", "a", "b", "LEFT", "LEFT", "x"],
        ["BLMOVE", "a", "b", "LEFT", "LEFT", "-1"],
        ["BLMOVE", "a", "b", "LEFT", "LEFT"],
        ["BRPOPLPUSH", "a", "b", "x"],
        ["BRPOPLPUSH", "a", "b", "-1"],
        ["BRPOPLPUSH", "a", "b"],
        ["BLMPOP", "x", "1", "a", "LEFT"],
        ["BLMPOP", "x", "1", "a", "MIDDLE"],
        ["BLMPOP", "x", "0", "a", "LEFT"],
        ["BLMPOP", "-1", "1", "a", "LEFT"],
        ["BLMPOP", "-1", "1", "a", "LEFT", "COUNT", "0"],
        ["BLMPOP", "0", "0", "a", "LEFT"],
        ["BLMPOP", "0", "2", "a", "LEFT"],
        ["BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"],
        ["BLMPOP", "0", "1", "a", "LEFT", "FOO"],
        ["BLMPOP", "0", "1", "a"],
        ["SET", "s", "v"],
        ["BLPOP", "missing", "s", "0"],
        ["BLPOP", "s", "-1"],
        ["BRPOP", "s", "x"],
        ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
        ["BRPOPLPUSH", "s", "d", "0"],
        ["BLMPOP", "0", "2", "missing", "s", "LEFT"],
        ["RPUSH", "l", "a"],
        ["BLMOVE", "l", "s", "LEFT", "LEFT", "0"],
        ["BRPOPLPUSH", "l", "s", "0"],
        ["LRANGE", "l", "0", "-1"],
    ],
    "blocking-short-timeouts": [
        ["BLPOP", "l", "0.01"],
        ["BRPOP", "l", "m", "0.001"],
        ["BLMOVE", "l", "m", "LEFT", "RIGHT", "0.01"],
        ["BRPOPLPUSH", "l", "m", "0.01"],
        ["BLMPOP", "0.01", "1", "l", "LEFT"],
        ["BLPOP", "l", "0.0001"],
        ["BLPOP", "l", "1e-400"],
        ["EXISTS", "m"],
    ],
    # -- the keyspace around lists ------------------------------------------------------
    "keys-interplay": [
        ["RPUSH", "l", "a", "b"],
        ["TYPE", "l"],
        ["OBJECT", "ENCODING", "l"],
        ["RENAME", "l", "l2"],
        ["LRANGE", "l2", "0", "-1"],
        ["COPY", "l2", "l3"],
        ["RPUSH", "l3", "c"],
        ["LRANGE", "l2", "0", "-1"],
        ["LRANGE", "l3", "0", "-1"],
        ["MOVE", "l3", "1"],
        ["SELECT", "1"],
        ["LRANGE", "l3", "0", "-1"],
        ["SELECT", "0"],
        ["EXPIRE", "l2", "100"],
        ["TTL", "l2"],
        ["LPUSH", "l2", "z"],
        ["TTL", "l2"],
        ["RPOP", "l2", "3"],
        ["EXISTS", "l2"],
        ["SCAN", "0", "TYPE", "list"],
        ["RPUSH", "l4", "x"],
        ["SET", "str", "v"],
        ["SCAN", "0", "TYPE", "list"],
        ["DEL", "l4"],
        ["SET", "l5", "x"],
        ["RPUSH", "l6", "x"],
        ["RENAME", "l6", "l5"],
        ["TYPE", "l5"],
        ["GET", "l5"],
    ],
    "encoding-always-quicklist": [
        ["RPUSH", "small", "a"],
        ["OBJECT", "ENCODING", "small"],
        ["RPUSH", "big"] + ["x" * 100] * 200,
        ["OBJECT", "ENCODING", "big"],
        ["LTRIM", "big", "0", "0"],
        ["OBJECT", "ENCODING", "big"],
        ["CONFIG", "SET", "list-max-listpack-size", "2"],
        ["RPUSH", "c", "1", "2", "3"],
        ["OBJECT", "ENCODING", "c"],
        ["CONFIG", "SET", "list-max-listpack-size", "-2"],
    ],
    "expire-in-the-past": [
        ["RPUSH", "l", "a"],
        ["PEXPIREAT", "l", "1"],
        ["LLEN", "l"],
        ["RPUSHX", "l", "b"],
        ["LPOP", "l"],
        ["RPUSH", "l", "c"],
        ["TTL", "l"],
    ],
}

# Scripts where RESP3 is worth a separate run (nulls: LPOP/LINDEX/LPOS/LMPOP/LMOVE...).
RESP3 = [
    "pop-single", "pop-count", "pop-errors", "lindex", "lpos", "lmove", "lmove-wrongtype",
    "rpoplpush", "lmpop", "lmpop-errors", "blocking-served-at-once", "blocking-short-timeouts",
    "lrange-indexes", "linsert",
]


def _kvfake_lacks(kvfake_server, names) -> list:
    missing = []
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        for name in names:
            if conn.call(name).startswith(b"-ERR unknown command"):
                missing.append(name)
    return missing


@pytest.mark.parametrize("name", SCRIPTS)
def test_lists(pair, kvfake_server, name):
    pair.check(SCRIPTS[name], name=name)


@pytest.mark.parametrize("name", RESP3)
def test_lists_resp3(pair, name):
    pair.check(SCRIPTS[name], resp=3, name=name)


# =============================================================================== several clients
#
# A blocking script is a list of steps (client, argv): "A", "B", "C"... name connections opened
# (in that order) to each server, or ("sleep", seconds).  A step is sent to both servers; the
# replies every client gets are collected from redis first (waiting for the acting client's
# answer unless its command may block, then until redis stays quiet for QUIET seconds), then
# from kvfake, which must deliver the same number of replies to each client (it may take up
# to PATIENCE seconds: a loaded test machine) and nothing more within QUIET.  So a wake-up that
# comes early, late or to the wrong client is a mismatch.  ``HELLO 3`` as a step switches a
# client to RESP3 (HELLO's client id is normalised).
#
# Redis answers a timeout up to a cron period (100 ms at hz 10) after it is due, and the two
# servers are read one after the other: a step that times out uses 0.3 s, well past both
# collection windows, and the script then sleeps 0.5 s.

QUIET = 0.025
PATIENCE = 3.0
MAY_BLOCK = {b"BLPOP", b"BRPOP", b"BLMOVE", b"BRPOPLPUSH", b"BLMPOP", b"BZPOPMIN", b"BZPOPMAX", b"BZMPOP"}

_HELLO_ID = re.compile(rb"\$2\r\nid\r\n:[0-9]+\r\n")


class Clients:
    """Named connections to one server, read without blocking; counts unanswered commands."""

    def __init__(self, server, names) -> None:
        self.conns = {n: RawConnection(server.host, server.port, timeout=5) for n in names}
        self.pending = {n: 0 for n in names}

    def send(self, name: str, argv) -> None:
        """Send one command, or (a tuple of argv lists) several in one write: a pipeline."""
        batch = argv if isinstance(argv, tuple) else (argv,)
        self.conns[name].send(b"".join(command(*a) for a in batch))
        self.pending[name] += len(batch)

    def expects_reply(self, name: str, argv) -> int:
        """How many replies the command(s) just sent must get now: all of them when nothing
        was queued before them and none may block, else 0."""
        batch = argv if isinstance(argv, tuple) else (argv,)
        words = [(a[0].encode() if isinstance(a[0], str) else a[0]).upper() for a in batch]
        if self.pending[name] == len(batch) and not MAY_BLOCK.intersection(words):
            return len(batch)
        return 0

    def collect(self, want: "dict | None" = None) -> dict:
        """Replies per client: wait (up to PATIENCE) until client n has want[n] of them, then
        until nothing arrives for QUIET seconds."""
        want = want or {}
        got = {n: [] for n in self.conns}
        start = time.monotonic()
        quiet_until = start + QUIET
        while True:
            now = time.monotonic()
            short = any(len(got[n]) < k for n, k in want.items())
            if now >= quiet_until and (not short or now - start >= PATIENCE):
                break
            for n, conn in self.conns.items():
                while not conn.eof and conn.readable(0):
                    try:
                        raw = conn.reply(timeout=1)
                    except ConnectionError:
                        got[n].append(b"<closed>")
                        break
                    got[n].append(_HELLO_ID.sub(b"$2\r\nid\r\n:<id>\r\n", raw))
                    self.pending[n] = max(0, self.pending[n] - 1)
                    quiet_until = time.monotonic() + QUIET
            time.sleep(0.002)
        return {n: r for n, r in got.items() if r}

    def call(self, name: str, argv) -> dict:
        """Send one command and collect, waiting for its reply when one is due."""
        self.send(name, argv)
        return self.collect({name: 1} if self.expects_reply(name, argv) else None)

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def run_blocking(pair_servers, script) -> None:
    names = sorted({step[0] for step in script if step[0] != "sleep"})
    redis_side, kvfake_side = sides = [Clients(server, names) for server in pair_servers]
    try:
        for side in sides:
            assert side.call(names[0], ["FLUSHALL"]) == {names[0]: [b"+OK\r\n"]}
        for i, (who, arg) in enumerate(script):
            if who == "sleep":
                time.sleep(arg)
                seen = [redis_side.collect()]
            else:
                for side in sides:
                    side.send(who, arg)
                seen = [redis_side.collect({who: redis_side.expects_reply(who, arg)})]
            seen.append(kvfake_side.collect({n: len(r) for n, r in seen[0].items()}))
            assert seen[0] == seen[1], (
                f"step {i} {who} {arg}: redis {seen[0]!r} != kvfake {seen[1]!r}")
    finally:
        for side in sides:
            side.close()


BLOCKING = {
    "blpop-woken-by-push": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["RPUSH", "q", "x"]),
        ("A", ["LLEN", "q"]),
    ],
    "fifo-two-waiters-one-push": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["BRPOP", "q", "0"]),
        ("C", ["RPUSH", "q", "x"]),
        ("C", ["RPUSH", "q", "y", "z"]),
        ("C", ["LRANGE", "q", "0", "-1"]),
    ],
    "fifo-three-waiters-multi-push": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["BLPOP", "q", "0"]),
        ("C", ["BLPOP", "q", "0"]),
        ("D", ["RPUSH", "q", "1", "2", "3", "4"]),
        ("D", ["LRANGE", "q", "0", "-1"]),
    ],
    "served-from-the-ready-key": [
        ("A", ["BLPOP", "a", "b", "0"]),
        ("B", ["RPUSH", "b", "x"]),
        ("B", ["RPUSH", "a", "y"]),
        ("B", ["LRANGE", "a", "0", "-1"]),
    ],
    "blmove-chain": [
        ("A", ["BLMOVE", "q", "r", "LEFT", "RIGHT", "0"]),
        ("B", ["BRPOPLPUSH", "r", "s", "0"]),
        ("C", ["LPUSH", "q", "x"]),
        ("C", ["LRANGE", "s", "0", "-1"]),
        ("C", ["EXISTS", "q", "r"]),
    ],
    "blmove-destination-wrongtype": [
        ("C", ["SET", "d", "str"]),
        ("A", ["BLMOVE", "q", "d", "LEFT", "RIGHT", "0"]),
        ("B", ["BLPOP", "q", "0"]),
        ("C", ["RPUSH", "q", "x"]),
        ("C", ["EXISTS", "q"]),
    ],
    "blmove-same-key-rotates": [
        ("A", ["BLMOVE", "q", "q", "LEFT", "RIGHT", "0"]),
        ("B", ["RPUSH", "q", "x"]),
        ("B", ["LRANGE", "q", "0", "-1"]),
    ],
    "blmpop-woken-with-count": [
        ("A", ["BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"]),
        ("B", ["RPUSH", "b", "1", "2", "3"]),
        ("B", ["LRANGE", "b", "0", "-1"]),
    ],
    "lmove-wakes-waiter": [
        ("B", ["RPUSH", "src", "x"]),
        ("A", ["BLPOP", "dst", "0"]),
        ("B", ["LMOVE", "src", "dst", "LEFT", "LEFT"]),
        ("B", ["EXISTS", "dst", "src"]),
    ],
    "timeout-then-push": [
        ("A", ["BLPOP", "q", "0.3"]),
        ("sleep", 0.5),
        ("B", ["RPUSH", "q", "x"]),
        ("B", ["LLEN", "q"]),
    ],
    "other-type-leaves-waiter-blocked": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["SET", "q", "str"]),
        ("B", ["DEL", "q"]),
        ("B", ["HSET", "q", "f", "v"]),
        ("B", ["DEL", "q"]),
        ("B", ["RPUSH", "q", "x"]),
    ],
    "multi-push-serves-in-signal-order": [
        ("A", ["BLPOP", "a", "b", "0"]),
        ("B", ["MULTI"]),
        ("B", ["RPUSH", "b", "x"]),
        ("B", ["RPUSH", "a", "y"]),
        ("B", ["EXEC"]),
        ("B", ["LRANGE", "a", "0", "-1"]),
    ],
    "multi-push-then-pop-leaves-waiter": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["MULTI"]),
        ("B", ["RPUSH", "q", "x"]),
        ("B", ["LPOP", "q"]),
        ("B", ["EXEC"]),
        ("B", ["RPUSH", "q", "y"]),
    ],
    "blocking-inside-multi-does-not-block": [
        ("A", ["MULTI"]),
        ("A", ["BLPOP", "q", "0"]),
        ("A", ["BLMOVE", "q", "r", "LEFT", "LEFT", "0"]),
        ("A", ["BRPOPLPUSH", "q", "r", "0"]),
        ("A", ["BLMPOP", "0", "1", "q", "LEFT"]),
        ("A", ["BRPOP", "q", "0"]),
        ("A", ["EXEC"]),
    ],
    # a pipeline of fast commands in one packet: the waiter is served right after the push,
    # before the pop that follows it (handleClientsBlockedOnKeys after every command)
    "pipelined-push-then-pop": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", (["LPUSH", "q", "a", "b"], ["LPOP", "q"], ["LLEN", "q"], ["LPUSH", "q", "c"], ["LPOP", "q"])),
        ("C", ["BLPOP", "q", "z", "0"]),
        ("B", (["RPUSH", "z", "1"], ["RPUSH", "q", "2"], ["LRANGE", "z", "0", "-1"], ["LRANGE", "q", "0", "-1"])),
    ],
    "pipelined-after-blocking-waits": [
        ("A", ["BLPOP", "q", "0"]),
        ("A", ["PING"]),
        ("A", ["LLEN", "q"]),
        ("B", ["RPUSH", "q", "x", "y"]),
        ("B", ["LLEN", "q"]),
    ],
    "resp3-timeout-and-wake": [
        ("A", ["HELLO", "3"]),
        ("A", ["BLPOP", "q", "0.3"]),
        ("sleep", 0.5),
        ("A", ["BLMOVE", "q", "r", "LEFT", "LEFT", "0.3"]),
        ("sleep", 0.5),
        ("A", ["BLMPOP", "0", "1", "q", "LEFT"]),
        ("B", ["RPUSH", "q", "x"]),
    ],
    "same-key-twice": [
        ("A", ["BLPOP", "q", "q", "0"]),
        ("B", ["RPUSH", "q", "x", "y"]),
        ("B", ["LRANGE", "q", "0", "-1"]),
    ],
    "other-db-does-not-wake": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["SELECT", "1"]),
        ("B", ["RPUSH", "q", "x"]),
        ("B", ["SELECT", "0"]),
        ("B", ["RPUSH", "q", "y"]),
    ],
    "rename-and-move-wake": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["RPUSH", "tmp", "x"]),
        ("B", ["RENAME", "tmp", "q"]),
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["SELECT", "1"]),
        ("B", ["RPUSH", "q", "y"]),
        ("B", ["MOVE", "q", "0"]),
    ],
    "swapdb-wakes": [
        ("A", ["BLPOP", "q", "0"]),
        ("B", ["SELECT", "1"]),
        ("B", ["RPUSH", "q", "x"]),
        ("B", ["SWAPDB", "0", "1"]),
        ("B", ["SWAPDB", "0", "1"]),
        ("B", ["SELECT", "0"]),
        ("B", ["LLEN", "q"]),
    ],
    "client-list-flags-and-info": [
        ("A", ["CLIENT", "SETNAME", "waiter"]),
        ("A", ["BLPOP", "q", "5"]),
        ("B", ["CLIENT", "LIST"]),
        ("B", ["RPUSH", "q", "x"]),
    ],
}

# CLIENT LIST lines differ in ids, ports, fds, memory figures (and list other tests' clients):
# that step compares the blocked client's name, flags and cmd fields only.
_NEEDS = {"other-type-leaves-waiter-blocked": ["HSET"], "multi-push-serves-in-signal-order": ["MULTI"],
          "multi-push-then-pop-leaves-waiter": ["MULTI"], "blocking-inside-multi-does-not-block": ["MULTI"]}


def _client_list_fields(raw: bytes) -> bytes:
    lines = raw.split(b"\r\n", 1)[-1].split(b"\n")
    keep = []
    for line in lines:
        fields = dict(f.split(b"=", 1) for f in line.split() if b"=" in f)
        if fields.get(b"name") == b"waiter":
            keep.append(b"name=%s flags=%s cmd=%s" % (fields[b"name"], fields[b"flags"], fields[b"cmd"]))
    return b"\n".join(keep) if keep else raw  # no such line: show the whole reply


@pytest.mark.parametrize("name", BLOCKING)
def test_blocking(redis_server, kvfake_server, name):
    missing = _kvfake_lacks(kvfake_server, _NEEDS.get(name, []))
    if missing:
        pytest.skip(f"kvfake has no {', '.join(missing)} yet")
    script = BLOCKING[name]
    if name == "client-list-flags-and-info":
        _check_client_list(redis_server, kvfake_server, script)
        return
    run_blocking([redis_server, kvfake_server], script)


def _check_client_list(redis_server, kvfake_server, script) -> None:
    results = []
    for server in (redis_server, kvfake_server):
        clients = Clients(server, ["A", "B"])
        try:
            clients.call("A", ["FLUSHALL"])
            seen = []
            for who, argv in script:
                clients.send(who, argv)
                want = {"A": 1, "B": 1} if argv[0] == "RPUSH" else (
                    {who: 1} if clients.expects_reply(who, argv) else None)
                got = clients.collect(want)
                if argv[:2] == ["CLIENT", "LIST"]:
                    got = {who: [_client_list_fields(got[who][0])]}
                seen.append(got)
            results.append(seen)
        finally:
            clients.close()
    assert results[0] == results[1]


def test_blocked_clients_in_info(redis_server, kvfake_server):
    """INFO's blocked_clients and clients_in_timeout_table while two clients wait."""
    def counts(server):
        clients = Clients(server, ["A", "B", "C"])
        try:
            clients.send("A", ["BLPOP", "info-q", "0"])
            clients.send("B", ["BLPOP", "info-q", "100"])
            clients.collect()
            raw = clients.call("C", ["INFO", "clients"])["C"][0]
            wanted = [line for line in raw.split(b"\r\n")
                      if line.startswith((b"blocked_clients:", b"clients_in_timeout_table:"))]
            clients.call("C", ["DEL", "info-q"])
            return wanted
        finally:
            clients.close()

    assert counts(redis_server) == counts(kvfake_server) == [
        b"blocked_clients:2", b"clients_in_timeout_table:1"]


def test_client_unblock(redis_server, kvfake_server):
    """CLIENT UNBLOCK with TIMEOUT / ERROR and its error paths (client ids normalised)."""
    def transcript(server):
        clients = Clients(server, ["A", "B", "C"])
        try:
            out = []
            a_id = clients.call("A", ["CLIENT", "ID"])["A"][0][1:-2].decode()
            b_id = clients.call("B", ["CLIENT", "ID"])["B"][0][1:-2].decode()
            clients.send("A", ["BLPOP", "u", "0"])
            clients.send("B", ["BLMOVE", "u", "v", "LEFT", "LEFT", "0"])
            out.append(clients.collect())
            for argv, woken in ((["CLIENT", "UNBLOCK", a_id, "foo"], None),
                                (["CLIENT", "UNBLOCK", a_id, "timeout", "x"], None),
                                (["CLIENT", "UNBLOCK", "abc"], None),
                                (["CLIENT", "UNBLOCK", "abc", "foo"], None),
                                (["CLIENT", "UNBLOCK", "999999"], None),
                                (["CLIENT", "UNBLOCK"], None),
                                (["CLIENT", "UNBLOCK", a_id, "TimeOut"], "A"),
                                (["CLIENT", "UNBLOCK", b_id, "ERROR"], "B"),
                                (["CLIENT", "UNBLOCK", b_id], None)):
                clients.send("C", argv)
                out.append(clients.collect({"C": 1, **({woken: 1} if woken else {})}))
            return out
        finally:
            clients.close()

    assert transcript(redis_server) == transcript(kvfake_server)
