"""The normalisation rules of the conformance kit: what may legitimately differ between two servers.

A rule has a name (the *tag* a corpus case lists), the commands it touches (upper-case names, a
subcommand as ``"CONFIG|GET"``) and a function ``fn(raw) -> raw`` applied to the raw reply of every
step whose command it names, on both sides, before they are compared.  Rules are narrow by design:

- a rule touches only the commands it names, and only the part of the reply that must differ;
- a reply of an unexpected shape (an error, a null, garbage) is returned unchanged, so it still
  shows up as a difference;
- error replies are never normalised, and nothing is ever matched by substring.

The rules (stated for users in protocol_spec.md, "Conformance normalisation"):

==============  =========================================  ==============================================
tag             commands                                   what is replaced
==============  =========================================  ==============================================
sort-elements   KEYS SMEMBERS SINTER SUNION SDIFF HKEYS    array/set elements sorted by their raw bytes
                HVALS
sort-pairs      HGETALL CONFIG|GET                         (field, value) pairs sorted
sort-scan       SCAN SSCAN HSCAN ZSCAN                     the element list of the reply sorted (pairs
                                                           for HSCAN/ZSCAN); the cursor is compared
time            TIME                                       both numbers -> ``<seconds>``/``<microseconds>``
lastsave        LASTSAVE                                   the integer -> ``<unix-time>``
client-ids      HELLO CLIENT|ID CLIENT|INFO CLIENT|LIST    the connection id (also HELLO's inside an EXEC
                EXEC                                       reply); in CLIENT INFO/LIST lines id addr laddr
                                                           fd age idle and the memory/buffer figures
info            INFO                                       every value -> ``*`` except the keys/expires
                                                           counts of keyspace lines; the lines of the
                                                           history-dependent sections Commandstats,
                                                           Errorstats and Latencystats are dropped
random          RANDOMKEY SPOP SRANDMEMBER HRANDFIELD      every bulk string and double in the reply ->
                ZRANDMEMBER                                ``$?``/``,?`` (the count, nesting, nulls and
                                                           errors are still compared)
latency-        LATENCY|HISTOGRAM                          each command's ``calls`` count -> ``:N`` and its
histogram                                                  ``histogram_usec`` buckets -> ``<buckets>`` (the
                                                           command names and field names are compared)
==============  =========================================  ==============================================

tests/differential/conftest.py uses the same ``NORMALISERS`` (``pair.check(..., normalize="sort-pairs")``).

Imports: kvfake.conformance.resp.  Never: socket, kvfake.store, kvfake.commands.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

from attrs import frozen

from kvfake.conformance.resp import RespError, blob, bulk, elements, with_blob


@frozen
class Normaliser:
    """``fn(raw) -> raw`` applied to the replies of the steps whose command is in ``commands``."""

    name: str
    commands: frozenset
    fn: Callable[[bytes], bytes]

    def applies_to(self, argv: Sequence[bytes]) -> bool:
        if not argv:
            return False
        name = argv[0].upper().decode("latin-1")
        if name in self.commands:
            return True
        return len(argv) > 1 and f"{name}|{argv[1].upper().decode('latin-1')}" in self.commands

    def __call__(self, argv: Sequence[bytes], raw: bytes) -> bytes:
        return self.fn(raw) if self.applies_to(argv) else raw


def _guard(fn: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """Errors are never normalised; a reply the rule cannot take apart is returned as it is."""

    def guarded(raw: bytes) -> bytes:
        if raw[:1] in (b"-", b"!"):
            return raw
        try:
            return fn(raw)
        except (RespError, ValueError, IndexError):
            return raw

    guarded.__doc__ = fn.__doc__
    guarded.__name__ = fn.__name__
    return guarded


# -- orderings -----------------------------------------------------------------------------------------

def sort_elements(raw: bytes) -> bytes:
    """Top-level array/set elements sorted by their raw bytes (a map is left alone)."""
    if raw[:1] == b"%":
        return raw
    header, items = elements(raw)
    return header + b"".join(sorted(items))


def _sorted_pairs(items: list) -> list:
    if len(items) % 2:
        raise ValueError("odd number of elements")
    return sorted(zip(items[0::2], items[1::2]))


def sort_pairs(raw: bytes) -> bytes:
    """A flat (field, value, ...) array or a RESP3 map, its pairs sorted by their raw bytes."""
    header, items = elements(raw)
    return header + b"".join(k + v for k, v in _sorted_pairs(items))


def sort_scan(raw: bytes) -> bytes:
    """A SCAN-family reply ``[cursor, [items]]``: the items sorted (as pairs when they pair up
    as HSCAN's and ZSCAN's do: an even count is sorted pairwise, which keeps each pair together)."""
    header, parts = elements(raw)
    if len(parts) != 2:
        return raw
    cursor, found = parts
    inner, items = elements(found)
    return header + cursor + inner + b"".join(sorted(items))


def sort_scan_pairs(raw: bytes) -> bytes:
    """HSCAN/ZSCAN: ``[cursor, [f1, v1, f2, v2...]]`` with its pairs sorted."""
    header, parts = elements(raw)
    if len(parts) != 2:
        return raw
    cursor, found = parts
    inner, items = elements(found)
    return header + cursor + inner + b"".join(k + v for k, v in _sorted_pairs(items))


# -- clocks and ids --------------------------------------------------------------------------------

_DIGITS = re.compile(rb"[0-9]+\Z")


def time_reply(raw: bytes) -> bytes:
    """TIME's two decimal bulk strings replaced by placeholders (the shape is still checked)."""
    header, items = elements(raw)
    if header != b"*2\r\n":
        return raw
    values = [blob(i) for i in items]
    if not all(v is not None and _DIGITS.match(v) for v in values):
        return raw
    return header + bulk(b"<seconds>") + bulk(b"<microseconds>")


def unix_time(raw: bytes) -> bytes:
    """LASTSAVE's integer."""
    return b":<unix-time>\r\n" if re.fullmatch(rb":[0-9]+\r\n", raw) else raw


_HELLO_ID = re.compile(rb"\$2\r\nid\r\n:[0-9]+\r\n")
_CLIENT_VOLATILE = frozenset(b"id addr laddr fd age idle qbuf qbuf-free argv-mem rbs rbp tot-mem".split())


def _client_line(line: bytes) -> bytes:
    fields = []
    for field in line.split(b" "):
        name, eq, value = field.partition(b"=")
        fields.append(name + eq + b"<n>" if eq and name in _CLIENT_VOLATILE else field)
    return b" ".join(fields)


def client_ids(raw: bytes) -> bytes:
    """HELLO's "id" value; CLIENT ID's integer; the volatile fields of CLIENT INFO/LIST lines."""
    if raw[:1] == b":":
        return b":<id>\r\n" if re.fullmatch(rb":[0-9]+\r\n", raw) else raw
    if raw[:1] in (b"*", b"%"):  # HELLO's reply, or an EXEC reply holding one
        return _HELLO_ID.sub(b"$2\r\nid\r\n:<id>\r\n", raw)
    prefix, text = _blob_text(raw)
    if text is None:
        return raw
    lines = b"\n".join(_client_line(line) if line else line for line in text.split(b"\n"))
    return with_blob(raw, prefix + lines)


def _blob_text(raw: bytes) -> "tuple[bytes, bytes | None]":
    """A bulk or verbatim reply's text, and the verbatim format prefix (``txt:``) kept apart."""
    text = blob(raw)
    if text is not None and raw[:1] == b"=":
        return text[:4], text[4:]
    return b"", text


# -- INFO ------------------------------------------------------------------------------------------

_HISTORY_SECTIONS = (b"# Commandstats", b"# Errorstats", b"# Latencystats")
_DB_LINE = re.compile(rb"db[0-9]+\Z")
_KEYS_EXPIRES = re.compile(rb"(keys=[0-9]+,expires=[0-9]+),avg_ttl=[0-9]+\Z")


def info_reply(raw: bytes) -> bytes:
    """INFO's text: section headers and field names kept in order, values blanked (see the table)."""
    prefix, text = _blob_text(raw)
    if text is None:
        return raw
    out = []
    drop = False
    for line in text.split(b"\r\n"):
        if line.startswith(b"#"):
            drop = line in _HISTORY_SECTIONS
            out.append(line)
        elif not line:
            out.append(line)
        elif not drop:
            name, sep, value = line.partition(b":")
            m = _KEYS_EXPIRES.match(value) if _DB_LINE.match(name) else None
            out.append(name + sep + (m.group(1) + b",avg_ttl=*" if m else b"*"))
    return with_blob(raw, prefix + b"\r\n".join(out))


# -- random replies -------------------------------------------------------------------------------

def shape(raw: bytes) -> bytes:
    """Every bulk string and double replaced by a placeholder, recursively; the structure stays."""
    kind = raw[:1]
    if kind in (b"*", b"~", b">", b"%"):
        header, items = elements(raw)
        return header + b"".join(shape(i) for i in items)
    if kind == b"$" and raw != b"$-1\r\n":
        return b"$?\r\n"
    if kind == b",":
        return b",?\r\n"
    return raw


# -- LATENCY HISTOGRAM ---------------------------------------------------------------------------

_CALLS = re.compile(rb"(\$5\r\ncalls\r\n):[0-9]+\r\n")
_BUCKETS = re.compile(rb"(\$14\r\nhistogram_usec\r\n)[*%][0-9]+\r\n(?::[0-9]+\r\n)+")


def latency_histogram(raw: bytes) -> bytes:
    """Each command's call count and latency buckets (process history and timing) blanked."""
    raw = _CALLS.sub(rb"\1:N\r\n", raw)
    return _BUCKETS.sub(rb"\1<buckets>\r\n", raw)


def _rules() -> "list[Normaliser]":
    def rule(name: str, commands: Iterable[str], fn: Callable[[bytes], bytes]) -> Normaliser:
        return Normaliser(name, frozenset(commands), _guard(fn))

    return [
        rule("sort-elements", "KEYS SMEMBERS SINTER SUNION SDIFF HKEYS HVALS".split(), sort_elements),
        rule("sort-pairs", ["HGETALL", "CONFIG|GET"], sort_pairs),
        rule("sort-scan", ["SCAN", "SSCAN"], sort_scan),
        rule("sort-scan-pairs", ["HSCAN", "ZSCAN"], sort_scan_pairs),
        rule("time", ["TIME"], time_reply),
        rule("lastsave", ["LASTSAVE"], unix_time),
        rule("client-ids", ["HELLO", "CLIENT|ID", "CLIENT|INFO", "CLIENT|LIST", "EXEC"], client_ids),
        rule("info", ["INFO"], info_reply),
        rule("random", "RANDOMKEY SPOP SRANDMEMBER HRANDFIELD ZRANDMEMBER".split(), shape),
        rule("latency-histogram", ["LATENCY|HISTOGRAM"], latency_histogram),
    ]


NORMALISERS: "dict[str, Normaliser]" = {n.name: n for n in _rules()}
"""Every rule by its tag.  ``sort-scan`` in a corpus case also brings ``sort-scan-pairs`` (see ALIASES)."""

#: a tag that stands for several rules
ALIASES = {"sort-scan": ("sort-scan", "sort-scan-pairs")}


def rules_for(tags: Iterable[str]) -> "list[Normaliser]":
    """The rules a case's tags name, in a fixed order; raises KeyError for an unknown tag."""
    names: list = []
    for tag in tags:
        if tag not in NORMALISERS:
            raise KeyError(f"unknown normalisation tag {tag!r}; known: {sorted(NORMALISERS)}")
        names.extend(ALIASES.get(tag, (tag,)))
    return [NORMALISERS[n] for n in NORMALISERS if n in names]


def normalise(rules: "Sequence[Normaliser]", argv: Sequence[bytes], raw: bytes) -> bytes:
    """``raw`` after every rule that applies to ``argv``."""
    for rule in rules:
        raw = rule(argv, raw)
    return raw
