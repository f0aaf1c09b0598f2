"""A raw TCP client for tests: send exact bytes, get back the exact bytes of each reply.

No client library sits between the test and the wire, so a test sees every byte the server sent
(including RESP3 push messages, which are returned as replies of their own)::

    with RawConnection(server.host, server.port) as conn:
        assert conn.call("SET", "k", "v") == simple("OK")
        conn.send(b"*1\\r\\n$4\\r\\nPI")              # half a command
        conn.send(b"NG\\r\\n")
        assert conn.reply() == simple("PONG")
        conn.send(b"*1\\r\\n$x\\r\\n")
        assert conn.reply() == error("ERR Protocol error: invalid bulk length")
        assert conn.closed()

Replies are cut with ``tests.support.resp.Reader`` (independent of kvfake). Time-outs raise
``TimeoutError`` carrying the bytes received so far; a peer that closes mid-reply raises
``ConnectionError``.

Imports: stdlib, tests.support.resp.  Never: kvfake.
"""

from __future__ import annotations

import select
import socket
import time

from tests.support.resp import Reader, command

__all__ = ["RawConnection", "connect", "wait_until"]


class RawConnection:
    """One TCP connection with a buffered RESP reply reader."""

    def __init__(self, host: str, port: int, timeout: float = 5) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader()
        self.eof = False          # the peer closed (recv returned b"" or the connection was reset)

    # ---------------------------------------------------------------- context manager
    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RawConnection({self.host}:{self.port}{', closed by peer' if self.eof else ''})"

    # ---------------------------------------------------------------- I/O
    def send(self, data: bytes) -> None:
        """Send all of ``data`` (one ``sendall``; no framing is added)."""
        self.sock.sendall(data)

    def _recv(self, timeout: float | None) -> bytes:
        """One recv with ``timeout``; returns b"" at EOF/reset (and sets ``eof``); raises socket.timeout."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
        return data

    def reply(self, timeout: float | None = None) -> bytes:
        """Return the raw bytes of exactly one reply, waiting up to ``timeout`` (default: the
        connection's) for it to be complete."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            raw = self.reader.get()
            if raw is not None:
                return raw
            if self.eof:
                raise ConnectionError(
                    f"{self!r}: peer closed before a complete reply; pending {self.reader.pending()!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self!r}: no complete reply in time; pending {self.reader.pending()!r}")
            try:
                data = self._recv(left)
            except socket.timeout:
                continue
            self.reader.feed(data)

    def replies(self, n: int, timeout: float | None = None) -> list[bytes]:
        """Return the raw bytes of the next ``n`` replies."""
        return [self.reply(timeout) for _ in range(n)]

    def call(self, *args) -> bytes:
        """Send one command as a RESP2 multibulk and return its raw reply: ``conn.call("GET", "k")``."""
        self.send(command(*args))
        return self.reply()

    def read_available(self, quiet: float = 0.1, limit: float | None = None) -> bytes:
        """Return every byte that arrives until the peer closes or nothing arrives for ``quiet`` seconds
        (at most ``limit`` seconds in all, default the connection's timeout). Bytes already buffered
        and not returned by ``reply()`` come first. Whether the peer closed is in ``self.eof``."""
        chunks = [self.reader.pending()]
        self.reader = Reader()
        deadline = time.monotonic() + (self.timeout if limit is None else limit)
        while not self.eof:
            wait = min(quiet, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                data = self._recv(wait)
            except socket.timeout:
                break
            chunks.append(data)
        return b"".join(chunks)

    def closed(self, timeout: float = 1.0) -> bool:
        """True when the peer closes the connection (recv gives b"" or a reset) within ``timeout``.

        Bytes that arrive meanwhile are kept for ``reply()``; they do not end the wait."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                data = self._recv(left)
            except socket.timeout:
                return False
            self.reader.feed(data)
        return True

    def readable(self, timeout: float = 0) -> bool:
        """True when bytes (or EOF) are waiting to be read, or a reply is already buffered."""
        if self.reader.pending() or self.eof:
            return True
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)

    def close(self) -> None:
        """Close our end (idempotent)."""
        try:
            self.sock.close()
        except OSError:
            pass


def connect(server, timeout: float = 5) -> RawConnection:
    """A RawConnection to anything with ``host`` and ``port`` (a kvfake Server, a redis-server)."""
    return RawConnection(server.host, server.port, timeout=timeout)


def wait_until(predicate, timeout: float = 3.0) -> bool:
    """Poll ``predicate`` every 5 ms until it is true or ``timeout`` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
