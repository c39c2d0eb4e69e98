"""The monthly figures of each department (department_months), kept as cases change.

A case counts in the month it was received (China time) for its lead department. Whenever a
flush touches a case, the (department, month) it was in before and is in now are noted; just
before the commit those rows are recomputed from the cases themselves (one indexed aggregate
of a department's month, a few thousand rows at 1M complaints) and upserted. Recomputing
instead of adding deltas makes every change — a transfer, a reopening, an extension, a
rating, a calendar change — exact by construction; `rebuild` redoes every row (after a bulk
load or an upgrade), and the tick refreshes the current and previous months as a safety net.

Concurrent commits of the same department's month are serialised on PostgreSQL with a
transaction-scoped advisory lock, so the later one aggregates what the earlier committed.
"""

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, event, exists, func, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ..complaints.models import Complaint, ComplaintEvent, EventKind
from ..core.clock import LOCAL_TZ, local_date
from ..core.periods import add_months
from ..core.workdays import CalendarYearUnknown
from ..extensions import db
from .calendar import load_calendar
from .models import DepartmentMonth

KEYS = "department_months.pending"
# History entries that mean a completed case was reopened.
REOPENING = (EventKind.disputed.value, EventKind.reopen.value)
FIGURES = (
    "received",
    "accepted",
    "accepted_on_time",
    "completed",
    "completed_on_time",
    "extended",
    "reopened",
    "rated",
    "rating_sum",
)


def month_key(moment: datetime) -> str:
    """'YYYY-MM' of a moment in China time."""
    return local_date(moment).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month as aware moments [start, end) at local midnight."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return (
        datetime.combine(first, time(), tzinfo=LOCAL_TZ),
        datetime.combine(add_months(first, 1), time(), tzinfo=LOCAL_TZ),
    )


def completion_workdays(received: datetime, resolved: datetime, cal) -> int | None:
    """Working days after the day of receipt up to and including the day of resolution."""
    start = local_date(received) + timedelta(days=1)
    end = local_date(resolved) + timedelta(days=1)
    try:
        return cal.count_workdays(start, end)
    except CalendarYearUnknown:
        return None


# --- Computing a row ---------------------------------------------------------------------


@dataclass
class Figures:
    """One department's figures for a run of months (one row, or a period's sum)."""

    received: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    completed: int = 0
    completed_on_time: int = 0
    extended: int = 0
    reopened: int = 0
    rated: int = 0
    rating_sum: int = 0
    completion_days: Counter = field(default_factory=Counter)

    def add(self, other: "Figures") -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.completion_days.update(other.completion_days)

    @property
    def accepted_on_time_rate(self) -> float | None:
        return self.accepted_on_time / self.accepted if self.accepted else None

    @property
    def completed_on_time_rate(self) -> float | None:
        return self.completed_on_time / self.completed if self.completed else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.completed if self.completed else None

    @property
    def satisfaction(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def median_workdays(self) -> float | None:
        """The median working days to completion, from the histogram (exact)."""
        n = sum(self.completion_days.values())
        if not n:
            return None
        ordered = sorted(self.completion_days.items())

        def nth(k: int) -> int:  # the k-th smallest (0-based)
            seen = 0
            for days, count in ordered:
                seen += count
                if k < seen:
                    return days
            raise IndexError(k)

        return nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2

    @classmethod
    def from_row(cls, row: DepartmentMonth) -> "Figures":
        return cls(
            **{name: getattr(row, name) for name in FIGURES},
            completion_days=Counter({int(k): v for k, v in (row.completion_days or {}).items()}),
        )


def compute(department_id: int, month: str) -> Figures:
    """A department's figures for one month, aggregated from its cases (the truth)."""
    start, end = month_bounds(month)
    cases = and_(
        Complaint.department_id == department_id,
        Complaint.created_at >= start,
        Complaint.created_at < end,
        Complaint.merged_into_id.is_(None),
    )
    reopened = exists().where(
        ComplaintEvent.complaint_id == Complaint.id, ComplaintEvent.kind.in_(REOPENING)
    )

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(),
            func.count(Complaint.accepted_at),
            count_if(Complaint.accepted_at <= Complaint.accept_due_at),
            func.count(Complaint.resolved_at),
            count_if(Complaint.resolved_at <= Complaint.complete_due_at),
            count_if(Complaint.extension_days > 0),
            count_if(reopened),
            func.count(Complaint.rating),
            func.coalesce(func.sum(Complaint.rating), 0),
        ).where(cases)
    ).one()
    days = db.session.execute(
        select(Complaint.completion_workdays, func.count())
        .where(
            cases, Complaint.resolved_at.is_not(None), Complaint.completion_workdays.is_not(None)
        )
        .group_by(Complaint.completion_workdays)
    ).all()
    return Figures(*(int(v) for v in row), completion_days=Counter(dict(days)))


def _upsert(department_id: int, month: str, figures: Figures) -> None:
    values = {name: getattr(figures, name) for name in FIGURES}
    values["completion_days"] = {str(k): v for k, v in sorted(figures.completion_days.items())}
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DepartmentMonth.__table__).values(
        department_id=department_id, month=month, **values
    )
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["department_id", "month"], set_=values)
    )


def refresh(keys) -> int:
    """Recompute and store these (department id, month) rows; returns how many."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for department_id, month in sorted(keys):
        if postgres:
            lock = zlib.crc32(f"department_months:{department_id}:{month}".encode())
            db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        _upsert(department_id, month, compute(department_id, month))
    return len(keys)


def rebuild(*, batch: int = 1000) -> int:
    """Fill in missing completion days, then recompute every row; returns rows written."""
    cal = load_calendar()
    after = 0
    while True:
        rows = db.session.execute(
            select(Complaint.id, Complaint.created_at, Complaint.resolved_at)
            .where(
                Complaint.id > after,
                Complaint.resolved_at.is_not(None),
                Complaint.completion_workdays.is_(None),
            )
            .order_by(Complaint.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for complaint_id, received, resolved in rows:
            days = completion_workdays(received, resolved, cal)
            if days is not None:
                db.session.execute(
                    Complaint.__table__.update()
                    .where(Complaint.__table__.c.id == complaint_id)
                    .values(completion_workdays=days)
                )
        after = rows[-1][0]
    db.session.execute(DepartmentMonth.__table__.delete())
    keys = set()
    for department_id, created in db.session.execute(
        select(Complaint.department_id, func.min(Complaint.created_at))
        .where(Complaint.department_id.is_not(None))
        .group_by(Complaint.department_id)
    ):
        last = db.session.scalar(
            select(func.max(Complaint.created_at)).where(Complaint.department_id == department_id)
        )
        month, end = month_key(created), month_key(last)
        while month <= end:
            keys.add((department_id, month))
            month = add_months(date(int(month[:4]), int(month[5:7]), 1), 1).strftime("%Y-%m")
    return refresh(keys)


def refresh_recent(now: datetime) -> int:
    """Recompute this month and last month for every department (the tick's safety net)."""
    this = local_date(now).replace(day=1)
    months = {this.strftime("%Y-%m"), add_months(this, -1).strftime("%Y-%m")}
    since = month_bounds(min(months))[0]
    departments = db.session.scalars(
        select(Complaint.department_id)
        .where(Complaint.department_id.is_not(None), Complaint.created_at >= since)
        .distinct()
    ).all()
    return refresh({(d, m) for d in departments for m in months})


# --- Keeping it current: session events --------------------------------------------------


def _old_and_new(complaint: Complaint) -> set[tuple[int, str]]:
    """The (department, month) keys a changed case counted in before and counts in now."""
    state = inspect(complaint)
    keys = set()
    departments = {complaint.department_id}
    moments = {complaint.created_at}
    if not state.pending:
        departments |= set(state.attrs.department_id.history.deleted)
        moments |= set(state.attrs.created_at.history.deleted)
    for department_id in departments:
        for moment in moments:
            if department_id is not None and moment is not None:
                keys.add((department_id, month_key(moment)))
    return keys


def _before_flush(session, _context, _instances) -> None:
    """Date a case's completion in working days when it is resolved."""
    resolved = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Complaint)
        and obj.resolved_at is not None
        and (obj in session.new or inspect(obj).attrs.resolved_at.history.has_changes())
    ]
    if resolved:
        cal = load_calendar()
        for complaint in resolved:
            complaint.completion_workdays = completion_workdays(
                complaint.created_at, complaint.resolved_at, cal
            )


def _after_flush(session, _context) -> None:
    """Note the rows the flushed cases touch (history is still there in after_flush)."""
    keys = session.info.setdefault(KEYS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Complaint):
            keys |= _old_and_new(obj)


def _before_commit(session) -> None:
    """Recompute the noted rows inside the committing transaction."""
    if not session.info.get(KEYS) and not (session.new or session.dirty):
        return
    session.flush()
    keys = session.info.pop(KEYS, None)
    if keys:
        refresh(keys)


def _forget(session, *_args) -> None:
    session.info.pop(KEYS, None)


_connected = False


def init_app(app) -> None:
    """Listen on the app's scoped session once per process."""
    global _connected
    if _connected:
        return
    event.listen(db.session, "before_flush", _before_flush)
    event.listen(db.session, "after_flush", _after_flush)
    event.listen(db.session, "before_commit", _before_commit)
    event.listen(db.session, "after_soft_rollback", _forget)
    event.listen(db.session, "after_rollback", _forget)
    _connected = True
