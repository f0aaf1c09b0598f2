"""Transactions through the in-process harness: MULTI EXEC DISCARD WATCH UNWATCH.

Texts are redis-server 7.0.15's (tests/differential/test_transactions.py compares them with the
real server). Here: the queue and its flags, what touches a WATCHed key (another client, expiry on
the manual clock, FLUSHDB/FLUSHALL/SWAPDB, writes through the Python Store API), blocking commands
inside EXEC, blocked clients served after EXEC, RESET and disconnect cleanup, statistics. At the end
a few end-to-end tests drive redis-py's ``pipeline(transaction=True)`` with WATCH retry loops.
"""

from __future__ import annotations

import threading
import time

import pytest

from kvfake.commands import transactions
from tests.support.resp import NIL, NIL_ARRAY, OK, QUEUED, array, bulk, error, integer, simple

EXECABORT = error("EXECABORT Transaction discarded because of previous errors.")


def run(client, *commands) -> list:
    return [client.do(*c) for c in commands]


def exec_runs(h) -> bool:
    """MULTI PING EXEC: True if the EXEC ran, False if it answered null (a WATCHed key was touched)."""
    h.do(b"MULTI")
    h.do(b"PING")
    reply = h.do(b"EXEC")
    assert reply in (array(simple("PONG")), NIL_ARRAY, b"_\r\n"), reply
    return reply == array(simple("PONG"))


# -- MULTI / EXEC / DISCARD ----------------------------------------------------------------------


def test_multi_queues_and_exec_runs_in_order(h):
    assert run(h, (b"MULTI",), (b"SET", b"k", b"v"), (b"GET", b"k"), (b"INCR", b"n")) == [OK, QUEUED, QUEUED, QUEUED]
    assert h.store.get(0, "k") is None  # nothing ran yet
    assert h.do(b"EXEC") == array(OK, bulk(b"v"), integer(1))
    assert h.session.multi is None


def test_exec_of_an_empty_transaction(h):
    h.do(b"MULTI")
    assert h.do(b"EXEC") == array()


def test_multi_cannot_be_nested_and_the_transaction_survives(h):
    h.do(b"MULTI")
    assert h.do(b"MULTI") == error("ERR MULTI calls can not be nested")
    h.do(b"SET", b"k", b"v")
    assert h.do(b"EXEC") == array(OK)


@pytest.mark.parametrize("command, text", [
    (b"EXEC", "ERR EXEC without MULTI"),
    (b"DISCARD", "ERR DISCARD without MULTI"),
], ids=["exec", "discard"])
def test_exec_and_discard_without_multi(h, command, text):
    assert h.do(command) == error(text)


def test_discard_drops_the_queue(h):
    run(h, (b"MULTI",), (b"SET", b"k", b"v"))
    assert h.do(b"DISCARD") == OK
    assert h.do(b"GET", b"k") == NIL
    assert h.do(b"EXEC") == error("ERR EXEC without MULTI")


QUEUE_TIME_ERRORS = [
    ("unknown-command", (b"NOPE", b"a"), "ERR unknown command 'NOPE', with args beginning with: 'a' "),
    ("arity", (b"GET",), "ERR wrong number of arguments for 'get' command"),
    ("unknown-subcommand", (b"CONFIG", b"NOPE"), "ERR unknown subcommand 'NOPE'. Try CONFIG HELP."),
    ("not-allowed-in-multi", (b"SAVE",), "ERR Command not allowed inside a transaction"),
]


@pytest.mark.parametrize("name, command, text", QUEUE_TIME_ERRORS, ids=[c[0] for c in QUEUE_TIME_ERRORS])
def test_queue_time_error_aborts_exec(h, name, command, text):
    run(h, (b"MULTI",), (b"SET", b"k", b"v"))
    assert h.do(*command) == error(text)
    assert h.do(b"SET", b"j", b"v") == QUEUED
    assert h.do(b"EXEC") == EXECABORT
    assert h.store.keys(0) == []
    assert h.session.multi is None and not h.session.multi_error


def test_a_doomed_transaction_queues_nothing(h):
    run(h, (b"MULTI",), (b"NOPE",), (b"SET", b"k", b"v"))
    assert h.session.multi == []
    assert h.do(b"EXEC") == EXECABORT


def test_runtime_errors_are_reported_per_command_and_the_rest_runs(h):
    run(h, (b"MULTI",), (b"SET", b"a", b"x"), (b"INCR", b"a"), (b"LPUSH", b"a", b"x"), (b"SET", b"b", b"1"))
    assert h.do(b"EXEC") == array(
        OK,
        error("ERR value is not an integer or out of range"),
        error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        OK,
    )
    assert h.store.get(0, "b") == b"1"


def test_exec_rejected_by_arity_discards_the_transaction(h):
    run(h, (b"MULTI",), (b"SET", b"k", b"v"))
    assert h.do(b"EXEC", b"x") == error(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
    assert h.session.multi is None
    assert h.do(b"EXEC") == error("ERR EXEC without MULTI")


def test_exec_rejected_by_noauth_is_an_execabort(harness_factory):
    h = harness_factory(requirepass=b"pw")
    assert h.do(b"EXEC") == error("EXECABORT Transaction discarded because of: NOAUTH Authentication required.")


def test_commands_run_at_once_inside_multi(h):
    h.do(b"MULTI")
    assert h.do(b"WATCH", b"k") == error("ERR WATCH inside MULTI is not allowed")
    assert h.do(b"UNWATCH") == QUEUED  # not in Redis's list: queued
    assert h.do(b"EXEC") == array(OK)


def test_reset_leaves_multi_and_forgets_watches(h):
    h.do(b"WATCH", b"k")
    run(h, (b"MULTI",), (b"SET", b"k", b"v"))
    assert h.do(b"RESET") == simple("RESET")
    assert h.session.multi is None and h.session.watched == {}
    assert h.store.watchers == {}
    assert h.do(b"GET", b"k") == NIL


def test_select_inside_exec_moves_the_following_commands(h):
    run(h, (b"MULTI",), (b"SELECT", b"3"), (b"SET", b"k", b"v"))
    assert h.do(b"EXEC") == array(OK, OK)
    assert h.store.get(3, "k") == b"v" and h.session.db == 3


def test_hello_inside_exec_keeps_earlier_replies_in_the_old_protocol(h):
    h.store.set(0, "h", {"f": "v"})
    run(h, (b"MULTI",), (b"HGETALL", b"h"), (b"HELLO", b"3"), (b"HGETALL", b"h"))
    reply = h.do(b"EXEC")
    assert reply.startswith(b"*3\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n%7\r\n")
    assert reply.endswith(b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n")


def test_exec_null_in_resp3(h):
    h.do(b"HELLO", b"3")
    h.do(b"WATCH", b"k")
    h.store.set(0, "k", "v")
    run(h, (b"MULTI",), (b"GET", b"k"))
    assert h.do(b"EXEC") == b"_\r\n"


def test_client_list_shows_multi_and_dirty_flags(h):
    other = h.new_client()
    h.do(b"WATCH", b"k")
    run(h, (b"MULTI",), (b"GET", b"k"), (b"GET", b"j"))
    line = other.do(b"CLIENT", b"LIST", b"ID", str(h.session.id).encode())
    assert b" flags=x " in line and b" multi=2 " in line
    other.do(b"SET", b"k", b"v")
    line = other.do(b"CLIENT", b"LIST", b"ID", str(h.session.id).encode())
    assert b" flags=xd " in line
    assert b" multi=-1 " in other.do(b"CLIENT", b"INFO")


# -- WATCH -----------------------------------------------------------------------------------------


def test_watch_untouched_key_lets_exec_run(h):
    h.do(b"SET", b"k", b"v")
    h.do(b"WATCH", b"k")
    h.new_client().do(b"GET", b"k")
    assert exec_runs(h)


def test_watch_touched_by_another_client(h):
    h.do(b"WATCH", b"k")
    h.new_client().do(b"SET", b"k", b"v")
    assert not exec_runs(h)


def test_watch_is_per_database(h):
    h.do(b"WATCH", b"k")
    other = h.new_client()
    run(other, (b"SELECT", b"1"), (b"SET", b"k", b"v"))
    assert exec_runs(h)


def test_watch_after_select_watches_that_database(h):
    run(h, (b"SELECT", b"2"), (b"WATCH", b"k"), (b"SELECT", b"0"))
    h.store.set(2, "k", "v")
    assert not exec_runs(h)


def test_exec_unwatches(h):
    h.do(b"WATCH", b"k")
    assert exec_runs(h)
    assert h.store.watchers == {}
    h.store.set(0, "k", "v")
    assert exec_runs(h)


def test_unwatch_clears_a_touched_watch(h):
    h.do(b"WATCH", b"k")
    h.store.set(0, "k", "v")
    assert h.session.dirty_cas
    assert h.do(b"UNWATCH") == OK
    assert exec_runs(h)


def test_watch_after_touch_adds_nothing(h):
    h.do(b"WATCH", b"k")
    h.store.set(0, "k", "v")
    h.do(b"WATCH", b"j")
    assert (0, b"j") not in h.store.watchers
    assert not exec_runs(h)


def test_watch_same_key_twice_registers_once(h):
    h.do(b"WATCH", b"k", b"k")
    h.do(b"WATCH", b"k")
    assert len(h.store.watchers[(0, b"k")]) == 1
    assert len(h.session.watched) == 1


def test_two_clients_watch_the_same_key(h):
    other = h.new_client()
    h.do(b"WATCH", b"k")
    other.do(b"WATCH", b"k")
    run(other, (b"MULTI",), (b"SET", b"k", b"1"))
    assert other.do(b"EXEC") == array(OK)
    assert not exec_runs(h)


def test_touch_while_queueing_aborts(h):
    h.do(b"WATCH", b"k")
    run(h, (b"MULTI",), (b"INCR", b"k"))
    h.new_client().do(b"SET", b"k", b"5")
    assert h.do(b"INCR", b"k") == QUEUED
    assert h.do(b"EXEC") == NIL_ARRAY
    assert h.store.get(0, "k") == b"5"


STORE_API_WRITES = [
    ("set", lambda s: s.set(0, "k", "v")),
    ("delete", lambda s: s.delete(0, "k")),
    ("expire", lambda s: s.expire(0, "k", 100)),
    ("persist", lambda s: s.persist(0, "k")),
    ("rpush", lambda s: s.delete(0, "k") or s.rpush(0, "k", "a")),
    ("zadd", lambda s: s.delete(0, "k") or s.zadd(0, "k", {"m": 1})),
    ("flushdb", lambda s: s.flushdb(0)),
    ("flushall", lambda s: s.flushall()),
]


@pytest.mark.parametrize("name, write", STORE_API_WRITES, ids=[w[0] for w in STORE_API_WRITES])
def test_watch_touched_by_the_store_api(h, name, write):
    h.store.set(0, "k", "old", ttl=1000)
    h.do(b"WATCH", b"k")
    write(h.store)
    assert not exec_runs(h)


def test_store_api_reads_do_not_touch(h):
    h.store.set(0, "k", "v")
    h.do(b"WATCH", b"k")
    h.store.get(0, "k"), h.store.exists(0, "k"), h.store.ttl(0, "k"), h.store.keys(0)
    assert h.store.persist(0, "k") is False  # no TTL: nothing changes
    assert exec_runs(h)


def test_store_api_write_from_another_thread(h):
    h.do(b"WATCH", b"k")
    t = threading.Thread(target=h.store.set, args=(0, "k", "v"))
    t.start()
    t.join()
    assert not exec_runs(h)


FLUSHES = [
    ("flushdb", [(b"FLUSHDB",)], True),
    ("flushdb-other-db", [(b"SELECT", b"1"), (b"FLUSHDB",)], False),
    ("flushall", [(b"FLUSHALL",)], True),
    ("swapdb", [(b"SWAPDB", b"0", b"1")], True),
    ("swapdb-other-dbs", [(b"SWAPDB", b"1", b"2")], False),
]


@pytest.mark.parametrize("name, commands, touched", FLUSHES, ids=[f[0] for f in FLUSHES])
def test_flushes_touch_existing_watched_keys(h, name, commands, touched):
    h.do(b"SET", b"k", b"v")
    h.do(b"WATCH", b"k", b"missing")
    run(h.new_client(), *commands)
    assert exec_runs(h) is not touched


def test_flush_of_missing_watched_key_does_not_touch(h):
    h.do(b"SET", b"other", b"v")
    h.do(b"WATCH", b"k")
    h.new_client().do(b"FLUSHALL")
    assert exec_runs(h)


def test_swapdb_bringing_the_key_in_touches(h):
    h.store.set(1, "k", "v")
    h.do(b"WATCH", b"k")
    h.new_client().do(b"SWAPDB", b"0", b"1")
    assert not exec_runs(h)


# -- WATCH and expiry (redis 7.0 rules, on the manual clock) ---------------------------------------


def test_key_expiring_between_watch_and_exec_aborts(h):
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.do(b"WATCH", b"k")
    h.clock.advance(0.2)
    h.store.active_expire_enabled = False
    assert not exec_runs(h)


def test_key_expiring_and_swept_before_exec_aborts(h):
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.do(b"WATCH", b"k")
    h.clock.advance(0.2)
    h.store.active_expire_step()
    assert b"k" not in h.store.dbs[0].data
    assert not exec_runs(h)


def test_key_already_expired_when_watched_does_not_abort(h):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    assert h.session.watched[(0, b"k")].expired
    assert b"k" in h.store.dbs[0].data  # WATCH does not expire it
    assert exec_runs(h)


@pytest.mark.parametrize("command", [(b"GET", b"k"), (b"EXISTS", b"k"), (b"DEL", b"k")], ids=["get", "exists", "del"])
def test_already_expired_key_deleted_later_is_no_change(h, command):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    h.new_client().do(*command)
    assert exec_runs(h)


def test_already_expired_key_swept_later_is_no_change(h):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    h.store.active_expire_enabled = True
    h.store.active_expire_step()
    assert exec_runs(h)


@pytest.mark.parametrize("command", [(b"SET", b"k", b"new"), (b"LPUSH", b"k", b"a"), (b"INCR", b"k")],
                         ids=["set", "lpush", "incr"])
def test_already_expired_key_given_a_new_value_aborts(h, command):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    h.new_client().do(*command)
    assert not exec_runs(h)


def test_already_expired_key_then_flushed_then_set_aborts(h):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    other = h.new_client()
    other.do(b"FLUSHALL")
    assert not h.session.dirty_cas  # the flush alone is no change
    other.do(b"SET", b"k", b"v")
    assert not exec_runs(h)


def test_already_expired_key_replaced_by_swapdb(h):
    h.store.active_expire_enabled = False
    h.do(b"SET", b"k", b"v", b"PX", b"100")
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    h.store.set(1, "k", "live")
    h.new_client().do(b"SWAPDB", b"0", b"1")
    assert not exec_runs(h)


def test_missing_key_replaced_by_an_expired_one_through_swapdb(h):
    h.store.active_expire_enabled = False
    run(h, (b"SELECT", b"1"), (b"SET", b"k", b"v", b"PX", b"100"), (b"SELECT", b"0"))
    h.clock.advance(0.2)
    h.do(b"WATCH", b"k")
    h.new_client().do(b"SWAPDB", b"0", b"1")
    assert h.session.watched[(0, b"k")].expired
    assert exec_runs(h)


# -- blocking commands and EXEC --------------------------------------------------------------------


BLOCKING = [
    ("blpop", (b"BLPOP", b"q", b"0"), NIL_ARRAY),
    ("brpop", (b"BRPOP", b"q", b"0"), NIL_ARRAY),
    ("brpoplpush", (b"BRPOPLPUSH", b"q", b"d", b"0"), NIL),
    ("blmove", (b"BLMOVE", b"q", b"d", b"LEFT", b"RIGHT", b"0"), NIL),
    ("blmpop", (b"BLMPOP", b"0", b"1", b"q", b"LEFT"), NIL_ARRAY),
    ("bzpopmin", (b"BZPOPMIN", b"z", b"0"), NIL_ARRAY),
    ("bzmpop", (b"BZMPOP", b"0", b"1", b"z", b"MIN"), NIL_ARRAY),
]


@pytest.mark.parametrize("name, command, reply", BLOCKING, ids=[b[0] for b in BLOCKING])
def test_blocking_commands_inside_exec_do_not_block(h, name, command, reply):
    run(h, (b"MULTI",), command)
    assert h.do(b"EXEC") == array(reply)
    assert not h.session.in_exec and not h.session.blocked


def test_in_exec_is_set_only_while_exec_runs(h):
    seen = []
    h.dispatcher.observers.append(lambda ctx, args, reply: seen.append(ctx.session.in_exec))
    run(h, (b"MULTI",), (b"PING",), (b"EXEC",), (b"PING",))
    assert seen == [False, False, False, False]
    assert not h.session.in_exec


def test_exec_serves_a_blocked_client_after_the_whole_transaction(h):
    waiter = h.new_client()
    waiter.run(b"BLPOP", b"q", b"0")
    run(h, (b"MULTI",), (b"RPUSH", b"q", b"a", b"b"), (b"LLEN", b"q"))
    assert waiter.take() == b""
    assert h.do(b"EXEC") == array(integer(2), integer(2))  # LLEN saw both: nobody served mid-EXEC
    assert waiter.take() == array(bulk(b"q"), bulk(b"a"))
    assert h.do(b"LRANGE", b"q", b"0", b"-1") == array(bulk(b"b"))


def test_exec_that_pushes_and_pops_serves_nobody(h):
    waiter = h.new_client()
    waiter.run(b"BLPOP", b"q", b"0")
    run(h, (b"MULTI",), (b"RPUSH", b"q", b"a"), (b"LPOP", b"q"))
    assert h.do(b"EXEC") == array(integer(1), bulk(b"a"))
    assert waiter.take() == b""
    assert waiter.session.blocked


# -- disconnect, statistics ------------------------------------------------------------------------


def test_disconnect_forgets_watches_and_the_queue(h):
    other = h.new_client()
    other.do(b"WATCH", b"a", b"b")
    run(other, (b"MULTI",), (b"SET", b"a", b"1"))
    h.dispatcher.on_disconnect(other.ctx)
    assert h.store.watchers == {}
    assert other.session.multi is None


def test_watched_key_objects_follow_the_store_protocol(h):
    h.do(b"WATCH", b"k")
    (watcher,) = h.store.watchers[(0, b"k")]
    assert isinstance(watcher, transactions.WatchedKey)
    assert watcher.dirty is False
    h.store.set(0, "k", "v")
    assert watcher.dirty is True


def test_commandstats_count_the_commands_exec_ran(h):
    h.do(b"CONFIG", b"RESETSTAT")
    run(h, (b"MULTI",), (b"SET", b"a", b"1"), (b"LPUSH", b"a", b"x"), (b"EXEC",))
    run(h, (b"MULTI",), (b"SET", b"a"), (b"EXEC",))
    stats = h.do(b"INFO", b"commandstats")
    assert b"cmdstat_lpush:calls=1," in stats and b"failed_calls=1" in stats
    assert b"cmdstat_exec:calls=2," in stats
    assert b"cmdstat_set:calls=1," in stats and b"rejected_calls=1," in stats
    errors = h.do(b"INFO", b"errorstats")
    assert b"errorstat_EXECABORT:count=1" in errors and b"errorstat_WRONGTYPE:count=1" in errors


# -- redis-py end to end ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pipeline_transaction(kvfake_server, protocol):
    redis = pytest.importorskip("redis")
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        with r.pipeline(transaction=True) as pipe:
            pipe.set("k", "v").incr("n").get("k").hset("h", "f", "v").hgetall("h")
            assert pipe.execute() == [True, 1, b"v", 1, {b"f": b"v"}]
        with r.pipeline(transaction=True) as pipe:
            pipe.set("s", "x").incr("s").get("s")
            results = pipe.execute(raise_on_error=False)
        assert results[0] is True and results[2] == b"x"
        assert isinstance(results[1], redis.ResponseError)
    finally:
        r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_watch_raises_when_touched(kvfake_server, protocol):
    redis = pytest.importorskip("redis")
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            r.set("k", "changed")
            pipe.multi()
            pipe.set("k", "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert r.get("k") == b"changed"
    finally:
        r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_watch_retry_loops_contend(kvfake_server, protocol):
    """Two threads increment one counter with WATCH/GET/MULTI/SET/EXEC: no update is lost."""
    redis = pytest.importorskip("redis")
    rounds = 150
    retries = []
    errors = []

    def worker() -> None:
        r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
        try:
            for _ in range(rounds):
                with r.pipeline(transaction=True) as pipe:
                    while True:
                        try:
                            pipe.watch("counter")
                            value = int(pipe.get("counter") or 0)
                            time.sleep(0)  # let the other thread in between GET and EXEC
                            pipe.multi()
                            pipe.set("counter", value + 1)
                            pipe.execute()
                            break
                        except redis.WatchError:
                            retries.append(1)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            r.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert kvfake_server.store.get(0, "counter") == str(2 * rounds).encode()


def test_redis_py_transaction_helper(kvfake_server):
    redis = pytest.importorskip("redis")
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port)
    try:
        r.set("balance", 10)
        calls = []

        def debit(pipe) -> None:
            calls.append(1)
            balance = int(pipe.get("balance"))
            if len(calls) == 1:
                r.set("balance", 20)  # another client moves it under our feet: retried
            pipe.multi()
            pipe.set("balance", balance - 3)

        r.transaction(debit, "balance")
        assert len(calls) == 2 and r.get("balance") == b"17"
    finally:
        r.close()
