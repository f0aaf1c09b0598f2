"""Connection commands: PING ECHO QUIT SELECT (HELLO AUTH CLIENT RESET to come).

Imports: kvfake.commands.registry/context/args, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import DB_INDEX_OUT_OF_RANGE, NOT_AN_INTEGER, CommandError
from kvfake.protocol.replies import OK, PONG

group = CommandGroup("connection")


@group.command("ping", arity=-1, flags="fast sentinel")
def cmd_ping(ctx: Context, *args: bytes):
    """PING [message]"""
    if len(args) > 1:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    if args:
        return args[0]
    return PONG


@group.command("echo", arity=2, flags="fast")
def cmd_echo(ctx: Context, message: bytes):
    """ECHO message"""
    return message


@group.command("quit", arity=-1, flags="allow_busy noscript loading stale fast no_auth")
def cmd_quit(ctx: Context, *args: bytes):
    """QUIT"""
    ctx.session.close_after_reply = True
    return OK


@group.command("select", arity=2, flags="loading stale fast")
def cmd_select(ctx: Context, index: bytes):
    """SELECT index"""
    try:
        n = int(index)
        if b"%d" % n != index:
            raise ValueError
    except ValueError:
        raise CommandError(NOT_AN_INTEGER) from None
    if not 0 <= n < len(ctx.store.dbs):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    ctx.select(n)
    return OK
