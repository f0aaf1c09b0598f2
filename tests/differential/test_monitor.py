"""MONITOR vs real redis-server 7.0.15: the lines a monitor receives, and what a monitor may do.

Each script runs on a client connection while a second connection is in MONITOR mode, on both
servers; then the client sends ``ECHO the-end`` and the monitor's stream is read up to that line.
Normalised (and only there): the time of each line (``+<time>``) and the client addresses, which
become the name of the connection they belong to (``[0 client]``). Quoting of arguments, the
database shown, which commands appear (rejected, queued, admin and redacted ones) and their order
are compared byte for byte, and so are the client's own replies (but for CLIENT and HELLO
successes: ids and addresses).
"""

from __future__ import annotations

import re

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import command

_LINE_HEAD = re.compile(rb"^\+([0-9]+)\.([0-9]{6}) \[([0-9]+) ([^\]]+)\] ", re.M)
SENTINEL = b'"ECHO" "the-end"\r\n'


def _addr(conn: RawConnection) -> bytes:
    info = conn.call("CLIENT", "INFO")
    return re.search(rb" addr=(\S+) ", info).group(1)


def normalise(stream: bytes, names: dict) -> bytes:
    """Times replaced by <time>, known addresses by their connection's name."""
    def head(m) -> bytes:
        return b"+<time> [" + m.group(3) + b" " + names.get(m.group(4), b"<unknown>") + b"] "
    return _LINE_HEAD.sub(head, stream)


def volatile(argv, raw: bytes) -> bytes:
    """Client replies that must differ between two servers (ids, CLIENT LIST) become a placeholder;
    errors are kept."""
    name = (argv[0].upper() if isinstance(argv[0], str) else argv[0].decode().upper())
    if name in ("CLIENT", "HELLO") and not raw.startswith(b"-"):
        return b"<volatile>"
    return raw


def monitor_run(server, script, resp: int = 2, monitor_resp: int = 2):
    """(client replies, normalised monitor stream) of ``script`` run on ``server``."""
    with RawConnection(server.host, server.port) as mon, RawConnection(server.host, server.port) as cli:
        assert cli.call("FLUSHALL") == b"+OK\r\n"
        names = {_addr(mon): b"monitor", _addr(cli): b"client"}
        if monitor_resp == 3:
            assert mon.call("HELLO", "3").startswith(b"%")
        if resp == 3:
            assert cli.call("HELLO", "3").startswith(b"%")
        assert mon.call("MONITOR") == b"+OK\r\n"
        replies = [volatile(argv, cli.call(*argv)) for argv in script]
        cli.call("ECHO", "the-end")
        stream = bytearray(mon.reader.pending())
        while not stream.endswith(SENTINEL):
            data = mon._recv(5)
            if not data:
                break
            stream += data
        return replies, normalise(bytes(stream), names)


SCRIPTS = {
    "plain-commands": [["SET", "k", "v"], ["GET", "k"], ["INCR", "n"], ["PING"], ["ECHO", "hi"],
                       ["set", "lower", "case"], ["SET", "int", "-12"], ["SET", "e", ""]],
    "quoting": [["SET", "k", b'a b"c\\\n\r\t\x07\x08\x00\xff\x7f \xc3\xa9'], ["SET", b"\x01\x1f ~", "x"]],
    "select-shows-the-new-db": [["SELECT", "1"], ["SET", "k", "v"], ["SELECT", "15"], ["SELECT", "0"]],
    "rejected-commands-are-not-shown": [["NOPE", "x"], ["GET"], ["CLIENT", "NOPE"], ["SELECT", "99"]],
    "runtime-errors-are-shown": [["SET", "k", "x"], ["INCR", "k"], ["LPUSH", "k", "a"], ["SET", "k", "v", "XX", "NX"]],
    "admin-commands-are-hidden": [
        ["CONFIG", "GET", "maxmemory"], ["CLIENT", "LIST"], ["CLIENT", "ID"], ["CLIENT", "SETNAME", "n"],
        ["CLIENT", "GETNAME"], ["CLIENT", "KILL", "ID", "99999"], ["CLIENT", "NO-EVICT", "off"],
        ["CLIENT", "PAUSE", "1", "WRITE"], ["CLIENT", "UNPAUSE"], ["SAVE"],
        ["COMMAND", "INFO", "get"], ["INFO", "keyspace"], ["DBSIZE"], ["OBJECT", "FREQ", "x"],
        ["PFDEBUG", "GETREG", "x"], ["MONITOR"],
    ],
    "auth-is-redacted": [["AUTH", "pw"], ["AUTH", "user", "pw"], ["AUTH", "a", "b", "c"]],
    "hello-auth-is-redacted": [
        ["HELLO", "2", "AUTH", "default", "pw"], ["HELLO", "4", "AUTH", "u", "p"], ["HELLO", "2", "AUTH", "u"],
        ["HELLO", "2", "SETNAME", "x", "AUTH", "u", "p"], ["HELLO", "2", "AUTH", "default", "p", "SETNAME", "a b"],
        ["HELLO", "2", "auth", "u", "p", "AUTH", "v", "q"], ["HELLO", "2", "BOGUS", "AUTH", "u", "p"],
        ["HELLO", "x"], ["hello", "2"],
    ],
    "transaction": [["MULTI"], ["SET", "a", "1"], ["GET", "a"], ["CLIENT", "GETNAME"], ["EXEC"]],
    "transaction-select-inside": [["MULTI"], ["SELECT", "2"], ["SET", "k", "v"], ["EXEC"], ["SELECT", "0"]],
    "transaction-aborted": [["MULTI"], ["SET", "a", "1"], ["NOPE"], ["EXEC"]],
    "transaction-discarded": [["MULTI"], ["SET", "a", "1"], ["DISCARD"]],
    "transaction-watch-touched": [["WATCH", "a"], ["SET", "a", "1"], ["MULTI"], ["SET", "a", "2"], ["EXEC"]],
    "transaction-admin-inside": [["MULTI"], ["CONFIG", "GET", "x"], ["PING"], ["EXEC"]],
    "exec-rejected": [["EXEC", "x"], ["MULTI"], ["PING"], ["EXEC", "x"], ["EXEC"]],
    "exec-and-discard-without-multi": [["EXEC"], ["DISCARD"], ["WATCH", "k"], ["UNWATCH"]],
    "blocking-commands": [["BLPOP", "q", "0.01"], ["RPUSH", "q", "a"], ["BLPOP", "q", "0"]],
    "reset": [["SELECT", "3"], ["RESET"], ["PING"]],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_monitor_lines(redis_server, kvfake_server, name):
    assert monitor_run(kvfake_server, SCRIPTS[name]) == monitor_run(redis_server, SCRIPTS[name])


@pytest.mark.parametrize("name", ["plain-commands", "transaction", "hello-auth-is-redacted"])
def test_monitor_lines_resp3(redis_server, kvfake_server, name):
    expected = monitor_run(redis_server, SCRIPTS[name], resp=3, monitor_resp=3)
    assert monitor_run(kvfake_server, SCRIPTS[name], resp=3, monitor_resp=3) == expected


# A monitor's own connection: no keyspace, no second +OK, its own lines after its replies.
MONITOR_SIDE = {
    "keyspace-is-refused": [["GET", "k"], ["SET", "k", "v"], ["DEL", "k"], ["BLPOP", "q", "0"],
                            ["FLUSHALL"], ["KEYS", "*"]],
    "other-commands-run-and-show": [["PING"], ["ECHO", "x"], ["CLIENT", "GETNAME"], ["INFO", "keyspace"],
                                    ["SELECT", "1"], ["CONFIG", "GET", "x"]],
    "second-monitor-gets-no-reply": [["MONITOR"], ["PING"]],
    "multi-inside-monitor": [["MULTI"], ["GET", "k"], ["PING"], ["EXEC"], ["MULTI"], ["PING"], ["EXEC"]],
    "reset-ends-monitor-mode": [["RESET"], ["GET", "k"], ["PING"]],
    "unknown-command": [["NOPE"], ["GET"]],
}


def own_lines(data: bytes) -> bytes:
    """check_raw normaliser: the times and the (one) address of the monitor's own lines."""
    return _LINE_HEAD.sub(lambda m: b"+<time> [" + m.group(3) + b" <addr>] ", data)


# the raw streams differ (times, ports) until normalised: settle is short, so a step that makes
# both sides silent ends the collection quickly
@pytest.mark.parametrize("name, resp", [(n, 2) for n in MONITOR_SIDE] + [
    ("keyspace-is-refused", 3), ("other-commands-run-and-show", 3)])
def test_monitor_connection_itself(pair, name, resp):
    chunks = [command("MONITOR")] + [command(argv) for argv in MONITOR_SIDE[name]]
    pair.check_raw(chunks, resp=resp, normalize=own_lines, quiet=0.15, settle=0.3)
