"""Encode reply values (see :mod:`kvfake.protocol.replies`) as RESP2 or RESP3 bytes.

Strategy: one type-dispatch table per protocol version, keyed by ``type(value)``;
containers recurse.  Every RESP2 downgrade (map -> flat array, set -> array,
double -> bulk, bool -> integer, big number / verbatim -> bulk, null ->
``$-1``) happens here and nowhere else.

Rules:
- ``bool`` and ``str`` are refused with TypeError: a handler returning them is a
  bug (use ``Bool`` / ``bytes``), caught by unit tests rather than sent.
- Error texts are encoded as latin-1 (client bytes echoed into errors were
  decoded as latin-1, so every byte round-trips) with CR and LF replaced by
  spaces, as Redis does for formatted errors.

Imports: kvfake.protocol.replies.  Never: socket, selectors, store, commands.
"""

from __future__ import annotations

from kvfake.protocol.replies import (
    BigNumber,
    Bool,
    Double,
    ErrorReply,
    Map,
    NoReply,
    NullArray,
    Push,
    Raw,
    Set,
    SimpleString,
    Verbatim,
)

_CRLF = b"\r\n"
# Small integers are common (counts, 0/1 answers): pre-build them.
_INT_CACHE = {i: b":%d\r\n" % i for i in range(-1, 1024)}
_LEN_CACHE = {i: b"%d\r\n" % i for i in range(0, 1024)}
_BULK_HEADER = {i: b"$%d" % i for i in range(0, 4096)}


def error_bytes(text: str) -> bytes:
    """The wire form of an error reply with this text (code included)."""
    if "\r" in text or "\n" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return b"-" + data + _CRLF


def _len(n: int) -> bytes:
    cached = _LEN_CACHE.get(n)
    return cached if cached is not None else b"%d\r\n" % n


def _bytes(out: bytearray, v: bytes, proto: int) -> None:
    out += b"$"
    out += _len(len(v))
    out += v
    out += _CRLF


def _int(out: bytearray, v: int, proto: int) -> None:
    cached = _INT_CACHE.get(v)
    out += cached if cached is not None else b":%d\r\n" % v


def _none(out: bytearray, v: None, proto: int) -> None:
    out += b"_\r\n" if proto == 3 else b"$-1\r\n"


def _list(out: bytearray, v: list, proto: int) -> None:
    out += b"*"
    out += _len(len(v))
    if len(v) >= 8:
        # a long array of bulk strings (LRANGE, MGET, KEYS...): headers and payloads
        # interleaved and joined in C; anything else (a long or non-bytes element)
        # raises before ``out`` is touched and takes the loop below
        try:
            parts = [None] * (2 * len(v))
            parts[0::2] = map(_BULK_HEADER.__getitem__, map(len, v))
            parts[1::2] = v
            out += b"\r\n".join(parts)
            out += _CRLF
            return
        except (KeyError, TypeError):
            pass
    table = _TABLES[proto]
    for item in v:
        if type(item) is bytes:  # the common element (LRANGE, MGET, KEYS...)
            out += b"$%d\r\n%b\r\n" % (len(item), item)
        else:
            table[type(item)](out, item, proto)


def _simple(out: bytearray, v: SimpleString, proto: int) -> None:
    out += b"+"
    out += v.value
    out += _CRLF


def _error(out: bytearray, v: ErrorReply, proto: int) -> None:
    out += error_bytes(v.text)


def _map(out: bytearray, v: Map, proto: int) -> None:
    table = _TABLES[proto]
    if proto == 3:
        out += b"%"
        out += _len(len(v.items))
    else:
        out += b"*"
        out += _len(2 * len(v.items))
    for key, value in v.items:
        table[type(key)](out, key, proto)
        table[type(value)](out, value, proto)


def _set(out: bytearray, v: Set, proto: int) -> None:
    out += b"~" if proto == 3 else b"*"
    out += _len(len(v.items))
    table = _TABLES[proto]
    for item in v.items:
        table[type(item)](out, item, proto)


def _push(out: bytearray, v: Push, proto: int) -> None:
    out += b">" if proto == 3 else b"*"
    out += _len(len(v.items))
    table = _TABLES[proto]
    for item in v.items:
        table[type(item)](out, item, proto)


def _double(out: bytearray, v: Double, proto: int) -> None:
    if proto == 3:
        out += b","
        out += v.text
        out += _CRLF
    else:
        _bytes(out, v.text, proto)


def _bool(out: bytearray, v: Bool, proto: int) -> None:
    if proto == 3:
        out += b"#t\r\n" if v.value else b"#f\r\n"
    else:
        out += b":1\r\n" if v.value else b":0\r\n"


def _bignum(out: bytearray, v: BigNumber, proto: int) -> None:
    if proto == 3:
        out += b"(%d\r\n" % v.value
    else:
        _bytes(out, b"%d" % v.value, proto)


def _verbatim(out: bytearray, v: Verbatim, proto: int) -> None:
    if proto == 3:
        body = v.format + b":" + v.text
        out += b"="
        out += _len(len(body))
        out += body
        out += _CRLF
    else:
        _bytes(out, v.text, proto)


def _null_array(out: bytearray, v: NullArray, proto: int) -> None:
    out += b"_\r\n" if proto == 3 else b"*-1\r\n"


def _raw(out: bytearray, v: Raw, proto: int) -> None:
    out += v.data


def _no_reply(out: bytearray, v: NoReply, proto: int) -> None:
    pass


def _refuse(out: bytearray, v: object, proto: int) -> None:
    raise TypeError(f"cannot encode {type(v).__name__} as a reply: {v!r}")


class _Table(dict):
    def __missing__(self, key: type):
        # Subclasses of bytes (e.g. the store's raw-string marker) encode as bulk.
        if issubclass(key, (bool, str)):
            return _refuse
        for base, fn in list(self.items()):
            if issubclass(key, base):
                self[key] = fn
                return fn
        return _refuse


def _make_table() -> dict:
    return _Table(
        {
            bytes: _bytes,
            int: _int,
            type(None): _none,
            list: _list,
            tuple: _list,
            SimpleString: _simple,
            ErrorReply: _error,
            Map: _map,
            Set: _set,
            Push: _push,
            Double: _double,
            Bool: _bool,
            BigNumber: _bignum,
            Verbatim: _verbatim,
            NullArray: _null_array,
            Raw: _raw,
            NoReply: _no_reply,
            bool: _refuse,
            str: _refuse,
        }
    )


_TABLES = {2: _make_table(), 3: _make_table()}


def encode_into(out: bytearray, reply: object, protover: int) -> None:
    """Append the encoding of ``reply`` to ``out``."""
    _TABLES[protover][type(reply)](out, reply, protover)


def encode_many_into(out: bytearray, replies: list, protover: int) -> None:
    """Append the encodings of ``replies``, in order (a batch of pipelined replies)."""
    table = _TABLES[protover]
    for reply in replies:
        if type(reply) is bytes:  # GET, LPOP...: the commonest reply
            out += b"$%d\r\n%b\r\n" % (len(reply), reply)
        else:
            table[type(reply)](out, reply, protover)


def encode(reply: object, protover: int = 2) -> bytes:
    """Return the RESP2 (``protover=2``) or RESP3 (``protover=3``) bytes of ``reply``."""
    out = bytearray()
    _TABLES[protover][type(reply)](out, reply, protover)
    return bytes(out)
