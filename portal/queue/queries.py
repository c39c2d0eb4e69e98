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
    sort: str = "due"  # a key of SORTS
    desc: bool = False

    def as_args(self, **changes) -> dict[str, str]:
        out = {}
        for key, value in (self.__dict__ | changes).items():
            if key == "sort" and value == "due":
                continue
            if value is True:
                out[key] = "1"
            elif value not in (None, False, ""):
                out[key] = str(value)
        return out

    def sort_args(self, column: str) -> dict[str, str]:
        """The filters with this column as the sort (a second click reverses it)."""
        return self.as_args(sort=column, desc=column == self.sort and not self.desc)


# The columns the queue sorts by: each a keyset (column, id) an index serves per department.
SORTS = {
    "due": Complaint.complete_due_at,  # the completion deadline (undated cases listed apart)
    "received": Complaint.created_at,
    "case": None,  # the case number: ids are issued in order
}


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
    """Cases in the chosen order (soonest deadline first by default), in keyset pages: the
    cursor holds the last row's sort value and id, so any page is an index range scan.

    Raises:
        UserError: a malformed page cursor, or one written for another sort.
    """
    column = SORTS[f.sort]
    query = _filtered(select(Complaint), actor, f, now).where(
        Complaint.complete_due_at.is_not(None)
    )
    if after:
        query = query.where(_after(after, f.sort, column, f.desc))
    id_order = Complaint.id.desc() if f.desc else Complaint.id
    order = [id_order] if column is None else [column.desc() if f.desc else column, id_order]
    rows = db.session.scalars(
        query.options(
            joinedload(Complaint.category),
            joinedload(Complaint.outfall),
            joinedload(Complaint.department),
        )
        .order_by(*order)
        .limit(per_page + 1)
    ).all()
    next_after = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        value = "" if column is None else getattr(last, column.key).isoformat()
        next_after = f"{f.sort}:{value}_{last.id}"
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


def _after(cursor: str, sort: str, column, desc: bool):
    """The WHERE clause of the rows after a cursor in this order.

    Raises:
        UserError: malformed, or written for another sort.
    """
    try:
        kind, rest = cursor.split(":", 1)
        value_text, id_text = rest.rsplit("_", 1)
        last_id = int(id_text)
        if kind != sort or not 0 < last_id < 2**31:
            raise ValueError(cursor)
        value = None if column is None else datetime.fromisoformat(value_text)
        if value is not None and value.tzinfo is None:
            raise ValueError(cursor)
    except ValueError as error:
        raise UserError(_("This page link is not valid.")) from error
    later_id = Complaint.id < last_id if desc else Complaint.id > last_id
    if column is None:
        return later_id
    later = column < value if desc else column > value
    # The plain range lets the index seek; the OR only breaks ties at its edge.
    seek = column <= value if desc else column >= value
    return and_(seek, or_(later, and_(column == value, later_id)))


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
