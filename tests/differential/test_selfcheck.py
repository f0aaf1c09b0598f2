"""The differential harness checks itself: two real redis servers agree, and a difference is reported
readably. Uses ``redis_pair`` (two redis-server processes), never kvfake, so it is valid before kvfake
exists and proves the harness can fail."""

import pytest

from tests.support.resp import NIL, array, bulk, error, integer, simple

SCRIPTS = {
    "strings": [
        ["SET", "k", "v"],
        ["GET", "k"],
        ["SET", "k", "v", "NX"],
        ["SET", "k", "v", "NX", "XX"],
        ["APPEND", "k", b"\x00\xff"],
        ["GET", "k"],
        ["INCR", "k"],
        ["GET", "missing"],
    ],
    "keys-and-types": [
        ["MSET", "a", "1", "b", "2", "c", "3"],
        ["RPUSH", "l", "x", "y"],
        ["SADD", "s", "m1", "m2", "m3"],
        ["KEYS", "*"],
        ["SMEMBERS", "s"],
        ["TYPE", "l"],
        ["GET", "l"],
        ["DBSIZE"],
        ["SELECT", "1"],
        ["DBSIZE"],
    ],
    "hash-and-time": [
        ["HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3"],
        ["HGETALL", "h"],
        ["HKEYS", "h"],
        ["TIME"],
    ],
    "errors": [
        ["NOSUCHCOMMAND", "a", "b"],
        ["GET"],
        ["CLIENT", "NOSUCH"],
    ],
    "quit-closes": [
        ["PING"],
        ["QUIT"],
        ["PING"],
    ],
}

NORMALIZE = ["sort-elements", "sort-pairs", "time"]


@pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", SCRIPTS)
def test_two_redis_servers_agree(redis_pair, name, resp):
    replies = redis_pair.check(SCRIPTS[name], normalize=NORMALIZE, resp=resp, name=name)
    assert len(replies) == len(SCRIPTS[name])


def test_check_returns_reference_replies(redis_pair):
    replies = redis_pair.check([["SET", "k", "v"], ["GET", "k"], ["GET", "x"], ["STRLEN", "k"],
                                ["SET", "k", "v", "XX", "NX"], ["MGET", "k", "x"]])
    assert replies == [simple("OK"), bulk(b"v"), NIL, integer(1), error("ERR syntax error"),
                       array(bulk(b"v"), NIL)]


def test_each_check_starts_from_an_empty_db0(redis_pair):
    redis_pair.check([["SELECT", "3"], ["SET", "k", "v"]])
    assert redis_pair.check([["DBSIZE"], ["SELECT", "3"], ["DBSIZE"]]) == [integer(0), simple("OK"), integer(0)]


def test_quit_then_closed(redis_pair):
    assert redis_pair.check(SCRIPTS["quit-closes"]) == [simple("PONG"), simple("OK"), b"<connection closed>"]


def test_mismatch_message_names_step_command_and_both_replies(redis_pair, redis_server, second_redis_server):
    # the two servers listen on different ports, so CONFIG GET port must differ
    with pytest.raises(AssertionError) as info:
        redis_pair.check([["SET", "k", "v"], ["CONFIG", "GET", "port"]], name="ports")
    message = str(info.value)
    assert "redis-b differs from redis-a at step 1 of script 'ports' (resp=2)" in message
    assert "command : CONFIG GET port" in message
    assert repr(array(bulk(b"port"), bulk(str(redis_server.port)))) in message
    assert repr(array(bulk(b"port"), bulk(str(second_redis_server.port)))) in message
    assert "[0] SET k v  ->  b'+OK\\r\\n'" in message


def test_adhoc_normaliser_hides_exactly_the_port(redis_pair, redis_server, second_redis_server):
    ports = {str(redis_server.port).encode(), str(second_redis_server.port).encode()}

    def port_placeholder(argv, raw):
        for p in ports:
            raw = raw.replace(bulk(p), bulk(b"<port>"))
        return raw

    replies = redis_pair.check([["CONFIG", "GET", "port"]], normalize=port_placeholder)
    assert replies == [array(bulk(b"port"), bulk(b"<port>"))]


def test_named_normaliser_applies_only_to_its_commands(redis_pair):
    # "time" is registered for TIME only: CONFIG GET port is not normalised, so it still differs
    with pytest.raises(AssertionError, match="CONFIG GET port"):
        redis_pair.check([["TIME"], ["CONFIG", "GET", "port"]], normalize="time")


def test_unknown_normaliser_name_is_an_error(redis_pair):
    with pytest.raises(KeyError, match="unknown normaliser"):
        redis_pair.check([["PING"]], normalize="no-such-normaliser")


def test_binary_arguments_are_shown_readably(redis_pair):
    with pytest.raises(AssertionError) as info:
        redis_pair.check([["SET", b"k\x00 y", "v"], ["CONFIG", "GET", "port"]])
    assert "[0] SET b'k\\x00 y' v" in str(info.value)


RAW = {
    "inline-ping": [b"PING\r\n"],
    "split-multibulk": [b"*2\r\n$4\r\nEC", b"HO\r\n$3\r", b"\nabc\r\n"],
    "pipelined-mixed": [b"PING\r\n*1\r\n$4\r\nPING\r\nECHO \"a b\"\r\n"],
    "bad-bulk-length-closes": [b"*1\r\n$x\r\n", b"PING\r\n"],
    "unbalanced-quotes-closes": [b"SET \"k v\r\n"],
    "incomplete-stays-open": [b"*3\r\n$3\r\nSET\r\n"],
}


@pytest.mark.parametrize("name", RAW)
def test_raw_chunks_agree(redis_pair, name):
    redis_pair.check_raw(RAW[name])


def test_check_raw_reports_replies_and_closing(redis_pair):
    replies, closed = redis_pair.check_raw(RAW["bad-bulk-length-closes"])
    assert (replies, closed) == ([error("ERR Protocol error: invalid bulk length")], True)
    replies, closed = redis_pair.check_raw(RAW["split-multibulk"])
    assert (replies, closed) == ([bulk(b"abc")], False)


def test_check_raw_mismatch_is_reported(redis_pair):
    with pytest.raises(AssertionError) as info:
        redis_pair.check_raw([b"CONFIG GET port\r\n"], quiet=0.05, settle=0.2)
    message = str(info.value)
    assert "redis-b differs from redis-a on raw input" in message
    assert "(still open)" in message
