"""pytest fixtures for kvfake, registered through the ``pytest11`` entry point (installing kvfake is enough).

Fixtures:

- ``kvfake_server``: a running :class:`kvfake.Server`, started once per session
  (so once per pytest-xdist worker, each on its own free port) and reset before
  every test (``server.reset()``: databases flushed, clock reset, journal
  cleared, fault rules removed, CONFIG SET changes undone), then seeded with the
  configured data and the test's ``kvfake_data`` markers.  An internal error
  raised inside the server while the test ran fails the test with its traceback.
  A server an earlier test stopped (a client's SHUTDOWN) is started again on its port.
- ``kvfake_url``: ``redis://...`` for it (with the password when one is set).
- ``kvfake_redis`` / ``kvfake_redis_async``: a redis-py client (``redis.Redis``
  / ``redis.asyncio.Redis``) named ``kvfake_redis`` / ``kvfake_redis_async``,
  closed after the test.  Both need redis-py; the async one needs no asyncio
  plugin (drive it with ``asyncio.run`` inside a plain test, or use it from an
  async test under pytest-asyncio or anyio).
- ``kvfake_server_factory``: ``kvfake_server_factory(**settings)`` starts another
  server for this test (stopped after it); :func:`make_kvfake_server` makes a
  fixture of any scope.

Settings (factory keyword > command line > ini file > default): ``port``,
``requirepass``, ``databases``, ``seed`` (repeatable SPOP/SRANDMEMBER/RANDOMKEY...),
``frozen`` and ``start_time`` (the clock), ``data`` (a mapping, or a .json /
commands file seeded before each test), ``journal_size``.  Command line:
``--kvfake-<name>``; ini: ``kvfake_<name>``.

Real server: ``--kvfake-real-url=redis://...`` (or ``KVFAKE_REAL_URL``, or ini
``kvfake_real_url``; command line > environment > ini) hands the fixtures a
:class:`kvfake.RealServer` for that URL instead.  It is flushed before each test
only when the host is loopback or ``--kvfake-real-flush`` (ini
``kvfake_real_flush``) says so; kvfake-only powers (clock, journal, faults,
store...) skip the test that uses them, and kvfake-only settings are ignored
(``kvfake_server_factory`` skips a test that asks it for them or for a second server).

Imports: kvfake's public API only, and lazily (pytest imports this module at
startup in every project where kvfake is installed).
"""

from __future__ import annotations

import datetime as _dt
import os
import traceback
from pathlib import Path

import pytest

REAL_URL_ENV = "KVFAKE_REAL_URL"
SYNC_CLIENT_NAME = "kvfake_redis"
ASYNC_CLIENT_NAME = "kvfake_redis_async"

#: name -> (kind, help); kind is int / str / bool / "time" / "path"
SETTINGS = {
    "port": ("int", "port of the session server (default 0: a free port)"),
    "requirepass": ("str", "password the server requires (AUTH)"),
    "databases": ("int", "number of databases (default 16)"),
    "seed": ("int", "random seed: SPOP, SRANDMEMBER, RANDOMKEY... repeat from test to test"),
    "frozen": ("bool", "start each test with the server clock frozen"),
    "start_time": ("time", "the server clock at the start of each test: epoch seconds or ISO 8601"),
    "data": ("path", "a .json data file or a file of Redis commands, seeded before each test"),
    "journal_size": ("int", "how many commands the journal keeps (default 100000)"),
}
DEFAULTS = {
    "port": 0,
    "requirepass": None,
    "databases": 16,
    "seed": None,
    "frozen": False,
    "start_time": None,
    "data": None,
    "journal_size": 100_000,
}

_SERVERS = pytest.StashKey()  # list of live plugin-made servers, on config.stash


# -- options -------------------------------------------------------------------------


def pytest_addoption(parser) -> None:
    group = parser.getgroup("kvfake", "kvfake (a Redis-compatible server for tests)")
    for name, (kind, help_text) in SETTINGS.items():
        flag = "--kvfake-" + name.replace("_", "-")
        if kind == "bool":
            group.addoption(flag, dest="kvfake_" + name, action="store_const", const=True, default=None, help=help_text)
            group.addoption(
                "--kvfake-no-" + name.replace("_", "-"), dest="kvfake_" + name, action="store_const",
                const=False, help=f"the opposite of {flag}",
            )
        else:
            group.addoption(flag, dest="kvfake_" + name, default=None, help=help_text)
        parser.addini("kvfake_" + name, help_text, type="bool" if kind == "bool" else "string", default=None)
    group.addoption(
        "--kvfake-real-url", dest="kvfake_real_url", default=None,
        help=f"run the kvfake fixtures against this real Redis server instead (also ${REAL_URL_ENV})",
    )
    group.addoption(
        "--kvfake-real-flush", dest="kvfake_real_flush", action="store_const", const=True, default=None,
        help="FLUSHALL the real server before each test even when it is not on loopback",
    )
    parser.addini("kvfake_real_url", "URL of a real Redis server for the kvfake fixtures", default=None)
    parser.addini("kvfake_real_flush", "FLUSHALL a non-loopback real server before each test", type="bool", default=None)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "kvfake_data(data=None, *, db=None, commands=None): seed kvfake_server before the test "
        "(a mapping, or the path of a .json or commands file relative to the test file)",
    )
    config.stash[_SERVERS] = []
    resolve_settings(config)  # a bad --kvfake-*/ini value is a usage error now, not in some test


def _convert(name: str, kind: str, value, base: Path):
    if value is None or value == "":
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            return str(value).strip().lower() in ("1", "true", "yes", "on")
        if kind == "time":
            return parse_time(value)
        if kind == "path":
            return base / Path(value) if not Path(value).is_absolute() else Path(value)
    except ValueError as exc:
        raise pytest.UsageError(f"kvfake: bad value for {name}: {value!r} ({exc})") from None
    return value


def parse_time(value):
    """Epoch seconds (number or numeric string) or an ISO 8601 datetime (naive = UTC)."""
    if isinstance(value, (int, float, _dt.datetime)):
        return value
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


def resolve_settings(config, overrides: "dict | None" = None) -> dict:
    """The settings for a server: ``overrides`` (factory) > command line > ini > defaults."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(SETTINGS)
    if unknown:
        raise TypeError(f"unknown kvfake setting(s) {sorted(unknown)}; known: {sorted(SETTINGS)}")
    settings = dict(DEFAULTS)
    ini_base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
    cli_base = Path(config.invocation_params.dir)
    for name, (kind, _) in SETTINGS.items():
        ini = _convert(name, kind, config.getini("kvfake_" + name), ini_base)
        if ini is not None:
            settings[name] = ini
        cli = _convert(name, kind, config.getoption("kvfake_" + name), cli_base)
        if cli is not None:
            settings[name] = cli
    for name, value in overrides.items():
        kind = SETTINGS[name][0]
        settings[name] = parse_time(value) if kind == "time" and value is not None else value
    return settings


def real_url(config) -> "str | None":
    """The real server's URL: command line > $KVFAKE_REAL_URL > ini; None to use kvfake."""
    return config.getoption("kvfake_real_url") or os.environ.get(REAL_URL_ENV) or config.getini("kvfake_real_url") or None


def _real_flush(config) -> "bool | None":
    if config.getoption("kvfake_real_flush"):
        return True
    ini = config.getini("kvfake_real_flush")
    return True if ini else None


# -- making servers --------------------------------------------------------------------------


def _make_real_server_class():
    from kvfake import KvfakeError, RealServer

    class PluginRealServer(RealServer):
        """A RealServer whose kvfake-only powers skip the test instead of raising."""

        def _unsupported(self, name: str):
            pytest.skip(f"kvfake_server.{name} needs kvfake; not available against a real server (--kvfake-real-url)")

    return PluginRealServer, KvfakeError


def start_server(config, settings: dict):
    """A started server for ``settings``: a kvfake Server, or a real one in real-url mode."""
    url = real_url(config)
    if url:
        cls, _ = _make_real_server_class()
        server = cls(url, flush=_real_flush(config))
    else:
        from kvfake import Server

        server = Server(
            port=settings["port"],
            requirepass=settings["requirepass"],
            databases=settings["databases"],
            seed=settings["seed"],
            frozen=settings["frozen"],
            start_time=settings["start_time"],
            journal_size=settings["journal_size"],
        )
    server.start()
    server.kvfake_settings = settings
    config.stash[_SERVERS].append(server)
    return server


def stop_server(config, server) -> None:
    try:
        config.stash[_SERVERS].remove(server)
    except ValueError:
        pass
    server.stop()


def prepare(server, request=None) -> None:
    """Reset ``server`` and seed it: the configured data, then the test's ``kvfake_data`` markers."""
    server.reset()
    data = server.kvfake_settings.get("data")
    if data is not None:
        server.seed(data)
    if request is not None:
        markers = list(request.node.iter_markers("kvfake_data"))
        for marker in reversed(markers):  # farthest (module, class) first, the test's own last
            _apply_marker(server, marker, request)


def _apply_marker(server, marker, request) -> None:
    args, kwargs = marker.args, dict(marker.kwargs)
    db = kwargs.pop("db", None)
    commands = kwargs.pop("commands", None)
    data = kwargs.pop("data", args[0] if args else None)
    if kwargs or len(args) > 1:
        raise pytest.UsageError(f"kvfake_data takes one data argument, db= and commands=; got {marker}")
    if data is not None:
        if isinstance(data, (str, os.PathLike)) and not Path(data).is_absolute():
            data = Path(request.node.path).parent / data
        server.seed(data, db=db)
    if commands is not None:
        server.seed_commands(commands, db=db or 0)


def client_url(server) -> str:
    """The server's URL, with its password when it requires one."""
    if getattr(server, "is_real", False):
        return server.url
    password = server.kvfake_settings.get("requirepass") if hasattr(server, "kvfake_settings") else None
    if not password:
        return server.url
    from urllib.parse import quote

    return server.url.replace("redis://", f"redis://:{quote(str(password), safe='')}@", 1)


# -- failing a test when the server raised ---------------------------------------------------------


def _server_errors(config) -> list:
    found = []
    for server in list(config.stash.get(_SERVERS, [])):
        errors = server.errors
        if errors:
            found.append((server, list(errors)))
            server.clear_errors()
    return found


def _format_errors(found: list) -> str:
    lines = ["kvfake server raised an internal error while serving this test:"]
    for server, errors in found:
        for tb in errors:
            lines.append(f"--- {server!r} ---")
            lines.append(tb.rstrip())
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    outcome = yield
    found = _server_errors(item.config)
    if not found:
        return
    text = _format_errors(found)
    if outcome.excinfo is None:
        failure = pytest.fail.Exception(text, pytrace=False)
        force = getattr(outcome, "force_exception", None)
        if force is None:  # pluggy < 1.1
            raise failure
        force(failure)
    else:
        item.add_report_section("call", "kvfake server errors", text)


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kvfake_session_server(pytestconfig):
    """The session's server behind ``kvfake_server`` (not reset: use ``kvfake_server`` in tests)."""
    server = start_server(pytestconfig, resolve_settings(pytestconfig))
    try:
        yield server
    finally:
        stop_server(pytestconfig, server)


@pytest.fixture
def kvfake_server(kvfake_session_server, request):
    """A running kvfake Server on 127.0.0.1, reset and seeded before each test.

    >>> def test_expiry(kvfake_server, kvfake_redis):             # doctest: +SKIP
    ...     kvfake_redis.set("k", "v", ex=10)
    ...     kvfake_server.clock.advance(11)
    ...     assert kvfake_redis.get("k") is None
    """
    if not getattr(kvfake_session_server, "is_real", False) and not kvfake_session_server.running:
        # an earlier test stopped it (a client's SHUTDOWN, server.stop()): back on the same port
        kvfake_session_server.start()
    prepare(kvfake_session_server, request)
    yield kvfake_session_server


@pytest.fixture
def kvfake_url(kvfake_server) -> str:
    """``redis://127.0.0.1:<port>/0`` of ``kvfake_server`` (with ``:password@`` when one is set)."""
    return client_url(kvfake_server)


def _import_redis(fixture: str):
    try:
        import redis
    except ImportError:
        pytest.fail(f"the {fixture} fixture needs redis-py: pip install redis (or kvfake[test])", pytrace=False)
    return redis


@pytest.fixture
def kvfake_redis(kvfake_url):
    """A ``redis.Redis`` client for ``kvfake_server`` (client name ``kvfake_redis``), closed after the test."""
    redis = _import_redis("kvfake_redis")
    client = redis.Redis.from_url(kvfake_url, client_name=SYNC_CLIENT_NAME)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def kvfake_redis_async(kvfake_url, kvfake_server):
    """A ``redis.asyncio.Redis`` client for ``kvfake_server`` (client name ``kvfake_redis_async``).

    Needs no asyncio plugin: a plain test can run ``asyncio.run(main(client))``;
    ``async with kvfake_redis_async as r:`` inside the coroutine closes it in its
    own event loop.  After the test the fixture closes whatever is left: in the
    client's loop when that loop is still open, otherwise by dropping the
    connections (and, on kvfake, closing them on the server side).
    """
    _import_redis("kvfake_redis_async")
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(kvfake_url, client_name=ASYNC_CLIENT_NAME)
    try:
        yield client
    finally:
        _close_async_client(client, kvfake_server)


def _close_async_client(client, server) -> None:
    import warnings

    pool = client.connection_pool
    connections = list(getattr(pool, "_available_connections", [])) + list(getattr(pool, "_in_use_connections", []))
    loops = {getattr(getattr(c, "_writer", None), "_loop", None) for c in connections} - {None}
    loop = loops.pop() if len(loops) == 1 else None
    try:
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(client.aclose())
            return
        if not loops and loop is None and not any(getattr(c, "_writer", None) for c in connections):
            return  # never connected, or already closed by the test
    except Exception:
        pass
    # The loop that owned the connections is gone (asyncio.run closed it): forget them
    # without touching that loop, and let the server drop its side.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for conn in connections:
            writer = getattr(conn, "_writer", None)
            transport = getattr(writer, "transport", None)
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is not None:
                try:
                    sock.shutdown(2)
                    getattr(sock, "_sock", sock).close()  # the loop that would close it is gone
                    transport._sock = None  # closed above: no "unclosed transport" warning at GC
                    transport._closing = True  # nor StreamWriter's "loop is closed"
                except (OSError, AttributeError):
                    pass
            for attr in ("_writer", "_reader"):
                if hasattr(conn, attr):
                    setattr(conn, attr, None)
    if not getattr(server, "is_real", False):
        try:
            server.kill_clients(lambda s: s.name == ASYNC_CLIENT_NAME.encode())
        except Exception:
            traceback.print_exc()


#: factory settings a real server (--kvfake-real-url) honours: seeding goes through commands
REAL_FACTORY_SETTINGS = frozenset({"data"})


def _check_real_factory(overrides: dict, made: list, request) -> None:
    """In real-url mode the factory can only hand back the one real server: skip the test that
    asks it for kvfake-only settings or for a second server, saying why."""
    unsupported = sorted(set(overrides) - REAL_FACTORY_SETTINGS)
    if unsupported:
        pytest.skip(f"kvfake_server_factory({', '.join(unsupported)}=...) needs kvfake: a real server "
                    f"(--kvfake-real-url) cannot honour {', '.join(unsupported)}")
    if made or "kvfake_session_server" in request.fixturenames:
        pytest.skip("kvfake_server_factory: a second server needs kvfake; --kvfake-real-url gives a test "
                    "only the one real server")


@pytest.fixture
def kvfake_server_factory(pytestconfig, request):
    """``kvfake_server_factory(**settings)``: another running server for this test, stopped after it.

    Settings are those of :data:`SETTINGS` (factory > command line > ini), e.g.
    ``kvfake_server_factory(requirepass="s3cret", databases=4, frozen=True)``.  With
    ``--kvfake-real-url`` it gives the real server once per test (``data`` is honoured) and skips
    the test that asks for other settings or for a second server.
    """
    made = []

    def make(**overrides):
        if real_url(pytestconfig):
            _check_real_factory(overrides, made, request)
        server = start_server(pytestconfig, resolve_settings(pytestconfig, overrides))
        made.append(server)
        prepare(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            stop_server(pytestconfig, server)


def make_kvfake_server(*, scope: str = "session", name: "str | None" = None, **settings):
    """A fixture giving a server of its own, with ``scope`` and ``settings`` (factory > CLI > ini).

    In a conftest.py::

        from kvfake.pytest_plugin import make_kvfake_server
        secured_server = make_kvfake_server(scope="module", requirepass="s3cret", seed=1)

    The server is reset and seeded with ``data`` when the fixture is set up (once
    per ``scope``): tests sharing it share its data.  Use ``kvfake_server`` for a
    server reset before every test.
    """
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise TypeError(f"unknown kvfake setting(s) {sorted(unknown)}; known: {sorted(SETTINGS)}")

    def fixture(pytestconfig):
        server = start_server(pytestconfig, resolve_settings(pytestconfig, settings))
        try:
            prepare(server)
            yield server
        finally:
            stop_server(pytestconfig, server)

    fixture.__doc__ = f"A kvfake server ({scope} scope) with {settings or 'the default settings'}."
    return pytest.fixture(scope=scope, name=name)(fixture)
