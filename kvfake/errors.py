"""Exception types and the Redis 7 error texts shared by several modules.

Every text carries its error code explicitly ("ERR ...", "WRONGTYPE ...");
nothing downstream adds a prefix.  Texts are byte-exact to redis-server 7.0.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations


class KvfakeError(Exception):
    """Base class; raised to Python callers for misuse of the API."""


class ProtocolError(KvfakeError):
    """The peer sent bytes Redis rejects; the connection closes after the reply.

    ``text`` is the full error text, e.g. ``"ERR Protocol error: invalid bulk length"``.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class CommandError(KvfakeError):
    """A command failed; the client gets ``-<text>`` and the connection stays open."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class WrongTypeError(CommandError):
    def __init__(self) -> None:
        super().__init__(WRONG_TYPE)


# -- shared texts (Redis 7.0 wording) ---------------------------------------

WRONG_TYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_AN_INTEGER = "ERR value is not an integer or out of range"
NOT_A_FLOAT = "ERR value is not a valid float"
SYNTAX_ERROR = "ERR syntax error"
NO_SUCH_KEY = "ERR no such key"
INCR_OVERFLOW = "ERR increment or decrement would overflow"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
NOAUTH = "NOAUTH Authentication required."
WRONG_PASS = "WRONGPASS invalid username-password pair or user is disabled."
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
OUT_OF_RANGE_POSITIVE = "ERR value is out of range, must be positive"
NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity"
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
MIN_MAX_NOT_VALID_STRING = "ERR min or max not valid string range item"
INDEX_OUT_OF_RANGE = "ERR index out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
INVALID_CURSOR = "ERR invalid cursor"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"


def wrong_arity(fullname: str) -> str:
    return f"ERR wrong number of arguments for '{fullname}' command"


def invalid_expire(fullname: str) -> str:
    return f"ERR invalid expire time in '{fullname}' command"


def _cstr(b: bytes, limit: int) -> str:
    """Redis's '%.<limit>s' of an sds: stops at NUL, at most ``limit`` bytes."""
    nul = b.find(b"\0")
    if nul >= 0:
        b = b[:nul]
    return b[:limit].decode("latin-1")


def unknown_command(name: bytes, args: "list[bytes] | tuple[bytes, ...]") -> str:
    """Redis 7.0 ``unknown command '%.128s', with args beginning with: 'a' 'b' ``.

    Arguments are appended while the text stays under 128 bytes of args, as
    Redis's processCommand does (each arg '%.*s' truncated to the space left).
    """
    text = f"ERR unknown command '{_cstr(name, 128)}', with args beginning with: "
    remaining = 128
    parts = []
    for arg in args:
        if remaining <= 0:
            break
        piece = _cstr(arg, remaining)
        parts.append(f"'{piece}' ")
        remaining -= len(piece) + 3
    return text + "".join(parts)


def unknown_subcommand(container: str, sub: bytes) -> str:
    return (
        f"ERR unknown subcommand '{_cstr(sub, 128)}'. Try {container.upper()} HELP."
    )
