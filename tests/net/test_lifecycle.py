"""Start/stop: ports, threads and sockets are released; stop() is idempotent."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from kvfake import KvfakeError, Server
from tests.support.raw import RawConnection
from tests.support.resp import PONG


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def test_start_returns_when_listening_and_stop_frees_the_port():
    server = Server()
    server.start()
    port = server.port
    assert port > 0
    assert server.url == f"redis://127.0.0.1:{port}/0"
    with RawConnection(server.host, port) as conn:
        conn.send(b"PING\r\n")
        assert conn.reply() == PONG
    server.stop()
    # the port is free again: we can bind it ourselves
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.close()


def test_start_stop_200_times_leaks_nothing():
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    for _ in range(200):
        with Server() as server:
            with socket.create_connection((server.host, server.port)) as s:
                s.sendall(b"PING\r\n")
                assert s.recv(10) == b"+PONG\r\n"
    assert set(threading.enumerate()) == threads_before
    assert _open_fds() <= fds_before + 2


def test_stop_is_idempotent_and_closes_clients():
    server = Server().start()
    conn = RawConnection(server.host, server.port)
    conn.send(b"PING\r\n")
    assert conn.reply() == PONG
    server.stop()
    server.stop()
    assert conn.closed(timeout=2)
    conn.close()
    assert not server.running


def test_start_twice_raises():
    with Server() as server:
        with pytest.raises(KvfakeError):
            server.start()


def test_address_in_use_raises_in_the_caller():
    with Server() as first:
        with pytest.raises(OSError):
            Server(port=first.port).start()


def test_restart_on_the_same_port_keeps_the_store():
    first = Server().start()
    port = first.port
    first.store.set(0, "k", "v")
    first.stop()
    second = Server(port=port, store=first.store).start()
    try:
        assert second.port == port
        with RawConnection(second.host, port) as conn:
            assert conn.call("GET", "k") == b"$1\r\nv\r\n"
    finally:
        second.stop()


def test_default_bind_is_loopback():
    with Server() as server:
        assert server.host == "127.0.0.1"
