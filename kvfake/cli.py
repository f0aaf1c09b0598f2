"""Command line: ``kvfake serve`` runs a server in the foreground; ``kvfake conform`` checks a server
against the recorded conformance corpus (kvfake.conformance.command).

Imports: kvfake.net.server, kvfake.conformance.command (and the public API).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kvfake import __version__
from kvfake.conformance import command as conform
from kvfake.net.server import Server


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kvfake", description="A Redis-compatible in-memory server for tests.")
    parser.add_argument("--version", action="version", version=f"kvfake {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run a server in the foreground until Ctrl-C / SIGTERM / SHUTDOWN")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=6379, help="port to listen on (default 6379; 0 = any free port)")
    serve.add_argument("--requirepass", default=None, help="password clients must AUTH with")
    serve.add_argument("--databases", type=int, default=16, help="number of databases (default 16)")
    serve.add_argument("--seed", type=int, default=None, help="seed for random replies (RANDOMKEY, SPOP...)")
    conform.add_parser(sub)
    return parser


def serve(args: argparse.Namespace) -> int:
    if args.databases < 1:
        print("kvfake: --databases must be at least 1", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("kvfake: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    # no journal: nothing outside this process could read it, and it costs per command
    server = Server(args.host, args.port, requirepass=args.requirepass, databases=args.databases,
                    seed=args.seed, journal_size=0)
    try:
        server.start()
    except OSError as exc:
        print(f"kvfake: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    done = threading.Event()

    def _stop(signum, frame) -> None:
        done.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    host = f"[{server.host}]" if ":" in server.host else server.host
    print(f"kvfake {__version__} listening on {host}:{server.port}", flush=True)
    print(f"  redis-cli -h {server.host} -p {server.port}", flush=True)
    print(f"  telnet {server.host} {server.port}", flush=True)
    print(f"  url: {server.url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while server.running and not done.wait(0.2):
            pass  # until Ctrl-C / SIGTERM, or a client's SHUTDOWN stops the server
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("kvfake stopped.", flush=True)
    return 0


def main(argv: "list[str] | None" = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "conform":
        return conform.main(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
