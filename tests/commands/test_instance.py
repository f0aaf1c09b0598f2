"""The server instance (kvfake.commands.instance): SHUTDOWN ROLE WAIT MEMORY SLOWLOG LATENCY LOLWUT and
the POST / Host: guard, through the in-process harness (raw bytes), a live Server, and redis-py.

Replies are redis-server 7.0.15's (tests/differential/test_instance.py compares them live); here are
the parts a live comparison cannot pin: what kvfake does where Redis is random or measured (LOLWUT's
random art, MEMORY USAGE's estimate rules, MALLOC-STATS), blocking WAIT, and the server stopping.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from kvfake import Server
from kvfake.commands import instance
from kvfake.store.values import Hash, List, RawString, SetValue
from kvfake.store.zset import ZSet
from tests.support.raw import RawConnection
from tests.support.resp import NIL, OK, array, bulk, decode, error, integer, verbatim

SYNTAX = error("ERR syntax error")


def resp3(h):
    h.session.protover = 3
    return h


# -- the security guard and SHUTDOWN in-process --------------------------------------------------------

@pytest.mark.parametrize("name", [b"POST", b"post", b"Host:", b"HOST:"])
def test_security_guard_closes_without_reply(h, name):
    assert h.do(name, b"/", b"HTTP/1.1") == b""
    assert h.session.close_after_reply


def test_security_guard_only_for_those_names(h):
    assert h.do(b"Host", b"x") == error("ERR unknown command 'Host', with args beginning with: 'x' ")
    assert not h.session.close_after_reply


@pytest.mark.parametrize("args,reply", [
    ((b"foo",), SYNTAX),
    ((b"ABORT",), error("ERR No shutdown in progress.")),
    ((b"abort", b"abort"), error("ERR No shutdown in progress.")),
    ((b"NOSAVE", b"SAVE"), SYNTAX),
    ((b"ABORT", b"NOW"), SYNTAX),
    ((b"now", b"bogus"), SYNTAX),
], ids=["unknown", "abort", "abort-twice", "nosave-save", "abort-now", "bad-after-good"])
def test_shutdown_errors(h, args, reply):
    assert h.do(b"SHUTDOWN", *args) == reply
    assert not h.session.close_after_reply


@pytest.mark.parametrize("args", [(), (b"NOSAVE",), (b"save", b"save"), (b"NOW", b"FORCE", b"NOSAVE")],
                         ids=["plain", "nosave", "save-twice", "now-force-nosave"])
def test_shutdown_closes_the_client_without_reply(h, args):
    assert h.do(b"SHUTDOWN", *args) == b""
    assert h.session.close_after_reply


def test_shutdown_stops_a_live_server_and_start_brings_it_back_on_its_port():
    with Server() as server:
        port = server.port
        with RawConnection(server.host, port) as other, socket.create_connection((server.host, port)) as s:
            s.sendall(b"SET k v\r\nSHUTDOWN NOSAVE\r\n")
            s.settimeout(5)
            assert s.recv(100) == b""  # closed, and the +OK not yet written is gone too
            assert other.closed(timeout=5)
        assert not server.running  # at once: the loop stops before serving anyone else
        server.start()  # waits for the stop SHUTDOWN began
        assert server.port == port and server.running
        with RawConnection(server.host, port) as conn:
            assert conn.call("GET", "k") == bulk(b"v")  # the data stays, as after stop()
        assert server.errors == []
    assert not [t for t in threading.enumerate() if t.name.startswith(f"kvfake-{port}")]


# -- ROLE WAIT ------------------------------------------------------------------------------------------

def test_role_is_a_master_without_replicas(h):
    assert h.do(b"ROLE") == array(bulk(b"master"), integer(0), array())


def test_wait_without_wanted_replicas_answers_at_once(h):
    assert h.do(b"WAIT", b"0", b"0") == integer(0)
    assert h.do(b"WAIT", b"-3", b"100") == integer(0)


def test_wait_blocks_until_its_timeout_then_answers_zero(h):
    assert h.do(b"WAIT", b"2", b"1500") == b""  # blocked
    h.clock.advance(1.4)
    assert h.take() == b""
    h.clock.advance(0.2)
    assert h.take() == integer(0)


def test_wait_forever_ends_with_client_unblock(h):
    waiter = h.new_client()
    assert waiter.do(b"WAIT", b"1", b"0") == b""
    h.clock.advance(10_000)
    assert waiter.take() == b""
    assert h.do(b"CLIENT", b"UNBLOCK", str(waiter.session.id).encode()) == integer(1)
    assert waiter.take() == integer(0)


def test_wait_inside_exec_does_not_block(h):
    h.do(b"MULTI")
    h.do(b"WAIT", b"1", b"0")
    assert h.do(b"EXEC") == array(integer(0))


# -- MEMORY -----------------------------------------------------------------------------------------------

def test_memory_usage_missing_key_and_options(h):
    assert h.do(b"MEMORY", b"USAGE", b"nokey") == NIL
    h.do(b"SET", b"k", b"v")
    assert h.do(b"MEMORY", b"USAGE", b"k") == integer(64)
    assert h.do(b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"0") == integer(64)
    assert h.do(b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"-1") == SYNTAX
    assert h.do(b"MEMORY", b"USAGE", b"k", b"SAMPLES") == SYNTAX
    assert h.do(b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"x") == error("ERR value is not an integer or out of range")


def test_memory_usage_sees_an_expired_key_not_yet_deleted(h):
    """redis 7.0 looks the key up with dictFind: no lazy expiry."""
    h.do(b"SET", b"k", b"v", b"PX", b"10")
    h.clock.advance(1)
    assert h.do(b"MEMORY", b"USAGE", b"k") == integer(64)
    assert h.do(b"GET", b"k") == NIL
    assert h.do(b"MEMORY", b"USAGE", b"k") == NIL


@pytest.mark.parametrize("size,allocation", [
    (1, 8), (8, 8), (9, 16), (17, 32), (100, 112), (128, 128), (129, 160), (257, 320), (1006, 1024),
    (10006, 10240), (40006, 40960),
], ids=str)
def test_jemalloc_size_classes(size, allocation):
    assert instance.jemalloc(size) == allocation


def _zset(scores: dict, big: bool) -> ZSet:
    return ZSet.from_scores(scores, big=big)


@pytest.mark.parametrize("value,size", [
    (b"12345", 16),                                  # int encoding: the robj only
    (b"v", 32),                                      # embstr: robj + sds in one allocation
    (b"x" * 45, 16 + 64),                            # raw
    (RawString(b"hello" + b"x" * 100), 16 + 224),    # grown by APPEND: room for as much again
    (Hash({b"a": b"1", b"b": b"2"}), 16 + 32),       # listpack
    (List([b"a", b"b", b"c"]), 16 + 40 + 40 + 16),   # one quicklist node
    (SetValue([b"1", b"2", b"3"]), 16 + 16),         # intset of int16
    (_zset({b"a": 1.0, b"b": 2.0}, False), 16 + 32),  # listpack
], ids=["int", "embstr", "raw", "appended", "hash", "list", "intset", "zset"])
def test_object_size_follows_redis_accounting(value, size):
    assert instance.object_size(value) == size


def test_object_size_of_hashtables_is_an_estimate_that_grows_with_the_value():
    small, big = SetValue(), SetValue()
    for i in range(10):
        small.add_member(b"m%d" % i, 512)
    for i in range(1000):
        big.add_member(b"m%d" % i, 512)
    zs = _zset({b"m%d" % i: float(i) for i in range(200)}, True)
    assert 500 < instance.object_size(small) < instance.object_size(big)
    assert 15_000 < instance.object_size(zs) < 25_000  # redis 7.0.15 said 19912 (all sampled)


def test_memory_malloc_stats_is_that_of_a_build_without_jemalloc(h):
    assert h.do(b"MEMORY", b"MALLOC-STATS") == bulk(b"Stats not supported for the current allocator")


def test_memory_doctor_past_five_megabytes(h):
    assert decode(h.do(b"MEMORY", b"DOCTOR")).startswith(b"Hi Sam, this instance is empty")
    h.store.set(0, b"k", b"v")
    with h.store.locked():
        for i in range(70_000):  # INFO memory's plausible figure passes 5 MB
            h.store.dbs[0].data[b"k%d" % i] = b"v"
    assert resp3(h).do(b"MEMORY", b"DOCTOR") == verbatim("txt", instance.MEMORY_DOCTOR_FINE)


def test_memory_stats_agrees_with_info_memory(h):
    h.do(b"SET", b"k", b"v")
    stats = decode(h.do(b"MEMORY", b"STATS"))
    fields = dict(zip(stats[::2], stats[1::2]))
    info = dict(line.split(b":", 1) for line in decode(h.do(b"INFO", b"memory")).split(b"\r\n") if b":" in line)
    assert fields[b"total.allocated"] == int(info[b"used_memory"])
    assert fields[b"keys.count"] == 1 and fields[b"db.0"][:2] == [b"overhead.hashtable.main", 24 + 16 + 4 * 8]


# -- SLOWLOG LATENCY --------------------------------------------------------------------------------------

def test_slowlog_stays_empty(h):
    h.do(b"DEBUG", b"SLEEP", b"0")
    assert h.do(b"SLOWLOG", b"GET", b"-1") == array()
    assert h.do(b"SLOWLOG", b"LEN") == integer(0)
    assert h.do(b"SLOWLOG", b"RESET") == OK


def test_latency_histogram_counts_calls_in_the_first_bucket(h):
    h.do(b"SET", b"k", b"v")
    h.do(b"SET", b"k", b"v", b"XX", b"NX")  # a failed call counts too
    h.do(b"CLIENT", b"ID")
    reply = decode(h.do(b"LATENCY", b"HISTOGRAM", b"set", b"client", b"nosuch"))
    assert reply == [b"set", [b"calls", 2, b"histogram_usec", [1, 2]],
                     b"client|id", [b"calls", 1, b"histogram_usec", [1, 1]]]


def test_latency_doctor_follows_the_monitor_threshold(h):
    assert decode(h.do(b"LATENCY", b"DOCTOR")) == instance.LATENCY_DOCTOR_DISABLED.encode()
    h.do(b"CONFIG", b"SET", b"latency-monitor-threshold", b"10")
    assert decode(h.do(b"LATENCY", b"DOCTOR")) == instance.LATENCY_DOCTOR_NO_SPIKE.encode()


# -- LOLWUT -----------------------------------------------------------------------------------------------

def test_lolwut_is_the_version_line(h):
    assert h.do(b"LOLWUT") == bulk(b"Redis ver. 7.0.15\n")
    assert resp3(h).do(b"LOLWUT", b"VERSION", b"7") == verbatim("txt", "Redis ver. 7.0.15\n")


def test_lolwut_5_schotter_is_random_below_the_second_row(harness_factory):
    def art(seed):
        h = harness_factory(seed=seed)
        return decode(h.do(b"LOLWUT", b"VERSION", b"5", b"40", b"6", b"8"))

    text = art(1)
    assert text == art(1) and text != art(2)  # the server's seeded generator, like SPOP
    lines = text.split(b"\n")
    assert lines[-2:] == [b"Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15", b""]
    rows = [line.decode() for line in lines[:-2]]
    height = int(76 / 6 * 8) + 4  # 8 squares of (80 - 4) / 6 pixels, and the padding
    assert len(rows) == (height + 3) // 4 and {len(r) for r in rows} == {40}  # 2x4 pixels a character
    assert all(0x2800 <= ord(c) <= 0x28FF for r in rows for c in r)  # Braille dots


def test_lolwut_6_skyline_has_its_size_and_footer(harness_factory):
    text = decode(harness_factory(seed=3).do(b"LOLWUT", b"VERSION", b"6", b"30", b"12"))
    canvas, _, footer = text.partition(b"\nDedicated")
    rows = canvas.split(b"\n")
    assert len(rows) == 12 and all(row.count(b"\x1b[0m") == 30 for row in rows)
    assert {b"0;30;40m", b"0;97;107m"} <= {c for row in rows for c in (x[:-1] for x in row.split(b"\x1b[")[1::2])}
    assert footer.endswith(b"hikikomori. Redis ver. 7.0.15\n")


# -- end to end --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_instance_commands(kvfake_server, protocol):
    with redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol) as r:
        r.set("k", "v")
        assert r.role() == [b"master", 0, []]
        assert r.memory_usage("k") == 64 and r.memory_usage("nokey") is None
        assert r.memory_stats()["keys.count"] == 1
        assert r.slowlog_get() == [] and r.slowlog_len() == 0 and r.slowlog_reset()
        assert r.latency_latest() == [] and r.latency_reset() == 0
        assert r.lolwut() == b"Redis ver. 7.0.15\n"
        assert r.wait(0, 0) == 0 and r.wait(1, 10) == 0


def test_redis_py_shutdown_stops_a_server():
    with Server() as server:
        # no retries: redis-py would otherwise reconnect (refused) with backoff before giving up
        with redis.Redis(host=server.host, port=server.port, retry=Retry(NoBackoff(), 0)) as r:
            assert r.shutdown(nosave=True) is None  # redis-py: the connection closing is success
        deadline = time.monotonic() + 5
        while server.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not server.running
