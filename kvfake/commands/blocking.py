"""Blocking commands: the ``Block`` reply marker and the manager that parks and wakes clients.

One small mechanism serves every command that may wait (BLPOP & co,
BZPOPMIN & co, anything that waits for keys or for an event later).  It is
sans-I/O: no sockets, no threads; the driver (net/ for real connections, the
in-process test harness) feeds it clients and delivers the replies it hands back.

API for command handlers
------------------------
A handler that finds nothing to do returns ``block(ctx, keys, timeout_ms, retry)``:

* ``keys``: the keys to wait on, in the current database (duplicates are fine).  A
  command that waits for something else (CLIENT PAUSE, WAIT...) may pass no keys: its
  wait ends at its deadline or when the driver calls ``unblock(waiter, reply)``.
* ``timeout_ms``: from ``args.parse_timeout`` (0 = wait forever); the deadline is
  absolute, ``ctx.now_ms + timeout_ms``, on the store's clock.
* ``retry(ctx, key)``: called when ``key`` was signalled ready, with ``ctx`` the
  blocked client's context (``ctx.db`` = the database it blocked in) and the store
  lock held.  It does the command's work *for that key* (Redis serves a blocked
  client from the key that became ready, not from its first key) and returns the
  reply, or None when there is still nothing for this client (key empty, or holding
  another type: redis 7.0 leaves such a client blocked).  A ``CommandError`` it
  raises becomes the client's (error) reply and unblocks it (redis 7.0.15: a BLMOVE
  whose destination became a string gets WRONGTYPE when served).  A retry can
  therefore never answer a null reply; no blocking pop needs one.
* ``timeout_reply``: sent when the deadline passes (default NULL_ARRAY: ``*-1`` /
  RESP3 ``_``, what every redis 7.0 blocking pop sends on timeout, BLMOVE included).
* ``deny_reply``: returned at once instead of blocking while ``ctx.session.in_exec``
  (EXEC, scripts), as Redis's CLIENT_DENY_BLOCKING (BLMOVE/BRPOPLPUSH: null bulk).

API for drivers (one ``BlockingManager`` per Dispatcher: ``dispatcher.blocking``)
-------------------------------------------------------------------------------
A *waiter* is any object with a ``ctx`` attribute (its Context) and an
``unblocked(reply)`` method, which the manager calls on the thread that drives it,
never from inside a ``retry`` (but CLIENT UNBLOCK calls it from a command, the
store lock held); ``unblocked`` should only queue the reply and the resumption.

* ``block(waiter, blk)``: the waiter's command returned ``blk`` (a :class:`Block`):
  register it; the waiter must process no further input until ``unblocked``.
* ``serve_ready()``: serve keys signalled ready (the Dispatcher calls it after every
  command; the server posts it after Store API writes from other threads).
* ``expire_due(now_ms=None)``: time out waiters whose deadline is before now (redis 7.0
  checkBlockedClientTimeout: ``timeout < now``, so a client is still waiting at its
  deadline and times out 1 ms later).
* ``next_deadline()``: the earliest deadline (ms, store clock) or None; the driver
  wakes at ``next_deadline() + 1``.
* ``cancel(waiter)``: forget a waiter without replying (disconnect, CLIENT KILL).
* ``unblock(waiter, reply)`` / ``timeout(waiter)``: end a wait early (CLIENT UNBLOCK).
* ``find(client_id)``, ``len(manager)``, ``in_timeout_table()``: for CLIENT and INFO.

Strategy.  The store keeps ``blocking_keys``: (db, key) -> {waiter: None} in the
order clients blocked, and ``ready_keys``: the (db, key) pairs that received a
value while somebody waited on them, in signal order.  ``Database.set_value``
(every key creation: push, LMOVE destination, RENAME/MOVE/COPY, the Store API)
and SWAPDB signal; since Redis never keeps an empty list or zset, "a key is
created" is exactly "a list or zset receives elements", and the hot path costs one
truthiness test of ``blocking_keys``.  A value that gains elements without being
created (a stream's XADD, later) must call ``store.signal_ready(db_index, key)``
itself.  ``serve_ready`` takes ready keys in signal
order and, for each, tries its waiters first-blocked-first-served (Redis's
serveClientsBlockedOnKey) while the key exists, each ``retry`` under the store
lock; a served waiter leaves every wait list at once, so a push of one element
with two waiters wakes exactly one.  Serving may make more keys ready (BLMOVE
pushes): rounds repeat until none is left.  Deadlines live in a heap with lazy
deletion.

Imports: kvfake.commands.context, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, threads, protocol.encoder.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import traceback
from typing import Callable

from attrs import frozen

from kvfake.commands.context import Context
from kvfake.errors import CommandError
from kvfake.protocol.replies import NULL_ARRAY, ErrorReply

log = logging.getLogger("kvfake")

UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


@frozen
class Block:
    """The reply of a command that must wait: the driver parks the client on it."""

    db: int
    keys: tuple
    deadline_ms: "int | None"  # absolute, store clock; None = forever
    retry: Callable  # retry(ctx, key) -> reply | None
    timeout_reply: object = NULL_ARRAY


def block(
    ctx: Context,
    keys,
    timeout_ms: int,
    retry: Callable,
    *,
    timeout_reply: object = NULL_ARRAY,
    deny_reply: object = NULL_ARRAY,
):
    """What a blocking handler returns when nothing is ready (see the module docstring)."""
    if ctx.session.in_exec:
        return deny_reply
    deadline = ctx.now_ms + timeout_ms if timeout_ms else None
    return Block(ctx.db.index, tuple(keys), deadline, retry, timeout_reply)


class BlockingManager:
    """Wait lists, FIFO serving of ready keys and deadlines, for one store."""

    def __init__(self, store, *, internal_errors: "list | None" = None) -> None:
        self.store = store
        self.blocked: dict = {}  # waiter -> Block, in blocking order
        self.internal_errors = internal_errors if internal_errors is not None else []
        self._deadlines: list = []  # heap of (deadline_ms, seq, waiter, Block)
        self._seq = itertools.count()
        self._serving = False

    def __len__(self) -> int:
        return len(self.blocked)

    def in_timeout_table(self) -> int:
        """Blocked clients with a deadline (INFO clients_in_timeout_table)."""
        return sum(1 for blk in self.blocked.values() if blk.deadline_ms is not None)

    def find(self, client_id: int):
        """The blocked waiter whose session has ``client_id``, or None."""
        for waiter in self.blocked:
            if waiter.ctx.session.id == client_id:
                return waiter
        return None

    # -- parking ---------------------------------------------------------------

    def block(self, waiter, blk: Block) -> None:
        store = self.store
        with store.lock:
            self.blocked[waiter] = blk
            waiter.ctx.session.blocked = True
            waiting = store.blocking_keys
            for key in blk.keys:
                db_key = (blk.db, key)
                waiters = waiting.get(db_key)
                if waiters is None:
                    waiters = waiting[db_key] = {}
                waiters[waiter] = None
        if blk.deadline_ms is not None:
            heap = self._deadlines
            heapq.heappush(heap, (blk.deadline_ms, next(self._seq), waiter, blk))
            if len(heap) > 64 and len(heap) > 2 * len(self.blocked):
                self._rebuild_deadlines()

    def _release(self, waiter) -> "Block | None":
        """Take ``waiter`` off every wait list (store lock held)."""
        blk = self.blocked.pop(waiter, None)
        if blk is None:
            return None
        waiter.ctx.session.blocked = False
        waiting = self.store.blocking_keys
        for key in blk.keys:
            db_key = (blk.db, key)
            waiters = waiting.get(db_key)
            if waiters is not None:
                waiters.pop(waiter, None)
                if not waiters:
                    del waiting[db_key]
        return blk

    def cancel(self, waiter) -> bool:
        """Forget ``waiter`` without a reply (it disconnected or was killed)."""
        with self.store.lock:
            return self._release(waiter) is not None

    def unblock(self, waiter, reply) -> bool:
        """End ``waiter``'s wait now with ``reply``; False if it was not blocked."""
        with self.store.lock:
            blk = self._release(waiter)
        if blk is None:
            return False
        self._deliver(waiter, reply)
        return True

    def timeout(self, waiter) -> bool:
        """End ``waiter``'s wait now as if its deadline had passed."""
        with self.store.lock:
            blk = self._release(waiter)
        if blk is None:
            return False
        self._deliver(waiter, blk.timeout_reply)
        return True

    # -- serving ready keys ----------------------------------------------------

    def serve_ready(self) -> None:
        """Serve the waiters of every key signalled ready, first blocked first served."""
        store = self.store
        if self._serving or not store.ready_keys:
            return
        self._serving = True
        try:
            while store.ready_keys:
                with store.lock:
                    served = self._serve_rounds()
                for waiter, reply in served:
                    self._deliver(waiter, reply)
        finally:
            self._serving = False

    def _serve_rounds(self) -> list:
        store = self.store
        blocked = self.blocked
        served: list = []
        while store.ready_keys:
            ready = store.ready_keys
            store.ready_keys = {}
            store.refresh_now()
            for db_key in ready:
                waiters = store.blocking_keys.get(db_key)
                if not waiters:
                    continue
                dbi, key = db_key
                db = store.dbs[dbi]
                for waiter in list(waiters):
                    if db.lookup(key) is None:
                        break  # emptied (and deleted): nobody else can be served
                    blk = blocked.get(waiter)
                    if blk is None:
                        continue
                    reply = self._retry(waiter, blk, db, key)
                    if reply is not None:
                        self._release(waiter)
                        served.append((waiter, reply))
        return served

    def _retry(self, waiter, blk: Block, db, key: bytes):
        ctx = waiter.ctx
        ctx.db = db
        try:
            return blk.retry(ctx, key)
        except CommandError as exc:
            return ErrorReply(exc.text)
        except Exception as exc:  # a kvfake bug: report it to the client and to tests
            log.exception("internal error while serving a blocked client on %r", key)
            self.internal_errors.append(([b"<blocked retry>", key], traceback.format_exc()))
            return ErrorReply(f"ERR internal error while serving a blocked client: {type(exc).__name__}: {exc}")

    def _deliver(self, waiter, reply) -> None:
        # one waiter's failure (a kvfake bug) must not reach whoever triggered the wake-up
        try:
            waiter.unblocked(reply)
        except Exception:
            log.exception("internal error while replying to a blocked client")
            self.internal_errors.append(([b"<blocked reply>"], traceback.format_exc()))

    # -- deadlines ---------------------------------------------------------------

    def _rebuild_deadlines(self) -> None:
        self._deadlines = [e for e in self._deadlines if self.blocked.get(e[2]) is e[3]]
        heapq.heapify(self._deadlines)

    def next_deadline(self) -> "int | None":
        heap = self._deadlines
        blocked = self.blocked
        while heap and blocked.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def expire_due(self, now_ms: "int | None" = None) -> None:
        """Time out every waiter whose deadline is before ``now_ms`` (default: the clock)."""
        heap = self._deadlines
        if not heap:
            return
        if now_ms is None:
            now_ms = self.store.clock.now_ms()
        due = []
        blocked = self.blocked
        with self.store.lock:
            while heap and heap[0][0] < now_ms:
                _, _, waiter, blk = heapq.heappop(heap)
                if blocked.get(waiter) is blk:
                    self._release(waiter)
                    due.append((waiter, blk.timeout_reply))
        for waiter, reply in due:
            self._deliver(waiter, reply)


def manager(ctx: Context) -> "BlockingManager | None":
    """The BlockingManager behind ``ctx`` (None for a dispatcher without one)."""
    return getattr(ctx.dispatcher, "blocking", None)


def unblock_client(ctx: Context, client_id: int, error: bool) -> bool:
    """CLIENT UNBLOCK: end client ``client_id``'s wait with a timeout or an UNBLOCKED error."""
    mgr = manager(ctx)
    waiter = mgr.find(client_id) if mgr is not None else None
    if waiter is None:
        return False
    if error:
        return mgr.unblock(waiter, ErrorReply(UNBLOCKED_ERROR))
    return mgr.timeout(waiter)


def blocked_counts(ctx: Context) -> tuple:
    """(blocked_clients, clients_in_timeout_table) for INFO clients."""
    mgr = manager(ctx)
    if mgr is None:
        return 0, 0
    return len(mgr), mgr.in_timeout_table()
