"""Test powers of a Server that need more than the store: reset between tests, seeding from commands or files.

``reset(server)`` is what the pytest plugin runs before every test: every
database flushed, the clock back to how it was made, the journal emptied, fault
rules and custom commands removed, CONFIG SET changes undone (back to the configuration the server
started with), the random generator re-seeded when the server has a seed,
active expiry switched back on, a CLIENT PAUSE ended, and the recorded internal errors forgotten.
Connections stay open (a client pool kept by the code under test keeps working);
their per-connection state (SELECT, CLIENT SETNAME, MULTI...) is theirs.

``seed_commands`` runs Redis commands, one per line in redis-cli syntax
(``SET "a key" value``; blank lines and lines starting with ``#`` skipped),
through a dispatcher of its own: they change the data like any client would,
but do not appear in the journal, the command statistics or the fault rules.

Imports: kvfake.dispatch, kvfake.errors, kvfake.protocol.inline,
kvfake.protocol.replies, kvfake.session, kvfake.store.snapshot.
Never: socket, selectors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping

from kvfake.dispatch import Dispatcher
from kvfake.errors import KvfakeError, ProtocolError
from kvfake.protocol.inline import split_inline
from kvfake.protocol.replies import ErrorReply
from kvfake.session import ClientSession
from kvfake.store import snapshot

SEED_CLIENT_NAME = b"kvfake-seed"


def reset(server) -> None:
    """Put ``server`` back to a clean state (see the module docstring)."""
    store = server.store
    with store.lock:
        store.flushall()
        store.active_expire_enabled = True
        seed = getattr(server, "random_seed", None)
        if seed is not None:
            store.rng.seed(seed)
    clock_reset = getattr(store.clock, "reset", None)
    if clock_reset is not None:
        clock_reset()
    for power in ("faults", "custom_commands"):
        rules = getattr(server, power, None)
        if rules is not None:
            rules.clear()
    baseline = getattr(server, "config_baseline", None)
    if baseline is not None:
        server.config.values = dict(baseline)
    server.journal.clear()
    clear_errors(server)
    loop = getattr(server, "_loop", None)
    if loop is not None and server.dispatcher.pause_type:
        loop.call_soon_threadsafe(server.dispatcher.unpause)  # a test's CLIENT PAUSE ends too


def clear_errors(server) -> None:
    """Forget the internal errors recorded so far (``server.errors`` becomes empty)."""
    server.dispatcher.internal_errors.clear()
    loop = getattr(server, "_loop", None)
    if loop is not None:
        loop.errors.clear()


def command_lines(source) -> list:
    """``[(line number, argv)]`` from command text, an iterable of lines, or an iterable of argv sequences."""
    if isinstance(source, (str, bytes)):
        text = source.encode("utf-8") if isinstance(source, str) else source
        items: Iterable = text.splitlines()
    else:
        items = source
    out = []
    for number, item in enumerate(items, 1):
        if isinstance(item, (str, bytes)):
            line = (item.encode("utf-8") if isinstance(item, str) else item).strip()
            if not line or line.startswith(b"#"):
                continue
            try:
                argv = split_inline(line)
            except ProtocolError as exc:
                raise KvfakeError(f"line {number}: {exc.text}: {line!r}") from None
        else:
            argv = [snapshot.to_bytes(a) for a in item]
        if argv:
            out.append((number, argv))
    return out


def seed_commands(server, source, *, db: int = 0) -> int:
    """Run commands against ``server`` (database ``db`` first); return how many ran.

    Stops at the first error reply, raising :class:`KvfakeError` with its line.
    """
    dispatcher = Dispatcher(server.store, table=server.dispatcher.table, server=server, config=server.config)
    session = ClientSession(id=0, name=SEED_CLIENT_NAME, db=db, authenticated=True)
    server.store._db(db)
    ctx = dispatcher.new_context(session)
    count = 0
    for number, argv in command_lines(source):
        reply = dispatcher.execute(ctx, argv)
        if isinstance(reply, ErrorReply):
            shown = " ".join(a.decode("utf-8", "replace") for a in argv)
            raise KvfakeError(f"seeding command on line {number} failed: {shown!r}: {reply.text}")
        count += 1
    return count


def seed_file(server, path, *, db: "int | None" = None) -> int:
    """Seed from a file: ``*.json`` holds data (either form of :mod:`kvfake.store.snapshot`), anything else commands."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        content = f.read()
    if path.lower().endswith(".json"):
        return seed_json(server, content, db=db)
    return seed_commands(server, content, db=db or 0)


def seed_json(server, text, *, db: "int | None" = None) -> int:
    data = json.loads(text)
    return seed_data(server, snapshot.from_json_form(data, db))


def seed_data(server, data: Mapping, *, db: "int | None" = None) -> int:
    return snapshot.seed(server.store, data, db=db, limits=server.config.values)
