"""CLIENT TRACKING against real redis-server 7.0.15: invalidation frames on every connection.

Scripts for tests/differential/multi.py (``"{id:x}"`` is connection x's client id).  Not
compared: a transaction that writes a key and then reads it (Redis tracks the read, kvfake
invalidates it after EXEC; see protocol_spec.md "Client tracking").
"""

from __future__ import annotations

import pytest

SCRIPTS = {
    "default-mode": (
        [
            ("a", ["CLIENT", "TRACKING", "ON"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["CLIENT", "GETREDIR"]),
            ("a", ["GET", "k"]),
            ("b", ["SET", "k", "1"], {"b": 1, "a": 1}),
            ("b", ["SET", "k", "2"]),
            ("a", ["GET", "k"]),
            ("a", ["SET", "k", "3"], {"a": 2}),
            ("a", ["MGET", "k", "j", "i"]),
            ("b", ["DEL", "j"]),
            ("b", ["MSET", "i", "1", "k", "2", "j", "3"], {"b": 1, "a": 3}),
            ("a", ["GET", "k"]),
            ("b", ["APPEND", "k", "x"], {"b": 1, "a": 1}),
            ("a", ["EXISTS", "k"]),
            ("a", ["TYPE", "k"]),
            ("b", ["EXPIRE", "k", "100"], {"b": 1, "a": 1}),
            ("a", ["TTL", "k"]),
            ("b", ["PERSIST", "k"], {"b": 1, "a": 1}),
            ("a", ["STRLEN", "k"]),
            ("b", ["RENAME", "k", "k2"], {"b": 1, "a": 1}),
            ("a", ["GET", "k2"]),
            ("b", ["DEL", "k2"], {"b": 1, "a": 1}),
            ("b", ["DEL", "k2"]),
            ("a", ["CLIENT", "TRACKING", "OFF"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["CLIENT", "GETREDIR"]),
        ],
        {"a": 3},
    ),
    "other-databases-and-flushes": (
        [
            ("a", ["CLIENT", "TRACKING", "ON"]),
            ("a", ["GET", "k"]),
            ("b", ["SELECT", "4"]),
            ("b", ["SET", "k", "in-db-4"], {"b": 1, "a": 1}),
            ("a", ["GET", "k"]),
            ("b", ["FLUSHDB"], {"b": 1, "a": 1}),
            ("b", ["SELECT", "0"]),
            ("b", ["SET", "k", "1"]),
            ("a", ["GET", "k"]),
            ("b", ["SWAPDB", "0", "4"]),
            ("a", ["FLUSHALL"], {"a": 2}),
            ("a", ["FLUSHALL"], {"a": 2}),
            ("a", ["FLUSHDB"], {"a": 2}),
        ],
        {"a": 3},
    ),
    "wrongtype-and-missing-reads-are-tracked": (
        [
            ("a", ["CLIENT", "TRACKING", "ON"]),
            ("a", ["HSET", "h", "f", "v"]),
            ("a", ["GET", "h"]),
            ("a", ["GET", "missing"]),
            ("a", ["GET", "h", "extra"]),
            ("a", ["LRANGE", "l", "0", "-1"]),
            ("b", ["DEL", "h"], {"b": 1, "a": 1}),
            ("b", ["SET", "missing", "now"], {"b": 1, "a": 1}),
            ("b", ["RPUSH", "l", "x"], {"b": 1, "a": 1}),
            ("a", ["HGET", "h", "f"]),
            ("a", ["ZSCORE", "z", "m"]),
            ("a", ["SMEMBERS", "s"]),
            ("b", ["HSET", "h", "f", "v"], {"b": 1, "a": 1}),
            ("b", ["ZADD", "z", "1", "m"], {"b": 1, "a": 1}),
            ("b", ["SADD", "s", "m"], {"b": 1, "a": 1}),
        ],
        {"a": 3},
    ),
    "noloop": (
        [
            ("a", ["CLIENT", "TRACKING", "ON", "NOLOOP"]),
            ("a", ["GET", "k"]),
            ("a", ["SET", "k", "mine"]),
            ("a", ["GET", "k"]),
            ("b", ["SET", "k", "theirs"], {"b": 1, "a": 1}),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["GET", "k"]),
            ("a", ["FLUSHDB"], {"a": 2}),
        ],
        {"a": 3},
    ),
    "optin": (
        [
            ("a", ["CLIENT", "TRACKING", "ON", "OPTIN"]),
            ("a", ["GET", "not-cached"]),
            ("b", ["SET", "not-cached", "1"]),
            ("a", ["CLIENT", "CACHING", "YES"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["GET", "cached"]),
            ("a", ["GET", "not-cached"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("b", ["SET", "cached", "1"], {"b": 1, "a": 1}),
            ("b", ["SET", "not-cached", "2"]),
            ("a", ["CLIENT", "CACHING", "yes"]),
            ("a", ["CLIENT", "ID"]),
            ("a", ["GET", "after-client-id"]),
            ("b", ["SET", "after-client-id", "1"], {"b": 1, "a": 1}),
            ("a", ["CLIENT", "CACHING", "YES"]),
            ("a", ["MULTI"]),
            ("a", ["GET", "in-multi"]),
            ("a", ["EXEC"]),
            ("b", ["SET", "in-multi", "1"], {"b": 1, "a": 1}),
        ],
        {"a": 3},
    ),
    "optout": (
        [
            ("a", ["CLIENT", "TRACKING", "ON", "OPTOUT"]),
            ("a", ["GET", "cached"]),
            ("a", ["CLIENT", "CACHING", "NO"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["GET", "skipped"]),
            ("b", ["SET", "skipped", "1"]),
            ("b", ["SET", "cached", "1"], {"b": 1, "a": 1}),
        ],
        {"a": 3},
    ),
    "reads-inside-exec": (
        [
            ("a", ["CLIENT", "TRACKING", "ON"]),
            ("a", ["MULTI"]),
            ("a", ["GET", "x"]),
            ("a", ["GET", "y"]),
            ("a", ["SET", "x", "1"]),
            ("a", ["EXEC"], {"a": 2}),
            ("b", ["SET", "x", "2"]),
            ("b", ["SET", "y", "2"], {"b": 1, "a": 1}),
            ("a", ["MULTI"]),
            ("a", ["GET", "z"]),
            ("a", ["DISCARD"]),
            ("b", ["SET", "z", "1"]),
        ],
        {"a": 3},
    ),
    "resp2-without-redirect-gets-nothing": (
        [
            ("a", ["CLIENT", "TRACKING", "ON"]),
            ("a", ["GET", "k"]),
            ("b", ["SET", "k", "1"]),
            ("a", ["SET", "k", "2"]),
            ("b", ["FLUSHALL"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
        ],
        {},
    ),
    "bcast": (
        [
            ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cart:"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("b", ["MSET", "user:2", "x", "user:1", "y", "other", "z", "cart:9", "w"], {"b": 1, "a": 2}),
            ("b", ["SET", "other", "1"]),
            ("a", ["SET", "user:3", "mine"], {"a": 2}),
            ("b", ["DEL", "user:1", "user:2", "user:1"], {"b": 1, "a": 1}),
            ("a", ["GET", "user:3"]),
            ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("b", ["SET", "zz1", "1"], {"b": 1, "a": 1}),
            ("b", ["FLUSHDB"], {"b": 1, "a": 1}),
            ("a", ["CLIENT", "TRACKING", "OFF"]),
            ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"]),
            ("a", ["CLIENT", "TRACKINGINFO"]),
            ("a", ["SET", "mine", "1"]),
            ("b", ["SET", "theirs", "1"], {"b": 1, "a": 1}),
            ("a", ["MSET", "mine", "2", "x", "1"]),
            ("b", ["MSET", "mine", "3", "x", "2"], {"b": 1, "a": 1}),
        ],
        {"a": 3},
    ),
    "redirect-to-resp2-subscriber": (
        [
            ("a", ["SUBSCRIBE", "__redis__:invalidate"]),
            ("c", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{id:a}"]),
            ("c", ["CLIENT", "TRACKINGINFO"]),
            ("c", ["CLIENT", "GETREDIR"]),
            ("c", ["GET", "k"]),
            ("b", ["SET", "k", "1"], {"b": 1, "a": 1}),
            ("c", ["GET", "k"]),
            ("c", ["SET", "k", "own-write"], {"c": 1, "a": 1}),
            ("b", ["FLUSHALL"], {"b": 1, "a": 1}),
            ("c", ["HELLO", "3"]),
            ("b", ["FLUSHALL"], {"b": 1, "a": 1}),
            ("c", ["GET", "k"]),
            ("a", ["QUIT"]),
            ("b", ["PING"]),
            ("b", ["SET", "k", "2"], {"b": 1, "c": 1}),
            ("c", ["CLIENT", "TRACKINGINFO"]),
            ("c", ["CLIENT", "GETREDIR"]),
            ("c", ["GET", "k"]),
            ("b", ["SET", "k", "3"], {"b": 1, "c": 1}),
            ("c", ["CLIENT", "TRACKING", "ON"]),
            ("c", ["CLIENT", "TRACKINGINFO"]),
        ],
        {},
    ),
    "redirect-to-resp3-client": (
        [
            ("a", ["HELLO", "3"]),
            ("c", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{id:a}"]),
            ("c", ["GET", "k"]),
            ("b", ["SET", "k", "1"], {"b": 1, "a": 1}),
            ("b", ["FLUSHDB"], {"b": 1, "a": 1}),
            ("c", ["CLIENT", "TRACKING", "OFF"]),
            ("c", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{id:b}"]),
            ("c", ["GET", "k"]),
            ("a", ["SET", "k", "2"]),
        ],
        {},
    ),
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_tracking(multi, name):
    script, resp = SCRIPTS[name]
    multi.check(script, conns="abc", resp=resp, name=name, normalize=_hello_id)


def _hello_id(argv, frame: bytes) -> bytes:
    if argv and argv[0].upper() == b"HELLO" and b"$2\r\nid\r\n:" in frame:
        head, _, tail = frame.partition(b"$2\r\nid\r\n:")
        return head + b"<id>" + tail[tail.index(b"\r\n"):]
    return frame


ERRORS = [
    ("a", ["CLIENT", "TRACKING"]),
    ("a", ["CLIENT", "TRACKING", "maybe"]),
    ("a", ["CLIENT", "TRACKING", "ON", "FOO"]),
    ("a", ["CLIENT", "TRACKING", "OFF", "FOO"]),
    ("a", ["CLIENT", "TRACKING", "OFF", "PREFIX", "x"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT", "x"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT", "0"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT", "-1"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{id:b}", "REDIRECT", "{id:b}"]),
    ("a", ["CLIENT", "TRACKING", "ON", "PREFIX", "a"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "a"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "", "PREFIX", "b"]),
    # redis 7.0.15: a clash found after the first prefix is reported, then tracking is on anyway
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b", "PREFIX", "bc"], {"a": 2}),
    ("a", ["CLIENT", "TRACKINGINFO"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "abc"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b"]),
    ("a", ["CLIENT", "TRACKING", "ON"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTIN"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz", "PREFIX", "yy"]),
    ("a", ["CLIENT", "TRACKINGINFO"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST"]),
    ("a", ["CLIENT", "TRACKINGINFO"]),
    ("a", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "q"]),
    ("a", ["CLIENT", "CACHING", "YES"]),
    ("a", ["CLIENT", "TRACKING", "OFF"]),
    ("a", ["CLIENT", "CACHING", "YES"]),
    ("a", ["CLIENT", "CACHING", "maybe"]),
    ("a", ["CLIENT", "TRACKING", "on"]),
    ("a", ["CLIENT", "CACHING", "maybe"]),
    ("a", ["CLIENT", "CACHING", "YES"]),
    ("a", ["CLIENT", "CACHING", "NO"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTIN"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTOUT"]),
    ("a", ["CLIENT", "CACHING", "NO"]),
    ("a", ["CLIENT", "CACHING", "yes"]),
    ("a", ["CLIENT", "TRACKING", "ON", "NOLOOP", "noloop", "optin"]),
    ("a", ["CLIENT", "TRACKINGINFO"]),
    ("a", ["CLIENT", "TRACKING", "OFF"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTOUT"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTIN"]),
    ("a", ["CLIENT", "TRACKING", "ON", "OPTOUT", "BCAST"]),
    ("a", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{id:b}"]),
    ("a", ["CLIENT", "GETREDIR"]),
    ("a", ["CLIENT", "TRACKINGINFO"]),
    ("a", ["CLIENT", "CACHING"]),
    ("a", ["CLIENT", "CACHING", "YES", "NO"]),
    ("a", ["CLIENT", "GETREDIR", "x"]),
    ("a", ["CLIENT", "TRACKINGINFO", "x"]),
    ("a", ["CLIENT", "TRACKING", "OFF"]),
    ("a", ["CLIENT", "TRACKING", "OFF"]),
]


@pytest.mark.parametrize("resp", [2, 3])
def test_tracking_options_and_errors(multi, resp):
    multi.check(ERRORS, resp={"a": resp}, name="errors")


# -- one connection: scripts for the pair fixture (and tools/build_corpus.py, which records them) -------
# Run in RESP2 (invalidations need a redirect there: none arrive) and RESP3 (a write to a key the
# client itself read sends the invalidate push after the write's reply; the harness reads one reply
# per command, so the step after such a write shows that push).  No REDIRECT to a live client: ids differ.

ONE_CONNECTION = {
    "tracking-off-introspection": [
        ["CLIENT", "TRACKINGINFO"], ["CLIENT", "GETREDIR"], ["CLIENT", "CACHING", "YES"],
        ["CLIENT", "CACHING", "NO"], ["CLIENT", "TRACKING", "OFF"], ["CLIENT", "TRACKING", "off", "BCAST"],
        ["CLIENT", "TRACKINGINFO"],
    ],
    "tracking-on-and-own-writes": [
        ["CLIENT", "TRACKING", "ON"], ["CLIENT", "TRACKINGINFO"], ["CLIENT", "GETREDIR"], ["GET", "k"],
        ["SET", "k", "1"], ["PING"], ["MGET", "a", "b"], ["MSET", "b", "1", "a", "2"], ["PING", "1"], ["PING", "2"],
        ["CLIENT", "TRACKING", "OFF"], ["CLIENT", "TRACKINGINFO"], ["CLIENT", "GETREDIR"],
    ],
    "noloop-own-writes": [
        ["CLIENT", "TRACKING", "ON", "NOLOOP"], ["GET", "k"], ["SET", "k", "1"], ["CLIENT", "TRACKINGINFO"],
    ],
    "optin-caching": [
        ["CLIENT", "TRACKING", "ON", "OPTIN"], ["CLIENT", "CACHING", "NO"], ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "CACHING", "YES"], ["CLIENT", "TRACKINGINFO"], ["GET", "k"], ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "CACHING", "yes"], ["CLIENT", "TRACKING", "ON", "OPTOUT"], ["CLIENT", "TRACKING", "ON", "BCAST"],
        ["CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP"], ["CLIENT", "TRACKINGINFO"],
    ],
    "optout-caching": [
        ["CLIENT", "TRACKING", "ON", "OPTOUT", "NOLOOP"], ["CLIENT", "CACHING", "YES"], ["CLIENT", "CACHING", "NO"],
        ["CLIENT", "TRACKINGINFO"], ["GET", "k"], ["CLIENT", "TRACKINGINFO"], ["CLIENT", "TRACKING", "OFF"],
        ["CLIENT", "CACHING", "NO"],
    ],
    "bcast-prefixes": [
        ["client", "tracking", "on", "bcast", "prefix", "b", "prefix", "a", "noloop"], ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c"], ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "TRACKING", "ON"], ["CLIENT", "TRACKING", "OFF"], ["CLIENT", "TRACKING", "ON", "BCAST"],
        ["CLIENT", "TRACKINGINFO"], ["CLIENT", "CACHING", "YES"],
    ],
    "errors": [
        ["CLIENT", "TRACKING"], ["CLIENT", "TRACKING", "MAYBE"], ["CLIENT", "TRACKING", "ON", "NOPE"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT"], ["CLIENT", "TRACKING", "ON", "REDIRECT", "x"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "999999999"], ["CLIENT", "TRACKING", "ON", "REDIRECT", "0"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "-1"], ["CLIENT", "TRACKING", "ON", "PREFIX"],
        ["CLIENT", "TRACKING", "ON", "PREFIX", "a"], ["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
        ["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"], ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
        ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"],
        ["CLIENT", "CACHING"], ["CLIENT", "CACHING", "maybe"], ["CLIENT", "CACHING", "YES", "NO"],
        ["CLIENT", "GETREDIR", "x"], ["CLIENT", "TRACKINGINFO", "x"], ["CLIENT", "TRACKINGINFO"],
    ],
    "tracking-while-subscribed": [
        ["SUBSCRIBE", "__redis__:invalidate"], ["CLIENT", "TRACKING", "ON"], ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "GETREDIR"], ["CLIENT", "CACHING", "YES"], ["UNSUBSCRIBE"], ["CLIENT", "TRACKINGINFO"],
    ],
}


@pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("name", ONE_CONNECTION)
def test_tracking_one_connection(pair, name, resp):
    pair.check(ONE_CONNECTION[name], resp=resp, name=name)
