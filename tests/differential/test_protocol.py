"""Wire protocol vs real redis-server 7.0.15: every protocol error, the limits, inline quoting, chunking.

Each case is data: the raw chunks sent (a few milliseconds apart, so each is its own write), the raw
replies redis answers, and whether redis then closes the connection. ``pair.check_raw`` asserts that
kvfake answers the same bytes and closes (or stays open) the same way; the test then pins redis's
answer, so a change in the reference shows up too. Most cases put a ``PING`` before the bad input and
another right after it in the same write: the first ``+PONG`` shows that requests before an error
stand, the missing second one shows that the server stopped reading exactly at the error.

Redis 7.0 facts pinned here (networking.c, processInlineBuffer / processMultibulkBuffer):
- a protocol error replies ``-ERR Protocol error: ...`` and closes once the reply is written;
- multibulk counts go up to INT_MAX (Redis 6 stopped at 1024*1024); ``*0`` and ``*-N`` are skipped;
- before AUTH (with requirepass) a count over 10 or a bulk length over 16384 is refused;
- header lines are found with ``strchr``: a NUL before the line end leaves the request unfinished
  (until 64 KiB pile up), and the byte after a header's CR is skipped unchecked;
- ``expected '$', got '%c'`` maps CR and LF to spaces, like every formatted error.

Imports: pytest, tests.support.resp.  Never: kvfake (the subject is reached over TCP only).
"""

from __future__ import annotations

import pytest

from tests.support.resp import NIL, OK, PONG, bulk, command, error

KIB = 1024
INLINE_MAX = 64 * KIB


def perr(text: str) -> bytes:
    """A protocol error reply as redis writes it."""
    return error("ERR Protocol error: " + text)


UNBALANCED = perr("unbalanced quotes in request")
TOO_BIG_INLINE = perr("too big inline request")
TOO_BIG_MBULK = perr("too big mbulk count string")
TOO_BIG_BULK = perr("too big bulk count string")
INVALID_MBULK = perr("invalid multibulk length")
INVALID_BULK = perr("invalid bulk length")
UNAUTH_MBULK = perr("unauthenticated multibulk length")
UNAUTH_BULK = perr("unauthenticated bulk length")
NOAUTH = error("NOAUTH Authentication required.")
PING = b"PING\r\n"


def unknown(name: bytes, *args: bytes) -> bytes:
    """Redis 7.0's unknown-command error (the name cut at 128 bytes)."""
    text = b"ERR unknown command '" + name[:128] + b"', with args beginning with: "
    text += b"".join(b"'" + a + b"' " for a in args)
    return b"-" + text + b"\r\n"


def expected_dollar(got: bytes) -> bytes:
    return b"-ERR Protocol error: expected '$', got '" + got + b"'\r\n"


# id -> (chunks sent, redis's replies, redis closed the connection)
CASES = {
    # ---------------------------------------------------------------- inline quoting
    "inline-unbalanced-double-quote": ([PING + b'SET k "v\r\n' + PING], [PONG, UNBALANCED], True),
    "inline-unbalanced-single-quote": ([PING + b"SET k 'v\r\n" + PING], [PONG, UNBALANCED], True),
    "inline-quote-then-quote": ([PING + b'ECHO "a""b"\r\n' + PING], [PONG, UNBALANCED], True),
    "inline-quote-then-letter": ([b'ECHO "a"b\r\n' + PING], [UNBALANCED], True),
    "inline-single-quote-then-letter": ([b"ECHO 'a'b\r\n" + PING], [UNBALANCED], True),
    "inline-escaped-closing-quote": ([b'ECHO "a\\"\r\n' + PING], [UNBALANCED], True),
    "inline-quote-then-tab": ([b'ECHO "a"\tb\r\n'], [error("ERR wrong number of arguments for 'echo' command")],
                              False),
    "inline-quote-mid-argument": ([b'ECHO ab"c d"\r\n'], [bulk(b"abc d")], False),
    "inline-hex-escape": ([b'ECHO "\\x41\\x42c"\r\n'], [bulk(b"ABc")], False),
    "inline-hex-escape-any-case": ([b'ECHO "\\xfF\\x00"\r\n'], [bulk(b"\xff\x00")], False),
    "inline-hex-escape-bad-digit": ([b'ECHO "\\x4g"\r\n'], [bulk(b"x4g")], False),
    "inline-hex-escape-too-short": ([b'ECHO "\\x4"\r\n'], [bulk(b"x4")], False),
    "inline-control-escapes": ([b'ECHO "\\n\\r\\t\\b\\a"\r\n'], [bulk(b"\n\r\t\b\a")], False),
    "inline-other-escapes": ([b'ECHO "\\\\\\"\\q"\r\n'], [bulk(b'\\"q')], False),
    "inline-single-quotes-literal": ([b"ECHO 'a\\nb \"c\"'\r\n"], [bulk(b'a\\nb "c"')], False),
    "inline-single-quote-escape": ([b"ECHO 'it\\'s'\r\n"], [bulk(b"it's")], False),
    "inline-empty-quotes": ([b'SET k ""\r\nGET k\r\n'], [OK, bulk(b"")], False),
    "inline-empty-lines-ignored": ([b"\r\n\n   \r\n\t\r\n" + PING], [PONG], False),
    "inline-lf-only": ([b"ECHO a\n"], [bulk(b"a")], False),
    "inline-inner-cr-is-blank": ([b"ECHO\rb\r\n"], [bulk(b"b")], False),
    "inline-vt-ff-inside-argument": ([b"ECHO a\x0bb\x0cc\r\n"], [bulk(b"a\x0bb\x0cc")], False),
    "inline-vt-ff-between-arguments": ([b"ECHO \x0b\x0ca\r\n"], [bulk(b"a")], False),
    "inline-many-spaces": ([b"  ECHO    a   \r\n"], [bulk(b"a")], False),
    "inline-star-not-first": ([b" *1\r\n"], [unknown(b"*1")], False),
    # ---------------------------------------------------------------- NUL bytes
    # strchr stops at NUL: the line never ends, later input is never read as a new request
    "inline-nul-never-ends": ([b"ECHO a\x00b\r\n", PING], [], False),
    "inline-nul-after-line": ([PING + b"\x00" + PING], [PONG], False),
    "inline-nul-in-quotes": ([b'ECHO "a\\x00b"\r\n'], [bulk(b"a\x00b")], False),
    "inline-nul-then-too-big": ([b"ECHO \x00", b"a" * INLINE_MAX], [TOO_BIG_INLINE], True),
    "multibulk-nul-in-count": ([b"*1\x00\r\n$4\r\nPING\r\n", PING], [], False),
    "multibulk-nul-in-bulk-length": ([b"*1\r\n$4\x00\r\nPING\r\n"], [], False),
    "multibulk-nul-in-payload": ([command("ECHO", b"a\x00\r\nb")], [bulk(b"a\x00\r\nb")], False),
    # ---------------------------------------------------------------- inline size limit
    "inline-too-big": ([PING + b"A" * (INLINE_MAX + 1), PING], [PONG, TOO_BIG_INLINE], True),
    "inline-too-big-in-chunks": ([b"A" * (16 * KIB)] * 5, [TOO_BIG_INLINE], True),
    "inline-at-limit-waits": ([b"A" * INLINE_MAX], [], False),
    "inline-at-limit-then-line-end": ([b"A" * INLINE_MAX, b"\r\n"], [unknown(b"A" * 128)], False),
    # A longer line whose end comes in the same burst may pass: redis checks after each read, and its
    # reads follow its query buffer's allocation (16 KiB, ~80 KiB, ~160 KiB); protocol_spec.md section 3.
    # Past ~160 KiB both refuse it.
    "inline-too-big-line-with-end": ([b"A" * (200 * KIB) + b"\r\n" + PING], [TOO_BIG_INLINE], True),
    # ---------------------------------------------------------------- multibulk count
    "mbulk-count-not-a-number": ([PING + b"*abc\r\n" + PING], [PONG, INVALID_MBULK], True),
    "mbulk-count-empty": ([b"*\r\n" + PING], [INVALID_MBULK], True),
    "mbulk-count-plus": ([b"*+1\r\n$4\r\nPING\r\n"], [INVALID_MBULK], True),
    "mbulk-count-leading-zero": ([b"*01\r\n$4\r\nPING\r\n"], [INVALID_MBULK], True),
    "mbulk-count-minus-zero": ([b"*-0\r\n" + PING], [INVALID_MBULK], True),
    "mbulk-count-space": ([b"* 1\r\n$4\r\nPING\r\n"], [INVALID_MBULK], True),
    "mbulk-count-trailing-space": ([b"*1 \r\n$4\r\nPING\r\n"], [INVALID_MBULK], True),
    "mbulk-count-over-int-max": ([b"*2147483648\r\n" + PING], [INVALID_MBULK], True),
    "mbulk-count-int64-overflow": ([b"*9223372036854775808\r\n"], [INVALID_MBULK], True),
    "mbulk-count-int-max-waits": ([b"*2147483647\r\n$4\r\nPING\r\n"], [], False),
    "mbulk-count-over-1gib-waits": ([b"*1073741825\r\n$4\r\nPING\r\n"], [], False),
    "mbulk-count-over-1mib-waits": ([b"*1048577\r\n$4\r\nPING\r\n"], [], False),
    "mbulk-count-zero-skipped": ([b"*0\r\n" + PING], [PONG], False),
    "mbulk-count-negative-skipped": ([b"*-1\r\n*-42\r\n" + PING], [PONG], False),
    "mbulk-count-string-too-big": ([b"*" + b"1" * (INLINE_MAX + 1)], [TOO_BIG_MBULK], True),
    "mbulk-count-string-at-limit-waits": ([b"*" + b"1" * (INLINE_MAX - 1)], [], False),
    # ---------------------------------------------------------------- bulk length
    "bulk-length-not-a-number": ([PING + b"*1\r\n$x\r\n" + PING], [PONG, INVALID_BULK], True),
    "bulk-length-empty": ([b"*1\r\n$\r\nPING\r\n"], [INVALID_BULK], True),
    "bulk-length-negative": ([b"*1\r\n$-1\r\n" + PING], [INVALID_BULK], True),
    "bulk-length-very-negative": ([b"*1\r\n$-99\r\n" + PING], [INVALID_BULK], True),
    "bulk-length-plus": ([b"*1\r\n$+4\r\nPING\r\n"], [INVALID_BULK], True),
    "bulk-length-leading-zero": ([b"*1\r\n$04\r\nPING\r\n"], [INVALID_BULK], True),
    "bulk-length-over-512mib": ([b"*1\r\n$536870913\r\n" + PING], [INVALID_BULK], True),
    "bulk-length-int64-overflow": ([b"*1\r\n$99999999999999999999\r\n"], [INVALID_BULK], True),
    "bulk-length-512mib-waits": ([b"*1\r\n$536870912\r\n" + PING], [], False),
    "bulk-length-second-argument": ([b"*2\r\n$4\r\nECHO\r\n$y\r\n"], [INVALID_BULK], True),
    "bulk-count-string-too-big": ([b"*1\r\n$" + b"1" * (INLINE_MAX + 1)], [TOO_BIG_BULK], True),
    # ---------------------------------------------------------------- expected '$'
    "expected-dollar-got-plus": ([PING + b"*1\r\n+PING\r\n" + PING], [PONG, expected_dollar(b"+")], True),
    "expected-dollar-got-letter": ([b"*1\r\nPING\r\n"], [expected_dollar(b"P")], True),
    "expected-dollar-got-colon": ([b"*2\r\n$4\r\nECHO\r\n:1\r\n"], [expected_dollar(b":")], True),
    "expected-dollar-got-star": ([b"*1\r\n*1\r\n$4\r\nPING\r\n"], [expected_dollar(b"*")], True),
    "expected-dollar-got-high-byte": ([b"*1\r\n\xff\r\n"], [expected_dollar(b"\xff")], True),
    "expected-dollar-got-cr-shown-as-space": ([b"*1\r\n\r\n"], [expected_dollar(b" ")], True),
    "expected-dollar-got-lf-shown-as-space": ([b"*1\r\n\n\r\n"], [expected_dollar(b" ")], True),
    # ---------------------------------------------------------------- what redis does not check
    "header-byte-after-cr-unchecked": ([b"*1\rX$4\rYPING\r\n"], [PONG], False),
    "payload-trailer-unchecked": ([b"*1\r\n$4\r\nPINGxy" + PING], [PONG, PONG], False),
    # ---------------------------------------------------------------- one command across writes
    "split-multibulk-every-part": ([b"*2\r", b"\n$4\r\nEC", b"HO\r\n$", b"3\r\nab", b"c\r", b"\n"],
                                   [bulk(b"abc")], False),
    "split-multibulk-byte-at-a-time": ([bytes([c]) for c in command("ECHO", "hi")], [bulk(b"hi")], False),
    "split-inline": ([b"EC", b'HO "a ', b'b"\r', b"\n"], [bulk(b"a b")], False),
    "split-inline-cr-lf": ([b"PING\r", b"\n"], [PONG], False),
    "split-error-across-writes": ([PING + b"*1\r\n$", b"x\r\n" + PING], [PONG, INVALID_BULK], True),
    "split-unbalanced-across-writes": ([b'ECHO "a', b" b\r\n" + PING], [UNBALANCED], True),
    "split-incomplete-stays-open": ([b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"], [], False),
    "mixed-inline-and-multibulk": ([PING + command("ECHO", "x") + b"ECHO y\r\n" + command("GET", "k")],
                                   [PONG, bulk(b"x"), bulk(b"y"), NIL], False),
}


@pytest.mark.parametrize("chunks,replies,closed", CASES.values(), ids=CASES.keys())
def test_protocol(pair, chunks, replies, closed):
    assert pair.check_raw(chunks) == (replies, closed)


# Redis 7.0 (CVE-2021-32675): before AUTH, a count over 10 or a bulk length over 16384 is refused.
AUTH = command("AUTH", "kvfake-secret")
AUTH_CASES = {
    "unauth-mbulk-11": ([b"*11\r\n$4\r\nPING\r\n"], [UNAUTH_MBULK], True),
    "unauth-mbulk-10-ok": ([b"*10\r\n" + b"$4\r\nPING\r\n" * 10], [NOAUTH], False),
    "unauth-mbulk-huge": ([b"*2147483647\r\n"], [UNAUTH_MBULK], True),
    "unauth-mbulk-invalid-first": ([b"*x\r\n"], [INVALID_MBULK], True),
    "unauth-mbulk-over-int-max": ([b"*2147483648\r\n"], [INVALID_MBULK], True),
    "unauth-mbulk-negative-skipped": ([b"*-20\r\n" + PING], [NOAUTH], False),
    "unauth-bulk-16385": ([b"*1\r\n$16385\r\n"], [UNAUTH_BULK], True),
    "unauth-bulk-16384-ok": ([b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"v" * 16384 + b"\r\n"], [NOAUTH], False),
    "unauth-bulk-invalid-first": ([b"*1\r\n$-5\r\n"], [INVALID_BULK], True),
    "unauth-bulk-over-512mib": ([b"*1\r\n$536870913\r\n"], [INVALID_BULK], True),
    "unauth-after-commands": ([PING + command("ECHO", "x") + b"*12\r\n" + PING], [NOAUTH, NOAUTH, UNAUTH_MBULK],
                              True),
    "unauth-wrong-password-still-limited": ([command("AUTH", "nope") + b"*11\r\n"],
                                            [error("WRONGPASS invalid username-password pair or user is disabled."),
                                             UNAUTH_MBULK], True),
    "unauth-inline-not-limited": ([b"PING a b c d e f g h i j k\r\n"], [NOAUTH], False),
    "unauth-inline-long-not-limited": ([b"ECHO " + b"v" * 20000 + b"\r\n"], [NOAUTH], False),
    "auth-lifts-mbulk-limit": ([AUTH + b"*11\r\n$4\r\nPING\r\n" + b"$1\r\nx\r\n" * 10],
                               [OK, error("ERR wrong number of arguments for 'ping' command")], False),
    "auth-lifts-bulk-limit": ([AUTH + command("ECHO", b"v" * 16385)], [OK, bulk(b"v" * 16385)], False),
    "auth-in-same-write-as-big-count": ([AUTH + b"*12\r\n", b"$4\r\nPING\r\n" + b"$1\r\nx\r\n" * 11],
                                        [OK, error("ERR wrong number of arguments for 'ping' command")], False),
    "auth-user-form-lifts-limit": ([command("AUTH", "default", "kvfake-secret") + b"*11\r\n$4\r\nECHO\r\n"
                                    + b"$1\r\nx\r\n" * 10],
                                   [OK, error("ERR wrong number of arguments for 'echo' command")], False),
}


@pytest.mark.parametrize("chunks,replies,closed", AUTH_CASES.values(), ids=AUTH_CASES.keys())
def test_protocol_unauthenticated_limits(auth_pair, chunks, replies, closed):
    assert auth_pair.check_raw(chunks, setup=False) == (replies, closed)


# -- the security guard: an HTTP request (POST / Host:) drops the client --------------------------------
# redis 7.0 processCommand (securityWarningCommand): a command named POST or Host: (any case, inline or
# multibulk) closes the connection at once, before the NOAUTH and MULTI checks, without a reply; replies
# to earlier requests of the same read are lost too (the client is freed before they are written).
SECURITY_CASES = {
    "post-inline": ([b"POST / HTTP/1.1\r\n"], [], True),
    "post-lower-case-alone": ([b"post\r\n"], [], True),
    "host-header": ([b"Host: example.com\r\n"], [], True),
    "host-upper-case-multibulk": ([command("HOST:", "x")], [], True),
    "post-multibulk": ([command("POST")], [], True),
    "post-quoted-inline": ([b'"POST" x\r\n'], [], True),
    "http-request-drops-earlier-replies": ([b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"], [], True),
    "pipelined-ping-reply-lost": ([PING + b"POST /\r\n" + PING], [], True),
    "ping-answered-in-an-earlier-write": ([PING, b"POST /\r\n"], [PONG], True),
    "in-multi": ([command("MULTI") + command("POST")], [], True),
    "host-without-colon-is-unknown": ([b"Host x\r\n" + PING],
                                      [error("ERR unknown command 'Host', with args beginning with: 'x' "), PONG],
                                      False),
    "postx-is-unknown": ([command("POSTX") + PING],
                         [error("ERR unknown command 'POSTX', with args beginning with: "), PONG], False),
}


@pytest.mark.parametrize("chunks,replies,closed", SECURITY_CASES.values(), ids=SECURITY_CASES.keys())
def test_security_guard(pair, chunks, replies, closed):
    assert pair.check_raw(chunks, pause=0.05) == (replies, closed)


def test_security_guard_comes_before_noauth(auth_pair):
    assert auth_pair.check_raw([PING + b"POST / HTTP/1.1\r\n"], setup=False) == ([], True)
