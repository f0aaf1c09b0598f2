"""Server: a kvfake instance listening on TCP, served by a background thread.

Lifecycle: ``start()`` binds and listens in the caller's thread (so "address in
use" is raised where the user called it and the port is final), starts the loop
thread and returns once the loop is running.  ``stop()`` asks the loop to end
through its wake-up socket, joins the thread, and closes every client, the
listener and the wake-up pair; it is idempotent.  Works as a context manager.
``stop_soon()`` (a client's SHUTDOWN) stops from inside the loop: ``stop()`` runs on a
thread of its own, and ``start()`` waits for it before starting again.

Test powers (for the pytest plugin and direct use): ``clock`` (a ManualClock
following real time unless told otherwise), ``journal`` (every command
received), ``seed()`` / ``dump()`` / ``assert_data()`` and ``reset()``; see
kvfake.net.powers, kvfake.journal and kvfake.store.snapshot.

Also ``faults`` (wire-level fault injection, kvfake.faults), ``restart()`` and
``register_command()`` / ``override()`` (kvfake.commands.custom).

Imports: kvfake.net.loop, kvfake.net.powers, kvfake.dispatch, kvfake.store, kvfake.clock,
kvfake.config, kvfake.journal, kvfake.faults, kvfake.commands.custom.
"""

from __future__ import annotations

import socket
import threading

from kvfake.clock import Clock, ManualClock
from kvfake.commands.custom import CustomCommands
from kvfake.config import Config
from kvfake.dispatch import Dispatcher
from kvfake.errors import KvfakeError
from kvfake.faults import FaultSet
from kvfake.journal import DEFAULT_CAPACITY, Journal
from kvfake.net import powers
from kvfake.net.loop import EventLoop
from kvfake.store import Store, snapshot


class Server:
    """A Redis-compatible server on a background thread.

    >>> import socket
    >>> with Server() as server:                      # 127.0.0.1, a free port
    ...     s = socket.create_connection((server.host, server.port))
    ...     s.sendall(b"PING\\r\\n")
    ...     s.recv(100)
    b'+PONG\\r\\n'

    ``server.store`` gives thread-safe direct access to the data; ``server.url``
    is ``redis://host:port/0`` for clients.  ``journal_size``: how many commands
    ``server.journal`` keeps (0: no journal, as ``kvfake serve`` runs).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        store: "Store | None" = None,
        clock: "Clock | None" = None,
        requirepass: "str | bytes | None" = None,
        databases: int = 16,
        seed: "int | None" = None,
        frozen: bool = False,
        start_time: "float | object | None" = None,
        journal_size: int = DEFAULT_CAPACITY,
    ) -> None:
        if clock is None and (store is None or frozen or start_time is not None):
            # real time by default, but one a test can advance, freeze or set
            clock = ManualClock(start=start_time, frozen=frozen)
        if store is None:
            store = Store(databases=databases, clock=clock, seed=seed)
        elif clock is not None:
            store.clock = clock
        self.store = store
        self._host = host
        self._requested_port = port
        self._port = port
        self.config = Config()
        self.config.set(b"databases", str(len(store.dbs)).encode())
        if requirepass:
            pw = requirepass.encode() if isinstance(requirepass, str) else requirepass
            self.config.set(b"requirepass", pw)
        self.dispatcher = Dispatcher(store, server=self, config=self.config)
        #: wire-level fault injection (kvfake.faults.FaultSet); kept across restarts
        self.faults = FaultSet()
        #: commands added or overridden by tests (kvfake.commands.custom.CustomCommands)
        self.custom_commands = CustomCommands(self.dispatcher)
        self.random_seed = seed
        self.journal = Journal(table=lambda: self.dispatcher.table, capacity=journal_size)
        if journal_size:  # 0: no journal at all (``kvfake serve``: no test can read it)
            self.dispatcher.recorders.append(self.journal.record)
        self.config_baseline: "dict | None" = None
        self._loop: "EventLoop | None" = None
        self._thread: "threading.Thread | None" = None
        self._lock = threading.Lock()
        self.started_ms = 0
        self._clock_listener = None

    # -- properties ----------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"redis://{host}:{self._port}/0"

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @property
    def running(self) -> bool:
        """Serving clients: started, and neither stopped nor stopping (``stop()``, SHUTDOWN)."""
        loop = self._loop
        return self._thread is not None and self._thread.is_alive() and not (loop is not None and loop.stopping)

    @property
    def errors(self) -> list:
        """Tracebacks of unexpected errors inside the server (should stay empty)."""
        loop_errors = self._loop.errors if self._loop is not None else []
        return [tb for _, tb in self.dispatcher.internal_errors] + list(loop_errors)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "Server":
        if self._loop is not None and self._loop.stopping:
            self.stop()  # a SHUTDOWN (stop_soon) is under way: let it finish first
        with self._lock:
            if self._thread is not None:
                raise KvfakeError("server already started")
            family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                # after a stop(), start() again on the port it had (restart())
                listener.bind((self._host, self._port))
                listener.listen(511)
                listener.setblocking(False)
            except OSError:
                listener.close()
                raise
            self._port = listener.getsockname()[1]
            self.config.set(b"port", str(self._port).encode())
            self.config.set(b"bind", self._host.encode())
            self.started_ms = self.store.clock.now_ms()
            if self.config_baseline is None:
                self.config_baseline = dict(self.config.values)
            loop = EventLoop(listener, self.dispatcher, self.store)
            self.faults.attach(loop)
            # BCAST invalidations and changes made outside commands: sent once the loop
            # has run the commands at hand (Redis's beforeSleep)
            self.dispatcher.pubsub.schedule = loop.call_soon_threadsafe
            ready = threading.Event()
            thread = threading.Thread(
                target=loop.run, args=(ready,), name=f"kvfake-{self._port}", daemon=True
            )
            self._loop = loop
            self._thread = thread
            thread.start()
            ready.wait()
            # Store API writes from other threads that wake blocked clients (BLPOP...)
            self.store.ready_hook = self._post_serve_ready
            add_listener = getattr(self.store.clock, "add_listener", None)
            if add_listener is not None:
                self._clock_listener = self._on_clock_moved
                add_listener(self._clock_listener)
            return self

    def stop(self) -> None:
        with self._lock:
            thread, loop = self._thread, self._loop
            if thread is None or loop is None:
                return
            if self._clock_listener is not None:
                self.store.clock.remove_listener(self._clock_listener)
                self._clock_listener = None
            if self.store.ready_hook == self._post_serve_ready:
                self.store.ready_hook = None
            loop.stopping = True
            loop.wake()
            thread.join()
            loop.close_wakeup()
            self._thread = None
            if self.dispatcher.pubsub.schedule == loop.call_soon_threadsafe:
                self.dispatcher.pubsub.schedule = None

    def stop_soon(self) -> None:
        """Stop without waiting, from any thread, the loop's own included (a client's SHUTDOWN):
        no further command runs, and ``stop()`` runs on a thread of its own (the loop thread
        never joins itself).  ``running`` is False at once; ``start()`` may follow (it waits)."""
        loop = self._loop
        if loop is None or loop.stopping or self._thread is None:
            return
        loop.stopping = True
        loop.wake()
        threading.Thread(target=self.stop, name=f"kvfake-{self._port}-shutdown", daemon=True).start()

    def restart(self, *, keep_data: bool = True) -> "Server":
        """Stop, then start again on the same port: every client sees its connection
        dropped and can reconnect.  ``keep_data=False`` flushes every database in
        between (a server that lost its data); fault rules and custom commands stay.
        """
        self.stop()
        if not keep_data:
            self.store.flushall()
        return self.start()

    # -- custom replies (kvfake.commands.custom) -------------------------------

    def register_command(self, name, handler, *, arity: int = -1, flags: str = "", keys=(0, 0, 0)):
        """Add a command (or replace one) answered by ``handler(*args) -> reply``.

        >>> with Server() as server:                              # doctest: +SKIP
        ...     server.register_command("CLUSTER|SLOTS", lambda *a: [], arity=2)

        Returns a handle with ``remove()``, usable as a context manager;
        ``server.custom_commands.clear()`` removes them all.
        """
        return self.custom_commands.register(name, handler, arity=arity, flags=flags, keys=keys)

    def override(self, name, reply):
        """Answer command ``name`` with a fixed ``reply`` or ``reply(*args)``; a built-in
        command keeps its arity and flags.  Returns a handle like ``register_command``."""
        return self.custom_commands.override(name, reply)

    def __enter__(self) -> "Server":
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<kvfake.Server {self._host}:{self._port} {state}>"

    # -- test powers ------------------------------------------------------------

    def reset(self) -> None:
        """Flush every database, reset the clock; clear the journal, faults, custom commands, CONFIG changes, errors."""
        powers.reset(self)

    def clear_errors(self) -> None:
        """Forget the internal errors recorded so far (``errors`` becomes empty)."""
        powers.clear_errors(self)

    def seed(self, data, *, db: "int | None" = None) -> int:
        """Write data straight into the store; return how many keys were written.

        ``data`` is a mapping (``{"k": "v", "h": {"f": "v"}, "l": ["a"], "s": {"m"},
        "z": {"type": "zset", "value": {"m": 1}, "ttl": 10}}``, for database ``db``,
        default 0; or ``{db: {...}}`` as :meth:`dump` returns), or the path of a
        ``.json`` file (the same data) or of a file of Redis commands, one per line.
        """
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            return powers.seed_file(self, data, db=db)
        return powers.seed_data(self, data, db=db)

    def seed_commands(self, commands, *, db: int = 0) -> int:
        """Run Redis commands (text in redis-cli syntax, lines, or argv lists) without journaling them."""
        return powers.seed_commands(self, commands, db=db)

    def seed_json(self, text: "str | bytes", *, db: "int | None" = None) -> int:
        """Seed from JSON text (what ``json.dumps(server.dump())`` produces, or one keyspace)."""
        return powers.seed_json(self, text, db=db)

    def dump(self, db: "int | None" = None, *, decode: bool = True) -> dict:
        """The data as plain Python: ``{db: {key: {"type", "value", "ttl"}}}`` (or one keyspace for ``db``)."""
        return snapshot.dump(self.store, db=db, decode=decode)

    def assert_data(self, expected, *, db: "int | None" = None, partial: bool = False) -> None:
        """Fail with a readable diff unless the data equals ``expected`` (the forms :meth:`seed` takes).

        With ``partial=True`` only the keys in ``expected`` are checked.
        """
        report = snapshot.diff(expected, self.dump(), db=db, partial=partial)
        if report is not None:
            raise AssertionError(report)

    # -- clock ---------------------------------------------------------------

    def _on_clock_moved(self) -> None:
        # Time travel runs the active expiry sweep, as Redis would over that time,
        # and times out the blocked clients whose deadline it passed (loop thread).
        self.store.active_expire_step()
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self.dispatcher.blocking.expire_due)

    def _post_serve_ready(self) -> None:
        # Store.ready_hook: a thread-safe write gave a value to a key clients are
        # blocked on; serve them on the loop thread
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self.dispatcher.blocking.serve_ready)

    # -- ServerView (used by commands) --------------------------------------

    def clients(self) -> list:
        loop = self._loop
        return loop.sessions() if loop is not None else []

    def kill_clients(self, predicate, *, skip=None) -> int:
        loop = self._loop
        if loop is None:
            return 0
        killed = 0
        for conn in list(loop.connections.values()):
            if conn.session is skip or not predicate(conn.session):
                continue
            conn.session.close_after_reply = True
            if not conn.out or conn.blocked is not None:
                conn.close()  # a blocked client leaves its wait lists at once (redis 7.0)
            killed += 1
        return killed

    def info_stats(self) -> dict:
        loop = self._loop
        return {
            "total_connections_received": loop.stat_connections_received if loop else 0,
            "total_commands_processed": self.dispatcher.stat_commands,
            "connected_clients": len(loop.connections) if loop else 0,
        }
