#!/usr/bin/env python3
"""kvfake's benchmark suite: kvfake against its peers, in one run, on this machine.

    python bench/run.py                        # everything (~15 min on 2 cores)
    python bench/run.py --quick                # smoke run, ~1-2 min
    python bench/run.py --only bench --json after.json --compare before.json
    python bench/run.py --compare before.json after.json      # compare two saved runs, no run
    python bench/run.py --show after.json                     # print a saved run's tables again

It starts every target itself on 127.0.0.1 (free ports in 20000-32000, never 6379), runs the
same workloads against all of them, interleaved (repetition 1 of every target, then
repetition 2, ...), prints markdown tables of medians and of ratios to kvfake on stdout
(progress goes to stderr), and with ``--json FILE`` writes every figure so that a change can
be compared before/after with ``--compare``.

Targets (bench/targets.py): kvfake (``python -m kvfake serve``), kvfake-thread (kvfake.Server
in a thread of this process, as a pytest fixture runs it), redis (``redis-server --save ''
--appendonly no``, when installed), fakeredis-tcp (fakeredis.TcpFakeServer in a child
process), fakeredis-thread, fakeredis-inproc (fakeredis.FakeRedis, no socket), and pong
(bench/pong_server.py: +PONG to every request, the pure-Python ceiling).

Sections (``--only``, comma separated; ``scale`` = zset,list,memory,idle):
  bench     redis-benchmark -q --csv -c 50 -n N -P 1 and -P 16: ping_mbulk set get incr lpush
            lpop sadd hset zadd lrange_100 mset (pong: ping only); N calibrated so that one test
            takes about --secs seconds; medians of --reps, geometric means per -P
  latency   one redis-py client (RESP2): sequential SET/GET, and the same over a bare socket
  pipeline  one redis-py pipeline(transaction=False) of 100,000 SETs
  fixture   start to first PING, reset between tests (kvfake: Server.reset(), i.e. flush +
            clock + journal; others: FLUSHALL), stop
  zset      a sorted set grown to 10k / 100k / 1M members: ZADD, ZRANGEBYSCORE (10), ZRANK
  list      a list grown to 10k / 100k / 1M: LINDEX middle, LRANGE 0 99
  memory    --keys (1,000,000) × SET key:N <32-byte value>: ΔRSS and Δ INFO used_memory per key
  idle      redis-benchmark -c 50 alone, then while --idle (1,000) idle connections are open

Commands a target lacks (checked with COMMAND INFO) are reported as n/a, never a crash.
Needs: redis-benchmark and redis-server (``apt-get install redis-tools redis-server``), and the
bench extra (``pip install -e '.[bench]'``: fakeredis, redis-py).  Without them the affected
targets and sections print n/a.

Imports: stdlib, bench/{targets,sections,report,wire}.py; kvfake, redis, fakeredis lazily.
Never: port 6379, a shell, or stopping any process this script did not start.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
sys.path.insert(1, os.path.dirname(BENCH_DIR))  # this working tree's kvfake

import report  # noqa: E402
import sections as S  # noqa: E402
import targets as T  # noqa: E402

SECTIONS = ["bench", "latency", "pipeline", "fixture", "zset", "list", "memory", "idle"]
ALIASES = {"scale": ["zset", "list", "memory", "idle"], "all": SECTIONS}
PEERS = ["kvfake", "redis", "fakeredis-tcp"]
DEFAULT_TARGETS = {
    "bench": ["kvfake", "kvfake-thread", "redis", "fakeredis-tcp", "pong"],
    "latency": ["kvfake", "kvfake-thread", "redis", "fakeredis-tcp", "fakeredis-thread", "fakeredis-inproc", "pong"],
    "pipeline": ["kvfake", "kvfake-thread", "redis", "fakeredis-tcp", "fakeredis-thread", "fakeredis-inproc"],
    "fixture": ["kvfake-thread", "kvfake", "redis", "fakeredis-inproc", "fakeredis-thread"],
    "zset": PEERS, "list": PEERS, "memory": PEERS, "idle": PEERS,
}
PROCESS = {"kvfake", "redis", "fakeredis-tcp", "pong"}
SOCKET = PROCESS | {"kvfake-thread", "fakeredis-thread"}
APPLIES = {
    "bench": SOCKET, "latency": set(T.ALL), "pipeline": set(T.ALL) - {"pong"}, "fixture": set(T.ALL) - {"pong"},
    "zset": SOCKET - {"pong"}, "list": SOCKET - {"pong"}, "idle": SOCKET - {"pong"}, "memory": PROCESS - {"pong"},
}
# (full, --quick)
DEFAULTS = {
    "secs": (1.2, 0.25), "reps": (3, 1), "client_reps": (3, 1), "lat_ops": (20_000, 2_000),
    "pipe_ops": (100_000, 10_000), "fixture_runs": (20, 5), "sizes": ("10000,100000,1000000", "10000,100000"),
    "keys": (1_000_000, 100_000), "idle": (1000, 1000), "scale_budget": (180.0, 30.0),
    "op_batches": (20, 5), "op_budget": (3.0, 1.0), "bench_budget": (1800.0, 150.0),
    "fixture_budget": (120.0, 30.0), "client_deadline": (60.0, 15.0),
}


class Config:
    def __init__(self, args) -> None:
        which = 1 if args.quick else 0
        for name, pair in DEFAULTS.items():
            given = getattr(args, name)
            setattr(self, name, pair[which] if given is None else given)
        self.sizes = sorted(int(x) for x in str(self.sizes).split(",") if x)
        self.pipelines = [int(x) for x in args.pipelines.split(",") if x]
        self.clients = args.clients
        self.max_timeouts = args.max_timeouts
        self.op_batch = args.op_batch
        self.quick = args.quick
        self.chosen = [t.strip() for t in args.targets.split(",") if t.strip()] if args.targets else None
        unknown = [t for t in self.chosen or [] if t not in T.ALL]
        if unknown:
            raise SystemExit(f"unknown target(s) {', '.join(unknown)}; known: {', '.join(T.ALL)}")

    def targets_for(self, section: str) -> list:
        if self.chosen is None:
            return list(DEFAULT_TARGETS[section])
        return [t for t in self.chosen if t in APPLIES[section]]

    @staticmethod
    def reference(names) -> "str | None":
        """The target ratios are taken against: kvfake, else kvfake-thread, else the first."""
        for n in ("kvfake", "kvfake-thread"):
            if n in names:
                return n
        return names[0] if names else None

    def settings(self) -> dict:
        keys = ["secs", "reps", "clients", "pipelines", "client_reps", "lat_ops", "pipe_ops", "fixture_runs",
                "sizes", "keys", "idle", "op_batch", "op_batches"]
        return {k: getattr(self, k) for k in keys} | {"quick": self.quick}


def versions() -> dict:
    v = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            v["cpu"] = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        head = subprocess.run(["git", "-C", T.REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        v["kvfake_commit"] = head or "?"
    except (OSError, subprocess.SubprocessError):
        v["kvfake_commit"] = "?"
    for mod in ("kvfake", "redis", "fakeredis", "hiredis"):
        try:
            v[mod] = getattr(importlib.import_module(mod), "__version__", "?")
        except Exception:  # noqa: BLE001
            v[mod] = "absent"
    for key, binary in (("redis-server", T.REDIS_SERVER), ("redis-benchmark", T.REDIS_BENCHMARK)):
        if not binary:
            v[key] = "absent"
            continue
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
            v[key] = next((w.removeprefix("v=") for w in out.split() if w[:1].isdigit() or w.startswith("v=")), "?")
        except (OSError, subprocess.SubprocessError):
            v[key] = "absent"
    return v


def parse_sections(text: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part in ALIASES:
            out += ALIASES[part]
        elif part in SECTIONS:
            out.append(part)
        else:
            raise argparse.ArgumentTypeError(f"unknown section {part!r} (known: {', '.join(SECTIONS + list(ALIASES))})")
    return [s for s in SECTIONS if s in out]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", type=parse_sections, default=SECTIONS, help="sections, comma separated (default all)")
    ap.add_argument("--quick", action="store_true", help="smoke run: short tests, one repetition, smaller data")
    ap.add_argument("--targets", help="comma list overriding every section's default targets; known: " + ", ".join(T.ALL))
    ap.add_argument("--json", metavar="FILE", help="write every figure here (rewritten after each section)")
    ap.add_argument("--out", metavar="FILE", help="also write the markdown here")
    ap.add_argument("--compare", nargs="+", metavar="JSON",
                    help="OLD: run, then print the change from OLD; OLD NEW: only compare two saved runs")
    ap.add_argument("--compare-all", action="store_true", help="compare every target's figures, not only kvfake's")
    ap.add_argument("--show", metavar="JSON", help="print the tables of a saved run, no run")
    g = ap.add_argument_group("sizes and repetitions (defaults: full run / --quick)")
    g.add_argument("--secs", type=float, help="seconds per redis-benchmark test (1.2 / 0.25)")
    g.add_argument("--reps", type=int, help="redis-benchmark repetitions (3 / 1)")
    g.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (50)")
    g.add_argument("--pipelines", default="1,16", help="redis-benchmark -P values (1,16)")
    g.add_argument("--max-timeouts", type=int, default=2, help="after this many timeouts a target's -P is skipped")
    g.add_argument("--bench-budget", type=float, help="seconds for all redis-benchmark runs (1800 / 150)")
    g.add_argument("--client-reps", type=int, help="latency / pipeline repetitions (3 / 1)")
    g.add_argument("--lat-ops", type=int, help="commands in the latency loop (20,000 / 2,000)")
    g.add_argument("--pipe-ops", type=int, help="commands in the redis-py pipeline (100,000 / 10,000)")
    g.add_argument("--client-deadline", type=float, help="seconds one latency loop may take (60 / 15)")
    g.add_argument("--fixture-runs", type=int, help="fixture lives per target (20 / 5)")
    g.add_argument("--fixture-budget", type=float, help="seconds for the fixture section (120 / 30)")
    g.add_argument("--sizes", help="zset/list sizes (10000,100000,1000000 / 10000,100000)")
    g.add_argument("--keys", type=int, help="string keys for memory (1,000,000 / 100,000)")
    g.add_argument("--idle", type=int, help="idle connections (1,000)")
    g.add_argument("--scale-budget", type=float, help="seconds one build/load step may take (180 / 30)")
    g.add_argument("--op-batch", type=int, default=100, help="commands per pipelined batch in zset/list (100)")
    g.add_argument("--op-batches", type=int, help="batches per zset/list op (20 / 5)")
    g.add_argument("--op-budget", type=float, help="seconds per zset/list op (3 / 1)")
    return ap


def _write_json(path: str, meta: dict, res: S.Results) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"format": "kvfake-bench/1", "meta": meta, "metrics": res.as_list()}, f, indent=1, default=str)
    os.replace(tmp, path)


def _load_json(path: str) -> dict:
    with open(path) as f:
        data = json.load(f)
    if data.get("format") != "kvfake-bench/1":
        raise SystemExit(f"{path}: not a bench/run.py --json file")
    return data


def show(data: dict, args) -> str:
    """The markdown of a saved run, rebuilt with the settings it ran with."""
    cfg = Config(args)
    settings = data["meta"].get("settings", {})
    for k, v in settings.items():
        if hasattr(cfg, k):
            setattr(cfg, k, v)
    res = S.Results(data["metrics"])
    done = [s for s in SECTIONS if res.section(s)]
    parts = [report.environment_report(data["meta"])]
    parts += [report.REPORTS[s](res, cfg) for s in done]
    parts += [report.goals_report(res, cfg), report.noise_report(data["meta"])]
    return "\n".join(p for p in parts if p)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.compare and len(args.compare) > 2:
        raise SystemExit("--compare takes OLD.json, or OLD.json NEW.json")
    if args.compare and len(args.compare) == 2:
        print(report.compare(_load_json(args.compare[0]), _load_json(args.compare[1]), args.compare_all))
        return 0
    if args.show:
        print(show(_load_json(args.show), args))
        return 0
    old = _load_json(args.compare[0]) if args.compare else None
    cfg = Config(args)
    T.install_cleanup()
    meta = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "versions": versions(),
            "settings": cfg.settings() | {"sections": args.only, "targets": args.targets or "defaults"},
            "noise": {}}
    res = S.Results()
    out = []

    def emit(text: str) -> None:
        if text:
            print(text, flush=True)
            out.append(text)

    emit(report.environment_report(meta))
    meta["noise"]["start"] = S.noise_probe()
    t_start = time.perf_counter()
    runners = {"bench": S.bench_section, "latency": S.latency_section, "pipeline": S.pipeline_section,
               "fixture": S.fixture_section, "zset": lambda c, r: S.structure_section(c, r, "zset"),
               "list": lambda c, r: S.structure_section(c, r, "list"), "memory": S.memory_section,
               "idle": S.idle_section}
    try:
        for section in args.only:
            S.log(f"{section}: start")
            t0 = time.perf_counter()
            try:
                runners[section](cfg, res)
            except Exception as e:  # noqa: BLE001 - report what the other sections measured
                import traceback

                traceback.print_exc()
                res.add(section, "-", "start", "-", "", "", note=f"section failed: {type(e).__name__}: {e}"[:200])
            S.log(f"{section}: {time.perf_counter() - t0:.0f} s")
            emit(report.REPORTS[section](res, cfg))
            if args.json:
                meta["wall_s"] = time.perf_counter() - t_start
                _write_json(args.json, meta, res)
    finally:
        T.cleanup()
    meta["noise"]["end"] = S.noise_probe()
    meta["wall_s"] = time.perf_counter() - t_start
    emit(report.goals_report(res, cfg))
    emit(report.noise_report(meta) + f"\n\ntotal wall time {meta['wall_s']:.0f} s")
    if args.json:
        _write_json(args.json, meta, res)
    if old is not None:
        emit(report.compare(old, {"meta": meta, "metrics": res.as_list()}, args.compare_all))
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
