"""Client-side caching: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO and the invalidations.

State: a tracking client's ``session.tracking`` is a :class:`TrackingState` (None
when tracking is off).  The :class:`Tracking` table of the store's broker
(kvfake.commands.pubsub) maps each key a tracking client read -> the ids of those
clients, whatever the database (Redis's TrackingTable has no db either, so a
write to the same key name in another database invalidates too); BCAST prefixes
map to their clients and to the keys changed since the last broadcast.

When keys change: ``Store.modified_hook`` is Redis's signalModifiedKey (every
write, lazy and active expiry, writes through the Store API) and
``Store.flushed_hook`` a database being emptied (FLUSHDB/FLUSHALL: a null
invalidation to every tracking client, and the table is emptied).  The store
calls them only while ``store.watchers`` is non-empty (its cheap "anyone
interested?" gate), so tracking keeps the :data:`SENTINEL` entry there while it
has any client or key.  A changed key's entry is taken out of the table at
once; the messages go out:

- after the command (``after_command``, a dispatcher observer only while tracking
  has clients or keys, so it costs nothing otherwise): the client that
  ran it gets its own invalidations after its reply (``push(after_reply=True)``;
  redis 7.0.15 tracking_pending_keys), NOLOOP clients none of them, every other
  client at once;
- BCAST messages once the server has run the commands at hand (``broker.schedule``,
  Redis's beforeSleep): one message per prefix with the changed keys in sorted
  order, without the keys a NOLOOP client changed itself;
- changes made outside any command (expiry, Store API) at that same point.

Sending (Redis's sendTrackingMessage): RESP3 clients get ``>2 invalidate <keys>``;
with REDIRECT the message goes to that client instead: a RESP3 one gets the push,
a RESP2 one in pub/sub mode a ``message`` on ``__redis__:invalidate``, any other
nothing.  A redirect to a client that has gone marks the redirect broken and
RESP3 trackers get ``>2 tracking-redir-broken <id>``.  The null of a flush is the
*tracking* client's (``$-1`` or ``_``), whatever the receiver speaks, as in Redis.

Keys a command read are remembered after it ran (readonly commands, keys as
COMMAND GETKEYS finds them, OPTIN/OPTOUT honoured), also when it failed (a
WRONGTYPE GET is tracked, redis 7.0.15); commands queued by MULTI are remembered
when EXEC runs them.

Imports: kvfake.commands.registry/context/args/server, kvfake.errors,
kvfake.protocol.replies.  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from kvfake.commands.args import parse_int
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.commands.server import _get_keys as get_keys  # COMMAND GETKEYS' key walk
from kvfake.errors import SYNTAX_ERROR, CommandError
from kvfake.protocol.replies import OK, QUEUED, Map, Push, Raw, Set

group = CommandGroup("connection")

# -- texts (redis 7.0.15) -------------------------------------------------------------

REDIRECT_TWICE = "ERR A client can only redirect to a single other client"
NO_REDIRECT_CLIENT = "ERR The client ID you want redirect to does not exist"
PREFIX_NEEDS_BCAST = "ERR PREFIX option requires BCAST mode to be enabled"
BCAST_SWITCH = (
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
    "and then re-enabling it with a different mode."
)
OPTIN_OPTOUT_WITH_BCAST = "ERR OPTIN and OPTOUT are not compatible with BCAST"
OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode"
OPTIN_OPTOUT_SWITCH = (
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
    "and then re-enabling it with a different mode."
)
CACHING_NOT_TRACKING = (
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
    "or OPTOUT mode enabled"
)
CACHING_YES_NEEDS_OPTIN = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
CACHING_NO_NEEDS_OPTOUT = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."


def prefix_overlaps_existing(prefix: bytes, existing: bytes) -> str:
    return (
        f"ERR Prefix '{_cstr(prefix)}' overlaps with an existing prefix '{_cstr(existing)}'. "
        "Prefixes for a single client must not overlap."
    )


def prefix_overlaps_given(prefix: bytes, other: bytes) -> str:
    return (
        f"ERR Prefix '{_cstr(prefix)}' overlaps with another provided prefix '{_cstr(other)}'. "
        "Prefixes for a single client must not overlap."
    )


INVALIDATE = b"invalidate"
INVALIDATE_CHANNEL = b"__redis__:invalidate"
REDIR_BROKEN = b"tracking-redir-broken"
FLUSHED = None  # a pending entry for a flush (null invalidation) instead of a key

# the key store.watchers keeps while tracking is in use (never a real (db, key))
SENTINEL = (-1, b"")

_NOT_REMEMBERED = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})


def _cstr(arg: bytes) -> str:
    """``%s`` of an argument: up to its first NUL byte."""
    nul = arg.find(b"\0")
    return (arg if nul < 0 else arg[:nul]).decode("latin-1")


def _word(arg: bytes) -> bytes:
    """An option as strcasecmp sees it: the C string, upper case."""
    nul = arg.find(b"\0")
    return (arg if nul < 0 else arg[:nul]).upper()


class TrackingState:
    """``session.tracking`` while CLIENT TRACKING is on (Redis's CLIENT_TRACKING_* flags)."""

    __slots__ = ("bcast", "optin", "optout", "noloop", "caching", "redirect", "broken",
                 "prefixes", "rejected", "queued")

    def __init__(self) -> None:
        self.bcast = self.optin = self.optout = self.noloop = self.caching = False
        self.redirect = 0
        self.broken = False
        self.prefixes: list = []  # BCAST prefixes, kept sorted (Redis's rax order)
        self.rejected = False  # the current command was refused before it ran
        self.queued: list = []  # argv of the reads queued by MULTI (remembered at EXEC)


class _Prefix:
    """One BCAST prefix: its clients (id -> None) and the keys changed since the last
    broadcast (key -> id of the client that changed it last, 0 for none)."""

    __slots__ = ("clients", "keys")

    def __init__(self) -> None:
        self.clients: dict = {}
        self.keys: dict = {}


class Tracking:
    """The tracking table of one store (``broker.tracking``)."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.store = broker.store
        self.table: dict = {}  # key -> {client id: None}
        self.items = 0  # INFO tracking_total_items
        self.prefixes: dict = {}  # prefix -> _Prefix
        self.clients = 0  # INFO tracking_clients
        self.pending: list = []  # (key or FLUSHED, [client ids]) to notify
        self.changed: list = []  # keys changed, not yet given to the BCAST prefixes
        self.touched: set = set()  # keys changed by the command running (EXEC's reads)
        self._scheduled = False
        self.active = False

    # -- store hooks (store lock held) --------------------------------------------

    def modified(self, db: int, key: bytes) -> None:
        """Redis's trackingInvalidateKey, for every database."""
        self.touched.add(key)
        if self.prefixes:
            self.changed.append(key)
        ids = self.table.pop(key, None)
        if ids is not None:
            self.items -= len(ids)
            targets = []
            for cid in ids:
                state = self._state(cid)
                if state is not None and not state.bcast:
                    targets.append(cid)
            if targets:
                self.pending.append((key, targets))
        if self.pending or self.changed:
            self._request_flush()
        elif not self.table and not self.clients:
            self._sync_hooks()

    def flushed(self, db: int) -> None:
        """Redis's trackingInvalidateKeysOnFlush: a null for every tracking client; the
        table is emptied.  FLUSHALL empties every database: one message all the same."""
        self.table.clear()
        self.items = 0
        if self.clients and not (self.pending and self.pending[-1][0] is FLUSHED):
            ids = [cid for cid, ctx in list(self.broker.contexts.items())
                   if ctx.session.tracking is not None]
            if ids:
                self.pending.append((FLUSHED, ids))
                self._request_flush()
        self._sync_hooks()

    # -- delivery ------------------------------------------------------------------

    def _state(self, cid: int):
        ctx = self.broker.contexts.get(cid)
        return None if ctx is None else ctx.session.tracking

    def _request_flush(self) -> None:
        if self._scheduled:
            return
        schedule = self.broker.schedule
        if schedule is None:
            self.flush(None)
            self.broadcast()
            return
        self._scheduled = True
        schedule(self._scheduled_flush)

    def rescheduled(self) -> None:
        """The broker's ``schedule`` changed (server start/stop): nothing is posted any more."""
        self._scheduled = False
        if self.pending or self.changed:
            with self.store.lock:
                self._request_flush()

    def _scheduled_flush(self) -> None:
        with self.store.lock:
            self._scheduled = False
            self.touched.clear()
            if self.pending:
                self.flush(None)
            self.broadcast()

    def flush(self, executing: Context | None) -> None:
        """Send the pending invalidations; ``executing`` is the client whose command just ran."""
        pending, self.pending = self.pending, []
        contexts = self.broker.contexts
        me = executing.session if executing is not None else None
        for key, ids in pending:
            for cid in ids:
                ctx = contexts.get(cid)
                if ctx is None:
                    continue
                state = ctx.session.tracking
                if state is None:
                    continue
                if key is FLUSHED:
                    payload = Raw(b"_\r\n" if ctx.session.protover == 3 else b"$-1\r\n")
                else:
                    if state.noloop and ctx.session is me:
                        continue  # NOLOOP: not about its own changes
                    payload = [key]
                self._send(ctx, state, payload, ctx.session is me)

    def broadcast(self) -> None:
        """Redis's trackingBroadcastInvalidationMessages (beforeSleep)."""
        if self.changed:
            self._attribute(0)
        contexts = self.broker.contexts
        for prefix in sorted(self.prefixes):
            ps = self.prefixes[prefix]
            if not ps.keys:
                continue
            keys = sorted(ps.keys)
            writers = ps.keys
            ps.keys = {}
            for cid in list(ps.clients):
                ctx = contexts.get(cid)
                if ctx is None or ctx.session.tracking is None:
                    continue
                state = ctx.session.tracking
                payload = keys
                if state.noloop:
                    payload = [k for k in keys if writers[k] != cid]
                    if not payload:
                        continue
                self._send(ctx, state, payload, False)

    def _attribute(self, writer: int) -> None:
        changed, self.changed = self.changed, []
        prefixes = self.prefixes
        for key in changed:
            for prefix, ps in prefixes.items():
                if key.startswith(prefix):
                    ps.keys[key] = writer

    def _send(self, ctx: Context, state: TrackingState, payload, own: bool) -> None:
        """Redis's sendTrackingMessage: to the client or its redirect; ``own``: the
        client whose command is running (its message follows its reply)."""
        target = ctx
        if state.redirect:
            target = self.broker.contexts.get(state.redirect)
            if target is None:
                if not self._client_exists(state.redirect):
                    state.broken = True
                    if ctx.session.protover == 3 and ctx.push is not None:
                        _push(ctx, Push([REDIR_BROKEN, state.redirect]), own)
                return
            own = False
            if target.session.protover == 3:
                frame = Push([INVALIDATE, payload])
            elif target.session.pubsub is not None:
                frame = Push([b"message", INVALIDATE_CHANNEL, payload])
            else:
                return
        elif ctx.session.protover == 3:
            frame = Push([INVALIDATE, payload])
        else:
            return  # RESP2 without a redirect: nothing can be sent
        if target.push is not None:
            _push(target, frame, own)

    def _client_exists(self, cid: int) -> bool:
        server = getattr(self.broker, "server", None)
        clients = getattr(server, "clients", None)
        return clients is not None and any(s.id == cid for s in clients())

    # -- after every command (dispatcher observer) -----------------------------------

    def after_command(self, ctx: Context, args: list, reply) -> None:
        """After every command while tracking is in use: deliver what it invalidated,
        remember what it read (Redis's call() -> trackingRememberKeys, afterCommand)."""
        with self.store.lock:
            touched, self.touched = self.touched, set()
            if self.changed:
                self._attribute(ctx.session.id)
            if self.pending:
                self.flush(ctx)
            session = ctx.session
            state = session.tracking
            if state is None:
                return
            if state.rejected:
                state.rejected = False
            elif not state.bcast:
                if session.multi is not None:
                    if reply is QUEUED:
                        state.queued.append(args)
                elif args[0].lower() == b"exec" and state.queued:
                    queued, state.queued = state.queued, []
                    if isinstance(reply, list):
                        self._remember_exec(ctx, state, queued, touched)
                else:
                    state.queued.clear()
                    self._remember(ctx, state, args)
            # CLIENT CACHING applies to the next command only (kept through MULTI ... EXEC)
            if state.caching and session.multi is None and args[0].lower() != b"client":
                state.caching = False

    def _remember_exec(self, ctx: Context, state: TrackingState, queued: list, touched: set) -> None:
        """The reads EXEC ran.  Redis remembers each as it runs, so a key the transaction
        changed after reading it is invalidated at once; not knowing which came first,
        kvfake invalidates (after the EXEC reply) every read key the transaction changed."""
        before = set(self.table)
        for argv in queued:
            self._remember(ctx, state, argv)
        stale = [k for k in self.table if k in touched and k not in before]
        cid = ctx.session.id
        for key in stale:
            ids = self.table[key]
            if ids.pop(cid, 0) is None:
                self.items -= 1
            if not ids:
                del self.table[key]
            if not state.noloop:
                self._send(ctx, state, [key], True)
        self._sync_hooks()

    def _remember(self, ctx: Context, state: TrackingState, argv: list) -> None:
        """Redis's trackingRememberKeys for one command the client ran."""
        if (state.optin and not state.caching) or (state.optout and state.caching):
            return
        table = ctx.dispatcher.table
        spec = table.get(argv[0])
        if spec is None:
            return
        if spec.subcommands:
            if len(argv) < 2:
                return
            spec = spec.subcommands.get(argv[1].lower())
            if spec is None:
                return
        if "readonly" not in spec.flags or spec.name in _NOT_REMEMBERED or "pubsub" in spec.flags:
            return
        try:
            positions = get_keys(ctx, tuple(argv))
        except CommandError:
            return
        cid = ctx.session.id
        items = self.items
        for pos, _ in positions:
            key = argv[pos]
            ids = self.table.get(key)
            if ids is None:
                ids = self.table[key] = {}
            if cid not in ids:
                ids[cid] = None
                items += 1
        self.items = items
        self._sync_hooks()

    # -- CLIENT TRACKING on/off ------------------------------------------------------------

    def enable(self, session, redirect: int, bcast: bool, optin: bool, optout: bool,
               noloop: bool, prefixes: list) -> None:
        """Redis's enableTracking."""
        state = session.tracking
        if state is None:
            state = session.tracking = TrackingState()
            self.clients += 1
        state.broken = state.bcast = state.optin = state.optout = state.noloop = False
        state.redirect = redirect
        if bcast:
            state.bcast = True
            for prefix in prefixes or [b""]:
                ps = self.prefixes.get(prefix)
                if ps is None:
                    ps = self.prefixes[prefix] = _Prefix()
                if session.id not in ps.clients:
                    ps.clients[session.id] = None
                    state.prefixes.append(prefix)
            state.prefixes.sort()
        state.optin, state.optout, state.noloop = optin, optout, noloop
        self._sync_hooks()

    def disable(self, session) -> None:
        """Redis's disableTracking: its keys stay in the table until they change."""
        state = session.tracking
        if state is None:
            return
        for prefix in state.prefixes:
            ps = self.prefixes.get(prefix)
            if ps is not None:
                ps.clients.pop(session.id, None)
                if not ps.clients:
                    del self.prefixes[prefix]
        session.tracking = None
        self.clients -= 1
        self._sync_hooks()

    def _sync_hooks(self) -> None:
        """Keep the store calling us exactly while tracking has clients or keys."""
        active = bool(self.clients or self.table)
        if active == self.active:
            return
        store = self.store
        self.active = active
        if active:
            store.modified_hook = self.modified
            store.flushed_hook = self.flushed
            store.watchers.setdefault(SENTINEL, set())
        else:
            store.modified_hook = None
            store.flushed_hook = None
            store.watchers.pop(SENTINEL, None)
        self.broker.observe(active)

    def info(self) -> dict:
        return {
            "tracking_total_keys": len(self.table),
            "tracking_total_items": self.items,
            "tracking_total_prefixes": len(self.prefixes),
        }


def _push(ctx: Context, frame, after_reply: bool) -> None:
    if after_reply:
        ctx.push(frame, after_reply=True)
    else:
        ctx.push(frame)


def tracking_of(ctx: Context) -> Tracking:
    return ctx.store.broker.tracking


def _client_ids(ctx: Context) -> set:
    return {s.id for s in ctx.server.clients()} if ctx.server is not None else set()


def _overlap(a: bytes, b: bytes) -> bool:
    """Redis's stringCheckPrefix: one is a prefix of the other."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


# -- CLIENT TRACKING CACHING GETREDIR TRACKINGINFO --------------------------------------------


@group.command("client|tracking", arity=-3, flags="noscript loading stale")
def cmd_client_tracking(ctx: Context, sub: bytes, mode: bytes, *options: bytes):
    """CLIENT TRACKING ON | OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"""
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list = []
    i, n = 0, len(options)
    while i < n:
        word = _word(options[i])
        more = i + 1 < n
        if word == b"REDIRECT" and more:
            i += 1
            if redirect:
                raise CommandError(REDIRECT_TWICE)
            redirect = parse_int(options[i])
            if redirect not in _client_ids(ctx):
                raise CommandError(NO_REDIRECT_CLIENT)
        elif word == b"BCAST":
            bcast = True
        elif word == b"OPTIN":
            optin = True
        elif word == b"OPTOUT":
            optout = True
        elif word == b"NOLOOP":
            noloop = True
        elif word == b"PREFIX" and more:
            i += 1
            prefixes.append(options[i])
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 1
    word = _word(mode)
    session = ctx.session
    tracker = tracking_of(ctx)
    if word == b"OFF":
        tracker.disable(session)
        return OK
    if word != b"ON":
        raise CommandError(SYNTAX_ERROR)
    # redis 7.0.15 order of the checks
    state = session.tracking
    if prefixes and not bcast:
        raise CommandError(PREFIX_NEEDS_BCAST)
    if state is not None and state.bcast != bcast:
        raise CommandError(BCAST_SWITCH)
    if bcast and (optin or optout):
        raise CommandError(OPTIN_OPTOUT_WITH_BCAST)
    if optin and optout:
        raise CommandError(OPTIN_AND_OPTOUT)
    if state is not None and ((optin and state.optout) or (optout and state.optin)):
        raise CommandError(OPTIN_OPTOUT_SWITCH)
    late_error = None
    if bcast:
        existing = state.prefixes if state is not None else []
        for j, prefix in enumerate(prefixes):
            for old in existing:
                if _overlap(old, prefix):
                    raise CommandError(prefix_overlaps_existing(prefix, old))
            clash = next((p for p in prefixes[j + 1:] if _overlap(prefix, p)), None)
            if clash is not None:
                if j == 0:
                    raise CommandError(prefix_overlaps_given(prefix, clash))
                # redis 7.0.15 (checkPrefixCollisionsOrReply returns the index, taken as
                # success): the error is sent, tracking is enabled anyway, then +OK
                late_error = prefix_overlaps_given(prefix, clash)
                break
    tracker.enable(session, redirect, bcast, optin, optout, noloop, prefixes)
    if late_error is not None:
        text = late_error.replace("\r", " ").replace("\n", " ")
        return Raw(b"-" + text.encode("latin-1") + b"\r\n+OK\r\n")
    return OK


@group.command("client|caching", arity=3, flags="noscript loading stale")
def cmd_client_caching(ctx: Context, sub: bytes, mode: bytes):
    """CLIENT CACHING YES | NO"""
    state = ctx.session.tracking
    if state is None:
        raise CommandError(CACHING_NOT_TRACKING)
    word = _word(mode)
    if word == b"YES":
        if not state.optin:
            raise CommandError(CACHING_YES_NEEDS_OPTIN)
    elif word == b"NO":
        if not state.optout:
            raise CommandError(CACHING_NO_NEEDS_OPTOUT)
    else:
        raise CommandError(SYNTAX_ERROR)
    state.caching = True
    return OK


@group.command("client|getredir", arity=2, flags="noscript loading stale")
def cmd_client_getredir(ctx: Context, sub: bytes):
    """CLIENT GETREDIR"""
    state = ctx.session.tracking
    return -1 if state is None else state.redirect


@group.command("client|trackinginfo", arity=2, flags="noscript loading stale")
def cmd_client_trackinginfo(ctx: Context, sub: bytes):
    """CLIENT TRACKINGINFO"""
    state = ctx.session.tracking
    if state is None:
        return Map([(b"flags", Set([b"off"])), (b"redirect", -1), (b"prefixes", [])])
    flags = [b"on"]
    if state.bcast:
        flags.append(b"bcast")
    if state.optin:
        flags.append(b"optin")
        if state.caching:
            flags.append(b"caching-yes")
    if state.optout:
        flags.append(b"optout")
        if state.caching:
            flags.append(b"caching-no")
    if state.noloop:
        flags.append(b"noloop")
    if state.broken:
        flags.append(b"broken_redirect")
    return Map([(b"flags", Set(flags)), (b"redirect", state.redirect),
                (b"prefixes", list(state.prefixes))])


def client_flags(session) -> bytes:
    """CLIENT LIST's tracking flags, in Redis's order: t (tracking), R (broken redirect), B (BCAST)."""
    state = session.tracking
    if state is None:
        return b""
    return b"t" + (b"R" if state.broken else b"") + (b"B" if state.bcast else b"")


def redirect_of(session) -> int:
    """CLIENT LIST's redir=: the redirect while tracking (0 for none), else -1."""
    state = session.tracking
    return -1 if state is None else state.redirect
