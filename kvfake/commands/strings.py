"""String commands (Redis group "string"): GET SET ... INCRBYFLOAT LCS.

Imports: kvfake.commands.registry/context/args, kvfake.errors, kvfake.protocol.replies,
kvfake.store.values.  Never: socket, selectors, protocol.encoder.

Values are stored as they arrive (plain ``bytes``); ``store.values.string_encoding``
derives OBJECT ENCODING from the bytes (int / embstr / raw), as Redis's
tryObjectEncoding does for SET, MSET, SETNX, SETEX, GETSET and APPEND on a new key.
A string changed in place (APPEND to an existing key, SETRANGE) becomes a
``RawString``; INCRBYFLOAT's result is an ``SdsString`` (Redis stores it unencoded,
so "12" reports embstr, not int).  In-place changes keep the key's TTL, SET/GETSET
drop it.

Hot path: GET, SET without options, INCR, MGET and MSET do no parsing beyond what
they need and allocate nothing besides the reply.
"""

from __future__ import annotations

from kvfake.commands.args import INT64_MAX, INT64_MIN, incr_by_float, parse_int
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import (
    INCR_OVERFLOW,
    SYNTAX_ERROR,
    CommandError,
    invalid_expire,
    wrong_arity,
)
from kvfake.protocol.replies import OK, Map
from kvfake.store.values import RawString, SdsString

group = CommandGroup("string")

# -- error texts used only here (Redis 7.0.15 wording) ----------------------

OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
DECREMENT_OVERFLOW = "ERR decrement would overflow"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_MUCH_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"

PROTO_MAX_BULK_LEN = 512 * 1024 * 1024  # the default, when the config cannot say

_EX, _PX, _EXAT, _PXAT = b"EX", b"PX", b"EXAT", b"PXAT"
_EXPIRE_KINDS = frozenset((_EX, _PX, _EXAT, _PXAT))
_MAX_SECONDS = INT64_MAX // 1000  # LLONG_MAX / 1000: more seconds overflow the ms


# -- helpers ----------------------------------------------------------------


def _option(arg: bytes) -> bytes:
    """An option token as Redis compares it: C string (up to the first NUL), upper case.

    redis 7.0.15: ``SET k v "NX\\0zz"`` is NX, ``SET k v "KEEPTTL\\0zz"`` is KEEPTTL
    (the option checks look at ``opt[2] == '\\0'`` / strcasecmp).
    """
    if b"\0" in arg:
        arg = arg[: arg.index(b"\0")]
    return arg.upper()


def _extended_options(options: tuple, is_set: bool):
    """Redis 7.0's parseExtendedStringArgumentsOrReply for SET (``is_set``) and GETEX.

    Returns ``(nx, xx, get, keepttl, persist, kind, expire_arg)``, ``kind`` one of
    b"EX" b"PX" b"EXAT" b"PXAT" or None.  Left to right; a token that is unknown,
    not allowed for the command, in conflict with an earlier one, or an expire
    kind without a following argument gives "ERR syntax error" at once.  The same
    flag twice is accepted (``NX NX``, ``KEEPTTL KEEPTTL``, ``EX 1 EX 2``: the
    last time wins); NX and GET together are allowed in 7.0.
    """
    nx = xx = get = keepttl = persist = False
    kind = None
    expire = None
    n = len(options)
    i = 0
    while i < n:
        u = _option(options[i])
        if u == b"NX" and is_set and not xx:
            nx = True
        elif u == b"XX" and is_set and not nx:
            xx = True
        elif u == b"GET" and is_set:
            get = True
        elif u == b"KEEPTTL" and is_set and not persist and kind is None:
            keepttl = True
        elif u == b"PERSIST" and not is_set and not keepttl and kind is None:
            persist = True
        elif (
            u in _EXPIRE_KINDS
            and not keepttl
            and not persist
            and (kind is None or kind == u)
            and i + 1 < n
        ):
            kind = u
            i += 1
            expire = options[i]
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 1
    return nx, xx, get, keepttl, persist, kind, expire


def _expire_at_ms(ctx: Context, arg: bytes, kind: bytes, fullname: str) -> int:
    """Redis 7.0 getExpireMillisecondsOrReply: the absolute unix time in ms.

    Not an integer -> NOT_AN_INTEGER; 0, negative, more seconds than LLONG_MAX/1000,
    or a relative time whose sum with now overflows int64 (C wraps it negative)
    -> "ERR invalid expire time in '<fullname>' command".
    """
    ms = parse_int(arg)
    seconds = kind == _EX or kind == _EXAT
    if ms <= 0 or (seconds and ms > _MAX_SECONDS):
        raise CommandError(invalid_expire(fullname))
    if seconds:
        ms *= 1000
    if kind == _EX or kind == _PX:
        ms += ctx.now_ms
        if ms > INT64_MAX:
            raise CommandError(invalid_expire(fullname))
    return ms


def proto_max_bulk_len(ctx: Context) -> int:
    """The proto-max-bulk-len in force: the largest string a command may build."""
    dispatcher = ctx.dispatcher
    if dispatcher is None:
        return PROTO_MAX_BULK_LEN
    try:
        return dispatcher.config.get_int(b"proto-max-bulk-len")
    except (KeyError, ValueError):
        return PROTO_MAX_BULK_LEN


def _check_string_length(ctx: Context, size: int, append: int) -> None:
    """Redis 7.0.15 checkStringLength: the resulting string must fit proto-max-bulk-len."""
    if size + append > proto_max_bulk_len(ctx):
        raise CommandError(STRING_TOO_LONG)


# -- GET / SET family ---------------------------------------------------------


@group.command("get", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_get(ctx: Context, key: bytes):
    """GET key"""
    return ctx.db.get_string(key)


@group.command("set", arity=-3, flags="write denyoom", keys=(1, 1, 1))
def cmd_set(ctx: Context, key: bytes, value: bytes, *options: bytes):
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"""
    db = ctx.db
    if not options:
        db.lookup(key)  # expire a due key first, so the write counts as a creation
        db.set_value(key, value)
        ctx.notify("$", b"set", key)
        return OK
    nx, xx, get, keepttl, _, kind, expire = _extended_options(options, True)
    # redis 7.0: the expire time is checked before the GET's type check.
    when = _expire_at_ms(ctx, expire, kind, "set") if kind is not None else None
    if get:
        old = db.get_string(key)  # WRONGTYPE before anything is written
        found = old is not None
    else:
        old = None
        found = db.lookup(key) is not None
    if (nx and found) or (xx and not found):
        return old  # with GET the old value was "already sent"; else null
    db.set_value(key, value, keep_ttl=keepttl)
    ctx.notify("$", b"set", key)
    if when is not None:
        db.set_expire(key, when)  # a time already past expires lazily (redis 7.0)
        ctx.notify("g", b"expire", key)
    return old if get else OK


@group.command("setnx", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_setnx(ctx: Context, key: bytes, value: bytes):
    """SETNX key value"""
    db = ctx.db
    if db.lookup(key) is not None:
        return 0
    db.set_value(key, value)
    ctx.notify("$", b"set", key)
    return 1


def _set_with_expire(ctx: Context, key: bytes, value: bytes, arg: bytes, kind: bytes, fullname: str):
    when = _expire_at_ms(ctx, arg, kind, fullname)
    db = ctx.db
    db.lookup(key)
    db.set_value(key, value)
    ctx.notify("$", b"set", key)
    db.set_expire(key, when)
    ctx.notify("g", b"expire", key)
    return OK


@group.command("setex", arity=4, flags="write denyoom", keys=(1, 1, 1))
def cmd_setex(ctx: Context, key: bytes, seconds: bytes, value: bytes):
    """SETEX key seconds value"""
    return _set_with_expire(ctx, key, value, seconds, _EX, "setex")


@group.command("psetex", arity=4, flags="write denyoom", keys=(1, 1, 1))
def cmd_psetex(ctx: Context, key: bytes, milliseconds: bytes, value: bytes):
    """PSETEX key milliseconds value"""
    return _set_with_expire(ctx, key, value, milliseconds, _PX, "psetex")


@group.command("getset", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_getset(ctx: Context, key: bytes, value: bytes):
    """GETSET key value"""
    db = ctx.db
    old = db.get_string(key)
    db.set_value(key, value)  # drops the TTL, as SET does
    ctx.notify("$", b"set", key)
    return old


@group.command("getdel", arity=2, flags="write fast", keys=(1, 1, 1))
def cmd_getdel(ctx: Context, key: bytes):
    """GETDEL key"""
    db = ctx.db
    value = db.get_string(key)
    if value is not None:
        db.delete(key)
        ctx.notify("g", b"del", key)
    return value


@group.command("getex", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_getex(ctx: Context, key: bytes, *options: bytes):
    """GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"""
    db = ctx.db
    _, _, _, _, persist, kind, expire = _extended_options(options, False)
    value = db.get_string(key)
    if value is None:
        # redis 7.0.15: a missing key is null even when the time is invalid
        # ("GETEX nokey EX 0", "GETEX nokey EX abc").
        return None
    if kind is not None:
        when = _expire_at_ms(ctx, expire, kind, "getex")
        if (kind == _EXAT or kind == _PXAT) and when <= ctx.now_ms:
            db.delete(key)  # an absolute time already past deletes the key
            ctx.notify("g", b"del", key)
        else:
            db.set_expire(key, when)
            db.touch(key)
            ctx.notify("g", b"expire", key)
    elif persist and db.persist(key):
        db.touch(key)
        ctx.notify("g", b"persist", key)
    return value


@group.command("mget", arity=-2, flags="readonly fast", keys=(1, -1, 1))
def cmd_mget(ctx: Context, *keys: bytes):
    """MGET key [key ...]"""
    # A key holding another type reads as null, not WRONGTYPE.
    return [v if isinstance(v, bytes) else None for v in map(ctx.db.lookup, keys)]


@group.command("mset", arity=-3, flags="write denyoom", keys=(1, -1, 2))
def cmd_mset(ctx: Context, *pairs: bytes):
    """MSET key value [key value ...]"""
    if len(pairs) & 1:
        raise CommandError(wrong_arity("mset"))
    db = ctx.db
    if ctx.store.notify_hook is None:
        db.set_many(pairs)
        return OK
    lookup = db.lookup
    set_value = db.set_value
    notify = ctx.notify
    for i in range(0, len(pairs), 2):
        key = pairs[i]
        lookup(key)
        set_value(key, pairs[i + 1])
        notify("$", b"set", key)
    return OK


@group.command("msetnx", arity=-3, flags="write denyoom", keys=(1, -1, 2))
def cmd_msetnx(ctx: Context, *pairs: bytes):
    """MSETNX key value [key value ...]"""
    if len(pairs) & 1:
        raise CommandError(wrong_arity("msetnx"))
    db = ctx.db
    for i in range(0, len(pairs), 2):
        if db.lookup(pairs[i]) is not None:
            return 0
    for i in range(0, len(pairs), 2):
        db.set_value(pairs[i], pairs[i + 1])  # a repeated key: the last value wins
        ctx.notify("$", b"set", pairs[i])
    return 1


# -- in-place edits -----------------------------------------------------------


@group.command("append", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_append(ctx: Context, key: bytes, value: bytes):
    """APPEND key value"""
    db = ctx.db
    old = db.get_string(key)
    if old is None:
        db.set_value(key, value)  # encoded as SET would (int / embstr / raw)
        ctx.notify("$", b"append", key)
        return len(value)
    _check_string_length(ctx, len(old), len(value))
    # redis 7.0.15: even an empty append unshares the value: OBJECT ENCODING raw.
    new = RawString(old + value)
    db.set_value(key, new, keep_ttl=True)
    ctx.notify("$", b"append", key)
    return len(new)


@group.command("strlen", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_strlen(ctx: Context, key: bytes):
    """STRLEN key"""
    value = ctx.db.get_string(key)
    return 0 if value is None else len(value)


@group.command("getrange", arity=4, flags="readonly", keys=(1, 1, 1))
def cmd_getrange(ctx: Context, key: bytes, start: bytes, end: bytes):
    """GETRANGE key start end"""
    # redis 7.0: both indexes are parsed before the key's type is checked.
    first = parse_int(start)
    last = parse_int(end)
    value = ctx.db.get_string(key)
    if value is None:
        return b""
    n = len(value)
    if first < 0 and last < 0 and first > last:
        return b""
    if first < 0:
        first = max(n + first, 0)
    if last < 0:
        last = max(n + last, 0)
    if last >= n:
        last = n - 1
    if first > last or n == 0:
        return b""
    return value[first : last + 1]


@group.command("substr", arity=4, flags="readonly", keys=(1, 1, 1))
def cmd_substr(ctx: Context, key: bytes, start: bytes, end: bytes):
    """SUBSTR key start end"""
    return cmd_getrange(ctx, key, start, end)


@group.command("setrange", arity=4, flags="write denyoom", keys=(1, 1, 1))
def cmd_setrange(ctx: Context, key: bytes, offset: bytes, value: bytes):
    """SETRANGE key offset value"""
    # redis 7.0.15 order: offset parse, offset < 0, then the key (type, empty value,
    # size limit).  Nothing is written for an empty value.
    pos = parse_int(offset)
    if pos < 0:
        raise CommandError(OFFSET_OUT_OF_RANGE)
    db = ctx.db
    old = db.get_string(key)
    if old is None:
        if not value:
            return 0
        _check_string_length(ctx, pos, len(value))
        db.set_value(key, RawString(b"\0" * pos + value))
        ctx.notify("$", b"setrange", key)
        return pos + len(value)
    if not value:
        return len(old)
    _check_string_length(ctx, pos, len(value))
    if pos > len(old):
        new = old + b"\0" * (pos - len(old)) + value
    else:
        new = old[:pos] + value + old[pos + len(value) :]
    db.set_value(key, RawString(new), keep_ttl=True)
    ctx.notify("$", b"setrange", key)
    return len(new)


# -- counters -----------------------------------------------------------------


def _incr_by(ctx: Context, key: bytes, delta: int) -> int:
    """Redis incrDecrCommand: type check, parse the stored value, overflow check."""
    db = ctx.db
    old = db.get_string(key)
    new = delta if old is None else parse_int(old) + delta
    if new > INT64_MAX or new < INT64_MIN:
        raise CommandError(INCR_OVERFLOW)
    db.set_value(key, b"%d" % new, keep_ttl=True)
    ctx.notify("$", b"incrby", key)
    return new


@group.command("incr", arity=2, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_incr(ctx: Context, key: bytes):
    """INCR key"""
    return _incr_by(ctx, key, 1)


@group.command("decr", arity=2, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_decr(ctx: Context, key: bytes):
    """DECR key"""
    return _incr_by(ctx, key, -1)


@group.command("incrby", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_incrby(ctx: Context, key: bytes, increment: bytes):
    """INCRBY key increment"""
    # redis 7.0: the increment is parsed before the key's type is checked.
    return _incr_by(ctx, key, parse_int(increment))


@group.command("decrby", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_decrby(ctx: Context, key: bytes, decrement: bytes):
    """DECRBY key decrement"""
    delta = parse_int(decrement)
    if delta == INT64_MIN:  # its negation does not fit; checked before the key
        raise CommandError(DECREMENT_OVERFLOW)
    return _incr_by(ctx, key, -delta)


@group.command("incrbyfloat", arity=3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_incrbyfloat(ctx: Context, key: bytes, increment: bytes):
    """INCRBYFLOAT key increment"""
    # redis 7.0: type check, then the stored value, then the increment are parsed.
    db = ctx.db
    new = SdsString(incr_by_float(db.get_string(key), increment))
    db.set_value(key, new, keep_ttl=True)
    ctx.notify("$", b"incrbyfloat", key)
    return new


# -- LCS ----------------------------------------------------------------------


@group.command("lcs", arity=-3, flags="readonly", keys=(1, 2, 1))
def cmd_lcs(ctx: Context, key1: bytes, key2: bytes, *options: bytes):
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"""
    db = ctx.db
    a = db.lookup(key1)
    b = db.lookup(key2)
    # redis 7.0: the type check comes before the options are parsed.
    if (a is not None and not isinstance(a, bytes)) or (b is not None and not isinstance(b, bytes)):
        raise CommandError(LCS_NOT_STRINGS)
    a = b"" if a is None else a
    b = b"" if b is None else b
    get_len = get_idx = with_match_len = False
    min_match_len = 0
    i = 0
    n = len(options)
    while i < n:
        u = _option(options[i])
        if u == b"IDX":
            get_idx = True
        elif u == b"LEN":
            get_len = True
        elif u == b"WITHMATCHLEN":
            with_match_len = True
        elif u == b"MINMATCHLEN" and i + 1 < n:
            i += 1
            min_match_len = max(parse_int(options[i]), 0)
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 1
    if get_idx and get_len:
        raise CommandError(LCS_LEN_AND_IDX)
    # Redis allocates an (alen+1) x (blen+1) table of uint32 and refuses one larger
    # than proto-max-bulk-len (512 MiB by default).  The same limit applies here,
    # though kvfake keeps only one bit per cell (see _lcs_table).
    if (len(a) + 1) * (len(b) + 1) * 4 > proto_max_bulk_len(ctx):
        raise CommandError(LCS_TOO_MUCH_MEMORY)
    if get_len and not get_idx:
        return _lcs_length(a, b)
    text, ranges, length = _lcs_walk(a, b, min_match_len, get_idx)
    if not get_idx:
        return text
    matches = []
    for (a_start, a_end, b_start, b_end) in ranges:
        item = [[a_start, a_end], [b_start, b_end]]
        if with_match_len:
            item.append(a_end - a_start + 1)
        matches.append(item)
    return Map([(b"matches", matches), (b"len", length)])


# The LCS table, one bit per cell (Hyyro's bit-parallel LCS).  For prefixes x[:i]
# the vector rows[i] has bit k-1 clear iff LCS(x[:i], y[:k]) = LCS(x[:i], y[:k-1]) + 1,
# so LCS(x[:i], y[:k]) = k - popcount(rows[i] & (2**k - 1)).  One step per byte of
# x costs a few big-int operations over len(y) bits: O(len(x) * len(y) / word)
# time and len(x) * len(y) / 8 bytes for the stored rows (16 MiB at Redis's
# largest accepted table).  The walk back over the table, needed for the string
# and IDX replies, takes O(len(x) + len(y)) steps, each a masked popcount.

_BIT_TABLES: dict = {}


def _match_mask(y: bytes, byte: int) -> int:
    """The int whose bit k is set iff y[k] == byte."""
    table = _BIT_TABLES.get(byte)
    if table is None:
        t = bytearray(b"0" * 256)
        t[byte] = ord("1")
        table = _BIT_TABLES[byte] = bytes(t)
    bits = y.translate(table)[::-1]
    return int(bits, 2) if bits else 0


def _lcs_rows(x: bytes, y: bytes, keep: bool) -> list:
    """The bit vectors of every prefix of x against y (or just the last one)."""
    full = (1 << len(y)) - 1
    masks = {c: _match_mask(y, c) for c in set(x)}
    v = full
    rows = [v] if keep else None
    for c in x:
        u = v & masks[c]
        v = ((v + u) | (v - u)) & full
        if keep:
            rows.append(v)
    return rows if keep else [v]


def _lcs_length(a: bytes, b: bytes) -> int:
    x, y = (a, b) if len(a) <= len(b) else (b, a)
    return len(y) - _lcs_rows(x, y, False)[0].bit_count()


def _lcs_walk(a: bytes, b: bytes, min_match_len: int, want_ranges: bool):
    """Redis's walk back from (len(a), len(b)): the LCS string, the match ranges, the length.

    Same path as Redis 7.0 (on a tie it moves along b), so the string and the
    ranges (last match first, each (a_start, a_end, b_start, b_end)) are byte-exact.
    """
    alen, blen = len(a), len(b)
    if alen <= blen:
        rows = _lcs_rows(a, b, True)

        def lcs(i: int, j: int) -> int:
            return j - (rows[i] & ((1 << j) - 1)).bit_count()

    else:
        cols = _lcs_rows(b, a, True)

        def lcs(i: int, j: int) -> int:
            return i - (cols[j] & ((1 << i) - 1)).bit_count()

    length = lcs(alen, blen)
    out = bytearray(length)
    idx = length
    ranges = []
    i, j = alen, blen
    # A range in progress: a_start == alen means "none".
    a_start, a_end, b_start, b_end = alen, 0, 0, 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            out[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1  # contiguous: extend the range backwards
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if lcs(i - 1, j) > lcs(i, j - 1):
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            if want_ranges and (min_match_len == 0 or a_end - a_start + 1 >= min_match_len):
                ranges.append((a_start, a_end, b_start, b_end))
            a_start = alen
    return bytes(out), ranges, length
