"""kvfake.commands.meta: the recorded COMMAND INFO / COMMAND DOCS data of Redis 7.0.15.

The byte-exact cases compare against tests/unit/data/command_meta_capture.json:
raw replies of real redis-server 7.0.15, written by tools/record_commands.py in
the same run as kvfake/data/commands.json (subcommand order is per-process in
Redis, so the two files must be re-recorded together).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvfake.commands import meta
from kvfake.protocol.encoder import encode
from kvfake.protocol.replies import Map, Set, SimpleString

CAPTURE = json.loads((Path(__file__).parent / "data" / "command_meta_capture.json").read_text())


def test_recorded_from_redis_7_0_15():
    assert meta.redis_version() == "7.0.15"
    assert CAPTURE["redis_version"] == "7.0.15"


def test_load_is_cached():
    assert meta.load() is meta.load()


def test_top_level_count_matches_command_count():
    # redis 7.0.15: COMMAND COUNT -> 240; 126 more are subcommands.
    table = meta.load()
    assert sum("|" not in name for name in table) == 240
    assert len(table) == 366


KNOWN = [
    # name, arity, flags, (first, last, step), acl_categories
    ("get", 2, ["readonly", "fast"], (1, 1, 1), ["@read", "@string", "@fast"]),
    ("set", -3, ["write", "denyoom"], (1, 1, 1), ["@write", "@string", "@slow"]),
    ("del", -2, ["write"], (1, -1, 1), ["@keyspace", "@write", "@slow"]),
    ("client|setname", 3, ["noscript", "loading", "stale"], (0, 0, 0), ["@slow", "@connection"]),
    ("client", -2, [], (0, 0, 0), ["@slow"]),
]


@pytest.mark.parametrize("name, arity, flags, keys, acl", KNOWN, ids=[k[0] for k in KNOWN])
def test_known_entries(name, arity, flags, keys, acl):
    m = meta.load()[name]
    assert m["name"] == name
    assert m["arity"] == arity
    assert m["flags"] == flags
    assert (m["first_key"], m["last_key"], m["step"]) == keys
    assert m["acl_categories"] == acl


def test_get_key_spec_nested_structure():
    assert meta.load()["get"]["key_specs"] == [
        {
            "flags": ["RO", "access"],
            "begin_search": {"type": "index", "spec": {"index": 1}},
            "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
        }
    ]


def test_docs_fields():
    table = meta.load()
    assert table["get"]["docs"] == {
        "summary": "Get the value of a key",
        "since": "1.0.0",
        "group": "string",
        "complexity": "O(1)",
        "arguments": [{"name": "key", "type": "key", "key_spec_index": 0}],
    }
    getset = table["getset"]["docs"]
    assert getset["doc_flags"] == ["deprecated"]
    assert getset["deprecated_since"] == "6.2.0"
    assert getset["replaced_by"] == "`SET` with the `!GET` argument"
    first = table["set"]["docs"]["history"][0]
    assert first == ["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."]


def test_subcommands_listed_once_by_their_container():
    table = meta.load()
    listed = [sub for m in table.values() for sub in m["subcommands"]]
    assert sorted(listed) == sorted(name for name in table if "|" in name)
    for name, m in table.items():
        assert all(sub.split("|")[0] == name for sub in m["subcommands"])
        assert m["docs"].get("subcommands", []) == m["subcommands"]
    assert "client|setname" in table["client"]["subcommands"]
    assert len(table["client"]["subcommands"]) == 16


def test_info_value_types():
    value = meta.info_value(meta.load()["get"])
    assert value[:2] == [b"get", 2]
    assert value[2] == Set([SimpleString(b"readonly"), SimpleString(b"fast")])
    assert value[7] == Set([])  # tips
    assert value[9] == Set([])  # no subcommands: an empty set, not an array


def test_info_value_container_nests_full_subcommand_entries():
    table = meta.load()
    value = meta.info_value(table["client"])
    subs = value[9]
    assert isinstance(subs, list)  # non-empty subcommands: an array
    assert [entry[0] for entry in subs] == [s.encode() for s in table["client"]["subcommands"]]
    setname = table["client"]["subcommands"].index("client|setname")
    assert subs[setname] == meta.info_value(table["client|setname"])


def test_docs_value_types():
    value = meta.docs_value(meta.load()["getset"])
    assert isinstance(value, Map)
    items = dict(value.items)
    assert items[b"doc_flags"] == Set([SimpleString(b"deprecated")])
    key_arg = Map([(b"name", b"key"), (b"type", b"key"), (b"key_spec_index", 0)])
    assert items[b"arguments"][0] == key_arg


def _reply(args: list[str]):
    """The reply value for COMMAND INFO|DOCS <one name>, built from the recorded metadata."""
    sub, name = args[1].upper(), args[2].lower()
    m = meta.load()[name]
    if sub == "INFO":
        return [meta.info_value(m)]
    return Map([(name.encode(), meta.docs_value(m))])


CASES = [(r["args"], r["protover"], r["reply"].encode("latin-1")) for r in CAPTURE["replies"]]


@pytest.mark.parametrize(
    "args, protover, raw", CASES, ids=[f"RESP{p}-{' '.join(a[1:])}" for a, p, _ in CASES]
)
def test_rebuilt_reply_is_byte_exact(args, protover, raw):
    assert encode(_reply(args), protover) == raw


def test_capture_covers_both_protocols_and_a_container():
    covered = {(tuple(a), p) for a, p, _ in CASES}
    for name in ("get", "set", "client|setname", "client"):
        for sub in ("INFO", "DOCS"):
            for protover in (2, 3):
                assert (("COMMAND", sub, name), protover) in covered
