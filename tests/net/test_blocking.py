"""Blocking commands over real sockets: parking, FIFO wake-ups, timeouts, cleanup.

"Not answered yet" is checked with ``readable(QUIET)``: a blocked client must stay silent for
that long.  Cleanup after a disconnect is awaited by polling the server's state (never a
bare sleep).
"""

from __future__ import annotations

import threading
import time

import pytest

from kvfake import ManualClock, Server
from tests.support.raw import connect, wait_until
from tests.support.resp import NIL_ARRAY, PONG, array, bulk, command, error, integer, null

QUIET = 0.1


def bulks(*items) -> bytes:
    return array(*(bulk(i) for i in items))


def blocked_count(server) -> int:
    return len(server.dispatcher.blocking)


def block(server, conn, *argv) -> None:
    """Send a blocking command and wait until the server has parked the client."""
    before = blocked_count(server)
    conn.send(command(*argv))
    assert wait_until(lambda: blocked_count(server) > before)


@pytest.fixture
def manual_server():
    srv = Server(clock=ManualClock(start=1_700_000_000))
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, srv.errors


def test_blpop_is_woken_by_another_clients_push(server):
    with connect(server) as waiter, connect(server) as pusher:
        block(server, waiter, "BLPOP", "q", "0")
        assert not waiter.readable(QUIET)
        assert pusher.call("RPUSH", "q", "x") == integer(1)
        assert waiter.reply() == bulks("q", "x")


def test_several_waiters_are_served_in_blocking_order(server):
    conns = [connect(server) for _ in range(4)]
    try:
        for i, conn in enumerate(conns):
            block(server, conn, "BLPOP" if i % 2 else "BRPOP", "q", "0")
        with connect(server) as pusher:
            for i in range(len(conns)):
                pusher.call("RPUSH", "q", f"v{i}")
                assert conns[i].reply() == bulks("q", f"v{i}")
                assert not any(c.readable(0) for c in conns[i + 1:])
    finally:
        for conn in conns:
            conn.close()


def test_one_push_wakes_exactly_one_of_two_waiters(server):
    with connect(server) as first, connect(server) as second, connect(server) as pusher:
        block(server, first, "BLPOP", "q", "0")
        block(server, second, "BLPOP", "q", "0")
        pusher.call("LPUSH", "q", "only")
        assert first.reply() == bulks("q", "only")
        assert not second.readable(QUIET)
        assert blocked_count(server) == 1
        pusher.call("LPUSH", "q", "next")
        assert second.reply() == bulks("q", "next")


def test_fractional_timeout_fires_on_time(server):
    # never early (deadlines have the clock's millisecond resolution, as in Redis), and within
    # 50 ms of due in at least one of three tries (a loaded machine may delay one wake-up)
    elapsed = []
    with connect(server) as waiter:
        for _ in range(3):
            start = time.monotonic()
            assert waiter.call("BLPOP", "q", "0.1") == NIL_ARRAY
            elapsed.append(time.monotonic() - start)
            assert elapsed[-1] >= 0.099, elapsed
            if elapsed[-1] < 0.15:
                break
        assert min(elapsed) < 0.15, elapsed
        assert blocked_count(server) == 0


def test_timeout_zero_waits_until_a_push(server):
    with connect(server) as waiter, connect(server) as pusher:
        block(server, waiter, "BRPOP", "q", "0")
        assert not waiter.readable(0.3)
        pusher.call("RPUSH", "q", "late")
        assert waiter.reply() == bulks("q", "late")


def test_manual_clock_advance_fires_the_timeout(manual_server):
    with connect(manual_server) as waiter:
        block(manual_server, waiter, "BLPOP", "q", "10")
        assert not waiter.readable(QUIET)  # a frozen clock: real time does not count
        manual_server.clock.advance(10)
        assert not waiter.readable(QUIET)  # redis 7.0: timed out once the clock is past the deadline
        manual_server.clock.advance(0.001)
        assert waiter.reply() == NIL_ARRAY


def test_resp3_timeout_reply(manual_server):
    with connect(manual_server) as waiter:
        waiter.call("HELLO", "3")
        block(manual_server, waiter, "BLMOVE", "q", "r", "LEFT", "RIGHT", "1")
        manual_server.clock.advance(2)
        assert waiter.reply() == null()


def test_lmove_wakes_a_waiter_on_its_destination(server):
    with connect(server) as waiter, connect(server) as mover:
        mover.call("RPUSH", "src", "x")
        block(server, waiter, "BLPOP", "dst", "0")
        assert mover.call("LMOVE", "src", "dst", "LEFT", "RIGHT") == bulk(b"x")
        assert waiter.reply() == bulks("dst", "x")


def test_store_api_push_from_the_test_thread_wakes_a_waiter(server):
    with connect(server) as waiter:
        block(server, waiter, "BLPOP", "jobs", "0")
        assert server.store.rpush(0, "jobs", "job-1") == 1
        assert waiter.reply() == bulks("jobs", "job-1")
        assert server.store.get(0, "jobs") is None


def test_store_api_pushes_from_another_thread_wake_every_waiter(server):
    conns = [connect(server) for _ in range(5)]
    try:
        for conn in conns:
            block(server, conn, "BLPOP", "jobs", "0")
        pusher = threading.Thread(target=lambda: [server.store.lpush(0, "jobs", f"j{i}") for i in range(5)])
        pusher.start()
        pusher.join()
        got = sorted(conn.reply() for conn in conns)
        assert got == sorted(bulks("jobs", f"j{i}") for i in range(5))
    finally:
        for conn in conns:
            conn.close()


def test_disconnect_while_blocked_leaves_nothing_behind(server):
    waiter = connect(server)
    block(server, waiter, "BLPOP", "a", "b", "5")
    waiter.close()
    assert wait_until(lambda: blocked_count(server) == 0)
    assert server.store.blocking_keys == {}
    assert server.dispatcher.blocking.next_deadline() is None
    with connect(server) as other:  # a later push finds nobody to serve
        assert other.call("RPUSH", "a", "x") == integer(1)
        assert other.call("LLEN", "a") == integer(1)


def test_client_kill_of_a_blocked_client(server):
    with connect(server) as waiter, connect(server) as admin:
        wid = int(waiter.call("CLIENT", "ID")[1:-2])
        block(server, waiter, "BLPOP", "q", "0")
        assert admin.call("CLIENT", "KILL", "ID", str(wid)) == integer(1)
        assert waiter.closed()
        assert blocked_count(server) == 0 and server.store.blocking_keys == {}


def test_client_unblock_over_tcp(server):
    with connect(server) as waiter, connect(server) as admin:
        wid = waiter.call("CLIENT", "ID")[1:-2].decode()
        block(server, waiter, "BLPOP", "q", "0")
        assert admin.call("CLIENT", "UNBLOCK", wid, "ERROR") == integer(1)
        assert waiter.reply() == error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        assert waiter.call("PING") == PONG


def test_pipelined_commands_run_only_after_the_blocking_one_is_served(server):
    with connect(server) as waiter, connect(server) as pusher:
        waiter.send(command("BLPOP", "q", "0") + command("LLEN", "q") + command("PING"))
        assert wait_until(lambda: blocked_count(server) == 1)
        assert not waiter.readable(QUIET)
        pusher.call("RPUSH", "q", "x", "y")
        assert waiter.replies(3) == [bulks("q", "x"), integer(1), PONG]


def test_pipelined_second_blocking_command_blocks_again(server):
    with connect(server) as waiter, connect(server) as pusher:
        waiter.send(command("BLPOP", "q", "0") + command("BLPOP", "q", "0") + command("PING"))
        assert wait_until(lambda: blocked_count(server) == 1)
        pusher.call("RPUSH", "q", "x")
        assert waiter.reply() == bulks("q", "x")
        assert not waiter.readable(QUIET)
        pusher.call("RPUSH", "q", "y")
        assert waiter.replies(2) == [bulks("q", "y"), PONG]


def test_a_blocked_client_does_not_stop_others(server):
    with connect(server) as waiter, connect(server) as busy:
        block(server, waiter, "BLPOP", "q", "0")
        busy.send(b"".join(command("INCR", "n") for _ in range(200)))
        assert busy.replies(200)[-1] == integer(200)
        assert not waiter.readable(0)


def test_push_inside_a_pipeline_is_seen_by_the_waiter_first(server):
    # redis 7.0: blocked clients are served right after the command that made the key ready,
    # before the pusher's next pipelined command runs
    with connect(server) as waiter, connect(server) as pusher:
        block(server, waiter, "BLPOP", "q", "0")
        pusher.send(command("RPUSH", "q", "x") + command("LPOP", "q"))
        assert pusher.replies(2) == [integer(1), b"$-1\r\n"]
        assert waiter.reply() == bulks("q", "x")


def test_stop_with_blocked_clients(manual_server):
    waiter = connect(manual_server)
    try:
        block(manual_server, waiter, "BLPOP", "q", "0")
        manual_server.stop()
        assert waiter.closed()
        assert manual_server.store.blocking_keys == {}
    finally:
        waiter.close()
