"""CLIENT PAUSE over real sockets: held commands are answered once the pause ends (by its timeout,
by CLIENT UNPAUSE, by a clock moved by the test, by ``server.reset()``), in order, while the loop
keeps serving everybody else; a held client can be killed or can disconnect.

"Held" is checked with ``readable(QUIET)``: no reply for that long.
"""

from __future__ import annotations

import time

import pytest

from kvfake import ManualClock, Server
from tests.support.raw import connect, wait_until
from tests.support.resp import NIL, OK, PONG, bulk, command, integer

QUIET = 0.1


def held(server, conn, *argv) -> None:
    """Send a command and wait until the pause holds it."""
    before = len(server.dispatcher.postponed)
    conn.send(command(*argv))
    assert wait_until(lambda: len(server.dispatcher.postponed) > before)
    assert not conn.readable(QUIET)


@pytest.fixture
def frozen_server():
    srv = Server(clock=ManualClock(start=1_700_000_000, frozen=True))
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, srv.errors


def test_held_write_runs_when_the_pause_times_out(server):
    with connect(server) as admin, connect(server) as writer:
        assert admin.call("CLIENT", "PAUSE", "200", "WRITE") == OK
        start = time.monotonic()
        held(server, writer, "SET", "k", "v")
        assert writer.reply() == OK
        assert 0.15 < time.monotonic() - start < 2
        assert admin.call("GET", "k") == bulk(b"v")


def test_the_loop_keeps_serving_others_during_a_pause(server):
    with connect(server) as admin, connect(server) as writer, connect(server) as reader:
        admin.call("SET", "k", "old")
        assert admin.call("CLIENT", "PAUSE", "5000", "WRITE") == OK
        held(server, writer, "SET", "k", "new")
        for _ in range(50):
            assert reader.call("GET", "k") == bulk(b"old")
        assert admin.call("CLIENT", "UNPAUSE") == OK
        assert writer.reply() == OK
        assert reader.call("GET", "k") == bulk(b"new")


def test_unpause_releases_clients_in_the_order_they_were_held(server):
    with connect(server) as admin, connect(server) as a, connect(server) as b:
        admin.call("CLIENT", "PAUSE", "5000", "WRITE")
        held(server, a, "RPUSH", "l", "a")
        held(server, b, "RPUSH", "l", "b")
        admin.call("CLIENT", "UNPAUSE")
        assert a.reply() == integer(1) and b.reply() == integer(2)


def test_pipelined_commands_wait_behind_the_held_one(server):
    with connect(server) as admin, connect(server) as conn:
        admin.call("CLIENT", "PAUSE", "5000", "WRITE")
        conn.send(command("GET", "k") + command("SET", "k", "1") + command("GET", "k") + command("PING"))
        assert conn.reply() == NIL
        assert not conn.readable(QUIET)
        admin.call("CLIENT", "UNPAUSE")
        assert [conn.reply() for _ in range(3)] == [OK, bulk(b"1"), PONG]


def test_pause_all_holds_the_pauser_and_ends_on_time(server):
    with connect(server) as conn:
        assert conn.call("CLIENT", "PAUSE", "150") == OK
        start = time.monotonic()
        assert conn.call("PING") == PONG
        assert time.monotonic() - start >= 0.1


def test_a_frozen_clock_keeps_the_pause_until_the_test_moves_it(frozen_server):
    with connect(frozen_server) as admin, connect(frozen_server) as writer:
        admin.call("CLIENT", "PAUSE", "1000", "WRITE")
        held(frozen_server, writer, "SET", "k", "v")
        time.sleep(0.3)
        assert not writer.readable(0)
        frozen_server.clock.advance(1.5)
        assert writer.reply() == OK


def test_a_held_client_can_be_killed(server):
    with connect(server) as admin, connect(server) as victim:
        victim_id = victim.call("CLIENT", "ID")[1:-2]
        admin.call("CLIENT", "PAUSE", "5000", "WRITE")
        held(server, victim, "SET", "k", "v")
        assert admin.call("CLIENT", "KILL", "ID", victim_id) == integer(1)
        assert victim.closed()
        assert wait_until(lambda: not server.dispatcher.postponed)
        admin.call("CLIENT", "UNPAUSE")
        assert admin.call("EXISTS", "k") == integer(0)


def test_a_held_client_that_disconnects_is_forgotten(server):
    with connect(server) as admin:
        with connect(server) as gone:
            admin.call("CLIENT", "PAUSE", "5000", "WRITE")
            held(server, gone, "SET", "k", "v")
        assert wait_until(lambda: not server.dispatcher.postponed)
        admin.call("CLIENT", "UNPAUSE")
        assert admin.call("EXISTS", "k") == integer(0)
        assert not server.errors


def test_server_reset_ends_a_pause(server):
    with connect(server) as admin, connect(server) as writer:
        admin.call("CLIENT", "PAUSE", "60000", "WRITE")
        held(server, writer, "SET", "k", "v")
        server.reset()
        assert writer.reply() == OK
        assert server.dispatcher.pause_type == 0


def test_redis_py_client_pause(server):
    redis = pytest.importorskip("redis")
    r = redis.Redis(host=server.host, port=server.port)
    try:
        assert r.client_pause(100, all=False) is True
        start = time.monotonic()
        r.set("k", "v")
        assert time.monotonic() - start >= 0.05
        assert r.client_unpause() in (True, b"OK")  # redis-py has no callback for UNPAUSE
    finally:
        r.close()
