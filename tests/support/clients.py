"""Several connections to two servers (real redis and kvfake), driven in lock step; raw replies compared.

``pair`` (tests/differential/conftest.py) drives one connection per server; scripts about WATCH,
CLIENT PAUSE or MONITOR need a second client. ``Clients(servers, n)`` opens connections 0..n-1 to
each server and runs steps given as data::

    Clients((redis_server, kvfake_server), 2).run([
        (0, ["WATCH", "k"]),             # send on connection 0 of both servers, compare the replies
        (1, ["SET", "k", "1"]),
        ("send", 1, ["BLPOP", "q", "0"]),  # send only (the command blocks)
        ("quiet", 1, 0.05),              # no reply on connection 1 within 0.05 s, on either server
        ("sleep", 0.1),                  # real time passes (expiry, CLIENT PAUSE)
        ("read", 1),                     # read one reply of connection 1 and compare
    ])

A reply that does not come within the timeout compares as ``<TimeoutError>``, a closed connection
as ``<ConnectionError>``. On a mismatch the AssertionError shows the step, both replies and the
steps before it. Every connection is FLUSHALLed through connection 0 first (and sent HELLO 3 when
``resp=3``).

Imports: stdlib, tests.support.raw, tests.support.resp.  Never: kvfake.
"""

from __future__ import annotations

import time

from tests.support.raw import RawConnection
from tests.support.resp import command

__all__ = ["Clients"]


class Clients:
    """Connections 0..n-1 to each of two servers (``.host``/``.port``), reference first."""

    def __init__(self, servers, n: int, resp: int = 2, *, names=("redis", "kvfake"), timeout: float = 5) -> None:
        self.names = names
        self.timeout = timeout
        self.conns = [[RawConnection(s.host, s.port, timeout=timeout) for _ in range(n)] for s in servers]
        self.history: list = []
        for side in self.conns:
            assert side[0].call("FLUSHALL") == b"+OK\r\n"
            if resp == 3:
                for conn in side:
                    assert conn.call("HELLO", "3").startswith(b"%")

    def close(self) -> None:
        for side in self.conns:
            for conn in side:
                conn.close()

    def _compare(self, what: str, raw: list) -> None:
        __tracebackhide__ = True
        if raw[0] != raw[1]:
            a, b = self.names
            lines = [f"{b} differs from {a} at step {len(self.history)}: {what}",
                     f"  {a} : {raw[0]!r}", f"  {b} : {raw[1]!r}", "  earlier steps (equal):"]
            lines += [f"    {h}" for h in self.history[-10:]]
            raise AssertionError("\n".join(lines))
        self.history.append(f"{what} -> {raw[0]!r}")

    def _read(self, i: int) -> list:
        out = []
        for side in self.conns:
            try:
                out.append(side[i].reply())
            except (ConnectionError, TimeoutError) as e:
                out.append(f"<{type(e).__name__}>".encode())
        return out

    def run(self, steps) -> None:
        """Run the steps (see the module docstring)."""
        __tracebackhide__ = True
        for step in steps:
            kind = step[0]
            if kind == "sleep":
                time.sleep(step[1])
                self.history.append(f"sleep {step[1]}")
            elif kind == "send":
                for side in self.conns:
                    side[step[1]].send(command(step[2]))
                self.history.append(f"[{step[1]}] send {step[2]}")
            elif kind == "read":
                self._compare(f"[{step[1]}] read", self._read(step[1]))
            elif kind == "quiet":
                got = [b"<reply>" if side[step[1]].readable(step[2]) else b"<nothing>" for side in self.conns]
                self._compare(f"[{step[1]}] quiet for {step[2]}s", got)
            else:
                i, argv = step
                for side in self.conns:
                    side[i].send(command(argv))
                self._compare(f"[{i}] {argv}", self._read(i))
