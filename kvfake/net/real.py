"""RealServer: a real Redis server behind the test API that a real server can honour.

The pytest plugin's ``--kvfake-real-url`` switch hands this object to the tests
instead of a kvfake :class:`~kvfake.net.server.Server`, so a suite written
against kvfake runs unchanged against real Redis.  Seeding (``seed``,
``seed_json``, ``seed_commands``), inspection (``dump``, ``assert_data``) and
``reset`` (FLUSHALL) go through redis-py; the powers only kvfake has (``clock``,
``journal``, ``faults``, ``store``...) raise :class:`~kvfake.errors.KvfakeError`
(the plugin turns that into a skip).  ``reset`` flushes only when allowed:
by default when the URL's host is loopback (or a unix socket), since flushing
someone's shared server between tests would destroy their data.

Needs redis-py (imported when first used).

Imports: kvfake.errors, kvfake.store.snapshot, kvfake.net.powers.  Never: selectors.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kvfake.errors import KvfakeError
from kvfake.net.powers import command_lines
from kvfake.store import snapshot

#: Server attributes that only kvfake can provide.
KVFAKE_ONLY = frozenset(
    """clock journal faults store config dispatcher restart clients kill_clients
    register_command custom_commands started_ms random_seed config_baseline""".split()
)


def is_loopback_url(url: str) -> bool:
    """True for ``unix://`` URLs and hosts that are loopback (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_for_db(url: str, db: int) -> str:
    """``url`` pointing at database ``db`` (redis-py lets a URL's own db win over ``db=``)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        return url.split("?", 1)[0] + "?" + urlencode(query)
    return urlunsplit(parts._replace(path=f"/{db}"))


class RealServer:
    """A real Redis server at ``url``, with ``seed``/``dump``/``assert_data``/``reset``.

    >>> server = RealServer("redis://127.0.0.1:6379/0")          # doctest: +SKIP
    >>> server.seed({"k": "v"}); server.dump(0)                   # doctest: +SKIP
    {'k': {'type': 'string', 'value': 'v', 'ttl': None}}

    ``flush``: may ``reset()`` run FLUSHALL?  None (default) means "only on a
    loopback URL".
    """

    is_real = True

    def __init__(self, url: str, *, flush: "bool | None" = None) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or (6379 if parts.scheme != "unix" else 0)
        self.flush_allowed = is_loopback_url(url) if flush is None else bool(flush)
        self._clients: dict = {}

    def __repr__(self) -> str:
        return f"<kvfake.RealServer {self.url}>"

    def __getattr__(self, name: str):
        if name in KVFAKE_ONLY:
            return self._unsupported(name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def _unsupported(self, name: str):
        raise KvfakeError(
            f"server.{name} needs kvfake: a real Redis server ({self.url}) cannot provide it"
        )

    # -- clients -------------------------------------------------------------

    def client(self, db: int = 0):
        """A redis-py client for database ``db`` (one per db, closed by ``stop()``)."""
        client = self._clients.get(db)
        if client is None:
            try:
                import redis
            except ImportError:  # pragma: no cover - depends on the environment
                raise KvfakeError("a real server needs redis-py: pip install redis") from None
            client = redis.Redis.from_url(url_for_db(self.url, db), single_connection_client=True)
            self._clients[db] = client
        return client

    def start(self) -> "RealServer":
        self.client(0).ping()
        return self

    def stop(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    @property
    def running(self) -> bool:
        return True

    @property
    def errors(self) -> list:
        return []

    def clear_errors(self) -> None:
        pass

    def __enter__(self) -> "RealServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- test powers a real server can honour ----------------------------------

    def reset(self) -> None:
        """FLUSHALL, when allowed (see ``flush_allowed``); otherwise nothing."""
        if self.flush_allowed:
            self.client(0).flushall()

    def seed(self, data, *, db: "int | None" = None) -> int:
        """As :meth:`kvfake.Server.seed`, through commands (DEL, SET/HSET/RPUSH/SADD/ZADD, PEXPIRE)."""
        if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
            path = os.fspath(data)
            with open(path, "rb") as f:
                content = f.read()
            if str(path).lower().endswith(".json"):
                return self.seed_json(content, db=db)
            return self.seed_commands(content, db=db or 0)
        if not isinstance(data, Mapping):
            raise TypeError(f"seed data must be a mapping or a path, not {type(data).__name__}")
        plan = []
        for index, keyspace in snapshot.by_database(data, db).items():
            for key, value in keyspace.items():
                plan.append((index, *snapshot.parse_entry(key, value)))
        for index, key, kind, norm, ttl in plan:
            pipe = self.client(index).pipeline(transaction=True)
            pipe.delete(key)
            if kind == "string":
                pipe.set(key, norm)
            elif kind == "hash":
                pipe.hset(key, items=[x for pair in norm for x in pair])
            elif kind == "list":
                pipe.rpush(key, *norm)
            elif kind == "set":
                pipe.sadd(key, *norm)
            else:
                pipe.zadd(key, dict(norm))
            if ttl is not None:
                pipe.pexpire(key, int(round(ttl * 1000)))
            pipe.execute()
        return len(plan)

    def seed_json(self, text, *, db: "int | None" = None) -> int:
        return self.seed(snapshot.from_json_form(json.loads(text), db))

    def seed_commands(self, commands, *, db: int = 0) -> int:
        """Run commands on one connection (SELECT inside them is honoured); return how many ran."""
        import redis

        conn = redis.Redis.from_url(url_for_db(self.url, db), single_connection_client=True)
        count = 0
        try:
            for number, argv in command_lines(commands):
                try:
                    conn.execute_command(*argv)
                except redis.ResponseError as exc:
                    shown = " ".join(a.decode("utf-8", "replace") for a in argv)
                    raise KvfakeError(f"seeding command on line {number} failed: {shown!r}: {exc}") from None
                count += 1
        finally:
            conn.close()
        return count

    def dump(self, db: "int | None" = None, *, decode: bool = True) -> dict:
        """As :meth:`kvfake.Server.dump`, read with SCAN, TYPE, PTTL and the type's read command."""
        if db is None:
            info = self.client(0).info("keyspace")
            indexes = sorted(int(name[2:]) for name in info if name.startswith("db"))
        else:
            indexes = [db]
        out = {}
        for index in indexes:
            keyspace = {}
            c = self.client(index)
            for key in sorted(c.scan_iter(count=1000)):
                entry = self._read(c, key, decode)
                if entry is not None:
                    keyspace[snapshot.text(key, decode)] = entry
            if keyspace or db is not None:
                out[index] = keyspace
        return out if db is None else out[db]

    def _read(self, c, key: bytes, decode: bool) -> "dict | None":
        pipe = c.pipeline(transaction=True)
        pipe.type(key)
        pipe.pttl(key)
        kind, pttl = pipe.execute()
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "none":
            return None
        if kind == "string":
            norm = c.get(key)
        elif kind == "hash":
            norm = list(c.hgetall(key).items())
        elif kind == "list":
            norm = c.lrange(key, 0, -1)
        elif kind == "set":
            norm = list(c.smembers(key))
        elif kind == "zset":
            norm = [(m, float(s)) for m, s in c.zrange(key, 0, -1, withscores=True)]
        else:
            return {"type": kind, "value": None, "ttl": None if pttl < 0 else pttl / 1000}
        if norm is None:
            return None
        _, plain = snapshot.export_value(snapshot.build_value(kind, norm), decode)
        return {"type": kind, "value": plain, "ttl": None if pttl < 0 else pttl / 1000}

    def assert_data(self, expected, *, db: "int | None" = None, partial: bool = False) -> None:
        """As :meth:`kvfake.Server.assert_data`."""
        report = snapshot.diff(expected, self.dump(), db=db, partial=partial)
        if report is not None:
            raise AssertionError(report)
