"""The thread-safe store: 16 databases, one lock, one clock.

The server thread holds ``lock`` for exactly one command (or one EXEC); every
public method here takes it too, so a test thread may read and write while
clients are served.  ``with store.locked() as s:`` groups several steps
atomically.  ``now_ms`` is refreshed from the clock when the lock is taken for a
command or an API call and stays frozen while it is held.

Imports: kvfake.clock, kvfake.errors, kvfake.store.database, kvfake.store.values.
Never: socket, selectors, protocol, commands.
"""

from __future__ import annotations

import contextlib
import random
import threading
from typing import Iterator

from kvfake.clock import Clock, SystemClock
from kvfake.errors import KvfakeError
from kvfake.store.database import Database
from kvfake.store.values import type_name

KeyLike = "bytes | str"


def _b(key) -> bytes:
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytearray, memoryview)):
        return bytes(key)
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return repr(key).encode() if isinstance(key, float) else b"%d" % key
    raise TypeError(f"keys and values are bytes or str, not {type(key).__name__}")


class Store:
    """All the data of one server.

    >>> from kvfake.clock import ManualClock
    >>> store = Store(clock=ManualClock(start=0))
    >>> store.set(0, "k", "v", ttl=10)
    >>> store.get(0, "k"), store.ttl(0, "k")
    (b'v', 10.0)
    """

    def __init__(self, *, databases: int = 16, clock: "Clock | None" = None, seed: "int | None" = None) -> None:
        if databases < 1:
            raise KvfakeError("databases must be at least 1")
        self.lock = threading.RLock()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.now_ms = self.clock.now_ms()
        self.dbs = [Database(i, self) for i in range(databases)]
        self.rng = random.Random(seed)
        self.dirty = 0
        self.stat_expired_keys = 0
        self.stat_keyspace_hits = 0
        self.stat_keyspace_misses = 0
        # DEBUG SET-ACTIVE-EXPIRE 0 turns the active expiry cycle off (lazy expiry stays)
        self.active_expire_enabled = True
        # (db, key) -> set of watchers (objects with a ``dirty`` attribute)
        self.watchers: dict = {}
        # hooks installed by the command layer / server (called under the lock)
        self.key_created_hook = None
        self.expired_hook = None
        # keyspace notifications: fn(db, klass, event, key), see Context.notify
        self.notify_hook = None

    # -- internal (lock held) ---------------------------------------------

    def refresh_now(self) -> int:
        self.now_ms = self.clock.now_ms()
        return self.now_ms

    def signal_modified(self, db: int, key: bytes) -> None:
        for watcher in self.watchers.get((db, key), ()):
            watcher.dirty = True

    def active_expire_step(self, budget: int = 1 << 62) -> int:
        """Delete expired keys in every database (Redis's active expiry cycle)."""
        with self.lock:
            if not self.active_expire_enabled:
                return 0
            now = self.refresh_now()
            return sum(db.active_expire(now, budget) for db in self.dbs)

    def next_expiry_ms(self) -> "int | None":
        with self.lock:
            whens = [w for w in (db.next_expiry() for db in self.dbs) if w is not None]
            return min(whens) if whens else None

    # -- public, thread-safe API -------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator["Store"]:
        """Hold the lock for several steps: ``with store.locked() as s: ...``."""
        with self.lock:
            self.refresh_now()
            yield self

    def _db(self, db: int) -> Database:
        if not 0 <= db < len(self.dbs):
            raise KvfakeError(f"no database {db} (this store has {len(self.dbs)})")
        return self.dbs[db]

    def get(self, db: int, key: KeyLike):
        """The value of ``key`` in database ``db``: bytes for strings, None if absent.

        Aggregates come back as plain Python copies (dict, list, set, or
        dict of member -> score for sorted sets).
        """
        with self.locked():
            value = self._db(db).lookup(_b(key))
            return _export(value)

    def set(self, db: int, key: KeyLike, value, *, ttl: "float | None" = None) -> None:
        """Set a string key (bytes or str), optionally with a TTL in seconds."""
        with self.locked():
            d = self._db(db)
            k = _b(key)
            d.lookup(k)
            d.set_value(k, _b(value))
            if ttl is not None:
                d.set_expire(k, self.now_ms + int(round(ttl * 1000)))

    def delete(self, db: int, *keys: KeyLike) -> int:
        with self.locked():
            d = self._db(db)
            return sum(d.delete(_b(k)) for k in keys)

    def exists(self, db: int, key: KeyLike) -> bool:
        with self.locked():
            return self._db(db).exists(_b(key))

    def type(self, db: int, key: KeyLike) -> str:
        with self.locked():
            value = self._db(db).lookup(_b(key))
            return "none" if value is None else type_name(value).decode()

    def keys(self, db: int = 0) -> list:
        with self.locked():
            return sorted(self._db(db).live_keys())

    def dbsize(self, db: int = 0) -> int:
        with self.locked():
            return len(self._db(db))

    def ttl(self, db: int, key: KeyLike) -> "float | None":
        """Seconds left before ``key`` expires; None if it has no TTL or does not exist."""
        with self.locked():
            d = self._db(db)
            k = _b(key)
            if d.lookup(k) is None:
                return None
            when = d.get_expire(k)
            return None if when is None else (when - self.now_ms) / 1000

    def expire(self, db: int, key: KeyLike, seconds: float) -> bool:
        with self.locked():
            d = self._db(db)
            k = _b(key)
            if d.lookup(k) is None:
                return False
            d.set_expire(k, self.now_ms + int(round(seconds * 1000)))
            d.touch(k)
            return True

    def persist(self, db: int, key: KeyLike) -> bool:
        with self.locked():
            d = self._db(db)
            k = _b(key)
            return d.lookup(k) is not None and d.persist(k)

    def flushdb(self, db: int = 0) -> None:
        with self.locked():
            self._db(db).flush()

    def flushall(self) -> None:
        with self.locked():
            for d in self.dbs:
                d.flush()


def _export(value):
    if value is None or isinstance(value, bytes):
        return None if value is None else bytes(value)
    export = getattr(value, "export", None)
    if export is not None:
        return export()
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, set):
        return set(value)
    return list(value)
