"""pytest fixtures for kvfake (registered through the ``pytest11`` entry point).

Fixtures: ``kvfake_server`` (a running Server, one per session, reset before each
test), ``kvfake_url``.  Imports from kvfake only its public API.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _kvfake_session_server():
    from kvfake import Server

    server = Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kvfake_server(_kvfake_session_server):
    """A running kvfake Server on 127.0.0.1, empty at the start of each test."""
    server = _kvfake_session_server
    server.store.flushall()
    yield server
    errors = server.errors
    if errors:
        pytest.fail("kvfake server raised:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def kvfake_url(kvfake_server) -> str:
    """``redis://127.0.0.1:<port>/0`` of the running ``kvfake_server``."""
    return kvfake_server.url
