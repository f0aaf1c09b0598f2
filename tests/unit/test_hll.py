"""HyperLogLog bytes (kvfake.store.hll) against values recorded from redis-server 7.0.15.

Every expected byte string, (length, sha1) pair, count and error below was read from
redis-server 7.0.15 (``PFADD``/``PFCOUNT``/``PFMERGE``, then ``GET``) with
``hll-sparse-max-bytes`` as given.  Values Redis wrote are fed back to kvfake and must count
the same; values kvfake writes must be byte-identical to Redis's.  While developing, about
2300 random scripts of 60-150 commands (PFADD of 0-2000 elements, PFCOUNT, PFMERGE, random
corruption, ``hll-sparse-max-bytes`` from 16 to 10000), 3000 synthetic register sets and
3000 values ending in a lone XZERO byte were also compared byte for byte, replies and GET.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvfake.errors import CommandError, WrongTypeError
from kvfake.store import hll
from kvfake.store.hll import (
    CORRUPTED_HLL,
    NOT_A_STRING,
    NOT_AN_HLL,
    CorruptHllError,
    is_valid,
    pfadd,
    pfcount,
    pfmerge,
)

FRESH = b"HYLL\x01\x00\x00\x00" + bytes(8)  # sparse header, cached cardinality 0 (valid)
STALE = b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80"  # sparse header, cache marked stale
EMPTY = STALE + b"\x7f\xff"  # what PFADD creates: XZERO:16384
CACHED_3 = b"HYLL\x01\x00\x00\x00\x03" + bytes(7)  # sparse header, cached cardinality 3


def elements(prefix: bytes, n: int, start: int = 0) -> list[bytes]:
    return [b"%s%d" % (prefix, i) for i in range(start, start + n)]


def sha(value: bytes) -> tuple[int, str]:
    return len(value), hashlib.sha1(value).hexdigest()


def add_calls(calls: list[list[bytes]], **kw: int) -> tuple[bytes | None, list[int]]:
    """Replay PFADD calls on one key; the key's value and the integer replies."""
    value = None
    replies = []
    for batch in calls:
        value, updated = pfadd(value, batch, **kw)
        replies.append(int(updated))
    return value, replies


def count_one(value: bytes) -> tuple[int, bytes]:
    """PFCOUNT of one key: reply and the value the key holds afterwards."""
    reply, (written,) = pfcount([value])
    return reply, value if written is None else written


def test_error_texts_are_redis_7():
    assert NOT_AN_HLL == "WRONGTYPE Key is not a valid HyperLogLog string value."
    assert CORRUPTED_HLL == "INVALIDOBJ Corrupted HLL object detected"


# -- sparse values, byte for byte ---------------------------------------------------
#
# Elements r<N> were picked for their registers: r55001, r18516, r164471, r3612, r20832,
# r2536 land on registers 100..105 with value 1; r25123 on 101 with value 2; r25814 on 164;
# r53447 on 36, r25044 on 37; r24720 / r17408 on register 0 (values 1 / 2), r60274 / r7803
# on register 16383 (values 1 / 2).

# (id, PFADD calls, replies, value after, PFCOUNT reply, cached-cardinality bytes after)
SPARSE = [
    ("no-elements", [[]], [1], EMPTY, 0, bytes(8)),
    (
        "abc",
        [[b"a", b"b", b"c"]],
        [1],
        STALE + b"`\xf3\x80P\xb1\x84K\xfb\x80BZ",
        3,
        b"\x03" + bytes(7),
    ),
    (
        "run-of-four",
        [[b"r55001", b"r18516", b"r164471", b"r3612"]],
        [1],
        STALE + b"@c\x83\x7f\x97",
        4,
        b"\x04" + bytes(7),
    ),
    (
        "run-is-at-most-four",
        [[b"r55001", b"r18516", b"r164471", b"r3612", b"r20832"]],
        [1],
        STALE + b"@c\x83\x80\x7f\x96",
        5,
        b"\x05" + bytes(7),
    ),
    (
        "val-split",
        [[b"r55001", b"r18516", b"r164471", b"r3612"], [b"r25123"]],
        [1, 1],
        STALE + b"@c\x80\x84\x81\x7f\x97",
        4,
        b"\x04" + bytes(7),
    ),
    (
        "zero-of-one-replaced-in-place",
        [[b"r55001", b"r164471"], [b"r18516"]],
        [1, 1],
        STALE + b"@c\x82\x7f\x98",
        3,
        b"\x03" + bytes(7),
    ),
    (
        "zero-runs",
        [[b"r55001", b"r25814", b"r53447", b"r25044"]],
        [1],
        STALE + b"#\x81=\x80>\x80\x7fZ",
        4,
        b"\x04" + bytes(7),
    ),
    (
        "first-and-last-register",
        [[b"r24720", b"r60274"], [b"r17408", b"r7803"]],
        [1, 1],
        STALE + b"\x84\x7f\xfd\x84",
        2,
        b"\x02" + bytes(7),
    ),
    # Same six registers, opposite order: Redis merges neighbouring VALs only near the
    # update, so the encodings differ (VAL:1x4 VAL:1x2 vs VAL:1x3 VAL:1x3).
    (
        "order-ascending",
        [[b"r55001"], [b"r164471"], [b"r18516"], [b"r3612"], [b"r20832"], [b"r2536"]],
        [1, 1, 1, 1, 1, 1],
        STALE + b"@c\x83\x81\x7f\x95",
        6,
        b"\x06" + bytes(7),
    ),
    (
        "order-descending",
        [[b"r2536"], [b"r20832"], [b"r3612"], [b"r18516"], [b"r164471"], [b"r55001"]],
        [1, 1, 1, 1, 1, 1],
        STALE + b"@c\x82\x82\x7f\x95",
        6,
        b"\x06" + bytes(7),
    ),
    ("no-change", [[b"a"], [b"a"]], [1, 0], STALE + b"q\xa6\x84NW", 1, b"\x01" + bytes(7)),
]


@pytest.mark.parametrize(
    "calls, replies, value, count, cached", [c[1:] for c in SPARSE], ids=[c[0] for c in SPARSE]
)
def test_pfadd_sparse_bytes_match_redis(calls, replies, value, count, cached):
    got, got_replies = add_calls(calls)
    assert got_replies == replies
    assert got == value
    reply, after = count_one(got)
    assert reply == count
    assert after == value[:8] + cached + value[16:]


@pytest.mark.parametrize(
    "value, count", [(c[3], c[4]) for c in SPARSE], ids=[c[0] for c in SPARSE]
)
def test_pfcount_reads_values_written_by_redis(value, count):
    assert count_one(value)[0] == count
    assert pfcount([value, None])[0] == count  # the multi-key path decodes separately


def test_pfcount_uses_a_valid_cache_and_writes_nothing():
    value = b"HYLL\x01\x00\x00\x00" + b"\x07" + bytes(7) + b"\x7f\xff"
    assert pfcount([value]) == (7, [None])


def test_pfcount_of_missing_key_is_zero():
    assert pfcount([None]) == (0, [None])
    assert pfcount([None, None]) == (0, [None, None])


def test_pfadd_without_change_returns_the_same_value():
    value, _ = pfadd(None, [b"a"])
    again, updated = pfadd(value, [b"a"])
    assert (again, updated) == (value, False)
    assert pfadd(value, []) == (value, False)


# -- bigger values, as (length, sha1) ----------------------------------------------

# (id, hll-sparse-max-bytes, PFADD calls as (prefix, start, n, batch), replies summed,
#  value after, PFCOUNT reply, value after PFCOUNT)
BIG = [
    (
        "sparse-200",
        3000,
        [(b"e", 0, 200, 200)],
        1,
        (513, "5fd07f80046e426606d132cce7cc68ed6ce9601d"),
        200,
        (513, "67656f5edcd98dfaa76d3d449efed617b55ef969"),
    ),
    (
        "sparse-1000-in-batches",
        3000,
        [(b"e", 0, 1000, 100)],
        10,
        (1906, "26dc3c41142e0317d54eb6adc1e29ccff5ca6941"),
        1008,
        (1906, "5b90d5bb9790139af3f5b0b6e8ffc2ab1fcc86da"),
    ),
    (
        "promoted-by-size",
        3000,
        [(b"e", 0, 2000, 2000)],
        1,
        (12304, "d89749d695c9bf2d520372e472f50f24ee53f88b"),
        2000,
        (12304, "683f7fda3b42d2dbc42371094fe33dfcca528e46"),
    ),
    (
        "dense-20000",
        3000,
        [(b"e", 0, 20000, 20000)],
        1,
        (12304, "80c8d28c0e5c72674ca1f6e63a5648f6b664ba0b"),
        19901,
        (12304, "ffcb2f620f6f5388057b499b27d936438b668ab0"),
    ),
    (
        "max-bytes-100",
        100,
        [(b"e", 0, 60, 7)],
        9,
        (12304, "ed5fe25df0c451edd1fbc40f22efb2ea3336f0e7"),
        60,
        (12304, "c1edda8f9e4c7b84f1c396b48e753200bc9bb00b"),
    ),
    (
        "max-bytes-16",
        16,
        [(b"e", 0, 1, 1)],
        1,
        (12304, "590986516a027df5447704f5abfb905fdf586890"),
        1,
        (12304, "a0dc7bcac49597e33358791de1a2a46756f986d4"),
    ),
]


@pytest.mark.parametrize(
    "max_bytes, calls, replies, value, count, counted",
    [c[1:] for c in BIG],
    ids=[c[0] for c in BIG],
)
def test_pfadd_big_values_match_redis(max_bytes, calls, replies, value, count, counted):
    batches = []
    for prefix, start, n, batch in calls:
        for s in range(start, start + n, batch):
            batches.append(elements(prefix, min(batch, start + n - s), s))
    got, got_replies = add_calls(batches, sparse_max_bytes=max_bytes)
    assert sum(got_replies) == replies
    assert sha(got) == value
    reply, after = count_one(got)
    assert reply == count
    assert sha(after) == counted


def test_merge_scan_stops_after_five_opcodes():
    # ZERO:5 ZERO:1 VAL:2x1 VAL:1x1 VAL:1x1 XZERO:16375, then register 2 (i115457) is set:
    # the two VAL:1x1 sit just past Redis's 5-opcode merge scan and stay apart.
    value = FRESH + b"\x04\x00\x84\x80\x80\x7f\xf6"
    assert pfadd(value, [b"i115457"]) == (STALE + b"\x01\x80\x01\x00\x84\x80\x80\x7f\xf6", True)


def test_merge_scan_covers_five_opcodes():
    # ZERO:1 ZERO:5 VAL:1x1 VAL:1x1 XZERO:16376, then register 3 (i21343) is set: the scan
    # from the opcode before reaches the fifth opcode and merges the two VAL:1x1.
    value = FRESH + b"\x00\x04\x80\x80\x7f\xf7"
    assert pfadd(value, [b"i21343"]) == (STALE + b"\x00\x01\x80\x01\x81\x7f\xf7", True)


def test_promotion_keeps_the_header():
    # big6209776902 sets a register to 33, which only the dense encoding can hold.
    value = b"HYLL\x01\xaa\xbb\xcc\x05" + bytes(7) + b"\x7f\xff"
    got, updated = pfadd(value, [b"big6209776902", b"a"])
    assert updated
    assert got[:16] == b"HYLL\x00\xaa\xbb\xcc\x05" + bytes(6) + b"\x80"
    assert sha(got) == (12304, "59b6dd079001340768636e494101b1eaaf09642e")
    assert hll.pattern(b"big6209776902") == (2711, 33)


def test_value_ending_in_a_lone_xzero_byte():
    # Redis reads the missing second byte past the end of its string: a NUL at first, then
    # the byte its own split left there (a corrupt value; Redis never writes one).
    got, updated = pfadd(FRESH + b"\x7f", [b"x35", b"x0"])
    assert updated
    assert got == STALE + b"8\x80P\xa1\xb4n"
    assert count_one(STALE + b"\x7f\xfe@") == (0, FRESH + b"\x7f\xfe@")
    # XZERO:255 + lone XZERO byte covers 16384 registers; after "a" (register 12711) splits
    # the lone byte, its missing byte is the real one, so promoting still finds 16384.
    got, _ = pfadd(FRESH + b"\x40\xfe\x7f", [b"a", b"big6209776902"])
    assert sha(got) == (12304, "c5da7cb5f2e7471259bad029c7af1d72b7ed155a")
    # ...but any later split rewrites the string's end (a NUL again): 16384 no longer adds up
    with pytest.raises(CorruptHllError) as excinfo:
        pfadd(FRESH + b"\x40\xfe\x7f", [b"a", b"x35", b"big6209776902"])
    assert excinfo.value.value == STALE + b"8\x80@\xc4p\xa7\x84N"


# -- PFMERGE --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, bytes]:
    made = {
        "a": pfadd(None, elements(b"e", 50))[0],
        "b": pfadd(None, elements(b"e", 75, 25))[0],
        "big": pfadd(None, elements(b"e", 20000))[0],
        "s1": pfadd(None, elements(b"e", 1200))[0],
        "s2": pfadd(None, elements(b"e", 1200, 5000))[0],
    }
    made["d"] = count_one(pfadd(None, [b"x", b"y"])[0])[1]
    return made


def test_merge_inputs_match_redis(keys):
    assert sha(keys["a"]) == (157, "8d4c752d36e8713b1f90d832e2c2fac77545f7aa")
    assert sha(keys["b"]) == (221, "a03d736273395234ff1e3201774ff679b9b75117")
    assert sha(keys["s1"]) == (2235, "2641bc4b8a67e4201f02258bc83fd25f85bd3ae0")
    assert sha(keys["s2"]) == (2285, "4a1206cda08529ed9ee244a91c2848f0c755eadf")
    assert keys["d"] == b"HYLL\x01\x00\x00\x00\x02" + bytes(7) + b"zS\x88E\xa0\x84\x08"


# (id, PFMERGE keys (the first is the destination), value after, PFCOUNT after)
MERGES = [
    ("sparse-pair", ["m", "a", "b"], (285, "47f6cb6c3c5a16056e3bb450f9572a1524d44455"), 100),
    ("with-dense", ["m", "a", "big"], (12304, "80c8d28c0e5c72674ca1f6e63a5648f6b664ba0b"), 19901),
    (
        "promoted-by-size",
        ["m", "s1", "s2"],
        (12304, "81d0fdccb88b6ce389062a65e772f8b2043b791a"),
        2414,
    ),
    (
        "dense-into-itself",
        ["big", "big"],
        (12304, "80c8d28c0e5c72674ca1f6e63a5648f6b664ba0b"),
        19901,
    ),
    # the destination's header is kept: its stale cache still holds 2 in the low bytes
    ("into-cached-sparse", ["d", "a"], (162, "0048d47c3e3c4b8a42a6bf276891e794177c0566"), 52),
]


@pytest.mark.parametrize(
    "names, value, count", [c[1:] for c in MERGES], ids=[c[0] for c in MERGES]
)
def test_pfmerge_matches_redis(keys, names, value, count):
    merged = pfmerge([keys.get(name) for name in names])
    assert sha(merged) == value
    assert count_one(merged)[0] == count


def test_pfmerge_keeps_destination_header(keys):
    merged = pfmerge([keys["d"], keys["a"]])
    assert merged[:16] == b"HYLL\x01\x00\x00\x00\x02" + bytes(6) + b"\x80"


def test_pfmerge_of_nothing_creates_an_empty_hll():
    assert pfmerge([None]) == EMPTY


@pytest.mark.parametrize(
    "names, count",
    [(["a", "b"], 100), (["a", "big"], 19901), (["a", "nokey"], 50), (["s1", "s2"], 2414)],
    ids=["sparse-pair", "with-dense", "missing-key", "big-sparse-pair"],
)
def test_pfcount_of_several_keys_matches_redis(keys, names, count):
    values = [keys.get(name) for name in names]
    assert pfcount(values) == (count, [None] * len(values))


# -- the estimator, on dense registers written directly ------------------------------


def pack_dense(registers: list[int]) -> bytes:
    """A dense HLL (stale cache) holding these registers; bit by bit, independent of hll.py."""
    body = bytearray(12288)
    for index, value in enumerate(registers):
        for bit in range(6):
            if value >> bit & 1:
                pos = index * 6 + bit
                body[pos >> 3] |= 1 << (pos & 7)
    return b"HYLL\x00\x00\x00\x00" + bytes(7) + b"\x80" + bytes(body)


# (id, register at index i, PFCOUNT reply, cached-cardinality bytes) -- Redis replies
# -9223372036854775808 when the estimate overflows (llroundl of inf) and caches 2**63,
# which reads as "stale" again.
PATTERNS = [
    ("all-zero", lambda i: 0, 0, bytes(8)),
    ("all-one", lambda i: 1, 23637, b"U\\" + bytes(6)),
    ("mod-52", lambda i: i % 52, 303516, b"\x9c\xa1\x04" + bytes(5)),
    ("half-five", lambda i: 5 if i % 2 else 0, 13039, b"\xef2" + bytes(6)),
    ("one-register", lambda i: 7 if i == 12345 else 0, 1, b"\x01" + bytes(7)),
    ("mostly-51", lambda i: 51 if i % 100 else 10, 1209039613, b"\xfdz\x10H" + bytes(4)),
    # tau's term only shows in the last digits, next to registers of 51
    ("one-15-rest-51", lambda i: 15 if i == 0 else 51, 6345039666452, b"\x14\xdd\xd5Q\xc5\x05\0\0"),
    ("ten-15-rest-51", lambda i: 15 if i < 10 else 51, 634503986187, b"\x0b|b\xbb\x93\x00\x00\x00"),
    ("above-51-ignored", lambda i: 52 + i % 12 if i % 3 else 3, 283611, b"\xdbS\x04" + bytes(5)),
    ("all-51", lambda i: 51, -(2**63), bytes(7) + b"\x80"),
    ("all-50", lambda i: 50, -(2**63), bytes(7) + b"\x80"),
    ("all-63", lambda i: 63, -(2**63), bytes(7) + b"\x80"),
]


@pytest.mark.parametrize(
    "register, count, cached", [p[1:] for p in PATTERNS], ids=[p[0] for p in PATTERNS]
)
def test_estimator_matches_redis(register, count, cached):
    registers = [register(i) for i in range(16384)]
    value = pack_dense(registers)
    assert hll.registers(value) == bytes(registers)
    reply, after = count_one(value)
    assert reply == count
    assert after == value[:8] + cached + value[16:]
    assert pfcount([value, None])[0] == count


def test_100k_distinct_elements_count_within_error_bound():
    value = None
    for start in range(0, 100_000, 10_000):
        value, _ = pfadd(value, elements(b"ele:", 10_000, start))
    count, after = count_one(value)
    assert count == 99778  # redis-server 7.0.15, same elements
    assert sha(after) == (12304, "cc32100baa27548919d756b4eeda7c31151a9cad")
    assert abs(count - 100_000) <= 100_000 * 3 * 0.0081  # 3 standard errors (1.04/sqrt(m))


# -- validity and corruption ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, valid",
    [
        (EMPTY, True),
        (FRESH, True),  # sparse with no opcodes passes the header check
        (pack_dense([0] * 16384), True),
        (b"HYLX" + EMPTY[4:], False),
        (b"HYLL\x02" + EMPTY[5:], False),
        (b"HYLL\x00" + EMPTY[5:], False),  # dense must be exactly 12304 bytes
        (pack_dense([0] * 16384) + b"\x00", False),
        (b"HYLL\x01\x00\x00", False),
        (b"hello world, not an hll", False),
    ],
    ids=[
        "empty-sparse",
        "header-only",
        "dense",
        "bad-magic",
        "encoding-2",
        "dense-too-short",
        "dense-too-long",
        "shorter-than-header",
        "plain-string",
    ],
)
def test_is_valid(value, valid):
    assert is_valid(value) is valid


# (id, value, operation, elements, reply or error text, value afterwards or None if unchanged)
CORRUPT = [
    ("not-an-hll-pfadd", b"HYLX" + FRESH[4:] + b"\x7f\xff", "pfadd", [b"a"], NOT_AN_HLL, None),
    ("not-an-hll-pfcount", b"HYLL\x02" + FRESH[5:] + b"\x7f\xff", "pfcount", [], NOT_AN_HLL, None),
    ("not-an-hll-pfmerge", b"hello world, not an hll", "pfmerge", [], NOT_AN_HLL, None),
    ("tail-garbage-count", STALE + b"\x7f\xffhello", "pfcount", [], CORRUPTED_HLL, None),
    ("tail-garbage-cached", CACHED_3 + b"\x7f\xffhello", "pfcount", [], 3, None),
    # a register inside the covered range can still be set
    (
        "tail-garbage-pfadd",
        STALE + b"\x7f\xffhello",
        "pfadd",
        [b"a"],
        1,
        STALE + b"q\xa6\x84NWhello",
    ),
    ("short-cover-count", STALE + b"@c", "pfcount", [], CORRUPTED_HLL, None),
    ("short-cover-add", STALE + b"@c", "pfadd", [b"r24720"], 1, STALE + b"\x80@b"),
    ("short-cover-add-fails", STALE + b"@c", "pfadd", [b"r55001"], CORRUPTED_HLL, None),
    # the first element's change stays, with the cache marked stale
    (
        "short-cover-partial",
        FRESH + b"@c",
        "pfadd",
        [b"r24720", b"r55001"],
        CORRUPTED_HLL,
        STALE + b"\x80@b",
    ),
    ("short-cover-no-elements", FRESH + b"@c", "pfadd", [], 0, None),
    ("no-opcodes", FRESH, "pfadd", [b"a"], CORRUPTED_HLL, None),
    ("val-overflow-count", STALE + b"\x7f\xfc\x83", "pfcount", [], CORRUPTED_HLL, None),
    ("val-overflow-merge", STALE + b"\x7f\xfc\x83", "pfmerge", [], CORRUPTED_HLL, None),
    (
        "unused-header-bytes-kept",
        b"HYLL\x01\xaa\xbb\xcc\x05" + bytes(7) + b"\x7f\xff",
        "pfadd",
        [b"a"],
        1,
        b"HYLL\x01\xaa\xbb\xcc\x05" + bytes(6) + b"\x80q\xa6\x84NW",
    ),
]


def run(value: bytes, operation: str, items: list[bytes]) -> tuple[object, bytes | None]:
    """Reply (or error text) and the key's new value, as the command layer would see them."""
    try:
        if operation == "pfadd":
            new, updated = pfadd(value, items)
            return int(updated), new if updated else None
        if operation == "pfcount":
            reply, (written,) = pfcount([value])
            return reply, written
        pfmerge([None, value])
        return True, None  # the destination changes; the source does not
    except CorruptHllError as e:
        return e.text, e.value
    except CommandError as e:
        return e.text, None


@pytest.mark.parametrize(
    "value, operation, items, reply, after", [c[1:] for c in CORRUPT], ids=[c[0] for c in CORRUPT]
)
def test_corrupt_values_behave_as_in_redis(value, operation, items, reply, after):
    assert run(value, operation, items) == (reply, after)


@pytest.mark.parametrize(
    "operation", ["pfcount", "pfmerge"], ids=["pfcount", "pfmerge"]
)
def test_keys_are_checked_one_at_a_time(operation):
    # redis 7.0: PFCOUNT/PFMERGE corrupt list -> INVALIDOBJ; list corrupt -> WRONGTYPE.
    call = pfcount if operation == "pfcount" else pfmerge
    corrupt = STALE + b"@c"
    with pytest.raises(CorruptHllError) as excinfo:
        call([corrupt, NOT_A_STRING])
    assert excinfo.value.text == CORRUPTED_HLL
    with pytest.raises(WrongTypeError):
        call([NOT_A_STRING, corrupt])


# -- properties -----------------------------------------------------------------------

element_lists = st.lists(st.binary(max_size=12), max_size=60)


def model_registers(items: list[bytes]) -> bytes:
    registers = bytearray(16384)
    for item in items:
        index, count = hll.pattern(item)
        registers[index] = max(registers[index], count)
    return bytes(registers)


@given(
    batches=st.lists(element_lists, min_size=1, max_size=4),
    max_bytes=st.sampled_from([3000, 40]),
)
def test_pfadd_registers_are_the_max_of_the_patterns(batches, max_bytes):
    value, _ = add_calls(batches, sparse_max_bytes=max_bytes)
    assert hll.registers(value) == model_registers([e for batch in batches for e in batch])


@given(left=element_lists, right=element_lists)
def test_pfmerge_equals_union(left, right):
    a, _ = pfadd(None, left)
    b, _ = pfadd(None, right)
    merged = pfmerge([None, a, b])
    assert hll.registers(merged) == model_registers(left + right)
    assert pfcount([merged])[0] == pfcount([a, b])[0]
