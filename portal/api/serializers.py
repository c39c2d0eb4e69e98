"""Rows as the API's JSON objects: stable English names, codes as in the data, ISO dates.

Each function reads only what its caller loaded (no lazy loads: no query per row). The
shapes are described by `schemas.py`; the OpenAPI test and schemathesis check them.
"""

from urllib.parse import quote

from sqlalchemy import select

from ..agencies.models import Department
from ..complaints.models import Complaint
from ..geo.models import Region, WaterBody
from ..outfalls.models import Approval, MonitoringRecord, Outfall, RemediationPlan
from ..outfalls.services import Sample
from ..urls import public_url
from .registry import iso, iso_date


class Links:
    """Absolute public URLs built once per response (url_map binding is not free)."""

    def __init__(self):
        self.outfall = public_url("outfalls.show_outfall", code="_")[:-1]
        self.complaint = public_url("complaints.show_public", tracking_no="_")[:-1]
        self.document = public_url("outfalls.document", doc_id=1, filename="_")[:-3]

    def outfall_url(self, code: str) -> str:
        return self.outfall + quote(code, safe="")

    def complaint_url(self, number: str) -> str:
        return self.complaint + quote(number, safe="")


def region(r) -> dict | None:
    if r is None:
        return None
    return {"code": r.code, "name": r.name, "name_en": r.name_en or None, "level": r.level.value}


def water_body(w) -> dict | None:
    if w is None:
        return None
    return {
        "id": w.id,
        "code": w.code,
        "name": w.name,
        "name_en": w.name_en or None,
        "kind": w.kind.value,
        "target_class": w.target_class,
        "parent_id": w.parent_id,
    }


def department(d) -> dict | None:
    if d is None:
        return None
    return {
        "id": d.id,
        "slug": d.slug,
        "name": d.name,
        "name_en": d.name_en or None,
        "is_coordinator": bool(d.is_coordinator),
        "phone": d.phone or None,
    }


# What the list shows of an outfall, as one row per outfall (Core: a page of 100 needs no
# ORM objects); `summary_select` adds the joins and `outfall_summary` renders a row.
SUMMARY_COLUMNS = (
    Outfall.code,
    Outfall.name,
    Outfall.category_l1,
    Outfall.category_l2,
    Outfall.water_kind,
    Outfall.status,
    Outfall.status_since,
    Outfall.lat,
    Outfall.lon,
    Outfall.address,
    Outfall.is_demo,
    Outfall.updated_at,
    Region.code.label("region_code"),
    Region.name.label("region_name"),
    WaterBody.id.label("water_id"),
    WaterBody.code.label("water_code"),
    WaterBody.name.label("water_name"),
    Department.id.label("department_id"),
    Department.name.label("department_name"),
    RemediationPlan.category.label("plan_category"),
    RemediationPlan.status.label("plan_status"),
    RemediationPlan.deadline.label("plan_deadline"),
)


def summary_select():
    """select(SUMMARY_COLUMNS) over Outfall with what they join (to be filtered, ordered)."""
    return (
        select(*SUMMARY_COLUMNS)
        .select_from(Outfall)
        .join(Region, Region.id == Outfall.region_id)
        .join(WaterBody, WaterBody.id == Outfall.water_body_id)
        .outerjoin(Department, Department.id == Outfall.supervising_department_id)
        .outerjoin(RemediationPlan, RemediationPlan.outfall_id == Outfall.id)
    )


def outfall_summary(o, links: Links) -> dict:
    """What the list shows of an outfall, from a row of `summary_select`."""
    return {
        "code": o.code,
        "name": o.name,
        "type": o.category_l1.value,
        "subtype": o.category_l2.value if o.category_l2 else None,
        "water_kind": o.water_kind.value,
        "status": o.status.value,
        "status_since": iso_date(o.status_since),
        "lat": o.lat,
        "lon": o.lon,
        "address": o.address or None,
        "region": {"code": o.region_code, "name": o.region_name},
        "water_body": {"id": o.water_id, "code": o.water_code, "name": o.water_name},
        "supervising_department": (
            {"id": o.department_id, "name": o.department_name}
            if o.department_id is not None
            else None
        ),
        "remediation": (
            {
                "category": o.plan_category.value,
                "status": o.plan_status.value,
                "deadline": iso_date(o.plan_deadline),
            }
            if o.plan_category is not None
            else None
        ),
        "is_demo": bool(o.is_demo),
        "updated_at": iso(o.updated_at),
        "url": links.outfall_url(o.code),
    }


def approval(a: Approval, outfall_code: str, links: Links) -> dict:
    return {
        "id": a.id,
        "outfall_code": outfall_code,
        "kind": a.kind.value,
        "decision_no": a.decision_no,
        "authority": a.authority,
        "decided_on": iso_date(a.decided_on),
        "valid_until": iso_date(a.valid_until),
        "permitted_daily_volume_m3": a.permitted_daily_volume_m3,
        "limits": a.limits or {},
        "note": a.note or None,
        "documents": [
            {
                "title": d.title,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "url": f"{links.document}{d.id}/{quote(d.filename)}",
            }
            for d in a.documents
        ],
    }


def plan(p: RemediationPlan, outfall_code: str, merge_target: str | None) -> dict:
    return {
        "id": p.id,
        "outfall_code": outfall_code,
        "category": p.category.value,
        "status": p.status.value,
        "measures": p.measures or None,
        "deadline": iso_date(p.deadline),
        "transition_until": iso_date(p.transition_until),
        "merge_target_code": merge_target,
        "signed_off_on": iso_date(p.signed_off_on),
        "milestones": [
            {"title": m.title, "due_on": iso_date(m.due_on), "done_on": iso_date(m.done_on)}
            for m in p.milestones
        ],
        "history": [
            {"status": e.status.value, "on": iso_date(e.occurred_on), "note": e.note or None}
            for e in p.events
        ],
    }


def sample(s: Sample, outfall_code: str) -> dict:
    r: MonitoringRecord = s.record
    return {
        "id": r.id,
        "outfall_code": outfall_code,
        "sampled_at": iso(r.sampled_at),
        "sampler": r.sampler_kind.value,
        "organisation": r.organisation or None,
        "weather": r.weather.value if r.weather else None,
        "ph": r.ph,
        "cod_mg_l": r.cod,
        "nh3n_mg_l": r.nh3n,
        "tn_mg_l": r.tn,
        "tp_mg_l": r.tp,
        "flow_m3_s": r.flow_m3s,
        "temperature_c": r.temperature_c,
        "other_mg_l": r.other or {},
        "exceeded": sorted(s.exceeded),
        "exceedances": [
            {
                "indicator": e.indicator,
                "value": e.value,
                "limit": list(e.limit) if isinstance(e.limit, tuple) else e.limit,
                "standard": e.standard,
            }
            for e in s.exceedances
        ],
    }


def complaint(c: Complaint, links: Links) -> dict:
    """The public summary: never the reporter, the place rounded (~100 m), the description
    and photos only with the reporter's consent (as complaints/<number> shows)."""
    point = c.public_point
    return {
        "tracking_no": c.tracking_no,
        "category": c.category.code,
        "status": c.status.value,
        "is_open": bool(c.is_open),
        "channel": c.channel,
        "received_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "closed_at": iso(c.closed_at),
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "outfall_code": c.outfall.code if c.outfall is not None else None,
        "department": (
            {"id": c.department.id, "name": c.department.name} if c.department else None
        ),
        "supporters": c.supporters or 0,
        "description": c.description if c.consent_publish else None,
        "url": links.complaint_url(c.tracking_no),
    }
