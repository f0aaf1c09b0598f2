"""The wire format, sans-I/O: request parser, inline splitter, reply values, encoder.

Imports: kvfake.protocol.*, kvfake.errors.  Never: socket, selectors, store, commands.
"""

from kvfake.protocol.encoder import encode, encode_into
from kvfake.protocol.parser import NEED_DATA, RequestParser

__all__ = ["RequestParser", "NEED_DATA", "encode", "encode_into"]
