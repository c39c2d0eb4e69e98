"""The read endpoints of /api/v1, each declared once (registry.endpoint) for route and document.

Lists are keyset pages: `limit` (default 100, at most 1,000; more is a 400) and `after`
(the cursor of the previous page's `next`). Each list is a fixed number of queries
whatever its length (joins and select-in loads, never a query per row).
"""

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from ..agencies.models import Department
from ..complaints import record
from ..complaints.models import ComplaintStatus
from ..complaints.record_forms import RecordFilterForm
from ..core.codes import is_plausible_code, normalise_code
from ..core.errors import UserError
from ..extensions import db
from ..forms import labelled_errors
from ..geo.models import Region, WaterBody
from ..outfalls import labels
from ..outfalls.forms import OutfallFilterForm
from ..outfalls.models import (
    Approval,
    MonitoringRecord,
    Outfall,
    RemediationPlan,
)
from ..outfalls.services import evaluate, filtered, latest_records, outfall_detail
from ..queue.models import DepartmentMonth
from ..queue.rollup import Figures
from . import schemas as s
from . import serializers as ser
from .registry import ApiError, Param, endpoint

MAX_LIMIT = 1000
LIMIT = Param(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
    "Items per page (at most 1,000; more is refused with 400).",
)
ID_CURSOR = Param(
    "after",
    {"type": "string", "pattern": r"^[0-9]{1,9}$"},
    "The `next` cursor of the previous page.",
)


def _enum(table: dict) -> dict:
    return {"type": "string", "enum": [k for k in table if k is not None]}


OUTFALL_CODE = {"type": "string", "pattern": r"^[0-9A-Za-z-]{1,40}$"}
REGION_CODE = {"type": "string", "pattern": r"^[0-9]{6,12}$"}
OUTFALL_FILTERS = (
    Param("region", REGION_CODE, "Region code (GB/T 2260); takes in the levels below."),
    Param("water", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "Water body id."),
    Param("type", _enum(labels.CATEGORY_L1), "HJ 1235 first-level type."),
    Param("kind", _enum(labels.WATER_KIND), "River or sea outfall."),
    Param("remediation", _enum(labels.REMEDIATION_STATUS), "Remediation status."),
    Param("status", _enum(labels.OUTFALL_STATUS), "Outfall status."),
)


def _outfall_id(code: str | None) -> int | None:
    """The id of an outfall code (None for no code).

    Raises:
        ApiError: no outfall has that code (404).
    """
    if code is None:
        return None
    normal = normalise_code(code)
    found = (
        db.session.scalar(select(Outfall.id).where(Outfall.code == normal))
        if is_plausible_code(normal)
        else None
    )
    if found is None:
        raise ApiError(_("No outfall has the code %(code)s.", code=code), 404)
    return found


def _next_url(after: str | None) -> str | None:
    if after is None:
        return None
    args = MultiDict(request.args)
    args["after"] = after
    return request.base_url + "?" + "&".join(f"{k}={v}" for k, v in args.items(multi=True))


def _listing(rows: list, limit: int, key, render) -> dict:
    """A page object: items rendered, `next` the cursor and `next_url` the next page."""
    after = key(rows[limit - 1]) if len(rows) > limit else None
    return {
        "items": [render(r) for r in rows[:limit]],
        "next": after,
        "next_url": _next_url(after),
    }


# --- Outfalls ------------------------------------------------------------------------------


@endpoint(
    "/outfalls",
    operation_id="listOutfalls",
    summary="Outfalls, by code, with the registry list's filters",
    tag="outfalls",
    params=(
        *OUTFALL_FILTERS,
        LIMIT,
        Param("after", OUTFALL_CODE, "The `next` cursor (the last code of the previous page)."),
    ),
    response=s.page("OutfallSummary"),
)
def list_outfalls(limit, after, **filters):
    form = OutfallFilterForm(MultiDict({k: str(v) for k, v in filters.items() if v is not None}))
    if not form.validate():
        raise ApiError(labelled_errors(form)[0])
    query = filtered(ser.summary_select(), form.filters(), by_code=True)
    if after is not None:
        query = query.where(Outfall.code > after)
    rows = db.session.execute(query.order_by(Outfall.code).limit(limit + 1)).all()
    links = ser.Links()
    return _listing(rows, limit, lambda o: o.code, lambda o: ser.outfall_summary(o, links))


@endpoint(
    "/outfalls/{code}",
    operation_id="getOutfall",
    summary="One outfall with its approvals, plan, entities and latest monitoring",
    tag="outfalls",
    params=(Param("code", OUTFALL_CODE, "HJ 1235 code (normalised as typed).", True, "path"),),
    response={"$ref": "#/components/schemas/Outfall"},
    not_found=True,
)
def get_outfall(code):
    outfall = outfall_detail(normalise_code(code))
    if outfall is None:
        raise ApiError(_("No outfall has the code %(code)s.", code=code), 404)
    links = ser.Links()
    summary = db.session.execute(ser.summary_select().where(Outfall.id == outfall.id)).one()
    data = ser.outfall_summary(summary, links)
    plan = outfall.remediation_plan
    entity = outfall.management_entity
    data.update(
        local_code=outfall.local_code,
        channel_kind=outfall.channel_kind.value if outfall.channel_kind else None,
        merged_into=outfall.merged_into.code if outfall.merged_into else None,
        signboard_installed_on=ser.iso_date(outfall.signboard_installed_on),
        standard_code=outfall.standard_code,
        management_entity=(
            {"name": entity.name, "credit_code": entity.credit_code} if entity else None
        ),
        responsible_entities=[
            {
                "name": link.entity.name,
                "credit_code": link.entity.credit_code,
                "permit_no": link.entity.permit_no,
                "is_primary": bool(link.is_primary),
            }
            for link in outfall.responsible_links
        ],
        approvals=[ser.approval(a, outfall.code, links) for a in outfall.approvals],
        remediation_plan=(
            ser.plan(plan, outfall.code, plan.merge_target.code if plan.merge_target else None)
            if plan
            else None
        ),
        latest_monitoring=[
            ser.sample(x, outfall.code) for x in evaluate(outfall, latest_records(outfall.id, 5))
        ],
    )
    return data


# --- Approvals, monitoring, remediation ----------------------------------------------------


@endpoint(
    "/approvals",
    operation_id="listApprovals",
    summary="Setting approvals, registrations and sea filings, newest id first",
    tag="registry",
    params=(
        Param("outfall", OUTFALL_CODE, "Only this outfall's."),
        Param("kind", _enum(labels.APPROVAL_KIND), "approval, registration or filing."),
        Param("decided_from", {"type": "string", "format": "date"}, "Decided on or after."),
        Param("decided_to", {"type": "string", "format": "date"}, "Decided on or before."),
        LIMIT,
        ID_CURSOR,
    ),
    response=s.page("Approval"),
    not_found=True,
)
def list_approvals(outfall, kind, decided_from, decided_to, limit, after):
    query = select(Approval, Outfall.code).join(Outfall, Outfall.id == Approval.outfall_id)
    if (outfall_id := _outfall_id(outfall)) is not None:
        query = query.where(Approval.outfall_id == outfall_id)
    if kind:
        query = query.where(Approval.kind == kind)
    if decided_from:
        query = query.where(Approval.decided_on >= decided_from)
    if decided_to:
        query = query.where(Approval.decided_on <= decided_to)
    if after:
        query = query.where(Approval.id < int(after))
    rows = db.session.execute(
        query.options(selectinload(Approval.documents))
        .order_by(Approval.id.desc())
        .limit(limit + 1)
    ).all()
    links = ser.Links()
    return _listing(
        list(rows), limit, lambda r: str(r[0].id), lambda r: ser.approval(r[0], r[1], links)
    )


@endpoint(
    "/monitoring",
    operation_id="listMonitoring",
    summary="Monitoring records with their exceedance flags, newest id first",
    tag="registry",
    description=(
        "Each record is flagged against the limits that applied to its outfall on the day "
        "it was sampled (the approval then in force, else the default standard); at a "
        "stormwater outfall any dry-weather flow is itself flagged (`flow_m3s`)."
    ),
    params=(
        Param("outfall", OUTFALL_CODE, "Only this outfall's."),
        Param("sampled_from", {"type": "string", "format": "date"}, "Sampled on or after."),
        Param("sampled_to", {"type": "string", "format": "date"}, "Sampled on or before."),
        LIMIT,
        ID_CURSOR,
    ),
    response=s.page("Sample"),
    not_found=True,
)
def list_monitoring(outfall, sampled_from, sampled_to, limit, after):
    from ..core.clock import LOCAL_TZ

    query = select(MonitoringRecord)
    if (outfall_id := _outfall_id(outfall)) is not None:
        query = query.where(MonitoringRecord.outfall_id == outfall_id)
    if sampled_from:
        query = query.where(MonitoringRecord.sampled_at >= _local_midnight(sampled_from, LOCAL_TZ))
    if sampled_to:
        query = query.where(
            MonitoringRecord.sampled_at < _local_midnight(sampled_to, LOCAL_TZ, days=1)
        )
    if after:
        query = query.where(MonitoringRecord.id < int(after))
    rows = list(db.session.scalars(query.order_by(MonitoringRecord.id.desc()).limit(limit + 1)))
    # The outfalls of the page with their approvals, once: the flags need both.
    outfalls = {
        o.id: o
        for o in db.session.scalars(
            select(Outfall)
            .where(Outfall.id.in_({r.outfall_id for r in rows}))
            .options(selectinload(Outfall.approvals))
        )
    }

    def render(r):
        o = outfalls[r.outfall_id]
        return ser.sample(evaluate(o, [r])[0], o.code)

    return _listing(rows, limit, lambda r: str(r.id), render)


def _local_midnight(day, tz, days: int = 0):
    from datetime import datetime, time, timedelta

    return datetime.combine(day + timedelta(days=days), time(), tzinfo=tz)


@endpoint(
    "/remediation",
    operation_id="listRemediationPlans",
    summary="Remediation plans (一口一策) with milestones and history, by id",
    tag="registry",
    params=(
        Param("status", _enum(labels.REMEDIATION_STATUS), "Plan status."),
        Param("category", _enum(labels.REMEDIATION_CATEGORY), "ban, merge, regularise, retain."),
        Param("region", REGION_CODE, "Region code of the outfall; takes in the levels below."),
        LIMIT,
        ID_CURSOR,
    ),
    response=s.page("RemediationPlan"),
)
def list_remediation(status, category, region, limit, after):
    from ..outfalls.services import OutfallFilters

    query = select(RemediationPlan, Outfall.code).join(
        Outfall, Outfall.id == RemediationPlan.outfall_id
    )
    query = filtered(query, OutfallFilters(region=region))
    if status:
        query = query.where(RemediationPlan.status == status)
    if category:
        query = query.where(RemediationPlan.category == category)
    if after:
        query = query.where(RemediationPlan.id > int(after))
    rows = db.session.execute(
        query.options(
            selectinload(RemediationPlan.milestones),
            selectinload(RemediationPlan.events),
            joinedload(RemediationPlan.merge_target),
        )
        .order_by(RemediationPlan.id)
        .limit(limit + 1)
    ).all()

    def render(row):
        p, code = row
        return ser.plan(p, code, p.merge_target.code if p.merge_target else None)

    return _listing(list(rows), limit, lambda r: str(r[0].id), render)


# --- Reference lists -----------------------------------------------------------------------


@endpoint(
    "/water-bodies",
    operation_id="listWaterBodies",
    summary="Every receiving water body (rivers, lakes, sea areas)",
    tag="reference",
    response={
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/WaterBody"}}
        },
    },
)
def list_water_bodies():
    rows = db.session.scalars(select(WaterBody).order_by(WaterBody.id))
    return {"items": [ser.water_body(w) for w in rows]}


@endpoint(
    "/water-bodies/{id}",
    operation_id="getWaterBody",
    summary="One water body",
    tag="reference",
    params=(
        Param(
            "id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "Its id.", True, "path"
        ),
    ),
    response={"$ref": "#/components/schemas/WaterBody"},
    not_found=True,
)
def get_water_body(id):  # noqa: A002  (the path parameter's documented name)
    water = db.session.get(WaterBody, id)
    if water is None:
        raise ApiError(_("Not a water body."), 404)
    return ser.water_body(water)


@endpoint(
    "/regions",
    operation_id="listRegions",
    summary="Administrative regions (GB/T 2260) with their parent",
    tag="reference",
    response={
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}}
        },
    },
)
def list_regions():
    rows = db.session.scalars(
        select(Region).options(joinedload(Region.parent)).order_by(Region.code)
    )
    return {"items": [_region(r) for r in rows]}


def _region(r: Region) -> dict:
    return ser.region(r) | {"parent_code": r.parent.code if r.parent else None}


@endpoint(
    "/regions/{code}",
    operation_id="getRegion",
    summary="One region",
    tag="reference",
    params=(Param("code", REGION_CODE, "GB/T 2260 code.", True, "path"),),
    response={"$ref": "#/components/schemas/Region"},
    not_found=True,
)
def get_region(code):
    region = db.session.scalars(
        select(Region).options(joinedload(Region.parent)).where(Region.code == code)
    ).first()
    if region is None:
        raise ApiError(_("Unknown region code."), 404)
    return _region(region)


@endpoint(
    "/departments",
    operation_id="listDepartments",
    summary="The departments that supervise outfalls and handle complaints",
    tag="departments",
    response={
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Department"}}
        },
    },
)
def list_departments():
    rows = db.session.scalars(select(Department).order_by(Department.id))
    return {"items": [ser.department(d) for d in rows]}


MONTH = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"}


@endpoint(
    "/departments/{id}/months",
    operation_id="getDepartmentMonths",
    summary="A department's complaint-handling figures by month (China time)",
    tag="departments",
    params=(
        Param(
            "id",
            {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "Department id.",
            True,
            "path",
        ),
        Param("from", MONTH, "First month, YYYY-MM."),
        Param("to", MONTH, "Last month, YYYY-MM."),
    ),
    response={"$ref": "#/components/schemas/DepartmentMonths"},
    not_found=True,
)
def department_months(id, **bounds):  # noqa: A002
    dept = db.session.get(Department, id)
    if dept is None:
        raise ApiError(_("Not a department."), 404)
    query = select(DepartmentMonth).where(DepartmentMonth.department_id == id)
    if bounds.get("from"):
        query = query.where(DepartmentMonth.month >= bounds["from"])
    if bounds.get("to"):
        query = query.where(DepartmentMonth.month <= bounds["to"])
    months = []
    for row in db.session.scalars(query.order_by(DepartmentMonth.month)):
        f = Figures.from_row(row)
        months.append(
            {
                "month": row.month,
                "received": f.received,
                "accepted": f.accepted,
                "accepted_on_time": f.accepted_on_time,
                "completed": f.completed,
                "completed_on_time": f.completed_on_time,
                "extended": f.extended,
                "reopened": f.reopened,
                "rated": f.rated,
                "mean_rating": f.satisfaction,
                "median_workdays": f.median_workdays,
            }
        )
    return {"department": ser.department(dept), "months": months}


# --- Complaints ----------------------------------------------------------------------------


@endpoint(
    "/complaints",
    operation_id="listComplaints",
    summary="Public summaries of citizens' complaints, newest first",
    tag="complaints",
    description=(
        "What the public record shows: no reporter data, the place rounded to ~100 m, the "
        "description only where the reporter agreed to publication."
    ),
    params=(
        Param("status", {"type": "string", "enum": list(ComplaintStatus.__members__)}, "Status."),
        Param("category", {"type": "string", "pattern": r"^[a-z0-9_]{1,32}$"}, "Category code."),
        Param("region", REGION_CODE, "Region code; takes in the levels below."),
        Param("water", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "Water body id."),
        Param("outfall", OUTFALL_CODE, "Outfall code."),
        Param(
            "department", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "Department id."
        ),
        LIMIT,
        Param(
            "after",
            {"type": "string", "pattern": r"^[0-9]{1,16}\.[0-9]{1,9}$"},
            "The `next` cursor of the previous page.",
        ),
    ),
    response=s.page("Complaint"),
    not_found=True,
)
def list_complaints(limit, after, **filters):
    args = MultiDict({k: str(v) for k, v in filters.items() if v is not None})
    form = RecordFilterForm(args)
    if not form.validate():
        raise ApiError(labelled_errors(form)[0])
    try:
        resolved = record.resolve(form.query(), None)
        found = record.record_page(resolved, after, limit)
    except UserError as error:
        # A malformed cursor is the client's mistake; an unknown code names nothing.
        raise ApiError(str(error), 400 if error.field == "after" else 404) from None
    links = ser.Links()
    return {
        "items": [ser.complaint(c, links) for c in found.items],
        "next": found.next_after,
        "next_url": _next_url(found.next_after),
    }


@endpoint(
    "/complaints/{tracking_no}",
    operation_id="getComplaint",
    summary="The public summary of one complaint, by tracking number",
    tag="complaints",
    params=(
        Param(
            "tracking_no",
            {"type": "string", "pattern": r"^[0-9A-Za-z-]{1,20}$"},
            "Tracking number, TS-YYYY-NNNNNN.",
            True,
            "path",
        ),
    ),
    response={"$ref": "#/components/schemas/Complaint"},
    not_found=True,
)
def get_complaint(tracking_no):
    from ..complaints import tracking

    complaint = tracking.find_by_number(tracking_no)
    if complaint is None:
        raise ApiError(_("No report has this tracking number."), 404)
    return ser.complaint(complaint, ser.Links())
