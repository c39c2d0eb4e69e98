"""Open311 tests: a routed world, an integrator's key, and the portal served live (the
`georeport` client speaks HTTP through `requests`)."""

import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from portal.core.clock import utcnow
from portal.extensions import db
from portal.queue.models import RoutingRule
from tests import factories as f


@dataclass
class World:
    industry: int
    eco: int
    outfall_code: str


@pytest.fixture
def world(seed):
    """Two departments, an outfall the industry bureau supervises, the rule routing it."""

    def make():
        eco = f.department(slug="eco-env", name="市生态环境局", is_coordinator=True)
        industry = f.department(
            slug="industry", name="市工业和信息化局", email="industry@qinzhou.example.com"
        )
        city = f.region(code="450700", name="钦州市")
        county = f.region(code="450702", name="钦南区", parent_id=city.id)
        outfall = f.outfall(region=county, lat=21.95, lon=108.62, department=industry)
        db.session.add(
            RoutingRule(outfall_type="GY", lead_department_id=industry.id, assisting=[eco])
        )
        db.session.flush()
        return World(industry.id, eco.id, outfall.code)

    return seed(make)


@pytest.fixture
def api_key(seed):
    """A live key issued to an integrator (the key itself, as they would hold it)."""
    from portal.open311 import keys

    return seed(lambda: keys.create_key("钦州12345热线平台", utcnow())[1])


@pytest.fixture
def live(app):
    """The app on an ephemeral loopback port; yields its Open311 base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/open311"
    server.shutdown()
    server.server_close()
    thread.join(5)
