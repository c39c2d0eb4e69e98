import pytest

from portal.extensions import db
from tests import factories as f


@pytest.fixture
def place(app_ctx):
    """A county, its river and one outfall on it: where the test sheets' rows go."""
    region = f.region(code="450702", name="钦南区")
    water = f.water_body(name="钦江", code="QJ01")
    f.outfall(region=region, water_body=water, code="QJ01450702GY9999", lat=21.95, lon=108.62)
    db.session.commit()
    return region, water
