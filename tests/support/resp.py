"""Independent RESP2/RESP3 oracle for tests: builders of expected bytes, a reply reader, a decoder.

Tests compare raw bytes. The expected bytes are built here, by code that shares nothing with the encoder
under test, so a bug in ``kvfake.protocol`` cannot hide itself by appearing on both sides of an ``==``::

    assert h.do(b"GET", b"missing") == NIL
    assert h.do(b"SET", b"k", b"v") == simple("OK")
    assert h.do(b"MGET", b"k", b"x") == array(bulk(b"v"), NIL)

Builders return ``bytes``; aggregate builders take the raw bytes of their elements, so nesting is plain
composition: ``array(integer(1), array(bulk(b"a")))``. Text arguments (``simple``, ``error``) may be ``str``
(encoded as latin-1, so every byte 0-255 round-trips, as kvfake encodes error texts) or ``bytes``.

Reading: ``read_reply(buf, pos)`` returns the end offset of the one complete reply starting at ``pos``, or
``None`` when ``buf`` holds only part of it; ``Reader`` is the buffered, feed-as-you-go form used by sockets;
``split_replies`` cuts a byte string into whole replies. ``decode(raw)`` turns one reply into a Python value
for model-based tests (see ``decode`` for the mapping).

Imports: stdlib only.  Never: anything from kvfake (this module is the independent oracle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

__all__ = [
    "NIL", "NIL_ARRAY", "EMPTY_ARRAY", "OK", "PONG", "QUEUED",
    "simple", "error", "integer", "bulk", "array",
    "null", "double", "boolean", "map_", "set_", "push", "verbatim", "bignum",
    "command", "inline",
    "RespError", "read_reply", "Reader", "split_replies", "elements",
    "decode", "Err", "Simple", "Push", "Verbatim", "BigNumber",
]

CRLF = b"\r\n"

Text = Union[str, bytes]
Arg = Union[str, bytes, int]


# --------------------------------------------------------------------------- builders (RESP2)

def _text(value: Text, what: str) -> bytes:
    data = value.encode("latin-1") if isinstance(value, str) else bytes(value)
    if b"\r" in data or b"\n" in data:
        raise ValueError(f"a {what} cannot contain CR or LF: {data!r}")
    return data


def simple(text: Text) -> bytes:
    """``+text\\r\\n``: a status reply, e.g. ``simple("OK")``."""
    return b"+" + _text(text, "simple string") + CRLF


def error(text: Text) -> bytes:
    """``-text\\r\\n``: the full text including its code, e.g. ``error("ERR syntax error")``."""
    return b"-" + _text(text, "error") + CRLF


def integer(n: int) -> bytes:
    """``:n\\r\\n``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"integer() takes an int, not {type(n).__name__}")
    return b":%d\r\n" % n


def bulk(data: Union[bytes, str]) -> bytes:
    """``$len\\r\\ndata\\r\\n``; a ``str`` is encoded as UTF-8 (what redis-py sends for ``str``)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"bulk() takes bytes or str, not {type(data).__name__}")
    data = bytes(data)
    return b"$%d\r\n" % len(data) + data + CRLF


def _aggregate(marker: bytes, items: Iterable[bytes]) -> bytes:
    items = list(items)
    for item in items:
        if not isinstance(item, (bytes, bytearray)):
            raise TypeError(f"aggregate elements must be raw reply bytes, got {item!r}")
    return marker + b"%d\r\n" % len(items) + b"".join(items)


def array(*items: bytes) -> bytes:
    """``*N\\r\\n`` followed by the items, which are raw reply bytes already."""
    return _aggregate(b"*", items)


NIL = b"$-1\r\n"          # RESP2 null bulk string (GET of a missing key)
NIL_ARRAY = b"*-1\r\n"    # RESP2 null array (BLPOP timeout, EXEC after a WATCH abort)
EMPTY_ARRAY = b"*0\r\n"
OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
QUEUED = b"+QUEUED\r\n"


# --------------------------------------------------------------------------- builders (RESP3)

def null() -> bytes:
    """RESP3 null: ``_\\r\\n``."""
    return b"_\r\n"


def double(text: Text) -> bytes:
    """RESP3 double ``,text\\r\\n``. Takes the exact text Redis prints (``"1.5"``, ``"inf"``,
    ``"0.10000000000000001"``): floats are refused so that no test guesses Redis's formatting."""
    if not isinstance(text, (str, bytes)):
        raise TypeError("double() takes the exact text, e.g. double('1.5'), not a number")
    return b"," + _text(text, "double") + CRLF


def boolean(value: bool) -> bytes:
    """RESP3 boolean: ``#t\\r\\n`` / ``#f\\r\\n``."""
    if not isinstance(value, bool):
        raise TypeError("boolean() takes a bool")
    return b"#t\r\n" if value else b"#f\r\n"


def map_(*pairs: tuple[bytes, bytes]) -> bytes:
    """RESP3 map ``%N\\r\\n``; each argument is a ``(key_raw, value_raw)`` pair."""
    flat = []
    for pair in pairs:
        key, value = pair
        flat += [key, value]
    for item in flat:
        if not isinstance(item, (bytes, bytearray)):
            raise TypeError(f"map elements must be raw reply bytes, got {item!r}")
    return b"%%%d\r\n" % len(pairs) + b"".join(flat)


def set_(*items: bytes) -> bytes:
    """RESP3 set ``~N\\r\\n``."""
    return _aggregate(b"~", items)


def push(*items: bytes) -> bytes:
    """RESP3 push ``>N\\r\\n`` (pub/sub messages, invalidations)."""
    return _aggregate(b">", items)


def verbatim(fmt: Text, text: Union[bytes, str]) -> bytes:
    """RESP3 verbatim string ``=len\\r\\nfmt:text\\r\\n``; ``fmt`` is three bytes (``"txt"``, ``"mkd"``)."""
    fmt_b = fmt.encode("latin-1") if isinstance(fmt, str) else bytes(fmt)
    if len(fmt_b) != 3:
        raise ValueError(f"verbatim format must be 3 bytes, got {fmt_b!r}")
    body = fmt_b + b":" + (text.encode("utf-8") if isinstance(text, str) else bytes(text))
    return b"=%d\r\n" % len(body) + body + CRLF


def bignum(n: Union[int, str]) -> bytes:
    """RESP3 big number ``(n\\r\\n``."""
    if isinstance(n, bool):
        raise TypeError("bignum() takes an int")
    return b"(" + (b"%d" % n if isinstance(n, int) else _text(n, "big number")) + CRLF


# --------------------------------------------------------------------------- requests

def _arg(arg: Arg) -> bytes:
    if isinstance(arg, bool):
        raise TypeError("bool is not a Redis argument")
    if isinstance(arg, int):
        return b"%d" % arg
    if isinstance(arg, str):
        return arg.encode("utf-8")
    return bytes(arg)


def command(*args: Arg) -> bytes:
    """Encode one request as a RESP2 multibulk: ``command("SET", "k", b"v")``.

    ``str`` is encoded as UTF-8, ``int`` as its decimal text. A single list/tuple argument is unpacked, so
    ``command(["GET", "k"])`` works with scripts stored as data.
    """
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    parts = [_arg(a) for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def inline(*args: Arg) -> bytes:
    """Encode one request as an inline command line (no quoting: args must not contain spaces)."""
    parts = [_arg(a) for a in args]
    for p in parts:
        if not p or any(c in p for c in b" \t\r\n\"'"):
            raise ValueError(f"inline() does no quoting; {p!r} needs it")
    return b" ".join(parts) + CRLF


# --------------------------------------------------------------------------- reader

class RespError(ValueError):
    """The bytes are not valid RESP (as Redis sends it)."""


_INT_RE = re.compile(rb"-?[0-9]+\Z")
_SCALARS = frozenset(b"+-:,#_(")
_BLOBS = frozenset(b"$!=")
_AGGREGATES = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2, ord("|"): 2}


def _length(line: bytes, pos: int) -> int:
    if not _INT_RE.match(line):
        raise RespError(f"bad length {line!r} at offset {pos}")
    return int(line)


def read_reply(buf: bytes, pos: int = 0) -> int | None:
    """Return the offset just past the one complete reply starting at ``buf[pos]``, or ``None`` if
    ``buf`` ends before the reply does. Raises ``RespError`` on bytes that are not RESP.

    Iterative (a count of elements still owed), so deep or huge aggregates cost no recursion. An
    attribute (``|N``) owes its ``2N`` elements *plus* the reply it annotates, so it is returned
    together with that reply.
    """
    owed = 1
    n = len(buf)
    while owed:
        if pos >= n:
            return None
        eol = buf.find(CRLF, pos)
        if eol < 0:
            return None
        kind = buf[pos]
        line = bytes(buf[pos + 1:eol])
        start = pos
        pos = eol + 2
        if kind in _SCALARS:
            if kind == ord(":") and not _INT_RE.match(line):
                raise RespError(f"bad integer {line!r} at offset {start}")
            if kind == ord("#") and line not in (b"t", b"f"):
                raise RespError(f"bad boolean {line!r} at offset {start}")
            if kind == ord("_") and line:
                raise RespError(f"bad null {line!r} at offset {start}")
            owed -= 1
        elif kind in _BLOBS:
            size = _length(line, start)
            if size == -1 and kind == ord("$"):
                owed -= 1
                continue
            if size < 0:
                raise RespError(f"bad length {line!r} at offset {start}")
            if n < pos + size + 2:
                return None
            if buf[pos + size:pos + size + 2] != CRLF:
                raise RespError(f"blob at offset {start} is not followed by CRLF")
            pos += size + 2
            owed -= 1
        elif kind in _AGGREGATES:
            count = _length(line, start)
            if count == -1 and kind == ord("*"):
                owed -= 1
                continue
            if count < 0:
                raise RespError(f"bad count {line!r} at offset {start}")
            if kind == ord("|"):
                owed += count * 2          # the annotated reply is still owed
            else:
                owed += count * _AGGREGATES[kind] - 1
        else:
            raise RespError(f"unknown reply type byte {bytes([kind])!r} at offset {start}")
    return pos


def split_replies(buf: bytes) -> tuple[list[bytes], bytes]:
    """Cut ``buf`` into whole replies; return ``(replies, incomplete_tail)``."""
    replies, pos = [], 0
    while True:
        end = read_reply(buf, pos)
        if end is None:
            return replies, bytes(buf[pos:])
        replies.append(bytes(buf[pos:end]))
        pos = end


class Reader:
    """Buffered reader: ``feed(data)`` whatever arrived, ``get()`` one whole reply's raw bytes or ``None``."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos * 2 > len(self._buf):
            del self._buf[:self._pos]
            self._pos = 0
        self._buf += data

    def get(self) -> bytes | None:
        end = read_reply(self._buf, self._pos)
        if end is None:
            return None
        raw = bytes(self._buf[self._pos:end])
        self._pos = end
        return raw

    def pending(self) -> bytes:
        """The bytes received but not yet returned by ``get()``."""
        return bytes(self._buf[self._pos:])


def elements(raw: bytes) -> tuple[bytes, list[bytes]]:
    """Split one aggregate reply into ``(header, [element raw bytes])``; for a map the list is flat
    (key, value, key, value...). ``header + b"".join(elements) == raw``. Used by normalisers."""
    eol = raw.find(CRLF)
    if eol < 0 or raw[:1] not in (b"*", b"~", b">", b"%"):
        raise RespError(f"not an aggregate reply: {raw[:40]!r}")
    header = raw[:eol + 2]
    count = _length(raw[1:eol], 0)
    items, pos = [], eol + 2
    for _ in range(max(count, 0) * (2 if raw[:1] == b"%" else 1)):
        end = read_reply(raw, pos)
        if end is None:
            raise RespError(f"truncated aggregate: {raw[:40]!r}")
        items.append(raw[pos:end])
        pos = end
    if pos != len(raw):
        raise RespError(f"trailing bytes after aggregate: {raw[pos:pos + 40]!r}")
    return header, items


# --------------------------------------------------------------------------- decoding

@dataclass(frozen=True)
class Err:
    """An error reply (``-`` or RESP3 ``!``); ``text`` is the full text with its code."""

    text: str

    @property
    def code(self) -> str:
        return self.text.split(" ", 1)[0]


class Simple(bytes):
    """A simple-string reply. Equal to the plain bytes (``Simple(b"OK") == b"OK"``) but distinguishable
    by type from a bulk string."""

    def __repr__(self) -> str:
        return f"Simple({bytes(self)!r})"


class Push(list):
    """A RESP3 push message (a list)."""

    def __repr__(self) -> str:
        return f"Push({list(self)!r})"


class BigNumber(int):
    """A RESP3 big number (an int)."""

    def __repr__(self) -> str:
        return f"BigNumber({int(self)})"


@dataclass(frozen=True)
class Verbatim:
    """A RESP3 verbatim string."""

    format: bytes
    text: bytes


def decode(raw: bytes):
    """Decode exactly one reply into a Python value:

    ``+`` → ``Simple`` (a bytes subclass, == the plain bytes), ``-``/``!`` → ``Err(text)``, ``:`` → ``int``,
    ``$`` → ``bytes``, ``$-1``/``*-1``/``_`` → ``None``, ``*`` → ``list``, ``~`` → ``set`` (of hashable
    values), ``%`` → ``dict``, ``>`` → ``Push`` (a list), ``,`` → ``float``, ``#`` → ``bool``,
    ``(`` → ``BigNumber`` (an int), ``=`` → ``Verbatim``; an attribute ``|`` is skipped (the annotated reply
    is returned). Lists used as set members or map keys become tuples.
    """
    raw = bytes(raw)
    end = read_reply(raw, 0)
    if end is None:
        raise RespError(f"incomplete reply: {raw[:60]!r}")
    if end != len(raw):
        raise RespError(f"trailing bytes after one reply: {raw[end:end + 60]!r}")
    value, pos = _decode_at(raw, 0)
    assert pos == end
    return value


def _hashable(v):
    return tuple(_hashable(x) for x in v) if isinstance(v, list) else v


def _decode_at(raw: bytes, pos: int):
    eol = raw.index(CRLF, pos)
    kind, line, nxt = raw[pos:pos + 1], raw[pos + 1:eol], eol + 2
    if kind == b"+":
        return Simple(line), nxt
    if kind == b"-":
        return Err(line.decode("latin-1")), nxt
    if kind == b":":
        return int(line), nxt
    if kind == b"(":
        return BigNumber(int(line)), nxt
    if kind == b",":
        return float(line), nxt
    if kind == b"#":
        return line == b"t", nxt
    if kind == b"_":
        return None, nxt
    if kind in (b"$", b"!", b"="):
        size = int(line)
        if size == -1:
            return None, nxt
        data = raw[nxt:nxt + size]
        if kind == b"!":
            return Err(data.decode("latin-1")), nxt + size + 2
        if kind == b"=":
            return Verbatim(data[:3], data[4:]), nxt + size + 2
        return data, nxt + size + 2
    count = int(line)
    if count == -1:
        return None, nxt
    if kind == b"|":
        for _ in range(count * 2):
            _, nxt = _decode_at(raw, nxt)
        return _decode_at(raw, nxt)
    items = []
    for _ in range(count * (2 if kind == b"%" else 1)):
        item, nxt = _decode_at(raw, nxt)
        items.append(item)
    if kind == b"*":
        return items, nxt
    if kind == b">":
        return Push(items), nxt
    if kind == b"~":
        return {_hashable(x) for x in items}, nxt
    return {_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)}, nxt
