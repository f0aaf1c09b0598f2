"""The pytest plugin, through pytester: each test writes an inner test suite and runs it.

In-process runs (``runpytest``) let leaked threads show up here; runs that need a clean
interpreter (xdist, a missing redis-py) use ``runpytest_subprocess``.  The plugin is active in
the inner runs through kvfake's ``pytest11`` entry point, as it is for users.
"""

from __future__ import annotations

import importlib.util
import json
import threading

import pytest

from tests.support.redis_server import start_redis


def kvfake_threads() -> set:
    return {t for t in threading.enumerate() if t.name.startswith("kvfake-")}


@pytest.fixture
def no_leaks():
    before = kvfake_threads()
    yield
    assert kvfake_threads() == before, "a server started by the plugin is still running"


def test_fixtures_give_a_live_server(pytester, no_leaks):
    pytester.makepyfile(
        """
        import socket

        def test_raw_ping(kvfake_server):
            with socket.create_connection((kvfake_server.host, kvfake_server.port)) as s:
                s.sendall(b"PING\\r\\n")
                assert s.recv(100) == b"+PONG\\r\\n"

        def test_url(kvfake_server, kvfake_url):
            assert kvfake_url == f"redis://127.0.0.1:{kvfake_server.port}/0"

        def test_client(kvfake_server, kvfake_redis):
            assert kvfake_redis.ping() is True
            assert kvfake_redis.client_getname() in ("kvfake_redis", b"kvfake_redis")

        def test_same_server_for_the_session(kvfake_server, request):
            assert kvfake_server is request.getfixturevalue("kvfake_session_server")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_tests_are_isolated(pytester, no_leaks):
    pytester.makepyfile(
        """
        import redis, pytest

        def test_a_dirties_everything(kvfake_server, kvfake_redis):
            kvfake_redis.set("k", "v")
            kvfake_redis.execute_command("SELECT", 5)
            kvfake_redis.set("k5", "v")
            kvfake_redis.config_set("maxmemory-policy", "allkeys-lru")
            kvfake_redis.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            kvfake_server.clock.advance(3600)
            kvfake_server.clock.freeze()
            kvfake_server.faults.error("GET", "LOADING Redis is loading the dataset in memory")
            kvfake_server.register_command("HELLOWORLD", lambda *a: b"hi")

        def test_b_sees_a_clean_server(kvfake_server, kvfake_redis):
            assert kvfake_redis.dbsize() == 0
            kvfake_redis.execute_command("SELECT", 5)
            assert kvfake_redis.dbsize() == 0
            assert str(kvfake_redis.config_get("maxmemory-policy")) == str({"maxmemory-policy": "noeviction"})
            assert kvfake_server.store.active_expire_enabled
            assert not kvfake_server.clock.frozen and abs(kvfake_server.clock.offset) < 5
            assert kvfake_redis.get("missing") is None  # no LOADING fault left
            with pytest.raises(redis.ResponseError, match="unknown command"):
                kvfake_redis.execute_command("HELLOWORLD")
            kvfake_server.journal.assert_not_called("SET")
            assert {e.client_id for e in kvfake_server.journal} == {kvfake_redis.client_id()}
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


SERVER_RAISES = """
    import redis, pytest

    def boom(*args):
        raise RuntimeError("boom inside the server")

    def test_server_raises(kvfake_server, kvfake_redis):
        kvfake_server.register_command("BOOM", boom)
        with pytest.raises(redis.ResponseError, match="internal error"):
            kvfake_redis.execute_command("BOOM")
        # the test itself passes: the plugin fails it

    def test_next_test_is_clean(kvfake_server, kvfake_redis):
        assert kvfake_server.errors == []
        assert kvfake_redis.ping()

    def test_failing_test_gets_the_server_traceback_too(kvfake_server, kvfake_redis):
        kvfake_server.register_command("BOOM", boom)
        with pytest.raises(redis.ResponseError):
            kvfake_redis.execute_command("BOOM")
        assert False, "the test's own failure"
"""


def test_a_server_error_fails_the_test(pytester, no_leaks):
    pytester.makepyfile(SERVER_RAISES)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_server_raises _*",
            "kvfake server raised an internal error while serving this test:",
            "--- <kvfake.Server 127.0.0.1:* running> ---",
            "Traceback (most recent call last):",
            "*RuntimeError: boom inside the server",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_failing_test_gets_the_server_traceback_too _*",
            "*AssertionError: the test's own failure*",
            "*- Captured kvfake server errors call -*",
            "kvfake server raised an internal error while serving this test:",
            "*RuntimeError: boom inside the server",
        ]
    )


SHOW_SETTINGS = """
    import redis

    def databases(r):
        return r.execute_command("CONFIG", "GET", "databases", NEVER_DECODE=True)[b"databases"].decode()

    def test_session(kvfake_redis):
        print("session databases", databases(kvfake_redis))

    def test_factory(kvfake_server_factory):
        server = kvfake_server_factory(databases=2)
        with redis.Redis(port=server.port) as r:
            print("factory databases", databases(r))

    def test_made(made):
        with redis.Redis(port=made.port) as r:
            print("made databases", databases(r))
"""


@pytest.mark.parametrize(
    "ini, args, session, made",
    [
        ("", [], "16", "3"),
        ("kvfake_databases = 4", [], "4", "3"),
        ("kvfake_databases = 4", ["--kvfake-databases=8"], "8", "3"),
        ("", ["--kvfake-databases", "6"], "6", "3"),
    ],
    ids=["defaults", "ini", "cli-beats-ini", "cli"],
)
def test_settings_precedence(pytester, no_leaks, ini, args, session, made):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makeconftest(
        "from kvfake.pytest_plugin import make_kvfake_server\nmade = make_kvfake_server(scope='module', databases=3)\n"
    )
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-s", *args)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([f"*session databases {session}*", "*factory databases 2*", f"*made databases {made}*"])


def test_frozen_clock_from_ini_is_restored_before_each_test(pytester, no_leaks):
    pytester.makeini("[pytest]\nkvfake_frozen = true\nkvfake_start_time = 2030-01-01T00:00:00Z\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("run", [1, 2])
        def test_time(kvfake_server, kvfake_redis, run):
            assert kvfake_redis.time() == (1893456000, 0)
            kvfake_server.clock.advance(100)
            kvfake_server.clock.unfreeze()
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_cli_start_time_as_epoch_and_no_frozen(pytester, no_leaks):
    pytester.makeini("[pytest]\nkvfake_frozen = true\n")
    pytester.makepyfile(
        """
        def test_time(kvfake_server, kvfake_redis):
            assert not kvfake_server.clock.frozen
            assert 1000 <= kvfake_redis.time()[0] < 1100
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--kvfake-no-frozen", "--kvfake-start-time=1000").assert_outcomes(
        passed=1
    )


def test_requirepass(pytester, no_leaks):
    pytester.makepyfile(
        """
        import socket

        def test_auth(kvfake_server, kvfake_url, kvfake_redis):
            assert kvfake_url.startswith("redis://:s3cr%40t@127.0.0.1:")
            assert kvfake_redis.ping()
            with socket.create_connection((kvfake_server.host, kvfake_server.port)) as s:
                s.sendall(b"GET k\\r\\n")
                assert s.recv(100) == b"-NOAUTH Authentication required.\\r\\n"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--kvfake-requirepass=s3cr@t").assert_outcomes(passed=1)


def test_data_from_ini_file_and_markers(pytester, no_leaks):
    pytester.makeini("[pytest]\nkvfake_data = data/base.json\n")
    data = pytester.mkdir("data")
    (data / "base.json").write_text(json.dumps({"base": "1", "overridden": "ini"}))
    tests = pytester.mkdir("tests")
    (tests / "extra.redis").write_text("RPUSH from-file a b\n")
    (tests / "test_data.py").write_text(
        """
import pytest

pytestmark = pytest.mark.kvfake_data(commands="SET from-module 1\\nSET overridden module")

@pytest.mark.kvfake_data({"overridden": "test", "h": {"f": "v"}})
@pytest.mark.kvfake_data("extra.redis")
@pytest.mark.kvfake_data({"other-db": "x"}, db=2)
def test_seeded(kvfake_server, kvfake_redis):
    kvfake_server.assert_data({
        0: {"base": "1", "from-module": "1", "overridden": "test", "h": {"f": "v"}, "from-file": ["a", "b"]},
        2: {"other-db": "x"},
    })

def test_module_marker_and_ini_only(kvfake_server):
    kvfake_server.assert_data({"base": "1", "from-module": "1", "overridden": "module"})
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_seed_setting_repeats_random_commands_in_every_test(pytester, no_leaks):
    pytester.makeini("[pytest]\nkvfake_seed = 1234\n")
    pytester.makepyfile(
        """
        import pytest
        SEEN = []

        @pytest.mark.parametrize("run", [1, 2, 3])
        def test_spop(kvfake_server, kvfake_redis, run):
            kvfake_redis.sadd("s", *range(50))
            kvfake_redis.set("other", "x")
            SEEN.append((kvfake_redis.spop("s", 5), kvfake_redis.srandmember("s", 3), kvfake_redis.randomkey()))
            assert SEEN[0] == SEEN[-1]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_made_fixtures_share_their_server_within_their_scope(pytester, no_leaks):
    pytester.makeconftest(
        """
        from kvfake.pytest_plugin import make_kvfake_server
        shared = make_kvfake_server(scope="module", data={"k": "seeded"}, seed=1)
        """
    )
    body = """
        import redis
        PORTS = []

        def test_first(shared, kvfake_server):
            assert shared is not kvfake_server
            with redis.Redis(port=shared.port) as r:
                assert r.get("k") == b"seeded"
                r.set("written", "1")
            PORTS.append(shared.port)

        def test_second_sees_the_first(shared):
            with redis.Redis(port=shared.port) as r:
                assert r.get("written") == b"1"
            assert shared.port == PORTS[0]
    """
    pytester.makepyfile(test_one=body, test_two=body)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_factory_rejects_unknown_settings(pytester, no_leaks):
    pytester.makepyfile(
        """
        import pytest
        from kvfake.pytest_plugin import make_kvfake_server

        def test_factory(kvfake_server_factory):
            with pytest.raises(TypeError, match="unknown kvfake setting"):
                kvfake_server_factory(colour="blue")

        def test_make():
            with pytest.raises(TypeError, match="unknown kvfake setting"):
                make_kvfake_server(colour="blue")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_bad_option_value_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(kvfake_server): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--kvfake-databases=many")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*kvfake: bad value for databases: 'many'*"])


def test_plugin_can_be_disabled(pytester):
    pytester.makepyfile("def test_x(kvfake_server): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:kvfake")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'kvfake_server' not found*"])


def test_async_client_without_an_asyncio_plugin(pytester, no_leaks):
    pytester.makepyfile(
        """
        import asyncio

        def test_async_left_open(kvfake_redis_async):
            async def main():
                await kvfake_redis_async.set("a", "1")
                return await kvfake_redis_async.get("a")
            assert asyncio.run(main()) == b"1"

        def test_async_with_block(kvfake_redis_async):
            async def main():
                async with kvfake_redis_async as r:
                    return await r.incr("n")
            assert asyncio.run(main()) == 1

        def test_no_async_client_left_behind(kvfake_server):
            assert [c for c in kvfake_server.clients() if c.name == b"kvfake_redis_async"] == []
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-W", "error::ResourceWarning").assert_outcomes(passed=3)


def test_missing_redis_py_is_a_clear_error(pytester):
    pytester.makeconftest("import sys\nsys.modules['redis'] = None\n")
    pytester.makepyfile(
        """
        def test_sync(kvfake_redis):
            pass

        def test_async(kvfake_redis_async):
            pass

        def test_server_alone_works(kvfake_server):
            assert kvfake_server.running
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*the kvfake_redis fixture needs redis-py: pip install redis*"])
    result.stdout.fnmatch_lines(["*the kvfake_redis_async fixture needs redis-py*"])


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_xdist_workers_each_get_a_server(pytester):
    out = pytester.mkdir("out")
    pytester.makepyfile(
        f"""
        import os, pytest

        @pytest.mark.parametrize("n", range(8))
        def test_worker(kvfake_server, kvfake_redis, n):
            assert kvfake_redis.dbsize() == 0
            kvfake_redis.set("n", n)
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(os.path.join({str(out)!r}, f"{{worker}}-{{n}}"), "w") as f:
                f.write(str(kvfake_server.port))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=8)
    ports = {}
    for path in out.iterdir():
        worker = path.name.split("-")[0]
        ports.setdefault(worker, set()).add(path.read_text())
    assert sorted(ports) == ["gw0", "gw1"]
    assert all(len(p) == 1 for p in ports.values())  # one server per worker...
    assert ports["gw0"] != ports["gw1"]  # ...each on its own port


def test_session_server_comes_back_after_a_shutdown(pytester, no_leaks):
    pytester.makepyfile(
        """
        import threading
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        PORTS = []

        def test_a_client_shuts_it_down(kvfake_server):
            PORTS.append(kvfake_server.port)
            with redis.Redis(port=kvfake_server.port, retry=Retry(NoBackoff(), 0)) as r:
                r.set("k", "v")
                assert r.shutdown(nosave=True) is None  # the connection closed: no reply
            assert not kvfake_server.running

        def test_b_gets_it_back_on_the_same_port(kvfake_server, kvfake_redis):
            assert kvfake_server.running and kvfake_server.port == PORTS[0]
            assert kvfake_redis.ping() and kvfake_redis.dbsize() == 0
            assert kvfake_server.errors == []

        def test_c_stops_it_by_hand(kvfake_server):
            kvfake_server.stop()

        def test_d_gets_it_back_again(kvfake_server, kvfake_redis):
            assert kvfake_server.port == PORTS[0] and kvfake_redis.ping()
            loops = [t for t in threading.enumerate() if t.name.startswith(f"kvfake-{PORTS[0]}")]
            assert len(loops) == 1  # the one loop thread: the old ones and the stopper are gone
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


# -- real server switch ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_redis():
    server = start_redis()
    yield server
    server.stop()


REAL_SUITE = """
    import pytest

    def test_a_writes(kvfake_server, kvfake_redis):
        assert kvfake_server.is_real
        kvfake_redis.set("k", "v")
        assert kvfake_redis.info("server")["redis_version"].startswith("7.")

    def test_b_starts_flushed(kvfake_redis):
        assert kvfake_redis.dbsize() == 0

    def test_clock_skips(kvfake_server):
        kvfake_server.clock.advance(10)

    @pytest.mark.kvfake_data({"seeded": {"f": "v"}, "z": {"type": "zset", "value": {"m": 1}}})
    def test_seeding_and_dump_work(kvfake_server, kvfake_redis):
        assert kvfake_redis.hgetall("seeded") == {b"f": b"v"}
        kvfake_server.assert_data({"seeded": {"f": "v"}, "z": {"type": "zset", "value": {"m": 1}}})

    def test_factory_gives_the_real_server_once(kvfake_server_factory):
        server = kvfake_server_factory(data={"seeded": "yes"})
        assert server.is_real and server.dump(0) == {"seeded": {"type": "string", "value": "yes", "ttl": None}}

    def test_factory_skips_kvfake_only_settings(kvfake_server_factory):
        kvfake_server_factory(databases=2, seed=1)

    def test_factory_skips_a_second_server(kvfake_server_factory):
        kvfake_server_factory()
        kvfake_server_factory()

    def test_factory_beside_kvfake_server_is_a_second_server(kvfake_server_factory, kvfake_redis):
        kvfake_server_factory()
"""


@pytest.mark.redis_server
@pytest.mark.parametrize("how", ["cli", "env", "ini"])
def test_real_url_switch(pytester, monkeypatch, real_redis, no_leaks, how):
    pytester.makepyfile(REAL_SUITE)
    args = ["-p", "no:cacheprovider", "-rs"]
    if how == "cli":
        args.append(f"--kvfake-real-url={real_redis.url}")
    elif how == "env":
        monkeypatch.setenv("KVFAKE_REAL_URL", real_redis.url)
    else:
        pytester.makeini(f"[pytest]\nkvfake_real_url = {real_redis.url}\n")
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=4, skipped=4)
    result.stdout.fnmatch_lines_random([
        "*SKIPPED*kvfake_server.clock needs kvfake; not available against a real server (--kvfake-real-url)*",
        "*SKIPPED*kvfake_server_factory(databases, seed=...) needs kvfake: a real server (--kvfake-real-url) "
        "cannot honour databases, seed*",
        "*SKIPPED*kvfake_server_factory: a second server needs kvfake; --kvfake-real-url gives a test only the one "
        "real server*",
    ])


@pytest.mark.redis_server
def test_real_flush_flag(pytester, real_redis):
    pytester.makepyfile(
        """
        def test_flag(kvfake_server):
            assert kvfake_server.flush_allowed
        """
    )
    url = real_redis.url.replace("127.0.0.1", "localhost")
    pytester.runpytest("-p", "no:cacheprovider", f"--kvfake-real-url={url}", "--kvfake-real-flush").assert_outcomes(
        passed=1
    )
