"""Fixtures of the registry tests: a real ``docker-registry`` process trusting this test's API
(the settings, with a registry port of their own: tests/conftest.py).

The registry runs on a free loopback port with its data, keys and configuration under the
test's platform home; tokens come from the API through its real token endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from podium.settings import Settings
from tests.registry.live import registry_process


@pytest.fixture
def registry(settings: Settings) -> Iterator[str]:
    """A running registry; yields its URL. A missing binary is a failure, never a skip."""
    # the tests ask the API for tokens themselves: the realm is never called
    with registry_process(settings, "http://127.0.0.1:1/api/v1/registry/token") as url:
        yield url
