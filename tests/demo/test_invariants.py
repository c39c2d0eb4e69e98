"""What the plans require, asserted over the whole loaded demo so that it stays true."""

import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.agencies.models import Department
from portal.extensions import db
from portal.geo.models import WaterBody, WaterBodyKind
from portal.outfalls.models import (
    ApprovalKind,
    CategoryL1,
    CategoryL2,
    Entity,
    Outfall,
    OutfallStatus,
    RemediationPlan,
    RemediationStatus,
)
from tests.demo.test_demo import TODAY, _load
from tests.support import make_config, prepare_database, release_database

PHONE = re.compile(r"^0\d{2,3}-[1-9]\d{6,7}$")
RIVER_CLASSES = {"Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类"}  # GB 3838
SEA_CLASSES = {"第一类", "第二类", "第三类", "第四类"}  # GB 3097
SIGNED_OFF = (RemediationStatus.closed, RemediationStatus.retained)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory, _postgres_schema):
    """One demo load for the whole module: every test here only reads it."""
    app = create_app(make_config(tmp_path_factory.mktemp("demo")))
    prepare_database(app)
    with app.app_context():
        _load()
    yield app
    release_database(app)


@pytest.fixture
def demo(demo_app):
    with demo_app.app_context():
        yield db.session.scalars(select(Outfall)).all()


def _reached(plan: RemediationPlan) -> dict:
    return {e.status: e.occurred_on for e in plan.events}


def test_milestones_are_done_before_the_sign_off_proof(demo):
    checked = 0
    for o in demo:
        plan = o.remediation_plan
        proof = plan and (
            _reached(plan).get(RemediationStatus.signoff_submitted)
            or _reached(plan).get(RemediationStatus.retained)
        )
        if not proof:
            continue
        checked += 1
        for m in plan.milestones:
            assert m.done_on is not None and m.done_on <= proof, (o.code, m.title)
        if plan.signed_off_on is not None:
            assert plan.signed_off_on >= proof
    assert checked > 150


def test_signed_off_outfalls_hold_the_decision_their_type_needs_in_force(demo):
    for o in demo:
        plan = o.remediation_plan
        if (
            plan is None
            or plan.status not in SIGNED_OFF
            or o.status is not OutfallStatus.in_service
        ):
            continue
        if o.water_kind.value == "sea":
            kinds = {ApprovalKind.filing}
        elif o.category_l1 in (CategoryL1.GY, CategoryL1.SH):
            kinds = {ApprovalKind.approval}  # 审批: a registration is not enough
        else:
            kinds = {ApprovalKind.approval, ApprovalKind.registration}
        valid = [
            a
            for a in o.approvals
            if a.kind in kinds
            and a.decided_on <= TODAY
            and (a.valid_until is None or a.valid_until >= TODAY)
        ]
        assert valid, o.code


def test_expired_approvals_belong_only_to_outfalls_not_signed_off(demo):
    expired = 0
    for o in demo:
        latest = {}
        for a in o.approvals:
            if a.kind not in latest or a.decided_on > latest[a.kind].decided_on:
                latest[a.kind] = a
        for a in latest.values():
            if a.valid_until is not None and a.valid_until < TODAY:
                expired += 1
                plan = o.remediation_plan
                assert (
                    plan is None
                    or plan.status not in SIGNED_OFF
                    or (o.status is not OutfallStatus.in_service)
                ), o.code
    assert expired < 15  # a few, honestly shown as expired


def test_traced_and_signed_off_outfalls_have_a_responsible_entity(demo):
    for o in demo:
        plan = o.remediation_plan
        if plan is None:
            continue
        if RemediationStatus.traced in _reached(plan) or plan.status in SIGNED_OFF:
            assert o.primary_entity is not None, o.code


def test_approved_outfalls_are_listed_not_discovered(demo):
    plants = (CategoryL1.SH,)
    for o in demo:
        plan = o.remediation_plan
        if plan is None or not o.approvals:
            continue
        identified = _reached(plan).get(RemediationStatus.identified)
        if any(a.decided_on < identified for a in o.approvals):
            assert "发现" not in plan.events[0].note, o.code
            if o.category_l1 in plants or o.category_l2 is CategoryL2.gy_park_wwtp:
                assert "暗管" not in plan.measures, o.code
                assert all("暗管" not in m.title for m in plan.milestones), o.code


def test_every_outfall_has_a_supervising_department(demo):
    assert all(o.supervising_department_id is not None for o in demo)


def test_nanliujiang_and_its_tributaries(demo):
    waters = {w.name: w for w in db.session.scalars(select(WaterBody))}
    main = waters["南流江"]
    assert waters["武利江"].parent is main and waters["小江"].parent is main
    assert any(o.water_body_id == main.id for o in demo)
    assert all(o.region.code == "450722" for o in demo if o.water_body_id == main.id)


def test_phone_numbers_can_exist(demo):
    phones = [e.phone for e in db.session.scalars(select(Entity)) if e.phone]
    phones += [d.phone for d in db.session.scalars(select(Department)) if d.phone]
    assert phones and all(PHONE.match(p) for p in phones), [p for p in phones if not PHONE.match(p)]


def test_water_classes_use_their_standards_notation(demo):
    for w in db.session.scalars(select(WaterBody)):
        allowed = SEA_CLASSES if w.kind is WaterBodyKind.sea else RIVER_CLASSES
        assert w.target_class in allowed, (w.name, w.target_class)
