"""Wire-level fault injection (server.faults), restart and custom commands, through real clients.

Raw sockets (tests.support.raw) where the exact bytes or the moment of the close matter; redis-py
(sync, and asyncio through ``asyncio.run``) to show what a real client sees.  No test sleeps to
wait for the server: ``rule.wait()`` says when a rule acted, and delays are ended early by
removing their rule.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from kvfake import CommandError, KvfakeError, Server
from kvfake import faults as F
from kvfake.protocol.replies import OK, SimpleString
from tests.support.raw import RawConnection
from tests.support.resp import NIL, PONG, array, bulk, error, integer, simple


@pytest.fixture
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, srv.errors


def raw(server) -> RawConnection:
    return RawConnection(server.host, server.port)


def client(server, protocol=2, **kwargs) -> redis.Redis:
    """A redis-py client that does not retry (unless told otherwise)."""
    kwargs.setdefault("retry", Retry(NoBackoff(), 0))
    return redis.Redis(host=server.host, port=server.port, protocol=protocol, **kwargs)


# -- error texts: the convenience helpers send Redis 7.0.15's exact bytes ----------------------------------

CONVENIENCE = [
    ("loading", b"-LOADING Redis is loading the dataset in memory\r\n"),
    ("readonly", b"-READONLY You can't write against a read only replica.\r\n"),
    ("busy", b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"),
    ("oom", b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"),
    ("masterdown", b"-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"),
]


@pytest.mark.parametrize("helper,expected", CONVENIENCE, ids=[c[0] for c in CONVENIENCE])
def test_convenience_errors_send_redis_texts(server, helper, expected):
    with getattr(server.faults, helper)("SET"), raw(server) as conn:
        assert conn.call("SET", "k", "v") == expected
        assert conn.call("GET", "k") == NIL  # the command did not run


def test_moved_uses_the_first_keys_real_slot(server):
    # slots as CLUSTER KEYSLOT of redis-server 7.0.15 gives them: foo 12182, a 15495, {foo}x 12182
    with server.faults.moved("GET", host="10.0.0.7", port=7001), raw(server) as conn:
        assert conn.call("GET", "foo") == error("MOVED 12182 10.0.0.7:7001")
        assert conn.call("GET", "a") == error("MOVED 15495 10.0.0.7:7001")
        assert conn.call("GET", "{foo}x") == error("MOVED 12182 10.0.0.7:7001")


def test_moved_and_ask_with_an_explicit_slot(server):
    with raw(server) as conn:
        with server.faults.moved("GET", slot=3999, port=6381):
            assert conn.call("GET", "k") == error("MOVED 3999 127.0.0.1:6381")
        with server.faults.ask("GET", slot=7, port=6382):
            assert conn.call("GET", "k") == error("ASK 7 127.0.0.1:6382")


@pytest.mark.parametrize("key,slot", [(b"foo", 12182), (b"a", 15495), (b"b", 3300), (b"{foo}bar", 12182),
                                      (b"{}foo", F.key_slot(b"{}foo")), (b"", 0)],
                         ids=["foo", "a", "b", "hash-tag", "empty-tag", "empty"])
def test_key_slot(key, slot):
    assert F.key_slot(key) == slot


def test_key_slot_empty_tag_hashes_the_whole_key():
    assert F.key_slot(b"{}foo") == F._crc16(b"{}foo") & 16383 != F.key_slot(b"foo")


def test_error_text_can_be_computed_from_the_arguments(server):
    with server.faults.error("GET", lambda args: f"ERR no {args[1].decode()}"), raw(server) as conn:
        assert conn.call("GET", "x") == error("ERR no x")


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("helper,exc", [
    ("loading", redis.exceptions.BusyLoadingError),
    ("readonly", redis.exceptions.ReadOnlyError),
    ("oom", redis.exceptions.OutOfMemoryError),
    ("masterdown", redis.exceptions.MasterDownError),
    ("moved", redis.exceptions.MovedError),
], ids=["loading", "readonly", "oom", "masterdown", "moved"])
def test_redis_py_maps_each_error_to_its_exception(server, protocol, helper, exc):
    r = client(server, protocol)
    with getattr(server.faults, helper)("SET"):
        with pytest.raises(exc):
            r.set("k", "v")
    assert r.set("k", "v") is True
    r.close()


# -- the error action ------------------------------------------------------------------------------------


def test_error_does_not_run_the_command_unless_asked(server):
    with raw(server) as conn:
        with server.faults.error("SET", "ERR nope"):
            assert conn.call("SET", "a", "1") == error("ERR nope")
        with server.faults.error("SET", "ERR applied anyway", execute=True):
            assert conn.call("SET", "b", "1") == error("ERR applied anyway")
        assert conn.call("MGET", "a", "b") == array(NIL, bulk(b"1"))


def test_error_reply_follows_the_protocol_of_the_client(server):
    with server.faults.error("PING", "LOADING x"), raw(server) as conn:
        conn.call("HELLO", "3")
        assert conn.call("PING") == error("LOADING x")


def test_faulted_command_is_in_the_journal_with_the_error(server):
    with server.faults.loading("GET"), raw(server) as conn:
        conn.call("GET", "k")
    entry = server.journal.last("GET")
    assert entry.args == (b"GET", b"k") or list(entry.args) == [b"GET", b"k"]
    assert entry.error == F.LOADING


# -- matching --------------------------------------------------------------------------------------------

COMMAND_NAMES = [
    ("upper", "GET", [b"get", b"k"], True),
    ("lower", "get", [b"GET", b"k"], True),
    ("other", "GET", [b"SET", b"k", b"v"], False),
    ("sub-space", "CLIENT SETNAME", [b"client", b"setname", b"x"], True),
    ("sub-bar", "client|setname", [b"CLIENT", b"SETNAME", b"x"], True),
    ("sub-other", "CLIENT SETNAME", [b"CLIENT", b"ID"], False),
    ("container-any-sub", "CLIENT", [b"CLIENT", b"ID"], True),
    ("none", None, [b"PING"], True),
    ("star", "*", [b"PING"], True),
]


@pytest.mark.parametrize("name,args,hit", [c[1:] for c in COMMAND_NAMES], ids=[c[0] for c in COMMAND_NAMES])
def test_match_command_name(server, name, args, hit):
    with server.faults.error(name, "ERR faulted"), raw(server) as conn:
        reply = conn.call(*args)
        assert (reply == error("ERR faulted")) is hit


def test_match_key_glob(server):
    with server.faults.error("GET", "ERR faulted", key="user:[0-9]*"), raw(server) as conn:
        assert conn.call("GET", "user:42") == error("ERR faulted")
        assert conn.call("GET", "user:x") == NIL
        assert conn.call("GET", "session:1") == NIL


def test_match_key_needs_an_argument(server):
    with server.faults.error(None, "ERR faulted", key="*"), raw(server) as conn:
        assert conn.call("PING") == PONG
        assert conn.call("ECHO", "x") == error("ERR faulted")


def test_match_args_globs_positionally(server):
    with server.faults.error("SET", "ERR faulted", args=("k*", "*", "[Nn][Xx]")), raw(server) as conn:
        assert conn.call("SET", "k1", "v", "NX") == error("ERR faulted")
        assert conn.call("SET", "k1", "v", "nx", "GET") == error("ERR faulted")  # extra args are fine
        assert conn.call("SET", "k1", "v") == simple("OK")  # too few args
        assert conn.call("SET", "x", "v", "NX") == simple("OK")


def test_match_client_by_id_and_by_name(server):
    with raw(server) as a, raw(server) as b:
        a_id = int(a.call("CLIENT", "ID")[1:-2])
        b.call("CLIENT", "SETNAME", "worker-7")
        with server.faults.error("PING", "ERR by id", client=a_id):
            assert a.call("PING") == error("ERR by id")
            assert b.call("PING") == PONG
        with server.faults.error("PING", "ERR by name", client="worker-*"):
            assert a.call("PING") == PONG  # unnamed clients never match a name
            assert b.call("PING") == error("ERR by name")


def test_match_client_name_through_redis_py(server):
    named, other = client(server, client_name="app"), client(server)
    with server.faults.readonly("SET", client="app"):
        with pytest.raises(redis.exceptions.ReadOnlyError):
            named.set("k", "v")
        assert other.set("k", "v") is True
    named.close(), other.close()


def test_match_db(server):
    with server.faults.error("GET", "ERR faulted", db=3), raw(server) as conn:
        assert conn.call("GET", "k") == NIL
        conn.call("SELECT", "3")
        assert conn.call("GET", "k") == error("ERR faulted")


def test_match_where_predicate(server):
    with server.faults.error("MSET", "ERR big", where=lambda args: len(args) > 5), raw(server) as conn:
        assert conn.call("MSET", "a", "1", "b", "2") == simple("OK")
        assert conn.call("MSET", "a", "1", "b", "2", "c", "3") == error("ERR big")


# (id, options, which of 5 calls act, calls counted before the rule retires itself)
WHICH_CALLS = [
    ("every", {}, [True] * 5, 5),
    ("nth", {"nth": 3}, [False, False, True, False, False], 3),
    ("times", {"times": 2}, [True, True, False, False, False], 2),
    ("nth-and-times", {"nth": 2, "times": 2}, [False, True, True, False, False], 3),
]


@pytest.mark.parametrize("which,expected,seen", [c[1:] for c in WHICH_CALLS], ids=[c[0] for c in WHICH_CALLS])
def test_which_calls_act(server, which, expected, seen):
    rule = server.faults.error("PING", "ERR faulted", **which)
    with raw(server) as conn:
        got = [conn.call("PING") == error("ERR faulted") for _ in expected]
    assert got == expected
    assert (rule.hits, rule.seen) == (sum(expected), seen)
    assert rule.active is (which == {})  # a rule whose times are used up removes itself
    assert server.faults.armed is rule.active
    rule.remove()


def test_only_matching_calls_are_counted(server):
    with server.faults.error("GET", "ERR faulted", nth=2) as rule, raw(server) as conn:
        assert conn.call("GET", "a") == NIL
        assert conn.call("SET", "a", "1") == simple("OK")  # not a GET: not counted
        assert conn.call("GET", "a") == error("ERR faulted")
        assert (rule.seen, rule.hits) == (2, 1)


def test_first_installed_rule_wins_and_hides_the_call(server):
    first = server.faults.error("PING", "ERR first", times=1)
    second = server.faults.error("PING", "ERR second")
    with raw(server) as conn:
        assert conn.call("PING") == error("ERR first")
        assert conn.call("PING") == error("ERR second")
    assert (first.hits, second.hits, second.seen) == (1, 1, 1)
    server.faults.clear()


def test_bad_options_are_rejected(server):
    with pytest.raises(TypeError):
        server.faults.error("GET", "ERR x", keys="k")
    with pytest.raises(ValueError):
        server.faults.error("GET", "ERR x", nth=0)
    with pytest.raises(ValueError):
        server.faults.delay("GET", 1, run="during")
    with pytest.raises(TypeError):
        server.faults.garbage("GET", "text")
    assert server.faults.rules == []


# -- lifecycle of rules ------------------------------------------------------------------------------------


def test_context_manager_and_remove(server):
    assert server.faults.armed is False  # the hot path: one attribute check per command
    with raw(server) as conn:
        with server.faults.loading("GET") as rule:
            assert server.faults.armed is True
            assert server.faults.rules == [rule]
            assert conn.call("GET", "k") == error(F.LOADING)
        assert not rule.active and server.faults.armed is False
        assert conn.call("GET", "k") == NIL
        rule.remove()  # idempotent
        other = server.faults.loading("GET")
        other.remove()
        assert conn.call("GET", "k") == NIL
    assert rule.hits == 1 and "removed" in repr(rule)


def test_clear_removes_every_rule(server):
    server.faults.loading("GET")
    server.faults.refuse()
    server.faults.oom(None)
    assert len(server.faults) == 3
    server.faults.clear()
    assert server.faults.rules == [] and not server.faults.armed and not server.faults.accept_armed
    with raw(server) as conn:
        assert conn.call("GET", "k") == NIL


def test_rules_are_thread_safe_while_clients_run(server):
    """Rules come and go from the test thread while clients hammer the server: every reply is
    either the real one or the fault's, and nothing breaks."""
    stop = threading.Event()
    seen = set()
    calls = []

    def hammer():
        with raw(server) as conn:
            while not stop.is_set():
                seen.add(conn.call("PING"))
                calls.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    cycles = 0
    while cycles < 50 or (len(calls) < 300 and cycles < 100_000):
        server.faults.error("PING", "ERR faulted").remove()
        with server.faults.error("PING", "ERR faulted", times=3):
            cycles += 1
    stop.set()
    for t in threads:
        t.join()
    assert seen <= {PONG, error("ERR faulted")} and PONG in seen


# -- delay ------------------------------------------------------------------------------------------------


def test_delay_answers_late(server):
    with server.faults.delay("GET", 0.2), raw(server) as conn:
        started = time.monotonic()
        assert conn.call("GET", "k") == NIL
        assert time.monotonic() - started >= 0.2


def test_delay_does_not_stall_other_clients(server):
    with raw(server) as slow, raw(server) as other:
        with server.faults.delay("GET", 60, client=int(slow.call("CLIENT", "ID")[1:-2])) as rule:
            slow.send(b"GET k\r\n")
            assert rule.wait(1)
            for _ in range(20):
                assert other.call("PING") == PONG
                assert other.call("GET", "k") == NIL
            assert not slow.readable(0.05)
        # removing the rule ends the delay at once
        assert slow.reply() == NIL


def test_delay_keeps_pipelined_commands_in_order(server):
    with server.faults.delay("GET", 60) as rule, raw(server) as conn:
        conn.send(b"PING\r\nGET k\r\nSET k v\r\nGET k\r\n")
        assert conn.reply() == PONG
        assert rule.wait(1)
        assert not conn.readable(0.05)
        assert server.store.get(0, b"k") is None  # SET waits behind the parked GET
        rule.remove()
        assert conn.replies(3) == [NIL, simple("OK"), bulk(b"v")]


def test_delay_runs_the_command_after_the_delay_by_default(server):
    with server.faults.delay("SET", 60) as rule, raw(server) as conn:
        conn.send(b"SET k v\r\n")
        assert rule.wait(1)
        assert server.store.get(0, b"k") is None
        rule.remove()
        assert conn.reply() == simple("OK")
    assert server.store.get(0, b"k") == b"v"


def test_delay_run_before_applies_at_once_and_answers_late(server):
    with server.faults.delay("SET", 60, run="before") as rule, raw(server) as conn:
        conn.send(b"SET k v\r\n")
        assert rule.wait(1)
        assert server.store.get(0, b"k") == b"v"
        assert not conn.readable(0.05)
        rule.remove()
        assert conn.reply() == simple("OK")


def test_delay_client_gone_meanwhile(server):
    with server.faults.delay("SET", 60) as rule:
        conn = raw(server)
        conn.send(b"SET k v\r\n")
        assert rule.wait(1)
        conn.close()
    with raw(server) as other:  # the server is fine and the SET never ran
        assert other.call("GET", "k") == NIL


def test_delay_makes_redis_py_time_out_and_the_write_is_not_applied(server):
    r = client(server, socket_timeout=0.2)
    with server.faults.delay("SET", 60):
        with pytest.raises(redis.exceptions.TimeoutError):
            r.set("k", "v")
    assert r.get("k") is None
    r.close()


def test_delay_with_asyncio_clients():
    async def main(server):
        slow = redis.asyncio.Redis(port=server.port, retry=redis.asyncio.retry.Retry(NoBackoff(), 0))
        fast = redis.asyncio.Redis(port=server.port)
        await slow.ping(), await fast.ping()  # both connected
        rule = server.faults.delay("GET", 60, key="slow")
        pending = asyncio.ensure_future(slow.get("slow"))
        while rule.hits == 0:
            await asyncio.sleep(0.001)
        for _ in range(10):
            assert await fast.set("fast", "1") is True
        assert not pending.done()
        rule.remove()
        assert await pending is None
        await slow.aclose(), await fast.aclose()

    with Server() as server:
        asyncio.run(main(server))
        assert not server.errors


# -- dropping and truncating -------------------------------------------------------------------------------


def test_drop_before_closes_without_running(server):
    with server.faults.drop_before("SET"), raw(server) as conn:
        conn.send(b"PING\r\nSET k v\r\nPING\r\n")
        assert conn.reply() == PONG  # replies to earlier commands still go out
        assert conn.closed()
        assert conn.read_available() == b""
    assert server.store.get(0, b"k") is None


def test_drop_after_runs_then_closes(server):
    with server.faults.drop_after("SET"), raw(server) as conn:
        conn.send(b"SET k v\r\n")
        assert conn.closed()
        assert conn.read_available() == b""
    assert server.store.get(0, b"k") == b"v"


def test_half_reply_writes_half_then_closes(server):
    server.store.set(0, b"k", b"0123456789")
    with server.faults.half_reply("GET"), raw(server) as conn:
        conn.send(b"GET k\r\n")
        assert conn.closed()
        assert conn.read_available() == bulk(b"0123456789")[:8]  # 17 bytes -> the first 8


def test_half_reply_with_a_cut_and_the_command_runs(server):
    with server.faults.half_reply("INCR", cut=1), raw(server) as conn:
        conn.send(b"INCR n\r\n")
        assert conn.closed()
        assert conn.read_available() == b":"
    assert server.store.get(0, b"n") == b"1"


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_sees_a_connection_error(server, protocol):
    r = client(server, protocol)
    for rule in (server.faults.drop_before("GET", times=1), server.faults.half_reply("GET", times=1)):
        with pytest.raises(redis.exceptions.ConnectionError):
            r.get("k")
        assert rule.hits == 1
    assert r.get("k") is None  # the client reconnects by itself
    r.close()


def test_garbage_replaces_the_reply(server):
    with raw(server) as conn:
        with server.faults.garbage("SET"):
            conn.send(b"SET k v\r\n")
            assert conn.read_available() == F.GARBAGE
            assert conn.call("PING") == PONG  # still open
        assert conn.call("GET", "k") == NIL
        with server.faults.garbage("SET", b"\x00\xff", execute=True, close=True):
            conn.send(b"SET k v\r\n")
            assert conn.closed()
            assert conn.read_available() == b"\x00\xff"
    assert server.store.get(0, b"k") == b"v"


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
def test_redis_py_rejects_garbage(server, protocol):
    r = client(server, protocol)
    with server.faults.garbage("GET"):
        with pytest.raises(redis.exceptions.InvalidResponse):
            r.get("k")
    assert r.get("k") is None
    r.close()


# -- connection faults --------------------------------------------------------------------------------------


def test_refuse_accepts_and_closes(server):
    with server.faults.refuse(times=1) as rule:
        with raw(server) as conn:
            assert conn.closed()
        with raw(server) as conn:  # only the first one
            assert conn.call("PING") == PONG
    assert rule.hits == 1


def test_refuse_with_redis_py(server):
    r = client(server)
    with server.faults.refuse():
        with pytest.raises(redis.exceptions.ConnectionError):
            r.ping()
    assert r.ping() is True
    r.close()


def test_stall_holds_new_connections_until_released(server):
    with raw(server) as before:
        assert before.call("PING") == PONG  # accepted before the rule (connect() alone may not be)
        rule = server.faults.stall()
        with raw(server) as stalled:
            stalled.send(b"PING\r\n")
            assert rule.wait(1) and rule.stalled == 1
            assert not stalled.readable(0.05)
            assert before.call("PING") == PONG  # existing clients are served
            rule.release()
            assert stalled.reply() == PONG
            assert stalled.call("SET", "k", "v") == simple("OK")


def test_stall_times_out_redis_py(server):
    r = client(server, socket_connect_timeout=1, socket_timeout=0.2)
    with server.faults.stall():
        with pytest.raises(redis.exceptions.TimeoutError):
            r.ping()
    r.close()


def test_stalled_connections_close_with_the_server():
    server = Server().start()
    server.faults.stall()
    conn = raw(server)
    server.stop()
    assert conn.closed()
    conn.close()


def test_drop_connections(server):
    with raw(server) as a, raw(server) as b:
        assert a.call("PING") == PONG and b.call("PING") == PONG
        assert server.faults.drop_connections() == 2
        assert a.closed() and b.closed()
    with raw(server) as c:
        assert c.call("PING") == PONG
    r = client(server, retry=Retry(NoBackoff(), 1))
    r.ping()
    server.faults.drop_connections()
    assert r.ping() is True  # one retry reconnects


def test_drop_connections_on_a_stopped_server():
    server = Server()
    assert server.faults.drop_connections() == 0


# -- retry logic, the way a user would test it ------------------------------------------------------------


def test_retry_survives_one_dropped_connection(server):
    r = client(server, retry=Retry(NoBackoff(), 2))
    with server.faults.drop_before("SET", times=1) as rule:
        assert r.set("k", "v") is True
    assert rule.hits == 1
    assert server.store.get(0, b"k") == b"v"
    r.close()


def test_retrying_a_non_idempotent_command_applies_it_twice(server):
    """The half-applied case: INCR ran, its reply was lost, the client retried."""
    r = client(server, retry=Retry(NoBackoff(), 1))
    with server.faults.drop_after("INCRBY", times=1) as rule:  # redis-py's incr() sends INCRBY
        assert r.incr("counter") == 2
    assert rule.hits == 1
    r.close()


def test_retry_on_loading(server):
    r = client(server, retry=Retry(NoBackoff(), 3))  # LOADING is a ConnectionError for redis-py
    with server.faults.loading("GET", times=2) as rule:
        assert r.get("k") is None
    assert rule.hits == 2
    r.close()


# -- restart -------------------------------------------------------------------------------------------------


def test_restart_keeps_the_port_and_the_data(server):
    port = server.port
    server.store.set(0, b"k", b"v")
    conn = raw(server)
    server.restart()
    assert conn.closed()
    conn.close()
    assert server.port == port and server.running
    with raw(server) as conn:
        assert conn.call("GET", "k") == bulk(b"v")


def test_restart_without_data(server):
    server.store.set(0, b"k", b"v")
    server.restart(keep_data=False)
    with raw(server) as conn:
        assert conn.call("DBSIZE") == integer(0)


def test_stop_then_start_uses_the_same_port(server):
    port = server.port
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection((server.host, port), timeout=1).close()
    server.start()
    assert server.port == port
    with raw(server) as conn:
        assert conn.call("PING") == PONG


def test_redis_py_reconnects_after_restart(server):
    r = client(server, retry=Retry(NoBackoff(), 1))
    r.set("k", "v")
    server.restart()
    assert r.get("k") == b"v"
    server.restart(keep_data=False)
    assert r.get("k") is None
    r.close()


def test_redis_py_command_in_flight_during_restart_sees_the_drop(server):
    r = client(server)  # no retry
    r.ping()
    failures = []

    def call():
        try:
            r.get("k")
        except redis.exceptions.ConnectionError as exc:
            failures.append(exc)

    with server.faults.delay("GET", 60) as rule:
        t = threading.Thread(target=call)
        t.start()
        assert rule.wait(1)
        server.restart()
        t.join()
    assert len(failures) == 1
    assert r.get("k") is None  # the next command reconnects
    r.close()


def test_asyncio_client_reconnects_after_restart():
    async def main(server):
        r = redis.asyncio.Redis(port=server.port, retry=redis.asyncio.retry.Retry(NoBackoff(), 1))
        await r.set("k", "v")
        server.restart()
        assert await r.get("k") == b"v"
        await r.aclose()

    with Server() as server:
        asyncio.run(main(server))
        assert not server.errors


def test_faults_survive_a_restart(server):
    with server.faults.loading("GET"):
        server.restart()
        with raw(server) as conn:
            assert conn.call("GET", "k") == error(F.LOADING)


# -- custom commands ------------------------------------------------------------------------------------------


def test_register_a_new_command(server):
    with server.register_command("HELLO2", lambda *args: list(args), arity=-2) as cmd, raw(server) as conn:
        assert conn.call("hello2", "a", b"\x00") == array(bulk(b"a"), bulk(b"\x00"))
        assert conn.call("HELLO2") == error("ERR wrong number of arguments for 'hello2' command")
        assert cmd.calls == 1
    with raw(server) as conn:
        assert conn.call("HELLO2", "a") == error(
            "ERR unknown command 'HELLO2', with args beginning with: 'a' ")


@pytest.mark.parametrize("reply,expected", [
    (b"x", bulk(b"x")),
    (7, integer(7)),
    (None, NIL),
    ([b"a", 1, None], array(bulk(b"a"), integer(1), NIL)),
    (OK, simple("OK")),
    (SimpleString(b"QUEUED"), simple("QUEUED")),
    (CommandError("MOVED 1 127.0.0.1:7000"), error("MOVED 1 127.0.0.1:7000")),
], ids=["bulk", "int", "nil", "array", "ok", "simple", "error"])
def test_override_with_a_fixed_reply(server, reply, expected):
    with server.override("GET", reply), raw(server) as conn:
        assert conn.call("GET", "k") == expected


def test_override_keeps_arity_and_flags(server):
    with server.override("GET", b"canned"), raw(server) as conn:
        assert conn.call("GET") == error("ERR wrong number of arguments for 'get' command")
        assert conn.call("COMMAND", "INFO", "GET").startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n")


def test_override_with_a_callable_sees_the_arguments(server):
    calls = []

    def handler(*args):
        calls.append(args)
        if args[0] == b"bad":
            raise CommandError("ERR bad key")
        return args[0].upper()

    with server.override("get", handler), raw(server) as conn:
        assert conn.call("GET", "abc") == bulk(b"ABC")
        assert conn.call("GET", "bad") == error("ERR bad key")
    assert calls == [(b"abc",), (b"bad",)]


def test_override_a_subcommand_and_add_one(server):
    with raw(server) as conn:
        with server.override("CLIENT|ID", 424242):
            assert conn.call("CLIENT", "ID") == integer(424242)
            assert conn.call("CLIENT", "GETNAME") == NIL  # siblings unchanged
        assert conn.call("CLIENT", "ID") != integer(424242)
        with server.register_command("CLUSTER SLOTS", lambda *args: list(args), arity=-2):
            assert conn.call("CLUSTER", "SLOTS") == array()  # the handler gets what follows the name
            assert conn.call("cluster", "slots", "x") == array(bulk(b"x"))
            assert conn.call("CLUSTER", "NODES") == error(
                "ERR unknown subcommand 'NODES'. Try CLUSTER HELP.")
        with pytest.raises(KvfakeError):
            server.register_command("GET|X", lambda *args: None)


def test_removing_stacked_overrides_in_any_order(server):
    with raw(server) as conn:
        first = server.override("GET", b"first")
        second = server.override("GET", b"second")
        assert conn.call("GET", "k") == bulk(b"second")
        first.remove()
        assert conn.call("GET", "k") == bulk(b"second")
        second.remove()
        assert conn.call("GET", "k") == NIL


def test_custom_commands_have_their_own_reset(server):
    server.override("GET", b"canned")
    server.register_command("NEWCMD", lambda: OK, arity=1)
    server.faults.clear()
    with raw(server) as conn:
        assert conn.call("GET", "k") == bulk(b"canned")
        assert len(server.custom_commands) == 2
        server.custom_commands.clear()
        assert conn.call("GET", "k") == NIL
        assert conn.call("NEWCMD").startswith(b"-ERR unknown command 'NEWCMD'")


def test_custom_commands_are_per_server(server):
    with Server() as other, server.override("PING", b"custom"):
        with raw(server) as a, raw(other) as b:
            assert a.call("PING") == bulk(b"custom")
            assert b.call("PING") == PONG


def test_command_count_lists_custom_commands(server):
    with raw(server) as conn:
        before = conn.call("COMMAND", "COUNT")
        with server.register_command("NEWCMD", lambda: OK, arity=1, flags="readonly fast"):
            n = int(before[1:-2])
            assert conn.call("COMMAND", "COUNT") == integer(n + 1)
            assert conn.call("NEWCMD") == simple("OK")
        assert conn.call("COMMAND", "COUNT") == before


def test_handler_returning_str_is_reported(server):
    with server.override("GET", lambda key: "text"), raw(server) as conn:
        assert conn.call("GET", "k").startswith(b"-ERR internal error in 'get': TypeError:")
    assert len(server.errors) == 1
    server.dispatcher.internal_errors.clear()


def test_bad_registrations_are_rejected(server):
    with pytest.raises(TypeError):
        server.override("GET", "text")
    with pytest.raises(TypeError):
        server.register_command("X", b"not callable")
    with pytest.raises(ValueError):
        server.register_command("X", lambda: None, flags="nosuchflag")
    with pytest.raises(ValueError):
        server.register_command("X", lambda: None, arity=0)
    with pytest.raises(ValueError):
        server.register_command("", lambda: None)
    assert len(server.custom_commands) == 0


def test_redis_py_with_a_custom_command(server):
    r = client(server, 3)
    with server.register_command("VERSION.INFO", lambda: [b"kvfake", 1], arity=1):
        assert r.execute_command("VERSION.INFO") == [b"kvfake", 1]
    r.close()


def test_register_while_clients_run(server):
    stop = threading.Event()
    seen = set()
    calls = []

    def hammer():
        with raw(server) as conn:
            while not stop.is_set():
                seen.add(conn.call("GET", "k"))
                calls.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    cycles = 0
    while cycles < 50 or (len(calls) < 300 and cycles < 100_000):
        with server.override("GET", b"canned"):
            cycles += 1
    stop.set()
    for t in threads:
        t.join()
    assert seen <= {NIL, bulk(b"canned")} and NIL in seen


# -- faults on blocking commands ------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["after", "before"])
def test_delayed_blocking_command_blocks_after_the_delay(server, run):
    with raw(server) as waiter, raw(server) as pusher:
        with server.faults.delay("BLPOP", 60, run=run) as rule:
            waiter.send(b"BLPOP q 0\r\n")
            assert rule.wait(1)
        # the delay is over: the client now blocks on q (a run="before" BLPOP found
        # nothing, changed nothing, and runs again for real)
        assert pusher.call("RPUSH", "q", "x") == integer(1)
        assert waiter.reply() == array(bulk(b"q"), bulk(b"x"))


def test_half_reply_of_a_blocking_command_that_would_block(server):
    with server.faults.half_reply("BLPOP"), raw(server) as conn:
        conn.send(b"BLPOP q 0\r\n")
        assert conn.closed()
        assert conn.read_available() == b""
    with raw(server) as other:  # nobody is left blocked on q
        assert other.call("RPUSH", "q", "x") == integer(1)
        assert other.call("LLEN", "q") == integer(1)


def test_drop_after_of_a_blocking_command_with_data(server):
    with raw(server) as conn:
        conn.call("RPUSH", "q", "a", "b")
        with server.faults.drop_after("BLPOP"):
            conn.send(b"BLPOP q 0\r\n")
            assert conn.closed()
    with raw(server) as other:
        assert other.call("LRANGE", "q", "0", "-1") == array(bulk(b"b"))
