"""The workloads of bench/run.py, one function per section; each adds records to a Results.

A record is one figure for one (section, group, workload, target): its runs, their median
(``value``), the unit and which direction is better, or a ``note`` saying why it is n/a.
Every loop here is bounded in count and in time; every server a section starts it stops.

Imports: stdlib, bench's wire and targets modules, redis / fakeredis lazily (via targets).
Never: kvfake directly (only through targets.KvfakeThread and the process targets).
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
import subprocess
import sys
import time

import targets as T
import wire


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


class Results:
    """Records keyed by (section, group, workload, target), in insertion order."""

    def __init__(self, records=None) -> None:
        self.records: dict = {}
        for r in records or []:
            self.records[(r["section"], r["group"], r["workload"], r["target"])] = r

    def add(self, section, group, workload, target, unit, better, runs=(), note=None, value=None, **extra):
        runs = [x for x in runs if x is not None]
        if value is None and runs:
            value = statistics.median(runs)
        rec = {"section": section, "group": str(group), "workload": workload, "target": target,
               "unit": unit, "better": better, "value": value, "runs": runs,
               "note": note if value is None else None}
        rec.update(extra)
        self.records[(section, str(group), workload, target)] = rec
        return rec

    def get(self, section, group, workload, target):
        return self.records.get((section, str(group), workload, target))

    def value(self, section, group, workload, target):
        r = self.get(section, group, workload, target)
        return None if r is None else r["value"]

    def section(self, name) -> list:
        return [r for r in self.records.values() if r["section"] == name]

    def as_list(self) -> list:
        return list(self.records.values())


def _start(names, res: Results, section: str) -> list:
    """Start the named targets; a target that cannot start becomes an n/a note."""
    started = []
    for name in names:
        why = T.missing(name)
        if why:
            res.add(section, "-", "start", name, "", "", note=f"n/a: {why}")
            log(f"{section}: {name} skipped: {why}")
            continue
        t = T.make(name)
        try:
            t.start()
        except Exception as e:  # noqa: BLE001 - one target failing must not end the run
            res.add(section, "-", "start", name, "", "", note=f"n/a: could not start: {e}"[:160])
            log(f"{section}: {name} could not start: {e}")
            t.stop()
            continue
        started.append(t)
    return started


def _stop_all(started) -> None:
    for t in started:
        try:
            t.stop()
        except Exception as e:  # noqa: BLE001
            log(f"stopping {t.name}: {e}")


# =============================================================================================
# redis-benchmark
# =============================================================================================

RB_TESTS = ["ping_mbulk", "set", "get", "incr", "lpush", "lpop", "sadd", "hset", "zadd", "lrange_100", "mset"]
RB_NEEDS = {"ping_mbulk": ("ping",), "lrange_100": ("lpush", "lrange")}
RB_ROW = {"ping_mbulk": "PING_MBULK", "lrange_100": "LRANGE_100", "mset": "MSET"}
# first n relative to the probe's rate: LRANGE_100 is slower and runs after an LPUSH of n
RB_FIRST_N = {"lrange_100": 0.35, "mset": 0.6}


def needs(test: str) -> tuple:
    return RB_NEEDS.get(test, (test,))


def run_redis_benchmark(port: int, test: str, n: int, pipeline: int, clients: int, timeout: float) -> dict:
    """One ``redis-benchmark -q --csv`` run of one test; {rps, p50_ms, wall, n} or {error}."""
    argv = [T.REDIS_BENCHMARK, "-h", T.HOST, "-p", str(port), "-q", "--csv", "-c", str(clients),
            "-n", str(n), "-P", str(pipeline), "-t", test]
    t0 = time.perf_counter()
    proc = T.track(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        T.stop_process(proc, 2.0)
        proc.communicate()
        return {"error": f"timeout>{timeout:.0f}s"}
    finally:
        T.untrack(proc)
    wall = time.perf_counter() - t0
    want = RB_ROW.get(test, test.upper())
    rows = list(csv.reader(io.StringIO(stdout.decode("utf-8", "replace"))))
    header = next((r for r in rows if r and r[0] == "test"), None)
    for row in rows:
        if row and row[0] != "test" and row[0].split()[0] == want:
            try:
                rps = float(row[1])
                p50 = float(row[header.index("p50_latency_ms")]) if header and "p50_latency_ms" in header else None
            except (ValueError, IndexError):
                break
            if proc.returncode == 0 and rps > 0:
                return {"rps": rps, "p50_ms": p50, "wall": wall, "n": n}
    text = (stderr + stdout).decode("utf-8", "replace")
    lines = [ln for ln in text.splitlines() if ln.strip() and "WARNING" not in ln and not ln.startswith('"')]
    return {"error": (lines[0] if lines else f"no result (exit {proc.returncode})")[:120]}


def _flush(t) -> None:
    if t.ping_only or t.port is None:
        return
    try:
        with wire.RawConn(t.port, timeout=60) as c:
            c.call("FLUSHALL")
    except Exception as e:  # noqa: BLE001
        log(f"FLUSHALL on {t.name}: {e}")


def _calibrate(t, probe: str, pipeline: int, cfg) -> "float | None":
    """Requests/s of ``probe`` once a run lasts long enough to mean something."""
    n, rps = cfg.clients * pipeline * 4, None
    for _ in range(5):
        r = run_redis_benchmark(t.port, probe, n, pipeline, cfg.clients, timeout=max(15.0, cfg.secs * 12))
        if "rps" not in r:
            log(f"calibrate {t.name} -P {pipeline}: {r['error']}")
            return rps
        rps = r["rps"]
        if r["wall"] >= 0.3 * cfg.secs:
            break
        n = max(n * 2, int(rps * cfg.secs * 0.5))
    return rps


def bench_section(cfg, res: Results) -> None:
    if not T.REDIS_BENCHMARK:
        res.add("bench", "-", "redis-benchmark", "-", "", "", note="n/a: redis-benchmark not found "
                "(apt-get install redis-tools)")
        log("bench: redis-benchmark not found (apt-get install redis-tools)")
        return
    started = _start(cfg.targets_for("bench"), res, "bench")
    try:
        _bench(cfg, res, started)
    finally:
        _stop_all(started)


def _bench(cfg, res: Results, started) -> None:
    tests_of = {}
    for t in started:
        if t.ping_only:
            tests_of[t.name] = ["ping_mbulk"]
            for test in RB_TESTS[1:]:
                for P in cfg.pipelines:
                    res.add("bench", f"P{P}", test, t.name, "req/s", "higher", note="–")
            continue
        known = wire.supported(t.port, sorted({c for test in RB_TESTS for c in needs(test)}))
        ok = []
        for test in RB_TESTS:
            lacking = [c for c in needs(test) if known is not None and c not in known]
            if lacking:
                for P in cfg.pipelines:
                    res.add("bench", f"P{P}", test, t.name, "req/s", "higher",
                            note="n/a: no " + "/".join(c.upper() for c in lacking))
            else:
                ok.append(test)
        tests_of[t.name] = ok
        if known is None:
            log(f"bench: {t.name} does not answer COMMAND INFO; assuming every command exists")
    nmap, runs, dead, timeouts = {}, {}, set(), {}
    min_n = {P: cfg.clients * P * 2 for P in cfg.pipelines}
    for P in cfg.pipelines:
        for t in started:
            if not tests_of[t.name]:
                continue
            probe = "set" if "set" in tests_of[t.name] else tests_of[t.name][0]
            rps = _calibrate(t, probe, P, cfg) or 1000.0
            log(f"bench: calibrate {t.name} -P {P}: {probe} ~{rps:,.0f} req/s")
            for test in tests_of[t.name]:
                nmap[(t.name, P, test)] = max(min_n[P], int(rps * cfg.secs * RB_FIRST_N.get(test, 1.0)))
    timeout = max(15.0, cfg.secs * 12)
    deadline = time.perf_counter() + cfg.bench_budget
    for rep in range(cfg.reps):
        for t in started:
            _flush(t)
        for P in cfg.pipelines:
            for test in RB_TESTS:
                for t in started:
                    key = (t.name, P, test)
                    if test not in tests_of[t.name] or t.name in dead:
                        continue
                    if timeouts.get(key, 0) >= cfg.max_timeouts:
                        runs.setdefault(key, []).append({"error": f"skipped after {cfg.max_timeouts} timeouts"})
                        continue
                    if time.perf_counter() > deadline:
                        runs.setdefault(key, []).append({"error": "skipped: --bench-budget spent"})
                        continue
                    n = nmap[key]
                    c0 = t.cpu_seconds()
                    r = run_redis_benchmark(t.port, test, n, P, cfg.clients, timeout)
                    c1 = t.cpu_seconds()
                    if "rps" in r:
                        if c0 is not None and c1 is not None and test != "lrange_100":
                            r["cpu_us"] = (c1 - c0) / n * 1e6
                        scale = min(4.0, max(0.25, cfg.secs / max(r["wall"], 1e-3)))
                        nmap[key] = max(min_n[P], min(20_000_000, int(n * scale)))
                    else:
                        log(f"bench: {t.name} -P {P} {test}: {r['error']}")
                        if r["error"].startswith("timeout"):
                            timeouts[key] = timeouts.get(key, 0) + 1
                    runs.setdefault(key, []).append(r)
                    if not t.alive():
                        log(f"bench: {t.name} died during {test}; no more runs for it")
                        dead.add(t.name)
        log(f"bench: rep {rep + 1}/{cfg.reps} done")
    for (name, P, test), rr in runs.items():
        ok = [x for x in rr if "rps" in x]
        errors = sorted({x["error"] for x in rr if "error" in x})
        res.add("bench", f"P{P}", test, name, "req/s", "higher", [x["rps"] for x in ok],
                note=("error: " + "; ".join(errors)) if errors else None,
                p50_ms=median([x.get("p50_ms") for x in ok]),
                cpu_us=median([x.get("cpu_us") for x in ok]),
                min=min((x["rps"] for x in ok), default=None), max=max((x["rps"] for x in ok), default=None),
                errors=len(rr) - len(ok))
        cpu = [x["cpu_us"] for x in ok if x.get("cpu_us") is not None]
        if cpu:  # server CPU per request: steadier than req/s on a busy machine
            res.add("bench-cpu", f"P{P}", test, name, "CPU µs/req", "lower", cpu)
    _bench_derived(cfg, res, [t.name for t in started])


def _bench_derived(cfg, res: Results, names) -> None:
    """Geometric means per target and -P, and ratios to the reference target per workload."""
    ref = cfg.reference(names)
    for P in cfg.pipelines:
        g = f"P{P}"
        for name in names:
            vals = [res.value("bench", g, t, name) for t in RB_TESTS]
            tests = [t for t, v in zip(RB_TESTS, vals) if v]
            res.add("bench", g, "geomean", name, "req/s", "higher", value=geomean(vals),
                    note="n/a: no result", tests=len(tests))
            cpu = [res.value("bench-cpu", g, t, name) for t in RB_TESTS]
            if any(cpu):
                res.add("bench-cpu", g, "geomean", name, "CPU µs/req", "lower", value=geomean(cpu),
                        tests=len([c for c in cpu if c]))
            if ref is None:
                continue
            ratios = []
            for test in RB_TESTS:
                a, b = res.value("bench", g, test, name), res.value("bench", g, test, ref)
                if a and b:
                    ratios.append(a / b)
                    res.add("bench-ratio", g, test, name, f"x {ref}", "higher", value=a / b)
            res.add("bench-ratio", g, "geomean", name, f"x {ref}", "higher", value=geomean(ratios),
                    note="n/a: no common workload", tests=len(ratios))


# =============================================================================================
# one redis-py client: sequential SET/GET latency, and one big pipeline
# =============================================================================================

VALUE32 = b"v" * 32


def _latency_redis_py(client, ops: int, deadline_s: float) -> "float | None":
    keys = [f"lat:{i}" for i in range(100)]
    for i in range(200):  # warm-up: connection made, code paths hot
        client.set(keys[i % 100], VALUE32)
        client.get(keys[i % 100])
    done, t0 = 0, time.perf_counter()
    for i in range(ops // 2):
        k = keys[i % 100]
        client.set(k, VALUE32)
        if client.get(k) != VALUE32:
            raise RuntimeError("GET did not return the value SET")
        done += 2
        if (i & 255) == 0 and time.perf_counter() - t0 > deadline_s:
            break
    return (time.perf_counter() - t0) / done * 1e6 if done else None


def _latency_raw(port: int, ops: int, deadline_s: float, ping: bool) -> "float | None":
    """The same alternation over a bare socket (server + kernel round trip, no client library)."""
    cmds = [wire.encode("PING")] * 2 if ping else [wire.encode("SET", "lat:raw", VALUE32), wire.encode("GET", "lat:raw")]
    with wire.RawConn(port, timeout=30) as c:
        for i in range(200):
            c.pipeline(cmds[i & 1], 1)
        done, t0 = 0, time.perf_counter()
        for i in range(ops):
            c.pipeline(cmds[i & 1], 1)
            done += 1
            if (i & 511) == 0 and time.perf_counter() - t0 > deadline_s:
                break
        return (time.perf_counter() - t0) / done * 1e6


def latency_section(cfg, res: Results) -> None:
    started = _start(cfg.targets_for("latency"), res, "latency")
    runs: dict = {}
    try:
        for rep in range(cfg.client_reps):
            for t in started:
                if not t.ping_only:
                    try:
                        c = t.client()
                        try:
                            runs.setdefault((t.name, "redis-py"), []).append(
                                _latency_redis_py(c, cfg.lat_ops, cfg.client_deadline))
                        finally:
                            c.close()
                    except Exception as e:  # noqa: BLE001
                        runs.setdefault((t.name, "redis-py"), []).append(f"{type(e).__name__}: {e}"[:120])
                if t.port is not None:
                    try:
                        runs.setdefault((t.name, "raw socket"), []).append(
                            _latency_raw(t.port, cfg.lat_ops, cfg.client_deadline, t.ping_only))
                    except Exception as e:  # noqa: BLE001
                        runs.setdefault((t.name, "raw socket"), []).append(f"{type(e).__name__}: {e}"[:120])
            log(f"latency: rep {rep + 1}/{cfg.client_reps} done")
    finally:
        _stop_all(started)
    for t in started:
        for how in ("redis-py", "raw socket"):
            rr = runs.get((t.name, how))
            if rr is None:
                res.add("latency", how, "SET+GET", t.name, "µs/op", "lower", note="–")
                continue
            errs = [x for x in rr if isinstance(x, str)]
            res.add("latency", how, "SET+GET" if not t.ping_only else "PING", t.name, "µs/op", "lower",
                    [x for x in rr if not isinstance(x, str)], note=("error: " + errs[0]) if errs else None)


def _pipeline_run(client, n: int) -> "tuple[float, float]":
    t0 = time.perf_counter()
    p = client.pipeline(transaction=False)
    for i in range(n):
        p.set(f"pipe:{i}", VALUE32)
    t1 = time.perf_counter()
    out = p.execute()
    t2 = time.perf_counter()
    if len(out) != n or not all(x is True for x in out[:: max(1, n // 100)]):
        raise RuntimeError("pipeline replies are not all OK")
    return t2 - t0, t2 - t1


def pipeline_section(cfg, res: Results) -> None:
    started = _start(cfg.targets_for("pipeline"), res, "pipeline")
    runs: dict = {}
    try:
        for rep in range(cfg.client_reps):
            for t in started:
                try:
                    c = t.client()
                    try:
                        c.flushall()
                        runs.setdefault(t.name, []).append(_pipeline_run(c, cfg.pipe_ops))
                    finally:
                        c.close()
                except Exception as e:  # noqa: BLE001
                    runs.setdefault(t.name, []).append(f"{type(e).__name__}: {e}"[:120])
            log(f"pipeline: rep {rep + 1}/{cfg.client_reps} done")
    finally:
        _stop_all(started)
    for t in started:
        rr = runs.get(t.name, [])
        ok = [x for x in rr if not isinstance(x, str)]
        errs = [x for x in rr if isinstance(x, str)]
        res.add("pipeline", f"{cfg.pipe_ops}", "SET pipeline", t.name, "s", "lower", [x[0] for x in ok],
                note=("error: " + errs[0]) if errs else None,
                execute_s=median([x[1] for x in ok]),
                per_sec=(cfg.pipe_ops / median([x[0] for x in ok])) if ok else None)


# =============================================================================================
# fixture cost
# =============================================================================================


def kvfake_reset_of(server):
    """(callable, description): the per-test reset a fixture does, with what Server offers."""
    fn = getattr(server, "reset", None)
    if callable(fn):
        return fn, "Server.reset()"
    steps, names = [], []
    store = getattr(server, "store", None)
    for obj, attr, label in ((store, "flushall", "store.flushall()"),
                             (getattr(server, "clock", None) or getattr(store, "clock", None), "reset", "clock.reset()"),
                             (getattr(server, "journal", None), "clear", "journal.clear()")):
        f = getattr(obj, attr, None)
        if callable(f):
            steps.append(f)
            names.append(label)

    def reset() -> None:
        for f in steps:
            f()

    return reset, " + ".join(names) or "nothing to reset"


def _write_keys(client, n: int = 100) -> None:
    p = client.pipeline(transaction=False)
    for i in range(n):
        p.set(f"fixture:{i}", VALUE32)
    p.execute()


def _fixture_once(name: str) -> dict:
    """One fixture life: start -> first PING, reset (empty), reset (after 100 keys), stop."""
    if name == "python -c pass":
        t0 = time.perf_counter()
        subprocess.run([T.PY, "-c", "pass"], check=True)
        return {"start": time.perf_counter() - t0}
    out = {}
    if name == "kvfake-thread":
        import kvfake

        t0 = time.perf_counter()
        server = kvfake.Server(T.HOST, 0).start()
        try:
            if not wire.ping(server.port, timeout=5):
                raise RuntimeError("no PONG")
            out["start"] = time.perf_counter() - t0
            reset, out["how"] = kvfake_reset_of(server)
            t0 = time.perf_counter()
            reset()
            out["reset"] = time.perf_counter() - t0
            c = T.redis_client(server.port)
            try:
                _write_keys(c)
                t0 = time.perf_counter()
                reset()
                out["reset100"] = time.perf_counter() - t0
            finally:
                c.close()
        finally:
            t0 = time.perf_counter()
            server.stop()
            out["stop"] = time.perf_counter() - t0
        return out
    if name == "fakeredis-inproc":
        import fakeredis

        t0 = time.perf_counter()
        c = fakeredis.FakeRedis(protocol=2)
        if not c.ping():
            raise RuntimeError("no PONG")
        out["start"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.flushall()
        out["reset"] = time.perf_counter() - t0
        _write_keys(c)
        t0 = time.perf_counter()
        c.flushall()
        out["reset100"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.close()
        out["stop"] = time.perf_counter() - t0
        out["how"] = "FLUSHALL"
        return out
    # a server reached over TCP: process targets and fakeredis-thread; reset = FLUSHALL on a
    # connection the fixture already holds
    t = T.make(name)
    t0 = time.perf_counter()
    try:
        if isinstance(t, T.ProcessTarget):
            t.spawn()
            wire.wait_ping(t.port, deadline_s=30, alive=t.alive)
        else:
            t.start()
            wire.wait_ping(t.port, deadline_s=10)
        out["start"] = time.perf_counter() - t0
        c = T.redis_client(t.port)
        try:
            c.ping()
            t0 = time.perf_counter()
            c.flushall()
            out["reset"] = time.perf_counter() - t0
            _write_keys(c)
            t0 = time.perf_counter()
            c.flushall()
            out["reset100"] = time.perf_counter() - t0
        finally:
            c.close()
    finally:
        t0 = time.perf_counter()
        t.stop()
        out["stop"] = time.perf_counter() - t0
    out["how"] = "FLUSHALL"
    return out


def fixture_section(cfg, res: Results) -> None:
    names = ["python -c pass"]
    for name in cfg.targets_for("fixture"):
        why = T.missing(name)
        if why:
            res.add("fixture", "start", "start → PING", name, "ms", "lower", note=f"n/a: {why}")
        else:
            names.append(name)
    runs: dict = {n: [] for n in names}
    errors: dict = {}
    deadline = time.perf_counter() + cfg.fixture_budget
    for i in range(cfg.fixture_runs):
        for name in names:
            if name in errors:
                continue
            try:
                runs[name].append(_fixture_once(name))
            except Exception as e:  # noqa: BLE001
                errors[name] = f"{type(e).__name__}: {e}"[:120]
                log(f"fixture: {name}: {errors[name]}")
        if time.perf_counter() > deadline:
            log(f"fixture: --fixture-budget spent after {i + 1} runs")
            break
    log("fixture: done")
    for name in names:
        rr = runs[name]
        how = next((x["how"] for x in rr if "how" in x), None)
        for field, label in (("start", "start → PING"), ("reset", "reset (empty)"),
                             ("reset100", "reset (100 keys)"), ("stop", "stop")):
            vals = [x[field] * 1000 for x in rr if field in x]
            if name == "python -c pass" and field != "start":
                continue
            res.add("fixture", field, label, name, "ms", "lower", vals,
                    note=("error: " + errors[name]) if name in errors else "n/a", how=how,
                    min=min(vals, default=None), max=max(vals, default=None))


# =============================================================================================
# scale: 1,000,000-element sorted set and list, 1,000,000 string keys, 1,000 idle connections
# =============================================================================================


class BudgetSpent(Exception):
    pass


def _load(conn: wire.RawConn, commands, per_batch: int, deadline: float) -> int:
    """Send pre-built commands in pipelined batches; return how many ran before the deadline."""
    done = 0
    for start in range(0, len(commands), per_batch):
        batch = commands[start:start + per_batch]
        replies = conn.pipeline(b"".join(batch), len(batch))
        bad = next((r for r in replies if isinstance(r, wire.Error)), None)
        if bad is not None:
            raise RuntimeError(f"error reply while loading: {bad}")
        done += len(batch)
        if time.perf_counter() > deadline:
            raise BudgetSpent(done)
    return done


def _per_op_us(conn: wire.RawConn, make_cmd, batch: int, batches: int, budget_s: float) -> "tuple[float, int]":
    """Median over pipelined batches of (batch time / batch size), in µs; and replies seen."""
    times = []
    conn.pipeline(b"".join(make_cmd(i) for i in range(batch)), batch)  # warm-up, not timed
    t_end = time.perf_counter() + budget_s
    for b in range(batches):
        payload = b"".join(make_cmd(b * batch + i) for i in range(batch))
        t0 = time.perf_counter()
        replies = conn.pipeline(payload, batch)
        times.append((time.perf_counter() - t0) / batch * 1e6)
        bad = next((r for r in replies if isinstance(r, wire.Error)), None)
        if bad is not None:
            raise RuntimeError(f"error reply: {bad}")
        if time.perf_counter() > t_end:
            break
    return statistics.median(times), len(times) * batch


# Redis's documented complexity of each timed op (N elements; M returned, here 10 or 100)
COMPLEXITY = {"ZADD (update)": "O(log N)", "ZRANGEBYSCORE (10)": "O(log N + M)", "ZRANK": "O(log N)",
              "LINDEX middle": "O(N)", "LRANGE 0 99": "O(S + M), S = 0"}
ZSET_OPS = {
    # name -> (needed commands, command builder given (size, i, rng))
    "ZADD (update)": (("zadd",), lambda size, i, rnd: wire.encode("ZADD", "z", rnd.randrange(size), b"m:%d" % rnd.randrange(size))),
    "ZRANGEBYSCORE (10)": (("zrangebyscore",),
                           lambda size, i, rnd: wire.encode("ZRANGEBYSCORE", "z", (a := rnd.randrange(size - 10)), a + 9)),
    "ZRANK": (("zrank",), lambda size, i, rnd: wire.encode("ZRANK", "z", b"m:%d" % rnd.randrange(size))),
}
LIST_OPS = {
    "LINDEX middle": (("lindex",), lambda size, i, rnd: wire.encode("LINDEX", "l", size // 2)),
    "LRANGE 0 99": (("lrange",), lambda size, i, rnd: wire.encode("LRANGE", "l", 0, 99)),
}


def _zset_builder(lo: int, hi: int, per_cmd: int = 1000) -> list:
    cmds = []
    for s in range(lo, hi, per_cmd):
        args = ["ZADD", "z"]
        for i in range(s, min(hi, s + per_cmd)):
            args += [i, b"m:%d" % i]  # score i: ZRANGEBYSCORE a a+9 returns 10 members
        cmds.append(wire.encode(*args))
    return cmds


def _list_builder(lo: int, hi: int, per_cmd: int = 1000) -> list:
    return [wire.encode("RPUSH", "l", *[b"e:%d" % i for i in range(s, min(hi, s + per_cmd))])
            for s in range(lo, hi, per_cmd)]


def structure_section(cfg, res: Results, section: str) -> None:
    """'zset' or 'list': build to each size, interleaved across targets, and time the ops."""
    import random

    ops, builder, build_cmd = (ZSET_OPS, _zset_builder, "zadd") if section == "zset" else (LIST_OPS, _list_builder, "rpush")
    started = _start(cfg.targets_for(section), res, section)
    try:
        conns, sizes_done, gave_up = {}, {}, {}
        for t in started:
            known = wire.supported(t.port, [build_cmd] + sorted({c for need, _ in ops.values() for c in need}))
            if known is not None and build_cmd not in known:
                gave_up[t.name] = f"n/a: no {build_cmd.upper()}"
            conns[t.name] = (wire.RawConn(t.port, timeout=300), known)
            sizes_done[t.name] = 0
        for size in cfg.sizes:
            for t in started:
                conn, known = conns[t.name]
                if t.name in gave_up:
                    for op in ops:
                        res.add(section, size, op, t.name, "µs/op", "lower", note=gave_up[t.name])
                    continue
                have = sizes_done[t.name]
                t0 = time.perf_counter()
                try:
                    _load(conn, builder(have, size), 10, t0 + cfg.scale_budget)
                except BudgetSpent as e:
                    gave_up[t.name] = f"n/a: build over --scale-budget ({cfg.scale_budget:.0f} s)"
                    log(f"{section}: {t.name}: building {size:,} over budget after {e.args[0]} commands")
                    for op in ops:
                        res.add(section, size, op, t.name, "µs/op", "lower", note=gave_up[t.name])
                    continue
                except Exception as e:  # noqa: BLE001
                    gave_up[t.name] = f"error: {e}"[:120]
                    log(f"{section}: {t.name}: {e}")
                    for op in ops:
                        res.add(section, size, op, t.name, "µs/op", "lower", note=gave_up[t.name])
                    continue
                build_s = time.perf_counter() - t0
                sizes_done[t.name] = size
                res.add(section, size, "build", t.name, "elements/s", "higher",
                        value=(size - have) / build_s if build_s > 0 else None)
                for op, (need, make_cmd) in ops.items():
                    lacking = [c for c in need if known is not None and c not in known]
                    if lacking:
                        res.add(section, size, op, t.name, "µs/op", "lower", note=f"n/a: no {lacking[0].upper()}")
                        continue
                    rnd = random.Random(size)
                    try:
                        us, count = _per_op_us(conn, lambda i: make_cmd(size, i, rnd), cfg.op_batch,
                                               cfg.op_batches, cfg.op_budget)
                        res.add(section, size, op, t.name, "µs/op", "lower", value=us, ops=count)
                    except Exception as e:  # noqa: BLE001
                        res.add(section, size, op, t.name, "µs/op", "lower", note=f"error: {e}"[:120])
                log(f"{section}: {t.name} at {size:,}: built in {build_s:.1f} s")
        for conn, _ in conns.values():
            conn.close()
    finally:
        _stop_all(started)
    for t in started:  # growth from the smallest to the largest size: the complexity check
        for op in ops:
            a = res.value(section, cfg.sizes[0], op, t.name)
            b = res.value(section, cfg.sizes[-1], op, t.name)
            res.add(section, "growth", op, t.name, f"x from {cfg.sizes[0]:,} to {cfg.sizes[-1]:,}", "lower",
                    value=(b / a) if a and b else None, note="n/a")


def _info_used_memory(port: int) -> "int | None":
    try:
        with wire.RawConn(port, timeout=30) as c:
            text = c.call("INFO", "memory")
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(text, bytes):
        return None
    for line in text.decode("latin-1").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":", 1)[1])
    return None


def memory_section(cfg, res: Results) -> None:
    """N × SET key:<i> <32-byte value>: RSS growth of the server process and INFO used_memory growth."""
    n = cfg.keys
    log(f"memory: building {n:,} SET commands")
    commands = [wire.encode("SET", b"key:%d" % i, b"value-%026d" % i) for i in range(n)]
    for name in cfg.targets_for("memory"):
        started = _start([name], res, "memory")
        if not started:
            continue
        t = started[0]
        try:
            with wire.RawConn(t.port, timeout=300) as c:
                c.call("PING")
                time.sleep(0.3)
                rss0, um0 = t.rss(), _info_used_memory(t.port)
                t0 = time.perf_counter()
                note = None
                try:
                    _load(c, commands, 10_000, t0 + cfg.scale_budget)
                except BudgetSpent:
                    note = f"stopped at --scale-budget ({cfg.scale_budget:.0f} s)"
                load_s = time.perf_counter() - t0
                loaded = c.call("DBSIZE")
            time.sleep(0.3)
            rss1, um1 = t.rss(), _info_used_memory(t.port)
            res.add("memory", "RSS", "bytes/key", name, "B/key", "lower", value=(rss1 - rss0) / loaded,
                    keys=loaded, rss0_mb=rss0 / 2**20, rss1_mb=rss1 / 2**20, load_per_s=loaded / load_s, load_note=note)
            if name.startswith("kvfake"):  # its INFO used_memory is a fixed per-key estimate, not a measure
                um0 = um1 = None
            res.add("memory", "used_memory", "bytes/key", name, "B/key", "lower",
                    value=((um1 - um0) / loaded) if um0 is not None and um1 is not None else None,
                    note="n/a", keys=loaded)
            log(f"memory: {name}: {loaded:,} keys in {load_s:.1f} s, ΔRSS {(rss1 - rss0) / 2**20:.0f} MB")
        except Exception as e:  # noqa: BLE001
            res.add("memory", "RSS", "bytes/key", name, "B/key", "lower", note=f"error: {e}"[:120])
            log(f"memory: {name}: {e}")
        finally:
            _stop_all(started)


def _open_idle(port: int, count: int, deadline_s: float) -> list:
    """``count`` connections that each said PING once and then stay silent."""
    conns = []
    t_end = time.perf_counter() + deadline_s
    try:
        for _ in range(count):
            c = wire.RawConn(port, timeout=10)
            conns.append(c)
            if c.call("PING") != b"PONG":
                raise RuntimeError("idle connection: PING did not answer PONG")
            if time.perf_counter() > t_end:
                raise RuntimeError(f"opened only {len(conns)} idle connections in {deadline_s:.0f} s")
    except Exception:
        for c in conns:
            c.close()
        raise
    return conns


def idle_section(cfg, res: Results) -> None:
    """redis-benchmark -c 50 -P 1 (SET, GET) alone, then while N idle connections are open."""
    if not T.REDIS_BENCHMARK:
        res.add("idle", "-", "redis-benchmark", "-", "", "", note="n/a: redis-benchmark not found")
        return
    T.raise_fd_limit(cfg.idle * 2 + 512)
    started = _start(cfg.targets_for("idle"), res, "idle")
    timeout = max(15.0, cfg.secs * 12)
    try:
        for t in started:
            nmap = {}
            for test in ("set", "get"):
                rps = _calibrate(t, test, 1, cfg) or 1000.0
                nmap[test] = max(cfg.clients * 2, int(rps * cfg.secs))
            base = {test: run_redis_benchmark(t.port, test, nmap[test], 1, cfg.clients, timeout) for test in nmap}
            for test, b in base.items():
                res.add("idle", "alone", test, t.name, "req/s", "higher", value=b.get("rps"), note=b.get("error"))
            t0 = time.perf_counter()
            try:
                idle = _open_idle(t.port, cfg.idle, cfg.scale_budget)
            except Exception as e:  # noqa: BLE001
                for test in nmap:
                    res.add("idle", "with idle", test, t.name, "req/s", "higher", note=f"error: {e}"[:120])
                log(f"idle: {t.name}: {e}")
                continue
            open_s = time.perf_counter() - t0
            try:
                time.sleep(0.2)
                loaded = {test: run_redis_benchmark(t.port, test, nmap[test], 1, cfg.clients, timeout) for test in nmap}
            finally:
                for c in idle:
                    c.close()
            for test in nmap:
                b, w = base[test], loaded[test]
                res.add("idle", "with idle", test, t.name, "req/s", "higher", value=w.get("rps"), note=w.get("error"),
                        idle=cfg.idle, open_s=open_s)
                res.add("idle", "ratio", test, t.name, "with/alone", "higher",
                        value=(w["rps"] / b["rps"]) if "rps" in w and "rps" in b else None, note="n/a")
            log(f"idle: {t.name} done ({cfg.idle} connections opened in {open_s:.2f} s)")
    finally:
        _stop_all(started)


# =============================================================================================
# machine noise
# =============================================================================================


def noise_probe(reps: int = 15) -> dict:
    """A fixed pure-Python workload timed ``reps`` times: how steady this machine is right now."""
    def work() -> float:
        t = time.perf_counter()
        d = {}
        for i in range(120_000):
            d[i & 1023] = i * 3
        return (time.perf_counter() - t) * 1000

    times = [work() for _ in range(reps)]
    return {"min_ms": min(times), "median_ms": statistics.median(times), "max_ms": max(times),
            "loadavg": list(os.getloadavg())}
