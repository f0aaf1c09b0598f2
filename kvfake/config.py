"""Server configuration parameters (CONFIG GET / CONFIG SET) and their defaults.

Values are kept as the bytes CONFIG GET prints.  Parameters kvfake honours
change its behaviour; the others are accepted and remembered so clients that
set them (e.g. notify-keyspace-events, maxmemory-policy) keep working.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

DEFAULTS: dict = {
    b"bind": b"127.0.0.1",
    b"port": b"6379",
    b"databases": b"16",
    b"requirepass": b"",
    b"maxclients": b"10000",
    b"timeout": b"0",
    b"tcp-keepalive": b"300",
    b"proto-max-bulk-len": b"536870912",
    b"client-query-buffer-limit": b"1073741824",
    b"maxmemory": b"0",
    b"maxmemory-policy": b"noeviction",
    b"notify-keyspace-events": b"",
    b"hz": b"10",
    b"save": b"",
    b"appendonly": b"no",
    b"appendfsync": b"everysec",
    b"dir": b"/tmp",
    b"dbfilename": b"dump.rdb",
    b"loglevel": b"notice",
    b"slowlog-log-slower-than": b"10000",
    b"slowlog-max-len": b"128",
    b"lua-time-limit": b"5000",
    b"busy-reply-threshold": b"5000",
    b"hash-max-listpack-entries": b"128",
    b"hash-max-listpack-value": b"64",
    b"hash-max-ziplist-entries": b"128",
    b"hash-max-ziplist-value": b"64",
    b"list-max-listpack-size": b"-2",
    b"list-max-ziplist-size": b"-2",
    b"list-compress-depth": b"0",
    b"set-max-intset-entries": b"512",
    b"zset-max-listpack-entries": b"128",
    b"zset-max-listpack-value": b"64",
    b"zset-max-ziplist-entries": b"128",
    b"zset-max-ziplist-value": b"64",
    b"hll-sparse-max-bytes": b"3000",
    b"stream-node-max-bytes": b"4096",
    b"stream-node-max-entries": b"100",
    b"lfu-log-factor": b"10",
    b"lfu-decay-time": b"1",
    b"maxmemory-samples": b"5",
    b"latency-tracking": b"yes",
    b"protected-mode": b"no",
    b"io-threads": b"1",
    b"activedefrag": b"no",
    b"lazyfree-lazy-user-del": b"no",
    b"lazyfree-lazy-user-flush": b"no",
    b"cluster-enabled": b"no",
    b"daemonize": b"no",
    b"supervised": b"no",
    b"replica-read-only": b"yes",
    b"min-replicas-to-write": b"0",
    b"tracking-table-max-keys": b"1000000",
}


class Config:
    """The live parameter table of one server."""

    def __init__(self, overrides: "dict | None" = None) -> None:
        self.values = dict(DEFAULTS)
        for name, value in (overrides or {}).items():
            self.values[name] = value

    def get(self, name: bytes) -> bytes:
        return self.values[name]

    def get_int(self, name: bytes) -> int:
        return int(self.values[name])

    def set(self, name: bytes, value: bytes) -> None:
        self.values[name] = value

    def reset(self) -> None:
        self.values = dict(DEFAULTS)
