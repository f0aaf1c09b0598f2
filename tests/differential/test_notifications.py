"""Keyspace notifications against real redis-server 7.0.15: the event sequence of each command.

A subscriber connection ``PSUBSCRIBE __key*@*__:*`` and ``SUBSCRIBE __sync__``; a writer connection
runs each step (one command, or several pipelined in one write), then ``PUBLISH __sync__ <n>``.
Everything the subscriber receives up to that sync message is the step's events (a server
delivers in order on one connection), so no step needs its events counted.  The writer's
replies and the subscriber's raw frames are compared step by step between the two servers.

Expiry: a key set with ``PXAT 1`` is already due; pipelining the access after it makes the
"expired" event lazy expiry's, on both servers.  Active expiry (``PX 30``, then waiting for the
events) is compared as a whole.  notify-keyspace-events is restored after every script.
"""

from __future__ import annotations

import pytest

from tests.differential.multi import unsubscribe_all_order
from tests.support.raw import RawConnection
from tests.support.resp import command

SYNC = b"__sync__"
PATTERN = b"__key*@*__:*"


def _argv(cmd) -> list:
    return [a.encode() if isinstance(a, str) else b"%d" % a if isinstance(a, int) else bytes(a) for a in cmd]


def _events(endpoint, flags: str, script: list, resp: int = 2) -> list:
    """Run ``script`` on one server: per step (writer replies, subscriber frames)."""
    with RawConnection(endpoint.host, endpoint.port) as writer, \
            RawConnection(endpoint.host, endpoint.port) as sub:
        try:
            assert writer.call("FLUSHALL") == b"+OK\r\n"
            assert writer.call("CONFIG", "SET", "notify-keyspace-events", flags) == b"+OK\r\n"
            if resp == 3:
                assert sub.call("HELLO", "3").startswith(b"%")
            sub.send(command("PSUBSCRIBE", PATTERN) + command("SUBSCRIBE", SYNC))
            sub.replies(2)
            out = []
            for n, step in enumerate(script):
                cmds = [step] if isinstance(step[0], (str, bytes, int)) else step
                writer.send(b"".join(command(*_argv(c)) for c in cmds))
                replies = writer.replies(len(cmds))
                assert writer.call("PUBLISH", SYNC, str(n)) == b":1\r\n"
                frames = []
                while True:
                    frame = sub.reply(3)
                    if SYNC in frame and frame.endswith(b"$%d\r\n%d\r\n" % (len(str(n)), n)):
                        break
                    frames.append(frame)
                out.append((cmds, replies, frames))
            return out
        finally:
            with RawConnection(endpoint.host, endpoint.port) as admin:
                admin.call("CONFIG", "SET", "notify-keyspace-events", "")


def _compare(redis_server, kvfake_server, flags: str, script: list, resp: int = 2) -> None:
    __tracebackhide__ = True
    expected = _events(redis_server, flags, script, resp)
    got = _events(kvfake_server, flags, script, resp)
    for index, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            raise AssertionError(
                f"kvfake differs from redis at step {index}: {want[0]!r}\n"
                f"  redis : replies {want[1]!r}\n          events  {want[2]!r}\n"
                f"  kvfake: replies {have[1]!r}\n          events  {have[2]!r}")
    # every script is meant to notify something: a script that shows no event cannot fail
    assert any(step[2] for step in expected), "script produced no event on redis"


SCRIPTS = {
    "strings": [
        ["SET", "s", "v"],
        ["SET", "s", "v2"],
        ["SET", "s", "v", "NX"],
        ["SET", "nope", "v", "XX"],
        ["SET", "s", "v3", "GET", "EX", "100"],
        ["SET", "s", "v4", "KEEPTTL"],
        ["SET", "s", "v", "PX", "0"],
        ["SETNX", "s", "x"],
        ["SETNX", "s2", "x"],
        ["SETEX", "s3", "100", "x"],
        ["PSETEX", "s3", "100000", "x"],
        ["MSET", "m1", "1", "m2", "2", "m1", "3"],
        ["MSETNX", "m1", "1", "m9", "2"],
        ["MSETNX", "n1", "1", "n2", "2"],
        ["GETSET", "s", "g"],
        ["GETDEL", "s"],
        ["GETDEL", "s"],
        ["APPEND", "ap", "x"],
        ["APPEND", "ap", "y"],
        ["SETRANGE", "ap", "1", "zz"],
        ["SETRANGE", "ap", "0", ""],
        ["SETRANGE", "sr", "0", ""],
        ["SETRANGE", "sr", "3", "x"],
        ["INCR", "i"],
        ["INCRBY", "i", "10"],
        ["DECR", "i"],
        ["DECRBY", "i", "3"],
        ["INCRBYFLOAT", "i", "0.5"],
        ["INCR", "ap"],
        ["GET", "i"],
        ["STRLEN", "i"],
    ],
    "getex": [
        ["SET", "k", "v"],
        ["GETEX", "k"],
        ["GETEX", "k", "EX", "100"],
        ["GETEX", "k", "PERSIST"],
        ["GETEX", "k", "PERSIST"],
        ["GETEX", "k", "PXAT", "99999999999999"],
        ["GETEX", "k", "EXAT", "1"],
        ["GETEX", "k", "EX", "10"],
    ],
    "generic": [
        ["MSET", "a", "1", "b", "2", "c", "3"],
        ["DEL", "a", "nope", "b"],
        ["UNLINK", "c", "c"],
        ["SET", "k", "v"],
        ["EXPIRE", "k", "100"],
        ["PEXPIRE", "k", "200000", "GT"],
        ["EXPIRE", "k", "100", "NX"],
        ["EXPIREAT", "k", "99999999999", "XX"],
        ["PEXPIREAT", "k", "99999999999999"],
        ["PERSIST", "k"],
        ["PERSIST", "k"],
        ["EXPIRE", "nope", "10"],
        ["EXPIRE", "k", "-1"],
        ["SET", "k", "v"],
        ["PEXPIREAT", "k", "1"],
        ["SET", "src", "v", "EX", "100"],
        ["SET", "dst", "old"],
        ["RENAME", "src", "dst"],
        ["RENAME", "dst", "dst"],
        ["RENAMENX", "dst", "other"],
        ["SET", "x", "1"],
        ["RENAMENX", "x", "other"],
        ["MOVE", "other", "3"],
        ["MOVE", "x", "3"],
        ["COPY", "x", "y"],
        ["COPY", "x", "y"],
        ["COPY", "x", "y", "REPLACE"],
        ["COPY", "x", "z", "DB", "2"],
        ["TOUCH", "x", "y"],
        ["TYPE", "x"],
        ["EXISTS", "x"],
        ["SELECT", "3"],
        ["SET", "in3", "v"],
        ["DEL", "in3", "other"],
        ["SELECT", "0"],
        ["SWAPDB", "0", "2"],
        ["FLUSHDB"],
        ["FLUSHALL"],
    ],
    "lists": [
        ["LPUSH", "l", "a", "b"],
        ["RPUSH", "l", "c"],
        ["LPUSHX", "l", "z"],
        ["RPUSHX", "nope", "z"],
        ["LINSERT", "l", "BEFORE", "a", "x"],
        ["LINSERT", "l", "BEFORE", "nope", "x"],
        ["LSET", "l", "0", "y"],
        ["LREM", "l", "0", "x"],
        ["LTRIM", "l", "0", "2"],
        ["LPOP", "l"],
        ["RPOP", "l", "1"],
        ["LMOVE", "l", "l2", "LEFT", "RIGHT"],
        ["RPOPLPUSH", "l2", "l3"],
        ["LMPOP", "2", "nope", "l3", "LEFT"],
        ["RPUSH", "t", "1", "2", "3"],
        ["LTRIM", "t", "5", "6"],
        ["LRANGE", "t", "0", "-1"],
    ],
    "hashes": [
        ["HSET", "h", "a", "1", "b", "2"],
        ["HSET", "h", "a", "1"],
        ["HSETNX", "h", "a", "x"],
        ["HSETNX", "h", "c", "3"],
        ["HMSET", "h", "d", "4"],
        ["HINCRBY", "h", "n", "5"],
        ["HINCRBYFLOAT", "h", "f", "1.5"],
        ["HDEL", "h", "nope"],
        ["HDEL", "h", "a", "b"],
        ["HGET", "h", "c"],
        ["HDEL", "h", "c", "d", "n", "f"],
    ],
    "sets": [
        ["SADD", "s", "a", "b", "c"],
        ["SADD", "s", "a"],
        ["SREM", "s", "nope"],
        ["SREM", "s", "a"],
        ["SMOVE", "s", "t", "b"],
        ["SMOVE", "s", "t", "nope"],
        ["SADD", "u", "b", "x"],
        ["SINTERSTORE", "d", "t", "u"],
        ["SUNIONSTORE", "d", "t", "u"],
        ["SDIFFSTORE", "d", "t", "t"],
        ["SDIFFSTORE", "nothing", "t", "t"],
        ["SREM", "u", "b"],
        ["SPOP", "u"],
        ["SADD", "u", "y"],
        ["SPOP", "u", "5"],
        ["SREM", "s", "c"],
    ],
    "sorted-sets": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["ZADD", "z", "1", "a"],
        ["ZADD", "z", "INCR", "5", "a"],
        ["ZINCRBY", "z", "1", "b"],
        ["ZREM", "z", "nope"],
        ["ZREM", "z", "c"],
        ["ZPOPMIN", "z"],
        ["ZPOPMAX", "z", "5"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["ZREMRANGEBYRANK", "z", "0", "0"],
        ["ZREMRANGEBYSCORE", "z", "2", "2"],
        ["ZREMRANGEBYLEX", "z", "[a", "[c"],
        ["ZADD", "y", "1", "x"],
        ["ZUNIONSTORE", "d", "2", "z", "y"],
        ["ZINTERSTORE", "d", "2", "z", "y"],
        ["ZDIFFSTORE", "d", "1", "z"],
        ["ZRANGESTORE", "r", "d", "0", "-1"],
        ["ZMPOP", "1", "d", "MIN"],
    ],
    "bitmaps-and-hyperloglog": [
        ["SETBIT", "b", "7", "1"],
        ["SETBIT", "b", "7", "1"],
        ["SETBIT", "b", "100", "0"],
        ["BITFIELD", "bf", "SET", "u8", "0", "255"],
        ["BITFIELD", "bf", "GET", "u8", "0"],
        ["BITOP", "OR", "d", "b", "bf"],
        ["BITOP", "AND", "d", "nope"],
        ["PFADD", "p", "a", "b"],
        ["PFADD", "p", "a"],
        ["PFADD", "q", "c"],
        ["PFMERGE", "m", "p", "q"],
        ["PFCOUNT", "p"],
    ],
    "expired-lazily": [
        ["SET", "k", "v"],
        [["SET", "k", "v", "PXAT", "1"], ["GET", "k"]],
        [["RPUSH", "l", "a"], ["PEXPIREAT", "l", "1"]],
        [["HSET", "h", "f", "v"], ["SET", "h2", "v", "PXAT", "1"], ["EXISTS", "h2"], ["TTL", "h"]],
        [["SET", "n", "1", "PXAT", "1"], ["INCR", "n"]],
        [["MULTI"], ["SET", "m", "v", "PXAT", "1"], ["GET", "m"], ["EXEC"]],
    ],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_notifications_kea(redis_server, kvfake_server, name):
    _compare(redis_server, kvfake_server, "KEA", SCRIPTS[name])


FLAGS = [
    ("K$", "strings"),
    ("Eg", "generic"),
    ("Elh", "lists"),
    ("Ks", "sets"),
    ("KEz", "sorted-sets"),
    ("KEx", "expired-lazily"),
    ("KEn", "generic"),
    ("AKEn", "hashes"),
    ("KEA", "bitmaps-and-hyperloglog"),
    ("Kl$", "lists"),
]


@pytest.mark.parametrize("flags, name", FLAGS, ids=[f"{f}-{n}" for f, n in FLAGS])
def test_notifications_flags(redis_server, kvfake_server, flags, name):
    _compare(redis_server, kvfake_server, flags, SCRIPTS[name])


@pytest.mark.parametrize("name", ["strings", "expired-lazily"])
def test_notifications_resp3_subscriber(redis_server, kvfake_server, name):
    _compare(redis_server, kvfake_server, "KEA", SCRIPTS[name], resp=3)


def test_notifications_off_by_default(redis_server, kvfake_server):
    script = [["SET", "k", "v"], ["DEL", "k"], ["PUBLISH", "__keyspace@0__:k", "by-hand"]]
    expected = _events(redis_server, "", script)
    assert _events(kvfake_server, "", script) == expected
    assert [step[2] for step in expected] == [[], [], [
        b"*4\r\n$8\r\npmessage\r\n$12\r\n__key*@*__:*\r\n$16\r\n__keyspace@0__:k\r\n$7\r\nby-hand\r\n"]]


def _active_expiry(endpoint) -> list:
    """Keys expiring while nobody touches them: the events of the active expiry cycle."""
    with RawConnection(endpoint.host, endpoint.port) as writer, \
            RawConnection(endpoint.host, endpoint.port) as sub:
        try:
            writer.call("FLUSHALL")
            writer.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
            sub.call("SUBSCRIBE", "__keyevent@0__:expired", "__keyevent@5__:expired")
            sub.reply()
            writer.send(command("SET", "a", "1", "PX", "30") + command("SELECT", "5")
                        + command("SET", "b", "1", "PX", "30"))
            writer.replies(3)
            frames = sorted([sub.reply(5), sub.reply(5)])
            extra = sub.read_available(quiet=0.15, limit=0.3)
            return frames + [extra]
        finally:
            with RawConnection(endpoint.host, endpoint.port) as admin:
                admin.call("CONFIG", "SET", "notify-keyspace-events", "")


def test_notifications_expired_by_the_active_cycle(redis_server, kvfake_server):
    expected = _active_expiry(redis_server)
    assert _active_expiry(kvfake_server) == expected
    assert expected == [
        b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$1\r\na\r\n",
        b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@5__:expired\r\n$1\r\nb\r\n",
        b"",
    ]


# -- a RESP3 subscriber on the writing connection: events before the command's reply -----------

SAME_CONNECTION = [
    ("a", ["HELLO", "3"]),
    ("a", ["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
    ("a", ["SUBSCRIBE", "__keyevent@0__:set", "__keyspace@0__:k"], {"a": 2}),
    ("a", ["SET", "k", "v"], {"a": 3}),
    ("a", ["MSET", "j", "1", "k", "2"], {"a": 4}),
    ("a", ["DEL", "k"], {"a": 2}),
    ("b", ["SET", "k", "x"], {"b": 1, "a": 2}),
    ("a", ["UNSUBSCRIBE"], {"a": 2}),
    ("a", ["SET", "k", "y"]),
]


def test_notifications_reach_the_writer_before_its_reply(multi):
    multi.check(SAME_CONNECTION, name="same-connection", normalize=_hello_id,
                teardown=[["CONFIG", "SET", "notify-keyspace-events", ""]])


def _hello_id(argv, frame: bytes) -> bytes:
    frame = unsubscribe_all_order(argv, frame)
    if argv and argv[0].upper() == b"HELLO" and b"$2\r\nid\r\n:" in frame:
        head, _, tail = frame.partition(b"$2\r\nid\r\n:")
        return head + b"<id>" + tail[tail.index(b"\r\n"):]
    return frame


EXEC_SCRIPT = [
    ("a", ["HELLO", "3"]),
    ("a", ["SUBSCRIBE", "__keyevent@0__:set"]),
    ("a", ["MULTI"]),
    ("a", ["SET", "k", "v"]),
    ("a", ["GET", "k"]),
    ("a", ["SET", "j", "v"]),
    ("a", ["EXEC"], {"a": 3}),  # the events sit inside EXEC's reply, where each SET wrote them
    ("b", ["SET", "k", "w"], {"b": 1, "a": 1}),
]


def test_notifications_inside_exec_land_inside_its_reply(multi):
    multi.check(EXEC_SCRIPT, name="exec", normalize=_hello_id,
                setup=[["CONFIG", "SET", "notify-keyspace-events", "E$"]],
                teardown=[["CONFIG", "SET", "notify-keyspace-events", ""]])
