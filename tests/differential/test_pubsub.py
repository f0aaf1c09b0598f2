"""Pub/sub against real redis-server 7.0.15: the exact frames on every connection, RESP2 and RESP3.

Scripts are data for tests/differential/multi.py: steps ``(conn, argv[, {conn: frames}])``.
"""

from __future__ import annotations

import pytest

from tests.differential.multi import unsubscribe_all_order

# -- frames: the same scripts in RESP2 (arrays) and RESP3 (push frames) ----------------------

FRAMES = {
    "subscribe-message-unsubscribe": [
        ("a", ["SUBSCRIBE", "c1", "c2"], {"a": 2}),
        ("b", ["PUBLISH", "c1", "hello"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "c2", ""], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "nobody", "x"]),
        ("a", ["UNSUBSCRIBE", "c1"]),
        ("b", ["PUBLISH", "c1", "lost"]),
        ("a", ["UNSUBSCRIBE", "c2"]),
        ("a", ["UNSUBSCRIBE"]),
        ("a", ["PUNSUBSCRIBE"]),
        ("a", ["SUNSUBSCRIBE"]),
    ],
    "counts-and-duplicates": [
        ("a", ["SUBSCRIBE", "c", "c"], {"a": 2}),
        ("a", ["PSUBSCRIBE", "p*", "p*"], {"a": 2}),
        ("a", ["SSUBSCRIBE", "s", "t"], {"a": 2}),
        ("a", ["SUBSCRIBE", "d"]),
        ("a", ["UNSUBSCRIBE", "zz", "c"], {"a": 2}),
        ("a", ["SUNSUBSCRIBE", "s", "zz"], {"a": 2}),
        ("a", ["PUNSUBSCRIBE", "q", "p*"], {"a": 2}),
        ("a", ["PUNSUBSCRIBE"]),
        ("a", ["UNSUBSCRIBE"]),
        ("a", ["SUNSUBSCRIBE"]),
    ],
    "pattern-messages": [
        ("a", ["PSUBSCRIBE", "news.*", "h?llo", "[xy]z"], {"a": 3}),
        ("b", ["PUBLISH", "news.it", "x"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "hello", "y"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "yz", "z"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "news", "no"]),
        ("a", ["PUNSUBSCRIBE", "news.*"]),
        ("b", ["PUBLISH", "news.it", "gone"]),
        ("a", ["PUNSUBSCRIBE", "h?llo", "[xy]z"], {"a": 2}),
    ],
    # one matching pattern per message: Redis walks its patterns in hash order
    "channel-and-pattern-both-deliver": [
        ("a", ["SUBSCRIBE", "chat"]),
        ("a", ["PSUBSCRIBE", "ch*", "*x"], {"a": 2}),
        ("b", ["PUBLISH", "chat", "hi"], {"b": 1, "a": 2}),
        ("a", ["UNSUBSCRIBE", "chat"]),
        ("b", ["PUBLISH", "chat", "again"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "box", "x"], {"b": 1, "a": 1}),
    ],
    "sharded": [
        ("a", ["SSUBSCRIBE", "s1", "s2"], {"a": 2}),
        ("b", ["SPUBLISH", "s1", "m"], {"b": 1, "a": 1}),
        ("b", ["PUBLISH", "s1", "not-sharded"]),
        ("b", ["SPUBLISH", "nobody", "m"]),
        ("a", ["PSUBSCRIBE", "s*"]),
        ("b", ["SPUBLISH", "s2", "patterns-ignored"], {"b": 1, "a": 1}),
        ("b", ["PUBSUB", "SHARDCHANNELS", "s1"]),
        ("b", ["PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"]),
        ("a", ["SUNSUBSCRIBE", "s1"]),
        ("a", ["SUNSUBSCRIBE", "s2"]),
        ("a", ["SUNSUBSCRIBE"]),
        ("a", ["PUNSUBSCRIBE", "s*"]),
    ],
    "empty-and-binary-channels": [
        ("a", ["PSUBSCRIBE", "*"]),
        ("b", ["PUBLISH", "", "star-misses-empty"]),
        ("a", ["SUBSCRIBE", ""]),
        ("b", ["PUBLISH", "", "empty"], {"b": 1, "a": 1}),
        ("a", ["SUBSCRIBE", b"bin\r\n\x00\xff"]),
        ("b", ["PUBLISH", b"bin\r\n\x00\xff", b"\x00\r\n"], {"b": 1, "a": 2}),
        ("a", ["PUNSUBSCRIBE", "*"]),
        ("a", ["UNSUBSCRIBE", "", b"bin\r\n\x00\xff"], {"a": 2}),
    ],
    "reset-drops-subscriptions": [
        ("a", ["SUBSCRIBE", "c"]),
        ("a", ["PSUBSCRIBE", "p*"]),
        ("a", ["SSUBSCRIBE", "s"]),
        ("a", ["RESET"]),
        ("b", ["PUBLISH", "c", "x"]),
        ("b", ["PUBLISH", "pp", "x"]),
        ("b", ["SPUBLISH", "s", "x"]),
        ("b", ["PUBSUB", "NUMSUB", "c"]),
        ("b", ["PUBSUB", "NUMPAT"]),
        ("a", ["GET", "k"]),
        ("a", ["UNSUBSCRIBE"]),
    ],
    "client-reply-off-still-gets-frames": [
        ("a", ["CLIENT", "REPLY", "OFF"], {"a": 0}),
        ("a", ["SUBSCRIBE", "c"]),
        ("b", ["PUBLISH", "c", "m"], {"b": 1, "a": 1}),
        ("a", ["UNSUBSCRIBE"]),
        ("a", ["GET", "k"], {"a": 0}),
        ("a", ["CLIENT", "REPLY", "ON"]),
        ("a", ["CLIENT", "REPLY", "SKIP"], {"a": 0}),
        ("a", ["SUBSCRIBE", "d"]),
        ("a", ["PING"]),
        ("a", ["UNSUBSCRIBE", "d"]),
    ],
}


@pytest.mark.parametrize("name", FRAMES)
def test_pubsub_frames_resp2(multi, name):
    multi.check(FRAMES[name], name=name, normalize=unsubscribe_all_order)


@pytest.mark.parametrize("name", FRAMES)
def test_pubsub_frames_resp3(multi, name):
    multi.check(FRAMES[name], resp={"a": 3, "b": 3}, name=name, normalize=unsubscribe_all_order)


@pytest.mark.parametrize("name", ["subscribe-message-unsubscribe", "pattern-messages", "sharded"])
def test_pubsub_frames_resp3_subscriber_resp2_publisher(multi, name):
    multi.check(FRAMES[name], resp={"a": 3}, name=name, normalize=unsubscribe_all_order)


# -- RESP2: what a client with subscriptions may send -------------------------------------------

CONTEXT = {
    "resp2-only-subscribe-family": [
        ("a", ["SUBSCRIBE", "c"]),
        ("a", ["GET", "k"]),
        ("a", ["SET", "k", "v"]),
        ("a", ["PUBLISH", "c", "x"]),
        ("a", ["PUBSUB", "CHANNELS"]),
        ("a", ["CLIENT", "LIST"]),
        ("a", ["HELLO", "3"]),
        ("a", ["MULTI"]),
        ("a", ["ECHO", "x"]),
        ("a", ["PING"]),
        ("a", ["PING", "hello"]),
        ("a", ["PING", "a", "b"]),
        ("a", ["PSUBSCRIBE", "p*"]),
        ("a", ["SSUBSCRIBE", "s"]),
        ("a", ["NOSUCHCOMMAND"]),
        ("a", ["GET"]),
        ("a", ["UNSUBSCRIBE"]),
        ("a", ["GET", "k"]),
        ("a", ["PUNSUBSCRIBE"]),
        ("a", ["GET", "k"]),
        ("a", ["SUNSUBSCRIBE"]),
        ("a", ["GET", "k"]),
        ("a", ["PING"]),
    ],
    "resp2-shard-subscription-counts-too": [
        ("a", ["SSUBSCRIBE", "s"]),
        ("a", ["GET", "k"]),
        ("a", ["PING"]),
        ("a", ["SUBSCRIBE", "c"]),
        ("a", ["UNSUBSCRIBE", "c"]),
        ("a", ["GET", "k"]),
        ("a", ["SUNSUBSCRIBE"]),
        ("a", ["GET", "k"]),
    ],
    "resp2-quit-while-subscribed": [
        ("a", ["SUBSCRIBE", "c"]),
        ("a", ["QUIT"]),
    ],
    "resp3-publisher-is-subscriber": [
        ("a", ["HELLO", "3"]),
        ("b", ["HELLO", "3"]),
        ("a", ["SUBSCRIBE", "me"]),
        ("b", ["SUBSCRIBE", "me"]),
        ("b", ["PUBLISH", "me", "x"], {"b": 2, "a": 1}),
        ("a", ["UNSUBSCRIBE", "me"]),
        ("b", ["UNSUBSCRIBE", "me"]),
    ],
    "resp3-everything-works": [
        ("a", ["HELLO", "3"]),
        ("a", ["SUBSCRIBE", "c"]),
        ("a", ["SET", "k", "v"]),
        ("a", ["GET", "k"]),
        ("a", ["PING"]),
        ("a", ["PING", "x"]),
        ("a", ["PUBLISH", "c", "to-myself"], {"a": 2}),
        ("b", ["PUBLISH", "c", "from-b"], {"b": 1, "a": 1}),
        ("a", ["HELLO", "2"]),
        ("a", ["GET", "k"]),
        ("a", ["PING"]),
        ("a", ["HELLO", "3"]),
        ("a", ["RESET"]),
        ("a", ["PING"]),
    ],
}


@pytest.mark.parametrize("name", CONTEXT)
def test_pubsub_context(multi, name):
    multi.check(CONTEXT[name], name=name, normalize=_hello)


def _hello(argv, frame: bytes) -> bytes:
    """HELLO shows the connection id: cut it out (the rest is compared)."""
    if argv and argv[0].upper() == b"HELLO" and frame[:1] in (b"%", b"*") and b"$2\r\nid\r\n:" in frame:
        head, _, tail = frame.partition(b"$2\r\nid\r\n:")
        return head + b"$2\r\nid\r\n:<id>" + tail[tail.index(b"\r\n"):]
    return frame


# -- inside MULTI/EXEC the frames land inside EXEC's reply -----------------------------------------

TRANSACTIONS = {
    "subscribe-inside-exec-resp2": (
        [
            ("a", ["MULTI"]),
            ("a", ["SUBSCRIBE", "c", "d"]),
            ("a", ["PUBLISH", "c", "x"]),
            ("a", ["EXEC"], {"a": 3}),
            ("a", ["UNSUBSCRIBE"], {"a": 2}),
        ],
        {},
    ),
    "subscribe-inside-exec-resp3": (
        [
            ("a", ["MULTI"]),
            ("a", ["SUBSCRIBE", "c"]),
            ("a", ["PING"]),
            ("a", ["PUBLISH", "c", "x"]),
            ("a", ["UNSUBSCRIBE"]),
            ("a", ["EXEC"], {"a": 2}),
        ],
        {"a": 3},
    ),
}


@pytest.mark.parametrize("name", TRANSACTIONS)
def test_pubsub_inside_exec(multi, name):
    script, resp = TRANSACTIONS[name]
    multi.check(script, resp=resp, name=name, normalize=unsubscribe_all_order)


# -- PUBSUB introspection and errors --------------------------------------------------------------


def _sorted_channels(argv, frame: bytes) -> bytes:
    """PUBSUB CHANNELS / SHARDCHANNELS list in dict order in Redis: compare them sorted."""
    from tests.support.resp import RespError, elements

    if len(argv) < 2 or argv[0].upper() != b"PUBSUB" or argv[1].upper() not in (b"CHANNELS", b"SHARDCHANNELS"):
        return frame
    try:
        header, items = elements(frame)
    except RespError:
        return frame
    return header + b"".join(sorted(items))


INTROSPECTION = {
    "pubsub-subcommands": [
        ("a", ["SUBSCRIBE", "news", "sports", "n1"], {"a": 3}),
        ("a", ["PSUBSCRIBE", "p*", "q*"], {"a": 2}),
        ("b", ["PSUBSCRIBE", "p*"]),
        ("a", ["SSUBSCRIBE", "shard1"]),
        ("c", ["PUBSUB", "CHANNELS"]),
        ("c", ["PUBSUB", "CHANNELS", "n*"]),
        ("c", ["PUBSUB", "channels", "[sx]*"]),
        ("c", ["PUBSUB", "CHANNELS", "zzz"]),
        ("c", ["PUBSUB", "NUMSUB"]),
        ("c", ["PUBSUB", "NUMSUB", "news", "nope", "news"]),
        ("c", ["PUBSUB", "NUMPAT"]),
        ("c", ["PUBLISH", "pp", "x"], {"c": 1, "a": 1, "b": 1}),
        ("c", ["PUBSUB", "SHARDCHANNELS"]),
        ("c", ["PUBSUB", "SHARDCHANNELS", "shard*"]),
        ("c", ["PUBSUB", "SHARDNUMSUB", "shard1", "news"]),
        ("c", ["PUBSUB", "SHARDNUMSUB"]),
        ("c", ["PUBSUB", "HELP"]),
        ("c", ["PUBSUB", "help"]),
        ("a", ["UNSUBSCRIBE", "news", "sports", "n1"], {"a": 3}),
        ("a", ["PUNSUBSCRIBE", "p*", "q*"], {"a": 2}),
        ("c", ["PUBSUB", "NUMPAT"]),
        ("c", ["PUBSUB", "CHANNELS"]),
    ],
    "pubsub-errors": [
        ("c", ["PUBSUB"]),
        ("c", ["PUBSUB", "NOPE"]),
        ("c", ["PUBSUB", "CHANNELS", "a", "b"]),
        ("c", ["PUBSUB", "channels", "a", "b"]),
        ("c", ["PUBSUB", "SHARDCHANNELS", "a", "b"]),
        ("c", ["PUBSUB", "NUMPAT", "x"]),
        ("c", ["PUBSUB", "HELP", "x"]),
        ("c", ["PUBLISH"]),
        ("c", ["PUBLISH", "c"]),
        ("c", ["PUBLISH", "c", "m", "extra"]),
        ("c", ["SPUBLISH", "c"]),
        ("c", ["SUBSCRIBE"]),
        ("c", ["PSUBSCRIBE"]),
        ("c", ["SSUBSCRIBE"]),
    ],
}


@pytest.mark.parametrize("name", INTROSPECTION)
def test_pubsub_introspection(multi, name):
    multi.check(INTROSPECTION[name], conns="abc", name=name, normalize=_sorted_channels)


def test_pubsub_three_subscribers_in_subscription_order(multi):
    multi.check([
        ("a", ["SUBSCRIBE", "c"]),
        ("b", ["SUBSCRIBE", "c"]),
        ("b", ["PSUBSCRIBE", "c"]),
        ("c", ["PUBLISH", "c", "all"], {"c": 1, "a": 1, "b": 2}),
        ("b", ["UNSUBSCRIBE", "c"]),
        ("c", ["PUBLISH", "c", "fewer"], {"c": 1, "a": 1, "b": 1}),
        ("c", ["PUBSUB", "NUMSUB", "c"]),
    ], conns="abc", name="three-subscribers")
