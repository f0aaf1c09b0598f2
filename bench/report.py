"""Markdown tables for bench/run.py's results, the issue-7 goals check, and before/after comparison.

Imports: stdlib, bench's sections module (Results, RB_TESTS).  Never: kvfake, sockets.
"""

from __future__ import annotations

from sections import COMPLEXITY, RB_TESTS, Results


def fnum(x, digits=None) -> str:
    if x is None:
        return "n/a"
    if digits is not None:
        return f"{x:,.{digits}f}"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def table(headers, rows) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def cell(rec, fmt=fnum, spread=False) -> str:
    if rec is None:
        return ""
    if rec["value"] is None:
        note = rec.get("note") or "n/a"
        return note.replace("|", "/")
    text = fmt(rec["value"])
    if spread and len(rec.get("runs") or []) > 1:
        text += f" [{fmt(min(rec['runs']))}–{fmt(max(rec['runs']))}]"
    if rec.get("note"):
        text += f" ({rec['note']})"
    elif rec.get("errors"):
        text += f" ({rec['errors']} of {rec['errors'] + len(rec.get('runs') or [])} failed)"
    return text


def _targets(res: Results, section: str) -> list:
    return list(dict.fromkeys(r["target"] for r in res.section(section) if r["target"] != "-"))


def _notes(res: Results, section: str) -> list:
    return [f"- {r['target']}: {r['note']}" for r in res.section(section) if r["workload"] in ("start", "redis-benchmark")]


def bench_report(res: Results, cfg) -> str:
    md = []
    names = _targets(res, "bench")
    ref = cfg.reference(names)
    for P in cfg.pipelines:
        g = f"P{P}"
        md.append(f"\n### redis-benchmark -c {cfg.clients} -P {P}: requests/s, median of {cfg.reps} "
                  f"(interleaved; [min–max])\n")
        rows = [[t] + [cell(res.get("bench", g, t, n), spread=True) for n in names] for t in RB_TESTS]
        rows.append(["**geomean**"] + [cell(res.get("bench", g, "geomean", n)) for n in names])
        rows.append(["server CPU µs/req (geomean)"] + [fnum(res.value("bench-cpu", g, "geomean", n)) for n in names])
        md.append(table(["workload"] + names, rows))
        if "pong" in names:
            md.append("\n– : pong answers PING only.")
        if ref:
            others = [n for n in names if n != ref]
            md.append(f"\nRatio to {ref} (>1: faster than {ref}), -P {P}\n")
            rows = [[t] + [cell(res.get("bench-ratio", g, t, n), fmt=lambda x: f"{x:.3f}") for n in others]
                    for t in RB_TESTS]
            rows.append(["**geomean**"] + [cell(res.get("bench-ratio", g, "geomean", n), fmt=lambda x: f"{x:.3f}")
                                           for n in others])
            md.append(table(["workload"] + others, rows))
    md += _notes(res, "bench")
    return "\n".join(md)


def latency_report(res: Results, cfg) -> str:
    names = _targets(res, "latency")
    rows = []
    red = res.value("latency", "redis-py", "SET+GET", "redis")
    for n in names:
        rp = res.get("latency", "redis-py", "SET+GET", n)
        raw = res.get("latency", "raw socket", "SET+GET", n) or res.get("latency", "raw socket", "PING", n)
        ratio = (rp["value"] / red) if rp and rp["value"] and red else None
        rows.append([n, cell(rp, spread=True), cell(raw, spread=True), fnum(ratio) if ratio else "n/a"])
    return (f"\n### Sequential latency: one client, {cfg.lat_ops:,} alternating SET/GET, not pipelined "
            f"(µs per command, median of {cfg.client_reps} [min–max])\n\n"
            + table(["target", "redis-py µs/op", "raw socket µs/op", "redis-py vs redis"], rows)
            + "\n\nThread targets share the client's interpreter (and GIL), as in a pytest fixture; "
              "pong's raw column is PING; – = does not apply.\n" + "\n".join(_notes(res, "latency")))


def pipeline_report(res: Results, cfg) -> str:
    names = _targets(res, "pipeline")
    ref = cfg.reference(names)
    refv = res.value("pipeline", cfg.pipe_ops, "SET pipeline", ref) if ref else None
    rows = []
    for n in names:
        r = res.get("pipeline", cfg.pipe_ops, "SET pipeline", n)
        if r is None:
            continue
        rows.append([n, cell(r, spread=True), fnum(r.get("execute_s")), fnum(r.get("per_sec")),
                     fnum(refv / r["value"]) if refv and r["value"] else "n/a"])
    return (f"\n### One redis-py pipeline(transaction=False) of {cfg.pipe_ops:,} SETs "
            f"(seconds, median of {cfg.client_reps})\n\n"
            + table(["target", "total s", "execute s", "SET/s", f"speed x {ref}"], rows)
            + "\n" + "\n".join(_notes(res, "pipeline")))


def _first(res: Results, section: str, group: str, target: str):
    return next((r for r in res.section(section) if r["target"] == target and r["group"] == group), None)


def fixture_report(res: Results, cfg) -> str:
    names = _targets(res, "fixture")
    rows = []
    for n in names:
        start, reset, reset100, stop = (_first(res, "fixture", g, n) for g in ("start", "reset", "reset100", "stop"))
        how = (start or {}).get("how") or (reset or {}).get("how") or ""
        rows.append([n, cell(start, spread=True), cell(reset, spread=True), cell(reset100, spread=True),
                     cell(stop, spread=True), how])
    return (f"\n### Fixture cost (ms, median of up to {cfg.fixture_runs} [min–max])\n\n"
            + table(["target", "start → first PING", "reset (empty)", "reset (after 100 keys)", "stop",
                     "reset is"], rows)
            + "\n\nProcess targets: spawn to first PONG (polled every 1 ms), stop = SIGTERM until exit. "
              "Thread targets: construct + start() to first PONG, stop() returns.\n")


def structure_report(res: Results, cfg, section: str) -> str:
    recs = res.section(section)
    names = _targets(res, section)
    ops = list(dict.fromkeys(r["workload"] for r in recs if r["group"] not in ("-", "growth")))
    sizes = [str(s) for s in cfg.sizes]
    rows = []
    for n in names:
        for op in ops:
            unit = "elements/s" if op == "build" else "µs/op"
            row = [n, f"{op} {COMPLEXITY[op]}" if op in COMPLEXITY else "build (elements/s)"]
            row += [cell(res.get(section, s, op, n)) for s in sizes]
            row.append(cell(res.get(section, "growth", op, n), fmt=lambda x: f"{x:.2f}x") if unit == "µs/op" else "")
            rows.append(row)
    what = ("sorted set z (ZADD 1,000 members per command, score = index)" if section == "zset"
            else "list l (RPUSH 1,000 elements per command)")
    return (f"\n### Scale: {what}; per-op µs, pipelined batches of {cfg.op_batch} over a raw socket\n\n"
            + table(["target", "op"] + [f"{int(s):,}" for s in sizes] + [f"growth {int(sizes[0]):,} → {int(sizes[-1]):,}"],
                    rows)
            + "\n\nGrowth ≈ 1x is O(1) or O(log N); ≈ 100x per 100x more elements is O(N). "
              "Per-op times include the bench client's own parsing (the same for every target).\n"
            + "\n".join(_notes(res, section)))


def memory_report(res: Results, cfg) -> str:
    names = _targets(res, "memory")
    rows = []
    for n in names:
        rss = res.get("memory", "RSS", "bytes/key", n)
        um = res.get("memory", "used_memory", "bytes/key", n)
        if rss is None:
            continue
        rows.append([n, fnum(rss.get("keys")), cell(rss), cell(um), fnum(rss.get("rss0_mb")), fnum(rss.get("rss1_mb")),
                     fnum(rss.get("load_per_s")) + (f" ({rss['load_note']})" if rss.get("load_note") else "")])
    return (f"\n### Memory: {cfg.keys:,} × SET key:N <32-byte value>\n\n"
            + table(["target", "keys", "ΔRSS B/key", "Δused_memory B/key", "RSS before MB", "RSS after MB",
                     "load keys/s (pipelined)"], rows)
            + "\n\nredis: Δ INFO used_memory is its allocator's count (the issue's yardstick); ΔRSS also "
              "counts allocator slack. kvfake: ΔRSS of the server process (its INFO used_memory is an "
              "estimate, not a measure); `kvfake serve` keeps no journal (a server in a test's thread keeps "
              "the last 100,000 commands, some MB more).\n"
            + "\n".join(_notes(res, "memory")))


def idle_report(res: Results, cfg) -> str:
    names = _targets(res, "idle")
    rows = []
    for n in names:
        for test in ("set", "get"):
            w = res.get("idle", "with idle", test, n)
            if w is None:
                continue
            rows.append([n, test, cell(res.get("idle", "alone", test, n)), cell(w),
                         cell(res.get("idle", "ratio", test, n), fmt=lambda x: f"{x:.2f}"),
                         fnum(w.get("open_s"))])
    return (f"\n### {cfg.idle:,} idle connections + redis-benchmark -c {cfg.clients} -P 1 (req/s)\n\n"
            + table(["target", "test", "alone", f"with {cfg.idle:,} idle", "with/alone", "open idle s"], rows)
            + "\n" + "\n".join(_notes(res, "idle")))


def goals_report(res: Results, cfg) -> str:
    """The issue-7 targets, checked against this run (only those whose figures were measured)."""
    rows = []

    def ratio(a, b):
        return a / b if a and b else None

    def add(goal, measured, ok, fmt=lambda x: f"{x:.3f}"):
        if measured is None:
            return
        rows.append([goal, fmt(measured), "yes" if ok(measured) else "**no**"])

    def gm_ratio(g, a, b):
        from sections import geomean

        return geomean([ratio(res.value("bench", g, t, a), res.value("bench", g, t, b)) for t in RB_TESTS])

    for P, floor in ((1, 0.6), (16, 0.25)):
        add(f"-P {P}: kvfake / redis, geomean over the workloads ≥ {floor}", gm_ratio(f"P{P}", "kvfake", "redis"),
            lambda x, f=floor: x >= f)
        add(f"-P {P}: kvfake / fakeredis-tcp, geomean ≥ 3", gm_ratio(f"P{P}", "kvfake", "fakeredis-tcp"),
            lambda x: x >= 3)
    add("-P 16: kvfake PING / pong ceiling ≥ 0.6",
        ratio(res.value("bench", "P16", "ping_mbulk", "kvfake"), res.value("bench", "P16", "ping_mbulk", "pong")),
        lambda x: x >= 0.6)
    for field, label, limit in (("start", "start → first PING", 2.0), ("reset", "reset, empty store", 0.5),
                                ("stop", "stop", 2.0)):
        add(f"kvfake-thread fixture: {label} ≤ {limit} ms median",
            (_first(res, "fixture", field, "kvfake-thread") or {}).get("value"),
            lambda x, lim=limit: x <= lim, fmt=lambda x: f"{x:.3f} ms")
    lat_red = res.value("latency", "redis-py", "SET+GET", "redis")
    for name in ("kvfake", "kvfake-thread"):
        add(f"latency: {name} redis-py SET/GET ≤ 1.2 × redis",
            ratio(res.value("latency", "redis-py", "SET+GET", name), lat_red), lambda x: x <= 1.2)
    add("memory: kvfake ΔRSS per key ≤ 2 × redis Δused_memory per key",
        ratio(res.value("memory", "RSS", "bytes/key", "kvfake"), res.value("memory", "used_memory", "bytes/key", "redis")),
        lambda x: x <= 2.0)
    for section in ("zset", "list"):
        for r in res.section(section):
            if r["group"] == "growth" and r["target"] == "kvfake" and r["value"] is not None:
                doc = COMPLEXITY.get(r["workload"], "?")
                # O(N): may grow with the size ratio; otherwise ~flat (4x allows cache misses at 1M)
                limit = 1.5 * cfg.sizes[-1] / cfg.sizes[0] if doc == "O(N)" else 4.0
                red = res.value(section, "growth", r["workload"], "redis")
                add(f"complexity: kvfake {r['workload']} ({doc}), per-op growth {r['unit'][2:]} ≤ {limit:g}x",
                    r["value"], lambda x, lim=limit: x <= lim,
                    fmt=lambda x, red=red: f"{x:.2f}x" + (f" (redis {red:.2f}x)" if red else ""))
    if not rows:
        return ""
    return ("\n### Issue 7 goals, as measured in this run\n\n" + table(["goal", "measured", "met"], rows)
            + "\n\nThe machine is shared and small: ratios from the same run are steadier than absolute figures."
            + (" This is a --quick run (short tests, one repetition): only a full run settles a goal, the"
               " latency ones above all (a few thousand round trips vary by 20% and more).\n" if cfg.quick else "\n"))


REPORTS = {
    "bench": bench_report, "latency": latency_report, "pipeline": pipeline_report, "fixture": fixture_report,
    "zset": lambda r, c: structure_report(r, c, "zset"), "list": lambda r, c: structure_report(r, c, "list"),
    "memory": memory_report, "idle": idle_report,
}


def environment_report(meta: dict) -> str:
    v = meta.get("versions", {})
    lines = ["## kvfake benchmark", "", ", ".join(f"{k}={val}" for k, val in v.items())]
    s = meta.get("settings", {})
    lines.append("settings: " + ", ".join(f"{k}={val}" for k, val in s.items()))
    return "\n".join(lines)


def noise_report(meta: dict) -> str:
    noise = meta.get("noise") or {}
    if not noise:
        return ""
    rows = [[when, f"{d['min_ms']:.2f}", f"{d['median_ms']:.2f}", f"{d['max_ms']:.2f}",
             f"{(d['max_ms'] / d['min_ms'] - 1) * 100:.0f}%", " ".join(f"{x:.2f}" for x in d["loadavg"])]
            for when, d in noise.items()]
    return ("\n### Machine noise: a fixed pure-Python loop timed 15 times (ms)\n\n"
            + table(["when", "min", "median", "max", "max/min-1", "loadavg"], rows))


# -- before / after -------------------------------------------------------------------------------


def compare(old: dict, new: dict, all_targets: bool = False, threshold: float = 0.0) -> str:
    """Per-workload change from ``old`` to ``new`` (both as written by --json)."""
    o, n = Results(old["metrics"]), Results(new["metrics"])
    rows = []
    for key, rn in n.records.items():
        ro = o.records.get(key)
        section, group, workload, target = key
        if ro is None or rn["value"] is None or ro["value"] is None or not ro["value"]:
            continue
        if not all_targets and not target.startswith("kvfake"):
            continue
        if section == "bench-ratio":  # derived; 'vs redis' below says the same
            continue
        change = rn["value"] / ro["value"] - 1
        better = change if rn["better"] == "higher" else -change
        # the same figure for redis in both runs: the change relative to it cancels machine drift
        rel = ""
        ro_red, rn_red = o.value(section, group, workload, "redis"), n.value(section, group, workload, "redis")
        if ro_red and rn_red and target != "redis":
            rc = (rn["value"] / rn_red) / (ro["value"] / ro_red) - 1
            rel = f"{(rc if rn['better'] == 'higher' else -rc) * 100:+.1f}%"
        if abs(better) < threshold:
            continue
        rows.append([section, group, workload, target, rn["unit"], fnum(ro["value"]), fnum(rn["value"]),
                     f"{better * 100:+.1f}%", rel])
    head = (f"\n## Before / after\n\nold: {old.get('meta', {}).get('started', '?')}  new: "
            f"{new.get('meta', {}).get('started', '?')}. Change is signed so that + is better "
            "(faster, smaller); 'vs redis' is the change of the ratio to redis-server measured in "
            "the same runs, which cancels most machine drift.\n\n")
    if not rows:
        return head + "(no figure in common)\n"
    return head + table(["section", "group", "workload", "target", "unit", "old", "new", "change",
                         "vs redis"], rows) + "\n"
