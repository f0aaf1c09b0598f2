"""The server's event loop: one selector, one thread, many connections.

Strategy: the listening socket, a socketpair used to wake the loop (stop
requests, work posted from other threads) and every client socket are
registered with one selector; ``key.data`` is the callable to run for the
event.  Timers (active expiry every 100 ms, as Redis's hz 10) run between
selects.  No socket call ever blocks, and the store lock is never held during
socket I/O.  An exception escaping a connection's handler is logged, recorded
in ``errors`` and closes only that connection: the loop never dies because of
one client.

Fault hooks (kvfake.faults): ``faults.on_accept`` per accepted connection while
connection rules are installed; ``call_later`` timers end fault delays.

Blocked clients (BLPOP...): the select timeout also covers the nearest blocking
deadline (on the store's clock), due waiters are timed out after each select, and
connections the BlockingManager unblocked run their buffered input last.

Imports: kvfake.net.connection, kvfake.dispatch, kvfake.store, kvfake.session, kvfake.faults.
"""

from __future__ import annotations

import collections
import heapq
import logging
import selectors
import socket
import threading
import time
import traceback

from kvfake.faults import FaultSet
from kvfake.net.connection import Connection
from kvfake.session import ClientSession

log = logging.getLogger("kvfake")

EXPIRE_PERIOD_S = 0.1


class EventLoop:
    def __init__(self, listener: socket.socket, dispatcher, store) -> None:
        self.listener = listener
        self.dispatcher = dispatcher
        self.store = store
        self.sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.connections: dict = {}  # fileno -> Connection
        self.errors: list = []
        self.stopping = False
        self._posted: collections.deque = collections.deque()
        self._next_client_id = 1
        self.stat_connections_received = 0
        self._next_expire = 0.0
        # server.faults attaches its FaultSet here; this one is never armed
        self.faults = FaultSet()
        # call_later timers: heap of (monotonic deadline, sequence, fn)
        self._timers: list = []
        self._timer_seq = 0
        self.thread_ident: "int | None" = None
        # blocked clients (kvfake.commands.blocking): the manager, and the connections
        # just unblocked whose buffered input runs at the end of this iteration
        self.blocking = dispatcher.blocking
        self._resumed: collections.deque = collections.deque()
        # connections that got pushes (pub/sub, invalidations) while a command ran: their
        # bytes go out before that command's reply, as Redis writes them (Connection.flush)
        self.pushed: list = []

    # -- thread-safe entry points ------------------------------------------

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # already has a pending byte, or closing

    def call_soon_threadsafe(self, fn) -> None:
        """Run ``fn()`` on the loop thread at the next iteration."""
        self._posted.append(fn)
        self.wake()

    # -- loop thread only -----------------------------------------------------

    def call_later(self, delay: float, fn) -> None:
        """Run ``fn()`` on the loop thread ``delay`` seconds from now (loop thread only;
        other threads post through ``call_soon_threadsafe``).  Dropped at shutdown."""
        self._timer_seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay, self._timer_seq, fn))

    def _run_timers(self) -> None:
        timers = self._timers
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            fn = heapq.heappop(timers)[2]
            try:
                fn()
            except Exception:
                self._record_error()

    # -- loop ----------------------------------------------------------------

    def run(self, ready: threading.Event) -> None:
        sel = self.sel
        sel.register(self.listener, selectors.EVENT_READ, self._on_accept)
        sel.register(self._wake_r, selectors.EVENT_READ, self._on_wake)
        self.thread_ident = threading.get_ident()
        ready.set()
        try:
            while not self.stopping:
                now = time.monotonic()
                deadline = self._next_expire
                if self._timers and self._timers[0][0] < deadline:
                    deadline = self._timers[0][0]
                timeout = max(0.0, deadline - now)
                if self.blocking.blocked:
                    due_ms = self.blocking.next_deadline()  # on the store's clock
                    if due_ms is not None:
                        # timed out once the clock is past the deadline (redis 7.0)
                        wait = (due_ms + 1 - self.store.clock.now_ms()) / 1000
                        timeout = min(timeout, max(0.0, wait))
                try:
                    events = sel.select(timeout)
                except InterruptedError:
                    continue
                for key, mask in events:
                    if self.stopping:
                        break  # SHUTDOWN: no other client's command runs after it
                    try:
                        key.data(mask)
                    except Exception:
                        self._record_error()
                        conn = key.data
                        if isinstance(conn, Connection):
                            conn.close()
                if self._posted:
                    self._run_posted()
                if self._timers:
                    self._run_timers()
                if self.blocking.blocked:
                    try:
                        self.blocking.expire_due()
                    except Exception:
                        self._record_error()
                if self._resumed:
                    self._run_resumed()
                if time.monotonic() >= self._next_expire:
                    self._next_expire = time.monotonic() + EXPIRE_PERIOD_S
                    try:
                        self.store.active_expire_step(budget=1000)
                    except Exception:
                        self._record_error()
        finally:
            self._shutdown()

    def resume(self, conn: Connection) -> None:
        """Run ``conn``'s buffered input at the end of this iteration (it was just unblocked).

        Not at once: Redis too serves an unblocked client's pending commands after the
        command that woke it (processUnblockedClients in beforeSleep).
        """
        self._resumed.append(conn)

    def _run_resumed(self) -> None:
        resumed = self._resumed
        while resumed:
            conn = resumed.popleft()
            if conn.closed:
                continue
            try:
                conn.process()
                conn.flush()
            except Exception:
                self._record_error()
                conn.close()

    def _run_posted(self) -> None:
        while self._posted:
            fn = self._posted.popleft()
            try:
                fn()
            except Exception:
                self._record_error()

    def _record_error(self) -> None:
        log.exception("kvfake server loop: unexpected error")
        self.errors.append(traceback.format_exc())

    def _on_wake(self, mask: int) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _on_accept(self, mask: int) -> None:
        for _ in range(64):
            try:
                sock, addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._record_error()
                return
            self.add_connection(sock, addr)

    def add_connection(self, sock: socket.socket, addr) -> Connection:
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.stat_connections_received += 1
        client_id = self._next_client_id
        self._next_client_id += 1
        try:
            laddr = sock.getsockname()
        except OSError:
            laddr = ("?", 0)
        session = ClientSession(
            id=client_id,
            addr=_fmt_addr(addr),
            laddr=_fmt_addr(laddr),
            fd=sock.fileno(),
            created_ms=self.store.clock.now_ms(),
            authenticated=not self.dispatcher.auth_enabled,
        )
        conn = Connection(sock, self, session)
        self.connections[conn.fileno] = conn
        if self.faults.accept_armed and self.faults.on_accept(conn):
            return conn  # a fault refused it (closed) or stalls it (not read until resumed)
        self.sel.register(sock, selectors.EVENT_READ, conn)
        return conn

    def resume_reading(self, conn: Connection) -> None:
        """Start reading a connection a fault stalled (loop thread)."""
        if conn.closed:
            return
        try:
            self.sel.register(conn.sock, selectors.EVENT_READ, conn)
        except (KeyError, ValueError, OSError):
            pass

    def set_write_interest(self, conn: Connection, on: bool) -> None:
        events = selectors.EVENT_READ | selectors.EVENT_WRITE if on else selectors.EVENT_READ
        try:
            self.sel.modify(conn.sock, events, conn)
        except (KeyError, ValueError, OSError):
            pass

    def forget(self, conn: Connection) -> None:
        self.connections.pop(conn.fileno, None)
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        hook = getattr(self.dispatcher, "on_disconnect", None)
        if hook is not None:
            try:
                hook(conn.ctx)
            except Exception:
                self._record_error()

    def sessions(self) -> list:
        return [c.session for c in self.connections.values()]

    def _shutdown(self) -> None:
        for conn in list(self.connections.values()):
            conn.close()
        for sock in (self.listener, self._wake_r):
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError, OSError):
                pass
        self.sel.close()
        try:
            self.listener.close()
        except OSError:
            pass

    def close_wakeup(self) -> None:
        for sock in (self._wake_r, self._wake_w):
            try:
                sock.close()
            except OSError:
                pass


def _fmt_addr(addr) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(addr)
