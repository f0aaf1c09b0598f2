"""CLIENT PAUSE / UNPAUSE through the in-process harness.

A held command makes ``Dispatcher.execute`` answer ``POSTPONED`` (the net layer parks the
connection and runs the command again once the pause ends; tests/net/test_client_pause.py covers
that). Here: the arguments and errors (redis 7.0.15 texts, also in
tests/differential/test_client_pause.py), which commands a pause holds, how pauses combine, and
the end of a pause on the harness's manual clock.
"""

from __future__ import annotations

import pytest

from kvfake.dispatch import POSTPONED
from tests.support.resp import OK, QUEUED, array, error, simple

ERRORS = [
    ("not-an-integer", (b"abc",), "ERR timeout is not an integer or out of range"),
    ("float", (b"1.5",), "ERR timeout is not an integer or out of range"),
    ("negative", (b"-1",), "ERR timeout is negative"),
    ("bad-mode", (b"10", b"FOO"), "ERR CLIENT PAUSE mode must be WRITE or ALL"),
    ("mode-checked-first", (b"abc", b"FOO"), "ERR CLIENT PAUSE mode must be WRITE or ALL"),
    ("too-many", (b"10", b"WRITE", b"x"),
     "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."),
    ("no-timeout", (), "ERR wrong number of arguments for 'client|pause' command"),
]


@pytest.mark.parametrize("args, text", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_client_pause_errors(h, args, text):
    assert h.do(b"CLIENT", b"PAUSE", *args) == error(text)
    assert h.dispatcher.pause_type == 0


def test_client_unpause_arity(h):
    assert h.do(b"CLIENT", b"UNPAUSE", b"x") == error("ERR wrong number of arguments for 'client|unpause' command")


def test_pause_write_holds_writes_only(h):
    other = h.new_client()
    assert h.do(b"CLIENT", b"PAUSE", b"1000", b"write") == OK
    assert other.run(b"SET", b"k", b"v") is POSTPONED
    assert other.run(b"PFCOUNT", b"h") is POSTPONED  # may write its cache
    assert other.do(b"GET", b"k") == b"$-1\r\n"
    assert other.do(b"PING") == simple("PONG")
    assert h.store.get(0, "k") is None


def test_pause_all_holds_everything_even_the_pauser(h):
    assert h.do(b"CLIENT", b"PAUSE", b"1000") == OK
    assert h.run(b"PING") is POSTPONED
    assert h.run(b"CLIENT", b"UNPAUSE") is POSTPONED


def test_rejections_are_answered_during_a_pause(h):
    h.do(b"CLIENT", b"PAUSE", b"1000")
    assert h.do(b"NOPE") == error("ERR unknown command 'NOPE', with args beginning with: ")
    assert h.do(b"SET", b"k") == error("ERR wrong number of arguments for 'set' command")


def test_pause_write_holds_queueing_of_writes_and_exec_with_writes(h):
    other = h.new_client()
    other.do(b"MULTI")
    assert other.do(b"GET", b"k") == QUEUED
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    assert other.run(b"SET", b"k", b"v") is POSTPONED
    assert other.do(b"EXEC") == array(b"$-1\r\n")  # read-only: runs
    other.do(b"MULTI")
    h.do(b"CLIENT", b"UNPAUSE")
    assert other.do(b"SET", b"k", b"v") == QUEUED
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    assert other.run(b"EXEC") is POSTPONED


def test_a_monitor_is_never_paused(h):
    mon = h.new_client()
    mon.do(b"MONITOR")
    h.do(b"CLIENT", b"PAUSE", b"1000")
    assert mon.do(b"PING") == simple("PONG")


def test_pause_ends_once_the_clock_passes_its_end(h):
    other = h.new_client()
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    h.clock.advance(1.0)
    assert other.run(b"SET", b"k", b"v") is POSTPONED  # at the end: still paused (redis: end < now)
    h.clock.advance(0.001)
    assert other.do(b"SET", b"k", b"v") == OK
    assert h.dispatcher.pause_type == 0


@pytest.mark.parametrize("timeout", [b"0", b"9223372036854775807"], ids=["zero", "wraps-around"])
def test_pauses_that_end_at_once(h, timeout):
    assert h.do(b"CLIENT", b"PAUSE", timeout) == OK
    assert h.do(b"PING") == simple("PONG")


def test_a_pause_is_never_shortened_or_weakened(h):
    other = h.new_client()
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    h.do(b"CLIENT", b"PAUSE", b"10", b"ALL")
    h.clock.advance(0.5)
    assert other.run(b"GET", b"k") is POSTPONED  # ALL, until the later end
    h.clock.advance(0.6)
    assert other.do(b"GET", b"k") == b"$-1\r\n"


def test_unpause_wakes_the_postponed_in_order(h):
    woken = []

    class Waiter:
        def __init__(self, client) -> None:
            self.ctx = client.ctx

        def unpaused(self) -> None:
            woken.append(self.ctx.session.id)

    a, b = h.new_client(), h.new_client()
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    for client in (b, a):
        assert client.run(b"SET", b"k", b"v") is POSTPONED
        h.dispatcher.postpone(Waiter(client))
    assert h.do(b"CLIENT", b"UNPAUSE") == OK
    assert woken == [b.session.id, a.session.id]
    assert h.dispatcher.postponed == {}


def test_postponed_commands_are_not_counted_until_they_run(h):
    other = h.new_client()
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    before = h.dispatcher.stat_commands
    other.run(b"SET", b"k", b"v")
    assert h.dispatcher.stat_commands == before


def test_client_unblock_leaves_a_held_client_alone(h):
    # redis 7.0.15 crashes here ("Unknown btype in replyToBlockedClientTimedOut()"): kvfake answers 0
    other = h.new_client()
    h.do(b"CLIENT", b"PAUSE", b"1000", b"WRITE")
    assert other.run(b"SET", b"k", b"v") is POSTPONED
    assert h.do(b"CLIENT", b"UNBLOCK", str(other.session.id).encode()) == b":0\r\n"
