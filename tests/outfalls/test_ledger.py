"""The registry's one way in: checks, create/update with history, conflicts, retiring,
entities and water bodies (SQLite and PostgreSQL)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.agencies.models import Role
from portal.core.clock import local_today
from portal.core.errors import UserError
from portal.extensions import db
from portal.geo.models import RegionLevel, WaterBodyKind
from portal.outfalls import history, ledger
from portal.outfalls.models import (
    CategoryL1,
    CategoryL2,
    Entity,
    LedgerEntry,
    Outfall,
    OutfallStatus,
    WaterKind,
)
from tests import factories as f
from tests.staff import staff_member


def _data(region, water, **kw) -> ledger.OutfallData:
    values = dict(
        code=f"tw0001-{region.code}-gy-0042",
        name="钦州市测试新厂1#工矿企业排污口",
        category_l1=CategoryL1.GY,
        category_l2=CategoryL2.gy_enterprise,
        water_kind=WaterKind.river,
        lat=21.95,
        lon=108.62,
        address="钦南区测试路9号",
        region_id=region.id,
        water_body_id=water.id,
        responsible_entity_ids=[],
    )
    return ledger.OutfallData(**(values | kw))


@pytest.fixture
def world(app_ctx):
    city = f.region(code="450700", name="钦州市", level=RegionLevel.city)
    county = f.region(code="450702", name="钦南区", parent_id=city.id)
    river = f.water_body()
    sea = f.water_body(kind=WaterBodyKind.sea, target_class="第二类")
    officer = staff_member(Role.data_officer)
    return county, river, sea, officer


def _fields(problems):
    return {p.field for p in problems}


def test_create_normalises_the_code_records_history_and_falls_back_to_the_government(world):
    county, river, _sea, officer = world
    outfall = ledger.create(_data(county, river), actor=officer, reason="排查新发现")
    db.session.commit()
    assert outfall.code == "TW0001450702GY0042"
    assert (outfall.seg_water, outfall.seg_region, outfall.seg_type, outfall.seg_serial) == (
        "TW0001",
        "450702",
        "GY",
        "0042",
    )
    assert outfall.primary_entity.name == "钦州市钦南区人民政府"
    entry = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.outfall_id == outfall.id)
    ).one()
    assert entry.action == "created" and entry.reason == "排查新发现"
    assert {c["field"] for c in entry.changes} >= {"code", "name", "region", "responsible_entities"}
    gov = db.session.scalars(select(LedgerEntry).where(LedgerEntry.chain.like("entity:%"))).one()
    assert gov.action == "created"
    assert history.verify_ledger() is None


def test_check_finds_every_problem_next_to_its_field(world):
    county, river, sea, _officer = world
    taken = f.outfall(region=county, water_body=river)
    data = _data(
        county,
        river,
        code=taken.code,
        name="",
        category_l2=CategoryL2.sh_wwtp,
        water_kind=WaterKind.sea,
        lat=51.5,
        lon=-0.1,
        responsible_entity_ids=[999999],
        signboard_installed_on=local_today() + timedelta(days=1),
    )
    assert _fields(ledger.check(data)) == {
        "code",
        "name",
        "category_l2",
        "water_body_id",
        "lat",
        "responsible_entity_ids",
        "signboard_installed_on",
    }
    wrong_type = _data(county, river, category_l1=CategoryL1.SH, category_l2=None)
    assert _fields(ledger.check(wrong_type)) == {"code"}  # GY letters in the code
    assert _fields(ledger.check(_data(county, sea, water_kind=WaterKind.river))) == {
        "water_body_id"
    }
    assert ledger.check(_data(county, sea, water_kind=WaterKind.sea)) == []


def test_a_point_far_from_the_region_is_a_warning_that_can_be_confirmed(world):
    county, river, _sea, officer = world
    f.outfall(region=county, water_body=river, lat=21.95, lon=108.62)
    far = _data(county, river, lat=23.5, lon=108.62)
    (problem,) = ledger.check(far)
    assert problem.warning and problem.field == "lat"
    with pytest.raises(UserError) as refused:
        ledger.create(far, actor=officer, reason="x")
    assert refused.value.warning
    assert ledger.create(far, actor=officer, reason="界河", confirm_boundary=True).id


def test_update_records_field_by_field_and_a_corrected_code_is_never_reused(world):
    county, river, _sea, officer = world
    outfall = ledger.create(_data(county, river), actor=officer, reason="new")
    db.session.commit()
    old_code, version = outfall.code, outfall.version
    data = ledger.OutfallData.from_outfall(outfall)
    data.name, data.code = "改名后的排污口", "TW0001450702GY0043"
    assert [c["field"] for c in ledger.changes_for(outfall, data)] == ["code", "name"]
    changes = ledger.update(
        outfall, data, actor=officer, reason="核实更正", expected_version=version
    )
    db.session.commit()
    assert [c["field"] for c in changes] == ["code", "name"]
    assert outfall.version == version + 1
    assert ledger.find_by_former_code(old_code).id == outfall.id
    again = _data(county, river, code=old_code)
    assert _fields(ledger.check(again)) == {"code"}
    # Saving the same data again changes nothing and writes nothing.
    assert (
        ledger.update(outfall, data, actor=officer, reason="x", expected_version=outfall.version)
        == []
    )


def test_a_stale_version_is_refused_with_what_changed_meanwhile(world):
    county, river, _sea, officer = world
    outfall = ledger.create(_data(county, river), actor=officer, reason="new")
    db.session.commit()
    opened = outfall.version
    first = ledger.OutfallData.from_outfall(outfall)
    first.address = "钦南区新地址1号"
    ledger.update(outfall, first, actor=officer, reason="first", expected_version=opened)
    db.session.commit()
    second = ledger.OutfallData.from_outfall(outfall)
    second.name = "第二个人的名字"
    with pytest.raises(ledger.EditConflict) as conflict:
        ledger.update(outfall, second, actor=officer, reason="second", expected_version=opened)
    assert [(c["field"], c["new"]) for c in conflict.value.meanwhile] == [
        ("address", "钦南区新地址1号")
    ]
    assert conflict.value.current_version == opened + 1


def test_department_staff_keep_only_their_department(world):
    county, river, _sea, _officer = world
    staff = staff_member(Role.staff)
    other = f.department()
    with pytest.raises(UserError) as refused:
        ledger.create(
            _data(county, river, supervising_department_id=other.id), actor=staff, reason="x"
        )
    assert refused.value.field == "supervising_department_id"
    mine = ledger.create(
        _data(county, river, supervising_department_id=staff.department_id), actor=staff, reason="x"
    )
    foreign = f.outfall(region=county, water_body=river, department=other)
    with pytest.raises(UserError):
        ledger.update(
            foreign,
            ledger.OutfallData.from_outfall(foreign),
            actor=staff,
            reason="x",
            expected_version=foreign.version,
        )
    assert mine.supervising_department_id == staff.department_id


def test_retiring_is_the_coordinators_and_follows_the_rules(world):
    county, river, _sea, officer = world
    coordinator = staff_member(Role.coordinator)
    a, b, c = (f.outfall(region=county, water_body=river) for _ in range(3))
    with pytest.raises(UserError):
        ledger.merge(a, b, actor=officer, reason="x")
    with pytest.raises(UserError) as itself:
        ledger.merge(a, a, actor=coordinator, reason="x")
    assert itself.value.field == "target"
    ledger.merge(a, b, actor=coordinator, reason="清理合并")
    with pytest.raises(UserError):
        ledger.merge(c, a, actor=coordinator, reason="x")  # a is no longer in service
    ledger.merge(b, c, actor=coordinator, reason="再合并")
    assert a.merged_into_id == c.id  # followers move to the new target
    with pytest.raises(UserError) as no_decision:
        ledger.ban(c, on=date(2026, 1, 5), decision_no="", actor=coordinator, reason="x")
    assert no_decision.value.field == "decision_no"
    ledger.ban(
        c, on=date(2026, 1, 5), decision_no="钦环罚〔2026〕3号", actor=coordinator, reason="取缔"
    )
    assert (c.status, c.status_decision_no) == (OutfallStatus.banned, "钦环罚〔2026〕3号")
    d = f.outfall(region=county, water_body=river)
    with pytest.raises(UserError):
        ledger.close(d, on=local_today() + timedelta(days=2), actor=coordinator, reason="x")
    ledger.close(d, on=date(2026, 2, 1), actor=coordinator, reason="停用")
    db.session.commit()
    assert d.status is OutfallStatus.closed
    assert history.verify_ledger() is None


def test_a_stormwater_outfall_is_neither_merged_nor_banned_citing_the_rule(world, app):
    county, river, _sea, _officer = world
    coordinator = staff_member(Role.coordinator)
    rain = f.outfall(region=county, water_body=river, category_l1=CategoryL1.YH)
    target = f.outfall(region=county, water_body=river)
    with pytest.raises(UserError) as merged:
        ledger.merge(rain, target, actor=coordinator, reason="清理合并")
    with pytest.raises(UserError) as banned:
        ledger.ban(
            rain,
            on=date(2026, 1, 5),
            decision_no="钦环〔2026〕1号",
            actor=coordinator,
            reason="取缔",
        )
    rule = app.config["REMEDIATION_STORMWATER_RULE"]
    assert rule in str(merged.value.message) and rule in str(banned.value.message)
    assert (rain.status, rain.merged_into_id) == (OutfallStatus.in_service, None)
    ledger.close(rain, on=date(2026, 2, 1), actor=coordinator, reason="停用")  # closing is allowed
    assert rain.status is OutfallStatus.closed


def test_entities_check_credit_codes_and_keep_the_phone_internal(world):
    _county, _river, _sea, officer = world
    with pytest.raises(UserError) as bad:
        ledger.create_entity(
            ledger.EntityData(name="某公司", credit_code="91450702MA00000000"),
            actor=officer,
            reason="x",
        )
    assert bad.value.field == "credit_code"
    with pytest.raises(UserError) as phone:
        ledger.create_entity(
            ledger.EntityData(name="某公司", phone="0777-0123456"), actor=officer, reason="x"
        )
    assert phone.value.field == "phone"
    entity = ledger.create_entity(
        ledger.EntityData(name="某公司", credit_code=f.credit_code(77), phone="0777-2123456"),
        actor=officer,
        reason="新增",
    )
    assert ledger.find_entity("ignored", f.credit_code(77)).id == entity.id
    assert ledger.find_entity("某公司").id == entity.id
    changes = ledger.update_entity(
        entity,
        ledger.EntityData(name="某公司", credit_code=f.credit_code(77), phone="0777-2999999"),
        actor=officer,
        reason="电话变更",
    )
    assert changes == [
        {"field": "phone", "old": "0777-2123456", "new": "0777-2999999", "public": False}
    ]
    with pytest.raises(UserError):
        ledger.create_entity(
            ledger.EntityData(name="x"), actor=staff_member(Role.staff), reason="x"
        )
    assert db.session.scalar(select(Entity).where(Entity.name == "x")) is None


def test_water_bodies_check_classes_cycles_and_kinds(world):
    county, river, sea, officer = world
    bay = ledger.create_water_body(
        ledger.WaterBodyData(name="新海湾", kind=WaterBodyKind.sea, target_class="二类"),
        actor=officer,
        reason="新增",
    )
    assert bay.target_class == "第二类"
    bad = ledger.WaterBodyData(name="某江", kind=WaterBodyKind.river, target_class="第二类")
    assert _fields(ledger.check_water_body(bad)) == {"target_class"}
    f.outfall(region=county, water_body=river)
    to_sea = ledger.WaterBodyData(name=river.name, code=river.code, kind=WaterBodyKind.sea)
    assert "kind" in _fields(ledger.check_water_body(to_sea, water=river))
    child = ledger.create_water_body(
        ledger.WaterBodyData(name="支流", kind=WaterBodyKind.river, parent_id=river.id),
        actor=officer,
        reason="x",
    )
    loop = ledger.WaterBodyData(
        name=river.name, code=river.code, kind=WaterBodyKind.river, parent_id=child.id
    )
    assert _fields(ledger.check_water_body(loop, water=river)) == {"parent_id"}
    assert ledger.update_water_body(
        river,
        ledger.WaterBodyData(
            name="改名江", code=river.code, kind=WaterBodyKind.river, target_class="II"
        ),
        actor=officer,
        reason="更名",
    )
    db.session.commit()
    assert history.verify_ledger() is None
    assert db.session.get(Outfall, 1) is not None


def test_an_edit_that_the_progress_rollup_does_not_count_does_not_recompute_it(world):
    from sqlalchemy import event

    from portal.remediation.models import ProgressCell

    county, river, _sea, officer = world
    other = f.region(code="450703", name="钦北区", parent_id=county.parent_id)
    outfall = f.outfall(region=county, water_body=river)
    db.session.commit()
    statements = []

    def note(_conn, _cursor, statement, *_args):
        if "remediation_progress" in statement.lower() and statement.lstrip()[:6].upper() in (
            "DELETE",
            "INSERT",
        ):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        data = ledger.OutfallData.from_outfall(outfall)
        ledger.update(
            outfall,
            replace(data, address="新地址1号"),
            expected_version=outfall.version,
            actor=officer,
            reason="x",
        )
        db.session.commit()
        assert statements == []  # the address is not in the rollup
        data = ledger.OutfallData.from_outfall(outfall)
        ledger.update(
            outfall,
            replace(data, region_id=other.id, lat=22.05, lon=108.65),
            expected_version=outfall.version,
            actor=officer,
            reason="划入钦北区",
            confirm_boundary=True,
        )
        db.session.commit()
        assert statements  # the region is
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    by_region = dict(
        db.session.execute(
            select(ProgressCell.region_id, func.sum(ProgressCell.n)).group_by(
                ProgressCell.region_id
            )
        ).all()
    )
    assert by_region.get(other.id) == 1 and not by_region.get(county.id)
