"""Differential scripts for kvfake.commands.instance: SHUTDOWN ROLE WAIT MEMORY SLOWLOG LATENCY LOLWUT
against redis-server 7.0.15 (a standalone server, no replicas, no persistence), raw bytes, RESP2 and RESP3.

Exact wherever Redis is deterministic: errors, ROLE, WAIT without replicas, MEMORY USAGE of strings,
listpacks, intsets and RPUSH-built lists (Redis's own accounting), empty SLOWLOG / LATENCY, LOLWUT's
version line and the art whose drawing involves no random number (Schotter with at most two rows of
squares, a skyline one row high).  Narrow normalisers, defined here:

- ``_usage``: MEMORY USAGE's integer, for values whose size Redis samples or randomises (hashtables,
  skiplists: kvfake answers an estimate); a null or an error is still compared;
- ``_numbers``: MEMORY STATS' integers and doubles (the field names and their order are compared);

and the conformance rule ``latency-histogram`` (kvfake/conformance/normalize.py): LATENCY HISTOGRAM's call
counts and buckets (kvfake does not time commands); HISTOGRAM names only commands the script itself calls.

SHUTDOWN's error paths run on the session servers; a SHUTDOWN that succeeds runs on a fresh pair
started for it.  Never write a script here whose SHUTDOWN could succeed on the session servers.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.differential.conftest import Pair, _start_subject
from tests.support.raw import RawConnection
from tests.support.redis_server import start_redis
from tests.support.resp import command

RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
INT64_MAX = "9223372036854775807"


def _usage(argv, raw: bytes) -> bytes:
    if argv[0].upper() == b"MEMORY" and raw.startswith(b":"):
        return b":<bytes>\r\n"
    return raw


_INTEGER = re.compile(rb":-?[0-9]+\r\n")
_BULK_NUMBER = re.compile(rb"\$[0-9]+\r\n-?[0-9][0-9.e+-]*\r\n")
_DOUBLE = re.compile(rb",[^\r]*\r\n")


def _numbers(argv, raw: bytes) -> bytes:
    if argv[0].upper() != b"MEMORY":
        return raw
    raw = _INTEGER.sub(b":N\r\n", raw)
    raw = _BULK_NUMBER.sub(b"$F\r\n", raw)
    return _DOUBLE.sub(b",F\r\n", raw)


# =============================================================================== SHUTDOWN (errors only)
SHUTDOWN_ERRORS = {
    "unknown-option": [["SHUTDOWN", "foo"], ["SHUTDOWN", "NOW", "bogus"]],
    "abort-none-pending": [["SHUTDOWN", "ABORT"], ["shutdown", "abort", "abort"]],
    "illegal-combinations": [["SHUTDOWN", "NOSAVE", "SAVE"], ["SHUTDOWN", "ABORT", "NOW"],
                             ["SHUTDOWN", "ABORT", "FORCE"], ["SHUTDOWN", "SAVE", "ABORT"],
                             ["SHUTDOWN", "nosave", "nosave", "abort"]],
    "not-in-multi": [["MULTI"], ["SHUTDOWN", "NOSAVE"], ["EXEC"]],
}


@RESP
@pytest.mark.parametrize("name", SHUTDOWN_ERRORS)
def test_shutdown_errors(pair, name, resp):
    pair.check(SHUTDOWN_ERRORS[name], resp=resp, name=name)


def test_shutdown_refused_in_resp2_subscriber_context(pair):
    pair.check([["SUBSCRIBE", "ch"], ["SHUTDOWN", "NOSAVE"], ["PING"]])


@pytest.mark.parametrize("chunks", [
    [b"SHUTDOWN\r\n"],
    [b"PING\r\nSHUTDOWN NOSAVE\r\n"],                 # the PONG not yet written is lost too
    [command("HELLO", "3") + command("SHUTDOWN", "NOW", "FORCE", "NOSAVE")],
    [command("SHUTDOWN", "SAVE")],                     # nothing to save: kvfake writes no file anyway
], ids=["plain", "after-ping", "resp3-now-force", "save"])
def test_shutdown_stops_the_server_without_a_reply(chunks):
    redis = start_redis()
    subject = _start_subject()  # a fresh kvfake.Server (or redis with KVFAKE_DIFF_SUBJECT=redis)
    try:
        others = [RawConnection(s.host, s.port) for s in (redis, subject)]
        assert Pair(redis, subject).check_raw(chunks, setup=False) == ([], True)
        for other in others:  # every other client sees its connection closed
            assert other.closed(timeout=5)
            other.close()
        assert redis.proc.wait(timeout=10) == 0
        if hasattr(subject, "proc"):
            assert subject.proc.wait(timeout=10) == 0
            return
        deadline = time.monotonic() + 5
        while subject.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not subject.running and subject.errors == []
        port = subject.port
        subject.start()  # the port was freed: the server comes back on it
        assert subject.port == port
        with RawConnection(subject.host, subject.port) as conn:
            assert conn.call("PING") == b"+PONG\r\n"
    finally:
        subject.stop()
        redis.stop()


# =============================================================================== ROLE WAIT
SCRIPTS = {
    "role": [["ROLE"], ["role"], ["ROLE", "x"]],
    "wait-arity-and-numbers": [["WAIT"], ["WAIT", "0"], ["WAIT", "0", "0", "0"], ["WAIT", "x", "0"],
                               ["WAIT", "00", "0"], ["WAIT", "0", "x"], ["WAIT", "0", "-1"], ["WAIT", "0", "1.5"],
                               ["WAIT", "0", "99999999999999999999"], ["WAIT", "-5", "x"], ["WAIT", "1", "00"]],
    "wait-no-replica-wanted": [["SET", "k", "v"], ["WAIT", "0", "0"], ["WAIT", "-1", "0"],
                               ["WAIT", "0", INT64_MAX], ["WAIT", "-9223372036854775808", "100"]],
    "wait-times-out-with-zero": [["WAIT", "1", "1"], ["WAIT", "3", "20"], ["PING"]],
    "wait-in-multi-answers-at-once": [["MULTI"], ["WAIT", "5", "0"], ["WAIT", "x", "0"], ["EXEC"]],
    # -- MEMORY --------------------------------------------------------------------------
    "memory-help-and-errors": [["MEMORY", "HELP"], ["memory", "help", "x"], ["MEMORY"], ["MEMORY", "nosuch"],
                               ["MEMORY", "USAGE"], ["MEMORY", "DOCTOR", "x"], ["MEMORY", "STATS", "x"],
                               ["MEMORY", "PURGE"], ["MEMORY", "PURGE", "x"], ["MEMORY", "MALLOC-STATS", "x"]],
    "memory-usage-options": [["SET", "k", "v"], ["MEMORY", "USAGE", "nokey"], ["MEMORY", "USAGE", "k", "SAMPLES", "0"],
                             ["MEMORY", "USAGE", "k", "samples", "5", "SAMPLES", "1"],
                             ["MEMORY", "USAGE", "k", "SAMPLES", "-1"], ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
                             ["MEMORY", "USAGE", "k", "SAMPLES"], ["MEMORY", "USAGE", "k", "foo", "1"],
                             ["MEMORY", "USAGE", "nokey", "foo"],
                             ["MEMORY", "USAGE", "k", "SAMPLES", "0", "samples", "x"],
                             ["MEMORY", "USAGE", "nokey", "SAMPLES", "3"]],
    "memory-usage-strings": [
        cmd for n in (0, 1, 10, 20, 30, 44, 45, 60, 100, 200, 1000, 10000, 40000)
        for cmd in (["SET", f"s{n}", "x" * n], ["MEMORY", "USAGE", f"s{n}"])
    ] + [
        cmd for v in ("0", "12345", "-5", "123456789012", "9999", "1.5", "01")
        for cmd in (["SET", "n", v], ["MEMORY", "USAGE", "n"])
    ] + [["INCRBYFLOAT", "f", "1.5"], ["MEMORY", "USAGE", "f"], ["APPEND", "a", "hello"], ["MEMORY", "USAGE", "a"],
         ["APPEND", "a", "x" * 100], ["MEMORY", "USAGE", "a"], ["SETEX", "e", "100", "v"], ["MEMORY", "USAGE", "e"]],
    "memory-usage-key-lengths": [
        cmd for n in (1, 20, 28, 29, 31, 32, 40, 100, 300)
        for cmd in (["SET", "k" * n, "v"], ["MEMORY", "USAGE", "k" * n])
    ],
    "memory-usage-listpacks-and-intsets": [
        ["HSET", "h", "a", "1", "b", "2"], ["MEMORY", "USAGE", "h"],
        ["HSET", "h1", "field1", "hello world", "n", "12345", "neg", "-5000", "big", "12345678901", "x" * 64, "y"],
        ["MEMORY", "USAGE", "h1"],
        ["ZADD", "z", "1", "a", "2", "b"], ["MEMORY", "USAGE", "z"],
        ["ZADD", "z1", "1.5", "a", "-3", "bb", "100000", "ccc", "3.14159", "d", "0", "e", "-0", "f", "inf", "g",
         "-inf", "h", "1e20", "i", "5000000000", "j"], ["MEMORY", "USAGE", "z1"],
        ["SADD", "si", "1", "2", "3"], ["MEMORY", "USAGE", "si"],
        ["SADD", "si16", "-32768", "32767"], ["MEMORY", "USAGE", "si16"],
        ["SADD", "si32", "32768", "-5"], ["MEMORY", "USAGE", "si32"],
        ["SADD", "si64", "1", "99999999999"], ["MEMORY", "USAGE", "si64"],
    ],
    "memory-usage-lists": [
        ["RPUSH", "l", "a", "b", "c"], ["MEMORY", "USAGE", "l"],
        ["RPUSH", "ln", "-1", "200", "70000", "-70000", "5000000000", "abc", "x" * 70, "y" * 5000],
        ["MEMORY", "USAGE", "ln"],
        ["RPUSH", "l1", *[str(i) for i in range(300)]], ["MEMORY", "USAGE", "l1"],
        ["RPUSH", "l2", *["x" * 100] * 200], ["MEMORY", "USAGE", "l2"], ["MEMORY", "USAGE", "l2", "SAMPLES", "0"],
        ["MEMORY", "USAGE", "l2", "SAMPLES", "1"],
        ["RPUSH", "l3", *["y" * 300] * 100, "z" * 20000], ["MEMORY", "USAGE", "l3"],
        ["MEMORY", "USAGE", "l3", "SAMPLES", "0"],
    ],
    "memory-usage-current-db": [["SELECT", "1"], ["SET", "k", "v"], ["SELECT", "0"],
                                        ["MEMORY", "USAGE", "k"], ["SELECT", "1"], ["MEMORY", "USAGE", "k"]],
    # -- SLOWLOG (empty) -------------------------------------------------------------------
    "slowlog": [["SLOWLOG", "RESET"], ["SLOWLOG", "GET"], ["SLOWLOG", "GET", "5"], ["SLOWLOG", "GET", "-1"],
                ["SLOWLOG", "GET", "0"], ["SLOWLOG", "GET", INT64_MAX], ["SLOWLOG", "LEN"], ["slowlog", "reset"],
                ["SLOWLOG", "HELP"]],
    "slowlog-errors": [["SLOWLOG"], ["SLOWLOG", "nosuch"], ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "x"],
                       ["SLOWLOG", "GET", "99999999999999999999"], ["SlowLog", "GeT", "1", "2"],
                       ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "RESET", "x"], ["SLOWLOG", "HELP", "x"]],
    # -- LATENCY (no events) -----------------------------------------------------------------
    "latency": [["LATENCY", "LATEST"], ["LATENCY", "HISTORY", "command"], ["LATENCY", "HISTORY", "nosuch"],
                ["LATENCY", "RESET"], ["LATENCY", "RESET", "command", "fork"], ["LATENCY", "DOCTOR"],
                ["LATENCY", "HELP"], ["LATENCY", "HISTOGRAM", "nosuchcommand"],
                ["LATENCY", "HISTOGRAM", "nosuch|x", "client|nosuch"]],
    "latency-errors": [["LATENCY"], ["LATENCY", "nosuch"], ["LATENCY", "LATEST", "x"], ["LATENCY", "HISTORY"],
                       ["LATENCY", "GRAPH", "command"], ["LATENCY", "GRAPH", "fork"], ["LATENCY", "GRAPH"],
                       ["LATENCY", "DOCTOR", "x"], ["LATENCY", "HELP", "x"]],
    "latency-doctor-when-enabled": [["CONFIG", "SET", "latency-monitor-threshold", "100"], ["LATENCY", "DOCTOR"],
                                    ["CONFIG", "SET", "latency-monitor-threshold", "0"], ["LATENCY", "DOCTOR"]],
    # -- LOLWUT ----------------------------------------------------------------------------------
    "lolwut-version-line": [["LOLWUT"], ["lolwut", "foo", "bar"], ["LOLWUT", "VERSION"], ["LOLWUT", "VERSION", "7"],
                            ["LOLWUT", "VERSION", "4"], ["LOLWUT", "VERSION", "-1"], ["LOLWUT", "VERSION", "50"],
                            ["LOLWUT", "VERSION", "4294967296"]],
    "lolwut-errors": [["LOLWUT", "VERSION", "x"], ["LOLWUT", "VERSION", "1.5"], ["LOLWUT", "VERSION", "5", "x"],
                      ["LOLWUT", "VERSION", "5", "10", "1", "x"], ["LOLWUT", "VERSION", "6", "10", "x"],
                      ["LOLWUT", "VERSION", "99999999999999999999"]],
    "lolwut-schotter-unrotated-rows": [["LOLWUT", "VERSION", "5", "10", "1", "1"],
                                       ["LOLWUT", "VERSION", "5", "1", "1", "1", "ignored"],
                                       ["LOLWUT", "VERSION", "5", "0", "0", "-3"],
                                       ["LOLWUT", "VERSION", "5", "2", "1", "1"],
                                       ["LOLWUT", "VERSION", "5", "30", "3", "2"],
                                       ["LOLWUT", "VERSION", "5", "66", "8", "2"],
                                       ["LOLWUT", "VERSION", "5", "41", "7", "1"],
                                       ["LOLWUT", "VERSION", "4294967301", "20", "4", "2"]],
    "lolwut-skyline-one-row": [["LOLWUT", "VERSION", "6", "10", "1"], ["LOLWUT", "VERSION", "6", "0", "-5"],
                               ["LOLWUT", "VERSION", "6", "1", "1"]],
}


@RESP
@pytest.mark.parametrize("name", SCRIPTS)
def test_instance(pair, name, resp):
    pair.check(SCRIPTS[name], resp=resp, name=name)


@RESP
def test_memory_usage_estimates(pair, resp):
    """Sizes Redis samples or randomises (kept out of SCRIPTS, which tools/build_corpus.py records exactly)."""
    pair.check([
        ["SADD", "s", "a", "b"], ["MEMORY", "USAGE", "s"],
        ["SADD", "sh", *[f"m{i}" for i in range(10)]], ["MEMORY", "USAGE", "sh"],
        ["MEMORY", "USAGE", "sh", "SAMPLES", "0"],
        ["HSET", "hh", *[x for i in range(600) for x in (f"f{i}", f"v{i}")]], ["MEMORY", "USAGE", "hh"],
        ["HSET", "hv", "f", "v", "long", "x" * 65], ["MEMORY", "USAGE", "hv"],
        ["ZADD", "zz", *[x for i in range(200) for x in (str(i), f"m{i}")]], ["MEMORY", "USAGE", "zz"],
        ["MEMORY", "USAGE", "zz", "SAMPLES", "x"], ["PFADD", "hll", "a", "b", "c"], ["MEMORY", "USAGE", "hll"],
        ["SETBIT", "bits", "100000", "1"], ["MEMORY", "USAGE", "bits"], ["MEMORY", "USAGE", "nokey"],
    ], resp=resp, normalize=_usage)


@RESP
def test_memory_doctor_of_a_small_instance(pair, resp):
    pair.check([["SET", "k", "v"], ["MEMORY", "DOCTOR"]], resp=resp)


@RESP
def test_memory_stats_fields(pair, resp):
    pair.check([["SET", "k", "v"], ["SETEX", "e", "100", "v"], ["SELECT", "3"], ["SET", "k", "v"],
                ["MEMORY", "STATS"]], resp=resp, normalize=_numbers)


HISTOGRAM = {
    "latency-histogram-of-called-commands": [
        ["PING"], ["LATENCY", "HISTOGRAM", "ping", "nosuch", "PING"], ["LATENCY", "HISTOGRAM", "ping|x"],
        ["SET", "k", "v"], ["GET", "k"], ["CLIENT", "GETNAME"], ["LATENCY", "HISTOGRAM", "get", "set"],
        ["LATENCY", "HISTOGRAM", "client|getname", "client|nosuch"], ["LATENCY", "RESET"],
        ["LATENCY", "RESET", "command"], ["LATENCY", "HISTOGRAM", "get"],
    ],
}


@RESP
@pytest.mark.parametrize("name", HISTOGRAM)
def test_latency_histogram_of_called_commands(pair, name, resp):
    pair.check(HISTOGRAM[name], resp=resp, name=name, normalize="latency-histogram")
