"""Clock powers: advance / freeze / unfreeze / set / reset on ``server.clock``, seen through redis-py.

Uses the plugin's own fixtures (``kvfake_server`` is reset before each test, so the clock starts
at real time, running) and servers made with ``frozen=`` / ``start_time=`` for exact times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest
import redis
import redis.asyncio

from kvfake import ManualClock, Server

START = 1_700_000_000  # 2023-11-14T22:13:20Z


@pytest.fixture
def frozen_server():
    with Server(frozen=True, start_time=START) as server:
        yield server
    assert not server.errors


@pytest.fixture
def frozen_redis(frozen_server):
    client = redis.Redis(port=frozen_server.port)
    yield client
    client.close()


def test_default_fixture_clock_follows_real_time(kvfake_server, kvfake_redis):
    seconds, micros = kvfake_redis.time()
    assert abs(seconds + micros / 1e6 - time.time()) < 2
    assert not kvfake_server.clock.frozen


def test_advance_expires_keys_and_runs_the_sweep(kvfake_server, kvfake_redis):
    kvfake_redis.set("short", "v", ex=10)
    kvfake_redis.set("long", "v", ex=100)
    kvfake_server.clock.advance(11)
    # DBSIZE counts keys that expired but were not swept yet: 1 proves the sweep ran
    assert kvfake_redis.dbsize() == 1
    assert kvfake_redis.get("short") is None
    assert 88 <= kvfake_redis.ttl("long") <= 89
    assert kvfake_redis.info("stats")["expired_keys"] == 1


def test_advance_fires_the_expired_hook(kvfake_server, kvfake_redis):
    kvfake_redis.set("k", "v", px=1500)
    kvfake_redis.execute_command("SELECT", 0)
    fired = []
    store = kvfake_server.store
    previous = store.expired_hook
    store.expired_hook = lambda db, key: fired.append((db, key))
    try:
        kvfake_server.clock.advance(1.0)
        assert fired == []
        kvfake_server.clock.advance(0.501)  # past the expiry time: Redis keeps a key at now == when
        assert fired == [(0, b"k")]
    finally:
        store.expired_hook = previous


def test_ttl_follows_a_frozen_clock_exactly(frozen_server, frozen_redis):
    frozen_redis.set("k", "v", ex=100)
    frozen_server.clock.advance(40)
    assert frozen_redis.ttl("k") == 60
    assert frozen_redis.pttl("k") == 60_000
    frozen_server.clock.advance(-5)  # time may go back, too
    assert frozen_redis.pttl("k") == 65_000


def test_time_is_the_start_time_and_stays_while_frozen(frozen_server, frozen_redis):
    assert frozen_redis.time() == (START, 0)
    time.sleep(0.01)
    assert frozen_redis.time() == (START, 0)
    frozen_server.clock.advance(1.25)
    assert frozen_redis.time() == (START + 1, 250_000)


def test_unfreeze_runs_from_the_frozen_value(frozen_server, frozen_redis):
    frozen_server.clock.unfreeze()
    time.sleep(0.02)
    seconds, micros = frozen_redis.time()
    elapsed = seconds + micros / 1e6 - START
    assert 0.02 <= elapsed < 5
    frozen_server.clock.freeze()
    assert frozen_redis.time() == frozen_redis.time()


@pytest.mark.parametrize(
    "when, expected",
    [
        (dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc), 1_893_456_000),
        (dt.datetime(2030, 1, 1), 1_893_456_000),  # naive means UTC
        (dt.datetime(2030, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))), 1_893_456_000),
        (1_893_456_000.5, 1_893_456_000),
    ],
    ids=["aware-utc", "naive", "aware-plus-2h", "epoch-float"],
)
def test_set_jumps_to_a_datetime_or_epoch(frozen_server, frozen_redis, when, expected):
    frozen_server.clock.set(when)
    assert frozen_redis.time()[0] == expected


def test_expireat_follows_a_set_clock(frozen_server, frozen_redis):
    frozen_server.clock.set(dt.datetime(2030, 1, 1))
    frozen_redis.set("k", "v")
    frozen_redis.expireat("k", 1_893_456_000 + 5)
    assert frozen_redis.ttl("k") == 5
    frozen_server.clock.set(dt.datetime(2030, 1, 1, 0, 0, 5))
    assert frozen_redis.exists("k") == 1  # redis 7.0: still there at now == when
    frozen_server.clock.set(dt.datetime(2030, 1, 1, 0, 0, 5, 1000))
    assert frozen_redis.exists("k") == 0


def test_set_into_the_future_sweeps_expired_keys(frozen_server, frozen_redis):
    frozen_redis.set("k", "v", ex=60)
    frozen_server.clock.set(START + 3600)
    assert frozen_redis.dbsize() == 0


def test_reset_restores_the_clock_as_made(frozen_server, frozen_redis):
    frozen_server.clock.unfreeze()
    frozen_server.clock.advance(1000)
    frozen_server.reset()
    assert frozen_server.clock.frozen
    assert frozen_redis.time() == (START, 0)


def test_reset_of_a_running_clock_removes_the_offset():
    clock = ManualClock(frozen=False)
    clock.advance(3600)
    assert clock.offset == pytest.approx(3600, abs=1)
    clock.reset()
    assert clock.offset == pytest.approx(0, abs=1)
    assert not clock.frozen


def test_clock_moves_while_a_client_runs_in_asyncio(kvfake_server, kvfake_url):
    async def main():
        async with redis.asyncio.Redis.from_url(kvfake_url) as r:
            await r.set("k", "v", ex=30)
            kvfake_server.clock.advance(31)
            return await r.get("k"), await r.dbsize()

    assert asyncio.run(main()) == (None, 0)


def test_blocking_timeouts_follow_the_clock(frozen_server, frozen_redis):
    """BLPOP 5 returns nil once the clock passed its deadline, without 5 real seconds."""
    result = []
    thread = threading.Thread(target=lambda: result.append(frozen_redis.blpop(["q"], timeout=5)))
    thread.start()
    deadline = time.monotonic() + 5
    while not any(c.last_command == "blpop" for c in frozen_server.clients()) and time.monotonic() < deadline:
        time.sleep(0.005)
    frozen_server.clock.advance(6)
    thread.join(timeout=3)
    assert not thread.is_alive(), "BLPOP did not time out when the clock passed its deadline"
    assert result == [None]


def test_reads_are_consistent_while_another_thread_moves_the_clock():
    clock = ManualClock(start=START)
    stop = threading.Event()

    def mover():
        while not stop.is_set():
            clock.advance(0.001)

    thread = threading.Thread(target=mover)
    thread.start()
    try:
        last = 0
        for _ in range(20_000):
            now = clock.now_us()
            assert now >= last  # never torn, never backwards while only advancing
            last = now
    finally:
        stop.set()
        thread.join()
