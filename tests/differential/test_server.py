"""Differential scripts for the server group: kvfake vs redis-server 7.0.15, raw bytes, RESP2 and RESP3.

Covers DBSIZE FLUSHDB FLUSHALL SWAPDB INFO TIME COMMAND CONFIG LASTSAVE SAVE BGSAVE BGREWRITEAOF
DEBUG, their options and error paths.  Narrow normalisers, all defined here:

- ``_info``: INFO keeps every section header and field name, in order; values that cannot match
  (pids, times, memory, CPU, ports, run ids...) are blanked, the others compared.  Commandstats and
  Latencystats lines are sorted (Redis prints them in its dict's order, different in every process).
  Scripts that look at counters start with CONFIG RESETSTAT, so both servers count the same calls.
- ``_implemented``: COMMAND describes only what kvfake implements, so Redis's COMMAND replies are
  cut down to kvfake's commands (as listed by kvfake's own COMMAND LIST) and both sides' unordered
  parts (all commands, a container's subcommands) are sorted.
- ``_lastsave``: LASTSAVE's integer (each server's own save/start time).

DEBUG needs a Redis started with ``--enable-debug-command yes`` (the session server refuses DEBUG);
kvfake always allows it.  Scripts that change server state (CONFIG SET) restore it themselves.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.differential.conftest import Pair
from tests.support.raw import RawConnection
from tests.support.redis_server import start_redis
from tests.support.resp import RespError, bulk, decode, elements

RESP = pytest.mark.parametrize("resp", [2, 3], ids=["resp2", "resp3"])
INT64_MAX = "9223372036854775807"


# =============================================================================== normalisers
INFO_EXACT = frozenset("""
    redis_version redis_git_sha1 redis_git_dirty redis_mode arch_bits monotonic_clock multiplexing_api
    atomicvar_api process_supervised hz configured_hz config_file io_threads_active
    cluster_connections maxclients blocked_clients tracking_clients clients_in_timeout_table
    maxmemory maxmemory_human maxmemory_policy number_of_cached_scripts number_of_functions
    number_of_libraries
    loading async_loading rdb_bgsave_in_progress rdb_last_bgsave_status rdb_current_bgsave_time_sec
    rdb_saves rdb_last_load_keys_expired rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress
    aof_rewrite_scheduled aof_current_rewrite_time_sec aof_last_bgrewrite_status aof_rewrites
    aof_rewrites_consecutive_failures aof_last_write_status module_fork_in_progress
    module_fork_last_cow_size
    total_commands_processed rejected_connections sync_full sync_partial_ok sync_partial_err
    expired_keys evicted_keys evicted_clients pubsub_channels pubsub_patterns pubsubshard_channels
    total_forks tracking_total_keys tracking_total_items tracking_total_prefixes
    unexpected_error_replies total_error_replies dump_payload_sanitizations
    io_threaded_reads_processed io_threaded_writes_processed
    role connected_slaves master_failover_state master_replid2 master_repl_offset second_repl_offset
    repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen
    cluster_enabled
""".split())
_SORTED_SECTIONS = (b"# Commandstats", b"# Latencystats")
_DB_LINE = re.compile(rb"db[0-9]+\Z")


def _info_value(name: bytes, value: bytes) -> bytes:
    if name.startswith(b"cmdstat_"):
        return re.sub(rb"usec=[0-9]+,usec_per_call=[0-9.]+", b"usec=*,usec_per_call=*", value)
    if name.startswith(b"errorstat_") or name.decode("latin-1") in INFO_EXACT:
        return value
    if _DB_LINE.match(name):
        return re.sub(rb"avg_ttl=[0-9]+", b"avg_ttl=*", value)
    return b"*"


def _info_text(text: bytes) -> bytes:
    out, section = [], []

    def flush():
        if section and section[0] in _SORTED_SECTIONS:
            section[1:] = sorted(section[1:])
        out.extend(section)
        section.clear()

    for line in text.split(b"\r\n"):
        if line.startswith(b"#") or not line:
            flush()
            section.append(line)
            continue
        name, sep, value = line.partition(b":")
        section.append(name + sep + _info_value(name, value))
    flush()
    return b"\r\n".join(out)


def _info(argv, raw: bytes) -> bytes:
    """INFO's text with volatile values blanked (see INFO_EXACT); other replies unchanged."""
    if argv[0].upper() != b"INFO" or raw[:1] not in (b"$", b"="):
        return raw
    head, _, rest = raw.partition(b"\r\n")
    body = rest[:-2]
    prefix = b""
    if raw[:1] == b"=":
        prefix, body = body[:4], body[4:]
    body = prefix + _info_text(body)
    return raw[:1] + b"%d\r\n" % len(body) + body + b"\r\n"


def _lastsave(argv, raw: bytes) -> bytes:
    if argv[0].upper() == b"LASTSAVE" and re.fullmatch(rb":[0-9]+\r\n", raw):
        return b":<unix-time>\r\n"
    return raw


def _rebuild(header: bytes, items: list, per_item: int = 1) -> bytes:
    return header[:1] + b"%d\r\n" % (len(items) // per_item if header[:1] == b"%" else len(items)) + b"".join(items)


def _name_of(raw_entry: bytes) -> bytes:
    _, fields = elements(raw_entry)
    return decode(fields[0])


class _Implemented:
    """Normaliser for COMMAND replies: Redis's cut down to what kvfake implements, sorted."""

    def __init__(self, names: set) -> None:
        self.names = names  # lower-case fullnames, bytes

    def entry(self, raw: bytes) -> bytes:
        """One COMMAND INFO entry: its subcommand entries filtered and sorted."""
        if raw[:1] not in (b"*", b"~"):
            return raw
        header, fields = elements(raw)
        sub_header, subs = elements(fields[9])
        if subs:
            subs = sorted(s for s in subs if _name_of(s) in self.names)
            fields[9] = _rebuild(sub_header, subs)
        return header + b"".join(fields)

    def docs(self, raw: bytes) -> bytes:
        """One COMMAND DOCS map: its "subcommands" map filtered and sorted."""
        header, items = elements(raw)
        for i in range(0, len(items), 2):
            if decode(items[i]) == b"subcommands":
                sub_header, pairs = elements(items[i + 1])
                kept = sorted((k, v) for k, v in zip(pairs[0::2], pairs[1::2]) if decode(k) in self.names)
                items[i + 1] = _rebuild(sub_header, [x for kv in kept for x in kv], 2)
        return header + b"".join(items)

    def __call__(self, argv, raw: bytes) -> bytes:
        if argv[0].upper() != b"COMMAND" or raw[:1] not in (b"*", b"%"):
            return raw
        sub = argv[1].upper() if len(argv) > 1 else b""
        try:
            header, items = elements(raw)
            if sub in (b"", b"INFO"):
                entries = [self.entry(e) for e in items]
                if len(argv) <= 2:
                    entries = sorted(e for e in entries if _name_of(e) in self.names)
                return _rebuild(header, entries)
            if sub == b"DOCS":
                pairs = [(k, self.docs(v)) for k, v in zip(items[0::2], items[1::2])]
                if len(argv) == 2:
                    pairs = sorted(p for p in pairs if decode(p[0]) in self.names)
                return _rebuild(header, [x for kv in pairs for x in kv], 2)
            if sub == b"LIST":
                return _rebuild(header, sorted(i for i in items if decode(i) in self.names))
        except (RespError, IndexError, ValueError):
            pass
        return raw


@pytest.fixture(scope="module")
def implemented(kvfake_server) -> _Implemented:
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        names = set(decode(conn.call("COMMAND", "LIST")))
    return _Implemented(names)


# =============================================================================== keyspace commands
KEYSPACE = {
    "dbsize": [
        ["DBSIZE"],
        ["SET", "a", "1"],
        ["SET", "b", "2"],
        ["dbsize"],
        ["SELECT", "1"],
        ["DBSIZE"],
        ["SET", "c", "3"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE", "x"],
    ],
    "flushdb": [
        ["SET", "a", "1"],
        ["SELECT", "1"],
        ["SET", "b", "1"],
        ["FLUSHDB"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE"],
        ["FLUSHDB", "ASYNC"],
        ["DBSIZE"],
        ["SET", "a", "1"],
        ["flushdb", "sync"],
        ["DBSIZE"],
        ["FLUSHDB", "Async"],
        ["FLUSHDB", "foo"],
        ["FLUSHDB", "ASYNC", "SYNC"],
        ["FLUSHDB", ""],
    ],
    "flushall": [
        ["SET", "a", "1"],
        ["SELECT", "2"],
        ["SET", "b", "1", "EX", "100"],
        ["FLUSHALL"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["DBSIZE"],
        ["FLUSHALL", "x"],
        ["FLUSHALL", "async"],
        ["FLUSHALL", "SYNC"],
        ["FLUSHALL", "SYNC", "extra"],
        ["FLUSHALL", "ASYNC", "ASYNC"],
    ],
    "swapdb": [
        ["SET", "a", "in0"],
        ["SET", "t", "ttl0", "EX", "1000"],
        ["SELECT", "1"],
        ["SET", "a", "in1"],
        ["SET", "b", "only1"],
        ["SWAPDB", "0", "1"],
        ["GET", "a"],
        ["GET", "b"],
        ["TTL", "t"],
        ["DBSIZE"],
        ["SELECT", "0"],
        ["GET", "a"],
        ["GET", "b"],
        ["TTL", "t"],
        ["DBSIZE"],
        ["SWAPDB", "1", "0"],
        ["GET", "a"],
        ["SWAPDB", "0", "0"],
        ["GET", "a"],
        ["SWAPDB", "15", "0"],
        ["DBSIZE"],
        ["SWAPDB", "0", "15"],
        ["DBSIZE"],
    ],
    "swapdb-errors": [
        ["SWAPDB", "0"],
        ["SWAPDB", "0", "1", "2"],
        ["SWAPDB", "a", "1"],
        ["SWAPDB", "0", "b"],
        ["SWAPDB", "a", "b"],
        ["SWAPDB", "-1", "0"],
        ["SWAPDB", "0", "-1"],
        ["SWAPDB", "0", "16"],
        ["SWAPDB", "16", "0"],
        ["SWAPDB", "16", "b"],
        ["SWAPDB", "01", "1"],
        ["SWAPDB", " 1", "1"],
        ["SWAPDB", "1", "1 "],
        ["SWAPDB", "+1", "1"],
        ["SWAPDB", "", "1"],
        ["SWAPDB", "1.5", "0"],
        ["SWAPDB", "2147483647", "0"],
        ["SWAPDB", "2147483648", "0"],
        ["SWAPDB", "-2147483648", "0"],
        ["SWAPDB", "-2147483649", "0"],
        ["SWAPDB", "99999999999999999999", "0"],
        ["SWAPDB", "4294967296", "0"],
    ],
    "time-arity": [
        ["TIME"],
        ["TIME", "x"],
        ["time"],
    ],
    "lastsave": [
        ["LASTSAVE"],
        ["LASTSAVE", "x"],
        ["SAVE"],
        ["LASTSAVE"],
        ["SAVE", "x"],
        ["BGSAVE", "x"],
        ["BGSAVE", "SCHEDULE", "x"],
        ["BGSAVE", ""],
        ["BGREWRITEAOF", "x"],
    ],
}


@RESP
@pytest.mark.parametrize("name", KEYSPACE)
def test_keyspace_and_time(pair, name, resp):
    pair.check(KEYSPACE[name], resp=resp, name=name, normalize=["time", _lastsave])


def _persistence(server) -> dict:
    with RawConnection(server.host, server.port) as conn:
        text = decode(conn.call("INFO", "persistence"))
    return dict(line.split(b":", 1) for line in text.split(b"\r\n") if b":" in line)


def _wait_idle(server) -> None:
    """Until the real server has no BGSAVE / AOF rewrite running (they answer differently meanwhile)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = _persistence(server)
        busy = (info[b"rdb_bgsave_in_progress"], info[b"aof_rewrite_in_progress"],
                info[b"aof_rewrite_scheduled"])
        if busy == (b"0", b"0", b"0"):
            return
        time.sleep(0.02)
    raise AssertionError("redis-server stayed busy saving")


@pytest.mark.parametrize("argv", [["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["bgsave", "schedule"],
                                  ["BGREWRITEAOF"]], ids=" ".join)
def test_background_saves(pair, redis_server, argv):
    _wait_idle(redis_server)
    try:
        pair.check([["SET", "k", "v"], argv, ["LASTSAVE"]], normalize=_lastsave)
    finally:
        _wait_idle(redis_server)


# =============================================================================== INFO
INFO = {
    "sections": [
        ["CONFIG", "RESETSTAT"],
        ["INFO"],
        ["INFO", "default"],
        ["INFO", "DEFAULT"],
        ["INFO", "all"],
        ["INFO", "everything"],
        ["INFO", "server"],
        ["INFO", "SERVER"],
        ["INFO", "server", "server"],
        ["INFO", "server", "clients"],
        ["INFO", "keyspace", "server"],
        ["INFO", "cpu", "cpu"],
        ["INFO", "clients"],
        ["INFO", "memory"],
        ["INFO", "persistence"],
        ["INFO", "stats"],
        ["INFO", "replication"],
        ["INFO", "cpu"],
        ["INFO", "modules"],
        ["INFO", "module_list"],
        ["INFO", "commandstats"],
        ["INFO", "errorstats"],
        ["INFO", "latencystats"],
        ["INFO", "cluster"],
        ["INFO", "keyspace"],
        ["INFO", "Keyspace"],
        ["INFO", "foo"],
        ["INFO", ""],
        ["INFO", "everything", "foo"],
        ["INFO", "all", "keyspace"],
        ["INFO", "default", "commandstats"],
        ["INFO", "default", "latencystats", "keyspace"],
        ["INFO", "all", "default"],
    ],
    "keyspace-lines": [
        ["INFO", "keyspace"],
        ["SET", "a", "1"],
        ["SET", "b", "2", "EX", "100"],
        ["SELECT", "3"],
        ["SET", "c", "1", "PX", "100000"],
        ["SELECT", "15"],
        ["SET", "d", "1"],
        ["INFO", "keyspace"],
        ["FLUSHALL"],
        ["INFO", "keyspace"],
    ],
    "counters": [
        ["CONFIG", "RESETSTAT"],
        ["INFO", "commandstats"],
        ["INFO", "errorstats"],
        ["GET"],
        ["NOSUCH", "x"],
        ["SET", "a", "b"],
        ["SET", "a", "b", "XX", "NX"],
        ["INCR", "a"],
        ["CONFIG", "GET", "x"],
        ["CONFIG", "NOSUCH"],
        ["CLIENT", "SETNAME", "a b"],
        ["OBJECT", "ENCODING", "missing"],
        ["SWAPDB", "0"],
        ["SELECT", "99"],
        ["INFO", "commandstats"],
        ["INFO", "errorstats"],
        ["INFO", "stats"],
        ["INFO", "latencystats"],
        ["CONFIG", "RESETSTAT"],
        ["INFO", "commandstats", "errorstats"],
        ["INFO", "stats"],
    ],
    "persistence-counters": [
        ["CONFIG", "RESETSTAT"],
        ["SAVE"],
        ["INFO", "persistence"],
        ["SAVE"],
        ["INFO", "persistence"],
        ["CONFIG", "RESETSTAT"],
        ["INFO", "persistence"],
    ],
    "expired-keys": [
        ["CONFIG", "RESETSTAT"],
        ["SET", "a", "1", "PX", "1"],
        ["PING"],
        ["CONFIG", "GET", "hz"],
    ],
    "arity-and-case": [
        ["info", "SERVER", "Clients"],
        ["INFO", "everything", "everything"],
    ],
}


@RESP
@pytest.mark.parametrize("name", INFO)
def test_info(pair, name, resp):
    pair.check(INFO[name], resp=resp, name=name, normalize=_info)


def test_info_normaliser_keeps_names_and_order():
    text = b"# Server\r\nredis_version:7.0.15\r\nprocess_id:12\r\n\r\n# Commandstats\r\ncmdstat_set:calls=1," \
           b"usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\ncmdstat_get:calls=2,usec=1,usec_" \
           b"per_call=0.50,rejected_calls=0,failed_calls=0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=1,avg_ttl=99\r\n"
    seen = decode(_info([b"INFO"], bulk(text)))
    assert seen == (b"# Server\r\nredis_version:7.0.15\r\nprocess_id:*\r\n\r\n# Commandstats\r\n"
                    b"cmdstat_get:calls=2,usec=*,usec_per_call=*,rejected_calls=0,failed_calls=0\r\n"
                    b"cmdstat_set:calls=1,usec=*,usec_per_call=*,rejected_calls=0,failed_calls=0\r\n\r\n"
                    b"# Keyspace\r\ndb0:keys=1,expires=1,avg_ttl=*\r\n")
    assert _info([b"GET"], bulk(text)) == bulk(text)


# =============================================================================== COMMAND
COMMAND = {
    "info-some": [
        ["COMMAND", "INFO", "get", "GET", "set", "config|get", "CONFIG|GET", "nosuch", "get|x",
         "client|setname|x", "config|nosuch", "command|info", ""],
        ["COMMAND", "INFO", "config"],
        ["COMMAND", "INFO", "command"],
        ["COMMAND", "INFO", "client", "object"],
    ],
    "docs-some": [
        ["COMMAND", "DOCS", "get", "get", "GET", "nosuch", "get|x", "config|get", "CONFIG|SET"],
        ["COMMAND", "DOCS", "config"],
        ["COMMAND", "DOCS", "client", "command"],
        ["COMMAND", "DOCS", "nosuch"],
    ],
    "all": [
        ["COMMAND"],
        ["COMMAND", "INFO"],
        ["COMMAND", "DOCS"],
        ["COMMAND", "LIST"],
    ],
    "list-filters": [
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "g?t"],
        ["COMMAND", "LIST", "filterby", "pattern", "CONFIG*"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "*|*"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", ""],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "*"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "[a-c]*"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "fast"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "FAST"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "@fast"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "keyspace"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous"],
        ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
        ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
    ],
    "errors": [
        ["COMMAND", "FOO"],
        ["COMMAND", "COUNT", "x"],
        ["COMMAND", "HELP"],
        ["COMMAND", "help"],
        ["COMMAND", "HELP", "x"],
        ["COMMAND", "LIST", "x"],
        ["COMMAND", "LIST", "FILTERBY"],
        ["COMMAND", "LIST", "FILTERBY", "MODULE"],
        ["COMMAND", "LIST", "FILTERBY", "foo", "bar"],
        ["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
        ["COMMAND", "LIST", "notfilterby", "PATTERN", "a"],
        ["COMMAND", "GETKEYS"],
        ["COMMAND", "GETKEYS", "get"],
        ["COMMAND", "GETKEYSANDFLAGS", "get"],
        ["COMMAND", "GETKEYS", "ping"],
    ],
    "getkeys": [
        ["COMMAND", "GETKEYS", "get", "k"],
        ["COMMAND", "GETKEYS", "GET", "k"],
        ["COMMAND", "GETKEYS", "set", "k", "v"],
        ["COMMAND", "GETKEYS", "set", "k", "v", "GET", "EX", "1"],
        ["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"],
        ["COMMAND", "GETKEYS", "mset", "a", "1", "b"],
        ["COMMAND", "GETKEYS", "mget", "a", "b", "c"],
        ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        ["COMMAND", "GETKEYS", "rename", "a", "b"],
        ["COMMAND", "GETKEYS", "copy", "a", "b", "DB", "1"],
        ["COMMAND", "GETKEYS", "object", "encoding", "k"],
        ["COMMAND", "GETKEYS", "lcs", "a", "b"],
        ["COMMAND", "GETKEYS", "ping", "x"],
        ["COMMAND", "GETKEYS", "config", "get"],
        ["COMMAND", "GETKEYS", "config", "get", "x"],
        ["COMMAND", "GETKEYS", "config"],
        ["COMMAND", "GETKEYS", "client", "setname", "x"],
        ["COMMAND", "GETKEYS", "client", "nosub"],
        ["COMMAND", "GETKEYS", "nosuch", "x"],
        ["COMMAND", "GETKEYS", "get", "a", "b"],
        ["COMMAND", "GETKEYS", "set", "k"],
        ["COMMAND", "GETKEYS", "object", "encoding"],
    ],
    "getkeysandflags": [
        ["COMMAND", "GETKEYSANDFLAGS", "get", "k"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "NX"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"],
        ["COMMAND", "GETKEYSANDFLAGS", "set", "k", "get", "v"],
        ["COMMAND", "GETKEYSANDFLAGS", "getex", "k"],
        ["COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b"],
        ["COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"],
        ["COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1"],
        ["COMMAND", "GETKEYSANDFLAGS", "ping", "x"],
        ["COMMAND", "GETKEYSANDFLAGS", "nosuch", "x"],
    ],
}


@RESP
@pytest.mark.parametrize("name", COMMAND)
def test_command(pair, implemented, name, resp):
    pair.check(COMMAND[name], resp=resp, name=name, normalize=implemented)


@RESP
def test_command_info_and_docs_of_every_implemented_command(pair, implemented, resp):
    names = sorted(implemented.names)
    script = [["COMMAND", "INFO", *names], ["COMMAND", "DOCS", *names]]
    script += [["COMMAND", "INFO", n] for n in names] + [["COMMAND", "DOCS", n] for n in names]
    pair.check(script, resp=resp, normalize=implemented)


def test_command_count_is_kvfake_top_level_commands(kvfake_server, implemented):
    top = {n for n in implemented.names if b"|" not in n}
    with RawConnection(kvfake_server.host, kvfake_server.port) as conn:
        assert conn.call("COMMAND", "COUNT") == b":%d\r\n" % len(top)


def test_command_list_is_a_subset_of_redis(redis_server, implemented):
    with RawConnection(redis_server.host, redis_server.port) as conn:
        redis_names = set(decode(conn.call("COMMAND", "LIST")))
    assert implemented.names <= redis_names
    assert b"config|get" in implemented.names and b"command|getkeys" in implemented.names


# =============================================================================== CONFIG
CONFIG = {
    "get": [
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "GET", "MAXMEMORY"],
        ["CONFIG", "GET", "Hash-Max-Ziplist-Entries"],
        ["CONFIG", "GET", "maxmemory", "MAXMEMORY"],
        ["CONFIG", "GET", "maxmemory", "maxmemory*"],
        ["CONFIG", "GET", "maxmemory*", "maxmemory-policy"],
        ["CONFIG", "GET", "nosuch"],
        ["CONFIG", "GET", "nosuch*"],
        ["CONFIG", "GET", "hash-max-*"],
        ["CONFIG", "GET", "HASH-MAX-*"],
        ["CONFIG", "GET", "*ziplist*"],
        ["CONFIG", "GET", "*max*ziplist*", "hash*"],
        ["CONFIG", "GET", "[sz]et-max-*"],
        ["CONFIG", "GET", "?z"],
        ["CONFIG", "GET", "["],
        ["CONFIG", "GET", ""],
        ["CONFIG", "GET", "slave*", "replica*"],
        ["CONFIG", "GET", "lua-time-limit", "busy-reply-threshold"],
        ["CONFIG", "GET", "notify-keyspace-events", "save", "appendonly", "databases"],
        ["CONFIG", "GET"],
        ["CONFIG"],
    ],
    "set-errors": [
        ["CONFIG", "SET"],
        ["CONFIG", "SET", "foo"],
        ["CONFIG", "SET", "maxmemory"],
        ["CONFIG", "SET", "foo", "bar"],
        ["CONFIG", "SET", "foo", "bar", "baz"],
        ["CONFIG", "SET", "maxmemory", "0", "foo"],
        ["CONFIG", "SET", "foo", "1", "databases", "2"],
        ["CONFIG", "SET", "databases", "2", "foo", "1"],
        ["CONFIG", "SET", "DATABASES", "1"],
        ["CONFIG", "SET", "databases", "2", "maxmemory", "x"],
        ["CONFIG", "SET", "maxmemory", "x", "databases", "2"],
        ["CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"],
        ["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2", "databases", "3"],
        ["CONFIG", "SET", "hz", "abc", "hz", "5"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory", "x"],
        ["CONFIG", "GET", "maxmemory-policy"],
        ["CONFIG", "SET", "ZSET-MAX-ZIPLIST-VALUE", "abc"],
        ["CONFIG", "SET", "Hash-Max-Ziplist-Entries", "x"],
        ["CONFIG", "SET", "dir", "/tmp"],
        ["CONFIG", "SET", "dbfilename", "x.rdb"],
        ["CONFIG", "SET", "daemonize", "yes"],
        ["CONFIG", "SET", "port", "abc"],
        ["CONFIG", "SET", "port", "-1"],
        ["CONFIG", "SET", "port", "65536"],
        ["CONFIG", "SET", "tls-port", "-1"],
        ["CONFIG", "SET", "activedefrag", "yes"],
        ["CONFIG", "SET", "activedefrag", "Yes"],
        ["CONFIG", "SET", "activedefrag", "maybe"],
        ["CONFIG", "SET", "activedefrag", "no"],
        ["CONFIG", "SET", "maxmemory-clients", "101%"],
        ["CONFIG", "SET", "maxmemory-clients", "-1%"],
        ["CONFIG", "SET", "maxmemory-clients", "%"],
        ["CONFIG", "SET", "maxmemory-clients", "1gb%"],
        ["CONFIG", "SET", "save", "1"],
        ["CONFIG", "SET", "save", "0 0"],
        ["CONFIG", "SET", "save", "5 1 "],
        ["CONFIG", "SET", "save", " 5 1"],
        ["CONFIG", "SET", "save", "5  1"],
        ["CONFIG", "SET", "save", "1e3 1"],
        ["CONFIG", "SET", "save", "5 1x"],
        ["CONFIG", "SET", "notify-keyspace-events", "X"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA!"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
        ["CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal a 2 3"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 -1"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2 3x"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "abc"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "nan"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "50  99"],
        ["CONFIG", "SET", "oom-score-adj-values", "0 0"],
        ["CONFIG", "SET", "oom-score-adj-values", "0 0 3000"],
        ["CONFIG", "SET", "oom-score-adj-values", "a b c"],
        ["CONFIG", "SET", "cluster-announce-hostname", "a_b"],
        ["CONFIG", "SET", "proc-title-template", "{bad}"],
        ["CONFIG", "SET", "proc-title-template", "{title}"],
        ["CONFIG", "SET", "proc-title-template", ""],
        ["CONFIG", "SET", "maxclients", "0"],
        ["CONFIG", "SET", "list-max-listpack-size", "2147483648"],
        ["CONFIG", "SET", "hash-max-listpack-value", "9223372036854775808"],
        ["CONFIG", "SET", "hash-max-listpack-value", "18446744073709551616"],
    ],
    "set-and-get": [
        ["CONFIG", "SET", "maxmemory", "10mb"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "1k", "maxmemory-policy", "ALLKEYS-LRU"],
        ["CONFIG", "GET", "maxmemory*"],
        ["CONFIG", "SET", "maxmemory", "1KB"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "1g"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "kb"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "18446744073709551616"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "17179869184gb"],
        ["CONFIG", "GET", "maxmemory"],
        ["CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction"],
        ["CONFIG", "SET", "hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"],
        ["CONFIG", "GET", "hash-max-*-entries"],
        ["CONFIG", "SET", "HASH-MAX-ZIPLIST-ENTRIES", "3"],
        ["CONFIG", "GET", "hash-max-*-entries"],
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "Ex"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "g$lshzxetd"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "g$lshzxet"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "AKEmn"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "nmd"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", ""],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "save", "+5 1"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "save", "3600 1 300 100"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "save", "99999999999999999999 0"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "save", ""],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "SET", "hz", "0"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "SET", "hz", "600"],
        ["CONFIG", "GET", "hz"],
        ["CONFIG", "SET", "hz", "10"],
        ["CONFIG", "SET", "loglevel", "NOTICE"],
        ["CONFIG", "GET", "loglevel"],
        ["CONFIG", "SET", "activerehashing", "YES"],
        ["CONFIG", "GET", "activerehashing"],
        ["CONFIG", "SET", "maxmemory-clients", "10%"],
        ["CONFIG", "GET", "maxmemory-clients"],
        ["CONFIG", "SET", "maxmemory-clients", "0%"],
        ["CONFIG", "GET", "maxmemory-clients"],
        ["CONFIG", "SET", "maxmemory-clients", "99999999999999999999"],
        ["CONFIG", "GET", "maxmemory-clients"],
        ["CONFIG", "SET", "maxmemory-clients", "0"],
        ["CONFIG", "SET", "client-output-buffer-limit", "NORMAL 1k 2K 3 Replica 5 6 +7"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", ""],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit",
         "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "1e1 0x10 -0 0.5 1.25 99.9 100"],
        ["CONFIG", "GET", "latency-tracking-info-percentiles"],
        ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"],
        ["CONFIG", "SET", "oom-score-adj-values", "-2000 0 2000"],
        ["CONFIG", "GET", "oom-score-adj-values"],
        ["CONFIG", "SET", "oom-score-adj-values", "0 200 800"],
        ["CONFIG", "SET", "oom-score-adj", "relative"],
        ["CONFIG", "GET", "oom-score-adj"],
        ["CONFIG", "SET", "oom-score-adj", "no"],
        ["CONFIG", "SET", "proc-title-template", "x {title} {port}"],
        ["CONFIG", "GET", "proc-title-template"],
        ["CONFIG", "SET", "proc-title-template", "{title} {listen-addr} {server-mode}"],
        ["CONFIG", "SET", "repl-backlog-size", "1"],
        ["CONFIG", "GET", "repl-backlog-size"],
        ["CONFIG", "SET", "repl-backlog-size", "1mb"],
        ["CONFIG", "SET", "cluster-announce-hostname", "a-b.c"],
        ["CONFIG", "GET", "cluster-announce-hostname"],
        ["CONFIG", "SET", "cluster-announce-hostname", ""],
        ["CONFIG", "SET", "list-max-ziplist-size", "-5"],
        ["CONFIG", "GET", "list-max-*-size"],
        ["CONFIG", "SET", "list-max-ziplist-size", "-2"],
    ],
    "other-subcommands": [
        ["CONFIG", "RESETSTAT"],
        ["CONFIG", "RESETSTAT", "x"],
        ["CONFIG", "REWRITE"],
        ["CONFIG", "REWRITE", "x"],
        ["CONFIG", "HELP"],
        ["config", "help"],
        ["CONFIG", "HELP", "x"],
        ["CONFIG", "foo"],
        ["CONFIG", "foo", "bar"],
    ],
}


@RESP
@pytest.mark.parametrize("name", CONFIG)
def test_config(pair, name, resp):
    pair.check(CONFIG[name], resp=resp, name=name, normalize="sort-pairs")


# Values that cannot be the same: the listening port, the working directory; kvfake always allows DEBUG.
_DIFFERENT = {b"port", b"dir", b"enable-debug-command"}


def _config_all(argv, raw: bytes) -> bytes:
    """CONFIG GET's reply sorted, with the values of _DIFFERENT blanked."""
    header, items = elements(raw)
    pairs = sorted(zip(items[0::2], items[1::2]))
    pairs = [(k, bulk(b"*") if decode(k) in _DIFFERENT else v) for k, v in pairs]
    return header + b"".join(k + v for k, v in pairs)


@RESP
def test_config_get_every_parameter(pair, resp):
    pair.check([["CONFIG", "GET", "*"]], resp=resp, normalize=_config_all)


# CONFIG SET probes: every parameter, safe ones with every probe value (then CONFIG GET); restored.
PROBES = ["yes", "NO", "abc", "-1", "0", "1", "99999999999999999999", "1mb", "10%", "", "1.5", "-5",
          "2147483648", INT64_MAX, "7"]
# Not probed with values: they would move the server, lock clients out or start background work.
UNSAFE = {"port", "bind", "tls-port", "maxclients", "requirepass", "timeout", "appendonly", "tls-cluster",
          "tls-replication", "dir", "dbfilename", "proto-max-bulk-len", "client-query-buffer-limit",
          "masterauth", "masteruser", "enable-debug-command", "maxmemory"}


def _parameters(redis_server) -> dict:
    with RawConnection(redis_server.host, redis_server.port) as conn:
        items = decode(conn.call("CONFIG", "GET", "*"))
    return {k.decode(): v for k, v in zip(items[0::2], items[1::2])}


def test_config_set_probes(pair, redis_server):
    params = _parameters(redis_server)
    script = []
    for name in sorted(params):
        if name in UNSAFE:
            continue
        for value in PROBES:
            script += [["CONFIG", "SET", name, value], ["CONFIG", "GET", name]]
        script.append(["CONFIG", "SET", name, params[name]])
    pair.check(script, normalize="sort-pairs")


def test_config_set_probes_unsafe_values_fail_alike(pair):
    script = [["CONFIG", "SET", "port", "abc"], ["CONFIG", "SET", "port", "65536"],
              ["CONFIG", "SET", "maxclients", "0"], ["CONFIG", "SET", "timeout", "-1"],
              ["CONFIG", "SET", "appendonly", "maybe"], ["CONFIG", "SET", "tls-cluster", "x"],
              ["CONFIG", "SET", "proto-max-bulk-len", "1"], ["CONFIG", "SET", "client-query-buffer-limit", "1k"],
              ["CONFIG", "SET", "maxmemory", "-1"], ["CONFIG", "SET", "maxmemory", "10%"],
              ["CONFIG", "SET", "maxmemory", "1 mb"], ["CONFIG", "SET", "maxmemory", "+1"]]
    pair.check(script)


# =============================================================================== DEBUG
@pytest.fixture(scope="module")
def debug_redis():
    server = start_redis("--enable-debug-command", "yes")
    yield server
    server.stop()


@pytest.fixture
def debug_pair(debug_redis, kvfake_server):
    p = Pair(debug_redis, kvfake_server)
    yield p
    p.close()


DEBUG = {
    "sleep": [
        ["DEBUG", "SLEEP", "0"],
        ["DEBUG", "sleep", "0.01"],
        ["DEBUG", "SLEEP", "abc"],
        ["DEBUG", "SLEEP", "-1"],
        ["DEBUG", "SLEEP", ""],
        ["DEBUG", "SLEEP", "1e-3"],
        ["DEBUG", "SLEEP"],
        ["DEBUG", "SLEEP", "0", "x"],
    ],
    "errors": [
        ["DEBUG"],
        ["DEBUG", "foo"],
        ["DEBUG", "foo", "bar"],
        ["DEBUG", "HELP"],
        ["debug", "help"],
        ["DEBUG", "HELP", "x"],
        ["DEBUG", "set-active-expire"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1", "2"],
    ],
    "active-expire-off": [
        ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        ["SET", "k", "v", "PX", "20"],
        ["SET", "other", "v"],
        ["DEBUG", "SLEEP", "0.15"],  # the key is due and the expiry cycle had its turn: still there
        ["PING"],
        ["DEBUG", "SLEEP", "0.05"],
        ["DBSIZE"],
        ["GET", "k"],
        ["DBSIZE"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "abc"],  # atoi: 0
        ["SET", "k", "v", "PX", "20"],
        ["DEBUG", "SLEEP", "0.15"],
        ["PING"],
        ["DEBUG", "SLEEP", "0.05"],
        ["DBSIZE"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ],
}


@RESP
@pytest.mark.parametrize("name", DEBUG)
def test_debug(debug_pair, name, resp):
    try:
        debug_pair.check(DEBUG[name], resp=resp, name=name)
    finally:
        debug_pair.reset(2)
        debug_pair.step(["DEBUG", "SET-ACTIVE-EXPIRE", "1"])
        debug_pair.close()
