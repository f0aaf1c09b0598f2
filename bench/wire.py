"""A small RESP2 client over a bare socket, for the benchmark's own measurements.

The bench client must cost the same against every target and as little as possible, so the
scale and fixture workloads send pre-encoded commands and read replies with this reader rather
than with redis-py (whose per-command cost would hide the server's).  Replies come back as
plain values: bytes (simple and bulk strings), int, list, None (null bulk / null array) and
``Error`` (a ``str`` subclass holding the error text).

Imports: stdlib only (socket, select).  Never: kvfake (the bench measures kvfake from the outside).
"""

from __future__ import annotations

import select
import socket
import time

HOST = "127.0.0.1"


class Error(str):
    """An error reply; its text without the leading ``-``."""


class Incomplete(Exception):
    """The buffer does not hold a whole reply yet."""


def encode(*args) -> bytes:
    """One RESP2 multibulk request from str/bytes/int arguments."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def parse(buf: bytes, pos: int):
    """Parse one reply at ``buf[pos:]``; return (value, next position) or raise Incomplete."""
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        raise Incomplete
    kind = buf[pos]
    line = buf[pos + 1:nl]
    pos = nl + 2
    if kind == 43:  # '+'
        return bytes(line), pos
    if kind == 36:  # '$'
        n = int(line)
        if n < 0:
            return None, pos
        end = pos + n
        if end + 2 > len(buf):
            raise Incomplete
        return bytes(buf[pos:end]), end + 2
    if kind == 58:  # ':'
        return int(line), pos
    if kind == 42:  # '*'
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 45:  # '-'
        return Error(bytes(line).decode("latin-1")), pos
    if kind == 95:  # '_' (RESP3 null; only if a target answers RESP3 unasked)
        return None, pos
    raise ValueError(f"unexpected reply type byte {chr(kind)!r}")


class RawConn:
    """One TCP connection: ``call(*args)``, or ``pipeline(encoded, count)`` for many commands.

    ``pipeline`` writes and reads at the same time (select), so a server that stops reading
    while its replies are unread (fakeredis's blocking handler threads) cannot deadlock it.
    """

    def __init__(self, port: int, timeout: float = 60.0, host: str = HOST) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""

    def pipeline(self, payload: bytes, count: int) -> list:
        sock = self.sock
        view = memoryview(payload)
        sent, total = 0, len(payload)
        out: list = []
        buf, pos = self.buf, 0
        deadline = time.monotonic() + self.timeout
        while True:
            while len(out) < count:  # parse what is already here
                try:
                    value, pos = parse(buf, pos)
                except (Incomplete, IndexError):
                    break
                out.append(value)
            if len(out) >= count and sent >= total:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply within {self.timeout:.0f} s ({len(out)}/{count} replies)")
            readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], left)
            if writable:
                try:
                    sent += sock.send(view[sent:sent + 262144])
                except (BlockingIOError, InterruptedError):
                    pass
            if readable:
                try:
                    chunk = sock.recv(1 << 18)
                except (BlockingIOError, InterruptedError):
                    continue
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buf = buf[pos:] + chunk
                pos = 0
        self.buf = buf[pos:]
        return out

    def call(self, *args):
        return self.pipeline(encode(*args), 1)[0]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RawConn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ping(port: int, timeout: float = 1.0) -> bool:
    """One PING on a fresh connection; True when the answer is +PONG."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(64)
            if not chunk:
                return False
            data += chunk
        return data.startswith(b"+PONG")


def wait_ping(port: int, deadline_s: float = 20.0, alive=None, interval: float = 0.001) -> float:
    """Poll until PING answers; return the seconds waited.  ``alive()`` False aborts early."""
    t0 = time.perf_counter()
    while True:
        try:
            if ping(port):
                return time.perf_counter() - t0
        except OSError:
            pass
        if alive is not None and not alive():
            raise RuntimeError(f"server on port {port} exited before answering PING")
        if time.perf_counter() - t0 > deadline_s:
            raise RuntimeError(f"no PONG on port {port} within {deadline_s:.0f} s")
        time.sleep(interval)


def supported(port: int, names) -> "set[str] | None":
    """The command names among ``names`` that COMMAND INFO knows; None if COMMAND INFO fails."""
    names = list(names)
    try:
        with RawConn(port, timeout=10) as c:
            reply = c.call("COMMAND", "INFO", *names)
    except (OSError, ValueError):
        return None
    if not isinstance(reply, list) or len(reply) != len(names):
        return None
    return {n for n, info in zip(names, reply) if info}
