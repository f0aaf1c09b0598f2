"""RequestParser: every protocol error and limit, chunking, pipelining, inline + multibulk.

Feeds input whole, one byte at a time, and in random chunks (h11's habit).
Expected texts were checked against redis-server 7.0.15; the differential suite
(tests/differential/test_protocol.py) pins them against the real binary.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvfake.errors import ProtocolError
from kvfake.protocol.parser import NEED_DATA, RequestParser


def parse_all(data: bytes, *, chunks=None, auth_required=False):
    """Feed ``data`` (split at ``chunks`` offsets) and collect requests until NEED_DATA."""
    parser = RequestParser()
    parser.auth_required = auth_required
    out = []
    cuts = sorted(set(chunks or [])) + [len(data)]
    start = 0
    for cut in cuts:
        parser.feed(data[start:cut])
        start = cut
        while True:
            req = parser.next_request()
            if req is NEED_DATA:
                break
            out.append(req)
    return out


def mbulk(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


VALID = [
    ("multibulk", mbulk(b"SET", b"k", b"v"), [[b"SET", b"k", b"v"]]),
    ("pipelined", mbulk(b"PING") * 3, [[b"PING"]] * 3),
    ("inline", b"SET k v\r\n", [[b"SET", b"k", b"v"]]),
    ("inline-lf-only", b"GET k\n", [[b"GET", b"k"]]),
    ("inline-quotes", b'SET k "a b"\r\n', [[b"SET", b"k", b"a b"]]),
    ("inline-empty-line-ignored", b"\r\n\r\nPING\r\n", [[b"PING"]]),
    ("inline-spaces-only-ignored", b"   \r\nPING\r\n", [[b"PING"]]),
    ("mixed", b"PING\r\n" + mbulk(b"ECHO", b"x") + b"ECHO y\r\n", [[b"PING"], [b"ECHO", b"x"], [b"ECHO", b"y"]]),
    ("star-zero-ignored", b"*0\r\n" + mbulk(b"PING"), [[b"PING"]]),
    ("star-negative-ignored", b"*-1\r\n" + mbulk(b"PING"), [[b"PING"]]),
    ("binary-payload", mbulk(b"SET", b"k", b"\x00\r\n\xff"), [[b"SET", b"k", b"\x00\r\n\xff"]]),
    ("empty-bulk", mbulk(b"SET", b"k", b""), [[b"SET", b"k", b""]]),
    ("trailing-bytes-not-checked", b"*1\r\n$4\r\nPINGxx", [[b"PING"]]),
]


@pytest.mark.parametrize("data,expected", [(d, e) for _, d, e in VALID], ids=[i for i, _, _ in VALID])
def test_parser_valid_whole(data, expected):
    assert parse_all(data) == expected


@pytest.mark.parametrize("data,expected", [(d, e) for _, d, e in VALID], ids=[i for i, _, _ in VALID])
def test_parser_valid_byte_at_a_time(data, expected):
    assert parse_all(data, chunks=range(1, len(data))) == expected


ERRORS = [
    ("unbalanced-quotes", b'SET k "a\r\n', "ERR Protocol error: unbalanced quotes in request"),
    ("too-big-inline", b"A" * (64 * 1024 + 1), "ERR Protocol error: too big inline request"),
    ("too-big-mbulk-count", b"*" + b"1" * (64 * 1024 + 1), "ERR Protocol error: too big mbulk count string"),
    ("invalid-mbulk-count", b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
    ("invalid-mbulk-count-plus", b"*+1\r\n", "ERR Protocol error: invalid multibulk length"),
    ("invalid-mbulk-empty", b"*\r\n", "ERR Protocol error: invalid multibulk length"),
    ("mbulk-over-int-max", b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
    ("expected-dollar", b"*1\r\n+PING\r\n", "ERR Protocol error: expected '$', got '+'"),
    ("invalid-bulk-length", b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
    ("negative-bulk-length", b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
    ("bulk-over-512mb", b"*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"),
    ("too-big-bulk-count", b"*1\r\n$" + b"1" * (64 * 1024 + 1), "ERR Protocol error: too big bulk count string"),
]


@pytest.mark.parametrize("data,text", [(d, t) for _, d, t in ERRORS], ids=[i for i, _, _ in ERRORS])
def test_parser_errors(data, text):
    with pytest.raises(ProtocolError) as info:
        parse_all(data)
    assert info.value.text == text


def test_parser_max_int_multibulk_count_is_accepted_and_waits():
    parser = RequestParser()
    parser.feed(b"*2147483647\r\n$1\r\nx\r\n")
    assert parser.next_request() is NEED_DATA  # Redis 7.0: no argument-count limit


def test_parser_512mb_bulk_length_is_accepted_and_waits():
    parser = RequestParser()
    parser.feed(b"*1\r\n$536870912\r\n")
    assert parser.next_request() is NEED_DATA


def test_parser_unauthenticated_limits():
    with pytest.raises(ProtocolError) as info:
        parse_all(b"*11\r\n", auth_required=True)
    assert info.value.text == "ERR Protocol error: unauthenticated multibulk length"
    with pytest.raises(ProtocolError) as info:
        parse_all(b"*1\r\n$16385\r\n", auth_required=True)
    assert info.value.text == "ERR Protocol error: unauthenticated bulk length"
    # at the limits: accepted
    assert parse_all(mbulk(*[b"x"] * 10), auth_required=True) == [[b"x"] * 10]
    assert parse_all(mbulk(b"x" * 16384), auth_required=True) == [[b"x" * 16384]]


def test_parser_requests_before_an_error_stand():
    parser = RequestParser()
    parser.feed(b"PING\r\n*x\r\n")
    assert parser.next_request() == [b"PING"]
    with pytest.raises(ProtocolError):
        parser.next_request()


def test_parser_nul_before_cr_means_incomplete_line():
    # Redis finds header lines with strchr, which stops at NUL.
    parser = RequestParser()
    parser.feed(b"*1\x00\r\n")
    assert parser.next_request() is NEED_DATA
    parser.feed(b"PING\x00\n")
    assert parser.next_request() is NEED_DATA


def test_parser_large_bulk_in_many_chunks_is_linear():
    payload = b"v" * (8 * 1024 * 1024)
    data = mbulk(b"SET", b"k", payload)
    parser = RequestParser()
    step = 16 * 1024
    for i in range(0, len(data), step):
        parser.feed(data[i : i + step])
    assert parser.next_request() == [b"SET", b"k", payload]
    assert parser.next_request() is NEED_DATA


def test_parser_buffered_counts_unconsumed_bytes():
    parser = RequestParser()
    parser.feed(b"*1\r\n$4\r\nPI")
    assert parser.next_request() is NEED_DATA
    assert parser.buffered() == 2


args_lists = st.lists(st.lists(st.binary(max_size=20), min_size=1, max_size=5), min_size=1, max_size=8)


def _inline_ok(args):
    return all(a and all(c not in b" \t\r\n\x0b\x0c\"'\x00\\" for c in a) for a in args)


@given(args_lists, st.lists(st.integers(0, 400), max_size=10), st.data())
def test_parser_roundtrip_any_chunking(requests, cuts, data):
    encoded = b""
    for args in requests:
        use_inline = _inline_ok(args) and args[0][:1] != b"*" and data.draw(st.booleans())
        encoded += b" ".join(args) + b"\r\n" if use_inline else mbulk(*args)
    cuts = [c for c in cuts if c < len(encoded)]
    assert parse_all(encoded, chunks=cuts) == requests


@given(args_lists)
def test_parser_roundtrip_one_byte_at_a_time(requests):
    encoded = b"".join(mbulk(*args) for args in requests)
    assert parse_all(encoded, chunks=range(1, len(encoded))) == requests


@given(st.binary(max_size=300), st.booleans())
def test_parser_never_raises_anything_but_protocol_error(garbage, auth):
    parser = RequestParser()
    parser.auth_required = auth
    parser.feed(garbage)
    try:
        for _ in range(400):
            if parser.next_request() is NEED_DATA:
                break
    except ProtocolError as exc:
        assert exc.text.startswith("ERR Protocol error: ")
    assert parser.buffered() <= len(garbage)
