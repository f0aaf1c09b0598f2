"""Hostile input: garbage, huge lengths, clients vanishing mid-command; others keep being served."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.raw import RawConnection
from tests.support.resp import PONG, bulk, error

PROTOCOL_ERRORS = [
    (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n+x\r\n", "ERR Protocol error: expected '$', got '+'"),
    (b"*1\r\n$999999999999\r\n", "ERR Protocol error: invalid bulk length"),
    (b'SET k "unterminated\r\n', "ERR Protocol error: unbalanced quotes in request"),
    (b"x" * 70000, "ERR Protocol error: too big inline request"),
]


@pytest.mark.parametrize("data,text", PROTOCOL_ERRORS, ids=[t.split(": ")[-1] for _, t in PROTOCOL_ERRORS])
def test_protocol_error_replies_then_closes(server, data, text):
    with RawConnection(server.host, server.port) as conn:
        conn.send(b"PING\r\n" + data)
        assert conn.reply() == PONG
        assert conn.reply() == error(text)
        assert conn.closed(timeout=2)
    with RawConnection(server.host, server.port) as other:
        assert other.call("PING") == PONG


def test_client_vanishing_mid_command_is_cleaned_up(server):
    for _ in range(20):
        s = socket.create_connection((server.host, server.port))
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
        s.close()
    with RawConnection(server.host, server.port) as conn:
        assert conn.call("GET", "k") == b"$-1\r\n"
        assert conn.call("PING") == PONG


def test_client_reset_with_pending_replies(server):
    server.store.set(0, "big", b"y" * 200000)
    s = socket.create_connection((server.host, server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"GET big\r\n" * 50)
    s.close()  # RST with replies pending
    with RawConnection(server.host, server.port) as conn:
        assert conn.call("GET", "big") == bulk(b"y" * 200000)


# One server on purpose for every example: the point is that it survives them all.
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=200))
def test_garbage_never_kills_the_server(server, garbage):
    server.store.set(0, "survivor", b"still here")
    s = socket.create_connection((server.host, server.port))
    s.sendall(garbage)
    s.close()
    with RawConnection(server.host, server.port) as conn:
        assert conn.call("PING") == PONG
        assert conn.call("GET", "survivor") == bulk(b"still here")
    assert server.errors == []
