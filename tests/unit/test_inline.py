"""split_inline: Redis 7.0's sdssplitargs rules for inline command lines.

Every case in SPLIT and UNBALANCED was checked against redis-server 7.0.15 over
a raw socket: SPLIT as ``RPUSH L <line>\\r\\n`` then ``LRANGE L 0 -1`` (so the
reply shows the exact argv after the prefix), the empty ones as ``<line>\\r\\n``
followed by ``PING`` (only +PONG comes back), UNBALANCED as ``<line>\\r\\n``
(reply ``-ERR Protocol error: unbalanced quotes in request`` and the connection
closed).  NUL_BYTES cannot be sent that way (Redis 7.0 finds the end of an
inline line with strchr, so a NUL before the LF leaves the request unfinished,
which the parser handles); they follow sdssplitargs, which stops at the NUL.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kvfake.errors import ProtocolError
from kvfake.protocol.inline import UNBALANCED_QUOTES, split_inline

# (id, line without its line ending, expected arguments) -- verified, see the module docstring
SPLIT = [
    ("empty", b"", []),
    ("blanks-only", b" \t\x0b\x0c ", []),
    ("plain", b"SET k v", [b"SET", b"k", b"v"]),
    ("runs-of-blanks", b"  SET \t k  v  ", [b"SET", b"k", b"v"]),
    ("cr-inside-splits", b"a\rb", [b"a", b"b"]),
    ("trailing-second-cr", b"a\r", [b"a"]),
    ("leading-vt-ff-skipped", b"\x0b\x0cSET k a", [b"SET", b"k", b"a"]),
    ("vt-inside-arg-kept", b"a\x0bb", [b"a\x0bb"]),
    ("ff-inside-arg-kept", b"a\x0cb c", [b"a\x0cb", b"c"]),
    ("vt-after-arg-kept", b"a\x0b b", [b"a\x0b", b"b"]),
    ("x1c-x1f-not-blanks", b"a\x1cb\x1d\x1e\x1f", [b"a\x1cb\x1d\x1e\x1f"]),
    ("high-bytes", b"\x80\xff", [b"\x80\xff"]),
    ("dq-simple", b'"a b"', [b"a b"]),
    ("dq-empty", b'""', [b""]),
    ("dq-two-empty", b'"" ""', [b"", b""]),
    ("dq-then-space", b'"a" ', [b"a"]),
    ("dq-then-tab", b'"a"\t', [b"a"]),
    ("dq-then-vt", b'"a"\x0bb', [b"a", b"b"]),
    ("dq-then-ff", b'"a"\x0c', [b"a"]),
    ("dq-cr-kept", b'"a\rb"', [b"a\rb"]),
    ("dq-after-prefix", b'x"a b"', [b"xa b"]),
    ("dq-in-middle", b'ab"cd"', [b"abcd"]),
    ("dq-single-quote-inside", b"\"a'b\"", [b"a'b"]),
    ("dq-escapes", b'"\\x41\\x4g\\x4\\q\\n\\r\\t\\b\\a\\"\\\\"', [b'Ax4gx4q\n\r\t\x08\x07"\\']),
    ("dq-hex-mixed-case", b'"\\xfF\\xAa"', [b"\xff\xaa"]),
    ("dq-hex-no-digits", b'"\\x"', [b"x"]),
    ("dq-hex-bad-digits", b'"\\xZZ"', [b"xZZ"]),
    ("dq-hex-one-digit", b'"\\x4"', [b"x4"]),
    ("dq-upper-x-not-hex", b'"\\X41"', [b"X41"]),
    ("dq-escaped-backslash-then-x", b'"\\\\x41"', [b"\\x41"]),
    ("sq-simple", b"'a b'", [b"a b"]),
    ("sq-empty", b"''", [b""]),
    ("sq-escaped-quote-only", b"'it\\'s \\n \\x41'", [b"it's \\n \\x41"]),
    ("sq-double-quote-inside", b"'a\"b'", [b'a"b']),
    ("sq-after-prefix", b"a'b c'", [b"ab c"]),
    ("mixed", b"SET k \"a\\x00b\" 'c d' e", [b"SET", b"k", b"a\x00b", b"c d", b"e"]),
]

# (id, line) -- verified: reply -ERR Protocol error: unbalanced quotes in request, then close
UNBALANCED = [
    ("dq-open", b'SET k "a'),
    ("sq-open", b"SET k 'a"),
    ("dq-lone", b'ECHO "'),
    ("sq-lone", b"ECHO '"),
    ("dq-followed-by-char", b'SET k "a"b'),
    ("sq-followed-by-char", b"ECHO 'a'b"),
    ("dq-followed-by-dq", b'ECHO """"'),
    ("sq-then-dq", b"ECHO 'a'\"b\""),
    ("dq-then-sq", b"ECHO \"a\"'b'"),
    ("dq-after-prefix-followed", b'SET k ab"cd"e'),
    ("dq-open-mid-arg", b'ECHO a"b'),
    ("dq-escaped-close", b'ECHO "a\\"'),
    ("dq-trailing-backslash", b'ECHO "a\\'),
    ("sq-escaped-close", b"ECHO 'a\\'"),
    ("sq-backslashes-then-escaped-close", b"ECHO '\\\\'"),
    ("escaped-dq-outside-is-literal", b'ECHO \\"a\\"'),
]

# (id, line, expected) -- not sendable inline (see the module docstring): sdssplitargs stops at NUL
NUL_BYTES = [
    ("nul-ends-line", b"SET k v\x00garbage", [b"SET", b"k", b"v"]),
    ("nul-first", b"\x00PING", []),
    ("nul-ends-arg", b"ECHO a\x00b", [b"ECHO", b"a"]),
    ("nul-in-dq-unbalanced", b'ECHO "a\x00b"', ProtocolError),
    ("nul-after-bad-quote-hidden", b'ECHO a\x00"', [b"ECHO", b"a"]),
]


@pytest.mark.parametrize("line,expected", [c[1:] for c in SPLIT], ids=[c[0] for c in SPLIT])
def test_split_inline(line, expected):
    assert split_inline(line) == expected


@pytest.mark.parametrize("line", [c[1] for c in UNBALANCED], ids=[c[0] for c in UNBALANCED])
def test_split_inline_unbalanced_quotes(line):
    with pytest.raises(ProtocolError) as info:
        split_inline(line)
    assert info.value.text == "ERR Protocol error: unbalanced quotes in request"


def test_unbalanced_text_is_redis_7_text():
    assert UNBALANCED_QUOTES == "ERR Protocol error: unbalanced quotes in request"


@pytest.mark.parametrize("line,expected", [c[1:] for c in NUL_BYTES], ids=[c[0] for c in NUL_BYTES])
def test_split_inline_nul(line, expected):
    if expected is ProtocolError:
        with pytest.raises(ProtocolError):
            split_inline(line)
    else:
        assert split_inline(line) == expected


@pytest.mark.parametrize("line", [b"SET k v", b'SET "k" v'], ids=["fast-path", "quoted"])
def test_split_inline_returns_bytes_for_bytearray_input(line):
    # the parser may slice a bytearray buffer
    args = split_inline(bytearray(line))
    assert args == [b"SET", b"k", b"v"]
    assert all(type(a) is bytes for a in args)


# -- an independent oracle: sdssplitargs walked over a NUL-terminated buffer ---------

_ISSPACE = b" \t\n\r\x0b\x0c"


def sdssplitargs(line: bytes):
    """Reference: the C walk, a pointer into ``line + NUL``; None means the error."""
    buf = bytes(line) + b"\0"
    p = 0
    out = []
    while True:
        while buf[p] and buf[p] in _ISSPACE:
            p += 1
        if not buf[p]:
            return out
        inq = insq = done = False
        cur = b""
        while not done:
            c = buf[p]
            if inq:
                if c == 92 and buf[p + 1] == 120 and _hex(buf, p + 2) and _hex(buf, p + 3):
                    cur += bytes([int(buf[p + 2 : p + 4], 16)])
                    p += 3
                elif c == 92 and buf[p + 1]:
                    p += 1
                    cur += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"a": b"\a"}.get(
                        buf[p : p + 1], buf[p : p + 1]
                    )
                elif c == 34:
                    if buf[p + 1] and buf[p + 1] not in _ISSPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur += bytes([c])
            elif insq:
                if c == 92 and buf[p + 1] == 39:
                    p += 1
                    cur += b"'"
                elif c == 39:
                    if buf[p + 1] and buf[p + 1] not in _ISSPACE:
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur += bytes([c])
            elif c in b" \n\r\t\0":
                done = True
            elif c == 34:
                inq = True
            elif c == 39:
                insq = True
            else:
                cur += bytes([c])
            if buf[p]:
                p += 1
        out.append(cur)


def _hex(buf: bytes, i: int) -> bool:
    return buf[i] in b"0123456789abcdefABCDEF"


def test_oracle_agrees_with_the_verified_tables():
    for _, line, expected in SPLIT:
        assert sdssplitargs(line) == expected
    for _, line in UNBALANCED:
        assert sdssplitargs(line) is None


# a small alphabet so quotes, escapes and blanks meet often
_LINE_BYTES = [
    b"a", b"x", b"4", b"F", b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\n", b"\0", b'"', b"'", b"\\", b"\xff",
]
_LINE = st.lists(st.sampled_from(_LINE_BYTES), max_size=24).map(b"".join)


@given(_LINE)
@example(b'"\\x4')
@example(b"a\x0b\"b\"")
def test_split_inline_matches_sdssplitargs(line):
    expected = sdssplitargs(line)
    if expected is None:
        with pytest.raises(ProtocolError):
            split_inline(line)
    else:
        assert split_inline(line) == expected


def _quote(arg: bytes) -> bytes:
    return b'"' + b"".join(b"\\x%02x" % b for b in arg) + b'"'


@given(st.lists(st.binary(max_size=8), max_size=6), st.sampled_from([b" ", b"\t", b"  \x0b"]))
def test_split_inline_round_trips_hex_quoted_args(args, sep):
    assert split_inline(sep.join(_quote(a) for a in args)) == args
