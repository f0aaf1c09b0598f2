"""Strict Redis 7.0 number parsing and formatting for command arguments.

Imports: kvfake.errors only.  Never: socket, selectors, store, protocol.

Strategy.  Every parser takes the raw argument bytes and either returns a
Python number or raises ``CommandError(text)`` with the exact Redis text.
Redis 7.0 has four number parsers, and each command uses exactly one:

* ``parse_int`` -- ``string2ll`` (getLongLongFromObject): optional ``-``, no
  ``+``, no leading zeros, no ``-0``, no spaces, int64 range, at most 20
  bytes.  A round-trip check (``b"%d" % int(b) == b``) is exactly that rule.
* ``parse_float`` -- ``string2d`` (getDoubleFromObject, i.e. C ``strtod``):
  ZADD/ZINCRBY scores, GEOADD coordinates ...  Accepts what strtod accepts
  *entirely*: decimal, hex floats (``0x1p3``), ``inf``/``infinity`` in any
  case with optional sign; rejects a leading space, trailing bytes, an
  embedded NUL, the empty string, any NaN, overflow to +-inf and underflow
  to zero (strtod's ERANGE).  One regex checks the grammar; ``float()`` or
  ``float.fromhex`` (both correctly rounded, as glibc is) give the value.
* ``parse_long_double`` -- ``string2ld`` (getLongDoubleFromObject, C
  ``strtold``): INCRBYFLOAT (key value and increment), HINCRBYFLOAT, and the
  seconds timeout of BLPOP & co.  Same grammar, plus a length limit (5119
  bytes); the value is an x87 80-bit long double (64-bit significand, 15-bit
  exponent), so "1e400" is accepted here but not by ``parse_float``.
* ``parse_float_lenient`` -- the bare ``strtod`` + "ends at NUL" check of
  ZRANGEBYSCORE/ZCOUNT ranges (zslParseRange): leading spaces, ``""``,
  overflow and underflow are all accepted; only NaN and junk are rejected.

Long doubles are emulated exactly with Python ints: a ``LongDouble`` is
``mant * 2**exp`` with ``|mant| < 2**64``; every parse and every sum is the
exact rational value rounded to 64 significant bits (ties to even, with
x87's subnormals below 2**-16382), and ``format_long_double`` is glibc's
``"%.17Lf"`` of the exact binary value (ties to even) with Redis's
``ld2string(LD_STR_HUMAN)`` trimming.  Verified byte for byte against
redis-server 7.0.15 on thousands of random INCRBYFLOAT pairs.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kvfake.errors import (
    NAN_OR_INFINITY,
    NOT_A_FLOAT,
    NOT_AN_INTEGER,
    OUT_OF_RANGE_POSITIVE,
    CommandError,
    TIMEOUT_NEGATIVE,
    TIMEOUT_NOT_FLOAT,
    TIMEOUT_NOT_INTEGER,
)

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# -- integers ---------------------------------------------------------------


def parse_int(b: bytes, error: str = NOT_AN_INTEGER) -> int:
    """Redis ``string2ll``: the canonical decimal spelling of an int64, nothing else."""
    # LONG_STR_SIZE is 21: 20 bytes is "-9223372036854775808".  The length test
    # also keeps int() away from huge inputs.
    if 0 < len(b) <= 20:
        try:
            n = int(b)
        except ValueError:
            raise CommandError(error) from None
        if INT64_MIN <= n <= INT64_MAX and b"%d" % n == b:
            return n
    raise CommandError(error)


def parse_range_int(b: bytes, lo: int, hi: int, error: "str | None" = None) -> int:
    """Redis ``getRangeLongFromObjectOrReply``: ``parse_int`` then ``lo <= n <= hi``.

    With ``error`` given, it is the text for both failures (as in Redis, a
    non-number gets ``error`` too); otherwise a non-number gets NOT_AN_INTEGER
    and an out-of-range number "value is out of range, value must between
    <lo> and <hi>" (sic; redis 7.0.15: ``SRANDMEMBER s -9223372036854775808``).
    """
    n = parse_int(b, NOT_AN_INTEGER if error is None else error)
    if lo <= n <= hi:
        return n
    if error is None:
        error = f"ERR value is out of range, value must between {lo} and {hi}"
    raise CommandError(error)


def parse_positive_int(b: bytes, error: str = OUT_OF_RANGE_POSITIVE) -> int:
    """Redis ``getPositiveLongFromObjectOrReply``: 0..INT64_MAX.

    redis 7.0: a non-number also gets "value is out of range, must be
    positive" (``LPOP k abc``, ``SPOP k x``), because the message is passed
    down to the integer parse.
    """
    return parse_range_int(b, 0, INT64_MAX, error)


# -- doubles (strtod) -------------------------------------------------------

# What glibc strtod/strtold consume, as a whole string (no leading space).
# group 1: decimal mantissa, group 2: hex mantissa; neither: inf/infinity.
_FLOAT_RE = re.compile(
    rb"[+-]?(?:"
    rb"((?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+))?"
    rb"|0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?"
    rb"|(?i:inf(?:inity)?)"
    rb")"
)
_NONZERO_DIGIT = re.compile(rb"[1-9a-fA-F]")
_C_SPACE = b" \t\n\v\f\r"
_INFINITIES = (float("inf"), float("-inf"))


def _strtod(b: bytes, m: "re.Match[bytes]") -> float:
    """The double strtod gives for a string that fully matched _FLOAT_RE."""
    if m.group(3) is not None:
        try:
            return float.fromhex(b.decode("ascii"))
        except OverflowError:
            return float("-inf") if b[:1] == b"-" else float("inf")
    return float(b)  # decimal or inf/infinity; never raises after the regex


def parse_float(b: bytes, error: str = NOT_A_FLOAT) -> float:
    """Redis ``string2d`` (strtod): ZADD/ZINCRBY scores, GEOADD coordinates.

    redis 7.0.15: "1.5", "+1.5", ".5", "5.", "1E3", "0x1p3", "0x1.8", "inf",
    "-Infinity" are accepted; "", " 1", "1 ", "1e", "nan", "1_0", "1.5\\0",
    "1e400" (overflow) and "1e-400" (underflow to 0) are rejected; "3e-324"
    is accepted (a subnormal is not 0).
    """
    if b.isdigit() and len(b) < 16:
        return float(b)  # the common score: ASCII digits only, exact in a double
    m = _FLOAT_RE.fullmatch(b)
    if m is None:
        raise CommandError(error)
    x = _strtod(b, m)
    if x == 0.0:
        digits = m.group(1) if m.group(3) is None else m.group(3)
        if _NONZERO_DIGIT.search(digits) is not None:  # ERANGE: underflow to 0
            raise CommandError(error)
    elif x in _INFINITIES and (m.group(1) is not None or m.group(3) is not None):
        raise CommandError(error)  # ERANGE: overflow
    return x


def parse_float_lenient(b: bytes, error: str) -> float:
    """ZRANGEBYSCORE-style bound (zslParseRange): bare strtod, then "at NUL?".

    redis 7.0.15 (ZCOUNT z <b> +inf): " 1", "\\n1" and "1\\0x" are 1, "" is
    0, "1e400" is inf, "1e-400" is 0; "nan", "1 ", " ", "-" are rejected.
    The caller strips the "(" prefix first.
    """
    nul = b.find(b"\0")
    if nul >= 0:
        b = b[:nul]
    if not b:
        return 0.0  # strtod converted nothing and stopped at the NUL
    s = b.lstrip(_C_SPACE)
    m = _FLOAT_RE.fullmatch(s)
    if m is None:
        raise CommandError(error)
    return _strtod(s, m)


def format_double(x: float) -> bytes:
    """Redis 7.0 ``addReplyDouble``: ``"%.17g"``, the same text in RESP2 and RESP3.

    redis 7.0.15 (ZSCORE, ZINCRBY, ZRANGE WITHSCORES, RESP2 bulk and RESP3
    ','): 1.1 -> "1.1000000000000001", 1.0 -> "1", 0.1 ->
    "0.10000000000000001", 1e16 -> "10000000000000000", 1e17 -> "1e+17",
    1e-5 -> "1.0000000000000001e-05", 0.0001 -> "0.0001", 5e-324 ->
    "4.9406564584124654e-324", inf -> "inf", -inf -> "-inf", -0.0 -> "-0".
    (A listpack-encoded zset stores -0 as "0"; that is the zset's business.)
    Python's "%.17g" is exact, like glibc's, so the digits agree.
    """
    return b"%.17g" % x


# -- long doubles (strtold) -------------------------------------------------


class LongDouble(NamedTuple):
    """An x87 80-bit long double: ``mant * 2**exp`` with ``|mant| < 2**64``.

    Infinities are ``mant = +-1, exp = _INF_EXP``; NaN is never produced.
    """

    mant: int
    exp: int

    def is_finite(self) -> bool:
        return self.exp != _INF_EXP


_EMIN = -16445  # 2**-16382 (least normal) == 2**63 * 2**_EMIN; subnormals keep _EMIN
_EMAX = 16320  # greatest finite: (2**64 - 1) * 2**_EMAX
_INF_EXP = 1 << 30
_TWO64 = 1 << 64
_TEN4000 = 10**4000  # int <-> str chunks below Python's 4300-digit limit
LD_ZERO = LongDouble(0, 0)
LD_INF = LongDouble(1, _INF_EXP)
LD_NEG_INF = LongDouble(-1, _INF_EXP)

MAX_LONG_DOUBLE_CHARS = 5 * 1024


def _round_ld(num: int, den: int, e2: int) -> LongDouble:
    """``num / den * 2**e2`` (den > 0) rounded to a long double, ties to even."""
    if num == 0:
        return LD_ZERO
    neg = num < 0
    n = -num if neg else num
    # Pick k so that n * 2**k / den lies in [2**63, 2**64).
    k = 64 - (n.bit_length() - den.bit_length())
    if (n << k >= den << 64) if k >= 0 else (n >= den << (64 - k)):
        k -= 1
    exp = e2 - k
    if exp < _EMIN:  # subnormal (or zero): fewer significant bits
        k = e2 - _EMIN
        exp = _EMIN
    if k >= 0:
        q, r = divmod(n << k, den)
    else:
        den <<= -k
        q, r = divmod(n, den)
    r2 = r << 1
    if r2 > den or (r2 == den and q & 1):
        q += 1
        if q == _TWO64:
            q >>= 1
            exp += 1
    if exp > _EMAX:
        return LD_NEG_INF if neg else LD_INF
    if q == 0:
        return LD_ZERO
    return LongDouble(-q if neg else q, exp)


def _dec_int(digits: bytes) -> int:
    """int(digits) without Python's 4300-digit int/str limit."""
    if len(digits) <= 4000:
        return int(digits)
    cut = len(digits) - 4000
    return _dec_int(digits[:cut]) * _TEN4000 + int(digits[cut:])


def _exp_int(s: "bytes | None") -> int:
    """An exponent, clamped: anything past 10 digits is effectively infinite."""
    if s is None:
        return 0
    neg = s[:1] == b"-"
    digits = s.lstrip(b"+-").lstrip(b"0")
    if len(digits) > 10:
        return -(10**10) if neg else 10**10
    v = int(digits) if digits else 0
    return -v if neg else v


def parse_long_double(b: bytes, error: str = NOT_A_FLOAT) -> LongDouble:
    """Redis ``string2ld`` (strtold): INCRBYFLOAT, HINCRBYFLOAT, BLPOP timeouts.

    Same grammar as ``parse_float``; rejects inputs of 5120+ bytes, values
    that overflow the long double range (~1.19e4932) and nonzero values that
    round to 0 (below ~1.8e-4951); NaN is rejected, "inf" is accepted.
    """
    if len(b) >= MAX_LONG_DOUBLE_CHARS:
        raise CommandError(error)
    m = _FLOAT_RE.fullmatch(b)
    if m is None:
        raise CommandError(error)
    neg = b[:1] == b"-"
    dec, hexm = m.group(1), m.group(3)
    if dec is not None:
        whole, _, frac = dec.partition(b".")
        digits = (whole + frac).lstrip(b"0")
        if not digits:
            return LD_ZERO
        e10 = _exp_int(m.group(2)) - len(frac)
        stripped = digits.rstrip(b"0")
        e10 += len(digits) - len(stripped)
        mag = len(stripped) + e10  # value in [10**(mag-1), 10**mag)
        if mag >= 4934 or mag <= -4951:
            raise CommandError(error)  # ERANGE: overflow, or underflow to 0
        d = _dec_int(stripped)
        if neg:
            d = -d
        v = _round_ld(d * 10**e10, 1, 0) if e10 >= 0 else _round_ld(d, 10**-e10, 0)
    elif hexm is not None:
        whole, _, frac = hexm.partition(b".")
        h = int(whole + frac, 16)
        if h == 0:
            return LD_ZERO
        e2 = _exp_int(m.group(4)) - 4 * len(frac)
        mag = h.bit_length() + e2  # value in [2**(mag-1), 2**mag)
        if mag >= 16386 or mag <= -16446:
            raise CommandError(error)
        v = _round_ld(-h if neg else h, 1, e2)
    else:
        return LD_NEG_INF if neg else LD_INF
    if v.exp == _INF_EXP or v.mant == 0:
        raise CommandError(error)  # ERANGE
    return v


def add_long_double(a: LongDouble, b: LongDouble) -> LongDouble:
    """``a + b`` in long double arithmetic.  Raises NAN_OR_INFINITY if not finite.

    That is the INCRBYFLOAT/HINCRBYFLOAT check after the addition (redis
    7.0: ``INCRBYFLOAT k inf`` -> "increment would produce NaN or Infinity").
    """
    if a.exp == _INF_EXP or b.exp == _INF_EXP:
        raise CommandError(NAN_OR_INFINITY)
    if a.exp <= b.exp:
        num = a.mant + (b.mant << (b.exp - a.exp))
        e = a.exp
    else:
        num = b.mant + (a.mant << (a.exp - b.exp))
        e = b.exp
    v = _round_ld(num, 1, e)
    if v.exp == _INF_EXP:
        raise CommandError(NAN_OR_INFINITY)
    return v


def _dec_str(n: int) -> str:
    """str(n) for n >= 0 without Python's 4300-digit int/str limit."""
    if n < _TEN4000:
        return str(n)
    hi, lo = divmod(n, _TEN4000)
    return _dec_str(hi) + str(lo).zfill(4000)


_TEN17 = 10**17


def format_long_double(v: LongDouble) -> bytes:
    """Redis ``ld2string(LD_STR_HUMAN)``: ``"%.17Lf"``, trailing zeros and '.' trimmed.

    "-0" becomes "0"; infinities are "inf"/"-inf" (never stored by
    INCRBYFLOAT, which refuses them).  redis 7.0.15: 10.1 + 0.1 -> "10.2",
    2**-18 -> "0.00000381469726562" (glibc rounds the exact binary value,
    ties to even), 1e400 -> "10000000000000000000281880683947586514..." (401
    digits: every digit of the binary value).
    """
    if v.exp == _INF_EXP:
        return b"-inf" if v.mant < 0 else b"inf"
    neg = v.mant < 0
    a = -v.mant if neg else v.mant
    if v.exp >= 0:
        text = _dec_str(a << v.exp)
    else:
        q, r = divmod(a * _TEN17, 1 << -v.exp)
        r2 = r << 1
        if r2 > (1 << -v.exp) or (r2 == (1 << -v.exp) and q & 1):
            q += 1
        whole, frac = divmod(q, _TEN17)
        frac_s = ("%017d" % frac).rstrip("0")
        text = _dec_str(whole) + ("." + frac_s if frac_s else "")
    if neg and text != "0":
        text = "-" + text
    return text.encode("ascii")


def incr_by_float(current: "bytes | None", incr: bytes) -> bytes:
    """INCRBYFLOAT's arithmetic: the new string value (also the reply).

    ``current`` is the key's string (None when the key is missing, i.e. 0).
    redis 7.0: the current value is parsed first, then the increment, both
    with "ERR value is not a valid float"; a non-finite sum gives "ERR
    increment would produce NaN or Infinity".  The type check comes before.

    HINCRBYFLOAT (redis 7.0.15) differs in order and texts: the increment is
    parsed first (NOT_A_FLOAT), then "ERR value is NaN or Infinity" for an
    infinite increment, both *before* the WRONGTYPE check; a bad stored field
    value is "ERR hash value is not a float".  The sum and the formatting are
    the same: ``format_long_double(add_long_double(value, incr))``.
    """
    value = LD_ZERO if current is None else parse_long_double(current)
    return format_long_double(add_long_double(value, parse_long_double(incr)))


# -- timeouts ---------------------------------------------------------------


def parse_timeout(b: bytes) -> int:
    """Seconds timeout of BLPOP, BRPOP, BLMOVE, BZPOPMIN, BLMPOP ...: relative ms.

    Returns the timeout in milliseconds; 0 means "block forever".  Mirrors
    redis 7.0.15 getTimeoutFromObjectOrReply(UNIT_SECONDS): the seconds are a
    long double (TIMEOUT_NOT_FLOAT on bad input), times 1000 in long double,
    then ``(long long) ceill(...)``, so 0.0001 and 1e-400 are 1 ms (redis
    7.0.15 replies nil at once) and -0.0009 and -1e-400 are 0 (it blocks
    forever; "timeout is negative" starts at -0.0010000000000000000001).  A product of 2**63 or more, or inf,
    converts to LLONG_MIN on x86-64: "ERR timeout is negative" (redis 7.0.15:
    ``BLPOP l inf``, ``BLPOP l 1e16``).  Redis 7.0 has no "timeout is out of
    range" check (7.2 added one); a huge timeout simply blocks.
    """
    v = parse_long_double(b, TIMEOUT_NOT_FLOAT)
    if v.exp == _INF_EXP:
        raise CommandError(TIMEOUT_NEGATIVE)
    p = _round_ld(v.mant * 1000, 1, v.exp)
    if p.exp == _INF_EXP:
        raise CommandError(TIMEOUT_NEGATIVE)
    if p.exp >= 0:
        ms = p.mant << p.exp
    else:
        ms = -((-p.mant) >> -p.exp)  # ceil
    if ms < 0 or ms > INT64_MAX:
        raise CommandError(TIMEOUT_NEGATIVE)
    return ms


def parse_timeout_ms(b: bytes) -> int:
    """Milliseconds timeout (XREAD BLOCK, WAIT, CLIENT PAUSE): relative ms, 0 = forever.

    redis 7.0.15: "abc" and "1.5" -> "ERR timeout is not an integer or out of
    range"; "-1" -> "ERR timeout is negative"; INT64_MAX is accepted.
    """
    ms = parse_int(b, TIMEOUT_NOT_INTEGER)
    if ms < 0:
        raise CommandError(TIMEOUT_NEGATIVE)
    return ms
