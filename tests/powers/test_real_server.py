"""RealServer: the seeding/inspection API against a real redis-server, and agreement with kvfake.

The same data seeded into kvfake and into redis-server 7.0 must dump the same and report the
same OBJECT ENCODING; that pins kvfake's direct-to-store seeding to what the commands produce.
"""

from __future__ import annotations

import pytest
import redis

from kvfake import KvfakeError, RealServer, Server
from kvfake.net.real import is_loopback_url, url_for_db
from tests.support.redis_server import start_redis

DATA = {
    "s": "v",
    "bin\xff": "caf\xe9",
    "h": {"f1": "a", "f2": "b"},
    "big-hash": {f"f{i}": "v" for i in range(513)},
    "l": ["x", "y", "x"],
    "set": {"m1", "m2"},
    "int-set": {"1", "2", "3"},
    "z": {"type": "zset", "value": {"low": 1, "high": 2.5, "neg": -0.5}},
    "big-zset": {"type": "zset", "value": {f"m{i}": i for i in range(129)}},
    "t": {"type": "string", "value": "short-lived", "ttl": 30},
}


@pytest.fixture(scope="module")
def redis_proc():
    proc = start_redis()
    yield proc
    proc.stop()


@pytest.fixture
def real(redis_proc):
    server = RealServer(redis_proc.url)
    server.reset()
    yield server
    server.stop()


@pytest.mark.redis_server
def test_seed_and_dump_agree_with_kvfake(real):
    with Server(frozen=True) as fake:
        fake.seed(DATA)
        expected = fake.dump()
        with redis.Redis(port=fake.port) as fr:
            fake_encodings = {k: fr.object("encoding", k.encode("utf-8", "surrogateescape")) for k in expected[0]}
    real.seed(DATA)
    got = real.dump()
    assert got[0]["t"]["ttl"] == pytest.approx(30, abs=1)
    got[0]["t"]["ttl"] = expected[0]["t"]["ttl"]
    assert got == expected
    client = real.client(0)
    real_encodings = {k: client.object("encoding", k.encode("utf-8", "surrogateescape")) for k in expected[0]}
    assert real_encodings == fake_encodings


@pytest.mark.redis_server
def test_assert_data_and_seed_commands_on_a_real_server(real):
    assert real.seed_commands("SET a 1\nSELECT 3\nRPUSH l x y") == 3
    real.assert_data({0: {"a": "1"}, 3: {"l": ["x", "y"]}})
    with pytest.raises(AssertionError, match="missing key db 0 'b'"):
        real.assert_data({"b": "2"}, partial=True)
    with pytest.raises(KvfakeError, match="line 1 failed: 'LPUSH a x': WRONGTYPE"):
        real.seed_commands("LPUSH a x")


@pytest.mark.redis_server
def test_reset_flushes_only_when_allowed(redis_proc):
    with RealServer(redis_proc.url) as allowed:
        allowed.seed({"k": "v"})
        assert allowed.flush_allowed
        allowed.reset()
        assert allowed.dump() == {}
    with RealServer(redis_proc.url, flush=False) as kept:
        kept.seed({"k": "v"})
        kept.reset()
        assert kept.dump(0) == {"k": {"type": "string", "value": "v", "ttl": None}}
        kept.client(0).flushall()


@pytest.mark.parametrize("name", ["clock", "journal", "faults", "store", "config"])
def test_kvfake_only_powers_raise(name):
    server = RealServer("redis://127.0.0.1:1/0")
    with pytest.raises(KvfakeError, match=rf"server\.{name} needs kvfake"):
        getattr(server, name)
    with pytest.raises(AttributeError):
        server.no_such_thing


LOOPBACK = [
    ("redis://127.0.0.1:6379/0", True),
    ("redis://127.5.6.7", True),
    ("redis://localhost:6379", True),
    ("redis://[::1]:6379", True),
    ("redis://:pw@127.0.0.1:6379/0", True),
    ("unix:///tmp/redis.sock", True),
    ("redis://10.0.0.5:6379", False),
    ("rediss://cache.example.com:6380", False),
    ("redis://[2001:db8::1]:6379", False),
]


@pytest.mark.parametrize("url, expected", LOOPBACK, ids=[u for u, _ in LOOPBACK])
def test_loopback_detection(url, expected):
    assert is_loopback_url(url) is expected
    assert RealServer(url).flush_allowed is expected
    assert RealServer(url, flush=True).flush_allowed is True


DB_URLS = [
    ("redis://:pw@127.0.0.1:6379/0", "redis://:pw@127.0.0.1:6379/3"),
    ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/3"),
    ("rediss://h:1/5?ssl_cert_reqs=none", "rediss://h:1/3?ssl_cert_reqs=none"),
    ("unix:///tmp/r.sock?db=2&password=x", "unix:///tmp/r.sock?password=x&db=3"),
]


@pytest.mark.parametrize("url, expected", DB_URLS, ids=[u for u, _ in DB_URLS])
def test_url_for_db_overrides_the_urls_own_db(url, expected):
    """redis-py lets a URL's db win over ``db=``, so RealServer rewrites the URL per database."""
    assert url_for_db(url, 3) == expected
