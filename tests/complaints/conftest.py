import pytest

from tests import factories as f


@pytest.fixture
def outfall_code(seed):
    return seed(lambda: f.outfall(lat=21.95, lon=108.62).code)
