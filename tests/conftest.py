"""Shared fixtures and hypothesis profiles for the kvfake suite.

Profiles: ``default`` (quick, used in CI) and ``thorough`` (run by hand:
``pytest --hypothesis-profile=thorough``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.support.harness import Harness

pytest_plugins = ["pytester"]

settings.register_profile(
    "default",
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("long", parent=settings.get_profile("thorough"))
settings.load_profile("default")


def pytest_report_header(config):
    import os

    from tests.support.redis_server import binary_version

    version = binary_version() or "not found (differential tests skip)"
    required = " (required: KVFAKE_REQUIRE_REDIS=1)" if os.environ.get("KVFAKE_REQUIRE_REDIS") == "1" else ""
    return f"redis-server: {version}{required}"


@pytest.fixture
def h():
    """A fresh in-process harness (see tests/support/harness.py); fails on internal errors."""
    harness = Harness()
    yield harness
    assert not harness.internal_errors, harness.internal_errors


@pytest.fixture
def harness_factory():
    made = []

    def make(**kwargs):
        harness = Harness(**kwargs)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        assert not harness.internal_errors, harness.internal_errors
