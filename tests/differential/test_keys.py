"""Differential scripts for the generic (keyspace) group: kvfake vs redis-server 7.0.15, raw bytes.

Every command of kvfake/commands/keys.py, its options and its error paths, in RESP2 and RESP3.
Scripts also use commands of other groups (RPUSH, SADD, HSET, CONFIG, DBSIZE...).

Unordered replies: KEYS is compared after sorting its elements; a SCAN that fits in one reply after
sorting its key list (``_sort_scan``).  Longer scans are compared by full iteration on each server
separately: the *sets* of keys collected must be equal (cursors and batch sizes legitimately differ).

Times: relative expiries are checked with TTL only (seconds, rounded: stable for ~300 ms), absolute
ones with EXPIRETIME/PEXPIRETIME; PTTL of a relative expiry is never compared.
"""

from __future__ import annotations

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import RespError, array, decode, elements

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"
YEAR_3000_MS = 32503680000000

SCRIPTS = {
    # -- DEL UNLINK EXISTS TOUCH TYPE ----------------------------------------------------
    "del-unlink": [
        ["SET", "a", "1"],
        ["SET", "b", "2"],
        ["SET", "c", "3"],
        ["DEL", "a", "b", "missing", "a"],
        ["EXISTS", "a", "b", "c"],
        ["UNLINK", "c", "c"],
        ["DEL", "c"],
        ["UNLINK", "missing"],
        ["SET", "", "empty key"],
        ["del", ""],
        ["DEL"],
        ["UNLINK"],
    ],
    "exists-touch-count-repeats": [
        ["SET", "a", "1"],
        ["EXISTS", "a"],
        ["EXISTS", "a", "a", "a", "missing"],
        ["EXISTS", "missing"],
        ["TOUCH", "a", "a", "missing"],
        ["TOUCH", "missing"],
        ["SET", b"k\x00\xff", "bin"],
        ["EXISTS", b"k\x00\xff", b"k\x00"],
        ["EXISTS"],
        ["TOUCH"],
    ],
    "type": [
        ["TYPE", "missing"],
        ["SET", "s", "v"],
        ["TYPE", "s"],
        ["SET", "n", "12"],
        ["TYPE", "n"],
        ["APPEND", "n", "3"],
        ["TYPE", "n"],
        ["TYPE"],
        ["TYPE", "s", "extra"],
    ],
    "type-aggregates": [
        ["RPUSH", "l", "a"],
        ["SADD", "st", "m"],
        ["HSET", "h", "f", "v"],
        ["TYPE", "l"],
        ["TYPE", "st"],
        ["TYPE", "h"],
    ],
    # -- RANDOMKEY ---------------------------------------------------------------------
    "randomkey": [
        ["RANDOMKEY"],
        ["SET", "only", "1"],
        ["RANDOMKEY"],
        ["DEL", "only"],
        ["RANDOMKEY"],
        ["SET", "gone", "1"],
        ["PEXPIREAT", "gone", "1"],
        ["RANDOMKEY"],
        ["RANDOMKEY", "extra"],
    ],
    # -- RENAME RENAMENX ---------------------------------------------------------------
    "rename": [
        ["RENAME", "missing", "x"],
        ["RENAME", "missing", "missing"],
        ["SET", "a", "1"],
        ["RENAME", "a", "a"],
        ["GET", "a"],
        ["RENAME", "a", "b"],
        ["EXISTS", "a"],
        ["GET", "b"],
        ["SET", "c", "3"],
        ["RENAME", "b", "c"],
        ["GET", "c"],
        ["EXISTS", "b"],
        ["RENAME", "c", b"\x00bin\xff"],
        ["GET", b"\x00bin\xff"],
        ["RENAME", "a"],
        ["RENAME", "a", "b", "c"],
    ],
    "rename-moves-ttl": [
        ["SET", "a", "1"],
        ["EXPIRE", "a", "100"],
        ["RENAME", "a", "b"],
        ["TTL", "b"],
        ["TTL", "a"],
        ["SET", "c", "1"],
        ["EXPIRE", "c", "500"],
        ["RENAME", "b", "c"],  # the target's own TTL is replaced by the source's
        ["TTL", "c"],
        ["SET", "p", "1"],
        ["SET", "q", "1"],
        ["EXPIRE", "q", "100"],
        ["RENAME", "p", "q"],  # a source without TTL clears the target's
        ["TTL", "q"],
        ["PEXPIREAT", "q", YEAR_3000_MS + 123],
        ["RENAME", "q", "r"],
        ["PEXPIRETIME", "r"],
    ],
    "renamenx": [
        ["RENAMENX", "missing", "x"],
        ["RENAMENX", "missing", "missing"],
        ["SET", "a", "1"],
        ["RENAMENX", "a", "a"],
        ["SET", "b", "2"],
        ["RENAMENX", "a", "b"],
        ["GET", "a"],
        ["GET", "b"],
        ["EXPIRE", "a", "100"],
        ["RENAMENX", "a", "c"],
        ["TTL", "c"],
        ["EXISTS", "a"],
        ["RENAMENX", "a"],
    ],
    # -- COPY ----------------------------------------------------------------------------
    "copy": [
        ["COPY", "missing", "x"],
        ["SET", "a", "1"],
        ["COPY", "a", "a"],
        ["COPY", "a", "a", "DB", "0"],
        ["COPY", "a", "b"],
        ["GET", "b"],
        ["COPY", "a", "b"],
        ["SET", "a", "2"],
        ["COPY", "a", "b", "REPLACE"],
        ["GET", "b"],
        ["COPY", "a", "b", "replace", "REPLACE"],
        ["COPY", "missing", "b", "REPLACE"],
        ["GET", "b"],
        ["COPY", "a"],
    ],
    "copy-options": [
        ["SET", "a", "1"],
        ["COPY", "a", "b", "DB"],
        ["COPY", "a", "b", "DB", "abc"],
        ["COPY", "a", "b", "DB", "16"],
        ["COPY", "a", "b", "DB", "-1"],
        ["COPY", "a", "b", "DB", "2147483648"],
        ["COPY", "a", "b", "DB", "-2147483649"],
        ["COPY", "a", "b", "DB", "01"],
        ["COPY", "a", "b", "FOO"],
        ["COPY", "a", "b", b"REPLACE\x00x"],
        ["COPY", "a", "c", b"db\x00", "1"],
        ["COPY", "a", "c", b"\x00db", "1"],
        ["COPY", "a", "b", "DB", "1", "FOO"],
        ["COPY", "a", "b", "DB", "1", "DB"],
        ["COPY", "a", "b", "DB", "99", "FOO"],
        ["COPY", "missing", "x", "DB", "99"],
        ["COPY", "a", "a", "DB", "abc"],
        ["COPY", "a", "a", "REPLACE", "FOO"],
        ["EXISTS", "b"],
    ],
    "copy-other-db": [
        ["SET", "a", "1"],
        ["EXPIRE", "a", "100"],
        ["COPY", "a", "a", "DB", "1"],
        ["COPY", "a", "b", "db", "1", "DB", "2"],
        ["SELECT", "1"],
        ["EXISTS", "a", "b"],
        ["TTL", "a"],
        ["SET", "a", "other"],
        ["SELECT", "0"],
        ["COPY", "a", "a", "DB", "1"],
        ["COPY", "a", "a", "DB", "1", "REPLACE"],
        ["SELECT", "2"],
        ["GET", "b"],
        ["TTL", "b"],
        ["SELECT", "1"],
        ["GET", "a"],
        ["TTL", "a"],
    ],
    "copy-encodings": [
        ["SET", "int", "12345"],
        ["SET", "emb", "hello"],
        ["SET", "raw", "x" * 45],
        ["SET", "app", "ab"],
        ["APPEND", "app", "c"],
        ["COPY", "int", "int2"],
        ["COPY", "emb", "emb2"],
        ["COPY", "raw", "raw2"],
        ["COPY", "app", "app2"],
        ["OBJECT", "ENCODING", "int2"],
        ["OBJECT", "ENCODING", "emb2"],
        ["OBJECT", "ENCODING", "raw2"],
        ["OBJECT", "ENCODING", "app2"],
        ["GET", "app2"],
    ],
    "copy-aggregates-are-independent": [
        ["RPUSH", "l", "a", "b"],
        ["COPY", "l", "l2"],
        ["RPUSH", "l2", "c"],
        ["LRANGE", "l", "0", "-1"],
        ["LRANGE", "l2", "0", "-1"],
        ["SADD", "s", "1", "2"],
        ["COPY", "s", "s2"],
        ["SADD", "s2", "3"],
        ["SMEMBERS", "s"],
        ["SMEMBERS", "s2"],
        ["OBJECT", "ENCODING", "s2"],
        ["SADD", "t", "x"],
        ["COPY", "t", "t2"],
        ["OBJECT", "ENCODING", "t2"],
        ["HSET", "h", "f", "v"],
        ["COPY", "h", "h2"],
        ["HSET", "h2", "g", "w"],
        ["HGETALL", "h"],
        ["OBJECT", "ENCODING", "h2"],
        ["TYPE", "h2"],
    ],
    # -- MOVE ----------------------------------------------------------------------------
    "move": [
        ["MOVE", "missing", "1"],
        ["MOVE", "missing", "0"],
        ["SET", "a", "1"],
        ["MOVE", "a", "0"],
        ["MOVE", "a", "abc"],
        ["MOVE", "a", "16"],
        ["MOVE", "a", "-1"],
        ["MOVE", "a", "2147483648"],
        ["MOVE", "a", "01"],
        ["EXPIRE", "a", "100"],
        ["MOVE", "a", "1"],
        ["EXISTS", "a"],
        ["SET", "a", "again"],
        ["MOVE", "a", "1"],  # already in db 1: not moved
        ["GET", "a"],
        ["SELECT", "1"],
        ["GET", "a"],
        ["TTL", "a"],
        ["MOVE", "a", "0"],
        ["MOVE", "a", "2"],
        ["SELECT", "2"],
        ["TTL", "a"],
        ["MOVE", "a"],
        ["MOVE", "a", "1", "2"],
    ],
    # -- EXPIRE PEXPIRE EXPIREAT PEXPIREAT ------------------------------------------------
    "expire-basic": [
        ["EXPIRE", "missing", "10"],
        ["SET", "k", "v"],
        ["TTL", "k"],
        ["EXPIRE", "k", "100"],
        ["TTL", "k"],
        ["PEXPIRE", "k", "200000"],
        ["TTL", "k"],
        ["EXPIREAT", "k", "32503680000"],
        ["EXPIRETIME", "k"],
        ["PEXPIRETIME", "k"],
        ["PEXPIREAT", "k", YEAR_3000_MS + 1],
        ["PEXPIRETIME", "k"],
        ["EXPIRETIME", "k"],
        ["SET", "k", "v"],  # SET clears the TTL
        ["TTL", "k"],
        ["expire", "k", "100"],
        ["TTL", "k"],
    ],
    "expire-past-deletes": [
        ["SET", "a", "v"],
        ["EXPIRE", "a", "-1"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["EXPIRE", "a", "0"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["PEXPIRE", "a", "0"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["PEXPIREAT", "a", "0"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["EXPIREAT", "a", "1"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["EXPIREAT", "a", "-100"],
        ["EXISTS", "a"],
        ["SET", "a", "v"],
        ["PEXPIREAT", "a", INT64_MIN],
        ["EXISTS", "a"],
        ["EXPIRE", "a", "-1"],
        ["EXPIREAT", "missing", "0"],
    ],
    "expire-nx-xx-gt-lt": [
        # relative times differ widely (a millisecond may pass between two commands);
        # equal expiries are compared with absolute times
        ["SET", "k", "v"],
        ["EXPIRE", "k", "100", "XX"],  # no TTL: XX fails
        ["EXPIRE", "k", "100", "GT"],  # no TTL is infinite: GT fails
        ["TTL", "k"],
        ["EXPIRE", "k", "100", "LT"],  # ...and LT succeeds
        ["TTL", "k"],
        ["EXPIRE", "k", "200", "NX"],
        ["EXPIRE", "k", "50", "GT"],
        ["EXPIRE", "k", "200", "GT"],
        ["TTL", "k"],
        ["EXPIRE", "k", "300", "LT"],
        ["EXPIRE", "k", "150", "LT"],
        ["TTL", "k"],
        ["EXPIRE", "k", "400", "XX"],
        ["TTL", "k"],
        ["EXPIRE", "k", "500", "xx", "gt"],
        ["EXPIRE", "k", "100", "XX", "GT"],
        ["EXPIRE", "k", "100", "lt", "xx"],
        ["TTL", "k"],
        ["EXPIRE", "k", "50", "GT", "GT"],
        ["EXPIRE", "k", "600", "NX", "NX"],
        ["PERSIST", "k"],
        ["EXPIRE", "k", "600", "NX", "NX"],
        ["TTL", "k"],
        ["EXPIREAT", "k", "32503680000"],
        ["EXPIREAT", "k", "32503680000", "GT"],  # equal is not greater
        ["PEXPIREAT", "k", YEAR_3000_MS, "LT"],  # nor less
        ["PEXPIREAT", "k", YEAR_3000_MS + 1, "GT"],
        ["PEXPIREAT", "k", YEAR_3000_MS, "LT"],
        ["PEXPIRETIME", "k"],
        ["EXPIRE", "missing", "100", "NX"],
        ["EXPIRE", "missing", "100", "LT"],
    ],
    "expire-option-conflicts": [
        ["SET", "k", "v"],
        ["EXPIRE", "k", "100", "NX", "XX"],
        ["EXPIRE", "k", "100", "NX", "GT"],
        ["EXPIRE", "k", "100", "LT", "NX"],
        ["EXPIRE", "k", "100", "GT", "LT"],
        ["EXPIRE", "k", "100", "LT", "GT"],
        ["EXPIRE", "k", "100", "NX", "GT", "LT"],
        ["EXPIRE", "k", "100", "XX", "GT", "LT"],
        ["EXPIRE", "k", "100", "FOO"],
        ["EXPIRE", "k", "100", "NX", "XX", "FOO"],  # every option is read before the checks
        ["EXPIRE", "k", "100", b"F\x00OO"],
        ["EXPIRE", "k", "100", b"nx\x00zz", "XX"],  # a C string: "nx\0zz" is NX
        ["EXPIRE", "k", "100", b"\x00NX"],
        ["EXPIRE", "k", "abc", "NX", "XX"],  # options before the number
        ["EXPIRE", "k", "abc", "BAR"],
        ["EXPIRE", "missing", "abc"],
        ["EXPIRE", "missing", "100", "BAR"],
        ["PEXPIRE", "k", "100", "FOO"],
        ["EXPIREAT", "k", "100", "GT", "LT"],
        ["PEXPIREAT", "k", "100", "NX", "LT"],
        ["TTL", "k"],
        ["EXPIRE", "k"],
        ["PEXPIREAT", "k"],
    ],
    "expire-bad-numbers": [
        ["SET", "k", "v"],
        ["EXPIRE", "k", "abc"],
        ["EXPIRE", "k", ""],
        ["EXPIRE", "k", " 10"],
        ["EXPIRE", "k", "10 "],
        ["EXPIRE", "k", "+10"],
        ["EXPIRE", "k", "010"],
        ["EXPIRE", "k", "1.5"],
        ["EXPIRE", "k", "-0"],
        ["PEXPIRE", "k", "9223372036854775808"],
        ["EXPIREAT", "k", "1e3"],
        ["PEXPIREAT", "k", "0x10"],
        ["TTL", "k"],
    ],
    "expire-overflow": [
        ["SET", "k", "v"],
        ["EXPIRE", "k", "9223372036854775"],  # fits *1000 but not + now
        ["EXPIRE", "k", "9223372036854776"],
        ["EXPIRE", "k", "-9223372036854776"],
        ["EXPIRE", "k", INT64_MAX],
        ["EXPIRE", "k", INT64_MIN],
        ["PEXPIRE", "k", INT64_MAX],
        ["PEXPIRE", "k", "9223372036854775806"],
        ["EXPIREAT", "k", "9223372036854776"],
        ["EXPIREAT", "k", INT64_MAX],
        ["TTL", "k"],
        ["EXPIREAT", "k", "9223372036854775"],
        ["EXPIRETIME", "k"],
        ["PEXPIRETIME", "k"],
        ["PEXPIREAT", "k", INT64_MAX],
        ["EXPIRETIME", "k"],  # (ms + 500) / 1000 past INT64_MAX
        ["PEXPIRETIME", "k"],
        ["EXPIRE", "missing", "9223372036854776"],  # overflow checked before the key
        ["EXPIRE", "k", "-9223372036854775"],
        ["EXISTS", "k"],
        ["SET", "k", "v"],
        ["PEXPIRE", "k", INT64_MIN],
        ["EXISTS", "k"],
    ],
    "expire-past-with-options": [
        ["SET", "k", "v"],
        ["EXPIRE", "k", "-5", "GT"],  # no TTL is infinite: GT fails, key kept
        ["EXISTS", "k"],
        ["EXPIRE", "k", "-5", "XX"],
        ["EXISTS", "k"],
        ["EXPIRE", "k", "-5", "LT"],  # passes LT, then the past time deletes
        ["EXISTS", "k"],
        ["SET", "k", "v"],
        ["EXPIRE", "k", "100"],
        ["PEXPIREAT", "k", "0", "GT"],
        ["EXISTS", "k"],
        ["PEXPIREAT", "k", "0", "NX"],
        ["PEXPIREAT", "k", "0", "XX"],
        ["EXISTS", "k"],
    ],
    # -- TTL PTTL EXPIRETIME PEXPIRETIME PERSIST -------------------------------------------
    "ttl-family": [
        ["TTL", "missing"],
        ["PTTL", "missing"],
        ["EXPIRETIME", "missing"],
        ["PEXPIRETIME", "missing"],
        ["SET", "k", "v"],
        ["TTL", "k"],
        ["PTTL", "k"],
        ["EXPIRETIME", "k"],
        ["PEXPIRETIME", "k"],
        ["PEXPIRE", "k", "1800"],
        ["TTL", "k"],  # rounded: 1.8 s is 2
        ["PEXPIRE", "k", "1200"],
        ["TTL", "k"],
        ["PEXPIREAT", "k", YEAR_3000_MS + 499],
        ["EXPIRETIME", "k"],  # rounded too
        ["PEXPIRETIME", "k"],
        ["PEXPIREAT", "k", YEAR_3000_MS + 500],
        ["EXPIRETIME", "k"],
        ["TTL"],
        ["PTTL", "k", "x"],
        ["EXPIRETIME"],
        ["PEXPIRETIME", "a", "b"],
    ],
    "persist": [
        ["PERSIST", "missing"],
        ["SET", "k", "v"],
        ["PERSIST", "k"],
        ["EXPIRE", "k", "100"],
        ["PERSIST", "k"],
        ["TTL", "k"],
        ["PERSIST", "k"],
        ["PERSIST"],
        ["PERSIST", "k", "x"],
    ],
    # -- OBJECT ----------------------------------------------------------------------------
    "object": [
        ["OBJECT", "HELP"],
        ["object", "help"],
        ["OBJECT"],
        ["OBJECT", "FOO"],
        ["OBJECT", "FOO", "k"],
        ["OBJECT", "ENCODING"],
        ["OBJECT", "ENCODING", "k", "extra"],
        ["OBJECT", "HELP", "x"],
        ["OBJECT", "ENCODING", "missing"],
        ["OBJECT", "REFCOUNT", "missing"],
        ["OBJECT", "IDLETIME", "missing"],
        ["OBJECT", "FREQ", "missing"],
        ["SET", "k", "v"],
        ["OBJECT", "FREQ", "k"],
        ["OBJECT", "IDLETIME", "k"],
        ["OBJECT", "REFCOUNT", "k"],
    ],
    "object-encoding-strings": [
        ["SET", "int", "12345"],
        ["SET", "neg", "-9223372036854775808"],
        ["SET", "big", "9223372036854775808"],
        ["SET", "lead0", "0123"],
        ["SET", "emb", "x" * 44],
        ["SET", "raw", "x" * 45],
        ["SET", "app", "12"],
        ["APPEND", "app", "3"],
        ["OBJECT", "ENCODING", "int"],
        ["OBJECT", "ENCODING", "neg"],
        ["OBJECT", "ENCODING", "big"],
        ["OBJECT", "ENCODING", "lead0"],
        ["OBJECT", "ENCODING", "emb"],
        ["OBJECT", "ENCODING", "raw"],
        ["OBJECT", "ENCODING", "app"],
        ["object", "encoding", "int"],
    ],
    "object-encoding-aggregates": [
        ["RPUSH", "l", "a"],
        ["SADD", "ints", "1", "2"],
        ["SADD", "strs", "a"],
        ["HSET", "h", "f", "v"],
        ["HSET", "hbig", "f", "x" * 65],
        ["OBJECT", "ENCODING", "l"],
        ["OBJECT", "ENCODING", "ints"],
        ["OBJECT", "ENCODING", "strs"],
        ["OBJECT", "ENCODING", "h"],
        ["OBJECT", "ENCODING", "hbig"],
        ["OBJECT", "REFCOUNT", "l"],
    ],
    "object-refcount": [
        ["SET", "zero", "0"],
        ["SET", "shared", "9999"],
        ["SET", "unshared", "10000"],
        ["SET", "negative", "-1"],
        ["SET", "text", "abc"],
        ["OBJECT", "REFCOUNT", "zero"],
        ["OBJECT", "REFCOUNT", "shared"],
        ["OBJECT", "REFCOUNT", "unshared"],
        ["OBJECT", "REFCOUNT", "negative"],
        ["OBJECT", "REFCOUNT", "text"],
    ],
    "object-lfu": [
        # keys are created after the policy changes: Redis reinterprets the LRU/LFU field of
        # older keys ("switching between policies at runtime..."), which no fake can follow
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["SET", "k", "v"],
        ["OBJECT", "FREQ", "k"],
        ["OBJECT", "IDLETIME", "k"],
        ["OBJECT", "FREQ", "missing"],
        ["OBJECT", "IDLETIME", "missing"],
        ["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
        ["OBJECT", "IDLETIME", "k"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        ["OBJECT", "FREQ", "k"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ["OBJECT", "FREQ", "k"],
        ["OBJECT", "REFCOUNT", "k"],
    ],
    # -- SCAN errors and cursors ------------------------------------------------------------
    "scan-cursor-parsing": [
        ["SET", "k", "v"],
        ["SCAN", "abc"],
        ["SCAN", " 0"],
        ["SCAN", "0 "],
        ["SCAN", "1.5"],
        ["SCAN", "0x10"],
        ["SCAN", "+"],
        ["SCAN", "-"],
        ["SCAN", "18446744073709551616"],
        ["SCAN", "-18446744073709551616"],
        ["SCAN", "99999999999999999999999"],
        ["SCAN", "abc", "COUNT", "0"],  # the cursor is read first
        ["SCAN", ""],
        ["SCAN", "00"],
        ["SCAN", "-0"],
        ["SCAN", "+0"],
        ["SCAN", b"\x00"],
        ["SCAN", b"0\x00junk"],
    ],
    "scan-options": [
        ["SET", "k", "v"],
        ["SCAN", "0", "COUNT", "0"],
        ["SCAN", "0", "COUNT", "-1"],
        ["SCAN", "0", "COUNT", "abc"],
        ["SCAN", "0", "COUNT", "1.5"],
        ["SCAN", "0", "COUNT", "9223372036854775808"],
        ["SCAN", "0", "COUNT"],
        ["SCAN", "0", "MATCH"],
        ["SCAN", "0", "TYPE"],
        ["SCAN", "0", "FOO"],
        ["SCAN", "0", "FOO", "bar"],
        ["SCAN", "0", "COUNT", "5", "COUNT", "0"],
        ["SCAN", "0", "COUNT", "5", "MATCH"],
        ["SCAN", "0", "count", "100", "match", "k", "type", "string"],
        ["SCAN", "0", "MATCH", "*", "MATCH", "x*"],  # the last one wins
        ["SCAN", "0", "TYPE", "hash", "TYPE", "string"],
        ["SCAN", "0", "TYPE", "STRING"],
        ["SCAN", "0", "TYPE", "String"],
        ["SCAN", "0", "TYPE", "nosuchtype"],  # redis 7.0: no error, nothing matches
        ["SCAN", "0", "TYPE", "none"],
        ["SCAN", "0", "COUNT", INT64_MAX],
        # option names and the type are C strings to redis: compared up to a NUL byte
        ["SCAN", "0", b"count\x00x", "5"],
        ["SCAN", "0", b"MATCH\x00", "k"],
        ["SCAN", "0", "TYPE", b"string\x00x"],
        ["SCAN", "0", b"\x00count", "5"],
        ["SCAN"],
    ],
    "scan-small-keyspace": [
        ["SCAN", "0"],
        ["SET", "", "empty key"],
        ["SET", "a", "1"],
        ["SET", "b", "2"],
        ["SET", b"\xff\x00", "3"],
        ["SCAN", "0"],
        ["SCAN", "0", "MATCH", "*"],
        ["SCAN", "0", "MATCH", "?"],
        ["SCAN", "0", "MATCH", "[a-b]"],
        ["SCAN", "0", "MATCH", b"\xff*"],
        ["SCAN", "0", "MATCH", "nothing"],
        ["SCAN", "0", "TYPE", "string", "COUNT", "100"],
        ["SCAN", "0", "TYPE", "list"],
        ["SELECT", "1"],
        ["SCAN", "0"],
    ],
    # -- KEYS ----------------------------------------------------------------------------------
    "keys": [
        ["KEYS", "*"],
        ["SET", "", "empty"],
        ["SET", "hello", "1"],
        ["SET", "hallo", "1"],
        ["SET", "hxllo", "1"],
        ["SET", "heeeello", "1"],
        ["SET", "h\\llo", "1"],
        ["SET", b"bin\x00\xff", "1"],
        ["KEYS", "*"],
        ["KEYS", "h?llo"],
        ["KEYS", "h*llo"],
        ["KEYS", "h[ae]llo"],
        ["KEYS", "h[^e]llo"],
        ["KEYS", "h[a-b]llo"],
        ["KEYS", "h\\\\llo"],
        ["KEYS", "h\\?llo"],
        ["KEYS", ""],
        ["KEYS", "?"],
        ["KEYS", "**"],
        ["KEYS", b"bin\x00*"],
        ["KEYS", "nomatch"],
        ["SET", "gone", "1"],
        ["PEXPIREAT", "gone", "1"],
        ["KEYS", "g*"],
        ["KEYS"],
        ["KEYS", "a", "b"],
    ],
}

def _sort_scan(argv, raw: bytes) -> bytes:
    """SCAN's reply with its key list sorted; KEYS sorted; anything else unchanged."""
    name = argv[0].upper()
    try:
        if name == b"KEYS":
            header, items = elements(raw)
            return header + b"".join(sorted(items))
        if name == b"SCAN":
            header, (cursor, keys) = elements(raw)
            keys_header, items = elements(keys)
            return header + cursor + keys_header + b"".join(sorted(items))
    except (RespError, ValueError):
        pass
    return raw


RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])


@RESP
@pytest.mark.parametrize("name", SCRIPTS)
def test_keys(pair, kvfake_server, name, resp):
    pair.check(SCRIPTS[name], resp=resp, name=name, normalize=[_sort_scan, "sort-elements", "sort-pairs"])


# -- SCAN by full iteration ------------------------------------------------------------------

def _scan_all(server, options: list, *, db: int = 0) -> list:
    """Every key one full SCAN iteration returns (with repeats), on its own connection."""
    keys: list = []
    with RawConnection(server.host, server.port) as conn:
        assert conn.call("SELECT", str(db)) == b"+OK\r\n"
        cursor = b"0"
        for _ in range(100_000):
            reply = decode(conn.call("SCAN", cursor, *options))
            assert isinstance(reply, list) and len(reply) == 2, reply
            cursor, batch = reply
            keys.extend(batch)
            if cursor == b"0":
                return keys
    raise AssertionError("SCAN did not finish")


STRING_KEYS = [["SET", f"user:{i}", str(i)] for i in range(120)] + [
    ["SET", f"item:{i}", "x" * i] for i in range(0, 200, 3)
] + [["SET", "", "empty"], ["SET", b"\xff\x00bin", "b"]]

AGGREGATE_KEYS = [["RPUSH", f"list:{i}", "a"] for i in range(15)] + [
    ["SADD", f"set:{i}", "m"] for i in range(15)
] + [["HSET", f"hash:{i}", "f", "v"] for i in range(15)]

FULL_SCANS = {
    "default-count": (STRING_KEYS, []),
    "count-1": (STRING_KEYS, ["COUNT", "1"]),
    "count-7": (STRING_KEYS, ["COUNT", "7"]),
    "count-1000": (STRING_KEYS, ["COUNT", "1000"]),
    "match-prefix": (STRING_KEYS, ["MATCH", "user:1*"]),
    "match-class-count-3": (STRING_KEYS, ["MATCH", "item:[0-4]?", "COUNT", "3"]),
    "match-none": (STRING_KEYS, ["MATCH", "nothing*"]),
    "match-star": (STRING_KEYS, ["MATCH", "*", "COUNT", "50"]),
    "type-string": (STRING_KEYS, ["TYPE", "string"]),
    "type-none": (STRING_KEYS, ["TYPE", "none", "COUNT", "20"]),
    "mixed-type-list": (STRING_KEYS + AGGREGATE_KEYS, ["TYPE", "list"]),
    "mixed-type-set-count-2": (STRING_KEYS + AGGREGATE_KEYS, ["TYPE", "SET", "COUNT", "2"]),
    "mixed-type-hash-match": (STRING_KEYS + AGGREGATE_KEYS, ["TYPE", "hash", "MATCH", "hash:1*"]),
    "mixed-type-string": (STRING_KEYS + AGGREGATE_KEYS, ["TYPE", "string", "COUNT", "9"]),
}


@pytest.mark.parametrize("name", FULL_SCANS)
def test_scan_full_iteration(pair, redis_server, kvfake_server, name):
    setup, options = FULL_SCANS[name]
    pair.reset()
    for argv in setup:
        pair.step(argv)
    pair.close()
    expected = _scan_all(redis_server, options)
    got = _scan_all(kvfake_server, options)
    assert len(got) == len(set(got)), "kvfake returned a key twice in an unchanged keyspace"
    assert sorted(set(got)) == sorted(set(expected))


def test_scan_full_iteration_in_other_db(pair, redis_server, kvfake_server):
    pair.reset()
    pair.step(["SELECT", "3"])
    for i in range(40):
        pair.step(["SET", f"k{i}", "v"])
    pair.close()
    for db, options in ((3, ["COUNT", "4"]), (0, [])):
        assert sorted(set(_scan_all(kvfake_server, options, db=db))) == sorted(
            set(_scan_all(redis_server, options, db=db)))


def test_scan_normaliser_sorts_only_the_key_list():
    raw = array(b"$2\r\n17\r\n", array(b"$1\r\nb\r\n", b"$1\r\na\r\n"))
    assert _sort_scan([b"SCAN", b"0"], raw) == array(b"$2\r\n17\r\n", array(b"$1\r\na\r\n", b"$1\r\nb\r\n"))
    assert _sort_scan([b"SCAN", b"0"], b"-ERR invalid cursor\r\n") == b"-ERR invalid cursor\r\n"
    assert _sort_scan([b"GET", b"k"], raw) == raw
