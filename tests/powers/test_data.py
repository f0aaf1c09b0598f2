"""Seeding and inspection: ``server.seed`` / ``seed_json`` / ``seed_commands`` / ``dump`` / ``assert_data``.

What is seeded is read back through redis-py (the client's view), and what clients write is read
back through ``dump`` (the test's view).
"""

from __future__ import annotations

import json

import pytest
import redis

from kvfake import ANY, KvfakeError, Server

EVERY_TYPE = {
    "s": "v",
    "n": 42,
    "h": {"f1": "a", "f2": "b"},
    "l": ["x", "y", "x"],
    "set": {"m1", "m2"},
    "z": {"type": "zset", "value": {"low": 1, "high": 2.5}},
    "t": {"type": "string", "value": "short-lived", "ttl": 30},
}


def test_seeded_values_are_seen_by_clients(kvfake_server, kvfake_redis):
    assert kvfake_server.seed(EVERY_TYPE) == 7
    r = kvfake_redis
    assert r.get("s") == b"v"
    assert r.get("n") == b"42"
    assert r.hgetall("h") == {b"f1": b"a", b"f2": b"b"}
    assert r.lrange("l", 0, -1) == [b"x", b"y", b"x"]
    assert r.smembers("set") == {b"m1", b"m2"}
    assert r.zrange("z", 0, -1, withscores=True) == [(b"low", 1.0), (b"high", 2.5)]
    assert 29 <= r.ttl("t") <= 30
    assert r.ttl("s") == -1
    assert [r.type(k) for k in ("s", "h", "l", "set", "z")] == [b"string", b"hash", b"list", b"set", b"zset"]


def test_client_writes_show_in_the_dump(kvfake_server, kvfake_redis):
    r = kvfake_redis
    r.set("s", "v")
    r.hset("h", mapping={"f": "1"})
    r.rpush("l", "a", "b")
    r.sadd("set", "b", "a")
    r.zadd("z", {"m": 2, "n": 1})
    r.set("t", "v", ex=100)
    assert kvfake_server.dump() == {
        0: {
            "h": {"type": "hash", "value": {"f": "1"}, "ttl": None},
            "l": {"type": "list", "value": ["a", "b"], "ttl": None},
            "s": {"type": "string", "value": "v", "ttl": None},
            "set": {"type": "set", "value": ["a", "b"], "ttl": None},
            "t": {"type": "string", "value": "v", "ttl": pytest.approx(100, abs=1)},
            "z": {"type": "zset", "value": {"n": 1.0, "m": 2.0}, "ttl": None},
        }
    }
    assert list(kvfake_server.dump(0)["z"]["value"]) == ["n", "m"]  # score order


def test_dump_of_one_db_and_of_bytes(kvfake_server, kvfake_redis):
    kvfake_redis.execute_command("SELECT", 5)
    kvfake_redis.set(b"\xffkey", b"\x00\xfe")
    assert kvfake_server.dump(0) == {}
    assert kvfake_server.dump(5, decode=False) == {b"\xffkey": {"type": "string", "value": b"\x00\xfe", "ttl": None}}
    assert list(kvfake_server.dump()) == [5]


def test_json_round_trip_keeps_every_byte(kvfake_server, kvfake_redis):
    kvfake_redis.set(b"bin\xff", b"\xc3\x28 not utf-8")
    kvfake_redis.hset("h", b"\x80", b"\x81")
    kvfake_redis.zadd("z", {b"\xfe": 3})
    text = json.dumps(kvfake_server.dump())
    before = kvfake_server.dump(decode=False)
    kvfake_server.reset()
    assert kvfake_server.dump() == {}
    kvfake_server.seed_json(text)
    assert kvfake_server.dump(decode=False) == before
    assert kvfake_redis.get(b"bin\xff") == b"\xc3\x28 not utf-8"


def test_dump_form_seeds_several_databases(kvfake_server, kvfake_url):
    kvfake_server.seed({0: {"a": "1"}, 3: {"b": ["x"]}})
    with redis.Redis(port=kvfake_server.port, db=3) as r3:
        assert r3.lrange("b", 0, -1) == [b"x"]
    assert kvfake_server.store.get(0, "a") == b"1"
    kvfake_server.seed({"c": "2"}, db=7)
    assert kvfake_server.store.get(7, "c") == b"2"


def test_dump_leaves_expired_keys_alone():
    with Server(frozen=True, start_time=1_000_000) as server:
        server.seed({"gone": {"type": "string", "value": "v", "ttl": 1}, "kept": "v"})
        server.store.active_expire_enabled = False
        server.clock.advance(2)
        assert list(server.dump(0)) == ["kept"]
        assert server.store.stat_expired_keys == 0  # dumping expired nothing
        assert len(server.store.dbs[0].data) == 2


def test_seed_replaces_keys_of_any_type(kvfake_server, kvfake_redis):
    kvfake_redis.rpush("k", "a")
    kvfake_redis.set("t", "v", ex=100)
    kvfake_server.seed({"k": {"f": "v"}, "t": "no ttl"})
    assert kvfake_redis.hgetall("k") == {b"f": b"v"}
    assert kvfake_redis.ttl("t") == -1


BAD_DATA = [
    ({"k": None}, TypeError, "cannot seed NoneType"),
    ({"k": []}, KvfakeError, "an empty list cannot exist"),
    ({"k": {"type": "zset", "value": {"m": float("nan")}}}, KvfakeError, "NaN"),
    ({"k": {"type": "list", "value": "abc"}}, TypeError, "a list value is a list or set"),
    ({"k": {"type": "string", "value": "v", "ttl": "10"}}, TypeError, "ttl must be seconds"),
    ({"k": True}, TypeError, "no booleans"),
    ({99: {"k": "v"}}, KvfakeError, "no database 99"),
]


@pytest.mark.parametrize("data, error, text", BAD_DATA, ids=[t for _, _, t in BAD_DATA])
def test_bad_seed_data_changes_nothing(kvfake_server, data, error, text):
    with pytest.raises(error, match=text):
        kvfake_server.seed({"good": "1", **data} if 99 not in data else {0: {"good": "1"}, **data})
    assert kvfake_server.dump() == {}


def test_seeded_encodings_follow_redis_thresholds(kvfake_server, kvfake_redis):
    kvfake_server.seed(
        {
            "small-hash": {"f": "v"},
            "big-hash": {f"f{i}": "v" for i in range(513)},
            "max-hash": {f"f{i}": "v" for i in range(512)},
            "long-field": {"f": "x" * 65},
            "int-set": {"1", "2"},
            "str-set": {"a"},
            "big-int-set": {str(i) for i in range(513)},
            "small-zset": {"type": "zset", "value": {"m": 1}},
            "big-zset": {"type": "zset", "value": {f"m{i}": i for i in range(129)}},
        }
    )
    encodings = {k: kvfake_redis.object("encoding", k) for k in kvfake_server.dump(0)}
    assert encodings == {
        "small-hash": b"listpack",
        "big-hash": b"hashtable",
        "max-hash": b"listpack",
        "long-field": b"hashtable",
        "int-set": b"intset",
        "str-set": b"hashtable",
        "big-int-set": b"hashtable",
        "small-zset": b"listpack",
        "big-zset": b"skiplist",
    }


def test_seed_wakes_a_blocked_client(kvfake_server, kvfake_url):
    import threading

    result = []
    with redis.Redis.from_url(kvfake_url) as r:
        thread = threading.Thread(target=lambda: result.append(r.blpop(["q"], timeout=10)))
        thread.start()
        for _ in range(500):
            if any(c.last_command == "blpop" for c in kvfake_server.clients()):
                break
            thread.join(0.01)
        kvfake_server.seed({"q": ["job"]})
        thread.join(5)
    assert result == [(b"q", b"job")]


# -- commands and files ---------------------------------------------------------------


def test_seed_commands_runs_redis_cli_syntax(kvfake_server, kvfake_redis):
    count = kvfake_server.seed_commands(
        """
        # comments and blank lines are skipped
        SET greeting "hello world"
        HSET user:1 name alice age 30
        SELECT 2
        RPUSH queue a b
        """
    )
    assert count == 4
    assert kvfake_redis.get("greeting") == b"hello world"
    assert kvfake_redis.hget("user:1", "age") == b"30"
    assert kvfake_server.store.get(2, "queue") == [b"a", b"b"]


def test_seed_commands_accepts_argv_lists(kvfake_server):
    kvfake_server.seed_commands([["SET", "a b", 1], [b"SADD", b"s", b"\x00"]], db=1)
    assert kvfake_server.dump(1, decode=False) == {
        b"a b": {"type": "string", "value": b"1", "ttl": None},
        b"s": {"type": "set", "value": [b"\x00"], "ttl": None},
    }


def test_seed_commands_stops_at_the_first_error(kvfake_server):
    with pytest.raises(KvfakeError, match=r"line 3 failed: 'LPUSH k x': WRONGTYPE Operation"):
        kvfake_server.seed_commands("SET k v\n\nLPUSH k x\nSET never 1")
    assert kvfake_server.store.get(0, "never") is None


def test_seed_from_files(kvfake_server, tmp_path):
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps({"a": "1", "h": {"f": "v"}}))
    dump_file = tmp_path / "dump.json"
    dump_file.write_text(json.dumps({"4": {"b": {"type": "list", "value": ["x"], "ttl": None}}}))
    commands_file = tmp_path / "seed.redis"
    commands_file.write_text("SET c 3\nSADD s m\n")
    assert kvfake_server.seed(data_file) == 2
    assert kvfake_server.seed(str(dump_file)) == 1
    assert kvfake_server.seed(commands_file) == 2
    kvfake_server.assert_data(
        {0: {"a": "1", "h": {"f": "v"}, "c": "3", "s": {"m"}}, 4: {"b": ["x"]}}
    )


def test_json_keyspace_with_digit_keys_needs_db(kvfake_server):
    kvfake_server.seed_json('{"1": {"f": "v"}}', db=0)
    assert kvfake_server.dump(0) == {"1": {"type": "hash", "value": {"f": "v"}, "ttl": None}}


# -- assert_data ------------------------------------------------------------------------


def test_assert_data_passes_on_equal_data(kvfake_server, kvfake_redis):
    kvfake_redis.set("a", "1", ex=50)
    kvfake_redis.sadd("s", "y", "x")
    kvfake_redis.rpush("l", "1", "2")
    kvfake_redis.zadd("z", {"m": 1})
    kvfake_server.assert_data(
        {
            "a": {"type": "string", "value": "1", "ttl": pytest.approx(50, abs=1)},
            "s": {"x", "y"},
            "l": ["1", 2],
            "z": {"type": "zset", "value": [["m", 1]]},
        }
    )
    kvfake_server.assert_data({"a": "1"}, partial=True)
    kvfake_server.assert_data({"a": {"type": "string", "value": "1", "ttl": ANY}}, partial=True)


def test_assert_data_failure_shows_a_diff(kvfake_server, kvfake_redis):
    kvfake_server.clock.freeze()  # so the TTL reads exactly 10.0
    kvfake_redis.set("a", "1")
    kvfake_redis.rpush("l", "x", "y")
    kvfake_redis.set("extra", "?")
    kvfake_redis.set("t", "v", ex=10)
    with pytest.raises(AssertionError) as info:
        kvfake_server.assert_data(
            {"a": "2", "l": ["x", "y"], "missing": {"f": "v"}, "t": {"type": "string", "value": "v", "ttl": None}}
        )
    message = str(info.value)
    assert message.splitlines()[:6] == [
        "kvfake data differs from what was expected:",
        "  - db 0 'a': string value differs",
        "  - unexpected key db 0 'extra'",
        "  - missing key db 0 'missing'",
        "  - db 0 't': ttl 10.0, expected None",
        "",
    ]
    assert "-db 0 'a': string '2'\n+db 0 'a': string '1'" in message
    assert "+db 0 'extra': string '?'" in message
    assert "-db 0 'missing': hash {'f': 'v'}" in message
    assert " db 0 'l': list ['x', 'y']" in message  # unchanged context


def test_assert_data_type_mismatch(kvfake_server, kvfake_redis):
    kvfake_redis.sadd("k", "a")
    with pytest.raises(AssertionError, match="db 0 'k': expected a list, found a set"):
        kvfake_server.assert_data({"k": ["a"]})


def test_assert_data_partial_across_databases(kvfake_server):
    kvfake_server.seed({0: {"a": "1", "b": "2"}, 1: {"c": "3"}})
    kvfake_server.assert_data({1: {"c": "3"}}, partial=True)
    with pytest.raises(AssertionError, match="unexpected key db 0 'a'"):
        kvfake_server.assert_data({1: {"c": "3"}})
    with pytest.raises(AssertionError, match="missing key db 1 'd'"):
        kvfake_server.assert_data({"d": "4"}, db=1, partial=True)
