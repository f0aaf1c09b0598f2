"""The server instance itself (Redis group "server"): SHUTDOWN ROLE MEMORY SLOWLOG LATENCY LOLWUT,
and the security guard that drops a client speaking HTTP (``POST`` / ``Host:``).

Answers are those of a standalone redis-server 7.0.15 with no replicas and no persistence
(tests/differential/test_instance.py).  What kvfake cannot measure is a documented estimate:

- MEMORY USAGE follows Redis's own accounting (robj, sds headers, listpack / intset / quicklist
  layouts, dict slots, jemalloc size classes), so it is exact for strings, listpack hashes and
  sorted sets, intsets and RPUSH-built lists; hashtable and skiplist values, greedy strings
  (APPEND, SETRANGE, SETBIT, HyperLogLogs) and lists with another history are estimates.
  MEMORY STATS and DOCTOR use the plausible figures of INFO memory; MALLOC-STATS answers as a
  Redis built without jemalloc.
- SLOWLOG and LATENCY's event log stay empty (kvfake does not time commands); LATENCY
  HISTOGRAM counts every call in its first bucket (1 microsecond).
- LOLWUT draws Redis 5's and 6's art with the server's random generator, so it differs from
  Redis's where Redis's is random too.

SHUTDOWN and the security guard close the client's connection without a reply, dropping the
replies not written yet (Redis exits / frees the client): :func:`close_without_reply` asks the
connection for that through ``session.pending_action``.  SHUTDOWN then asks the server to stop
(``ctx.server.stop_soon()``, when the server has it).

Imports: kvfake.commands.registry/context/args/server, kvfake.config, kvfake.errors, kvfake.protocol.replies,
kvfake.store.values, kvfake.store.zset.  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import logging
import math
import struct
import time

from kvfake.commands.args import INT64_MAX, parse_int, parse_range_int
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.commands.server import REDIS_VERSION, _help, _info_memory, server_state
from kvfake.config import string2ll
from kvfake.errors import SYNTAX_ERROR, CommandError
from kvfake.protocol.replies import NO_REPLY, OK, Double, Map, Verbatim
from kvfake.store.values import Hash, List, RawString, SetValue, string_encoding
from kvfake.store.zset import ZSet

log = logging.getLogger("kvfake")

group = CommandGroup("server")

# -- texts (redis 7.0.15) ---------------------------------------------------------

NO_SHUTDOWN_IN_PROGRESS = "ERR No shutdown in progress."
SLOWLOG_BAD_COUNT = "ERR count should be greater than or equal to -1"
SECURITY_WARNING = (
    "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to "
    "Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise "
    "your Redis instance. Connection aborted."
)
#: Command names (lower case) that make Redis 7.0 drop the client: an HTTP request line or header.
SECURITY_WARNING_COMMANDS = frozenset((b"post", b"host:"))

MEMORY_DOCTOR_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
    "these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam "
    "and I will be back to our programming as soon as I finished rebooting.\n"
)
MEMORY_DOCTOR_FINE = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this "
    "base.\n"
)
MALLOC_STATS_UNSUPPORTED = b"Stats not supported for the current allocator"
LATENCY_DOCTOR_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
    '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a '
    "deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
)
LATENCY_DOCTOR_NO_SPIKE = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
    "bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
)


def subcommand_syntax_error(command: bytes, sub: bytes) -> str:
    """Redis's addReplySubcommandSyntaxError (the subcommand as typed, the command upper-cased)."""
    return (
        "ERR unknown subcommand or wrong number of arguments for "
        f"'{sub.decode('latin-1')}'. Try {command.decode('latin-1').upper()} HELP."
    )


def no_samples(event: bytes) -> str:
    return f"ERR No samples available for event '{event.decode('latin-1')}'"


MEMORY_HELP = _help("MEMORY", (
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
))
SLOWLOG_HELP = _help("SLOWLOG", (
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
))
LATENCY_HELP = _help("LATENCY", (
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
    "command names.",
    "    If no commands are specified then all histograms are replied.",
))


# -- closing a client without a reply ---------------------------------------------------


def _drop(conn) -> None:
    conn.out.clear()  # replies not written yet are lost, as when Redis frees the client
    conn.close()


def close_without_reply(session) -> None:
    """The client's connection closes right after this command, with nothing more written."""
    session.close_after_reply = True
    session.pending_action = _drop


_last_warning = [-math.inf]


def security_warning(session):
    """Redis 7.0 securityWarningCommand: a ``POST`` or ``Host:`` command (an HTTP request sent to
    the server) closes the connection at once, without a reply; Redis logs a warning."""
    now = time.monotonic()
    if now - _last_warning[0] > 60:  # redis logs it at most once a minute
        _last_warning[0] = now
        log.warning("%s (client %s)", SECURITY_WARNING, session.addr)
    close_without_reply(session)
    return NO_REPLY


# -- SHUTDOWN ROLE WAIT LOLWUT --------------------------------------------------------------


@group.command("shutdown", arity=-1, flags="admin noscript loading stale no_multi allow_busy")
def cmd_shutdown(ctx: Context, *options: bytes):
    """SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"""
    nosave = save = abort = other = False
    for opt in options:
        word = opt.lower()
        if word == b"nosave":
            nosave = True
        elif word == b"save":
            save = True
        elif word in (b"now", b"force"):
            other = True
        elif word == b"abort":
            abort = True
        else:
            raise CommandError(SYNTAX_ERROR)
    # redis 7.0.15: ABORT with any other flag, or NOSAVE with SAVE, is a syntax error (repeats are fine)
    if (abort and (nosave or save or other)) or (nosave and save):
        raise CommandError(SYNTAX_ERROR)
    if abort:
        raise CommandError(NO_SHUTDOWN_IN_PROGRESS)  # kvfake's shutdown never waits: none is pending
    # no replicas to wait for and nothing to save (SAVE writes no file, as SAVE does): stop now
    log.warning("User requested shutdown... (client %s)", ctx.session.addr)
    close_without_reply(ctx.session)
    stop_soon = getattr(ctx.server, "stop_soon", None)
    if stop_soon is not None:
        stop_soon()
    return NO_REPLY


@group.command("role", arity=1, flags="noscript loading stale fast")
def cmd_role(ctx: Context):
    """ROLE"""
    return [b"master", 0, []]  # no replication: offset 0, no replicas


@group.command("lolwut", arity=-1, flags="readonly fast")
def cmd_lolwut(ctx: Context, *args: bytes):
    """LOLWUT [VERSION version]"""
    version = None
    if len(args) >= 2 and args[0].lower() == b"version":
        # redis 7.0: "%u.0.0" of the (unsigned int) version picks the art: 5 and 6 draw
        version = parse_int(args[1]) & 0xFFFFFFFF
        args = args[2:]
    if version == 5:
        text = _lolwut5(ctx, args)
    elif version == 6:
        text = _lolwut6(ctx, args)
    else:
        text = b"Redis ver. " + REDIS_VERSION + b"\n"
    return Verbatim(b"txt", text)


# -- MEMORY ---------------------------------------------------------------------------------


@group.command("memory|usage", arity=-3, flags="readonly", keys=(2, 2, 1))
def cmd_memory_usage(ctx: Context, subcommand: bytes, key: bytes, *options: bytes):
    """MEMORY USAGE key [SAMPLES count]"""
    samples = 5
    i = 0
    while i < len(options):
        if options[i].lower() == b"samples" and i + 1 < len(options):
            samples = parse_int(options[i + 1])
            if samples < 0:
                raise CommandError(SYNTAX_ERROR)
            if samples == 0:
                samples = INT64_MAX
            i += 2
        else:
            raise CommandError(SYNTAX_ERROR)
    # redis 7.0 looks the key up with dictFind: no lazy expiry, an expired key still has a size
    value = ctx.db.data.get(key)
    if value is None:
        return None
    config = ctx.dispatcher.config.values
    return object_size(value, samples, int(config[b"list-max-listpack-size"])) + _sds(len(key)) + DICT_ENTRY


@group.command("memory|doctor", arity=2)
def cmd_memory_doctor(ctx: Context, subcommand: bytes):
    """MEMORY DOCTOR"""
    used = dict(_info_memory(ctx, server_state(ctx)))["used_memory"]
    text = MEMORY_DOCTOR_EMPTY if used < 5 * 1024 * 1024 else MEMORY_DOCTOR_FINE
    return Verbatim(b"txt", text.encode())


@group.command("memory|stats", arity=2)
def cmd_memory_stats(ctx: Context, subcommand: bytes):
    """MEMORY STATS"""
    info = dict(_info_memory(ctx, server_state(ctx)))  # the same plausible figures as INFO memory
    total, startup, peak = info["used_memory"], info["used_memory_startup"], info["used_memory_peak"]
    allocated, active, resident = info["allocator_allocated"], info["allocator_active"], info["allocator_resident"]
    rss = info["used_memory_rss"]
    keys = 0
    items = [
        (b"peak.allocated", peak),
        (b"total.allocated", total),
        (b"startup.allocated", startup),
        (b"replication.backlog", 0),
        (b"clients.slaves", 0),
        (b"clients.normal", info["mem_clients_normal"]),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", 0),
        (b"functions.caches", info["used_memory_functions"]),
    ]
    for db in ctx.store.dbs:
        count = len(db.data)
        if not count:
            continue
        keys += count
        expires = len(db.expires)
        items.append((b"db.%d" % db.index, Map([
            (b"overhead.hashtable.main", count * (DICT_ENTRY + ROBJ) + _slots(count) * 8),
            (b"overhead.hashtable.expires", expires * DICT_ENTRY + _slots(expires) * 8),
            (b"overhead.hashtable.slot-to-keys", 0),
        ])))
    net = max(total - startup, 0)
    dataset = info["used_memory_dataset"]
    items += [
        (b"overhead.total", info["used_memory_overhead"]),
        (b"keys.count", keys),
        (b"keys.bytes-per-key", net // keys if keys else 0),
        (b"dataset.bytes", dataset),
        (b"dataset.percentage", _float_reply(dataset * 100 / net if net else 0.0)),
        (b"peak.percentage", _float_reply(total * 100 / peak if peak else 0.0)),
        (b"allocator.allocated", allocated),
        (b"allocator.active", active),
        (b"allocator.resident", resident),
        (b"allocator-fragmentation.ratio", _float_reply(active / allocated)),
        (b"allocator-fragmentation.bytes", active - allocated),
        (b"allocator-rss.ratio", _float_reply(resident / active)),
        (b"allocator-rss.bytes", resident - active),
        (b"rss-overhead.ratio", _float_reply(rss / resident)),
        (b"rss-overhead.bytes", rss - resident),
        (b"fragmentation", _float_reply(rss / total)),
        (b"fragmentation.bytes", rss - total),
    ]
    return Map(items)


@group.command("memory|malloc-stats", arity=2)
def cmd_memory_malloc_stats(ctx: Context, subcommand: bytes):
    """MEMORY MALLOC-STATS"""
    return MALLOC_STATS_UNSUPPORTED  # what redis 7.0 answers when built without jemalloc


@group.command("memory|purge", arity=2)
def cmd_memory_purge(ctx: Context, subcommand: bytes):
    """MEMORY PURGE"""
    return OK


@group.command("memory|help", arity=2, flags="loading stale")
def cmd_memory_help(ctx: Context, subcommand: bytes):
    """MEMORY HELP"""
    return MEMORY_HELP


# -- SLOWLOG (always empty: kvfake does not time commands) -----------------------------------


@group.command("slowlog|get", arity=-2, flags="admin loading stale")
def cmd_slowlog_get(ctx: Context, subcommand: bytes, *args: bytes):
    """SLOWLOG GET [count]"""
    if len(args) > 1:
        raise CommandError(subcommand_syntax_error(b"slowlog", subcommand))
    if args:
        parse_range_int(args[0], -1, INT64_MAX, SLOWLOG_BAD_COUNT)
    return []


@group.command("slowlog|len", arity=2, flags="admin loading stale")
def cmd_slowlog_len(ctx: Context, subcommand: bytes):
    """SLOWLOG LEN"""
    return 0


@group.command("slowlog|reset", arity=2, flags="admin loading stale")
def cmd_slowlog_reset(ctx: Context, subcommand: bytes):
    """SLOWLOG RESET"""
    return OK


@group.command("slowlog|help", arity=2, flags="loading stale")
def cmd_slowlog_help(ctx: Context, subcommand: bytes):
    """SLOWLOG HELP"""
    return SLOWLOG_HELP


# -- LATENCY (no event is ever recorded) -----------------------------------------------------


@group.command("latency|latest", arity=2, flags="admin noscript loading stale")
def cmd_latency_latest(ctx: Context, subcommand: bytes):
    """LATENCY LATEST"""
    return []


@group.command("latency|history", arity=3, flags="admin noscript loading stale")
def cmd_latency_history(ctx: Context, subcommand: bytes, event: bytes):
    """LATENCY HISTORY event"""
    return []


@group.command("latency|reset", arity=-2, flags="admin noscript loading stale")
def cmd_latency_reset(ctx: Context, subcommand: bytes, *events: bytes):
    """LATENCY RESET [event [event ...]]"""
    return 0  # how many events had samples


@group.command("latency|graph", arity=3, flags="admin noscript loading stale")
def cmd_latency_graph(ctx: Context, subcommand: bytes, event: bytes):
    """LATENCY GRAPH event"""
    raise CommandError(no_samples(event))


@group.command("latency|doctor", arity=2, flags="admin noscript loading stale")
def cmd_latency_doctor(ctx: Context, subcommand: bytes):
    """LATENCY DOCTOR"""
    enabled = ctx.dispatcher.config.values[b"latency-monitor-threshold"] != b"0"
    return Verbatim(b"txt", (LATENCY_DOCTOR_NO_SPIKE if enabled else LATENCY_DOCTOR_DISABLED).encode())


@group.command("latency|histogram", arity=-2, flags="admin noscript loading stale")
def cmd_latency_histogram(ctx: Context, subcommand: bytes, *names: bytes):
    """LATENCY HISTOGRAM [command [command ...]]"""
    table = ctx.dispatcher.table
    calls = ctx.dispatcher.command_calls
    if names:
        specs = []
        for name in names:  # unknown names are skipped, repeats repeated (redis 7.0)
            container, _, sub = name.lower().partition(b"|")
            spec = table.get(container)
            if spec is not None and sub:
                spec = spec.subcommands.get(sub)
            if spec is not None:
                specs.append(spec)
                specs.extend(spec.subcommands.values())
    else:
        specs = list(table.all_specs())
    items = []
    for spec in specs:
        n = calls.get(spec.name, 0)
        if n:  # a command has a histogram once it ran
            histogram = Map([(1, n)])  # not timed: every call in the first bucket
            items.append((spec.name.encode(), Map([(b"calls", n), (b"histogram_usec", histogram)])))
    return Map(items)


@group.command("latency|help", arity=2, flags="loading stale")
def cmd_latency_help(ctx: Context, subcommand: bytes):
    """LATENCY HELP"""
    return LATENCY_HELP


# -- MEMORY USAGE: Redis 7.0's accounting (object.c objectComputeSize) ---------------------------

ROBJ = 16  # sizeof(robj)
DICT_ENTRY = 24  # sizeof(dictEntry)
DICT = 56  # sizeof(dict)
QUICKLIST = 40  # sizeof(quicklist)
QUICKLIST_NODE = 40  # sizeof(quicklistNode)
ZSET_HEAD = 16 + 32 + 640  # sizeof(zset) + sizeof(zskiplist) + the 32-level header node's allocation
SKIPLIST_NODE = 53  # a node's expected allocation (random levels, p = 1/4)
LISTPACK_EMPTY = 7  # header + terminator
QUICKLIST_SIZE_LIMITS = (4096, 8192, 16384, 32768, 65536)  # list-max-listpack-size -1 .. -5
QUICKLIST_SAFETY_LIMIT = 8192


def jemalloc(size: int) -> int:
    """The allocation jemalloc makes for ``size`` bytes (16-byte quantum, 4 classes per doubling)."""
    if size <= 8:
        return 8
    if size <= 128:
        return (size + 15) & ~15
    step = (1 << ((size - 1).bit_length() - 1)) // 4
    return (size + step - 1) // step * step


def _sds_header(length: int, short: bool = True) -> int:
    if length < 32 and short:
        return 1  # sdshdr5: keys, members and fields (sdsnewlen of a short string)
    if length < 256:
        return 3
    if length < 65536:
        return 5
    return 9 if length < 1 << 32 else 17


def _sds(length: int) -> int:
    """zmalloc size of an sds string made with sdsnewlen (a key, a member, a field, a value)."""
    return jemalloc(_sds_header(length) + length + 1)


def _slots(n: int) -> int:
    """A dict's table size holding ``n`` entries (initial 4, doubled when full)."""
    return 0 if n == 0 else max(4, 1 << (n - 1).bit_length())


def _lp_entry(value: bytes) -> int:
    """Bytes of one listpack entry (encoding, data and back length) holding ``value``."""
    n = string2ll(value)
    if n is not None:
        if 0 <= n <= 127:
            size = 1
        elif -4096 <= n <= 4095:
            size = 2
        elif -32768 <= n <= 32767:
            size = 3
        elif -8388608 <= n <= 8388607:
            size = 4
        elif -(1 << 31) <= n < 1 << 31:
            size = 5
        else:
            size = 9
    else:
        length = len(value)
        size = length + (1 if length < 64 else 2 if length < 4096 else 5)
    back = 1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151 else 4 if size < 268435455 else 5
    return size + back


def _d2string(score: float) -> bytes:
    """A score as a zset listpack stores it (redis d2string)."""
    if score != score:
        return b"nan"
    if score in (math.inf, -math.inf):
        return b"inf" if score > 0 else b"-inf"
    if score == 0:
        return b"-0" if math.copysign(1.0, score) < 0 else b"0"
    if -4503599627370495 < score < 4503599627370496 and score == int(score):
        return b"%d" % int(score)
    return b"%.17g" % score


def _sampled(total: int, sizes, samples: int) -> float:
    """Redis's extrapolation: the mean of the first ``samples`` element sizes, times ``total``."""
    taken = 0
    count = 0
    for size in sizes:
        if count >= samples:
            break
        taken += size
        count += 1
    return taken / count * total if count else 0.0


def _string_size(value: bytes) -> int:
    kind = type(value)
    if kind is RawString:
        # grown in place (APPEND, SETRANGE, SETBIT, PF*): Redis's sds keeps room, up to double
        length = len(value)
        room = length * 2 if length < 1 << 20 else length + (1 << 20)
        return ROBJ + jemalloc(_sds_header(room, short=False) + room + 1)
    encoding = string_encoding(value)  # int / embstr / raw, as OBJECT ENCODING says
    if encoding == b"int":
        return ROBJ
    if encoding == b"embstr":
        return jemalloc(ROBJ + 3 + len(value) + 1)
    return ROBJ + jemalloc(_sds_header(len(value), short=False) + len(value) + 1)


def _quicklist_nodes(values, fill: int) -> list:
    """The listpack sizes of the nodes a quicklist holding ``values`` (pushed in order) has."""
    nodes = []
    size = count = 0
    for value in values:
        length = len(value)
        if count:
            overhead = (1 if length < 254 else 5) + (1 if length < 64 else 2 if length < 16384 else 5)
            new_size = size + length + overhead
            if fill < 0:
                fits = -fill <= len(QUICKLIST_SIZE_LIMITS) and new_size <= QUICKLIST_SIZE_LIMITS[-fill - 1]
                if not fits and new_size <= QUICKLIST_SAFETY_LIMIT:
                    fits = count < fill
            else:
                fits = new_size <= QUICKLIST_SAFETY_LIMIT and count < fill
            if fits:
                size += _lp_entry(value)
                count += 1
                continue
            nodes.append(size)
        size = LISTPACK_EMPTY + _lp_entry(value)
        count = 1
    if count:
        nodes.append(size)
    return nodes


def object_size(value, samples: int = 5, list_fill: int = -2) -> int:
    """Bytes Redis 7.0 would account for ``value`` (objectComputeSize): see the module docstring."""
    if isinstance(value, bytes):
        return _string_size(value)
    if isinstance(value, Hash):
        if not value.big:
            return ROBJ + jemalloc(LISTPACK_EMPTY + sum(_lp_entry(f) + _lp_entry(v) for f, v in value.items()))
        entries = (_sds(len(f)) + _sds(len(v)) + DICT_ENTRY for f, v in value.items())
        return int(ROBJ + DICT + _slots(len(value)) * 8 + _sampled(len(value), entries, samples))
    if isinstance(value, List):
        nodes = _quicklist_nodes(value, list_fill)
        sizes = (QUICKLIST_NODE + jemalloc(n) for n in nodes)
        return int(ROBJ + QUICKLIST + _sampled(len(nodes), sizes, max(samples, 1)))
    if isinstance(value, SetValue):
        if not value.big:
            widest = max((abs(int(m) + (int(m) < 0)) for m in value), default=0)
            width = 2 if widest < 1 << 15 else 4 if widest < 1 << 31 else 8
            return ROBJ + jemalloc(8 + width * len(value))
        entries = (DICT_ENTRY + _sds(len(m)) for m in value)
        return int(ROBJ + DICT + _slots(len(value)) * 8 + _sampled(len(value), entries, samples))
    if isinstance(value, ZSet):
        if not value.big:
            body = sum(_lp_entry(m) + _lp_entry(_d2string(s)) for m, s in value.items())
            return ROBJ + jemalloc(LISTPACK_EMPTY + body)
        entries = (_sds(len(m)) + DICT_ENTRY + SKIPLIST_NODE for m, _ in value.items())
        return int(ROBJ + ZSET_HEAD + DICT + _slots(len(value)) * 8 + _sampled(len(value), entries, samples))
    return ROBJ + 64  # a kind this table does not know yet


def _float_reply(x: float) -> Double:
    """A ratio as Redis sends it: a C float, printed with %.17g."""
    return Double(b"%.17g" % struct.unpack("f", struct.pack("f", x))[0])


# -- LOLWUT art (redis 7.0 lolwut5.c / lolwut6.c, drawn with the server's random generator) -------

RAND_MAX = 2**31 - 1


def _f32(x: float) -> float:
    """``x`` rounded to a C float: the art is computed in floats, as Redis does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _c_round(x: float) -> int:
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


class _Canvas:
    def __init__(self, width: int, height: int, color: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray([color]) * (width * height)

    def draw(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham, from (x1, y1) to (x2, y2) inclusive."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw(x1, y1, color)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """A square centred on (x, y), rotated by ``angle``: its corners lie on a circle."""
        size = _f32(_c_round(_f32(size / 1.4142135623)))
        k = _f32(math.pi / 4 + angle)
        corners = []
        for _ in range(4):
            corners.append((_c_round(math.sin(k) * size + x), _c_round(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            (ax, ay), (bx, by) = corners[j], corners[(j + 1) % 4]
            self.line(ax, ay, bx, by, color)


def _lolwut_args(args, defaults: list, limits: list) -> list:
    values = list(defaults)
    for i, arg in enumerate(args[: len(defaults)]):
        values[i] = parse_int(arg)
    return [min(max(v, lo), hi) for v, (lo, hi) in zip(values, limits)]


def _lolwut5(ctx: Context, args) -> bytes:
    """LOLWUT VERSION 5 [columns] [squares-per-row] [squares-per-col]: Georg Nees' Schotter."""
    cols, per_row, per_col = _lolwut_args(args, [66, 8, 12], [(1, 1000), (1, 200), (1, 200)])
    rand = ctx.store.rng.randrange
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32(_f32(width - padding * 2) / per_row)
    height = int(_f32(_f32(side * per_col) + padding * 2))
    canvas = _Canvas(width, height, 0)
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:  # lower rows: more and more disorder
                r1, r2, r3 = (_f32(_f32(_f32(_f32(rand(RAND_MAX + 1)) / _f32(RAND_MAX)) / per_col) * y)
                              for _ in range(3))
                if rand(RAND_MAX + 1) % 2:
                    r1 = -r1
                if rand(RAND_MAX + 1) % 2:
                    r2 = -r2
                if rand(RAND_MAX + 1) % 2:
                    r3 = -r3
                angle = r1
                sx = int(_f32(sx + _f32(_f32(r2 * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r3 * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    # Braille: each character shows 2x4 pixels
    out = bytearray()
    bits = ((0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 0, 3), (1, 1, 4), (1, 2, 5), (0, 3, 6), (1, 3, 7))
    for y in range(0, height, 4):
        for x in range(0, width, 2):
            byte = 0
            for dx, dy, bit in bits:
                if canvas.get(x + dx, y + dy):
                    byte |= 1 << bit
            out += chr(0x2800 + byte).encode("utf-8")
        if y != height - 1:
            out += b"\n"
    return bytes(out) + b"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. " + REDIS_VERSION + b"\n"


def _skyscraper(canvas: _Canvas, rand, xoff: int, width: int, height: int, windows: bool, color: int) -> None:
    start = canvas.height - 1
    end = start - height + 1
    for y in range(start, end - 1, -1):
        for x in range(xoff, xoff + width):
            if y == end and (x <= xoff + 1 or x >= xoff + width - 2):
                continue  # the roof is four pixels narrower
            c = color
            if windows and xoff + 1 < x < xoff + width - 2 and end + 1 < y < start - 1:
                relx, rely = x - (xoff + 1), y - (end + 1)
                if (relx // 2) % 2 and rely % 2:
                    c = color
                    while c == color:
                        c = 1 + rand() % 2
                    if relx % 2:
                        c = canvas.get(x - 1, y)  # both pixels of a window alike
            canvas.draw(x, y, c)


def _lolwut6(ctx: Context, args) -> bytes:
    """LOLWUT VERSION 6 [columns] [rows]: a skyline in the four grays of the terminal."""
    cols, rows = _lolwut_args(args, [80, 20], [(1, 1000), (1, 1000)])
    rng = ctx.store.rng

    def rand() -> int:
        return rng.randrange(RAND_MAX + 1)

    canvas = _Canvas(cols, rows, 3)
    for color in (2, 1):  # background buildings, lighter ones behind
        offset = -10
        while offset < cols:
            offset += rand() % 8
            width = 10 + rand() % 9
            height = rows // 2 + (rand() % rows) // (2 if color == 2 else 3)
            _skyscraper(canvas, rand, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < cols:  # foreground buildings, with windows
        offset += rand() % 8
        width = 5 + rand() % 14
        if width % 4:
            width += width % 3
        height = rows // 3 + (rand() % rows) // 2
        _skyscraper(canvas, rand, offset, width, height, True, 0)
        offset += width + 5
    escapes = {0: b"0;30;40m", 1: b"0;90;100m", 2: b"0;37;47m", 3: b"0;97;107m"}
    lines = []
    for y in range(rows):
        row = canvas.pixels[y * cols:(y + 1) * cols]
        lines.append(b"".join(b"\x1b[" + escapes.get(c, b"0;30;40m") + b" \x1b[0m" for c in row))
    return (b"\n".join(lines) + b"\nDedicated to the 8 bit game developers of past and present.\n"
            b"Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + REDIS_VERSION + b"\n")
