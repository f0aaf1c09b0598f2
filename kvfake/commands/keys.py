"""Keyspace commands (Redis group "generic"): DEL EXISTS TYPE KEYS SCAN RENAME COPY MOVE EXPIRE... OBJECT.

Expiry: every read goes through ``Database.lookup``, which deletes a key whose time
has come (Redis's expireIfNeeded); a TTL change calls ``db.touch(key)`` (WATCH,
dirty counter).  EXPIRE and friends check, in Redis 7.0's order: options, the
number, overflow ("invalid expire time"), the key, NX/XX/GT/LT (a key without a
TTL counts as an infinite TTL), then a time at or before now deletes the key.

SCAN strategy: keys are visited in the order of a 64-bit hash of the key (blake2b,
so the order is the same in every process and never depends on the rest of the
keyspace), and the cursor is the hash of the next key to visit.  A call visits the
keys whose hash lies in [cursor, next cursor), so a key present for the whole scan
is returned exactly once, whatever is inserted or deleted meanwhile; keys with
equal hashes are never split across calls.  The sorted (hash, key) index is cached
in ``Database.scan_index``: built by a call with cursor 0 (which is how a scan
starts, so the index used by any later call holds every key present since that
start); FLUSHDB drops it and a call finding another dict (SWAPDB) rebuilds it.
Deleted keys in a stale index are skipped.  A keyspace that fits in one reply is
returned at once with cursor 0, as Redis does for small dicts.

WAIT answers as a server without replicas.  Not implemented: DUMP, RESTORE, MIGRATE, SORT, SORT_RO, OBJECT IDLETIME and
FREQ tracking (see protocol_spec.md, section 5 "Keyspace").

Imports: kvfake.commands.registry/context/args, kvfake.errors, kvfake.protocol.replies,
kvfake.store.values, kvfake.store.glob.  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from hashlib import blake2b

from kvfake.commands.args import INT64_MAX, INT64_MIN, parse_int, parse_range_int, parse_timeout_ms
from kvfake.commands.blocking import block
from kvfake.commands.context import Context
from kvfake.commands.registry import CommandGroup
from kvfake.errors import (
    DB_INDEX_OUT_OF_RANGE,
    INVALID_CURSOR,
    NO_SUCH_KEY,
    SAME_OBJECT,
    SYNTAX_ERROR,
    CommandError,
    invalid_expire,
)
from kvfake.protocol.replies import OK, SimpleString
from kvfake.store.glob import matcher
from kvfake.store.values import copy_value, encoding, string_encoding, type_name

group = CommandGroup("generic")

# redis 7.0.15 texts (seen with redis-cli)
NX_XX_GT_LT = "ERR NX and XX, GT or LT options at the same time are not compatible"
GT_AND_LT = "ERR GT and LT options at the same time are not compatible"
LFU_SELECTED = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LFU_NOT_SELECTED = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust."
)


def c_token(arg: bytes) -> bytes:
    """An option name as Redis compares it: strcasecmp of a C string, so up to the first NUL."""
    return arg.partition(b"\0")[0].lower()


def unsupported_option(option: bytes) -> str:
    # redis 7.0: "Unsupported option %s" of a C string, so it stops at a NUL byte
    return "ERR Unsupported option " + option.partition(b"\0")[0].decode("latin-1")


INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
SHARED_INTEGERS = 10000  # OBJ_SHARED_INTEGERS: SET k 0..9999 shares one object
SHARED_REFCOUNT = 2147483647  # OBJ_SHARED_REFCOUNT (INT_MAX)
LFU_INIT_VAL = 5
SCAN_DEFAULT_COUNT = 10

TYPE_REPLIES: dict = {}  # type name -> its status reply


def _type_reply(name: bytes) -> SimpleString:
    reply = TYPE_REPLIES.get(name)
    if reply is None:
        reply = TYPE_REPLIES[name] = SimpleString(name)
    return reply


# -- DEL UNLINK EXISTS TOUCH TYPE ---------------------------------------------------


@group.command("del", arity=-2, flags="write", keys=(1, -1, 1))
def cmd_del(ctx: Context, key: bytes, *keys: bytes):
    """DEL key [key ...]"""
    delete = ctx.db.delete
    notify = ctx.notify
    deleted = 0
    if delete(key):
        deleted = 1
        notify("g", b"del", key)
    for k in keys:
        if delete(k):
            deleted += 1
            notify("g", b"del", k)
    return deleted


@group.command("unlink", arity=-2, flags="write fast", keys=(1, -1, 1))
def cmd_unlink(ctx: Context, key: bytes, *keys: bytes):
    """UNLINK key [key ...]"""
    return cmd_del(ctx, key, *keys)


@group.command("exists", arity=-2, flags="readonly fast", keys=(1, -1, 1))
def cmd_exists(ctx: Context, key: bytes, *keys: bytes):
    """EXISTS key [key ...]"""
    # redis 7.0: a key named twice counts twice
    lookup = ctx.db.lookup
    found = 0 if lookup(key) is None else 1
    for k in keys:
        if lookup(k) is not None:
            found += 1
    return found


@group.command("touch", arity=-2, flags="readonly fast", keys=(1, -1, 1))
def cmd_touch(ctx: Context, key: bytes, *keys: bytes):
    """TOUCH key [key ...]"""
    return cmd_exists(ctx, key, *keys)


@group.command("type", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_type(ctx: Context, key: bytes):
    """TYPE key"""
    value = ctx.db.lookup(key)
    return _type_reply(b"none" if value is None else type_name(value))


# -- KEYS SCAN RANDOMKEY ----------------------------------------------------------


@group.command("keys", arity=2, flags="readonly", keys=(0, 0, 0))
def cmd_keys(ctx: Context, pattern: bytes):
    """KEYS pattern"""
    db = ctx.db
    # redis 7.0: "*" lists every key without asking the matcher (so the empty key
    # too); expired keys are skipped but, unlike SCAN, not deleted.
    keys = list(db.data) if pattern == b"*" else list(filter(matcher(pattern), db.data))
    expires = db.expires
    if expires:
        now = ctx.now_ms
        keys = [k for k in keys if expires.get(k, now) >= now]
    return keys


_STRTOUL = re.compile(rb"[+-]?[0-9]+")
_C_SPACE = b" \t\n\v\f\r"
_U64 = 1 << 64


def parse_cursor(arg: bytes) -> int:
    """A SCAN cursor the way redis 7.0 reads it (strtoul, base 10, up to a NUL byte).

    "" and "-1" are valid (0 and 2**64-1); a leading space, trailing bytes and
    values past 2**64-1 are "ERR invalid cursor".
    """
    if arg[:1] and arg[:1] in _C_SPACE:
        raise CommandError(INVALID_CURSOR)
    text = arg.partition(b"\0")[0]
    if not text:
        return 0
    if _STRTOUL.fullmatch(text) is None:
        raise CommandError(INVALID_CURSOR)
    negative = text[:1] == b"-"
    n = int(text.lstrip(b"+-"))
    if n >= _U64:
        raise CommandError(INVALID_CURSOR)  # ERANGE
    return (_U64 - n) % _U64 if negative else n


def key_hash(key: bytes) -> int:
    """The position of ``key`` in SCAN order: a 64-bit hash, never 0 (0 ends a scan)."""
    return int.from_bytes(blake2b(key, digest_size=8).digest(), "little") or 1


def scan_index(data) -> tuple:
    """The SCAN order of a dict's keys: (sorted key hashes, keys in that order)."""
    pairs = sorted([(key_hash(k), k) for k in data])
    return [h for h, _ in pairs], [k for _, k in pairs]


def scan_keys(db, cursor: int, count: int) -> tuple:
    """One SCAN step over ``db``: (next cursor, keys present in the dict, maybe expired)."""
    data = db.data
    cached = db.scan_index
    index = cached[1:] if cached is not None and cached[0] is data else None
    next_cursor, found, index = scan_dict(data, index, cursor, count)
    if index is not None:
        db.scan_index = (data, *index)
    return next_cursor, found


def scan_dict(data, index, cursor: int, count: int) -> tuple:
    """One SCAN-style step over the keys of ``data`` (the keyspace, a hash's fields...).

    ``index`` is the caller's cached ``scan_index(data)`` or None; a call with
    cursor 0 rebuilds it (a scan starts there).  Returns (next cursor, keys
    still in ``data``, index to cache).  Visits at most ``count`` present keys
    (and at most ``10 * count`` index entries, as Redis bounds its bucket walk),
    plus any keys sharing the last visited hash.
    """
    if cursor == 0:
        if len(data) <= count:
            return 0, list(data), index
        index = scan_index(data)
    elif index is None:
        index = scan_index(data)
    hashes, keys = index
    end = len(keys)
    i = bisect_left(hashes, cursor)
    budget = 10 * count
    found: list = []
    while i < end and len(found) < count and budget:
        key = keys[i]
        i += 1
        budget -= 1
        if key in data:
            found.append(key)
    while 0 < i < end and hashes[i] == hashes[i - 1]:
        key = keys[i]
        i += 1
        if key in data:
            found.append(key)
    return (hashes[i] if i < end else 0), found, index


def parse_scan_options(options: tuple, *, allow_type: bool = False) -> tuple:
    """``[MATCH pattern] [COUNT count] [TYPE type]`` of the SCAN family: (count, pattern, type).

    Redis 7.0 (scanGenericCommand): options in pairs, any order, last one wins;
    COUNT below 1 and an option without its value are syntax errors; TYPE is
    SCAN's only (compared with strcasecmp: an unknown name matches nothing).
    """
    count = SCAN_DEFAULT_COUNT
    pattern = None
    wanted = None
    i, n = 0, len(options)
    while i < n:
        opt = c_token(options[i])
        if i + 1 >= n:
            raise CommandError(SYNTAX_ERROR)
        if opt == b"count":
            count = parse_int(options[i + 1])
            if count < 1:
                raise CommandError(SYNTAX_ERROR)
        elif opt == b"match":
            pattern = options[i + 1]
        elif opt == b"type" and allow_type:
            wanted = c_token(options[i + 1])
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 2
    return count, pattern, wanted


@group.command("scan", arity=-2, flags="readonly", keys=(0, 0, 0))
def cmd_scan(ctx: Context, cursor_arg: bytes, *options: bytes):
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_cursor(cursor_arg)  # redis 7.0: before the options
    count, pattern, wanted = parse_scan_options(options, allow_type=True)
    db = ctx.db
    next_cursor, found = scan_keys(db, cursor, count)
    match = None if pattern is None or pattern == b"*" else matcher(pattern)
    lookup = db.lookup
    out = []
    for key in found:
        if match is not None and not match(key):
            continue
        if wanted is not None:
            # redis 7.0 checks the type first, with a lookup that deletes an expired
            # key and then calls it "none": so TYPE none returns just-expired keys.
            value = lookup(key)
            if (b"none" if value is None else type_name(value)) != wanted:
                continue
        elif lookup(key) is None:
            continue
        out.append(key)
    return [b"%d" % next_cursor, out]


@group.command("randomkey", arity=1, flags="readonly", keys=(0, 0, 0))
def cmd_randomkey(ctx: Context):
    """RANDOMKEY"""
    return ctx.db.random_key(ctx.store.rng)


# -- RENAME COPY MOVE ---------------------------------------------------------------


def _rename(ctx: Context, src: bytes, dst: bytes, nx: bool):
    db = ctx.db
    value = db.lookup(src)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    when = db.get_expire(src)
    if db.lookup(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.set_value(dst, value)
    if when is not None:
        db.set_expire(dst, when)
    db.delete(src)
    ctx.notify("g", b"rename_from", src)
    ctx.notify("g", b"rename_to", dst)
    return 1 if nx else OK


@group.command("rename", arity=3, flags="write", keys=(1, 2, 1))
def cmd_rename(ctx: Context, key: bytes, newkey: bytes):
    """RENAME key newkey"""
    return _rename(ctx, key, newkey, False)


@group.command("renamenx", arity=3, flags="write fast", keys=(1, 2, 1))
def cmd_renamenx(ctx: Context, key: bytes, newkey: bytes):
    """RENAMENX key newkey"""
    return _rename(ctx, key, newkey, True)


def _target_db(ctx: Context, arg: bytes):
    # redis 7.0: getIntFromObjectOrReply, then selectDb
    index = parse_range_int(arg, INT32_MIN, INT32_MAX)
    dbs = ctx.store.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(DB_INDEX_OUT_OF_RANGE)
    return dbs[index]


@group.command("copy", arity=-3, flags="write denyoom", keys=(1, 2, 1))
def cmd_copy(ctx: Context, source: bytes, destination: bytes, *options: bytes):
    """COPY source destination [DB destination-db] [REPLACE]"""
    src = ctx.db
    dst = src
    replace = False
    i, n = 0, len(options)
    while i < n:
        opt = c_token(options[i])
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < n:
            i += 1
            dst = _target_db(ctx, options[i])
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 1
    if dst is src and source == destination:
        raise CommandError(SAME_OBJECT)
    value = src.lookup(source)
    if value is None:
        return 0
    when = src.get_expire(source)
    if dst.lookup(destination) is not None:
        if not replace:
            return 0
        dst.delete(destination)
    dst.set_value(destination, copy_value(value))
    if when is not None:
        dst.set_expire(destination, when)
    ctx.notify("g", b"copy_to", destination, dst.index)
    return 1


@group.command("move", arity=3, flags="write fast", keys=(1, 1, 1))
def cmd_move(ctx: Context, key: bytes, db: bytes):
    """MOVE key db"""
    src = ctx.db
    dst = _target_db(ctx, db)
    if dst is src:
        raise CommandError(SAME_OBJECT)
    value = src.lookup(key)
    if value is None or dst.lookup(key) is not None:
        return 0
    when = src.get_expire(key)
    dst.set_value(key, value)
    if when is not None:
        dst.set_expire(key, when)
    src.delete(key)
    ctx.notify("g", b"move_from", key)
    ctx.notify("g", b"move_to", key, dst.index)
    return 1


# -- EXPIRE family ------------------------------------------------------------------

_NX, _XX, _GT, _LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _NX, b"xx": _XX, b"gt": _GT, b"lt": _LT}
_SECONDS_MAX = INT64_MAX // 1000  # LLONG_MAX / 1000 in C
_SECONDS_MIN = -(-INT64_MIN // 1000)  # LLONG_MIN / 1000 (C truncates toward zero)


def _expire(ctx: Context, name: str, key: bytes, arg: bytes, options: tuple, unit: int, relative: bool):
    flags = 0
    for opt in options:
        flag = _EXPIRE_FLAGS.get(c_token(opt))
        if flag is None:
            raise CommandError(unsupported_option(opt))
        flags |= flag
    if flags & _NX and flags & (_XX | _GT | _LT):
        raise CommandError(NX_XX_GT_LT)
    if flags & _GT and flags & _LT:
        raise CommandError(GT_AND_LT)
    when = parse_int(arg)
    if unit == 1000:
        if when > _SECONDS_MAX or when < _SECONDS_MIN:
            raise CommandError(invalid_expire(name))
        when *= 1000
    now = ctx.now_ms
    if relative:
        if when > INT64_MAX - now:
            raise CommandError(invalid_expire(name))
        when += now
    db = ctx.db
    if db.lookup(key) is None:
        return 0
    if flags:
        current = db.get_expire(key)
        if flags & _NX and current is not None:
            return 0
        if flags & _XX and current is None:
            return 0
        # no TTL counts as an infinite one: GT never beats it, LT always does
        if flags & _GT and (current is None or when <= current):
            return 0
        if flags & _LT and current is not None and when >= current:
            return 0
    if when <= now:
        db.delete(key)  # redis 7.0: a time in the past deletes (replicated as DEL)
        ctx.notify("g", b"del", key)
        return 1
    db.set_expire(key, when)
    db.touch(key)
    ctx.notify("g", b"expire", key)
    return 1


@group.command("expire", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_expire(ctx: Context, key: bytes, seconds: bytes, *options: bytes):
    """EXPIRE key seconds [NX | XX | GT | LT]"""
    return _expire(ctx, "expire", key, seconds, options, 1000, True)


@group.command("pexpire", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_pexpire(ctx: Context, key: bytes, milliseconds: bytes, *options: bytes):
    """PEXPIRE key milliseconds [NX | XX | GT | LT]"""
    return _expire(ctx, "pexpire", key, milliseconds, options, 1, True)


@group.command("expireat", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_expireat(ctx: Context, key: bytes, unix_time_seconds: bytes, *options: bytes):
    """EXPIREAT key unix-time-seconds [NX | XX | GT | LT]"""
    return _expire(ctx, "expireat", key, unix_time_seconds, options, 1000, False)


@group.command("pexpireat", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_pexpireat(ctx: Context, key: bytes, unix_time_milliseconds: bytes, *options: bytes):
    """PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]"""
    return _expire(ctx, "pexpireat", key, unix_time_milliseconds, options, 1, False)


def _ttl(ctx: Context, key: bytes, ms: bool, absolute: bool) -> int:
    db = ctx.db
    if db.lookup(key) is None:
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    ttl = when if absolute else max(when - ctx.now_ms, 0)
    return ttl if ms else (ttl + 500) // 1000  # redis 7.0 rounds, EXPIRETIME too


@group.command("ttl", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_ttl(ctx: Context, key: bytes):
    """TTL key"""
    return _ttl(ctx, key, False, False)


@group.command("pttl", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_pttl(ctx: Context, key: bytes):
    """PTTL key"""
    return _ttl(ctx, key, True, False)


@group.command("expiretime", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_expiretime(ctx: Context, key: bytes):
    """EXPIRETIME key"""
    return _ttl(ctx, key, False, True)


@group.command("pexpiretime", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_pexpiretime(ctx: Context, key: bytes):
    """PEXPIRETIME key"""
    return _ttl(ctx, key, True, True)


@group.command("persist", arity=2, flags="write fast", keys=(1, 1, 1))
def cmd_persist(ctx: Context, key: bytes):
    """PERSIST key"""
    db = ctx.db
    if db.lookup(key) is None or not db.persist(key):
        return 0
    db.touch(key)
    ctx.notify("g", b"persist", key)
    return 1


# -- OBJECT -------------------------------------------------------------------------

OBJECT_HELP = [
    SimpleString(line)
    for line in (
        b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"ENCODING <key>",
        b"    Return the kind of internal representation used in order to store the value",
        b"    associated with a <key>.",
        b"FREQ <key>",
        b"    Return the access frequency index of the <key>. The returned integer is",
        b"    proportional to the logarithm of the recent access frequency of the key.",
        b"IDLETIME <key>",
        b"    Return the idle time of the <key>, that is the approximated number of",
        b"    seconds elapsed since the last access to the key.",
        b"REFCOUNT <key>",
        b"    Return the number of references of the value associated with the specified",
        b"    <key>.",
        b"HELP",
        b"    Prints this help.",
    )
]


def _policy(ctx: Context) -> bytes:
    return ctx.dispatcher.config.values.get(b"maxmemory-policy", b"noeviction")


@group.command("object|encoding", arity=3, flags="readonly", keys=(2, 2, 1))
def cmd_object_encoding(ctx: Context, subcommand: bytes, key: bytes):
    """OBJECT ENCODING key"""
    value = ctx.db.lookup(key)
    return None if value is None else encoding(value)


@group.command("object|refcount", arity=3, flags="readonly", keys=(2, 2, 1))
def cmd_object_refcount(ctx: Context, subcommand: bytes, key: bytes):
    """OBJECT REFCOUNT key"""
    value = ctx.db.lookup(key)
    if value is None:
        return None
    # redis 7.0: SET/INCR share one object for 0..9999 unless maxmemory is set with an
    # LRU/LFU policy (judged here by the current config, Redis by the config at write time)
    if isinstance(value, bytes) and string_encoding(value) == b"int" and 0 <= int(value) < SHARED_INTEGERS:
        config = ctx.dispatcher.config.values
        policy = _policy(ctx)
        if config.get(b"maxmemory", b"0") == b"0" or not (b"lru" in policy or b"lfu" in policy):
            return SHARED_REFCOUNT
    return 1


@group.command("object|idletime", arity=3, flags="readonly", keys=(2, 2, 1))
def cmd_object_idletime(ctx: Context, subcommand: bytes, key: bytes):
    """OBJECT IDLETIME key"""
    if ctx.db.lookup(key) is None:
        return None
    if b"lfu" in _policy(ctx):
        raise CommandError(LFU_SELECTED)
    return 0  # kvfake does not track access times (documented difference)


@group.command("object|freq", arity=3, flags="readonly", keys=(2, 2, 1))
def cmd_object_freq(ctx: Context, subcommand: bytes, key: bytes):
    """OBJECT FREQ key"""
    if ctx.db.lookup(key) is None:
        return None
    if b"lfu" not in _policy(ctx):
        raise CommandError(LFU_NOT_SELECTED)
    return LFU_INIT_VAL  # a new key's counter; kvfake does not count accesses


@group.command("object|help", arity=2, flags="loading stale", keys=(0, 0, 0))
def cmd_object_help(ctx: Context, subcommand: bytes):
    """OBJECT HELP"""
    return OBJECT_HELP


@group.command("wait", arity=3, flags="noscript", keys=(0, 0, 0))
def cmd_wait(ctx: Context, numreplicas: bytes, timeout: bytes):
    """WAIT numreplicas timeout"""
    wanted = parse_int(numreplicas)
    timeout_ms = parse_timeout_ms(timeout)
    if wanted <= 0:
        return 0  # redis 7.0.15: no replica acknowledged, and none was asked for
    # no replica will ever acknowledge: wait out the timeout (0: forever), then 0; inside
    # EXEC, 0 at once (CLIENT_DENY_BLOCKING)
    return block(ctx, (), timeout_ms, _never_ready, timeout_reply=0, deny_reply=0)


def _never_ready(ctx: Context, key: bytes):
    return None
