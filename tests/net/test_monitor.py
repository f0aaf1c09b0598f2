"""MONITOR over real sockets: lines pushed to monitor connections, in RESP2 and RESP3, ordering
with the monitor's own replies, slow monitors, and cleanup when a monitor goes away.

The exact lines (quoting, redaction, which commands) are pinned against redis by
tests/differential/test_monitor.py; here the delivery is checked. Cleanup is awaited by polling the
server's state, never by a bare sleep.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.support.raw import RawConnection, connect, wait_until
from tests.support.resp import OK, PONG, bulk, command, integer

LINE = re.compile(rb'\+([0-9]+)\.([0-9]{6}) \[([0-9]+) ([^\]]+)\] (.*)\r\n')


def addr(conn: RawConnection) -> bytes:
    return re.search(rb" addr=(\S+) ", conn.call("CLIENT", "INFO")).group(1)


def parse(raw: bytes):
    m = LINE.fullmatch(raw)
    assert m, raw
    return m.groups()


def start_monitor(server, conn: RawConnection) -> None:
    assert conn.call("MONITOR") == OK
    assert wait_until(lambda: len(server.dispatcher.monitors) >= 1)


@pytest.mark.parametrize("protocol", [2, 3])
def test_monitor_receives_every_client_command(server, protocol):
    with connect(server) as mon, connect(server) as cli:
        if protocol == 3:
            assert mon.call("HELLO", "3").startswith(b"%")
        start_monitor(server, mon)
        before = time.time()
        assert cli.call("SET", "k", "v") == OK
        assert cli.call("SELECT", "2") == OK
        assert cli.call("ECHO", "a\nb") == bulk(b"a\nb")
        lines = [parse(mon.reply()) for _ in range(3)]
        me = addr(cli)
        assert [(db, a, args) for _, _, db, a, args in lines] == [
            (b"0", me, b'"SET" "k" "v"'), (b"2", me, b'"SELECT" "2"'), (b"2", me, b'"ECHO" "a\\nb"')]
        seconds = [int(s) for s, *_ in lines]
        assert all(abs(s - before) < 5 for s in seconds)  # the server's clock: real time here


def test_every_monitor_gets_every_line(server):
    with connect(server) as m1, connect(server) as m2, connect(server) as cli:
        for m in (m1, m2):
            assert m.call("MONITOR") == OK
        assert wait_until(lambda: len(server.dispatcher.monitors) == 2)
        cli.call("INCR", "n")
        assert parse(m1.reply())[4] == parse(m2.reply())[4] == b'"INCR" "n"'


def test_monitor_sees_its_own_commands_after_their_replies(server):
    with connect(server) as mon:
        start_monitor(server, mon)
        mon.send(command("PING") + command("ECHO", "x"))
        assert mon.reply() == PONG
        assert parse(mon.reply())[4] == b'"PING"'
        assert mon.reply() == bulk(b"x")
        assert parse(mon.reply())[4] == b'"ECHO" "x"'


def test_monitor_sees_lines_in_command_order_across_clients(server):
    with connect(server) as mon, connect(server) as a, connect(server) as b:
        start_monitor(server, mon)
        for i in range(20):
            (a if i % 2 else b).call("SET", "k", str(i))
        values = [parse(mon.reply())[4] for _ in range(20)]
        assert values == [b'"SET" "k" "%d"' % i for i in range(20)]


def test_slow_monitor_never_blocks_the_server(server):
    """A monitor that never reads: its buffer grows, everybody else is served."""
    mon = socket.create_connection((server.host, server.port))
    try:
        mon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        mon.sendall(command("MONITOR"))
        assert wait_until(lambda: len(server.dispatcher.monitors) == 1)
        big = "x" * 100_000
        with connect(server) as cli, connect(server) as other:
            start = time.monotonic()
            for i in range(60):  # ~6 MB of lines the monitor does not read
                cli.send(command("SET", "k%d" % i, big))
            for i in range(60):
                assert cli.reply() == OK
            assert other.call("DBSIZE") == integer(60)
            assert time.monotonic() - start < 10
        (conn,) = server.dispatcher.monitors.values()
        assert len(conn.out) > 1_000_000  # waiting in the monitor's own buffer
    finally:
        mon.close()
    assert wait_until(lambda: not server.dispatcher.monitors)


def test_monitor_disconnect_is_forgotten(server):
    with connect(server) as cli:
        with connect(server) as mon:
            start_monitor(server, mon)
        assert wait_until(lambda: not server.dispatcher.monitors)
        assert cli.call("PING") == PONG


def test_client_kill_type_normal_kills_a_monitor(server):
    with connect(server) as mon, connect(server) as cli:
        start_monitor(server, mon)
        assert cli.call("CLIENT", "KILL", "TYPE", "normal") == integer(1)
        assert mon.closed()
        assert wait_until(lambda: not server.dispatcher.monitors)


def test_monitor_reply_off_drops_lines(server):
    with connect(server) as mon, connect(server) as cli:
        start_monitor(server, mon)
        mon.send(command("CLIENT", "REPLY", "OFF"))
        assert wait_until(lambda: server.dispatcher.monitors and
                          next(iter(server.dispatcher.monitors.values())).session.reply_mode == "off")
        cli.call("SET", "k", "v")
        mon.send(command("CLIENT", "REPLY", "ON"))
        assert mon.reply() == OK
        cli.call("GET", "k")
        lines = [parse(mon.reply())[4] for _ in range(2)]
        assert lines == [b'"CLIENT" "REPLY" "ON"', b'"GET" "k"']


def test_reset_ends_monitor_mode_over_tcp(server):
    with connect(server) as mon, connect(server) as cli:
        start_monitor(server, mon)
        assert mon.call("RESET") == b"+RESET\r\n"
        assert wait_until(lambda: not server.dispatcher.monitors)
        cli.call("SET", "k", "v")
        assert mon.call("GET", "k") == bulk(b"v")
