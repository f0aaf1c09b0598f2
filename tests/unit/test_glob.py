"""Redis glob matching (stringmatchlen): tables checked against redis-server, and properties.

Every case in CASES was checked against redis-server 7.0.15 (Debian 7.0.15-1~deb12u10)
with ``FLUSHALL; SET <subject> 1; KEYS <pattern>``; every case in NOCASE with
``CONFIG GET <pattern>`` (which matches config names case-insensitively, and only
calls the matcher when the pattern holds one of ``[*?``).  ``KEYS *`` itself is
short-circuited by Redis and never reaches the matcher, so the empty-subject rule
is pinned with ``**``.  Random patterns (about 60,000, over ``*?[]^-\\``, letters,
NUL, 0x80, 0xff) were also compared with KEYS and CONFIG GET while developing.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kvfake.store import glob
from kvfake.store.glob import LONG_PATTERN, match, match_direct, matcher

# (id, pattern, subject, matches?) -- verified with KEYS
CASES = [
    # literals and the empty pattern
    ("literal", b"hello", b"hello", True),
    ("literal-case-sensitive", b"hello", b"hellO", False),
    ("literal-prefix-is-not-enough", b"hell", b"hello", False),
    ("empty-pattern-empty-subject", b"", b"", True),
    ("empty-pattern", b"", b"a", False),
    ("nul-is-ordinary", b"a\x00c", b"a\x00c", True),
    # *
    ("star", b"*x", b"abcx", True),
    ("star-middle", b"h*o", b"hello", True),
    ("star-middle-no", b"h*o", b"hellx", False),
    ("star-matches-nothing", b"*o", b"o", True),
    ("star-trailing-matches-nothing", b"abc*", b"abc", True),
    ("stars-do-not-match-empty-subject", b"**", b"", False),
    ("stars-collapse", b"a***b", b"ab", True),
    ("star-crosses-newline-and-nul", b"a*b", b"a\n\x00b", True),
    ("stars-in-order", b"a*b*c", b"axxbyyc", True),
    ("stars-out-of-order", b"a*b*c", b"axxcyyb", False),
    ("star-question", b"*?", b"a", True),
    ("star-question-needs-a-byte", b"*?", b"", False),
    # ?
    ("question", b"h?llo", b"hello", True),
    ("question-needs-a-byte", b"h?llo", b"hllo", False),
    ("questions-count", b"??", b"a", False),
    ("question-matches-nul", b"a?c", b"a\x00c", True),
    # classes
    ("class", b"h[ae]llo", b"hello", True),
    ("class-no", b"h[ae]llo", b"hillo", False),
    ("class-negated", b"h[^e]llo", b"hallo", True),
    ("class-negated-no", b"h[^e]llo", b"hello", False),
    ("range", b"h[a-b]llo", b"hbllo", True),
    ("range-reversed", b"h[b-a]llo", b"hallo", True),
    ("empty-class-matches-nothing", b"[]a]", b"]a]", False),
    ("empty-class-before-rest", b"[]a]", b"xa]", False),
    ("negated-empty-class-any-byte", b"[^]", b"]", True),
    ("dash-first-literal", b"[-a]", b"-", True),
    ("dash-dash-is-range-start", b"[--a]", b"0", True),
    ("range-to-bracket", b"[a-]x]", b"^", True),
    ("range-to-bracket-then-more", b"[a-]x]", b"x", True),
    ("range-to-bracket-no-dash", b"[a-]x]", b"-", False),
    ("dash-near-end-is-literal", b"[a-", b"-", True),
    ("open-class-takes-rest", b"[abc", b"b", True),
    ("open-class-is-one-byte", b"[ab", b"ab", False),
    ("lone-bracket-matches-nothing", b"[", b"[", False),
    ("lone-negated-open-class-any-byte", b"[^", b"x", True),
    ("escaped-bracket-in-class", b"[\\]]", b"]", True),
    ("open-class-lone-backslash", b"[\\", b"\\", True),
    ("escape-in-class-then-dash-literal", b"[\\a-z]", b"-", True),
    ("escape-in-class-no-range", b"[\\a-z]", b"m", False),
    # escapes outside classes
    ("escaped-star", b"\\*", b"*", True),
    ("escaped-star-is-literal", b"\\*", b"a", False),
    ("escaped-question", b"\\?", b"a", False),
    ("escaped-bracket", b"\\[a]", b"[a]", True),
    ("lone-backslash", b"\\", b"\\", True),
    ("trailing-backslash", b"a\\", b"a\\", True),
    # ranges compare signed chars: 0x80-0xff sort below 0x00
    ("signed-range-high-end", b"[a-\xff]", b"\xff", True),
    ("signed-range-low-bytes", b"[a-\xff]", b"0", True),
    ("signed-range-above-a", b"[a-\xff]", b"b", False),
    ("signed-range-0x80", b"[a-\xff]", b"\x80", False),
    ("high-range", b"[\x80-\xff]", b"\x90", True),
    ("high-range-no-ascii", b"[\x80-\xff]", b"a", False),
    ("7f-80-is-everything", b"[\x7f-\x80]", b"a", True),
    ("7f-80-is-everything-high", b"[\x7f-\x80]", b"\xff", True),
    # hostile patterns: Redis answers at once (skipLongerMatches)
    ("hostile-stars", b"a*" * 30 + b"b", b"a" * 200, False),
    ("hostile-stars-match", b"*a" * 30, b"a" * 200, True),
    # at most 1000 nested stars (Debian's CVE-2024-31228 backport)
    ("nesting-1000", b"a*" * 1000 + b"a", b"a" * 1001, True),
    ("nesting-1001", b"a*" * 1001 + b"a", b"a" * 1002, False),
    ("nesting-1001st-star-trailing", b"a*" * 1001, b"a" * 1001, True),
    ("nesting-1002nd-star-trailing", b"a*" * 1002, b"a" * 1002, False),
    # long patterns (their own cache)
    ("long-pattern", b"x" * 5000 + b"*", b"x" * 5001, True),
    ("long-pattern-no", b"*" + b"x" * 5000, b"y" * 5001, False),
]

# (id, pattern, config name, matches?) -- nocase=True, verified with CONFIG GET
NOCASE = [
    ("fold-literal", b"APPENDONL?", b"appendonly", True),
    ("fold-class-literal", b"[A]ppendonl?", b"appendonly", True),
    ("fold-escaped-outside-class", b"\\Appendonl?", b"appendonly", True),
    ("escaped-in-class-is-exact", b"[\\A]ppendonl?", b"appendonly", False),
    ("escaped-in-class-same-case", b"[\\a]ppendonl?", b"appendonly", True),
    ("negated-escaped-in-class-is-exact", b"[^\\A]ppendonl?", b"appendonly", True),
    ("negated-fold", b"[^A]ppendonl?", b"appendonly", False),
    ("range-upper", b"[A-B]ppendonl?", b"appendonly", True),
    ("range-A-z", b"[A-z]ppendonl?", b"appendonly", True),
    ("range-lowered-after-swap", b"[Z-a]ppendonl?", b"appendonly", False),
    ("range-reversed-lowered-after-swap", b"[a-Z]ppendonl?", b"appendonly", False),
    ("fold-star", b"*MEMORY", b"maxmemory", True),
]


def ids(table):
    return [c[0] for c in table]


@pytest.mark.parametrize("pattern,subject,expected", [c[1:] for c in CASES], ids=ids(CASES))
def test_match(pattern, subject, expected):
    assert match(pattern, subject) is expected


@pytest.mark.parametrize("pattern,subject,expected", [c[1:] for c in CASES], ids=ids(CASES))
def test_match_direct(pattern, subject, expected):
    assert match_direct(pattern, subject) is expected


@pytest.mark.parametrize("pattern,subject,expected", [c[1:] for c in NOCASE], ids=ids(NOCASE))
def test_match_nocase(pattern, subject, expected):
    assert match(pattern, subject, nocase=True) is expected
    assert match_direct(pattern, subject, nocase=True) is expected


def test_match_is_case_sensitive_by_default():
    assert match(b"APPENDONL?", b"appendonly") is False


def test_star_alone_does_not_match_empty_subject():
    # KEYS * lists the empty key only because Redis never calls the matcher for "*"
    assert match(b"*", b"") is False
    assert match_direct(b"*", b"") is False


def test_hostile_patterns_finish_on_long_subjects():
    # exponential backtracking would never return here
    subject = b"a" * 20000
    for pattern in (b"a*" * 40 + b"b", b"*a" * 40 + b"b", b"*" + b"a" * 60 + b"b*"):
        assert match(pattern, subject) is False
        assert match_direct(pattern, subject) is False


def test_matcher_is_reusable_predicate():
    keep = matcher(b"user:[0-9]*")
    subjects = [b"user:1", b"user:x", b"user:", b"", b"user:42:name"]
    assert [s for s in subjects if keep(s)] == [b"user:1", b"user:42:name"]
    assert matcher(b"user:[0-9]*") is keep  # cached


def test_long_patterns_use_the_small_cache():
    pattern = b"?" * (LONG_PATTERN + 1)
    before = glob._compile.cache_info().currsize
    assert match(pattern, b"x" * (LONG_PATTERN + 1)) is True
    assert glob._compile.cache_info().currsize == before
    assert matcher(pattern) is matcher(pattern)


def test_worst_case_long_pattern_is_fast_enough_to_finish():
    # "*" + n literal bytes against n other bytes: O(n*n) in Redis too
    assert match(b"*" + b"x" * 5000, b"y" + b"x" * 4999) is False


def test_falls_back_to_the_direct_port_when_re_refuses(monkeypatch):
    def refuse(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(glob.re, "compile", refuse)
    keep = glob._build(b"a*[b-c]", False)
    assert [s for s in (b"ab", b"axxc", b"ad", b"") if keep(s)] == [b"ab", b"axxc"]


# -- an independent oracle: the C recursion, pointers into a NUL-terminated buffer ----


def stringmatchlen(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    skip = [False]
    pat = pattern + b"\0"
    sub = string + b"\0"

    def lower(c):
        return c + 32 if 65 <= c <= 90 else c

    def signed(c):
        return c - 256 if c >= 128 else c

    def impl(p, plen, s, slen, nesting):
        if nesting > 1000:
            return False
        while plen and slen:
            c = pat[p]
            if c == 42:  # *
                while plen and pat[p + 1] == 42:
                    p += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if impl(p + 1, plen - 1, s, slen, nesting + 1):
                        return True
                    if skip[0]:
                        return False
                    s += 1
                    slen -= 1
                skip[0] = True
                return False
            elif c == 63:  # ?
                s += 1
                slen -= 1
            elif c == 91:  # [
                p += 1
                plen -= 1
                neg = pat[p] == 94
                if neg:
                    p += 1
                    plen -= 1
                hit = False
                while True:
                    if pat[p] == 92 and plen >= 2:
                        p += 1
                        plen -= 1
                        hit = hit or pat[p] == sub[s]
                    elif pat[p] == 93:
                        break
                    elif plen == 0:
                        p -= 1
                        plen += 1
                        break
                    elif plen >= 3 and pat[p + 1] == 45:
                        start, end, ch = signed(pat[p]), signed(pat[p + 2]), signed(sub[s])
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = lower(start), lower(end), lower(ch)
                        p += 2
                        plen -= 2
                        hit = hit or start <= ch <= end
                    elif nocase:
                        hit = hit or lower(pat[p]) == lower(sub[s])
                    else:
                        hit = hit or pat[p] == sub[s]
                    p += 1
                    plen -= 1
                if hit == neg:
                    return False
                s += 1
                slen -= 1
            else:
                if c == 92 and plen >= 2:
                    p += 1
                    plen -= 1
                a, b = pat[p], sub[s]
                if (lower(a) != lower(b)) if nocase else (a != b):
                    return False
                s += 1
                slen -= 1
            p += 1
            plen -= 1
            if slen == 0:
                while pat[p] == 42:
                    p += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return impl(0, len(pattern), 0, len(string), 0)


def test_oracle_agrees_with_the_verified_tables():
    for _, pattern, subject, expected in CASES:
        if len(pattern) < 600:  # keep the oracle's recursion shallow
            assert stringmatchlen(pattern, subject) is expected
    for _, pattern, subject, expected in NOCASE:
        assert stringmatchlen(pattern, subject, nocase=True) is expected


_PATTERN_BYTES = [
    b"*", b"?", b"[", b"]", b"^", b"-", b"\\", b"a", b"b", b"A", b"Z", b"_", b"\xff", b"\x80", b"\x00",
]
_PATTERN = st.lists(st.sampled_from(_PATTERN_BYTES), max_size=10).map(b"".join)
_SUBJECT_BYTES = [b"a", b"b", b"A", b"]", b"-", b"^", b"\\", b"\xff", b"\x00"]
_SUBJECT = st.lists(st.sampled_from(_SUBJECT_BYTES), max_size=8).map(b"".join)


@given(_PATTERN, _SUBJECT, st.booleans())
@example(b"[a-]x]", b"^", False)
@example(b"[Z-a]", b"a", True)
@example(b"*a*", b"ba", False)
def test_regex_port_and_oracle_agree(pattern, subject, nocase):
    expected = stringmatchlen(pattern, subject, nocase)
    assert match(pattern, subject, nocase) is expected
    assert match_direct(pattern, subject, nocase) is expected


@given(st.lists(st.sampled_from([b"*", b"a", b"b", b"?", b"[ab]"]), max_size=12).map(b"".join),
       st.lists(st.sampled_from([b"a", b"b"]), max_size=16).map(b"".join))
def test_star_heavy_patterns_agree(pattern, subject):
    # many stars over a two-letter alphabet exercise skipLongerMatches
    expected = stringmatchlen(pattern, subject)
    assert match(pattern, subject) is expected
    assert match_direct(pattern, subject) is expected
