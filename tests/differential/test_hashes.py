"""Differential scripts for the hash group: kvfake vs redis-server 7.0.15, raw bytes, RESP2 and RESP3.

Every command of kvfake/commands/hashes.py, its options and its error paths, OBJECT ENCODING
transitions (listpack -> hashtable, by entries and by length, with CONFIG-changed limits) and the
keyspace commands on hashes (TYPE, SCAN TYPE, RENAME, COPY, MOVE, expiry).

Order: a listpack hash lists its fields in insertion order in both servers, so ``SCRIPTS`` (small
hashes only) compare byte for byte with no normaliser.  ``HASHTABLE_SCRIPTS`` use hashes past the
listpack limits, whose order is each server's own: HGETALL/HKEYS/HVALS and one-reply HSCANs are
compared after sorting.  Full HSCAN iterations over big hashes are compared as sets of pairs.

Random replies (HRANDFIELD): ``RANDOM_SCRIPTS`` give the hashes as data; ``_random_normaliser``
checks on each side that every field belongs to the hash with its own value and that a positive
count gives distinct fields; it then replaces fields and values by placeholders, so the shape, the
counts and the nesting (RESP3 pairs) are compared byte for byte.  (Redis 7.0 replies a random
subset in random order, listpack or not; the listpack order of 7.2's HRANDFIELD is not 7.0's.)  A reply failing a check is
left as it is, which then differs from redis's.
"""

from __future__ import annotations

import time

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import RespError, bulk, decode, elements

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
HALF = "4611686018427387903"  # LONG_MAX / 2: the largest |count| with WITHVALUES
LONG = "x" * 65  # one byte past hash-max-listpack-value

RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])


def _pairs(n: int, prefix: str = "f") -> list:
    out = []
    for i in range(n):
        out += [f"{prefix}{i}", f"v{i}"]
    return out


SCRIPTS = {
    # -- HSET HMSET HSETNX HGET HMGET --------------------------------------------------------
    "hset-hget": [
        ["HSET", "h", "f", "v"],
        ["HSET", "h", "f", "v2", "g", "w"],
        ["HSET", "h", "a", "1", "b", "2", "a", "3"],  # a repeated field counts once, last wins
        ["HGET", "h", "f"],
        ["HGET", "h", "a"],
        ["HGET", "h", "missing"],
        ["HGET", "missing", "f"],
        ["HSET", "h", "", ""],
        ["HGET", "h", ""],
        ["HSET", "h", b"bin\x00\xff\r\n", b"\x00\r\n\xfe"],
        ["HGET", "h", b"bin\x00\xff\r\n"],
        ["HGETALL", "h"],
        ["hset", "h", "lower", "case"],
        ["HLEN", "h"],
    ],
    "hset-arity": [
        ["HSET"],
        ["HSET", "h"],
        ["HSET", "h", "f"],
        ["HSET", "h", "f", "v", "g"],
        ["HMSET", "h", "f"],
        ["HMSET", "h", "f", "v", "g"],
        ["HSETNX", "h", "f"],
        ["HSETNX", "h", "f", "v", "x"],
        ["HGET", "h"],
        ["HGET", "h", "f", "g"],
        ["HMGET", "h"],
        ["EXISTS", "h"],
    ],
    "hmset": [
        ["HMSET", "h", "a", "1"],
        ["HMSET", "h", "a", "2", "b", "3"],
        ["HGETALL", "h"],
        ["hmset", "h", "c", "4"],
        ["HLEN", "h"],
    ],
    "hsetnx": [
        ["HSETNX", "h", "f", "v"],
        ["HSETNX", "h", "f", "other"],
        ["HGET", "h", "f"],
        ["HSETNX", "h", "g", "w"],
        ["HGETALL", "h"],
        ["HSETNX", "new", "", ""],
        ["HGETALL", "new"],
    ],
    "hmget": [
        ["HSET", "h", "a", "1", "b", "2"],
        ["HMGET", "h", "a"],
        ["HMGET", "h", "b", "missing", "a", "a"],
        ["HMGET", "missing", "a", "b"],
        ["HMGET", "missing", "a"],
    ],
    # -- HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN ---------------------------------------
    "whole-hash-reads": [
        ["HGETALL", "missing"],
        ["HKEYS", "missing"],
        ["HVALS", "missing"],
        ["HLEN", "missing"],
        ["HSET", "h", "z", "26", "a", "1", "m", "13"],
        ["HSET", "h", "a", "one"],  # an update keeps the field's place
        ["HGETALL", "h"],
        ["HKEYS", "h"],
        ["HVALS", "h"],
        ["HLEN", "h"],
        ["HDEL", "h", "z"],
        ["HSET", "h", "z", "again"],  # a re-added field goes last
        ["HGETALL", "h"],
        ["HGETALL"],
        ["HGETALL", "h", "x"],
        ["HKEYS"],
        ["HVALS", "h", "x"],
        ["HLEN"],
    ],
    "hexists-hstrlen": [
        ["HSET", "h", "f", "hello", "n", "12345", "neg", "-17", "e", ""],
        ["HEXISTS", "h", "f"],
        ["HEXISTS", "h", "missing"],
        ["HEXISTS", "missing", "f"],
        ["HSTRLEN", "h", "f"],
        ["HSTRLEN", "h", "n"],
        ["HSTRLEN", "h", "neg"],
        ["HSTRLEN", "h", "e"],
        ["HSTRLEN", "h", "missing"],
        ["HSTRLEN", "missing", "f"],
        ["HEXISTS", "h"],
        ["HSTRLEN", "h", "f", "g"],
    ],
    # -- HDEL -------------------------------------------------------------------------------
    "hdel": [
        ["HDEL", "missing", "f"],
        ["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
        ["HDEL", "h", "a"],
        ["HDEL", "h", "a"],
        ["HDEL", "h", "b", "missing", "b", "c"],
        ["HGETALL", "h"],
        ["HDEL", "h", "d", "d"],
        ["EXISTS", "h"],
        ["TYPE", "h"],
        ["HLEN", "h"],
        ["HSET", "h", "x", "1"],
        ["HDEL", "h", "x", "y", "z"],
        ["EXISTS", "h"],
        ["HDEL", "h"],
        ["HDEL"],
    ],
    # -- WRONGTYPE ---------------------------------------------------------------------------
    "wrongtype": [
        ["SET", "s", "v"],
        ["HSET", "s", "f", "v"],
        ["HMSET", "s", "f", "v"],
        ["HSETNX", "s", "f", "v"],
        ["HGET", "s", "f"],
        ["HMGET", "s", "f"],
        ["HGETALL", "s"],
        ["HKEYS", "s"],
        ["HVALS", "s"],
        ["HLEN", "s"],
        ["HEXISTS", "s", "f"],
        ["HSTRLEN", "s", "f"],
        ["HDEL", "s", "f"],
        ["HINCRBY", "s", "f", "1"],
        ["HINCRBYFLOAT", "s", "f", "1"],
        ["HRANDFIELD", "s"],
        ["HRANDFIELD", "s", "1"],
        ["HRANDFIELD", "s", "-1", "WITHVALUES"],
        ["HSCAN", "s", "0"],
        ["GET", "s"],
        ["HSET", "h", "f", "v"],
        ["GET", "h"],
        ["INCR", "h"],
        ["APPEND", "h", "x"],
        ["STRLEN", "h"],
        ["MGET", "h", "s"],
        ["SET", "h", "now a string"],
        ["TYPE", "h"],
        ["GET", "h"],
    ],
    "wrongtype-order": [
        # redis 7.0.15: numbers parsed before the type check (HINCRBY, HINCRBYFLOAT,
        # HRANDFIELD), the cursor before the key (HSCAN), options after it
        ["SET", "s", "v"],
        ["HINCRBY", "s", "f", "abc"],
        ["HINCRBYFLOAT", "s", "f", "abc"],
        ["HINCRBYFLOAT", "s", "f", "inf"],
        ["HRANDFIELD", "s", "abc"],
        ["HRANDFIELD", "s", "1", "foo"],
        ["HRANDFIELD", "s", "4611686018427387904", "WITHVALUES"],
        ["HSCAN", "s", "abc"],
        ["HSCAN", "s", "0", "COUNT", "0"],
        ["HSCAN", "s", "0", "FOO"],
    ],
    # -- HINCRBY ----------------------------------------------------------------------------
    "hincrby": [
        ["HINCRBY", "h", "n", "5"],
        ["HINCRBY", "h", "n", "-7"],
        ["HINCRBY", "h", "n", "0"],
        ["HGET", "h", "n"],
        ["HINCRBY", "new", "f", "-3"],
        ["HGETALL", "new"],
        ["HINCRBY", "h", "n", "abc"],
        ["HINCRBY", "h", "n", "1.5"],
        ["HINCRBY", "h", "n", " 1"],
        ["HINCRBY", "h", "n", "+1"],
        ["HINCRBY", "h", "n", "01"],
        ["HINCRBY", "h", "n", ""],
        ["HINCRBY", "h", "n", "9223372036854775808"],
        ["HINCRBY", "missing", "f", "abc"],
        ["EXISTS", "missing"],
        ["HINCRBY", "h", "n"],
        ["HINCRBY", "h", "n", "1", "2"],
    ],
    "hincrby-stored-values": [
        ["HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775808", "fl", "1.5", "e", "",
         "lead", "007", "negzero", "-0", "plus", "+5", "max", INT64_MAX, "min", INT64_MIN],
        ["HINCRBY", "h", "s", "1"],
        ["HINCRBY", "h", "sp", "1"],
        ["HINCRBY", "h", "big", "1"],
        ["HINCRBY", "h", "fl", "1"],
        ["HINCRBY", "h", "e", "1"],
        ["HINCRBY", "h", "lead", "1"],
        ["HINCRBY", "h", "negzero", "1"],
        ["HINCRBY", "h", "plus", "1"],
        ["HINCRBY", "h", "max", "0"],
        ["HINCRBY", "h", "max", "1"],
        ["HINCRBY", "h", "max", "-1"],
        ["HINCRBY", "h", "min", "-1"],
        ["HINCRBY", "h", "min", "1"],
        ["HINCRBY", "h", "min", INT64_MAX],
        ["HGETALL", "h"],
    ],
    "hincrby-overflow": [
        ["HINCRBY", "h", "a", INT64_MAX],
        ["HINCRBY", "h", "a", "1"],
        ["HINCRBY", "h", "b", INT64_MIN],
        ["HINCRBY", "h", "b", "-1"],
        ["HINCRBY", "h", "b", INT64_MAX],
        ["HSET", "h", "c", "3"],
        ["HINCRBY", "h", "c", "9223372036854775805"],
        ["HINCRBY", "h", "c", "9223372036854775804"],
        ["HSET", "h", "m", "-5"],
        ["HINCRBY", "h", "m", "-9223372036854775804"],
        ["HINCRBY", "h", "m", "-9223372036854775803"],
        ["HGETALL", "h"],
    ],
    # -- HINCRBYFLOAT -------------------------------------------------------------------------
    "hincrbyfloat": [
        ["HINCRBYFLOAT", "h", "f", "1.5"],
        ["HINCRBYFLOAT", "h", "f", "0.1"],
        ["HINCRBYFLOAT", "h", "f", "-1.6"],
        ["HINCRBYFLOAT", "h", "f", "1e3"],
        ["HINCRBYFLOAT", "h", "f", "0x10"],
        ["HINCRBYFLOAT", "h", "f", "-0"],
        ["HINCRBYFLOAT", "h", "g", "5.0e-3"],
        ["HINCRBYFLOAT", "h", "g", "10.1"],
        ["HINCRBYFLOAT", "h", "i", "3"],
        ["HINCRBYFLOAT", "h", "tiny", "2.5e-20"],
        ["HGETALL", "h"],
        ["HINCRBYFLOAT", "hh", "huge", "1e400"],  # 401 digits: converts to hashtable
        ["HINCRBYFLOAT", "hh", "huge", "10.5"],
        ["HGET", "hh", "huge"],
        ["OBJECT", "ENCODING", "hh"],
    ],
    "hincrbyfloat-errors": [
        ["HSET", "h", "s", "abc", "e", "", "sp", " 1", "x", "0x10", "big", "1e4932", "nan", "nan",
         "inf", "inf", "toolong", "1e5000", "int", "7"],
        ["HINCRBYFLOAT", "h", "f", "abc"],
        ["HINCRBYFLOAT", "h", "f", ""],
        ["HINCRBYFLOAT", "h", "f", "nan"],
        ["HINCRBYFLOAT", "h", "f", "inf"],
        ["HINCRBYFLOAT", "h", "f", "-inf"],
        ["HINCRBYFLOAT", "h", "f", "+Infinity"],
        ["HINCRBYFLOAT", "h", "f", "1 "],
        ["HINCRBYFLOAT", "h", "f", "1e5000"],
        ["HINCRBYFLOAT", "h", "s", "1"],
        ["HINCRBYFLOAT", "h", "e", "1"],
        ["HINCRBYFLOAT", "h", "sp", "1"],
        ["HINCRBYFLOAT", "h", "x", "1"],
        ["HINCRBYFLOAT", "h", "big", "1e4932"],
        ["HINCRBYFLOAT", "h", "big", "-1e4932"],
        ["HINCRBYFLOAT", "h", "nan", "1"],
        ["HINCRBYFLOAT", "h", "inf", "1"],
        ["HINCRBYFLOAT", "h", "toolong", "1"],
        ["HINCRBYFLOAT", "h", "int", "0.5"],
        ["HINCRBYFLOAT", "missing", "f", "abc"],
        ["EXISTS", "missing"],
        ["HEXISTS", "h", "f"],
        ["HINCRBYFLOAT", "h", "f"],
        ["HGETALL", "h"],
    ],
    # -- HRANDFIELD: deterministic cases and errors ---------------------------------------------
    "hrandfield-deterministic": [
        ["HRANDFIELD", "missing"],
        ["HRANDFIELD", "missing", "3"],
        ["HRANDFIELD", "missing", "-3"],
        ["HRANDFIELD", "missing", "3", "WITHVALUES"],
        ["HRANDFIELD", "missing", "-9223372036854775807"],
        ["HSET", "h", "a", "1", "b", "2", "c", "3"],
        ["HRANDFIELD", "h", "0"],
        ["HRANDFIELD", "h", "0", "WITHVALUES"],
        # count >= size: the whole hash, in listpack order
        ["HRANDFIELD", "h", "3"],
        ["HRANDFIELD", "h", "4", "WITHVALUES"],
        ["HRANDFIELD", "h", INT64_MAX],
        ["HRANDFIELD", "h", HALF, "withvalues"],
        # one field: every pick is that field
        ["HSET", "one", "only", "val"],
        ["HRANDFIELD", "one"],
        ["HRANDFIELD", "one", "1"],
        ["HRANDFIELD", "one", "-1"],
        ["HRANDFIELD", "one", "-5"],
        ["HRANDFIELD", "one", "-3", "WITHVALUES"],
        ["HRANDFIELD", "one", "1", "WITHVALUES"],
        ["HRANDFIELD", "one", "1000", "WITHVALUES"],
    ],
    "hrandfield-errors": [
        ["HSET", "h", "a", "1"],
        ["HRANDFIELD"],
        ["HRANDFIELD", "h", INT64_MIN],
        ["HRANDFIELD", "h", "9223372036854775808"],
        ["HRANDFIELD", "h", "abc"],
        ["HRANDFIELD", "h", "1.0"],
        ["HRANDFIELD", "h", "01"],
        ["HRANDFIELD", "h", " 1"],
        ["HRANDFIELD", "h", "+1"],
        ["HRANDFIELD", "h", "-0"],
        ["HRANDFIELD", "h", ""],
        ["HRANDFIELD", "h", "abc", "WITHVALUES"],
        ["HRANDFIELD", "h", "abc", "foo"],
        ["HRANDFIELD", "h", "1", "foo"],
        ["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
        ["HRANDFIELD", "h", "1", "WITHVALUE"],
        ["HRANDFIELD", "h", "1", b"WITHVALUES\x00junk"],  # strcasecmp: a C string
        ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
        ["HRANDFIELD", "h", INT64_MAX, "WITHVALUES"],
        ["HRANDFIELD", "missing", "abc"],
        ["HRANDFIELD", "missing", "1", "foo"],
        ["HRANDFIELD", "missing", "4611686018427387904", "WITHVALUES"],
    ],
    # -- HSCAN of a listpack: everything at once, cursor 0 ------------------------------------
    "hscan-listpack": [
        ["HSET", "h", "a", "1", "b", "2", "c", "3", "ab", "4", "", "empty"],
        ["HSCAN", "h", "0"],
        ["HSCAN", "h", "0", "COUNT", "1"],
        ["HSCAN", "h", "5"],
        ["HSCAN", "h", "-1"],
        ["HSCAN", "h", "18446744073709551615"],
        ["HSCAN", "h", "0", "MATCH", "a*"],
        ["HSCAN", "h", "0", "match", "b"],
        ["HSCAN", "h", "0", "MATCH", "*", "COUNT", "100"],
        ["HSCAN", "h", "0", "MATCH", "nothing"],
        ["HSCAN", "h", "0", "MATCH", "?"],
        ["HSCAN", "h", "0", "MATCH", "a*", "MATCH", "c"],  # the last one wins
        ["HSCAN", "h", "0", "COUNT", "5", "MATCH", "[ab]"],
        ["HSCAN", "h", "0", b"match\x00x", "a"],
        ["HSCAN", "h", ""],
        ["HSCAN", "missing", "0"],
        ["HSCAN", "missing", "7", "MATCH", "*"],
    ],
    "hscan-errors": [
        ["HSET", "h", "a", "1"],
        ["HSCAN", "h", "abc"],
        ["HSCAN", "h", " 0"],
        ["HSCAN", "h", "1.5"],
        ["HSCAN", "h", "18446744073709551616"],
        ["HSCAN", "h", "0", "COUNT", "0"],
        ["HSCAN", "h", "0", "COUNT", "-1"],
        ["HSCAN", "h", "0", "COUNT", "abc"],
        ["HSCAN", "h", "0", "COUNT"],
        ["HSCAN", "h", "0", "MATCH"],
        ["HSCAN", "h", "0", "TYPE", "string"],  # SCAN's option only
        ["HSCAN", "h", "0", "NOVALUES"],  # redis 7.4's option
        ["HSCAN", "h", "0", "FOO", "bar"],
        ["HSCAN", "h", "0", "COUNT", "5", "COUNT", "0"],
        ["HSCAN", "missing", "abc"],
        ["HSCAN", "missing", "0", "COUNT", "0"],  # a missing key is an empty scan first
        ["HSCAN", "missing", "0", "FOO"],
        ["HSCAN", "h"],
        ["HSCAN"],
    ],
    # -- OBJECT ENCODING --------------------------------------------------------------------
    "encoding-default-limits": [
        ["HSET", "small", "f", "v"],
        ["OBJECT", "ENCODING", "small"],
        ["HSET", "edge", "x" * 64, "y" * 64],
        ["OBJECT", "ENCODING", "edge"],
        ["HSET", "longval", "f", LONG],
        ["OBJECT", "ENCODING", "longval"],
        ["HSET", "longfield", LONG, "v"],
        ["OBJECT", "ENCODING", "longfield"],
        ["HSET", "entries", *_pairs(512)],
        ["OBJECT", "ENCODING", "entries"],
        ["HLEN", "entries"],
        ["HSET", "entries", "f0", "update"],
        ["OBJECT", "ENCODING", "entries"],
        ["HSET", "entries", "one-more", "v"],
        ["OBJECT", "ENCODING", "entries"],
        ["HDEL", "entries", *[f"f{i}" for i in range(500)]],
        ["OBJECT", "ENCODING", "entries"],  # one way: stays hashtable
        ["HSETNX", "longval2", "f", "v"],
        ["HSETNX", "longval2", "f", LONG],  # nothing written, nothing converted
        ["OBJECT", "ENCODING", "longval2"],
        ["HSETNX", "longval2", "g", LONG],
        ["OBJECT", "ENCODING", "longval2"],
        ["HMSET", "hm", "a", "1", "b", LONG],
        ["OBJECT", "ENCODING", "hm"],
        ["HINCRBY", "incr", "n", "1"],
        ["OBJECT", "ENCODING", "incr"],
        ["HINCRBYFLOAT", "incrf", "n", "1e100"],  # a 101-byte value
        ["OBJECT", "ENCODING", "incrf"],
        ["HINCRBY", "incrfield", LONG, "1"],
        ["OBJECT", "ENCODING", "incrfield"],
    ],
    "encoding-config-limits": [
        ["CONFIG", "SET", "hash-max-listpack-value", "3"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "3"],
        ["HINCRBY", "h1", "abcd", "1"],
        ["OBJECT", "ENCODING", "h1"],
        ["HINCRBY", "h2", "abc", "999"],
        ["OBJECT", "ENCODING", "h2"],
        ["HINCRBY", "h2", "abc", "1"],  # "1000": four bytes
        ["OBJECT", "ENCODING", "h2"],
        ["HINCRBYFLOAT", "h3", "abc", "0.5"],
        ["OBJECT", "ENCODING", "h3"],
        ["HINCRBYFLOAT", "h3", "abc", "1000"],
        ["OBJECT", "ENCODING", "h3"],
        ["HSET", "h4", "a", "1", "b", "2", "c", "3"],
        ["OBJECT", "ENCODING", "h4"],
        ["HSET", "h4", "a", "5"],
        ["OBJECT", "ENCODING", "h4"],
        ["HSET", "h4", "d", "4"],
        ["OBJECT", "ENCODING", "h4"],
        ["HDEL", "h4", "a", "b", "c"],
        ["OBJECT", "ENCODING", "h4"],
        ["HSET", "h5", "a", "1", "abcd", "2"],
        ["OBJECT", "ENCODING", "h5"],
        ["HSET", "h6", "a", "1", "b", "2", "c", "3", "a", "4"],
        ["OBJECT", "ENCODING", "h6"],
        ["HSET", "h7", "a", "1", "b", "2", "c", "3", "d", "4"],
        ["OBJECT", "ENCODING", "h7"],
        ["HINCRBY", "h8", "a", "1"],
        ["HINCRBY", "h8", "b", "1"],
        ["HINCRBY", "h8", "c", "1"],
        ["OBJECT", "ENCODING", "h8"],
        ["HINCRBY", "h8", "d", "1"],
        ["OBJECT", "ENCODING", "h8"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
        ["HSET", "h9", "a", "1"],
        ["OBJECT", "ENCODING", "h9"],
        ["HSETNX", "h10", "a", "1"],
        ["OBJECT", "ENCODING", "h10"],
        ["CONFIG", "SET", "hash-max-listpack-value", "0"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
        ["HSET", "h11", "", ""],
        ["OBJECT", "ENCODING", "h11"],
        ["HSET", "h12", "", "1"],
        ["OBJECT", "ENCODING", "h12"],
        ["CONFIG", "SET", "hash-max-ziplist-value", "2"],  # the 6.x alias
        ["HSET", "h13", "ab", "c"],
        ["OBJECT", "ENCODING", "h13"],
        ["HSET", "h14", "abc", "c"],
        ["OBJECT", "ENCODING", "h14"],
        ["CONFIG", "SET", "hash-max-listpack-value", "64"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
    ],
    # -- keyspace commands on hashes ------------------------------------------------------------
    "keyspace": [
        ["HSET", "h", "f", "v", "g", "w"],
        ["TYPE", "h"],
        ["EXISTS", "h"],
        ["OBJECT", "REFCOUNT", "h"],
        ["SCAN", "0", "TYPE", "hash"],
        ["SCAN", "0", "TYPE", "HASH"],
        ["SCAN", "0", "TYPE", "string"],
        ["RENAME", "h", "h2"],
        ["EXISTS", "h"],
        ["HGETALL", "h2"],
        ["RENAMENX", "h2", "h3"],
        ["COPY", "h3", "c"],
        ["HSET", "c", "extra", "1"],
        ["HGETALL", "h3"],
        ["HGETALL", "c"],
        ["OBJECT", "ENCODING", "c"],
        ["SET", "s", "v"],
        ["COPY", "c", "s"],
        ["COPY", "c", "s", "REPLACE"],
        ["TYPE", "s"],
        ["HGETALL", "s"],
        ["MOVE", "h3", "1"],
        ["EXISTS", "h3"],
        ["SELECT", "1"],
        ["TYPE", "h3"],
        ["HGETALL", "h3"],
        ["COPY", "h3", "back", "DB", "0"],
        ["SELECT", "0"],
        ["HGETALL", "back"],
        ["DEL", "back", "c"],
        ["EXISTS", "back", "c"],
    ],
    "keyspace-ttl": [
        ["HSET", "h", "f", "v"],
        ["EXPIRE", "h", "100"],
        ["HSET", "h", "g", "w"],  # writes keep the TTL
        ["HDEL", "h", "g"],
        ["HINCRBY", "h", "n", "1"],
        ["HINCRBYFLOAT", "h", "n", "1"],
        ["HSETNX", "h", "x", "1"],
        ["TTL", "h"],
        ["RENAME", "h", "r"],
        ["TTL", "r"],
        ["COPY", "r", "c"],
        ["TTL", "c"],
        ["HDEL", "c", "f", "n", "x"],  # emptied: the key and its TTL go
        ["EXISTS", "c"],
        ["TTL", "c"],
        ["HSET", "c", "f", "v"],
        ["TTL", "c"],
        ["PEXPIREAT", "r", "1"],  # a time in the past deletes the hash
        ["HGETALL", "r"],
        ["HLEN", "r"],
        ["TYPE", "r"],
    ],
}

# Hashes beyond the listpack limits: field order is each server's own, so whole-hash replies
# (HGETALL HKEYS HVALS, and HSCAN replies that fit in one call) are compared sorted.
HASHTABLE_SCRIPTS = {
    "hashtable-reads": [
        ["HSET", "h", "a", "1", "b", "2", "long", LONG, "c", "3"],
        ["OBJECT", "ENCODING", "h"],
        ["HGETALL", "h"],
        ["HKEYS", "h"],
        ["HVALS", "h"],
        ["HLEN", "h"],
        ["HMGET", "h", "a", "long", "missing"],
        ["HSTRLEN", "h", "long"],
        ["HEXISTS", "h", "c"],
        ["HDEL", "h", "a", "long"],
        ["HGETALL", "h"],
        ["HSCAN", "h", "0"],
        ["HSCAN", "h", "0", "MATCH", "b"],
        ["HRANDFIELD", "h", "2"],  # count >= size: the whole hash
        ["HRANDFIELD", "h", "5", "WITHVALUES"],
        ["HDEL", "h", "b", "c"],
        ["EXISTS", "h"],
    ],
    "hashtable-writes": [
        ["HSET", "h", *_pairs(600)],
        ["OBJECT", "ENCODING", "h"],
        ["HLEN", "h"],
        ["HSET", "h", "f1", "new", "x", "y"],
        ["HSETNX", "h", "f2", "no"],
        ["HSETNX", "h", "z", "yes"],
        ["HINCRBY", "h", "counter", "10"],
        ["HINCRBYFLOAT", "h", "counter", "0.5"],
        ["HMGET", "h", "f1", "f2", "x", "z", "counter", "f599", "f600"],
        ["HDEL", "h", *[f"f{i}" for i in range(0, 600, 2)]],
        ["HLEN", "h"],
        ["OBJECT", "ENCODING", "h"],
        ["HEXISTS", "h", "f0"],
        ["HEXISTS", "h", "f1"],
        ["COPY", "h", "c"],
        ["OBJECT", "ENCODING", "c"],
        ["HLEN", "c"],
        ["HKEYS", "c"],
    ],
}


def _sort_hscan(argv, raw: bytes) -> bytes:
    """An HSCAN reply that finished in one call (cursor 0): its field/value pairs sorted."""
    if argv[0].upper() != b"HSCAN":
        return raw
    try:
        header, (cursor, items) = elements(raw)
        items_header, flat = elements(items)
    except (RespError, ValueError):
        return raw
    if cursor != bulk(b"0") or len(flat) % 2:
        return raw
    pairs = sorted(zip(flat[0::2], flat[1::2]))
    return header + cursor + items_header + b"".join(f + v for f, v in pairs)


def _sort_hrandfield(argv, raw: bytes) -> bytes:
    """A whole-hash HRANDFIELD reply sorted: fields, flat pairs (RESP2) or [f, v] pairs (RESP3)."""
    if argv[0].upper() != b"HRANDFIELD":
        return raw
    try:
        header, items = elements(raw)
    except RespError:
        return raw
    if len(argv) == 4 and not raw_is_nested(items):
        if len(items) % 2:
            return raw
        return header + b"".join(f + v for f, v in sorted(zip(items[0::2], items[1::2])))
    return header + b"".join(sorted(items))


UNORDERED = [_sort_hscan, _sort_hrandfield, "sort-elements", "sort-pairs"]


@RESP
@pytest.mark.parametrize("name", SCRIPTS)
def test_hashes(pair, name, resp):
    pair.check(SCRIPTS[name], resp=resp, name=name)


@RESP
@pytest.mark.parametrize("name", HASHTABLE_SCRIPTS)
def test_hashes_hashtable(pair, name, resp):
    pair.check(HASHTABLE_SCRIPTS[name], resp=resp, name=name, normalize=UNORDERED)


# -- HRANDFIELD: random replies, compared through their shape ------------------------------------

LISTPACK_FIELDS = {f"f{i}": f"v{i}" for i in range(12)}
HASHTABLE_FIELDS = {**{f"g{i}": f"w{i}" for i in range(20)}, "long": LONG}

RANDOM_HASHES = {"lp": LISTPACK_FIELDS, "ht": HASHTABLE_FIELDS}

RANDOM_SCRIPTS = {
    "hrandfield-no-count": [["HRANDFIELD", "lp"], ["HRANDFIELD", "ht"], ["HRANDFIELD", "lp"]],
    "hrandfield-positive": [
        ["HRANDFIELD", key, count, *extra]
        for key in ("lp", "ht")
        for count in ("1", "2", "5", "11", "12", "30")
        for extra in ([], ["WITHVALUES"])
    ],
    "hrandfield-negative": [
        ["HRANDFIELD", key, count, *extra]
        for key in ("lp", "ht")
        for count in ("-1", "-2", "-12", "-50", "-2000")
        for extra in ([], ["WITHVALUES"])
    ],
}


def _random_normaliser(argv, raw: bytes) -> bytes:
    """HRANDFIELD's reply with fields/values replaced by placeholders, if it is plausible."""
    if argv[0].upper() != b"HRANDFIELD":
        return raw
    mapping = {k.encode(): v.encode() for k, v in RANDOM_HASHES[argv[1].decode()].items()}
    if len(argv) == 2:
        return bulk(b"<field>") if decode(raw) in mapping else raw
    count = int(argv[2])
    with_values = len(argv) == 4
    try:
        header, items = elements(raw)
    except RespError:
        return raw
    fields, out = [], []
    if with_values and raw_is_nested(items):
        for item in items:
            pair_header, (f, v) = elements(item)
            fields.append(decode(f))
            if decode(v) != mapping.get(fields[-1]):
                return raw
            out.append(pair_header + bulk(b"<field>") + bulk(b"<value>"))
    elif with_values:
        if len(items) % 2:
            return raw
        for f, v in zip(items[0::2], items[1::2]):
            fields.append(decode(f))
            if decode(v) != mapping.get(fields[-1]):
                return raw
            out.append(bulk(b"<field>") + bulk(b"<value>"))
    else:
        fields = [decode(f) for f in items]
        out = [bulk(b"<field>")] * len(items)
    if any(f not in mapping for f in fields):
        return raw
    if count > 0 and len(set(fields)) != len(fields):
        return raw
    return header + b"".join(out)


def raw_is_nested(items: list) -> bool:
    return bool(items) and items[0][:1] == b"*"


@RESP
@pytest.mark.parametrize("name", RANDOM_SCRIPTS)
def test_hrandfield_random(pair, name, resp):
    setup = [["HSET", key, *[x for kv in fields.items() for x in kv]] for key, fields in RANDOM_HASHES.items()]
    setup += [["OBJECT", "ENCODING", key] for key in RANDOM_HASHES]
    pair.check(setup + RANDOM_SCRIPTS[name], resp=resp, name=name, normalize=_random_normaliser)


def test_hrandfield_normaliser_rejects_impossible_replies():
    ok = b"*2\r\n$2\r\nf3\r\n$2\r\nf1\r\n"
    assert _random_normaliser([b"HRANDFIELD", b"lp", b"2"], ok) == b"*2\r\n" + bulk(b"<field>") * 2
    for bad in (b"*2\r\n$2\r\nf1\r\n$2\r\nf1\r\n",  # repeated with a positive count
                b"*1\r\n$2\r\nzz\r\n"):  # not a field of the hash
        assert _random_normaliser([b"HRANDFIELD", b"lp", b"2"], bad) == bad
    wrong_value = b"*2\r\n$2\r\nf1\r\n$2\r\nv2\r\n"
    assert _random_normaliser([b"HRANDFIELD", b"lp", b"-1", b"WITHVALUES"], wrong_value) == wrong_value


# -- HSCAN of a hashtable: a full iteration returns every pair ------------------------------------

def _hscan_all(server, key: str, options: list) -> list:
    pairs: list = []
    with RawConnection(server.host, server.port) as conn:
        cursor = b"0"
        for _ in range(100_000):
            reply = decode(conn.call("HSCAN", key, cursor, *options))
            cursor, flat = reply
            pairs.extend(zip(flat[0::2], flat[1::2]))
            if cursor == b"0":
                return pairs
    raise AssertionError("HSCAN did not finish")


FULL_HSCANS = {
    "default-count": [],
    "count-1": ["COUNT", "1"],
    "count-7": ["COUNT", "7"],
    "count-5000": ["COUNT", "5000"],
    "match": ["MATCH", "f1*"],
    "match-count-3": ["MATCH", "f[2-3]?", "COUNT", "3"],
    "match-none": ["MATCH", "nothing*"],
}


@pytest.mark.parametrize("name", FULL_HSCANS)
def test_hscan_full_iteration(pair, redis_server, kvfake_server, name):
    pair.reset()
    pair.step(["HSET", "big", *_pairs(1000)])
    pair.step(["OBJECT", "ENCODING", "big"])
    pair.close()
    expected = _hscan_all(redis_server, "big", FULL_HSCANS[name])
    got = _hscan_all(kvfake_server, "big", FULL_HSCANS[name])
    assert len(got) == len(set(got)), "kvfake returned a field twice in an unchanged hash"
    assert sorted(set(got)) == sorted(set(expected))


def test_hash_expires(pair):
    pair.reset()
    for argv in (["HSET", "h", "f", "v"], ["PEXPIRE", "h", "50"], ["HGET", "h", "f"],
                 ["SCAN", "0", "TYPE", "hash"]):
        pair.step(argv)
    time.sleep(0.12)
    for argv in (["HGET", "h", "f"], ["HLEN", "h"], ["EXISTS", "h"], ["TYPE", "h"],
                 ["HINCRBY", "h", "n", "1"], ["TTL", "h"], ["HGETALL", "h"]):
        pair.step(argv)
    pair.close()
