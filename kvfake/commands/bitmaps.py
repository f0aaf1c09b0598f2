"""Bitmap commands (Redis group "bitmap"): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

Imports: kvfake.commands.registry/context/args, kvfake.errors, kvfake.store.values.
Never: socket, selectors, protocol.encoder.

Strategy.  Strings stay immutable ``bytes`` (every other string command, the
encoder, COPY and MGET rely on it; a bytearray-backed value would fail their
``isinstance(v, bytes)`` checks and be shared mutably by COPY), so a write that
changes something rebuilds the value: ``b"".join`` over ``memoryview`` slices of
the old value around the few changed bytes (:class:`_Patch`), plus the copy
CPython makes to build the ``RawString`` subclass, two memcpy's in all (about
25 us for 1 MiB, 30 ms for 64 MiB; Redis is O(1)).  Reads never copy: GETBIT
indexes the value, BITCOUNT sums ``int.bit_count`` over 1 MiB ``int.from_bytes``
chunks of a memoryview, BITPOS finds the first byte that is not 0x00 / 0xff
with a compiled regex searching in place (``pos``/``endpos``).  A value written
here is a ``RawString`` (Redis unshares the string: OBJECT ENCODING raw), even
when nothing changed.

Redis 7.0.15 only signals, notifies and counts a change (dirty) when a bit
actually changed or the string was created or grown; an unchanged SETBIT on an
embstr still turns it raw, silently.  Bit offsets and BITFIELD's overflow
checks follow Redis's int64 arithmetic, wrap-arounds included (see
``_bit_offset`` and ``_signed_overflow``).
"""

from __future__ import annotations

import re

from kvfake.commands.args import INT64_MAX, parse_int
from kvfake.commands.context import Context
from kvfake.commands.strings import proto_max_bulk_len
from kvfake.commands.registry import CommandGroup
from kvfake.errors import SYNTAX_ERROR, CommandError
from kvfake.store.values import RawString

group = CommandGroup("bitmap")

# -- error texts used only here (Redis 7.0.15 wording) ----------------------

BIT_OFFSET_OUT_OF_RANGE = "ERR bit offset is not an integer or out of range"
BIT_NOT_0_OR_1 = "ERR bit is not an integer or out of range"
BITPOS_BIT_NOT_0_OR_1 = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_BAD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
BITFIELD_BAD_OVERFLOW = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_ONLY_GET = "ERR BITFIELD_RO only supports the GET subcommand"


_U64 = (1 << 64) - 1
_CHUNK = 1 << 20  # BITCOUNT: bytes per int.from_bytes
_NOT_ZERO = re.compile(rb"[^\x00]")
_NOT_FF = re.compile(rb"[^\xff]")
_INVERT = bytes(255 - i for i in range(256))

_WRAP, _SAT, _FAIL = 0, 1, 2
_GET, _SET, _INCRBY = 0, 1, 2


# -- helpers ----------------------------------------------------------------


def _cstr_upper(arg: bytes) -> bytes:
    """A token as Redis's strcasecmp sees it: up to the first NUL, upper case."""
    nul = arg.find(b"\0")
    return (arg if nul < 0 else arg[:nul]).upper()



def _to_int64(n: int) -> int:
    """``n`` wrapped to a C int64, as the machine does."""
    n &= _U64
    return n - (1 << 64) if n >> 63 else n


def _bit_offset(ctx: Context, arg: bytes, bits: int = 0) -> int:
    """Redis 7.0 getBitOffsetFromArgument: a bit offset below proto-max-bulk-len * 8.

    ``bits`` > 0 (BITFIELD) allows the ``#<n>`` form, n * bits; the product
    wraps as int64 in Redis (redis 7.0.15: ``BITFIELD k GET i4 #4611686018427387904``
    reads offset 0).
    """
    use_hash = bits > 0 and arg[:1] == b"#"
    offset = parse_int(arg[1:] if use_hash else arg, BIT_OFFSET_OUT_OF_RANGE)
    if use_hash:
        offset = _to_int64(offset * bits)
    if offset < 0 or (offset >> 3) >= proto_max_bulk_len(ctx):
        raise CommandError(BIT_OFFSET_OUT_OF_RANGE)
    return offset


def _unit_is_bit(arg: bytes) -> bool:
    u = _cstr_upper(arg)
    if u == b"BIT":
        return True
    if u == b"BYTE":
        return False
    raise CommandError(SYNTAX_ERROR)


def _byte_at(value: bytes, index: int) -> int:
    return value[index] if index < len(value) else 0


class _Patch:
    """A string being edited: the old bytes, a size (grown with zeros) and changed bytes.

    ``value()`` builds the result from memoryview slices of the old bytes and the
    changed runs, however few bytes changed; reads see the changes made so far.
    """

    __slots__ = ("base", "size", "changed")

    def __init__(self, base: bytes, size: int) -> None:
        self.base = base
        self.size = size
        self.changed: dict = {}

    def read(self, first: int, n: int) -> bytes:
        """Bytes ``first .. first+n-1``, zero past the end, with the changes applied."""
        chunk = self.base[first : first + n]
        if len(chunk) < n:
            chunk += bytes(n - len(chunk))
        changed = self.changed
        if changed:
            chunk = bytes(changed.get(first + i, b) for i, b in enumerate(chunk))
        return chunk

    def write(self, first: int, data: bytes) -> None:
        changed = self.changed
        for i, b in enumerate(data, first):
            changed[i] = b

    def value(self) -> RawString:
        base = self.base
        size = self.size
        view = memoryview(base)
        parts = []
        pos = 0
        run = bytearray()
        run_start = -1
        for i in sorted(self.changed):
            if i != run_start + len(run):
                if run:
                    parts.append(bytes(run))
                    run = bytearray()
                # the old bytes before i (zeros where the string grew)
                if pos < i:
                    if pos < len(base):
                        parts.append(view[pos : min(i, len(base))])
                    if i > len(base):
                        parts.append(bytes(i - max(pos, len(base))))
                run_start = i
            run.append(self.changed[i])
            pos = i + 1
        if run:
            parts.append(bytes(run))
        if pos < len(base):
            parts.append(view[pos:])
            pos = len(base)
        if pos < size:
            parts.append(bytes(size - pos))
        return RawString(b"".join(parts))


def _store(ctx: Context, key: bytes, old: "bytes | None", new: bytes, changes: int, created: bool) -> None:
    """Store an edited string as Redis 7.0.15 does after SETBIT / BITFIELD.

    ``changes`` > 0: signal, dirty += changes, notify "setbit".  Otherwise the
    string was only created, grown or unshared in place: Redis does neither
    signal nor count it (a created key still announces itself as new).
    """
    db = ctx.db
    if changes:
        db.set_value(key, new, keep_ttl=True)  # dirty += 1, signalModifiedKey
        ctx.store.dirty += changes - 1
        ctx.notify("$", b"setbit", key)
    elif created:
        db.add_quietly(key, new)  # dbAdd alone: a "new" event, no signal, no change counted
    elif new is not old:
        # The same bytes (or the same bytes grown with zeros) under Redis's raw
        # encoding: an in-place change Redis neither signals nor counts.
        db.data[key] = new


# -- SETBIT / GETBIT --------------------------------------------------------


@group.command("setbit", arity=4, flags="write denyoom", keys=(1, 1, 1))
def cmd_setbit(ctx: Context, key: bytes, offset: bytes, value: bytes):
    """SETBIT key offset value"""
    # redis 7.0.15 order: offset, bit value, then the key's type.
    pos = _bit_offset(ctx, offset)
    on = parse_int(value, BIT_NOT_0_OR_1)
    if on & ~1:
        raise CommandError(BIT_NOT_0_OR_1)
    old = ctx.db.get_string(key)
    index = pos >> 3
    mask = 0x80 >> (pos & 7)
    if old is None:
        _store(ctx, key, None, RawString(bytes(index) + bytes((mask if on else 0,))), 1, True)
        return 0
    byte = _byte_at(old, index)
    was = 1 if byte & mask else 0
    grown = index >= len(old)
    if grown or was != on:
        patch = _Patch(old, max(len(old), index + 1))
        patch.changed[index] = (byte | mask) if on else (byte & ~mask)
        _store(ctx, key, old, patch.value(), 1, False)
    elif type(old) is not RawString:
        _store(ctx, key, old, RawString(old), 0, False)
    return was


@group.command("getbit", arity=3, flags="readonly fast", keys=(1, 1, 1))
def cmd_getbit(ctx: Context, key: bytes, offset: bytes):
    """GETBIT key offset"""
    # redis 7.0.15: the offset is checked before the key is looked up.
    pos = _bit_offset(ctx, offset)
    value = ctx.db.get_string(key)
    if value is None:
        return 0
    index = pos >> 3
    if index >= len(value):
        return 0
    return 1 if value[index] & (0x80 >> (pos & 7)) else 0


# -- BITCOUNT / BITPOS ------------------------------------------------------


def _popcount(value: bytes, first: int, last: int) -> int:
    """Set bits in bytes first..last (inclusive), chunk by chunk."""
    view = memoryview(value)
    total = 0
    for start in range(first, last + 1, _CHUNK):
        chunk = view[start : min(start + _CHUNK, last + 1)]
        total += int.from_bytes(chunk, "big").bit_count()
    return total


def _bit_range(size: int, start: int, end: int, is_bit: bool) -> "tuple[int, int]":
    """Redis's index conversion: negative from the end, clamped; (start, end) in units."""
    total = size * 8 if is_bit else size
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


@group.command("bitcount", arity=-2, flags="readonly", keys=(1, 1, 1))
def cmd_bitcount(ctx: Context, key: bytes, *args: bytes):
    """BITCOUNT key [start end [BYTE | BIT]]"""
    # redis 7.0.15: a missing key is 0 whatever the arguments ("BITCOUNT nokey a b c"),
    # the type is checked next, then start, end and the unit, in that order.
    value = ctx.db.get_string(key)
    if value is None:
        return 0
    n = len(value)
    if not args:
        return _popcount(value, 0, n - 1)
    if len(args) not in (2, 3):
        raise CommandError(SYNTAX_ERROR)
    start = parse_int(args[0])
    end = parse_int(args[1])
    if start < 0 and end < 0 and start > end:
        # redis 7.0.15 answers 0 here before it reads the unit: "BITCOUNT k -5 -100 WORD" is 0, not a
        # syntax error (differential bitmaps/bitcount-empty-negative-range-before-unit; found by the fuzzer)
        return 0
    is_bit = len(args) == 3 and _unit_is_bit(args[2])
    start, end = _bit_range(n, start, end, is_bit)
    if start > end:
        return 0
    if not is_bit:
        return _popcount(value, start, end)
    first, last = start >> 3, end >> 3
    count = _popcount(value, first, last)
    # the bits of the edge bytes that lie outside the range
    outside = (value[first] & ~(0xFF >> (start & 7)) & 0xFF, value[last] & ((1 << (7 - (end & 7))) - 1))
    return count - outside[0].bit_count() - outside[1].bit_count()


def _first_bit(byte: int, bit: int) -> int:
    """Index (0 = most significant) of the first ``bit`` in ``byte``, 8 if none."""
    if not bit:
        byte ^= 0xFF
    return 8 - byte.bit_length()


def _find_bit(value: bytes, start: int, end: int, bit: int) -> int:
    """The first bit position in [start, end] (bits, inclusive) holding ``bit``, or -1."""
    first, last = start >> 3, end >> 3
    lead = 0xFF >> (start & 7)  # the bits of the first byte inside the range
    tail = (0xFF << (7 - (end & 7))) & 0xFF  # ... of the last byte
    if first == last:
        inside = lead & tail
        byte = value[first] if bit else value[first] | (~inside & 0xFF)
        at = _first_bit(byte & inside if bit else byte, bit)
        return first * 8 + at if at < 8 else -1
    byte = value[first] & lead if bit else value[first] | (~lead & 0xFF)
    at = _first_bit(byte, bit)
    if at < 8:
        return first * 8 + at
    if last > first + 1:
        m = (_NOT_ZERO if bit else _NOT_FF).search(value, first + 1, last)
        if m is not None:
            i = m.start()
            return i * 8 + _first_bit(value[i], bit)
    byte = value[last] & tail if bit else value[last] | (~tail & 0xFF)
    at = _first_bit(byte, bit)
    return last * 8 + at if at < 8 else -1


@group.command("bitpos", arity=-3, flags="readonly", keys=(1, 1, 1))
def cmd_bitpos(ctx: Context, key: bytes, bit: bytes, *args: bytes):
    """BITPOS key bit [start [end [BYTE | BIT]]]"""
    # redis 7.0.15 order: the bit argument, then the key (missing: 0 for a clear bit, -1
    # for a set bit, whatever follows), its type, start, the unit, and end last.
    b = parse_int(bit)
    if b != 0 and b != 1:
        raise CommandError(BITPOS_BIT_NOT_0_OR_1)
    value = ctx.db.get_string(key)
    if value is None:
        return -1 if b else 0
    n = len(value)
    end_given = False
    if not args:
        start, end = 0, n * 8 - 1
    elif len(args) <= 3:
        start = parse_int(args[0])
        is_bit = len(args) == 3 and _unit_is_bit(args[2])
        if len(args) >= 2:
            end = parse_int(args[1])
            end_given = True
        else:
            end = -1
        # unlike BITCOUNT, no "both negative and start > end" shortcut: BITPOS k 1 -100 -200
        # clamps both to 0 and searches the first byte (redis 7.0.15).
        start, end = _bit_range(n, start, end, is_bit)
        if not is_bit:
            start, end = start * 8, end * 8 + 7
    else:
        raise CommandError(SYNTAX_ERROR)
    if start > end:
        return -1
    pos = _find_bit(value, start, end, b)
    if pos < 0 and not b and not end_given:
        # Without an explicit end the string counts as padded with zero bits.
        return end + 1
    return pos


# -- BITOP ------------------------------------------------------------------


@group.command("bitop", arity=-4, flags="write denyoom", keys=(2, -1, 1))
def cmd_bitop(ctx: Context, operation: bytes, destkey: bytes, *keys: bytes):
    """BITOP operation destkey key [key ...]"""
    op = _cstr_upper(operation)
    if op not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise CommandError(SYNTAX_ERROR)
    if op == b"NOT" and len(keys) != 1:
        raise CommandError(BITOP_NOT_ONE_KEY)
    db = ctx.db
    values = [db.get_string(k) or b"" for k in keys]  # WRONGTYPE at the first non-string
    size = max(map(len, values))
    if op == b"NOT":
        result = values[0].translate(_INVERT)
    elif size:
        # Shorter strings are padded with zero bytes at the end.
        ints = [int.from_bytes(v, "big") << (8 * (size - len(v))) for v in values]
        acc = ints[0]
        if op == b"AND":
            for x in ints[1:]:
                acc &= x
        elif op == b"OR":
            for x in ints[1:]:
                acc |= x
        else:
            for x in ints[1:]:
                acc ^= x
        result = acc.to_bytes(size, "big")
    if size:
        db.lookup(destkey)  # expire a due key first, so the write counts as a creation
        db.set_value(destkey, RawString(result))  # any type, TTL dropped (setKey)
        ctx.notify("$", b"set", destkey)
    elif db.delete(destkey):
        ctx.notify("g", b"del", destkey)
    return size


# -- BITFIELD ---------------------------------------------------------------


def _bitfield_type(arg: bytes) -> "tuple[bool, int]":
    """(signed, bits) of ``i<1..64>`` / ``u<1..63>``; the width is read up to a NUL."""
    kind = arg[:1]
    if kind != b"i" and kind != b"u":
        raise CommandError(BITFIELD_BAD_TYPE)
    width = arg[1:]
    nul = width.find(b"\0")
    if nul >= 0:
        width = width[:nul]
    bits = parse_int(width, BITFIELD_BAD_TYPE)
    signed = kind == b"i"
    if bits < 1 or bits > (64 if signed else 63):
        raise CommandError(BITFIELD_BAD_TYPE)
    return signed, bits


def _signed_overflow(value: int, incr: int, bits: int, mode: int) -> "tuple[int, int]":
    """Redis 7.0's checkSignedBitfieldOverflow: (overflow -1/0/1, replacement value).

    Same int64 arithmetic: ``max - value`` is computed unsigned, so a SET of a
    value within ``max`` of INT64_MIN counts as a positive overflow (redis 7.0.15:
    ``BITFIELD k OVERFLOW SAT SET i8 0 -9223372036854775808`` stores 127).
    """
    top = INT64_MAX if bits == 64 else (1 << (bits - 1)) - 1
    bottom = -top - 1
    max_incr = _to_int64(top - value)
    min_incr = bottom - value
    if value > top or (bits != 64 and incr > max_incr) or (value >= 0 and incr > 0 and incr > max_incr):
        overflow = 1
        limit = top
    elif value < bottom or (bits != 64 and incr < min_incr) or (value < 0 and incr < 0 and incr < min_incr):
        overflow = -1
        limit = bottom
    else:
        return 0, 0
    if mode == _WRAP:
        total = (value + incr) & ((1 << bits) - 1)
        limit = total - (1 << bits) if total >> (bits - 1) else total
    return overflow, limit


def _unsigned_overflow(value: int, incr: int, bits: int, mode: int) -> "tuple[int, int]":
    """Redis 7.0's checkUnsignedBitfieldOverflow; ``value`` is a uint64."""
    top = (1 << bits) - 1
    if value > top or (incr > 0 and incr > top - value):
        overflow, limit = 1, top
    elif incr < 0 and incr < -value:
        overflow, limit = -1, 0
    else:
        return 0, 0
    if mode == _WRAP:
        limit = (value + incr) & top
    return overflow, limit


def _read_field(patch: _Patch, offset: int, bits: int) -> int:
    """The unsigned value of bits offset..offset+bits-1 (most significant first)."""
    first = offset >> 3
    n = ((offset + bits - 1) >> 3) - first + 1
    whole = int.from_bytes(patch.read(first, n), "big")
    return (whole >> (n * 8 - (offset & 7) - bits)) & ((1 << bits) - 1)


def _write_field(patch: _Patch, offset: int, bits: int, value: int) -> None:
    first = offset >> 3
    n = ((offset + bits - 1) >> 3) - first + 1
    shift = n * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    whole = int.from_bytes(patch.read(first, n), "big")
    whole = (whole & ~mask) | ((value << shift) & mask)
    patch.write(first, whole.to_bytes(n, "big"))


def _bitfield(ctx: Context, key: bytes, args: tuple, readonly_command: bool):
    """Redis 7.0 bitfieldGeneric: parse every operation, then look up the key, then run them."""
    ops = []
    mode = _WRAP
    writes = False
    highest = 0  # the last bit any SET / INCRBY reaches
    n = len(args)
    j = 0
    while j < n:
        remaining = n - j - 1
        sub = _cstr_upper(args[j])
        if sub == b"GET" and remaining >= 2:
            opcode = _GET
        elif sub == b"SET" and remaining >= 3:
            opcode = _SET
        elif sub == b"INCRBY" and remaining >= 3:
            opcode = _INCRBY
        elif sub == b"OVERFLOW" and remaining >= 1:
            kind = _cstr_upper(args[j + 1])
            if kind == b"WRAP":
                mode = _WRAP
            elif kind == b"SAT":
                mode = _SAT
            elif kind == b"FAIL":
                mode = _FAIL
            else:
                raise CommandError(BITFIELD_BAD_OVERFLOW)
            j += 2
            continue
        else:
            raise CommandError(SYNTAX_ERROR)
        signed, bits = _bitfield_type(args[j + 1])
        offset = _bit_offset(ctx, args[j + 2], bits)
        number = 0
        if opcode != _GET:
            writes = True
            highest = max(highest, offset + bits - 1)
            number = parse_int(args[j + 3])
            j += 4
        else:
            j += 3
        ops.append((opcode, signed, bits, offset, number, mode))

    db = ctx.db
    if not writes:
        value = db.get_string(key)  # WRONGTYPE even with no operation at all
        patch = _Patch(value or b"", len(value or b""))
        return [_get_field(patch, signed, bits, offset) for _, signed, bits, offset, _, _ in ops]
    if readonly_command:
        raise CommandError(BITFIELD_RO_ONLY_GET)
    old = db.get_string(key)
    base = old or b""
    size = max(len(base), (highest >> 3) + 1)
    grown = old is None or size > len(base)  # Redis's "dirty": every write op then counts
    patch = _Patch(base, size)
    replies = []
    changes = 0
    for opcode, signed, bits, offset, number, op_mode in ops:
        if opcode == _GET:
            replies.append(_get_field(patch, signed, bits, offset))
            continue
        old_u = _read_field(patch, offset, bits)
        if signed:
            old_v = old_u - (1 << bits) if old_u >> (bits - 1) else old_u
            if opcode == _INCRBY:
                overflow, limit = _signed_overflow(old_v, number, bits, op_mode)
                new_v = limit if overflow else old_v + number
                reply = new_v
            else:
                overflow, limit = _signed_overflow(number, 0, bits, op_mode)
                new_v = limit if overflow else number
                reply = old_v
        else:
            old_v = old_u
            if opcode == _INCRBY:
                overflow, limit = _unsigned_overflow(old_v, number, bits, op_mode)
                new_v = limit if overflow else old_v + number
                reply = new_v
            else:
                overflow, limit = _unsigned_overflow(number & _U64, 0, bits, op_mode)
                new_v = limit if overflow else number
                reply = old_v
        if overflow and op_mode == _FAIL:
            replies.append(None)
            continue
        replies.append(reply)
        _write_field(patch, offset, bits, new_v & ((1 << bits) - 1))
        if grown or old_v != new_v:
            changes += 1
    new = patch.value() if (patch.changed or grown or type(old) is not RawString) else old
    _store(ctx, key, old, new, changes, old is None)
    return replies


def _get_field(patch: _Patch, signed: bool, bits: int, offset: int) -> int:
    value = _read_field(patch, offset, bits)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


@group.command("bitfield", arity=-2, flags="write denyoom", keys=(1, 1, 1))
def cmd_bitfield(ctx: Context, key: bytes, *args: bytes):
    """BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]"""
    return _bitfield(ctx, key, args, False)


@group.command("bitfield_ro", arity=-2, flags="readonly fast", keys=(1, 1, 1))
def cmd_bitfield_ro(ctx: Context, key: bytes, *args: bytes):
    """BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]"""
    return _bitfield(ctx, key, args, True)
