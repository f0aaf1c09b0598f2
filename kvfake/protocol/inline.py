"""Split one inline command line into arguments, as Redis 7.0's ``sdssplitargs``.

An inline request is a line typed into telnet or nc.  The parser cuts it at the
first LF and drops one CR before it; :func:`split_inline` turns the rest into
``list[bytes]``.  Rules (each pinned by a case in tests/unit/test_inline.py that
was checked against redis-server 7.0.15 over a raw socket):

- The line is a C string to Redis: a NUL byte ends it.  (In practice the parser
  never hands one over: Redis 7.0 looks for the LF with ``strchr``, so a NUL
  before the LF leaves the request unfinished until the 64 KiB inline limit.)
- Blanks *between* arguments are the C ``isspace`` set: space, TAB, LF, VT, FF,
  CR.  Inside an unquoted argument only space, TAB, LF and CR end it; VT and FF
  are ordinary bytes there (``a\\vb`` is one argument).  0x1c-0x1f are never
  blanks.
- ``"double quotes"`` may start anywhere in an argument (``ab"c d"`` is
  ``abc d``).  Inside them: ``\\xHH`` (exactly two hex digits, either case) is
  that byte; ``\\n \\r \\t \\b \\a`` are the control bytes; a backslash before any
  other byte yields that byte (``\\x4g`` -> ``x4g``, ``\\"`` -> ``"``).
- ``'single quotes'`` likewise; inside them only ``\\'`` is an escape, every
  other backslash is literal.
- A closing quote must be followed by a blank (the full ``isspace`` set) or the
  end of the line; a quote left open, or a closing quote followed by anything
  else, is the protocol error below, after which Redis closes the connection.
- An empty or all-blank line gives ``[]`` (the parser skips it silently).

Strategy: a line without quotes, VT, FF or NUL splits exactly like
``bytes.split()`` (whose separators are b" \\t\\n\\r\\x0b\\x0c"), which is the fast
path for the common case; everything else goes through a byte-at-a-time scan.

Imports: kvfake.errors.  Never: socket, selectors, store, commands.
"""

from __future__ import annotations

import re

from kvfake.errors import ProtocolError

# redis 7.0.15: reply "-ERR Protocol error: unbalanced quotes in request", then close.
UNBALANCED_QUOTES = "ERR Protocol error: unbalanced quotes in request"

_BLANKS = frozenset(b" \t\n\r\x0b\x0c")  # C isspace() in the "C" locale
_TOKEN_END = frozenset(b" \t\n\r")  # what ends an unquoted argument
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_needs_slow_path = re.compile(b"[\"'\x0b\x0c\x00]").search  # quotes, VT, FF, NUL
_DQUOTE, _SQUOTE, _BACKSLASH = ord('"'), ord("'"), ord("\\")


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline request line (without its line ending) like ``sdssplitargs``.

    >>> split_inline(b'SET k "a\\\\x41 b"')
    [b'SET', b'k', b'aA b']

    Raises :class:`~kvfake.errors.ProtocolError` on unbalanced quotes.
    """
    if type(line) is not bytes:  # the parser may hand over a bytearray slice
        line = bytes(line)
    if _needs_slow_path(line) is None:
        return line.split()
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    return _split_slow(line)


def _split_slow(line: bytes) -> list[bytes]:
    n = len(line)
    i = 0
    args: list[bytes] = []
    while True:
        while i < n and line[i] in _BLANKS:
            i += 1
        if i == n:
            return args
        cur = bytearray()
        while i < n:  # one argument
            c = line[i]
            if c in _TOKEN_END:
                break
            if c == _DQUOTE:
                i = _double_quoted(line, i + 1, cur)
                break  # a closing quote ends the argument (even before VT or FF)
            if c == _SQUOTE:
                i = _single_quoted(line, i + 1, cur)
                break
            cur.append(c)
            i += 1
        args.append(bytes(cur))


def _after_closing_quote(line: bytes, i: int) -> int:
    """``i`` is just past a closing quote: it must be followed by a blank or the end."""
    if i < len(line) and line[i] not in _BLANKS:
        raise ProtocolError(UNBALANCED_QUOTES)
    return i


def _double_quoted(line: bytes, i: int, cur: bytearray) -> int:
    n = len(line)
    while i < n:
        c = line[i]
        if c == _BACKSLASH and i + 1 < n:
            nxt = line[i + 1]
            if nxt == 0x78 and i + 3 < n and line[i + 2] in _HEX and line[i + 3] in _HEX:  # \xHH
                cur.append(int(line[i + 2 : i + 4], 16))
                i += 4
            else:
                cur.append(_ESCAPES.get(nxt, nxt))
                i += 2
        elif c == _DQUOTE:
            return _after_closing_quote(line, i + 1)
        else:
            cur.append(c)
            i += 1
    raise ProtocolError(UNBALANCED_QUOTES)


def _single_quoted(line: bytes, i: int, cur: bytearray) -> int:
    n = len(line)
    while i < n:
        c = line[i]
        if c == _BACKSLASH and i + 1 < n and line[i + 1] == _SQUOTE:
            cur.append(_SQUOTE)
            i += 2
        elif c == _SQUOTE:
            return _after_closing_quote(line, i + 1)
        else:
            cur.append(c)
            i += 1
    raise ProtocolError(UNBALANCED_QUOTES)
