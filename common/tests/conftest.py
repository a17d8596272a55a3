import pytest

from common import drawn


@pytest.fixture
def nothing_drawn():
    """No drawing kept from another test (common.drawn keeps them per process)."""
    drawn.cache_clear()
    yield
    drawn.cache_clear()
