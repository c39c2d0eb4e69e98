"""A small world for the queue: departments, rules, an outfall, staff of each role."""

from dataclasses import dataclass

import pytest

from portal.agencies.models import Role
from portal.agencies.services import create_staff
from portal.extensions import db
from portal.outfalls.models import CategoryL1
from portal.queue.models import RoutingRule
from tests import factories as f
from tests.staff import PASSWORD, TOTP_SECRET, login, totp_code


@dataclass
class World:
    industry: int
    housing: int
    eco: int
    outfall_code: str
    orphan_outfall_code: str


@pytest.fixture
def world(seed):
    def make():
        eco = f.department(
            slug="eco-env",
            name="市生态环境局",
            is_coordinator=True,
            email="eco@qinzhou.example.com",
        )
        industry = f.department(
            slug="industry", name="市工业和信息化局", email="industry@qinzhou.example.com"
        )
        housing = f.department(
            slug="housing", name="市住房城乡建设局", email="housing@qinzhou.example.com"
        )
        city = f.region(code="450700", name="钦州市")
        county = f.region(code="450702", name="钦南区", parent_id=city.id)
        # Supervised by the department its type rule names; the orphan names none.
        outfall = f.outfall(region=county, lat=21.95, lon=108.62, department=industry)
        orphan = f.outfall(
            region=county,
            category_l1=CategoryL1.NY,
            category_l2=None,
            lat=21.96,
            lon=108.63,
            supervising_department=None,
        )
        rule = RoutingRule(outfall_type="GY", lead_department_id=industry.id, assisting=[eco])
        db.session.add(rule)
        for username, role, dept, email in (
            ("ind-staff", Role.staff, industry, "ind-staff@qinzhou.example.com"),
            ("ind-head", Role.head, industry, "ind-head@qinzhou.example.com"),
            ("hou-staff", Role.staff, housing, ""),
            ("eco-staff", Role.staff, eco, ""),
            ("coord", Role.coordinator, eco, "coord@qinzhou.example.com"),
        ):
            user = create_staff(db.session, username, PASSWORD, role, dept.id, email=email)
            if role is Role.coordinator:
                user.totp_secret, user.totp_confirmed = TOTP_SECRET, True
        db.session.flush()
        return World(industry.id, housing.id, eco.id, outfall.code, orphan.code)

    return seed(make)


@pytest.fixture
def sign_in(app):
    """A signed-in test client for a username (TOTP answered for the coordinator)."""

    def _sign_in(username: str):
        client = app.test_client()
        code = totp_code() if username == "coord" else None
        response = login(client, username, PASSWORD, code=code)
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
        return client

    return _sign_in


@pytest.fixture
def report(seed):
    """File a report through the intake service, as the web form would; returns
    (case id, tracking number, private token)."""

    def _report(**overrides):
        def make():
            receipt = f.complaint(**overrides)
            return receipt.complaint.id, receipt.complaint.tracking_no, receipt.token

        return seed(make)

    return _report
