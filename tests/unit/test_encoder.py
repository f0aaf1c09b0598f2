"""encode(): each reply type in RESP2 and RESP3, compared with the independent builders."""

from __future__ import annotations

import pytest

from kvfake.protocol.encoder import encode
from kvfake.protocol.replies import (
    NULL_ARRAY,
    OK,
    BigNumber,
    Bool,
    Double,
    ErrorReply,
    Map,
    Push,
    Raw,
    Set,
    SimpleString,
    Verbatim,
)
from kvfake.store.values import RawString
from tests.support import resp

CASES = [
    ("bulk", b"abc", resp.bulk(b"abc"), resp.bulk(b"abc")),
    ("empty-bulk", b"", resp.bulk(b""), resp.bulk(b"")),
    ("raw-string-subclass", RawString(b"xy"), resp.bulk(b"xy"), resp.bulk(b"xy")),
    ("int", 42, resp.integer(42), resp.integer(42)),
    ("big-int", 2**62, resp.integer(2**62), resp.integer(2**62)),
    ("negative", -5, resp.integer(-5), resp.integer(-5)),
    ("null", None, resp.NIL, resp.null()),
    ("null-array", NULL_ARRAY, resp.NIL_ARRAY, resp.null()),
    ("status", OK, resp.OK, resp.OK),
    ("error", ErrorReply("ERR x"), resp.error("ERR x"), resp.error("ERR x")),
    ("error-crlf", ErrorReply("ERR a\r\nb"), resp.error("ERR a  b"), resp.error("ERR a  b")),
    ("array", [b"a", 1, None], resp.array(resp.bulk(b"a"), resp.integer(1), resp.NIL),
     resp.array(resp.bulk(b"a"), resp.integer(1), resp.null())),
    ("tuple", (b"a",), resp.array(resp.bulk(b"a")), resp.array(resp.bulk(b"a"))),
    ("empty-array", [], resp.EMPTY_ARRAY, resp.EMPTY_ARRAY),
    ("map", Map([(b"k", 1)]), resp.array(resp.bulk(b"k"), resp.integer(1)),
     resp.map_((resp.bulk(b"k"), resp.integer(1)))),
    ("set", Set([b"a"]), resp.array(resp.bulk(b"a")), resp.set_(resp.bulk(b"a"))),
    ("push", Push([b"message"]), resp.array(resp.bulk(b"message")), resp.push(resp.bulk(b"message"))),
    ("double", Double(b"1.5"), resp.bulk(b"1.5"), resp.double("1.5")),
    ("bool-true", Bool(True), resp.integer(1), resp.boolean(True)),
    ("bool-false", Bool(False), resp.integer(0), resp.boolean(False)),
    ("bignum", BigNumber(12345678901234567890), resp.bulk(b"12345678901234567890"), resp.bignum(12345678901234567890)),
    ("verbatim", Verbatim(b"txt", b"hello"), resp.bulk(b"hello"), resp.verbatim("txt", b"hello")),
    ("raw", Raw(b"+X\r\n"), b"+X\r\n", b"+X\r\n"),
    ("nested", [Map([(SimpleString(b"a"), [b"x"])])], resp.array(resp.array(resp.simple("a"), resp.array(resp.bulk(b"x")))),
     resp.array(resp.map_((resp.simple("a"), resp.array(resp.bulk(b"x")))))),
]


@pytest.mark.parametrize("value,resp2,resp3", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_encode_both_protocols(value, resp2, resp3):
    assert encode(value, 2) == resp2
    assert encode(value, 3) == resp3


@pytest.mark.parametrize("bad", [True, False, "text", 1.5, object()], ids=["true", "false", "str", "float", "object"])
def test_encode_refuses_handler_mistakes(bad):
    with pytest.raises(TypeError):
        encode(bad, 2)
    with pytest.raises(TypeError):
        encode([bad], 3)


def test_encode_error_latin1_round_trips_every_byte():
    text = bytes(range(256)).replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")
    assert encode(ErrorReply("ERR " + text), 2) == b"-ERR " + text.encode("latin-1") + b"\r\n"


LONG_ARRAYS = {
    "bulks": [b"x" * n for n in range(20)],
    "raw-strings": [RawString(b"ab")] * 9,
    "a-payload-past-the-header-cache": [b"a"] * 8 + [b"b" * 5000],
    "a-null": [b"a"] * 8 + [None],
    "an-int": [b"a"] * 8 + [7],
    "nested-arrays-of-bulks": [[b"a"]] * 9,
    "a-map": [b"a"] * 8 + [Map([(b"k", b"v")])],
    "a-double": [Double(b"1.5")] + [b"a"] * 8,
}


@pytest.mark.parametrize("items", LONG_ARRAYS.values(), ids=list(LONG_ARRAYS))
def test_long_arrays_encode_element_by_element(items):
    # arrays of 8+ elements take a join in C when every element is a short bulk string
    for proto in (2, 3):
        assert encode(items, proto) == b"*%d\r\n" % len(items) + b"".join(encode(i, proto) for i in items)


@pytest.mark.parametrize("bad", [True, "text", 1.5], ids=["bool", "str", "float"])
def test_long_arrays_refuse_handler_mistakes(bad):
    with pytest.raises(TypeError):
        encode([b"a"] * 8 + [bad], 2)
