"""The conformance corpus: cases as plain data, one JSON file per group under ``cases/``.

A case is a short script run on a fresh connection to a server whose keyspace was just flushed: each
step is a command (an argv list) and the exact raw reply a real redis-server gave, plus the
normalisation tags (kvfake.conformance.normalize) that say what may legitimately differ, the RESP
version of the connection (``HELLO 3`` is sent first for 3) and the Redis version that recorded it.

File format (``cases/<group>.json``; written by tools/build_corpus.py and ``kvfake conform --record``,
never edited by hand), one step per line so diffs stay readable::

    {"format": 1, "group": "strings", "cases": [
    {"name": "set-options", "resp": 2, "normalize": [], "redis_version": "7.0.15",
     "source": "tests/differential/test_strings.py SCRIPTS", "steps": [
      [["SET", "k", "v", "NX"], "+OK\\r\\n"],
      [["SET", "k", "\\u00ff\\u0000"], "+OK\\r\\n"],
      [["PFDEBUG", "GETREG", "h"], ["*16384\\r\\n", [":0\\r\\n", 16384]]]]}
    ]}

Bytes as JSON: an argument or a reply is a JSON string with one character per byte (U+0000-U+00FF,
i.e. latin-1; the file itself is ASCII, so bytes outside printable ASCII appear as JSON's own escapes
``\\r \\n \\u00ff``), or, for long repetitive data, a list of parts, each a string or ``[unit, count]``
(the unit repeated count times), concatenated.  A reply ``<connection closed>`` means the server had
closed the connection (after QUIT).

Imports: kvfake.conformance.normalize, kvfake.commands.meta (for ``commands_of``).  Never: socket.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from attrs import evolve, frozen

from kvfake.conformance.normalize import normalise, rules_for

FORMAT = 1
CASES_DIR = Path(__file__).resolve().parent / "cases"


@frozen
class Step:
    argv: tuple  # of bytes
    reply: bytes  # the raw reply recorded from redis (or CLOSED)


@frozen
class Case:
    name: str
    group: str
    resp: int
    steps: tuple  # of Step
    normalize: tuple = ()
    redis_version: str = ""
    source: str = ""

    @property
    def id(self) -> str:
        return f"{self.group}/{self.name}[resp{self.resp}]"

    def normalisers(self) -> list:
        return rules_for(self.normalize)

    def recorded(self, replies: Iterable[bytes], version: str) -> "Case":
        """This case with new expected replies (from a recording).  When every new reply equals
        the old one after the case's normalisation (a time, an id...), the old replies stay, so
        re-recording changes only what really changed."""
        replies = tuple(replies)
        rules = self.normalisers()
        if len(replies) == len(self.steps) and all(
                normalise(rules, s.argv, s.reply) == normalise(rules, s.argv, r) for s, r in zip(self.steps, replies)):
            return evolve(self, redis_version=version)
        steps = tuple(Step(s.argv, r) for s, r in zip(self.steps, replies))
        return evolve(self, steps=steps, redis_version=version)


_RUN = re.compile(rb"(.{1,8}?)\1{15,}", re.S)  # a unit of 1-8 bytes repeated at least 16 times


def to_json(data: bytes):
    """Bytes as corpus JSON: a latin-1 string, or a list of parts when long runs repeat."""
    parts: list = []
    pos = 0
    for m in _RUN.finditer(data):
        unit = m.group(1)
        count = (m.end() - m.start()) // len(unit)
        if m.start() > pos:
            parts.append(data[pos:m.start()].decode("latin-1"))
        parts.append([unit.decode("latin-1"), count])
        pos = m.start() + count * len(unit)
    if not parts:
        return data.decode("latin-1")
    if pos < len(data):
        parts.append(data[pos:].decode("latin-1"))
    return parts


def from_json(value) -> bytes:
    """The inverse of :func:`to_json`."""
    if isinstance(value, str):
        return value.encode("latin-1")
    out = bytearray()
    for part in value:
        if isinstance(part, str):
            out += part.encode("latin-1")
        else:
            unit, count = part
            out += unit.encode("latin-1") * int(count)
    return bytes(out)


def case_from_json(obj: dict, group: str) -> Case:
    steps = tuple(Step(tuple(from_json(a) for a in argv), from_json(reply)) for argv, reply in obj["steps"])
    tags = tuple(obj.get("normalize", ()))
    rules_for(tags)  # unknown tags fail at load time, not half-way through a run
    return Case(name=obj["name"], group=group, resp=int(obj["resp"]), steps=steps, normalize=tags,
                redis_version=obj.get("redis_version", ""), source=obj.get("source", ""))


def load_group(path: Path) -> "list[Case]":
    data = json.loads(Path(path).read_text(encoding="ascii"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown corpus format {data.get('format')!r}")
    group = data["group"]
    return [case_from_json(obj, group) for obj in data["cases"]]


def groups(directory: Path = CASES_DIR) -> "list[str]":
    return sorted(p.stem for p in Path(directory).glob("*.json"))


def load(directory: Path = CASES_DIR, *, only_groups=None, resp=None) -> "list[Case]":
    """Every case of the corpus in ``directory`` (groups in name order), optionally filtered."""
    cases = []
    for name in groups(directory):
        if only_groups and name not in only_groups:
            continue
        cases.extend(c for c in load_group(Path(directory) / f"{name}.json") if resp in (None, c.resp))
    return cases


def dump_group(group: str, cases: "Iterable[Case]") -> str:
    """The text of one group file (see the module docstring)."""
    out = [f'{{"format": {FORMAT}, "group": {json.dumps(group)}, "cases": [']
    blocks = []
    for case in cases:
        head = {"name": case.name, "resp": case.resp, "normalize": list(case.normalize),
                "redis_version": case.redis_version, "source": case.source}
        lines = [json.dumps(head)[:-1] + ', "steps": [']
        steps = [" " + json.dumps([[to_json(a) for a in s.argv], to_json(s.reply)]) for s in case.steps]
        lines.append(",\n".join(steps) + "]}")
        blocks.append("\n".join(lines))
    out.append(",\n".join(blocks))
    out.append("]}")
    return "\n".join(out) + "\n"


def write_group(directory: Path, group: str, cases: "Iterable[Case]") -> Path:
    path = Path(directory) / f"{group}.json"
    path.write_text(dump_group(group, cases), encoding="ascii")
    return path


def commands_of(cases: "Iterable[Case]") -> "set[str]":
    """The command names the cases use, lower case, with ``container|sub`` for the real subcommands
    of container commands (Redis 7.0.15's table, kvfake.commands.meta): ``SET k v`` counts ``set``
    only, ``CONFIG GET x`` counts ``config`` and ``config|get``, ``CONFIG NOSUCH`` ``config`` only."""
    from kvfake.commands import meta  # only --list needs the table: keep loading the corpus light

    table = meta.load()
    names = set()
    for case in cases:
        for step in case.steps:
            name = step.argv[0].lower().decode("latin-1")
            names.add(name)
            record = table.get(name)
            if record is not None and record["subcommands"] and len(step.argv) > 1:
                full = f"{name}|{step.argv[1].lower().decode('latin-1')}"
                if full in table:
                    names.add(full)
    return names
