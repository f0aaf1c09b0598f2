"""MONITOR through the in-process harness: the line format, which commands are shown, monitor mode.

A monitor here is a harness client that sent MONITOR plus a recording sink registered the way the
net layer registers a connection (``dispatcher.monitors``); the harness clock is fixed, so lines
are compared whole. tests/differential/test_monitor.py compares the same behaviour with redis.
"""

from __future__ import annotations

import pytest

from kvfake.commands.monitor import format_line, quote
from tests.support.resp import NIL, OK, QUEUED, array, error, simple

T0 = b"+1700000000.000000"


class Sink:
    """Records the lines the dispatcher feeds, as a monitor connection would receive them."""

    def __init__(self, client) -> None:
        self.session = client.session
        self.lines: list = []
        self.own: list = []

    def monitor_line(self, line: bytes, own: bool) -> None:
        self.lines.append(line)
        self.own.append(own)


def monitor(h) -> Sink:
    client = h.new_client()
    assert client.do(b"MONITOR") == OK
    client.session.pending_action = None  # the net layer's registration, done by hand
    sink = Sink(client)
    sink.client = client
    h.dispatcher.monitors[client.session.id] = sink
    return sink


def line(h, *args: bytes, db: int = 0) -> bytes:
    return b"%s [%d %s] %s\r\n" % (T0, db, h.session.addr.encode(), b" ".join(quote(a) for a in args))


QUOTING = [
    ("plain", b"abc", b'"abc"'),
    ("empty", b"", b'""'),
    ("space-and-tilde", b"a b~", b'"a b~"'),
    ("quote-and-backslash", b'a"b\\c', b'"a\\"b\\\\c"'),
    ("escapes", b"\n\r\t\x07\x08", b'"\\n\\r\\t\\a\\b"'),
    ("control-and-del", b"\x00\x01\x1f\x7f", b'"\\x00\\x01\\x1f\\x7f"'),
    ("high-bytes", "é".encode(), b'"\\xc3\\xa9"'),
]


@pytest.mark.parametrize("arg, expected", [q[1:] for q in QUOTING], ids=[q[0] for q in QUOTING])
def test_quote_follows_sdscatrepr(arg, expected):
    assert quote(arg) == expected


def test_format_line():
    assert format_line(1_700_000_000_123_456, 3, "127.0.0.1:5000", [b"SET", b"k", b"v"]) == (
        b'+1700000000.123456 [3 127.0.0.1:5000] "SET" "k" "v"\r\n')
    assert format_line(5, 0, "[::1]:7", [b"AUTH", b"pw"], (1,)) == b'+0.000005 [0 [::1]:7] "AUTH" "(redacted)"\r\n'


def test_commands_are_fed_after_they_run(h):
    sink = monitor(h)
    h.do(b"SET", b"k", b"v")
    h.do(b"get", b"k")
    assert sink.lines == [line(h, b"SET", b"k", b"v"), line(h, b"get", b"k")]
    assert sink.own == [False, False]


def test_select_shows_the_database_after_the_command(h):
    sink = monitor(h)
    h.do(b"SELECT", b"4")
    h.do(b"PING")
    assert sink.lines == [line(h, b"SELECT", b"4", db=4), line(h, b"PING", db=4)]


REJECTED = [
    ("unknown", (b"NOPE", b"x")),
    ("arity", (b"GET",)),
    ("unknown-subcommand", (b"CLIENT", b"NOPE")),
]


@pytest.mark.parametrize("command", [r[1] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected_commands_are_not_fed(h, command):
    sink = monitor(h)
    h.do(*command)
    assert sink.lines == []


def test_runtime_errors_are_fed(h):
    sink = monitor(h)
    h.do(b"SET", b"k", b"x")
    assert h.do(b"INCR", b"k") == error("ERR value is not an integer or out of range")
    assert sink.lines[-1] == line(h, b"INCR", b"k")


ADMIN = [
    ("config-get", (b"CONFIG", b"GET", b"maxmemory")),
    ("client-list", (b"CLIENT", b"LIST")),
    ("client-kill", (b"CLIENT", b"KILL", b"ID", b"999")),
    ("client-pause", (b"CLIENT", b"PAUSE", b"0")),
    ("debug", (b"DEBUG", b"SLEEP", b"0")),
    ("save", (b"SAVE",)),
    ("monitor", (b"MONITOR",)),
]


@pytest.mark.parametrize("command", [a[1] for a in ADMIN], ids=[a[0] for a in ADMIN])
def test_admin_commands_are_not_fed(h, command):
    sink = monitor(h)
    h.do(*command)
    assert sink.lines == []


def test_non_admin_client_subcommands_are_fed(h):
    sink = monitor(h)
    h.do(b"CLIENT", b"ID")
    h.do(b"CLIENT", b"SETNAME", b"x")
    assert sink.lines == [line(h, b"CLIENT", b"ID"), line(h, b"CLIENT", b"SETNAME", b"x")]


REDACTED = [
    ("auth-1", (b"AUTH", b"pw"), b'"AUTH" "(redacted)"'),
    ("auth-2", (b"AUTH", b"u", b"pw"), b'"AUTH" "(redacted)" "(redacted)"'),
    ("auth-syntax-error", (b"AUTH", b"a", b"b", b"c"), b'"AUTH" "a" "b" "c"'),
    ("hello-auth", (b"HELLO", b"2", b"AUTH", b"default", b"pw"), b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'),
    ("hello-bad-version", (b"HELLO", b"4", b"AUTH", b"u", b"p"), b'"HELLO" "4" "AUTH" "u" "p"'),
    ("hello-stops-at-failed-auth", (b"HELLO", b"2", b"AUTH", b"u", b"p", b"AUTH", b"v", b"q"),
     b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "AUTH" "v" "q"'),
    ("hello-short-auth", (b"HELLO", b"2", b"AUTH", b"u"), b'"HELLO" "2" "AUTH" "u"'),
]


@pytest.mark.parametrize("command, shown", [r[1:] for r in REDACTED], ids=[r[0] for r in REDACTED])
def test_auth_arguments_are_redacted(h, command, shown):
    sink = monitor(h)
    h.do(*command)
    assert sink.lines == [b"%s [0 %s] %s\r\n" % (T0, h.session.addr.encode(), shown)]
    h.do(b"PING")
    assert sink.lines[-1] == line(h, b"PING")  # nothing left over for the next command


def test_redaction_is_not_remembered_without_monitors(h):
    h.do(b"AUTH", b"u", b"pw")
    assert "redact" not in h.ctx.extra
    sink = monitor(h)
    h.do(b"ECHO", b"x")
    assert sink.lines == [line(h, b"ECHO", b"x")]


def test_transaction_lines_come_when_exec_runs_them(h):
    sink = monitor(h)
    assert [h.do(b"MULTI"), h.do(b"SET", b"a", b"1"), h.do(b"CONFIG", b"GET", b"x")] == [OK, QUEUED, QUEUED]
    assert sink.lines == [line(h, b"MULTI")]
    h.do(b"EXEC")
    assert sink.lines == [line(h, b"MULTI"), line(h, b"SET", b"a", b"1"), line(h, b"EXEC")]


def test_aborted_transactions_show_multi_and_exec(h):
    sink = monitor(h)
    for command in ((b"MULTI",), (b"SET", b"a", b"1"), (b"NOPE",), (b"EXEC",), (b"EXEC", b"x")):
        h.do(*command)
    assert sink.lines == [line(h, b"MULTI"), line(h, b"EXEC"), line(h, b"EXEC", b"x")]


def test_lines_of_the_monitor_itself_are_marked_own(h):
    sink = monitor(h)
    sink.client.do(b"PING")
    assert sink.own == [True]


# -- monitor mode ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [(b"GET", b"k"), (b"SET", b"k", b"v"), (b"FLUSHALL",), (b"PFCOUNT", b"h")],
                         ids=["get", "set", "flushall", "pfcount"])
def test_a_monitor_cannot_touch_the_keyspace(h, command):
    sink = monitor(h)
    assert sink.client.do(*command) == error("ERR Replica can't interact with the keyspace")


def test_a_monitor_may_ping_and_select(h):
    sink = monitor(h)
    assert sink.client.do(b"PING") == simple("PONG")
    assert sink.client.do(b"SELECT", b"1") == OK


def test_a_second_monitor_gets_no_reply(h):
    sink = monitor(h)
    assert sink.client.do(b"MONITOR") == b""


def test_monitor_inside_exec_is_refused(h):
    h.do(b"MULTI")
    assert h.do(b"MONITOR") == QUEUED
    assert h.do(b"EXEC") == array(error("ERR MONITOR isn't allowed for DENY BLOCKING client"))
    assert not h.session.monitor


def test_a_monitor_in_multi_gets_keyspace_commands_refused_and_aborts(h):
    sink = monitor(h)
    c = sink.client
    assert c.do(b"MULTI") == OK
    assert c.do(b"GET", b"k") == error("ERR Replica can't interact with the keyspace")
    assert c.do(b"EXEC") == error("EXECABORT Transaction discarded because of previous errors.")


def test_reset_leaves_monitor_mode(h):
    sink = monitor(h)
    assert sink.client.do(b"RESET") == simple("RESET")
    assert h.dispatcher.monitors == {}
    assert sink.client.do(b"GET", b"k") == NIL


def test_disconnect_forgets_the_monitor(h):
    sink = monitor(h)
    h.dispatcher.on_disconnect(sink.client.ctx)
    assert h.dispatcher.monitors == {}


def test_client_list_flags_a_monitor(h):
    sink = monitor(h)
    assert b" flags=O " in h.do(b"CLIENT", b"LIST", b"ID", str(sink.session.id).encode())
