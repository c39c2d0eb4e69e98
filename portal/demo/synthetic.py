"""Synthetic outfalls for benchmarks: Core bulk inserts spread over the whole of Guangxi."""

import math
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from ..agencies.models import Department
from ..core.clock import LOCAL_TZ, local_today, utcnow
from ..core.storage import FileStore
from ..geo.models import Region, WaterBody, WaterBodyKind
from ..outfalls.models import (
    REMEDIATION_PATH,
    STORMWATER_L2,
    CategoryL1,
    CategoryL2,
    ChannelKind,
    Entity,
    MonitoringRecord,
    Outfall,
    OutfallStatus,
    RemediationCategory,
    RemediationPlan,
    RemediationStatus,
    SamplerKind,
    WaterKind,
    Weather,
)
from . import geography as geo
from .catalog import MEASURES, type_name
from .qinzhou import DEPARTMENTS, QINZHOU_CODE, load_demo

CHUNK = 5_000
# Synthetic outfalls are told apart by their serial segment: "S" and seven digits.
SERIAL_PREFIX = "S"
# Prefecture seats of Guangxi (lat, lon): most synthetic outfalls cluster around them.
CENTRES = (
    (22.82, 108.37),
    (24.33, 109.41),
    (25.27, 110.29),
    (23.48, 111.28),
    (21.48, 109.12),
    (21.69, 108.35),
    (21.98, 108.65),
    (23.11, 109.60),
    (22.63, 110.16),
    (23.90, 106.62),
    (24.41, 111.57),
    (24.69, 108.09),
    (23.75, 109.22),
    (22.38, 107.36),
)
_L2_CHOICES = (*CategoryL2, None)
_L1_CHOICES = tuple(CategoryL1)
_CHANNELS = tuple(c.value for c in ChannelKind)
_WEATHER = tuple(w.value for w in Weather)
_STORM_L2 = frozenset(x.value for x in STORMWATER_L2)
_STATUS_WEIGHTS = (
    (OutfallStatus.in_service, 88),
    (OutfallStatus.merged, 5),
    (OutfallStatus.banned, 5),
    (OutfallStatus.closed, 2),
)
_OPEN = REMEDIATION_PATH[:-1]


def generate_synthetic(session, count: int, seed: int = 42, store: FileStore | None = None) -> int:
    """Add `count` synthetic outfalls with plans (and monitoring for a third); return count."""
    if count <= 0:
        return 0
    if session.scalar(select(Region.id).where(Region.code == QINZHOU_CODE)) is None:
        load_demo(session, store if store is not None else _default_store(), local_today())
    ref = _reference(session)
    last = session.scalar(
        select(func.max(Outfall.seg_serial)).where(Outfall.seg_serial.like(f"{SERIAL_PREFIX}%"))
    )
    start = int(last[1:]) + 1 if last else 1
    if start + count - 1 > 9_999_999:
        raise ValueError("synthetic serial numbers exhausted")
    rng = random.Random(f"{seed}:{start}")
    today = local_today()
    now = utcnow()
    outfalls = Outfall.__table__
    # In-service, non-storm demo outfalls per water body that merged ones can point to.
    targets: dict[int, list[int]] = {}
    candidates = (
        select(Outfall.id, Outfall.water_body_id)
        .where(
            Outfall.is_demo,
            Outfall.status == OutfallStatus.in_service,
            Outfall.category_l1 != CategoryL1.YH,
        )
        .limit(5000)
    )
    for outfall_id, water_id in session.execute(candidates):
        targets.setdefault(water_id, []).append(outfall_id)
    for first in range(start, start + count, CHUNK):
        numbers = range(first, min(first + CHUNK, start + count))
        rows = [_outfall_row(rng, ref, n, today, now) for n in numbers]
        for row in rows:
            if row["status"] == OutfallStatus.merged.value and targets.get(row["water_body_id"]):
                row["merged_into_id"] = rng.choice(targets[row["water_body_id"]])
        # Plain executemany, then read the ids back by code: RETURNING with ordered rows
        # would make SQLite run one statement per row.
        session.execute(insert(outfalls), rows)
        codes = [row["code"] for row in rows]
        ids = dict(
            session.execute(
                select(outfalls.c.code, outfalls.c.id).where(outfalls.c.code.in_(codes))
            ).all()
        )
        plans, records = [], []
        for row in rows:
            outfall_id = ids[row["code"]]
            plans.append(_plan_row(rng, outfall_id, row, today))
            pool = targets.setdefault(row["water_body_id"], [])
            if row["status"] == "in_service" and row["category_l1"] != "YH" and len(pool) < 500:
                pool.append(outfall_id)
            if rng.random() < 1 / 3 and row["status"] == OutfallStatus.in_service.value:
                records.append(_monitoring_row(rng, outfall_id, row, today))
        session.execute(insert(RemediationPlan.__table__), plans)
        if records:
            session.execute(insert(MonitoringRecord.__table__), records)
    return count


def _default_store() -> FileStore | None:
    """The app's upload store when running inside Flask, else none (documents skipped)."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("UPLOAD_DIR"):
        return FileStore(current_app.config["UPLOAD_DIR"])
    return None


def _reference(session) -> dict:
    counties = [geo.QINNAN, geo.QINBEI, geo.LINGSHAN, geo.PUBEI]
    regions = session.execute(
        select(Region.id, Region.code, Region.name).where(Region.code.in_(counties))
    ).all()
    codes = [w.code for w in geo.WATERS]
    waters = session.execute(
        select(WaterBody.id, WaterBody.code, WaterBody.kind).where(WaterBody.code.in_(codes))
    ).all()
    depts = dict(
        session.execute(
            select(Department.slug, Department.id).where(
                Department.slug.in_([d[0] for d in DEPARTMENTS])
            )
        ).all()
    )
    managers = list(
        session.scalars(select(Entity.id).where(Entity.industry == "公共管理").limit(50))
    )
    return {
        "regions": regions,
        "rivers": [w for w in waters if w.kind is not WaterBodyKind.sea],
        "seas": [w for w in waters if w.kind is WaterBodyKind.sea],
        "depts": depts,
        "dept_ids": list(depts.values()),
        "managers": managers or [None],
    }


def _point(rng: random.Random) -> tuple[float, float]:
    south, west, north, east = geo.GUANGXI_BBOX
    if rng.random() < 0.25:
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
    else:
        lat0, lon0 = rng.choice(CENTRES)
        spread = rng.choice((0.05, 0.15, 0.4))
        lat, lon = rng.gauss(lat0, spread), rng.gauss(lon0, spread)
    return round(min(max(lat, south), north), 5), round(min(max(lon, west), east), 5)


def _outfall_row(rng: random.Random, ref: dict, n: int, today: date, now: datetime) -> dict:
    l2 = rng.choice(_L2_CHOICES)
    l1 = l2.l1 if l2 is not None else rng.choice(_L1_CHOICES)
    sea = rng.random() < 0.25
    water = rng.choice(ref["seas"] if sea else ref["rivers"])
    region = rng.choice(ref["regions"])
    stormwater = l1 is CategoryL1.YH or l2 in STORMWATER_L2
    status = rng.choices(*zip(*_STATUS_WEIGHTS, strict=True))[0]
    if stormwater:
        status = OutfallStatus.in_service  # stormwater outfalls are never merged or blocked
    serial = f"{SERIAL_PREFIX}{n:07d}"
    lat, lon = _point(rng)
    return {
        "code": f"{water.code}{region.code}{l1.value}{serial}",
        "seg_water": water.code,
        "seg_region": region.code,
        "seg_type": l1.value,
        "seg_serial": serial,
        "local_code": None,
        "name": f"合成数据{region.name}{n}#{type_name(l1, l2)}",
        "category_l1": l1.value,
        "category_l2": l2.value if l2 is not None else None,
        "water_kind": (WaterKind.sea if sea else WaterKind.river).value,
        "lat": lat,
        "lon": lon,
        "address": "合成数据（基准测试用）",
        "region_id": region.id,
        "water_body_id": water.id,
        "management_entity_id": rng.choice(ref["managers"]),
        "supervising_department_id": rng.choice(ref["dept_ids"]),
        "channel_kind": rng.choice(_CHANNELS),
        "status": status.value,
        "status_since": today - timedelta(days=rng.randint(30, 900))
        if status is not OutfallStatus.in_service
        else None,
        "merged_into_id": None,
        "signboard_installed_on": today - timedelta(days=rng.randint(10, 1000))
        if rng.random() < 0.8
        else None,
        "standard_code": "GB18918-1A" if l1 is CategoryL1.SH else None,
        "is_demo": True,
        "created_at": now,
        "updated_at": now,
    }


def _plan_row(rng: random.Random, outfall_id: int, row: dict, today: date) -> dict:
    c, s = RemediationCategory, RemediationStatus
    status_since = row["status_since"]
    signed = None
    if row["status"] == OutfallStatus.banned.value or row["status"] == OutfallStatus.closed.value:
        category, status, signed = c.ban, s.closed, status_since
    elif row["status"] == OutfallStatus.merged.value:
        category, status, signed = c.merge, s.closed, status_since
    else:
        storm = row["category_l1"] == "YH" or row["category_l2"] in _STORM_L2
        options = (c.regularise, c.retain) if storm else tuple(c)
        category = rng.choice(options)
        roll = rng.random()
        if category is c.retain:
            status = s.retained if roll < 0.8 else rng.choice(_OPEN[:4])
        elif category is c.regularise and roll < 0.65:
            status = s.closed
            signed = today - timedelta(days=rng.randint(10, 1000))
        else:
            status = rng.choice(_OPEN[:5] if category in (c.merge, c.ban) else _OPEN)
    deadline = None
    if status not in _OPEN[:3]:
        deadline = today + timedelta(days=rng.randint(-400, 400))
    measures = "；".join(rng.sample(MEASURES[category.value], 2)) + "。"
    return {
        "outfall_id": outfall_id,
        "category": category.value,
        "status": status.value,
        "measures": measures,
        "deadline": deadline,
        "transition_until": None,
        "merge_target_id": row["merged_into_id"] if category is c.merge else None,
        "signed_off_on": signed,
    }


def _monitoring_row(rng: random.Random, outfall_id: int, row: dict, today: date) -> dict:
    day = today - timedelta(days=rng.randint(1, 730))
    local = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
    sampled_at = local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    base = {"SH": 25.0, "GY": 40.0, "NY": 80.0, "YH": 45.0, "QT": 60.0}[row["category_l1"]]
    k = math.exp(rng.gauss(0, 0.45))
    supervisory = rng.random() < 0.6
    return {
        "outfall_id": outfall_id,
        "sampled_at": sampled_at,
        "sampler_kind": (
            SamplerKind.supervisory if supervisory else SamplerKind.self_monitoring
        ).value,
        "organisation": "合成数据监测单位",
        "weather": rng.choice(_WEATHER),
        "ph": round(rng.gauss(7.3, 0.35), 2),
        "cod": round(base * k, 1),
        "nh3n": round(base * k / 15, 2),
        "tn": round(base * k / 4, 2),
        "tp": round(base * k / 80, 3),
        "flow_m3s": round(rng.uniform(0.001, 0.5), 4),
        "temperature_c": round(rng.uniform(14, 31), 1),
        "other": {},
    }
