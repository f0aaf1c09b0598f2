"""Redis glob matching (``stringmatchlen``) for KEYS, SCAN MATCH, CONFIG GET, PUBSUB.

Rules, byte for byte as redis-server 7.0.15 (each pinned by a case in
tests/unit/test_glob.py that was checked with ``KEYS`` or ``CONFIG GET``):

- ``*`` any run of bytes (consecutive stars are one), ``?`` exactly one byte,
  ``\\c`` the byte c (a lone trailing backslash matches a backslash), anything
  else itself.  No byte is special to ``*`` or ``?`` (``/``, NUL and LF included).
- ``[...]`` one byte from a class; ``[^...]`` negated.  Inside: ``\\c`` is c;
  a byte followed by ``-`` and at least one more pattern byte is a range
  ``x-y`` whose ends may come in either order, and y is taken whatever it is,
  ``]`` included (``[a-]x]`` is the range ``]``..``a`` plus ``x``).  Any other
  ``-`` is a literal.  ``[]`` is an empty class (matches nothing).  A class
  left open takes the rest of the pattern: a lone ``[`` matches nothing, a
  lone ``[^`` any byte.
- Range ends and the subject byte compare as C *signed* chars, so bytes
  0x80-0xff sort below 0x00 (``[a-\\xff]`` is 0xff plus 0x00-0x61).
- ``nocase`` (CONFIG GET) folds ASCII A-Z only, and not everywhere: range ends
  are lowered *after* being put in order (``[Z-a]`` becomes the empty ``z..a``),
  and an escaped byte inside a class still compares exactly.
- The empty subject is matched only by the empty pattern: ``*`` does not match
  ``b""``.  KEYS and SCAN list the empty key for the pattern ``*`` only because
  Redis never asks the matcher about that one-byte pattern (``**`` does not
  list it); callers must do the same.
- Stars nest at most 1000 deep: a pattern whose 1001st run of ``*`` is not
  at its very end matches nothing.  That is the installed Debian build
  (7.0.15-1~deb12u*, which carries the CVE-2024-31228 fix); upstream 7.0.15
  has no such limit.

Strategy: :func:`matcher` compiles a pattern (cached) into an exactly
equivalent predicate, built from the same parse as Redis's walk.  Every element
except ``*`` takes one byte from a set computed the Redis way, so all the quirks
above live in that set.  A pattern of single-byte sets and no star compares with
``==``; anything else becomes a :mod:`re` pattern in which each piece between
two stars is matched at its leftmost place and never retried
(``(?=(?P<g1>.*?piece))(?P=g1)``).  That is what Redis's ``skipLongerMatches``
amounts to, and it keeps matching O(len(pattern) * len(subject)) even for
hostile patterns like ``a*a*a*a*a*a*b`` (as in Redis, ``*`` + n literal bytes
against n bytes is the worst case).  :func:`match_direct` is a plain port of the
C walk (its recursion reduced to the one ``*`` that can still be retried): the
fallback should ``re`` ever refuse a pattern, and the reference in the tests.

Imports: nothing from kvfake.  Never: socket, selectors.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

__all__ = ["match", "matcher", "match_direct"]

MAX_NESTING = 1000  # Debian 7.0.15: stringmatchlen_impl returns "no match" past this depth
LONG_PATTERN = 4096  # longer patterns get a cache of their own, a few entries deep

STAR, QMARK, LBRACKET, RBRACKET, BACKSLASH, CARET, DASH = b"*?[]\\^-"
_ALL = frozenset(range(256))


def match(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """True when ``string`` matches the Redis glob ``pattern`` (``stringmatchlen``).

    >>> match(b"user:*", b"user:42"), match(b"h[^e]llo", b"hello")
    (True, False)
    """
    return bool(matcher(pattern, nocase)(string))


def matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], object]:
    """A predicate equivalent to ``match(pattern, s, nocase)``, truthy on a match.

    For loops over many subjects (KEYS, SCAN): look the pattern up once.

    >>> keep = matcher(b"k[0-9]")
    >>> [k for k in (b"k1", b"kx", b"k22") if keep(k)]
    [b'k1']
    """
    if len(pattern) > LONG_PATTERN:
        return _compile_long(pattern, nocase)
    return _compile(pattern, nocase)


# -- the compiled fast path -------------------------------------------------------


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(c: int) -> int:
    """C ``tolower`` in the "C" locale (Redis never sets LC_CTYPE)."""
    return c + 32 if 65 <= c <= 90 else c


def _literal_set(b: int, nocase: bool) -> frozenset[int]:
    if nocase and (65 <= b <= 90 or 97 <= b <= 122):
        return frozenset((b, b ^ 0x20))
    return frozenset((b,))


@lru_cache(maxsize=4096)
def _range_set(lo: int, hi: int, nocase: bool) -> frozenset[int]:
    """Subject bytes inside the class range ``lo-hi`` (pattern bytes, either order)."""
    start, end = _signed(lo), _signed(hi)
    if start > end:
        start, end = end, start
    if nocase:  # redis: lowered after the swap, so [Z-a] is empty
        start, end = _lower(start), _lower(end)
        return frozenset(c for c in range(256) if start <= _lower(_signed(c)) <= end)
    return frozenset(c for c in range(256) if start <= _signed(c) <= end)


def _parse_class(pattern: bytes, i: int, nocase: bool) -> tuple[frozenset[int], int]:
    """The class starting just after ``[`` at ``i``: (matching bytes, index after it).

    Consumes the pattern exactly as Redis's walk does (which never depends on the
    subject), reading past the end as NUL the way the C string does.
    """
    n = len(pattern)
    negate = i < n and pattern[i] == CARET
    if negate:
        i += 1
    members: set[int] = set()
    while True:
        c = pattern[i] if i < n else 0
        if c == BACKSLASH and n - i >= 2:
            i += 1
            members.add(pattern[i])  # redis: exact even with nocase
        elif c == RBRACKET:
            break
        elif i >= n:  # unterminated: the class ends with the pattern
            i -= 1
            break
        elif n - i >= 3 and pattern[i + 1] == DASH:
            members |= _range_set(c, pattern[i + 2], nocase)
            i += 2
        else:
            members |= _literal_set(c, nocase)
        i += 1
    return (_ALL - members if negate else frozenset(members)), i + 1


def _parse(pattern: bytes, nocase: bool) -> list[frozenset[int] | None]:
    """Pattern elements in order: ``None`` for a run of stars, else a byte set."""
    n = len(pattern)
    elements: list[frozenset[int] | None] = []
    i = 0
    while i < n:
        c = pattern[i]
        if c == STAR:
            while i + 1 < n and pattern[i + 1] == STAR:
                i += 1
            elements.append(None)
            i += 1
        elif c == QMARK:
            elements.append(_ALL)
            i += 1
        elif c == LBRACKET:
            members, i = _parse_class(pattern, i + 1, nocase)
            elements.append(members)
        else:
            if c == BACKSLASH and n - i >= 2:
                i += 1
            elements.append(_literal_set(pattern[i], nocase))
            i += 1
    return elements


def _atom(members: frozenset[int]) -> str:
    if len(members) == 256:
        return "."
    if len(members) == 1:
        return "\\x%02x" % next(iter(members))
    parts = []
    run_start = prev = None
    for b in sorted(members):
        if prev is not None and b == prev + 1:
            prev = b
            continue
        if run_start is not None:
            parts.append(_class_run(run_start, prev))
        run_start = prev = b
    parts.append(_class_run(run_start, prev))
    return "[" + "".join(parts) + "]"


def _class_run(lo: int, hi: int) -> str:
    return "\\x%02x" % lo if lo == hi else "\\x%02x-\\x%02x" % (lo, hi)


def _never(string: bytes) -> bool:
    return False


def _empty(string: bytes) -> bool:
    return not string


def _build(pattern: bytes, nocase: bool) -> Callable[[bytes], object]:
    if not pattern:
        return _empty
    elements = _parse(pattern, nocase)
    if any(e is not None and not e for e in elements):
        return _never  # an empty class: every element must take one byte
    stars = [k for k, e in enumerate(elements) if e is None]
    if len(stars) > MAX_NESTING and stars[MAX_NESTING] != len(elements) - 1:
        return _never  # the 1001st star is not trailing: Redis gives up there
    if not stars and all(len(e) == 1 for e in elements):  # type: ignore[arg-type]
        return bytes(next(iter(e)) for e in elements).__eq__  # type: ignore[arg-type]
    # pieces between the stars; the first is anchored at the start, the last at the end
    pieces: list[list[str]] = [[]]
    for e in elements:
        if e is None:
            pieces.append([])
        else:
            pieces[-1].append(_atom(e))
    src = "".join(pieces[0])
    if len(pieces) > 1:
        for group, piece in enumerate(pieces[1:-1], start=1):
            # leftmost occurrence, committed: a later one can only leave less room
            src += "(?=(?P<g%d>.*?%s))(?P=g%d)" % (group, "".join(piece), group)
        src += ".*" + "".join(pieces[-1])
    try:
        fullmatch = re.compile(src.encode("ascii"), re.DOTALL).fullmatch
    except (re.error, RecursionError, OverflowError):  # defensive: some limit of sre
        return lambda string: match_direct(pattern, string, nocase)

    def pred(string: bytes) -> object:
        # redis: a non-empty pattern never matches the empty subject (not even "*")
        return string and fullmatch(string)

    return pred


_compile = lru_cache(maxsize=1024)(_build)
_compile_long = lru_cache(maxsize=8)(_build)


# -- the direct port ----------------------------------------------------------------


def match_direct(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """``stringmatchlen`` walked byte by byte, without the regex.

    In Redis a failing ``*`` loop sets ``skipLongerMatches`` and every enclosing
    ``*`` then gives up, so only the innermost ``*`` is ever retried: one resume
    point replaces the recursion, and the nesting depth is the count of stars
    entered.
    """
    plen, slen = len(pattern), len(string)
    if slen == 0:  # redis: the walk needs both non-empty to start
        return plen == 0
    p = s = 0
    resume_p = resume_s = -1  # innermost '*': pattern after it, subject start tried last
    depth = 0
    while True:
        ok = True
        while p < plen and s < slen:
            c = pattern[p]
            if c == STAR:
                while p + 1 < plen and pattern[p + 1] == STAR:
                    p += 1
                if p == plen - 1:
                    return True
                depth += 1
                if depth > MAX_NESTING:
                    return False
                p += 1
                resume_p, resume_s = p, s
                continue  # a new frame: match the rest from here
            if c == QMARK:
                s += 1
            elif c == LBRACKET:
                p, ok = _direct_class(pattern, p + 1, string[s], nocase)
                if not ok:
                    break
                s += 1
            else:
                if c == BACKSLASH and plen - p >= 2:
                    p += 1
                if not _same(pattern[p], string[s], nocase):
                    ok = False
                    break
                s += 1
            p += 1
            if s == slen:
                while p < plen and pattern[p] == STAR:
                    p += 1
                break
        if ok and p == plen and s == slen:
            return True
        if resume_p < 0:
            return False
        resume_s += 1  # retry the innermost '*' one byte longer
        if resume_s == slen:
            return False  # skipLongerMatches: no outer '*' can do better
        p, s = resume_p, resume_s


def _same(a: int, b: int, nocase: bool) -> bool:
    return a == b or (nocase and _lower(a) == _lower(b))


def _direct_class(pattern: bytes, p: int, c: int, nocase: bool) -> tuple[int, bool]:
    """Class after ``[`` at ``p`` vs subject byte ``c``: (index of its last byte, matched)."""
    n = len(pattern)
    negate = p < n and pattern[p] == CARET
    if negate:
        p += 1
    hit = False
    while True:
        b = pattern[p] if p < n else 0
        if b == BACKSLASH and n - p >= 2:
            p += 1
            if pattern[p] == c:
                hit = True
        elif b == RBRACKET:
            break
        elif p >= n:
            p -= 1
            break
        elif n - p >= 3 and pattern[p + 1] == DASH:
            start, end, sc = _signed(b), _signed(pattern[p + 2]), _signed(c)
            if start > end:
                start, end = end, start
            if nocase:
                start, end, sc = _lower(start), _lower(end), _lower(sc)
            p += 2
            if start <= sc <= end:
                hit = True
        elif _same(b, c, nocase):
            hit = True
        p += 1
    return p, hit != negate
