"""Differential fuzzing: random, well-formed command sequences run on redis-server and on kvfake.

Hypothesis draws a sequence of commands from ``tests/fuzz/grammar.py`` (one group per test, plus a mixed
test), runs it on one connection to each server (RESP2 or RESP3), and compares every raw reply:

- exactly, after the conformance normalisers for unordered replies (KEYS, SMEMBERS, HGETALL, SSCAN...:
  ``kvfake.conformance.normalize``);
- TTL/PTTL/EXPIRETIME/PEXPIRETIME within a tolerance (the two servers set and read them a few ms apart);
- random replies (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY) by shape, and every element
  kvfake returned must be in the key as redis had it; after an SPOP that popped different members, kvfake's
  set is brought back in line with redis's (SADD/SREM), so the rest of the sequence still compares;
- lexicographic ranges over a sorted set whose members have different scores are not run at all (Redis
  leaves them unspecified: a skiplist's answer depends on its random levels).

After the sequence both keyspaces (db 0 and 1: every key's TYPE, OBJECT ENCODING, content and TTL) must
agree, and kvfake must have recorded no internal error. A failure shows the shrunk sequence as redis-cli
lines and the first differing reply of each server; on Hypothesis's final replay the sequence is also cut
down by one-command deletions (the shrinker does not always manage that on its own), so it is 1-minimal.

Profiles: ``default`` (2 x 50 examples of <= 30 commands per group, about 15 s) for CI;
``--hypothesis-profile=long`` (2 x 1000 examples of <= 100 commands, about 15 min) by hand;
``KVFAKE_FUZZ_EXAMPLES=N`` overrides the example count.

Imports: pytest, hypothesis, tests.support.*, tests.fuzz.*, kvfake.conformance.normalize.
Never: other kvfake internals.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from kvfake.conformance.normalize import normalise, rules_for, shape
from tests.fuzz import grammar
from tests.fuzz.conftest import fuzz_settings, step_budget
from tests.support.raw import RawConnection
from tests.support.resp import RespError, command, decode

pytestmark = pytest.mark.redis_server

RULES = rules_for(["sort-elements", "sort-pairs", "sort-scan"])

#: how to read the whole content of a key of each type (for random replies and the final check)
CONTENT = {
    b"string": lambda k: [b"GET", k],
    b"list": lambda k: [b"LRANGE", k, b"0", b"-1"],
    b"set": lambda k: [b"SMEMBERS", k],
    b"hash": lambda k: [b"HGETALL", k],
    b"zset": lambda k: [b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"],
}
NO_REPLY = b"<no reply within 10s>"
RANDOM_SOURCE = {
    b"SPOP": b"set", b"SRANDMEMBER": b"set", b"HRANDFIELD": b"hash", b"ZRANDMEMBER": b"zset",
}


# ------------------------------------------------------------------------------------------- showing

def cli_arg(arg: bytes) -> str:
    """One argument as redis-cli reads it: bare when plain, else double-quoted with escapes."""
    if arg and all(33 <= c < 127 and c not in b"\"'\\" for c in arg):
        return arg.decode("ascii")
    out = []
    for c in arg:
        if c in b'"\\':
            out.append("\\" + chr(c))
        elif c == 10:
            out.append("\\n")
        elif c == 13:
            out.append("\\r")
        elif c == 9:
            out.append("\\t")
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return '"' + "".join(out) + '"'


def cli_line(argv) -> str:
    return " ".join(cli_arg(a) for a in argv)


class Divergence(AssertionError):
    pass


# ------------------------------------------------------------------------------------------- the driver

class Differ:
    """Both servers, one connection each, driven in lock step; keeps what was sent for the report."""

    def __init__(self, redis, kvfake) -> None:
        self.redis = redis
        self.kvfake = kvfake
        self.names = (f"redis {redis.version}", "kvfake")
        self.conns: list = [None, None]
        self.sent: list = []
        self.resp = 2

    def close(self) -> None:
        for c in self.conns:
            if c is not None:
                c.close()
        self.conns = [None, None]

    def start(self, resp: int) -> None:
        """A clean slate: RESET (db 0, RESP2), FLUSHALL, and HELLO 3 when asked."""
        self.sent = []
        self.resp = resp
        setup = [[b"RESET"], [b"FLUSHALL"]] + ([[b"HELLO", b"3"]] if resp == 3 else [])
        for i, server in enumerate((self.redis, self.kvfake)):
            for attempt in (1, 2):
                try:
                    if self.conns[i] is None or self.conns[i].eof:
                        self.conns[i] = RawConnection(server.host, server.port, timeout=10)
                    conn = self.conns[i]
                    conn.send(b"".join(command(*a) for a in setup))
                    replies = conn.replies(len(setup))
                    break
                except (OSError, ConnectionError, TimeoutError):
                    if self.conns[i] is not None:
                        self.conns[i].close()
                    self.conns[i] = None
                    if attempt == 2:
                        raise
            assert replies[:2] == [b"+RESET\r\n", b"+OK\r\n"], (self.names[i], replies)

    # -- raw exchange ---------------------------------------------------------------------------------
    def _exchange(self, argv, which=(0, 1)) -> list:
        payload = command(*argv)
        for i in which:
            self.conns[i].send(payload)
        out = [None, None]
        for i in which:
            try:
                out[i] = self.conns[i].reply()
            except ConnectionError:
                out[i] = b"<connection closed>"
            except TimeoutError:
                out[i] = NO_REPLY
                self.conns[i].close()      # a late reply must not be taken for the next one
        return out

    def quiet(self, argv, which: int) -> bytes:
        """A helper command on one server only (not part of the reported sequence)."""
        return self._exchange(argv, (which,))[which]

    def fail(self, argv, raw, *, note: str = "", final: bool = False) -> None:
        __tracebackhide__ = True
        width = max(map(len, self.names))
        lines = [f"kvfake differs from {self.names[0]} (RESP{self.resp})"
                 + (f": {note}" if note else "") + "; the sequence as redis-cli lines:"]
        if self.resp == 3:
            lines.append("    HELLO 3")
        lines += [f"    {cli_line(a)}" for a in self.sent]
        lines.append(f">>> {cli_line(argv)}" + ("    (final keyspace check)" if final else ""))
        for name, r in zip(self.names, raw):
            lines.append(f"  {name:<{width}} : {r!r}"[:3000])
        raise Divergence("\n".join(lines))

    # -- one command of the sequence ------------------------------------------------------------------
    def run(self, argv) -> None:
        __tracebackhide__ = True
        name = argv[0].upper()
        lex = grammar.lex_source(argv)
        if lex is not None and self._scores_differ(lex):
            return           # unspecified in Redis: not run on either server, not part of the sequence
        before = self._contents(argv) if name in grammar.RANDOM else None
        raw = self._exchange(argv)
        if NO_REPLY in raw:
            self.fail(argv, raw, note="no reply (a non-blocking command hung)")
        if name in grammar.RANDOM:
            self._compare_random(argv, raw, before)
        elif name in grammar.TTL_COMMANDS:
            self._compare_ttl(argv, raw, grammar.TTL_COMMANDS[name])
        else:
            seen = [normalise(RULES, argv, r) for r in raw]
            if seen[0] != seen[1]:
                self.fail(argv, raw)
        self.sent.append(argv)

    def _scores_differ(self, key: bytes) -> bool:
        """Does ``key`` hold a sorted set whose members do not all have the same score (asked of redis)?"""
        if self.quiet([b"TYPE", key], 0) != b"+zset\r\n":
            return False
        ends = [_flat(decode(self.quiet([b"ZRANGE", key, i, i, b"WITHSCORES"], 0))) for i in (b"0", b"-1")]
        return ends[0][-1:] != ends[1][-1:]

    def _compare_ttl(self, argv, raw, tolerance: int, *, final: bool = False) -> None:
        __tracebackhide__ = True
        if raw[0] == raw[1]:
            return
        try:
            a, b = decode(raw[0]), decode(raw[1])
        except RespError:
            self.fail(argv, raw, final=final)
        if not (type(a) is int and type(b) is int and a >= 0 and b >= 0 and abs(a - b) <= tolerance):
            self.fail(argv, raw, final=final)

    def _contents(self, argv) -> "set | None":
        """The atoms (bulk strings, numbers) of what a random command picks from, read from redis."""
        name = argv[0].upper()
        if name == b"RANDOMKEY":
            query = [b"KEYS", b"*"]
        elif len(argv) > 1:
            kind = RANDOM_SOURCE[name]
            if _atoms(decode(self.quiet([b"TYPE", argv[1]], 0))) != {kind}:
                return None
            query = CONTENT[kind](argv[1])
        else:
            return None
        return _atoms(decode(self.quiet(query, 0)))

    def _compare_random(self, argv, raw, before) -> None:
        __tracebackhide__ = True
        if raw[0] == raw[1]:
            return
        if normalise(RULES, argv, shape(raw[0])) != normalise(RULES, argv, shape(raw[1])):
            self.fail(argv, raw, note="the shapes differ")
        if before is not None:
            extra = _atoms(decode(raw[1])) - before
            if extra:
                self.fail(argv, raw, note=f"kvfake returned what the key does not hold: {sorted(extra)!r}")
        if argv[0].upper() == b"SPOP":
            self._resync_set(argv[1])

    def _resync_set(self, key: bytes) -> None:
        """After SPOP popped different members on the two servers: make kvfake's set equal redis's."""
        have = [decode(self.quiet([b"SMEMBERS", key], i)) for i in (0, 1)]
        if not all(isinstance(h, (list, set)) for h in have):
            return
        want, got = set(have[0]), set(have[1])
        if want - got:
            self.quiet([b"SADD", key, *sorted(want - got)], 1)
        if got - want:
            self.quiet([b"SREM", key, *sorted(got - want)], 1)

    # -- the end of a sequence ------------------------------------------------------------------------
    def final_check(self) -> None:
        """Both keyspaces agree: every key of db 0 and 1 with its type, encoding, content and TTL."""
        __tracebackhide__ = True
        for db in (b"0", b"1"):
            self.check_final([b"SELECT", db])
            for k in sorted(_atoms(decode(self.check_final([b"KEYS", b"*"])))):
                kind = _atoms(decode(self.check_final([b"TYPE", k])))
                self.check_final([b"OBJECT", b"ENCODING", k])
                (kind_name,) = kind
                if kind_name in CONTENT:
                    self.check_final(CONTENT[kind_name](k))
                raw = self._exchange([b"PTTL", k])
                self._compare_ttl([b"PTTL", k], raw, grammar.TTL_COMMANDS[b"PTTL"], final=True)

    def check_final(self, argv) -> bytes:
        __tracebackhide__ = True
        raw = self._exchange(argv)
        seen = [normalise(RULES, argv, r) for r in raw]
        if seen[0] != seen[1] or NO_REPLY in raw:
            self.fail(argv, raw, final=True)
        return raw[0]


def _flat(value) -> list:
    """A decoded reply's leaves in order."""
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


def _atoms(value) -> set:
    """Every bytes/number inside a decoded reply (keys and values of maps too)."""
    out: set = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple, set, frozenset)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, float) and math.isnan(v):
            continue
        elif v is not None:
            out.add(bytes(v) if isinstance(v, bytes) else v)
    return out


# ------------------------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def differ(fuzz_redis, fuzz_kvfake):
    d = Differ(fuzz_redis, fuzz_kvfake)
    yield d
    d.close()


def _draw_sequence(data, group: str) -> list:
    # st.lists alone averages ~6 elements; a drawn minimum makes long sequences common (and shrinks to 1)
    budget = step_budget()
    size = data.draw(st.integers(1, budget), label="minimum length")
    return data.draw(st.lists(grammar.commands(group), min_size=size, max_size=budget), label="sequence")


def _replay(differ, kvfake, resp, sequence) -> None:
    """Run ``sequence`` from a clean slate; raise Divergence at the first difference."""
    __tracebackhide__ = True
    differ.start(resp)
    for argv in sequence:
        differ.run(argv)
    differ.final_check()
    if kvfake.errors:
        errors = list(kvfake.errors)
        kvfake.clear_errors()
        differ.fail([b"(internal error)"], [b"-", "\n".join(errors).encode()],
                    note="kvfake recorded an internal error")


def _minimise(differ, kvfake, resp, sequence: list) -> "Divergence | None":
    """Greedy one-command deletions (last first) that keep a divergence: Hypothesis's shrinker can stop
    with commands the failure does not need; this makes the reported sequence 1-minimal."""
    try:
        _replay(differ, kvfake, resp, sequence)
        return None
    except Divergence as e:
        best, seq = e, list(sequence[:len(differ.sent) + 1])
    i = len(seq) - 1
    while i >= 0:
        trial = seq[:i] + seq[i + 1:]
        try:
            _replay(differ, kvfake, resp, trial)
        except Divergence as e:
            best, seq = e, trial[:len(differ.sent) + 1]
        i = min(i, len(seq)) - 1
    return best


def _run(differ, kvfake, resp, sequence) -> None:
    __tracebackhide__ = True
    try:
        _replay(differ, kvfake, resp, sequence)
    except Divergence as e:
        if not current_build_context().is_final:
            raise
        smallest = _minimise(differ, kvfake, resp, sequence)
        raise (smallest or e) from None


GROUP_NAMES = [*grammar.GROUPS, "mixed"]


@pytest.mark.parametrize("group", GROUP_NAMES)
@fuzz_settings(scale=2)
@given(resp=st.sampled_from((2, 3)), data=st.data())
def test_differential_fuzz(differ, fuzz_kvfake, group, resp, data):
    _run(differ, fuzz_kvfake, resp, _draw_sequence(data, group))


# ------------------------------------------------------------------------------------------- the driver itself

def test_cli_lines_quote_what_redis_cli_would_misread():
    assert cli_line([b"SET", b"k1", b"plain"]) == "SET k1 plain"
    assert cli_line([b"SET", b"", b"a b"]) == 'SET "" "a b"'
    assert cli_line([b"SET", b"k\xff\x00", b'q"\\\r\n']) == 'SET "k\\xff\\x00" "q\\"\\\\\\r\\n"'


def test_a_divergence_reads_like_a_bug_report(differ):
    differ.start(2)
    differ.run([b"SET", b"k1", b"v"])
    with pytest.raises(Divergence) as info:
        differ.fail([b"GET", b"k1"], [b"$1\r\nv\r\n", b"$1\r\nw\r\n"])
    text = str(info.value)
    assert "    SET k1 v\n>>> GET k1\n" in text
    assert "kvfake" in text and "b'$1\\r\\nw\\r\\n'" in text


def test_ttl_tolerance_is_narrow(differ):
    differ.start(2)
    differ._compare_ttl([b"PTTL", b"k"], [b":100000\r\n", b":99990\r\n"], 2000)
    with pytest.raises(Divergence):
        differ._compare_ttl([b"PTTL", b"k"], [b":100000\r\n", b":-1\r\n"], 2000)
    with pytest.raises(Divergence):
        differ._compare_ttl([b"TTL", b"k"], [b":100000\r\n", b":99990\r\n"], 2)


def test_random_reply_must_come_from_the_key(differ):
    differ.start(2)
    differ.run([b"SADD", b"k1", b"a", b"b", b"c"])
    with pytest.raises(Divergence, match="does not hold"):
        differ._compare_random([b"SRANDMEMBER", b"k1"], [b"$1\r\na\r\n", b"$1\r\nz\r\n"], {b"a", b"b", b"c"})
    with pytest.raises(Divergence, match="shapes differ"):
        differ._compare_random([b"SRANDMEMBER", b"k1"], [b"$1\r\na\r\n", b"$-1\r\n"], {b"a", b"b", b"c"})


def test_spop_resync_makes_the_sets_equal(differ):
    differ.start(2)
    differ.run([b"SADD", b"k1", b"a", b"b", b"c", b"d"])
    differ.quiet([b"SREM", b"k1", b"a"], 0)       # as if SPOP had popped a different member on each side
    differ.quiet([b"SREM", b"k1", b"b"], 1)
    differ._resync_set(b"k1")
    differ.final_check()


def test_minimise_keeps_only_the_commands_the_divergence_needs(differ, fuzz_kvfake):
    # a planted bug: kvfake's STRLEN answers 99 once k2 exists
    def strlen(key):
        return 99 if fuzz_kvfake.store.get(0, "k2") is not None else len(fuzz_kvfake.store.get(0, key) or b"")

    sequence = [[b"SET", b"k1", b"abc"], [b"SET", b"k2", b"x"], [b"GET", b"k1"], [b"STRLEN", b"k1"],
                [b"GET", b"k2"]]
    with fuzz_kvfake.override("STRLEN", strlen):
        found = _minimise(differ, fuzz_kvfake, 2, sequence)
    assert found is not None
    assert "\n    SET k2 x\n>>> STRLEN k1\n" in str(found)
    assert "SET k1" not in str(found) and "GET" not in str(found)


def test_lex_ranges_over_mixed_scores_are_left_out(differ):
    differ.start(2)
    differ.run([b"ZADD", b"k1", b"0", b"a", b"0", b"b"])
    differ.run([b"ZLEXCOUNT", b"k1", b"-", b"+"])
    differ.run([b"ZADD", b"k1", b"1", b"c"])
    differ.run([b"ZRANGE", b"k1", b"[a", b"+", b"BYLEX"])             # skipped: unspecified in Redis
    differ.run([b"ZRANGE", b"k1", b"0", b"-1"])
    assert [a[0] for a in differ.sent] == [b"ZADD", b"ZLEXCOUNT", b"ZADD", b"ZRANGE"]
    assert differ.sent[-1] == [b"ZRANGE", b"k1", b"0", b"-1"]
