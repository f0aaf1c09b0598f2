"""Pub/sub (Redis group "pubsub"): SUBSCRIBE ... PUBLISH, PUBSUB, the broker and keyspace events.

The broker (:class:`PubSub`) is one object per store, shared by every
dispatcher on it (``Dispatcher.pubsub``; ``PubSub.attach`` finds or makes it).
It maps channel, pattern and shard channel -> {client id: Subscriber} (in
subscription order, which is delivery order) and delivers frames through the
subscriber's ``Context.push(reply, after_reply=False)``, set by whatever drives
the client (kvfake.net.connection: appended to that client's own output buffer,
which becomes writable; a slow reader only grows its own buffer).  Pushing from
a thread other than the server's is the driver's business (it posts the frame).

A client's pub/sub state is ``session.pubsub``: a :class:`Subscriber` while it has
at least one subscription (Redis's CLIENT_PUBSUB flag), else None.  In RESP2 such
a client may only send SUBSCRIBE-family commands, PING (answered ``["pong", msg]``),
QUIT and RESET: the dispatcher calls :func:`check_context` first.  In RESP3
everything works and messages are push frames.

Frames (redis 7.0.15): subscribe/unsubscribe confirmations are pushes too: they
bypass CLIENT REPLY OFF/SKIP, the command itself has no reply (``NO_REPLY``).
Anything pushed to the client running EXEC (confirmations, its own messages and
keyspace events) goes before the reply of the command EXEC is running, inside the
EXEC reply, where Redis writes it (``Dispatcher.call`` -> :func:`own_frames`).
Unsubscribing from everything with
nothing subscribed answers one frame with a null channel.  UNSUBSCRIBE with no
argument goes through the client's channels in subscription order (Redis: its
dict's hash order).

Keyspace notifications: while a client is subscribed to a channel or a pattern
(``sync_hooks``), the broker installs the store hooks ``notify_hook``
(``Context.notify``, called by handlers where Redis calls notifyKeyspaceEvent),
``expired_hook`` (lazy and active expiry: "expired") and ``key_created_hook``
("new", Redis's dbAdd), and publishes ``__keyspace@<db>__:<key> <event>`` and
``__keyevent@<db>__:<event> <key>`` as notify-keyspace-events asks.  Key misses
("m") are not notified.  Client tracking lives in kvfake.commands.tracking.

Imports: kvfake.commands.registry/context/tracking, kvfake.config, kvfake.errors,
kvfake.protocol.replies, kvfake.store.glob.  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import weakref

from kvfake.commands import tracking
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.config import notify_flags
from kvfake.errors import CommandError
from kvfake.protocol.replies import NO_REPLY, Push, Raw, SimpleString
from kvfake.store.glob import matcher

group = CommandGroup("pubsub")

# -- texts (redis 7.0.15) -------------------------------------------------------

PUBSUB_HELP = [
    SimpleString(line.encode())
    for line in (
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    )
]


def pubsub_context(fullname: str) -> str:
    return (
        f"ERR Can't execute '{fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
        "/ RESET are allowed in this context"
    )


def pubsub_wrong_args(sub: bytes) -> str:
    return (
        "ERR unknown subcommand or wrong number of arguments for "
        f"'{sub.decode('latin-1')}'. Try PUBSUB HELP."
    )


# what a RESP2 client with subscriptions may still send (redis 7.0 processCommand)
ALLOWED_WHILE_SUBSCRIBED = frozenset(
    {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe",
     "punsubscribe", "quit", "reset"}
)

MESSAGE, PMESSAGE, SMESSAGE = b"message", b"pmessage", b"smessage"
SUBSCRIBE, UNSUBSCRIBE = b"subscribe", b"unsubscribe"
PSUBSCRIBE, PUNSUBSCRIBE = b"psubscribe", b"punsubscribe"
SSUBSCRIBE, SUNSUBSCRIBE = b"ssubscribe", b"sunsubscribe"

# notify-keyspace-events bits (kvfake.config parses the flag letters as Redis does)
_KEYSPACE = notify_flags(b"K")
_KEYEVENT = notify_flags(b"E")
_CLASS_BITS = {c: notify_flags(c.encode()) for c in "g$lshzxetmnd"}


class Subscriber:
    """One client's subscriptions (``session.pubsub`` while it has any)."""

    __slots__ = ("ctx", "channels", "patterns", "shard_channels")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.channels: dict = {}
        self.patterns: dict = {}
        self.shard_channels: dict = {}

    @property
    def count(self) -> int:
        """Redis's clientSubscriptionsCount: channels and patterns (shard channels apart)."""
        return len(self.channels) + len(self.patterns)

    def __bool__(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)


class PubSub:
    """The broker of one store: subscriptions, publishing, keyspace events, client tracking."""

    def __init__(self, store, config) -> None:
        self.store = store
        self.config = config
        # name -> {client id: Subscriber}, in subscription order
        self.channels: dict = {}
        self.patterns: dict = {}
        self.shard_channels: dict = {}
        # client id -> Context of every client (Dispatcher.new_context): REDIRECT targets
        self.contexts: dict = {}
        self.server = None  # the ServerView of the first dispatcher (its clients())
        # the dispatchers on this store: ``after_command`` observes their commands while
        # client tracking is in use (see kvfake.commands.tracking)
        self.dispatchers = weakref.WeakSet()
        self.tracking = tracking.Tracking(self)
        self._schedule = None
        # notify-keyspace-events, parsed once per value
        self._events_value = None
        self._events = 0
        self.sync_hooks()

    @classmethod
    def attach(cls, dispatcher) -> PubSub:
        """The broker of ``dispatcher``'s store (made on first use), watching its commands."""
        store = dispatcher.store
        with store.lock:
            broker = store.broker
            if broker is None:
                broker = store.broker = cls(store, dispatcher.config)
                broker.server = dispatcher.server
            broker.dispatchers.add(dispatcher)
            if broker.tracking.active:
                dispatcher.observers.append(broker.after_command)
            return broker

    @property
    def schedule(self):
        """``schedule(fn)``: run fn once the commands at hand are done (the server posts it
        to its loop, the test harness runs it after the command); None: at once."""
        return self._schedule

    @schedule.setter
    def schedule(self, fn) -> None:
        self._schedule = fn
        self.tracking.rescheduled()  # a callback posted to a stopped loop never runs

    # -- delivery ----------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes) -> int:
        """Send ``message`` to the channel's subscribers, then to matching patterns; the count."""
        receivers = 0
        subs = self.channels.get(channel)
        if subs:
            frame = Push([MESSAGE, channel, message])
            for sub in list(subs.values()):
                _deliver(sub.ctx, frame)
            receivers = len(subs)
        if self.patterns:
            for pattern, subs in list(self.patterns.items()):
                if not matcher(pattern)(channel):
                    continue
                frame = Push([PMESSAGE, pattern, channel, message])
                for sub in list(subs.values()):
                    _deliver(sub.ctx, frame)
                receivers += len(subs)
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        subs = self.shard_channels.get(channel)
        if not subs:
            return 0
        frame = Push([SMESSAGE, channel, message])
        for sub in list(subs.values()):
            _deliver(sub.ctx, frame)
        return len(subs)

    # -- keyspace notifications (store hooks, called with the store lock held) -----

    def sync_hooks(self) -> None:
        """Install the store hooks while some client is subscribed to a channel or a
        pattern (keyspace events go nowhere else), so that writes pay nothing for
        them otherwise; hooks a test installed itself are left alone."""
        store = self.store
        hooks = (("notify_hook", self.notify), ("expired_hook", self.expired),
                 ("key_created_hook", self.created))
        on = bool(self.channels or self.patterns)
        for name, ours in hooks:
            current = getattr(store, name)
            if on and current is None:
                setattr(store, name, ours)
            elif not on and current == ours:
                setattr(store, name, None)

    def events(self) -> int:
        """The notify-keyspace-events bit mask in force."""
        value = self.config.values[b"notify-keyspace-events"]
        if value is not self._events_value:
            self._read_events(value)
        return self._events

    def _read_events(self, value: bytes) -> None:
        self._events_value = value
        shown, given = getattr(self.config, "notify_given", (None, 0))
        # the flags as CONFIG SET got them ("AKEn" shows as "AKE" but has "n")
        self._events = given if shown is value else notify_flags(value)

    def notify(self, db: int, klass: str, event: bytes, key: bytes) -> None:
        """Redis's notifyKeyspaceEvent: ``klass`` is the flag letter of the event class."""
        value = self.config.values[b"notify-keyspace-events"]  # hot: once per write, inlined
        if value is not self._events_value:
            self._read_events(value)
        flags = self._events
        if not flags & _CLASS_BITS[klass] or not (self.channels or self.patterns):
            return
        if flags & _KEYSPACE:
            self.publish(b"__keyspace@%d__:%s" % (db, key), event)
        if flags & _KEYEVENT:
            self.publish(b"__keyevent@%d__:%s" % (db, event), key)

    def expired(self, db: int, key: bytes) -> None:
        self.notify(db, "x", b"expired", key)

    def created(self, db: int, key: bytes, value) -> None:
        self.notify(db, "n", b"new", key)

    # -- client lifecycle ------------------------------------------------------------

    def after_command(self, ctx: Context, args: list, reply) -> None:
        """Dispatcher observer while tracking is in use: tracking's after-command work."""
        tracker = self.tracking
        if tracker.active:
            tracker.after_command(ctx, args, reply)

    def observe(self, on: bool) -> None:
        """Have every dispatcher on this store call ``after_command`` (or stop)."""
        # a new list each time: this may run from inside the dispatcher's observer loop
        for dispatcher in list(self.dispatchers):
            observers = dispatcher.observers
            if on and self.after_command not in observers:
                dispatcher.observers = observers + [self.after_command]
            elif not on and self.after_command in observers:
                dispatcher.observers = [o for o in observers if o != self.after_command]

    def unsubscribe_all(self, session) -> None:
        """Drop every subscription without telling the client (RESET, disconnect)."""
        sub = session.pubsub
        if sub is None:
            return
        for table, names in ((self.channels, sub.channels), (self.patterns, sub.patterns),
                             (self.shard_channels, sub.shard_channels)):
            for name in names:
                _forget(table, name, session.id)
            names.clear()
        session.pubsub = None
        self.sync_hooks()

    def reset(self, ctx: Context) -> None:
        """RESET: no subscriptions, no tracking (redis 7.0 clearClientConnectionState)."""
        self.unsubscribe_all(ctx.session)
        self.tracking.disable(ctx.session)

    def disconnect(self, ctx: Context) -> None:
        """The client is gone (the loop thread, outside any command: takes the store lock)."""
        session = ctx.session
        with self.store.lock:
            self.reset(ctx)
            if self.contexts.get(session.id) is ctx:
                del self.contexts[session.id]

    # -- INFO / CLIENT LIST --------------------------------------------------------------

    def info(self) -> dict:
        return {
            "pubsub_channels": len(self.channels),
            "pubsub_patterns": len(self.patterns),
            "pubsubshard_channels": len(self.shard_channels),
        }


def check_context(session, spec) -> None:
    """The dispatcher's check for a client with subscriptions (redis 7.0 processCommand)."""
    if session.protover == 2 and spec.name not in ALLOWED_WHILE_SUBSCRIBED:
        if session.tracking is not None:
            session.tracking.rejected = True  # not run: its keys are not tracked
        raise CommandError(pubsub_context(spec.name))


def broker(ctx: Context) -> PubSub:
    return ctx.store.broker


OWN_FRAMES = "pubsub_frames"  # ctx.extra key: frames for the client running EXEC


def _deliver(target: Context, frame) -> None:
    """Push ``frame`` to ``target``; a frame for the client running EXEC joins the reply of
    the command EXEC is running instead (see :func:`own_frames`)."""
    if target.session.in_exec:
        target.extra.setdefault(OWN_FRAMES, []).append(frame)
        return
    push = target.push
    if push is not None:
        push(frame)


def own_frames(ctx: Context, reply):
    """The reply of a command inside EXEC, preceded by the frames pushed to its own client
    meanwhile (Redis writes them in place, inside the EXEC reply)."""
    frames = ctx.extra.pop(OWN_FRAMES, None)
    if not frames:
        return reply
    proto = ctx.session.protover
    encoded = ctx.dispatcher.encoded
    data = b"".join(encoded(f, proto).data for f in frames)
    if reply is not NO_REPLY:
        data += encoded(reply, proto).data
    return Raw(data)


def _forget(table: dict, name: bytes, client_id: int) -> None:
    subs = table.get(name)
    if subs is not None:
        subs.pop(client_id, None)
        if not subs:
            del table[name]


def _state(ctx: Context) -> Subscriber:
    sub = ctx.session.pubsub
    if sub is None:
        sub = ctx.session.pubsub = Subscriber(ctx)
    return sub


def _subscribe(ctx: Context, names: tuple, kind: int):
    """SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE ``names``: one confirmation frame each."""
    b = broker(ctx)
    sub = _state(ctx)
    client_id = ctx.session.id
    if kind == 0:
        table, own, word = b.channels, sub.channels, SUBSCRIBE
    elif kind == 1:
        table, own, word = b.patterns, sub.patterns, PSUBSCRIBE
    else:
        table, own, word = b.shard_channels, sub.shard_channels, SSUBSCRIBE
    for name in names:
        if name not in own:
            own[name] = None
            subs = table.get(name)
            if subs is None:
                subs = table[name] = {}
            subs[client_id] = sub
        count = len(sub.shard_channels) if kind == 2 else sub.count
        _deliver(ctx, Push([word, name, count]))
    b.sync_hooks()
    return NO_REPLY


def _unsubscribe(ctx: Context, names: tuple, kind: int):
    """UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE ``names`` (all of them when none)."""
    b = broker(ctx)
    session = ctx.session
    sub = session.pubsub
    if kind == 0:
        table, word = b.channels, UNSUBSCRIBE
        own = sub.channels if sub is not None else {}
    elif kind == 1:
        table, word = b.patterns, PUNSUBSCRIBE
        own = sub.patterns if sub is not None else {}
    else:
        table, word = b.shard_channels, SUNSUBSCRIBE
        own = sub.shard_channels if sub is not None else {}
    frames = []
    if not names:
        names = tuple(own)
        if not names:
            # nothing to leave: one frame with a null channel (redis 7.0.15)
            count = 0 if sub is None else (len(sub.shard_channels) if kind == 2 else sub.count)
            frames.append(Push([word, None, count]))
    for name in names:
        if name in own:
            del own[name]
            _forget(table, name, session.id)
        count = 0 if sub is None else (len(sub.shard_channels) if kind == 2 else sub.count)
        frames.append(Push([word, name, count]))
    if sub is not None and not sub:
        session.pubsub = None  # out of pub/sub mode once nothing is left
    b.sync_hooks()
    for frame in frames:
        _deliver(ctx, frame)
    return NO_REPLY


# -- SUBSCRIBE family ------------------------------------------------------------------


@group.command("subscribe", arity=-2, flags="pubsub noscript loading stale")
def cmd_subscribe(ctx: Context, *channels: bytes):
    """SUBSCRIBE channel [channel ...]"""
    return _subscribe(ctx, channels, 0)


@group.command("unsubscribe", arity=-1, flags="pubsub noscript loading stale")
def cmd_unsubscribe(ctx: Context, *channels: bytes):
    """UNSUBSCRIBE [channel [channel ...]]"""
    return _unsubscribe(ctx, channels, 0)


@group.command("psubscribe", arity=-2, flags="pubsub noscript loading stale")
def cmd_psubscribe(ctx: Context, *patterns: bytes):
    """PSUBSCRIBE pattern [pattern ...]"""
    return _subscribe(ctx, patterns, 1)


@group.command("punsubscribe", arity=-1, flags="pubsub noscript loading stale")
def cmd_punsubscribe(ctx: Context, *patterns: bytes):
    """PUNSUBSCRIBE [pattern [pattern ...]]"""
    return _unsubscribe(ctx, patterns, 1)


@group.command("ssubscribe", arity=-2, flags="pubsub noscript loading stale", keys=(1, -1, 1))
def cmd_ssubscribe(ctx: Context, *shardchannels: bytes):
    """SSUBSCRIBE shardchannel [shardchannel ...]"""
    return _subscribe(ctx, shardchannels, 2)


@group.command("sunsubscribe", arity=-1, flags="pubsub noscript loading stale", keys=(1, -1, 1))
def cmd_sunsubscribe(ctx: Context, *shardchannels: bytes):
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]]"""
    return _unsubscribe(ctx, shardchannels, 2)


# -- PUBLISH SPUBLISH -----------------------------------------------------------------------


@group.command("publish", arity=3, flags="pubsub loading stale fast")
def cmd_publish(ctx: Context, channel: bytes, message: bytes):
    """PUBLISH channel message"""
    return broker(ctx).publish(channel, message)


@group.command("spublish", arity=3, flags="pubsub loading stale fast", keys=(1, 1, 1))
def cmd_spublish(ctx: Context, shardchannel: bytes, message: bytes):
    """SPUBLISH shardchannel message"""
    return broker(ctx).spublish(shardchannel, message)


# -- PUBSUB --------------------------------------------------------------------------------


def _channel_list(table: dict, sub: bytes, args: tuple) -> list:
    if len(args) > 1:
        raise CommandError(pubsub_wrong_args(sub))
    if not args:
        return list(table)
    match = matcher(args[0])
    return [name for name in table if match(name)]


def _subscriber_counts(table: dict, channels: tuple) -> list:
    """NUMSUB / SHARDNUMSUB: channel, subscriber count, channel, count..."""
    out = []
    for channel in channels:
        out.append(channel)
        out.append(len(table.get(channel, ())))
    return out


@group.command("pubsub|channels", arity=-2, flags="pubsub loading stale")
def cmd_pubsub_channels(ctx: Context, sub: bytes, *pattern: bytes):
    """PUBSUB CHANNELS [pattern]"""
    return _channel_list(broker(ctx).channels, sub, pattern)


@group.command("pubsub|numsub", arity=-2, flags="pubsub loading stale")
def cmd_pubsub_numsub(ctx: Context, sub: bytes, *channels: bytes):
    """PUBSUB NUMSUB [channel [channel ...]]"""
    return _subscriber_counts(broker(ctx).channels, channels)


@group.command("pubsub|numpat", arity=2, flags="pubsub loading stale")
def cmd_pubsub_numpat(ctx: Context, sub: bytes):
    """PUBSUB NUMPAT"""
    # redis 7.0: the number of distinct patterns, not of pattern subscriptions
    return len(broker(ctx).patterns)


@group.command("pubsub|shardchannels", arity=-2, flags="pubsub loading stale")
def cmd_pubsub_shardchannels(ctx: Context, sub: bytes, *pattern: bytes):
    """PUBSUB SHARDCHANNELS [pattern]"""
    return _channel_list(broker(ctx).shard_channels, sub, pattern)


@group.command("pubsub|shardnumsub", arity=-2, flags="pubsub loading stale")
def cmd_pubsub_shardnumsub(ctx: Context, sub: bytes, *shardchannels: bytes):
    """PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]"""
    return _subscriber_counts(broker(ctx).shard_channels, shardchannels)


@group.command("pubsub|help", arity=2, flags="loading stale")
def cmd_pubsub_help(ctx: Context, sub: bytes):
    """PUBSUB HELP"""
    return PUBSUB_HELP
