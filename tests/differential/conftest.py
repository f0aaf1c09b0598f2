"""Differential harness: run the same script against real redis-server and kvfake, compare raw bytes.

HOW TO ADD A DIFFERENTIAL SCRIPT
================================
Scripts are data: a dict from a readable name (the test id) to a list of commands, each command an argv
list of ``str``/``bytes``/``int``. Put them in ``tests/differential/test_<group>.py``::

    import pytest

    SCRIPTS = {
        "set-options": [
            ["SET", "k", "v", "NX"],
            ["SET", "k", "v", "NX", "XX"],          # -ERR syntax error, byte for byte
            ["SET", "k", b"\\xff\\x00", "GET"],
        ],
        "incr-not-integer": [["SET", "n", " 1"], ["INCR", "n"]],
    }

    @pytest.mark.parametrize("name", SCRIPTS)
    def test_strings(pair, name):
        pair.check(SCRIPTS[name])

    # replies whose order is not defined: opt into a named normaliser (see NORMALISERS below)
    UNORDERED = {"keys-glob": [["MSET", "a", "1", "b", "2"], ["KEYS", "*"]]}

    @pytest.mark.parametrize("name", UNORDERED)
    def test_keys_unordered(pair, name):
        pair.check(UNORDERED[name], normalize="sort-elements")

    # RESP3: HELLO 3 is sent before the script
    @pytest.mark.parametrize("name", SCRIPTS)
    def test_strings_resp3(pair, name):
        pair.check(SCRIPTS[name], resp=3)

    # protocol level: raw chunks, replies AND whether the server closed the connection are compared
    def test_bad_bulk_length(pair):
        replies, closed = pair.check_raw([b"*1\\r\\n$x\\r\\n"])
        assert closed                        # optional: also pin what redis does

``pair.check`` opens a fresh connection to each server, sends ``FLUSHALL`` and ``SELECT 0`` (and
``HELLO 3`` for ``resp=3``), then each command in turn, reading one reply from each server per command;
the raw replies must be equal. On a mismatch the ``AssertionError`` names the step index, the command,
both replies (repr) and the steps before it. It returns redis's replies, in case a test wants to pin one.

Every test in this directory is marked ``redis_server`` (by the hook at the bottom), so
``-m "not redis_server"`` deselects them all; without the binary they skip (or fail with
``KVFAKE_REQUIRE_REDIS=1``).

Rules for scripts:
- Compare everything byte for byte. Normalise only what must differ (times, ids, ports, unordered
  elements), with a narrow normaliser from ``NORMALISERS`` chosen by name. Never match errors by substring.
- Both servers live for the whole session, and only the keyspace is reset between scripts: a script that
  changes server state (``CONFIG SET``, ``SCRIPT LOAD``, ``CLIENT PAUSE``...) must restore it itself.
- Commands that close the connection (``QUIT``) are fine: later steps compare as ``<connection closed>``.
  A command that blocks compares as ``<no reply within Ns>`` and ends the script for that side.

The subject is ``kvfake.Server``; ``KVFAKE_DIFF_SUBJECT=redis`` swaps in a second real redis-server, which
is how the harness itself is developed and checked (``test_selfcheck.py`` always uses two redis servers).

Imports: pytest, tests.support.*; kvfake.conformance.normalize (the shared normalisation rules, stdlib
only); kvfake's public API (Server) inside the fixture only.
Never: kvfake internals (protocol, store, commands).
"""

from __future__ import annotations

import os
import select
import time
from pathlib import Path
from typing import Callable, Sequence, Union

import pytest

from tests.support.raw import RawConnection
from tests.support.redis_server import start_redis
from tests.support.resp import RespError, command, split_replies

SUBJECT_ENV = "KVFAKE_DIFF_SUBJECT"
AUTH_PASSWORD = "kvfake-secret"

CLOSED = b"<connection closed>"


# =============================================================================== normalisers
# The named normalisers are the conformance kit's rules, kept in ONE place (kvfake/conformance/normalize.py,
# stated in protocol_spec.md "Conformance normalisation"): ``pair.check(script, normalize="sort-elements")``
# or a list of names. Add a rule there when a new command has a reply that legitimately differs.
from kvfake.conformance.normalize import NORMALISERS, Normaliser  # noqa: E402  (stdlib-only module)

NormalizeArg = Union[None, str, Callable, Sequence[Union[str, Callable]]]


def _resolve(normalize: NormalizeArg) -> list:
    if normalize is None:
        return []
    if isinstance(normalize, str) or callable(normalize):
        normalize = [normalize]
    resolved = []
    for n in normalize:
        if isinstance(n, str):
            if n not in NORMALISERS:
                raise KeyError(f"unknown normaliser {n!r}; known: {sorted(NORMALISERS)}")
            resolved.append(NORMALISERS[n])
        elif callable(n):
            resolved.append(n)     # ad hoc: fn(argv: list[bytes], raw: bytes) -> bytes, every step
        else:
            raise TypeError(f"normalize takes names or callables, not {n!r}")
    return resolved


def _apply(normalisers: list, argv: list[bytes], raw: bytes) -> bytes:
    for n in normalisers:
        if isinstance(n, Normaliser):
            if n.applies_to(argv):
                raw = n.fn(raw)
        else:
            raw = n(argv, raw)
    return raw


# =============================================================================== the pair
def _argv(step) -> list[bytes]:
    if isinstance(step, (str, bytes)):
        raise TypeError(f"a script step is an argv list, not {step!r} (write [\"PING\"], not \"PING\")")
    return [a.encode("utf-8") if isinstance(a, str) else b"%d" % a if isinstance(a, int) else bytes(a)
            for a in step]


def show_argv(argv: Sequence[bytes]) -> str:
    """A command for messages: plain words as-is, anything else as a bytes repr."""
    words = []
    for a in argv:
        if a and all(33 <= c < 127 for c in a) and b"'" not in a and b'"' not in a:
            words.append(a.decode("ascii"))
        else:
            words.append(repr(a))
    return " ".join(words)


class _Side:
    """One server of the pair and the current connection to it."""

    def __init__(self, name: str, endpoint, password: str | None) -> None:
        self.name = name
        self.endpoint = endpoint
        self.password = password
        self.conn: RawConnection | None = None
        self.dead: bytes | None = None    # why no further replies can come (closed / timed out)

    def connect(self, timeout: float) -> RawConnection:
        self.close()
        self.conn = RawConnection(self.endpoint.host, self.endpoint.port, timeout=timeout)
        self.dead = None
        return self.conn

    def send(self, data: bytes) -> None:
        if self.dead is None:
            try:
                self.conn.send(data)
            except OSError:
                pass               # the reply read will report the closed connection

    def read(self, timeout: float) -> bytes:
        if self.dead is not None:
            return self.dead
        try:
            return self.conn.reply(timeout)
        except ConnectionError:
            self.dead = CLOSED
        except TimeoutError:
            self.dead = b"<no reply within %gs>" % timeout
        return self.dead

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Pair:
    """The reference server (real redis) and the subject (kvfake), driven in lock step.

    ``check(script)`` runs a whole script; ``reset(resp)`` + ``step(argv)`` are the same thing one command
    at a time (for state machines). ``check_raw(chunks)`` is the protocol-level form. Every endpoint
    needs only ``.host`` and ``.port``.
    """

    def __init__(self, reference, subject, *, names=("redis", "kvfake"), password: str | None = None,
                 timeout: float = 5.0) -> None:
        self.sides = [_Side(names[0], reference, password), _Side(names[1], subject, password)]
        self.password = password
        self.timeout = timeout
        self.resp = 2
        self._history: list[tuple[list[bytes], bytes]] = []
        self._label = ""

    # ---------------------------------------------------------------- lifecycle
    def close(self) -> None:
        for side in self.sides:
            side.close()

    def reset(self, resp: int = 2, *, label: str = "") -> None:
        """Fresh connection to each server; FLUSHALL, SELECT 0 (and HELLO 3 for ``resp=3``).

        With a password the FLUSHALL goes through a separate authenticated connection and the script's
        connection is left unauthenticated (and in RESP2, db 0): the script does its own AUTH/HELLO."""
        if resp not in (2, 3):
            raise ValueError("resp is 2 or 3")
        if self.password is not None and resp != 2:
            raise ValueError("with a password, put HELLO 3 AUTH ... in the script itself")
        self.resp = resp
        self._history = []
        self._label = label
        if self.password is None:
            setup = [["FLUSHALL"], ["SELECT", "0"]] + ([["HELLO", "3"]] if resp == 3 else [])
            conns = [side.connect(self.timeout) for side in self.sides]
        else:
            setup = [["AUTH", self.password], ["FLUSHALL"]]
            conns = [RawConnection(s.endpoint.host, s.endpoint.port, timeout=self.timeout) for s in self.sides]
        try:
            self._setup(conns, setup)
        finally:
            if self.password is not None:
                for conn in conns:
                    conn.close()
        if self.password is not None:
            for side in self.sides:
                side.connect(self.timeout)

    def _setup(self, conns, setup) -> None:
        payload = b"".join(command(c) for c in setup)
        for conn in conns:
            conn.send(payload)
        for side, conn in zip(self.sides, conns):
            for argv in setup:
                try:
                    raw = conn.reply()
                except (ConnectionError, TimeoutError) as e:
                    raise AssertionError(f"setup failed on {side.name}: {show_argv(_argv(argv))} -> {e}")
                ok = raw.startswith(b"%") if argv[0] == "HELLO" else raw == b"+OK\r\n"
                if not ok:
                    raise AssertionError(f"setup failed on {side.name}: {show_argv(_argv(argv))} -> {raw!r}")

    # ---------------------------------------------------------------- one command
    def step(self, argv, *, normalize: NormalizeArg = None) -> bytes:
        """Send one command to both servers and assert the (normalised) raw replies are equal;
        return the reference's reply. Call ``reset()`` first."""
        __tracebackhide__ = True
        if self.sides[0].conn is None:
            raise RuntimeError("call pair.reset() before pair.step()")
        args = _argv(argv)
        normalisers = _resolve(normalize)
        payload = command(args)
        for side in self.sides:
            side.send(payload)
        raw = [side.read(self.timeout) for side in self.sides]
        seen = [_apply(normalisers, args, r) for r in raw]
        if seen[0] != seen[1]:
            raise AssertionError(self._mismatch(args, raw, seen))
        self._history.append((args, seen[0]))
        return seen[0]

    def _mismatch(self, args, raw, seen) -> str:
        a, b = self.sides[0].name, self.sides[1].name
        width = max(len(a), len(b))
        where = f" of script {self._label!r}" if self._label else ""
        lines = [f"{b} differs from {a} at step {len(self._history)}{where} (resp={self.resp})",
                 f"  {'command':<{width}} : {show_argv(args)}",
                 f"  {a:<{width}} : {raw[0]!r}",
                 f"  {b:<{width}} : {raw[1]!r}"]
        if seen != raw:
            lines += ["  after normalising:",
                      f"  {a:<{width}} : {seen[0]!r}",
                      f"  {b:<{width}} : {seen[1]!r}"]
        if self._history:
            lines.append("  earlier steps (equal):")
            shown = self._history[-8:]
            first = len(self._history) - len(shown)
            if first:
                lines.append("    ...")
            for i, (h_args, h_raw) in enumerate(shown, start=first):
                lines.append(f"    [{i}] {show_argv(h_args)}  ->  {h_raw!r}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- whole scripts
    def check(self, script, *, normalize: NormalizeArg = None, resp: int = 2, name: str = "") -> list[bytes]:
        """Run ``script`` (a list of argv lists) on fresh connections; assert every step's raw replies
        are equal (after ``normalize``: a NORMALISERS name, a callable ``fn(argv, raw) -> raw``, or a
        list of them). Returns the reference's replies."""
        __tracebackhide__ = True
        self.reset(resp, label=name)
        replies = []
        try:
            for argv in script:       # a plain loop: no comprehension frame in the traceback
                replies.append(self.step(argv, normalize=normalize))
            return replies
        finally:
            self.close()

    def check_raw(self, chunks: Sequence[bytes], *, setup: bool = True, resp: int = 2,
                  quiet: float = 0.1, settle: float = 2.0, pause: float = 0.005,
                  normalize: Callable[[bytes], bytes] | None = None) -> tuple[list[bytes], bool]:
        """Send raw byte ``chunks`` (``pause`` seconds apart, so the server sees them separately) on a fresh
        connection to each server, collect everything until the server closes or ``quiet`` seconds pass
        without a byte, and assert that both the replies and whether the connection was closed are equal.

        While the two sides differ, collection goes on up to ``settle`` seconds so a slow subject is not
        reported as different. With ``setup=True`` the connections get FLUSHALL/SELECT 0 (HELLO 3) first.
        ``normalize`` is an optional ``fn(all_bytes) -> bytes``. Returns ``(replies, closed)`` of the
        reference; a trailing incomplete reply is the last element."""
        __tracebackhide__ = True
        if setup:
            self.reset(resp)
        else:
            for side in self.sides:
                side.connect(self.timeout)
        try:
            for i, chunk in enumerate(chunks):
                if i and pause:
                    time.sleep(pause)
                for side in self.sides:
                    side.send(chunk)
            data, closed = self._collect(quiet, settle)
        finally:
            self.close()
        if normalize is not None:
            data = [normalize(d) for d in data]
        cut = []
        for d in data:
            try:
                replies, tail = split_replies(d)
                cut.append(replies + ([tail] if tail else []))
            except RespError:
                cut.append([d])
        if cut[0] != cut[1] or closed[0] != closed[1]:
            a, b = self.sides[0].name, self.sides[1].name
            width = max(len(a), len(b))
            lines = [f"{b} differs from {a} on raw input (resp={self.resp})",
                     f"  {'sent':<{width}} : {list(chunks)!r}"[:2000]]
            for name, replies, c in ((a, cut[0], closed[0]), (b, cut[1], closed[1])):
                lines.append(f"  {name:<{width}} : {replies!r} {'(then closed)' if c else '(still open)'}")
            raise AssertionError("\n".join(lines))
        return cut[0], closed[0]

    def _collect(self, quiet: float, settle: float) -> tuple[list[bytes], list[bool]]:
        conns = [side.conn for side in self.sides]
        bufs = [bytearray(c.reader.pending()) for c in conns]
        start = time.monotonic()
        last = [start, start]
        while True:
            now = time.monotonic()
            idle = [c.eof or now - last[i] >= quiet for i, c in enumerate(conns)]
            same = bufs[0] == bufs[1] and conns[0].eof == conns[1].eof
            if all(c.eof for c in conns) or (all(idle) and (same or now - start >= settle)):
                break
            waits = [last[i] + quiet - now for i, c in enumerate(conns) if not c.eof and not idle[i]]
            timeout = max(0.001, min(waits)) if waits else min(0.02, max(0.001, start + settle - now))
            ready, _, _ = select.select([c.sock for c in conns if not c.eof], [], [], timeout)
            for i, c in enumerate(conns):
                if c.sock in ready:
                    try:
                        data = c._recv(self.timeout)      # readable: returns at once
                    except OSError:
                        continue
                    if data:
                        bufs[i] += data
                        last[i] = time.monotonic()
        return [bytes(b) for b in bufs], [c.eof for c in conns]


# =============================================================================== fixtures
@pytest.fixture(scope="session")
def redis_server():
    """The real redis-server (session-wide): ``.host``, ``.port``, ``.version``."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def second_redis_server():
    """A second, independent real redis-server: the stand-in subject for harness self-checks."""
    server = start_redis()
    yield server
    server.stop()


def _start_subject(requirepass: str | None = None):
    if os.environ.get(SUBJECT_ENV) == "redis":
        return start_redis(requirepass=requirepass)
    try:
        from kvfake import Server
    except ImportError as e:
        pytest.fail(f"cannot import kvfake.Server ({e}); {SUBJECT_ENV}=redis runs the differential "
                    "tests against a second redis-server instead", pytrace=False)
    kwargs = {"requirepass": requirepass} if requirepass is not None else {}
    server = Server(host="127.0.0.1", port=0, **kwargs)
    server.start()
    return server


@pytest.fixture(scope="session")
def kvfake_server():
    """The subject: ``kvfake.Server`` on 127.0.0.1:0 (or a second redis with KVFAKE_DIFF_SUBJECT=redis)."""
    server = _start_subject()
    yield server
    server.stop()


@pytest.fixture
def pair(redis_server, kvfake_server):
    """redis-server (reference) vs kvfake (subject); see the module docstring."""
    p = Pair(redis_server, kvfake_server)
    yield p
    p.close()


@pytest.fixture(scope="session")
def redis_server_auth():
    """A real redis-server started with ``--requirepass AUTH_PASSWORD``."""
    server = start_redis(requirepass=AUTH_PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kvfake_server_auth():
    """kvfake with ``requirepass=AUTH_PASSWORD``."""
    server = _start_subject(requirepass=AUTH_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def auth_pair(redis_server_auth, kvfake_server_auth):
    """Like ``pair`` with both servers requiring AUTH_PASSWORD. Each script starts on an
    unauthenticated RESP2 connection (the keyspace was flushed through another one)."""
    p = Pair(redis_server_auth, kvfake_server_auth, password=AUTH_PASSWORD)
    yield p
    p.close()


@pytest.fixture
def redis_pair(redis_server, second_redis_server):
    """Two real redis servers as a pair: for checking the harness itself."""
    p = Pair(redis_server, second_redis_server, names=("redis-a", "redis-b"))
    yield p
    p.close()


@pytest.fixture
def multi(redis_server, kvfake_server):
    """redis-server vs kvfake over several connections each: tests/differential/multi.py."""
    from tests.differential.multi import MultiPair

    return MultiPair(redis_server, kvfake_server)


# =============================================================================== marking
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    """Mark every test collected under tests/differential/ with ``redis_server``."""
    for item in items:
        path = Path(str(getattr(item, "path", None) or item.fspath))
        if _HERE in path.parents:
            item.add_marker(pytest.mark.redis_server)
