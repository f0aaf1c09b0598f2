"""List commands (Redis group "list"), the blocking pops included.

LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
LPOS LMOVE RPOPLPUSH LMPOP, and BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.

Values are ``values.List`` (a deque), never empty in the keyspace: every path that
removes elements deletes an emptied key (with the generic "del" event after the
list event, as redis 7.0 t_list.c does).  Redis 7.0 reports every list as
``quicklist`` whatever list-max-listpack-size says (7.2 added listpack lists;
redis 7.0.15: ``RPUSH l a`` then ``OBJECT ENCODING l`` is "quicklist").

Costs: pushes and pops at either end are O(1) per element; LRANGE is O(S+N),
walking from the nearer end with islice over the deque (or its reverse); LTRIM
drops only the trimmed elements (or rebuilds from the kept ones when those are
fewer); LINDEX/LSET/LINSERT are O(n) like Redis's quicklist.  LPOS, LREM and
LINSERT's pivot search run at C speed (map/compress over the deque).

Blocking (see kvfake.commands.blocking): a blocking pop that finds nothing
returns ``blocking.block(...)`` with a retry that serves the key which became
ready, as redis 7.0 serveClientBlockedOnList does: BLPOP/BRPOP/BLMPOP answer with
that key, BLMOVE checks its destination's type only then (WRONGTYPE is the
client's reply and nothing is popped; redis 7.0.15).  A key holding another
type leaves the client blocked.

Imports: kvfake.commands.registry/context/args/blocking/keys, kvfake.errors,
kvfake.protocol.replies, kvfake.store.values.  Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

from functools import partial
from itertools import compress, count, islice

from kvfake.commands import blocking
from kvfake.commands.args import INT64_MAX, INT64_MIN, parse_int, parse_positive_int, parse_range_int, parse_timeout
from kvfake.commands.context import Context
from kvfake.commands.keys import c_token
from kvfake.commands.registry import CommandGroup
from kvfake.errors import INDEX_OUT_OF_RANGE, NO_SUCH_KEY, NUMKEYS_NOT_POSITIVE, SYNTAX_ERROR, CommandError
from kvfake.protocol.replies import EMPTY_ARRAY, NULL_ARRAY, OK
from kvfake.store.values import List

group = CommandGroup("list")

# redis 7.0.15 texts (seen with redis-cli)
RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
COUNT_NEGATIVE = "ERR COUNT can't be negative"
MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"


# -- helpers ------------------------------------------------------------------------


def _where(arg: bytes) -> bool:
    """LEFT / RIGHT (strcasecmp of a C string): True for LEFT (the head)."""
    word = c_token(arg)
    if word == b"left":
        return True
    if word == b"right":
        return False
    raise CommandError(SYNTAX_ERROR)


def _range(lst: List, start: int, end: int) -> list:
    """Elements start..end (inclusive, Redis index rules), walking from the nearer end."""
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return []
    if end >= n:
        end = n - 1
    if start <= n - 1 - end:
        return list(islice(lst, start, end + 1))
    out = list(islice(reversed(lst), n - 1 - end, n - start))
    out.reverse()
    return out


def _pop_many(lst: List, n: int, left: bool) -> list:
    """Pop ``n`` (<= len) elements from one end, in pop order (RPOP k 2 -> last, second last)."""
    pop = lst.popleft if left else lst.pop
    return [pop() for _ in range(n)]


def _removed(ctx: Context, key: bytes, lst: List, left: bool) -> None:
    """After a pop: the list event, then delete an emptied key (redis 7.0 listElementsRemoved)."""
    ctx.notify("l", b"lpop" if left else b"rpop", key)
    if lst:
        ctx.db.touch(key)
    else:
        ctx.db.delete(key)
        ctx.notify("g", b"del", key)


def _push_one(ctx: Context, key: bytes, lst: "List | None", value: bytes, left: bool) -> None:
    """Push one element to ``key`` (created if absent): LMOVE's destination."""
    db = ctx.db
    if lst is None:
        db.add_value(key, List((value,)))
    else:
        if left:
            lst.appendleft(value)
        else:
            lst.append(value)
        db.touch(key)
    ctx.notify("l", b"lpush" if left else b"rpush", key)


# -- pushes -------------------------------------------------------------------------


def _push(ctx: Context, key: bytes, values: tuple, left: bool, only_existing: bool):
    db = ctx.db
    lst = db.get_list(key)
    if lst is None:
        if only_existing:
            return 0
        lst = List()
        (lst.extendleft if left else lst.extend)(values)
        db.add_value(key, lst)  # wakes clients blocked on key (Database.set_value)
    else:
        (lst.extendleft if left else lst.extend)(values)
        db.touch(key)
    ctx.store.dirty += len(values) - 1  # redis counts one change per element
    ctx.notify("l", b"lpush" if left else b"rpush", key)
    return len(lst)


@group.command("lpush", arity=-3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_lpush(ctx: Context, key: bytes, *elements: bytes):
    """LPUSH key element [element ...]"""
    return _push(ctx, key, elements, True, False)


@group.command("rpush", arity=-3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_rpush(ctx: Context, key: bytes, *elements: bytes):
    """RPUSH key element [element ...]"""
    return _push(ctx, key, elements, False, False)


@group.command("lpushx", arity=-3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_lpushx(ctx: Context, key: bytes, *elements: bytes):
    """LPUSHX key element [element ...]"""
    return _push(ctx, key, elements, True, True)


@group.command("rpushx", arity=-3, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_rpushx(ctx: Context, key: bytes, *elements: bytes):
    """RPUSHX key element [element ...]"""
    return _push(ctx, key, elements, False, True)


# -- pops ---------------------------------------------------------------------------


def _pop(ctx: Context, key: bytes, rest: tuple, left: bool, name: str):
    if len(rest) > 1:
        raise CommandError(f"ERR wrong number of arguments for '{name}' command")
    # redis 7.0.15: the count is parsed first ("LPOP string abc" is the range error),
    # a missing key is then null (a null array with a count), and a count of 0 on
    # a list is an empty array
    n = parse_positive_int(rest[0]) if rest else None
    lst = ctx.db.get_list(key)
    if lst is None:
        return None if n is None else NULL_ARRAY
    if n is None:
        value = lst.popleft() if left else lst.pop()
        _removed(ctx, key, lst, left)
        return value
    if n == 0:
        return EMPTY_ARRAY
    out = _pop_many(lst, min(n, len(lst)), left)
    _removed(ctx, key, lst, left)
    ctx.store.dirty += len(out) - 1
    return out


@group.command("lpop", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_lpop(ctx: Context, key: bytes, *count: bytes):
    """LPOP key [count]"""
    return _pop(ctx, key, count, True, "lpop")


@group.command("rpop", arity=-2, flags="write fast", keys=(1, 1, 1))
def cmd_rpop(ctx: Context, key: bytes, *count: bytes):
    """RPOP key [count]"""
    return _pop(ctx, key, count, False, "rpop")


# -- reads --------------------------------------------------------------------------


@group.command("llen", arity=2, flags="readonly fast", keys=(1, 1, 1))
def cmd_llen(ctx: Context, key: bytes):
    """LLEN key"""
    lst = ctx.db.get_list(key)
    return 0 if lst is None else len(lst)


@group.command("lrange", arity=4, flags="readonly", keys=(1, 1, 1))
def cmd_lrange(ctx: Context, key: bytes, start: bytes, stop: bytes):
    """LRANGE key start stop"""
    # redis 7.0: both indexes are parsed before the key is looked at
    first = parse_int(start)
    last = parse_int(stop)
    lst = ctx.db.get_list(key)
    if lst is None:
        return EMPTY_ARRAY
    return _range(lst, first, last)


@group.command("lindex", arity=3, flags="readonly", keys=(1, 1, 1))
def cmd_lindex(ctx: Context, key: bytes, index: bytes):
    """LINDEX key index"""
    lst = ctx.db.get_list(key)  # redis 7.0: the key (and its type) before the index
    if lst is None:
        return None
    i = parse_int(index)
    n = len(lst)
    if i < 0:
        i += n
    return lst[i] if 0 <= i < n else None


@group.command("lpos", arity=-3, flags="readonly", keys=(1, 1, 1))
def cmd_lpos(ctx: Context, key: bytes, element: bytes, *options: bytes):
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    rank, limit, maxlen = 1, -1, 0  # limit -1: no COUNT given
    i, n = 0, len(options)
    while i < n:
        opt = c_token(options[i])
        more = i + 1 < n
        if opt == b"rank" and more:
            rank = parse_int(options[i + 1])
            if rank == 0:
                raise CommandError(RANK_ZERO)
        elif opt == b"count" and more:
            limit = parse_positive_int(options[i + 1], COUNT_NEGATIVE)
        elif opt == b"maxlen" and more:
            maxlen = parse_positive_int(options[i + 1], MAXLEN_NEGATIVE)
        else:
            raise CommandError(SYNTAX_ERROR)
        i += 2
    lst = ctx.db.get_list(key)
    if lst is None:
        return EMPTY_ARRAY if limit != -1 else None
    size = len(lst)
    from_tail = rank < 0
    if rank == INT64_MIN:
        # redis 7.0.15: -LONG_MIN overflows and stays negative, so every match
        # counts ("matches >= rank") and a COUNT never stops the scan
        rank, limit = 1, (0 if limit != -1 else -1)
    elif from_tail:
        rank = -rank
    scan = reversed(lst) if from_tail else iter(lst)
    if maxlen:
        scan = islice(scan, maxlen)
    found = compress(count(), map(element.__eq__, scan))  # positions scanned, at C speed
    rank = min(rank, size + 1)  # islice takes at most sys.maxsize; no list is longer
    if limit == -1:
        pos = next(islice(found, rank - 1, None), None)
        if pos is None:
            return None
        return size - 1 - pos if from_tail else pos
    hits = islice(found, rank - 1, None if limit == 0 else rank - 1 + min(limit, size))
    return [size - 1 - p for p in hits] if from_tail else list(hits)


# -- in-place changes ---------------------------------------------------------------


@group.command("lset", arity=4, flags="write denyoom", keys=(1, 1, 1))
def cmd_lset(ctx: Context, key: bytes, index: bytes, element: bytes):
    """LSET key index element"""
    db = ctx.db
    lst = db.get_list(key)
    if lst is None:
        raise CommandError(NO_SUCH_KEY)
    i = parse_int(index)
    n = len(lst)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise CommandError(INDEX_OUT_OF_RANGE)
    lst[i] = element
    db.touch(key)
    ctx.notify("l", b"lset", key)
    return OK


@group.command("linsert", arity=5, flags="write denyoom", keys=(1, 1, 1))
def cmd_linsert(ctx: Context, key: bytes, where: bytes, pivot: bytes, element: bytes):
    """LINSERT key BEFORE | AFTER pivot element"""
    word = c_token(where)  # redis 7.0: the position word before the key
    if word == b"after":
        after = True
    elif word == b"before":
        after = False
    else:
        raise CommandError(SYNTAX_ERROR)
    db = ctx.db
    lst = db.get_list(key)
    if lst is None:
        return 0
    try:
        i = lst.index(pivot)
    except ValueError:
        return -1
    lst.insert(i + 1 if after else i, element)
    db.touch(key)
    ctx.notify("l", b"linsert", key)
    return len(lst)


@group.command("lrem", arity=4, flags="write", keys=(1, 1, 1))
def cmd_lrem(ctx: Context, key: bytes, count_arg: bytes, element: bytes):
    """LREM key count element"""
    limit = parse_int(count_arg)  # redis 7.0: before the key
    db = ctx.db
    lst = db.get_list(key)
    if lst is None:
        return 0
    n = len(lst)
    if limit >= 0:
        hits = compress(count(), map(element.__eq__, lst))
        positions = list(islice(hits, limit) if limit else hits)
    else:
        hits = compress(count(), map(element.__eq__, reversed(lst)))
        positions = [n - 1 - p for p in islice(hits, min(-limit, n))]
        positions.reverse()
    removed = len(positions)
    if not removed:
        return 0
    if removed * 32 < n:
        for p in reversed(positions):  # few: delete in place, last first
            del lst[p]
    else:
        drop = set(positions)
        kept = [v for i, v in enumerate(lst) if i not in drop]
        lst.clear()
        lst.extend(kept)
    ctx.notify("l", b"lrem", key)
    if lst:
        db.touch(key)
    else:
        db.delete(key)
        ctx.notify("g", b"del", key)
    ctx.store.dirty += removed - 1
    return removed


@group.command("ltrim", arity=4, flags="write", keys=(1, 1, 1))
def cmd_ltrim(ctx: Context, key: bytes, start: bytes, stop: bytes):
    """LTRIM key start stop"""
    first = parse_int(start)  # redis 7.0: both indexes before the key
    last = parse_int(stop)
    db = ctx.db
    lst = db.get_list(key)
    if lst is None:
        return OK
    n = len(lst)
    if first < 0:
        first += n
    if last < 0:
        last += n
    if first < 0:
        first = 0
    if first > last or first >= n:
        ltrim, rtrim = n, 0
    else:
        if last >= n:
            last = n - 1
        ltrim, rtrim = first, n - 1 - last
    kept = n - ltrim - rtrim
    if ltrim + rtrim > kept:
        keep = list(islice(lst, ltrim, ltrim + kept))
        lst.clear()
        lst.extend(keep)
    else:
        for _ in range(ltrim):
            lst.popleft()
        for _ in range(rtrim):
            lst.pop()
    ctx.notify("l", b"ltrim", key)
    if lst:
        db.touch(key)
    else:
        db.delete(key)
        ctx.notify("g", b"del", key)
    ctx.store.dirty += ltrim + rtrim - 1
    return OK


# -- moves --------------------------------------------------------------------------


def _move(ctx: Context, src: bytes, dst: bytes, from_left: bool, to_left: bool):
    """LMOVE's work once the source is known to be a list (or missing)."""
    db = ctx.db
    slist = db.get_list(src)
    if slist is None:
        return None
    dlist = db.get_list(dst)  # redis 7.0: checked only when there is something to move
    value = slist.popleft() if from_left else slist.pop()
    _push_one(ctx, dst, dlist, value, to_left)
    _removed(ctx, src, slist, from_left)  # src == dst: pushed back already, never empty
    return value


@group.command("lmove", arity=5, flags="write denyoom", keys=(1, 2, 1))
def cmd_lmove(ctx: Context, source: bytes, destination: bytes, wherefrom: bytes, whereto: bytes):
    """LMOVE source destination LEFT | RIGHT LEFT | RIGHT"""
    from_left = _where(wherefrom)
    to_left = _where(whereto)
    return _move(ctx, source, destination, from_left, to_left)


@group.command("rpoplpush", arity=3, flags="write denyoom", keys=(1, 2, 1))
def cmd_rpoplpush(ctx: Context, source: bytes, destination: bytes):
    """RPOPLPUSH source destination"""
    return _move(ctx, source, destination, False, True)


# -- LMPOP --------------------------------------------------------------------------


def _mpop_args(numkeys_arg: bytes, rest: tuple) -> tuple:
    """(keys, left, count) of LMPOP/BLMPOP, checked in redis 7.0's order."""
    numkeys = parse_range_int(numkeys_arg, 1, INT64_MAX, NUMKEYS_NOT_POSITIVE)
    if numkeys >= len(rest):
        raise CommandError(SYNTAX_ERROR)
    keys = rest[:numkeys]
    left = _where(rest[numkeys])
    limit = -1
    i, n = numkeys + 1, len(rest)
    while i < n:
        if limit == -1 and c_token(rest[i]) == b"count" and i + 1 < n:
            limit = parse_range_int(rest[i + 1], 1, INT64_MAX, COUNT_NOT_POSITIVE)
            i += 2
        else:
            raise CommandError(SYNTAX_ERROR)
    return keys, left, (1 if limit == -1 else limit)


def _pop_range_with_key(ctx: Context, key: bytes, lst: List, left: bool, limit: int) -> list:
    out = _pop_many(lst, min(limit, len(lst)), left)
    _removed(ctx, key, lst, left)
    ctx.store.dirty += len(out) - 1
    return [key, out]


def _first_nonempty(ctx: Context, keys) -> tuple:
    """(key, list) of the first key holding a list; WRONGTYPE if a key before it is not one."""
    get_list = ctx.db.get_list
    for key in keys:
        lst = get_list(key)
        if lst:
            return key, lst
    return None, None


@group.command("lmpop", arity=-4, flags="write movablekeys", keys=(0, 0, 0))
def cmd_lmpop(ctx: Context, numkeys: bytes, *rest: bytes):
    """LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]"""
    keys, left, limit = _mpop_args(numkeys, rest)
    key, lst = _first_nonempty(ctx, keys)
    if key is None:
        return NULL_ARRAY
    return _pop_range_with_key(ctx, key, lst, left, limit)


# -- blocking pops ------------------------------------------------------------------


def _serve_pop(left: bool, limit: "int | None", ctx: Context, key: bytes):
    """Retry of BLPOP/BRPOP (limit None) and BLMPOP: pop from the key that became ready."""
    lst = ctx.db.lookup(key)
    if not isinstance(lst, List) or not lst:
        return None  # redis 7.0: another type leaves the client blocked
    if limit is None:
        value = lst.popleft() if left else lst.pop()
        _removed(ctx, key, lst, left)
        return [key, value]
    return _pop_range_with_key(ctx, key, lst, left, limit)


def _serve_move(dst: bytes, from_left: bool, to_left: bool, ctx: Context, key: bytes):
    """Retry of BLMOVE/BRPOPLPUSH: a destination of another type is this client's WRONGTYPE."""
    lst = ctx.db.lookup(key)
    if not isinstance(lst, List) or not lst:
        return None
    return _move(ctx, key, dst, from_left, to_left)


def _bpop(ctx: Context, keys: tuple, timeout_arg: bytes, left: bool):
    timeout = parse_timeout(timeout_arg)  # redis 7.0: before any key is looked at
    key, lst = _first_nonempty(ctx, keys)
    if key is not None:
        value = lst.popleft() if left else lst.pop()
        _removed(ctx, key, lst, left)
        return [key, value]
    return blocking.block(ctx, keys, timeout, partial(_serve_pop, left, None))


@group.command("blpop", arity=-3, flags="write noscript blocking", keys=(1, -2, 1))
def cmd_blpop(ctx: Context, key: bytes, *rest: bytes):
    """BLPOP key [key ...] timeout"""
    return _bpop(ctx, (key,) + rest[:-1], rest[-1], True)


@group.command("brpop", arity=-3, flags="write noscript blocking", keys=(1, -2, 1))
def cmd_brpop(ctx: Context, key: bytes, *rest: bytes):
    """BRPOP key [key ...] timeout"""
    return _bpop(ctx, (key,) + rest[:-1], rest[-1], False)


def _bmove(ctx: Context, src: bytes, dst: bytes, from_left: bool, to_left: bool, timeout: int):
    if ctx.db.get_list(src) is not None:
        return _move(ctx, src, dst, from_left, to_left)
    # redis 7.0.15: the timeout reply is a null *array*, but inside EXEC a null bulk
    return blocking.block(
        ctx, (src,), timeout, partial(_serve_move, dst, from_left, to_left), deny_reply=None
    )


@group.command("blmove", arity=6, flags="write denyoom noscript blocking", keys=(1, 2, 1))
def cmd_blmove(ctx: Context, source: bytes, destination: bytes, wherefrom: bytes, whereto: bytes,
               timeout: bytes):
    """BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout"""
    from_left = _where(wherefrom)
    to_left = _where(whereto)
    return _bmove(ctx, source, destination, from_left, to_left, parse_timeout(timeout))


@group.command("brpoplpush", arity=4, flags="write denyoom noscript blocking", keys=(1, 2, 1))
def cmd_brpoplpush(ctx: Context, source: bytes, destination: bytes, timeout: bytes):
    """BRPOPLPUSH source destination timeout"""
    return _bmove(ctx, source, destination, False, True, parse_timeout(timeout))


@group.command("blmpop", arity=-5, flags="write blocking movablekeys", keys=(0, 0, 0))
def cmd_blmpop(ctx: Context, timeout: bytes, numkeys: bytes, *rest: bytes):
    """BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]"""
    keys, left, limit = _mpop_args(numkeys, rest)
    ms = parse_timeout(timeout)  # redis 7.0: after numkeys, the direction and COUNT
    key, lst = _first_nonempty(ctx, keys)
    if key is not None:
        return _pop_range_with_key(ctx, key, lst, left, limit)
    return blocking.block(ctx, keys, ms, partial(_serve_pop, left, limit))
