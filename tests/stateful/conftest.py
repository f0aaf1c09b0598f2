"""Fixtures shared by the model-based machines: one real redis-server for the whole directory.

Imports: pytest, tests.support.redis_server.  Never: kvfake internals.
"""

from __future__ import annotations

import pytest

from tests.support.redis_server import start_redis


@pytest.fixture(scope="session")
def real_redis():
    """A real redis-server (each machine run starts with FLUSHALL); skips without the binary, fails
    instead with KVFAKE_REQUIRE_REDIS=1."""
    server = start_redis()
    yield server
    server.stop()
