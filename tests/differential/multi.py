"""Differential scripts over several connections per server (pub/sub, notifications, tracking).

``pair.check`` drives one connection; pub/sub needs a publisher and subscribers.  A script here is
a list of steps ``(conn, argv)`` or ``(conn, argv, frames)``: ``argv`` is sent on connection
``conn`` ("a", "b", ...) of each server, then exactly the expected number of frames is read
from every connection: by default one (the reply) from ``conn``; ``frames`` maps connection
names to counts and overrides that (``{"a": 2}`` for ``SUBSCRIBE c d``, ``{"b": 1, "a": 1}`` for
a PUBLISH from b that a receives, ``{"a": 0}`` for a command without a reply).  Both servers'
frames, connection by connection, must be equal byte for byte; after the last step no
connection may hold anything more (on either server).  ``argv=None`` sends nothing (only reads frames).

``"{id:x}"`` in an argument is replaced by connection x's client id on that server, and the
replies that show a client id (CLIENT ID / GETREDIR / TRACKINGINFO, ``tracking-redir-broken``
pushes) get it back as ``{id:x}``, so ids never differ.  ``resp={"a": 3}`` sends HELLO 3 on
those connections first; ``setup``/``teardown`` run on a connection of their own (teardown
also when a step fails: the servers are shared by the session).  ``normalize`` is
``fn(argv, frame) -> frame``, applied to every frame a step reads.

The fixture ``multi`` (tests/differential/conftest.py) gives a :class:`MultiPair`.

Imports: tests.support.  Never: kvfake.
"""

from __future__ import annotations

import re
from typing import Callable

from tests.support.raw import RawConnection
from tests.support.resp import RespError, command, elements

READ_TIMEOUT = 3.0
QUIET = 0.05
_ID_ARG = re.compile(rb"\{id:([a-z])\}")


def _argv(step) -> list:
    return [a.encode() if isinstance(a, str) else b"%d" % a if isinstance(a, int) else bytes(a)
            for a in step]


class _Side:
    def __init__(self, name: str, endpoint, conns: str, resp: dict, timeout: float) -> None:
        self.name = name
        self.conns = {c: RawConnection(endpoint.host, endpoint.port, timeout=timeout) for c in conns}
        self.ids: dict = {}
        for c, conn in self.conns.items():
            raw = conn.call("CLIENT", "ID")
            self.ids[c] = int(raw[1:-2])
            if resp.get(c) == 3:
                hello = conn.call("HELLO", "3")
                assert hello.startswith(b"%"), (name, hello)

    def substitute(self, argv: list) -> list:
        return [_ID_ARG.sub(lambda m: b"%d" % self.ids[m.group(1).decode()], a) for a in argv]

    def unname(self, frame: bytes) -> bytes:
        for c, cid in self.ids.items():
            frame = frame.replace(b":%d\r\n" % cid, b":{id:%s}\r\n" % c.encode())
        return frame

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _shows_ids(argv: list, frame: bytes) -> bool:
    words = [a.upper() for a in argv[:2]]
    if words[:1] == [b"CLIENT"] and words[1:] and words[1] in (b"ID", b"GETREDIR", b"TRACKINGINFO"):
        return True
    return b"tracking-redir-broken" in frame


class MultiPair:
    def __init__(self, reference, subject, names=("redis", "kvfake"), timeout: float = 5.0) -> None:
        self.endpoints = (reference, subject)
        self.names = names
        self.timeout = timeout

    def run_admin(self, endpoint, commands) -> None:
        if not commands:
            return
        with RawConnection(endpoint.host, endpoint.port, timeout=self.timeout) as conn:
            for argv in commands:
                conn.call(*_argv(argv))

    def check(self, script, *, conns: str = "ab", resp: dict | None = None, setup=(), teardown=(),
              normalize: Callable | None = None, name: str = "") -> list:
        """Run ``script`` on both servers (see the module docstring); returns redis's frames per step."""
        __tracebackhide__ = True
        resp = resp or {}
        for endpoint in self.endpoints:
            self.run_admin(endpoint, [["FLUSHALL"]] + list(setup))
        sides = []
        history = []
        try:
            sides = [_Side(n, e, conns, resp, self.timeout) for n, e in zip(self.names, self.endpoints)]
            for index, step in enumerate(script):
                conn, argv = step[0], step[1]
                counts = {conn: 1} if argv is not None else {}
                if len(step) > 2:
                    counts.update(step[2])
                args = _argv(argv) if argv is not None else None
                for side in sides:
                    if args is not None:
                        side.conns[conn].send(command(*side.substitute(args)))
                seen = []
                for side in sides:
                    got = {}
                    for c in conns:
                        frames = []
                        for _ in range(counts.get(c, 0)):
                            frames.append(self._read(side, c, args or [], normalize))
                        got[c] = frames
                    seen.append(got)
                if seen[0] != seen[1]:
                    raise AssertionError(self._mismatch(name, index, step, seen, history))
                history.append((step, seen[0]))
            leftovers = [{c: side.conns[c].read_available(quiet=QUIET, limit=QUIET * 4)
                          for c in conns} for side in sides]
            if leftovers[0] != leftovers[1] or any(any(v.values()) for v in leftovers):
                # every frame must be accounted for by a step (equal or not)
                raise AssertionError(self._mismatch(name, len(script), ("*", "(unread after the script)"),
                                                    leftovers, history))
            return [h[1] for h in history]
        finally:
            for side in sides:
                side.close()
            for endpoint in self.endpoints:
                try:
                    self.run_admin(endpoint, list(teardown))
                except (OSError, ConnectionError, TimeoutError):
                    pass

    def _read(self, side: _Side, c: str, argv: list, normalize) -> bytes:
        try:
            frame = side.conns[c].reply(READ_TIMEOUT)
        except TimeoutError:
            return b"<no frame within %gs>" % READ_TIMEOUT
        except ConnectionError:
            return b"<connection closed>"
        if _shows_ids(argv, frame):
            frame = side.unname(frame)
        if normalize is not None:
            frame = normalize(argv, frame)
        return frame

    def _mismatch(self, name, index, step, seen, history) -> str:
        lines = [f"{self.names[1]} differs from {self.names[0]} at step {index} of {name!r}: {step!r}"]
        for side_name, got in zip(self.names, seen):
            lines.append(f"  {side_name}: {got!r}")
        if history:
            lines.append("  earlier steps (equal):")
            for i, (s, got) in enumerate(history[-6:], start=max(0, len(history) - 6)):
                lines.append(f"    [{i}] {s!r} -> {got!r}")
        return "\n".join(lines)


def unsubscribe_all_order(argv: list, frame: bytes) -> bytes:
    """Redis leaves channels in its dict's hash order (kvfake: subscription order): the
    channel of an (un)subscribe frame is blanked, its count kept.  Use on scripts whose
    UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE without arguments leave several channels."""
    if not argv or argv[0].upper() not in (b"UNSUBSCRIBE", b"PUNSUBSCRIBE", b"SUNSUBSCRIBE") or argv[1:]:
        return frame
    try:
        header, items = elements(frame)
    except RespError:
        return frame
    if len(items) != 3 or not items[1].startswith(b"$") or items[1] == b"$-1\r\n":
        return frame
    return header + items[0] + b"$1\r\n?\r\n" + items[2]
