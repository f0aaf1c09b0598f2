"""String commands: GET SET ... (Redis group "string").

Imports: kvfake.commands.registry/context/args, kvfake.errors, kvfake.protocol.replies,
kvfake.store (types only).  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.protocol.replies import OK

group = CommandGroup("string")


@group.command("get", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_get(ctx: Context, key: bytes):
    """GET key"""
    return ctx.db.get_string(key)


@group.command("set", arity=-3, flags="write denyoom", keys=(1, 1, 1))
def cmd_set(ctx: Context, key: bytes, value: bytes, *options: bytes):
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"""
    ctx.db.lookup(key)
    ctx.db.set_value(key, value)
    return OK
