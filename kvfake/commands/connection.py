"""Connection commands: PING ECHO QUIT SELECT HELLO AUTH RESET and CLIENT's subcommands.

These commands change the calling client's session (database, protocol,
name, authentication, reply mode); CLIENT LIST/KILL look at the other clients
through ``ctx.server`` (``clients()``, ``kill_clients``).  Suppressing replies
for CLIENT REPLY OFF/SKIP is the connection layer's job (net/connection.py):
the handlers only set ``session.reply_mode`` / ``session.skip_next_reply``.

Redis compares option words with ``strcasecmp`` and prints arguments with
``%s``: both stop at a NUL byte, so ``_c(arg)`` (the C-string view of an
argument) is used wherever Redis does that (redis 7.0.15: ``CLIENT NO-EVICT
"on\\0x"`` is OK; differential test connection/nul-truncated-options).

Imports: kvfake.commands.registry/context/args/meta, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import hmac

from kvfake.commands import blocking, meta, monitor, transactions
from kvfake.commands import tracking
from kvfake.commands.args import parse_int, parse_range_int
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import (
    DB_INDEX_OUT_OF_RANGE,
    SYNTAX_ERROR,
    TIMEOUT_NEGATIVE,
    TIMEOUT_NOT_INTEGER,
    WRONG_PASS,
    CommandError,
    wrong_arity,
)
from kvfake.protocol.replies import NO_REPLY, OK, PONG, Map, SimpleString, Verbatim

# -- error texts (redis 7.0.15) ----------------------------------------------

PROTOVER_NOT_INTEGER = "ERR Protocol version is not an integer or out of range"
NOPROTO = "NOPROTO unsupported protocol version"
HELLO_NOAUTH = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
    "the RESP protocol version at the same time"
)
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
INVALID_CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters."
INVALID_CLIENT_ID = "ERR Invalid client ID"
CLIENT_ID_NOT_POSITIVE = "ERR client-id should be greater than 0"
NO_SUCH_CLIENT = "ERR No such client"


def hello_syntax_error(opt: str) -> str:
    return f"ERR Syntax error in HELLO option '{opt}'"


def unknown_client_type(name: str) -> str:
    return f"ERR Unknown client type '{name}'"


def no_such_user(name: str) -> str:
    return f"ERR No such user '{name}'"


LONG_MAX = (1 << 63) - 1
# CLIENT PAUSE kinds, as kvfake.dispatch numbers them (a stronger one wins)
PAUSE_WRITE = 1
PAUSE_ALL = 2
INT_MIN = -(1 << 31)
INT_MAX = (1 << 31) - 1

# CLIENT HELP, redis 7.0.15, line for line.
CLIENT_HELP = [
    SimpleString(line.encode())
    for line in (
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    )
]

# getClientTypeByName (strcasecmp): the names CLIENT LIST/KILL TYPE accept.
CLIENT_TYPES = {
    b"NORMAL": b"normal",
    b"SLAVE": b"replica",
    b"REPLICA": b"replica",
    b"PUBSUB": b"pubsub",
    b"MASTER": b"master",
}

group = CommandGroup("connection")


def _c(arg: bytes) -> bytes:
    """The argument as C sees it through ``ptr``: up to the first NUL byte."""
    nul = arg.find(b"\0")
    return arg if nul < 0 else arg[:nul]


def _text(arg: bytes) -> str:
    """An argument echoed into an error with ``%s``."""
    return _c(arg).decode("latin-1")


def _requirepass(ctx: Context) -> bytes:
    return ctx.dispatcher.config.values[b"requirepass"]


def _authenticate(ctx: Context, username: bytes, password: bytes) -> bool:
    """ACLAuthenticateUser with the one user kvfake has: "default" (nopass unless requirepass)."""
    if username != b"default":
        return False
    requirepass = _requirepass(ctx)
    if requirepass and not hmac.compare_digest(password, requirepass):
        return False
    ctx.session.authenticated = True
    ctx.session.user = b"default"
    return True


def _set_name(ctx: Context, name: bytes) -> None:
    """clientSetNameOrReply: "" removes the name; only '!'..'~' are allowed."""
    for c in name:
        if c < 33 or c > 126:
            raise CommandError(INVALID_CLIENT_NAME)
    ctx.session.name = name


# -- PING ECHO QUIT SELECT ---------------------------------------------------


@group.command("ping", arity=-1, flags="fast")
def cmd_ping(ctx: Context, *args: bytes):
    """PING [message]"""
    if len(args) > 1:
        raise CommandError(wrong_arity("ping"))
    if ctx.session.pubsub is not None and ctx.session.protover == 2:
        # redis 7.0: a RESP2 client with subscriptions gets a "pong" message
        return [b"pong", args[0] if args else b""]
    if args:
        return args[0]
    return PONG


@group.command("echo", arity=2, flags="loading stale fast")
def cmd_echo(ctx: Context, message: bytes):
    """ECHO message"""
    return message


@group.command("quit", arity=-1, flags="noscript loading stale fast no_auth allow_busy")
def cmd_quit(ctx: Context, *args: bytes):
    """QUIT"""
    ctx.session.close_after_reply = True
    return OK


@group.command("select", arity=2, flags="loading stale fast")
def cmd_select(ctx: Context, index: bytes):
    """SELECT index"""
    # redis 7.0: getIntFromObjectOrReply, so "2147483648" gets the int range text.
    n = parse_range_int(index, INT_MIN, INT_MAX)
    if not 0 <= n < len(ctx.store.dbs):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    ctx.select(n)
    return OK


# -- HELLO AUTH RESET --------------------------------------------------------


@group.command("hello", arity=-1, flags="noscript loading stale fast no_auth allow_busy")
def cmd_hello(ctx: Context, *args: bytes):
    """HELLO [protover [AUTH username password] [SETNAME clientname]]"""
    session = ctx.session
    ver = 0
    if args:
        ver = parse_int(args[0], PROTOVER_NOT_INTEGER)
        if ver < 2 or ver > 3:
            raise CommandError(NOPROTO)
    # redis 7.0.15 applies AUTH and SETNAME as it meets them: a later syntax error
    # or failed AUTH leaves an earlier name (and authentication) in place.
    i, n = 1, len(args)
    while i < n:
        opt = _c(args[i]).upper()
        more = n - 1 - i
        if opt == b"AUTH" and more >= 2:
            monitor.redact(ctx, i + 2, i + 3)  # MONITOR shows "(redacted)" (argv positions)
            if not _authenticate(ctx, args[i + 1], args[i + 2]):
                raise CommandError(WRONG_PASS)
            i += 3
        elif opt == b"SETNAME" and more >= 1:
            _set_name(ctx, args[i + 1])
            i += 2
        else:
            raise CommandError(hello_syntax_error(_text(args[i])))
    if not session.authenticated:
        raise CommandError(HELLO_NOAUTH)
    if ver:
        session.protover = ver
    return Map(
        [
            (b"server", b"redis"),
            (b"version", meta.redis_version().encode()),
            (b"proto", session.protover),
            (b"id", session.id),
            (b"mode", b"standalone"),
            (b"role", b"master"),
            (b"modules", []),
        ]
    )


@group.command("auth", arity=-2, flags="noscript loading stale fast no_auth allow_busy")
def cmd_auth(ctx: Context, *args: bytes):
    """AUTH [username] password"""
    if len(args) > 2:
        raise CommandError(SYNTAX_ERROR)
    monitor.redact(ctx, *range(1, len(args) + 1))  # redis 7.0: after the syntax check
    if len(args) == 1:
        if not _requirepass(ctx):
            raise CommandError(AUTH_NOT_CONFIGURED)
        username, password = b"default", args[0]
    else:
        username, password = args
    if _authenticate(ctx, username, password):
        return OK
    raise CommandError(WRONG_PASS)


@group.command("reset", arity=1, flags="noscript loading stale fast no_auth allow_busy")
def cmd_reset(ctx: Context):
    """RESET"""
    # redis 7.0 clearClientConnectionState: db 0, RESP2, default user (authenticated
    # only without a password), no name, CLIENT REPLY OFF and a pending SKIP cleared.
    # A SKIP already in force still swallows this +RESET; NO-EVICT is kept.
    # MULTI/WATCH state is dropped and monitor mode left; subscriptions (without
    # unsubscribe messages) and CLIENT TRACKING too.
    session = ctx.session
    transactions.discard(ctx.store, session)
    monitor.stop(ctx.dispatcher, session)
    if ctx.store.broker is not None:
        ctx.store.broker.reset(ctx)
    ctx.select(0)
    session.protover = 2
    session.user = b"default"
    session.authenticated = not _requirepass(ctx)
    session.name = b""
    if session.reply_mode == "off":
        session.reply_mode = "on"
    session.skip_next_reply = False
    return SimpleString(b"RESET")


# -- CLIENT ------------------------------------------------------------------


def _client_type(session) -> bytes:
    """getClientType: kvfake has no replicas or masters; a client with subscriptions is "pubsub"."""
    return b"normal" if session.pubsub is None else b"pubsub"


def _client_flags(session) -> bytes:
    # redis 7.0 order: O S M P x b t R B d c u A U r e; "N" when none apply.
    flags = b""
    if session.monitor:
        flags += b"O"
    if session.pubsub is not None:
        flags += b"P"
    if session.multi is not None:
        flags += b"x"
    if session.blocked:
        flags += b"b"
    if session.tracking is not None:
        flags += tracking.client_flags(session)
    if session.dirty_cas:
        flags += b"d"
    if session.close_after_reply:
        flags += b"c"
    if session.no_evict:
        flags += b"e"
    return flags or b"N"


def _client_info(ctx: Context, s) -> bytes:
    """One CLIENT LIST line (catClientInfoString, redis 7.0.15 field order), no newline.

    Memory and buffer figures are plausible constants: the calling client looks
    like Redis's client in the middle of a small command, the others idle.
    """
    now_s = ctx.now_ms // 1000
    current = s is ctx.session
    age = now_s - s.created_ms // 1000
    idle = 0 if current else now_s - max(s.last_interaction_ms, s.created_ms) // 1000
    if current:
        qbuf, qfree, argv_mem, rbs, rbp, tot = 26, 20448, 10, 16384, 16384, 37658
    else:
        qbuf, qfree, argv_mem, rbs, rbp, tot = 0, 0, 0, 1024, 0, 1800
    cmd = s.last_command
    if isinstance(cmd, str):
        cmd = cmd.encode()
    return (
        b"id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d "
        b"sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 "
        b"rbs=%d rbp=%d obl=0 oll=0 omem=0 tot-mem=%d events=r cmd=%s user=%s "
        b"redir=%d resp=%d"
        % (
            s.id,
            s.addr.encode(),
            s.laddr.encode(),
            s.fd,
            s.name,
            max(age, 0),
            max(idle, 0),
            _client_flags(s),
            s.db,
            *((0, 0, 0) if s.pubsub is None else
              (len(s.pubsub.channels), len(s.pubsub.patterns), len(s.pubsub.shard_channels))),
            -1 if s.multi is None else len(s.multi),
            qbuf,
            qfree,
            argv_mem,
            rbs,
            rbp,
            tot,
            cmd,
            s.user,
            tracking.redirect_of(s),
            s.protover,
        )
    )


def _sessions(ctx: Context) -> list:
    """Every connected client, in connection order (Redis's server.clients list)."""
    return sorted(ctx.server.clients(), key=lambda s: s.id)


def _parse_client_type(arg: bytes) -> bytes:
    kind = CLIENT_TYPES.get(_c(arg).upper())
    if kind is None:
        raise CommandError(unknown_client_type(_text(arg)))
    return kind


@group.command("client|help", arity=2, flags="loading stale")
def cmd_client_help(ctx: Context, sub: bytes):
    """CLIENT HELP"""
    return CLIENT_HELP


@group.command("client|id", arity=2, flags="noscript loading stale")
def cmd_client_id(ctx: Context, sub: bytes):
    """CLIENT ID"""
    return ctx.session.id


@group.command("client|setname", arity=3, flags="noscript loading stale")
def cmd_client_setname(ctx: Context, sub: bytes, name: bytes):
    """CLIENT SETNAME connection-name"""
    _set_name(ctx, name)
    return OK


@group.command("client|getname", arity=2, flags="noscript loading stale")
def cmd_client_getname(ctx: Context, sub: bytes):
    """CLIENT GETNAME"""
    return ctx.session.name or None


@group.command("client|info", arity=2, flags="noscript loading stale")
def cmd_client_info(ctx: Context, sub: bytes):
    """CLIENT INFO"""
    return Verbatim(b"txt", _client_info(ctx, ctx.session) + b"\n")


@group.command("client|list", arity=-2, flags="admin noscript loading stale")
def cmd_client_list(ctx: Context, sub: bytes, *args: bytes):
    """CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]"""
    # redis 7.0.15: exactly "TYPE <t>" or "ID <id>..."; anything else is a syntax error.
    if len(args) == 2 and _c(args[0]).upper() == b"TYPE":
        kind = _parse_client_type(args[1])
        lines = [_client_info(ctx, s) + b"\n" for s in _sessions(ctx) if _client_type(s) == kind]
    elif len(args) > 1 and _c(args[0]).upper() == b"ID":
        by_id = {s.id: s for s in ctx.server.clients()}
        lines = []
        for arg in args[1:]:  # in argument order, repeats included
            s = by_id.get(parse_int(arg, INVALID_CLIENT_ID))
            if s is not None:
                lines.append(_client_info(ctx, s) + b"\n")
    elif args:
        raise CommandError(SYNTAX_ERROR)
    else:
        lines = [_client_info(ctx, s) + b"\n" for s in _sessions(ctx)]
    return Verbatim(b"txt", b"".join(lines))


@group.command("client|kill", arity=-3, flags="admin noscript loading stale")
def cmd_client_kill(ctx: Context, sub: bytes, *args: bytes):
    """CLIENT KILL ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES | NO]"""
    addr = laddr = None
    kind = None
    client_id = 0
    skipme = True
    if len(args) == 1:  # the old form: CLIENT KILL addr; it may kill the caller
        addr = _c(args[0])
        skipme = False
    else:
        i, n = 0, len(args)
        while i < n:
            opt = _c(args[i]).upper()
            if i + 1 >= n:
                raise CommandError(SYNTAX_ERROR)
            value = args[i + 1]
            if opt == b"ID":
                client_id = parse_range_int(value, 1, LONG_MAX, CLIENT_ID_NOT_POSITIVE)
            elif opt == b"TYPE":
                kind = _parse_client_type(value)
            elif opt == b"ADDR":
                addr = _c(value)
            elif opt == b"LADDR":
                laddr = _c(value)
            elif opt == b"USER":
                if value != b"default":  # ACLGetUserByName: the only user
                    raise CommandError(no_such_user(_text(value)))
            elif opt == b"SKIPME":
                word = _c(value).upper()
                if word == b"YES":
                    skipme = True
                elif word == b"NO":
                    skipme = False
                else:
                    raise CommandError(SYNTAX_ERROR)
            else:
                raise CommandError(SYNTAX_ERROR)
            i += 2

    def matches(s) -> bool:
        return (
            (addr is None or s.addr.encode() == addr)
            and (laddr is None or s.laddr.encode() == laddr)
            and (kind is None or _client_type(s) == kind)
            and (not client_id or s.id == client_id)
        )

    me = ctx.session
    killed = ctx.server.kill_clients(matches, skip=me)
    if not skipme and matches(me):
        # The caller gets its reply first, then the connection closes.
        me.close_after_reply = True
        killed += 1
    if len(args) == 1:
        if not killed:
            raise CommandError(NO_SUCH_CLIENT)
        return OK
    return killed


@group.command("client|no-evict", arity=3, flags="admin noscript loading stale")
def cmd_client_no_evict(ctx: Context, sub: bytes, mode: bytes):
    """CLIENT NO-EVICT ON | OFF"""
    word = _c(mode).upper()
    if word == b"ON":
        ctx.session.no_evict = True
    elif word == b"OFF":
        ctx.session.no_evict = False
    else:
        raise CommandError(SYNTAX_ERROR)
    return OK


@group.command("client|reply", arity=3, flags="noscript loading stale")
def cmd_client_reply(ctx: Context, sub: bytes, mode: bytes):
    """CLIENT REPLY ON | OFF | SKIP"""
    # The connection layer drops replies while reply_mode is "off", and the one
    # reply after a SKIP (skip_next_reply turns into reply_mode "skip" once this
    # command is done).  OFF and SKIP themselves send nothing.
    session = ctx.session
    word = _c(mode).upper()
    if word == b"ON":
        session.reply_mode = "on"
        session.skip_next_reply = False
        return OK
    if word == b"OFF":
        session.reply_mode = "off"
        return NO_REPLY
    if word == b"SKIP":
        if session.reply_mode != "off":
            session.skip_next_reply = True
        return NO_REPLY
    raise CommandError(SYNTAX_ERROR)


UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"


@group.command("client|unblock", arity=-3, flags="admin noscript loading stale")
def cmd_client_unblock(ctx: Context, sub: bytes, client_id: bytes, *reason: bytes):
    """CLIENT UNBLOCK client-id [TIMEOUT | ERROR]"""
    # redis 7.0.15: the reason is checked before the id; a 5th argument falls
    # through to the generic CLIENT syntax error
    if len(reason) > 1:
        raise CommandError(
            f"ERR unknown subcommand or wrong number of arguments for '{_text(sub)[:128]}'. "
            "Try CLIENT HELP."
        )
    error = False
    if reason:
        word = _c(reason[0]).upper()
        if word == b"ERROR":
            error = True
        elif word != b"TIMEOUT":
            raise CommandError(UNBLOCK_REASON)
    target = parse_int(client_id)
    return 1 if blocking.unblock_client(ctx, target, error) else 0


PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL"


def _pause_watch(conn) -> None:
    """pending action of CLIENT PAUSE: the server loop wakes when the pause ends."""
    conn.loop.dispatcher.arm_pause_timer(conn.loop.call_later)


@group.command("client|pause", arity=-3, flags="admin noscript loading stale")
def cmd_client_pause(ctx: Context, sub: bytes, timeout: bytes, *mode: bytes):
    """CLIENT PAUSE timeout [WRITE | ALL]"""
    # redis 7.0.15: a 5th argument is CLIENT's generic error; the mode is checked
    # before the timeout; commands of paused clients are held (dispatch.POSTPONED)
    if len(mode) > 1:
        raise CommandError(
            f"ERR unknown subcommand or wrong number of arguments for '{_text(sub)[:128]}'. "
            "Try CLIENT HELP."
        )
    kind = PAUSE_ALL
    if mode:
        word = _c(mode[0]).upper()
        if word == b"WRITE":
            kind = PAUSE_WRITE
        elif word != b"ALL":
            raise CommandError(PAUSE_MODE)
    ms = parse_int(timeout, TIMEOUT_NOT_INTEGER)
    if ms < 0:
        raise CommandError(TIMEOUT_NEGATIVE)
    # getTimeoutFromObjectOrReply: 0 stays 0 (no pause); otherwise now + ms, which
    # wraps around past LLONG_MAX in 7.0.15 (an end in the past: no pause either)
    end = ctx.now_ms + ms if ms else 0
    if end > LONG_MAX:
        end -= 1 << 64
    ctx.dispatcher.pause(end, kind)
    if ctx.dispatcher.pause_type:
        ctx.session.pending_action = _pause_watch
    return OK


@group.command("client|unpause", arity=2, flags="admin noscript loading stale")
def cmd_client_unpause(ctx: Context, sub: bytes):
    """CLIENT UNPAUSE"""
    ctx.dispatcher.unpause()
    return OK
