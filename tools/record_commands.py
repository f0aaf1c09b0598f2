#!/usr/bin/env python3
"""Record COMMAND INFO / COMMAND DOCS from a real redis-server into kvfake/data/commands.json.

Dev tool, not part of the package.  Usage (from the repo root):

    redis-server --port 23456 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
    python tools/record_commands.py --host 127.0.0.1 --port 23456
    redis-cli -p 23456 shutdown nosave

Strategy: ask for ``COMMAND`` and ``COMMAND DOCS`` (all commands) over a RESP3
connection (after ``HELLO 3``), because RESP3 keeps the types RESP2 flattens:
map vs array, set vs array.  Status vs bulk strings survive in both.  Each reply
is stored as plain JSON per command (see :mod:`kvfake.commands.meta`), and the
RESP3 type of every node goes into a small per-path schema.  Recording fails if
one path ever carries two types, except that an empty list may differ from a
non-empty one (``path#empty``).

Then the tool checks its own output: it reloads the JSON through
``kvfake.commands.meta``, rebuilds the whole COMMAND and COMMAND DOCS replies,
encodes them in RESP2 and RESP3 (with an encoder of its own, and with
``kvfake.protocol.encoder`` when that imports), and compares them byte for byte
with what the server sent on a RESP2 and on a RESP3 connection.  It does the same
for the fixture commands (--fixture-commands), whose raw replies it writes to the
unit-test fixture.  JSON and fixture come from ONE server process: real Redis
orders subcommands by a per-process hash seed, so re-record both together.

Only the standard library and kvfake are imported; no redis-py.
"""

from __future__ import annotations

import argparse
import importlib
import json
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kvfake.commands import meta  # noqa: E402
from kvfake.protocol.replies import Map, Set, SimpleString  # noqa: E402

OUT = ROOT / "kvfake" / "data" / "commands.json"
DEFAULT_FIXTURE = ROOT / "tests" / "unit" / "data" / "command_meta_capture.json"
DEFAULT_FIXTURE_COMMANDS = "get,set,client|setname,client"
EXPECTED_VERSION = "7.0.15"


# --- wire ------------------------------------------------------------------------


def request(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Conn:
    """One blocking connection that returns (typed tree, raw bytes) per reply.

    Typed tree nodes: ("bulk", bytes) ("status", bytes) ("int", int) ("null",)
    ("array", [..]) ("set", [..]) ("map", [(k, v), ..]).
    """

    def __init__(self, host: str, port: int, protover: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.buf = b""
        self.pos = 0
        if protover == 3:
            self.call(b"HELLO", b"3")

    def call(self, *args: bytes):
        self.sock.sendall(request(*args))
        self.buf = self.buf[self.pos :]
        self.pos = 0
        tree = self._read()
        return tree, self.buf[: self.pos]

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos : end]
                self.pos = end + 2
                return line
            self._fill()

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("status", rest)
        if kind == b"-":
            raise RuntimeError("server error: " + rest.decode("latin-1"))
        if kind == b":":
            return ("int", int(rest))
        if kind == b"_":
            return ("null",)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return ("null",)
            while len(self.buf) < self.pos + n + 2:
                self._fill()
            data = self.buf[self.pos : self.pos + n]
            self.pos += n + 2
            return ("bulk", data)
        if kind in (b"*", b"~"):
            n = int(rest)
            if n < 0:
                return ("null",)
            return ("array" if kind == b"*" else "set", [self._read() for _ in range(n)])
        if kind == b"%":
            return ("map", [(self._read(), self._read()) for _ in range(int(rest))])
        raise RuntimeError(f"unexpected reply type {line[:20]!r}")

    def close(self) -> None:
        self.sock.close()


# --- typed tree -> plain JSON + schema -----------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {}

    def note(self, path: str, kind: str, empty: bool = False) -> None:
        key = path + "#empty" if empty else path
        self.seen.setdefault(key, set()).add(kind)

    def plain(self, node, path: str):
        kind = node[0]
        if kind in ("bulk", "status"):
            self.note(path, kind)
            return node[1].decode("utf-8")
        if kind == "int":
            self.note(path, kind)
            return node[1]
        if kind in ("array", "set"):
            self.note(path, kind, not node[1])
            return [self.plain(child, path + "[]") for child in node[1]]
        if kind == "map":
            self.note(path, kind, not node[1])
            out = {}
            for key, value in node[1]:
                if key[0] != "bulk":
                    raise RuntimeError(f"non-bulk map key at {path}: {key!r}")
                name = key[1].decode("utf-8")
                if name in out:
                    raise RuntimeError(f"duplicate key {name!r} at {path}")
                out[name] = self.plain(value, meta.child_path(path, name))
            return out
        raise RuntimeError(f"unexpected {kind} at {path}")

    def info_record(self, entry, records: dict) -> str:
        """Store one COMMAND INFO entry (and its subcommands); return its fullname."""
        kind, fields = entry
        self.note("info", kind)
        if kind != "array" or len(fields) != len(meta.INFO_FIELDS):
            raise RuntimeError(f"unexpected COMMAND INFO entry shape: {entry!r:.200}")
        record = {}
        for name, node in zip(meta.INFO_FIELDS, fields):
            if name == "subcommands":
                self.note("info.subcommands", node[0], not node[1])
                record[name] = []  # filled below, after the parent's own record
            else:
                record[name] = self.plain(node, "info." + name)
        fullname = record["name"]
        if fullname != fullname.lower() or fullname in records:
            raise RuntimeError(f"unexpected command name {fullname!r}")
        records[fullname] = record
        record["subcommands"] = [self.info_record(sub, records) for sub in fields[-1][1]]
        return fullname

    def docs_record(self, name: str, docs, records: dict) -> None:
        record = records[name]
        kind, items = docs
        self.note("docs", kind, not items)
        if kind != "map":
            raise RuntimeError(f"unexpected COMMAND DOCS shape for {name}")
        out = {}
        for key, value in items:
            field = key[1].decode("utf-8")
            if field == "subcommands":
                self.note("docs.subcommands", value[0], not value[1])
                subs = []
                for sub_key, sub_docs in value[1]:
                    sub = sub_key[1].decode("utf-8")
                    self.docs_record(sub, sub_docs, records)
                    subs.append(sub)
                out[field] = subs
            else:
                out[field] = self.plain(value, meta.child_path("docs", field))
        if "docs" in record:
            raise RuntimeError(f"docs twice for {name}")
        record["docs"] = out

    def schema(self) -> dict[str, str]:
        schema = {}
        for key in sorted(self.seen):
            kinds = self.seen[key]
            if len(kinds) != 1:
                raise RuntimeError(f"path {key} has several types: {sorted(kinds)}")
            schema[key] = next(iter(kinds))
        # An "#empty" entry is only needed where empty and non-empty differ.
        for key in [k for k in schema if k.endswith("#empty")]:
            if schema.get(key[: -len("#empty")]) == schema[key]:
                del schema[key]
        return schema


# --- independent encoder for the self-check ---------------------------------------------


def encode(value, protover: int) -> bytes:
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        return b":%d\r\n" % value
    if value is None:
        return b"_\r\n" if protover == 3 else b"$-1\r\n"
    if isinstance(value, SimpleString):
        return b"+%s\r\n" % value.value
    if isinstance(value, list):
        return b"*%d\r\n" % len(value) + b"".join(encode(v, protover) for v in value)
    if isinstance(value, Set):
        head = b"~" if protover == 3 else b"*"
        body = b"".join(encode(v, protover) for v in value.items)
        return head + b"%d\r\n" % len(value.items) + body
    if isinstance(value, Map):
        n = len(value.items)
        head = b"%%%d\r\n" % n if protover == 3 else b"*%d\r\n" % (2 * n)
        return head + b"".join(encode(k, protover) + encode(v, protover) for k, v in value.items)
    raise TypeError(type(value).__name__)


def encoders() -> list:
    found = [("tools/record_commands.encode", encode)]
    try:
        module = importlib.import_module("kvfake.protocol.encoder")
        found.append(("kvfake.protocol.encoder.encode", module.encode))
    except ImportError:
        print("note: kvfake.protocol.encoder not importable; checking with the tool's encoder")
    return found


def reply_for(args: list[bytes], table: dict):
    """The reply value kvfake's metadata gives for COMMAND INFO/DOCS with these args."""
    sub = args[1].upper() if len(args) > 1 else b""
    names = [a.decode("utf-8").lower() for a in args[2:]]
    if sub in (b"", b"INFO") and not names:
        return [meta.info_value(table[n], table) for n in table if "|" not in n]
    if sub == b"INFO":
        return [meta.info_value(table[n], table) if n in table else None for n in names]
    if sub == b"DOCS":
        if not names:
            names = [n for n in table if "|" not in n]
        return Map([(n.encode(), meta.docs_value(table[n], table)) for n in names if n in table])
    raise ValueError(args)


def check(captured: list[tuple[list[bytes], int, bytes]], table: dict) -> None:
    for name, enc in encoders():
        for args, protover, raw in captured:
            got = enc(reply_for(args, table), protover)
            if got != raw:
                diffs = (i for i, (a, b) in enumerate(zip(got, raw)) if a != b)
                at = next(diffs, min(len(got), len(raw)))
                lo, hi = max(0, at - 60), at + 60
                raise SystemExit(
                    f"self-check FAILED ({name}, RESP{protover}, {b' '.join(args)!r}), byte {at}:\n"
                    f"  redis:  {raw[lo:hi]!r}\n  kvfake: {got[lo:hi]!r}"
                )
    print(f"self-check: {len(captured)} replies byte-exact with {len(encoders())} encoder(s)")


# --- main -----------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--fixture", type=Path, default=DEFAULT_FIXTURE, help="raw replies for the unit test"
    )
    parser.add_argument(
        "--fixture-commands", default=DEFAULT_FIXTURE_COMMANDS, help="comma-separated fullnames"
    )
    parser.add_argument("--expect-version", default=EXPECTED_VERSION)
    opts = parser.parse_args(argv)

    conns = {2: Conn(opts.host, opts.port, 2), 3: Conn(opts.host, opts.port, 3)}
    info_text = conns[2].call(b"INFO", b"server")[0][1].decode()
    lines = info_text.splitlines()
    version = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("redis_version:"))
    if version != opts.expect_version:
        raise SystemExit(f"server is redis {version}, not {opts.expect_version} (--expect-version)")

    all_info, all_docs = [b"COMMAND"], [b"COMMAND", b"DOCS"]
    captured = []  # (args, protover, raw reply)
    trees = {}
    for protover, conn in conns.items():
        for args in (all_info, all_docs):
            tree, raw = conn.call(*args)
            captured.append((args, protover, raw))
            trees[protover, tuple(args)] = tree

    rec = Recorder()
    records: dict = {}
    for entry in trees[3, tuple(all_info)][1]:
        rec.info_record(entry, records)
    for key, docs in trees[3, tuple(all_docs)][1]:
        rec.docs_record(key[1].decode("utf-8"), docs, records)
    missing = [n for n, r in records.items() if "docs" not in r]
    if missing:
        raise SystemExit(f"no COMMAND DOCS for: {missing}")

    data = {
        "redis_version": version,
        "recorded_by": "tools/record_commands.py",
        "schema": rec.schema(),
        "commands": records,
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    fixture = []
    for name in [n for n in opts.fixture_commands.split(",") if n]:
        for protover, conn in conns.items():
            for sub in (b"INFO", b"DOCS"):
                args = [b"COMMAND", sub, name.encode()]
                raw = conn.call(*args)[1]
                captured.append((args, protover, raw))
                entry = {"args": [a.decode() for a in args], "protover": protover}
                entry["reply"] = raw.decode("latin-1")
                fixture.append(entry)
    for conn in conns.values():
        conn.close()

    # Write, then reload through the package exactly as kvfake reads it; put the
    # previous file back if the rebuilt replies are not byte-exact.
    previous = OUT.read_bytes() if OUT.exists() else None
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    meta._data.cache_clear()
    try:
        check(captured, meta.load())
    except BaseException:
        if previous is None:
            OUT.unlink()
        else:
            OUT.write_bytes(previous)
        raise
    print(f"wrote {OUT} ({len(text.encode())} bytes, {len(records)} commands incl. subcommands)")

    if fixture:
        opts.fixture.parent.mkdir(parents=True, exist_ok=True)
        body = {"redis_version": version, "recorded_by": "tools/record_commands.py"}
        body["replies"] = fixture
        opts.fixture.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {opts.fixture} ({len(fixture)} replies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
