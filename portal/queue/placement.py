"""Where a case goes: routing a new report, the case's assisting departments, the rules.

`routing.choose_route` decides (pure); this module feeds it the rows and stores its
answer. The coordinator's rules page edits, lists and tests the rules through here.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..agencies.models import Department
from ..complaints.events import append_event
from ..complaints.models import ActorKind, Complaint, EventKind
from ..core.errors import UserError
from ..extensions import db
from ..geo.models import Region
from .calendar import load_calendar, recompute_deadlines
from .models import RoutingRule, case_assisting
from .notices import notify_department
from .routing import NoRouteError, Route, Rule, choose_route, precedence, route_for_outfall

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
        outfall_subtype=row.outfall_subtype,
        region_codes=frozenset({row.region_code}) if row.region_code else frozenset(),
        assisting=tuple(d.id for d in row.assisting),
    )


def routing_rules() -> list[Rule]:
    """Every routing rule, as the pure router reads them."""
    rows = db.session.scalars(select(RoutingRule).options(selectinload(RoutingRule.assisting)))
    return [as_rule(r) for r in rows]


def route(complaint: Complaint, now: datetime) -> None:
    """Place a new case with its lead department, or on the coordinator's triage list.

    A case about an outfall goes to its supervising department unless a rule naming the
    case's category claims it (routing.route_for_outfall).
    """
    outfall = complaint.outfall
    complaint.region_id = outfall.region_id if outfall else None
    complaint.urgent = complaint.category.urgent
    recompute_deadlines(complaint, load_calendar(), now)
    try:
        found = route_for_outfall(
            routing_rules(),
            category=complaint.category.code,
            outfall_type=outfall.category_l1.value if outfall else None,
            region_chain=region_chain(complaint.region_id),
            supervising=outfall.supervising_department_id if outfall else None,
            outfall_subtype=outfall.category_l2.value if outfall and outfall.category_l2 else None,
        )
    except NoRouteError:
        # Never dropped: what no rule places waits on the coordinator's triage list.
        append_event(complaint, EventKind.triage, now, actor_kind=ActorKind.system, public=False)
        notify_department(None, complaint, "assigned", now)
        return
    complaint.department_id = found.lead
    complaint.routing_rule_id = found.rule_id
    set_assisting(complaint, found.assisting)
    lead = db.session.get(Department, found.lead)
    append_event(
        complaint,
        EventKind.routed,
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


# --- The coordinator's rules page --------------------------------------------------------


def rule_regions(rules: list[RoutingRule]) -> dict[str, Region]:
    """The regions the rules name, by code (one query)."""
    codes = {r.region_code for r in rules if r.region_code}
    if not codes:
        return {}
    return {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}


def ranked_rules() -> tuple[list[RoutingRule], dict[str, Region]]:
    """Every rule, most specific first (the order in which they win), and their regions."""
    rows = list(
        db.session.scalars(
            select(RoutingRule).options(
                joinedload(RoutingRule.lead_department), selectinload(RoutingRule.assisting)
            )
        )
    )
    regions = rule_regions(rows)

    def depth(row: RoutingRule) -> int:
        # The depth choose_route gives a match on this region: its chain to the top.
        region = regions.get(row.region_code) if row.region_code else None
        return len(region_chain(region.id)) if region else 0

    return sorted(rows, key=lambda row: precedence(as_rule(row), depth(row)), reverse=True), regions


@dataclass
class RuleInput:
    """A routing rule as the form gives it; None means any."""

    category: str | None
    outfall_type: str | None
    region_code: str | None
    lead_department_id: int
    outfall_subtype: str | None = None
    assisting: tuple[int, ...] = ()
    note: str = ""


def _region_id(code: str) -> int | None:
    return db.session.scalar(select(Region.id).where(Region.code == code))


def _is(column, value):
    """column = value, where None matches NULL (a rule's "any")."""
    return column.is_(None) if value is None else column == value


def save_rule(rule: RoutingRule | None, data: RuleInput) -> RoutingRule:
    """Create (rule None) or change a rule; the lead is never also one of its helpers.

    Raises:
        UserError: an unknown region code (field region_code), or another rule already
            covers exactly these facts (the whole form).
    """
    if data.region_code and _region_id(data.region_code) is None:
        raise UserError(_("Unknown region code."), field="region_code")
    if data.outfall_subtype:
        if data.outfall_type is None:
            data.outfall_type = data.outfall_subtype[:2].upper()
        elif data.outfall_subtype[:2].upper() != data.outfall_type:
            raise UserError(
                _("This level-2 type belongs to another outfall type."), field="outfall_subtype"
            )
    same = select(RoutingRule.id).where(
        _is(RoutingRule.category_code, data.category),
        _is(RoutingRule.outfall_type, data.outfall_type),
        _is(RoutingRule.outfall_subtype, data.outfall_subtype),
        _is(RoutingRule.region_code, data.region_code),
    )
    if rule is not None:
        same = same.where(RoutingRule.id != rule.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise UserError(_("Another rule already covers exactly this; edit it instead."))
    if rule is None:
        rule = RoutingRule()
        db.session.add(rule)
    rule.category_code = data.category
    rule.outfall_type = data.outfall_type
    rule.outfall_subtype = data.outfall_subtype
    rule.region_code = data.region_code
    rule.lead_department_id = data.lead_department_id
    rule.note = data.note
    wanted = set(data.assisting) - {rule.lead_department_id}
    rule.assisting = [d for d in departments() if d.id in wanted]
    db.session.flush()
    return rule


def try_route(category: str, outfall_type: str | None, region_code: str | None) -> Route | None:
    """The route a report with these facts would take; None means triage.

    Raises:
        UserError: the region code is not in the regions table (field region_code).
    """
    chain: list[str] = []
    if region_code:
        region_id = _region_id(region_code)
        if region_id is None:
            raise UserError(_("Unknown region code."), field="region_code")
        chain = region_chain(region_id)
    try:
        return choose_route(
            routing_rules(), category=category, outfall_type=outfall_type, region_chain=chain
        )
    except NoRouteError:
        return None
