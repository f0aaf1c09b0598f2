"""``kvfake conform``: the command line of the conformance kit (kvfake.cli delegates here).

    kvfake conform --host H --port P [--group strings,lists] [--resp 2|3] [--json FILE]
                   [--case GLOB] [--timeout S] [--yes-flush] [--corpus DIR]
    kvfake conform --record --host H --port P [--group ...] [--resp ...] [--yes-flush] [--corpus DIR]

Exit status: 0 every case passed (or recorded); 1 some failed (or could not be recorded); 2 refused or
unusable (no server, a non-empty keyspace without ``--yes-flush``, recording from kvfake, bad options).

Imports: kvfake.conformance.*.  Never: kvfake.store, kvfake.commands.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

from kvfake.conformance import corpus, runner


def _seconds(text: str) -> float:
    """``--timeout``: a positive, finite number of seconds (argparse reports anything else)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``conform`` subcommand on ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "conform", help="check a Redis-compatible server against the recorded conformance corpus",
        description="Run the recorded conformance cases (expected replies from a real redis-server) "
                    "against any server, or re-record them with --record. The cases run FLUSHALL: "
                    "the server's keyspace must be empty, or pass --yes-flush.")
    p.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=6379, help="server port (default 6379)")
    p.add_argument("--group", default=None, help="comma-separated groups to run (default: all); see --list")
    p.add_argument("--resp", type=int, choices=(2, 3), default=None, help="only cases of this protocol")
    p.add_argument("--case", default=None, metavar="GLOB", help="only cases whose name matches GLOB")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the full report as JSON")
    p.add_argument("--timeout", type=_seconds, default=10.0, help="seconds per case (default 10)")
    p.add_argument("--yes-flush", action="store_true", help="allow FLUSHALL on a server that holds data")
    p.add_argument("--record", action="store_true",
                   help="re-record the expected replies from this server (a real redis-server, never kvfake)")
    p.add_argument("--corpus", default=None, metavar="DIR", help="corpus directory (default: the shipped one)")
    p.add_argument("--list", action="store_true", help="list the groups and their case counts, and exit")
    return p


def _select(args) -> "tuple[Path, list] | None":
    directory = Path(args.corpus) if args.corpus else corpus.CASES_DIR
    known = corpus.groups(directory)
    wanted = None
    if args.group:
        wanted = [g.strip() for g in args.group.split(",") if g.strip()]
        missing = [g for g in wanted if g not in known]
        if missing:
            print(f"kvfake conform: unknown group(s) {', '.join(missing)}; known: {', '.join(known)}",
                  file=sys.stderr)
            return None
    cases = corpus.load(directory, only_groups=wanted, resp=args.resp)
    if args.case:
        cases = [c for c in cases if fnmatch.fnmatchcase(c.name, args.case)]
    return directory, cases


def main(args: argparse.Namespace) -> int:
    selected = _select(args)
    if selected is None:
        return 2
    directory, cases = selected
    if args.list:
        counts: dict = {}
        for c in cases:
            counts[c.group] = counts.get(c.group, 0) + 1
        for group, n in sorted(counts.items()):
            print(f"{group:<16} {n:>5} cases")
        print(f"{'total':<16} {len(cases):>5} cases, {len(corpus.commands_of(cases))} command names")
        return 0
    if not cases:
        print("kvfake conform: no case selected", file=sys.stderr)
        return 2
    try:
        if args.record:
            return _record(args, directory, cases)
        report = runner.run(cases, args.host, args.port, timeout=args.timeout, yes_flush=args.yes_flush)
    except runner.Refused as exc:
        print(f"kvfake conform: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"kvfake conform: cannot reach {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(runner.format_report(report), flush=True)
    if args.json:
        runner.write_json(report, args.json)
    return 0 if report.ok else 1


def _record(args, directory: Path, cases: list) -> int:
    recorded, problems = runner.record(cases, args.host, args.port, timeout=args.timeout,
                                       yes_flush=args.yes_flush)
    new = {c.id: c for c in recorded}
    for group in sorted({c.group for c in cases}):
        # cases not selected (other --resp, --case) stay as they were
        merged = [new.get(c.id, c) for c in corpus.load_group(directory / f"{group}.json")]
        corpus.write_group(directory, group, merged)
    changed = sum(1 for old, c in zip(cases, recorded) if old.steps != c.steps)
    print(f"kvfake conform: recorded {len(recorded) - len(problems)} cases from {args.host}:{args.port} "
          f"into {directory} ({changed} changed)")
    for case, why in problems:
        print(f"  not recorded: {case.id}: {why}")
    return 1 if problems else 0
