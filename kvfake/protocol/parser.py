"""Incremental request parser: bytes in, argument lists out (sans-I/O).

Strategy (mirrors Redis 7.0's processInputBuffer, networking.c):
- ``feed(data)`` appends whatever ``recv`` returned; ``next_request()`` returns
  one request as a ``list[bytes]`` or ``NEED_DATA``.  Commands may be split at any
  byte or pipelined many per chunk; multibulk and inline requests can be mixed.
- The request type is decided by its first byte: ``*`` is multibulk, anything
  else is an inline line split by :func:`split_inline`.
- Header lines are found the way Redis finds them, with ``strchr``: a NUL byte
  before the CR (LF for inline) means "no line yet"; once more than 64 KiB sit
  in the buffer without a line, the request is "too big".  A bulk payload is
  followed by two bytes that Redis skips without checking; so do we.
- Empty requests (``*0``, ``*-1``, an empty inline line) are skipped silently.
- Redis's limits: inline line and header lines 64 KiB, multibulk count up to
  INT_MAX (7.0 grows argv dynamically), bulk length up to proto-max-bulk-len
  (512 MiB).  While ``auth_required`` is set, counts over 10 and bulk lengths over
  16384 are refused (Redis 7.0, CVE-2021-32675).
- On any violation ``ProtocolError`` is raised with Redis's exact text; the
  connection replies and closes.  Requests parsed before the error stand.
- A large bulk arriving in many chunks is collected in a list and joined once,
  so a 512 MiB argument costs linear time.

Imports: kvfake.errors, kvfake.protocol.inline.  Never: socket, selectors, store, commands.
"""

from __future__ import annotations

from kvfake.errors import ProtocolError
from kvfake.protocol.inline import split_inline

INLINE_MAX_SIZE = 64 * 1024  # PROTO_INLINE_MAX_SIZE
MAX_BULK_LEN = 512 * 1024 * 1024  # proto-max-bulk-len default
INT_MAX = 2**31 - 1
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()

_TOO_BIG_INLINE = "ERR Protocol error: too big inline request"
_TOO_BIG_MBULK = "ERR Protocol error: too big mbulk count string"
_TOO_BIG_BULK = "ERR Protocol error: too big bulk count string"
_INVALID_MBULK = "ERR Protocol error: invalid multibulk length"
_INVALID_BULK = "ERR Protocol error: invalid bulk length"
_UNAUTH_MBULK = "ERR Protocol error: unauthenticated multibulk length"
_UNAUTH_BULK = "ERR Protocol error: unauthenticated bulk length"


# Fast-path tables: the header lines of ordinary requests ("*3", "$5") map
# straight to their value; anything else (NUL bytes, odd spacing, big lengths)
# takes the careful path below, which applies every Redis rule.
_MBULK_HEADERS = {b"*%d" % i: i for i in range(1, 256)}
# next_batch: "*N" -> how many tokens of a split buffer the request takes (1 + 2N)
_MBULK_SPANS = {header: 1 + 2 * n for header, n in _MBULK_HEADERS.items()}
_BULK_HEADERS = {b"$%d" % i: i for i in range(0, 4096)}


def _string2ll(b: bytes) -> "int | None":
    """Redis string2ll: optional '-', digits, no leading zeros, int64 range."""
    if not b or len(b) > 20:
        return None
    try:
        value = int(b)
    except ValueError:
        return None
    if b"%d" % value != b or not (-(2**63) <= value < 2**63):
        return None
    return value


class RequestParser:
    """Parse a client's byte stream into requests (lists of bytes).

    >>> p = RequestParser()
    >>> p.feed(b"*1\\r\\n$4\\r\\nPING\\r\\nECHO hi\\r\\n")
    >>> p.next_request(), p.next_request(), p.next_request()
    ([b'PING'], [b'ECHO', b'hi'], NEED_DATA)
    """

    __slots__ = (
        "_buf",
        "_pos",
        "_chunks",
        "_chunks_len",
        "_need",
        "_args",
        "_argc_left",
        "_bulklen",
        "auth_required",
        "max_bulk_len",
        "_pending",
    )

    def __init__(self, *, max_bulk_len: int = MAX_BULK_LEN) -> None:
        self._buf = b""
        self._pos = 0
        self._chunks: list = []
        self._chunks_len = 0
        self._need = 0
        self._args: list = []
        self._argc_left = 0
        self._bulklen = -1
        self.auth_required = False
        self.max_bulk_len = max_bulk_len
        self._pending: list = []  # parsed requests given back by unread()

    def feed(self, data: bytes) -> None:
        """Add bytes received from the peer."""
        if type(data) is not bytes:
            data = bytes(data)
        buf = self._buf
        pos = self._pos
        if pos >= len(buf) and not self._chunks:
            self._buf = data
            self._pos = 0
            return
        if self._need:
            avail = len(buf) - pos + self._chunks_len + len(data)
            if avail < self._need:
                self._chunks.append(data)
                self._chunks_len += len(data)
                return
        self._buf = b"".join([buf[pos:], *self._chunks, data])
        self._pos = 0
        self._chunks = []
        self._chunks_len = 0

    def next_batch(self) -> "list | None":
        """Every complete, ordinary multibulk request at the front of the buffer;
        None when nothing at all is buffered.

        A fast path for pipelines: one ``split`` over the buffer, then each
        request's header tokens are looked up and its payload lengths compared.
        It stops at the first request it is not sure of (inline, NUL bytes, a
        payload holding CRLF, big lengths, unauthenticated limits...), which
        :meth:`next_request` then parses by every rule.  May return ``[]``.
        """
        if self._pending:
            batch, self._pending = self._pending, []
            return batch
        buf = self._buf
        pos = self._pos
        if pos >= len(buf) and not self._chunks:
            return None
        if self._argc_left or self.auth_required or self._chunks or len(buf) - pos > 1 << 20:
            return []
        if buf[pos] != 42:
            return []
        toks = (buf[pos:] if pos else buf).split(b"\r\n")
        last = len(toks) - 1  # the unterminated tail
        out = []
        add = out.append
        sget = _MBULK_SPANS.get
        bget = _BULK_HEADERS.get
        i = 0
        while i < last:
            span = sget(toks[i])  # tokens of the request: "*N", then N x ("$len", payload)
            if span is None:
                break
            j = i + span
            if j > last:
                break
            # each payload must be exactly as long as its header says (else it held
            # a CRLF, or the header lied): unrolled for the common 1-3 arguments
            if span == 3:
                a = toks[i + 2]
                if bget(toks[i + 1]) != len(a):
                    break
                add([a])
            elif span == 5:
                a = toks[i + 2]
                b = toks[i + 4]
                if bget(toks[i + 1]) != len(a) or bget(toks[i + 3]) != len(b):
                    break
                add([a, b])
            elif span == 7:
                a = toks[i + 2]
                b = toks[i + 4]
                c = toks[i + 6]
                if bget(toks[i + 1]) != len(a) or bget(toks[i + 3]) != len(b) or bget(toks[i + 5]) != len(c):
                    break
                add([a, b, c])
            else:
                args = toks[i + 2 : j : 2]
                for header, arg in zip(toks[i + 1 : j : 2], args):
                    if bget(header) != len(arg):
                        break
                else:
                    add(args)
                    i = j
                    continue
                break
            i = j
        if i:
            # consumed: everything but the tokens left (the unterminated tail at least)
            self._pos = len(buf) - sum(map(len, toks[i:])) - 2 * (last - i)
        return out

    def unread(self, requests: list) -> None:
        """Give back parsed requests not run yet (they come out first next time)."""
        if requests:
            self._pending = list(requests) + self._pending

    def buffered(self) -> int:
        """Bytes received but not yet consumed by a complete request."""
        return len(self._buf) - self._pos + self._chunks_len

    def next_request(self) -> "list[bytes] | _NeedData":
        """Return the next complete request, or NEED_DATA; raise ProtocolError."""
        if self._pending:
            return self._pending.pop(0)
        buf = self._buf
        pos = self._pos
        n = len(buf)
        argc_left = self._argc_left
        while True:
            if not argc_left:
                if pos >= n:
                    self._pos = pos
                    return NEED_DATA
                if buf[pos] == 42 and not self.auth_required:
                    # Fast path: a whole multibulk request with ordinary headers
                    # already in the buffer.  Falls through when unsure.
                    cr = buf.find(b"\r\n", pos, pos + 8)
                    count = _MBULK_HEADERS.get(buf[pos:cr]) if cr > 0 else None
                    if count is not None:
                        p = cr + 2
                        args = []
                        append = args.append
                        bulk = _BULK_HEADERS.get
                        for _ in range(count):
                            cr = buf.find(b"\r\n", p, p + 8)
                            if cr < 0:
                                break
                            length = bulk(buf[p:cr])
                            if length is None:
                                break
                            p = cr + 2
                            end = p + length
                            if end + 2 > n:
                                break
                            append(buf[p:end])
                            p = end + 2
                        else:
                            self._pos = pos = p
                            return args
                if buf[pos] != 42:  # not '*': inline
                    nl = buf.find(b"\n", pos)
                    if nl >= 0 and buf.find(b"\0", pos, nl) >= 0:
                        nl = -1  # strchr stops at NUL
                    if nl < 0:
                        self._pos = pos
                        if n - pos > INLINE_MAX_SIZE:
                            raise ProtocolError(_TOO_BIG_INLINE)
                        return NEED_DATA
                    end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
                    line = buf[pos:end]
                    pos = nl + 1
                    self._pos = pos
                    args = split_inline(line)  # may raise ProtocolError
                    if args:
                        return args
                    continue
                cr = buf.find(b"\r", pos)
                if cr >= 0 and buf.find(b"\0", pos, cr) >= 0:
                    cr = -1
                if cr < 0:
                    self._pos = pos
                    if n - pos > INLINE_MAX_SIZE:
                        raise ProtocolError(_TOO_BIG_MBULK)
                    return NEED_DATA
                if cr > n - 2:
                    self._pos = pos
                    return NEED_DATA
                count = _string2ll(buf[pos + 1 : cr])
                if count is None or count > INT_MAX:
                    self._pos = pos
                    raise ProtocolError(_INVALID_MBULK)
                if count > UNAUTH_MAX_MULTIBULK and self.auth_required:
                    self._pos = pos
                    raise ProtocolError(_UNAUTH_MBULK)
                pos = cr + 2
                if count <= 0:
                    continue
                argc_left = count
                self._args = []
                self._bulklen = -1
            # Read the bulk arguments of the multibulk request in progress.
            args = self._args
            bulklen = self._bulklen
            while argc_left:
                if bulklen < 0:
                    cr = buf.find(b"\r", pos)
                    if cr >= 0 and buf.find(b"\0", pos, cr) >= 0:
                        cr = -1
                    if cr < 0:
                        self._save(pos, argc_left, bulklen)
                        if n - pos > INLINE_MAX_SIZE:
                            raise ProtocolError(_TOO_BIG_BULK)
                        return NEED_DATA
                    if cr > n - 2:
                        self._save(pos, argc_left, bulklen)
                        return NEED_DATA
                    if buf[pos] != 36:  # '$'
                        self._save(pos, argc_left, bulklen)
                        got = buf[pos : pos + 1].decode("latin-1")
                        raise ProtocolError(f"ERR Protocol error: expected '$', got '{got}'")
                    length = _string2ll(buf[pos + 1 : cr])
                    if length is None or length < 0 or length > self.max_bulk_len:
                        self._save(pos, argc_left, bulklen)
                        raise ProtocolError(_INVALID_BULK)
                    if length > UNAUTH_MAX_BULK and self.auth_required:
                        self._save(pos, argc_left, bulklen)
                        raise ProtocolError(_UNAUTH_BULK)
                    pos = cr + 2
                    bulklen = length
                if n - pos < bulklen + 2:
                    self._save(pos, argc_left, bulklen)
                    self._need = bulklen + 2
                    return NEED_DATA
                args.append(buf[pos : pos + bulklen])
                pos += bulklen + 2
                bulklen = -1
                argc_left -= 1
            self._argc_left = 0
            self._bulklen = -1
            self._need = 0
            self._pos = pos
            return args

    def _save(self, pos: int, argc_left: int, bulklen: int) -> None:
        self._pos = pos
        self._argc_left = argc_left
        self._bulklen = bulklen
        self._need = 0
