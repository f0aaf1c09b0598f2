"""Run the conformance corpus against any server over TCP, and record it from a real redis-server.

Each case runs on a fresh connection: ``FLUSHALL`` (and ``HELLO 3`` for a RESP3 case), then its steps one
at a time, each reply read whole before the next command is sent and compared with the recorded one
after the case's normalisation rules.  A case has ``timeout`` seconds in all: a server that stops
answering fails the case with ``<no reply within Ns>`` and the run goes on with the next case on a new
connection; a server that closes the connection fails it with ``<connection closed>``; one that refuses
connections fails each case with ``<cannot connect: ...>``.  Closing is graceful (our FIN, then wait for
the server's), so the next case never sees the previous connection in CLIENT LIST.

Consent: the cases flush the server.  :func:`check_consent` allows a run only with ``yes_flush`` or when
the server's keyspace is empty to begin with (``INFO keyspace`` lists no database; ``DBSIZE`` is 0 when
INFO is not available; a server that answers neither is refused); then everything flushed was written by
the run itself, and the run flushes once more at the end, leaving the server empty as it found it.

Recording (:func:`record`) refuses a kvfake server: kvfake's ``INFO server`` reports a
``redis_build_id`` that starts with the hex of ``kvfake`` (:data:`KVFAKE_BUILD_ID`), which no real Redis
build id does, so the expected replies always come from a real Redis.

Only the stdlib ``socket`` and kvfake.conformance's own reply reader are used (no client library).

Imports: kvfake.conformance.resp, kvfake.conformance.corpus, kvfake.conformance.normalize; socket.
Never: kvfake.store, kvfake.commands, redis-py.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Callable, Iterable, Sequence

from attrs import define, field, frozen

from kvfake.conformance.corpus import Case
from kvfake.conformance.normalize import normalise
from kvfake.conformance.resp import CLOSED, ReplyReader, RespError, blob, encode_command, escape, show_argv

#: hex of b"kvfake": the start of ``redis_build_id`` in kvfake's INFO server
KVFAKE_BUILD_ID = b"kvfake".hex().encode()

SETUP_FLUSH = (b"FLUSHALL",)
SETUP_RESP3 = (b"HELLO", b"3")


def timed_out(seconds: float) -> bytes:
    return b"<no reply within %gs>" % seconds


def cannot_connect(exc: BaseException) -> bytes:
    return f"<cannot connect: {exc}>".encode("latin-1", "replace")


def garbage(data: bytes) -> bytes:
    return b"<not RESP: " + data[:200] + b">"


class Connection:
    """One TCP connection to the server under test: ``call(argv, deadline)`` -> raw reply bytes.

    Never raises for what the server does: a closed connection gives CLOSED, silence until the
    deadline gives ``<no reply within Ns>`` (the connection is then dropped), bytes that are not RESP
    give ``<not RESP: ...>`` (dropped too).  After any of these, ``dead`` holds that reply."""

    def __init__(self, host: str, port: int, *, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = ReplyReader()
        self.dead: "bytes | None" = None

    def call(self, argv: Sequence[bytes], deadline: float, budget: float) -> bytes:
        if self.dead is not None:
            return self.dead
        try:
            self.sock.sendall(encode_command(argv))
        except OSError:
            pass  # the read below tells what happened (closed, reset)
        return self.read(deadline, budget)

    def read(self, deadline: float, budget: float) -> bytes:
        if self.dead is not None:
            return self.dead
        while True:
            try:
                raw = self.reader.next_reply()
            except RespError:
                return self._die(garbage(self.reader.pending()))
            if raw is not None:
                return raw
            left = deadline - time.monotonic()
            if left <= 0:
                return self._die(timed_out(budget))
            try:
                self.sock.settimeout(left)
                data = self.sock.recv(65536)
            except socket.timeout:
                return self._die(timed_out(budget))
            except OSError:
                data = b""
            if not data:
                return self._die(CLOSED)
            self.reader.feed(data)

    def _die(self, why: bytes) -> bytes:
        self.dead = why
        self.abort()
        return why

    def abort(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self, wait: float = 1.0) -> None:
        """Graceful close: send our FIN and wait (up to ``wait``) for the server to close its side."""
        if self.dead is None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
                end = time.monotonic() + wait
                while time.monotonic() < end:
                    self.sock.settimeout(max(0.001, end - time.monotonic()))
                    if not self.sock.recv(65536):
                        break
            except OSError:
                pass
        self.abort()


# -- results ---------------------------------------------------------------------------------------

@frozen
class Mismatch:
    """The first step of a case whose reply differs (index -1: the setup, FLUSHALL / HELLO 3)."""

    index: int
    argv: tuple
    expected: bytes
    actual: bytes
    expected_seen: bytes  # after normalisation
    actual_seen: bytes


@frozen
class CaseResult:
    case: Case
    replies: tuple  # the raw replies received, one per step run
    mismatch: "Mismatch | None" = None
    unknown: tuple = ()  # commands the server answered with "unknown command/subcommand"
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.mismatch is None


def _unknown_name(argv: Sequence[bytes], raw: bytes) -> "str | None":
    if raw.startswith(b"-ERR unknown command '"):
        return argv[0].lower().decode("latin-1")
    if raw.startswith(b"-ERR unknown subcommand '") and len(argv) > 1:
        return f"{argv[0].lower().decode('latin-1')}|{argv[1].lower().decode('latin-1')}"
    return None


def _setup_ok(argv: tuple, raw: bytes) -> bool:
    return raw.startswith(b"%") if argv == SETUP_RESP3 else raw == b"+OK\r\n"


def run_case(case: Case, host: str, port: int, *, timeout: float = 10.0, compare: bool = True) -> CaseResult:
    """Run one case on a fresh connection; with ``compare=False`` just collect the replies (recording)."""
    started = time.monotonic()
    deadline = started + timeout
    rules = case.normalisers()
    setup = [SETUP_FLUSH] + ([SETUP_RESP3] if case.resp == 3 else [])
    try:
        conn = Connection(host, port, timeout=min(timeout, 5.0))
    except OSError as exc:
        raw = cannot_connect(exc)
        return CaseResult(case, (), Mismatch(-1, SETUP_FLUSH, b"+OK\r\n", raw, b"+OK\r\n", raw),
                          seconds=time.monotonic() - started)
    replies: list = []
    mismatch = None
    unknown: list = []
    try:
        for argv in setup:
            raw = conn.call(argv, deadline, timeout)
            if not _setup_ok(argv, raw):
                expected = b"%7\r\n..." if argv == SETUP_RESP3 else b"+OK\r\n"
                name = _unknown_name(argv, raw)
                return CaseResult(case, (), Mismatch(-1, argv, expected, raw, expected, raw),
                                  unknown=(name,) if name else (), seconds=time.monotonic() - started)
        for index, step in enumerate(case.steps):
            raw = conn.call(step.argv, deadline, timeout)
            replies.append(raw)
            if not compare:
                if conn.dead is not None and conn.dead != CLOSED:
                    break  # a hang or garbage: the recording is unusable, say so at once
                continue
            name = _unknown_name(step.argv, raw)
            if name and _unknown_name(step.argv, step.reply) is None:
                unknown.append(name)
            if mismatch is None:
                expected_seen = normalise(rules, step.argv, step.reply)
                actual_seen = normalise(rules, step.argv, raw)
                if expected_seen != actual_seen:
                    mismatch = Mismatch(index, step.argv, step.reply, raw, expected_seen, actual_seen)
            if conn.dead is not None and conn.dead != CLOSED:
                break  # hung or garbled: later steps cannot be compared
    finally:
        conn.close()
    return CaseResult(case, tuple(replies), mismatch, tuple(dict.fromkeys(unknown)),
                      seconds=time.monotonic() - started)


@define
class Report:
    target: str
    server_version: str
    results: list = field(factory=list)

    @property
    def failed(self) -> list:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.failed

    def unknown_commands(self) -> "list[str]":
        return sorted({name for r in self.results for name in r.unknown})

    def by_group(self) -> "dict[str, list[int]]":
        table: dict = {}
        for r in self.results:
            row = table.setdefault(r.case.group, [0, 0])
            row[0 if r.passed else 1] += 1
        return dict(sorted(table.items()))

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "server_version": self.server_version,
            "total": len(self.results),
            "passed": len(self.results) - len(self.failed),
            "failed": len(self.failed),
            "groups": {g: {"passed": p, "failed": f} for g, (p, f) in self.by_group().items()},
            "unknown_commands": self.unknown_commands(),
            "failures": [_failure_json(r) for r in self.failed],
        }


def _failure_json(r: CaseResult) -> dict:
    m = r.mismatch
    return {
        "case": r.case.id, "group": r.case.group, "name": r.case.name, "resp": r.case.resp,
        "step": m.index, "command": [escape(a) for a in m.argv],
        "expected": escape(m.expected), "actual": escape(m.actual),
        "expected_normalised": escape(m.expected_seen), "actual_normalised": escape(m.actual_seen),
        "normalize": list(r.case.normalize), "redis_version": r.case.redis_version,
    }


def server_info(host: str, port: int, *, timeout: float = 5.0) -> "tuple[bytes, bytes | None]":
    """``INFO server`` (b"" when unavailable) and ``INFO keyspace`` texts; without INFO the keyspace
    text is made from ``DBSIZE`` (db 0 only), and is None when neither answers. Raises OSError."""
    conn = Connection(host, port, timeout=timeout)
    try:
        texts = []
        for section in (b"server", b"keyspace"):
            raw = conn.call((b"INFO", section), time.monotonic() + timeout, timeout)
            texts.append(blob(raw))
        if texts[1] is None:
            raw = conn.call((b"DBSIZE",), time.monotonic() + timeout, timeout)
            if raw == b":0\r\n":
                texts[1] = b"# Keyspace\r\n"
            elif raw.startswith(b":"):
                texts[1] = b"# Keyspace\r\ndb0:keys=" + raw[1:-2]
        return texts[0] or b"", texts[1]
    finally:
        conn.close()


def info_field(text: bytes, name: bytes) -> "bytes | None":
    for line in text.split(b"\r\n"):
        key, sep, value = line.partition(b":")
        if sep and key == name:
            return value
    return None


def is_kvfake(info_server: bytes) -> bool:
    return (info_field(info_server, b"redis_build_id") or b"").startswith(KVFAKE_BUILD_ID)


def keyspace_empty(info_keyspace: "bytes | None") -> bool:
    """True only when the server said so (None: it answered neither INFO nor DBSIZE)."""
    if info_keyspace is None:
        return False
    return not any(line.startswith(b"db") for line in info_keyspace.split(b"\r\n"))


class Refused(Exception):
    """The run or recording must not happen (a non-empty keyspace without consent, kvfake as the truth)."""


def check_consent(info_keyspace: "bytes | None", yes_flush: bool) -> None:
    if not yes_flush and not keyspace_empty(info_keyspace):
        what = "is not empty" if info_keyspace is not None else "cannot be checked (no INFO, no DBSIZE)"
        raise Refused(f"the server's keyspace {what} and the cases run FLUSHALL: "
                      "pass --yes-flush to allow it (every database will be emptied)")


def run(cases: Iterable[Case], host: str, port: int, *, timeout: float = 10.0, yes_flush: bool = False,
        progress: "Callable[[CaseResult], None] | None" = None) -> Report:
    """Run ``cases`` against ``host:port``; raises Refused (consent) or OSError (no server at all)."""
    info, keyspace = server_info(host, port)
    check_consent(keyspace, yes_flush)
    version = (info_field(info, b"redis_version") or b"unknown").decode("latin-1")
    report = Report(target=f"{host}:{port}", server_version=version)
    for case in cases:
        result = run_case(case, host, port, timeout=timeout)
        report.results.append(result)
        if progress is not None:
            progress(result)
    _flush_quietly(host, port)
    return report


def record(cases: Iterable[Case], host: str, port: int, *, timeout: float = 10.0, yes_flush: bool = False,
           progress: "Callable[[Case, str | None], None] | None" = None) -> "tuple[list[Case], list[tuple[Case, str]]]":
    """Re-record ``cases`` from the real Redis at ``host:port``.

    Returns ``(recorded, problems)``: a case whose recording hung, garbled or could not connect keeps
    its old replies and is listed in ``problems`` with the reason.  Raises Refused for kvfake."""
    info, keyspace = server_info(host, port)
    if is_kvfake(info):
        raise Refused("refusing to record from kvfake: expected replies must come from a real redis-server "
                      "(its INFO server reports a kvfake redis_build_id)")
    check_consent(keyspace, yes_flush)
    version = (info_field(info, b"redis_version") or b"unknown").decode("latin-1")
    recorded, problems = [], []
    for case in cases:
        result = run_case(case, host, port, timeout=timeout, compare=False)
        why = None
        if result.mismatch is not None:
            why = f"setup failed: {escape(result.mismatch.actual)}"
        elif len(result.replies) != len(case.steps) or any(
                r.startswith(b"<") and r != CLOSED for r in result.replies):
            why = f"no usable reply: {escape(result.replies[-1]) if result.replies else 'none'}"
        if why is None:
            recorded.append(case.recorded(result.replies, version))
        else:
            recorded.append(case)
            problems.append((case, why))
        if progress is not None:
            progress(case, why)
    _flush_quietly(host, port)
    return recorded, problems


def _flush_quietly(host: str, port: int) -> None:
    """Leave the server empty, as the run found it (or as --yes-flush allowed)."""
    try:
        conn = Connection(host, port, timeout=2.0)
    except OSError:
        return
    try:
        conn.call(SETUP_FLUSH, time.monotonic() + 2.0, 2.0)
    finally:
        conn.close()


# -- the text report ------------------------------------------------------------------------------

WIDTH = 56
MAX_LINES = 6


def _column(text: str, start: int) -> "list[str]":
    """``text`` from ``start`` cut into WIDTH-wide lines, at most MAX_LINES of them."""
    lines = []
    prefix = "..." if start else ""
    body = prefix + text[start:]
    for i in range(0, max(len(body), 1), WIDTH):
        lines.append(body[i:i + WIDTH])
    if len(lines) > MAX_LINES:
        more = len(body) - WIDTH * MAX_LINES
        lines = lines[:MAX_LINES] + [f"... ({more} more characters)"]
    return lines


def side_by_side(expected: str, actual: str) -> "list[str]":
    """The two replies in two columns, starting a little before their first difference."""
    first = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    start = max(0, first - WIDTH // 2) if first > WIDTH else 0
    left, right = _column(expected, start), _column(actual, start)
    rows = [f"    {'expected':<{WIDTH}} | actual"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        rows.append(f"    {a:<{WIDTH}} | {b}")
    return rows


def format_failure(r: CaseResult) -> "list[str]":
    m = r.mismatch
    where = "setup" if m.index < 0 else f"step {m.index + 1} of {len(r.case.steps)}"
    tags = f", normalised: {' '.join(r.case.normalize)}" if r.case.normalize else ""
    lines = [f"FAIL {r.case.id} {where}{tags}",
             f"    command: {show_argv(m.argv)}"]
    lines += side_by_side(escape(m.expected), escape(m.actual))
    if (m.expected_seen, m.actual_seen) != (m.expected, m.actual):
        lines.append("    after normalising:")
        lines += side_by_side(escape(m.expected_seen), escape(m.actual_seen))[1:]
    return lines


def format_report(report: Report, *, max_failures: int = 50) -> str:
    groups = report.by_group()
    total_passed = sum(p for p, _ in groups.values())
    total_failed = sum(f for _, f in groups.values())
    out = [f"kvfake conform: {report.target} (redis_version {report.server_version}), "
           f"{len(report.results)} cases", ""]
    width = max([len("group"), len("total")] + [len(g) for g in groups])
    out.append(f"{'group':<{width}}  {'passed':>6}  {'failed':>6}")
    for group, (passed, failed) in groups.items():
        out.append(f"{group:<{width}}  {passed:>6}  {failed:>6}")
    out.append(f"{'total':<{width}}  {total_passed:>6}  {total_failed:>6}")
    failures = report.failed
    if failures:
        out.append("")
        for r in failures[:max_failures]:
            out += format_failure(r)
            out.append("")
        if len(failures) > max_failures:
            out.append(f"... and {len(failures) - max_failures} more failures (all of them in --json FILE)")
            out.append("")
    unknown = report.unknown_commands()
    if unknown:
        out.append("")
        out.append("commands the server does not know (ERR unknown command / subcommand): " + " ".join(unknown))
    out.append("")
    verdict = "PASS" if report.ok else "FAIL"
    out.append(f"result: {verdict} ({total_passed} of {len(report.results)} cases passed)")
    return "\n".join(out)


def write_json(report: Report, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report.to_json(), f, indent=1)
        f.write("\n")
