"""The working calendar and the deadlines of cases: load it, store and recompute deadlines."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..complaints.models import Complaint, ComplaintCategory
from ..core.workdays import CalendarYearUnknown, WorkingCalendar
from ..extensions import db
from . import deadlines
from .models import CalendarOverride, CalendarYear, Pause

# How far ahead to look for years nobody has entered: a 15-working-day case plus a
# 30-day extension and pauses ends well within four months.
CALENDAR_HORIZON = timedelta(days=120)


def load_calendar() -> WorkingCalendar:
    """The working calendar: chinesecalendar plus the coordinator's overrides (one query each)."""
    overrides = {row.day: row.is_workday for row in db.session.scalars(select(CalendarOverride))}
    years = set(db.session.scalars(select(CalendarYear.year)))
    return WorkingCalendar(overrides, override_years=years)


def years_at_risk(today: date) -> list[int]:
    """Years deadlines may soon reach whose holidays nobody has entered."""
    return sorted(load_calendar().unknown_years(today, today + CALENDAR_HORIZON))


def calendar_gaps(now: datetime) -> list[int]:
    """Years deadlines may soon reach whose holidays nobody has entered (warn the staff)."""
    return years_at_risk(deadlines.local_date(now))


def sla_for(category: ComplaintCategory) -> deadlines.Sla:
    """The service levels of a category (working days to accept and to complete)."""
    return deadlines.Sla(
        accept_workdays=category.accept_workdays, complete_workdays=category.complete_workdays
    )


def _pauses(complaint: Complaint) -> list[deadlines.Pause]:
    rows = db.session.scalars(
        select(Pause).where(Pause.complaint_id == complaint.id).order_by(Pause.started_at)
    )
    return [deadlines.Pause(p.started_at, p.ended_at) for p in rows]


def recompute_deadlines(
    complaint: Complaint,
    cal: WorkingCalendar,
    now: datetime,
    *,
    accept_from: datetime | None = None,
) -> bool:
    """Store the case's deadlines again after any change; False if the calendar cannot tell.

    `accept_from` restarts the acceptance clock (a transfer); otherwise it runs from the
    last restart or from receipt. A deadline in a year nobody has entered holidays for is
    left empty and the queue warns: guessing would mislead both staff and reporter.
    """
    if accept_from is not None:
        complaint.accept_clock_from = accept_from
    sla = sla_for(complaint.category)
    known = True
    try:
        complaint.accept_due_at = deadlines.accept_due(
            complaint.accept_clock_from or complaint.created_at, sla, cal
        )
    except CalendarYearUnknown:
        complaint.accept_due_at, known = None, False
    try:
        complaint.complete_due_at = deadlines.complete_due(
            complaint.created_at,
            sla,
            cal,
            pauses=_pauses(complaint),
            extension_days=complaint.extension_days,
            now=now,
        )
    except CalendarYearUnknown:
        complaint.complete_due_at, known = None, False
    return known
