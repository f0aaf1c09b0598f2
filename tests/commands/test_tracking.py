"""CLIENT TRACKING through the in-process harness: what gets invalidated, and to whom.

Invalidations are pushes, read with ``client.take()``.  The frames, their order relative to
replies over a real connection, and every error text are pinned against redis by
tests/differential/test_tracking.py.
"""

from __future__ import annotations

import pytest

from kvfake.commands.tracking import SENTINEL
from tests.support.resp import OK, array, bulk, error, integer, map_, null, push, set_

INVALIDATE = bulk(b"invalidate")


def invalidate(*keys: bytes) -> bytes:
    return push(INVALIDATE, array(*[bulk(k) for k in keys]))


@pytest.fixture
def tracker(h):
    """A RESP3 client with CLIENT TRACKING ON (default mode)."""
    client = h.new_client()
    client.do(b"HELLO", b"3")
    assert client.do(b"CLIENT", b"TRACKING", b"ON") == OK
    return client


def test_read_key_is_invalidated_once_when_another_client_writes(h, tracker):
    tracker.do(b"GET", b"k")
    h.do(b"SET", b"k", b"1")
    assert tracker.take() == invalidate(b"k")
    h.do(b"SET", b"k", b"2")
    assert tracker.take() == b""  # not read again since


def test_keys_of_multi_key_reads_are_invalidated_one_message_each(h, tracker):
    tracker.do(b"MGET", b"a", b"b")
    h.do(b"MSET", b"b", b"1", b"a", b"2", b"c", b"3")
    assert tracker.take() == invalidate(b"b") + invalidate(b"a")


def test_own_writes_invalidate_too(tracker):
    tracker.do(b"GET", b"k")
    assert tracker.do(b"SET", b"k", b"v") == OK
    assert tracker.take() == invalidate(b"k")


def test_noloop_skips_own_writes(h, tracker):
    tracker.do(b"CLIENT", b"TRACKING", b"ON", b"NOLOOP")
    tracker.do(b"GET", b"k")
    tracker.do(b"SET", b"k", b"v")
    assert tracker.take() == b""
    tracker.do(b"GET", b"k")
    h.do(b"DEL", b"k")
    assert tracker.take() == invalidate(b"k")


def test_writes_in_any_database_invalidate(h, tracker):
    tracker.do(b"GET", b"k")
    h.do(b"SELECT", b"9")
    h.do(b"SET", b"k", b"v")
    assert tracker.take() == invalidate(b"k")


def test_flush_sends_a_null_invalidation_and_forgets_the_keys(h, tracker):
    tracker.do(b"GET", b"k")
    h.do(b"SELECT", b"5")
    h.do(b"FLUSHDB")
    assert tracker.take() == push(INVALIDATE, null())
    h.do(b"SELECT", b"0")
    h.do(b"SET", b"k", b"v")
    assert tracker.take() == b""


def test_flushall_is_one_null_invalidation(h, tracker):
    h.do(b"FLUSHALL")
    assert tracker.take() == push(INVALIDATE, null())


def test_expiry_invalidates(h, tracker):
    h.do(b"SET", b"k", b"v", b"EX", b"5")
    tracker.do(b"GET", b"k")
    h.clock.advance(6)
    h.store.active_expire_step()
    assert tracker.take() == invalidate(b"k")


def test_store_api_writes_invalidate(h, tracker):
    tracker.do(b"GET", b"k")
    h.store.set(0, "k", "from the test")
    assert tracker.take() == invalidate(b"k")


def test_resp2_without_redirect_receives_nothing(h):
    client = h.new_client()
    client.do(b"CLIENT", b"TRACKING", b"ON")
    client.do(b"GET", b"k")
    h.do(b"SET", b"k", b"v")
    assert client.take() == b""


def test_redirect_to_a_resp2_subscriber_is_a_message(h):
    listener = h.new_client()
    listener.do(b"SUBSCRIBE", b"__redis__:invalidate")
    listener.take()
    client = h.new_client()
    assert client.do(b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", b"%d" % listener.session.id) == OK
    client.do(b"GET", b"k")
    h.do(b"SET", b"k", b"v")
    h.do(b"FLUSHALL")
    assert listener.take() == (
        array(bulk(b"message"), bulk(b"__redis__:invalidate"), array(bulk(b"k")))
        + array(bulk(b"message"), bulk(b"__redis__:invalidate"), b"$-1\r\n"))


def test_broken_redirect_is_reported_to_a_resp3_tracker(h):
    target = h.new_client()
    client = h.new_client()
    client.do(b"HELLO", b"3")
    client.do(b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", b"%d" % target.session.id)
    client.do(b"GET", b"k")
    h.dispatcher.on_disconnect(target.ctx)
    h.clients.remove(target)
    h.do(b"SET", b"k", b"v")
    assert client.take() == push(bulk(b"tracking-redir-broken"), integer(target.session.id))
    assert b"flags=tR " in h.do(b"CLIENT", b"LIST", b"ID", b"%d" % client.session.id)


def test_bcast_batches_keys_per_prefix_sorted(h):
    client = h.new_client()
    client.do(b"HELLO", b"3")
    client.do(b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"u:", b"PREFIX", b"c:")
    h.do(b"MSET", b"u:2", b"x", b"u:1", b"y", b"other", b"z", b"c:1", b"w", b"u:2", b"again")
    assert client.take() == invalidate(b"c:1") + invalidate(b"u:1", b"u:2")


def test_optin_tracks_only_after_caching_yes(h, tracker):
    tracker.do(b"CLIENT", b"TRACKING", b"ON", b"OPTIN")
    tracker.do(b"GET", b"a")
    tracker.do(b"CLIENT", b"CACHING", b"YES")
    tracker.do(b"GET", b"b")
    tracker.do(b"GET", b"c")  # CACHING YES covers one command
    h.do(b"MSET", b"a", b"1", b"b", b"2", b"c", b"3")
    assert tracker.take() == invalidate(b"b")


def test_trackinginfo_and_getredir(h, tracker):
    assert tracker.do(b"CLIENT", b"TRACKINGINFO") == map_(
        (bulk(b"flags"), set_(bulk(b"on"))), (bulk(b"redirect"), integer(0)), (bulk(b"prefixes"), array()))
    assert tracker.do(b"CLIENT", b"GETREDIR") == integer(0)
    tracker.do(b"CLIENT", b"TRACKING", b"OFF")
    assert tracker.do(b"CLIENT", b"GETREDIR") == integer(-1)
    assert h.do(b"CLIENT", b"TRACKINGINFO") == array(
        bulk(b"flags"), array(bulk(b"off")), bulk(b"redirect"), integer(-1), bulk(b"prefixes"), array())


def test_client_list_and_info_show_tracking(h, tracker):
    bcast = h.new_client()
    bcast.do(b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"p")
    tracker.do(b"MGET", b"a", b"b")
    other = h.new_client()
    other.do(b"CLIENT", b"TRACKING", b"ON")
    other.do(b"GET", b"a")
    listing = h.do(b"CLIENT", b"LIST")
    assert b"flags=t db=0 sub=0 psub=0 ssub=0 " in listing
    assert b"flags=tB " in listing
    assert b" redir=0 resp=3" in listing
    assert b"\r\ntracking_clients:3\r\n" in h.do(b"INFO", b"clients")
    stats = h.do(b"INFO", b"stats")
    assert b"\r\ntracking_total_keys:2\r\ntracking_total_items:3\r\ntracking_total_prefixes:1\r\n" in stats


def test_prefix_clash_after_the_first_answers_twice(h):
    # redis 7.0.15 reports the clash, enables tracking anyway, then answers +OK
    reply = h.do(b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"a", b"PREFIX", b"b", b"PREFIX", b"bc")
    assert reply == error("ERR Prefix 'b' overlaps with another provided prefix 'bc'. "
                          "Prefixes for a single client must not overlap.") + OK
    assert b"flags=tB " in h.do(b"CLIENT", b"INFO")


def test_reset_and_disconnect_turn_tracking_off(h, tracker):
    tracker.do(b"GET", b"k")
    tracker.do(b"RESET")
    h.do(b"SET", b"k", b"v")
    assert tracker.take() == b""
    other = h.new_client()
    other.do(b"CLIENT", b"TRACKING", b"ON")
    h.dispatcher.on_disconnect(other.ctx)
    assert b"\r\ntracking_clients:0\r\n" in h.do(b"INFO", b"clients")


def test_store_stops_calling_once_tracking_is_unused(h, tracker):
    tracker.do(b"GET", b"k")
    assert SENTINEL in h.store.watchers and h.store.modified_hook is not None
    tracker.do(b"CLIENT", b"TRACKING", b"OFF")
    assert SENTINEL in h.store.watchers  # "k" is still in the table
    h.do(b"SET", b"k", b"v")
    assert SENTINEL not in h.store.watchers and h.store.modified_hook is None
    assert tracker.take() == b""
