"""A complaint about an outfall goes to the department its page names as supervising it.

The two cases a reviewer observed with the demo rules: an outfall supervised by 市海洋局
went to 农业农村局 and one supervised by 交通运输局 went to 生态环境局, because the
type-only rules (NY → agriculture, QT → eco-env) won.
"""

import pytest

from portal.demo.rules import load_demo_rules
from portal.extensions import db
from portal.outfalls.models import CategoryL1, CategoryL2, WaterKind
from portal.queue.placement import assisting_ids
from tests import factories as f

SLUGS = (
    "eco-env",
    "housing",
    "water",
    "agriculture",
    "industry",
    "transport",
    "urban-mgmt",
    "ocean",
)


@pytest.fixture
def demo_world(seed):
    def make():
        depts = {s: f.department(slug=s, name=s, is_coordinator=s == "eco-env") for s in SLUGS}
        load_demo_rules(db.session)
        sea = f.water_body(kind="sea", code="HY45070001", name="茅尾海")
        aquaculture = f.outfall(
            category_l1=CategoryL1.NY,
            category_l2=CategoryL2.ny_aquaculture,
            water_kind=WaterKind.sea,
            water_body=sea,
            department=depts["ocean"],
        )
        port = f.outfall(
            category_l1=CategoryL1.QT,
            category_l2=CategoryL2.qt_port,
            department=depts["transport"],
        )
        return {s: d.id for s, d in depts.items()}, aquaculture.code, port.code

    return seed(make)


def _case(app, seed, **kw):
    def make():
        complaint = f.complaint(**kw).complaint
        return complaint.department_id, assisting_ids(complaint.id)

    return seed(make)


@pytest.mark.parametrize(
    ("which", "supervisor"), [(1, "ocean"), (2, "transport")], ids=["ocean", "transport"]
)
def test_type_rules_no_longer_beat_the_supervising_department(
    app, seed, demo_world, which, supervisor
):
    depts, *codes = demo_world
    lead, assisting = _case(app, seed, outfall=codes[which - 1], category="abnormal_water")
    assert lead == depts[supervisor]
    assert assisting == set()


def test_a_category_rule_sends_it_elsewhere_and_the_supervisor_assists(app, seed, demo_world):
    depts, aquaculture, _port = demo_world
    lead, assisting = _case(app, seed, outfall=aquaculture, category="fish_kill")
    assert lead == depts["eco-env"]
    assert assisting == {depts["ocean"], depts["water"], depts["agriculture"]}


def test_a_complaint_about_no_outfall_follows_the_rules(app, seed, demo_world):
    depts, *_ = demo_world
    lead, _assisting = _case(
        app, seed, outfall=None, category="unregistered", lat=21.95, lon=108.62
    )
    assert lead == depts["eco-env"]


def test_rules_may_name_the_level_two_type(app, seed, demo_world):
    from portal.core.errors import UserError
    from portal.queue.models import RoutingRule
    from portal.queue.placement import RuleInput, save_rule

    depts, aquaculture, port = demo_world

    def make():
        rule = save_rule(
            None,
            RuleInput(
                category="abnormal_water",
                outfall_type=None,
                outfall_subtype="ny_aquaculture",
                region_code=None,
                lead_department_id=depts["agriculture"],
            ),
        )
        assert (rule.outfall_type, rule.outfall_subtype) == ("NY", "ny_aquaculture")
        with pytest.raises(UserError) as refused:
            save_rule(
                None,
                RuleInput(
                    category=None,
                    outfall_type="GY",
                    outfall_subtype="qt_port",
                    region_code=None,
                    lead_department_id=depts["eco-env"],
                ),
            )
        assert refused.value.field == "outfall_subtype"
        return db.session.query(RoutingRule).count()

    seed(make)
    lead, assisting = _case(app, seed, outfall=aquaculture, category="abnormal_water")
    assert lead == depts["agriculture"] and assisting == {depts["ocean"]}
    lead, _ = _case(app, seed, outfall=port, category="abnormal_water")
    assert lead == depts["transport"]
