"""Differential scripts for the set group: kvfake vs redis-server 7.0.15, raw bytes, RESP2 and RESP3.

Every command of kvfake/commands/sets.py, its options and its error paths, the intset/hashtable
encodings (including what SINTERSTORE / SUNIONSTORE / SDIFFSTORE build and what SPOP with a count
leaves), and the set's life in the keyspace (TYPE, SCAN TYPE, RENAME, COPY, MOVE, expiry).

Order: an intset lists its members in ascending numeric order in both servers, so replies about
intsets are compared byte for byte, unnormalised (``SCRIPTS``).  Replies listing a hashtable are
compared with their elements sorted (``UNORDERED``, the ``sort-elements`` normaliser).  Random
replies (SPOP, SRANDMEMBER) are compared by shape only (``RANDOM``, ``_members_of``): the count, and
that every element is a member of the set (and, where Redis promises it, that none repeats).
SSCAN over a hashtable is compared by full iteration on each server (the members collected).

Never send SRANDMEMBER with a huge negative count to real redis on an existing set: it builds the
whole reply in memory and got OOM-killed at -4611686018427387903 (kvfake answers an error instead,
tests/commands/test_sets.py).
"""

from __future__ import annotations

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import RespError, bulk, decode, elements

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"

INTS_600 = [str(i) for i in range(600)]

SCRIPTS = {
    # -- SADD SREM SCARD SISMEMBER SMISMEMBER --------------------------------------------------
    "sadd-srem-basic": [
        ["SADD", "s", "3", "1", "2"],
        ["SADD", "s", "2", "4", "4"],
        ["SCARD", "s"],
        ["SMEMBERS", "s"],
        ["SISMEMBER", "s", "4"],
        ["SISMEMBER", "s", "5"],
        ["SISMEMBER", "s", "04"],
        ["SISMEMBER", "missing", "1"],
        ["SMISMEMBER", "s", "1", "9", "1", "04"],
        ["SMISMEMBER", "missing", "1", "2"],
        ["SREM", "s", "1", "9", "1"],
        ["SREM", "missing", "1"],
        ["SCARD", "s"],
        ["SCARD", "missing"],
        ["SMEMBERS", "s"],
        ["SREM", "s", "2", "3", "4", "5"],
        ["EXISTS", "s"],
        ["SMEMBERS", "s"],
        ["sadd", "lower", "1"],
        ["sMeMbErS", "lower"],
    ],
    "sadd-duplicates-and-binary": [
        ["SADD", "s", "1", "1", "1"],
        ["SADD", "b", "", b"\x00\xff", "\r\n", b"\x00\xff"],
        ["SCARD", "b"],
        ["SISMEMBER", "b", ""],
        ["SISMEMBER", "b", b"\x00\xff"],
        ["SISMEMBER", "b", b"\x00"],
        ["SREM", "b", "", "\r\n"],
        ["SMEMBERS", "b"],
        ["OBJECT", "ENCODING", "b"],
    ],
    "srem-empties-key": [
        ["SADD", "s", "a", "b"],
        ["SREM", "s", "a", "b", "a"],
        ["EXISTS", "s"],
        ["TYPE", "s"],
        ["SADD", "t", "1"],
        ["SREM", "t", "1", "1"],
        ["EXISTS", "t"],
    ],
    "arity": [
        ["SADD"], ["SADD", "s"], ["SREM"], ["SREM", "s"],
        ["SMEMBERS"], ["SMEMBERS", "a", "b"],
        ["SISMEMBER", "s"], ["SISMEMBER", "s", "a", "b"],
        ["SMISMEMBER", "s"], ["SCARD"], ["SCARD", "a", "b"],
        ["SPOP"], ["SRANDMEMBER"],
        ["SMOVE", "a", "b"], ["SMOVE", "a", "b", "c", "d"],
        ["SINTER"], ["SINTERCARD"], ["SINTERCARD", "1"], ["SINTERSTORE"], ["SINTERSTORE", "d"],
        ["SUNION"], ["SUNIONSTORE"], ["SUNIONSTORE", "d"],
        ["SDIFF"], ["SDIFFSTORE"], ["SDIFFSTORE", "d"],
        ["SSCAN"], ["SSCAN", "s"],
    ],
    "wrongtype": [
        ["SET", "str", "v"],
        ["SADD", "s", "1"],
        ["SADD", "str", "a"],
        ["SREM", "str", "a"],
        ["SMEMBERS", "str"],
        ["SISMEMBER", "str", "a"],
        ["SMISMEMBER", "str", "a"],
        ["SCARD", "str"],
        ["SPOP", "str"],
        ["SPOP", "str", "1"],
        ["SPOP", "str", "0"],
        ["SRANDMEMBER", "str"],
        ["SRANDMEMBER", "str", "1"],
        ["SRANDMEMBER", "str", "-" + INT64_MAX],
        ["SMOVE", "str", "s", "1"],
        ["SMOVE", "s", "str", "1"],
        ["SMOVE", "s", "str", "nope"],
        ["SMOVE", "missing", "str", "1"],
        ["SINTER", "s", "str"],
        ["SINTER", "missing", "str"],
        ["SINTER", "str", "missing"],
        ["SINTERCARD", "2", "s", "str"],
        ["SINTERCARD", "2", "missing", "str"],
        ["SINTERSTORE", "d", "s", "str"],
        ["SINTERSTORE", "d", "missing", "str"],
        ["SUNION", "s", "str"],
        ["SUNION", "missing", "str"],
        ["SUNIONSTORE", "d", "missing", "str"],
        ["SDIFF", "s", "str"],
        ["SDIFF", "missing", "str"],
        ["SDIFFSTORE", "d", "s", "str"],
        ["SSCAN", "str", "0"],
        ["SSCAN", "str", "0", "COUNT", "0"],
        ["EXISTS", "d"],
        ["GET", "str"],
        ["SMEMBERS", "s"],
    ],
    # -- encodings ------------------------------------------------------------------------
    "encoding-intset-rules": [
        ["SADD", "i", "1", "-2", INT64_MAX, INT64_MIN],
        ["OBJECT", "ENCODING", "i"],
        ["SMEMBERS", "i"],
        ["SADD", "big", "9223372036854775808"],
        ["OBJECT", "ENCODING", "big"],
        ["SADD", "lead0", "01"],
        ["OBJECT", "ENCODING", "lead0"],
        ["SADD", "negzero", "-0"],
        ["OBJECT", "ENCODING", "negzero"],
        ["SADD", "plus", "+1"],
        ["OBJECT", "ENCODING", "plus"],
        ["SADD", "space", " 1"],
        ["OBJECT", "ENCODING", "space"],
        ["SADD", "empty", ""],
        ["OBJECT", "ENCODING", "empty"],
        ["SADD", "float", "1.5"],
        ["OBJECT", "ENCODING", "float"],
        ["SADD", "zero", "0"],
        ["OBJECT", "ENCODING", "zero"],
    ],
    "encoding-one-way": [
        ["SADD", "s", "1", "2", "3"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "s", "a"],
        ["OBJECT", "ENCODING", "s"],
        ["SREM", "s", "a"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "s", "4"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "t", "x", "1"],
        ["OBJECT", "ENCODING", "t"],
        ["SADD", "u", "1", "x"],
        ["OBJECT", "ENCODING", "u"],
        ["SADD", "i", "5"],
        ["SADD", "i", "5", "5"],
        ["OBJECT", "ENCODING", "i"],
        ["SREM", "i", "nope"],
        ["OBJECT", "ENCODING", "i"],
    ],
    "encoding-max-intset-entries": [
        ["SADD", "s"] + INTS_600[:512],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "s", "0"],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "s", "512"],
        ["OBJECT", "ENCODING", "s"],
        ["SCARD", "s"],
        ["SREM", "s"] + INTS_600[:500],
        ["OBJECT", "ENCODING", "s"],
        ["SADD", "t"] + INTS_600,
        ["OBJECT", "ENCODING", "t"],
    ],
    # -- SMEMBERS SINTER SUNION SDIFF over intsets (ordered) -------------------------------
    "algebra-intsets": [
        ["SADD", "a", "5", "1", "3", "-7", "10"],
        ["SADD", "b", "3", "10", "99", "-7"],
        ["SADD", "c", "10", "-7", "42"],
        ["SINTER", "a", "b"],
        ["SINTER", "a", "b", "c"],
        ["SINTER", "c", "a"],
        ["SINTER", "a"],
        ["SINTER", "a", "a"],
        ["SINTER", "a", "missing"],
        ["SINTER", "missing", "a"],
        ["SINTER", "missing"],
        ["SUNION", "a", "b"],
        ["SUNION", "a", "b", "c", "missing"],
        ["SUNION", "missing"],
        ["SUNION", "missing", "other"],
        ["SDIFF", "a", "b"],
        ["SDIFF", "a", "b", "c"],
        ["SDIFF", "a", "missing"],
        ["SDIFF", "missing", "a"],
        ["SDIFF", "a", "a"],
        ["SDIFF", "a", "b", "a"],
        ["SDIFF", "a"],
    ],
    "algebra-mixed-results-are-intsets": [
        ["SADD", "m", "1", "2", "3", "x"],
        ["SADD", "n", "x", "y", "2", "3", "1"],
        ["SADD", "k", "x"],
        ["SADD", "ky", "y"],
        ["SDIFF", "m", "k"],
        ["SDIFF", "n", "k", "ky"],
        ["SINTER", "m", "n", "missing"],
        ["SREM", "m", "x"],
        ["OBJECT", "ENCODING", "m"],
        ["SUNION", "m"],
    ],
    "sintercard": [
        ["SADD", "a", "1", "2", "3", "4", "x"],
        ["SADD", "b", "2", "3", "4", "x", "y"],
        ["SADD", "c", "3", "4", "x"],
        ["SINTERCARD", "1", "a"],
        ["SINTERCARD", "2", "a", "b"],
        ["SINTERCARD", "3", "a", "b", "c"],
        ["SINTERCARD", "2", "a", "a"],
        ["SINTERCARD", "2", "a", "missing"],
        ["SINTERCARD", "1", "missing"],
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "0"],
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "1"],
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "2"],
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "3"],
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "100"],
        ["SINTERCARD", "3", "a", "b", "c", "limit", INT64_MAX],
        ["SINTERCARD", "1", "a", "LIMIT", "5", "LIMIT", "2"],
        ["SINTERCARD", "1", "a", b"LIMIT\x00junk", "2"],
        ["SINTERCARD", "2", "a", "LIMIT"],
        ["SINTERCARD", "1", "a", "LIMIT", "2", "extra"],
    ],
    "sintercard-errors": [
        ["SADD", "a", "1"],
        ["SINTERCARD", "0", "a"],
        ["SINTERCARD", "-1", "a"],
        ["SINTERCARD", "x", "a"],
        ["SINTERCARD", "", "a"],
        ["SINTERCARD", "01", "a"],
        ["SINTERCARD", "1.0", "a"],
        ["SINTERCARD", "9223372036854775808", "a"],
        ["SINTERCARD", INT64_MAX, "a"],
        ["SINTERCARD", "2", "a"],
        ["SINTERCARD", "3", "a", "LIMIT", "1"],
        ["SINTERCARD", "1", "a", "LIMIT"],
        ["SINTERCARD", "1", "a", "LIMIT", "-1"],
        ["SINTERCARD", "1", "a", "LIMIT", "x"],
        ["SINTERCARD", "1", "a", "LIMIT", "9223372036854775808"],
        ["SINTERCARD", "1", "a", "FOO", "1"],
        ["SINTERCARD", "1", "a", "FOO"],
        ["SINTERCARD", "2", "missing", "LIMIT", "-1"],
        ["SET", "str", "v"],
        ["SINTERCARD", "1", "str", "LIMIT", "-1"],
        ["SINTERCARD", "1", "str", "FOO"],
        ["SINTERCARD", "0", "str"],
    ],
    # -- STORE forms -------------------------------------------------------------------------
    "store-encodings": [
        ["SADD", "A", "1", "2", "3", "x"],
        ["SADD", "B", "x"],
        ["SDIFFSTORE", "D", "A", "B"],
        ["OBJECT", "ENCODING", "D"],
        ["SMEMBERS", "D"],
        ["SUNIONSTORE", "U", "A", "B"],
        ["OBJECT", "ENCODING", "U"],
        ["SINTERSTORE", "I", "A", "A"],
        ["OBJECT", "ENCODING", "I"],
        ["SINTERSTORE", "I2", "A", "D"],
        ["OBJECT", "ENCODING", "I2"],
        ["SMEMBERS", "I2"],
        ["SADD", "M", "1", "2", "3", "y"],
        ["SREM", "M", "y"],
        ["OBJECT", "ENCODING", "M"],
        ["SUNIONSTORE", "U2", "M"],
        ["OBJECT", "ENCODING", "U2"],
        ["SMEMBERS", "U2"],
        ["SINTERSTORE", "I3", "M"],
        ["OBJECT", "ENCODING", "I3"],
        ["SDIFFSTORE", "D2", "M", "missing"],
        ["OBJECT", "ENCODING", "D2"],
    ],
    "sdiffstore-algorithm-two-keeps-hashtable": [
        # first set large next to the others: redis copies it whole into the result first
        ["SADD", "C", "1", "2", "3", "x", "y", "z", "w"],
        ["SADD", "F", "x"], ["SADD", "G", "y"], ["SADD", "H", "z"], ["SADD", "I", "w"],
        ["SDIFFSTORE", "D3", "C", "F", "G", "H", "I"],
        ["OBJECT", "ENCODING", "D3"],
        ["SCARD", "D3"],
        # algorithm 1 (others as large): only the survivors are added
        ["SADD", "E", "x", "y", "z", "w", "q"],
        ["SDIFFSTORE", "D2", "C", "E"],
        ["OBJECT", "ENCODING", "D2"],
        ["SMEMBERS", "D2"],
        ["SDIFF", "C", "E"],
        # missing keys count as empty sets in the work estimate
        ["SDIFFSTORE", "D4", "C", "F", "missing", "G", "H", "I"],
        ["OBJECT", "ENCODING", "D4"],
        ["SDIFFSTORE", "D5", "C", "F"],
        ["OBJECT", "ENCODING", "D5"],
    ],
    "store-replies-and-overwrites": [
        ["SADD", "a", "1", "2", "3"],
        ["SADD", "b", "2", "3", "4"],
        ["SET", "dst", "string"],
        ["EXPIRE", "dst", "1000"],
        ["SINTERSTORE", "dst", "a", "b"],
        ["TYPE", "dst"],
        ["TTL", "dst"],
        ["SMEMBERS", "dst"],
        ["SUNIONSTORE", "dst", "a", "b"],
        ["SMEMBERS", "dst"],
        ["SDIFFSTORE", "dst", "a", "b"],
        ["SMEMBERS", "dst"],
        ["SDIFFSTORE", "a", "a", "b"],
        ["SMEMBERS", "a"],
        ["SUNIONSTORE", "a", "a", "b"],
        ["SMEMBERS", "a"],
        ["SINTERSTORE", "dst", "a", "missing"],
        ["EXISTS", "dst"],
        ["SINTERSTORE", "dst", "a", "missing"],
        ["SET", "dst", "v"],
        ["SUNIONSTORE", "dst", "missing"],
        ["EXISTS", "dst"],
        ["SET", "dst", "v"],
        ["SDIFFSTORE", "dst", "a", "a"],
        ["EXISTS", "dst"],
        ["SDIFFSTORE", "dst", "missing", "a"],
        ["SET", "dst", "v"],
        ["SINTERSTORE", "dst", "a", "b", "missing"],
        ["GET", "dst"],
        ["SINTERSTORE", "same", "b"],
        ["SINTERSTORE", "b", "b"],
        ["SMEMBERS", "b"],
    ],
    # -- SMOVE ---------------------------------------------------------------------------------
    "smove": [
        ["SADD", "src", "1", "2", "a"],
        ["SADD", "dst", "3"],
        ["SMOVE", "src", "dst", "1"],
        ["SMOVE", "src", "dst", "1"],
        ["SMOVE", "src", "dst", "nope"],
        ["SMEMBERS", "dst"],
        ["OBJECT", "ENCODING", "dst"],
        ["SMOVE", "src", "dst", "a"],
        ["OBJECT", "ENCODING", "dst"],
        ["SMOVE", "src", "src", "2"],
        ["SMOVE", "src", "src", "9"],
        ["SMOVE", "src", "new", "2"],
        ["EXISTS", "src"],
        ["OBJECT", "ENCODING", "new"],
        ["SMEMBERS", "new"],
        ["SADD", "s2", "x"],
        ["SMOVE", "s2", "new2", "x"],
        ["OBJECT", "ENCODING", "new2"],
        ["EXISTS", "s2"],
        ["SADD", "both", "3"],
        ["SMOVE", "both", "dst", "3"],
        ["EXISTS", "both"],
        ["SCARD", "dst"],
        ["SMISMEMBER", "dst", "1", "2", "3", "a"],
        ["SMOVE", "missing", "dst", "3"],
        ["SMOVE", "missing", "missing", "3"],
    ],
    # -- SPOP / SRANDMEMBER: deterministic cases -----------------------------------------------
    "spop-srandmember-deterministic": [
        ["SPOP", "missing"],
        ["SPOP", "missing", "3"],
        ["SPOP", "missing", "0"],
        ["SRANDMEMBER", "missing"],
        ["SRANDMEMBER", "missing", "3"],
        ["SRANDMEMBER", "missing", "-3"],
        ["SRANDMEMBER", "missing", "-" + INT64_MAX],
        ["SRANDMEMBER", "missing", INT64_MAX],
        ["SADD", "one", "7"],
        ["SRANDMEMBER", "one"],
        ["SRANDMEMBER", "one", "1"],
        ["SRANDMEMBER", "one", "-3"],
        ["SADD", "s", "30", "-5", "10", "2"],
        ["SRANDMEMBER", "s", "0"],
        ["SRANDMEMBER", "s", "4"],
        ["SRANDMEMBER", "s", "100"],
        ["SRANDMEMBER", "s", INT64_MAX],
        ["SPOP", "s", "0"],
        ["SCARD", "s"],
        ["SPOP", "one"],
        ["EXISTS", "one"],
        ["SPOP", "s", "4"],
        ["EXISTS", "s"],
        ["SADD", "s", "30", "-5", "10", "2"],
        ["SPOP", "s", INT64_MAX],
        ["EXISTS", "s"],
        ["SADD", "m", "1", "2", "3", "x"],
        ["SREM", "m", "x"],
        ["SPOP", "m", "3"],
    ],
    "spop-srandmember-errors": [
        ["SADD", "s", "1", "2"],
        ["SPOP", "s", "-1"],
        ["SPOP", "s", "x"],
        ["SPOP", "s", ""],
        ["SPOP", "s", "1.5"],
        ["SPOP", "s", "01"],
        ["SPOP", "s", INT64_MIN],
        ["SPOP", "s", "9223372036854775808"],
        ["SPOP", "s", "1", "2"],
        ["SPOP", "s", "x", "y"],
        ["SPOP", "missing", "-1"],
        ["SPOP", "missing", "1", "2"],
        ["SRANDMEMBER", "s", "x"],
        ["SRANDMEMBER", "s", ""],
        ["SRANDMEMBER", "s", "1.5"],
        ["SRANDMEMBER", "s", INT64_MIN],
        ["SRANDMEMBER", "s", "9223372036854775808"],
        ["SRANDMEMBER", "s", "-9223372036854775809"],
        ["SRANDMEMBER", "missing", INT64_MIN],
        ["SRANDMEMBER", "missing", "x"],
        ["SRANDMEMBER", "s", "1", "2"],
        ["SRANDMEMBER", "missing", "1", "2"],
        ["SCARD", "s"],
    ],
    # -- SSCAN over intsets and small sets ------------------------------------------------------
    "sscan-intset": [
        ["SSCAN", "missing", "0"],
        ["SSCAN", "missing", "0", "COUNT", "0"],
        ["SSCAN", "missing", "x"],
        ["SADD", "t", "10", "2", "30", "-5"],
        ["SSCAN", "t", "0"],
        ["SSCAN", "t", "5"],
        ["SSCAN", "t", "-1"],
        ["SSCAN", "t", "18446744073709551615"],
        ["SSCAN", "t", "0", "MATCH", "*0"],
        ["SSCAN", "t", "0", "MATCH", "-*"],
        ["SSCAN", "t", "0", "MATCH", "nothing"],
        ["SSCAN", "t", "0", "MATCH", "*"],
        ["SSCAN", "t", "0", "COUNT", "1"],
        ["SSCAN", "t", "0", "count", "1", "match", "[13]*"],
        ["SSCAN", "t", "0", "MATCH", "a", "MATCH", "*"],
        ["SSCAN", "t", "0", b"COUNT\x00x", "1"],
        ["SSCAN", "t", "0", "COUNT", INT64_MAX],
    ],
    "sscan-errors": [
        ["SADD", "t", "1"],
        ["SSCAN", "t", "x"],
        ["SSCAN", "t", " 0"],
        ["SSCAN", "t", "18446744073709551616"],
        ["SSCAN", "t", "0", "COUNT", "0"],
        ["SSCAN", "t", "0", "COUNT", "-1"],
        ["SSCAN", "t", "0", "COUNT", "x"],
        ["SSCAN", "t", "0", "COUNT", "9223372036854775808"],
        ["SSCAN", "t", "0", "COUNT"],
        ["SSCAN", "t", "0", "MATCH"],
        ["SSCAN", "t", "0", "TYPE", "set"],
        ["SSCAN", "t", "0", "FOO", "bar"],
        ["SSCAN", "t", "0", "COUNT", "1", "COUNT"],
        ["SSCAN", "missing", "0", "FOO"],
    ],
    # -- the keyspace: TYPE, SCAN TYPE, RENAME, COPY, MOVE, expiry -------------------------------
    "keyspace-rename-copy-move": [
        ["SADD", "i", "1", "2"],
        ["SADD", "h", "x"],
        ["EXPIRE", "h", "1000"],
        ["RENAME", "i", "i2"],
        ["OBJECT", "ENCODING", "i2"],
        ["SMEMBERS", "i2"],
        ["RENAMENX", "h", "h2"],
        ["TTL", "h2"],
        ["SMEMBERS", "h2"],
        ["COPY", "i2", "i3"],
        ["OBJECT", "ENCODING", "i3"],
        ["SADD", "i3", "3"],
        ["SMEMBERS", "i2"],
        ["SMEMBERS", "i3"],
        ["COPY", "h2", "h3"],
        ["OBJECT", "ENCODING", "h3"],
        ["TTL", "h3"],
        ["SREM", "h3", "x"],
        ["SMEMBERS", "h2"],
        ["SADD", "ht-ints", "1", "x"],
        ["SREM", "ht-ints", "x"],
        ["COPY", "ht-ints", "ht-copy"],
        ["OBJECT", "ENCODING", "ht-copy"],
        ["COPY", "i2", "h2"],
        ["COPY", "i2", "h2", "REPLACE"],
        ["SMEMBERS", "h2"],
        ["TTL", "h2"],
        ["MOVE", "i2", "1"],
        ["EXISTS", "i2"],
        ["SELECT", "1"],
        ["SMEMBERS", "i2"],
        ["OBJECT", "ENCODING", "i2"],
        ["SADD", "i2", "5"],
        ["SELECT", "0"],
        ["COPY", "i3", "i2", "DB", "1"],
        ["COPY", "i3", "i2", "DB", "1", "REPLACE"],
        ["SELECT", "1"],
        ["SMEMBERS", "i2"],
        ["SELECT", "0"],
    ],
    "keyspace-expiry": [
        ["SADD", "s", "1", "2"],
        ["PEXPIRE", "s", "1000000"],
        ["SADD", "s", "3"],
        ["SREM", "s", "1"],
        ["SMOVE", "s", "t", "2"],
        ["TTL", "s"],
        ["TTL", "t"],
        ["SINTERSTORE", "s", "s"],
        ["TTL", "s"],
        ["SADD", "gone", "1", "2"],
        ["PEXPIREAT", "gone", "1"],
        ["EXISTS", "gone"],
        ["SMEMBERS", "gone"],
        ["SCARD", "gone"],
        ["SADD", "gone", "x"],
        ["TTL", "gone"],
        ["SMEMBERS", "gone"],
        ["SADD", "old", "1"],
        ["PEXPIREAT", "old", "1"],
        ["SUNION", "old", "gone"],
        ["SMOVE", "old", "gone", "1"],
        ["SINTERCARD", "1", "old"],
    ],
}

UNORDERED = {
    "keyspace-type-and-scan-type": [
        ["SADD", "st", "m"],
        ["SADD", "si", "1"],
        ["SET", "str", "v"],
        ["TYPE", "st"],
        ["TYPE", "si"],
        ["SCAN", "0", "TYPE", "set"],
        ["SCAN", "0", "TYPE", "SET", "MATCH", "si"],
        ["SCAN", "0", "TYPE", "string"],
    ],
    # hashtable sets: element order is each server's own
    "hashtable-algebra": [
        ["SADD", "a", "apple", "banana", "cherry", "1", "2"],
        ["SADD", "b", "banana", "cherry", "date", "2"],
        ["SADD", "c", "cherry", "2", "elder"],
        ["SMEMBERS", "a"],
        ["SINTER", "a", "b"],
        ["SINTER", "a", "b", "c"],
        ["SUNION", "a", "b", "c"],
        ["SUNION", "a", "missing"],
        ["SDIFF", "a", "b"],
        ["SDIFF", "a", "b", "c"],
        ["SDIFF", "b", "a", "missing"],
        ["SINTERSTORE", "i", "a", "b"],
        ["SMEMBERS", "i"],
        ["SUNIONSTORE", "u", "a", "b", "c"],
        ["SMEMBERS", "u"],
        ["SDIFFSTORE", "d", "a", "c"],
        ["SMEMBERS", "d"],
        ["OBJECT", "ENCODING", "d"],
    ],
    "hashtable-by-size": [
        ["SADD", "s"] + INTS_600,
        ["SMEMBERS", "s"],
        ["SINTER", "s", "s"],
        ["SADD", "few", "5", "599", "600"],
        ["SINTER", "s", "few"],
        ["SINTER", "few", "s"],
        ["SDIFF", "few", "s"],
        ["SUNION", "few"],
        ["SDIFFSTORE", "d", "s", "few"],
        ["OBJECT", "ENCODING", "d"],
        ["SCARD", "d"],
        ["SINTERCARD", "2", "s", "few", "LIMIT", "1"],
        ["SINTERCARD", "2", "s", "few"],
        ["SRANDMEMBER", "few", "3"],
        ["SPOP", "few", "3"],
    ],
    "hashtable-resp-set-of-strings": [
        ["SADD", "h", "x", "y", "z"],
        ["SMEMBERS", "h"],
        ["SPOP", "h", "0"],
        ["SUNION", "h", "missing"],
    ],
}


def _sort_scan_keys(argv, raw: bytes) -> bytes:
    """SCAN's (keyspace) reply with its key list sorted; anything else unchanged."""
    if argv[0].upper() != b"SCAN":
        return raw
    try:
        header, (cursor, keys) = elements(raw)
        keys_header, items = elements(keys)
    except (RespError, ValueError):
        return raw
    return header + cursor + keys_header + b"".join(sorted(items))


# -- random replies -----------------------------------------------------------------------------


def _members_of(*members: str):
    """A normaliser for SPOP/SRANDMEMBER: each element that is one of ``members`` becomes ``<m>``.

    The count is kept (the header), so the shape is compared; a reply naming anything else, or
    repeating an element where Redis never repeats (SPOP, SRANDMEMBER with a positive count), is
    left as it is, so it shows up as a mismatch."""
    known = {bulk(m) for m in members}
    placeholder = bulk("<m>")

    def normalise(argv, raw: bytes) -> bytes:
        name = argv[0].upper()
        if name not in (b"SPOP", b"SRANDMEMBER"):
            return raw
        if raw[:1] == b"$":
            return placeholder if raw in known else raw
        try:
            header, items = elements(raw)
        except RespError:
            return raw
        if not all(item in known for item in items):
            return raw
        repeats_allowed = name == b"SRANDMEMBER" and len(argv) > 2 and argv[2].startswith(b"-")
        if not repeats_allowed and len(set(items)) != len(items):
            return raw
        return header + placeholder * len(items)

    return normalise


SMALL_INTS = [str(i) for i in range(1, 11)]
WORDS = ["w%d" % i for i in range(20)]

RANDOM = {
    "spop-count-rebuilds-small-remainder": (INTS_600 + ["x"], [
        # hashtable by size; popping nearly all leaves a new set built from the survivors
        ["SADD", "big"] + INTS_600,
        ["OBJECT", "ENCODING", "big"],
        ["SPOP", "big", "590"],
        ["SCARD", "big"],
        ["OBJECT", "ENCODING", "big"],
        # popping a few keeps the set (and its encoding)
        ["SADD", "big2"] + INTS_600,
        ["SPOP", "big2", "10"],
        ["SCARD", "big2"],
        ["OBJECT", "ENCODING", "big2"],
        # hashtable of ints (a string came and went): few popped -> still hashtable
        ["SADD", "h", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x"],
        ["SREM", "h", "x"],
        ["SPOP", "h", "1"],
        ["OBJECT", "ENCODING", "h"],
        # ... most popped -> rebuilt as an intset
        ["SPOP", "h", "8"],
        ["SCARD", "h"],
        ["OBJECT", "ENCODING", "h"],
    ]),
    "spop-count-keeps-ttl": (SMALL_INTS + ["99"], [
        ["SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        ["EXPIRE", "s", "1000"],
        ["SPOP", "s", "1"],
        ["TTL", "s"],
        ["SPOP", "s", "8"],
        ["TTL", "s"],
        ["SPOP", "s"],
        ["TTL", "s"],
        ["SADD", "s", "99"],
        ["TTL", "s"],
        ["SREM", "s", "99"],
        ["TTL", "s"],
    ]),
    "srandmember-intset": (SMALL_INTS, [
        ["SADD", "s"] + SMALL_INTS,
        ["SRANDMEMBER", "s"],
        ["SRANDMEMBER", "s", "1"],
        ["SRANDMEMBER", "s", "3"],          # few: random picks
        ["SRANDMEMBER", "s", "9"],          # most: the whole set minus random ones
        ["SRANDMEMBER", "s", "-1"],
        ["SRANDMEMBER", "s", "-5"],
        ["SRANDMEMBER", "s", "-25"],
        ["SCARD", "s"],
        ["OBJECT", "ENCODING", "s"],
    ]),
    "srandmember-hashtable": (WORDS, [
        ["SADD", "s"] + WORDS,
        ["SRANDMEMBER", "s"],
        ["SRANDMEMBER", "s", "2"],
        ["SRANDMEMBER", "s", "19"],
        ["SRANDMEMBER", "s", "-40"],
        ["SCARD", "s"],
    ]),
    "spop-intset": (SMALL_INTS, [
        ["SADD", "s"] + SMALL_INTS,
        ["SPOP", "s"],
        ["SCARD", "s"],
        ["SPOP", "s", "1"],
        ["SPOP", "s", "2"],                 # few of many: random picks
        ["SCARD", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["SPOP", "s", "5"],                 # most: survivors rebuilt
        ["SCARD", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["SPOP", "s"],
        ["EXISTS", "s"],
        ["SPOP", "s"],
    ]),
    "spop-hashtable": (WORDS, [
        ["SADD", "s"] + WORDS,
        ["SPOP", "s"],
        ["SPOP", "s", "3"],
        ["SCARD", "s"],
        ["SPOP", "s", "15"],
        ["SCARD", "s"],
        ["OBJECT", "ENCODING", "s"],
        ["SPOP", "s", "1"],
        ["EXISTS", "s"],
    ]),
}


# -- skips for commands of other groups ------------------------------------------------------------

RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])


@RESP
@pytest.mark.parametrize("name", SCRIPTS)
def test_sets(pair, kvfake_server, name, resp):
    pair.check(SCRIPTS[name], resp=resp, name=name)


@RESP
@pytest.mark.parametrize("name", UNORDERED)
def test_sets_unordered(pair, kvfake_server, name, resp):
    script = UNORDERED[name]
    members = [a for argv in script if argv[0] == "SADD" for a in argv[2:]]
    pair.check(script, resp=resp, name=name, normalize=["sort-elements", _sort_scan_keys, _members_of(*members)])


@RESP
@pytest.mark.parametrize("name", RANDOM)
def test_sets_random(pair, name, resp):
    members, script = RANDOM[name]
    pair.check(script, resp=resp, name=name, normalize=_members_of(*members))


# -- set-max-intset-entries from CONFIG -------------------------------------------------------------

CONFIG_SCRIPT = [
    ["CONFIG", "SET", "set-max-intset-entries", "3"],
    ["SADD", "s", "1", "2", "3"],
    ["OBJECT", "ENCODING", "s"],
    ["SADD", "s", "4"],
    ["OBJECT", "ENCODING", "s"],
    ["SADD", "t", "1", "2"],
    ["CONFIG", "SET", "set-max-intset-entries", "1"],
    ["OBJECT", "ENCODING", "t"],           # a lower limit converts nothing by itself
    ["SADD", "t", "2"],
    ["OBJECT", "ENCODING", "t"],           # ... nor does an add that adds nothing
    ["SADD", "t", "3"],
    ["OBJECT", "ENCODING", "t"],
    ["SUNIONSTORE", "u", "missing", "s"],
    ["OBJECT", "ENCODING", "u"],
    ["SADD", "one", "1"],
    ["SUNIONSTORE", "u1", "one"],
    ["OBJECT", "ENCODING", "u1"],
    ["SINTERSTORE", "i", "s", "s"],
    ["OBJECT", "ENCODING", "i"],
    ["SMOVE", "one", "fresh", "1"],
    ["OBJECT", "ENCODING", "fresh"],
    ["CONFIG", "SET", "set-max-intset-entries", "0"],
    ["SADD", "z", "1"],
    ["OBJECT", "ENCODING", "z"],
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
]


def _restore_config(*servers) -> None:
    for server in servers:
        with RawConnection(server.host, server.port) as conn:
            conn.call("CONFIG", "SET", "set-max-intset-entries", "512")


def test_sets_max_intset_entries_follows_config(pair, redis_server, kvfake_server):
    try:
        pair.check(CONFIG_SCRIPT, name="config")
    finally:
        _restore_config(redis_server, kvfake_server)


# -- SSCAN by full iteration ---------------------------------------------------------------------------


def _sscan_all(server, key: str, options: list) -> list:
    """Every member one full SSCAN iteration returns (with repeats), on its own connection."""
    members: list = []
    with RawConnection(server.host, server.port) as conn:
        cursor = b"0"
        for _ in range(100_000):
            reply = decode(conn.call("SSCAN", key, cursor, *options))
            assert isinstance(reply, list) and len(reply) == 2, reply
            cursor, batch = reply
            members.extend(batch)
            if cursor == b"0":
                return members
    raise AssertionError("SSCAN did not finish")


WORDS_300 = ["member:%d" % i for i in range(300)] + ["", "\x00bin", "x" * 100]

FULL_SSCANS = {
    "default-count": (WORDS_300, []),
    "count-1": (WORDS_300, ["COUNT", "1"]),
    "count-7": (WORDS_300, ["COUNT", "7"]),
    "count-1000": (WORDS_300, ["COUNT", "1000"]),
    "match-prefix": (WORDS_300, ["MATCH", "member:1*"]),
    "match-class-count-3": (WORDS_300, ["MATCH", "member:[0-4]?", "COUNT", "3"]),
    "match-none": (WORDS_300, ["MATCH", "nothing*"]),
    "ints-by-size": (INTS_600, ["COUNT", "25"]),
    "small-hashtable-count-1": (["a", "b", "c"], ["COUNT", "1"]),
}


@pytest.mark.parametrize("name", FULL_SSCANS)
def test_sscan_full_iteration(pair, redis_server, kvfake_server, name):
    members, options = FULL_SSCANS[name]
    pair.reset()
    pair.step(["SADD", "s"] + members)
    pair.step(["OBJECT", "ENCODING", "s"])
    pair.close()
    expected = _sscan_all(redis_server, "s", options)
    got = _sscan_all(kvfake_server, "s", options)
    assert len(got) == len(set(got)), "kvfake returned a member twice in an unchanged set"
    assert sorted(set(got)) == sorted(set(expected))


def test_members_of_normaliser_checks_membership_and_repeats():
    norm = _members_of("a", "b")
    two = b"*2\r\n" + bulk("a") + bulk("b")
    assert norm([b"SPOP", b"s", b"2"], two) == b"*2\r\n" + bulk("<m>") * 2
    assert norm([b"SPOP", b"s"], bulk("a")) == bulk("<m>")
    stranger = b"*1\r\n" + bulk("z")
    assert norm([b"SPOP", b"s", b"1"], stranger) == stranger
    repeated = b"*2\r\n" + bulk("a") + bulk("a")
    assert norm([b"SRANDMEMBER", b"s", b"2"], repeated) == repeated
    assert norm([b"SRANDMEMBER", b"s", b"-2"], repeated) == b"*2\r\n" + bulk("<m>") * 2
    assert norm([b"SMEMBERS", b"s"], two) == two
