"""Plain factory functions: valid defaults, overridable, added and flushed (never committed)."""

import itertools
from datetime import UTC, date, datetime

from stdnum.cn import uscc

from portal.agencies.models import Department
from portal.extensions import db
from portal.geo.models import Region, RegionLevel, WaterBody, WaterBodyKind
from portal.outfalls.models import (
    Approval,
    ApprovalKind,
    CategoryL1,
    CategoryL2,
    Entity,
    MonitoringRecord,
    Outfall,
    OutfallResponsibility,
    RemediationCategory,
    RemediationEvent,
    RemediationMilestone,
    RemediationPlan,
    RemediationStatus,
    SamplerKind,
    WaterKind,
)

_serial = itertools.count(1)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def region(**kw) -> Region:
    n = next(_serial)
    defaults = dict(
        code=f"45{n:04d}", name=f"测试区{n}", name_en=f"Test District {n}", level=RegionLevel.county
    )
    return _add(Region(**(defaults | kw)))


def water_body(**kw) -> WaterBody:
    n = next(_serial)
    defaults = dict(
        code=f"TW{n:04d}",
        name=f"测试江{n}",
        name_en=f"Test River {n}",
        kind=WaterBodyKind.river,
        target_class="Ⅲ类",
    )
    return _add(WaterBody(**(defaults | kw)))


def department(**kw) -> Department:
    n = next(_serial)
    defaults = dict(
        slug=f"dept-{n}", name=f"测试局{n}", name_en=f"Test Bureau {n}", phone="0777-0000000"
    )
    return _add(Department(**(defaults | kw)))


def credit_code(n: int) -> str:
    """A valid unified social credit code (check character computed by python-stdnum)."""
    body = f"91450702MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def entity(**kw) -> Entity:
    n = next(_serial)
    defaults = dict(
        name=f"测试化工有限公司{n}",
        credit_code=credit_code(n),
        permit_no=f"91450702TEST{n:04d}001P",
        phone="0777-1234567",
    )
    return _add(Entity(**(defaults | kw)))


def outfall(**kw) -> Outfall:
    """An in-service river GY outfall with a primary responsible entity."""
    n = next(_serial)
    reg = kw.pop("region", None) or region()
    water = kw.pop("water_body", None) or water_body()
    responsible = kw.pop("responsible", "new")
    defaults = dict(
        code=f"TW0001450702GY{n:04d}",
        seg_water="TW0001",
        seg_region="450702",
        seg_type="GY",
        seg_serial=f"{n:04d}",
        name=f"钦州市测试工业园{n}#工矿企业排污口",
        category_l1=CategoryL1.GY,
        category_l2=CategoryL2.gy_enterprise,
        water_kind=WaterKind.river,
        lat=21.95,
        lon=108.62,
        address="钦南区测试路1号",
        region=reg,
        water_body=water,
        supervising_department=kw.pop("department", None) or department(),
    )
    obj = _add(Outfall(**(defaults | kw)))
    if responsible == "new":
        responsible = entity()
    if responsible is not None:
        _add(OutfallResponsibility(outfall=obj, entity=responsible, is_primary=True))
    return obj


def approval(outfall: Outfall, **kw) -> Approval:
    defaults = dict(
        kind=ApprovalKind.approval,
        decision_no="钦环审〔2024〕1号",
        authority="钦州市生态环境局",
        decided_on=date(2024, 3, 1),
        permitted_daily_volume_m3=500.0,
        limits={},
    )
    return _add(Approval(outfall=outfall, **(defaults | kw)))


def plan(outfall: Outfall, **kw) -> RemediationPlan:
    defaults = dict(
        category=RemediationCategory.regularise,
        status=RemediationStatus.remediating,
        measures="设置规范化检查井",
        deadline=date(2025, 12, 31),
    )
    obj = _add(RemediationPlan(outfall=outfall, **(defaults | kw)))
    _add(RemediationMilestone(plan_id=obj.id, title="安装标识牌", due_on=date(2025, 6, 30)))
    _add(RemediationEvent(plan_id=obj.id, status=obj.status, occurred_on=date(2024, 5, 1)))
    return obj


def monitoring(outfall: Outfall, **kw) -> MonitoringRecord:
    defaults = dict(
        sampled_at=datetime(2026, 10, 1, 2, 0, tzinfo=UTC),
        sampler_kind=SamplerKind.supervisory,
        organisation="钦州市生态环境监测站",
        ph=7.2,
        cod=40.0,
        nh3n=3.0,
        tn=12.0,
        tp=0.3,
        flow_m3s=0.05,
    )
    return _add(MonitoringRecord(outfall=outfall, **(defaults | kw)))


def complaint(
    *,
    category: str = "illegal_discharge",
    description: str = "夜里有暗管排放黑水。",
    outfall: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    identity: str = "named",
    name: str = "王五",
    phone: str = "13712345678",
    email: str = "wangwu@example.com",
    consent: bool = False,
    now: datetime | None = None,
    **extra,
):
    """A citizen's report filed through the real intake (routing, deadlines, outbox);
    returns its receipt. Field names as on the web form; `extra` sets other ComplaintInput
    fields (channel, received_at, …)."""
    from portal.complaints import intake
    from portal.core.clock import utcnow

    data = intake.ComplaintInput(
        category_code=category,
        description=description,
        outfall_code=outfall,
        lat=None if lat is None else float(lat),
        lon=None if lon is None else float(lon),
        anonymous=identity != "named",
        name=name,
        phone=phone,
        email=email,
        consent_publish=consent,
        **extra,
    )
    return intake.submit(data, [], now or utcnow())
