"""The thread-safe store: 16 databases, one lock, one clock.

The server thread holds ``lock`` for one command, one EXEC, or one batch of a
client's pipelined data commands (Dispatcher.execute_batch: what one recv brought,
microseconds to a few ms); every public method here takes it too, so a test thread
may read and write while clients are served.  ``with store.locked() as s:`` groups
several steps atomically.  ``now_ms`` is refreshed from the clock when the lock is
taken for a command, a batch or an API call and stays frozen while it is held.

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
from kvfake.store.values import Hash, List, SetValue, type_name
from kvfake.store.zset import ZSet

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
        # client tracking (kvfake.commands.tracking): fn(db, key) after a key changed
        # (Redis's signalModifiedKey) and fn(db) before a database is emptied; called
        # only while ``watchers`` is non-empty (tracking keeps an entry there meanwhile)
        self.modified_hook = None
        self.flushed_hook = None
        # the pub/sub broker (kvfake.commands.pubsub.PubSub) of every dispatcher on this store
        self.broker = None
        # blocking commands (kept by kvfake.commands.blocking.BlockingManager):
        # (db, key) -> {waiter: None} in the order clients blocked on the key, and
        # the (db, key) pairs that received a value while someone waits, in signal order
        self.blocking_keys: dict = {}
        self.ready_keys: dict = {}
        # fn() run after a public API call left ready keys (the server posts a wake-up)
        self.ready_hook = None

    # -- internal (lock held) ---------------------------------------------

    def refresh_now(self) -> int:
        self.now_ms = self.clock.now_ms()
        return self.now_ms

    def signal_modified(self, db: int, key: bytes) -> None:
        for watcher in self.watchers.get((db, key), ()):
            watcher.dirty = True
        if self.modified_hook is not None:
            self.modified_hook(db, key)

    def signal_flushed(self, emptied: Database, replaced_with: "Database | None" = None) -> None:
        """WATCHers of ``emptied``'s keys, before it is flushed (FLUSHDB/FLUSHALL) or gets
        ``replaced_with``'s contents (SWAPDB): redis 7.0 touchAllWatchedKeysInDb.

        A watcher is touched when its key exists on either side.  A key that had
        already expired when WATCHed (``watcher.expired``) and is now gone is no
        change, nor is one replaced by a key that has expired as well; a missing
        key replaced by an expired one becomes such an "expired" watch.
        """
        if replaced_with is None and self.flushed_hook is not None:
            self.flushed_hook(emptied.index)
        now = self.now_ms
        index = emptied.index
        for (dbi, key), watchers in list(self.watchers.items()):
            if dbi != index:
                continue
            in_emptied = key in emptied.data
            in_other = replaced_with is not None and key in replaced_with.data
            if not (in_emptied or in_other):
                continue
            when = replaced_with.expires.get(key) if in_other else None
            other_expired = when is not None and when < now
            for watcher in list(watchers):
                if getattr(watcher, "expired", False):
                    if not in_other:
                        watcher.expired = False
                        continue
                    if other_expired:
                        continue
                    watcher.expired = False
                elif not in_emptied and other_expired:
                    watcher.expired = True
                    continue
                watcher.dirty = True

    def signal_ready(self, db: int, key: bytes) -> None:
        """``key`` got a value: note it for the clients blocked on it (Redis's signalKeyAsReady)."""
        if (db, key) in self.blocking_keys:
            self.ready_keys[(db, key)] = None

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
        try:
            with self.lock:
                self.refresh_now()
                yield self
        finally:
            # a write that gave a value to a key clients are blocked on wakes them
            if self.ready_keys and self.ready_hook is not None:
                self.ready_hook()

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
        """Set a string key (bytes or str), optionally with a TTL in seconds.

        A Python list or tuple (of bytes or str) makes a list key, a dict a hash key,
        a set or frozenset a set key.
        """
        with self.locked():
            d = self._db(db)
            k = _b(key)
            d.lookup(k)
            d.set_value(k, _import(value))
            if ttl is not None:
                d.set_expire(k, self.now_ms + int(round(ttl * 1000)))

    def rpush(self, db: int, key: KeyLike, *values) -> int:
        """Append ``values`` to the list at ``key`` (created if absent); return its length.

        Clients blocked on ``key`` (BLPOP...) are served, as after a client's RPUSH.
        Raises WrongTypeError if ``key`` holds another type.

        >>> store = Store()
        >>> store.rpush(0, "queue", "a", "b")
        2
        """
        return self._push(db, key, values, False)

    def lpush(self, db: int, key: KeyLike, *values) -> int:
        """Prepend ``values`` (one by one, as LPUSH: the last ends up first); return the length."""
        return self._push(db, key, values, True)

    def _push(self, db: int, key: KeyLike, values: tuple, left: bool) -> int:
        if not values:
            raise KvfakeError("push needs at least one value")
        items = [_b(v) for v in values]
        with self.locked():
            d = self._db(db)
            k = _b(key)
            lst = d.get_list(k)
            if lst is None:
                lst = List()
                (lst.extendleft if left else lst.extend)(items)
                d.add_value(k, lst)
            else:
                (lst.extendleft if left else lst.extend)(items)
                d.touch(k)
            return len(lst)

    def zadd(self, db: int, key: KeyLike, mapping: dict) -> int:
        """Add members with scores (member -> number) to the sorted set at ``key``, as ZADD does.

        Creates the key if absent and returns how many members were new; clients
        blocked on ``key`` (BZPOPMIN...) are served.  Scores are floats (NaN is
        refused); the encoding follows the default zset-max-listpack-* limits (128
        entries, 64 bytes).  Raises WrongTypeError if ``key`` holds another type.

        >>> store = Store()
        >>> store.zadd(0, "board", {"alice": 10, "bob": 7.5})
        2
        >>> store.get(0, "board")
        {b'alice': 10.0, b'bob': 7.5}
        """
        items = {}
        for member, score in mapping.items():
            score = float(score)
            if score != score:
                raise KvfakeError(f"a sorted set score cannot be NaN (member {member!r})")
            items[_b(member)] = score
        if not items:
            raise KvfakeError("zadd needs at least one member")
        with self.locked():
            d = self._db(db)
            k = _b(key)
            zs = d.lookup_typed(k, ZSet)
            if zs is None:
                big = len(items) > 128 or any(len(m) > 64 for m in items)
                d.add_value(k, ZSet.from_scores(items, big=big))
                return len(items)
            added = 0
            for member, score in items.items():
                old = zs.scores.get(member)
                if old is None:
                    if not zs.big and (len(zs) >= 128 or len(member) > 64):
                        zs.big = True
                    zs.add(member, score)
                    added += 1
                elif old != score:
                    zs.add(member, score)
            d.touch(k)
            return added

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
            if d.lookup(k) is None or not d.persist(k):
                return False
            d.touch(k)  # as PERSIST: a WATCHed key is touched
            return True

    def flushdb(self, db: int = 0) -> None:
        with self.locked():
            self._db(db).flush()

    def flushall(self) -> None:
        with self.locked():
            for d in self.dbs:
                d.flush()


def _import(value):
    """A Python value as a store value: bytes/str -> string, list/tuple -> list, dict -> hash."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise KvfakeError("an empty list cannot be stored: Redis deletes empty lists")
        return List([_b(v) for v in value])
    if isinstance(value, dict):
        return _import_hash(value)
    if isinstance(value, (set, frozenset)):
        return _import_set(value)
    return _b(value)


def _import_hash(value: dict) -> Hash:
    """dict -> hash; its encoding follows the default hash-max-listpack-* limits (512, 64)."""
    if not value:
        raise KvfakeError("an empty dict cannot be stored: Redis deletes empty hashes")
    h = Hash((_b(f), _b(v)) for f, v in value.items())
    h.big = len(h) > 512 or any(len(f) > 64 or len(v) > 64 for f, v in h.items())
    return h


def _import_set(value) -> SetValue:
    """set/frozenset -> set; intset or hashtable by the default set-max-intset-entries (512)."""
    if not value:
        raise KvfakeError("an empty set cannot be stored: Redis deletes empty sets")
    return SetValue.fresh({_b(m) for m in value}, 512)


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
