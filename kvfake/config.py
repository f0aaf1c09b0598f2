"""Server configuration parameters (CONFIG GET / CONFIG SET): the table, defaults and validation.

The table lists every parameter redis-server 7.0.15 shows in ``CONFIG GET *``
(192 names, aliases included), with Redis's defaults, except where kvfake's
own situation differs: ``port``/``bind`` are the listening address (set by the
server), ``dir`` is the process's working directory, ``save`` is empty (kvfake
never writes files) and ``enable-debug-command`` is ``yes`` (DEBUG is always
allowed).  Values are kept as the bytes CONFIG GET prints, in ``values``; an
alias (``hash-max-ziplist-entries``) and the name it stands for
(``hash-max-listpack-entries``) always hold the same value, so readers may use
either.  Parameters kvfake honours change its behaviour (requirepass,
proto-max-bulk-len, the encoding thresholds, maxmemory-policy...); the others
are validated and remembered, so clients that set them keep working.

Validation follows Redis 7.0's ``CONFIG SET`` (config.c), each rule pinned by
tests/differential/test_server.py: names match case-insensitively; one bad
name, immutable/protected parameter or repeated name fails the whole command
before any value is parsed (first problem wins, named as typed); then values
are parsed in order (first failure wins, named by the parameter's own name);
nothing changes unless everything is valid.  Number parsing is Redis's:
``string2ll`` for integers, ``memtoull`` (digits + b/k/kb/m/mb/g/gb, any case,
with its unsigned wrap-around) for memory values, ``N%`` for percentages.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple, Optional

# -- kinds ------------------------------------------------------------------

BOOL = "bool"
ENUM = "enum"
INT = "int"  # string2ll, then lo..hi
MEM = "mem"  # memtoull, then lo..hi (signed compare)
UMEM = "umem"  # memtoull, unsigned long long 0..2**64-1 (maxmemory)
MEMPCT = "mempct"  # memory value or "N%" (stored negative, as Redis does)
STRING = "string"
IMMUTABLE = "immutable"
PROTECTED = "protected"  # protected configs: refused while enable-protected-configs is "no"
SPECIAL = "special"  # a validator of its own (see _SPECIAL)

I32 = 2**31 - 1
U32 = 2**32 - 1
I64 = 2**63 - 1
U64 = 2**64 - 1


class Param(NamedTuple):
    name: bytes
    kind: str
    default: bytes
    lo: int = 0
    hi: int = 0
    choices: tuple = ()  # ENUM: accepted names, in Redis's order


_TABLE = [
    # name, kind, default, (lo, hi) | (choices,)
    ("acl-pubsub-default", ENUM, "resetchannels", ("allchannels", "resetchannels")),
    ("aclfile", IMMUTABLE, ""),
    ("acllog-max-len", INT, "128", 0, I64),
    ("active-defrag-cycle-max", INT, "25", 1, 99),
    ("active-defrag-cycle-min", INT, "1", 1, 99),
    ("active-defrag-ignore-bytes", MEM, "104857600", 1, I64),
    ("active-defrag-max-scan-fields", INT, "1000", 1, I64),
    ("active-defrag-threshold-lower", INT, "10", 0, 1000),
    ("active-defrag-threshold-upper", INT, "100", 0, 1000),
    ("active-expire-effort", INT, "1", 1, 10),
    ("activedefrag", SPECIAL, "no"),
    ("activerehashing", BOOL, "yes"),
    ("always-show-logo", IMMUTABLE, "no"),
    ("aof-disable-auto-gc", BOOL, "no"),
    ("aof-load-truncated", BOOL, "yes"),
    ("aof-rewrite-incremental-fsync", BOOL, "yes"),
    ("aof-timestamp-enabled", BOOL, "no"),
    ("aof-use-rdb-preamble", BOOL, "yes"),
    ("aof_rewrite_cpulist", IMMUTABLE, ""),
    ("appenddirname", IMMUTABLE, "appendonlydir"),
    ("appendfilename", IMMUTABLE, "appendonly.aof"),
    ("appendfsync", ENUM, "everysec", ("everysec", "always", "no")),
    ("appendonly", BOOL, "no"),
    ("auto-aof-rewrite-min-size", MEM, "67108864", 0, I64),
    ("auto-aof-rewrite-percentage", INT, "100", 0, I32),
    ("bgsave_cpulist", IMMUTABLE, ""),
    ("bind", SPECIAL, "127.0.0.1"),
    ("bind-source-addr", STRING, ""),
    ("bio_cpulist", IMMUTABLE, ""),
    ("busy-reply-threshold", INT, "5000", 0, I64),
    ("client-output-buffer-limit", SPECIAL,
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    ("client-query-buffer-limit", MEM, "1073741824", 1048576, I64),
    ("cluster-allow-pubsubshard-when-down", BOOL, "yes"),
    ("cluster-allow-reads-when-down", BOOL, "no"),
    ("cluster-allow-replica-migration", BOOL, "yes"),
    ("cluster-announce-bus-port", INT, "0", 0, 65535),
    ("cluster-announce-hostname", SPECIAL, ""),
    ("cluster-announce-ip", STRING, ""),
    ("cluster-announce-port", INT, "0", 0, 65535),
    ("cluster-announce-tls-port", INT, "0", 0, 65535),
    ("cluster-config-file", IMMUTABLE, "nodes.conf"),
    ("cluster-enabled", IMMUTABLE, "no"),
    ("cluster-link-sendbuf-limit", UMEM, "0", 0, U64),
    ("cluster-migration-barrier", INT, "1", 0, I32),
    ("cluster-node-timeout", INT, "15000", 0, I64),
    ("cluster-port", IMMUTABLE, "0"),
    ("cluster-preferred-endpoint-type", ENUM, "ip", ("ip", "hostname", "unknown-endpoint")),
    ("cluster-replica-no-failover", BOOL, "no"),
    ("cluster-replica-validity-factor", INT, "10", 0, I32),
    ("cluster-require-full-coverage", BOOL, "yes"),
    ("cluster-slave-no-failover", BOOL, "no"),
    ("cluster-slave-validity-factor", INT, "10", 0, I32),
    ("crash-log-enabled", BOOL, "yes"),
    ("crash-memcheck-enabled", BOOL, "yes"),
    ("daemonize", IMMUTABLE, "no"),
    ("databases", IMMUTABLE, "16"),
    ("dbfilename", PROTECTED, "dump.rdb"),
    ("dir", PROTECTED, ""),  # the working directory, filled in by Config()
    ("disable-thp", IMMUTABLE, "yes"),
    ("dynamic-hz", BOOL, "yes"),
    ("enable-debug-command", IMMUTABLE, "yes"),  # redis: "no"; kvfake always allows DEBUG
    ("enable-module-command", IMMUTABLE, "no"),
    ("enable-protected-configs", IMMUTABLE, "no"),
    ("hash-max-listpack-entries", INT, "512", 0, I64),
    ("hash-max-listpack-value", MEM, "64", 0, I64),
    ("hash-max-ziplist-entries", INT, "512", 0, I64),
    ("hash-max-ziplist-value", MEM, "64", 0, I64),
    ("hll-sparse-max-bytes", MEM, "3000", 0, I64),
    ("hz", SPECIAL, "10"),
    ("ignore-warnings", STRING, ""),
    ("io-threads", IMMUTABLE, "1"),
    ("io-threads-do-reads", IMMUTABLE, "no"),
    ("jemalloc-bg-thread", BOOL, "yes"),
    ("latency-monitor-threshold", INT, "0", 0, I64),
    ("latency-tracking", BOOL, "yes"),
    ("latency-tracking-info-percentiles", SPECIAL, "50 99 99.9"),
    ("lazyfree-lazy-eviction", BOOL, "no"),
    ("lazyfree-lazy-expire", BOOL, "no"),
    ("lazyfree-lazy-server-del", BOOL, "no"),
    ("lazyfree-lazy-user-del", BOOL, "no"),
    ("lazyfree-lazy-user-flush", BOOL, "no"),
    ("lfu-decay-time", INT, "1", 0, I32),
    ("lfu-log-factor", INT, "10", 0, I32),
    ("list-compress-depth", INT, "0", 0, I32),
    ("list-max-listpack-size", INT, "-2", -I32 - 1, I32),
    ("list-max-ziplist-size", INT, "-2", -I32 - 1, I32),
    ("logfile", IMMUTABLE, ""),
    ("loglevel", ENUM, "notice", ("debug", "verbose", "notice", "warning")),
    ("lua-time-limit", INT, "5000", 0, I64),
    ("masterauth", STRING, ""),
    ("masteruser", STRING, ""),
    ("maxclients", INT, "10000", 1, U32),
    ("maxmemory", UMEM, "0", 0, U64),
    ("maxmemory-clients", MEMPCT, "0", -100, I64),
    ("maxmemory-eviction-tenacity", INT, "10", 0, 100),
    ("maxmemory-policy", ENUM, "noeviction", (
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
        "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")),
    ("maxmemory-samples", INT, "5", 1, I32),
    ("min-replicas-max-lag", INT, "10", 0, I32),
    ("min-replicas-to-write", INT, "0", 0, I32),
    ("min-slaves-max-lag", INT, "10", 0, I32),
    ("min-slaves-to-write", INT, "0", 0, I32),
    ("no-appendfsync-on-rewrite", BOOL, "no"),
    ("notify-keyspace-events", SPECIAL, ""),
    ("oom-score-adj", ENUM, "no", ("no", "yes", "relative", "absolute")),
    ("oom-score-adj-values", SPECIAL, "0 200 800"),
    ("pidfile", IMMUTABLE, ""),
    ("port", SPECIAL, "6379"),
    ("proc-title-template", SPECIAL, "{title} {listen-addr} {server-mode}"),
    ("propagation-error-behavior", ENUM, "ignore", ("ignore", "panic", "panic-on-replicas")),
    ("protected-mode", BOOL, "yes"),
    ("proto-max-bulk-len", MEM, "536870912", 1048576, I64),
    ("rdb-del-sync-files", BOOL, "no"),
    ("rdb-save-incremental-fsync", BOOL, "yes"),
    ("rdbchecksum", IMMUTABLE, "yes"),
    ("rdbcompression", BOOL, "yes"),
    ("repl-backlog-size", SPECIAL, "1048576"),
    ("repl-backlog-ttl", INT, "3600", 0, I64),
    ("repl-disable-tcp-nodelay", BOOL, "no"),
    ("repl-diskless-load", ENUM, "disabled", ("disabled", "on-empty-db", "swapdb")),
    ("repl-diskless-sync", BOOL, "yes"),
    ("repl-diskless-sync-delay", INT, "5", 0, I32),
    ("repl-diskless-sync-max-replicas", INT, "0", 0, I32),
    ("repl-ping-replica-period", INT, "10", 1, I32),
    ("repl-ping-slave-period", INT, "10", 1, I32),
    ("repl-timeout", INT, "60", 1, I32),
    ("replica-announce-ip", STRING, ""),
    ("replica-announce-port", INT, "0", 0, 65535),
    ("replica-announced", BOOL, "yes"),
    ("replica-ignore-disk-write-errors", BOOL, "no"),
    ("replica-ignore-maxmemory", BOOL, "yes"),
    ("replica-lazy-flush", BOOL, "no"),
    ("replica-priority", INT, "100", 0, I32),
    ("replica-read-only", BOOL, "yes"),
    ("replica-serve-stale-data", BOOL, "yes"),
    ("replicaof", IMMUTABLE, ""),
    ("requirepass", STRING, ""),
    ("sanitize-dump-payload", ENUM, "no", ("no", "yes", "clients")),
    ("save", SPECIAL, ""),  # redis: "3600 1 300 100 60 10000" without a config file
    ("server_cpulist", IMMUTABLE, ""),
    ("set-max-intset-entries", INT, "512", 0, I64),
    ("set-proc-title", IMMUTABLE, "yes"),
    ("shutdown-on-sigint", ENUM, "default", ("default", "save", "nosave", "now", "force")),
    ("shutdown-on-sigterm", ENUM, "default", ("default", "save", "nosave", "now", "force")),
    ("shutdown-timeout", INT, "10", 0, I32),
    ("slave-announce-ip", STRING, ""),
    ("slave-announce-port", INT, "0", 0, 65535),
    ("slave-ignore-maxmemory", BOOL, "yes"),
    ("slave-lazy-flush", BOOL, "no"),
    ("slave-priority", INT, "100", 0, I32),
    ("slave-read-only", BOOL, "yes"),
    ("slave-serve-stale-data", BOOL, "yes"),
    ("slaveof", IMMUTABLE, ""),
    ("slowlog-log-slower-than", INT, "10000", -1, I64),
    ("slowlog-max-len", INT, "128", 0, I64),
    ("socket-mark-id", IMMUTABLE, "0"),
    ("stop-writes-on-bgsave-error", BOOL, "yes"),
    ("stream-node-max-bytes", MEM, "4096", 0, I64),
    ("stream-node-max-entries", INT, "100", 0, I64),
    ("supervised", IMMUTABLE, "no"),
    ("syslog-enabled", IMMUTABLE, "no"),
    ("syslog-facility", IMMUTABLE, "local0"),
    ("syslog-ident", IMMUTABLE, "redis"),
    ("tcp-backlog", IMMUTABLE, "511"),
    ("tcp-keepalive", INT, "300", 0, I32),
    ("timeout", INT, "0", 0, I32),
    ("tls-auth-clients", ENUM, "yes", ("no", "yes", "optional")),
    ("tls-ca-cert-dir", STRING, ""),
    ("tls-ca-cert-file", STRING, ""),
    ("tls-cert-file", STRING, ""),
    ("tls-ciphers", STRING, ""),
    ("tls-ciphersuites", STRING, ""),
    ("tls-client-cert-file", STRING, ""),
    ("tls-client-key-file", STRING, ""),
    ("tls-client-key-file-pass", STRING, ""),
    ("tls-cluster", SPECIAL, "no"),
    ("tls-dh-params-file", STRING, ""),
    ("tls-key-file", STRING, ""),
    ("tls-key-file-pass", STRING, ""),
    ("tls-port", SPECIAL, "0"),
    ("tls-prefer-server-ciphers", BOOL, "no"),
    ("tls-protocols", STRING, ""),
    ("tls-replication", SPECIAL, "no"),
    ("tls-session-cache-size", INT, "20480", 0, I32),
    ("tls-session-cache-timeout", INT, "300", 0, I32),
    ("tls-session-caching", BOOL, "yes"),
    ("tracking-table-max-keys", INT, "1000000", 0, I64),
    ("unixsocket", IMMUTABLE, ""),
    ("unixsocketperm", IMMUTABLE, "0"),
    ("zset-max-listpack-entries", INT, "128", 0, I64),
    ("zset-max-listpack-value", MEM, "64", 0, I64),
    ("zset-max-ziplist-entries", INT, "128", 0, I64),
    ("zset-max-ziplist-value", MEM, "64", 0, I64),
]

#: alias -> the name it stands for (Redis 7.0 keeps the old names working).
ALIASES = {
    b"hash-max-ziplist-entries": b"hash-max-listpack-entries",
    b"hash-max-ziplist-value": b"hash-max-listpack-value",
    b"zset-max-ziplist-entries": b"zset-max-listpack-entries",
    b"zset-max-ziplist-value": b"zset-max-listpack-value",
    b"list-max-ziplist-size": b"list-max-listpack-size",
    b"slave-announce-ip": b"replica-announce-ip",
    b"slave-announce-port": b"replica-announce-port",
    b"slave-ignore-maxmemory": b"replica-ignore-maxmemory",
    b"slave-lazy-flush": b"replica-lazy-flush",
    b"slave-priority": b"replica-priority",
    b"slave-read-only": b"replica-read-only",
    b"slave-serve-stale-data": b"replica-serve-stale-data",
    b"slaveof": b"replicaof",
    b"min-slaves-max-lag": b"min-replicas-max-lag",
    b"min-slaves-to-write": b"min-replicas-to-write",
    b"cluster-slave-no-failover": b"cluster-replica-no-failover",
    b"cluster-slave-validity-factor": b"cluster-replica-validity-factor",
    b"repl-ping-slave-period": b"repl-ping-replica-period",
    b"lua-time-limit": b"busy-reply-threshold",
}


def _param(row: tuple) -> Param:
    name, kind, default = row[0].encode(), row[1], row[2].encode()
    if kind == ENUM:
        return Param(name, kind, default, choices=tuple(c.encode() for c in row[3]))
    if len(row) == 5:
        return Param(name, kind, default, row[3], row[4])
    return Param(name, kind, default)


#: Every parameter, in CONFIG GET order (name order; Redis's own order is its
#: dict's, which changes with every process).
PARAMS: dict = {p.name: p for p in map(_param, _TABLE)}

#: name -> every name holding the same value (itself and its aliases)
_GROUPS: dict = {}
for _alias, _target in ALIASES.items():
    _GROUPS.setdefault(_target, [_target]).append(_alias)
for _alias, _target in ALIASES.items():
    _GROUPS[_alias] = _GROUPS[_target]
del _alias, _target

DEFAULTS: dict = {p.name: p.default for p in PARAMS.values()}

# -- error texts (redis 7.0 config.c) ---------------------------------------

UNKNOWN_OPTION = "ERR Unknown option or number of arguments for CONFIG SET - '{}'"
SET_FAILED = "ERR CONFIG SET failed (possibly related to argument '{}') - {}"
IMMUTABLE_CONFIG = "can't set immutable config"
PROTECTED_CONFIG = "can't set protected config"
DUPLICATE_PARAMETER = "duplicate parameter"
NOT_YES_NO = "argument must be 'yes' or 'no'"
NOT_AN_INTEGER = "argument couldn't be parsed into an integer"
NOT_A_MEMORY_VALUE = "argument must be a memory value"
NOT_A_MEMORY_OR_PERCENT = "argument must be a memory or percent value"
OUT_OF_RANGE = "argument must be between {} and {} inclusive"
PERCENT_OUT_OF_RANGE = "percentage argument must be less or equal to {}"
ONE_OF = "argument(s) must be one of the following: {}"
BAD_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
BAD_SAVE = "Invalid save parameters"
BUFFER_LIMIT_ARGC = "Wrong number of arguments in buffer limit configuration."
BUFFER_LIMIT_CLASS = "Invalid client class specified in buffer limit configuration."
BUFFER_LIMIT_VALUES = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
BAD_PERCENTILES = "Invalid latency-tracking-info-percentiles parameters"
PERCENTILES_RANGE = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
OOM_VALUES_ARGC = "wrong number of arguments"
OOM_VALUES_RANGE = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
BAD_HOSTNAME = "Hostnames may only contain alphanumeric characters, hyphens or dots"
BAD_PROC_TITLE = "template format is invalid or contains unknown variables"
NO_ACTIVE_DEFRAG = (
    "Active defragmentation cannot be enabled: it requires a Redis server compiled with a "
    "modified Jemalloc like the one shipped by default with the Redis source distribution"
)
# What Redis says when applying the new value fails; kvfake cannot move its listener.
CANNOT_LISTEN = "Unable to listen on this port. Check server logs."
CANNOT_BIND = "Failed to bind to specified addresses."
NO_TLS = "Unable to update TLS configuration. Check server logs."


class _Invalid(Exception):
    """A value was refused; ``args[0]`` is the reason (the text after the dash)."""


# -- parsers ------------------------------------------------------------------

_MEM_UNITS = {
    b"": 1, b"b": 1, b"k": 1000, b"kb": 1024, b"m": 1000**2, b"mb": 1024**2,
    b"g": 1000**3, b"gb": 1024**3,
}
_DIGITS = re.compile(rb"[0-9]*")


def memtoull(value: bytes) -> Optional[int]:
    """Redis ``memtoull``: digits then an optional unit; None when it is not a memory value.

    redis 7.0.15: "1k" is 1000, "1KB" 1024, "" and "mb" are 0, "+1", "-1",
    "1 mb" and "1.5" are refused; too many digits saturate at 2**64-1, and the
    unit multiplication wraps modulo 2**64 ("17179869184gb" is 0).
    """
    if value[:1] == b"-":
        return None
    digits = _DIGITS.match(value).group()
    mul = _MEM_UNITS.get(value[len(digits):].lower())
    if mul is None or len(digits) >= 128:
        return None
    n = min(int(digits), U64) if digits else 0
    return (n * mul) & U64


def string2ll(value: bytes) -> Optional[int]:
    """Redis ``string2ll``: the canonical decimal spelling of an int64, or None."""
    if not 0 < len(value) <= 20:
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    if -(2**63) <= n <= I64 and b"%d" % n == value:
        return n
    return None


def _signed(n: int) -> int:
    return n - 2**64 if n > I64 else n


def _check_range(n: int, p: Param) -> None:
    if not p.lo <= n <= p.hi:
        raise _Invalid(OUT_OF_RANGE.format(p.lo, p.hi))


def _parse(p: Param, value: bytes) -> bytes:
    """The value CONFIG GET will show for ``value``, or _Invalid."""
    kind = p.kind
    if kind == BOOL:
        low = value.lower()
        if low not in (b"yes", b"no"):
            raise _Invalid(NOT_YES_NO)
        return low
    if kind == ENUM:
        low = value.lower()
        if low not in p.choices:
            raise _Invalid(ONE_OF.format(", ".join(c.decode() for c in p.choices)))
        # oom-score-adj: "relative" is the same setting as "yes", shown as "yes"
        return b"yes" if low == b"relative" else low
    if kind == INT:
        n = string2ll(value)
        if n is None:
            raise _Invalid(NOT_AN_INTEGER)
        _check_range(n, p)
        return b"%d" % n
    if kind in (MEM, UMEM):
        n = memtoull(value)
        if n is None:
            raise _Invalid(NOT_A_MEMORY_VALUE)
        if kind == MEM:
            n = _signed(n)
        _check_range(n, p)
        return b"%d" % n
    if kind == MEMPCT:
        if len(value) > 1 and value[-1:] == b"%":
            n = string2ll(value[:-1])
            if n is None or n < 0:
                raise _Invalid(NOT_A_MEMORY_OR_PERCENT)
            n = -n
        else:
            u = memtoull(value)
            if u is None:
                raise _Invalid(NOT_A_MEMORY_OR_PERCENT)
            n = _signed(u)
        if n < 0 and n < p.lo:
            raise _Invalid(PERCENT_OUT_OF_RANGE.format(-p.lo))
        _check_range(n, p)
        return b"%d%%" % -n if n < 0 else b"%d" % n
    if kind == STRING:
        return value
    return _SPECIAL[p.name](value)


def _words(value: bytes) -> list:
    """Multi-argument values: split on single spaces ("" is no words at all)."""
    return value.split(b" ") if value else []


# notify-keyspace-events: letter -> bit (redis 7.0 notify.c)
_EVENT_BITS = {
    b"g": 1 << 2, b"$": 1 << 3, b"l": 1 << 4, b"s": 1 << 5, b"h": 1 << 6, b"z": 1 << 7,
    b"x": 1 << 8, b"e": 1 << 9, b"t": 1 << 10, b"d": 1 << 12, b"n": 1 << 13,
    b"K": 1 << 0, b"E": 1 << 1, b"m": 1 << 11,
}
_EVENT_ALL = sum(_EVENT_BITS[c] for c in (b"g", b"$", b"l", b"s", b"h", b"z", b"x", b"e", b"t", b"d"))


def notify_flags(value: bytes) -> int:
    """The event bit mask of a notify-keyspace-events string (-1 when invalid)."""
    flags = 0
    for i in range(len(value)):
        c = value[i:i + 1]
        if c == b"A":
            flags |= _EVENT_ALL
        else:
            bit = _EVENT_BITS.get(c)
            if bit is None:
                return -1
            flags |= bit
    return flags


def _notify(value: bytes) -> bytes:
    flags = notify_flags(value)
    if flags < 0:
        raise _Invalid(BAD_EVENT_CLASS)
    out = b""
    if flags & _EVENT_ALL == _EVENT_ALL:
        out = b"A"  # "A" does not include "n", and Redis prints no "n" next to it either
    else:
        for c in (b"g", b"$", b"l", b"s", b"h", b"z", b"x", b"e", b"t", b"d", b"n"):
            if flags & _EVENT_BITS[c]:
                out += c
    for c in (b"K", b"E", b"m"):
        if flags & _EVENT_BITS[c]:
            out += c
    return out


_STRTOLL = re.compile(rb"[+-]?[0-9]+")


def _strtoll_full(word: bytes) -> Optional[int]:
    """C strtoll(word, &end, 10) with ``*end == 0``, saturating like strtoll."""
    if word == b"":
        return 0
    if _STRTOLL.fullmatch(word) is None:
        return None
    return max(-(2**63), min(I64, int(word)))


def _save(value: bytes) -> bytes:
    words = _words(value)
    if len(words) % 2:
        raise _Invalid(BAD_SAVE)
    nums = []
    for i, word in enumerate(words):
        n = _strtoll_full(word)
        if n is None or (n < 1 if i % 2 == 0 else n < 0):
            raise _Invalid(BAD_SAVE)
        nums.append(n)
    return b" ".join(b"%d" % n for n in nums)


_CLIENT_CLASSES = {b"normal": b"normal", b"slave": b"slave", b"replica": b"slave", b"pubsub": b"pubsub"}


def _buffer_limits(current: bytes):
    words = current.split(b" ")
    return {words[i]: words[i + 1:i + 4] for i in range(0, len(words), 4)}


def _client_output_buffer_limit(value: bytes, current: bytes) -> bytes:
    words = _words(value)
    if len(words) % 4:
        raise _Invalid(BUFFER_LIMIT_ARGC)
    limits = _buffer_limits(current)
    for i in range(0, len(words), 4):
        cls = _CLIENT_CLASSES.get(words[i].lower())
        if cls is None:
            raise _Invalid(BUFFER_LIMIT_CLASS)
        hard, soft = memtoull(words[i + 1]), memtoull(words[i + 2])
        secs = _strtoll_full(words[i + 3]) if words[i + 3] else None
        if hard is None or soft is None or secs is None or secs < 0:
            raise _Invalid(BUFFER_LIMIT_VALUES)
        limits[cls] = [b"%d" % hard, b"%d" % soft, b"%d" % secs]
    return b" ".join(b" ".join([cls] + limits[cls]) for cls in (b"normal", b"slave", b"pubsub"))


_STRTOD = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?i:inf(?:inity)?))"
)


def _percentiles(value: bytes) -> bytes:
    out = []
    for word in _words(value):
        if _STRTOD.fullmatch(word) is None:
            raise _Invalid(BAD_PERCENTILES)
        x = float.fromhex(word.decode()) if b"x" in word.lower() else float(word)
        if not 0.0 <= x <= 100.0:
            raise _Invalid(PERCENTILES_RANGE)
        text = b"%f" % x
        out.append(text.rstrip(b"0").rstrip(b".") if b"." in text else text)
    return b" ".join(out)


def _oom_values(value: bytes) -> bytes:
    words = _words(value)
    if len(words) != 3:
        raise _Invalid(OOM_VALUES_ARGC)
    nums = []
    for word in words:
        n = _strtoll_full(word) if word else None
        if n is None or not -2000 <= n <= 2000:
            raise _Invalid(OOM_VALUES_RANGE)
        nums.append(n)
    return b"%d %d %d" % tuple(nums)


_HOSTNAME = re.compile(rb"[A-Za-z0-9.-]*")


def _hostname(value: bytes) -> bytes:
    if _HOSTNAME.fullmatch(value) is None:
        raise _Invalid(BAD_HOSTNAME)
    return value


_TITLE_VARS = {b"title", b"listen-addr", b"server-mode", b"port", b"tls-port", b"unixsocket", b"config-file"}
_TITLE_VAR = re.compile(rb"\{([^}]*)\}")


def _proc_title(value: bytes) -> bytes:
    names = _TITLE_VAR.findall(value)
    rest = _TITLE_VAR.sub(b"", value)
    if b"{" in rest or b"}" in rest or any(n not in _TITLE_VARS for n in names):
        raise _Invalid(BAD_PROC_TITLE)
    # Redis expands the template with an empty title and refuses an empty result.
    expanded = _TITLE_VAR.sub(lambda m: b"" if m.group(1) == b"title" else b"x", value)
    if not expanded.strip(b" "):
        raise _Invalid(BAD_PROC_TITLE)
    return value


def _activedefrag(value: bytes) -> bytes:
    low = _parse(Param(b"activedefrag", BOOL, b"no"), value)
    if low == b"yes":
        raise _Invalid(NO_ACTIVE_DEFRAG)
    return low


def _hz(value: bytes) -> bytes:
    n = int(_parse(Param(b"hz", INT, b"10", 0, I32), value))
    return b"%d" % min(max(n, 1), 500)  # redis clamps to CONFIG_MIN_HZ..CONFIG_MAX_HZ


def _backlog_size(value: bytes) -> bytes:
    n = int(_parse(Param(b"repl-backlog-size", MEM, b"0", 1, I64), value))
    return b"%d" % max(n, 16384)  # redis raises it to CONFIG_REPL_BACKLOG_MIN_SIZE


def _port(value: bytes) -> bytes:
    return _parse(Param(b"port", INT, b"0", 0, 65535), value)


def _bind(value: bytes) -> bytes:
    return value


def _tls_bool(value: bytes) -> bytes:
    return _parse(Param(b"tls", BOOL, b"no"), value)


_SPECIAL = {
    b"notify-keyspace-events": _notify,
    b"save": _save,
    b"latency-tracking-info-percentiles": _percentiles,
    b"oom-score-adj-values": _oom_values,
    b"cluster-announce-hostname": _hostname,
    b"proc-title-template": _proc_title,
    b"activedefrag": _activedefrag,
    b"hz": _hz,
    b"repl-backlog-size": _backlog_size,
    b"port": _port,
    b"tls-port": _port,
    b"bind": _bind,
    b"tls-cluster": _tls_bool,
    b"tls-replication": _tls_bool,
}

# After every value parsed: what kvfake cannot apply (Redis's "apply" step).
_APPLY_ERRORS = {
    b"port": CANNOT_LISTEN,
    b"bind": CANNOT_BIND,
}


# Config.get_int: value bytes -> int (the spellings CONFIG SET was given; bounded in practice)
_INTS: dict = {}


class Config:
    """The live parameter table of one server.

    ``values`` maps every name (aliases included) to the bytes CONFIG GET shows;
    read it directly on hot paths.  ``set`` is the unchecked setter for the
    server itself; ``set_many`` is CONFIG SET.
    """

    def __init__(self, overrides: "dict | None" = None) -> None:
        self.values = dict(DEFAULTS)
        # notify-keyspace-events as last set: (the value shown, the bit mask of the value
        # given); Redis keeps the flags given, so "AKEn" shows "AKE" yet notifies "new"
        self.notify_given: tuple = (None, 0)
        self.set(b"dir", os.getcwd().encode("utf-8", "surrogateescape"))
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def get(self, name: bytes) -> bytes:
        return self.values[name]

    def get_int(self, name: bytes) -> int:
        """An integer parameter's value (each spelling parsed once: data commands read
        their encoding limits on every call)."""
        value = self.values[name]
        n = _INTS.get(value)
        if n is None:
            n = _INTS[value] = int(value)
        return n

    def set(self, name: bytes, value: bytes) -> None:
        """Set ``name`` (and its aliases) without any validation."""
        for key in _GROUPS.get(name, (name,)):
            self.values[key] = value

    def reset(self) -> None:
        self.values = dict(DEFAULTS)
        self.set(b"dir", os.getcwd().encode("utf-8", "surrogateescape"))

    @staticmethod
    def lookup(name: bytes) -> "Param | None":
        """The parameter called ``name`` (any case), or None."""
        return PARAMS.get(name.lower())

    def set_many(self, pairs: list) -> "str | None":
        """CONFIG SET: apply ``[(name, value), ...]`` all or nothing.

        Returns None on success, else the full Redis 7.0 error text.
        """
        params = []
        for name, value in pairs:
            p = self.lookup(name)
            shown = name.decode("latin-1")
            if p is None:
                return UNKNOWN_OPTION.format(shown)
            if p.kind == IMMUTABLE:
                return SET_FAILED.format(shown, IMMUTABLE_CONFIG)
            if p.kind == PROTECTED:
                return SET_FAILED.format(shown, PROTECTED_CONFIG)
            if p in params:
                return SET_FAILED.format(shown, DUPLICATE_PARAMETER)
            params.append(p)
        new = []
        for p, (_, value) in zip(params, pairs):
            try:
                if p.name == b"client-output-buffer-limit":
                    shown = _client_output_buffer_limit(value, self.values[p.name])
                else:
                    shown = _parse(p, value)
            except _Invalid as exc:
                return SET_FAILED.format(p.name.decode(), exc.args[0])
            new.append((p.name, shown))
        for name, shown in new:
            text = _APPLY_ERRORS.get(name)
            if text is not None and shown != self.values[name]:
                return SET_FAILED.format(name.decode(), text)
            if name == b"tls-port" and shown != b"0" or name in (b"tls-cluster", b"tls-replication") and shown == b"yes":
                return SET_FAILED.format(name.decode(), NO_TLS)
        for name, shown in new:
            self.set(name, shown)
        for (name, shown), (_, given) in zip(new, pairs):
            if name == b"notify-keyspace-events":
                self.notify_given = (shown, notify_flags(given))
        return None
