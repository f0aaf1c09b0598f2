"""Server group: DBSIZE FLUSHDB FLUSHALL SWAPDB INFO TIME COMMAND CONFIG LASTSAVE SAVE BGSAVE BGREWRITEAOF
DEBUG, through the in-process harness (raw bytes, ManualClock time), plus redis-py end to end.

Texts and shapes are redis-server 7.0.15's (tests/differential/test_server.py compares them live);
the expected GETKEYS results for commands kvfake does not implement yet were taken from the real
server and run here on a table with stub registrations of those commands.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import redis

from kvfake.commands import GROUPS, TABLE, meta
from kvfake.commands import server as server_module
from kvfake.commands.registry import CommandGroup, CommandTable
from kvfake.config import Config, memtoull, notify_flags
from kvfake.store.values import Hash
from tests.support.harness import START
from tests.support.raw import RawConnection
from tests.support.resp import (
    NIL,
    OK,
    array,
    bulk,
    decode,
    error,
    integer,
    map_,
    null,
    set_,
    simple,
    verbatim,
)

NOW_MS = START * 1000
SYNTAX = "ERR syntax error"
OUT_OF_RANGE = "ERR DB index is out of range"


def resp3(h):
    h.session.protover = 3
    return h


def info(h, *sections) -> dict:
    """INFO as {section header: [(field, value), ...]}."""
    text = decode(h.do(b"INFO", *sections)).decode()
    out: dict = {}
    current = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = out.setdefault(line[2:], [])
        elif line:
            field, _, value = line.partition(":")
            current.append((field, value))
    return out


def field(h, section: str, name: str) -> str:
    return dict(info(h, section.lower())[section])[name]


class Watcher:
    dirty = False


def watch(h, key: bytes, db: int = 0) -> Watcher:
    watcher = Watcher()
    h.store.watchers.setdefault((db, key), set()).add(watcher)
    return watcher


# -- DBSIZE ---------------------------------------------------------------------------------------


def test_dbsize_counts_the_selected_db(h):
    assert h.do(b"DBSIZE") == integer(0)
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"b", b"1")
    assert h.do(b"DBSIZE") == integer(2)
    h.do(b"SELECT", b"1")
    assert h.do(b"DBSIZE") == integer(0)


def test_dbsize_counts_expired_keys_until_they_are_removed(h):
    # redis: DBSIZE is the dict size; an expired key stays until a lookup or the sweep removes it
    h.do(b"SET", b"k", b"v", b"PX", b"10")
    h.clock.advance(1)
    assert h.do(b"DBSIZE") == integer(1)
    assert h.do(b"GET", b"k") == NIL
    assert h.do(b"DBSIZE") == integer(0)


# -- FLUSHDB FLUSHALL --------------------------------------------------------------------------------


def test_flushdb_empties_only_the_selected_db(h):
    h.do(b"SET", b"a", b"1", b"EX", b"100")
    h.do(b"SELECT", b"1")
    h.do(b"SET", b"b", b"1")
    assert h.do(b"FLUSHDB") == OK
    assert h.store.keys(1) == []
    assert h.store.keys(0) == [b"a"]


def test_flushall_empties_every_db(h):
    for db in (0, 5, 15):
        h.store.set(db, f"k{db}", "v", ttl=100)
    assert h.do(b"FLUSHALL") == OK
    assert [h.store.dbsize(db) for db in range(16)] == [0] * 16
    assert all(not db.expires for db in h.store.dbs)


@pytest.mark.parametrize("command", [b"FLUSHDB", b"FLUSHALL"])
@pytest.mark.parametrize("option", [b"ASYNC", b"async", b"SYNC", b"Sync"])
def test_flush_accepts_async_and_sync(h, command, option):
    h.do(b"SET", b"a", b"1")
    assert h.do(command, option) == OK
    assert h.do(b"DBSIZE") == integer(0)


FLUSH_ERRORS = [
    ([b"foo"], error(SYNTAX)),
    ([b""], error(SYNTAX)),
    ([b"ASYNC", b"SYNC"], error(SYNTAX)),
    ([b"SYNC", b"extra"], error(SYNTAX)),
]


@pytest.mark.parametrize("command", [b"FLUSHDB", b"FLUSHALL"])
@pytest.mark.parametrize("args, expected", FLUSH_ERRORS, ids=[b" ".join(a).decode() or "empty" for a, _ in FLUSH_ERRORS])
def test_flush_syntax_errors_keep_the_data(h, command, args, expected):
    h.do(b"SET", b"a", b"1")
    assert h.do(command, *args) == expected
    assert h.do(b"DBSIZE") == integer(1)


def test_flushdb_touches_watched_keys(h):
    h.do(b"SET", b"a", b"1")
    watcher = watch(h, b"a")
    h.do(b"FLUSHDB")
    assert watcher.dirty


def test_flush_counts_as_changes_since_last_save(h):
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"b", b"1")
    h.do(b"SAVE")
    h.do(b"FLUSHDB")
    assert field(h, "Persistence", "rdb_changes_since_last_save") == "2"
    h.do(b"SET", b"a", b"1")
    h.do(b"FLUSHALL")  # redis 7.0: the keys removed, plus one
    assert field(h, "Persistence", "rdb_changes_since_last_save") == "5"


# -- SWAPDB -----------------------------------------------------------------------------------------


def test_swapdb_swaps_data_and_ttls(h):
    h.store.set(0, "a", "in0", ttl=100)
    h.store.set(1, "a", "in1")
    h.store.set(1, "b", "only1")
    assert h.do(b"SWAPDB", b"0", b"1") == OK
    assert h.do(b"GET", b"a") == bulk(b"in1")
    assert h.do(b"GET", b"b") == bulk(b"only1")
    assert h.do(b"TTL", b"a") == integer(-1)
    assert h.store.ttl(1, "a") == 100.0


def test_swapdb_is_seen_by_clients_selected_on_either_db(h):
    other = h.new_client()
    other.do(b"SELECT", b"1")
    h.store.set(0, "k", "from0")
    h.do(b"SWAPDB", b"1", b"0")
    assert other.do(b"GET", b"k") == bulk(b"from0")
    assert h.do(b"GET", b"k") == NIL


def test_swapdb_same_index_is_ok(h):
    h.store.set(3, "k", "v")
    assert h.do(b"SWAPDB", b"3", b"3") == OK
    assert h.store.get(3, "k") == b"v"


def test_swapdb_touches_watched_keys_present_on_either_side(h):
    h.store.set(0, "here", "v")
    h.store.set(1, "there", "v")
    here, there, absent = watch(h, b"here", 0), watch(h, b"there", 0), watch(h, b"nowhere", 1)
    h.do(b"SWAPDB", b"0", b"1")
    assert (here.dirty, there.dirty, absent.dirty) == (True, True, False)


SWAPDB_ERRORS = [
    (b"a", b"1", "ERR invalid first DB index"),
    (b"0", b"b", "ERR invalid second DB index"),
    (b"a", b"b", "ERR invalid first DB index"),
    (b"16", b"b", "ERR invalid second DB index"),
    (b"-1", b"0", OUT_OF_RANGE),
    (b"0", b"-1", OUT_OF_RANGE),
    (b"0", b"16", OUT_OF_RANGE),
    (b"16", b"0", OUT_OF_RANGE),
    (b"01", b"1", "ERR invalid first DB index"),
    (b" 1", b"1", "ERR invalid first DB index"),
    (b"+1", b"1", "ERR invalid first DB index"),
    (b"", b"1", "ERR invalid first DB index"),
    (b"1.5", b"0", "ERR invalid first DB index"),
    (b"2147483647", b"0", OUT_OF_RANGE),
    (b"2147483648", b"0", "ERR invalid first DB index"),
    (b"-2147483648", b"0", OUT_OF_RANGE),
    (b"-2147483649", b"0", "ERR invalid first DB index"),
    (b"99999999999999999999", b"0", "ERR invalid first DB index"),
]


@pytest.mark.parametrize("i, j, text", SWAPDB_ERRORS, ids=[f"{i!r}-{j!r}" for i, j, _ in SWAPDB_ERRORS])
def test_swapdb_errors(h, i, j, text):
    assert h.do(b"SWAPDB", i, j) == error(text)


# -- TIME LASTSAVE SAVE BGSAVE BGREWRITEAOF ---------------------------------------------------------


def test_time_reads_the_clock(h):
    assert h.do(b"TIME") == array(bulk(b"1700000000"), bulk(b"0"))
    h.clock.advance(1.25)
    assert h.do(b"TIME") == array(bulk(b"1700000001"), bulk(b"250000"))
    h.clock.set(1_700_000_100.000007)
    assert h.do(b"TIME") == array(bulk(b"1700000100"), bulk(b"7"))


def test_lastsave_is_the_start_time_until_a_save(h):
    h.clock.advance(50)
    assert h.do(b"LASTSAVE") == integer(START)


@pytest.mark.parametrize("argv, reply", [
    ([b"SAVE"], OK),
    ([b"BGSAVE"], simple("Background saving started")),
    ([b"BGSAVE", b"SCHEDULE"], simple("Background saving started")),
    ([b"bgsave", b"schedule"], simple("Background saving started")),
], ids=["save", "bgsave", "bgsave-schedule", "lower-case"])
def test_saves_reply_and_move_lastsave(h, argv, reply):
    h.clock.advance(50)
    assert h.do(*argv) == reply
    assert h.do(b"LASTSAVE") == integer(START + 50)
    assert field(h, "Persistence", "rdb_saves") == "1"


def test_bgrewriteaof_replies_started(h):
    assert h.do(b"BGREWRITEAOF") == simple("Background append only file rewriting started")
    persistence = dict(info(h, "persistence")["Persistence"])
    assert (persistence["aof_rewrites"], persistence["aof_last_rewrite_time_sec"]) == ("1", "0")
    assert field(h, "Stats", "total_forks") == "1"


@pytest.mark.parametrize("argv", [[b"BGSAVE", b"x"], [b"BGSAVE", b"SCHEDULE", b"x"], [b"BGSAVE", b""]],
                         ids=["bad-option", "extra", "empty"])
def test_bgsave_syntax_errors(h, argv):
    assert h.do(*argv) == error(SYNTAX)


def test_save_resets_changes_since_last_save(h):
    h.do(b"SET", b"a", b"1")
    h.do(b"SET", b"a", b"2")
    assert field(h, "Persistence", "rdb_changes_since_last_save") == "2"
    h.do(b"SAVE")
    assert field(h, "Persistence", "rdb_changes_since_last_save") == "0"


def test_flushall_saves_when_save_points_are_configured(h):
    h.do(b"CONFIG", b"SET", b"save", b"100 1")
    h.clock.advance(7)
    h.do(b"FLUSHALL")
    assert h.do(b"LASTSAVE") == integer(START + 7)


# -- DEBUG --------------------------------------------------------------------------------------------


@pytest.fixture
def slept(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(server_module.time, "sleep", calls.append)
    return calls


SLEEPS = [
    (b"0.5", [0.5]), (b"2", [2.0]), (b"1e-3", [0.001]), (b" 2", [2.0]), (b"3x", [3.0]),
    (b"0", []), (b"abc", []), (b"-1", []), (b"", []), (b"inf", []), (b"nan", []),
]


@pytest.mark.parametrize("arg, calls", SLEEPS, ids=[repr(a) for a, _ in SLEEPS])
def test_debug_sleep_parses_like_strtod(h, slept, arg, calls):
    assert h.do(b"DEBUG", b"SLEEP", arg) == OK
    assert slept == calls


def test_debug_sleep_holds_the_store_lock(h, monkeypatch):
    seen = []
    monkeypatch.setattr(server_module.time, "sleep", lambda s: seen.append(h.store.lock._is_owned()))
    h.do(b"DEBUG", b"sleep", b"0.01")
    assert seen == [True]


def test_debug_set_active_expire_turns_the_sweep_off_and_on(h):
    h.do(b"SET", b"k", b"v", b"PX", b"10")
    assert h.do(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0") == OK
    h.clock.advance(1)
    assert h.store.active_expire_step() == 0
    assert b"k" in h.store.dbs[0].data
    assert h.do(b"DEBUG", b"set-active-expire", b"1") == OK
    assert h.store.active_expire_step() == 1


@pytest.mark.parametrize("arg, enabled", [(b"1", True), (b"0", False), (b"abc", False), (b"2", True),
                                          (b" 1", True), (b"-1", True), (b"0x1", False), (b"", False)],
                         ids=lambda v: repr(v))
def test_debug_set_active_expire_parses_like_atoi(h, arg, enabled):
    h.do(b"DEBUG", b"SET-ACTIVE-EXPIRE", arg)
    assert h.store.active_expire_enabled is enabled


DEBUG_ERRORS = [
    [b"foo"], [b"foo", b"bar"], [b"SLEEP"], [b"SLEEP", b"0", b"x"], [b"set-active-expire"],
    [b"SET-ACTIVE-EXPIRE", b"1", b"2"], [b"help", b"x"], [b"JMAP"],
]


@pytest.mark.parametrize("args", DEBUG_ERRORS, ids=[b" ".join(a).decode() for a in DEBUG_ERRORS])
def test_debug_unknown_subcommands(h, args):
    text = f"ERR unknown subcommand or wrong number of arguments for '{args[0].decode()}'. Try DEBUG HELP."
    assert h.do(b"DEBUG", *args) == error(text)


def test_debug_help_is_redis_text(h):
    lines = decode(h.do(b"DEBUG", b"HELP"))
    assert len(lines) == 106
    assert lines[0] == b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"SLEEP <seconds>" in lines and b"SET-ACTIVE-EXPIRE <0|1>" in lines
    assert lines[-2:] == [b"HELP", b"    Prints this help."]


def test_debug_sleep_blocks_every_client(kvfake_server):
    # the sleeper's reply is sent before the other client's PING is even read
    with RawConnection(kvfake_server.host, kvfake_server.port) as sleeper, \
            RawConnection(kvfake_server.host, kvfake_server.port) as other:
        sleeper.send(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n")
        assert sleeper.readable(timeout=0) is False
        assert other.call("PING") == b"+PONG\r\n"
        assert sleeper.readable(timeout=0)
        assert sleeper.reply() == OK


# -- INFO ---------------------------------------------------------------------------------------------

DEFAULT_HEADERS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
                   "Errorstats", "Cluster", "Keyspace"]
ALL_HEADERS = DEFAULT_HEADERS[:8] + ["Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]
SECTIONS = [
    ([], DEFAULT_HEADERS),
    ([b"default"], DEFAULT_HEADERS),
    ([b"DEFAULT"], DEFAULT_HEADERS),
    ([b"all"], ALL_HEADERS),
    ([b"everything"], ALL_HEADERS),
    ([b"everything", b"foo"], ALL_HEADERS),
    ([b"all", b"keyspace"], ALL_HEADERS),
    ([b"server"], ["Server"]),
    ([b"SERVER"], ["Server"]),
    ([b"server", b"server"], ["Server"]),
    ([b"keyspace", b"server"], ["Server", "Keyspace"]),
    ([b"cpu", b"clients"], ["Clients", "CPU"]),
    ([b"modules"], ["Modules"]),
    ([b"module_list"], ["Modules"]),
    ([b"commandstats"], ["Commandstats"]),
    ([b"latencystats"], ["Latencystats"]),
    ([b"default", b"commandstats"], DEFAULT_HEADERS[:8] + ["Commandstats"] + DEFAULT_HEADERS[8:]),
    ([b"foo"], []),
]


@pytest.mark.parametrize("args, headers", SECTIONS, ids=[b" ".join(a).decode() or "none" for a, _ in SECTIONS])
def test_info_sections(h, args, headers):
    assert list(info(h, *args)) == headers


# redis-server 7.0.15 `INFO everything`, field names in order (sections with fixed fields)
FIELDS = {
    "Server": """
        redis_version redis_git_sha1 redis_git_dirty redis_build_id redis_mode os arch_bits
        monotonic_clock multiplexing_api atomicvar_api gcc_version process_id process_supervised
        run_id tcp_port server_time_usec uptime_in_seconds uptime_in_days hz configured_hz lru_clock
        executable config_file io_threads_active
    """.split(),
    "Clients": """
        connected_clients cluster_connections maxclients client_recent_max_input_buffer
        client_recent_max_output_buffer blocked_clients tracking_clients clients_in_timeout_table
    """.split(),
    "Memory": """
        used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak
        used_memory_peak_human used_memory_peak_perc used_memory_overhead used_memory_startup
        used_memory_dataset used_memory_dataset_perc allocator_allocated allocator_active
        allocator_resident total_system_memory total_system_memory_human used_memory_lua
        used_memory_vm_eval used_memory_lua_human used_memory_scripts_eval number_of_cached_scripts
        number_of_functions number_of_libraries used_memory_vm_functions used_memory_vm_total
        used_memory_vm_total_human used_memory_functions used_memory_scripts
        used_memory_scripts_human maxmemory maxmemory_human maxmemory_policy allocator_frag_ratio
        allocator_frag_bytes allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio
        rss_overhead_bytes mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict
        mem_replication_backlog mem_total_replication_buffers mem_clients_slaves mem_clients_normal
        mem_cluster_links mem_aof_buffer mem_allocator active_defrag_running
        lazyfree_pending_objects lazyfreed_objects
    """.split(),
    "Persistence": """
        loading async_loading current_cow_peak current_cow_size current_cow_size_age
        current_fork_perc current_save_keys_processed current_save_keys_total
        rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_save_time rdb_last_bgsave_status
        rdb_last_bgsave_time_sec rdb_current_bgsave_time_sec rdb_saves rdb_last_cow_size
        rdb_last_load_keys_expired rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress
        aof_rewrite_scheduled aof_last_rewrite_time_sec aof_current_rewrite_time_sec
        aof_last_bgrewrite_status aof_rewrites aof_rewrites_consecutive_failures
        aof_last_write_status aof_last_cow_size module_fork_in_progress module_fork_last_cow_size
    """.split(),
    "Stats": """
        total_connections_received total_commands_processed instantaneous_ops_per_sec
        total_net_input_bytes total_net_output_bytes total_net_repl_input_bytes
        total_net_repl_output_bytes instantaneous_input_kbps instantaneous_output_kbps
        instantaneous_input_repl_kbps instantaneous_output_repl_kbps rejected_connections sync_full
        sync_partial_ok sync_partial_err expired_keys expired_stale_perc
        expired_time_cap_reached_count expire_cycle_cpu_milliseconds evicted_keys evicted_clients
        total_eviction_exceeded_time current_eviction_exceeded_time keyspace_hits keyspace_misses
        pubsub_channels pubsub_patterns pubsubshard_channels latest_fork_usec total_forks
        migrate_cached_sockets slave_expires_tracked_keys active_defrag_hits active_defrag_misses
        active_defrag_key_hits active_defrag_key_misses total_active_defrag_time
        current_active_defrag_time tracking_total_keys tracking_total_items tracking_total_prefixes
        unexpected_error_replies total_error_replies dump_payload_sanitizations
        total_reads_processed total_writes_processed io_threaded_reads_processed
        io_threaded_writes_processed reply_buffer_shrinks reply_buffer_expands
    """.split(),
    "Replication": """
        role connected_slaves master_failover_state master_replid master_replid2 master_repl_offset
        second_repl_offset repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset
        repl_backlog_histlen
    """.split(),
    "CPU": """
        used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children
        used_cpu_sys_main_thread used_cpu_user_main_thread
    """.split(),
    "Modules": [],
    "Cluster": ["cluster_enabled"],
}


@pytest.mark.parametrize("section", FIELDS)
def test_info_field_names_match_redis(h, section):
    assert [name for name, _ in info(h, "everything")[section]] == FIELDS[section]


def test_info_text_layout(h):
    h.do(b"SET", b"a", b"1")
    assert h.do(b"INFO", b"cluster", b"keyspace") == bulk(
        b"# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n")
    assert h.do(b"INFO", b"keyspace") == bulk(b"# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n")
    assert h.do(b"INFO", b"modules") == bulk(b"# Modules\r\n")
    assert h.do(b"INFO", b"nosuch") == bulk(b"")


def test_info_is_verbatim_text_in_resp3(h):
    resp3(h)
    assert h.do(b"INFO", b"cluster") == verbatim("txt", b"# Cluster\r\ncluster_enabled:0\r\n")
    assert h.do(b"INFO", b"nosuch") == verbatim("txt", b"")


def test_info_server_fields(h):
    h.clock.advance(90061)  # 1 day, 1 hour, 1 minute, 1 second
    server = dict(info(h, "server")["Server"])
    assert server["redis_version"] == "7.0.15"
    assert server["tcp_port"] == "6379"
    assert (server["uptime_in_seconds"], server["uptime_in_days"]) == ("90061", "1")
    assert server["server_time_usec"] == str((START + 90061) * 1_000_000)
    assert len(server["run_id"]) == 40 and server["run_id"] == dict(info(h, "server")["Server"])["run_id"]
    assert server["hz"] == server["configured_hz"] == "10"


def test_info_keyspace_lines(h):
    h.store.set(0, "a", "1")
    h.store.set(0, "b", "1", ttl=100)
    h.store.set(0, "c", "1", ttl=300)
    h.store.set(3, "d", "1")
    assert info(h, "keyspace")["Keyspace"] == [
        ("db0", "keys=3,expires=2,avg_ttl=200000"),
        ("db3", "keys=1,expires=0,avg_ttl=0"),
    ]


def test_info_commandstats_counts_calls_failures_and_rejections(h):
    h.do(b"SET", b"a", b"b")
    h.do(b"INCR", b"a")  # fails in the command: a call and a failed call
    h.do(b"GET")  # wrong arity: rejected, not called
    h.do(b"CONFIG", b"GET", b"x")
    h.do(b"NOSUCH")  # no command to count
    stats = dict(info(h, "commandstats")["Commandstats"])
    assert stats == {
        "cmdstat_set": "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0",
        "cmdstat_incr": "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1",
        "cmdstat_get": "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0",
        "cmdstat_config|get": "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0",
    }


def test_info_latencystats_lists_called_commands(h):
    h.do(b"SET", b"a", b"b")
    h.do(b"GET")
    assert info(h, "latencystats")["Latencystats"] == [
        ("latency_percentiles_usec_set", "p50=1.003,p99=1.003,p99.9=1.003")]
    h.do(b"CONFIG", b"SET", b"latency-tracking", b"no")
    assert info(h, "latencystats")["Latencystats"] == []


def test_info_errorstats_counts_error_codes_in_order(h):
    h.do(b"SET", b"s", b"v")
    h.do(b"LPUSH_NOSUCH")
    h.do(b"GET")
    with h.store.locked() as s:
        s.dbs[0].set_value(b"h", Hash())
    h.do(b"GET", b"h")
    assert info(h, "errorstats")["Errorstats"] == [("errorstat_ERR", "count=2"), ("errorstat_WRONGTYPE", "count=1")]
    assert field(h, "Stats", "total_error_replies") == "3"


def test_info_stats_counts_commands_and_expired_keys(h):
    h.do(b"SET", b"k", b"v", b"PX", b"5")
    h.clock.advance(1)
    h.do(b"GET", b"k")
    h.do(b"GET")
    stats = dict(info(h, "stats")["Stats"])
    assert (stats["total_commands_processed"], stats["expired_keys"]) == ("2", "1")


def test_info_clients_counts_sessions(h):
    h.new_client()
    assert field(h, "Clients", "connected_clients") == "2"


def test_config_resetstat_clears_counters(h):
    h.do(b"SET", b"k", b"v", b"PX", b"5")
    h.clock.advance(1)
    h.do(b"GET", b"k")
    h.do(b"GET")
    h.do(b"SAVE")
    assert h.do(b"CONFIG", b"RESETSTAT") == OK
    assert info(h, "commandstats", "errorstats") == {
        "Commandstats": [("cmdstat_config|resetstat",
                          "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0")],
        "Errorstats": [],
    }
    stats = dict(info(h, "stats")["Stats"])
    assert (stats["expired_keys"], stats["total_error_replies"], stats["total_connections_received"]) == ("0", "0", "0")
    assert field(h, "Persistence", "rdb_saves") == "0"


def test_info_memory_human_values(h):
    memory = dict(info(h, "memory")["Memory"])
    assert memory["maxmemory_human"] == "0B"
    h.do(b"CONFIG", b"SET", b"maxmemory", b"1536kb")
    memory = dict(info(h, "memory")["Memory"])
    assert (memory["maxmemory"], memory["maxmemory_human"]) == ("1572864", "1.50M")


# -- COMMAND --------------------------------------------------------------------------------------------

CAPTURE = json.loads((Path(__file__).parent.parent / "unit" / "data" / "command_meta_capture.json").read_text())
CAPTURED = [(r["args"], r["protover"], r["reply"].encode("latin-1")) for r in CAPTURE["replies"]
            if r["args"][2] in ("get", "set", "client|setname")]


@pytest.mark.parametrize("args, protover, raw", CAPTURED,
                         ids=[f"RESP{p}-{' '.join(a[1:])}" for a, p, _ in CAPTURED])
def test_command_info_and_docs_equal_the_real_server(h, args, protover, raw):
    h.session.protover = protover
    assert h.do(*args) == raw


def test_command_count_is_top_level_commands(h):
    assert h.do(b"COMMAND", b"COUNT") == integer(len(TABLE.specs))


def test_command_lists_every_top_level_command(h):
    entries = decode(h.do(b"COMMAND"))
    assert sorted(e[0] for e in entries) == sorted(TABLE.specs)
    assert decode(h.do(b"COMMAND", b"INFO")) == entries


def test_command_info_unknown_is_null(h):
    assert h.do(b"COMMAND", b"INFO", b"nosuch", b"get|x", b"client|setname|x") == array(NIL, NIL, NIL)
    resp3(h)
    assert h.do(b"COMMAND", b"INFO", b"nosuch") == array(null())


def test_command_docs_omits_unknown_commands(h):
    assert h.do(b"COMMAND", b"DOCS", b"nosuch", b"get|x") == array()
    resp3(h)
    assert h.do(b"COMMAND", b"DOCS", b"nosuch") == map_()


def test_command_docs_repeats_names(h):
    names = decode(h.do(b"COMMAND", b"DOCS", b"get", b"GET"))[0::2]
    assert names == [b"get", b"get"]


def _stub_table(*names: str, table=TABLE) -> CommandTable:
    """The command table plus stub registrations of Redis commands kvfake lacks (for COMMAND tests)."""
    recorded = meta.load()
    stubs = CommandGroup("stub")
    for name in names:
        rec = recorded[name]
        flags = " ".join(rec["flags"])
        stubs.command(name, arity=rec["arity"], flags=flags,
                      keys=(rec["first_key"], rec["last_key"], rec["step"]))(lambda ctx, *a: None)
    return CommandTable.from_groups(*GROUPS, stubs)


def test_command_info_takes_arity_flags_and_keys_from_the_registry(h):
    group = CommandGroup("odd")
    group.command("get", arity=3, flags="write may_replicate fast", keys=(1, 2, 1))(lambda ctx, a, b: None)
    h.dispatcher.table = CommandTable.from_groups(group, server_module.group)
    entry = decode(h.do(b"COMMAND", b"INFO", b"get"))[0]
    assert entry[:6] == [b"get", 3, [b"write", b"fast"], 1, 2, 1]
    assert entry[6] == [b"@read", b"@string", b"@fast"]  # the rest is Redis's


def test_command_shows_only_implemented_subcommands(h):
    group = CommandGroup("partial")
    group.command("client|setname", arity=3, flags="noscript loading stale")(lambda ctx, s, n: None)
    h.dispatcher.table = CommandTable.from_groups(group, server_module.group)
    info_entry = decode(h.do(b"COMMAND", b"INFO", b"client"))[0]
    assert [sub[0] for sub in info_entry[9]] == [b"client|setname"]
    docs = decode(h.do(b"COMMAND", b"DOCS", b"client"))[1]
    subcommands = docs[docs.index(b"subcommands") + 1]
    assert subcommands[0::2] == [b"client|setname"]
    listed = decode(h.do(b"COMMAND", b"LIST"))
    assert [n for n in listed if n.startswith(b"client")] == [b"client", b"client|setname"]


LIST_FILTERS = [
    ([b"FILTERBY", b"PATTERN", b"config*"],
     [b"config", b"config|get", b"config|set", b"config|resetstat", b"config|rewrite", b"config|help"]),
    ([b"filterby", b"pattern", b"TIM?"], [b"time"]),
    ([b"FILTERBY", b"PATTERN", b""], []),
    ([b"FILTERBY", b"ACLCAT", b"FAST"], None),
    ([b"FILTERBY", b"ACLCAT", b"@fast"], []),
    ([b"FILTERBY", b"ACLCAT", b"nosuch"], []),
    ([b"FILTERBY", b"MODULE", b"x"], []),
]


@pytest.mark.parametrize("args, expected", LIST_FILTERS, ids=[b" ".join(a).decode() for a, _ in LIST_FILTERS])
def test_command_list_filters(h, args, expected):
    got = decode(h.do(b"COMMAND", b"LIST", *args))
    if expected is None:  # every implemented command in @fast
        recorded = meta.load()
        expected = [s.name.encode() for s in TABLE.all_specs() if "@fast" in recorded[s.name]["acl_categories"]]
        assert b"get" in got and b"set" not in got
    assert sorted(got) == sorted(expected)


@pytest.mark.parametrize("args", [[b"x"], [b"FILTERBY"], [b"FILTERBY", b"MODULE"], [b"FILTERBY", b"foo", b"bar"],
                                  [b"FILTERBY", b"PATTERN", b"a", b"b"], [b"nofilter", b"PATTERN", b"a"]],
                         ids=lambda a: b" ".join(a).decode())
def test_command_list_syntax_errors(h, args):
    assert h.do(b"COMMAND", b"LIST", *args) == error(SYNTAX)


def test_command_help(h):
    lines = decode(h.do(b"COMMAND", b"HELP"))
    assert lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 21 and lines[-1] == b"    Prints this help."


@pytest.mark.parametrize("argv, text", [
    ([b"COMMAND", b"FOO"], "ERR unknown subcommand 'FOO'. Try COMMAND HELP."),
    ([b"COMMAND", b"COUNT", b"x"], "ERR wrong number of arguments for 'command|count' command"),
    ([b"COMMAND", b"GETKEYS", b"get"], "ERR wrong number of arguments for 'command|getkeys' command"),
], ids=["unknown", "count-arity", "getkeys-arity"])
def test_command_errors(h, argv, text):
    assert h.do(*argv) == error(text)


# redis-server 7.0.15's answers; commands kvfake lacks run on stub registrations
GETKEYS = [
    ([b"get", b"k"], [b"k"]),
    ([b"GET", b"k"], [b"k"]),
    ([b"set", b"k", b"v"], [b"k"]),
    ([b"mset", b"a", b"1", b"b", b"2"], [b"a", b"b"]),
    ([b"mset", b"a", b"1", b"b"], [b"a", b"b"]),
    ([b"del", b"a", b"b", b"c"], [b"a", b"b", b"c"]),
    ([b"object", b"encoding", b"k"], [b"k"]),
    ([b"zunionstore", b"d", b"2", b"a", b"b"], [b"d", b"a", b"b"]),
    ([b"zunionstore", b"d", b"2abc", b"a", b"b"], [b"a", b"b", b"d"]),
    ([b"zunion", b"1", b"a", b"WEIGHTS", b"1"], [b"a"]),
    ([b"eval", b"s", b"0"], []),
    ([b"eval", b"s", b"2", b"a", b"b", b"c"], [b"a", b"b"]),
    ([b"eval", b"s", b"3", b"a", b"b"], []),
    ([b"xread", b"STREAMS", b"a", b"b", b"0", b"0"], [b"a", b"b"]),
    ([b"xread", b"COUNT", b"2", b"STREAMS", b"a", b"b", b"0"], [b"a"]),
    ([b"xreadgroup", b"GROUP", b"g", b"c", b"STREAMS", b"a", b"0"], [b"a"]),
    ([b"sort", b"k"], [b"k"]),
    ([b"sort", b"k", b"STORE", b"d"], [b"k", b"d"]),
    ([b"sort", b"k", b"BY", b"x", b"GET", b"y", b"LIMIT", b"0", b"1", b"STORE", b"d"], [b"k", b"d"]),
    ([b"sort", b"k", b"store", b"a", b"store", b"b"], [b"k", b"b"]),
    ([b"sort_ro", b"k"], [b"k"]),
    ([b"migrate", b"h", b"p", b"k", b"0", b"5"], [b"k"]),
    ([b"migrate", b"h", b"p", b"", b"0", b"5", b"KEYS", b"a", b"b"], [b"a", b"b"]),
    ([b"lmpop", b"2", b"a", b"b", b"LEFT"], [b"a", b"b"]),
    ([b"georadius", b"k", b"0", b"0", b"1", b"m", b"STORE", b"d"], [b"k", b"d"]),
    ([b"georadius_ro", b"k", b"0", b"0", b"1", b"m"], [b"k"]),
    ([b"blpop", b"a", b"b", b"0"], [b"a", b"b"]),
    ([b"memory", b"usage", b"k"], [b"k"]),
    ([b"xinfo", b"stream", b"k"], [b"k"]),
]
STUBS = ("zunionstore", "zunion", "eval", "xread", "xreadgroup", "sort", "sort_ro", "migrate", "lmpop",
         "georadius", "georadius_ro", "blpop", "memory|usage", "xinfo|stream", "bitfield", "publish",
         "spublish")


@pytest.fixture
def hs(h):
    """A harness whose table also has stubs of Redis commands kvfake lacks."""
    missing = [n for n in STUBS if not _in_table(n)]
    h.dispatcher.table = _stub_table(*missing)
    return h


def _in_table(name: str) -> bool:
    parent, _, sub = name.partition("|")
    spec = TABLE.get(parent.encode())
    return spec is not None and (not sub or sub.encode() in spec.subcommands)


@pytest.mark.parametrize("argv, keys", GETKEYS, ids=[b" ".join(a).decode() for a, _ in GETKEYS])
def test_command_getkeys(hs, argv, keys):
    assert hs.do(b"COMMAND", b"GETKEYS", *argv) == array(*map(bulk, keys))


GETKEYS_ERRORS = [
    ([b"zunionstore", b"d", b"0", b"a"], "ERR Invalid arguments specified for command"),
    ([b"zunionstore", b"d", b"2", b"a"], "ERR Invalid arguments specified for command"),
    ([b"lmpop", b"0", b"a", b"LEFT"], "ERR Invalid arguments specified for command"),
    ([b"xread", b"COUNT", b"2"], "ERR Invalid number of arguments specified for command"),
    ([b"get", b"a", b"b"], "ERR Invalid number of arguments specified for command"),
    ([b"publish", b"c", b"m"], "ERR The command has no key arguments"),
    ([b"spublish", b"c", b"m"], "ERR The command has no key arguments"),
    ([b"ping", b"x"], "ERR The command has no key arguments"),
    ([b"config", b"get"], "ERR The command has no key arguments"),
    ([b"config", b"get", b"x"], "ERR The command has no key arguments"),
    ([b"client", b"nosub"], "ERR Invalid command specified"),
    ([b"nosuch", b"x"], "ERR Invalid command specified"),
]


@pytest.mark.parametrize("argv, text", GETKEYS_ERRORS, ids=[b" ".join(a).decode() for a, _ in GETKEYS_ERRORS])
def test_command_getkeys_errors(hs, argv, text):
    assert hs.do(b"COMMAND", b"GETKEYS", *argv) == error(text)


def _flags(*names: str) -> bytes:
    return set_(*(simple(n) for n in names))


GETKEYSANDFLAGS = [
    ([b"set", b"k", b"v"], [(b"k", ("OW", "update"))]),
    ([b"set", b"k", b"v", b"get"], [(b"k", ("RW", "access", "update"))]),
    ([b"set", b"k", b"v", b"NX"], [(b"k", ("OW", "update"))]),
    ([b"bitfield", b"k", b"GET", b"u8", b"0"], [(b"k", ("RO", "access"))]),
    ([b"bitfield", b"k", b"SET", b"u8", b"0", b"1"], [(b"k", ("RW", "access", "update"))]),
    ([b"bitfield", b"k"], [(b"k", ("RO", "access"))]),
    ([b"bitfield", b"k", b"INCRBY", b"u8", b"0", b"1", b"GET", b"u8", b"0"], [(b"k", ("RW", "access", "update"))]),
    ([b"bitfield", b"k", b"OVERFLOW", b"WRAP"], [(b"k", ("RO", "access"))]),
    ([b"rename", b"a", b"b"], [(b"a", ("RW", "access", "delete")), (b"b", ("OW", "update"))]),
    ([b"sort", b"k", b"store", b"a"], [(b"k", ("RO", "access")), (b"a", ("OW", "update"))]),
    ([b"zunionstore", b"d", b"2abc", b"a", b"b"], [(b"a", ()), (b"b", ()), (b"d", ())]),
]


@pytest.mark.parametrize("protover", [2, 3])
@pytest.mark.parametrize("argv, expected", GETKEYSANDFLAGS, ids=[b" ".join(a).decode() for a, _ in GETKEYSANDFLAGS])
def test_command_getkeysandflags(hs, argv, expected, protover):
    hs.session.protover = protover
    flags = (lambda *f: array(*map(simple, f))) if protover == 2 else _flags
    assert hs.do(b"COMMAND", b"GETKEYSANDFLAGS", *argv) == array(
        *(array(bulk(key), flags(*names)) for key, names in expected))


# -- CONFIG -----------------------------------------------------------------------------------------------


def test_config_get_plain_name_is_shown_as_asked(h):
    assert h.do(b"CONFIG", b"GET", b"MAXMEMORY") == array(bulk(b"MAXMEMORY"), bulk(b"0"))
    assert h.do(b"CONFIG", b"GET", b"maxmemory", b"MAXMEMORY", b"max*memory") == array(bulk(b"maxmemory"), bulk(b"0"))


def test_config_get_globs_ignore_case_and_list_each_name_once(h):
    got = decode(h.do(b"CONFIG", b"GET", b"HASH-MAX-*", b"hash-max-listpack-*"))
    assert sorted(got[0::2]) == [b"hash-max-listpack-entries", b"hash-max-listpack-value",
                                 b"hash-max-ziplist-entries", b"hash-max-ziplist-value"]
    assert h.do(b"CONFIG", b"GET", b"nosuch", b"[") == array()


def test_config_get_is_a_map_in_resp3(h):
    resp3(h)
    assert h.do(b"CONFIG", b"GET", b"databases") == map_((bulk(b"databases"), bulk(b"16")))
    assert h.do(b"CONFIG", b"GET", b"nosuch") == map_()


def test_config_get_every_parameter(h):
    names = decode(h.do(b"CONFIG", b"GET", b"*"))[0::2]
    assert len(names) == 192 and b"hash-max-listpack-entries" in names and b"slaveof" in names


def test_config_set_changes_a_parameter_and_its_alias(h):
    assert h.do(b"CONFIG", b"SET", b"Hash-Max-Ziplist-Entries", b"7") == OK
    assert h.do(b"CONFIG", b"GET", b"hash-max-listpack-entries") == array(bulk(b"hash-max-listpack-entries"), bulk(b"7"))
    assert h.dispatcher.config.values[b"hash-max-ziplist-entries"] == b"7"


def test_config_set_is_all_or_nothing(h):
    assert h.do(b"CONFIG", b"SET", b"maxmemory-policy", b"allkeys-lru", b"maxmemory", b"x") == error(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
    assert h.do(b"CONFIG", b"GET", b"maxmemory-policy") == array(bulk(b"maxmemory-policy"), bulk(b"noeviction"))


def test_config_set_requirepass_applies_to_new_connections(h):
    assert h.do(b"CONFIG", b"SET", b"requirepass", b"s3cret") == OK
    assert h.do(b"PING") == simple("PONG")  # already authenticated
    late = h.new_client()
    assert late.do(b"PING") == error("NOAUTH Authentication required.")
    assert late.do(b"AUTH", b"s3cret") == OK


FAILED = "ERR CONFIG SET failed (possibly related to argument '{}') - {}"
CONFIG_SET_ERRORS = [
    ([b"foo", b"bar"], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    ([b"foo", b"bar", b"baz"], SYNTAX),
    ([b"maxmemory", b"0", b"foo"], SYNTAX),
    ([b"foo", b"1", b"databases", b"2"], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    ([b"databases", b"2", b"foo", b"1"], FAILED.format("databases", "can't set immutable config")),
    ([b"DATABASES", b"1"], FAILED.format("DATABASES", "can't set immutable config")),
    ([b"maxmemory", b"x", b"databases", b"2"], FAILED.format("databases", "can't set immutable config")),
    ([b"maxmemory", b"1", b"MAXMEMORY", b"2"], FAILED.format("MAXMEMORY", "duplicate parameter")),
    ([b"dir", b"/tmp"], FAILED.format("dir", "can't set protected config")),
    ([b"ZSET-MAX-ZIPLIST-VALUE", b"abc"], FAILED.format("zset-max-ziplist-value", "argument must be a memory value")),
    ([b"set-max-intset-entries", b"+5"], FAILED.format("set-max-intset-entries", "argument couldn't be parsed into an integer")),
    ([b"maxclients", b"0"], FAILED.format("maxclients", "argument must be between 1 and 4294967295 inclusive")),
    ([b"hash-max-listpack-value", b"9223372036854775808"],
     FAILED.format("hash-max-listpack-value", "argument must be between 0 and 9223372036854775807 inclusive")),
    ([b"appendonly", b"maybe"], FAILED.format("appendonly", "argument must be 'yes' or 'no'")),
    ([b"maxmemory-policy", b"lru"], FAILED.format("maxmemory-policy", "argument(s) must be one of the following: "
                                                   "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
                                                   "allkeys-lru, allkeys-lfu, allkeys-random, noeviction")),
    ([b"maxmemory-clients", b"101%"], FAILED.format("maxmemory-clients", "percentage argument must be less or equal to 100")),
    ([b"notify-keyspace-events", b"X"], FAILED.format("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
    ([b"save", b"1"], FAILED.format("save", "Invalid save parameters")),
    ([b"port", b"1"], FAILED.format("port", "Unable to listen on this port. Check server logs.")),
    ([b"bind", b"10.0.0.1"], FAILED.format("bind", "Failed to bind to specified addresses.")),
    ([b"tls-port", b"1"], FAILED.format("tls-port", "Unable to update TLS configuration. Check server logs.")),
]


@pytest.mark.parametrize("args, text", CONFIG_SET_ERRORS, ids=[b" ".join(a).decode() for a, _ in CONFIG_SET_ERRORS])
def test_config_set_errors(h, args, text):
    assert h.do(b"CONFIG", b"SET", *args) == error(text)


def test_config_set_same_port_and_bind_is_accepted(h):
    assert h.do(b"CONFIG", b"SET", b"port", b"6379", b"bind", b"127.0.0.1") == OK


def test_config_rewrite_without_a_config_file(h):
    assert h.do(b"CONFIG", b"REWRITE") == error("ERR The server is running without a config file")


def test_config_help(h):
    lines = decode(h.do(b"CONFIG", b"HELP"))
    assert lines[:2] == [b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", b"GET <pattern>"]
    assert len(lines) == 11


MEMORY_VALUES = [
    (b"0", 0), (b"1k", 1000), (b"1K", 1000), (b"1kb", 1024), (b"1KB", 1024), (b"1b", 1), (b"1m", 10**6),
    (b"1mb", 2**20), (b"1g", 10**9), (b"1gb", 2**30), (b"", 0), (b"mb", 0), (b"17179869184gb", 0),
    (b"18446744073709551616", 2**64 - 1), (b"-1", None), (b"+1", None), (b"1 mb", None), (b"1.5", None),
    (b"1tb", None), (b"10%", None),
]


@pytest.mark.parametrize("text, value", MEMORY_VALUES, ids=[repr(t) for t, _ in MEMORY_VALUES])
def test_config_memory_values(text, value):
    assert memtoull(text) == value


NOTIFY = [(b"KEA", b"AKE"), (b"Ex", b"xE"), (b"g$lshzxetd", b"A"), (b"g$lshzxet", b"g$lshzxet"),
          (b"AKEmn", b"AKEm"), (b"nmd", b"dnm"), (b"", b"")]


@pytest.mark.parametrize("value, shown", NOTIFY, ids=[v.decode() or "empty" for v, _ in NOTIFY])
def test_config_notify_keyspace_events_is_normalised(value, shown):
    config = Config()
    assert config.set_many([(b"notify-keyspace-events", value)]) is None
    assert config.values[b"notify-keyspace-events"] == shown
    assert notify_flags(shown) == notify_flags(value) or b"n" in value


# -- redis-py, end to end ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_server_commands(kvfake_server, protocol):
    r = redis.Redis(host=kvfake_server.host, port=kvfake_server.port, protocol=protocol)
    try:
        r.mset({"a": 1, "b": 2})
        assert r.dbsize() == 2
        assert r.swapdb(0, 1) is True
        assert r.dbsize() == 0
        assert r.flushall() is True
        seconds, micros = r.time()
        assert abs(seconds - datetime.datetime.now().timestamp()) < 60 and 0 <= micros < 10**6
        assert isinstance(r.lastsave(), datetime.datetime)
        r.set("k", "v")
        server_info = r.info()
        assert server_info["redis_version"] == "7.0.15" and server_info["db0"]["keys"] == 1
        assert r.info("keyspace") == {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0}}
        assert "cmdstat_set" in r.info("commandstats")
        assert r.config_get("maxmemory*")["maxmemory-policy"] == "noeviction"
        assert r.config_set("hz", 20) is True
        assert r.config_get("hz") == {"hz": "20"}
        assert r.config_resetstat() is True
        assert r.command_count() == len(TABLE.specs)
        assert [k if isinstance(k, bytes) else k.encode() for k in r.command_getkeys("SET", "k", "v")] == [b"k"]
        assert r.execute_command("DEBUG", "SLEEP", "0") in (b"OK", "OK", True)
        with pytest.raises(redis.ResponseError, match="immutable config"):
            r.config_set("databases", 2)
    finally:
        r.config_set("hz", 10)
        r.close()
