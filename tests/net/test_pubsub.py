"""Pub/sub, keyspace notifications and client-side caching over real sockets, as applications use them.

redis-py's PubSub (RESP2 and RESP3, ``run_in_thread``, health checks), its keyspace-notification
helper, its client-side cache (CLIENT TRACKING + RESP3 invalidation pushes); a subscriber that
never reads does not hold anyone up; expiry caused by moving the server's clock reaches
subscribers and caches.  Frames are pinned against redis in tests/differential/.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis
import redis.connection
from redis.cache import CacheConfig
from redis.keyspace_notifications import EventType, KeyspaceNotifications

from kvfake import ManualClock, Server
from tests.support.raw import RawConnection, wait_until
from tests.support.resp import bulk, command, integer


@pytest.fixture
def manual_server():
    """A server whose clock only moves when the test moves it."""
    srv = Server(clock=ManualClock(start=1_700_000_000, frozen=True))
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, srv.errors


def client(server, **kwargs) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port, **kwargs)


def next_message(pubsub, timeout: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = pubsub.get_message(timeout=0.05)
        if msg is not None:
            return msg
    return None


# -- redis-py PubSub ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pubsub_channels_and_patterns(server, protocol):
    with client(server, protocol=protocol) as r, client(server) as publisher:
        p = r.pubsub()
        p.subscribe("news")
        p.psubscribe("user:*")
        assert next_message(p) == {"type": "subscribe", "pattern": None, "channel": b"news", "data": 1}
        assert next_message(p) == {"type": "psubscribe", "pattern": None, "channel": b"user:*", "data": 2}
        assert publisher.publish("news", "hello") == 1
        assert publisher.publish("user:7", "bye") == 1
        assert next_message(p) == {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}
        assert next_message(p) == {"type": "pmessage", "pattern": b"user:*", "channel": b"user:7", "data": b"bye"}
        assert publisher.pubsub_numsub("news") == [(b"news", 1)]
        assert publisher.pubsub_numpat() == 1
        p.unsubscribe("news")
        assert next_message(p)["type"] == "unsubscribe"
        assert publisher.publish("news", "lost") == 0
        p.close()
        assert wait_until(lambda: publisher.pubsub_numpat() == 0)  # the server dropped its patterns


def test_redis_py_sharded_pubsub(server):
    with client(server) as r, client(server) as publisher:
        p = r.pubsub()
        p.ssubscribe("orders")
        assert next_message(p)["type"] == "ssubscribe"
        assert publisher.spublish("orders", "o1") == 1
        assert next_message(p) == {"type": "smessage", "pattern": None, "channel": b"orders", "data": b"o1"}
        assert publisher.pubsub_shardnumsub("orders") == [(b"orders", 1)]
        p.close()


def test_redis_py_run_in_thread_delivers_to_handlers(server):
    received = []
    done = threading.Event()

    def handler(message):
        received.append(message["data"])
        if len(received) == 3:
            done.set()

    with client(server) as r, client(server) as publisher:
        p = r.pubsub(ignore_subscribe_messages=True)
        p.subscribe(jobs=handler)
        worker = p.run_in_thread(sleep_time=0.01, daemon=True)
        try:
            assert wait_until(lambda: publisher.pubsub_numsub("jobs") == [(b"jobs", 1)])
            for n in range(3):
                assert publisher.publish("jobs", f"job-{n}") == 1
            assert done.wait(5)
            assert received == [b"job-0", b"job-1", b"job-2"]
        finally:
            worker.stop()
            worker.join(5)
        p.close()
    assert not worker.is_alive()


def test_redis_py_health_check_ping_while_subscribed(server):
    # redis-py pings a subscribed RESP2 connection and expects ["pong", <message>]
    with client(server, health_check_interval=1) as r:
        p = r.pubsub()
        p.subscribe("c")
        assert next_message(p)["type"] == "subscribe"
        p.connection.next_health_check = 0  # due now
        assert p.get_message(timeout=0.2) is None  # the PING's answer is consumed, not returned
        p.ping("hi")
        assert next_message(p) == {"type": "pong", "pattern": None, "channel": None, "data": b"hi"}
        p.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_subscriber_in_resp2_cannot_run_commands_but_resp3_can(server, protocol):
    with RawConnection(server.host, server.port) as conn:
        if protocol == 3:
            conn.call("HELLO", "3")
        conn.send(command("SUBSCRIBE", "c"))
        conn.reply()
        reply = conn.call("SET", "k", "v")
        if protocol == 2:
            assert reply.startswith(b"-ERR Can't execute 'set'")
        else:
            assert reply == b"+OK\r\n"


# -- a slow subscriber only slows itself -----------------------------------------------------------


def test_slow_subscriber_never_blocks_others(server):
    payload = b"x" * 65536
    slow = RawConnection(server.host, server.port)
    fast = RawConnection(server.host, server.port)
    try:
        slow.send(command("SUBSCRIBE", "firehose"))
        slow.reply()
        fast.send(command("SUBSCRIBE", "firehose"))
        fast.reply()
        with client(server) as publisher:
            started = time.monotonic()
            for _ in range(200):  # ~13 MB: far more than the slow subscriber's socket buffers
                assert publisher.publish("firehose", payload) == 2
                assert fast.reply(5) == (b"*3\r\n" + bulk(b"message") + bulk(b"firehose") + bulk(payload))
            assert publisher.ping()
            assert time.monotonic() - started < 20
        # nothing was lost: the slow reader gets every message, in order, when it reads at last
        for _ in range(200):
            assert slow.reply(10).endswith(bulk(payload))
        assert not slow.readable(0.05)
    finally:
        slow.close()
        fast.close()


# -- keyspace notifications -------------------------------------------------------------------------


def test_redis_py_keyspace_notifications_helper(server):
    with client(server) as r, client(server, decode_responses=True) as listener:
        assert r.config_set("notify-keyspace-events", "KEA")
        ksn = KeyspaceNotifications(listener)
        ksn.subscribe_keyspace("user:*")
        ksn.subscribe_keyevent(EventType.DEL)
        assert wait_until(lambda: r.pubsub_numpat() == 1 and r.pubsub_numsub("__keyevent@0__:del")[0][1] == 1)
        r.set("user:1", "alice")
        r.delete("user:1")
        seen = []
        deadline = time.monotonic() + 3
        while len(seen) < 3 and time.monotonic() < deadline:
            n = ksn.get_message(timeout=0.05)
            if n is not None:
                seen.append((n.is_keyspace, n.key, n.event_type))
        assert seen == [(True, "user:1", "set"), (True, "user:1", "del"), (False, "user:1", "del")]
        ksn.close()


def test_expired_events_when_the_clock_advances(manual_server):
    srv = manual_server
    with client(srv) as r, client(srv) as listener:
        r.config_set("notify-keyspace-events", "Ex")
        p = listener.pubsub(ignore_subscribe_messages=True)
        p.subscribe("__keyevent@0__:expired")
        next_message(p, timeout=0.2)
        r.set("session:1", "alice", ex=60)
        r.set("session:2", "bob", ex=120)
        srv.clock.advance(61)  # the active expiry sweep runs at once
        assert next_message(p) == {"type": "message", "pattern": None,
                                   "channel": b"__keyevent@0__:expired", "data": b"session:1"}
        assert p.get_message(timeout=0.1) is None
        srv.clock.advance(60)
        assert next_message(p)["data"] == b"session:2"
        assert r.dbsize() == 0
        p.close()


def test_expired_event_from_a_read_of_an_expired_key(manual_server):
    srv = manual_server
    with RawConnection(srv.host, srv.port) as listener, client(srv) as r:
        r.config_set("notify-keyspace-events", "KEx")
        srv.store.active_expire_enabled = False  # only the read can expire it
        listener.send(command("PSUBSCRIBE", "__key*__:*"))
        listener.reply()
        r.set("k", "v", px=10)
        srv.clock.advance(1)
        assert not listener.readable(0.05)
        assert r.get("k") is None
        assert listener.reply() == (b"*4\r\n" + bulk(b"pmessage") + bulk(b"__key*__:*")
                                    + bulk(b"__keyspace@0__:k") + bulk(b"expired"))
        assert listener.reply().endswith(bulk(b"__keyevent@0__:expired") + bulk(b"k"))


# -- client-side caching (CLIENT TRACKING) -------------------------------------------------------------


@pytest.fixture
def csc_allowed(monkeypatch):
    """redis-py 8 enables client-side caching only for servers reporting 7.4+; the protocol it
    uses (CLIENT TRACKING ON, RESP3 invalidation pushes) is 7.0's, which kvfake emulates."""
    monkeypatch.setattr(redis.connection.CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")


def test_redis_py_client_side_cache_sees_other_clients_writes(server, csc_allowed):
    with client(server, protocol=3, cache_config=CacheConfig()) as app, client(server) as other:
        other.set("price:1", "10")
        assert app.get("price:1") == b"10"
        assert app.get("price:1") == b"10"
        cache = app.get_cache()
        assert cache.size == 1
        gets = server.journal.count("GET")
        assert app.get("price:1") == b"10"
        assert server.journal.count("GET") == gets  # served from the cache
        other.set("price:1", "12")  # the invalidation is on the wire before this reply
        assert app.get("price:1") == b"12"
        assert server.journal.count("GET") == gets + 1
        other.hset("h", mapping={"a": "1"})
        assert app.hget("h", "a") == b"1"
        other.flushall()
        assert app.hget("h", "a") is None
        assert app.get("price:1") is None


def test_redis_py_client_side_cache_and_expiry(manual_server, csc_allowed):
    srv = manual_server
    with client(srv, protocol=3, cache_config=CacheConfig()) as app:
        app.set("token", "abc", ex=30)
        assert app.get("token") == b"abc"
        assert app.get_cache().size == 1
        srv.clock.advance(31)
        assert wait_until(lambda: app.get("token") is None)


def test_store_api_writes_reach_caches(server, csc_allowed):
    with client(server, protocol=3, cache_config=CacheConfig()) as app:
        server.store.set(0, "config", "v1")
        assert app.get("config") == b"v1"
        server.store.set(0, "config", "v2")
        assert wait_until(lambda: app.get("config") == b"v2")


def test_raw_resp3_invalidation_follows_own_reply(server):
    with RawConnection(server.host, server.port) as conn:
        conn.call("HELLO", "3")
        conn.call("CLIENT", "TRACKING", "ON")
        conn.call("GET", "k")
        conn.send(command("SET", "k", "v") + command("GET", "k"))
        assert conn.replies(3) == [b"+OK\r\n", b">2\r\n" + bulk(b"invalidate") + b"*1\r\n" + bulk(b"k"),
                                   bulk(b"v")]


def test_tracking_redirect_client_gone_then_counts(server):
    with RawConnection(server.host, server.port) as tracker, client(server) as other:
        target = RawConnection(server.host, server.port)
        target_id = int(target.call("CLIENT", "ID")[1:-2])
        tracker.call("HELLO", "3")
        tracker.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(target_id))
        tracker.call("GET", "k")
        target.close()
        assert wait_until(lambda: b"id=%d " % target_id not in other.execute_command("CLIENT", "LIST"))
        other.set("k", "v")
        assert tracker.reply() == b">2\r\n" + bulk(b"tracking-redir-broken") + integer(target_id)


def test_bcast_tracking_after_a_restart(server):
    def bcast_client():
        conn = RawConnection(server.host, server.port)
        conn.call("HELLO", "3")
        assert conn.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:") == b"+OK\r\n"
        return conn

    first = bcast_client()
    server.store.set(0, "user:1", "a")  # from this thread: posted to the loop
    assert first.reply() == b">2\r\n" + bulk(b"invalidate") + b"*1\r\n" + bulk(b"user:1")
    server.restart()
    assert first.closed()
    first.close()
    with bcast_client() as second, client(server) as writer:
        writer.mset({"user:2": "b", "other": "c", "user:0": "d"})
        assert second.reply() == (b">2\r\n" + bulk(b"invalidate") + b"*2\r\n" + bulk(b"user:0")
                                  + bulk(b"user:2"))
        assert writer.pubsub_numsub("x") == [(b"x", 0)]
