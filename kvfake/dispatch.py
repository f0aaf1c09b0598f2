"""Run one request: table lookup, arity, auth gate, store lock, error mapping.

``Dispatcher.execute(ctx, args)`` returns a reply value; it never raises for
anything a client can send.  A ``CommandError`` becomes an error reply; any
other exception is a kvfake bug: it is logged on ``logging.getLogger("kvfake")``,
recorded in ``Dispatcher.internal_errors`` (so tests can assert there were
none) and answered with ``-ERR internal error in '<cmd>': <exception>``.

Order of checks (Redis 7.0 processCommand): unknown command (``POST`` and
``Host:`` close the client instead: commands.instance.security_warning), unknown
subcommand, arity, then NOAUTH; everything else is the handler's job, at
execution time.  Then, only for a client in MULTI or MONITOR mode or while
CLIENT PAUSE is in force (one test on the hot path): "not allowed inside a
transaction", a monitor touching the keyspace, the pause (the command is
*postponed*: ``execute`` answers :data:`POSTPONED` and the driver runs it again
once ``unpause`` calls its ``unpaused()``), then MULTI queueing (+QUEUED).  A
command rejected while in MULTI flags the transaction (EXECABORT).  EXEC runs
its queue through :meth:`Dispatcher.call`.  MONITOR lines are fed after every
command that ran (not rejected, not queued): ``monitors`` maps session ids to
sinks the driver registered.

Imports: kvfake.commands, kvfake.session, kvfake.store, kvfake.errors,
kvfake.protocol.replies, kvfake.protocol.encoder (EXEC's HELLO case), kvfake.config.
Never: socket, selectors.
"""

from __future__ import annotations

import collections
import logging
import traceback

from kvfake.commands import TABLE, monitor, transactions
from kvfake.commands import pubsub
from kvfake.commands import instance
from kvfake.commands.blocking import BlockingManager
from kvfake.commands.connection import PAUSE_ALL
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandTable
from kvfake.config import Config
from kvfake.errors import NOAUTH, CommandError, unknown_command, unknown_subcommand, wrong_arity
from kvfake.protocol.encoder import encode
from kvfake.protocol.replies import ErrorReply, Raw
from kvfake.session import ClientSession
from kvfake.store import Store

log = logging.getLogger("kvfake")


class Postponed:
    """``execute``'s answer for a command CLIENT PAUSE holds (see the module docstring)."""

    __slots__ = ()


POSTPONED = Postponed()


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
        # callables (ctx, args, reply) run after every command (client tracking...)
        self.observers: list = []
        # callables (ctx, requests, replies) run once per run of one client's commands:
        # one command through ``execute``, or a batch through ``execute_batch`` (the journal)
        self.recorders: list = []
        # parked clients of blocking commands (BLPOP...), served after every command
        self.blocking = BlockingManager(store, internal_errors=self.internal_errors)
        # pub/sub, keyspace events, client tracking: the store's broker (an observer while
        # tracking is in use)
        self.pubsub = pubsub.PubSub.attach(self)
        # MONITOR: session id -> sink (``session``, ``monitor_line(line, own)``)
        self.monitors: dict = {}
        # CLIENT PAUSE: kind (0 = none), end (ms, store clock), postponed clients
        # (session id -> waiter with ``unpaused()``), whether a wake-up timer is armed
        self.pause_type = 0
        self.pause_end_ms = 0
        self.postponed: dict = {}
        self._pause_timer = False

    @property
    def auth_enabled(self) -> bool:
        return bool(self.config.values[b"requirepass"])

    def new_context(self, session: ClientSession) -> Context:
        ctx = Context(store=self.store, session=session, server=self.server, dispatcher=self)
        ctx.db = self.store.dbs[session.db]
        self.pubsub.contexts[session.id] = ctx  # pushes to any client (tracking redirects)
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
                if args[0].lower() in instance.SECURITY_WARNING_COMMANDS:
                    # redis 7.0: an HTTP request (POST / Host:) drops the client, before any check
                    return instance.security_warning(session)
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
            reply = None
            if session.multi is not None or session.monitor or self.pause_type or session.pubsub is not None:
                reply = self._before_run(session, spec, args)  # +QUEUED, POSTPONED or None
                if reply is POSTPONED:
                    self.stat_commands -= 1  # counted when it runs
                    return reply
            session.last_command = spec.name
            if reply is None:
                store = self.store
                with store.lock:
                    store.now_ms = store.clock.now_ms()
                    ctx.db = store.dbs[session.db]
                    handled = True
                    reply = spec.handler(ctx, *args[1:])
                self.command_calls[spec.name] += 1
        except CommandError as exc:
            text = exc.text
            if not handled:
                if spec is not None and spec.name == "exec":
                    # redis 7.0 rejectCommand on EXEC itself (execCommandAbort): the
                    # transaction is discarded, the error wrapped, and MONITOR shows it
                    text = transactions.exec_abort(self.store, session, text)
                    if self.monitors:
                        self.feed_monitors(ctx, args)
                elif session.multi is not None:
                    session.multi_error = True  # redis flagTransaction: EXEC will abort
            reply = ErrorReply(text)
            self.count_error(text, args, spec if handled else None)
        except Exception as exc:  # a kvfake bug: report, never kill the loop
            name = args[0].decode("latin-1", "replace").lower()
            reply = self._internal_error(exc, name, args, spec if handled else None)
        if handled and self.monitors and monitor.shown(spec):
            self.feed_monitors(ctx, args)
        if self.observers:
            for observer in self.observers:
                observer(ctx, args, reply)
        if self.recorders:
            for recorder in self.recorders:
                recorder(ctx, (args,), (reply,))
        if self.store.ready_keys:
            # redis 7.0 processCommand: handleClientsBlockedOnKeys after each command
            self.blocking.serve_ready()
        return reply

    def plain(self, session) -> bool:
        """May this client's next commands take the fast lane (:meth:`execute_batch`)?

        True while nothing the full :meth:`execute` checks for applies: the client
        is authenticated (or no password is set), not in MULTI, not a monitor, not
        subscribed, not tracking, replies on, nothing pending; no CLIENT PAUSE and
        no MONITOR anywhere.  Fast commands never change any of it, so a caller
        re-asks only after running a command through :meth:`execute`.
        """
        return (
            session.multi is None
            and not session.monitor
            and session.pubsub is None
            and session.tracking is None
            and session.reply_mode == "on"
            and not session.skip_next_reply
            and session.pending_action is None
            and (session.authenticated or not self.config.values[b"requirepass"])
            and not self.pause_type
            and not self.monitors
        )

    def execute_batch(self, ctx: Context, batch: list, start: int, replies: list) -> int:
        """Run ``batch[start:]`` while its requests are ``fast`` commands with the right
        arity, for a client :meth:`plain` said yes to; append their replies to
        ``replies`` and return the index of the first request not run (the caller
        takes it through :meth:`execute`).

        :meth:`execute`'s effects with fewer questions, and once per batch what may
        be done once: one store-lock hold, one clock reading (``store.now_ms``; a
        pipelined batch runs in microseconds), the table lookups.  Fast commands
        never change what :meth:`plain` looks at, never block nor get postponed.
        """
        session = ctx.session
        store = self.store
        table = self.table
        spec_of = table._cache.get
        calls = self.command_calls
        observers = self.observers
        add = replies.append
        i = start
        n = len(batch)
        with store.lock:
            store.now_ms = store.clock.now_ms()
            ctx.db = store.dbs[session.db]
            while i < n:
                args = batch[i]
                spec = spec_of(args[0]) or table.get(args[0])  # get() fills the cache
                if spec is None or not spec.fast:
                    break
                arity = spec.arity
                if (len(args) != arity) if arity > 0 else (len(args) < -arity):
                    break
                try:
                    reply = spec.handler(ctx, *args[1:])
                    calls[spec.name] += 1
                except CommandError as exc:
                    reply = ErrorReply(exc.text)
                    self.count_error(exc.text, args, spec)
                except Exception as exc:  # a kvfake bug: report, never kill the loop
                    reply = self._internal_error(exc, spec.name, args, spec)
                add(reply)
                i += 1
                if observers:
                    for observer in observers:
                        observer(ctx, args, reply)
                if store.ready_keys:
                    self.blocking.serve_ready()  # the lock is re-entrant
        ran = i - start
        if ran:
            self.stat_commands += ran
            session.last_command = spec_of(batch[i - 1][0]).name
            if self.recorders:
                ran_replies = replies[-ran:]
                for recorder in self.recorders:
                    recorder(ctx, batch[start:i], ran_replies)
        return i

    def _internal_error(self, exc: Exception, name: str, args: list, spec) -> ErrorReply:
        """A handler raised something it should not (a kvfake bug): log it, keep the
        traceback for ``Server.errors`` and the test that caused it, and answer the
        client with an error naming it; the loop carries on."""
        log.exception("internal error while running %r", args[:8])
        self.internal_errors.append((args, traceback.format_exc()))
        reply = ErrorReply(f"ERR internal error in '{name}': {type(exc).__name__}: {exc}")
        self.count_error(reply.text, args, spec)
        return reply

    def _before_run(self, session, spec, args: list):
        """processCommand's late checks, redis 7.0 order; None means "run it now"."""
        multi = session.multi
        if multi is not None and "no_multi" in spec.flags:
            raise CommandError(transactions.NOT_ALLOWED_IN_MULTI)
        if session.pubsub is not None:
            pubsub.check_context(session, spec)  # RESP2 with subscriptions: few commands
        if session.monitor:
            # a monitor is a replica to Redis: no keyspace access, never paused
            if monitor.touches_keyspace(spec):
                raise CommandError(monitor.REPLICA_KEYSPACE)
        elif self.pause_type and self._paused_for(session, spec):
            return POSTPONED
        if multi is not None and spec.name not in transactions.RUN_IN_MULTI:
            return transactions.queue(session, spec, args)
        return None

    def call(self, ctx: Context, spec, args: list):
        """Run one command EXEC took from the MULTI queue (Redis's call(): no
        processCommand checks; EXEC holds the store lock): stats, errors as values,
        MONITOR."""
        ctx.db = self.store.dbs[ctx.session.db]
        try:
            reply = spec.handler(ctx, *args[1:])
            self.command_calls[spec.name] += 1
        except CommandError as exc:
            reply = ErrorReply(exc.text)
            self.count_error(exc.text, args, spec)
        except Exception as exc:  # a kvfake bug: report, never kill the loop
            reply = self._internal_error(exc, spec.name, args, spec)
        if ctx.extra and pubsub.OWN_FRAMES in ctx.extra:
            reply = pubsub.own_frames(ctx, reply)  # its pushes go inside EXEC's reply (redis 7.0)
        if self.monitors and monitor.shown(spec):
            self.feed_monitors(ctx, args)
        return reply

    @staticmethod
    def encoded(reply, protover: int) -> Raw:
        """``reply`` frozen in one protocol (EXEC: a HELLO inside the transaction)."""
        return Raw(encode(reply, protover))

    def feed_monitors(self, ctx: Context, args: list) -> None:
        """Send the MONITOR line of a command that just ran to every monitor."""
        session = ctx.session
        redacted = ctx.extra.pop("redact", ()) if ctx.extra else ()
        line = monitor.format_line(self.store.clock.now_us(), session.db, session.addr, args, redacted)
        for sink in list(self.monitors.values()):
            sink.monitor_line(line, sink.session is session)

    def on_disconnect(self, ctx: Context) -> None:
        """The client is gone: its transaction, WATCHes, monitor and pause registrations go too."""
        session = ctx.session
        transactions.forget(self.store, session)
        monitor.stop(self, session)
        self.postponed.pop(session.id, None)
        self.pubsub.disconnect(ctx)

    # -- CLIENT PAUSE ------------------------------------------------------------

    def _paused_for(self, session, spec) -> bool:
        if self.pause_end_ms < self.store.clock.now_ms():
            self.unpause()  # the pause is over (redis: end < now)
            return False
        if self.pause_type == PAUSE_ALL:
            return True
        # PAUSE WRITE holds writes, and an EXEC whose queue holds one (redis 7.0)
        if "write" in spec.flags or "may_replicate" in spec.flags:
            return True
        if spec.name == "exec" and session.multi:
            return any("write" in s.flags or "may_replicate" in s.flags for s, _ in session.multi)
        return False

    def pause(self, end_ms: int, kind: int) -> None:
        """CLIENT PAUSE: never shortens nor weakens a pause in force (redis 7.0 pauseClients)."""
        if kind > self.pause_type:
            self.pause_type = kind
        if end_ms > self.pause_end_ms:
            self.pause_end_ms = end_ms

    def unpause(self) -> None:
        """End the pause; postponed clients run their command again (in pause order)."""
        self.pause_type = 0
        self.pause_end_ms = 0
        if self.postponed:
            waiters = list(self.postponed.values())
            self.postponed.clear()
            for waiter in waiters:
                waiter.unpaused()

    def postpone(self, waiter) -> None:
        """The driver parked ``waiter`` (its command got POSTPONED) until ``unpause``."""
        self.postponed[waiter.ctx.session.id] = waiter

    def check_pause(self) -> None:
        """Unpause if the pause is over (the driver's timer; commands check lazily)."""
        if self.pause_type and self.pause_end_ms < self.store.clock.now_ms():
            self.unpause()

    def arm_pause_timer(self, call_later) -> None:
        """Have the driver's ``call_later(seconds, fn)`` end the pause on time (polls at
        most every 100 ms, so a clock moved by a test is noticed too)."""
        if self._pause_timer or not self.pause_type:
            return
        self._pause_timer = True

        def tick() -> None:
            self._pause_timer = False
            self.check_pause()
            self.arm_pause_timer(call_later)

        left_ms = self.pause_end_ms - self.store.clock.now_ms() + 1
        call_later(min(max(left_ms, 0), 100) / 1000, tick)

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
