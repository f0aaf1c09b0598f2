"""Fixtures for network tests: a fresh kvfake Server per test, stopped by the test."""

from __future__ import annotations

import pytest

from kvfake import Server


@pytest.fixture
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()
    assert not srv.errors, srv.errors
