"""A 1,000,000-member leaderboard: figures for the sorted-set structure, printed, never asserted.

Run: ``python bench/zset_leaderboard.py [members]``.  It builds the leaderboard through the
Store API (``Store.zadd``), then times typical leaderboard commands through the in-process
dispatcher (no sockets), at growing sizes, so that O(log n) behaviour shows as per-call times
that barely move while the size grows a hundredfold.  Timings are wall clock on this machine.
"""

from __future__ import annotations

import random
import sys
import time

from kvfake.clock import ManualClock
from kvfake.config import Config
from kvfake.dispatch import Dispatcher
from kvfake.session import ClientSession
from kvfake.store import Store


def per_call_us(run, calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        run(i)
    return (time.perf_counter() - start) / calls * 1e6


def measure(size: int, rng: random.Random) -> None:
    store = Store(clock=ManualClock(start=1_700_000_000), seed=1)
    dispatcher = Dispatcher(store, config=Config())
    ctx = dispatcher.new_context(ClientSession(id=1))

    def do(*args: bytes):
        return dispatcher.execute(ctx, list(args))

    scores = {f"user:{i}": rng.random() * 1e6 for i in range(size)}
    start = time.perf_counter()
    store.zadd(0, "lb", scores)
    build = time.perf_counter() - start
    members = [f"user:{rng.randrange(size)}".encode() for _ in range(2000)]
    calls = 2000
    figures = {
        "ZADD update (existing)": per_call_us(
            lambda i: do(b"ZADD", b"lb", b"%d" % rng.randrange(10**6), members[i]), calls),
        "ZADD new member": per_call_us(lambda i: do(b"ZADD", b"lb", b"1", b"new:%d" % i), calls),
        "ZINCRBY": per_call_us(lambda i: do(b"ZINCRBY", b"lb", b"5", members[i]), calls),
        "ZSCORE": per_call_us(lambda i: do(b"ZSCORE", b"lb", members[i]), calls),
        "ZRANK": per_call_us(lambda i: do(b"ZRANK", b"lb", members[i]), calls),
        "ZREVRANK": per_call_us(lambda i: do(b"ZREVRANK", b"lb", members[i]), calls),
        "ZREVRANGE 0 9 WITHSCORES": per_call_us(
            lambda i: do(b"ZREVRANGE", b"lb", b"0", b"9", b"WITHSCORES"), calls),
        "ZRANGE mid 10": per_call_us(
            lambda i: do(b"ZRANGE", b"lb", b"%d" % (size // 2), b"%d" % (size // 2 + 9)), calls),
        "ZRANGEBYSCORE LIMIT 0 10": per_call_us(
            lambda i: do(b"ZRANGEBYSCORE", b"lb", b"(500000", b"+inf", b"LIMIT", b"0", b"10"), calls),
        "ZCOUNT": per_call_us(lambda i: do(b"ZCOUNT", b"lb", b"250000", b"(750000"), calls),
        "ZREM + ZADD": per_call_us(
            lambda i: (do(b"ZREM", b"lb", members[i]), do(b"ZADD", b"lb", b"7", members[i])), calls),
    }
    print(f"\n{size:>9,} members  (built by Store.zadd in {build:.2f} s, "
          f"OBJECT ENCODING {do(b'OBJECT', b'ENCODING', b'lb').decode()})")
    for name, us in figures.items():
        print(f"  {name:<28} {us:8.1f} us/call")


def main() -> None:
    largest = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(42)
    size = 10_000
    while size < largest:
        measure(size, rng)
        size *= 10
    measure(largest, rng)


if __name__ == "__main__":
    main()
