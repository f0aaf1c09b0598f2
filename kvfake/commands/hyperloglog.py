"""HyperLogLog commands (Redis group "hyperloglog"): PFADD PFCOUNT PFMERGE PFDEBUG.

Imports: kvfake.commands.registry/context/keys, kvfake.errors, kvfake.protocol.replies,
kvfake.store.hll, kvfake.store.values.  Never: socket, selectors, protocol.encoder.

An HLL is a string value (TYPE string) holding exactly the bytes redis-server 7.0
stores (``kvfake.store.hll`` does the work), kept as a ``RawString``: Redis
creates HLLs raw and unshares an existing string before touching it, so a
PF* command turns an embstr HLL (one written with SET) raw even when nothing
changes.  Only real changes are signalled (``db.set_value``: WATCH, dirty) and
notified ("pfadd" for PFADD and PFMERGE); a value rewritten without a change
of content (unsharing, PFDEBUG's conversion to dense, the part of a PFADD done
before a corrupt value was detected) goes straight into the keyspace dict, as
Redis modifies its string in place without signalling.  PFCOUNT of one key
writes the recomputed cardinality back into the value when the cache was stale
(and signals the key, as Redis does); PFCOUNT of several keys never writes.

Not implemented: PFSELFTEST (Redis's internal self-test of its C code).
"""

from __future__ import annotations

from kvfake.commands.context import Context
from kvfake.commands.keys import c_token
from kvfake.commands.registry import CommandGroup
from kvfake.errors import CommandError
from kvfake.protocol.replies import OK, SimpleString
from kvfake.store import hll
from kvfake.store.hll import NOT_AN_HLL, CorruptHllError
from kvfake.store.values import RawString

group = CommandGroup("hyperloglog")

# -- error texts used only here (Redis 7.0.15 wording) ----------------------

KEY_DOES_NOT_EXIST = "ERR The specified key does not exist"
HLL_NOT_SPARSE = "ERR HLL encoding is not sparse"

DEFAULT_SPARSE_MAX_BYTES = hll.SPARSE_MAX_BYTES
_DENSE = SimpleString(b"dense")
_SPARSE = SimpleString(b"sparse")


def unknown_pfdebug_subcommand(name: bytes) -> str:
    # redis 7.0: "%s" of the C string, so it stops at a NUL byte
    return "ERR Unknown PFDEBUG subcommand '" + name.partition(b"\0")[0].decode("latin-1") + "'"


# -- helpers ----------------------------------------------------------------


def _sparse_max_bytes(ctx: Context) -> int:
    dispatcher = ctx.dispatcher
    if dispatcher is None:
        return DEFAULT_SPARSE_MAX_BYTES
    return int(dispatcher.config.values[b"hll-sparse-max-bytes"])


def _rewrite(db, key: bytes, value: bytes) -> None:
    """Replace a string in place without signalling it (Redis's in-place edits, unsharing)."""
    if type(value) is not RawString:
        value = RawString(value)
    db.data[key] = value


def _valid_hll(db, key: bytes) -> "bytes | None":
    """The key's HLL string (unshared: raw), None if missing; WRONGTYPE / NOT_AN_HLL errors."""
    value = db.get_string(key)
    if value is None:
        return None
    if not hll.is_valid(value):
        raise CommandError(NOT_AN_HLL)
    if type(value) is not RawString:
        _rewrite(db, key, value)
    return value


def _source(db, key: bytes):
    """A PFCOUNT/PFMERGE input for kvfake.store.hll: bytes, None, or NOT_A_STRING."""
    value = db.lookup(key)
    if value is None or isinstance(value, bytes):
        return value
    return hll.NOT_A_STRING


# -- commands ---------------------------------------------------------------------


@group.command("pfadd", arity=-2, flags="write denyoom fast", keys=(1, 1, 1))
def cmd_pfadd(ctx: Context, key: bytes, *elements: bytes):
    """PFADD key [element [element ...]]"""
    db = ctx.db
    value = _valid_hll(db, key)
    try:
        new, updated = hll.pfadd(value, elements, sparse_max_bytes=_sparse_max_bytes(ctx))
    except CorruptHllError as exc:
        if exc.value is not None:
            _rewrite(db, key, exc.value)  # redis 7.0 keeps the registers set before the error
        raise
    if not updated:
        return 0
    if value is None:
        db.set_value(key, RawString(new))
    else:
        db.set_value(key, RawString(new), keep_ttl=True)
    ctx.notify("$", b"pfadd", key)
    return 1


# may_replicate (hidden from COMMAND INFO): it may write its cache, so CLIENT PAUSE WRITE holds it
@group.command("pfcount", arity=-2, flags="readonly may_replicate", keys=(1, -1, 1))
def cmd_pfcount(ctx: Context, key: bytes, *keys: bytes):
    """PFCOUNT key [key ...]"""
    db = ctx.db
    if keys:
        # the union's cardinality; redis 7.0 checks and merges key by key, reads only
        reply, _ = hll.pfcount([_source(db, k) for k in (key, *keys)])
        return reply
    value = _valid_hll(db, key)
    if value is None:
        return 0
    reply, (written,) = hll.pfcount([value])
    if written is not None:
        db.set_value(key, RawString(written), keep_ttl=True)  # the cache update is a change
    return reply


@group.command("pfmerge", arity=-2, flags="write denyoom", keys=(1, -1, 1))
def cmd_pfmerge(ctx: Context, destkey: bytes, *sourcekeys: bytes):
    """PFMERGE destkey [sourcekey [sourcekey ...]]"""
    db = ctx.db
    # redis 7.0: the destination is a source too (checked first)
    values = [_source(db, k) for k in (destkey, *sourcekeys)]
    new = hll.pfmerge(values, sparse_max_bytes=_sparse_max_bytes(ctx))
    if values[0] is None:
        db.set_value(destkey, RawString(new))
    else:
        db.set_value(destkey, RawString(new), keep_ttl=True)
    ctx.notify("$", b"pfadd", destkey)
    return OK


@group.command("pfdebug", arity=3, flags="write denyoom admin", keys=(2, 2, 1))
def cmd_pfdebug(ctx: Context, subcommand: bytes, key: bytes):
    """PFDEBUG subcommand key"""
    db = ctx.db
    # redis 7.0.15: the key (must exist, be a string, be an HLL) before the subcommand
    if db.get_string(key) is None:
        raise CommandError(KEY_DOES_NOT_EXIST)
    value = _valid_hll(db, key)
    sparse = value[4] == hll.SPARSE
    sub = c_token(subcommand)
    if sub == b"getreg":
        if sparse:
            value = hll.to_dense(value)
            _rewrite(db, key, value)
        return list(hll.registers(value))
    if sub == b"decode":
        if not sparse:
            raise CommandError(HLL_NOT_SPARSE)
        return _decode(value)
    if sub == b"encoding":
        return _SPARSE if sparse else _DENSE
    if sub == b"todense":
        if not sparse:
            return 0
        _rewrite(db, key, hll.to_dense(value))
        return 1
    raise CommandError(unknown_pfdebug_subcommand(subcommand))


def _decode(value: bytes) -> bytes:
    """PFDEBUG DECODE: the sparse opcodes as text ("Z:8436 v:1,1 z:3 ...")."""
    parts = []
    p, end = hll.HEADER_SIZE, len(value)
    while p < end:
        op = value[p]
        if op < 0x40:
            parts.append(b"z:%d" % (op + 1))
            p += 1
        elif op < 0x80:
            # a lone last XZERO byte: Redis reads the string's NUL terminator as its second byte
            low = value[p + 1] if p + 1 < end else 0
            parts.append(b"Z:%d" % (((op & 0x3F) << 8 | low) + 1))
            p += 2
        else:
            parts.append(b"v:%d,%d" % (((op >> 2) & 0x1F) + 1, (op & 3) + 1))
            p += 1
    return b" ".join(parts)
