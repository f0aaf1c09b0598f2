"""Command grammar for the differential fuzzer: hypothesis strategies that produce well-formed argv lists.

One strategy per command (``STRINGS``, ``KEYSPACE``, ``BITMAPS``, ``HASHES``, ``LISTS``, ``SETS``,
``ZSETS``, ``HLL``: name -> strategy), each drawing

- keys from a pool of four (``KEYS``), so commands collide, overwrite each other and hit WRONGTYPE;
- values and members from small pools plus edge cases: binary, empty, int64 bounds, ``"1.5"``, ``"inf"``,
  ``"-0"``, ``" 1"``, ``"01"``, a 65-byte member (past Redis's 64-byte listpack limit), and now and then
  130 members in one command (past the 128-entry listpack limit);
- options in random order, in valid and slightly invalid combinations (a missing argument, a clashing
  option, a lower-case token, a number where a word belongs).

Everything is deterministic within one run of a few seconds: relative expiries are huge (``TTL_SECONDS``,
``TTL_MS``: at least a day), absolute ones are either in the past or far in the future (``AT_SECONDS``,
``AT_MS``), and GT/LT only ever combine with absolute times, because ``EXPIRE k 100000 GT`` twice gives 1 or 0
depending on whether a millisecond passed in between. Random commands (SPOP, SRANDMEMBER, HRANDFIELD,
ZRANDMEMBER, RANDOMKEY) are generated; the test compares them by shape and membership (``RANDOM``).
Left out: blocking commands, OBJECT IDLETIME/FREQ (access tracking is a documented difference), SCAN
cursors other than 0 (kvfake's cursors are its own), anything server-wide (CONFIG, DEBUG, FLUSHALL, INFO).

``argv`` elements are ``bytes``; strategies shrink towards the first key, the first value and no options,
so a failing sequence shrinks to something that reads like a bug report.

Imports: hypothesis.  Never: kvfake (the grammar describes Redis, not kvfake).
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["KEYS", "GROUPS", "RANDOM", "TTL_COMMANDS", "command", "commands", "lex_source", "to_bytes"]

# ----------------------------------------------------------------------------------------- atoms

KEYS = (b"k1", b"k2", b"k3", b"k\xff\x00")
INT64_MAX = b"9223372036854775807"
INT64_MIN = b"-9223372036854775808"

NUMERIC_EDGES = (b"0", b"-1", b"1", INT64_MAX, INT64_MIN, b"9223372036854775808", b"1.5", b"-1.5",
                 b"inf", b"-inf", b"+inf", b"nan", b"-0", b" 1", b"01", b"1e3", b"0x10", b"+1", b"1 ",
                 b"10", b"3.0", b"1e400", b"4611686018427387904", b"-9223372036854775807", b"5e-324",
                 b"0.1", b"1.7976931348623157e308")
PLAIN_VALUES = (b"v", b"", b"hello", b"\x00\xff\r\n", b"x" * 65, b"HYLL", b"123456789012345678901",
                b"y" * 44, b"y" * 45, b"12345678901234567890", b"-0.0", b"00", b"10000", b"9999")
MEMBERS = (b"m1", b"m2", b"m3", b"1", b"2", b"-3", b"", b"a", b"b\x00", b"x" * 65, b"1.5", b"\xff")
FIELDS = (b"f1", b"f2", b"f3", b"1", b"", b"x" * 65, b"\xfe")

# relative expiries: never reached during a run; distinct by far more than a run lasts
TTL_SECONDS = (b"100000", b"3000000", b"0", b"-1", b"x", b"1.5", INT64_MAX, b"9223372036854775",
               b"9223372036854776", b"")
TTL_MS = (b"200000000", b"5000000000", b"0", b"-5", b"1.5", INT64_MAX, INT64_MIN, b"abc")
# absolute: in the past (the key goes) or past year 2096; EXPIREAT s and PEXPIREAT s*1000 coincide
AT_SECONDS = (b"4000000000", b"1", b"4100000000", b"0", b"-1", INT64_MAX, b"9223372036854775", b"z")
AT_MS = (b"4000000000000", b"1", b"4100000000000", b"0", b"-1", INT64_MAX, b"1.5")

SMALL_INTS = (b"0", b"1", b"-1", b"2", b"-2", b"3", b"5", b"-5", b"10", b"100", b"-100", INT64_MAX,
              INT64_MIN, b"x", b"1.5", b"01", b"", b"4294967296")
COUNTS = (b"1", b"2", b"0", b"-1", b"3", b"-3", b"10", b"1000", b"-1000", INT64_MAX, INT64_MIN, b"x",
          b"1.5", b"4611686018427387904", b"-4611686018427387904", b"-9223372036854775807")

# no huge negative counts here: see random_count
RANDOM_COUNTS = (b"-1000", b"1000", INT64_MAX, INT64_MIN, b"x", b"1.5", b"4611686018427387904")


def to_bytes(part) -> bytes:
    if isinstance(part, bytes):
        return part
    if isinstance(part, int):
        return b"%d" % part
    return part.encode()


def _flatten(parts, out: list) -> list:
    for part in parts:
        if isinstance(part, (tuple, list)):
            _flatten(part, out)
        else:
            out.append(to_bytes(part))
    return out


def _s(part) -> st.SearchStrategy:
    return part if isinstance(part, st.SearchStrategy) else st.just(part)


def command(*parts) -> st.SearchStrategy:
    """An argv strategy: each part a constant, a strategy, or a tuple/list of them (flattened)."""
    return st.tuples(*map(_s, parts)).map(lambda drawn: _flatten(drawn, []))


def opt(*parts) -> st.SearchStrategy:
    """Nothing, or the parts (shrinks to nothing)."""
    return st.one_of(st.just(()), command(*parts))


def word(token: str) -> st.SearchStrategy:
    """An option token, now and then in lower or mixed case (shrinks to upper case)."""
    up = token.encode()
    return st.sampled_from((up, up.lower(), up[:1] + up[1:].lower()) if len(up) > 1 else (up, up.lower()))


def shuffled(*parts) -> st.SearchStrategy:
    """Each part drawn (strategies or constants), then put in a random order."""
    return st.tuples(*map(_s, parts)).flatmap(lambda drawn: st.permutations(list(drawn)))


def options(*alternatives, max_size: int = 3) -> st.SearchStrategy:
    """Up to ``max_size`` options in any order, repeats allowed (``alternatives``: argv-part tuples)."""
    return st.lists(st.one_of(*[command(*a) for a in alternatives]), max_size=max_size)


def some(strategy, min_size: int = 1, max_size: int = 4) -> st.SearchStrategy:
    return st.lists(strategy, min_size=min_size, max_size=max_size)


def mostly(valid, edges) -> st.SearchStrategy:
    """``valid`` three times in four, else ``edges`` (tuples become sampled_from; shrinks to valid)."""
    valid = st.sampled_from(valid) if isinstance(valid, tuple) else valid
    edges = st.sampled_from(edges) if isinstance(edges, tuple) else edges
    return st.one_of(valid, valid, valid, edges)


key = st.sampled_from(KEYS)
keys = some(key)
numeric = st.sampled_from(NUMERIC_EDGES)
value = st.one_of(
    st.sampled_from(PLAIN_VALUES),
    numeric,
    st.integers(-20, 20).map(to_bytes),
    st.binary(max_size=8),
)
member = st.one_of(st.sampled_from(MEMBERS), st.integers(-5, 300).map(to_bytes))
members = st.one_of(
    some(member),
    st.just([b"m%d" % i for i in range(130)]),          # a listpack/intset -> hashtable conversion
    st.just([b"%d" % i for i in range(600)]),            # past set-max-intset-entries (512)
)
field = st.one_of(st.sampled_from(FIELDS), st.integers(0, 5).map(lambda i: b"f%d" % i))
small_int = mostly(st.integers(-6, 12).map(to_bytes), SMALL_INTS)
count = mostly(st.integers(-3, 5).map(to_bytes), COUNTS)
# SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: a huge negative count makes redis build the whole reply (gigabytes;
# kvfake refuses below -10000000, a documented difference), so only counts both answer alike
random_count = mostly(st.integers(-3, 5).map(to_bytes), RANDOM_COUNTS)
increment = mostly(st.integers(-10, 10).map(to_bytes), NUMERIC_EDGES)
float_increment = mostly((b"1.5", b"-0.25", b"1e2", b"3", b"-2", b"0.1", b"10.50"), NUMERIC_EDGES)
db = mostly((b"1", b"0"), (b"16", b"-1", b"x", b"15"))
pattern = st.sampled_from((b"*", b"k?", b"k[12]", b"k[^1]*", b"*2", b"\\*", b"k[", b"[a-", b"", b"k*\xff*",
                           b"m*", b"f?", b"*1*", b"[!m]*", b"?"))
score = st.one_of(
    st.sampled_from((b"1", b"2", b"0", b"-1", b"1.5", b"-0", b"inf", b"-inf", b"+inf", b"nan", b"1e400",
                     b"x", b"", b" 1", b"1e-5", b"9007199254740993", b"0x10", b"-2.5e3")),
    st.integers(-3, 3).map(to_bytes),
)
score_bound = st.one_of(score, st.sampled_from((b"(1", b"(1.5", b"(-inf", b"(+inf", b"((1", b"(", b"[1")))
lex_bound = st.sampled_from((b"-", b"+", b"[a", b"(a", b"[m1", b"(m2", b"[", b"(", b"a", b"[\xff", b"[x"))
rank = mostly(st.integers(-4, 4).map(to_bytes), (b"-100", b"100", INT64_MAX, INT64_MIN, b"x", b"1.5"))
direction = mostly(word("LEFT") | word("RIGHT"), (b"UP",))
numkeys_and_keys = mostly(
    keys.map(lambda ks: [b"%d" % len(ks), *ks]),
    st.tuples(st.sampled_from((b"0", b"-1", b"x", b"5", b"2")), keys).map(lambda t: [t[0], *t[1]]),
)
ttl_s = mostly(TTL_SECONDS[:2], TTL_SECONDS)
ttl_ms = mostly(TTL_MS[:2], TTL_MS)
at_s = mostly(AT_SECONDS[:3], AT_SECONDS)
at_ms = mostly(AT_MS[:3], AT_MS)



def scan(prefix, *extra) -> st.SearchStrategy:
    """A SCAN-family call that finishes in one call (cursor 0, COUNT 1000: the cursors and batches of a
    hashtable are kvfake's own, a documented difference), or one that fails on a bad cursor or option."""
    whole = command(*prefix, b"0", shuffled(command(word("COUNT"), b"1000"), opt(word("MATCH"), pattern), *extra))
    failing = st.one_of(
        command(*prefix, st.sampled_from((b"x", b"18446744073709551616", b" 0", b"")), b"COUNT", b"1000"),
        command(*prefix, b"0", word("COUNT"), st.sampled_from((b"0", b"-1", b"x", b""))),
        command(*prefix, b"0", b"COUNT", b"1000", st.sampled_from((b"MATCH", b"COUNT", b"BOGUS", b"NOVALUES"))),
    )
    return mostly(whole, failing)


# ----------------------------------------------------------------------------------------- strings

_set_options = options(
    (word("NX"),), (word("XX"),), (word("GET"),), (word("EX"), ttl_s), (word("PX"), ttl_ms),
    (word("EXAT"), at_s), (word("PXAT"), at_ms), (word("KEEPTTL"),), (word("EX"),), (b"FOO",),
)
_getex_options = options(
    (word("EX"), ttl_s), (word("PX"), ttl_ms), (word("EXAT"), at_s), (word("PXAT"), at_ms),
    (word("PERSIST"),), (word("EX"),), (b"NX",), max_size=2,
)
_lcs_options = options(
    (word("LEN"),), (word("IDX"),), (word("MINMATCHLEN"), small_int), (word("WITHMATCHLEN"),),
    (word("MINMATCHLEN"),), (b"BOGUS",),
)
string_value = st.one_of(value, st.sampled_from((b"ohmytext", b"mynewtext", b"abcdefgh", b"text")))

STRINGS = {
    "SET": command(b"SET", key, string_value, _set_options),
    "GET": command(b"GET", key),
    "GETSET": command(b"GETSET", key, string_value),
    "GETDEL": command(b"GETDEL", key),
    "GETEX": command(b"GETEX", key, _getex_options),
    "SETNX": command(b"SETNX", key, string_value),
    "SETEX": command(b"SETEX", key, ttl_s, string_value),
    "PSETEX": command(b"PSETEX", key, ttl_ms, string_value),
    "MSET": command(b"MSET", some(st.tuples(key, string_value), max_size=3)),
    "MSET-odd": command(b"MSET", key, string_value, key),
    "MSETNX": command(b"MSETNX", some(st.tuples(key, string_value), max_size=3)),
    "MGET": command(b"MGET", keys),
    "APPEND": command(b"APPEND", key, string_value),
    "STRLEN": command(b"STRLEN", key),
    "INCR": command(b"INCR", key),
    "DECR": command(b"DECR", key),
    "INCRBY": command(b"INCRBY", key, increment),
    "DECRBY": command(b"DECRBY", key, increment),
    "INCRBYFLOAT": command(b"INCRBYFLOAT", key, float_increment),
    "GETRANGE": command(b"GETRANGE", key, small_int, small_int),
    "SUBSTR": command(b"SUBSTR", key, small_int, small_int),
    "SETRANGE": command(b"SETRANGE", key,
                        mostly((b"0", b"1", b"5", b"3"), (b"-1", b"100", b"536870912", b"x")),
                        string_value),
    "LCS": command(b"LCS", key, key, _lcs_options),
}

# ----------------------------------------------------------------------------------------- keyspace

_rel_expire_flags = st.sampled_from(((), (b"NX",), (b"XX",), (b"nx",), (b"NX", b"XX"), (b"GT", b"LT"),
                                     (b"NX", b"GT"), (b"FOO",), (b"XX", b"XX")))
_abs_expire_flags = st.lists(st.sampled_from((b"NX", b"XX", b"GT", b"LT", b"gt", b"BAR")), max_size=2)

KEYSPACE = {
    "DEL": command(b"DEL", keys),
    "UNLINK": command(b"UNLINK", keys),
    "EXISTS": command(b"EXISTS", keys),
    "TOUCH": command(b"TOUCH", keys),
    "TYPE": command(b"TYPE", key),
    "KEYS": command(b"KEYS", pattern),
    "RENAME": command(b"RENAME", key, key),
    "RENAMENX": command(b"RENAMENX", key, key),
    "COPY": command(b"COPY", key, key, options((word("DB"), db), (word("REPLACE"),), (word("DB"),), max_size=2)),
    "MOVE": command(b"MOVE", key, db),
    "EXPIRE": command(b"EXPIRE", key, ttl_s, _rel_expire_flags),
    "PEXPIRE": command(b"PEXPIRE", key, ttl_ms, _rel_expire_flags),
    "EXPIREAT": command(b"EXPIREAT", key, at_s, _abs_expire_flags),
    "PEXPIREAT": command(b"PEXPIREAT", key, at_ms, _abs_expire_flags),
    "PERSIST": command(b"PERSIST", key),
    "TTL": command(b"TTL", key),
    "PTTL": command(b"PTTL", key),
    "EXPIRETIME": command(b"EXPIRETIME", key),
    "PEXPIRETIME": command(b"PEXPIRETIME", key),
    "OBJECT-ENCODING": command(b"OBJECT", word("ENCODING"), key),
    "OBJECT-REFCOUNT": command(b"OBJECT", b"REFCOUNT", key),
    "RANDOMKEY": st.just([b"RANDOMKEY"]),
    "SCAN": scan((b"SCAN",), opt(word("TYPE"), st.sampled_from((b"string", b"list", b"set", b"zset", b"hash",
                                                                   b"nosuch")))),
    "SELECT": command(b"SELECT", st.sampled_from((b"1", b"0"))),
    "SWAPDB": command(b"SWAPDB", mostly((b"0", b"1"), (b"16", b"x")), st.sampled_from((b"1", b"0"))),
    "DBSIZE": st.just([b"DBSIZE"]),
}

# ----------------------------------------------------------------------------------------- bitmaps

bit_offset = mostly(st.integers(0, 40).map(to_bytes), (b"100", b"-1", b"4294967296", b"x", b"1.5", b"63"))
bit = mostly((b"1", b"0"), (b"2", b"-1", b"x", b""))
bit_encoding = mostly((b"u8", b"i8", b"u1", b"i64", b"u63", b"i16", b"i1", b"u4", b"i5"),
                      (b"u64", b"i65", b"x8", b"u0", b"U8", b"i0"))
bitfield_offset = mostly((b"0", b"7", b"#1", b"#0", b"13", b"3", b"#2"), (b"-1", b"#-1", b"x", b"100", b"4294967296"))
_bitfield_ops = st.lists(st.one_of(
    command(word("GET"), bit_encoding, bitfield_offset),
    command(word("SET"), bit_encoding, bitfield_offset, numeric),
    command(word("INCRBY"), bit_encoding, bitfield_offset, numeric),
    command(word("OVERFLOW"), st.sampled_from((b"WRAP", b"SAT", b"FAIL", b"fail", b"BAD"))),
    command(st.sampled_from((b"GET", b"SET", b"NOPE"))),
), max_size=4)
_byte_or_bit = st.sampled_from(((), (b"BYTE",), (b"BIT",), (b"bit",), (b"WORD",)))

BITMAPS = {
    "SETBIT": command(b"SETBIT", key, bit_offset, bit),
    "GETBIT": command(b"GETBIT", key, bit_offset),
    "BITCOUNT": command(b"BITCOUNT", key, opt(small_int, small_int, _byte_or_bit)),
    "BITCOUNT-one": command(b"BITCOUNT", key, small_int),
    "BITPOS": command(b"BITPOS", key, bit, opt(small_int, opt(small_int, _byte_or_bit))),
    "BITOP": command(b"BITOP", mostly((b"AND", b"OR", b"XOR", b"or"), (b"NOT", b"not", b"NAND")), key, keys),
    "BITOP-NOT": command(b"BITOP", word("NOT"), key, key),
    "BITFIELD": command(b"BITFIELD", key, _bitfield_ops),
    "BITFIELD_RO": command(b"BITFIELD_RO", key,
                           st.lists(st.one_of(command(word("GET"), bit_encoding, bitfield_offset),
                                              command(b"SET", bit_encoding, bitfield_offset, b"1")), max_size=3)),
}

# ----------------------------------------------------------------------------------------- hashes

hash_value = st.one_of(value, st.sampled_from((b"10", b"1.5", b"x" * 70)))

HASHES = {
    "HSET": command(b"HSET", key, some(st.tuples(field, hash_value))),
    "HSET-big": command(b"HSET", key, st.just([[b"f%d" % i, b"v"] for i in range(130)])),
    "HSET-odd": command(b"HSET", key, field, hash_value, field),
    "HMSET": command(b"HMSET", key, some(st.tuples(field, hash_value), max_size=2)),
    "HSETNX": command(b"HSETNX", key, field, hash_value),
    "HGET": command(b"HGET", key, field),
    "HMGET": command(b"HMGET", key, some(field)),
    "HGETALL": command(b"HGETALL", key),
    "HDEL": command(b"HDEL", key, some(field)),
    "HEXISTS": command(b"HEXISTS", key, field),
    "HLEN": command(b"HLEN", key),
    "HKEYS": command(b"HKEYS", key),
    "HVALS": command(b"HVALS", key),
    "HSTRLEN": command(b"HSTRLEN", key, field),
    "HINCRBY": command(b"HINCRBY", key, field, increment),
    "HINCRBYFLOAT": command(b"HINCRBYFLOAT", key, field, float_increment),
    "HRANDFIELD": command(b"HRANDFIELD", key, opt(random_count, opt(word("WITHVALUES")))),
    "HSCAN": scan((b"HSCAN", key)),
}

# ----------------------------------------------------------------------------------------- lists

list_element = st.one_of(member, st.sampled_from((b"pivot", b"x" * 70)))

LISTS = {
    "LPUSH": command(b"LPUSH", key, some(list_element)),
    "RPUSH": command(b"RPUSH", key, some(list_element)),
    "RPUSH-big": command(b"RPUSH", key, st.just([b"e%d" % i for i in range(130)])),
    "LPUSHX": command(b"LPUSHX", key, some(list_element, max_size=2)),
    "RPUSHX": command(b"RPUSHX", key, some(list_element, max_size=2)),
    "LPOP": command(b"LPOP", key, opt(count)),
    "RPOP": command(b"RPOP", key, opt(count)),
    "LLEN": command(b"LLEN", key),
    "LRANGE": command(b"LRANGE", key, rank, rank),
    "LINDEX": command(b"LINDEX", key, rank),
    "LSET": command(b"LSET", key, rank, list_element),
    "LINSERT": command(b"LINSERT", key, mostly(word("BEFORE") | word("AFTER"), (b"MIDDLE",)),
                       list_element, list_element),
    "LREM": command(b"LREM", key, rank, list_element),
    "LTRIM": command(b"LTRIM", key, rank, rank),
    "LPOS": command(b"LPOS", key, list_element,
                    options((word("RANK"), rank), (word("COUNT"), count), (word("MAXLEN"), count), (b"RANK",))),
    "LMOVE": command(b"LMOVE", key, key, direction, direction),
    "RPOPLPUSH": command(b"RPOPLPUSH", key, key),
    "LMPOP": command(b"LMPOP", numkeys_and_keys, direction,
                     options((word("COUNT"), count), (b"COUNT",), max_size=2)),
}

# ----------------------------------------------------------------------------------------- sets

SETS = {
    "SADD": command(b"SADD", key, members),
    "SREM": command(b"SREM", key, some(member)),
    "SMEMBERS": command(b"SMEMBERS", key),
    "SISMEMBER": command(b"SISMEMBER", key, member),
    "SMISMEMBER": command(b"SMISMEMBER", key, some(member)),
    "SCARD": command(b"SCARD", key),
    "SPOP": command(b"SPOP", key, opt(count)),
    "SRANDMEMBER": command(b"SRANDMEMBER", key, opt(random_count)),
    "SMOVE": command(b"SMOVE", key, key, member),
    "SINTER": command(b"SINTER", keys),
    "SUNION": command(b"SUNION", keys),
    "SDIFF": command(b"SDIFF", keys),
    "SINTERSTORE": command(b"SINTERSTORE", key, keys),
    "SUNIONSTORE": command(b"SUNIONSTORE", key, keys),
    "SDIFFSTORE": command(b"SDIFFSTORE", key, keys),
    "SINTERCARD": command(b"SINTERCARD", numkeys_and_keys,
                          options((word("LIMIT"), count), (b"LIMIT",), max_size=2)),
    "SSCAN": scan((b"SSCAN", key)),
}

# ----------------------------------------------------------------------------------------- sorted sets

_zadd_flags = st.lists(st.sampled_from((b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch", b"gt")), max_size=3)
_score_members = st.one_of(
    some(st.tuples(score, member)),
    st.just([[b"%d" % i, b"m%d" % i] for i in range(130)]),       # listpack -> skiplist
    st.just([[b"0", b"m%d" % i] for i in range(130)]),            # the same, all one score (lex ranges)
)
_limit = (word("LIMIT"), rank, count)
_withscores = (word("WITHSCORES"),)
_aggregate = (word("AGGREGATE"), st.sampled_from((b"SUM", b"MIN", b"MAX", b"min", b"AVG")))
_weights = (word("WEIGHTS"), some(score, max_size=3))
_zrange_options = options((word("BYSCORE"),), (word("BYLEX"),), (word("REV"),), _limit, _withscores, (b"LIMIT",))


def _zrange_args(argv_prefix):
    """The three valid forms (by index, BYSCORE, BYLEX; options in any order), or any mix of bounds and options."""
    rev, withscores = opt(word("REV")), opt(*_withscores)
    by_index = command(*argv_prefix, rank, rank, shuffled(rev, withscores))
    by_score = command(*argv_prefix, score_bound, score_bound,
                       shuffled(word("BYSCORE"), rev, withscores, opt(*_limit)))
    by_lex = command(*argv_prefix, lex_bound, lex_bound, shuffled(word("BYLEX"), rev, opt(*_limit)))
    bound = st.one_of(score_bound, lex_bound, rank)
    return mostly(st.one_of(by_index, by_score, by_lex), command(*argv_prefix, bound, bound, _zrange_options))


@st.composite
def _weighted_keys(draw, with_aggregate: bool = True):
    """numkeys key... [WEIGHTS w...] [AGGREGATE x] [WITHSCORES]: mostly as many weights as keys."""
    ks = draw(keys)
    head = draw(mostly(st.just([b"%d" % len(ks), *ks]), numkeys_and_keys))
    weights = draw(mostly(st.lists(mostly(st.integers(-2, 3).map(to_bytes), score), min_size=len(ks),
                                   max_size=len(ks)), some(score, max_size=3)))
    parts = [draw(opt(word("WEIGHTS"), st.just(weights))), draw(opt(*_aggregate))]
    if with_aggregate:
        parts.append(draw(opt(*_withscores)))
    return head + _flatten(draw(st.permutations(parts)), [])


ZSETS = {
    "ZADD": command(b"ZADD", key, _zadd_flags, _score_members),
    "ZADD-odd": command(b"ZADD", key, score, member, score),
    "ZINCRBY": command(b"ZINCRBY", key, score, member),
    "ZSCORE": command(b"ZSCORE", key, member),
    "ZMSCORE": command(b"ZMSCORE", key, some(member)),
    "ZCARD": command(b"ZCARD", key),
    "ZCOUNT": command(b"ZCOUNT", key, score_bound, score_bound),
    "ZLEXCOUNT": command(b"ZLEXCOUNT", key, lex_bound, lex_bound),
    "ZRANGE": _zrange_args((b"ZRANGE", key)),
    "ZRANGESTORE": _zrange_args((b"ZRANGESTORE", key, key)),
    "ZRANGEBYSCORE": command(b"ZRANGEBYSCORE", key, score_bound, score_bound, options(_withscores, _limit)),
    "ZREVRANGEBYSCORE": command(b"ZREVRANGEBYSCORE", key, score_bound, score_bound, options(_withscores, _limit)),
    "ZRANGEBYLEX": command(b"ZRANGEBYLEX", key, lex_bound, lex_bound, options(_limit, max_size=1)),
    "ZREVRANGEBYLEX": command(b"ZREVRANGEBYLEX", key, lex_bound, lex_bound, options(_limit, max_size=1)),
    "ZREVRANGE": command(b"ZREVRANGE", key, rank, rank, options(_withscores, max_size=1)),
    "ZRANK": command(b"ZRANK", key, member),
    "ZREVRANK": command(b"ZREVRANK", key, member),
    "ZREM": command(b"ZREM", key, some(member)),
    "ZREMRANGEBYRANK": command(b"ZREMRANGEBYRANK", key, rank, rank),
    "ZREMRANGEBYSCORE": command(b"ZREMRANGEBYSCORE", key, score_bound, score_bound),
    "ZREMRANGEBYLEX": command(b"ZREMRANGEBYLEX", key, lex_bound, lex_bound),
    "ZPOPMIN": command(b"ZPOPMIN", key, opt(count)),
    "ZPOPMAX": command(b"ZPOPMAX", key, opt(count)),
    "ZMPOP": command(b"ZMPOP", numkeys_and_keys, mostly(word("MIN") | word("MAX"), (b"MID",)),
                     options((word("COUNT"), count), (b"COUNT",), max_size=2)),
    "ZUNION": command(b"ZUNION", mostly(_weighted_keys(), command(numkeys_and_keys, options(_weights, _aggregate, _withscores)))),
    "ZINTER": command(b"ZINTER", mostly(_weighted_keys(), command(numkeys_and_keys, options(_weights, _aggregate, _withscores)))),
    "ZDIFF": command(b"ZDIFF", numkeys_and_keys, options(_withscores, max_size=1)),
    "ZUNIONSTORE": command(b"ZUNIONSTORE", key, mostly(_weighted_keys(False), command(numkeys_and_keys, options(_weights, _aggregate, max_size=2)))),
    "ZINTERSTORE": command(b"ZINTERSTORE", key, mostly(_weighted_keys(False), command(numkeys_and_keys, options(_weights, _aggregate, max_size=2)))),
    "ZDIFFSTORE": command(b"ZDIFFSTORE", key, numkeys_and_keys),
    "ZINTERCARD": command(b"ZINTERCARD", numkeys_and_keys, options((word("LIMIT"), count), max_size=1)),
    "ZRANDMEMBER": command(b"ZRANDMEMBER", key, opt(random_count, opt(word("WITHSCORES")))),
    "ZSCAN": scan((b"ZSCAN", key)),
}

# ----------------------------------------------------------------------------------------- hyperloglog

hll_element = st.one_of(member, st.integers(0, 20000).map(to_bytes))

HLL = {
    "PFADD": command(b"PFADD", key, st.lists(hll_element, max_size=4)),
    "PFADD-many": command(b"PFADD", key, st.tuples(st.integers(0, 5), st.sampled_from((300, 2500))).map(
        lambda t: [b"e%d-%d" % (t[0], i) for i in range(t[1])])),   # sparse -> dense past 3000 bytes
    "PFCOUNT": command(b"PFCOUNT", keys),
    "PFMERGE": command(b"PFMERGE", key, st.lists(key, max_size=3)),
    "PFDEBUG": command(b"PFDEBUG", st.sampled_from((b"ENCODING", b"TODENSE", b"DECODE", b"GETREG", b"NOPE")), key),
    "GET": command(b"GET", key),
    "SET-hyll": command(b"SET", key, st.sampled_from((b"HYLL", b"HYLL\x01\x00\x00\x00", b"HYLLxxxxxxxxxxxxxxxx"))),
}

# ----------------------------------------------------------------------------------------- mixing

# A few writers of every type, mixed into each group's sequences so keys change type under it.
MIXERS = {
    "SET": command(b"SET", key, value),
    "RPUSH": command(b"RPUSH", key, some(member, max_size=2)),
    "SADD": command(b"SADD", key, some(member, max_size=2)),
    "HSET": command(b"HSET", key, field, value),
    "ZADD": command(b"ZADD", key, score, member),
    "PFADD": command(b"PFADD", key, member),
    "DEL": command(b"DEL", key),
    "TYPE": command(b"TYPE", key),
    "OBJECT-ENCODING": command(b"OBJECT", b"ENCODING", key),
}

GROUPS = {
    "strings": STRINGS,
    "keyspace": KEYSPACE,
    "bitmaps": BITMAPS,
    "hashes": HASHES,
    "lists": LISTS,
    "sets": SETS,
    "zsets": ZSETS,
    "hyperloglog": HLL,
}

#: commands whose replies are random: compared by shape, and their elements must be members of the key
RANDOM = frozenset({b"RANDOMKEY", b"SPOP", b"SRANDMEMBER", b"HRANDFIELD", b"ZRANDMEMBER"})
#: commands whose integer replies depend on the time of the call: compared with a tolerance
TTL_COMMANDS = {b"TTL": 2, b"EXPIRETIME": 2, b"PTTL": 2000, b"PEXPIRETIME": 2000}


def lex_source(argv) -> "bytes | None":
    """The sorted set a lexicographic range command reads, or None for other commands. Redis leaves lex
    ranges over members of different scores unspecified (a skiplist's answer depends on its random levels),
    so the fuzzer runs these only while the key's members share one score."""
    name = argv[0].upper()
    if name in (b"ZLEXCOUNT", b"ZRANGEBYLEX", b"ZREVRANGEBYLEX", b"ZREMRANGEBYLEX") and len(argv) > 1:
        return argv[1]
    if name in (b"ZRANGE", b"ZRANGESTORE") and any(a.upper() == b"BYLEX" for a in argv):
        at = 1 if name == b"ZRANGE" else 2
        return argv[at] if len(argv) > at else None
    return None


def commands(group: str) -> st.SearchStrategy:
    """One command of ``group`` (or of every group for ``"mixed"``), or now and then a type mixer."""
    if group == "mixed":
        table = {name: s for g in GROUPS.values() for name, s in g.items()}
        return st.one_of(*table.values())
    own = st.one_of(*GROUPS[group].values())
    delete = MIXERS["DEL"]      # frees keys that a mixer turned into another type
    return st.one_of(*[own] * 12, delete, delete, st.one_of(*MIXERS.values()))
