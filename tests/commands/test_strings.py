"""String commands through the in-process harness (raw reply bytes), plus redis-py end to end.

Expected texts and shapes were checked against redis-server 7.0.15; tests/differential/test_strings.py
compares the same behaviours with the real server byte for byte.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from kvfake.store.values import List, RawString, SdsString, string_encoding
from tests.support.harness import START, Harness
from tests.support.resp import (
    NIL,
    OK,
    array,
    bulk,
    error,
    integer,
    map_,
    null,
)

NOW_MS = START * 1000
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = error("ERR syntax error")
NOT_INT = error("ERR value is not an integer or out of range")
NOT_FLOAT = error("ERR value is not a valid float")
OVERFLOW = error("ERR increment or decrement would overflow")
TOO_BIG = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")


def bad_expire(cmd: str) -> bytes:
    return error(f"ERR invalid expire time in '{cmd}' command")


# -- helpers ------------------------------------------------------------------


def stored(h, key: bytes):
    """The value object kept under ``key`` in db 0 (None if absent), read under the lock."""
    with h.store.locked() as s:
        return s.dbs[0].lookup(key)


def expire_at(h, key: bytes):
    with h.store.locked() as s:
        return s.dbs[0].get_expire(key)


def make_list(h, key: bytes = b"l") -> None:
    with h.store.locked() as s:
        s.dbs[0].set_value(key, List([b"x"]))


def set_limit(h, n: int) -> None:
    h.dispatcher.config.set(b"proto-max-bulk-len", b"%d" % n)


# -- GET / SET ----------------------------------------------------------------


def test_get_missing_is_null(h):
    assert h.do(b"GET", b"nokey") == NIL


def test_get_returns_what_set_stored(h):
    assert h.do(b"SET", b"k\x00\xff", b"\r\n\x00v") == OK
    assert h.do(b"GET", b"k\x00\xff") == bulk(b"\r\n\x00v")


def test_get_wrong_type(h):
    make_list(h)
    assert h.do(b"GET", b"l") == WRONGTYPE


def test_get_null_in_resp3(h):
    h.session.protover = 3
    assert h.do(b"GET", b"nokey") == null()


def test_set_overwrites_any_type(h):
    make_list(h)
    assert h.do(b"SET", b"l", b"v") == OK
    assert h.do(b"GET", b"l") == bulk(b"v")


def test_set_drops_ttl(h):
    h.do(b"SET", b"k", b"v", b"EX", b"100")
    h.do(b"SET", b"k", b"w")
    assert expire_at(h, b"k") is None


def test_set_keepttl_keeps_ttl(h):
    h.do(b"SET", b"k", b"v", b"EX", b"100")
    assert h.do(b"SET", b"k", b"w", b"KEEPTTL") == OK
    assert expire_at(h, b"k") == NOW_MS + 100_000
    assert h.do(b"GET", b"k") == bulk(b"w")


@pytest.mark.parametrize(
    "option, value, when",
    [
        (b"EX", b"10", NOW_MS + 10_000),
        (b"PX", b"1500", NOW_MS + 1_500),
        (b"EXAT", b"2000000000", 2_000_000_000_000),
        (b"PXAT", b"2000000000123", 2_000_000_000_123),
        (b"exat", b"9223372036854775", 9223372036854775000),
        (b"PXAT", b"9223372036854775807", INT64_MAX),
    ],
    ids=["ex", "px", "exat", "pxat", "exat-largest-seconds", "pxat-int64-max"],
)
def test_set_expire_options_set_absolute_ms(h, option, value, when):
    assert h.do(b"SET", b"k", b"v", option, value) == OK
    assert expire_at(h, b"k") == when


def test_set_ex_largest_seconds_overflows_with_now(h):
    # 9223372036854775 s is 9223372036854775000 ms; adding "now" passes INT64_MAX.
    assert h.do(b"SET", b"k", b"v", b"EX", b"9223372036854775") == bad_expire("set")


def test_set_px_expires_exactly_on_time(h):
    h.do(b"SET", b"k", b"v", b"PX", b"1500")
    h.clock.advance(1.5)
    assert h.do(b"GET", b"k") == bulk(b"v")  # redis 7.0: still there at now == when
    assert h.do(b"PTTL", b"k") == integer(0)
    h.clock.advance(0.001)
    assert h.do(b"GET", b"k") == NIL


def test_set_past_absolute_time_makes_key_vanish(h):
    assert h.do(b"SET", b"k", b"v", b"PXAT", b"1") == OK
    assert h.do(b"GET", b"k") == NIL


def test_set_same_expire_option_twice_last_wins(h):
    assert h.do(b"SET", b"k", b"v", b"EX", b"10", b"EX", b"20") == OK
    assert expire_at(h, b"k") == NOW_MS + 20_000


SET_CONDITIONS = [
    # (existing value or None, options, reply, value afterwards)
    (None, [b"NX"], OK, b"new"),
    (b"old", [b"NX"], NIL, b"old"),
    (None, [b"XX"], NIL, None),
    (b"old", [b"XX"], OK, b"new"),
    (b"old", [b"nx", b"NX"], NIL, b"old"),
    (None, [b"GET"], NIL, b"new"),
    (b"old", [b"GET"], bulk(b"old"), b"new"),
    (b"old", [b"GET", b"GET"], bulk(b"old"), b"new"),
    (b"old", [b"NX", b"GET"], bulk(b"old"), b"old"),
    (None, [b"NX", b"GET"], NIL, b"new"),
    (None, [b"GET", b"XX"], NIL, None),
    (b"old", [b"XX", b"GET"], bulk(b"old"), b"new"),
]


@pytest.mark.parametrize(
    "existing, options, reply, after",
    SET_CONDITIONS,
    ids=[
        "nx-missing", "nx-existing", "xx-missing", "xx-existing", "nx-twice",
        "get-missing", "get-existing", "get-twice", "nx-get-existing", "nx-get-missing",
        "get-xx-missing", "xx-get-existing",
    ],
)
def test_set_conditions_and_get(h, existing, options, reply, after):
    if existing is not None:
        h.do(b"SET", b"k", existing)
    assert h.do(b"SET", b"k", b"new", *options) == reply
    assert h.do(b"GET", b"k") == (NIL if after is None else bulk(after))


SET_SYNTAX_ERRORS = [
    [b"NX", b"XX"],
    [b"XX", b"NX"],
    [b"EX"],
    [b"PXAT"],
    [b"EX", b"10", b"PX", b"10"],
    [b"EXAT", b"10", b"PXAT", b"10"],
    [b"EX", b"10", b"KEEPTTL"],
    [b"KEEPTTL", b"PX", b"10"],
    [b"PERSIST"],
    [b"FOO"],
    [b""],
    [b"NXX"],
    [b"N\x00X"],
    [b"10"],
    [b"EX", b"0", b"FOO"],  # the whole line is parsed before the time is checked
]


@pytest.mark.parametrize("options", SET_SYNTAX_ERRORS, ids=lambda o: b" ".join(o).decode("latin-1") or "empty")
def test_set_syntax_errors(h, options):
    assert h.do(b"SET", b"k", b"v", *options) == SYNTAX
    assert h.do(b"GET", b"k") == NIL


@pytest.mark.parametrize(
    "options, reply, when",
    [
        ([b"NX\x00zz"], OK, None),
        ([b"KEEPTTL\x00"], OK, None),
        ([b"EX\x00", b"100"], OK, NOW_MS + 100_000),
        ([b"GeT\x00x"], NIL, None),
    ],
    ids=["nx", "keepttl", "ex", "get"],
)
def test_set_options_compare_as_c_strings(h, options, reply, when):
    # redis 7.0.15: option tokens are read up to their first NUL byte.
    assert h.do(b"SET", b"k", b"v", *options) == reply
    assert h.do(b"GET", b"k") == bulk(b"v")
    assert expire_at(h, b"k") == when


SET_EXPIRE_ERRORS = [
    (b"EX", b"0", bad_expire("set")),
    (b"EX", b"-1", bad_expire("set")),
    (b"EX", b"9223372036854775807", bad_expire("set")),
    (b"EX", b"9223372036854776", bad_expire("set")),
    (b"PX", b"0", bad_expire("set")),
    (b"PX", b"9223372036854775807", bad_expire("set")),
    (b"PX", b"9223372000000000000", bad_expire("set")),  # fits, but not once "now" is added
    (b"EXAT", b"0", bad_expire("set")),
    (b"EXAT", b"9223372036854776", bad_expire("set")),
    (b"PXAT", b"-1", bad_expire("set")),
    (b"EX", b"abc", NOT_INT),
    (b"EX", b"1.5", NOT_INT),
    (b"EX", b"+1", NOT_INT),
    (b"EX", b" 1", NOT_INT),
    (b"EX", b"", NOT_INT),
    (b"PX", b"9223372036854775808", NOT_INT),
]


@pytest.mark.parametrize(
    "option, value, reply",
    SET_EXPIRE_ERRORS,
    ids=[f"{o.decode()}-{v.decode() or 'empty'}" for o, v, _ in SET_EXPIRE_ERRORS],
)
def test_set_expire_errors(h, option, value, reply):
    assert h.do(b"SET", b"k", b"v", option, value) == reply
    assert h.do(b"GET", b"k") == NIL


def test_set_get_on_wrong_type_writes_nothing(h):
    make_list(h)
    assert h.do(b"SET", b"l", b"v", b"GET") == WRONGTYPE
    assert h.do(b"SET", b"l", b"v", b"NX", b"GET") == WRONGTYPE
    assert isinstance(stored(h, b"l"), List)


def test_set_expire_error_comes_before_wrong_type(h):
    make_list(h)
    assert h.do(b"SET", b"l", b"v", b"GET", b"EX", b"0") == bad_expire("set")
    assert h.do(b"SET", b"l", b"v", b"GET", b"EX", b"x") == NOT_INT


# -- SETNX / SETEX / PSETEX ---------------------------------------------------


def test_setnx_sets_only_missing_keys(h):
    assert h.do(b"SETNX", b"k", b"v") == integer(1)
    assert h.do(b"SETNX", b"k", b"w") == integer(0)
    assert h.do(b"GET", b"k") == bulk(b"v")


def test_setnx_any_type_counts_as_existing(h):
    make_list(h)
    assert h.do(b"SETNX", b"l", b"v") == integer(0)


def test_setnx_expired_key_counts_as_missing(h):
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.1)
    assert h.do(b"SETNX", b"k", b"w") == integer(0)  # redis 7.0: still there at now == when
    h.clock.advance(0.001)
    assert h.do(b"SETNX", b"k", b"w") == integer(1)
    assert expire_at(h, b"k") is None


@pytest.mark.parametrize(
    "cmd, amount, when",
    [(b"SETEX", b"10", NOW_MS + 10_000), (b"PSETEX", b"1500", NOW_MS + 1_500)],
    ids=["setex", "psetex"],
)
def test_setex_psetex_set_value_and_ttl(h, cmd, amount, when):
    make_list(h, b"k")
    assert h.do(cmd, b"k", amount, b"v") == OK
    assert h.do(b"GET", b"k") == bulk(b"v")
    assert expire_at(h, b"k") == when


@pytest.mark.parametrize(
    "cmd, amount, reply",
    [
        (b"SETEX", b"0", bad_expire("setex")),
        (b"SETEX", b"-10", bad_expire("setex")),
        (b"SETEX", b"9223372036854775807", bad_expire("setex")),
        (b"SETEX", b"abc", NOT_INT),
        (b"PSETEX", b"0", bad_expire("psetex")),
        (b"PSETEX", b"9223372036854775807", bad_expire("psetex")),
        (b"PSETEX", b"1.5", NOT_INT),
    ],
    ids=["setex-0", "setex-negative", "setex-overflow", "setex-nan", "psetex-0", "psetex-overflow", "psetex-float"],
)
def test_setex_psetex_errors(h, cmd, amount, reply):
    assert h.do(cmd, b"k", amount, b"v") == reply
    assert h.do(b"GET", b"k") == NIL


# -- GETSET / GETDEL / GETEX --------------------------------------------------


def test_getset_returns_old_and_drops_ttl(h):
    assert h.do(b"GETSET", b"k", b"v") == NIL
    h.do(b"SET", b"k", b"v", b"EX", b"100")
    assert h.do(b"GETSET", b"k", b"w") == bulk(b"v")
    assert h.do(b"GET", b"k") == bulk(b"w")
    assert expire_at(h, b"k") is None


def test_getset_wrong_type(h):
    make_list(h)
    assert h.do(b"GETSET", b"l", b"v") == WRONGTYPE
    assert isinstance(stored(h, b"l"), List)


def test_getdel_returns_and_deletes(h):
    h.do(b"SET", b"k", b"v")
    assert h.do(b"GETDEL", b"k") == bulk(b"v")
    assert h.do(b"GETDEL", b"k") == NIL
    assert stored(h, b"k") is None


def test_getdel_wrong_type_keeps_key(h):
    make_list(h)
    assert h.do(b"GETDEL", b"l") == WRONGTYPE
    assert isinstance(stored(h, b"l"), List)


@pytest.mark.parametrize(
    "options, when",
    [
        ([], None),
        ([b"EX", b"10"], NOW_MS + 10_000),
        ([b"px", b"1500"], NOW_MS + 1_500),
        ([b"EXAT", b"2000000000"], 2_000_000_000_000),
        ([b"PXAT", b"2000000000123"], 2_000_000_000_123),
        ([b"EX", b"5", b"EX", b"10"], NOW_MS + 10_000),
        ([b"PERSIST"], None),
        ([b"PERSIST", b"PERSIST"], None),
    ],
    ids=["plain", "ex", "px", "exat", "pxat", "ex-twice", "persist", "persist-twice"],
)
def test_getex_sets_or_clears_ttl(h, options, when):
    h.do(b"SET", b"k", b"v", b"PX", b"777")
    assert h.do(b"GETEX", b"k", *options) == bulk(b"v")
    expected = NOW_MS + 777 if not options else when
    assert expire_at(h, b"k") == expected


def test_getex_past_absolute_time_deletes(h):
    h.do(b"SET", b"k", b"v")
    assert h.do(b"GETEX", b"k", b"EXAT", b"%d" % START) == bulk(b"v")
    assert stored(h, b"k") is None


@pytest.mark.parametrize(
    "options, reply",
    [
        ([b"EX", b"0"], bad_expire("getex")),
        ([b"PX", b"9223372036854775807"], bad_expire("getex")),
        ([b"EXAT", b"9223372036854775807"], bad_expire("getex")),
        ([b"EX", b"abc"], NOT_INT),
        ([b"EX"], SYNTAX),
        ([b"NX"], SYNTAX),
        ([b"GET"], SYNTAX),
        ([b"KEEPTTL"], SYNTAX),
        ([b"EX", b"10", b"PERSIST"], SYNTAX),
        ([b"PERSIST", b"PX", b"10"], SYNTAX),
        ([b"EX", b"10", b"PXAT", b"10"], SYNTAX),
    ],
    ids=["ex-0", "px-overflow", "exat-overflow", "ex-nan", "ex-alone", "nx", "get", "keepttl",
         "ex-persist", "persist-px", "ex-pxat"],
)
def test_getex_errors_leave_ttl(h, options, reply):
    h.do(b"SET", b"k", b"v", b"PX", b"777")
    assert h.do(b"GETEX", b"k", *options) == reply
    assert expire_at(h, b"k") == NOW_MS + 777


@pytest.mark.parametrize(
    "options, reply",
    [([], NIL), ([b"EX", b"0"], NIL), ([b"EX", b"abc"], NIL), ([b"NX"], SYNTAX)],
    ids=["plain", "bad-time-ignored", "nan-ignored", "syntax-still-checked"],
)
def test_getex_missing_key(h, options, reply):
    assert h.do(b"GETEX", b"nokey", *options) == reply


def test_getex_wrong_type_before_time_check(h):
    make_list(h)
    assert h.do(b"GETEX", b"l", b"EX", b"0") == WRONGTYPE


# -- MGET / MSET / MSETNX -----------------------------------------------------


def test_mget_nulls_for_missing_and_wrong_type(h):
    h.do(b"MSET", b"a", b"1", b"b", b"2")
    make_list(h)
    assert h.do(b"MGET", b"a", b"l", b"nokey", b"b") == array(bulk(b"1"), NIL, NIL, bulk(b"2"))


def test_mget_resp3_nulls(h):
    h.session.protover = 3
    h.do(b"SET", b"a", b"1")
    assert h.do(b"MGET", b"a", b"b") == array(bulk(b"1"), null())


def test_mset_last_value_wins_and_drops_ttl(h):
    h.do(b"SET", b"a", b"v", b"EX", b"100")
    assert h.do(b"MSET", b"a", b"1", b"a", b"2") == OK
    assert h.do(b"GET", b"a") == bulk(b"2")
    assert expire_at(h, b"a") is None


@pytest.mark.parametrize("cmd", [b"MSET", b"MSETNX"], ids=["mset", "msetnx"])
def test_mset_odd_argument_count(h, cmd):
    name = cmd.decode().lower()
    assert h.do(cmd, b"a", b"1", b"b") == error(f"ERR wrong number of arguments for '{name}' command")
    assert h.do(b"GET", b"a") == NIL


def test_msetnx_all_or_nothing(h):
    assert h.do(b"MSETNX", b"a", b"1", b"b", b"2") == integer(1)
    assert h.do(b"MSETNX", b"c", b"3", b"a", b"9") == integer(0)
    assert h.do(b"MGET", b"a", b"b", b"c") == array(bulk(b"1"), bulk(b"2"), NIL)


def test_msetnx_wrong_type_counts_as_existing(h):
    make_list(h)
    assert h.do(b"MSETNX", b"l", b"1") == integer(0)


# -- APPEND / STRLEN ----------------------------------------------------------


def test_append_creates_and_extends(h):
    assert h.do(b"APPEND", b"k", b"Hello") == integer(5)
    assert h.do(b"APPEND", b"k", b" World") == integer(11)
    assert h.do(b"GET", b"k") == bulk(b"Hello World")


def test_append_to_new_key_is_encoded_like_set(h):
    h.do(b"APPEND", b"k", b"123")
    assert string_encoding(stored(h, b"k")) == b"int"


def test_append_to_existing_makes_raw_even_when_empty(h):
    h.do(b"SET", b"k", b"12")
    assert h.do(b"APPEND", b"k", b"") == integer(2)
    assert type(stored(h, b"k")) is RawString
    assert string_encoding(stored(h, b"k")) == b"raw"


def test_append_empty_to_missing_key_creates_it(h):
    assert h.do(b"APPEND", b"k", b"") == integer(0)
    assert stored(h, b"k") == b""


def test_append_keeps_ttl(h):
    h.do(b"SET", b"k", b"v", b"EX", b"100")
    h.do(b"APPEND", b"k", b"w")
    assert expire_at(h, b"k") == NOW_MS + 100_000


def test_append_wrong_type(h):
    make_list(h)
    assert h.do(b"APPEND", b"l", b"x") == WRONGTYPE


def test_append_size_limit(h):
    set_limit(h, 10)
    h.do(b"SET", b"k", b"12345")
    assert h.do(b"APPEND", b"k", b"67890") == integer(10)
    assert h.do(b"APPEND", b"k", b"x") == TOO_BIG
    assert h.do(b"GET", b"k") == bulk(b"1234567890")


@pytest.mark.parametrize(
    "value, length", [(None, 0), (b"", 0), (b"12345", 5), (b"\x00\xff", 2)], ids=["missing", "empty", "int", "binary"]
)
def test_strlen(h, value, length):
    if value is not None:
        h.do(b"SET", b"k", value)
    assert h.do(b"STRLEN", b"k") == integer(length)


def test_strlen_wrong_type(h):
    make_list(h)
    assert h.do(b"STRLEN", b"l") == WRONGTYPE


# -- GETRANGE / SUBSTR / SETRANGE ---------------------------------------------

GETRANGE_CASES = [
    (b"0", b"-1", b"Hello World"),
    (b"0", b"4", b"Hello"),
    (b"-5", b"-1", b"World"),
    (b"-1", b"-5", b""),
    (b"5", b"2", b""),
    (b"3", b"3", b"l"),
    (b"10", b"10", b"d"),
    (b"11", b"11", b""),
    (b"100", b"200", b""),
    (b"-100", b"2", b"Hel"),
    (b"0", b"-100", b"H"),
    (b"-100", b"-50", b"H"),
    (b"-9223372036854775808", b"9223372036854775807", b"Hello World"),
]


@pytest.mark.parametrize("cmd", [b"GETRANGE", b"SUBSTR"], ids=["getrange", "substr"])
@pytest.mark.parametrize("start, end, result", GETRANGE_CASES, ids=[f"{s.decode()}..{e.decode()}" for s, e, _ in GETRANGE_CASES])
def test_getrange(h, cmd, start, end, result):
    h.do(b"SET", b"s", b"Hello World")
    assert h.do(cmd, b"s", start, end) == bulk(result)


@pytest.mark.parametrize("start, end", [(b"0", b"-1"), (b"-1", b"0"), (b"0", b"0")], ids=["all", "last-first", "first"])
def test_getrange_empty_string(h, start, end):
    h.do(b"SET", b"e", b"")
    assert h.do(b"GETRANGE", b"e", start, end) == bulk(b"")


def test_getrange_missing_key_is_empty_string(h):
    assert h.do(b"GETRANGE", b"nokey", b"0", b"-1") == bulk(b"")


def test_getrange_indexes_checked_before_type(h):
    make_list(h)
    assert h.do(b"GETRANGE", b"l", b"a", b"1") == NOT_INT
    assert h.do(b"GETRANGE", b"l", b"0", b"1") == WRONGTYPE
    assert h.do(b"GETRANGE", b"nokey", b"0", b"1.5") == NOT_INT


SETRANGE_CASES = [
    # (existing, offset, value, reply, value afterwards)
    (b"Hello World", b"6", b"Redis", 11, b"Hello Redis"),
    (b"Hello", b"7", b"X", 8, b"Hello\x00\x00X"),
    (b"Hello", b"0", b"J", 5, b"Jello"),
    (b"Hello", b"3", b"p me!", 8, b"Help me!"),
    (None, b"2", b"ab", 4, b"\x00\x00ab"),
    (None, b"0", b"", 0, None),
    (None, b"100", b"", 0, None),
    (b"Hello", b"100", b"", 5, b"Hello"),
]


@pytest.mark.parametrize(
    "existing, offset, value, reply, after",
    SETRANGE_CASES,
    ids=["overwrite", "pad", "start", "extend", "new-padded", "new-empty", "new-empty-far", "empty-value"],
)
def test_setrange(h, existing, offset, value, reply, after):
    if existing is not None:
        h.do(b"SET", b"k", existing)
    assert h.do(b"SETRANGE", b"k", offset, value) == integer(reply)
    assert h.do(b"GET", b"k") == (NIL if after is None else bulk(after))


def test_setrange_makes_raw_and_keeps_ttl(h):
    h.do(b"SET", b"k", b"123", b"EX", b"100")
    h.do(b"SETRANGE", b"k", b"0", b"9")
    assert type(stored(h, b"k")) is RawString
    assert expire_at(h, b"k") == NOW_MS + 100_000


def test_setrange_empty_value_changes_nothing(h):
    h.do(b"SET", b"k", b"123")
    h.do(b"SETRANGE", b"k", b"0", b"")
    assert string_encoding(stored(h, b"k")) == b"int"


@pytest.mark.parametrize(
    "offset, value, reply",
    [
        (b"-1", b"x", error("ERR offset is out of range")),
        (b"-1", b"", error("ERR offset is out of range")),
        (b"abc", b"x", NOT_INT),
        (b"536870912", b"x", TOO_BIG),
        (b"536870911", b"xx", TOO_BIG),
        (b"536870912", b"", integer(5)),  # nothing to write: no size check, the length
        (b"9223372036854775807", b"x", TOO_BIG),
    ],
    ids=["negative", "negative-empty", "nan", "limit", "limit-by-length", "empty-value-past-limit", "int64-max"],
)
def test_setrange_limits(h, offset, value, reply):
    h.do(b"SET", b"k", b"Hello")
    assert h.do(b"SETRANGE", b"k", offset, value) == reply
    assert h.do(b"GET", b"k") == bulk(b"Hello")


def test_setrange_limit_follows_config(h):
    set_limit(h, 10)
    assert h.do(b"SETRANGE", b"k", b"9", b"x") == integer(10)
    assert h.do(b"SETRANGE", b"j", b"10", b"x") == TOO_BIG
    assert h.do(b"SETRANGE", b"j", b"10", b"") == integer(0)


def test_setrange_wrong_type_after_offset_check(h):
    make_list(h)
    assert h.do(b"SETRANGE", b"l", b"-1", b"x") == error("ERR offset is out of range")
    assert h.do(b"SETRANGE", b"l", b"0", b"") == WRONGTYPE


# -- counters -----------------------------------------------------------------

COUNTER_CASES = [
    # (stored, command, argument or None, reply)
    (None, b"INCR", None, integer(1)),
    (None, b"DECR", None, integer(-1)),
    (b"10", b"INCRBY", b"5", integer(15)),
    (b"10", b"INCRBY", b"-15", integer(-5)),
    (b"10", b"DECRBY", b"15", integer(-5)),
    (b"10", b"DECRBY", b"-9223372036854775807", error("ERR increment or decrement would overflow")),
    (b"9223372036854775806", b"INCR", None, integer(INT64_MAX)),
    (b"9223372036854775807", b"INCR", None, OVERFLOW),
    (b"-9223372036854775808", b"DECR", None, OVERFLOW),
    (b"-1", b"INCRBY", b"-9223372036854775808", OVERFLOW),
    (b"0", b"INCRBY", b"-9223372036854775808", integer(INT64_MIN)),
    (b"0", b"DECRBY", b"-9223372036854775808", error("ERR decrement would overflow")),
    (b" 1", b"INCR", None, NOT_INT),
    (b"1 ", b"INCR", None, NOT_INT),
    (b"+1", b"INCR", None, NOT_INT),
    (b"01", b"INCR", None, NOT_INT),
    (b"-0", b"INCR", None, NOT_INT),
    (b"1.0", b"INCR", None, NOT_INT),
    (b"", b"INCR", None, NOT_INT),
    (b"9223372036854775808", b"INCR", None, NOT_INT),
    (b"1", b"INCRBY", b"1.5", NOT_INT),
    (b"1", b"INCRBY", b" 1", NOT_INT),
    (b"1", b"DECRBY", b"abc", NOT_INT),
]


@pytest.mark.parametrize(
    "value, cmd, arg, reply",
    COUNTER_CASES,
    ids=[
        "incr-new", "decr-new", "incrby", "incrby-negative", "decrby", "decrby-overflow", "incr-to-max",
        "incr-overflow", "decr-overflow", "incrby-underflow", "incrby-to-min", "decrby-int64-min",
        "value-leading-space", "value-trailing-space", "value-plus", "value-leading-zero", "value-minus-zero",
        "value-float", "value-empty", "value-too-big", "arg-float", "arg-space", "arg-word",
    ],
)
def test_counters(h, value, cmd, arg, reply):
    if value is not None:
        h.do(b"SET", b"n", value)
    args = (cmd, b"n") if arg is None else (cmd, b"n", arg)
    assert h.do(*args) == reply
    if reply[:1] == b"-":
        assert stored(h, b"n") == value


def test_incr_keeps_ttl_and_stores_int(h):
    h.do(b"SET", b"n", b"10", b"EX", b"100")
    assert h.do(b"INCR", b"n") == integer(11)
    assert expire_at(h, b"n") == NOW_MS + 100_000
    assert string_encoding(stored(h, b"n")) == b"int"


def test_incr_after_append_is_int_again(h):
    h.do(b"APPEND", b"n", b"1")
    h.do(b"APPEND", b"n", b"2")
    assert h.do(b"INCR", b"n") == integer(13)
    assert string_encoding(stored(h, b"n")) == b"int"


@pytest.mark.parametrize(
    "cmd, arg",
    [(b"INCR", None), (b"DECR", None), (b"INCRBY", b"1"), (b"DECRBY", b"1"), (b"INCRBYFLOAT", b"1")],
    ids=["incr", "decr", "incrby", "decrby", "incrbyfloat"],
)
def test_counters_wrong_type(h, cmd, arg):
    make_list(h)
    args = (cmd, b"l") if arg is None else (cmd, b"l", arg)
    assert h.do(*args) == WRONGTYPE


def test_incrby_argument_checked_before_type(h):
    make_list(h)
    assert h.do(b"INCRBY", b"l", b"abc") == NOT_INT
    assert h.do(b"DECRBY", b"l", b"-9223372036854775808") == error("ERR decrement would overflow")
    assert h.do(b"INCRBYFLOAT", b"l", b"abc") == WRONGTYPE  # INCRBYFLOAT checks the type first


INCRBYFLOAT_CASES = [
    (None, b"1", b"1"),
    (None, b"5.0e3", b"5000"),
    (b"10.1", b"0.1", b"10.2"),
    (b"10.50", b"0.1", b"10.6"),
    (b"10", b"-10", b"0"),
    (b"1", b"-0", b"1"),
    (None, b"3e-5", b"0.00003"),
    (b"5.0e3", b"2.0e2", b"5200"),
    (None, b"0x10", b"16"),
    (None, b"1e20", b"100000000000000000000"),
    (b"-1.5", b".5", b"-1"),
    (b"12", b"+1", b"13"),
]


@pytest.mark.parametrize(
    "value, incr, result",
    INCRBYFLOAT_CASES,
    ids=["new", "exponent", "decimal", "trailing-zero", "to-zero", "minus-zero", "small", "both-exponent",
         "hex", "big", "negative", "plus-sign"],
)
def test_incrbyfloat(h, value, incr, result):
    if value is not None:
        h.do(b"SET", b"f", value)
    assert h.do(b"INCRBYFLOAT", b"f", incr) == bulk(result)
    assert h.do(b"GET", b"f") == bulk(result)


@pytest.mark.parametrize(
    "value, incr, reply",
    [
        (b"1", b"abc", NOT_FLOAT),
        (b"1", b"", NOT_FLOAT),
        (b"1", b"nan", NOT_FLOAT),
        (b"1", b" 1", NOT_FLOAT),
        (b"1", b"1e5000", NOT_FLOAT),
        (b"abc", b"1", NOT_FLOAT),
        (b"", b"1", NOT_FLOAT),
        (b"1", b"inf", error("ERR increment would produce NaN or Infinity")),
        (b"1e4932", b"1e4932", error("ERR increment would produce NaN or Infinity")),
    ],
    ids=["incr-word", "incr-empty", "incr-nan", "incr-space", "incr-overflow", "value-word", "value-empty",
         "incr-inf", "sum-inf"],
)
def test_incrbyfloat_errors(h, value, incr, reply):
    h.do(b"SET", b"f", value)
    assert h.do(b"INCRBYFLOAT", b"f", incr) == reply
    assert stored(h, b"f") == value


def test_incrbyfloat_result_is_never_int_encoded(h):
    h.do(b"SET", b"f", b"10", b"EX", b"100")
    assert h.do(b"INCRBYFLOAT", b"f", b"1") == bulk(b"11")
    assert type(stored(h, b"f")) is SdsString
    assert string_encoding(stored(h, b"f")) == b"embstr"
    assert expire_at(h, b"f") == NOW_MS + 100_000


# -- LCS ----------------------------------------------------------------------

LCS_IDX_RESP2 = array(
    bulk(b"matches"),
    array(
        array(array(integer(4), integer(7)), array(integer(5), integer(8))),
        array(array(integer(2), integer(3)), array(integer(0), integer(1))),
    ),
    bulk(b"len"),
    integer(6),
)


@pytest.fixture
def lcs_keys(h):
    h.do(b"MSET", b"key1", b"ohmytext", b"key2", b"mynewtext")
    return h


def test_lcs_string(lcs_keys):
    assert lcs_keys.do(b"LCS", b"key1", b"key2") == bulk(b"mytext")


def test_lcs_len(lcs_keys):
    assert lcs_keys.do(b"LCS", b"key1", b"key2", b"LEN", b"WITHMATCHLEN") == integer(6)


def test_lcs_idx_resp2(lcs_keys):
    assert lcs_keys.do(b"LCS", b"key1", b"key2", b"IDX") == LCS_IDX_RESP2


def test_lcs_idx_resp3_is_a_map(lcs_keys):
    lcs_keys.session.protover = 3
    assert lcs_keys.do(b"LCS", b"key1", b"key2", b"IDX", b"MINMATCHLEN", b"4", b"WITHMATCHLEN") == map_(
        (bulk(b"matches"), array(array(array(integer(4), integer(7)), array(integer(5), integer(8)), integer(4)))),
        (bulk(b"len"), integer(6)),
    )


def test_lcs_missing_keys_are_empty(h):
    assert h.do(b"LCS", b"a", b"b") == bulk(b"")
    assert h.do(b"LCS", b"a", b"b", b"IDX") == array(bulk(b"matches"), array(), bulk(b"len"), integer(0))


@pytest.mark.parametrize(
    "options, reply",
    [
        ([b"LEN", b"IDX"], error("ERR If you want both the length and indexes, please just use IDX.")),
        ([b"MINMATCHLEN"], SYNTAX),
        ([b"MINMATCHLEN", b"x"], NOT_INT),
        ([b"FOO", b"LEN", b"IDX"], SYNTAX),
        ([b"IDX\x00x", b"LEN"], error("ERR If you want both the length and indexes, please just use IDX.")),
    ],
    ids=["len-and-idx", "minmatchlen-alone", "minmatchlen-nan", "syntax-first", "nul-terminated"],
)
def test_lcs_option_errors(lcs_keys, options, reply):
    assert lcs_keys.do(b"LCS", b"key1", b"key2", *options) == reply


def test_lcs_wrong_type_before_options(lcs_keys):
    make_list(lcs_keys)
    text = error("ERR The specified keys must contain string values")
    assert lcs_keys.do(b"LCS", b"key1", b"l", b"FOO") == text
    assert lcs_keys.do(b"LCS", b"l", b"nokey") == text


def test_lcs_table_limit_follows_config(h):
    # Redis refuses a table of (alen+1)*(blen+1) uint32 larger than proto-max-bulk-len.
    set_limit(h, 1024 * 1024)
    h.do(b"MSET", b"a", b"x" * 511, b"b", b"y" * 511)
    assert h.do(b"LCS", b"a", b"b", b"LEN") == integer(0)
    h.do(b"SET", b"b", b"y" * 512)
    too_big = error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    assert h.do(b"LCS", b"a", b"b", b"LEN") == too_big


def _redis_lcs(a: bytes, b: bytes, min_len: int):
    """The textbook O(n*m) table and Redis 7.0's walk back over it: an independent oracle."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    text, ranges = [], []
    i, j = len(a), len(b)
    run = None  # [a_start, a_end, b_start, b_end] of the match run being walked
    while i > 0 and j > 0:
        if a[i - 1] == b[j - 1]:
            text.append(a[i - 1])
            if run is None:
                run = [i - 1, i - 1, j - 1, j - 1]
            else:
                run[0], run[2] = i - 1, j - 1
            i, j = i - 1, j - 1
            done = run[0] == 0 or run[2] == 0
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            done = run is not None
        if done:
            if run[1] - run[0] + 1 >= min_len:
                ranges.append(run)
            run = None
    return bytes(reversed(text)), ranges, table[len(a)][len(b)]


@given(
    a=st.binary(max_size=40).map(lambda s: bytes(c % 3 + 97 for c in s)),
    b=st.binary(max_size=40).map(lambda s: bytes(c % 3 + 97 for c in s)),
    min_len=st.integers(0, 3),
)
def test_lcs_matches_textbook_table(a, b, min_len):
    h = Harness()
    h.do(b"MSET", b"a", a, b"b", b)
    text, ranges, length = _redis_lcs(a, b, min_len)
    assert h.do(b"LCS", b"a", b"b") == bulk(text)
    assert h.do(b"LCS", b"a", b"b", b"LEN") == integer(length)
    matches = [
        array(array(integer(r[0]), integer(r[1])), array(integer(r[2]), integer(r[3])), integer(r[1] - r[0] + 1))
        for r in ranges
    ]
    reply = h.do(b"LCS", b"a", b"b", b"IDX", b"WITHMATCHLEN", b"MINMATCHLEN", b"%d" % min_len)
    assert reply == array(bulk(b"matches"), array(*matches), bulk(b"len"), integer(length))
    assert not h.internal_errors


# -- expired keys -------------------------------------------------------------


@pytest.mark.parametrize(
    "command, reply",
    [
        ([b"GET", b"k"], NIL),
        ([b"STRLEN", b"k"], integer(0)),
        ([b"APPEND", b"k", b"x"], integer(1)),
        ([b"INCR", b"k"], integer(1)),
        ([b"SET", b"k", b"x", b"XX"], NIL),
        ([b"GETEX", b"k", b"PERSIST"], NIL),
        ([b"MGET", b"k"], array(NIL)),
        ([b"GETRANGE", b"k", b"0", b"-1"], bulk(b"")),
    ],
    ids=["get", "strlen", "append", "incr", "set-xx", "getex", "mget", "getrange"],
)
def test_expired_key_is_missing(h, command, reply):
    h.do(b"SET", b"k", b"old", b"EX", b"1")
    h.clock.advance(1.001)  # 1 ms past the expiry time
    assert h.do(*command) == reply


# -- redis-py, both protocols -------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.set("k", "v") is True
        assert client.get("k") == b"v"
        assert client.set("k", "w", nx=True) is None
        assert client.set("k", "w", xx=True, get=True) == b"v"
        assert client.incr("n") == 1
        assert client.incrby("n", 41) == 42
        assert client.decr("n") == 41
        assert client.incrbyfloat("f", 1.5) == 1.5
        assert client.mset({"a": "1", "b": b"\x00\xff"}) is True
        assert client.mget("a", "b", "missing") == [b"1", b"\x00\xff", None]
        assert client.msetnx({"a": "x", "c": "y"}) is False
        assert client.append("a", "23") == 3
        assert client.getrange("a", 0, 1) == b"12"
        assert client.setrange("a", 1, "xy") == 3
        assert client.strlen("a") == 3
        assert client.getdel("a") == b"1xy"
        assert client.set("t", "v", ex=100) is True
        assert client.getex("t", persist=True) == b"v"
        with pytest.raises(redis.ResponseError, match="invalid expire time in 'set' command"):
            client.set("k", "v", ex=0)
        client.mset({"key1": "ohmytext", "key2": "mynewtext"})
        assert client.lcs("key1", "key2") == b"mytext"
        idx = client.lcs("key1", "key2", idx=True, minmatchlen=4)
        if protocol == 2:
            assert idx == [b"matches", [[[4, 7], [5, 8]]], b"len", 6]
        else:
            assert idx == {b"matches": [[[4, 7], [5, 8]]], b"len": 6}
    finally:
        client.close()
