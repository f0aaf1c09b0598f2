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


# -- one connection: scripts for the pair fixture (and tools/build_corpus.py, which records them) -------
# Every script runs in RESP2 and RESP3.  The harness reads one reply per command: a command that
# answers several frames (SUBSCRIBE a b, a RESP3 PUBLISH to a channel the client itself listens to:
# the message push first, then the count) leaves the rest to be read by the next steps, so from there
# on each step shows the frame one or more earlier; the byte stream is deterministic either way.
# PUBSUB CHANNELS / SHARDCHANNELS list in dict order: each one here matches at most one channel.

ONE_CONNECTION = {
    "subscribe-confirmations": [
        ["SUBSCRIBE", "c1"], ["SUBSCRIBE", "c1"], ["PSUBSCRIBE", "p*"], ["PSUBSCRIBE", "p*"],
        ["SSUBSCRIBE", "s1"], ["SSUBSCRIBE", "s1"], ["subscribe", "c2"],
        ["UNSUBSCRIBE", "c1"], ["UNSUBSCRIBE", "nosuch"], ["PUNSUBSCRIBE", "nosuch*"], ["PUNSUBSCRIBE", "p*"],
        ["SUNSUBSCRIBE", "nosuch"], ["SUNSUBSCRIBE", "s1"], ["UNSUBSCRIBE"], ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"],
        ["SUNSUBSCRIBE"], ["PING"],
    ],
    "unsubscribe-without-arguments-one-each": [
        ["SUBSCRIBE", "c"], ["PSUBSCRIBE", "p?"], ["SSUBSCRIBE", "s"],
        ["SUNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["UNSUBSCRIBE"], ["GET", "k"],
    ],
    "unsubscribe-when-not-subscribed": [
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["SUNSUBSCRIBE"], ["UNSUBSCRIBE", "c"], ["PUNSUBSCRIBE", "p*"],
        ["SUNSUBSCRIBE", "s"], ["GET", "k"],
    ],
    "ping-while-subscribed": [
        ["SUBSCRIBE", "c"], ["PING"], ["PING", "hello"], ["PING", ""], ["PING", "a", "b"], ["ping"],
        ["UNSUBSCRIBE", "c"], ["PING"], ["PING", "hello"],
    ],
    "ping-while-shard-subscribed": [
        ["SSUBSCRIBE", "s"], ["PING"], ["PING", "x"], ["GET", "k"], ["SUNSUBSCRIBE", "s"], ["PING"],
    ],
    "commands-while-subscribed": [
        ["PSUBSCRIBE", "p*"], ["SET", "k", "v"], ["GET", "k"], ["GET"], ["NOSUCHCOMMAND", "x"],
        ["PUBSUB", "NUMPAT"], ["CLIENT", "TRACKING", "ON"], ["CLIENT", "GETREDIR"], ["LATENCY", "RESET"],
        ["MULTI"], ["ECHO", "x"], ["SPUBLISH", "s", "m"], ["HELLO", "3"], ["PUNSUBSCRIBE", "p*"],
        ["GET", "k"], ["RESET"], ["GET", "k"],
    ],
    "publish-and-spublish-without-subscribers": [
        ["PUBLISH", "nobody", "x"], ["SPUBLISH", "nobody", "x"], ["PUBLISH", "", ""],
        ["PUBLISH", b"bin\x00\xff", b"\r\n"], ["publish", "c", "m"], ["SPUBLISH", "s", ""],
    ],
    "publish-to-itself": [
        ["SUBSCRIBE", "me"], ["PUBLISH", "me", "hello"], ["PING"], ["PING", "after"], ["UNSUBSCRIBE", "me"],
        ["PUBLISH", "me", "nobody"], ["PING"],
    ],
    "publish-to-itself-channel-then-pattern": [
        ["PSUBSCRIBE", "m*"], ["SUBSCRIBE", "me"], ["PUBLISH", "me", "x"], ["PUBLISH", "mo", "y"],
        ["PING", "1"], ["PING", "2"], ["PING", "3"], ["PING", "4"],
    ],
    "spublish-to-itself": [
        ["SSUBSCRIBE", "s"], ["PSUBSCRIBE", "s*"], ["SPUBLISH", "s", "x"], ["PING", "1"], ["PING", "2"],
    ],
    "several-channels-per-command": [
        ["SUBSCRIBE", "a", "b", "a"], ["UNSUBSCRIBE", "b", "nosuch", "a"], ["PSUBSCRIBE", "x*", "y*"],
        ["PUNSUBSCRIBE", "y*", "x*"], ["SSUBSCRIBE", "s", "t"], ["SUNSUBSCRIBE", "t", "s"],
        *[["PING", str(i)] for i in range(8)],
    ],
    "pubsub-own-subscriptions": [
        ["SUBSCRIBE", "news"], ["PSUBSCRIBE", "n*"], ["SSUBSCRIBE", "shard"],
        ["PUBSUB", "CHANNELS"], ["PUBSUB", "CHANNELS", "n*"], ["PUBSUB", "channels", "x*"],
        ["PUBSUB", "NUMSUB", "news", "nope", "news"], ["PUBSUB", "NUMSUB"], ["PUBSUB", "NUMPAT"],
        ["PUBSUB", "SHARDCHANNELS"], ["PUBSUB", "SHARDCHANNELS", "sh*"], ["PUBSUB", "SHARDCHANNELS", "x*"],
        ["PUBSUB", "SHARDNUMSUB", "shard", "news"], ["PUBSUB", "SHARDNUMSUB"], ["PUBSUB", "HELP"],
        ["UNSUBSCRIBE", "news"], ["PUNSUBSCRIBE", "n*"], ["SUNSUBSCRIBE", "shard"],
        ["PUBSUB", "CHANNELS"], ["PUBSUB", "NUMSUB", "news"], ["PUBSUB", "NUMPAT"], ["PUBSUB", "SHARDCHANNELS"],
        ["PUBSUB", "SHARDNUMSUB", "shard"],
    ],
    "pubsub-introspection-unsubscribed": [
        ["PUBSUB", "CHANNELS"], ["PUBSUB", "CHANNELS", "*"], ["PUBSUB", "NUMSUB", "a", "b"], ["PUBSUB", "NUMPAT"],
        ["PUBSUB", "SHARDCHANNELS"], ["PUBSUB", "SHARDNUMSUB", "a"], ["PUBSUB", "HELP"], ["pubsub", "help"],
    ],
    "errors": [
        ["PUBSUB"], ["PUBSUB", "NOPE"], ["PUBSUB", "CHANNELS", "a", "b"], ["PUBSUB", "SHARDCHANNELS", "a", "b"],
        ["PUBSUB", "NUMPAT", "x"], ["PUBSUB", "HELP", "x"], ["PUBLISH"], ["PUBLISH", "c"],
        ["PUBLISH", "c", "m", "extra"], ["SPUBLISH"], ["SPUBLISH", "c"], ["SPUBLISH", "c", "m", "extra"],
        ["SUBSCRIBE"], ["PSUBSCRIBE"], ["SSUBSCRIBE"], ["PING"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", ONE_CONNECTION)
def test_pubsub_one_connection(pair, name, resp):
    pair.check(ONE_CONNECTION[name], resp=resp, name=name)
