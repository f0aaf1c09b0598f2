"""Fixtures for the fuzzers: one real redis-server and one kvfake Server for the whole session.

The fuzzers reset the keyspace themselves between examples (RESET + FLUSHALL), so both servers live for
the session; kvfake's ``server.errors`` is checked after every example. ``fuzz_settings()`` gives the
hypothesis settings of the loaded profile, with ``KVFAKE_FUZZ_EXAMPLES=N`` overriding max_examples for a run
by hand.

Imports: pytest, hypothesis, tests.support.*, tests.differential.conftest (Pair), kvfake's public API.
Never: kvfake internals.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from kvfake import Server
from tests.differential.conftest import Pair
from tests.support.redis_server import start_redis

EXAMPLES_ENV = "KVFAKE_FUZZ_EXAMPLES"


def fuzz_settings(scale: float = 1.0) -> settings:
    """The loaded profile's settings; max_examples scaled by ``scale`` (or ``$KVFAKE_FUZZ_EXAMPLES``)."""
    override = os.environ.get(EXAMPLES_ENV)
    base = settings.default
    n = int(override) if override else max(1, int(base.max_examples * scale))
    # the fuzzers reset their fixtures' state themselves between examples (and the long-lived witness
    # connection is the point of the parser fuzz), so function-scoped fixtures are fine
    suppress = [*base.suppress_health_check, HealthCheck.function_scoped_fixture]
    return settings(base, max_examples=n, suppress_health_check=suppress)


def step_budget() -> int:
    """Commands per generated sequence: the profile's stateful_step_count (30 default, 100 long)."""
    return settings.default.stateful_step_count


@pytest.fixture(scope="session")
def fuzz_redis():
    """The real redis-server (skips without the binary unless KVFAKE_REQUIRE_REDIS=1)."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fuzz_kvfake():
    """kvfake on 127.0.0.1:0, in-process; must record no internal error all session."""
    server = Server()
    server.start()
    yield server
    server.stop()
    assert not server.errors, server.errors


@pytest.fixture
def fuzz_pair(fuzz_redis, fuzz_kvfake):
    """redis-server vs kvfake, as tests/differential's ``pair`` (for ``check_raw``)."""
    p = Pair(fuzz_redis, fuzz_kvfake)
    yield p
    p.close()
