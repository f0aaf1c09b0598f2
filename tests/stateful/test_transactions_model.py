"""Transactions over two interleaving connections: kvfake, and real Redis, against one plain-Python model.

``TransactionsModel`` extends the aggregates model (test_aggregates_model.py, itself on the strings/keys
model) with two clients, A and B, each with its own selected database, WATCHed keys, dirty flag (Redis's
CLIENT_DIRTY_CAS), MULTI queue and "a command failed to queue" flag (CLIENT_DIRTY_EXEC), plus MOVE, SWAPDB
and FLUSHALL. ``TransactionsMachine`` inherits the strings/keys machine (its rules, time travel, invariant)
and borrows a few aggregate rules (lists, hashes, sets: WRONGTYPE inside EXEC) and the aggregates'
``check_value``; every inherited rule goes to the current client, which the transaction rules switch.
The machine's invariant reads through a third connection (the backend's own), which is never in MULTI.

How the model routes a command (``TransactionsModel.run``): a client in MULTI queues it (+QUEUED) and EXEC
applies the queue at once, each command with its own reply (a runtime error such as WRONGTYPE, ``ERR
syntax error`` or HSET's odd-pair arity error does not stop the others; a queued SELECT moves the rest to
another database). Otherwise it is applied now. Applying compares the live keyspace before and after:
every (db, key) whose entry, value or expiry changed is "touched" (signalModifiedKey), and so is the key of
a command that Redis signals even when nothing changes (INCRBY 0, APPEND "", EXPIRE to the same time,
GETEX EX|PX, HSET/HINCRBY/LSET with the same value, LMOVE rotating a list onto itself). A touched key
makes every client that WATCHes it dirty, the toucher itself included.

Redis 7.0.15 rules the model encodes (each seen on the real server, and proved again by the real-server
run): a WATCHed key written by the same connection before MULTI aborts its EXEC (nil); so do FLUSHDB and
FLUSHALL when the key existed, SWAPDB when it exists in either database (SWAPDB n n touches nothing), MOVE
(both databases), and a write in another database only when it is the watched one; SET NX that does not
set, DEL of a missing key, PERSIST of a key without TTL, SADD of an existing member, ZINCRBY 0, LPOP 0 and
RENAME k k touch nothing. A key live when WATCHed that has expired by EXEC aborts it even if nobody
deleted it (isWatchedKeyExpired); a key already expired when WATCHed does not (only the kvfake backend
moves time). Unknown commands and wrong arity inside MULTI answer their error and make EXEC answer
EXECABORT (which wins over a dirty WATCH); WATCH inside MULTI and a nested MULTI answer an error without
dooming the transaction; ``EXEC x`` answers "EXECABORT Transaction discarded because of: wrong number of
arguments for 'exec' command" and discards the transaction and every WATCH, in MULTI or not; UNWATCH inside
MULTI is queued (EXEC already dropped the WATCHes); UNWATCH clears the dirty flag.

Backends: the in-process harness (exact, time travel: clients A and B from ``h.new_client()``) and a real
redis-server (clock rules off, two more sockets). Against real Redis, TTL/PTTL and EXPIRE GT|LT are not
queued (their replies depend on the millisecond EXEC runs in; the sibling compares them with slack).

Imports: hypothesis, pytest, tests.support.*, tests.stateful.test_strings_keys_model,
tests.stateful.test_aggregates_model.  Never: kvfake internals (the harness wraps them).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from tests.stateful.test_aggregates_model import (ELEMENTS, FIELDS, HASH_INCREMENTS, HASH_VALUES, MEMBERS,
                                                  AggregatesMachine, AggregatesModel, Hash, ListValue, SetValue,
                                                  ZSet)
from tests.stateful.test_strings_keys_model import (ADVANCE_MS, AMOUNTS, DB_ARGS, EXPIRE_FLAGS, INCREMENTS, KEYS,
                                                    MAX_TRAVEL_MS, NDB, NOT_INT, OK, SET_OPTIONS, VALUES,
                                                    HarnessBackend, RedisBackend, StringsKeysMachine, string2ll)
from tests.support.raw import RawConnection
from tests.support.resp import NIL, NIL_ARRAY, QUEUED, array, error, integer

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DB_RANGE = error("ERR DB index is out of range")
SAME_OBJECT = error("ERR source and destination objects are the same")
INT_RANGE = error("ERR value is out of range, value must between -2147483648 and 2147483647")
INVALID_FIRST_DB = error("ERR invalid first DB index")
INVALID_SECOND_DB = error("ERR invalid second DB index")
MULTI_NESTED = error("ERR MULTI calls can not be nested")
EXEC_WITHOUT_MULTI = error("ERR EXEC without MULTI")
DISCARD_WITHOUT_MULTI = error("ERR DISCARD without MULTI")
WATCH_INSIDE_MULTI = error("ERR WATCH inside MULTI is not allowed")
EXECABORT = error("EXECABORT Transaction discarded because of previous errors.")

CLIENTS = ("A", "B")


def wrong_arity(name: str) -> str:
    return f"ERR wrong number of arguments for '{name}' command"


# =============================================================================== the model
@dataclass
class Client:
    """One connection's transaction state (the current client's database is ``Model.db``)."""

    db: int = 0
    watched: dict = field(default_factory=dict)  # (db, key) -> the key was live when WATCHed
    dirty: bool = False                          # CLIENT_DIRTY_CAS: a WATCHed key was touched
    queue: list | None = None                    # MULTI's queued commands; None outside MULTI
    doomed: bool = False                         # CLIENT_DIRTY_EXEC: a command failed to queue

    def reset(self) -> None:
        """discardTransaction: no MULTI, no queue, no flags, no WATCH."""
        self.watched.clear()
        self.dirty = self.doomed = False
        self.queue = None


def frozen(value) -> object:
    """A comparable copy of a model value (aggregates are mutated in place)."""
    if isinstance(value, (Hash, ZSet)):
        return tuple(value.items())
    if isinstance(value, ListValue):
        return tuple(value)
    if isinstance(value, SetValue):
        return frozenset(value)
    return value


def signalled_keys(name: str, args: tuple, reply: bytes) -> list[bytes]:
    """Keys Redis 7.0 signals as modified even when the value may be unchanged (see the docstring)."""
    if name in ("append", "hset", "hincrby") and reply[:1] == b":":
        return [args[0]]
    if name == "incr" and reply[:1] == b":":
        return [args[1]]
    if name == "expire" and reply == integer(1):
        return [args[1]]
    if name == "getex" and reply[:1] == b"$" and reply != NIL and any(o.lower() in (b"ex", b"px") for o in args[1]):
        return [args[0]]
    if name == "lset" and reply == OK:
        return [args[0]]
    if name == "lmove" and reply[:1] == b"$" and reply != NIL:
        return [args[0], args[1]]
    return []


class TransactionsModel(AggregatesModel):
    """The aggregates model with clients A and B, WATCH/MULTI/EXEC, MOVE, SWAPDB and FLUSHALL.

    ``db`` is the current client's database; ``use(name)`` switches clients. The commands named in
    ``QUEUEABLE`` go through ``run`` (queued in MULTI, else applied with WATCH bookkeeping)."""

    def __init__(self, now: int, *, expires_at_when: bool = False) -> None:
        super().__init__(now, expires_at_when=expires_at_when)
        self.clients = {name: Client() for name in CLIENTS}
        self.current = CLIENTS[0]

    @property
    def client(self) -> Client:
        return self.clients[self.current]

    def use(self, name: str) -> None:
        self.client.db = self.db
        self.current = name
        self.db = self.client.db

    def in_multi(self) -> bool:
        return self.client.queue is not None

    # ------------------------------------------------------------------ routing and WATCH bookkeeping
    def run(self, name: str, plain, args: tuple) -> bytes:
        """A command of the current client: queued inside MULTI, else applied now."""
        if self.client.queue is not None:
            self.client.queue.append((name, plain, args))
            return QUEUED
        return self.apply(name, plain, args)

    def apply(self, name: str, plain, args: tuple) -> bytes:
        db = self.db
        before = self.snapshot()
        reply = plain(self, *args)
        after = self.snapshot()
        touched = {k for k in before.keys() | after.keys()
                   if k not in before or k not in after or before[k][0] is not after[k][0]
                   or before[k][1:] != after[k][1:]}
        touched.update((db, key) for key in signalled_keys(name, args, reply))
        for client in self.clients.values():
            if any(k in touched for k in client.watched):
                client.dirty = True
        return reply

    def snapshot(self) -> dict:
        """(db, key) -> (entry, value copy, expiry) of every live key; expired keys count as absent
        (their deletion by expiry is no change: a key live when WATCHed is checked at EXEC instead)."""
        out = {}
        for db, keys in enumerate(self.dbs):
            for key, entry in keys.items():
                if entry.when is None or self.now < entry.when or (self.now == entry.when and not self.expires_at_when):
                    out[(db, key)] = (entry, frozen(entry.value), entry.when)
        return out

    # ------------------------------------------------------------------ MULTI EXEC DISCARD WATCH UNWATCH
    def multi(self) -> bytes:
        client = self.client
        if client.queue is not None:
            return MULTI_NESTED  # an error, but the transaction goes on
        client.queue = []
        return OK

    def exec(self) -> bytes:
        client = self.client
        if client.queue is None:
            return EXEC_WITHOUT_MULTI
        for (db, key), was_live in client.watched.items():
            if was_live and self.live(key, db) is None:
                client.dirty = True  # isWatchedKeyExpired (or its deletion by expiry touched it)
        queue, doomed, dirty = client.queue, client.doomed, client.dirty
        client.reset()
        if doomed:
            return EXECABORT
        if dirty:
            return NIL_ARRAY
        return array(*[self.apply(name, plain, args) for name, plain, args in queue])

    def discard(self) -> bytes:
        if self.client.queue is None:
            return DISCARD_WITHOUT_MULTI
        self.client.reset()
        return OK

    def watch(self, keys: list[bytes]) -> bytes:
        client = self.client
        if client.queue is not None:
            return WATCH_INSIDE_MULTI  # does not doom the transaction
        for key in keys:
            client.watched.setdefault((self.db, key), self.live(key) is not None)
        return OK

    def unwatch(self) -> bytes:
        self.client.watched.clear()
        self.client.dirty = False
        return OK

    def reject(self, args: list[bytes], text: str) -> bytes:
        """A command refused before it runs (unknown, wrong arity): it dooms a MULTI; EXEC's own
        refusal discards the transaction and the WATCHes (execCommandAbort), in MULTI or not."""
        if args[0].lower() == b"exec":
            self.client.reset()
            return error("EXECABORT Transaction discarded because of: " + text.removeprefix("ERR "))
        if self.client.queue is not None:
            self.client.doomed = True
        return error(text)

    # ------------------------------------------------------------------ MOVE SWAPDB FLUSHALL
    def move(self, key: bytes, arg: bytes) -> bytes:
        n = string2ll(arg)
        if n is None:
            return NOT_INT
        if not INT_MIN <= n <= INT_MAX:
            return INT_RANGE
        if not 0 <= n < 16:
            return DB_RANGE
        assert n < NDB, "the machine only names databases the model has"
        if n == self.db:
            return SAME_OBJECT
        entry = self.live(key)
        if entry is None or self.live(key, n) is not None:
            return integer(0)
        self.dbs[n][key] = entry  # the same value and TTL
        del self.dbs[self.db][key]
        return integer(1)

    def swapdb(self, first: bytes, second: bytes) -> bytes:
        ids = []
        for arg, invalid in ((first, INVALID_FIRST_DB), (second, INVALID_SECOND_DB)):
            n = string2ll(arg)
            if n is None or not INT_MIN <= n <= INT_MAX:
                return invalid
            ids.append(n)
        if not all(0 <= n < 16 for n in ids):
            return DB_RANGE
        a, b = ids
        assert a < NDB and b < NDB, "the machine only names databases the model has"
        self.dbs[a], self.dbs[b] = self.dbs[b], self.dbs[a]  # clients keep their database numbers
        return OK

    def flushall(self) -> bytes:
        self.dbs = [{} for _ in range(NDB)]
        return OK


def ttl_reply(model: TransactionsModel, command: bytes, key: bytes) -> bytes:
    return integer(model.ttl(key) if command == b"TTL" else model.pttl(key))


# the model's commands that the machine's rules send (queued in MULTI); the rest are helpers or reads
# for the invariant
QUEUEABLE = ("set", "get", "incr", "append", "getdel", "getex", "delete", "exists", "expire", "persist",
             "rename", "copy", "select", "flushdb", "push", "pop", "lset", "lmove", "hset", "hincrby", "sadd", "zadd",
             "move", "swapdb", "flushall", "unwatch")


def _queueable(name: str, plain):
    def method(self, *args):
        return self.run(name, plain, args)
    method.__name__ = name
    method.__doc__ = f"{name}: queued inside MULTI, else applied (see TransactionsModel.run)"
    return method


for _name in QUEUEABLE:
    setattr(TransactionsModel, _name, _queueable(_name, getattr(TransactionsModel, _name)))


# =============================================================================== backends
class TwoClients:
    """Clients A and B beside the backend's own connection, which the invariant reads through."""

    def add_clients(self, callers: dict) -> None:
        self.callers = callers  # None (the backend's own connection), "A", "B" -> do(*args)
        self.current = CLIENTS[0]

    def do(self, *args: bytes) -> bytes:
        return self.callers[self.current](*args)

    @contextmanager
    def observing(self):
        saved, self.current = self.current, None
        try:
            yield
        finally:
            self.current = saved


class HarnessClients(TwoClients, HarnessBackend):
    def __init__(self, harness) -> None:
        super().__init__(harness)
        self.add_clients({None: harness.do, **{name: harness.new_client().do for name in CLIENTS}})


class RedisClients(TwoClients, RedisBackend):
    def __init__(self, server) -> None:
        super().__init__(server)
        self.sockets = [RawConnection(server.host, server.port) for _ in CLIENTS]
        self.add_clients({None: self.conn.call, **{name: s.call for name, s in zip(CLIENTS, self.sockets)}})

    def close(self) -> None:
        super().close()
        for sock in self.sockets:
            sock.close()


# =============================================================================== strategies
CONNS = st.sampled_from(CLIENTS)
WATCH_KEYS = st.one_of(KEYS, st.sampled_from([b"l", b"h", b"s"]))
DB_NUMBERS = st.integers(0, NDB - 1).map(lambda n: b"%d" % n)
MOVE_DBS = st.one_of(DB_NUMBERS, DB_NUMBERS, st.sampled_from([b"16", b"-1", b"x", b"99999999999"]))
SWAP_DBS = st.one_of(DB_NUMBERS, DB_NUMBERS, DB_NUMBERS, st.sampled_from([b"16", b"-1", b"x", b"99999999999"]))
# how write_watched writes: a change, or maybe none (APPEND "", INCRBY 0...) that Redis signals all the same
REWRITES = st.sampled_from(["set", "same", "same", "append", "incrby", "hincrby", "getex", "persist", "rename",
                            "delete"])
REJECTED = st.sampled_from([
    ([b"NOSUCH", b"a"], "ERR unknown command 'NOSUCH', with args beginning with: 'a' "),
    ([b"GET"], wrong_arity("get")),
    ([b"SET", b"a"], wrong_arity("set")),
    ([b"WATCH"], wrong_arity("watch")),
    ([b"MULTI", b"x"], wrong_arity("multi")),
    ([b"DISCARD", b"x"], wrong_arity("discard")),
    ([b"SELECT"], wrong_arity("select")),
    ([b"EXEC", b"x"], wrong_arity("exec")),
])
DOOM = st.one_of(st.none(), st.none(), st.none(), st.tuples(st.integers(0, 5), REJECTED))  # a quarter of the time
RESETS_TTLS = {"move", "swapdb", "flushall", "flushdb"}


def step(name: str, **arguments) -> st.SearchStrategy:
    """One step of the ``transaction`` rule: a machine rule's name and its arguments."""
    return st.tuples(st.just(name), st.fixed_dictionaries(arguments))


# the rules a transaction interleaves, over keys of every type (so WRONGTYPE happens inside EXEC)
TX_KEYS = st.sampled_from([b"a", b"b", b"", b"l", b"h", b"s"])
STEPS = st.one_of(
    step("set", key=TX_KEYS, value=VALUES, options=SET_OPTIONS),
    step("set_expiring", key=TX_KEYS, value=VALUES, unit=st.sampled_from([b"EX", b"PX"]), ms=st.integers(1, 3000)),
    step("get", key=TX_KEYS),
    step("incr", key=TX_KEYS, command=st.sampled_from([b"INCR", b"DECRBY"]), by=INCREMENTS),
    step("append", key=TX_KEYS, value=VALUES),
    step("delete", keys=st.lists(TX_KEYS, min_size=1, max_size=2)),
    step("expire", key=TX_KEYS, command=st.sampled_from([b"EXPIRE", b"PEXPIRE"]), value=AMOUNTS, flags=EXPIRE_FLAGS),
    step("persist", key=TX_KEYS),
    step("ttl", key=TX_KEYS, command=st.sampled_from([b"TTL", b"PTTL"])),
    step("rename", src=TX_KEYS, dst=TX_KEYS),
    step("select", db=DB_ARGS),
    step("flushdb", chance=st.just(0)),
    step("push", key=TX_KEYS, command=st.sampled_from([b"LPUSH", b"RPUSH"]),
         elements=st.lists(ELEMENTS, min_size=1, max_size=2)),
    step("hset", key=TX_KEYS, pairs=st.lists(st.tuples(FIELDS, HASH_VALUES), min_size=1, max_size=2),
         dangling=st.sampled_from([False, False, True])),
    step("hincrby", key=TX_KEYS, field=FIELDS, by=HASH_INCREMENTS),
    step("sadd", key=TX_KEYS, members=st.lists(MEMBERS, min_size=1, max_size=2)),
    step("move", key=TX_KEYS, db=MOVE_DBS),
    step("swapdb", first=SWAP_DBS, second=SWAP_DBS),
    step("watch", keys=st.lists(TX_KEYS, min_size=1, max_size=2)),
    step("unwatch"),
    step("rejected", rejected=REJECTED),
    step("write_watched", pick=st.integers(0, 63), how=REWRITES, value=VALUES),
    step("advance_clock", ms=ADVANCE_MS, sweep=st.booleans()),
)
TAKES_CONN = {"watch", "unwatch", "rejected"}  # rules that switch to their ``conn`` themselves
EXACT_ONLY = {"advance_clock"}                 # time travel: the harness only


# =============================================================================== the machine
class TransactionsMachine(StringsKeysMachine):
    """The strings/keys machine on two clients, plus WATCH/MULTI/EXEC/DISCARD, MOVE, SWAPDB, FLUSHALL."""

    model_class = TransactionsModel

    # borrowed from the aggregates machine (plain functions: none calls super())
    populate_aggregates = AggregatesMachine.populate_aggregates
    check_value = AggregatesMachine.check_value
    send_members = AggregatesMachine.send_members
    push = AggregatesMachine.push
    pop = AggregatesMachine.pop
    lmove = AggregatesMachine.lmove
    hset = AggregatesMachine.hset
    hincrby = AggregatesMachine.hincrby
    sadd = AggregatesMachine.sadd

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.switch(CLIENTS[0])

    def switch(self, name: str) -> None:
        """Later rules (the inherited ones included) go to client ``name``."""
        self.model.use(name)
        self.backend.current = name

    def forget_all(self) -> None:
        self.last_pttl.clear()

    def forget_gone(self) -> None:
        """What the invariant does between rules, for the steps of one rule: a key that is gone (an
        aggregate emptied, a key expired) may come back with another TTL."""
        for db, key in list(self.last_pttl):
            if self.model.live(key, db) is None:
                del self.last_pttl[(db, key)]

    def travel(self, ms: int, sweep: bool) -> None:
        super().travel(ms, sweep)
        self.forget_gone()

    @invariant()
    def keyspace_agrees(self):
        with self.backend.observing():
            super().keyspace_agrees()

    # ------------------------------------------------------------------ transactions
    @rule(owner=CONNS, keys=st.lists(TX_KEYS, max_size=3), before=st.lists(st.tuples(CONNS, STEPS), max_size=3),
          during=st.lists(st.tuples(CONNS, STEPS), max_size=5), doom=DOOM,
          wait=st.none() | st.tuples(ADVANCE_MS, st.booleans()), end=st.sampled_from([b"EXEC", b"EXEC", b"DISCARD"]))
    def transaction(self, owner, keys, before, during, doom, wait, end):
        """One whole transaction of ``owner``: WATCH ``keys``, steps of either client, MULTI, more steps
        (the owner's are queued, the other's run at once and may touch the WATCHed keys), maybe a command
        refused in the owner's queue (``doom``: at that step), maybe time travel (``wait``: ms and whether
        the active expiry sweeps; the harness only), EXEC or DISCARD."""
        if keys:
            self.watch(owner, keys)
        self.run_steps(before)
        self.multi(owner)
        if doom is not None:
            during = [*during[:doom[0]], (owner, ("rejected", {"rejected": doom[1]})), *during[doom[0]:]]
        self.run_steps(during)
        if wait is not None and self.exact:
            self.travel(*wait)
        if end == b"EXEC":
            self.exec(owner)
        else:
            self.discard(owner)

    @rule(owner=CONNS, keys=st.lists(TX_KEYS, min_size=1, max_size=3), pick=st.integers(0, 63), how=REWRITES,
          value=VALUES, when=st.sampled_from(["before MULTI", "before MULTI, then UNWATCH", "inside MULTI"]),
          during=st.lists(st.tuples(CONNS, STEPS), max_size=3), wait=st.none() | st.tuples(ADVANCE_MS, st.booleans()))
    def contended_transaction(self, owner, keys, pick, how, value, when, during, wait):
        """A transaction whose WATCHed keys the other client writes (``write_watched``) before MULTI
        (then maybe the owner UNWATCHes: that clears the dirty flag) or while the owner queues: EXEC
        answers nil unless the write changed nothing that Redis signals."""
        write = (owner, ("write_watched", {"pick": pick, "how": how, "value": value}))
        if when == "inside MULTI":
            self.transaction(owner, keys, [], [write, *during], None, wait, b"EXEC")
        else:
            unwatch = [(owner, ("unwatch", {}))] if when.endswith("UNWATCH") else []
            self.transaction(owner, keys, [write, *unwatch], during, None, wait, b"EXEC")

    @precondition(lambda self: self.exact)
    @rule(owner=CONNS, key=TX_KEYS, ms=st.integers(1, 3000), delta=st.sampled_from([-1, 0, 1]),
          phase=st.sampled_from(["before WATCH", "before MULTI", "before EXEC"]), sweep=st.booleans(),
          touch=st.booleans(), during=st.lists(st.tuples(CONNS, STEPS), max_size=2))
    def expiring_transaction(self, owner, key, ms, delta, phase, sweep, touch, during):
        """A transaction WATCHing a key with a TTL while time lands on its expiry (``delta`` ms from it)
        at ``phase``: a key live when WATCHed that has expired by EXEC aborts it, swept or not; one
        already expired when WATCHed does not, even once deleted (``sweep``, or ``touch``: the other
        client reads it just before EXEC)."""
        self.switch(owner)
        self.set_expiring(key, b"v", b"PX", ms)
        entry = self.model.live(key)
        when = None if entry is None else entry.when  # None: the SET was queued (the owner is in MULTI)
        if phase == "before WATCH":
            self.travel_to(when, delta, sweep)
        self.watch(owner, [key])
        if phase == "before MULTI":
            self.travel_to(when, delta, sweep)
        self.multi(owner)
        self.run_steps(during)
        if phase == "before EXEC":
            self.travel_to(when, delta, sweep)
        if touch:
            self.run_steps([(CLIENTS[1] if owner == CLIENTS[0] else CLIENTS[0], ("get", {"key": key}))])
        self.exec(owner)

    def travel_to(self, when: int | None, delta: int, sweep: bool) -> None:
        if when is not None and 0 <= when + delta - self.model.now <= MAX_TRAVEL_MS:
            self.travel(when + delta - self.model.now, sweep)

    def run_steps(self, steps) -> None:
        for conn, (name, arguments) in steps:
            if name in EXACT_ONLY and not self.exact:
                continue
            self.switch(conn)
            getattr(self, name)(**({"conn": conn, **arguments} if name in TAKES_CONN else arguments))
            self.forget_gone()

    @rule(conn=CONNS)
    def switch_to(self, conn):
        self.switch(conn)

    @rule(conn=CONNS, keys=st.lists(WATCH_KEYS, min_size=1, max_size=3))
    def watch(self, conn, keys):
        self.switch(conn)
        self.tick()
        self.send([b"WATCH", *keys], self.model.watch(keys))

    @rule(conn=CONNS)
    def unwatch(self, conn):
        self.switch(conn)
        self.send([b"UNWATCH"], self.model.unwatch())

    @rule(conn=CONNS)
    def multi(self, conn):
        self.switch(conn)
        self.send([b"MULTI"], self.model.multi())

    @precondition(lambda self: any(c.queue is not None for c in self.model.clients.values()))
    @rule(conn=st.sampled_from([None, None, *CLIENTS]))
    def exec(self, conn):
        """EXEC, mostly on a client in MULTI (``None``: the first one)."""
        model = self.model
        if conn is None:
            conn = next((name for name, c in model.clients.items() if c.queue is not None), CLIENTS[0])
        self.switch(conn)
        self.tick()
        queued = list(model.client.queue or [])
        self.send([b"EXEC"], model.exec())
        if any(name in RESETS_TTLS for name, _, _ in queued):
            self.forget_all()
        else:  # any database: a queued SELECT may have moved the others
            words = {a for _, _, args in queued for arg in args for a in (arg if isinstance(arg, list) else [arg])}
            for db, key in list(self.last_pttl):
                if key in words:
                    self.forget(key, db)

    @rule(conn=CONNS)
    def discard(self, conn):
        self.switch(conn)
        self.send([b"DISCARD"], self.model.discard())

    @rule(conn=CONNS, rejected=REJECTED)
    def rejected(self, conn, rejected):
        """A command refused before it runs (unknown, arity): EXECABORT later if in MULTI."""
        args, text = rejected
        self.switch(conn)
        self.send(args, self.model.reject(args, text))

    @precondition(lambda self: any(c.watched for c in self.model.clients.values()))
    @rule(pick=st.integers(0, 63), how=REWRITES, value=VALUES)
    def write_watched(self, pick, how, value):
        """The other client writes a key some client WATCHes (in that key's database), often without
        changing it (Redis signals the key all the same, except where the docstring says not)."""
        watched = sorted((name, db, key) for name, c in self.model.clients.items() for db, key in c.watched)
        if not watched:
            return  # a step of ``transaction`` when nothing is watched
        name, db, key = watched[pick % len(watched)]
        self.switch(CLIENTS[1] if name == CLIENTS[0] else CLIENTS[0])
        self.send([b"SELECT", b"%d" % db], self.model.select(b"%d" % db))
        if how == "set":
            self.set(key, value, [])
        elif how == "append":
            self.append(key, b"")
        elif how == "incrby":
            self.incr(key, b"INCRBY", b"0")
        elif how == "hincrby":
            self.hincrby(key, b"f", b"0")
        elif how == "same":  # rewrite the value as it is (SADD of a member is not signalled, the rest are)
            entry = self.model.live(key, db)
            value = None if entry is None else entry.value
            if isinstance(value, bytes):
                self.append(key, b"") if string2ll(value) is None else self.incr(key, b"INCRBY", b"0")
            elif isinstance(value, Hash):
                self.hset(key, [next(iter(value.items()))], False)
            elif isinstance(value, ListValue):
                self.tick()
                self.send([b"LSET", key, b"-1", value[-1]], self.model.lset(key, b"-1", value[-1]))
            elif isinstance(value, SetValue):
                self.sadd(key, [min(value)])
            else:
                self.delete([key])
        elif how == "getex":
            self.getex(key, [(b"PX", 2000)])
        elif how == "persist":
            self.persist(key)
        elif how == "rename":
            self.rename(key, key)
        else:
            self.delete([key])

    # ------------------------------------------------------------------ keyspace commands across databases
    @rule(key=WATCH_KEYS, db=MOVE_DBS)
    def move(self, key, db):
        self.tick()
        self.send([b"MOVE", key, db], self.model.move(key, db))
        for n in range(NDB):
            self.forget(key, n)

    @rule(first=SWAP_DBS, second=SWAP_DBS)
    def swapdb(self, first, second):
        self.send([b"SWAPDB", first, second], self.model.swapdb(first, second))
        self.forget_all()

    @rule(chance=st.integers(0, 7))
    def flushall(self, chance):
        if chance:
            return  # an eighth as often as other rules
        self.send([b"FLUSHALL"], self.model.flushall())

    # ------------------------------------------------------------------ inherited rules that read the clock
    @rule(key=KEYS, command=st.sampled_from([b"TTL", b"PTTL"]))
    def ttl(self, key, command):
        if not self.model.in_multi():
            super().ttl(key, command)
        elif self.exact:  # real Redis: the reply depends on the millisecond EXEC runs in
            self.send([command, key], self.model.run("ttl", ttl_reply, (command, key)))

    @rule(key=KEYS, command=st.sampled_from([b"EXPIRE", b"PEXPIRE"]), value=AMOUNTS, flags=EXPIRE_FLAGS)
    def expire(self, key, command, value, flags):
        if self.model.in_multi() and not self.exact and {f.lower() for f in flags} & {b"gt", b"lt"}:
            return  # real Redis: which time is greater may depend on when EXEC runs (see the sibling)
        super().expire(key, command, value, flags)


# =============================================================================== the tests
def test_kvfake_matches_model(harness_factory):
    """In-process runs are cheap and alone move time: twice the profile's examples."""
    run_state_machine_as_test(lambda: TransactionsMachine(HarnessClients(harness_factory())),
                              settings=settings(max_examples=2 * settings.default.max_examples))


@pytest.mark.redis_server
def test_real_redis_matches_model(real_redis):
    run_state_machine_as_test(lambda: TransactionsMachine(RedisClients(real_redis)))
