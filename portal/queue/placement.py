"""Where a case goes: routing a new report and the case's assisting departments.

`routing.choose_route` decides (pure); this module feeds it the rows and stores its answer.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..agencies.models import Department
from ..complaints.models import ActorKind, Complaint
from ..complaints.services import append_event
from ..extensions import db
from ..geo.models import Region
from .calendar import load_calendar, recompute_deadlines
from .models import RoutingRule, case_assisting
from .notices import notify_department
from .routing import NoRouteError, Rule, choose_route

# Regions climbed from a case's region towards the top; the tree is at most this deep.
MAX_REGION_DEPTH = 8


def departments() -> list[Department]:
    """Every department, in a stable order (for choices and lookups)."""
    return list(db.session.scalars(select(Department).order_by(Department.id)))


def region_chain(region_id: int | None) -> list[str]:
    """The region's code and its ancestors' codes, most specific first."""
    chain: list[str] = []
    seen = 0
    while region_id is not None and seen < MAX_REGION_DEPTH:
        region = db.session.get(Region, region_id)
        if region is None:
            break
        chain.append(region.code)
        region_id, seen = region.parent_id, seen + 1
    return chain


def as_rule(row: RoutingRule) -> Rule:
    """A routing rule row as the pure router reads it."""
    return Rule(
        id=row.id,
        lead_department_id=row.lead_department_id,
        category=row.category_code,
        outfall_type=row.outfall_type,
        region_codes=frozenset({row.region_code}) if row.region_code else frozenset(),
        assisting=tuple(d.id for d in row.assisting),
    )


def routing_rules() -> list[Rule]:
    """Every routing rule, as the pure router reads them."""
    rows = db.session.scalars(select(RoutingRule).options(selectinload(RoutingRule.assisting)))
    return [as_rule(r) for r in rows]


def route(complaint: Complaint, now: datetime) -> None:
    """Place a new case with its lead department, or on the coordinator's triage list."""
    outfall = complaint.outfall
    complaint.region_id = outfall.region_id if outfall else None
    complaint.urgent = complaint.category.urgent
    recompute_deadlines(complaint, load_calendar(), now)
    try:
        found = choose_route(
            routing_rules(),
            category=complaint.category.code,
            outfall_type=outfall.category_l1.value if outfall else None,
            region_chain=region_chain(complaint.region_id),
        )
    except NoRouteError:
        # Never dropped: what no rule places waits on the coordinator's triage list.
        append_event(complaint, "triage", now, actor_kind=ActorKind.system, public=False)
        notify_department(None, complaint, "assigned", now)
        return
    complaint.department_id = found.lead
    complaint.routing_rule_id = found.rule_id
    set_assisting(complaint, found.assisting)
    lead = db.session.get(Department, found.lead)
    append_event(
        complaint,
        "routed",
        now,
        actor_kind=ActorKind.system,
        message=lead.name if lead else "",
        public=True,
    )
    notify_department(found.lead, complaint, "assigned", now)


def set_assisting(complaint: Complaint, department_ids) -> None:
    """Replace the case's assisting departments; the lead never assists itself."""
    db.session.execute(case_assisting.delete().where(case_assisting.c.complaint_id == complaint.id))
    ids = [d for d in dict.fromkeys(department_ids) if d != complaint.department_id]
    if ids:
        db.session.execute(
            case_assisting.insert(),
            [{"complaint_id": complaint.id, "department_id": d} for d in ids],
        )


def assisting_ids(complaint_id: int) -> set[int]:
    """The departments assisting on a case."""
    return set(
        db.session.scalars(
            select(case_assisting.c.department_id).where(
                case_assisting.c.complaint_id == complaint_id
            )
        )
    )
