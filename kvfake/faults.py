"""Fault injection at the wire level: the rules a test installs on ``server.faults``.

A rule is a matcher (command name, first-argument glob, argument globs, client
id or name, database, a predicate, and which of the matching calls) plus an
action: answer an error, answer late, close the connection before or after
running the command, write half a reply and close, answer garbage bytes.
Connection rules act when a client connects instead: refuse it (accept and
close at once) or stall it (accept and read nothing until released).

Strategy: the loop thread asks ``faults.armed`` once per command, a plain
attribute that is False while no command rule is installed, so a server without
faults pays one attribute check per command (and ``accept_armed`` once per
accepted connection).  Everything else takes the set's lock: rules are added
and removed from the test thread and matched on the loop thread.  Actions run
on the loop thread and talk to the connection through a small duck-typed
surface (``out``, ``session``, ``ctx``, ``paused``, ``close()``, ``flush()``,
``process()``, ``run_request(args)``, ``loop.call_later``, ``loop.resume_reading``),
so this module never touches a socket.

Imports: kvfake.errors, kvfake.store.glob, kvfake.protocol.encoder,
kvfake.protocol.replies.  Never: socket, selectors, threading.Thread.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Union

from kvfake.errors import KvfakeError
from kvfake.protocol.encoder import encode
from kvfake.protocol.replies import NO_REPLY, ErrorReply, Raw
from kvfake.store.glob import matcher

# -- Redis 7.0 texts (each produced by redis-server 7.0.15 and compared byte for byte,
#    except where noted) ---------------------------------------------------------------

#: a server still loading its RDB/AOF at startup (seen on a 3M-key RDB load)
LOADING = "LOADING Redis is loading the dataset in memory"
#: a write sent to a replica (REPLICAOF another server)
READONLY = "READONLY You can't write against a read only replica."
#: any command while a script runs past busy-reply-threshold (EVAL "while true do end" 0)
BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
#: the same while a function runs (FCALL)
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
#: a write (denyoom command) over maxmemory with noeviction (CONFIG SET maxmemory 1; SET)
OOM = "OOM command not allowed when used memory > 'maxmemory'."
#: a replica whose master link is down, with replica-serve-stale-data no
MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
#: cluster mode: a multi-key command while its slot migrates and some keys are missing
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
#: cluster mode: a key whose slot no node serves
CLUSTERDOWN = "CLUSTERDOWN Hash slot not served"

#: what ``garbage()`` sends by default: ``?`` starts no RESP2 or RESP3 type
GARBAGE = b"?kvfake garbage\r\n"

Text = Union[str, Callable[[list], str]]
Match = Union[str, bytes, None]


def moved_text(slot: int, host: str, port: int) -> str:
    """``MOVED <slot> <host>:<port>`` (redis 7.0.15 cluster, a key owned by another node)."""
    return f"MOVED {slot} {host}:{port}"


def ask_text(slot: int, host: str, port: int) -> str:
    """``ASK <slot> <host>:<port>`` (redis 7.0.15 cluster, a key of a migrating slot)."""
    return f"ASK {slot} {host}:{port}"


def _crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), the checksum Redis Cluster uses for key slots."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def key_slot(key: bytes) -> int:
    """Redis Cluster's slot of ``key`` (CLUSTER KEYSLOT), hash tags included.

    >>> key_slot(b"foo"), key_slot(b"{foo}bar")
    (12182, 12182)
    """
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return _crc16(key) & 16383


def _to_bytes(value: "str | bytes") -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _command_name(command: Match) -> "tuple[bytes, bytes | None] | None":
    """``"GET"`` -> (b"get", None); ``"client|kill"`` or ``"CLIENT KILL"`` -> (b"client", b"kill")."""
    if command is None:
        return None
    name = _to_bytes(command).strip().lower()
    if name in (b"", b"*"):
        return None
    for sep in (b"|", b" "):
        if sep in name:
            container, _, sub = name.partition(sep)
            return container, sub.strip()
    return name, None


class Matcher:
    """Which calls a command rule applies to (all the given conditions must hold)."""

    __slots__ = ("name", "sub", "key", "args", "client_id", "client_name", "db", "where")

    def __init__(
        self,
        command: Match = None,
        *,
        key: Match = None,
        args: "Iterable[str | bytes] | None" = None,
        client: "int | str | bytes | None" = None,
        db: "int | None" = None,
        where: "Callable[[list], bool] | None" = None,
    ) -> None:
        parsed = _command_name(command)
        self.name, self.sub = parsed if parsed is not None else (None, None)
        self.key = matcher(_to_bytes(key)) if key is not None else None
        self.args = tuple(matcher(_to_bytes(a)) for a in args) if args is not None else None
        self.client_id = client if isinstance(client, int) and not isinstance(client, bool) else None
        self.client_name = (
            matcher(_to_bytes(client)) if isinstance(client, (str, bytes)) else None
        )
        self.db = db
        self.where = where

    def __call__(self, session, args: list) -> bool:
        if self.name is not None:
            if args[0].lower() != self.name:
                return False
            if self.sub is not None and (len(args) < 2 or args[1].lower() != self.sub):
                return False
        if self.key is not None and (len(args) < 2 or not self.key(args[1])):
            return False
        if self.args is not None:
            rest = args[1:]
            if len(rest) < len(self.args):
                return False
            for pred, arg in zip(self.args, rest):
                if not pred(arg):
                    return False
        if self.client_id is not None and session.id != self.client_id:
            return False
        if self.client_name is not None and not (session.name and self.client_name(session.name)):
            return False
        if self.db is not None and session.db != self.db:
            return False
        if self.where is not None and not self.where(list(args)):
            return False
        return True


class Rule:
    """One installed fault.  ``with`` it, or call ``remove()`` when done.

    ``hits`` counts the calls (or connections) the rule acted on, ``seen`` the
    matching ones it counted (those before ``nth`` included).  A rule whose
    ``times`` are used up removes itself; ``active`` tells.
    """

    kind = "rule"

    def __init__(self, faults: "FaultSet", match, *, nth: "int | None", times: "int | None") -> None:
        if nth is not None and nth < 1:
            raise ValueError("nth counts from 1")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        self._faults = faults
        self.match = match
        self.skip = (nth - 1) if nth is not None else 0
        # nth alone means "only that call"; neither means "every call until removed"
        self.times = times if times is not None else (1 if nth is not None else None)
        self.seen = 0
        self.hits = 0
        self.active = False

    # -- public --------------------------------------------------------------

    def remove(self) -> None:
        """Uninstall the rule (idempotent).  Requests it parked resume now."""
        self._faults._remove(self)

    def wait(self, hits: int = 1, timeout: float = 5.0) -> bool:
        """Block until the rule has acted ``hits`` times; False on timeout."""
        return self._faults._wait(lambda: self.hits >= hits, timeout)

    def __enter__(self) -> "Rule":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return f"<kvfake fault {self.kind} {self._describe()} hits={self.hits} {state}>"

    # -- internals (called with the set's lock held) ---------------------------

    def _describe(self) -> str:
        return ""

    def _take(self) -> bool:
        """Count one matching call; True when this call is the rule's to act on."""
        self.seen += 1
        if self.seen <= self.skip:
            return False
        self.hits += 1
        if self.times is not None and self.hits >= self.times:
            self._faults._retire(self)
        return True

    def _on_remove(self) -> None:
        pass


class CommandRule(Rule):
    """A rule matched against each command; ``act(conn, args)`` runs on the loop thread."""

    def __init__(self, faults, match: Matcher, *, nth, times, kind: str, **params) -> None:
        super().__init__(faults, match, nth=nth, times=times)
        self.kind = kind
        self.params = params
        self._parked: list = []  # delay: [conn, args, held_reply, resumed?]

    def _describe(self) -> str:
        m = self.match
        name = "*" if m.name is None else m.name.decode("latin-1").upper()
        if m.sub is not None:
            name += " " + m.sub.decode("latin-1").upper()
        return name

    # -- actions ---------------------------------------------------------------

    def act(self, conn, args: list) -> None:
        getattr(self, "_act_" + self.kind)(conn, args)

    def _act_error(self, conn, args: list) -> None:
        text = self.params["text"]
        if callable(text):
            text = text(list(args))
        reply = ErrorReply(text)
        if self.params["execute"]:
            _execute(conn, args)
        else:
            _observe(conn, args, reply)
        _write(conn, encode(reply, conn.session.protover))

    def _act_garbage(self, conn, args: list) -> None:
        data = self.params["data"]
        if self.params["execute"]:
            _execute(conn, args)
        else:
            _observe(conn, args, Raw(data))
        _write(conn, data)
        if self.params["close"]:
            _close_after_output(conn)

    def _act_drop(self, conn, args: list) -> None:
        if self.params["execute"]:
            _execute(conn, args)
        else:
            _observe(conn, args, NO_REPLY)
        _close_after_output(conn)

    def _act_half(self, conn, args: list) -> None:
        reply = _execute(conn, args)
        data = b"" if _is_block(reply) else encode(reply, conn.session.protover)
        cut = self.params["cut"]
        if cut is None:
            cut = max(1, len(data) // 2)
        _write(conn, data[: min(cut, len(data))])
        _close_after_output(conn)

    def _act_delay(self, conn, args: list) -> None:
        held = None
        if self.params["run"] == "before":
            reply = _execute(conn, args)
            # a blocking command that would wait changed nothing: it runs (and
            # blocks) for real when the delay ends, as with run="after"
            if not _is_block(reply):
                held = encode(reply, conn.session.protover)
        entry = [conn, args, held, False]
        self._parked.append(entry)
        conn.paused = True
        conn.loop.call_later(self.params["seconds"], lambda: self._resume(entry))

    def _resume(self, entry: list) -> None:
        """Loop thread: the delay is over (or the rule was removed)."""
        conn, args, held, done = entry
        if done:
            return
        entry[3] = True
        try:
            self._parked.remove(entry)
        except ValueError:
            pass
        if conn.closed:
            return
        conn.paused = False
        if held is None:
            conn.run_request(args)
        else:
            _write(conn, held)
        conn.process()
        conn.flush()

    def _on_remove(self) -> None:
        # removing a delay rule ends the delay of every request it parked
        for entry in list(self._parked):
            conn = entry[0]
            conn.loop.call_soon_threadsafe(lambda e=entry: self._resume(e))


class ConnectionRule(Rule):
    """A rule applied to each accepted connection: refuse or stall."""

    def __init__(self, faults, *, nth, times, kind: str) -> None:
        super().__init__(faults, None, nth=nth, times=times)
        self.kind = kind
        self._stalled: list = []

    @property
    def stalled(self) -> int:
        """How many accepted connections this stall rule is holding right now."""
        return sum(1 for conn in self._stalled if not conn.closed)

    def release(self) -> None:
        """Stall rules: stop stalling (same as ``remove()``); held clients are served."""
        self.remove()

    def act(self, conn) -> bool:
        if self.kind == "refuse":
            conn.close()
        else:
            self._stalled.append(conn)
        return True

    def _on_remove(self) -> None:
        held, self._stalled = self._stalled, []
        if not held:
            return
        loop = held[0].loop

        def resume() -> None:
            for conn in held:
                if not conn.closed:
                    loop.resume_reading(conn)

        loop.call_soon_threadsafe(resume)


# -- helpers run on the loop thread ---------------------------------------------------


def _write(conn, data: bytes) -> None:
    conn.out += data


def _execute(conn, args: list):
    """Run the command for real (journal and stats included); return its reply value."""
    return conn.loop.dispatcher.execute(conn.ctx, args)


def _is_block(reply) -> bool:
    """A blocking command's "park me" value (kvfake.commands.blocking.Block, by name:
    this layer may not import commands).  Only the connection may act on it; a fault
    that runs the command itself treats it as "nothing happened, nothing to send"."""
    return reply.__class__.__name__ == "Block"


def _observe(conn, args: list, reply) -> None:
    """Tell the dispatcher's observers and recorders (journal) about a command a fault answered."""
    dispatcher = conn.loop.dispatcher
    for observer in dispatcher.observers:
        observer(conn.ctx, args, reply)
    for recorder in dispatcher.recorders:
        recorder(conn.ctx, (args,), (reply,))


def _close_after_output(conn) -> None:
    """Stop reading; close once what is already in the output buffer is written."""
    conn.session.close_after_reply = True
    if not conn.out:
        conn.close()


# -- the set --------------------------------------------------------------------------


class FaultSet:
    """``server.faults``: install, inspect and remove wire-level faults (thread-safe).

    >>> from kvfake import Server
    >>> import redis
    >>> with Server() as server:
    ...     r = redis.Redis(port=server.port)
    ...     with server.faults.error("GET", LOADING):
    ...         try:
    ...             r.get("k")
    ...         except redis.exceptions.BusyLoadingError as exc:
    ...             print(exc)
    ...     r.get("k") is None
    Redis is loading the dataset in memory
    True

    Every command action takes the same matching keywords:

    - ``command``: the name, any case (``"GET"``), a subcommand as ``"CLIENT KILL"``
      or ``"client|kill"``; None or ``"*"`` for every command (handshake commands
      such as HELLO and CLIENT SETINFO included).
    - ``key``: a Redis glob matched against the first argument.
    - ``args``: globs matched one to one against the first arguments (the call
      may have more).
    - ``client``: a client id (int) or a name glob (str/bytes; unnamed clients
      never match a name).
    - ``db``: the client's selected database.
    - ``where``: any predicate of the argument list (bytes, name first).
    - ``nth`` / ``times``: which matching calls act: ``nth=3`` only the third,
      ``times=2`` the next two, both ``nth=3, times=2`` the third and fourth,
      neither every one until the rule is removed.

    Rules are tried in the order they were installed; each one counts the calls it
    matches, and the first whose turn it is acts: later rules do not see that call.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._command_rules: list = []
        self._accept_rules: list = []
        self._loop = None
        #: False while no command rule is installed (read once per command)
        self.armed = False
        #: False while no connection rule is installed (read once per accept)
        self.accept_armed = False

    # -- loop wiring (net.server) -------------------------------------------------

    def attach(self, loop) -> None:
        """Serve faults on ``loop`` (the server calls this on every start)."""
        self._loop = loop
        loop.faults = self

    # -- command faults ------------------------------------------------------------

    def error(self, command: Match, text: Text, *, execute: bool = False, **match) -> CommandRule:
        """Answer ``-<text>`` instead of the reply.

        ``text`` is the full text with its code (``"LOADING Redis is loading the
        dataset in memory"``), or a function of the argument list returning it.
        The command does not run unless ``execute=True`` (then it runs and its
        reply is replaced by the error).
        """
        return self._add_command(command, match, kind="error", text=text, execute=execute)

    def loading(self, command: Match = None, **match) -> CommandRule:
        """``-LOADING Redis is loading the dataset in memory``."""
        return self.error(command, LOADING, **match)

    def readonly(self, command: Match = None, **match) -> CommandRule:
        """``-READONLY You can't write against a read only replica.``"""
        return self.error(command, READONLY, **match)

    def busy(self, command: Match = None, **match) -> CommandRule:
        """``-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.``"""
        return self.error(command, BUSY, **match)

    def oom(self, command: Match = None, **match) -> CommandRule:
        """``-OOM command not allowed when used memory > 'maxmemory'.``"""
        return self.error(command, OOM, **match)

    def masterdown(self, command: Match = None, **match) -> CommandRule:
        """``-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.``"""
        return self.error(command, MASTERDOWN, **match)

    def moved(
        self, command: Match = None, *, host: str = "127.0.0.1", port: int = 6379,
        slot: "int | None" = None, **match,
    ) -> CommandRule:
        """``-MOVED <slot> <host>:<port>``; the slot defaults to the first key's real slot."""
        return self.error(command, _redirect("MOVED", host, port, slot), **match)

    def ask(
        self, command: Match = None, *, host: str = "127.0.0.1", port: int = 6379,
        slot: "int | None" = None, **match,
    ) -> CommandRule:
        """``-ASK <slot> <host>:<port>``; the slot defaults to the first key's real slot."""
        return self.error(command, _redirect("ASK", host, port, slot), **match)

    def delay(self, command: Match, seconds: float, *, run: str = "after", **match) -> CommandRule:
        """Answer ``seconds`` late, without stalling other clients.

        The connection is parked (its later pipelined commands wait too) and a loop
        timer resumes it.  ``run="after"`` (default): the command runs when the delay
        ends, as if the request had been slow to arrive, so a client that gives up
        early has not changed anything yet.  ``run="before"``: it runs at once and
        only the reply is late (the client times out but the write happened).
        Removing the rule ends every pending delay at once.  Delays are real
        seconds, not the server clock.
        """
        if run not in ("after", "before"):
            raise ValueError('run must be "after" or "before"')
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return self._add_command(command, match, kind="delay", seconds=float(seconds), run=run)

    def drop_before(self, command: Match = None, **match) -> CommandRule:
        """Close the connection instead of running the command (it does not run)."""
        return self._add_command(command, match, kind="drop", execute=False)

    def drop_after(self, command: Match = None, **match) -> CommandRule:
        """Run the command, then close the connection: the change is made, the reply lost."""
        return self._add_command(command, match, kind="drop", execute=True)

    def half_reply(self, command: Match = None, *, cut: "int | None" = None, **match) -> CommandRule:
        """Run the command, write the first ``cut`` bytes of its reply (default half), close."""
        if cut is not None and cut < 0:
            raise ValueError("cut must not be negative")
        return self._add_command(command, match, kind="half", cut=cut)

    def garbage(
        self, command: Match = None, data: bytes = GARBAGE, *, execute: bool = False,
        close: bool = False, **match,
    ) -> CommandRule:
        """Answer ``data`` (raw bytes, default ``?kvfake garbage\\r\\n``) instead of the reply.

        The command does not run unless ``execute=True``; the connection stays open
        unless ``close=True`` (clients usually drop it themselves).
        """
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("garbage data must be bytes")
        return self._add_command(command, match, kind="garbage", data=bytes(data),
                                 execute=execute, close=close)

    # -- connection faults -----------------------------------------------------------

    def refuse(self, *, nth: "int | None" = None, times: "int | None" = None) -> ConnectionRule:
        """Accept new connections and close them at once (the client sees EOF)."""
        return self._add_accept("refuse", nth, times)

    def stall(self, *, nth: "int | None" = None, times: "int | None" = None) -> ConnectionRule:
        """Accept new connections but read nothing from them until the rule is removed
        (``release()``); then they are served normally, buffered commands included."""
        return self._add_accept("stall", nth, times)

    def drop_connections(self, timeout: float = 5.0) -> int:
        """Close every client connection now (pending output is discarded); return how many.

        Runs on the loop thread; returns 0 when the server is not running.
        """
        loop = self._loop
        if loop is None or loop.stopping:
            return 0
        result: list = []
        done = threading.Event()

        def drop() -> None:
            try:
                conns = list(loop.connections.values())
                for conn in conns:
                    conn.close()
                result.append(len(conns))
            finally:
                done.set()

        if loop.thread_ident == threading.get_ident():
            drop()
        else:
            loop.call_soon_threadsafe(drop)
            if not done.wait(timeout):
                raise KvfakeError("the server loop did not answer")
        return result[0] if result else 0

    # -- inspection and reset ----------------------------------------------------------

    @property
    def rules(self) -> list:
        """The installed rules, command rules first, in installation order."""
        with self._lock:
            return list(self._command_rules) + list(self._accept_rules)

    def clear(self) -> None:
        """Remove every rule (pending delays end, stalled connections are served)."""
        with self._lock:
            rules = self._command_rules + self._accept_rules
        for rule in rules:
            rule.remove()

    def __len__(self) -> int:
        return len(self._command_rules) + len(self._accept_rules)

    def __repr__(self) -> str:
        return f"<kvfake FaultSet {len(self)} rules>"

    # -- loop-thread entry points --------------------------------------------------------

    def intercept(self, conn, args: list) -> bool:
        """Called for each command while ``armed``: True when a rule took the command."""
        session = conn.session
        with self._lock:
            for rule in self._command_rules:
                if rule.match(session, args) and rule._take():
                    break
            else:
                return False
            self._changed.notify_all()
        rule.act(conn, args)
        return True

    def on_accept(self, conn) -> bool:
        """Called for each accepted connection while ``accept_armed``: True when a rule
        took it (closed, or held unregistered until released)."""
        with self._lock:
            for rule in self._accept_rules:
                if rule._take():
                    break
            else:
                return False
            self._changed.notify_all()
        return rule.act(conn)

    # -- internals -------------------------------------------------------------------------

    def _add_command(self, command: Match, match: dict, *, kind: str, **params) -> CommandRule:
        nth = match.pop("nth", None)
        times = match.pop("times", None)
        unknown = set(match) - {"key", "args", "client", "db", "where"}
        if unknown:
            raise TypeError(f"unknown fault options: {sorted(unknown)}")
        rule = CommandRule(self, Matcher(command, **match), nth=nth, times=times, kind=kind, **params)
        with self._lock:
            rule.active = True
            self._command_rules.append(rule)
            self.armed = True
        return rule

    def _add_accept(self, kind: str, nth, times) -> ConnectionRule:
        rule = ConnectionRule(self, nth=nth, times=times, kind=kind)
        with self._lock:
            rule.active = True
            self._accept_rules.append(rule)
            self.accept_armed = True
        return rule

    def _retire(self, rule: Rule) -> None:
        """Lock held: take ``rule`` out of the lists (its times are used up)."""
        rule.active = False
        rules = self._accept_rules if isinstance(rule, ConnectionRule) else self._command_rules
        try:
            rules.remove(rule)
        except ValueError:
            pass
        self.armed = bool(self._command_rules)
        self.accept_armed = bool(self._accept_rules)

    def _remove(self, rule: Rule) -> None:
        with self._lock:
            self._retire(rule)
            self._changed.notify_all()
        rule._on_remove()

    def _wait(self, predicate, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout)


def _redirect(code: str, host: str, port: int, slot: "int | None") -> Text:
    if slot is not None:
        return f"{code} {slot} {host}:{port}"

    def text(args: list) -> str:
        key = args[1] if len(args) > 1 else b""
        return f"{code} {key_slot(key)} {host}:{port}"

    return text
