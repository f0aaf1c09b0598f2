"""Seeding and inspection of a whole keyspace: plain Python data in, plain Python data out.

The *dump form* is what :func:`dump` returns and :func:`seed` accepts:
``{db: {key: {"type": "string" | "hash" | "list" | "set" | "zset", "value": ..., "ttl": seconds | None}}}``.
With ``decode=True`` (the default) every key, field, member and string is a
``str`` (UTF-8; bytes that are not UTF-8 survive as surrogate escapes, so a dump
written with :func:`json.dumps` and read back seeds the same bytes), values are
JSON types (set members and zset pairs come sorted), and the dump of a server
is stable from run to run.

Seeding also accepts a *short form* for one database: ``{key: value}`` where a
str/bytes/int/float is a string, a dict a hash, a list/tuple a list and a
set/frozenset a set; a dict whose keys are exactly ``type`` and ``value`` (and
optionally ``ttl``) with a known type name is an entry in the dump form (that is
how sorted sets, TTLs and hashes with a ``type`` field are written).  A mapping
whose keys are all ``int`` is the dump form, one keyspace per database.

:func:`diff` compares expected data (either form) with a dump and returns a
readable report (None when they agree): TTLs are compared only where the
expected entry gives one, with ``==`` (so ``ANY`` and ``pytest.approx`` work).

Imports: kvfake.errors, kvfake.store.values, kvfake.store.zset.  Never: socket, selectors, protocol, commands.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from kvfake.errors import KvfakeError
from kvfake.store.values import Hash, List, SetValue, type_name
from kvfake.store.zset import ZSet

TYPES = ("string", "hash", "list", "set", "zset")
_ENTRY_KEYS = ({"type", "value"}, {"type", "value", "ttl"})
_UNSET = object()

# Redis 7.0 defaults for the encoding thresholds (CONFIG names), used when seeding
# without a server config at hand.
DEFAULT_LIMITS = {
    b"hash-max-listpack-entries": b"512",
    b"hash-max-listpack-value": b"64",
    b"set-max-intset-entries": b"512",
    b"zset-max-listpack-entries": b"128",
    b"zset-max-listpack-value": b"64",
}


def to_bytes(value) -> bytes:
    """A key, field, member or string value as bytes (str is UTF-8, surrogate escapes kept)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, bool):
        raise TypeError("True/False cannot be stored: Redis has no booleans (use 1/0 or a string)")
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        return _format_float(value)
    raise TypeError(f"cannot store {type(value).__name__} {value!r}: use str, bytes, int or float")


def _format_float(value: float) -> bytes:
    if value == int(value) and abs(value) < 1e17:
        return b"%d" % int(value)
    return repr(value).encode()


def text(value: bytes, decode: bool):
    return value.decode("utf-8", "surrogateescape") if decode else bytes(value)


# -- parsing seed data -----------------------------------------------------------


def is_entry(value) -> bool:
    """True if ``value`` is a dump-form entry ``{"type": ..., "value": ...[, "ttl": ...]}``."""
    return (
        isinstance(value, Mapping)
        and set(value) in _ENTRY_KEYS
        and isinstance(value.get("type"), str)
        and value["type"] in TYPES
    )


def by_database(data: Mapping, db: "int | None" = None) -> dict:
    """``{db: keyspace}`` from either form: a keyspace for ``db`` (default 0), or a dump form."""
    if not isinstance(data, Mapping):
        raise TypeError(f"seed data must be a mapping, not {type(data).__name__}")
    if db is None and data and all(isinstance(k, int) and not isinstance(k, bool) for k in data):
        return {k: v for k, v in data.items()}
    return {0 if db is None else db: data}


def from_json_form(data, db: "int | None" = None) -> dict:
    """Like :func:`by_database`, for data read from JSON, where database numbers are strings."""
    if (
        db is None
        and isinstance(data, Mapping)
        and data
        and all(isinstance(k, str) and k.isdigit() for k in data)
        and all(isinstance(v, Mapping) and all(is_entry(e) for e in v.values()) for v in data.values())
    ):
        return {int(k): v for k, v in data.items()}
    return by_database(data, db)


def parse_entry(key, value, *, check_ttl: bool = True) -> tuple:
    """``(key bytes, type, normalized value, ttl seconds | None)`` for one seed item.

    Normalized values: bytes (string), list of (field, value) (hash), list (list),
    list (set), list of (member, score) (zset); all elements bytes, scores float.
    Everything is validated here, so writing the result cannot fail half-way.
    ``check_ttl=False`` lets the ttl be any object (expected data: ANY, approx).
    """
    k = to_bytes(key)
    ttl = None
    if is_entry(value):
        kind = value["type"]
        ttl = value.get("ttl")
        raw = value["value"]
    else:
        raw = value
        if isinstance(value, (str, bytes, bytearray, memoryview, int, float)) and not isinstance(value, bool):
            kind = "string"
        elif isinstance(value, Mapping):
            kind = "hash"
        elif isinstance(value, (list, tuple)):
            kind = "list"
        elif isinstance(value, (set, frozenset)):
            kind = "set"
        elif isinstance(value, bool):
            raise TypeError(f"key {key!r}: True/False cannot be stored: Redis has no booleans (use 1/0 or a string)")
        else:
            raise TypeError(f"key {key!r}: cannot seed {type(value).__name__} (see kvfake.store.snapshot)")
    try:
        if kind == "string":
            norm = to_bytes(raw)
        elif kind == "hash":
            norm = [(to_bytes(f), to_bytes(v)) for f, v in _items(raw)]
        elif kind in ("list", "set"):
            if isinstance(raw, (str, bytes, Mapping)):
                raise TypeError(f"a {kind} value is a list or set, not {type(raw).__name__}")
            norm = [to_bytes(m) for m in raw]
        else:  # zset
            norm = [(to_bytes(m), _score(s)) for m, s in _items(raw)]
    except TypeError as exc:
        raise TypeError(f"key {key!r}: {exc}") from None
    except KvfakeError as exc:
        raise KvfakeError(f"key {key!r}: {exc}") from None
    if kind != "string" and not norm:
        raise KvfakeError(f"key {key!r}: an empty {kind} cannot exist in Redis")
    if check_ttl and ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))):
        raise TypeError(f"key {key!r}: ttl must be seconds (int or float) or None, not {ttl!r}")
    return k, kind, norm, ttl


def _score(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, bytes)):
        raise TypeError(f"a score is a number, not {value!r}")
    try:
        score = float(value)
    except ValueError:
        raise TypeError(f"a score is a number, not {value!r}") from None
    if score != score:
        raise KvfakeError("a sorted-set score cannot be NaN")
    return score


def _items(raw):
    if isinstance(raw, Mapping):
        return list(raw.items())
    pairs = list(raw)
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"expected a mapping or [name, value] pairs, got {pair!r}")
    return pairs


# -- applying to a store (caller holds the lock) ------------------------------------------


def build_value(kind: str, norm, limits: "Mapping | None" = None):
    """The store value for a normalized seed value, with Redis's encoding state."""
    limits = limits or DEFAULT_LIMITS
    if kind == "string":
        return norm
    if kind == "hash":
        value = Hash(norm)
        max_entries = int(limits.get(b"hash-max-listpack-entries", b"512"))
        max_value = int(limits.get(b"hash-max-listpack-value", b"64"))
        value.big = len(value) > max_entries or any(len(f) > max_value or len(v) > max_value for f, v in norm)
        return value
    if kind == "list":
        return List(norm)
    if kind == "set":
        value = SetValue(norm)
        max_entries = int(limits.get(b"set-max-intset-entries", b"512"))
        value.big = len(value) > max_entries or not all(_is_int64(m) for m in value)
        return value
    return build_zset(norm, limits)


def build_zset(pairs: list, limits: "Mapping | None" = None) -> ZSet:
    """A sorted-set value from (member, score) pairs (a later pair for the same member wins)."""
    limits = limits or DEFAULT_LIMITS
    scores = dict(pairs)
    max_entries = int(limits.get(b"zset-max-listpack-entries", b"128"))
    max_value = int(limits.get(b"zset-max-listpack-value", b"64"))
    big = len(scores) > max_entries or any(len(m) > max_value for m in scores)
    return ZSet.from_scores(scores, big=big)


def _is_int64(member: bytes) -> bool:
    if not member or len(member) > 20:
        return False
    try:
        n = int(member)
    except ValueError:
        return False
    return b"%d" % n == member and -(2**63) <= n < 2**63


def seed(store, data: Mapping, *, db: "int | None" = None, limits: "Mapping | None" = None) -> int:
    """Write ``data`` (either form) into ``store``, replacing those keys; return how many keys were written.

    Everything is parsed before anything is written, so bad data changes nothing.
    """
    plan = []
    for index, keyspace in by_database(data, db).items():
        if not isinstance(keyspace, Mapping):
            raise TypeError(f"database {index}: expected a mapping of keys, not {type(keyspace).__name__}")
        for key, value in keyspace.items():
            plan.append((index, *parse_entry(key, value)))
    with store.locked():
        for index, *_ in plan:
            store._db(index)
        for index, key, kind, norm, ttl in plan:
            d = store.dbs[index]
            d.lookup(key)
            if key in d.data:
                d.delete(key)
            d.set_value(key, build_value(kind, norm, limits))
            if ttl is not None:
                d.set_expire(key, store.now_ms + int(round(ttl * 1000)))
    return len(plan)


# -- reading a store -------------------------------------------------------------------------


def export_value(value, decode: bool = True) -> tuple:
    """``(type, plain value)`` of a store value (see the module docstring for the shapes)."""
    kind = type_name(value).decode()
    if kind == "string":
        return kind, text(value, decode)
    if kind == "hash":
        return kind, {text(f, decode): text(v, decode) for f, v in value.items()}
    if kind == "list":
        return kind, [text(m, decode) for m in value]
    if kind == "set":
        return kind, [text(m, decode) for m in sorted(value)]
    if kind == "zset":
        pairs = _zset_pairs(value)
        return kind, {text(m, decode): s for m, s in sorted(pairs, key=lambda p: (p[1], p[0]))}
    export = getattr(value, "export", None)
    return kind, (export() if export is not None else repr(value))


def _zset_pairs(value: ZSet) -> list:
    return list(value.items())


def dump(store, *, db: "int | None" = None, decode: bool = True) -> dict:
    """The data of ``store``: ``{db: {key: entry}}`` for non-empty databases, or one keyspace if ``db`` is given.

    Expired keys that were not swept yet are left out (and left alone: dumping changes nothing).
    """
    with store.locked():
        now = store.now_ms
        indexes = range(len(store.dbs)) if db is None else [store._db(db).index]
        out = {}
        for index in indexes:
            d = store.dbs[index]
            keyspace = {}
            for key in sorted(d.data):
                when = d.expires.get(key)
                if when is not None and when < now:
                    continue
                kind, plain = export_value(d.data[key], decode)
                ttl = None if when is None else (when - now) / 1000
                keyspace[text(key, decode)] = {"type": kind, "value": plain, "ttl": ttl}
            if keyspace or db is not None:
                out[index] = keyspace
    return out if db is None else out[db]


# -- comparing ---------------------------------------------------------------------------------


def normalize(key, value) -> tuple:
    """``(key str, type, comparable value, ttl or _UNSET)`` for one expected item."""
    k, kind, norm, ttl = parse_entry(key, value, check_ttl=False)
    explicit_ttl = is_entry(value) and "ttl" in value
    return text(k, True), kind, _comparable(kind, norm), (ttl if explicit_ttl else _UNSET)


def _comparable(kind: str, norm):
    if kind == "string":
        return text(norm, True)
    if kind == "hash":
        return {text(f, True): text(v, True) for f, v in norm}
    if kind == "list":
        return [text(m, True) for m in norm]
    if kind == "set":
        return sorted({text(m, True) for m in norm})
    return {text(m, True): s for m, s in sorted(norm, key=lambda p: (p[1], p[0]))}


def _actual_comparable(entry: dict):
    kind, value = entry["type"], entry["value"]
    if kind == "zset":
        return {m: float(s) for m, s in value.items()}
    return value


def diff(expected: Mapping, actual_dump: dict, *, db: "int | None" = None, partial: bool = False) -> "str | None":
    """None if ``actual_dump`` (a whole-store :func:`dump`) holds ``expected``; else a readable report."""
    wanted = {}
    for index, keyspace in by_database(expected, db).items():
        wanted[index] = {}
        for key, value in keyspace.items():
            k, kind, comparable, ttl = normalize(key, value)
            wanted[index][k] = (kind, comparable, ttl)
    indexes = sorted(set(wanted) | (set() if partial else set(actual_dump)))
    if db is not None and not partial:
        indexes = [db]
    problems: list = []
    exp_lines: list = []
    act_lines: list = []
    for index in indexes:
        want = wanted.get(index, {})
        have = actual_dump.get(index, {})
        keys = sorted(set(want) | (set() if partial else set(have)))
        for key in keys:
            w, h = want.get(key), have.get(key)
            label = f"db {index} {key!r}"
            a_line = None if h is None else _line(label, h["type"], _actual_comparable(h), h["ttl"] if w and w[2] is not _UNSET else _UNSET)
            if w is None:
                problems.append(f"unexpected key {label}")
                act_lines.append(a_line)
                continue
            e_line = _line(label, w[0], w[1], w[2])
            if h is None:
                problems.append(f"missing key {label}")
                exp_lines.append(e_line)
                continue
            if h["type"] != w[0]:
                problems.append(f"{label}: expected a {w[0]}, found a {h['type']}")
            elif w[1] != _actual_comparable(h):
                problems.append(f"{label}: {w[0]} value differs")
            elif w[2] is not _UNSET and not (w[2] == h["ttl"]):
                problems.append(f"{label}: ttl {h['ttl']!r}, expected {w[2]!r}")
            else:
                exp_lines.append(a_line)
                act_lines.append(a_line)
                continue
            exp_lines.append(e_line)
            act_lines.append(a_line)
    if not problems:
        return None
    report = ["kvfake data differs from what was expected:"]
    report += [f"  - {p}" for p in problems[:20]]
    if len(problems) > 20:
        report.append(f"  ... and {len(problems) - 20} more")
    report.append("")
    report += list(difflib.unified_diff(exp_lines, act_lines, "expected", "actual", lineterm="", n=2))
    return "\n".join(report)


def _line(label: str, kind: str, value, ttl) -> str:
    text = f"{label}: {kind} {value!r}"
    if ttl is not _UNSET:
        text += f" ttl={ttl!r}"
    return text
