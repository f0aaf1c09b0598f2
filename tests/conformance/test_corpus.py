"""The conformance corpus and ``kvfake conform``: kvfake and real redis-server both pass every case; a
broken, dropping or hanging server is reported (side by side) and survived; recording refuses kvfake.

The whole corpus runs against an in-process ``kvfake.Server`` and against the real redis-server of
tests/support/redis_server.py (skipped without the binary unless KVFAKE_REQUIRE_REDIS=1), one test per
case, so a failure names the case.  ``kvfake conform`` itself runs as a subprocess on a few groups.

Imports: kvfake (Server, kvfake.conformance, kvfake.errors), tests.support.redis_server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kvfake import Server
from kvfake.conformance import corpus, normalize, runner
from kvfake.conformance.corpus import Case, Step
from kvfake.conformance.resp import ReplyReader, elements, escape, reply_end, unescape
from kvfake.errors import CommandError
from tests.support.redis_server import start_redis

ROOT = Path(__file__).resolve().parents[2]
CASES = corpus.load()
IDS = [c.id for c in CASES]
QUICK_GROUPS = "strings,connection"


@pytest.fixture(scope="module")
def kvfake_server():
    with Server() as server:
        yield server


@pytest.fixture(scope="module")
def redis_server():
    server = start_redis()
    yield server
    server.stop()


def conform(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kvfake", "conform", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _explain(result: runner.CaseResult) -> str:
    return "\n".join(runner.format_failure(result))


# -- the corpus itself ------------------------------------------------------------------------------

def test_corpus_is_well_formed():
    assert len(CASES) > 500
    assert len(set(IDS)) == len(IDS), "case ids must be unique"
    for case in CASES:
        assert case.resp in (2, 3) and case.steps and case.redis_version.startswith("7.")
        case.normalisers()  # every tag is known
    assert set(corpus.groups()) >= {"strings", "keys", "lists", "hashes", "sets", "zsets", "connection", "server"}


def test_corpus_files_are_what_the_writer_writes():
    """Files are only ever written by dump_group (so re-recording gives clean diffs)."""
    for group in corpus.groups():
        path = corpus.CASES_DIR / f"{group}.json"
        assert corpus.dump_group(group, corpus.load_group(path)) == path.read_text(encoding="ascii")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kvfake_passes(kvfake_server, case):
    result = runner.run_case(case, kvfake_server.host, kvfake_server.port, timeout=10)
    assert result.passed, _explain(result)


@pytest.mark.redis_server
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_recording_holds_on_real_redis(redis_server, case):
    result = runner.run_case(case, redis_server.host, redis_server.port, timeout=10)
    assert result.passed, _explain(result)


# -- kvfake conform as a command ----------------------------------------------------------------------

def test_conform_passes_against_kvfake(kvfake_server, tmp_path):
    out = tmp_path / "report.json"
    proc = conform("--host", kvfake_server.host, "--port", str(kvfake_server.port), "--group", QUICK_GROUPS,
                   "--yes-flush", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    expected = len([c for c in CASES if c.group in QUICK_GROUPS.split(",")])
    assert (report["total"], report["passed"], report["failed"]) == (expected, expected, 0)
    assert set(report["groups"]) == set(QUICK_GROUPS.split(","))
    assert f"result: PASS ({expected} of {expected} cases passed)" in proc.stdout
    assert "strings " in proc.stdout and "connection " in proc.stdout


@pytest.mark.redis_server
def test_conform_passes_against_real_redis(redis_server, tmp_path):
    out = tmp_path / "report.json"
    proc = conform("--host", redis_server.host, "--port", str(redis_server.port), "--group", QUICK_GROUPS,
                   "--resp", "3", "--yes-flush", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    expected = len([c for c in CASES if c.group in QUICK_GROUPS.split(",") and c.resp == 3])
    assert (report["passed"], report["failed"]) == (expected, 0)
    assert report["server_version"] == redis_server.version


def test_broken_server_fails_side_by_side(tmp_path):
    out = tmp_path / "report.json"
    with Server() as server:
        server.override("STRLEN", 42)
        server.override("LCS", CommandError("ERR unknown command 'lcs', with args beginning with: "))
        proc = conform("--host", server.host, "--port", str(server.port), "--group", "strings",
                       "--resp", "2", "--json", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    at = lines.index("FAIL strings/strlen[resp2] step 1 of %d" % len(
        next(c for c in CASES if c.id == "strings/strlen[resp2]").steps))
    assert lines[at + 1] == "    command: STRLEN nokey"
    assert lines[at + 2].split() == ["expected", "|", "actual"]
    assert lines[at + 3].split() == [r":0\r\n", "|", r":42\r\n"]  # side by side, on one line
    assert "commands the server does not know (ERR unknown command / subcommand): lcs" in proc.stdout
    assert "result: FAIL" in proc.stdout
    report = json.loads(out.read_text())
    assert report["failed"] >= 2 and report["unknown_commands"] == ["lcs"]
    strlen = next(f for f in report["failures"] if f["case"] == "strings/strlen[resp2]")
    assert (strlen["command"], strlen["expected"], strlen["actual"]) == (["STRLEN", "nokey"], r":0\r\n", r":42\r\n")


def test_consent_needed_to_flush_a_server_with_data(tmp_path):
    with Server() as server:
        server.store.set(0, b"precious", b"data")
        args = ("--host", server.host, "--port", str(server.port), "--group", "strings", "--case", "strlen")
        refused = conform(*args)
        assert refused.returncode == 2
        assert "keyspace is not empty" in refused.stderr and "--yes-flush" in refused.stderr
        assert server.store.get(0, b"precious") == b"data"
        allowed = conform(*args, "--yes-flush")
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr
        assert server.store.get(0, b"precious") is None
        assert "result: PASS (2 of 2 cases passed)" in allowed.stdout


def test_without_info_dbsize_decides_and_without_both_the_run_is_refused():
    case = STRINGS2[0]
    with Server() as server:
        server.override("INFO", CommandError("ERR unknown command 'info', with args beginning with: "))
        server.store.set(0, b"k", b"v")
        with pytest.raises(runner.Refused, match="is not empty"):
            runner.run([case], server.host, server.port)
        server.store.delete(0, b"k")
        assert runner.run([case], server.host, server.port).ok
        server.override("DBSIZE", CommandError("ERR unknown command 'dbsize', with args beginning with: "))
        with pytest.raises(runner.Refused, match="cannot be checked"):
            runner.run([case], server.host, server.port)
        assert runner.run([case], server.host, server.port, yes_flush=True).ok


def test_no_server_is_a_usage_error():
    with Server() as server:
        port = server.port
    proc = conform("--port", str(port), "--group", "strings")
    assert proc.returncode == 2 and "cannot reach" in proc.stderr


def test_unknown_group_is_a_usage_error():
    proc = conform("--group", "nosuch")
    assert proc.returncode == 2 and "unknown group(s) nosuch" in proc.stderr


def test_list_groups():
    proc = conform("--list")
    assert proc.returncode == 0
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert ["strings", str(len([c for c in CASES if c.group == "strings"])), "cases"] in rows
    assert rows[-1][:3] == ["total", str(len(CASES)), "cases,"]


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_timeout_must_be_a_positive_number(value):
    proc = conform(f"--timeout={value}", "--list")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("kvfake conform: error: argument --timeout: ")


def _case(*argvs: tuple, normalize: tuple = (), replies=None) -> Case:
    replies = replies or [b"+OK\r\n"] * len(argvs)
    steps = tuple(Step(tuple(a.encode() for a in argv), r) for argv, r in zip(argvs, replies))
    return Case(name="c", group="g", resp=2, steps=steps, normalize=normalize, redis_version="7.0.15")


def test_commands_of_counts_only_real_subcommands():
    case = _case(("SET", "k", "v"), ("CONFIG", "GET", "x"), ("config", "nosuch"), ("OBJECT", "ENCODING", "k"),
                 ("CLIENT",), ("PING", "x"))
    assert corpus.commands_of([case]) == {"set", "config", "config|get", "object", "object|encoding", "client",
                                          "ping"}


def test_rerecording_keeps_replies_equal_after_normalisation():
    time = b"*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n"
    later = b"*2\r\n$10\r\n1800000000\r\n$1\r\n7\r\n"
    case = _case(("TIME",), ("PING",), normalize=("time",), replies=[time, b"+PONG\r\n"])
    assert case.recorded([later, b"+PONG\r\n"], "7.0.15") == case  # nothing really changed
    changed = case.recorded([later, b"-ERR changed\r\n"], "7.0.15")
    assert [s.reply for s in changed.steps] == [later, b"-ERR changed\r\n"]


# -- a server that drops or hangs: the run goes on ------------------------------------------------------

STRINGS2 = [c for c in CASES if c.group == "strings" and c.resp == 2]


def _uses(case: Case, name: bytes) -> bool:
    return any(s.argv[0].upper() == name for s in case.steps)


def test_dropped_connections_are_survived():
    with Server() as server:
        server.faults.drop_before("STRLEN")
        report = runner.run(STRINGS2, server.host, server.port, timeout=5)
    failed = {r.case.id for r in report.failed}
    assert failed == {c.id for c in STRINGS2 if _uses(c, b"STRLEN")}
    for r in report.failed:
        assert r.mismatch.actual == b"<connection closed>" and r.mismatch.argv[0] == b"STRLEN"
    assert len(report.results) == len(STRINGS2)


def test_a_hanging_server_fails_the_case_and_the_run_goes_on():
    hung = [c for c in STRINGS2 if _uses(c, b"APPEND")]
    others = [c for c in STRINGS2 if not _uses(c, b"APPEND")][:6]
    cases = [others[0], *hung, *others[1:]]
    with Server() as server:
        server.faults.delay("APPEND", 30)
        report = runner.run(cases, server.host, server.port, timeout=1.5)
        text = runner.format_report(report)
    assert hung and sorted(r.case.id for r in report.failed) == sorted(c.id for c in hung)
    assert all(r.mismatch.actual == b"<no reply within 1.5s>" for r in report.failed)
    assert len(report.results) == len(cases) and not report.ok
    assert r"<no reply within 1.5s>" in text


def test_a_server_that_refuses_connections_fails_every_case():
    case = STRINGS2[0]
    with Server() as server:
        port = server.port
    result = runner.run_case(case, "127.0.0.1", port, timeout=1)
    assert not result.passed and result.mismatch.index == -1
    assert result.mismatch.actual.startswith(b"<cannot connect:")


def test_garbage_reply_is_reported():
    case = next(c for c in STRINGS2 if _uses(c, b"STRLEN"))
    with Server() as server:
        server.faults.garbage("STRLEN")
        result = runner.run_case(case, server.host, server.port, timeout=2)
    assert not result.passed and result.mismatch.actual.startswith(b"<not RESP: ?kvfake garbage")


# -- recording -----------------------------------------------------------------------------------------

def test_recording_refuses_kvfake(kvfake_server, tmp_path):
    shutil.copy(corpus.CASES_DIR / "strings.json", tmp_path / "strings.json")
    proc = conform("--record", "--host", kvfake_server.host, "--port", str(kvfake_server.port),
                   "--corpus", str(tmp_path), "--yes-flush")
    assert proc.returncode == 2 and "refusing to record from kvfake" in proc.stderr
    assert (tmp_path / "strings.json").read_bytes() == (corpus.CASES_DIR / "strings.json").read_bytes()


@pytest.mark.redis_server
def test_recording_from_real_redis_reproduces_the_corpus(redis_server, tmp_path):
    for group in ("strings", "sets"):
        shutil.copy(corpus.CASES_DIR / f"{group}.json", tmp_path / f"{group}.json")
    proc = conform("--record", "--host", redis_server.host, "--port", str(redis_server.port),
                   "--corpus", str(tmp_path), "--group", "strings,sets", "--yes-flush")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "recorded" in proc.stdout
    shipped = {c.id: c for c in corpus.load(only_groups=["strings", "sets"])}
    again = corpus.load(tmp_path)
    assert {c.id for c in again} == set(shipped)
    for case in again:
        rules = case.normalisers()
        for old, new in zip(shipped[case.id].steps, case.steps):
            assert normalize.normalise(rules, old.argv, old.reply) == normalize.normalise(rules, new.argv, new.reply)
    # exact wherever no rule applies: every strings case is deterministic
    assert (tmp_path / "strings.json").read_text() == (corpus.CASES_DIR / "strings.json").read_text()


# -- the pieces: escapes, JSON bytes, the reply reader, the rules ---------------------------------------

@pytest.mark.parametrize("data", [b"", b"plain", b"\x00\xff\r\n\t\\", bytes(range(256)), b"x" * 100 + b"y",
                                  b"*3\r\n" + b":0\r\n" * 50], ids=["empty", "plain", "controls", "all-bytes",
                                                                    "run", "repeated-replies"])
def test_bytes_round_trip(data):
    assert unescape(escape(data)) == data
    assert corpus.from_json(corpus.to_json(data)) == data
    assert corpus.from_json(json.loads(json.dumps(corpus.to_json(data)))) == data


def test_escape_is_readable():
    assert escape(b"+OK\r\n") == r"+OK\r\n"
    assert escape(b"a\\b\x00\xff") == r"a\\b\x00\xff"
    with pytest.raises(ValueError):
        unescape("bad \\q escape")


REPLIES = [b"+OK\r\n", b"-ERR x\r\n", b":1\r\n", b"$3\r\nabc\r\n", b"$-1\r\n", b"*-1\r\n", b"_\r\n",
           b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", b"%1\r\n+a\r\n,1.5\r\n", b"~1\r\n#t\r\n", b"=7\r\ntxt:abc\r\n",
           b"|1\r\n+k\r\n+v\r\n:5\r\n", b">2\r\n$1\r\na\r\n(12\r\n", b"!3\r\nERR\r\n"]


@pytest.mark.parametrize("raw", REPLIES, ids=[r[:1].decode() + str(i) for i, r in enumerate(REPLIES)])
def test_reply_reader_cuts_whole_replies_fed_byte_by_byte(raw):
    assert reply_end(raw) == len(raw)
    reader = ReplyReader()
    got = []
    for i in range(len(raw + raw)):
        reader.feed((raw + raw)[i:i + 1])
        reply = reader.next_reply()
        if reply is not None:
            got.append(reply)
    assert got == [raw, raw]


RULES = [
    ("sort-elements", [b"SMEMBERS", b"s"], b"*2\r\n$1\r\nb\r\n$1\r\na\r\n", b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    ("sort-elements", [b"SMEMBERS", b"s"], b"-WRONGTYPE x\r\n", b"-WRONGTYPE x\r\n"),
    ("sort-elements", [b"LRANGE", b"l", b"0", b"-1"], b"*2\r\n$1\r\nb\r\n$1\r\na\r\n",
     b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"),
    ("sort-pairs", [b"HGETALL", b"h"], b"%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n"),
    ("sort-scan", [b"SCAN", b"0"], b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n",
     b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    ("sort-scan", [b"HSCAN", b"h", b"0"], b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n",
     b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n1\r\n"),
    ("time", [b"TIME"], b"*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n",
     b"*2\r\n$9\r\n<seconds>\r\n$14\r\n<microseconds>\r\n"),
    ("lastsave", [b"LASTSAVE"], b":1700000000\r\n", b":<unix-time>\r\n"),
    ("client-ids", [b"CLIENT", b"ID"], b":17\r\n", b":<id>\r\n"),
    ("client-ids", [b"HELLO", b"3"], b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$2\r\nid\r\n:9\r\n",
     b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$2\r\nid\r\n:<id>\r\n"),
    ("client-ids", [b"CLIENT", b"INFO"], b"$39\r\nid=3 addr=127.0.0.1:5 laddr=1:2 name=x\n\r\n",
     b"$33\r\nid=<n> addr=<n> laddr=<n> name=x\n\r\n"),
    ("info", [b"INFO"], b"$69\r\n# Server\r\nprocess_id:12\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=5\r\n\r\n",
     b"$68\r\n# Server\r\nprocess_id:*\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=*\r\n\r\n"),
    ("info", [b"INFO"], b"$37\r\n# Commandstats\r\ncmdstat_get:calls=1\r\n\r\n", b"$16\r\n# Commandstats\r\n\r\n"),
    ("random", [b"SRANDMEMBER", b"s", b"2"], b"*2\r\n$1\r\na\r\n$2\r\nbb\r\n", b"*2\r\n$?\r\n$?\r\n"),
    ("random", [b"ZRANDMEMBER", b"z", b"1", b"WITHSCORES"], b"*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
     b"*1\r\n*2\r\n$?\r\n,?\r\n"),
    ("random", [b"RANDOMKEY"], b"$-1\r\n", b"$-1\r\n"),
    ("latency-histogram", [b"LATENCY", b"HISTOGRAM"],
     b"%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n%2\r\n:1\r\n:2\r\n:4\r\n:3\r\n",
     b"%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:N\r\n$14\r\nhistogram_usec\r\n<buckets>\r\n"),
    ("latency-histogram", [b"LATENCY", b"HISTOGRAM", b"x"], b"*0\r\n", b"*0\r\n"),
    ("latency-histogram", [b"LATENCY", b"LATEST"], b"*1\r\n:3\r\n", b"*1\r\n:3\r\n"),
]


@pytest.mark.parametrize("tag,argv,raw,seen", RULES, ids=[f"{r[0]}-{i}" for i, r in enumerate(RULES)])
def test_normalisation_rules(tag, argv, raw, seen):
    assert normalize.normalise(normalize.rules_for([tag]), argv, raw) == seen


def test_unknown_tag_is_refused():
    with pytest.raises(KeyError, match="unknown normalisation tag"):
        normalize.rules_for(["sort-everything"])
    bad = {"name": "x", "resp": 2, "normalize": ["nope"], "steps": [[["PING"], "+PONG\r\n"]]}
    with pytest.raises(KeyError):
        corpus.case_from_json(bad, "g")


def test_a_case_compares_after_its_rules_only(kvfake_server):
    probe = Case(name="probe", group="g", resp=2, steps=(Step((b"SADD", b"s", b"b", b"a", b"zz"), b""),
                                                          Step((b"SMEMBERS", b"s"), b"")))
    got = runner.run_case(probe, kvfake_server.host, kvfake_server.port, compare=False).replies[1]
    header, items = elements(got)
    reordered = header + b"".join(items[1:] + items[:1])  # the same members in another order
    script = (Step((b"SADD", b"s", b"b", b"a", b"zz"), b":3\r\n"), Step((b"SMEMBERS", b"s"), reordered))
    loose = Case(name="order", group="g", resp=2, steps=script, normalize=("sort-elements",))
    strict = Case(name="order", group="g", resp=2, steps=script)
    assert runner.run_case(loose, kvfake_server.host, kvfake_server.port).passed
    assert not runner.run_case(strict, kvfake_server.host, kvfake_server.port).passed


def test_build_tool_collects_every_differential_group():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_corpus
    finally:
        sys.path.remove(str(ROOT / "tools"))
    cases, problems = build_corpus.candidates({"strings", "sets"})
    assert not problems
    names = {c.name for c in cases}
    assert {"get-set-basic", "unordered/hashtable-algebra", "random/spop-intset"} <= names
    algebra = next(c for c in cases if c.name == "unordered/hashtable-algebra")
    assert algebra.normalize == ("sort-elements", "sort-scan", "random")
