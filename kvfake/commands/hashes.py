"""Hash commands (Redis group "hash"): HSET HGET HDEL ... HINCRBYFLOAT HRANDFIELD HSCAN.

Imports: kvfake.commands.registry/context/args/keys, kvfake.errors, kvfake.protocol.replies,
kvfake.store.values, kvfake.store.glob.  Never: socket, selectors, protocol.encoder.

A hash is a :class:`kvfake.store.values.Hash` (a dict of field -> value bytes).
Its OBJECT ENCODING follows Redis 7.0.15's one-way conversion from listpack to
hashtable (``Hash.big``): HSET/HMSET/HSETNX convert before writing when any
field or value argument is longer than ``hash-max-listpack-value``, HINCRBY and
HINCRBYFLOAT when the field or the new value is; any write converts once the hash
holds more than ``hash-max-listpack-entries`` fields.  Both limits are read from
CONFIG at each write, as Redis reads its globals.

Order: a listpack keeps fields in insertion order (an update keeps the field's
place, HDEL closes the gap), and so does a Python dict, so HGETALL, HKEYS, HVALS,
HSCAN and a whole-hash HRANDFIELD of a listpack hash list fields exactly as Redis
does.  A hashtable hash lists them in kvfake's order (Redis's depends on its dict).

HSCAN: a listpack hash comes back whole with cursor 0 (as Redis); a hashtable
hash is scanned with the keyspace SCAN machinery (``keys.scan_dict``: fields in
the order of a 64-bit hash of the field, the cursor being the next field's hash,
so a field present for the whole scan is returned exactly once); the index is
cached on the hash (``Hash.scan_index``) and rebuilt by every call with cursor 0.

HRANDFIELD picks with ``ctx.store.rng``.  A negative count asks for |count|
fields with repetitions whatever the hash's size; Redis 7.0.15 tries to produce
them all (and loses the connection near -2**62 WITHVALUES), kvfake refuses more
than ``MAX_RANDOM_FIELDS`` with ``RANDOM_COUNT_TOO_LARGE`` (protocol_spec.md §3).
Random picks cost O(1) each (``Hash.field_list``: positions kept from the first pick on).

Keyspace events (``ctx.notify``) as t_hash.c: hset (HSET, HMSET, HSETNX), hdel
then del when the hash empties, hincrby, hincrbyfloat.
"""

from __future__ import annotations

from kvfake.commands.args import (
    INT64_MAX,
    INT64_MIN,
    LD_ZERO,
    add_long_double,
    format_long_double,
    parse_int,
    parse_long_double,
    parse_range_int,
)
from kvfake.commands.context import Context
from kvfake.commands.keys import c_token, parse_cursor, parse_scan_options, scan_dict
from kvfake.commands.registry import CommandGroup
from kvfake.errors import INCR_OVERFLOW, NOT_A_FLOAT, SYNTAX_ERROR, CommandError, wrong_arity
from kvfake.protocol.replies import OK, Map
from kvfake.store.glob import matcher
from kvfake.store.values import Hash

group = CommandGroup("hash")

# -- error texts used only here (Redis 7.0.15 wording) ----------------------

HASH_VALUE_NOT_INTEGER = "ERR hash value is not an integer"
HASH_VALUE_NOT_FLOAT = "ERR hash value is not a float"
INCREMENT_NAN_OR_INFINITY = "ERR value is NaN or Infinity"
VALUE_OUT_OF_RANGE = "ERR value is out of range"

#: kvfake's limit on HRANDFIELD's negative counts (Redis has none; see the module docstring).
MAX_RANDOM_FIELDS = 10_000_000
RANDOM_COUNT_TOO_LARGE = (
    f"ERR HRANDFIELD count is out of range: kvfake returns at most {MAX_RANDOM_FIELDS} random fields"
)

DEFAULT_MAX_ENTRIES = 512  # hash-max-listpack-entries, when there is no config
DEFAULT_MAX_VALUE = 64  # hash-max-listpack-value
SCAN_DEFAULT_COUNT = 10
_HALF_LONG_MAX = INT64_MAX // 2  # HRANDFIELD ... WITHVALUES: |count| * 2 must fit a long


# -- helpers ----------------------------------------------------------------


def _limits(ctx: Context) -> tuple:
    """(hash-max-listpack-entries, hash-max-listpack-value) from CONFIG."""
    dispatcher = ctx.dispatcher
    if dispatcher is None:
        return DEFAULT_MAX_ENTRIES, DEFAULT_MAX_VALUE
    get_int = dispatcher.config.get_int
    return get_int(b"hash-max-listpack-entries"), get_int(b"hash-max-listpack-value")


def _write_hash(ctx: Context, key: bytes) -> "tuple[Hash, bool]":
    """The hash at ``key`` for writing, or a new empty one (not stored yet): (hash, is_new)."""
    h = ctx.db.get_hash(key)
    if h is None:
        return Hash(), True
    return h, False


def _stored(ctx: Context, key: bytes, h: Hash, new: bool) -> None:
    """Record a write: store a new hash (creation hooks) or touch the existing one."""
    if new:
        ctx.db.add_value(key, h)
    else:
        ctx.db.touch(key)


def _set_field(ctx: Context, h: Hash, field: bytes, value: bytes) -> None:
    """Redis's hashTypeSet for HINCRBY/HINCRBYFLOAT: length check, write, entries check."""
    if not h.big:
        max_entries, max_value = _limits(ctx)
        if len(field) > max_value or len(value) > max_value:
            h.big = True
        h[field] = value
        if len(h) > max_entries:
            h.big = True
    else:
        h[field] = value


# -- HSET family --------------------------------------------------------------


def _hset(ctx: Context, key: bytes, pairs: tuple, name: str) -> int:
    """HSET/HMSET: the number of fields created."""
    if len(pairs) & 1:
        raise CommandError(wrong_arity(name))
    h, new = _write_hash(ctx, key)
    before = len(h)
    if h.big:
        if len(pairs) == 2:
            h[pairs[0]] = pairs[1]
        else:
            h.update(zip(pairs[0::2], pairs[1::2]))
    else:
        max_entries, max_value = _limits(ctx)
        # redis 7.0 hashTypeTryConversion: any field or value argument too long converts first
        if max(map(len, pairs)) > max_value:
            h.big = True
        h.update(zip(pairs[0::2], pairs[1::2]))
        if len(h) > max_entries:
            h.big = True
    _stored(ctx, key, h, new)
    ctx.notify("h", b"hset", key)
    return len(h) - before


@group.command("hset", arity=-4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_hset(ctx: Context, key: bytes, *pairs: bytes):
    """HSET key field value [field value ...]"""
    if len(pairs) == 2:
        # hot path (redis-benchmark hset): one field into an existing hash
        db = ctx.db
        h = db.lookup(key)
        if type(h) is Hash:
            field, value = pairs
            created = field not in h
            if h.big:
                h[field] = value
            else:
                _set_field(ctx, h, field, value)  # what _hset does for one pair
            db.touch(key)
            ctx.notify("h", b"hset", key)
            return 1 if created else 0
    return _hset(ctx, key, pairs, "hset")


@group.command("hmset", arity=-4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_hmset(ctx: Context, key: bytes, *pairs: bytes):
    """HMSET key field value [field value ...]"""
    _hset(ctx, key, pairs, "hmset")
    return OK


@group.command("hsetnx", arity=4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_hsetnx(ctx: Context, key: bytes, field: bytes, value: bytes):
    """HSETNX key field value"""
    h = ctx.db.get_hash(key)
    if h is not None and field in h:
        return 0  # nothing checked or converted (redis 7.0.15: HSETNX h a <long> stays listpack)
    _hset(ctx, key, (field, value), "hsetnx")
    return 1


# -- reads --------------------------------------------------------------------


@group.command("hget", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_hget(ctx: Context, key: bytes, field: bytes):
    """HGET key field"""
    h = ctx.db.get_hash(key)
    return None if h is None else h.get(field)


@group.command("hmget", arity=-3, flags="readonly fast", keys=(1, 1, 1))
def cmd_hmget(ctx: Context, key: bytes, *fields: bytes):
    """HMGET key field [field ...]"""
    h = ctx.db.get_hash(key)
    if h is None:
        return [None] * len(fields)
    return [h.get(f) for f in fields]


@group.command("hgetall", arity=2, flags="readonly", keys=(1, 1, 1))
def cmd_hgetall(ctx: Context, key: bytes):
    """HGETALL key"""
    h = ctx.db.get_hash(key)
    return Map([] if h is None else list(h.items()))


@group.command("hkeys", arity=2, flags="readonly", keys=(1, 1, 1))
def cmd_hkeys(ctx: Context, key: bytes):
    """HKEYS key"""
    h = ctx.db.get_hash(key)
    return [] if h is None else list(h)


@group.command("hvals", arity=2, flags="readonly", keys=(1, 1, 1))
def cmd_hvals(ctx: Context, key: bytes):
    """HVALS key"""
    h = ctx.db.get_hash(key)
    return [] if h is None else list(h.values())


@group.command("hlen", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_hlen(ctx: Context, key: bytes):
    """HLEN key"""
    h = ctx.db.get_hash(key)
    return 0 if h is None else len(h)


@group.command("hexists", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_hexists(ctx: Context, key: bytes, field: bytes):
    """HEXISTS key field"""
    h = ctx.db.get_hash(key)
    return 1 if h is not None and field in h else 0


@group.command("hstrlen", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_hstrlen(ctx: Context, key: bytes, field: bytes):
    """HSTRLEN key field"""
    h = ctx.db.get_hash(key)
    if h is None:
        return 0
    value = h.get(field)
    return 0 if value is None else len(value)


# -- HDEL -----------------------------------------------------------------------


@group.command("hdel", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_hdel(ctx: Context, key: bytes, *fields: bytes):
    """HDEL key field [field ...]"""
    db = ctx.db
    h = db.get_hash(key)
    if h is None:
        return 0
    deleted = 0
    for field in fields:
        if h.pop(field, None) is not None:
            deleted += 1
            if not h:
                break
    if deleted:
        db.touch(key)
        ctx.notify("h", b"hdel", key)
        if not h:
            db.delete_if_empty(key, h)
            ctx.notify("g", b"del", key)
    return deleted


# -- counters -----------------------------------------------------------------


@group.command("hincrby", arity=4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_hincrby(ctx: Context, key: bytes, field: bytes, increment: bytes):
    """HINCRBY key field increment"""
    # redis 7.0.15: increment, then type, then the stored value, then overflow
    delta = parse_int(increment)
    h, new = _write_hash(ctx, key)
    old = h.get(field)
    value = 0 if old is None else parse_int(old, HASH_VALUE_NOT_INTEGER)
    result = value + delta
    if result > INT64_MAX or result < INT64_MIN:
        raise CommandError(INCR_OVERFLOW)
    _set_field(ctx, h, field, b"%d" % result)
    _stored(ctx, key, h, new)
    ctx.notify("h", b"hincrby", key)
    return result


@group.command("hincrbyfloat", arity=4, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_hincrbyfloat(ctx: Context, key: bytes, field: bytes, increment: bytes):
    """HINCRBYFLOAT key field increment"""
    # redis 7.0.15: the increment is parsed and checked for inf before the type check;
    # "1e400" is fine (a long double), the stored value is parsed with strtold too.
    incr = parse_long_double(increment, NOT_A_FLOAT)
    if not incr.is_finite():
        raise CommandError(INCREMENT_NAN_OR_INFINITY)
    h, new = _write_hash(ctx, key)
    old = h.get(field)
    value = LD_ZERO if old is None else parse_long_double(old, HASH_VALUE_NOT_FLOAT)
    result = format_long_double(add_long_double(value, incr))  # NAN_OR_INFINITY on overflow
    _set_field(ctx, h, field, result)
    _stored(ctx, key, h, new)
    ctx.notify("h", b"hincrbyfloat", key)
    return result


# -- HRANDFIELD -----------------------------------------------------------------


@group.command("hrandfield", arity=-2, flags="readonly", keys=(1, 1, 1))
def cmd_hrandfield(ctx: Context, key: bytes, *options: bytes):
    """HRANDFIELD key [count [WITHVALUES]]"""
    rng = ctx.store.rng
    if not options:
        h = ctx.db.get_hash(key)
        return None if h is None else h.random_field(rng)
    # redis 7.0.15 order: count, syntax, WITHVALUES range, then the key
    count = parse_range_int(options[0], -INT64_MAX, INT64_MAX)
    with_values = False
    if len(options) > 2 or (len(options) == 2 and c_token(options[1]) != b"withvalues"):
        raise CommandError(SYNTAX_ERROR)
    if len(options) == 2:
        with_values = True
        if not -_HALF_LONG_MAX <= count <= _HALF_LONG_MAX:
            raise CommandError(VALUE_OUT_OF_RANGE)
    h = ctx.db.get_hash(key)
    if h is None or count == 0:
        return []
    size = len(h)
    if count < 0 or count == 1:
        # with repetitions, in random order
        count = -count if count < 0 else count
        if count > MAX_RANDOM_FIELDS:
            raise CommandError(RANDOM_COUNT_TOO_LARGE)
        if count == 1:
            return _random_reply(ctx, h, [h.random_field(rng)], with_values)
        return _random_reply(ctx, h, rng.choices(h.field_list(), k=count), with_values)
    if count >= size:
        picked = list(h)  # the whole hash, in its order
    else:
        # distinct fields in random order (redis 7.0 builds a dict of the picks and
        # replies in that dict's order; 7.2's listpack order is not 7.0's)
        picked = rng.sample(h.field_list(), count)
    return _random_reply(ctx, h, picked, with_values)


def _random_reply(ctx: Context, h: Hash, fields: list, with_values: bool) -> list:
    """Fields; with values a flat list (RESP2) or a list of [field, value] pairs (RESP3)."""
    if not with_values:
        return fields
    if ctx.session.protover >= 3:
        return [[f, h[f]] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out


# -- HSCAN ------------------------------------------------------------------------


@group.command("hscan", arity=-3, flags="readonly", keys=(1, 1, 1))
def cmd_hscan(ctx: Context, key: bytes, cursor_arg: bytes, *options: bytes):
    """HSCAN key cursor [MATCH pattern] [COUNT count]"""
    # redis 7.0.15: the cursor, then the key (a missing key is an empty scan before any
    # option is looked at), then the options
    cursor = parse_cursor(cursor_arg)
    h = ctx.db.get_hash(key)
    if h is None:
        return [b"0", []]
    count, pattern, _ = parse_scan_options(options)  # TYPE is SCAN's only
    if h.big:
        next_cursor, fields, h.scan_index = scan_dict(h, h.scan_index, cursor, count)
    else:
        next_cursor, fields = 0, h  # a listpack comes back whole, whatever the cursor
    match = None if pattern is None or pattern == b"*" else matcher(pattern)
    out = []
    for field in fields:
        if match is None or match(field):
            out.append(field)
            out.append(h[field])
    return [b"%d" % next_cursor, out]
