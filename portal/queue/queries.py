"""The queue's lists: the department's cases by deadline, undated and assisted cases, workload.

Each list is scoped by `access` first; filters only narrow it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..agencies.models import Department, StaffMember
from ..complaints.models import Complaint, ComplaintCategory
from ..core.errors import UserError
from ..extensions import db
from ..geo.models import Region
from ..outfalls.models import Outfall
from .access import assisted_by, visible_to


@dataclass
class QueueFilters:
    """Validated queue filters; None means any."""

    state: str | None = None  # a status, or None for every open case
    overdue: bool = False
    due_soon: bool = False
    escalated: bool = False
    category: str | None = None
    outfall: str | None = None
    region: str | None = None
    department: int | None = None
    triage: bool = False

    def as_args(self) -> dict[str, str]:
        out = {}
        for key, value in self.__dict__.items():
            if value is True:
                out[key] = "1"
            elif value not in (None, False, ""):
                out[key] = str(value)
        return out


@dataclass
class QueuePage:
    items: list[Complaint]
    next_after: str | None
    undated: int


def _filtered(query, actor: StaffMember, f: QueueFilters, now: datetime):
    # The list shows the department's own cases (cases it only assists are listed apart by
    # assisted_cases): one department per query keeps the (department, open, due) index usable.
    if actor.is_coordinator:
        query = query.where(visible_to(actor))
    else:
        query = query.where(Complaint.department_id == actor.department_id)
    if f.state:
        query = query.where(Complaint.status == f.state)
    else:
        query = query.where(Complaint.is_open.is_(True))
    if f.triage:
        query = query.where(Complaint.department_id.is_(None))
    elif f.department is not None:
        query = query.where(Complaint.department_id == f.department)
    if f.overdue:
        query = query.where(Complaint.paused_at.is_(None), Complaint.complete_due_at < now)
    if f.due_soon:
        query = query.where(Complaint.complete_due_at.between(now, now + timedelta(days=2)))
    if f.escalated:
        query = query.where(Complaint.escalated_at.is_not(None))
    if f.category:
        query = query.where(
            Complaint.category_id.in_(
                select(ComplaintCategory.id).where(ComplaintCategory.code == f.category)
            )
        )
    if f.outfall:
        query = query.where(
            Complaint.outfall_id.in_(select(Outfall.id).where(Outfall.code == f.outfall))
        )
    if f.region:
        query = query.where(
            Complaint.region_id.in_(
                select(Region.id).where(
                    (Region.code == f.region)
                    | Region.parent_id.in_(select(Region.id).where(Region.code == f.region))
                )
            )
        )
    return query


def queue_page(
    actor: StaffMember, f: QueueFilters, now: datetime, *, after: str | None, per_page: int = 50
) -> QueuePage:
    """Cases soonest-deadline first, in keyset pages (fast however deep one goes).

    Raises:
        UserError: a malformed page cursor.
    """
    query = _filtered(select(Complaint), actor, f, now).where(
        Complaint.complete_due_at.is_not(None)
    )
    if after:
        try:
            due_text, id_text = after.rsplit("_", 1)
            due, last_id = datetime.fromisoformat(due_text), int(id_text)
        except ValueError as error:
            raise UserError(_("This page link is not valid.")) from error
        query = query.where(
            or_(
                Complaint.complete_due_at > due,
                and_(Complaint.complete_due_at == due, Complaint.id > last_id),
            )
        )
    rows = db.session.scalars(
        query.options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
        )
        .order_by(Complaint.complete_due_at, Complaint.id)
        .limit(per_page + 1)
    ).all()
    next_after = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_after = f"{last.complete_due_at.isoformat()}_{last.id}"
    undated = 0
    if not after:
        undated = (
            db.session.scalar(
                _filtered(select(func.count(Complaint.id)), actor, f, now).where(
                    Complaint.complete_due_at.is_(None)
                )
            )
            or 0
        )
    return QueuePage(list(rows), next_after, undated)


def undated_cases(actor: StaffMember, f: QueueFilters, now, limit: int = 50) -> list[Complaint]:
    """Open cases without a deadline (their year's holidays are not entered yet)."""
    return list(
        db.session.scalars(
            _filtered(select(Complaint), actor, f, now)
            .where(Complaint.complete_due_at.is_(None))
            .options(joinedload(Complaint.category))
            .order_by(Complaint.created_at)
            .limit(limit)
        )
    )


def assisted_cases(actor: StaffMember, limit: int = 50) -> list[Complaint]:
    """Open cases another department leads and the actor's department assists."""
    if actor.department_id is None or actor.is_coordinator:
        return []
    return list(
        db.session.scalars(
            select(Complaint)
            .where(Complaint.id.in_(assisted_by(actor.department_id)), Complaint.is_open.is_(True))
            .options(joinedload(Complaint.category))
            .order_by(Complaint.complete_due_at, Complaint.id)
            .limit(limit)
        )
    )


@dataclass
class Workload:
    department: Department | None
    open: int
    overdue: int
    escalated: int


def workload(now: datetime) -> list[Workload]:
    """Open, overdue and escalated cases per department (and triage), for the coordinator."""
    overdue = and_(Complaint.paused_at.is_(None), Complaint.complete_due_at < now)
    rows = db.session.execute(
        select(
            Complaint.department_id,
            func.count(),
            func.count().filter(overdue),
            func.count().filter(Complaint.escalated_at.is_not(None)),
        )
        .where(Complaint.is_open.is_(True))
        .group_by(Complaint.department_id)
    ).all()
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    result = [Workload(departments.get(dep), n, late, esc) for dep, n, late, esc in rows]
    return sorted(result, key=lambda w: (w.department is not None, -w.overdue, -w.open))
