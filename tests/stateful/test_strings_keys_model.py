"""Strings, keys and expiry: kvfake, and real Redis, against one plain-Python model.

``Model`` is a dict per database plus an absolute expiry time per key; each method takes a command's
arguments and returns the raw reply bytes Redis 7.0 gives (built with tests/support/resp.py, which shares
nothing with kvfake's encoder). ``StringsKeysMachine`` sends each command to a backend and compares raw
bytes. The same machine and model run twice:

- ``test_kvfake_matches_model``: the in-process harness (a ManualClock). Time travels by random amounts and
  exactly onto a key's expiry; expired keys must vanish (lazily on access, and from DBSIZE after the active
  expiry sweep). Everything is compared exactly.
- ``test_real_redis_matches_model``: a real redis-server, which proves the model right. Time cannot be
  moved there, so the clock rules are off; positive expiry amounts are mapped far into the future (nothing
  expires during a run, non-positive amounts still delete at once), TTL/PTTL are compared within
  ``REDIS_SLACK_MS`` and EXPIRE GT/LT is not sent when the two times are that close (which one is greater
  then depends on the millisecond Redis runs it in).

Expiry is Redis's rule: a key is gone once ``now > when`` (at ``now == when`` PTTL still answers 0;
redis 7.0.15, seen by polling PTTL on a PX 3 key). kvfake follows it; ``KVFAKE_EXPIRES_AT_WHEN`` (the
model's switch for kvfake's former off-by-one, dropping a key already at ``now == when``) stays False.

Invariants after every step: DBSIZE of every database equals the model's live key count (checked only
when no key can be expired-but-unswept: Redis counts those), TYPE of every model key is the model's type,
PTTL agrees with the model, and no key's TTL grows (or appears or vanishes) unless a command touched that
key. The model's string commands answer WRONGTYPE on other values, which only the sibling machine
(test_aggregates_model.py: hashes, lists, sets, sorted sets over this model and machine) creates.

Imports: hypothesis, pytest, tests.support.*.  Never: kvfake internals (the harness wraps them).
"""

from __future__ import annotations

import copy as copy_module
import time
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from tests.support.raw import RawConnection
from tests.support.resp import NIL, OK, bulk, decode, error, integer, simple

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
NDB = 3  # databases the machine uses (of Redis's 16)
# Known kvfake difference (see the module docstring): True while kvfake expires a key at now == when.
KVFAKE_EXPIRES_AT_WHEN = False

NOT_INT = error("ERR value is not an integer or out of range")
SYNTAX = error("ERR syntax error")
OVERFLOW = error("ERR increment or decrement would overflow")
NO_SUCH_KEY = error("ERR no such key")
SAME_OBJECT = error("ERR source and destination objects are the same")
DB_RANGE = error("ERR DB index is out of range")
NX_XX_GT_LT = error("ERR NX and XX, GT or LT options at the same time are not compatible")
GT_AND_LT = error("ERR GT and LT options at the same time are not compatible")
WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value")


def invalid_expire(command: bytes) -> bytes:
    return error(b"ERR invalid expire time in '" + command + b"' command")


def string2ll(data: bytes) -> int | None:
    """Redis's strict integer parse: optional '-', no '+', no leading zeros or spaces, int64 range."""
    if not data or len(data) > 20:
        return None
    try:
        n = int(data)
    except ValueError:
        return None
    if b"%d" % n != data or not LLONG_MIN <= n <= LLONG_MAX:
        return None
    return n


# =============================================================================== the model
@dataclass
class Entry:
    value: object  # bytes for a string; the sibling module's aggregate classes carry a TYPE name
    when: int | None = None  # absolute unix ms; the key is gone once now > when


def type_name(value) -> str:
    """TYPE's answer for a model value."""
    return "string" if isinstance(value, bytes) else value.TYPE


def is_string(entry: Entry | None) -> bool:
    return entry is None or isinstance(entry.value, bytes)


class Model:
    """Redis 7.0's strings/keys/expiry semantics over plain dicts. ``now`` is set by the machine."""

    def __init__(self, now: int, *, expires_at_when: bool = False) -> None:
        self.now = now
        self.expires_at_when = expires_at_when  # kvfake's current off-by-one, not Redis
        self.dbs: list[dict[bytes, Entry]] = [{} for _ in range(NDB)]
        self.db = 0

    # ------------------------------------------------------------------ helpers
    def live(self, key: bytes, db: int | None = None) -> Entry | None:
        """The key's entry unless it has expired (then it is dropped, like Redis's lazy expiry)."""
        keys = self.dbs[self.db if db is None else db]
        entry = keys.get(key)
        if entry is not None and entry.when is not None and (
                self.now > entry.when or (self.expires_at_when and self.now == entry.when)):
            del keys[key]
            return None
        return entry

    def live_items(self, db: int) -> list[tuple[bytes, Entry]]:
        return [(k, e) for k, e in list(self.dbs[db].items()) if self.live(k, db) is not None]

    def expire_when(self, arg: bytes, unit: str, command: bytes) -> int | bytes:
        """SET/GETEX EX|PX: the absolute time, or the error reply (getExpireMillisecondsOrReply)."""
        n = string2ll(arg)
        if n is None:
            return NOT_INT
        if n <= 0 or (unit == "s" and n > LLONG_MAX // 1000):
            return invalid_expire(command)
        if unit == "s":
            n *= 1000
        if n + self.now > LLONG_MAX:  # wraps negative in C
            return invalid_expire(command)
        return n + self.now

    # ------------------------------------------------------------------ strings
    def set(self, key: bytes, value: bytes, opts: list[bytes]) -> bytes:
        flags: set[str] = set()
        expire, j = None, 0
        while j < len(opts):
            opt, nxt = opts[j].lower(), opts[j + 1] if j + 1 < len(opts) else None
            if opt == b"nx" and "xx" not in flags:
                flags.add("nx")
            elif opt == b"xx" and "nx" not in flags:
                flags.add("xx")
            elif opt == b"get":
                flags.add("get")
            elif opt == b"keepttl" and not flags & {"ex", "px"}:
                flags.add("keepttl")
            elif opt in (b"ex", b"px") and not flags & {"keepttl", "px" if opt == b"ex" else "ex"} and nxt is not None:
                flags.add(opt.decode())
                expire = nxt
                j += 1
            else:
                return SYNTAX
            j += 1
        when = None
        if expire is not None:
            when = self.expire_when(expire, "s" if "ex" in flags else "ms", b"set")
            if isinstance(when, bytes):
                return when
        old = self.live(key)
        if "get" in flags and not is_string(old):
            return WRONGTYPE  # without GET, SET overwrites any type
        reply = (NIL if old is None else bulk(old.value)) if "get" in flags else OK
        if ("nx" in flags and old is not None) or ("xx" in flags and old is None):
            return reply if "get" in flags else NIL
        if when is None and "keepttl" in flags and old is not None:
            when = old.when
        self.dbs[self.db][key] = Entry(value, when)
        return reply

    def get(self, key: bytes) -> bytes:
        entry = self.live(key)
        if not is_string(entry):
            return WRONGTYPE
        return NIL if entry is None else bulk(entry.value)

    def incr(self, command: bytes, key: bytes, arg: bytes | None) -> bytes:
        by = 1 if command == b"INCR" else -1 if command == b"DECR" else string2ll(arg)
        if by is None:
            return NOT_INT
        if command == b"DECRBY":
            if by == LLONG_MIN:
                return error("ERR decrement would overflow")
            by = -by
        entry = self.live(key)
        if not is_string(entry):
            return WRONGTYPE  # after the increment is parsed
        current = 0 if entry is None else string2ll(entry.value)
        if current is None:
            return NOT_INT
        if not LLONG_MIN <= current + by <= LLONG_MAX:
            return OVERFLOW
        if entry is None:
            self.dbs[self.db][key] = Entry(b"%d" % (current + by))
        else:
            entry.value = b"%d" % (current + by)  # the TTL stays
        return integer(current + by)

    def append(self, key: bytes, value: bytes) -> bytes:
        entry = self.live(key)
        if not is_string(entry):
            return WRONGTYPE
        if entry is None:
            entry = self.dbs[self.db][key] = Entry(b"")
        entry.value += value
        return integer(len(entry.value))

    def getdel(self, key: bytes) -> bytes:
        entry = self.live(key)
        if not is_string(entry):
            return WRONGTYPE
        if entry is None:
            return NIL
        del self.dbs[self.db][key]
        return bulk(entry.value)

    def getex(self, key: bytes, opts: list[bytes]) -> bytes:
        flags: set[str] = set()
        expire, j = None, 0
        while j < len(opts):
            opt, nxt = opts[j].lower(), opts[j + 1] if j + 1 < len(opts) else None
            if opt == b"persist" and not flags & {"ex", "px"}:
                flags.add("persist")
            elif opt in (b"ex", b"px") and not flags & {"persist", "px" if opt == b"ex" else "ex"} and nxt is not None:
                flags.add(opt.decode())
                expire = nxt
                j += 1
            else:  # NX, XX, GET, KEEPTTL belong to SET
                return SYNTAX
            j += 1
        entry = self.live(key)
        if entry is None:
            return NIL  # before the expire time is even parsed
        if not is_string(entry):
            return WRONGTYPE  # so is the type check
        when = None
        if expire is not None:
            when = self.expire_when(expire, "s" if "ex" in flags else "ms", b"getex")
            if isinstance(when, bytes):
                return when
        if when is not None:
            entry.when = when
        elif "persist" in flags:
            entry.when = None
        return bulk(entry.value)

    # ------------------------------------------------------------------ keys
    def delete(self, keys: list[bytes]) -> bytes:
        count = 0
        for key in keys:
            if self.live(key) is not None:
                del self.dbs[self.db][key]
                count += 1
        return integer(count)

    def exists(self, keys: list[bytes]) -> bytes:
        return integer(sum(self.live(k) is not None for k in keys))

    def expire(self, command: bytes, key: bytes, arg: bytes, opts: list[bytes]) -> bytes:
        """EXPIRE / PEXPIRE key amount [NX | XX | GT | LT] (expireGenericCommand)."""
        nx = xx = gt = lt = False
        for opt in opts:
            low = opt.lower()
            if low == b"nx":
                nx = True
            elif low == b"xx":
                xx = True
            elif low == b"gt":
                gt = True
            elif low == b"lt":
                lt = True
            else:
                return error(b"ERR Unsupported option " + opt)
        if nx and (xx or gt or lt):
            return NX_XX_GT_LT
        if gt and lt:
            return GT_AND_LT
        when = self.expire_amount(command, arg)
        if isinstance(when, bytes):
            return when
        entry = self.live(key)
        if entry is None:
            return integer(0)
        current = entry.when
        if (nx and current is not None) or (xx and current is None):
            return integer(0)
        if gt and (current is None or when <= current):  # no TTL counts as infinite
            return integer(0)
        if lt and current is not None and when >= current:
            return integer(0)
        if when <= self.now:
            del self.dbs[self.db][key]
        else:
            entry.when = when
        return integer(1)

    def expire_amount(self, command: bytes, arg: bytes) -> int | bytes:
        """EXPIRE's absolute time (negative amounts allowed), or the error reply."""
        n = string2ll(arg)
        if n is None:
            return NOT_INT
        if command == b"EXPIRE":
            if n > LLONG_MAX // 1000 or n < -(-LLONG_MIN // 1000):  # C division truncates
                return invalid_expire(b"expire")
            n *= 1000
        if n > LLONG_MAX - self.now:
            return invalid_expire(command.lower())
        return n + self.now

    def persist(self, key: bytes) -> bytes:
        entry = self.live(key)
        if entry is None or entry.when is None:
            return integer(0)
        entry.when = None
        return integer(1)

    def pttl(self, key: bytes, db: int | None = None) -> int:
        entry = self.live(key, db)
        if entry is None:
            return -2
        if entry.when is None:
            return -1
        return max(entry.when - self.now, 0)

    def ttl(self, key: bytes) -> int:
        ms = self.pttl(key)
        return ms if ms < 0 else (ms + 500) // 1000

    def rename(self, src: bytes, dst: bytes) -> bytes:
        entry = self.live(src)
        if entry is None:
            return NO_SUCH_KEY
        if src != dst:
            self.live(dst)
            keys = self.dbs[self.db]
            keys[dst] = Entry(entry.value, entry.when)  # the same value, moved
            del keys[src]
        return OK

    def copy(self, src: bytes, dst: bytes, opts: list[bytes]) -> bytes:
        replace, target, j = False, self.db, 0
        while j < len(opts):
            opt = opts[j].lower()
            if opt == b"replace":
                replace = True
            elif opt == b"db" and j + 1 < len(opts):
                n = string2ll(opts[j + 1])
                if n is None or not -(2**31) <= n < 2**31:
                    return NOT_INT
                if not 0 <= n < 16:
                    return DB_RANGE
                assert n < NDB, "the machine only names databases the model has"
                target = n
                j += 1
            else:
                return SYNTAX
            j += 1
        if target == self.db and src == dst:
            return SAME_OBJECT
        entry = self.live(src)
        if entry is None:
            return integer(0)
        if self.live(dst, target) is not None and not replace:
            return integer(0)
        self.dbs[target][dst] = Entry(copy_module.copy(entry.value), entry.when)  # aggregates: a new value
        return integer(1)

    def select(self, arg: bytes) -> bytes:
        n = string2ll(arg)
        if n is None or not -(2**31) <= n < 2**31:
            return NOT_INT
        if not 0 <= n < 16:
            return DB_RANGE
        assert n < NDB, "the machine only selects databases the model has"
        self.db = n
        return OK

    def flushdb(self) -> bytes:
        self.dbs[self.db] = {}
        return OK


# =============================================================================== backends
class HarnessBackend:
    """kvfake in-process (tests/support/harness.py) with its ManualClock."""

    exact = True
    expires_at_when = KVFAKE_EXPIRES_AT_WHEN

    def __init__(self, harness) -> None:
        self.h = harness

    def do(self, *args: bytes) -> bytes:
        return self.h.do(*args)

    def now_ms(self) -> int:
        return self.h.clock.now_ms()

    def advance(self, ms: int) -> None:
        self.h.clock.advance(ms / 1000)

    def sweep(self) -> None:
        self.h.store.active_expire_step()

    def problems(self) -> list:
        return list(self.h.internal_errors)

    def close(self) -> None:
        pass


class RedisBackend:
    """A real redis-server over one raw connection; the clock is the wall clock."""

    exact = False
    expires_at_when = False

    def __init__(self, server) -> None:
        self.conn = RawConnection(server.host, server.port)
        assert self.conn.call("FLUSHALL") == OK

    def do(self, *args: bytes) -> bytes:
        return self.conn.call(*args)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def problems(self) -> list:
        return []

    def close(self) -> None:
        self.conn.close()


# =============================================================================== strategies
KEYS = st.sampled_from([b"a", b"b", b"", b"k\x00\xff"])
VALUES = st.one_of(
    st.sampled_from([b"", b"0", b"1", b"-1", b"10", b"007", b"+1", b" 1", b"-0", b"1.5", b"1e3", b"abc",
                     b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"\x00\xff\r\n"]),
    st.binary(max_size=6),
)
INCREMENTS = st.one_of(
    st.integers(-3, 3).map(lambda n: b"%d" % n),
    st.sampled_from([b"9223372036854775807", b"-9223372036854775808", b"4611686018427387904", b"-4611686018427387904",
                     b"9223372036854775808", b"1.5", b"", b"+1", b"01", b"x"]),
)
# expiry amounts: mostly small ints (they expire under time travel), some edge values and non-integers
SMALL_AMOUNTS = st.integers(-2, 3000)
AMOUNTS = st.one_of(
    SMALL_AMOUNTS, SMALL_AMOUNTS, SMALL_AMOUNTS,
    st.sampled_from([0, -1, 10**12, 2**62, LLONG_MAX, LLONG_MIN, 9223372036854775, 9223372036854776,
                     -9223372036854775, -9223372036854776]),
    st.sampled_from([b"1.5", b"", b"ten", b"+5", b"05"]),
)
SMALL_AMOUNT = 10**7       # positive amounts below this are moved far ahead against real Redis
REDIS_BASE_S = 10**6       # ... to about 11 days (seconds: +1e6; milliseconds: 1e9 + amount * 1000)
REDIS_BASE_MS = 10**9
REDIS_SLACK_MS = 1000      # how far Redis's clock may be from the model's for one command

SET_FLAGS = st.sampled_from([b"NX", b"XX", b"GET", b"KEEPTTL", b"nx", b"get", b"KeepTTL"])
SET_EXPIRY = st.tuples(st.sampled_from([b"EX", b"PX", b"ex", b"px"]), AMOUNTS)
RARE_TOKENS = st.sampled_from([b"EX", b"PX", b"PERSIST", b"ZZ"])  # dangling, GETEX-only, unknown
SET_OPTIONS = st.lists(st.one_of(SET_FLAGS, SET_FLAGS, SET_EXPIRY, SET_EXPIRY, RARE_TOKENS), max_size=3)
GETEX_EXPIRY = st.tuples(st.sampled_from([b"EX", b"PX", b"px"]), AMOUNTS)
GETEX_OPTIONS = st.one_of(
    st.just([]),
    st.lists(GETEX_EXPIRY, min_size=1, max_size=1),
    st.lists(st.one_of(GETEX_EXPIRY, st.just(b"PERSIST")), min_size=1, max_size=2),
    st.lists(st.sampled_from([b"NX", b"GET", b"KEEPTTL", b"EX", b"persist"]), min_size=1, max_size=2),
)
EXPIRE_FLAGS = st.lists(st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"gt", b"lt", b"ZZ"]), max_size=2)
DB_ARGS = st.one_of(st.integers(0, NDB - 1).map(lambda n: b"%d" % n), st.sampled_from([b"16", b"-1", b"x"]))
MAX_TRAVEL_MS = 10**10     # ManualClock.advance takes float seconds: exact to the ms well past this
ADVANCE_MS = st.one_of(st.integers(0, 2500), st.sampled_from([1, 999, 1000, 1001, 60_000]))


# =============================================================================== the machine
class StringsKeysMachine(RuleBasedStateMachine):
    """Sends commands to ``backend`` and to the ``Model``; raw replies must be equal."""

    model_class = Model

    def __init__(self, backend) -> None:
        super().__init__()
        self.backend = backend
        self.exact = backend.exact
        self.model = self.model_class(now=backend.now_ms(), expires_at_when=backend.expires_at_when)
        self.last_pttl: dict[tuple[int, bytes], int] = {}
        self.unswept = False  # time moved without the sweep: DBSIZE may still count expired keys

    def teardown(self) -> None:
        self.backend.close()

    # ------------------------------------------------------------------ plumbing
    def tick(self) -> None:
        if not self.exact:
            self.model.now = self.backend.now_ms()

    def send(self, args: list[bytes], expected: bytes) -> bytes:
        actual = self.backend.do(*args)
        assert actual == expected, (
            f"{' '.join(repr(a) for a in args)} (db {self.model.db}, now {self.model.now}):\n"
            f"  expected {expected!r}\n  got      {actual!r}")
        return actual

    def amount(self, value, unit: str) -> bytes:
        if isinstance(value, bytes):
            return value
        if not self.exact and 0 < value < SMALL_AMOUNT:
            value = REDIS_BASE_S + value if unit == "s" else REDIS_BASE_MS + value * 1000
        return b"%d" % value

    def flatten(self, options) -> list[bytes]:
        out = []
        for item in options:
            if isinstance(item, tuple):
                name, value = item
                out += [name, self.amount(value, "s" if name.lower() == b"ex" else "ms")]
            else:
                out.append(item)
        return out

    def forget(self, key: bytes, db: int | None = None) -> None:
        """A command may change this key's TTL: the no-growth invariant starts over for it."""
        self.last_pttl.pop((self.model.db if db is None else db, key), None)

    # ------------------------------------------------------------------ start with data
    @initialize(entries=st.lists(st.tuples(st.integers(0, NDB - 1), KEYS, VALUES, st.none() | st.integers(1, 3000)),
                                 min_size=3, max_size=8))
    def populate(self, entries):
        """Keys (some with a TTL in ms) spread over the databases, so commands meet existing keys."""
        for db, key, value, ms in entries:
            self.send([b"SELECT", b"%d" % db], self.model.select(b"%d" % db))
            opts = [] if ms is None else self.flatten([(b"PX", ms)])
            self.tick()
            self.send([b"SET", key, value, *opts], self.model.set(key, value, opts))
        self.send([b"SELECT", b"0"], self.model.select(b"0"))

    # ------------------------------------------------------------------ strings
    @rule(key=KEYS, value=VALUES, options=SET_OPTIONS)
    def set(self, key, value, options):
        self.tick()
        opts = self.flatten(options)
        self.send([b"SET", key, value, *opts], self.model.set(key, value, opts))
        self.forget(key)

    @rule(key=KEYS, value=VALUES, unit=st.sampled_from([b"EX", b"PX"]), ms=st.integers(1, 3000))
    def set_expiring(self, key, value, unit, ms):
        """Plenty of keys with a TTL that time travel can reach (1 to 3000 ms, or 1 to 4 s)."""
        self.tick()
        amount = ms if unit == b"PX" else ms // 1000 + 1
        opts = self.flatten([(unit, amount)])
        self.send([b"SET", key, value, *opts], self.model.set(key, value, opts))
        self.forget(key)

    @rule(key=KEYS)
    def get(self, key):
        self.tick()
        self.send([b"GET", key], self.model.get(key))

    @rule(key=KEYS, command=st.sampled_from([b"INCR", b"DECR", b"INCRBY", b"DECRBY"]), by=INCREMENTS)
    def incr(self, key, command, by):
        self.tick()
        args = [command, key] + ([by] if command.endswith(b"BY") else [])
        self.send(args, self.model.incr(command, key, by))

    @rule(key=KEYS, value=VALUES)
    def append(self, key, value):
        self.tick()
        self.send([b"APPEND", key, value], self.model.append(key, value))

    @rule(key=KEYS)
    def getdel(self, key):
        self.tick()
        self.send([b"GETDEL", key], self.model.getdel(key))
        self.forget(key)

    @rule(key=KEYS, options=GETEX_OPTIONS)
    def getex(self, key, options):
        self.tick()
        opts = self.flatten(options)
        self.send([b"GETEX", key, *opts], self.model.getex(key, opts))
        self.forget(key)

    # ------------------------------------------------------------------ keys
    @rule(keys=st.lists(KEYS, min_size=1, max_size=3))
    def delete(self, keys):
        self.tick()
        self.send([b"DEL", *keys], self.model.delete(keys))
        for key in keys:
            self.forget(key)

    @rule(keys=st.lists(KEYS, min_size=1, max_size=3))
    def exists(self, keys):
        self.tick()
        self.send([b"EXISTS", *keys], self.model.exists(keys))

    @rule(key=KEYS, command=st.sampled_from([b"EXPIRE", b"PEXPIRE"]), value=AMOUNTS, flags=EXPIRE_FLAGS)
    def expire(self, key, command, value, flags):
        self.tick()
        arg = self.amount(value, "s" if command == b"EXPIRE" else "ms")
        if not self.exact and {f.lower() for f in flags} & {b"gt", b"lt"}:
            when, entry = self.model.expire_amount(command, arg), self.model.live(key)
            if isinstance(when, int) and entry is not None and entry.when is not None \
                    and abs(when - entry.when) <= REDIS_SLACK_MS:
                return  # which is greater depends on the millisecond Redis runs it in
        self.send([command, key, arg, *flags], self.model.expire(command, key, arg, flags))
        self.forget(key)

    @rule(key=KEYS)
    def persist(self, key):
        self.tick()
        self.send([b"PERSIST", key], self.model.persist(key))
        self.forget(key)

    @rule(key=KEYS, command=st.sampled_from([b"TTL", b"PTTL"]))
    def ttl(self, key, command):
        self.tick()
        expected = self.model.ttl(key) if command == b"TTL" else self.model.pttl(key)
        actual = self.backend.do(command, key)
        self.compare_ttl(command, key, expected, actual)

    def compare_ttl(self, command: bytes, key: bytes, expected: int, actual: bytes) -> int:
        if self.exact or expected < 0:
            assert actual == integer(expected), f"{command!r} {key!r}: expected {expected}, got {actual!r}"
        else:
            value = decode(actual)
            slack = REDIS_SLACK_MS if command == b"PTTL" else REDIS_SLACK_MS // 1000 + 1
            assert isinstance(value, int) and abs(value - expected) <= slack, \
                f"{command!r} {key!r}: expected about {expected}, got {actual!r}"
        return decode(actual)

    @rule(src=KEYS, dst=KEYS)
    def rename(self, src, dst):
        self.tick()
        self.send([b"RENAME", src, dst], self.model.rename(src, dst))
        self.forget(src)
        self.forget(dst)

    @rule(src=KEYS, dst=KEYS, db=st.none() | DB_ARGS, replace=st.booleans(), replace_first=st.booleans())
    def copy(self, src, dst, db, replace, replace_first):
        self.tick()
        opts = [] if db is None else [b"DB", db]
        if replace:
            opts = [b"REPLACE", *opts] if replace_first else [*opts, b"REPLACE"]
        self.send([b"COPY", src, dst, *opts], self.model.copy(src, dst, opts))
        target = string2ll(db) if db is not None else self.model.db
        if target is not None and 0 <= target < NDB:
            self.forget(dst, target)

    @rule(db=DB_ARGS)
    def select(self, db):
        self.send([b"SELECT", db], self.model.select(db))

    @rule(chance=st.integers(0, 3))
    def flushdb(self, chance):
        if chance:
            return  # a quarter as often as other rules, so keyspaces fill up
        self.send([b"FLUSHDB"], self.model.flushdb())
        for db, key in list(self.last_pttl):
            if db == self.model.db:
                self.forget(key)

    # ------------------------------------------------------------------ time travel (harness only)
    @precondition(lambda self: self.exact)
    @rule(ms=ADVANCE_MS, sweep=st.booleans())
    def advance_clock(self, ms, sweep):
        self.travel(ms, sweep)

    @precondition(lambda self: self.exact)
    @rule(key=KEYS, delta=st.sampled_from([-1, 0, 1]), sweep=st.booleans())
    def advance_to_expiry(self, key, delta, sweep):
        """Land exactly on (or next to) a key's expiry time: Redis keeps it at now == when."""
        entry = self.model.live(key)
        if entry is not None and entry.when is not None and 0 <= entry.when + delta - self.model.now <= MAX_TRAVEL_MS:
            self.travel(entry.when + delta - self.model.now, sweep)

    @precondition(lambda self: self.exact)
    @rule()
    def active_expire(self):
        self.backend.sweep()
        self.unswept = False

    def travel(self, ms: int, sweep: bool) -> None:
        self.backend.advance(ms)
        self.model.now += ms
        assert self.backend.now_ms() == self.model.now
        if sweep:
            self.backend.sweep()
        self.unswept = not sweep

    # ------------------------------------------------------------------ invariants
    @invariant()
    def keyspace_agrees(self):
        self.tick()
        model = self.model
        for db in range(NDB):
            self.send([b"SELECT", b"%d" % db], OK)
            live = model.live_items(db)
            if not self.unswept:
                self.send([b"DBSIZE"], integer(len(live)))
            for key, entry in live:
                self.send([b"TYPE", key], simple(type_name(entry.value)))
                self.check_value(db, key, entry)
                pttl = self.compare_ttl(b"PTTL", key, model.pttl(key, db), self.backend.do(b"PTTL", key))
                before = self.last_pttl.get((db, key))
                if before is not None:
                    assert (pttl == -1) == (before == -1) and pttl <= before, \
                        f"PTTL of {key!r} in db {db} went from {before} to {pttl} with no command on it"
                self.last_pttl[(db, key)] = pttl
            alive = {k for k, _ in live}
            for stale in [k for d, k in self.last_pttl if d == db and k not in alive]:
                del self.last_pttl[(db, stale)]
        self.send([b"SELECT", b"%d" % model.db], OK)
        assert not self.backend.problems(), self.backend.problems()

    def check_value(self, db: int, key: bytes, entry: Entry) -> None:
        """Hook for the invariant: compare a live key's whole value (the sibling machine reads aggregates)."""


# =============================================================================== the tests
def test_kvfake_matches_model(harness_factory):
    run_state_machine_as_test(lambda: StringsKeysMachine(HarnessBackend(harness_factory())))


@pytest.mark.redis_server
def test_real_redis_matches_model(real_redis):
    run_state_machine_as_test(lambda: StringsKeysMachine(RedisBackend(real_redis)))
