"""Pipelined requests: replies in order, partial writes, slow readers."""

from __future__ import annotations

import socket
import time

from tests.support.raw import RawConnection
from tests.support.resp import OK, bulk, command


def test_thousand_pipelined_commands_in_one_write(server):
    with RawConnection(server.host, server.port) as conn:
        payload = b"".join(command("SET", f"k{i}", f"v{i}") + command("GET", f"k{i}") for i in range(1000))
        conn.send(payload)
        for i in range(1000):
            assert conn.reply() == OK
            assert conn.reply() == bulk(f"v{i}".encode())


def test_inline_and_multibulk_mixed_in_one_write(server):
    with RawConnection(server.host, server.port) as conn:
        conn.send(b"SET a 1\r\n" + command("GET", "a") + b"GET a\r\n")
        assert conn.replies(3) == [OK, bulk(b"1"), bulk(b"1")]


def test_command_split_at_every_byte(server):
    data = command("SET", "key", "value") + command("GET", "key")
    with RawConnection(server.host, server.port) as conn:
        for i in range(len(data)):
            conn.send(data[i : i + 1])
        assert conn.replies(2) == [OK, bulk(b"value")]


def test_slow_reader_does_not_block_other_clients(server):
    big = b"x" * (1 << 20)
    server.store.set(0, "big", big)
    slow = socket.create_connection((server.host, server.port))
    # ask for ~64 MiB of replies and read none of them: far more than the
    # kernel's socket buffers hold, so the server must keep the rest queued.
    # (No tiny SO_RCVBUF: it would make the final drain crawl at one small
    # TCP window per delayed ACK.)
    slow.sendall(command("GET", "big") * 64)
    time.sleep(0.05)
    with RawConnection(server.host, server.port) as other:
        for _ in range(50):
            assert other.call("PING") == b"+PONG\r\n"
    # now drain the slow reader completely: every byte arrives, in order
    expected = len(bulk(big)) * 64
    received = 0
    slow.settimeout(10)
    while received < expected:
        chunk = slow.recv(1 << 20)
        assert chunk
        received += len(chunk)
    assert received == expected
    slow.close()
