"""Transactions vs real redis-server 7.0.15: MULTI EXEC DISCARD WATCH UNWATCH.

One-connection scripts (``pair.check``, RESP2 and RESP3) pin the error paths: +QUEUED, commands
rejected while queueing (EXECABORT), runtime errors reported per command inside EXEC, nesting,
WATCH inside MULTI, EXEC/DISCARD without MULTI, blocking commands inside MULTI, RESET and QUIT.

Scripts with several connections (``Clients`` below: the same numbered connections on both servers,
driven in lock step) pin WATCH: which writes of another client touch a watched key (one table row
per write, data-type "quiet" writes included), FLUSHDB/FLUSHALL/SWAPDB, and keys that expire
between WATCH and EXEC or had already expired when WATCHed (real time: short sleeps).

Normalised (and only there): the client id inside a HELLO reply that EXEC returns.
"""

from __future__ import annotations

import re

import pytest

from tests.support.clients import Clients

# =============================================================================== one connection
SCRIPTS = {
    "multi-exec-queued": [
        ["MULTI"], ["SET", "k", "v"], ["GET", "k"], ["INCR", "n"], ["EXEC"], ["GET", "k"],
    ],
    "empty-transaction": [["MULTI"], ["EXEC"]],
    "nested-multi": [["MULTI"], ["MULTI"], ["SET", "k", "v"], ["EXEC"]],
    "multi-arity": [["MULTI", "x"], ["EXEC"]],
    "multi-arity-inside-multi": [["MULTI"], ["MULTI", "x"], ["SET", "k", "v"], ["EXEC"], ["GET", "k"]],
    "exec-without-multi": [["EXEC"], ["EXEC", "x"]],
    "discard-without-multi": [["DISCARD"], ["DISCARD", "x"]],
    "discard": [["MULTI"], ["SET", "k", "v"], ["DISCARD"], ["GET", "k"], ["EXEC"], ["DISCARD"]],
    "exec-arity-inside-multi": [["MULTI"], ["SET", "k", "v"], ["EXEC", "x"], ["EXEC"], ["GET", "k"]],
    "discard-arity-inside-multi": [["MULTI"], ["SET", "k", "v"], ["DISCARD", "x"], ["EXEC"]],
    "watch-inside-multi": [["MULTI"], ["WATCH", "k"], ["SET", "k", "v"], ["EXEC"], ["GET", "k"]],
    "watch-arity": [["WATCH"], ["MULTI"], ["WATCH"], ["EXEC"]],
    "unwatch-inside-multi-is-queued": [["MULTI"], ["UNWATCH"], ["EXEC"]],
    "unwatch-arity": [["UNWATCH", "x"]],
    "unknown-command-aborts": [
        ["MULTI"], ["SET", "k", "v"], ["NOPE", "a"], ["GET", "k"], ["EXEC"], ["GET", "k"],
    ],
    "arity-error-aborts": [["MULTI"], ["SET", "k"], ["SET", "k", "v"], ["EXEC"], ["EXISTS", "k"]],
    "unknown-subcommand-aborts": [["MULTI"], ["CONFIG", "NOPE"], ["EXEC"]],
    "subcommand-arity-aborts": [["MULTI"], ["CLIENT", "SETNAME"], ["PING"], ["EXEC"]],
    "no-multi-command-aborts": [["MULTI"], ["SAVE"], ["PING"], ["EXEC"]],
    "abort-then-new-transaction": [
        ["MULTI"], ["NOPE"], ["EXEC"], ["MULTI"], ["SET", "k", "v"], ["EXEC"],
    ],
    "runtime-errors-per-command": [
        ["MULTI"], ["SET", "a", "x"], ["INCR", "a"], ["LPUSH", "a", "x"], ["SET", "b", "1", "NX", "XX"],
        ["GET", "a"], ["INCR", "b"], ["EXPIRE", "a", "abc"], ["EXEC"],
    ],
    "option-errors-come-at-exec": [
        ["MULTI"], ["SET", "k", "v", "BADOPT"], ["ZADD", "z", "nan", "m"], ["GETRANGE", "k", "a", "b"],
        ["EXEC"],
    ],
    "exec-reply-types": [
        ["MULTI"], ["SET", "s", "v"], ["HSET", "h", "f", "v"], ["HGETALL", "h"], ["SADD", "set", "a"],
        ["SMEMBERS", "set"], ["ZADD", "z", "1.5", "m"], ["ZSCORE", "z", "m"], ["GET", "missing"],
        ["LPOP", "missing"], ["PING"], ["ECHO", "x"], ["EXEC"],
    ],
    "select-inside-multi": [
        ["MULTI"], ["SELECT", "3"], ["SET", "k", "db3"], ["SELECT", "9"], ["EXEC"], ["GET", "k"],
        ["SELECT", "3"], ["GET", "k"], ["SELECT", "0"],
    ],
    "swapdb-and-flush-inside-multi": [
        ["SET", "k", "0"], ["MULTI"], ["SWAPDB", "0", "1"], ["GET", "k"], ["FLUSHALL"], ["DBSIZE"],
        ["EXEC"],
    ],
    "blocking-commands-do-not-block": [
        ["MULTI"], ["BLPOP", "q", "0"], ["BRPOP", "q", "0"], ["BRPOPLPUSH", "q", "d", "0"],
        ["BLMOVE", "q", "d", "LEFT", "RIGHT", "0"], ["BLMPOP", "0", "1", "q", "LEFT"],
        ["BZPOPMIN", "z", "0"], ["BZPOPMAX", "z", "0"], ["BZMPOP", "0", "1", "z", "MIN"], ["EXEC"],
    ],
    "blocking-commands-serve-data": [
        ["RPUSH", "q", "a", "b"], ["ZADD", "z", "1", "m"], ["MULTI"], ["BLPOP", "q", "0"],
        ["BLMOVE", "q", "d", "LEFT", "RIGHT", "0"], ["BZPOPMIN", "z", "0"], ["BLPOP", "q", "0"], ["EXEC"],
    ],
    "blocking-command-errors-inside-exec": [
        ["SET", "s", "x"], ["MULTI"], ["BLPOP", "s", "0"], ["BLPOP", "q", "-1"], ["BLPOP", "q", "abc"],
        ["EXEC"],
    ],
    "monitor-inside-multi": [["MULTI"], ["MONITOR"], ["PING"], ["EXEC"], ["PING"]],
    "quit-inside-multi": [["MULTI"], ["SET", "k", "v"], ["QUIT"], ["PING"]],
    "reset-inside-multi": [["MULTI"], ["SET", "k", "v"], ["RESET"], ["EXEC"], ["GET", "k"]],
    "reset-clears-watch": [["WATCH", "k"], ["SET", "k", "v"], ["RESET"], ["MULTI"], ["GET", "k"], ["EXEC"]],
    "watch-own-write": [["WATCH", "k"], ["SET", "k", "v"], ["MULTI"], ["GET", "k"], ["EXEC"]],
    "watch-own-write-other-db": [
        ["WATCH", "k"], ["SELECT", "1"], ["SET", "k", "v"], ["SELECT", "0"], ["MULTI"], ["GET", "k"],
        ["EXEC"],
    ],
    "watch-untouched": [["SET", "k", "v"], ["WATCH", "k"], ["GET", "k"], ["MULTI"], ["GET", "k"], ["EXEC"]],
    "unwatch-forgets": [["WATCH", "k"], ["SET", "k", "v"], ["UNWATCH"], ["MULTI"], ["GET", "k"], ["EXEC"]],
    "watch-again-after-touch": [
        ["WATCH", "k"], ["SET", "k", "v"], ["WATCH", "j"], ["MULTI"], ["GET", "k"], ["EXEC"],
        ["MULTI"], ["GET", "k"], ["EXEC"],
    ],
    "watch-is-cleared-by-exec": [
        ["WATCH", "k"], ["MULTI"], ["GET", "k"], ["EXEC"], ["SET", "k", "v"], ["MULTI"], ["GET", "k"],
        ["EXEC"],
    ],
    "watch-is-cleared-by-discard": [
        ["WATCH", "k"], ["MULTI"], ["DISCARD"], ["SET", "k", "v"], ["MULTI"], ["GET", "k"], ["EXEC"],
    ],
    "watch-touched-then-queue-errors": [
        ["WATCH", "k"], ["SET", "k", "v"], ["MULTI"], ["NOPE"], ["EXEC"],
    ],
    "watch-many-keys-and-duplicates": [
        ["WATCH", "a", "b", "a"], ["WATCH", "b", "c"], ["SET", "c", "1"], ["MULTI"], ["PING"], ["EXEC"],
    ],
    "watch-flushdb": [["SET", "k", "v"], ["WATCH", "k"], ["FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"]],
    "watch-flushdb-missing-key": [["SET", "x", "v"], ["WATCH", "k"], ["FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"]],
    "watch-flushall": [["SET", "k", "v"], ["WATCH", "k"], ["FLUSHALL"], ["MULTI"], ["PING"], ["EXEC"]],
    "watch-swapdb": [
        ["SELECT", "1"], ["SET", "k", "v"], ["SELECT", "0"], ["WATCH", "k"], ["SWAPDB", "0", "1"],
        ["MULTI"], ["PING"], ["EXEC"], ["FLUSHALL"],
    ],
    "watch-swapdb-neither": [["WATCH", "k"], ["SWAPDB", "0", "1"], ["MULTI"], ["PING"], ["EXEC"]],
    "watch-del-missing-key": [["WATCH", "k"], ["DEL", "k"], ["MULTI"], ["PING"], ["EXEC"]],
    "watch-expire-past": [["SET", "k", "v"], ["WATCH", "k"], ["PEXPIRE", "k", "-1"], ["MULTI"], ["PING"], ["EXEC"]],
    "hello-inside-multi": [
        ["MULTI"], ["HSET", "h", "f", "v"], ["HGETALL", "h"], ["HELLO", "3"], ["HGETALL", "h"], ["EXEC"],
        ["HGETALL", "h"],
    ],
    "commands-run-at-once-inside-multi": [
        ["MULTI"], ["WATCH", "k"], ["MULTI"], ["DISCARD"], ["EXEC"],
    ],
    "client-info-flags-inside-multi": [["MULTI"], ["CLIENT", "GETNAME"], ["EXEC"]],
    "auth-inside-multi": [["MULTI"], ["AUTH", "x"], ["AUTH", "a", "b", "c"], ["EXEC"]],
}


_HELLO_ID = re.compile(rb"\$2\r\nid\r\n:[0-9]+\r\n")


def hello_id_in_exec(argv, raw: bytes) -> bytes:
    """EXEC's reply: the client id inside a HELLO reply (it differs per server)."""
    if argv[0].upper() != b"EXEC":
        return raw
    return _HELLO_ID.sub(b"$2\r\nid\r\n:<id>\r\n", raw)


@pytest.mark.parametrize("name", SCRIPTS)
def test_transactions(pair, name):
    pair.check(SCRIPTS[name], name=name, normalize=hello_id_in_exec)


@pytest.mark.parametrize("name", SCRIPTS)
def test_transactions_resp3(pair, name):
    pair.check(SCRIPTS[name], resp=3, name=name, normalize=hello_id_in_exec)


AUTH_SCRIPTS = {
    # NOAUTH is a rejection: MULTI itself needs authentication, so only a later password change
    # (not possible here) could queue a rejected command; these pin what can be seen.
    "multi-needs-auth": [["MULTI"], ["EXEC"], ["DISCARD"], ["WATCH", "k"]],
    "auth-then-transaction": [
        ["AUTH", "kvfake-secret"], ["MULTI"], ["SET", "k", "v"], ["AUTH", "wrong"], ["EXEC"],
    ],
}


@pytest.mark.parametrize("name", AUTH_SCRIPTS)
def test_transactions_requirepass(auth_pair, name):
    auth_pair.check(AUTH_SCRIPTS[name], name=name)


# =============================================================================== several connections
@pytest.fixture
def clients(redis_server, kvfake_server):
    made = []

    def make(n: int = 2, resp: int = 2) -> Clients:
        c = Clients((redis_server, kvfake_server), n, resp)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


# Another client writes between WATCH and EXEC: does the EXEC run?  (setup by client 0, WATCH k by
# client 0, the writes by client 1, then MULTI PING EXEC by client 0.)  Redis signals only real
# changes: SETBIT/PFADD/SADD... that change nothing leave the transaction alone.
TOUCHES = {
    "set": ([], [["SET", "k", "1"]]),
    "set-same-value": ([["SET", "k", "1"]], [["SET", "k", "1"]]),
    "set-nx-fails": ([["SET", "k", "1"]], [["SET", "k", "2", "NX"]]),
    "del": ([["SET", "k", "1"]], [["DEL", "k"]]),
    "del-missing": ([], [["DEL", "k"]]),
    "set-then-del": ([], [["SET", "k", "1"], ["DEL", "k"]]),
    "other-key": ([["SET", "k", "1"]], [["SET", "j", "1"]]),
    "same-key-other-db": ([["SET", "k", "1"]], [["SELECT", "1"], ["SET", "k", "1"]]),
    "incrby-0": ([["SET", "k", "1"]], [["INCRBY", "k", "0"]]),
    "append-empty": ([["SET", "k", "a"]], [["APPEND", "k", ""]]),
    "setrange-same": ([["SET", "k", "a"]], [["SETRANGE", "k", "0", "a"]]),
    "setrange-empty": ([["SET", "k", "a"]], [["SETRANGE", "k", "0", ""]]),
    "setrange-new-empty": ([], [["SETRANGE", "k", "0", ""]]),
    "getex-no-option": ([["SET", "k", "1"]], [["GETEX", "k"]]),
    "getex-persist-no-ttl": ([["SET", "k", "1"]], [["GETEX", "k", "PERSIST"]]),
    "get": ([["SET", "k", "1"]], [["GET", "k"]]),
    "touch": ([["SET", "k", "1"]], [["TOUCH", "k"]]),
    "object-encoding": ([["SET", "k", "1"]], [["OBJECT", "ENCODING", "k"]]),
    "expire": ([["SET", "k", "a"]], [["EXPIRE", "k", "100"]]),
    "expire-past": ([["SET", "k", "1"]], [["EXPIRE", "k", "-1"]]),
    "expire-gt-fails": ([["SET", "k", "1", "EX", "100"]], [["EXPIRE", "k", "10", "GT"]]),
    "persist-without-ttl": ([["SET", "k", "a"]], [["PERSIST", "k"]]),
    "persist": ([["SET", "k", "a", "EX", "100"]], [["PERSIST", "k"]]),
    "setbit-new-0": ([], [["SETBIT", "k", "0", "0"]]),
    "setbit-new-1": ([], [["SETBIT", "k", "0", "1"]]),
    "setbit-same": ([["SETBIT", "k", "0", "1"]], [["SETBIT", "k", "0", "1"]]),
    "setbit-grow-with-0": ([["SETBIT", "k", "0", "1"]], [["SETBIT", "k", "100", "0"]]),
    "bitfield-set-same": ([["SET", "k", "a"]], [["BITFIELD", "k", "SET", "u8", "0", "97"]]),
    "bitfield-get": ([["SET", "k", "a"]], [["BITFIELD", "k", "GET", "u8", "0"]]),
    "bitfield-new-set-0": ([], [["BITFIELD", "k", "SET", "u8", "0", "0"]]),
    # the key is created (one zero byte) but no field is written: no signal
    "bitfield-new-overflow-fail": ([], [["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "300"]]),
    "bitfield-new-overflow-fail-incrby": ([], [["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "8", "200"]]),
    "pfadd-no-change": ([["PFADD", "k", "a"]], [["PFADD", "k", "a"]]),
    "pfadd-new-empty": ([], [["PFADD", "k"]]),
    "pfcount-refreshes-cache": ([["PFADD", "k", "a", "b"]], [["PFCOUNT", "k"]]),
    "pfcount-cached": ([["PFADD", "k", "a", "b"], ["PFCOUNT", "k"]], [["PFCOUNT", "k"]]),
    "sadd-existing": ([["SADD", "k", "a"]], [["SADD", "k", "a"]]),
    "srem-missing": ([["SADD", "k", "a"]], [["SREM", "k", "b"]]),
    "spop-count-0": ([["SADD", "k", "a"]], [["SPOP", "k", "0"]]),
    "hset-same": ([["HSET", "k", "f", "v"]], [["HSET", "k", "f", "v"]]),
    "hincrbyfloat-0": ([["HSET", "k", "f", "1"]], [["HINCRBYFLOAT", "k", "f", "0"]]),
    "zadd-same": ([["ZADD", "k", "1", "m"]], [["ZADD", "k", "1", "m"]]),
    "zincrby-0": ([["ZADD", "k", "1", "m"]], [["ZINCRBY", "k", "0", "m"]]),
    "lpush": ([], [["LPUSH", "k", "a"]]),
    "ltrim-no-op": ([["RPUSH", "k", "a"]], [["LTRIM", "k", "0", "-1"]]),
    "lrem-none": ([["RPUSH", "k", "a"]], [["LREM", "k", "0", "b"]]),
    "lmove-to-itself": ([["RPUSH", "k", "a", "b"]], [["LMOVE", "k", "k", "LEFT", "RIGHT"]]),
    "rename-to-k": ([["SET", "src", "1"]], [["RENAME", "src", "k"]]),
    "rename-from-k": ([["SET", "k", "1"]], [["RENAME", "k", "dst"]]),
    "rename-to-itself": ([["SET", "k", "1"]], [["RENAME", "k", "k"]]),
    "move": ([["SET", "k", "1"]], [["MOVE", "k", "1"]]),
    "copy-to-k": ([["SET", "src", "1"]], [["COPY", "src", "k"]]),
    "flushdb": ([["SET", "k", "1"]], [["FLUSHDB"]]),
    "flushdb-missing-key": ([["SET", "x", "1"]], [["FLUSHDB"]]),
    "flushdb-other-db": ([["SET", "k", "1"]], [["SELECT", "1"], ["FLUSHDB"]]),
    "flushall": ([["SET", "k", "1"]], [["FLUSHALL"]]),
    "flushall-missing-key": ([], [["FLUSHALL"]]),
    "swapdb-key-here": ([["SET", "k", "1"]], [["SWAPDB", "0", "1"]]),
    "swapdb-key-there": ([], [["SELECT", "1"], ["SET", "k", "1"], ["SWAPDB", "0", "1"]]),
    "swapdb-key-on-both-sides": (
        [["SET", "k", "1"], ["SELECT", "1"], ["SET", "k", "1"], ["SELECT", "0"]], [["SWAPDB", "0", "1"]]),
    "swapdb-neither": ([], [["SWAPDB", "0", "1"]]),
    "swapdb-other-dbs": ([["SET", "k", "1"]], [["SWAPDB", "1", "2"]]),
    "exec-of-other-client": ([], [["MULTI"], ["SET", "k", "1"], ["EXEC"]]),
    "discarded-write-of-other-client": ([], [["MULTI"], ["SET", "k", "1"], ["DISCARD"]]),
}


@pytest.mark.parametrize("name", TOUCHES)
def test_watch_touched_by_another_client(clients, name):
    setup, writes = TOUCHES[name]
    steps = [(0, argv) for argv in setup] + [(0, ["WATCH", "k"])]
    steps += [(1, argv) for argv in writes]
    steps += [(0, ["MULTI"]), (0, ["PING"]), (0, ["EXEC"])]
    clients().run(steps)


TWO_CLIENT_SCRIPTS = {
    "resp3-null-exec": [(0, ["WATCH", "k"]), (1, ["SET", "k", "1"]), (0, ["MULTI"]), (0, ["GET", "k"]),
                        (0, ["EXEC"])],
    "watch-then-other-watch-and-exec": [
        (0, ["WATCH", "k"]), (1, ["WATCH", "k"]), (1, ["MULTI"]), (1, ["SET", "k", "1"]), (1, ["EXEC"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "touched-while-queueing": [
        (0, ["WATCH", "k"]), (0, ["MULTI"]), (0, ["INCR", "k"]), (1, ["SET", "k", "5"]), (0, ["INCR", "k"]),
        (0, ["EXEC"]), (1, ["GET", "k"]),
    ],
    "exec-serves-a-blocked-client": [
        ("send", 1, ["BLPOP", "q", "0"]), ("sleep", 0.05), (0, ["MULTI"]), (0, ["RPUSH", "q", "a", "b"]),
        (0, ["LLEN", "q"]), (0, ["EXEC"]), ("read", 1), (0, ["LRANGE", "q", "0", "-1"]),
    ],
    "exec-push-then-pop-leaves-nothing": [
        ("send", 1, ["BLPOP", "q", "0"]), ("sleep", 0.05), (0, ["MULTI"]), (0, ["RPUSH", "q", "a"]),
        (0, ["LPOP", "q"]), (0, ["EXEC"]), (0, ["RPUSH", "q", "b"]), ("read", 1),
    ],
    "watch-survives-a-read-by-another-client": [
        (0, ["SET", "k", "1"]), (0, ["WATCH", "k"]), (1, ["GET", "k"]), (1, ["EXISTS", "k"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "disconnect-of-a-watcher-leaves-others-alone": [
        (0, ["WATCH", "k"]), (1, ["WATCH", "k"]), (1, ["QUIT"]), (0, ["MULTI"]), (0, ["PING"]),
        (0, ["EXEC"]),
    ],
}


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("name", TWO_CLIENT_SCRIPTS)
def test_two_clients(clients, name, resp):
    clients(2, resp).run(TWO_CLIENT_SCRIPTS[name])


# Keys that expire around WATCH, in real time (redis 7.0: a key live when WATCHed that has expired
# by EXEC aborts it even if nobody deleted it; a key already expired when WATCHed does not).
EXPIRY_SCRIPTS = {
    "expires-between-watch-and-exec": [
        (0, ["SET", "k", "v", "PX", "100"]), (0, ["WATCH", "k"]), ("sleep", 0.15),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "expires-and-is-read-by-another-client": [
        (0, ["SET", "k", "v", "PX", "100"]), (0, ["WATCH", "k"]), ("sleep", 0.15), (1, ["GET", "k"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "already-expired-when-watched": [
        (0, ["SET", "k", "v", "PX", "20"]), ("sleep", 0.05), (0, ["WATCH", "k"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "already-expired-then-read-by-another-client": [
        (0, ["SET", "k", "v", "PX", "20"]), ("sleep", 0.05), (0, ["WATCH", "k"]), (1, ["GET", "k"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "already-expired-then-set-by-another-client": [
        (0, ["SET", "k", "v", "PX", "20"]), ("sleep", 0.05), (0, ["WATCH", "k"]), (1, ["SET", "k", "w"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "already-expired-then-flushed": [
        (0, ["SET", "k", "v", "PX", "20"]), ("sleep", 0.05), (0, ["WATCH", "k"]), (1, ["FLUSHALL"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
    "ttl-set-after-watch": [
        (0, ["SET", "k", "v"]), (0, ["WATCH", "k"]), (1, ["PEXPIRE", "k", "100000"]),
        (0, ["MULTI"]), (0, ["GET", "k"]), (0, ["EXEC"]),
    ],
}


@pytest.mark.parametrize("name", EXPIRY_SCRIPTS)
def test_watch_and_expiry(clients, name):
    clients().run(EXPIRY_SCRIPTS[name])
