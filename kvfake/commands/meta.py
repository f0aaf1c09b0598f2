"""Redis 7.0.15's COMMAND INFO / COMMAND DOCS metadata, recorded from a real server.

``kvfake/data/commands.json`` is written by ``tools/record_commands.py`` (never by
hand).  It holds one plain record per command, keyed by lower-case fullname
(``"get"``, ``"client|setname"``), plus a small *schema* naming the RESP3 type
of every node that is not a plain bulk string / array / map: which strings are
status replies (``+readonly``), which lists are sets (``~``).  RESP3 is the
richer protocol, so the RESP2 reply is the encoder's usual downgrade of the
same value (map -> flat array, set -> array); the recorder checked this, byte
for byte, for every command in both protocols.

Schema paths name a node by field names: ``info.flags``, ``info.flags[]``,
``info.key_specs[].begin_search.spec``, ``docs.history[][]``.  Nested
``arguments`` collapse onto one path (``docs.arguments[].arguments`` is
``docs.arguments``).  A ``path#empty`` entry, when present, wins for an empty
list: Redis 7.0 sends a container's subcommands as an array, but an empty set
(``~0``) when there are none.

Subcommands appear by name: ``meta["subcommands"]`` and
``meta["docs"]["subcommands"]`` list fullnames in the order the recorded server
listed them (its dict order, which real Redis shuffles per process).

Imports: kvfake.protocol.replies.  Never: socket, selectors, store, encoder.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Optional

from kvfake.protocol.replies import Map, Set, SimpleString

#: Positional fields of one COMMAND INFO entry, in wire order.
INFO_FIELDS = (
    "name",
    "arity",
    "flags",
    "first_key",
    "last_key",
    "step",
    "acl_categories",
    "tips",
    "key_specs",
    "subcommands",
)

_EMPTY = "#empty"


@functools.lru_cache(maxsize=None)
def _data() -> dict:
    path = resources.files("kvfake") / "data" / "commands.json"
    return json.loads(path.read_text(encoding="utf-8"))


def load() -> dict[str, dict[str, Any]]:
    """All commands and subcommands, keyed by lower-case fullname (cached).

    Each record has: name, arity, flags, first_key, last_key, step,
    acl_categories, tips, key_specs, subcommands (fullnames) and docs (the
    COMMAND DOCS map as a dict; its ``subcommands``, if any, as fullnames).
    Top-level commands come in the recorded COMMAND order, each container
    followed by its subcommands.  Treat the records as read-only.
    """
    return _data()["commands"]


def schema() -> dict[str, str]:
    """Path -> RESP3 type ("bulk", "status", "int", "array", "set", "map")."""
    return _data()["schema"]


def redis_version() -> str:
    """The version of the redis-server the data was recorded from."""
    return _data()["redis_version"]


def child_path(path: str, key: str) -> str:
    """The schema path of field ``key`` of the map at ``path``."""
    child = path + "." + key
    # Arguments nest (oneof/block); every level has the same shape.
    if child.endswith("[].arguments"):
        child = child[: -len("[].arguments")]
    return child


def build(value: Any, path: str, types: Optional[dict[str, str]] = None) -> Any:
    """Turn a plain JSON value at schema ``path`` into a reply value."""
    if types is None:
        types = schema()
    if isinstance(value, str):
        data = value.encode("utf-8")
        return SimpleString(data) if types.get(path) == "status" else data
    if isinstance(value, bool):  # never in the data; bool is an int subclass
        raise TypeError(f"unexpected bool at {path}")
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return Map(
            [(k.encode("utf-8"), build(v, child_path(path, k), types)) for k, v in value.items()]
        )
    if isinstance(value, list):
        items = [build(v, path + "[]", types) for v in value]
        kind = (types.get(path + _EMPTY) if not value else None) or types.get(path)
        return Set(items) if kind == "set" else items
    raise TypeError(f"unexpected {type(value).__name__} at {path}")


def _wrap(items: list, path: str, types: dict[str, str]) -> Any:
    kind = (types.get(path + _EMPTY) if not items else None) or types.get(path)
    if kind == "set":
        return Set(items)
    if kind == "map":
        return Map(items)
    return items


def info_value(meta: dict[str, Any], table: Optional[dict[str, dict]] = None) -> Any:
    """One COMMAND INFO entry (a 10-element array) for this command's record.

    A container's tenth element holds the full entries of its subcommands,
    looked up by fullname in ``table`` (default: :func:`load`).
    """
    types = schema()
    if table is None:
        table = load()
    fields = []
    for name in INFO_FIELDS:
        path = "info." + name
        if name == "subcommands":
            subs = [info_value(table[sub], table) for sub in meta["subcommands"]]
            fields.append(_wrap(subs, path, types))
        else:
            fields.append(build(meta[name], path, types))
    return _wrap(fields, "info", types)


def docs_value(meta: dict[str, Any], table: Optional[dict[str, dict]] = None) -> Any:
    """One command's COMMAND DOCS map (the value under its name).

    A container's ``subcommands`` becomes a map of fullname -> docs map, looked
    up in ``table`` (default: :func:`load`).
    """
    types = schema()
    if table is None:
        table = load()
    items = []
    for key, value in meta["docs"].items():
        path = child_path("docs", key)
        if key == "subcommands":
            subs = [(sub.encode("utf-8"), docs_value(table[sub], table)) for sub in value]
            items.append((b"subcommands", _wrap(subs, path, types)))
        else:
            items.append((key.encode("utf-8"), build(value, path, types)))
    return _wrap(items, "docs", types)
