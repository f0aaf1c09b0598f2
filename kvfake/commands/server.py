"""Server commands: DBSIZE FLUSHDB FLUSHALL SWAPDB INFO TIME COMMAND CONFIG LASTSAVE SAVE BGSAVE
BGREWRITEAOF DEBUG (Redis group "server").

Replies are byte-exact to redis-server 7.0.15 (tests/differential/test_server.py),
except values that cannot match a different process (pids, run ids, memory,
CPU, times, ports), which are plausible.

COMMAND describes kvfake itself: it lists only the commands kvfake's table
implements (a container only its implemented subcommands); arity, flags and
first/last/step come from kvfake's registry, everything else (ACL categories,
tips, key specs, docs) from the Redis 7.0.15 metadata recorded in
kvfake/data/commands.json (:mod:`kvfake.commands.meta`).  COMMAND GETKEYS runs
Redis's key-spec walk over that metadata, with Redis's fallbacks for the
commands whose specs are incomplete or whose flags vary (SET, BITFIELD, SORT,
the numkeys commands, GEORADIUS, XREAD).

INFO's counters come from the store (expired keys, keyspace hits/misses), the
dispatcher (commandstats, errorstats: calls, failed and rejected calls; kvfake
does not time commands, so ``usec`` is 0) and the server view (connections).
SAVE / BGSAVE / BGREWRITEAOF write nothing: they answer as Redis does and
update LASTSAVE and the persistence counters, as a save that took no time.

Imports: kvfake.commands.registry/context/args/meta, kvfake.errors,
kvfake.protocol.replies, kvfake.store.glob.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import os
import platform
import secrets
import sys
import time
import weakref

from attrs import define

from kvfake.commands import meta
from kvfake.commands.args import parse_range_int
from kvfake.commands.blocking import blocked_counts
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import DB_INDEX_OUT_OF_RANGE, SYNTAX_ERROR, CommandError
from kvfake.protocol.replies import OK, Map, Set, SimpleString, Verbatim
from kvfake.store.glob import matcher

group = CommandGroup("server")

# -- error texts (redis 7.0.15) -----------------------------------------------

INVALID_FIRST_DB_INDEX = "ERR invalid first DB index"
INVALID_SECOND_DB_INDEX = "ERR invalid second DB index"
NO_CONFIG_FILE = "ERR The server is running without a config file"
INVALID_COMMAND_SPECIFIED = "ERR Invalid command specified"
NO_KEY_ARGUMENTS = "ERR The command has no key arguments"
INVALID_ARGUMENT_COUNT = "ERR Invalid number of arguments specified for command"
INVALID_ARGUMENTS = "ERR Invalid arguments specified for command"

BGSAVE_STARTED = SimpleString(b"Background saving started")
BGREWRITEAOF_STARTED = SimpleString(b"Background append only file rewriting started")

REDIS_VERSION = b"7.0.15"


def debug_unknown_subcommand(sub: bytes) -> str:
    return (
        "ERR unknown subcommand or wrong number of arguments for "
        f"'{sub.decode('latin-1')}'. Try DEBUG HELP."
    )


def _help(command: str, lines: tuple) -> list:
    """Redis's addReplyHelp: a header, the lines, then HELP itself."""
    head = f"{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    return [SimpleString(line.encode()) for line in (head, *lines, "HELP", "    Prints this help.")]


# -- per-server state -----------------------------------------------------------


@define
class ServerState:
    """What the server commands remember between calls (one per dispatcher)."""

    run_id: bytes
    replid: bytes
    lastsave: int  # unix seconds of the last (pretend) save
    dirty_at_save: int = 0
    rdb_saves: int = 0
    bgsave_done: bool = False
    aof_rewrites: int = 0
    aof_rewrite_done: bool = False
    forks: int = 0
    connections_baseline: int = 0  # total_connections_received at CONFIG RESETSTAT


def server_state(ctx: Context) -> ServerState:
    dispatcher = ctx.dispatcher
    state = dispatcher.server_state
    if state is None:
        started = getattr(ctx.server, "started_ms", 0) or ctx.now_ms
        state = ServerState(
            run_id=secrets.token_hex(20).encode(),
            replid=secrets.token_hex(20).encode(),
            lastsave=started // 1000,
        )
        dispatcher.server_state = state
    return state


def _pretend_save(ctx: Context, state: ServerState) -> None:
    state.lastsave = ctx.now_ms // 1000
    state.dirty_at_save = ctx.store.dirty
    state.rdb_saves += 1


# -- keyspace -------------------------------------------------------------------


@group.command("dbsize", arity=1, flags="readonly fast")
def cmd_dbsize(ctx: Context):
    """DBSIZE"""
    return len(ctx.db)


def _flush_mode(args: tuple) -> None:
    """[ASYNC | SYNC]: both flush at once in kvfake."""
    if len(args) > 1 or (args and args[0].lower() not in (b"async", b"sync")):
        raise CommandError(SYNTAX_ERROR)


@group.command("flushdb", arity=-1, flags="write")
def cmd_flushdb(ctx: Context, *args: bytes):
    """FLUSHDB [ASYNC | SYNC]"""
    _flush_mode(args)
    db = ctx.db
    ctx.store.dirty += len(db)
    db.flush()
    return OK


@group.command("flushall", arity=-1, flags="write")
def cmd_flushall(ctx: Context, *args: bytes):
    """FLUSHALL [ASYNC | SYNC]"""
    _flush_mode(args)
    store = ctx.store
    for db in store.dbs:
        store.dirty += len(db)
        db.flush()
    # redis 7.0: with save points configured FLUSHALL also saves (an empty dataset)
    if ctx.dispatcher.config.values[b"save"]:
        _pretend_save(ctx, server_state(ctx))
    store.dirty += 1
    return OK


@group.command("swapdb", arity=3, flags="write fast")
def cmd_swapdb(ctx: Context, index1: bytes, index2: bytes):
    """SWAPDB index1 index2"""
    # redis 7.0: getIntFromObjectOrReply, so anything outside int32 is "invalid"
    i = parse_range_int(index1, -(1 << 31), (1 << 31) - 1, INVALID_FIRST_DB_INDEX)
    j = parse_range_int(index2, -(1 << 31), (1 << 31) - 1, INVALID_SECOND_DB_INDEX)
    store = ctx.store
    dbs = store.dbs
    if not (0 <= i < len(dbs) and 0 <= j < len(dbs)):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    if i != j:
        dbs[i].swap_with(dbs[j])  # touches WATCHed keys (Store.signal_flushed)
    store.dirty += 1
    return OK


# -- time and persistence ------------------------------------------------------------


@group.command("time", arity=1, flags="loading stale fast")
def cmd_time(ctx: Context):
    """TIME"""
    seconds, micros = divmod(ctx.store.clock.now_us(), 1_000_000)
    return [b"%d" % seconds, b"%d" % micros]


@group.command("lastsave", arity=1, flags="loading stale fast")
def cmd_lastsave(ctx: Context):
    """LASTSAVE"""
    return server_state(ctx).lastsave


@group.command("save", arity=1, flags="admin noscript no_async_loading no_multi")
def cmd_save(ctx: Context):
    """SAVE"""
    _pretend_save(ctx, server_state(ctx))
    return OK


@group.command("bgsave", arity=-1, flags="admin noscript no_async_loading")
def cmd_bgsave(ctx: Context, *args: bytes):
    """BGSAVE [SCHEDULE]"""
    if args and (len(args) > 1 or args[0].lower() != b"schedule"):
        raise CommandError(SYNTAX_ERROR)
    state = server_state(ctx)
    _pretend_save(ctx, state)
    state.bgsave_done = True
    state.forks += 1
    return BGSAVE_STARTED


@group.command("bgrewriteaof", arity=1, flags="admin noscript no_async_loading")
def cmd_bgrewriteaof(ctx: Context):
    """BGREWRITEAOF"""
    state = server_state(ctx)
    state.aof_rewrites += 1
    state.aof_rewrite_done = True
    state.forks += 1
    return BGREWRITEAOF_STARTED


# -- DEBUG ------------------------------------------------------------------------

DEBUG_HELP = _help("DEBUG", (
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
))


def _c_strtod(text: bytes) -> float:
    """C ``strtod(text, NULL)``: the longest numeric prefix, 0.0 when there is none."""
    s = text.lstrip(b" \t\n\v\f\r")
    for end in range(min(len(s), 64), 0, -1):
        try:
            value = float(s[:end])
        except ValueError:
            continue
        if value - value == 0.0:  # "nan" and "inf" parse, but sleep no time in kvfake
            return value
        return 0.0
    return 0.0


def _c_atoi(text: bytes) -> int:
    """C ``atoi``: optional spaces and sign, then digits; 0 when there are none."""
    s = text.lstrip(b" \t\n\v\f\r")
    sign = -1 if s[:1] == b"-" else 1
    if s[:1] in (b"-", b"+"):
        s = s[1:]
    digits = 0
    for c in s:
        if not 48 <= c <= 57:
            break
        digits += 1
    if not digits:
        return 0
    n = sign * int(s[:digits])
    return (n + (1 << 31)) % (1 << 32) - (1 << 31)  # int overflow wraps (glibc: strtol, cast)


@group.command("debug", arity=-2, flags="admin noscript loading stale")
def cmd_debug(ctx: Context, subcommand: bytes, *args: bytes):
    """DEBUG subcommand [argument ...]"""
    sub = subcommand.lower()
    if sub == b"help" and not args:
        return DEBUG_HELP
    if sub == b"sleep" and len(args) == 1:
        # redis 7.0: strtod, no validation ("abc" sleeps 0); blocks the whole server,
        # which is the point: kvfake sleeps in the server thread holding the store lock.
        seconds = _c_strtod(args[0])
        if seconds > 0:
            time.sleep(seconds)
        return OK
    if sub == b"set-active-expire" and len(args) == 1:
        ctx.store.active_expire_enabled = bool(_c_atoi(args[0]))
        return OK
    raise CommandError(debug_unknown_subcommand(subcommand))


# -- INFO ---------------------------------------------------------------------------

DEFAULT_SECTIONS = (
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
    "module_list", "errorstats", "cluster", "keyspace",
)
_OS = f"{platform.system()} {platform.release()} {platform.machine()}"
_MULTIPLEXING = "epoll" if sys.platform.startswith("linux") else (
    "kqueue" if sys.platform == "darwin" or "bsd" in sys.platform else "select")
_BUILD_ID = "6b7666616b650715"


def _human(n: int) -> str:
    """Redis bytesToHuman."""
    if n < 1024:
        return f"{n}B"
    for unit, size in (("K", 1024), ("M", 1024**2), ("G", 1024**3), ("T", 1024**4), ("P", 1024**5)):
        if n < size * 1024 or unit == "P":
            return f"{n / size:.2f}{unit}"
    return f"{n}B"


def _info_server(ctx: Context, state: ServerState) -> list:
    server = ctx.server
    now_us = ctx.store.clock.now_us()
    started_ms = getattr(server, "started_ms", 0) or ctx.now_ms
    uptime = max(0, (ctx.now_ms - started_ms) // 1000)
    hz = ctx.dispatcher.config.values[b"hz"].decode()
    return [
        ("redis_version", REDIS_VERSION.decode()),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", "0"),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "standalone"),
        ("os", _OS),
        ("arch_bits", "64"),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", _MULTIPLEXING),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", state.run_id.decode()),
        ("tcp_port", getattr(server, "port", 0)),
        ("server_time_usec", now_us),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", (ctx.now_ms // 1000) & ((1 << 24) - 1)),
        ("executable", sys.executable),
        ("config_file", ""),
        ("io_threads_active", "0"),
    ]


def _clients(ctx: Context) -> list:
    clients = getattr(ctx.server, "clients", None)
    return clients() if clients is not None else []


# INFO stats without a pub/sub broker (kvfake.commands.pubsub keeps the real figures)
_NO_PUBSUB = {"pubsub_channels": 0, "pubsub_patterns": 0, "pubsubshard_channels": 0}
_NO_TRACKING = {"tracking_total_keys": 0, "tracking_total_items": 0, "tracking_total_prefixes": 0}


def _info_clients(ctx: Context, state: ServerState) -> list:
    blocked, in_timeout = blocked_counts(ctx)
    return [
        ("connected_clients", len(_clients(ctx))),
        ("cluster_connections", 0),
        ("maxclients", ctx.dispatcher.config.values[b"maxclients"].decode()),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", blocked),
        ("tracking_clients", ctx.store.broker.tracking.clients if ctx.store.broker else 0),
        ("clients_in_timeout_table", in_timeout),
    ]


def _info_memory(ctx: Context, state: ServerState) -> list:
    keys = sum(len(db) for db in ctx.store.dbs)
    startup = 862_000
    used = startup + 14_000 + 80 * keys  # plausible, not measured
    config = ctx.dispatcher.config.values
    maxmemory = int(config[b"maxmemory"])
    rss = used * 4
    return [
        ("used_memory", used),
        ("used_memory_human", _human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_peak", used),
        ("used_memory_peak_human", _human(used)),
        ("used_memory_peak_perc", "100.00%"),
        ("used_memory_overhead", startup + 14_000),
        ("used_memory_startup", startup),
        ("used_memory_dataset", used - startup - 14_000),
        ("used_memory_dataset_perc", f"{100.0 * (used - startup - 14_000) / (used - startup):.2f}%"),
        ("allocator_allocated", used),
        ("allocator_active", used),
        ("allocator_resident", rss),
        ("total_system_memory", 8 * 1024**3),
        ("total_system_memory_human", _human(8 * 1024**3)),
        ("used_memory_lua", 32768),
        ("used_memory_vm_eval", 32768),
        ("used_memory_lua_human", "32.00K"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 32768),
        ("used_memory_vm_total", 65536),
        ("used_memory_vm_total_human", "64.00K"),
        ("used_memory_functions", 184),
        ("used_memory_scripts", 184),
        ("used_memory_scripts_human", "184B"),
        ("maxmemory", maxmemory),
        ("maxmemory_human", _human(maxmemory)),
        ("maxmemory_policy", config[b"maxmemory-policy"].decode()),
        ("allocator_frag_ratio", "1.00"),
        ("allocator_frag_bytes", 0),
        ("allocator_rss_ratio", "4.00"),
        ("allocator_rss_bytes", rss - used),
        ("rss_overhead_ratio", "1.00"),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", "4.00"),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", 0),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _info_persistence(ctx: Context, state: ServerState) -> list:
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", ctx.store.dirty - state.dirty_at_save),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", state.lastsave),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", 0 if state.bgsave_done else -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", state.rdb_saves),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", 0),
        ("aof_enabled", 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", 0 if state.aof_rewrite_done else -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", state.aof_rewrites),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def _connections_received(ctx: Context) -> int:
    stats = getattr(ctx.server, "info_stats", None)
    return stats().get("total_connections_received", 0) if stats is not None else 0


def _info_stats(ctx: Context, state: ServerState) -> list:
    store = ctx.store
    dispatcher = ctx.dispatcher
    return [
        ("total_connections_received", _connections_received(ctx) - state.connections_baseline),
        ("total_commands_processed", sum(dispatcher.command_calls.values())),
        ("instantaneous_ops_per_sec", 0),
        ("total_net_input_bytes", 0),
        ("total_net_output_bytes", 0),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "0.00"),
        ("instantaneous_output_kbps", "0.00"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", 0),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", store.stat_expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", getattr(store, "stat_evicted_keys", 0)),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", store.stat_keyspace_hits),
        ("keyspace_misses", store.stat_keyspace_misses),
        *(ctx.store.broker.info() if ctx.store.broker else _NO_PUBSUB).items(),
        ("latest_fork_usec", 0),
        ("total_forks", state.forks),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        *(ctx.store.broker.tracking.info() if ctx.store.broker else _NO_TRACKING).items(),
        ("unexpected_error_replies", 0),
        ("total_error_replies", sum(dispatcher.error_counts.values())),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", 0),
        ("total_writes_processed", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def _info_replication(ctx: Context, state: ServerState) -> list:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", state.replid.decode()),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", ctx.dispatcher.config.values[b"repl-backlog-size"].decode()),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _info_cpu(ctx: Context, state: ServerState) -> list:
    t = os.times()
    return [
        ("used_cpu_sys", f"{t.system:.6f}"),
        ("used_cpu_user", f"{t.user:.6f}"),
        ("used_cpu_sys_children", f"{t.children_system:.6f}"),
        ("used_cpu_user_children", f"{t.children_user:.6f}"),
        ("used_cpu_sys_main_thread", f"{t.system:.6f}"),
        ("used_cpu_user_main_thread", f"{t.user:.6f}"),
    ]


def _info_modules(ctx: Context, state: ServerState) -> list:
    return []


def _stat_names(ctx: Context) -> list:
    """Fullnames with any commandstats, in command table order."""
    d = ctx.dispatcher
    seen = d.command_calls.keys() | d.command_failed.keys() | d.command_rejected.keys()
    return [spec.name for spec in d.table.all_specs() if spec.name in seen]


def _info_commandstats(ctx: Context, state: ServerState) -> list:
    d = ctx.dispatcher
    return [
        (f"cmdstat_{name}",
         f"calls={d.command_calls.get(name, 0)},usec=0,usec_per_call=0.00,"
         f"rejected_calls={d.command_rejected.get(name, 0)},failed_calls={d.command_failed.get(name, 0)}")
        for name in _stat_names(ctx)
    ]


def _info_errorstats(ctx: Context, state: ServerState) -> list:
    # redis keeps error codes in a radix tree: they come out sorted
    counts = ctx.dispatcher.error_counts
    return [(f"errorstat_{code}", f"count={counts[code]}") for code in sorted(counts)]


def _info_latencystats(ctx: Context, state: ServerState) -> list:
    config = ctx.dispatcher.config.values
    if config[b"latency-tracking"] != b"yes":
        return []
    labels = [p.decode() for p in config[b"latency-tracking-info-percentiles"].split()]
    value = ",".join(f"p{label}=1.003" for label in labels)  # kvfake does not time commands
    calls = ctx.dispatcher.command_calls
    return [(f"latency_percentiles_usec_{name}", value) for name in _stat_names(ctx) if calls.get(name)]


def _info_cluster(ctx: Context, state: ServerState) -> list:
    return [("cluster_enabled", 0)]


def _info_keyspace(ctx: Context, state: ServerState) -> list:
    lines = []
    now = ctx.now_ms
    for db in ctx.store.dbs:
        keys = len(db)
        if not keys:
            continue
        expires = db.expires
        # redis estimates avg_ttl by sampling; the exact mean is a plausible stand-in
        avg = sum(max(0, when - now) for when in expires.values()) // len(expires) if expires else 0
        lines.append((f"db{db.index}", f"keys={keys},expires={len(expires)},avg_ttl={avg}"))
    return lines


# (header, section names that select it, generator)
INFO_SECTIONS = (
    ("Server", ("server",), _info_server),
    ("Clients", ("clients",), _info_clients),
    ("Memory", ("memory",), _info_memory),
    ("Persistence", ("persistence",), _info_persistence),
    ("Stats", ("stats",), _info_stats),
    ("Replication", ("replication",), _info_replication),
    ("CPU", ("cpu",), _info_cpu),
    ("Modules", ("module_list", "modules"), _info_modules),
    ("Commandstats", ("commandstats",), _info_commandstats),
    ("Errorstats", ("errorstats",), _info_errorstats),
    ("Latencystats", ("latencystats",), _info_latencystats),
    ("Cluster", ("cluster",), _info_cluster),
    ("Keyspace", ("keyspace",), _info_keyspace),
)


def info_text(ctx: Context, sections: tuple = ()) -> bytes:
    """The INFO text for these section arguments (``()`` is the default set)."""
    wanted: set = set()
    everything = False
    for arg in sections or (b"default",):
        name = arg.decode("latin-1").lower()
        if name == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif name in ("all", "everything"):
            everything = True
        else:
            wanted.add(name)
    state = server_state(ctx)
    parts = []
    for header, names, generate in INFO_SECTIONS:
        if everything or any(n in wanted for n in names):
            lines = [f"# {header}"] + [f"{field}:{value}" for field, value in generate(ctx, state)]
            parts.append("".join(line + "\r\n" for line in lines))
    return "\r\n".join(parts).encode("utf-8", "surrogateescape")


@group.command("info", arity=-1, flags="loading stale")
def cmd_info(ctx: Context, *sections: bytes):
    """INFO [section [section ...]]"""
    return Verbatim(b"txt", info_text(ctx, sections))


# -- COMMAND --------------------------------------------------------------------------

# COMMAND INFO's flag order (redis 7.0 addReplyCommandFlags); may_replicate, sentinel,
# only_sentinel and protected exist but Redis never shows them.
FLAG_ORDER = (
    "write readonly denyoom module admin pubsub noscript blocking loading stale skip_monitor "
    "skip_slowlog asking fast no_auth no_mandatory_keys no_async_loading no_multi movablekeys "
    "allow_busy"
).split()
HIDDEN_FLAGS = frozenset({"may_replicate", "sentinel", "only_sentinel", "protected"})


def visible_flags(flags) -> list:
    """A spec's flags as COMMAND INFO shows them: Redis's order, hidden ones left out."""
    present = set(flags)
    return [f for f in FLAG_ORDER if f in present]


class _Described:
    """The COMMAND view of one command table: effective metadata and built replies."""

    def __init__(self, table) -> None:
        recorded = meta.load()
        self.records: dict = {}
        self.specs: dict = {}
        for spec in table.all_specs():
            self.specs[spec.name] = spec
        for spec in table.all_specs():
            rec = recorded.get(spec.name) or _synthetic_record(spec)
            subs = [name for name in rec["subcommands"] if name in self.specs]
            subs += [s.name for s in spec.subcommands.values() if s.name not in subs]
            docs = dict(rec["docs"])
            if subs or "subcommands" in docs:
                docs["subcommands"] = subs
            self.records[spec.name] = {
                **rec,
                "arity": spec.arity,
                "flags": visible_flags(spec.flags),
                "first_key": spec.first_key,
                "last_key": spec.last_key,
                "step": spec.step,
                "subcommands": subs,
                "docs": docs,
            }
        self.top = [spec.name for spec in table.specs.values()]
        self._info: dict = {}
        self._docs: dict = {}

    def info(self, name: str):
        value = self._info.get(name)
        if value is None:
            value = self._info[name] = meta.info_value(self.records[name], self.records)
        return value

    def docs(self, name: str):
        value = self._docs.get(name)
        if value is None:
            value = self._docs[name] = meta.docs_value(self.records[name], self.records)
        return value


def _synthetic_record(spec) -> dict:
    """A command Redis 7.0.15 does not have (none so far): no categories, no docs."""
    return {
        "name": spec.name, "acl_categories": [], "tips": [], "key_specs": [],
        "subcommands": [], "docs": {"summary": "", "since": "", "group": spec.group, "complexity": ""},
    }


_DESCRIBED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def described(table) -> _Described:
    view = _DESCRIBED.get(table)
    if view is None:
        view = _DESCRIBED[table] = _Described(table)
    return view


def find_spec(table, name: bytes):
    """The spec for ``get`` or ``client|setname`` (any case), or None."""
    parts = name.split(b"|")
    if len(parts) > 2:
        return None
    spec = table.get(parts[0])
    if spec is None or len(parts) == 1:
        return spec
    return spec.subcommands.get(parts[1].lower())


@group.command("command", arity=-1, flags="loading stale")
def cmd_command(ctx: Context, *args: bytes):
    """COMMAND"""
    # with arguments the dispatcher runs a subcommand (or says it is unknown)
    view = described(ctx.dispatcher.table)
    return [view.info(name) for name in view.top]


@group.command("command|count", arity=2, flags="loading stale")
def cmd_command_count(ctx: Context, sub: bytes):
    """COMMAND COUNT"""
    return len(ctx.dispatcher.table.specs)


@group.command("command|info", arity=-2, flags="loading stale")
def cmd_command_info(ctx: Context, sub: bytes, *names: bytes):
    """COMMAND INFO [command-name [command-name ...]]"""
    table = ctx.dispatcher.table
    view = described(table)
    if not names:
        return [view.info(name) for name in view.top]
    out = []
    for name in names:
        spec = find_spec(table, name)
        out.append(None if spec is None else view.info(spec.name))
    return out


@group.command("command|docs", arity=-2, flags="loading stale")
def cmd_command_docs(ctx: Context, sub: bytes, *names: bytes):
    """COMMAND DOCS [command-name [command-name ...]]"""
    table = ctx.dispatcher.table
    view = described(table)
    if not names:
        return Map([(name.encode(), view.docs(name)) for name in view.top])
    items = []
    for name in names:
        spec = find_spec(table, name)
        if spec is not None:
            items.append((spec.name.encode(), view.docs(spec.name)))
    return Map(items)


@group.command("command|list", arity=-2, flags="loading stale")
def cmd_command_list(ctx: Context, sub: bytes, *args: bytes):
    """COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]"""
    view = described(ctx.dispatcher.table)
    keep = None
    if args:
        if len(args) != 3 or args[0].lower() != b"filterby":
            raise CommandError(SYNTAX_ERROR)
        kind, value = args[1].lower(), args[2]
        if kind == b"module":
            return []  # kvfake has no modules
        if kind == b"aclcat":
            category = "@" + value.decode("latin-1").lower()
            keep = lambda name: category in view.records[name]["acl_categories"]  # noqa: E731
        elif kind == b"pattern":
            match = matcher(value, nocase=True)
            keep = lambda name: name and match(name.encode())  # noqa: E731
        else:
            raise CommandError(SYNTAX_ERROR)
    out = []
    for name in view.top:
        for full in (name, *view.records[name]["subcommands"]):
            if keep is None or keep(full):
                out.append(full.encode())
    return out


COMMAND_HELP = _help("COMMAND", (
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
))


@group.command("command|help", arity=2, flags="loading stale")
def cmd_command_help(ctx: Context, sub: bytes):
    """COMMAND HELP"""
    return COMMAND_HELP


# -- COMMAND GETKEYS: Redis's key-spec walk -------------------------------------------

_RO_ACCESS = ("RO", "access")
_RW_ACCESS_UPDATE = ("RW", "access", "update")
_OW_UPDATE = ("OW", "update")
_RW_ACCESS_DELETE = ("RW", "access", "delete")


def _keys_from_specs(specs: list, argv: list, arity: int):
    """Redis getKeysUsingKeySpecs: [(position, flags)], or None when a spec fails."""
    argc = len(argv)
    keys = []
    for spec in specs:
        flags = spec["flags"]
        if "not_key" in flags:
            continue
        bs, fk = spec["begin_search"], spec["find_keys"]
        if bs["type"] == "index":
            first = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            keyword = bs["spec"]["keyword"].lower().encode()
            start = bs["spec"]["startfrom"]
            begin, end = (start, argc - 1) if start > 0 else (argc + start, 1)
            step = 1 if begin <= end else -1
            first = 0
            i = begin
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == keyword:
                    first = i + 1
                    break
                i += step
            if not first:
                continue  # keyword absent: no keys from this spec
        else:
            return None
        if fk["type"] == "range":
            step = fk["spec"]["keystep"]
            lastkey, limit = fk["spec"]["lastkey"], fk["spec"]["limit"]
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // limit + lastkey)
        elif fk["type"] == "keynum":
            step = fk["spec"]["keystep"]
            index = first + fk["spec"]["keynumidx"]
            if index >= argc:
                return None
            try:
                numkeys = parse_range_int(argv[index], 0, (1 << 63) - 1)
            except CommandError:
                return None
            first += fk["spec"]["firstkey"]
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        for i in range(first, last + 1, step):
            keys.append((i, tuple(flags)))
        if "incomplete" in flags:
            return None
    return keys


# commands whose keys Redis finds with a function of their own when the specs cannot:
# (store key offset, numkeys offset, first key offset) for redis's genericGetKeys
_GENERIC_KEYS = {
    "zunionstore": (1, 2, 3), "zinterstore": (1, 2, 3), "zdiffstore": (1, 2, 3),
    "zunion": (0, 1, 2), "zinter": (0, 1, 2), "zdiff": (0, 1, 2),
    "sintercard": (0, 1, 2), "zintercard": (0, 1, 2), "lmpop": (0, 1, 2), "zmpop": (0, 1, 2),
    "blmpop": (0, 2, 3), "bzmpop": (0, 2, 3),
    "eval": (0, 2, 3), "evalsha": (0, 2, 3), "eval_ro": (0, 2, 3), "evalsha_ro": (0, 2, 3),
    "fcall": (0, 2, 3), "fcall_ro": (0, 2, 3),
}


def _keys_from_proc(name: str, argv: list):
    """Redis's per-command getkeys functions (the fallbacks); [] when there are none."""
    argc = len(argv)
    low = [a.lower() for a in argv]
    if name == "set":
        flags = _RW_ACCESS_UPDATE if b"get" in low[3:] else _OW_UPDATE
        return [(1, flags)]
    if name == "bitfield":
        readonly = True
        i = 2
        while i < argc:
            remaining = argc - i - 1
            if low[i] == b"get" and remaining >= 2:
                i += 2
            elif low[i] in (b"set", b"incrby") and remaining >= 3:
                readonly = False
                break
            elif low[i] == b"overflow" and remaining >= 1:
                i += 1
            i += 1
        return [(1, _RO_ACCESS if readonly else _RW_ACCESS_UPDATE)]
    if name in ("sort", "sort_ro"):
        keys = [(1, _RO_ACCESS)]
        if name == "sort_ro":
            return keys
        store = None
        i = 2
        while i < argc:
            if low[i] == b"limit":
                i += 2
            elif low[i] in (b"get", b"by"):
                i += 1
            elif low[i] == b"store" and i + 1 < argc:
                store = i + 1  # the last STORE wins, as in SORT itself
            i += 1
        return keys + ([(store, _OW_UPDATE)] if store is not None else [])
    if name in ("georadius", "georadiusbymember"):
        store = None
        i = 5
        while i < argc:
            if low[i] in (b"store", b"storedist") and i + 1 < argc:
                store = i + 1
                i += 1
            i += 1
        return [(1, _RO_ACCESS)] + ([(store, _OW_UPDATE)] if store is not None else [])
    if name == "migrate":
        first, num = 3, 1
        i = 6
        while i < argc:
            if low[i] == b"auth":
                i += 1
            elif low[i] == b"auth2":
                i += 2
            elif low[i] == b"keys":
                if argv[3]:
                    return []  # KEYS needs the empty key placeholder
                first, num = i + 1, argc - i - 1
                break
            i += 1
        return [(first + k, _RW_ACCESS_DELETE) for k in range(num)]
    if name in ("xread", "xreadgroup"):
        streams = -1
        i = 1
        while i < argc:
            if low[i] in (b"block", b"count"):
                i += 1
            elif low[i] == b"group":
                i += 2
            elif low[i] == b"noack":
                pass
            elif low[i] == b"streams":
                streams = i
                break
            else:
                break
            i += 1
        num = argc - streams - 1
        if streams == -1 or num == 0 or num % 2:
            return []
        flags = _RW_ACCESS_UPDATE if name == "xreadgroup" else _RO_ACCESS
        return [(streams + 1 + k, flags) for k in range(num // 2)]
    generic = _GENERIC_KEYS.get(name)
    if generic is not None:
        store, count_at, first = generic
        if count_at >= argc:
            return []
        num = _c_atoi(argv[count_at])
        if num < 1 or num > argc - first:
            return []
        keys = [(first + k, ()) for k in range(num)]
        return keys + ([(store, ())] if store else [])
    return []


def _get_keys(ctx: Context, argv: tuple) -> list:
    table = ctx.dispatcher.table
    spec = table.get(argv[0])
    if spec is not None and spec.subcommands and len(argv) > 1:
        spec = spec.subcommands.get(argv[1].lower())
    if spec is None:
        raise CommandError(INVALID_COMMAND_SPECIFIED)
    record = described(table).records[spec.name]
    specs = record["key_specs"]
    has_keys = any("not_key" not in s["flags"] for s in specs) or spec.name in _GENERIC_KEYS
    if not has_keys:
        raise CommandError(NO_KEY_ARGUMENTS)
    arity = spec.arity
    if (arity > 0 and arity != len(argv)) or len(argv) < -arity:
        raise CommandError(INVALID_ARGUMENT_COUNT)
    keys = None
    if not any("variable_flags" in s["flags"] for s in specs):
        keys = _keys_from_specs(specs, list(argv), arity)
    if keys is None:
        keys = _keys_from_proc(spec.name, list(argv))
    if not keys:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise CommandError(INVALID_ARGUMENTS)
    return keys


@group.command("command|getkeys", arity=-4, flags="loading stale")
def cmd_command_getkeys(ctx: Context, sub: bytes, *argv: bytes):
    """COMMAND GETKEYS command [arg [arg ...]]"""
    return [argv[pos] for pos, _ in _get_keys(ctx, argv)]


@group.command("command|getkeysandflags", arity=-4, flags="loading stale")
def cmd_command_getkeysandflags(ctx: Context, sub: bytes, *argv: bytes):
    """COMMAND GETKEYSANDFLAGS command [arg [arg ...]]"""
    return [
        [argv[pos], Set([SimpleString(f.encode()) for f in flags])]
        for pos, flags in _get_keys(ctx, argv)
    ]


# -- CONFIG ---------------------------------------------------------------------------

_GLOB_CHARS = frozenset(b"[*?")


@group.command("config|get", arity=-3, flags="admin noscript loading stale")
def cmd_config_get(ctx: Context, sub: bytes, *patterns: bytes):
    """CONFIG GET parameter [parameter ...]"""
    config = ctx.dispatcher.config
    values = config.values
    found: dict = {}  # lower-case name -> (name as shown, value)
    for pattern in patterns:
        if not _GLOB_CHARS.intersection(pattern):
            # redis 7.0: a plain name is looked up, and shown as it was asked for
            param = config.lookup(pattern)
            if param is not None and pattern.lower() not in found:
                found[pattern.lower()] = (pattern, values[param.name])
            continue
        match = matcher(pattern, nocase=True)
        for name in values:
            if name not in found and match(name):
                found[name] = (name, values[name])
    return Map(list(found.values()))


@group.command("config|set", arity=-4, flags="admin noscript loading stale")
def cmd_config_set(ctx: Context, sub: bytes, *args: bytes):
    """CONFIG SET parameter value [parameter value ...]"""
    if len(args) % 2:
        raise CommandError(SYNTAX_ERROR)
    error = ctx.dispatcher.config.set_many(list(zip(args[0::2], args[1::2])))
    if error is not None:
        raise CommandError(error)
    return OK


@group.command("config|resetstat", arity=2, flags="admin noscript loading stale")
def cmd_config_resetstat(ctx: Context, sub: bytes):
    """CONFIG RESETSTAT"""
    d = ctx.dispatcher
    d.command_calls.clear()
    d.command_failed.clear()
    d.command_rejected.clear()
    d.error_counts.clear()
    store = ctx.store
    store.stat_expired_keys = 0
    store.stat_keyspace_hits = 0
    store.stat_keyspace_misses = 0
    if hasattr(store, "stat_evicted_keys"):
        store.stat_evicted_keys = 0
    state = server_state(ctx)
    state.rdb_saves = 0
    state.aof_rewrites = 0
    state.forks = 0
    state.connections_baseline = _connections_received(ctx)
    return OK


@group.command("config|rewrite", arity=2, flags="admin noscript loading stale")
def cmd_config_rewrite(ctx: Context, sub: bytes):
    """CONFIG REWRITE"""
    raise CommandError(NO_CONFIG_FILE)


CONFIG_HELP = _help("CONFIG", (
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
))


@group.command("config|help", arity=2, flags="loading stale")
def cmd_config_help(ctx: Context, sub: bytes):
    """CONFIG HELP"""
    return CONFIG_HELP
