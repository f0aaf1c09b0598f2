"""In-process harness: Store(ManualClock) + Dispatcher + encoder, no sockets.

    h = Harness()
    assert h.do(b"SET", b"k", b"v") == simple("OK")
    h.clock.advance(10)            # time travel
    h2 = h.new_client()            # a second client on the same store
    h2.do(b"BLPOP", b"q", b"0")    # b"": blocked; h2.take() gives its reply once served

``do`` returns the raw reply bytes for the client's negotiated protocol, so tests
compare them with the independent builders in tests/support/resp.py.
"""

from __future__ import annotations

from kvfake.clock import ManualClock
from kvfake.commands.blocking import Block
from kvfake.config import Config
from kvfake.dispatch import Dispatcher
from kvfake.protocol.encoder import encode
from kvfake.protocol.replies import NO_REPLY
from kvfake.session import ClientSession
from kvfake.store import Store

START = 1_700_000_000  # a fixed epoch second for deterministic clocks


class FakeServerView:
    """The server-side view commands see, without any sockets."""

    def __init__(self, harness: "Harness") -> None:
        self.harness = harness
        self.port = 6379
        self.host = "127.0.0.1"
        self.started_ms = START * 1000

    @property
    def config(self):
        return self.harness.dispatcher.config

    def clients(self) -> list:
        return [c.session for c in self.harness.clients]

    def kill_clients(self, predicate, *, skip=None) -> int:
        killed = 0
        for client in self.harness.clients:
            if client.session is not skip and predicate(client.session):
                client.session.close_after_reply = True
                killed += 1
        return killed

    def info_stats(self) -> dict:
        return {
            "total_connections_received": len(self.harness.clients),
            "total_commands_processed": self.harness.dispatcher.stat_commands,
            "connected_clients": len(self.harness.clients),
        }


class Client:
    def __init__(self, harness: "Harness", client_id: int) -> None:
        self.harness = harness
        self.session = ClientSession(
            id=client_id,
            addr=f"127.0.0.1:{40000 + client_id}",
            laddr="127.0.0.1:6379",
            fd=7 + client_id,
            created_ms=harness.clock.now_ms(),
            authenticated=not harness.dispatcher.auth_enabled,
        )
        self.ctx = harness.dispatcher.new_context(self.session)
        self.ctx.push = self.push
        self.late: list = []  # raw replies of a blocking command, once served (see take())

    def run(self, *args):
        """The reply value (before encoding); NO_REPLY when the command blocked (BLPOP...)."""
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        reply = self.harness.dispatcher.execute(self.ctx, argv)
        self.harness.run_scheduled()
        if isinstance(reply, Block):
            self.harness.dispatcher.blocking.block(self, reply)
            return NO_REPLY
        return reply

    def unblocked(self, reply) -> None:
        """BlockingManager callback: a blocked command of this client was served or timed out."""
        self.late.append(encode(reply, self.session.protover))

    def push(self, reply, after_reply: bool = False) -> None:
        """Context.push: pub/sub messages and invalidations go where take() finds them."""
        self.late.append(encode(reply, self.session.protover))

    def take(self) -> bytes:
        """The raw bytes delivered to this client outside do()'s replies since the last
        take(): a blocked command's reply once served, pub/sub and invalidation pushes."""
        self.harness.run_scheduled()
        data = b"".join(self.late)
        self.late.clear()
        return data

    def do(self, *args) -> bytes:
        """The raw reply bytes."""
        return encode(self.run(*args), self.session.protover)


class Harness(Client):
    """The first client of a fresh in-process server; ``new_client()`` adds more."""

    def __init__(self, *, requirepass: "bytes | None" = None, seed: int = 1234) -> None:
        self.clock = ManualClock(start=START)
        self.store = Store(clock=self.clock, seed=seed)
        self.clients: list = []
        config = Config()
        if requirepass:
            config.set(b"requirepass", requirepass)
        self.view = FakeServerView(self)
        self.dispatcher = Dispatcher(self.store, server=self.view, config=config)
        self.clients_next_id = 1
        super().__init__(self, self._take_id())
        self.clients.append(self)
        # blocked clients: Store API writes serve them, time travel times them out
        self.store.ready_hook = self.dispatcher.blocking.serve_ready
        self.clock.add_listener(self.dispatcher.blocking.expire_due)
        # broker work that waits for the end of a command (BCAST invalidations...): run
        # after each do() and by take()
        self.scheduled: list = []
        self.dispatcher.pubsub.schedule = self.scheduled.append

    def run_scheduled(self) -> None:
        while self.scheduled:
            self.scheduled.pop(0)()

    def _take_id(self) -> int:
        cid = self.clients_next_id
        self.clients_next_id += 1
        return cid

    def new_client(self) -> Client:
        client = Client(self, self._take_id())
        self.clients.append(client)
        return client

    @property
    def internal_errors(self) -> list:
        return self.dispatcher.internal_errors
