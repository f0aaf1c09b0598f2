"""Client-side RESP for the conformance kit: cut whole replies out of received bytes, split aggregates,
build requests, and the escape convention of the corpus files.

kvfake.protocol parses *requests* (the server side); a conformance client needs the other direction,
so this module reads *replies*, sans-I/O: :func:`reply_end` says where the one complete reply that
starts at an offset ends (or that more bytes are needed), iteratively, so a deep or huge aggregate costs
no recursion.  It accepts every RESP2 and RESP3 type Redis 7 sends (``+ - : $ * _ , # ( ! = % ~ > |``);
an attribute (``|``) is returned together with the reply it annotates.

Escapes (corpus files, reports): printable ASCII stands for itself; backslash, CR, LF and TAB are
``\\\\ \\r \\n \\t``; every other byte is ``\\xHH``.  :func:`unescape` is the exact inverse, so any byte
string survives the round trip through JSON text.

Imports: stdlib only.  Never: socket, kvfake.store, kvfake.commands.
"""

from __future__ import annotations

import re

CRLF = b"\r\n"
CLOSED = b"<connection closed>"


class RespError(ValueError):
    """The bytes are not RESP as a Redis server sends it."""


_INT = re.compile(rb"-?[0-9]+\Z")
_SCALARS = frozenset(b"+-:,#_(")
_BLOBS = frozenset(b"$!=")
_AGGREGATES = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2, ord("|"): 2}


def _count(line: bytes, pos: int) -> int:
    if not _INT.match(line):
        raise RespError(f"bad length {line!r} at offset {pos}")
    return int(line)


def reply_end(buf, pos: int = 0) -> "int | None":
    """The offset just past the complete reply starting at ``buf[pos]``; ``None`` if ``buf`` ends first.

    Raises :class:`RespError` on bytes that cannot start or continue a reply."""
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
        start, pos = pos, eol + 2
        if kind in _SCALARS:
            if kind == 0x3A and not _INT.match(line):  # ':'
                raise RespError(f"bad integer {line!r} at offset {start}")
            owed -= 1
        elif kind in _BLOBS:
            size = _count(line, start)
            if size == -1 and kind == 0x24:  # '$-1': RESP2 null bulk
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
            count = _count(line, start)
            if count == -1 and kind == 0x2A:  # '*-1': RESP2 null array
                owed -= 1
                continue
            if count < 0:
                raise RespError(f"bad count {line!r} at offset {start}")
            owed += count * 2 if kind == 0x7C else count * _AGGREGATES[kind] - 1
        else:
            raise RespError(f"unknown reply type {bytes([kind])!r} at offset {start}")
    return pos


class ReplyReader:
    """``feed(data)`` whatever arrived; ``next_reply()`` gives one whole reply's raw bytes or ``None``."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos * 2 > len(self._buf):
            del self._buf[:self._pos]
            self._pos = 0
        self._buf += data

    def next_reply(self) -> "bytes | None":
        end = reply_end(self._buf, self._pos)
        if end is None:
            return None
        raw = bytes(self._buf[self._pos:end])
        self._pos = end
        return raw

    def pending(self) -> bytes:
        return bytes(self._buf[self._pos:])


def elements(raw: bytes) -> "tuple[bytes, list[bytes]]":
    """One aggregate reply as ``(header, [raw element, ...])``; a map's list is flat (k, v, k, v...).

    ``header + b"".join(items) == raw``.  Raises :class:`RespError` for anything else."""
    eol = raw.find(CRLF)
    if eol < 0 or raw[:1] not in (b"*", b"~", b">", b"%"):
        raise RespError(f"not an aggregate reply: {raw[:40]!r}")
    header = raw[:eol + 2]
    count = _count(raw[1:eol], 0)
    items, pos = [], eol + 2
    for _ in range(max(count, 0) * (2 if raw[:1] == b"%" else 1)):
        end = reply_end(raw, pos)
        if end is None:
            raise RespError(f"truncated aggregate: {raw[:40]!r}")
        items.append(raw[pos:end])
        pos = end
    if pos != len(raw):
        raise RespError(f"trailing bytes after an aggregate: {raw[pos:pos + 40]!r}")
    return header, items


def blob(raw: bytes) -> "bytes | None":
    """The payload of one bulk (``$``) or verbatim (``=``, format prefix kept) reply; ``None`` otherwise."""
    if raw[:1] not in (b"$", b"="):
        return None
    head, _, rest = raw.partition(CRLF)
    if not _INT.match(head[1:]) or int(head[1:]) < 0:
        return None
    return rest[:-2]


def with_blob(raw: bytes, payload: bytes) -> bytes:
    """``raw`` (a ``$`` or ``=`` reply) carrying ``payload`` instead, its length fixed."""
    return raw[:1] + b"%d\r\n" % len(payload) + payload + CRLF


def bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def encode_command(argv) -> bytes:
    """A request as a RESP multibulk (what every client library sends)."""
    out = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        out.append(b"$%d\r\n" % len(arg))
        out.append(arg)
        out.append(CRLF)
    return b"".join(out)


# -- escapes -----------------------------------------------------------------------------------------

_NAMED = {0x5C: "\\\\", 0x0D: "\\r", 0x0A: "\\n", 0x09: "\\t"}
_ESCAPE = [_NAMED.get(b, chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}") for b in range(256)]
_UNESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[\\rnt])|\\|[^\x20-\x7e]")
_UNNAMED = {"\\": 0x5C, "r": 0x0D, "n": 0x0A, "t": 0x09}


def escape(data: bytes) -> str:
    """Bytes as corpus text: printable ASCII as is, ``\\\\ \\r \\n \\t``, ``\\xHH`` for the rest."""
    return "".join([_ESCAPE[b] for b in data])


def unescape(text: str) -> bytes:
    """The inverse of :func:`escape`; raises ``ValueError`` on a stray backslash or non-ASCII text."""
    out = bytearray()
    pos = 0
    for m in _UNESCAPE.finditer(text):
        out += text[pos:m.start()].encode("ascii")
        code = m.group(1)
        if code is None:
            raise ValueError(f"bad escape or character at {m.start()} in {text[:60]!r}")
        out.append(int(code[1:], 16) if code[0] == "x" else _UNNAMED[code])
        pos = m.end()
    out += text[pos:].encode("ascii")
    return bytes(out)


def show_argv(argv) -> str:
    """A command for humans: plain words as they are, anything else quoted with escapes."""
    words = []
    for arg in argv:
        if arg and all(0x21 <= b < 0x7F and b not in b"\"'\\" for b in arg):
            words.append(arg.decode("ascii"))
        else:
            words.append('"' + escape(arg).replace('"', '\\"') + '"')
    return " ".join(words)
