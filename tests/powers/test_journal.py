"""The command journal (``server.journal``) and its assertions, fed by real redis-py clients."""

from __future__ import annotations

import asyncio
import re

import pytest
import redis
import redis.asyncio

from kvfake import ANY, Glob, JournalEntry, Server


@pytest.fixture
def app(kvfake_url):
    """A client named like the code under test would be."""
    client = redis.Redis.from_url(kvfake_url, client_name="app")
    yield client
    client.close()


def test_entries_record_client_db_args_reply_and_time(kvfake_server, app):
    app.set("k", "v")
    app.execute_command("SELECT", 2)
    app.execute_command("INCR", "k2")
    entries = kvfake_server.journal.filter(client_name="app")
    set_entry = next(e for e in entries if e.command == "set")
    assert isinstance(set_entry, JournalEntry)
    assert set_entry.args == (b"SET", b"k", b"v")
    assert set_entry.client_name == "app"
    assert set_entry.db == 0
    assert set_entry.error is None
    assert abs(set_entry.time - kvfake_server.clock.time()) < 5
    incr = kvfake_server.journal.last("INCR")
    assert incr.db == 2 and incr.reply == 1


def test_error_replies_are_recorded(kvfake_server, app):
    app.set("k", "abc")
    with pytest.raises(redis.ResponseError):
        app.execute_command("INCR", "k")
    entry = kvfake_server.journal.assert_called_once("INCR", "k")
    assert entry.error == "ERR value is not an integer or out of range"


def test_time_of_an_entry_is_the_server_clock():
    with Server(frozen=True, start_time=1_700_000_000) as server:
        with redis.Redis(port=server.port) as r:
            r.ping()
            server.clock.advance(10)
            r.get("k")
        assert server.journal.last("GET").time_ms == 1_700_000_010_000


MATCHING = [
    (("SET", "k", "v", "EX", "60"), True, "exact"),
    (("set", "k", "v", "EX", "60"), True, "name-any-case"),
    ((b"SET", b"k", b"v", b"EX", b"60"), True, "bytes"),
    (("SET", "k", "v"), False, "too-short"),
    (("SET",), True, "name-alone"),
    (("SET", "k"), False, "prefix-without-ellipsis"),
    (("SET", "k", ...), True, "ellipsis"),
    (("SET", "K", "v", ...), False, "args-exact-case"),
    (("SET", "k", ANY), False, "any-exact-length"),
    (("SET", "k", ANY, "EX", 60), True, "int-arg"),
    (("SET", Glob("k*"), ANY, ...), True, "glob"),
    (("SET", Glob("x*"), ...), False, "glob-miss"),
    (("SET", re.compile("[a-z]"), ...), True, "regex-str"),
    (("SET", re.compile(rb"\d"), ...), False, "regex-bytes-miss"),
    (("SET", lambda a: a.startswith(b"k"), ...), True, "callable"),
    (("SET", "k", "v", "ex", 60), False, "options-exact-case"),
    (("GET",), False, "other-command"),
]


@pytest.mark.parametrize("call, expected", [m[:2] for m in MATCHING], ids=[m[2] for m in MATCHING])
def test_call_patterns(kvfake_server, app, call, expected):
    app.set("k", "v", ex=60)
    assert (kvfake_server.journal.count(*call, client_name="app") == 1) is expected


def test_an_empty_pattern_matches_every_command(kvfake_server, app):
    app.ping()
    app.get("k")
    everything = [e for e in kvfake_server.journal.entries if e.client_name == "app"]
    assert {"ping", "get"} <= {e.command for e in everything}
    assert kvfake_server.journal.count(client_name="app") == len(everything)


def test_float_arguments_compare_as_numbers(kvfake_server, app):
    app.incrbyfloat("f", 1.5)
    kvfake_server.journal.assert_called("INCRBYFLOAT", "f", 1.5)
    kvfake_server.journal.assert_not_called("INCRBYFLOAT", "f", 2.5)


def test_subcommands_match_case_insensitively(kvfake_server, app):
    app.client_setname("renamed")
    kvfake_server.journal.assert_called("CLIENT", "setname", "renamed")
    kvfake_server.journal.assert_called("client SETNAME", "renamed")
    kvfake_server.journal.assert_called("CLIENT SETNAME", "renamed", client_name="renamed")


def test_filters_tell_clients_apart(kvfake_server, app, kvfake_redis):
    kvfake_redis.set("mine", "1")
    app.get("mine")
    journal = kvfake_server.journal
    journal.assert_not_called("SET", client_name="app")
    journal.assert_called("SET", "mine", "1", client_name="kvfake_redis")
    app_id = app.client_id()
    assert {e.client_id for e in journal.filter(client_name="app")} == {app_id}
    assert journal.count("GET", client_id=app_id) == 1
    assert journal.filter(command="GET") == journal.filter("GET")


def test_db_filter(kvfake_server):
    with redis.Redis(port=kvfake_server.port, db=3) as r:
        r.set("k", "v")
    kvfake_server.journal.assert_called("SET", "k", "v", db=3)
    kvfake_server.journal.assert_not_called("SET", db=0)


def test_assert_called_failure_lists_the_closest_commands(kvfake_server, app):
    app.get("user:1")
    app.set("user:2", "bob")
    app.set("user:1", "alice")
    app.ping()
    with pytest.raises(AssertionError) as info:
        kvfake_server.journal.assert_called("SET", "user:1", "bob", client_name="app")
    message = str(info.value)
    assert message.startswith("Expected command not received: SET user:1 bob (client_name='app')")
    lines = message.splitlines()
    closest = [line.strip() for line in lines[2:]]
    # the same command first, most alike first; then the others
    assert closest[0].startswith("SET user:2 bob  -> OK  [client ")
    assert closest[1].startswith("SET user:1 alice  -> OK")
    assert closest[2].startswith("GET user:1  -> (nil)")


def test_assert_called_failure_when_nothing_was_received(kvfake_server):
    with pytest.raises(AssertionError, match="No commands were received at all"):
        kvfake_server.journal.assert_called("GET", "k")


def test_assert_called_once_and_not_called_report_the_matches(kvfake_server, app):
    app.get("a")
    app.get("a")
    with pytest.raises(AssertionError) as once:
        kvfake_server.journal.assert_called_once("GET", "a")
    assert "Expected exactly one matching command, received 2: GET a" in str(once.value)
    assert str(once.value).count("GET a  -> (nil)") == 2
    with pytest.raises(AssertionError, match="Expected no matching command, received 2: GET"):
        kvfake_server.journal.assert_not_called("GET")


def test_assert_called_in_order(kvfake_server, app):
    app.set("a", "1")
    app.get("x")
    app.set("b", "2")
    app.delete("a")
    journal = kvfake_server.journal
    journal.assert_called_in_order([("SET", "a", "1"), ("SET", "b", ANY), "DEL"], client_name="app")
    with pytest.raises(AssertionError) as info:
        journal.assert_called_in_order([("SET", "b", ANY), ("SET", "a", "1")], client_name="app")
    message = str(info.value)
    assert "step 2 of 2 missing" in message
    assert "1. SET b ANY" in message


def test_assert_no_writes_uses_the_write_flag(kvfake_server, app, kvfake_redis):
    kvfake_redis.set("seeded", "1")  # the test's own write
    app.get("seeded")
    app.exists("seeded")
    kvfake_server.journal.assert_no_writes(client_name="app")
    app.expire("seeded", 10)
    with pytest.raises(AssertionError) as info:
        kvfake_server.journal.assert_no_writes(client_name="app")
    assert "Expected no write commands (client_name='app'), received 1:\n  EXPIRE seeded 10  -> (integer) 1" in str(
        info.value
    )


def test_seeding_is_not_journaled(kvfake_server):
    kvfake_server.seed({"a": "1"})
    kvfake_server.seed_commands("SET b 2\nRPUSH l x")
    assert len(kvfake_server.journal) == 0
    kvfake_server.journal.assert_no_writes()


def test_clear_and_len(kvfake_server, app):
    app.ping()
    assert len(kvfake_server.journal) > 0
    kvfake_server.journal.clear()
    assert len(kvfake_server.journal) == 0
    assert list(kvfake_server.journal) == []


def test_capacity_keeps_the_newest_commands():
    with Server(journal_size=5) as server:
        with redis.Redis(port=server.port, protocol=2) as r:
            for i in range(20):
                r.set(f"k{i}", i)
        assert len(server.journal) == 5
        assert [e.args[1] for e in server.journal] == [b"k15", b"k16", b"k17", b"k18", b"k19"]
        with pytest.raises(AssertionError, match="the journal is full"):
            server.journal.assert_called("SET", "k0", ...)
        server.journal.capacity = 2
        assert [e.args[1] for e in server.journal] == [b"k18", b"k19"]


def test_async_client_commands_are_journaled(kvfake_server, kvfake_redis_async):
    async def main():
        async with kvfake_redis_async as r:
            await r.set("a", "1")
            await r.get("a")

    asyncio.run(main())
    kvfake_server.journal.assert_called_in_order(
        [("SET", "a", "1"), ("GET", "a")], client_name="kvfake_redis_async"
    )


def test_pipelined_commands_are_journaled_in_order(kvfake_server, app):
    with app.pipeline(transaction=False) as pipe:
        for i in range(50):
            pipe.rpush("q", i)
        pipe.execute()
    pushed = [e.args[2] for e in kvfake_server.journal.filter("RPUSH", client_name="app")]
    assert pushed == [b"%d" % i for i in range(50)]


def test_custom_commands_count_as_writes_when_flagged(kvfake_server, app):
    kvfake_server.register_command("MYWRITE", lambda *a: 1, flags="write")
    app.execute_command("MYWRITE", "k")
    with pytest.raises(AssertionError, match="MYWRITE k"):
        kvfake_server.journal.assert_no_writes()


def test_bad_patterns_are_rejected(kvfake_server):
    with pytest.raises(TypeError, match="may only end"):
        kvfake_server.journal.count("SET", ..., "x")
    with pytest.raises(TypeError, match="unsupported argument pattern"):
        kvfake_server.journal.count("SET", object())
    with pytest.raises(TypeError, match="True/False"):
        kvfake_server.journal.count("SET", True)
