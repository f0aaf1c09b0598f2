"""One numbered database: the keyspace dict, the expires dict, lazy and active expiry.

Strategy: ``data`` maps key -> value (see :mod:`kvfake.store.values`);
``expires`` maps key -> absolute unix time in ms.  Every read and write path goes
through :meth:`Database.lookup`, which deletes a key whose time has passed (lazy
expiry, as Redis's expireIfNeeded: a key is gone once ``now > when``, so at
``now == when`` it is still there and PTTL answers 0).  Active expiry keeps a min-heap of
(when, key) pushed on every ``set_expire``; :meth:`active_expire` pops what is
due and deletes the keys whose current expiry still matches, so expired keys
vanish in bounded time without scanning the keyspace.  Stale heap entries are
dropped lazily and the heap is rebuilt when it grows past twice ``expires``.

The caller holds the store's lock: Database is never handed to test code.
"Now" is the owning store's ``now_ms``, frozen once per command.

Imports: kvfake.errors, kvfake.store.values.  Never: socket, selectors, protocol.
"""

from __future__ import annotations

import heapq
import random

from kvfake.errors import WrongTypeError
from kvfake.store.values import Hash, List, SetValue


class Database:
    __slots__ = ("index", "data", "expires", "store", "_heap", "scan_index")

    def __init__(self, index: int, store) -> None:
        self.index = index
        self.store = store
        self.data: dict = {}
        self.expires: dict = {}
        self._heap: list = []
        # SCAN's cache: (data dict, sorted key hashes, keys); owned by commands/keys.py
        self.scan_index = None

    # -- lookups -----------------------------------------------------------

    def lookup(self, key: bytes):
        """The live value of ``key`` or None; expires it lazily if due."""
        if self.expires:
            when = self.expires.get(key)
            # redis 7.0 keyIsExpired: alive while now == when (PTTL answers 0)
            if when is not None and when < self.store.now_ms:
                self._expire_key(key)
                return None
        return self.data.get(key)

    # The typed getters inline the common case of lookup (no expiry at all in this db).

    def lookup_typed(self, key: bytes, cls: type):
        value = self.lookup(key) if self.expires else self.data.get(key)
        if value is None or isinstance(value, cls):
            return value
        raise WrongTypeError()

    def get_string(self, key: bytes) -> "bytes | None":
        value = self.lookup(key) if self.expires else self.data.get(key)
        if value is None or isinstance(value, bytes):
            return value
        raise WrongTypeError()

    def get_hash(self, key: bytes) -> "Hash | None":
        value = self.lookup(key) if self.expires else self.data.get(key)
        if value is None or value.__class__ is Hash:
            return value
        raise WrongTypeError()

    def get_list(self, key: bytes) -> "List | None":
        value = self.lookup(key) if self.expires else self.data.get(key)
        if value is None or value.__class__ is List:
            return value
        raise WrongTypeError()

    def get_set(self, key: bytes) -> "SetValue | None":
        value = self.lookup(key) if self.expires else self.data.get(key)
        if value is None or value.__class__ is SetValue:
            return value
        raise WrongTypeError()

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    # -- writes ------------------------------------------------------------

    def set_value(self, key: bytes, value, *, keep_ttl: bool = False) -> None:
        """Store ``value`` under ``key``; drops any TTL unless ``keep_ttl``."""
        created = key not in self.data
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        store = self.store
        store.dirty += 1
        if store.watchers:
            store.signal_modified(self.index, key)
        if store.blocking_keys:
            # Redis never keeps an empty list or zset, so a key getting a value is
            # exactly when clients blocked on it (BLPOP, BZPOPMIN...) may be served
            store.signal_ready(self.index, key)
        if created and store.key_created_hook is not None:
            store.key_created_hook(self.index, key, value)

    def set_many(self, pairs) -> None:
        """MSET: ``set_value`` for each key, value of the flat ``pairs`` in order (a
        repeated key: the last value wins); one dict update when nothing watches."""
        store = self.store
        if self.expires or store.watchers or store.blocking_keys or store.key_created_hook is not None:
            for i in range(0, len(pairs), 2):
                key = pairs[i]
                self.lookup(key)  # expire a due key first: the write counts as a creation
                self.set_value(key, pairs[i + 1])
            return
        self.data.update(zip(pairs[0::2], pairs[1::2]))
        store.dirty += len(pairs) // 2

    def add_quietly(self, key: bytes, value) -> None:
        """Redis's dbAdd alone, for a key known not to exist: it exists now (the key-created
        hook, i.e. the "new" event, runs) but nothing is signalled as modified (WATCH,
        tracking) nor counted as dirty.  BITFIELD creating a key it writes nothing to."""
        self.data[key] = value
        store = self.store
        if store.blocking_keys:
            store.signal_ready(self.index, key)
        if store.key_created_hook is not None:
            store.key_created_hook(self.index, key, value)

    def add_value(self, key: bytes, value) -> None:
        """Store a value under a key known not to exist (aggregate creation)."""
        self.set_value(key, value)

    def delete(self, key: bytes) -> bool:
        """Delete ``key`` if it exists (expired keys count as absent)."""
        if self.lookup(key) is None:
            return False
        self._remove(key)
        store = self.store
        store.dirty += 1
        if store.watchers:
            store.signal_modified(self.index, key)
        return True

    def touch(self, key: bytes) -> None:
        """Record an in-place change of ``key``'s value (signalModifiedKey)."""
        store = self.store
        store.dirty += 1
        if store.watchers:
            store.signal_modified(self.index, key)

    def delete_if_empty(self, key: bytes, value) -> None:
        """Aggregates are deleted when they become empty, as Redis does."""
        if not value:
            self._remove(key)

    def _remove(self, key: bytes) -> None:
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)

    def _expire_key(self, key: bytes) -> None:
        self._remove(key)
        store = self.store
        store.stat_expired_keys += 1
        if store.watchers:
            store.signal_modified(self.index, key)
        if store.expired_hook is not None:
            store.expired_hook(self.index, key)

    # -- expiry ------------------------------------------------------------

    def get_expire(self, key: bytes) -> "int | None":
        return self.expires.get(key)

    def set_expire(self, key: bytes, when_ms: int) -> None:
        self.expires[key] = when_ms
        heap = self._heap
        heapq.heappush(heap, (when_ms, key))
        if len(heap) > 64 and len(heap) > 2 * len(self.expires):
            self._heap = [(w, k) for k, w in self.expires.items()]
            heapq.heapify(self._heap)

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    def active_expire(self, now_ms: int, budget: int = 1 << 62) -> int:
        """Delete up to ``budget`` keys whose time has passed (``when < now_ms``); return how many."""
        heap = self._heap
        expires = self.expires
        removed = 0
        while heap and heap[0][0] < now_ms and removed < budget:
            when, key = heapq.heappop(heap)
            if expires.get(key) == when:
                self._expire_key(key)
                removed += 1
        return removed

    def next_expiry(self) -> "int | None":
        heap = self._heap
        expires = self.expires
        while heap and expires.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    # -- whole-db ----------------------------------------------------------

    def live_keys(self) -> list:
        """All keys, expiring (deleting) those whose time has passed."""
        if not self.expires:
            return list(self.data)
        now = self.store.now_ms
        expires = self.expires
        due = [k for k, w in expires.items() if w < now]
        for key in due:
            self._expire_key(key)
        return list(self.data)

    def random_key(self, rng: random.Random) -> "bytes | None":
        while self.data:
            key = rng.choice(list(self.data)) if len(self.data) < 64 else _sample_key(self.data, rng)
            if self.lookup(key) is not None:
                return key
        return None

    def flush(self) -> None:
        store = self.store
        if store.watchers:
            store.signal_flushed(self)  # WATCHed keys that existed are touched
        self.data = {}
        self.expires = {}
        self._heap = []
        self.scan_index = None

    def swap_with(self, other: "Database") -> None:
        store = self.store
        if store.watchers:
            # WATCHes stay with their db index: touched if the key exists on either side
            store.signal_flushed(self, other)
            store.signal_flushed(other, self)
        self.data, other.data = other.data, self.data
        self.expires, other.expires = other.expires, self.expires
        self._heap, other._heap = other._heap, self._heap
        store = self.store
        if store.blocking_keys:
            # redis 7.0 SWAPDB (scanDatabaseForReadyKeys): clients stay in their db, and
            # those blocked on a key the swap brought in are served
            for dbi, key in list(store.blocking_keys):
                db = self if dbi == self.index else other if dbi == other.index else None
                if db is not None and key in db.data:
                    store.signal_ready(dbi, key)

    def __len__(self) -> int:
        return len(self.data)


def _sample_key(data: dict, rng: random.Random) -> bytes:
    # Walk to a random position; O(n) but avoids materialising a list of all keys.
    index = rng.randrange(len(data))
    for i, key in enumerate(data):
        if i == index:
            return key
    raise AssertionError("unreachable")
