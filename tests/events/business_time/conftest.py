"""Business-time tests touch neither the database nor the cache."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Shadow the suite-wide cache reset: these tests touch neither the cache nor Redis."""
