"""Reply values: what command handlers return, before any encoding.

Plain Python values cover the common cases: ``bytes`` -> bulk string, ``int`` ->
integer, ``None`` -> null, ``list``/``tuple`` -> array.  Everything else is one of
the small frozen classes below; :mod:`kvfake.protocol.encoder` turns any of them
into RESP2 or RESP3 bytes (the RESP2 downgrades live there and nowhere else).

Imports: nothing from kvfake.  Never: socket, selectors, store, commands.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class SimpleString:
    """``+value`` — a status reply such as OK or PONG."""

    value: bytes


@frozen
class ErrorReply:
    """``-text`` — only as an element of an array (EXEC results); otherwise raise CommandError."""

    text: str


@frozen
class Map:
    """RESP3 map (``%``); a flat array of key, value, ... in RESP2.  ``items`` is a list of pairs."""

    items: list


@frozen
class Set:
    """RESP3 set (``~``); an array in RESP2."""

    items: list


@frozen
class Double:
    """RESP3 double (``,``); a bulk string in RESP2.

    ``text`` is the Redis-formatted number (e.g. b"1.5", b"inf"): the formatting
    rules belong to the command layer, which knows which Redis formatter applies.
    """

    text: bytes


@frozen
class Bool:
    """RESP3 boolean (``#t``/``#f``); integer 1/0 in RESP2."""

    value: bool


@frozen
class BigNumber:
    """RESP3 big number (``(``); a bulk string in RESP2."""

    value: int


@frozen
class Verbatim:
    """RESP3 verbatim string (``=``, e.g. format b"txt"); a bulk string in RESP2."""

    format: bytes
    text: bytes


@frozen
class Push:
    """RESP3 push (``>``); an array in RESP2 (pub/sub messages)."""

    items: list


@frozen
class NullArray:
    """``*-1`` in RESP2 and ``_`` in RESP3 (e.g. BLPOP timeout, EXEC aborted)."""


@frozen
class Raw:
    """Bytes already encoded for the wire, sent as they are (both protocols)."""

    data: bytes


@frozen
class NoReply:
    """No bytes at all: the client is blocked, or asked for CLIENT REPLY OFF."""


OK = SimpleString(b"OK")
PONG = SimpleString(b"PONG")
QUEUED = SimpleString(b"QUEUED")
NULL_ARRAY = NullArray()
NO_REPLY = NoReply()
EMPTY_ARRAY: list = []
