"""Parser fuzzing: arbitrary bytes and mutated valid RESP, to the parser, to a live server, and to both servers.

Inputs are either arbitrary bytes or a valid stream of requests (multibulk and inline, from a small pool of
harmless commands on ``fz:*`` keys) mutated by a few operations: flip a bit, insert a token that matters to a
parser (``\\r\\n``, ``*``, ``$``, a NUL, a quote, a backslash...), delete or duplicate a span, truncate, or
replace a length header with an edge value (huge, negative, INT_MAX + 1, 512 MiB + 1, empty, ``+1``, ``01``...).
Every input is cut into arbitrary chunks.

1. ``RequestParser``: only ever returns requests (lists of bytes) or NEED_DATA, or raises ProtocolError, after
   which nothing more is read; and the chunking never changes the outcome (inputs stay far below the 64 KiB
   line limit, the one place where Redis's outcome depends on how bytes arrive).
2. A live kvfake Server: the fuzzed connection gets well-formed RESP back (one reply per request, plus the
   protocol error if any) and is closed after a protocol error; the server never dies, ``server.errors`` stays
   empty, and a second client connected throughout keeps getting correct replies, with its data intact.
3. A sample against real redis-server (``check_raw``): the same replies, and the same close / no-close
   behaviour. The documented >64 KiB-line difference (protocol_spec.md section 3) cannot arise at these sizes.

Profiles: the default runs in a few seconds; ``--hypothesis-profile=long`` (or ``KVFAKE_FUZZ_EXAMPLES=N``) by
hand.

Imports: pytest, hypothesis, tests.support.*, tests.fuzz.conftest, kvfake.protocol.parser, kvfake.errors.
"""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvfake.errors import ProtocolError
from kvfake.protocol.parser import NEED_DATA, RequestParser
from tests.fuzz.conftest import fuzz_settings
from tests.support.raw import RawConnection
from tests.support.resp import PONG, RespError, array, bulk, command, split_replies

# ------------------------------------------------------------------------------------------- inputs

# Harmless commands: deterministic, one reply each, touching only fz:* keys.
POOL = [
    [b"PING"], [b"PING", b"hi"], [b"ECHO", b"a b"], [b"SET", b"fz:a", b"v\r\n"], [b"GET", b"fz:a"],
    [b"INCR", b"fz:n"], [b"LPUSH", b"fz:l", b"x", b""], [b"LRANGE", b"fz:l", b"0", b"-1"],
    [b"HSET", b"fz:h", b"f", b"\x00\xff"], [b"HGET", b"fz:h", b"f"], [b"DEL", b"fz:a", b"fz:b"],
    [b"EXISTS", b"fz:a"], [b"MGET", b"fz:a", b"fz:n"], [b"APPEND", b"fz:a", b"tail"], [b"STRLEN", b"fz:a"],
    [b"SADD", b"fz:s", b"1", b"2"], [b"SCARD", b"fz:s"], [b"TYPE", b"fz:l"], [b"GET"], [b"NOSUCH", b"x"],
]
SAFE_NAMES = frozenset(argv[0] for argv in POOL) | {b"HELLO"}
MULTIBULK_POOL = POOL + [[b"HELLO", b"3"], [b"HELLO", b"2"], [b"SET", b"fz:b", b"x" * 300]]

SPECIAL = (b"\r\n", b"\r", b"\n", b"*", b"$", b"\x00", b'"', b"'", b"\\", b" ", b"-1", b"0", b"\t",
           b"*1\r\n", b"$0\r\n\r\n", b'"\\x', b"\\x4", b"+", b":", b"\xff")
HEADER_VALUES = (b"2147483648", b"2147483647", b"536870912", b"536870913", b"-1", b"-2", b"0", b"", b"x",
                 b"1 ", b" 1", b"01", b"+1", b"99999999999999999999", b"9223372036854775808", b"3", b"1000")


def _inline(argv) -> bytes:
    """The argv as an inline line; an argument that needs it is double-quoted with \\xHH escapes."""
    words = []
    for a in argv:
        if a and all(33 <= c < 127 and c not in b"\"'\\" for c in a):
            words.append(a)
        else:
            words.append(b'"' + b"".join(b"\\x%02x" % c for c in a) + b'"')
    return b" ".join(words) + b"\r\n"


@st.composite
def valid_stream(draw, pool=MULTIBULK_POOL) -> bytes:
    requests = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    out = []
    for argv in requests:
        out.append(_inline(argv) if draw(st.booleans()) and argv[0] != b"HELLO" else command(*argv))
    return b"".join(out)


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(0, 7)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(SPECIAL) | st.binary(min_size=1, max_size=3)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 6)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000), st.integers(1, 20)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
    st.tuples(st.just("header"), st.integers(0, 50), st.sampled_from(HEADER_VALUES)),
)


def mutate(data: bytes, mutations) -> bytes:
    buf = bytearray(data)
    for m in mutations:
        kind = m[0]
        pos = m[1] % (len(buf) + 1) if kind != "header" else m[1]
        if kind == "flip" and buf:
            pos %= len(buf)
            buf[pos] ^= 1 << m[2]
        elif kind == "insert":
            buf[pos:pos] = m[2]
        elif kind == "delete":
            del buf[pos:pos + m[2]]
        elif kind == "duplicate":
            buf[pos:pos] = buf[pos:pos + m[2]]
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "header":
            # the n-th "*<n>\r\n" or "$<n>\r\n" header (cyclically) gets a new number
            starts = [i for i in range(len(buf)) if buf[i] in b"*$" and (i == 0 or buf[i - 1] == 10)]
            if starts:
                start = starts[pos % len(starts)] + 1
                end = buf.find(b"\r", start)
                if end >= 0:
                    buf[start:end] = m[2]
    return bytes(buf)


def mutated(pool=MULTIBULK_POOL) -> st.SearchStrategy:
    return st.builds(mutate, valid_stream(pool), st.lists(_mutation, min_size=1, max_size=4))


fuzz_input = st.one_of(mutated(), mutated(), st.binary(max_size=200), valid_stream())


@st.composite
def chunked(draw, data_strategy=fuzz_input) -> list:
    """The input cut at arbitrary points (sometimes one byte at a time)."""
    data = draw(data_strategy)
    if data and draw(st.integers(0, 9)) == 0:
        return [data[i:i + 1] for i in range(len(data))]
    cuts = sorted(set(draw(st.lists(st.integers(0, max(len(data), 1)), max_size=6))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a] or [data]


# ------------------------------------------------------------------------------------------- 1. the parser

def parse(chunks, batched: bool = False) -> tuple:
    """Feed ``chunks``; return (requests, protocol error text or None). Fails on anything unexpected.

    ``batched``: drive the parser as the server does, ``next_batch`` first and ``next_request`` when
    it gives up; every other batch is partly given back with ``unread`` and taken again."""
    parser = RequestParser()
    requests = []
    give_back = False
    for chunk in chunks:
        parser.feed(chunk)
        while True:
            if batched:
                batch = parser.next_batch()
                if batch is None:
                    break
                if batch:
                    give_back = not give_back
                    if give_back and len(batch) > 1:
                        parser.unread(batch[1:])
                        batch = batch[:1]
                    for req in batch:
                        assert isinstance(req, list) and req and all(type(a) is bytes for a in req), req
                    requests.extend(batch)
                    continue
            try:
                req = parser.next_request()
            except ProtocolError as e:
                return requests, e.text
            if req is NEED_DATA:
                break
            assert isinstance(req, list) and req, req
            assert all(type(a) is bytes for a in req), req
            requests.append(req)
        assert 0 <= parser.buffered() <= sum(map(len, chunks))
    return requests, None


@fuzz_settings(scale=4)
@given(chunked())
def test_parser_only_returns_requests_or_raises_protocol_error(chunks):
    requests, error = parse(chunks)
    assert (requests, error) == parse([b"".join(chunks)]), "the chunking changed the outcome"


@st.composite
def lying_stream(draw) -> bytes:
    """Multibulk requests, one of whose payloads holds a CRLF or whose header is off by one:
    the cases where splitting a buffer on CRLF must not be trusted."""
    requests = draw(st.lists(st.sampled_from(MULTIBULK_POOL), min_size=1, max_size=6))
    bad = draw(st.integers(0, len(requests) - 1))
    out = []
    for n, argv in enumerate(requests):
        if n != bad:
            out.append(command(*argv))
            continue
        k = draw(st.integers(0, len(argv) - 1))
        parts = [b"*%d\r\n" % len(argv)]
        for m, arg in enumerate(argv):
            length = len(arg)
            if m == k:
                how = draw(st.sampled_from(["crlf", "longer", "shorter"]))
                if how == "crlf":
                    cut = draw(st.integers(0, len(arg)))
                    arg = arg[:cut] + b"\r\n" + arg[cut:]
                    length = len(arg)
                else:
                    length = max(0, length + (1 if how == "longer" else -1))
            parts.append(b"$%d\r\n%b\r\n" % (length, arg))
        out.append(b"".join(parts))
    return b"".join(out)


@fuzz_settings(scale=4)
@given(chunked(st.one_of(fuzz_input, lying_stream(), lying_stream(),
                         st.builds(b"".join, st.lists(valid_stream(), max_size=8)))))
def test_batch_parsing_finds_the_same_requests_and_errors(chunks):
    assert parse(chunks, batched=True) == parse(chunks)


# ------------------------------------------------------------------------------------------- 2. a live server

WITNESS = {b"witness:s": b"intact \x00\xff", b"witness:n": b"41"}


@pytest.fixture(scope="module")
def witness(fuzz_kvfake):
    """A client connected for the whole module, with data of its own."""
    conn = RawConnection(fuzz_kvfake.host, fuzz_kvfake.port, timeout=5)
    for k, v in WITNESS.items():
        assert conn.call("SET", k, v) == b"+OK\r\n"
    assert conn.call("RPUSH", "witness:l", "a", "b") == b":2\r\n"
    yield conn
    conn.close()


def check_witness(conn) -> None:
    assert conn.call("PING") == PONG
    assert conn.call("MGET", *WITNESS) == array(*(bulk(v) for v in WITNESS.values()))
    assert conn.call("LRANGE", "witness:l", "0", "-1") == array(bulk(b"a"), bulk(b"b"))


def _read_until_closed(sock, timeout: float = 5.0) -> tuple:
    """Everything the server sends until it closes (True) or ``timeout`` passes (False)."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            return bytes(data), True
        if not got:
            return bytes(data), True
        data += got
    return bytes(data), False


@fuzz_settings(scale=2)
@given(chunks=chunked())
def test_live_server_survives_and_other_clients_are_unaffected(fuzz_kvfake, witness, chunks):
    requests, error = parse(chunks)
    s = socket.create_connection((fuzz_kvfake.host, fuzz_kvfake.port), timeout=5)
    try:
        try:
            for i, chunk in enumerate(chunks):
                s.sendall(chunk)
                if i == len(chunks) // 2:
                    check_witness(witness)     # the other client, in the middle of it
            s.shutdown(socket.SHUT_WR)         # EOF: the server must serve what it has, then close
        except OSError:
            assert error is not None, "kvfake closed the connection without a protocol error"
        data, closed = _read_until_closed(s)
    finally:
        s.close()
    assert closed, "kvfake did not close a connection whose peer had sent EOF"
    try:
        replies, tail = split_replies(data)
    except RespError as e:
        raise AssertionError(f"malformed reply stream {data!r}: {e}")
    assert tail == b"", f"incomplete reply at the end: {tail!r}"
    if all(r[0].upper() in SAFE_NAMES for r in requests):
        assert len(replies) == len(requests) + (error is not None), (requests, error, replies)
    if error is not None:
        text = error.encode("latin-1").replace(b"\r", b" ").replace(b"\n", b" ")   # as Redis sends it
        assert replies[-1] == b"-" + text + b"\r\n"
    check_witness(witness)
    assert fuzz_kvfake.errors == []


# ------------------------------------------------------------------------------------------- 3. against redis

@pytest.mark.redis_server
@fuzz_settings(scale=0.5)
@given(chunks=chunked(st.one_of(mutated(POOL), mutated(POOL), st.binary(max_size=60))))
def test_mutated_input_gets_the_same_replies_and_closing_as_redis(fuzz_pair, chunks):
    fuzz_pair.check_raw(chunks, pause=0.002, quiet=0.05)

