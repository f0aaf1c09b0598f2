"""A telnet-style session over a raw socket: what a person typing commands sees."""

from __future__ import annotations

from tests.support.raw import RawConnection
from tests.support.resp import NIL, OK, PONG, bulk, error


def test_inline_session_as_typed(server):
    with RawConnection(server.host, server.port) as conn:
        conn.send(b"PING\r\n")
        assert conn.reply() == PONG
        conn.send(b'SET greeting "hello world"\r\n')
        assert conn.reply() == OK
        conn.send(b"GET greeting\r\n")
        assert conn.reply() == bulk(b"hello world")
        conn.send(b"\r\n")  # an empty line is ignored
        conn.send(b"GET missing\n")  # nc sends bare LF
        assert conn.reply() == NIL
        conn.send(b"SET k '\\'quoted\\''\r\n")
        assert conn.reply() == OK
        conn.send(b"GET k\r\n")
        assert conn.reply() == bulk(b"'quoted'")
        conn.send(b'SET bin "\\x00\\xff\\n"\r\n')
        assert conn.reply() == OK
        conn.send(b"GET bin\r\n")
        assert conn.reply() == bulk(b"\x00\xff\n")
        conn.send(b"NOSUCH a b\r\n")
        assert conn.reply() == error("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ")
        conn.send(b"QUIT\r\n")
        assert conn.reply() == OK
        assert conn.closed(timeout=2)
