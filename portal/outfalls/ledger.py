"""The registry's one way in (一口一档, 动态更新): every door — the /manage/ forms, the
spreadsheet import, the API — creates, edits and retires outfalls, entities and water
bodies here, with field-by-field history written in the same transaction.

Services flush, never commit. A refusal is a `UserError` with the form field it belongs
to; nothing is stored (the caller rolls back). Codes: a code once used is never reused.
A code may be corrected on edit; the old code is kept in `outfall_former_codes`, so it is
refused to every other outfall and `/o/<old>` still resolves to the outfall.
"""

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.orm.exc import StaleDataError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from ..agencies.models import Department, StaffMember
from ..core.bulk import insert_rows, note_regions
from ..core.clock import local_today, utcnow
from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..core.geo import box_around, distance_m, in_china
from ..extensions import db
from ..geo.models import Region, RegionLevel, WaterBody, WaterBodyKind
from . import history
from .access import keeps_whole_registry, may_edit, may_retire
from .models import (
    CategoryL1,
    CategoryL2,
    ChannelKind,
    Entity,
    FormerCode,
    LedgerEntry,
    Outfall,
    OutfallResponsibility,
    OutfallStatus,
    WaterKind,
)
from .standards import STANDARDS

# --- Input shapes ------------------------------------------------------------------------


def _enum(kind, value):
    """An enum member from a member or its value; the raw value when it is none (check
    then refuses it next to its field)."""
    if value is None or value == "" or isinstance(value, kind):
        return value or None
    try:
        # The value map first: the enum's call is slow enough to show in a 100k import.
        return kind._value2member_map_.get(value) or kind(value)
    except (ValueError, TypeError):
        return value


@dataclass
class OutfallData:
    """Every 一口一档 field of an outfall that a person or a spreadsheet sets."""

    code: str
    name: str
    category_l1: CategoryL1
    category_l2: CategoryL2 | None
    water_kind: WaterKind
    lat: float | None
    lon: float | None
    address: str
    region_id: int
    water_body_id: int
    # First = primary (责任主体); empty: the district government (政府兜底).
    responsible_entity_ids: list[int] = field(default_factory=list)
    management_entity_id: int | None = None
    supervising_department_id: int | None = None
    channel_kind: ChannelKind | None = None
    signboard_installed_on: date | None = None
    local_code: str | None = None
    standard_code: str | None = None

    def __post_init__(self):
        self.code = normalise_code(self.code or "")
        self.name = (self.name or "").strip()
        self.address = (self.address or "").strip()
        self.local_code = (self.local_code or "").strip() or None
        self.standard_code = self.standard_code or None
        self.category_l1 = _enum(CategoryL1, self.category_l1)
        self.category_l2 = _enum(CategoryL2, self.category_l2)
        self.water_kind = _enum(WaterKind, self.water_kind)
        self.channel_kind = _enum(ChannelKind, self.channel_kind)
        self.responsible_entity_ids = list(self.responsible_entity_ids or [])

    @classmethod
    def from_outfall(cls, outfall: Outfall) -> "OutfallData":
        """What an outfall holds now, as input (the edit form's first values)."""
        return cls(
            code=outfall.code,
            name=outfall.name,
            category_l1=outfall.category_l1,
            category_l2=outfall.category_l2,
            water_kind=outfall.water_kind,
            lat=outfall.lat,
            lon=outfall.lon,
            address=outfall.address,
            region_id=outfall.region_id,
            water_body_id=outfall.water_body_id,
            responsible_entity_ids=[link.entity_id for link in outfall.responsible_links],
            management_entity_id=outfall.management_entity_id,
            supervising_department_id=outfall.supervising_department_id,
            channel_kind=outfall.channel_kind,
            signboard_installed_on=outfall.signboard_installed_on,
            local_code=outfall.local_code,
            standard_code=outfall.standard_code,
        )


class BoundaryWarning(UserError):
    """The point lies far from the chosen region: confirmable (`confirm_boundary=True`)."""

    warning = True


class EditConflict(UserError):
    """Someone saved the outfall since the form was opened; `.meanwhile` holds their
    changes (from the history), `.current_version` the version to save against."""

    def __init__(self, meanwhile: list[dict[str, Any]], current_version: int):
        super().__init__(
            _l(
                "Someone else saved this outfall while you were editing it. Their changes "
                "are shown beside yours, which are kept: check them and save again."
            )
        )
        self.meanwhile = meanwhile
        self.current_version = current_version


# Fields of an outfall's history; all public except the version.
OUTFALL_FIELDS = (
    "code",
    "local_code",
    "name",
    "category_l1",
    "category_l2",
    "water_kind",
    "lat",
    "lon",
    "address",
    "region",
    "water_body",
    "responsible_entities",
    "management_entity",
    "supervising_department",
    "channel_kind",
    "signboard_installed_on",
    "standard_code",
    "status",
    "status_since",
    "status_decision_no",
    "merged_into",
)
ENTITY_FIELDS = ("name", "credit_code", "permit_no", "industry", "phone")
ENTITY_PUBLIC = frozenset({"name", "credit_code", "permit_no", "industry"})
WATER_FIELDS = ("code", "name", "name_en", "kind", "target_class", "parent")

# HJ 1235: <water><6-digit region><type letters><serial>; segment lengths are unverified.
_SEGMENTS = re.compile(
    r"^(?P<water>[A-Z0-9]*?)(?P<region>\d{6})(?P<type>GY|SH|NY|YH|QT)(?P<serial>\d{1,8})$"
)
_PHONE = re.compile(r"^[0-9+\-() ]{3,40}$")
_AREA_LOCAL = re.compile(r"^0\d{2,3}[- ]?(\d+)$")
SEA_CLASSES = {"第一类": "第一类", "第二类": "第二类", "第三类": "第三类", "第四类": "第四类"}
SEA_CLASSES.update({k[1:]: v for k, v in SEA_CLASSES.items()})
SEA_CLASSES.update({"I": "第一类", "II": "第二类", "III": "第三类", "IV": "第四类"})
INLAND_CLASSES = ("I", "II", "III", "IV", "V")


def segments(code: str) -> tuple[str, str, str, str]:
    """(water, region, type, serial) of a structured code; empty strings for a legacy one."""
    match = _SEGMENTS.match(code)
    if not match:
        return "", "", "", ""
    return match["water"], match["region"], match["type"], match["serial"]


# --- Checks ------------------------------------------------------------------------------


def _ref(obj, label: str | None = None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.id, "name": label if label is not None else obj.name}


def government_name(region: Region) -> str:
    """The district or county government (人民政府) of a region: 政府兜底."""
    county = region
    while county.level is RegionLevel.township and county.parent is not None:
        county = county.parent
    parent = county.parent
    if county.name.endswith("区") and parent is not None and parent.level is RegionLevel.city:
        return f"{parent.name}{county.name}人民政府"
    return f"{county.name}人民政府"


def _region_ids_under(region_id: int) -> set[int]:
    ids, frontier = {region_id}, {region_id}
    while frontier:
        frontier = set(db.session.scalars(select(Region.id).where(Region.parent_id.in_(frontier))))
        frontier -= ids
        ids |= frontier
    return ids


def _near_region(lat: float, lon: float, region_id: int, outfall_id: int | None) -> bool:
    """Whether the point lies near the region: within the configured distance of another
    outfall of it, or the region has no other outfall to judge by."""
    radius = (
        current_app.config.get("REGISTRY_REGION_NEAR_M", 15_000) if has_app_context() else 15_000
    )
    ids = _region_ids_under(region_id)
    others = select(Outfall.id).where(Outfall.region_id.in_(ids), Outfall.lat.is_not(None))
    if outfall_id is not None:
        others = others.where(Outfall.id != outfall_id)
    if db.session.scalar(others.limit(1)) is None:
        return True
    south, north, west, east = box_around(lat, lon, radius)
    near = db.session.execute(
        select(Outfall.lat, Outfall.lon)
        .where(
            Outfall.id.in_(others),
            Outfall.lat.between(south, north),
            Outfall.lon.between(west, east),
        )
        .limit(50)
    ).all()
    return any(distance_m(lat, lon, a, b) <= radius for a, b in near)


class Ref(NamedTuple):
    """A registry row as the rules and the history need it: id, name (and for a water,
    whether it is a sea area)."""

    id: int
    name: str
    is_sea: bool = False


class Lookups:
    """What `check` and the history ask of the registry, asked of the database as needed.

    One save from a form asks each question once (the session's identity map keeps the
    rows it read); `BatchLookups` answers a whole batch of spreadsheet rows from a few
    queries. Both answer the same questions, so one set of rules (`check`) serves both.
    """

    def __init__(self):
        self._entities: dict[int, Any] = {}

    def code_owner(self, code: str) -> int | None:
        """The id of the outfall carrying this code now."""
        return db.session.scalar(select(Outfall.id).where(Outfall.code == code))

    def former_owner(self, code: str) -> int | None:
        """The id of the outfall that carried this code before, if any."""
        former = db.session.get(FormerCode, code)
        return former.outfall_id if former is not None else None

    def water(self, water_id: int):
        """The water body (.id, .name, .is_sea), or None."""
        return db.session.get(WaterBody, water_id)

    def region(self, region_id: int):
        """The region (.id, .name), or None."""
        return db.session.get(Region, region_id)

    def department(self, department_id: int):
        """The department (.id, .name), or None."""
        return db.session.get(Department, department_id)

    def entities(self, ids) -> dict[int, Any]:
        """Entity id → entity (.id, .name) for the ids that exist."""
        missing = [i for i in ids if i not in self._entities]
        if missing:
            for e in db.session.scalars(select(Entity).where(Entity.id.in_(missing))):
                self._entities[e.id] = e
        return {i: self._entities[i] for i in ids if i in self._entities}

    def government(self, region_id: int):
        """The district government entity of the region (政府兜底), or None if missing."""
        region = self.region(region_id)
        return find_entity(government_name(region)) if region is not None else None

    def government_name(self, region_id: int) -> str:
        return government_name(self.region(region_id))

    def credit_owner(self, credit_code: str) -> int | None:
        """The id of the entity holding this (valid, compact) credit code."""
        return db.session.scalar(select(Entity.id).where(Entity.credit_code == credit_code))

    def merged_ref(self, outfall: Outfall) -> dict[str, Any] | None:
        merged = outfall.merged_into
        return {"id": merged.id, "name": merged.code} if merged else None

    def near_region(self, lat: float, lon: float, region_id: int, own_id: int | None) -> bool:
        return _near_region(lat, lon, region_id, own_id)


_CELL = 0.1  # degrees: the grid of BatchLookups' near-region test


class BatchLookups(Lookups):
    """`Lookups` for many rows at once (the import): reference data loaded once per file,
    codes and entities once per batch (`prefetch`), the points of a region's outfalls once
    per region, kept in a grid. Holds plain values only, so it survives a commit.

    Rows planned but not yet written are added with `place` (and new waters and entities
    with `plan_water` / `plan_entity`, under negative ids), so a dry run judges each row as
    the apply will, after the rows before it.
    """

    def __init__(self):
        super().__init__()
        self._regions: dict[int, Ref] = {}
        self._children: dict[int, list[int]] = {}
        regions = db.session.scalars(select(Region)).all()
        for r in regions:
            self._regions[r.id] = Ref(r.id, r.name)
            self._children.setdefault(r.parent_id, []).append(r.id)
        # government_name's rule, on plain copies (no lazy load per region).
        plain = {r.id: SimpleNamespace(name=r.name, level=r.level, parent=None) for r in regions}
        for r in regions:
            plain[r.id].parent = plain.get(r.parent_id)
        self._gov_names = {rid: government_name(copy) for rid, copy in plain.items()}
        self._waters = {
            w.id: Ref(w.id, w.name, w.kind is WaterBodyKind.sea)
            for w in db.session.execute(select(WaterBody.id, WaterBody.name, WaterBody.kind))
        }
        self._departments = {
            d.id: Ref(d.id, d.name)
            for d in db.session.execute(select(Department.id, Department.name))
        }
        self._codes: dict[str, int | None] = {}
        self._former: dict[str, int | None] = {}
        self._merged: dict[int, str] = {}
        self._by_credit: dict[str, int | None] = {}
        self._by_name: dict[str, int | None] = {}
        self._planned = 0
        radius = (
            current_app.config.get("REGISTRY_REGION_NEAR_M", 15_000)
            if has_app_context()
            else 15_000
        )
        self.radius = radius
        self._loaded_regions: set[int] = set()
        self._subtrees: dict[int, frozenset[int]] = {}
        self._grid: dict[tuple[int, int], dict[Any, tuple[float, float, int]]] = {}
        self._points: dict[Any, tuple[float, float, int]] = {}
        self._count: dict[int, int] = {}

    # Per batch -------------------------------------------------------------------------
    def prefetch(
        self,
        codes,
        outfalls=(),
        entity_names=(),
        credit_codes=(),
    ) -> None:
        """Load what a batch of rows asks: its codes (now and former), the entities of its
        existing outfalls and those its rows name."""
        codes = [c for c in set(codes) if c and c not in self._codes]
        for start in range(0, len(codes), 500):
            part = codes[start : start + 500]
            found = dict(
                db.session.execute(
                    select(Outfall.code, Outfall.id).where(Outfall.code.in_(part))
                ).all()
            )
            former = dict(
                db.session.execute(
                    select(FormerCode.code, FormerCode.outfall_id).where(FormerCode.code.in_(part))
                ).all()
            )
            for c in part:
                self._codes[c] = found.get(c)
                self._former[c] = former.get(c)
        ids, merged = set(), set()
        for o in outfalls:
            ids.update(link.entity_id for link in o.responsible_links)
            if o.management_entity_id:
                ids.add(o.management_entity_id)
            if o.merged_into_id:
                merged.add(o.merged_into_id)
        merged -= set(self._merged)
        if merged:
            self._merged.update(
                db.session.execute(
                    select(Outfall.id, Outfall.code).where(Outfall.id.in_(merged))
                ).all()
            )
        names = [n for n in set(entity_names) if n and n not in self._by_name]
        credits = [c for c in set(credit_codes) if c and c not in self._by_credit]
        rows = []
        for start in range(0, len(names), 500):
            rows += db.session.execute(
                select(Entity.id, Entity.name, Entity.credit_code).where(
                    Entity.name.in_(names[start : start + 500])
                )
            ).all()
        for start in range(0, len(credits), 500):
            rows += db.session.execute(
                select(Entity.id, Entity.name, Entity.credit_code).where(
                    Entity.credit_code.in_(credits[start : start + 500])
                )
            ).all()
        for n in names:
            self._by_name.setdefault(n, None)
        for c in credits:
            self._by_credit.setdefault(c, None)
        for eid, name, credit in rows:
            self._entities[eid] = Ref(eid, name)
            if name in self._by_name and (self._by_name[name] is None or eid < self._by_name[name]):
                self._by_name[name] = eid
            if credit:
                self._by_credit[credit] = eid
        missing = [i for i in ids if i not in self._entities]
        for start in range(0, len(missing), 500):
            for eid, name in db.session.execute(
                select(Entity.id, Entity.name).where(Entity.id.in_(missing[start : start + 500]))
            ):
                self._entities[eid] = Ref(eid, name)

    # Lookups ---------------------------------------------------------------------------
    def code_owner(self, code):
        if code not in self._codes:
            self.prefetch([code])
        return self._codes[code]

    def former_owner(self, code):
        if code not in self._former:
            self.prefetch([code])
        return self._former[code]

    def water(self, water_id):
        return self._waters.get(water_id)

    def region(self, region_id):
        return self._regions.get(region_id)

    def department(self, department_id):
        return self._departments.get(department_id)

    def entities(self, ids):
        missing = [i for i in ids if i not in self._entities and i > 0]
        if missing:
            for eid, name in db.session.execute(
                select(Entity.id, Entity.name).where(Entity.id.in_(missing))
            ):
                self._entities[eid] = Ref(eid, name)
        return {i: self._entities[i] for i in ids if i in self._entities}

    def government(self, region_id):
        name = self._gov_names.get(region_id)
        if name is None:
            return None
        eid = self.find_entity(name, None)
        return self._entities.get(eid) if eid is not None else None

    def government_name(self, region_id):
        return self._gov_names[region_id]

    def merged_ref(self, outfall):
        if outfall.merged_into_id is None:
            return None
        return {"id": outfall.merged_into_id, "name": self._merged[outfall.merged_into_id]}

    def credit_owner(self, credit_code):
        return self.find_entity("", credit_code)

    def find_entity(self, name: str, credit_code: str | None) -> int | None:
        """`find_entity`'s answer (by credit code, else the first with this name), as an id."""
        if credit_code:
            try:
                code = uscc.validate(credit_code.strip().upper())
            except ValidationError:
                return None
            if code not in self._by_credit:
                self.prefetch((), credit_codes=[code])
            return self._by_credit[code]
        name = (name or "").strip()
        if name not in self._by_name:
            self.prefetch((), entity_names=[name])
        return self._by_name[name]

    # What a batch adds -----------------------------------------------------------------
    def _next_planned(self) -> int:
        self._planned -= 1
        return self._planned

    def plan_entity(self, name: str, credit_code: str | None) -> int:
        """A placeholder (negative) id for an entity the apply will create."""
        eid = self._next_planned()
        self.add_entity(eid, name, credit_code)
        return eid

    def add_entity(self, eid: int, name: str, credit_code: str | None) -> None:
        self._entities[eid] = Ref(eid, name)
        if credit_code:
            self._by_credit[credit_code] = eid
        else:
            self._by_name.setdefault(name, eid)
            if self._by_name[name] is None:
                self._by_name[name] = eid

    def plan_water(self, name: str, is_sea: bool) -> int:
        """A placeholder (negative) id for a water body the apply will create."""
        wid = self._next_planned()
        self.add_water(wid, name, is_sea)
        return wid

    def add_water(self, wid: int, name: str, is_sea: bool) -> None:
        self._waters[wid] = Ref(wid, name, is_sea)

    def add_code(self, code: str, outfall_id) -> None:
        self._codes[code] = outfall_id

    # Near the region -------------------------------------------------------------------
    def _subtree(self, region_id: int) -> frozenset[int]:
        found = self._subtrees.get(region_id)
        if found is None:
            ids, frontier = {region_id}, [region_id]
            while frontier:
                step = [c for r in frontier for c in self._children.get(r, ()) if c not in ids]
                ids.update(step)
                frontier = step
            found = self._subtrees[region_id] = frozenset(ids)
            self._load(found)
        return found

    def _load(self, region_ids) -> None:
        todo = list(region_ids - self._loaded_regions)
        self._loaded_regions.update(todo)
        for start in range(0, len(todo), 500):
            for oid, rid, lat, lon in db.session.execute(
                select(Outfall.id, Outfall.region_id, Outfall.lat, Outfall.lon).where(
                    Outfall.region_id.in_(todo[start : start + 500]), Outfall.lat.is_not(None)
                )
            ):
                if oid not in self._points:
                    self._put(oid, lat, lon, rid)

    def _put(self, key, lat: float, lon: float, region_id: int) -> None:
        cell = (math.floor(lat / _CELL), math.floor(lon / _CELL))
        self._grid.setdefault(cell, {})[key] = (lat, lon, region_id)
        self._points[key] = (lat, lon, region_id)
        self._count[region_id] = self._count.get(region_id, 0) + 1

    def _drop(self, key) -> None:
        old = self._points.pop(key, None)
        if old is not None:
            lat, lon, rid = old
            self._grid[(math.floor(lat / _CELL), math.floor(lon / _CELL))].pop(key, None)
            self._count[rid] -= 1

    def place(self, key, lat: float | None, lon: float | None, region_id: int) -> None:
        """The point a planned or written row gives an outfall (key: its id, or any
        key unique in this batch for a row not yet written)."""
        self._subtree(region_id)  # its outfalls loaded
        self._drop(key)
        if lat is not None and lon is not None:
            self._put(key, lat, lon, region_id)

    def near_region(self, lat, lon, region_id, own_id):
        ids = self._subtree(region_id)
        others = sum(self._count.get(r, 0) for r in ids)
        own = self._points.get(own_id) if own_id is not None else None
        if own is not None and own[2] in ids:
            others -= 1
        if others <= 0:
            return True
        south, north, west, east = box_around(lat, lon, self.radius)
        for i in range(math.floor(south / _CELL), math.floor(north / _CELL) + 1):
            for j in range(math.floor(west / _CELL), math.floor(east / _CELL) + 1):
                for key, (a, b, rid) in self._grid.get((i, j), {}).items():
                    if key != own_id and rid in ids and distance_m(lat, lon, a, b) <= self.radius:
                        return True
        return False


def check(
    data: OutfallData,
    *,
    outfall: Outfall | None = None,
    confirm_boundary: bool = False,
    lookups: Lookups | None = None,
) -> list[UserError]:
    """Every problem of `data` (for a new outfall, or as the new state of `outfall`), each
    next to its field; a `BoundaryWarning` unless confirmed. `lookups` answers what the
    rules ask of the registry (default: the database, as needed)."""
    look = lookups or Lookups()
    problems: list[UserError] = []
    add = problems.append
    own_id = outfall.id if outfall is not None else None
    # Code: format, the type letters, uniqueness, never reused.
    if not data.code:
        add(UserError(_l("Enter the outfall code."), "code"))
    elif not is_plausible_code(data.code):
        add(UserError(_l("An outfall code has 4 to 40 letters and digits (HJ 1235)."), "code"))
    else:
        seg_type = segments(data.code)[2]
        if (
            seg_type
            and isinstance(data.category_l1, CategoryL1)
            and seg_type != data.category_l1.value
        ):
            add(
                UserError(
                    _l(
                        "The code's type letters %(seg)s do not match the type %(type)s.",
                        seg=seg_type,
                        type=data.category_l1.value,
                    ),
                    "code",
                )
            )
        if outfall is None or data.code != outfall.code:
            taken = look.code_owner(data.code)
            former = look.former_owner(data.code)
            if taken is not None and taken != own_id:
                add(UserError(_l("Another outfall already has this code."), "code"))
            elif former is not None and former != own_id:
                add(
                    UserError(
                        _l("This code was used before and is never given to another outfall."),
                        "code",
                    )
                )
    if not data.name:
        add(UserError(_l("Enter the outfall's name."), "name"))
    elif len(data.name) > 200:
        add(UserError(_l("At most %(n)s characters.", n=200), "name"))
    if len(data.address) > 200:
        add(UserError(_l("At most %(n)s characters.", n=200), "address"))
    if data.local_code is not None and len(data.local_code) > 40:
        add(UserError(_l("At most %(n)s characters.", n=40), "local_code"))
    # Type and subtype.
    if not isinstance(data.category_l1, CategoryL1):
        add(UserError(_l("Choose the outfall type."), "category_l1"))
    elif data.category_l2 is not None and (
        not isinstance(data.category_l2, CategoryL2) or data.category_l2.l1 is not data.category_l1
    ):
        add(UserError(_l("This subtype does not belong to the chosen type."), "category_l2"))
    if data.channel_kind is not None and not isinstance(data.channel_kind, ChannelKind):
        add(UserError(_l("Choose a discharge channel from the list."), "channel_kind"))
    if data.standard_code is not None and data.standard_code not in STANDARDS:
        add(UserError(_l("Choose a standard from the list."), "standard_code"))
    # River or sea, and the receiving water.
    water = look.water(data.water_body_id) if data.water_body_id else None
    if not isinstance(data.water_kind, WaterKind):
        add(UserError(_l("Choose river or sea."), "water_kind"))
    if water is None:
        add(UserError(_l("Choose the receiving water."), "water_body_id"))
    elif data.water_kind is WaterKind.sea and not water.is_sea:
        add(UserError(_l("A sea outfall drains into a sea area: choose one."), "water_body_id"))
    elif data.water_kind is WaterKind.river and water.is_sea:
        add(
            UserError(
                _l("A river outfall drains into a river, lake, reservoir or canal."),
                "water_body_id",
            )
        )
    region = look.region(data.region_id) if data.region_id else None
    if region is None:
        add(UserError(_l("Choose the region."), "region_id"))
    # Coordinates: both or neither, in China, near the region.
    if (data.lat is None) != (data.lon is None):
        add(UserError(_l("Enter both latitude and longitude, or neither."), "lat"))
    elif data.lat is not None:
        if not (math.isfinite(data.lat) and math.isfinite(data.lon)) or not in_china(
            data.lat, data.lon
        ):
            add(
                UserError(
                    _l("These coordinates are not in China (WGS84: latitude, then longitude)."),
                    "lat",
                )
            )
        elif (
            region is not None
            and not confirm_boundary
            and not look.near_region(data.lat, data.lon, region.id, own_id)
        ):
            add(
                BoundaryWarning(
                    _l(
                        "This point lies far from the other outfalls of %(region)s. If the "
                        "outfall really sits on a boundary, confirm it; otherwise correct "
                        "the coordinates or the region.",
                        region=region.name,
                    ),
                    "lat",
                )
            )
    # Responsibility.
    if (
        data.supervising_department_id is not None
        and look.department(data.supervising_department_id) is None
    ):
        add(UserError(_l("Choose the supervising department."), "supervising_department_id"))
    ids = data.responsible_entity_ids
    if len(set(ids)) != len(ids):
        add(UserError(_l("Each responsible entity once."), "responsible_entity_ids"))
    elif ids and len(look.entities(ids)) != len(ids):
        add(UserError(_l("No such entity: create it first."), "responsible_entity_ids"))
    if data.management_entity_id is not None and not look.entities([data.management_entity_id]):
        add(UserError(_l("No such entity: create it first."), "management_entity_id"))
    if data.signboard_installed_on is not None and data.signboard_installed_on > local_today():
        add(UserError(_l("This date is in the future."), "signboard_installed_on"))
    return problems


def _refuse(problems: list[UserError]) -> None:
    """Raise the first real error, else the first warning."""
    errors = [p for p in problems if not p.warning] or problems
    if errors:
        raise errors[0]


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_l("Say why (the public history shows it)."), "reason")
    return reason


# --- Outfalls ----------------------------------------------------------------------------


def _government(region: Region, *, actor, source: str, now) -> Entity:
    """The government entity of the region, created (with its history) if missing."""
    name = government_name(region)
    entity = find_entity(name)
    if entity is None:
        entity = Entity(name=name, credit_code=None, industry="", phone="")
        db.session.add(entity)
        db.session.flush()
        _record_entity(
            entity,
            "created",
            {},
            actor=actor,
            reason=str(_l("Government responsibility (政府兜底)")),
            source=source,
            now=now,
        )
    return entity


def _values(
    data: OutfallData, status: dict[str, Any] | None = None, lookups: Lookups | None = None
) -> dict[str, Any]:
    """The history form of `data`: references as {"id", "name"}."""
    look = lookups or Lookups()
    region = look.region(data.region_id)
    water = look.water(data.water_body_id)
    wanted = list(data.responsible_entity_ids)
    if data.management_entity_id:
        wanted.append(data.management_entity_id)
    entities = look.entities(wanted)
    responsible = [_ref(entities.get(i)) for i in data.responsible_entity_ids]
    if not responsible and region is not None:
        gov = look.government(region.id)
        responsible = [_ref(gov) if gov else {"id": None, "name": look.government_name(region.id)}]
    values = {
        "code": data.code,
        "local_code": data.local_code,
        "name": data.name,
        "category_l1": data.category_l1,
        "category_l2": data.category_l2,
        "water_kind": data.water_kind,
        "lat": data.lat,
        "lon": data.lon,
        "address": data.address,
        "region": _ref(region),
        "water_body": _ref(water),
        "responsible_entities": responsible,
        "management_entity": _ref(
            entities.get(data.management_entity_id) if data.management_entity_id else None
        ),
        "supervising_department": _ref(
            look.department(data.supervising_department_id)
            if data.supervising_department_id
            else None
        ),
        "channel_kind": data.channel_kind,
        "signboard_installed_on": data.signboard_installed_on,
        "standard_code": data.standard_code,
    }
    values.update(status or {})
    # The references are built plain above (`_ref`: ids and names); the rest may hold
    # enums and dates.
    return {k: v if type(v) in history.FORMED else history.plain(v) for k, v in values.items()}


def _status(outfall: Outfall, lookups: Lookups | None = None) -> dict[str, Any]:
    return {
        "status": outfall.status,
        "status_since": outfall.status_since,
        "status_decision_no": outfall.status_decision_no or "",
        "merged_into": (lookups or Lookups()).merged_ref(outfall),
    }


_NEW_STATUS = {
    "status": OutfallStatus.in_service,
    "status_since": None,
    "status_decision_no": "",
    "merged_into": None,
}


def _snapshot(outfall: Outfall, lookups: Lookups | None = None) -> dict[str, Any]:
    look = lookups or Lookups()
    return _values(OutfallData.from_outfall(outfall), _status(outfall, look), look)


def _diff(before, after) -> list[dict[str, Any]]:
    return history.diff(before, after, public=set(OUTFALL_FIELDS))


def _record_outfall(outfall, action, changes, *, actor, reason, source, now) -> LedgerEntry:
    return history.record(
        chain=history.outfall_chain(outfall.id),
        subject_kind="outfall",
        subject_id=outfall.id,
        outfall_id=outfall.id,
        action=action,
        changes=changes,
        reason=reason,
        actor=actor,
        source=source,
        now=now,
    )


_COLUMNS = (
    "code",
    "name",
    "category_l1",
    "category_l2",
    "water_kind",
    "lat",
    "lon",
    "address",
    "region_id",
    "water_body_id",
    "management_entity_id",
    "supervising_department_id",
    "channel_kind",
    "signboard_installed_on",
    "local_code",
    "standard_code",
)


def _columns(data: OutfallData) -> dict[str, Any]:
    """The outfall's columns that `data` sets (the code's segments included)."""
    values = {name: getattr(data, name) for name in _COLUMNS}
    (values["seg_water"], values["seg_region"], values["seg_type"], values["seg_serial"]) = (
        segments(data.code)
    )
    return values


def _responsible_ids(data: OutfallData, *, actor, source, now) -> list[int]:
    """The responsible entities, or the district government's (created if missing)."""
    return list(data.responsible_entity_ids) or [
        _government(db.session.get(Region, data.region_id), actor=actor, source=source, now=now).id
    ]


def _unlink(outfall: Outfall, ids: list[int]) -> dict[int, OutfallResponsibility] | None:
    """First half of relinking: drop links not in `ids`, no primary left (flush next, so
    there is no moment with two primaries: a unique index); None when nothing changes."""
    if [link.entity_id for link in outfall.responsible_links] == ids:
        return None
    kept = {link.entity_id: link for link in outfall.responsible_links if link.entity_id in ids}
    for link in list(outfall.responsible_links):
        if link.entity_id not in kept:
            outfall.responsible_links.remove(link)
        link.is_primary = False
    return kept


def _relink(outfall: Outfall, ids: list[int], kept: dict[int, OutfallResponsibility]) -> None:
    for position, entity_id in enumerate(ids):
        link = kept.get(entity_id) or OutfallResponsibility(entity_id=entity_id)
        link.is_primary = position == 0
        if entity_id not in kept:
            outfall.responsible_links.append(link)


def _apply(outfall: Outfall, data: OutfallData, *, actor, source, now) -> None:
    for name, value in _columns(data).items():
        setattr(outfall, name, value)
    ids = _responsible_ids(data, actor=actor, source=source, now=now)
    kept = _unlink(outfall, ids)
    if kept is None:
        return
    if outfall.id is not None:
        db.session.flush()  # no moment with two primaries (a unique index)
    _relink(outfall, ids, kept)


def _may_keep(actor: StaffMember | None, data: OutfallData, outfall: Outfall | None) -> None:
    if actor is None or keeps_whole_registry(actor):
        return
    if outfall is not None and not may_edit(actor, outfall):
        raise UserError(_l("You may not edit this outfall."))
    if data.supervising_department_id != actor.department_id:
        raise UserError(
            _l("Your department's outfalls stay supervised by your department."),
            "supervising_department_id",
        )


def create(
    data: OutfallData,
    *,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    confirm_boundary: bool = False,
    now: datetime | None = None,
) -> Outfall:
    """Add an outfall with its history entry.

    Raises:
        UserError: the first problem `check` finds, a missing reason, or an actor who may
            not supervise it (nothing is stored).
    """
    reason = _need_reason(reason)
    _may_keep(actor, data, None)
    look = Lookups()
    _refuse(check(data, confirm_boundary=confirm_boundary, lookups=look))
    now = now or utcnow()
    outfall = Outfall(status=OutfallStatus.in_service, created_at=now, updated_at=now)
    _apply(outfall, data, actor=actor, source=source, now=now)
    db.session.add(outfall)
    db.session.flush()
    _record_outfall(
        outfall,
        "created",
        _diff({}, _snapshot(outfall, look)),
        actor=actor,
        reason=reason,
        source=source,
        now=now,
    )
    return outfall


def changes_for(
    outfall: Outfall, data: OutfallData, lookups: Lookups | None = None
) -> list[dict[str, Any]]:
    """What `update` would change (field, old, new, public), writing nothing."""
    if OutfallData.from_outfall(outfall) == data:
        return []  # the history form is a function of the data: nothing would differ
    look = lookups or Lookups()
    return _diff(_snapshot(outfall, look), _values(data, _status(outfall, look), look))


def meanwhile(outfall_id: int, since_version: int) -> list[dict[str, Any]]:
    """The outfall's own changes saved after `since_version`, oldest first, each with
    when ("at") and the department ("department_id") from the history."""
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.chain == history.outfall_chain(outfall_id),
            LedgerEntry.subject_kind == "outfall",
        )
        .order_by(LedgerEntry.seq.desc())
        .limit(100)
    ).all()
    found = []
    for entry in entries:
        version = next((c for c in entry.changes if c["field"] == "version"), None)
        if version is None or (version["new"] or 0) <= since_version:
            break
        found.append(entry)
    return [
        {**change, "at": entry.created_at.isoformat(), "department_id": entry.department_id}
        for entry in reversed(found)
        for change in entry.changes
        if change["field"] != "version"
    ]


def _conflict(outfall_id: int, since_version: int) -> EditConflict:
    current = db.session.scalar(select(Outfall.version).where(Outfall.id == outfall_id))
    return EditConflict(meanwhile(outfall_id, since_version), current or since_version)


def _save(
    outfall: Outfall, action: str, mutate, *, actor, reason, source, now, lookups=None
) -> list[dict[str, Any]]:
    """Apply `mutate` to the outfall and flush it (version + 1, or a conflict), then write
    its entry; nothing when it changes nothing."""
    old_version, outfall_id = outfall.version, outfall.id
    look = lookups or Lookups()
    try:
        with db.session.no_autoflush:
            before = _snapshot(outfall, look)
            outfall.updated_at = (
                now  # the row is updated (and its version checked) whatever changed
            )
            mutate()
        db.session.flush()
        changes = _diff(before, _snapshot(outfall, look))
    except StaleDataError:
        db.session.rollback()
        raise _conflict(outfall_id, old_version) from None
    version = {"field": "version", "old": old_version, "new": outfall.version, "public": False}
    _record_outfall(
        outfall, action, [*changes, version], actor=actor, reason=reason, source=source, now=now
    )
    return changes


def update(
    outfall: Outfall,
    data: OutfallData,
    *,
    actor: StaffMember | None,
    reason: str,
    expected_version: int,
    source: str = "form",
    confirm_boundary: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Change an outfall to `data`; returns the changes written (none: nothing written).

    Raises:
        EditConflict: the outfall was saved since `expected_version` (also when another
            transaction wins the race at flush; the session is then rolled back).
        UserError: the first problem `check` finds, a missing reason, or an actor who may
            not edit it.
    """
    if expected_version != outfall.version:
        raise _conflict(outfall.id, expected_version)
    reason = _need_reason(reason)
    _may_keep(actor, data, outfall)
    look = Lookups()
    _refuse(check(data, outfall=outfall, confirm_boundary=confirm_boundary, lookups=look))
    if not changes_for(outfall, data, look):
        return []
    now = now or utcnow()
    old_code = outfall.code

    def mutate():
        _retire_code(outfall, old_code, data.code, now)
        _apply(outfall, data, actor=actor, source=source, now=now)

    return _save(
        outfall,
        "updated",
        mutate,
        actor=actor,
        reason=reason,
        source=source,
        now=now,
        lookups=look,
    )


def _retire_code(outfall: Outfall, old_code: str, new_code: str, now: datetime) -> None:
    """A corrected code: the old one kept (never reused), a former one taken back."""
    if new_code == old_code:
        return
    returning = db.session.get(FormerCode, new_code)
    if returning is not None:
        db.session.delete(returning)
    db.session.add(FormerCode(code=old_code, outfall_id=outfall.id, retired_at=now))


# --- Many rows at once (the import) --------------------------------------------------------


@dataclass
class Plan:
    """One row's verdict before anything is written: its problems, or what it changes."""

    data: OutfallData
    outfall: Outfall | None
    problems: list[UserError]
    changes: list[dict[str, Any]] = field(default_factory=list)


def plan(
    data: OutfallData,
    *,
    outfall: Outfall | None,
    actor: StaffMember | None,
    confirm_boundary: bool,
    lookups: BatchLookups,
    key: Any,
) -> Plan:
    """`create`'s or `update`'s checks for one row of a batch, writing nothing. An accepted
    row's point joins `lookups` (under `key`), so the rows after it are judged with it."""
    problems: list[UserError] = []
    try:
        _may_keep(actor, data, outfall)
    except UserError as exc:
        problems.append(exc)
    problems += check(data, outfall=outfall, confirm_boundary=confirm_boundary, lookups=lookups)
    if problems:
        return Plan(data, outfall, problems)
    changes = changes_for(outfall, data, lookups) if outfall is not None else []
    if outfall is None or changes:
        lookups.place(
            outfall.id if outfall is not None else key, data.lat, data.lon, data.region_id
        )
    return Plan(data, outfall, [], changes)


def _government_id(region_id: int, lookups: BatchLookups, *, actor, source, now) -> int:
    found = lookups.government(region_id)
    if found is not None:
        return found.id
    made = _government(db.session.get(Region, region_id), actor=actor, source=source, now=now)
    lookups.add_entity(made.id, made.name, None)
    return made.id


def write_batch(
    plans: list[Plan],
    *,
    actor: StaffMember | None,
    reason: str,
    lookups: BatchLookups,
    source: str = "import",
    now: datetime | None = None,
    entries: list[dict[str, Any]] | None = None,
) -> list[int]:
    """Write the accepted plans of a batch as `create` and `update` would, in a few
    statements: bulk inserts of the new outfalls and their links, one flush of the
    changed ones, their history entries in one insert (`history.record_many`; with
    `entries`, appended to it for the caller to record together with its own). Returns
    the new outfalls' ids. Plans with problems or without changes are skipped.

    Raises:
        EditConflict: someone saved one of the changed outfalls since it was read (the
            session is rolled back).
    """
    reason = _need_reason(reason)
    now = now or utcnow()
    creates = [p for p in plans if p.outfall is None and not p.problems]
    updates = [p for p in plans if p.outfall is not None and not p.problems and p.changes]
    gov: dict[int, int] = {}

    def responsible(data: OutfallData) -> list[int]:
        if data.responsible_entity_ids:
            return list(data.responsible_entity_ids)
        if data.region_id not in gov:
            gov[data.region_id] = _government_id(
                data.region_id, lookups, actor=actor, source=source, now=now
            )
        return [gov[data.region_id]]

    deferred = entries is not None
    entries = entries if entries is not None else []
    new_ids: list[int] = []
    if creates:
        linked = [responsible(p.data) for p in creates]
        rows = [
            {
                **_columns(p.data),
                "status": OutfallStatus.in_service,
                "status_decision_no": "",
                "is_demo": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for p in creates
        ]
        # One executemany; the new ids then by code (unique), in one query: portable and
        # far faster than RETURNING row by row.
        # Core inserts (the ORM's bulk mode adds its own work per row).
        insert_rows(db.session, Outfall.__table__, rows)
        note_regions(db.session, {row["region_id"] for row in rows})  # the progress rollup
        codes = [row["code"] for row in rows]
        by_code = dict(
            db.session.execute(
                select(Outfall.code, Outfall.id).where(Outfall.code.in_(codes))
            ).all()
        )
        new_ids = [by_code[code] for code in codes]
        insert_rows(
            db.session,
            OutfallResponsibility.__table__,
            [
                {"outfall_id": oid, "entity_id": eid, "is_primary": position == 0}
                for oid, ids in zip(new_ids, linked, strict=True)
                for position, eid in enumerate(ids)
            ],
        )
        for oid, p, ids in zip(new_ids, creates, linked, strict=True):
            data = p.data
            if data.responsible_entity_ids != ids:  # the district government's, filled in
                data = replace(data, responsible_entity_ids=ids)
            lookups.add_code(data.code, oid)
            entries.append(
                {
                    "chain": history.outfall_chain(oid),
                    "subject_kind": "outfall",
                    "subject_id": oid,
                    "outfall_id": oid,
                    "action": "created",
                    "changes": _diff({}, _values(data, _NEW_STATUS, lookups)),
                    "fresh": True,
                }
            )
    if updates:
        versions, relinks = {}, []
        try:
            with db.session.no_autoflush:
                for p in updates:
                    outfall = p.outfall
                    versions[outfall.id] = outfall.version
                    _retire_code(outfall, outfall.code, p.data.code, now)
                    for name, value in _columns(p.data).items():
                        setattr(outfall, name, value)
                    outfall.updated_at = now
                    ids = responsible(p.data)
                    kept = _unlink(outfall, ids)
                    if kept is not None:
                        relinks.append((outfall, ids, kept))
            db.session.flush()
        except StaleDataError:
            db.session.rollback()
            raise EditConflict([], 0) from None
        for outfall, ids, kept in relinks:
            _relink(outfall, ids, kept)
        if relinks:
            db.session.flush()
        for p in updates:
            outfall = p.outfall
            version = {
                "field": "version",
                "old": versions[outfall.id],
                "new": outfall.version,
                "public": False,
            }
            entries.append(
                {
                    "chain": history.outfall_chain(outfall.id),
                    "subject_kind": "outfall",
                    "subject_id": outfall.id,
                    "outfall_id": outfall.id,
                    "action": "updated",
                    "changes": [*p.changes, version],
                }
            )
    if not deferred:
        history.record_many(entries, actor=actor, reason=reason, source=source, now=now)
    if new_ids:
        from ..search.hooks import outfalls_changed

        outfalls_changed(db.session, new_ids)
    return new_ids


def find_by_former_code(code: str) -> Outfall | None:
    """The outfall that once carried `code` (for /o/<old code>)."""
    former = db.session.get(FormerCode, code) if is_plausible_code(code) else None
    return db.session.get(Outfall, former.outfall_id) if former else None


# --- Retiring ----------------------------------------------------------------------------


def stormwater_rule() -> str:
    """The citation of the rule that stormwater outfalls are not merged or blocked."""
    return current_app.config["REMEDIATION_STORMWATER_RULE"]


def stormwater_refusal(outfall: Outfall, field: str | None = None) -> UserError | None:
    """The refusal to merge or block (取缔) a stormwater outfall, with the rule's citation;
    None for other outfalls. One rule for the ledger's merge and ban and the remediation
    plans (取缔 / 清理合并)."""
    if not outfall.is_stormwater:
        return None
    return UserError(
        _l("A stormwater outfall must not be merged or blocked: %(rule)s", rule=stormwater_rule()),
        field,
    )


def _retiring(outfall: Outfall, actor, reason: str, on: date | None) -> tuple[str, date]:
    if actor is not None and not may_retire(actor):
        raise UserError(_l("Only the coordinator may merge, ban or close an outfall."))
    if outfall.status is not OutfallStatus.in_service:
        raise UserError(_l("This outfall is no longer in service."))
    on = on or local_today()
    if on > local_today():
        raise UserError(_l("This date is in the future."), "on")
    return _need_reason(reason), on


def merge(
    outfall: Outfall,
    target: Outfall,
    *,
    actor: StaffMember | None,
    reason: str,
    on: date | None = None,
    source: str = "form",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Merge `outfall` into `target` (清理合并); outfalls merged into it follow to `target`.

    Raises:
        UserError: not the coordinator, either outfall not in service, itself, a cycle.
    """
    reason, on = _retiring(outfall, actor, reason, on)
    if refusal := stormwater_refusal(outfall):
        raise refusal
    if target is None or target.id == outfall.id:
        raise UserError(_l("Choose another outfall to merge into."), "target")
    if target.status is not OutfallStatus.in_service:
        raise UserError(_l("The outfall merged into must be in service."), "target")
    seen, step = {outfall.id}, target
    while step is not None:
        if step.id in seen:
            raise UserError(_l("This merge would make a cycle."), "target")
        seen.add(step.id)
        step = step.merged_into
    now = now or utcnow()
    followers = db.session.scalars(
        select(Outfall).where(Outfall.merged_into_id == outfall.id)
    ).all()

    def retire():
        outfall.status, outfall.status_since, outfall.merged_into = OutfallStatus.merged, on, target

    changes = _save(outfall, "merged", retire, actor=actor, reason=reason, source=source, now=now)
    for follower in followers:
        _save(
            follower,
            "merged",
            lambda f=follower: setattr(f, "merged_into", target),
            actor=actor,
            reason=reason,
            source=source,
            now=now,
        )
    return changes


def ban(
    outfall: Outfall,
    *,
    on: date,
    decision_no: str,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Ban (取缔) an outfall on a date by a decision.

    Raises:
        UserError: not the coordinator, not in service, no decision number, a future date.
    """
    reason, on = _retiring(outfall, actor, reason, on)
    if refusal := stormwater_refusal(outfall):
        raise refusal
    decision_no = (decision_no or "").strip()
    if not decision_no or len(decision_no) > 80:
        raise UserError(_l("Enter the decision number (at most 80 characters)."), "decision_no")

    def retire():
        outfall.status, outfall.status_since = OutfallStatus.banned, on
        outfall.status_decision_no = decision_no

    return _save(
        outfall, "banned", retire, actor=actor, reason=reason, source=source, now=now or utcnow()
    )


def close(
    outfall: Outfall,
    *,
    on: date,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Close an outfall (no longer discharging).

    Raises:
        UserError: not the coordinator, not in service, a future date.
    """
    reason, on = _retiring(outfall, actor, reason, on)

    def retire():
        outfall.status, outfall.status_since = OutfallStatus.closed, on

    return _save(
        outfall, "closed", retire, actor=actor, reason=reason, source=source, now=now or utcnow()
    )


# --- Entities ----------------------------------------------------------------------------


@dataclass
class EntityData:
    """A responsible or management entity (责任主体 / 管理主体)."""

    name: str
    credit_code: str | None = None
    permit_no: str | None = None
    industry: str = ""
    phone: str = ""

    def __post_init__(self):
        self.name = (self.name or "").strip()
        self.credit_code = (self.credit_code or "").strip().upper() or None
        self.permit_no = (self.permit_no or "").strip() or None
        self.industry = (self.industry or "").strip()
        self.phone = (self.phone or "").strip()


def _registry_only(actor) -> None:
    if actor is not None and not keeps_whole_registry(actor):
        raise UserError(_l("Only the data officer and the coordinator keep entities and waters."))


def check_entity(
    data: EntityData, *, entity: Entity | None = None, lookups: Lookups | None = None
) -> list[UserError]:
    """Every problem of an entity's data, next to its field."""
    problems = []
    if not data.name or len(data.name) > 120:
        problems.append(UserError(_l("Enter the name (at most 120 characters)."), "name"))
    if data.credit_code:
        try:
            code = uscc.validate(data.credit_code)
        except ValidationError:
            problems.append(UserError(_l("Not a valid unified social credit code."), "credit_code"))
        else:
            other = (lookups or Lookups()).credit_owner(code)
            if other is not None and (entity is None or other != entity.id):
                problems.append(
                    UserError(_l("Another entity has this credit code."), "credit_code")
                )
    if data.permit_no and len(data.permit_no) > 40:
        problems.append(UserError(_l("At most %(n)s characters.", n=40), "permit_no"))
    if len(data.industry) > 80:
        problems.append(UserError(_l("At most %(n)s characters.", n=80), "industry"))
    if data.phone:
        local = _AREA_LOCAL.match(data.phone.replace(" ", ""))
        if not _PHONE.match(data.phone) or (local and local[1].startswith("0")):
            problems.append(
                UserError(_l("Not a phone number (a local number never starts with 0)."), "phone")
            )
    return problems


def _record_entity(entity, action, before, *, actor, reason, source, now) -> list[dict[str, Any]]:
    changes = history.diff(before, history.snapshot(entity, ENTITY_FIELDS), public=ENTITY_PUBLIC)
    if changes or action == "created":
        history.record(
            chain=f"entity:{entity.id}",
            subject_kind="entity",
            subject_id=entity.id,
            action=action,
            changes=changes,
            reason=reason,
            actor=actor,
            source=source,
            now=now,
        )
    return changes


def create_entity(
    data: EntityData,
    *,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> Entity:
    """Add an entity with its history.

    Raises:
        UserError: the first problem `check_entity` finds, a missing reason, not registry staff.
    """
    _registry_only(actor)
    reason = _need_reason(reason)
    _refuse(check_entity(data))
    entity = Entity(**data.__dict__)
    db.session.add(entity)
    db.session.flush()
    _record_entity(entity, "created", {}, actor=actor, reason=reason, source=source, now=now)
    return entity


def create_entities(
    datas: list[EntityData],
    *,
    actor: StaffMember | None,
    reason: str,
    lookups: BatchLookups,
    source: str = "import",
    now: datetime | None = None,
) -> list[int]:
    """`create_entity` for many at once: the same checks, one flush, one history insert.

    Raises:
        UserError: the first problem `check_entity` finds, a missing reason, not registry staff.
    """
    if not datas:
        return []
    _registry_only(actor)
    reason = _need_reason(reason)
    for data in datas:
        _refuse(check_entity(data, lookups=lookups))
    # One executemany (RETURNING would go row by row on SQLite), then the ids: by credit
    # code, else by name; a name `find_entity` did not know is new, and it answers the
    # first entity of a name, as here.
    rows = [
        {
            **data.__dict__,
            "credit_code": uscc.validate(data.credit_code) if data.credit_code else None,
        }
        for data in datas
    ]
    db.session.execute(insert(Entity), rows)
    ids: dict[tuple[str, str | None], int] = {}
    credits = [r["credit_code"] for r in rows if r["credit_code"]]
    names = [r["name"] for r in rows if not r["credit_code"]]
    for start in range(0, len(credits), 500):
        for eid, code in db.session.execute(
            select(Entity.id, Entity.credit_code).where(
                Entity.credit_code.in_(credits[start : start + 500])
            )
        ):
            ids[("", code)] = eid
    for start in range(0, len(names), 500):
        for eid, name in db.session.execute(
            select(Entity.id, Entity.name)
            .where(Entity.name.in_(names[start : start + 500]))
            .order_by(Entity.id.desc())
        ):
            ids[(name, None)] = eid  # the smallest id last
    made = [
        (ids[("", r["credit_code"])] if r["credit_code"] else ids[(r["name"], None)], r)
        for r in rows
    ]
    history.record_many(
        [
            {
                "chain": f"entity:{eid}",
                "subject_kind": "entity",
                "subject_id": eid,
                "action": "created",
                "changes": history.diff(
                    {}, {k: row[k] for k in ENTITY_FIELDS}, public=ENTITY_PUBLIC
                ),
                "fresh": True,
            }
            for eid, row in made
        ],
        actor=actor,
        reason=reason,
        source=source,
        now=now,
    )
    for eid, row in made:
        lookups.add_entity(eid, row["name"], row["credit_code"])
    return [eid for eid, _row in made]


def update_entity(
    entity: Entity,
    data: EntityData,
    *,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Change an entity; returns the changes (the phone stays out of the public history).

    Raises:
        UserError: the first problem `check_entity` finds, a missing reason, not registry staff.
    """
    _registry_only(actor)
    reason = _need_reason(reason)
    _refuse(check_entity(data, entity=entity))
    before = history.snapshot(entity, ENTITY_FIELDS)
    for name, value in data.__dict__.items():
        setattr(entity, name, value)
    db.session.flush()
    return _record_entity(
        entity, "updated", before, actor=actor, reason=reason, source=source, now=now
    )


def find_entity(name: str, credit_code: str | None = None) -> Entity | None:
    """The entity with this credit code, else (no code given) the first with this name."""
    if credit_code:
        try:
            code = uscc.validate(credit_code.strip().upper())
        except ValidationError:
            return None
        return db.session.scalars(select(Entity).where(Entity.credit_code == code)).first()
    return db.session.scalars(
        select(Entity).where(Entity.name == (name or "").strip()).order_by(Entity.id)
    ).first()


# --- Water bodies ------------------------------------------------------------------------


@dataclass
class WaterBodyData:
    """A receiving water: river, lake, reservoir, canal or sea area."""

    name: str
    kind: WaterBodyKind
    code: str | None = None
    name_en: str = ""
    target_class: str | None = None
    parent_id: int | None = None

    def __post_init__(self):
        self.name = (self.name or "").strip()
        self.name_en = (self.name_en or "").strip()
        self.code = normalise_code(self.code or "") or None
        self.kind = _enum(WaterBodyKind, self.kind)
        self.target_class = normalise_code(self.target_class or "") or None


def check_water_body(data: WaterBodyData, *, water: WaterBody | None = None) -> list[UserError]:
    """Every problem of a water body's data, next to its field."""
    problems = []
    if not data.name or len(data.name) > 80:
        problems.append(UserError(_l("Enter the name (at most 80 characters)."), "name"))
    if len(data.name_en) > 120:
        problems.append(UserError(_l("At most %(n)s characters.", n=120), "name_en"))
    if not isinstance(data.kind, WaterBodyKind):
        problems.append(UserError(_l("Choose the kind of water."), "kind"))
    if data.code:
        other = db.session.scalar(select(WaterBody.id).where(WaterBody.code == data.code))
        if len(data.code) > 40:
            problems.append(UserError(_l("At most %(n)s characters.", n=40), "code"))
        elif other is not None and (water is None or other != water.id):
            problems.append(UserError(_l("Another water body has this code."), "code"))
    if data.target_class and isinstance(data.kind, WaterBodyKind):
        allowed = SEA_CLASSES if data.kind is WaterBodyKind.sea else INLAND_CLASSES
        if data.target_class not in allowed:
            problems.append(
                UserError(
                    _l("Sea water classes are 第一类 to 第四类 (GB 3097).")
                    if data.kind is WaterBodyKind.sea
                    else _l("Surface water classes are I to V (GB 3838)."),
                    "target_class",
                )
            )
    if data.parent_id is not None:
        step = db.session.get(WaterBody, data.parent_id)
        if step is None:
            problems.append(UserError(_l("No such water body."), "parent_id"))
        while step is not None:
            if water is not None and step.id == water.id:
                problems.append(UserError(_l("A water body cannot flow into itself."), "parent_id"))
                break
            step = step.parent
    if (
        water is not None
        and isinstance(data.kind, WaterBodyKind)
        and (data.kind is WaterBodyKind.sea) != water.is_sea
    ):
        kind = WaterKind.river if data.kind is WaterBodyKind.sea else WaterKind.sea
        if db.session.scalar(
            select(func.count()).where(
                Outfall.water_body_id == water.id, Outfall.water_kind == kind
            )
        ):
            problems.append(
                UserError(_l("Outfalls of the other kind (river or sea) drain into it."), "kind")
            )
    return problems


def _water_snapshot(water: WaterBody) -> dict[str, Any]:
    values = history.snapshot(water, WATER_FIELDS[:-1])
    values["parent"] = history.plain(_ref(water.parent))
    return values


def _write_water(water, data) -> None:
    water.code, water.name, water.name_en = data.code, data.name, data.name_en
    water.kind, water.parent_id = data.kind, data.parent_id
    target = data.target_class
    water.target_class = (
        SEA_CLASSES.get(target, target) if data.kind is WaterBodyKind.sea else target
    )
    db.session.flush()
    db.session.refresh(water, ["parent"])


def _record_water(water, action, before, *, actor, reason, source, now) -> list[dict[str, Any]]:
    changes = history.diff(before, _water_snapshot(water), public=set(WATER_FIELDS))
    if changes or action == "created":
        history.record(
            chain=f"water:{water.id}",
            subject_kind="water",
            subject_id=water.id,
            action=action,
            changes=changes,
            reason=reason,
            actor=actor,
            source=source,
            now=now,
        )
    return changes


def create_water_body(
    data: WaterBodyData,
    *,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> WaterBody:
    """Add a water body with its history.

    Raises:
        UserError: the first problem found, a missing reason, not registry staff.
    """
    _registry_only(actor)
    reason = _need_reason(reason)
    _refuse(check_water_body(data))
    water = WaterBody(name=data.name, kind=data.kind)
    db.session.add(water)
    _write_water(water, data)
    _record_water(water, "created", {}, actor=actor, reason=reason, source=source, now=now)
    return water


def update_water_body(
    water: WaterBody,
    data: WaterBodyData,
    *,
    actor: StaffMember | None,
    reason: str,
    source: str = "form",
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Change a water body; returns the changes.

    Raises:
        UserError: the first problem found, a missing reason, not registry staff.
    """
    _registry_only(actor)
    reason = _need_reason(reason)
    _refuse(check_water_body(data, water=water))
    before = _water_snapshot(water)
    _write_water(water, data)
    return _record_water(
        water, "updated", before, actor=actor, reason=reason, source=source, now=now
    )


def entity_ids_from_lines(text: str, field_name: str) -> list[int]:
    """Entities named one per line (a credit code, or the exact name), in order.

    Raises:
        UserError: a line names no entity (create it first).
    """
    ids = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        first = line.split()[0]
        entity = find_entity(line, first) if uscc.is_valid(first.upper()) else find_entity(line)
        if entity is None:
            raise UserError(_l("No entity %(line)s: create it first.", line=line), field_name)
        ids.append(entity.id)
    return ids


def entity_line(entity: Entity) -> str:
    """How an entity is written in the form's lines (what entity_ids_from_lines reads)."""
    return f"{entity.credit_code} {entity.name}" if entity.credit_code else entity.name
