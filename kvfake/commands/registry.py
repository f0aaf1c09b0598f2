"""The command table: one registration per command drives dispatch, arity and COMMAND.

Each group module creates a :class:`CommandGroup` and registers its handlers
with ``@group.command(name, arity=..., flags=..., keys=(first, last, step))``.
``commands/__init__.py`` builds the one :class:`CommandTable` from an explicit list
of groups: there is no import-time global registry.  Subcommands are
registered as ``"container|sub"`` (``"client|setname"``); the container is
created implicitly when not registered (arity -2, as Redis does).

Imports: kvfake.errors.  Never: socket, selectors, store, protocol.encoder.
"""

from __future__ import annotations

from typing import Callable

from attrs import evolve, field, frozen

from kvfake.errors import CommandError, unknown_command, unknown_subcommand, wrong_arity

KNOWN_FLAGS = frozenset(
    """write readonly denyoom module admin pubsub noscript blocking loading stale
    skip_monitor skip_slowlog asking fast no_auth may_replicate sentinel only_sentinel
    no_mandatory_keys protected no_async_loading no_multi movablekeys allow_busy""".split()
)

# Groups whose commands only read and write data: they never change the client's
# session (db, protocol, MULTI, subscriptions, reply mode), so a connection may run
# them without the dispatcher's per-command checks for those states.
FAST_GROUPS = frozenset({"string", "bitmap", "generic", "hash", "list", "set", "sorted-set", "hyperloglog"})
# ... and these of other groups (PING's subscribed-mode form needs a subscription,
# which a fast-lane client does not have)
FAST_COMMANDS = frozenset({"ping", "echo", "dbsize", "time"})
# never fast, whatever their group: they may block without Redis's "blocking" flag (WAIT: noscript only)
NOT_FAST = frozenset({"wait"})


@frozen
class CommandSpec:
    """One command's registration: COMMAND INFO is a straight dump of these fields."""

    name: str  # Redis fullname, lower case: "get", "client|setname"
    handler: "Callable | None"
    arity: int
    flags: tuple = ()
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    group: str = ""
    subcommands: dict = field(factory=dict)  # b"setname" -> CommandSpec (containers only)
    # may take the connection's fast lane (see kvfake.net.connection): a data
    # command that never changes the client's state nor blocks
    fast: bool = False

    @property
    def is_container(self) -> bool:
        return bool(self.subcommands)

    @property
    def no_auth(self) -> bool:
        return "no_auth" in self.flags

    @property
    def is_write(self) -> bool:
        return "write" in self.flags

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity > 0 else argc >= -arity


class CommandGroup:
    """The commands of one Redis group (``string``, ``generic``, ``connection``...)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.specs: list = []

    def command(self, name: str, *, arity: int, flags: str = "", keys: tuple = (0, 0, 0)):
        flag_list = tuple(flags.split())
        unknown = set(flag_list) - KNOWN_FLAGS
        if unknown:
            raise ValueError(f"{name}: unknown flags {sorted(unknown)}")

        def register(fn: Callable) -> Callable:
            self.specs.append(
                CommandSpec(
                    name=name.lower(),
                    handler=fn,
                    arity=arity,
                    flags=flag_list,
                    first_key=keys[0],
                    last_key=keys[1],
                    step=keys[2],
                    group=self.name,
                )
            )
            return fn

        return register


class CommandTable:
    """Name -> spec lookup, including ``container|sub`` resolution."""

    def __init__(self, specs: dict) -> None:
        self.specs = specs  # b"get" -> CommandSpec (top-level commands only)
        self._cache: dict = {}

    @classmethod
    def from_groups(cls, *groups: CommandGroup) -> "CommandTable":
        top: dict = {}
        subs: list = []
        for group in groups:
            for spec in group.specs:
                if "|" in spec.name:
                    subs.append(spec)
                    continue
                key = spec.name.encode()
                if key in top:
                    raise ValueError(f"command {spec.name!r} registered twice")
                # a copy: subcommands are attached below, per table (groups may build several)
                fast = (
                    (spec.group in FAST_GROUPS or spec.name in FAST_COMMANDS)
                    and "blocking" not in spec.flags
                    and spec.handler is not None
                    and spec.name not in NOT_FAST
                )
                top[key] = evolve(spec, subcommands={}, fast=fast)
        for spec in subs:
            container, _, sub = spec.name.partition("|")
            ckey = container.encode()
            parent = top.get(ckey)
            if parent is None:
                parent = CommandSpec(name=container, handler=None, arity=-2, group=spec.group)
                top[ckey] = parent
            if sub.encode() in parent.subcommands:
                raise ValueError(f"command {spec.name!r} registered twice")
            parent.subcommands[sub.encode()] = spec
        return cls(top)

    def __len__(self) -> int:
        return len(self.specs)

    def all_specs(self):
        """Every spec, containers followed by their subcommands."""
        for spec in self.specs.values():
            yield spec
            yield from spec.subcommands.values()

    def get(self, name: bytes) -> "CommandSpec | None":
        """The top-level spec for a command name, any case."""
        spec = self._cache.get(name)
        if spec is None:
            spec = self.specs.get(name.lower())
            if spec is not None and len(self._cache) < 4096:
                self._cache[name] = spec
        return spec

    def resolve(self, args: list) -> CommandSpec:
        """The spec to run for ``args``; raises the errors Redis's processCommand gives.

        Order (Redis 7.0): unknown command -> unknown subcommand -> arity.
        """
        spec = self.get(args[0])
        if spec is None:
            raise CommandError(unknown_command(args[0], args[1:]))
        if spec.subcommands and len(args) >= 2:
            sub = spec.subcommands.get(args[1].lower())
            if sub is None:
                raise CommandError(unknown_subcommand(args[0].decode("latin-1"), args[1]))
            spec = sub
        if not spec.arity_ok(len(args)):
            raise CommandError(wrong_arity(spec.name))
        return spec
