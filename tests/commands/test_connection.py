"""Connection group: PING ECHO QUIT SELECT HELLO AUTH RESET CLIENT.

Most tests run through the in-process harness ``h`` and compare raw bytes; the
reply suppression of CLIENT REPLY and the closing behaviour need a real
connection (``kvfake_server`` + RawConnection); a few tests drive redis-py with
its default settings (RESP3 handshake) and with protocol=2/3.  Texts are
redis-server 7.0.15's (see tests/differential/test_connection.py).
"""

from __future__ import annotations

import re

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from kvfake import Server
from tests.support.raw import RawConnection
from tests.support.resp import (
    NIL,
    OK,
    PONG,
    array,
    bulk,
    command,
    error,
    integer,
    map_,
    null,
    simple,
    verbatim,
)

WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NOAUTH = "NOAUTH Authentication required."
BAD_NAME = "ERR Client names cannot contain spaces, newlines or special characters."


def hello_reply(proto: int, client_id: int, resp: int) -> bytes:
    """HELLO's reply as redis 7.0.15 sends it, in the protocol ``resp`` of the reply."""
    pairs = [
        (bulk(b"server"), bulk(b"redis")),
        (bulk(b"version"), bulk(b"7.0.15")),
        (bulk(b"proto"), integer(proto)),
        (bulk(b"id"), integer(client_id)),
        (bulk(b"mode"), bulk(b"standalone")),
        (bulk(b"role"), bulk(b"master")),
        (bulk(b"modules"), array()),
    ]
    if resp == 3:
        return map_(*pairs)
    return array(*[x for pair in pairs for x in pair])


# The CLIENT LIST line format of redis 7.0.15 (values are checked separately).
CLIENT_LINE = re.compile(
    rb"id=(\d+) addr=127\.0\.0\.1:(\d+) laddr=127\.0\.0\.1:(\d+) fd=(\d+) name=(\S*) "
    rb"age=(\d+) idle=(\d+) flags=([A-Za-z]+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 "
    rb"qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 "
    rb"tot-mem=\d+ events=r cmd=(\S+) user=default redir=-1 resp=([23])\Z"
)


def body(raw: bytes) -> bytes:
    """The text of a bulk ($) or verbatim (=) reply."""
    header, _, rest = raw.partition(b"\r\n")
    assert header[:1] in (b"$", b"="), raw
    text = rest[: int(header[1:])]
    return text[4:] if header[:1] == b"=" else text


def lines(raw: bytes) -> list[dict]:
    """CLIENT LIST/INFO reply -> one dict per line (asserting the exact line shape)."""
    text = body(raw)
    assert text.endswith(b"\n") or text == b""
    out = []
    for line in text.split(b"\n")[:-1]:
        m = CLIENT_LINE.match(line)
        assert m, line
        out.append(dict(kv.split(b"=", 1) for kv in line.split(b" ")))
    return out


# -- PING ECHO ------------------------------------------------------------------

PING_ECHO = [
    ("ping", [b"PING"], PONG, PONG),
    ("ping-message", [b"PING", b"hi"], bulk(b"hi"), bulk(b"hi")),
    ("ping-empty-message", [b"PING", b""], bulk(b""), bulk(b"")),
    ("ping-binary", [b"PING", b"\x00\xff"], bulk(b"\x00\xff"), bulk(b"\x00\xff")),
    ("ping-two-args", [b"PING", b"a", b"b"],
     error("ERR wrong number of arguments for 'ping' command"),
     error("ERR wrong number of arguments for 'ping' command")),
    ("echo", [b"ECHO", b"x y"], bulk(b"x y"), bulk(b"x y")),
    ("echo-no-arg", [b"ECHO"], error("ERR wrong number of arguments for 'echo' command"),
     error("ERR wrong number of arguments for 'echo' command")),
    ("echo-two-args", [b"ECHO", b"a", b"b"],
     error("ERR wrong number of arguments for 'echo' command"),
     error("ERR wrong number of arguments for 'echo' command")),
    ("lower-case", [b"ping"], PONG, PONG),
]


@pytest.mark.parametrize("argv, resp2, resp3", [c[1:] for c in PING_ECHO], ids=[c[0] for c in PING_ECHO])
def test_ping_echo_replies(h, argv, resp2, resp3):
    assert h.do(*argv) == resp2
    h.do(b"HELLO", b"3")
    assert h.do(*argv) == resp3


# -- QUIT SELECT ----------------------------------------------------------------

def test_quit_replies_ok_and_asks_to_close(h):
    assert h.do(b"QUIT") == OK
    assert h.session.close_after_reply


def test_quit_accepts_arguments(h):
    assert h.do(b"QUIT", b"now", b"please") == OK


def test_quit_closes_the_connection(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("QUIT") + command("PING"))
        assert conn.reply() == OK
        assert conn.closed()


SELECT_CASES = [
    ("zero", b"0", OK),
    ("last", b"15", OK),
    ("past-last", b"16", error("ERR DB index is out of range")),
    ("negative", b"-1", error("ERR DB index is out of range")),
    ("word", b"abc", error("ERR value is not an integer or out of range")),
    ("leading-zero", b"01", error("ERR value is not an integer or out of range")),
    ("plus", b"+1", error("ERR value is not an integer or out of range")),
    ("space", b" 1", error("ERR value is not an integer or out of range")),
    ("float", b"1.0", error("ERR value is not an integer or out of range")),
    ("empty", b"", error("ERR value is not an integer or out of range")),
    ("over-int64", b"99999999999999999999", error("ERR value is not an integer or out of range")),
    ("over-int32", b"2147483648",
     error("ERR value is out of range, value must between -2147483648 and 2147483647")),
    ("under-int32", b"-2147483649",
     error("ERR value is out of range, value must between -2147483648 and 2147483647")),
]


@pytest.mark.parametrize("index, expected", [c[1:] for c in SELECT_CASES], ids=[c[0] for c in SELECT_CASES])
def test_select_parses_strictly(h, index, expected):
    assert h.do(b"SELECT", index) == expected


def test_select_switches_database(h):
    h.do(b"SET", b"k", b"zero")
    assert h.do(b"SELECT", b"3") == OK
    assert h.session.db == 3
    assert h.do(b"GET", b"k") == NIL
    h.do(b"SET", b"k", b"three")
    h.do(b"SELECT", b"0")
    assert h.do(b"GET", b"k") == bulk(b"zero")


def test_select_error_keeps_database(h):
    h.do(b"SELECT", b"2")
    h.do(b"SELECT", b"16")
    assert h.session.db == 2


# -- HELLO ----------------------------------------------------------------------

def test_hello_without_version_keeps_resp2(h):
    assert h.do(b"HELLO") == hello_reply(2, h.session.id, 2)
    assert h.session.protover == 2


def test_hello_3_switches_to_resp3_and_replies_in_it(h):
    assert h.do(b"HELLO", b"3") == hello_reply(3, h.session.id, 3)
    assert h.session.protover == 3
    assert h.do(b"GET", b"missing") == null()


def test_hello_2_switches_back(h):
    h.do(b"HELLO", b"3")
    assert h.do(b"HELLO", b"2") == hello_reply(2, h.session.id, 2)
    assert h.do(b"GET", b"missing") == NIL


def test_hello_id_is_the_client_id(h):
    other = h.new_client()
    assert other.do(b"HELLO") == hello_reply(2, other.session.id, 2)
    assert other.session.id != h.session.id


HELLO_ERRORS = [
    ("proto-1", [b"1"], "NOPROTO unsupported protocol version"),
    ("proto-4", [b"4"], "NOPROTO unsupported protocol version"),
    ("proto-negative", [b"-1"], "NOPROTO unsupported protocol version"),
    ("proto-word", [b"abc"], "ERR Protocol version is not an integer or out of range"),
    ("proto-leading-zero", [b"03"], "ERR Protocol version is not an integer or out of range"),
    ("proto-float", [b"3.0"], "ERR Protocol version is not an integer or out of range"),
    ("proto-empty", [b""], "ERR Protocol version is not an integer or out of range"),
    ("proto-before-options", [b"5", b"SETNAME", b"a b"], "NOPROTO unsupported protocol version"),
    ("auth-no-args", [b"2", b"AUTH"], "ERR Syntax error in HELLO option 'AUTH'"),
    ("auth-one-arg", [b"2", b"AUTH", b"default"], "ERR Syntax error in HELLO option 'AUTH'"),
    ("setname-no-arg", [b"2", b"SETNAME"], "ERR Syntax error in HELLO option 'SETNAME'"),
    ("unknown-option", [b"2", b"FOO"], "ERR Syntax error in HELLO option 'FOO'"),
    ("option-cut-at-nul", [b"2", b"F\x00O"], "ERR Syntax error in HELLO option 'F'"),
    ("option-crlf-as-spaces", [b"2", b"a\r\nb"], "ERR Syntax error in HELLO option 'a  b'"),
    ("bad-name", [b"3", b"SETNAME", b"a b"], BAD_NAME),
    ("wrong-user", [b"2", b"AUTH", b"bob", b"x"], WRONGPASS),
]


@pytest.mark.parametrize("args, text", [c[1:] for c in HELLO_ERRORS], ids=[c[0] for c in HELLO_ERRORS])
def test_hello_errors(h, args, text):
    assert h.do(b"HELLO", *args) == error(text)
    assert h.session.protover == 2


def test_hello_setname_sets_the_name(h):
    h.do(b"HELLO", b"3", b"SETNAME", b"worker-1")
    assert h.do(b"CLIENT", b"GETNAME") == bulk(b"worker-1")


def test_hello_setname_empty_removes_the_name(h):
    h.do(b"CLIENT", b"SETNAME", b"x")
    h.do(b"HELLO", b"2", b"SETNAME", b"")
    assert h.do(b"CLIENT", b"GETNAME") == NIL


def test_hello_options_apply_in_order_before_a_later_error(h):
    # redis 7.0.15: SETNAME took effect although the command then failed.
    assert h.do(b"HELLO", b"3", b"SETNAME", b"early", b"FOO") == error(
        "ERR Syntax error in HELLO option 'FOO'")
    assert h.do(b"CLIENT", b"GETNAME") == bulk(b"early")
    assert h.session.protover == 2


def test_hello_auth_default_user_without_password_accepts_anything(h):
    assert h.do(b"HELLO", b"2", b"AUTH", b"default", b"whatever") == hello_reply(2, 1, 2)


def test_hello_options_are_case_insensitive(h):
    assert h.do(b"HELLO", b"3", b"setname", b"n", b"auth", b"default", b"x")[:3] == b"%7\r"
    assert h.session.name == b"n"


# -- AUTH and the NOAUTH gate ---------------------------------------------------

@pytest.fixture
def ha(harness_factory):
    """A harness whose server has requirepass "pw"."""
    return harness_factory(requirepass=b"pw")


def test_auth_without_password_configured(h):
    assert h.do(b"AUTH", b"x") == error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?")


AUTH_NOPASS = [
    ("default-user-any-password", [b"default", b"x"], OK),
    ("unknown-user", [b"bob", b"x"], error(WRONGPASS)),
    ("user-is-case-sensitive", [b"DEFAULT", b"x"], error(WRONGPASS)),
    ("too-many-args", [b"a", b"b", b"c"], error("ERR syntax error")),
    ("no-args", [], error("ERR wrong number of arguments for 'auth' command")),
]


@pytest.mark.parametrize("args, expected", [c[1:] for c in AUTH_NOPASS], ids=[c[0] for c in AUTH_NOPASS])
def test_auth_without_requirepass(h, args, expected):
    assert h.do(b"AUTH", *args) == expected


def test_noauth_before_auth(ha):
    assert not ha.session.authenticated
    assert ha.do(b"PING") == error(NOAUTH)
    assert ha.do(b"CLIENT", b"ID") == error(NOAUTH)
    assert ha.do(b"SELECT", b"1") == error(NOAUTH)


def test_noauth_comes_after_unknown_command_and_arity(ha):
    assert ha.do(b"NOSUCH") == error("ERR unknown command 'NOSUCH', with args beginning with: ")
    assert ha.do(b"ECHO") == error("ERR wrong number of arguments for 'echo' command")
    assert ha.do(b"CLIENT", b"FOO") == error("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")


AUTH_WITH_PASSWORD = [
    ("password-only", [b"pw"], OK),
    ("default-user", [b"default", b"pw"], OK),
    ("wrong-password", [b"bad"], error(WRONGPASS)),
    ("default-user-wrong-password", [b"default", b"bad"], error(WRONGPASS)),
    ("other-user-right-password", [b"bob", b"pw"], error(WRONGPASS)),
    ("password-prefix", [b"p"], error(WRONGPASS)),
]


@pytest.mark.parametrize("args, expected", [c[1:] for c in AUTH_WITH_PASSWORD],
                         ids=[c[0] for c in AUTH_WITH_PASSWORD])
def test_auth_with_requirepass(ha, args, expected):
    assert ha.do(b"AUTH", *args) == expected
    assert ha.session.authenticated == (expected == OK)


def test_auth_then_commands_work(ha):
    ha.do(b"AUTH", b"pw")
    assert ha.do(b"PING") == PONG


def test_failed_auth_keeps_an_authenticated_client_authenticated(ha):
    ha.do(b"AUTH", b"pw")
    assert ha.do(b"AUTH", b"bad") == error(WRONGPASS)
    assert ha.do(b"PING") == PONG


def test_hello_unauthenticated_is_refused(ha):
    assert ha.do(b"HELLO", b"3") == error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time")
    assert ha.session.protover == 2


def test_hello_auth_authenticates_and_switches(ha):
    assert ha.do(b"HELLO", b"3", b"AUTH", b"default", b"pw", b"SETNAME", b"n") == hello_reply(
        3, ha.session.id, 3)
    assert ha.session.authenticated
    assert ha.do(b"CLIENT", b"GETNAME") == bulk(b"n")


def test_hello_auth_wrong_password(ha):
    assert ha.do(b"HELLO", b"3", b"AUTH", b"default", b"bad") == error(WRONGPASS)
    assert ha.do(b"PING") == error(NOAUTH)


def test_hello_auth_stays_although_a_later_option_fails(ha):
    # redis 7.0.15: HELLO 3 AUTH default pw FOO -> syntax error, but authenticated, still RESP2.
    assert ha.do(b"HELLO", b"3", b"AUTH", b"default", b"pw", b"FOO") == error(
        "ERR Syntax error in HELLO option 'FOO'")
    assert ha.do(b"PING") == PONG
    assert ha.session.protover == 2


def test_hello_setname_unauthenticated_still_sets_the_name(ha):
    ha.do(b"HELLO", b"3", b"SETNAME", b"n1")
    ha.do(b"AUTH", b"pw")
    assert ha.do(b"CLIENT", b"GETNAME") == bulk(b"n1")


# -- RESET ----------------------------------------------------------------------

def test_reset_restores_connection_state(h):
    h.do(b"HELLO", b"3", b"SETNAME", b"n")
    h.do(b"SELECT", b"5")
    h.session.reply_mode = "off"
    assert h.do(b"RESET") == simple("RESET")
    assert (h.session.db, h.session.protover, h.session.name, h.session.reply_mode) == (0, 2, b"", "on")
    assert h.do(b"GET", b"missing") == NIL


def test_reset_reply_is_a_status_in_resp3_too(h):
    h.do(b"HELLO", b"3")
    assert h.do(b"RESET") == simple("RESET")


def test_reset_keeps_no_evict(h):
    h.do(b"CLIENT", b"NO-EVICT", b"on")
    h.do(b"RESET")
    assert lines(h.do(b"CLIENT", b"INFO"))[0][b"flags"] == b"e"


def test_reset_deauthenticates_when_a_password_is_set(ha):
    ha.do(b"AUTH", b"pw")
    assert ha.do(b"RESET") == simple("RESET")
    assert ha.do(b"PING") == error(NOAUTH)


def test_reset_keeps_authentication_without_password(h):
    h.do(b"RESET")
    assert h.session.authenticated


def test_reset_arity(h):
    assert h.do(b"RESET", b"x") == error("ERR wrong number of arguments for 'reset' command")


# -- CLIENT ID SETNAME GETNAME --------------------------------------------------

def test_client_id_is_per_connection(h):
    other = h.new_client()
    assert h.do(b"CLIENT", b"ID") == integer(h.session.id)
    assert other.do(b"CLIENT", b"ID") == integer(other.session.id)
    assert h.session.id != other.session.id


def test_client_getname_unset_is_null(h):
    assert h.do(b"CLIENT", b"GETNAME") == NIL
    h.do(b"HELLO", b"3")
    assert h.do(b"CLIENT", b"GETNAME") == null()


def test_client_setname_then_getname(h):
    assert h.do(b"CLIENT", b"SETNAME", b"my-conn") == OK
    assert h.do(b"CLIENT", b"GETNAME") == bulk(b"my-conn")


def test_client_setname_empty_clears(h):
    h.do(b"CLIENT", b"SETNAME", b"x")
    assert h.do(b"CLIENT", b"SETNAME", b"") == OK
    assert h.do(b"CLIENT", b"GETNAME") == NIL


NAMES = [
    ("space", b"a b", False),
    ("newline", b"a\nb", False),
    ("nul", b"a\x00b", False),
    ("del", b"\x7f", False),
    ("utf8", "é".encode(), False),
    ("tab", b"a\tb", False),
    ("bang", b"!", True),
    ("tilde", b"~", True),
    ("punctuation", b"a-b_c.d:e@f", True),
]


@pytest.mark.parametrize("name, ok", [c[1:] for c in NAMES], ids=[c[0] for c in NAMES])
def test_client_setname_charset(h, name, ok):
    h.do(b"CLIENT", b"SETNAME", b"before")
    assert h.do(b"CLIENT", b"SETNAME", name) == (OK if ok else error(BAD_NAME))
    assert h.do(b"CLIENT", b"GETNAME") == bulk(name if ok else b"before")


# -- CLIENT INFO LIST -----------------------------------------------------------

def test_client_info_line(h):
    h.do(b"CLIENT", b"SETNAME", b"me")
    h.do(b"SELECT", b"4")
    raw = h.do(b"CLIENT", b"INFO")
    assert raw.startswith(b"$")
    (line,) = lines(raw)
    assert line[b"id"] == str(h.session.id).encode()
    assert line[b"name"] == b"me"
    assert line[b"db"] == b"4"
    assert line[b"cmd"] == b"client|info"
    assert line[b"flags"] == b"N"
    assert line[b"resp"] == b"2"


def test_client_info_is_verbatim_in_resp3(h):
    h.do(b"HELLO", b"3")
    raw = h.do(b"CLIENT", b"INFO")
    assert raw == verbatim("txt", body(raw))
    assert lines(raw)[0][b"resp"] == b"3"


def test_client_list_shows_every_client_in_id_order(h):
    other = h.new_client()
    other.do(b"SET", b"k", b"v")
    listed = lines(h.do(b"CLIENT", b"LIST"))
    assert [c[b"id"] for c in listed] == [str(h.session.id).encode(), str(other.session.id).encode()]
    assert [c[b"cmd"] for c in listed] == [b"client|list", b"set"]


def test_client_list_age_and_idle_follow_the_clock(h):
    h.new_client()  # a second client in the list
    h.clock.advance(5)
    listed = lines(h.do(b"CLIENT", b"LIST"))
    assert (listed[0][b"age"], listed[0][b"idle"]) == (b"5", b"0")
    assert (listed[1][b"age"], listed[1][b"idle"]) == (b"5", b"5")


def test_client_list_fresh_client_cmd_is_null(h):
    h.new_client()
    assert lines(h.do(b"CLIENT", b"LIST"))[1][b"cmd"] == b"NULL"


def test_client_list_type(h):
    h.new_client()
    assert len(lines(h.do(b"CLIENT", b"LIST", b"TYPE", b"normal"))) == 2
    assert len(lines(h.do(b"CLIENT", b"LIST", b"type", b"NORMAL"))) == 2
    for kind in (b"master", b"replica", b"slave", b"pubsub"):
        assert h.do(b"CLIENT", b"LIST", b"TYPE", kind) == bulk(b"")


def test_client_list_id_in_argument_order_with_repeats(h):
    other = h.new_client()
    ids = [str(other.session.id).encode(), b"999", str(h.session.id).encode(),
           str(other.session.id).encode()]
    listed = lines(h.do(b"CLIENT", b"LIST", b"ID", *ids))
    assert [c[b"id"] for c in listed] == [ids[0], ids[2], ids[3]]


CLIENT_LIST_ERRORS = [
    ("type-unknown", [b"TYPE", b"foo"], "ERR Unknown client type 'foo'"),
    ("type-cut-at-nul", [b"TYPE", b"foo\x00bar"], "ERR Unknown client type 'foo'"),
    ("type-missing", [b"TYPE"], "ERR syntax error"),
    ("type-extra", [b"TYPE", b"normal", b"x"], "ERR syntax error"),
    ("id-missing", [b"ID"], "ERR syntax error"),
    ("id-word", [b"ID", b"abc"], "ERR Invalid client ID"),
    ("id-second-word", [b"ID", b"1", b"x"], "ERR Invalid client ID"),
    ("unknown-option", [b"FOO"], "ERR syntax error"),
]


@pytest.mark.parametrize("args, text", [c[1:] for c in CLIENT_LIST_ERRORS],
                         ids=[c[0] for c in CLIENT_LIST_ERRORS])
def test_client_list_errors(h, args, text):
    assert h.do(b"CLIENT", b"LIST", *args) == error(text)


# -- CLIENT KILL ----------------------------------------------------------------

def test_client_kill_by_id(h):
    other = h.new_client()
    assert h.do(b"CLIENT", b"KILL", b"ID", str(other.session.id).encode()) == integer(1)
    assert other.session.close_after_reply
    assert not h.session.close_after_reply


def test_client_kill_skips_me_by_default(h):
    assert h.do(b"CLIENT", b"KILL", b"ID", str(h.session.id).encode()) == integer(0)
    assert not h.session.close_after_reply


def test_client_kill_skipme_no_kills_me_after_the_reply(h):
    other = h.new_client()
    assert h.do(b"CLIENT", b"KILL", b"TYPE", b"normal", b"SKIPME", b"no") == integer(2)
    assert h.session.close_after_reply and other.session.close_after_reply


def test_client_kill_old_form_by_addr(h):
    other = h.new_client()
    assert h.do(b"CLIENT", b"KILL", other.session.addr.encode()) == OK
    assert other.session.close_after_reply
    assert h.do(b"CLIENT", b"KILL", b"1.2.3.4:5") == error("ERR No such client")


def test_client_kill_old_form_can_kill_me(h):
    assert h.do(b"CLIENT", b"KILL", h.session.addr.encode()) == OK
    assert h.session.close_after_reply


def test_client_kill_filters_combine(h):
    other = h.new_client()
    oid = str(other.session.id).encode()
    assert h.do(b"CLIENT", b"KILL", b"ID", oid, b"ADDR", b"1.2.3.4:5") == integer(0)
    assert h.do(b"CLIENT", b"KILL", b"ID", oid, b"TYPE", b"pubsub") == integer(0)
    assert h.do(b"CLIENT", b"KILL", b"ID", oid, b"LADDR", other.session.laddr.encode(),
                b"USER", b"default", b"ADDR", other.session.addr.encode()) == integer(1)


CLIENT_KILL_ERRORS = [
    ("id-word", [b"ID", b"abc"], "ERR client-id should be greater than 0"),
    ("id-zero", [b"ID", b"0"], "ERR client-id should be greater than 0"),
    ("id-negative", [b"ID", b"-5"], "ERR client-id should be greater than 0"),
    ("id-over-int64", [b"ID", b"9223372036854775808"], "ERR client-id should be greater than 0"),
    ("type-unknown", [b"TYPE", b"foo"], "ERR Unknown client type 'foo'"),
    ("user-unknown", [b"USER", b"bob"], "ERR No such user 'bob'"),
    ("user-with-nul", [b"USER", b"default\x00x"], "ERR No such user 'default'"),
    ("skipme-bad", [b"SKIPME", b"maybe"], "ERR syntax error"),
    ("unknown-option", [b"FOO", b"bar"], "ERR syntax error"),
    ("missing-value", [b"ID", b"1", b"ID"], "ERR syntax error"),
    ("maxage-is-7.4", [b"MAXAGE", b"1"], "ERR syntax error"),
    ("first-error-wins", [b"TYPE", b"foo", b"ID", b"x"], "ERR Unknown client type 'foo'"),
    ("old-form-no-match", [b"ID"], "ERR No such client"),
    ("arity", [], "ERR wrong number of arguments for 'client|kill' command"),
]


@pytest.mark.parametrize("args, text", [c[1:] for c in CLIENT_KILL_ERRORS],
                         ids=[c[0] for c in CLIENT_KILL_ERRORS])
def test_client_kill_errors(h, args, text):
    assert h.do(b"CLIENT", b"KILL", *args) == error(text)


def test_client_kill_over_tcp_closes_the_victim(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as killer, \
            RawConnection(kvfake_server.host, kvfake_server.port) as victim:
        victim_id = victim.call("CLIENT", "ID")[1:-2]
        assert killer.call("CLIENT", "KILL", "ID", victim_id) == integer(1)
        assert victim.closed()
        assert killer.call("PING") == PONG


def test_client_kill_skipme_no_over_tcp_replies_then_closes(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        my_id = conn.call("CLIENT", "ID")[1:-2]
        assert conn.call("CLIENT", "KILL", "ID", my_id, "SKIPME", "no") == integer(1)
        assert conn.closed()


# -- CLIENT NO-EVICT, REPLY, HELP, unknown subcommands ---------------------------

@pytest.mark.parametrize("arg, flags", [(b"on", b"e"), (b"ON", b"e"), (b"off", b"N"), (b"on\x00x", b"e")],
                         ids=["on", "on-upper", "off", "on-cut-at-nul"])
def test_client_no_evict(h, arg, flags):
    assert h.do(b"CLIENT", b"NO-EVICT", arg) == OK
    assert lines(h.do(b"CLIENT", b"INFO"))[0][b"flags"] == flags


def test_client_no_evict_bad_argument(h):
    assert h.do(b"CLIENT", b"NO-EVICT", b"maybe") == error("ERR syntax error")
    assert h.do(b"CLIENT", b"NO-EVICT") == error(
        "ERR wrong number of arguments for 'client|no-evict' command")


@pytest.mark.parametrize("arg, mode, skip", [(b"ON", "on", False), (b"off", "off", False),
                                             (b"skip", "on", True)], ids=["on", "off", "skip"])
def test_client_reply_sets_the_session_mode(h, arg, mode, skip):
    expected = OK if arg == b"ON" else b""   # OFF and SKIP send nothing at all
    assert h.do(b"CLIENT", b"REPLY", arg) == expected
    assert (h.session.reply_mode, h.session.skip_next_reply) == (mode, skip)


def test_client_reply_skip_is_ignored_while_off(h):
    h.do(b"CLIENT", b"REPLY", b"OFF")
    h.do(b"CLIENT", b"REPLY", b"SKIP")
    assert not h.session.skip_next_reply


def test_client_reply_bad_argument(h):
    assert h.do(b"CLIENT", b"REPLY", b"foo") == error("ERR syntax error")
    assert h.do(b"CLIENT", b"REPLY") == error(
        "ERR wrong number of arguments for 'client|reply' command")


def test_client_help_first_and_last_lines(h):
    raw = h.do(b"CLIENT", b"HELP")
    assert raw.startswith(b"*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert raw.endswith(b"+NO-EVICT (ON|OFF)\r\n+    Protect current client connection from eviction.\r\n"
                        b"+HELP\r\n+    Prints this help.\r\n")


# Redis 7.0.15 does not know these (SETINFO and NO-TOUCH are 7.2, MAINT_NOTIFICATIONS is
# redis-py 8's handshake for newer servers).
UNKNOWN_SUBCOMMANDS = [
    ("setinfo-lib-name", [b"SETINFO", b"LIB-NAME", b"redis-py"], "SETINFO"),
    ("setinfo-lib-ver", [b"SETINFO", b"LIB-VER", b"8.1.0"], "SETINFO"),
    ("setinfo-alone", [b"SETINFO"], "SETINFO"),
    ("no-touch", [b"NO-TOUCH", b"on"], "NO-TOUCH"),
    ("maint-notifications", [b"MAINT_NOTIFICATIONS", b"ON", b"moving-endpoint-type", b"internal-fqdn"],
     "MAINT_NOTIFICATIONS"),
]


@pytest.mark.parametrize("args, sub", [c[1:] for c in UNKNOWN_SUBCOMMANDS],
                         ids=[c[0] for c in UNKNOWN_SUBCOMMANDS])
def test_client_subcommands_newer_than_7_0_are_unknown(h, args, sub):
    assert h.do(b"CLIENT", *args) == error(f"ERR unknown subcommand '{sub}'. Try CLIENT HELP.")


def test_client_without_subcommand(h):
    assert h.do(b"CLIENT") == error("ERR wrong number of arguments for 'client' command")


# -- CLIENT REPLY on a real connection (the connection layer drops replies) -------

def test_client_reply_off_then_on(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "OFF") + command("PING", "a") + command("NOSUCH")
                  + command("CLIENT", "REPLY", "ON") + command("PING", "b"))
        assert conn.reply() == OK
        assert conn.reply() == bulk(b"b")


def test_client_reply_skip_drops_exactly_the_next_reply(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "SKIP") + command("PING", "a") + command("PING", "b"))
        assert conn.reply() == bulk(b"b")
        # SKIP twice: the second SKIP's own (empty) reply is the skipped one, then c is dropped
        conn.send(command("CLIENT", "REPLY", "SKIP") + command("CLIENT", "REPLY", "SKIP")
                  + command("PING", "c") + command("PING", "d"))
        assert conn.reply() == bulk(b"d")


def test_client_reply_skip_then_on_replies_ok(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "SKIP") + command("CLIENT", "REPLY", "ON")
                  + command("PING"))
        assert conn.replies(2) == [OK, PONG]


def test_client_reply_off_reset_replies(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "OFF") + command("RESET") + command("PING"))
        assert conn.replies(2) == [simple("RESET"), PONG]


def test_client_reply_skip_swallows_reset(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "SKIP") + command("RESET") + command("PING", "x"))
        assert conn.reply() == bulk(b"x")


def test_client_reply_off_quit_leaves_the_connection_open(kvfake_server):
    # redis 7.0.15: nothing is written, so the close-after-reply never happens; input is ignored.
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "OFF") + command("QUIT") + command("PING"))
        assert not conn.closed(timeout=0.3)
        assert conn.read_available(quiet=0.1) == b""


def test_client_reply_off_protocol_error_is_silent(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("CLIENT", "REPLY", "OFF") + b"*1\r\n$x\r\n")
        assert not conn.closed(timeout=0.3)
        assert conn.read_available(quiet=0.1) == b""


def test_pending_reply_is_written_before_a_silent_quit_closes(kvfake_server):
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        conn.send(command("PING") + command("CLIENT", "REPLY", "OFF") + command("QUIT"))
        assert conn.reply() == PONG
        assert conn.closed()


# -- redis-py end to end --------------------------------------------------------

def test_redis_py_default_client_connects(kvfake_server):
    # redis-py 8 sends HELLO 3, CLIENT MAINT_NOTIFICATIONS and two CLIENT SETINFO on
    # connect; 7.0.15 refuses the last three and redis-py carries on.
    with redis.Redis(host=kvfake_server.host, port=kvfake_server.port) as r:
        assert r.ping() is True
        assert r.set("k", "v") is True
        assert r.get("k") == b"v"
        assert r.client_info()["resp"] == "3"
    assert not kvfake_server.errors


def _str(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_connection_commands(kvfake_server, protocol):
    with redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol,
                     client_name="e2e", db=2) as r:
        assert _str(r.client_getname()) == "e2e"  # str in RESP2, bytes in RESP3 (redis-py)
        assert r.echo("hi") == b"hi"
        my_id = r.client_id()
        (me,) = [c for c in r.client_list() if c["id"] == str(my_id)]
        assert me["name"] == "e2e" and me["db"] == "2" and me["resp"] == str(protocol)
        assert r.client_info()["id"] == my_id
        assert r.client_setname("renamed") is True
        assert _str(r.client_getname()) == "renamed"
        assert r.client_no_evict("on") in (True, b"OK", "OK")
        with pytest.raises(redis.ResponseError, match="Client names cannot contain"):
            r.client_setname("a b")


def test_redis_py_client_kill(kvfake_server):
    with redis.Redis(host=kvfake_server.host, port=kvfake_server.port) as a, \
            redis.Redis(host=kvfake_server.host, port=kvfake_server.port, retry_on_error=[]) as b:
        b_id = b.client_id()
        assert a.client_kill_filter(_id=b_id) == 1
        assert a.ping() is True


# -- requirepass end to end -----------------------------------------------------

def test_requirepass_server_end_to_end():
    server = Server(requirepass="pw")
    server.start()
    try:
        with RawConnection(server.host, server.port) as conn:
            assert conn.call("PING") == error(NOAUTH)
            assert conn.call("AUTH", "bad") == error(WRONGPASS)
            raw = conn.call("HELLO", "3", "AUTH", "default", "pw")
            my_id = int(conn.call("CLIENT", "ID")[1:-2])
            assert raw == hello_reply(3, my_id, 3)
            assert conn.call("GET", "missing") == null()
        with redis.Redis(host=server.host, port=server.port, password="pw") as r:
            assert r.ping() is True
            assert r.client_info()["resp"] == "3"
        with redis.Redis(host=server.host, port=server.port, password="pw", protocol=2) as r:
            assert r.set("k", "v") is True
        no_retry = Retry(NoBackoff(), 0)   # redis-py retries auth errors with backoff by default
        with pytest.raises(redis.AuthenticationError, match="^invalid username-password pair"):
            redis.Redis(host=server.host, port=server.port, password="nope", retry=no_retry).ping()
        with pytest.raises(redis.AuthenticationError, match="^HELLO must be called with the client"):
            redis.Redis(host=server.host, port=server.port, retry=no_retry).ping()
        assert not server.errors
    finally:
        server.stop()


@pytest.mark.parametrize("payload, text", [
    (b"*11\r\n", "ERR Protocol error: unauthenticated multibulk length"),
    (b"*1\r\n$16385\r\n", "ERR Protocol error: unauthenticated bulk length"),
], ids=["multibulk-count", "bulk-length"])
def test_requirepass_unauthenticated_protocol_limits(payload, text):
    with Server(requirepass="pw") as server:
        with RawConnection(server.host, server.port) as conn:
            conn.send(payload)
            assert conn.reply() == error(text)
            assert conn.closed()
        with RawConnection(server.host, server.port) as conn:
            assert conn.call("AUTH", "pw") == OK
            conn.send(payload)          # the limits are gone once authenticated
            assert not conn.closed(timeout=0.2)
