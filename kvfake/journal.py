"""The command journal: every command a server received, and assertions over it.

Strategy: the dispatcher calls :meth:`Journal.record` after every command, or
once per pipelined batch of one client's commands (its ``recorders`` hook).  That
is the hot path, so it appends one tuple per command
``(client id, client name, db, args, reply, time ms)`` to a bounded ``deque``
(a batch: one C-level ``extend`` over ``zip``) and nothing more; :class:`JournalEntry` objects, name decoding, flag lookups and
matching happen only when a test reads the journal.  The deque keeps the last
``capacity`` commands (100,000 by default: a few tens of MB at most); older ones
are dropped silently, and failure messages say so when the journal is full.

Reading is safe while the server runs: a snapshot is taken with one C-level
copy of the deque, which the server thread cannot interleave with.

Matching (``assert_called("SET", "k", ANY)``): the first item is the command
name, compared case-insensitively (``"CLIENT SETNAME"`` names a subcommand, and
a container's subcommand token is compared case-insensitively too).  A name
alone matches every call of that command; with arguments, the whole argument
list must match unless the pattern ends with ``...``.  Each argument pattern is
bytes / str (UTF-8) / int / float (compared as numbers), :data:`ANY`, a
:class:`Glob`, a compiled ``re`` pattern (``fullmatch``; a str pattern sees
the argument decoded as UTF-8), or a callable ``(bytes) -> bool``.

Imports: kvfake.protocol.replies, kvfake.store.glob.  Never: socket, selectors.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from itertools import repeat

from attrs import frozen

from kvfake.protocol.replies import (
    Bool,
    Double,
    ErrorReply,
    Map,
    NoReply,
    NullArray,
    Push,
    SimpleString,
    Verbatim,
)
from kvfake.protocol.replies import Set as SetReply
from kvfake.store.glob import matcher

DEFAULT_CAPACITY = 100_000
SHOWN_CLOSEST = 5


class _Any:
    """Matches any single argument (like ``unittest.mock.ANY``)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


class Glob:
    """An argument pattern using Redis glob rules: ``Glob("session:*")``."""

    __slots__ = ("pattern", "_match")

    def __init__(self, pattern: "str | bytes") -> None:
        self.pattern = pattern.encode() if isinstance(pattern, str) else bytes(pattern)
        self._match = matcher(self.pattern)

    def __call__(self, arg: bytes) -> bool:
        if not arg:  # Redis's matcher never matches b"": let "*" (or "") match an empty argument
            return self.pattern.strip(b"*") == b""
        return bool(self._match(arg))

    def __repr__(self) -> str:
        return f"Glob({self.pattern.decode('utf-8', 'replace')!r})"


@frozen
class JournalEntry:
    """One command as the server received it.

    ``args`` are the raw arguments (bytes, the command name first); ``reply`` is
    the reply value the dispatcher produced (``bytes``, ``int``, ``None``, a list,
    or a :mod:`kvfake.protocol.replies` object); ``time_ms`` is the server clock
    when it ran.
    """

    client_id: int
    client_name_raw: bytes
    db: int
    args: tuple
    reply: object
    time_ms: int

    @property
    def command(self) -> str:
        """The command name, lower case (``"set"``)."""
        return self.args[0].decode("latin-1").lower() if self.args else ""

    @property
    def client_name(self) -> str:
        return self.client_name_raw.decode("utf-8", "replace")

    @property
    def error(self) -> "str | None":
        """The error text (``"WRONGTYPE ..."``) if the command failed, else None."""
        return self.reply.text if isinstance(self.reply, ErrorReply) else None

    @property
    def time(self) -> float:
        """The server clock when the command ran, in seconds since the epoch."""
        return self.time_ms / 1000

    def __str__(self) -> str:
        who = f"client {self.client_id}"
        if self.client_name_raw:
            who += f" {self.client_name!r}"
        return f"{render_args(self.args)}  -> {render_reply(self.reply)}  [{who}, db {self.db}]"


def _entry(raw: tuple) -> JournalEntry:
    client_id, name, db, args, reply, time_ms = raw
    return JournalEntry(client_id, name, db, tuple(args), reply, time_ms)


class _Pattern:
    """A compiled call pattern (see the module docstring)."""

    __slots__ = ("items", "name", "sub", "matchers", "any_args", "more", "text")

    def __init__(self, items: tuple, table) -> None:
        if items and isinstance(items[0], str) and " " in items[0].strip():
            items = tuple(items[0].split()) + tuple(items[1:])
        self.items = items
        self.text = render_pattern(items)
        self.name = None
        self.sub = None
        self.matchers: list = []
        self.any_args = True
        self.more = False
        if not items:
            return
        first = items[0]
        if first is ANY:
            self.name = None
        else:
            self.name = _as_bytes(first, "a command name").lower()
        rest = list(items[1:])
        if rest and rest[-1] is Ellipsis:
            rest.pop()
            self.more = True
        if any(p is Ellipsis for p in rest):
            raise TypeError("... may only end a call pattern")
        self.any_args = not rest and not self.more and len(items) == 1
        if self.name is not None and rest and isinstance(rest[0], (str, bytes)) and table is not None:
            spec = table.get(self.name)
            if spec is not None and spec.subcommands:
                self.sub = _as_bytes(rest[0], "a subcommand").lower()
                rest[0] = ANY
        self.matchers = [_arg_matcher(p) for p in rest]

    def match(self, args) -> bool:
        if not args:
            return False
        if self.name is not None and args[0].lower() != self.name:
            return False
        if self.any_args:
            return True
        given = len(args) - 1
        wanted = len(self.matchers)
        if given < wanted or (given > wanted and not self.more):
            return False
        if self.sub is not None and args[1].lower() != self.sub:
            return False
        for m, arg in zip(self.matchers, args[1:]):
            if not m(arg):
                return False
        return True


def _as_bytes(value, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _arg_matcher(p):
    if p is ANY:
        return lambda arg: True
    if isinstance(p, bytes):
        return p.__eq__
    if isinstance(p, str):
        return p.encode("utf-8", "surrogateescape").__eq__
    if isinstance(p, bool):
        raise TypeError("True/False is not an argument pattern (Redis has no booleans on the wire)")
    if isinstance(p, int):
        return (b"%d" % p).__eq__
    if isinstance(p, float):
        return lambda arg: _float_eq(arg, p)
    if isinstance(p, re.Pattern):
        if isinstance(p.pattern, bytes):
            return lambda arg: p.fullmatch(arg) is not None
        return lambda arg: p.fullmatch(arg.decode("utf-8", "surrogateescape")) is not None
    if callable(p):
        return lambda arg: bool(p(arg))
    raise TypeError(f"unsupported argument pattern {p!r} ({type(p).__name__})")


def _float_eq(arg: bytes, value: float) -> bool:
    try:
        return float(arg) == value
    except ValueError:
        return False


# -- rendering -------------------------------------------------------------------

_PLAIN = re.compile(rb"[!#-\[\]-~]+")  # printable ASCII except space, '"' and '\'
_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("\\"): "\\\\"}


def render_arg(arg: bytes) -> str:
    """One argument as redis-cli would show it: bare when plain, else quoted and escaped."""
    if _PLAIN.fullmatch(arg):
        return arg.decode("ascii")
    out = []
    for b in arg:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def render_args(args, limit: int = 200) -> str:
    if not args:
        return "(empty)"
    text = " ".join([args[0].decode("latin-1").upper()] + [render_arg(a) for a in args[1:]])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_pattern(items) -> str:
    if not items:
        return "(any command)"
    parts = []
    for i, p in enumerate(items):
        if p is Ellipsis:
            parts.append("...")
        elif isinstance(p, (str, bytes)):
            raw = p if isinstance(p, bytes) else p.encode("utf-8", "surrogateescape")
            parts.append(raw.decode("latin-1").upper() if i == 0 else render_arg(raw))
        elif isinstance(p, int) and not isinstance(p, bool):
            parts.append(str(p))
        elif isinstance(p, re.Pattern):
            parts.append(f"re({p.pattern!r})")
        else:
            parts.append(repr(p))
    return " ".join(parts)


def render_reply(reply, limit: int = 80) -> str:
    text = _render_reply(reply)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render_reply(reply) -> str:
    if isinstance(reply, ErrorReply):
        return f"(error) {reply.text}"
    if reply is None or isinstance(reply, NullArray):
        return "(nil)"
    if isinstance(reply, bytes):
        return render_arg(reply) if reply else '""'
    if isinstance(reply, bool):
        return repr(reply)
    if isinstance(reply, int):
        return f"(integer) {reply}"
    if isinstance(reply, SimpleString):
        return reply.value.decode("latin-1")
    if isinstance(reply, (Double,)):
        return f"(double) {reply.text.decode('latin-1')}"
    if isinstance(reply, Bool):
        return "(true)" if reply.value else "(false)"
    if isinstance(reply, Verbatim):
        return render_arg(reply.text)
    if isinstance(reply, NoReply):
        return "(no reply)"
    if isinstance(reply, Map):
        return "{" + ", ".join(f"{_render_reply(k)}: {_render_reply(v)}" for k, v in reply.items) + "}"
    if isinstance(reply, (SetReply, Push)):
        return "[" + ", ".join(_render_reply(i) for i in reply.items) + "]"
    if isinstance(reply, (list, tuple)):
        return "[" + ", ".join(_render_reply(i) for i in reply) + "]"
    return repr(reply)


# -- the journal -----------------------------------------------------------------


class Journal:
    """Every command the server received, newest last, with assertion helpers.

    >>> server.journal.assert_called("SET", "user:1", ANY, "EX", 60)        # doctest: +SKIP
    >>> server.journal.count("GET", client_name="app")                       # doctest: +SKIP
    >>> server.journal.assert_no_writes(client_name="reporting")            # doctest: +SKIP

    Filters accepted by every method: ``client_name`` (str/bytes, the name set by
    ``CLIENT SETNAME`` or ``HELLO ... SETNAME``), ``client_id``, ``db``.

    ``table`` (the command table, for subcommand names and ``write`` flags) may be
    a callable returning the table in use, since a server's table can change.
    """

    def __init__(self, *, table=None, capacity: int = DEFAULT_CAPACITY) -> None:
        self._table = table
        self._raw: deque = deque(maxlen=capacity)
        self._append = self._raw.append
        self._extend = self._raw.extend

    @property
    def table(self):
        table = self._table
        return table() if callable(table) else table

    # -- recording (server thread, hot path) -------------------------------------

    def record(self, ctx, requests, replies) -> None:
        """The dispatcher recorder: record one client's commands, run one after the other
        (a pipelined batch takes one C-level ``extend``)."""
        s = ctx.session
        now = ctx.store.now_ms
        n = len(requests)
        if n == 1:
            self._append((s.id, s.name, s.db, requests[0], replies[0], now))
        else:
            self._extend(zip(repeat(s.id, n), repeat(s.name, n), repeat(s.db, n), requests, replies,
                             repeat(now, n)))

    # -- reading -----------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self._raw.maxlen

    @capacity.setter
    def capacity(self, value: int) -> None:
        raw = deque(tuple(self._raw), maxlen=value)
        self._raw = raw
        self._append = raw.append
        self._extend = raw.extend

    def _snapshot(self) -> tuple:
        return tuple(self._raw)

    @property
    def entries(self) -> list:
        """Every recorded command, oldest first, as :class:`JournalEntry` objects."""
        return [_entry(raw) for raw in self._snapshot()]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self._raw)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        self._raw.clear()

    def _select(self, client_name=None, client_id=None, db=None) -> list:
        name = None if client_name is None else _as_bytes(client_name, "client_name")
        out = []
        for raw in self._snapshot():
            if name is not None and raw[1] != name:
                continue
            if client_id is not None and raw[0] != client_id:
                continue
            if db is not None and raw[2] != db:
                continue
            out.append(raw)
        return out

    def filter(self, *call, command=None, client_name=None, client_id=None, db=None) -> list:
        """The entries matching a call pattern and the filters (``command="SET"`` = the pattern ``("SET",)``)."""
        if command is not None:
            if call:
                raise TypeError("give either a call pattern or command=, not both")
            call = (command,)
        pattern = _Pattern(call, self.table)
        return [_entry(raw) for raw in self._select(client_name, client_id, db) if pattern.match(raw[3])]

    def count(self, *call, **filters) -> int:
        """How many recorded commands match."""
        return len(self.filter(*call, **filters))

    def last(self, *call, **filters) -> "JournalEntry | None":
        """The newest matching entry, or None."""
        found = self.filter(*call, **filters)
        return found[-1] if found else None

    # -- assertions ----------------------------------------------------------------

    def assert_called(self, *call, **filters) -> list:
        """Fail unless at least one command matches; return the matching entries."""
        found = self.filter(*call, **filters)
        if not found:
            raise AssertionError(self._report("Expected command not received", call, filters))
        return found

    def assert_called_once(self, *call, **filters) -> JournalEntry:
        """Fail unless exactly one command matches; return it."""
        found = self.filter(*call, **filters)
        if len(found) != 1:
            head = f"Expected exactly one matching command, received {len(found)}"
            raise AssertionError(self._report(head, call, filters, matches=found))
        return found[0]

    def assert_not_called(self, *call, **filters) -> None:
        """Fail if any command matches."""
        found = self.filter(*call, **filters)
        if found:
            head = f"Expected no matching command, received {len(found)}"
            raise AssertionError(self._report(head, call, filters, matches=found))

    def assert_called_in_order(self, calls, **filters) -> None:
        """Fail unless the calls were received in this order (others may come in between).

        ``calls`` is a list of call patterns: tuples (``("SET", "k", ANY)``) or
        single command names (``"EXEC"``).
        """
        patterns = [_Pattern(c if isinstance(c, tuple) else (c,), self.table) for c in calls]
        selected = self._select(**filters)
        pos = 0
        for step, pattern in enumerate(patterns):
            while pos < len(selected) and not pattern.match(selected[pos][3]):
                pos += 1
            if pos == len(selected):
                done = "".join(f"\n    {i + 1}. {p.text}" for i, p in enumerate(patterns[:step]))
                seen = "\n  matched in order:" + done if step else ""
                head = f"Commands not received in order: step {step + 1} of {len(patterns)} missing{seen}"
                raise AssertionError(self._report(head, pattern.items, filters, pattern=pattern))
            pos += 1

    def assert_no_writes(self, **filters) -> None:
        """Fail if any command flagged ``write`` in the command table was received."""
        writes = [_entry(raw) for raw in self._select(**filters) if self._is_write(raw[3])]
        if writes:
            lines = "\n".join(f"  {e}" for e in writes[:20])
            more = f"\n  ... and {len(writes) - 20} more" if len(writes) > 20 else ""
            where = _render_filters(filters)
            raise AssertionError(f"Expected no write commands{where}, received {len(writes)}:\n{lines}{more}")

    def _is_write(self, args) -> bool:
        table = self.table
        if table is None or not args:
            return False
        spec = table.get(args[0])
        if spec is None:
            return False
        if spec.subcommands and len(args) >= 2:
            spec = spec.subcommands.get(args[1].lower(), spec)
        return "write" in spec.flags

    # -- failure messages --------------------------------------------------------------

    def _report(self, head: str, call, filters: dict, matches=None, pattern=None) -> str:
        pattern = pattern or _Pattern(call, self.table)
        lines = [f"{head}: {pattern.text}{_render_filters(filters)}"]
        if matches:
            lines.append("  matching commands:")
            lines += [f"    {e}" for e in matches[:SHOWN_CLOSEST * 2]]
            if len(matches) > SHOWN_CLOSEST * 2:
                lines.append(f"    ... and {len(matches) - SHOWN_CLOSEST * 2} more")
            return "\n".join(lines)
        everything = self._snapshot()
        selected = self._select(**filters)
        if not everything:
            lines.append("  No commands were received at all.")
        elif not selected:
            lines.append(f"  No command matched the filters ({len(everything)} received in all).")
            selected = everything
        else:
            full = " (the journal is full: older commands were dropped)" if len(everything) == self.capacity else ""
            lines.append(f"  {len(selected)} commands received{full}; closest:")
        if selected:
            for raw in _closest(pattern, selected, SHOWN_CLOSEST):
                lines.append(f"    {_entry(raw)}")
        return "\n".join(lines)


def _render_filters(filters: dict) -> str:
    shown = {k: v for k, v in filters.items() if v is not None}
    if not shown:
        return ""
    return " (" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _closest(pattern: _Pattern, selected: list, limit: int) -> list:
    """Entries ranked by likeness to the pattern: same command name first, then text similarity.

    Only the newest few hundred candidates are ranked (difflib is slow on a full journal).
    """
    name = pattern.name
    same = [i for i, r in enumerate(selected) if name is not None and r[3] and r[3][0].lower() == name]
    positions = sorted(set(same[-200:]) | set(range(max(0, len(selected) - 200), len(selected))))
    target = pattern.text
    scored = []
    for i in positions:
        args = selected[i][3]
        same_name = name is not None and bool(args) and args[0].lower() == name
        ratio = difflib.SequenceMatcher(None, target, render_args(args), autojunk=False).ratio()
        scored.append((not same_name, -ratio, -i))
    scored.sort()
    return [selected[-t[2]] for t in scored[:limit]]
