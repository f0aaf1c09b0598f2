"""Set commands through the in-process harness: raw reply bytes, seeded randomness, ManualClock time.

Also: the SetValue structure (O(1) random picks kept in step with every mutator), keyspace events,
WATCH signals, kvfake's limit on SRANDMEMBER's negative counts, the Store API for sets, and a few
end-to-end round trips through redis-py (RESP2 and RESP3).  Byte-for-byte agreement with real
Redis is tests/differential/test_sets.py's job; here each behaviour is pinned on its own.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from kvfake.commands import sets as sets_module
from kvfake.store.values import SetValue, fits_intset
from tests.support.harness import Harness
from tests.support.resp import (
    EMPTY_ARRAY,
    NIL,
    array,
    bulk,
    decode,
    error,
    integer,
    null,
    set_,
)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
INT64_MAX = 2**63 - 1


def _bulks(*members) -> list:
    return [bulk(m) for m in members]


def _members(raw: bytes) -> list:
    value = decode(raw)
    return sorted(value) if isinstance(value, (set, list)) else value


def _value(h, key: bytes, db: int = 0):
    return h.store.dbs[db].data.get(key)


def _events(h) -> list:
    seen: list = []
    h.store.notify_hook = lambda db, klass, event, key: seen.append((klass, event, key))
    return seen


class Watcher:
    dirty = False


def _watch(h, key: bytes, db: int = 0) -> Watcher:
    watcher = Watcher()
    h.store.watchers.setdefault((db, key), set()).add(watcher)
    return watcher


# -- SADD SREM SCARD SISMEMBER SMISMEMBER ------------------------------------------------------


def test_sadd_counts_new_members_only(h):
    assert h.do(b"SADD", b"s", b"a", b"b", b"a") == integer(2)
    assert h.do(b"SADD", b"s", b"b", b"c") == integer(1)
    assert h.do(b"SADD", b"s", b"c") == integer(0)
    assert h.do(b"SCARD", b"s") == integer(3)


def test_sadd_keeps_binary_members_exact(h):
    members = [b"", b"\x00\xff", b"\r\n", b"x" * 1000]
    assert h.do(b"SADD", b"s", *members) == integer(4)
    assert _members(h.do(b"SMEMBERS", b"s")) == sorted(members)


def test_srem_counts_removed_and_deletes_emptied_key(h):
    h.do(b"SADD", b"s", b"a", b"b", b"c")
    assert h.do(b"SREM", b"s", b"a", b"x", b"a") == integer(1)
    assert h.do(b"SREM", b"s", b"b", b"c", b"b") == integer(2)
    assert h.do(b"EXISTS", b"s") == integer(0)
    assert h.do(b"SREM", b"s", b"a") == integer(0)


@pytest.mark.parametrize("member, reply", [(b"1", 1), (b"01", 0), (b"2", 0), (b"", 0)],
                         ids=["in", "01", "out", "empty"])
def test_sismember(h, member, reply):
    h.do(b"SADD", b"s", b"1")
    assert h.do(b"SISMEMBER", b"s", member) == integer(reply)


def test_smismember_answers_each_member_and_zeros_for_missing_key(h):
    h.do(b"SADD", b"s", b"a", b"c")
    assert h.do(b"SMISMEMBER", b"s", b"a", b"b", b"c", b"a") == array(*map(integer, (1, 0, 1, 1)))
    assert h.do(b"SMISMEMBER", b"missing", b"a", b"b") == array(integer(0), integer(0))


@pytest.mark.parametrize("command", [b"SCARD", b"SISMEMBER", b"SREM"])
def test_missing_key_answers_zero(h, command):
    args = [command, b"missing"] + ([b"m"] if command != b"SCARD" else [])
    assert h.do(*args) == integer(0)


WRONG_TYPE_COMMANDS = [
    [b"SADD", b"str", b"a"],
    [b"SREM", b"str", b"a"],
    [b"SMEMBERS", b"str"],
    [b"SISMEMBER", b"str", b"a"],
    [b"SMISMEMBER", b"str", b"a"],
    [b"SCARD", b"str"],
    [b"SPOP", b"str"],
    [b"SPOP", b"str", b"2"],
    [b"SRANDMEMBER", b"str"],
    [b"SRANDMEMBER", b"str", b"-%d" % INT64_MAX],
    [b"SMOVE", b"str", b"s", b"a"],
    [b"SMOVE", b"s", b"str", b"a"],
    [b"SINTER", b"missing", b"str"],
    [b"SINTERCARD", b"2", b"missing", b"str"],
    [b"SINTERSTORE", b"d", b"missing", b"str"],
    [b"SUNION", b"s", b"str"],
    [b"SUNIONSTORE", b"d", b"s", b"str"],
    [b"SDIFF", b"missing", b"str"],
    [b"SDIFFSTORE", b"d", b"s", b"str"],
    [b"SSCAN", b"str", b"0", b"COUNT", b"0"],
]


@pytest.mark.parametrize("argv", WRONG_TYPE_COMMANDS, ids=[b" ".join(a[:2]).decode() for a in WRONG_TYPE_COMMANDS])
def test_wrong_type(h, argv):
    h.do(b"SET", b"str", b"v")
    h.do(b"SADD", b"s", b"a")
    assert h.do(*argv) == error(WRONGTYPE)
    assert h.do(b"GET", b"str") == bulk(b"v")
    assert h.do(b"EXISTS", b"d") == integer(0)


# -- encodings -------------------------------------------------------------------------------------

INTSET_MEMBERS = [
    (b"0", True), (b"-1", True), (b"9223372036854775807", True), (b"-9223372036854775808", True),
    (b"9223372036854775808", False), (b"01", False), (b"-0", False), (b"+1", False), (b" 1", False),
    (b"1 ", False), (b"", False), (b"1.0", False), (b"a", False),
]


@pytest.mark.parametrize("member, intset", INTSET_MEMBERS, ids=[repr(m) for m, _ in INTSET_MEMBERS])
def test_encoding_of_a_new_set_follows_its_member(h, member, intset):
    h.do(b"SADD", b"s", member)
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"intset" if intset else b"hashtable")


def test_encoding_conversion_is_one_way(h):
    h.do(b"SADD", b"s", b"1", b"2")
    h.do(b"SADD", b"s", b"x")
    h.do(b"SREM", b"s", b"x")
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"hashtable")


def test_encoding_converts_past_max_intset_entries(h):
    h.dispatcher.config.set(b"set-max-intset-entries", b"3")
    h.do(b"SADD", b"s", b"1", b"2", b"3")
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"intset")
    h.do(b"SADD", b"s", b"3")
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"intset")
    h.do(b"SADD", b"s", b"4")
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"hashtable")


def test_max_intset_entries_is_capped_at_2_pow_30(h):
    h.dispatcher.config.set(b"set-max-intset-entries", b"%d" % INT64_MAX)
    assert sets_module._max_intset(h.ctx) == 1 << 30


def test_intset_lists_members_in_numeric_order(h):
    h.do(b"SADD", b"s", b"10", b"-5", b"2", b"9223372036854775807", b"-9223372036854775808")
    expected = _bulks(b"-9223372036854775808", b"-5", b"2", b"10", b"9223372036854775807")
    assert h.do(b"SMEMBERS", b"s") == array(*expected)
    assert h.do(b"SSCAN", b"s", b"0") == array(bulk(b"0"), array(*expected))
    assert h.do(b"SRANDMEMBER", b"s", b"100") == array(*expected)


STORE_ENCODINGS = [
    # (setup, command, encoding of d)
    ([[b"SADD", b"a", b"1", b"2", b"x"], [b"SADD", b"b", b"x"]], [b"SDIFFSTORE", b"d", b"a", b"b"], b"intset"),
    ([[b"SADD", b"a", b"1", b"x"], [b"SADD", b"b", b"x"]], [b"SUNIONSTORE", b"d", b"a", b"b"], b"hashtable"),
    ([[b"SADD", b"a", b"1", b"x"], [b"SREM", b"a", b"x"]], [b"SUNIONSTORE", b"d", b"a"], b"intset"),
    ([[b"SADD", b"a", b"1", b"x"], [b"SADD", b"b", b"1", b"y"]], [b"SINTERSTORE", b"d", b"a", b"b"], b"intset"),
    ([[b"SADD", b"a", b"1", b"x"]], [b"SINTERSTORE", b"d", b"a", b"a"], b"hashtable"),
    # SDIFF "algorithm 2": the first set is copied whole into the result first
    ([[b"SADD", b"a", b"1", b"2", b"3", b"x", b"y", b"z", b"w"], [b"SADD", b"f", b"x"], [b"SADD", b"g", b"y"],
      [b"SADD", b"i", b"z"], [b"SADD", b"j", b"w"]], [b"SDIFFSTORE", b"d", b"a", b"f", b"g", b"i", b"j"],
     b"hashtable"),
]


@pytest.mark.parametrize("setup, command, encoding", STORE_ENCODINGS,
                         ids=["diff-ints", "union-mixed", "union-ints-of-hashtable", "inter-ints",
                              "inter-mixed", "diff-algorithm-2"])
def test_store_results_are_encoded_by_content(h, setup, command, encoding):
    for argv in setup:
        h.do(*argv)
    h.do(*command)
    assert h.do(b"OBJECT", b"ENCODING", b"d") == bulk(encoding)


def test_smove_creates_destination_encoded_by_the_member(h):
    h.do(b"SADD", b"src", b"1", b"x")
    h.do(b"SMOVE", b"src", b"i", b"1")
    h.do(b"SMOVE", b"src", b"h", b"x")
    assert h.do(b"OBJECT", b"ENCODING", b"i") == bulk(b"intset")
    assert h.do(b"OBJECT", b"ENCODING", b"h") == bulk(b"hashtable")


def test_spop_most_members_rebuilds_the_survivors_as_intset(h):
    h.do(b"SADD", b"s", *[b"%d" % i for i in range(600)])
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"hashtable")
    popped = decode(h.do(b"SPOP", b"s", b"590"))
    assert len(popped) == 590
    assert h.do(b"SCARD", b"s") == integer(10)
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"intset")
    assert set(popped).isdisjoint(decode(h.do(b"SMEMBERS", b"s")))


def test_spop_few_members_keeps_the_encoding(h):
    h.do(b"SADD", b"s", *[b"%d" % i for i in range(600)])
    h.do(b"SPOP", b"s", b"10")
    assert h.do(b"OBJECT", b"ENCODING", b"s") == bulk(b"hashtable")


# -- SMEMBERS / algebra -----------------------------------------------------------------------------


def test_smembers_missing_key_is_an_empty_set(h):
    assert h.do(b"SMEMBERS", b"missing") == EMPTY_ARRAY
    h.session.protover = 3
    assert h.do(b"SMEMBERS", b"missing") == set_()


@pytest.mark.parametrize("command", [b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"])
def test_set_replies_are_resp3_sets(h, command):
    h.do(b"SADD", b"s", b"1", b"2")
    h.session.protover = 3
    assert h.do(command, b"s") == set_(bulk(b"1"), bulk(b"2"))


ALGEBRA = [
    ([b"SINTER", b"a", b"b"], [b"2", b"3"]),
    ([b"SINTER", b"a", b"b", b"c"], [b"3"]),
    ([b"SINTER", b"a", b"a"], [b"1", b"2", b"3"]),
    ([b"SINTER", b"a", b"missing"], []),
    ([b"SUNION", b"a", b"b", b"missing"], [b"1", b"2", b"3", b"4"]),
    ([b"SUNION", b"missing"], []),
    ([b"SDIFF", b"a", b"b"], [b"1"]),
    ([b"SDIFF", b"a", b"missing"], [b"1", b"2", b"3"]),
    ([b"SDIFF", b"missing", b"a"], []),
    ([b"SDIFF", b"a", b"b", b"a"], []),
    ([b"SDIFF", b"a", b"c"], [b"1", b"2"]),
]


@pytest.mark.parametrize("argv, expected", ALGEBRA, ids=[b" ".join(a).decode() for a, _ in ALGEBRA])
def test_algebra(h, argv, expected):
    h.do(b"SADD", b"a", b"1", b"2", b"3")
    h.do(b"SADD", b"b", b"2", b"3", b"4")
    h.do(b"SADD", b"c", b"3", b"x")
    assert h.do(*argv) == array(*_bulks(*expected))


def test_sinter_checks_every_type_even_after_a_missing_key(h):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SINTER", b"missing", b"str") == error(WRONGTYPE)


def test_sinter_lists_in_the_smallest_sets_order(h):
    h.do(b"SADD", b"small", b"30", b"10", b"20")
    h.do(b"SADD", b"large", b"x", b"10", b"20", b"30", b"y")
    assert h.do(b"SINTER", b"large", b"small") == array(*_bulks(b"10", b"20", b"30"))


# -- SINTERCARD ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit, expected", [(None, 3), (b"0", 3), (b"1", 1), (b"2", 2), (b"3", 3), (b"9", 3)],
                         ids=["none", "0", "1", "2", "3", "9"])
def test_sintercard_limit(h, limit, expected):
    h.do(b"SADD", b"a", b"1", b"2", b"3", b"x")
    h.do(b"SADD", b"b", b"1", b"2", b"3", b"y")
    argv = [b"SINTERCARD", b"2", b"a", b"b"] + ([b"LIMIT", limit] if limit else [])
    assert h.do(*argv) == integer(expected)


SINTERCARD_ERRORS = [
    ([b"0", b"a"], "ERR numkeys should be greater than 0"),
    ([b"-1", b"a"], "ERR numkeys should be greater than 0"),
    ([b"x", b"a"], "ERR numkeys should be greater than 0"),
    ([b"9223372036854775808", b"a"], "ERR numkeys should be greater than 0"),
    ([b"2", b"a"], "ERR Number of keys can't be greater than number of args"),
    ([b"1", b"a", b"LIMIT"], "ERR syntax error"),
    ([b"1", b"a", b"LIMIT", b"-1"], "ERR LIMIT can't be negative"),
    ([b"1", b"a", b"LIMIT", b"x"], "ERR LIMIT can't be negative"),
    ([b"1", b"a", b"FOO", b"1"], "ERR syntax error"),
]


@pytest.mark.parametrize("args, text", SINTERCARD_ERRORS, ids=[b" ".join(a).decode() for a, _ in SINTERCARD_ERRORS])
def test_sintercard_errors(h, args, text):
    h.do(b"SADD", b"a", b"1")
    assert h.do(b"SINTERCARD", *args) == error(text)


def test_sintercard_options_are_checked_before_types(h):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SINTERCARD", b"1", b"str", b"LIMIT", b"-1") == error("ERR LIMIT can't be negative")


def test_sintercard_limit_token_stops_at_nul(h):
    h.do(b"SADD", b"a", b"1", b"2")
    assert h.do(b"SINTERCARD", b"1", b"a", b"LIMIT\x00x", b"1") == integer(1)


# -- STORE forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"])
def test_store_replaces_any_type_and_drops_ttl(h, command):
    h.do(b"SADD", b"a", b"1", b"2")
    h.do(b"SET", b"d", b"string")
    h.do(b"EXPIRE", b"d", b"100")
    assert h.do(command, b"d", b"a") == integer(2)
    assert h.do(b"TYPE", b"d") == b"+set\r\n"
    assert h.do(b"TTL", b"d") == integer(-1)


@pytest.mark.parametrize("command, sources", [(b"SINTERSTORE", [b"a", b"missing"]), (b"SUNIONSTORE", [b"missing"]),
                                              (b"SDIFFSTORE", [b"a", b"a"])], ids=["inter", "union", "diff"])
def test_store_empty_result_deletes_destination(h, command, sources):
    h.do(b"SADD", b"a", b"1")
    h.do(b"SET", b"d", b"v")
    assert h.do(command, b"d", *sources) == integer(0)
    assert h.do(b"EXISTS", b"d") == integer(0)


def test_store_into_one_of_its_sources(h):
    h.do(b"SADD", b"a", b"1", b"2", b"3")
    h.do(b"SADD", b"b", b"2")
    assert h.do(b"SDIFFSTORE", b"a", b"a", b"b") == integer(2)
    assert h.do(b"SMEMBERS", b"a") == array(*_bulks(b"1", b"3"))


def test_store_onto_an_expired_key_creates_it(h):
    h.do(b"SADD", b"a", b"1")
    h.do(b"SET", b"d", b"v", b"PX", b"10")
    h.clock.advance(0.02)
    assert h.do(b"SUNIONSTORE", b"d", b"a") == integer(1)
    assert h.do(b"SMEMBERS", b"d") == array(bulk(b"1"))


# -- SMOVE ----------------------------------------------------------------------------------------------


def test_smove_moves_and_deletes_emptied_source(h):
    h.do(b"SADD", b"src", b"a")
    h.do(b"SADD", b"dst", b"b")
    assert h.do(b"SMOVE", b"src", b"dst", b"a") == integer(1)
    assert h.do(b"EXISTS", b"src") == integer(0)
    assert _members(h.do(b"SMEMBERS", b"dst")) == [b"a", b"b"]


def test_smove_member_already_in_destination(h):
    h.do(b"SADD", b"src", b"a", b"x")
    h.do(b"SADD", b"dst", b"a")
    assert h.do(b"SMOVE", b"src", b"dst", b"a") == integer(1)
    assert h.do(b"SMEMBERS", b"src") == array(bulk(b"x"))
    assert h.do(b"SCARD", b"dst") == integer(1)


@pytest.mark.parametrize("member, reply", [(b"a", 1), (b"z", 0)], ids=["member", "not-member"])
def test_smove_same_key_only_checks_membership(h, member, reply):
    h.do(b"SADD", b"s", b"a")
    assert h.do(b"SMOVE", b"s", b"s", member) == integer(reply)
    assert h.do(b"SMEMBERS", b"s") == array(bulk(b"a"))


def test_smove_missing_source_answers_zero_before_type_checks(h):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SMOVE", b"missing", b"str", b"a") == integer(0)


def test_smove_absent_member_changes_nothing(h):
    h.do(b"SADD", b"src", b"a")
    assert h.do(b"SMOVE", b"src", b"dst", b"z") == integer(0)
    assert h.do(b"EXISTS", b"dst") == integer(0)


# -- SPOP SRANDMEMBER ------------------------------------------------------------------------------------


def test_spop_without_count(h):
    h.do(b"SADD", b"s", b"a", b"b")
    first = decode(h.do(b"SPOP", b"s"))
    second = decode(h.do(b"SPOP", b"s"))
    assert {first, second} == {b"a", b"b"}
    assert h.do(b"EXISTS", b"s") == integer(0)
    assert h.do(b"SPOP", b"s") == NIL
    h.session.protover = 3
    assert h.do(b"SPOP", b"s") == null()


@pytest.mark.parametrize("count", [1, 3, 7, 9, 10, 11, INT64_MAX], ids=lambda c: str(c))
def test_spop_with_count_pops_distinct_members(h, count):
    members = [b"m%d" % i for i in range(10)]
    h.do(b"SADD", b"s", *members)
    popped = decode(h.do(b"SPOP", b"s", b"%d" % count))
    assert len(popped) == len(set(popped)) == min(count, 10)
    left = decode(h.do(b"SMEMBERS", b"s"))
    assert sorted(popped + left) == sorted(members)


@pytest.mark.parametrize("protover, empty", [(2, EMPTY_ARRAY), (3, set_())], ids=["resp2", "resp3"])
def test_spop_count_replies_a_set(h, protover, empty):
    h.session.protover = protover
    assert h.do(b"SPOP", b"missing", b"3") == empty
    h.do(b"SADD", b"s", b"1", b"2")
    assert h.do(b"SPOP", b"s", b"0") == empty
    assert h.do(b"SPOP", b"s", b"5")[:1] == (b"~" if protover == 3 else b"*")


@pytest.mark.parametrize("arg", [b"-1", b"x", b"", b"1.5", b"-9223372036854775808"])
def test_spop_bad_count_is_checked_before_the_key(h, arg):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SPOP", b"str", arg) == error("ERR value is out of range, must be positive")
    assert h.do(b"SPOP", b"missing", arg) == error("ERR value is out of range, must be positive")


@pytest.mark.parametrize("command", [b"SPOP", b"SRANDMEMBER"])
def test_too_many_arguments_is_a_syntax_error(h, command):
    assert h.do(command, b"s", b"1", b"2") == error("ERR syntax error")


def test_srandmember_without_count(h):
    assert h.do(b"SRANDMEMBER", b"missing") == NIL
    h.do(b"SADD", b"s", b"a", b"b")
    assert decode(h.do(b"SRANDMEMBER", b"s")) in (b"a", b"b")
    assert h.do(b"SCARD", b"s") == integer(2)


@pytest.mark.parametrize("count", [1, 2, 5, 19, 20, 21], ids=lambda c: str(c))
def test_srandmember_positive_count_distinct(h, count):
    members = [b"w%d" % i for i in range(20)]
    h.do(b"SADD", b"s", *members)
    picked = decode(h.do(b"SRANDMEMBER", b"s", b"%d" % count))
    assert len(picked) == len(set(picked)) == min(count, 20)
    assert set(picked) <= set(members)


def test_srandmember_negative_count_repeats(h):
    h.do(b"SADD", b"s", b"a", b"b")
    picked = decode(h.do(b"SRANDMEMBER", b"s", b"-50"))
    assert len(picked) == 50 and set(picked) == {b"a", b"b"}


@pytest.mark.parametrize("protover", [2, 3])
def test_srandmember_count_replies_an_array(h, protover):
    h.session.protover = protover
    assert h.do(b"SRANDMEMBER", b"missing", b"3") == EMPTY_ARRAY
    h.do(b"SADD", b"s", b"a")
    assert h.do(b"SRANDMEMBER", b"s", b"0") == EMPTY_ARRAY
    assert h.do(b"SRANDMEMBER", b"s", b"-2") == array(bulk(b"a"), bulk(b"a"))


@pytest.mark.parametrize("arg, text", [
    (b"x", "ERR value is not an integer or out of range"),
    (b"-9223372036854775808",
     "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
], ids=["not-integer", "int64-min"])
def test_srandmember_bad_count_is_checked_before_the_key(h, arg, text):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SRANDMEMBER", b"str", arg) == error(text)
    assert h.do(b"SRANDMEMBER", b"missing", arg) == error(text)


def test_random_picks_are_uniform_with_a_seeded_rng(h):
    members = [b"%d" % i for i in range(10)]
    h.do(b"SADD", b"s", *members)
    picked = decode(h.do(b"SRANDMEMBER", b"s", b"-20000"))
    counts = {m: picked.count(m) for m in members}
    assert all(1700 < n < 2300 for n in counts.values()), counts  # deterministic: the rng is seeded


def test_random_picks_follow_the_store_seed():
    replies = []
    for _ in range(2):
        h = Harness(seed=99)
        h.do(b"SADD", b"s", *[b"m%d" % i for i in range(50)])
        replies.append((h.do(b"SRANDMEMBER", b"s", b"-10"), h.do(b"SPOP", b"s", b"5"), h.do(b"SPOP", b"s")))
    assert replies[0] == replies[1]


# -- hostile sizes -----------------------------------------------------------------------------------------


def test_srandmember_huge_negative_count_is_refused(h):
    h.do(b"SADD", b"s", b"a")
    assert h.do(b"SRANDMEMBER", b"s", b"-%d" % INT64_MAX) == error(sets_module.RANDOM_COUNT_TOO_LARGE)
    assert h.do(b"SRANDMEMBER", b"s", b"-4611686018427387903") == error(sets_module.RANDOM_COUNT_TOO_LARGE)
    assert sets_module.RANDOM_COUNT_TOO_LARGE == (
        "ERR SRANDMEMBER count is out of range: kvfake returns at most 10000000 random members")


def test_srandmember_limit_boundary(h, monkeypatch):
    monkeypatch.setattr(sets_module, "MAX_RANDOM_MEMBERS", 100)
    h.do(b"SADD", b"s", b"a", b"b")
    assert len(decode(h.do(b"SRANDMEMBER", b"s", b"-100"))) == 100
    assert h.do(b"SRANDMEMBER", b"s", b"-101") == error(sets_module.RANDOM_COUNT_TOO_LARGE)


@pytest.mark.parametrize("count", [b"-%d" % INT64_MAX, b"%d" % INT64_MAX], ids=["neg", "pos"])
def test_srandmember_huge_counts_where_redis_is_bounded(h, count):
    # a missing key and a wrong type answer before any reply is built, as in Redis
    assert h.do(b"SRANDMEMBER", b"missing", count) == EMPTY_ARRAY
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SRANDMEMBER", b"str", count) == error(WRONGTYPE)


def test_huge_positive_counts_return_the_whole_set(h):
    h.do(b"SADD", b"s", b"3", b"1", b"2")
    assert h.do(b"SRANDMEMBER", b"s", b"%d" % INT64_MAX) == array(*_bulks(b"1", b"2", b"3"))
    assert h.do(b"SPOP", b"s", b"%d" % INT64_MAX) == array(*_bulks(b"1", b"2", b"3"))
    assert h.do(b"EXISTS", b"s") == integer(0)


# -- SSCAN ------------------------------------------------------------------------------------------------


def _sscan_all(h, key: bytes, *options) -> list:
    members: list = []
    cursor = b"0"
    for _ in range(100_000):
        cursor, batch = decode(h.do(b"SSCAN", key, cursor, *options))
        members.extend(batch)
        if cursor == b"0":
            return members
    raise AssertionError("SSCAN did not finish")


def test_sscan_intset_comes_back_whole_whatever_the_cursor(h):
    h.do(b"SADD", b"s", *[b"%d" % i for i in range(100)])
    reply = h.do(b"SSCAN", b"s", b"12345", b"COUNT", b"1")
    cursor, members = decode(reply)
    assert cursor == b"0" and members == [b"%d" % i for i in range(100)]


@pytest.mark.parametrize("options", [[], [b"COUNT", b"1"], [b"COUNT", b"7"], [b"COUNT", b"1000"]],
                         ids=["default", "count-1", "count-7", "count-1000"])
def test_sscan_hashtable_visits_each_member_once(h, options):
    members = {b"m%d" % i for i in range(500)}
    h.do(b"SADD", b"s", *members)
    got = _sscan_all(h, b"s", *options)
    assert len(got) == len(set(got)) and set(got) == members


def test_sscan_match_filters(h):
    h.do(b"SADD", b"s", *[b"m%d" % i for i in range(200)])
    assert sorted(_sscan_all(h, b"s", b"MATCH", b"m1?")) == sorted(b"m1%d" % i for i in range(10))


def test_sscan_members_present_throughout_are_returned_despite_changes(h):
    stable = {b"stable%d" % i for i in range(300)}
    h.do(b"SADD", b"s", *stable)
    seen: list = []
    cursor = b"0"
    step = 0
    while True:
        cursor, batch = decode(h.do(b"SSCAN", b"s", cursor, b"COUNT", b"20"))
        seen.extend(batch)
        h.do(b"SADD", b"s", b"new%d" % step)
        h.do(b"SREM", b"s", b"new%d" % (step - 1))
        step += 1
        if cursor == b"0":
            break
    assert stable <= set(seen)
    assert len([m for m in seen if m in stable]) == len(stable)


@pytest.mark.parametrize("options, text", [
    ([b"COUNT", b"0"], "ERR syntax error"),
    ([b"COUNT", b"x"], "ERR value is not an integer or out of range"),
    ([b"MATCH"], "ERR syntax error"),
    ([b"TYPE", b"set"], "ERR syntax error"),
], ids=["count-0", "count-x", "match-alone", "type"])
def test_sscan_option_errors(h, options, text):
    h.do(b"SADD", b"s", b"1")
    assert h.do(b"SSCAN", b"s", b"0", *options) == error(text)
    assert h.do(b"SSCAN", b"missing", b"0", *options) == array(bulk(b"0"), EMPTY_ARRAY)


def test_sscan_bad_cursor_comes_first(h):
    h.do(b"SET", b"str", b"v")
    assert h.do(b"SSCAN", b"str", b"x") == error("ERR invalid cursor")


# -- keyspace interplay -------------------------------------------------------------------------------------


def test_type_and_scan_type(h):
    h.do(b"SADD", b"s", b"1")
    h.do(b"SET", b"str", b"v")
    assert h.do(b"TYPE", b"s") == b"+set\r\n"
    assert h.do(b"SCAN", b"0", b"TYPE", b"set") == array(bulk(b"0"), array(bulk(b"s")))


def test_expired_set_is_gone_and_recreated(h):
    h.do(b"SADD", b"s", b"1", b"2")
    h.do(b"PEXPIRE", b"s", b"100")
    assert h.do(b"SADD", b"s", b"3") == integer(1)  # keeps the TTL
    h.clock.advance(0.2)
    assert h.do(b"SCARD", b"s") == integer(0)
    assert h.do(b"SADD", b"s", b"x") == integer(1)
    assert h.do(b"TTL", b"s") == integer(-1)
    assert h.do(b"SMEMBERS", b"s") == array(bulk(b"x"))


def test_copy_is_independent_and_keeps_encoding(h):
    h.do(b"SADD", b"s", b"1", b"x")
    h.do(b"SREM", b"s", b"x")
    h.do(b"COPY", b"s", b"c")
    assert h.do(b"OBJECT", b"ENCODING", b"c") == bulk(b"hashtable")
    h.do(b"SADD", b"c", b"2")
    h.do(b"SPOP", b"c")  # builds the random-pick index of the copy only
    assert h.do(b"SMEMBERS", b"s") == array(bulk(b"1"))


def test_rename_and_move_keep_the_set(h):
    h.do(b"SADD", b"s", b"1", b"2")
    h.do(b"RENAME", b"s", b"t")
    h.do(b"MOVE", b"t", b"3")
    h.do(b"SELECT", b"3")
    assert h.do(b"SMEMBERS", b"t") == array(bulk(b"1"), bulk(b"2"))
    assert h.do(b"OBJECT", b"ENCODING", b"t") == bulk(b"intset")


def test_spop_count_keeps_the_ttl(h):
    h.do(b"SADD", b"s", *[b"%d" % i for i in range(10)])
    h.do(b"EXPIRE", b"s", b"100")
    h.do(b"SPOP", b"s", b"9")
    assert h.do(b"TTL", b"s") == integer(100)


# -- keyspace events and WATCH signals -------------------------------------------------------------------

EVENTS = [
    ([[b"SADD", b"s", b"a"]], [b"SADD", b"s", b"a", b"b"], [("s", b"sadd", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SADD", b"s", b"a"], []),
    ([[b"SADD", b"s", b"a", b"b"]], [b"SREM", b"s", b"a"], [("s", b"srem", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SREM", b"s", b"a", b"z"], [("s", b"srem", b"s"), ("g", b"del", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SREM", b"s", b"z"], []),
    ([[b"SADD", b"s", b"a"]], [b"SPOP", b"s"], [("s", b"spop", b"s"), ("g", b"del", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SPOP", b"s", b"5"], [("s", b"spop", b"s"), ("g", b"del", b"s")]),
    ([[b"SADD", b"s", b"a", b"b"]], [b"SPOP", b"s", b"1"], [("s", b"spop", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SPOP", b"s", b"0"], []),
    ([[b"SADD", b"s", b"a"]], [b"SMOVE", b"s", b"d", b"a"],
     [("s", b"srem", b"s"), ("g", b"del", b"s"), ("s", b"sadd", b"d")]),
    ([[b"SADD", b"s", b"a", b"b"], [b"SADD", b"d", b"a"]], [b"SMOVE", b"s", b"d", b"a"], [("s", b"srem", b"s")]),
    ([[b"SADD", b"s", b"a"]], [b"SINTERSTORE", b"d", b"s"], [("s", b"sinterstore", b"d")]),
    ([[b"SADD", b"s", b"a"]], [b"SUNIONSTORE", b"d", b"s"], [("s", b"sunionstore", b"d")]),
    ([[b"SADD", b"s", b"a"]], [b"SDIFFSTORE", b"d", b"s"], [("s", b"sdiffstore", b"d")]),
    ([[b"SET", b"d", b"v"]], [b"SINTERSTORE", b"d", b"missing"], [("g", b"del", b"d")]),
    ([[b"SADD", b"s", b"a"], [b"SET", b"d", b"v"]], [b"SDIFFSTORE", b"d", b"s", b"s"], [("g", b"del", b"d")]),
    ([], [b"SUNIONSTORE", b"d", b"missing"], []),
]


@pytest.mark.parametrize("setup, argv, events", EVENTS, ids=[b" ".join(a).decode() for _, a, _ in EVENTS])
def test_keyspace_events(h, setup, argv, events):
    for step in setup:
        h.do(*step)
    seen = _events(h)
    h.do(*argv)
    assert seen == events


SIGNALS = [
    ([b"SADD", b"s", b"new"], True),
    ([b"SADD", b"s", b"a"], False),
    ([b"SREM", b"s", b"a"], True),
    ([b"SREM", b"s", b"z"], False),
    ([b"SPOP", b"s"], True),
    ([b"SPOP", b"s", b"0"], False),
    ([b"SMOVE", b"s", b"other", b"a"], True),
    ([b"SMOVE", b"s", b"other", b"z"], False),
    ([b"SINTERSTORE", b"s", b"s"], True),
    ([b"SMEMBERS", b"s"], False),
    ([b"SRANDMEMBER", b"s", b"-3"], False),
    ([b"SSCAN", b"s", b"0"], False),
]


@pytest.mark.parametrize("argv, dirty", SIGNALS, ids=[b" ".join(a).decode() for a, _ in SIGNALS])
def test_watch_signals(h, argv, dirty):
    h.do(b"SADD", b"s", b"a", b"b")
    watcher = _watch(h, b"s")
    h.do(*argv)
    assert watcher.dirty is dirty


def test_smove_signals_the_destination(h):
    h.do(b"SADD", b"s", b"a")
    watcher = _watch(h, b"d")
    h.do(b"SMOVE", b"s", b"d", b"a")
    assert watcher.dirty


# -- arity (flags and arity come from the registry; spot checks) -----------------------------------------


@pytest.mark.parametrize("argv, name", [
    ([b"SADD", b"s"], "sadd"), ([b"SMOVE", b"a", b"b"], "smove"), ([b"SINTERCARD", b"1"], "sintercard"),
    ([b"SSCAN", b"s"], "sscan"), ([b"SPOP"], "spop"), ([b"SMEMBERS", b"a", b"b"], "smembers"),
], ids=["sadd", "smove", "sintercard", "sscan", "spop", "smembers"])
def test_arity(h, argv, name):
    assert h.do(*argv) == error(f"ERR wrong number of arguments for '{name}' command")


# -- SetValue: O(1) random picks kept in step -------------------------------------------------------------


def _consistent(s: SetValue) -> bool:
    items = s._items
    if items is None:
        return True
    return (len(items) == len(s) and set(items) == set(s)
            and all(s._pos[m] == i for i, m in enumerate(items)) and len(s._pos) == len(s))


OPS = st.lists(st.tuples(st.sampled_from(["add", "discard", "remove", "pop", "update", "isub", "iand",
                                          "clear", "pick"]),
                         st.binary(max_size=2)), max_size=60)


@given(OPS)
def test_setvalue_positions_follow_every_mutator(ops):
    import random as random_module
    rng = random_module.Random(1)
    s = SetValue({b"a", b"b"})
    model = {b"a", b"b"}
    for op, member in ops:
        if op == "add":
            s.add(member)
            model.add(member)
        elif op == "discard":
            s.discard(member)
            model.discard(member)
        elif op == "remove":
            if member in model:
                s.remove(member)
                model.remove(member)
            else:
                with pytest.raises(KeyError):
                    s.remove(member)
        elif op == "pop":
            if model:
                model.remove(s.pop())
        elif op == "update":
            s.update({member, member + b"x"})
            model.update({member, member + b"x"})
        elif op == "isub":
            s -= {member}
            model -= {member}
        elif op == "iand":
            s &= model - {member}
            model &= model - {member}
        elif op == "clear":
            s.clear()
            model.clear()
        elif model:
            assert s.random_member(rng) in model
        assert set(s) == model and type(s) is SetValue
        assert _consistent(s)


def test_setvalue_random_picks_reuse_their_index(h):
    h.do(b"SADD", b"s", *[b"m%d" % i for i in range(1000)])
    h.do(b"SPOP", b"s")
    items = _value(h, b"s")._items
    for _ in range(100):
        h.do(b"SPOP", b"s")
        h.do(b"SRANDMEMBER", b"s")
        h.do(b"SADD", b"s", b"n%d" % _)
    assert _value(h, b"s")._items is items  # updated in place, never rebuilt
    assert _consistent(_value(h, b"s"))


def test_setvalue_copy_is_independent():
    s = SetValue({b"1", b"2"})
    s.big = True
    s.member_list()
    c = s.copy()
    assert c == s and c.big and c._items is None and c.scan_index is None
    c.add(b"3")
    assert b"3" not in s and _consistent(s)


@pytest.mark.parametrize("members, max_intset, fits", [
    ({b"1", b"2"}, 2, True), ({b"1", b"2"}, 1, False), ({b"1", b"a"}, 10, False), (set(), 0, True),
], ids=["ints", "too-many", "string", "empty"])
def test_fits_intset(members, max_intset, fits):
    assert fits_intset(members, max_intset) is fits
    assert SetValue.fresh(members, max_intset).big is (not fits)


# -- Store API ---------------------------------------------------------------------------------------------


def test_store_api_sets(h):
    h.store.set(0, "ints", {1, 2, "3"})
    h.store.set(0, "words", frozenset({"a", b"b"}))
    assert h.do(b"OBJECT", b"ENCODING", b"ints") == bulk(b"intset")
    assert h.do(b"SMEMBERS", b"ints") == array(*_bulks(b"1", b"2", b"3"))
    assert h.do(b"OBJECT", b"ENCODING", b"words") == bulk(b"hashtable")
    assert h.store.get(0, "words") == {b"a", b"b"}
    assert h.store.type(0, "words") == "set"
    exported = h.store.get(0, "ints")
    exported.add(b"9")
    assert h.do(b"SCARD", b"ints") == integer(3)


def test_store_api_refuses_an_empty_set(h):
    from kvfake.errors import KvfakeError
    with pytest.raises(KvfakeError):
        h.store.set(0, "s", set())


# -- redis-py end to end --------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_round_trip(kvfake_server, protocol):
    client = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        assert client.sadd("s", "a", "b", "c", "1") == 4
        assert client.smembers("s") == {b"a", b"b", b"c", b"1"}
        assert client.sismember("s", "a") in (1, True)
        assert [bool(x) for x in client.smismember("s", ["a", "z"])] == [True, False]
        assert client.scard("s") == 4
        assert client.srandmember("s") in {b"a", b"b", b"c", b"1"}
        assert len(client.srandmember("s", -7)) == 7
        popped = client.spop("s", 2)
        assert len(popped) == 2 and set(popped) <= {b"a", b"b", b"c", b"1"}
        assert client.sadd("t", "1", "2", "x") == 3
        assert client.sintercard(2, ["s", "t"]) >= 0
        assert client.sunionstore("u", ["s", "t"]) == len(client.smembers("u"))
        assert client.smove("t", "u2", "x") in (1, True)
        assert set(client.sscan_iter("u", count=1)) == client.smembers("u")
        assert client.sdiff("t", "missing") == {b"1", b"2"}
        assert client.sinter("t", "missing") == set()
        assert client.object("encoding", "t") == b"hashtable"  # one-way: "x" came and went
        assert client.sinterstore("i", ["t", "t"]) == 2
        assert client.object("encoding", "i") == b"intset"
    finally:
        client.close()
