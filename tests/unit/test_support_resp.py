"""Tests for the test-support oracle tests/support/resp.py (and, against real Redis, raw.py and
redis_server.py). The oracle must be right on its own: its builders are pinned to literal bytes here and
to what redis-server 7 actually sends (DEBUG PROTOCOL), never to kvfake's encoder."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.raw import RawConnection
from tests.support.redis_server import start_redis
from tests.support.resp import (
    EMPTY_ARRAY, NIL, NIL_ARRAY, OK, BigNumber, Err, Push, Reader, RespError, Simple, Verbatim, array,
    bignum, boolean, bulk, command, decode, double, elements, error, inline, integer, map_, null, push,
    read_reply, set_, simple, split_replies, verbatim,
)

BUILT = [
    ("simple", simple("OK"), b"+OK\r\n"),
    ("simple-bytes", simple(b"QUEUED"), b"+QUEUED\r\n"),
    ("error", error("ERR syntax error"), b"-ERR syntax error\r\n"),
    ("error-latin1", error("ERR unknown command '\xff'"), b"-ERR unknown command '\xff'\r\n"),
    ("integer", integer(3), b":3\r\n"),
    ("integer-negative", integer(-9223372036854775808), b":-9223372036854775808\r\n"),
    ("bulk", bulk(b"x"), b"$1\r\nx\r\n"),
    ("bulk-empty", bulk(b""), b"$0\r\n\r\n"),
    ("bulk-binary", bulk(b"a\r\nb\x00"), b"$5\r\na\r\nb\x00\r\n"),
    ("bulk-str-utf8", bulk("é"), b"$2\r\n\xc3\xa9\r\n"),
    ("nil", NIL, b"$-1\r\n"),
    ("nil-array", NIL_ARRAY, b"*-1\r\n"),
    ("array", array(bulk(b"a"), integer(1), NIL), b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n"),
    ("array-empty", array(), b"*0\r\n"),
    ("array-nested", array(array(integer(1)), array()), b"*2\r\n*1\r\n:1\r\n*0\r\n"),
    ("null", null(), b"_\r\n"),
    ("double", double("1.5"), b",1.5\r\n"),
    ("double-inf", double("-inf"), b",-inf\r\n"),
    ("true", boolean(True), b"#t\r\n"),
    ("false", boolean(False), b"#f\r\n"),
    ("map", map_((bulk(b"a"), integer(1)), (bulk(b"b"), null())), b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n"),
    ("map-empty", map_(), b"%0\r\n"),
    ("set", set_(bulk(b"m")), b"~1\r\n$1\r\nm\r\n"),
    ("push", push(bulk(b"message"), bulk(b"ch")), b">2\r\n$7\r\nmessage\r\n$2\r\nch\r\n"),
    ("verbatim", verbatim("txt", b"hi\nthere"), b"=12\r\ntxt:hi\nthere\r\n"),
    ("bignum", bignum(1234567999999999999999999999999999999), b"(1234567999999999999999999999999999999\r\n"),
    ("bignum-negative", bignum(-5), b"(-5\r\n"),
]


@pytest.mark.parametrize("built, expected", [(b, e) for _, b, e in BUILT], ids=[i for i, _, _ in BUILT])
def test_builder_bytes(built, expected):
    assert built == expected


@pytest.mark.parametrize("call, exc", [
    (lambda: double(1.5), TypeError),
    (lambda: integer(True), TypeError),
    (lambda: integer("3"), TypeError),
    (lambda: boolean(1), TypeError),
    (lambda: bulk(3), TypeError),
    (lambda: array("a"), TypeError),
    (lambda: map_((bulk(b"k"), "v")), TypeError),
    (lambda: simple("a\r\nb"), ValueError),
    (lambda: error("ERR\nx"), ValueError),
    (lambda: verbatim("text", b"x"), ValueError),
    (lambda: command("SET", True), TypeError),
    (lambda: inline("SET", "a b"), ValueError),
], ids=["double-float", "integer-bool", "integer-str", "boolean-int", "bulk-int", "array-str",
        "map-str-value", "simple-crlf", "error-lf", "verbatim-4-byte-format", "command-bool",
        "inline-space"])
def test_builder_rejects(call, exc):
    with pytest.raises(exc):
        call()


@pytest.mark.parametrize("args, expected", [
    (("PING",), b"*1\r\n$4\r\nPING\r\n"),
    (("SET", "k", b"\x00\xff", 10), b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x00\xff\r\n$2\r\n10\r\n"),
    ((["GET", "k"],), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
    (("ECHO", ""), b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"),
], ids=["ping", "mixed-types", "argv-list", "empty-arg"])
def test_command_encodes_multibulk(args, expected):
    assert command(*args) == expected


def test_inline_encodes_a_line():
    assert inline("SET", "k", 5) == b"SET k 5\r\n"


@pytest.mark.parametrize("raw", [e for _, _, e in BUILT] + [
    b"|1\r\n$3\r\nkey\r\n:1\r\n$5\r\nvalue\r\n",        # attribute + the reply it annotates
    b"!8\r\nERR a\r\nb\r\n",                            # RESP3 blob error
], ids=[i for i, _, _ in BUILT] + ["attribute", "blob-error"])
def test_read_reply_whole_and_every_prefix(raw):
    assert read_reply(raw) == len(raw)
    for cut in range(len(raw)):
        assert read_reply(raw[:cut]) is None, cut
    assert read_reply(b"junk" + raw + b"+next\r\n", 4) == 4 + len(raw)


@pytest.mark.parametrize("raw", [
    b"?x\r\n", b":1.5\r\n", b":\r\n", b"$abc\r\n", b"$-2\r\n", b"$3\r\nabcd\r\n", b"*-2\r\n",
    b"*x\r\n", b"#x\r\n", b"_x\r\n", b"%-1\r\n", b"=-1\r\n", b"*1\r\n?\r\n",
], ids=["unknown-type", "integer-float", "integer-empty", "bulk-len-text", "bulk-len-negative",
        "bulk-no-crlf", "array-count-negative", "array-count-text", "bool-bad", "null-with-text",
        "map-null", "verbatim-null", "bad-element"])
def test_read_reply_rejects_non_resp(raw):
    with pytest.raises(RespError):
        read_reply(raw)


def test_reader_one_byte_at_a_time():
    stream = simple("OK") + array(bulk(b"a\r\n"), NIL) + push(bulk(b"x")) + integer(7)
    reader = Reader()
    got = []
    for i in range(len(stream)):
        reader.feed(stream[i:i + 1])
        while (raw := reader.get()) is not None:
            got.append(raw)
    assert got == [simple("OK"), array(bulk(b"a\r\n"), NIL), push(bulk(b"x")), integer(7)]
    assert reader.pending() == b""


def test_reader_keeps_incomplete_tail():
    reader = Reader()
    reader.feed(OK + b"$5\r\nab")
    assert reader.get() == OK
    assert reader.get() is None
    assert reader.pending() == b"$5\r\nab"
    reader.feed(b"cde\r\n")
    assert reader.get() == bulk(b"abcde")


def test_split_replies():
    assert split_replies(OK + integer(1) + b"*2\r\n:1\r\n") == ([OK, integer(1)], b"*2\r\n:1\r\n")
    assert split_replies(b"") == ([], b"")


def test_elements_splits_an_aggregate():
    raw = array(bulk(b"a"), array(integer(1)), NIL)
    assert elements(raw) == (b"*3\r\n", [bulk(b"a"), array(integer(1)), NIL])
    assert elements(map_((bulk(b"k"), integer(1)))) == (b"%1\r\n", [bulk(b"k"), integer(1)])
    with pytest.raises(RespError):
        elements(bulk(b"x"))


@pytest.mark.parametrize("raw, value", [
    (simple("OK"), b"OK"),
    (error("WRONGTYPE Operation against a key holding the wrong kind of value"),
     Err("WRONGTYPE Operation against a key holding the wrong kind of value")),
    (integer(-3), -3),
    (bulk(b"x\r\n"), b"x\r\n"),
    (NIL, None), (NIL_ARRAY, None), (null(), None),
    (EMPTY_ARRAY, []),
    (array(bulk(b"a"), array(integer(1), NIL)), [b"a", [1, None]]),
    (double("1.5"), 1.5), (double("inf"), float("inf")),
    (boolean(True), True), (boolean(False), False),
    (bignum(10 ** 30), 10 ** 30),
    (map_((bulk(b"a"), integer(1)), (integer(2), array(bulk(b"x")))), {b"a": 1, 2: [b"x"]}),
    (set_(bulk(b"a"), bulk(b"b")), {b"a", b"b"}),
    (push(bulk(b"message"), bulk(b"c")), [b"message", b"c"]),
    (verbatim("txt", b"hi"), Verbatim(b"txt", b"hi")),
    (b"!5\r\nERR x\r\n", Err("ERR x")),
    (b"|1\r\n$1\r\nk\r\n:1\r\n$1\r\nv\r\n", b"v"),
], ids=["simple", "error", "integer", "bulk", "nil", "nil-array", "null", "empty-array", "nested",
        "double", "double-inf", "true", "false", "bignum", "map", "set", "push", "verbatim", "blob-error",
        "attribute-skipped"])
def test_decode(raw, value):
    assert decode(raw) == value


def test_decode_keeps_the_reply_kind_in_the_type():
    assert type(decode(simple("OK"))) is Simple and type(decode(bulk(b"OK"))) is bytes
    assert type(decode(push(integer(1)))) is Push and type(decode(array(integer(1)))) is list
    assert type(decode(bignum(5))) is BigNumber and type(decode(integer(5))) is int
    assert decode(error("ERR x y")).code == "ERR"
    assert repr(decode(simple("OK"))) == "Simple(b'OK')"


@pytest.mark.parametrize("raw", [b"+OK\r\n+OK\r\n", b"$3\r\nab", b""], ids=["two", "incomplete", "empty"])
def test_decode_wants_exactly_one_reply(raw):
    with pytest.raises(RespError):
        decode(raw)


# ----------------------------------------------------------------------------- property: build/read/decode
_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10)
_leaves = st.one_of(
    st.binary(max_size=20).map(lambda b: (bulk(b), b)),
    st.integers(-2 ** 63, 2 ** 63 - 1).map(lambda n: (integer(n), n)),
    _text.map(lambda t: (simple(t), t.encode())),
    _text.map(lambda t: (error("ERR " + t), Err("ERR " + t))),
    st.just((NIL, None)), st.just((null(), None)), st.just((NIL_ARRAY, None)),
    st.booleans().map(lambda b: (boolean(b), b)),
    st.floats(allow_nan=False).map(lambda f: (double(repr(f)), f)),
    st.integers().map(lambda n: (bignum(n), n)),
    st.binary(max_size=10).map(lambda b: (verbatim("txt", b), Verbatim(b"txt", b))),
)
_keys = st.one_of(st.binary(max_size=8).map(lambda b: (bulk(b), b)), st.integers(-99, 99).map(lambda n: (integer(n), n)))


def _extend(children):
    return st.one_of(
        st.lists(children, max_size=4).map(lambda xs: (array(*[r for r, _ in xs]), [v for _, v in xs])),
        st.lists(children, max_size=4).map(lambda xs: (push(*[r for r, _ in xs]), [v for _, v in xs])),
        st.lists(_keys, max_size=4, unique_by=lambda kv: kv[1]).map(
            lambda xs: (set_(*[r for r, _ in xs]), {v for _, v in xs})),
        st.lists(st.tuples(_keys, children), max_size=4, unique_by=lambda kv: kv[0][1]).map(
            lambda xs: (map_(*[(k[0], v[0]) for k, v in xs]), {k[1]: v[1] for k, v in xs})),
    )


_replies = st.recursive(_leaves, _extend, max_leaves=12)


@given(_replies)
def test_property_built_reply_reads_and_decodes(reply):
    raw, value = reply
    assert read_reply(raw) == len(raw)
    assert decode(raw) == value


@given(st.lists(_replies, max_size=5), st.lists(st.integers(0, 400), max_size=6))
def test_property_reader_reassembles_any_split(replies, cuts):
    stream = b"".join(r for r, _ in replies)
    points = sorted({min(c, len(stream)) for c in cuts})
    reader, got, prev = Reader(), [], 0
    for p in points + [len(stream)]:
        reader.feed(stream[prev:p])
        prev = p
        while (raw := reader.get()) is not None:
            got.append(raw)
    assert got == [r for r, _ in replies]


# ----------------------------------------------------------------------------- against real redis-server
@pytest.fixture(scope="module")
def debug_redis():
    server = start_redis("--enable-debug-command", "yes")
    yield server
    server.stop()


DEBUG_PROTOCOL = {   # DEBUG PROTOCOL <type>: redis 7.0 sends every RESP type on request
    "string": (bulk(b"Hello World"), bulk(b"Hello World")),
    "integer": (integer(12345), integer(12345)),
    "double": (bulk(b"3.141"), double("3.141")),
    "bignum": (bulk(b"1234567999999999999999999999999999999"), bignum(1234567999999999999999999999999999999)),
    "null": (NIL, null()),
    "array": (array(integer(0), integer(1), integer(2)), array(integer(0), integer(1), integer(2))),
    "set": (array(integer(0), integer(1), integer(2)), set_(integer(0), integer(1), integer(2))),
    "map": (array(integer(0), integer(0), integer(1), integer(1), integer(2), integer(0)),
            map_((integer(0), boolean(False)), (integer(1), boolean(True)), (integer(2), boolean(False)))),
    "verbatim": (bulk(b"This is a verbatim\nstring"), verbatim("txt", b"This is a verbatim\nstring")),
    "true": (integer(1), boolean(True)),
    "false": (integer(0), boolean(False)),
}


@pytest.mark.redis_server
@pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("kind", DEBUG_PROTOCOL)
def test_builders_match_real_redis(debug_redis, kind, resp):
    with RawConnection(debug_redis.host, debug_redis.port) as conn:
        conn.call("HELLO", str(resp))
        assert conn.call("DEBUG", "PROTOCOL", kind) == DEBUG_PROTOCOL[kind][resp - 2]


@pytest.mark.redis_server
def test_reader_handles_real_attribute_and_push(debug_redis):
    with RawConnection(debug_redis.host, debug_redis.port) as conn:
        conn.call("HELLO", "3")
        attrib = conn.call("DEBUG", "PROTOCOL", "attrib")
        assert decode(attrib) == b"Some real reply following the attribute"
        assert conn.call("DEBUG", "PROTOCOL", "push") == push(bulk(b"server-cpu-usage"), integer(42))
        assert conn.reply() == bulk(b"Some real reply following the push reply")


@pytest.mark.redis_server
def test_raw_connection_against_real_redis(debug_redis):
    assert debug_redis.version and debug_redis.version.startswith("7.")
    with RawConnection(debug_redis.host, debug_redis.port) as conn:
        conn.send(b"*1\r\n$4\r\nPI")
        assert not conn.readable(0.05)
        conn.send(b"NG\r\nPING\r\n")
        assert conn.replies(2) == [simple("PONG"), simple("PONG")]
        assert not conn.closed(timeout=0.05)
        conn.send(b"*1\r\n$x\r\n")
        assert conn.closed(timeout=2)
        assert conn.reply() == error("ERR Protocol error: invalid bulk length")
        with pytest.raises(ConnectionError):
            conn.reply()


@pytest.mark.redis_server
def test_reply_timeout_shows_pending_bytes(debug_redis):
    with RawConnection(debug_redis.host, debug_redis.port) as conn:
        conn.send(b"PING\r\n")
        assert conn.reply() == simple("PONG")
        with pytest.raises(TimeoutError, match="no complete reply in time; pending b''"):
            conn.reply(timeout=0.05)


@pytest.mark.redis_server
def test_start_redis_with_requirepass():
    server = start_redis(requirepass="s3cret")
    try:
        with RawConnection(server.host, server.port) as conn:
            assert conn.call("GET", "k") == error("NOAUTH Authentication required.")
            assert conn.call("AUTH", "s3cret") == OK
            assert conn.call("GET", "k") == NIL
    finally:
        server.stop()
    assert server.proc is None
    with pytest.raises(OSError):
        RawConnection(server.host, server.port, timeout=1)
