"""``seed=``: random commands and SCAN order repeat from server to server and from process to process.

The cross-process test runs the same script under two PYTHONHASHSEED values: Python's str/bytes
hashing is randomised per process, so anything that leaned on set or hash order would differ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import redis

from kvfake import Server

SCRIPT = r"""
import json, sys
import redis
from kvfake import Server

def run(seed):
    with Server(seed=seed) as server:
        server.seed({
            **{f"key{i}": str(i) for i in range(40)},
            "set": {f"m{i}" for i in range(40)},
            "hash": {f"f{i}": str(i) for i in range(40)},
            "zset": {"type": "zset", "value": {f"z{i}": i for i in range(40)}},
        })
        with redis.Redis(port=server.port, protocol=2) as r:
            out = []
            out.append([r.randomkey() for _ in range(5)])
            out.append(r.srandmember("set", 5))
            out.append(r.srandmember("set", -5))
            out.append(r.hrandfield("hash", 5))
            out.append(r.hrandfield("hash", -5, withvalues=True))
            out.append(r.zrandmember("zset", 5))
            out.append(r.zrandmember("zset", -5, withscores=True))
            out.append(r.spop("set", 3))
            out.append(r.spop("set"))
            out.append(r.scan(0, count=10))
            out.append(r.sscan("set", 0, count=10))
            out.append(r.hscan("hash", 0, count=10))
            out.append(r.zscan("zset", 0, count=10))
            out.append(r.smembers("set"))
            return out

def plain(x):
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, (list, tuple)):
        return [plain(i) for i in x]
    if isinstance(x, set):
        return sorted(plain(i) for i in x)
    if isinstance(x, dict):
        return [[plain(k), plain(v)] for k, v in x.items()]
    return x

print(json.dumps([plain(run(int(a))) for a in sys.argv[1:]]))
"""


def run_script(hashseed: str, *seeds: int) -> list:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, *map(str, seeds)], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_same_seed_same_results_across_processes():
    first = run_script("0", 7, 8)
    second = run_script("12345", 7, 8)
    assert first[0] == second[0]  # seed 7, two processes with different str hashing
    assert first[1] == second[1]  # seed 8
    assert first[0] != first[1]  # the seed matters


def test_a_session_server_repeats_after_reset():
    with Server(seed=3) as server:
        with redis.Redis(port=server.port) as r:
            runs = []
            for _ in range(2):
                server.reset()
                server.seed({f"k{i}": "v" for i in range(30)})
                server.seed({"s": {f"m{i}" for i in range(30)}})
                runs.append(([r.randomkey() for _ in range(5)], r.spop("s", 4)))
    assert runs[0] == runs[1]


def test_without_a_seed_reset_does_not_reseed():
    with Server() as server:
        assert server.random_seed is None
        state = server.store.rng.getstate()
        server.reset()
        assert server.store.rng.getstate() == state
