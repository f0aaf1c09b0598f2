"""HyperLogLog values: the bytes behind PFADD / PFCOUNT / PFMERGE, in Redis 7.0's own format.

A HyperLogLog is an ordinary string value (TYPE says string) whose bytes are exactly what
redis-server 7.0 stores, so a value written here can be loaded into real Redis and back:

    16-byte header   b"HYLL", encoding (0 dense, 1 sparse), 3 unused bytes (kept as found),
                     cached cardinality: uint64 little-endian; the top bit of byte 15 set means
                     "stale, recompute".
    dense            16384 registers of 6 bits, packed from the LSB of each byte (12288 bytes).
    sparse           run-length opcodes: ZERO 00xxxxxx (1-64 zero registers),
                     XZERO 01xxxxxx yyyyyyyy (1-16384 zero registers), VAL 1vvvvvxx (1-4
                     registers of value 1-32).

An element hashes with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register,
the register value is 1 + the number of trailing zeros of the other 50 bits (at most 51).

Strategy: byte-exactness with Redis depends on replaying its sparse update algorithm
(split one opcode, then merge adjacent VALs while scanning at most 5 opcodes from the one
before), so the update rules are Redis's own.  For speed the sparse opcodes are decoded once
per call into a list of ints (one-byte opcodes as 0..255, XZERO as its 16-bit big-endian
value) plus a parallel list of first-register indexes searched with bisect; the bytes are
encoded once at the end.  The sparse form is promoted to dense when a register needs a value
above 32 or when an update would make the value longer than ``hll-sparse-max-bytes`` (3000).
Dense registers are unpacked and packed four at a time with big-integer lane arithmetic,
and the 7.0 cardinality estimator (Ertl's, with sigma/tau) works on the register histogram.

Corrupt values are handled the way Redis 7.0 handles them (its checks, in its order): a
string that is not an HLL raises ``NOT_AN_HLL``; a sparse value whose opcodes do not cover
exactly 16384 registers raises ``CORRUPTED_HLL`` when an operation walks it.  A dense value
is never "corrupt" (every bit pattern is a register); a register above 51 counts nowhere.
One difference is left, on corrupt input only: a sparse value ending in a lone XZERO byte
makes Redis read the byte past the end of its in-memory string, which its own updates can
leave non-zero from one command to the next; kvfake takes it as NUL at the start of every
command (as it is in Redis for a freshly written value) and tracks it within the command.

Imports: kvfake.errors.  Never: socket, selectors, other kvfake modules.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from array import array
from bisect import bisect_right
from itertools import accumulate
from typing import Iterable, Sequence, Union

from kvfake.errors import CommandError, WrongTypeError

# redis 7.0: isHLLObjectOrReply / invalid_hll_err, seen on redis-server 7.0.15.
NOT_AN_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED_HLL = "INVALIDOBJ Corrupted HLL object detected"

SPARSE_MAX_BYTES = 3000  # hll-sparse-max-bytes default

MAGIC = b"HYLL"
HEADER_SIZE = 16
REGISTERS = 16384  # 2**P, P = 14
DENSE_SIZE = HEADER_SIZE + REGISTERS * 6 // 8  # 12304
DENSE = 0
SPARSE = 1

_P = 14
_Q = 64 - _P  # 50
_INDEX_MASK = REGISTERS - 1
_TERMINATOR = 1 << _Q  # the 51st bit: a 50-zero run counts as 51

_SPARSE_VAL_MAX = 32
_ZERO_MAX = 64
_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)

_EMPTY_SPARSE_BODY = b"\x7f\xff"  # XZERO:16384


class CorruptHllError(CommandError):
    """``INVALIDOBJ Corrupted HLL object detected``.

    ``value`` is what the key holds afterwards, when it differs from before: Redis 7.0 updates
    the value in place element by element, so a PFADD that fails on its third element keeps
    the changes made by the first two (with the cached cardinality marked stale).  ``None``
    means the key is unchanged.
    """

    def __init__(self, value: bytes | None = None) -> None:
        super().__init__(CORRUPTED_HLL)
        self.value = value


class _NotAString:
    """Marker for a key that exists but holds a list, set, ... (not a string)."""

    def __repr__(self) -> str:
        return "NOT_A_STRING"


#: Pass this in ``pfcount`` / ``pfmerge`` value lists for a key of another type: the generic
#: WRONGTYPE is then raised at that key's position, after the keys before it were merged
#: (redis 7.0 looks up, checks and merges one key at a time, so ``PFCOUNT corrupt list``
#: answers INVALIDOBJ but ``PFCOUNT list corrupt`` answers WRONGTYPE).
NOT_A_STRING = _NotAString()

Value = Union[bytes, None, _NotAString]


# -- hashing -----------------------------------------------------------------

_M = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1
_SEED = 0xADC83B19


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    """MurmurHash2, 64-bit, as Redis's endian-neutral version (8-byte blocks little-endian)."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK64
    nblocks = n >> 3
    if nblocks:
        for k in struct.unpack_from(f"<{nblocks}Q", data):
            k = (k * _M) & _MASK64
            k ^= k >> 47
            k = (k * _M) & _MASK64
            h ^= k
            h = (h * _M) & _MASK64
    tail = n & 7
    if tail:
        h ^= int.from_bytes(data[n - tail :], "little")
        h = (h * _M) & _MASK64
    h ^= h >> 47
    h = (h * _M) & _MASK64
    h ^= h >> 47
    return h


def pattern(element: bytes) -> tuple[int, int]:
    """(register index, register candidate value 1..51) of one element (Redis's hllPatLen)."""
    h = murmurhash64a(element)
    x = (h >> _P) | _TERMINATOR
    return h & _INDEX_MASK, (x & -x).bit_length()


# -- validation ----------------------------------------------------------------


def is_valid(value: bytes) -> bool:
    """Whether PF* accept this string at all (redis 7.0 isHLLObjectOrReply).

    Only the header and the dense length are checked; a sparse body is checked when walked.
    """
    if len(value) < HEADER_SIZE or value[:4] != MAGIC:
        return False
    encoding = value[4]
    if encoding > SPARSE:
        return False
    return encoding != DENSE or len(value) == DENSE_SIZE


def _check(value: Value) -> bytes:
    if isinstance(value, _NotAString):
        raise WrongTypeError()
    assert value is not None
    if not is_valid(value):
        raise CommandError(NOT_AN_HLL)
    return value


# -- dense registers: 3 bytes hold 4 registers ----------------------------------
#
# Lanes: the 12288 register bytes are split into the 4096 bytes at offsets 0, 1, 2 mod 3;
# each group becomes one big int whose bytes are processed in parallel ("SWAR"), masking
# after every shift so no bits leak between lanes.

_GROUPS = REGISTERS // 4  # 4096


def _lanes(byte: int) -> int:
    return int.from_bytes(bytes([byte]) * _GROUPS, "little")


_L03, _L0F, _L3F = _lanes(0x03), _lanes(0x0F), _lanes(0x3F)


def _unpack_dense(body: bytes) -> bytearray:
    """12288 packed bytes -> 16384 bytes, one register per byte."""
    x = int.from_bytes(body[0::3], "little")
    y = int.from_bytes(body[1::3], "little")
    z = int.from_bytes(body[2::3], "little")
    regs = bytearray(REGISTERS)
    regs[0::4] = (x & _L3F).to_bytes(_GROUPS, "little")
    regs[1::4] = (((x >> 6) & _L03) | ((y & _L0F) << 2)).to_bytes(_GROUPS, "little")
    regs[2::4] = (((y >> 4) & _L0F) | ((z & _L03) << 4)).to_bytes(_GROUPS, "little")
    regs[3::4] = ((z >> 2) & _L3F).to_bytes(_GROUPS, "little")
    return regs


def _pack_dense(regs: bytes | bytearray) -> bytearray:
    """16384 registers (each 0..63) -> 12288 packed bytes."""
    r0 = int.from_bytes(regs[0::4], "little")
    r1 = int.from_bytes(regs[1::4], "little")
    r2 = int.from_bytes(regs[2::4], "little")
    r3 = int.from_bytes(regs[3::4], "little")
    body = bytearray(REGISTERS * 6 // 8)
    body[0::3] = (r0 | ((r1 & _L03) << 6)).to_bytes(_GROUPS, "little")
    body[1::3] = (((r1 >> 2) & _L0F) | ((r2 & _L0F) << 4)).to_bytes(_GROUPS, "little")
    body[2::3] = (((r2 >> 4) & _L03) | (r3 << 2)).to_bytes(_GROUPS, "little")
    return body


def _dense_get(buf: bytearray, index: int) -> int:
    bit = index * 6
    pos = HEADER_SIZE + (bit >> 3)
    fb = bit & 7
    v = buf[pos] >> fb
    if fb > 2:  # the register continues into the next byte
        v |= buf[pos + 1] << (8 - fb)
    return v & 63


def _dense_set(buf: bytearray, index: int, value: int) -> None:
    bit = index * 6
    pos = HEADER_SIZE + (bit >> 3)
    fb = bit & 7
    buf[pos] = (buf[pos] & ~(63 << fb) & 0xFF) | ((value << fb) & 0xFF)
    if fb > 2:
        rs = 8 - fb
        buf[pos + 1] = (buf[pos + 1] & ~(63 >> rs) & 0xFF) | (value >> rs)


# -- sparse opcodes -------------------------------------------------------------
#
# An opcode is an int: 0x00-0x3f ZERO, 0x80-0xff VAL, 0x4000-0x7fff XZERO (both bytes,
# big-endian).  0x40-0x7f alone is an XZERO cut short by the end of the value: Redis then
# reads its second byte past the end of the string (see _Hll.phantom).


def _span_of_byte(op: int) -> int:
    if op < 0x40:
        return op + 1
    if op < 0x80:
        return ((op & 0x3F) << 8) + 1
    return (op & 3) + 1


_SPAN1 = [_span_of_byte(op) for op in range(256)]


def _span(op: int) -> int:
    return _SPAN1[op] if op < 256 else (op & 0x3FFF) + 1


def _is_val(op: int) -> bool:
    return 0x80 <= op <= 0xFF


def _val(value: int, runlen: int) -> int:
    return 0x80 | ((value - 1) << 2) | (runlen - 1)


def _zeros(runlen: int) -> int:
    return runlen - 1 if runlen <= _ZERO_MAX else 0x4000 | (runlen - 1)


# Decoding and encoding run mostly in C: XZERO is the only two-byte opcode, and scanning
# for "a byte in 0x40-0x7f plus the next byte" from the left finds exactly the XZEROs that
# a sequential walk would, so the bytes between them are one-byte opcodes taken as they are.
_XZERO_RE = re.compile(rb"[\x40-\x7f].", re.DOTALL)
_NONZERO_RE = re.compile(rb"[^\x00]")
_SPAN_TABLE = bytes(0 if 0x40 <= op < 0x80 else _span_of_byte(op) for op in range(256))


def _decode(body: bytes) -> tuple[list[int], list[int]]:
    """Opcodes and their spans (registers covered)."""
    ops: list[int] = []
    spans: list[int] = []
    pos = 0
    for match in _XZERO_RE.finditer(body):
        at = match.start()
        segment = body[pos:at]
        ops += segment
        spans += segment.translate(_SPAN_TABLE)
        op = (body[at] << 8) | body[at + 1]
        ops.append(op)
        spans.append((op & 0x3FFF) + 1)
        pos = at + 2
    segment = body[pos:]
    ops += segment
    spans += segment.translate(_SPAN_TABLE)
    if ops and 0x40 <= ops[-1] < 0x80:
        spans[-1] = _SPAN1[ops[-1]]
    return ops, spans


def _decode_ops(body: bytes) -> list[int]:
    return _decode(body)[0]


def _encode_ops(ops: list[int]) -> bytes:
    if not ops or max(ops) < 256:
        return bytes(ops)
    # Find the XZEROs by their high bytes (one per opcode, as 16-bit array items).
    words = array("H", ops).tobytes()
    highs = words[1::2] if sys.byteorder == "little" else words[0::2]
    out = bytearray()
    pos = 0
    for match in _NONZERO_RE.finditer(highs):
        at = match.start()
        out += bytes(ops[pos:at])
        out += ops[at].to_bytes(2, "big")
        pos = at + 1
    out += bytes(ops[pos:])
    return bytes(out)


def _ops_nbytes(ops: Iterable[int]) -> int:
    return sum(1 if op < 256 else 2 for op in ops)


def _sparse_registers(ops: Sequence[int], phantom: int = 0) -> bytearray | None:
    """The registers of a sparse body, or None if it does not cover exactly 16384 of them.

    redis 7.0 hllSparseToDense / hllMerge: a VAL run reaching past the last register stops
    the walk.
    """
    regs = bytearray(REGISTERS)
    idx = 0
    for op in ops:
        if _is_val(op):
            runlen = (op & 3) + 1
            if idx + runlen > REGISTERS:
                return None
            regs[idx : idx + runlen] = bytes((((op >> 2) & 0x1F) + 1,)) * runlen
            idx += runlen
        else:
            idx += _span(op)
    if ops and 0x40 <= ops[-1] < 0x80:
        idx += phantom  # a lone trailing XZERO byte reads its second byte past the end
    return regs if idx == REGISTERS else None


# -- one HyperLogLog being updated ------------------------------------------------


class _Hll:
    """A mutable HLL for the duration of one command; ``to_bytes()`` gives the value back.

    ``phantom`` is the byte just past the end of the value as Redis's in-memory string holds
    it (the NUL terminator, or a byte left there by an update).  It only matters for a
    corrupt value ending in a lone XZERO byte, whose missing second byte Redis reads from
    there.  A value starts each call with 0, as a freshly written string has.
    """

    __slots__ = ("dense", "header", "max_bytes", "nbytes", "ops", "phantom", "starts", "total")

    def __init__(self, value: bytes | None, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        if value is None:
            value = MAGIC + b"\x01" + bytes(11) + _EMPTY_SPARSE_BODY
        if value[4] == DENSE:
            self.dense: bytearray | None = bytearray(value)
            return
        self.dense = None
        self.header = bytearray(value[:HEADER_SIZE])
        body = value[HEADER_SIZE:]
        self.ops, spans = _decode(body)
        self.nbytes = len(body)
        self.phantom = 0
        self.starts = [0, *accumulate(spans)]
        self.total = self.starts.pop()

    def to_bytes(self) -> bytes:
        if self.dense is not None:
            return bytes(self.dense)
        return bytes(self.header) + _encode_ops(self.ops)

    def invalidate_cache(self) -> None:
        if self.dense is not None:
            self.dense[15] |= 0x80
        else:
            self.header[15] |= 0x80

    def registers(self) -> bytearray | None:
        """One byte per register, or None for a sparse body that is corrupt."""
        if self.dense is not None:
            return _unpack_dense(self.dense[HEADER_SIZE:])
        return _sparse_registers(self.ops, self.phantom)

    def to_dense(self) -> bool:
        """Promote to the dense encoding; False if the sparse body is corrupt."""
        if self.dense is not None:
            return True
        regs = _sparse_registers(self.ops, self.phantom)
        if regs is None:
            return False
        self.header[4] = DENSE  # the rest of the header (unused bytes, cache) is kept
        self.dense = self.header + _pack_dense(regs)
        return True

    def _span_at(self, op: int) -> int:
        if 0x40 <= op < 0x80:  # lone XZERO byte: always the last opcode
            return (((op & 0x3F) << 8) | self.phantom) + 1
        return _span(op)

    def set(self, index: int, count: int) -> int:
        """Raise register ``index`` to ``count``: 1 if changed, 0 if not, -1 if corrupt."""
        dense = self.dense
        if dense is not None:
            if count > _dense_get(dense, index):
                _dense_set(dense, index, count)
                return 1
            return 0
        if count > _SPARSE_VAL_MAX:
            return self._promote(index, count)
        if index >= self.total:
            return -1
        ops, starts = self.ops, self.starts
        i = bisect_right(starts, index) - 1
        op = ops[i]
        if _is_val(op):
            if ((op >> 2) & 0x1F) + 1 >= count:
                return 0
            if op & 3 == 0:  # a run of one: rewrite in place
                ops[i] = _val(count, 1)
                self._merge_vals(i)
                return 1
        elif op == 0:  # ZERO of length 1
            ops[i] = _val(count, 1)
            self._merge_vals(i)
            return 1
        # General case: split the opcode around the register.
        first = starts[i]
        last = first + self._span_at(op) - 1
        seq = []
        if _is_val(op):
            current = ((op >> 2) & 0x1F) + 1
            if index != first:
                seq.append(_val(current, index - first))
            seq.append(_val(count, 1))
            if index != last:
                seq.append(_val(current, last - index))
            oldlen = 1
        else:
            if index != first:
                seq.append(_zeros(index - first))
            seq.append(_val(count, 1))
            if index != last:
                seq.append(_zeros(last - index))
            oldlen = 1 if op < 0x40 else 2  # a lone XZERO byte still counts as 2
        delta = _ops_nbytes(seq) - oldlen
        if delta > 0 and HEADER_SIZE + self.nbytes + delta > self.max_bytes:
            return self._promote(index, count)
        if 0x40 <= op < 0x80:
            # Redis copies the whole new sequence but the length grows by seqlen - 2 only:
            # the sequence's last byte lands just past the end of the string.
            encoded = _encode_ops(seq)
            self.phantom = encoded[-1]
            seq = _decode_ops(encoded[:-1])
            delta = len(encoded) - 2
        else:
            self.phantom = 0  # the string's length was set again: NUL terminator
        new_starts = []
        start = first
        for o in seq:
            new_starts.append(start)
            start += _span(o)
        ops[i : i + 1] = seq
        starts[i : i + 1] = new_starts
        self.nbytes += delta
        self._merge_vals(i)
        return 1

    def _merge_vals(self, i: int) -> None:
        """Redis's step 4: from the opcode before ``i``, scan up to 5 opcodes and merge
        adjacent VALs of the same value while the run stays <= 4."""
        ops, starts = self.ops, self.starts
        j = i - 1 if i > 0 else 0
        scan = 5
        while j < len(ops) and scan:
            scan -= 1
            op = ops[j]
            if _is_val(op) and j + 1 < len(ops):
                nxt = ops[j + 1]
                if _is_val(nxt) and (op & 0x7C) == (nxt & 0x7C):
                    runlen = (op & 3) + (nxt & 3) + 2
                    if runlen <= 4:
                        ops[j : j + 2] = [(op & 0xFC) | (runlen - 1)]
                        del starts[j + 1]
                        self.nbytes -= 1
                        self.phantom = 0
                        continue  # try again with the following opcode
            j += 1
        # The covered range changes only through the last opcode (a lone XZERO byte).
        self.total = starts[-1] + self._span_at(ops[-1]) if ops else 0

    def _promote(self, index: int, count: int) -> int:
        if not self.to_dense():
            return -1
        assert self.dense is not None
        _dense_set(self.dense, index, count)  # always an increase: see set()
        return 1


# -- the estimator (redis 7.0 hllCount: Ertl, "New cardinality estimation algorithms for
#    HyperLogLog sketches", arXiv:1702.01284) -------------------------------------------


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        t = 1 - x
        z -= t * t * y  # pow(1 - x, 2): gcc folds it to a multiplication
        if previous == z:
            return z / 3


def _estimate(histogram: Sequence[int]) -> int:
    """Cardinality from the register histogram, as the uint64 Redis caches."""
    m = float(REGISTERS)
    z = m * _tau((m - histogram[_Q + 1]) / m)
    for j in range(_Q, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    e = _ALPHA_INF * m * m / z if z else math.inf
    # llroundl: halves away from zero; out of range (inf, >= 2**63) gives LONG_MIN, which
    # Redis then stores as the uint64 2**63 and replies as -9223372036854775808.
    if not e < 2.0**63:
        return 1 << 63
    floor = math.floor(e)
    return int(floor) + (1 if e - floor >= 0.5 else 0)


def _histogram(regs: bytes | bytearray) -> list[int]:
    return [regs.count(v) for v in range(_Q + 2)]  # values 52..63 count nowhere


def _sparse_histogram(ops: Iterable[int]) -> tuple[list[int], bool]:
    """redis 7.0 hllSparseRegHisto: no early stop; valid iff exactly 16384 registers."""
    histogram = [0] * 64
    idx = 0
    for op in ops:
        if _is_val(op):
            runlen = (op & 3) + 1
            histogram[((op >> 2) & 0x1F) + 1] += runlen
        else:
            runlen = _span(op)
            histogram[0] += runlen
        idx += runlen
    return histogram, idx == REGISTERS


def _as_reply(card: int) -> int:
    """The cached uint64 as the signed integer Redis replies (addReplyLongLong)."""
    return card - (1 << 64) if card >= 1 << 63 else card


# -- commands' data operations -----------------------------------------------------


def pfadd(
    value: bytes | None,
    elements: Sequence[bytes],
    *,
    sparse_max_bytes: int = SPARSE_MAX_BYTES,
) -> tuple[bytes, bool]:
    """PFADD's effect on the key's string value.

    ``value`` is the current value (None: no key).  Returns ``(new value, updated)``; when
    ``updated`` is False the value is unchanged and nothing needs writing (redis 7.0 replies
    1 iff updated; a new key is always "updated", even with no elements).
    Raises CommandError(NOT_AN_HLL) or CorruptHllError.
    """
    if value is None:
        updated = True
    else:
        _check(value)
        if not elements:
            return value, False
        updated = False
    hll = _Hll(value, sparse_max_bytes)
    for element in elements:
        index, count = pattern(element)
        result = hll.set(index, count)
        if result < 0:
            if not updated:
                raise CorruptHllError(None)
            hll.invalidate_cache()  # every sparse update marks the cache stale
            raise CorruptHllError(hll.to_bytes())
        if result:
            updated = True
    if not updated:
        return value, False  # type: ignore[return-value]
    hll.invalidate_cache()
    return hll.to_bytes(), True


def pfcount(values: Sequence[Value]) -> tuple[int, list[bytes | None]]:
    """PFCOUNT over the keys' values (None: no key; NOT_A_STRING: another type).

    Returns ``(reply integer, write-backs)``: ``write-backs[i]`` is the new value for key
    ``i`` or None.  With one key Redis caches the cardinality inside the value, so a stale
    cache gives a write-back (the key counts as modified); several keys are read-only.
    """
    if len(values) == 1:
        value = values[0]
        if value is None:
            return 0, [None]
        value = _check(value)
        if not value[15] & 0x80:
            return int.from_bytes(value[8:16], "little"), [None]
        if value[4] == DENSE:
            histogram = _histogram(_unpack_dense(value[HEADER_SIZE:]))
        else:
            histogram, valid = _sparse_histogram(_decode_ops(value[HEADER_SIZE:]))
            if not valid:
                raise CorruptHllError(None)
        card = _estimate(histogram)
        return _as_reply(card), [value[:8] + card.to_bytes(8, "little") + value[16:]]
    merged = _merge(values)
    return _as_reply(_estimate(_histogram(merged[0]))), [None] * len(values)


def _merge(values: Sequence[Value]) -> tuple[bytes | bytearray, bool]:
    """Register-wise max of the values, key by key; and whether any of them is dense."""
    acc: bytes | bytearray | None = None
    any_dense = False
    for value in values:
        if value is None:
            continue
        value = _check(value)
        if value[4] == DENSE:
            any_dense = True
            regs = _unpack_dense(value[HEADER_SIZE:])
        else:
            regs = _sparse_registers(_decode_ops(value[HEADER_SIZE:]))
            if regs is None:
                raise CorruptHllError(None)
        acc = regs if acc is None else bytes(map(max, acc, regs))
    return (bytes(REGISTERS) if acc is None else acc), any_dense


def pfmerge(values: Sequence[Value], *, sparse_max_bytes: int = SPARSE_MAX_BYTES) -> bytes:
    """PFMERGE destkey sourcekey...: ``values[0]`` is destkey's value, the rest the sources'.

    As in Redis 7.0 the destination is itself a source.  Returns the destination's new value
    (always written: the cache is marked stale even when no register changed).  The result
    is dense if any input was dense, otherwise the destination's sparse form updated register
    by register (and promoted if it grows too big).
    """
    merged, any_dense = _merge(values)
    dest = values[0]
    hll = _Hll(dest if isinstance(dest, bytes) else None, sparse_max_bytes)
    if any_dense and not hll.to_dense():
        raise CorruptHllError(None)  # unreachable: the destination was merged above
    if hll.dense is None:
        for index, count in enumerate(merged):
            if count:
                hll.set(index, count)
                if hll.dense is not None:
                    break  # promoted: the rest is the plain register-wise max
    if hll.dense is not None:
        # Every register ends up as max(dest, merged) == merged (dest is one of the inputs).
        hll.dense[HEADER_SIZE:] = _pack_dense(merged)
    hll.invalidate_cache()
    return hll.to_bytes()


def registers(value: bytes) -> bytes:
    """The 16384 register values of a valid HLL string, one byte each (for PFDEBUG/tests)."""
    regs = _Hll(_check(value), SPARSE_MAX_BYTES).registers()
    if regs is None:
        raise CorruptHllError(None)
    return bytes(regs)


def to_dense(value: bytes) -> bytes:
    """A valid HLL string in the dense encoding (PFDEBUG TODENSE / GETREG).

    A dense value comes back unchanged; a sparse one is converted as Redis 7.0's
    hllSparseToDense does (header kept, cached cardinality included).  Raises
    CorruptHllError for a sparse body that does not cover exactly 16384 registers.
    """
    hll = _Hll(_check(value), SPARSE_MAX_BYTES)
    if not hll.to_dense():
        raise CorruptHllError(None)
    return hll.to_bytes()
