"""Server: a kvfake instance listening on TCP, served by a background thread.

Lifecycle: ``start()`` binds and listens in the caller's thread (so "address in
use" is raised where the user called it and the port is final), starts the loop
thread and returns once the loop is running.  ``stop()`` asks the loop to end
through its wake-up socket, joins the thread, and closes every client, the
listener and the wake-up pair; it is idempotent.  Works as a context manager.

Imports: kvfake.net.loop, kvfake.dispatch, kvfake.store, kvfake.clock, kvfake.config.
"""

from __future__ import annotations

import socket
import threading

from kvfake.clock import Clock
from kvfake.config import Config
from kvfake.dispatch import Dispatcher
from kvfake.errors import KvfakeError
from kvfake.net.loop import EventLoop
from kvfake.store import Store


class Server:
    """A Redis-compatible server on a background thread.

    >>> import socket
    >>> with Server() as server:                      # 127.0.0.1, a free port
    ...     s = socket.create_connection((server.host, server.port))
    ...     s.sendall(b"PING\\r\\n")
    ...     s.recv(100)
    b'+PONG\\r\\n'

    ``server.store`` gives thread-safe direct access to the data; ``server.url``
    is ``redis://host:port/0`` for clients.
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
    ) -> None:
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
        return self._thread is not None and self._thread.is_alive()

    @property
    def errors(self) -> list:
        """Tracebacks of unexpected errors inside the server (should stay empty)."""
        loop_errors = self._loop.errors if self._loop is not None else []
        return [tb for _, tb in self.dispatcher.internal_errors] + list(loop_errors)

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "Server":
        with self._lock:
            if self._thread is not None:
                raise KvfakeError("server already started")
            family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((self._host, self._requested_port))
                listener.listen(511)
                listener.setblocking(False)
            except OSError:
                listener.close()
                raise
            self._port = listener.getsockname()[1]
            self.config.set(b"port", str(self._port).encode())
            self.config.set(b"bind", self._host.encode())
            self.started_ms = self.store.clock.now_ms()
            loop = EventLoop(listener, self.dispatcher, self.store)
            ready = threading.Event()
            thread = threading.Thread(
                target=loop.run, args=(ready,), name=f"kvfake-{self._port}", daemon=True
            )
            self._loop = loop
            self._thread = thread
            thread.start()
            ready.wait()
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
            loop.stopping = True
            loop.wake()
            thread.join()
            loop.close_wakeup()
            self._thread = None

    def __enter__(self) -> "Server":
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<kvfake.Server {self._host}:{self._port} {state}>"

    # -- clock ---------------------------------------------------------------

    def _on_clock_moved(self) -> None:
        # Time travel runs the active expiry sweep, as Redis would over that time.
        self.store.active_expire_step()

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
            if not conn.out:
                conn.close()
            killed += 1
        return killed

    def info_stats(self) -> dict:
        loop = self._loop
        return {
            "total_connections_received": loop.stat_connections_received if loop else 0,
            "total_commands_processed": self.dispatcher.stat_commands,
            "connected_clients": len(loop.connections) if loop else 0,
        }
