"""kvfake: a Redis-compatible in-memory server in pure Python, for tests.

Public API: Server, RealServer, Journal, JournalEntry, ANY, Glob, Store, Clock, SystemClock,
ManualClock and the error types.
Imports: kvfake.net.server, kvfake.net.real, kvfake.journal, kvfake.store, kvfake.clock, kvfake.errors.
"""

from kvfake.clock import Clock, ManualClock, SystemClock
from kvfake.errors import CommandError, KvfakeError, ProtocolError, WrongTypeError
from kvfake.journal import ANY, Glob, Journal, JournalEntry
from kvfake.net.real import RealServer
from kvfake.net.server import Server
from kvfake.store import Store

__version__ = "0.1.0"

__all__ = [
    "Server",
    "RealServer",
    "Journal",
    "JournalEntry",
    "ANY",
    "Glob",
    "Store",
    "Clock",
    "SystemClock",
    "ManualClock",
    "KvfakeError",
    "ProtocolError",
    "CommandError",
    "WrongTypeError",
    "__version__",
]
