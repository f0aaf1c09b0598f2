"""Transactions: MULTI EXEC DISCARD WATCH UNWATCH, and the WATCH bookkeeping.

MULTI state lives in the client's session (``multi``: the queued ``(spec, args)``
or None; ``multi_error``: a command failed to queue; ``dirty_cas``: a WATCHed key
was touched).  Queueing is the dispatcher's job (kvfake.dispatch): after its
processCommand-like checks it calls :func:`queue` instead of the handler, except
for the commands Redis 7.0 runs at once inside MULTI (:data:`RUN_IN_MULTI`), and a
command rejected before it could run (unknown command, arity, NOAUTH, "not allowed
inside a transaction"...) flags the transaction.  EXEC runs the queue through
``ctx.dispatcher.call`` (Redis's call(): stats, MONITOR, per-command errors) under
the one store lock the dispatcher already holds for EXEC, with ``session.in_exec``
set so blocking commands answer at once.

WATCH: one :class:`WatchedKey` per (client, db, key), registered in
``store.watchers[(db, key)]``.  The store sets ``watcher.dirty = True`` whenever a
key changes (``Database.set_value/delete/touch``, lazy and active expiry, the Store
API); FLUSHDB/FLUSHALL/SWAPDB go through ``Store.signal_flushed``.  The redis 7.0
rules for keys that expire (multi.c): a key already expired (but not yet deleted)
when WATCHed is remembered as ``expired``, and its later deletion is no change; a
key that was live when WATCHed and has expired by EXEC time aborts the EXEC even
if nobody deleted it yet (isWatchedKeyExpired).

Imports: kvfake.commands.registry/context, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import CommandError
from kvfake.protocol.replies import NULL_ARRAY, OK, QUEUED

# -- error texts (redis 7.0.15) ----------------------------------------------

MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_INSIDE_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
NOT_ALLOWED_IN_MULTI = "ERR Command not allowed inside a transaction"

# processCommand runs these at once inside MULTI instead of queueing them (redis 7.0,
# compared by proc: the names of exec/discard/multi/watch/quit/reset)
RUN_IN_MULTI = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})

group = CommandGroup("transactions")


class WatchedKey:
    """One client's WATCH on one key of one database (Redis's watchedKey)."""

    __slots__ = ("session", "db", "key", "expired")

    def __init__(self, session, db, key: bytes, expired: bool) -> None:
        self.session = session
        self.db = db  # the Database (its index never changes, SWAPDB swaps contents)
        self.key = key
        # the key existed but had already expired when WATCHed (redis 7.0 wk->expired)
        self.expired = expired

    @property
    def dirty(self) -> bool:
        return self.session.dirty_cas

    @dirty.setter
    def dirty(self, value: bool) -> None:
        # Store.signal_modified: the key changed (redis 7.0 touchWatchedKey)
        if self.expired:
            db = self.db
            if self.key not in db.data:
                # the already-expired key is now deleted: logically no change
                self.expired = False
                return
            when = db.expires.get(self.key)
            if when is not None and when < db.store.now_ms:
                return  # still the same expired value
            self.expired = False  # a live value replaced the expired one
        self.session.dirty_cas = True


def _key_is_expired(db, key: bytes) -> bool:
    """redis keyIsExpired: the key exists with a time already past (not deleted yet)."""
    when = db.expires.get(key)
    return when is not None and when < db.store.now_ms and key in db.data


def queue(session, spec, args: list):
    """Queue a command inside MULTI (the dispatcher's call); the reply is +QUEUED."""
    # redis 7.0 queueMultiCommand: nothing is kept once the transaction is doomed
    if not (session.multi_error or session.dirty_cas):
        session.multi.append((spec, args))
    return QUEUED


def unwatch_all(store, session) -> None:
    """Drop every WATCH of ``session`` (the store lock is held by the caller)."""
    watched = session.watched
    if not watched:
        return
    watchers = store.watchers
    for db_key, wk in watched.items():
        entry = watchers.get(db_key)
        if entry is not None:
            entry.discard(wk)
            if not entry:
                del watchers[db_key]
    watched.clear()


def discard(store, session) -> None:
    """redis discardTransaction: leave MULTI, forget the queue, the flags and the WATCHes."""
    session.multi = None
    session.multi_error = False
    session.dirty_cas = False
    unwatch_all(store, session)


def forget(store, session) -> None:
    """The client disconnected or sent RESET: no transaction, no WATCH left behind."""
    with store.lock:
        discard(store, session)


def exec_abort(store, session, text: str) -> str:
    """EXEC itself was rejected (arity, NOAUTH...): redis 7.0 execCommandAbort discards
    the transaction (in MULTI or not) and wraps the error; the text of a formatted
    rejection loses its "ERR " code."""
    with store.lock:
        discard(store, session)
    if text.startswith("ERR "):
        text = text[4:]
    return f"EXECABORT Transaction discarded because of: {text}"


def _watched_key_expired(session) -> bool:
    """redis isWatchedKeyExpired: a key live when WATCHed has expired since."""
    for wk in session.watched.values():
        if not wk.expired and _key_is_expired(wk.db, wk.key):
            return True
    return False


# -- MULTI EXEC DISCARD ------------------------------------------------------


@group.command("multi", arity=1, flags="noscript loading stale fast allow_busy")
def cmd_multi(ctx: Context):
    """MULTI"""
    session = ctx.session
    if session.multi is not None:
        raise CommandError(MULTI_NESTED)
    session.multi = []
    return OK


@group.command("exec", arity=1, flags="noscript loading stale skip_slowlog")
def cmd_exec(ctx: Context):
    """EXEC"""
    session = ctx.session
    store = ctx.store
    queued = session.multi
    if queued is None:
        raise CommandError(EXEC_WITHOUT_MULTI)
    if not session.dirty_cas and _watched_key_expired(session):
        session.dirty_cas = True
    if session.multi_error:
        discard(store, session)
        raise CommandError(EXECABORT)
    if session.dirty_cas:
        discard(store, session)
        return NULL_ARRAY
    unwatch_all(store, session)  # redis: unwatch before running, the queue may touch them
    dispatcher = ctx.dispatcher
    replies = []
    proto = session.protover
    was_in_exec = session.in_exec
    session.in_exec = True  # blocking commands answer at once (CLIENT_DENY_BLOCKING)
    try:
        for spec, args in queued:
            replies.append(dispatcher.call(ctx, spec, args))
            if session.protover != proto:
                # HELLO inside the transaction: Redis streams each reply in the protocol
                # in force when it was produced, so the earlier ones keep the old one
                replies[:-1] = [dispatcher.encoded(r, proto) for r in replies[:-1]]
                proto = session.protover
    finally:
        session.in_exec = was_in_exec
        discard(store, session)
    return replies


@group.command("discard", arity=1, flags="noscript loading stale fast allow_busy")
def cmd_discard(ctx: Context):
    """DISCARD"""
    session = ctx.session
    if session.multi is None:
        raise CommandError(DISCARD_WITHOUT_MULTI)
    discard(ctx.store, session)
    return OK


# -- WATCH UNWATCH -----------------------------------------------------------


@group.command("watch", arity=-2, flags="noscript loading stale fast allow_busy", keys=(1, -1, 1))
def cmd_watch(ctx: Context, *keys: bytes):
    """WATCH key [key ...]"""
    session = ctx.session
    if session.multi is not None:
        raise CommandError(WATCH_INSIDE_MULTI)
    if session.dirty_cas:
        return OK  # redis 7.0: no point watching more once the transaction is doomed
    db = ctx.db
    watched = session.watched
    watchers = ctx.store.watchers
    for key in keys:
        db_key = (db.index, key)
        if db_key in watched:
            continue
        # WATCH looks at the key without expiring it (no lookup: nothing is deleted)
        wk = WatchedKey(session, db, key, _key_is_expired(db, key))
        watched[db_key] = wk
        entry = watchers.get(db_key)
        if entry is None:
            watchers[db_key] = {wk}
        else:
            entry.add(wk)
    return OK


@group.command("unwatch", arity=1, flags="noscript loading stale fast allow_busy")
def cmd_unwatch(ctx: Context):
    """UNWATCH"""
    session = ctx.session
    unwatch_all(ctx.store, session)
    session.dirty_cas = False
    return OK
