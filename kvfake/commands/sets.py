"""Set commands (Redis group "set"): SADD SREM SMEMBERS ... SINTERCARD SPOP SRANDMEMBER SSCAN.

Imports: kvfake.commands.registry/context/args/keys, kvfake.errors, kvfake.protocol.replies,
kvfake.store.values, kvfake.store.glob.  Never: socket, selectors, protocol.encoder.

A set is a :class:`kvfake.store.values.SetValue` (a Python set of member bytes).
OBJECT ENCODING follows Redis 7.0.15 (which has no listpack sets): ``intset``
while every member is a canonical int64 ("12", "-3"; not "01", "-0", "+1") and
there are at most ``set-max-intset-entries`` of them (read from CONFIG at each
write, capped at 2**30 as Redis does), ``hashtable`` for good after the first add
that breaks a rule (``SetValue.add_member``).  Sets that Redis builds afresh get
their encoding from their contents (``SetValue.fresh``): the results of
SINTERSTORE / SUNIONSTORE / SDIFFSTORE, a destination created by SMOVE, and what
SPOP with a count leaves when it keeps few members (Redis builds a new set of
the survivors, so a hashtable of ints can become an intset again).  One quirk is
kept: SDIFF(STORE) with Redis's "algorithm 2" first copies the whole first set
into the result, so the result is a hashtable when the first set could not be an
intset, whatever survives (``_diff_is_big``).

Order: an intset iterates in ascending numeric order, so wherever Redis lists an
intset (SMEMBERS, SSCAN, SINTER over an intset, SUNION / SDIFF / SPOP-all whose
result is an intset, SRANDMEMBER of the whole set) kvfake lists the members in
that order; a hashtable lists them in kvfake's own order (Redis's depends on its
dict).  Random picks use ``ctx.store.rng`` in O(1) each (``SetValue.member_list``);
SPOP and SRANDMEMBER list a hashtable in that pick order, which depends only on
the set's history (not on Python's per-process hashing), so a seeded server
repeats them exactly.

SSCAN: an intset comes back whole with cursor 0 (as Redis); a hashtable is
scanned with the keyspace SCAN machinery (``keys.scan_dict``), its index cached
on the set (``SetValue.scan_index``) and rebuilt by every call with cursor 0.

Hostile sizes: a negative SRANDMEMBER count asks for |count| members with
repetitions whatever the set's size; Redis 7.0.15 builds the whole reply in
memory (``SRANDMEMBER s -4611686018427387903`` got it OOM-killed), kvfake refuses
more than ``MAX_RANDOM_MEMBERS`` with ``RANDOM_COUNT_TOO_LARGE`` (protocol_spec.md
section 3), after the key lookup (a missing key still gives an empty array).

Keyspace events (``ctx.notify``) as t_set.c: sadd; srem then del; spop then del;
SMOVE srem (source), del (source emptied), sadd (destination); sinterstore /
sunionstore / sdiffstore, or del when the result is empty and the key existed.
"""

from __future__ import annotations

from kvfake.commands.args import INT64_MAX, parse_positive_int, parse_range_int
from kvfake.commands.context import Context
from kvfake.commands.keys import c_token, parse_cursor, parse_scan_options, scan_dict
from kvfake.commands.registry import CommandGroup
from kvfake.errors import NUMKEYS_NOT_POSITIVE, SYNTAX_ERROR, CommandError, WrongTypeError
from kvfake.protocol.replies import Set
from kvfake.store.glob import matcher
from kvfake.store.values import INTSET_MAX_ENTRIES, SetValue, fits_intset

group = CommandGroup("set")

# -- error texts used only here (Redis 7.0.15 wording) ----------------------

NUMKEYS_GREATER_THAN_ARGS = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"

#: kvfake's limit on SRANDMEMBER's negative counts (Redis has none; see the module docstring).
MAX_RANDOM_MEMBERS = 10_000_000
RANDOM_COUNT_TOO_LARGE = (
    f"ERR SRANDMEMBER count is out of range: kvfake returns at most {MAX_RANDOM_MEMBERS} random members"
)

DEFAULT_MAX_INTSET = 512  # set-max-intset-entries, when there is no config
SCAN_DEFAULT_COUNT = 10
SPOP_MOVE_STRATEGY_MUL = 5  # t_set.c: SPOP with count keeps few members -> builds a new set
EMPTY_SCAN = [b"0", []]


# -- helpers ----------------------------------------------------------------


def _max_intset(ctx: Context) -> int:
    """set-max-intset-entries from CONFIG, capped as redis 7.0's setTypeAdd caps it."""
    dispatcher = ctx.dispatcher
    if dispatcher is None:
        return DEFAULT_MAX_INTSET
    n = dispatcher.config.get_int(b"set-max-intset-entries")
    return n if n < INTSET_MAX_ENTRIES else INTSET_MAX_ENTRIES


def _random_order(s: SetValue) -> list:
    """The whole set for a random-family reply: an intset sorted, a hashtable in its pick order.

    The pick order (``member_list``) depends only on the set's history, never on
    Python's per-process hashing, so a seeded server repeats these replies.
    """
    return s.ordered() if not s.big else list(s.member_list())


def _fresh_order(members, max_intset: int) -> list:
    """``members`` listed as a set built from them afresh would list them (intset: sorted)."""
    if fits_intset(members, max_intset):
        return sorted(members, key=int)
    return list(members)


def _read_sets(ctx: Context, keys: tuple) -> list:
    """The sets at ``keys`` (None for a missing key); WRONGTYPE if any key holds another type.

    redis 7.0: every key is looked up and type-checked before anything else,
    even after a missing key.
    """
    lookup = ctx.db.lookup
    sets = []
    for key in keys:
        value = lookup(key)
        if value is not None and not isinstance(value, SetValue):
            raise WrongTypeError()
        sets.append(value)
    return sets


def _store(ctx: Context, destination: bytes, value: "SetValue | None", event: bytes) -> int:
    """SINTERSTORE & co: replace ``destination`` by ``value`` (TTL dropped), or delete it if empty."""
    db = ctx.db
    if value:
        db.lookup(destination)  # lazy expiry first, as setKey's lookup does
        db.set_value(destination, value)
        ctx.notify("s", event, destination)
        return len(value)
    if db.delete(destination):
        ctx.notify("g", b"del", destination)
    return 0


# -- SADD SREM SMOVE ----------------------------------------------------------


@group.command("sadd", arity=-3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_sadd(ctx: Context, key: bytes, *members: bytes):
    """SADD key member [member ...]"""
    db = ctx.db
    s = db.get_set(key)
    max_intset = _max_intset(ctx)
    if s is None:
        s = SetValue()
        for member in members:
            s.add_member(member, max_intset)
        db.add_value(key, s)
        added = len(s)
    else:
        add = s.add_member
        added = 0
        for member in members:
            if add(member, max_intset):
                added += 1
        if not added:
            return 0
        db.touch(key)
    ctx.notify("s", b"sadd", key)
    return added


@group.command("srem", arity=-3, flags="write fast", keys=(1, 1, 1))
def cmd_srem(ctx: Context, key: bytes, *members: bytes):
    """SREM key member [member ...]"""
    db = ctx.db
    s = db.get_set(key)
    if s is None:
        return 0
    removed = 0
    for member in members:
        if member in s:
            s.discard(member)
            removed += 1
            if not s:
                break
    if not removed:
        return 0
    ctx.notify("s", b"srem", key)
    if s:
        db.touch(key)
    else:
        db.delete(key)
        ctx.notify("g", b"del", key)
    return removed


@group.command("smove", arity=4, flags="write fast", keys=(1, 2, 1))
def cmd_smove(ctx: Context, source: bytes, destination: bytes, member: bytes):
    """SMOVE source destination member"""
    db = ctx.db
    src = db.lookup(source)
    dst = db.lookup(destination)
    # redis 7.0: a missing source answers 0 before any type check
    if src is None:
        return 0
    if not isinstance(src, SetValue) or (dst is not None and not isinstance(dst, SetValue)):
        raise WrongTypeError()
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.discard(member)
    ctx.notify("s", b"srem", source)
    if src:
        db.touch(source)
    else:
        db.delete(source)
        ctx.notify("g", b"del", source)
    max_intset = _max_intset(ctx)
    if dst is None:
        dst = SetValue()
        dst.add_member(member, max_intset)
        db.add_value(destination, dst)
    elif dst.add_member(member, max_intset):
        db.touch(destination)
    else:
        return 1
    ctx.notify("s", b"sadd", destination)
    return 1


# -- SMEMBERS SISMEMBER SMISMEMBER SCARD ----------------------------------------


@group.command("smembers", arity=2, flags="readonly", keys=(1, 1, 1))
def cmd_smembers(ctx: Context, key: bytes):
    """SMEMBERS key"""
    s = ctx.db.get_set(key)
    return Set([] if s is None else s.ordered())


@group.command("sismember", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_sismember(ctx: Context, key: bytes, member: bytes):
    """SISMEMBER key member"""
    s = ctx.db.get_set(key)
    return 1 if s is not None and member in s else 0


@group.command("smismember", arity=-3, flags="readonly fast", keys=(1, 1, 1))
def cmd_smismember(ctx: Context, key: bytes, *members: bytes):
    """SMISMEMBER key member [member ...]"""
    s = ctx.db.get_set(key)
    if s is None:
        return [0] * len(members)
    return [1 if member in s else 0 for member in members]


@group.command("scard", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_scard(ctx: Context, key: bytes):
    """SCARD key"""
    s = ctx.db.get_set(key)
    return 0 if s is None else len(s)


# -- SPOP SRANDMEMBER -----------------------------------------------------------


@group.command("spop", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_spop(ctx: Context, key: bytes, *options: bytes):
    """SPOP key [count]"""
    if options:
        if len(options) > 1:
            raise CommandError(SYNTAX_ERROR)
        return _spop_count(ctx, key, options[0])
    db = ctx.db
    s = db.get_set(key)
    if s is None:
        return None
    member = s.random_member(ctx.store.rng)
    s.discard(member)
    ctx.notify("s", b"spop", key)
    if s:
        db.touch(key)
    else:
        db.delete(key)
        ctx.notify("g", b"del", key)
    return member


def _spop_count(ctx: Context, key: bytes, count_arg: bytes):
    # redis 7.0.15: the count is parsed before the key is looked at; a non-number
    # gets "value is out of range, must be positive" too
    count = parse_positive_int(count_arg)
    db = ctx.db
    s = db.get_set(key)
    if s is None or count == 0:
        return Set([])
    size = len(s)
    ctx.notify("s", b"spop", key)
    if count >= size:
        # the whole set, listed as SUNION of it would list it, and the key goes
        if s.big and fits_intset(s, _max_intset(ctx)):
            members = sorted(s, key=int)
        else:
            members = _random_order(s)
        db.delete(key)
        ctx.notify("g", b"del", key)
        return Set(members)
    rng = ctx.store.rng
    remaining = size - count
    if remaining * SPOP_MOVE_STRATEGY_MUL > count:
        # few members popped: random picks, in pick order; the encoding stays
        popped = rng.sample(s.member_list(), count)
        for member in popped:
            s.discard(member)
    else:
        # redis 7.0 keeps `remaining` random members in a new set (encoded by its
        # contents) and replies with the rest in the old set's order
        kept = set(rng.sample(s.member_list(), remaining))
        popped = [m for m in _random_order(s) if m not in kept]
        for member in popped:
            s.discard(member)
        s.big = not fits_intset(s, _max_intset(ctx))
        s.scan_index = None
    db.touch(key)  # the TTL stays (dbOverwrite)
    return Set(popped)


@group.command("srandmember", arity=-2, flags="readonly", keys=(1, 1, 1))
def cmd_srandmember(ctx: Context, key: bytes, *options: bytes):
    """SRANDMEMBER key [count]"""
    rng = ctx.store.rng
    if not options:
        s = ctx.db.get_set(key)
        return None if s is None else s.random_member(rng)
    if len(options) > 1:
        raise CommandError(SYNTAX_ERROR)
    # redis 7.0.15: -LONG_MAX..LONG_MAX ("value is out of range, value must between ..."),
    # parsed before the key is looked at
    count = parse_range_int(options[0], -INT64_MAX, INT64_MAX)
    s = ctx.db.get_set(key)
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        # with repetitions, in random order
        count = -count if count < 0 else count
        if count > MAX_RANDOM_MEMBERS:
            raise CommandError(RANDOM_COUNT_TOO_LARGE)
        if count == 1:
            return [s.random_member(rng)]
        return rng.choices(s.member_list(), k=count)
    if count >= len(s):
        return _random_order(s)  # the whole set, in its order
    return rng.sample(s.member_list(), count)


# -- SINTER SINTERCARD SINTERSTORE ------------------------------------------------


def _smallest_first(sets: list) -> list:
    # redis 7.0 sorts by cardinality (glibc's qsort is a stable merge sort here)
    return sorted(sets, key=len)


def _intersection(sets: list) -> list:
    """The members of every set (all present), in the order Redis lists them: the smallest set's."""
    sets = _smallest_first(sets)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    common = first.intersection(*others) if others else first
    if not first.big:
        try:
            return sorted(common, key=int)
        except ValueError:
            pass
    return list(common)


@group.command("sinter", arity=-2, flags="readonly", keys=(1, -1, 1))
def cmd_sinter(ctx: Context, key: bytes, *keys: bytes):
    """SINTER key [key ...]"""
    sets = _read_sets(ctx, (key,) + keys)
    if None in sets:
        return Set([])
    return Set(_intersection(sets))


@group.command("sintercard", arity=-3, flags="readonly movablekeys", keys=(0, 0, 0))
def cmd_sintercard(ctx: Context, numkeys_arg: bytes, *args: bytes):
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    numkeys = parse_range_int(numkeys_arg, 1, INT64_MAX, NUMKEYS_NOT_POSITIVE)
    if numkeys > len(args):
        raise CommandError(NUMKEYS_GREATER_THAN_ARGS)
    limit = 0
    i, n = numkeys, len(args)
    while i < n:
        if c_token(args[i]) == b"limit" and i + 1 < n:
            limit = parse_positive_int(args[i + 1], LIMIT_NEGATIVE)
            i += 2
        else:
            raise CommandError(SYNTAX_ERROR)
    sets = _read_sets(ctx, args[:numkeys])
    if None in sets:
        return 0
    sets = _smallest_first(sets)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    if not limit:
        return len(first.intersection(*others)) if others else len(first)
    found = 0
    for member in first:
        for other in others:
            if member not in other:
                break
        else:
            found += 1
            if found >= limit:
                break
    return found


@group.command("sinterstore", arity=-3, flags="write denyoom", keys=(1, -1, 1))
def cmd_sinterstore(ctx: Context, destination: bytes, key: bytes, *keys: bytes):
    """SINTERSTORE destination key [key ...]"""
    sets = _read_sets(ctx, (key,) + keys)
    if None in sets:
        return _store(ctx, destination, None, b"sinterstore")
    members = _intersection(sets)
    return _store(ctx, destination, SetValue.fresh(members, _max_intset(ctx)), b"sinterstore")


# -- SUNION SUNIONSTORE SDIFF SDIFFSTORE ------------------------------------------


def _union(sets: list) -> set:
    present = [s for s in sets if s is not None]
    return set().union(*present)


def _diff(sets: list) -> set:
    first = sets[0]
    if first is None:
        return set()
    others = [s for s in sets[1:] if s is not None]
    if any(s is first for s in others):
        return set()  # redis 7.0: the first key named again -> empty
    return first.difference(*others)


def _diff_is_big(sets: list, result: set, max_intset: int) -> bool:
    """Is SDIFF's result set a hashtable in redis 7.0?

    Algorithm 1 adds only the surviving members; algorithm 2 (chosen when the
    first set is large next to the others) adds the whole first set, then
    removes the others' members: the conversion has happened by then.
    """
    first = sets[0]
    if first is not None and not any(s is first for s in sets[1:]):
        present = [s for s in sets if s is not None]
        algo_one_work = len(first) * len(present) // 2
        algo_two_work = sum(len(s) for s in present)
        if algo_one_work > algo_two_work:
            return not fits_intset(first, max_intset)
    return not fits_intset(result, max_intset)


@group.command("sunion", arity=-2, flags="readonly", keys=(1, -1, 1))
def cmd_sunion(ctx: Context, key: bytes, *keys: bytes):
    """SUNION key [key ...]"""
    result = _union(_read_sets(ctx, (key,) + keys))
    return Set(_fresh_order(result, _max_intset(ctx)))


@group.command("sunionstore", arity=-3, flags="write denyoom", keys=(1, -1, 1))
def cmd_sunionstore(ctx: Context, destination: bytes, key: bytes, *keys: bytes):
    """SUNIONSTORE destination key [key ...]"""
    result = _union(_read_sets(ctx, (key,) + keys))
    return _store(ctx, destination, SetValue.fresh(result, _max_intset(ctx)), b"sunionstore")


@group.command("sdiff", arity=-2, flags="readonly", keys=(1, -1, 1))
def cmd_sdiff(ctx: Context, key: bytes, *keys: bytes):
    """SDIFF key [key ...]"""
    sets = _read_sets(ctx, (key,) + keys)
    result = _diff(sets)
    big = _diff_is_big(sets, result, _max_intset(ctx))
    return Set(list(result) if big else sorted(result, key=int))


@group.command("sdiffstore", arity=-3, flags="write denyoom", keys=(1, -1, 1))
def cmd_sdiffstore(ctx: Context, destination: bytes, key: bytes, *keys: bytes):
    """SDIFFSTORE destination key [key ...]"""
    sets = _read_sets(ctx, (key,) + keys)
    result = _diff(sets)
    value = SetValue(result)
    value.big = _diff_is_big(sets, result, _max_intset(ctx))
    return _store(ctx, destination, value, b"sdiffstore")


# -- SSCAN --------------------------------------------------------------------------


@group.command("sscan", arity=-3, flags="readonly", keys=(1, 1, 1))
def cmd_sscan(ctx: Context, key: bytes, cursor_arg: bytes, *options: bytes):
    """SSCAN key cursor [MATCH pattern] [COUNT count]"""
    # redis 7.0.15: the cursor, then the key (a missing key is an empty scan before any
    # option is looked at), then the options
    cursor = parse_cursor(cursor_arg)
    s = ctx.db.get_set(key)
    if s is None:
        return EMPTY_SCAN
    count, pattern, _ = parse_scan_options(options)  # TYPE is SCAN's only
    if s.big:
        next_cursor, members, s.scan_index = scan_dict(s, s.scan_index, cursor, count)
    else:
        next_cursor, members = 0, s.ordered()  # an intset comes back whole, whatever the cursor
    if pattern is not None and pattern != b"*":
        members = list(filter(matcher(pattern), members))
    return [b"%d" % next_cursor, members]
