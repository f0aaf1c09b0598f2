"""Pub/sub and keyspace notifications through the in-process harness (raw bytes).

Subscribe confirmations and messages are pushes: ``h.do(...)`` returns the command's own reply
(nothing for SUBSCRIBE and friends) and ``h.take()`` the frames pushed to that client.  The exact
frames, orders and event sequences are pinned against redis by tests/differential/test_pubsub.py
and test_notifications.py; these tests check the mechanisms one by one.
"""

from __future__ import annotations

import pytest

from tests.support.resp import (
    NIL,
    OK,
    PONG,
    array,
    bulk,
    error,
    integer,
    null,
    push,
    simple,
)

CONTEXT_ERROR = (
    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
    "are allowed in this context"
)


def frame(proto: int, *items: bytes) -> bytes:
    return push(*items) if proto == 3 else array(*items)


def message(proto, channel: bytes, data: bytes) -> bytes:
    return frame(proto, bulk(b"message"), bulk(channel), bulk(data))


def pmessage(proto, pattern: bytes, channel: bytes, data: bytes) -> bytes:
    return frame(proto, bulk(b"pmessage"), bulk(pattern), bulk(channel), bulk(data))


def confirm(proto, kind: bytes, name, count: int) -> bytes:
    shown = (NIL if proto == 2 else null()) if name is None else bulk(name)
    return frame(proto, bulk(kind), shown, integer(count))


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


@pytest.fixture
def sub(h, proto):
    """A second client of ``h`` speaking ``proto``, to subscribe with."""
    client = h.new_client()
    if proto == 3:
        client.do(b"HELLO", b"3")
    return client


# -- SUBSCRIBE family ------------------------------------------------------------------------


def test_subscribe_confirms_each_channel_as_a_push(sub, proto):
    assert sub.do(b"SUBSCRIBE", b"a", b"b", b"a") == b""
    assert sub.take() == (confirm(proto, b"subscribe", b"a", 1) + confirm(proto, b"subscribe", b"b", 2)
                          + confirm(proto, b"subscribe", b"a", 2))


def test_subscription_counts_add_channels_and_patterns_but_not_shard_channels(sub, proto):
    sub.do(b"SUBSCRIBE", b"c")
    sub.do(b"PSUBSCRIBE", b"p*")
    sub.do(b"SSUBSCRIBE", b"s1", b"s2")
    sub.do(b"UNSUBSCRIBE", b"nope")
    assert sub.take() == (confirm(proto, b"subscribe", b"c", 1) + confirm(proto, b"psubscribe", b"p*", 2)
                          + confirm(proto, b"ssubscribe", b"s1", 1) + confirm(proto, b"ssubscribe", b"s2", 2)
                          + confirm(proto, b"unsubscribe", b"nope", 2))


@pytest.mark.parametrize("kind", [b"unsubscribe", b"punsubscribe", b"sunsubscribe"])
def test_unsubscribe_from_nothing_sends_a_null_channel(sub, proto, kind):
    assert sub.do(kind.upper()) == b""
    assert sub.take() == confirm(proto, kind, None, 0)


def test_punsubscribe_without_patterns_reports_the_channel_count(sub, proto):
    sub.do(b"SUBSCRIBE", b"c")
    sub.take()
    sub.do(b"PUNSUBSCRIBE")
    assert sub.take() == confirm(proto, b"punsubscribe", None, 1)


def test_unsubscribe_all_goes_in_subscription_order(sub, proto):
    sub.do(b"SUBSCRIBE", b"z", b"a", b"m")
    sub.take()
    sub.do(b"UNSUBSCRIBE")
    assert sub.take() == (confirm(proto, b"unsubscribe", b"z", 2) + confirm(proto, b"unsubscribe", b"a", 1)
                          + confirm(proto, b"unsubscribe", b"m", 0))
    assert sub.session.pubsub is None


# -- PUBLISH ------------------------------------------------------------------------------------


def test_publish_counts_every_receiver(h, sub, proto):
    other = h.new_client()
    sub.do(b"SUBSCRIBE", b"news")
    sub.do(b"PSUBSCRIBE", b"n*", b"*s", b"x*")
    other.do(b"SUBSCRIBE", b"news")
    sub.take()
    other.take()
    assert h.do(b"PUBLISH", b"news", b"hi") == integer(4)
    assert sub.take() == (message(proto, b"news", b"hi") + pmessage(proto, b"n*", b"news", b"hi")
                          + pmessage(proto, b"*s", b"news", b"hi"))
    assert other.take() == message(2, b"news", b"hi")
    assert h.do(b"PUBLISH", b"zzz", b"x") == integer(0)


def test_publish_glob_rules(h, sub, proto):
    sub.do(b"PSUBSCRIBE", b"h[ae]llo", b"*")
    sub.take()
    assert h.do(b"PUBLISH", b"hello", b"1") == integer(2)
    assert h.do(b"PUBLISH", b"hillo", b"2") == integer(1)
    assert h.do(b"PUBLISH", b"", b"3") == integer(0)  # "*" does not match the empty channel
    assert sub.take() == (pmessage(proto, b"h[ae]llo", b"hello", b"1") + pmessage(proto, b"*", b"hello", b"1")
                          + pmessage(proto, b"*", b"hillo", b"2"))


def test_spublish_reaches_shard_subscribers_only(h, sub, proto):
    sub.do(b"SSUBSCRIBE", b"s")
    sub.do(b"PSUBSCRIBE", b"*")
    sub.take()
    assert h.do(b"SPUBLISH", b"s", b"m") == integer(1)
    assert h.do(b"PUBLISH", b"s", b"n") == integer(1)
    assert sub.take() == frame(proto, bulk(b"smessage"), bulk(b"s"), bulk(b"m")) + pmessage(proto, b"*", b"s", b"n")


def test_resp3_client_publishing_to_itself_gets_the_message(h):
    h.do(b"HELLO", b"3")
    h.do(b"SUBSCRIBE", b"me")
    h.take()
    assert h.do(b"PUBLISH", b"me", b"hi") == integer(1)
    assert h.take() == message(3, b"me", b"hi")


# -- a RESP2 client with subscriptions ------------------------------------------------------------

REFUSED = [
    ([b"GET", b"k"], "get"),
    ([b"SET", b"k", b"v"], "set"),
    ([b"PUBLISH", b"c", b"m"], "publish"),
    ([b"CLIENT", b"LIST"], "client|list"),
    ([b"HELLO", b"3"], "hello"),
    ([b"MULTI"], "multi"),
    ([b"PUBSUB", b"NUMPAT"], "pubsub|numpat"),
]


@pytest.mark.parametrize("argv, name", REFUSED, ids=[n for _, n in REFUSED])
def test_resp2_subscriber_may_not_run_other_commands(h, argv, name):
    h.do(b"SSUBSCRIBE", b"s")  # shard subscriptions count too
    assert h.do(*argv) == error(CONTEXT_ERROR.format(name))


def test_resp2_subscriber_checks_arity_first(h):
    h.do(b"SUBSCRIBE", b"c")
    assert h.do(b"GET") == error("ERR wrong number of arguments for 'get' command")


def test_resp2_subscriber_ping_is_a_pong_message(h):
    h.do(b"SUBSCRIBE", b"c")
    assert h.do(b"PING") == array(bulk(b"pong"), bulk(b""))
    assert h.do(b"PING", b"hi") == array(bulk(b"pong"), bulk(b"hi"))


def test_leaving_every_subscription_ends_the_restrictions(h):
    h.do(b"SUBSCRIBE", b"c")
    h.do(b"SSUBSCRIBE", b"s")
    h.do(b"UNSUBSCRIBE")
    assert h.do(b"GET", b"k") == error(CONTEXT_ERROR.format("get"))
    h.do(b"SUNSUBSCRIBE")
    assert h.do(b"GET", b"k") == NIL
    assert h.do(b"PING") == PONG


def test_resp3_subscriber_runs_everything(h):
    h.do(b"HELLO", b"3")
    h.do(b"SUBSCRIBE", b"c")
    assert h.do(b"SET", b"k", b"v") == OK
    assert h.do(b"PING") == PONG
    h.do(b"HELLO", b"2")
    assert h.do(b"GET", b"k") == error(CONTEXT_ERROR.format("get"))


def test_reset_drops_subscriptions_without_messages(h):
    other = h.new_client()
    h.do(b"SUBSCRIBE", b"c")
    h.do(b"PSUBSCRIBE", b"p*")
    h.take()
    assert h.do(b"RESET") == simple("RESET")
    assert h.take() == b""
    assert other.do(b"PUBLISH", b"c", b"x") == integer(0)
    assert other.do(b"PUBSUB", b"NUMPAT") == integer(0)
    assert h.do(b"GET", b"k") == NIL


def test_disconnect_drops_subscriptions(h):
    sub = h.new_client()
    sub.do(b"SUBSCRIBE", b"c")
    sub.do(b"SSUBSCRIBE", b"s")
    h.dispatcher.on_disconnect(sub.ctx)
    assert h.do(b"PUBSUB", b"NUMSUB", b"c") == array(bulk(b"c"), integer(0))
    assert h.do(b"PUBSUB", b"SHARDCHANNELS") == array()


def test_subscribe_inside_exec_frames_join_the_exec_reply(h):
    h.do(b"MULTI")
    h.do(b"SUBSCRIBE", b"c")
    h.do(b"PUBLISH", b"c", b"x")
    assert h.do(b"EXEC") == (b"*2\r\n" + confirm(2, b"subscribe", b"c", 1)
                             + message(2, b"c", b"x") + integer(1))
    assert h.take() == b""


# -- introspection --------------------------------------------------------------------------------


def test_pubsub_channels_numsub_numpat(h):
    a, b = h.new_client(), h.new_client()
    a.do(b"SUBSCRIBE", b"news", b"sport")
    a.do(b"PSUBSCRIBE", b"p*")
    b.do(b"PSUBSCRIBE", b"p*", b"q*")
    b.do(b"SUBSCRIBE", b"news")
    assert h.do(b"PUBSUB", b"CHANNELS") == array(bulk(b"news"), bulk(b"sport"))
    assert h.do(b"PUBSUB", b"CHANNELS", b"s*") == array(bulk(b"sport"))
    assert h.do(b"PUBSUB", b"NUMSUB", b"news", b"x", b"news") == array(
        bulk(b"news"), integer(2), bulk(b"x"), integer(0), bulk(b"news"), integer(2))
    assert h.do(b"PUBSUB", b"NUMPAT") == integer(2)  # distinct patterns (redis 7.0)


def test_pubsub_shard_introspection(h):
    a = h.new_client()
    a.do(b"SSUBSCRIBE", b"s1", b"s2")
    assert h.do(b"PUBSUB", b"SHARDCHANNELS", b"*1") == array(bulk(b"s1"))
    assert h.do(b"PUBSUB", b"SHARDNUMSUB", b"s2", b"s3") == array(bulk(b"s2"), integer(1), bulk(b"s3"), integer(0))


@pytest.mark.parametrize("argv, text", [
    ([b"PUBSUB", b"CHANNELS", b"a", b"b"],
     "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."),
    ([b"PUBSUB", b"shardchannels", b"a", b"b"],
     "ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP."),
    ([b"PUBSUB", b"NUMPAT", b"x"], "ERR wrong number of arguments for 'pubsub|numpat' command"),
    ([b"PUBSUB", b"NOPE"], "ERR unknown subcommand 'NOPE'. Try PUBSUB HELP."),
    ([b"SUBSCRIBE"], "ERR wrong number of arguments for 'subscribe' command"),
    ([b"PUBLISH", b"c"], "ERR wrong number of arguments for 'publish' command"),
], ids=["channels-2", "shardchannels-2", "numpat-1", "unknown", "subscribe-0", "publish-1"])
def test_pubsub_errors(h, argv, text):
    assert h.do(*argv) == error(text)


def test_client_list_shows_subscriptions(h):
    sub = h.new_client()
    sub.do(b"SUBSCRIBE", b"a", b"b")
    sub.do(b"PSUBSCRIBE", b"p*")
    sub.do(b"SSUBSCRIBE", b"s")
    listing = h.do(b"CLIENT", b"LIST", b"TYPE", b"pubsub")
    assert listing.count(b"id=") == 1
    assert b" flags=P db=0 sub=2 psub=1 ssub=1 " in listing
    assert b"id=%d " % sub.session.id in listing
    assert h.do(b"CLIENT", b"LIST", b"TYPE", b"normal").count(b"flags=P") == 0


def test_info_counts_channels_and_patterns(h):
    a, b = h.new_client(), h.new_client()
    a.do(b"SUBSCRIBE", b"x", b"y")
    b.do(b"SUBSCRIBE", b"y")
    b.do(b"PSUBSCRIBE", b"p*")
    a.do(b"SSUBSCRIBE", b"s")
    info = h.do(b"INFO", b"stats")
    assert b"\r\npubsub_channels:2\r\npubsub_patterns:1\r\npubsubshard_channels:1\r\n" in info


# -- keyspace notifications ------------------------------------------------------------------------


@pytest.fixture
def events(h):
    """A RESP2 client subscribed to every keyspace channel; ``events()`` gives its frames."""
    listener = h.new_client()
    listener.do(b"PSUBSCRIBE", b"__key*__:*")
    listener.take()
    return listener.take


def ks(db: int, key: bytes, event: bytes) -> bytes:
    return pmessage(2, b"__key*__:*", b"__keyspace@%d__:%s" % (db, key), event)


def ke(db: int, event: bytes, key: bytes) -> bytes:
    return pmessage(2, b"__key*__:*", b"__keyevent@%d__:%s" % (db, event), key)


def test_notifications_off_by_default(h, events):
    h.do(b"SET", b"k", b"v")
    assert events() == b""


def test_keyspace_hooks_are_installed_only_while_someone_listens(h):
    # writes pay nothing for keyspace events while no channel or pattern has a subscriber
    store = h.store
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA")
    hooks = lambda: (store.notify_hook, store.expired_hook, store.key_created_hook)  # noqa: E731
    assert hooks() == (None, None, None)
    listener = h.new_client()
    listener.do(b"SSUBSCRIBE", b"__keyspace@0__:k")  # shard channels get no keyspace events
    assert hooks() == (None, None, None)
    listener.do(b"SUBSCRIBE", b"__keyspace@0__:k")
    assert None not in hooks()
    listener.take()
    h.do(b"SET", b"k", b"v")
    assert listener.take() == message(2, b"__keyspace@0__:k", b"set")
    listener.do(b"UNSUBSCRIBE")
    assert hooks() == (None, None, None)
    listener.do(b"PSUBSCRIBE", b"__key*__:*")
    assert None not in hooks()
    listener.do(b"RESET")
    assert hooks() == (None, None, None)
    listener.take()
    h.do(b"SET", b"k", b"v")
    assert listener.take() == b""


def test_set_publishes_keyspace_then_keyevent(h, events):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA")
    h.do(b"SET", b"k", b"v", b"EX", b"10")
    assert events() == ks(0, b"k", b"set") + ke(0, b"set", b"k") + ks(0, b"k", b"expire") + ke(0, b"expire", b"k")


@pytest.mark.parametrize("flags, expected", [
    (b"K$", lambda: ks(0, b"k", b"set")),
    (b"E$", lambda: ke(0, b"set", b"k")),
    (b"Kg", lambda: ks(0, b"k", b"expire")),
    (b"KEl", lambda: b""),
    (b"$", lambda: b""),
], ids=["K$", "E$", "Kg", "KEl", "no-K-or-E"])
def test_notification_classes_filter(h, events, flags, expected):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", flags)
    h.do(b"SET", b"k", b"v", b"PX", b"100000")
    assert events() == expected()


def test_new_key_events_survive_a_shown_value_without_n(h, events):
    # redis 7.0.15 shows "AKEn" as "AKE" but keeps notifying "new"
    assert h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"AKEn") == OK
    assert h.do(b"CONFIG", b"GET", b"notify-keyspace-events") == array(
        bulk(b"notify-keyspace-events"), bulk(b"AKE"))
    h.do(b"RPUSH", b"l", b"x")
    assert events() == ks(0, b"l", b"new") + ke(0, b"new", b"l") + ks(0, b"l", b"rpush") + ke(0, b"rpush", b"l")
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"AKE")
    h.do(b"RPUSH", b"m", b"x")
    assert events() == ks(0, b"m", b"rpush") + ke(0, b"rpush", b"m")


def test_channel_names_carry_the_database(h, events):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"KEg")
    h.do(b"SET", b"k", b"v")
    h.do(b"MOVE", b"k", b"7")
    assert events() == (ks(0, b"k", b"move_from") + ke(0, b"move_from", b"k")
                        + ks(7, b"k", b"move_to") + ke(7, b"move_to", b"k"))


def test_rename_events(h, events):
    h.do(b"SET", b"a", b"1")
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"Eg")
    h.do(b"RENAME", b"a", b"b")
    assert events() == ke(0, b"rename_from", b"a") + ke(0, b"rename_to", b"b")


def test_lazy_expiry_publishes_expired(h, events):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"Ex")
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(1)
    assert h.do(b"GET", b"k") == NIL
    assert events() == ke(0, b"expired", b"k")


def test_active_expiry_publishes_expired(h, events):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"Ex")
    h.do(b"SELECT", b"3")
    h.do(b"SET", b"k", b"v", b"EX", b"5")
    h.clock.advance(10)
    assert h.store.active_expire_step() == 1
    assert events() == ke(3, b"expired", b"k")


def test_flushall_sends_no_per_key_events(h, events):
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"KEA")
    h.do(b"MSET", b"a", b"1", b"b", b"2")
    events()
    h.do(b"FLUSHALL")
    assert events() == b""


def test_same_connection_resp3_subscriber_gets_its_own_events(h):
    h.do(b"HELLO", b"3")
    h.do(b"CONFIG", b"SET", b"notify-keyspace-events", b"E$")
    h.do(b"SUBSCRIBE", b"__keyevent@0__:set")
    h.take()
    assert h.do(b"SET", b"k", b"v") == OK
    assert h.take() == message(3, b"__keyevent@0__:set", b"k")
