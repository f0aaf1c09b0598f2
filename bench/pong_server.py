"""The ceiling: a minimal pure-Python selectors server that answers +PONG to every request.

It parses requests for real (RESP2 multibulk and inline lines, so pipelined and split requests
are counted right) and answers each one ``+PONG``, whatever the command: there is no command
table, no store, no reply encoding.  What it reaches under ``redis-benchmark -t ping_mbulk`` is
the most a single-threaded pure-Python server can do on this machine; kvfake's PING is compared
with it.  redis-benchmark's start-up ``CONFIG GET`` also gets +PONG (it then prints a warning
and carries on).

Run: ``python bench/pong_server.py --port PORT`` (127.0.0.1 only; SIGTERM or Ctrl-C stops it).

Imports: stdlib only.  Never: kvfake.
"""

from __future__ import annotations

import argparse
import selectors
import signal
import socket
import sys

HOST = "127.0.0.1"
PONG = b"+PONG\r\n"


def count_requests(buf: bytes) -> "tuple[int, int]":
    """(number of whole requests in ``buf``, bytes they take); raises ValueError on garbage."""
    pos, n, size, done = 0, 0, len(buf), 0
    while pos < size:
        if buf[pos] == 42:  # '*' multibulk
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                break
            count = int(buf[pos + 1:nl])
            p = nl + 2
            for _ in range(count):
                if p >= size:
                    p = -1
                    break
                if buf[p] != 36:  # '$'
                    raise ValueError("expected '$'")
                nl = buf.find(b"\r\n", p)
                if nl < 0:
                    p = -1
                    break
                p = nl + 2 + int(buf[p + 1:nl]) + 2
                if p > size:
                    p = -1
                    break
            if p < 0:
                break
            pos = done = p
            if count <= 0:  # '*0' / '*-1': ignored, no reply (as Redis)
                continue
        else:  # inline: one line
            nl = buf.find(b"\n", pos)
            if nl < 0:
                break
            if not buf[pos:nl].strip():  # empty line: no request
                pos = done = nl + 1
                continue
            pos = nl + 1
        n += 1
        done = pos
    return n, done


def serve(port: int, host: str = HOST) -> None:
    sel = selectors.DefaultSelector()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1024)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    READ, BOTH = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE

    def close(sock) -> None:
        sel.unregister(sock)
        sock.close()

    while True:
        for key, mask in sel.select():
            sock = key.fileobj
            state = key.data  # [unparsed input, unsent output] or None for the listener
            if state is None:
                for _ in range(128):
                    try:
                        conn, _ = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    conn.setblocking(False)
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sel.register(conn, READ, [b"", b""])
                continue
            if mask & READ:
                try:
                    data = sock.recv(262144)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError:
                    data = b""
                if data == b"":
                    close(sock)
                    continue
                if data:
                    pending = state[0] + data if state[0] else data
                    try:
                        n, used = count_requests(pending)
                    except ValueError:
                        close(sock)
                        continue
                    state[0] = pending[used:]
                    if n:
                        state[1] += PONG * n
            if state[1]:
                try:
                    sent = sock.send(state[1])
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    close(sock)
                    continue
                state[1] = state[1][sent:]
                sel.modify(sock, BOTH if state[1] else READ, state)
            elif mask & selectors.EVENT_WRITE:
                sel.modify(sock, READ, state)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(args.port)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
