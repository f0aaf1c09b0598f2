#!/usr/bin/env python3
"""Build the conformance corpus (kvfake/conformance/cases/*.json) from the differential test scripts.

Dev tool, not part of the package.  Usage (from the repo root; needs redis-server on PATH):

    python tools/build_corpus.py                 # rebuild every group, print coverage
    python tools/build_corpus.py --group strings --check   # build in memory, write nothing

Every differential test feeds the corpus: the tool imports each ``tests/differential/test_<group>.py``
and takes every module-level script table in it, i.e. a dict ``name -> [argv, ...]`` (or a bare list of
argv lists), each script once in RESP2 and once in RESP3.  ``TAGS`` below gives a table the
normalisation tags its differential test uses; ``EXTRA`` adds scripts for commands or error paths no
differential script reaches.  Then, for each candidate case:

1. record it on a real redis-server (its own, started here with --save '' --appendonly no);
2. drop it if it cannot be a portable check: a step hung or gave no reply (blocking, CLIENT REPLY), it
   uses a command that needs two connections, DEBUG or a server-wide change (MONITOR, CLIENT KILL...,
   see ``NEVER``), or a server-changing command (``STATEFUL``: CONFIG SET, SAVE...) succeeded instead of
   failing -- a failing one is a fine error-path check; after such a case the servers are restarted;
3. run it against a *second* redis-server process (another hash seed, other ids): a case that does not
   pass there is nondeterministic for its tags and is dropped (listed);
4. run it against kvfake in-process: a case kvfake fails because it lacks a command is dropped (it joins
   on the next build, once the command exists); any other failure stops the build (exit 1) unless the
   case is listed in ``LEFT_OUT`` with a reason -- a kvfake bug must be fixed, not hidden.

It prints what it dropped and why, and the coverage: commands of kvfake's command table (containers
and ``container|sub`` entries) that some case uses, and how many of them have an error path recorded.

Imports: kvfake.conformance, kvfake.commands (coverage), kvfake.Server, tests.support.redis_server.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kvfake import Server  # noqa: E402
from kvfake.commands import TABLE  # noqa: E402
from kvfake.conformance import corpus, runner  # noqa: E402
from kvfake.conformance.corpus import Case, Step  # noqa: E402
from kvfake.conformance.resp import CLOSED  # noqa: E402
from tests.support.redis_server import RedisServer, find_redis_binary  # noqa: E402

DIFFERENTIAL = ROOT / "tests" / "differential"
#: differential modules that are not about commands (the harness itself, raw protocol bytes)
SKIP_MODULES = {"selfcheck", "protocol"}

#: tags per "group:TABLE" (or "group:TABLE:script"), mirroring what the differential test normalises
TAGS = {
    "connection:SCRIPTS": ("client-ids",),
    "connection:AUTH_SCRIPTS": ("client-ids",),
    "hashes:HASHTABLE_SCRIPTS": ("sort-elements", "sort-pairs", "sort-scan", "random"),
    "hashes:RANDOM_SCRIPTS": ("random",),
    "keys:SCRIPTS": ("sort-elements", "sort-pairs", "sort-scan"),
    "server:KEYSPACE": ("time", "lastsave"),
    "server:INFO": ("info",),
    "server:CONFIG": ("sort-pairs",),
    "sets:UNORDERED": ("sort-elements", "sort-scan", "random"),
    "sets:RANDOM": ("random",),
    "zsets:SCRIPTS:encoding-value-length": ("sort-scan",),
    "zsets:RANDOM": ("random",),
    "lists:SCRIPTS": ("sort-scan",),
    "transactions:SCRIPTS": ("client-ids",),
    "monitor:SCRIPTS": ("client-ids",),
    "instance:HISTOGRAM": ("latency-histogram",),
}


def _hash_setup(module) -> list:
    """hashes:RANDOM_SCRIPTS run after the hashes of RANDOM_HASHES are written (as the test does)."""
    setup = [["HSET", key, *[x for kv in fields.items() for x in kv]] for key, fields in module.RANDOM_HASHES.items()]
    return setup + [["OBJECT", "ENCODING", key] for key in module.RANDOM_HASHES]


#: scripts that a table keeps in another shape: "group:TABLE" -> fn(module, value) -> argv list
SHAPES = {
    "hashes:RANDOM_SCRIPTS": lambda module, script: _hash_setup(module) + script,
    "sets:RANDOM": lambda module, value: value[1],  # (members, script)
}

#: commands whose cases are never portable checks (two connections, server-wide effects, DEBUG)
#: (SUBSCRIBE and CLIENT TRACKING are fine on one connection: only the single-connection tables of
#: test_pubsub.py / test_tracking.py are plain argv scripts, the multi-connection ones are not collected)
NEVER = {"debug", "monitor", "shutdown", "replicaof", "slaveof", "sync", "psync", "failover"}
#: commands that change the server beyond its keyspace (or other clients): fine when they fail (error
#: paths), not otherwise.  (CLIENT REPLY OFF/SKIP needs no entry: a missing reply drops the case.)
STATEFUL = {"config|set", "config|resetstat", "config|rewrite", "save", "bgsave", "bgrewriteaof",
            "client|kill", "client|pause", "client|unblock",
            "script", "function", "acl", "slowlog", "latency|reset", "module"}

#: a recorded case larger than this (its JSON text) is not shipped
MAX_CASE_CHARS = 400_000

#: cases kvfake legitimately fails, by id prefix (group/name), with the reason; keep this short
LEFT_OUT: "dict[str, str]" = {
}


def _command_metadata() -> dict:
    """COMMAND INFO / DOCS of every command of kvfake's table, one by one (a container's own entry
    lists its subcommands in each server's hash order, so containers are asked through their
    subcommands only)."""
    names = [spec.name for spec in TABLE.all_specs() if not spec.is_container]
    return {
        "command-info-each": ((), [["COMMAND", "INFO", n] for n in names]),
        "command-docs-each": ((), [["COMMAND", "DOCS", n] for n in names]),
        "command-info-several": ((), [["COMMAND", "INFO", *names[:40]],
                                      ["COMMAND", "INFO", "get", "nosuch", "set"]]),
    }


#: scripts for commands or error paths that no differential script reaches; recorded like the rest.
#: group -> {name: (tags, script)}.  Server-changing commands appear only where they fail.
EXTRA: "dict[str, dict]" = {
    "server": {
        **_command_metadata(),
        "config-set-errors": (("sort-pairs",), [
            ["CONFIG", "SET"], ["CONFIG", "SET", "maxmemory"], ["CONFIG", "SET", "nosuch-parameter", "1"],
            ["CONFIG", "SET", "port", "abc"], ["CONFIG", "SET", "port", "65536"], ["CONFIG", "SET", "hz", "x"],
            ["CONFIG", "SET", "maxmemory", "-1"], ["CONFIG", "SET", "maxmemory", "10%"],
            ["CONFIG", "SET", "maxmemory", "1 mb"], ["CONFIG", "SET", "appendonly", "maybe"],
            ["CONFIG", "SET", "timeout", "-1"], ["CONFIG", "SET", "maxclients", "0"],
            ["CONFIG", "SET", "hz", "10", "hz", "11"], ["CONFIG", "SET", "hz", "10", "nosuch", "1"],
            ["CONFIG", "SET", "hz"], ["CONFIG", "GET", "hz"],
        ]),
        "config-other-errors": ((), [
            ["CONFIG", "HELP"], ["CONFIG", "help"], ["CONFIG", "HELP", "x"], ["CONFIG", "RESETSTAT", "x"],
            ["CONFIG", "REWRITE", "x"], ["CONFIG"], ["CONFIG", "NOSUCH"],
        ]),
        "save-errors": (("lastsave",), [
            ["LASTSAVE"], ["LASTSAVE", "x"], ["SAVE", "x"], ["BGSAVE", "x"], ["BGSAVE", "SCHEDULE", "x"],
            ["BGSAVE", ""], ["BGREWRITEAOF", "x"],
        ]),
    },
    "connection": {
        "client-admin-errors": (("client-ids",), [
            ["CLIENT", "KILL"], ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID", "x"],
            ["CLIENT", "KILL", "ID", "99999999"], ["CLIENT", "KILL", "ADDR"], ["CLIENT", "KILL", "FOO", "bar"],
            ["CLIENT", "KILL", "TYPE", "nosuch"], ["CLIENT", "KILL", "SKIPME", "maybe"],
            ["CLIENT", "PAUSE"], ["CLIENT", "PAUSE", "x"], ["CLIENT", "PAUSE", "-1"],
            ["CLIENT", "PAUSE", "10", "NOSUCH"], ["CLIENT", "UNPAUSE", "x"],
            ["CLIENT", "UNBLOCK"], ["CLIENT", "UNBLOCK", "x"], ["CLIENT", "UNBLOCK", "1", "FOO"],
            ["CLIENT", "REPLY"], ["CLIENT", "REPLY", "maybe"], ["CLIENT", "REPLY", "ON"],
            ["CLIENT", "REPLY", "ON", "x"], ["PING"],
        ]),
    },
}


# -- collecting candidates --------------------------------------------------------------------------

def _is_argv(x) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(a, (str, bytes, int)) for a in x) \
        and isinstance(x[0], (str, bytes))


def _is_script(x) -> bool:
    return isinstance(x, list) and len(x) > 0 and all(_is_argv(s) for s in x)


def _argv(step) -> tuple:
    return tuple(a.encode("utf-8") if isinstance(a, str) else b"%d" % a if isinstance(a, int) else bytes(a)
                 for a in step)


def _tables(module) -> "list[tuple[str, dict]]":
    """The script tables of a module: (TABLE, {name: script}) in definition order."""
    group = module.__name__.rsplit(".", 1)[1][len("test_"):]
    found = []
    for attr, value in vars(module).items():
        if not attr.isupper() or attr.startswith("_"):
            continue
        shape = SHAPES.get(f"{group}:{attr}")
        if isinstance(value, dict) and value:
            scripts = {}
            for name, script in value.items():
                if shape is not None:
                    script = shape(module, script)
                if isinstance(name, str) and _is_script(script):
                    scripts[name] = script
            if scripts:
                found.append((attr, scripts))
        elif _is_script(value):
            found.append((attr, {attr.lower().replace("_", "-"): value}))
    return found


def candidates(only_groups=None) -> "tuple[list[Case], list[str]]":
    cases, problems = [], []
    sources = [(p.stem[len("test_"):], p) for p in sorted(DIFFERENTIAL.glob("test_*.py"))]
    for group, path in sources:
        if group in SKIP_MODULES or (only_groups and group not in only_groups):
            continue
        try:
            module = importlib.import_module(f"tests.differential.{path.stem}")
        except Exception as exc:  # a module being written by someone else must not stop the build
            problems.append(f"{path.name}: cannot import ({type(exc).__name__}: {exc})")
            continue
        for table, scripts in _tables(module):
            for name, script in scripts.items():
                tags = TAGS.get(f"{group}:{table}:{name}", TAGS.get(f"{group}:{table}", ()))
                bare = name == table.lower().replace("_", "-")  # a module-level list, not a dict
                case_name = name if table == "SCRIPTS" or bare else f"{table.lower().replace('_', '-')}/{name}"
                steps = tuple(Step(_argv(s), b"") for s in script)
                for resp in (2, 3):
                    cases.append(Case(name=case_name, group=group, resp=resp, steps=steps, normalize=tuple(tags),
                                      source=f"tests/differential/{path.name} {table}"))
    for group, scripts in EXTRA.items():
        if only_groups and group not in only_groups:
            continue
        for name, (tags, script) in scripts.items():
            steps = tuple(Step(_argv(s), b"") for s in script)
            for resp in (2, 3):
                cases.append(Case(name=name, group=group, resp=resp, steps=steps, normalize=tuple(tags),
                                  source="tools/build_corpus.py EXTRA"))
    return cases, problems


def _names(argv) -> "set[str]":
    name = argv[0].lower().decode("latin-1")
    out = {name}
    if len(argv) > 1:
        out.add(f"{name}|{argv[1].lower().decode('latin-1')}")
    return out


# -- building -----------------------------------------------------------------------------------------

class Servers:
    """Two real redis-server processes (recorder and checker) and kvfake, restartable."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.a = RedisServer(binary=binary).start()
        self.b = RedisServer(binary=binary).start()
        self.kvfake = Server()
        self.kvfake.start()
        self.restarts = 0
        info = runner.server_info(self.a.host, self.a.port)[0]
        self.version = (runner.info_field(info, b"redis_version") or b"unknown").decode()

    def restart_redis(self) -> None:
        for attr in ("a", "b"):
            getattr(self, attr).stop()
            setattr(self, attr, RedisServer(binary=self.binary).start())
        self.restarts += 1

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()
        self.kvfake.stop()


def build(cases: "list[Case]", servers: Servers, timeout: float) -> "tuple[list[Case], dict, list[str]]":
    """Record and check every candidate; returns (kept, dropped {reason: [ids]}, kvfake failures)."""
    kept, dropped, failures = [], {}, []

    def drop(case: Case, reason: str) -> None:
        dropped.setdefault(reason, []).append(case.id)

    for case in cases:
        used = set().union(*(_names(s.argv) for s in case.steps))
        never = sorted(used & NEVER)
        if never:
            drop(case, f"needs {', '.join(never)} (two connections, DEBUG or server-wide effects): "
                       "left to the differential tests")
            continue
        result = runner.run_case(case, servers.a.host, servers.a.port, timeout=timeout, compare=False)
        replies = list(result.replies)
        if result.mismatch is not None or len(replies) != len(case.steps) or any(
                r.startswith(b"<") and r != CLOSED for r in replies):
            drop(case, "blocks, stays silent or needs another connection (no reply in time): "
                       "left to the differential tests")
            servers.restart_redis()  # a blocked or silenced connection may leave state behind
            continue
        changed = sorted({n for s, r in zip(case.steps, replies) for n in _names(s.argv) & STATEFUL
                          if not _harmless(n, r)})
        if changed:
            drop(case, f"changes the server ({', '.join(changed)} succeeded): left to the differential tests")
            servers.restart_redis()
            continue
        recorded = case.recorded(replies, servers.version)
        again = runner.run_case(recorded, servers.b.host, servers.b.port, timeout=timeout)
        if not again.passed:
            drop(case, "not reproducible on a second redis-server (random, time or order dependent "
                       "beyond its tags)")
            continue
        mine = runner.run_case(recorded, servers.kvfake.host, servers.kvfake.port, timeout=timeout)
        if not mine.passed:
            lacking = [n for n in mine.unknown if n not in (_unknown(recorded))]
            if lacking:
                drop(case, f"kvfake lacks {', '.join(sorted(set(lacking)))} (joins when implemented)")
                continue
            reason = next((why for prefix, why in LEFT_OUT.items() if recorded.id.startswith(prefix)), None)
            if reason is not None:
                drop(case, f"left out: {reason}")
                continue
            failures.append("\n".join(runner.format_failure(mine)))
            continue
        if len(corpus.dump_group(case.group, [recorded])) > MAX_CASE_CHARS:
            drop(case, f"over {MAX_CASE_CHARS // 1000} kB of JSON (keeps the shipped corpus small): "
                       "left to the differential tests")
            continue
        kept.append(recorded)
    return kept, dropped, failures


def _harmless(name: str, reply: bytes) -> bool:
    """A server-changing command that changed nothing: it failed, killed/unblocked no client or reset
    no latency event."""
    return reply.startswith(b"-") or (reply == b":0\r\n" and name in ("client|kill", "client|unblock",
                                                                         "latency|reset"))


def _unknown(case: Case) -> "set[str]":
    """Commands the recorded redis itself did not know (intended unknown-command checks)."""
    out = set()
    for s in case.steps:
        if s.reply.startswith((b"-ERR unknown command", b"-ERR unknown subcommand")):
            out |= _names(s.argv)
    return out


def table_names() -> "list[str]":
    return sorted(spec.name for spec in TABLE.all_specs())


def coverage(cases: "list[Case]") -> "tuple[list[str], list[str], list[str]]":
    """(covered, uncovered, covered with an error reply) over kvfake's command table."""
    used, with_error = set(), set()
    for case in cases:
        for s in case.steps:
            names = _names(s.argv)
            used |= names
            if s.reply.startswith(b"-"):
                with_error |= names
    names = table_names()
    covered = [n for n in names if n in used]
    return covered, [n for n in names if n not in used], [n for n in covered if n in with_error]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", default=None, help="comma-separated groups to rebuild (default all)")
    parser.add_argument("--check", action="store_true", help="build and report, write nothing")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per case (default 3)")
    parser.add_argument("--out", default=str(corpus.CASES_DIR), help="corpus directory")
    args = parser.parse_args(argv)
    binary = find_redis_binary()
    if not binary:
        print("build_corpus: redis-server not found", file=sys.stderr)
        return 2
    only = set(args.group.split(",")) if args.group else None
    cases, problems = candidates(only)
    for p in problems:
        print(f"warning: {p}")
    started = time.monotonic()
    servers = Servers(binary)
    try:
        kept, dropped, failures = build(cases, servers, args.timeout)
    finally:
        servers.stop()
    print(f"{len(cases)} candidate cases, {len(kept)} kept, {sum(map(len, dropped.values()))} dropped "
          f"({time.monotonic() - started:.1f}s, {servers.restarts} redis restarts)")
    for reason, ids in sorted(dropped.items()):
        shown = sorted({i.rsplit('[', 1)[0] for i in ids})
        print(f"\ndropped {len(ids)}: {reason}")
        for i in shown:
            print(f"    {i}")
    if failures:
        print(f"\nkvfake FAILS {len(failures)} cases (fix kvfake, or list them in LEFT_OUT with a reason):")
        for f in failures:
            print(f)
    out = Path(args.out)
    by_group: dict = {}
    for case in kept:
        by_group.setdefault(case.group, []).append(case)
    if not args.check and not failures:
        out.mkdir(parents=True, exist_ok=True)
        for group, group_cases in sorted(by_group.items()):
            corpus.write_group(out, group, group_cases)
        print(f"\nwrote {len(by_group)} group files to {out}")
    everything = corpus.load(out) if not args.check and not only and not failures else kept
    covered, uncovered, with_error = coverage(everything)
    total = len(table_names())
    print(f"\ncorpus: {len(everything)} cases; commands covered {len(covered)}/{total} of kvfake's command table "
          f"({len(with_error)} with an error path recorded)")
    if uncovered:
        print("not covered: " + " ".join(uncovered))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
