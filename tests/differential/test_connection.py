"""Connection group vs real redis-server 7.0.15: PING ECHO QUIT SELECT HELLO AUTH RESET CLIENT.

Normalised (and only there): the client id in HELLO and CLIENT ID replies, and in CLIENT LIST/INFO
lines the fields that must differ between two servers (id, the ports of addr/laddr, fd, age, idle
and the memory/buffer figures). Every other byte, the field order and the line shape included, is
compared. CLIENT REPLY is checked with raw pipelines (a dropped reply has no step to compare), and
CLIENT KILL with extra connections opened on each server.
"""

from __future__ import annotations

import re

import pytest

from tests.support.raw import RawConnection
from tests.support.resp import command

# =============================================================================== normalisers
_HELLO_ID = re.compile(rb"\$2\r\nid\r\n:[0-9]+\r\n")


def hello_id(argv, raw: bytes) -> bytes:
    """HELLO's reply: the value of "id" (the connection's id differs per server)."""
    if argv[0].upper() != b"HELLO" or not raw.startswith((b"*14\r\n$6\r\nserver\r\n", b"%7\r\n$6\r\nserver\r\n")):
        return raw
    return _HELLO_ID.sub(b"$2\r\nid\r\n:<id>\r\n", raw, count=1)


def client_id(argv, raw: bytes) -> bytes:
    """CLIENT ID's integer."""
    if [a.upper() for a in argv] == [b"CLIENT", b"ID"] and re.fullmatch(rb":[0-9]+\r\n", raw):
        return b":<id>\r\n"
    return raw


# field -> how its value is replaced; every other field is compared as is
_VOLATILE = {
    b"id": None, b"fd": None, b"age": None, b"idle": None, b"qbuf": None, b"qbuf-free": None,
    b"argv-mem": None, b"rbs": None, b"rbp": None, b"tot-mem": None,
    b"addr": b"port", b"laddr": b"port",
}
_BLOB = re.compile(rb"([$=])([0-9]+)\r\n")


def _normalise_line(line: bytes) -> bytes:
    fields = []
    for field in line.split(b" "):
        name, eq, value = field.partition(b"=")
        if eq and name in _VOLATILE:
            if _VOLATILE[name] == b"port":
                host, colon, _port = value.rpartition(b":")
                value = host + colon + b"<port>" if colon else value
            else:
                value = b"<n>"
        fields.append(name + eq + value)
    return b" ".join(fields)


def client_lines(argv, raw: bytes) -> bytes:
    """CLIENT LIST / CLIENT INFO (bulk in RESP2, verbatim txt in RESP3): volatile field values."""
    if len(argv) < 2 or argv[0].upper() != b"CLIENT" or argv[1].upper() not in (b"LIST", b"INFO"):
        return raw
    m = _BLOB.match(raw)
    if not m:
        return raw
    start = m.end()
    size = int(m.group(2))
    text = raw[start:start + size]
    prefix = b""
    if m.group(1) == b"=":
        prefix, text = text[:4], text[4:]
    text = b"\n".join(_normalise_line(line) if line else line for line in text.split(b"\n"))
    payload = prefix + text
    return m.group(1) + b"%d\r\n" % len(payload) + payload + raw[start + size:]


NORMALIZE = [hello_id, client_id, client_lines]

# =============================================================================== scripts
SCRIPTS = {
    "ping-echo": [
        ["PING"], ["PING", "hello"], ["PING", ""], ["PING", b"\x00\xff"], ["PING", "a", "b"],
        ["ping"], ["ECHO", "x y"], ["ECHO", ""], ["ECHO"], ["ECHO", "a", "b"],
    ],
    "select": [
        ["SET", "k", "zero"], ["SELECT", "15"], ["GET", "k"], ["SET", "k", "fifteen"],
        ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "abc"], ["SELECT", "01"], ["SELECT", "+1"],
        ["SELECT", " 1"], ["SELECT", "1.0"], ["SELECT", "-0"], ["SELECT", ""],
        ["SELECT", "99999999999999999999"], ["SELECT", "2147483648"], ["SELECT", "-2147483649"],
        ["SELECT", "4294967297"], ["GET", "k"], ["SELECT", "0"], ["GET", "k"], ["SELECT"],
        ["SELECT", "1", "2"],
    ],
    "hello": [
        ["HELLO"], ["HELLO", "3"], ["GET", "missing"], ["HELLO", "2"], ["GET", "missing"],
        ["HELLO", "3"], ["HELLO"], ["CLIENT", "GETNAME"],
    ],
    "hello-errors": [
        ["HELLO", "1"], ["HELLO", "4"], ["HELLO", "-1"], ["HELLO", "0"], ["HELLO", "abc"],
        ["HELLO", "03"], ["HELLO", "3.0"], ["HELLO", ""], ["HELLO", "9223372036854775808"],
        ["HELLO", "5", "SETNAME", "a b"], ["HELLO", "2", "AUTH"], ["HELLO", "2", "AUTH", "default"],
        ["HELLO", "2", "SETNAME"], ["HELLO", "2", "FOO"], ["HELLO", "2", b"F\x00O"],
        ["HELLO", "2", "a\r\nb"], ["HELLO", "3", "SETNAME", "a b"], ["HELLO", "2", "AUTH", "bob", "x"],
        ["HELLO", "x", "AUTH", "default", "pw"], ["GET", "missing"],
    ],
    "hello-options": [
        ["HELLO", "2", "SETNAME", "nm"], ["CLIENT", "GETNAME"],
        ["HELLO", "2", "setname", "n2", "auth", "default", "anything"], ["CLIENT", "GETNAME"],
        ["HELLO", "2", "SETNAME", "n3", "SETNAME", "n4"], ["CLIENT", "GETNAME"],
        ["HELLO", "2", "SETNAME", ""], ["CLIENT", "GETNAME"],
        ["HELLO", "3", "SETNAME", "early", "FOO"], ["CLIENT", "GETNAME"], ["GET", "missing"],
        ["HELLO", "2", "SETNAME", "zz", "AUTH", "bob", "x"], ["CLIENT", "GETNAME"],
        ["HELLO", "2", "AUTH", "default", "x", "AUTH", "default", "y"],
        ["HELLO", "2", b"SETNAME\x00x", "cut"], ["CLIENT", "GETNAME"],
    ],
    "auth-without-password": [
        ["AUTH", "x"], ["AUTH", "default", "x"], ["AUTH", "DEFAULT", "x"], ["AUTH", "bob", "x"],
        ["AUTH", "a", "b", "c"], ["AUTH"], ["PING"],
    ],
    "client-id-name": [
        ["CLIENT", "ID"], ["CLIENT", "ID", "x"], ["CLIENT", "GETNAME"], ["CLIENT", "GETNAME", "x"],
        ["CLIENT", "SETNAME", "a b"], ["CLIENT", "SETNAME", "a\nb"], ["CLIENT", "SETNAME", "a\tb"],
        ["CLIENT", "SETNAME", "é"], ["CLIENT", "SETNAME", b"\x7f"], ["CLIENT", "SETNAME", b"a\x00b"],
        ["CLIENT", "SETNAME", "~"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "!"],
        ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "foo"],
        ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "foo", "bar"], ["CLIENT", "SETNAME"],
        ["client", "getname"],
    ],
    "client-info": [
        ["CLIENT", "INFO"], ["CLIENT", "SETNAME", "me"], ["SELECT", "4"], ["CLIENT", "INFO"],
        ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "INFO"], ["CLIENT", "NO-EVICT", "off"],
        ["HELLO", "3"], ["CLIENT", "INFO"], ["HELLO", "2"], ["CLIENT", "INFO", "x"],
    ],
    "client-list": [
        ["CLIENT", "LIST"], ["CLIENT", "SETNAME", "lister"], ["CLIENT", "LIST"],
        ["CLIENT", "LIST", "TYPE", "normal"], ["CLIENT", "LIST", "type", "NORMAL"],
        ["CLIENT", "LIST", "TYPE", "master"], ["CLIENT", "LIST", "TYPE", "replica"],
        ["CLIENT", "LIST", "TYPE", "slave"], ["CLIENT", "LIST", "TYPE", "pubsub"],
        ["CLIENT", "LIST", "TYPE", "foo"], ["CLIENT", "LIST", "TYPE", b"foo\x00bar"],
        ["CLIENT", "LIST", "TYPE", b"normal\x00x"], ["CLIENT", "LIST", b"type\x00x", "normal"],
        ["CLIENT", "LIST", "TYPE"], ["CLIENT", "LIST", "ID"], ["CLIENT", "LIST", "ID", "abc"],
        ["CLIENT", "LIST", "ID", "0"], ["CLIENT", "LIST", "ID", "-1"],
        ["CLIENT", "LIST", "ID", "999999", "888888"], ["CLIENT", "LIST", "ID", "5", "x"],
        ["CLIENT", "LIST", "FOO"], ["CLIENT", "LIST", "TYPE", "normal", "ID", "5"],
        ["CLIENT", "LIST", "TYPE", "normal", "x"],
    ],
    "client-kill-errors": [
        ["CLIENT", "KILL"], ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID"],
        ["CLIENT", "KILL", "ID", "abc"], ["CLIENT", "KILL", "ID", "0"], ["CLIENT", "KILL", "ID", "-5"],
        ["CLIENT", "KILL", "ID", "99999"], ["CLIENT", "KILL", "ID", "9223372036854775807"],
        ["CLIENT", "KILL", "ID", "9223372036854775808"], ["CLIENT", "KILL", "ID", "99999", "TYPE", "foo"],
        ["CLIENT", "KILL", "TYPE", "foo", "ID", "x"], ["CLIENT", "KILL", "TYPE", b"foo\x00bar"],
        ["CLIENT", "KILL", "USER", "bob"], ["CLIENT", "KILL", "USER", b"default\x00x"],
        ["CLIENT", "KILL", "USER", "default", "SKIPME", "maybe"], ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
        ["CLIENT", "KILL", "LADDR", "1.2.3.4:5"], ["CLIENT", "KILL", "FOO", "bar"],
        ["CLIENT", "KILL", "ID", "1", "ID"], ["CLIENT", "KILL", "MAXAGE", "1"],
        ["CLIENT", "KILL", "TYPE", "master"], ["CLIENT", "KILL", "TYPE", "pubsub"],
        ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"], ["CLIENT", "KILL", b"ID\x00x", "99999"],
        ["PING"],
    ],
    "client-no-evict": [
        ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-EVICT", "OFF"], ["CLIENT", "NO-EVICT", "maybe"],
        ["CLIENT", "NO-EVICT", b"on\x00x"], ["CLIENT", "NO-EVICT"], ["CLIENT", "NO-EVICT", "on", "x"],
        ["CLIENT", "INFO"],
    ],
    "client-reply-errors": [
        ["CLIENT", "REPLY"], ["CLIENT", "REPLY", "foo"], ["CLIENT", "REPLY", "ON"],
        ["CLIENT", "REPLY", "ON", "x"], ["CLIENT", "REPLY", b"on\x00x"],
    ],
    "client-help": [["CLIENT", "HELP"], ["client", "help"], ["CLIENT", "HELP", "x"]],
    "client-unknown-subcommands": [
        ["CLIENT", "SETINFO", "LIB-NAME", "redis-py"], ["CLIENT", "SETINFO", "LIB-VER", "8.1.0"],
        ["CLIENT", "SETINFO"], ["CLIENT", "NO-TOUCH", "on"],
        ["CLIENT", "MAINT_NOTIFICATIONS", "ON", "moving-endpoint-type", "internal-fqdn"],
        ["CLIENT", "NOSUCH"], ["CLIENT"],
    ],
    "reset": [
        ["SET", "k", "v"], ["CLIENT", "SETNAME", "x"], ["SELECT", "3"], ["HELLO", "3"],
        ["CLIENT", "NO-EVICT", "on"], ["RESET"], ["CLIENT", "GETNAME"], ["GET", "k"], ["GET", "missing"],
        ["CLIENT", "INFO"], ["RESET", "x"], ["reset"],
    ],
    "quit": [["PING"], ["QUIT", "with", "args"], ["PING"]],
}

# Replies differ between RESP2 and RESP3 for HELLO, null names, CLIENT LIST/INFO (verbatim).
RESP3_SCRIPTS = ["ping-echo", "hello", "hello-errors", "hello-options", "client-id-name",
                 "client-info", "client-list", "client-no-evict", "client-help", "reset", "quit"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_connection(pair, name):
    pair.check(SCRIPTS[name], normalize=NORMALIZE, name=name)


@pytest.mark.parametrize("name", RESP3_SCRIPTS)
def test_connection_resp3(pair, name):
    pair.check(SCRIPTS[name], normalize=NORMALIZE, resp=3, name=name)


# =============================================================================== requirepass
AUTH_SCRIPTS = {
    "noauth-gate": [
        ["PING"], ["ECHO"], ["NOSUCH"], ["CLIENT", "ID"], ["CLIENT", "SETNAME", "x"], ["CLIENT", "FOO"],
        ["SELECT", "1"], ["CLIENT", "GETNAME"], ["HELLO"], ["HELLO", "3"], ["HELLO", "9"],
        ["HELLO", "3", "SETNAME", "a b"], ["HELLO", "3", "AUTH", "default", "bad"],
        ["HELLO", "3", "AUTH", "bob", "kvfake-secret"], ["AUTH", "bad"], ["AUTH", "default", "bad"],
        ["AUTH", "a", "b", "c"], ["AUTH", "kvfake-secre"], ["RESET"], ["PING"],
    ],
    "auth-then-reset": [
        ["AUTH", "kvfake-secret"], ["PING"], ["SELECT", "3"], ["CLIENT", "SETNAME", "nn"],
        ["AUTH", "bad"], ["PING"], ["RESET"], ["PING"], ["CLIENT", "GETNAME"],
        ["AUTH", "default", "kvfake-secret"], ["CLIENT", "GETNAME"], ["CLIENT", "INFO"],
    ],
    "hello-auth": [
        ["HELLO", "3", "AUTH", "default", "kvfake-secret", "SETNAME", "n2"], ["CLIENT", "INFO"],
        ["GET", "missing"], ["HELLO", "2", "AUTH", "default", "bad"], ["PING"],
    ],
    "hello-setname-before-auth": [
        ["HELLO", "3", "SETNAME", "n1"], ["AUTH", "kvfake-secret"], ["CLIENT", "GETNAME"], ["RESET"],
        ["HELLO", "3", "SETNAME", "n2", "AUTH", "default", "bad"], ["AUTH", "kvfake-secret"],
        ["CLIENT", "GETNAME"],
    ],
    "hello-auth-then-syntax-error": [
        ["HELLO", "3", "AUTH", "default", "kvfake-secret", "FOO"], ["PING"], ["GET", "missing"],
    ],
    "quit-unauthenticated": [["QUIT"], ["PING"]],
}


@pytest.mark.parametrize("name", AUTH_SCRIPTS)
def test_connection_requirepass(auth_pair, name):
    auth_pair.check(AUTH_SCRIPTS[name], normalize=NORMALIZE, name=name)


UNAUTH_LIMITS = {
    "multibulk-count-11": [b"*11\r\n"],
    "multibulk-count-10-ok": [b"*10\r\n$4\r\nPING\r\n"],
    "bulk-16385": [b"*1\r\n$16385\r\n"],
    "bulk-16384-ok": [b"*1\r\n$16384\r\n"],
    "after-commands": [command("PING") + command("ECHO", "x") + b"*12\r\n"],
    "authenticated-no-limit": [command("AUTH", "kvfake-secret") + b"*11\r\n$4\r\nPING\r\n"],
    "inline-not-limited": [b"PING a b c d e f g h i j k\r\n"],
}


@pytest.mark.parametrize("name", UNAUTH_LIMITS)
def test_unauthenticated_protocol_limits(auth_pair, name):
    auth_pair.check_raw(UNAUTH_LIMITS[name], setup=False)


# =============================================================================== CLIENT REPLY
REPLY_PIPELINES = {
    "skip-one": [command("CLIENT", "REPLY", "SKIP"), command("PING", "a"), command("PING", "b")],
    "skip-twice": [command("CLIENT", "REPLY", "SKIP"), command("CLIENT", "REPLY", "SKIP"),
                   command("PING", "c"), command("PING", "d")],
    "off-then-on": [command("CLIENT", "REPLY", "OFF"), command("PING", "e"), command("NOSUCH"),
                    command("CLIENT", "REPLY", "SKIP"), command("PING", "f"), command("CLIENT", "REPLY", "ON"),
                    command("PING", "g")],
    "skip-then-on": [command("CLIENT", "REPLY", "SKIP"), command("CLIENT", "REPLY", "ON"), command("PING")],
    "skip-then-off": [command("CLIENT", "REPLY", "SKIP"), command("CLIENT", "REPLY", "OFF"),
                      command("PING", "h"), command("CLIENT", "REPLY", "ON"), command("PING", "i")],
    "skip-error": [command("CLIENT", "REPLY", "SKIP"), command("NOSUCH"), command("PING", "k")],
    "skip-arity-error": [command("CLIENT", "REPLY", "SKIP"), command("GET"), command("PING", "l")],
    "off-reset": [command("CLIENT", "REPLY", "OFF"), command("RESET"), command("PING", "m")],
    "skip-reset": [command("CLIENT", "REPLY", "SKIP"), command("RESET"), command("PING", "n")],
    "off-syntax-error": [command("CLIENT", "REPLY", "OFF"), command("CLIENT", "REPLY", "foo"),
                         command("CLIENT", "REPLY", "ON"), command("CLIENT", "REPLY", "foo")],
    "skip-in-one-write": [command("CLIENT", "REPLY", "SKIP") + command("PING", "o") + command("PING", "p")],
    "off-quit-stays-open": [command("CLIENT", "REPLY", "OFF"), command("QUIT"), command("PING")],
    "pending-reply-then-silent-quit": [command("PING") + command("CLIENT", "REPLY", "OFF") + command("QUIT")],
    "off-protocol-error-stays-open": [command("CLIENT", "REPLY", "OFF"), b"*1\r\n$x\r\n", command("PING")],
    "skip-protocol-error": [command("CLIENT", "REPLY", "SKIP"), b"*1\r\n$x\r\n"],
    "on-protocol-error-closes": [command("CLIENT", "REPLY", "ON"), b"*1\r\n$x\r\n"],
    "skip-resp3-hello": [command("CLIENT", "REPLY", "SKIP"), command("HELLO", "3"), command("GET", "x")],
}


@pytest.mark.parametrize("name", REPLY_PIPELINES)
def test_client_reply_pipelines(pair, name):
    pair.check_raw(REPLY_PIPELINES[name])


# =============================================================================== CLIENT KILL
def _int(raw: bytes) -> int:
    assert raw[:1] == b":", raw
    return int(raw[1:-2])


def _info_field(raw: bytes, field: bytes) -> bytes:
    text = raw.split(b"\r\n", 1)[1]
    for kv in text.split(b" "):
        name, _, value = kv.partition(b"=")
        if name == field:
            return value
    raise AssertionError(raw)


KILL_FORMS = {
    # name -> function(victim_id, victim_addr, victim_laddr) -> CLIENT KILL argv
    "by-id": lambda i, a, la: ["CLIENT", "KILL", "ID", i],
    "old-form-addr": lambda i, a, la: ["CLIENT", "KILL", a],
    "addr": lambda i, a, la: ["CLIENT", "KILL", "ADDR", a],
    "laddr-and-id": lambda i, a, la: ["CLIENT", "KILL", "LADDR", la, "ID", i],
    "user-and-id": lambda i, a, la: ["CLIENT", "KILL", "USER", "default", "ID", i],
    "type-normal-and-id": lambda i, a, la: ["CLIENT", "KILL", "TYPE", "normal", "ID", i, "SKIPME", "yes"],
    "id-and-wrong-addr": lambda i, a, la: ["CLIENT", "KILL", "ID", i, "ADDR", "1.2.3.4:5"],
    "id-and-type-pubsub": lambda i, a, la: ["CLIENT", "KILL", "ID", i, "TYPE", "pubsub"],
}


def _kill_scenario(server, make_argv) -> list:
    """Killer and victim on ``server``: the kill's reply, whether the victim closed, killer still ok."""
    with RawConnection(server.host, server.port) as killer, RawConnection(server.host, server.port) as victim:
        info = victim.call("CLIENT", "INFO")
        argv = make_argv(str(_int(victim.call("CLIENT", "ID"))), _info_field(info, b"addr"),
                         _info_field(info, b"laddr"))
        reply = killer.call(*argv)
        victim_closed = victim.closed(timeout=0.5) if reply in (b"+OK\r\n", b":1\r\n") else victim.call("PING")
        return [reply, victim_closed, killer.call("PING")]


@pytest.mark.parametrize("name", KILL_FORMS)
def test_client_kill_other_connection(redis_server, kvfake_server, name):
    assert _kill_scenario(kvfake_server, KILL_FORMS[name]) == _kill_scenario(redis_server, KILL_FORMS[name])


def _kill_myself(server, how: str) -> list:
    with RawConnection(server.host, server.port) as conn:
        my_id = str(_int(conn.call("CLIENT", "ID")))
        if how == "old-form":
            argv = ["CLIENT", "KILL", _info_field(conn.call("CLIENT", "INFO"), b"addr")]
        else:
            argv = ["CLIENT", "KILL", "ID", my_id, "SKIPME", how]
        return [conn.call(*argv), conn.closed(timeout=0.3)]


@pytest.mark.parametrize("how", ["no", "yes", "old-form"], ids=["skipme-no", "skipme-yes", "old-form"])
def test_client_kill_myself(redis_server, kvfake_server, how):
    assert _kill_myself(kvfake_server, how) == _kill_myself(redis_server, how)
