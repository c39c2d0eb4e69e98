"""The Qinzhou demo region and the synthetic benchmark generator."""

import math
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from stdnum.cn import uscc

from portal.core.clock import local_today, utcnow
from portal.core.codes import normalise_code
from portal.core.storage import FileStore
from portal.demo import generate_synthetic, load_demo
from portal.demo import geography as geo
from portal.demo.qinzhou import SAMPLE_BANNED_CODE, SAMPLE_CODE, SAMPLE_MERGED_CODE
from portal.extensions import db
from portal.geo.models import Region, WaterBody, WaterBodyKind
from portal.outfalls.models import (
    Approval,
    ApprovalDocument,
    ApprovalKind,
    CategoryL1,
    Entity,
    MonitoringRecord,
    Outfall,
    OutfallStatus,
    RemediationCategory,
    RemediationPlan,
    RemediationStatus,
    WaterKind,
)
from portal.outfalls.standards import applicable_standard, exceedances

TODAY = date(2026, 11, 22)


def _store() -> FileStore:
    return FileStore(current_app.config["UPLOAD_DIR"])


def _load(today: date = TODAY) -> bool:
    loaded = load_demo(db.session, _store(), today)
    db.session.commit()
    return loaded


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _distance_to_line_m(lat: float, lon: float, points) -> float:
    """Shortest distance in metres from a point to a polyline (local flat projection)."""
    kx = 111_320.0 * math.cos(math.radians(lat))
    ky = 110_574.0
    best = math.inf
    for (la1, lo1), (la2, lo2) in zip(points, points[1:], strict=False):
        ax, ay = (lo1 - lon) * kx, (la1 - lat) * ky
        bx, by = (lo2 - lon) * kx, (la2 - lat) * ky
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def test_demo_region_covers_every_type_kind_and_status(app_ctx):
    assert _load()
    outfalls = db.session.scalars(select(Outfall)).all()
    assert len(outfalls) >= 300
    assert all(o.is_demo for o in outfalls)
    assert {o.category_l1 for o in outfalls} == set(CategoryL1)
    assert {o.water_kind for o in outfalls} == set(WaterKind)
    assert any(o.category_l2 is None for o in outfalls)  # 暂无法确定
    assert {o.status for o in outfalls} == set(OutfallStatus)
    plans = db.session.scalars(select(RemediationPlan)).all()
    # The sign-off workflow signs off on approval: no plan rests in eee_approved.
    assert {p.status for p in plans} == set(RemediationStatus) - {RemediationStatus.eee_approved}
    assert {p.category for p in plans} == set(RemediationCategory)
    assert {a.kind for a in db.session.scalars(select(Approval))} == set(ApprovalKind)

    regions = {r.code: r for r in db.session.scalars(select(Region))}
    assert {"450000", "450700", "450702", "450703", "450721", "450722"} <= set(regions)
    assert regions["450702"].parent.code == "450700"
    assert all(r.name_en for r in regions.values())


def test_demo_codes_places_and_entities_are_consistent(app_ctx):
    _load()
    outfalls = db.session.scalars(select(Outfall)).all()
    codes = [o.code for o in outfalls]
    assert len(set(codes)) == len(codes)
    reaches = {}
    for reach in geo.REACHES:
        reaches.setdefault(reach.water, []).append(reach)
    water_keys = {w.code: w.key for w in geo.WATERS}
    for o in outfalls:
        assert o.code == normalise_code(o.code)
        assert o.code == f"{o.seg_water}{o.seg_region}{o.seg_type}{o.seg_serial}"
        assert o.seg_type == o.category_l1.value
        assert o.seg_region == o.region.code
        assert o.seg_water == o.water_body.code
        assert o.water_kind is (
            WaterKind.sea if o.water_body.kind is WaterBodyKind.sea else WaterKind.river
        )
        assert geo.in_bbox(o.lat, o.lon, geo.QINZHOU_BBOX)
        assert o.lat == round(o.lat, 5) and o.lon == round(o.lon, 5)
        # On a bank or shore: within 100 m of a reach of its own water in its own county.
        own = [r for r in reaches[water_keys[o.seg_water]] if r.county == o.seg_region]
        assert min(_distance_to_line_m(o.lat, o.lon, r.points) for r in own) <= 100, o.code
        assert o.supervising_department is not None
        assert o.management_entity is not None
        assert o.name.startswith("钦州市") and o.name.endswith(("排污口", "排口"))
        primaries = [link for link in o.responsible_links if link.is_primary]
        assert len(primaries) <= 1
    assert any(not o.responsible_links for o in outfalls)  # 需溯源
    assert any(len(o.responsible_links) > 1 for o in outfalls)  # shared outlet

    entities = db.session.scalars(select(Entity)).all()
    coded = [e for e in entities if e.credit_code]
    assert len(coded) >= 80
    assert all(uscc.is_valid(e.credit_code) for e in coded)
    assert all(e.credit_code[2:6] == "4507" for e in coded)


def test_demo_statuses_plans_and_monitoring_hang_together(app_ctx):
    _load()
    for o in db.session.scalars(select(Outfall)):
        plan = o.remediation_plan
        if o.status is OutfallStatus.merged:
            assert o.merged_into.water_body_id == o.water_body_id
            assert o.merged_into.status is OutfallStatus.in_service
            assert plan.category is RemediationCategory.merge
            assert plan.merge_target_id == o.merged_into_id
        if o.status is not OutfallStatus.in_service:
            assert o.status_since is not None
        if o.is_stormwater and plan is not None:
            assert plan.category not in (RemediationCategory.merge, RemediationCategory.ban)
        if plan is None:
            continue
        events = plan.events
        assert events and events[-1].status is plan.status
        assert [e.occurred_on for e in events] == sorted(e.occurred_on for e in events)
        assert events[-1].occurred_on <= TODAY
        assert 2 <= len(plan.milestones) <= 4
        if plan.status is RemediationStatus.closed:
            assert plan.signed_off_on == events[-1].occurred_on
    late = [p for p in db.session.scalars(select(RemediationPlan)) if p.is_late(TODAY)]
    assert 0 < len(late) < 60
    now = utcnow()
    records = db.session.scalars(select(MonitoringRecord)).all()
    assert records and all(r.sampled_at <= now for r in records)
    dry_flow = [
        r
        for r in records
        if r.outfall.is_stormwater and r.weather.value == "dry" and (r.flow_m3s or 0) > 0
    ]
    assert dry_flow  # the stormwater anomaly


def test_load_demo_runs_once(app_ctx):
    assert _load()
    before = {m: _count(m) for m in (Outfall, Entity, Region, WaterBody, MonitoringRecord)}
    assert load_demo(db.session, _store(), TODAY) is False
    db.session.commit()
    assert {m: _count(m) for m in before} == before


def test_sample_outfalls(app_ctx):
    _load()
    sample = db.session.scalar(select(Outfall).where(Outfall.code == SAMPLE_CODE))
    assert sample.status is OutfallStatus.in_service
    assert sample.category_l1 is CategoryL1.GY
    approval = sample.latest_approval
    assert approval.kind is ApprovalKind.approval and approval.limits
    assert approval.documents
    assert sample.remediation_plan is not None
    standard = applicable_standard(sample.standard_code, "GY", approval.limits)
    records = db.session.scalars(
        select(MonitoringRecord).where(MonitoringRecord.outfall_id == sample.id)
    ).all()
    flagged = [
        r
        for r in records
        if exceedances(
            {k: getattr(r, k) for k in ("ph", "cod", "nh3n", "tn", "tp", "flow_m3s")},
            standard,
            weather=r.weather.value,
            temperature_c=r.temperature_c,
        )
    ]
    assert flagged

    merged = db.session.scalar(select(Outfall).where(Outfall.code == SAMPLE_MERGED_CODE))
    assert merged.status is OutfallStatus.merged and merged.merged_into is not None
    banned = db.session.scalar(select(Outfall).where(Outfall.code == SAMPLE_BANNED_CODE))
    assert banned.status is OutfallStatus.banned
    assert banned.remediation_plan.category is RemediationCategory.ban


def test_approval_documents_are_in_the_store(app_ctx):
    _load()
    docs = db.session.scalars(select(ApprovalDocument)).all()
    assert len(docs) >= 10
    store = _store()
    for doc in docs:
        data = store.path(doc.sha256).read_bytes()
        assert data.startswith(b"%PDF") and len(data) == doc.size
        assert doc.content_type == "application/pdf"


def test_demo_works_for_the_real_date(app_ctx):
    today = local_today()
    assert _load(today)
    plans = db.session.scalars(select(RemediationPlan)).all()
    # The sign-off workflow signs off on approval: no plan rests in eee_approved.
    assert {p.status for p in plans} == set(RemediationStatus) - {RemediationStatus.eee_approved}
    assert max(e.occurred_on for p in plans for e in p.events) <= today


def test_synthetic_outfalls(app_ctx):
    assert generate_synthetic(db.session, 2000) == 2000
    db.session.commit()
    assert db.session.scalar(select(Region).where(Region.code == "450700")) is not None
    synthetic = select(Outfall).where(Outfall.seg_serial.like("S%"))
    assert _count(synthetic.subquery()) == 2000
    plans = (
        select(RemediationPlan).join(RemediationPlan.outfall).where(Outfall.seg_serial.like("S%"))
    )
    assert _count(plans.subquery()) == 2000
    assert generate_synthetic(db.session, 500) == 500
    db.session.commit()
    rows = db.session.execute(select(Outfall.code, Outfall.lat, Outfall.lon, Outfall.is_demo)).all()
    assert len({r.code for r in rows}) == len(rows)
    assert _count(synthetic.subquery()) == 2500
    assert all(r.is_demo for r in rows)
    assert all(geo.in_bbox(r.lat, r.lon, geo.GUANGXI_BBOX) for r in rows)
    merged = db.session.scalars(
        synthetic.where(Outfall.status == OutfallStatus.merged).limit(50)
    ).all()
    assert merged and all(o.merged_into_id is not None for o in merged)
    assert {o.category_l1 for o in db.session.scalars(synthetic)} == set(CategoryL1)
    monitored = (
        select(MonitoringRecord.outfall_id).join(Outfall).where(Outfall.seg_serial.like("S%"))
    )
    assert 500 < _count(monitored.subquery()) < 1200


def test_demo_command_loads_once_and_says_so(runner, app):
    first = runner.invoke(args=["portal", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    second = runner.invoke(args=["portal", "demo"])
    assert "already present" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outfall)) >= 300
        from portal.complaints.models import Complaint

        complaints = db.session.scalars(select(Complaint)).all()
        assert len(complaints) == 7  # filed through the real intake, once
        assert sum(c.department_id is not None for c in complaints) >= 5  # routed by the rules
        assert all(c.complete_due_at is not None for c in complaints)
