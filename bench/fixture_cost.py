"""What a test pays for its Redis: kvfake's default fixture next to a real redis-server. Printed, never asserted.

Run from the repository root: ``python bench/fixture_cost.py [tests]``.

Two kinds of figures:

1. Through pytest (the number a user sees): a generated suite of N tests, each taking
   ``kvfake_redis`` and sending one PING, against the same suite without any fixture.  The
   difference divided by N is the default fixture's cost per test (session server, reset
   before each test, a fresh redis-py client).  (The one-off session start is below: through
   pytest it drowns in the interpreter's start-up noise.)
2. Directly, per test (no pytest): what each strategy does around one test that connects and
   sends a PING -
   - kvfake session server, reset between tests (what ``kvfake_server`` does);
   - kvfake server per test (start + stop);
   - redis-server per session (one process, FLUSHALL between tests);
   - redis-server per test (a new process, waited for until it answers PING, then stopped).

Wall-clock times on this machine; the redis-server figures need ``redis-server`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kvfake import Server  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402


def pytest_suite_seconds(body: str, tests: int) -> float:
    """Wall time of ``python -m pytest`` on a generated file of ``tests`` tests (best of 3)."""
    with tempfile.TemporaryDirectory(prefix="kvfake-bench-") as tmp:
        path = Path(tmp) / "test_generated.py"
        path.write_text("\n".join(body.format(i=i) for i in range(tests)))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(path)],
                cwd=tmp, capture_output=True, text=True,
            )
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
            best = min(best, elapsed)
        return best


def through_pytest(tests: int) -> None:
    plain = "def test_{i}():\n    pass\n"
    fixture = "def test_{i}(kvfake_redis):\n    kvfake_redis.ping()\n"
    base_n = pytest_suite_seconds(plain, tests)
    with_n = pytest_suite_seconds(fixture, tests)
    print(f"through pytest ({tests} tests, best of 3 runs):")
    print(f"  suite without fixtures           {base_n:8.3f} s")
    print(f"  suite with kvfake_redis          {with_n:8.3f} s")
    print(f"  => default fixture, per test     {(with_n - base_n) / tests * 1000:8.3f} ms")


def per_test_ms(setup_and_test, teardown, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        state = setup_and_test()
        teardown(state)
    return (time.perf_counter() - start) / rounds * 1000


def one_test(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    client.ping()
    return client


def direct(rounds: int) -> None:
    print(f"\nper test, measured directly (connect + PING + close; mean of {rounds} tests unless noted):")
    print("  (redis-py's connection handshake - HELLO, CLIENT SETINFO... - is most of the kvfake figures)")
    rows = []

    with Server() as session:
        def kvfake_reset():
            session.reset()
            return one_test(session.url)

        rows.append(("kvfake, session server + reset (default)", per_test_ms(kvfake_reset, lambda c: c.close(), rounds)))

    def kvfake_fresh():
        server = Server().start()
        return server, one_test(server.url)

    def kvfake_fresh_stop(state):
        server, client = state
        client.close()
        server.stop()

    rows.append(("kvfake, a server per test", per_test_ms(kvfake_fresh, kvfake_fresh_stop, rounds)))

    if shutil.which("redis-server") or os.environ.get("KVFAKE_REDIS_SERVER"):
        with RedisServer() as real:
            def real_flush():
                client = one_test(real.url)
                client.flushall()
                return client

            rows.append(("redis-server, one per session + FLUSHALL", per_test_ms(real_flush, lambda c: c.close(), rounds)))

        real_rounds = max(3, rounds // 20)

        def real_fresh():
            server = RedisServer().start()
            return server, one_test(server.url)

        def real_fresh_stop(state):
            server, client = state
            client.close()
            server.stop()

        rows.append(
            (f"redis-server, one per test ({real_rounds} tests)", per_test_ms(real_fresh, real_fresh_stop, real_rounds))
        )
        start = time.perf_counter()
        RedisServer().start().stop()
        rows.append(("redis-server, one-off session start + stop", (time.perf_counter() - start) * 1000))
    else:
        print("  (redis-server not found: real-server figures skipped)")

    start = time.perf_counter()
    Server().start().stop()
    rows.append(("kvfake, one-off session start + stop", (time.perf_counter() - start) * 1000))
    width = max(len(name) for name, _ in rows)
    for name, ms in rows:
        print(f"  {name:<{width}}  {ms:8.3f} ms")


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    through_pytest(tests)
    direct(rounds=200)


if __name__ == "__main__":
    main()
