"""What a handler sees: the store, the current database, the client session, the server.

One Context lives as long as its connection (no per-command allocation); the
dispatcher points ``db`` at the session's database before each call, and
``now_ms`` is the store's time frozen for the command.

Imports: kvfake.store, kvfake.session, kvfake.clock.  Never: socket, selectors.
"""

from __future__ import annotations

from typing import Protocol

from attrs import define, field

from kvfake.session import ClientSession
from kvfake.store import Store


class ServerView(Protocol):
    """What commands may ask of the server around them (implemented by net/ or a test harness)."""

    config: object
    started_ms: int
    port: int

    def clients(self) -> list: ...  # list[ClientSession]

    def kill_clients(self, predicate, *, skip: "ClientSession | None" = None) -> int: ...

    def info_stats(self) -> dict: ...


@define
class Context:
    store: Store
    session: ClientSession
    server: object = None
    db: object = None
    # filled by the dispatcher (e.g. a reference back to it for COMMAND)
    dispatcher: object = None
    extra: dict = field(factory=dict)
    # set by whatever drives the client (net connection, test harness):
    # ``push(reply, after_reply=False)`` sends an out-of-band reply to this client
    # (pub/sub messages, invalidations); ``after_reply``: once the reply of the
    # command it is running is out.  None: nothing can reach the client.
    push: object = None

    @property
    def now_ms(self) -> int:
        return self.store.now_ms

    def notify(self, klass: str, event: bytes, key: bytes, db: "int | None" = None) -> None:
        """Redis's notifyKeyspaceEvent(klass, event, key, dbid) for the current db (or ``db``).

        ``klass`` is Redis's flag letter: "g" generic, "$" string, "l" list,
        "s" set, "h" hash, "z" zset, "x" expired, "e" evicted, "t" stream,
        "m" key-miss, "n" new key, "d" module.  Call it where Redis does (same
        event names, same order); the pub/sub layer decides what to publish.
        """
        hook = self.store.notify_hook
        if hook is not None:
            hook(self.db.index if db is None else db, klass, event, key)

    def select(self, index: int) -> None:
        self.session.db = index
        self.db = self.store.dbs[index]
