"""Run one request: table lookup, arity, auth gate, store lock, error mapping.

``Dispatcher.execute(ctx, args)`` returns a reply value; it never raises for
anything a client can send.  A ``CommandError`` becomes an error reply; any
other exception is a kvfake bug: it is logged on ``logging.getLogger("kvfake")``,
recorded in ``Dispatcher.internal_errors`` (so tests can assert there were
none) and answered with ``-ERR internal error in '<cmd>': <exception>``.

Order of checks (Redis 7.0 processCommand): unknown command, unknown
subcommand, arity, then NOAUTH; everything else is the handler's job, at
execution time.

Imports: kvfake.commands, kvfake.session, kvfake.store, kvfake.errors,
kvfake.protocol.replies, kvfake.config.  Never: socket, selectors.
"""

from __future__ import annotations

import collections
import logging
import traceback

from kvfake.commands import TABLE
from kvfake.commands.blocking import BlockingManager
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandTable
from kvfake.config import Config
from kvfake.errors import NOAUTH, CommandError, unknown_command, unknown_subcommand, wrong_arity
from kvfake.protocol.replies import ErrorReply
from kvfake.session import ClientSession
from kvfake.store import Store

log = logging.getLogger("kvfake")


class Dispatcher:
    def __init__(
        self,
        store: Store,
        *,
        table: "CommandTable | None" = None,
        server: object = None,
        config: "Config | None" = None,
    ) -> None:
        self.store = store
        self.table = table if table is not None else TABLE
        self.server = server
        self.config = config if config is not None else Config()
        self.internal_errors: list = []
        self.stat_commands = 0
        # INFO commandstats / errorstats, cleared by CONFIG RESETSTAT: fullname -> calls,
        # fullname -> calls that failed / were rejected before running, error code -> count
        self.command_calls: dict = collections.defaultdict(int)
        self.command_failed: dict = {}
        self.command_rejected: dict = {}
        self.error_counts: dict = {}
        # commands.server's per-server state (LASTSAVE, run id...), made on first use
        self.server_state: object = None
        # callables (ctx, args, reply) run after every command (journal, MONITOR...)
        self.observers: list = []
        # parked clients of blocking commands (BLPOP...), served after every command
        self.blocking = BlockingManager(store, internal_errors=self.internal_errors)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.config.values[b"requirepass"])

    def new_context(self, session: ClientSession) -> Context:
        ctx = Context(store=self.store, session=session, server=self.server, dispatcher=self)
        ctx.db = self.store.dbs[session.db]
        return ctx

    def execute(self, ctx: Context, args: list):
        """Run ``args`` for the client behind ``ctx``; return the reply value."""
        session = ctx.session
        self.stat_commands += 1
        table = self.table
        handled = False
        try:
            spec = table._cache.get(args[0]) or table.get(args[0])
            if spec is None:
                raise CommandError(unknown_command(args[0], args[1:]))
            if spec.subcommands and len(args) >= 2:
                sub = spec.subcommands.get(args[1].lower())
                if sub is None:
                    raise CommandError(unknown_subcommand(args[0].decode("latin-1"), args[1]))
                spec = sub
            arity = spec.arity
            if (len(args) != arity) if arity > 0 else (len(args) < -arity):
                raise CommandError(wrong_arity(spec.name))
            if not session.authenticated and not spec.no_auth and self.config.values[b"requirepass"]:
                raise CommandError(NOAUTH)
            session.last_command = spec.name
            store = self.store
            with store.lock:
                store.now_ms = store.clock.now_ms()
                ctx.db = store.dbs[session.db]
                handled = True
                reply = spec.handler(ctx, *args[1:])
            self.command_calls[spec.name] += 1
        except CommandError as exc:
            reply = ErrorReply(exc.text)
            self.count_error(exc.text, args, spec if handled else None)
        except Exception as exc:  # a kvfake bug: report, never kill the loop
            name = args[0].decode("latin-1", "replace").lower()
            log.exception("internal error while running %r", args[:8])
            self.internal_errors.append((args, traceback.format_exc()))
            reply = ErrorReply(f"ERR internal error in '{name}': {type(exc).__name__}: {exc}")
            self.count_error(reply.text, args, spec if handled else None)
        if self.observers:
            for observer in self.observers:
                observer(ctx, args, reply)
        if self.store.ready_keys:
            # redis 7.0 processCommand: handleClientsBlockedOnKeys after each command
            self.blocking.serve_ready()
        return reply

    def count_error(self, text: str, args: list, spec) -> None:
        """INFO errorstats / commandstats bookkeeping for one error reply.

        ``spec`` is the command that ran and failed, or None when the error came
        before it could run (unknown command, arity, NOAUTH): Redis counts the
        latter as a "rejected" call of the command, when there is one.
        """
        code = text.split(" ", 1)[0]
        self.error_counts[code] = self.error_counts.get(code, 0) + 1
        if spec is not None:
            name = spec.name
            self.command_calls[name] += 1
            self.command_failed[name] = self.command_failed.get(name, 0) + 1
            return
        spec = self.table.get(args[0])
        if spec is not None and spec.subcommands and len(args) >= 2:
            spec = spec.subcommands.get(args[1].lower())
        if spec is not None:
            self.command_rejected[spec.name] = self.command_rejected.get(spec.name, 0) + 1
