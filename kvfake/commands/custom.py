"""Custom replies: commands a test registers on one server, or built-in commands it overrides.

Not a command group: :class:`CustomCommands` (``server.custom_commands``) keeps
an ordered list of registrations for one dispatcher and, on every change,
builds a new :class:`CommandTable` from the base table plus the registrations,
then swaps it in with one attribute assignment.  The loop thread therefore sees
either the old table or the new one, never half of a change, and the shared
built-in ``TABLE`` is never modified.  Removing a registration rebuilds from
the base, so stacked overrides of one name unwind in any order.

Handlers are plain functions of the arguments (bytes; the command name, and a
subcommand's name, left out) returning a reply value: bytes (bulk), int, None (null), list/tuple,
``SimpleString``/``OK`` and the other types of :mod:`kvfake.protocol.replies`.
To answer an error, raise or return ``CommandError("ERR ...")`` (the full text
with its code).  They run on the server thread with the store lock held, like
any command, so they may use ``server.store``; an exception other than
CommandError is reported like a kvfake bug (``-ERR internal error ...`` and
``server.errors``).

Imports: kvfake.commands.registry, kvfake.errors, kvfake.protocol.replies.
Never: socket, selectors, protocol.encoder.
"""

from __future__ import annotations

import threading
from typing import Callable

from attrs import evolve

from kvfake.commands.registry import KNOWN_FLAGS, CommandSpec, CommandTable
from kvfake.errors import CommandError, KvfakeError
from kvfake.protocol.replies import ErrorReply

CUSTOM_GROUP = "custom"


def _split_name(name: "str | bytes") -> "tuple[bytes, bytes | None]":
    raw = name.encode() if isinstance(name, str) else bytes(name)
    raw = raw.strip().lower()
    for sep in (b"|", b" "):
        if sep in raw:
            container, _, sub = raw.partition(sep)
            container, sub = container.strip(), sub.strip()
            if not container or not sub or b"|" in sub or b" " in sub:
                raise ValueError(f"bad command name {name!r}")
            return container, sub
    if not raw:
        raise ValueError("a command name cannot be empty")
    return raw, None


def _check_reply(value, where: str):
    if isinstance(value, (str, bool)):
        raise TypeError(
            f"{where} returned {type(value).__name__} {value!r}: replies are bytes, int, None, "
            "lists or kvfake.protocol.replies values"
        )
    if isinstance(value, CommandError):
        raise value
    if isinstance(value, ErrorReply):
        raise CommandError(value.text)
    return value


class CustomCommand:
    """One registration: ``remove()`` it or use it as a context manager.

    ``calls`` counts how many times its handler ran.
    """

    def __init__(self, owner: "CustomCommands", name: str, spec_factory: Callable) -> None:
        self._owner = owner
        self.name = name
        self._spec_factory = spec_factory  # base spec or None -> the spec to install
        self.calls = 0
        self.active = False

    def remove(self) -> None:
        """Undo the registration (idempotent): the name answers as before it."""
        self._owner._remove(self)

    def __enter__(self) -> "CustomCommand":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        return f"<kvfake custom command {self.name!r} calls={self.calls} {state}>"


class CustomCommands:
    """The custom commands of one server (``server.custom_commands``), thread-safe.

    ``server.custom_commands.clear()`` removes them all; ``server.faults.clear()``
    does not touch them.
    """

    def __init__(self, dispatcher) -> None:
        self._dispatcher = dispatcher
        self._base: CommandTable = dispatcher.table
        self._entries: list = []
        self._lock = threading.Lock()

    def register(
        self,
        name: "str | bytes",
        handler: Callable,
        *,
        arity: int = -1,
        flags: str = "",
        keys: tuple = (0, 0, 0),
    ) -> CustomCommand:
        """Add command ``name`` (or replace a built-in one entirely) with ``handler(*args)``.

        ``arity`` and ``flags`` follow Redis's conventions (arity counts the name,
        negative means "at least"); the dispatcher checks arity before calling.
        ``"container|sub"`` (or ``"CONTAINER SUB"``) registers a subcommand.
        """
        if not callable(handler):
            raise TypeError("handler must be callable; use override() for a fixed reply")
        if not isinstance(arity, int) or isinstance(arity, bool) or arity == 0:
            raise ValueError("arity is a non-zero int (negative means 'at least')")
        flag_list = tuple(flags.split())
        unknown = set(flag_list) - KNOWN_FLAGS
        if unknown:
            raise ValueError(f"unknown flags {sorted(unknown)}")
        container, sub = _split_name(name)
        fullname = container.decode("latin-1") + ("|" + sub.decode("latin-1") if sub else "")
        entry: "CustomCommand | None" = None

        def make(base: "CommandSpec | None") -> CommandSpec:
            return CommandSpec(
                name=fullname, handler=self._wrap(entry, handler), arity=arity, flags=flag_list,
                first_key=keys[0], last_key=keys[1], step=keys[2], group=CUSTOM_GROUP,
            )

        entry = CustomCommand(self, fullname, make)
        self._add(entry)
        return entry

    def override(self, name: "str | bytes", reply) -> CustomCommand:
        """Answer ``name`` with ``reply``: a fixed value, or a function of the arguments.

        A built-in command keeps its arity, flags and keys (only the handler
        changes); an unknown name is added with arity -1.  A fixed ``reply`` may
        be a ``CommandError`` to answer that error every time.
        """
        if callable(reply):
            fn = reply
        else:
            if isinstance(reply, (str, bool)):
                _check_reply(reply, "override")  # raises the TypeError

            def fn(*args: bytes, _reply=reply):
                return _reply

        container, sub = _split_name(name)
        fullname = container.decode("latin-1") + ("|" + sub.decode("latin-1") if sub else "")
        entry: "CustomCommand | None" = None

        def make(base: "CommandSpec | None") -> CommandSpec:
            handler = self._wrap(entry, fn)
            if base is None:
                return CommandSpec(name=fullname, handler=handler, arity=-1, group=CUSTOM_GROUP)
            return evolve(base, handler=handler, subcommands={})

        entry = CustomCommand(self, fullname, make)
        self._add(entry)
        return entry

    def clear(self) -> None:
        """Remove every custom command: the built-in table answers again."""
        with self._lock:
            for entry in self._entries:
                entry.active = False
            self._entries = []
            self._dispatcher.table = self._base

    def __iter__(self):
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    # -- internals ---------------------------------------------------------------

    @staticmethod
    def _wrap(entry, fn: Callable) -> Callable:
        # the dispatcher passes a subcommand's own name first (kvfake's handler
        # convention); custom handlers get only what follows the full name
        skip = 1 if "|" in entry.name else 0

        def handler(ctx, *args: bytes):
            entry.calls += 1
            return _check_reply(fn(*args[skip:]), f"custom command {entry.name!r}")

        return handler

    def _add(self, entry: CustomCommand) -> None:
        with self._lock:
            if not self._entries:
                self._base = self._dispatcher.table  # whatever the server runs now
            container, _, sub = entry.name.partition("|")
            parent = self._dispatcher.table.specs.get(container.encode("latin-1"))
            if sub and parent is not None and not parent.subcommands:
                raise KvfakeError(f"{container!r} is not a container command: cannot add {entry.name!r}")
            self._entries.append(entry)
            entry.active = True
            self._rebuild()

    def _remove(self, entry: CustomCommand) -> None:
        with self._lock:
            if entry not in self._entries:
                return
            self._entries.remove(entry)
            entry.active = False
            self._rebuild()

    def _rebuild(self) -> None:
        """Lock held: the base table plus every registration, in order, swapped in whole."""
        if not self._entries:
            self._dispatcher.table = self._base
            return
        specs = dict(self._base.specs)
        for entry in self._entries:
            container, _, sub = entry.name.partition("|")
            ckey = container.encode("latin-1")
            if not sub:
                specs[ckey] = entry._spec_factory(specs.get(ckey))
                continue
            parent = specs.get(ckey)
            if parent is None:
                parent = CommandSpec(name=container, handler=None, arity=-2, group=CUSTOM_GROUP)
            subs = dict(parent.subcommands)
            skey = sub.encode("latin-1")
            subs[skey] = entry._spec_factory(subs.get(skey))
            specs[ckey] = evolve(parent, subcommands=subs)
        self._dispatcher.table = CommandTable(specs)
