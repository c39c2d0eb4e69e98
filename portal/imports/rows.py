"""One sheet row → the ledger's fields, with every normalisation and refusal per cell.

Lookups (regions, water bodies, departments, types) are loaded once per file, never per row.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from ..agencies.models import Department
from ..extensions import db
from ..geo.models import Region, WaterBody, WaterBodyKind
from ..outfalls.models import (
    CategoryL1,
    CategoryL2,
    ChannelKind,
    RemediationCategory,
    RemediationStatus,
    WaterKind,
)
from . import normalise as n

# The Chinese names of the HJ 1235 types as the survey sheets write them (DOMAIN §1.3).
L1_NAMES = {
    "工业排污口": "GY",
    "工业排口": "GY",
    "工矿企业排污口": "GY",
    "城镇污水处理厂排污口": "SH",
    "城镇污水处理厂排口": "SH",
    "农业排口": "NY",
    "农业排污口": "NY",
    "城镇雨洪排口": "YH",
    "雨洪排口": "YH",
    "其他排口": "QT",
    "其他排污口": "QT",
    "其它排口": "QT",  # 其它: the other common writing of 其他
    "其它排污口": "QT",
}
L2_NAMES = {
    "工矿企业排污口": "gy_enterprise",
    "工业及其他各类园区污水处理厂排污口": "gy_park_wwtp",
    "工矿企业雨洪排口": "gy_enterprise_storm",
    "园区污水处理厂雨洪排口": "gy_park_storm",
    "规模化畜禽养殖排口": "ny_livestock",
    "规模化畜禽养殖": "ny_livestock",
    "规模化水产养殖排口": "ny_aquaculture",
    "规模化水产养殖": "ny_aquaculture",
    "大中型灌区排口": "qt_irrigation",
    "大中型灌区口": "qt_irrigation",
    "港口码头排口": "qt_port",
    "港口码头": "qt_port",
    "规模以下畜禽养殖排口": "qt_small_livestock",
    "规模以下水产养殖排口": "qt_small_aquaculture",
    "城镇生活污水散排口": "qt_urban_scattered",
    "农村污水处理设施排口": "qt_rural_facility",
    "农村污水处理设施": "qt_rural_facility",
    "农村生活污水散排口": "qt_rural_scattered",
}
KIND_NAMES = {
    "入河": "river",
    "河": "river",
    "入河排污口": "river",
    "入河排口": "river",
    "river": "river",
    "入海": "sea",
    "海": "sea",
    "入海排污口": "sea",
    "入海排口": "sea",
    "sea": "sea",
}
CHANNEL_NAMES = {
    "明渠": "open_channel",
    "管道": "pipe",
    "暗管": "pipe",
    "泵站": "pump_station",
    "涵闸": "sluice",
    "箱涵": "box_culvert",
    "其他": "other",
}

# 一口一策 categories and statuses as the sheets write them; the first name of each is the
# one the export writes (the portal's Chinese labels), codes are accepted too.
CATEGORY_NAMES = {
    "依法取缔": "ban",
    "取缔": "ban",
    "清理合并": "merge",
    "合并": "merge",
    "规范整治": "regularise",
    "整治": "regularise",
    "保留": "retain",
}
STATUS_NAMES = {
    "已排查": "identified",
    "已监测": "monitored",
    "已溯源": "traced",
    "方案已批复": "plan_approved",
    "整治中": "remediating",
    "已提交销号材料": "signoff_submitted",
    "主管部门已确认": "dept_confirmed",
    "生态环境局审核通过": "eee_approved",
    "已销号": "closed",
    "已完成": "closed",
    "保留": "retained",
}


@dataclass
class Lookups:
    """Reference data of the registry, loaded once per file."""

    regions_by_code: dict[str, int]
    regions_by_name: dict[str, list[int]]
    waters_by_name: dict[str, list[tuple[int, bool]]]
    waters_by_code: dict[str, int]
    departments: dict[str, int]
    # id → (name, is a sea), for a water named by its code.
    waters_by_id: dict[int, tuple[str, bool]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Lookups":
        by_code, by_name = {}, {}
        for rid, code, name in db.session.execute(select(Region.id, Region.code, Region.name)):
            by_code[code] = rid
            by_name.setdefault(name, []).append(rid)
        w_name, w_code, w_id = {}, {}, {}
        for wid, code, name, kind in db.session.execute(
            select(WaterBody.id, WaterBody.code, WaterBody.name, WaterBody.kind)
        ):
            w_name.setdefault(name, []).append((wid, kind is WaterBodyKind.sea))
            w_id[wid] = (name, kind is WaterBodyKind.sea)
            if code:
                w_code[code] = wid
        depts = {
            name: did for did, name in db.session.execute(select(Department.id, Department.name))
        }
        return cls(by_code, by_name, w_name, w_code, depts, w_id)


@dataclass
class RowResult:
    """What one row says once read: ledger values, notes, and refusals by field."""

    values: dict[str, Any] = field(default_factory=dict)
    notes: list[tuple[str, n.Note]] = field(default_factory=list)
    errors: list[tuple[str, Any]] = field(default_factory=list)
    entities: list[tuple[str, str | None]] = field(default_factory=list)
    management: str = ""
    new_water: str = ""
    # The decision the row names: number, date, authority (empty: the sheet says nothing).
    decision: tuple[str, date | None, str] | None = None
    # The 一口一策 category, deadline and status the row names.
    plan: tuple[str, date | None] | None = None
    plan_status: str | None = None


def _region(text: str, lookups: Lookups) -> int | None:
    if text in lookups.regions_by_code:
        return lookups.regions_by_code[text]
    ids = lookups.regions_by_name.get(text)
    if ids is None:
        # "广西壮族自治区钦州市钦南区": the longest known name the text ends with.
        ends = [name for name in lookups.regions_by_name if text.endswith(name)]
        ids = lookups.regions_by_name[max(ends, key=len)] if ends else None
    return ids[0] if ids and len(ids) == 1 else None


def read_row(
    cells: dict[str, Any], lookups: Lookups, *, crs: str, create_waters: bool
) -> RowResult:
    """Normalise one row's cells (field → raw value) into ledger values."""
    out = RowResult()

    def text(key: str) -> str:
        value, notes = n.clean_text(cells.get(key))
        out.notes += [(key, note) for note in notes]
        return value

    def date_cell(key: str, parse=n.parse_date) -> date | None:
        try:
            day, notes = parse(cells.get(key))
        except n.Unreadable:
            out.errors.append((key, _l("Not a date.")))
            return None
        out.notes += [(key, note) for note in notes]
        return day

    code, notes = n.clean_code(cells.get("code"))
    out.notes += [("code", note) for note in notes]
    out.values["code"] = code
    out.values["name"] = text("name")
    out.values["address"] = text("address")

    type_text, subtype_text = text("type"), text("subtype")
    l1 = l2 = None
    for t in (type_text, subtype_text):
        if not t:
            continue
        if t.upper() in CategoryL1.__members__:
            l1 = t.upper()
        elif t in CategoryL2.__members__ or t in L2_NAMES:
            l2 = L2_NAMES.get(t, t)
        elif t in L1_NAMES:
            l1 = L1_NAMES[t]
        else:
            out.errors.append(
                (
                    "type" if t == type_text else "subtype",
                    _l(
                        "Unknown outfall type: %(v)s (write GY, SH, NY, YH or QT, or the "
                        "type's name as in HJ 1235, e.g. 工业排污口).",
                        v=t,
                    ),
                )
            )
    if l2 and not l1:
        l1 = CategoryL2(l2).l1.value
    if l1 is None and not out.errors:
        out.errors.append(("type", _l("Enter the outfall type.")))
    out.values["category_l1"] = l1 or "QT"
    out.values["category_l2"] = l2

    try:
        lat, lat_notes = n.parse_angle(cells.get("lat"))
        lon, lon_notes = n.parse_angle(cells.get("lon"))
        out.notes += [("lat", x) for x in lat_notes] + [("lon", x) for x in lon_notes]
        row_crs = n.parse_crs(cells.get("crs")) or crs
        if lat is not None and lon is not None:
            lat, lon, swapped = n.fix_swapped(lat, lon)
            lat, lon, converted = n.to_wgs84(lat, lon, row_crs)
            out.notes += [("lat", x) for x in swapped + converted]
        elif (lat is None) != (lon is None):
            out.errors.append(
                ("lat" if lat is None else "lon", _l("Enter both latitude and longitude."))
            )
    except n.Unreadable as exc:
        key = "crs" if exc.kind == "crs" else "lat"
        out.errors.append((key, _l("Cannot read this value: %(v)s", v=str(exc.raw))))
        lat = lon = None
    out.values["lat"], out.values["lon"] = lat, lon

    region = text("region")
    out.values["region_id"] = _region(region, lookups) if region else None
    if out.values["region_id"] is None:
        out.errors.append(
            ("region", _l("Unknown region: %(v)s", v=region) if region else _l("Enter the region."))
        )

    kind_text = text("water_kind")
    water, water_code = text("water_body"), normalise_code_or_none(cells.get("water_code"))
    kind = KIND_NAMES.get(kind_text.lower()) if kind_text else None
    if kind_text and kind is None:
        out.errors.append(("water_kind", _l("Write 入河 or 入海.")))
    water_id, is_sea = None, False
    if water_code and water_code in lookups.waters_by_code:
        water_id = lookups.waters_by_code[water_code]
        registered, is_sea = lookups.waters_by_id.get(water_id, ("", False))
        if water and water != registered:
            if water in lookups.waters_by_name:
                # The sheet names another water body than its code: which did it mean?
                out.errors.append(
                    (
                        "water_body",
                        _l(
                            "%(name)s is not the water body with code %(code)s (%(other)s): "
                            "correct the name or the code.",
                            name=water,
                            code=water_code,
                            other=registered,
                        ),
                    )
                )
            else:  # a name the registry does not know: the code says which it is
                out.notes.append(("water_body", n.Note("water_by_code", water, registered)))
    elif water:
        found = lookups.waters_by_name.get(water, [])
        if len(found) == 1:
            water_id, is_sea = found[0]
        elif len(found) > 1:
            out.errors.append(
                ("water_body", _l("Several water bodies have this name: give its code."))
            )
        elif create_waters:
            out.new_water = water
        else:
            out.errors.append(
                (
                    "water_body",
                    _l("Unknown water body: %(v)s (it can be created on import).", v=water),
                )
            )
    else:
        out.errors.append(("water_body", _l("Enter the receiving water.")))
    out.values["water_body_id"] = water_id or 0
    out.values["water_kind"] = kind or (WaterKind.sea.value if is_sea else WaterKind.river.value)

    names = n.split_list(text("responsible"))
    codes = n.split_list(text("credit_code"))
    for i, name in enumerate(names):
        credit = codes[i] if i < len(codes) else None
        if credit:
            try:
                credit = uscc.validate(credit)
            except ValidationError:
                out.errors.append(("credit_code", _l("Not a valid unified social credit code.")))
        out.entities.append((name, credit))
    out.management = text("management")

    dept = text("department")
    out.values["supervising_department_id"] = lookups.departments.get(dept) if dept else None
    if dept and out.values["supervising_department_id"] is None:
        out.errors.append(("department", _l("Unknown department: %(v)s", v=dept)))

    channel = text("channel")
    out.values["channel_kind"] = CHANNEL_NAMES.get(channel) or (
        channel if channel in ChannelKind.__members__ else None
    )
    if channel and out.values["channel_kind"] is None:
        out.errors.append(("channel", _l("Unknown discharge channel.")))

    out.values["signboard_installed_on"] = date_cell("signboard_on")
    _records(out, text, date_cell)
    return out


def _records(out: RowResult, text, date_cell) -> None:
    """The decision and the plan a row names (written by imports.records)."""
    number, decided = text("approval_no"), date_cell("approval_date")
    authority = text("approval_authority")
    if number and decided is None and ("approval_date", _l("Not a date.")) not in out.errors:
        out.errors.append(("approval_date", _l("Enter the date of the decision.")))
    elif decided is not None and not number:
        out.errors.append(("approval_no", _l("Enter the decision number.")))
    if number:
        out.decision = (number, decided, authority)
    category, deadline = (
        text("remediation_category"),
        date_cell("remediation_deadline", n.parse_deadline),
    )
    if category:
        code = CATEGORY_NAMES.get(category) or (
            category.lower() if category.lower() in RemediationCategory.__members__ else None
        )
        if code is None:
            out.errors.append(
                ("remediation_category", _l("Write 依法取缔, 清理合并, 规范整治 or 保留."))
            )
        else:
            out.plan = (code, deadline)
    status = text("remediation_status")
    if status:
        out.plan_status = STATUS_NAMES.get(status) or (
            status.lower() if status.lower() in RemediationStatus.__members__ else None
        )
        if out.plan_status is None:
            out.errors.append(("remediation_status", _l("Unknown remediation status.")))


def normalise_code_or_none(value: Any) -> str | None:
    code, _notes = n.clean_code(value)
    return code or None
