"""MONITOR: the command, and the line format every monitor receives.

A monitor is a client that sent MONITOR.  The dispatcher feeds one line per
command that *ran* (Redis 7.0 feeds from call(), after the command): commands
rejected before running (unknown, arity, NOAUTH...) and commands queued by MULTI
are not shown; inside EXEC each queued command is shown when it runs, then EXEC
itself.  Commands flagged ``admin`` (CONFIG, DEBUG, CLIENT KILL/LIST/PAUSE...,
MONITOR itself) are never shown.  The line is a status reply (also in RESP3)::

    +1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"

with the client's database *after* the command (``SELECT 1`` shows ``[1 ...]``) and
every argument quoted by :func:`quote` (Redis's sdscatrepr).  AUTH and HELLO's
AUTH clause show ``"(redacted)"`` where Redis redacts: handlers call :func:`redact`.

A monitor client may no longer touch the keyspace ("ERR Replica can't interact
with the keyspace": it is a replica to Redis), is never paused by CLIENT PAUSE, and
a second MONITOR gets no reply at all.  Delivery is the driver's job: the net layer
registers the connection in ``dispatcher.monitors`` (session id -> sink with
``session`` and ``monitor_line(line, own)``) once the +OK is written.

Imports: kvfake.commands.registry/context, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import CommandError
from kvfake.protocol.replies import NO_REPLY, OK

# -- error texts (redis 7.0.15) ----------------------------------------------

MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client"
REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace"

REDACTED = b'"(redacted)"'

group = CommandGroup("server")


def _quote_table() -> list:
    table = []
    for c in range(256):
        if c == 0x5C or c == 0x22:
            table.append(b"\\" + bytes([c]))
        elif c == 10:
            table.append(b"\\n")
        elif c == 13:
            table.append(b"\\r")
        elif c == 9:
            table.append(b"\\t")
        elif c == 7:
            table.append(b"\\a")
        elif c == 8:
            table.append(b"\\b")
        elif 0x20 <= c <= 0x7E:
            table.append(bytes([c]))
        else:
            table.append(b"\\x%02x" % c)
    return table


_QUOTE = _quote_table()
_PLAIN = frozenset(range(0x20, 0x7F)) - {0x5C, 0x22}


def quote(arg: bytes) -> bytes:
    """``arg`` in double quotes, escaped as Redis's sdscatrepr (\\n \\r \\t \\a \\b \\" \\\\ \\xhh)."""
    if _PLAIN.issuperset(arg):
        return b'"' + arg + b'"'
    table = _QUOTE
    return b'"' + b"".join([table[c] for c in arg]) + b'"'


def format_line(now_us: int, db: int, addr: str, args: list, redacted=()) -> bytes:
    """One MONITOR line, ``+`` to ``\\r\\n`` included."""
    seconds, micros = divmod(now_us, 1_000_000)
    parts = [REDACTED if i in redacted else quote(a) for i, a in enumerate(args)]
    return b"+%d.%06d [%d %s] %s\r\n" % (seconds, micros, db, addr.encode(), b" ".join(parts))


def shown(spec) -> bool:
    """Whether MONITOR shows this command (redis 7.0 call(): not for admin commands)."""
    return "admin" not in spec.flags


def touches_keyspace(spec) -> bool:
    """The commands a monitor (a replica, to Redis) may not send."""
    flags = spec.flags
    return "write" in flags or "readonly" in flags or "may_replicate" in flags


def redact(ctx: Context, *positions: int) -> None:
    """Show these arguments (argv indices, 0 = the command) as "(redacted)" to monitors."""
    dispatcher = ctx.dispatcher
    if dispatcher is not None and getattr(dispatcher, "monitors", None):
        ctx.extra["redact"] = ctx.extra.get("redact", ()) + positions


def _register(conn) -> None:
    """pending action of MONITOR: the connection becomes a sink once its +OK is out."""
    session = conn.session
    if session.monitor and not conn.closed:
        conn.loop.dispatcher.monitors[session.id] = conn


def stop(dispatcher, session) -> None:
    """Leave monitor mode (RESET, disconnect)."""
    session.monitor = False
    monitors = getattr(dispatcher, "monitors", None)
    if monitors:
        monitors.pop(session.id, None)


@group.command("monitor", arity=1, flags="admin noscript loading stale")
def cmd_monitor(ctx: Context):
    """MONITOR"""
    session = ctx.session
    if session.in_exec:
        # redis 7.0: inside EXEC (CLIENT_DENY_BLOCKING) a client expects one reply per command
        raise CommandError(MONITOR_DENY_BLOCKING)
    if session.monitor:
        return NO_REPLY  # redis 7.0.15: ignored, without a reply
    session.monitor = True
    previous = session.pending_action
    if previous is None:
        session.pending_action = _register
    else:
        def both(conn) -> None:
            previous(conn)
            _register(conn)

        session.pending_action = both
    return OK
